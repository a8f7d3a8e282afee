// Profiles round-trip through JSON; a bad file is refused with a message naming what is wrong.
#include "Profile.h"

#include <QTest>

using namespace socklab;

class TestProfile : public QObject
{
    Q_OBJECT
  private slots:
    void roundTrip()
    {
        Profile p;
        p.role = Profile::Role::Server;
        p.host = QStringLiteral("::1");
        p.port = 8080;
        p.peer.behavior = PeerBehavior::Drip;
        p.peer.intervalMs = 250;
        p.options.recvTimeout = Timeout::fromMs(200);
        p.options.connectTimeout = Timeout::fromMs(0);
        p.options.mechanism = TimeoutMechanism::SockOpt;
        p.options.reuseAddr = true;
        p.options.keepAlive = true;
        p.options.keepIdle = 1;
        p.options.keepIntvl = 2;
        p.options.keepCnt = 3;
        p.options.userTimeoutMs = 4000;
        p.options.synCnt = 2;
        p.options.deadlineMs = 2500;
        p.options.lingerSec = 0;
        p.options.rcvBuf = 65536;
        p.send = QStringLiteral("GET / HTTP/1.0\r\n\r\n");
        p.recvBytes = 100;
        QString err;
        const auto back = Profile::fromJson(p.toJsonBytes(), &err);
        QVERIFY2(back, qPrintable(err));
        QVERIFY(*back == p);
        QCOMPARE(back->options.recvTimeout, Timeout::fromMs(200));
        QCOMPARE(back->options.connectTimeout.mode, Timeout::Mode::NonBlocking);
        QVERIFY(back->options.acceptTimeout.isForever());
        QCOMPARE(back->options.keepCnt, 3);
        QCOMPARE(back->options.synCnt, 2);
        QCOMPARE(back->options.deadlineMs, std::optional<qint64>(2500));
        QVERIFY(!back->options.noDelay.has_value());
    }

    // "timeout" sets every call at once; "timeouts" then refines single calls.
    void timeoutShorthand()
    {
        QString error;
        const auto p = Profile::fromJson(
            R"({"options": {"timeout": 2.5, "timeouts": {"accept": "none"}}})", &error);
        QVERIFY2(p, qPrintable(error));
        QCOMPARE(p->options.connectTimeout, Timeout::fromMs(2500));
        QCOMPARE(p->options.recvTimeout, Timeout::fromMs(2500));
        QCOMPARE(p->options.sendTimeout, Timeout::fromMs(2500));
        QCOMPARE(p->options.acceptTimeout, Timeout::blockForever());
        QVERIFY(!Profile::fromJson(R"({"options": {"timeout": -1}})", &error));
        QVERIFY2(error.contains(QLatin1String("options.timeout")), qPrintable(error));
    }

    void badFilesAreRefused_data()
    {
        QTest::addColumn<QByteArray>("json");
        QTest::addColumn<QString>("mentions");
        QTest::newRow("malformed") << QByteArray("{\"role\": ") << "Not valid JSON";
        QTest::newRow("not an object") << QByteArray("[1,2]") << "JSON object";
        QTest::newRow("unknown key") << QByteArray("{\"colour\": 1}") << "unknown key 'colour'";
        QTest::newRow("unknown option")
            << QByteArray("{\"options\": {\"keepalive_secs\": 5}}") << "options: unknown key";
        QTest::newRow("wrong type") << QByteArray("{\"options\": {\"keepidle\": \"60\"}}")
                                    << "options.keepidle: expected a whole number";
        QTest::newRow("out of range") << QByteArray("{\"options\": {\"keepcnt\": 500}}")
                                      << "options.keepcnt: 500 is out of range";
        QTest::newRow("fractional") << QByteArray("{\"port\": 80.5}") << "port: expected a whole";
        QTest::newRow("bad role") << QByteArray("{\"role\": \"admin\"}") << "role: 'admin'";
        QTest::newRow("bad host") << QByteArray("{\"host\": \"exa mple\"}") << "host:";
        QTest::newRow("negative timeout")
            << QByteArray("{\"options\": {\"timeouts\": {\"recv\": -1}}}")
            << "options.timeouts.recv";
        QTest::newRow("bad behaviour")
            << QByteArray("{\"peer\": {\"behavior\": \"zombie\"}}") << "peer.behavior: 'zombie'";
        QTest::newRow("bool as number") << QByteArray("{\"options\": {\"nodelay\": 1}}")
                                        << "options.nodelay: expected true or false";
        QTest::newRow("huge") << QByteArray(kProfileMaxBytes + 1, ' ') << "at most";
    }
    void badFilesAreRefused()
    {
        QFETCH(QByteArray, json);
        QFETCH(QString, mentions);
        QString err;
        QVERIFY(!Profile::fromJson(json, &err));
        QVERIFY2(err.contains(mentions), qPrintable(err));
    }

    void missingKeysKeepDefaults()
    {
        QString err;
        const auto p = Profile::fromJson("{}", &err);
        QVERIFY(p);
        QCOMPARE(p->role, Profile::Role::ClientWithPeer);
        QCOMPARE(p->host, QStringLiteral("127.0.0.1"));
    }

    void hostValidation_data()
    {
        QTest::addColumn<QString>("host");
        QTest::addColumn<bool>("valid");
        QTest::newRow("ipv4") << "127.0.0.1" << true;
        QTest::newRow("name") << "example.com" << true;
        QTest::newRow("trailing dot") << "example.com." << true;
        QTest::newRow("ipv6") << "::1" << true;
        QTest::newRow("ipv6 brackets") << "[::1]" << true;
        QTest::newRow("empty") << "" << false;
        QTest::newRow("space inside") << "exa mple.com" << false;
        QTest::newRow("leading space") << " example.com" << false;
        QTest::newRow("underscore") << "bad_name.com" << false;
        QTest::newRow("hyphen start") << "-x.com" << false;
        QTest::newRow("empty label") << "a..b" << false;
        QTest::newRow("bad ipv4") << "256.1.1.1" << false;
        QTest::newRow("bad ipv6") << "::g" << false;
        QTest::newRow("unbalanced") << "[::1" << false;
        QTest::newRow("v4 in brackets") << "[127.0.0.1]" << false;
        QTest::newRow("label too long") << QString(64, QLatin1Char('a')) + ".com" << false;
        // Found by fuzzing: QHostAddress stops at a NUL, so "10\0junk" passed as 0.0.0.10.
        QTest::newRow("nul inside")
            << QStringLiteral("10") + QChar(0) + QStringLiteral("junk") << false;
        QTest::newRow("nul in brackets")
            << QStringLiteral("[::1") + QChar(0) + QStringLiteral("x]") << false;
        QTest::newRow("escape") << QStringLiteral("exa\x1bmple.com") << false;
        QTest::newRow("tab") << QStringLiteral("exa\tmple.com") << false;
        QTest::newRow("not ascii") << QStringLiteral("b\u00fccher.de") << false;
        QTest::newRow("scope id") << QStringLiteral("fe80::1%eth0") << true;
    }
    void hostValidation()
    {
        QFETCH(QString, host);
        QFETCH(bool, valid);
        const QString err = validateHost(host);
        QVERIFY2(err.isEmpty() == valid, qPrintable(err));
        QVERIFY2(!err.contains(QChar(0)) && !err.contains(QChar(0x1b)), qPrintable(err));
    }

    // Found by fuzzing (tests/fuzz): a host with a NUL loaded (and would have connected to
    // what precedes the NUL), and messages quoted keys and values with their control
    // characters.
    void controlCharactersRefusedAndEscaped()
    {
        QString err;
        QVERIFY(!Profile::fromJson(R"({"host": "10\u0000junk"})", &err));
        QVERIFY2(err.startsWith(QLatin1String("host: '10\\x00junk' contains '\\x00'")),
                 qPrintable(err));
        QVERIFY(!Profile::fromJson("{\"\\u001b[2J\": 1}", &err));
        QVERIFY2(err.contains(QLatin1String("unknown key '\\x1b[2J'")) &&
                     !err.contains(QChar(0x1b)),
                 qPrintable(err));
        QVERIFY(!Profile::fromJson(R"({"role": "x\u202e"})", &err));
        QVERIFY2(err.contains(QLatin1String("'x\\u202e'")), qPrintable(err));
    }
};

QTEST_GUILESS_MAIN(TestProfile)
#include "tst_profile.moc"
