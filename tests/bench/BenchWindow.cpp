// Items 8 and 9: the real window (MainWindow, 1280x720, offscreen) as a class sees it.
// window: a live flood drawn by the log, the timeline and the socket table, first one run on
// a clean page; that run and three more kept (four pinned runs, the most the window keeps);
// then a live flood under the four, and four flood runs at once under them, with a timer
// measuring how long the GUI thread's event loop is held up. lessons: a lesson run in the window
// (Run all) against the same lesson in socklab-cli, the same kernel: the same events, and the same
// time from the lesson's first step to its verdict.
#include "Bench.h"

#include "Engine.h"
#include "LessonRunner.h"
#include "lessons/LessonsPanel.h"
#include "log/LogModel.h"
#include "log/LogView.h"
#include "window/MainWindow.h"

#include <QComboBox>
#include <QJsonDocument>
#include <QMap>
#include <QProcess>
#include <QSettings>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>
#include <QTimer>

using namespace socklab;

namespace bench {

namespace {

constexpr int kTickMs = 5;

// The longest gap between the ticks of a 5 ms precise timer on this thread, minus 5 ms: how
// long the event loop was held up while it ran.
class StallMeter
{
  public:
    StallMeter()
    {
        m_tick.setTimerType(Qt::PreciseTimer);
        m_tick.setInterval(kTickMs);
        QObject::connect(&m_tick, &QTimer::timeout, [this] {
            const qint64 now = nowNs();
            m_maxGap = std::max(m_maxGap, now - m_last);
            m_last = now;
        });
    }
    void start()
    {
        m_maxGap = 0;
        m_last = nowNs();
        m_tick.start();
    }
    double stopMs()
    {
        m_tick.stop();
        m_maxGap = std::max(m_maxGap, nowNs() - m_last);
        return std::max(0.0, m_maxGap / 1e6 - kTickMs);
    }

  private:
    QTimer m_tick;
    qint64 m_last = 0;
    qint64 m_maxGap = 0;
};

// The window's settings in a directory of their own: no saved layout, network or lesson of the
// user's, and nothing of the bench's left in theirs.
struct IsolatedSettings
{
    QTemporaryDir dir;
    IsolatedSettings()
    {
        QCoreApplication::setOrganizationName(QStringLiteral("SockLabBench"));
        QCoreApplication::setApplicationName(QStringLiteral("socklab-bench"));
        QSettings::setDefaultFormat(QSettings::IniFormat);
        QSettings::setPath(QSettings::IniFormat, QSettings::UserScope, dir.path());
        QSettings().clear();
    }
};

bool showWindow(MainWindow &w, Result *r)
{
    w.resize(1280, 720);
    w.show();
    if (!QTest::qWaitForWindowExposed(&w)) {
        r->fail(QStringLiteral("the window was not exposed"));
        return false;
    }
    spin(300);
    return true;
}

Step recvFor(const QString &sock, double seconds)
{
    Step s = Step::make(Step::Kind::RecvFor, sock);
    s.seconds = seconds;
    s.maxBytes = 4096;
    return s;
}

Step floodPeer()
{
    Step s = Step::make(Step::Kind::StartPeer);
    s.peer.behavior = PeerBehavior::Flood;
    return s;
}

Step connectToPeer(const QString &sock)
{
    Step s = Step::make(Step::Kind::Connect, sock);
    s.toPeer = true;
    SocketOptions o;
    o.setAllTimeouts(Timeout::fromMs(1000));
    s.options = o;
    return s;
}

struct FloodFigures
{
    double stallMs = 0;
    double eventsPerS = 0;
    qint64 rows = 0;
    bool ok = false;
};

// `runs` flood runs at once on the window's engine, each a connection to the flood peer and a
// receive loop of `seconds`; the stall over them and 300 ms after, the log's rows per second.
FloodFigures flood(MainWindow &w, int runs, double seconds, Result *r)
{
    FloodFigures f;
    Engine *engine = w.engine();
    const LogModel *log = w.findChild<LogView *>(QStringLiteral("logView"))->model();
    int finished = 0;
    quint64 peerRun = 0;
    QList<quint64> ids;
    QObject guard;
    QObject::connect(engine->bus(), &EventBus::eventsReady, &guard, [&](const QList<Event> &b) {
        for (const Event &e : b)
            if (e.kind == EventKind::Finished && (e.run == peerRun || ids.contains(e.run)))
                ++finished;
    });
    peerRun = engine->run({floodPeer()});
    if (!waitUntil([&] { return finished == 1; }, 20000)) {
        r->fail(QStringLiteral("the flood peer did not start"));
        return f;
    }
    spin(200);
    const qint64 rowsBefore = log->rowCount();
    StallMeter meter;
    meter.start();
    const qint64 t0 = nowNs();
    for (int i = 1; i <= runs; ++i) {
        const QString sock = QStringLiteral("c%1").arg(i);
        ids << engine->run({connectToPeer(sock), recvFor(sock, seconds)});
    }
    const bool done = waitUntil([&] { return finished == 1 + runs; }, int(seconds * 1000) + 30000);
    const qint64 t1 = nowNs();
    spin(300); // what the flood left to do: scrolling, repainting
    f.stallMs = meter.stopMs();
    f.rows = log->rowCount() - rowsBefore;
    f.eventsPerS = f.rows / ((t1 - t0) / 1e9);
    f.ok = done;
    if (!done)
        r->fail(QStringLiteral("%1 flood runs did not finish").arg(runs));
    return f;
}

void put(Result *r, const QString &name, const FloodFigures &f)
{
    r->metrics.insert(name + QStringLiteral("_stall_ms"), f.stallMs);
    r->metrics.insert(name + QStringLiteral("_events_per_s"), f.eventsPerS);
    r->metrics.insert(name + QStringLiteral("_rows"), double(f.rows));
}

// The events a lesson produced up to its verdict, as "kind sock" in a sorted list (the order
// of events observed at one moment may differ), without the note on the lab that the CLI makes
// and the window made earlier; and the time from the first of them to the verdict.
struct LessonRun
{
    QStringList events;
    double seconds = -1;
    bool passed = false;
};

bool counts(const QString &kind, const QString &op)
{
    return !(kind == QLatin1String("info") && op == QLatin1String("network"));
}

LessonRun fromEvents(const QList<QJsonObject> &events)
{
    LessonRun l;
    double first = -1;
    QMap<QString, QString> lastState; // socket -> the last state the table showed
    for (const QJsonObject &o : events) {
        const QString kind = o.value(QStringLiteral("kind")).toString();
        if (!counts(kind, o.value(QStringLiteral("op")).toString()))
            continue;
        const double t = o.value(QStringLiteral("t")).toDouble();
        if (first < 0)
            first = t;
        const QString sock = o.value(QStringLiteral("sock")).toString();
        // The socket table is read every 100 ms: a state passed through between two reads
        // (FIN_WAIT2 on the way to TIME_WAIT), or a socket that came and went between them,
        // is seen in one run and not in another. So states are compared by where each
        // socket still in the table at the verdict ended up (the lesson waited 300 ms for it).
        if (kind == QLatin1String("state")) {
            lastState[sock] = o.value(QStringLiteral("state")).toString();
            continue;
        }
        l.events << kind + QLatin1Char(' ') + sock;
        if (kind == QLatin1String("lesson_result")) {
            l.seconds = t - first;
            l.passed = o.value(QStringLiteral("passed")).toBool();
            break; // what follows is the Stop that ends what the lesson left running
        }
    }
    for (auto it = lastState.cbegin(); it != lastState.cend(); ++it)
        if (it.value() != QLatin1String("GONE"))
            l.events << QStringLiteral("state %1 %2").arg(it.key(), it.value());
    l.events.sort();
    return l;
}

LessonRun inWindow(MainWindow &w, const QString &name, QString *why)
{
    auto *panel = w.findChild<LessonsPanel *>(QStringLiteral("lessonsPanel"));
    LessonRunner *runner = w.lessonRunner();
    if (!panel || !panel->selectLesson(name)) {
        *why = QStringLiteral("the window has no lesson %1").arg(name);
        return {};
    }
    QSignalSpy done(runner, &LessonRunner::finished);
    panel->runAll();
    if (!done.wait(120000)) {
        *why = QStringLiteral("%1 did not end in the window").arg(name);
        return {};
    }
    const LogModel *log = w.findChild<LogView *>(QStringLiteral("logView"))->model();
    // The verdict reaches the log through the bus, after the runner's signal.
    const auto hasVerdict = [&] {
        for (int r = log->rowCount() - 1; r >= 0; --r)
            if (log->eventAt(r).kind == EventKind::LessonResult)
                return true;
        return false;
    };
    if (!waitUntil(hasVerdict, 5000)) {
        *why = QStringLiteral("%1: no verdict in the window's log").arg(name);
        return {};
    }
    QList<QJsonObject> events;
    for (int r = 0; r < log->rowCount(); ++r) {
        const Event e = log->eventAt(r);
        if (e.run < runner->firstRun() || e.run > runner->lastRun())
            continue;
        events << e.toJson();
        if (e.kind == EventKind::LessonResult)
            break;
    }
    return fromEvents(events);
}

LessonRun inCli(const QString &name, QString *why)
{
    QProcess cli;
    cli.start(QStringLiteral(SOCKLAB_CLI_PATH),
              {QStringLiteral("lesson"), name, QStringLiteral("--json")});
    if (!cli.waitForFinished(120000) || cli.exitCode() != 0) {
        *why = QStringLiteral("socklab-cli lesson %1 failed: %2")
                   .arg(name, QString::fromUtf8(cli.readAllStandardError()));
        return {};
    }
    QList<QJsonObject> events;
    for (const QByteArray &line : cli.readAllStandardOutput().split('\n'))
        if (!line.trimmed().isEmpty())
            events << QJsonDocument::fromJson(line).object();
    return fromEvents(events);
}

// What one list has that the other has not, for the report's notes.
QString difference(QStringList a, QStringList b)
{
    QStringList onlyA;
    for (const QString &e : std::as_const(a)) {
        const int i = b.indexOf(e);
        if (i >= 0)
            b.removeAt(i);
        else
            onlyA << e;
    }
    return QStringLiteral("window only: [%1]; CLI only: [%2]")
        .arg(onlyA.join(QStringLiteral(", ")), b.join(QStringLiteral(", ")));
}

} // namespace

void runWindow(const Context &c, Result *r)
{
    IsolatedSettings settings;
    MainWindow w;
    if (!showWindow(w, r))
        return;
    const double seconds = c.smoke ? 0.3 : 2.0;
    r->metrics.insert(QStringLiteral("flood_seconds"), seconds);
    if (const auto *network = w.findChild<QComboBox *>(QStringLiteral("networkCombo")))
        r->metrics.insert(QStringLiteral("network"), network->currentText());

    // The reference, the same window: one flood run on a clean page.
    w.reset();
    const FloodFigures one = flood(w, 1, seconds, r);
    if (!one.ok)
        return;
    put(r, QStringLiteral("one"), one);

    // Kept on screen, and three more flood runs, each kept in its turn: four pinned runs, each
    // drawn under the next on the same time axis.
    FloodFigures keeping;
    keeping.ok = true;
    for (int kept = 1; kept <= 4; ++kept) {
        if (kept > 1) {
            const FloodFigures next = flood(w, 1, seconds, r);
            if (!next.ok)
                return;
            keeping.stallMs = std::max(keeping.stallMs, next.stallMs);
            keeping.rows += next.rows;
            keeping.eventsPerS = std::max(keeping.eventsPerS, next.eventsPerS);
        }
        if (!w.keepRun()) {
            r->fail(QStringLiteral("flood run %1 could not be kept").arg(kept));
            return;
        }
        spin(300);
    }
    put(r, QStringLiteral("keeping"), keeping);
    r->metrics.insert(QStringLiteral("kept"), double(w.keptRunCount()));
    if (w.keptRunCount() != 4) {
        r->fail(QStringLiteral("%1 runs kept, not 4").arg(w.keptRunCount()));
        return;
    }

    // A live flood under the four pinned runs, then four flood runs at once under them.
    const FloodFigures live = flood(w, 1, seconds, r);
    if (!live.ok)
        return;
    put(r, QStringLiteral("pinned"), live);
    w.engine()->stop();
    spin(300);
    const FloodFigures four = flood(w, 4, seconds, r);
    if (!four.ok)
        return;
    put(r, QStringLiteral("four"), four);
    w.engine()->stop();
    spin(200);
}

void runLessons(const Context &c, Result *r)
{
    IsolatedSettings settings;
    MainWindow w;
    if (!showWindow(w, r))
        return;
    const QStringList lessons = c.smoke ? QStringList{QStringLiteral("restart-without-reuseaddr")}
                                        : QStringList{QStringLiteral("restart-without-reuseaddr"),
                                                      QStringLiteral("timeout-vs-keepalive"),
                                                      QStringLiteral("keepalive-dead-peer")};
    double worstRatio = 1, sameAll = 1;
    for (const QString &name : lessons) {
        QString why;
        const LessonRun cli = inCli(name, &why);
        const LessonRun win = why.isEmpty() ? inWindow(w, name, &why) : LessonRun{};
        if (!why.isEmpty() || cli.seconds < 0 || win.seconds < 0) {
            r->fail(why.isEmpty() ? name + QStringLiteral(": no verdict") : why);
            return;
        }
        const QString key = QString(name).replace(QLatin1Char('-'), QLatin1Char('_'));
        const double ratio = win.seconds / cli.seconds;
        const bool same = win.events == cli.events;
        r->metrics.insert(key + QStringLiteral("_window_s"), win.seconds);
        r->metrics.insert(key + QStringLiteral("_cli_s"), cli.seconds);
        r->metrics.insert(key + QStringLiteral("_ratio"), ratio);
        r->metrics.insert(key + QStringLiteral("_events"), double(cli.events.size()));
        r->metrics.insert(key + QStringLiteral("_same"), same ? 1 : 0);
        r->metrics.insert(key + QStringLiteral("_same_verdict"), win.passed == cli.passed ? 1 : 0);
        if (!same)
            r->notes << QStringLiteral("%1: the events differ (%2).")
                            .arg(name, difference(win.events, cli.events));
        if (std::abs(ratio - 1) > std::abs(worstRatio - 1))
            worstRatio = ratio;
        if (!same || win.passed != cli.passed)
            sameAll = 0;
    }
    r->metrics.insert(QStringLiteral("worst_ratio"), worstRatio);
    r->metrics.insert(QStringLiteral("worst_deviation_pct"), std::abs(worstRatio - 1) * 100);
    r->metrics.insert(QStringLiteral("same_events"), sameAll);
}

} // namespace bench
