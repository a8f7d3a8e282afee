// The lab: a private network made without privilege (CI runs this suite as uid 65534 too).
// Each test asserts what the kernel shows: addresses each host really has, a table the host's
// network does not share, a helper and a namespace that are gone after tear-down, a socket
// whose close is its own, a blackhole peer that works for an ordinary user, and a refusal
// that names the setting when the kernel does not allow user namespaces.
#include "Engine.h"
#include "Lab.h"
#include "Platform.h"
#include "TestSupport.h"

#include <QDir>
#include <QFileInfo>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QStandardPaths>

#include <algorithm>

#include <arpa/inet.h>
#include <cerrno>
#include <csignal>
#include <netinet/in.h>
#include <sys/stat.h>
#include <unistd.h>

using namespace socklab;
using namespace socklab::test;
using platform::Lab;

namespace {
std::unique_ptr<Lab> makeLab()
{
    QString why;
    auto lab = Lab::create(&why);
    if (!lab)
        qWarning("%s", qPrintable(why));
    return lab;
}

int bindTo(int fd, const char *addr)
{
    sockaddr_in a{};
    a.sin_family = AF_INET;
    inet_pton(AF_INET, addr, &a.sin_addr);
    return ::bind(fd, reinterpret_cast<const sockaddr *>(&a), sizeof a) == 0 ? 0 : errno;
}

// What a /proc link names, as the kernel wrote it ("socket:[123]", "net:[4026532...]").
QString linkText(const QString &path)
{
    char buf[256];
    const ssize_t n = ::readlink(path.toLocal8Bit().constData(), buf, sizeof buf);
    return n > 0 ? QString::fromLocal8Bit(buf, int(n)) : QString();
}

QStringList openDescriptors(pid_t pid)
{
    const QString dir = QStringLiteral("/proc/%1/fd").arg(pid);
    QStringList targets;
    for (const QString &fd : QDir(dir).entryList(QDir::NoDotAndDotDot | QDir::System))
        targets << linkText(dir + u'/' + fd);
    return targets;
}

QString netnsOf(pid_t pid)
{
    return linkText(QStringLiteral("/proc/%1/ns/net").arg(pid));
}

// Every process whose network namespace is `ns` ("net:[4026532...]").
QStringList processesIn(const QString &ns)
{
    QStringList pids;
    for (const QString &p : QDir(QStringLiteral("/proc")).entryList(QDir::Dirs)) {
        bool ok = false;
        p.toInt(&ok);
        if (ok && linkText(QStringLiteral("/proc/%1/ns/net").arg(p)) == ns)
            pids << p;
    }
    return pids;
}
} // namespace

class TestLab : public QObject
{
    Q_OBJECT

  private slots:
    void eachHostHasItsOwnAddresses()
    {
        auto lab = makeLab();
        QVERIFY(lab);
        // The client host has 192.0.2.1 and not the server's address; the server the reverse.
        const int c = lab->client().tcpSocket(AF_INET, false);
        const int s = lab->server().tcpSocket(AF_INET, false);
        QVERIFY(c >= 0 && s >= 0);
        QCOMPARE(bindTo(c, "198.51.100.1"), EADDRNOTAVAIL);
        QCOMPARE(bindTo(s, "192.0.2.1"), EADDRNOTAVAIL);
        QCOMPARE(bindTo(c, "192.0.2.1"), 0);
        QCOMPARE(bindTo(s, "198.51.100.1"), 0);
        ::close(c);
        ::close(s);
        QCOMPARE(Lab::addressesOf(QStringLiteral("server")),
                 QStringList({QStringLiteral("198.51.100.1"), QStringLiteral("2001:db8:2::1")}));
        QVERIFY(Lab::addressesOf(QStringLiteral("example.com")).isEmpty());
    }

    // A socket handed over is this process's alone: the helper has closed its copy before the
    // request returns (else a close() here would not send the FIN, and a client that closes
    // first would not be the first to send one).
    void aSocketHandedOverHasOneDescriptor()
    {
        auto lab = makeLab();
        QVERIFY(lab);
        for (int i = 0; i < 50; ++i) {
            const int fd = lab->client().tcpSocket(AF_INET, i % 2 == 1);
            QVERIFY(fd >= 0);
            struct stat st
            {
            };
            QCOMPARE(::fstat(fd, &st), 0);
            const QString mine = QStringLiteral("socket:[%1]").arg(st.st_ino);
            const QStringList helpers = openDescriptors(lab->helperPid());
            QVERIFY2(std::any_of(helpers.cbegin(), helpers.cend(),
                                 [](const QString &t) { return t.startsWith(u"socket:["); }),
                     qPrintable(helpers.join(u' '))); // its control socket, at least
            QVERIFY2(!helpers.contains(mine), qPrintable(helpers.join(u' ')));
            ::close(fd);
        }
    }

    // What the helper's copy would change: the side that closes first is the one left in
    // TIME_WAIT, every time (a lesson says so). Twenty connections, each closed client first.
    void theSideThatClosesFirstGetsTimeWait()
    {
        auto lab = makeLab();
        QVERIFY(lab);
        const int l = lab->client().tcpSocket(AF_INET, false);
        QCOMPARE(bindTo(l, "127.0.0.1"), 0);
        QCOMPARE(::listen(l, 32), 0);
        sockaddr_in at{};
        socklen_t len = sizeof at;
        QCOMPARE(::getsockname(l, reinterpret_cast<sockaddr *>(&at), &len), 0);
        const quint16 port = ntohs(at.sin_port);
        QSet<quint16> clientPorts;
        for (int i = 0; i < 20; ++i) {
            const int c = lab->client().tcpSocket(AF_INET, false);
            QCOMPARE(::connect(c, reinterpret_cast<const sockaddr *>(&at), len), 0);
            const int a = ::accept4(l, nullptr, nullptr, SOCK_CLOEXEC);
            QVERIFY(a >= 0);
            sockaddr_in mine{};
            socklen_t mlen = sizeof mine;
            QCOMPARE(::getsockname(c, reinterpret_cast<sockaddr *>(&mine), &mlen), 0);
            clientPorts.insert(ntohs(mine.sin_port));
            ::close(c);
            ::close(a);
        }
        ::close(l);
        // Both ends' ports: the listener's (an accepted end) and the clients'.
        QSet<quint16> ports = clientPorts;
        ports.insert(port);
        QStringList wrong;
        int timeWait = 0;
        const auto look = [&] {
            QList<platform::DiagRow> rows;
            platform::dumpTcpSockets(ports, &rows, lab->client());
            wrong.clear();
            timeWait = 0;
            for (const platform::DiagRow &r : rows) {
                if (r.state != 6 /* TIME_WAIT */)
                    continue;
                ++timeWait;
                if (!clientPorts.contains(r.localPort))
                    wrong << r.key();
            }
            return timeWait >= 20 || !wrong.isEmpty();
        };
        QTRY_VERIFY_WITH_TIMEOUT(look(), 5000);
        QVERIFY2(wrong.isEmpty(), qPrintable(QStringLiteral("the accepted end is in TIME_WAIT: ") +
                                             wrong.join(QStringLiteral("; "))));
        QCOMPARE(timeWait, 20);
    }

    // Connect from the client host to the built-in peer on the server host, through the router:
    // the addresses are the lab's, and the host's own socket table never shows the port.
    void theEngineRunsInTheLabAndTheHostSeesNothing()
    {
        auto lab = makeLab();
        QVERIFY(lab);
        Engine engine(nullptr, &lab->client());
        EventRecorder rec(engine.bus());
        SocketOptions o;
        o.recvTimeout = Timeout::fromMs(5000);
        engine.run({peer(PeerBehavior::Echo), connectToPeer(o), send("across the lab"), recv(),
                    hold(0.3)});
        QTRY_VERIFY_WITH_TIMEOUT(rec.has(EventKind::Holding), 10000);
        const Event connected = rec.first(EventKind::Connected);
        QVERIFY2(connected.local.startsWith(QLatin1String("192.0.2.1:")), qPrintable(rec.dump()));
        QVERIFY(connected.remote.startsWith(QLatin1String("198.51.100.1:")));
        QCOMPARE(rec.first(EventKind::Received).data, QStringLiteral("across the lab"));
        const quint16 port = rec.listeningPort(QStringLiteral("peer"));
        QVERIFY(port > 0);
        // The monitor reads both hosts' tables: the client's connection and the peer's.
        QTRY_VERIFY_WITH_TIMEOUT(rec.count(EventKind::State) >= 2, 5000);
        QList<platform::DiagRow> hostRows;
        QCOMPARE(platform::dumpTcpSockets({port}, &hostRows, platform::hostNetwork()), 0);
        QStringList seen;
        for (const platform::DiagRow &r : hostRows)
            seen << r.key();
        QVERIFY2(hostRows.isEmpty(), qPrintable(seen.join(u' ')));
        QList<platform::DiagRow> labRows;
        QCOMPARE(platform::dumpTcpSockets({port}, &labRows, lab->client()), 0);
        QVERIFY(!labRows.isEmpty());
        QVERIFY(rec.waitFinished());
    }

    // The dead-peer experiments work for an ordinary user: the blackhole peer's drop filter is
    // refused on the host's network (EPERM) but allowed in the lab's own.
    void blackholePeerWorksWithoutPrivilege()
    {
        auto lab = makeLab();
        QVERIFY(lab);
        Engine engine(nullptr, &lab->client());
        EventRecorder rec(engine.bus());
        engine.run({peer(PeerBehavior::Blackhole), connectToPeer({}), send("x"), hold(1.0)});
        QTRY_VERIFY_WITH_TIMEOUT(rec.has(EventKind::Retransmit), 5000);
        QVERIFY2(!rec.has(EventKind::Error), qPrintable(rec.dump()));
        QVERIFY(rec.first(EventKind::Accepted, QStringLiteral("peer1"))
                    .detail.contains(QLatin1String("Blackholed")));
        engine.stop();
        QVERIFY(rec.waitFinished());
    }

    // Tear-down leaves no helper, no descriptor and no process in the lab's network.
    void tearDownLeavesNothing()
    {
        const int fdsBefore = openDescriptors(::getpid()).size();
        pid_t helper = -1;
        QString ns;
        {
            auto lab = makeLab();
            QVERIFY(lab);
            helper = lab->helperPid();
            ns = netnsOf(helper);
            QVERIFY(ns.startsWith(QLatin1String("net:[")));
            QVERIFY(ns != netnsOf(::getpid()));
            Engine engine(nullptr, &lab->client());
            EventRecorder rec(engine.bus());
            engine.run({peer(PeerBehavior::Echo), connectToPeer({}), send("x"), recv()});
            QVERIFY(rec.waitFinished());
            QVERIFY2(rec.has(EventKind::Received), qPrintable(rec.dump()));
        }
        errno = 0;
        QCOMPARE(::kill(helper, 0), -1); // reaped, not a zombie
        QCOMPARE(errno, ESRCH);
        QVERIFY2(processesIn(ns).isEmpty(), qPrintable(processesIn(ns).join(u' ')));
        QCOMPARE(openDescriptors(::getpid()).size(), fdsBefore);
    }

    void theCliRunsAPeerInTheLabByDefault()
    {
        QProcess cli;
        cli.start(QStringLiteral(SOCKLAB_CLI_PATH),
                  {QStringLiteral("connect"), QStringLiteral("--peer"), QStringLiteral("echo"),
                   QStringLiteral("--send"), QStringLiteral("hi"), QStringLiteral("--recv"),
                   QStringLiteral("2"), QStringLiteral("--json")});
        QVERIFY(cli.waitForFinished(20000));
        QCOMPARE(cli.exitCode(), 0);
        bool sawLab = false, sawConnected = false;
        for (const QByteArray &line : cli.readAllStandardOutput().split('\n')) {
            const QJsonObject e = QJsonDocument::fromJson(line).object();
            if (e.value(QStringLiteral("op")).toString() == QLatin1String("network"))
                sawLab = e.value(QStringLiteral("detail"))
                             .toString()
                             .contains(QLatin1String("private lab network"));
            if (e.value(QStringLiteral("kind")).toString() == QLatin1String("connected") &&
                e.value(QStringLiteral("local")).toString().startsWith(QLatin1String("192.0.2.1:")))
                sawConnected = true;
        }
        QVERIFY(sawLab);
        QVERIFY(sawConnected);
    }

    void aBadNetworkIsRefusedByName()
    {
        QProcess cli;
        cli.start(QStringLiteral(SOCKLAB_CLI_PATH),
                  {QStringLiteral("connect"), QStringLiteral("--peer"), QStringLiteral("echo"),
                   QStringLiteral("--network"), QStringLiteral("moon")});
        QVERIFY(cli.waitForFinished(10000));
        QCOMPARE(cli.exitCode(), 2);
        const QString err = QString::fromUtf8(cli.readAllStandardError());
        QVERIFY2(err.contains(QLatin1String("'moon'")) &&
                     err.contains(QLatin1String("lab or host")),
                 qPrintable(err));
        // A listener in the lab could never be reached from outside it: refused, not pretended.
        cli.start(QStringLiteral(SOCKLAB_CLI_PATH),
                  {QStringLiteral("listen"), QStringLiteral("--port"), QStringLiteral("0"),
                   QStringLiteral("--network"), QStringLiteral("lab")});
        QVERIFY(cli.waitForFinished(10000));
        QCOMPARE(cli.exitCode(), 2);
        QVERIFY(cli.readAllStandardError().contains("private to this run"));
    }

    // Each lab host has a TCP connection table of its own (the kernel shows a shared one's size
    // negative), with this machine's TIME_WAIT limit: a dump of a host's
    // sockets walks its own few thousand buckets, not the machine's whole table.
    void eachHostHasItsOwnConnectionTable()
    {
        const QString own =
            platform::readSysctl(QStringLiteral("net.ipv4.tcp_max_tw_buckets")).text;
        QVERIFY(!own.isEmpty());
        auto lab = makeLab();
        QVERIFY(lab);
        const auto read = [&](lab::Host h, const char *path) {
            Lab::Program p;
            const int err =
                lab->runProgram(h, {QStringLiteral("cat"), QLatin1String(path)}, {}, &p);
            if (err)
                return QStringLiteral("runProgram: %1").arg(err);
            QByteArray out;
            char buf[256];
            ssize_t n;
            while ((n = ::read(p.out, buf, sizeof buf)) > 0)
                out.append(buf, n);
            for (const int fd : {p.pidfd, p.status, p.out, p.err})
                ::close(fd);
            return QString::fromLatin1(out).trimmed();
        };
        for (const lab::Host h : {lab::Client, lab::Router, lab::Server}) {
            QCOMPARE(read(h, "/proc/sys/net/ipv4/tcp_ehash_entries"),
                     QLatin1String(lab::kEhashEntries));
            QCOMPARE(read(h, "/proc/sys/net/ipv4/tcp_max_tw_buckets"), own.trimmed());
        }
    }

    // The lab runs with this machine's TCP settings, not the kernel's built-in ones: run in a
    // network of the test's own whose tcp_keepalive_time is 1234 s, a lab socket's TCP_KEEPIDLE
    // (read back by getsockopt: the kernel's word) is 1234 too.
    void theLabCopiesThisMachinesTcpSettings()
    {
        const QString unshare = QStandardPaths::findExecutable(QStringLiteral("unshare"));
        if (unshare.isEmpty())
            QSKIP("unshare (util-linux) is not installed");
        QProcess p;
        p.start(unshare,
                {QStringLiteral("-Urn"), QStringLiteral("sh"), QStringLiteral("-c"),
                 QStringLiteral("echo 1234 > /proc/sys/net/ipv4/tcp_keepalive_time && "
                                "echo 17 > /proc/sys/net/ipv4/tcp_keepalive_intvl && "
                                "exec \"$0\" \"$@\""),
                 QStringLiteral(SOCKLAB_CLI_PATH), QStringLiteral("connect"),
                 QStringLiteral("--peer"), QStringLiteral("echo"), QStringLiteral("--keepalive"),
                 QStringLiteral("--hold"), QStringLiteral("0.1"), QStringLiteral("--network"),
                 QStringLiteral("lab"), QStringLiteral("--json")});
        QVERIFY(p.waitForFinished(20000));
        const QString err = QString::fromUtf8(p.readAllStandardError());
        QVERIFY2(p.exitCode() == 0, qPrintable(err));
        QHash<QString, qint64> defaults;
        for (const QByteArray &line : p.readAllStandardOutput().split('\n')) {
            const QJsonObject e = QJsonDocument::fromJson(line).object();
            if (e.value(QStringLiteral("kind")).toString() == QLatin1String("system_default"))
                defaults.insert(e.value(QStringLiteral("option")).toString(),
                                e.value(QStringLiteral("effective")).toInteger());
        }
        QCOMPARE(defaults.value(QStringLiteral("TCP_KEEPIDLE"), -1), 1234);
        QCOMPARE(defaults.value(QStringLiteral("TCP_KEEPINTVL"), -1), 17);
    }

    // Where the kernel allows no user namespaces, the lab is refused in one sentence that names
    // the setting; asked for, the run fails with it; by default the run goes on on the host's
    // network and says so. (The refusal is the kernel's: user.max_user_namespaces set to 0 in a
    // user namespace of the test's own.)
    void aRefusalNamesTheSetting()
    {
        const QString unshare = QStandardPaths::findExecutable(QStringLiteral("unshare"));
        if (unshare.isEmpty())
            QSKIP("unshare (util-linux) is not installed");
        const auto inNoUserns = [&](const QStringList &args) {
            QProcess p;
            QStringList all = {QStringLiteral("-Ur"), QStringLiteral("sh"), QStringLiteral("-c"),
                               QStringLiteral("echo 0 > /proc/sys/user/max_user_namespaces && "
                                              "exec \"$0\" \"$@\""),
                               QStringLiteral(SOCKLAB_CLI_PATH)};
            p.start(unshare, all + args);
            p.waitForFinished(20000);
            return std::make_tuple(p.exitCode(), QString::fromUtf8(p.readAllStandardOutput()),
                                   QString::fromUtf8(p.readAllStandardError()));
        };
        const auto [code, out, err] =
            inNoUserns({QStringLiteral("connect"), QStringLiteral("--peer"), QStringLiteral("echo"),
                        QStringLiteral("--network"), QStringLiteral("lab")});
        QCOMPARE(code, 1);
        QVERIFY2(err.contains(QLatin1String("user.max_user_namespaces is 0")), qPrintable(err));
        const auto [code2, out2, err2] =
            inNoUserns({QStringLiteral("connect"), QStringLiteral("--peer"), QStringLiteral("echo"),
                        QStringLiteral("--send"), QStringLiteral("hi"), QStringLiteral("--recv"),
                        QStringLiteral("2")});
        QCOMPARE(code2, 0);
        QVERIFY2(out2.contains(QLatin1String("this machine's own network")), qPrintable(out2));
        QVERIFY2(out2.contains(QLatin1String("received")), qPrintable(out2));
    }
};

QTEST_GUILESS_MAIN(TestLab)
#include "tst_lab.moc"
