// Option parsing and validation at every bound of the kernel's ranges.
#include "Options.h"
#include "Platform.h"
#include "Profile.h"

#include <QSet>
#include <QTest>

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

using namespace socklab;

class TestOptions : public QObject
{
    Q_OBJECT
  private slots:
    void timeoutParse_data()
    {
        QTest::addColumn<QString>("text");
        QTest::addColumn<bool>("valid");
        QTest::addColumn<int>("mode");
        QTest::addColumn<qint64>("ms");
        const int blocking = int(Timeout::Mode::Forever);
        const int nb = int(Timeout::Mode::NonBlocking);
        const int dl = int(Timeout::Mode::Deadline);
        QTest::newRow("none blocks forever") << "none" << true << blocking << qint64(0);
        QTest::newRow("NONE any case") << "NONE" << true << blocking << qint64(0);
        QTest::newRow("zero is non-blocking") << "0" << true << nb << qint64(0);
        QTest::newRow("one millisecond") << "0.001" << true << dl << qint64(1);
        QTest::newRow("fractional seconds") << "1.5" << true << dl << qint64(1500);
        QTest::newRow("upper bound one day") << "86400" << true << dl << qint64(86400000);
        QTest::newRow("above one day") << "86400.001" << false << 0 << qint64(0);
        QTest::newRow("negative") << "-1" << false << 0 << qint64(0);
        QTest::newRow("below a millisecond") << "0.0005" << false << 0 << qint64(0);
        QTest::newRow("nan") << "nan" << false << 0 << qint64(0);
        QTest::newRow("infinity") << "inf" << false << 0 << qint64(0);
        QTest::newRow("text") << "soon" << false << 0 << qint64(0);
        QTest::newRow("empty") << "" << false << 0 << qint64(0);
        QTest::newRow("huge") << "1e300" << false << 0 << qint64(0);
    }
    void timeoutParse()
    {
        QFETCH(QString, text);
        QFETCH(bool, valid);
        QFETCH(int, mode);
        QFETCH(qint64, ms);
        QString err;
        const auto t = Timeout::parse(text, QStringLiteral("--timeout"), &err);
        QCOMPARE(t.has_value(), valid);
        if (valid) {
            QVERIFY(err.isEmpty());
            QCOMPARE(int(t->mode), mode);
            QCOMPARE(t->ms, ms);
        } else {
            // The message names the option, the value and the allowed range.
            QVERIFY2(err.contains(QStringLiteral("--timeout")), qPrintable(err));
            QVERIFY2(err.contains(QStringLiteral("'") + text + QStringLiteral("'")) ||
                         err.contains(text),
                     qPrintable(err));
            QVERIFY2(err.contains(QStringLiteral("86400")), qPrintable(err));
        }
    }

    void integerBounds_data()
    {
        QTest::addColumn<int>("which");
        QTest::addColumn<qint64>("value");
        QTest::addColumn<bool>("valid");
        const IntRange *rs[] = {&ranges::KeepIdle,    &ranges::KeepIntvl, &ranges::KeepCnt,
                                &ranges::UserTimeout, &ranges::Linger,    &ranges::RcvBuf,
                                &ranges::SndBuf,      &ranges::Port};
        for (int i = 0; i < int(std::size(rs)); ++i) {
            const IntRange &r = *rs[i];
            const QByteArray n = r.option;
            QTest::newRow(n + " below min") << i << r.min - 1 << false;
            QTest::newRow(n + " at min") << i << r.min << true;
            QTest::newRow(n + " at max") << i << r.max << true;
            QTest::newRow(n + " above max") << i << r.max + 1 << false;
        }
    }
    void integerBounds()
    {
        QFETCH(int, which);
        QFETCH(qint64, value);
        QFETCH(bool, valid);
        const IntRange *rs[] = {&ranges::KeepIdle,    &ranges::KeepIntvl, &ranges::KeepCnt,
                                &ranges::UserTimeout, &ranges::Linger,    &ranges::RcvBuf,
                                &ranges::SndBuf,      &ranges::Port};
        const IntRange &r = *rs[which];
        QString err;
        const auto v = parseInteger(QString::number(value), QStringLiteral("--x"), r, &err);
        QCOMPARE(v.has_value(), valid);
        if (valid) {
            QCOMPARE(*v, value);
        } else {
            QVERIFY2(err.contains(QString::number(value)), qPrintable(err));
            QVERIFY2(err.contains(QString::number(r.min)) && err.contains(QString::number(r.max)),
                     qPrintable(err));
        }
    }

    void integerRejectsText()
    {
        QString err;
        QVERIFY(!parseInteger(QStringLiteral("12abc"), QStringLiteral("--keepcnt"), ranges::KeepCnt,
                              &err));
        QVERIFY2(err.contains(QStringLiteral("--keepcnt")) && err.contains(QStringLiteral("127")),
                 qPrintable(err));
    }

    void validateChecksEveryField()
    {
        SocketOptions ok;
        ok.keepIdle = 1;
        ok.keepIntvl = 32767;
        ok.keepCnt = 127;
        ok.userTimeoutMs = 0;
        ok.lingerSec = 0;
        QVERIFY2(ok.validate().isEmpty(), qPrintable(ok.validate()));

        SocketOptions bad = ok;
        bad.keepCnt = 128;
        QVERIFY(bad.validate().contains(QStringLiteral("TCP_KEEPCNT")));
        bad = ok;
        bad.keepIdle = 0;
        QVERIFY(bad.validate().contains(QStringLiteral("TCP_KEEPIDLE")));
        bad = ok;
        bad.rcvBuf = -5;
        QVERIFY(bad.validate().contains(QStringLiteral("SO_RCVBUF")));
        bad = ok;
        bad.recvTimeout = Timeout{Timeout::Mode::Deadline, -3};
        QVERIFY(bad.validate().contains(QStringLiteral("recv timeout")));
    }

    // The option table is the one description of each option: every row is complete, names
    // are unique, each settable option has its field, and the platform sets and reads back
    // every one of them on a real socket (so its level and number are right).
    void optionTableIsComplete()
    {
        QSet<QString> names, keys, flags;
        for (const OptionDef &d : kOptionTable) {
            const QString name = QLatin1String(d.name);
            QVERIFY2(!names.contains(name), d.name);
            names << name;
            QCOMPARE(QLatin1String(d.range.option), name);
            QCOMPARE(platform::optionName(d.id), name);
            QCOMPARE(&optionDef(d.id), &d);
            QVERIFY2(d.note && *d.note, d.name);
            if (d.kind == OptionKind::Timeval) {
                QVERIFY(!d.jsonKey && !d.cliFlag && !d.flag && !d.number);
                continue;
            }
            QVERIFY2(d.jsonKey && d.cliFlag && d.help, d.name);
            QVERIFY2(!keys.contains(QLatin1String(d.jsonKey)), d.jsonKey);
            QVERIFY2(!flags.contains(QLatin1String(d.cliFlag)), d.cliFlag);
            keys << QLatin1String(d.jsonKey);
            flags << QLatin1String(d.cliFlag);
            // A switch is a flag field; a value has a number field and a value name.
            QCOMPARE(d.kind == OptionKind::Flag, d.flag != nullptr);
            QCOMPARE(d.kind != OptionKind::Flag, d.number != nullptr && d.cliValue != nullptr);
            QVERIFY(d.range.min <= d.range.max);
            // The help is the table's sentence with the range in brackets before its full stop.
            QString sentence = QLatin1String(d.help);
            if (sentence.endsWith(QLatin1Char('.')))
                sentence.chop(1);
            QVERIFY2(optionHelp(d).startsWith(sentence), qPrintable(optionHelp(d)));
            QVERIFY2(!optionHelp(d).contains(QLatin1String(". (")), qPrintable(optionHelp(d)));

            const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
            QVERIFY(fd >= 0);
            const qint64 value = d.kind == OptionKind::Flag ? 1 : d.range.min + 1;
            QCOMPARE(platform::setOption(fd, d.id, value), 0);
            qint64 back = -1;
            QCOMPARE(platform::getOption(fd, d.id, &back), 0);
            ::close(fd);
            if (d.id != OptionId::RcvBuf && d.id != OptionId::SndBuf) // the kernel doubles those
                QCOMPARE(back, value);
        }
        QCOMPARE(names.size(), int(std::size(kOptionTable)));
    }

    // A profile carries every option of the table under its key, and reads it back.
    void everyOptionRoundTripsThroughAProfile()
    {
        Profile p;
        for (const OptionDef &d : kOptionTable) {
            if (d.flag)
                p.options.*d.flag = true;
            else if (d.number)
                p.options.*d.number = int(d.range.max);
        }
        const QJsonObject o = p.toJson().value(QStringLiteral("options")).toObject();
        QString err;
        const auto back = Profile::fromJson(p.toJsonBytes(), &err);
        QVERIFY2(back, qPrintable(err));
        for (const OptionDef &d : kOptionTable) {
            if (!d.jsonKey)
                continue;
            QVERIFY2(o.contains(QLatin1String(d.jsonKey)), d.jsonKey);
            QCOMPARE(optionValue(d, back->options), optionValue(d, p.options));
        }
    }

    void mechanismNames()
    {
        QCOMPARE(mechanismFromName(QStringLiteral("poll")), TimeoutMechanism::Poll);
        QCOMPARE(mechanismFromName(QStringLiteral("sockopt")), TimeoutMechanism::SockOpt);
        QVERIFY(!mechanismFromName(QStringLiteral("select")));
    }

    // Found by fuzzing (tests/fuzz): messages quoted the value as typed, so a value holding
    // an escape sequence reached the terminal (or a message box) as one.
    void messagesEscapeControlCharacters()
    {
        QString err;
        QVERIFY(!Timeout::parse(QStringLiteral("1\x1b[2J"), QStringLiteral("--timeout"), &err));
        QVERIFY2(!err.contains(QChar(0x1b)) && err.contains(QStringLiteral("'1\\x1b[2J'")),
                 qPrintable(err));
        QVERIFY(!parseInteger(QStringLiteral("\a5"), QStringLiteral("--keepcnt"), ranges::KeepCnt,
                              &err));
        QVERIFY2(!err.contains(QLatin1Char('\a')) && err.contains(QStringLiteral("'\\x075'")),
                 qPrintable(err));
        QCOMPARE(visible(QStringLiteral("a\tb\n\x7f\u202e\u00e9\U0001F600")),
                 QStringLiteral("a\\tb\\n\\x7f\\u202e\u00e9\U0001F600"));
        QCOMPARE(visible(QString(QChar(0xd800))), QStringLiteral("\\ud800"));
        QCOMPARE(visible(QStringLiteral("plain: [::1]:80")), QStringLiteral("plain: [::1]:80"));
    }
};

QTEST_GUILESS_MAIN(TestOptions)
#include "tst_options.moc"
