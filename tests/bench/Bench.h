#pragma once

// The benchmark harness (socklab-bench). Each item runs in its own child process and prints
// one JSON object; the driver (BenchMain.cpp) runs every item several times, aggregates and
// writes docs/PERFORMANCE.md. Everything measured here is real: loopback sockets, the real
// engine, monitor, event bus and log widgets, and the reference tools themselves.

#include "Options.h"

#include <QJsonArray>
#include <QJsonObject>
#include <QProcessEnvironment>
#include <QString>
#include <QStringList>

#include <functional>
#include <vector>

namespace bench {

struct Context
{
    bool smoke = false; // tiny sizes: proves each item still runs, measures nothing useful
    QString self;       // this executable, for child runs
};

// What one item reports: metrics (numbers or strings) and plain notes for the report.
struct Result
{
    QJsonObject metrics;
    QJsonObject samples; // raw per-call values, pooled across runs by the driver
    QStringList notes;
    bool ok = true;
    QString failure;

    void fail(const QString &why)
    {
        ok = false;
        failure = why;
    }
    QJsonObject toJson(const QString &item) const;
};

// Statistics. Percentiles are nearest-rank: with 50 samples p99 is the largest one.
double median(std::vector<double> v);
double percentile(std::vector<double> v, double p);
double maxOf(const std::vector<double> &v);
double minOf(const std::vector<double> &v);
QJsonArray toJsonArray(const std::vector<double> &v);
std::vector<double> fromJsonArray(const QJsonArray &a);

qint64 nowNs(); // CLOCK_MONOTONIC
// Runs the calling thread's event loop until done() or timeoutMs; checks every millisecond.
bool waitUntil(const std::function<bool()> &done, int timeoutMs);
void spin(int ms); // runs the event loop for ms

// CPU time (ns, from /proc/self/task/*/schedstat) of this process's threads named `comm`.
qint64 threadCpuNs(const QString &comm);
qint64 processCpuNs();
// Heap bytes in use (mallinfo2: arenas plus mmapped blocks), for bytes-per-event figures.
qint64 heapInUse();
// A "Key: N kB" line's N from a /proc file (status, smaps_rollup); 0 if there is none.
double procKb(const QString &path, const QByteArray &key);
// Raises RLIMIT_NOFILE's soft limit toward `wanted` (at most the hard limit); returns it.
long raiseFdLimit(long wanted);
QString findTool(const QString &name); // PATH, then /usr/sbin and /sbin

// BenchStartup.cpp: starts the window `app` in a fresh temporary HOME with `env`, and times it
// from exec to its first frame (the first "Flushing ... of MainWindow" of Qt's
// qt.widgets.painting log); then, idleMs later, reads its memory, and ends it.
struct Launch
{
    double firstPaintMs = -1;
    double rssMb = 0;
    double pssMb = 0;
};
bool launchWindow(const QString &app, const QProcessEnvironment &env, int idleMs, Launch *out,
                  QString *why);

// The items. Each fills *r; a false r->ok fails the run (a missed target does not).
void runTimeouts(const Context &c, Result *r);
void runProbes(const Context &c, Result *r);
void runPipeline(const Context &c, Result *r);
void runTable(const Context &c, Result *r);
void runStartup(const Context &c, Result *r);
void runLab(const Context &c, Result *r);
void runCalls(const Context &c, Result *r);
void runWindow(const Context &c, Result *r);  // needs a QApplication
void runLessons(const Context &c, Result *r); // needs a QApplication
void runBuild(const Context &c, Result *r);

// BenchProbes.cpp: the share of a core the monitor (and in a lab the capture) takes while the
// engine holds `conns` idle keepalive connections with options `o`, over `seconds`; metrics
// NAME_monitor_pct, NAME_wire_pct (lab), NAME_process_pct, NAME_events_per_s, ...
bool keepaliveCost(const QString &name, int conns, const socklab::SocketOptions &o, int seconds,
                   int settleMs, bool lab, Result *r);

} // namespace bench
