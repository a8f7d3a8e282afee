#pragma once

#include <QString>

#include <optional>

namespace socklab {

// The range an option accepts, as the kernel does; shared by validation, the CLI and the GUI.
struct IntRange
{
    const char *option; // kernel name, e.g. TCP_KEEPIDLE
    qint64 min;
    qint64 max;
    const char *unit; // "s", "ms", "bytes", "probes"
};

// The socket options' own ranges are in OptionTable.h, with everything else about them.
namespace ranges {
inline constexpr IntRange Port{"port", 1, 65535, ""};
inline constexpr IntRange ListenPort{"port", 0, 65535, ""};
inline constexpr IntRange Backlog{"backlog", 1, 65535, ""};
inline constexpr qint64 TimeoutMaxMs = 86400000; // one day
// One recv() call's buffer (the CLI's --recv, a profile's recv_bytes, a lesson's bytes).
inline constexpr IntRange RecvBytes{"recv", 1, 1048576, "bytes"};
} // namespace ranges

// A per-call timeout: block forever (none), don't block at all (0), or a deadline in ms.
struct Timeout
{
    enum class Mode
    {
        Forever,
        NonBlocking,
        Deadline
    };
    Mode mode = Mode::Forever;
    qint64 ms = 0;

    static Timeout blockForever() { return {}; }
    static Timeout fromMs(qint64 ms)
    {
        return ms == 0 ? Timeout{Mode::NonBlocking, 0} : Timeout{Mode::Deadline, ms};
    }
    bool isForever() const { return mode == Mode::Forever; }
    std::optional<double> seconds() const;
    QString toString() const; // "none", "0", "1.5"
    bool operator==(const Timeout &) const = default;

    // Parses seconds ("1.5", "0.01", "0") or "none". On error returns nullopt and sets *error
    // to a sentence naming `what`, the value and the allowed range.
    static std::optional<Timeout> parse(const QString &text, const QString &what, QString *error);
};

enum class TimeoutMechanism
{
    Poll,   // non-blocking descriptor and ppoll() against a monotonic deadline (Python's way)
    SockOpt // SO_RCVTIMEO / SO_SNDTIMEO, enforced by the kernel
};
QString mechanismName(TimeoutMechanism m);
// The option that bounds call `op` under the sockopt mechanism: SO_SNDTIMEO for send and
// connect, SO_RCVTIMEO for recv and accept.
QString kernelTimeoutOption(const QString &op);
std::optional<TimeoutMechanism> mechanismFromName(const QString &name);

// Everything an experiment can set on a socket. Unset optionals are left to the kernel.
struct SocketOptions
{
    Timeout connectTimeout;
    Timeout recvTimeout;
    Timeout sendTimeout;
    Timeout acceptTimeout;
    TimeoutMechanism mechanism = TimeoutMechanism::Poll;
    // A total deadline across every call on the socket, counted from its first call (connect,
    // accept): each call runs with its own timeout or the time left, whichever is shorter.
    // Not a kernel option: the engine's, as a deadline a program keeps around its calls.
    std::optional<qint64> deadlineMs;

    std::optional<bool> reuseAddr;
    std::optional<bool> reusePort;
    std::optional<bool> keepAlive;
    std::optional<int> keepIdle;  // s
    std::optional<int> keepIntvl; // s
    std::optional<int> keepCnt;
    std::optional<int> userTimeoutMs;
    std::optional<int> synCnt; // TCP_SYNCNT: SYN resends before connect() gives up
    std::optional<bool> noDelay;
    std::optional<int> lingerSec; // SO_LINGER on with this many seconds
    std::optional<int> rcvBuf;
    std::optional<int> sndBuf;

    void setAllTimeouts(const Timeout &t);

    // Empty when every value is inside the kernel's range; otherwise the first problem.
    QString validate() const;
};

// Parses a whole number for `what` within range r; on error sets *error and returns nullopt.
std::optional<qint64> parseInteger(const QString &text, const QString &what, const IntRange &r,
                                   QString *error);
QString rangeText(const IntRange &r); // "from 1 to 32767 s"

// Parses a total deadline in seconds ("3", "0.5"): from 1 ms to a day, in whole milliseconds.
std::optional<qint64> parseDeadlineMs(const QString &text, const QString &what, QString *error);

// `text` as a message may quote it: every character that a terminal or a text widget would act
// on rather than show (C0 and C1 controls, DEL, format characters such as bidi overrides, line
// and paragraph separators, half a surrogate pair) is written as an escape (\t, \n, \r, \x1b,
// \u202e), so no message carries an escape sequence from its input.
QString visible(const QString &text);

} // namespace socklab

// Every user of the options sees the table that describes them.
#include "OptionTable.h"
