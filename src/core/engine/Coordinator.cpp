#include "Coordinator.h"

#include "CallContext.h"
#include "EventBus.h"
#include "Platform.h"
#include "ThreadHandoff.h"

#include <chrono>

namespace socklab {

Coordinator::Coordinator(StepRunner *runner, CancelHub *hub, EventBus *bus,
                         std::atomic<quint64> *generation, std::atomic<int> *pending)
    : m_runner(runner), m_hub(hub), m_bus(bus), m_generation(generation), m_pending(pending)
{
}

Coordinator::~Coordinator()
{
    // ~Engine has moved the generation on and cancelled every token.
    {
        std::lock_guard lock(m_mutex);
        m_pending->fetch_sub(int(m_waiting.size()));
        m_waiting.clear();
    }
    for (Worker &w : m_workers)
        w.thread.join();
    // The last of this thread's work; ~Engine acquires it (on memory that outlives this
    // object: TSan forgets what was released on memory once it is freed).
    handoff::release(m_pending);
}

void Coordinator::submit(EngineRun r)
{
    {
        CallScope scope(&m_own, r.id);
        m_runner->prepare(r);
    }
    reap();
    std::lock_guard lock(m_mutex);
    if (m_busy < kMaxCallThreads || r.immediate) {
        ++m_busy;
        m_workers.emplace_back();
        Worker &w = m_workers.back();
        w.thread = std::thread([this, &w, r = std::move(r)]() mutable { work(&w, std::move(r)); });
        return;
    }
    Event q;
    q.kind = EventKind::Queued;
    q.run = r.id;
    q.sock = r.steps.isEmpty() ? QString() : r.steps.first().sock;
    q.detail = QStringLiteral("All %1 call threads are running calls that have not returned; "
                              "this one starts when one of them ends (or on Stop).")
                   .arg(kMaxCallThreads);
    m_bus->post(q);
    m_waiting.push_back(std::move(r));
}

void Coordinator::stop(quint64 gen, quint64 id, const std::function<void()> &then)
{
    if (then || gen == m_generation->load()) { // otherwise a later stop does it
        {
            std::unique_lock lock(m_mutex);
            m_pending->fetch_sub(int(m_waiting.size()));
            m_waiting.clear();
            // The calls were cancelled by Engine::stop(); each returns within milliseconds.
            while (m_busy > 0) {
                if (!m_idle.wait_for(lock, std::chrono::milliseconds(5),
                                     [this] { return m_busy == 0; }))
                    m_hub->kick();
            }
        }
        reap();
        CallScope scope(&m_own, id);
        m_bus->setCurrentRun(id);
        m_runner->stopAll(id, then);
    }
    m_pending->fetch_sub(1);
}

void Coordinator::pullPlug(const QString &sock, quint64 run)
{
    CallScope scope(&m_own, run);
    const quint64 saved = m_bus->setThreadRun(run);
    m_runner->pullPlugNow(sock);
    m_bus->setThreadRun(saved);
}

void Coordinator::fault(const FaultSpec &f, quint64 run)
{
    CallScope scope(&m_own, run);
    const quint64 saved = m_bus->setThreadRun(run);
    m_runner->faultNow(f);
    m_bus->setThreadRun(saved);
}

void Coordinator::work(Worker *self, EngineRun r)
{
    platform::nameThisThread("socklab-call");
    CancelToken own;
    m_hub->add(&own);
    for (;;) {
        {
            CallScope scope(&own, r.id);
            m_bus->setCurrentRun(r.id);
            m_runner->runSteps(r);
        }
        m_pending->fetch_sub(1);
        std::lock_guard lock(m_mutex);
        if (m_waiting.empty() || r.gen != m_generation->load()) {
            --m_busy;
            self->done = true;
            m_idle.notify_all();
            break;
        }
        r = std::move(m_waiting.front());
        m_waiting.pop_front();
    }
    m_hub->remove(&own);
}

void Coordinator::reap()
{
    std::list<Worker> ended;
    {
        std::lock_guard lock(m_mutex);
        for (auto it = m_workers.begin(); it != m_workers.end();) {
            auto next = std::next(it);
            if (it->done)
                ended.splice(ended.end(), m_workers, it);
            it = next;
        }
    }
    for (Worker &w : ended)
        w.thread.join();
}

} // namespace socklab
