#include "CallReporter.h"

#include "CallContext.h"
#include "CancelToken.h"
#include "ErrnoText.h"
#include "EventBus.h"
#include "KernelFacts.h"
#include "Monitor.h"
#include "Platform.h"
#include "SocketRegistry.h"

#include <cerrno>

namespace socklab {

void stampEnd(Event &e, const CallOutcome &o)
{
    e.monoNs = o.endNs;
    e.wall = o.endWall;
}

std::optional<CallSpec> CallReporter::spec(EngineSocket &s, const QString &label, const QString &op,
                                           const Timeout &own, TimeoutMechanism m)
{
    CallSpec c;
    c.t = own;
    c.m = m;
    c.deadlineMs = s.options.deadlineMs;
    if (!c.deadlineMs)
        return c;
    const qint64 now = platform::monotonicNs();
    if (s.deadlineNs == 0)
        s.deadlineNs = now + *c.deadlineMs * 1000000LL;
    const qint64 leftMs = (s.deadlineNs - now) / 1000000LL;
    if (leftMs <= 0) {
        Event e = makeEvent(EventKind::Error, label, op);
        e.extra.insert(QStringLiteral("deadline"), *c.deadlineMs / 1000.0);
        e.extra.insert(QStringLiteral("deadline_passed"), true);
        e.detail = QStringLiteral("%1() was not called: the %2 total deadline of %3 ran out "
                                  "%4 ago, so no time is left for it.")
                       .arg(op, secondsText(*c.deadlineMs / 1000.0), label,
                            secondsText((now - s.deadlineNs) / 1e9));
        m_bus->post(e);
        return std::nullopt;
    }
    if (own.mode != Timeout::Mode::NonBlocking && (own.isForever() || own.ms > leftMs)) {
        c.t = Timeout::fromMs(leftMs);
        c.fromDeadline = true;
    }
    return c;
}

Event CallReporter::callEvent(EventKind kind, const QString &sock, const QString &op,
                              const CallSpec &c)
{
    Event e = makeEvent(kind, sock, op);
    e.timeout = c.t.seconds();
    e.timeoutNone = c.t.isForever();
    e.mechanism = mechanismName(c.m);
    if (c.deadlineMs) // the socket's total; `timeout` is what this call had
        e.extra.insert(QStringLiteral("deadline"), *c.deadlineMs / 1000.0);
    return e;
}

// Where a late timeout's lateness went, when it is worth a sentence: the time the scheduler
// counted the thread ready to run but not running (its run delay), and the rest: the timer's
// own lateness (for SO_RCVTIMEO, mostly the timer wheel's step) and the wake-up.
static QString lateness(const CallOutcome &o, double overMs)
{
    constexpr double kWorthSayingMs = 0.5;
    if (o.runDelayNs < 0 || overMs < kWorthSayingMs)
        return {};
    const double delayMs = o.runDelayNs / 1e6;
    const QString why = QStringLiteral("(its CPU busy with another thread or program or, on a "
                                       "virtual machine, not run by its host)");
    if (delayMs >= overMs)
        return QStringLiteral(" The scheduler counted %1 ms of the call in which the thread was "
                              "ready to run but not running %2.")
            .arg(QString::number(delayMs, 'f', 3), why);
    return QStringLiteral(" Of those %1 ms, the scheduler counted %2 ms in which the thread was "
                          "ready to run but not running %3; the other %4 ms were the timer's and "
                          "the wake-up's.")
        .arg(QString::number(overMs, 'f', 3), QString::number(delayMs, 'f', 3), why,
             QString::number(overMs - delayMs, 'f', 3));
}

QString CallReporter::timeoutDetail(const QString &op, const CallOutcome &o, const CallSpec &c)
{
    const Timeout &t = c.t;
    const TimeoutMechanism m = c.m;
    const double over = (o.elapsed() - t.ms / 1000.0) * 1000.0;
    // Early is the kernel's doing (SO_RCVTIMEO, SO_SNDTIMEO): it counts the timeout in
    // jiffies, and a clock tick that came late leaves that count behind the monotonic clock.
    const QString overshoot =
        (over >= 0 ? QStringLiteral(" Waited %1, %2 ms past the deadline.")
                         .arg(secondsText(o.elapsed()))
                         .arg(over, 0, 'f', 3)
                   : QStringLiteral(" Waited %1, %2 ms before the deadline: the kernel counts "
                                    "this timeout in ticks of %3, and a tick that came late "
                                    "left its count behind the clock.")
                         .arg(secondsText(o.elapsed()))
                         .arg(-over, 0, 'f', 3)
                         .arg(facts::render(QStringLiteral("jiffy_ms")))) +
        lateness(o, over);
    // What ends a connect attempt in SYN-SENT, whichever mechanism gave up on it.
    const auto synSentEnds = [] {
        return facts::expand(QStringLiteral("until it connects, its SYN budget "
                                            "({net.ipv4.tcp_syn_retries}, or TCP_SYNCNT) or "
                                            "TCP_USER_TIMEOUT runs out, or the socket is "
                                            "closed"),
                             nullptr);
    };
    const QString total =
        c.fromDeadline
            ? QStringLiteral("The total deadline (%1) ran out: this call had the %2 left of "
                             "it, less than its own timeout. ")
                  .arg(secondsText(*c.deadlineMs / 1000.0), secondsText(t.ms / 1000.0))
            : QString();
    if (m == TimeoutMechanism::Poll)
        return total +
               QStringLiteral("%1() did not complete within its %2 deadline (ppoll on the "
                              "monotonic clock, as Python's settimeout does).%3")
                   .arg(op, secondsText(t.ms / 1000.0), overshoot) +
               (op == QLatin1String("connect")
                    ? QStringLiteral(" No answer to the SYN in time; the socket was in "
                                     "SYN-SENT, where the kernel resends the SYN %1.")
                          .arg(synSentEnds())
                    : QString());
    if (op == QLatin1String("connect"))
        return total +
               QStringLiteral("SO_SNDTIMEO expired: connect() returned EINPROGRESS while the "
                              "kernel goes on resending the SYN in SYN-SENT in the background "
                              "(see the socket table) %1; a second connect() waits again and "
                              "returns EALREADY.")
                   .arg(synSentEnds()) +
               overshoot;
    return total + QStringLiteral("%1 expired: %2() returned EAGAIN. The kernel's timer wheel "
                                  "rounds a timeout up to the step of its level, in ticks of %3; "
                                  "the step grows with the timeout.%4")
                       .arg(kernelTimeoutOption(op), op, facts::render(QStringLiteral("jiffy_ms")),
                            overshoot);
}

bool CallReporter::reportOutcome(const QString &sock, const QString &op, const CallOutcome &o,
                                 const CallSpec &c)
{
    const Timeout &t = c.t;
    Event e = callEvent(EventKind::Error, sock, op, c);
    stampEnd(e, o);
    e.elapsed = o.elapsed();
    switch (o.status) {
    case CallOutcome::Status::Ok:
        return true;
    case CallOutcome::Status::Timeout:
        e.kind = EventKind::Timeout;
        e.err = c.m == TimeoutMechanism::SockOpt ? o.err : 0;
        if (o.runDelayNs >= 0)
            e.extra.insert(QStringLiteral("run_delay"), o.runDelayNs / 1e9);
        e.detail = timeoutDetail(op, o, c);
        break;
    case CallOutcome::Status::Cancelled:
        e.kind = EventKind::Cancelled;
        e.detail = QStringLiteral("%1 ended %2() after %3.")
                       .arg(callToken().who(), op, secondsText(o.elapsed()));
        break;
    case CallOutcome::Status::PeerClosed:
        e.kind = EventKind::PeerClosed;
        e.detail = QStringLiteral("%1() returned 0: the peer closed its end (FIN).").arg(op);
        break;
    case CallOutcome::Status::Error:
        if (o.err == ETIMEDOUT)
            m_monitor->refreshProbes(); // the probes behind it come first
        e.err = o.err;
        e.detail = explainErrno(o.err, op);
        if (o.err == ETIMEDOUT && c.synCnt)
            e.detail = synGiveUpText(c.synCnt);
        if (o.err == EINPROGRESS && t.mode == Timeout::Mode::NonBlocking)
            e.detail = QStringLiteral("Timeout 0 makes the socket non-blocking: connect() "
                                      "returns EINPROGRESS at once and the handshake goes "
                                      "on in the background.");
        else if (o.err == EAGAIN && t.mode == Timeout::Mode::NonBlocking)
            e.detail = QStringLiteral("Timeout 0 makes the socket non-blocking: nothing was "
                                      "ready, so %1() returned EAGAIN at once.")
                           .arg(op);
        break;
    }
    m_bus->post(e);
    return false;
}

} // namespace socklab
