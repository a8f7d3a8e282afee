#pragma once

#include "CallReporter.h"
#include "OptionApplier.h"
#include "SocketRegistry.h"
#include "Step.h"

#include <QList>
#include <QMutex>
#include <QString>

#include <array>

#include <atomic>
#include <functional>
#include <memory>
#include <optional>

namespace socklab {

class EventBus;
class Monitor;
class PeerServer;
struct ResolvedAddress;

namespace platform {
class SocketFactory;
}

// The lane tickets of one step, taken when its run was issued (see SocketRegistry).
struct StepTickets
{
    QString lane; // the socket the step calls on (empty: it acts at once, on no lane)
    quint64 ticket = 0;
    bool laneUsed = false;
    QString made; // Accept: the label of the socket it makes, whose first call it is
    quint64 madeTicket = 0;
    bool madeUsed = false;
    // Close, Restart: the socket, taken out of the registry when the step was reached, so
    // that the calls ahead of it find it gone; closed in the step's turn.
    std::shared_ptr<EngineSocket> taken;
};

// One Engine::run(): its steps, in order, and their places in the lanes.
struct EngineRun
{
    QList<Step> steps;
    QList<StepTickets> tickets;
    quint64 gen = 0;
    quint64 id = 0;
    bool immediate = false; // only steps that act at once (close, pull the plug)
};

// Runs steps, on whichever thread calls it: each run on a call thread of its own (see
// Coordinator), so that a blocking call on one socket never delays a call on another. The
// sockets live in the registry, whose lanes order the calls on each socket. The thread's
// token and run come from its CallScope.
class StepRunner
{
  public:
    StepRunner(EventBus *bus, Monitor *monitor, std::atomic<quint64> *generation,
               platform::SocketFactory *net);
    // The lab's wire, synced before a run's end is said (its segments come first); none on
    // this machine's network.
    void setWire(class WireTap *wire) { m_wire = wire; }
    ~StepRunner();
    StepRunner(const StepRunner &) = delete;
    StepRunner &operator=(const StepRunner &) = delete;

    // Steps that never wait on the network: a run of only these gets a call thread even when
    // all are taken.
    static bool actsAtOnce(Step::Kind k);
    // Steps that end the socket they are on: they cancel the calls ahead of them in its lane
    // instead of waiting for them.
    static bool preempts(Step::Kind k);
    // The call a step makes, as events name it ("connect", "recv"; empty for steps that call
    // nothing on a socket).
    static QString opOf(Step::Kind k);

    // The issuing thread, in the order runs are issued: names what the steps leave unnamed
    // (a new socket's label, "the last listener") and gives each step its place in the lane
    // of the socket it calls on, so that calls on one socket run in the order issued.
    void prepare(EngineRun &r);
    // A call thread, with its CallScope set: the run's steps in order, then Finished.
    void runSteps(EngineRun &r);
    // Stop, once no call runs: closes every socket, stops the peer, says Finished.
    // then: once everything is closed and the peer stopped, before the Finished event.
    void stopAll(quint64 id, const std::function<void()> &then = {});
    // The engine thread, with no call running and no peer (after a stop): where the next
    // sockets come from.
    void setNetwork(platform::SocketFactory *net) { m_net = net; }
    // Any thread. Takes no lock that is held across a wait: the peer is reached through its
    // own reference, and PeerServer::pullPlug() only sets a flag and wakes the peer's thread.
    void pullPlugNow(const QString &sock);
    // Makes or repairs a fault (Fault.h) now: the network's part by the lab's helper, the
    // built-in peer's part by the peer. An info event (op "fault") says what was done, an
    // error event why not (and false). Any thread; a few milliseconds.
    bool faultNow(const FaultSpec &f);
    // How a fault with `seconds` gets repaired later: `later(ms, repair, run)` calls
    // faultNow(repair) after ms on some thread, its events in `run` (the run that made it),
    // unless a Stop came first (Stop repairs every fault itself).
    void setRepairLater(std::function<void(int ms, const FaultSpec &repair, quint64 run)> later)
    {
        m_repairLater = std::move(later);
    }

  private:
    struct RecvSummary;
    using SockPtr = SocketRegistry::Ptr;

    void postError(const QString &sock, const QString &op, int err, const QString &extra = {});
    // What holds `port` (an EADDRINUSE's why), SockLab's own sockets named as the monitor
    // knows them.
    QString portHolders(quint16 port);
    void abandonUnused(StepTickets &t);
    bool acquireLane(const QString &lane, quint64 ticket, const QString &op, const QString &sock);
    void takeLabel(const QString &label);
    bool execute(const Step &s, StepTickets &t);
    bool stopsHere(const QString &sock, const QString &what);

    bool startPeer(const PeerConfig &given);
    // host's addresses: the network's own name for one of its hosts, else the system's
    // resolver (cancellable). 0, or an errno with *why.
    int resolveName(const QString &host, quint16 port, QList<ResolvedAddress> *addrs, QString *why);
    std::shared_ptr<PeerServer> currentPeer();
    void stopPeer();
    void waitForPeer(int acceptedBefore);

    void connectStep(const Step &step);
    std::optional<std::pair<QString, quint16>> listenedAt(const QString &listener,
                                                          const QString &label, const char *op);
    bool listenStep(const QString &wanted, const QString &bindHost, quint16 port, int backlog,
                    const SocketOptions &o);
    bool acceptStep(const QString &ll, const QString &label, StepTickets *t,
                    const std::optional<SocketOptions> &current = std::nullopt);
    void acceptLoop(const Step &s);
    SockPtr connectedSock(const QString &label, const QString &op);
    void sendStep(const QString &label, const QByteArray &data,
                  const std::optional<SocketOptions> &current);
    void flushRecvSummary(const QString &label, qint64 maxBytes, const CallSpec &c,
                          RecvSummary *sum);
    bool recvStep(const QString &label, qint64 maxBytes,
                  const std::optional<SocketOptions> &current, RecvSummary *sum = nullptr);
    void recvFor(const QString &label, qint64 maxBytes, double seconds,
                 const std::optional<SocketOptions> &current);
    void holdStep(const QString &label, double seconds);
    // False when the program did not run (not in the lab, or it could not be started or
    // executed): the rest of the run would not mean what it was meant to. ProgramStep.cpp
    bool runProgramStep(const QStringList &argv, bool trace);
    void restartStep(const Step &step, StepTickets &t);
    void closeSock(const QString &label, const QString &why, bool mustNotBlock = false,
                   const QString &who = QStringLiteral("Close"),
                   const std::optional<SocketOptions> &current = std::nullopt);
    // The options given with a call on a live socket (OptionApplier::applyLive); the monitor
    // then watches it as its keepalive setting now says. The caller holds the socket's lane.
    void applyLive(EngineSocket &s, const QString &label,
                   const std::optional<SocketOptions> &current);
    void closeTaken(const QString &label, const SockPtr &sp, const QString &why,
                    bool mustNotBlock = false);
    void closeAll(bool stopping);

    EventBus *m_bus;
    Monitor *m_monitor;
    std::atomic<quint64> *m_generation;
    platform::SocketFactory *m_net; // where every socket of the experiment comes from
    SocketRegistry m_reg;
    OptionApplier m_options;
    CallReporter m_calls;
    QMutex m_peerMutex; // guards m_peer, the pointer only
    std::shared_ptr<PeerServer> m_peer;
    QMutex m_faultMutex; // one fault at a time; guards m_faults
    std::array<std::optional<FaultSpec>, kFaultKinds> m_faults; // those made and not repaired
    std::array<quint64, kFaultKinds> m_faultMakings{};          // how often each kind was made
    std::function<void(int, const FaultSpec &, quint64)> m_repairLater;
    class WireTap *m_wire = nullptr;
};

} // namespace socklab
