#pragma once

#include "Event.h"
#include "Profile.h"
#include "Step.h"

#include <QObject>

#include <functional>

namespace socklab {
class Engine;
}

// Turns the window's actions into engine steps for the current profile, keeps track of the
// sockets those steps name (which socket Send, Receive and Close act on), and reports what
// the backend is doing for the status bar.
class ExperimentController : public QObject
{
    Q_OBJECT
  public:
    explicit ExperimentController(socklab::Engine *engine, QObject *parent = nullptr);

    // Where the current profile comes from (the panels), read when an action runs.
    void setProfileSource(std::function<socklab::Profile()> source);
    // What is wrong with the target as typed (empty when it can be used), checked before
    // Connect and Listen: the typed text, not the profile's parsed port, is what the user sees.
    void setTargetCheck(std::function<QString()> check);

    QString currentSocket() const { return m_current; }
    QString currentListener() const { return m_listener; }
    QString status() const { return m_status; }

  public slots:
    bool connectToTarget();
    bool listen();
    void send();
    void receive();
    void closeCurrent();
    void restartServer();
    void pullPlug();
    // Stops everything; returns the Stop's id (its Finished event carries it).
    quint64 stop();
    // A new page: sockets are named from c1, L1, a1 again (the old ones are closed and their
    // events are not on the page).
    void restartNames();

  signals:
    // An action is about to act (before it reads the panels or names a socket): the window
    // may begin a new page first.
    void actionStarting();
    void statusChanged(const QString &text);
    // An action was refused because of the configuration; nothing ran.
    void refused(const QString &why);

  private:
    void onEvents(const QList<socklab::Event> &batch);
    std::optional<socklab::Profile> checkedProfile(bool needTarget);
    void setStatus(const QString &text);
    void run(const QList<socklab::Step> &steps);

    socklab::Engine *m_engine;
    std::function<socklab::Profile()> m_source;
    std::function<QString()> m_targetCheck;
    QString m_current;  // the socket Send/Receive/Close act on
    QString m_listener; // the listener Restart acts on
    int m_clients = 0;
    int m_listeners = 0;
    int m_accepted = 0;
    std::optional<socklab::PeerConfig> m_peer; // the built-in peer asked for, if any
    QString m_status;
};
