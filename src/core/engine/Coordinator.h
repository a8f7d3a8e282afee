#pragma once

#include "CancelToken.h"
#include "StepRunner.h"

#include <QObject>

#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <list>
#include <mutex>
#include <thread>

namespace socklab {

class EventBus;

// Lives on the engine thread and takes every request there, in the order they were made:
// gives each run its places in the lanes and a call thread, ends them all on Stop. A run gets
// a thread of its own (a call that blocks in the kernel needs one for SO_RCVTIMEO to be real),
// at most kMaxCallThreads at once; further runs wait, visibly, for one to finish. Threads
// take the next waiting run when theirs ends, and end when none is left.
class Coordinator : public QObject
{
  public:
    static constexpr int kMaxCallThreads = 128;

    Coordinator(StepRunner *runner, CancelHub *hub, EventBus *bus, std::atomic<quint64> *generation,
                std::atomic<int> *pending);
    ~Coordinator() override;

    // The engine thread only (each is a queued call from Engine).
    void submit(EngineRun r);
    // then: run on the engine thread once nothing runs and everything is closed (a network
    // switch); with it the stop is done even when a later stop was asked for meanwhile.
    void stop(quint64 gen, quint64 id, const std::function<void()> &then = {});
    // At once, outside any run; their events belong to `run`.
    void pullPlug(const QString &sock, quint64 run);
    void fault(const FaultSpec &f, quint64 run);

  private:
    struct Worker
    {
        std::thread thread;
        bool done = false; // under m_mutex: it has taken its last run and is ending
    };

    void work(Worker *self, EngineRun r);
    void reap(); // joins the threads that have ended (the engine thread only)

    StepRunner *m_runner;
    CancelHub *m_hub;
    EventBus *m_bus;
    std::atomic<quint64> *m_generation;
    std::atomic<int> *m_pending;
    CancelToken m_own; // the engine thread's own calls (a close on Stop)
    std::mutex m_mutex;
    std::condition_variable m_idle;
    std::deque<EngineRun> m_waiting;
    std::list<Worker> m_workers; // a list: a thread keeps a pointer to its entry
    int m_busy = 0;              // call threads not yet ended
};

} // namespace socklab
