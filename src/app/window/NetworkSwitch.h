#pragma once

#include "Engine.h"

#include <QObject>
#include <QString>

class QAction;
class QActionGroup;
class QComboBox;
class QMenu;
class QStatusBar;

// Which network the experiments run on: SockLab's private lab (the default: hosts client,
// router and server, made without privilege, new for every page) or this machine's own
// network (to reach other machines). A drop-down in the status bar and the Experiment menu's
// Network items, always in step; the choice is kept in QSettings. Where the lab cannot be made
// the switch shows this machine's network and says why, in the engine's one sentence.
class NetworkSwitch : public QObject
{
    Q_OBJECT
  public:
    NetworkSwitch(socklab::Engine *engine, QObject *parent);

    // The choice kept from the last session (the lab if none), for the engine's first network.
    static socklab::Engine::Network savedChoice();

    void addTo(QStatusBar *bar, QMenu *menu);
    socklab::Engine::Network choice() const { return m_choice; }
    // What the engine said the runs use now (false until it has said, and where the lab was
    // refused).
    bool inLab() const { return m_inLab; }
    QString description() const { return m_description; }
    QComboBox *comboBox() const { return m_combo; }

  signals:
    // The user chose the other network: the window starts a clean page on it.
    void switchRequested();
    // Something the user should read (why the lab could not be made).
    void message(const QString &text);

  private:
    void choose(socklab::Engine::Network n);
    void onNetworkChanged(bool lab, const QString &description, const QString &refusal);
    void sync();

    socklab::Engine::Network m_choice;
    bool m_inLab = false;
    QString m_description;
    QComboBox *m_combo = nullptr;
    QActionGroup *m_group = nullptr;
    QAction *m_labAction = nullptr;
    QAction *m_hostAction = nullptr;
};
