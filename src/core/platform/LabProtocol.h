#pragma once
// What SockLab and its lab helper (socklab-labd) say to each other over their Unix socket
// (SOCK_SEQPACKET). Plain C++: the helper has no Qt.
//
// The lab: three network namespaces in a user namespace of their own, made by the helper
// without any privilege on the host. client --- router --- server, joined by veth links:
//
//   client  eth0 192.0.2.1/24     2001:db8:1::1/64   default via 192.0.2.254
//   router  eth0 192.0.2.254/24   2001:db8:1::fe/64  (forwards between its two links)
//           eth1 198.51.100.254/24 2001:db8:2::fe/64
//   server  eth0 198.51.100.1/24  2001:db8:2::1/64   default via 198.51.100.254
//
// Addresses are from the documentation ranges (RFC 5737, RFC 3849): never routed anywhere.
#include <cstdint>

namespace socklab::lab {

enum Host : uint32_t
{
    Client = 0,
    Router = 1,
    Server = 2,
    HostCount = 3
};

constexpr const char *kHostNames[HostCount] = {"client", "router", "server"};

// Every interface of the lab but loopback: /24 and /64 prefixes. The veth links join
// kInterfaces[0]-[1] and [2]-[3]; client and server route everything through the router.
struct Interface
{
    Host host;
    const char *ifname;
    const char *v4;
    const char *v6;
};
constexpr Interface kInterfaces[] = {
    {Client, "eth0", "192.0.2.1", "2001:db8:1::1"},
    {Router, "eth0", "192.0.2.254", "2001:db8:1::fe"},
    {Router, "eth1", "198.51.100.254", "2001:db8:2::fe"},
    {Server, "eth0", "198.51.100.1", "2001:db8:2::1"},
};
// The TCP settings each lab host copies from this machine's network when it is made (a new
// network namespace starts from the kernel's built-in values): the lab runs with the values
// this machine's texts and lessons read from /proc/sys. Those this kernel lacks are skipped.
constexpr const char *kCopiedSysctls[] = {
    "net/ipv4/tcp_keepalive_time",
    "net/ipv4/tcp_keepalive_intvl",
    "net/ipv4/tcp_keepalive_probes",
    "net/ipv4/tcp_syn_retries",
    "net/ipv4/tcp_synack_retries",
    "net/ipv4/tcp_syn_linear_timeouts",
    "net/ipv4/tcp_retries1",
    "net/ipv4/tcp_retries2",
    "net/ipv4/tcp_orphan_retries",
    "net/ipv4/tcp_fin_timeout",
    "net/ipv4/tcp_abort_on_overflow",
    "net/ipv4/tcp_tw_reuse",
    "net/ipv4/tcp_timestamps",
    "net/ipv4/tcp_sack",
    "net/ipv4/tcp_window_scaling",
    "net/ipv4/tcp_rmem",
    "net/ipv4/tcp_wmem",
    "net/ipv4/tcp_max_syn_backlog",
    "net/ipv4/tcp_rto_min_us",
    "net/ipv4/tcp_early_retrans",
    "net/ipv4/tcp_thin_linear_timeouts",
    "net/ipv4/ip_local_port_range",
    "net/core/somaxconn",
    // A lab host has a connection hash of its own (kEhashEntries), whose default would allow
    // half as many TIME_WAIT sockets as it has buckets: this machine's limit instead.
    "net/ipv4/tcp_max_tw_buckets",
};
// Each lab host's own TCP connection hash table, in buckets (net.ipv4.tcp_child_ehash_entries,
// Linux 6.1). Without one a host shares this machine's (262,144 buckets here), and every dump
// of its socket table walks all of it: 3.4 ms of CPU for a refresh of a few rows, which made
// the table refresh itself every 400 ms rather than every 100. A kernel without the setting
// shares the machine's.
constexpr const char *kEhashEntries = "16384";
constexpr int kCopiedSysctlCount = int(sizeof kCopiedSysctls / sizeof kCopiedSysctls[0]);

constexpr int kPrefix4 = 24;
constexpr int kPrefix6 = 64;

enum class Op : uint32_t
{
    TcpSocket = 1,    // family, flags (kNonBlocking): a TCP socket made in that host
    DiagSocket = 2,   // a NETLINK_SOCK_DIAG socket that sees that host's TCP table
    PacketSocket = 3, // text: interface name; an AF_PACKET socket bound to it
    Fault = 4,        // fault, flags (kFaultOn), value, value2: a fault of the network made or
                      // repaired (host is ignored: each fault is where a real one would be)
    Run = 5           // a program started in that host; see below
};

// Run: the request carries three descriptors (SCM_RIGHTS): a socket the helper writes the
// program's wait status to (an int32) when it has ended, then closes; and the write ends of
// its stdout and stderr. The next message is the command: NUL-terminated strings, the number
// of arguments (decimal), the arguments, then KEY=VALUE strings added to its environment. The
// program runs in the host's network, with /dev/null as stdin, in SockLab's working directory, and
// ends with the helper. The answer carries a pidfd of it (Reply.pid is its pid); an exec that
// fails is a wait status of 127 on the status socket, after its errno (an int32) there.
constexpr int kRunCommandMax = 65536;

constexpr uint32_t kNonBlocking = 1;
constexpr uint32_t kFaultOn = 2; // Fault: make it (else repair it)

// The faults the helper makes in the lab's network (the sockets' part of a fault, such as a
// server whose connections vanish, is SockLab's). Each is repaired by the same request without
// kFaultOn; repairing what is whole does nothing.
enum class NetFault : uint32_t
{
    Cable = 1,     // the router forwards nothing: client and server are cut off, nobody is told
    ServerOff = 2, // the server host takes in and sends out nothing (its power is off)
    Route = 3,     // the router has no route to the server's network (it answers ICMP unreachable)
    FirewallDrop = 4,   // the router drops TCP to the server
    FirewallReject = 5, // the router answers TCP to the server with RST (reject with tcp reset)
    Loss = 6,           // value: % of the packets the router forwards, dropped at random
    Rate = 7,           // value: kbit/s each way (a tbf queue on each of the router's links)
    Delay = 8,          // value: ms each way, value2: jitter in ms (netem on the router's links)
};
constexpr uint32_t kNetFaultMax = 8;

// The bandwidth limit (NetFault::Rate) is a token bucket on each of the router's links: it
// holds 10 ms of the rate, at least a few full frames; the queue behind it 100 ms more. A
// segment may wait in it up to rateQueueBytes / the rate.
constexpr uint32_t rateBurstBytes(uint32_t bytesPerS)
{
    return bytesPerS / 100 > 4 * 1514 ? bytesPerS / 100 : 4 * 1514;
}
constexpr uint32_t rateQueueBytes(uint32_t bytesPerS)
{
    return rateBurstBytes(bytesPerS) + bytesPerS / 10;
}

struct Request
{
    Op op = Op::TcpSocket;
    uint32_t host = Client;
    int32_t family = 0;
    uint32_t flags = 0;
    char text[64] = {};
    NetFault fault = NetFault::Cable;
    int32_t value = 0;
    int32_t value2 = 0;
};

// The answer to a request: err 0 and one descriptor passed with it (SCM_RIGHTS), followed by a
// one-byte message once the helper has closed its own copy; or an errno and nothing more.
struct Reply
{
    int32_t err = 0;
    int32_t pid = 0; // Run: the program's process id
};

// The helper's first message, once the lab is made or it gave up: err 0, or the errno of the
// step named in `stage` ("unshare", "uid_map", "veth", ...).
struct Ready
{
    int32_t err = 0;
    char stage[64] = {};
    int64_t setupNs = 0; // how long making the lab took, from the helper's start
};

// The helper is started as: socklab-labd <control fd> <pid of SockLab>
constexpr const char *kHelperName = "socklab-labd";

} // namespace socklab::lab
