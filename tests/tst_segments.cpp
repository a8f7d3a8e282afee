// The wire view's reading of TCP headers (wire::parseFrame, wire::Analyzer), on frames built
// byte by byte: the cases a capture on real sockets cannot be made to show on demand, and the
// one where SockLab is right and Wireshark's heuristic is not. (tst_labwire compares whole
// captures of real experiments with tshark.)
#include "PacketCapture.h"
#include "RingQueue.h"
#include "TcpSegments.h"

#include <QTest>

#include <memory>

#include <pcap/pcap.h>

using namespace socklab::wire;

namespace {
constexpr quint8 FIN = 0x01, SYN = 0x02, RST = 0x04, PSH = 0x08, ACK = 0x10;

void put16(QByteArray &b, int at, quint16 v)
{
    b[at] = char(v >> 8);
    b[at + 1] = char(v & 0xff);
}
void put32(QByteArray &b, int at, quint32 v)
{
    for (int i = 0; i < 4; ++i)
        b[at + i] = char((v >> (24 - 8 * i)) & 0xff);
}

// An Ethernet + IPv4 + TCP frame from a (192.0.2.1:40000 or the reverse) with `payload` bytes
// of data counted in the IP length (the capture keeps headers only).
QByteArray frame(bool fromClient, quint32 seq, quint32 ack, quint8 flags, int payload,
                 quint16 window = 1000, int wscale = -1)
{
    const int optLen = wscale >= 0 ? 4 : 0;
    QByteArray b(14 + 20 + 20 + optLen, '\0');
    put16(b, 12, 0x0800);
    b[14] = char(0x45);
    put16(b, 16, quint16(20 + 20 + optLen + payload));
    b[14 + 8] = char(64);
    b[14 + 9] = char(6);
    const quint32 client = 0xc0000201, server = 0xc6336401; // 192.0.2.1, 198.51.100.1
    put32(b, 26, fromClient ? client : server);
    put32(b, 30, fromClient ? server : client);
    const int t = 34;
    put16(b, t, fromClient ? 40000 : 80);
    put16(b, t + 2, fromClient ? 80 : 40000);
    put32(b, t + 4, seq);
    put32(b, t + 8, ack);
    b[t + 12] = char(((20 + optLen) / 4) << 4);
    b[t + 13] = char(flags);
    put16(b, t + 14, window);
    if (wscale >= 0) {
        b[t + 20] = char(3);
        b[t + 21] = char(3);
        b[t + 22] = char(wscale);
        b[t + 23] = char(1);
    }
    return b;
}

// A router's ICMP "destination unreachable" (code: 0 network, 1 host) from 192.0.2.254 to the
// client, quoting the client's segment (IPv4 header and the first 8 bytes of TCP).
QByteArray icmpUnreachable(quint32 seq, int code)
{
    const QByteArray quoted = frame(true, seq, 0, 0x02, 0).mid(14, 28);
    QByteArray b(14 + 20 + 8, '\0');
    put16(b, 12, 0x0800);
    b[14] = char(0x45);
    put16(b, 16, quint16(20 + 8 + quoted.size()));
    b[14 + 9] = char(1);      // ICMP
    put32(b, 26, 0xc00002fe); // 192.0.2.254
    put32(b, 30, 0xc0000201);
    b[34] = char(3); // destination unreachable
    b[35] = char(code);
    return b + quoted;
}

// An Ethernet + IPv6 frame from 2001:db8::1 to 2001:db8:1::1 whose next header is `next` and
// whose payload is `payload`.
QByteArray frame6(int next, const QByteArray &payload)
{
    QByteArray b(14 + 40, '\0');
    put16(b, 12, 0x86dd);
    b[14] = char(0x60);
    put16(b, 14 + 4, quint16(payload.size()));
    b[14 + 6] = char(next);
    b[14 + 7] = char(64);
    b[14 + 8] = char(0x20);
    b[14 + 9] = char(0x01);
    b[14 + 10] = char(0x0d);
    b[14 + 11] = char(0xb8);
    b[14 + 23] = char(1);
    b.replace(14 + 24, 16, b.mid(14 + 8, 16));
    b[14 + 24 + 5] = char(1);
    return b + payload;
}

// A TCP SYN over IPv6, port 40000 to 80.
QByteArray tcp6()
{
    QByteArray t(20, '\0');
    put16(t, 0, 40000);
    put16(t, 2, 80);
    put32(t, 4, 1000);
    t[12] = char(5 << 4);
    t[13] = char(SYN);
    put16(t, 14, 1000);
    return frame6(6, t);
}

// An ICMPv6 message of `type` that quotes tcp6()'s packet (an error's form; other types carry
// other bodies, but the filter and the parser look at the type first).
QByteArray icmp6(int type)
{
    QByteArray m(8, '\0');
    m[0] = char(type);
    return frame6(58, m + tcp6().mid(14));
}

// An IPv4 ICMP message of `type` whose IP header is `ihl` words long (5: no options), quoting
// the client's SYN.
QByteArray icmp4(int type, int ihl = 5)
{
    QByteArray b = icmpUnreachable(1000, 0);
    b[34] = char(type);
    if (ihl > 5) {
        b.insert(34, QByteArray((ihl - 5) * 4, '\0'));
        b[14] = char(0x40 | ihl);
    }
    return b;
}

// The kernel's classic BPF program in libpcap's form: its interpreter judges the filter.
std::vector<bpf_insn> asPcap(const std::vector<sock_filter> &program)
{
    std::vector<bpf_insn> insns;
    for (const sock_filter &f : program)
        insns.push_back(bpf_insn{f.code, f.jt, f.jf, f.k});
    return insns;
}

struct Conversation
{
    Analyzer a;
    Segment next(const QByteArray &f)
    {
        Segment s;
        if (!parseFrame(f, &s))
            qFatal("frame not parsed");
        a.analyze(s);
        return s;
    }
    // SYN, SYN-ACK, ACK with client ISN 1000 and server ISN 5000.
    void handshake()
    {
        next(frame(true, 1000, 0, SYN, 0));
        next(frame(false, 5000, 1001, SYN | ACK, 0));
        next(frame(true, 1001, 5001, ACK, 0));
    }
};
} // namespace

class TestSegments : public QObject
{
    Q_OBJECT

  private slots:
    void parsesHeadersAndRelativeNumbers()
    {
        Conversation c;
        const Segment syn = c.next(frame(true, 1000, 0, SYN, 0, 64240, 10));
        QCOMPARE(syn.src, QStringLiteral("192.0.2.1"));
        QCOMPARE(syn.dst, QStringLiteral("198.51.100.1"));
        QCOMPARE(syn.sport, quint16(40000));
        QCOMPARE(syn.meaning, QStringLiteral("syn"));
        QCOMPARE(syn.wscale, 10);
        QCOMPARE(syn.window, quint32(64240)); // a SYN's window is never scaled
        const Segment synAck = c.next(frame(false, 5000, 1001, SYN | ACK, 0, 65160, 7));
        QCOMPARE(synAck.meaning, QStringLiteral("syn_ack"));
        QCOMPARE(synAck.relAck, quint32(1));
        const Segment data = c.next(frame(true, 1001, 5001, ACK, 100, 63));
        QCOMPARE(data.relSeq, quint32(1));
        QCOMPARE(data.relAck, quint32(1));
        QCOMPARE(data.payload, 100);
        QCOMPARE(data.window, quint32(63 << 10)); // scaled by the client's own SYN's option
        QCOMPARE(data.meaning, QString());
        QCOMPARE(data.flagText(), QStringLiteral("ACK"));
        Segment cut;
        QVERIFY(!parseFrame(QByteArray(20, '\0'), &cut)); // headers cut short
    }

    void synSentAgainIsCountedAsSuch()
    {
        Conversation c;
        c.next(frame(true, 1000, 0, SYN, 0));
        const Segment again = c.next(frame(true, 1000, 0, SYN, 0));
        QCOMPARE(again.meaning, QStringLiteral("syn_retransmission"));
        QCOMPARE(again.number, 1);
        QCOMPARE(c.next(frame(true, 1000, 0, SYN, 0)).number, 2);
    }

    // One byte sent and never acknowledged, then the same byte again: data sent again, not a
    // keepalive probe (Wireshark's "seq = next - 1, at most one byte" rule calls it one).
    void oneUnacknowledgedByteSentAgainIsARetransmission()
    {
        Conversation c;
        c.handshake();
        c.next(frame(true, 1001, 5001, ACK, 1));
        const Segment again = c.next(frame(true, 1001, 5001, ACK, 1));
        QCOMPARE(again.meaning, QStringLiteral("retransmission"));
        QCOMPARE(again.number, 1);
    }

    // Everything acknowledged, then a segment one below the next sequence number: keepalive's
    // probe; the peer's ACK of it is its answer, and the next probe is a probe again.
    void keepaliveProbeAndItsAnswer()
    {
        Conversation c;
        c.handshake();
        c.next(frame(true, 1001, 5001, ACK, 10));
        c.next(frame(false, 5001, 1011, ACK, 0));
        const Segment probe = c.next(frame(true, 1010, 5001, ACK, 0));
        QCOMPARE(probe.meaning, QStringLiteral("keepalive_probe"));
        const Segment answer = c.next(frame(false, 5001, 1011, ACK, 0));
        QCOMPARE(answer.meaning, QStringLiteral("keepalive_ack"));
        QCOMPARE(c.next(frame(true, 1010, 5001, ACK, 0)).meaning,
                 QStringLiteral("keepalive_probe"));
    }

    void zeroWindowAndItsProbe()
    {
        Conversation c;
        c.handshake();
        c.next(frame(true, 1001, 5001, ACK, 10));
        const Segment full = c.next(frame(false, 5001, 1011, ACK, 0, 0));
        QCOMPARE(full.meaning, QStringLiteral("zero_window"));
        QCOMPARE(c.next(frame(true, 1010, 5001, ACK, 0)).meaning,
                 QStringLiteral("zero_window_probe"));
    }

    void duplicateAcksWhileDataIsOutstanding()
    {
        Conversation c;
        c.handshake();
        c.next(frame(true, 1001, 5001, ACK, 100));
        c.next(frame(true, 1101, 5001, ACK, 100));
        c.next(frame(false, 5001, 1101, ACK, 0));
        const Segment dup = c.next(frame(false, 5001, 1101, ACK, 0));
        QCOMPARE(dup.meaning, QStringLiteral("dup_ack"));
        QCOMPARE(dup.number, 1);
        QCOMPARE(c.next(frame(false, 5001, 1101, ACK, 0)).number, 2);
        // Once everything is acknowledged an ACK is a plain ACK again.
        c.next(frame(false, 5001, 1201, ACK, 0));
        QCOMPARE(c.next(frame(false, 5001, 1201, ACK, 0)).meaning, QString());
    }

    // An ICMP error about a segment belongs to that segment's connection: its addresses,
    // ports and (relative) seq are the quoted segment's, its sender is the router, and it
    // changes nothing in the connection's analysis.
    void icmpErrorsAboutASegment()
    {
        Conversation c;
        c.next(frame(true, 1000, 0, SYN, 0));
        const Segment icmp = c.next(icmpUnreachable(1000, 0));
        QCOMPARE(icmp.meaning, QStringLiteral("unreachable"));
        QCOMPARE(icmp.src, QStringLiteral("192.0.2.1"));
        QCOMPARE(icmp.dst, QStringLiteral("198.51.100.1"));
        QCOMPARE(icmp.sport, quint16(40000));
        QCOMPARE(icmp.dport, quint16(80));
        QCOMPARE(icmp.relSeq, quint32(0));
        QCOMPARE(icmp.reporter, QStringLiteral("192.0.2.254"));
        QCOMPARE(icmp.flagText(), QStringLiteral("ICMP"));
        QVERIFY2(icmp.sentence().contains(QLatin1String("network unreachable")),
                 qPrintable(icmp.sentence()));
        QVERIFY(c.next(icmpUnreachable(1000, 1)).sentence().contains(u"host unreachable"));
        // The SYN sent again is still the first resend: the ICMP errors were not segments.
        const Segment again = c.next(frame(true, 1000, 0, SYN, 0));
        QCOMPARE(again.meaning, QStringLiteral("syn_retransmission"));
        QCOMPARE(again.number, 1);
        // An ICMP message that is not an error about TCP (an echo request) is not read.
        QByteArray echo = icmpUnreachable(1000, 0);
        echo[34] = char(8);
        Segment none;
        QVERIFY(!parseFrame(echo, &none));
    }

    // The capture keeps exactly the frames the log reads: TCP and the ICMP errors about it.
    // A lab's links send their own router solicitations when they come up; kept, each was a
    // frame in the saved capture that no row in the log showed.
    void theCaptureKeepsWhatTheLogReads_data()
    {
        QTest::addColumn<QByteArray>("bytes");
        QTest::addColumn<bool>("kept");
        QTest::newRow("TCP over IPv4") << frame(true, 1000, 0, SYN, 0) << true;
        QTest::newRow("ICMP unreachable") << icmp4(3) << true;
        QTest::newRow("ICMP time exceeded") << icmp4(11) << true;
        QTest::newRow("ICMP unreachable, IP options") << icmp4(3, 6) << true;
        QTest::newRow("ICMP echo request") << icmp4(8) << false;
        QTest::newRow("ICMP echo request, IP options") << icmp4(8, 6) << false;
        QByteArray udp = frame(true, 1000, 0, SYN, 0);
        udp[14 + 9] = char(17);
        QTest::newRow("UDP") << udp << false;
        QByteArray arp = frame(true, 1000, 0, SYN, 0);
        put16(arp, 12, 0x0806);
        QTest::newRow("ARP") << arp << false;
        QTest::newRow("TCP over IPv6") << tcp6() << true;
        QTest::newRow("ICMPv6 unreachable") << icmp6(1) << true;
        QTest::newRow("ICMPv6 time exceeded") << icmp6(3) << true;
        QTest::newRow("ICMPv6 packet too big") << icmp6(2) << false;
        QTest::newRow("ICMPv6 router solicitation") << icmp6(133) << false;
        QTest::newRow("ICMPv6 neighbour solicitation") << icmp6(135) << false;
        QTest::newRow("MLD report (hop-by-hop first)") << frame6(0, icmp6(143).mid(54)) << false;
    }
    void theCaptureKeepsWhatTheLogReads()
    {
        QFETCH(QByteArray, bytes);
        QFETCH(bool, kept);
        const std::vector<bpf_insn> program = asPcap(socklab::platform::captureFilter(96, false));
        QVERIFY(bpf_validate(program.data(), int(program.size())));
        const auto *data = reinterpret_cast<const u_char *>(bytes.constData());
        QCOMPARE(bpf_filter(program.data(), data, unsigned(bytes.size()), unsigned(bytes.size())),
                 kept ? 96u : 0u);
        Segment s;
        QCOMPARE(parseFrame(bytes, &s), kept);
    }

    void finAndRst()
    {
        Conversation c;
        c.handshake();
        QCOMPARE(c.next(frame(true, 1001, 5001, FIN | ACK, 0)).meaning, QStringLiteral("fin"));
        QCOMPARE(c.next(frame(true, 1001, 5001, FIN | ACK, 0)).meaning,
                 QStringLiteral("retransmission")); // the FIN sent again
        const Segment rst = c.next(frame(false, 5001, 1002, RST | ACK, 0));
        QCOMPARE(rst.meaning, QStringLiteral("rst"));
        QVERIFY(rst.sentence().contains(QLatin1String("aborted")));
    }

    // The wire reads a frame's addresses through a table of texts made once; what it reads must
    // be what the plain reading gives, sentence and all.
    void readingWithKeptAddressTextsGivesTheSameSegment()
    {
        AddressTexts texts;
        Conversation plain, kept;
        plain.handshake();
        kept.handshake();
        plain.next(frame(true, 1001, 5001, ACK, 10));
        kept.next(frame(true, 1001, 5001, ACK, 10));
        plain.next(frame(false, 5001, 1011, ACK, 0));
        kept.next(frame(false, 5001, 1011, ACK, 0));
        const QByteArray probe = frame(true, 1010, 5001, ACK, 0, 502);
        const Segment a = plain.next(probe);
        Segment b;
        QVERIFY(parseFrame(probe, &b, &texts));
        kept.a.analyze(b);
        QCOMPARE(b.src, a.src);
        QCOMPARE(b.dst, a.dst);
        QVERIFY(b.fromText.isEmpty()); // made when asked
        QCOMPARE(b.from(), QStringLiteral("192.0.2.1:40000"));
        QCOMPARE(b.to(), QStringLiteral("198.51.100.1:80"));
        QCOMPARE(b.sentence(), a.sentence());
        QCOMPARE(a.sentence(),
                 QStringLiteral("ACK 192.0.2.1:40000 -> 198.51.100.1:80, seq 10, ack 1, 0 byte(s), "
                                "window 502. Keepalive probe: one sequence number below what was "
                                "already acknowledged, so a live peer must answer with an ACK."));
        // The same address is one text, shared.
        Segment again;
        QVERIFY(parseFrame(frame(true, 1011, 5001, ACK, 0), &again, &texts));
        QVERIFY(again.src.constData() == b.src.constData());
    }

    void flagTextsNameEveryCombination()
    {
        Segment s;
        const QList<std::pair<int, QString>> cases = {
            {0, QString()},
            {SYN, QStringLiteral("SYN")},
            {SYN | ACK, QStringLiteral("SYN ACK")},
            {FIN | ACK, QStringLiteral("FIN ACK")},
            {FIN | PSH | ACK, QStringLiteral("FIN PSH ACK")},
            {RST, QStringLiteral("RST")},
            {RST | ACK, QStringLiteral("RST ACK")},
            {SYN | FIN | RST | PSH | ACK, QStringLiteral("SYN FIN RST PSH ACK")},
            {0x20 | ACK, QStringLiteral("ACK")}, // URG is not shown
        };
        for (const auto &[flags, text] : cases) {
            s.flags = quint8(flags);
            QCOMPARE(s.flagText(), text);
        }
    }

    // A frame keeps its first kFrameBytes bytes in itself.
    void aFrameKeepsItsFirstBytes()
    {
        socklab::platform::Frame f;
        QCOMPARE(f.bytes().size(), qsizetype(0));
        const QByteArray whole = frame(true, 1000, 0, SYN, 300) + QByteArray(300, 'x');
        QVERIFY(whole.size() > socklab::platform::kFrameBytes);
        f.setBytes(whole);
        QCOMPARE(f.bytes().size(), qsizetype(socklab::platform::kFrameBytes));
        QCOMPARE(f.bytes(), QByteArrayView(whole).first(socklab::platform::kFrameBytes));
        const socklab::platform::Frame copy = f;
        QCOMPARE(copy.bytes(), f.bytes());
    }

    // The wire's queues: order kept across growth and across the ring's end, and what leaves is
    // released at once.
    void ringQueueKeepsOrderAndReleasesWhatLeaves()
    {
        socklab::RingQueue<std::shared_ptr<int>> q;
        auto first = std::make_shared<int>(0);
        q.push_back(std::shared_ptr<int>(first));
        QCOMPARE(first.use_count(), 2L);
        q.pop_front();
        QCOMPARE(first.use_count(), 1L); // not kept in the freed place
        QVERIFY(q.empty());
        int next = 1, expect = 1;
        // Push two, pop one, many times: the ring wraps and grows with items in it.
        for (int round = 0; round < 500; ++round) {
            q.push_back(std::make_shared<int>(next++));
            q.push_back(std::make_shared<int>(next++));
            QCOMPARE(*q.front(), expect);
            q.pop_front();
            ++expect;
            QCOMPARE(*q.back(), next - 1);
        }
        QCOMPARE(q.size(), size_t(500));
        for (size_t i = 0; i < q.size(); ++i)
            QCOMPARE(*q[i], expect + int(i));
        q.clear();
        QVERIFY(q.empty());
        q.push_back(std::make_shared<int>(7));
        QCOMPARE(*q.front(), 7);
    }
};

QTEST_GUILESS_MAIN(TestSegments)
#include "tst_segments.moc"
