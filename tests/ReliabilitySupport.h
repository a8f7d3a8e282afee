#pragma once

// Shared by the reliability suites (faults, soak, inputs, security, load): what the process
// holds (descriptors, resident memory, the descriptor limit) and running socklab-cli.

#include <QByteArray>
#include <QDir>
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QList>
#include <QProcess>
#include <QSet>
#include <QStringList>
#include <QTest>

#include <algorithm>
#include <cstdlib>

#include <dirent.h>
#include <sys/resource.h>
#include <unistd.h>

namespace socklab::test {

// Descriptors this process has open now (the listing's own descriptor not counted).
inline int openFdCount()
{
    return int(QDir(QStringLiteral("/proc/self/fd"))
                   .entryList(QDir::AllEntries | QDir::NoDotAndDotDot | QDir::System)
                   .size()) -
           1;
}

// The RLIMIT_NOFILE that leaves exactly `free` descriptors to open: the limit bounds the
// descriptor numbers, and a new descriptor takes the lowest free number.
inline qint64 fdLimitLeavingFree(int free)
{
    QSet<int> open;
    if (DIR *d = opendir("/proc/self/fd")) {
        while (const dirent *e = readdir(d)) {
            if (e->d_name[0] != '.')
                open.insert(atoi(e->d_name));
        }
        open.remove(dirfd(d)); // the listing's own, closed below
        closedir(d);
    }
    qint64 limit = 0;
    for (int left = free; left > 0; ++limit) {
        if (!open.contains(int(limit)))
            --left;
    }
    return limit;
}

// Under AddressSanitizer freed memory waits in its quarantine (256 MiB by default) and under
// ThreadSanitizer every allocation has shadow memory, so resident memory says nothing there
// about what SockLab keeps; LeakSanitizer checks for leaks instead. Memory bounds are asserted
// in the normal build (the one ctest and CI run first) and only reported under a sanitizer.
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define SOCKLAB_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define SOCKLAB_SANITIZED 1
#endif
#endif
#ifdef SOCKLAB_SANITIZED
inline constexpr bool kMemoryMeasurable = false;
#else
inline constexpr bool kMemoryMeasurable = true;
#endif

#define SOCKLAB_VERIFY_MEMORY(cond, text)                                                          \
    do {                                                                                           \
        if (kMemoryMeasurable)                                                                     \
            QVERIFY2(cond, text);                                                                  \
        else if (!(cond))                                                                          \
            qInfo("Memory bound %s not asserted under a sanitizer (%s).", #cond, text);            \
    } while (false)

// Resident memory in bytes (the second field of /proc/self/statm, in pages).
inline qint64 residentBytes()
{
    QFile f(QStringLiteral("/proc/self/statm"));
    if (!f.open(QIODevice::ReadOnly))
        return -1;
    const QList<QByteArray> fields = f.readAll().simplified().split(' ');
    return fields.size() > 1 ? fields[1].toLongLong() * sysconf(_SC_PAGESIZE) : -1;
}

// Sets RLIMIT_NOFILE's soft limit; returns the previous one (or -1).
inline qint64 setSoftFdLimit(qint64 soft)
{
    rlimit rl{};
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
        return -1;
    const qint64 old = qint64(rl.rlim_cur);
    rl.rlim_cur = rlim_t(std::min<qint64>(soft, qint64(rl.rlim_max)));
    return setrlimit(RLIMIT_NOFILE, &rl) == 0 ? old : -1;
}

inline qint64 hardFdLimit()
{
    rlimit rl{};
    return getrlimit(RLIMIT_NOFILE, &rl) == 0 ? qint64(rl.rlim_max) : -1;
}

inline QString readProcText(const char *path)
{
    QFile f(QString::fromLatin1(path));
    return f.open(QIODevice::ReadOnly) ? QString::fromLatin1(f.readAll()).trimmed() : QString();
}

struct CliRun
{
    int code = -1; // -1: crashed or did not finish
    QByteArray out;
    QByteArray err;
};

// Runs socklab-cli (optionally through a wrapper such as setpriv) to the end.
inline CliRun runCli(const QStringList &args, int timeoutMs = 15000,
                     const QStringList &wrapper = {})
{
    QProcess p;
    if (wrapper.isEmpty())
        p.start(QStringLiteral(SOCKLAB_CLI_PATH), args);
    else
        p.start(wrapper.first(),
                wrapper.mid(1) + QStringList{QStringLiteral(SOCKLAB_CLI_PATH)} + args);
    if (!p.waitForFinished(timeoutMs)) {
        p.kill();
        p.waitForFinished();
        return {-1, p.readAllStandardOutput(), p.readAllStandardError()};
    }
    return {p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1, p.readAllStandardOutput(),
            p.readAllStandardError()};
}

inline QList<QJsonObject> ndjsonEvents(const QByteArray &out)
{
    QList<QJsonObject> events;
    for (const QByteArray &line : out.split('\n')) {
        if (!line.trimmed().isEmpty())
            events << QJsonDocument::fromJson(line).object();
    }
    return events;
}

inline QJsonObject firstEvent(const QList<QJsonObject> &events, const QString &kind,
                              const QString &sock = {})
{
    for (const QJsonObject &e : events) {
        if (e.value(QStringLiteral("kind")).toString() == kind &&
            (sock.isEmpty() || e.value(QStringLiteral("sock")).toString() == sock))
            return e;
    }
    return {};
}

} // namespace socklab::test
