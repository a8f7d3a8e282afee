#include "Engine.h"

#include "CancelToken.h"
#include "ErrnoText.h"
#include "KernelFacts.h"
#include "Monitor.h"
#include "PeerServer.h"
#include "SocketOps.h"
#include "SocketRegistry.h"
#include "ThreadHandoff.h"

#include <QHash>
#include <QMutex>
#include <QSet>

#include <cerrno>
#include <condition_variable>
#include <deque>
#include <list>
#include <mutex>
#include <thread>
#include <utility>

#include <pthread.h>
#include <sys/socket.h>
#include <unistd.h>

namespace socklab {

using platform::OptionId;

namespace {
using Sock = EngineSocket;
using SockPtr = SocketRegistry::Ptr;

// The thread a step runs on: its token (what Stop and a Close cancel) and its run.
struct RunContext
{
    CancelToken *token = nullptr;
    quint64 run = 0;
};
thread_local RunContext t_context;

CancelToken &token()
{
    Q_ASSERT(t_context.token);
    return *t_context.token;
}

// Makes `t` and `run` the calling thread's for the scope.
class ContextScope
{
  public:
    ContextScope(CancelToken *t, quint64 run) : m_saved(t_context) { t_context = {t, run}; }
    ~ContextScope() { t_context = m_saved; }
    ContextScope(const ContextScope &) = delete;
    ContextScope &operator=(const ContextScope &) = delete;

  private:
    RunContext m_saved;
};

QString secondsText(double s)
{
    return QString::number(s, 'f', 3) + QStringLiteral(" s");
}

// A receive loop against a peer that floods would report hundreds of thousands of calls a
// second, and every consumer (the log, the timeline, a terminal) would fall behind and grow
// without bound. Past this many calls in its first second a loop reports its calls in sums,
// one pair of events per period; errors, timeouts and the peer's close are still reported
// one by one. A drip (a call a second) stays call by call.
constexpr int kRecvCallsReported = 100;
constexpr qint64 kRecvSummaryNs = 100 * 1000000LL;

// What a call runs with: its timeout (its own, or what is left of the socket's deadline),
// the mechanism, and the socket's total deadline if it has one.
struct CallSpec
{
    Timeout t;
    TimeoutMechanism m = TimeoutMechanism::Poll;
    std::optional<qint64> deadlineMs;
    bool fromDeadline = false; // t is the time left of the deadline, shorter than its own
    std::optional<int> synCnt; // connect(): the socket's own SYN budget, if it set one
};

struct RecvSummary
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

// An event observed when a call returned: both clocks as the call read them.
void stampEnd(Event &e, const CallOutcome &o)
{
    e.monoNs = o.endNs;
    e.wall = o.endWall;
}
} // namespace

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
// sockets live in the registry, whose lanes order the calls on each socket.
class StepRunner
{
  public:
    StepRunner(EventBus *bus, Monitor *monitor, std::atomic<quint64> *generation,
               platform::SocketFactory *net)
        : m_bus(bus), m_monitor(monitor), m_generation(generation), m_net(net)
    {
    }
    ~StepRunner()
    {
        CancelToken own;
        ContextScope scope(&own, 0);
        closeAll(false);
        stopPeer();
    }

    // Steps that never wait on the network: a run of only these gets a call thread even when
    // all are taken.
    static bool actsAtOnce(Step::Kind k)
    {
        return k == Step::Kind::Close || k == Step::Kind::CloseAll || k == Step::Kind::PullPlug ||
               k == Step::Kind::StopPeer;
    }
    // Steps that end the socket they are on: they cancel the calls ahead of them in its lane
    // instead of waiting for them.
    static bool preempts(Step::Kind k)
    {
        return k == Step::Kind::Close || k == Step::Kind::Restart;
    }

    // The issuing thread, in the order runs are issued: names what the steps leave unnamed
    // (a new socket's label, "the last listener") and gives each step its place in the lane
    // of the socket it calls on, so that calls on one socket run in the order issued.
    void prepare(EngineRun &r)
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

    // A call thread, with its context (token, run) set.
    void runSteps(EngineRun &r)
    {
        platform::setPreciseTimerSlack();
        bool aborted = false;
        for (int i = 0; i < r.steps.size(); ++i) {
            token().reset(); // then the generation: a Stop after this reset still shows
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
                        ? m_reg.preempt(t.lane, t.ticket, &token(),
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
            Event fin = make(EventKind::Finished, {});
            fin.run = r.id;
            if (aborted)
                fin.detail = QString::fromLatin1(Engine::kAbortedDetail);
            post(fin);
        }
    }

    // Stop, once no call runs: closes every socket, stops the peer, says Finished.
    void stopAll(quint64 id)
    {
        closeAll(true);
        m_reg.clearLanes();
        Event e = make(EventKind::Finished, {});
        e.run = id;
        e.detail = QStringLiteral("stopped");
        post(e);
    }

    // Any thread. Takes no lock that is held across a wait: the peer is reached through its
    // own reference, and PeerServer::pullPlug() only sets a flag and wakes the peer's thread.
    void pullPlugNow(const QString &sock)
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
            Event e = make(EventKind::Info, label, QStringLiteral("pull-plug"));
            e.err = platform::attachDropFilter(s.fd);
            e.kind = e.err ? EventKind::Error : EventKind::Info;
            e.detail = e.err ? dropFilterRefused(e.err, QStringLiteral("pulls the plug"))
                             : QStringLiteral("Plug pulled on our side: the kernel now drops "
                                              "every segment arriving for this socket.");
            post(e);
        });
    }

    static QString opOf(Step::Kind k)
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
        default:
            return {};
        }
    }

  private:
    static Event make(EventKind kind, const QString &sock, const QString &op = {})
    {
        Event e;
        e.kind = kind;
        e.sock = sock;
        e.op = op;
        return e;
    }
    void post(const Event &e) { m_bus->post(e); }

    void postError(const QString &sock, const QString &op, int err, const QString &extra = {})
    {
        Event e = make(EventKind::Error, sock, op);
        e.err = err;
        e.detail = explainErrno(err, op);
        if (!extra.isEmpty())
            e.detail = extra + QLatin1Char(' ') + e.detail;
        post(e);
    }

    void abandonUnused(StepTickets &t)
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
    bool acquireLane(const QString &lane, quint64 ticket, const QString &op, const QString &sock)
    {
        const qint64 t0 = platform::monotonicNs();
        bool queued = false;
        const bool got =
            m_reg.acquire(lane, ticket, &token(), [&](const SocketRegistry::Holder &ahead) {
                queued = true;
                Event q = make(EventKind::Queued, sock.isEmpty() ? lane : sock, op);
                q.extra.insert(QStringLiteral("lane"), lane);
                if (!ahead.op.isEmpty())
                    q.extra.insert(QStringLiteral("behind"), ahead.op);
                if (ahead.run)
                    q.extra.insert(QStringLiteral("behind_run"), qint64(ahead.run));
                const QString what =
                    ahead.op.isEmpty()
                        ? QStringLiteral("an earlier call")
                        : QStringLiteral("%1() (run %2)").arg(ahead.op).arg(ahead.run);
                q.detail = QStringLiteral("%1() on %2 waits its turn: %3 %4 on it first. Calls "
                                          "on one socket run one at a time, in the order they "
                                          "were given; Close or Stop ends the wait.")
                               .arg(op, lane, what,
                                    ahead.running ? QStringLiteral("is still running")
                                                  : QStringLiteral("was given earlier and runs"));
                post(q);
            });
        if (!got && queued) {
            Event c = make(EventKind::Cancelled, sock.isEmpty() ? lane : sock, op);
            c.elapsed = (platform::monotonicNs() - t0) / 1e9;
            c.detail = QStringLiteral("%1 ended the wait for %2() on %3 after %4.")
                           .arg(token().who(), op, lane, secondsText(*c.elapsed));
            post(c);
        }
        return got;
    }

    // The socket `label` is about to be made: one that has the label is closed first.
    void takeLabel(const QString &label)
    {
        if (m_reg.find(label))
            closeSock(label, QStringLiteral("A new socket takes over the label %1.").arg(label),
                      false, QStringLiteral("A new socket on %1").arg(label));
    }

    // False when the rest of the run cannot mean anything (its built-in peer did not start).
    bool execute(const Step &s, StepTickets &t)
    {
        switch (s.kind) {
        case Step::Kind::StartPeer:
            if (!startPeer(s.peer)) {
                Event e = make(EventKind::Info, QStringLiteral("peer"));
                e.detail = QStringLiteral("The experiment stops here: it needs its built-in "
                                          "peer, which did not start (see the error above).");
                post(e);
                return false;
            }
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
            closeSock(s.sock, QString()); // one an earlier step made meanwhile
            break;
        case Step::Kind::CloseAll:
            closeAll(false);
            break;
        case Step::Kind::PullPlug:
            pullPlugNow(s.sock);
            break;
        case Step::Kind::Restart:
            restartStep(s, t);
            break;
        }
        return true;
    }

    // --- options ---------------------------------------------------------------------------

    static QVariant shown(OptionId id, qint64 v)
    {
        switch (optionDef(id).kind) {
        case OptionKind::Flag:
            return QVariant(v != 0);
        case OptionKind::Linger:
            return v < 0 ? QVariant(QStringLiteral("off")) : QVariant(v);
        case OptionKind::Timeval:
            return v == 0 ? QVariant(QStringLiteral("none")) : QVariant(v / 1000.0);
        case OptionKind::Number:
            break;
        }
        return QVariant(v);
    }

    static QString optionNote(OptionId id, qint64 requested, qint64 effective)
    {
        if ((id == OptionId::RcvBuf || id == OptionId::SndBuf) && effective != requested)
            return effective == requested * 2
                       ? QStringLiteral("The kernel doubles the value to leave room for its "
                                        "own bookkeeping (socket(7)).")
                       : QStringLiteral("The kernel doubled and clamped the value (limits in "
                                        "/proc/sys/net/core/%1_max and a minimum).")
                             .arg(id == OptionId::RcvBuf ? QStringLiteral("rmem")
                                                         : QStringLiteral("wmem"));
        if (effective != requested)
            return QStringLiteral("The kernel reads back a different value.");
        return {};
    }

    // Applies one option and reads it back. False (and an error event) if the kernel refused.
    bool apply(int fd, const QString &sock, OptionId id, qint64 value)
    {
        if (const int err = platform::setOption(fd, id, value)) {
            Event e = make(EventKind::Error, sock, QStringLiteral("setsockopt"));
            e.err = err;
            e.option = platform::optionName(id);
            e.requested = shown(id, value);
            e.detail = explainErrno(err, e.op);
            post(e);
            return false;
        }
        qint64 eff = 0;
        platform::getOption(fd, id, &eff);
        Event e = make(EventKind::OptionSet, sock, QStringLiteral("setsockopt"));
        e.option = platform::optionName(id);
        e.requested = shown(id, value);
        e.effective = shown(id, eff);
        e.detail = optionNote(id, value, eff);
        post(e);
        return true;
    }

    bool applyOptions(int fd, const QString &sock, const SocketOptions &o)
    {
        // The table's order: reuse before bind, buffers before connect (window scaling).
        for (const OptionDef &d : kOptionTable) {
            const std::optional<qint64> v = optionValue(d, o);
            if (v && !apply(fd, sock, d.id, *v))
                return false;
        }
        if (o.keepAlive.value_or(false))
            reportKeepaliveDefaults(fd, sock, o);
        return true;
    }

    // Keepalive's parameters left unset run with the system's settings: say which, and where
    // they came from.
    void reportKeepaliveDefaults(int fd, const QString &sock, const SocketOptions &o)
    {
        for (const OptionDef &d : kOptionTable) {
            if (!isKeepaliveParameter(d) || o.*d.number)
                continue;
            qint64 v = 0;
            platform::getOption(fd, d.id, &v);
            Event e = make(EventKind::SystemDefault, sock, QStringLiteral("getsockopt"));
            e.option = QLatin1String(d.name);
            e.effective = v;
            e.detail = QStringLiteral("Not set: the system default from %1 applies.")
                           .arg(platform::keepaliveDefaultSource(d.id));
            post(e);
        }
    }

    void readInherited(int fd, const QString &sock, const SocketOptions &listenerOpts)
    {
        for (const OptionDef &d : kOptionTable) {
            const std::optional<qint64> v = optionValue(d, listenerOpts);
            if (!v || !d.inherited)
                continue;
            qint64 eff = 0;
            platform::getOption(fd, d.id, &eff);
            Event e = make(EventKind::OptionInherited, sock, QStringLiteral("getsockopt"));
            e.option = QLatin1String(d.name);
            e.requested = shown(d.id, *v);
            e.effective = shown(d.id, eff);
            e.detail = QStringLiteral("Set on the listener, read back on the accepted socket.");
            post(e);
        }
    }

    int effectiveKeepIdle(int fd)
    {
        qint64 v = 0;
        platform::getOption(fd, OptionId::KeepIdle, &v);
        return int(v);
    }

    // In sockopt mode the kernel enforces the timeout, so each call gets its own value set
    // just before it (SO_SNDTIMEO also bounds connect(), SO_RCVTIMEO also accept()).
    bool armKernelTimeout(Sock &s, const QString &label, OptionId id, const CallSpec &c)
    {
        const Timeout &t = c.t;
        if (c.m != TimeoutMechanism::SockOpt || t.mode == Timeout::Mode::NonBlocking)
            return true;
        const qint64 ms = t.isForever() ? 0 : t.ms;
        qint64 &current = id == OptionId::RcvTimeo ? s.rcvTimeoMs : s.sndTimeoMs;
        if (current == ms)
            return true;
        if (!apply(s.fd, label, id, ms))
            return false;
        current = ms;
        return true;
    }

    // --- events around calls ---------------------------------------------------------------

    // The spec of a call on s with its own timeout `own`. With a deadline, the deadline's clock
    // starts at the socket's first call and the call gets its own timeout or the time left,
    // whichever is shorter. nullopt when the deadline has run out: then no call is made, and
    // an error says so (a program that keeps a deadline raises before calling).
    // `m`: the mechanism this call runs with (the socket's, or the one given with the call).
    std::optional<CallSpec> callSpec(Sock &s, const QString &label, const QString &op,
                                     const Timeout &own, TimeoutMechanism m)
    {
        CallSpec c;
        c.t = own;
        c.m = m;
        c.deadlineMs = s.options.deadlineMs;
        if (!c.deadlineMs)
            return c;
        const qint64 now = platform::monotonicNs();
        if (s.deadlineNs == 0)
            s.deadlineNs = now + *c.deadlineMs * 1000000LL;
        const qint64 leftMs = (s.deadlineNs - now) / 1000000LL;
        if (leftMs <= 0) {
            Event e = make(EventKind::Error, label, op);
            e.extra.insert(QStringLiteral("deadline"), *c.deadlineMs / 1000.0);
            e.extra.insert(QStringLiteral("deadline_passed"), true);
            e.detail = QStringLiteral("%1() was not called: the %2 total deadline of %3 ran out "
                                      "%4 ago, so no time is left for it.")
                           .arg(op, secondsText(*c.deadlineMs / 1000.0), label,
                                secondsText((now - s.deadlineNs) / 1e9));
            post(e);
            return std::nullopt;
        }
        if (own.mode != Timeout::Mode::NonBlocking && (own.isForever() || own.ms > leftMs)) {
            c.t = Timeout::fromMs(leftMs);
            c.fromDeadline = true;
        }
        return c;
    }

    Event callEvent(EventKind kind, const QString &sock, const QString &op, const CallSpec &c)
    {
        Event e = make(kind, sock, op);
        e.timeout = c.t.seconds();
        e.timeoutNone = c.t.isForever();
        e.mechanism = mechanismName(c.m);
        if (c.deadlineMs) // the socket's total; `timeout` is what this call had
            e.extra.insert(QStringLiteral("deadline"), *c.deadlineMs / 1000.0);
        return e;
    }

    QString timeoutDetail(const QString &op, const CallOutcome &o, const CallSpec &c)
    {
        const Timeout &t = c.t;
        const TimeoutMechanism m = c.m;
        const double over = (o.elapsed() - t.ms / 1000.0) * 1000.0;
        const QString overshoot = QStringLiteral(" Waited %1, %2 ms past the deadline.")
                                      .arg(secondsText(o.elapsed()))
                                      .arg(over, 0, 'f', 3);
        // What ends a connect attempt in SYN-SENT, whichever mechanism gave up on it.
        const auto synSentEnds = [] {
            return facts::expand(QStringLiteral("until it connects, its SYN budget "
                                                "({net.ipv4.tcp_syn_retries}, or TCP_SYNCNT) or "
                                                "TCP_USER_TIMEOUT runs out, or the socket is "
                                                "closed"),
                                 nullptr);
        };
        const QString total =
            c.fromDeadline
                ? QStringLiteral("The total deadline (%1) ran out: this call had the %2 left of "
                                 "it, less than its own timeout. ")
                      .arg(secondsText(*c.deadlineMs / 1000.0), secondsText(t.ms / 1000.0))
                : QString();
        if (m == TimeoutMechanism::Poll)
            return total +
                   QStringLiteral("%1() did not complete within its %2 deadline (ppoll on the "
                                  "monotonic clock, as Python's settimeout does).%3")
                       .arg(op, secondsText(t.ms / 1000.0), overshoot) +
                   (op == QLatin1String("connect")
                        ? QStringLiteral(" No answer to the SYN in time; the socket was in "
                                         "SYN-SENT, where the kernel resends the SYN %1.")
                              .arg(synSentEnds())
                        : QString());
        if (op == QLatin1String("connect"))
            return total +
                   QStringLiteral("SO_SNDTIMEO expired: connect() returned EINPROGRESS while the "
                                  "kernel goes on resending the SYN in SYN-SENT in the background "
                                  "(see the socket table) %1; a second connect() waits again and "
                                  "returns EALREADY.")
                       .arg(synSentEnds()) +
                   overshoot;
        return total +
               QStringLiteral("%1 expired: %2() returned EAGAIN. The kernel's timer wheel "
                              "rounds a timeout up to the step of its level, in ticks of %3; "
                              "the step grows with the timeout.%4")
                   .arg(op == QLatin1String("send") ? QStringLiteral("SO_SNDTIMEO")
                                                    : QStringLiteral("SO_RCVTIMEO"),
                        op, facts::render(QStringLiteral("jiffy_ms")), overshoot);
    }

    // Reports the outcome of a timed call that did not succeed. True if it did succeed.
    bool reportOutcome(const QString &sock, const QString &op, const CallOutcome &o,
                       const CallSpec &c)
    {
        const Timeout &t = c.t;
        const TimeoutMechanism m = c.m;
        Event e = callEvent(EventKind::Error, sock, op, c);
        stampEnd(e, o);
        e.elapsed = o.elapsed();
        switch (o.status) {
        case CallOutcome::Status::Ok:
            return true;
        case CallOutcome::Status::Timeout:
            e.kind = EventKind::Timeout;
            e.err = m == TimeoutMechanism::SockOpt ? o.err : 0;
            e.detail = timeoutDetail(op, o, c);
            break;
        case CallOutcome::Status::Cancelled:
            e.kind = EventKind::Cancelled;
            e.detail = QStringLiteral("%1 ended %2() after %3.")
                           .arg(token().who(), op, secondsText(o.elapsed()));
            break;
        case CallOutcome::Status::PeerClosed:
            e.kind = EventKind::PeerClosed;
            e.detail = QStringLiteral("%1() returned 0: the peer closed its end (FIN).").arg(op);
            break;
        case CallOutcome::Status::Error:
            if (o.err == ETIMEDOUT)
                m_monitor->refreshProbes(); // the probes behind it come first
            e.err = o.err;
            e.detail = explainErrno(o.err, op);
            if (o.err == ETIMEDOUT && c.synCnt)
                e.detail = synGiveUpText(c.synCnt);
            if (o.err == EINPROGRESS && t.mode == Timeout::Mode::NonBlocking)
                e.detail = QStringLiteral("Timeout 0 makes the socket non-blocking: connect() "
                                          "returns EINPROGRESS at once and the handshake goes "
                                          "on in the background.");
            else if (o.err == EAGAIN && t.mode == Timeout::Mode::NonBlocking)
                e.detail = QStringLiteral("Timeout 0 makes the socket non-blocking: nothing was "
                                          "ready, so %1() returned EAGAIN at once.")
                               .arg(op);
            break;
        }
        post(e);
        return false;
    }

    // --- steps -----------------------------------------------------------------------------

    bool startPeer(const PeerConfig &cfg)
    {
        stopPeer();
        auto peer = std::make_shared<PeerServer>(m_bus, m_monitor, m_net);
        if (peer->start(cfg) != 0)
            return false;
        QMutexLocker lock(&m_peerMutex);
        m_peer = std::move(peer);
        return true;
    }

    // m_peerMutex guards the pointer only, never a call on the peer: each user takes its own
    // reference and lets go of the lock before it waits.
    std::shared_ptr<PeerServer> currentPeer()
    {
        QMutexLocker lock(&m_peerMutex);
        return m_peer;
    }

    void stopPeer()
    {
        std::shared_ptr<PeerServer> peer;
        {
            QMutexLocker lock(&m_peerMutex);
            peer = std::move(m_peer);
        }
        peer.reset(); // the last reference (a pull-plug in flight may hold one for a moment)
    }

    void connectStep(const Step &step)
    {
        const QString label = step.sock;
        takeLabel(label);
        const SocketOptions &o = step.options;
        if (const QString bad = o.validate(); !bad.isEmpty()) {
            Event e = make(EventKind::Error, label, QStringLiteral("setsockopt"));
            e.err = EINVAL;
            e.detail = bad;
            post(e);
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
                Event e = make(EventKind::Error, label, QStringLiteral("connect"));
                e.err = ENOTCONN;
                e.detail = QStringLiteral("No built-in peer is running to connect to.");
                post(e);
                return;
            }
            host = peer->host();
            port = peer->port();
            peerAccepted = peer->acceptedCount();
        }
        Event r = make(EventKind::Resolving, label, QStringLiteral("resolve"));
        r.remote = QStringLiteral("%1:%2").arg(host).arg(port);
        post(r);
        QList<ResolvedAddress> addrs;
        QString why;
        const qint64 t0 = platform::monotonicNs();
        if (ops::resolve(host, port, token(), &addrs, &why) != 0) {
            Event e = make(token().isCancelled() ? EventKind::Cancelled : EventKind::Error, label,
                           QStringLiteral("resolve"));
            e.detail = why;
            e.elapsed = (platform::monotonicNs() - t0) / 1e9;
            post(e);
            return;
        }
        Event rd = make(EventKind::Resolved, label, QStringLiteral("resolve"));
        QStringList texts;
        for (const auto &a : addrs)
            texts << a.text;
        rd.elapsed = (platform::monotonicNs() - t0) / 1e9;
        rd.detail = texts.join(QStringLiteral(", "));
        post(rd);

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
                applyOptions(s.fd, label, o)
                    ? callSpec(s, label, QStringLiteral("connect"), o.connectTimeout, o.mechanism)
                    : std::nullopt;
            if (spec)
                spec->synCnt = o.synCnt;
            if (!spec || !armKernelTimeout(s, label, OptionId::SndTimeo, *spec)) {
                ::close(s.fd);
                return;
            }
            m_monitor->watchConnect(s.fd, label); // its SYN retransmissions
            deadlineNs = s.deadlineNs;
            m_reg.add(label, sp);
            Event c = callEvent(EventKind::Connecting, label, QStringLiteral("connect"), *spec);
            c.remote = a.text;
            post(c);
            const CallOutcome out = ops::connect(s.fd, a, spec->t, spec->m, token());
            if (reportOutcome(label, QStringLiteral("connect"), out, *spec)) {
                s.connected.store(true);
                Event ok = make(EventKind::Connected, label, QStringLiteral("connect"));
                stampEnd(ok, out);
                ok.elapsed = out.elapsed();
                ok.local = ops::localAddressText(s.fd);
                ok.remote = ops::peerAddressText(s.fd);
                post(ok);
                m_monitor->nameSocket(s.fd, label); // now with its addresses
                if (peerAccepted >= 0)
                    waitForPeer(peerAccepted);
                if (o.keepAlive.value_or(false))
                    m_monitor->watchKeepalive(s.fd, label, effectiveKeepIdle(s.fd));
                else
                    m_monitor->watchData(s.fd, label); // the resends of what it sends
                return;
            }
            if (out.status == CallOutcome::Status::Cancelled)
                return;
            // The socket in SYN-SENT after a timeout stays, so the table can show it.
            if (last || out.status == CallOutcome::Status::Timeout)
                return;
            closeSock(label, QStringLiteral("Trying the next address."));
        }
    }

    // Our own peer accepts on its thread; its filter (blackhole) or timer (drip, reset) starts
    // there. The next step waits for it, so the experiment does not race its own peer.
    void waitForPeer(int acceptedBefore)
    {
        if (const std::shared_ptr<PeerServer> peer = currentPeer())
            peer->waitForAccepted(acceptedBefore + 1, 1000, token().wakeFd());
    }

    QString holdersOf(quint16 port)
    {
        QList<platform::DiagRow> rows;
        if (platform::dumpTcpSockets({port}, &rows, *m_net) != 0)
            return {};
        int tw = 0, listeners = 0, other = 0;
        qint64 longest = 0;
        for (const auto &r : rows) {
            if (r.localPort != port)
                continue;
            if (r.timer == platform::DiagRow::Timer::TimeWait) {
                ++tw;
                longest = std::max(longest, r.expiresMs);
            } else if (platform::tcpStateName(r.state) == QLatin1String("LISTEN")) {
                ++listeners;
            } else {
                ++other;
            }
        }
        QStringList parts;
        if (listeners)
            parts << QStringLiteral("%1 live listener(s)").arg(listeners);
        if (tw)
            parts << QStringLiteral("%1 connection(s) in TIME_WAIT (%2 s left at most)")
                         .arg(tw)
                         .arg(longest / 1000.0, 0, 'f', 1);
        if (other)
            parts << QStringLiteral("%1 other connection(s)").arg(other);
        if (parts.isEmpty())
            return {};
        return QStringLiteral("The kernel's table shows port %1 held by %2.")
            .arg(port)
            .arg(parts.join(QStringLiteral(" and ")));
    }

    // Where our listener `listener` listened last (it may have closed since); an error event
    // on `label` if it never did.
    std::optional<std::pair<QString, quint16>> listenedAt(const QString &listener,
                                                          const QString &label, const char *op)
    {
        if (const auto where = m_reg.listenedAt(listener))
            return where;
        Event e = make(EventKind::Error, label, QLatin1String(op));
        e.err = EINVAL;
        e.detail = QStringLiteral("%1 never listened, so it has no port to use.").arg(listener);
        post(e);
        return std::nullopt;
    }

    bool listenStep(const QString &wanted, const QString &bindHost, quint16 port, int backlog,
                    const SocketOptions &o)
    {
        const QString label = wanted;
        takeLabel(label);
        m_reg.setFailed(label, true); // until it listens
        if (const QString bad = o.validate(); !bad.isEmpty()) {
            Event e = make(EventKind::Error, label, QStringLiteral("setsockopt"));
            e.err = EINVAL;
            e.detail = bad;
            post(e);
            return false;
        }
        const QString host = bindHost.isEmpty() ? QStringLiteral("127.0.0.1") : bindHost;
        ResolvedAddress a;
        if (!ops::parseNumericAddress(host, port, &a)) {
            QList<ResolvedAddress> addrs;
            QString why;
            if (ops::resolve(host, port, token(), &addrs, &why) != 0) {
                Event e = make(token().isCancelled() ? EventKind::Cancelled : EventKind::Error,
                               label, QStringLiteral("resolve"));
                e.detail = why;
                post(e);
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
        if (!applyOptions(s.fd, label, o)) {
            ::close(s.fd);
            return false;
        }
        if (::bind(s.fd, reinterpret_cast<const sockaddr *>(&a.addr), a.len) != 0) {
            const int err = errno;
            ::close(s.fd);
            postError(label, QStringLiteral("bind"), err,
                      err == EADDRINUSE ? holdersOf(port) : QString());
            return false;
        }
        Event b = make(EventKind::Bound, label, QStringLiteral("bind"));
        b.local = ops::localAddressText(s.fd);
        post(b);
        if (::listen(s.fd, backlog) != 0) {
            const int err = errno;
            ::close(s.fd);
            postError(label, QStringLiteral("listen"), err,
                      err == EADDRINUSE ? holdersOf(port) : QString());
            return false;
        }
        s.port = ops::localPort(s.fd);
        m_reg.add(label, sp);
        m_reg.setListenedAt(label, host, s.port);
        m_reg.setFailed(label, false);
        m_monitor->addPort(s.port);
        Event l = make(EventKind::Listening, label, QStringLiteral("listen"));
        l.local = ops::localAddressText(s.fd);
        l.detail = QStringLiteral("Backlog %1.").arg(backlog);
        if (host == QLatin1String("0.0.0.0") || host == QLatin1String("::"))
            l.detail += QStringLiteral(" WARNING: listening on ALL interfaces; any machine that "
                                       "can reach this one can connect.");
        post(l);
        return true;
    }

    // Accepts one connection as `label`; false if none was accepted. `t`: the step's tickets,
    // whose place in the new socket's lane it takes once a connection is there (nullptr: the
    // caller holds that lane). `current`: the timeout and mechanism to accept with, if not
    // the listener's own.
    bool acceptStep(const QString &ll, const QString &label, StepTickets *t,
                    const std::optional<SocketOptions> &current = std::nullopt)
    {
        const SockPtr lp = m_reg.find(ll);
        if (!lp && m_reg.failed(ll))
            return false; // its listen failed, and said so
        if (!lp || lp->role != Sock::Role::Listener) {
            Event e = make(EventKind::Error, ll, QStringLiteral("accept"));
            e.err = EINVAL;
            e.detail = QStringLiteral("There is no listening socket to accept on.");
            post(e);
            return false;
        }
        Sock &l = *lp;
        const SocketOptions o = l.options;
        const std::optional<CallSpec> spec = callSpec(
            l, ll, QStringLiteral("accept"), current ? current->acceptTimeout : o.acceptTimeout,
            current ? current->mechanism : o.mechanism);
        if (!spec || !armKernelTimeout(l, ll, OptionId::RcvTimeo, *spec))
            return false;
        post(callEvent(EventKind::Accepting, ll, QStringLiteral("accept"), *spec));
        const CallOutcome out = ops::accept(l.fd, spec->t, spec->m, token());
        if (!reportOutcome(ll, QStringLiteral("accept"), out, *spec))
            return false;
        std::optional<LaneLease> lease;
        if (t) {
            t->madeUsed = true;
            if (!acquireLane(label, t->madeTicket, QStringLiteral("accept"), label)) {
                ::close(out.fd); // Stop came while an earlier call on the label ran
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
        Event e = make(EventKind::Accepted, label, QStringLiteral("accept"));
        stampEnd(e, out);
        e.elapsed = out.elapsed();
        e.local = ops::localAddressText(out.fd);
        e.remote = ops::peerAddressText(out.fd);
        e.detail = QStringLiteral("Accepted on %1.").arg(ll);
        post(e);
        m_monitor->nameSocket(out.fd, label);
        readInherited(out.fd, label, o);
        if (o.keepAlive.value_or(false))
            m_monitor->watchKeepalive(out.fd, label, effectiveKeepIdle(out.fd));
        else
            m_monitor->watchData(out.fd, label);
        return true;
    }

    void acceptLoop(const Step &s)
    {
        const quint64 gen = m_generation->load();
        for (int n = 0; s.count == 0 || n < s.count; ++n) {
            if (gen != m_generation->load())
                return;
            // Its own lane from the start: a fresh label has no call ahead of it.
            const QString label = m_reg.freshLabel("a");
            if (!acquireLane(label, m_reg.ticket(label, QStringLiteral("accept"), t_context.run),
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

    SockPtr connectedSock(const QString &label, const QString &op)
    {
        SockPtr s = m_reg.find(label);
        if (s && s->connected.load())
            return s;
        if (!s) {
            Event e = make(EventKind::Error, label, op);
            e.err = EBADF;
            e.detail = QStringLiteral("There is no socket %1.").arg(label);
            post(e);
        }
        return nullptr; // a socket whose connect failed was already reported
    }

    // `current`: the timeout and mechanism given with the call (the panels' when it was
    // pressed), else the socket's own.
    void sendStep(const QString &label, const QByteArray &data,
                  const std::optional<SocketOptions> &current)
    {
        const SockPtr s = connectedSock(label, QStringLiteral("send"));
        if (!s)
            return;
        const std::optional<CallSpec> spec =
            callSpec(*s, label, QStringLiteral("send"),
                     current ? current->sendTimeout : s->options.sendTimeout,
                     current ? current->mechanism : s->options.mechanism);
        if (!spec || !armKernelTimeout(*s, label, OptionId::SndTimeo, *spec))
            return;
        Event st = callEvent(EventKind::Sending, label, QStringLiteral("send"), *spec);
        st.bytes = data.size();
        post(st);
        const CallOutcome out =
            ops::sendAll(s->fd, data.constData(), size_t(data.size()), spec->t, spec->m, token());
        if (out.bytes > 0)
            m_monitor->dataSent(s->fd); // its resends, if no ACK comes
        if (!reportOutcome(label, QStringLiteral("send"), out, *spec)) {
            if (out.bytes > 0) {
                Event p = make(EventKind::Info, label, QStringLiteral("send"));
                p.bytes = out.bytes;
                p.detail = QStringLiteral("%1 of %2 bytes went into the send buffer before that.")
                               .arg(out.bytes)
                               .arg(data.size());
                post(p);
            }
            return;
        }
        Event e = make(EventKind::Sent, label, QStringLiteral("send"));
        stampEnd(e, out);
        e.elapsed = out.elapsed();
        e.bytes = out.bytes;
        e.data = escapeBytes(data);
        post(e);
    }

    // Reports the calls summed in *sum (if any) as one receiving/received pair.
    // `c`: the spec of the calls (with a deadline, the timeout of the latest).
    void flushRecvSummary(const QString &label, qint64 maxBytes, const CallSpec &c,
                          RecvSummary *sum)
    {
        if (sum->calls == 0)
            return;
        Event st = callEvent(EventKind::Receiving, label, QStringLiteral("recv"), c);
        st.monoNs = sum->sinceNs;
        st.bytes = maxBytes;
        post(st);
        Event e = make(EventKind::Received, label, QStringLiteral("recv"));
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
        post(e);
        sum->calls = sum->bytes = 0;
        sum->last.clear();
    }

    // One recv() call. Returns true if it received data. With an active summary a call that
    // receives data is added to it instead of being reported.
    bool recvStep(const QString &label, qint64 maxBytes,
                  const std::optional<SocketOptions> &current, RecvSummary *sum = nullptr)
    {
        const SockPtr s = connectedSock(label, QStringLiteral("recv"));
        if (!s)
            return false;
        const std::optional<CallSpec> spec =
            callSpec(*s, label, QStringLiteral("recv"),
                     current ? current->recvTimeout : s->options.recvTimeout,
                     current ? current->mechanism : s->options.mechanism);
        if (!spec) {
            if (sum)
                flushRecvSummary(label, maxBytes, sum->spec, sum);
            return false;
        }
        if (!armKernelTimeout(*s, label, OptionId::RcvTimeo, *spec))
            return false;
        const bool quiet = sum && sum->active;
        Event st = callEvent(EventKind::Receiving, label, QStringLiteral("recv"), *spec);
        st.bytes = maxBytes;
        if (!quiet)
            post(st);
        QByteArray buf(int(std::clamp<qint64>(maxBytes, 1, 1 << 20)), Qt::Uninitialized);
        const CallOutcome out =
            ops::recv(s->fd, buf.data(), size_t(buf.size()), spec->t, spec->m, token());
        if (quiet && out.status != CallOutcome::Status::Ok) {
            // The sum so far, then this call on its own, so its end has its start.
            flushRecvSummary(label, maxBytes, sum->spec, sum);
            st.monoNs = out.startNs;
            post(st);
        }
        if (!reportOutcome(label, QStringLiteral("recv"), out, *spec))
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
        Event e = make(EventKind::Received, label, QStringLiteral("recv"));
        stampEnd(e, out);
        e.elapsed = out.elapsed();
        e.bytes = out.bytes;
        e.data = escapeBytes(buf);
        if (buf.capacity() > 2 * buf.size())
            buf.squeeze(); // a 1 MiB buffer that got 185 bytes is not kept at 1 MiB
        e.payload = buf;
        e.payloadKept = true;
        post(e);
        return true;
    }

    void recvFor(const QString &label, qint64 maxBytes, double seconds,
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
        Event e = make(EventKind::Info, label, QStringLiteral("recv"));
        e.elapsed = (platform::monotonicNs() - start) / 1e9;
        e.detail =
            QStringLiteral("%1 recv() calls over %2, none timed out: the timeout (%3) "
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
        post(e);
    }

    void holdStep(const QString &label, double seconds)
    {
        const SockPtr s = m_reg.find(label);
        if (!s) {
            connectedSock(label, QStringLiteral("hold"));
            return;
        }
        Event h = make(EventKind::Holding, label, QStringLiteral("hold"));
        if (seconds >= 0)
            h.timeout = seconds;
        else
            h.timeoutNone = true;
        h.detail = QStringLiteral("Idle: the application sends and reads nothing.");
        post(h);
        const CallOutcome out = ops::idle(s->connected.load() ? s->fd : -1, seconds, token());
        Event e = make(EventKind::Info, label, QStringLiteral("hold"));
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
            e.detail = QStringLiteral("%1 ended the idle wait.").arg(token().who());
            break;
        default:
            e.kind = EventKind::Error;
            e.err = out.err;
            e.detail = explainErrno(out.err, QStringLiteral("hold"));
            break;
        }
        post(e);
    }

    // Closes the listener and listens again on its port, in its lane at once (an accept()
    // waiting on it was cancelled to let it in): with the listener options given with the
    // step (the panels' when Restart was pressed), else the old listener's.
    void restartStep(const Step &step, StepTickets &t)
    {
        const QString label = step.sock;
        const SockPtr l = std::exchange(t.taken, {});
        if (!l || l->role != Sock::Role::Listener) {
            if (l)
                m_reg.add(label, l); // not a listener: left as it was
            Event e = make(EventKind::Error, label, QStringLiteral("listen"));
            e.err = EINVAL;
            e.detail = QStringLiteral("There is no listening socket to restart.");
            post(e);
            return;
        }
        closeTaken(label, l, QStringLiteral("Restarting the server."));
        listenStep(label, l->bindHost, l->port, l->backlog,
                   step.current ? *step.current : l->options);
    }

    // Closes `label` now, whatever its lane is doing: a call on it from another thread is
    // cancelled (`who` ended it) and has returned before the descriptor is closed.
    void closeSock(const QString &label, const QString &why, bool mustNotBlock = false,
                   const QString &who = QStringLiteral("Close"))
    {
        const SockPtr sp = m_reg.take(label);
        if (!sp)
            return;
        m_reg.interrupt(label, who, t_context.token);
        closeTaken(label, sp, why, mustNotBlock);
    }

    // Closes a socket already out of the registry, once no call uses it.
    void closeTaken(const QString &label, const SockPtr &sp, const QString &why,
                    bool mustNotBlock = false)
    {
        const Sock &s = *sp;
        m_monitor->unwatch(s.fd);
        // With SO_LINGER > 0 and unacknowledged data, close() blocks up to the linger time.
        if (mustNotBlock && s.options.lingerSec.value_or(0) > 0)
            platform::setOption(s.fd, OptionId::Linger, -1);
        // Read just before close(): what is unread then turns the close into a reset.
        const qint64 unread = s.role == Sock::Role::Listener ? 0 : platform::unreadBytes(s.fd);
        ::close(s.fd);
        Event e = make(EventKind::Closed, label, QStringLiteral("close"));
        e.detail = why;
        if (unread > 0) {
            e.bytes = unread;
            e.detail =
                (why.isEmpty() ? QString() : why + QLatin1Char(' ')) + closedWithUnreadData(unread);
        } else if (why.isEmpty() && s.options.lingerSec == 0 && s.connected.load()) {
            e.detail = QStringLiteral("SO_LINGER 0: the kernel sent RST and skipped TIME_WAIT.");
        }
        post(e);
    }

    void closeAll(bool stopping)
    {
        const QStringList labels = m_reg.labels();
        for (const QString &l : labels)
            closeSock(l, stopping ? QStringLiteral("Closed by Stop.") : QString(), stopping,
                      stopping ? QStringLiteral("Stop") : QStringLiteral("Close all"));
        if (stopping)
            stopPeer();
    }

    EventBus *m_bus;
    Monitor *m_monitor;
    std::atomic<quint64> *m_generation;
    platform::SocketFactory *m_net; // where every socket of the experiment comes from
    SocketRegistry m_reg;
    QMutex m_peerMutex;
    std::shared_ptr<PeerServer> m_peer;
};

// Lives on the engine thread and takes every request there, in the order they were made:
// gives each run its places in the lanes and a call thread, ends them all on Stop. A run gets
// a thread of its own (a call that blocks in the kernel needs one for SO_RCVTIMEO to be real),
// at most kMaxCallThreads at once; further runs wait, visibly, for one to finish. Threads
// take the next waiting run when theirs ends, and end when none is left.
class Coordinator : public QObject
{
  public:
    static constexpr int kMaxCallThreads = 64;

    Coordinator(StepRunner *runner, CancelHub *hub, EventBus *bus, std::atomic<quint64> *generation,
                std::atomic<int> *pending)
        : m_runner(runner), m_hub(hub), m_bus(bus), m_generation(generation), m_pending(pending)
    {
    }
    ~Coordinator() override
    {
        // ~Engine has moved the generation on and cancelled every token.
        {
            std::lock_guard lock(m_mutex);
            m_pending->fetch_sub(int(m_waiting.size()));
            m_waiting.clear();
        }
        for (Worker &w : m_workers)
            w.thread.join();
        // The last of this thread's work; ~Engine acquires it (on memory that outlives this
        // object: TSan forgets what was released on memory once it is freed).
        handoff::release(m_pending);
    }

    void submit(EngineRun r)
    {
        {
            ContextScope scope(&m_own, r.id);
            m_runner->prepare(r);
        }
        reap();
        std::lock_guard lock(m_mutex);
        if (m_busy < kMaxCallThreads || r.immediate) {
            ++m_busy;
            m_workers.emplace_back();
            Worker &w = m_workers.back();
            w.thread =
                std::thread([this, &w, r = std::move(r)]() mutable { work(&w, std::move(r)); });
            return;
        }
        Event q;
        q.kind = EventKind::Queued;
        q.run = r.id;
        q.sock = r.steps.isEmpty() ? QString() : r.steps.first().sock;
        q.detail = QStringLiteral("All %1 call threads are running calls that have not returned; "
                                  "this one starts when one of them ends (or on Stop).")
                       .arg(kMaxCallThreads);
        m_bus->post(q);
        m_waiting.push_back(std::move(r));
    }

    void stop(quint64 gen, quint64 id)
    {
        if (gen == m_generation->load()) { // otherwise a later stop does it
            {
                std::unique_lock lock(m_mutex);
                m_pending->fetch_sub(int(m_waiting.size()));
                m_waiting.clear();
                // The calls were cancelled by Engine::stop(); each returns within milliseconds.
                while (m_busy > 0) {
                    if (!m_idle.wait_for(lock, std::chrono::milliseconds(5),
                                         [this] { return m_busy == 0; }))
                        m_hub->kick();
                }
            }
            reap();
            ContextScope scope(&m_own, id);
            m_bus->setCurrentRun(id);
            m_runner->stopAll(id);
        }
        m_pending->fetch_sub(1);
    }

    void pullPlug()
    {
        ContextScope scope(&m_own, m_bus->currentRun());
        m_runner->pullPlugNow(QString());
    }

  private:
    struct Worker
    {
        std::thread thread;
        bool done = false; // under m_mutex: it has taken its last run and is ending
    };

    void work(Worker *self, EngineRun r)
    {
        pthread_setname_np(pthread_self(), "socklab-call");
        CancelToken own;
        m_hub->add(&own);
        for (;;) {
            {
                ContextScope scope(&own, r.id);
                m_bus->setCurrentRun(r.id);
                m_runner->runSteps(r);
            }
            m_pending->fetch_sub(1);
            std::lock_guard lock(m_mutex);
            if (m_waiting.empty() || r.gen != m_generation->load()) {
                --m_busy;
                self->done = true;
                m_idle.notify_all();
                break;
            }
            r = std::move(m_waiting.front());
            m_waiting.pop_front();
        }
        m_hub->remove(&own);
    }

    // Joins the threads that have ended (the engine thread only).
    void reap()
    {
        std::list<Worker> ended;
        {
            std::lock_guard lock(m_mutex);
            for (auto it = m_workers.begin(); it != m_workers.end();) {
                auto next = std::next(it);
                if (it->done)
                    ended.splice(ended.end(), m_workers, it);
                it = next;
            }
        }
        for (Worker &w : ended)
            w.thread.join();
    }

    StepRunner *m_runner;
    CancelHub *m_hub;
    EventBus *m_bus;
    std::atomic<quint64> *m_generation;
    std::atomic<int> *m_pending;
    CancelToken m_own; // the engine thread's own calls (a close on Stop)
    std::mutex m_mutex;
    std::condition_variable m_idle;
    std::deque<EngineRun> m_waiting;
    std::list<Worker> m_workers; // a list: a thread keeps a pointer to its entry
    int m_busy = 0;              // call threads not yet ended
};

namespace {
Monitor::Options monitorOptions(platform::SocketFactory *net)
{
    Monitor::Options o;
    o.net = net;
    return o;
}
} // namespace

Engine::Engine(QObject *parent, platform::SocketFactory *net)
    : QObject(parent), m_bus(new EventBus(this)), m_hub(std::make_unique<CancelHub>()),
      m_monitor(std::make_unique<Monitor>(m_bus, m_hub.get(), monitorOptions(net)))
{
    m_thread.setObjectName(QStringLiteral("socklab-engine"));
    m_runner = std::make_unique<StepRunner>(m_bus, m_monitor.get(), &m_generation,
                                            net ? net : &platform::hostNetwork());
    m_coordinator = new Coordinator(m_runner.get(), m_hub.get(), m_bus, &m_generation, &m_pending);
    m_coordinator->moveToThread(&m_thread);
    connect(&m_thread, &QThread::finished, m_coordinator, &QObject::deleteLater);
    m_monitor->setTableListener([this](const QList<platform::DiagRow> &rows) {
        handoff::queuedCall(this, [this, rows] { emit socketTableChanged(rows); });
    });
    m_thread.start();
}

Engine::~Engine()
{
    m_monitor->setTableListener({});
    m_generation.fetch_add(1);
    m_hub->cancelAll();
    m_thread.quit();
    m_thread.wait();
    handoff::acquire(&m_pending); // what the engine and call threads did, before they were gone
    m_runner.reset();             // closes what is left, stops the peer
    m_monitor.reset();
}

quint64 Engine::run(const QList<Step> &steps)
{
    EngineRun r;
    r.steps = steps;
    r.gen = m_generation.load();
    r.id = ++m_runIds;
    m_pending.fetch_add(1);
    Coordinator *c = m_coordinator;
    handoff::queuedCall(c, [c, r]() mutable { c->submit(std::move(r)); });
    return r.id;
}

quint64 Engine::stop()
{
    const quint64 gen = m_generation.fetch_add(1) + 1;
    const quint64 id = ++m_runIds;
    m_hub->cancelAll(); // at once: every call of every run, whatever socket it is on
    m_monitor->wake();
    m_pending.fetch_add(1);
    Coordinator *c = m_coordinator;
    handoff::queuedCall(c, [c, gen, id] { c->stop(gen, id); });
    return id;
}

void Engine::pullPlug()
{
    Coordinator *c = m_coordinator;
    handoff::queuedCall(c, [c] { c->pullPlug(); });
}

QList<platform::DiagRow> Engine::socketTable() const
{
    return m_monitor->table();
}

QString Engine::labelFor(const platform::DiagRow &row) const
{
    return m_monitor->labelFor(row);
}

} // namespace socklab
