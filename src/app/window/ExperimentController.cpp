#include "ExperimentController.h"

#include "Engine.h"

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
        if (const QString bad = socklab::validateHost(p.host); !bad.isEmpty()) {
            emit refused(tr("Host '%1': %2").arg(p.host, bad));
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
        const bool same = m_peer && m_peer->behavior == p->peer.behavior &&
                          m_peer->intervalMs == p->peer.intervalMs;
        if (!same) {
            Step s = Step::make(Step::Kind::StartPeer);
            s.peer = p->peer;
            steps << s;
            m_peer = p->peer;
        }
        c.toPeer = true;
    } else {
        c.host = p->host;
        c.port = p->port;
    }
    steps << c;
    m_current = c.sock;
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
    Step l = Step::make(Step::Kind::Listen, QStringLiteral("L%1").arg(++m_listeners));
    l.host = p->host;
    l.port = p->port;
    l.options = p->options;
    Step a = Step::make(Step::Kind::Accept, QStringLiteral("a%1").arg(++m_accepted));
    a.listener = l.sock;
    m_listener = l.sock;
    m_current = a.sock;
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
    if (m_current.isEmpty())
        return;
    run({Step::make(Step::Kind::Close, m_current)});
    m_current.clear();
}

void ExperimentController::restartServer()
{
    emit actionStarting();
    if (m_listener.isEmpty()) {
        emit refused(tr("No server to restart: Listen first."));
        return;
    }
    const auto p = checkedProfile(false);
    if (!p)
        return;
    // The new listener gets the panels' options (SO_REUSEADDR as the checkbox says now).
    Step r = Step::make(Step::Kind::Restart, m_listener);
    r.current = p->options;
    Step a = Step::make(Step::Kind::Accept, QStringLiteral("a%1").arg(++m_accepted));
    a.listener = m_listener;
    m_current = a.sock;
    run({r, a});
}

void ExperimentController::pullPlug()
{
    emit actionStarting();
    m_engine->pullPlug();
}

quint64 ExperimentController::stop()
{
    const quint64 id = m_engine->stop();
    m_peer.reset(); // Stop also stops the built-in peer
    m_current.clear();
    m_listener.clear();
    return id;
}

void ExperimentController::restartNames()
{
    m_clients = m_listeners = m_accepted = 0;
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
    for (const Event &e : batch) {
        switch (e.kind) {
        case EventKind::Connecting:
        case EventKind::Accepting:
        case EventKind::Sending:
        case EventKind::Receiving:
        case EventKind::Holding:
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
        case EventKind::Cancelled:
            status = tr("Cancelled: %1 on %2 after %3 s")
                         .arg(e.op, e.sock)
                         .arg(e.elapsed.value_or(0), 0, 'f', 3);
            break;
        case EventKind::Finished:
            if (!m_engine->isBusy() && !status.startsWith(tr("Cancelled")))
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
    setStatus(status);
}
