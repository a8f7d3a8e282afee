#include "StepRunner.h"

#include "WireTap.h"

#include "CallContext.h"
#include "CancelToken.h"
#include "Engine.h"
#include "ErrnoText.h"
#include "EventBus.h"
#include "Lab.h"
#include "Monitor.h"
#include "PeerServer.h"
#include "PortHolders.h"

#include <QHostAddress>

#include <cerrno>
#include <utility>

namespace socklab {

using Sock = EngineSocket;
using SockPtr = SocketRegistry::Ptr;

namespace {
// The info event of a fault made or mended (its sentence is the caller's): on the peer's
// lane for a crash, the lab's otherwise, with the fault's name, state and numbers.
Event faultEvent(const FaultSpec &f)
{
    const FaultInfo &info = faultInfo(f.kind);
    Event e = makeEvent(EventKind::Info,
                        f.kind == FaultKind::Crash ? QStringLiteral("peer") : QStringLiteral("lab"),
                        QStringLiteral("fault"));
    e.extra.insert(QStringLiteral("fault"), QLatin1String(info.name));
    e.extra.insert(QStringLiteral("on"), f.on);
    if (info.value.name)
        e.extra.insert(QLatin1String(info.value.name), f.effectiveValue());
    if (info.value2.name)
        e.extra.insert(QLatin1String(info.value2.name), f.effectiveValue2());
    return e;
}

// The helper's part of a fault of the network (a crash has none; a power loss's is ServerOff).
lab::NetFault netFaultOf(FaultKind k)
{
    switch (k) {
    case FaultKind::Cable:
        return lab::NetFault::Cable;
    case FaultKind::Power:
    case FaultKind::Crash:
        return lab::NetFault::ServerOff;
    case FaultKind::Route:
        return lab::NetFault::Route;
    case FaultKind::FirewallDrop:
        return lab::NetFault::FirewallDrop;
    case FaultKind::FirewallReject:
        return lab::NetFault::FirewallReject;
    case FaultKind::Loss:
        return lab::NetFault::Loss;
    case FaultKind::Rate:
        return lab::NetFault::Rate;
    case FaultKind::Delay:
        return lab::NetFault::Delay;
    }
    return lab::NetFault::Cable;
}

// A receive loop against a peer that floods would report hundreds of thousands of calls a
// second, and every consumer (the log, the timeline, a terminal) would fall behind and grow
// without bound. Past this many calls in its first second a loop reports its calls in sums,
// one pair of events per period; errors, timeouts and the peer's close are still reported
// one by one. A drip (a call a second) stays call by call.
constexpr int kRecvCallsReported = 100;
constexpr qint64 kRecvSummaryNs = 100 * 1000000LL;
} // namespace

struct StepRunner::RecvSummary
{
    bool active = false;
    qint64 sinceNs = 0; // start of the first call in the current sum
    qint64 endNs = 0;   // end of its last call
    double endWall = 0;
    qint64 calls = 0;
    qint64 bytes = 0;
    QByteArray last;    // the start of the last call's data, for a bounded preview
    QByteArray payload; // the sum's bytes, whole up to kPayloadLimit (the rest is counted)
    CallSpec spec;      // what the latest summed call ran with
};

StepRunner::StepRunner(EventBus *bus, Monitor *monitor, std::atomic<quint64> *generation,
                       platform::SocketFactory *net)
    : m_bus(bus), m_monitor(monitor), m_generation(generation), m_net(net), m_options(bus),
      m_calls(bus, monitor)
{
}

StepRunner::~StepRunner()
{
    CancelToken own;
    CallScope scope(&own, 0);
    closeAll(false);
    stopPeer();
}

bool StepRunner::actsAtOnce(Step::Kind k)
{
    return k == Step::Kind::Close || k == Step::Kind::CloseAll || k == Step::Kind::PullPlug ||
           k == Step::Kind::StopPeer || k == Step::Kind::Fault;
}

bool StepRunner::preempts(Step::Kind k)
{
    return k == Step::Kind::Close || k == Step::Kind::Restart;
}

void StepRunner::prepare(EngineRun &r)
{
    r.immediate = true;
    QString lastListener = m_reg.lastListener();
    for (Step &s : r.steps) {
        StepTickets t;
        switch (s.kind) {
        case Step::Kind::Connect:
            if (s.sock.isEmpty())
                s.sock = m_reg.freshLabel("c");
            t.lane = s.sock;
            break;
        case Step::Kind::Listen:
            if (s.sock.isEmpty())
                s.sock = m_reg.freshLabel("L");
            t.lane = lastListener = s.sock;
            break;
        case Step::Kind::Accept:
            if (s.listener.isEmpty())
                s.listener = lastListener;
            if (s.sock.isEmpty())
                s.sock = m_reg.freshLabel("a");
            t.lane = s.listener;
            t.made = s.sock;
            break;
        case Step::Kind::AcceptLoop:
            if (s.listener.isEmpty())
                s.listener = lastListener;
            t.lane = s.listener;
            break;
        case Step::Kind::Restart:
            if (s.sock.isEmpty())
                s.sock = lastListener;
            t.lane = s.sock;
            break;
        case Step::Kind::Send:
        case Step::Kind::Recv:
        case Step::Kind::RecvFor:
        case Step::Kind::Hold:
        case Step::Kind::Close:
            t.lane = s.sock;
            break;
        default:
            break;
        }
        if (!t.lane.isEmpty())
            t.ticket = m_reg.ticket(t.lane, opOf(s.kind), r.id);
        if (!t.made.isEmpty())
            t.madeTicket = m_reg.ticket(t.made, QStringLiteral("accept"), r.id);
        r.immediate = r.immediate && actsAtOnce(s.kind);
        r.tickets << t;
    }
}

void StepRunner::runSteps(EngineRun &r)
{
    platform::setPreciseTimerSlack();
    bool aborted = false;
    for (int i = 0; i < r.steps.size(); ++i) {
        callToken().reset(); // then the generation: a Stop after this reset still shows
        if (r.gen != m_generation->load())
            break;
        const Step &s = r.steps[i];
        StepTickets &t = r.tickets[i];
        bool ok = true;
        if (t.lane.isEmpty()) {
            ok = execute(s, t);
        } else {
            t.laneUsed = true;
            if (preempts(s.kind))
                t.taken = m_reg.take(s.sock);
            const bool turn =
                preempts(s.kind)
                    ? m_reg.preempt(t.lane, t.ticket, &callToken(),
                                    s.kind == Step::Kind::Close ? QStringLiteral("Close")
                                                                : QStringLiteral("Restart"))
                    : acquireLane(t.lane, t.ticket, opOf(s.kind), s.sock);
            if (turn) {
                LaneLease lease(&m_reg, t.lane);
                ok = execute(s, t);
            } else if (t.taken) {
                // Stop came first: it closes the socket, once no call uses it.
                m_reg.add(s.sock, std::exchange(t.taken, {}));
            }
        }
        abandonUnused(t);
        if (!ok) {
            aborted = true;
            break;
        }
    }
    for (StepTickets &t : r.tickets)
        abandonUnused(t); // the steps not reached
    if (r.gen == m_generation->load()) {
        m_monitor->refreshProbes();
        m_monitor->refreshTable(); // the states the experiment ends in (TIME_WAIT, ...)
        if (m_wire)
            m_wire->sync(); // its last segments before its end
        Event fin = makeEvent(EventKind::Finished, {});
        fin.run = r.id;
        if (aborted)
            fin.detail = QString::fromLatin1(Engine::kAbortedDetail);
        m_bus->post(fin);
    }
}

void StepRunner::stopAll(quint64 id, const std::function<void()> &then)
{
    // The network is whole again for what comes next: every fault still made is repaired.
    std::vector<FaultSpec> made;
    {
        QMutexLocker lock(&m_faultMutex);
        for (const auto &f : m_faults) {
            if (f)
                made.push_back(*f);
        }
    }
    for (FaultSpec f : made) {
        f.on = false;
        f.seconds = 0;
        if (f.kind == FaultKind::Crash) {
            // The peer stops with everything: it is not started again only to be stopped.
            QMutexLocker lock(&m_faultMutex);
            m_faults[size_t(f.kind)].reset();
            Event e = faultEvent(f);
            e.detail = QStringLiteral("Stop: the crashed server process is not started again; "
                                      "the next experiment starts its own peer.");
            m_bus->post(e);
            continue;
        }
        faultNow(f);
    }
    closeAll(true);
    m_reg.clearLanes();
    if (then)
        then(); // the next run is on what it made
    if (m_wire)
        m_wire->sync(false); // the RSTs and FINs of what Stop closed, before its end (Stop
                             // does not wait to learn whether they arrived)
    Event e = makeEvent(EventKind::Finished, {});
    e.run = id;
    e.detail = QStringLiteral("stopped");
    m_bus->post(e);
}

bool StepRunner::faultNow(const FaultSpec &f)
{
    const FaultInfo &info = faultInfo(f.kind);
    QMutexLocker lock(&m_faultMutex);
    // A repair that came by itself for a making that is no longer the fault's: nothing to do.
    if (!f.on && f.mends &&
        (f.mends != m_faultMakings[size_t(f.kind)] || !m_faults[size_t(f.kind)]))
        return true;
    Event e = faultEvent(f);
    if (const QString bad = f.validate(); !bad.isEmpty()) {
        e.kind = EventKind::Error;
        e.err = EINVAL;
        e.detail = bad;
        m_bus->post(e);
        return false;
    }
    platform::Lab *lab = m_net->lab();
    if (info.needsLab && !lab) {
        e.kind = EventKind::Error;
        e.err = ENETUNREACH;
        e.detail = faultRefused(f, 0, true);
        m_bus->post(e);
        return false;
    }
    const std::shared_ptr<PeerServer> peer = currentPeer();
    if (f.kind == FaultKind::Crash && f.on && !peer) {
        e.kind = EventKind::Error;
        e.err = ESRCH;
        e.detail = QStringLiteral("No built-in peer is running, so there is no server process to "
                                  "crash.");
        m_bus->post(e);
        return false;
    }
    // The network's part first; the peer's part after the event that says so (its own events
    // about its sockets follow).
    int err = 0;
    switch (f.kind) {
    case FaultKind::Crash:
        if (!f.on && m_faults[size_t(f.kind)] && peer) {
            // A service manager starts it again, on the same port (SO_REUSEADDR, as servers
            // do: its old connections may be in TIME_WAIT).
            PeerConfig again = peer->config();
            again.port = peer->port();
            again.reuseAddr = true;
            err = startPeer(again) ? 0 : EADDRINUSE;
        }
        break;
    case FaultKind::Power:
        // The host goes dark first, so that nothing of what its kernel forgets is answered.
        err = lab->fault(lab::NetFault::ServerOff, f.on);
        break;
    default:
        err = lab->fault(netFaultOf(f.kind), f.on, f.effectiveValue(), f.effectiveValue2());
        break;
    }
    if (err) {
        e.kind = EventKind::Error;
        e.err = err;
        e.detail = f.kind == FaultKind::Crash ? explainErrno(err, QStringLiteral("listen"))
                                              : faultRefused(f, err, false);
        m_bus->post(e);
        return false;
    }
    // One firewall at a time: the one made replaces the other.
    if (f.kind == FaultKind::FirewallDrop || f.kind == FaultKind::FirewallReject) {
        m_faults[size_t(FaultKind::FirewallDrop)].reset();
        m_faults[size_t(FaultKind::FirewallReject)].reset();
    }
    if (f.on) {
        m_faults[size_t(f.kind)] = f;
        ++m_faultMakings[size_t(f.kind)];
    } else {
        m_faults[size_t(f.kind)].reset();
    }
    // The wire waits for a segment's arrival as long as the faults in force may hold it.
    if (m_wire) {
        qint64 queueingNs = 0;
        if (const auto &d = m_faults[size_t(FaultKind::Delay)])
            queueingNs += qint64(d->effectiveValue() + d->effectiveValue2()) * 1000000;
        if (const auto &r = m_faults[size_t(FaultKind::Rate)]) {
            const uint32_t bytes = uint32_t(std::max(1, r->effectiveValue())) * 125u;
            queueingNs += qint64(lab::rateQueueBytes(bytes)) * 1000000000LL / bytes;
        }
        m_wire->setQueueing(queueingNs);
    }
    e.detail = QLatin1String(f.on ? info.made : info.repaired);
    if (f.on && f.seconds > 0) {
        e.extra.insert(QStringLiteral("seconds"), f.seconds);
        e.detail += QStringLiteral(" Repaired by itself in %1.").arg(secondsText(f.seconds));
    }
    m_bus->post(e);
    if (f.on && peer && f.kind == FaultKind::Crash)
        peer->crash();
    if (f.on && peer && f.kind == FaultKind::Power)
        peer->powerOff();
    if (f.on && f.seconds > 0 && m_repairLater) {
        FaultSpec repair = f;
        repair.on = false;
        repair.seconds = 0;
        repair.mends = m_faultMakings[size_t(f.kind)];
        m_repairLater(int(f.seconds * 1000), repair, m_bus->currentRun());
    }
    return true;
}

void StepRunner::pullPlugNow(const QString &sock)
{
    if (const std::shared_ptr<PeerServer> peer = currentPeer()) {
        peer->pullPlug();
        return;
    }
    // Under the registry's lock: no socket it lists is closed meanwhile.
    m_reg.forEach([&](const QString &label, const Sock &s) {
        if ((!sock.isEmpty() && label != sock) || s.role == Sock::Role::Listener ||
            !s.connected.load())
            return;
        Event e = makeEvent(EventKind::Info, label, QStringLiteral("pull-plug"));
        e.err = platform::attachDropFilter(s.fd);
        e.kind = e.err ? EventKind::Error : EventKind::Info;
        e.detail = e.err ? dropFilterRefused(e.err, QStringLiteral("pulls the plug"))
                         : QStringLiteral("Plug pulled on our side: the kernel now drops "
                                          "every segment arriving for this socket.");
        m_bus->post(e);
    });
}

QString StepRunner::opOf(Step::Kind k)
{
    switch (k) {
    case Step::Kind::Connect:
        return QStringLiteral("connect");
    case Step::Kind::Listen:
    case Step::Kind::Restart:
        return QStringLiteral("listen");
    case Step::Kind::Accept:
    case Step::Kind::AcceptLoop:
        return QStringLiteral("accept");
    case Step::Kind::Send:
        return QStringLiteral("send");
    case Step::Kind::Recv:
    case Step::Kind::RecvFor:
        return QStringLiteral("recv");
    case Step::Kind::Hold:
        return QStringLiteral("hold");
    case Step::Kind::Run:
        return QStringLiteral("run");
    default:
        return {};
    }
}

QString StepRunner::portHolders(quint16 port)
{
    return portHoldersText(port, *m_net,
                           [this](const platform::DiagRow &r) { return m_monitor->labelFor(r); });
}

void StepRunner::postError(const QString &sock, const QString &op, int err, const QString &extra)
{
    Event e = makeEvent(EventKind::Error, sock, op);
    e.err = err;
    e.detail = explainErrno(err, op);
    if (!extra.isEmpty())
        e.detail = extra + QLatin1Char(' ') + e.detail;
    m_bus->post(e);
}

void StepRunner::abandonUnused(StepTickets &t)
{
    if (!t.lane.isEmpty() && !t.laneUsed) {
        t.laneUsed = true;
        m_reg.abandon(t.lane, t.ticket);
    }
    if (!t.made.isEmpty() && !t.madeUsed) {
        t.madeUsed = true;
        m_reg.abandon(t.made, t.madeTicket);
    }
}

// Waits for the turn of `ticket` on `lane`; a `queued` event says so if it has to. False
// if Stop (or a close of the socket this thread is on) ended the wait.
bool StepRunner::acquireLane(const QString &lane, quint64 ticket, const QString &op,
                             const QString &sock)
{
    const qint64 t0 = platform::monotonicNs();
    bool queued = false;
    const bool got =
        m_reg.acquire(lane, ticket, &callToken(), [&](const SocketRegistry::Holder &ahead) {
            queued = true;
            Event q = makeEvent(EventKind::Queued, sock.isEmpty() ? lane : sock, op);
            q.extra.insert(QStringLiteral("lane"), lane);
            if (!ahead.op.isEmpty())
                q.extra.insert(QStringLiteral("behind"), ahead.op);
            if (ahead.run)
                q.extra.insert(QStringLiteral("behind_run"), qint64(ahead.run));
            const QString what = ahead.op.isEmpty()
                                     ? QStringLiteral("an earlier call")
                                     : QStringLiteral("%1() (run %2)").arg(ahead.op).arg(ahead.run);
            q.detail = QStringLiteral("%1() on %2 waits its turn: %3 %4 on it first. Calls "
                                      "on one socket run one at a time, in the order they "
                                      "were given; Close or Stop ends the wait.")
                           .arg(op, lane, what,
                                ahead.running ? QStringLiteral("is still running")
                                              : QStringLiteral("was given earlier and runs"));
            m_bus->post(q);
        });
    if (!got && queued) {
        Event c = makeEvent(EventKind::Cancelled, sock.isEmpty() ? lane : sock, op);
        c.elapsed = (platform::monotonicNs() - t0) / 1e9;
        c.detail = QStringLiteral("%1 ended the wait for %2() on %3 after %4.")
                       .arg(callToken().who(), op, lane, secondsText(*c.elapsed));
        m_bus->post(c);
    }
    return got;
}

// The socket `label` is about to be made: one that has the label is closed first.
void StepRunner::takeLabel(const QString &label)
{
    if (m_reg.find(label))
        closeSock(label, QStringLiteral("A new socket takes over the label %1.").arg(label), false,
                  QStringLiteral("A new socket on %1").arg(label));
}

// Says why the rest of the run is not run: it needs `what`, which failed (the error event
// before this says how). False, for execute().
bool StepRunner::stopsHere(const QString &sock, const QString &what)
{
    Event e = makeEvent(EventKind::Info, sock);
    e.detail =
        QStringLiteral("The experiment stops here: it needs %1 (see the error above).").arg(what);
    m_bus->post(e);
    return false;
}

// False when the rest of the run cannot mean anything (its built-in peer did not start).
bool StepRunner::execute(const Step &s, StepTickets &t)
{
    switch (s.kind) {
    case Step::Kind::StartPeer:
        if (!startPeer(s.peer))
            return stopsHere(QStringLiteral("peer"),
                             QStringLiteral("its built-in peer, which did not start"));
        break;
    case Step::Kind::StopPeer:
        stopPeer();
        break;
    case Step::Kind::Connect:
        connectStep(s);
        break;
    case Step::Kind::Listen: {
        quint16 port = s.port;
        QString host = s.host;
        if (!s.portOf.isEmpty()) {
            const auto where = listenedAt(s.portOf, s.sock, "bind");
            if (!where)
                break;
            port = where->second;
            if (host.isEmpty())
                host = where->first;
        }
        listenStep(s.sock, host, port, s.backlog, s.options);
        break;
    }
    case Step::Kind::Accept:
        acceptStep(s.listener, s.sock, &t, s.current);
        break;
    case Step::Kind::AcceptLoop:
        acceptLoop(s);
        break;
    case Step::Kind::Send:
        sendStep(s.sock, s.data, s.current);
        break;
    case Step::Kind::Recv:
        recvStep(s.sock, s.maxBytes, s.current);
        break;
    case Step::Kind::RecvFor:
        recvFor(s.sock, s.maxBytes, s.seconds, s.current);
        break;
    case Step::Kind::Hold:
        holdStep(s.sock, s.seconds);
        break;
    case Step::Kind::Close:
        if (t.taken)
            closeTaken(s.sock, std::exchange(t.taken, {}), QString());
        // One an earlier step made meanwhile; with the options the panels give (SO_LINGER).
        closeSock(s.sock, QString(), false, QStringLiteral("Close"), s.current);
        break;
    case Step::Kind::CloseAll:
        closeAll(false);
        break;
    case Step::Kind::PullPlug:
        pullPlugNow(s.sock);
        break;
    case Step::Kind::Run:
        if (!runProgramStep(s.argv, s.trace))
            return stopsHere(QStringLiteral("prog"),
                             QStringLiteral("its program, which did not run"));
        break;
    case Step::Kind::Fault:
        // What comes next was meant to meet the fault: without it, it would show something
        // else and seem to show the fault.
        if (!faultNow(s.fault))
            return stopsHere(QStringLiteral("lab"),
                             QStringLiteral("that fault, which could not be made"));
        break;
    case Step::Kind::Restart:
        restartStep(s, t);
        break;
    }
    return true;
}

// --- steps -----------------------------------------------------------------------------

int StepRunner::resolveName(const QString &host, quint16 port, QList<ResolvedAddress> *addrs,
                            QString *why)
{
    // The network's own hosts ("server" in the lab) first: the system's resolver knows nothing
    // of them.
    const QStringList own = m_net->hostAddresses(host);
    if (own.isEmpty())
        return ops::resolve(host, port, callToken(), addrs, why);
    addrs->clear();
    for (const QString &text : own) {
        ResolvedAddress a;
        if (ops::parseNumericAddress(text, port, &a))
            addrs->append(a);
    }
    return 0;
}

bool StepRunner::startPeer(const PeerConfig &given)
{
    stopPeer();
    // A peer told to bind loopback binds, in the lab, the server host's own address: the
    // client reaches it across the lab's links, as it would reach another machine.
    PeerConfig cfg = given;
    if (const QHostAddress bindAt(cfg.bind); bindAt.isLoopback()) {
        const QString there = m_net->peerAddress(
            bindAt.protocol() == QAbstractSocket::IPv6Protocol ? AF_INET6 : AF_INET);
        if (!there.isEmpty())
            cfg.bind = there;
    }
    auto peer = std::make_shared<PeerServer>(m_bus, m_monitor, m_net->peerHost());
    if (peer->start(cfg) != 0)
        return false;
    QMutexLocker lock(&m_peerMutex);
    m_peer = std::move(peer);
    return true;
}

// m_peerMutex guards the pointer only, never a call on the peer: each user takes its own
// reference and lets go of the lock before it waits.
std::shared_ptr<PeerServer> StepRunner::currentPeer()
{
    QMutexLocker lock(&m_peerMutex);
    return m_peer;
}

void StepRunner::stopPeer()
{
    std::shared_ptr<PeerServer> peer;
    {
        QMutexLocker lock(&m_peerMutex);
        peer = std::move(m_peer);
    }
    peer.reset(); // the last reference (a pull-plug in flight may hold one for a moment)
}

void StepRunner::connectStep(const Step &step)
{
    const QString label = step.sock;
    takeLabel(label);
    const SocketOptions &o = step.options;
    if (const QString bad = o.validate(); !bad.isEmpty()) {
        Event e = makeEvent(EventKind::Error, label, QStringLiteral("setsockopt"));
        e.err = EINVAL;
        e.detail = bad;
        m_bus->post(e);
        return;
    }
    QString host = step.host;
    quint16 port = step.port;
    int peerAccepted = -1;
    if (!step.portOf.isEmpty()) {
        const auto where = listenedAt(step.portOf, label, "connect");
        if (!where)
            return;
        host = where->first;
        if (host == QLatin1String("0.0.0.0"))
            host = QStringLiteral("127.0.0.1");
        else if (host == QLatin1String("::"))
            host = QStringLiteral("::1");
        port = where->second;
    } else if (step.toPeer) {
        const std::shared_ptr<PeerServer> peer = currentPeer();
        if (!peer) {
            Event e = makeEvent(EventKind::Error, label, QStringLiteral("connect"));
            e.err = ENOTCONN;
            e.detail = QStringLiteral("No built-in peer is running to connect to.");
            m_bus->post(e);
            return;
        }
        host = peer->host();
        port = peer->port();
        peerAccepted = peer->acceptedCount();
    }
    Event r = makeEvent(EventKind::Resolving, label, QStringLiteral("resolve"));
    r.remote = QStringLiteral("%1:%2").arg(host).arg(port);
    m_bus->post(r);
    QList<ResolvedAddress> addrs;
    QString why;
    const qint64 t0 = platform::monotonicNs();
    if (resolveName(host, port, &addrs, &why) != 0) {
        Event e = makeEvent(callToken().isCancelled() ? EventKind::Cancelled : EventKind::Error,
                            label, QStringLiteral("resolve"));
        e.detail = why;
        e.elapsed = (platform::monotonicNs() - t0) / 1e9;
        m_bus->post(e);
        return;
    }
    Event rd = makeEvent(EventKind::Resolved, label, QStringLiteral("resolve"));
    QStringList texts;
    for (const auto &a : addrs)
        texts << a.text;
    rd.elapsed = (platform::monotonicNs() - t0) / 1e9;
    rd.detail = texts.join(QStringLiteral(", "));
    m_bus->post(rd);

    m_monitor->addPort(port);
    qint64 deadlineNs = 0; // one deadline across the attempts on every address
    for (int i = 0; i < addrs.size(); ++i) {
        const ResolvedAddress &a = addrs[i];
        const bool last = i == addrs.size() - 1;
        const auto sp = std::make_shared<Sock>();
        Sock &s = *sp;
        s.role = Sock::Role::Client;
        s.options = o;
        s.deadlineNs = deadlineNs;
        s.fd = m_net->tcpSocket(a.family, false);
        if (s.fd < 0) {
            postError(label, QStringLiteral("socket"), errno);
            return;
        }
        m_monitor->nameSocket(s.fd, label);
        std::optional<CallSpec> spec =
            m_options.applyAll(s.fd, label, o)
                ? m_calls.spec(s, label, QStringLiteral("connect"), o.connectTimeout, o.mechanism)
                : std::nullopt;
        if (spec)
            spec->synCnt = o.synCnt;
        if (!spec || !m_options.armKernelTimeout(s, label, OptionId::SndTimeo, *spec)) {
            platform::closeFd(s.fd);
            return;
        }
        m_monitor->watchConnect(s.fd, label); // its SYN retransmissions
        deadlineNs = s.deadlineNs;
        m_reg.add(label, sp);
        Event c =
            CallReporter::callEvent(EventKind::Connecting, label, QStringLiteral("connect"), *spec);
        c.remote = a.text;
        m_bus->post(c);
        // Named with its addresses as soon as it has them: the wire's first segments (and a
        // connect refused within a millisecond, gone before any table is read) then say c1.
        const CallOutcome out = ops::connect(s.fd, a, spec->t, spec->m, callToken(),
                                             [&] { m_monitor->nameSocket(s.fd, label, &a.addr); });
        if (m_calls.reportOutcome(label, QStringLiteral("connect"), out, *spec)) {
            s.connected.store(true);
            Event ok = makeEvent(EventKind::Connected, label, QStringLiteral("connect"));
            stampEnd(ok, out);
            ok.elapsed = out.elapsed();
            ok.local = ops::localAddressText(s.fd);
            ok.remote = ops::peerAddressText(s.fd);
            m_bus->post(ok);
            m_monitor->nameSocket(s.fd, label); // now with its addresses
            if (peerAccepted >= 0)
                waitForPeer(peerAccepted);
            if (o.keepAlive.value_or(false))
                m_monitor->watchKeepalive(s.fd, label, OptionApplier::effectiveKeepIdle(s.fd));
            else
                m_monitor->watchData(s.fd, label); // the resends of what it sends
            return;
        }
        if (out.status == CallOutcome::Status::Cancelled)
            return;
        // The lab reaches nothing outside it: say so where the kernel found no route.
        if (out.status == CallOutcome::Status::Error && m_net->isPrivate() &&
            (out.err == ENETUNREACH || out.err == EHOSTUNREACH)) {
            bool inLab = false;
            for (const char *h : lab::kHostNames) {
                for (const QString &addr : m_net->hostAddresses(QLatin1String(h)))
                    inLab = inLab || a.text.startsWith(addr + u':') ||
                            a.text.startsWith(u'[' + addr + u']');
            }
            Event e = makeEvent(EventKind::Info, label, QStringLiteral("connect"));
            e.detail =
                inLab ? QStringLiteral("%1 is in the lab, yet there was no way to it: a router "
                                       "on the way said so (ICMP destination unreachable), as "
                                       "a router does when its route is gone or the host "
                                       "behind it does not answer.")
                            .arg(a.text)
                      : QStringLiteral("This run is on SockLab's private lab network, which "
                                       "reaches only its own hosts (client, router, server). To "
                                       "reach %1, run on this machine's network (Network: this "
                                       "machine; socklab-cli --network host).")
                            .arg(host);
            m_bus->post(e);
        }
        // The socket in SYN-SENT after a timeout stays, so the table can show it.
        if (last || out.status == CallOutcome::Status::Timeout)
            return;
        closeSock(label, QStringLiteral("Trying the next address."));
    }
}

// Our own peer accepts on its thread; its filter (blackhole) or timer (drip, reset) starts
// there. The next step waits for it, so the experiment does not race its own peer.
void StepRunner::waitForPeer(int acceptedBefore)
{
    if (const std::shared_ptr<PeerServer> peer = currentPeer())
        peer->waitForAccepted(acceptedBefore + 1, 1000, callToken().wakeFd());
}

// Where our listener `listener` listened last (it may have closed since); an error event
// on `label` if it never did.
std::optional<std::pair<QString, quint16>>
StepRunner::listenedAt(const QString &listener, const QString &label, const char *op)
{
    if (const auto where = m_reg.listenedAt(listener))
        return where;
    Event e = makeEvent(EventKind::Error, label, QLatin1String(op));
    e.err = EINVAL;
    e.detail = QStringLiteral("%1 never listened, so it has no port to use.").arg(listener);
    m_bus->post(e);
    return std::nullopt;
}

bool StepRunner::listenStep(const QString &wanted, const QString &bindHost, quint16 port,
                            int backlog, const SocketOptions &o)
{
    const QString label = wanted;
    takeLabel(label);
    m_reg.setFailed(label, true); // until it listens
    if (const QString bad = o.validate(); !bad.isEmpty()) {
        Event e = makeEvent(EventKind::Error, label, QStringLiteral("setsockopt"));
        e.err = EINVAL;
        e.detail = bad;
        m_bus->post(e);
        return false;
    }
    const QString host = bindHost.isEmpty() ? QStringLiteral("127.0.0.1") : bindHost;
    ResolvedAddress a;
    if (!ops::parseNumericAddress(host, port, &a)) {
        QList<ResolvedAddress> addrs;
        QString why;
        if (resolveName(host, port, &addrs, &why) != 0) {
            Event e = makeEvent(callToken().isCancelled() ? EventKind::Cancelled : EventKind::Error,
                                label, QStringLiteral("resolve"));
            e.detail = why;
            m_bus->post(e);
            return false;
        }
        a = addrs.first();
    }
    const auto sp = std::make_shared<Sock>();
    Sock &s = *sp;
    s.role = Sock::Role::Listener;
    s.options = o;
    s.bindHost = host;
    s.backlog = backlog;
    s.fd = m_net->tcpSocket(a.family, false);
    if (s.fd < 0) {
        postError(label, QStringLiteral("socket"), errno);
        return false;
    }
    m_monitor->nameSocket(s.fd, label);
    if (!m_options.applyAll(s.fd, label, o)) {
        platform::closeFd(s.fd);
        return false;
    }
    if (const int err = ops::bind(s.fd, a)) {
        platform::closeFd(s.fd);
        postError(label, QStringLiteral("bind"), err,
                  err == EADDRINUSE ? portHolders(port) : QString());
        return false;
    }
    Event b = makeEvent(EventKind::Bound, label, QStringLiteral("bind"));
    b.local = ops::localAddressText(s.fd);
    m_bus->post(b);
    if (const int err = ops::listen(s.fd, backlog)) {
        platform::closeFd(s.fd);
        postError(label, QStringLiteral("listen"), err,
                  err == EADDRINUSE ? portHolders(port) : QString());
        return false;
    }
    s.port = ops::localPort(s.fd);
    m_reg.add(label, sp);
    m_reg.setListenedAt(label, host, s.port);
    m_reg.setFailed(label, false);
    m_monitor->addPort(s.port);
    Event l = makeEvent(EventKind::Listening, label, QStringLiteral("listen"));
    l.local = ops::localAddressText(s.fd);
    l.detail = QStringLiteral("Backlog %1.").arg(backlog);
    if (host == QLatin1String("0.0.0.0") || host == QLatin1String("::"))
        l.detail += QStringLiteral(" WARNING: listening on ALL interfaces; any machine that "
                                   "can reach this one can connect.");
    m_bus->post(l);
    return true;
}

// Accepts one connection as `label`; false if none was accepted. `t`: the step's tickets,
// whose place in the new socket's lane it takes once a connection is there (nullptr: the
// caller holds that lane). `current`: the timeout and mechanism to accept with, if not
// the listener's own.
bool StepRunner::acceptStep(const QString &ll, const QString &label, StepTickets *t,
                            const std::optional<SocketOptions> &current)
{
    const SockPtr lp = m_reg.find(ll);
    if (!lp && m_reg.failed(ll))
        return false; // its listen failed, and said so
    if (!lp || lp->role != Sock::Role::Listener) {
        Event e = makeEvent(EventKind::Error, ll, QStringLiteral("accept"));
        e.err = EINVAL;
        e.detail = QStringLiteral("There is no listening socket to accept on.");
        m_bus->post(e);
        return false;
    }
    Sock &l = *lp;
    const SocketOptions o = l.options;
    const std::optional<CallSpec> spec = m_calls.spec(
        l, ll, QStringLiteral("accept"), current ? current->acceptTimeout : o.acceptTimeout,
        current ? current->mechanism : o.mechanism);
    if (!spec || !m_options.armKernelTimeout(l, ll, OptionId::RcvTimeo, *spec))
        return false;
    m_bus->post(CallReporter::callEvent(EventKind::Accepting, ll, QStringLiteral("accept"), *spec));
    const CallOutcome out = ops::accept(l.fd, spec->t, spec->m, callToken());
    if (!m_calls.reportOutcome(ll, QStringLiteral("accept"), out, *spec))
        return false;
    std::optional<LaneLease> lease;
    if (t) {
        t->madeUsed = true;
        if (!acquireLane(label, t->madeTicket, QStringLiteral("accept"), label)) {
            platform::closeFd(out.fd); // Stop came while an earlier call on the label ran
            return false;
        }
        lease.emplace(&m_reg, label);
    }
    takeLabel(label);
    const auto ap = std::make_shared<Sock>();
    Sock &a = *ap;
    a.fd = out.fd;
    a.role = Sock::Role::Accepted;
    a.options = o;
    a.options.deadlineMs.reset(); // the listener's deadline, not one for its connections
    a.connected.store(true);
    // Linux copies SO_RCVTIMEO/SO_SNDTIMEO to the accepted socket: track what it has.
    platform::getOption(out.fd, OptionId::RcvTimeo, &a.rcvTimeoMs);
    platform::getOption(out.fd, OptionId::SndTimeo, &a.sndTimeoMs);
    m_reg.add(label, ap);
    Event e = makeEvent(EventKind::Accepted, label, QStringLiteral("accept"));
    stampEnd(e, out);
    e.elapsed = out.elapsed();
    e.local = ops::localAddressText(out.fd);
    e.remote = ops::peerAddressText(out.fd);
    e.detail = QStringLiteral("Accepted on %1.").arg(ll);
    m_bus->post(e);
    m_monitor->nameSocket(out.fd, label);
    m_options.reportInherited(out.fd, label, o);
    if (o.keepAlive.value_or(false))
        m_monitor->watchKeepalive(out.fd, label, OptionApplier::effectiveKeepIdle(out.fd));
    else
        m_monitor->watchData(out.fd, label);
    return true;
}

void StepRunner::acceptLoop(const Step &s)
{
    const quint64 gen = m_generation->load();
    for (int n = 0; s.count == 0 || n < s.count; ++n) {
        if (gen != m_generation->load())
            return;
        // Its own lane from the start: a fresh label has no call ahead of it.
        const QString label = m_reg.freshLabel("a");
        if (!acquireLane(label, m_reg.ticket(label, QStringLiteral("accept"), callRun()),
                         QStringLiteral("accept"), label))
            return;
        LaneLease lease(&m_reg, label);
        if (!acceptStep(s.listener, label, nullptr, s.current))
            return;
        if (s.seconds != 0)
            holdStep(label, s.seconds);
        if (gen != m_generation->load())
            return;
        closeSock(label, QStringLiteral("The server closes first, so this side keeps the "
                                        "connection in TIME_WAIT."));
    }
}

SockPtr StepRunner::connectedSock(const QString &label, const QString &op)
{
    SockPtr s = m_reg.find(label);
    if (s && s->connected.load())
        return s;
    if (!s) {
        Event e = makeEvent(EventKind::Error, label, op);
        e.err = EBADF;
        e.detail = QStringLiteral("There is no socket %1.").arg(label);
        m_bus->post(e);
    }
    return nullptr; // a socket whose connect failed was already reported
}

// `current`: the timeout and mechanism given with the call (the panels' when it was
// pressed), else the socket's own.
void StepRunner::sendStep(const QString &label, const QByteArray &data,
                          const std::optional<SocketOptions> &current)
{
    const SockPtr s = connectedSock(label, QStringLiteral("send"));
    if (!s)
        return;
    applyLive(*s, label, current);
    const std::optional<CallSpec> spec = m_calls.spec(
        *s, label, QStringLiteral("send"), current ? current->sendTimeout : s->options.sendTimeout,
        current ? current->mechanism : s->options.mechanism);
    if (!spec || !m_options.armKernelTimeout(*s, label, OptionId::SndTimeo, *spec))
        return;
    Event st = CallReporter::callEvent(EventKind::Sending, label, QStringLiteral("send"), *spec);
    st.bytes = data.size();
    m_bus->post(st);
    const CallOutcome out =
        ops::sendAll(s->fd, data.constData(), size_t(data.size()), spec->t, spec->m, callToken());
    if (out.bytes > 0)
        m_monitor->dataSent(s->fd); // its resends, if no ACK comes
    if (!m_calls.reportOutcome(label, QStringLiteral("send"), out, *spec)) {
        if (out.bytes > 0) {
            Event p = makeEvent(EventKind::Info, label, QStringLiteral("send"));
            p.bytes = out.bytes;
            p.detail = QStringLiteral("%1 of %2 bytes went into the send buffer before that.")
                           .arg(out.bytes)
                           .arg(data.size());
            m_bus->post(p);
        }
        return;
    }
    Event e = makeEvent(EventKind::Sent, label, QStringLiteral("send"));
    stampEnd(e, out);
    e.elapsed = out.elapsed();
    e.bytes = out.bytes;
    e.data = escapeBytes(data);
    m_bus->post(e);
}

// Reports the calls summed in *sum (if any) as one receiving/received pair.
// `c`: the spec of the calls (with a deadline, the timeout of the latest).
void StepRunner::flushRecvSummary(const QString &label, qint64 maxBytes, const CallSpec &c,
                                  RecvSummary *sum)
{
    if (sum->calls == 0)
        return;
    Event st = CallReporter::callEvent(EventKind::Receiving, label, QStringLiteral("recv"), c);
    st.monoNs = sum->sinceNs;
    st.bytes = maxBytes;
    m_bus->post(st);
    Event e = makeEvent(EventKind::Received, label, QStringLiteral("recv"));
    e.monoNs = sum->endNs;
    e.wall = sum->endWall;
    e.elapsed = (sum->endNs - sum->sinceNs) / 1e9;
    e.bytes = sum->bytes;
    e.data = escapeBytes(sum->last);
    e.payload = std::exchange(sum->payload, {});
    e.payloadKept = true;
    e.detail = QStringLiteral("%1 recv() calls returned %2 bytes in %3: data arrives faster "
                              "than each call can usefully be shown, so they are summed, one "
                              "event per %4 ms.")
                   .arg(sum->calls)
                   .arg(sum->bytes)
                   .arg(secondsText(*e.elapsed))
                   .arg(kRecvSummaryNs / 1000000);
    m_bus->post(e);
    sum->calls = sum->bytes = 0;
    sum->last.clear();
}

// One recv() call. Returns true if it received data. With an active summary a call that
// receives data is added to it instead of being reported.
bool StepRunner::recvStep(const QString &label, qint64 maxBytes,
                          const std::optional<SocketOptions> &current, RecvSummary *sum)
{
    const SockPtr s = connectedSock(label, QStringLiteral("recv"));
    if (!s)
        return false;
    applyLive(*s, label, current);
    const std::optional<CallSpec> spec = m_calls.spec(
        *s, label, QStringLiteral("recv"), current ? current->recvTimeout : s->options.recvTimeout,
        current ? current->mechanism : s->options.mechanism);
    if (!spec) {
        if (sum)
            flushRecvSummary(label, maxBytes, sum->spec, sum);
        return false;
    }
    if (!m_options.armKernelTimeout(*s, label, OptionId::RcvTimeo, *spec))
        return false;
    const bool quiet = sum && sum->active;
    Event st = CallReporter::callEvent(EventKind::Receiving, label, QStringLiteral("recv"), *spec);
    st.bytes = maxBytes;
    if (!quiet)
        m_bus->post(st);
    QByteArray buf(int(std::clamp<qint64>(maxBytes, 1, 1 << 20)), Qt::Uninitialized);
    const CallOutcome out =
        ops::recv(s->fd, buf.data(), size_t(buf.size()), spec->t, spec->m, callToken());
    if (quiet && out.status != CallOutcome::Status::Ok) {
        // The sum so far, then this call on its own, so its end has its start.
        flushRecvSummary(label, maxBytes, sum->spec, sum);
        st.monoNs = out.startNs;
        m_bus->post(st);
    }
    if (!m_calls.reportOutcome(label, QStringLiteral("recv"), out, *spec))
        return false;
    buf.truncate(int(out.bytes));
    if (quiet) {
        if (sum->calls == 0)
            sum->sinceNs = out.startNs;
        sum->spec = *spec;
        ++sum->calls;
        sum->bytes += out.bytes;
        sum->endNs = out.endNs;
        sum->endWall = out.endWall;
        sum->last = buf.left(64);
        if (sum->payload.size() < kPayloadLimit)
            sum->payload += buf.left(kPayloadLimit - sum->payload.size());
        if (sum->endNs - sum->sinceNs >= kRecvSummaryNs)
            flushRecvSummary(label, maxBytes, sum->spec, sum);
        return true;
    }
    Event e = makeEvent(EventKind::Received, label, QStringLiteral("recv"));
    stampEnd(e, out);
    e.elapsed = out.elapsed();
    e.bytes = out.bytes;
    e.data = escapeBytes(buf);
    if (buf.capacity() > 2 * buf.size())
        buf.squeeze(); // a 1 MiB buffer that got 185 bytes is not kept at 1 MiB
    e.payload = buf;
    e.payloadKept = true;
    m_bus->post(e);
    return true;
}

void StepRunner::recvFor(const QString &label, qint64 maxBytes, double seconds,
                         const std::optional<SocketOptions> &current)
{
    const qint64 start = platform::monotonicNs();
    const qint64 end = start + qint64(seconds * 1e9);
    qint64 calls = 0;
    bool ok = true;
    RecvSummary sum;
    qint64 windowNs = start; // calls are counted per second
    int windowCalls = 0;
    while (ok && platform::monotonicNs() < end) {
        ok = recvStep(label, maxBytes, current, &sum);
        ++calls;
        const qint64 now = platform::monotonicNs();
        if (now - windowNs >= 1000000000LL) {
            windowNs = now;
            windowCalls = 0;
        }
        if (++windowCalls > kRecvCallsReported)
            sum.active = true;
    }
    const SockPtr s = m_reg.find(label);
    if (s)
        flushRecvSummary(label, maxBytes, sum.spec, &sum);
    if (!ok)
        return;
    Event e = makeEvent(EventKind::Info, label, QStringLiteral("recv"));
    e.elapsed = (platform::monotonicNs() - start) / 1e9;
    e.detail = QStringLiteral("%1 recv() calls over %2, none timed out: the timeout (%3) "
                              "bounds each call, not the whole exchange.")
                   .arg(calls)
                   .arg(secondsText(*e.elapsed))
                   .arg(s ? (current ? current->recvTimeout : s->options.recvTimeout).toString() +
                                QStringLiteral(" s")
                          : QString());
    if (sum.active)
        e.detail += QStringLiteral(" More than %1 calls in a second: from then on they "
                                   "were reported in sums.")
                        .arg(kRecvCallsReported);
    m_bus->post(e);
}

void StepRunner::holdStep(const QString &label, double seconds)
{
    const SockPtr s = m_reg.find(label);
    if (!s) {
        connectedSock(label, QStringLiteral("hold"));
        return;
    }
    Event h = makeEvent(EventKind::Holding, label, QStringLiteral("hold"));
    if (seconds >= 0)
        h.timeout = seconds;
    else
        h.timeoutNone = true;
    h.detail = QStringLiteral("Idle: the application sends and reads nothing.");
    m_bus->post(h);
    const CallOutcome out = ops::idle(s->connected.load() ? s->fd : -1, seconds, callToken());
    Event e = makeEvent(EventKind::Info, label, QStringLiteral("hold"));
    stampEnd(e, out);
    e.elapsed = out.elapsed();
    switch (out.status) {
    case CallOutcome::Status::Ok:
        e.detail = QStringLiteral("Held the connection idle for %1.").arg(secondsText(seconds));
        break;
    case CallOutcome::Status::PeerClosed:
        e.kind = EventKind::PeerClosed;
        e.detail = QStringLiteral("The peer closed its end (FIN) while we were idle.");
        break;
    case CallOutcome::Status::Cancelled:
        e.kind = EventKind::Cancelled;
        e.detail = QStringLiteral("%1 ended the idle wait.").arg(callToken().who());
        break;
    default:
        e.kind = EventKind::Error;
        e.err = out.err;
        e.detail = explainErrno(out.err, QStringLiteral("hold"));
        break;
    }
    m_bus->post(e);
}

// Closes the listener and listens again on its port, in its lane at once (an accept()
// waiting on it was cancelled to let it in): with the listener options given with the
// step (the panels' when Restart was pressed), else the old listener's.
void StepRunner::restartStep(const Step &step, StepTickets &t)
{
    const QString label = step.sock;
    const SockPtr l = std::exchange(t.taken, {});
    if (!l || l->role != Sock::Role::Listener) {
        if (l)
            m_reg.add(label, l); // not a listener: left as it was
        Event e = makeEvent(EventKind::Error, label, QStringLiteral("listen"));
        e.err = EINVAL;
        e.detail = QStringLiteral("There is no listening socket to restart.");
        m_bus->post(e);
        return;
    }
    closeTaken(label, l, QStringLiteral("Restarting the server."));
    listenStep(label, l->bindHost, l->port, l->backlog, step.current ? *step.current : l->options);
}

// Closes `label` now, whatever its lane is doing: a call on it from another thread is
// cancelled (`who` ended it) and has returned before the descriptor is closed.
void StepRunner::applyLive(EngineSocket &s, const QString &label,
                           const std::optional<SocketOptions> &current)
{
    if (!current || !m_options.applyLive(s, label, *current))
        return;
    if (s.options.keepAlive.value_or(false))
        m_monitor->watchKeepalive(s.fd, label, OptionApplier::effectiveKeepIdle(s.fd));
    else
        m_monitor->watchData(s.fd, label);
}

void StepRunner::closeSock(const QString &label, const QString &why, bool mustNotBlock,
                           const QString &who, const std::optional<SocketOptions> &current)
{
    const SockPtr sp = m_reg.take(label);
    if (!sp)
        return;
    m_reg.interrupt(label, who, callTokenOrNull());
    // No call uses it now: the options the close is given can be set.
    if (current)
        m_options.applyLive(*sp, label, *current);
    closeTaken(label, sp, why, mustNotBlock);
}

// Closes a socket already out of the registry, once no call uses it.
void StepRunner::closeTaken(const QString &label, const SockPtr &sp, const QString &why,
                            bool mustNotBlock)
{
    const Sock &s = *sp;
    m_monitor->unwatch(s.fd);
    // With SO_LINGER > 0 and unacknowledged data, close() blocks up to the linger time.
    if (mustNotBlock && s.options.lingerSec.value_or(0) > 0)
        platform::setOption(s.fd, OptionId::Linger, -1);
    // Read just before close(): what is unread then turns the close into a reset.
    const qint64 unread = s.role == Sock::Role::Listener ? 0 : platform::unreadBytes(s.fd);
    platform::closeFd(s.fd);
    Event e = makeEvent(EventKind::Closed, label, QStringLiteral("close"));
    e.detail = why;
    if (unread > 0) {
        e.bytes = unread;
        e.detail =
            (why.isEmpty() ? QString() : why + QLatin1Char(' ')) + closedWithUnreadData(unread);
    } else if (why.isEmpty() && s.options.lingerSec == 0 && s.connected.load()) {
        e.detail = QStringLiteral("SO_LINGER 0: the kernel sent RST and skipped TIME_WAIT.");
    }
    m_bus->post(e);
}

void StepRunner::closeAll(bool stopping)
{
    const QStringList labels = m_reg.labels();
    for (const QString &l : labels)
        closeSock(l, stopping ? QStringLiteral("Closed by Stop.") : QString(), stopping,
                  stopping ? QStringLiteral("Stop") : QStringLiteral("Close all"));
    if (stopping)
        stopPeer();
}

} // namespace socklab
