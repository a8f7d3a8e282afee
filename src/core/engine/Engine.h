#pragma once

#include "EventBus.h"
#include "Platform.h"
#include "Step.h"

#include <QList>
#include <QObject>
#include <QThread>

#include <atomic>
#include <memory>

namespace socklab {

class CancelHub;
class Coordinator;
class Monitor;
class StepRunner;

// The backend. Runs each run's steps in order, runs side by side (a blocking call on one
// socket never delays a call on another; calls on one socket run in the order issued), and
// reports everything it and the kernel do as events on bus(), in batches. No method blocks
// the caller; stop() ends every wait at once.
class Engine : public QObject
{
    Q_OBJECT
  public:
    // Every socket of its experiments (and its peers', and its socket table's) comes from
    // `net`; nullptr: the host's network.
    explicit Engine(QObject *parent = nullptr, platform::SocketFactory *net = nullptr);
    ~Engine() override;

    EventBus *bus() const { return m_bus; }

    // The detail of a Finished event whose run was cut short because a step it depends on
    // failed (its built-in peer did not start); the error event before it says why.
    static constexpr const char *kAbortedDetail = "aborted";

    // Queues the steps; a Finished event follows the last one (or the stop that ended them).
    // Returns the run's id, which that Finished event carries; ids of runs and stops only grow.
    quint64 run(const QList<Step> &steps);
    // Ends the running call within milliseconds, drops queued steps, closes every socket and
    // stops the built-in peer. A Cancelled event names the call it ended. Its own Finished
    // event (detail "stopped") carries the returned id, and stands for every run before it.
    quint64 stop();
    // Blackholes the live connection now: the built-in peer's side, or ours if it has none
    // (`sock`'s only, if given; every connected socket's otherwise). A message to the engine,
    // like everything else: the caller waits for nothing.
    void pullPlug(const QString &sock = {});

    bool isBusy() const { return m_pending.load() > 0; }
    QList<platform::DiagRow> socketTable() const;
    QString labelFor(const platform::DiagRow &row) const;
    quint64 runFor(const platform::DiagRow &row) const; // the run that made its socket (0: ?)

  signals:
    void socketTableChanged(const QList<socklab::platform::DiagRow> &rows);

  private:
    EventBus *m_bus;
    std::unique_ptr<CancelHub> m_hub;
    std::unique_ptr<Monitor> m_monitor;
    std::unique_ptr<StepRunner> m_runner;
    std::atomic<quint64> m_generation{0};
    std::atomic<quint64> m_runIds{0};
    std::atomic<int> m_pending{0};
    QThread m_thread;
    Coordinator *m_coordinator = nullptr; // lives on m_thread
};

} // namespace socklab
