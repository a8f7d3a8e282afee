#pragma once

#include "CallSpec.h"
#include "OptionTable.h"

#include <QString>

namespace socklab {

class EventBus;
struct EngineSocket;

// Sets a socket's options in the option table's order, reads each back from the kernel and
// reports both (option_set; an error names the option when the kernel refuses it).
class OptionApplier
{
  public:
    explicit OptionApplier(EventBus *bus) : m_bus(bus) {}

    // One option. False (and an error event) if the kernel refused it.
    bool apply(int fd, const QString &sock, OptionId id, qint64 value);
    // Every option `o` sets, in the table's order (reuse before bind, buffers before
    // connect); keepalive parameters it leaves unset are reported with the system's values.
    bool applyAll(int fd, const QString &sock, const SocketOptions &o);
    // The options given with a call on a live socket (the panels' when it was pressed): each
    // that takes effect at any time and differs from what the socket has is set now, or set
    // back to the kernel's default if `now` leaves it unset (option_set, read back); each that
    // counts only before bind() or connect() stays as it is, and an info event says so, once
    // per value asked for. Updates s.options. True if a keepalive setting changed.
    bool applyLive(EngineSocket &s, const QString &sock, const SocketOptions &now);
    // What an accepted socket got from its listener's options.
    void reportInherited(int fd, const QString &sock, const SocketOptions &listenerOpts);
    // In sockopt mode the kernel enforces the timeout, so each call gets its own value set
    // just before it (SO_SNDTIMEO also bounds connect(), SO_RCVTIMEO also accept()). `id`:
    // RcvTimeo or SndTimeo. False if the kernel refused it.
    bool armKernelTimeout(EngineSocket &s, const QString &label, OptionId id, const CallSpec &c);

    static int effectiveKeepIdle(int fd);

  private:
    void reportKeepaliveDefaults(int fd, const QString &sock, const SocketOptions &o);

    EventBus *m_bus;
};

} // namespace socklab
