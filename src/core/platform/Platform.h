#pragma once

// Every operating-system call of the engine lives in this folder: this header
// (PlatformLinux.cpp on Linux), SocketOps.h (timed calls), CancelToken.h and KernelFacts.h, so
// another system needs one new folder, not a hunt. The built-in peers (src/core/peers) are a
// small POSIX server of their own and the stated exception; tests/checks/os_calls_in_platform.py
// fails on any other OS call in src/core.

#include "OptionTable.h"

#include <QList>
#include <QSet>
#include <QString>
#include <QStringList>

#include <cstdint>

#include <sys/socket.h>

namespace socklab::platform {

qint64 monotonicNs(); // CLOCK_MONOTONIC
qint64 threadCpuNs(); // CLOCK_THREAD_CPUTIME_ID: the CPU time the calling thread has used
// The calling thread's scheduler statistics: a descriptor of /proc/thread-self/schedstat,
// which names the thread that opened it (-1 where the kernel keeps none). Close it with
// closeFd().
int threadStatOpen();
// The time the thread whose statistics `statFd` reads has spent ready to run but not running
// (the scheduler's run delay), in ns; -1 if unknown. One pread: 0.4 us.
qint64 runDelayNs(int statFd);
double wallSeconds(); // Unix time

// Both clocks read back to back at the moment something is observed: the wall time is then
// the realtime clock's own reading, not one converted later (a clock step in between would
// move it).
struct Instant
{
    qint64 monoNs = 0;
    double wall = 0;
};
Instant now();

// Asks the kernel not to coalesce this thread's timer wake-ups (default slack is 50 us),
// so a poll deadline returns as close to its deadline as the hardware allows.
void setPreciseTimerSlack();

// Names the calling thread, so tools (top -H, the benchmark's CPU accounting) can tell it
// apart; at most 15 characters.
void nameThisThread(const char *name);

// Gives the calling thread the nice value `nice` (higher: it yields the CPU to the others), for
// work that may fall behind without harm where the window must not.
void yieldThisThread(int nice);

// A descriptor that becomes readable when signalled (eventfd on Linux).
int wakeFdCreate();
void wakeFdSignal(int fd);
void wakeFdDrain(int fd);
// Sleeps until fd is signalled (then drains it; true) or timeoutNs have passed (false).
bool wakeFdWait(int fd, qint64 timeoutNs);

// A descriptor that becomes readable at a moment of CLOCK_MONOTONIC, to the nanosecond (a
// timerfd on Linux; -1 if none can be made). alarmFdSet arms it for monoNs (a moment already
// past: readable at once); false if it could not. wakeFdDrain() makes it unreadable again.
int alarmFdCreate();
bool alarmFdSet(int fd, qint64 monoNs);

// Closes a descriptor (sockets, wake-up descriptors).
void closeFd(int fd);

// The options and everything about them: OptionTable.h. Here only how to set and read them.
using OptionId = socklab::OptionId;

// Where an experiment's descriptors come from. Every socket the engine, its built-in peers and
// its monitor open comes from one of these, so a second network needs a second implementation
// and nothing else: the host's network first; a lab network next (a helper process inside a
// network namespace creates the descriptors there and passes them back: a socket keeps the
// namespace it was created in).
class Lab;

class SocketFactory
{
  public:
    virtual ~SocketFactory() = default;
    virtual QString name() const = 0; // "host network"
    // A TCP socket (close-on-exec; non-blocking if asked): its descriptor, or -1 with errno set.
    virtual int tcpSocket(int family, bool nonBlocking) = 0;
    // A sock_diag netlink socket that sees this network's TCP table, or -1 with errno set.
    virtual int diagSocket() = 0;
    // A packet socket (AF_PACKET, SOCK_RAW, every protocol) bound to this network's interface
    // `ifname`: each frame on that link, link header first. -1 with errno set; on the host's
    // network it needs CAP_NET_RAW (EPERM for an ordinary user), inside a lab's user and
    // network namespace the lab's own capability.
    virtual int captureSocket(const QString &ifname) = 0;

    // Where the built-in peers run: this network itself, or (in the lab) its server host.
    virtual SocketFactory *peerHost() { return this; }
    // The address a built-in peer binds when told to bind loopback ("127.0.0.1" or "::1"):
    // empty keeps it; in the lab, the server host's own address, which the client reaches.
    virtual QString peerAddress(int family) const
    {
        Q_UNUSED(family);
        return {};
    }
    // The numeric addresses `name` has in this network when it names one of its hosts
    // ("server" in the lab); empty: the name is for the system's resolver.
    virtual QStringList hostAddresses(const QString &name) const
    {
        Q_UNUSED(name);
        return {};
    }
    // True for a network nothing outside it can reach (the lab): a peer on any of its
    // addresses is private.
    virtual bool isPrivate() const { return false; }
    // The lab this network is a host of, for its faults; nullptr on the host's own network.
    virtual Lab *lab() { return nullptr; }
};
// The host's own network: socket(2) in this process's network namespace.
SocketFactory &hostNetwork();

QString optionName(OptionId id);                   // SO_REUSEADDR, TCP_KEEPIDLE, ...
int setOption(int fd, OptionId id, qint64 value);  // returns 0 or errno
int getOption(int fd, OptionId id, qint64 *value); // returns 0 or errno

// The counters of TCP_INFO that the probe observer reads.
struct TcpInfo
{
    int state = 0;
    unsigned probes = 0; // keepalive or zero-window probes sent and not yet answered
    unsigned retransmits = 0;
    unsigned backoff = 0;
    unsigned unacked = 0;
    unsigned totalRetrans = 0;
    unsigned lastDataSentMs = 0;
    unsigned lastDataRecvMs = 0;
    unsigned lastAckRecvMs = 0;
    unsigned rtoUs = 0;
    quint64 segsOut = 0;
    quint64 segsIn = 0;
    quint64 dataSegsOut = 0;
    quint64 dataSegsIn = 0;
    quint64 bytesReceived = 0;
    quint64 bytesAcked = 0;
    quint32 notsentBytes = 0;
};
bool readTcpInfo(int fd, TcpInfo *info);

QString tcpStateName(int state); // ESTABLISHED, TIME_WAIT, ...
bool isTcpClosed(int state);

// Attaches a classic BPF program that returns 0, so the kernel discards every segment
// for this socket before TCP sees it (nothing is ACKed). Returns 0 or errno.
int attachDropFilter(int fd);

// Puts a TCP socket in repair mode (TCP_REPAIR, which needs CAP_NET_ADMIN in the socket's
// network namespace); its close() then releases the connection without FIN or RST, as a host
// that reboots loses it. Returns 0 or errno.
int enterRepairMode(int fd);

// Bytes received and not yet read on a TCP socket (SIOCINQ), or -1. Closing a socket that
// still holds some makes the kernel send RST instead of FIN.
qint64 unreadBytes(int fd);

// Whether the kernel answers a SYN to a listener with a full accept queue with RST
// (/proc/sys/net/ipv4/tcp_abort_on_overflow = 1) instead of dropping it (the default).
bool abortsOnListenOverflow();

struct KeepaliveDefaults
{
    int time = -1; // seconds, -1 when unreadable
    int intvl = -1;
    int probes = -1;
};
KeepaliveDefaults readKeepaliveDefaults();
QString keepaliveDefaultSource(OptionId id); // the /proc path behind a default

// A kernel setting by its sysctl name ("net.ipv4.tcp_syn_retries"): its text as the kernel
// gives it (whitespace collapsed), and the file it came from. Empty text: not readable here
// (an older kernel may not have the setting).
struct KernelSetting
{
    QString text;
    QString source;
};
KernelSetting readSysctl(const QString &name);
// A value from the running kernel's build configuration ("CONFIG_HZ"), from /proc/config.gz or
// /boot/config-<release>. Empty text where neither is available.
KernelSetting readKernelConfig(const QString &name);

// One row of the kernel's TCP socket table, as sock_diag reports it (like `ss -tano`).
struct DiagRow
{
    int family = 0;
    int state = 0;
    QString localAddr;
    quint16 localPort = 0;
    QString remoteAddr;
    quint16 remotePort = 0;
    enum class Timer
    {
        None,
        Retransmit,
        Keepalive,
        TimeWait,
        ZeroWindowProbe
    } timer = Timer::None;
    qint64 expiresMs = 0;
    int retrans = 0; // retransmit count, or probes sent for the keepalive timer
    unsigned probes = 0;
    quint32 recvQ = 0;
    quint32 sendQ = 0;
    quint32 uid = 0;
    quint64 inode = 0; // 0 for sockets no descriptor owns (TIME_WAIT)

    QString key() const; // local|remote, unique per connection
};
QString timerName(DiagRow::Timer timer);
// The DiagRow::key() of a connected socket (empty for a listener); *family is its address
// family (0 if unknown). `peer`, if given, is the address a connect() is on its way to: a
// socket in SYN-SENT has no peer name yet.
QString connectionKey(int fd, int *family, const sockaddr_storage *peer = nullptr);
// The inode that names a socket in the kernel's table (DiagRow::inode), or 0.
quint64 socketInode(int fd);

// Dumps the TCP sockets (IPv4 and IPv6) with a local or remote port in `ports` (kAnyPort in
// it: every socket, for a network where all are the experiment's, such as a program's in the
// lab). Returns 0 or errno.
inline constexpr quint16 kAnyPort = 0;
int dumpTcpSockets(const QSet<quint16> &ports, QList<DiagRow> *rows,
                   SocketFactory &net = hostNetwork());
// The same for some address families only (AF_INET, AF_INET6; empty: both). Each family is
// a walk of the kernel's whole connection hash table, so skipping one that holds nothing of
// interest halves the cost of a refresh.
int dumpTcpSockets(const QSet<quint16> &ports, const QSet<int> &families, QList<DiagRow> *rows,
                   SocketFactory &net = hostNetwork());

// A sock_diag socket kept open for the dumps of one network, for a caller that dumps again and
// again (the socket table, ten times a second). A new socket per dump costs little on this
// machine's network; in the lab each one is a round trip through the lab's helper, four per
// refresh: that made a refresh take 4 ms and the table slow itself to one every 500 ms.
// One thread at a time. It keeps the network it was opened in alive: reset() it before that
// network goes.
class DiagChannel
{
  public:
    DiagChannel() = default;
    ~DiagChannel() { reset(); }
    DiagChannel(const DiagChannel &) = delete;
    DiagChannel &operator=(const DiagChannel &) = delete;
    // dumpTcpSockets() on the kept socket for `net` (opened now if there is none, or if the
    // last was another network's; closed after an error, so the next dump starts afresh).
    int dump(const QSet<quint16> &ports, const QSet<int> &families, QList<DiagRow> *rows,
             SocketFactory &net);
    void reset();
    bool isOpen() const { return m_fd >= 0; }

  private:
    SocketFactory *m_net = nullptr;
    int m_fd = -1;
};

} // namespace socklab::platform
