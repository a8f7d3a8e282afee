#include "LessonsPanel.h"

#include "LessonRunner.h"
#include "ui_LessonsPanel.h"

#include <QEvent>
#include <QLabel>
#include <QListWidget>
#include <QPushButton>
#include <QTextBrowser>

using socklab::Lesson;
using socklab::LessonResult;

namespace {
QString stepText(const socklab::LessonStep &s)
{
    using K = socklab::Step::Kind;
    const socklab::Step &st = s.step;
    switch (st.kind) {
    case K::Connect:
        return QObject::tr("%1: connect to %2")
            .arg(st.sock, st.toPeer ? QObject::tr("the peer")
                          : !st.portOf.isEmpty()
                              ? st.portOf
                              : QStringLiteral("%1:%2").arg(st.host).arg(st.port));
    case K::Listen:
        return st.portOf.isEmpty() ? QObject::tr("%1: listen").arg(st.sock)
                                   : QObject::tr("%1: listen on %2's port").arg(st.sock, st.portOf);
    case K::Accept:
        return QObject::tr("%1: accept on %2").arg(st.sock, st.listener);
    case K::Send:
        return QObject::tr("%1: send").arg(st.sock);
    case K::Recv:
        return QObject::tr("%1: recv").arg(st.sock);
    case K::RecvFor:
        return QObject::tr("%1: recv for %2 s").arg(st.sock).arg(st.seconds);
    case K::Hold:
        return QObject::tr("%1: stay idle %2 s").arg(st.sock).arg(st.seconds);
    case K::Close:
        return QObject::tr("%1: close").arg(st.sock);
    case K::Restart:
        return QObject::tr("%1: restart").arg(st.sock);
    case K::PullPlug:
        return QObject::tr("pull the plug");
    case K::StartPeer:
        return QObject::tr("start a peer");
    case K::StopPeer:
        return QObject::tr("stop the peer");
    case K::CloseAll:
        return QObject::tr("close everything");
    case K::AcceptLoop:
        return QObject::tr("accept in a loop");
    case K::Run:
        return QObject::tr("run %1").arg(st.argv.value(0));
    case K::Fault: {
        const socklab::FaultInfo &f = socklab::faultInfo(st.fault.kind);
        QString text = QObject::tr(st.fault.on ? f.action : f.repair);
        if (f.value.name && st.fault.on)
            text += QStringLiteral(": %1 %2")
                        .arg(st.fault.effectiveValue())
                        .arg(QLatin1String(f.value.unit));
        if (st.fault.on && st.fault.seconds > 0)
            text += QObject::tr(" for %1 s").arg(st.fault.seconds);
        return text;
    }
    }
    return {};
}
} // namespace

LessonsPanel::LessonsPanel(QWidget *parent)
    : QWidget(parent), m_ui(std::make_unique<Ui::LessonsPanel>())
{
    m_ui->setupUi(this);
    m_ui->splitter->setStretchFactor(0, 1);
    m_ui->splitter->setStretchFactor(1, 3);
    connect(m_ui->lessonList, &QListWidget::currentRowChanged, this,
            &LessonsPanel::onCurrentRowChanged);
    connect(m_ui->runAllButton, &QPushButton::clicked, this, &LessonsPanel::runAll);
    connect(m_ui->nextButton, &QPushButton::clicked, this, &LessonsPanel::nextStep);
    connect(m_ui->resetButton, &QPushButton::clicked, this, &LessonsPanel::reset);
    reserveProgressLines();
    updateButtons();
}

LessonsPanel::~LessonsPanel() = default;

void LessonsPanel::changeEvent(QEvent *event)
{
    QWidget::changeEvent(event);
    if (event->type() == QEvent::FontChange)
        reserveProgressLines(); // zoom, presenter mode
}

void LessonsPanel::reserveProgressLines()
{
    QLabel *label = m_ui->progressLabel;
    const QMargins m = label->contentsMargins();
    label->setMinimumHeight(2 * label->fontMetrics().lineSpacing() + m.top() + m.bottom() +
                            2 * label->margin());
}

void LessonsPanel::setRunner(socklab::LessonRunner *runner)
{
    m_runner = runner;
    connect(runner, &socklab::LessonRunner::stepStarted, this, &LessonsPanel::onStepStarted);
    connect(runner, &socklab::LessonRunner::finished, this, &LessonsPanel::onFinished);
    connect(runner, &socklab::LessonRunner::stateChanged, this, &LessonsPanel::updateButtons);
    updateButtons();
}

void LessonsPanel::setLessons(const QList<Lesson> &lessons)
{
    m_lessons = lessons;
    m_ui->lessonList->clear();
    for (int i = 0; i < lessons.size(); ++i) {
        auto *item = new QListWidgetItem(tr("%1. %2").arg(i + 1).arg(lessons[i].title));
        item->setToolTip(lessons[i].summary);
        item->setData(Qt::UserRole, lessons[i].name);
        m_ui->lessonList->addItem(item);
    }
}

int LessonsPanel::lessonCount() const
{
    return int(m_lessons.size());
}

bool LessonsPanel::selectLesson(const QString &name)
{
    for (int i = 0; i < m_lessons.size(); ++i) {
        if (m_lessons[i].name == name) {
            m_ui->lessonList->setCurrentRow(i);
            return true;
        }
    }
    return false;
}

QString LessonsPanel::currentLessonName() const
{
    const int row = m_ui->lessonList->currentRow();
    return row >= 0 && row < m_lessons.size() ? m_lessons[row].name : QString();
}

QString LessonsPanel::explanationText() const
{
    return m_ui->explanation->toPlainText();
}

void LessonsPanel::onCurrentRowChanged(int row)
{
    if (row < 0 || row >= m_lessons.size())
        return;
    m_currentStep = -1;
    m_say.clear();
    m_result.reset();
    if (m_runner) {
        if (m_runner->isRunning())
            emit stopRequested();
        m_runner->load(m_lessons[row]);
    }
    emit lessonChosen(m_lessons[row]);
    render();
    updateButtons();
}

void LessonsPanel::runAll()
{
    if (!m_runner || !m_runner->canStep())
        return;
    if (m_runner->stepsIssued() == 0)
        emit runStarting();
    m_runner->runAll();
}

void LessonsPanel::nextStep()
{
    if (!m_runner || !m_runner->canStep())
        return;
    if (m_runner->stepsIssued() == 0)
        emit runStarting();
    m_runner->nextStep();
}

void LessonsPanel::reset()
{
    if (!m_runner || !m_runner->isLoaded())
        return;
    emit stopRequested();
    m_runner->load(m_runner->lesson());
    m_currentStep = -1;
    m_say.clear();
    m_result.reset();
    render();
    updateButtons();
}

void LessonsPanel::onStepStarted(int index, const QString &say)
{
    m_currentStep = index;
    if (!say.isEmpty())
        m_say = say;
    m_result.reset();
    render();
}

void LessonsPanel::onFinished(const LessonResult &result)
{
    m_result = result;
    render();
    updateButtons();
}

void LessonsPanel::updateButtons()
{
    const bool can = m_runner && m_runner->canStep();
    m_ui->runAllButton->setEnabled(can);
    m_ui->nextButton->setEnabled(can);
    m_ui->resetButton->setEnabled(m_runner && m_runner->isLoaded());
    QString progress;
    if (!m_runner || !m_runner->isLoaded())
        progress = tr("Pick a lesson.");
    else if (m_result)
        progress = m_result->passed ? tr("Done: the prediction held on this kernel.")
                                    : tr("Done: the prediction did NOT hold; see why above.");
    else if (m_runner->isRunning())
        progress = tr("Running: %1 of %2 steps issued.")
                       .arg(m_runner->stepsIssued())
                       .arg(m_runner->lesson().steps.size());
    else
        progress = tr("%n step(s). Run all, or Next step to go one at a time.", nullptr,
                      int(m_runner->lesson().steps.size()));
    m_ui->progressLabel->setText(progress);
}

void LessonsPanel::render()
{
    const int row = m_ui->lessonList->currentRow();
    if (row < 0 || row >= m_lessons.size()) {
        m_ui->explanation->clear();
        return;
    }
    const Lesson &l = m_lessons[row];
    QString h = QStringLiteral("<h2>%1</h2><p><i>%2</i></p>")
                    .arg(l.title.toHtmlEscaped(), l.summary.toHtmlEscaped());
    if (m_result) {
        const QString colour =
            m_result->passed ? QStringLiteral("#16a34a") : QStringLiteral("#dc2626");
        h += QStringLiteral("<table width='100%' cellpadding='6' style='border: 2px solid %1'>"
                            "<tr><td><b style='color:%1'>%2</b><ul>")
                 .arg(colour,
                      m_result->passed ? tr("PASSED: the kernel did what the lesson predicted.")
                      : m_result->failedWhilePaced()
                          ? tr("FAILED: a time was not as predicted, and the steps were run "
                               "one by one. Step %1 came %2 s after the one before it, and the "
                               "kernel's timers ran meanwhile (keepalive counts idle time from "
                               "the last data, not from the call); the times predicted assume "
                               "the steps back to back. Run all to judge them.")
                                .arg(m_result->pauseBeforeStep)
                                .arg(m_result->pauseS, 0, 'f', 1)
                          : tr("FAILED: the kernel did something else."));
        for (const socklab::LessonCheck &c : m_result->checks)
            h += QStringLiteral("<li><b style='color:%1'>%2</b> %3<br/><small>%4</small></li>")
                     .arg(!c.judged ? QStringLiteral("#6b7280")
                          : c.held  ? QStringLiteral("#16a34a")
                                    : QStringLiteral("#dc2626"),
                          !c.judged ? QStringLiteral("–")
                          : c.held  ? QStringLiteral("✔")
                                    : QStringLiteral("✘"),
                          c.says.toHtmlEscaped(), c.observed.toHtmlEscaped());
        h += QStringLiteral("</ul></td></tr></table>");
    } else if (!m_say.isEmpty()) {
        h +=
            QStringLiteral("<p style='font-size:large'><b>▶ %1</b></p>").arg(m_say.toHtmlEscaped());
    }
    for (const QString &para : l.explanation.split(QStringLiteral("\n\n")))
        h += QStringLiteral("<p>%1</p>").arg(para.toHtmlEscaped());
    h += QStringLiteral("<h3>%1</h3><ol>").arg(tr("Steps"));
    for (int i = 0; i < l.steps.size(); ++i) {
        const QString text =
            stepText(l.steps[i]) +
            (l.steps[i].say.isEmpty() ? QString() : QStringLiteral(" — ") + l.steps[i].say);
        h += i == m_currentStep && !m_result
                 ? QStringLiteral("<li><b>▶ %1</b></li>").arg(text.toHtmlEscaped())
                 : QStringLiteral("<li>%1</li>").arg(text.toHtmlEscaped());
    }
    h += QStringLiteral("</ol><h3>%1</h3><ul>").arg(tr("Predicted"));
    for (const socklab::Expectation &x : l.expect)
        h += QStringLiteral("<li>%1</li>").arg(x.says.toHtmlEscaped());
    h += QStringLiteral("</ul>");
    m_ui->explanation->setHtml(h);
}
