// The option panels: the timeout editor's log slider, round trips through SocketOptions,
// the kernel's ranges in the spin boxes, the dead-peer estimate and the read-back labels.

#include "KernelFacts.h"
#include "Platform.h"
#include "options/KeepalivePanel.h"
#include "options/MorePanel.h"
#include "options/ReusePanel.h"
#include "options/TimeoutEditor.h"
#include "options/TimeoutPanel.h"
#include "window/ElidedLabel.h"
#include "window/RunProgramDialog.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDialogButtonBox>
#include <QDoubleSpinBox>
#include <QLabel>
#include <QLocale>
#include <QPushButton>
#include <QSignalSpy>
#include <QSlider>
#include <QSpinBox>
#include <QStandardPaths>
#include <QTest>

#include <cmath>
#include <limits>

using namespace socklab;

class TestPanels : public QObject
{
    Q_OBJECT

  private slots:
    void initTestCase();
    void sliderSetsLogScaleValue();
    void sliderEndsAndSnapping();
    void spinMovesSlider();
    void spinKeepsOffGridValue();
    void topPositionIsForever();
    void noneCheckBlocksForever();
    void zeroIsNonBlocking();
    void setTimeoutDoesNotEmit();
    void timeoutPanelRoundTrip();
    void timeoutPanelAllCalls();
    void timeoutPanelDefaultsToTenSeconds();
    void timeoutPanelKernelLabel();
    void reuseRoundTrip();
    void reuseUncheckedWritesNullopt();
    void reuseEffective();
    void keepaliveRoundTrip();
    void keepaliveDefaultsWriteNullopt();
    void keepaliveBounds();
    void deadPeerText_data();
    void deadPeerText();
    void deadPeerOff();
    void keepaliveEffective();
    void moreRoundTrip();
    void moreBounds();
    void moreEffective();
    void editsEmitChanged();
    void theMechanismTipSaysHowLateEachMayEnd();
    void runProgramDialog();
    void elidedLabelGivesUpWidth();
};

void TestPanels::initTestCase()
{
    // Typed and shown numbers use '.' whatever the machine's language is.
    QLocale::setDefault(QLocale::c());
}

void TestPanels::sliderSetsLogScaleValue()
{
    TimeoutEditor ed;
    QSignalSpy spy(&ed, &TimeoutEditor::changed);
    ed.slider()->setValue(500);
    // round(10 * 12000^0.5) = 1095 ms, snapped to two significant digits.
    const double raw = std::round(10.0 * std::pow(12000.0, 0.5));
    QCOMPARE(raw, 1095.0);
    QCOMPARE(ed.timeout(), Timeout::fromMs(1100));
    QCOMPARE(ed.spin()->value(), 1.1);
    QCOMPARE(spy.count(), 1);

    ed.slider()->setValue(250);
    const double raw250 = std::round(10.0 * std::pow(12000.0, 0.25));
    QCOMPARE(ed.timeout().mode, Timeout::Mode::Deadline);
    QVERIFY(std::abs(double(ed.timeout().ms) - raw250) <= raw250 * 0.05);
    QCOMPARE(ed.spin()->value(), double(ed.timeout().ms) / 1000.0);
}

void TestPanels::sliderEndsAndSnapping()
{
    QCOMPARE(TimeoutEditor::msForPosition(0), qint64(10));
    QCOMPARE(TimeoutEditor::msForPosition(TimeoutEditor::kLogSteps), qint64(120000));
    // Monotonic, and every position maps back to itself or a neighbour with the same value.
    qint64 prev = 0;
    for (int p = 0; p <= TimeoutEditor::kLogSteps; ++p) {
        const qint64 ms = TimeoutEditor::msForPosition(p);
        QVERIFY2(ms >= prev, qPrintable(QString::number(p)));
        QCOMPARE(TimeoutEditor::msForPosition(TimeoutEditor::positionForMs(ms)), ms);
        prev = ms;
    }
}

void TestPanels::spinMovesSlider()
{
    TimeoutEditor ed;
    QSignalSpy spy(&ed, &TimeoutEditor::changed);
    ed.spin()->setFocus();
    ed.spin()->selectAll();
    QTest::keyClicks(ed.spin(), QStringLiteral("1.1"));
    QCOMPARE(ed.spin()->value(), 1.1);
    QCOMPARE(ed.slider()->value(), TimeoutEditor::positionForMs(1100));
    QCOMPARE(ed.slider()->value(), 500);
    QCOMPARE(ed.timeout(), Timeout::fromMs(1100));
    QVERIFY(spy.count() >= 1);

    ed.spin()->setValue(120.0);
    QCOMPARE(ed.slider()->value(), TimeoutEditor::kLogSteps);
    ed.spin()->setValue(0.01);
    QCOMPARE(ed.slider()->value(), 0);
}

void TestPanels::spinKeepsOffGridValue()
{
    TimeoutEditor ed;
    ed.spin()->setValue(1.234);
    // The slider moves to the nearest step, but the typed value stands.
    QCOMPARE(ed.timeout(), Timeout::fromMs(1234));
    QCOMPARE(ed.spin()->value(), 1.234);
    QCOMPARE(ed.slider()->value(), TimeoutEditor::positionForMs(1234));

    ed.setTimeout(Timeout::fromMs(7));
    QCOMPARE(ed.timeout(), Timeout::fromMs(7));
    ed.setTimeout(Timeout::fromMs(3600000));
    QCOMPARE(ed.timeout(), Timeout::fromMs(3600000));
    QCOMPARE(ed.slider()->value(), TimeoutEditor::kLogSteps);
}

void TestPanels::topPositionIsForever()
{
    TimeoutEditor ed;
    QCOMPARE(ed.slider()->maximum(), TimeoutEditor::kForeverPosition);
    ed.slider()->setValue(ed.slider()->maximum());
    QVERIFY(ed.timeout().isForever());
    QVERIFY(ed.noneCheck()->isChecked());
    QVERIFY(!ed.spin()->isEnabled());

    ed.slider()->setValue(500);
    QCOMPARE(ed.timeout(), Timeout::fromMs(1100));
    QVERIFY(!ed.noneCheck()->isChecked());
    QVERIFY(ed.spin()->isEnabled());
}

void TestPanels::noneCheckBlocksForever()
{
    TimeoutEditor ed;
    ed.setTimeout(Timeout::fromMs(2500));
    ed.noneCheck()->setChecked(true);
    QVERIFY(ed.timeout().isForever());
    QCOMPARE(ed.slider()->value(), TimeoutEditor::kForeverPosition);
    // Unticking brings back the value that was there.
    ed.noneCheck()->setChecked(false);
    QCOMPARE(ed.timeout(), Timeout::fromMs(2500));
    QCOMPARE(ed.slider()->value(), TimeoutEditor::positionForMs(2500));

    ed.setTimeout(Timeout::blockForever());
    QVERIFY(ed.noneCheck()->isChecked());
    QCOMPARE(ed.slider()->value(), TimeoutEditor::kForeverPosition);
}

void TestPanels::zeroIsNonBlocking()
{
    TimeoutEditor ed;
    ed.spin()->setValue(0.0);
    QCOMPARE(ed.timeout().mode, Timeout::Mode::NonBlocking);
    QCOMPARE(ed.timeout(), Timeout::fromMs(0));
    QVERIFY(ed.spin()->text().contains(QLatin1String("non-blocking")));
}

void TestPanels::setTimeoutDoesNotEmit()
{
    TimeoutEditor ed;
    QSignalSpy spy(&ed, &TimeoutEditor::changed);
    ed.setTimeout(Timeout::fromMs(3000));
    ed.setTimeout(Timeout::blockForever());
    QCOMPARE(spy.count(), 0);
}

void TestPanels::timeoutPanelRoundTrip()
{
    SocketOptions in;
    in.connectTimeout = Timeout::fromMs(1500);
    in.recvTimeout = Timeout::blockForever();
    in.sendTimeout = Timeout::fromMs(0);
    in.acceptTimeout = Timeout::fromMs(1234);
    in.mechanism = TimeoutMechanism::SockOpt;
    in.deadlineMs = 3250;
    in.synCnt = 2;

    TimeoutPanel p;
    p.readFrom(in);
    QVERIFY(p.perCall());
    QVERIFY(!p.findChild<QWidget *>(QStringLiteral("perCallBox"))->isHidden());
    QCOMPARE(p.findChild<QComboBox *>(QStringLiteral("mechanismCombo"))->currentIndex(), 1);
    SocketOptions out;
    p.writeTo(&out);
    QCOMPARE(out.connectTimeout, in.connectTimeout);
    QCOMPARE(out.recvTimeout, in.recvTimeout);
    QCOMPARE(out.sendTimeout, in.sendTimeout);
    QCOMPARE(out.acceptTimeout, in.acceptTimeout);
    QCOMPARE(out.mechanism, TimeoutMechanism::SockOpt);
    QCOMPARE(out.deadlineMs, std::optional<qint64>(3250));
    QCOMPARE(out.synCnt, std::optional<int>(2));

    // Their lowest values mean "not set": no deadline, the system's SYN budget, read from
    // this machine and shown as such.
    auto *deadline = p.findChild<QDoubleSpinBox *>(QStringLiteral("deadlineSpin"));
    auto *syn = p.findChild<QSpinBox *>(QStringLiteral("synCntSpin"));
    QVERIFY(deadline && syn);
    deadline->setValue(deadline->minimum());
    syn->setValue(syn->minimum());
    QCOMPARE(deadline->text(), QStringLiteral("off"));
    const QString retries =
        socklab::platform::readSysctl(QStringLiteral("net.ipv4.tcp_syn_retries")).text;
    if (!retries.isEmpty())
        QCOMPARE(syn->text(), QStringLiteral("system: %1 (net.ipv4.tcp_syn_retries)").arg(retries));
    p.writeTo(&out);
    QVERIFY(!out.deadlineMs);
    QVERIFY(!out.synCnt);
}

void TestPanels::timeoutPanelAllCalls()
{
    SocketOptions in;
    in.setAllTimeouts(Timeout::fromMs(250));
    TimeoutPanel p;
    p.readFrom(in);
    QVERIFY(!p.perCall());
    QVERIFY(p.findChild<QWidget *>(QStringLiteral("perCallBox"))->isHidden());
    p.allEditor()->slider()->setValue(TimeoutEditor::kForeverPosition);
    SocketOptions out;
    p.writeTo(&out);
    QVERIFY(out.connectTimeout.isForever() && out.recvTimeout.isForever() &&
            out.sendTimeout.isForever() && out.acceptTimeout.isForever());

    // Switching to per-call starts every call from the shared value; then one can differ.
    p.allEditor()->setTimeout(Timeout::fromMs(2000));
    p.setPerCall(true);
    QCOMPARE(p.recvEditor()->timeout(), Timeout::fromMs(2000));
    p.recvEditor()->spin()->setValue(30.0);
    p.writeTo(&out);
    QCOMPARE(out.connectTimeout, Timeout::fromMs(2000));
    QCOMPARE(out.recvTimeout, Timeout::fromMs(30000));
    QCOMPARE(out.sendTimeout, Timeout::fromMs(2000));
    QCOMPARE(out.acceptTimeout, Timeout::fromMs(2000));
}

void TestPanels::timeoutPanelDefaultsToTenSeconds()
{
    TimeoutPanel p;
    SocketOptions out;
    p.writeTo(&out);
    QCOMPARE(out.connectTimeout, Timeout::fromMs(10000));
    QCOMPARE(out.acceptTimeout, Timeout::fromMs(10000));
    QCOMPARE(out.mechanism, TimeoutMechanism::Poll);
}

void TestPanels::timeoutPanelKernelLabel()
{
    TimeoutPanel p;
    QVERIFY(p.kernelText().isEmpty());
    Event e;
    e.kind = EventKind::OptionSet;
    e.option = QStringLiteral("SO_RCVTIMEO");
    e.requested = 1.5;
    e.effective = 1.5;
    p.showEffective(e);
    QCOMPARE(p.kernelText(), QStringLiteral("kernel: 1.5 s (SO_RCVTIMEO)"));
    e.option = QStringLiteral("SO_SNDTIMEO");
    e.sock = QStringLiteral("c1");
    e.effective = QStringLiteral("none");
    p.showEffective(e);
    QVERIFY(p.kernelText().contains(QLatin1String("SO_RCVTIMEO")));
    QVERIFY2(p.kernelText().contains(QLatin1String("kernel: none (SO_SNDTIMEO on c1)")),
             qPrintable(p.kernelText()));
    p.clearEffective();
    QVERIFY(p.kernelText().isEmpty());
}

void TestPanels::reuseRoundTrip()
{
    SocketOptions in;
    in.reuseAddr = true;
    in.reusePort = true;
    ReusePanel p;
    p.readFrom(in);
    SocketOptions out;
    p.writeTo(&out);
    QCOMPARE(out.reuseAddr, std::optional<bool>(true));
    QCOMPARE(out.reusePort, std::optional<bool>(true));
}

void TestPanels::reuseUncheckedWritesNullopt()
{
    ReusePanel p;
    SocketOptions out;
    out.reuseAddr = false; // must be overwritten, not left alone
    out.reusePort = true;
    p.writeTo(&out);
    QVERIFY(!out.reuseAddr.has_value());
    QVERIFY(!out.reusePort.has_value());

    p.reuseAddrCheck()->setChecked(true);
    p.writeTo(&out);
    QCOMPARE(out.reuseAddr, std::optional<bool>(true));
    QVERIFY(!out.reusePort.has_value());
}

void TestPanels::reuseEffective()
{
    ReusePanel p;
    Event e;
    e.kind = EventKind::OptionSet;
    e.sock = QStringLiteral("L1");
    e.option = QStringLiteral("SO_REUSEADDR");
    e.effective = true;
    p.showEffective(e);
    QCOMPARE(p.effectiveText(QStringLiteral("SO_REUSEADDR")), QStringLiteral("kernel: on (L1)"));
    e.option = QStringLiteral("SO_REUSEPORT");
    e.effective = false;
    p.showEffective(e);
    QCOMPARE(p.effectiveText(QStringLiteral("SO_REUSEPORT")), QStringLiteral("kernel: off (L1)"));
}

void TestPanels::keepaliveRoundTrip()
{
    SocketOptions in;
    in.keepAlive = true;
    in.keepIdle = 60;
    in.keepIntvl = 10;
    in.keepCnt = 3;
    in.userTimeoutMs = 25000;
    KeepalivePanel p;
    p.readFrom(in);
    SocketOptions out;
    p.writeTo(&out);
    QCOMPARE(out.keepAlive, in.keepAlive);
    QCOMPARE(out.keepIdle, in.keepIdle);
    QCOMPARE(out.keepIntvl, in.keepIntvl);
    QCOMPARE(out.keepCnt, in.keepCnt);
    QCOMPARE(out.userTimeoutMs, in.userTimeoutMs);

    // And the extremes of the kernel's ranges survive too.
    in.keepIdle = int(ranges::KeepIdle.min);
    in.keepIntvl = int(ranges::KeepIntvl.max);
    in.keepCnt = int(ranges::KeepCnt.max);
    in.userTimeoutMs = int(ranges::UserTimeout.max);
    p.readFrom(in);
    p.writeTo(&out);
    QCOMPARE(out.keepIdle, in.keepIdle);
    QCOMPARE(out.keepIntvl, in.keepIntvl);
    QCOMPARE(out.keepCnt, in.keepCnt);
    QCOMPARE(out.userTimeoutMs, in.userTimeoutMs);
}

void TestPanels::keepaliveDefaultsWriteNullopt()
{
    KeepalivePanel p;
    p.setSystemDefaults({7200, 75, 9});
    SocketOptions out;
    out.keepIdle = 5;
    out.userTimeoutMs = 1;
    p.writeTo(&out);
    QVERIFY(!out.keepAlive && !out.keepIdle && !out.keepIntvl && !out.keepCnt &&
            !out.userTimeoutMs);
    QCOMPARE(p.keepIdleSpin()->text(), QStringLiteral("default (7200 s)"));
    QCOMPARE(p.keepCntSpin()->text(), QStringLiteral("default (9)"));
    QCOMPARE(p.userTimeoutSpin()->text(), QStringLiteral("off"));
}

void TestPanels::keepaliveBounds()
{
    KeepalivePanel p;
    p.keepIdleSpin()->setValue(40000);
    QCOMPARE(p.keepIdleSpin()->value(), 32767);
    QCOMPARE(p.keepIdleSpin()->maximum(), int(ranges::KeepIdle.max));
    QCOMPARE(p.keepIntvlSpin()->maximum(), int(ranges::KeepIntvl.max));
    p.keepCntSpin()->setValue(500);
    QCOMPARE(p.keepCntSpin()->value(), 127);
    QCOMPARE(p.keepCntSpin()->maximum(), int(ranges::KeepCnt.max));
    QCOMPARE(p.userTimeoutSpin()->maximum(), int(ranges::UserTimeout.max));
    // Below the kernel's minimum there is only "system default", which writes nothing.
    p.keepIdleSpin()->setValue(-5);
    QCOMPARE(p.keepIdleSpin()->value(), int(ranges::KeepIdle.min) - 1);
    SocketOptions out;
    p.writeTo(&out);
    QVERIFY(!out.keepIdle.has_value());
    QCOMPARE(out.keepCnt, std::optional<int>(127));
    QVERIFY(out.validate().isEmpty());
}

void TestPanels::deadPeerText_data()
{
    QTest::addColumn<int>("idle");
    QTest::addColumn<int>("intvl");
    QTest::addColumn<int>("cnt");
    QTest::addColumn<int>("userMs");
    QTest::addColumn<int>("seconds");
    QTest::newRow("1,1,2") << 1 << 1 << 2 << 0 << 3;
    QTest::newRow("60,10,3") << 60 << 10 << 3 << 0 << 90;
    QTest::newRow("user 25000 with 10,5,9") << 10 << 5 << 9 << 25000 << 25;
    QTest::newRow("user shorter than idle") << 10 << 5 << 9 << 2000 << 15;
    QTest::newRow("user not a multiple") << 10 << 5 << 9 << 26000 << 30;
}

void TestPanels::deadPeerText()
{
    QFETCH(int, idle);
    QFETCH(int, intvl);
    QFETCH(int, cnt);
    QFETCH(int, userMs);
    QFETCH(int, seconds);
    QCOMPARE(KeepalivePanel::deadPeerSeconds(idle, intvl, cnt, userMs), qint64(seconds));

    KeepalivePanel p;
    p.keepAliveCheck()->setChecked(true);
    p.keepIdleSpin()->setValue(idle);
    p.keepIntvlSpin()->setValue(intvl);
    p.keepCntSpin()->setValue(cnt);
    p.userTimeoutSpin()->setValue(userMs);
    const QString expected =
        QStringLiteral("On an idle connection a dead peer is detected after about %1 s")
            .arg(seconds);
    QVERIFY2(p.deadPeerText().startsWith(expected), qPrintable(p.deadPeerText()));
}

void TestPanels::deadPeerOff()
{
    KeepalivePanel p;
    p.setSystemDefaults({7200, 75, 9});
    QVERIFY(!p.keepAliveCheck()->isChecked());
    QVERIFY2(p.deadPeerText().startsWith(QLatin1String("Keepalive is off: a silent dead peer is "
                                                       "never detected on an idle connection")),
             qPrintable(p.deadPeerText()));
    QVERIFY2(p.deadPeerText().contains(QLatin1String("7875 s (2 h 11 min)")),
             qPrintable(p.deadPeerText()));

    // Switched on with the defaults in force, the estimate uses them.
    p.keepAliveCheck()->setChecked(true);
    QVERIFY2(p.deadPeerText().startsWith(
                 QLatin1String("On an idle connection a dead peer is detected after about "
                               "7875 s")),
             qPrintable(p.deadPeerText()));
    // A set value replaces only its own default.
    p.keepIdleSpin()->setValue(60);
    QVERIFY2(p.deadPeerText().startsWith(
                 QLatin1String("On an idle connection a dead peer is detected after about "
                               "735 s")),
             qPrintable(p.deadPeerText()));
}

void TestPanels::keepaliveEffective()
{
    KeepalivePanel p;
    Event e;
    e.kind = EventKind::SystemDefault;
    e.sock = QStringLiteral("c1");
    e.option = QStringLiteral("TCP_KEEPINTVL");
    e.effective = 75;
    p.showEffective(e);
    QCOMPARE(p.effectiveText(QStringLiteral("TCP_KEEPINTVL")),
             QStringLiteral("default in force: 75 s (c1)"));

    e.kind = EventKind::OptionSet;
    e.option = QStringLiteral("TCP_KEEPIDLE");
    e.requested = 60;
    e.effective = 60;
    p.showEffective(e);
    QCOMPARE(p.effectiveText(QStringLiteral("TCP_KEEPIDLE")), QStringLiteral("kernel: 60 s (c1)"));

    e.kind = EventKind::OptionInherited;
    e.sock = QStringLiteral("a1");
    e.option = QStringLiteral("SO_KEEPALIVE");
    e.effective = true;
    p.showEffective(e);
    QCOMPARE(p.effectiveText(QStringLiteral("SO_KEEPALIVE")), QStringLiteral("kernel: on (a1)"));

    e.option = QStringLiteral("TCP_USER_TIMEOUT");
    e.effective = 25000;
    p.showEffective(e);
    QCOMPARE(p.effectiveText(QStringLiteral("TCP_USER_TIMEOUT")),
             QStringLiteral("kernel: 25000 ms (a1)"));
    p.clearEffective();
    QVERIFY(p.effectiveText(QStringLiteral("TCP_KEEPIDLE")).isEmpty());
}

void TestPanels::moreRoundTrip()
{
    SocketOptions in;
    in.noDelay = true;
    in.lingerSec = 0;
    in.rcvBuf = 10000;
    in.sndBuf = 123456;
    MorePanel p;
    p.readFrom(in);
    QVERIFY(p.lingerSpin()->isEnabled());
    SocketOptions out;
    p.writeTo(&out);
    QCOMPARE(out.noDelay, in.noDelay);
    QCOMPARE(out.lingerSec, in.lingerSec);
    QCOMPARE(out.rcvBuf, in.rcvBuf);
    QCOMPARE(out.sndBuf, in.sndBuf);

    // Unset options come back unset, and the spins stop taking input.
    p.readFrom(SocketOptions{});
    QVERIFY(!p.lingerSpin()->isEnabled());
    p.writeTo(&out);
    QVERIFY(!out.noDelay && !out.lingerSec && !out.rcvBuf && !out.sndBuf);
}

void TestPanels::moreBounds()
{
    MorePanel p;
    p.lingerSpin()->setValue(70000);
    QCOMPARE(p.lingerSpin()->value(), int(ranges::Linger.max));
    p.rcvBufSpin()->setValue(0);
    QCOMPARE(p.rcvBufSpin()->value(), int(ranges::RcvBuf.min));
    p.sndBufSpin()->setValue(std::numeric_limits<int>::max());
    QCOMPARE(p.sndBufSpin()->value(), int(ranges::SndBuf.max));
}

void TestPanels::moreEffective()
{
    MorePanel p;
    auto *label = p.findChild<QLabel *>(QStringLiteral("rcvBufKernel"));
    QVERIFY(label->isHidden()); // no room taken before the kernel spoke
    Event e;
    e.kind = EventKind::OptionSet;
    e.option = QStringLiteral("SO_RCVBUF");
    e.requested = 10000;
    e.effective = 20000;
    p.showEffective(e);
    QVERIFY(!label->isHidden());
    QCOMPARE(p.effectiveText(QStringLiteral("SO_RCVBUF")), QStringLiteral("kernel: 20000"));
    QCOMPARE(label->text(), QStringLiteral("kernel: 20000"));

    e.option = QStringLiteral("SO_LINGER");
    e.effective = QStringLiteral("off");
    p.showEffective(e);
    QCOMPARE(p.effectiveText(QStringLiteral("SO_LINGER")), QStringLiteral("kernel: off"));
    e.effective = 5;
    p.showEffective(e);
    QCOMPARE(p.effectiveText(QStringLiteral("SO_LINGER")), QStringLiteral("kernel: 5 s"));

    // Another panel's option leaves these labels alone.
    e.option = QStringLiteral("TCP_KEEPIDLE");
    p.showEffective(e);
    QCOMPARE(p.effectiveText(QStringLiteral("SO_RCVBUF")), QStringLiteral("kernel: 20000"));
}

// The mechanism's tooltip says, at the timeouts chosen now, how late each way of keeping them
// may end on this machine: poll()'s slack that SockLab's timerfd avoids, and SO_RCVTIMEO's
// timer-wheel step (at 10 s and CONFIG_HZ 250: 2,500 jiffies, a step of 64, up to 260 ms).
void TestPanels::theMechanismTipSaysHowLateEachMayEnd()
{
    TimeoutPanel t;
    SocketOptions o;
    o.setAllTimeouts(Timeout::fromMs(10000));
    t.readFrom(o);
    QString tip = t.mechanismTip();
    QVERIFY2(tip.contains(QLatin1String("How the timeout is enforced")), qPrintable(tip));
    QVERIFY2(tip.contains(QLatin1String("<b>At 10 s</b>")), qPrintable(tip));
    QVERIFY2(tip.contains(QLatin1String("up to 10 ms late at this length")), qPrintable(tip));
    if (facts::value(QStringLiteral("CONFIG_HZ")) == 250)
        QVERIFY2(tip.contains(QLatin1String("become 2500 jiffies of 4 ms (CONFIG_HZ 250)")) &&
                     tip.contains(QLatin1String("step is 64 jiffies: the call may end up to "
                                                "260 ms late")),
                 qPrintable(tip.mid(tip.indexOf(QLatin1String("<b>At")))));
    else
        QVERIFY(tip.contains(facts::kernelTimeoutPrecision(10000).toHtmlEscaped()));

    // Per call: each length once, shortest first; a call without a timeout has no line.
    t.setPerCall(true);
    t.connectEditor()->setTimeout(Timeout::fromMs(2000));
    t.recvEditor()->setTimeout(Timeout::fromMs(500));
    t.sendEditor()->setTimeout(Timeout::blockForever());
    t.acceptEditor()->setTimeout(Timeout::fromMs(500));
    tip = t.mechanismTip();
    QVERIFY2(!tip.contains(QLatin1String("At 10 s")), qPrintable(tip));
    QCOMPARE(tip.count(QLatin1String("<b>At ")), 2);
    QVERIFY2(tip.indexOf(QLatin1String("<b>At 0.5 s</b>")) >= 0 &&
                 tip.indexOf(QLatin1String("<b>At 0.5 s</b>")) <
                     tip.indexOf(QLatin1String("<b>At 2 s</b>")),
             qPrintable(tip));
}

void TestPanels::editsEmitChanged()
{
    TimeoutPanel t;
    QSignalSpy ts(&t, &TimeoutPanel::changed);
    t.allEditor()->slider()->setValue(100);
    t.findChild<QComboBox *>(QStringLiteral("mechanismCombo"))->setCurrentIndex(1);
    t.setPerCall(true);
    t.sendEditor()->noneCheck()->setChecked(true);
    t.findChild<QDoubleSpinBox *>(QStringLiteral("deadlineSpin"))->setValue(2.5);
    t.findChild<QSpinBox *>(QStringLiteral("synCntSpin"))->setValue(3);
    QCOMPARE(ts.count(), 6);
    t.readFrom(SocketOptions{});
    QCOMPARE(ts.count(), 6); // loading is not an edit

    ReusePanel r;
    QSignalSpy rs(&r, &ReusePanel::changed);
    r.reusePortCheck()->setChecked(true);
    QCOMPARE(rs.count(), 1);

    KeepalivePanel k;
    QSignalSpy ks(&k, &KeepalivePanel::changed);
    k.keepAliveCheck()->setChecked(true);
    k.keepCntSpin()->setValue(4);
    k.userTimeoutSpin()->setValue(1000);
    QCOMPARE(ks.count(), 3);

    MorePanel m;
    QSignalSpy ms(&m, &MorePanel::changed);
    m.noDelayCheck()->setChecked(true);
    m.rcvBufCheck()->setChecked(true);
    m.rcvBufSpin()->setValue(4096);
    QCOMPARE(ms.count(), 3);
}

// Run a program…: the command is split as a shell would (quotes group words) without a shell,
// an empty one cannot be run, and tracing is offered exactly where strace is installed.
void TestPanels::runProgramDialog()
{
    RunProgramDialog d;
    QPushButton *ok = d.findChild<QDialogButtonBox *>()->button(QDialogButtonBox::Ok);
    d.setCommand(QStringLiteral("   "));
    QVERIFY(!ok->isEnabled());
    QVERIFY(d.argv().isEmpty());
    d.setCommand(QStringLiteral("python3 'my client.py' \"\" -v"));
    QVERIFY(ok->isEnabled());
    QCOMPARE(d.argv(), (QStringList{QStringLiteral("python3"), QStringLiteral("my client.py"),
                                    QString(), QStringLiteral("-v")}));
    // As sh splits them: backslashes, quotes inside words, the other quote inside one.
    QCOMPARE(
        RunProgramDialog::split(QStringLiteral("a\\ b \"it's\" 'say \"hi\"' x'y'z \"\\$\\q\"")),
        (QStringList{QStringLiteral("a b"), QStringLiteral("it's"), QStringLiteral("say \"hi\""),
                     QStringLiteral("xyz"), QStringLiteral("$\\q")}));
    QString error;
    QVERIFY(!RunProgramDialog::split(QStringLiteral("python3 'client.py"), &error));
    QVERIFY2(error.contains(QLatin1String("single")), qPrintable(error));
    d.setCommand(QStringLiteral("python3 \"client.py"));
    QVERIFY(!ok->isEnabled());
    QVERIFY(d.argv().isEmpty());
    d.setTrace(true);
    const bool strace = !QStandardPaths::findExecutable(QStringLiteral("strace")).isEmpty();
    QCOMPARE(d.trace(), strace);
    QCOMPARE(d.findChild<QCheckBox *>()->isEnabled(), strace);
    d.setTrace(false);
    QVERIFY(!d.trace());
}

// The status bar's state label: a long call status does not widen the window (presenter mode
// on a 1280x720 projector); what is cut is in the tooltip, under what the label is for.
void TestPanels::elidedLabelGivesUpWidth()
{
    ElidedLabel label;
    label.setPurpose(QStringLiteral("What the backend is doing."));
    const QString text = QStringLiteral("c2: recv() waiting up to 1.5 s (SO_RCVTIMEO) for the "
                                        "peer that will never answer, on the lab's server host");
    label.setText(text);
    QCOMPARE(label.text(), text);
    const int whole = label.fontMetrics().horizontalAdvance(text);
    QVERIFY2(label.minimumSizeHint().width() < whole / 4,
             qPrintable(QString::number(label.minimumSizeHint().width())));
    label.resize(whole / 2, label.sizeHint().height());
    QCOMPARE(label.currentToolTip(), QStringLiteral("What the backend is doing.\n\n") + text);
    label.resize(whole + 20, label.sizeHint().height());
    QCOMPARE(label.currentToolTip(), QStringLiteral("What the backend is doing."));
}

QTEST_MAIN(TestPanels)
#include "tst_panels.moc"
