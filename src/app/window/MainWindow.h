#pragma once

#include "Event.h"
#include "Handout.h"
#include "Profile.h"
#include "RunPage.h"

#include <QMainWindow>

#include <memory>

class QLabel;
class ActionNote;
class ElidedLabel;
class StatusMessage;
class ExperimentController;
class SocketPicker;
class NetworkSwitch;
class SocketTableModel;
namespace socklab {
class Engine;
class LessonRunner;
struct Lesson;
} // namespace socklab
namespace Ui {
class MainWindow;
}

// The window: lays out the panels from MainWindow.ui, feeds them the engine's event batches
// and connects the actions to the experiment controller. The panels, the log, the timeline
// and the controller each do their own job; this class only wires them together, keeps the
// window's settings and loads and saves profiles.
class MainWindow : public QMainWindow
{
    Q_OBJECT
  public:
    explicit MainWindow(QWidget *parent = nullptr);
    ~MainWindow() override;

    socklab::Engine *engine() const { return m_engine; }
    ExperimentController *controller() const { return m_controller; }
    SocketPicker *socketPicker() const { return m_picker; }
    // The note shown next to the control just used (a refusal, what an action did instead).
    ActionNote *actionNote() const { return m_note; }

    // Everything the panels hold, as a profile; and the reverse.
    socklab::Profile currentProfile() const;
    void applyProfile(const socklab::Profile &p);

    socklab::LessonRunner *lessonRunner() const { return m_lessonRunner; }

    bool loadProfile(const QString &path, QString *error);
    bool saveProfile(const QString &path, QString *error) const;

    // UI zoom for a projector: steps of 15 % around the system font size.
    int zoomStep() const { return m_zoomStep; }
    void setZoomStep(int step);
    static constexpr int kMinZoom = -3;
    static constexpr int kMaxZoom = 10;
    static constexpr double kZoomFactor = 1.15;      // one zoom step
    static constexpr double kPresenterPoints = 16.0; // presenter mode's smallest text
    static constexpr int kPresenterLogRows = 3;      // the log rows presenter mode keeps in view

    // The finished experiment or lesson as a self-contained HTML page (with the kept runs, if
    // any are kept, after it).
    bool exportHandout(const QString &path, QString *error) const;
    // Writes what the lab's wire carried since this page's lab was made as a pcap file; false
    // with *error (no lab, or the file) otherwise.
    bool saveCapture(const QString &path, QString *error);

    // Keeps the page's run on screen, under the next one on the same time axis, and starts a
    // clean page for that next run (KeptRuns::kMaxKept at most: the oldest is let go, and the
    // status bar says so). False (and a note) if there is nothing to keep.
    bool keepRun();
    void forgetKeptRuns();
    // Puts back what the panels held before the first lesson was picked (false: nothing to).
    bool restoreOptionsBeforeLesson();
    int keptRunCount() const;

    bool selectLesson(const QString &name);

    bool isPresenterMode() const { return m_presenter; }
    void setPresenterMode(bool on);

    QString backendStatus() const;
    QString socketsStatus() const;
    // The window's message in the status bar now (a refusal, "Saved ..."), empty if none.
    QString statusMessage() const;

    // The page the views show (RunPage): which runs it holds.
    const RunPage &page() const { return m_page; }

  public slots:
    void clearLog();
    // Stops everything, closes every socket and starts a clean page (empty views, time at
    // zero, TIME_WAIT leftovers of earlier demos hidden from the table).
    void reset();

  protected:
    void closeEvent(QCloseEvent *e) override;

  private:
    // The height the log's tab needs to show `rows` rows of its table, as laid out now.
    int logHeightFor(int rows) const;
    void setupActions();
    void setupStatusBar();
    void setupSocketTable();
    void setupLessons();
    void onLessonChosen(const socklab::Lesson &lesson);
    void exportHandoutDialog();
    void saveCaptureDialog();
    void runProgramDialog();
    // What every manual action (a button, a fault) does first: after a finished lesson, it
    // begins a page of its own; on a page nothing has happened on yet, time starts at it.
    void beforeManualAction();
    // The page as a handout shows it: title, explanation, verdict if a lesson's, events (no
    // picture: the caller takes it, framed as it needs).
    socklab::handout::Input pageInput() const;
    void onEvents(const QList<socklab::Event> &batch);
    void onRefused(const QString &why);
    // In the status bar and next to the control that was used last.
    void showNote(const QString &text);
    void updateSocketsStatus();
    // Stops what runs and begins a new page of the views after that Stop.
    void beginPage(bool lesson);
    void onLessonFinished();
    void showMessage(const QString &text);
    void openProfileDialog();
    void saveProfileDialog();
    void showAbout();
    void restoreSettings();
    // Shrinks and moves the window onto its screen's available area where it is larger or
    // off it (a geometry saved on a bigger screen, restored on a projector).
    void fitOnScreen();
    void saveSettings() const;

    std::unique_ptr<Ui::MainWindow> m_ui;
    socklab::Engine *m_engine;
    ExperimentController *m_controller;
    SocketTableModel *m_sockets;
    ElidedLabel *m_stateLabel;
    StatusMessage *m_message = nullptr;
    QLabel *m_socketsLabel;
    ActionNote *m_note;
    SocketPicker *m_picker = nullptr;
    NetworkSwitch *m_network = nullptr;
    QAction *m_lastAction = nullptr; // the action the user triggered last (where notes go)
    int m_zoomStep = 0;
    QString m_lastProfileDir;
    QString m_lastCommand;      // Run a program: the last command, offered again
    bool m_traceProgram = true; // and whether strace showed its calls
    socklab::LessonRunner *m_lessonRunner;
    RunPage m_page;
    std::optional<socklab::Profile> m_beforeLesson; // the panels before a lesson was picked
    bool m_lessonPage = false; // the page is a lesson's run (its handout has its verdict)
    bool m_presenter = false;
    int m_zoomBeforePresenter = 0;
    // What presenter mode changes and gives back: the views' heights, the options panel's
    // width, and the Lessons pane (shown or not, and its width: the window's state).
    QByteArray m_viewSplitterBeforePresenter;
    QByteArray m_mainSplitterBeforePresenter;
    QByteArray m_windowStateBeforePresenter;
    QSize m_sizeBeforePresenter;
};
