#include "ExperimentPanel.h"
#include "options/FactTips.h"

#include "ui_ExperimentPanel.h"

#include <QComboBox>
#include <QSignalBlocker>

#include <iterator>

using socklab::Profile;

namespace {
// Combo index order in the .ui file.
constexpr Profile::Role kRoles[] = {Profile::Role::ClientWithPeer, Profile::Role::Client,
                                    Profile::Role::Server};
constexpr socklab::PeerBehavior kBehaviors[] = {
    socklab::PeerBehavior::Echo,        socklab::PeerBehavior::Silent,
    socklab::PeerBehavior::Drip,        socklab::PeerBehavior::Blackhole,
    socklab::PeerBehavior::NeverAccept, socklab::PeerBehavior::Reset,
    socklab::PeerBehavior::Close,       socklab::PeerBehavior::Flood,
    socklab::PeerBehavior::Reboot};
constexpr int kBehaviorCount = int(std::size(kBehaviors));

QString unescape(const QString &s)
{
    QString out = s;
    out.replace(QStringLiteral("\\r"), QStringLiteral("\r"));
    out.replace(QStringLiteral("\\n"), QStringLiteral("\n"));
    return out;
}

QString escape(const QString &s)
{
    QString out = s;
    out.replace(QStringLiteral("\r"), QStringLiteral("\\r"));
    out.replace(QStringLiteral("\n"), QStringLiteral("\\n"));
    return out;
}
} // namespace

ExperimentPanel::ExperimentPanel(QWidget *parent) : QWidget(parent), m_ui(new Ui::ExperimentPanel)
{
    m_ui->setupUi(this);
    expandFactTips(this);
    for (auto b : kBehaviors) {
        m_ui->peerCombo->addItem(socklab::behaviorName(b));
        m_ui->peerCombo->setItemData(m_ui->peerCombo->count() - 1, socklab::behaviorDescription(b),
                                     Qt::ToolTipRole);
    }
    m_ui->peerCombo->setCurrentIndex(1); // silent: the course text's first lesson
    QPalette pal = m_ui->targetError->palette();
    pal.setColor(QPalette::WindowText, QColor(0xd0, 0x30, 0x30));
    m_ui->targetError->setPalette(pal);

    const auto edited = [this] {
        revalidate();
        emit changed();
    };
    connect(m_ui->roleCombo, &QComboBox::currentIndexChanged, this, edited);
    connect(m_ui->hostEdit, &QLineEdit::textChanged, this, edited);
    connect(m_ui->portEdit, &QLineEdit::textChanged, this, edited);
    connect(m_ui->peerCombo, &QComboBox::currentIndexChanged, this, &ExperimentPanel::changed);
    connect(m_ui->intervalSpin, &QSpinBox::valueChanged, this, &ExperimentPanel::changed);
    connect(m_ui->sendEdit, &QLineEdit::textChanged, this, &ExperimentPanel::changed);
    connect(m_ui->recvSpin, &QSpinBox::valueChanged, this, &ExperimentPanel::changed);
    revalidate();
}

ExperimentPanel::~ExperimentPanel()
{
    delete m_ui;
}

Profile::Role ExperimentPanel::role() const
{
    return kRoles[std::clamp(m_ui->roleCombo->currentIndex(), 0, 2)];
}

void ExperimentPanel::setPeerAddress(const QString &address)
{
    m_peerAddress = address;
    if (m_hostTip.isEmpty())
        m_hostTip = m_ui->hostEdit->toolTip(); // the .ui file's
    m_ui->hostEdit->setToolTip(
        m_hostTip + u' ' +
        (m_peerAddress == QLatin1String("127.0.0.1")
             ? tr("With the built-in peer: 127.0.0.1, this machine's loopback, where the peer "
                  "listens.")
             : tr("With the built-in peer: %1, host \"server\" of the private lab, where the "
                  "peer listens; the private lab reaches no other host.")
                   .arg(m_peerAddress)));
    revalidate();
}

QString ExperimentPanel::validationError() const
{
    if (role() == Profile::Role::ClientWithPeer)
        return {}; // the peer's own address and port
    if (const QString bad = socklab::hostRefusal(m_ui->hostEdit->text()); !bad.isEmpty())
        return bad;
    const socklab::IntRange range =
        role() == Profile::Role::Server ? socklab::ranges::ListenPort : socklab::ranges::Port;
    QString err;
    if (!socklab::parseInteger(m_ui->portEdit->text(), tr("Port"), range, &err))
        return err;
    return {};
}

void ExperimentPanel::revalidate()
{
    const bool peer = role() == Profile::Role::ClientWithPeer;
    // With the built-in peer, the Host field shows where the peer is: what the connect uses.
    if (peer != m_showingPeer) {
        const QSignalBlocker block(m_ui->hostEdit);
        if (peer)
            m_userHost = m_ui->hostEdit->text();
        m_ui->hostEdit->setText(peer ? m_peerAddress : m_userHost);
        m_showingPeer = peer;
    } else if (peer && m_ui->hostEdit->text() != m_peerAddress) {
        const QSignalBlocker block(m_ui->hostEdit);
        m_ui->hostEdit->setText(m_peerAddress);
    }
    m_ui->hostEdit->setEnabled(!peer);
    m_ui->portEdit->setEnabled(!peer);
    m_ui->peerCombo->setEnabled(peer);
    m_ui->intervalSpin->setEnabled(peer);
    const QString err = validationError();
    m_ui->targetError->setText(err);
    m_ui->targetError->setVisible(!err.isEmpty());
    // A red frame on the field at fault, so the eye finds it.
    const bool hostBad = err.startsWith(tr("Host"));
    m_ui->hostEdit->setStyleSheet(hostBad ? QStringLiteral("border: 2px solid #d03030;")
                                          : QString());
    m_ui->portEdit->setStyleSheet(
        !err.isEmpty() && !hostBad ? QStringLiteral("border: 2px solid #d03030;") : QString());
}

void ExperimentPanel::writeTo(Profile *p) const
{
    p->role = role();
    p->host = m_showingPeer ? m_userHost : m_ui->hostEdit->text();
    // Out-of-range text becomes 0 rather than wrapping; validationError() says why.
    const uint port = m_ui->portEdit->text().trimmed().toUInt();
    p->port = port <= 65535 ? quint16(port) : 0;
    p->peer.behavior =
        kBehaviors[std::clamp(m_ui->peerCombo->currentIndex(), 0, kBehaviorCount - 1)];
    p->peer.intervalMs = m_ui->intervalSpin->value();
    p->send = unescape(m_ui->sendEdit->text());
    p->recvBytes = m_ui->recvSpin->value();
}

void ExperimentPanel::readFrom(const Profile &p)
{
    for (int i = 0; i < 3; ++i) {
        if (kRoles[i] == p.role)
            m_ui->roleCombo->setCurrentIndex(i);
    }
    if (m_showingPeer) {
        // Put the user's host back first: revalidate() below shows the peer's again if the
        // profile's role uses it.
        const QSignalBlocker block(m_ui->hostEdit);
        m_showingPeer = false;
    }
    m_ui->hostEdit->setText(p.host);
    m_ui->portEdit->setText(QString::number(p.port));
    for (int i = 0; i < kBehaviorCount; ++i) {
        if (kBehaviors[i] == p.peer.behavior)
            m_ui->peerCombo->setCurrentIndex(i);
    }
    m_ui->intervalSpin->setValue(p.peer.intervalMs);
    m_ui->sendEdit->setText(escape(p.send));
    m_ui->recvSpin->setValue(int(p.recvBytes));
    revalidate();
}
