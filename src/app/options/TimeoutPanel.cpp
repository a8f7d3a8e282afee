#include "TimeoutPanel.h"
#include "FactTips.h"

#include "TimeoutEditor.h"
#include "ui_TimeoutPanel.h"

#include "KernelFacts.h"
#include "Platform.h"

#include <QEvent>
#include <QLocale>

#include <algorithm>

using socklab::Timeout;
using socklab::TimeoutMechanism;

TimeoutPanel::TimeoutPanel(QWidget *parent)
    : QWidget(parent), m_ui(std::make_unique<Ui::TimeoutPanel>())
{
    m_ui->setupUi(this);
    expandFactTips(this);
    // The fields explain themselves as their labels do (the panel's own tooltip is about the
    // per-call timeouts).
    m_ui->deadlineSpin->setToolTip(m_ui->deadlineLabel->toolTip());
    m_ui->synCntSpin->setToolTip(m_ui->synCntLabel->toolTip());

    // The item data, not the position, says which mechanism an item stands for.
    m_ui->mechanismCombo->addItem(tr("poll deadline (like Python's settimeout)"),
                                  int(TimeoutMechanism::Poll));
    m_ui->mechanismCombo->addItem(tr("SO_RCVTIMEO / SO_SNDTIMEO (kernel)"),
                                  int(TimeoutMechanism::SockOpt));

    // 0 is "off": a deadline is at least a millisecond.
    m_ui->deadlineSpin->setRange(0, double(socklab::ranges::TimeoutMaxMs) / 1000.0);
    m_ui->deadlineSpin->setSingleStep(0.5);
    // The lowest value stands for "not set": the system's budget, read from this machine.
    m_ui->synCntSpin->setRange(int(socklab::ranges::SynCnt.min - 1),
                               int(socklab::ranges::SynCnt.max));
    const QString synRetries =
        socklab::platform::readSysctl(QStringLiteral("net.ipv4.tcp_syn_retries")).text;
    m_ui->synCntSpin->setSpecialValueText(
        synRetries.isEmpty() ? tr("system")
                             : tr("system: %1 (net.ipv4.tcp_syn_retries)").arg(synRetries));

    m_ui->perCallBox->setVisible(false);
    m_ui->kernelLabel->setVisible(false);

    for (TimeoutEditor *e : {m_ui->allEditor, m_ui->connectEditor, m_ui->recvEditor,
                             m_ui->sendEditor, m_ui->acceptEditor})
        connect(e, &TimeoutEditor::changed, this, &TimeoutPanel::changed);
    connect(m_ui->perCallCheck, &QCheckBox::toggled, this, &TimeoutPanel::onPerCallToggled);
    connect(m_ui->mechanismCombo, &QComboBox::currentIndexChanged, this, &TimeoutPanel::changed);
    connect(m_ui->deadlineSpin, &QDoubleSpinBox::valueChanged, this, &TimeoutPanel::changed);
    connect(m_ui->synCntSpin, &QSpinBox::valueChanged, this, &TimeoutPanel::changed);
    m_mechanismBaseTip = m_ui->mechanismCombo->toolTip();
    // Brought up to date when it is shown (eventFilter), whatever set the timeouts last.
    m_ui->mechanismCombo->installEventFilter(this);
    updateMechanismTip();
}

QString TimeoutPanel::mechanismTip() const
{
    QList<qint64> lengths; // the deadlines chosen now, each once, shortest first
    const QList<TimeoutEditor *> editors =
        perCall() ? QList<TimeoutEditor *>{m_ui->connectEditor, m_ui->recvEditor, m_ui->sendEditor,
                                           m_ui->acceptEditor}
                  : QList<TimeoutEditor *>{m_ui->allEditor};
    for (const TimeoutEditor *e : editors) {
        const Timeout t = e->timeout();
        if (t.mode == Timeout::Mode::Deadline && !lengths.contains(t.ms))
            lengths << t.ms;
    }
    std::sort(lengths.begin(), lengths.end());
    QString tip = m_mechanismBaseTip;
    for (const qint64 ms : std::as_const(lengths)) {
        const QString at = QLocale().toString(double(ms) / 1000.0, 'g', 10);
        tip += tr("<p><b>At %1 s</b>: %2 %3</p>")
                   .arg(at, socklab::facts::pollDeadlinePrecision(ms).toHtmlEscaped(),
                        socklab::facts::kernelTimeoutPrecision(ms).toHtmlEscaped());
    }
    return tip;
}

void TimeoutPanel::updateMechanismTip()
{
    m_ui->mechanismCombo->setToolTip(mechanismTip());
}

bool TimeoutPanel::eventFilter(QObject *watched, QEvent *event)
{
    if (watched == m_ui->mechanismCombo && event->type() == QEvent::ToolTip)
        updateMechanismTip();
    return QWidget::eventFilter(watched, event);
}

TimeoutPanel::~TimeoutPanel() = default;

TimeoutEditor *TimeoutPanel::allEditor() const
{
    return m_ui->allEditor;
}
TimeoutEditor *TimeoutPanel::connectEditor() const
{
    return m_ui->connectEditor;
}
TimeoutEditor *TimeoutPanel::recvEditor() const
{
    return m_ui->recvEditor;
}
TimeoutEditor *TimeoutPanel::sendEditor() const
{
    return m_ui->sendEditor;
}
TimeoutEditor *TimeoutPanel::acceptEditor() const
{
    return m_ui->acceptEditor;
}
bool TimeoutPanel::perCall() const
{
    return m_ui->perCallCheck->isChecked();
}
QString TimeoutPanel::kernelText() const
{
    return m_ui->kernelLabel->text();
}

void TimeoutPanel::setPerCall(bool on)
{
    m_ui->perCallCheck->setChecked(on);
}

void TimeoutPanel::onPerCallToggled(bool on)
{
    // Switching to per-call starts every call from the shared value, so nothing jumps.
    if (on) {
        const Timeout all = m_ui->allEditor->timeout();
        for (TimeoutEditor *e :
             {m_ui->connectEditor, m_ui->recvEditor, m_ui->sendEditor, m_ui->acceptEditor})
            e->setTimeout(all);
    }
    m_ui->perCallBox->setVisible(on);
    m_ui->allEditor->setEnabled(!on);
    emit changed();
}

void TimeoutPanel::writeTo(socklab::SocketOptions *o) const
{
    if (perCall()) {
        o->connectTimeout = m_ui->connectEditor->timeout();
        o->recvTimeout = m_ui->recvEditor->timeout();
        o->sendTimeout = m_ui->sendEditor->timeout();
        o->acceptTimeout = m_ui->acceptEditor->timeout();
    } else {
        o->setAllTimeouts(m_ui->allEditor->timeout());
    }
    o->mechanism = TimeoutMechanism(m_ui->mechanismCombo->currentData().toInt());
    const qint64 deadlineMs = qRound64(m_ui->deadlineSpin->value() * 1000.0);
    o->deadlineMs = deadlineMs > 0 ? std::optional<qint64>(deadlineMs) : std::nullopt;
    const int syn = m_ui->synCntSpin->value();
    o->synCnt = syn == m_ui->synCntSpin->minimum() ? std::nullopt : std::optional<int>(syn);
}

void TimeoutPanel::readFrom(const socklab::SocketOptions &o)
{
    const bool same = o.connectTimeout == o.recvTimeout && o.connectTimeout == o.sendTimeout &&
                      o.connectTimeout == o.acceptTimeout;
    {
        const QSignalBlocker block(m_ui->perCallCheck);
        m_ui->perCallCheck->setChecked(!same);
    }
    m_ui->perCallBox->setVisible(!same);
    m_ui->allEditor->setEnabled(same);
    m_ui->allEditor->setTimeout(o.connectTimeout);
    m_ui->connectEditor->setTimeout(o.connectTimeout);
    m_ui->recvEditor->setTimeout(o.recvTimeout);
    m_ui->sendEditor->setTimeout(o.sendTimeout);
    m_ui->acceptEditor->setTimeout(o.acceptTimeout);

    const QSignalBlocker block(m_ui->mechanismCombo);
    m_ui->mechanismCombo->setCurrentIndex(m_ui->mechanismCombo->findData(int(o.mechanism)));
    const QSignalBlocker blockDeadline(m_ui->deadlineSpin);
    m_ui->deadlineSpin->setValue(double(o.deadlineMs.value_or(0)) / 1000.0);
    const QSignalBlocker blockSyn(m_ui->synCntSpin);
    m_ui->synCntSpin->setValue(o.synCnt.value_or(m_ui->synCntSpin->minimum()));
}

void TimeoutPanel::showEffective(const socklab::Event &e)
{
    const bool rcv = e.option == QLatin1String("SO_RCVTIMEO");
    if (!rcv && e.option != QLatin1String("SO_SNDTIMEO"))
        return;
    // The engine reports seconds as a number, or "none" when the kernel holds no timeout.
    QString text;
    if (e.effective.typeId() == QMetaType::QString)
        text = e.effective.toString();
    else
        text = tr("%1 s").arg(QLocale().toString(e.effective.toDouble(), 'g', 10));
    (rcv ? m_rcvTimeo : m_sndTimeo) = text;
    (rcv ? m_rcvSock : m_sndSock) = e.sock;
    updateKernelLabel();
}

void TimeoutPanel::clearEffective()
{
    m_rcvTimeo.clear();
    m_sndTimeo.clear();
    m_rcvSock.clear();
    m_sndSock.clear();
    updateKernelLabel();
}

void TimeoutPanel::updateKernelLabel()
{
    QStringList parts;
    const auto line = [this](const QString &value, const QString &sock, const char *option) {
        const QString name = QLatin1String(option);
        return sock.isEmpty() ? tr("kernel: %1 (%2)").arg(value, name)
                              : tr("kernel: %1 (%2 on %3)").arg(value, name, sock);
    };
    if (!m_rcvTimeo.isEmpty())
        parts << line(m_rcvTimeo, m_rcvSock, "SO_RCVTIMEO");
    if (!m_sndTimeo.isEmpty())
        parts << line(m_sndTimeo, m_sndSock, "SO_SNDTIMEO");
    m_ui->kernelLabel->setText(parts.join(QLatin1Char('\n')));
    m_ui->kernelLabel->setVisible(!parts.isEmpty());
}

QWidget *TimeoutPanel::synCntControl() const
{
    return m_ui->synCntLabel;
}
