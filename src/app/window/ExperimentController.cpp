#include "ExperimentController.h"

#include "Engine.h"
#include "ErrnoText.h"

#include <cstring>

using socklab::Event;
using socklab::EventKind;
using socklab::Profile;
using socklab::Step;

ExperimentController::ExperimentController(socklab::Engine *engine, QObject *parent)
    : QObject(parent), m_engine(engine)
{
    connect(engine->bus(), &socklab::EventBus::eventsReady, this, &ExperimentController::onEvents);
    m_status = tr("Idle");
}

void ExperimentController::setProfileSource(std::function<Profile()> source)
{
    m_source = std::move(source);
}

void ExperimentController::setTargetCheck(std::function<QString()> check)
{
    m_targetCheck = std::move(check);
}

std::optional<Profile> ExperimentController::checkedProfile(bool needTarget)
{
    if (needTarget && m_targetCheck) {
        if (const QString bad = m_targetCheck(); !bad.isEmpty()) {
            emit refused(bad);
            return std::nullopt;
        }
    }
    const Profile p = m_source ? m_source() : Profile{};
    if (const QString bad = p.options.validate(); !bad.isEmpty()) {
        emit refused(bad);
        return std::nullopt;
    }
    if (needTarget && p.role != Profile::Role::ClientWithPeer) {
        if (const QString bad = socklab::hostRefusal(p.host); !bad.isEmpty()) {
            emit refused(bad);
            return std::nullopt;
        }
        if (p.role == Profile::Role::Client && p.port == 0) {
            emit refused(tr("Port: 0 is out of range; connect to a port from 1 to 65535."));
            return std::nullopt;
        }
    }
    return p;
}

void ExperimentController::run(const QList<Step> &steps)
{
    m_engine->run(steps);
}

// The built-in peer the panels ask for, started unless the same one runs already.
QList<Step> ExperimentController::peerSteps(const Profile &p)
{
    if (m_peer && m_peer->behavior == p.peer.behavior && m_peer->intervalMs == p.peer.intervalMs)
        return {};
    Step s = Step::make(Step::Kind::StartPeer);
    s.peer = p.peer;
    m_peer = p.peer;
    return {s};
}

bool ExperimentController::connectToTarget()
{
    emit actionStarting();
    const auto p = checkedProfile(true);
    if (!p)
        return false;
    if (p->role == Profile::Role::Server) {
        emit refused(tr("The role is Server: use Listen, or pick a client role to connect."));
        return false;
    }
    QList<Step> steps;
    Step c = Step::make(Step::Kind::Connect, QStringLiteral("c%1").arg(++m_clients));
    c.options = p->options;
    if (p->role == Profile::Role::ClientWithPeer) {
        steps << peerSteps(*p);
        c.toPeer = true;
    } else {
        c.host = p->host;
        c.port = p->port;
    }
    steps << c;
    addSocket(c.sock, c.toPeer ? tr("client, connecting to the built-in peer")
                               : tr("client, connecting to %1:%2").arg(c.host).arg(c.port));
    setCurrent(c.sock);
    run(steps);
    return true;
}

bool ExperimentController::runProgram(const QStringList &argv, bool trace)
{
    emit actionStarting();
    if (argv.isEmpty()) {
        emit refused(tr("Give the program to run, e.g. python3 client.py."));
        return false;
    }
    const auto p = checkedProfile(false);
    if (!p)
        return false;
    QList<Step> steps;
    if (p->role == Profile::Role::ClientWithPeer)
        steps << peerSteps(*p);
    Step r = Step::make(Step::Kind::Run, QStringLiteral("prog"));
    r.argv = argv;
    r.trace = trace;
    steps << r;
    run(steps);
    return true;
}

bool ExperimentController::listen()
{
    emit actionStarting();
    const auto p = checkedProfile(true);
    if (!p)
        return false;
    if (p->role != Profile::Role::Server) {
        emit refused(tr("Listen needs the Server role: pick it under Experiment."));
        return false;
    }
    // A listener of this page still listens on that port: a second one would only get
    // EADDRINUSE (without SO_REUSEPORT), and what is meant is the next connection. Wait for
    // it on the listener there is, and say so.
    if (p->port != 0 && !p->options.reusePort.value_or(false)) {
        for (const QString &sock : std::as_const(m_order)) {
            if (!isListener(sock) || m_ports.value(sock) != p->port)
                continue;
            Step a = Step::make(Step::Kind::Accept, QStringLiteral("a%1").arg(++m_accepted));
            a.listener = sock;
            a.current = p->options; // the accept's timeout as the panel says now
            m_listener = sock;
            addPending(a.sock, sock);
            setCurrent(sock); // its connection is chosen once it is accepted
            run({a});
            emit note(tr("%1 still listens on port %2: waiting there for the next connection "
                         "(%3). A second listener would get EADDRINUSE unless SO_REUSEPORT is "
                         "on.")
                          .arg(sock)
                          .arg(p->port)
                          .arg(a.sock));
            return true;
        }
    }
    Step l = Step::make(Step::Kind::Listen, QStringLiteral("L%1").arg(++m_listeners));
    l.host = p->host;
    l.port = p->port;
    l.options = p->options;
    Step a = Step::make(Step::Kind::Accept, QStringLiteral("a%1").arg(++m_accepted));
    a.listener = l.sock;
    m_listener = l.sock;
    m_ports.insert(l.sock, l.port);
    addSocket(
        l.sock,
        tr("listener on %1:%2").arg(l.host.isEmpty() ? tr("any address") : l.host).arg(l.port));
    addPending(a.sock, l.sock);
    setCurrent(l.sock); // its connection is chosen once it is accepted
    run({l, a});
    return true;
}

void ExperimentController::send()
{
    emit actionStarting();
    if (m_current.isEmpty()) {
        emit refused(tr("Nothing to send on: Connect or Listen first."));
        return;
    }
    if (isListener(m_current)) {
        emit refused(listenerCarriesNoData());
        return;
    }
    const auto p = checkedProfile(false);
    if (!p)
        return;
    Step s = Step::make(Step::Kind::Send, m_current);
    s.data = p->send.toUtf8();
    s.current = p->options; // what the panels show is what this call runs with
    run({s});
}

void ExperimentController::receive()
{
    emit actionStarting();
    if (m_current.isEmpty()) {
        emit refused(tr("Nothing to receive on: Connect or Listen first."));
        return;
    }
    if (isListener(m_current)) {
        emit refused(listenerCarriesNoData());
        return;
    }
    const auto p = checkedProfile(false);
    if (!p)
        return;
    Step s = Step::make(Step::Kind::Recv, m_current);
    s.maxBytes = p->recvBytes;
    s.current = p->options; // what the panels show is what this call runs with
    run({s});
}

void ExperimentController::closeCurrent()
{
    emit actionStarting();
    if (m_current.isEmpty()) {
        emit refused(tr("Nothing to close: Connect or Listen first."));
        return;
    }
    const auto p = checkedProfile(false);
    if (!p)
        return;
    Step c = Step::make(Step::Kind::Close, m_current);
    c.current = p->options; // SO_LINGER as the panel says now
    run({c});
    if (m_current == m_listener)
        m_listener.clear();
    removeSocket(m_current);
}

void ExperimentController::restartServer()
{
    emit actionStarting();
    // The listener chosen, else the last one that listened.
    const QString listener = isListener(m_current) ? m_current : m_listener;
    if (listener.isEmpty()) {
        emit refused(tr("No server to restart: Listen first."));
        return;
    }
    if (!m_about.contains(listener)) {
        emit refused(tr("%1 is not listening (its bind() failed, or it was closed): there is "
                        "nothing to restart. Listen again.")
                         .arg(listener));
        return;
    }
    const auto p = checkedProfile(false);
    if (!p)
        return;
    // The new listener gets the panels' options (SO_REUSEADDR as the checkbox says now).
    Step r = Step::make(Step::Kind::Restart, listener);
    r.current = p->options;
    Step a = Step::make(Step::Kind::Accept, QStringLiteral("a%1").arg(++m_accepted));
    a.listener = listener;
    m_listener = listener;
    m_restarting.insert(listener);
    addSocket(listener, describe(listener));
    addPending(a.sock, listener);
    setCurrent(listener);
    run({r, a});
}

void ExperimentController::pullPlug()
{
    emit actionStarting();
    // A listener or a connection not made yet has no plug: then every connection's.
    const bool connection = m_about.contains(m_current) && !isListener(m_current);
    m_engine->pullPlug(connection ? m_current : QString());
}

quint64 ExperimentController::stop()
{
    return forgetAfter(m_engine->stop());
}

quint64 ExperimentController::stopAndUse(socklab::Engine::Network network)
{
    const quint64 id = forgetAfter(m_engine->useNetwork(network));
    // A new page: what an earlier page's calls did is not what the backend does now.
    m_statusAfter = id;
    m_statusIsOutcome = false;
    setStatus(tr("Idle"));
    return id;
}

quint64 ExperimentController::forgetAfter(quint64 id)
{
    m_peer.reset();   // Stop also stops the built-in peer
    m_pageAfter = id; // every socket is closed by it
    m_listener.clear();
    m_order.clear();
    m_about.clear();
    m_pending.clear();
    m_restarting.clear();
    m_ports.clear();
    setCurrent(QString());
    return id;
}

void ExperimentController::restartNames()
{
    m_clients = m_listeners = m_accepted = 0;
}

bool ExperimentController::setCurrentSocket(const QString &sock)
{
    if (!m_about.contains(sock))
        return false;
    setCurrent(sock);
    return true;
}

void ExperimentController::setCurrent(const QString &sock)
{
    if (sock == m_current)
        return;
    m_current = sock;
    emit socketsChanged();
}

void ExperimentController::addSocket(const QString &sock, const QString &about)
{
    if (!m_about.contains(sock))
        m_order << sock;
    m_about.insert(sock, about);
    emit socketsChanged();
}

void ExperimentController::addPending(const QString &sock, const QString &listener)
{
    // Not a socket yet: listed (and chosen, if its listener is) once accept() returns it.
    m_pending.insert(sock, listener);
}

QString ExperimentController::listenerCarriesNoData() const
{
    const QStringList waiting = m_pending.keys(m_current);
    return waiting.isEmpty()
               ? tr("%1 is a listener: it accepts connections and carries no data. Choose a "
                    "connection under Socket, or Listen to accept one.")
                     .arg(m_current)
               : tr("%1 is a listener: it carries no data. Its next connection (%2) is chosen "
                    "as soon as it is accepted.")
                     .arg(m_current, waiting.first());
}

void ExperimentController::dropPending(const QString &sock)
{
    if (!m_pending.remove(sock))
        return;
    // The name goes to the next connection, so the accepted ones count a1, a2, ... with no gap.
    if (sock == QStringLiteral("a%1").arg(m_accepted))
        --m_accepted;
}

void ExperimentController::removeSocket(const QString &sock)
{
    // A listener gone: the connections it was to accept never come.
    for (const QString &a : m_pending.keys(sock))
        dropPending(a);
    m_restarting.remove(sock);
    if (!m_about.remove(sock))
        return;
    m_order.removeAll(sock);
    if (m_current == sock) // the newest left is acted on next
        m_current = m_order.isEmpty() ? QString() : m_order.last();
    emit socketsChanged();
}

void ExperimentController::setStatus(const QString &text)
{
    if (text == m_status)
        return;
    m_status = text;
    emit statusChanged(text);
}

void ExperimentController::onEvents(const QList<Event> &batch)
{
    QString status = m_status;
    bool &outcome = m_statusIsOutcome; // the line says how a call ended
    bool started = false;              // a call of this page began
    for (const Event &e : batch) {
        // Which sockets there are to act on: what the kernel said of those this page made.
        if (e.run > m_pageAfter && e.kind == EventKind::Listening && isListener(e.sock) &&
            e.sock.mid(1).toInt() <= m_listeners) {
            addSocket(e.sock, tr("listener on %1").arg(e.local)); // again, after a Restart
        } else if (e.run > m_pageAfter && e.kind == EventKind::Accepted &&
                   m_pending.contains(e.sock)) {
            // The connection a listener was waiting for: now a socket to act on, and the one
            // chosen if its listener was.
            const QString listener = m_pending.take(e.sock);
            addSocket(e.sock, tr("accepted by %1 from %2").arg(listener, e.remote));
            if (m_current == listener || m_current.isEmpty())
                setCurrent(e.sock);
        } else if (e.run > m_pageAfter && m_about.contains(e.sock)) {
            if (e.kind == EventKind::Connected) {
                m_about.insert(e.sock, tr("client, connected to %1").arg(e.remote));
                emit socketsChanged();
            } else if (e.kind == EventKind::Closed) {
                if (!m_restarting.remove(e.sock)) // a Restart's close: it listens again next
                    removeSocket(e.sock);
            } else if ((e.kind == EventKind::Timeout || e.kind == EventKind::Error ||
                        e.kind == EventKind::Cancelled) &&
                       (e.op == QLatin1String("connect") ||
                        (isListener(e.sock) &&
                         (e.op == QLatin1String("bind") || e.op == QLatin1String("listen"))))) {
                removeSocket(e.sock); // it never became a connection (or a listener)
            }
        }
        // An accept that ended without a connection (its events name the listener): the
        // oldest connection that listener was to accept never comes.
        if (e.run > m_pageAfter && e.op == QLatin1String("accept") && isListener(e.sock) &&
            (e.kind == EventKind::Timeout || e.kind == EventKind::Error ||
             e.kind == EventKind::Cancelled)) {
            QStringList waiting = m_pending.keys(e.sock);
            std::sort(waiting.begin(), waiting.end(), [](const QString &x, const QString &y) {
                return x.mid(1).toInt() < y.mid(1).toInt();
            });
            if (!waiting.isEmpty())
                dropPending(waiting.first());
        }
        // The status line says what the backend does for this page: not what an earlier
        // page's calls did as they were stopped, and not a program's own calls (strace's),
        // which the program makes, not the backend.
        if (e.run <= m_statusAfter || e.extra.contains(QLatin1String("traced")))
            continue;
        switch (e.kind) {
        case EventKind::Connecting:
        case EventKind::Accepting:
        case EventKind::Sending:
        case EventKind::Receiving:
        case EventKind::Holding:
            outcome = false;
            started = true;
            status = e.timeoutNone
                         ? tr("Running %1 on %2 (no timeout: blocks until it returns or Stop)")
                               .arg(e.op, e.sock)
                     : e.mechanism.isEmpty() // hold: idle for a time, no call
                         ? tr("Running %1 on %2 (for %3 s)")
                               .arg(e.op, e.sock)
                               .arg(e.timeout.value_or(0), 0, 'f', 3)
                         : tr("Running %1 on %2 (timeout %3 s, %4)")
                               .arg(e.op, e.sock)
                               .arg(e.timeout.value_or(0), 0, 'f', 3)
                               .arg(e.mechanism);
            break;
        // How a call ended stays in view after the run: a class reads "Timed out: recv on c1
        // after 0.500 s" or "Failed: bind on L1: EADDRINUSE", not "Idle".
        case EventKind::Cancelled:
        case EventKind::Timeout:
            if (e.sock.startsWith(QLatin1String("peer")))
                break; // the built-in peer's own
            status = (e.kind == EventKind::Cancelled ? tr("Cancelled: %1 on %2 after %3 s")
                                                     : tr("Timed out: %1 on %2 after %3 s"))
                         .arg(e.op, e.sock)
                         .arg(e.elapsed.value_or(0), 0, 'f', 3);
            outcome = true;
            break;
        case EventKind::Error:
            if (e.sock.startsWith(QLatin1String("peer")) || e.err == 0)
                break;
            status = tr("Failed: %1 on %2: %3 (%4)")
                         .arg(e.op, e.sock, socklab::errnoSymbol(e.err),
                              QString::fromLocal8Bit(std::strerror(e.err)));
            outcome = true;
            break;
        case EventKind::Finished:
            if (!m_engine->isBusy() && !outcome)
                status = tr("Idle");
            break;
        case EventKind::Closed:
            if (e.sock == QLatin1String("peer"))
                m_peer.reset();
            break;
        default:
            break;
        }
    }
    if (started)
        emit callStarted();
    setStatus(status);
}
