// socklab-cli's contract: exit codes, messages naming the bad value and its range, NDJSON.
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QStandardPaths>
#include <QTest>

#include <algorithm>
#include <csignal>
#include <optional>
#include <unistd.h>

class TestCli : public QObject
{
    Q_OBJECT
    struct Run
    {
        int code = -1;
        QByteArray out;
        QByteArray err;
    };
    static Run run(const QStringList &args, int timeoutMs = 15000)
    {
        QProcess p;
        p.start(QStringLiteral(SOCKLAB_CLI_PATH), args);
        p.waitForFinished(timeoutMs);
        return {p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1,
                p.readAllStandardOutput(), p.readAllStandardError()};
    }
    // Starts the CLI and waits until its output contains marker.
    static bool startUntil(QProcess &p, const QStringList &args, const QByteArray &marker,
                           QByteArray *out)
    {
        p.start(QStringLiteral(SOCKLAB_CLI_PATH), args);
        if (!p.waitForStarted())
            return false;
        return QTest::qWaitFor(
            [&] {
                p.waitForReadyRead(50);
                *out += p.readAllStandardOutput();
                return out->contains(marker);
            },
            5000);
    }
    static QList<QJsonObject> ndjson(const QByteArray &out)
    {
        QList<QJsonObject> events;
        for (const QByteArray &line : out.split('\n')) {
            if (line.isEmpty())
                continue;
            QJsonParseError pe;
            const auto doc = QJsonDocument::fromJson(line, &pe);
            if (pe.error != QJsonParseError::NoError)
                qWarning() << "not JSON:" << line;
            events << doc.object();
        }
        return events;
    }

    // Runs the CLI as an ordinary user: through setpriv as uid 65534 when the suite runs as
    // root, directly otherwise. Empty when that cannot be done here.
    static std::optional<Run> runUnprivileged(const QStringList &args, int timeoutMs = 15000)
    {
        if (::geteuid() != 0)
            return run(args, timeoutMs);
        const QString setpriv = QStandardPaths::findExecutable(QStringLiteral("setpriv"));
        if (setpriv.isEmpty())
            return std::nullopt;
        QProcess p;
        p.start(setpriv,
                QStringList{QStringLiteral("--reuid=65534"), QStringLiteral("--regid=65534"),
                            QStringLiteral("--clear-groups"), QStringLiteral(SOCKLAB_CLI_PATH)} +
                    args);
        p.waitForFinished(timeoutMs);
        return Run{p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1,
                   p.readAllStandardOutput(), p.readAllStandardError()};
    }

  private slots:
    // As an ordinary user on this machine's network, a peer whose fault needs a socket filter
    // that the kernel refuses does not start and the CLI exits 1 saying why; never-accept needs
    // no privilege at all. (In the lab, the default for --peer and lessons, the filter is
    // allowed: tst_lab.)
    void faultPeersAsAnOrdinaryUser_data()
    {
        QTest::addColumn<QStringList>("args");
        QTest::newRow("connect --peer blackhole") << QStringList{
            QStringLiteral("connect"),   QStringLiteral("--peer"), QStringLiteral("blackhole"),
            QStringLiteral("--recv"),    QStringLiteral("1"),      QStringLiteral("--json"),
            QStringLiteral("--network"), QStringLiteral("host")};
        QTest::newRow("serve --behavior blackhole") << QStringList{
            QStringLiteral("serve"),      QStringLiteral("--port"),    QStringLiteral("0"),
            QStringLiteral("--behavior"), QStringLiteral("blackhole"), QStringLiteral("--json")};
        QTest::newRow("lesson keepalive-dead-peer") << QStringList{
            QStringLiteral("lesson"), QStringLiteral("keepalive-dead-peer"),
            QStringLiteral("--json"), QStringLiteral("--network"), QStringLiteral("host")};
    }
    void faultPeersAsAnOrdinaryUser()
    {
        QFETCH(QStringList, args);
        const auto r = runUnprivileged(args);
        if (!r)
            QSKIP("Running as root without setpriv: cannot act as an ordinary user.");
        const auto events = ndjson(r->out);
        const bool listened = std::any_of(events.cbegin(), events.cend(), [](const auto &e) {
            return e.value(QStringLiteral("kind")) == QStringLiteral("listening");
        });
        if (listened && r->code != 1)
            QSKIP("This kernel lets an ordinary user attach socket filters: nothing to refuse.");
        QCOMPARE(r->code, 1);
        QVERIFY2(!events.isEmpty(), r->err.constData());
        const QJsonObject &first = events.first();
        QCOMPARE(first.value(QStringLiteral("kind")).toString(), QStringLiteral("error"));
        QCOMPARE(first.value(QStringLiteral("option")).toString(),
                 QStringLiteral("SO_ATTACH_FILTER"));
        QCOMPARE(first.value(QStringLiteral("errno")).toString(), QStringLiteral("EPERM"));
        QVERIFY(!listened);
        QVERIFY2(r->err.contains("did not start"), r->err.constData());
        // Nothing was tried against a peer that is not there.
        for (const auto &e : events)
            QVERIFY(e.value(QStringLiteral("kind")) != QStringLiteral("connecting"));
    }

    void neverAcceptAsAnOrdinaryUser()
    {
        const auto r = runUnprivileged(
            {QStringLiteral("connect"), QStringLiteral("--peer"), QStringLiteral("never-accept"),
             QStringLiteral("--connect-timeout"), QStringLiteral("0.3"), QStringLiteral("--json")});
        if (!r)
            QSKIP("Running as root without setpriv: cannot act as an ordinary user.");
        QCOMPARE(r->code, 0);
        bool timedOut = false;
        for (const auto &e : ndjson(r->out))
            timedOut = timedOut || (e.value(QStringLiteral("kind")) == QStringLiteral("timeout") &&
                                    e.value(QStringLiteral("op")) == QStringLiteral("connect"));
        QVERIFY2(timedOut, r->out.constData());
    }

    void invalidArgumentsExit2_data()
    {
        QTest::addColumn<QStringList>("args");
        QTest::addColumn<QStringList>("mentions");
        const auto c = [](std::initializer_list<const char *> a) {
            QStringList l;
            for (const char *s : a)
                l << QString::fromLatin1(s);
            return l;
        };
        QTest::newRow("keepidle 0") << c({"connect", "--peer", "echo", "--keepidle", "0"})
                                    << c({"--keepidle", "0", "1", "32767"});
        QTest::newRow("keepcnt 128")
            << c({"connect", "--peer", "echo", "--keepcnt", "128"}) << c({"128", "127"});
        QTest::newRow("keepintvl text")
            << c({"connect", "--peer", "echo", "--keepintvl", "ten"}) << c({"ten", "32767"});
        QTest::newRow("port above 65535")
            << c({"connect", "127.0.0.1", "70000"}) << c({"70000", "65535"});
        QTest::newRow("port 0") << c({"connect", "127.0.0.1", "0"}) << c({"PORT", "1", "65535"});
        QTest::newRow("negative timeout") << c({"connect", "--peer", "echo", "--timeout", "-1"})
                                          << c({"--timeout", "-1", "none"});
        QTest::newRow("nan timeout") << c({"connect", "--peer", "echo", "--recv-timeout", "nan"})
                                     << c({"--recv-timeout", "nan"});
        QTest::newRow("bad mechanism")
            << c({"connect", "--peer", "echo", "--timeout-mechanism", "select"})
            << c({"select", "poll", "sockopt"});
        QTest::newRow("bad behavior") << c({"serve", "--port", "0", "--behavior", "ghost"})
                                      << c({"ghost", "echo", "blackhole"});
        QTest::newRow("missing host") << c({"connect"}) << c({"HOST PORT"});
        QTest::newRow("empty host") << c({"connect", "", "80"}) << c({"HOST"});
        QTest::newRow("host with space") << c({"connect", "exa mple.com", "80"}) << c({"HOST"});
        QTest::newRow("unknown command") << c({"frobnicate"}) << c({"frobnicate", "connect"});
        QTest::newRow("unknown option") << c({"connect", "--peer", "echo", "--wat"}) << c({"wat"});
        QTest::newRow("listen port -1") << c({"listen", "--port", "-1"}) << c({"-1", "65535"});
        QTest::newRow("rcvbuf 0") << c({"connect", "--peer", "echo", "--rcvbuf", "0"})
                                  << c({"SO_RCVBUF", "1073741823"});
        QTest::newRow("code bad lang") << c({"code", "--lang", "rust", "127.0.0.1", "80"})
                                       << c({"--lang", "'rust'", "python", "c"});
        QTest::newRow("code without lang") << c({"code", "127.0.0.1", "80"}) << c({"--lang"});
        QTest::newRow("code keepcnt 0")
            << c({"code", "--lang", "c", "127.0.0.1", "80", "--keepcnt", "0"}) << c({"0", "127"});
        QTest::newRow("code --peer") << c({"code", "--lang", "c", "--peer", "echo"}) << c({"peer"});
    }
    void invalidArgumentsExit2()
    {
        QFETCH(QStringList, args);
        QFETCH(QStringList, mentions);
        const Run r = run(args);
        QCOMPARE(r.code, 2);
        QVERIFY(r.out.isEmpty()); // nothing ran
        for (const QString &m : mentions)
            QVERIFY2(QString::fromUtf8(r.err).contains(m), r.err.constData());
    }

    void jsonTimeoutExperimentExits0()
    {
        const Run r =
            run({QStringLiteral("connect"), QStringLiteral("--peer"), QStringLiteral("silent"),
                 QStringLiteral("--recv-timeout"), QStringLiteral("0.2"), QStringLiteral("--recv"),
                 QStringLiteral("10"), QStringLiteral("--json")});
        QCOMPARE(r.code, 0);
        const auto events = ndjson(r.out);
        QVERIFY(events.size() > 5);
        QJsonObject timeout;
        double lastCall = -1;
        for (const QJsonObject &e : events) {
            for (const char *key : {"t", "wall", "sock", "kind"})
                QVERIFY2(e.contains(QLatin1String(key)), qPrintable(QJsonDocument(e).toJson()));
            // The engine thread's own events for c1 come in the order they happened (the
            // monitor's state events and the wire thread's segments are other threads').
            if (e.value(QStringLiteral("sock")).toString() == QStringLiteral("c1") &&
                e.value(QStringLiteral("kind")).toString() != QStringLiteral("state") &&
                e.value(QStringLiteral("kind")).toString() != QStringLiteral("segment")) {
                QVERIFY(e.value(QStringLiteral("t")).toDouble() >= lastCall);
                lastCall = e.value(QStringLiteral("t")).toDouble();
            }
            if (e.value(QStringLiteral("kind")).toString() == QStringLiteral("timeout"))
                timeout = e;
        }
        QCOMPARE(timeout.value(QStringLiteral("op")).toString(), QStringLiteral("recv"));
        QCOMPARE(timeout.value(QStringLiteral("timeout")).toDouble(), 0.2);
        QVERIFY(timeout.value(QStringLiteral("elapsed")).toDouble() >= 0.2);
        QCOMPARE(timeout.value(QStringLiteral("sock")).toString(), QStringLiteral("c1"));
    }

    // `lessons --json`: an array of {name, title, summary}; `lesson NAME --json`: its events,
    // ending with lesson_result; an unknown name is a bad argument.
    void lessonsAndLesson()
    {
        const Run list = run({QStringLiteral("lessons"), QStringLiteral("--json")});
        QCOMPARE(list.code, 0);
        const QJsonArray all = QJsonDocument::fromJson(list.out).array();
        QVERIFY(all.size() >= 12);
        for (const QJsonValue &v : all) {
            for (const char *key : {"name", "title", "summary"})
                QVERIFY(!v.toObject().value(QLatin1String(key)).toString().isEmpty());
        }
        const Run r = run(
            {QStringLiteral("lesson"), QStringLiteral("accept-timeout"), QStringLiteral("--json")});
        QCOMPARE(r.code, 0);
        const auto events = ndjson(r.out);
        QVERIFY(!events.isEmpty());
        const QJsonObject last = events.last();
        QCOMPARE(last.value(QStringLiteral("kind")).toString(), QStringLiteral("lesson_result"));
        QCOMPARE(last.value(QStringLiteral("passed")).toBool(), true);
        QCOMPARE(last.value(QStringLiteral("lesson")).toString(), QStringLiteral("accept-timeout"));
        QVERIFY(
            last.value(QStringLiteral("predicted")).toString().contains(QLatin1String("0.5 s")));
        QCOMPARE(last.value(QStringLiteral("checks")).toArray().size(), 3);
        QVERIFY(std::any_of(events.cbegin(), events.cend(), [](const QJsonObject &e) {
            return e.value(QStringLiteral("kind")).toString() == QStringLiteral("timeout");
        }));
        const Run bad = run({QStringLiteral("lesson"), QStringLiteral("no-such-lesson")});
        QCOMPARE(bad.code, 2);
        QVERIFY(bad.err.contains("'no-such-lesson' is not a lesson"));
        QVERIFY(bad.err.contains("recv-timeout"));
        QVERIFY(bad.out.isEmpty());
    }

    void textOutputIsReadable()
    {
        const Run r = run({QStringLiteral("connect"), QStringLiteral("--peer"),
                           QStringLiteral("echo"), QStringLiteral("--send"), QStringLiteral("hi"),
                           QStringLiteral("--recv"), QStringLiteral("10")});
        QCOMPARE(r.code, 0);
        QVERIFY(r.out.contains("received"));
        QVERIFY(r.out.contains("data=\"hi\""));
    }

    // --show-data: the received events carry the bytes themselves, judged by Python, which sent
    // them (a seeded random stream): in order, whole up to 1 MiB an event, the rest counted.
    void showDataCarriesTheWholePayload_data()
    {
        QTest::addColumn<int>("total");
        QTest::addColumn<QStringList>("args");
        QTest::addColumn<bool>("wholeOneCall");
        QTest::newRow("one recv()")
            << 3 * 1024 * 1024 << QStringList{QStringLiteral("--recv"), QStringLiteral("1048576")}
            << true;
        QTest::newRow("recv-for, summed")
            << 8 * 1024 * 1024
            << QStringList{QStringLiteral("--recv-for"), QStringLiteral("2"),
                           QStringLiteral("--recv-timeout"), QStringLiteral("0.5")}
            << false;
    }
    void showDataCarriesTheWholePayload()
    {
        QFETCH(int, total);
        QFETCH(QStringList, args);
        QFETCH(bool, wholeOneCall);
        const QString python = QStandardPaths::findExecutable(QStringLiteral("python3"));
        QVERIFY2(!python.isEmpty(), "python3 is the judge here (scripts/setup.sh installs it)");
        const auto judge = [&](const QStringList &cliArgs) {
            QProcess p;
            p.start(python, QStringList{QStringLiteral(SOCKLAB_JUDGES_DIR "/payload_check.py"),
                                        QStringLiteral(SOCKLAB_CLI_PATH), QString::number(total)} +
                                cliArgs);
            p.waitForFinished(90000);
            return std::make_pair(p.exitCode(),
                                  QJsonDocument::fromJson(p.readAllStandardOutput()).object());
        };
        const auto [code, found] = judge(args + QStringList{QStringLiteral("--show-data")});
        QVERIFY2(code == 0, QJsonDocument(found).toJson().constData());
        QCOMPARE(found.value(QStringLiteral("exit")).toInt(), 0);
        const qint64 bytes = found.value(QStringLiteral("bytes")).toInteger();
        const qint64 kept = found.value(QStringLiteral("kept")).toInteger();
        const qint64 omitted = found.value(QStringLiteral("omitted")).toInteger();
        QCOMPARE(kept + omitted, bytes);
        if (wholeOneCall) {
            // One call returns what had arrived (here far more than a 185-byte preview).
            QCOMPARE(found.value(QStringLiteral("events")).toInt(), 1);
            QVERIFY2(bytes > 64 && kept == bytes, QJsonDocument(found).toJson().constData());
        } else {
            QCOMPARE(bytes, qint64(total)); // every byte of the stream is accounted for
            QVERIFY(kept > 0);
        }
        // Without --show-data only the preview is printed: the judge finds no payload.
        const auto [briefCode, brief] = judge(args);
        QCOMPARE(briefCode, 1);
        QVERIFY2(brief.value(QStringLiteral("problems"))
                     .toArray()
                     .first()
                     .toString()
                     .contains(QStringLiteral("no payload")),
                 QJsonDocument(brief).toJson().constData());
    }

    // In text mode the payload follows its event, one escaped line per line received.
    void showDataTextIsReadable()
    {
        const Run r =
            run({QStringLiteral("connect"), QStringLiteral("--peer"), QStringLiteral("echo"),
                 QStringLiteral("--send-hex"), QStringLiteral("474554202f0d0a00ff0a"),
                 QStringLiteral("--recv"), QStringLiteral("100"), QStringLiteral("--show-data")});
        QCOMPARE(r.code, 0);
        QVERIFY2(r.out.contains("\n    | GET /\\r\\n\n    | \\x00\\xff\\n\n"), r.out.constData());
    }

    // `code` prints a program with connect's options instead of running anything.
    void codePrintsAProgram()
    {
        const Run py =
            run({QStringLiteral("code"), QStringLiteral("--lang"), QStringLiteral("python"),
                 QStringLiteral("127.0.0.1"), QStringLiteral("4000"),
                 QStringLiteral("--recv-timeout"), QStringLiteral("0.5"), QStringLiteral("--recv"),
                 QStringLiteral("100"), QStringLiteral("--send"), QStringLiteral("hi")});
        QCOMPARE(py.code, 0);
        QVERIFY2(py.err.isEmpty(), py.err.constData());
        QVERIFY(py.out.startsWith("#!/usr/bin/env python3\n# Generated by SockLab"));
        for (const char *s : {"HOST = '127.0.0.1'", "PORT = 4000", "PAYLOAD = b'hi'",
                              "RECV_BYTES = 100", "RECV_TIMEOUT = 0.5", "CONNECT_TIMEOUT = None",
                              "sock.settimeout(RECV_TIMEOUT)", "if __name__ == '__main__':"})
            QVERIFY2(py.out.contains(s), s);

        const Run c =
            run({QStringLiteral("code"), QStringLiteral("--lang"), QStringLiteral("c"),
                 QStringLiteral("::1"), QStringLiteral("80"), QStringLiteral("--timeout-mechanism"),
                 QStringLiteral("sockopt"), QStringLiteral("--timeout"), QStringLiteral("2"),
                 QStringLiteral("--keepalive")});
        QCOMPARE(c.code, 0);
        QVERIFY(c.out.startsWith("/*\n * Generated by SockLab"));
        for (const char *s : {"static const char default_host[] = \"::1\";",
                              "default_port = \"80\"", "#define CONNECT_TIMEOUT_MS 2000",
                              "SO_SNDTIMEO", "SO_KEEPALIVE", "int main(int argc, char **argv)"})
            QVERIFY2(c.out.contains(s), s);
        QVERIFY(!c.out.contains("payload")); // no --send: nothing is sent, as with connect
        QVERIFY(!c.out.contains("RECV_BYTES"));

        const Run help = run({QStringLiteral("code"), QStringLiteral("--help")});
        QCOMPARE(help.code, 0);
        QVERIFY(help.out.contains("--lang"));
    }

    void listenAcceptTimeoutIsAResult()
    {
        const Run r = run({QStringLiteral("listen"), QStringLiteral("--port"), QStringLiteral("0"),
                           QStringLiteral("--accept-timeout"), QStringLiteral("0.2"),
                           QStringLiteral("--json")});
        QCOMPARE(r.code, 0);
        bool sawTimeout = false;
        for (const QJsonObject &e : ndjson(r.out))
            sawTimeout = sawTimeout || (e.value(QStringLiteral("kind")).toString() == "timeout" &&
                                        e.value(QStringLiteral("op")).toString() == "accept");
        QVERIFY(sawTimeout);
    }

    void sigintCancelsTheRunningCall()
    {
        QProcess p;
        QByteArray out;
        QVERIFY(startUntil(p,
                           {QStringLiteral("connect"), QStringLiteral("--peer"),
                            QStringLiteral("silent"), QStringLiteral("--recv"),
                            QStringLiteral("10"), QStringLiteral("--json")},
                           "\"receiving\"", &out));
        ::kill(pid_t(p.processId()), SIGINT);
        QVERIFY(p.waitForFinished(3000));
        out += p.readAllStandardOutput();
        QCOMPARE(p.exitCode(), 130);
        QVERIFY2(out.contains("\"cancelled\""), out.constData());
    }

    void serveRunsUntilTerminated()
    {
        QProcess p;
        QByteArray out;
        QVERIFY(startUntil(p,
                           {QStringLiteral("serve"), QStringLiteral("--port"), QStringLiteral("0"),
                            QStringLiteral("--behavior"), QStringLiteral("echo"),
                            QStringLiteral("--json")},
                           "\"listening\"", &out));
        QVERIFY(!p.waitForFinished(200)); // still serving
        ::kill(pid_t(p.processId()), SIGTERM);
        QVERIFY(p.waitForFinished(3000));
        QCOMPARE(p.exitCode(), 0);
    }

    // Found by fuzzing (tests/fuzz/fuzz_cli_args): messages quoted arguments as given, so an
    // argument holding an escape sequence reached the terminal as one.
    void messagesEscapeControlCharacters()
    {
        for (const QStringList &args :
             {QStringList{QStringLiteral("connect"), QStringLiteral("--\x1b]0;x\x07")},
              QStringList{QStringLiteral("connect"), QStringLiteral("--peer"),
                          QStringLiteral("echo"), QStringLiteral("--keepcnt"),
                          QStringLiteral("\x1b[2J")},
              QStringList{QStringLiteral("listen"), QStringLiteral("--port"), QStringLiteral("0"),
                          QStringLiteral("\x1b[2J")},
              QStringList{QStringLiteral("\x1b[2J")}}) {
            const Run r = run(args);
            QCOMPARE(r.code, 2);
            QVERIFY2(!r.err.contains('\x1b') && !r.err.contains('\x07'), r.err.constData());
            QVERIFY2(r.err.contains("\\x1b"), r.err.constData());
        }
    }
};

QTEST_GUILESS_MAIN(TestCli)
#include "tst_cli.moc"
