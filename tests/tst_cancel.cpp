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
        run({peer(PeerBehavior::Silent), connectToPeer(none(mech)), recv()}, EventKind::Receiving,
            c1);
        run({peer(PeerBehavior::NeverAccept), connectToPeer(none(mech))}, EventKind::Connecting,
            c1);
        Step accept = Step::make(Step::Kind::Accept);
        accept.listener = QStringLiteral("L1");
        run({listen(QStringLiteral("L1"), 0, none(mech)), accept}, EventKind::Accepting,
            QStringLiteral("L1"));
        SocketOptions small = none(mech);
        small.sndBuf = 4096;
        run({peer(PeerBehavior::Silent), connectToPeer(small), send(QByteArray(16 << 20, 'x'))},
            EventKind::Sending, c1, false);
        run({peer(PeerBehavior::Blackhole), connectToPeer(none(mech)), hold(-1)},
            EventKind::Holding, c1);
    }
};

QTEST_GUILESS_MAIN(TestCancel)
#include "tst_cancel.moc"
