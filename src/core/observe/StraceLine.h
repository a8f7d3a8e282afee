#pragma once

#include <QByteArray>
#include <QByteArrayView>
#include <QList>

#include <optional>

namespace socklab {

// One line of `strace -f -ttt -T -y` output (what a traced program's system calls were), or
// the start of one: strace writes a call's name and arguments when the call enters the kernel
// and the rest when it returns, so a call that blocks is seen entering at once.
//
//   4711  1796505106.692748 poll([{fd=4<socket:[7124750]>, events=POLLIN}], 1, 1500) = 0 (Timeout)
//   <1.501751> 4711  1796505106.692748 recvfrom(4<socket:[7124750]>,           (entered, not
//   returned yet) 4712  1796505106.692801 accept4(3<socket:[7124749]>, NULL, NULL, SOCK_CLOEXEC
//   <unfinished ...> 4712  1796505107.001004 <... accept4 resumed>) = 5<socket:[7124760]>
//   <0.308203>
struct StraceLine
{
    enum class Part
    {
        Whole,   // the call and its result
        Entry,   // the call entered and has not returned (yet)
        Resumed, // the result of a call whose entry came earlier (another thread came between)
    };
    Part part = Part::Whole;
    qint64 pid = 0;
    qint64 wallNs = 0;      // Unix time strace read at the entry (of the resumption, for Resumed)
    QByteArray name;        // the system call: poll, recvfrom, connect, ...
    QByteArray args;        // as printed between the parentheses (Resumed: what followed)
    QByteArray retText;     // the return value as printed: "0", "-1", "5<socket:[77]>", "?"
    qint64 ret = 0;         // its number (-1 with an errno; 0 when not a number: "?")
    QByteArray errName;     // "EAGAIN", "ERESTARTSYS"; empty if none
    QByteArray retNote;     // what strace said of it in parentheses: "Timeout", errno's text
    qint64 durationNs = -1; // -T: time spent in the call (-1: unknown)

    bool returned() const { return part != Part::Entry; }
};

// Parses one line (without its newline), or the unfinished tail strace has written so far.
// Lines that are no system call (a signal, an exit, strace's own messages) give nullopt.
std::optional<StraceLine> parseStraceLine(QByteArrayView line);

// The inodes of the sockets a text names, in order: "4<socket:[7124750]>" gives 7124750.
QList<quint64> socketInodes(QByteArrayView text);

// The timeout a poll, ppoll, select or pselect6 waits at most, from its arguments, in
// seconds; nullopt when it has none (it waits until a descriptor is ready), and for any other
// call.
std::optional<double> waitTimeout(QByteArrayView name, QByteArrayView args);

// A socket option's timeout from setsockopt's arguments as strace shows them
// ("{tv_sec=2, tv_usec=500000}"), in seconds.
std::optional<double> timevalSeconds(QByteArrayView args);

} // namespace socklab
