// Options are applied with setsockopt, read back with getsockopt, and inherited on accept.
#include "TestSupport.h"

using namespace socklab;
using namespace socklab::test;

class TestApplied : public QObject
{
    Q_OBJECT
    static QHash<QString, Event> byOption(const QList<Event> &events)
    {
        QHash<QString, Event> out;
        for (const Event &e : events)
            out.insert(e.option, e);
        return out;
    }

  private slots:
    void effectiveValuesAreReadBack()
    {
        Engine engine;
        EventRecorder rec(engine.bus());
        SocketOptions o;
        o.rcvBuf = 10000;
        o.sndBuf = 20000;
        o.noDelay = true;
        o.lingerSec = 5;
        o.userTimeoutMs = 1234;
        o.keepAlive = true;
        o.keepIdle = 30;
        o.keepIntvl = 7;
        o.keepCnt = 4;
        engine.run({peer(PeerBehavior::Echo), connectToPeer(o)});
        QVERIFY(rec.waitFinished());
        const auto set = byOption(rec.of(EventKind::OptionSet, QStringLiteral("c1")));
        QCOMPARE(set.value(QStringLiteral("SO_RCVBUF")).requested.toInt(), 10000);
        QCOMPARE(set.value(QStringLiteral("SO_RCVBUF")).effective.toInt(), 20000); // doubled
        QVERIFY(set.value(QStringLiteral("SO_RCVBUF")).detail.contains(QStringLiteral("doubles")));
        QCOMPARE(set.value(QStringLiteral("SO_SNDBUF")).effective.toInt(), 40000);
        QCOMPARE(set.value(QStringLiteral("TCP_NODELAY")).effective.toBool(), true);
        QCOMPARE(set.value(QStringLiteral("SO_LINGER")).effective.toInt(), 5);
        QCOMPARE(set.value(QStringLiteral("TCP_USER_TIMEOUT")).effective.toInt(), 1234);
        QCOMPARE(set.value(QStringLiteral("TCP_KEEPIDLE")).effective.toInt(), 30);
        QCOMPARE(set.value(QStringLiteral("TCP_KEEPINTVL")).effective.toInt(), 7);
        QCOMPARE(set.value(QStringLiteral("TCP_KEEPCNT")).effective.toInt(), 4);
        QVERIFY(!rec.has(EventKind::SystemDefault)); // all three were set
        // Options are applied before connect().
        const qint64 connecting = rec.first(EventKind::Connecting, QStringLiteral("c1")).tNs;
        for (const Event &e : set)
            QVERIFY(e.tNs <= connecting);
    }

    void listenerOptionsAreInheritedByAcceptedSockets()
    {
        Engine engine;
        EventRecorder rec(engine.bus());
        SocketOptions lo;
        lo.reuseAddr = true;
        lo.keepAlive = true;
        lo.keepIdle = 45;
        lo.userTimeoutMs = 5000;
        lo.noDelay = true;
        engine.run({listen(QStringLiteral("L1"), 0, lo)});
        QVERIFY(rec.waitFinished());
        const quint16 port = rec.listeningPort(QStringLiteral("L1"));
        rec.clear();
        const Step c = connectTo(port);
        const Step a = accept(QStringLiteral("L1"), QStringLiteral("a1"));
        engine.run({c, a});
        QVERIFY(rec.waitFinished());
        const auto inh = byOption(rec.of(EventKind::OptionInherited, QStringLiteral("a1")));
        QCOMPARE(inh.value(QStringLiteral("SO_KEEPALIVE")).effective.toBool(), true);
        QCOMPARE(inh.value(QStringLiteral("TCP_KEEPIDLE")).effective.toInt(), 45);
        QCOMPARE(inh.value(QStringLiteral("TCP_USER_TIMEOUT")).effective.toInt(), 5000);
        QCOMPARE(inh.value(QStringLiteral("TCP_NODELAY")).effective.toBool(), true);
        QCOMPARE(inh.value(QStringLiteral("TCP_USER_TIMEOUT")).requested.toInt(), 5000);
    }

    void sockoptTimeoutsAreSetPerCall()
    {
        Engine engine;
        EventRecorder rec(engine.bus());
        SocketOptions o;
        o.mechanism = TimeoutMechanism::SockOpt;
        o.connectTimeout = Timeout::fromMs(1500);
        o.recvTimeout = Timeout::fromMs(120);
        engine.run({peer(PeerBehavior::Silent), connectToPeer(o), recv()});
        QVERIFY(rec.waitFinished());
        const auto set = byOption(rec.of(EventKind::OptionSet, QStringLiteral("c1")));
        QCOMPARE(set.value(QStringLiteral("SO_SNDTIMEO")).effective.toDouble(), 1.5);
        QCOMPARE(set.value(QStringLiteral("SO_RCVTIMEO")).effective.toDouble(), 0.12);
    }
};

QTEST_GUILESS_MAIN(TestApplied)
#include "tst_applied.moc"
