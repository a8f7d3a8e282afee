// Each built-in peer behaves as described, seen from a real client socket.
#include "ReliabilitySupport.h"
#include "TestSupport.h"

#include "PeerServer.h"

#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QStandardPaths>

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
        QVERIFY(r.payloadKept);                           // and kept whole, as received
        QCOMPARE(r.payload, QByteArray("hi\x01\xff", 4));
        QCOMPARE(r.payloadOmitted(), qint64(0));
        QCOMPARE(rec.first(EventKind::Received, QStringLiteral("peer1")).bytes, qint64(4));
    }

    // An outside judge (Python) streams hundreds of MiB into the echo peer, half-closes with
    // shutdown(SHUT_WR) and reads to EOF: every byte must come back, in order, before the
    // peer's FIN. Repeated, since a lost tail depends on how much the peer still holds.
    void echoReturnsEverythingAfterHalfClose_data()
    {
        QTest::addColumn<qint64>("bytes");
        // Sanitized builds run several times slower: the same check on less data.
        const qint64 mib = kMemoryMeasurable ? 256 : 32;
        QTest::newRow("1 byte") << qint64(1);
        QTest::newRow("2 MB") << qint64(2000000);
        for (int i = 1; i <= 3; ++i)
            QTest::addRow("%lld MiB, run %d", mib, i) << mib * 1024 * 1024;
    }
    void echoReturnsEverythingAfterHalfClose()
    {
        QFETCH(qint64, bytes);
        const QString python = QStandardPaths::findExecutable(QStringLiteral("python3"));
        QVERIFY2(!python.isEmpty(), "python3 is needed as the outside judge (scripts/setup.sh "
                                    "installs it)");
        EventBus bus;
        PeerServer peer(&bus);
        PeerConfig cfg;
        cfg.behavior = PeerBehavior::Echo;
        QCOMPARE(peer.start(cfg), 0);
        const qint64 rssBefore = residentBytes();
        QProcess judge;
        judge.start(python, {QStringLiteral(SOCKLAB_JUDGES_DIR "/echo_halfclose.py"),
                             QString::number(peer.port()), QString::number(bytes)});
        QVERIFY(judge.waitForStarted());
        // The bus is drained in this thread's event loop while the judge runs.
        QVERIFY(QTest::qWaitFor([&] { return judge.state() == QProcess::NotRunning; }, 100000));
        const QByteArray out = judge.readAllStandardOutput();
        QVERIFY2(judge.exitCode() == 0, judge.readAllStandardError().constData());
        const QJsonObject r = QJsonDocument::fromJson(out).object();
        QVERIFY2(!r.isEmpty(), out.constData());
        QVERIFY2(r.value(QStringLiteral("error")).isNull(), out.constData());
        QCOMPARE(qint64(r.value(QStringLiteral("sent")).toDouble()), bytes);
        QCOMPARE(qint64(r.value(QStringLiteral("received")).toDouble()), bytes);
        QCOMPARE(r.value(QStringLiteral("received_sha256")).toString(),
                 r.value(QStringLiteral("sent_sha256")).toString());
        QVERIFY(r.value(QStringLiteral("clean_eof")).toBool());
        // The peer holds at most its bounded echo buffer, whatever the stream's length.
        SOCKLAB_VERIFY_MEMORY(residentBytes() - rssBefore < 48 * 1024 * 1024,
                              qPrintable(QStringLiteral("resident memory grew by %1 MiB")
                                             .arg((residentBytes() - rssBefore) >> 20)));
    }

    // Closing with received data unread makes the kernel reset the connection instead of
    // closing it: the report says so, the peer's recv() gets the RST, and nobody keeps
    // TIME_WAIT (a FIN would have left c1 in it).
    void closeWithUnreadDataResets()
    {
        Engine engine;
        EventRecorder rec(engine.bus());
        engine.run({peer(PeerBehavior::Drip, 20), connectToPeer({}), hold(0.3),
                    Step::make(Step::Kind::Close, QStringLiteral("c1"))});
        QVERIFY(rec.waitFinished());
        const auto closed = rec.of(EventKind::Closed, QStringLiteral("c1"));
        QCOMPARE(closed.size(), 1);
        QVERIFY2(closed.first().bytes >= 5, qPrintable(rec.dump())); // ~15 bytes dripped
        QVERIFY(closed.first().detail.contains(QStringLiteral("RST instead of FIN")));
        QTRY_VERIFY2(rec.has(EventKind::Error, QStringLiteral("peer1")), qPrintable(rec.dump()));
        QCOMPARE(rec.first(EventKind::Error, QStringLiteral("peer1")).err, ECONNRESET);
        for (const Event &s : rec.of(EventKind::State, QStringLiteral("c1")))
            QVERIFY2(s.state != QStringLiteral("TIME_WAIT"), qPrintable(rec.dump()));
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
        SOCKLAB_REQUIRE_SOCKET_FILTERS();
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

    // The never-accept peer needs no privilege: its accept queue is full, so the kernel drops
    // the SYN, and the client's socket stays in SYN_SENT with its retransmit timer running.
    void neverAcceptKeepsTheClientInSynSent()
    {
        Engine engine;
        EventRecorder rec(engine.bus());
        SocketOptions o;
        o.connectTimeout = Timeout::fromMs(1500);
        engine.run({peer(PeerBehavior::NeverAccept), connectToPeer(o)});
        QVERIFY(QTest::qWaitFor(
            [&] {
                for (const auto &row : engine.socketTable()) {
                    if (engine.labelFor(row) == QStringLiteral("c1") && row.retrans >= 1 &&
                        platform::tcpStateName(row.state) == QStringLiteral("SYN_SENT"))
                        return true; // the first SYN went unanswered and was sent again
                }
                return false;
            },
            3000));
        QVERIFY(rec.waitFinished());
        QCOMPARE(rec.first(EventKind::Timeout, QStringLiteral("c1")).op, QStringLiteral("connect"));
        QVERIFY(!rec.has(EventKind::Connected, QStringLiteral("c1")));
    }

    // Each SYN the kernel sends again is a retransmit event, numbered, as many as the kernel's
    // own count for the socket (sock_diag's idiag_retrans, what ss shows).
    void synRetransmissionsAreReported()
    {
        Engine engine;
        EventRecorder rec(engine.bus());
        SocketOptions o;
        o.connectTimeout = Timeout::fromMs(2500); // SYNs at 0, ~1 and ~2 s here
        Step c = connectToPeer(o);
        engine.run({peer(PeerBehavior::NeverAccept), c});
        int kernelCount = -1;
        QVERIFY(QTest::qWaitFor(
            [&] {
                for (const auto &row : engine.socketTable()) {
                    if (engine.labelFor(row) == QStringLiteral("c1"))
                        kernelCount = row.retrans;
                }
                return rec.finished();
            },
            10000));
        const auto re = rec.of(EventKind::Retransmit, QStringLiteral("c1"));
        QVERIFY2(re.size() >= 1, qPrintable(rec.dump()));
        for (int i = 0; i < re.size(); ++i) {
            QCOMPARE(re[i].probe, i + 1);
            QCOMPARE(re[i].op, QStringLiteral("connect"));
        }
        // The table's last sight of c1 was at most one retransmission behind the events.
        QVERIFY2(
            kernelCount >= 1 && qAbs(kernelCount - int(re.size())) <= 1,
            qPrintable(QStringLiteral("kernel %1, events %2").arg(kernelCount).arg(re.size())));
        // Each came after the connect began and before its timeout.
        const qint64 start = rec.first(EventKind::Connecting, QStringLiteral("c1")).tNs;
        const qint64 end = rec.first(EventKind::Timeout, QStringLiteral("c1")).tNs;
        for (const Event &e : re)
            QVERIFY(e.tNs > start && e.tNs < end);
    }

    // Where the kernel refuses socket filters, the blackhole peer does not start (it would be
    // a healthy peer claiming to drop everything): an error names the call, and the run stops.
    void blackholeRefusedHonestlyWithoutFilters()
    {
        if (socketFiltersAllowed())
            QSKIP("This user may attach socket filters; the unprivileged run of the suite (and "
                  "tst_cli as uid 65534) checks the refusal.");
        Engine engine;
        EventRecorder rec(engine.bus());
        engine.run({peer(PeerBehavior::Blackhole), connectToPeer({}), recv()});
        QVERIFY(rec.waitFinished());
        const Event e = rec.first(EventKind::Error, QStringLiteral("peer"));
        QCOMPARE(e.err, EPERM);
        QCOMPARE(e.option, QStringLiteral("SO_ATTACH_FILTER"));
        QVERIFY2(e.detail.contains(QStringLiteral("did not start")), qPrintable(e.detail));
        QVERIFY(!rec.has(EventKind::Listening, QStringLiteral("peer")));
        QVERIFY(!rec.has(EventKind::Connecting, QStringLiteral("c1")));
        QCOMPARE(rec.first(EventKind::Finished).detail,
                 QString::fromLatin1(Engine::kAbortedDetail));
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

    // The reboot peer sends nothing when it forgets the connection (a recv() with a timeout
    // times out instead of seeing FIN or RST), and answers the next data with RST.
    void rebootForgetsSilentlyThenResets()
    {
        if (!repairModeAllowed())
            QSKIP("Needs TCP_REPAIR (CAP_NET_ADMIN); rebootRefusedHonestlyWithoutRepair checks "
                  "the refusal.");
        Engine engine;
        EventRecorder rec(engine.bus());
        engine.run({peer(PeerBehavior::Reboot, 100), connectToPeer(recvTimeout(0.4)), recv(),
                    send("x"), recv()});
        QVERIFY(rec.waitFinished());
        QTRY_VERIFY(rec.has(EventKind::Closed, QStringLiteral("peer1")));
        QCOMPARE(rec.count(EventKind::Timeout, QStringLiteral("c1")), 1);
        QVERIFY(!rec.has(EventKind::PeerClosed, QStringLiteral("c1")));
        QCOMPARE(rec.count(EventKind::Sent, QStringLiteral("c1")), 1);
        const Event e = rec.first(EventKind::Error, QStringLiteral("c1"));
        QCOMPARE(e.err, ECONNRESET);
        QCOMPARE(e.op, QStringLiteral("recv"));
        QVERIFY(*e.elapsed < 0.2);
    }

    void rebootRefusedHonestlyWithoutRepair()
    {
        if (repairModeAllowed())
            QSKIP("This user may use TCP_REPAIR; the unprivileged run of the suite checks the "
                  "refusal.");
        Engine engine;
        EventRecorder rec(engine.bus());
        engine.run({peer(PeerBehavior::Reboot), connectToPeer({}), recv()});
        QVERIFY(rec.waitFinished());
        const Event e = rec.first(EventKind::Error, QStringLiteral("peer"));
        QCOMPARE(e.err, EPERM);
        QCOMPARE(e.option, QStringLiteral("TCP_REPAIR"));
        QVERIFY2(e.detail.contains(QStringLiteral("CAP_NET_ADMIN")) &&
                     e.detail.contains(QStringLiteral("did not start")),
                 qPrintable(e.detail));
        QVERIFY(!rec.has(EventKind::Listening, QStringLiteral("peer")));
        QVERIFY(!rec.has(EventKind::Connecting, QStringLiteral("c1")));
    }

    // Every event says which run caused it (a probe or a peer's echo too), and the stream is
    // numbered 1, 2, 3 ... as delivered: a consumer can drop a run it has left behind.
    void everyEventCarriesItsRun()
    {
        Engine engine;
        EventRecorder rec(engine.bus());
        SocketOptions ka = keepalive(1, 1, 3);
        const quint64 first =
            engine.run({peer(PeerBehavior::Echo), connectToPeer(ka), send("a"), recv(), hold(1.3)});
        QVERIFY(rec.waitFinished());
        QVERIFY(rec.has(EventKind::ProbeSent, QStringLiteral("c1")));
        const int firstCount = int(rec.events.size());
        rec.events.removeIf([](const Event &e) { return e.kind == EventKind::Finished; });
        const quint64 second = engine.run({send("b"), recv()});
        QVERIFY(QTest::qWaitFor(
            [&] {
                return std::any_of(rec.events.cbegin(), rec.events.cend(), [&](const Event &e) {
                    return e.kind == EventKind::Finished && e.run == second;
                });
            },
            5000));
        QVERIFY(second > first);
        quint64 seq = 0;
        int inFirst = 0, inSecond = 0;
        for (const Event &e : std::as_const(rec.events)) {
            QVERIFY2(e.seq > seq, qPrintable(e.toText()));
            seq = e.seq;
            QVERIFY2(e.run == first || e.run == second, qPrintable(e.toText()));
            (e.run == first ? inFirst : inSecond) += 1;
        }
        QVERIFY(inFirst >= firstCount - 1); // the table may still report a state of the first
        QVERIFY(inSecond >= 4);             // sending, sent, the peer's echo, received ...
        for (const Event &e : rec.of(EventKind::Received, QStringLiteral("c1")))
            QCOMPARE(e.run, e.data == QLatin1String("a") ? first : second);
        for (const Event &e : rec.of(EventKind::ProbeSent, QStringLiteral("c1")))
            QCOMPARE(e.run, first);
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
