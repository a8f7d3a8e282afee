#include "LessonRunner.h"

#include "Engine.h"
#include "Platform.h"

namespace socklab {

LessonRunner::LessonRunner(Engine *engine, QObject *parent) : QObject(parent), m_engine(engine)
{
    m_stopTimer.setSingleShot(true);
    m_settleTimer.setSingleShot(true);
    // Precise: a coarse timer may fire 5 % early or late, so a 300 ms settle would end after
    // 285 to 315 ms, and a lesson's Stop would move by as much.
    m_stopTimer.setTimerType(Qt::PreciseTimer);
    m_settleTimer.setTimerType(Qt::PreciseTimer);
    // The lesson's "Stop" is the same Stop a user presses; what it cancels is still real.
    connect(&m_stopTimer, &QTimer::timeout, this, &LessonRunner::stopLesson);
    connect(&m_settleTimer, &QTimer::timeout, this, &LessonRunner::judge);
    connect(engine->bus(), &EventBus::eventsReady, this, &LessonRunner::onEvents);
}

void LessonRunner::load(const Lesson &lesson)
{
    reset();
    m_lesson = lesson;
    emit stateChanged();
}

void LessonRunner::reset()
{
    m_stopTimer.stop();
    m_stopArmed = false;
    m_settleTimer.stop();
    m_events.clear();
    m_issued = 0;
    m_pendingFinishes = 0;
    m_firstRun = 0;
    m_lastRun = 0;
    m_verdictNs = 0;
    m_idleSinceNs = 0;
    m_longestPauseS = 0;
    m_pauseBeforeStep = 0;
    m_running = false;
    m_peerStarted = false;
    emit stateChanged();
}

bool LessonRunner::canStep() const
{
    return isLoaded() && m_issued < m_lesson.steps.size() && m_pendingFinishes == 0 &&
           !m_settleTimer.isActive();
}

void LessonRunner::issue(const QList<Step> &steps)
{
    if (m_issued == 0 && m_events.isEmpty()) {
        // A lesson's clock starts with it.
        m_engine->bus()->resetEpoch();
    }
    m_running = true;
    ++m_pendingFinishes;
    const quint64 id = m_engine->run(steps);
    if (m_firstRun == 0)
        m_firstRun = id;
    m_lastRun = id;
    // "Stop after 2 s" counts from when the engine starts the last run, not from the press:
    // a lab still being made, or a busy machine, must not eat into the lesson's seconds.
    m_stopArmed = m_issued == m_lesson.steps.size() && m_lesson.stopAfter > 0;
    emit stateChanged();
}

void LessonRunner::runAll()
{
    if (!canStep())
        return;
    QList<Step> steps;
    if (m_lesson.peer && !m_peerStarted) {
        Step s = Step::make(Step::Kind::StartPeer);
        s.peer = *m_lesson.peer;
        steps << s;
        m_peerStarted = true;
    }
    const int first = m_issued;
    notePause(first);
    for (int i = first; i < m_lesson.steps.size(); ++i)
        steps << m_lesson.steps[i].step;
    m_issued = int(m_lesson.steps.size());
    for (int i = first; i < m_issued; ++i)
        emit stepStarted(i, m_lesson.steps[i].say);
    issue(steps);
}

void LessonRunner::nextStep()
{
    if (!canStep())
        return;
    QList<Step> steps;
    if (m_lesson.peer && !m_peerStarted) {
        Step s = Step::make(Step::Kind::StartPeer);
        s.peer = *m_lesson.peer;
        steps << s;
        m_peerStarted = true;
    }
    const int i = m_issued++;
    notePause(i);
    steps << m_lesson.steps[i].step;
    emit stepStarted(i, m_lesson.steps[i].say);
    issue(steps);
}

// How long the kernel ran alone since the last step ended, before step `index` was pressed:
// its timers do not wait.
void LessonRunner::notePause(int index)
{
    if (m_idleSinceNs == 0)
        return;
    const double paused = (platform::monotonicNs() - m_idleSinceNs) / 1e9;
    if (paused > m_longestPauseS) {
        m_longestPauseS = paused;
        m_pauseBeforeStep = index + 1;
    }
    m_idleSinceNs = 0;
}

void LessonRunner::onEvents(const QList<Event> &batch)
{
    if (!m_running)
        return;
    if (m_stopArmed) {
        for (const Event &e : batch) {
            if (e.run >= m_lastRun && e.kind != EventKind::Finished) {
                m_stopArmed = false;
                m_stopTimer.start(int(m_lesson.stopAfter * 1000));
                break;
            }
        }
    }
    for (const Event &e : batch) {
        if (e.kind == EventKind::Finished) {
            // A stop issued before the lesson started (the window stops whatever ran before)
            // ends nothing of the lesson's; a later one ends all of its runs at once.
            if (m_firstRun == 0 || e.run < m_firstRun)
                continue;
            if (e.detail == QLatin1String("stopped"))
                m_pendingFinishes = 0;
            else if (m_pendingFinishes > 0)
                --m_pendingFinishes;
            if (m_pendingFinishes == 0 && m_issued < m_lesson.steps.size())
                m_idleSinceNs = platform::monotonicNs(); // waiting for the next press
            if (e.detail == QLatin1String(Engine::kAbortedDetail)) {
                notRun();
                return;
            }
            continue;
        }
        if (e.kind != EventKind::LessonResult)
            m_events << e;
    }
    if (m_pendingFinishes == 0 && m_issued == m_lesson.steps.size() && !m_settleTimer.isActive()) {
        m_stopTimer.stop();
        m_stopArmed = false;
        // State changes (TIME_WAIT, SYN-SENT) come from the socket table, refreshed every
        // 100 ms: wait for it before judging.
        m_settleTimer.start(m_lesson.settleMs);
    }
    emit stateChanged();
}

// The lesson's "Stop" is the same Stop a user presses; what it cancels is the lesson's own
// evidence, so the stop's id counts among the lesson's runs.
void LessonRunner::stopLesson()
{
    m_lastRun = m_engine->stop();
}

// The verdict, on the bus as the lesson's last event (it belongs to the lesson's runs, not to
// whatever ran last), then to whoever waits for it.
void LessonRunner::post(const LessonResult &result)
{
    Event e = result.toEvent();
    e.run = m_lastRun;
    e.monoNs = m_verdictNs = platform::monotonicNs();
    m_engine->bus()->post(e);
    emit stateChanged();
    emit finished(result);
}

// The run was cut short before it could show anything (its peer did not start): no verdict
// on the kernel, and the error that says why.
void LessonRunner::notRun()
{
    m_stopTimer.stop();
    m_stopArmed = false;
    m_settleTimer.stop();
    LessonResult result;
    result.lesson = m_lesson.name;
    for (const Event &e : std::as_const(m_events)) {
        if (e.kind == EventKind::Error)
            result.notRun = e.detail;
    }
    if (result.notRun.isEmpty())
        result.notRun = QStringLiteral("a step it needs failed.");
    m_issued = int(m_lesson.steps.size());
    m_running = false;
    post(result);
}

void LessonRunner::judge()
{
    LessonResult result = evaluate(m_lesson, m_events);
    result.pauseS = m_longestPauseS;
    result.pauseBeforeStep = m_pauseBeforeStep;
    m_running = false;
    post(result);
}

} // namespace socklab
