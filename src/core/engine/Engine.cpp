#include "Engine.h"

#include "CancelToken.h"
#include "Coordinator.h"
#include "Lab.h"
#include "Monitor.h"
#include "StepRunner.h"
#include "ThreadHandoff.h"

#include <QTimer>

namespace socklab {

namespace {
Monitor::Options monitorOptions(platform::SocketFactory *net)
{
    Monitor::Options o;
    o.net = net;
    return o;
}
} // namespace

Engine::Engine(QObject *parent, platform::SocketFactory *net)
    : QObject(parent), m_bus(new EventBus(this)), m_baseNet(net ? net : &platform::hostNetwork()),
      m_hub(std::make_unique<CancelHub>()),
      m_monitor(std::make_unique<Monitor>(m_bus, m_hub.get(), monitorOptions(net)))
{
    m_thread.setObjectName(QStringLiteral("socklab-engine"));
    m_runner = std::make_unique<StepRunner>(m_bus, m_monitor.get(), &m_generation, m_baseNet);
    m_tap = std::make_unique<WireTap>(m_bus, m_monitor.get());
    m_runner->setWire(m_tap.get());
    m_coordinator = new Coordinator(m_runner.get(), m_hub.get(), m_bus, &m_generation, &m_pending);
    m_coordinator->moveToThread(&m_thread);
    connect(&m_thread, &QThread::finished, m_coordinator, &QObject::deleteLater);
    // A fault made for a while is repaired on the engine thread when its time is up, unless a
    // Stop came first (the Stop repairs it).
    m_runner->setRepairLater([this](int ms, const FaultSpec &repair, quint64 run) {
        const quint64 gen = m_generation.load();
        Coordinator *c = m_coordinator;
        handoff::queuedCall(c, [this, c, ms, repair, gen, run] {
            QTimer::singleShot(ms, Qt::PreciseTimer, c, [this, c, repair, gen, run] {
                if (gen == m_generation.load())
                    c->fault(repair, run);
            });
        });
    });
    m_monitor->setTableListener([this](const QList<platform::DiagRow> &rows) {
        handoff::queuedCall(this, [this, rows] { emit socketTableChanged(rows); });
    });
    m_thread.start();
}

Engine::Engine(QObject *parent, platform::SocketFactory *net, Network initial) : Engine(parent, net)
{
    if (initial == Network::Host)
        return;
    m_pending.fetch_add(1); // busy until the lab is made: the first run waits behind it
    handoff::queuedCall(m_coordinator, [this, initial] {
        switchNetwork(initial);
        m_pending.fetch_sub(1);
    });
}

Engine::~Engine()
{
    m_monitor->setTableListener({});
    m_generation.fetch_add(1);
    m_hub->cancelAll();
    m_thread.quit();
    m_thread.wait();
    handoff::acquire(&m_pending); // what the engine and call threads did, before they were gone
    m_runner.reset();             // closes what is left, stops the peer
    m_tap.reset();                // before the monitor it names segments with
    m_monitor.reset();
    m_lab.reset(); // last: whatever used its hosts is gone
}

quint64 Engine::run(const QList<Step> &steps)
{
    EngineRun r;
    r.steps = steps;
    r.gen = m_generation.load();
    r.id = ++m_runIds;
    m_pending.fetch_add(1);
    Coordinator *c = m_coordinator;
    handoff::queuedCall(c, [c, r]() mutable { c->submit(std::move(r)); });
    return r.id;
}

quint64 Engine::stop()
{
    return stopThen({});
}

quint64 Engine::useNetwork(Network network)
{
    return stopThen([this, network] { switchNetwork(network); });
}

quint64 Engine::stopThen(std::function<void()> then)
{
    const quint64 gen = m_generation.fetch_add(1) + 1;
    const quint64 id = ++m_runIds;
    m_hub->cancelAll(); // at once: every call of every run, whatever socket it is on
    m_monitor->wake();
    m_pending.fetch_add(1);
    Coordinator *c = m_coordinator;
    handoff::queuedCall(c, [c, gen, id, then = std::move(then)] { c->stop(gen, id, then); });
    return id;
}

void Engine::switchNetwork(Network network)
{
    std::unique_ptr<platform::Lab> fresh;
    QString said, why;
    if (network == Network::Lab) {
        fresh = platform::Lab::create(&why);
        said = fresh ? fresh->description()
                     : why + QStringLiteral(" Experiments run on this machine's own network.");
    } else {
        said = QStringLiteral("Experiments run on this machine's own network (%1): they can "
                              "reach other machines, and what earlier runs left (TIME_WAIT) "
                              "is still there.")
                   .arg(m_baseNet->name());
    }
    platform::SocketFactory *net = fresh ? &fresh->client() : m_baseNet;
    m_tap->stop();
    m_runner->setNetwork(net);
    m_monitor->setNetwork(net);
    // A new lab, or leaving one: the names and ports of its sockets (all closed by the stop
    // before this, and gone with it) mean nothing here, and a program's sockets count from p1
    // again. On this machine's network, from page to page, what the last page left (its
    // TIME_WAIT) is still there, and still named: the table says it is hidden.
    if (fresh || m_lab)
        m_monitor->clearTable();
    // The lab's wire, watched at both ends: the client's link to the router and its loopback
    // (a lesson's own listener and client talk there), and the server's link (what reached
    // the server, or left it and never reached the client). This machine's network is not
    // captured (it needs CAP_NET_RAW there, and it carries everyone's traffic).
    if (fresh) {
        QString wireWhy;
        const auto addresses = [](const char *host) {
            return platform::Lab::addressesOf(QLatin1String(host));
        };
        const QList<WireTap::Point> points{
            {net, QStringLiteral("client"), QStringLiteral("eth0"), addresses("client")},
            {net, QStringLiteral("client"), QStringLiteral("lo"), {}},
            {&fresh->server(), QStringLiteral("server"), QStringLiteral("eth0"),
             addresses("server")}};
        if (m_tap->start(points, addresses("router"), &wireWhy) != 0)
            said += u' ' + wireWhy;
    }
    // The old lab ends here: its helper exits, and its network goes with its last socket (all
    // were closed by the stop before this).
    std::swap(m_lab, fresh);
    fresh.reset();
    const bool lab = m_lab != nullptr;
    handoff::queuedCall(
        this, [this, lab, said, why] { emit networkChanged(lab, said, lab ? QString() : why); });
}

// An action outside any run gets an id of its own, so that its events belong to the page it
// was made on (a consumer keeps the events of runs after the last stop it saw).
void Engine::fault(const FaultSpec &f)
{
    const quint64 id = ++m_runIds;
    Coordinator *c = m_coordinator;
    handoff::queuedCall(c, [c, f, id] { c->fault(f, id); });
}

void Engine::pullPlug(const QString &sock)
{
    const quint64 id = ++m_runIds;
    Coordinator *c = m_coordinator;
    handoff::queuedCall(c, [c, sock, id] { c->pullPlug(sock, id); });
}

QList<platform::DiagRow> Engine::socketTable() const
{
    return m_monitor->table();
}

quint64 Engine::runFor(const platform::DiagRow &row) const
{
    return m_monitor->runFor(row);
}

QString Engine::labelFor(const platform::DiagRow &row) const
{
    return m_monitor->labelFor(row);
}

} // namespace socklab
