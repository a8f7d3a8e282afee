#pragma once

#include "OptionTable.h"

#include <QObject>

#include <functional>

class ExperimentController;
class QAction;
class QComboBox;
class QMenu;
class QTableView;
class QToolBar;
class TimelineWidget;

// Which socket the actions act on. Send, Receive, Close, Pull the plug and Restart act on the
// controller's current socket; the user picks it in the toolbar's drop-down, by clicking its
// row in the socket table or its lane on the timeline, or from the context menu of either,
// which also offers the actions themselves. The three stay in step, and the option panels mark
// the options that can no longer change on the chosen socket.
class SocketPicker : public QObject
{
    Q_OBJECT
  public:
    struct Actions
    {
        QAction *send = nullptr;
        QAction *receive = nullptr;
        QAction *close = nullptr;
        QAction *pullPlug = nullptr;
        QAction *restart = nullptr;
    };

    SocketPicker(ExperimentController *controller, const Actions &actions, QObject *parent);

    // Puts the drop-down into `toolBar`, before `before`.
    void addTo(QToolBar *toolBar, QAction *before);
    void attachTable(QTableView *table, int labelColumn);
    void attachTimeline(TimelineWidget *timeline);
    // The control showing an option in the panels (nullptr: none), to mark it fixed.
    void setOptionControls(std::function<QWidget *(socklab::OptionId)> controls);

    QComboBox *comboBox() const { return m_combo; }
    // The menu for a socket, as the table and the timeline show it (the caller owns it).
    QMenu *menuFor(const QString &sock, QWidget *parent) const;

  signals:
    // Something the user should read (why a lane cannot be acted on).
    void message(const QString &text);

  private:
    void choose(const QString &sock);
    void sync();
    void syncTable();
    void updateLockNotes();
    void showMenu(const QString &sock, const QPoint &globalPos, QWidget *parent);

    ExperimentController *m_controller;
    Actions m_actions;
    QComboBox *m_combo;
    QTableView *m_table = nullptr;
    int m_labelColumn = 0;
    TimelineWidget *m_timeline = nullptr;
    std::function<QWidget *(socklab::OptionId)> m_controls;
    bool m_syncing = false;
};
