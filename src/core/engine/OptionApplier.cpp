#include "OptionApplier.h"

#include "CallContext.h"
#include "ErrnoText.h"
#include "EventBus.h"
#include "Platform.h"
#include "SocketRegistry.h"

namespace socklab {

namespace {
// A value as the log shows it: a flag as true/false, linger off, a timeval in seconds.
QVariant shown(OptionId id, qint64 v)
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

QString optionNote(OptionId id, qint64 requested, qint64 effective)
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
} // namespace

bool OptionApplier::apply(int fd, const QString &sock, OptionId id, qint64 value)
{
    if (const int err = platform::setOption(fd, id, value)) {
        Event e = makeEvent(EventKind::Error, sock, QStringLiteral("setsockopt"));
        e.err = err;
        e.option = platform::optionName(id);
        e.requested = shown(id, value);
        e.detail = explainErrno(err, e.op);
        m_bus->post(e);
        return false;
    }
    qint64 eff = 0;
    platform::getOption(fd, id, &eff);
    Event e = makeEvent(EventKind::OptionSet, sock, QStringLiteral("setsockopt"));
    e.option = platform::optionName(id);
    e.requested = shown(id, value);
    e.effective = shown(id, eff);
    e.detail = optionNote(id, value, eff);
    m_bus->post(e);
    return true;
}

bool OptionApplier::applyAll(int fd, const QString &sock, const SocketOptions &o)
{
    for (const OptionDef &d : kOptionTable) {
        const std::optional<qint64> v = optionValue(d, o);
        if (v && !apply(fd, sock, d.id, *v))
            return false;
    }
    if (o.keepAlive.value_or(false))
        reportKeepaliveDefaults(fd, sock, o);
    return true;
}

bool OptionApplier::applyLive(EngineSocket &s, const QString &sock, const SocketOptions &now)
{
    const bool listener = s.role == EngineSocket::Role::Listener;
    bool keepalive = false;
    for (const OptionDef &d : kOptionTable) {
        if (d.phase == ApplyPhase::EachCall || (!d.flag && !d.number))
            continue;
        const std::optional<qint64> had = optionValue(d, s.options);
        const std::optional<qint64> want = optionValue(d, now);
        if (had == want)
            continue;
        QString why = lockedOnLiveSocket(d, listener);
        if (why.isEmpty() && !want && (d.id == OptionId::SndBuf || d.id == OptionId::RcvBuf))
            why = QStringLiteral("%1 stays as it was: once a buffer's size is set, the kernel "
                                 "no longer sizes it by itself, and nothing gives that back.")
                      .arg(QLatin1String(d.name));
        if (!why.isEmpty()) {
            const auto said = s.lockedSaid.constFind(int(d.id));
            if (said != s.lockedSaid.constEnd() && *said == want)
                continue; // said already for this value
            s.lockedSaid.insert(int(d.id), want);
            Event e = makeEvent(EventKind::Info, sock, QStringLiteral("setsockopt"));
            e.option = QLatin1String(d.name);
            e.detail = why;
            m_bus->post(e);
            continue;
        }
        // Unset in `now`: back to what the kernel does when nobody sets it.
        qint64 value = 0;
        if (want) {
            value = *want;
        } else if (d.kind == OptionKind::Linger) {
            value = -1;
        } else if (isKeepaliveParameter(d)) {
            const platform::KeepaliveDefaults def = platform::readKeepaliveDefaults();
            value = d.id == OptionId::KeepIdle    ? def.time
                    : d.id == OptionId::KeepIntvl ? def.intvl
                                                  : def.probes;
            if (value < 1)
                continue; // the system's value is not readable here: leave it
        }
        if (!apply(s.fd, sock, d.id, value))
            return keepalive;
        if (d.flag)
            s.options.*d.flag = now.*d.flag;
        else
            s.options.*d.number = now.*d.number;
        keepalive = keepalive || d.id == OptionId::KeepAlive || isKeepaliveParameter(d) ||
                    d.id == OptionId::UserTimeout;
    }
    return keepalive;
}

// Keepalive's parameters left unset run with the system's settings: say which, and where
// they came from.
void OptionApplier::reportKeepaliveDefaults(int fd, const QString &sock, const SocketOptions &o)
{
    for (const OptionDef &d : kOptionTable) {
        if (!isKeepaliveParameter(d) || o.*d.number)
            continue;
        qint64 v = 0;
        platform::getOption(fd, d.id, &v);
        Event e = makeEvent(EventKind::SystemDefault, sock, QStringLiteral("getsockopt"));
        e.option = QLatin1String(d.name);
        e.effective = v;
        e.detail = QStringLiteral("Not set: the system default from %1 applies.")
                       .arg(platform::keepaliveDefaultSource(d.id));
        m_bus->post(e);
    }
}

void OptionApplier::reportInherited(int fd, const QString &sock, const SocketOptions &listenerOpts)
{
    for (const OptionDef &d : kOptionTable) {
        const std::optional<qint64> v = optionValue(d, listenerOpts);
        if (!v || !d.inherited)
            continue;
        qint64 eff = 0;
        platform::getOption(fd, d.id, &eff);
        Event e = makeEvent(EventKind::OptionInherited, sock, QStringLiteral("getsockopt"));
        e.option = QLatin1String(d.name);
        e.requested = shown(d.id, *v);
        e.effective = shown(d.id, eff);
        e.detail = QStringLiteral("Set on the listener, read back on the accepted socket.");
        m_bus->post(e);
    }
}

bool OptionApplier::armKernelTimeout(EngineSocket &s, const QString &label, OptionId id,
                                     const CallSpec &c)
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

int OptionApplier::effectiveKeepIdle(int fd)
{
    qint64 v = 0;
    platform::getOption(fd, OptionId::KeepIdle, &v);
    return int(v);
}

} // namespace socklab
