#include "Bench.h"

#include "Platform.h"

#include <QCoreApplication>
#include <QDir>
#include <QElapsedTimer>
#include <QEventLoop>
#include <QFile>
#include <QStandardPaths>
#include <QTimer>

#include <algorithm>
#include <cmath>
#include <malloc.h>
#include <sys/resource.h>

namespace bench {

QJsonObject Result::toJson(const QString &item) const
{
    QJsonObject o;
    o.insert(QStringLiteral("item"), item);
    o.insert(QStringLiteral("ok"), ok);
    if (!ok)
        o.insert(QStringLiteral("failure"), failure);
    o.insert(QStringLiteral("metrics"), metrics);
    o.insert(QStringLiteral("samples"), samples);
    o.insert(QStringLiteral("notes"), QJsonArray::fromStringList(notes));
    return o;
}

double median(std::vector<double> v)
{
    if (v.empty())
        return std::nan("");
    std::sort(v.begin(), v.end());
    const size_t n = v.size();
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

double percentile(std::vector<double> v, double p)
{
    if (v.empty())
        return std::nan("");
    std::sort(v.begin(), v.end());
    const auto rank = size_t(std::ceil(p / 100.0 * double(v.size())));
    return v[std::clamp<size_t>(rank, 1, v.size()) - 1];
}

double maxOf(const std::vector<double> &v)
{
    return v.empty() ? std::nan("") : *std::max_element(v.begin(), v.end());
}

double minOf(const std::vector<double> &v)
{
    return v.empty() ? std::nan("") : *std::min_element(v.begin(), v.end());
}

QJsonArray toJsonArray(const std::vector<double> &v)
{
    QJsonArray a;
    for (double x : v)
        a.append(x);
    return a;
}

std::vector<double> fromJsonArray(const QJsonArray &a)
{
    std::vector<double> v;
    v.reserve(size_t(a.size()));
    for (const auto &x : a)
        v.push_back(x.toDouble());
    return v;
}

qint64 nowNs()
{
    return socklab::platform::monotonicNs();
}

bool waitUntil(const std::function<bool()> &done, int timeoutMs)
{
    if (done())
        return true;
    QEventLoop loop;
    QTimer check;
    check.setTimerType(Qt::PreciseTimer);
    check.setInterval(1);
    QElapsedTimer clock;
    clock.start();
    QObject::connect(&check, &QTimer::timeout, &loop, [&] {
        if (done() || clock.elapsed() >= timeoutMs)
            loop.quit();
    });
    check.start();
    loop.exec();
    return done();
}

void spin(int ms)
{
    waitUntil([] { return false; }, ms);
}

namespace {
qint64 schedstatNs(const QString &path)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        return 0;
    return f.readAll().split(' ').value(0).trimmed().toLongLong();
}
} // namespace

qint64 threadCpuNs(const QString &comm)
{
    qint64 sum = 0;
    const QDir tasks(QStringLiteral("/proc/self/task"));
    for (const QString &tid : tasks.entryList(QDir::Dirs | QDir::NoDotAndDotDot)) {
        QFile f(tasks.filePath(tid + QStringLiteral("/comm")));
        if (!f.open(QIODevice::ReadOnly) || QString::fromUtf8(f.readAll()).trimmed() != comm)
            continue;
        sum += schedstatNs(tasks.filePath(tid + QStringLiteral("/schedstat")));
    }
    return sum;
}

qint64 processCpuNs()
{
    rusage ru{};
    getrusage(RUSAGE_SELF, &ru);
    const auto ns = [](const timeval &tv) {
        return qint64(tv.tv_sec) * 1000000000LL + tv.tv_usec * 1000LL;
    };
    return ns(ru.ru_utime) + ns(ru.ru_stime);
}

qint64 heapInUse()
{
    const struct mallinfo2 mi = mallinfo2();
    return qint64(mi.uordblks + mi.hblkhd);
}

long raiseFdLimit(long wanted)
{
    rlimit rl{};
    getrlimit(RLIMIT_NOFILE, &rl);
    if (rl.rlim_cur == RLIM_INFINITY || rlim_t(wanted) <= rl.rlim_cur)
        return long(rl.rlim_cur);
    rl.rlim_cur = std::min<rlim_t>(rlim_t(wanted), rl.rlim_max);
    setrlimit(RLIMIT_NOFILE, &rl);
    getrlimit(RLIMIT_NOFILE, &rl);
    return long(rl.rlim_cur);
}

QString findTool(const QString &name)
{
    QString path = QStandardPaths::findExecutable(name);
    if (path.isEmpty())
        path = QStandardPaths::findExecutable(
            name,
            {QStringLiteral("/usr/sbin"), QStringLiteral("/sbin"), QStringLiteral("/usr/bin")});
    return path;
}

double procKb(const QString &path, const QByteArray &key)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        return 0;
    for (const QByteArray &line : f.readAll().split('\n')) {
        if (line.startsWith(key))
            return line.mid(key.size()).trimmed().split(' ').value(0).toDouble();
    }
    return 0;
}

} // namespace bench
