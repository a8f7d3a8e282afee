#pragma once

#include "Engine.h"
#include "Event.h"
#include "Profile.h"
#include "Step.h"

#include <QHash>
#include <QObject>
#include <QSet>

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

    // The sockets the window's actions made on this page and not yet closed, oldest first.
    // A listener's next connection ("a2") is listed once accept() has returned it.
    QStringList sockets() const { return m_order; }
    bool isListener(const QString &sock) const { return sock.startsWith(QLatin1Char('L')); }
    // What a socket is, in a few words: "client, connected to 127.0.0.1:5000".
    QString describe(const QString &sock) const { return m_about.value(sock); }
    // Makes `sock` the socket Send, Receive, Close and Pull the plug act on (and, for a
    // listener, Restart). False (and nothing changes) if it is not one of sockets().
    bool setCurrentSocket(const QString &sock);

  public slots:
    bool connectToTarget();
    // Runs a program of the user's own on the lab's client host (socklab-cli run), with the
    // built-in peer of the panels when the role has one.
    bool runProgram(const QStringList &argv, bool trace = false);
    bool listen();
    void send();
    void receive();
    void closeCurrent();
    void restartServer();
    // The plug of the current socket's connection (or every connection if none is chosen).
    void pullPlug();
    // Stops everything; returns the Stop's id (its Finished event carries it).
    quint64 stop();
    // Stop, then the next runs on `network` (a new lab each time: Engine::useNetwork).
    quint64 stopAndUse(socklab::Engine::Network network);
    // A new page: sockets are named from c1, L1, a1 again (the old ones are closed and their
    // events are not on the page).
    void restartNames();

  signals:
    // An action is about to act (before it reads the panels or names a socket): the window
    // may begin a new page first.
    void actionStarting();
    void statusChanged(const QString &text);
    // A call of this page began: what the status line said before (a refusal of the last
    // action, "Kept: ...") is no longer the news.
    void callStarted();
    // sockets() or the current socket changed.
    void socketsChanged();
    // An action was refused because of the configuration; nothing ran.
    void refused(const QString &why);
    // An action ran, differently from what its name alone would suggest: why.
    void note(const QString &text);

  private:
    QList<socklab::Step> peerSteps(const socklab::Profile &p);
    quint64 forgetAfter(quint64 stopId); // every socket is closed by that stop
    void onEvents(const QList<socklab::Event> &batch);
    std::optional<socklab::Profile> checkedProfile(bool needTarget);
    void setStatus(const QString &text);
    void run(const QList<socklab::Step> &steps);
    void addSocket(const QString &sock, const QString &about);
    void addPending(const QString &sock, const QString &listener);
    void dropPending(const QString &sock);
    QString listenerCarriesNoData() const;
    void removeSocket(const QString &sock);
    void setCurrent(const QString &sock);

    socklab::Engine *m_engine;
    std::function<socklab::Profile()> m_source;
    std::function<QString()> m_targetCheck;
    QString m_current;  // the socket Send/Receive/Close act on
    QString m_listener; // the listener Restart acts on
    int m_clients = 0;
    int m_listeners = 0;
    int m_accepted = 0;
    std::optional<socklab::PeerConfig> m_peer; // the built-in peer asked for, if any
    QStringList m_order;                       // sockets(), oldest first
    QHash<QString, QString> m_about;           // describe()
    QHash<QString, QString> m_pending;         // accepts not accepted yet, and their listeners
    // Listeners Restart is closing: their close is not their end (they listen again at once,
    // and keep the accept Restart queued).
    QSet<QString> m_restarting;
    // The status line says how a call ended (cancelled, timed out, failed): a run's end does
    // not turn it back to Idle.
    bool m_statusIsOutcome = false;
    QHash<QString, quint16> m_ports; // the port each listener was asked for
    quint64 m_pageAfter = 0;   // events of runs up to this one (the last Stop) are of old sockets
    quint64 m_statusAfter = 0; // ... and up to this one (a new page's Stop) of an old page
    QString m_status;
};
