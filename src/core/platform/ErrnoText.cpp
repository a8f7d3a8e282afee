#include "ErrnoText.h"
#include "KernelFacts.h"

#include <cerrno>
#include <cstring>

namespace socklab {

QString errnoSymbol(int err)
{
#define SOCKLAB_ERRNO(e)                                                                           \
    case e:                                                                                        \
        return QStringLiteral(#e);
    switch (err) {
        SOCKLAB_ERRNO(EADDRINUSE)
        SOCKLAB_ERRNO(EADDRNOTAVAIL)
        SOCKLAB_ERRNO(ECONNREFUSED)
        SOCKLAB_ERRNO(ECONNRESET)
        SOCKLAB_ERRNO(ECONNABORTED)
        SOCKLAB_ERRNO(ETIMEDOUT)
        SOCKLAB_ERRNO(EAGAIN)
        SOCKLAB_ERRNO(EINPROGRESS)
        SOCKLAB_ERRNO(EALREADY)
        SOCKLAB_ERRNO(EISCONN)
        SOCKLAB_ERRNO(ENOTCONN)
        SOCKLAB_ERRNO(EACCES)
        SOCKLAB_ERRNO(EPERM)
        SOCKLAB_ERRNO(EHOSTUNREACH)
        SOCKLAB_ERRNO(ENETUNREACH)
        SOCKLAB_ERRNO(ENETDOWN)
        SOCKLAB_ERRNO(EPIPE)
        SOCKLAB_ERRNO(EINTR)
        SOCKLAB_ERRNO(EINVAL)
        SOCKLAB_ERRNO(EBADF)
        SOCKLAB_ERRNO(EMFILE)
        SOCKLAB_ERRNO(ENFILE)
        SOCKLAB_ERRNO(ENOBUFS)
        SOCKLAB_ERRNO(ENOMEM)
        SOCKLAB_ERRNO(ENOPROTOOPT)
        SOCKLAB_ERRNO(EOPNOTSUPP)
        SOCKLAB_ERRNO(EAFNOSUPPORT)
        SOCKLAB_ERRNO(EPROTO)
        SOCKLAB_ERRNO(EMSGSIZE)
        SOCKLAB_ERRNO(ENOENT)
        SOCKLAB_ERRNO(ESHUTDOWN)
    default:
        return QStringLiteral("E%1").arg(err);
    }
#undef SOCKLAB_ERRNO
}

QString explainErrno(int err, const QString &op)
{
    const bool connecting = op == QLatin1String("connect");
    const bool binding = op == QLatin1String("bind") || op == QLatin1String("listen");
    switch (err) {
    case EADDRINUSE:
        if (binding)
            return QStringLiteral(
                "Another socket holds this address and port: a live listener, or connections "
                "in TIME_WAIT or still open from the previous run. On Linux, SO_REUSEADDR on "
                "the old and the new socket lets bind() pass over every socket that is not "
                "listening; two live listeners need SO_REUSEPORT on both (same user).");
        return QStringLiteral("No free local port for this connection (the local address and "
                              "port are in use).");
    case EADDRNOTAVAIL:
        return binding ? QStringLiteral("This address does not belong to any interface of this "
                                        "machine, so nothing can listen on it.")
                       : QStringLiteral("No local address or ephemeral port is available to "
                                        "reach that destination.");
    case ECONNREFUSED:
        return QStringLiteral("The host answered with a reset: nothing is listening on that "
                              "port (or a firewall rejects it).");
    case ECONNRESET:
        return QStringLiteral("The peer reset the connection (RST): most often it closed its "
                              "socket with data it had not read, or with SO_LINGER 0; or it had "
                              "forgotten the connection (it restarted).");
    case ECONNABORTED:
        return QStringLiteral("The connection was aborted before the call could complete.");
    case ETIMEDOUT:
        if (connecting)
            return synGiveUpText();
        return facts::expand(
            QStringLiteral("The kernel declared the connection dead: on an idle connection "
                           "TCP_KEEPCNT keepalive probes went unanswered; with sent data "
                           "unacknowledged, its retransmissions ran out of budget "
                           "({retries2_budget}); or TCP_USER_TIMEOUT expired first."),
            nullptr);
    case EAGAIN:
        if (op == QLatin1String("accept"))
            return QStringLiteral("No connection arrived before SO_RCVTIMEO expired (or the "
                                  "socket is non-blocking and none was waiting).");
        return QStringLiteral("The call would block: the socket is non-blocking (timeout 0) or "
                              "its SO_RCVTIMEO/SO_SNDTIMEO expired.");
    case EINPROGRESS:
        return QStringLiteral(
            "The connection attempt has not finished: connect() returned early (non-blocking, "
            "or SO_SNDTIMEO expired) while the kernel keeps trying in SYN-SENT.");
    case EALREADY:
        return QStringLiteral("A connection attempt is already in progress on this socket.");
    case EISCONN:
        return QStringLiteral("This socket is already connected.");
    case ENOTCONN:
        return QStringLiteral("This socket is not connected.");
    case EACCES:
        return binding ? QStringLiteral("Ports below 1024 are privileged: binding them needs root "
                                        "or CAP_NET_BIND_SERVICE. Pick a port of 1024 or above.")
                       : QStringLiteral("Permission denied by the kernel or a firewall rule.");
    case EPERM:
        return QStringLiteral("The operation is not permitted (a firewall rule, or a missing "
                              "capability).");
    case EHOSTUNREACH:
        return QStringLiteral("No route to that host: it is down or unreachable from here "
                              "(an ICMP host-unreachable came back).");
    case ENETUNREACH:
        return QStringLiteral("No route to that network: this machine has none (IPv6 without "
                              "IPv6 connectivity, for one), or a router on the way has none and "
                              "said so (an ICMP network-unreachable came back).");
    case ENETDOWN:
        return QStringLiteral("The network interface is down.");
    case EPIPE:
        return QStringLiteral("The connection is closed for sending: the peer reset it or this "
                              "side shut it down.");
    case EINTR:
        return QStringLiteral("A signal interrupted the call.");
    case EINVAL:
        return QStringLiteral("The kernel rejected the request as invalid for this socket in its "
                              "current state.");
    case EBADF:
        return QStringLiteral("The descriptor is not open.");
    case EMFILE:
        return QStringLiteral("This process has run out of file descriptors (RLIMIT_NOFILE); "
                              "close sockets or raise the limit.");
    case ENFILE:
        return QStringLiteral("The whole system has run out of file descriptors.");
    case ENOBUFS:
    case ENOMEM:
        return QStringLiteral("The kernel is out of buffer memory for sockets.");
    case ENOPROTOOPT:
        return QStringLiteral("This kernel does not support that socket option.");
    case EAFNOSUPPORT:
        return QStringLiteral("This address family is not supported here.");
    default:
        return QString::fromLocal8Bit(std::strerror(err)) + QLatin1Char('.');
    }
}

QString closedWithUnreadData(qint64 unread)
{
    return QStringLiteral("%1 received byte(s) were never read, so close() made the kernel send "
                          "RST instead of FIN (data would be lost silently otherwise): the peer's "
                          "next call fails with ECONNRESET, and neither side keeps TIME_WAIT.")
        .arg(unread);
}

QString synGiveUpText(std::optional<int> synCnt)
{
    const QString budget =
        synCnt ? QStringLiteral("this socket's SYN budget, TCP_SYNCNT %1").arg(*synCnt)
               : facts::expand(QStringLiteral("its SYN budget ({net.ipv4.tcp_syn_retries}, or "
                                              "TCP_SYNCNT)"),
                               nullptr);
    return QStringLiteral("The kernel gave up resending the SYN: the host never answered within "
                          "the time it computes from %1, or TCP_USER_TIMEOUT expired first.")
        .arg(budget);
}

QString dropFilterRefused(int err, const QString &purpose)
{
    const QString head = QStringLiteral("setsockopt(SO_ATTACH_FILTER) failed with %1: the kernel "
                                        "refused the drop-all socket filter that %2.")
                             .arg(errnoSymbol(err), purpose);
    if (err == EPERM || err == EACCES)
        return head + QStringLiteral(" This system does not let an ordinary user attach socket "
                                     "filters; root (or a process with CAP_NET_ADMIN) may. Run "
                                     "SockLab as root for this.");
    return head + QLatin1Char(' ') + explainErrno(err, QStringLiteral("setsockopt"));
}

QString repairRefused(int err)
{
    const QString head = QStringLiteral("setsockopt(TCP_REPAIR) failed with %1: the kernel "
                                        "refused the repair mode that lets a connection vanish "
                                        "without a FIN or RST, as it does when a host reboots.")
                             .arg(errnoSymbol(err));
    if (err == EPERM || err == EACCES)
        return head + QStringLiteral(" It needs CAP_NET_ADMIN, which an ordinary user does not "
                                     "have here; root may. Run SockLab as root for this.");
    return head + QLatin1Char(' ') + explainErrno(err, QStringLiteral("setsockopt"));
}

} // namespace socklab
