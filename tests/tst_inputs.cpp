// Bad input gets a clear message and changes nothing: the table of docs/INPUTS.md, row by
// row. On the CLI every bad value exits 2 with a message on stderr naming the value and what
// is allowed, and prints no event (nothing ran). The same values in a profile are refused by
// Profile::fromJson with the key, the value and the range. (The window's refusal beside the
// field is tested in tst_window and tst_panels.)
#include "Profile.h"
#include "ReliabilitySupport.h"
#include "TestSupport.h"

using namespace socklab;
using namespace socklab::test;

namespace {
QStringList words(std::initializer_list<const char *> list)
{
    QStringList l;
    for (const char *s : list)
        l << QString::fromUtf8(s);
    return l;
}

QByteArray options(const char *body)
{
    return QByteArray("{\"options\": {") + body + "}}";
}
} // namespace

class TestInputs : public QObject
{
    Q_OBJECT

  private slots:
    void cliRefuses_data()
    {
        QTest::addColumn<QStringList>("args");
        QTest::addColumn<QStringList>("mentions");
        const auto row = [](const char *name, const QStringList &args, const QStringList &m) {
            QTest::newRow(name) << args << m;
        };
        const QString longLabel = QString(64, QLatin1Char('a')) + QStringLiteral(".com");
        const QString longName = QStringList(4, QString(63, QLatin1Char('b'))).join(u'.');
        // Host
        row("host empty", words({"connect", "", "80"}), words({"HOST ''", "Enter a host name"}));
        row("host with a space", words({"connect", "exa mple.com", "80"}),
            words({"'exa mple.com'", "spaces"}));
        row("host with a leading space", words({"connect", " example.com", "80"}),
            words({"spaces"}));
        row("host label with _", words({"connect", "bad_name.com", "80"}),
            words({"'bad_name.com'", "1 to 63 letters, digits or hyphens"}));
        row("host label ending in -", words({"connect", "x-.com", "80"}),
            words({"'x-.com'", "not starting or ending with a hyphen"}));
        row("host empty label", words({"connect", "a..b", "80"}), words({"'a..b'"}));
        row("host label over 63", QStringList{QStringLiteral("connect"), longLabel, "80"},
            words({"1 to 63"}));
        row("host name over 253", QStringList{QStringLiteral("connect"), longName, "80"},
            words({"at most 253 characters"}));
        row("host bad IPv4", words({"connect", "256.1.1.1", "80"}),
            words({"'256.1.1.1'", "not a valid IPv4 address"}));
        row("host bad IPv6", words({"connect", "::g", "80"}),
            words({"'::g'", "not a valid IPv6 address"}));
        row("host IPv6 half bracketed", words({"connect", "[::1", "80"}),
            words({"'[::1'", "unbalanced brackets"}));
        row("host IPv4 in brackets", words({"connect", "[127.0.0.1]", "80"}),
            words({"'[127.0.0.1]'", "not an IPv6 address"}));
        row("host control character", words({"connect", "a\x1b[31mb", "80"}),
            words({"a\\x1b[31mb"}));
        // Port
        row("port 0", words({"connect", "127.0.0.1", "0"}),
            words({"PORT", "0 is out of range", "from 1 to 65535"}));
        row("port negative", words({"connect", "--", "127.0.0.1", "-1"}),
            words({"PORT", "-1 is out of range", "65535"}));
        row("port above 65535", words({"connect", "127.0.0.1", "65536"}),
            words({"65536 is out of range", "65535"}));
        row("port text", words({"connect", "127.0.0.1", "http"}),
            words({"'http' is not a whole number", "65535"}));
        row("port fraction", words({"connect", "127.0.0.1", "80.5"}),
            words({"'80.5' is not a whole number"}));
        row("port empty", words({"connect", "127.0.0.1", ""}), words({"'' is not a whole number"}));
        row("listen port negative", words({"listen", "--port", "-1"}),
            words({"--port", "-1", "from 0 to 65535"}));
        row("listen port above 65535", words({"listen", "--port", "65536"}),
            words({"--port", "65536", "from 0 to 65535"}));
        row("serve port text", words({"serve", "--port", "x", "--behavior", "echo"}),
            words({"--port", "'x'"}));
        // Timeouts
        const QStringList allowed = words({"from 0 to 86400", "'none'"});
        row("timeout negative", words({"connect", "--peer", "echo", "--timeout", "-1"}),
            words({"--timeout", "-1 is out of range"}) + allowed);
        row("timeout NaN", words({"connect", "--peer", "echo", "--timeout", "nan"}),
            words({"--timeout", "'nan' is not a number"}) + allowed);
        row("timeout infinity", words({"connect", "--peer", "echo", "--timeout", "inf"}),
            words({"'inf' is not a number"}) + allowed);
        row("connect timeout -infinity",
            words({"connect", "--peer", "echo", "--connect-timeout", "-inf"}),
            words({"--connect-timeout", "'-inf'"}) + allowed);
        row("recv timeout NaN", words({"connect", "--peer", "echo", "--recv-timeout", "NaN"}),
            words({"--recv-timeout", "'NaN'"}));
        row("send timeout infinity",
            words({"connect", "--peer", "echo", "--send-timeout", "Infinity"}),
            words({"--send-timeout", "'Infinity'"}));
        row("timeout huge", words({"connect", "--peer", "echo", "--timeout", "1e300"}),
            words({"1e300 is out of range"}) + allowed);
        row("timeout over a day", words({"connect", "--peer", "echo", "--timeout", "86400.001"}),
            words({"86400.001 is out of range"}));
        row("timeout under a millisecond",
            words({"connect", "--peer", "echo", "--timeout", "0.0005"}),
            words({"0.0005 is finer than a millisecond"}));
        row("timeout text", words({"connect", "--peer", "echo", "--timeout", "soon"}),
            words({"'soon' is not a number"}));
        row("timeout empty", words({"connect", "--peer", "echo", "--timeout", ""}),
            words({"'' is not a number"}));
        row("accept timeout huge", words({"listen", "--port", "0", "--accept-timeout", "1e8"}),
            words({"--accept-timeout", "1e8 is out of range"}));
        row("hold negative", words({"connect", "--peer", "echo", "--hold", "-1"}),
            words({"--hold", "-1 is out of range"}));
        row("recv-for forever", words({"connect", "--peer", "echo", "--recv-for", "none"}),
            words({"--recv-for", "'none' is not allowed", "86400"}));
        row("recv-for NaN", words({"connect", "--peer", "echo", "--recv-for", "nan"}),
            words({"--recv-for", "'nan'"}));
        row("mechanism unknown",
            words({"connect", "--peer", "echo", "--timeout-mechanism", "select"}),
            words({"'select'", "poll or sockopt"}));
        // Keepalive and the other options
        row("keepidle 0", words({"connect", "--peer", "echo", "--keepidle", "0"}),
            words({"--keepidle", "0 is out of range", "TCP_KEEPIDLE", "from 1 to 32767 s"}));
        row("keepidle above the kernel's",
            words({"connect", "--peer", "echo", "--keepidle", "32768"}),
            words({"32768 is out of range", "from 1 to 32767 s"}));
        row("keepidle fraction", words({"connect", "--peer", "echo", "--keepidle", "1.5"}),
            words({"'1.5' is not a whole number", "32767"}));
        row("keepidle huge",
            words({"connect", "--peer", "echo", "--keepidle", "99999999999999999999"}),
            words({"'99999999999999999999' is not a whole number"}));
        row("keepidle NaN", words({"connect", "--peer", "echo", "--keepidle", "nan"}),
            words({"'nan' is not a whole number"}));
        row("keepintvl negative", words({"connect", "--peer", "echo", "--keepintvl", "-5"}),
            words({"--keepintvl", "-5 is out of range", "TCP_KEEPINTVL"}));
        row("keepintvl above", words({"connect", "--peer", "echo", "--keepintvl", "32768"}),
            words({"TCP_KEEPINTVL", "32767"}));
        row("keepcnt 0", words({"connect", "--peer", "echo", "--keepcnt", "0"}),
            words({"--keepcnt", "TCP_KEEPCNT", "from 1 to 127 probes"}));
        row("keepcnt 128", words({"connect", "--peer", "echo", "--keepcnt", "128"}),
            words({"128 is out of range", "127"}));
        row("user timeout negative", words({"connect", "--peer", "echo", "--user-timeout", "-1"}),
            words({"TCP_USER_TIMEOUT", "from 0 to 2147483647 ms"}));
        row("user timeout above int",
            words({"connect", "--peer", "echo", "--user-timeout", "2147483648"}),
            words({"2147483648 is out of range"}));
        row("syncnt 0", words({"connect", "--peer", "echo", "--syncnt", "0"}),
            words({"--syncnt", "0 is out of range", "TCP_SYNCNT", "from 1 to 127"}));
        row("syncnt 128", words({"connect", "--peer", "echo", "--syncnt", "128"}),
            words({"128 is out of range"}));
        row("deadline 0", words({"connect", "--peer", "echo", "--deadline", "0"}),
            words({"--deadline", "0 is out of range", "from 0.001 to 86400"}));
        row("deadline none", words({"connect", "--peer", "echo", "--deadline", "none"}),
            words({"--deadline", "'none' is not a number"}));
        row("deadline finer than a ms",
            words({"connect", "--peer", "echo", "--deadline", "1.0005"}),
            words({"1.0005 is finer than a millisecond"}));
        row("linger negative", words({"connect", "--peer", "echo", "--linger", "-1"}),
            words({"SO_LINGER", "from 0 to 65535 s"}));
        row("rcvbuf 0", words({"connect", "--peer", "echo", "--rcvbuf", "0"}),
            words({"SO_RCVBUF", "from 1 to 1073741823 bytes"}));
        row("sndbuf above", words({"connect", "--peer", "echo", "--sndbuf", "1073741824"}),
            words({"SO_SNDBUF", "1073741824 is out of range"}));
        row("recv 0 bytes", words({"connect", "--peer", "echo", "--recv", "0"}),
            words({"--recv", "from 1 to 1048576 bytes"}));
        row("recv over 1 MiB", words({"connect", "--peer", "echo", "--recv", "1048577"}),
            words({"1048577 is out of range"}));
        row("backlog 0", words({"listen", "--port", "0", "--backlog", "0"}),
            words({"--backlog", "from 1 to 65535"}));
        row("count 0", words({"listen", "--port", "0", "--count", "0"}),
            words({"--count", "from 1 to 1000000"}));
        row("peer interval above an hour",
            words({"connect", "--peer", "drip", "--peer-interval", "3600001"}),
            words({"--peer-interval", "from 0 to 3600000 ms"}));
        row("serve interval text",
            words({"serve", "--port", "0", "--behavior", "drip", "--interval", "x"}),
            words({"--interval", "'x'"}));
        row("peer unknown", words({"connect", "--peer", "ghost"}),
            words({"'ghost'", "echo|silent|drip|blackhole|never-accept|reset|close|flood"}));
        row("serve behaviour unknown", words({"serve", "--port", "0", "--behavior", "ghost"}),
            words({"'ghost'", "flood"}));
        row("serve bind not an address",
            words({"serve", "--port", "0", "--behavior", "echo", "--bind", "localhost"}),
            words({"--bind", "'localhost' is not an IPv4 or IPv6 address"}));
        row("listen bind bad name", words({"listen", "--port", "0", "--bind", "bad_name"}),
            words({"--bind", "'bad_name'"}));
        row("target and peer", words({"connect", "127.0.0.1", "80", "--peer", "echo"}),
            words({"HOST PORT or --peer, not both"}));
        row("recv and recv-for",
            words({"connect", "--peer", "echo", "--recv", "1", "--recv-for", "1"}),
            words({"--recv and --recv-for exclude each other"}));
        // Payloads
        row("send-hex not hex", words({"connect", "--peer", "echo", "--send-hex", "zz"}),
            words({"--send-hex", "'zz' is not hex"}));
        row("send-hex odd digits", words({"connect", "--peer", "echo", "--send-hex", "abc"}),
            words({"'abc' is not hex", "two hex digits per byte"}));
        row("send over 64 KiB",
            QStringList{QStringLiteral("connect"), QStringLiteral("--peer"), QStringLiteral("echo"),
                        QStringLiteral("--send"), QString(65537, QLatin1Char('x'))},
            words({"--send", "65537 bytes is too large", "at most 65536 bytes"}));
        row("send and send-hex",
            words({"connect", "--peer", "echo", "--send", "a", "--send-hex", "00"}),
            words({"--send and --send-hex exclude each other"}));
    }
    void cliRefuses()
    {
        QFETCH(QStringList, args);
        QFETCH(QStringList, mentions);
        const CliRun r = runCli(args);
        QCOMPARE(r.code, 2);
        QVERIFY2(r.out.isEmpty(), r.out.constData()); // no event: nothing ran
        const QString err = QString::fromUtf8(r.err);
        QVERIFY(err.startsWith(QStringLiteral("socklab-cli: ")));
        QVERIFY2(!err.contains(QLatin1Char('\x1b')), qPrintable(err)); // nothing for the terminal
        for (const QString &m : mentions)
            QVERIFY2(err.contains(m), qPrintable(QStringLiteral("'%1' not in: %2").arg(m, err)));
    }

    // Bytes that are not UTF-8 cannot be sent as text: they would arrive as U+FFFD (EF BF BD).
    // The shell gives the CLI the raw bytes, as a terminal would.
    void cliRefusesNonUtf8Text()
    {
        QProcess p;
        p.start(
            QStringLiteral("/bin/sh"),
            {QStringLiteral("-c"),
             QStringLiteral("exec \"$0\" connect --peer echo --send \"$(printf 'ab\\377\\376')\""),
             QStringLiteral(SOCKLAB_CLI_PATH)});
        QVERIFY(p.waitForFinished(10000));
        QCOMPARE(p.exitCode(), 2);
        QVERIFY(p.readAllStandardOutput().isEmpty());
        const QString err = QString::fromUtf8(p.readAllStandardError());
        QVERIFY2(err.contains(QStringLiteral("--send: the text is not valid UTF-8 (byte 2")),
                 qPrintable(err));
        QVERIFY(err.contains(QStringLiteral("--send-hex")));
    }

    // A name that does not resolve is a bad HOST found at run time: exit 2, the resolver's
    // reason on stderr, and nothing connected.
    void cliRefusesAnUnresolvableName()
    {
        const CliRun r = runCli(words({"connect", "nothing-here.invalid", "80", "--json"}));
        QCOMPARE(r.code, 2);
        QVERIFY2(r.err.startsWith("socklab-cli: Cannot resolve 'nothing-here.invalid'"),
                 r.err.constData());
        const auto events = ndjsonEvents(r.out);
        QCOMPARE(firstEvent(events, QStringLiteral("error")).value(QStringLiteral("op")).toString(),
                 QStringLiteral("resolve"));
        QVERIFY(firstEvent(events, QStringLiteral("connecting")).isEmpty());
    }

    // What is accepted reaches the engine as given.
    void cliAccepts()
    {
        // An IPv6 literal with or without brackets (a closed port: only the address matters).
        for (const char *host : {"::1", "[::1]"}) {
            const CliRun r = runCli(words({"connect", host, "9", "--json"}));
            QVERIFY2(r.code == 0, r.err.constData());
            QCOMPARE(firstEvent(ndjsonEvents(r.out), QStringLiteral("resolved"))
                         .value(QStringLiteral("detail"))
                         .toString(),
                     QStringLiteral("[::1]:9"));
        }
        // Binary through --send-hex, shown escaped.
        CliRun r = runCli(words(
            {"connect", "--peer", "echo", "--send-hex", "00FF0d0a", "--recv", "10", "--json"}));
        QCOMPARE(r.code, 0);
        QJsonObject got =
            firstEvent(ndjsonEvents(r.out), QStringLiteral("received"), QStringLiteral("c1"));
        QCOMPARE(got.value(QStringLiteral("bytes")).toInt(), 4);
        QCOMPARE(got.value(QStringLiteral("data")).toString(), QStringLiteral("\\x00\\xff\\r\\n"));
        // UTF-8 text is sent as its bytes.
        r = runCli(
            words({"connect", "--peer", "echo", "--send", "h\u00e9", "--recv", "10", "--json"}));
        got = firstEvent(ndjsonEvents(r.out), QStringLiteral("received"), QStringLiteral("c1"));
        QCOMPARE(got.value(QStringLiteral("data")).toString(), QStringLiteral("h\\xc3\\xa9"));
        // The largest payload.
        r = runCli({QStringLiteral("connect"), QStringLiteral("--peer"), QStringLiteral("echo"),
                    QStringLiteral("--send"), QString(65536, QLatin1Char('x')),
                    QStringLiteral("--json")});
        QCOMPARE(r.code, 0);
        const QJsonObject sent =
            firstEvent(ndjsonEvents(r.out), QStringLiteral("sent"), QStringLiteral("c1"));
        QCOMPARE(sent.value(QStringLiteral("bytes")).toInt(), 65536);
        QCOMPARE(sent.value(QStringLiteral("data")).toString(), QString(64, u'x') + "...");
    }

    void profileRefuses_data()
    {
        QTest::addColumn<QByteArray>("json");
        QTest::addColumn<QStringList>("mentions");
        const auto row = [](const char *name, const QByteArray &json, const QStringList &m) {
            QTest::newRow(name) << json << m;
        };
        // The document
        row("malformed", "{\"role\": ", words({"Not valid JSON at byte"}));
        row("not an object", "[1, 2]", words({"A profile is a JSON object"}));
        row("NaN literal", "{\"port\": NaN}", words({"Not valid JSON"}));
        row("huge file", QByteArray(kProfileMaxBytes + 1, ' '),
            words({"1048577 bytes", "at most 1048576 bytes"}));
        row("unknown key", "{\"colour\": 1}",
            words({"profile: unknown key 'colour'", "known keys"}));
        row("unknown nested key", options("\"timeouts\": {\"read\": 1}"),
            words({"options.timeouts: unknown key 'read'"}));
        row("newer version", "{\"socklab_profile\": 2}",
            words({"socklab_profile: 2 is out of range"}));
        // Wrong types
        row("port as text", "{\"port\": \"80\"}", words({"port: expected a whole number"}));
        row("host as number", "{\"host\": 5}", words({"host: expected a string"}));
        row("options as array", "{\"options\": []}", words({"options: expected an object"}));
        row("bool as text", options("\"keepalive\": \"yes\""),
            words({"options.keepalive: expected true or false"}));
        row("timeout as bool", options("\"timeout\": true"),
            words({"options.timeout: expected seconds (a number) or \"none\""}));
        row("timeout null", options("\"timeouts\": {\"recv\": null}"),
            words({"options.timeouts.recv: expected seconds"}));
        row("send as number", "{\"send\": 5}", words({"send: expected a string"}));
        // Host
        row("host empty", "{\"host\": \"\"}", words({"host: Enter a host name"}));
        row("host with a space", "{\"host\": \"exa mple\"}", words({"host:", "spaces"}));
        row("host invalid label", "{\"host\": \"bad_name\"}", words({"host: 'bad_name'"}));
        row("host bad IPv4", "{\"host\": \"256.1.1.1\"}", words({"not a valid IPv4 address"}));
        row("host half bracketed", "{\"host\": \"[::1\"}", words({"unbalanced brackets"}));
        // Port
        row("port negative", "{\"port\": -1}",
            words({"port: -1 is out of range", "from 0 to 65535"}));
        row("port above 65535", "{\"port\": 65536}", words({"port: 65536 is out of range"}));
        row("port fraction", "{\"port\": 80.5}", words({"port: expected a whole number"}));
        // Timeouts
        row("timeout negative", options("\"timeouts\": {\"recv\": -1}"),
            words({"options.timeouts.recv: -1 is out of range", "86400"}));
        row("timeout NaN text", options("\"timeouts\": {\"connect\": \"nan\"}"),
            words({"options.timeouts.connect: 'nan' is not a number"}));
        row("timeout infinity text", options("\"timeout\": \"inf\""),
            words({"options.timeout: 'inf' is not a number"}));
        row("timeout huge", options("\"timeout\": 1e300"),
            words({"options.timeout:", "e+300 is out of range"}));
        row("timeout overflowing", options("\"timeout\": 1e400"),
            words({"Not valid JSON", "illegal number"}));
        row("timeout over a day", options("\"timeouts\": {\"accept\": 86400.001}"),
            words({"86400.001 is out of range"}));
        row("timeout under a millisecond", options("\"timeout\": 0.0005"),
            words({"0.0005 is finer than a millisecond"}));
        row("timeout text", options("\"timeout\": \"soon\""), words({"'soon' is not a number"}));
        row("mechanism unknown", options("\"mechanism\": \"select\""),
            words({"options.mechanism: 'select'", "poll or sockopt"}));
        // Keepalive and the other options
        row("keepidle 0", options("\"keepidle\": 0"),
            words({"options.keepidle: 0 is out of range", "TCP_KEEPIDLE", "from 1 to 32767 s"}));
        row("keepidle above", options("\"keepidle\": 32768"), words({"32768 is out of range"}));
        row("keepidle as text", options("\"keepidle\": \"60\""),
            words({"options.keepidle: expected a whole number from 1 to 32767 s"}));
        row("keepidle fraction", options("\"keepidle\": 1.5"),
            words({"options.keepidle: expected a whole number"}));
        row("keepidle huge", options("\"keepidle\": 1e300"),
            words({"options.keepidle:", "e+300 is out of range"}));
        row("keepintvl negative", options("\"keepintvl\": -5"), words({"TCP_KEEPINTVL"}));
        row("keepcnt 128", options("\"keepcnt\": 128"),
            words({"options.keepcnt: 128 is out of range", "from 1 to 127 probes"}));
        row("user timeout above int", options("\"user_timeout_ms\": 2147483648"),
            words({"TCP_USER_TIMEOUT", "2147483647"}));
        row("syncnt 0", options("\"syncnt\": 0"),
            words({"options.syncnt: 0 is out of range", "TCP_SYNCNT"}));
        row("deadline 0", options("\"deadline\": 0"),
            words({"options.deadline: 0 is out of range", "from 0.001 to 86400"}));
        row("deadline as text", options("\"deadline\": \"3\""),
            words({"options.deadline: expected seconds"}));
        row("linger negative", options("\"linger\": -1"), words({"SO_LINGER"}));
        row("rcvbuf 0", options("\"rcvbuf\": 0"), words({"SO_RCVBUF"}));
        row("sndbuf above", options("\"sndbuf\": 1073741824"), words({"SO_SNDBUF"}));
        row("recv bytes 0", "{\"recv_bytes\": 0}", words({"recv_bytes: 0 is out of range"}));
        row("role unknown", "{\"role\": \"admin\"}", words({"role: 'admin'"}));
        row("behaviour unknown", "{\"peer\": {\"behavior\": \"ghost\"}}",
            words({"peer.behavior: 'ghost'", "flood"}));
        row("interval negative", "{\"peer\": {\"interval_ms\": -1}}",
            words({"peer.interval_ms: -1 is out of range"}));
        // Payload: it must fit the window's Send field (CR and LF shown as \r, \n).
        row("send too long", "{\"send\": \"" + QByteArray(32768, 'x') + "\"}",
            words({"send: 32768 characters", "at most 32767"}));
        row("send too long once escaped",
            "{\"send\": \"" + QByteArray(16384 * 2, '\\').replace("\\\\", "\\n") + "\"}",
            words({"send: 32768 characters (CR and LF count as two)"}));
    }
    void profileRefuses()
    {
        QFETCH(QByteArray, json);
        QFETCH(QStringList, mentions);
        QString err;
        QVERIFY(!Profile::fromJson(json, &err)); // nothing is returned, so nothing is applied
        for (const QString &m : mentions)
            QVERIFY2(err.contains(m), qPrintable(QStringLiteral("'%1' not in: %2").arg(m, err)));
    }

    void profileAccepts()
    {
        QString err;
        // Missing keys keep their defaults.
        auto p = Profile::fromJson("{}", &err);
        QVERIFY2(p, qPrintable(err));
        QCOMPARE(p->host, QStringLiteral("127.0.0.1"));
        // IPv6 with and without brackets; a name that may not resolve (that is found at run
        // time); the longest payload; binary as escapes in JSON text.
        for (const char *host : {"::1", "[::1]", "nothing-here.invalid"}) {
            p = Profile::fromJson(QByteArray("{\"host\": \"") + host + "\"}", &err);
            QVERIFY2(p, qPrintable(err));
            QCOMPARE(p->host, QString::fromLatin1(host));
        }
        p = Profile::fromJson("{\"send\": \"" + QByteArray(32767, 'x') + "\"}", &err);
        QVERIFY2(p, qPrintable(err));
        QCOMPARE(p->send.size(), 32767);
        p = Profile::fromJson("{\"send\": \"\\u0000\\u00ff\\r\\n\"}", &err);
        QVERIFY2(p, qPrintable(err));
        QCOMPARE(p->send, QString::fromUtf16(u"\u0000\u00ff\r\n", 4));
    }
};

QTEST_GUILESS_MAIN(TestInputs)
#include "tst_inputs.moc"
