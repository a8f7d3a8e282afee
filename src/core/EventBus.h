#pragma once

#include "Event.h"

#include <QList>
#include <QMutex>
#include <QObject>

#include <atomic>

namespace socklab {

// Carries events from any thread to the thread this object lives in, in batches:
// post() queues and rings a doorbell once; one queued drain() delivers all that is pending.
class EventBus : public QObject
{
    Q_OBJECT
  public:
    explicit EventBus(QObject *parent = nullptr);

    // Thread-safe. Stamps the event (monotonic time if unset, t since the epoch, wall time).
    void post(Event event);

    // The experiment's time zero, on the monotonic clock.
    void resetEpoch();
    qint64 epochNs() const { return m_epochNs.load(); }

    // Delivers what is pending now, on the calling thread (which must be this object's).
    void drain();

  signals:
    void eventsReady(const QList<socklab::Event> &batch);

  private:
    QMutex m_mutex;
    QList<Event> m_pending;
    bool m_doorbellRung = false;
    std::atomic<qint64> m_epochNs;
};

} // namespace socklab
