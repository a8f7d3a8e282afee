// SO_REUSEADDR and TIME_WAIT on restart; the two-listener pitfall and SO_REUSEPORT.
#include "TestSupport.h"

#include <cerrno>

using namespace socklab;
using namespace socklab::test;

class TestReuse : public QObject
{
    Q_OBJECT
    static SocketOptions reuse(bool addr, bool port = false)
    {
        SocketOptions o;
        if (addr)
            o.reuseAddr = true;
        if (port)
            o.reusePort = true;
        return o;
    }

  private slots:
    void restartAfterTimeWait_data()
    {
        QTest::addColumn<bool>("oldReuse");
        QTest::addColumn<bool>("newReuse");
        QTest::addColumn<bool>("binds");
        QTest::newRow("neither sets SO_REUSEADDR: EADDRINUSE") << false << false << false;
        QTest::newRow("only the new one: EADDRINUSE") << false << true << false;
        QTest::newRow("only the old one: EADDRINUSE") << true << false << false;
        QTest::newRow("both: the restart binds") << true << true << true;
    }
    void restartAfterTimeWait()
    {
        QFETCH(bool, oldReuse);
        QFETCH(bool, newReuse);
        QFETCH(bool, binds);
        Engine engine;
        EventRecorder rec(engine.bus());
        engine.run({listen(QStringLiteral("L1"), 0, reuse(oldReuse))});
        QVERIFY(rec.waitFinished());
        const quint16 port = rec.listeningPort(QStringLiteral("L1"));
        QVERIFY(port > 0);
        rec.clear();

        const Step c = connectTo(port);
        const Step a = accept(QStringLiteral("L1"), QStringLiteral("a1"));
        // The server closes first, so the server's side of the connection enters TIME_WAIT.
        engine.run({c, a, Step::make(Step::Kind::Close, QStringLiteral("a1")),
                    Step::make(Step::Kind::Close, QStringLiteral("c1")),
                    Step::make(Step::Kind::Close, QStringLiteral("L1")),
                    listen(QStringLiteral("L2"), port, reuse(newReuse))});
        QVERIFY(rec.waitFinished());
        QVERIFY2(rec.has(EventKind::Accepted, QStringLiteral("a1")), qPrintable(rec.dump()));

        // The kernel's table shows the TIME_WAIT connection on the server's port.
        bool timeWait = false;
        for (const auto &row : engine.socketTable()) {
            if (row.localPort == port && row.timer == platform::DiagRow::Timer::TimeWait) {
                timeWait = true;
                QVERIFY(row.expiresMs > 0 && row.expiresMs <= 60000);
                QCOMPARE(engine.labelFor(row), QStringLiteral("a1"));
            }
        }
        QVERIFY2(timeWait, qPrintable(rec.dump()));

        if (binds) {
            QVERIFY2(rec.has(EventKind::Listening, QStringLiteral("L2")), qPrintable(rec.dump()));
            QVERIFY(!rec.has(EventKind::Error, QStringLiteral("L2")));
        } else {
            const Event e = rec.first(EventKind::Error, QStringLiteral("L2"));
            QCOMPARE(e.err, EADDRINUSE);
            QCOMPARE(e.op, QStringLiteral("bind"));
            QVERIFY2(e.detail.contains(QStringLiteral("TIME_WAIT")), qPrintable(e.detail));
            // ...and which connection of the last run holds it, by the name it had.
            QVERIFY2(e.detail.contains(QStringLiteral("1 connection(s) in TIME_WAIT (a1; ")),
                     qPrintable(e.detail));
            QVERIFY(!rec.has(EventKind::Listening, QStringLiteral("L2")));
        }
    }

    // The server closed first and the client has not closed yet: the server's side waits in
    // FIN_WAIT2, on a timer, and holds the port. The sentence names that state, as the
    // kernel's table does, not TIME_WAIT.
    void aServerWaitingForItsPeersCloseHoldsThePortInFinWait2()
    {
        Engine engine;
        EventRecorder rec(engine.bus());
        engine.run({listen(QStringLiteral("L1"), 0)});
        QVERIFY(rec.waitFinished());
        const quint16 port = rec.listeningPort(QStringLiteral("L1"));
        QVERIFY(port > 0);
        rec.clear();
        engine.run({connectTo(port), accept(QStringLiteral("L1"), QStringLiteral("a1")),
                    Step::make(Step::Kind::Close, QStringLiteral("a1")),
                    Step::make(Step::Kind::Close, QStringLiteral("L1"))});
        QVERIFY(rec.waitFinished());
        QTRY_VERIFY([&] {
            for (const auto &row : engine.socketTable()) {
                if (row.localPort == port && platform::tcpStateName(row.state) == "FIN_WAIT2")
                    return true;
            }
            return false;
        }());
        rec.clear();
        engine.run({listen(QStringLiteral("L2"), port)});
        QVERIFY(rec.waitFinished());
        const Event e = rec.first(EventKind::Error, QStringLiteral("L2"));
        QCOMPARE(e.err, EADDRINUSE);
        QVERIFY2(e.detail.contains(QStringLiteral("1 connection(s) in FIN_WAIT2 (a1; ")),
                 qPrintable(e.detail));
        QVERIFY2(!e.detail.contains(QStringLiteral("held by 1 connection(s) in TIME_WAIT")),
                 qPrintable(e.detail));
    }

    void twoLiveListeners_data()
    {
        QTest::addColumn<bool>("reuseAddr");
        QTest::addColumn<bool>("reusePort");
        QTest::addColumn<bool>("binds");
        QTest::newRow("plain: EADDRINUSE") << false << false << false;
        QTest::newRow("SO_REUSEADDR on both: still EADDRINUSE") << true << false << false;
        QTest::newRow("SO_REUSEPORT on both: both listen") << false << true << true;
    }
    void twoLiveListeners()
    {
        QFETCH(bool, reuseAddr);
        QFETCH(bool, reusePort);
        QFETCH(bool, binds);
        Engine engine;
        EventRecorder rec(engine.bus());
        engine.run({listen(QStringLiteral("L1"), 0, reuse(reuseAddr, reusePort))});
        QVERIFY(rec.waitFinished());
        const quint16 port = rec.listeningPort(QStringLiteral("L1"));
        rec.clear();
        engine.run({listen(QStringLiteral("L2"), port, reuse(reuseAddr, reusePort))});
        QVERIFY(rec.waitFinished());
        if (binds) {
            QCOMPARE(rec.listeningPort(QStringLiteral("L2")), port);
        } else {
            const Event e = rec.first(EventKind::Error, QStringLiteral("L2"));
            QCOMPARE(e.err, EADDRINUSE);
            QVERIFY2(e.detail.contains(QStringLiteral("listener")), qPrintable(e.detail));
        }
    }

    void restartStepRebindsSamePort()
    {
        Engine engine;
        EventRecorder rec(engine.bus());
        engine.run({listen(QStringLiteral("L1"), 0, reuse(true)),
                    Step::make(Step::Kind::Restart, QStringLiteral("L1"))});
        QVERIFY(rec.waitFinished());
        const auto l = rec.of(EventKind::Listening, QStringLiteral("L1"));
        QCOMPARE(l.size(), 2);
        QCOMPARE(l[0].local, l[1].local);
    }

    // Steps can name "the port of L1" before it is known (lessons are written that way).
    void portOfConnectsToAndRebindsAListener()
    {
        Engine engine;
        EventRecorder rec(engine.bus());
        Step c = Step::make(Step::Kind::Connect, QStringLiteral("c1"));
        c.portOf = QStringLiteral("L1");
        Step again = Step::make(Step::Kind::Listen, QStringLiteral("L2"));
        again.portOf = QStringLiteral("L1");
        Step unknown = Step::make(Step::Kind::Connect, QStringLiteral("c2"));
        unknown.portOf = QStringLiteral("L9");
        engine.run({listen(QStringLiteral("L1"), 0), c,
                    accept(QStringLiteral("L1"), QStringLiteral("a1")),
                    Step::make(Step::Kind::Close, QStringLiteral("a1")),
                    Step::make(Step::Kind::Close, QStringLiteral("c1")),
                    Step::make(Step::Kind::Close, QStringLiteral("L1")), again, unknown});
        QVERIFY(rec.waitFinished());
        const QString l1 = rec.first(EventKind::Listening, QStringLiteral("L1")).local;
        const auto connected = rec.of(EventKind::Connected, QStringLiteral("c1"));
        QCOMPARE(connected.size(), 1);
        QCOMPARE(connected.first().remote, l1);
        // a1 closed first, so TIME_WAIT holds the port: the same-port listen fails.
        const auto bindErr = rec.of(EventKind::Error, QStringLiteral("L2"));
        QCOMPARE(bindErr.size(), 1);
        QCOMPARE(bindErr.first().op, QStringLiteral("bind"));
        QCOMPARE(bindErr.first().err, EADDRINUSE);
        QVERIFY2(bindErr.first().detail.contains(l1.section(QLatin1Char(':'), -1)),
                 qPrintable(bindErr.first().detail));
        const auto none = rec.of(EventKind::Error, QStringLiteral("c2"));
        QCOMPARE(none.size(), 1);
        QVERIFY2(none.first().detail.contains(QStringLiteral("L9")),
                 qPrintable(none.first().detail));
    }
};

QTEST_GUILESS_MAIN(TestReuse)
#include "tst_reuse.moc"
