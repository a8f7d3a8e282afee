#include "SocketPicker.h"

#include "ExperimentController.h"
#include "options/LockNote.h"
#include "timeline/TimelineWidget.h"

#include <QAction>
#include <QComboBox>
#include <QHeaderView>
#include <QItemSelectionModel>
#include <QLabel>
#include <QMenu>
#include <QTableView>
#include <QToolBar>

SocketPicker::SocketPicker(ExperimentController *controller, const Actions &actions,
                           QObject *parent)
    : QObject(parent), m_controller(controller), m_actions(actions), m_combo(new QComboBox)
{
    m_combo->setObjectName(QStringLiteral("socketCombo"));
    m_combo->setSizeAdjustPolicy(QComboBox::AdjustToContents);
    m_combo->setMinimumContentsLength(6);
    m_combo->setToolTip(
        tr("The socket Send, Receive, Close, Pull the plug and Restart act on. Pick it here, "
           "click its row in the socket table or its lane on the timeline, or right-click "
           "either for its actions. Connect and Listen choose the socket they make."));
    connect(m_combo, &QComboBox::activated, this,
            [this](int index) { choose(m_combo->itemData(index).toString()); });
    connect(m_controller, &ExperimentController::socketsChanged, this, &SocketPicker::sync);
    sync();
}

void SocketPicker::addTo(QToolBar *toolBar, QAction *before)
{
    auto *label = new QLabel(tr("Soc&ket:"), toolBar);
    label->setBuddy(m_combo);
    label->setToolTip(m_combo->toolTip());
    label->setContentsMargins(6, 0, 2, 0);
    toolBar->insertWidget(before, label);
    toolBar->insertWidget(before, m_combo);
}

void SocketPicker::attachTable(QTableView *table, int labelColumn)
{
    m_table = table;
    m_labelColumn = labelColumn;
    table->setSelectionBehavior(QAbstractItemView::SelectRows);
    table->setSelectionMode(QAbstractItemView::SingleSelection);
    table->setContextMenuPolicy(Qt::CustomContextMenu);
    const auto labelAt = [this](int row) {
        return m_table->model()->index(row, m_labelColumn).data().toString();
    };
    connect(table->selectionModel(), &QItemSelectionModel::currentRowChanged, this,
            [this, labelAt](const QModelIndex &current) {
                if (!m_syncing && current.isValid())
                    choose(labelAt(current.row()));
            });
    connect(table, &QTableView::customContextMenuRequested, this,
            [this, labelAt](const QPoint &pos) {
                const QModelIndex index = m_table->indexAt(pos);
                if (index.isValid())
                    showMenu(labelAt(index.row()), m_table->viewport()->mapToGlobal(pos), m_table);
            });
    // The kernel's table is refreshed a few times a second: keep the chosen row selected.
    connect(table->model(), &QAbstractItemModel::modelReset, this, &SocketPicker::syncTable);
}

void SocketPicker::attachTimeline(TimelineWidget *timeline)
{
    m_timeline = timeline;
    connect(timeline, &TimelineWidget::laneClicked, this, &SocketPicker::choose);
    connect(timeline, &TimelineWidget::laneMenuRequested, this,
            [this](const QString &sock, const QPoint &pos) { showMenu(sock, pos, m_timeline); });
    sync();
}

void SocketPicker::setOptionControls(std::function<QWidget *(socklab::OptionId)> controls)
{
    m_controls = std::move(controls);
    updateLockNotes();
}

void SocketPicker::choose(const QString &sock)
{
    if (sock.isEmpty() || sock == m_controller->currentSocket())
        return;
    if (m_controller->setCurrentSocket(sock))
        return;
    emit message(sock.startsWith(QLatin1String("peer"))
                     ? tr("%1 is the built-in peer's socket: the actions act on the "
                          "experiment's own sockets.")
                           .arg(sock)
                     : tr("%1 is closed (or belongs to an earlier run): there is nothing to "
                          "act on.")
                           .arg(sock));
    sync(); // show the socket that is still chosen
}

void SocketPicker::sync()
{
    m_syncing = true;
    const QStringList socks = m_controller->sockets();
    m_combo->clear();
    for (const QString &s : socks) {
        m_combo->addItem(s, s);
        m_combo->setItemData(m_combo->count() - 1, m_controller->describe(s), Qt::ToolTipRole);
    }
    if (socks.isEmpty())
        m_combo->addItem(tr("none"), QString());
    m_combo->setEnabled(!socks.isEmpty());
    const QString current = m_controller->currentSocket();
    m_combo->setCurrentIndex(std::max(0, m_combo->findData(current)));
    m_syncing = false;
    if (m_timeline)
        m_timeline->setSelectedLane(current);
    syncTable();
    updateLockNotes();
}

void SocketPicker::syncTable()
{
    if (!m_table || !m_table->model())
        return;
    m_syncing = true;
    const QString current = m_controller->currentSocket();
    QAbstractItemModel *model = m_table->model();
    int row = -1;
    for (int r = 0; r < model->rowCount() && !current.isEmpty(); ++r) {
        if (model->index(r, m_labelColumn).data().toString() == current) {
            row = r;
            break;
        }
    }
    if (row < 0)
        m_table->selectionModel()->clear();
    else
        m_table->selectionModel()->setCurrentIndex(model->index(row, m_labelColumn),
                                                   QItemSelectionModel::ClearAndSelect |
                                                       QItemSelectionModel::Rows);
    m_syncing = false;
}

void SocketPicker::updateLockNotes()
{
    if (!m_controls)
        return;
    const QString sock = m_controller->currentSocket();
    const bool listener = m_controller->isListener(sock);
    for (const socklab::OptionDef &d : socklab::kOptionTable) {
        QWidget *control = m_controls(d.id);
        if (!control)
            continue;
        showLockNote(control, sock, sock.isEmpty() ? QString() : lockedOnLiveSocket(d, listener));
    }
}

QMenu *SocketPicker::menuFor(const QString &sock, QWidget *parent) const
{
    auto *menu = new QMenu(parent);
    menu->setObjectName(QStringLiteral("socketMenu"));
    if (!m_controller->sockets().contains(sock)) {
        QAction *why =
            menu->addAction(sock.startsWith(QLatin1String("peer"))
                                ? tr("%1 is the built-in peer's: nothing to act on").arg(sock)
                                : tr("%1 is closed: nothing to act on").arg(sock));
        why->setEnabled(false);
        return menu;
    }
    // What the socket is, whole (a section header would cut it short).
    QAction *title = menu->addAction(tr("%1: %2").arg(sock, m_controller->describe(sock)));
    title->setEnabled(false);
    menu->addSeparator();
    const auto add = [&](QAction *action, const QString &text) {
        // No shortcut shown: the action's key acts on the socket chosen in the toolbar.
        QAction *a = menu->addAction(action->icon(), text);
        a->setToolTip(action->toolTip());
        connect(a, &QAction::triggered, this, [this, sock, action] {
            if (m_controller->setCurrentSocket(sock))
                action->trigger();
        });
    };
    if (m_controller->isListener(sock)) {
        add(m_actions.restart, tr("Restart %1").arg(sock));
        add(m_actions.close, tr("Close %1").arg(sock));
        return menu;
    }
    add(m_actions.send, tr("Send on %1").arg(sock));
    add(m_actions.receive, tr("Receive on %1").arg(sock));
    add(m_actions.close, tr("Close %1").arg(sock));
    add(m_actions.pullPlug, tr("Pull the plug on %1").arg(sock));
    return menu;
}

void SocketPicker::showMenu(const QString &sock, const QPoint &globalPos, QWidget *parent)
{
    QMenu *menu = menuFor(sock, parent);
    menu->setAttribute(Qt::WA_DeleteOnClose);
    menu->popup(globalPos);
}
