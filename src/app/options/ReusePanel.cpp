#include "ReusePanel.h"
#include "FactTips.h"

#include "ui_ReusePanel.h"

ReusePanel::ReusePanel(QWidget *parent) : QWidget(parent), m_ui(std::make_unique<Ui::ReusePanel>())
{
    m_ui->setupUi(this);
    expandFactTips(this);
    connect(m_ui->reuseAddrCheck, &QCheckBox::toggled, this, &ReusePanel::changed);
    connect(m_ui->reusePortCheck, &QCheckBox::toggled, this, &ReusePanel::changed);
}

ReusePanel::~ReusePanel() = default;

QCheckBox *ReusePanel::reuseAddrCheck() const
{
    return m_ui->reuseAddrCheck;
}
QCheckBox *ReusePanel::reusePortCheck() const
{
    return m_ui->reusePortCheck;
}

QLabel *ReusePanel::effectiveLabel(const QString &option) const
{
    if (option == QLatin1String("SO_REUSEADDR"))
        return m_ui->reuseAddrKernel;
    if (option == QLatin1String("SO_REUSEPORT"))
        return m_ui->reusePortKernel;
    return nullptr;
}

QString ReusePanel::effectiveText(const QString &option) const
{
    const QLabel *label = effectiveLabel(option);
    return label ? label->text() : QString();
}

void ReusePanel::writeTo(socklab::SocketOptions *o) const
{
    // Unticked means "don't call setsockopt", not "set 0": the kernel default stays visible.
    o->reuseAddr = m_ui->reuseAddrCheck->isChecked() ? std::optional<bool>(true) : std::nullopt;
    o->reusePort = m_ui->reusePortCheck->isChecked() ? std::optional<bool>(true) : std::nullopt;
}

void ReusePanel::readFrom(const socklab::SocketOptions &o)
{
    const QSignalBlocker ba(m_ui->reuseAddrCheck);
    const QSignalBlocker bp(m_ui->reusePortCheck);
    m_ui->reuseAddrCheck->setChecked(o.reuseAddr.value_or(false));
    m_ui->reusePortCheck->setChecked(o.reusePort.value_or(false));
}

void ReusePanel::showEffective(const socklab::Event &e)
{
    QLabel *label = effectiveLabel(e.option);
    if (!label || !e.effective.isValid())
        return;
    QString text = tr("kernel: %1").arg(e.effective.toBool() ? tr("on") : tr("off"));
    // An accepted socket reports what it inherited from its listener: say which socket spoke.
    if (!e.sock.isEmpty())
        text += tr(" (%1)").arg(e.sock);
    label->setText(text);
}

void ReusePanel::clearEffective()
{
    m_ui->reuseAddrKernel->clear();
    m_ui->reusePortKernel->clear();
}
