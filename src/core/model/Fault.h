#pragma once

#include <QString>

#include <optional>

namespace socklab {

// The faults SockLab can give an experiment's network or its built-in peer, each as a real one
// would be (see Fault.cpp for what each does, and where). All but a crash need the lab.
enum class FaultKind
{
    Cable,        // the cable between client and server is pulled: nothing crosses, nobody is told
    Power,        // the server host loses power: its connections vanish, it answers nothing
    Crash,        // the server process crashes: its kernel closes its sockets (FIN or RST)
    Route,        // the router loses its route to the server (it says so: ICMP unreachable)
    FirewallDrop, // a firewall drops TCP to the server
    FirewallReject, // a firewall answers TCP to the server with RST
    Loss,           // value % of packets lost at random
    Rate,           // value kbit/s each way
    Delay           // value ms each way, value2 ms of jitter
};
inline constexpr int kFaultKinds = int(FaultKind::Delay) + 1;

// A number a fault takes: its name, unit, range and default.
struct FaultParam
{
    const char *name = nullptr; // nullptr: the fault takes none
    const char *unit = "";
    int min = 0;
    int max = 0;
    int def = 0;
};

// Everything about one fault, read by the engine, the CLI, lessons and the window.
struct FaultInfo
{
    FaultKind kind;
    const char *name;     // "cable": the CLI's --fault, a lesson's "fault"
    const char *action;   // "Pull the cable": the window's menu
    const char *repair;   // "Plug the cable back in"
    const char *made;     // the log's sentence when it is made
    const char *repaired; // and when it is repaired
    const char *explain;  // what it is and what to watch: tooltips and help
    const char *band;     // a few words for the timeline while it is made: "cable pulled"
    FaultParam value;
    FaultParam value2;
    bool needsLab;
};

const FaultInfo &faultInfo(FaultKind k);
std::optional<FaultKind> faultFromName(const QString &name);
QString faultNames(); // "cable|power|..."

// One fault to make or repair.
struct FaultSpec
{
    FaultKind kind = FaultKind::Cable;
    bool on = true; // make it; false: repair it
    int value = -1; // -1: the default
    int value2 = -1;
    double seconds = 0; // > 0: repaired by itself this long after it was made
    // A repair that comes by itself: the making it mends (the engine's count of makings of
    // this kind). If the fault was made again or mended since, the repair does nothing.
    quint64 mends = 0;

    int effectiveValue() const;
    int effectiveValue2() const;
    // Empty, or a sentence naming the value and the range it must be in.
    QString validate() const;
    // "cable", "loss 10 %", "delay 100 ms, jitter 20 ms"
    QString describe() const;
};

// Why a fault could not be made or repaired, in plain words: err is the errno (0 with
// onHostNetwork: no lab to make it in).
QString faultRefused(const FaultSpec &f, int err, bool onHostNetwork);

} // namespace socklab
