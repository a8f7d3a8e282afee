// Item 1: how precisely a 100 ms recv timeout ends, for SockLab's two mechanisms and for
// Python's socket.settimeout, against the same silent built-in peer in the same run; then one
// call of each at every length from 10 ms to 100 s, the three at once.
#include "Bench.h"

#include "../TestSupport.h"

#include <QJsonDocument>
#include <QProcess>

using namespace socklab;
using namespace socklab::test;

namespace bench {

namespace {
constexpr double kTimeoutS = 0.1;

// Runs `count` recv() calls on `sock` and returns each timeout's overshoot in ms, from the
// events' own `elapsed` (measured by the engine around the system call).
bool engineCalls(Engine &engine, EventRecorder &rec, const QString &sock, int count,
                 std::vector<double> *overshootMs, QString *why)
{
    rec.clear();
    engine.run(QList<Step>(count, recv(sock, 100)));
    if (!waitUntil([&] { return rec.finished(); }, count * 1000 + 5000)) {
        *why = QStringLiteral("the engine did not finish %1's calls").arg(sock);
        return false;
    }
    const QList<Event> timeouts = rec.of(EventKind::Timeout, sock);
    if (timeouts.size() != count) {
        *why = QStringLiteral("%1: %2 timeouts instead of %3\n%4")
                   .arg(sock)
                   .arg(timeouts.size())
                   .arg(count)
                   .arg(rec.dump());
        return false;
    }
    for (const Event &e : timeouts)
        overshootMs->push_back((*e.elapsed - kTimeoutS) * 1000.0);
    return true;
}

bool pythonCalls(const QString &python, const QString &script, quint16 port, int count,
                 std::vector<double> *overshootMs, QString *version, QString *why)
{
    QProcess p;
    p.start(python, {script, QStringLiteral("127.0.0.1"), QString::number(port),
                     QString::number(count), QString::number(kTimeoutS)});
    if (!p.waitForFinished(count * 1000 + 10000) || p.exitCode() != 0) {
        *why = QStringLiteral("python reference failed: %1 %2")
                   .arg(QString::fromUtf8(p.readAllStandardError()),
                        QString::fromUtf8(p.readAllStandardOutput()));
        return false;
    }
    const QJsonObject o = QJsonDocument::fromJson(p.readAllStandardOutput().trimmed()).object();
    *version = o.value(QStringLiteral("python")).toString();
    for (const auto &v : o.value(QStringLiteral("elapsed_ns")).toArray())
        overshootMs->push_back((v.toDouble() / 1e9 - kTimeoutS) * 1000.0);
    return true;
}
// The lengths of the second part, and their names in the samples ("len_poll_10s").
struct Length
{
    qint64 ms;
    const char *name;
};
constexpr Length kLengths[] = {
    {10, "10ms"}, {100, "100ms"}, {1000, "1s"}, {10000, "10s"}, {100000, "100s"}};

// One recv() of `ms` for each mechanism and for Python, all three at once (each on its own
// connection to the silent peer): the overshoots in ms, poll, sockopt, Python (empty if there
// is no Python); and the poll call's run delay (its thread ready to run but not running), in
// ms (-1: unknown).
bool oneOfEach(Engine &engine, EventRecorder &rec, int index, qint64 ms, const QString &python,
               const QString &script, quint16 port, double out[3], double *pollCpuMs,
               bool *withPython, QString *why)
{
    const double seconds = double(ms) / 1000.0;
    const QString p = QStringLiteral("p%1").arg(index), k = QStringLiteral("k%1").arg(index);
    QProcess py;
    *withPython = !python.isEmpty();
    if (*withPython) {
        // Python's start-up (tens of ms of CPU) is not part of its call: its call starts once
        // it says it is ready, and SockLab's then, so the three wait side by side.
        py.start(python,
                 {script, QStringLiteral("127.0.0.1"), QString::number(port), QStringLiteral("1"),
                  QString::number(seconds), QStringLiteral("--ready")});
        QByteArray err;
        if (!waitUntil(
                [&] {
                    err += py.readAllStandardError();
                    return err.contains("ready") || py.state() == QProcess::NotRunning;
                },
                20000) ||
            !err.contains("ready")) {
            *why = QStringLiteral("python reference did not start: ") + QString::fromUtf8(err);
            return false;
        }
    }
    engine.run({connectToPeer(timeouts(seconds, TimeoutMechanism::Poll), p), recv(p, 100)});
    engine.run({connectToPeer(timeouts(seconds, TimeoutMechanism::SockOpt), k), recv(k, 100)});
    const auto done = [&] {
        return rec.of(EventKind::Timeout, p).size() == 1 &&
               rec.of(EventKind::Timeout, k).size() == 1 &&
               (!*withPython || py.state() == QProcess::NotRunning);
    };
    if (!waitUntil(done, int(ms) * 2 + 20000)) {
        *why =
            QStringLiteral("the calls of %1 ms did not all time out:\n%2").arg(ms).arg(rec.dump());
        return false;
    }
    for (int i = 0; i < 2; ++i) {
        const Event e = rec.first(EventKind::Timeout, i == 0 ? p : k);
        out[i] = (*e.elapsed - seconds) * 1000.0;
        if (i == 0)
            *pollCpuMs = e.extra.value(QStringLiteral("run_delay")).toDouble(-1e-3) * 1000.0;
    }
    out[2] = 0;
    if (*withPython) {
        const QJsonObject o =
            QJsonDocument::fromJson(py.readAllStandardOutput().trimmed()).object();
        const QJsonArray a = o.value(QStringLiteral("elapsed_ns")).toArray();
        if (py.exitCode() != 0 || a.size() != 1) {
            *why = QStringLiteral("python reference failed at %1 ms: %2")
                       .arg(ms)
                       .arg(QString::fromUtf8(py.readAllStandardError()));
            return false;
        }
        out[2] = (a.at(0).toDouble() / 1e9 - seconds) * 1000.0;
    }
    return true;
}

// One recv() of 100 ms in a process started for it, as a script or a grader uses SockLab:
// `socklab-cli connect 127.0.0.1 PORT --recv-timeout 0.1 --recv 1 --json`, the overshoot from
// its timeout event's `elapsed`. The first call of a process pays for what a long-lived one
// has warmed up (page faults, the call thread's start).
bool freshCli(quint16 port, double *overshootMs, QString *why)
{
    QProcess cli;
    cli.start(QStringLiteral(SOCKLAB_CLI_PATH),
              {QStringLiteral("connect"), QStringLiteral("127.0.0.1"), QString::number(port),
               QStringLiteral("--network"), QStringLiteral("host"),
               QStringLiteral("--recv-timeout"), QString::number(kTimeoutS),
               QStringLiteral("--recv"), QStringLiteral("1"), QStringLiteral("--json")});
    if (!cli.waitForFinished(20000)) {
        *why = QStringLiteral("socklab-cli connect did not end");
        return false;
    }
    for (const QByteArray &line : cli.readAllStandardOutput().split('\n')) {
        const QJsonObject o = QJsonDocument::fromJson(line).object();
        if (o.value(QStringLiteral("kind")).toString() == QLatin1String("timeout")) {
            *overshootMs = (o.value(QStringLiteral("elapsed")).toDouble() - kTimeoutS) * 1000.0;
            return true;
        }
    }
    *why = QStringLiteral("socklab-cli connect printed no timeout: ") +
           QString::fromUtf8(cli.readAllStandardError());
    return false;
}
} // namespace

void runTimeouts(const Context &c, Result *r)
{
    const int blocks = c.smoke ? 1 : 5;
    const int perBlock = c.smoke ? 3 : 10;

    Engine engine;
    EventRecorder rec(engine.bus());
    engine.run(
        {peer(PeerBehavior::Silent),
         connectToPeer(timeouts(kTimeoutS, TimeoutMechanism::Poll), QStringLiteral("c1")),
         connectToPeer(timeouts(kTimeoutS, TimeoutMechanism::SockOpt), QStringLiteral("c2"))});
    if (!waitUntil([&] { return rec.finished(); }, 10000) ||
        !rec.has(EventKind::Connected, QStringLiteral("c1")) ||
        !rec.has(EventKind::Connected, QStringLiteral("c2"))) {
        r->fail(QStringLiteral("set-up failed:\n") + rec.dump());
        return;
    }
    const quint16 port = rec.listeningPort(QStringLiteral("peer"));

    const QString python = findTool(QStringLiteral("python3"));
    const QString script = QStringLiteral(SOCKLAB_BENCH_DIR "/timeout_ref.py");
    if (python.isEmpty())
        r->notes << QStringLiteral("python3 not found: the Python reference was skipped.");

    std::vector<double> poll, sockopt, py;
    QString version, why;
    // Interleaved blocks, rotating the order, so a change in the machine's load hits every
    // mechanism alike.
    for (int b = 0; b < blocks; ++b) {
        for (int k = 0; k < 3; ++k) {
            const int which = (b + k) % 3;
            bool ok = true;
            if (which == 0)
                ok = engineCalls(engine, rec, QStringLiteral("c1"), perBlock, &poll, &why);
            else if (which == 1)
                ok = engineCalls(engine, rec, QStringLiteral("c2"), perBlock, &sockopt, &why);
            else if (!python.isEmpty())
                ok = pythonCalls(python, script, port, perBlock, &py, &version, &why);
            if (!ok) {
                r->fail(why);
                return;
            }
        }
    }

    QJsonObject &m = r->metrics;
    const auto put = [&](const char *name, const std::vector<double> &v) {
        const QString n = QString::fromLatin1(name);
        m.insert(n + QStringLiteral("_n"), int(v.size()));
        if (v.empty())
            return;
        m.insert(n + QStringLiteral("_median_ms"), median(v));
        m.insert(n + QStringLiteral("_p99_ms"), percentile(v, 99));
        m.insert(n + QStringLiteral("_min_ms"), minOf(v));
        r->samples.insert(n, toJsonArray(v));
    };
    put("poll", poll);
    put("sockopt", sockopt);
    put("python", py);
    if (!py.empty()) {
        m.insert(QStringLiteral("python_version"), version);
        m.insert(QStringLiteral("ratio_poll_python_median"), median(poll) / median(py));
        m.insert(QStringLiteral("ratio_poll_python_p99"),
                 percentile(poll, 99) / percentile(py, 99));
        m.insert(QStringLiteral("poll_not_worse_than_python"),
                 median(poll) <= median(py) && percentile(poll, 99) <= percentile(py, 99));
    }
    // Every length, once per mechanism and run (the smoke run: the two short ones). Python's
    // poll() timeout is allowed 0.1 % of it; SockLab's deadline is a timerfd's.
    double worstPoll = 0;
    bool beatsPython = !python.isEmpty();
    int index = 0;
    for (const Length &len : kLengths) {
        if (c.smoke && len.ms > 100)
            break;
        double over[3];
        double cpuMs = -1;
        bool withPython = false;
        if (!oneOfEach(engine, rec, ++index, len.ms, python, script, port, over, &cpuMs,
                       &withPython, &why)) {
            r->fail(why);
            return;
        }
        const QString at = QString::fromLatin1(len.name);
        r->samples.insert(QStringLiteral("len_poll_") + at, toJsonArray({over[0]}));
        r->samples.insert(QStringLiteral("len_sockopt_") + at, toJsonArray({over[1]}));
        if (withPython)
            r->samples.insert(QStringLiteral("len_python_") + at, toJsonArray({over[2]}));
        r->samples.insert(QStringLiteral("len_poll_run_delay_") + at, toJsonArray({cpuMs}));
        // A late one says where its lateness went: its run delay (ready to run but not running:
        // another task on its CPU, or a virtual CPU its host did not run), and the wake-up.
        if (over[0] > 0.5)
            r->notes << QStringLiteral("A %1 poll call was %2 ms late: %3")
                            .arg(QString::fromLatin1(len.name), QString::number(over[0], 'f', 3),
                                 cpuMs < 0 ? QStringLiteral("its run delay is unknown.")
                                           : QStringLiteral("%1 ms of it ready to run but not "
                                                            "running, %2 ms the wake-up itself.")
                                                 .arg(QString::number(cpuMs, 'f', 3),
                                                      QString::number(
                                                          std::max(0.0, over[0] - cpuMs), 'f', 3)));
        worstPoll = std::max(worstPoll, over[0]);
        beatsPython = beatsPython && withPython && over[0] <= over[2];
        poll.push_back(over[0]); // for the truth rule below
        sockopt.push_back(over[1]);
    }
    // A fresh process per call, SockLab's CLI and Python alternating, 15 of each.
    if (!python.isEmpty()) {
        std::vector<double> freshPoll, freshPy;
        for (int i = 0; i < (c.smoke ? 2 : 15); ++i) {
            double over = 0;
            if (!freshCli(port, &over, &why) ||
                !pythonCalls(python, script, port, 1, &freshPy, &version, &why)) {
                r->fail(why);
                return;
            }
            freshPoll.push_back(over);
            poll.push_back(over); // for the truth rule below
        }
        put("fresh_poll", freshPoll);
        put("fresh_python", freshPy);
        m.insert(QStringLiteral("fresh_poll_not_worse_than_python"),
                 median(freshPoll) <= median(freshPy) &&
                     percentile(freshPoll, 99) <= percentile(freshPy, 99));
    }
    // The machine's own floor: a bare timerfd wait in a C program of its own, 1,000 waits of
    // 20 ms. What it shows late, no program on this machine can be on time for.
    {
        QProcess floor;
        floor.start(QStringLiteral(SOCKLAB_TIMER_FLOOR_PATH),
                    {QString::number(c.smoke ? 50 : 1000), QStringLiteral("20")});
        if (!floor.waitForFinished(120000) || floor.exitCode() != 0) {
            r->fail(QStringLiteral("timer_floor failed"));
            return;
        }
        std::vector<double> lateMs;
        const QJsonObject o =
            QJsonDocument::fromJson(floor.readAllStandardOutput().trimmed()).object();
        for (const auto &v : o.value(QStringLiteral("late_us")).toArray())
            lateMs.push_back(v.toDouble() / 1000.0);
        if (lateMs.empty()) {
            r->fail(QStringLiteral("timer_floor printed nothing"));
            return;
        }
        m.insert(QStringLiteral("floor_median_ms"), median(lateMs));
        m.insert(QStringLiteral("floor_p99_ms"), percentile(lateMs, 99));
        m.insert(QStringLiteral("floor_max_ms"), maxOf(lateMs));
        m.insert(QStringLiteral("floor_over_1ms"),
                 int(std::count_if(lateMs.begin(), lateMs.end(), [](double x) { return x > 1; })));
        // Where the floor's late wake-ups went: more than half of the lateness ready to run but
        // not running (another task had the CPU, or the host did not run the virtual CPU), or
        // the rest (the wake-up itself came late).
        const QJsonArray cpu = o.value(QStringLiteral("run_delay_us")).toArray();
        if (cpu.size() == int(lateMs.size()) && cpu.first().toDouble() >= 0) {
            int byCpu = 0, woken = 0;
            for (size_t i = 0; i < lateMs.size(); ++i) {
                if (lateMs[i] <= 0.5)
                    continue;
                if (cpu.at(int(i)).toDouble() / 1000.0 >= lateMs[i] / 2)
                    ++byCpu;
                else
                    ++woken;
            }
            m.insert(QStringLiteral("floor_late_run_delay"), byCpu);
            m.insert(QStringLiteral("floor_late_woken"), woken);
        }
    }
    m.insert(QStringLiteral("len_poll_max_ms"), worstPoll);
    if (!python.isEmpty())
        m.insert(QStringLiteral("len_poll_beats_python"), beatsPython);

    // The truth rule: SockLab's own deadline (poll: a timerfd on the monotonic clock) never
    // ends a call before it. SO_RCVTIMEO's end is the kernel's: it counts jiffies, which a
    // late clock tick leaves behind the monotonic clock, so it can end a little early; that
    // is reported as the kernel gave it (each call's elapsed is measured around the system
    // call), and counted here, not failed.
    const auto early = std::count_if(poll.begin(), poll.end(), [](double x) { return x < 0; });
    const auto kernelEarly =
        std::count_if(sockopt.begin(), sockopt.end(), [](double x) { return x < 0; });
    m.insert(QStringLiteral("early_timeouts"), int(early));
    m.insert(QStringLiteral("sockopt_early"), int(kernelEarly));
    if (kernelEarly)
        r->notes << QStringLiteral("SO_RCVTIMEO ended before its deadline in %1 of %2 calls (at "
                                   "worst %3 ms early): the kernel's jiffies, behind the "
                                   "monotonic clock after a late tick.")
                        .arg(kernelEarly)
                        .arg(sockopt.size())
                        .arg(-minOf(sockopt), 0, 'f', 3);
    if (early)
        r->fail(QStringLiteral("%1 poll deadlines ended before their time").arg(early));
}

} // namespace bench
