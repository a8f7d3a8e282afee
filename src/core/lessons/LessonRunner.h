#pragma once

#include "Lesson.h"

#include <QObject>
#include <QTimer>

namespace socklab {

class Engine;

// Runs a lesson on an engine, all at once or a step at a time, records the events it
// produces, and judges its predictions once the steps are done and the kernel's socket table
// has settled. The verdict is posted on the engine's bus as a lesson_result event too, so
// whoever prints or logs events shows it in order.
class LessonRunner : public QObject
{
    Q_OBJECT
  public:
    explicit LessonRunner(Engine *engine, QObject *parent = nullptr);

    // Loads the lesson; nothing runs yet.
    void load(const Lesson &lesson);
    const Lesson &lesson() const { return m_lesson; }
    bool isLoaded() const { return !m_lesson.name.isEmpty(); }
    bool isRunning() const { return m_running; }
    // Steps issued so far, and whether another can be issued now.
    int stepsIssued() const { return m_issued; }
    bool canStep() const;
    // The engine runs of the lesson so far: its first and its latest (its own Stop included;
    // 0: none yet). Everything the lesson caused carries a run id in [firstRun, lastRun].
    quint64 firstRun() const { return m_firstRun; }
    quint64 lastRun() const { return m_lastRun; }
    // When the verdict was given (CLOCK_MONOTONIC, the verdict event's time; 0: none yet).
    qint64 verdictNs() const { return m_verdictNs; }

  public slots:
    // Issues every remaining step.
    void runAll();
    // Issues the next step (the built-in peer starts with the first one).
    void nextStep();
    // Forgets the run (the engine is stopped by whoever owns it).
    void reset();

  signals:
    void stepStarted(int index, const QString &say);
    void stateChanged();
    void finished(const socklab::LessonResult &result);

  private:
    void onEvents(const QList<Event> &batch);
    void issue(const QList<Step> &steps);
    void judge();
    void notePause(int index);
    void notRun();
    void stopLesson();
    void post(const LessonResult &result);

    Engine *m_engine;
    Lesson m_lesson;
    QList<Event> m_events;
    int m_issued = 0;
    int m_pendingFinishes = 0; // engine runs not yet finished
    quint64 m_firstRun = 0;    // the id of the lesson's first engine run (0: none yet)
    quint64 m_lastRun = 0;     // the id of its latest run or Stop
    qint64 m_verdictNs = 0;
    qint64 m_idleSinceNs = 0;   // step by step: when the last step's run finished (0: running)
    double m_longestPauseS = 0; // the longest wait from then to the next press
    int m_pauseBeforeStep = 0;  // the step it came before (1-based)
    bool m_running = false;
    bool m_peerStarted = false;
    QTimer m_stopTimer;
    bool m_stopArmed = false; // start m_stopTimer at the last run's first event
    QTimer m_settleTimer;
};

} // namespace socklab
