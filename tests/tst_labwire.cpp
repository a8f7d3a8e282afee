// The lab's wire against an outside judge. socklab-cli runs an experiment in the lab and writes
// what the wire carried as a pcap file (--pcap); tshark (Wireshark, which nobody here wrote)
// reads that file and counts SYNs, SYNs sent again, keepalive probes, retransmissions, FINs
// and RSTs. Its counts must equal SockLab's segment events, and the segments must agree with
// what SockLab saw from the sockets' side (probe_sent, retransmit, state events).
#include "Lab.h"
#include "TestSupport.h"
#include "WireJudge.h"

#include <QFileInfo>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QStandardPaths>
#include <QTemporaryDir>

using namespace socklab;

using namespace socklab::test;

class TestLabWire : public QObject
{
    Q_OBJECT

    void compareWithTshark(const Run &r, Counts *judged)
    {
        QVERIFY2(QFileInfo::exists(r.pcap), qPrintable(r.stderrText));
        QString error;
        *judged = judge(r.pcap, &error);
        QVERIFY2(error.isEmpty(), qPrintable(error));
        const Counts ours = r.segments();
        QVERIFY2(judged->frames > 0, qPrintable(r.stderrText));
        QVERIFY2(ours.text() == judged->text(),
                 qPrintable(
                     QStringLiteral("SockLab: %1\ntshark:  %2").arg(ours.text(), judged->text())));
    }

  private slots:
    // A peer that lost power: keepalive probes, unanswered, then the kernel's RST. tshark's
    // keepalives are SockLab's segment probes and its probe_sent events (TCP_INFO's counters).
    void keepaliveProbesAgreeWithTshark()
    {
        QTemporaryDir dir;
        const Run r = runCli(
            {QStringLiteral("connect"), QStringLiteral("--peer"), QStringLiteral("blackhole"),
             QStringLiteral("--keepalive"), QStringLiteral("--keepidle"), QStringLiteral("1"),
             QStringLiteral("--keepintvl"), QStringLiteral("1"), QStringLiteral("--keepcnt"),
             QStringLiteral("2"), QStringLiteral("--recv"), QStringLiteral("100")},
            dir);
        QCOMPARE(r.exitCode, 0);
        Counts judged;
        compareWithTshark(r, &judged);
        if (QTest::currentTestFailed())
            return;
        QCOMPARE(judged.keepalive, 2);
        QCOMPARE(r.of(QStringLiteral("probe_sent")).size(), judged.keepalive);
        QCOMPARE(judged.keepaliveAck, 0); // nothing answered
        QVERIFY(judged.rst >= 1);         // the kernel's reset when it gave up
        // Each probe event comes after the frame it reports, never before it.
        const QList<QJsonObject> probes = r.of(QStringLiteral("probe_sent"));
        QList<double> frames;
        for (const QJsonObject &e : r.of(QStringLiteral("segment"))) {
            if (e.value(QStringLiteral("meaning")).toString() == QLatin1String("keepalive_probe"))
                frames << e.value(QStringLiteral("t")).toDouble();
        }
        QCOMPARE(frames.size(), probes.size());
        for (int i = 0; i < probes.size(); ++i)
            QVERIFY2(probes[i].value(QStringLiteral("t")).toDouble() >= frames[i],
                     qPrintable(QStringLiteral("probe %1 reported at %2 s, on the wire at %3 s")
                                    .arg(i + 1)
                                    .arg(probes[i].value(QStringLiteral("t")).toDouble())
                                    .arg(frames[i])));
        // ... and just after it: the wire tells the monitor of each probe as its frame is read
        // (Monitor::wireSaw), so the counters are read then, not at the next of the fallback's
        // reads, kWireHintedSampleNs (50 ms) apart.
        for (int i = 0; i < probes.size(); ++i) {
            const double lagMs =
                (probes[i].value(QStringLiteral("t")).toDouble() - frames[i]) * 1e3;
            QVERIFY2(lagMs < 20,
                     qPrintable(QStringLiteral("probe %1 reported %2 ms after its frame")
                                    .arg(i + 1)
                                    .arg(lagMs)));
        }
    }

    // A server too busy to accept: its SYNs go unanswered and are sent again on this kernel's
    // schedule. tshark's SYN retransmissions are SockLab's and the monitor's retransmit events.
    void synRetransmissionsAgreeWithTshark()
    {
        QTemporaryDir dir;
        const Run r = runCli({QStringLiteral("connect"), QStringLiteral("--peer"),
                              QStringLiteral("never-accept"), QStringLiteral("--connect-timeout"),
                              QStringLiteral("2.5")},
                             dir);
        QCOMPARE(r.exitCode, 0);
        Counts judged;
        compareWithTshark(r, &judged);
        if (QTest::currentTestFailed())
            return;
        QVERIFY2(judged.synAgain >= 1, qPrintable(judged.text()));
        QCOMPARE(r.of(QStringLiteral("retransmit"), QStringLiteral("connect")).size(),
                 judged.synAgain);
        QCOMPARE(r.of(QStringLiteral("timeout"), QStringLiteral("connect")).size(), 1);
    }

    // Data sent to a vanished peer is sent again; tshark's retransmissions are SockLab's and
    // the monitor's (TCP_INFO) retransmit events of the send. (Two bytes: tshark takes a
    // one-byte segment one below the next sequence number for a keepalive probe, even when
    // that byte was never acknowledged; SockLab's analysis does not, see tst_segments.)
    void dataRetransmissionsAgreeWithTshark()
    {
        QTemporaryDir dir;
        const Run r = runCli({QStringLiteral("connect"), QStringLiteral("--peer"),
                              QStringLiteral("blackhole"), QStringLiteral("--send"),
                              QStringLiteral("xy"), QStringLiteral("--recv"), QStringLiteral("1"),
                              QStringLiteral("--recv-timeout"), QStringLiteral("1.7")},
                             dir);
        QCOMPARE(r.exitCode, 0);
        Counts judged;
        compareWithTshark(r, &judged);
        if (QTest::currentTestFailed())
            return;
        QVERIFY2(judged.retransmissions >= 2, qPrintable(judged.text()));
        QCOMPARE(r.of(QStringLiteral("retransmit"), QStringLiteral("send")).size(),
                 judged.retransmissions);
    }

    // Who closes first ends in TIME_WAIT: on the wire the first FIN is the client's (c1), and
    // the socket table puts c1, not a1, in TIME_WAIT.
    void theFirstFinIsTheClientsOnTheWire()
    {
        QTemporaryDir dir;
        const Run r = runCli({QStringLiteral("lesson"), QStringLiteral("who-gets-timewait")}, dir);
        QCOMPARE(r.exitCode, 0);
        Counts judged;
        compareWithTshark(r, &judged);
        if (QTest::currentTestFailed())
            return;
        QCOMPARE(judged.fin, 2);
        QString firstFin;
        for (const QJsonObject &e : r.of(QStringLiteral("segment"))) {
            if (e.value(QStringLiteral("flags")).toString().contains(QLatin1String("FIN"))) {
                firstFin = e.value(QStringLiteral("sock")).toString();
                break;
            }
        }
        QCOMPARE(firstFin, QStringLiteral("c1"));
        bool c1TimeWait = false;
        for (const QJsonObject &e : r.of(QStringLiteral("state"))) {
            if (e.value(QStringLiteral("state")).toString() == QLatin1String("TIME_WAIT"))
                c1TimeWait = e.value(QStringLiteral("sock")).toString() == QLatin1String("c1");
        }
        QVERIFY(c1TimeWait);
    }

    // The wire is watched at both hosts. On a pulled cable each keepalive probe leaves the
    // client and never reaches the server: a `lost` event for each, naming its frame, and
    // tshark says that frame of the saved capture is a keepalive probe. The kernel's RST when
    // it gives up is lost too.
    void whatThePulledCableSwallowedIsLost()
    {
        QTemporaryDir dir;
        const Run r = runCli(
            {QStringLiteral("connect"), QStringLiteral("--peer"), QStringLiteral("echo"),
             QStringLiteral("--fault"), QStringLiteral("cable"), QStringLiteral("--keepalive"),
             QStringLiteral("--keepidle"), QStringLiteral("1"), QStringLiteral("--keepintvl"),
             QStringLiteral("1"), QStringLiteral("--keepcnt"), QStringLiteral("2"),
             QStringLiteral("--recv"), QStringLiteral("10")},
            dir);
        QCOMPARE(r.exitCode, 0);
        const QList<QJsonObject> lost = r.of(QStringLiteral("lost"));
        QStringList probeFrames;
        int rst = 0, clientLost = 0, serverFin = 0;
        for (const QJsonObject &e : lost) {
            // Decided when its time was up, never before.
            QVERIFY(e.value(QStringLiteral("elapsed")).toDouble() >= 0.5);
            const QString meaning = e.value(QStringLiteral("meaning")).toString();
            const QString sock = e.value(QStringLiteral("sock")).toString();
            const QString host = e.value(QStringLiteral("host")).toString();
            const QString toHost = e.value(QStringLiteral("to_host")).toString();
            if (sock == QLatin1String("c1")) {
                QCOMPARE(host, QStringLiteral("client"));
                QCOMPARE(toHost, QStringLiteral("server"));
                ++clientLost;
                if (meaning == QLatin1String("keepalive_probe"))
                    probeFrames << QString::number(e.value(QStringLiteral("frame")).toInteger());
                rst += meaning == QLatin1String("rst");
            } else {
                // The peer closes its side when the run ends: its FIN goes into the cut cable.
                QCOMPARE(sock, QStringLiteral("peer1"));
                QCOMPARE(host, QStringLiteral("server"));
                QCOMPARE(toHost, QStringLiteral("client"));
                serverFin += meaning == QLatin1String("fin");
            }
        }
        QCOMPARE(probeFrames.size(), r.of(QStringLiteral("probe_sent")).size());
        QCOMPARE(probeFrames.size(), 2);
        QCOMPARE(rst, 1);
        QCOMPARE(clientLost, 3);
        QCOMPARE(serverFin, 1);
        // tshark, on the frames named: keepalive probes, all of them.
        const QString tshark = QStandardPaths::findExecutable(QStringLiteral("tshark"));
        QVERIFY2(!tshark.isEmpty(), "tshark is not installed (scripts/setup.sh installs it)");
        QProcess p;
        p.start(tshark, {QStringLiteral("-r"), r.pcap, QStringLiteral("-Y"),
                         QStringLiteral("tcp.analysis.keep_alive and frame.number in {%1}")
                             .arg(probeFrames.join(u',')),
                         QStringLiteral("-T"), QStringLiteral("fields"), QStringLiteral("-e"),
                         QStringLiteral("frame.number")});
        QVERIFY(p.waitForFinished(30000));
        QStringList judged;
        for (const QByteArray &line : p.readAllStandardOutput().split('\n')) {
            if (!line.trimmed().isEmpty())
                judged << QString::fromLatin1(line.trimmed());
        }
        QCOMPARE(judged, probeFrames);
    }

    // A healthy wire, watched at both hosts: each segment is reported once (where it left),
    // nothing is lost, and tshark finds no segment twice (it would call the second copy a
    // retransmission). The server's segments are reported from the server's link.
    void aHealthyWireLosesNothingAndShowsEachSegmentOnce()
    {
        QTemporaryDir dir;
        const Run r =
            runCli({QStringLiteral("connect"), QStringLiteral("--peer"), QStringLiteral("echo"),
                    QStringLiteral("--send"), QStringLiteral("hello"), QStringLiteral("--recv"),
                    QStringLiteral("5")},
                   dir);
        QCOMPARE(r.exitCode, 0);
        Counts judged;
        compareWithTshark(r, &judged);
        if (QTest::currentTestFailed())
            return;
        QCOMPARE(r.of(QStringLiteral("lost")).size(), 0);
        QCOMPARE(judged.retransmissions, 0);
        QCOMPARE(judged.syn, 1);
        int fromServer = 0, fromClient = 0;
        for (const QJsonObject &e : r.of(QStringLiteral("segment"))) {
            const QString host = e.value(QStringLiteral("host")).toString();
            const QString from = e.value(QStringLiteral("local")).toString();
            if (from.startsWith(platform::Lab::addressesOf(QStringLiteral("server")).value(0))) {
                QCOMPARE(host, QStringLiteral("server"));
                ++fromServer;
            } else if (from.startsWith(
                           platform::Lab::addressesOf(QStringLiteral("client")).value(0))) {
                QCOMPARE(host, QStringLiteral("client"));
                ++fromClient;
            }
        }
        QVERIFY2(fromServer >= 3 && fromClient >= 3,
                 qPrintable(QStringLiteral("%1 from the server, %2 from the client")
                                .arg(fromServer)
                                .arg(fromClient)));
    }
};

QTEST_GUILESS_MAIN(TestLabWire)
#include "tst_labwire.moc"
