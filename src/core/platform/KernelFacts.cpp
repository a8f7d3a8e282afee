#include "KernelFacts.h"

#include "Platform.h"

#include <QHash>
#include <QMutex>
#include <QRegularExpression>

#include <algorithm>
#include <array>
#include <functional>

namespace socklab::facts {

namespace {

struct Sysctl
{
    const char *name;
    const char *unit; // appended to the value ("s"), or empty for a count
};

// The settings texts may cite, with their units.
constexpr std::array<Sysctl, 13> kSysctls{{
    {"net.ipv4.tcp_keepalive_time", "s"},
    {"net.ipv4.tcp_keepalive_intvl", "s"},
    {"net.ipv4.tcp_keepalive_probes", ""},
    {"net.ipv4.tcp_syn_retries", ""},
    {"net.ipv4.tcp_syn_linear_timeouts", ""},
    {"net.ipv4.tcp_retries2", ""},
    {"net.ipv4.tcp_fin_timeout", "s"},
    {"net.ipv4.tcp_rto_min_us", "us"},
    {"net.ipv4.tcp_rto_max_ms", "ms"},
    {"net.ipv4.ip_local_port_range", ""},
    {"net.ipv4.ip_unprivileged_port_start", ""},
    {"net.ipv4.tcp_abort_on_overflow", ""},
    {"net.core.somaxconn", ""},
}};

QString sysctlText(const Sysctl &s)
{
    const platform::KernelSetting k = platform::readSysctl(QString::fromLatin1(s.name));
    if (k.text.isEmpty())
        return QStringLiteral("(%1: not on this kernel)").arg(QLatin1String(s.name));
    const QString unit = QLatin1String(s.unit);
    return QStringLiteral("%1%2 (%3 on this machine)")
        .arg(k.text, unit.isEmpty() ? QString() : QLatin1Char(' ') + unit, QLatin1String(s.name));
}

qint64 sysctlValue(const char *name)
{
    bool ok = false;
    const qint64 v = platform::readSysctl(QString::fromLatin1(name)).text.toLongLong(&ok);
    return ok ? v : -1;
}

qint64 hz()
{
    bool ok = false;
    const qint64 v = platform::readKernelConfig(QStringLiteral("CONFIG_HZ")).text.toLongLong(&ok);
    return ok && v > 0 ? v : -1;
}

// TCP_RTO_MAX unless this kernel lets it be set (net.ipv4.tcp_rto_max_ms, Linux 6.15).
qint64 rtoMaxMs()
{
    const qint64 v = sysctlValue("net.ipv4.tcp_rto_max_ms");
    return v > 0 ? v : 120000;
}

qint64 retries2BudgetMs()
{
    const qint64 boundary = sysctlValue("net.ipv4.tcp_retries2");
    if (boundary < 0)
        return -1;
    constexpr qint64 rtoBase = 200; // TCP_RTO_MIN, ms
    const qint64 rtoMax = rtoMaxMs();
    qint64 thresh = 0;
    while ((rtoBase << (thresh + 1)) <= rtoMax)
        ++thresh; // ilog2(rtoMax / rtoBase)
    if (boundary <= thresh)
        return ((qint64(2) << boundary) - 1) * rtoBase;
    return ((qint64(2) << thresh) - 1) * rtoBase + (boundary - thresh) * rtoMax;
}

// Facts derived from the settings above, each saying how.
struct Derived
{
    const char *name;
    std::function<qint64()> value;
    std::function<QString()> text;
};

const QList<Derived> &derived()
{
    static const QList<Derived> d{
        {"keepalive_default_budget",
         [] {
             const platform::KeepaliveDefaults d = platform::readKeepaliveDefaults();
             return d.time < 0 || d.intvl < 0 || d.probes < 0
                        ? qint64(-1)
                        : qint64(d.time) + qint64(d.intvl) * d.probes;
         },
         [] {
             const platform::KeepaliveDefaults d = platform::readKeepaliveDefaults();
             if (d.time < 0 || d.intvl < 0 || d.probes < 0)
                 return QStringLiteral("(the keepalive defaults are not readable here)");
             return QStringLiteral("%1 s (tcp_keepalive_time + tcp_keepalive_intvl x "
                                   "tcp_keepalive_probes on this machine: %2 + %3 x %4)")
                 .arg(qint64(d.time) + qint64(d.intvl) * d.probes)
                 .arg(d.time)
                 .arg(d.intvl)
                 .arg(d.probes);
         }},
        {"CONFIG_HZ", [] { return hz(); },
         [] {
             const qint64 h = hz();
             return h < 0 ? QStringLiteral("(CONFIG_HZ: not readable on this machine)")
                          : QStringLiteral("%1 (CONFIG_HZ of this kernel)").arg(h);
         }},
        {"jiffy_ms", [] { return hz() > 0 ? 1000 / hz() : -1; },
         [] {
             const qint64 h = hz();
             return h < 0 ? QStringLiteral("(one jiffy: CONFIG_HZ is not readable here)")
                          : QStringLiteral("%1 ms (one jiffy: 1/CONFIG_HZ of this kernel, %2)")
                                .arg(1000.0 / double(h), 0, 'g', 3)
                                .arg(h);
         }},
        // How long the kernel retransmits unacknowledged data before ETIMEDOUT: its own model
        // (tcp_model_timeout in net/ipv4/tcp_timer.c) of tcp_retries2 resends, from
        // TCP_RTO_MIN doubling up to the maximum RTO. Counted from the first resend.
        {"retries2_budget", [] { return retries2BudgetMs() < 0 ? -1 : retries2BudgetMs() / 1000; },
         [] {
             const qint64 ms = retries2BudgetMs();
             if (ms < 0)
                 return QStringLiteral("(net.ipv4.tcp_retries2 is not readable here)");
             return QStringLiteral("about %1 s, %2 min (the kernel's model of "
                                   "net.ipv4.tcp_retries2 = %3 resends on this machine, from "
                                   "200 ms doubling up to %4 s)")
                 .arg(ms / 1000)
                 .arg(QString::number(ms / 60000.0, 'f', 1))
                 .arg(sysctlValue("net.ipv4.tcp_retries2"))
                 .arg(rtoMaxMs() / 1000);
         }},
        // Not a setting: compiled into Linux (include/net/tcp.h), the same on every machine.
        {"TCP_RTO_MIN", [] { return qint64(200); },
         [] {
             return QStringLiteral("200 ms (TCP_RTO_MIN, Linux's floor for the retransmission "
                                   "timeout unless a route or net.ipv4.tcp_rto_min_us lowers it)");
         }},
        {"TCP_TIMEWAIT_LEN", [] { return qint64(60); },
         [] { return QStringLiteral("60 s (TCP_TIMEWAIT_LEN, fixed in Linux's source)"); }},
    };
    return d;
}

// Reading /proc and the kernel config is cheap but not free (zcat): once per process.
QHash<QString, QString> &cache()
{
    static QHash<QString, QString> c;
    return c;
}
QMutex &cacheMutex()
{
    static QMutex m;
    return m;
}

} // namespace

QStringList names()
{
    QStringList out;
    for (const Sysctl &s : kSysctls)
        out << QString::fromLatin1(s.name);
    for (const Derived &d : derived())
        out << QString::fromLatin1(d.name);
    return out;
}

QString render(const QString &name)
{
    QMutexLocker lock(&cacheMutex());
    if (const auto it = cache().constFind(name); it != cache().constEnd())
        return *it;
    QString text;
    for (const Sysctl &s : kSysctls) {
        if (name == QLatin1String(s.name))
            text = sysctlText(s);
    }
    for (const Derived &d : derived()) {
        if (name == QLatin1String(d.name))
            text = d.text();
    }
    if (!text.isEmpty())
        cache().insert(name, text);
    return text;
}

qint64 value(const QString &name)
{
    for (const Sysctl &s : kSysctls) {
        if (name == QLatin1String(s.name))
            return sysctlValue(s.name);
    }
    for (const Derived &d : derived()) {
        if (name == QLatin1String(d.name))
            return d.value();
    }
    return -1;
}

QString expand(const QString &text, QString *error)
{
    static const QRegularExpression placeholder(QStringLiteral("\\{([A-Za-z0-9_.]+)\\}"));
    QString out;
    qsizetype pos = 0;
    auto it = placeholder.globalMatch(text);
    while (it.hasNext()) {
        const auto m = it.next();
        const QString r = render(m.captured(1));
        if (r.isEmpty()) {
            if (error)
                *error = QStringLiteral("{%1}: not a kernel fact SockLab can read; known: %2.")
                             .arg(m.captured(1), names().join(QStringLiteral(", ")));
            return text;
        }
        out += QStringView(text).mid(pos, m.capturedStart() - pos);
        out += r;
        pos = m.capturedEnd();
    }
    out += QStringView(text).mid(pos);
    return out;
}

qint64 timerWheelStep(qint64 jiffies)
{
    qint64 step = 1;
    for (int level = 0; level < 8 && jiffies >= (qint64(63) << (3 * level)); ++level)
        step = qint64(1) << (3 * (level + 1));
    return step;
}

qint64 pollSlackNs(qint64 ms)
{
    // A task that is not niced: 0.1 % of the timeout, at most 100 ms, at least its timer slack
    // (50 us unless it asked for another).
    return std::clamp<qint64>(ms * 1000, 50 * 1000, 100 * 1000 * 1000);
}

namespace {
QString msText(double ms)
{
    return ms < 1 ? QStringLiteral("%1 ms").arg(ms, 0, 'f', 2)
                  : QStringLiteral("%1 ms").arg(ms, 0, 'g', ms < 10 ? 2 : 3);
}
} // namespace

QString pollDeadlinePrecision(qint64 ms)
{
    return QStringLiteral("SockLab's poll deadline is kept by a timerfd in the same ppoll(), a "
                          "timer the kernel does not round: the call ends as soon as its thread "
                          "wakes, a fraction of a millisecond late on a machine that is not busy. "
                          "poll()'s own timeout, which Python's settimeout() waits with, may "
                          "fire up to %1 late at this length.")
        .arg(msText(double(pollSlackNs(ms)) / 1e6));
}

QString kernelTimeoutPrecision(qint64 ms)
{
    const qint64 h = hz();
    if (h <= 0)
        return QStringLiteral("SO_RCVTIMEO and SO_SNDTIMEO count whole jiffies on the kernel's "
                              "timer wheel; CONFIG_HZ is not readable here, so how late that is "
                              "cannot be said.");
    const qint64 jiffies = (ms * h + 999) / 1000; // the kernel rounds the timeout up
    const qint64 step = timerWheelStep(jiffies);
    const double jiffyMs = 1000.0 / double(h);
    // Rounded up to a whole jiffy, started within one, fired at the next step of its level.
    const double lateMs = double(jiffies) * jiffyMs - double(ms) + double(step + 1) * jiffyMs;
    return QStringLiteral("SO_RCVTIMEO and SO_SNDTIMEO become %1 jiffies of %2 (CONFIG_HZ %3), "
                          "on a level of the kernel's timer wheel whose step is %4 "
                          "jiffies: the call may end up to %5 late. Jiffies are counted by the "
                          "clock tick, so after a tick that came late (a busy virtual machine) "
                          "it can also end a little early.")
        .arg(jiffies)
        .arg(msText(jiffyMs))
        .arg(h)
        .arg(step)
        .arg(msText(lateMs));
}

} // namespace socklab::facts
