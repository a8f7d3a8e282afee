#include "MainWindow.h"
#include "ActionNote.h"
#include "ElidedLabel.h"
#include "Lab.h"
#include "NetworkSwitch.h"
#include "PcapExport.h"
#include "PopupEscape.h"
#include "RunProgramDialog.h"
#include "SocketPicker.h"
#include "StatusMessage.h"
#include "options/FactTips.h"

#include "Engine.h"
#include "ExperimentController.h"
#include "ExperimentPanel.h"
#include "Handout.h"
#include "LessonRunner.h"
#include "Platform.h"
#include "SocketTableModel.h"
#include "code/CodePanel.h"
#include "help/HelpTexts.h"
#include "lessons/LessonsPanel.h"
#include "log/LogModel.h"
#include "log/LogView.h"
#include "network/FaultsPanel.h"
#include "options/KeepalivePanel.h"
#include "options/MorePanel.h"
#include "options/ReusePanel.h"
#include "options/TimeoutPanel.h"
#include "timeline/KeptRuns.h"
#include "timeline/TimelineWidget.h"
#include "ui_MainWindow.h"

#include <QApplication>
#include <QBuffer>
#include <QCheckBox>
#include <QCloseEvent>
#include <QComboBox>
#include <QDateTime>
#include <QDir>
#include <QDockWidget>
#include <QFile>
#include <QFileDialog>
#include <QFileInfo>
#include <QHeaderView>
#include <QLabel>
#include <QMessageBox>
#include <QSaveFile>
#include <QScreen>
#include <QSettings>
#include <QStatusBar>
#include <QStyle>
#include <QSysInfo>
#include <QTimer>

#include <cmath>

using socklab::Event;
using socklab::EventKind;
using socklab::Profile;

namespace {
constexpr int kViewMinimum = 80; // px: the log's and the socket table's least height

// The font the application started with: zoom steps scale from it, however often the window
// is created.
const QFont &systemFont()
{
    static const QFont font = QApplication::font();
    return font;
}

} // namespace

MainWindow::MainWindow(QWidget *parent)
    : QMainWindow(parent), m_ui(std::make_unique<Ui::MainWindow>()),
      m_engine(new socklab::Engine(this, nullptr, NetworkSwitch::savedChoice())),
      m_controller(new ExperimentController(m_engine, this)),
      m_sockets(new SocketTableModel(m_engine, this)), m_stateLabel(new ElidedLabel(this)),
      m_socketsLabel(new QLabel(this)), m_note(new ActionNote(this)),
      m_lessonRunner(new socklab::LessonRunner(m_engine, this))
{
    // The resources live in the static socklab_gui library: register them explicitly, or the
    // linker may drop them from the executable.
    Q_INIT_RESOURCE(socklab);
    m_ui->setupUi(this);
    expandFactTips(this);
    setWindowIcon(QIcon(QStringLiteral(":/icons/socklab.svg")));

    m_controller->setProfileSource([this] { return currentProfile(); });
    m_controller->setTargetCheck([this] { return m_ui->experimentPanel->validationError(); });
    connect(m_controller, &ExperimentController::refused, this, &MainWindow::onRefused);
    connect(m_controller, &ExperimentController::note, this, &MainWindow::showNote);
    connect(m_engine->bus(), &socklab::EventBus::eventsReady, this, &MainWindow::onEvents);

    // The timeline's "now" is the engine's clock, so running calls and deadlines grow live.
    socklab::EventBus *bus = m_engine->bus();
    m_ui->timeline->setClock([bus] { return socklab::platform::monotonicNs() - bus->epochNs(); });

    // The log and the socket table scroll: they may give their height to the pictures (a
    // kept run, the projector's 720 px) down to a few rows, not only to their size hints.
    m_ui->bottomTabs->setMinimumHeight(kViewMinimum);
    m_ui->socketsBox->setMinimumHeight(kViewMinimum);

    setupActions();
    setupStatusBar();
    setupSocketTable();
    setupLessons();
    restoreSettings();
}

MainWindow::~MainWindow() = default;

void MainWindow::setupActions()
{
    Ui::MainWindow &ui = *m_ui;
    // SockLab's own icons (resources/icons/actions): mid-tone colours that read on light and
    // dark palettes alike, and the same on every desktop.
    const auto icon = [](const char *name) {
        return QIcon(QStringLiteral(":/icons/actions/%1.svg").arg(QLatin1String(name)));
    };
    ui.actionConnect->setIcon(icon("connect"));
    ui.actionListen->setIcon(icon("listen"));
    ui.actionSend->setIcon(icon("send"));
    ui.actionReceive->setIcon(icon("receive"));
    ui.actionClose->setIcon(icon("close"));
    ui.actionRestart->setIcon(icon("restart"));
    ui.actionPullPlug->setIcon(icon("pullplug"));
    ui.actionStop->setIcon(icon("stop"));
    ui.actionClearLog->setIcon(icon("clear"));
    ui.actionOpenProfile->setIcon(icon("open"));
    ui.actionSaveProfile->setIcon(icon("save"));
    // Ctrl+= as well as Ctrl++: on most keyboards "+" needs Shift.
    ui.actionZoomIn->setShortcuts({QKeySequence::ZoomIn, QKeySequence(QStringLiteral("Ctrl+="))});
    ui.actionZoomOut->setShortcuts(QKeySequence::ZoomOut);
    // Stop works from anywhere in the window, whichever widget has the focus; not from a
    // drop-down's list or a dialog, where Esc closes them as it does everywhere (a window
    // shortcut: a dialog is a window of its own; an open list claims Esc, PopupEscape).
    ui.actionStop->setShortcutContext(Qt::WindowShortcut);
    qApp->installEventFilter(new PopupEscape(this));

    // Where a note about an action goes: next to its button. Connected first, so it is known
    // before the action runs.
    for (QAction *a : {ui.actionConnect, ui.actionListen, ui.actionSend, ui.actionReceive,
                       ui.actionClose, ui.actionRestart, ui.actionPullPlug}) {
        connect(a, &QAction::triggered, this, [this, a] { m_lastAction = a; });
    }
    SocketPicker::Actions acts;
    acts.send = ui.actionSend;
    acts.receive = ui.actionReceive;
    acts.close = ui.actionClose;
    acts.pullPlug = ui.actionPullPlug;
    acts.restart = ui.actionRestart;
    m_picker = new SocketPicker(m_controller, acts, this);
    m_picker->addTo(ui.mainToolBar, ui.actionSend);
    m_picker->attachTimeline(ui.timeline);
    m_picker->setOptionControls([this](socklab::OptionId id) -> QWidget * {
        switch (id) {
        case socklab::OptionId::ReuseAddr:
            return m_ui->reusePanel->reuseAddrCheck();
        case socklab::OptionId::ReusePort:
            return m_ui->reusePanel->reusePortCheck();
        case socklab::OptionId::RcvBuf:
            return m_ui->morePanel->rcvBufCheck();
        case socklab::OptionId::SndBuf:
            return m_ui->morePanel->sndBufCheck();
        case socklab::OptionId::SynCnt:
            return m_ui->timeoutPanel->synCntControl();
        default:
            return nullptr;
        }
    });
    connect(m_picker, &SocketPicker::message, this, [this](const QString &text) {
        m_lastAction = nullptr;
        showNote(text);
    });

    connect(ui.actionConnect, &QAction::triggered, m_controller,
            &ExperimentController::connectToTarget);
    connect(ui.actionListen, &QAction::triggered, m_controller, &ExperimentController::listen);
    connect(ui.actionSend, &QAction::triggered, m_controller, &ExperimentController::send);
    connect(ui.actionReceive, &QAction::triggered, m_controller, &ExperimentController::receive);
    connect(ui.actionClose, &QAction::triggered, m_controller, &ExperimentController::closeCurrent);
    connect(ui.actionRestart, &QAction::triggered, m_controller,
            &ExperimentController::restartServer);
    connect(ui.actionPullPlug, &QAction::triggered, m_controller, &ExperimentController::pullPlug);
    connect(ui.actionStop, &QAction::triggered, m_controller, &ExperimentController::stop);
    connect(ui.actionReset, &QAction::triggered, this, &MainWindow::reset);
    connect(ui.actionKeepRun, &QAction::triggered, this, &MainWindow::keepRun);
    connect(ui.actionForgetKept, &QAction::triggered, this, &MainWindow::forgetKeptRuns);
    connect(ui.actionRestoreOptions, &QAction::triggered, this,
            &MainWindow::restoreOptionsBeforeLesson);
    // The kept runs follow the live timeline's zoom and scrolling.
    ui.keptRuns->setAxis(ui.timeline);
    // The legend names what the timeline draws: the live run's shapes and the kept runs'.
    const auto legend = [this] {
        m_ui->timelineLegend->setDrawn(m_ui->timeline->drawn() | m_ui->keptRuns->drawn());
    };
    connect(ui.timeline, &TimelineWidget::drawnChanged, this, legend);
    connect(ui.keptRuns, &KeptRuns::drawnChanged, this, legend);
    // A run kept or forgotten: the legend, the live view's reach and Forget follow.
    connect(ui.keptRuns, &KeptRuns::changed, this, [this, legend] {
        legend();
        m_ui->timeline->setMinimumExtent(m_ui->keptRuns->lastEventNs());
        m_ui->actionForgetKept->setEnabled(m_ui->keptRuns->count() > 0);
    });
    // A manual action after a finished lesson starts a page of its own: the lesson's page (and
    // its handout) stays the lesson's.
    // The next action's note replaces the last one; an action with none leaves no old one.
    connect(m_controller, &ExperimentController::actionStarting, m_note, &QWidget::hide);
    connect(m_controller, &ExperimentController::actionStarting, this,
            &MainWindow::beforeManualAction);
    connect(ui.actionClearLog, &QAction::triggered, this, &MainWindow::clearLog);
    connect(ui.actionOpenProfile, &QAction::triggered, this, &MainWindow::openProfileDialog);
    connect(ui.actionSaveProfile, &QAction::triggered, this, &MainWindow::saveProfileDialog);
    connect(ui.actionExportCsv, &QAction::triggered, ui.logView,
            [this] { m_ui->logView->exportWithDialog(true); });
    connect(ui.actionExportNdjson, &QAction::triggered, ui.logView,
            [this] { m_ui->logView->exportWithDialog(false); });
    connect(ui.actionQuit, &QAction::triggered, this, &QWidget::close);
    connect(ui.actionZoomIn, &QAction::triggered, this, [this] { setZoomStep(m_zoomStep + 1); });
    connect(ui.actionZoomOut, &QAction::triggered, this, [this] { setZoomStep(m_zoomStep - 1); });
    connect(ui.actionZoomReset, &QAction::triggered, this, [this] { setZoomStep(0); });
    connect(ui.actionTimelineZoomIn, &QAction::triggered, ui.timeline, &TimelineWidget::zoomIn);
    connect(ui.actionTimelineZoomOut, &QAction::triggered, ui.timeline, &TimelineWidget::zoomOut);
    connect(ui.actionShowWire, &QAction::toggled, this, [this](bool show) {
        m_ui->timeline->setShowWire(show);
        m_ui->keptRuns->setShowWire(show);
    });
    connect(ui.actionAbout, &QAction::triggered, this, &MainWindow::showAbout);
    connect(ui.actionShortcuts, &QAction::triggered, this, [this] {
        help::showPage(this, tr("Keyboard shortcuts"), help::shortcutsHtml(menuBar()));
    });
    connect(ui.actionGettingStarted, &QAction::triggered, this, [this] {
        help::GettingStartedKeys keys;
        keys.connect = m_ui->actionConnect;
        keys.receive = m_ui->actionReceive;
        keys.stop = m_ui->actionStop;
        keys.reset = m_ui->actionReset;
        keys.lessons = m_ui->lessonsDock->toggleViewAction();
        keys.presenter = m_ui->actionPresenter;
        help::showPage(this, tr("Getting started"), help::gettingStartedHtml(keys));
    });
}

void MainWindow::setupStatusBar()
{
    m_stateLabel->setObjectName(QStringLiteral("stateLabel"));
    m_stateLabel->setPurpose(tr("What the backend thread is doing: idle, the call it is running "
                                "and its timeout, or what Stop cancelled."));
    m_socketsLabel->setToolTip(tr("TCP sockets of the experiment in the kernel's table: those a "
                                  "descriptor owns, and connections in TIME_WAIT, which none "
                                  "does."));
    // A normal widget, not a permanent one: a message (a refusal, "Saved ...") then shows in
    // its place for its time instead of being covered by it.
    statusBar()->addWidget(m_stateLabel, 1);
    m_message = new StatusMessage(statusBar(), m_stateLabel, this);
    statusBar()->addPermanentWidget(m_socketsLabel);
    // Which network the runs use; switching starts a clean page on the other one.
    m_network = new NetworkSwitch(m_engine, this);
    m_network->addTo(statusBar(), m_ui->menuExperiment);
    connect(m_network, &NetworkSwitch::message, this, &MainWindow::showMessage);
    connect(m_network, &NetworkSwitch::switchRequested, this, [this] {
        forgetKeptRuns(); // a kept run from the other network would not compare like with like
        m_ui->lessonsPanel->reset();
        beginPage(false);
        showMessage(m_network->choice() == socklab::Engine::Network::Lab
                        ? tr("A clean page on a new private lab network.")
                        : tr("A clean page on this machine's network."));
    });
    m_stateLabel->setText(m_controller->status());
    connect(m_controller, &ExperimentController::statusChanged, m_stateLabel, &QLabel::setText);
    // A message stays for StatusMessage::kShownMs, but not over the next call: "Not started:
    // Nothing to receive on" stood through the Connect and the 1 s recv after it.
    connect(m_controller, &ExperimentController::callStarted, m_message, &StatusMessage::clear);
    connect(m_engine, &socklab::Engine::socketTableChanged, this, &MainWindow::updateSocketsStatus);
    updateSocketsStatus();
}

void MainWindow::setupLessons()
{
    LessonsPanel *panel = m_ui->lessonsPanel;
    QString error;
    panel->setLessons(socklab::lessonCatalogue(&error));
    if (!error.isEmpty())
        showMessage(tr("Some lessons did not load: %1").arg(error));
    panel->setRunner(m_lessonRunner);
    connect(panel, &LessonsPanel::lessonChosen, this, &MainWindow::onLessonChosen);
    // A lesson starts on a clean page, and its page ends with its verdict.
    connect(panel, &LessonsPanel::runStarting, this, [this] { beginPage(true); });
    connect(m_lessonRunner, &socklab::LessonRunner::finished, this, &MainWindow::onLessonFinished);
    connect(panel, &LessonsPanel::stopRequested, m_controller, &ExperimentController::stop);
    m_ui->menuView->addSeparator();
    QAction *show = m_ui->lessonsDock->toggleViewAction();
    show->setText(tr("&Lessons"));
    show->setShortcut(QKeySequence(QStringLiteral("F2")));
    show->setToolTip(tr("Show or hide the lessons."));
    m_ui->menuView->addAction(show);
    m_ui->menuExperiment->addAction(m_ui->actionNextStep);
    addAction(m_ui->actionNextStep);
    connect(m_ui->actionNextStep, &QAction::triggered, panel, &LessonsPanel::nextStep);
    connect(m_ui->actionPresenter, &QAction::toggled, this, &MainWindow::setPresenterMode);
    connect(m_ui->actionExportHandout, &QAction::triggered, this, &MainWindow::exportHandoutDialog);
    connect(m_ui->actionSaveCapture, &QAction::triggered, this, &MainWindow::saveCaptureDialog);
    connect(m_ui->actionRunProgram, &QAction::triggered, this, &MainWindow::runProgramDialog);
    // The Host field shows where the built-in peer is on the network the runs use.
    connect(m_engine, &socklab::Engine::networkChanged, m_ui->experimentPanel, [this](bool lab) {
        m_ui->experimentPanel->setPeerAddress(
            lab ? socklab::platform::Lab::addressesOf(QStringLiteral("server")).value(0)
                : QStringLiteral("127.0.0.1"));
    });
    // The Faults tab and Experiment → Faults: the network's faults need the lab.
    FaultsPanel *faults = m_ui->faultsPanel;
    faults->setEngine(m_engine);
    faults->addTo(m_ui->menuExperiment);
    connect(m_engine->bus(), &socklab::EventBus::eventsReady, faults, &FaultsPanel::onEvents);
    // A fault made after a finished lesson is the next page's, made on its new network: the
    // Connect that follows meets it (it would not if that Connect began the page).
    connect(faults, &FaultsPanel::requesting, this, &MainWindow::beforeManualAction);
    connect(m_engine, &socklab::Engine::networkChanged, faults, &FaultsPanel::setInLab);
    faults->setInLab(false); // until the engine says it has a lab
    // Only the lab's wire is captured.
    connect(m_engine, &socklab::Engine::networkChanged, m_ui->actionSaveCapture,
            [this](bool lab) { m_ui->actionSaveCapture->setEnabled(lab); });
    m_ui->actionSaveCapture->setEnabled(false);
    // A program of one's own runs in the lab only.
    connect(m_engine, &socklab::Engine::networkChanged, m_ui->actionRunProgram,
            [this](bool lab) { m_ui->actionRunProgram->setEnabled(lab); });
    m_ui->actionRunProgram->setEnabled(false);

    // The Code tab follows every change of the panels.
    const auto refreshCode = [this] { m_ui->codePanel->setProfile(currentProfile()); };
    connect(m_ui->experimentPanel, &ExperimentPanel::changed, this, refreshCode);
    connect(m_ui->timeoutPanel, &TimeoutPanel::changed, this, refreshCode);
    connect(m_ui->reusePanel, &ReusePanel::changed, this, refreshCode);
    connect(m_ui->keepalivePanel, &KeepalivePanel::changed, this, refreshCode);
    connect(m_ui->morePanel, &MorePanel::changed, this, refreshCode);
    refreshCode();
}

bool MainWindow::selectLesson(const QString &name)
{
    if (!m_ui->lessonsPanel->selectLesson(name))
        return false;
    m_ui->lessonsDock->show();
    return true;
}

void MainWindow::onLessonChosen(const socklab::Lesson &lesson)
{
    // A clean page under the lesson's title: the last run is not this lesson's.
    beginPage(true);
    // Show the lesson's setup in the panels (its steps may still set options per socket).
    // What the teacher had there can be put back (Experiment > Put my options back).
    if (!m_beforeLesson) {
        m_beforeLesson = currentProfile();
        m_ui->actionRestoreOptions->setEnabled(true);
    }
    Profile p = currentProfile();
    p.options = lesson.options;
    if (lesson.peer) {
        p.role = Profile::Role::ClientWithPeer;
        p.peer = *lesson.peer;
    } else if (!lesson.steps.isEmpty() &&
               lesson.steps.first().step.kind == socklab::Step::Kind::Listen) {
        // A lesson of servers: the panels show the listener it starts, not the last peer.
        const socklab::Step &listen = lesson.steps.first().step;
        p.role = Profile::Role::Server;
        p.host = listen.host.isEmpty() ? QStringLiteral("127.0.0.1") : listen.host;
        p.port = listen.port;
    }
    applyProfile(p);
    m_ui->codePanel->setProfile(currentProfile());
}

void MainWindow::setPresenterMode(bool on)
{
    if (on == m_presenter)
        return;
    m_presenter = on;
    {
        const QSignalBlocker block(m_ui->actionPresenter);
        m_ui->actionPresenter->setChecked(on);
    }
    if (on) {
        m_zoomBeforePresenter = m_zoomStep;
        m_viewSplitterBeforePresenter = m_ui->viewSplitter->saveState();
        m_mainSplitterBeforePresenter = m_ui->mainSplitter->saveState();
        m_windowStateBeforePresenter = saveState();
        m_sizeBeforePresenter = size();
        // Read from the back of a room: text of at least kPresenterPoints, and larger still if
        // the teacher had zoomed in further.
        const double base = systemFont().pointSizeF() > 0 ? systemFont().pointSizeF() : 10.0;
        const int needed =
            int(std::ceil(std::log(kPresenterPoints / base) / std::log(kZoomFactor) - 1e-9));
        setZoomStep(std::max({m_zoomStep + 1, needed, 0}));
        // Kept runs in larger text: a quarter of the screen, the rest of them scrolls, so the
        // live run and the log's last rows keep theirs.
        m_ui->keptRuns->setMaxScreenShare(KeptRuns::kPresenterScreenShare);
        m_ui->optionsScroll->hide();
        // The kernel's table is for reading up close; the timeline draws TIME_WAIT too.
        m_ui->socketsBox->hide();
        // The log may get less than its own minimum (its rows scroll); a positive minimum is
        // what the splitter then goes by instead of the log's size hint.
        m_ui->bottomTabs->setMinimumHeight(1);
        m_ui->lessonsDock->show();
        // The picture first: most of the height to the timeline, once the larger text has
        // been laid out (the splitter shares out the height again when its children grow).
        // The legend's rows (and a kept run) share the box with it and settle with the
        // layout, so this is done again once the first sizes took.
        const auto fit = [this] {
            if (!m_presenter)
                return;
            // 70 % to the timeline itself: its box also holds the legend and a kept run. The
            // log keeps room for its last few rows (at 1280x720 its 30 % was its header); an
            // event's detail pane, open from before, would take them (and with them the
            // timeline's share), so it closes: selecting an event opens it again.
            m_ui->logView->closeDetail();
            const int h = m_ui->viewSplitter->height();
            const int overhead = m_ui->timelineBox->height() - m_ui->timeline->height();
            const int log = logHeightFor(kPresenterLogRows);
            const int box = std::clamp(std::min(h * 7 / 10 + std::max(0, overhead), h - log),
                                       std::min(h - 1, h / 2), h - 1);
            m_ui->viewSplitter->setSizes({box, h - box, 0});
            // The explanation is read from the back of the room: a third of the width.
            resizeDocks({m_ui->lessonsDock}, {width() / 3}, Qt::Horizontal);
        };
        QTimer::singleShot(0, this, fit);
        QTimer::singleShot(50, this, fit);
    } else {
        setZoomStep(m_zoomBeforePresenter);
        m_ui->keptRuns->setMaxScreenShare(KeptRuns::kMaxScreenShare);
        m_ui->optionsScroll->show();
        m_ui->socketsBox->show();
        m_ui->bottomTabs->setMinimumHeight(kViewMinimum);
        // The Lessons pane as it was (shown or hidden, its width), the options panel's width
        // and the window's size: once the smaller text is laid out, and again when the layout
        // has settled. The panels come back while the larger text's sizes still hold, and
        // their minimum widths can push the window wider than the screen (1321 px on a 1280
        // projector under X11): it goes back to the size it had.
        const auto giveBack = [this] {
            if (m_presenter)
                return;
            restoreState(m_windowStateBeforePresenter);
            m_ui->mainSplitter->restoreState(m_mainSplitterBeforePresenter);
            m_ui->viewSplitter->restoreState(m_viewSplitterBeforePresenter);
            // Maximized too: without a window manager that is only a flag, and the window
            // still grew.
            if (!isFullScreen() && m_sizeBeforePresenter.isValid())
                resize(m_sizeBeforePresenter);
        };
        giveBack();
        QTimer::singleShot(0, this, giveBack);
        QTimer::singleShot(50, this, giveBack);
    }
}

socklab::handout::Input MainWindow::pageInput() const
{
    socklab::handout::Input in;
    const socklab::LessonRunner *runner = m_lessonRunner;
    const auto result = m_ui->lessonsPanel->lastResult();
    if (m_lessonPage && result && runner->isLoaded() && runner->lesson().name == result->lesson) {
        in.title = runner->lesson().title;
        in.explanation = runner->lesson().explanation;
        in.verdict = socklab::handout::Verdict{result->passed, result->predictedText(),
                                               result->observedText()};
    } else {
        const Profile p = currentProfile();
        in.title = tr("SockLab experiment");
        in.explanation =
            tr("An experiment run in SockLab (role %1%2). Every event below comes "
               "from the kernel, on real sockets.")
                .arg(socklab::roleName(p.role),
                     p.role == Profile::Role::ClientWithPeer
                         ? tr(", built-in peer: %1").arg(socklab::behaviorName(p.peer.behavior))
                         : tr(", target %1:%2").arg(p.host).arg(p.port));
    }
    const LogModel *log = m_ui->logView->model();
    in.events.reserve(log->rowCount());
    for (int r = 0; r < log->rowCount(); ++r)
        in.events << log->eventAt(r);
    in.machine = QStringLiteral("%1, Linux %2 %3")
                     .arg(QSysInfo::prettyProductName(), QSysInfo::kernelVersion(),
                          QSysInfo::currentCpuArchitecture());
    return in;
}

bool MainWindow::exportHandout(const QString &path, QString *error) const
{
    socklab::handout::Input in = pageInput();
    // A handout is printed: draw the pictures on the light palette, whatever the screen's
    // theme; the run framed, not the view scrolled; the kept runs on the same time axis.
    TimelineWidget *timeline = m_ui->timeline;
    const QList<TimelineWidget *> kept = m_ui->keptRuns->timelines();
    const QList<TimelineWidget *> drawn = QList<TimelineWidget *>{timeline} + kept;
    QList<std::pair<bool, QPalette>> screen;
    for (TimelineWidget *t : drawn) {
        screen.append({t->testAttribute(Qt::WA_SetPalette), t->palette()});
        t->setPalette(t->style()->standardPalette());
    }
    QList<QPixmap> keptPictures;
    const QPixmap picture = timeline->grabRun(kept, &keptPictures);
    // Give back the palette each had; an inherited one stays inherited (follows the theme).
    for (int i = 0; i < drawn.size(); ++i)
        drawn[i]->setPalette(screen[i].first ? screen[i].second : QPalette());
    const auto png = [](const QPixmap &pm) {
        QByteArray bytes;
        QBuffer buffer(&bytes);
        buffer.open(QIODevice::WriteOnly);
        pm.save(&buffer, "PNG");
        return bytes;
    };
    in.timelinePng = png(picture);
    for (int i = 0; i < m_ui->keptRuns->count(); ++i) {
        socklab::handout::Input k = m_ui->keptRuns->run(i);
        k.timelinePng = png(keptPictures.value(i));
        in.compared.push_back(std::move(k));
    }
    QSaveFile f(path);
    if (!f.open(QIODevice::WriteOnly) || f.write(socklab::handout::html(in).toUtf8()) < 0 ||
        !f.commit()) {
        *error = tr("Cannot write %1: %2").arg(QDir::toNativeSeparators(path), f.errorString());
        return false;
    }
    return true;
}

bool MainWindow::keepRun()
{
    if (m_ui->timeline->laneCount() == 0) {
        m_lastAction = m_ui->actionKeepRun;
        showNote(tr("Nothing to keep yet: run an experiment or a lesson first."));
        return false;
    }
    const socklab::handout::Input page = pageInput();
    const QString what = KeptRuns::describe(page);
    const QString letGo = m_ui->keptRuns->keep(m_ui->timeline->snapshot(), page);
    // Room for the pictures: the timeline's box gets three quarters of the views' height at
    // least, taken from the log and the socket table below it.
    QTimer::singleShot(0, this, [this] {
        QList<int> sizes = m_ui->viewSplitter->sizes();
        int total = 0;
        for (const int v : sizes)
            total += v;
        // ...but the log keeps its last rows (presenter mode's few; otherwise one), and the
        // socket table its minimum.
        const int log = logHeightFor(m_presenter ? kPresenterLogRows : 1);
        const int table =
            m_ui->socketsBox->isVisible() ? m_ui->socketsBox->minimumSizeHint().height() : 0;
        const int wanted = std::min(std::max(m_ui->timelineBox->sizeHint().height(), total * 3 / 4),
                                    total - log - table);
        if (sizes.size() < 3 || sizes[0] >= wanted)
            return;
        const int rest = total - wanted;
        const int others = sizes[1] + sizes[2];
        sizes[1] = others > 0 ? rest * sizes[1] / others : rest;
        sizes[2] = rest - sizes[1];
        sizes[0] = wanted;
        m_ui->viewSplitter->setSizes(sizes);
    });
    // The next run starts on a clean page; the kept ones' ends stay in reach of the view.
    m_ui->lessonsPanel->reset();
    beginPage(false);
    // What was let go first: the status line may be cut at its end on a projector.
    showMessage(letGo.isEmpty()
                    ? tr("Kept: %1. Run the next experiment or lesson to compare.").arg(what)
                    : tr("Kept, and the oldest kept run was let go (%1 are kept at most): %2.")
                          .arg(QString::number(KeptRuns::kMaxKept), letGo));
    return true;
}

bool MainWindow::restoreOptionsBeforeLesson()
{
    if (!m_beforeLesson)
        return false;
    applyProfile(*m_beforeLesson);
    m_ui->codePanel->setProfile(currentProfile());
    m_beforeLesson.reset();
    m_ui->actionRestoreOptions->setEnabled(false);
    showMessage(tr("Your options are back in the panels."));
    return true;
}

int MainWindow::logHeightFor(int rows) const
{
    return m_ui->bottomTabs->height() - m_ui->logView->height() +
           m_ui->logView->heightForRows(rows);
}

void MainWindow::forgetKeptRuns()
{
    m_ui->keptRuns->forgetAll(); // the live view's reach and Forget follow (changed())
}

int MainWindow::keptRunCount() const
{
    return m_ui->keptRuns->count();
}

bool MainWindow::saveCapture(const QString &path, QString *error)
{
    const socklab::WireTap::Capture cap = m_engine->capture();
    if (cap.links.isEmpty() && cap.frames.isEmpty()) {
        *error = tr("There is no capture: only the private lab's wire is captured (Network: "
                    "private lab).");
        return false;
    }
    return socklab::pcap::write(path, cap.frames, error);
}

void MainWindow::runProgramDialog()
{
    RunProgramDialog dialog(this);
    dialog.setCommand(m_lastCommand);
    dialog.setTrace(m_traceProgram);
    if (dialog.exec() != QDialog::Accepted || dialog.argv().isEmpty())
        return;
    m_lastCommand = dialog.command();
    m_traceProgram = dialog.trace();
    m_controller->runProgram(dialog.argv(), m_traceProgram);
}

void MainWindow::saveCaptureDialog()
{
    QString path = QFileDialog::getSaveFileName(
        this, tr("Save capture"),
        QDir(m_lastProfileDir.isEmpty() ? QDir::homePath() : m_lastProfileDir)
            .filePath(QStringLiteral("socklab-capture.pcap")),
        tr("Capture files (*.pcap);;All files (*)"));
    if (path.isEmpty())
        return;
    if (QFileInfo(path).suffix().isEmpty())
        path += QStringLiteral(".pcap");
    QString error;
    if (!saveCapture(path, &error)) {
        QMessageBox::warning(this, tr("Capture not saved"), error);
        return;
    }
    showMessage(tr("Saved %1").arg(QFileInfo(path).fileName()));
}

void MainWindow::exportHandoutDialog()
{
    QString path = QFileDialog::getSaveFileName(
        this, tr("Export handout"),
        QDir(m_lastProfileDir.isEmpty() ? QDir::homePath() : m_lastProfileDir)
            .filePath(QStringLiteral("socklab-handout.html")),
        tr("HTML pages (*.html);;All files (*)"));
    if (path.isEmpty())
        return;
    if (QFileInfo(path).suffix().isEmpty())
        path += QStringLiteral(".html");
    QString error;
    if (!exportHandout(path, &error)) {
        QMessageBox::warning(this, tr("Handout not saved"), error);
        return;
    }
    showMessage(tr("Saved %1").arg(QFileInfo(path).fileName()));
}

void MainWindow::setupSocketTable()
{
    QTableView *view = m_ui->socketTable;
    view->setModel(m_sockets);
    view->verticalHeader()->hide();
    // Every column as wide as what it shows, none stretched: a narrow number at the end does
    // not take the row's width, and an address is never cut short.
    view->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    view->horizontalHeader()->setStretchLastSection(false);
    m_picker->attachTable(view, SocketTableModel::Socket);
}

Profile MainWindow::currentProfile() const
{
    Profile p;
    m_ui->experimentPanel->writeTo(&p);
    m_ui->timeoutPanel->writeTo(&p.options);
    m_ui->reusePanel->writeTo(&p.options);
    m_ui->keepalivePanel->writeTo(&p.options);
    m_ui->morePanel->writeTo(&p.options);
    return p;
}

void MainWindow::applyProfile(const Profile &p)
{
    m_ui->experimentPanel->readFrom(p);
    m_ui->timeoutPanel->readFrom(p.options);
    m_ui->reusePanel->readFrom(p.options);
    m_ui->keepalivePanel->readFrom(p.options);
    m_ui->morePanel->readFrom(p.options);
}

bool MainWindow::loadProfile(const QString &path, QString *error)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly)) {
        *error = tr("Cannot open %1: %2").arg(QDir::toNativeSeparators(path), f.errorString());
        return false;
    }
    if (f.size() > socklab::kProfileMaxBytes) {
        *error = tr("%1 is %2 bytes; a profile is at most %3 bytes. Is it the right file?")
                     .arg(QDir::toNativeSeparators(path))
                     .arg(f.size())
                     .arg(socklab::kProfileMaxBytes);
        return false;
    }
    QString why;
    const auto p = Profile::fromJson(f.readAll(), &why);
    if (!p) {
        *error = tr("%1 is not a usable profile, so nothing was changed.\n\n%2")
                     .arg(QDir::toNativeSeparators(path), why);
        return false;
    }
    applyProfile(*p);
    return true;
}

bool MainWindow::saveProfile(const QString &path, QString *error) const
{
    QSaveFile f(path);
    if (!f.open(QIODevice::WriteOnly) || f.write(currentProfile().toJsonBytes()) < 0 ||
        !f.commit()) {
        *error = tr("Cannot write %1: %2").arg(QDir::toNativeSeparators(path), f.errorString());
        return false;
    }
    return true;
}

void MainWindow::openProfileDialog()
{
    const QString path = QFileDialog::getOpenFileName(
        this, tr("Open profile"), m_lastProfileDir.isEmpty() ? QDir::homePath() : m_lastProfileDir,
        tr("SockLab profiles (*.json);;All files (*)"));
    if (path.isEmpty())
        return;
    m_lastProfileDir = QFileInfo(path).absolutePath();
    QString error;
    if (!loadProfile(path, &error)) {
        QMessageBox::warning(this, tr("Profile not loaded"), error);
        return;
    }
    showMessage(tr("Loaded %1").arg(QFileInfo(path).fileName()));
}

void MainWindow::saveProfileDialog()
{
    QString path = QFileDialog::getSaveFileName(
        this, tr("Save profile"),
        QDir(m_lastProfileDir.isEmpty() ? QDir::homePath() : m_lastProfileDir)
            .filePath(QStringLiteral("socklab-profile.json")),
        tr("SockLab profiles (*.json);;All files (*)"));
    if (path.isEmpty())
        return;
    if (QFileInfo(path).suffix().isEmpty())
        path += QStringLiteral(".json");
    m_lastProfileDir = QFileInfo(path).absolutePath();
    QString error;
    if (!saveProfile(path, &error)) {
        QMessageBox::warning(this, tr("Profile not saved"), error);
        return;
    }
    showMessage(tr("Saved %1").arg(QFileInfo(path).fileName()));
}

void MainWindow::onEvents(const QList<Event> &all)
{
    const QList<Event> batch = m_page.filter(all);
    if (batch.isEmpty())
        return;
    m_ui->logView->append(batch);
    m_ui->timeline->append(batch);
    for (const Event &e : batch) {
        if (e.kind != EventKind::OptionSet && e.kind != EventKind::OptionInherited &&
            e.kind != EventKind::SystemDefault)
            continue;
        if (e.sock.startsWith(QLatin1String("peer")))
            continue; // the built-in peer's own options are not the experiment's
        m_ui->timeoutPanel->showEffective(e);
        m_ui->reusePanel->showEffective(e);
        m_ui->keepalivePanel->showEffective(e);
        m_ui->morePanel->showEffective(e);
    }
}

void MainWindow::onRefused(const QString &why)
{
    showNote(tr("Not started: %1").arg(why));
}

void MainWindow::showNote(const QString &text)
{
    showMessage(text);
    QWidget *anchor = m_lastAction ? m_ui->mainToolBar->widgetForAction(m_lastAction) : nullptr;
    m_note->showNear(anchor ? anchor : static_cast<QWidget *>(m_picker->comboBox()), text);
}

void MainWindow::showMessage(const QString &text)
{
    m_message->show(text);
}

QString MainWindow::statusMessage() const
{
    return m_message->text();
}

void MainWindow::beginPage(bool lesson)
{
    // Every page starts on a network of its own: a new lab, with nothing of the last page in it.
    const quint64 stop = m_controller->stopAndUse(m_network->choice());
    m_controller->restartNames();
    m_page.beginAfter(stop);
    m_lessonPage = lesson;
    m_sockets->hideRunsUpTo(stop);
    clearLog();
    m_ui->logView->clearForNewPage();
    m_note->hide(); // what it said was about the last page
}

void MainWindow::beforeManualAction()
{
    if (!m_page.isEnded()) {
        // The page's first action: its time starts here, not when the window opened
        // (nothing of the page is on its way: no event shown, nothing running).
        if (m_ui->logView->model()->rowCount() == 0 && m_ui->timeline->laneCount() == 0 &&
            !m_engine->isBusy())
            m_engine->bus()->resetEpoch();
        return;
    }
    m_ui->lessonsPanel->reset(); // the verdict was the lesson's, not this experiment's
    beginPage(false);
}

void MainWindow::reset()
{
    forgetKeptRuns();            // a clean page is clean of the kept run too
    m_ui->lessonsPanel->reset(); // forgets a lesson's run and verdict; the lesson stays picked
    beginPage(false);
    showMessage(tr("A clean page: everything stopped and closed, time at zero."));
}

// The lesson's page ends with its verdict: what it left running (a drip peer, open sockets)
// is stopped, as the CLI's lesson ends with its process, and the timeline frames the run.
void MainWindow::onLessonFinished()
{
    m_page.endAt(m_lessonRunner->lastRun(), m_lessonRunner->verdictNs());
    m_controller->stop();
    m_ui->timeline->frameUntilNow();
}

void MainWindow::clearLog()
{
    m_ui->logView->clear();
    m_ui->timeline->clear();
    m_ui->timeoutPanel->clearEffective();
    m_ui->reusePanel->clearEffective();
    m_ui->keepalivePanel->clearEffective();
    m_ui->morePanel->clearEffective();
    m_engine->bus()->resetEpoch();
}

void MainWindow::updateSocketsStatus()
{
    m_socketsLabel->setText(socketsStatus());
}

QString MainWindow::backendStatus() const
{
    return m_stateLabel->text();
}

QString MainWindow::socketsStatus() const
{
    QString text = tr("Open sockets: %1 · TIME_WAIT: %2")
                       .arg(m_sockets->openSockets())
                       .arg(m_sockets->timeWaitSockets());
    if (const int hidden = m_sockets->hiddenTimeWait())
        text += tr(" · %n earlier connection(s) still in TIME_WAIT, hidden", nullptr, hidden);
    return text;
}

void MainWindow::setZoomStep(int step)
{
    step = std::clamp(step, kMinZoom, kMaxZoom);
    m_zoomStep = step;
    QFont f = systemFont();
    const double base = f.pointSizeF() > 0 ? f.pointSizeF() : 10.0;
    f.setPointSizeF(base * std::pow(kZoomFactor, step));
    QApplication::setFont(f);
    m_ui->actionZoomIn->setEnabled(step < kMaxZoom);
    m_ui->actionZoomOut->setEnabled(step > kMinZoom);
}

void MainWindow::showAbout()
{
    QMessageBox::about(
        this, tr("About SockLab"),
        tr("<h3>SockLab</h3><p>A workbench for socket options. Every event in the log, the "
           "timeline and the socket table comes from the kernel, on real sockets: a timeout is "
           "a call that really timed out, a probe is a probe that was on the wire.</p>"
           "<p>The same engine runs headless as <tt>socklab-cli</tt>.</p>"));
}

void MainWindow::restoreSettings()
{
    QSettings s;
    if (!restoreGeometry(s.value(QStringLiteral("window/geometry")).toByteArray())) {
        // First start: the designed size, but never more than the screen has (a projector is
        // often 1280x720): the status bar and the lessons' buttons must be on it.
        if (const QScreen *screen = QGuiApplication::primaryScreen()) {
            const QSize available = screen->availableGeometry().size();
            if (size().width() > available.width() || size().height() > available.height()) {
                // Smaller than designed: fill the screen. A window manager then fits the
                // frame too (its title bar would push the status bar off); without one the
                // size alone does it.
                resize(size().boundedTo(available));
                setWindowState(windowState() | Qt::WindowMaximized);
            }
        }
    }
    fitOnScreen();
    restoreState(s.value(QStringLiteral("window/state")).toByteArray());
    // Growing the window gives the room to the pictures, not to the option panels.
    m_ui->mainSplitter->setStretchFactor(0, 0);
    m_ui->mainSplitter->setStretchFactor(1, 1);
    m_ui->viewSplitter->setStretchFactor(0, 3);
    m_ui->viewSplitter->setStretchFactor(1, 3);
    m_ui->viewSplitter->setStretchFactor(2, 1);
    m_ui->mainSplitter->restoreState(s.value(QStringLiteral("window/mainSplitter")).toByteArray());
    if (!m_ui->viewSplitter->restoreState(
            s.value(QStringLiteral("window/viewSplitter")).toByteArray()))
        m_ui->viewSplitter->setSizes({320, 300, 150}); // timeline first: it is the picture
    m_ui->optionTabs->setCurrentIndex(s.value(QStringLiteral("window/optionsTab"), 0).toInt());
    m_lastProfileDir = s.value(QStringLiteral("profile/dir")).toString();
    setZoomStep(s.value(QStringLiteral("window/zoom"), 0).toInt());
    m_ui->actionShowWire->setChecked(s.value(QStringLiteral("timeline/showWire"), true).toBool());
    const QByteArray last = s.value(QStringLiteral("profile/last")).toByteArray();
    if (!last.isEmpty()) {
        QString why;
        if (const auto p = Profile::fromJson(last, &why))
            applyProfile(*p);
        else
            showMessage(tr("The last options were not restored: %1").arg(why));
    }
}

void MainWindow::fitOnScreen()
{
    const QScreen *screen = this->screen() ? this->screen() : QGuiApplication::primaryScreen();
    if (!screen || isFullScreen())
        return;
    const QRect room = screen->availableGeometry();
    // A window manager's frame (title bar, borders) must fit too.
    const QSize frame = frameGeometry().size() - geometry().size();
    const QSize most = (room.size() - frame).expandedTo(minimumSize());
    if (width() > most.width() || height() > most.height())
        resize(size().boundedTo(most));
    const QRect f = frameGeometry();
    const QPoint at(
        std::clamp(f.x(), room.left(), std::max(room.left(), room.right() + 1 - f.width())),
        std::clamp(f.y(), room.top(), std::max(room.top(), room.bottom() + 1 - f.height())));
    if (at != f.topLeft())
        move(at);
}

void MainWindow::saveSettings() const
{
    QSettings s;
    s.setValue(QStringLiteral("window/geometry"), saveGeometry());
    if (m_presenter) // remember the everyday layout, not the projector's
        const_cast<MainWindow *>(this)->setPresenterMode(false);
    s.setValue(QStringLiteral("window/state"), saveState());
    s.setValue(QStringLiteral("window/mainSplitter"), m_ui->mainSplitter->saveState());
    s.setValue(QStringLiteral("window/viewSplitter"), m_ui->viewSplitter->saveState());
    s.setValue(QStringLiteral("window/zoom"), m_zoomStep);
    s.setValue(QStringLiteral("timeline/showWire"), m_ui->actionShowWire->isChecked());
    s.setValue(QStringLiteral("window/optionsTab"), m_ui->optionTabs->currentIndex());
    s.setValue(QStringLiteral("profile/dir"), m_lastProfileDir);
    s.setValue(QStringLiteral("profile/last"), currentProfile().toJsonBytes());
}

void MainWindow::closeEvent(QCloseEvent *e)
{
    saveSettings();
    m_engine->stop();
    e->accept();
}
