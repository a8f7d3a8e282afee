#include "FaultsPanel.h"

#include "Engine.h"
#include "ui_FaultsPanel.h"

#include <QAction>
#include <QGridLayout>
#include <QLabel>
#include <QMenu>
#include <QSpinBox>
#include <QToolButton>

using socklab::FaultInfo;
using socklab::FaultKind;
using socklab::FaultSpec;

namespace {
QString tipOf(const FaultInfo &f)
{
    return QStringLiteral("<p><b>%1</b></p><p>%2</p>")
        .arg(QObject::tr(f.action).toHtmlEscaped(), QObject::tr(f.explain).toHtmlEscaped());
}

QSpinBox *spinFor(const socklab::FaultParam &p, const QString &tip, QWidget *parent)
{
    auto *box = new QSpinBox(parent);
    box->setRange(p.min, p.max);
    box->setValue(p.def);
    box->setSuffix(QLatin1Char(' ') + QLatin1String(p.unit));
    box->setAccelerated(true);
    box->setKeyboardTracking(false); // typed digits apply once, on Enter or leaving the box
    box->setToolTip(tip);
    box->setObjectName(QStringLiteral("fault_%1").arg(QLatin1String(p.name)));
    return box;
}
} // namespace

FaultsPanel::FaultsPanel(QWidget *parent)
    : QWidget(parent), m_ui(std::make_unique<Ui::FaultsPanel>())
{
    m_ui->setupUi(this);
    QGridLayout *grid = m_ui->faultGrid;
    int line = 0;
    for (int k = 0; k < socklab::kFaultKinds; ++k) {
        const FaultInfo &f = socklab::faultInfo(FaultKind(k));
        Row &row = m_rows[size_t(k)];
        row.action = new QAction(tr(f.action), this);
        row.action->setObjectName(QStringLiteral("actionFault_%1").arg(QLatin1String(f.name)));
        row.action->setCheckable(true);
        row.action->setToolTip(tipOf(f));
        row.action->setStatusTip(tr(f.explain));
        connect(row.action, &QAction::triggered, this,
                [this, k](bool checked) { request(FaultKind(k), checked); });
        auto *button = new QToolButton(this);
        button->setDefaultAction(row.action);
        button->setToolButtonStyle(Qt::ToolButtonTextOnly);
        button->setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Fixed);
        grid->addWidget(button, line, 0);
        for (const auto &[p, box] :
             {std::pair{&f.value, &row.value}, std::pair{&f.value2, &row.value2}}) {
            if (!p->name)
                continue;
            *box = spinFor(*p, tipOf(f), this);
            if (box == &row.value2) {
                // A second number on a line of its own, named: the tab stays narrow.
                ++line;
                auto *label = new QLabel(QLatin1String(p->name), this);
                label->setAlignment(Qt::AlignRight | Qt::AlignVCenter);
                label->setBuddy(*box);
                grid->addWidget(label, line, 0);
            }
            grid->addWidget(*box, line, 1);
            // A number of a fault that is made applies at once: the fault is made again.
            connect(*box, &QSpinBox::valueChanged, this, [this, k] {
                if (m_rows[size_t(k)].made)
                    request(FaultKind(k), true);
            });
        }
        ++line;
    }
    updateState();
}

FaultsPanel::~FaultsPanel() = default;

void FaultsPanel::setEngine(socklab::Engine *engine)
{
    m_engine = engine;
}

void FaultsPanel::setInLab(bool inLab)
{
    m_inLab = inLab;
    for (int k = 0; k < socklab::kFaultKinds; ++k) {
        const FaultInfo &f = socklab::faultInfo(FaultKind(k));
        const bool usable = inLab || !f.needsLab;
        m_rows[size_t(k)].action->setEnabled(usable);
        m_rows[size_t(k)].action->setToolTip(
            usable ? tipOf(f)
                   : tipOf(f) + tr("<p><i>Needs the lab: the runs are on this machine's network, "
                                   "where SockLab changes nothing (Network: lab).</i></p>"));
    }
    updateState();
}

void FaultsPanel::addTo(QMenu *menu)
{
    QMenu *faults = menu->addMenu(tr("&Faults"));
    faults->setObjectName(QStringLiteral("menuFaults"));
    faults->setToolTipsVisible(true);
    for (const Row &row : m_rows)
        faults->addAction(row.action);
}

void FaultsPanel::request(FaultKind k, bool on)
{
    Row &row = m_rows[size_t(k)];
    // The button shows what the engine reports, not the click: back to the last report until
    // the event comes (a few milliseconds).
    row.action->setChecked(row.made);
    if (!m_engine)
        return;
    FaultSpec f;
    f.kind = k;
    f.on = on;
    if (on && row.value)
        f.value = row.value->value();
    if (on && row.value2)
        f.value2 = row.value2->value();
    emit requesting();
    m_engine->fault(f);
}

void FaultsPanel::show(FaultKind k, bool made)
{
    Row &row = m_rows[size_t(k)];
    const FaultInfo &f = socklab::faultInfo(k);
    row.made = made;
    row.action->setChecked(made);
    row.action->setText(tr(made ? f.repair : f.action));
}

void FaultsPanel::onEvents(const QList<socklab::Event> &batch)
{
    bool changed = false;
    for (const socklab::Event &e : batch) {
        if (e.op != QLatin1String("fault") || e.kind != socklab::EventKind::Info)
            continue;
        const auto k = socklab::faultFromName(e.extra.value(QStringLiteral("fault")).toString());
        if (!k)
            continue;
        const bool on = e.extra.value(QStringLiteral("on")).toBool();
        // One firewall at a time: made, it replaced the other; mended, both are gone (one table).
        if (*k == FaultKind::FirewallDrop || *k == FaultKind::FirewallReject) {
            show(FaultKind::FirewallDrop, false);
            show(FaultKind::FirewallReject, false);
        }
        show(*k, on);
        changed = true;
    }
    if (changed)
        updateState();
}

void FaultsPanel::updateState()
{
    QStringList made;
    for (int k = 0; k < socklab::kFaultKinds; ++k) {
        if (m_rows[size_t(k)].made)
            made << tr(socklab::faultInfo(FaultKind(k)).name);
    }
    QString text = made.isEmpty() ? tr("The network is whole.")
                                  : tr("Now: %1.").arg(made.join(QStringLiteral(", ")));
    if (!m_inLab)
        text += u' ' + tr("The runs are on this machine's network: only a crash of the built-in "
                          "server can be made here; the rest need the lab (Network: lab).");
    m_ui->faultStateLabel->setText(text);
}
