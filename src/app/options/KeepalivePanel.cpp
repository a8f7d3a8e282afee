#include "KeepalivePanel.h"
#include "FactTips.h"
#include "KernelFacts.h"

#include "ui_KeepalivePanel.h"

#include <QLocale>

#include <algorithm>
#include <cmath>

using socklab::IntRange;
namespace ranges = socklab::ranges;

namespace {
// What tcp(7) documents when /proc cannot be read: 2 hours, 75 s, 9 probes.
constexpr int kDocIdle = 7200;
constexpr int kDocIntvl = 75;
constexpr int kDocCnt = 9;

// "2 h 11 min" for durations a class should feel; nothing for short ones.
QString humanDuration(qint64 s)
{
    if (s < 120)
        return {};
    if (s < 3600)
        return KeepalivePanel::tr("%1 min %2 s").arg(s / 60).arg(s % 60);
    return KeepalivePanel::tr("%1 h %2 min").arg(s / 3600).arg((s % 3600) / 60);
}

// A spin box whose lowest value (one below the kernel's minimum) stands for "not set".
void setupRange(QSpinBox *spin, const IntRange &r, bool unsetBelowMin)
{
    spin->setRange(int(unsetBelowMin ? r.min - 1 : r.min), int(r.max));
}

std::optional<int> valueOrUnset(const QSpinBox *spin)
{
    return spin->value() == spin->minimum() ? std::nullopt : std::optional<int>(spin->value());
}
} // namespace

KeepalivePanel::KeepalivePanel(QWidget *parent)
    : QWidget(parent), m_ui(std::make_unique<Ui::KeepalivePanel>())
{
    m_ui->setupUi(this);
    expandFactTips(this);

    setupRange(m_ui->keepIdleSpin, ranges::KeepIdle, true);
    setupRange(m_ui->keepIntvlSpin, ranges::KeepIntvl, true);
    setupRange(m_ui->keepCntSpin, ranges::KeepCnt, true);
    // TCP_USER_TIMEOUT's own 0 already means "off", so the kernel's range is used as is.
    setupRange(m_ui->userTimeoutSpin, ranges::UserTimeout, false);
    m_ui->keepIdleSpin->setSuffix(tr(" s"));
    m_ui->keepIntvlSpin->setSuffix(tr(" s"));
    m_ui->keepCntSpin->setSuffix(tr(" probes"));
    m_ui->userTimeoutSpin->setSuffix(tr(" ms"));
    m_ui->userTimeoutSpin->setSingleStep(1000);
    m_ui->userTimeoutSpin->setSpecialValueText(tr("off"));
    m_ui->userTimeoutSystem->setText(tr("system: off"));

    // The verdict is the point of this tab: make it readable from the back of the room.
    QFont f = m_ui->deadPeerLabel->font();
    f.setBold(true);
    f.setPointSizeF(f.pointSizeF() * 1.15);
    m_ui->deadPeerLabel->setFont(f);

    connect(m_ui->keepAliveCheck, &QCheckBox::toggled, this, &KeepalivePanel::updateDeadPeer);
    connect(m_ui->keepAliveCheck, &QCheckBox::toggled, this, &KeepalivePanel::changed);
    for (QSpinBox *spin :
         {m_ui->keepIdleSpin, m_ui->keepIntvlSpin, m_ui->keepCntSpin, m_ui->userTimeoutSpin}) {
        connect(spin, &QSpinBox::valueChanged, this, &KeepalivePanel::updateDeadPeer);
        connect(spin, &QSpinBox::valueChanged, this, &KeepalivePanel::changed);
    }

    setSystemDefaults(socklab::platform::readKeepaliveDefaults());
    clearEffective();
}

KeepalivePanel::~KeepalivePanel() = default;

QCheckBox *KeepalivePanel::keepAliveCheck() const
{
    return m_ui->keepAliveCheck;
}
QSpinBox *KeepalivePanel::keepIdleSpin() const
{
    return m_ui->keepIdleSpin;
}
QSpinBox *KeepalivePanel::keepIntvlSpin() const
{
    return m_ui->keepIntvlSpin;
}
QSpinBox *KeepalivePanel::keepCntSpin() const
{
    return m_ui->keepCntSpin;
}
QSpinBox *KeepalivePanel::userTimeoutSpin() const
{
    return m_ui->userTimeoutSpin;
}
QString KeepalivePanel::deadPeerText() const
{
    return m_ui->deadPeerLabel->text();
}

void KeepalivePanel::setSystemDefaults(const socklab::platform::KeepaliveDefaults &d)
{
    m_defaults = d;
    const auto known = [this](int v, const QString &unit) {
        return v < 0 ? tr("unknown") : QStringLiteral("%1%2").arg(v).arg(unit);
    };
    m_ui->keepIdleSystem->setText(tr("system: %1").arg(known(d.time, tr(" s"))));
    m_ui->keepIntvlSystem->setText(tr("system: %1").arg(known(d.intvl, tr(" s"))));
    m_ui->keepCntSystem->setText(tr("system: %1").arg(known(d.probes, QString())));
    m_ui->keepIdleSpin->setSpecialValueText(tr("default (%1)").arg(known(d.time, tr(" s"))));
    m_ui->keepIntvlSpin->setSpecialValueText(tr("default (%1)").arg(known(d.intvl, tr(" s"))));
    m_ui->keepCntSpin->setSpecialValueText(tr("default (%1)").arg(known(d.probes, QString())));
    updateDeadPeer();
}

KeepalivePanel::InForce KeepalivePanel::defaultsInForce() const
{
    return {m_defaults.time > 0 ? m_defaults.time : kDocIdle,
            m_defaults.intvl > 0 ? m_defaults.intvl : kDocIntvl,
            m_defaults.probes > 0 ? m_defaults.probes : kDocCnt};
}

KeepalivePanel::InForce KeepalivePanel::inForce() const
{
    const InForce d = defaultsInForce();
    return {valueOrUnset(m_ui->keepIdleSpin).value_or(d.idle),
            valueOrUnset(m_ui->keepIntvlSpin).value_or(d.intvl),
            valueOrUnset(m_ui->keepCntSpin).value_or(d.cnt)};
}

qint64 KeepalivePanel::deadPeerSeconds(int idle, int intvl, int cnt, qint64 userTimeoutMs)
{
    if (userTimeoutMs <= 0)
        return qint64(idle) + qint64(intvl) * cnt;
    // With TCP_USER_TIMEOUT the kernel stops counting probes: at the first keepalive firing
    // after the peer has been silent for the user timeout it gives up, without a probe.
    const double probes = std::ceil((double(userTimeoutMs) / 1000.0 - idle) / intvl);
    return qint64(idle) + qint64(intvl) * std::max<qint64>(1, qint64(probes));
}

void KeepalivePanel::updateDeadPeer()
{
    QString text;
    if (!m_ui->keepAliveCheck->isChecked()) {
        const InForce d = defaultsInForce();
        const qint64 n = deadPeerSeconds(d.idle, d.intvl, d.cnt, 0);
        const QString h = humanDuration(n);
        text = tr("Keepalive is off: a silent dead peer is never detected on an idle "
                  "connection.\nSwitched on with the system defaults a half-open connection "
                  "would still go unnoticed for %1 s%2.")
                   .arg(n)
                   .arg(h.isEmpty() ? QString() : tr(" (%1)").arg(h));
    } else {
        const InForce f = inForce();
        const int user = m_ui->userTimeoutSpin->value();
        const qint64 n = deadPeerSeconds(f.idle, f.intvl, f.cnt, user);
        text = tr("On an idle connection a dead peer is detected after about %1 s").arg(n);
        if (const QString h = humanDuration(n); !h.isEmpty())
            text += tr(" (%1)").arg(h);
        // While sent data waits for its ACK the keepalive timer does nothing.
        const qint64 budget = socklab::facts::value(QStringLiteral("retries2_budget"));
        const qint64 retries = socklab::facts::value(QStringLiteral("net.ipv4.tcp_retries2"));
        text += budget > 0 ? tr("; with sent data unacknowledged, retransmission decides instead "
                                "(TCP_USER_TIMEOUT, or about %1 s of resends: "
                                "net.ipv4.tcp_retries2 = %2 on this machine).")
                                 .arg(budget)
                                 .arg(retries)
                           : tr("; with sent data unacknowledged, retransmission decides instead "
                                "(TCP_USER_TIMEOUT, or the kernel's resend budget).");
        if (user > 0)
            text += tr("\nidle %1 s, then probes every %2 s until TCP_USER_TIMEOUT (%3 s) has "
                       "passed; TCP_KEEPCNT is ignored.")
                        .arg(f.idle)
                        .arg(f.intvl)
                        .arg(QLocale().toString(user / 1000.0, 'g', 10));
        else
            text +=
                tr("\nidle %1 s + %2 unanswered probes × %3 s").arg(f.idle).arg(f.cnt).arg(f.intvl);
        if (n >= 3600)
            text += tr("\nOver an hour: lower TCP_KEEPIDLE to free half-open connections sooner.");
    }
    m_ui->deadPeerLabel->setText(text);
}

void KeepalivePanel::writeTo(socklab::SocketOptions *o) const
{
    // Unticked / "default" means the experiment never calls setsockopt for it.
    o->keepAlive = m_ui->keepAliveCheck->isChecked() ? std::optional<bool>(true) : std::nullopt;
    o->keepIdle = valueOrUnset(m_ui->keepIdleSpin);
    o->keepIntvl = valueOrUnset(m_ui->keepIntvlSpin);
    o->keepCnt = valueOrUnset(m_ui->keepCntSpin);
    o->userTimeoutMs = valueOrUnset(m_ui->userTimeoutSpin);
}

void KeepalivePanel::readFrom(const socklab::SocketOptions &o)
{
    {
        const QSignalBlocker bc(m_ui->keepAliveCheck);
        const QSignalBlocker bi(m_ui->keepIdleSpin);
        const QSignalBlocker bv(m_ui->keepIntvlSpin);
        const QSignalBlocker bn(m_ui->keepCntSpin);
        const QSignalBlocker bu(m_ui->userTimeoutSpin);
        m_ui->keepAliveCheck->setChecked(o.keepAlive.value_or(false));
        m_ui->keepIdleSpin->setValue(o.keepIdle.value_or(m_ui->keepIdleSpin->minimum()));
        m_ui->keepIntvlSpin->setValue(o.keepIntvl.value_or(m_ui->keepIntvlSpin->minimum()));
        m_ui->keepCntSpin->setValue(o.keepCnt.value_or(m_ui->keepCntSpin->minimum()));
        m_ui->userTimeoutSpin->setValue(o.userTimeoutMs.value_or(0));
    }
    updateDeadPeer();
}

QLabel *KeepalivePanel::effectiveLabel(const QString &option) const
{
    if (option == QLatin1String("SO_KEEPALIVE"))
        return m_ui->keepAliveKernel;
    if (option == QLatin1String("TCP_KEEPIDLE"))
        return m_ui->keepIdleKernel;
    if (option == QLatin1String("TCP_KEEPINTVL"))
        return m_ui->keepIntvlKernel;
    if (option == QLatin1String("TCP_KEEPCNT"))
        return m_ui->keepCntKernel;
    if (option == QLatin1String("TCP_USER_TIMEOUT"))
        return m_ui->userTimeoutKernel;
    return nullptr;
}

QString KeepalivePanel::effectiveText(const QString &option) const
{
    const QLabel *label = effectiveLabel(option);
    return label ? label->text() : QString();
}

void KeepalivePanel::showEffective(const socklab::Event &e)
{
    QLabel *label = effectiveLabel(e.option);
    if (!label || !e.effective.isValid())
        return;
    QString value;
    if (e.option == QLatin1String("SO_KEEPALIVE"))
        value = e.effective.toBool() ? tr("on") : tr("off");
    else if (e.option == QLatin1String("TCP_USER_TIMEOUT"))
        value =
            e.effective.toLongLong() == 0 ? tr("off") : tr("%1 ms").arg(e.effective.toLongLong());
    else if (e.option == QLatin1String("TCP_KEEPCNT"))
        value = QString::number(e.effective.toLongLong());
    else
        value = tr("%1 s").arg(e.effective.toLongLong());
    // A default the experiment left alone reads differently from a value it set.
    QString text = (e.kind == socklab::EventKind::SystemDefault ? tr("default in force: %1")
                                                                : tr("kernel: %1"))
                       .arg(value);
    if (!e.sock.isEmpty())
        text += tr(" (%1)").arg(e.sock);
    label->setText(text);
    label->setVisible(true);
}

void KeepalivePanel::clearEffective()
{
    for (QLabel *l : {m_ui->keepAliveKernel, m_ui->keepIdleKernel, m_ui->keepIntvlKernel,
                      m_ui->keepCntKernel, m_ui->userTimeoutKernel}) {
        l->clear();
        // Empty labels take no room: the tab has to fit a narrow side bar.
        l->setVisible(false);
    }
}
