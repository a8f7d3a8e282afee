#pragma once

#include <QByteArray>
#include <QByteArrayView>
#include <QHash>
#include <QString>

#include <array>

// TCP segments as a capture sees them, and what TCP says each one means: the wire view's
// reading of the frames on a lab's links. Pure logic: no OS call, no clock.
namespace socklab::wire {

// One direction of a connection, by its addresses' bytes and ports (IPv4: the first 4 bytes):
// what per-frame tables are keyed by, so that looking one up makes no text.
struct FlowKey
{
    int family = 0;
    std::array<quint8, 16> src{}, dst{};
    quint16 sport = 0, dport = 0;
    bool operator==(const FlowKey &) const = default;
    FlowKey reversed() const { return {family, dst, src, dport, sport}; }
};
inline size_t qHash(const FlowKey &k, size_t seed = 0)
{
    return qHashMulti(seed, qHashBits(k.src.data(), k.src.size()),
                      qHashBits(k.dst.data(), k.dst.size()), k.family, k.sport, k.dport);
}

struct Segment
{
    int family = 0;   // AF_INET or AF_INET6
    QString src, dst; // addresses as text ("192.0.2.1", "2001:db8:2::1")
    quint16 sport = 0, dport = 0;
    FlowKey flow; // the same addresses and ports as bytes (parseFrame fills it)
    quint32 seq = 0, ack = 0;
    quint8 flags = 0;   // TCP flags (FIN 0x01, SYN 0x02, RST 0x04, PSH 0x08, ACK 0x10)
    quint32 window = 0; // as advertised, scaled by the window scale its SYN announced
    int payload = 0;    // bytes of data (IP length minus the headers)
    int ttl = -1;       // IPv4 TTL or IPv6 hop limit as captured (-1: not read)
    int wscale = -1;    // the window scale option of a SYN, -1 if none
    // An ICMP or ICMPv6 error about a TCP segment: its type and code, and who sent it (a
    // router, or the host). The addresses, ports and seq above are then the TCP segment's it
    // quotes, so the error belongs to that connection; it carries no flags and no data.
    int icmpType = -1;
    int icmpCode = 0;
    QString reporter;

    // What the analysis found (Analyzer::analyze).
    quint32 relSeq = 0, relAck = 0; // relative to each side's initial sequence number
    QString meaning;                // "" (data or a plain ACK), or one of kMeanings
    int number = 0;                 // the retransmission's or duplicate ACK's number

    QString flagText() const; // "SYN", "SYN ACK", "FIN ACK", "RST", "ACK", "PSH ACK"
    QString from() const;     // "192.0.2.1:45678" ("[2001:db8:1::1]:45678" for IPv6)
    QString to() const;
    // from() and to() as parseFrame() wrote them once (each frame needs them several times);
    // empty for a Segment filled in by hand, whose from() and to() are then made each call.
    QString fromText, toText;
    // One plain sentence: what the segment is and, for a meaning, what TCP uses it for.
    QString sentence() const;
};

// A TCP segment's header fields straight from a frame's bytes, without any text: what the
// wire reads of every frame it sees arrive, to match it with its departure (WireTap).
struct RawTcp
{
    int family = 0;                      // AF_INET (2) or AF_INET6 (10)
    std::array<quint8, 16> src{}, dst{}; // the addresses' bytes (IPv4: the first 4)
    quint16 sport = 0, dport = 0;
    quint32 seq = 0, ack = 0;
    quint8 flags = 0;
    quint16 window = 0; // as on the wire, not scaled
    int payload = 0;
    int ttl = -1;
    int tcp = 0;  // where the TCP header starts in the frame
    int doff = 0; // its length
    int addressBytes() const { return family == 10 ? 16 : 4; }
    FlowKey flow() const { return {family, src, dst, sport, dport}; }
};

// Reads an Ethernet frame's IPv4 or IPv6 and TCP headers into `out`; false for anything else
// (an ICMP error too), or headers cut short. Allocates nothing.
bool peekTcp(QByteArrayView bytes, RawTcp *out);

// The meanings a segment can have, as JSON values.
inline constexpr const char *kMeanings[] = {
    "syn",           "syn_ack",     "syn_retransmission", "retransmission", "keepalive_probe",
    "keepalive_ack", "zero_window", "zero_window_probe",  "dup_ack",        "fin",
    "rst",           "unreachable", "time_exceeded"};

// Addresses as text, each made once: a lab has a few addresses, and every frame names two.
class AddressTexts
{
  public:
    // "192.0.2.1" for family 2 (the first 4 bytes), "2001:db8::1" for 10.
    QString text(int family, const std::array<quint8, 16> &address);
    void clear() { m_texts.clear(); }

  private:
    struct Key
    {
        int family = 0;
        std::array<quint8, 16> address{};
        bool operator==(const Key &) const = default;
    };
    friend size_t qHash(const Key &k, size_t seed)
    {
        return qHashMulti(seed, k.family, qHashBits(k.address.data(), k.address.size()));
    }
    QHash<Key, QString> m_texts;
};

// Reads an Ethernet frame's IPv4 or IPv6 and TCP headers (`bytes` may stop after the TCP
// header), or an ICMP/ICMPv6 error that quotes a TCP segment. False for anything else, or
// headers cut short. With `texts`, a TCP segment's addresses are read from it, and from() and
// to() are left to be made when asked (a caller that keeps them per flow sets fromText and
// toText).
bool parseFrame(QByteArrayView bytes, Segment *out, AddressTexts *texts = nullptr);

// Follows each connection in both directions, as Wireshark's TCP analysis does, and gives
// each segment its meaning: a SYN sent again; data (or a FIN) sent again below the highest
// sequence number already sent; a keepalive probe (at most one byte, one below the next
// sequence number while everything sent is acknowledged: old data the peer must acknowledge
// again) and the ACK that answers it; a
// zero window; an ACK that repeats the last one (same number, same window, no data); FIN; RST.
class Analyzer
{
  public:
    // `s` as parseFrame() filled it (its flow names its connection's direction).
    void analyze(Segment &s);
    void clear() { m_flows.clear(); }
    int flowCount() const { return int(m_flows.size()); }

  private:
    struct Flow
    {
        bool seenSyn = false;
        quint32 isn = 0; // the first sequence number seen (the SYN's)
        bool started = false;
        quint32 nextSeq = 0; // the highest sequence number sent + 1
        bool ackSeen = false;
        quint32 lastAck = 0;
        quint32 lastWin = 0;
        int wscale = 0; // what this side's SYN announced (applied to its windows)
        int synCount = 0;
        int retransmissions = 0;
        int dupAcks = 0;
        bool probeUnanswered = false; // the other side sent a keepalive probe
    };
    QHash<FlowKey, Flow> m_flows; // by direction (Segment::flow)
};

} // namespace socklab::wire
