// socklab-bench: the performance harness. See docs/PERFORMANCE.md (which it writes) and
// scripts/bench.sh (which builds it in Release and runs it).
//
//   socklab-bench run [--smoke] [--runs N] [--only item,...] [--report FILE] [--json FILE]
//                     [--baseline FILE]
//   socklab-bench item NAME [--smoke]      (one run of one item; prints one JSON object)
//   socklab-bench report --json FILE [--merge FILE ...] --report FILE [--baseline FILE]
//                                          (the report again, with other runs' items added;
//                                          an item in a merged file replaces its runs here)
//
// `run` starts every item in a child process of its own (a clean heap, no threads left over
// from another item), run after run, interleaving the items so that a change in the
// machine's load spreads over all of them; then writes medians and spreads.
#include "Bench.h"

#include <QApplication>
#include <QCoreApplication>
#include <QDateTime>
#include <QFile>
#include <QJsonDocument>
#include <QMap>
#include <QProcess>
#include <QSysInfo>
#include <QTextStream>
#include <QThread>

#include <cmath>
#include <cstdio>
#include <optional>

namespace bench {

namespace {

const QStringList kItems{QStringLiteral("timeouts"), QStringLiteral("probes"),
                         QStringLiteral("pipeline"), QStringLiteral("table"),
                         QStringLiteral("startup"),  QStringLiteral("lab"),
                         QStringLiteral("calls"),    QStringLiteral("window"),
                         QStringLiteral("lessons"),  QStringLiteral("build")};

QTextStream &err()
{
    static QTextStream s(stderr);
    return s;
}

QString readFile(const QString &path)
{
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? QString::fromUtf8(f.readAll()) : QString();
}

QString run(const QString &program, const QStringList &args)
{
    QProcess p;
    p.start(program, args);
    if (!p.waitForFinished(10000))
        return {};
    return QString::fromUtf8(p.readAllStandardOutput() + p.readAllStandardError()).trimmed();
}

QString loadAverage()
{
    return readFile(QStringLiteral("/proc/loadavg")).section(QLatin1Char(' '), 0, 2);
}

QJsonObject machine()
{
    QJsonObject m;
    QString model;
    int cpus = 0;
    for (const QString &line : readFile(QStringLiteral("/proc/cpuinfo")).split(QLatin1Char('\n'))) {
        if (line.startsWith(QLatin1String("model name"))) {
            model = line.section(QLatin1Char(':'), 1).trimmed();
            ++cpus;
        }
    }
    m.insert(QStringLiteral("cpu"), model);
    m.insert(QStringLiteral("cpus"), cpus);
    m.insert(QStringLiteral("kernel"), QSysInfo::kernelVersion());
    m.insert(QStringLiteral("os"), QSysInfo::prettyProductName());
    QString hz =
        run(QStringLiteral("sh"),
            {QStringLiteral("-c"),
             QStringLiteral("(zcat /proc/config.gz 2>/dev/null || cat /boot/config-$(uname "
                            "-r) 2>/dev/null) | grep '^CONFIG_HZ='")});
    m.insert(QStringLiteral("hz"), hz.section(QLatin1Char('='), 1));
    const QString mem = readFile(QStringLiteral("/proc/meminfo")).section(QLatin1Char('\n'), 0, 0);
    m.insert(QStringLiteral("memory_gb"),
             mem.section(QLatin1Char(':'), 1).trimmed().section(QLatin1Char(' '), 0, 0).toDouble() /
                 1024 / 1024);
    m.insert(QStringLiteral("qt_build"), QStringLiteral(QT_VERSION_STR));
    m.insert(QStringLiteral("qt_runtime"), QString::fromLatin1(qVersion()));
    m.insert(QStringLiteral("compiler"), QStringLiteral("GCC " __VERSION__));
    m.insert(QStringLiteral("build_type"), QStringLiteral(SOCKLAB_BENCH_BUILD_TYPE));
    m.insert(QStringLiteral("tcpdump"),
             findTool(QStringLiteral("tcpdump")).isEmpty()
                 ? QStringLiteral("not installed")
                 : run(findTool(QStringLiteral("tcpdump")), {QStringLiteral("--version")})
                       .section(QLatin1Char('\n'), 0, 0));
    m.insert(QStringLiteral("ss"),
             findTool(QStringLiteral("ss")).isEmpty()
                 ? QStringLiteral("not installed")
                 : run(findTool(QStringLiteral("ss")), {QStringLiteral("-V")}));
    const QString src = QStringLiteral(SOCKLAB_SOURCE_DIR);
    const QString head =
        run(QStringLiteral("git"), {QStringLiteral("-C"), src, QStringLiteral("rev-parse"),
                                    QStringLiteral("--short"), QStringLiteral("HEAD")});
    const QString dirty =
        run(QStringLiteral("git"),
            {QStringLiteral("-C"), src, QStringLiteral("status"), QStringLiteral("--porcelain")});
    m.insert(QStringLiteral("commit"),
             head.isEmpty()
                 ? QStringLiteral("unknown")
                 : head + (dirty.isEmpty() ? QString() : QStringLiteral(" + uncommitted changes")));
    m.insert(QStringLiteral("date"), QDateTime::currentDateTime().toString(Qt::ISODate));
    return m;
}

// --- one item in this process --------------------------------------------------------------

int runItem(const QString &name, const Context &c)
{
    Result r;
    if (name == QLatin1String("timeouts"))
        runTimeouts(c, &r);
    else if (name == QLatin1String("probes"))
        runProbes(c, &r);
    else if (name == QLatin1String("pipeline"))
        runPipeline(c, &r);
    else if (name == QLatin1String("table"))
        runTable(c, &r);
    else if (name == QLatin1String("startup"))
        runStartup(c, &r);
    else if (name == QLatin1String("lab"))
        runLab(c, &r);
    else if (name == QLatin1String("calls"))
        runCalls(c, &r);
    else if (name == QLatin1String("window"))
        runWindow(c, &r);
    else if (name == QLatin1String("lessons"))
        runLessons(c, &r);
    else if (name == QLatin1String("build"))
        runBuild(c, &r);
    else {
        err() << "socklab-bench: no item '" << name << "' (" << kItems.join(QLatin1Char(','))
              << ")\n";
        return 2;
    }
    // One line, last on stdout: the driver reads it.
    const QByteArray json = QJsonDocument(r.toJson(name)).toJson(QJsonDocument::Compact);
    std::fwrite(json.constData(), 1, size_t(json.size()), stdout);
    std::fputc('\n', stdout);
    std::fflush(stdout);
    return r.ok ? 0 : 1;
}

// --- the driver ----------------------------------------------------------------------------

QJsonObject runChild(const Context &c, const QString &item, double *seconds)
{
    QProcess p;
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    if (!env.contains(QStringLiteral("QT_QPA_PLATFORM")))
        env.insert(QStringLiteral("QT_QPA_PLATFORM"), QStringLiteral("offscreen"));
    p.setProcessEnvironment(env);
    p.setProcessChannelMode(QProcess::SeparateChannels);
    QStringList args{QStringLiteral("item"), item};
    if (c.smoke)
        args << QStringLiteral("--smoke");
    const qint64 t0 = nowNs();
    p.start(c.self, args);
    p.waitForFinished(30 * 60 * 1000);
    *seconds = (nowNs() - t0) / 1e9;
    const QList<QByteArray> lines = p.readAllStandardOutput().trimmed().split('\n');
    QJsonObject o = QJsonDocument::fromJson(lines.last()).object();
    if (o.isEmpty()) {
        o.insert(QStringLiteral("item"), item);
        o.insert(QStringLiteral("ok"), false);
        o.insert(QStringLiteral("failure"),
                 QStringLiteral("exit %1, no result: %2")
                     .arg(p.exitCode())
                     .arg(QString::fromUtf8(p.readAllStandardError().right(3000))));
    }
    return o;
}

struct Agg
{
    std::vector<double> values; // one per run
    QString text;               // for string metrics
    double med() const { return median(values); }
    double lo() const { return minOf(values); }
    double hi() const { return maxOf(values); }
};

using Table = QMap<QString, QMap<QString, Agg>>; // item -> metric -> runs

Table aggregate(const QJsonArray &results)
{
    Table t;
    for (const auto &v : results) {
        const QJsonObject o = v.toObject();
        if (!o.value(QStringLiteral("ok")).toBool())
            continue;
        const QString item = o.value(QStringLiteral("item")).toString();
        const QJsonObject m = o.value(QStringLiteral("metrics")).toObject();
        for (auto it = m.begin(); it != m.end(); ++it) {
            Agg &a = t[item][it.key()];
            if (it.value().isDouble())
                a.values.push_back(it.value().toDouble());
            else if (it.value().isBool())
                a.values.push_back(it.value().toBool() ? 1 : 0);
            else
                a.text = it.value().toString();
        }
    }
    return t;
}

std::vector<double> pooled(const QJsonArray &results, const QString &item, const QString &key)
{
    std::vector<double> all;
    for (const auto &v : results) {
        const QJsonObject o = v.toObject();
        if (o.value(QStringLiteral("item")).toString() != item)
            continue;
        const auto s =
            fromJsonArray(o.value(QStringLiteral("samples")).toObject().value(key).toArray());
        all.insert(all.end(), s.begin(), s.end());
    }
    return all;
}

QString num(double v, int decimals)
{
    if (std::isnan(v))
        return QStringLiteral("–");
    if (std::abs(v) >= 10000 && decimals == 0) {
        QString s = QString::number(v, 'f', 0);
        for (int i = s.size() - 3; i > (s.startsWith(QLatin1Char('-')) ? 1 : 0); i -= 3)
            s.insert(i, QLatin1Char(','));
        return s;
    }
    return QString::number(v, 'f', decimals);
}

// How a row reduces its runs: the median, or the worst run when the target says "never".
enum class Reduce
{
    Median,
    Max,
    Min
};

struct Row
{
    QString item;
    QString key;
    QString label;
    QString unit;
    int decimals = 2;
    Reduce reduce = Reduce::Median;
    QString target;                    // empty: no target
    std::function<bool(double)> meets; // null: no target
};

double reduced(const Agg &a, Reduce r)
{
    switch (r) {
    case Reduce::Max:
        return a.hi();
    case Reduce::Min:
        return a.lo();
    case Reduce::Median:
        break;
    }
    return a.med();
}

const Agg *find(const Table &t, const QString &item, const QString &key)
{
    const auto it = t.constFind(item);
    if (it == t.constEnd())
        return nullptr;
    const auto jt = it->constFind(key);
    return jt == it->constEnd() ? nullptr : &*jt;
}

QString cell(const Table &t, const Row &row)
{
    const Agg *a = find(t, row.item, row.key);
    if (!a)
        return QStringLiteral("–");
    if (a->values.empty())
        return a->text;
    const QString unit = row.unit.isEmpty() ? QString() : QLatin1Char(' ') + row.unit;
    QString s = num(reduced(*a, row.reduce), row.decimals) + unit;
    if (a->values.size() > 1)
        s += QStringLiteral(" (%1–%2)").arg(num(a->lo(), row.decimals), num(a->hi(), row.decimals));
    return s;
}

QString verdict(const Table &t, const Row &row)
{
    const Agg *a = find(t, row.item, row.key);
    if (!row.meets)
        return {};
    if (!a || a->values.empty())
        return QStringLiteral("not measured");
    const int runs = int(a->values.size());
    const int ok = int(std::count_if(a->values.begin(), a->values.end(), row.meets));
    const bool met = row.meets(reduced(*a, row.reduce));
    QString s = met ? QStringLiteral("**met**") : QStringLiteral("**not met**");
    if (runs > 1)
        s += QStringLiteral(" (%1/%2 runs)").arg(ok).arg(runs);
    return s;
}

QList<Row> rows()
{
    const auto atMost = [](double x) { return [x](double v) { return v <= x; }; };
    const auto below = [](double x) { return [x](double v) { return v < x; }; };
    const auto atLeast = [](double x) { return [x](double v) { return v >= x; }; };
    const QString t = QStringLiteral("timeouts"), p = QStringLiteral("probes"),
                  l = QStringLiteral("pipeline"), s = QStringLiteral("table"),
                  u = QStringLiteral("startup"), b = QStringLiteral("lab"),
                  k = QStringLiteral("calls"), w = QStringLiteral("window"),
                  n = QStringLiteral("lessons"), d = QStringLiteral("build");
    return {
        {t, QStringLiteral("poll_median_ms"), QStringLiteral("poll: median overshoot"),
         QStringLiteral("ms"), 3, Reduce::Median, QStringLiteral("≤ 0.2 ms"), atMost(0.2)},
        {t, QStringLiteral("poll_p99_ms"), QStringLiteral("poll: p99 overshoot"),
         QStringLiteral("ms"), 3, Reduce::Median, QStringLiteral("≤ 1 ms"), atMost(1.0)},
        {t, QStringLiteral("poll_not_worse_than_python"),
         QStringLiteral("poll median and p99 ≤ Python's, same run"), QString(), 0, Reduce::Min,
         QStringLiteral("every run"), atLeast(1)},
        {t,
         QStringLiteral("ratio_poll_python_median"),
         QStringLiteral("poll / Python, median overshoot"),
         QStringLiteral("×"),
         2,
         Reduce::Median,
         {},
         {}},
        {t,
         QStringLiteral("ratio_poll_python_p99"),
         QStringLiteral("poll / Python, p99 overshoot"),
         QStringLiteral("×"),
         2,
         Reduce::Median,
         {},
         {}},
        {t,
         QStringLiteral("sockopt_median_ms"),
         QStringLiteral("sockopt (SO_RCVTIMEO): median overshoot"),
         QStringLiteral("ms"),
         3,
         Reduce::Median,
         {},
         {}},
        {t,
         QStringLiteral("sockopt_p99_ms"),
         QStringLiteral("sockopt (SO_RCVTIMEO): p99 overshoot"),
         QStringLiteral("ms"),
         3,
         Reduce::Median,
         {},
         {}},
        {t,
         QStringLiteral("sockopt_early"),
         QStringLiteral("sockopt (SO_RCVTIMEO): calls the kernel ended before the deadline "
                        "(most in a run)"),
         QString(),
         0,
         Reduce::Max,
         {},
         {}},
        {t,
         QStringLiteral("python_median_ms"),
         QStringLiteral("Python settimeout: median overshoot"),
         QStringLiteral("ms"),
         3,
         Reduce::Median,
         {},
         {}},
        {t,
         QStringLiteral("python_p99_ms"),
         QStringLiteral("Python settimeout: p99 overshoot"),
         QStringLiteral("ms"),
         3,
         Reduce::Median,
         {},
         {}},
        {t, QStringLiteral("len_poll_max_ms"),
         QStringLiteral("poll at 10 ms, 100 ms, 1 s, 10 s and 100 s: worst overshoot (worst run)"),
         QStringLiteral("ms"), 3, Reduce::Max, QStringLiteral("≤ 0.5 ms"), atMost(0.5)},
        // One call of each per length and run: a count of samples, not a target. Where poll()
        // has little slack (10 ms: 10 µs) the two differ by the machine's noise, and where it
        // has much (10 s: 10 ms) the kernel may still wake Python early in it; the issue's
        // goal is the row above.
        {t,
         QStringLiteral("len_poll_beats_python"),
         QStringLiteral("poll ≤ Python at every length, same run (one call each)"),
         QString(),
         0,
         Reduce::Min,
         {},
         {}},
        {t,
         QStringLiteral("floor_p99_ms"),
         QStringLiteral("the machine's floor: a bare C timerfd wait, 1,000 × 20 ms: p99 late"),
         QStringLiteral("ms"),
         3,
         Reduce::Median,
         {},
         {}},
        {t,
         QStringLiteral("floor_max_ms"),
         QStringLiteral("the machine's floor: worst wait late (worst run)"),
         QStringLiteral("ms"),
         3,
         Reduce::Max,
         {},
         {}},
        {t,
         QStringLiteral("floor_over_1ms"),
         QStringLiteral("the machine's floor: waits more than 1 ms late, of 1,000"),
         QString(),
         0,
         Reduce::Median,
         {},
         {}},
        {t,
         QStringLiteral("floor_late_run_delay"),
         QStringLiteral("the floor's waits more than 0.5 ms late, mostly ready to run but not "
                        "running (worst run)"),
         QString(),
         0,
         Reduce::Max,
         {},
         {}},
        {t,
         QStringLiteral("floor_late_woken"),
         QStringLiteral("the floor's waits more than 0.5 ms late, mostly in the wake-up itself "
                        "(worst run)"),
         QString(),
         0,
         Reduce::Max,
         {},
         {}},
        {t,
         QStringLiteral("fresh_poll_median_ms"),
         QStringLiteral("a fresh socklab-cli process per call: median overshoot"),
         QStringLiteral("ms"),
         3,
         Reduce::Median,
         {},
         {}},
        {t,
         QStringLiteral("fresh_python_median_ms"),
         QStringLiteral("a fresh Python process per call: median overshoot"),
         QStringLiteral("ms"),
         3,
         Reduce::Median,
         {},
         {}},
        {t,
         QStringLiteral("fresh_poll_p99_ms"),
         QStringLiteral("a fresh socklab-cli process per call: worst overshoot"),
         QStringLiteral("ms"),
         3,
         Reduce::Median,
         {},
         {}},
        {t,
         QStringLiteral("fresh_python_p99_ms"),
         QStringLiteral("a fresh Python process per call: worst overshoot"),
         QStringLiteral("ms"),
         3,
         Reduce::Median,
         {},
         {}},
        {t, QStringLiteral("fresh_poll_not_worse_than_python"),
         QStringLiteral("fresh process: socklab-cli median and worst ≤ Python's, same run"),
         QString(), 0, Reduce::Min, QStringLiteral("every run"), atLeast(1)},
        {p,
         QStringLiteral("accuracy_method"),
         QStringLiteral("time on the wire from"),
         QString(),
         0,
         Reduce::Median,
         {},
         {}},
        {p, QStringLiteral("gap_median_ms"), QStringLiteral("probe_sent after the wire: median"),
         QStringLiteral("ms"), 2, Reduce::Median, QStringLiteral("≤ 5 ms"), atMost(5)},
        {p, QStringLiteral("gap_max_ms"),
         QStringLiteral("probe_sent after the wire: worst (worst run)"), QStringLiteral("ms"), 2,
         Reduce::Max, QStringLiteral("≤ 20 ms"), atMost(20)},
        {p,
         QStringLiteral("accuracy_n"),
         QStringLiteral("probes matched per run"),
         QString(),
         0,
         Reduce::Median,
         {},
         {}},
        {p, QStringLiteral("idle_monitor_pct"),
         QStringLiteral("monitor CPU, 1,000 keepalive connections, system defaults (no probes)"),
         QStringLiteral("% of a core"), 2, Reduce::Median, QStringLiteral("≤ 5 %"), atMost(5)},
        {p, QStringLiteral("probing_monitor_pct"),
         QStringLiteral("monitor CPU, 1,000 connections probing every second"),
         QStringLiteral("% of a core"), 2, Reduce::Median, QStringLiteral("≤ 5 %"), atMost(5)},
        {p,
         QStringLiteral("idle_process_pct"),
         QStringLiteral("whole process CPU, no probes"),
         QStringLiteral("% of a core"),
         2,
         Reduce::Median,
         {},
         {}},
        {p,
         QStringLiteral("probing_process_pct"),
         QStringLiteral("whole process CPU, probing (incl. 2,000 events/s consumed)"),
         QStringLiteral("% of a core"),
         2,
         Reduce::Median,
         {},
         {}},
        {p,
         QStringLiteral("probing_probes_per_s"),
         QStringLiteral("probes observed per second while probing"),
         QString(),
         0,
         Reduce::Median,
         {},
         {}},
        {l, QStringLiteral("logview_rate_eps"),
         QStringLiteral("LogView: events ingested per second"), QStringLiteral("/s"), 0,
         Reduce::Median, QStringLiteral("≥ 500,000 /s"), atLeast(500000)},
        {l, QStringLiteral("logview_stall_ms"),
         QStringLiteral("LogView: longest event-loop stall (worst run)"), QStringLiteral("ms"), 1,
         Reduce::Max, QStringLiteral("≤ 50 ms"), atMost(50)},
        {l, QStringLiteral("logview_bytes_per_event"),
         QStringLiteral("LogView: heap per stored event (model + proxy + view)"),
         QStringLiteral("B"), 0, Reduce::Median, QStringLiteral("≤ 150 B"), atMost(150)},
        {l,
         QStringLiteral("model_bytes_per_event"),
         QStringLiteral("LogModel alone: heap per stored event"),
         QStringLiteral("B"),
         0,
         Reduce::Median,
         {},
         {}},
        {l,
         QStringLiteral("plaintext_rate_eps"),
         QStringLiteral("QPlainTextEdit: lines per second"),
         QStringLiteral("/s"),
         0,
         Reduce::Median,
         {},
         {}},
        {l,
         QStringLiteral("plaintext_stall_ms"),
         QStringLiteral("QPlainTextEdit: longest stall (worst run)"),
         QStringLiteral("ms"),
         1,
         Reduce::Max,
         {},
         {}},
        {l,
         QStringLiteral("plaintext_bytes_per_event"),
         QStringLiteral("QPlainTextEdit: heap per line"),
         QStringLiteral("B"),
         0,
         Reduce::Median,
         {},
         {}},
        {l,
         QStringLiteral("ratio_logview_plaintext_rate"),
         QStringLiteral("LogView / QPlainTextEdit, ingest rate"),
         QStringLiteral("×"),
         1,
         Reduce::Median,
         {},
         {}},
        {s,
         QStringLiteral("dump_ms"),
         QStringLiteral("sock_diag dump into rows (median of 20)"),
         QStringLiteral("ms"),
         2,
         Reduce::Median,
         {},
         {}},
        {s,
         QStringLiteral("monitor_refresh_ms"),
         QStringLiteral("the window's refresh (dump, match, diff)"),
         QStringLiteral("ms"),
         2,
         Reduce::Median,
         {},
         {}},
        {s,
         QStringLiteral("ss_ms"),
         QStringLiteral("`ss -tan`, exec to exit (median of 20)"),
         QStringLiteral("ms"),
         2,
         Reduce::Median,
         {},
         {}},
        {s, QStringLiteral("ratio_dump_ss"), QStringLiteral("sock_diag dump / ss"),
         QStringLiteral("×"), 2, Reduce::Median, QStringLiteral("≤ 1 (no slower than ss)"),
         atMost(1)},
        {s, QStringLiteral("ratio_monitor_ss"), QStringLiteral("window's refresh / ss"),
         QStringLiteral("×"), 2, Reduce::Median, QStringLiteral("≤ 1"), atMost(1)},
        {u, QStringLiteral("offscreen_first_paint_ms"),
         QStringLiteral("exec → first painted window, offscreen"), QStringLiteral("ms"), 0,
         Reduce::Median, QStringLiteral("< 300 ms"), below(300)},
        {u, QStringLiteral("offscreen_rss_mb"), QStringLiteral("idle RSS, offscreen"),
         QStringLiteral("MB"), 1, Reduce::Median, QStringLiteral("< 80 MB"), below(80)},
        {u,
         QStringLiteral("offscreen_pss_mb"),
         QStringLiteral("idle PSS, offscreen"),
         QStringLiteral("MB"),
         1,
         Reduce::Median,
         {},
         {}},
        {u, QStringLiteral("xvfb_first_paint_ms"),
         QStringLiteral("exec → first painted window, Xvfb (xcb)"), QStringLiteral("ms"), 0,
         Reduce::Median, QStringLiteral("< 300 ms"), below(300)},
        {u, QStringLiteral("xvfb_rss_mb"), QStringLiteral("idle RSS, Xvfb (xcb)"),
         QStringLiteral("MB"), 1, Reduce::Median, QStringLiteral("< 80 MB"), below(80)},
        {u,
         QStringLiteral("xvfb_pss_mb"),
         QStringLiteral("idle PSS, Xvfb (xcb)"),
         QStringLiteral("MB"),
         1,
         Reduce::Median,
         {},
         {}},
        {b, QStringLiteral("setup_ms_median"), QStringLiteral("lab set-up: median"),
         QStringLiteral("ms"), 2, Reduce::Max, QStringLiteral("< 100 ms"), below(100)},
        {b, QStringLiteral("setup_ms_max"), QStringLiteral("lab set-up: worst"),
         QStringLiteral("ms"), 2, Reduce::Max, QStringLiteral("< 100 ms"), below(100)},
        {b,
         QStringLiteral("reference_ms_median"),
         QStringLiteral("reference: unshare -Urn + ip (1 namespace, 1 veth), median"),
         QStringLiteral("ms"),
         2,
         Reduce::Median,
         {},
         {}},
        {b, QStringLiteral("teardown_ms_median"), QStringLiteral("lab tear-down: median"),
         QStringLiteral("ms"), 2, Reduce::Max, QStringLiteral("< 100 ms"), below(100)},
        {b, QStringLiteral("teardown_ms_max"), QStringLiteral("lab tear-down: worst"),
         QStringLiteral("ms"), 2, Reduce::Max, QStringLiteral("< 100 ms"), below(100)},
        {b,
         QStringLiteral("posted_ms_median"),
         QStringLiteral("segment event posted after its frame: median"),
         QStringLiteral("ms"),
         3,
         Reduce::Max,
         {},
         {}},
        {b,
         QStringLiteral("posted_ms_max"),
         QStringLiteral("segment event posted after its frame: worst"),
         QStringLiteral("ms"),
         3,
         Reduce::Max,
         {},
         {}},
        {b, QStringLiteral("delivery_ms_median"),
         QStringLiteral("segment event after its frame: median"), QStringLiteral("ms"), 3,
         Reduce::Max, QStringLiteral("≤ 1 ms"), atMost(1)},
        {b, QStringLiteral("delivery_ms_max"),
         QStringLiteral("segment event after its frame: worst"), QStringLiteral("ms"), 3,
         Reduce::Max, QStringLiteral("≤ 10 ms"), atMost(10)},
        {b,
         QStringLiteral("flood_MBps_not_captured"),
         QStringLiteral("flood in the lab, not captured"),
         QStringLiteral("MB/s"),
         0,
         Reduce::Median,
         {},
         {}},
        {b,
         QStringLiteral("flood_MBps_captured"),
         QStringLiteral("flood in the lab, captured"),
         QStringLiteral("MB/s"),
         0,
         Reduce::Median,
         {},
         {}},
        {b, QStringLiteral("flood_ratio"), QStringLiteral("captured / not captured, same run"),
         QStringLiteral("×"), 2, Reduce::Min, QStringLiteral("≥ 0.8"), atLeast(0.8)},
        {b,
         QStringLiteral("capture_lost_frames"),
         QStringLiteral("frames the capture lost in the flood (counted and reported)"),
         QString(),
         0,
         Reduce::Max,
         {},
         {}},
        {b, QStringLiteral("lab_idle_watch_pct"),
         QStringLiteral("monitor + capture CPU, 1,000 keepalive connections in the lab, system "
                        "defaults (no probes)"),
         QStringLiteral("% of a core"), 2, Reduce::Max, QStringLiteral("≤ 5 %"), atMost(5)},
        {b, QStringLiteral("lab_probing_watch_pct"),
         QStringLiteral("monitor + capture CPU, 1,000 connections in the lab probing every second"),
         QStringLiteral("% of a core"), 2, Reduce::Max, QStringLiteral("≤ 5 %"), atMost(5)},
        {b,
         QStringLiteral("lab_probing_wire_pct"),
         QStringLiteral("of which the capture (2,000 segments a second)"),
         QStringLiteral("% of a core"),
         2,
         Reduce::Max,
         {},
         {}},
        {k, QStringLiteral("stop_last_ms"),
         QStringLiteral("Stop: the last of the blocked calls ended (worst run)"),
         QStringLiteral("ms"), 2, Reduce::Max, QStringLiteral("≤ 50 ms"), atMost(50)},
        {k,
         QStringLiteral("stop_median_ms"),
         QStringLiteral("Stop: the median call ended"),
         QStringLiteral("ms"),
         2,
         Reduce::Median,
         {},
         {}},
        {k,
         QStringLiteral("threads_gone_ms"),
         QStringLiteral("Stop: every call thread gone (joined)"),
         QStringLiteral("ms"),
         1,
         Reduce::Median,
         {},
         {}},
        {k,
         QStringLiteral("py_end_all_ms"),
         QStringLiteral("reference: Python, shutdown() on every socket to the last thread's "
                        "return"),
         QStringLiteral("ms"),
         2,
         Reduce::Median,
         {},
         {}},
        {k,
         QStringLiteral("threads_added"),
         QStringLiteral("threads the blocked calls added"),
         QString(),
         0,
         Reduce::Median,
         {},
         {}},
        {k,
         QStringLiteral("py_threads_added"),
         QStringLiteral("reference: Python's threads"),
         QString(),
         0,
         Reduce::Median,
         {},
         {}},
        {k,
         QStringLiteral("rss_added_mb"),
         QStringLiteral("resident memory they added"),
         QStringLiteral("MB"),
         2,
         Reduce::Median,
         {},
         {}},
        {k,
         QStringLiteral("py_rss_added_mb"),
         QStringLiteral("reference: Python's"),
         QStringLiteral("MB"),
         2,
         Reduce::Median,
         {},
         {}},
        {w, QStringLiteral("pinned_stall_ms"),
         QStringLiteral("a live flood under 4 pinned (kept) runs: longest stall (worst run)"),
         QStringLiteral("ms"), 1, Reduce::Max, QStringLiteral("≤ 50 ms"), atMost(50)},
        {w, QStringLiteral("four_stall_ms"),
         QStringLiteral("4 flood runs at once under 4 pinned runs: longest stall (worst run)"),
         QStringLiteral("ms"), 1, Reduce::Max, QStringLiteral("≤ 50 ms"), atMost(50)},
        {w, QStringLiteral("keeping_stall_ms"),
         QStringLiteral("flood runs 2 to 4, each under the runs kept before it: longest stall "
                        "(worst run)"),
         QStringLiteral("ms"), 1, Reduce::Max, QStringLiteral("≤ 50 ms"), atMost(50)},
        {w,
         QStringLiteral("one_stall_ms"),
         QStringLiteral("reference: 1 flood run on a clean page: longest stall (worst run)"),
         QStringLiteral("ms"),
         1,
         Reduce::Max,
         {},
         {}},
        {w,
         QStringLiteral("four_events_per_s"),
         QStringLiteral("4 flood runs: events logged per second"),
         QStringLiteral("/s"),
         0,
         Reduce::Median,
         {},
         {}},
        {w,
         QStringLiteral("pinned_events_per_s"),
         QStringLiteral("a live flood under 4 pinned runs: events logged per second"),
         QStringLiteral("/s"),
         0,
         Reduce::Median,
         {},
         {}},
        {w,
         QStringLiteral("one_events_per_s"),
         QStringLiteral("1 flood run: events logged per second"),
         QStringLiteral("/s"),
         0,
         Reduce::Median,
         {},
         {}},
        {n, QStringLiteral("same_events"),
         QStringLiteral("window and socklab-cli: same events and verdict, every lesson"), QString(),
         0, Reduce::Min, QStringLiteral("every run"), atLeast(1)},
        {n, QStringLiteral("worst_deviation_pct"),
         QStringLiteral("window against socklab-cli, first step to verdict: largest difference "
                        "(worst run)"),
         QStringLiteral("%"), 1, Reduce::Max, QStringLiteral("≤ 5 %"), atMost(5)},
        {d,
         QStringLiteral("time_to_window_s"),
         QStringLiteral("launch.sh from a clean tree to the window's first frame"),
         QStringLiteral("s"),
         1,
         Reduce::Median,
         {},
         {}},
        {d,
         QStringLiteral("whole_build_s"),
         QStringLiteral("the whole build (test.sh's)"),
         QStringLiteral("s"),
         1,
         Reduce::Median,
         {},
         {}},
        {d, QStringLiteral("ratio_window_whole"),
         QStringLiteral("time to the window / the whole build (worst run)"), QStringLiteral("×"), 2,
         Reduce::Max, QStringLiteral("≤ 0.5"), atMost(0.5)},
        {d,
         QStringLiteral("configure_s"),
         QStringLiteral("of which configuring"),
         QStringLiteral("s"),
         1,
         Reduce::Median,
         {},
         {}},
        {d,
         QStringLiteral("launch_build_s"),
         QStringLiteral("of which building socklab and socklab-cli"),
         QStringLiteral("s"),
         1,
         Reduce::Median,
         {},
         {}},
        {d,
         QStringLiteral("first_paint_s"),
         QStringLiteral("of which the window's start"),
         QStringLiteral("s"),
         2,
         Reduce::Median,
         {},
         {}},
        {n,
         QStringLiteral("restart_without_reuseaddr_window_s"),
         QStringLiteral("restart-without-reuseaddr: window, first step to verdict"),
         QStringLiteral("s"),
         3,
         Reduce::Median,
         {},
         {}},
        {n,
         QStringLiteral("restart_without_reuseaddr_cli_s"),
         QStringLiteral("restart-without-reuseaddr: socklab-cli"),
         QStringLiteral("s"),
         3,
         Reduce::Median,
         {},
         {}},
        {n,
         QStringLiteral("timeout_vs_keepalive_window_s"),
         QStringLiteral("timeout-vs-keepalive: window, first step to verdict"),
         QStringLiteral("s"),
         3,
         Reduce::Median,
         {},
         {}},
        {n,
         QStringLiteral("timeout_vs_keepalive_cli_s"),
         QStringLiteral("timeout-vs-keepalive: socklab-cli"),
         QStringLiteral("s"),
         3,
         Reduce::Median,
         {},
         {}},
        {n,
         QStringLiteral("keepalive_dead_peer_window_s"),
         QStringLiteral("keepalive-dead-peer: window, first step to verdict"),
         QStringLiteral("s"),
         3,
         Reduce::Median,
         {},
         {}},
        {n,
         QStringLiteral("keepalive_dead_peer_cli_s"),
         QStringLiteral("keepalive-dead-peer: socklab-cli"),
         QStringLiteral("s"),
         3,
         Reduce::Median,
         {},
         {}},
    };
}

QString itemTable(const Table &t, const std::optional<Table> &before, const QString &item)
{
    if (!t.contains(item))
        return QStringLiteral("*Not run in this report's runs (`--only`).*\n");
    QString s;
    s += before ? QStringLiteral("| metric | now: median (min–max) | before | target | verdict "
                                 "|\n|---|---|---|---|---|\n")
                : QStringLiteral(
                      "| metric | median (min–max) | target | verdict |\n|---|---|---|---|\n");
    for (const Row &r : rows()) {
        if (r.item != item || !find(t, r.item, r.key))
            continue;
        s += QStringLiteral("| %1 | %2 |").arg(r.label, cell(t, r));
        if (before)
            s += QStringLiteral(" %1 |").arg(cell(*before, r));
        s += QStringLiteral(" %1 | %2 |\n").arg(r.target, verdict(t, r));
    }
    return s;
}

QString distribution(const QJsonArray &results, const QString &item, const QString &key,
                     const QString &label)
{
    const auto v = pooled(results, item, key);
    if (v.empty())
        return {};
    return QStringLiteral("| %1 | %2 | %3 | %4 | %5 | %6 | %7 |\n")
        .arg(label)
        .arg(v.size())
        .arg(num(minOf(v), 3), num(median(v), 3), num(percentile(v, 90), 3),
             num(percentile(v, 99), 3), num(maxOf(v), 3));
}

QString notesOf(const QJsonArray &results, const QString &item)
{
    QStringList seen;
    for (const auto &v : results) {
        const QJsonObject o = v.toObject();
        if (o.value(QStringLiteral("item")).toString() != item)
            continue;
        for (const auto &n : o.value(QStringLiteral("notes")).toArray()) {
            if (!seen.contains(n.toString()))
                seen << n.toString();
        }
        if (!o.value(QStringLiteral("ok")).toBool())
            seen << QStringLiteral("A run failed: ") +
                        o.value(QStringLiteral("failure")).toString();
    }
    QString s;
    for (const QString &n : seen)
        s += QStringLiteral("- ") + n + QLatin1Char('\n');
    return s;
}

QString report(const QJsonObject &all, const std::optional<QJsonObject> &baseline)
{
    const QJsonObject m = all.value(QStringLiteral("machine")).toObject();
    const QJsonArray results = all.value(QStringLiteral("results")).toArray();
    const Table t = aggregate(results);
    std::optional<Table> before;
    if (baseline)
        before = aggregate(baseline->value(QStringLiteral("results")).toArray());
    const int runs = all.value(QStringLiteral("runs")).toInt();
    const auto metricText = [&](const QString &item, const QString &key) {
        const Agg *a = find(t, item, key);
        return a ? a->text : QString();
    };

    QString s;
    s += QStringLiteral("# Performance\n\n");
    s +=
        QStringLiteral("Written by `bash scripts/bench.sh` (the harness is `tests/bench/`); do not "
                       "edit by hand, run it again. Each item ran %1 times in a child process "
                       "of its own, the items interleaved run after run; a figure is the median "
                       "over the runs with the spread (min–max) in brackets, unless it says "
                       "*worst run*. Where the reference runs beside SockLab in the same run, "
                       "the ratio is the figure to read: absolute times move with the machine's "
                       "load.\n\n")
            .arg(runs);
    s += QStringLiteral("## Machine\n\n| | |\n|---|---|\n");
    s += QStringLiteral("| CPU | %1, %2 logical CPUs, %3 GB RAM |\n")
             .arg(m.value(QStringLiteral("cpu")).toString())
             .arg(m.value(QStringLiteral("cpus")).toInt())
             .arg(num(m.value(QStringLiteral("memory_gb")).toDouble(), 1));
    s += QStringLiteral("| OS, kernel | %1; Linux %2, CONFIG_HZ=%3 |\n")
             .arg(m.value(QStringLiteral("os")).toString(),
                  m.value(QStringLiteral("kernel")).toString(),
                  m.value(QStringLiteral("hz")).toString());
    s += QStringLiteral("| Qt | %1 (runtime %2); %3, %4 build |\n")
             .arg(m.value(QStringLiteral("qt_build")).toString(),
                  m.value(QStringLiteral("qt_runtime")).toString(),
                  m.value(QStringLiteral("compiler")).toString(),
                  m.value(QStringLiteral("build_type")).toString());
    s += QStringLiteral("| References | Python %1; %2; %3 |\n")
             .arg(metricText(QStringLiteral("timeouts"), QStringLiteral("python_version")),
                  m.value(QStringLiteral("ss")).toString(),
                  m.value(QStringLiteral("tcpdump")).toString());
    s += QStringLiteral("| Display | Qt's offscreen platform for the log flood and for start-up; "
                        "start-up also under Xvfb (xcb) |\n");
    s += QStringLiteral("| Load average (1, 5, 15 min) | at start %1; at end %2 |\n")
             .arg(all.value(QStringLiteral("load_start")).toString(),
                  all.value(QStringLiteral("load_end")).toString());
    s += QStringLiteral("| Commit, date | %1; %2; the whole run took %3 min |\n")
             .arg(m.value(QStringLiteral("commit")).toString(),
                  m.value(QStringLiteral("date")).toString(),
                  num(all.value(QStringLiteral("seconds")).toDouble() / 60, 1));
    for (const auto &v : all.value(QStringLiteral("merged")).toArray())
        s += QStringLiteral("| Merged from another run | %1 |\n").arg(v.toString());
    s += QLatin1Char('\n');
    const double load = all.value(QStringLiteral("load_start"))
                            .toString()
                            .section(QLatin1Char(' '), 0, 0)
                            .toDouble();
    const int cpus = m.value(QStringLiteral("cpus")).toInt();
    if (cpus > 0 && load > 0.5 * cpus)
        s +=
            QStringLiteral("**The machine was busy** (load %1 on %2 CPUs at the start): other work "
                           "competed for the CPUs, which widens the spreads and lengthens the "
                           "tails; the ratios against references run in the same run hold "
                           "better than the absolute figures.\n\n")
                .arg(num(load, 2))
                .arg(cpus);
    if (baseline) {
        const QJsonObject bm = baseline->value(QStringLiteral("machine")).toObject();
        s += QStringLiteral("*Before* is the same harness on the code before the optimisations "
                            "(commit %1, %2, load at start %3, %4 runs): same machine, another "
                            "time, so compare ratios first.\n\n")
                 .arg(bm.value(QStringLiteral("commit")).toString(),
                      bm.value(QStringLiteral("date")).toString(),
                      baseline->value(QStringLiteral("load_start")).toString())
                 .arg(baseline->value(QStringLiteral("runs")).toInt());
    }

    s += QStringLiteral("## Summary\n\n| target | result | verdict |\n|---|---|---|\n");
    for (const Row &r : rows()) {
        if (!r.meets || !find(t, r.item, r.key))
            continue;
        s += QStringLiteral("| %1: %2 %3 | %4 | %5 |\n")
                 .arg(r.item, r.label, r.target, cell(t, r), verdict(t, r));
    }

    s += QStringLiteral("\n## 1. Timeout precision\n\n"
                        "A built-in `silent` peer on 127.0.0.1 (accepts, never sends); one "
                        "connection per mechanism with a 100 ms recv timeout; per run 50 recv() "
                        "calls each, in 5 interleaved blocks of 10 (order rotating). SockLab's "
                        "figure is each `timeout` event's own `elapsed` (CLOCK_MONOTONIC around "
                        "the system call, taken on the engine thread); Python's is "
                        "`time.monotonic_ns()` around `sock.recv()` after `sock.settimeout(0.1)` "
                        "(`tests/bench/timeout_ref.py`, a separate process against the same "
                        "peer). Overshoot = elapsed − 100 ms; p99 is nearest-rank, so with 50 "
                        "calls it is the largest. A poll deadline that ends a call early fails "
                        "the run (it is SockLab's own timer); an SO_RCVTIMEO call that the "
                        "kernel ends early is counted and reported as it was: the kernel counts "
                        "that timeout in jiffies, which a late clock tick leaves behind the "
                        "monotonic clock.\n\n");
    s += itemTable(t, before, QStringLiteral("timeouts"));
    s += QStringLiteral(
        "\nAll calls of all runs pooled (overshoot, ms):\n\n"
        "| mechanism | calls | min | median | p90 | p99 | max |\n|---|---|---|---|---|---|---|\n");
    s += distribution(results, QStringLiteral("timeouts"), QStringLiteral("poll"),
                      QStringLiteral("poll (ppoll and a timerfd deadline)"));
    s += distribution(results, QStringLiteral("timeouts"), QStringLiteral("sockopt"),
                      QStringLiteral("sockopt (SO_RCVTIMEO)"));
    s += distribution(results, QStringLiteral("timeouts"), QStringLiteral("python"),
                      QStringLiteral("Python settimeout"));
    s += QStringLiteral(
        "\nThen, in each run, one recv() at each length for each mechanism and for Python, the "
        "three at once, each on a connection of its own to the same peer. Overshoot, ms: median "
        "of the runs (min–max). poll()'s own timeout, which Python's settimeout() uses, may fire "
        "0.1 % of it late; SockLab's poll deadline is a timerfd polled with the socket; "
        "SO_RCVTIMEO is rounded up to the step of the kernel's timer wheel, which grows with "
        "the length.\n\n| length | SockLab poll | SockLab sockopt (SO_RCVTIMEO) | Python "
        "settimeout |\n|---|---|---|---|\n");
    const std::pair<const char *, const char *> lengths[] = {
        {"10ms", "10 ms"}, {"100ms", "100 ms"}, {"1s", "1 s"}, {"10s", "10 s"}, {"100s", "100 s"}};
    for (const auto &[key, label] : lengths) {
        const auto at = [&](const char *mech) {
            const auto v =
                pooled(results, QStringLiteral("timeouts"),
                       QStringLiteral("len_%1_%2").arg(QLatin1String(mech), QLatin1String(key)));
            if (v.empty())
                return QStringLiteral("–");
            return v.size() == 1 ? num(v.front(), 3)
                                 : QStringLiteral("%1 (%2–%3)")
                                       .arg(num(median(v), 3), num(minOf(v), 3), num(maxOf(v), 3));
        };
        s += QStringLiteral("| %1 | %2 | %3 | %4 |\n")
                 .arg(QLatin1String(label), at("poll"), at("sockopt"), at("python"));
    }
    s += QStringLiteral(
        "\nLast, how a script or a grader uses it: one process per call, 15 of each a run, "
        "alternating. `socklab-cli connect 127.0.0.1 PORT --network host --recv-timeout 0.1 "
        "--recv 1 --json` against the same peer (its `timeout` event's `elapsed`), and "
        "`timeout_ref.py` making one call. The first call of a fresh process pays for what a "
        "long-lived one has warmed up. And the machine's own floor: `timer_floor` (tests/bench), a "
        "C program that does nothing but wait 20 ms on a timerfd 1,000 times; how late it wakes "
        "is what the kernel and the hypervisor give any program here. Each late wait, "
        "the floor's and SockLab's, is split by the thread's run delay (its schedstat): the "
        "time it was ready to run but not running (another task had its CPU, or the host did "
        "not run the virtual CPU: `perf sched timehist` shows the CPU idle after the wake-up), "
        "and the rest, the wake-up itself.\n");
    s += notesOf(results, QStringLiteral("timeouts"));

    s += QStringLiteral("\n## 2. Keepalive probe observer\n\n"
                        "Accuracy: 10 connections to the built-in `blackhole` peer with "
                        "TCP_KEEPIDLE 1 s, TCP_KEEPINTVL 1 s, TCP_KEEPCNT 5, held idle: 50 "
                        "unanswered probes per run. The time on the wire is tcpdump's timestamp "
                        "of each probe (`tcpdump -i lo --time-stamp-precision=nano`, a bare ACK "
                        "without data after the handshake's); the gap is the `probe_sent` "
                        "event's `wall` minus that timestamp (both CLOCK_REALTIME; the event's "
                        "wall time is its monotonic sample time converted when posted).\n\n"
                        "Cost: 1,000 client connections made by the engine to a plain listener "
                        "that accepts and keeps them (the kernel answers their probes), watched "
                        "by the monitor for 10 s after a 2 s settling pause; the figure is the "
                        "`socklab-monitor` thread's CPU time (schedstat) over wall time. Two "
                        "cases: keepalive with the system's defaults (idle 2 h: nothing on the "
                        "wire, the cost of watching alone) and idle 1 s / interval 1 s (a probe "
                        "and its ACK on every connection every second, 2,000 events a second). "
                        "The monitor's socket-table refresh of the same port (2,000 rows, ten "
                        "times a second) is part of its thread and of the figure.\n\n");
    s += itemTable(t, before, QStringLiteral("probes"));
    s += QStringLiteral(
        "\nAll probes of all runs pooled (gap, ms):\n\n"
        "| | probes | min | median | p90 | p99 | max |\n|---|---|---|---|---|---|---|\n");
    s += distribution(results, QStringLiteral("probes"), QStringLiteral("gap"),
                      QStringLiteral("probe_sent − wire"));
    s += notesOf(results, QStringLiteral("probes"));

    s += QStringLiteral("\n## 3. The event pipeline\n\n"
                        "1,000,000 events posted by a producer thread into the real `EventBus` "
                        "as fast as it can (waiting while more than half of the bus's bound, "
                        "`MaxPending`, is queued: past the bound the bus drops what does not "
                        "fit and says so, and a producer faster than any real one would measure "
                        "the drops), delivered in batches to the GUI thread and appended "
                        "to the window's log (`LogView`: `LogModel`, `LogFilterProxy`, the "
                        "`QTableView`, shown at 1100×700 on the offscreen platform, following "
                        "the newest row). The mix is a flooding peer's: per recv() call a "
                        "`receiving` and a `received` (with its own data preview), every tenth "
                        "event an `info` with its own sentence. Rate = events stored / (last "
                        "stored − first posted). Stall = the longest gap between ticks of a 5 ms "
                        "precise QTimer on the GUI thread during the flood and 300 ms after it, "
                        "minus 5 ms. Memory = glibc's heap in use (mallinfo2) after the flood "
                        "minus before it, per stored event (the bus emptied). Beside it, in the "
                        "same process, the same 1,000,000 lines (`Event::toText()`) appended one "
                        "by one with `QPlainTextEdit::appendPlainText` as the batches arrive.\n\n");
    s += itemTable(t, before, QStringLiteral("pipeline"));
    s += notesOf(results, QStringLiteral("pipeline"));

    s += QStringLiteral("\n## 4. The socket table at scale\n\n"
                        "5,000 connections on 127.0.0.1 to one listener: 10,000 TCP sockets "
                        "(plus the listener) in this process, RLIMIT_NOFILE raised to allow it. "
                        "Per run 20 rounds (after one warm-up round), each timing, in turn: "
                        "`platform::dumpTcpSockets` for the port (NETLINK_SOCK_DIAG, IPv4 and "
                        "IPv6, into rows), the monitor's full refresh (the same dump, then "
                        "keeping the experiment's named sockets, diffing states, handing rows "
                        "on; all 5,000 client sockets named), and `ss -tan` from exec to exit "
                        "with its output to /dev/null. The medians of the 20 rounds are the "
                        "run's figures.\n\n");
    s += itemTable(t, before, QStringLiteral("table"));
    s += notesOf(results, QStringLiteral("table"));

    s += QStringLiteral("\n## 5. Start-up and footprint\n\n"
                        "The real `socklab` binary, 3 launches per run, each with a fresh "
                        "temporary HOME (no saved layout). First paint: from just before the "
                        "fork/exec to the moment the harness reads Qt's own "
                        "`qt.widgets.painting` log line \"Flushing QRegion(0,0 …) of "
                        "MainWindow\" (the first frame handed to the platform) from the child's "
                        "stderr; the logging itself costs a little. Memory: VmRSS and PSS "
                        "(smaps_rollup) 1.5 s later, idle. Offscreen is Qt's offscreen "
                        "platform; Xvfb is a private `Xvfb -screen 0 1280x800x24` with the xcb "
                        "platform.\n\n");
    s += itemTable(t, before, QStringLiteral("startup"));
    s += notesOf(results, QStringLiteral("startup"));

    s += QStringLiteral(
        "\n## 6. The lab\n\n"
        "Set-up: `platform::Lab::create()` from the call to its return (the helper started by "
        "posix_spawn, its user namespace, three network namespaces with this machine's TCP "
        "settings, two veth links, eight addresses, four routes, and its ready message); "
        "tear-down: `~Lab` (the helper's socket closed, the helper waited for). 20 of each a run. "
        "Beside it, what a shell user types for much less (one namespace, one veth pair, one "
        "address): `unshare -Urn sh -c \"ip link set lo up && ip link add ... && ip addr add "
        "... && ip link set ... up\"`, from exec to exit. Delivery: 100 echo round trips 10 ms "
        "apart in a lab; for each segment event, its delivery on the consumer's thread minus "
        "its frame's kernel timestamp (and, from the wire thread, when it was posted to the "
        "bus: to deliver the stream in time order the bus holds an event until the wire has "
        "posted everything observed before it, `EventBus::advanceLateWatermark`, and 0.1 ms "
        "more, `PromptNs`; while the wire is behind, at most 50 ms, `LateHoldNs`, waking the "
        "wire to read at once). Flood: the flood peer for 3 s in a lab with the wire captured, "
        "then in another without (Engine::stopCapture), bytes received by c1 over "
        "the time between its first and last `received` event; the capture's losses (the "
        "kernel's queue full, or the kept ring full) are counted and reported. Watching: "
        "1,000 client connections in a lab to the built-in `silent` peer (its kernel ACKs "
        "their probes), watched for 10 s after a 2 s pause, as in item 2 but with the wire "
        "captured: the figure is the `socklab-monitor` and `socklab-wire` threads' CPU time "
        "(schedstat) over wall time; with probes every second, each probe and its ACK is a "
        "segment event (2,000 a second).\n\n");
    s += itemTable(t, before, QStringLiteral("lab"));
    s += notesOf(results, QStringLiteral("lab"));

    s += QStringLiteral(
        "\n## 7. Many blocked calls, and Stop\n\n"
        "100 sockets on 127.0.0.1, each with one call blocked in the kernel, each in a run of "
        "its own (so on a call thread of its own): by turns a recv() on a connection to the "
        "built-in `silent` peer, an accept() on a listener of its own with no client, and a "
        "connect() to a listener whose accept queue is full (backlog 0, one connection made; "
        "the kernel drops every further SYN); the mechanism alternates between poll and "
        "SO_RCVTIMEO/SO_SNDTIMEO every three, every timeout \"none\". Threads: "
        "/proc/self/task before and once every call has started; memory: VmRSS the same way. "
        "Stop: from just before `Engine::stop()` to each call's `cancelled` event (its own "
        "CLOCK_MONOTONIC sample, taken when the call returned), and to the moment the process "
        "has no more threads than before. Beside it, in the same run, Python 3 with the same "
        "100 calls in a thread each (`tests/bench/calls_ref.py`), ended the way Python can end "
        "a blocked call, shutdown(SHUT_RDWR) on every socket from the main thread.\n\n");
    s += itemTable(t, before, QStringLiteral("calls"));
    s += notesOf(results, QStringLiteral("calls"));

    s += QStringLiteral(
        "\n## 8. The window under a flood\n\n"
        "The real `MainWindow` at 1280×720 on the offscreen platform, its settings empty, on "
        "the network it starts on (a lab, with its wire captured and drawn). A run starts the "
        "built-in `flood` peer; then, on a clean page, one run connects to it and calls recv() "
        "(4,096 bytes, 1 s timeout) for 2 s: the log, the timeline and the socket table follow "
        "it. That run is kept (Keep run: drawn under the next one on the same time axis), then "
        "three more such runs, each kept in its turn: four pinned runs, the most the window "
        "keeps. Under the four, one more such run (the live flood), then four at once. Stall: the "
        "longest gap between ticks of a 5 ms precise "
        "QTimer on the GUI thread from the first run issued to 300 ms after the last has "
        "finished, minus 5 ms. The bus drops what does not fit its bound and says so "
        "(`events_dropped`); the log's rows per second are what it kept.\n\n");
    s += itemTable(t, before, QStringLiteral("window"));
    s += notesOf(results, QStringLiteral("window"));

    s += QStringLiteral(
        "\n## 9. A lesson in the window and in socklab-cli\n\n"
        "Three lessons, each run in `socklab-cli lesson NAME --json` (a process of its own) and "
        "then in the window (`MainWindow` at 1280×720, offscreen, the lesson chosen and Run "
        "all pressed), one after the other on the same kernel. Events: every event of the "
        "lesson's runs up to its verdict, as kind and socket, compared as sorted lists (events "
        "observed at one moment may be listed in either order); the note on the lab network "
        "is left out (the CLI makes its lab as it starts, the window had one already). Time: "
        "from the lesson's first event to its verdict, from the events' own times.\n\n");
    s += itemTable(t, before, QStringLiteral("lessons"));
    s += notesOf(results, QStringLiteral("lessons"));

    s += QStringLiteral(
        "\n## 10. A newcomer's first minutes\n\n"
        "From an empty build directory, what `bash scripts/launch.sh` does once the packages are "
        "in: configure (RelWithDebInfo, as `scripts/setup.sh`), build `socklab` and "
        "`socklab-cli` (and the lab's helper they need) with one job per CPU, and start the "
        "window (offscreen, a fresh HOME) to its first frame. Then, in the same tree, the rest "
        "of what `bash scripts/test.sh` builds (the tests, the fuzz targets' seed runners, the "
        "benchmark, the man pages): the whole build is configure + both builds. Not run in the "
        "smoke run.\n\n");
    s += itemTable(t, before, QStringLiteral("build"));
    s += notesOf(results, QStringLiteral("build"));
    return s;
}

int runDriver(const Context &c, int runs, const QStringList &items, const QString &reportPath,
              const QString &jsonPath, const QString &baselinePath)
{
    QJsonObject all;
    all.insert(QStringLiteral("machine"), machine());
    all.insert(QStringLiteral("load_start"), loadAverage());
    all.insert(QStringLiteral("runs"), runs);
    all.insert(QStringLiteral("smoke"), c.smoke);
    QJsonArray results;
    const qint64 t0 = nowNs();
    int failures = 0;
    for (int r = 1; r <= runs; ++r) {
        for (const QString &item : items) {
            double seconds = 0;
            const QJsonObject o = runChild(c, item, &seconds);
            results.append(o);
            const bool ok = o.value(QStringLiteral("ok")).toBool();
            failures += ok ? 0 : 1;
            err() << QStringLiteral("[run %1/%2] %3: %4 in %5 s\n")
                         .arg(r)
                         .arg(runs)
                         .arg(item,
                              ok ? QStringLiteral("ok")
                                 : QStringLiteral("FAILED: ") +
                                       o.value(QStringLiteral("failure")).toString(),
                              num(seconds, 1));
            const QJsonObject m = o.value(QStringLiteral("metrics")).toObject();
            QStringList brief;
            for (auto it = m.begin(); it != m.end(); ++it)
                brief << it.key() + QLatin1Char('=') +
                             (it.value().isDouble() ? num(it.value().toDouble(), 3)
                                                    : it.value().toVariant().toString());
            err() << "    " << brief.join(QLatin1Char(' ')) << "\n";
            err().flush();
        }
    }
    all.insert(QStringLiteral("load_end"), loadAverage());
    all.insert(QStringLiteral("seconds"), (nowNs() - t0) / 1e9);
    all.insert(QStringLiteral("results"), results);

    if (!jsonPath.isEmpty()) {
        QFile f(jsonPath);
        if (f.open(QIODevice::WriteOnly | QIODevice::Truncate))
            f.write(QJsonDocument(all).toJson());
    }
    if (!reportPath.isEmpty()) {
        std::optional<QJsonObject> baseline;
        if (!baselinePath.isEmpty()) {
            QFile b(baselinePath);
            if (b.open(QIODevice::ReadOnly))
                baseline = QJsonDocument::fromJson(b.readAll()).object();
        }
        QFile f(reportPath);
        if (!f.open(QIODevice::WriteOnly | QIODevice::Truncate)) {
            err() << "socklab-bench: cannot write " << reportPath << "\n";
            return 1;
        }
        f.write(report(all, baseline).toUtf8());
        err() << "socklab-bench: wrote " << reportPath << "\n";
    }
    return failures ? 1 : 0;
}

int rewriteReport(const QString &jsonPath, const QStringList &merges, const QString &reportPath,
                  const QString &baselinePath)
{
    const auto load = [](const QString &path, QJsonObject *out) {
        QFile f(path);
        if (!f.open(QIODevice::ReadOnly)) {
            err() << "socklab-bench: cannot read " << path << "\n";
            return false;
        }
        *out = QJsonDocument::fromJson(f.readAll()).object();
        return !out->isEmpty();
    };
    QJsonObject all;
    if (jsonPath.isEmpty() || reportPath.isEmpty() || !load(jsonPath, &all)) {
        err() << "usage: socklab-bench report --json FILE [--merge FILE ...] --report FILE "
                 "[--baseline FILE]\n";
        return 2;
    }
    QJsonArray results = all.value(QStringLiteral("results")).toArray();
    // Each merged file: the items it brought, and the line that names its run.
    struct Merge
    {
        QStringList items;
        QString run;
    };
    std::vector<Merge> merges_;
    for (const QString &m : merges) {
        QJsonObject other;
        if (!load(m, &other))
            return 1;
        QStringList items;
        for (const auto &v : other.value(QStringLiteral("results")).toArray()) {
            const QString item = v.toObject().value(QStringLiteral("item")).toString();
            if (!items.contains(item))
                items << item;
        }
        // A later run of an item replaces the earlier one's runs: runs of two commits are
        // not mixed into one figure, and the earlier run no longer names it.
        for (qsizetype i = results.size() - 1; i >= 0; --i) {
            if (items.contains(results[i].toObject().value(QStringLiteral("item")).toString()))
                results.removeAt(i);
        }
        for (Merge &earlier : merges_)
            earlier.items.removeIf([&](const QString &item) { return items.contains(item); });
        for (const auto &v : other.value(QStringLiteral("results")).toArray())
            results.append(v);
        const QJsonObject om = other.value(QStringLiteral("machine")).toObject();
        merges_.push_back(
            {items, QStringLiteral("(%1 runs): commit %2, %3, load at start %4, %5 min")
                        .arg(other.value(QStringLiteral("runs")).toInt())
                        .arg(om.value(QStringLiteral("commit")).toString(),
                             om.value(QStringLiteral("date")).toString(),
                             other.value(QStringLiteral("load_start")).toString(),
                             num(other.value(QStringLiteral("seconds")).toDouble() / 60, 1))});
    }
    QJsonArray merged;
    for (const Merge &m : merges_) {
        if (!m.items.isEmpty())
            merged.append(m.items.join(QStringLiteral(", ")) + QLatin1Char(' ') + m.run);
    }
    all.insert(QStringLiteral("results"), results);
    all.insert(QStringLiteral("merged"), merged);
    std::optional<QJsonObject> baseline;
    if (!baselinePath.isEmpty()) {
        QJsonObject b;
        if (load(baselinePath, &b))
            baseline = b;
    }
    QFile f(reportPath);
    if (!f.open(QIODevice::WriteOnly | QIODevice::Truncate)) {
        err() << "socklab-bench: cannot write " << reportPath << "\n";
        return 1;
    }
    f.write(report(all, baseline).toUtf8());
    err() << "socklab-bench: wrote " << reportPath << "\n";
    return 0;
}

} // namespace
} // namespace bench

int main(int argc, char *argv[])
{
    using namespace bench;
    // The pipeline, window and lessons items need widgets; everything else a core application.
    const bool gui = argc >= 3 && qstrcmp(argv[1], "item") == 0 &&
                     (qstrcmp(argv[2], "pipeline") == 0 || qstrcmp(argv[2], "window") == 0 ||
                      qstrcmp(argv[2], "lessons") == 0);
    std::unique_ptr<QCoreApplication> app(gui ? new QApplication(argc, argv)
                                              : new QCoreApplication(argc, argv));
    QStringList args = QCoreApplication::arguments();
    Context c;
    c.self = QCoreApplication::applicationFilePath();
    c.smoke = args.removeAll(QStringLiteral("--smoke")) > 0;
    const auto option = [&args](const QString &name, const QString &fallback = {}) {
        const int i = args.indexOf(name);
        if (i < 0 || i + 1 >= args.size())
            return fallback;
        const QString v = args.at(i + 1);
        args.remove(i, 2);
        return v;
    };
    if (args.value(1) == QLatin1String("item"))
        return runItem(args.value(2), c);
    if (args.value(1) == QLatin1String("report")) {
        // Writes the report again from a run's --json, adding the results of other runs
        // (--merge FILE, e.g. a later --only run of items the first did not run, or ran at an
        // older commit: a merged item replaces the first run's). The merged runs are named in
        // the report's machine table.
        const QString jsonPath = option(QStringLiteral("--json"));
        const QString reportPath = option(QStringLiteral("--report"));
        QStringList merges;
        for (QString m = option(QStringLiteral("--merge")); !m.isEmpty();
             m = option(QStringLiteral("--merge")))
            merges << m;
        return rewriteReport(jsonPath, merges, reportPath, option(QStringLiteral("--baseline")));
    }
    if (args.value(1) == QLatin1String("run")) {
        const int runs =
            option(QStringLiteral("--runs"), c.smoke ? QStringLiteral("1") : QStringLiteral("5"))
                .toInt();
        QStringList items = kItems;
        const QString only = option(QStringLiteral("--only"));
        if (!only.isEmpty())
            items = only.split(QLatin1Char(','));
        return runDriver(c, std::max(1, runs), items, option(QStringLiteral("--report")),
                         option(QStringLiteral("--json")), option(QStringLiteral("--baseline")));
    }
    err() << "usage: socklab-bench run [--smoke] [--runs N] [--only item,...] [--report FILE] "
             "[--json FILE] [--baseline FILE]\n"
             "       socklab-bench report --json FILE [--merge FILE ...] --report FILE "
             "[--baseline FILE]\n"
             "       socklab-bench item NAME [--smoke]\n"
             "items: "
          << kItems.join(QLatin1Char(',')) << "\n";
    return 2;
}
