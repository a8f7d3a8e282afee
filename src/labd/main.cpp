// socklab-labd: makes SockLab's lab network without any privilege on the host, and hands out
// sockets made inside it (see LabProtocol.h for the network and what is said).
//
// unshare(CLONE_NEWUSER) is refused to a process with threads, so the lab is made by this
// small single-threaded program and not by SockLab itself. It is started with one end of a
// Unix socket; it makes a user namespace in which it holds CAP_NET_ADMIN and CAP_NET_RAW over
// networks of its own, makes the three hosts and their links, says it is ready, and then
// answers requests for sockets: a socket keeps the network namespace it was made in, so
// SockLab, in the host's network, connects, accepts and captures inside the lab with them. It
// ends when SockLab closes its end (or dies); the lab's namespaces go when the last socket
// made in them is closed.
#include "LabProtocol.h"
#include "Labd.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <libmnl/libmnl.h>
#include <linux/if_link.h>
#include <linux/if_packet.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <utility>

namespace {
using namespace socklab::lab;

int g_ns[HostCount] = {-1, -1, -1}; // each host's network namespace
mnl_socket *g_rtnl[HostCount] = {}; // an rtnetlink socket in each host's network
int g_current = -1;                 // the host whose network this process is in
unsigned g_seq = 1;

int64_t monoNs()
{
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return int64_t(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

int writeFile(const char *path, const char *text)
{
    const int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        return errno;
    const size_t len = strlen(text);
    const ssize_t n = write(fd, text, len);
    const int err = n == ssize_t(len) ? 0 : (n < 0 ? errno : EIO);
    close(fd);
    return err;
}

} // namespace

int labd::enter(uint32_t host)
{
    if (g_current == int(host))
        return 0;
    if (setns(g_ns[host], CLONE_NEWNET) != 0)
        return errno;
    g_current = int(host);
    return 0;
}

int labd::talk(uint32_t host, nlmsghdr *nlh)
{
    mnl_socket *nl = g_rtnl[host];
    nlh->nlmsg_flags |= NLM_F_REQUEST | NLM_F_ACK;
    nlh->nlmsg_seq = g_seq++;
    if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0)
        return errno;
    char buf[MNL_SOCKET_BUFFER_SIZE];
    const ssize_t n = mnl_socket_recvfrom(nl, buf, sizeof buf);
    if (n < 0)
        return errno;
    if (mnl_cb_run(buf, size_t(n), nlh->nlmsg_seq, mnl_socket_get_portid(nl), nullptr, nullptr) < 0)
        return errno;
    return 0;
}

namespace {
using labd::enter;
using labd::talk;

int linkUp(uint32_t host, unsigned index)
{
    char buf[MNL_SOCKET_BUFFER_SIZE];
    nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
    nlh->nlmsg_type = RTM_NEWLINK;
    auto *ifm = static_cast<ifinfomsg *>(mnl_nlmsg_put_extra_header(nlh, sizeof(ifinfomsg)));
    ifm->ifi_family = AF_UNSPEC;
    ifm->ifi_index = int(index);
    ifm->ifi_flags = IFF_UP;
    ifm->ifi_change = IFF_UP;
    return talk(host, nlh);
}

// A veth pair made straight into the two hosts' networks.
int makeVeth(const Interface &a, const Interface &b)
{
    char buf[MNL_SOCKET_BUFFER_SIZE];
    nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
    nlh->nlmsg_type = RTM_NEWLINK;
    nlh->nlmsg_flags = NLM_F_CREATE | NLM_F_EXCL;
    auto *ifm = static_cast<ifinfomsg *>(mnl_nlmsg_put_extra_header(nlh, sizeof(ifinfomsg)));
    ifm->ifi_family = AF_UNSPEC;
    mnl_attr_put_strz(nlh, IFLA_IFNAME, a.ifname);
    mnl_attr_put_u32(nlh, IFLA_NET_NS_FD, uint32_t(g_ns[a.host]));
    nlattr *info = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
    mnl_attr_put_strz(nlh, IFLA_INFO_KIND, "veth");
    nlattr *data = mnl_attr_nest_start(nlh, IFLA_INFO_DATA);
    nlattr *peer = mnl_attr_nest_start(nlh, VETH_INFO_PEER);
    auto *pifm = static_cast<ifinfomsg *>(mnl_nlmsg_put_extra_header(nlh, sizeof(ifinfomsg)));
    pifm->ifi_family = AF_UNSPEC;
    mnl_attr_put_strz(nlh, IFLA_IFNAME, b.ifname);
    mnl_attr_put_u32(nlh, IFLA_NET_NS_FD, uint32_t(g_ns[b.host]));
    mnl_attr_nest_end(nlh, peer);
    mnl_attr_nest_end(nlh, data);
    mnl_attr_nest_end(nlh, info);
    return talk(Router, nlh);
}

struct Bytes
{
    unsigned char b[16];
    int len;
};

Bytes parse(int family, const char *text)
{
    Bytes out{};
    out.len = family == AF_INET ? 4 : 16;
    inet_pton(family, text, out.b);
    return out;
}

int addAddress(uint32_t host, unsigned index, int family, const char *text)
{
    char buf[MNL_SOCKET_BUFFER_SIZE];
    nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
    nlh->nlmsg_type = RTM_NEWADDR;
    nlh->nlmsg_flags = NLM_F_CREATE | NLM_F_EXCL;
    auto *ifa = static_cast<ifaddrmsg *>(mnl_nlmsg_put_extra_header(nlh, sizeof(ifaddrmsg)));
    ifa->ifa_family = uint8_t(family);
    ifa->ifa_prefixlen = uint8_t(family == AF_INET ? kPrefix4 : kPrefix6);
    ifa->ifa_flags = family == AF_INET6 ? IFA_F_NODAD : 0; // usable at once, no DAD wait
    ifa->ifa_scope = RT_SCOPE_UNIVERSE;
    ifa->ifa_index = index;
    const Bytes a = parse(family, text);
    mnl_attr_put(nlh, IFA_LOCAL, size_t(a.len), a.b);
    mnl_attr_put(nlh, IFA_ADDRESS, size_t(a.len), a.b);
    return talk(host, nlh);
}

int addDefaultRoute(uint32_t host, unsigned index, int family, const char *gateway)
{
    char buf[MNL_SOCKET_BUFFER_SIZE];
    nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
    nlh->nlmsg_type = RTM_NEWROUTE;
    nlh->nlmsg_flags = NLM_F_CREATE | NLM_F_EXCL;
    auto *rtm = static_cast<rtmsg *>(mnl_nlmsg_put_extra_header(nlh, sizeof(rtmsg)));
    rtm->rtm_family = uint8_t(family);
    rtm->rtm_table = RT_TABLE_MAIN;
    rtm->rtm_protocol = RTPROT_STATIC;
    rtm->rtm_scope = RT_SCOPE_UNIVERSE;
    rtm->rtm_type = RTN_UNICAST;
    const Bytes gw = parse(family, gateway);
    mnl_attr_put(nlh, RTA_GATEWAY, size_t(gw.len), gw.b);
    mnl_attr_put_u32(nlh, RTA_OIF, index);
    return talk(host, nlh);
}

// This machine's value of each copied setting, read before the lab's networks exist ("" where
// this kernel has none).
char g_sysctl[kCopiedSysctlCount][128];

void readHostSettings()
{
    for (int i = 0; i < kCopiedSysctlCount; ++i) {
        char path[160];
        snprintf(path, sizeof path, "/proc/sys/%s", kCopiedSysctls[i]);
        g_sysctl[i][0] = '\0';
        const int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
            continue;
        const ssize_t n = read(fd, g_sysctl[i], sizeof g_sysctl[i] - 1);
        close(fd);
        g_sysctl[i][n > 0 ? n : 0] = '\0';
    }
}

struct Failure
{
    const char *stage = nullptr;
    int err = 0;
};

// Makes the user namespace, the three hosts, their links, addresses and routes.
Failure makeLab()
{
    const uid_t uid = getuid();
    const gid_t gid = getgid();
    readHostSettings();
    if (unshare(CLONE_NEWUSER | CLONE_NEWNET) != 0)
        return {"unshare", errno};
    if (const int e = writeFile("/proc/self/setgroups", "deny"); e && e != ENOENT)
        return {"setgroups", e};
    char map[64];
    snprintf(map, sizeof map, "0 %u 1", unsigned(uid));
    if (const int e = writeFile("/proc/self/uid_map", map))
        return {"uid_map", e};
    snprintf(map, sizeof map, "0 %u 1", unsigned(gid));
    if (const int e = writeFile("/proc/self/gid_map", map))
        return {"gid_map", e};
    // Each host is made from the one before, and gets its own connection hash if the one it is
    // made from says so: the first namespace, made with the user namespace, is only where the
    // first host is made from (nothing keeps it once the process has moved on).
    for (uint32_t h = Client; h < HostCount; ++h) {
        const char *const childEhash = "/proc/sys/net/ipv4/tcp_child_ehash_entries";
        if (const int e = writeFile(childEhash, kEhashEntries); e && e != ENOENT)
            return {"tcp_child_ehash_entries", e};
        if (unshare(CLONE_NEWNET) != 0)
            return {"unshare net", errno};
        g_ns[h] = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
        if (g_ns[h] < 0)
            return {"open ns", errno};
        g_current = int(h);
        // Addresses are usable at once (no duplicate address detection on a private link), and
        // the router forwards.
        for (const char *path : {"/proc/sys/net/ipv6/conf/all/accept_dad",
                                 "/proc/sys/net/ipv6/conf/default/accept_dad"}) {
            if (const int e = writeFile(path, "0"))
                return {"accept_dad", e};
        }
        // This machine's TCP settings: the lab behaves as this machine's network would.
        for (int i = 0; i < kCopiedSysctlCount; ++i) {
            if (!g_sysctl[i][0])
                continue;
            char path[160];
            snprintf(path, sizeof path, "/proc/sys/%s", kCopiedSysctls[i]);
            if (const int e = writeFile(path, g_sysctl[i]))
                return {kCopiedSysctls[i], e};
        }
        if (h == Router) {
            if (const int e = writeFile("/proc/sys/net/ipv4/ip_forward", "1"))
                return {"ip_forward", e};
            if (const int e = writeFile("/proc/sys/net/ipv6/conf/all/forwarding", "1"))
                return {"forwarding", e};
        }
        g_rtnl[h] = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC);
        if (!g_rtnl[h] || mnl_socket_bind(g_rtnl[h], 0, MNL_SOCKET_AUTOPID) < 0)
            return {"rtnetlink", errno};
        if (const int e = linkUp(h, if_nametoindex("lo")))
            return {"lo up", e};
    }
    if (const int e = makeVeth(kInterfaces[0], kInterfaces[1]))
        return {"veth", e};
    if (const int e = makeVeth(kInterfaces[2], kInterfaces[3]))
        return {"veth", e};
    unsigned index[4] = {};
    for (int i = 0; i < 4; ++i) {
        const Interface &a = kInterfaces[i];
        if (const int e = enter(a.host))
            return {"setns", e};
        index[i] = if_nametoindex(a.ifname);
        if (!index[i])
            return {"if_nametoindex", errno};
        if (const int e = linkUp(a.host, index[i]))
            return {"link up", e};
        if (const int e = addAddress(a.host, index[i], AF_INET, a.v4))
            return {"address", e};
        if (const int e = addAddress(a.host, index[i], AF_INET6, a.v6))
            return {"address", e};
    }
    // client -> router eth0, server -> router eth1
    for (const auto &[end, gw] : {std::pair{0, 1}, std::pair{3, 2}}) {
        const Interface &a = kInterfaces[end];
        for (const int family : {AF_INET, AF_INET6}) {
            const char *via = family == AF_INET ? kInterfaces[gw].v4 : kInterfaces[gw].v6;
            if (const int e = addDefaultRoute(a.host, index[end], family, via))
                return {"route", e};
        }
    }
    if (const int e = enter(Client))
        return {"setns", e};
    return {};
}

int packetSocket(const char *ifname)
{
    const unsigned index = if_nametoindex(ifname);
    if (!index)
        return -1;
    const int fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons(ETH_P_ALL));
    if (fd < 0)
        return -1;
    sockaddr_ll at{};
    at.sll_family = AF_PACKET;
    at.sll_protocol = htons(ETH_P_ALL);
    at.sll_ifindex = int(index);
    if (bind(fd, reinterpret_cast<const sockaddr *>(&at), sizeof at) != 0) {
        const int err = errno;
        close(fd);
        errno = err;
        return -1;
    }
    return fd;
}

// The answer, with the descriptor (then closed here) when there is one.
bool reply(int ctl, int err, int fd, int pid = 0)
{
    Reply r;
    r.err = err;
    r.pid = pid;
    iovec iov{&r, sizeof r};
    msghdr m{};
    m.msg_iov = &iov;
    m.msg_iovlen = 1;
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
    if (fd >= 0) {
        m.msg_control = control;
        m.msg_controllen = sizeof control;
        cmsghdr *c = CMSG_FIRSTHDR(&m);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof(int));
        memcpy(CMSG_DATA(c), &fd, sizeof fd);
    }
    ssize_t n = sendmsg(ctl, &m, MSG_NOSIGNAL);
    if (n != ssize_t(sizeof r) || fd < 0)
        return n == ssize_t(sizeof r);
    // Then this copy is closed and SockLab told so: until then its close() of the socket would
    // not be the last, and a FIN would wait for this process (a client that closes first would
    // not be the one that sends the first FIN).
    close(fd);
    const char closed = 1;
    n = send(ctl, &closed, 1, MSG_NOSIGNAL);
    return n == 1;
}

// One request and the descriptors that came with it (close-on-exec).
ssize_t receive(int ctl, Request *q, int fds[3], int *nfds)
{
    iovec iov{q, sizeof *q};
    alignas(cmsghdr) char control[CMSG_SPACE(3 * sizeof(int))] = {};
    msghdr m{};
    m.msg_iov = &iov;
    m.msg_iovlen = 1;
    m.msg_control = control;
    m.msg_controllen = sizeof control;
    const ssize_t n = recvmsg(ctl, &m, MSG_CMSG_CLOEXEC);
    *nfds = 0;
    for (cmsghdr *c = n > 0 ? CMSG_FIRSTHDR(&m) : nullptr; c; c = CMSG_NXTHDR(&m, c)) {
        if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
            continue;
        const int count = int((c->cmsg_len - CMSG_LEN(0)) / sizeof(int));
        for (int i = 0; i < count; ++i) {
            int fd;
            memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof fd);
            if (*nfds < 3)
                fds[(*nfds)++] = fd;
            else
                close(fd);
        }
    }
    return n;
}

// A Run request: the command follows in a message of its own.
int run(int ctl, const Request &q, const int fds[3], int nfds, bool reaping, int *pid, int *pidfd)
{
    static char command[kRunCommandMax];
    const ssize_t n = recv(ctl, command, sizeof command, 0);
    if (nfds != 3 || n <= 0 || !reaping) { // without SIGCHLD no status could ever be sent
        for (int i = 0; i < nfds; ++i)
            close(fds[i]);
        return n < 0 ? errno : EINVAL;
    }
    // It owns the three descriptors from here, whatever happens.
    return labd::startProgram(q.host, fds[0], fds[1], fds[2], command, size_t(n), pid, pidfd);
}

int serve(int ctl)
{
    // A program that ends says so by SIGCHLD, read here with the requests.
    sigset_t chld;
    sigemptyset(&chld);
    sigaddset(&chld, SIGCHLD);
    sigprocmask(SIG_BLOCK, &chld, nullptr);
    const int sigfd = signalfd(-1, &chld, SFD_CLOEXEC | SFD_NONBLOCK);
    for (;;) {
        pollfd p[2] = {{ctl, POLLIN, 0}, {sigfd, POLLIN, 0}};
        if (poll(p, sigfd >= 0 ? 2 : 1, -1) < 0) {
            if (errno == EINTR)
                continue;
            return 1;
        }
        if (sigfd >= 0 && (p[1].revents & POLLIN)) {
            signalfd_siginfo info;
            while (read(sigfd, &info, sizeof info) > 0) {
            }
            labd::reapPrograms();
        }
        if (!(p[0].revents & (POLLIN | POLLHUP | POLLERR)))
            continue;
        Request q;
        int fds[3];
        int nfds = 0;
        const ssize_t n = receive(ctl, &q, fds, &nfds);
        if (n == 0)
            return 0; // SockLab closed its end: the lab is no longer needed
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return 1;
        }
        if (n != ssize_t(sizeof q) || q.host >= HostCount || (nfds && q.op != Op::Run)) {
            for (int i = 0; i < nfds; ++i)
                close(fds[i]);
            if (n == ssize_t(sizeof q) && q.op == Op::Run) {
                char skip[1];
                recv(ctl, skip, sizeof skip, 0); // its command: the next request stays in step
            }
            if (!reply(ctl, EINVAL, -1))
                return 1;
            continue;
        }
        q.text[sizeof q.text - 1] = '\0';
        int fd = -1;
        int pid = 0;
        int err = q.op == Op::Run ? 0 : enter(q.host);
        if (!err) {
            switch (q.op) {
            case Op::TcpSocket:
                fd = socket(
                    q.family,
                    SOCK_STREAM | SOCK_CLOEXEC | (q.flags & kNonBlocking ? SOCK_NONBLOCK : 0), 0);
                break;
            case Op::DiagSocket:
                fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
                break;
            case Op::PacketSocket:
                fd = packetSocket(q.text);
                break;
            case Op::Fault:
                err = labd::fault(q);
                break;
            case Op::Run:
                err = run(ctl, q, fds, nfds, sigfd >= 0, &pid, &fd);
                break;
            default:
                errno = EINVAL;
                break;
            }
            if (fd < 0 && q.op != Op::Fault && q.op != Op::Run)
                err = errno;
        }
        if (!reply(ctl, err, fd, pid))
            return 1;
    }
}
} // namespace

int main(int argc, char *argv[])
{
    if (argc != 3) {
        fprintf(stderr, "%s is SockLab's lab helper; SockLab starts it.\n", kHelperName);
        return 2;
    }
    const int ctl = atoi(argv[1]);
    const pid_t parent = pid_t(atol(argv[2]));
    prctl(PR_SET_PDEATHSIG, SIGKILL); // the lab ends with SockLab, however SockLab ends
    if (getppid() != parent)
        return 1;
    // Nothing of SockLab but this socket stays open here.
    if (ctl > 3)
        close_range(3, unsigned(ctl) - 1, 0);
    close_range(unsigned(ctl) + 1, ~0U, 0);
    // posix_spawn's dup2 cleared close-on-exec: no program run in the lab may inherit it.
    fcntl(ctl, F_SETFD, FD_CLOEXEC);
    signal(SIGPIPE, SIG_IGN);
    signal(SIGINT, SIG_IGN); // Ctrl+C in a terminal is for SockLab, which ends the lab itself
    const int64_t t0 = monoNs();
    Ready ready;
    const Failure f = makeLab();
    if (f.stage) {
        ready.err = f.err;
        snprintf(ready.stage, sizeof ready.stage, "%s", f.stage);
    }
    ready.setupNs = monoNs() - t0;
    if (send(ctl, &ready, sizeof ready, MSG_NOSIGNAL) != ssize_t(sizeof ready))
        return 1;
    return f.stage ? 1 : serve(ctl);
}
