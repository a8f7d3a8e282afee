#pragma once

#include "CallSpec.h"
#include "Event.h"
#include "SocketOps.h"

#include <QString>

#include <optional>

namespace socklab {

class EventBus;
class Monitor;
struct EngineSocket;

// What a call runs with, and what its events say: the timeout it gets (its own or what is
// left of the socket's total deadline), the event that starts it, and the event and plain
// sentence for how it ended (timeout, error, cancelled, the peer's close).
class CallReporter
{
  public:
    CallReporter(EventBus *bus, Monitor *monitor) : m_bus(bus), m_monitor(monitor) {}

    // The spec of a call `op` on s with its own timeout `own` and mechanism `m` (the socket's,
    // or the one given with the call). With a deadline, the deadline's clock starts at the
    // socket's first call and the call gets its own timeout or the time left, whichever is
    // shorter. nullopt when the deadline has run out: then no call is made, and an error says
    // so (a program that keeps a deadline raises before calling).
    std::optional<CallSpec> spec(EngineSocket &s, const QString &label, const QString &op,
                                 const Timeout &own, TimeoutMechanism m);

    // An event about a call, carrying the timeout and mechanism it runs with.
    static Event callEvent(EventKind kind, const QString &sock, const QString &op,
                           const CallSpec &c);

    // Reports the outcome of a call that did not succeed; true (and nothing posted) if it did.
    bool reportOutcome(const QString &sock, const QString &op, const CallOutcome &o,
                       const CallSpec &c);

    // Why a call timed out, by mechanism and call, with how late it returned.
    static QString timeoutDetail(const QString &op, const CallOutcome &o, const CallSpec &c);

  private:
    EventBus *m_bus;
    Monitor *m_monitor;
};

// An event observed when a call returned: both clocks as the call read them.
void stampEnd(Event &e, const CallOutcome &o);

} // namespace socklab
