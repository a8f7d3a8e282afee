// A program of the user's own run in the lab (socklab-cli run, the Run step): its sockets are
// reported from the kernel's table and the wire as SockLab's own are, what it prints is an
// event per line, its exit status is the CLI's, and Stop ends it. The outside judges: Python
// (the program itself, with its own socket module) and tshark (its keepalive probes).
#include "Lab.h"
#include "TestSupport.h"
#include "WireJudge.h"

#include <QFile>

#include <cerrno>
#include <csignal>

using namespace socklab;
using namespace socklab::test;

namespace {
// The seed's keepalive client, in Python: connect to the built-in peer, keepalive idle 1 s,
// send, read the echo, then wait 2.5 s more for data that never comes (settimeout).
const char *kClient = R"(import os, socket
s = socket.create_connection((os.environ["SOCKLAB_PEER_HOST"], int(os.environ["SOCKLAB_PEER_PORT"])))
s.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
s.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPIDLE, 1)
s.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPINTVL, 1)
s.settimeout(2.5)
s.sendall(b"hello")
print("got", s.recv(10), flush=True)
try:
    s.recv(10)
except socket.timeout:
    print("timeout!", flush=True)
)";

// A client that times out twice against a silent peer, and measures each wait itself: a
// recv() under settimeout(0.5) (Python waits in poll()), then a blocking recv() under an
// SO_RCVTIMEO of 0.3 s (the kernel's own timer: EAGAIN).
const char *kTimesOut = R"(import os, socket, struct, time
s = socket.create_connection((os.environ["SOCKLAB_PEER_HOST"], int(os.environ["SOCKLAB_PEER_PORT"])))
s.settimeout(0.5)
t = time.monotonic()
try:
    s.recv(10)
except socket.timeout:
    print("poll %.6f" % (time.monotonic() - t), flush=True)
s.settimeout(None)
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO, struct.pack("ll", 0, 300000))
t = time.monotonic()
try:
    s.recv(10)
except BlockingIOError:
    print("rcvtimeo %.6f" % (time.monotonic() - t), flush=True)
s.close()
)";

QStringList lines(const Run &r, const QString &stream)
{
    QStringList out;
    for (const QJsonObject &e : r.of(QStringLiteral("info"), stream))
        out << e.value(QStringLiteral("detail")).toString();
    return out;
}
// A program's command line: Python running `script`.
QStringList pythonRunning(const char *script)
{
    return {QStringLiteral("python3"), QStringLiteral("-c"), QString::fromUtf8(script)};
}
} // namespace

class TestLabRun : public QObject
{
    Q_OBJECT

  private slots:
    void initTestCase()
    {
        SOCKLAB_REQUIRE_LAB();
        QVERIFY2(!QStandardPaths::findExecutable(QStringLiteral("python3")).isEmpty(),
                 "python3 is not installed (scripts/setup.sh installs it)");
    }

    // The program's socket is p1: its states come from the kernel's table, its segments from
    // the wire (keepalive probes and their ACKs, which tshark counts alike), and its prints
    // are events in time with them: the timeout it reports comes 2.5 s after the echo.
    void aProgramIsWatchedAsSockLabsOwnSocketsAre()
    {
        QTemporaryDir dir;
        const QString script = dir.filePath(QStringLiteral("client.py"));
        QFile f(script);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write(kClient);
        f.close();
        const Run r =
            runCli({QStringLiteral("run"), QStringLiteral("--peer"), QStringLiteral("echo"),
                    QStringLiteral("--"), QStringLiteral("python3"), script},
                   dir);
        QCOMPARE(r.exitCode, 0);
        QCOMPARE(lines(r, QStringLiteral("stdout")),
                 (QStringList{QStringLiteral("got b'hello'"), QStringLiteral("timeout!")}));
        // Python's own 2.5 s timeout, seen through its print (read by SockLab a moment later),
        // counted from the echo on the wire (the kernel's timestamp): Python's timed recv()
        // began after the echo arrived, and SockLab read the print after Python made it, so
        // the wait can only be longer. (Counted from the first print's reading it could look
        // shorter: that reading may be later than the second's is.)
        const QList<QJsonObject> out = r.of(QStringLiteral("info"), QStringLiteral("stdout"));
        QList<double> echoes;
        for (const QJsonObject &e : r.of(QStringLiteral("segment"))) {
            if (e.value(QStringLiteral("to_sock")).toString() == QLatin1String("p1") &&
                e.value(QStringLiteral("bytes")).toInt() == 5)
                echoes << e.value(QStringLiteral("t")).toDouble();
        }
        QCOMPARE(echoes.size(), 1);
        const double waited = out[1].value(QStringLiteral("t")).toDouble() - echoes[0];
        QVERIFY2(waited >= 2.5 && waited < 3.5, qPrintable(QString::number(waited)));
        // Its socket in the kernel's table: ESTABLISHED, then TIME_WAIT (it closed first).
        QStringList states;
        for (const QJsonObject &e : r.of(QStringLiteral("state"))) {
            if (e.value(QStringLiteral("sock")).toString() == QLatin1String("p1"))
                states << e.value(QStringLiteral("state")).toString();
        }
        QVERIFY2(states.contains(QStringLiteral("ESTABLISHED")), qPrintable(states.join(u' ')));
        QCOMPARE(states.last(), QStringLiteral("TIME_WAIT"));
        // Its keepalive probes on the wire, named after it, each answered.
        int probes = 0, acks = 0;
        for (const QJsonObject &e : r.of(QStringLiteral("segment"))) {
            const QString m = e.value(QStringLiteral("meaning")).toString();
            if (m == QLatin1String("keepalive_probe")) {
                ++probes;
                QCOMPARE(e.value(QStringLiteral("sock")).toString(), QStringLiteral("p1"));
            }
            acks += m == QLatin1String("keepalive_ack");
        }
        QVERIFY2(probes >= 2, qPrintable(QString::number(probes)));
        QCOMPARE(acks, probes);
        QString error;
        const Counts judged = judge(r.pcap, &error);
        QVERIFY2(error.isEmpty(), qPrintable(error));
        QCOMPARE(judged.keepalive, probes);
        QCOMPARE(judged.keepaliveAck, acks);
        QCOMPARE(judged.syn, 1);
        // The program's exit, with its status.
        const QList<QJsonObject> exits = r.of(QStringLiteral("info"), QStringLiteral("exit"));
        QCOMPARE(exits.size(), 1);
        QCOMPARE(exits[0].value(QStringLiteral("exit_code")).toInt(), 0);
        // Not asked to trace: none of its calls is claimed.
        for (const QJsonObject &e : r.events)
            QVERIFY2(!e.contains(QLatin1String("traced")),
                     qPrintable(e.value(QStringLiteral("detail")).toString()));
    }

    // --trace: strace shows the program's own calls on its socket, and each is the call the
    // program made. The judge is the program itself: Python measures how long each of its
    // recv() calls waited, and SockLab's traced calls must say the same: a poll() whose 0.5 s
    // ran out (how settimeout() times out), then a recvfrom() that failed with EAGAIN when the
    // socket's SO_RCVTIMEO of 0.3 s ran out. The socket is p1 in both the trace and the
    // kernel's table.
    void aTracedProgramsCallsAreTheOnesItMade()
    {
        if (QStandardPaths::findExecutable(QStringLiteral("strace")).isEmpty())
            QFAIL("strace is not installed (scripts/setup.sh installs it)");
        QTemporaryDir dir;
        const QString script = dir.filePath(QStringLiteral("times_out.py"));
        QFile f(script);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write(kTimesOut);
        f.close();
        const Run r = runCli({QStringLiteral("run"), QStringLiteral("--trace"),
                              QStringLiteral("--peer"), QStringLiteral("silent"),
                              QStringLiteral("--"), QStringLiteral("python3"), script},
                             dir);
        QCOMPARE(r.exitCode, 0);
        // What Python measured.
        QHash<QString, double> measured;
        for (const QString &l : lines(r, QStringLiteral("stdout"))) {
            const QStringList w = l.split(u' ');
            QCOMPARE(w.size(), 2);
            measured.insert(w[0], w[1].toDouble());
        }
        QCOMPARE(measured.size(), 2);
        const auto traced = [&](const QString &kind, const QString &op) {
            QList<QJsonObject> out;
            for (const QJsonObject &e : r.of(kind, op)) {
                if (e.value(QStringLiteral("traced")).toString() == QLatin1String("strace"))
                    out << e;
            }
            return out;
        };
        // The socket it made, named as the kernel's table names it.
        const QList<QJsonObject> made = traced(QStringLiteral("info"), QStringLiteral("socket"));
        QCOMPARE(made.size(), 1);
        QCOMPARE(made[0].value(QStringLiteral("sock")).toString(), QStringLiteral("p1"));
        const QList<QJsonObject> connected =
            traced(QStringLiteral("connected"), QStringLiteral("connect"));
        QCOMPARE(connected.size(), 1);
        QCOMPARE(connected[0].value(QStringLiteral("sock")).toString(), QStringLiteral("p1"));
        const QJsonObject listening = r.of(QStringLiteral("listening")).value(0);
        QCOMPARE(connected[0].value(QStringLiteral("remote")).toString(),
                 listening.value(QStringLiteral("local")).toString());
        bool established = false;
        for (const QJsonObject &e : r.of(QStringLiteral("state")))
            established |=
                e.value(QStringLiteral("sock")).toString() == QLatin1String("p1") &&
                e.value(QStringLiteral("state")).toString() == QLatin1String("ESTABLISHED");
        QVERIFY(established);

        // settimeout(0.5): a poll() that entered, waited its 0.5 s and returned 0.
        const QList<QJsonObject> polls = traced(QStringLiteral("timeout"), QStringLiteral("poll"));
        QCOMPARE(polls.size(), 1);
        const QJsonObject poll = polls[0];
        QCOMPARE(poll.value(QStringLiteral("sock")).toString(), QStringLiteral("p1"));
        QCOMPARE(poll.value(QStringLiteral("timeout")).toDouble(), 0.5);
        QCOMPARE(poll.value(QStringLiteral("mechanism")).toString(), QStringLiteral("poll"));
        const double pollTook = poll.value(QStringLiteral("elapsed")).toDouble();
        QVERIFY2(pollTook >= 0.5 && pollTook <= measured.value(QStringLiteral("poll")),
                 qPrintable(QStringLiteral("%1 vs Python's %2")
                                .arg(pollTook)
                                .arg(measured.value(QStringLiteral("poll")))));
        QVERIFY2(measured.value(QStringLiteral("poll")) - pollTook < 0.01,
                 qPrintable(QString::number(measured.value(QStringLiteral("poll")) - pollTook)));
        // Its start was seen when it entered the kernel, with its limit: the bar's two ends.
        const QList<QJsonObject> waits =
            traced(QStringLiteral("receiving"), QStringLiteral("poll"));
        QVERIFY(!waits.isEmpty());
        const QJsonObject entered = waits.last();
        QCOMPARE(entered.value(QStringLiteral("timeout")).toDouble(), 0.5);
        const double span = poll.value(QStringLiteral("t")).toDouble() -
                            entered.value(QStringLiteral("t")).toDouble();
        QVERIFY2(qAbs(span - pollTook) < 0.001,
                 qPrintable(QStringLiteral("%1 vs %2").arg(span).arg(pollTook)));

        // SO_RCVTIMEO 0.3 s: the program set it, and a blocking recvfrom() failed with EAGAIN
        // when it ran out.
        const QList<QJsonObject> set = traced(QStringLiteral("info"), QStringLiteral("setsockopt"));
        QCOMPARE(set.size(), 1);
        QCOMPARE(set[0].value(QStringLiteral("option")).toString(), QStringLiteral("SO_RCVTIMEO"));
        QCOMPARE(set[0].value(QStringLiteral("requested")).toDouble(), 0.3);
        const QList<QJsonObject> recvs =
            traced(QStringLiteral("timeout"), QStringLiteral("recvfrom"));
        QCOMPARE(recvs.size(), 1);
        QCOMPARE(recvs[0].value(QStringLiteral("errno")).toString(), QStringLiteral("EAGAIN"));
        QCOMPARE(recvs[0].value(QStringLiteral("mechanism")).toString(), QStringLiteral("sockopt"));
        const double recvTook = recvs[0].value(QStringLiteral("elapsed")).toDouble();
        QVERIFY2(recvTook >= 0.3 && measured.value(QStringLiteral("rcvtimeo")) - recvTook < 0.01 &&
                     recvTook <= measured.value(QStringLiteral("rcvtimeo")),
                 qPrintable(QStringLiteral("%1 vs Python's %2")
                                .arg(recvTook)
                                .arg(measured.value(QStringLiteral("rcvtimeo")))));
        // And it closed it; the program's end counts what was shown.
        QCOMPARE(traced(QStringLiteral("closed"), QStringLiteral("close")).size(), 1);
        const QJsonObject exit = r.of(QStringLiteral("info"), QStringLiteral("exit")).value(0);
        QVERIFY2(exit.value(QStringLiteral("calls_traced")).toInt() >= 6,
                 qPrintable(QString::number(exit.value(QStringLiteral("calls_traced")).toInt())));
    }

    // Its exit status is the CLI's; stdout and stderr are told apart; a program that cannot
    // run says why and exits 127, as a shell does.
    void theExitStatusIsTheProgramsOwn()
    {
        QTemporaryDir dir;
        const Run r =
            runCli({QStringLiteral("run"), QStringLiteral("--"), QStringLiteral("sh"),
                    QStringLiteral("-c"), QStringLiteral("echo out; echo err >&2; exit 3")},
                   dir);
        QCOMPARE(r.exitCode, 3);
        QCOMPARE(lines(r, QStringLiteral("stdout")), QStringList{QStringLiteral("out")});
        QCOMPARE(lines(r, QStringLiteral("stderr")), QStringList{QStringLiteral("err")});
        const Run missing = runCli(
            {QStringLiteral("run"), QStringLiteral("--"), QStringLiteral("/nonexistent/program")},
            dir);
        QCOMPARE(missing.exitCode, 127);
        const QList<QJsonObject> err = missing.of(QStringLiteral("error"), QStringLiteral("exit"));
        QCOMPARE(err.size(), 1);
        QCOMPARE(err[0].value(QStringLiteral("errno")).toString(), QStringLiteral("ENOENT"));
    }

    // What the program is given is exactly its own: every argument, empty ones too, and no
    // descriptor of SockLab's or of the lab's helper beyond stdin, stdout and stderr.
    void theProgramGetsItsArgumentsAndNothingElse()
    {
        QTemporaryDir dir;
        const Run r = runCli({QStringLiteral("run"), QStringLiteral("--"), QStringLiteral("sh"),
                              QStringLiteral("-c"),
                              QStringLiteral("printf '[%s]\\n' \"$@\"; "
                                             "for fd in 3 4 5 6 7 8 9; do "
                                             "[ -e /proc/self/fd/$fd ] && echo open $fd; done; "
                                             "true"),
                              QStringLiteral("sh"), QString(), QStringLiteral("x")},
                             dir);
        QCOMPARE(r.exitCode, 0);
        QCOMPARE(lines(r, QStringLiteral("stdout")),
                 (QStringList{QStringLiteral("[]"), QStringLiteral("[x]")}));
    }

    // Stop ends the program at once (SIGTERM), and says so; nothing of it is left.
    void stopEndsTheProgram()
    {
        Engine engine(nullptr, nullptr, Engine::Network::Lab);
        EventRecorder rec(engine.bus());
        QTRY_VERIFY_WITH_TIMEOUT(!engine.isBusy(), 10000);
        Step run = Step::make(Step::Kind::Run, QStringLiteral("prog"));
        run.argv = QStringList{QStringLiteral("sleep"), QStringLiteral("30")};
        engine.run({run});
        QTRY_VERIFY_WITH_TIMEOUT(rec.has(EventKind::Info, QStringLiteral("prog")), 5000);
        const int pid = rec.first(EventKind::Info, QStringLiteral("prog"))
                            .extra.value(QStringLiteral("pid"))
                            .toInt();
        QVERIFY(pid > 0);
        QElapsedTimer t;
        t.start();
        engine.stop();
        QTRY_VERIFY_WITH_TIMEOUT(rec.has(EventKind::Cancelled, QStringLiteral("prog")), 3000);
        QVERIFY2(t.elapsed() < 1500, qPrintable(QString::number(t.elapsed())));
        const Event ended = rec.first(EventKind::Cancelled, QStringLiteral("prog"));
        QVERIFY2(ended.detail.contains(QLatin1String("SIGTERM")), qPrintable(ended.detail));
        QCOMPARE(::kill(pid, 0), -1); // reaped by the helper: no such process
        QCOMPARE(errno, ESRCH);

        // One that ignores SIGTERM gets SIGKILL after a second; what it printed is kept.
        rec.clear();
        run.argv = pythonRunning("import signal, time\n"
                                 "signal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
                                 "print('up', flush=True)\n"
                                 "time.sleep(30)");
        engine.run({run});
        QTRY_VERIFY_WITH_TIMEOUT(rec.has(EventKind::Info, QStringLiteral("prog")) &&
                                     rec.of(EventKind::Info, QStringLiteral("prog")).size() >= 2,
                                 5000);
        t.restart();
        engine.stop();
        QTRY_VERIFY_WITH_TIMEOUT(rec.has(EventKind::Cancelled, QStringLiteral("prog")), 5000);
        QVERIFY2(t.elapsed() < 2500, qPrintable(QString::number(t.elapsed())));
        const Event killed = rec.first(EventKind::Cancelled, QStringLiteral("prog"));
        QVERIFY2(killed.detail.contains(QLatin1String("SIGKILL")), qPrintable(killed.detail));

        // Under strace, and what it forked: a tracer told to end leaves its program running,
        // so Stop ends the program's whole process group. The program says its pid and its
        // child's; neither is left after Stop.
        if (QStandardPaths::findExecutable(QStringLiteral("strace")).isEmpty())
            QFAIL("strace is not installed (scripts/setup.sh installs it)");
        rec.clear();
        run.trace = true;
        run.argv = pythonRunning("import os, subprocess, time\n"
                                 "c = subprocess.Popen(['sleep', '30'])\n"
                                 "print(os.getpid(), c.pid, flush=True)\n"
                                 "time.sleep(30)");
        engine.run({run});
        QList<int> pids;
        const auto saidItsPids = [&] {
            for (const Event &e : rec.of(EventKind::Info, QStringLiteral("prog"))) {
                const QStringList w = e.detail.split(u' ');
                if (e.op == QLatin1String("stdout") && w.size() == 2) {
                    pids = {w[0].toInt(), w[1].toInt()};
                    return true;
                }
            }
            return false;
        };
        QTRY_VERIFY_WITH_TIMEOUT(saidItsPids(), 10000);
        QVERIFY(pids[0] > 0 && pids[1] > 0);
        engine.stop();
        QTRY_VERIFY_WITH_TIMEOUT(rec.has(EventKind::Cancelled, QStringLiteral("prog")), 5000);
        for (const int p : pids) {
            QTRY_VERIFY2_WITH_TIMEOUT(::kill(p, 0) == -1 && errno == ESRCH,
                                      qPrintable(QStringLiteral("process %1 outlived Stop").arg(p)),
                                      3000);
        }
    }

    // On this machine's network a program is not run (the engine says why), and the CLI
    // refuses what it cannot do.
    void refusals()
    {
        Engine host;
        EventRecorder rec(host.bus());
        Step run = Step::make(Step::Kind::Run, QStringLiteral("prog"));
        run.argv = QStringList{QStringLiteral("true")};
        host.run({run});
        QVERIFY(rec.waitFinished());
        QVERIFY(rec.first(EventKind::Error, QStringLiteral("prog"))
                    .detail.contains(QLatin1String("runs only in the lab")));
        for (const QStringList &args :
             {QStringList{QStringLiteral("run"), QStringLiteral("--network"),
                          QStringLiteral("host"), QStringLiteral("--"), QStringLiteral("true")},
              QStringList{QStringLiteral("run")}}) {
            QProcess p;
            p.start(QStringLiteral(SOCKLAB_CLI_PATH), args);
            QVERIFY(p.waitForFinished(20000));
            QCOMPARE(p.exitCode(), 2);
            QVERIFY(!p.readAllStandardError().isEmpty());
        }
    }
};

QTEST_GUILESS_MAIN(TestLabRun)
#include "tst_labrun.moc"
