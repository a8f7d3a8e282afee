#pragma once

#include <QString>
#include <QStringList>

// Kernel facts that texts state, read from the running machine instead of written as prose.
// A lesson text says "{net.ipv4.tcp_syn_retries}" and the reader sees "6
// (net.ipv4.tcp_syn_retries on this machine)": the value and where it came from.
namespace socklab::facts {

// Every placeholder a text may use, e.g. "net.ipv4.tcp_keepalive_time", "CONFIG_HZ",
// "keepalive_default_budget" (the table in KernelFacts.cpp is the one source).
QStringList names();

// The fact as a reader sees it: value, unit and source ("7200 s (net.ipv4.tcp_keepalive_time
// on this machine)"), or that this kernel does not have it. Empty for an unknown name.
QString render(const QString &name);

// The fact's value alone, or -1 where it is not readable here (for predictions and tests).
qint64 value(const QString &name);

// Replaces every {name} in text with render(name). An unknown name sets *error (naming it and
// the known ones) and leaves the text as it was.
QString expand(const QString &text, QString *error);

// How late a call's own timeout may end on this machine at a timeout of `ms`, one sentence per
// way of keeping it, with this machine's numbers.
// SockLab's poll deadline (a timerfd in the poll set, which the kernel does not round), and
// poll()'s own timeout, which Python's settimeout() uses (0.1 % slack, at least the thread's
// 50 us timer slack, at most 100 ms).
QString pollDeadlinePrecision(qint64 ms);
// SO_RCVTIMEO / SO_SNDTIMEO: whole jiffies, on the kernel's timer wheel (its step at this length,
// from CONFIG_HZ).
QString kernelTimeoutPrecision(qint64 ms);
// The step of the kernel's timer wheel for a timer `jiffies` ahead, in jiffies: 1 up to 62
// jiffies, 8 up to 503, 64 up to 4,031, then 8 times more for each 8 times longer
// (kernel/time/timer.c: 64 buckets a level, each level 8 times coarser).
qint64 timerWheelStep(qint64 jiffies);
// The most poll()'s own timeout may run late at `ms` (select_estimate_accuracy), in ns.
qint64 pollSlackNs(qint64 ms);

} // namespace socklab::facts
