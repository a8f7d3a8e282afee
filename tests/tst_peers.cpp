// Each built-in peer behaves as described, seen from a real client socket.
#include "TestSupport.h"

#include <cerrno>

using namespace socklab;
using namespace socklab::test;

class TestPeers : public QObject
{
    Q_OBJECT
    static SocketOptions recvTimeout(double s)
    {
        SocketOptions o;
        o.recvTimeout = Timeout::fromMs(qint64(s * 1000));
        o.connectTimeout = Timeout::fromMs(2000);
        return o;
    }

  private slots:
    void echoSendsBackWhatItGets()
    {
        Engine engine;
        EventRecorder rec(engine.bus());
        engine.run({peer(PeerBehavior::Echo), connectToPeer(recvTimeout(2)),
                    send(QByteArray("hi\x01\xff", 4)), recv()});
        QVERIFY(rec.waitFinished());
        const Event r = rec.first(EventKind::Received, QStringLiteral("c1"));
        QCOMPARE(r.bytes, qint64(4));
        QCOMPARE(r.data, QStringLiteral("hi\\x01\\xff")); // shown escaped, never interpreted
        QCOMPARE(rec.first(EventKind::Received, QStringLiteral("peer1")).bytes, qint64(4));
    }

    void silentNeverAnswers()
    {
        Engine engine;
        EventRecorder rec(engine.bus());
        engine.run(
            {peer(PeerBehavior::Silent), connectToPeer(recvTimeout(0.15)), send("hello"), recv()});
        QVERIFY(rec.waitFinished());
        QVERIFY(rec.has(EventKind::Sent, QStringLiteral("c1")));
        QCOMPARE(rec.first(EventKind::Timeout, QStringLiteral("c1")).op, QStringLiteral("recv"));
        QVERIFY(!rec.has(EventKind::Received, QStringLiteral("peer1"))); // it never reads
    }

    void dripSendsOneByteAtATime()
    {
        Engine engine;
        EventRecorder rec(engine.bus());
        engine.run({peer(PeerBehavior::Drip, 50), connectToPeer(recvTimeout(1)), recv(), recv()});
        QVERIFY(rec.waitFinished());
        const auto got = rec.of(EventKind::Received, QStringLiteral("c1"));
        QCOMPARE(got.size(), 2);
        QCOMPARE(got[0].bytes, qint64(1));
        QCOMPARE(got[0].data, QStringLiteral("."));
    }

    void blackholeAcksNothing()
    {
        Engine engine;
        EventRecorder rec(engine.bus());
        // The data leaves our socket but is never ACKed: the retransmit timer runs.
        engine.run({peer(PeerBehavior::Blackhole), connectToPeer(recvTimeout(0.4)), send("anyone?"),
                    recv()});
        QVERIFY(QTest::qWaitFor(
            [&] {
                for (const auto &row : engine.socketTable()) {
                    if (engine.labelFor(row) == QStringLiteral("c1") &&
                        row.timer == platform::DiagRow::Timer::Retransmit && row.sendQ == 7)
                        return true;
                }
                return false;
            },
            3000));
        QVERIFY(rec.waitFinished());
        QVERIFY(rec.has(EventKind::Timeout, QStringLiteral("c1")));
        QVERIFY(!rec.has(EventKind::Received, QStringLiteral("peer1")));
    }

    void neverAcceptDropsTheSyn()
    {
        Engine engine;
        EventRecorder rec(engine.bus());
        SocketOptions o;
        o.connectTimeout = Timeout::fromMs(200);
        engine.run({peer(PeerBehavior::NeverAccept), connectToPeer(o)});
        QVERIFY(rec.waitFinished());
        QCOMPARE(rec.first(EventKind::Timeout, QStringLiteral("c1")).op, QStringLiteral("connect"));
        QVERIFY(!rec.has(EventKind::Accepted));
    }

    void resetSendsRst()
    {
        Engine engine;
        EventRecorder rec(engine.bus());
        engine.run({peer(PeerBehavior::Reset, 100), connectToPeer(recvTimeout(2)), recv()});
        QVERIFY(rec.waitFinished());
        const Event e = rec.first(EventKind::Error, QStringLiteral("c1"));
        QCOMPARE(e.err, ECONNRESET);
        QVERIFY(*e.elapsed >= 0.09);
        QVERIFY(e.detail.contains(QStringLiteral("RST")));
    }

    void closeSendsFin()
    {
        Engine engine;
        EventRecorder rec(engine.bus());
        engine.run({peer(PeerBehavior::Close, 100), connectToPeer(recvTimeout(2)), recv()});
        QVERIFY(rec.waitFinished());
        const Event e = rec.first(EventKind::PeerClosed, QStringLiteral("c1"));
        QCOMPARE(e.op, QStringLiteral("recv"));
        QVERIFY(*e.elapsed >= 0.09);
        QVERIFY(!rec.has(EventKind::Error, QStringLiteral("c1")));
    }

    void connectionRefusedWithoutListener()
    {
        Engine engine;
        EventRecorder rec(engine.bus());
        // Find a port nobody listens on: listen, note the port, close.
        engine.run(
            {listen(QStringLiteral("L1"), 0), Step::make(Step::Kind::Close, QStringLiteral("L1"))});
        QVERIFY(rec.waitFinished());
        const quint16 port = rec.listeningPort(QStringLiteral("L1"));
        rec.clear();
        Step c = Step::make(Step::Kind::Connect, QStringLiteral("c1"));
        c.host = QStringLiteral("localhost"); // through getaddrinfo
        c.port = port;
        engine.run({c});
        QVERIFY(rec.waitFinished());
        QVERIFY(rec.has(EventKind::Resolved, QStringLiteral("c1")));
        const Event e = rec.first(EventKind::Error, QStringLiteral("c1"));
        QCOMPARE(e.err, ECONNREFUSED);
        QVERIFY(e.detail.contains(QStringLiteral("nothing is listening")));
    }

    void reusingALabelClosesTheOldSocket()
    {
        Engine engine;
        EventRecorder rec(engine.bus());
        engine.run({peer(PeerBehavior::Echo), connectToPeer({}), connectToPeer({})});
        QVERIFY(rec.waitFinished());
        QCOMPARE(rec.count(EventKind::Connected, QStringLiteral("c1")), 2);
        const Event closed = rec.first(EventKind::Closed, QStringLiteral("c1"));
        QVERIFY2(closed.detail.contains(QStringLiteral("takes over")), qPrintable(rec.dump()));
        QVERIFY(closed.tNs < rec.of(EventKind::Connected, QStringLiteral("c1")).last().tNs);
    }

    void ipv6LiteralWithBrackets()
    {
        Engine engine;
        EventRecorder rec(engine.bus());
        Step p = peer(PeerBehavior::Echo);
        p.peer.bind = QStringLiteral("::1");
        engine.run({p});
        QVERIFY(rec.waitFinished());
        if (rec.has(EventKind::Error, QStringLiteral("peer")))
            QSKIP("This machine has no IPv6 loopback (::1).");
        const quint16 port = rec.listeningPort(QStringLiteral("peer"));
        rec.clear();
        Step c = connectTo(port);
        c.host = QStringLiteral("[::1]");
        engine.run({c, send("v6"), recv()});
        QVERIFY(rec.waitFinished());
        QCOMPARE(rec.first(EventKind::Connected, QStringLiteral("c1")).remote,
                 QStringLiteral("[::1]:%1").arg(port));
        QCOMPARE(rec.first(EventKind::Received, QStringLiteral("c1")).data, QStringLiteral("v6"));
    }
};

QTEST_GUILESS_MAIN(TestPeers)
#include "tst_peers.moc"
