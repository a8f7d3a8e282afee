#include "PacketCapture.h"

#include "Platform.h"

#include <cerrno>
#include <cstring>
#include <linux/filter.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <time.h>

namespace socklab::platform {

std::vector<sock_filter> captureFilter(int snapLen, bool loopback)
{
    // TCP over IPv4 (protocol at 14 + 9) or IPv6 (next header at 14 + 6), and the ICMP and
    // ICMPv6 errors a router or host sends about a TCP segment (IPv4 destination unreachable 3
    // and time exceeded 11, the type at 14 + the IP header's length; ICMPv6 1 and 3, at
    // 14 + 40), their first snapLen bytes: what wire::parseFrame reads, so every frame kept is
    // a row in the log. Not a link's own chatter (router solicitations, neighbour discovery,
    // ARP), which a lab's links send when they come up.
    constexpr unsigned kAccept = 16, kDrop = 17;
    const auto to = [](unsigned from, unsigned target) {
        return static_cast<unsigned char>(target - from - 1);
    };
    const std::vector<sock_filter> tcpAndErrors = {
        /* 0 */ BPF_STMT(BPF_LD | BPF_H | BPF_ABS, 12),
        /* 1 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ETH_P_IP, 0, to(1, 9)),
        /* 2 */ BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 23),
        /* 3 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, IPPROTO_TCP, to(3, kAccept), 0),
        /* 4 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, IPPROTO_ICMP, 0, to(4, kDrop)),
        /* 5 */ BPF_STMT(BPF_LDX | BPF_B | BPF_MSH, 14),
        /* 6 */ BPF_STMT(BPF_LD | BPF_B | BPF_IND, 14),
        /* 7 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 3, to(7, kAccept), 0),
        /* 8 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 11, to(8, kAccept), to(8, kDrop)),
        /* 9 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ETH_P_IPV6, 0, to(9, kDrop)),
        /* 10 */ BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 20),
        /* 11 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, IPPROTO_TCP, to(11, kAccept), 0),
        /* 12 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, IPPROTO_ICMPV6, 0, to(12, kDrop)),
        /* 13 */ BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 54),
        /* 14 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 1, to(14, kAccept), 0),
        /* 15 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 3, to(15, kAccept), to(15, kDrop)),
        /* 16 */ BPF_STMT(BPF_RET | BPF_K, unsigned(snapLen)),
        /* 17 */ BPF_STMT(BPF_RET | BPF_K, 0),
    };
    std::vector<sock_filter> program;
    // On loopback the leaving copy of each frame is dropped (it is seen arriving).
    if (loopback) {
        program.push_back(
            BPF_STMT(BPF_LD | BPF_W | BPF_ABS, unsigned(SKF_AD_OFF + SKF_AD_PKTTYPE)));
        program.push_back(
            BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, PACKET_OUTGOING, to(1, 2 + kDrop), 0));
    }
    program.insert(program.end(), tcpAndErrors.begin(), tcpAndErrors.end());
    return program;
}

int prepareCapture(int fd, int snapLen, int bufferBytes, bool loopback)
{
    std::vector<sock_filter> program = captureFilter(snapLen, loopback);
    const sock_fprog prog{static_cast<unsigned short>(program.size()), program.data()};
    if (::setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof prog) != 0)
        return errno;
    const int on = 1;
    if (::setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &on, sizeof on) != 0 ||
        ::setsockopt(fd, SOL_PACKET, PACKET_AUXDATA, &on, sizeof on) != 0 ||
        ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &bufferBytes, sizeof bufferBytes) != 0)
        return errno;
    // Frames that arrived before the filter was attached are not what it asked for.
    char scratch[64];
    while (::recv(fd, scratch, sizeof scratch, MSG_DONTWAIT) >= 0) {
    }
    captureDrops(fd);
    return 0;
}

int readFrames(int fd, QList<Frame> *out, int max)
{
    int got = 0;
    char buf[256];
    alignas(
        cmsghdr) char control[CMSG_SPACE(sizeof(timespec)) + CMSG_SPACE(sizeof(tpacket_auxdata))];
    while (got < max) {
        sockaddr_ll from{};
        iovec iov{buf, sizeof buf};
        msghdr m{};
        m.msg_name = &from;
        m.msg_namelen = sizeof from;
        m.msg_iov = &iov;
        m.msg_iovlen = 1;
        m.msg_control = control;
        m.msg_controllen = sizeof control;
        const ssize_t n = ::recvmsg(fd, &m, MSG_DONTWAIT);
        if (n < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                break;
            if (errno == EINTR)
                continue;
            return got ? got : -errno;
        }
        Frame f;
        f.outgoing = from.sll_pkttype == PACKET_OUTGOING;
        f.ifindex = from.sll_ifindex;
        f.wireLen = int(n);
        f.setBytes(QByteArrayView(buf, qMin<ssize_t>(n, sizeof buf)));
        for (cmsghdr *c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c)) {
            if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS) {
                timespec ts{};
                std::memcpy(&ts, CMSG_DATA(c), sizeof ts);
                f.realNs = qint64(ts.tv_sec) * 1000000000 + ts.tv_nsec;
            } else if (c->cmsg_level == SOL_PACKET && c->cmsg_type == PACKET_AUXDATA) {
                tpacket_auxdata aux{};
                std::memcpy(&aux, CMSG_DATA(c), sizeof aux);
                f.wireLen = int(aux.tp_len); // before the filter cut it to the snap length
            }
        }
        out->append(std::move(f));
        ++got;
    }
    return got;
}

quint64 captureDrops(int fd)
{
    tpacket_stats st{};
    socklen_t len = sizeof st;
    if (::getsockopt(fd, SOL_PACKET, PACKET_STATISTICS, &st, &len) != 0)
        return 0;
    return st.tp_drops;
}

bool waitReadable(const QList<int> &fds, int wakeFd, qint64 timeoutNs)
{
    pollfd p[8];
    int n = 0;
    for (int fd : fds) {
        if (n < 7)
            p[n++] = {fd, POLLIN, 0};
    }
    p[n++] = {wakeFd, POLLIN, 0};
    const timespec ts{time_t(timeoutNs / 1000000000), long(timeoutNs % 1000000000)};
    const int r = ::ppoll(p, nfds_t(n), &ts, nullptr);
    if (r > 0 && (p[n - 1].revents & POLLIN))
        wakeFdDrain(wakeFd);
    return r > 0;
}

} // namespace socklab::platform
