#pragma once

#include "Event.h"

#include <QList>
#include <QMutex>
#include <QObject>
#include <QTimer>

class QSocketNotifier;

#include <atomic>
#include <functional>

namespace socklab {

// Carries events from any thread to the thread this object lives in, in batches:
// post() queues and rings a doorbell once; a queued drain() delivers what is pending, at most
// MaxBatch events at a time, and comes back for the rest after the receiving thread's event
// loop has had a turn, so a flood never holds that thread (a GUI) for long.
//
// The stream is delivered in time order across threads. An event is stamped when its thread
// observed it and posted a moment later, so another thread's later observation can be posted
// first: drain() holds back anything observed in the last ReorderNs and delivers it on a later
// turn, sorted in with what came meanwhile. An event posted even later than that (its thread
// was descheduled longer) is still delivered, out of order, and counted in lateCount().
//
// One producer is late by nature: the wire, whose events carry the kernel's timestamp of a
// frame it reads a moment later. The window is there for it. When it says it has posted
// everything it observed until some time (advanceLateWatermark), what was observed before
// then need not wait for it any more, only PromptNs for the other threads' moment between
// stamp and post: a segment reaches the consumer in a fraction of a millisecond, not after the
// whole window. While the wire is behind (descheduled on a busy machine, or asleep between
// frames), what was observed after its watermark waits for it up to LateHoldNs, and the bus
// asks it (setLateProducer's nudge) to read and say how far it has come: a segment observed
// before a call's error is shown before that error, however late the wire's thread ran.
class EventBus : public QObject
{
    Q_OBJECT
  public:
    explicit EventBus(QObject *parent = nullptr);
    ~EventBus() override;

    // Thread-safe. Stamps the event (monotonic time if unset, t since the epoch, wall time,
    // and the run in progress if it names none).
    void post(Event event);
    // Thread-safe. The same for several events at once, in their order: one lock and at most
    // one doorbell for all (a producer that reads a burst posts it so). Leaves `events` empty.
    void post(QList<Event> &&events);

    // The run (Engine::run() or stop() id) that what the calling thread posts from now on
    // belongs to, unless an event names its own (a probe names the run that made its socket).
    // Runs go on at once on several threads, so each thread says its own; a thread that never
    // said gets the run set last by any thread.
    void setCurrentRun(quint64 run);
    // This thread's events belong to `run` (0: to the latest run), without making it the
    // latest: for an action of the engine thread outside any run. Returns what it was.
    quint64 setThreadRun(quint64 run);
    quint64 currentRun() const;

    // The experiment's time zero, on the monotonic clock.
    void resetEpoch();
    qint64 epochNs() const { return m_epochNs.load(); }

    // Delivers what is pending now (up to MaxBatch events), on the calling thread (which must
    // be this object's); the rest follows in further queued calls.
    void drain();

    static constexpr qsizetype MaxBatch = 4096;
    // At most this many events wait for the consumer. Past it post() drops what arrives (never
    // a verdict, an error, a timeout or a Finished, which consumers wait for) and counts it;
    // the next delivery starts with an events_dropped event giving the count.
    static constexpr qsizetype MaxPending = 1 << 18;
    static constexpr qint64 ReorderNs = 2 * 1000 * 1000;
    static constexpr qint64 PromptNs = 100 * 1000;

    // Thread-safe. The late producer (the wire) has posted everything it observed before
    // `monoNs`; -1: there is none now (every event waits ReorderNs).
    void advanceLateWatermark(qint64 monoNs);
    // Thread-safe. `nudge` asks the late producer to read what it has and advance its
    // watermark soon; it is called on this object's thread with the bus's lock held, so it must
    // only signal (an eventfd write). Empty: no nudging (before the producer's resources go).
    void setLateProducer(std::function<void()> nudge);
    // How long an event observed after the watermark waits for the wire at most.
    static constexpr qint64 LateHoldNs = 50 * 1000 * 1000;

    // Thread-safe: how many events wait for the consumer now (a producer that would rather
    // wait than have events dropped, such as a benchmark's flood, can look).
    qsizetype pendingCount() const;

    // Events delivered after a later-stamped one had been delivered (this object's thread).
    qint64 lateCount() const { return m_late; }

  signals:
    void eventsReady(const QList<socklab::Event> &batch);

  private:
    void stamp(Event &event, qint64 now) const;
    // Under m_mutex: queues the event (or drops and counts it); true if the doorbell must ring.
    bool queueLocked(Event &&event, qint64 now);

    mutable QMutex m_mutex;
    QList<Event> m_pending;
    // True while a drain is queued or delivering and will look at m_pending before it stops,
    // so producers need not queue another.
    bool m_doorbellRung = false;
    std::atomic<qint64> m_epochNs;
    std::atomic<quint64> m_currentRun{0};
    qint64 m_dropped = 0;        // dropped since the last events_dropped (under m_mutex)
    qint64 m_firstDroppedNs = 0; // when the first of them was dropped
    quint64 m_seq = 0;           // the last sequence number delivered (this object's thread)
    // Taken from m_pending, sorted, and being delivered (this object's thread only).
    QList<Event> m_ready;
    qsizetype m_readyPos = 0;
    qint64 m_deliveredNs = 0; // the latest stamp delivered so far
    qint64 m_late = 0;
    // Brings drain() back when events held back may go. A timerfd at that moment to the
    // nanosecond: PromptNs is 0.1 ms, and a QTimer, counting whole milliseconds, held such
    // events 1 ms (the lab's segment events came 1.1 ms after their frames, median). The
    // QTimer is the fallback where no timerfd can be made.
    void holdUntil(qint64 monoNs);
    int m_holdFd = -1;
    QSocketNotifier *m_holdNotifier = nullptr;
    QTimer m_reorderTimer;
    std::atomic<qint64> m_lateWatermarkNs{-1};
    bool m_heldForWire = false;    // under m_mutex: a drain holds events back until the watermark
    std::function<void()> m_nudge; // under m_mutex
    bool m_nudged = false;         // under m_mutex: asked since the watermark last moved
};

} // namespace socklab
