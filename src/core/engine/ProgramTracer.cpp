#include "ProgramTracer.h"

#include "CallContext.h"
#include "ErrnoText.h"
#include "EventBus.h"
#include "Monitor.h"
#include "Platform.h"

#include <QHash>

#include <cerrno>

namespace socklab {

namespace {

enum class Call
{
    Connect,
    Accept,
    Recv,
    Send,
    Wait, // poll, ppoll, select, pselect6: waits for a socket to be ready
    Other // returns at once: socket, bind, listen, setsockopt, shutdown, close
};

Call classify(const QByteArray &name)
{
    if (name == "connect")
        return Call::Connect;
    if (name == "accept" || name == "accept4")
        return Call::Accept;
    if (name == "recvfrom" || name == "recvmsg" || name == "recv" || name == "read")
        return Call::Recv;
    if (name == "sendto" || name == "sendmsg" || name == "send" || name == "write")
        return Call::Send;
    if (name == "poll" || name == "ppoll" || name == "select" || name == "pselect6")
        return Call::Wait;
    return Call::Other;
}

// The errno a name stands for ("EAGAIN" -> EAGAIN); 0 for the kernel's internal ones
// (ERESTARTSYS), which a program never sees.
int errnoOf(const QByteArray &name)
{
    static const QHash<QByteArray, int> byName = [] {
        QHash<QByteArray, int> h;
        for (int e = 1; e < 256; ++e) {
            const QByteArray n = errnoSymbol(e).toLatin1();
            if (n.startsWith('E') && !h.contains(n))
                h.insert(n, e);
        }
        h.insert("EWOULDBLOCK", EAGAIN);
        return h;
    }();
    return byName.value(name, 0);
}

QString seconds(double s)
{
    return s < 0.001 ? QStringLiteral("%1 ms").arg(s * 1000, 0, 'f', 3)
                     : QStringLiteral("%1 s").arg(s, 0, 'f', 3);
}

QString secondsShort(double s)
{
    return QStringLiteral("%1 s").arg(s, 0, 'g', 6);
}

// "198.51.100.1:7" from connect's or accept's sockaddr as strace prints it.
QString addressIn(const QByteArray &args)
{
    const auto quoted = [&](QByteArrayView key) -> QString {
        const qsizetype at = args.indexOf(key);
        if (at < 0)
            return {};
        const qsizetype from = at + key.size();
        const qsizetype to = args.indexOf('"', from);
        return to > from ? QString::fromLatin1(args.mid(from, to - from)) : QString();
    };
    QString host = quoted("inet_addr(\"");
    bool six = false;
    if (host.isEmpty()) {
        host = quoted("inet_pton(AF_INET6, \"");
        six = !host.isEmpty();
    }
    const qsizetype p = args.indexOf("htons(");
    if (host.isEmpty() || p < 0)
        return {};
    const qsizetype end = args.indexOf(')', p);
    const QString port = QString::fromLatin1(args.mid(p + 6, end - p - 6));
    return six ? QStringLiteral("[%1]:%2").arg(host, port)
               : QStringLiteral("%1:%2").arg(host, port);
}

constexpr int kLineShown = 400; // of strace's line, in the event

} // namespace

ProgramTracer::ProgramTracer(EventBus *bus, Monitor *monitor) : m_bus(bus), m_monitor(monitor)
{
    // strace stamps each call with the wall clock (-ttt); events carry the monotonic one.
    const platform::Instant at = platform::now();
    m_wallMinusMonoNs = qint64(at.wall * 1e9) - at.monoNs;
}

QString ProgramTracer::tracedCalls()
{
    return QStringLiteral("socket,connect,accept,accept4,bind,listen,setsockopt,shutdown,close,"
                          "recvfrom,recvmsg,read,sendto,sendmsg,write,poll,ppoll,select,"
                          "pselect6");
}

QStringList ProgramTracer::command(const QString &strace, const QString &outputPath,
                                   const QStringList &argv)
{
    // -f: its threads and children too; --seccomp-bpf: the other calls run without stopping
    // (half the start-up cost of a Python program through pyenv's shim: 0.27 s against 0.52 s);
    // -ttt: when each call entered, -T: how long it took; -y: which socket a descriptor is
    // (its inode); -qq, -e signal=none: only calls.
    return QStringList{strace,
                       QStringLiteral("-f"),
                       QStringLiteral("--seccomp-bpf"),
                       QStringLiteral("-qq"),
                       QStringLiteral("-ttt"),
                       QStringLiteral("-T"),
                       QStringLiteral("-y"),
                       QStringLiteral("-s"),
                       QStringLiteral("48"),
                       QStringLiteral("-e"),
                       QStringLiteral("signal=none"),
                       QStringLiteral("-e"),
                       QStringLiteral("trace=") + tracedCalls(),
                       QStringLiteral("-o"),
                       outputPath,
                       QStringLiteral("--")} +
           argv;
}

void ProgramTracer::feed(const QByteArray &text, bool complete)
{
    const std::optional<StraceLine> line = parseStraceLine(text);
    if (!line)
        return;
    const auto open = m_open.find(line->pid);
    switch (line->part) {
    case StraceLine::Part::Entry:
        // Entered, not returned: an unfinished tail is passed again after every read until
        // its line ends, so begin only once.
        if (open != m_open.end() && open->entry.wallNs == line->wallNs &&
            open->entry.name == line->name)
            return;
        if (!complete && open != m_open.end())
            return; // the tail of a line whose start was not seen
        begin(*line);
        return;
    case StraceLine::Part::Resumed: {
        if (open == m_open.end() || open->entry.name != line->name)
            return; // its entry was not seen
        Open o = *open;
        m_open.erase(open);
        finish(std::move(o), *line, text);
        return;
    }
    case StraceLine::Part::Whole: {
        if (!complete)
            return; // cannot be: a whole call ends with its newline
        if (open != m_open.end() && open->entry.wallNs == line->wallNs &&
            open->entry.name == line->name) {
            Open o = *open; // its entry came as the tail of the last read
            m_open.erase(open);
            finish(std::move(o), *line, text);
            return;
        }
        Open o;
        o.entry = *line;
        o.sock = socketOf(*line, &o.inode);
        finish(std::move(o), *line, text);
        return;
    }
    }
}

QString ProgramTracer::socketOf(const StraceLine &line, quint64 *inode)
{
    for (const quint64 i : socketInodes(line.args)) {
        if (!m_tcp.contains(i))
            continue;
        if (inode)
            *inode = i;
        return m_monitor->adoptSocket(i);
    }
    return {};
}

Event ProgramTracer::callEvent(EventKind kind, const QString &sock, const StraceLine &entry) const
{
    Event e = makeEvent(kind, sock, QString::fromLatin1(entry.name));
    e.extra.insert(QStringLiteral("traced"), QStringLiteral("strace"));
    e.extra.insert(QStringLiteral("pid"), entry.pid);
    return e;
}

void ProgramTracer::post(Event &e, const QByteArray &text)
{
    e.extra.insert(
        QStringLiteral("call"),
        QString::fromLatin1(text.size() > kLineShown ? text.left(kLineShown) + "..." : text)
            .trimmed());
    ++m_shown;
    m_bus->post(e);
}

void ProgramTracer::begin(const StraceLine &entry)
{
    Open o;
    o.entry = entry;
    o.sock = socketOf(entry, &o.inode);
    const quint64 inode = o.inode;
    const Call c = classify(entry.name);
    if (!o.sock.isEmpty() && c != Call::Other) {
        EventKind kind = EventKind::Receiving;
        switch (c) {
        case Call::Connect:
            kind = EventKind::Connecting;
            break;
        case Call::Accept:
            kind = EventKind::Accepting;
            break;
        case Call::Send:
            kind = EventKind::Sending;
            break;
        case Call::Wait: {
            // poll: the events it waits for; select: whether it has a set to read.
            const bool select = entry.name.contains("select");
            const bool forWrite =
                select ? entry.args.mid(entry.args.indexOf(',') + 1).trimmed().startsWith("NULL")
                       : entry.args.contains("POLLOUT") && !entry.args.contains("POLLIN");
            kind = forWrite
                       ? (m_connecting.contains(inode) ? EventKind::Connecting : EventKind::Sending)
                       : EventKind::Receiving;
            break;
        }
        default:
            break;
        }
        Event e = callEvent(kind, o.sock, entry);
        e.monoNs = monoOf(entry.wallNs);
        QString waits;
        if (c == Call::Wait) {
            if (const auto t = waitTimeout(entry.name, entry.args)) {
                e.timeout = *t;
                e.mechanism = QStringLiteral("poll");
                waits = QStringLiteral(" and waits at most %1").arg(secondsShort(*t));
            } else if (entry.args.endsWith(", -1") || entry.args.contains("NULL")) {
                e.timeoutNone = true;
                waits = QStringLiteral(" and waits with no time limit");
            }
        } else if (const auto t = (c == Call::Send ? m_sendTimeout : m_recvTimeout).value(inode);
                   t > 0 && c != Call::Accept) {
            e.timeout = t;
            e.mechanism = QStringLiteral("sockopt");
            waits = QStringLiteral(", which may block at most %1 (%2)")
                        .arg(secondsShort(t), c == Call::Send ? QStringLiteral("SO_SNDTIMEO")
                                                              : QStringLiteral("SO_RCVTIMEO"));
        }
        e.detail = QStringLiteral("The program called %1() on %2%3 (seen by strace).")
                       .arg(QString::fromLatin1(entry.name), o.sock, waits);
        post(e, entry.args.isEmpty() ? entry.name : entry.name + '(' + entry.args);
        o.started = true;
    }
    m_open.insert(entry.pid, std::move(o));
}

void ProgramTracer::finish(Open open, const StraceLine &result, const QByteArray &text)
{
    const StraceLine &entry = open.entry;
    const Call c = classify(entry.name);
    const QByteArray &args = entry.args;
    const QString name = QString::fromLatin1(entry.name);
    const QString call = name + QStringLiteral("()");
    const double took = result.durationNs >= 0 ? result.durationNs / 1e9 : -1;
    const qint64 endNs =
        result.durationNs >= 0 ? monoOf(entry.wallNs) + result.durationNs : platform::monotonicNs();
    const int err = result.errName.isEmpty() ? 0 : errnoOf(result.errName);
    const bool failed = result.retText.startsWith('-') || !result.errName.isEmpty();
    const QString after = took >= 0 ? QStringLiteral(" after %1").arg(seconds(took)) : QString();

    // socket(): a TCP socket of the program's, named now (the kernel's table shows it only
    // once it is bound or connecting).
    if (entry.name == "socket") {
        const QList<quint64> made = socketInodes(result.retText);
        if (failed || made.isEmpty() || !args.contains("SOCK_STREAM") ||
            !(args.startsWith("AF_INET,") || args.startsWith("AF_INET6,")))
            return;
        m_tcp.insert(made.first());
        const QString sock = m_monitor->adoptSocket(made.first());
        Event e = callEvent(EventKind::Info, sock, entry);
        e.monoNs = endNs;
        e.detail = QStringLiteral("The program made %1: socket(%2) (seen by strace).")
                       .arg(sock, QString::fromLatin1(args));
        post(e, text);
        return;
    }
    // Which socket was found once, when the call was first seen.
    const QString &sock = open.sock;
    const quint64 inode = open.inode;
    if (sock.isEmpty())
        return; // not a socket of the program's

    Event e = callEvent(EventKind::Info, sock, entry);
    e.monoNs = endNs;
    if (took >= 0)
        e.elapsed = took;
    e.err = err;
    if (result.retText == "?") {
        e.kind = EventKind::Cancelled;
        e.detail = QStringLiteral("%1 on %2 did not return: the program ended during it%3.")
                       .arg(call, sock, after);
        post(e, text);
        return;
    }
    if (failed && err == 0) {
        // ERESTARTSYS and its kin: a signal came; the C library calls again or the program
        // sees EINTR.
        e.detail = QStringLiteral("%1 on %2 was interrupted by a signal%3 (%4).")
                       .arg(call, sock, after, QString::fromLatin1(result.errName));
        post(e, text);
        return;
    }
    const double recvLimit = m_recvTimeout.value(inode);
    const double sendLimit = m_sendTimeout.value(inode);
    switch (c) {
    case Call::Wait:
        if (!failed && result.ret == 0) {
            e.kind = EventKind::Timeout;
            e.mechanism = QStringLiteral("poll");
            if (const auto t = waitTimeout(entry.name, args))
                e.timeout = *t;
            e.detail = QStringLiteral("%1 returned 0%2: its time limit%3 ran out before %4 was "
                                      "ready.")
                           .arg(call, after,
                                e.timeout ? QStringLiteral(" of %1").arg(secondsShort(*e.timeout))
                                          : QString(),
                                sock);
        } else if (failed) {
            e.kind = EventKind::Error;
            e.detail = QStringLiteral("%1 failed with %2%3: %4")
                           .arg(call, errnoSymbol(err), after, explainErrno(err, name));
        } else {
            e.detail = QStringLiteral("%1 returned%2: %3 is ready (%4).")
                           .arg(call, after, sock, QString::fromLatin1(result.retNote));
        }
        break;
    case Call::Connect:
        e.remote = addressIn(args);
        if (!failed) {
            e.kind = EventKind::Connected;
            m_connecting.remove(inode);
            e.detail = QStringLiteral("connect() returned 0%1: %2 is connected to %3.")
                           .arg(after, sock, e.remote);
        } else if (err == EINPROGRESS) {
            m_connecting.insert(inode);
            e.detail = QStringLiteral("connect() returned at once with EINPROGRESS: %1 is "
                                      "non-blocking, the handshake goes on, and the program "
                                      "waits for it (a poll for POLLOUT).")
                           .arg(sock);
        } else if (err == EAGAIN && sendLimit > 0 && took >= sendLimit * 0.9) {
            e.kind = EventKind::Timeout;
            e.mechanism = QStringLiteral("sockopt");
            e.timeout = sendLimit;
            e.detail = QStringLiteral("connect() failed with EAGAIN%1: the socket's SO_SNDTIMEO "
                                      "of %2 ran out.")
                           .arg(after, secondsShort(sendLimit));
        } else {
            e.kind = EventKind::Error;
            e.detail = QStringLiteral("connect() failed with %1%2: %3")
                           .arg(errnoSymbol(err), after, explainErrno(err, name));
        }
        break;
    case Call::Accept:
        if (!failed) {
            const QList<quint64> made = socketInodes(result.retText);
            QString accepted;
            if (!made.isEmpty()) {
                m_tcp.insert(made.first());
                accepted = m_monitor->adoptSocket(made.first());
            }
            e.kind = EventKind::Accepted;
            e.remote = addressIn(args);
            e.extra.insert(QStringLiteral("accepted"), accepted);
            e.detail =
                QStringLiteral("%1 on %2 returned a new connection%3: %4%5.")
                    .arg(call, sock, after, accepted.isEmpty() ? QStringLiteral("?") : accepted,
                         e.remote.isEmpty() ? QString() : QStringLiteral(" from %1").arg(e.remote));
            break;
        }
        [[fallthrough]];
    case Call::Recv:
    case Call::Send: {
        const bool recv = c != Call::Send;
        const double limit = recv ? recvLimit : sendLimit;
        if (!failed) {
            e.bytes = result.ret;
            if (recv && result.ret == 0) {
                e.kind = EventKind::PeerClosed;
                e.detail = QStringLiteral("%1 on %2 returned 0%3: the peer closed its side "
                                          "(its FIN came), nothing more will arrive.")
                               .arg(call, sock, after);
            } else {
                e.kind = recv ? EventKind::Received : EventKind::Sent;
                e.detail =
                    QStringLiteral("%1 on %2 %3 %4 bytes%5.")
                        .arg(call, sock, recv ? QStringLiteral("returned") : QStringLiteral("sent"))
                        .arg(result.ret)
                        .arg(after);
            }
        } else if (err == EAGAIN && limit > 0 && took >= limit * 0.9) {
            e.kind = EventKind::Timeout;
            e.mechanism = QStringLiteral("sockopt");
            e.timeout = limit;
            e.detail =
                QStringLiteral("%1 on %2 failed with EAGAIN%3: the socket's %4 of %5 ran "
                               "out.")
                    .arg(call, sock, after,
                         recv ? QStringLiteral("SO_RCVTIMEO") : QStringLiteral("SO_SNDTIMEO"),
                         secondsShort(limit));
        } else if (err == EAGAIN) {
            e.detail = QStringLiteral("%1 on %2 returned at once with EAGAIN: %3 on a "
                                      "non-blocking socket. The program waits for it elsewhere "
                                      "(poll, select), as Python's settimeout() does.")
                           .arg(call, sock,
                                c == Call::Accept ? QStringLiteral("no connection waits")
                                : recv            ? QStringLiteral("nothing to read yet")
                                                  : QStringLiteral("no room to send yet"));
        } else {
            e.kind = EventKind::Error;
            e.detail = QStringLiteral("%1 on %2 failed with %3%4: %5")
                           .arg(call, sock, errnoSymbol(err), after, explainErrno(err, name));
        }
        break;
    }
    case Call::Other: {
        if (failed) {
            e.kind = EventKind::Error;
            e.detail = QStringLiteral("%1 on %2 failed with %3: %4")
                           .arg(call, sock, errnoSymbol(err), explainErrno(err, name));
            break;
        }
        if (entry.name == "bind") {
            e.kind = EventKind::Bound;
            e.local = addressIn(args);
            e.detail = QStringLiteral("The program bound %1 to %2.").arg(sock, e.local);
        } else if (entry.name == "listen") {
            e.kind = EventKind::Listening;
            e.detail = QStringLiteral("%1 listens (%2).").arg(sock, QString::fromLatin1(args));
        } else if (entry.name == "close") {
            e.kind = EventKind::Closed;
            e.detail = QStringLiteral("The program closed %1.").arg(sock);
            m_tcp.remove(inode);
            m_connecting.remove(inode);
            m_recvTimeout.remove(inode);
            m_sendTimeout.remove(inode);
        } else if (entry.name == "setsockopt") {
            const QList<QByteArray> parts = args.split(',');
            e.option = QString::fromLatin1(parts.value(2).trimmed());
            if (e.option.startsWith(QLatin1String("SO_RCVTIMEO")) ||
                e.option.startsWith(QLatin1String("SO_SNDTIMEO"))) {
                const double t = timevalSeconds(args).value_or(0);
                (e.option.startsWith(QLatin1String("SO_RCVTIMEO")) ? m_recvTimeout
                                                                   : m_sendTimeout)[inode] = t;
                e.requested = t;
                e.option.chop(e.option.endsWith(QLatin1String("_OLD")) ||
                                      e.option.endsWith(QLatin1String("_NEW"))
                                  ? 4
                                  : 0);
                e.detail = QStringLiteral("The program set %1 on %2 to %3.")
                               .arg(e.option, sock,
                                    t > 0 ? secondsShort(t) : QStringLiteral("0 (no limit)"));
            } else {
                e.requested = QString::fromLatin1(parts.value(3).trimmed());
                e.detail = QStringLiteral("The program set %1 on %2 to %3.")
                               .arg(e.option, sock, e.requested.toString());
            }
        } else {
            e.detail = QStringLiteral("%1 on %2 returned %3.")
                           .arg(call, sock, QString::fromLatin1(result.retText));
        }
        break;
    }
    }
    post(e, text);
}

} // namespace socklab
