#pragma once

#include <QMutex>

#include <atomic>

namespace socklab {

// Lets another thread end the engine's current wait at once. Poll-mode waits include wakeFd()
// in their ppoll set; a call blocked inside the kernel (SO_RCVTIMEO mode, or no timeout) is
// registered with enterBlocking() and woken by shutdown() of its descriptor.
class CancelToken
{
  public:
    CancelToken();
    ~CancelToken();
    CancelToken(const CancelToken &) = delete;
    CancelToken &operator=(const CancelToken &) = delete;

    void cancel(); // any thread
    bool isCancelled() const { return m_cancelled.load(std::memory_order_acquire); }
    void reset(); // engine thread, when it starts the next generation
    int wakeFd() const { return m_wakeFd; }

    // A blocking call on fd is about to start (false: already cancelled, don't start it).
    bool enterBlocking(int fd);
    void leaveBlocking();
    // Shuts down the registered descriptor again if cancelled; closes the gap between the
    // cancelled check and the system call. Called periodically by the monitor thread.
    void kick();

  private:
    std::atomic<bool> m_cancelled{false};
    int m_wakeFd = -1;
    QMutex m_mutex;
    int m_blockingFd = -1;
};

} // namespace socklab
