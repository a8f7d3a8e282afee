#pragma once

#include <QString>

#include <atomic>
#include <optional>
#include <thread>

namespace socklab {

class EventBus;
namespace platform {
class SocketFactory;
}
class Monitor;
struct ResolvedAddress;

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

// A built-in peer: the other end of an experiment, serving on its own thread.
class PeerServer
{
  public:
    // Its sockets come from `net` (nullptr: the host's network).
    explicit PeerServer(EventBus *bus, Monitor *monitor = nullptr,
                        platform::SocketFactory *net = nullptr);
    ~PeerServer(); // stops and closes everything
    PeerServer(const PeerServer &) = delete;
    PeerServer &operator=(const PeerServer &) = delete;

    // Binds and listens (calls that never block), then serves on its own thread.
    // Returns 0 or the errno of the call that failed (an error event says which).
    int start(const PeerConfig &config);
    quint16 port() const { return m_port; }
    QString host() const { return m_config.bind; }
    PeerBehavior behavior() const { return m_config.behavior; }

    // Thread-safe: from now on the kernel drops everything arriving for the peer's live
    // connections, and the peer sends nothing more: it has lost power.
    void pullPlug();
    void stop(); // thread-safe; joins the serving thread

    // Connections accepted (and set up) so far; thread-safe.
    int acceptedCount() const { return m_accepted.load(); }
    // Waits until acceptedCount() reaches count, timeoutMs passes or cancelFd is readable.
    bool waitForAccepted(int count, int timeoutMs, int cancelFd) const;

  private:
    void serve();
    int fillAcceptQueue(const ResolvedAddress &listenAddr); // 0 or errno

    EventBus *m_bus;
    Monitor *m_monitor;
    platform::SocketFactory *m_net;
    PeerConfig m_config;
    int m_listenFd = -1;
    int m_wakeFd = -1;
    quint16 m_port = 0;
    std::atomic<bool> m_stop{false};
    std::atomic<bool> m_pullPlug{false};
    std::atomic<int> m_accepted{0};
    int m_acceptedFd = -1; // signalled after each accept
    int m_fillerFd = -1;   // never-accept: our own connection that keeps the accept queue full
    int m_setupErr = 0;    // errno when a wake-up descriptor could not be created
    std::thread m_thread;
};

} // namespace socklab
