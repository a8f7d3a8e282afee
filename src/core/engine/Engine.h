#pragma once

#include "EventBus.h"
#include "Platform.h"
#include "Step.h"
#include "WireTap.h"

#include <QList>
#include <QObject>
#include <QThread>

#include <atomic>
#include <functional>
#include <memory>

namespace socklab {

namespace platform {
class Lab;
}
class CancelHub;
class Coordinator;
class Monitor;
class StepRunner;

// The backend. Runs each run's steps in order, runs side by side (a blocking call on one
// socket never delays a call on another; calls on one socket run in the order issued), and
// reports everything it and the kernel do as events on bus(), in batches. No method blocks
// the caller; stop() ends every wait at once.
class Engine : public QObject
{
    Q_OBJECT
  public:
    // Every socket of its experiments (and its peers', and its socket table's) comes from
    // `net`; nullptr: the host's network.
    explicit Engine(QObject *parent = nullptr, platform::SocketFactory *net = nullptr);
    enum class Network
    {
        Host, // the network given at construction (the host's own, by default)
        Lab   // a private lab network, new each time (platform::Lab)
    };
    // As above, and the first runs are on `initial`: the engine thread makes the lab (see
    // useNetwork), so the caller waits for nothing.
    Engine(QObject *parent, platform::SocketFactory *net, Network initial);
    ~Engine() override;

    EventBus *bus() const { return m_bus; }

    // The detail of a Finished event whose run was cut short because a step it depends on
    // failed (its built-in peer did not start); the error event before it says why.
    static constexpr const char *kAbortedDetail = "aborted";

    // Queues the steps; a Finished event follows the last one (or the stop that ended them).
    // Returns the run's id, which that Finished event carries; ids of runs and stops only grow.
    quint64 run(const QList<Step> &steps);
    // Ends the running call within milliseconds, drops queued steps, closes every socket and
    // stops the built-in peer. A Cancelled event names the call it ended. Its own Finished
    // event (detail "stopped") carries the returned id, and stands for every run before it.
    quint64 stop();
    // Blackholes the live connection now: the built-in peer's side, or ours if it has none
    // (`sock`'s only, if given; every connected socket's otherwise). A message to the engine,
    // like everything else: the caller waits for nothing.
    void pullPlug(const QString &sock = {});
    // Makes or repairs a fault of the network or of the built-in peer (Fault.h) now, as a
    // Fault step does, without waiting for any run. Stop repairs every fault still made.
    void fault(const FaultSpec &f);

    // Stops everything, as stop() does (same Finished event, same returned id), then runs
    // what comes next on `network`. Lab makes a new lab each time, so nothing of an earlier run
    // is in it; where this system does not allow one, the host's network is used. Either way
    // networkChanged() then says which network the next runs use, in one sentence.
    quint64 useNetwork(Network network);

    bool isBusy() const { return m_pending.load() > 0; }
    // Thread-safe. What the lab's wire showed since the network was last made (empty on this
    // machine's network), for a pcap file.
    WireTap::Capture capture() const { return m_tap->capture(); }
    // Thread-safe. Ends the capture after reading what the kernel still holds for it (the run
    // is over: its last FIN and ACK are in); capture() keeps it until the next network.
    void stopCapture() { m_tap->stop(); }
    QList<platform::DiagRow> socketTable() const;
    QString labelFor(const platform::DiagRow &row) const;
    quint64 runFor(const platform::DiagRow &row) const; // the run that made its socket (0: ?)

  signals:
    void socketTableChanged(const QList<socklab::platform::DiagRow> &rows);
    // After useNetwork(): whether the next runs are in a lab, and what that network is (or
    // why the lab could not be made).
    // refusal: why the lab asked for could not be made (one sentence), else empty.
    void networkChanged(bool lab, const QString &description, const QString &refusal);

  private:
    void switchNetwork(Network network); // the engine thread, with nothing running
    // stop(), and `then` on the engine thread once everything is closed (Coordinator::stop).
    quint64 stopThen(std::function<void()> then);

    EventBus *m_bus;
    platform::SocketFactory *m_baseNet;   // the network given at construction
    std::unique_ptr<platform::Lab> m_lab; // the engine thread's; the lab the runs use, if any
    std::unique_ptr<CancelHub> m_hub;
    std::unique_ptr<Monitor> m_monitor;
    std::unique_ptr<StepRunner> m_runner;
    std::unique_ptr<WireTap> m_tap; // the lab's wire (started by switchNetwork)
    std::atomic<quint64> m_generation{0};
    std::atomic<quint64> m_runIds{0};
    std::atomic<int> m_pending{0};
    QThread m_thread;
    Coordinator *m_coordinator = nullptr; // lives on m_thread
};

} // namespace socklab
