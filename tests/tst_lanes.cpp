// Runs go on side by side: a call that blocks on one socket never delays a call on another;
// calls on one socket run one at a time in the order given (a `queued` event says when one
// waits); Stop and Close act at once; each call runs with the options given with it.
#include "Coordinator.h"
#include "Platform.h"
#include "SocketOps.h"
#include "TestSupport.h"

#include <QFile>

#include <cerrno>

using namespace socklab;
using namespace socklab::test;

Q_DECLARE_METATYPE(socklab::TimeoutMechanism)

namespace {

SocketOptions blocking(TimeoutMechanism m = TimeoutMechanism::Poll)
{
    SocketOptions o;
    o.mechanism = m; // every timeout "none": a call returns when something happens, or never
    return o;
}

Step connectToListener(const QString &listener, const QString &sock)
{
    Step s = Step::make(Step::Kind::Connect, sock);
    s.portOf = listener;
    return s;
}

Step restart(const QString &listener, const std::optional<SocketOptions> &current)
{
    Step s = Step::make(Step::Kind::Restart, listener);
    s.current = current;
    return s;
}

// No call ended on `sock` (it is still blocked): no result, timeout, error or cancel.
bool stillBlocked(const EventRecorder &rec, const QString &sock)
{
    for (EventKind k : {EventKind::Received, EventKind::Accepted, EventKind::Timeout,
                        EventKind::Error, EventKind::Cancelled, EventKind::PeerClosed})
        if (rec.has(k, sock))
            return false;
    return true;
}

} // namespace

class TestLanes : public QObject
{
    Q_OBJECT

  private slots:
    // A connect and its accept complete while another socket's recv blocks with no timeout.
    void connectAndAcceptWhileARecvBlocks()
    {
        Engine engine;
        EventRecorder rec(engine.bus());
        engine.run({peer(PeerBehavior::Silent), connectToPeer(blocking()), recv()});
        QVERIFY(QTest::qWaitFor([&] { return rec.has(EventKind::Receiving, "c1"); }, 5000));

        engine.run({listen("L1", 0, blocking()), accept("L1", "a1")});
        QVERIFY(QTest::qWaitFor([&] { return rec.has(EventKind::Accepting, "L1"); }, 5000));
        engine.run({connectToListener("L1", "c2")});
        QVERIFY2(QTest::qWaitFor(
                     [&] {
                         return rec.has(EventKind::Connected, "c2") &&
                                rec.has(EventKind::Accepted, "a1");
                     },
                     5000),
                 qPrintable(rec.dump()));
        // The accepted connection is c2's: its addresses mirror each other.
        const Event c2 = rec.first(EventKind::Connected, "c2");
        const Event a1 = rec.first(EventKind::Accepted, "a1");
        QCOMPARE(a1.remote, c2.local);
        QCOMPARE(a1.local, c2.remote);
        QVERIFY2(stillBlocked(rec, "c1"), qPrintable(rec.dump()));
        QVERIFY(!rec.has(EventKind::Queued)); // nothing waited for anything

        const qint64 stopNs = platform::monotonicNs();
        engine.stop();
        QVERIFY(QTest::qWaitFor([&] { return rec.has(EventKind::Cancelled, "c1"); }, 2000));
        QVERIFY((rec.first(EventKind::Cancelled, "c1").monoNs - stopNs) / 1e6 < 50);
    }

    // A listener restarted while a connection it accepted blocks in recv(): the restart runs
    // at once, and takes the options given with it (SO_REUSEADDR as the panel says now).
    void restartWhileAnAcceptedRecvBlocks_data()
    {
        QTest::addColumn<bool>("reuseAddr");
        QTest::newRow("SO_REUSEADDR on") << true;
        QTest::newRow("SO_REUSEADDR off") << false;
    }
    void restartWhileAnAcceptedRecvBlocks()
    {
        QFETCH(bool, reuseAddr);
        Engine engine;
        EventRecorder rec(engine.bus());
        SocketOptions withReuse = blocking();
        withReuse.reuseAddr = true;
        engine.run({listen("L1", 0, withReuse), connectToListener("L1", "c1"), accept("L1", "a1")});
        QVERIFY(QTest::qWaitFor([&] { return rec.has(EventKind::Accepted, "a1"); }, 5000));
        QVERIFY(rec.waitFinished());
        const quint16 port = rec.listeningPort("L1");
        engine.run({recv("a1")});
        QVERIFY(QTest::qWaitFor([&] { return rec.has(EventKind::Receiving, "a1"); }, 5000));

        rec.clear();
        SocketOptions now = blocking();
        if (reuseAddr)
            now.reuseAddr = true; // else unset: the new listener does not set it
        engine.run({restart("L1", now), accept("L1", "a2")});
        QVERIFY2(QTest::qWaitFor(
                     [&] {
                         return rec.has(EventKind::Accepting, "L1") ||
                                rec.has(EventKind::Error, "L1");
                     },
                     5000),
                 qPrintable(rec.dump()));
        QVERIFY(rec.has(EventKind::Closed, "L1"));
        if (reuseAddr) {
            // Bound again on the same port although a1 (ESTABLISHED) holds it.
            QCOMPARE(rec.listeningPort("L1"), port);
            QCOMPARE(rec.first(EventKind::OptionSet, "L1").option, QStringLiteral("SO_REUSEADDR"));
            engine.run({connectToListener("L1", "c2")});
            QVERIFY2(QTest::qWaitFor([&] { return rec.has(EventKind::Accepted, "a2"); }, 5000),
                     qPrintable(rec.dump()));
        } else {
            // What the unchecked box means: bind() refused while a1 holds the port.
            const Event e = rec.first(EventKind::Error, "L1");
            QCOMPARE(e.op, QStringLiteral("bind"));
            QCOMPARE(e.err, EADDRINUSE);
            QVERIFY(!rec.has(EventKind::OptionSet, "L1"));
        }
        QVERIFY2(stillBlocked(rec, "a1"), qPrintable(rec.dump()));
        engine.stop();
        QVERIFY(QTest::qWaitFor([&] { return rec.has(EventKind::Cancelled, "a1"); }, 2000));
    }

    // Two listeners on one port (SO_REUSEPORT) accept at once; the kernel spreads the
    // connections between them.
    // A socket's states (from the kernel's table) belong to the run that made the socket, not
    // to whichever run is going on when the monitor sees them: a window showing a later page
    // then never shows an earlier socket's TIME_WAIT or its disappearance.
    void stateEventsBelongToTheRunThatMadeTheSocket()
    {
        Engine engine;
        EventRecorder rec(engine.bus());
        const quint64 made =
            engine.run({listen("L1", 0), connectToListener("L1", "c1"), accept("L1", "a1")});
        QVERIFY(rec.waitFinished());
        rec.clear();
        const quint64 closing = engine.run({Step::make(Step::Kind::Close, QStringLiteral("a1"))});
        QVERIFY(closing > made);
        // a1 closes first: a1 goes to FIN_WAIT2, c1 to CLOSE_WAIT, both seen while `closing`
        // is the run going on.
        QVERIFY2(QTest::qWaitFor(
                     [&] {
                         return rec.has(EventKind::State, QStringLiteral("a1")) &&
                                rec.has(EventKind::State, QStringLiteral("c1"));
                     },
                     5000),
                 qPrintable(rec.dump()));
        QCOMPARE(rec.first(EventKind::Closed, QStringLiteral("a1")).run, closing);
        for (const Event &e : rec.of(EventKind::State)) {
            if (e.sock == QLatin1String("a1") || e.sock == QLatin1String("c1"))
                QVERIFY2(
                    e.run == made,
                    qPrintable(
                        QStringLiteral("run %1, not %2: %3").arg(e.run).arg(made).arg(e.toText())));
        }
    }

    void twoReuseportListenersEachAccept()
    {
        Engine engine;
        EventRecorder rec(engine.bus());
        SocketOptions o = blocking();
        o.reusePort = true;
        engine.run({listen("L1", 0, o)});
        QVERIFY(rec.waitFinished());
        const quint16 port = rec.listeningPort("L1");
        Step second = Step::make(Step::Kind::Listen, "L2");
        second.host = QStringLiteral("127.0.0.1");
        second.portOf = QStringLiteral("L1");
        second.options = o;
        rec.clear();
        engine.run({second});
        QVERIFY(rec.waitFinished());
        QCOMPARE(rec.listeningPort("L2"), port);

        engine.run({accept("L1", "a1")});
        engine.run({accept("L2", "a2")});
        QVERIFY(QTest::qWaitFor(
            [&] {
                return rec.has(EventKind::Accepting, "L1") && rec.has(EventKind::Accepting, "L2");
            },
            5000));
        // Each connection goes to one of the two by a hash of its addresses: connect until
        // both have accepted one (40 in a row to one listener: odds 1 in 2^39).
        int clients = 0;
        while (!(rec.has(EventKind::Accepted, "a1") && rec.has(EventKind::Accepted, "a2")) &&
               clients < 40) {
            const QString c = QStringLiteral("c%1").arg(++clients);
            engine.run({connectToListener("L1", c)});
            QVERIFY(QTest::qWaitFor([&] { return rec.has(EventKind::Connected, c); }, 5000));
            // A moment for the accept to be reported; either outcome is fine here.
            (void)QTest::qWaitFor(
                [&] {
                    return rec.has(EventKind::Accepted, "a1") && rec.has(EventKind::Accepted, "a2");
                },
                20);
        }
        QVERIFY2(rec.has(EventKind::Accepted, "a1") && rec.has(EventKind::Accepted, "a2"),
                 qPrintable(rec.dump()));
        QCOMPARE(rec.first(EventKind::Accepted, "a1").detail, QStringLiteral("Accepted on L1."));
        QCOMPARE(rec.first(EventKind::Accepted, "a2").detail, QStringLiteral("Accepted on L2."));
        engine.stop();
        QVERIFY(QTest::qWaitFor(
            [&] {
                for (const Event &e : rec.of(EventKind::Finished))
                    if (e.detail == QLatin1String("stopped"))
                        return true;
                return false;
            },
            2000));
    }

    // Stop during several blocked calls (on different sockets, both mechanisms) ends every one
    // of them within 50 ms.
    void stopEndsSeveralBlockedCallsAtOnce()
    {
        Engine engine;
        EventRecorder rec(engine.bus());
        engine.run({peer(PeerBehavior::Silent), connectToPeer(blocking(), "c1"),
                    connectToPeer(blocking(TimeoutMechanism::SockOpt), "c2"),
                    connectToPeer(blocking(), "c3")});
        QVERIFY(rec.waitFinished());
        QVERIFY(rec.has(EventKind::Connected, "c3"));
        engine.run({recv("c1")});
        engine.run({recv("c2")}); // SO_RCVTIMEO 0: blocked in the kernel
        engine.run({hold(-1, "c3")});
        engine.run({listen("L1", 0, blocking(TimeoutMechanism::SockOpt)), accept("L1")});
        const QList<std::pair<EventKind, QString>> started = {{EventKind::Receiving, "c1"},
                                                              {EventKind::Receiving, "c2"},
                                                              {EventKind::Holding, "c3"},
                                                              {EventKind::Accepting, "L1"}};
        QVERIFY2(QTest::qWaitFor(
                     [&] {
                         for (const auto &[k, s] : started)
                             if (!rec.has(k, s))
                                 return false;
                         return true;
                     },
                     5000),
                 qPrintable(rec.dump()));
        QVERIFY(!QTest::qWaitFor([&] { return rec.has(EventKind::Cancelled); }, 200));
        const qint64 stopNs = platform::monotonicNs();
        engine.stop();
        QVERIFY(QTest::qWaitFor(
            [&] {
                for (const auto &[k, s] : started)
                    if (!rec.has(EventKind::Cancelled, s))
                        return false;
                return true;
            },
            2000));
        for (const auto &[k, s] : started) {
            const double ms = (rec.first(EventKind::Cancelled, s).monoNs - stopNs) / 1e6;
            QVERIFY2(ms >= 0 && ms < 50, qPrintable(QStringLiteral("%1: %2 ms").arg(s).arg(ms)));
        }
        QTRY_VERIFY(rec.has(EventKind::Closed, "L1"));
    }

    // The timeout and mechanism given with a call are the ones it runs with, not the ones the
    // socket had when it was made.
    void optionChangedBetweenTwoRecvs_data()
    {
        QTest::addColumn<TimeoutMechanism>("first");
        QTest::addColumn<TimeoutMechanism>("second");
        QTest::newRow("poll, then poll") << TimeoutMechanism::Poll << TimeoutMechanism::Poll;
        QTest::newRow("sockopt, then sockopt")
            << TimeoutMechanism::SockOpt << TimeoutMechanism::SockOpt;
        QTest::newRow("poll, then sockopt") << TimeoutMechanism::Poll << TimeoutMechanism::SockOpt;
        QTest::newRow("sockopt, then poll") << TimeoutMechanism::SockOpt << TimeoutMechanism::Poll;
    }
    void optionChangedBetweenTwoRecvs()
    {
        QFETCH(TimeoutMechanism, first);
        QFETCH(TimeoutMechanism, second);
        Engine engine;
        EventRecorder rec(engine.bus());
        engine.run({peer(PeerBehavior::Silent), connectToPeer(timeouts(0.2, first)), recv()});
        QVERIFY(rec.waitFinished());
        const Event t1 = rec.first(EventKind::Timeout, "c1");
        QCOMPARE(t1.timeout.value_or(-1), 0.2);
        QCOMPARE(t1.mechanism, mechanismName(first));
        QVERIFY2(*t1.elapsed >= 0.2 - kernelEarlyS(first) && *t1.elapsed < 0.45,
                 qPrintable(rec.dump()));

        rec.clear();
        Step r = recv();
        r.current = timeouts(0.5, second); // the panel changed before the second Receive
        engine.run({r});
        QVERIFY(rec.waitFinished());
        const Event t2 = rec.first(EventKind::Timeout, "c1");
        QCOMPARE(t2.timeout.value_or(-1), 0.5);
        QCOMPARE(t2.mechanism, mechanismName(second));
        QCOMPARE(rec.first(EventKind::Receiving, "c1").mechanism, mechanismName(second));
        // The kernel (or ppoll) really waited the new time.
        QVERIFY2(*t2.elapsed >= 0.5 - kernelEarlyS(second) && *t2.elapsed < 0.8,
                 qPrintable(rec.dump()));
        if (second == TimeoutMechanism::SockOpt) {
            QCOMPARE(t2.err, EAGAIN);
            const Event set = rec.first(EventKind::OptionSet, "c1");
            QCOMPARE(set.option, QStringLiteral("SO_RCVTIMEO"));
            QCOMPARE(set.effective.toDouble(), 0.5);
        }
    }

    // Options given with a call on a live socket (the panels' when Receive is pressed): those
    // that take effect at any time are set before the call and read back; keepalive switched
    // on then really probes; those fixed since bind()/connect() are left, and the log says
    // so once; an option left unset goes back to the system's value.
    void liveOptionsApplyToTheNextCall()
    {
        Engine engine;
        EventRecorder rec(engine.bus());
        engine.run(
            {peer(PeerBehavior::Silent), connectToPeer(timeouts(0.2, TimeoutMechanism::Poll))});
        QVERIFY(rec.waitFinished());
        QVERIFY(!rec.has(EventKind::OptionSet, "c1")); // nothing set yet: no keepalive

        SocketOptions live = timeouts(2.5, TimeoutMechanism::Poll);
        live.keepAlive = true;
        live.keepIdle = 1;
        live.keepIntvl = 1;
        live.keepCnt = 9;
        live.rcvBuf = 8192;    // fixed since connect()
        live.reuseAddr = true; // fixed since bind()
        rec.clear();
        Step r = recv();
        r.current = live;
        engine.run({r});
        QVERIFY(rec.waitFinished());
        const auto setOf = [&](const char *option) {
            for (const Event &e : rec.of(EventKind::OptionSet, "c1"))
                if (e.option == QLatin1String(option))
                    return e;
            QTest::qFail(qPrintable(QStringLiteral("no option_set for %1:\n%2")
                                        .arg(QLatin1String(option), rec.dump())),
                         __FILE__, __LINE__);
            return Event{};
        };
        QCOMPARE(setOf("SO_KEEPALIVE").effective.toBool(), true);
        QCOMPARE(setOf("TCP_KEEPIDLE").effective.toInt(), 1);
        QCOMPARE(setOf("TCP_KEEPINTVL").effective.toInt(), 1);
        QCOMPARE(setOf("TCP_KEEPCNT").effective.toInt(), 9);
        // Set before the call, not after it.
        QVERIFY(setOf("TCP_KEEPCNT").monoNs <= rec.first(EventKind::Receiving, "c1").monoNs);
        // The kernel probed the silent peer during the 2.5 s recv, 1 s after the last data.
        QVERIFY2(rec.count(EventKind::ProbeSent, "c1") >= 1, qPrintable(rec.dump()));
        QVERIFY2(rec.count(EventKind::ProbeAcked, "c1") >= 1, qPrintable(rec.dump()));
        QStringList fixed;
        for (const Event &e : rec.of(EventKind::Info, "c1"))
            if (!e.option.isEmpty())
                fixed << e.option;
        fixed.sort();
        QCOMPARE(fixed, (QStringList{"SO_RCVBUF", "SO_REUSEADDR"}));
        QVERIFY(!rec.has(EventKind::Error, "c1"));

        // The same options again: nothing to set, nothing to say again.
        rec.clear();
        r.current->setAllTimeouts(Timeout::fromMs(200));
        engine.run({r});
        QVERIFY(rec.waitFinished());
        QVERIFY2(!rec.has(EventKind::OptionSet, "c1") && !rec.has(EventKind::Info, "c1"),
                 qPrintable(rec.dump()));

        // Keepalive's parameters left to the system again: the sysctl's value, read here.
        QFile f(QStringLiteral("/proc/sys/net/ipv4/tcp_keepalive_time"));
        QVERIFY(f.open(QIODevice::ReadOnly));
        const int system = f.readAll().trimmed().toInt();
        QVERIFY(system > 0);
        rec.clear();
        r.current->keepIdle.reset();
        engine.run({r});
        QVERIFY(rec.waitFinished());
        QCOMPARE(setOf("TCP_KEEPIDLE").effective.toInt(), system);
        QCOMPARE(rec.count(EventKind::OptionSet, "c1"), 1);
    }

    // A call on a socket whose lane is busy waits, visibly, and Close ends the call ahead at
    // once; the waiting call then finds the socket gone and says so.
    void aSecondCallOnOneSocketIsQueuedAndCloseActsAtOnce()
    {
        Engine engine;
        EventRecorder rec(engine.bus());
        engine.run({peer(PeerBehavior::Silent), connectToPeer(blocking())});
        QVERIFY(rec.waitFinished());
        const quint64 recvRun = engine.run({recv()});
        QVERIFY(QTest::qWaitFor([&] { return rec.has(EventKind::Receiving, "c1"); }, 5000));
        engine.run({send("hello")});
        QVERIFY(QTest::qWaitFor([&] { return rec.has(EventKind::Queued, "c1"); }, 5000));
        const Event q = rec.first(EventKind::Queued, "c1");
        QCOMPARE(q.op, QStringLiteral("send"));
        QCOMPARE(q.extra.value(QStringLiteral("behind")).toString(), QStringLiteral("recv"));
        QCOMPARE(qint64(q.extra.value(QStringLiteral("behind_run")).toDouble()), qint64(recvRun));
        // It really waits: send() does not run while recv() holds the socket.
        QVERIFY(!QTest::qWaitFor([&] { return rec.has(EventKind::Sending, "c1"); }, 300));

        const qint64 closeNs = platform::monotonicNs();
        engine.run({Step::make(Step::Kind::Close, "c1")});
        QVERIFY(QTest::qWaitFor([&] { return rec.has(EventKind::Cancelled, "c1"); }, 2000));
        const Event c = rec.first(EventKind::Cancelled, "c1");
        QVERIFY2((c.monoNs - closeNs) / 1e6 < 50, qPrintable(rec.dump()));
        QVERIFY2(c.detail.startsWith(QLatin1String("Close ended recv()")), qPrintable(c.detail));
        QVERIFY(QTest::qWaitFor([&] { return rec.has(EventKind::Closed, "c1"); }, 2000));
        // The send, issued before the Close, finds the socket gone in its turn.
        QVERIFY(QTest::qWaitFor([&] { return rec.has(EventKind::Error, "c1"); }, 2000));
        QCOMPARE(rec.first(EventKind::Error, "c1").op, QStringLiteral("send"));
        QCOMPARE(rec.first(EventKind::Error, "c1").err, EBADF);
        QVERIFY(!rec.has(EventKind::Sending, "c1"));
    }

    // A Close is ordered with the calls on its socket: it ends what was issued before it, and
    // leaves alone a socket that a later step makes under the same label.
    void closeEndsOnlyWhatWasIssuedBeforeIt()
    {
        Engine engine;
        EventRecorder rec(engine.bus());
        engine.run({peer(PeerBehavior::Echo)});
        QVERIFY(rec.waitFinished());
        const Step close = Step::make(Step::Kind::Close, "c1");
        for (int i = 0; i < 10; ++i) {
            engine.run({connectToPeer(blocking()), send("ping"), close});
            engine.run({connectToPeer(blocking()), send("pong"), recv(), close});
        }
        QVERIFY(QTest::qWaitFor([&] { return rec.count(EventKind::Finished) == 21; }, 10000));
        // Every second connection got its echo: no Close of an earlier run closed it.
        int echoes = 0;
        for (const Event &e : rec.of(EventKind::Received, "c1")) {
            QCOMPARE(e.payload, QByteArray("pong"));
            ++echoes;
        }
        QCOMPARE(echoes, 10);
        QCOMPARE(rec.count(EventKind::Sent, "c1"), 20);
        QCOMPARE(rec.count(EventKind::Error, "c1"), 0);
        QCOMPARE(rec.count(EventKind::Cancelled), 0);
    }

    // Calls on one socket run in the order issued, even when issued back to back.
    void callsOnOneSocketRunInTheOrderIssued()
    {
        Engine engine;
        EventRecorder rec(engine.bus());
        engine.run({peer(PeerBehavior::Echo), connectToPeer(timeouts(2, TimeoutMechanism::Poll))});
        QVERIFY(rec.waitFinished());
        for (int i = 0; i < 20; ++i) {
            engine.run({send(QByteArray::number(i) + ';')});
            engine.run({recv()});
        }
        QVERIFY(QTest::qWaitFor([&] { return rec.count(EventKind::Finished) == 41; }, 10000));
        QString sent, received;
        for (const Event &e : rec.events) {
            if (e.sock != QLatin1String("c1"))
                continue; // the echo peer reports its own
            if (e.kind == EventKind::Sent)
                sent += e.data;
            if (e.kind == EventKind::Received)
                received += QString::fromLatin1(e.payload);
        }
        QString expected;
        for (int i = 0; i < 20; ++i)
            expected += QString::number(i) + QLatin1Char(';');
        QCOMPARE(sent, expected);
        QCOMPARE(received, expected); // the echo of each, in order
        QCOMPARE(rec.count(EventKind::Error), 0);
    }

    // Name lookups run on threads of their own (getaddrinfo cannot be interrupted); each one
    // ends when its answer comes, even when Stop abandoned the wait for it.
    void nameLookupThreadsDoNotPileUp()
    {
        Engine engine;
        EventRecorder rec(engine.bus());
        engine.run({listen("L1", 0, blocking())});
        QVERIFY(rec.waitFinished());
        const quint16 port = rec.listeningPort("L1");
        for (int i = 1; i <= 40; ++i) {
            Step c = Step::make(Step::Kind::Connect, QStringLiteral("c%1").arg(i));
            c.host = QStringLiteral("localhost");
            c.port = port;
            engine.run({c});
            if (i % 10 == 0) {
                QVERIFY(
                    QTest::qWaitFor([&] { return rec.has(EventKind::Resolving, c.sock); }, 5000));
                engine.stop(); // abandons whatever lookup is waiting
            }
        }
        QTRY_VERIFY(!engine.isBusy());
        QVERIFY(rec.has(EventKind::Resolved));
        QTRY_COMPARE(ops::lookupsRunning(), 0);
    }

    // Call threads are bounded: past the bound a run waits, says so, and Stop drops it.
    void callThreadsAreBounded()
    {
        Engine engine;
        EventRecorder rec(engine.bus());
        constexpr int kBound = Coordinator::kMaxCallThreads;
        for (int i = 1; i <= kBound + 1; ++i) {
            const QString l = QStringLiteral("L%1").arg(i);
            engine.run({listen(l, 0, blocking()), accept(l)});
        }
        QVERIFY2(QTest::qWaitFor([&] { return rec.count(EventKind::Accepting) == kBound; }, 10000),
                 qPrintable(QString::number(rec.count(EventKind::Accepting))));
        QVERIFY(QTest::qWaitFor([&] { return rec.has(EventKind::Queued); }, 2000));
        const Event q = rec.first(EventKind::Queued);
        QVERIFY2(q.detail.contains(QStringLiteral("All %1 call threads").arg(kBound)),
                 qPrintable(q.detail));
        QVERIFY(!QTest::qWaitFor([&] { return rec.count(EventKind::Accepting) > kBound; }, 200));
        engine.stop();
        QVERIFY(QTest::qWaitFor([&] { return rec.count(EventKind::Cancelled) == kBound; }, 3000));
        QTRY_VERIFY(rec.has(EventKind::Finished));
        QTRY_COMPARE(rec.count(EventKind::Closed), kBound);
        QCOMPARE(rec.count(EventKind::Accepting), kBound); // the one that waited never ran
        QVERIFY(!engine.isBusy());
    }
};

QTEST_GUILESS_MAIN(TestLanes)
#include "tst_lanes.moc"
