#pragma once

#include "Lesson.h"

#include <QWidget>

#include <memory>

namespace Ui {
class LessonsPanel;
}
namespace socklab {
class LessonRunner;
}

// The lesson list, the explanation beside the running experiment, and Run all / Next step.
// Running is the LessonRunner's job; this panel shows the lessons and what became of them.
class LessonsPanel : public QWidget
{
    Q_OBJECT
  public:
    explicit LessonsPanel(QWidget *parent = nullptr);
    ~LessonsPanel() override;

    // The runner the buttons drive (owned elsewhere, it shares the window's engine).
    void setRunner(socklab::LessonRunner *runner);
    void setLessons(const QList<socklab::Lesson> &lessons);
    int lessonCount() const;
    bool selectLesson(const QString &name);
    QString currentLessonName() const;
    // The explanation pane as plain text (what the tests read).
    QString explanationText() const;
    std::optional<socklab::LessonResult> lastResult() const { return m_result; }

  public slots:
    void runAll();
    void nextStep();
    void reset();

  signals:
    // A lesson was picked: the window shows its setup in the option panels.
    void lessonChosen(const socklab::Lesson &lesson);
    // A run starts (before its first event): the window clears the log and the timeline.
    void runStarting();
    // Reset asks the window to stop the engine.
    void stopRequested();

  protected:
    void changeEvent(QEvent *event) override;

  private:
    void onCurrentRowChanged(int row);
    // The progress line keeps two lines' height whatever it says, so Run all, Next step and
    // Reset stay where the teacher's hand is as it changes.
    void reserveProgressLines();
    void onStepStarted(int index, const QString &say);
    void onFinished(const socklab::LessonResult &result);
    void render();
    void updateButtons();

    std::unique_ptr<Ui::LessonsPanel> m_ui;
    socklab::LessonRunner *m_runner = nullptr;
    QList<socklab::Lesson> m_lessons;
    int m_currentStep = -1;
    QString m_say;
    std::optional<socklab::LessonResult> m_result;
};
