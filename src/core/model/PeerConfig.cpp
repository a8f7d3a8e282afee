#include "PeerConfig.h"

#include <QStringList>

#include <array>
#include <utility>

namespace socklab {

namespace {
constexpr std::array<std::pair<PeerBehavior, const char *>, 9> kBehaviors{{
    {PeerBehavior::Echo, "echo"},
    {PeerBehavior::Silent, "silent"},
    {PeerBehavior::Drip, "drip"},
    {PeerBehavior::Blackhole, "blackhole"},
    {PeerBehavior::NeverAccept, "never-accept"},
    {PeerBehavior::Reset, "reset"},
    {PeerBehavior::Close, "close"},
    {PeerBehavior::Flood, "flood"},
    {PeerBehavior::Reboot, "reboot"},
}};
} // namespace

QString behaviorName(PeerBehavior b)
{
    for (const auto &[k, n] : kBehaviors) {
        if (k == b)
            return QString::fromLatin1(n);
    }
    return {};
}

std::optional<PeerBehavior> behaviorFromName(const QString &name)
{
    for (const auto &[k, n] : kBehaviors) {
        if (name == QLatin1String(n))
            return k;
    }
    return std::nullopt;
}

QString behaviorNames()
{
    QStringList names;
    for (const auto &[k, n] : kBehaviors)
        names << QString::fromLatin1(n);
    return names.join(QLatin1Char('|'));
}

QString behaviorDescription(PeerBehavior b)
{
    switch (b) {
    case PeerBehavior::Echo:
        return QStringLiteral("sends back every byte it receives");
    case PeerBehavior::Silent:
        return QStringLiteral("accepts and then never reads or sends: a hung server");
    case PeerBehavior::Drip:
        return QStringLiteral("sends one byte every interval, so each recv() returns in time "
                              "while the whole exchange runs long");
    case PeerBehavior::Blackhole:
        return QStringLiteral("accepts, then the kernel drops every segment for the connection "
                              "(a drop-all socket filter): nothing is ACKed, like a host that "
                              "lost power");
    case PeerBehavior::NeverAccept:
        return QStringLiteral(
            "a listener whose accept queue is full (backlog 0, filled by one "
            "connection of its own that it never accepts), so the kernel drops "
            "every further SYN without an answer: connect() never completes "
            "(the client retransmits its SYN; nstat counts TcpExtListenOverflows)");
    case PeerBehavior::Reset:
        return QStringLiteral("accepts, then closes with SO_LINGER 0: the kernel sends RST");
    case PeerBehavior::Close:
        return QStringLiteral("accepts, then closes gracefully: the kernel sends FIN");
    case PeerBehavior::Flood:
        return QStringLiteral("accepts, then sends data as fast as the connection takes it, "
                              "without end, until the client closes: a runaway server");
    case PeerBehavior::Reboot:
        return QStringLiteral("accepts, then after the interval its kernel forgets the "
                              "connection without sending FIN or RST (TCP_REPAIR, then close), "
                              "as a host that reboots does; its listener stays, as a service "
                              "that is back up, so the client's next segment is answered by RST");
    }
    return {};
}

int PeerConfig::effectiveIntervalMs() const
{
    if (intervalMs >= 0)
        return intervalMs;
    return behavior == PeerBehavior::Drip ? 800 : 0;
}

} // namespace socklab
