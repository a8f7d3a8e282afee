#pragma once

#include "Options.h"

#include <QList>
#include <QString>

#include <functional>

#include <sys/socket.h>

namespace socklab {

class CancelToken;

// The result of one timed socket call, measured on the monotonic clock around the call.
struct CallOutcome
{
    enum class Status
    {
        Ok,
        Timeout,   // the per-call deadline passed (poll) or the kernel's SO_*TIMEO expired
        Error,     // the call failed with err
        Cancelled, // Stop ended the wait
        PeerClosed // recv returned 0: the peer sent FIN
    };
    Status status = Status::Ok;
    int err = 0; // errno; for a sockopt timeout the errno the kernel gave (EAGAIN, EINPROGRESS)
    qint64 startNs = 0;
    qint64 endNs = 0;
    double endWall = 0;      // the realtime clock read with endNs
    qint64 bytes = 0;        // bytes moved by send/recv
    int fd = -1;             // accepted descriptor
    sockaddr_storage addr{}; // accepted peer's address
    // A timed-out call's lateness has two parts: the wake-up itself (the kernel's timer, an
    // interrupt that came late) and the time, once woken, that the thread was ready to run but
    // not running: its CPU busy with another thread, or on a virtual machine not run by the
    // host. runDelayNs is the second, as the scheduler counted it during the call (its run
    // delay). -1: not measured (the call did not time out, had no deadline, or the kernel
    // keeps no run delay).
    qint64 runDelayNs = -1;
    qint64 runDelayAtStartNs = -1; // the thread's run delay when the call began; -1: not read
    int statFd = -1; // the waiting thread's statistics (its CancelToken's), for the end's reading

    double elapsed() const { return (endNs - startNs) / 1e9; }
};

struct ResolvedAddress
{
    sockaddr_storage addr{};
    socklen_t len = 0;
    int family = 0;
    QString text; // "127.0.0.1:8080", "[::1]:8080"
};

namespace ops {

QString addressText(const sockaddr *sa);
QString localAddressText(int fd);
QString peerAddressText(int fd);
quint16 localPort(int fd);

// Accepts "[::1]" as well as "::1". Numeric hosts resolve at once; names go through
// getaddrinfo on a helper thread so that Stop can end the wait. Returns 0, or a getaddrinfo
// (EAI_*) code with *error set to a plain sentence.
// At most kMaxLookups name lookups run at once (those a Stop abandoned included); past that,
// resolve() refuses with EAI_AGAIN and a sentence.
int resolve(const QString &host, quint16 port, CancelToken &cancel, QList<ResolvedAddress> *out,
            QString *error);
constexpr int kMaxLookups = 16;
int lookupsRunning(); // name lookup threads alive now
bool parseNumericAddress(const QString &host, quint16 port, ResolvedAddress *out);

int setNonBlocking(int fd, bool on);         // returns 0 or errno
int bind(int fd, const ResolvedAddress &at); // returns 0 or errno
int listen(int fd, int backlog);             // returns 0 or errno

// `underway`, if given, is called once the handshake is on its way and the socket has its
// local address (after EINPROGRESS, before the wait): with a kernel-timed (blocking) connect
// there is no such moment, and it is not called.
CallOutcome connect(int fd, const ResolvedAddress &to, const Timeout &t, TimeoutMechanism m,
                    CancelToken &cancel, const std::function<void()> &underway = {});
CallOutcome recv(int fd, char *buf, size_t len, const Timeout &t, TimeoutMechanism m,
                 CancelToken &cancel);
// Sends everything; each underlying send() gets its own deadline (a timeout is per call).
CallOutcome sendAll(int fd, const char *buf, size_t len, const Timeout &t, TimeoutMechanism m,
                    CancelToken &cancel);
CallOutcome accept(int listenFd, const Timeout &t, TimeoutMechanism m, CancelToken &cancel);

// Waits `seconds` (negative: forever) or until fd reports hang-up/error (fd < 0: no fd).
// Status Ok: the time ran out; PeerClosed: FIN seen; Error: err has the socket error.
CallOutcome idle(int fd, double seconds, CancelToken &cancel);

} // namespace ops
} // namespace socklab
