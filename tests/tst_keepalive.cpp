// Keepalive probes as the kernel sends them, seen through TCP_INFO.
#include "Platform.h"
#include "TestSupport.h"

#include <cerrno>

using namespace socklab;
using namespace socklab::test;

class TestKeepalive : public QObject
{
    Q_OBJECT
  private slots:
    void healthyIdleConnectionProbesAreAcked()
    {
        Engine engine;
        EventRecorder rec(engine.bus());
        engine.run({peer(PeerBehavior::Echo), connectToPeer(keepalive(1, 1, 2)), hold(2.4)});
        QVERIFY(rec.waitFinished());
        const auto sent = rec.of(EventKind::ProbeSent, QStringLiteral("c1"));
        const auto acked = rec.of(EventKind::ProbeAcked, QStringLiteral("c1"));
        // Idle 1 s: probes near 1 s and 2 s, each answered at once on loopback.
        QCOMPARE(sent.size(), 2);
        QCOMPARE(acked.size(), 2);
        for (const Event &e : sent)
            QCOMPARE(e.probe, 1); // every series ends with its first probe answered
        QVERIFY2(qAbs(sent[0].tNs / 1e9 - 1.0) < 0.15, qPrintable(rec.dump()));
        QVERIFY2(qAbs(sent[1].tNs / 1e9 - 2.0) < 0.25, qPrintable(rec.dump()));
        QCOMPARE(rec.count(EventKind::ProbeUnanswered), 0);
        QCOMPARE(rec.count(EventKind::PeerDead), 0);
    }

    void deadPeerIsDetected()
    {
        SOCKLAB_REQUIRE_SOCKET_FILTERS();
        Engine engine;
        EventRecorder rec(engine.bus());
        engine.run({peer(PeerBehavior::Blackhole), connectToPeer(keepalive(1, 1, 2)), recv()});
        QVERIFY(rec.waitFinished(10000));
        // Exactly TCP_KEEPCNT probes, all unanswered, then the kernel gives up.
        const auto sent = rec.of(EventKind::ProbeSent, QStringLiteral("c1"));
        if (sent.size() != 2)
            qInfo().noquote() << rec.dump();
        QCOMPARE(sent.size(), 2);
        QCOMPARE(sent[0].probe, 1);
        QCOMPARE(sent[1].probe, 2);
        QVERIFY2(rec.count(EventKind::ProbeUnanswered, QStringLiteral("c1")) == 2,
                 qPrintable(rec.dump()));
        QCOMPARE(rec.count(EventKind::ProbeAcked), 0);
        QCOMPARE(rec.count(EventKind::PeerDead, QStringLiteral("c1")), 1);
        const Event err = rec.first(EventKind::Error, QStringLiteral("c1"));
        QCOMPARE(err.err, ETIMEDOUT);
        QCOMPARE(err.op, QStringLiteral("recv"));
        // idle + intvl x cnt = 1 + 1 x 2 = 3 s
        QVERIFY2(*err.elapsed > 2.9 && *err.elapsed < 3.4, qPrintable(rec.dump()));
    }

    void pullThePlugMidExperiment()
    {
        SOCKLAB_REQUIRE_SOCKET_FILTERS();
        Engine engine;
        EventRecorder rec(engine.bus());
        engine.run({peer(PeerBehavior::Echo), connectToPeer(keepalive(1, 1, 2)), send("ping"),
                    recv(), hold(-1)});
        QVERIFY(QTest::qWaitFor([&] { return rec.has(EventKind::Received, QStringLiteral("c1")); },
                                5000));
        QCOMPARE(rec.first(EventKind::Received, QStringLiteral("c1")).data, QStringLiteral("ping"));
        engine.pullPlug();
        QVERIFY(rec.waitFinished(10000));
        QCOMPARE(rec.count(EventKind::ProbeUnanswered, QStringLiteral("c1")), 2);
        QCOMPARE(rec.count(EventKind::PeerDead, QStringLiteral("c1")), 1);
        const Event err = rec.first(EventKind::Error, QStringLiteral("c1"));
        QCOMPARE(err.err, ETIMEDOUT);
        QCOMPARE(err.op, QStringLiteral("hold"));
    }

    void systemDefaultsAreReported()
    {
        const auto defaults = platform::readKeepaliveDefaults();
        QVERIFY(defaults.time > 0);
        Engine engine;
        EventRecorder rec(engine.bus());
        SocketOptions o;
        o.keepAlive = true;
        engine.run({peer(PeerBehavior::Echo), connectToPeer(o)});
        QVERIFY(rec.waitFinished());
        const auto d = rec.of(EventKind::SystemDefault, QStringLiteral("c1"));
        QCOMPARE(d.size(), 3);
        QCOMPARE(d[0].option, QStringLiteral("TCP_KEEPIDLE"));
        QCOMPARE(d[0].effective.toInt(), defaults.time);
        QCOMPARE(d[1].effective.toInt(), defaults.intvl);
        QCOMPARE(d[2].effective.toInt(), defaults.probes);
        QVERIFY(d[0].detail.contains(QStringLiteral("/proc/sys/net/ipv4/tcp_keepalive_time")));
    }
};

QTEST_GUILESS_MAIN(TestKeepalive)
#include "tst_keepalive.moc"
