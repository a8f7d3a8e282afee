#include "Engine.h"

#include "CancelToken.h"
#include "ErrnoText.h"
#include "KernelFacts.h"
#include "Monitor.h"
#include "PeerServer.h"
#include "SocketOps.h"
#include "ThreadHandoff.h"

#include <QHash>
#include <QMutex>
#include <QSet>

#include <cerrno>
#include <sys/socket.h>
#include <unistd.h>

namespace socklab {

using platform::OptionId;

namespace {
struct Sock
{
    int fd = -1;
    enum class Role
    {
        Client,
        Listener,
        Accepted
    } role = Role::Client;
    SocketOptions options;
    bool connected = false;
    QString bindHost;
    quint16 port = 0;
    int backlog = 16;
    qint64 rcvTimeoMs = 0; // what SO_RCVTIMEO/SO_SNDTIMEO are set to now (0: none)
    qint64 sndTimeoMs = 0;
    qint64 deadlineNs = 0; // CLOCK_MONOTONIC when options.deadlineMs runs out (0: not started)
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

// Lives on the engine thread; owns every descriptor of the experiment.
class EngineWorker : public QObject
{
  public:
    EngineWorker(EventBus *bus, CancelToken *cancel, Monitor *monitor,
                 std::atomic<quint64> *generation, std::atomic<int> *pending,
                 platform::SocketFactory *net)
        : m_bus(bus), m_cancel(cancel), m_monitor(monitor), m_generation(generation),
          m_pending(pending), m_net(net)
    {
    }
    ~EngineWorker() override
    {
        closeAll(false);
        stopPeer(); // joins its thread, so what it did is ordered before the release below
        handoff::release(m_cancel); // the last of this thread's work; ~Engine acquires it
    }

    void runSteps(const QList<Step> &steps, quint64 gen, quint64 id)
    {
        platform::setPreciseTimerSlack();
        m_bus->setCurrentRun(id);
        bool aborted = false;
        for (const Step &s : steps) {
            if (gen != m_generation->load())
                break;
            if (!execute(s)) {
                aborted = true;
                break;
            }
        }
        if (gen == m_generation->load()) {
            m_monitor->refreshProbes();
            m_monitor->refreshTable(); // the states the experiment ends in (TIME_WAIT, ...)
            Event fin = make(EventKind::Finished, {});
            fin.run = id;
            if (aborted)
                fin.detail = QString::fromLatin1(Engine::kAbortedDetail);
            post(fin);
        }
        m_pending->fetch_sub(1);
    }

    void stopAll(quint64 gen, quint64 id)
    {
        if (gen == m_generation->load()) { // otherwise a later stop does it
            m_bus->setCurrentRun(id);
            m_cancel->reset();
            closeAll(true);
            Event e = make(EventKind::Finished, {});
            e.run = id;
            e.detail = QStringLiteral("stopped");
            post(e);
        }
        m_pending->fetch_sub(1);
    }

    // Any thread. Takes no lock that is held across a wait: the peer is reached through its
    // own reference, and PeerServer::pullPlug() only sets a flag and wakes the peer's thread.
    void pullPlugNow(const QString &sock)
    {
        if (const std::shared_ptr<PeerServer> peer = currentPeer()) {
            peer->pullPlug();
            return;
        }
        QMutexLocker lock(&m_socksMutex);
        for (auto it = m_socks.cbegin(); it != m_socks.cend(); ++it) {
            if ((!sock.isEmpty() && it.key() != sock) || it->role == Sock::Role::Listener ||
                !it->connected)
                continue;
            Event e = make(EventKind::Info, it.key(), QStringLiteral("pull-plug"));
            e.err = platform::attachDropFilter(it->fd);
            e.kind = e.err ? EventKind::Error : EventKind::Info;
            e.detail = e.err ? dropFilterRefused(e.err, QStringLiteral("pulls the plug"))
                             : QStringLiteral("Plug pulled on our side: the kernel now drops "
                                              "every segment arriving for this socket.");
            post(e);
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

    QString nextLabel(const QString &wanted, const char *prefix)
    {
        if (!wanted.isEmpty()) {
            if (m_socks.contains(wanted))
                closeSock(wanted,
                          QStringLiteral("A new socket takes over the label %1.").arg(wanted));
            return wanted;
        }
        QString label;
        do {
            label = QString::fromLatin1(prefix) + QString::number(++m_counters[prefix]);
        } while (m_socks.contains(label));
        return label;
    }

    Sock *find(const QString &label)
    {
        auto it = m_socks.find(label);
        return it == m_socks.end() ? nullptr : &it.value();
    }

    void addSock(const QString &label, const Sock &s)
    {
        QMutexLocker lock(&m_socksMutex);
        m_socks.insert(label, s);
    }

    // False when the rest of the run cannot mean anything (its built-in peer did not start).
    bool execute(const Step &s)
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
                const auto where = listenedAt(s.portOf, nextLabel(s.sock, "L"), "bind");
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
            acceptStep(s.listener, s.sock);
            break;
        case Step::Kind::AcceptLoop:
            acceptLoop(s);
            break;
        case Step::Kind::Send:
            sendStep(s.sock, s.data);
            break;
        case Step::Kind::Recv:
            recvStep(s.sock, s.maxBytes);
            break;
        case Step::Kind::RecvFor:
            recvFor(s.sock, s.maxBytes, s.seconds);
            break;
        case Step::Kind::Hold:
            holdStep(s.sock, s.seconds);
            break;
        case Step::Kind::Close:
            closeSock(s.sock, QString());
            break;
        case Step::Kind::CloseAll:
            closeAll(false);
            break;
        case Step::Kind::PullPlug:
            pullPlugNow(s.sock);
            break;
        case Step::Kind::Restart:
            restartStep(s.sock);
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
    bool armKernelTimeout(Sock &s, const QString &label, OptionId id, const Timeout &t)
    {
        if (s.options.mechanism != TimeoutMechanism::SockOpt ||
            t.mode == Timeout::Mode::NonBlocking)
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
    std::optional<CallSpec> callSpec(Sock &s, const QString &label, const QString &op,
                                     const Timeout &own)
    {
        CallSpec c;
        c.t = own;
        c.m = s.options.mechanism;
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
            e.detail =
                QStringLiteral("Stop ended %1() after %2.").arg(op, secondsText(o.elapsed()));
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
        const QString label = nextLabel(step.sock, "c");
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
        if (ops::resolve(host, port, *m_cancel, &addrs, &why) != 0) {
            Event e = make(m_cancel->isCancelled() ? EventKind::Cancelled : EventKind::Error, label,
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
            Sock s;
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
                    ? callSpec(s, label, QStringLiteral("connect"), o.connectTimeout)
                    : std::nullopt;
            if (spec)
                spec->synCnt = o.synCnt;
            if (!spec || !armKernelTimeout(s, label, OptionId::SndTimeo, spec->t)) {
                ::close(s.fd);
                return;
            }
            m_monitor->watchConnect(s.fd, label); // its SYN retransmissions
            deadlineNs = s.deadlineNs;
            addSock(label, s);
            Event c = callEvent(EventKind::Connecting, label, QStringLiteral("connect"), *spec);
            c.remote = a.text;
            post(c);
            const CallOutcome out = ops::connect(s.fd, a, spec->t, spec->m, *m_cancel);
            if (reportOutcome(label, QStringLiteral("connect"), out, *spec)) {
                {
                    QMutexLocker lock(&m_socksMutex);
                    find(label)->connected = true;
                }
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
            peer->waitForAccepted(acceptedBefore + 1, 1000, m_cancel->wakeFd());
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
        const auto it = m_listenedAt.constFind(listener);
        if (it != m_listenedAt.cend())
            return *it;
        Event e = make(EventKind::Error, label, QLatin1String(op));
        e.err = EINVAL;
        e.detail = QStringLiteral("%1 never listened, so it has no port to use.").arg(listener);
        post(e);
        return std::nullopt;
    }

    bool listenStep(const QString &wanted, const QString &bindHost, quint16 port, int backlog,
                    const SocketOptions &o)
    {
        const QString label = nextLabel(wanted, "L");
        m_failed.insert(label); // until it listens
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
            if (ops::resolve(host, port, *m_cancel, &addrs, &why) != 0) {
                Event e = make(m_cancel->isCancelled() ? EventKind::Cancelled : EventKind::Error,
                               label, QStringLiteral("resolve"));
                e.detail = why;
                post(e);
                return false;
            }
            a = addrs.first();
        }
        Sock s;
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
        m_listenedAt.insert(label, {host, s.port});
        addSock(label, s);
        m_failed.remove(label);
        m_lastListener = label;
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

    // Accepts one connection; returns its label, or empty if none was accepted.
    QString acceptStep(const QString &listenerLabel, const QString &wanted)
    {
        const QString ll = listenerLabel.isEmpty() ? m_lastListener : listenerLabel;
        Sock *l = find(ll);
        if (!l && m_failed.contains(ll))
            return {}; // its listen failed, and said so
        if (!l || l->role != Sock::Role::Listener) {
            Event e = make(EventKind::Error, ll, QStringLiteral("accept"));
            e.err = EINVAL;
            e.detail = QStringLiteral("There is no listening socket to accept on.");
            post(e);
            return {};
        }
        const SocketOptions o = l->options; // l dangles once the accepted socket is added
        const std::optional<CallSpec> spec =
            callSpec(*l, ll, QStringLiteral("accept"), o.acceptTimeout);
        if (!spec || !armKernelTimeout(*l, ll, OptionId::RcvTimeo, spec->t))
            return {};
        post(callEvent(EventKind::Accepting, ll, QStringLiteral("accept"), *spec));
        const CallOutcome out = ops::accept(l->fd, spec->t, spec->m, *m_cancel);
        if (!reportOutcome(ll, QStringLiteral("accept"), out, *spec))
            return {};
        const QString label = nextLabel(wanted, "a");
        Sock a;
        a.fd = out.fd;
        a.role = Sock::Role::Accepted;
        a.options = o;
        a.options.deadlineMs.reset(); // the listener's deadline, not one for its connections
        a.connected = true;
        // Linux copies SO_RCVTIMEO/SO_SNDTIMEO to the accepted socket: track what it has.
        platform::getOption(out.fd, OptionId::RcvTimeo, &a.rcvTimeoMs);
        platform::getOption(out.fd, OptionId::SndTimeo, &a.sndTimeoMs);
        addSock(label, a);
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
        return label;
    }

    void acceptLoop(const Step &s)
    {
        const quint64 gen = m_generation->load();
        for (int n = 0; s.count == 0 || n < s.count; ++n) {
            if (gen != m_generation->load())
                return;
            const QString label = acceptStep(s.listener, QString());
            if (label.isEmpty())
                return;
            if (s.seconds != 0)
                holdStep(label, s.seconds);
            if (gen != m_generation->load())
                return;
            closeSock(label, QStringLiteral("The server closes first, so this side keeps the "
                                            "connection in TIME_WAIT."));
        }
    }

    Sock *connectedSock(const QString &label, const QString &op)
    {
        Sock *s = find(label);
        if (s && s->connected)
            return s;
        if (!s) {
            Event e = make(EventKind::Error, label, op);
            e.err = EBADF;
            e.detail = QStringLiteral("There is no socket %1.").arg(label);
            post(e);
        }
        return nullptr; // a socket whose connect failed was already reported
    }

    void sendStep(const QString &label, const QByteArray &data)
    {
        Sock *s = connectedSock(label, QStringLiteral("send"));
        if (!s)
            return;
        const std::optional<CallSpec> spec =
            callSpec(*s, label, QStringLiteral("send"), s->options.sendTimeout);
        if (!spec || !armKernelTimeout(*s, label, OptionId::SndTimeo, spec->t))
            return;
        Event st = callEvent(EventKind::Sending, label, QStringLiteral("send"), *spec);
        st.bytes = data.size();
        post(st);
        const CallOutcome out =
            ops::sendAll(s->fd, data.constData(), size_t(data.size()), spec->t, spec->m, *m_cancel);
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
    bool recvStep(const QString &label, qint64 maxBytes, RecvSummary *sum = nullptr)
    {
        Sock *s = connectedSock(label, QStringLiteral("recv"));
        if (!s)
            return false;
        const std::optional<CallSpec> spec =
            callSpec(*s, label, QStringLiteral("recv"), s->options.recvTimeout);
        if (!spec) {
            if (sum)
                flushRecvSummary(label, maxBytes, sum->spec, sum);
            return false;
        }
        if (!armKernelTimeout(*s, label, OptionId::RcvTimeo, spec->t))
            return false;
        const bool quiet = sum && sum->active;
        Event st = callEvent(EventKind::Receiving, label, QStringLiteral("recv"), *spec);
        st.bytes = maxBytes;
        if (!quiet)
            post(st);
        QByteArray buf(int(std::clamp<qint64>(maxBytes, 1, 1 << 20)), Qt::Uninitialized);
        const CallOutcome out =
            ops::recv(s->fd, buf.data(), size_t(buf.size()), spec->t, spec->m, *m_cancel);
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

    void recvFor(const QString &label, qint64 maxBytes, double seconds)
    {
        const qint64 start = platform::monotonicNs();
        const qint64 end = start + qint64(seconds * 1e9);
        qint64 calls = 0;
        bool ok = true;
        RecvSummary sum;
        qint64 windowNs = start; // calls are counted per second
        int windowCalls = 0;
        while (ok && platform::monotonicNs() < end) {
            ok = recvStep(label, maxBytes, &sum);
            ++calls;
            const qint64 now = platform::monotonicNs();
            if (now - windowNs >= 1000000000LL) {
                windowNs = now;
                windowCalls = 0;
            }
            if (++windowCalls > kRecvCallsReported)
                sum.active = true;
        }
        Sock *s = find(label);
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
                .arg(s ? s->options.recvTimeout.toString() + QStringLiteral(" s") : QString());
        if (sum.active)
            e.detail += QStringLiteral(" More than %1 calls in a second: from then on they "
                                       "were reported in sums.")
                            .arg(kRecvCallsReported);
        post(e);
    }

    void holdStep(const QString &label, double seconds)
    {
        Sock *s = find(label);
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
        const CallOutcome out = ops::idle(s->connected ? s->fd : -1, seconds, *m_cancel);
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
            e.detail = QStringLiteral("Stop ended the idle wait.");
            break;
        default:
            e.kind = EventKind::Error;
            e.err = out.err;
            e.detail = explainErrno(out.err, QStringLiteral("hold"));
            break;
        }
        post(e);
    }

    void restartStep(const QString &wanted)
    {
        const QString label = wanted.isEmpty() ? m_lastListener : wanted;
        Sock *l = find(label);
        if (!l || l->role != Sock::Role::Listener) {
            Event e = make(EventKind::Error, label, QStringLiteral("listen"));
            e.err = EINVAL;
            e.detail = QStringLiteral("There is no listening socket to restart.");
            post(e);
            return;
        }
        const Sock old = *l;
        closeSock(label, QStringLiteral("Restarting the server."));
        listenStep(label, old.bindHost, old.port, old.backlog, old.options);
    }

    void closeSock(const QString &label, const QString &why, bool mustNotBlock = false)
    {
        Sock s;
        {
            QMutexLocker lock(&m_socksMutex);
            auto it = m_socks.find(label);
            if (it == m_socks.end())
                return;
            s = it.value();
            m_socks.erase(it);
        }
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
        } else if (why.isEmpty() && s.options.lingerSec == 0 && s.connected) {
            e.detail = QStringLiteral("SO_LINGER 0: the kernel sent RST and skipped TIME_WAIT.");
        }
        post(e);
    }

    void closeAll(bool stopping)
    {
        const QStringList labels = m_socks.keys();
        for (const QString &l : labels)
            closeSock(l, stopping ? QStringLiteral("Closed by Stop.") : QString(), stopping);
        if (stopping)
            stopPeer();
    }

    EventBus *m_bus;
    CancelToken *m_cancel;
    Monitor *m_monitor;
    std::atomic<quint64> *m_generation;
    std::atomic<int> *m_pending;
    platform::SocketFactory *m_net; // where every socket of the experiment comes from
    QMutex m_socksMutex;            // writes to m_socks, and reads from other threads
    QHash<QString, Sock> m_socks;
    QHash<QByteArray, int> m_counters;
    QString m_lastListener;
    QHash<QString, std::pair<QString, quint16>> m_listenedAt; // every listener's last address
    QSet<QString> m_failed; // listeners whose set-up failed: later steps on them are moot
    QMutex m_peerMutex;
    std::shared_ptr<PeerServer> m_peer;
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
    : QObject(parent), m_bus(new EventBus(this)), m_cancel(std::make_unique<CancelToken>()),
      m_monitor(std::make_unique<Monitor>(m_bus, m_cancel.get(), monitorOptions(net)))
{
    m_thread.setObjectName(QStringLiteral("socklab-engine"));
    m_worker = new EngineWorker(m_bus, m_cancel.get(), m_monitor.get(), &m_generation, &m_pending,
                                net ? net : &platform::hostNetwork());
    m_worker->moveToThread(&m_thread);
    connect(&m_thread, &QThread::finished, m_worker, &QObject::deleteLater);
    m_monitor->setTableListener([this](const QList<platform::DiagRow> &rows) {
        handoff::queuedCall(this, [this, rows] { emit socketTableChanged(rows); });
    });
    m_thread.start();
}

Engine::~Engine()
{
    m_monitor->setTableListener({});
    m_generation.fetch_add(1);
    m_cancel->cancel();
    m_thread.quit();
    m_thread.wait();
    handoff::acquire(m_cancel.get()); // what the engine thread did, before its worker was gone
    m_monitor.reset();
}

quint64 Engine::run(const QList<Step> &steps)
{
    const quint64 gen = m_generation.load();
    const quint64 id = ++m_runIds;
    m_pending.fetch_add(1);
    EngineWorker *w = m_worker;
    handoff::queuedCall(w, [w, steps, gen, id] { w->runSteps(steps, gen, id); });
    return id;
}

quint64 Engine::stop()
{
    const quint64 gen = m_generation.fetch_add(1) + 1;
    const quint64 id = ++m_runIds;
    m_cancel->cancel();
    m_monitor->wake();
    m_pending.fetch_add(1);
    EngineWorker *w = m_worker;
    handoff::queuedCall(w, [w, gen, id] { w->stopAll(gen, id); });
    return id;
}

void Engine::pullPlug()
{
    m_worker->pullPlugNow(QString());
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
