#include "Engine.h"

#include "CancelToken.h"
#include "Coordinator.h"
#include "Monitor.h"
#include "StepRunner.h"
#include "ThreadHandoff.h"

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
    : QObject(parent), m_bus(new EventBus(this)), m_hub(std::make_unique<CancelHub>()),
      m_monitor(std::make_unique<Monitor>(m_bus, m_hub.get(), monitorOptions(net)))
{
    m_thread.setObjectName(QStringLiteral("socklab-engine"));
    m_runner = std::make_unique<StepRunner>(m_bus, m_monitor.get(), &m_generation,
                                            net ? net : &platform::hostNetwork());
    m_coordinator = new Coordinator(m_runner.get(), m_hub.get(), m_bus, &m_generation, &m_pending);
    m_coordinator->moveToThread(&m_thread);
    connect(&m_thread, &QThread::finished, m_coordinator, &QObject::deleteLater);
    m_monitor->setTableListener([this](const QList<platform::DiagRow> &rows) {
        handoff::queuedCall(this, [this, rows] { emit socketTableChanged(rows); });
    });
    m_thread.start();
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
    m_monitor.reset();
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
    const quint64 gen = m_generation.fetch_add(1) + 1;
    const quint64 id = ++m_runIds;
    m_hub->cancelAll(); // at once: every call of every run, whatever socket it is on
    m_monitor->wake();
    m_pending.fetch_add(1);
    Coordinator *c = m_coordinator;
    handoff::queuedCall(c, [c, gen, id] { c->stop(gen, id); });
    return id;
}

void Engine::pullPlug(const QString &sock)
{
    Coordinator *c = m_coordinator;
    handoff::queuedCall(c, [c, sock] { c->pullPlug(sock); });
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
