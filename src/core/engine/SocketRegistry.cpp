#include "SocketRegistry.h"

#include "CancelToken.h"

#include <chrono>

namespace socklab {

namespace {
// How often a wait for a lane looks at its canceller, and a close kicks the call it ends
// (the kick covers the moment between a call's cancelled check and its system call).
constexpr auto kPoll = std::chrono::milliseconds(5);
} // namespace

SocketRegistry::Ptr SocketRegistry::find(const QString &label) const
{
    std::lock_guard lock(m_mutex);
    return m_socks.value(label);
}

void SocketRegistry::add(const QString &label, Ptr s)
{
    std::lock_guard lock(m_mutex);
    m_socks.insert(label, std::move(s));
}

SocketRegistry::Ptr SocketRegistry::take(const QString &label)
{
    std::lock_guard lock(m_mutex);
    return m_socks.take(label);
}

QStringList SocketRegistry::labels() const
{
    std::lock_guard lock(m_mutex);
    return m_socks.keys();
}

void SocketRegistry::forEach(
    const std::function<void(const QString &, const EngineSocket &)> &fn) const
{
    std::lock_guard lock(m_mutex);
    for (auto it = m_socks.cbegin(); it != m_socks.cend(); ++it)
        fn(it.key(), **it);
}

QString SocketRegistry::freshLabel(const char *prefix)
{
    std::lock_guard lock(m_mutex);
    QString label;
    do {
        label = QString::fromLatin1(prefix) + QString::number(++m_counters[prefix]);
    } while (m_socks.contains(label) || m_lanes.contains(label));
    m_lanes[label]; // taken: the next fresh label is another even before this one has a socket
    return label;
}

void SocketRegistry::setListenedAt(const QString &label, const QString &host, quint16 port)
{
    std::lock_guard lock(m_mutex);
    m_listenedAt.insert(label, {host, port});
    m_lastListener = label;
}

std::optional<std::pair<QString, quint16>> SocketRegistry::listenedAt(const QString &label) const
{
    std::lock_guard lock(m_mutex);
    const auto it = m_listenedAt.constFind(label);
    if (it == m_listenedAt.cend())
        return std::nullopt;
    return *it;
}

QString SocketRegistry::lastListener() const
{
    std::lock_guard lock(m_mutex);
    return m_lastListener;
}

void SocketRegistry::setFailed(const QString &label, bool failed)
{
    std::lock_guard lock(m_mutex);
    if (failed)
        m_failed.insert(label);
    else
        m_failed.remove(label);
}

bool SocketRegistry::failed(const QString &label) const
{
    std::lock_guard lock(m_mutex);
    return m_failed.contains(label);
}

quint64 SocketRegistry::ticket(const QString &lane, const QString &op, quint64 run)
{
    std::lock_guard lock(m_mutex);
    Lane &l = m_lanes[lane];
    l.tickets.insert(l.next, {op, run, false});
    return l.next++;
}

bool SocketRegistry::acquire(const QString &lane, quint64 ticket, CancelToken *token,
                             const std::function<void(const Holder &)> &onQueued)
{
    return waitTurn(lane, ticket, token, onQueued, nullptr);
}

bool SocketRegistry::preempt(const QString &lane, quint64 ticket, CancelToken *token,
                             const QString &who)
{
    return waitTurn(lane, ticket, token, {}, &who);
}

bool SocketRegistry::waitTurn(const QString &lane, quint64 ticket, CancelToken *token,
                              const std::function<void(const Holder &)> &onQueued,
                              const QString *preemptWho)
{
    std::unique_lock lock(m_mutex);
    bool told = false;
    std::optional<quint64> cancelled; // preempting: the ticket whose call was cancelled last
    for (;;) {
        Lane &l = m_lanes[lane];
        if (l.serving == ticket && !l.holder) {
            l.holder = token;
            l.tickets[ticket].running = true;
            return true;
        }
        if (token->isCancelled()) {
            if (l.serving == ticket)
                advanceLocked(lane, l);
            else
                l.abandoned.insert(ticket);
            return false;
        }
        if (preemptWho && l.holder && l.holder != token) {
            if (cancelled != l.serving) {
                cancelled = l.serving;
                l.holder->cancel(*preemptWho);
            } else {
                l.holder->kick(); // between its cancelled check and its system call
            }
        } else if (!told && onQueued) {
            told = true;
            const Holder ahead = l.tickets.value(l.serving);
            lock.unlock();
            onQueued(ahead);
            lock.lock();
            continue;
        }
        m_turn.wait_for(lock, kPoll);
    }
}

void SocketRegistry::advanceLocked(const QString &lane, Lane &l)
{
    l.holder = nullptr;
    l.tickets.remove(l.serving);
    ++l.serving;
    while (l.abandoned.remove(l.serving))
        l.tickets.remove(l.serving++);
    if (l.serving == l.next)
        m_lanes.remove(lane); // idle: lanes do not pile up over a long session
    m_turn.notify_all();
}

void SocketRegistry::release(const QString &lane)
{
    std::lock_guard lock(m_mutex);
    const auto it = m_lanes.find(lane);
    if (it != m_lanes.end())
        advanceLocked(lane, *it);
}

void SocketRegistry::abandon(const QString &lane, quint64 ticket)
{
    std::lock_guard lock(m_mutex);
    const auto it = m_lanes.find(lane);
    if (it == m_lanes.end())
        return;
    if (it->serving == ticket && !it->holder)
        advanceLocked(lane, *it);
    else
        it->abandoned.insert(ticket);
}

void SocketRegistry::interrupt(const QString &lane, const QString &who, const CancelToken *self)
{
    std::unique_lock lock(m_mutex);
    auto it = m_lanes.find(lane);
    if (it == m_lanes.end() || !it->holder || it->holder == self)
        return;
    CancelToken *holder = it->holder;
    const quint64 serving = it->serving;
    holder->cancel(who);
    for (;;) {
        m_turn.wait_for(lock, kPoll);
        it = m_lanes.find(lane);
        if (it == m_lanes.end() || it->serving != serving)
            return;
        holder->kick(); // still valid: its thread holds the lane, so it has not gone
    }
}

void SocketRegistry::clearLanes()
{
    std::lock_guard lock(m_mutex);
    m_lanes.clear();
    m_turn.notify_all();
}

} // namespace socklab
