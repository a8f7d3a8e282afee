#pragma once

#include "Options.h"

#include <QHash>
#include <QSet>
#include <QString>
#include <QStringList>

#include <atomic>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>

namespace socklab {

class CancelToken;

// One socket of an experiment.
struct EngineSocket
{
    enum class Role
    {
        Client,
        Listener,
        Accepted
    };
    int fd = -1;
    Role role = Role::Client;
    SocketOptions options;
    // Per option that can no longer change, the last value a call asked for (said once each).
    QHash<int, std::optional<qint64>> lockedSaid;
    std::atomic<bool> connected{false};
    QString bindHost;
    quint16 port = 0;
    int backlog = 16;
    // Read and written only by the thread that holds the socket's lane.
    qint64 rcvTimeoMs = 0; // what SO_RCVTIMEO/SO_SNDTIMEO are set to now (0: none)
    qint64 sndTimeoMs = 0;
    qint64 deadlineNs = 0; // CLOCK_MONOTONIC when options.deadlineMs runs out (0: not started)
};

// The experiment's sockets by label, and the lane of each label.
//
// A lane is the order of the calls on one socket: whoever holds it (one thread, one step at a
// time) is the only one using that socket's descriptor; others take a ticket and wait their
// turn, in the order of their tickets. A close does not queue: it takes the socket out of the
// registry, cancels the call that holds its lane (if another thread's) and waits until that
// thread lets go, so no descriptor is closed while a call uses it.
//
// Thread-safe; its mutex is never held across anything that waits on the network.
class SocketRegistry
{
  public:
    using Ptr = std::shared_ptr<EngineSocket>;

    Ptr find(const QString &label) const;
    void add(const QString &label, Ptr s);
    Ptr take(const QString &label);
    QStringList labels() const;
    // Calls fn on every socket, under the registry's lock (fn must not wait).
    void forEach(const std::function<void(const QString &, const EngineSocket &)> &fn) const;
    // A label no socket has, "<prefix><n>".
    QString freshLabel(const char *prefix);

    // Where each listener listened last (it may have closed since), the last one to listen,
    // and the ones whose set-up failed.
    void setListenedAt(const QString &label, const QString &host, quint16 port);
    std::optional<std::pair<QString, quint16>> listenedAt(const QString &label) const;
    QString lastListener() const;
    void setFailed(const QString &label, bool failed);
    bool failed(const QString &label) const;

    // --- lanes ---
    // What a ticket is for: the call a step makes, and the step's run.
    struct Holder
    {
        QString op;
        quint64 run = 0;
        bool running = false; // its call has started (else its run has not reached it yet)
    };
    // A place in `lane`'s order, for the call `op` of `run`.
    quint64 ticket(const QString &lane, const QString &op, quint64 run);
    // Waits for `ticket` to be served on `lane` (onQueued is called once if it has to wait,
    // without the lock, with what is ahead of it) and makes `token`'s thread its holder; false
    // if `token` was cancelled meanwhile (the ticket is then skipped).
    bool acquire(const QString &lane, quint64 ticket, CancelToken *token,
                 const std::function<void(const Holder &)> &onQueued);
    // The same for a close (Close, Restart): every call ahead of `ticket` is cancelled as it
    // runs (`who` ended it), so the turn comes at once and no call issued after it is touched.
    bool preempt(const QString &lane, quint64 ticket, CancelToken *token, const QString &who);
    void release(const QString &lane);
    // A ticket that will never be used (its step did not run): the lane skips it.
    void abandon(const QString &lane, quint64 ticket);
    // Cancels the call holding `lane` (unless it is `self`'s) and waits until it lets go.
    void interrupt(const QString &lane, const QString &who, const CancelToken *self);
    // Forgets every lane (Stop, once no call runs).
    void clearLanes();

  private:
    struct Lane
    {
        quint64 next = 0;    // the next ticket to give out
        quint64 serving = 0; // the ticket whose turn it is
        CancelToken *holder = nullptr;
        QHash<quint64, Holder> tickets; // given out and not yet done
        QSet<quint64> abandoned;        // tickets ahead that nobody will use
    };
    void advanceLocked(const QString &lane, Lane &l); // the next ticket's turn
    bool waitTurn(const QString &lane, quint64 ticket, CancelToken *token,
                  const std::function<void(const Holder &)> &onQueued, const QString *preemptWho);

    mutable std::mutex m_mutex;
    std::condition_variable m_turn; // a lane moved on
    QHash<QString, Ptr> m_socks;
    QHash<QString, Lane> m_lanes;
    QHash<QByteArray, int> m_counters;
    QHash<QString, std::pair<QString, quint16>> m_listenedAt;
    QString m_lastListener;
    QSet<QString> m_failed;
};

// Holds a lane for the scope: the calling step's turn on one socket.
class LaneLease
{
  public:
    LaneLease() = default;
    LaneLease(SocketRegistry *reg, QString lane) : m_reg(reg), m_lane(std::move(lane)) {}
    ~LaneLease()
    {
        if (m_reg)
            m_reg->release(m_lane);
    }
    LaneLease(const LaneLease &) = delete;
    LaneLease &operator=(const LaneLease &) = delete;

  private:
    SocketRegistry *m_reg = nullptr;
    QString m_lane;
};

} // namespace socklab
