// Item 7: many sockets, each with a call blocked in the kernel at once (recv, accept and
// connect, both timeout mechanisms): the threads and memory they take, and how soon Stop ends
// the last of them. Beside it, in the same run, Python holding the same calls in a thread
// each and ending them the only way it can, shutdown() on every socket (calls_ref.py).
#include "Bench.h"

#include "../TestSupport.h"
#include "Coordinator.h"

#include <QDir>
#include <QFile>
#include <QJsonDocument>
#include <QProcess>

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

using namespace socklab;
using namespace socklab::test;

namespace bench {

namespace {

int threadCount()
{
    return int(QDir(QStringLiteral("/proc/self/task"))
                   .entryList(QDir::Dirs | QDir::NoDotAndDotDot)
                   .size());
}

double rssKb()
{
    return procKb(QStringLiteral("/proc/self/status"), "VmRSS:");
}

// A listener whose accept queue is full: backlog 0 holds one connection, which `filler`
// makes; the kernel drops every later SYN, so a connect() to it blocks until Stop (or the
// SYN retries run out, minutes later). Returns its port (0 on failure).
quint16 fullListener(int *listenFd, int *filler)
{
    *listenFd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    if (*listenFd < 0 || ::bind(*listenFd, reinterpret_cast<sockaddr *>(&a), sizeof a) != 0 ||
        ::listen(*listenFd, 0) != 0 ||
        ::getsockname(*listenFd, reinterpret_cast<sockaddr *>(&a), &len) != 0)
        return 0;
    *filler = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (*filler < 0 || ::connect(*filler, reinterpret_cast<sockaddr *>(&a), sizeof a) != 0)
        return 0;
    return ntohs(a.sin_port);
}

SocketOptions blocking(TimeoutMechanism m)
{
    SocketOptions o;
    o.mechanism = m; // every timeout "none": the call returns when something happens, or never
    return o;
}

} // namespace

void runCalls(const Context &c, Result *r)
{
    const int n = c.smoke ? 12 : 100;
    raiseFdLimit(4000);
    r->metrics.insert(QStringLiteral("calls"), n);
    r->metrics.insert(QStringLiteral("thread_bound"), Coordinator::kMaxCallThreads);

    Engine engine;
    EventRecorder rec(engine.bus());
    engine.run({peer(PeerBehavior::Silent)});
    if (!waitUntil([&] { return rec.finished(); }, 10000) ||
        !rec.has(EventKind::Listening, QStringLiteral("peer"))) {
        r->fail(QStringLiteral("the silent peer did not start:\n") + rec.dump());
        return;
    }
    int fullFd = -1, fillerFd = -1;
    const quint16 full = fullListener(&fullFd, &fillerFd);
    const auto closeFull = [&] {
        for (int fd : {fillerFd, fullFd})
            if (fd >= 0)
                ::close(fd);
    };
    if (!full) {
        closeFull();
        r->fail(QStringLiteral("could not make a listener with a full accept queue"));
        return;
    }
    spin(300); // the engine's own threads settle (the monitor's first refresh, the peer's)
    const int threadsBefore = threadCount();
    const double rssBefore = rssKb();

    // One run per socket, so one call thread each: i % 3 picks recv, accept or connect, and
    // the mechanism alternates every three.
    QList<std::pair<EventKind, QString>> blocked;
    for (int i = 0; i < n; ++i) {
        const TimeoutMechanism m = (i / 3) % 2 ? TimeoutMechanism::SockOpt : TimeoutMechanism::Poll;
        const QString id = QString::number(i + 1);
        switch (i % 3) {
        case 0: {
            const QString s = QStringLiteral("c") + id;
            engine.run({connectToPeer(blocking(m), s), recv(s)});
            blocked.append({EventKind::Receiving, s});
            break;
        }
        case 1: {
            const QString l = QStringLiteral("L") + id;
            engine.run({listen(l, 0, blocking(m)), accept(l)});
            blocked.append({EventKind::Accepting, l});
            break;
        }
        default: {
            const QString s = QStringLiteral("c") + id;
            Step step = connectTo(full, s);
            step.options = blocking(m);
            engine.run({step});
            blocked.append({EventKind::Connecting, s});
        }
        }
    }
    const auto allStarted = [&] {
        for (const auto &[k, s] : std::as_const(blocked))
            if (!rec.has(k, s))
                return false;
        return true;
    };
    if (!waitUntil(allStarted, 20000)) {
        closeFull();
        r->fail(QStringLiteral("not every call started (%1 runs waiting for a thread):\n%2")
                    .arg(rec.count(EventKind::Queued))
                    .arg(rec.dump().right(4000)));
        return;
    }
    spin(300); // each call is now in the kernel (the events are posted just before it)
    if (rec.has(EventKind::Cancelled) || rec.has(EventKind::Error) || rec.has(EventKind::Timeout)) {
        closeFull();
        r->fail(QStringLiteral("a call ended before Stop:\n") + rec.dump().right(4000));
        return;
    }
    r->metrics.insert(QStringLiteral("threads_added"), threadCount() - threadsBefore);
    r->metrics.insert(QStringLiteral("rss_added_mb"), (rssKb() - rssBefore) / 1024.0);
    r->metrics.insert(QStringLiteral("rss_per_call_kb"), (rssKb() - rssBefore) / n);

    const qint64 stopNs = platform::monotonicNs();
    const quint64 stopId = engine.stop();
    const auto allCancelled = [&] {
        for (const auto &[k, s] : std::as_const(blocked))
            if (!rec.has(EventKind::Cancelled, s))
                return false;
        return true;
    };
    if (!waitUntil(allCancelled, 10000)) {
        closeFull();
        r->fail(QStringLiteral("Stop did not end every call:\n") + rec.dump().right(4000));
        return;
    }
    std::vector<double> ms;
    for (const auto &[k, s] : std::as_const(blocked))
        ms.push_back((rec.first(EventKind::Cancelled, s).monoNs - stopNs) / 1e6);
    r->metrics.insert(QStringLiteral("stop_last_ms"), maxOf(ms));
    r->metrics.insert(QStringLiteral("stop_median_ms"), median(ms));
    r->samples.insert(QStringLiteral("stop_ms"), toJsonArray(ms));
    // And the threads themselves gone: what is left of the engine is what it had before.
    const bool gone = waitUntil([&] { return threadCount() <= threadsBefore; }, 10000);
    r->metrics.insert(QStringLiteral("threads_gone_ms"),
                      gone ? (platform::monotonicNs() - stopNs) / 1e6 : -1.0);

    // The reference, against the same silent peer (the engine's Stop stopped it: start it
    // again) and the same full listener.
    const QString python = findTool(QStringLiteral("python3"));
    if (python.isEmpty()) {
        r->notes << QStringLiteral("python3 not found: the Python reference was skipped.");
        closeFull();
        return;
    }
    // The Stop's own Finished first: it comes after every close, and must not be taken for
    // the next run's.
    const auto stopFinished = [&] {
        for (const Event &e : rec.of(EventKind::Finished))
            if (e.run == stopId)
                return true;
        return false;
    };
    if (!waitUntil(stopFinished, 10000)) {
        closeFull();
        r->fail(QStringLiteral("Stop did not finish"));
        return;
    }
    rec.clear();
    engine.run({peer(PeerBehavior::Silent)});
    if (!waitUntil([&] { return rec.finished(); }, 10000) ||
        !rec.has(EventKind::Listening, QStringLiteral("peer"))) {
        closeFull();
        r->fail(QStringLiteral("the silent peer did not start again:\n") + rec.dump());
        return;
    }
    QProcess py;
    py.start(python,
             {QStringLiteral(SOCKLAB_BENCH_DIR "/calls_ref.py"), QStringLiteral("127.0.0.1"),
              QString::number(rec.listeningPort(QStringLiteral("peer"))), QString::number(full),
              QString::number(n)});
    const bool ran = waitUntil([&] { return py.state() == QProcess::NotRunning; }, 60000);
    closeFull();
    engine.stop();
    const QJsonObject o = QJsonDocument::fromJson(py.readAllStandardOutput().trimmed()).object();
    if (!ran || py.exitCode() != 0 || o.isEmpty()) {
        r->fail(QStringLiteral("python reference failed: ") +
                QString::fromUtf8(py.readAllStandardError()));
        return;
    }
    r->metrics.insert(QStringLiteral("python"), o.value(QStringLiteral("python")).toString());
    r->metrics.insert(QStringLiteral("py_threads_added"), o.value(QStringLiteral("threads")));
    r->metrics.insert(QStringLiteral("py_rss_added_mb"),
                      o.value(QStringLiteral("rss_kb")).toDouble() / 1024.0);
    r->metrics.insert(QStringLiteral("py_end_all_ms"),
                      o.value(QStringLiteral("end_all_ns")).toDouble() / 1e6);
    r->metrics.insert(QStringLiteral("py_still_blocked"), o.value(QStringLiteral("still_blocked")));
}

} // namespace bench
