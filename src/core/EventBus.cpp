#include "EventBus.h"

#include "Platform.h"

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
        QMetaObject::invokeMethod(this, &EventBus::drain, Qt::QueuedConnection);
}

void EventBus::drain()
{
    QList<Event> batch;
    {
        QMutexLocker lock(&m_mutex);
        batch.swap(m_pending);
        m_doorbellRung = false;
    }
    if (batch.isEmpty())
        return;
    // Threads post in the order they get the lock; deliver in the order things happened.
    std::stable_sort(batch.begin(), batch.end(),
                     [](const Event &a, const Event &b) { return a.tNs < b.tNs; });
    emit eventsReady(batch);
}

} // namespace socklab
