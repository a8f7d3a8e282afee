#pragma once

// Shared by the test suites: records what an Engine reports and builds common steps.

#include "Engine.h"
#include "ErrnoText.h"
#include "Platform.h"

#include <QList>
#include <QObject>
#include <QTest>

#include <functional>

#include <sys/socket.h>
#include <unistd.h>

namespace socklab::test {

// Whether this process may attach a socket filter (SO_ATTACH_FILTER). The blackhole peer and
// Pull the plug need one; some kernels refuse it to an ordinary user (EPERM).
// Whether the kernel lets this process do `attempt` to a fresh TCP socket (0: it did).
inline bool allowedOnASocket(int (*attempt)(int fd))
{
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    const bool ok = fd >= 0 && attempt(fd) == 0;
    if (fd >= 0)
        ::close(fd);
    return ok;
}

// A drop-all socket filter (the blackhole peer, Pull the plug).
inline bool socketFiltersAllowed()
{
    return allowedOnASocket(platform::attachDropFilter);
}

// Repair mode (TCP_REPAIR: the reboot peer).
inline bool repairModeAllowed()
{
    return allowedOnASocket(platform::enterRepairMode);
}

// A test whose subject needs a socket filter skips where the kernel refuses one, and says so;
// tst_peers and tst_cli check that SockLab then refuses honestly instead.
#define SOCKLAB_REQUIRE_SOCKET_FILTERS()                                                           \
    do {                                                                                           \
        if (!socklab::test::socketFiltersAllowed())                                                \
            QSKIP("Needs SO_ATTACH_FILTER (the blackhole peer, Pull the plug), which this "        \
                  "kernel refuses to this user (EPERM); root or CAP_NET_ADMIN has it.");           \
    } while (false)

// Calls a helper that checks with QVERIFY/QCOMPARE (which return from the helper, not from the
// test), and ends the test there if it failed.
#define SOCKLAB_CALL(call)                                                                         \
    do {                                                                                           \
        call;                                                                                      \
        if (QTest::currentTestFailed())                                                            \
            return;                                                                                \
    } while (false)

class EventRecorder : public QObject
{
  public:
    explicit EventRecorder(EventBus *bus)
    {
        connect(bus, &EventBus::eventsReady, this,
                [this](const QList<Event> &batch) { events += batch; });
    }

    QList<Event> events;

    QList<Event> of(EventKind kind, const QString &sock = {}) const
    {
        QList<Event> out;
        for (const Event &e : events) {
            if (e.kind == kind && (sock.isEmpty() || e.sock == sock))
                out << e;
        }
        return out;
    }
    int count(EventKind kind, const QString &sock = {}) const { return of(kind, sock).size(); }
    bool has(EventKind kind, const QString &sock = {}) const { return count(kind, sock) > 0; }
    // The first such event. There must be one: a missing event fails the test (an empty
    // Event's zero time and missing fields would otherwise pass checks they should fail).
    // Use has() or of() where an event may rightly be absent.
    Event first(EventKind kind, const QString &sock = {}) const
    {
        const auto l = of(kind, sock);
        if (l.isEmpty()) {
            QTest::qFail(
                qPrintable(QStringLiteral("expected a %1 event%2; none came:\n%3")
                               .arg(kindName(kind),
                                    sock.isEmpty() ? QString() : QStringLiteral(" on ") + sock,
                                    dump())),
                __FILE__, __LINE__);
            Event missing;
            missing.elapsed = missing.timeout = -1.0; // fails any bound a test puts on them
            return missing;
        }
        return l.first();
    }
    bool finished() const { return has(EventKind::Finished); }
    void clear() { events.clear(); }

    // Waits, in the event loop, until the engine reports Finished.
    bool waitFinished(int ms = 10000)
    {
        return QTest::qWaitFor([this] { return finished(); }, ms);
    }

    QString dump() const
    {
        QString s;
        for (const Event &e : events)
            s += e.toText() + QLatin1Char('\n');
        return s;
    }

    quint16 listeningPort(const QString &sock) const
    {
        const QString local = first(EventKind::Listening, sock).local;
        return quint16(local.section(QLatin1Char(':'), -1).toUInt());
    }
};

// How early the kernel may end an SO_RCVTIMEO or SO_SNDTIMEO call: it counts that timeout in
// jiffies, which a clock tick that came late leaves behind the monotonic clock (the bench saw
// a 100 ms SO_RCVTIMEO end 0.045 ms early on this VM). A sockopt timeout is asserted from this
// much before its time; SockLab's poll deadline (a timerfd on the monotonic clock) never early.
inline double kernelEarlyS(TimeoutMechanism m)
{
    return m == TimeoutMechanism::SockOpt ? 0.005 : 0.0;
}

// SO_KEEPALIVE on, with these TCP_KEEPIDLE, TCP_KEEPINTVL (s) and TCP_KEEPCNT.
inline SocketOptions keepalive(int idle, int intvl, int cnt)
{
    SocketOptions o;
    o.keepAlive = true;
    o.keepIdle = idle;
    o.keepIntvl = intvl;
    o.keepCnt = cnt;
    return o;
}

inline Step peer(PeerBehavior b, int intervalMs = -1)
{
    Step s = Step::make(Step::Kind::StartPeer);
    s.peer.behavior = b;
    s.peer.intervalMs = intervalMs;
    return s;
}

inline Step connectToPeer(const SocketOptions &o, const QString &sock = QStringLiteral("c1"))
{
    Step s = Step::make(Step::Kind::Connect, sock);
    s.toPeer = true;
    s.options = o;
    return s;
}

inline Step recv(const QString &sock = QStringLiteral("c1"), qint64 n = 4096)
{
    Step s = Step::make(Step::Kind::Recv, sock);
    s.maxBytes = n;
    return s;
}

inline Step send(const QByteArray &data, const QString &sock = QStringLiteral("c1"))
{
    Step s = Step::make(Step::Kind::Send, sock);
    s.data = data;
    return s;
}

inline Step hold(double seconds, const QString &sock = QStringLiteral("c1"))
{
    Step s = Step::make(Step::Kind::Hold, sock);
    s.seconds = seconds;
    return s;
}

inline Step listen(const QString &sock, quint16 port, const SocketOptions &o = {})
{
    Step s = Step::make(Step::Kind::Listen, sock);
    s.host = QStringLiteral("127.0.0.1");
    s.port = port;
    s.options = o;
    return s;
}

inline Step connectTo(quint16 port, const QString &sock = QStringLiteral("c1"))
{
    Step s = Step::make(Step::Kind::Connect, sock);
    s.host = QStringLiteral("127.0.0.1");
    s.port = port;
    return s;
}

inline Step accept(const QString &listener, const QString &sock = {})
{
    Step s = Step::make(Step::Kind::Accept, sock);
    s.listener = listener;
    return s;
}

inline SocketOptions timeouts(double seconds, TimeoutMechanism m)
{
    SocketOptions o;
    o.setAllTimeouts(Timeout::fromMs(qint64(seconds * 1000)));
    o.mechanism = m;
    return o;
}

} // namespace socklab::test
