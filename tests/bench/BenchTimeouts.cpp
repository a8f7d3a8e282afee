// Item 1: how precisely a 100 ms recv timeout ends, for SockLab's two mechanisms and for
// Python's socket.settimeout, against the same silent built-in peer in the same run.
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
    // The truth rule: a timeout never ends before its deadline.
    const auto early =
        std::count_if(poll.begin(), poll.end(), [](double x) { return x < 0; }) +
        std::count_if(sockopt.begin(), sockopt.end(), [](double x) { return x < 0; });
    m.insert(QStringLiteral("early_timeouts"), int(early));
    if (early)
        r->fail(QStringLiteral("%1 timeouts ended before their deadline").arg(early));
}

} // namespace bench
