// Opens nothing it should not: built-in servers listen on loopback unless told otherwise, and
// say so loudly when they do not; received bytes are shown escaped and never interpreted, in
// text, JSON and CSV; payloads and profiles are data, never commands; and no source file
// runs a shell or opens a file the user did not choose.
#include "EventExport.h"
#include "Profile.h"
#include "ReliabilitySupport.h"
#include "TestSupport.h"

#include <QDirIterator>
#include <QHostAddress>
#include <QNetworkInterface>
#include <QRegularExpression>
#include <QTemporaryDir>

using namespace socklab;
using namespace socklab::test;

namespace {
// Bytes a hostile peer might send: a spreadsheet formula, a terminal escape sequence that
// clears the screen, line breaks, markup, a quote, NUL and a byte that is not UTF-8.
const QByteArray kHostile("=HYPERLINK(\"http://x\")\x1b[2J\r\n<script>alert(1)</script>\"\x00\xff",
                          56);

bool hasControl(const QString &s)
{
    return std::any_of(s.cbegin(), s.cend(),
                       [](QChar c) { return c.unicode() < 0x20 || c.unicode() == 0x7f; });
}
} // namespace

class TestSecurity : public QObject
{
    Q_OBJECT

  private slots:
    void serversListenOnLoopbackByDefault()
    {
        Engine engine;
        EventRecorder rec(engine.bus());
        Step l = Step::make(Step::Kind::Listen, QStringLiteral("L1")); // no host given
        engine.run({peer(PeerBehavior::Echo), l});
        QVERIFY(rec.waitFinished());
        for (const QString &sock : {QStringLiteral("peer"), QStringLiteral("L1")}) {
            const Event e = rec.first(EventKind::Listening, sock);
            QVERIFY2(e.local.startsWith(QStringLiteral("127.0.0.1:")), qPrintable(e.local));
            QVERIFY(!e.detail.contains(QStringLiteral("WARNING")));
        }
        // The CLI's too.
        const CliRun r = runCli({QStringLiteral("listen"), QStringLiteral("--port"),
                                 QStringLiteral("0"), QStringLiteral("--accept-timeout"),
                                 QStringLiteral("0"), QStringLiteral("--json")});
        QCOMPARE(r.code, 0);
        QVERIFY(firstEvent(ndjsonEvents(r.out), QStringLiteral("listening"))
                    .value(QStringLiteral("local"))
                    .toString()
                    .startsWith(QStringLiteral("127.0.0.1:")));
    }

    void allInterfacesAreFlaggedLoudly()
    {
        Engine engine;
        EventRecorder rec(engine.bus());
        Step p = peer(PeerBehavior::Echo);
        p.peer.bind = QStringLiteral("0.0.0.0");
        Step l = listen(QStringLiteral("L1"), 0);
        l.host = QStringLiteral("0.0.0.0");
        engine.run({p, l});
        QVERIFY(rec.waitFinished());
        for (const QString &sock : {QStringLiteral("peer"), QStringLiteral("L1")}) {
            const Event e = rec.first(EventKind::Listening, sock);
            QVERIFY2(e.local.startsWith(QStringLiteral("0.0.0.0:")), qPrintable(rec.dump()));
            QVERIFY2(e.detail.contains(QStringLiteral("WARNING: listening on ALL interfaces")),
                     qPrintable(e.detail));
        }
        // IPv6's any address, where there is IPv6.
        rec.clear();
        p.peer.bind = QStringLiteral("::");
        engine.run({p});
        QVERIFY(rec.waitFinished());
        if (!rec.has(EventKind::Error, QStringLiteral("peer")))
            QVERIFY(rec.first(EventKind::Listening, QStringLiteral("peer"))
                        .detail.contains(QStringLiteral("WARNING: listening on ALL interfaces")));
        // An address of this machine that is not loopback is reachable from its network.
        QHostAddress lan;
        for (const QHostAddress &a : QNetworkInterface::allAddresses()) {
            if (a.protocol() == QAbstractSocket::IPv4Protocol && !a.isLoopback())
                lan = a;
        }
        if (!lan.isNull()) {
            rec.clear();
            p.peer.bind = lan.toString();
            engine.run({p});
            QVERIFY(rec.waitFinished());
            QVERIFY2(rec.first(EventKind::Listening, QStringLiteral("peer"))
                         .detail.contains(QStringLiteral("WARNING: %1 is not a loopback address")
                                              .arg(lan.toString())),
                     qPrintable(rec.dump()));
        }
        // The CLI prints the warning in its text output as well.
        QProcess serve;
        serve.start(QStringLiteral(SOCKLAB_CLI_PATH),
                    {QStringLiteral("serve"), QStringLiteral("--port"), QStringLiteral("0"),
                     QStringLiteral("--behavior"), QStringLiteral("silent"),
                     QStringLiteral("--bind"), QStringLiteral("0.0.0.0")});
        QByteArray out;
        QVERIFY(QTest::qWaitFor(
            [&] {
                serve.waitForReadyRead(20);
                out += serve.readAllStandardOutput();
                return out.contains("listening");
            },
            5000));
        serve.terminate();
        QVERIFY(serve.waitForFinished(3000));
        QVERIFY2(out.contains("WARNING: listening on ALL interfaces"), out.constData());
    }

    // What a peer sends is shown, never acted on: escaped in the text line (one line, no
    // control characters for the terminal), in JSON, and in CSV where a leading '=' would be
    // a formula for a spreadsheet.
    void receivedBytesAreShownEscaped()
    {
        Engine engine;
        EventRecorder rec(engine.bus());
        SocketOptions o;
        o.recvTimeout = Timeout::fromMs(2000);
        engine.run({peer(PeerBehavior::Echo), connectToPeer(o), send(kHostile), recv()});
        QVERIFY(rec.waitFinished());
        const Event e = rec.first(EventKind::Received, QStringLiteral("c1"));
        QCOMPARE(e.bytes, qint64(kHostile.size()));
        QCOMPARE(e.data, QStringLiteral("=HYPERLINK(\\x22http://x\\x22)\\x1b[2J\\r\\n<script>"
                                        "alert(1)</script>\\x22\\x00\\xff"));
        const QString text = e.toText();
        QVERIFY(!hasControl(text));
        QVERIFY(text.contains(QStringLiteral("data=\"=HYPERLINK(\\x22")));
        const QByteArray json = toNdjsonLine(e);
        QVERIFY(!json.contains('\n') && !json.contains('\x1b'));
        QCOMPARE(QJsonDocument::fromJson(json).object().value(QStringLiteral("data")).toString(),
                 e.data);
        const QString row = toCsvRow(e);
        QVERIFY(!hasControl(row));
        QVERIFY2(row.contains(QStringLiteral(",'=HYPERLINK(")), qPrintable(row));
        // The peer's view of the same bytes is escaped the same way.
        QCOMPARE(rec.first(EventKind::Received, QStringLiteral("peer1")).data, e.data);
        // Every cell a spreadsheet would read as a formula gets the apostrophe.
        for (const char *lead : {"=", "+", "-", "@"}) {
            Event f = e;
            f.data = QLatin1String(lead) + QStringLiteral("1+1");
            QVERIFY2(toCsvRow(f).contains(QStringLiteral(",'%1").arg(f.data)),
                     qPrintable(toCsvRow(f)));
        }
    }

    // A payload is bytes to send, a profile is data: neither is ever run. The shell syntax
    // below would create files if anything handed it to a shell.
    void payloadsAndProfilesAreNeverRun()
    {
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        const QString marker = dir.filePath(QStringLiteral("ran"));
        const QString payload = QStringLiteral("$(touch %1);`touch %1`;| touch %1").arg(marker);
        const CliRun r =
            runCli({QStringLiteral("connect"), QStringLiteral("--peer"), QStringLiteral("echo"),
                    QStringLiteral("--send"), payload, QStringLiteral("--recv"),
                    QStringLiteral("200"), QStringLiteral("--json")});
        QCOMPARE(r.code, 0);
        QCOMPARE(firstEvent(ndjsonEvents(r.out), QStringLiteral("received"), QStringLiteral("c1"))
                     .value(QStringLiteral("bytes"))
                     .toInt(),
                 int(payload.toUtf8().size()));
        QVERIFY(!QFile::exists(marker));

        // A profile naming files and commands: refused where it is not data, sent as bytes
        // where it is.
        QString err;
        QVERIFY(!Profile::fromJson(
            QStringLiteral("{\"host\": \"$(touch %1)\"}").arg(marker).toUtf8(), &err));
        QVERIFY(!Profile::fromJson(QByteArray("{\"include\": \"/etc/passwd\"}"), &err));
        QVERIFY(err.contains(QStringLiteral("unknown key 'include'")));
        const auto p = Profile::fromJson(
            QJsonDocument(QJsonObject{{QStringLiteral("send"), payload}}).toJson(), &err);
        QVERIFY2(p, qPrintable(err));
        Engine engine;
        EventRecorder rec(engine.bus());
        SocketOptions o;
        o.recvTimeout = Timeout::fromMs(2000);
        engine.run({peer(PeerBehavior::Echo), connectToPeer(o), send(p->send.toUtf8()),
                    recv(QStringLiteral("c1"), 200)});
        QVERIFY(rec.waitFinished());
        QCOMPARE(rec.first(EventKind::Received, QStringLiteral("c1")).bytes,
                 qint64(payload.toUtf8().size()));
        QVERIFY(!QFile::exists(marker));
    }

    // A regression guard over the sources: nothing starts a process or a shell, and files
    // are opened only where the user chose them (or in resources and /proc).
    void sourcesRunNoShellAndOpenOnlyChosenFiles()
    {
        const QRegularExpression shell(QStringLiteral(
            R"((\bsystem\s*\(|\bpopen\s*\(|\bexec[lv]p?e?\s*\(|\bposix_spawn|\bfork\s*\(|QProcess|)"
            R"(QDesktopServices|/bin/sh))"));
        const QRegularExpression files(QStringLiteral(
            R"((\bQFile\b|QSaveFile|\bfopen\s*\(|::open\s*\(|fstream|QTemporaryFile))"));
        // Where a file is opened, and why that is the user's choice.
        const QStringList allowed = {
            QStringLiteral("src/app/window/MainWindow.cpp"), // a profile or handout path chosen
            QStringLiteral("src/app/log/LogView.cpp"),       // the export path chosen
            QStringLiteral("src/app/code/CodePanel.cpp"),    // the program's path chosen
            QStringLiteral("src/app/code/CodePanel.h"),
            QStringLiteral("src/core/lessons/Lesson.cpp"),    // :/lessons, compiled-in resources
            QStringLiteral("src/core/export/CodeExport.cpp"), // :/export, compiled-in resources
            QStringLiteral("src/core/export/PcapExport.cpp"), // the capture path chosen (--pcap)
            QStringLiteral("src/core/platform/PlatformLinux.cpp"), // /proc/sys keepalive defaults
            QStringLiteral(
                "src/core/platform/Program.cpp"), // strace's FIFO, in a 0700 dir of its own
            QStringLiteral("src/man/main.cpp")    // a build tool: the man pages, where the build
                                                  // says (not installed, never run by a user)
        };
        // Text in quotes is a message, not a call ("system (default)").
        const QRegularExpression literal(QStringLiteral("\"(?:[^\"\\\\]|\\\\.)*\""));
        const QDir root(QStringLiteral(SOCKLAB_SOURCE_DIR));
        QStringList shellHits, fileHits;
        QDirIterator it(root.filePath(QStringLiteral("src")),
                        {QStringLiteral("*.cpp"), QStringLiteral("*.h")}, QDir::Files,
                        QDirIterator::Subdirectories);
        int scanned = 0;
        while (it.hasNext()) {
            const QString path = it.next();
            QFile f(path);
            QVERIFY(f.open(QIODevice::ReadOnly));
            ++scanned;
            const QString rel = root.relativeFilePath(path);
            const QStringList lines = QString::fromUtf8(f.readAll()).split(u'\n');
            for (int i = 0; i < lines.size(); ++i) {
                const QString code = QString(lines[i])
                                         .replace(literal, QStringLiteral("\"\""))
                                         .section(QStringLiteral("//"), 0, 0);
                // The one program SockLab starts: its lab helper, a fixed path with fixed
                // arguments, by posix_spawn (no shell, nothing from the user).
                const bool labHelper = rel == QLatin1String("src/core/platform/Lab.cpp") &&
                                       code.contains(QLatin1String("posix_spawn"));
                // And the program a user asks the lab to run (socklab-cli run, Run a program),
                // by its own argv with execvp: no shell between. The window only splits the
                // command line the user typed (QProcess::splitCommand, which starts nothing).
                const bool usersProgram = rel == QLatin1String("src/labd/Programs.cpp") &&
                                          (code.contains(QLatin1String("fork()")) ||
                                           code.contains(QLatin1String("execvp(")));
                const bool splitOnly = rel == QLatin1String("src/app/window/MainWindow.cpp") &&
                                       (code.contains(QLatin1String("QProcess::splitCommand")) ||
                                        code.trimmed() == QLatin1String("#include <QProcess>"));
                if (code.contains(shell) && !labHelper && !usersProgram && !splitOnly)
                    shellHits << QStringLiteral("%1:%2: %3").arg(rel).arg(i + 1).arg(lines[i]);
                if (code.contains(files) && !allowed.contains(rel))
                    fileHits << QStringLiteral("%1:%2: %3").arg(rel).arg(i + 1).arg(lines[i]);
            }
        }
        QVERIFY(scanned > 30);
        QVERIFY2(shellHits.isEmpty(), qPrintable(shellHits.join(u'\n')));
        QVERIFY2(fileHits.isEmpty(), qPrintable(fileHits.join(u'\n')));
    }
};

QTEST_GUILESS_MAIN(TestSecurity)
#include "tst_security.moc"
