#pragma once

#include <QString>

#include <optional>

namespace socklab {

// How a built-in peer treats the connections it accepts.
enum class PeerBehavior
{
    Echo,        // sends back what it receives
    Silent,      // accepts, never reads, never sends
    Drip,        // sends one byte every interval
    Blackhole,   // accepts, then the kernel drops every segment for the connection: a dead host
    NeverAccept, // an accept queue kept full: the kernel drops SYNs, connect() never completes
    Reset,       // after the interval, SO_LINGER 0 and close: RST
    Close,       // after the interval, close: graceful FIN
    Flood,       // sends as fast as the connection takes it, until it closes
    Reboot // after the interval, its kernel forgets the connection without a word (TCP_REPAIR)
};
QString behaviorName(PeerBehavior b);
std::optional<PeerBehavior> behaviorFromName(const QString &name);
QString behaviorNames(); // "echo|silent|..."
QString behaviorDescription(PeerBehavior b);

struct PeerConfig
{
    PeerBehavior behavior = PeerBehavior::Echo;
    QString bind = QStringLiteral("127.0.0.1");
    quint16 port = 0;
    bool reuseAddr = false;
    int intervalMs = -1; // drip: between bytes (default 800); reset/close/reboot: delay (default 0)

    int effectiveIntervalMs() const;
};

} // namespace socklab
