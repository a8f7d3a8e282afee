#include "EventBus.h"

#include "Platform.h"
#include "ThreadHandoff.h"

#include <algorithm>

namespace socklab {

EventBus::EventBus(QObject *parent) : QObject(parent), m_epochNs(platform::monotonicNs())
{
    qRegisterMetaType<socklab::Event>();
}

void EventBus::resetEpoch()
{
    m_epochNs.store(platform::monotonicNs());
}

void EventBus::post(Event event)
{
    const qint64 now = platform::monotonicNs();
    if (event.monoNs == 0)
        event.monoNs = now;
    event.tNs = event.monoNs - m_epochNs.load();
    // Wall time of the moment itself, not of posting.
    event.wall = platform::wallSeconds() - (now - event.monoNs) / 1e9;

    bool ring = false;
    {
        QMutexLocker lock(&m_mutex);
        m_pending.append(std::move(event));
        if (!m_doorbellRung) {
            m_doorbellRung = true;
            ring = true;
        }
    }
    if (ring)
        handoff::queuedCall(this, [this] { drain(); });
}

void EventBus::drain()
{
    if (m_readyPos >= m_ready.size()) {
        m_ready = QList<Event>(); // clear() would keep a flood's capacity allocated
        m_readyPos = 0;
        {
            QMutexLocker lock(&m_mutex);
            m_ready.swap(m_pending);
        }
        // Threads post in the order they get the lock; deliver in the order things happened.
        // A flood from one thread is already in order: checking is cheaper than sorting.
        const auto earlier = [](const Event &a, const Event &b) { return a.tNs < b.tNs; };
        if (!std::is_sorted(m_ready.cbegin(), m_ready.cend(), earlier))
            std::stable_sort(m_ready.begin(), m_ready.end(), earlier);
    }
    const qsizetype n = std::min(MaxBatch, m_ready.size() - m_readyPos);
    QList<Event> batch;
    if (m_readyPos == 0 && n == m_ready.size()) {
        batch.swap(m_ready);
    } else {
        batch.reserve(n);
        for (qsizetype i = m_readyPos; i < m_readyPos + n; ++i)
            batch.append(std::move(m_ready[i]));
        m_readyPos += n;
    }
    bool more = m_readyPos < m_ready.size();
    if (!more) {
        m_ready = QList<Event>();
        m_readyPos = 0;
        QMutexLocker lock(&m_mutex);
        more = !m_pending.isEmpty();
        m_doorbellRung = more; // nothing left: the next post() rings again
    }
    // The rest after the event loop's turn: timers, input and paints run in between.
    if (more)
        handoff::queuedCall(this, [this] { drain(); });
    if (!batch.isEmpty())
        emit eventsReady(batch);
}

} // namespace socklab
