#include "NetworkSwitch.h"

#include <QActionGroup>
#include <QComboBox>
#include <QMenu>
#include <QSettings>
#include <QSignalBlocker>
#include <QStatusBar>

using socklab::Engine;

namespace {
const QString kKey = QStringLiteral("network/choice");

QString labTip()
{
    return NetworkSwitch::tr(
        "Private lab: a network of its own for this page, made without root. Your sockets are "
        "on host \"client\" (192.0.2.1), the built-in peers on host \"server\" "
        "(198.51.100.1), joined through a router. Nothing of an earlier page is in it (no "
        "TIME_WAIT left over), nothing outside can reach it, and it reaches nothing outside.");
}

QString hostTip()
{
    return NetworkSwitch::tr(
        "This machine's network: experiments can reach other machines (example.com), and "
        "what earlier runs left in the kernel (TIME_WAIT) is still there. Faults that need "
        "privileges (the blackhole peer, pulling the plug) are refused to ordinary users.");
}
} // namespace

NetworkSwitch::NetworkSwitch(Engine *engine, QObject *parent)
    : QObject(parent), m_choice(savedChoice())
{
    connect(engine, &Engine::networkChanged, this, &NetworkSwitch::onNetworkChanged);
}

Engine::Network NetworkSwitch::savedChoice()
{
    return QSettings().value(kKey).toString() == QLatin1String("host") ? Engine::Network::Host
                                                                       : Engine::Network::Lab;
}

void NetworkSwitch::addTo(QStatusBar *bar, QMenu *menu)
{
    m_combo = new QComboBox(bar);
    m_combo->setObjectName(QStringLiteral("networkCombo"));
    m_combo->addItem(tr("Network: private lab"), int(Engine::Network::Lab));
    m_combo->setItemData(0, labTip(), Qt::ToolTipRole);
    m_combo->addItem(tr("Network: this machine"), int(Engine::Network::Host));
    m_combo->setItemData(1, hostTip(), Qt::ToolTipRole);
    m_combo->setAccessibleName(tr("Network"));
    bar->addPermanentWidget(m_combo);
    connect(m_combo, &QComboBox::activated, this,
            [this](int index) { choose(Engine::Network(m_combo->itemData(index).toInt())); });

    QMenu *sub = menu->addMenu(tr("&Network"));
    m_group = new QActionGroup(this);
    m_labAction = sub->addAction(tr("Private &lab (client, router, server)"));
    m_labAction->setToolTip(labTip());
    m_hostAction = sub->addAction(tr("&This machine's network"));
    m_hostAction->setToolTip(hostTip());
    m_labAction->setObjectName(QStringLiteral("actionNetworkLab"));
    m_hostAction->setObjectName(QStringLiteral("actionNetworkHost"));
    sub->setToolTipsVisible(true);
    for (QAction *a : {m_labAction, m_hostAction}) {
        a->setCheckable(true);
        m_group->addAction(a);
    }
    connect(m_labAction, &QAction::triggered, this, [this] { choose(Engine::Network::Lab); });
    connect(m_hostAction, &QAction::triggered, this, [this] { choose(Engine::Network::Host); });
    sync();
}

void NetworkSwitch::choose(Engine::Network n)
{
    if (n == m_choice) {
        if (n == Engine::Network::Lab && !m_inLab && !m_description.isEmpty())
            emit switchRequested(); // refused before: try again (a setting may have changed)
        sync();
        return;
    }
    m_choice = n;
    QSettings().setValue(kKey, n == Engine::Network::Host ? QStringLiteral("host")
                                                          : QStringLiteral("lab"));
    sync();
    emit switchRequested();
}

void NetworkSwitch::onNetworkChanged(bool lab, const QString &description, const QString &refusal)
{
    Q_UNUSED(refusal); // the description says it too, and what the runs use instead
    m_inLab = lab;
    m_description = description;
    if (m_choice == Engine::Network::Lab && !lab)
        emit message(description); // refused: say why, once per refusal
    sync();
}

void NetworkSwitch::sync()
{
    if (!m_combo)
        return;
    // What the switch shows is what the runs use: the lab only once the engine has one.
    const bool lab = m_choice == Engine::Network::Lab && (m_inLab || m_description.isEmpty());
    {
        const QSignalBlocker block(m_combo);
        m_combo->setCurrentIndex(lab ? 0 : 1);
    }
    m_labAction->setChecked(lab);
    m_hostAction->setChecked(!lab);
    m_combo->setToolTip(m_description.isEmpty() ? (lab ? labTip() : hostTip()) : m_description);
}
