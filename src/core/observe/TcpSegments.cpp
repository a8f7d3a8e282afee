#include "TcpSegments.h"

#include <QHostAddress>
#include <QStringList>

#include <algorithm>
#include <charconv>
#include <cstring>

namespace socklab::wire {

namespace {
constexpr quint8 kFin = 0x01, kSyn = 0x02, kRst = 0x04, kPsh = 0x08, kAck = 0x10;

quint16 be16(const uchar *p)
{
    return quint16((p[0] << 8) | p[1]);
}
quint32 be32(const uchar *p)
{
    return (quint32(p[0]) << 24) | (quint32(p[1]) << 16) | (quint32(p[2]) << 8) | p[3];
}
// An address's bytes as text: 4 for IPv4 ("192.0.2.1"), 16 for IPv6 ("2001:db8::1").
QString addressText(bool v6, const uchar *bytes)
{
    return v6 ? QHostAddress(bytes).toString() : QHostAddress(be32(bytes)).toString();
}
// a before b, in sequence space (modulo 2^32)
bool before(quint32 a, quint32 b)
{
    return qint32(a - b) < 0;
}

// An ICMP (IPv4) or ICMPv6 error at `icmp` that quotes an IP packet carrying TCP: the quoted
// packet's addresses, ports and sequence number, and the error's type, code and sender.
bool parseIcmpError(const uchar *p, int n, int icmp, bool v6, const QString &reporter, Segment *out)
{
    if (n < icmp + 8)
        return false;
    const int type = p[icmp], code = p[icmp + 1];
    // Destination unreachable and time exceeded, in each family's numbers.
    if (!(v6 ? (type == 1 || type == 3) : (type == 3 || type == 11)))
        return false;
    const int ip = icmp + 8;
    int tcp = 0;
    out->flow = FlowKey{};
    if (!v6) {
        if (n < ip + 20 || (p[ip] >> 4) != 4 || p[ip + 9] != 6)
            return false;
        tcp = ip + (p[ip] & 0x0f) * 4;
        out->family = 2;
        out->src = addressText(false, p + ip + 12);
        out->dst = addressText(false, p + ip + 16);
        std::copy(p + ip + 12, p + ip + 16, out->flow.src.begin());
        std::copy(p + ip + 16, p + ip + 20, out->flow.dst.begin());
    } else {
        if (n < ip + 40 || (p[ip] >> 4) != 6 || p[ip + 6] != 6)
            return false;
        tcp = ip + 40;
        out->family = 10;
        out->src = addressText(true, p + ip + 8);
        out->dst = addressText(true, p + ip + 24);
        std::copy(p + ip + 8, p + ip + 24, out->flow.src.begin());
        std::copy(p + ip + 24, p + ip + 40, out->flow.dst.begin());
    }
    if (n < tcp + 8) // an ICMP error quotes at least the first 8 bytes: ports and seq
        return false;
    out->sport = be16(p + tcp);
    out->dport = be16(p + tcp + 2);
    out->flow.family = out->family;
    out->flow.sport = out->sport;
    out->flow.dport = out->dport;
    out->seq = be32(p + tcp + 4);
    out->icmpType = type;
    out->icmpCode = code;
    out->reporter = reporter;
    return true;
}

// What an ICMP error says, in words.
QString icmpText(const Segment &s)
{
    const bool v6 = s.family == 10;
    const bool unreachable = v6 ? s.icmpType == 1 : s.icmpType == 3;
    if (!unreachable)
        return QStringLiteral("time exceeded (the packet's hop limit ran out on the way)");
    static const char *const v4[] = {"network unreachable", "host unreachable",
                                     "protocol unreachable", "port unreachable",
                                     "fragmentation needed"};
    static const char *const v6names[] = {
        "no route to destination", "communication administratively prohibited",
        "beyond scope of source address", "address unreachable", "port unreachable"};
    QString what;
    if (v6 && s.icmpCode >= 0 && s.icmpCode < 5)
        what = QLatin1String(v6names[s.icmpCode]);
    else if (!v6 && s.icmpCode >= 0 && s.icmpCode < 5)
        what = QLatin1String(v4[s.icmpCode]);
    else if (!v6 && (s.icmpCode == 9 || s.icmpCode == 10 || s.icmpCode == 13))
        what = QStringLiteral("administratively prohibited");
    else
        what = QStringLiteral("code %1").arg(s.icmpCode);
    return QStringLiteral("destination unreachable (%1)").arg(what);
}

QString withPort(int family, const QString &addr, quint16 port)
{
    return family == 10 /* AF_INET6 */ ? QStringLiteral("[%1]:%2").arg(addr).arg(port)
                                       : QStringLiteral("%1:%2").arg(addr).arg(port);
}
} // namespace

QString Segment::flagText() const
{
    if (icmpType >= 0)
        return family == 10 ? QStringLiteral("ICMPv6") : QStringLiteral("ICMP");
    // Made once for each of the 32 combinations of the flags shown (every segment asks).
    static const std::array<QString, 32> texts = [] {
        std::array<QString, 32> t;
        for (int f = 0; f < 32; ++f) { // kFin | kSyn | kRst | kPsh | kAck: the low five bits
            QStringList names;
            if (f & kSyn)
                names << QStringLiteral("SYN");
            if (f & kFin)
                names << QStringLiteral("FIN");
            if (f & kRst)
                names << QStringLiteral("RST");
            if (f & kPsh)
                names << QStringLiteral("PSH");
            if (f & kAck)
                names << QStringLiteral("ACK");
            t[size_t(f)] = names.join(u' ');
        }
        return t;
    }();
    return texts[size_t(flags & 0x1f)];
}

QString Segment::from() const
{
    return fromText.isEmpty() ? withPort(family, src, sport) : fromText;
}

QString Segment::to() const
{
    return toText.isEmpty() ? withPort(family, dst, dport) : toText;
}

QString Segment::sentence() const
{
    if (icmpType >= 0)
        return QStringLiteral("%1 %2 from %3 about the segment %4 -> %5, seq %6: it could not be "
                              "delivered, and the sender's kernel is told so.")
            .arg(flagText(), icmpText(*this), reporter, from(), to())
            .arg(relSeq);
    // "%1 %2 -> %3, seq %4, ack %5, %6 byte(s), window %7", in one allocation (every segment
    // event has one).
    QString head;
    head.reserve(256);
    const auto appendNumber = [&head](qint64 v) {
        char digits[24];
        const auto [end, ec] = std::to_chars(digits, digits + sizeof digits, v);
        Q_UNUSED(ec);
        head += QLatin1StringView(digits, end - digits);
    };
    head += flagText();
    head += u' ';
    head += from();
    head += QLatin1StringView(" -> ");
    head += to();
    head += QLatin1StringView(", seq ");
    appendNumber(relSeq);
    head += QLatin1StringView(", ack ");
    appendNumber(relAck);
    head += QLatin1StringView(", ");
    appendNumber(payload);
    head += QLatin1StringView(" byte(s), window ");
    appendNumber(window);
    QString why;
    if (meaning == QLatin1String("syn"))
        why = QStringLiteral("Opens the connection (the first step of the handshake).");
    else if (meaning == QLatin1String("syn_ack"))
        why = QStringLiteral("Accepts the connection (the second step of the handshake).");
    else if (meaning == QLatin1String("syn_retransmission"))
        why = QStringLiteral("SYN sent again (retransmission %1): nothing answered the last one "
                             "in time.")
                  .arg(number);
    else if (meaning == QLatin1String("retransmission"))
        why = QStringLiteral("Sent again (retransmission %1): these bytes were sent before and "
                             "no ACK for them came in time.")
                  .arg(number);
    else if (meaning == QLatin1String("keepalive_probe"))
        why = QStringLiteral("Keepalive probe: one sequence number below what was already "
                             "acknowledged, so a live peer must answer with an ACK.");
    else if (meaning == QLatin1String("zero_window_probe"))
        why = QStringLiteral("Zero window probe: is there room again in the receiver's buffer?");
    else if (meaning == QLatin1String("keepalive_ack"))
        why = QStringLiteral("The answer to a keepalive probe: the peer is alive.");
    else if (meaning == QLatin1String("zero_window"))
        why = QStringLiteral("Zero window: the receiver's buffer is full; the sender must wait.");
    else if (meaning == QLatin1String("dup_ack"))
        why = QStringLiteral("Duplicate ACK %1: the same acknowledgement again, no new data "
                             "arrived in order.")
                  .arg(number);
    else if (meaning == QLatin1String("fin"))
        why = QStringLiteral("FIN: this side has nothing more to send.");
    else if (meaning == QLatin1String("rst"))
        why = QStringLiteral("RST: the connection is aborted at once.");
    head += u'.';
    if (!why.isEmpty()) {
        head += u' ';
        head += why;
    }
    return head;
}

namespace {
bool parseFields(QByteArrayView bytes, Segment *out, AddressTexts *texts);
} // namespace

QString AddressTexts::text(int family, const std::array<quint8, 16> &address)
{
    Key k{family, {}};
    std::copy(address.begin(), address.begin() + (family == 10 ? 16 : 4), k.address.begin());
    auto it = m_texts.find(k);
    if (it == m_texts.end()) {
        it = m_texts.insert(k, addressText(family == 10, address.data()));
    }
    return *it;
}

bool parseFrame(QByteArrayView bytes, Segment *out, AddressTexts *texts)
{
    out->fromText.clear();
    out->toText.clear();
    if (!parseFields(bytes, out, texts))
        return false;
    if (!texts) {
        out->fromText = withPort(out->family, out->src, out->sport);
        out->toText = withPort(out->family, out->dst, out->dport);
    }
    return true;
}

namespace {
bool parseFields(QByteArrayView bytes, Segment *out, AddressTexts *texts)
{
    const auto *p = reinterpret_cast<const uchar *>(bytes.constData());
    const int n = int(bytes.size());
    if (n < 14)
        return false;
    const quint16 type = be16(p + 12);
    const int ip = 14;
    if (type == 0x0800 && n >= ip + 20 && (p[ip] >> 4) == 4 && p[ip + 9] == 1)
        return parseIcmpError(p, n, ip + (p[ip] & 0x0f) * 4, false, addressText(false, p + ip + 12),
                              out);
    if (type == 0x86dd && n >= ip + 40 && p[ip + 6] == 58)
        return parseIcmpError(p, n, ip + 40, true, addressText(true, p + ip + 8), out);
    RawTcp raw;
    if (!peekTcp(bytes, &raw))
        return false;
    out->family = raw.family;
    out->ttl = raw.ttl;
    if (texts) {
        out->src = texts->text(raw.family, raw.src);
        out->dst = texts->text(raw.family, raw.dst);
    } else {
        out->src = addressText(raw.family == 10, raw.src.data());
        out->dst = addressText(raw.family == 10, raw.dst.data());
    }
    out->sport = raw.sport;
    out->dport = raw.dport;
    out->flow = raw.flow();
    out->seq = raw.seq;
    out->ack = raw.ack;
    out->flags = raw.flags;
    out->window = raw.window;
    out->payload = raw.payload;
    out->wscale = -1;
    const int tcp = raw.tcp, doff = raw.doff;
    // Options we can see (the snap length may cut them): the window scale of a SYN.
    for (int o = tcp + 20; o < qMin(n, tcp + doff);) {
        const uchar kind = p[o];
        if (kind == 0)
            break;
        if (kind == 1) {
            ++o;
            continue;
        }
        if (o + 1 >= n || p[o + 1] < 2)
            break;
        if (kind == 3 && p[o + 1] == 3 && o + 2 < n)
            out->wscale = qMin<int>(p[o + 2], 14);
        o += p[o + 1];
    }
    return true;
}
} // namespace

bool peekTcp(QByteArrayView bytes, RawTcp *out)
{
    const auto *p = reinterpret_cast<const uchar *>(bytes.constData());
    const int n = int(bytes.size());
    if (n < 14)
        return false;
    const quint16 type = be16(p + 12);
    const int ip = 14;
    int tcp = 0, ipPayload = 0;
    if (type == 0x0800) {
        if (n < ip + 20 || (p[ip] >> 4) != 4 || p[ip + 9] != 6)
            return false;
        const int ihl = (p[ip] & 0x0f) * 4;
        if (ihl < 20 || (be16(p + ip + 6) & 0x3fff) != 0) // fragments are not read
            return false;
        out->family = 2; // AF_INET
        out->ttl = p[ip + 8];
        out->src = {};
        out->dst = {};
        std::memcpy(out->src.data(), p + ip + 12, 4);
        std::memcpy(out->dst.data(), p + ip + 16, 4);
        tcp = ip + ihl;
        ipPayload = int(be16(p + ip + 2)) - ihl;
    } else if (type == 0x86dd) {
        if (n < ip + 40 || p[ip + 6] != 6) // no extension headers: SockLab's TCP sends none
            return false;
        out->family = 10; // AF_INET6
        out->ttl = p[ip + 7];
        std::memcpy(out->src.data(), p + ip + 8, 16);
        std::memcpy(out->dst.data(), p + ip + 24, 16);
        tcp = ip + 40;
        ipPayload = int(be16(p + ip + 4));
    } else {
        return false;
    }
    if (n < tcp + 20)
        return false;
    const int doff = (p[tcp + 12] >> 4) * 4;
    if (doff < 20 || ipPayload < doff)
        return false;
    out->sport = be16(p + tcp);
    out->dport = be16(p + tcp + 2);
    out->seq = be32(p + tcp + 4);
    out->ack = be32(p + tcp + 8);
    out->flags = p[tcp + 13];
    out->window = be16(p + tcp + 14);
    out->payload = ipPayload - doff;
    out->tcp = tcp;
    out->doff = doff;
    return true;
}

void Analyzer::analyze(Segment &s)
{
    if (s.icmpType >= 0) {
        // About a segment of a flow, not part of it: numbered as that flow numbers its
        // segments, and nothing of the flow changes.
        const auto it = m_flows.constFind(s.flow);
        s.relSeq = it != m_flows.constEnd() && it->started ? s.seq - it->isn : 0;
        s.relAck = 0;
        const bool unreachable = s.family == 10 ? s.icmpType == 1 : s.icmpType == 3;
        s.meaning = unreachable ? QStringLiteral("unreachable") : QStringLiteral("time_exceeded");
        s.number = 0;
        return;
    }
    // Both directions exist before either is referenced (an insertion moves QHash's values).
    const FlowKey mine = s.flow, theirs = s.flow.reversed();
    m_flows[mine];
    m_flows[theirs];
    Flow &f = m_flows[mine];
    Flow &other = m_flows[theirs];
    Flow *back = other.started ? &other : nullptr;
    const bool syn = s.flags & kSyn, fin = s.flags & kFin, rst = s.flags & kRst,
               ackFlag = s.flags & kAck;
    if (!f.started) {
        f.started = true;
        f.isn = syn ? s.seq : s.seq - 1; // a flow seen mid-way: its first byte is 1
        f.nextSeq = s.seq;
    }
    s.relSeq = s.seq - f.isn;
    s.relAck = ackFlag && back ? s.ack - back->isn : 0;
    const quint32 raw = s.window;
    const bool scaled = !syn && f.wscale > 0 && back && back->wscale >= 0 && f.seenSyn;
    s.window = scaled ? raw << f.wscale : raw;
    const quint32 length = quint32(s.payload) + (syn ? 1 : 0) + (fin ? 1 : 0);
    const quint32 end = s.seq + length;

    s.meaning.clear();
    s.number = 0;
    if (rst) {
        s.meaning = QStringLiteral("rst");
    } else if (syn) {
        if (f.seenSyn && s.seq == f.isn) {
            s.meaning = QStringLiteral("syn_retransmission");
            s.number = ++f.synCount;
        } else {
            f.seenSyn = true;
            f.isn = s.seq;
            s.relSeq = 0;
            f.wscale = s.wscale;
            s.meaning = ackFlag ? QStringLiteral("syn_ack") : QStringLiteral("syn");
        }
    } else if (s.payload <= 1 && !fin && ackFlag && s.seq + 1 == f.nextSeq && back &&
               back->ackSeen && back->lastAck == f.nextSeq) {
        // One below the next sequence number when everything sent is acknowledged: a probe
        // (the kernel's keepalive and zero-window probes re-send the last acknowledged byte,
        // or nothing). A one-byte segment the peer has not acknowledged is data sent again,
        // however alike it looks (Wireshark's heuristic calls that a keepalive too). Against
        // a zero window the probe asks whether the window opened; otherwise it is keepalive's.
        s.meaning = back && back->ackSeen && back->lastWin == 0
                        ? QStringLiteral("zero_window_probe")
                        : QStringLiteral("keepalive_probe");
        other.probeUnanswered = s.meaning == QLatin1String("keepalive_probe");
    } else if (f.probeUnanswered && s.payload == 0 && !fin && ackFlag &&
               (!back || s.ack == back->nextSeq)) {
        f.probeUnanswered = false;
        s.meaning = QStringLiteral("keepalive_ack");
    } else if (length > 0 && before(s.seq, f.nextSeq)) {
        s.meaning = QStringLiteral("retransmission");
        s.number = ++f.retransmissions;
    } else if (raw == 0) {
        s.meaning = QStringLiteral("zero_window");
    } else if (s.payload == 0 && !fin && ackFlag && f.ackSeen && s.ack == f.lastAck &&
               s.window == f.lastWin && back && back->nextSeq != s.ack) {
        // The same ACK again while the other side has sent more than it acknowledges.
        s.meaning = QStringLiteral("dup_ack");
        s.number = ++f.dupAcks;
    } else if (fin) {
        s.meaning = QStringLiteral("fin");
    }
    if (!s.meaning.endsWith(QLatin1String("probe")) && before(f.nextSeq, end))
        f.nextSeq = end;
    if (ackFlag && s.meaning != QLatin1String("keepalive_ack")) {
        if (!f.ackSeen || s.ack != f.lastAck)
            f.dupAcks = 0;
        f.ackSeen = true;
        f.lastAck = s.ack;
        f.lastWin = s.window;
    }
}

} // namespace socklab::wire
