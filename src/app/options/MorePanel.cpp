#include "MorePanel.h"
#include "FactTips.h"

#include "ui_MorePanel.h"

namespace ranges = socklab::ranges;

namespace {
std::optional<int> checkedValue(const QCheckBox *check, const QSpinBox *spin)
{
    return check->isChecked() ? std::optional<int>(spin->value()) : std::nullopt;
}

void setChecked(QCheckBox *check, QSpinBox *spin, const std::optional<int> &v)
{
    check->setChecked(v.has_value());
    // An unset option keeps the spin's last value, ready for when it is ticked again.
    if (v)
        spin->setValue(*v);
}
} // namespace

MorePanel::MorePanel(QWidget *parent) : QWidget(parent), m_ui(std::make_unique<Ui::MorePanel>())
{
    m_ui->setupUi(this);
    expandFactTips(this);

    m_ui->lingerSpin->setRange(int(ranges::Linger.min), int(ranges::Linger.max));
    m_ui->lingerSpin->setSuffix(tr(" s"));
    for (QSpinBox *spin : {m_ui->rcvBufSpin, m_ui->sndBufSpin}) {
        spin->setRange(int(ranges::RcvBuf.min), int(ranges::RcvBuf.max));
        spin->setSuffix(tr(" bytes"));
        spin->setSingleStep(1024);
        spin->setValue(65536);
    }
    static_assert(ranges::RcvBuf.min == ranges::SndBuf.min &&
                  ranges::RcvBuf.max == ranges::SndBuf.max);

    for (QCheckBox *check :
         {m_ui->noDelayCheck, m_ui->lingerCheck, m_ui->rcvBufCheck, m_ui->sndBufCheck}) {
        connect(check, &QCheckBox::toggled, this, &MorePanel::updateEnabled);
        connect(check, &QCheckBox::toggled, this, &MorePanel::changed);
    }
    for (QSpinBox *spin : {m_ui->lingerSpin, m_ui->rcvBufSpin, m_ui->sndBufSpin})
        connect(spin, &QSpinBox::valueChanged, this, &MorePanel::changed);
    updateEnabled();
    clearEffective();
}

MorePanel::~MorePanel() = default;

QCheckBox *MorePanel::noDelayCheck() const
{
    return m_ui->noDelayCheck;
}
QCheckBox *MorePanel::lingerCheck() const
{
    return m_ui->lingerCheck;
}
QSpinBox *MorePanel::lingerSpin() const
{
    return m_ui->lingerSpin;
}
QCheckBox *MorePanel::rcvBufCheck() const
{
    return m_ui->rcvBufCheck;
}
QSpinBox *MorePanel::rcvBufSpin() const
{
    return m_ui->rcvBufSpin;
}
QCheckBox *MorePanel::sndBufCheck() const
{
    return m_ui->sndBufCheck;
}
QSpinBox *MorePanel::sndBufSpin() const
{
    return m_ui->sndBufSpin;
}

void MorePanel::updateEnabled()
{
    m_ui->lingerSpin->setEnabled(m_ui->lingerCheck->isChecked());
    m_ui->rcvBufSpin->setEnabled(m_ui->rcvBufCheck->isChecked());
    m_ui->sndBufSpin->setEnabled(m_ui->sndBufCheck->isChecked());
}

void MorePanel::writeTo(socklab::SocketOptions *o) const
{
    // Unticked means "don't call setsockopt": the kernel default stays in force.
    o->noDelay = m_ui->noDelayCheck->isChecked() ? std::optional<bool>(true) : std::nullopt;
    o->lingerSec = checkedValue(m_ui->lingerCheck, m_ui->lingerSpin);
    o->rcvBuf = checkedValue(m_ui->rcvBufCheck, m_ui->rcvBufSpin);
    o->sndBuf = checkedValue(m_ui->sndBufCheck, m_ui->sndBufSpin);
}

void MorePanel::readFrom(const socklab::SocketOptions &o)
{
    {
        const QSignalBlocker b1(m_ui->noDelayCheck);
        const QSignalBlocker b2(m_ui->lingerCheck);
        const QSignalBlocker b3(m_ui->lingerSpin);
        const QSignalBlocker b4(m_ui->rcvBufCheck);
        const QSignalBlocker b5(m_ui->rcvBufSpin);
        const QSignalBlocker b6(m_ui->sndBufCheck);
        const QSignalBlocker b7(m_ui->sndBufSpin);
        m_ui->noDelayCheck->setChecked(o.noDelay.value_or(false));
        setChecked(m_ui->lingerCheck, m_ui->lingerSpin, o.lingerSec);
        setChecked(m_ui->rcvBufCheck, m_ui->rcvBufSpin, o.rcvBuf);
        setChecked(m_ui->sndBufCheck, m_ui->sndBufSpin, o.sndBuf);
    }
    updateEnabled();
}

QLabel *MorePanel::effectiveLabel(const QString &option) const
{
    if (option == QLatin1String("TCP_NODELAY"))
        return m_ui->noDelayKernel;
    if (option == QLatin1String("SO_LINGER"))
        return m_ui->lingerKernel;
    if (option == QLatin1String("SO_RCVBUF"))
        return m_ui->rcvBufKernel;
    if (option == QLatin1String("SO_SNDBUF"))
        return m_ui->sndBufKernel;
    return nullptr;
}

QString MorePanel::effectiveText(const QString &option) const
{
    const QLabel *label = effectiveLabel(option);
    return label ? label->text() : QString();
}

void MorePanel::showEffective(const socklab::Event &e)
{
    QLabel *label = effectiveLabel(e.option);
    if (!label || !e.effective.isValid())
        return;
    QString value;
    if (e.option == QLatin1String("TCP_NODELAY"))
        value = e.effective.toBool() ? tr("on") : tr("off");
    else if (e.effective.typeId() == QMetaType::QString) // SO_LINGER reads back "off"
        value = e.effective.toString();
    else if (e.option == QLatin1String("SO_LINGER"))
        value = tr("%1 s").arg(e.effective.toLongLong());
    else
        value = QString::number(e.effective.toLongLong());
    QString text = tr("kernel: %1").arg(value);
    if (!e.sock.isEmpty())
        text += tr(" (%1)").arg(e.sock);
    label->setText(text);
    label->setVisible(true);
}

void MorePanel::clearEffective()
{
    for (QLabel *l :
         {m_ui->noDelayKernel, m_ui->lingerKernel, m_ui->rcvBufKernel, m_ui->sndBufKernel}) {
        l->clear();
        // Empty labels take no room: the tab has to fit a narrow side bar.
        l->setVisible(false);
    }
}
