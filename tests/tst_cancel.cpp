// With no timeout a call blocks until Stop, and Stop ends it within 50 ms.
#include "Platform.h"
#include "TestSupport.h"

using namespace socklab;
using namespace socklab::test;

Q_DECLARE_METATYPE(socklab::TimeoutMechanism)

class TestCancel : public QObject
{
    Q_OBJECT
    // wholeCall: the cancelled call is the one that started with the experiment (a send is
    // many send() calls, each with its own start).
    void run(const QList<Step> &steps, EventKind started, const QString &sock,
             bool wholeCall = true)
    {
        Engine engine;
        EventRecorder rec(engine.bus());
        engine.run(steps);
        QVERIFY(QTest::qWaitFor([&] { return rec.has(started, sock); }, 5000));
        // It really blocks: nothing ends the call on its own.
        QVERIFY(!QTest::qWaitFor(
            [&] {
                return rec.has(EventKind::Timeout) || rec.has(EventKind::Error) ||
                       rec.has(EventKind::Finished);
            },
            300));
        const qint64 stopNs = platform::monotonicNs();
        engine.stop();
        QVERIFY(rec.waitFinished(2000));
        const Event c = rec.first(EventKind::Cancelled, sock);
        QVERIFY2(c.kind == EventKind::Cancelled, qPrintable(rec.dump()));
        const double latencyMs = (c.monoNs - stopNs) / 1e6;
        QVERIFY2(latencyMs < 50, qPrintable(QString::number(latencyMs)));
        if (wholeCall)
            QVERIFY2(*c.elapsed >= 0.3, qPrintable(rec.dump()));
        // Every socket of the experiment was closed.
        QVERIFY(rec.has(EventKind::Closed, sock));
        QVERIFY(rec.has(EventKind::Closed, QStringLiteral("peer")) ||
                !rec.has(EventKind::Listening, QStringLiteral("peer")));
    }

    static SocketOptions none(TimeoutMechanism m)
    {
        SocketOptions o;
        o.mechanism = m;
        return o;
    }

  private slots:
    void blockingCalls_data()
    {
        QTest::addColumn<TimeoutMechanism>("mech");
        QTest::newRow("poll") << TimeoutMechanism::Poll;
        QTest::newRow("sockopt") << TimeoutMechanism::SockOpt;
    }
    void blockingCalls()
    {
        QFETCH(TimeoutMechanism, mech);
        const QString c1 = QStringLiteral("c1");
        SOCKLAB_CALL(run({peer(PeerBehavior::Silent), connectToPeer(none(mech)), recv()},
                         EventKind::Receiving, c1));
        SOCKLAB_CALL(run({peer(PeerBehavior::NeverAccept), connectToPeer(none(mech))},
                         EventKind::Connecting, c1));
        const Step acc = accept(QStringLiteral("L1"));
        SOCKLAB_CALL(run({listen(QStringLiteral("L1"), 0, none(mech)), acc}, EventKind::Accepting,
                         QStringLiteral("L1")));
        SocketOptions small = none(mech);
        small.sndBuf = 4096;
        SOCKLAB_CALL(
            run({peer(PeerBehavior::Silent), connectToPeer(small), send(QByteArray(16 << 20, 'x'))},
                EventKind::Sending, c1, false));
        SOCKLAB_CALL(run({peer(PeerBehavior::Silent), connectToPeer(none(mech)), hold(-1)},
                         EventKind::Holding, c1));
        // Idle with keepalive on: the monitor is watching the socket's probes.
        SocketOptions keepalive = none(mech);
        keepalive.keepAlive = true;
        keepalive.keepIdle = 1;
        keepalive.keepIntvl = 1;
        keepalive.keepCnt = 9;
        SOCKLAB_CALL(run({peer(PeerBehavior::Silent), connectToPeer(keepalive), hold(-1)},
                         EventKind::Holding, c1));
        // A receive loop against a peer that floods: it never waits, Stop still ends it.
        Step loop = Step::make(Step::Kind::RecvFor, c1);
        loop.maxBytes = 65536;
        loop.seconds = 3600;
        SOCKLAB_CALL(run({peer(PeerBehavior::Flood), connectToPeer(none(mech)), loop},
                         EventKind::Receiving, c1, false));
    }

    // SO_LINGER with unsent data makes close() block; Stop must not. (The silent peer never
    // reads, so its window closes and our data stays in the send buffer.)
    void stopDoesNotLinger()
    {
        Engine engine;
        EventRecorder rec(engine.bus());
        SocketOptions o;
        o.lingerSec = 30;
        o.sndBuf = 4096;
        o.sendTimeout = Timeout::fromMs(200);
        engine.run({peer(PeerBehavior::Silent), connectToPeer(o), send(QByteArray(1 << 20, 'x'))});
        QVERIFY(rec.waitFinished());
        QVERIFY(rec.has(EventKind::Timeout, QStringLiteral("c1")));
        rec.clear();
        const qint64 stopNs = platform::monotonicNs();
        engine.stop();
        QVERIFY(rec.waitFinished(5000));
        const double ms =
            (rec.first(EventKind::Closed, QStringLiteral("c1")).monoNs - stopNs) / 1e6;
        QVERIFY2(ms < 50, qPrintable(QString::number(ms)));
    }

    // An accepted socket inherits SO_RCVTIMEO from its listener at the handshake (here the
    // accept timeout, armed by a first accept that timed out): a recv with no timeout of its
    // own must still block, not time out after 0.3 s.
    void acceptedSocketDoesNotKeepTheAcceptTimeout()
    {
        Engine engine;
        EventRecorder rec(engine.bus());
        SocketOptions lo;
        lo.mechanism = TimeoutMechanism::SockOpt;
        lo.acceptTimeout = Timeout::fromMs(300);
        lo.recvTimeout = Timeout::blockForever();
        const Step first = accept(QStringLiteral("L1"));
        engine.run({listen(QStringLiteral("L1"), 0, lo), first});
        QVERIFY(rec.waitFinished());
        QCOMPARE(rec.first(EventKind::Timeout, QStringLiteral("L1")).op, QStringLiteral("accept"));
        const quint16 port = rec.listeningPort(QStringLiteral("L1"));
        const Step c = connectTo(port);
        const Step a = accept(QStringLiteral("L1"), QStringLiteral("a1"));
        rec.clear();
        engine.run({c, a, recv(QStringLiteral("a1"))});
        QVERIFY(QTest::qWaitFor([&] { return rec.has(EventKind::Receiving, QStringLiteral("a1")); },
                                5000));
        QVERIFY2(!QTest::qWaitFor([&] { return rec.has(EventKind::Timeout); }, 1000),
                 qPrintable(rec.dump()));
        engine.stop();
        QVERIFY(rec.waitFinished());
        QVERIFY2(rec.has(EventKind::Cancelled, QStringLiteral("a1")), qPrintable(rec.dump()));
    }
};

QTEST_GUILESS_MAIN(TestCancel)
#include "tst_cancel.moc"
