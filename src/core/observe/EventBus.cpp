#include "EventBus.h"

#include "Platform.h"
#include "ThreadHandoff.h"

#include <QSocketNotifier>

#include <algorithm>
#include <utility>

namespace socklab {

EventBus::EventBus(QObject *parent) : QObject(parent), m_epochNs(platform::monotonicNs())
{
    qRegisterMetaType<socklab::Event>();
    m_reorderTimer.setSingleShot(true);
    m_reorderTimer.setTimerType(Qt::PreciseTimer);
    connect(&m_reorderTimer, &QTimer::timeout, this, &EventBus::drain);
    m_holdFd = platform::alarmFdCreate();
    if (m_holdFd >= 0) {
        m_holdNotifier = new QSocketNotifier(m_holdFd, QSocketNotifier::Read, this);
        connect(m_holdNotifier, &QSocketNotifier::activated, this, [this] {
            platform::wakeFdDrain(m_holdFd);
            drain();
        });
    }
}

EventBus::~EventBus()
{
    delete m_holdNotifier; // before its descriptor goes
    if (m_holdFd >= 0)
        platform::closeFd(m_holdFd);
}

void EventBus::holdUntil(qint64 monoNs)
{
    if (m_holdFd >= 0 && platform::alarmFdSet(m_holdFd, monoNs))
        return;
    const qint64 waitNs = monoNs - platform::monotonicNs();
    m_reorderTimer.start(int(std::clamp<qint64>((waitNs + 999999) / 1000000, 0, 1000)));
}

void EventBus::resetEpoch()
{
    m_epochNs.store(platform::monotonicNs());
}

namespace {
thread_local quint64 t_run = 0;
} // namespace

void EventBus::setCurrentRun(quint64 run)
{
    t_run = run;
    m_currentRun.store(run);
}

quint64 EventBus::setThreadRun(quint64 run)
{
    return std::exchange(t_run, run);
}

quint64 EventBus::currentRun() const
{
    return t_run ? t_run : m_currentRun.load();
}

void EventBus::stamp(Event &event, qint64 now) const
{
    if (event.monoNs == 0)
        event.monoNs = now;
    event.tNs = event.monoNs - m_epochNs.load();
    if (event.run == 0)
        event.run = currentRun();
    // Wall time of the moment itself, not of posting: read by the observer with its
    // monotonic time, or (for an event stamped here or without it) converted.
    if (event.wall == 0)
        event.wall = platform::wallSeconds() - (now - event.monoNs) / 1e9;
}

bool EventBus::queueLocked(Event &&event, qint64 now)
{
    // What consumers wait for, or what must not be lost in a flood.
    const bool vital = event.kind == EventKind::Finished || event.kind == EventKind::LessonResult ||
                       event.kind == EventKind::Error || event.kind == EventKind::Timeout ||
                       event.kind == EventKind::PeerDead || event.kind == EventKind::Cancelled;
    if (!vital && m_pending.size() >= MaxPending) {
        if (m_dropped++ == 0)
            m_firstDroppedNs = now;
        return false; // the doorbell is rung already: the queue is full
    }
    m_pending.append(std::move(event));
    return !std::exchange(m_doorbellRung, true);
}

void EventBus::post(Event event)
{
    const qint64 now = platform::monotonicNs();
    stamp(event, now);
    bool ring = false;
    {
        QMutexLocker lock(&m_mutex);
        ring = queueLocked(std::move(event), now);
    }
    if (ring)
        handoff::queuedCall(this, [this] { drain(); });
}

void EventBus::post(QList<Event> &&events)
{
    const qint64 now = platform::monotonicNs();
    for (Event &e : events)
        stamp(e, now);
    bool ring = false;
    {
        QMutexLocker lock(&m_mutex);
        for (Event &e : events)
            ring = queueLocked(std::move(e), now) || ring;
    }
    events.clear();
    if (ring)
        handoff::queuedCall(this, [this] { drain(); });
}

qsizetype EventBus::pendingCount() const
{
    QMutexLocker lock(&m_mutex);
    return m_pending.size();
}

void EventBus::advanceLateWatermark(qint64 monoNs)
{
    // What a drain held back for the wire may go now. (A drain already on its way reads the
    // new watermark itself: no second one.)
    bool wake = false;
    {
        QMutexLocker lock(&m_mutex);
        const qint64 was = m_lateWatermarkNs.exchange(monoNs);
        m_nudged = false;
        if (monoNs > was || monoNs < 0)
            wake = std::exchange(m_heldForWire, false);
    }
    if (wake)
        handoff::queuedCall(this, [this] { drain(); });
}

void EventBus::setLateProducer(std::function<void()> nudge)
{
    QMutexLocker lock(&m_mutex);
    m_nudge = std::move(nudge);
    m_nudged = false;
}

void EventBus::drain()
{
    const auto earlier = [](const Event &a, const Event &b) { return a.monoNs < b.monoNs; };
    qint64 heldUntilNs = 0; // when the oldest event held back may go, 0: none held
    if (m_readyPos >= m_ready.size()) {
        m_ready = QList<Event>(); // clear() would keep a flood's capacity allocated
        m_readyPos = 0;
        // What was observed before the horizon may go: everything older than the window, and,
        // once the wire has posted all it observed until its watermark, what is older than
        // that and than PromptNs.
        const qint64 nowNs = platform::monotonicNs();
        {
            QMutexLocker lock(&m_mutex);
            // Read under the lock: a watermark advanced after this finds m_heldForWire set.
            const qint64 watermark = m_lateWatermarkNs.load();
            // A wire that is behind is waited for longer than the other threads' moment.
            const qint64 window = watermark >= 0 ? LateHoldNs : ReorderNs;
            const qint64 horizon = std::max(nowNs - window, std::min(nowNs - PromptNs, watermark));
            m_heldForWire = false;
            m_ready.swap(m_pending);
            if (m_dropped > 0) {
                Event d;
                d.kind = EventKind::EventsDropped;
                d.monoNs = m_firstDroppedNs;
                d.tNs = d.monoNs - m_epochNs.load();
                d.wall = platform::wallSeconds() - (platform::monotonicNs() - d.monoNs) / 1e9;
                d.run = m_currentRun.load();
                d.extra.insert(QStringLiteral("count"), m_dropped);
                d.detail = QStringLiteral("%1 events were dropped: more than %2 were waiting "
                                          "for the consumer, which fell behind. Errors, "
                                          "timeouts and results are never dropped.")
                               .arg(m_dropped)
                               .arg(MaxPending);
                m_ready.append(d);
                m_dropped = 0;
            }
            // Threads post in the order they get the lock; deliver in the order things
            // happened. A flood from one thread is already in order: checking is cheaper.
            if (!std::is_sorted(m_ready.cbegin(), m_ready.cend(), earlier))
                std::stable_sort(m_ready.begin(), m_ready.end(), earlier);
            // What was observed within the window may still be overtaken: keep it back.
            const auto firstNew =
                std::partition_point(m_ready.cbegin(), m_ready.cend(),
                                     [horizon](const Event &e) { return e.monoNs <= horizon; });
            if (firstNew != m_ready.cend()) {
                const qsizetype keep = firstNew - m_ready.cbegin();
                heldUntilNs =
                    firstNew->monoNs + (firstNew->monoNs <= watermark ? PromptNs : window);
                m_heldForWire = watermark >= 0 && firstNew->monoNs > watermark;
                if (m_heldForWire && m_nudge && !std::exchange(m_nudged, true))
                    m_nudge(); // the wire may be asleep until its next frame: ask it now
                m_pending = m_ready.mid(keep) + m_pending;
                m_ready.resize(keep);
            }
        }
        for (const Event &e : std::as_const(m_ready)) {
            if (e.monoNs < m_deliveredNs)
                ++m_late;
        }
        if (!m_ready.isEmpty())
            m_deliveredNs = std::max(m_deliveredNs, m_ready.constLast().monoNs);
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
    bool held = false;
    if (!more) {
        m_ready = QList<Event>();
        m_readyPos = 0;
        QMutexLocker lock(&m_mutex);
        held = !m_pending.isEmpty();
        m_doorbellRung = held; // nothing left: the next post() rings again
    }
    // The rest after the event loop's turn: timers, input and paints run in between. What the
    // window holds back comes when its time is out (a post meanwhile only adds to it).
    if (more) {
        handoff::queuedCall(this, [this] { drain(); });
    } else if (held) {
        // (At most a second from now, as before: a wire that stays behind is asked again.)
        const qint64 nowNs = platform::monotonicNs();
        holdUntil(heldUntilNs ? std::min(heldUntilNs, nowNs + 1000000000) : nowNs);
    }
    // Numbered in the order delivered: a consumer sees 1, 2, 3 ... with no gap.
    for (Event &e : batch)
        e.seq = ++m_seq;
    if (!batch.isEmpty())
        emit eventsReady(batch);
}

} // namespace socklab
