// Linux implementation of Platform.h. Uses the kernel's own headers for TCP_INFO and
// sock_diag, so it includes <linux/tcp.h> rather than <netinet/tcp.h>.
#include "Platform.h"

#include <QFile>
#include <QHash>
#include <QRegularExpression>

#include <arpa/inet.h>
#include <cerrno>
#include <cstdlib>
#include <ctime>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sock_diag.h>
#include <linux/sockios.h>
#include <linux/tcp.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <sys/utsname.h>
#include <unistd.h>
#include <zlib.h>

#include <cstring>

namespace socklab::platform {

qint64 monotonicNs()
{
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return qint64(ts.tv_sec) * 1000000000LL + ts.tv_nsec;
}

qint64 threadCpuNs()
{
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return qint64(ts.tv_sec) * 1000000000LL + ts.tv_nsec;
}

int threadStatOpen()
{
    return ::open("/proc/thread-self/schedstat", O_RDONLY | O_CLOEXEC);
}

qint64 runDelayNs(int statFd)
{
    char buf[96];
    const ssize_t n = statFd < 0 ? -1 : ::pread(statFd, buf, sizeof buf - 1, 0);
    if (n <= 0)
        return -1;
    buf[n] = 0;
    // "cpu_time_ns run_delay_ns timeslices"
    char *end = nullptr;
    std::strtoll(buf, &end, 10);
    if (end == buf)
        return -1;
    char *after = nullptr;
    const long long delay = std::strtoll(end, &after, 10);
    return after == end ? -1 : qint64(delay);
}

double wallSeconds()
{
    timespec ts{};
    clock_gettime(CLOCK_REALTIME, &ts);
    return double(ts.tv_sec) + ts.tv_nsec / 1e9;
}

Instant now()
{
    Instant at;
    at.monoNs = monotonicNs();
    at.wall = wallSeconds();
    return at;
}

void setPreciseTimerSlack()
{
    prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL);
}

int wakeFdCreate()
{
    return eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
}

void wakeFdSignal(int fd)
{
    const uint64_t one = 1;
    [[maybe_unused]] ssize_t n = ::write(fd, &one, sizeof one);
}

void wakeFdDrain(int fd)
{
    uint64_t value = 0;
    [[maybe_unused]] ssize_t n = ::read(fd, &value, sizeof value);
}

bool wakeFdWait(int fd, qint64 timeoutNs)
{
    pollfd p{fd, POLLIN, 0};
    const timespec ts{time_t(timeoutNs / 1000000000LL), long(timeoutNs % 1000000000LL)};
    if (::ppoll(&p, 1, &ts, nullptr) <= 0)
        return false;
    wakeFdDrain(fd);
    return true;
}

int alarmFdCreate()
{
    return ::timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
}

bool alarmFdSet(int fd, qint64 monoNs)
{
    const qint64 at = std::max<qint64>(monoNs, 1); // zero would disarm it
    itimerspec spec{};
    spec.it_value.tv_sec = time_t(at / 1000000000LL);
    spec.it_value.tv_nsec = long(at % 1000000000LL);
    return ::timerfd_settime(fd, TFD_TIMER_ABSTIME, &spec, nullptr) == 0;
}

void closeFd(int fd)
{
    ::close(fd); // not retried on EINTR: Linux has released the descriptor either way
}

void nameThisThread(const char *name)
{
    pthread_setname_np(pthread_self(), name);
}

void yieldThisThread(int nice)
{
    // On Linux a thread's nice value is its own (PRIO_PROCESS with a thread id); raising it
    // needs no privilege.
    setpriority(PRIO_PROCESS, id_t(gettid()), nice);
}

namespace {
struct OptionSpec
{
    OptionId id;
    int level;
    int name;
};
// The level and number the kernel knows each option by; everything else is in the table.
constexpr OptionSpec kOptions[] = {
    {OptionId::ReuseAddr, SOL_SOCKET, SO_REUSEADDR},
    {OptionId::ReusePort, SOL_SOCKET, SO_REUSEPORT},
    {OptionId::RcvBuf, SOL_SOCKET, SO_RCVBUF},
    {OptionId::SndBuf, SOL_SOCKET, SO_SNDBUF},
    {OptionId::KeepAlive, SOL_SOCKET, SO_KEEPALIVE},
    {OptionId::KeepIdle, IPPROTO_TCP, TCP_KEEPIDLE},
    {OptionId::KeepIntvl, IPPROTO_TCP, TCP_KEEPINTVL},
    {OptionId::KeepCnt, IPPROTO_TCP, TCP_KEEPCNT},
    {OptionId::UserTimeout, IPPROTO_TCP, TCP_USER_TIMEOUT},
    {OptionId::SynCnt, IPPROTO_TCP, TCP_SYNCNT},
    {OptionId::NoDelay, IPPROTO_TCP, TCP_NODELAY},
    {OptionId::Linger, SOL_SOCKET, SO_LINGER},
    {OptionId::RcvTimeo, SOL_SOCKET, SO_RCVTIMEO},
    {OptionId::SndTimeo, SOL_SOCKET, SO_SNDTIMEO},
};
static_assert(std::size(kOptions) == std::size(kOptionTable), "every option has its number");

const OptionSpec &spec(OptionId id)
{
    for (const auto &s : kOptions) {
        if (s.id == id)
            return s;
    }
    return kOptions[0];
}
} // namespace

QString optionName(OptionId id)
{
    return QString::fromLatin1(optionDef(id).name);
}

int setOption(int fd, OptionId id, qint64 value)
{
    const OptionSpec &s = spec(id);
    int rc = 0;
    if (id == OptionId::Linger) {
        linger l{};
        l.l_onoff = value >= 0 ? 1 : 0;
        l.l_linger = value >= 0 ? int(value) : 0;
        rc = setsockopt(fd, s.level, s.name, &l, sizeof l);
    } else if (id == OptionId::RcvTimeo || id == OptionId::SndTimeo) {
        timeval tv{};
        tv.tv_sec = value / 1000;
        tv.tv_usec = (value % 1000) * 1000;
        rc = setsockopt(fd, s.level, s.name, &tv, sizeof tv);
    } else {
        const int v = int(value);
        rc = setsockopt(fd, s.level, s.name, &v, sizeof v);
    }
    return rc == 0 ? 0 : errno;
}

int getOption(int fd, OptionId id, qint64 *value)
{
    const OptionSpec &s = spec(id);
    int rc = 0;
    if (id == OptionId::Linger) {
        linger l{};
        socklen_t len = sizeof l;
        rc = getsockopt(fd, s.level, s.name, &l, &len);
        *value = l.l_onoff ? l.l_linger : -1;
    } else if (id == OptionId::RcvTimeo || id == OptionId::SndTimeo) {
        timeval tv{};
        socklen_t len = sizeof tv;
        rc = getsockopt(fd, s.level, s.name, &tv, &len);
        *value = qint64(tv.tv_sec) * 1000 + tv.tv_usec / 1000;
    } else {
        int v = 0;
        socklen_t len = sizeof v;
        rc = getsockopt(fd, s.level, s.name, &v, &len);
        *value = v;
    }
    return rc == 0 ? 0 : errno;
}

bool readTcpInfo(int fd, TcpInfo *out)
{
    tcp_info ti{};
    socklen_t len = sizeof ti;
    if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len) != 0)
        return false;
    out->state = ti.tcpi_state;
    out->probes = ti.tcpi_probes;
    out->retransmits = ti.tcpi_retransmits;
    out->backoff = ti.tcpi_backoff;
    out->unacked = ti.tcpi_unacked;
    out->totalRetrans = ti.tcpi_total_retrans;
    out->lastDataSentMs = ti.tcpi_last_data_sent;
    out->lastDataRecvMs = ti.tcpi_last_data_recv;
    out->lastAckRecvMs = ti.tcpi_last_ack_recv;
    out->rtoUs = ti.tcpi_rto;
    out->segsOut = ti.tcpi_segs_out;
    out->segsIn = ti.tcpi_segs_in;
    out->dataSegsOut = ti.tcpi_data_segs_out;
    out->dataSegsIn = ti.tcpi_data_segs_in;
    out->bytesReceived = ti.tcpi_bytes_received;
    out->bytesAcked = ti.tcpi_bytes_acked;
    out->notsentBytes = ti.tcpi_notsent_bytes;
    return true;
}

QString tcpStateName(int state)
{
    static const char *const names[] = {
        "UNKNOWN", "ESTABLISHED", "SYN_SENT", "SYN_RECV", "FIN_WAIT1", "FIN_WAIT2",   "TIME_WAIT",
        "CLOSE",   "CLOSE_WAIT",  "LAST_ACK", "LISTEN",   "CLOSING",   "NEW_SYN_RECV"};
    if (state >= 0 && state < int(sizeof names / sizeof names[0]))
        return QString::fromLatin1(names[state]);
    return QStringLiteral("STATE_%1").arg(state);
}

bool isTcpClosed(int state)
{
    return state == 7; // TCP_CLOSE in the kernel's enum (include/net/tcp_states.h)
}

int attachDropFilter(int fd)
{
    sock_filter code[] = {{BPF_RET | BPF_K, 0, 0, 0}}; // accept 0 bytes: drop
    sock_fprog prog{};
    prog.len = 1;
    prog.filter = code;
    return setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof prog) == 0 ? 0 : errno;
}

int enterRepairMode(int fd)
{
    const int on = 1;
    return setsockopt(fd, IPPROTO_TCP, TCP_REPAIR, &on, sizeof on) == 0 ? 0 : errno;
}

namespace {
int readProcInt(const char *path)
{
    QFile f(QString::fromLatin1(path));
    if (!f.open(QIODevice::ReadOnly))
        return -1;
    bool ok = false;
    const int v = f.readAll().trimmed().toInt(&ok);
    return ok ? v : -1;
}
constexpr const char *kKeepTime = "/proc/sys/net/ipv4/tcp_keepalive_time";
constexpr const char *kKeepIntvl = "/proc/sys/net/ipv4/tcp_keepalive_intvl";
constexpr const char *kKeepProbes = "/proc/sys/net/ipv4/tcp_keepalive_probes";
} // namespace

qint64 unreadBytes(int fd)
{
    int n = 0;
    return ::ioctl(fd, SIOCINQ, &n) == 0 ? n : -1;
}

bool abortsOnListenOverflow()
{
    return readProcInt("/proc/sys/net/ipv4/tcp_abort_on_overflow") == 1;
}

KeepaliveDefaults readKeepaliveDefaults()
{
    return {readProcInt(kKeepTime), readProcInt(kKeepIntvl), readProcInt(kKeepProbes)};
}

KernelSetting readSysctl(const QString &name)
{
    static const QRegularExpression valid(QStringLiteral("^[a-z0-9_]+(\\.[a-z0-9_]+)+$"));
    if (!valid.match(name).hasMatch())
        return {};
    const QString path = QStringLiteral("/proc/sys/") + QString(name).replace(u'.', u'/');
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        return {{}, path};
    return {QString::fromLatin1(f.read(4096)).simplified(), path};
}

namespace {
// The whole of a gzip stream, at most 16 MiB of it (a kernel config is about 300 KB).
QByteArray gunzip(const QByteArray &in)
{
    z_stream z{};
    if (in.isEmpty() || inflateInit2(&z, 16 + MAX_WBITS) != Z_OK)
        return {};
    z.next_in = reinterpret_cast<Bytef *>(const_cast<char *>(in.constData()));
    z.avail_in = uInt(in.size());
    QByteArray out;
    char chunk[64 * 1024];
    int rc = Z_OK;
    while (rc == Z_OK && out.size() < (16 << 20)) {
        z.next_out = reinterpret_cast<Bytef *>(chunk);
        z.avail_out = sizeof chunk;
        rc = inflate(&z, Z_NO_FLUSH);
        out.append(chunk, qsizetype(sizeof chunk - z.avail_out));
    }
    inflateEnd(&z);
    return rc == Z_STREAM_END ? out : QByteArray();
}
} // namespace

KernelSetting readKernelConfig(const QString &name)
{
    utsname u{};
    ::uname(&u);
    const QString release = QString::fromLatin1(u.release);
    const QByteArray key = name.toLatin1() + '=';
    const auto find = [&](const QByteArray &config, const QString &source) -> KernelSetting {
        for (const QByteArray &line : config.split('\n')) {
            if (line.startsWith(key))
                return {QString::fromLatin1(line.mid(key.size())).trimmed(), source};
        }
        return {};
    };
    // /proc/config.gz is gzip: inflated here (zlib), never by running a program.
    QFile gz(QStringLiteral("/proc/config.gz"));
    if (gz.open(QIODevice::ReadOnly)) {
        const KernelSetting s = find(gunzip(gz.read(4 << 20)), gz.fileName());
        if (!s.text.isEmpty())
            return s;
    }
    QFile boot(QStringLiteral("/boot/config-") + release);
    if (boot.open(QIODevice::ReadOnly))
        return find(boot.readAll(), boot.fileName());
    return {};
}

QString keepaliveDefaultSource(OptionId id)
{
    const char *sysctl = optionDef(id).sysctl;
    if (!sysctl)
        return {};
    return QStringLiteral("/proc/sys/") +
           QString::fromLatin1(sysctl).replace(QLatin1Char('.'), QLatin1Char('/'));
}

QString DiagRow::key() const
{
    return QStringLiteral("%1:%2|%3:%4")
        .arg(localAddr)
        .arg(localPort)
        .arg(remoteAddr)
        .arg(remotePort);
}

QString timerName(DiagRow::Timer timer)
{
    switch (timer) {
    case DiagRow::Timer::None:
        return QStringLiteral("off");
    case DiagRow::Timer::Retransmit:
        return QStringLiteral("on");
    case DiagRow::Timer::Keepalive:
        return QStringLiteral("keepalive");
    case DiagRow::Timer::TimeWait:
        return QStringLiteral("timewait");
    case DiagRow::Timer::ZeroWindowProbe:
        return QStringLiteral("persist");
    }
    return {};
}

namespace {
QString addrString(int family, const __be32 *addr)
{
    char buf[INET6_ADDRSTRLEN] = {};
    inet_ntop(family, addr, buf, sizeof buf);
    return QString::fromLatin1(buf);
}

QString hostOf(const sockaddr_storage &ss, quint16 *port)
{
    if (ss.ss_family == AF_INET6) {
        const auto *a = reinterpret_cast<const sockaddr_in6 *>(&ss);
        *port = ntohs(a->sin6_port);
        return addrString(AF_INET6, reinterpret_cast<const __be32 *>(&a->sin6_addr));
    }
    const auto *a = reinterpret_cast<const sockaddr_in *>(&ss);
    *port = ntohs(a->sin_port);
    return addrString(AF_INET, reinterpret_cast<const __be32 *>(&a->sin_addr));
}
} // namespace

QString connectionKey(int fd, int *family, const sockaddr_storage *peer)
{
    sockaddr_storage local{}, remote{};
    socklen_t llen = sizeof local, rlen = sizeof remote;
    *family = 0;
    if (getsockname(fd, reinterpret_cast<sockaddr *>(&local), &llen) != 0)
        return {};
    *family = local.ss_family;
    if (peer)
        remote = *peer;
    else if (getpeername(fd, reinterpret_cast<sockaddr *>(&remote), &rlen) != 0)
        return {};
    DiagRow row;
    row.localAddr = hostOf(local, &row.localPort);
    row.remoteAddr = hostOf(remote, &row.remotePort);
    return row.key();
}

quint64 socketInode(int fd)
{
    struct stat st
    {
    };
    return fstat(fd, &st) == 0 ? quint64(st.st_ino) : 0;
}

namespace {

// A dump names the same few addresses thousands of times (127.0.0.1, ::1, the host's own):
// format each once and share the string.
class AddrNames
{
  public:
    QString name(int family, const __be32 *addr)
    {
        const qsizetype len = family == AF_INET6 ? 16 : 4;
        const QByteArray key = QByteArray::fromRawData(reinterpret_cast<const char *>(addr), len);
        if (const auto it = m_names.constFind(key); it != m_names.cend())
            return it.value();
        const QString s = addrString(family, addr);
        m_names.insert(QByteArray(key.constData(), len), s); // a deep copy: the key outlives addr
        return s;
    }

  private:
    QHash<QByteArray, QString> m_names;
};

// One family's dump on the sock_diag socket `nl` (which it leaves open).
int dumpFamily(int nl, int family, const QSet<quint16> &ports, QList<DiagRow> *rows,
               AddrNames *names)
{
    struct
    {
        nlmsghdr nlh;
        inet_diag_req_v2 req;
    } msg{};
    msg.nlh.nlmsg_len = sizeof msg;
    msg.nlh.nlmsg_type = SOCK_DIAG_BY_FAMILY;
    msg.nlh.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
    msg.req.sdiag_family = static_cast<__u8>(family);
    msg.req.sdiag_protocol = IPPROTO_TCP;
    msg.req.idiag_states = ~0U;
    msg.req.idiag_ext = 1 << (INET_DIAG_INFO - 1);

    sockaddr_nl kernel{};
    kernel.nl_family = AF_NETLINK;
    if (sendto(nl, &msg, sizeof msg, 0, reinterpret_cast<sockaddr *>(&kernel), sizeof kernel) < 0)
        return errno;

    alignas(nlmsghdr) char buf[32768];
    int result = 0;
    bool done = false;
    while (!done) {
        const ssize_t n = recv(nl, buf, sizeof buf, 0);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            result = errno;
            break;
        }
        if (n == 0)
            break;
        int len = int(n);
        for (auto *h = reinterpret_cast<nlmsghdr *>(buf); NLMSG_OK(h, len);
             h = NLMSG_NEXT(h, len)) {
            if (h->nlmsg_type == NLMSG_DONE) {
                done = true;
                break;
            }
            if (h->nlmsg_type == NLMSG_ERROR) {
                const auto *e = static_cast<const nlmsgerr *>(NLMSG_DATA(h));
                result = -e->error;
                done = true;
                break;
            }
            if (h->nlmsg_len < NLMSG_LENGTH(sizeof(inet_diag_msg)))
                continue;
            const auto *m = static_cast<const inet_diag_msg *>(NLMSG_DATA(h));
            const quint16 sport = ntohs(m->id.idiag_sport);
            const quint16 dport = ntohs(m->id.idiag_dport);
            if (!ports.contains(sport) && !ports.contains(dport) && !ports.contains(kAnyPort))
                continue;
            DiagRow row;
            row.family = m->idiag_family;
            row.state = m->idiag_state;
            row.localAddr = names->name(m->idiag_family, m->id.idiag_src);
            row.localPort = sport;
            row.remoteAddr = names->name(m->idiag_family, m->id.idiag_dst);
            row.remotePort = dport;
            switch (m->idiag_timer) {
            case 1:
                row.timer = DiagRow::Timer::Retransmit;
                break;
            case 2:
                row.timer = DiagRow::Timer::Keepalive;
                break;
            case 3:
                row.timer = DiagRow::Timer::TimeWait;
                break;
            case 4:
                row.timer = DiagRow::Timer::ZeroWindowProbe;
                break;
            default:
                row.timer = DiagRow::Timer::None;
            }
            row.expiresMs = m->idiag_expires;
            row.retrans = m->idiag_retrans;
            row.recvQ = m->idiag_rqueue;
            row.sendQ = m->idiag_wqueue;
            row.uid = m->idiag_uid;
            row.inode = m->idiag_inode;
            // Attributes: TCP_INFO, for the count of unanswered probes.
            int attrLen = int(h->nlmsg_len) - int(NLMSG_LENGTH(sizeof *m));
            for (auto *a = reinterpret_cast<rtattr *>(const_cast<inet_diag_msg *>(m) + 1);
                 RTA_OK(a, attrLen); a = RTA_NEXT(a, attrLen)) {
                if (a->rta_type == INET_DIAG_INFO) {
                    tcp_info ti{};
                    std::memcpy(&ti, RTA_DATA(a), std::min<size_t>(RTA_PAYLOAD(a), sizeof ti));
                    row.probes = ti.tcpi_probes;
                }
            }
            rows->append(std::move(row));
        }
    }
    return result;
}

// Both families' dumps (or those in `families`) on `nl`.
int dumpOn(int nl, const QSet<quint16> &ports, const QSet<int> &families, QList<DiagRow> *rows)
{
    AddrNames names;
    for (const int family : {AF_INET, AF_INET6}) {
        if (!families.isEmpty() && !families.contains(family))
            continue;
        if (const int e = dumpFamily(nl, family, ports, rows, &names))
            return e;
    }
    return 0;
}
} // namespace

int dumpTcpSockets(const QSet<quint16> &ports, QList<DiagRow> *rows, SocketFactory &net)
{
    return dumpTcpSockets(ports, QSet<int>(), rows, net);
}

int dumpTcpSockets(const QSet<quint16> &ports, const QSet<int> &families, QList<DiagRow> *rows,
                   SocketFactory &net)
{
    rows->clear();
    if (ports.isEmpty())
        return 0;
    const int nl = net.diagSocket();
    if (nl < 0)
        return errno;
    const int e = dumpOn(nl, ports, families, rows);
    close(nl);
    return e;
}

int DiagChannel::dump(const QSet<quint16> &ports, const QSet<int> &families, QList<DiagRow> *rows,
                      SocketFactory &net)
{
    rows->clear();
    if (ports.isEmpty())
        return 0;
    if (m_net != &net)
        reset();
    if (m_fd < 0) {
        m_fd = net.diagSocket();
        if (m_fd < 0)
            return errno;
        m_net = &net;
    }
    const int e = dumpOn(m_fd, ports, families, rows);
    if (e)
        reset(); // what the kernel has not sent of this dump must not start the next
    return e;
}

void DiagChannel::reset()
{
    if (m_fd >= 0)
        close(m_fd);
    m_fd = -1;
    m_net = nullptr;
}

namespace {
class HostNetwork final : public SocketFactory
{
  public:
    QString name() const override { return QStringLiteral("host network"); }
    int tcpSocket(int family, bool nonBlocking) override
    {
        return ::socket(family, SOCK_STREAM | SOCK_CLOEXEC | (nonBlocking ? SOCK_NONBLOCK : 0), 0);
    }
    int diagSocket() override
    {
        return ::socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
    }
    int captureSocket(const QString &ifname) override
    {
        const unsigned index = if_nametoindex(ifname.toLocal8Bit().constData());
        if (index == 0)
            return -1; // errno: ENODEV
        const int fd = ::socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons(ETH_P_ALL));
        if (fd < 0)
            return -1;
        sockaddr_ll at{};
        at.sll_family = AF_PACKET;
        at.sll_protocol = htons(ETH_P_ALL);
        at.sll_ifindex = int(index);
        if (::bind(fd, reinterpret_cast<const sockaddr *>(&at), sizeof at) != 0) {
            const int err = errno;
            ::close(fd);
            errno = err;
            return -1;
        }
        return fd;
    }
};
} // namespace

SocketFactory &hostNetwork()
{
    static HostNetwork host;
    return host;
}

} // namespace socklab::platform
