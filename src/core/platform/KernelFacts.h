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

} // namespace socklab::facts
