// Load: many keepalive-watched connections at once against a built-in peer, and a peer that
// floods at full loopback speed while the window keeps repainting. ctest runs a small size;
// scripts/load.sh runs the sizes of docs/RELIABILITY.md:
//   SOCKLAB_LOAD_CONNECTIONS (default 100; 1000 in the full run)
//   SOCKLAB_LOAD_FLOOD_S     (default 2 s; 10 s in the full run)
#include "ReliabilitySupport.h"
#include "TestSupport.h"

#include "log/LogView.h"
#include "timeline/TimelineWidget.h"
#include "window/MainWindow.h"

#include <QApplication>
#include <QComboBox>
#include <QElapsedTimer>
#include <QEventLoop>
#include <QSettings>
#include <QTemporaryDir>
#include <QTimer>

#include <sys/resource.h>

using namespace socklab;
using namespace socklab::test;

namespace {
int envInt(const char *name, int fallback)
{
    return qEnvironmentVariableIsSet(name) ? qEnvironmentVariableIntValue(name) : fallback;
}

double cpuSeconds()
{
    rusage ru{};
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_utime.tv_sec + ru.ru_stime.tv_sec +
           (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

// Runs the event loop until the bus has delivered a Finished event (QTest::qWaitFor sleeps
// 10 ms between turns, which would show up as stalls of the GUI thread).
bool waitFinished(EventBus *bus, int *finished, int timeoutMs)
{
    const int before = *finished;
    QEventLoop loop;
    QTimer guard;
    guard.setSingleShot(true);
    QObject::connect(&guard, &QTimer::timeout, &loop, [&] { loop.exit(1); });
    QObject::connect(bus, &EventBus::eventsReady, &loop, [&] {
        if (*finished > before)
            loop.exit(0);
    });
    guard.start(timeoutMs);
    return loop.exec() == 0;
}

class PaintCounter : public QObject
{
  public:
    int paints = 0;

  protected:
    bool eventFilter(QObject *, QEvent *e) override
    {
        if (e->type() == QEvent::Paint)
            ++paints;
        return false;
    }
};
} // namespace

class TestLoad : public QObject
{
    Q_OBJECT
    QTemporaryDir m_settingsDir;

  private slots:
    void initTestCase()
    {
        QVERIFY(m_settingsDir.isValid());
        // Never touch the user's own settings.
        QCoreApplication::setOrganizationName(QStringLiteral("SockLabTest"));
        QCoreApplication::setApplicationName(QStringLiteral("tst_load"));
        QSettings::setDefaultFormat(QSettings::IniFormat);
        QSettings::setPath(QSettings::IniFormat, QSettings::UserScope, m_settingsDir.path());
        // Each connection costs two descriptors (ours and the peer's).
        setSoftFdLimit(hardFdLimit());
    }

    void keepaliveOnManyConnections()
    {
        const int n = envInt("SOCKLAB_LOAD_CONNECTIONS", 100);
        if (hardFdLimit() < 2 * n + 100)
            QSKIP(qPrintable(QStringLiteral("RLIMIT_NOFILE's hard limit (%1) is too low for %2 "
                                            "connections.")
                                 .arg(hardFdLimit())
                                 .arg(n)));
        Engine engine;
        int finished = 0;
        QSet<QString> connected, peerAccepted;
        QHash<QString, int> sent, acked;
        QStringList problems;
        connect(engine.bus(), &EventBus::eventsReady, this, [&](const QList<Event> &batch) {
            for (const Event &e : batch) {
                switch (e.kind) {
                case EventKind::Finished:
                    ++finished;
                    break;
                case EventKind::Connected:
                    connected.insert(e.sock);
                    break;
                case EventKind::Accepted:
                    peerAccepted.insert(e.sock);
                    break;
                case EventKind::ProbeSent:
                    ++sent[e.sock];
                    break;
                case EventKind::ProbeAcked:
                    ++acked[e.sock];
                    break;
                case EventKind::Error:
                case EventKind::ProbeUnanswered:
                case EventKind::PeerDead:
                    problems << e.toText();
                    break;
                default:
                    break;
                }
            }
        });
        SocketOptions ka;
        ka.keepAlive = true;
        ka.keepIdle = 1;
        ka.keepIntvl = 1;
        ka.keepCnt = 3;
        ka.connectTimeout = Timeout::fromMs(5000);
        QList<Step> steps{peer(PeerBehavior::Echo)};
        for (int i = 1; i <= n; ++i)
            steps << connectToPeer(ka, QStringLiteral("c%1").arg(i));
        QElapsedTimer timer;
        timer.start();
        engine.run(steps);
        QVERIFY(waitFinished(engine.bus(), &finished, 120000));
        const qint64 openMs = timer.elapsed();
        QCOMPARE(int(connected.size()), n);
        QCOMPARE(int(peerAccepted.size()), n);

        // All of them idle: every connection's kernel sends a probe a second after it was
        // last heard from, the peer's kernel ACKs it, and the monitor sees both on each.
        const double cpuBefore = cpuSeconds();
        timer.restart();
        engine.run({hold(2.5, QStringLiteral("c1"))});
        QVERIFY(waitFinished(engine.bus(), &finished, 30000));
        const qint64 holdMs = timer.elapsed();
        const double cpu = cpuSeconds() - cpuBefore;
        int withAck = 0;
        qint64 totalSent = 0, totalAcked = 0;
        for (int i = 1; i <= n; ++i) {
            const QString c = QStringLiteral("c%1").arg(i);
            withAck += acked.value(c) > 0 ? 1 : 0;
            totalSent += sent.value(c);
            totalAcked += acked.value(c);
        }
        qInfo("%d keepalive connections opened in %lld ms; idle %lld ms: %lld probes seen sent, "
              "%lld ACKed, on %d of %d connections; %.2f s CPU (%.0f %% of one core) while idle",
              n, openMs, holdMs, totalSent, totalAcked, withAck, n, cpu,
              100.0 * cpu / (holdMs / 1000.0));
        QVERIFY2(problems.isEmpty(), qPrintable(problems.mid(0, 5).join(u'\n')));
        QCOMPARE(withAck, n);
        QVERIFY(totalSent >= n);
        engine.stop();
        QVERIFY(waitFinished(engine.bus(), &finished, 30000));
    }

    // A peer sends as fast as loopback allows while the receive loop runs in the window's own
    // engine; the log and the timeline take the events and keep repainting. How late the GUI
    // thread gets (a 5 ms timer measures it) is printed here, not asserted: a time bound in a
    // test fails with the machine's load, not with the code. The bound (≤ 50 ms) is the bench's
    // window and pipeline items', met in every run (docs/PERFORMANCE.md).
    void floodWhileTheWindowRepaints()
    {
        const double seconds = envInt("SOCKLAB_LOAD_FLOOD_S", 2);
        // This machine's network: what is measured is the window's handling of a flood's
        // events. (In the lab the kernel also forwards every segment through the router and
        // the wire is captured: on two cores the GUI thread is then up to about 40-60 ms
        // late; issue 17 has that.)
        QSettings().setValue(QStringLiteral("network/choice"), QStringLiteral("host"));
        MainWindow window;
        window.resize(1280, 800);
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        auto *peerCombo = window.findChild<QComboBox *>(QStringLiteral("peerCombo"));
        QVERIFY(peerCombo);
        QCOMPARE(peerCombo->itemText(7), QStringLiteral("flood")); // offered in the window
        auto *timeline = window.findChild<TimelineWidget *>(QStringLiteral("timeline"));
        auto *logView = window.findChild<LogView *>(QStringLiteral("logView"));
        QVERIFY(timeline && logView);
        PaintCounter timelinePaints, logPaints;
        timeline->installEventFilter(&timelinePaints);
        for (QWidget *w : logView->findChildren<QWidget *>())
            w->installEventFilter(&logPaints);

        Engine *engine = window.engine();
        int finished = 0;
        qint64 received = 0, events = 0;
        connect(engine->bus(), &EventBus::eventsReady, this, [&](const QList<Event> &batch) {
            events += batch.size();
            for (const Event &e : batch) {
                if (e.kind == EventKind::Finished)
                    ++finished;
                else if (e.kind == EventKind::Received && e.sock == QStringLiteral("c1"))
                    received += e.bytes;
            }
        });
        // How late the GUI thread gets to a 5 ms timer, all through the flood.
        QElapsedTimer clock;
        clock.start();
        qint64 lastNs = -1, worstNs = 0;
        QList<qint64> lateNs;
        QTimer probe;
        probe.setTimerType(Qt::PreciseTimer);
        probe.setInterval(5);
        connect(&probe, &QTimer::timeout, this, [&] {
            const qint64 now = clock.nsecsElapsed();
            if (lastNs >= 0) {
                const qint64 late = std::max<qint64>(0, now - lastNs - 5000000);
                worstNs = std::max(worstNs, late);
                lateNs << late;
            }
            lastNs = now;
        });
        SocketOptions o;
        o.recvTimeout = Timeout::fromMs(1000);
        Step loop = Step::make(Step::Kind::RecvFor, QStringLiteral("c1"));
        loop.maxBytes = 65536;
        loop.seconds = seconds;
        const qint64 rssBefore = residentBytes();
        probe.start();
        engine->run({peer(PeerBehavior::Flood), connectToPeer(o), loop,
                     Step::make(Step::Kind::Close, QStringLiteral("c1")),
                     Step::make(Step::Kind::StopPeer)});
        QVERIFY(waitFinished(engine->bus(), &finished, int(seconds * 1000) + 30000));
        probe.stop();
        const qint64 growth = residentBytes() - rssBefore;
        std::sort(lateNs.begin(), lateNs.end());
        const double p99 = lateNs.isEmpty() ? 0 : lateNs[lateNs.size() * 99 / 100] / 1e6;
        qInfo("flood %.0f s: %lld bytes received (%.0f MB/s), %lld events; GUI thread late by "
              "%.1f ms at worst, %.1f ms at the 99th percentile (%d ticks); %d timeline and %d "
              "log repaints; RSS %+lld KiB",
              seconds, received, received / seconds / 1e6, events, worstNs / 1e6, p99,
              int(lateNs.size()), timelinePaints.paints, logPaints.paints, growth / 1024);
        QVERIFY2(received > 0, qPrintable(QString::number(received)));
        // The window kept repainting while data poured in.
        QVERIFY2(timelinePaints.paints >= int(seconds * 5),
                 qPrintable(QString::number(timelinePaints.paints)));
        QVERIFY(logPaints.paints > 0);
        SOCKLAB_VERIFY_MEMORY(growth < 64 * 1024 * 1024,
                              qPrintable(QString::number(growth / 1024)));
        engine->stop();
    }
};

QTEST_MAIN(TestLoad)
#include "tst_load.moc"
