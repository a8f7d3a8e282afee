#include "KeptRuns.h"

#include "Options.h"
#include "TimelineModel.h"
#include "TimelineWidget.h"

#include <QHBoxLayout>
#include <QLabel>
#include <QScreen>
#include <QScrollArea>
#include <QToolButton>
#include <QVBoxLayout>

#include <algorithm>

using socklab::Event;
using socklab::EventKind;

KeptRuns::KeptRuns(QWidget *parent)
    : QWidget(parent), m_scroll(new QScrollArea(this)), m_inner(new QWidget),
      m_layout(new QVBoxLayout(m_inner))
{
    m_layout->setContentsMargins(0, 0, 0, 0);
    m_layout->setSpacing(2); // four runs and the live one on a projector's 720 px
    // The runs scroll only where the screen has no room for all of them at one lane each
    // (presenter mode's larger text); see minimumSizeHint().
    m_scroll->setWidget(m_inner);
    m_scroll->setWidgetResizable(true);
    m_scroll->setFrameShape(QFrame::NoFrame);
    m_scroll->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    auto *outer = new QVBoxLayout(this);
    outer->setContentsMargins(0, 0, 0, 0);
    outer->addWidget(m_scroll);
    setSizePolicy(QSizePolicy::Preferred, QSizePolicy::Expanding);
    hide(); // shown while it holds a run
}

QSize KeptRuns::sizeHint() const
{
    // No more than its minimum's share of the screen either: the log below keeps its rows.
    const QSize all = m_inner->sizeHint();
    return QSize(all.width(), std::max(minimumSizeHint().height(),
                                       std::min(all.height(), maxHeight(all.height()))));
}

int KeptRuns::maxHeight(int fallback) const
{
    const QScreen *s = screen();
    return s ? s->availableGeometry().height() * m_maxShare / 100 : fallback;
}

QSize KeptRuns::minimumSizeHint() const
{
    // Every run at one lane at least, unless that would take more than a share of the
    // screen's height: then what does not fit scrolls, and the window stays on the screen.
    const QSize all = m_inner->minimumSizeHint();
    return QSize(all.width(), std::min(all.height(), maxHeight(all.height())));
}

void KeptRuns::setMaxScreenShare(int percent)
{
    m_maxShare = std::clamp(percent, 10, 100);
    updateGeometry();
}

void KeptRuns::setAxis(TimelineWidget *live)
{
    m_axis = live;
}

QString KeptRuns::describe(const socklab::handout::Input &run)
{
    if (run.verdict) {
        return tr("%1 (%2)").arg(run.title, run.verdict->passed ? tr("PASSED") : tr("FAILED"));
    }
    QStringList set;
    // Each call's time limit first, with what keeps it ("connect timeout 3 s (poll)", "recv
    // timeout 1 s (SO_RCVTIMEO)", "recv no timeout"): what two runs of the same steps differ
    // by most often, the mechanism included (one run of each is lesson 6's comparison).
    for (const Event &e : run.events) {
        const bool call = e.kind == EventKind::Connecting || e.kind == EventKind::Accepting ||
                          e.kind == EventKind::Sending || e.kind == EventKind::Receiving;
        if (!call || e.sock.startsWith(QLatin1String("peer")) || (!e.timeout && !e.timeoutNone))
            continue;
        const QString by = e.mechanism == socklab::mechanismName(socklab::TimeoutMechanism::SockOpt)
                               ? socklab::kernelTimeoutOption(e.op)
                               : e.mechanism;
        const QString item =
            e.timeoutNone ? tr("%1 no timeout").arg(e.op)
            : by.isEmpty()
                ? tr("%1 timeout %2 s").arg(e.op, QString::number(*e.timeout, 'g', 4))
                : tr("%1 timeout %2 s (%3)").arg(e.op, QString::number(*e.timeout, 'g', 4), by);
        if (!set.contains(item))
            set << item;
    }
    // Then what the kernel read back of the options set on its own sockets (the built-in
    // peer's and the per-call timeouts aside).
    for (const Event &e : run.events) {
        if (e.kind != EventKind::OptionSet || e.sock.startsWith(QLatin1String("peer")) ||
            e.option == QLatin1String("SO_RCVTIMEO") || e.option == QLatin1String("SO_SNDTIMEO"))
            continue;
        const QString value = e.effective.typeId() == QMetaType::Bool
                                  ? (e.effective.toBool() ? tr("on") : tr("off"))
                                  : e.effective.toString();
        const QString item = QStringLiteral("%1 %2").arg(e.option, value);
        if (!set.contains(item))
            set << item;
    }
    return set.isEmpty() ? tr("no options set") : set.join(QStringLiteral(", "));
}

QString KeptRuns::keep(const TimelineModel &model, const socklab::handout::Input &run)
{
    QString letGo;
    if (count() >= kMaxKept) {
        letGo = describe(m_runs.back().run);
        removeAt(count() - 1);
    }
    Kept k;
    k.run = run;
    k.box = new QWidget(m_inner);
    auto *boxLayout = new QVBoxLayout(k.box);
    boxLayout->setContentsMargins(0, 0, 0, 0);
    boxLayout->setSpacing(0);
    auto *bar = new QHBoxLayout;
    bar->setContentsMargins(0, 0, 0, 0);
    const QString what = describe(run);
    // One line (a projector has no height to spare); the tooltip says it whole.
    k.label = new QLabel(tr("Kept: %1").arg(what), k.box);
    k.label->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Preferred);
    k.label->setToolTip(tr("Kept for comparison: %1 (%2). It is drawn on the live run's time "
                           "axis, at the top: the same zoom, the same scrolling, each run from "
                           "its own zero.")
                            .arg(run.title, what));
    auto *forgetButton = new QToolButton(k.box);
    forgetButton->setObjectName(QStringLiteral("forgetKeptButton"));
    forgetButton->setText(tr("Forget"));
    forgetButton->setAutoRaise(true); // no taller than the line it ends
    forgetButton->setToolTip(
        tr("Take this kept run off the screen (and out of the next handout): %1.").arg(what));
    bar->addWidget(k.label, 1);
    bar->addWidget(forgetButton);
    boxLayout->addLayout(bar);
    k.timeline = new TimelineWidget(k.box);
    k.timeline->showKept(model, m_axis);
    k.timeline->setShowWire(m_showWire);
    boxLayout->addWidget(k.timeline, 1);
    connect(k.timeline, &TimelineWidget::drawnChanged, this, &KeptRuns::drawnChanged);
    if (m_axis) // it follows the live timeline's zoom and scrolling
        connect(m_axis, &TimelineWidget::viewPainted, k.timeline, qOverload<>(&QWidget::update));
    QWidget *box = k.box;
    connect(forgetButton, &QToolButton::clicked, this, [this, box] {
        for (int i = 0; i < count(); ++i) {
            if (m_runs[size_t(i)].box == box) {
                forget(i);
                return;
            }
        }
    });
    m_runs.insert(m_runs.begin(), std::move(k));
    m_layout->insertWidget(0, box, 1);
    renumber();
    show();
    updateGeometry();
    m_scroll->ensureVisible(0, 0); // the newest, nearest the live run
    emit changed();
    return letGo;
}

void KeptRuns::forget(int index)
{
    if (index < 0 || index >= count())
        return;
    removeAt(index);
    renumber();
    setVisible(count() > 0);
    updateGeometry();
    emit changed();
}

void KeptRuns::forgetAll()
{
    if (m_runs.empty())
        return;
    while (!m_runs.empty())
        removeAt(0);
    hide();
    emit changed();
}

void KeptRuns::removeAt(int index)
{
    Kept k = std::move(m_runs[size_t(index)]);
    m_runs.erase(m_runs.begin() + index);
    m_layout->removeWidget(k.box);
    k.box->hide();
    // Gone by name at once (tests and tools look the kept runs up by name).
    k.box->setObjectName(QString());
    for (QObject *o : k.box->findChildren<QObject *>())
        o->setObjectName(QString());
    k.box->deleteLater(); // its button may be the one whose click is being handled
}

void KeptRuns::renumber()
{
    // keptTimeline1 is the newest, nearest the live timeline (tests and tools find them so).
    for (int i = 0; i < count(); ++i) {
        const Kept &k = m_runs[size_t(i)];
        k.box->setObjectName(QStringLiteral("kept%1").arg(i + 1));
        k.label->setObjectName(QStringLiteral("keptLabel%1").arg(i + 1));
        k.timeline->setObjectName(QStringLiteral("keptTimeline%1").arg(i + 1));
    }
}

QList<TimelineWidget *> KeptRuns::timelines() const
{
    QList<TimelineWidget *> out;
    for (const Kept &k : m_runs)
        out << k.timeline;
    return out;
}

qint64 KeptRuns::lastEventNs() const
{
    qint64 last = 0;
    for (const Kept &k : m_runs)
        last = std::max(last, k.timeline->lastEventNs());
    return last;
}

quint32 KeptRuns::drawn() const
{
    quint32 bits = 0;
    for (const Kept &k : m_runs)
        bits |= k.timeline->drawn();
    return bits;
}

void KeptRuns::setShowWire(bool show)
{
    m_showWire = show;
    for (const Kept &k : m_runs)
        k.timeline->setShowWire(show);
}
