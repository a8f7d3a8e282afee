#include "PeerServer.h"

#include "ErrnoText.h"
#include "Event.h"
#include "EventBus.h"
#include "Monitor.h"
#include "Platform.h"
#include "SocketOps.h"

#include <arpa/inet.h>
#include <cerrno>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <vector>

namespace socklab {

namespace {
// Enough for a class's worth of keepalive-watched connections (the load test holds 1,000),
// few enough that a client opening connections without end cannot exhaust our descriptors:
// beyond it the oldest connection is reset.
constexpr int kMaxConnections = 1024;
constexpr qint64 kEchoBufferMax = 1 << 20;
// flood: bytes per send(), sends per wake-up and connection (so one connection cannot starve
// the others or Stop), and how often it reports what it sent: one event per period, not one
// per send(), so a flood at loopback speed costs a few events a second.
constexpr int kFloodChunk = 65536;
constexpr int kFloodSendsPerWake = 16;
constexpr qint64 kFloodReportNs = 250 * 1000000LL;
// After accept() fails for want of descriptors or memory the connection stays in the backlog
// and the listener stays readable: wait this long before trying again instead of spinning.
constexpr qint64 kAcceptRetryNs = 100 * 1000000LL;

// What the flood peer sends: readable, so the bounded preview in events shows what it is.
const QByteArray &floodChunk()
{
    static const QByteArray chunk = [] {
        const QByteArray line =
            QByteArrayLiteral("SockLab flood 0123456789abcdefghijklmnopqrstuv\n");
        QByteArray c;
        c.reserve(kFloodChunk);
        while (c.size() < kFloodChunk)
            c += line;
        c.truncate(kFloodChunk);
        return c;
    }();
    return chunk;
}

// Whether a bound address accepts connections from other machines.
enum class Reach
{
    Loopback,
    AllInterfaces,
    Network
};
Reach reachOf(const ResolvedAddress &a)
{
    if (a.family == AF_INET) {
        const auto *in = reinterpret_cast<const sockaddr_in *>(&a.addr);
        const quint32 ip = ntohl(in->sin_addr.s_addr);
        if (ip == INADDR_ANY)
            return Reach::AllInterfaces;
        return (ip >> 24) == 127 ? Reach::Loopback : Reach::Network;
    }
    const auto *in6 = reinterpret_cast<const sockaddr_in6 *>(&a.addr);
    if (IN6_IS_ADDR_UNSPECIFIED(&in6->sin6_addr))
        return Reach::AllInterfaces;
    if (IN6_IS_ADDR_LOOPBACK(&in6->sin6_addr))
        return Reach::Loopback;
    if (IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr) && in6->sin6_addr.s6_addr[12] == 127)
        return Reach::Loopback;
    return Reach::Network;
}
} // namespace

PeerServer::PeerServer(EventBus *bus, Monitor *monitor, platform::SocketFactory *net)
    : m_bus(bus), m_monitor(monitor), m_net(net ? net : &platform::hostNetwork()),
      m_wakeFd(platform::wakeFdCreate()), m_acceptedFd(platform::wakeFdCreate())
{
    // Out of descriptors (EMFILE): start() reports it instead of serving without a wake-up.
    if (m_wakeFd < 0 || m_acceptedFd < 0)
        m_setupErr = errno;
}

bool PeerServer::waitForAccepted(int count, int timeoutMs, int cancelFd) const
{
    const qint64 deadline = platform::monotonicNs() + qint64(timeoutMs) * 1000000LL;
    while (m_accepted.load() < count) {
        const qint64 left = deadline - platform::monotonicNs();
        if (left <= 0)
            return false;
        pollfd fds[2] = {{m_acceptedFd, POLLIN, 0}, {cancelFd, POLLIN, 0}};
        timespec ts{time_t(left / 1000000000LL), long(left % 1000000000LL)};
        if (::ppoll(fds, 2, &ts, nullptr) > 0) {
            if (fds[1].revents)
                return false;
            platform::wakeFdDrain(m_acceptedFd);
        }
    }
    return true;
}

PeerServer::~PeerServer()
{
    stop();
    if (m_fillerFd >= 0)
        ::close(m_fillerFd);
    if (m_listenFd >= 0)
        ::close(m_listenFd);
    if (m_wakeFd >= 0)
        ::close(m_wakeFd);
    if (m_acceptedFd >= 0)
        ::close(m_acceptedFd);
}

namespace {
Event peerEvent(EventKind kind, const QString &sock, const QString &op = {})
{
    Event e;
    e.kind = kind;
    e.sock = sock;
    e.op = op;
    return e;
}
} // namespace

int PeerServer::start(const PeerConfig &config)
{
    m_config = config;
    const QString label = QStringLiteral("peer");
    const auto fail = [&](const char *op, int err, const QString &why = {}) {
        Event e = peerEvent(EventKind::Error, label, QString::fromLatin1(op));
        e.err = err;
        e.detail = why.isEmpty() ? explainErrno(err, e.op) : why;
        m_bus->post(e);
        if (m_listenFd >= 0)
            ::close(m_listenFd);
        m_listenFd = -1;
        return err;
    };
    if (m_setupErr)
        return fail("eventfd", m_setupErr);
    ResolvedAddress addr;
    if (!ops::parseNumericAddress(config.bind, config.port, &addr))
        return fail("bind", EADDRNOTAVAIL);
    m_listenFd = m_net->tcpSocket(addr.family, true);
    if (m_listenFd < 0)
        return fail("socket", errno);
    if (m_monitor)
        m_monitor->nameSocket(m_listenFd, label);
    if (config.reuseAddr) {
        if (const int e = platform::setOption(m_listenFd, platform::OptionId::ReuseAddr, 1))
            return fail("setsockopt", e);
    }
    // A fault peer that cannot install its fault would be a healthy peer that claims to drop
    // everything: it does not start. (The blackhole peer attaches its filter to each
    // connection it accepts; a throwaway socket tells now whether the kernel allows it.)
    const auto failFilter = [&](int err, const QString &purpose) {
        Event e = peerEvent(EventKind::Error, label, QStringLiteral("setsockopt"));
        e.err = err;
        e.option = QStringLiteral("SO_ATTACH_FILTER");
        e.detail = dropFilterRefused(err, purpose) +
                   QStringLiteral(" The %1 peer did not start.").arg(behaviorName(config.behavior));
        m_bus->post(e);
        ::close(m_listenFd);
        m_listenFd = -1;
        return err;
    };
    if (config.behavior == PeerBehavior::Blackhole) {
        const int probe = m_net->tcpSocket(AF_INET, false);
        const int e = probe < 0 ? errno : platform::attachDropFilter(probe);
        if (probe >= 0)
            ::close(probe);
        if (e)
            return failFilter(e, QStringLiteral("makes the kernel drop every segment of the "
                                                "blackhole peer's connections"));
    }
    if (config.behavior == PeerBehavior::Reboot) {
        const int probe = m_net->tcpSocket(AF_INET, false);
        const int err = probe < 0 ? errno : platform::enterRepairMode(probe);
        if (probe >= 0)
            ::close(probe);
        if (err) {
            Event e = peerEvent(EventKind::Error, label, QStringLiteral("setsockopt"));
            e.err = err;
            e.option = QStringLiteral("TCP_REPAIR");
            e.detail = repairRefused(err) + QStringLiteral(" The reboot peer did not start.");
            m_bus->post(e);
            ::close(m_listenFd);
            m_listenFd = -1;
            return err;
        }
    }
    if (::bind(m_listenFd, reinterpret_cast<const sockaddr *>(&addr.addr), addr.len) != 0)
        return fail("bind", errno);
    // never-accept: an accept queue of one (backlog 0) that the peer's own connection fills
    // and nobody accepts; the kernel then drops every further SYN, as a server too busy to
    // accept does. No privilege is needed, and the wire shows the client's SYN retransmissions.
    const bool neverAccept = config.behavior == PeerBehavior::NeverAccept;
    if (neverAccept && platform::abortsOnListenOverflow())
        return fail("listen", EPROTO,
                    QStringLiteral("The never-accept peer needs the kernel to drop SYNs when a "
                                   "listener's accept queue is full, but "
                                   "/proc/sys/net/ipv4/tcp_abort_on_overflow is 1 here, so it "
                                   "would answer them with RST. The peer did not start."));
    if (::listen(m_listenFd, neverAccept ? 0 : 128) != 0)
        return fail("listen", errno);
    m_port = ops::localPort(m_listenFd);
    if (neverAccept) {
        if (const int e = fillAcceptQueue(addr))
            return fail("connect", e,
                        QStringLiteral("The never-accept peer could not fill its own accept "
                                       "queue: %1 The peer did not start.")
                            .arg(explainErrno(e, QStringLiteral("connect"))));
    }
    if (m_monitor)
        m_monitor->addPort(m_port);
    Event e = peerEvent(EventKind::Listening, label, QStringLiteral("listen"));
    e.local = ops::localAddressText(m_listenFd);
    e.detail = QStringLiteral("Built-in %1 peer: %2.")
                   .arg(behaviorName(config.behavior), behaviorDescription(config.behavior));
    // A peer is meant for this machine; say so loudly when the whole network can reach it.
    switch (m_net->isPrivate() ? Reach::Loopback : reachOf(addr)) {
    case Reach::Loopback:
        break;
    case Reach::AllInterfaces:
        e.detail += QStringLiteral(" WARNING: listening on ALL interfaces; any machine that can "
                                   "reach this one can connect to this peer.");
        break;
    case Reach::Network:
        e.detail += QStringLiteral(" WARNING: %1 is not a loopback address; other machines on "
                                   "that network can connect to this peer.")
                        .arg(config.bind);
        break;
    }
    m_bus->post(e);
    // What the peer reports belongs to the run that started it.
    m_thread = std::thread([this, run = m_bus->currentRun()] {
        m_bus->setCurrentRun(run);
        serve();
    });
    return 0;
}

int PeerServer::fillAcceptQueue(const ResolvedAddress &listenAddr)
{
    // A listener on the wildcard address is reached through loopback.
    QString host = m_config.bind;
    if (reachOf(listenAddr) == Reach::AllInterfaces)
        host = listenAddr.family == AF_INET6 ? QStringLiteral("::1") : QStringLiteral("127.0.0.1");
    ResolvedAddress to;
    if (!ops::parseNumericAddress(host, m_port, &to))
        return EADDRNOTAVAIL;
    m_fillerFd = m_net->tcpSocket(to.family, true);
    if (m_fillerFd < 0)
        return errno;
    if (::connect(m_fillerFd, reinterpret_cast<const sockaddr *>(&to.addr), to.len) != 0 &&
        errno != EINPROGRESS)
        return errno;
    // The listener turns readable once the handshake is done and the connection waits in its
    // accept queue: from then on the queue is full.
    pollfd p{m_listenFd, POLLIN, 0};
    const int n = ::poll(&p, 1, 2000);
    if (n < 0)
        return errno;
    return n == 0 ? ETIMEDOUT : 0;
}

void PeerServer::pullPlug()
{
    m_pullPlug.store(true);
    platform::wakeFdSignal(m_wakeFd);
}

void PeerServer::powerOff()
{
    m_powerOff.store(true);
    platform::wakeFdSignal(m_wakeFd);
}

void PeerServer::crash()
{
    m_crash.store(true);
    platform::wakeFdSignal(m_wakeFd);
}

void PeerServer::stop()
{
    m_stop.store(true);
    platform::wakeFdSignal(m_wakeFd);
    if (m_thread.joinable())
        m_thread.join();
}

void PeerServer::serve()
{
    struct Conn
    {
        int fd = -1;
        QString label;
        qint64 nextNs = 0; // drip: next byte; reset/close: when to act
        bool plugged = false;
        QByteArray pending;       // echo: received, not yet sent back
        bool clientDone = false;  // echo: the client sent FIN; close once pending is sent
        qint64 floodBytes = 0;    // flood: sent since the last report
        qint64 floodTotal = 0;    // flood: sent in all
        qint64 floodReportNs = 0; // flood: when the last report covered up to
    };
    std::vector<Conn> conns;
    int counter = 0;
    const PeerBehavior b = m_config.behavior;
    const qint64 intervalNs = qint64(m_config.effectiveIntervalMs()) * 1000000LL;
    qint64 acceptRetryNs = 0;   // accept() failed for want of resources: not before this
    bool acceptFailing = false; // said so once; said again only after it recovered

    // flood: one event for everything sent since the last one.
    const auto reportFlood = [&](Conn &c, qint64 now) {
        if (c.floodBytes == 0)
            return;
        Event e = peerEvent(EventKind::Sent, c.label, QStringLiteral("send"));
        e.monoNs = now;
        e.bytes = c.floodBytes;
        e.elapsed = (now - c.floodReportNs) / 1e9;
        e.data = escapeBytes(floodChunk());
        e.detail = QStringLiteral("Flood: %1 bytes in %2 s (%3 MB/s), %4 bytes in all; one "
                                  "event per %5 ms, not one per send().")
                       .arg(c.floodBytes)
                       .arg(*e.elapsed, 0, 'f', 3)
                       .arg(*e.elapsed > 0 ? c.floodBytes / *e.elapsed / 1e6 : 0.0, 0, 'f', 1)
                       .arg(c.floodTotal)
                       .arg(kFloodReportNs / 1000000);
        m_bus->post(e);
        c.floodBytes = 0;
        c.floodReportNs = now;
    };

    const auto closeConn = [&](Conn &c, const QString &detail, bool rst) {
        if (b == PeerBehavior::Flood)
            reportFlood(c, platform::monotonicNs());
        if (m_monitor)
            m_monitor->unwatch(c.fd);
        if (rst)
            platform::setOption(c.fd, platform::OptionId::Linger, 0);
        const qint64 unread = platform::unreadBytes(c.fd);
        ::close(c.fd);
        Event e = peerEvent(EventKind::Closed, c.label, QStringLiteral("close"));
        e.detail = detail;
        if (unread > 0 && !rst) {
            e.bytes = unread;
            e.detail += QLatin1Char(' ') + closedWithUnreadData(unread);
        }
        m_bus->post(e);
        c.fd = -1;
    };

    // reboot: the connection leaves the peer's kernel without a segment on the wire, as its
    // state does when a host reboots. A socket in repair mode closes silently.
    const auto forget = [&](Conn &c, const QString &detail) {
        if (m_monitor)
            m_monitor->unwatch(c.fd);
        const int err = platform::enterRepairMode(c.fd);
        if (err) {
            Event f = peerEvent(EventKind::Error, c.label, QStringLiteral("setsockopt"));
            f.err = err;
            f.option = QStringLiteral("TCP_REPAIR");
            f.detail = repairRefused(err);
            m_bus->post(f);
            closeConn(c, QStringLiteral("Not rebooted, so reset instead."), true);
            return;
        }
        ::close(c.fd);
        c.fd = -1;
        Event e = peerEvent(EventKind::Closed, c.label, QStringLiteral("close"));
        e.detail = detail;
        m_bus->post(e);
    };

    bool crashed = false;
    while (!m_stop.load()) {
        if (m_crash.exchange(false)) {
            crashed = true;
            // As the kernel cleans up after a process that died: a plain close of each.
            for (Conn &c : conns) {
                if (c.fd >= 0)
                    closeConn(c,
                              QStringLiteral("The server process crashed: its kernel closed "
                                             "the connection."),
                              false);
            }
            conns.clear();
            break; // and the listener below
        }
        if (m_powerOff.exchange(false)) {
            for (Conn &c : conns) {
                if (c.fd >= 0)
                    forget(c, QStringLiteral("Power lost: the server's kernel forgot the "
                                             "connection and sent nothing. The client's side "
                                             "is still ESTABLISHED."));
            }
            std::erase_if(conns, [](const Conn &c) { return c.fd < 0; });
        }
        if (m_pullPlug.exchange(false)) {
            for (Conn &c : conns) {
                if (c.fd < 0 || c.plugged)
                    continue;
                const int err = platform::attachDropFilter(c.fd);
                c.plugged = err == 0;
                Event e = peerEvent(err ? EventKind::Error : EventKind::Info, c.label,
                                    QStringLiteral("pull-plug"));
                e.err = err;
                e.detail = err ? dropFilterRefused(err, QStringLiteral("pulls the plug"))
                               : QStringLiteral("Plug pulled: the kernel now drops every segment "
                                                "for this connection and the peer sends nothing.");
                m_bus->post(e);
            }
        }
        std::vector<pollfd> fds;
        fds.push_back({m_wakeFd, POLLIN, 0});
        const bool accepting = b != PeerBehavior::NeverAccept;
        const bool acceptPaused = acceptRetryNs > platform::monotonicNs();
        fds.push_back({accepting && !acceptPaused ? m_listenFd : -1, POLLIN, 0});
        qint64 nextNs = acceptPaused ? acceptRetryNs : -1;
        for (const Conn &c : conns) {
            short ev = 0;
            if (!c.plugged && b != PeerBehavior::Blackhole) {
                if (b == PeerBehavior::Silent)
                    ev = POLLRDHUP;
                else if (b == PeerBehavior::Echo)
                    ev = short((c.pending.size() < kEchoBufferMax && !c.clientDone ? POLLIN : 0) |
                               (c.pending.isEmpty() ? 0 : POLLOUT));
                else if (b == PeerBehavior::Flood)
                    ev = POLLIN | POLLOUT; // POLLIN: what the client sends, and its close
                else
                    ev = POLLIN;
                if (c.nextNs > 0 && (nextNs < 0 || c.nextNs < nextNs))
                    nextNs = c.nextNs;
            }
            fds.push_back({c.plugged ? -1 : c.fd, ev, 0});
        }
        timespec ts{};
        timespec *tsp = nullptr;
        if (nextNs >= 0) {
            const qint64 left = std::max<qint64>(0, nextNs - platform::monotonicNs());
            ts = {time_t(left / 1000000000LL), long(left % 1000000000LL)};
            tsp = &ts;
        }
        if (::ppoll(fds.data(), fds.size(), tsp, nullptr) < 0 && errno != EINTR)
            break;
        if (fds[0].revents)
            platform::wakeFdDrain(m_wakeFd);

        const qint64 now = platform::monotonicNs();
        for (size_t i = 0; i < conns.size(); ++i) {
            Conn &c = conns[i];
            const short rev = fds[i + 2].revents;
            if (c.fd < 0 || c.plugged)
                continue;
            if (b == PeerBehavior::Silent && rev) {
                closeConn(c, QStringLiteral("The client closed; the silent peer closes too."),
                          false);
                continue;
            }
            if ((rev & (POLLERR | POLLHUP)) && !(rev & POLLIN)) {
                int soErr = 0;
                socklen_t len = sizeof soErr;
                getsockopt(c.fd, SOL_SOCKET, SO_ERROR, &soErr, &len);
                closeConn(c,
                          soErr
                              ? QStringLiteral("The connection failed: %1.").arg(errnoSymbol(soErr))
                              : QStringLiteral("The connection hung up."),
                          false);
                continue;
            }
            if (rev & POLLIN) {
                char buf[65536];
                const ssize_t n = ::recv(c.fd, buf, sizeof buf, MSG_DONTWAIT);
                if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
                    Event e = peerEvent(n == 0 ? EventKind::PeerClosed : EventKind::Error, c.label,
                                        QStringLiteral("recv"));
                    e.err = n < 0 ? errno : 0;
                    if (e.err)
                        e.detail = explainErrno(e.err, e.op);
                    // A FIN closes only the client's direction (it may have half-closed with
                    // shutdown(SHUT_WR)): what it sent before it is still owed, then our FIN.
                    const bool owed = n == 0 && !c.pending.isEmpty();
                    if (owed)
                        e.detail = QStringLiteral("The client sent FIN; %1 bytes it sent are still "
                                                  "to be echoed, then the peer closes.")
                                       .arg(c.pending.size());
                    m_bus->post(e);
                    if (owed) {
                        c.clientDone = true;
                    } else {
                        closeConn(c, QStringLiteral("The peer closes its end."), false);
                        continue;
                    }
                }
                if (n > 0) {
                    Event e = peerEvent(EventKind::Received, c.label, QStringLiteral("recv"));
                    e.bytes = n;
                    e.data = escapeBytes(QByteArray::fromRawData(buf, int(n)));
                    m_bus->post(e);
                    if (b == PeerBehavior::Echo)
                        c.pending.append(buf, int(n));
                }
            }
            if ((rev & POLLOUT) && b == PeerBehavior::Flood) {
                const QByteArray &chunk = floodChunk();
                int err = 0;
                for (int k = 0; k < kFloodSendsPerWake; ++k) {
                    const ssize_t n = ::send(c.fd, chunk.constData(), size_t(chunk.size()),
                                             MSG_DONTWAIT | MSG_NOSIGNAL);
                    if (n < 0) {
                        if (errno != EAGAIN && errno != EINTR)
                            err = errno;
                        break;
                    }
                    c.floodBytes += n;
                    c.floodTotal += n;
                }
                if (err) {
                    closeConn(c,
                              QStringLiteral("Flood stopped after %1 bytes: %2.")
                                  .arg(c.floodTotal + c.floodBytes)
                                  .arg(errnoSymbol(err)),
                              false);
                    continue;
                }
                if (now - c.floodReportNs >= kFloodReportNs)
                    reportFlood(c, now);
            }
            if ((rev & POLLOUT) && !c.pending.isEmpty()) {
                const ssize_t n = ::send(c.fd, c.pending.constData(), size_t(c.pending.size()),
                                         MSG_DONTWAIT | MSG_NOSIGNAL);
                if (n > 0) {
                    Event e = peerEvent(EventKind::Sent, c.label, QStringLiteral("send"));
                    e.bytes = n;
                    e.data = escapeBytes(c.pending.left(int(n)));
                    m_bus->post(e);
                    c.pending.remove(0, int(n));
                    if (c.clientDone && c.pending.isEmpty()) {
                        closeConn(c,
                                  QStringLiteral("Everything the client sent was echoed; the "
                                                 "peer closes its end (FIN)."),
                                  false);
                        continue;
                    }
                } else if (n < 0 && errno != EAGAIN && errno != EINTR) {
                    const int err = errno;
                    closeConn(c, QStringLiteral("Echo stopped: %1.").arg(errnoSymbol(err)), false);
                    continue;
                }
            }
            if (c.nextNs > 0 && now >= c.nextNs) {
                if (b == PeerBehavior::Drip) {
                    const char byte = '.';
                    const ssize_t n = ::send(c.fd, &byte, 1, MSG_DONTWAIT | MSG_NOSIGNAL);
                    if (n < 0 && errno != EAGAIN) {
                        const int err = errno;
                        closeConn(c, QStringLiteral("Drip stopped: %1.").arg(errnoSymbol(err)),
                                  false);
                        continue;
                    }
                    if (n == 1) { // EAGAIN: the client's buffers are full, nothing was sent
                        Event e = peerEvent(EventKind::Sent, c.label, QStringLiteral("send"));
                        e.bytes = 1;
                        e.data = QStringLiteral(".");
                        m_bus->post(e);
                    }
                    c.nextNs += intervalNs > 0 ? intervalNs : 1000000LL;
                } else if (b == PeerBehavior::Reset) {
                    closeConn(c,
                              QStringLiteral("Closed with SO_LINGER 0: the kernel sent RST "
                                             "instead of FIN."),
                              true);
                } else if (b == PeerBehavior::Close) {
                    closeConn(c, QStringLiteral("Closed gracefully: the kernel sent FIN."), false);
                } else if (b == PeerBehavior::Reboot) {
                    forget(c, QStringLiteral(
                                  "Rebooted: the peer's kernel forgot the connection and sent "
                                  "nothing (TCP_REPAIR, then close). The client's side is still "
                                  "ESTABLISHED; its next segment (data or a keepalive probe) "
                                  "reaches a host that no longer knows it, and is answered by "
                                  "RST."));
                }
            }
        }
        std::erase_if(conns, [](const Conn &c) { return c.fd < 0; });

        if (accepting && (fds[1].revents & POLLIN)) {
            sockaddr_storage from{};
            socklen_t len = sizeof from;
            const int fd = ::accept4(m_listenFd, reinterpret_cast<sockaddr *>(&from), &len,
                                     SOCK_CLOEXEC | SOCK_NONBLOCK);
            if (fd < 0) {
                const int err = errno;
                const bool resources =
                    err == EMFILE || err == ENFILE || err == ENOBUFS || err == ENOMEM;
                if (resources)
                    acceptRetryNs = platform::monotonicNs() + kAcceptRetryNs;
                if (err != EAGAIN && err != EINTR && !(resources && acceptFailing)) {
                    Event e = peerEvent(EventKind::Error, QStringLiteral("peer"),
                                        QStringLiteral("accept"));
                    e.err = err;
                    e.detail = explainErrno(e.err, e.op);
                    if (resources)
                        e.detail += QStringLiteral(" The connection waits in the backlog; the "
                                                   "peer tries again every %1 ms.")
                                        .arg(kAcceptRetryNs / 1000000);
                    m_bus->post(e);
                }
                acceptFailing = acceptFailing || resources;
                continue;
            }
            if (acceptFailing) {
                acceptFailing = false;
                Event e =
                    peerEvent(EventKind::Info, QStringLiteral("peer"), QStringLiteral("accept"));
                e.detail = QStringLiteral("accept() works again: descriptors are available.");
                m_bus->post(e);
            }
            if (int(conns.size()) >= kMaxConnections) {
                closeConn(
                    conns.front(),
                    QStringLiteral("Closed to stay within %1 connections.").arg(kMaxConnections),
                    true);
                conns.erase(conns.begin());
            }
            Conn c;
            c.fd = fd;
            c.label = QStringLiteral("peer%1").arg(++counter);
            if (m_monitor)
                m_monitor->nameSocket(fd, c.label);
            Event e = peerEvent(EventKind::Accepted, c.label, QStringLiteral("accept"));
            e.local = ops::localAddressText(fd);
            e.remote = ops::addressText(reinterpret_cast<sockaddr *>(&from));
            int filterErr = 0;
            if (b == PeerBehavior::Blackhole) {
                filterErr = platform::attachDropFilter(fd);
                c.plugged = filterErr == 0;
                e.detail = QStringLiteral("Blackholed: the kernel drops every segment that "
                                          "arrives for this connection; nothing is ACKed.");
            }
            if (b == PeerBehavior::Drip || b == PeerBehavior::Reset || b == PeerBehavior::Close ||
                b == PeerBehavior::Reboot)
                c.nextNs = platform::monotonicNs() + intervalNs;
            c.floodReportNs = platform::monotonicNs();
            m_bus->post(e);
            m_accepted.fetch_add(1);
            platform::wakeFdSignal(m_acceptedFd);
            if (filterErr) {
                // Never a live connection that claims to be dead: say so, and reset it.
                Event f = peerEvent(EventKind::Error, c.label, QStringLiteral("setsockopt"));
                f.err = filterErr;
                f.option = QStringLiteral("SO_ATTACH_FILTER");
                f.detail = dropFilterRefused(filterErr, QStringLiteral("blackholes this "
                                                                       "connection"));
                m_bus->post(f);
                closeConn(c, QStringLiteral("Not blackholed, so reset instead."), true);
                continue;
            }
            conns.push_back(c);
        }
    }
    for (Conn &c : conns) {
        if (c.fd >= 0)
            closeConn(c, QStringLiteral("The built-in peer stopped."), c.plugged);
    }
    if (m_listenFd >= 0) {
        ::close(m_listenFd);
        m_listenFd = -1;
        Event e = peerEvent(EventKind::Closed, QStringLiteral("peer"), QStringLiteral("close"));
        e.detail = crashed ? QStringLiteral("The server process crashed: its kernel closed the "
                                            "listener, so the port answers SYNs with RST.")
                           : QStringLiteral("The built-in peer stopped listening.");
        m_bus->post(e);
    }
}

} // namespace socklab
