#include "MainWindow.h"

#include "Engine.h"
#include "ExperimentController.h"
#include "ExperimentPanel.h"
#include "Platform.h"
#include "SocketTableModel.h"
#include "log/LogView.h"
#include "options/KeepalivePanel.h"
#include "options/MorePanel.h"
#include "options/ReusePanel.h"
#include "options/TimeoutPanel.h"
#include "timeline/TimelineWidget.h"
#include "ui_MainWindow.h"

#include <QApplication>
#include <QCloseEvent>
#include <QDir>
#include <QFile>
#include <QFileDialog>
#include <QFileInfo>
#include <QHeaderView>
#include <QLabel>
#include <QMessageBox>
#include <QSaveFile>
#include <QSettings>
#include <QStatusBar>

#include <cmath>

using socklab::Event;
using socklab::EventKind;
using socklab::Profile;

namespace {
constexpr int kMessageMs = 10000;

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
      m_engine(new socklab::Engine(this)), m_controller(new ExperimentController(m_engine, this)),
      m_sockets(new SocketTableModel(m_engine, this)), m_stateLabel(new QLabel(this)),
      m_socketsLabel(new QLabel(this))
{
    // The resources live in the static socklab_gui library: register them explicitly, or the
    // linker may drop them from the executable.
    Q_INIT_RESOURCE(socklab);
    m_ui->setupUi(this);
    setWindowIcon(QIcon(QStringLiteral(":/icons/socklab.svg")));

    m_controller->setProfileSource([this] { return currentProfile(); });
    m_controller->setTargetCheck([this] { return m_ui->experimentPanel->validationError(); });
    connect(m_controller, &ExperimentController::refused, this, &MainWindow::onRefused);
    connect(m_engine->bus(), &socklab::EventBus::eventsReady, this, &MainWindow::onEvents);

    // The timeline's "now" is the engine's clock, so running calls and deadlines grow live.
    socklab::EventBus *bus = m_engine->bus();
    m_ui->timeline->setClock([bus] { return socklab::platform::monotonicNs() - bus->epochNs(); });

    setupActions();
    setupStatusBar();
    setupSocketTable();
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
    // Stop must work from anywhere in the window, whichever widget has the focus.
    ui.actionStop->setShortcutContext(Qt::ApplicationShortcut);

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
    connect(ui.actionAbout, &QAction::triggered, this, &MainWindow::showAbout);
}

void MainWindow::setupStatusBar()
{
    m_stateLabel->setToolTip(tr("What the backend thread is doing: idle, the call it is running "
                                "and its timeout, or what Stop cancelled."));
    m_socketsLabel->setToolTip(tr("TCP sockets of the experiment in the kernel's table: those a "
                                  "descriptor owns, and connections in TIME_WAIT, which none "
                                  "does."));
    statusBar()->addPermanentWidget(m_stateLabel, 1);
    statusBar()->addPermanentWidget(m_socketsLabel);
    m_stateLabel->setText(m_controller->status());
    connect(m_controller, &ExperimentController::statusChanged, m_stateLabel, &QLabel::setText);
    connect(m_engine, &socklab::Engine::socketTableChanged, this, &MainWindow::updateSocketsStatus);
    updateSocketsStatus();
}

void MainWindow::setupSocketTable()
{
    QTableView *view = m_ui->socketTable;
    view->setModel(m_sockets);
    view->verticalHeader()->hide();
    view->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    view->horizontalHeader()->setStretchLastSection(true);
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
    statusBar()->showMessage(tr("Loaded %1").arg(QFileInfo(path).fileName()), kMessageMs);
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
    statusBar()->showMessage(tr("Saved %1").arg(QFileInfo(path).fileName()), kMessageMs);
}

void MainWindow::onEvents(const QList<Event> &batch)
{
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
    statusBar()->showMessage(tr("Not started: %1").arg(why), kMessageMs);
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
    return tr("Open sockets: %1 · TIME_WAIT: %2")
        .arg(m_sockets->openSockets())
        .arg(m_sockets->timeWaitSockets());
}

void MainWindow::setZoomStep(int step)
{
    step = std::clamp(step, kMinZoom, kMaxZoom);
    m_zoomStep = step;
    QFont f = systemFont();
    const double base = f.pointSizeF() > 0 ? f.pointSizeF() : 10.0;
    f.setPointSizeF(base * std::pow(1.15, step));
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
    restoreGeometry(s.value(QStringLiteral("window/geometry")).toByteArray());
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
    const QByteArray last = s.value(QStringLiteral("profile/last")).toByteArray();
    if (!last.isEmpty()) {
        QString why;
        if (const auto p = Profile::fromJson(last, &why))
            applyProfile(*p);
        else
            statusBar()->showMessage(tr("The last options were not restored: %1").arg(why),
                                     kMessageMs);
    }
}

void MainWindow::saveSettings() const
{
    QSettings s;
    s.setValue(QStringLiteral("window/geometry"), saveGeometry());
    s.setValue(QStringLiteral("window/state"), saveState());
    s.setValue(QStringLiteral("window/mainSplitter"), m_ui->mainSplitter->saveState());
    s.setValue(QStringLiteral("window/viewSplitter"), m_ui->viewSplitter->saveState());
    s.setValue(QStringLiteral("window/zoom"), m_zoomStep);
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
