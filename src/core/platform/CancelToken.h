#pragma once

#include <QMutex>
#include <QString>

#include <atomic>
#include <mutex>
#include <vector>

namespace socklab {

// Lets another thread end a thread's current wait at once. Poll-mode waits include wakeFd()
// in their ppoll set; a call blocked inside the kernel (SO_RCVTIMEO mode, or no timeout) is
// registered with enterBlocking() and woken by shutdown() of its descriptor. Each thread that
// runs an experiment's calls has its own token: Stop cancels them all, a Close only the one
// whose call is on the socket it closes.
class CancelToken
{
  public:
    CancelToken();
    ~CancelToken();
    CancelToken(const CancelToken &) = delete;
    CancelToken &operator=(const CancelToken &) = delete;

    // Any thread. `who` ends the sentence "<who> ended recv() after 1.2 s".
    void cancel(const QString &who = QStringLiteral("Stop"));
    bool isCancelled() const { return m_cancelled.load(std::memory_order_acquire); }
    QString who() const;
    void reset(); // the token's own thread, before its next call
    int wakeFd() const { return m_wakeFd; }
    // The token's thread's deadline timer (a CLOCK_MONOTONIC timerfd, -1 if none could be
    // made): a poll-mode wait arms it at its deadline and polls it with the socket.
    int deadlineFd() const { return m_deadlineFd; }
    // The token's thread's scheduler statistics (platform::threadStatOpen, opened by the
    // constructor: a token is made on the thread that waits with it), -1 if none: a timed
    // call reads its run delay from it.
    int statFd() const { return m_statFd; }

    // A blocking call on fd is about to start (false: already cancelled, don't start it).
    bool enterBlocking(int fd);
    void leaveBlocking();
    // Shuts down the registered descriptor again if cancelled; closes the gap between the
    // cancelled check and the system call. Called periodically by the monitor thread.
    void kick();

  private:
    std::atomic<bool> m_cancelled{false};
    int m_wakeFd = -1;
    int m_deadlineFd = -1;
    int m_statFd = -1;
    mutable QMutex m_mutex;
    int m_blockingFd = -1;
    QString m_who;
};

// Every live token of an engine: one Stop reaches all of them, and the monitor kicks them.
class CancelHub
{
  public:
    void add(CancelToken *t);
    void remove(CancelToken *t);
    void cancelAll(const QString &who = QStringLiteral("Stop"));
    void kick();
    bool anyCancelled() const;

  private:
    mutable std::mutex m_mutex;
    std::vector<CancelToken *> m_tokens;
};

} // namespace socklab
