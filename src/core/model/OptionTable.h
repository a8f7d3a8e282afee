#pragma once

// The one description of every socket option SockLab sets: its kernel name, range and unit,
// its JSON key and CLI flag, when it must be set, whether a listener passes it on, the system
// setting that applies when it is not set, and what it is for. The platform layer (for the
// level and number the kernel knows it by), the engine's apply order, validation, profiles and
// lessons, the CLI, code export and the panels all read this table. Adding an option is one
// row here, a field in SocketOptions, and its number in the platform layer.

#include "Options.h"

#include <optional>

namespace socklab {

enum class OptionId
{
    ReuseAddr,
    ReusePort,
    RcvBuf,
    SndBuf,
    KeepAlive,
    KeepIdle,
    KeepIntvl,
    KeepCnt,
    UserTimeout,
    SynCnt,
    NoDelay,
    Linger,   // value: seconds, or -1 for off
    RcvTimeo, // value: milliseconds, 0 for none
    SndTimeo,
};

enum class OptionKind
{
    Flag,   // on/off (an int 0/1 to the kernel)
    Number, // an int in `range`
    Linger, // struct linger: on with a number of seconds, or off
    Timeval // struct timeval: SO_RCVTIMEO/SO_SNDTIMEO, set before each call, never by the user
};

// When the option must be set to have its effect.
enum class ApplyPhase
{
    BeforeBind,    // SO_REUSEADDR, SO_REUSEPORT
    BeforeConnect, // SO_RCVBUF (the window scale offered in the SYN), TCP_SYNCNT
    Any,           // takes effect whenever it is set
    EachCall       // the per-call timeouts: set just before the call they bound
};

// Which side of an experiment takes the option on the command line.
enum class OptionRole
{
    Both,
    Client, // connect, code
    Server  // listen
};

struct OptionDef
{
    OptionId id;
    const char *name; // the kernel's: TCP_KEEPIDLE
    bool tcpLevel;    // IPPROTO_TCP; otherwise SOL_SOCKET
    OptionKind kind;
    IntRange range;       // the kernel's range and unit (Flag: 0 to 1)
    const char *jsonKey;  // in profiles and lessons ("options"); nullptr: not set by users
    const char *cliFlag;  // --keepidle; nullptr: none
    const char *cliValue; // the flag's value name: N, MS, S; nullptr for a switch
    OptionRole role;
    ApplyPhase phase;
    bool inherited;     // a listener passes it on to the sockets it accepts (Linux copies it)
    const char *sysctl; // the system setting in force when it is not set, or nullptr
    const char *help;   // one line for --help (the range is added)
    const char *note;   // what it does and why, in plain words (exported programs' comments)
    std::optional<bool> SocketOptions::*flag = nullptr; // where SocketOptions holds it
    std::optional<int> SocketOptions::*number = nullptr;
};

// In the order the engine sets them: reuse before bind(), buffers before connect() (they decide
// the window scale offered in the SYN), then the rest. Exported programs use the same order.
inline constexpr OptionDef kOptionTable[] = {
    {OptionId::ReuseAddr,
     "SO_REUSEADDR",
     false,
     OptionKind::Flag,
     {"SO_REUSEADDR", 0, 1, ""},
     "reuseaddr",
     "reuseaddr",
     nullptr,
     OptionRole::Server,
     ApplyPhase::BeforeBind,
     true,
     nullptr,
     "Set SO_REUSEADDR before bind().",
     "Before bind(): a restarted server may bind a port that TIME_WAIT still holds.",
     &SocketOptions::reuseAddr},
    {OptionId::ReusePort,
     "SO_REUSEPORT",
     false,
     OptionKind::Flag,
     {"SO_REUSEPORT", 0, 1, ""},
     "reuseport",
     "reuseport",
     nullptr,
     OptionRole::Server,
     ApplyPhase::BeforeBind,
     true,
     nullptr,
     "Set SO_REUSEPORT before bind().",
     "Before bind(): several live sockets may bind the same port.",
     &SocketOptions::reusePort},
    {OptionId::RcvBuf,
     "SO_RCVBUF",
     false,
     OptionKind::Number,
     {"SO_RCVBUF", 1, 1073741823, "bytes"},
     "rcvbuf",
     "rcvbuf",
     "N",
     OptionRole::Both,
     ApplyPhase::BeforeConnect,
     true,
     nullptr,
     "SO_RCVBUF in bytes.",
     "The kernel doubles it to leave room for its own bookkeeping (socket(7)).",
     nullptr,
     &SocketOptions::rcvBuf},
    {OptionId::SndBuf,
     "SO_SNDBUF",
     false,
     OptionKind::Number,
     {"SO_SNDBUF", 1, 1073741823, "bytes"},
     "sndbuf",
     "sndbuf",
     "N",
     OptionRole::Both,
     ApplyPhase::Any, // the send buffer plays no part in the SYN: it may change at any time
     true,
     nullptr,
     "SO_SNDBUF in bytes.",
     "The kernel doubles this one too.",
     nullptr,
     &SocketOptions::sndBuf},
    {OptionId::KeepAlive,
     "SO_KEEPALIVE",
     false,
     OptionKind::Flag,
     {"SO_KEEPALIVE", 0, 1, ""},
     "keepalive",
     "keepalive",
     nullptr,
     OptionRole::Both,
     ApplyPhase::Any,
     true,
     nullptr,
     "Set SO_KEEPALIVE.",
     "Keepalive: after a silence the kernel probes the peer to see if it is still there.",
     &SocketOptions::keepAlive},
    {OptionId::KeepIdle,
     "TCP_KEEPIDLE",
     true,
     OptionKind::Number,
     {"TCP_KEEPIDLE", 1, 32767, "s"},
     "keepidle",
     "keepidle",
     "N",
     OptionRole::Both,
     ApplyPhase::Any,
     true,
     "net.ipv4.tcp_keepalive_time",
     "TCP_KEEPIDLE: idle seconds before the first probe",
     "Seconds of silence before the first probe.",
     nullptr,
     &SocketOptions::keepIdle},
    {OptionId::KeepIntvl,
     "TCP_KEEPINTVL",
     true,
     OptionKind::Number,
     {"TCP_KEEPINTVL", 1, 32767, "s"},
     "keepintvl",
     "keepintvl",
     "N",
     OptionRole::Both,
     ApplyPhase::Any,
     true,
     "net.ipv4.tcp_keepalive_intvl",
     "TCP_KEEPINTVL: seconds between unanswered probes",
     "Seconds between unanswered probes.",
     nullptr,
     &SocketOptions::keepIntvl},
    {OptionId::KeepCnt,
     "TCP_KEEPCNT",
     true,
     OptionKind::Number,
     {"TCP_KEEPCNT", 1, 127, "probes"},
     "keepcnt",
     "keepcnt",
     "N",
     OptionRole::Both,
     ApplyPhase::Any,
     true,
     "net.ipv4.tcp_keepalive_probes",
     "TCP_KEEPCNT: unanswered probes before the peer is declared dead",
     "Unanswered probes before the kernel declares the peer dead.",
     nullptr,
     &SocketOptions::keepCnt},
    {OptionId::UserTimeout,
     "TCP_USER_TIMEOUT",
     true,
     OptionKind::Number,
     {"TCP_USER_TIMEOUT", 0, 2147483647, "ms"},
     "user_timeout_ms",
     "user-timeout",
     "MS",
     OptionRole::Both,
     ApplyPhase::Any,
     true,
     nullptr,
     "TCP_USER_TIMEOUT in ms: how long sent data may stay unacknowledged",
     "How long sent data may stay unacknowledged before the kernel drops the connection.",
     nullptr,
     &SocketOptions::userTimeoutMs},
    {OptionId::SynCnt,
     "TCP_SYNCNT",
     true,
     OptionKind::Number,
     {"TCP_SYNCNT", 1, 127, "SYN resends"},
     "syncnt",
     "syncnt",
     "N",
     OptionRole::Client,
     ApplyPhase::BeforeConnect,
     false,
     "net.ipv4.tcp_syn_retries",
     "TCP_SYNCNT: connect()'s SYN budget, instead of net.ipv4.tcp_syn_retries; Linux turns "
     "it into a time, not a count of resends",
     "connect()'s SYN budget: Linux turns it into the time that many resends would take with "
     "the wait doubling, and connect() fails with ETIMEDOUT once that has passed.",
     nullptr,
     &SocketOptions::synCnt},
    {OptionId::NoDelay,
     "TCP_NODELAY",
     true,
     OptionKind::Flag,
     {"TCP_NODELAY", 0, 1, ""},
     "nodelay",
     "nodelay",
     nullptr,
     OptionRole::Both,
     ApplyPhase::Any,
     true,
     nullptr,
     "Set TCP_NODELAY (no Nagle).",
     "Send small segments at once instead of holding them back to coalesce (Nagle).",
     &SocketOptions::noDelay},
    {OptionId::Linger,
     "SO_LINGER",
     false,
     OptionKind::Linger,
     {"SO_LINGER", 0, 65535, "s"},
     "linger",
     "linger",
     "S",
     OptionRole::Both,
     ApplyPhase::Any,
     true,
     nullptr,
     "SO_LINGER on with S seconds (0 = close sends RST)",
     "close() waits up to this long for unsent data; 0 makes close() send RST.",
     nullptr,
     &SocketOptions::lingerSec},
    {OptionId::RcvTimeo,
     "SO_RCVTIMEO",
     false,
     OptionKind::Timeval,
     {"SO_RCVTIMEO", 0, ranges::TimeoutMaxMs, "ms"},
     nullptr,
     nullptr,
     nullptr,
     OptionRole::Both,
     ApplyPhase::EachCall,
     true,
     nullptr,
     nullptr,
     "The kernel ends a blocking recv() or accept() with EAGAIN after this long."},
    {OptionId::SndTimeo,
     "SO_SNDTIMEO",
     false,
     OptionKind::Timeval,
     {"SO_SNDTIMEO", 0, ranges::TimeoutMaxMs, "ms"},
     nullptr,
     nullptr,
     nullptr,
     OptionRole::Both,
     ApplyPhase::EachCall,
     true,
     nullptr,
     nullptr,
     "The kernel ends a blocking send() or connect() after this long (connect(): EINPROGRESS)."},
};

constexpr const OptionDef &optionDef(OptionId id)
{
    for (const OptionDef &d : kOptionTable) {
        if (d.id == id)
            return d;
    }
    return kOptionTable[0];
}

// TCP_KEEPIDLE, TCP_KEEPINTVL, TCP_KEEPCNT: the keepalive timer's parameters, each with a
// system default (net.ipv4.tcp_keepalive_*) that applies when it is not set.
bool isKeepaliveParameter(const OptionDef &d);

// The value of d in o, as the kernel takes it (a flag as 0 or 1); nullopt where o leaves the
// option to the kernel, and always for the per-call timeouts.
std::optional<qint64> optionValue(const OptionDef &d, const SocketOptions &o);

// Why `d` can no longer change on a socket that exists (a listener, or a connection made or
// being made), in a sentence; empty if setting it now still has its effect.
QString lockedOnLiveSocket(const OptionDef &d, bool listener);

// The flag a row gives on the command line, e.g. "TCP_KEEPIDLE: idle seconds before the first
// probe (from 1 to 32767 s)."
QString optionHelp(const OptionDef &d);

namespace ranges {
// The options' ranges, read from the table.
inline constexpr IntRange KeepIdle = optionDef(OptionId::KeepIdle).range;
inline constexpr IntRange KeepIntvl = optionDef(OptionId::KeepIntvl).range;
inline constexpr IntRange KeepCnt = optionDef(OptionId::KeepCnt).range;
inline constexpr IntRange UserTimeout = optionDef(OptionId::UserTimeout).range;
inline constexpr IntRange SynCnt = optionDef(OptionId::SynCnt).range;
inline constexpr IntRange Linger = optionDef(OptionId::Linger).range;
inline constexpr IntRange RcvBuf = optionDef(OptionId::RcvBuf).range;
inline constexpr IntRange SndBuf = optionDef(OptionId::SndBuf).range;
} // namespace ranges

} // namespace socklab
