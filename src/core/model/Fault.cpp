#include "Fault.h"

#include <QStringList>

#include <array>
#include <cerrno>
#include <cstring>

namespace socklab {

namespace {
// clang-format off
const std::array<FaultInfo, kFaultKinds> kFaults{{
    {FaultKind::Cable, "cable", "Pull the cable", "Plug the cable back in",
     "Cable pulled: nothing crosses between client and server any more. Neither end is told; "
     "both keep their sockets, and whatever they send is lost.",
     "Cable plugged back in: segments cross again. Each end's next retransmission or probe "
     "gets through.",
     "The router between client and server forwards nothing: a cable pulled somewhere on the "
     "path. No host is told, so no error comes back: the sender's kernel retransmits, its "
     "keepalive probes go unanswered, and only a timeout (or keepalive) ends the wait. Plug "
     "it back in before the kernel gives up and the connection carries on as if nothing "
     "happened.",
     "cable pulled",
     {}, {}, true},
    {FaultKind::Power, "power", "Cut the server's power", "Power the server back on",
     "The server lost power: its kernel forgot every connection without a FIN or RST, and it "
     "takes in and sends out nothing. The client's side is still ESTABLISHED and is not told.",
     "The server is back on. It knows none of its old connections: the client's next segment "
     "on one is answered by RST. Its service listens again.",
     "The server host goes dark: its connections vanish with its memory (nothing is sent: "
     "TCP_REPAIR, then close), and nothing goes in or out of it. Unlike a crash, the client "
     "learns nothing: only its own timeouts, retransmissions or keepalive find out. Power it "
     "back on and the client's next segment is answered by RST.",
     "server power off",
     {}, {}, true},
    {FaultKind::Crash, "crash", "Crash the server process", "Restart the server process",
     "The server process crashed: its kernel closed its sockets as it does for a process that "
     "dies, with a FIN (or a RST where data it never read was waiting), and answers new "
     "connections to its port with RST.",
     "The server process is running again and listening on its port.",
     "The built-in peer's process dies, and its kernel cleans up after it: each connection is "
     "closed (FIN; RST if unread data was waiting), and the port no longer listens. The client "
     "is told at once: recv() returns 0, or fails with ECONNRESET. Compare with a power "
     "loss, where nobody is left to tell it.",
     "server crashed",
     {}, {}, false},
    {FaultKind::Route, "route", "Remove the route to the server", "Put the route back",
     "The router lost its route to the server's network: it drops what is for the server and "
     "tells the sender so (ICMP destination unreachable).",
     "The route is back: the router forwards to the server again.",
     "Routing fails on the way: the router no longer knows where the server's network is. "
     "Unlike a pulled cable, it says so: an ICMP 'destination unreachable' goes back to the "
     "client. A connect() fails at once (ENETUNREACH); a connection already up keeps "
     "retransmitting, and if it gives up, it reports the router's error instead of "
     "ETIMEDOUT.",
     "no route to server",
     {}, {}, true},
    {FaultKind::FirewallDrop, "drop", "Firewall: drop", "Remove the firewall",
     "A firewall on the router now drops every TCP segment for the server, without a word.",
     "The firewall is gone: TCP to the server passes again.",
     "A firewall rule on the router drops TCP for the server and answers nothing: a SYN is "
     "sent again and again until connect() times out, and data on a connection already up is "
     "retransmitted unanswered. Compare with a firewall that rejects.",
     "firewall drops",
     {}, {}, true},
    {FaultKind::FirewallReject, "reject", "Firewall: reject", "Remove the firewall",
     "A firewall on the router now answers every TCP segment for the server with a RST, in "
     "the server's name.",
     "The firewall is gone: TCP to the server passes again.",
     "A firewall rule on the router answers TCP for the server with a RST it makes itself "
     "(reject with tcp reset): connect() fails at once with ECONNREFUSED, and a connection "
     "already up is reset at its next segment (ECONNRESET). Compare with a firewall that "
     "drops.",
     "firewall rejects",
     {}, {}, true},
    {FaultKind::Loss, "loss", "Lose packets", "Stop losing packets",
     "The router now drops packets at random, in both directions.",
     "The router no longer drops packets.",
     "The router drops a share of the packets it forwards, at random, both ways. TCP hides "
     "the loss from the application: the wire shows retransmissions and duplicate ACKs, "
     "calls take longer, and nothing fails until the loss is so heavy that a timeout runs "
     "out.",
     "packet loss",
     {"percent", "%", 1, 100, 10}, {}, true},
    {FaultKind::Rate, "rate", "Limit the bandwidth", "Remove the bandwidth limit",
     "The router's links now carry at most this rate each way; what is more waits in its "
     "queue.",
     "The bandwidth limit is gone.",
     "Each of the router's links carries at most this many kilobits a second (a token bucket "
     "queue, tbf). A send() returns as soon as the data is in the socket's buffer; the "
     "buffer drains at the link's rate, and a big send blocks (or times out) when it is "
     "full.",
     "bandwidth limit",
     {"rate", "kbit/s", 8, 1000000, 256}, {}, true},
    {FaultKind::Delay, "delay", "Delay packets", "Remove the delay",
     "The router's links now delay every packet, each way.",
     "The delay is gone.",
     "Each of the router's links holds every packet this long before sending it on (netem), "
     "with a random jitter if given: the round trip grows by twice the delay, and a connect "
     "or recv timeout shorter than that fails although nothing is broken.",
     "delay",
     {"delay", "ms", 1, 10000, 100}, {"jitter", "ms", 0, 10000, 0}, true},
}};
// clang-format on

QString paramText(const FaultParam &p, int v)
{
    return QStringLiteral("%1 %2 %3").arg(QLatin1String(p.name)).arg(v).arg(QLatin1String(p.unit));
}

QString rangeError(const FaultInfo &info, const FaultParam &p, int v)
{
    return QStringLiteral("The fault '%1' takes a %2 from %3 to %4 %5; %6 is outside it.")
        .arg(QLatin1String(info.name), QLatin1String(p.name))
        .arg(p.min)
        .arg(p.max)
        .arg(QLatin1String(p.unit))
        .arg(v);
}
} // namespace

const FaultInfo &faultInfo(FaultKind k)
{
    return kFaults[size_t(k)];
}

std::optional<FaultKind> faultFromName(const QString &name)
{
    for (const FaultInfo &f : kFaults) {
        if (name == QLatin1String(f.name))
            return f.kind;
    }
    return std::nullopt;
}

QString faultNames()
{
    QStringList names;
    for (const FaultInfo &f : kFaults)
        names << QLatin1String(f.name);
    return names.join(QLatin1Char('|'));
}

int FaultSpec::effectiveValue() const
{
    return value >= 0 ? value : faultInfo(kind).value.def;
}

int FaultSpec::effectiveValue2() const
{
    return value2 >= 0 ? value2 : faultInfo(kind).value2.def;
}

QString FaultSpec::validate() const
{
    const FaultInfo &info = faultInfo(kind);
    for (const auto &[p, v] : {std::pair{&info.value, value}, std::pair{&info.value2, value2}}) {
        if (v < 0)
            continue;
        if (!p->name)
            return QStringLiteral("The fault '%1' takes no value; %2 was given.")
                .arg(QLatin1String(info.name))
                .arg(v);
        if (v < p->min || v > p->max)
            return rangeError(info, *p, v);
    }
    if (seconds < 0 || seconds > 86400)
        return QStringLiteral("A fault lasts from 0 to 86400 s (0: until repaired); %1 s is "
                              "outside that.")
            .arg(seconds);
    return {};
}

QString FaultSpec::describe() const
{
    const FaultInfo &info = faultInfo(kind);
    QString s = QLatin1String(info.name);
    if (info.value.name)
        s += QLatin1Char(' ') + paramText(info.value, effectiveValue());
    if (info.value2.name && effectiveValue2() > 0)
        s += QStringLiteral(", ") + paramText(info.value2, effectiveValue2());
    return s;
}

QString faultRefused(const FaultSpec &f, int err, bool onHostNetwork)
{
    const FaultInfo &info = faultInfo(f.kind);
    if (onHostNetwork)
        return QStringLiteral("'%1' is a fault of the lab's network, and this run is on this "
                              "machine's network, where SockLab changes nothing: choose the lab "
                              "(Network: lab, or --network lab).")
            .arg(QLatin1String(info.action));
    if (err == EBUSY)
        return QStringLiteral("The router's links hold one queue at a time: remove the bandwidth "
                              "limit or the delay first, then make the other.");
    if (f.kind == FaultKind::Delay && (err == ENOENT || err == EOPNOTSUPP))
        return QStringLiteral("This kernel has no netem queue (the sch_netem module), so the lab "
                              "cannot delay packets. Stock Debian kernels have it as a module, "
                              "which root loads with 'modprobe sch_netem'.");
    return QStringLiteral("%1 failed: %2 (%3).")
        .arg(QLatin1String(f.on ? info.action : info.repair), QString::fromLocal8Bit(strerror(err)))
        .arg(err);
}

} // namespace socklab
