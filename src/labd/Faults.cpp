// The faults of the lab's network, each where a real one would be: the router's forwarding
// (cable, firewall, loss), its routing table (a route that disappears), the queues on its links
// (bandwidth, delay), and the server host itself (power). Rules go in with libnftables, one
// transaction each; routes and queues with rtnetlink. No shell, no `nft` or `tc` program.
#include "Labd.h"

#include <arpa/inet.h>
#include <libmnl/libmnl.h>
#include <linux/pkt_sched.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <nftables/libnftables.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>

namespace {
using namespace socklab::lab;

const Interface &serverLink()
{
    return kInterfaces[3];
} // the server's eth0
const Interface &routerToServer()
{
    return kInterfaces[2];
}
const Interface &routerToClient()
{
    return kInterfaces[1];
}

bool g_rate = false;  // a tbf queue is on the router's links
bool g_delay = false; // a netem queue is on the router's links

// One nftables transaction in a host's network: the table `table` (family and name) is made
// anew with `body`, or removed when body is empty. All or nothing.
int nft(uint32_t host, const char *table, const std::string &body)
{
    if (const int e = labd::enter(host))
        return e;
    // "add" first: deleting a table that is not there would fail, and repairing what is whole
    // does nothing.
    std::string cmd = std::string("add table ") + table + "\ndelete table " + table + "\n";
    if (!body.empty())
        cmd += std::string("add table ") + table + "\n" + body;
    nft_ctx *ctx = nft_ctx_new(NFT_CTX_DEFAULT);
    if (!ctx)
        return ENOMEM;
    nft_ctx_buffer_output(ctx);
    nft_ctx_buffer_error(ctx);
    errno = 0;
    const int rc = nft_run_cmd_from_buffer(ctx, cmd.c_str());
    int err = 0;
    if (rc != 0) {
        err = errno ? errno : EINVAL;
        fprintf(stderr, "socklab-labd: nftables refused the rule: %s",
                nft_ctx_get_error_buffer(ctx));
    }
    nft_ctx_free(ctx);
    return err;
}

std::string chain(const char *table, const char *name, const char *hook)
{
    return std::string("add chain ") + table + " " + name + " { " + hook + " }\n";
}

std::string serverMatch(bool v6)
{
    return v6 ? std::string("ip6 daddr ") + serverLink().v6
              : std::string("ip daddr ") + serverLink().v4;
}

int firewall(bool on, bool reject)
{
    const char *t = "inet socklab_firewall";
    std::string body;
    if (on) {
        body = chain(t, "forward", "type filter hook forward priority -200;");
        for (const bool v6 : {false, true})
            body += std::string("add rule ") + t + " forward " + serverMatch(v6) +
                    " meta l4proto tcp " + (reject ? "reject with tcp reset" : "drop") + "\n";
    }
    return nft(Router, t, body);
}

// The route the router has to the server's network (the one the kernel makes for the address
// of its link there), removed or put back.
int serverRoute(bool add, int family)
{
    if (const int e = labd::enter(Router))
        return e;
    const Interface &via = routerToServer();
    const unsigned index = if_nametoindex(via.ifname);
    if (!index)
        return errno;
    const bool v4 = family == AF_INET;
    const int prefix = v4 ? kPrefix4 : kPrefix6;
    unsigned char net[16] = {};
    inet_pton(family, v4 ? serverLink().v4 : serverLink().v6, net);
    for (int bit = prefix; bit < (v4 ? 32 : 128); ++bit)
        net[bit / 8] &= uint8_t(~(0x80u >> (bit % 8)));
    char buf[MNL_SOCKET_BUFFER_SIZE];
    nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
    nlh->nlmsg_type = add ? RTM_NEWROUTE : RTM_DELROUTE;
    nlh->nlmsg_flags = add ? NLM_F_CREATE | NLM_F_EXCL : 0;
    auto *rtm = static_cast<rtmsg *>(mnl_nlmsg_put_extra_header(nlh, sizeof(rtmsg)));
    rtm->rtm_family = uint8_t(family);
    rtm->rtm_dst_len = uint8_t(prefix);
    rtm->rtm_table = RT_TABLE_MAIN;
    rtm->rtm_protocol = RTPROT_KERNEL;
    rtm->rtm_scope = v4 ? RT_SCOPE_LINK : RT_SCOPE_UNIVERSE;
    rtm->rtm_type = RTN_UNICAST;
    mnl_attr_put(nlh, RTA_DST, v4 ? 4 : 16, net);
    mnl_attr_put_u32(nlh, RTA_OIF, index);
    if (add && v4) {
        unsigned char src[4];
        inet_pton(AF_INET, via.v4, src);
        mnl_attr_put(nlh, RTA_PREFSRC, 4, src);
    }
    if (add && !v4)
        mnl_attr_put_u32(nlh, RTA_PRIORITY, 256);
    const int e = labd::talk(Router, nlh);
    return e == (add ? EEXIST : ESRCH) ? 0 : e;
}

// The root queue of one of the router's links: made (kind and options) or removed.
template <typename Options>
int rootQueue(const Interface &link, const char *kind, const Options &options)
{
    if (const int e = labd::enter(link.host))
        return e;
    const unsigned index = if_nametoindex(link.ifname);
    if (!index)
        return errno;
    char buf[MNL_SOCKET_BUFFER_SIZE];
    nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
    nlh->nlmsg_type = kind ? RTM_NEWQDISC : RTM_DELQDISC;
    nlh->nlmsg_flags = kind ? NLM_F_CREATE | NLM_F_REPLACE : 0;
    auto *tc = static_cast<tcmsg *>(mnl_nlmsg_put_extra_header(nlh, sizeof(tcmsg)));
    tc->tcm_family = AF_UNSPEC;
    tc->tcm_ifindex = int(index);
    tc->tcm_parent = TC_H_ROOT;
    tc->tcm_handle = kind ? 0x10000 : 0; // 1:
    if (kind) {
        mnl_attr_put_strz(nlh, TCA_KIND, kind);
        nlattr *opt = mnl_attr_nest_start(nlh, TCA_OPTIONS);
        options(nlh);
        mnl_attr_nest_end(nlh, opt);
    }
    const int e = labd::talk(link.host, nlh);
    // Removing the queue of a link that has only its default one: nothing to repair.
    return !kind && (e == ENOENT || e == EINVAL) ? 0 : e;
}

int bothLinks(const char *kind, auto options)
{
    const Interface *links[] = {&routerToClient(), &routerToServer()};
    for (int i = 0; i < 2; ++i) {
        if (const int e = rootQueue(*links[i], kind, options)) {
            // All or nothing: the links already changed lose the new queue again.
            for (int j = 0; kind && j < i; ++j)
                rootQueue(*links[j], nullptr, options);
            return e;
        }
    }
    return 0;
}

int rate(bool on, int kbit)
{
    if (on && g_delay)
        return EBUSY;
    if (!on && !g_rate)
        return 0; // the queue on the links is not this one's (or there is none)
    const uint32_t bytes = uint32_t(std::max(1, kbit)) * 125u; // per second
    const int e = bothLinks(on ? "tbf" : nullptr, [bytes](nlmsghdr *nlh) {
        // LabProtocol.h: the bucket and the queue behind it.
        const uint32_t burst = rateBurstBytes(bytes);
        tc_tbf_qopt q{};
        q.rate.rate = bytes;
        q.rate.linklayer = TC_LINKLAYER_ETHERNET;
        q.limit = rateQueueBytes(bytes);
        mnl_attr_put(nlh, TCA_TBF_PARMS, sizeof q, &q);
        mnl_attr_put_u32(nlh, TCA_TBF_BURST, burst);
    });
    if (!e)
        g_rate = on;
    return e;
}

int delay(bool on, int ms, int jitterMs)
{
    if (on && g_rate)
        return EBUSY;
    if (!on && !g_delay)
        return 0;
    const uint64_t latency = uint64_t(std::max(0, ms)) * 1000000u;
    const uint64_t jitter = uint64_t(std::max(0, jitterMs)) * 1000000u;
    const int e = bothLinks(on ? "netem" : nullptr, [latency, jitter](nlmsghdr *nlh) {
        // netem's options: its fixed structure, then attributes (the 64-bit times in ns).
        tc_netem_qopt q{};
        q.latency = uint32_t(std::min<uint64_t>(latency >> 6, UINT32_MAX)); // in 64 ns ticks
        q.jitter = uint32_t(std::min<uint64_t>(jitter >> 6, UINT32_MAX));
        q.limit = 1000;
        void *p = mnl_nlmsg_put_extra_header(nlh, sizeof q);
        memcpy(p, &q, sizeof q);
        mnl_attr_put_u64(nlh, TCA_NETEM_LATENCY64, latency);
        mnl_attr_put_u64(nlh, TCA_NETEM_JITTER64, jitter);
    });
    if (!e)
        g_delay = on;
    return e;
}

} // namespace

int labd::fault(const Request &q)
{
    const bool on = q.flags & kFaultOn;
    switch (q.fault) {
    case NetFault::Cable: {
        const char *t = "inet socklab_cable";
        return nft(Router, t,
                   on ? chain(t, "forward", "type filter hook forward priority -300; policy drop;")
                      : std::string());
    }
    case NetFault::ServerOff: {
        // In: nothing reaches the host's link, not even ARP or neighbour discovery: the
        // router's link to it sends nothing (a dead host's network card takes nothing in, so
        // a capture on the server's link must not see a frame arrive either). A kernel without
        // netdev egress hooks (before 5.16) has the router drop what it would forward there
        // instead (ARP still passes). Out: it sends nothing, whatever timer of its kernel fires.
        const char *in = "netdev socklab_power";
        const char *fwd = "inet socklab_power_fwd";
        int e = nft(Router, in,
                    on ? chain(in, "in",
                               (std::string("type filter hook egress device \"") +
                                routerToServer().ifname + "\" priority -300; policy drop;")
                                   .c_str())
                       : std::string());
        std::string body;
        if (on && e) {
            body = chain(fwd, "forward", "type filter hook forward priority -300;");
            for (const bool v6 : {false, true})
                body += std::string("add rule ") + fwd + " forward " + serverMatch(v6) + " drop\n";
        }
        const int forward = nft(Router, fwd, body);
        if (on && e)
            e = forward;
        if (e)
            return e;
        const char *out = "inet socklab_power_out";
        return nft(Server, out,
                   on ? chain(out, "out", "type filter hook output priority -300; policy drop;")
                      : std::string());
    }
    case NetFault::Route:
        for (const int family : {AF_INET, AF_INET6}) {
            if (const int e = serverRoute(!on, family))
                return e;
        }
        return 0;
    case NetFault::FirewallDrop:
    case NetFault::FirewallReject:
        return firewall(on, q.fault == NetFault::FirewallReject);
    case NetFault::Loss: {
        if (on && (q.value < 1 || q.value > 100))
            return EINVAL;
        const char *t = "inet socklab_loss";
        std::string body;
        if (on)
            body = chain(t, "forward", "type filter hook forward priority -250;") + "add rule " +
                   t + " forward numgen random mod 100 < " + std::to_string(q.value) + " drop\n";
        return nft(Router, t, body);
    }
    case NetFault::Rate:
        return rate(on, q.value);
    case NetFault::Delay:
        return delay(on, q.value, q.value2);
    }
    return EINVAL;
}
