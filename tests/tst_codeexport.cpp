// Code export: the generated Python and C programs compile, run against real peers on loopback,
// and end the way the engine ends for the same profile (timeout, received, error).
#include "CodeExport.h"
#include "EventBus.h"
#include "PeerServer.h"
#include "TestSupport.h"

#include <QDir>
#include <QDirIterator>
#include <QFile>
#include <QMap>
#include <QProcess>
#include <QRegularExpression>
#include <QStandardPaths>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTemporaryDir>

#include <algorithm>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

using namespace socklab;
using namespace socklab::test;
using code::Language;

Q_DECLARE_METATYPE(socklab::code::Language)
Q_DECLARE_METATYPE(socklab::TimeoutMechanism)
Q_DECLARE_METATYPE(socklab::Profile)

namespace {

// How a run ended, in terms both the engine and a program report.
enum class Outcome
{
    None,
    Timeout,
    Received,
    PeerClosed,
    Error
};

const char *outcomeName(Outcome o)
{
    switch (o) {
    case Outcome::None:
        return "nothing";
    case Outcome::Timeout:
        return "timeout";
    case Outcome::Received:
        return "received";
    case Outcome::PeerClosed:
        return "peer closed";
    case Outcome::Error:
        return "error";
    }
    return "?";
}

// The first call that ended with a result worth comparing (data, a timeout, an error) decides
// how a run went; what follows it (the engine's later steps on a socket that never came, the
// program's skipped calls) is a consequence. For an error, *errnoName is its symbol.
Outcome programOutcome(const QByteArray &out, QString *errnoName)
{
    static const QRegularExpression errorLine(QStringLiteral("^error: [a-z]+: ([A-Z][A-Z0-9]+) "));
    for (const QByteArray &raw : out.split('\n')) {
        const QString line = QString::fromUtf8(raw);
        if (line.contains(QLatin1String(" timed out after ")))
            return Outcome::Timeout;
        if (line.startsWith(QLatin1String("received ")))
            return Outcome::Received;
        if (line.startsWith(QLatin1String("peer closed")))
            return Outcome::PeerClosed;
        if (const auto m = errorLine.match(line); m.hasMatch()) {
            *errnoName = m.captured(1);
            return Outcome::Error;
        }
    }
    return Outcome::None;
}

Outcome engineOutcome(const QList<Event> &events, const QStringList &socks, QString *errnoName)
{
    for (const Event &e : events) {
        if (!socks.contains(e.sock))
            continue;
        switch (e.kind) {
        case EventKind::Timeout:
            return Outcome::Timeout;
        case EventKind::Received:
            return Outcome::Received;
        case EventKind::PeerClosed:
            return Outcome::PeerClosed;
        case EventKind::Error:
            *errnoName = e.errnoName();
            return Outcome::Error;
        default:
            break;
        }
    }
    return Outcome::None;
}

// What the engine does with a client profile: the same calls the program makes.
QList<Step> clientSteps(const Profile &p)
{
    Step c = Step::make(Step::Kind::Connect, QStringLiteral("c1"));
    c.host = p.host;
    c.port = p.port;
    c.options = p.options;
    QList<Step> steps{c};
    if (!p.send.isEmpty())
        steps << send(p.send.toUtf8());
    if (p.recvBytes > 0)
        steps << recv(QStringLiteral("c1"), p.recvBytes);
    steps << Step::make(Step::Kind::Close, QStringLiteral("c1"));
    return steps;
}

Profile clientProfile(quint16 port, TimeoutMechanism m)
{
    Profile p;
    p.role = Profile::Role::Client;
    p.host = QStringLiteral("127.0.0.1");
    p.port = port;
    p.send = QStringLiteral("hello");
    p.recvBytes = 100;
    p.options.connectTimeout = Timeout::fromMs(2000);
    p.options.sendTimeout = Timeout::fromMs(2000);
    p.options.recvTimeout = Timeout::fromMs(200);
    p.options.mechanism = m;
    return p;
}

// The programs' fixed text, read from the source tree (resources/export) to check each file
// on its own, and from the build (:/export) to check they agree.
const QString kFragmentsDir = QStringLiteral(SOCKLAB_EXPORT_DIR);

// Every file under root, relative to it, sorted.
QStringList filesUnder(const QString &root)
{
    QStringList files;
    const QDir dir(root);
    QDirIterator it(root, QDir::Files | QDir::Hidden, QDirIterator::Subdirectories);
    while (it.hasNext())
        files << dir.relativeFilePath(it.next());
    files.sort();
    return files;
}

// What each C fragment uses that other fragments define, in the order the generator emits
// them: a fragment is checked after includes.c, the program's timeout macros (the generator
// defines them before any function) and these. A new fragment needs a row here.
QMap<QString, QStringList> cFragmentNeeds()
{
    const QString common = QStringLiteral("common.c");
    const QString poll = QStringLiteral("poll.c");
    const QString sockopt = QStringLiteral("sockopt.c");
    return {
        {QStringLiteral("includes.c"), {}},
        {common, {}},
        {poll, {common}},
        {sockopt, {common}},
        {QStringLiteral("set_int_option.c"), {common}},
        {QStringLiteral("set_linger.c"), {common}},
        {QStringLiteral("show_int_option.c"), {}},
        {QStringLiteral("show_linger.c"), {}},
        {QStringLiteral("print_bytes.c"), {}},
        {QStringLiteral("print_connected.c"), {common}},
        {QStringLiteral("connect_within_poll.c"),
         {common, poll, QStringLiteral("print_connected.c")}},
        {QStringLiteral("connect_within_sockopt.c"),
         {common, sockopt, QStringLiteral("print_connected.c")}},
        {QStringLiteral("print_accepted.c"), {common}},
        {QStringLiteral("accept_within_poll.c"),
         {common, poll, QStringLiteral("print_accepted.c")}},
        {QStringLiteral("accept_within_sockopt.c"),
         {common, sockopt, QStringLiteral("print_accepted.c")}},
    };
}

} // namespace

class TestCodeExport : public QObject
{
    Q_OBJECT

    struct Run
    {
        int code = -1;
        QByteArray out;
        QByteArray err;
        QString dump() const
        {
            return QStringLiteral("exit %1\n--- stdout\n%2--- stderr\n%3")
                .arg(code)
                .arg(QString::fromUtf8(out), QString::fromUtf8(err));
        }
    };

    QTemporaryDir m_dir;
    QString m_cc;
    QString m_python;
    int m_files = 0;
    EventBus m_bus; // the peers' events; nobody reads them
    std::unique_ptr<PeerServer> m_silent;
    std::unique_ptr<PeerServer> m_echo;
    int m_refusing = -1; // bound, never listening: a connect() to it is refused
    quint16 m_refusedPort = 0;

    // Empty if the language's tool is installed, else why the test cannot run: a failure, not
    // a skip, since the generated program's run is what these tests check (setup installs
    // both).
    QString missingTool(Language lang) const
    {
        if (lang == Language::Python && m_python.isEmpty())
            return QStringLiteral("python3 is not installed (scripts/setup.sh installs it: "
                                  "apt-get install python3)");
        if (lang == Language::C && m_cc.isEmpty())
            return QStringLiteral("cc is not installed (scripts/setup.sh installs it: apt-get "
                                  "install gcc)");
        return {};
    }

    // Writes the program and, for C, compiles it with -Wall -Wextra -Werror. Returns the
    // command that runs it, or empty after setting *why.
    QStringList build(Language lang, const QString &text, QString *why,
                      const QStringList &extraCFlags = {})
    {
        const QString base = m_dir.filePath(QStringLiteral("prog%1").arg(++m_files));
        const QString source =
            base + (lang == Language::Python ? QStringLiteral(".py") : QStringLiteral(".c"));
        QFile f(source);
        if (!f.open(QIODevice::WriteOnly) || f.write(text.toUtf8()) != text.toUtf8().size()) {
            *why = QStringLiteral("cannot write ") + source;
            return {};
        }
        f.close();
        if (lang == Language::Python)
            return {m_python, source};
        const Run cc = run(
            {m_cc, QStringLiteral("-Wall"), QStringLiteral("-Wextra"), QStringLiteral("-Werror")},
            extraCFlags + QStringList{QStringLiteral("-o"), base, source}, 30000);
        if (cc.code != 0) {
            *why = QStringLiteral("cc failed on %1:\n%2").arg(source, cc.dump());
            return {};
        }
        return {base};
    }

    static Run finish(QProcess &p, int timeoutMs)
    {
        if (!QTest::qWaitFor([&] { return p.state() == QProcess::NotRunning; }, timeoutMs)) {
            p.kill();
            p.waitForFinished(2000);
        }
        Run r;
        r.code = p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1;
        r.out = p.readAllStandardOutput();
        r.err = p.readAllStandardError();
        return r;
    }

    Run run(const QStringList &command, const QStringList &args = {}, int timeoutMs = 5000)
    {
        QProcess p;
        p.setWorkingDirectory(m_dir.path());
        p.start(command.first(), command.mid(1) + args);
        return finish(p, timeoutMs);
    }

    // Generates, builds and runs; fails the test (returning an empty Run) on any step.
    Run generateAndRun(Language lang, const Profile &profile, const QStringList &args = {})
    {
        QString error;
        const QString text = code::generate(lang, profile, &error);
        if (text.isEmpty()) {
            qWarning("generate failed: %s", qPrintable(error));
            return {};
        }
        QString why;
        const QStringList cmd = build(lang, text, &why);
        if (cmd.isEmpty()) {
            qWarning("%s", qPrintable(why));
            return {};
        }
        return run(cmd, args);
    }

  private slots:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        m_cc = QStandardPaths::findExecutable(QStringLiteral("cc"));
        m_python = QStandardPaths::findExecutable(QStringLiteral("python3"));
        m_silent = std::make_unique<PeerServer>(&m_bus);
        m_echo = std::make_unique<PeerServer>(&m_bus);
        PeerConfig silent;
        silent.behavior = PeerBehavior::Silent;
        PeerConfig echo;
        echo.behavior = PeerBehavior::Echo;
        QCOMPARE(m_silent->start(silent), 0);
        QCOMPARE(m_echo->start(echo), 0);
        // A socket bound to a port but not listening: the kernel answers a SYN with RST.
        m_refusing = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        QVERIFY(m_refusing >= 0);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        QCOMPARE(::bind(m_refusing, reinterpret_cast<sockaddr *>(&a), sizeof a), 0);
        socklen_t len = sizeof a;
        QCOMPARE(::getsockname(m_refusing, reinterpret_cast<sockaddr *>(&a), &len), 0);
        m_refusedPort = ntohs(a.sin_port);
    }

    void cleanupTestCase()
    {
        m_silent.reset();
        m_echo.reset();
        if (m_refusing >= 0)
            ::close(m_refusing);
    }

    void languageNames()
    {
        QCOMPARE(code::languageName(Language::Python), QStringLiteral("python"));
        QCOMPARE(code::languageName(Language::C), QStringLiteral("c"));
        QCOMPARE(code::languageFromName(QStringLiteral("python")), Language::Python);
        QCOMPARE(code::languageFromName(QStringLiteral("c")), Language::C);
        QVERIFY(!code::languageFromName(QStringLiteral("rust")));
        QVERIFY(!code::languageFromName(QStringLiteral("C")));
    }

    // The header says where the program came from and what it was configured with.
    void headerDescribesTheConfiguration()
    {
        Profile p = clientProfile(4000, TimeoutMechanism::SockOpt);
        p.options.keepAlive = true;
        p.options.keepIdle = 7;
        for (const Language lang : {Language::Python, Language::C}) {
            QString error;
            const QString text = code::generate(lang, p, &error);
            QVERIFY2(!text.isEmpty(), qPrintable(error));
            QVERIFY(error.isEmpty());
            const QString header = text.left(text.indexOf(
                lang == Language::Python ? QStringLiteral("\nimport ") : QStringLiteral(" */")));
            for (const char *s :
                 {"Generated by SockLab", "127.0.0.1", "4000", "sockopt", "recv 0.2 s",
                  "connect 2.0 s", "SO_KEEPALIVE on", "TCP_KEEPIDLE 7 s", "hello", "100 bytes"})
                QVERIFY2(header.contains(QLatin1String(s)), s);
            if (lang == Language::Python) {
                QVERIFY(text.startsWith(QLatin1String("#!/usr/bin/env python3\n# Generated")));
                QVERIFY(text.contains(QLatin1String("struct.pack('ll'")));
                QVERIFY(text.contains(QLatin1String("socket.SO_RCVTIMEO")));
            } else {
                QVERIFY(text.startsWith(QLatin1String("/*\n * Generated")));
                QVERIFY(text.contains(QLatin1String("struct timeval")));
            }
        }
        p.options.mechanism = TimeoutMechanism::Poll;
        QString error;
        const QString py = code::generate(Language::Python, p, &error);
        QVERIFY(py.contains(QLatin1String("sock.settimeout(RECV_TIMEOUT)")));
        QVERIFY(py.contains(QLatin1String("if settimeout_expired(e):")));
        QVERIFY(!py.contains(QLatin1String("SO_RCVTIMEO")));
        const QString c = code::generate(Language::C, p, &error);
        QVERIFY(c.contains(QLatin1String("O_NONBLOCK")));
        QVERIFY(c.contains(QLatin1String("CLOCK_MONOTONIC")));
        QVERIFY(c.contains(QLatin1String("poll(&p, 1, ms)")));
    }

    void refusesWhatCannotBeExpressed_data()
    {
        QTest::addColumn<Profile>("profile");
        QTest::addColumn<QStringList>("mentions");
        Profile p = clientProfile(4000, TimeoutMechanism::Poll);
        Profile badOption = p;
        badOption.options.keepIdle = 0;
        QTest::newRow("keepidle 0") << badOption
                                    << QStringList{QStringLiteral("TCP_KEEPIDLE"),
                                                   QStringLiteral("0"), QStringLiteral("32767")};
        Profile badTimeout = p;
        badTimeout.options.recvTimeout = Timeout{Timeout::Mode::Deadline, -5};
        QTest::newRow("negative timeout")
            << badTimeout << QStringList{QStringLiteral("recv timeout"), QStringLiteral("-5")};
        Profile badRecv = p;
        badRecv.recvBytes = -3;
        QTest::newRow("recv bytes") << badRecv << QStringList{QStringLiteral("-3")};
        Profile deadline = p;
        deadline.options.deadlineMs = 3000;
        QTest::newRow("deadline") << deadline
                                  << QStringList{QStringLiteral("deadline"), QStringLiteral("3")};
        Profile badHost = p;
        badHost.host = QStringLiteral("127.0.0.1\nimport os");
        QTest::newRow("newline in host")
            << badHost << QStringList{QStringLiteral("host"), QStringLiteral("U+000a")};
    }
    void refusesWhatCannotBeExpressed()
    {
        QFETCH(Profile, profile);
        QFETCH(QStringList, mentions);
        for (const Language lang : {Language::Python, Language::C}) {
            QString error;
            QVERIFY(code::generate(lang, profile, &error).isEmpty());
            for (const QString &m : mentions)
                QVERIFY2(error.contains(m), qPrintable(error));
        }
    }

    // resources/export and :/export hold the same files, byte for byte, and each of them is in
    // some program: nothing the checks below pass is left out of the build, or dead in it.
    void fragmentsAreCompiledInAndUsed()
    {
        const QStringList files = filesUnder(kFragmentsDir);
        QVERIFY2(!files.isEmpty(), qPrintable(QStringLiteral("no files under ") + kFragmentsDir));
        const QStringList compiled = filesUnder(QStringLiteral(":/export"));
        QStringList problems;
        for (const QString &name : files) {
            if (!compiled.contains(name))
                problems << name + QStringLiteral(": not compiled in (src/core/CMakeLists.txt "
                                                  "takes python/*.py and c/*.c)");
        }
        for (const QString &name : compiled) {
            if (!files.contains(name))
                problems << name + QStringLiteral(": compiled in but not in the source tree");
        }
        QVERIFY2(problems.isEmpty(), qPrintable(problems.join(QLatin1Char('\n'))));

        // Between them these use every fragment: both roles and mechanisms, a set int option
        // and SO_LINGER (which a server shows inherited), keepalive parameters left at the
        // system's defaults (shown), and a recv (its bytes printed).
        QStringList programs[2];
        for (const Profile::Role role : {Profile::Role::Client, Profile::Role::Server}) {
            for (const TimeoutMechanism mech :
                 {TimeoutMechanism::Poll, TimeoutMechanism::SockOpt}) {
                Profile p = clientProfile(4000, mech);
                p.role = role;
                p.options.keepAlive = true;
                p.options.lingerSec = 1;
                p.options.rcvBuf = 4096;
                for (const Language lang : {Language::Python, Language::C}) {
                    QString error;
                    const QString text = code::generate(lang, p, &error);
                    QVERIFY2(!text.isEmpty(), qPrintable(error));
                    programs[lang == Language::C] << text;
                }
            }
        }
        for (const QString &name : files) {
            QFile source(kFragmentsDir + QLatin1Char('/') + name);
            QFile built(QStringLiteral(":/export/") + name);
            QVERIFY2(source.open(QIODevice::ReadOnly) && built.open(QIODevice::ReadOnly),
                     qPrintable(name));
            const QByteArray text = source.readAll();
            QVERIFY2(built.readAll() == text,
                     qPrintable(name + QStringLiteral(": the build's copy differs; rebuild")));
            const bool python =
                name.startsWith(QLatin1String("python/")) && name.endsWith(QLatin1String(".py"));
            const bool c =
                name.startsWith(QLatin1String("c/")) && name.endsWith(QLatin1String(".c"));
            QVERIFY2(python || c, qPrintable(name + QStringLiteral(": code export reads only "
                                                                   "python/*.py and c/*.c")));
            const QString fragment = QString::fromUtf8(text);
            const QStringList &in = programs[c];
            QVERIFY2(
                std::any_of(in.cbegin(), in.cend(),
                            [&](const QString &program) { return program.contains(fragment); }),
                qPrintable(name + QStringLiteral(": in no generated program")));
        }
    }

    // Each Python fragment on its own passes python3 -m py_compile.
    void pythonFragmentsCompile()
    {
        QVERIFY2(!m_python.isEmpty(), "python3 is not installed (apt-get install python3): the "
                                      "Python fragments cannot be checked");
        // The bytecode goes to the scratch directory, not next to the fragment: the source tree
        // stays clean, and may not be writable to the user running the test.
        const QString cache =
            QStringLiteral("pycache_prefix=") + m_dir.filePath(QStringLiteral("pyc"));
        QStringList failed;
        int checked = 0;
        for (const QString &name : filesUnder(kFragmentsDir)) {
            if (!name.endsWith(QLatin1String(".py")))
                continue;
            ++checked;
            const Run r =
                run({m_python, QStringLiteral("-X"), cache, QStringLiteral("-m"),
                     QStringLiteral("py_compile"), kFragmentsDir + QLatin1Char('/') + name},
                    {}, 30000);
            if (r.code != 0) {
                // In full here: a QVERIFY2 message is cut at about 1000 characters.
                qWarning("%s: %s", qPrintable(name), qPrintable(r.dump()));
                failed << name + QStringLiteral(" (its output is above)");
            }
        }
        QVERIFY2(checked > 0, "no Python fragments");
        QVERIFY2(failed.isEmpty(), qPrintable(failed.join(QLatin1Char('\n'))));
    }

    // Each C fragment passes cc -fsyntax-only -Wall -Wextra -Werror after what it needs (see
    // cFragmentNeeds).
    void cFragmentsCompile()
    {
        QVERIFY2(!m_cc.isEmpty(), "cc is not installed (apt-get install gcc): the C fragments "
                                  "cannot be checked");
        const QString dir = kFragmentsDir + QStringLiteral("/c/");
        const QMap<QString, QStringList> needs = cFragmentNeeds();
        const auto include = [&](const QString &name) {
            return QStringLiteral("#include \"%1%2\"\n").arg(dir, name);
        };
        const QString includes = QStringLiteral("includes.c");
        QStringList failed;
        int checked = 0;
        for (const QString &name : filesUnder(dir)) {
            if (!name.endsWith(QLatin1String(".c")))
                continue;
            if (!needs.contains(name)) {
                failed << name + QStringLiteral(": add it to cFragmentNeeds() in "
                                                "tst_codeexport.cpp");
                continue;
            }
            ++checked;
            // Included rather than pasted, so that cc names the fragment's own file and line.
            QString unit = include(includes);
            if (name != includes) {
                unit += QStringLiteral("#define CONNECT_TIMEOUT_MS 2000\n"
                                       "#define SEND_TIMEOUT_MS 2000\n"
                                       "#define RECV_TIMEOUT_MS 200\n"
                                       "#define ACCEPT_TIMEOUT_MS -1\n");
                for (const QString &need : needs.value(name))
                    unit += include(need);
                unit += include(name);
            }
            const QString path = m_dir.filePath(QStringLiteral("check-") + name);
            QFile f(path);
            QVERIFY(f.open(QIODevice::WriteOnly) && f.write(unit.toUtf8()) == unit.toUtf8().size());
            f.close();
            // A fragment alone calls few of its own functions: unused ones are no fault of it
            // (gcc does not warn under -fsyntax-only anyway; clang would).
            const Run r = run({m_cc, QStringLiteral("-fsyntax-only"), QStringLiteral("-Wall"),
                               QStringLiteral("-Wextra"), QStringLiteral("-Werror"),
                               QStringLiteral("-Wno-unused-function"), path},
                              {}, 30000);
            if (r.code != 0) {
                // In full here: a QVERIFY2 message is cut at about 1000 characters.
                qWarning("%s: %s", qPrintable(name), qPrintable(r.dump()));
                failed << name + QStringLiteral(" (its output is above)");
            }
        }
        for (auto it = needs.cbegin(); it != needs.cend(); ++it) {
            if (!QFile::exists(dir + it.key()))
                failed << it.key() + QStringLiteral(": in cFragmentNeeds() but not in ") + dir;
        }
        QVERIFY2(checked > 0, "no C fragments");
        QVERIFY2(failed.isEmpty(), qPrintable(failed.join(QLatin1Char('\n'))));
    }

    // Silent (a recv timeout), echo (the payload comes back) and a refused port, in both
    // languages and both mechanisms; the engine runs the same profile and must agree.
    void clientBehavesAsEngine_data()
    {
        QTest::addColumn<Language>("lang");
        QTest::addColumn<TimeoutMechanism>("mech");
        QTest::addColumn<QString>("target");
        for (const auto &[lang, lname] :
             {std::pair{Language::Python, "python"}, std::pair{Language::C, "c"}}) {
            for (const auto &[mech, mname] : {std::pair{TimeoutMechanism::Poll, "poll"},
                                              std::pair{TimeoutMechanism::SockOpt, "sockopt"}}) {
                for (const char *target : {"silent", "echo", "refused"})
                    QTest::addRow("%s/%s/%s", lname, mname, target)
                        << lang << mech << QString::fromLatin1(target);
            }
        }
    }
    void clientBehavesAsEngine()
    {
        QFETCH(Language, lang);
        QFETCH(TimeoutMechanism, mech);
        QFETCH(QString, target);
        if (const QString missing = missingTool(lang); !missing.isEmpty())
            QFAIL(qPrintable(missing));
        const quint16 port = target == QLatin1String("silent") ? m_silent->port()
                             : target == QLatin1String("echo") ? m_echo->port()
                                                               : m_refusedPort;
        const Profile p = clientProfile(port, mech);
        QString error;
        const QString text = code::generate(lang, p, &error);
        QVERIFY2(!text.isEmpty(), qPrintable(error));
        QString why;
        const QStringList cmd = build(lang, text, &why);
        QVERIFY2(!cmd.isEmpty(), qPrintable(why));

        // The program and the engine run side by side, each with its own connection.
        QProcess proc;
        proc.setWorkingDirectory(m_dir.path());
        proc.start(cmd.first(), cmd.mid(1));
        Engine engine;
        EventRecorder rec(engine.bus());
        engine.run(clientSteps(p));
        QVERIFY(rec.waitFinished());
        const Run r = finish(proc, 5000);
        QVERIFY2(r.code == 0, qPrintable(r.dump()));
        QString programErrno;
        const Outcome program = programOutcome(r.out, &programErrno);
        QString engineErrno;
        const Outcome expected = engineOutcome(rec.events, {QStringLiteral("c1")}, &engineErrno);

        QVERIFY2(program == expected,
                 qPrintable(QStringLiteral("program: %1, engine: %2\n%3")
                                .arg(QLatin1String(outcomeName(program)),
                                     QLatin1String(outcomeName(expected)), r.dump())));
        QCOMPARE(programErrno, engineErrno);
        const QString out = QString::fromUtf8(r.out);
        if (target == QLatin1String("silent")) {
            QCOMPARE(expected, Outcome::Timeout);
            static const QRegularExpression timedOut(
                QStringLiteral("recv timed out after ([0-9.]+) s"));
            const auto m = timedOut.match(out);
            QVERIFY2(m.hasMatch(), qPrintable(out));
            const double elapsed = m.captured(1).toDouble();
            // Measured on the monotonic clock around the call: never early, and not by much late.
            QVERIFY2(elapsed >= 0.2 && elapsed < 1.0, qPrintable(out));
            QVERIFY(out.contains(QLatin1String("sent 5 bytes")));
        } else if (target == QLatin1String("echo")) {
            QCOMPARE(expected, Outcome::Received);
            QVERIFY2(out.contains(QLatin1String("received 5 bytes: b'hello'")), qPrintable(out));
        } else {
            QCOMPARE(expected, Outcome::Error);
            QCOMPARE(programErrno, QStringLiteral("ECONNREFUSED"));
            QVERIFY(out.contains(QLatin1String("error: connect: ECONNREFUSED (")));
        }
        if (mech == TimeoutMechanism::SockOpt)
            QVERIFY2(out.contains(QLatin1String("SO_SNDTIMEO: requested 2.000 s")),
                     qPrintable(out));
    }

    // The server role: listen, accept one connection (a client connects and sends, or nobody
    // comes and accept() times out), one recv(); the engine as a server must agree.
    void serverBehavesAsEngine_data()
    {
        QTest::addColumn<Language>("lang");
        QTest::addColumn<TimeoutMechanism>("mech");
        QTest::addColumn<bool>("clientComes");
        for (const auto &[lang, lname] :
             {std::pair{Language::Python, "python"}, std::pair{Language::C, "c"}}) {
            for (const auto &[mech, mname] : {std::pair{TimeoutMechanism::Poll, "poll"},
                                              std::pair{TimeoutMechanism::SockOpt, "sockopt"}}) {
                QTest::addRow("%s/%s/client", lname, mname) << lang << mech << true;
                QTest::addRow("%s/%s/nobody", lname, mname) << lang << mech << false;
            }
        }
    }
    void serverBehavesAsEngine()
    {
        QFETCH(Language, lang);
        QFETCH(TimeoutMechanism, mech);
        QFETCH(bool, clientComes);
        if (const QString missing = missingTool(lang); !missing.isEmpty())
            QFAIL(qPrintable(missing));
        Profile p;
        p.role = Profile::Role::Server;
        p.host = QStringLiteral("127.0.0.1");
        p.port = 0; // any free port; the program prints which
        p.recvBytes = 100;
        p.options.mechanism = mech;
        p.options.acceptTimeout = Timeout::fromMs(clientComes ? 5000 : 200);
        p.options.recvTimeout = Timeout::fromMs(2000);
        p.options.reuseAddr = true;
        p.options.keepAlive = true;

        QString error;
        const QString text = code::generate(lang, p, &error);
        QVERIFY2(!text.isEmpty(), qPrintable(error));
        QString why;
        const QStringList cmd = build(lang, text, &why);
        QVERIFY2(!cmd.isEmpty(), qPrintable(why));
        // The program and the engine serve side by side; a client engine connects to each.
        QProcess proc;
        proc.setWorkingDirectory(m_dir.path());
        proc.start(cmd.first(), cmd.mid(1));
        Engine server;
        EventRecorder rec(server.bus());
        server.run({listen(QStringLiteral("L1"), 0, p.options),
                    accept(QStringLiteral("L1"), QStringLiteral("a1")),
                    recv(QStringLiteral("a1"), p.recvBytes),
                    Step::make(Step::Kind::Close, QStringLiteral("a1")),
                    Step::make(Step::Kind::Close, QStringLiteral("L1"))});
        QByteArray out;
        static const QRegularExpression listening(
            QStringLiteral("listening on 127\\.0\\.0\\.1:([0-9]+)"));
        QRegularExpressionMatch m;
        QVERIFY(QTest::qWaitFor(
            [&] {
                out += proc.readAllStandardOutput();
                m = listening.match(QString::fromUtf8(out));
                return m.hasMatch() || proc.state() == QProcess::NotRunning;
            },
            5000));
        QVERIFY2(m.hasMatch(), out.constData());
        const auto programPort = quint16(m.captured(1).toUInt());
        QTRY_VERIFY(rec.has(EventKind::Listening, QStringLiteral("L1")));
        Engine client;
        if (clientComes) {
            for (const quint16 port : {programPort, rec.listeningPort(QStringLiteral("L1"))})
                client.run({connectTo(port), send("hello"),
                            Step::make(Step::Kind::Close, QStringLiteral("c1"))});
        }
        Run r = finish(proc, 8000);
        r.out.prepend(out);
        QVERIFY2(r.code == 0, qPrintable(r.dump()));
        QString programErrno;
        const Outcome program = programOutcome(r.out, &programErrno);
        QVERIFY(rec.waitFinished());
        QString engineErrno;
        const Outcome expected =
            engineOutcome(rec.events, {QStringLiteral("L1"), QStringLiteral("a1")}, &engineErrno);

        QVERIFY2(program == expected,
                 qPrintable(QStringLiteral("program: %1, engine: %2\n%3")
                                .arg(QLatin1String(outcomeName(program)),
                                     QLatin1String(outcomeName(expected)), r.dump())));
        const QString text2 = QString::fromUtf8(r.out);
        if (clientComes) {
            QCOMPARE(expected, Outcome::Received);
            for (const char *s :
                 {"SO_REUSEADDR: requested 1, effective 1",
                  "accepted a connection from 127.0.0.1:", "SO_KEEPALIVE: 1 (inherited)",
                  "received 5 bytes: b'hello'", "closed the connection", "closed the listener"})
                QVERIFY2(text2.contains(QLatin1String(s)), qPrintable(r.dump()));
        } else {
            QCOMPARE(expected, Outcome::Timeout);
            QVERIFY2(text2.contains(QLatin1String("accept timed out after")), qPrintable(r.dump()));
        }
    }

    // Every option is printed with what was asked and what the kernel read back; the buffer
    // sizes read back as the engine reads them (doubled).
    void optionReadBacksArePrinted_data()
    {
        QTest::addColumn<Language>("lang");
        QTest::newRow("python") << Language::Python;
        QTest::newRow("c") << Language::C;
    }
    void optionReadBacksArePrinted()
    {
        QFETCH(Language, lang);
        if (const QString missing = missingTool(lang); !missing.isEmpty())
            QFAIL(qPrintable(missing));
        Profile p = clientProfile(m_echo->port(), TimeoutMechanism::Poll);
        SocketOptions &o = p.options;
        o.rcvBuf = 65536;
        o.sndBuf = 32768;
        o.keepAlive = true;
        o.keepIdle = 7;
        o.keepCnt = 4; // TCP_KEEPINTVL left to the system
        o.userTimeoutMs = 3000;
        o.noDelay = true;
        o.lingerSec = 1;
        o.reuseAddr = true;
        const Run r = generateAndRun(lang, p);
        QVERIFY2(r.code == 0, qPrintable(r.dump()));
        const QString out = QString::fromUtf8(r.out);

        Engine engine;
        EventRecorder rec(engine.bus());
        engine.run(clientSteps(p));
        QVERIFY(rec.waitFinished());
        const auto engineEffective = [&](const char *option) {
            for (const Event &e : rec.of(EventKind::OptionSet, QStringLiteral("c1"))) {
                if (e.option == QLatin1String(option))
                    return e.effective.toLongLong();
            }
            return qint64(-1);
        };
        for (const auto &[option, requested] :
             {std::pair{"SO_RCVBUF", 65536}, std::pair{"SO_SNDBUF", 32768}}) {
            const qint64 eff = engineEffective(option);
            QVERIFY(eff > requested); // the kernel doubles it
            const QString line = QStringLiteral("%1: requested %2, effective %3")
                                     .arg(QLatin1String(option))
                                     .arg(requested)
                                     .arg(eff);
            QVERIFY2(out.contains(line), qPrintable(line + QLatin1Char('\n') + out));
        }
        for (const char *line :
             {"SO_REUSEADDR: requested 1, effective 1", "SO_KEEPALIVE: requested 1, effective 1",
              "TCP_KEEPIDLE: requested 7, effective 7", "TCP_KEEPCNT: requested 4, effective 4",
              "TCP_USER_TIMEOUT: requested 3000, effective 3000",
              "TCP_NODELAY: requested 1, effective 1",
              "SO_LINGER: requested on 1 s, effective on 1 s",
              "TCP_KEEPINTVL: ", "(system default, /proc/sys/net/ipv4/tcp_keepalive_intvl)",
              "received 5 bytes: b'hello'"})
            QVERIFY2(out.contains(QLatin1String(line)),
                     qPrintable(QLatin1String(line) + '\n' + out));
        // Options are applied before connect(), as the engine does.
        QVERIFY(out.indexOf(QLatin1String("SO_RCVBUF:")) <
                out.indexOf(QLatin1String("connecting")));
    }

    // A client+peer profile whose peer port is only known at run time: the program takes it
    // as an argument and refuses to run without one.
    void peerPortIsAnArgument_data() { optionReadBacksArePrinted_data(); }
    void peerPortIsAnArgument()
    {
        QFETCH(Language, lang);
        if (const QString missing = missingTool(lang); !missing.isEmpty())
            QFAIL(qPrintable(missing));
        Profile p = clientProfile(0, TimeoutMechanism::Poll);
        p.role = Profile::Role::ClientWithPeer;
        QString error;
        const QString text = code::generate(lang, p, &error);
        QVERIFY2(!text.isEmpty(), qPrintable(error));
        // The peer to start and the program meet on one port: PORT, the argument, here.
        QVERIFY(text.contains(QLatin1String("socklab-cli serve --port PORT --behavior echo")));
        {
            Profile known = p;
            known.port = 47125; // a peer already started on a known port
            const QString withPort = code::generate(lang, known, &error);
            QVERIFY(withPort.contains(QLatin1String("port 47125")));
            QVERIFY2(withPort.contains(QLatin1String("--port 47125")) &&
                         !withPort.contains(QLatin1String("5000")),
                     qPrintable(withPort.left(1500)));
        }
        QString why;
        const QStringList cmd = build(lang, text, &why);
        QVERIFY2(!cmd.isEmpty(), qPrintable(why));
        const Run none = run(cmd);
        QCOMPARE(none.code, 2);
        QVERIFY2(none.err.contains("usage:"), qPrintable(none.dump()));
        QVERIFY(none.out.isEmpty());
        const Run bad = run(cmd, {QStringLiteral("127.0.0.1"), QStringLiteral("70000")});
        QCOMPARE(bad.code, 2);
        const Run ok = run(cmd, {QStringLiteral("127.0.0.1"), QString::number(m_echo->port())});
        QVERIFY2(ok.code == 0 && ok.out.contains("received 5 bytes: b'hello'"),
                 qPrintable(ok.dump()));
    }

    // User text can only ever be data: quotes, backslashes, newlines, comment ends, trigraphs,
    // format directives, NUL and non-ASCII bytes go into the payload (checked byte for byte at
    // the receiving end) and into the host (which must then merely fail to resolve).
    // The program makes the setsockopt() calls socklab-cli makes, in the same order and with
    // the same values, as strace (an outside judge) sees them.
    void sameSetsockoptCallsAsTheCli_data()
    {
        QTest::addColumn<int>("lang");
        QTest::addColumn<QStringList>("options");
        const QStringList sockopt{QStringLiteral("--timeout-mechanism"), QStringLiteral("sockopt")};
        const QList<std::pair<const char *, QStringList>> rows{
            {"sockopt, no timeouts", sockopt},
            {"sockopt, connect and recv timeouts",
             sockopt + QStringList{QStringLiteral("--connect-timeout"), QStringLiteral("2"),
                                   QStringLiteral("--recv-timeout"), QStringLiteral("0.2")}},
            {"poll, keepalive and nodelay",
             {QStringLiteral("--recv-timeout"), QStringLiteral("0.2"),
              QStringLiteral("--keepalive"), QStringLiteral("--keepidle"), QStringLiteral("5"),
              QStringLiteral("--nodelay"), QStringLiteral("--linger"), QStringLiteral("3")}},
        };
        for (const auto &[name, opts] : rows) {
            QTest::addRow("python, %s", name) << int(Language::Python) << opts;
            QTest::addRow("c, %s", name) << int(Language::C) << opts;
        }
    }
    void sameSetsockoptCallsAsTheCli()
    {
        QFETCH(int, lang);
        QFETCH(QStringList, options);
        const Language language = Language(lang);
        if (const QString why = missingTool(language); !why.isEmpty())
            QFAIL(qPrintable(why));
        const QString strace = QStandardPaths::findExecutable(QStringLiteral("strace"));
        QVERIFY2(!strace.isEmpty(), "strace is the judge here (scripts/setup.sh installs it)");
        // Against the echo peer every call succeeds, so both make every call.
        const QStringList target{QStringLiteral("127.0.0.1"), QString::number(m_echo->port())};
        const QStringList calls =
            options + QStringList{QStringLiteral("--send"), QStringLiteral("hi"),
                                  QStringLiteral("--recv"), QStringLiteral("2")};
        const auto traced = [&](const QStringList &command, QString *why) {
            const QString log = m_dir.filePath(QStringLiteral("strace%1.txt").arg(++m_files));
            // LeakSanitizer cannot run under a tracer (ptrace): the traced CLI skips it.
            const QString asan = qEnvironmentVariable("ASAN_OPTIONS");
            const QString noLeaks = QStringLiteral("ASAN_OPTIONS=") + asan +
                                    (asan.isEmpty() ? QString() : QStringLiteral(":")) +
                                    QStringLiteral("detect_leaks=0");
            const Run r = run({strace, QStringLiteral("-f"), QStringLiteral("-E"), noLeaks,
                               QStringLiteral("-e"), QStringLiteral("trace=setsockopt"),
                               QStringLiteral("-o"), log},
                              command, 15000);
            QFile f(log);
            if (r.code != 0 || !f.open(QIODevice::ReadOnly)) {
                *why = r.dump();
                return QStringList();
            }
            // setsockopt(3, SOL_SOCKET, SO_SNDTIMEO_OLD, "\2\0...", 16) = 0: all but the fd.
            static const QRegularExpression call(
                QStringLiteral(R"(setsockopt\(\d+, (.*)\) = (-?\d+))"));
            QStringList out;
            for (const QByteArray &line : f.readAll().split('\n')) {
                if (const auto m = call.match(QString::fromUtf8(line)); m.hasMatch())
                    out << m.captured(1) + QStringLiteral(" = ") + m.captured(2);
            }
            return out;
        };
        QString why;
        const QStringList cli =
            traced(QStringList{QStringLiteral(SOCKLAB_CLI_PATH), QStringLiteral("connect")} +
                       target + calls,
                   &why);
        QVERIFY2(why.isEmpty(), qPrintable(why));
        // Only the row with nothing but the mechanism sets nothing (no timeout is the default).
        QCOMPARE(cli.isEmpty(), options.size() == 2);
        const Run gen = run({QStringLiteral(SOCKLAB_CLI_PATH), QStringLiteral("code"),
                             QStringLiteral("--lang"), code::languageName(language)},
                            target + calls);
        QVERIFY2(gen.code == 0, qPrintable(gen.dump()));
        const QStringList cmd = build(language, QString::fromUtf8(gen.out), &why);
        QVERIFY2(!cmd.isEmpty(), qPrintable(why));
        const QStringList prog = traced(cmd, &why);
        QVERIFY2(why.isEmpty(), qPrintable(why));
        QCOMPARE(prog, cli);
    }

    // Since Python 3.10 socket.timeout is TimeoutError, which a kernel ETIMEDOUT raises too:
    // a keepalive death must print as the error it is, not as settimeout()'s deadline.
    void keepaliveDeathIsAnErrorNotATimeout_data()
    {
        QTest::addColumn<int>("lang");
        QTest::newRow("python") << int(Language::Python);
        QTest::newRow("c") << int(Language::C);
    }
    void keepaliveDeathIsAnErrorNotATimeout()
    {
        QFETCH(int, lang);
        SOCKLAB_REQUIRE_SOCKET_FILTERS();
        if (const QString why = missingTool(Language(lang)); !why.isEmpty())
            QFAIL(qPrintable(why));
        PeerServer blackhole(&m_bus);
        PeerConfig cfg;
        cfg.behavior = PeerBehavior::Blackhole;
        QCOMPARE(blackhole.start(cfg), 0);
        Profile p = clientProfile(blackhole.port(), TimeoutMechanism::Poll);
        p.send.clear();
        p.options.recvTimeout = Timeout::blockForever();
        p.options.keepAlive = true;
        p.options.keepIdle = 1;
        p.options.keepIntvl = 1;
        p.options.keepCnt = 2;
        QString error;
        const QString text = code::generate(Language(lang), p, &error);
        QVERIFY2(!text.isEmpty(), qPrintable(error));
        QString why;
        const QStringList cmd = build(Language(lang), text, &why);
        QVERIFY2(!cmd.isEmpty(), qPrintable(why));
        const Run r = run(cmd, {}, 15000); // dead after idle 1 + 2 x 1 = 3 s
        QVERIFY2(r.code == 0, qPrintable(r.dump()));
        QVERIFY2(r.out.contains("error: recv: ETIMEDOUT"), qPrintable(r.dump()));
        QVERIFY2(!r.out.contains("recv timed out after"), qPrintable(r.dump()));
    }

    void userTextCannotEscape_data() { optionReadBacksArePrinted_data(); }
    void userTextCannotEscape()
    {
        QFETCH(Language, lang);
        if (const QString missing = missingTool(lang); !missing.isEmpty())
            QFAIL(qPrintable(missing));
        QString nasty = QStringLiteral(
            "it's \"q\" \\ \\' \\\" ''' \"\"\" \n# import os\r\n*/ /* x */ ?\?/ ?\?= %s%n%d {0} "
            "$(touch PWNED) `touch PWNED` \\x41 \\0 \\u00e9 \x01\x7f é € ");
        nasty += QChar(QChar::Null);
        nasty += QString::fromUcs4(U"\U0001F600 end\\");

        QTcpServer sink;
        QVERIFY(sink.listen(QHostAddress::LocalHost));
        QByteArray got;
        bool disconnected = false;
        connect(&sink, &QTcpServer::newConnection, this, [&] {
            QTcpSocket *s = sink.nextPendingConnection();
            connect(s, &QTcpSocket::readyRead, this, [&, s] { got += s->readAll(); });
            connect(s, &QTcpSocket::disconnected, this, [&] { disconnected = true; });
        });

        Profile p = clientProfile(sink.serverPort(), TimeoutMechanism::Poll);
        p.send = nasty;
        p.recvBytes = 0;
        QString error;
        const QString text = code::generate(lang, p, &error);
        QVERIFY2(!text.isEmpty(), qPrintable(error));
        if (lang == Language::Python) {
            // Every header line is a comment, even with the newlines in the payload.
            const QStringList lines = text.section(QStringLiteral("\n\nimport "), 0, 0).split('\n');
            for (const QString &line : lines)
                QVERIFY2(line.startsWith(QLatin1Char('#')), qPrintable(line));
        } else {
            // The first comment ends where the header ends, and no nested "/*" opens in it.
            const qsizetype end = text.indexOf(QLatin1String("*/"));
            QVERIFY(text.mid(end - 2, 5) == QLatin1String("\n */\n"));
            QVERIFY(!text.left(end).mid(2).contains(QLatin1String("/*")));
        }
        QString why;
        // -std=c11 turns trigraphs on, -pedantic is strict about everything else.
        const QStringList cmd =
            build(lang, text, &why, {QStringLiteral("-std=c11"), QStringLiteral("-pedantic")});
        QVERIFY2(!cmd.isEmpty(), qPrintable(why));
        const Run r = run(cmd);
        QVERIFY2(r.code == 0, qPrintable(r.dump()));
        QTRY_VERIFY(disconnected);
        QCOMPARE(got, nasty.toUtf8());
        QVERIFY2(r.out.contains(QByteArray("sent ") + QByteArray::number(nasty.toUtf8().size()) +
                                " bytes"),
                 qPrintable(r.dump()));

        // The same text as the host: the program compiles, runs, and only fails to resolve.
        Profile h = p;
        h.host = nasty.left(nasty.indexOf(QLatin1Char('\n'))) + QStringLiteral(" */ \" ?\?/ é");
        const QString hostText = code::generate(lang, h, &error);
        QVERIFY2(!hostText.isEmpty(), qPrintable(error));
        const QStringList hostCmd = build(lang, hostText, &why, {QStringLiteral("-std=c11")});
        QVERIFY2(!hostCmd.isEmpty(), qPrintable(why));
        const Run hr = run(hostCmd);
        // Exit 2, as socklab-cli's for a name that does not resolve.
        QVERIFY2(hr.code == 2 && hr.out.contains("error: resolve "), qPrintable(hr.dump()));
        QVERIFY(!QFile::exists(m_dir.filePath(QStringLiteral("PWNED"))));
    }
};

QTEST_GUILESS_MAIN(TestCodeExport)
#include "tst_codeexport.moc"
