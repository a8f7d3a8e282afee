#pragma once

#include "PeerConfig.h"

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
    // Thread-safe, without waiting: the server host loses power. Its kernel forgets every live
    // connection without a segment (TCP_REPAIR, then close); its listener stays, as the
    // service that listens again once the host is back on.
    void powerOff();
    // Thread-safe, without waiting: the peer's process crashes. Its sockets are closed as the
    // kernel closes a dead process's descriptors (FIN, or RST where unread data was waiting),
    // its listener too, and the peer serves no more.
    void crash();
    const PeerConfig &config() const { return m_config; }
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
    std::atomic<bool> m_powerOff{false};
    std::atomic<bool> m_crash{false};
    std::atomic<int> m_accepted{0};
    int m_acceptedFd = -1; // signalled after each accept
    int m_fillerFd = -1;   // never-accept: our own connection that keeps the accept queue full
    int m_setupErr = 0;    // errno when a wake-up descriptor could not be created
    std::thread m_thread;
};

} // namespace socklab
