// Item 10: a newcomer's first minutes. From a clean build tree, what `bash scripts/launch.sh`
// does (configure, build the window and the CLI, RelWithDebInfo as setup.sh builds) and the
// window's first frame; then the rest of what `bash scripts/test.sh` builds (the tests, the
// fuzzers' seeds runner, the benchmark) in the same tree, so the whole build is the two added.
#include "Bench.h"

#include <QDir>
#include <QProcess>
#include <QTemporaryDir>
#include <QThread>

namespace bench {

namespace {

// Runs a program to its end (at most limitS); its seconds, or -1 with *why.
double timed(const QString &program, const QStringList &args, int limitS, QString *why)
{
    QProcess p;
    p.setProcessChannelMode(QProcess::MergedChannels);
    QByteArray out;
    QObject::connect(&p, &QProcess::readyRead, [&] { out = (out + p.readAll()).right(4000); });
    const qint64 t0 = nowNs();
    p.start(program, args);
    if (!waitUntil([&] { return p.state() == QProcess::NotRunning; }, limitS * 1000) ||
        p.exitStatus() != QProcess::NormalExit || p.exitCode() != 0) {
        *why = QStringLiteral("%1 %2 failed: %3")
                   .arg(program, args.join(QLatin1Char(' ')), QString::fromUtf8(out));
        p.kill();
        p.waitForFinished(3000);
        return -1;
    }
    return (nowNs() - t0) / 1e9;
}

} // namespace

void runBuild(const Context &c, Result *r)
{
    if (c.smoke) {
        r->notes << QStringLiteral("Not run in the smoke run: it builds SockLab twice over.");
        return;
    }
    const QString cmake = findTool(QStringLiteral("cmake"));
    if (cmake.isEmpty()) {
        r->fail(QStringLiteral("cmake is not installed"));
        return;
    }
    QTemporaryDir tree(QDir::tempPath() + QStringLiteral("/socklab-bench-build-XXXXXX"));
    if (!tree.isValid()) {
        r->fail(QStringLiteral("no temporary build tree"));
        return;
    }
    const QString jobs = QString::number(QThread::idealThreadCount());
    r->metrics.insert(QStringLiteral("jobs"), QThread::idealThreadCount());
    QString why;
    // What launch.sh runs after setup's package check (setup.sh's own configure line).
    const double configure =
        timed(cmake,
              {QStringLiteral("-S"), QStringLiteral(SOCKLAB_SOURCE_DIR), QStringLiteral("-B"),
               tree.path(), QStringLiteral("-DCMAKE_BUILD_TYPE=RelWithDebInfo")},
              600, &why);
    const double launchTargets =
        configure < 0 ? -1
                      : timed(cmake,
                              {QStringLiteral("--build"), tree.path(), QStringLiteral("-j"), jobs,
                               QStringLiteral("--target"), QStringLiteral("socklab"),
                               QStringLiteral("socklab-cli")},
                              3600, &why);
    double paint = -1;
    if (launchTargets >= 0) {
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert(QStringLiteral("QT_QPA_PLATFORM"), QStringLiteral("offscreen"));
        Launch l;
        if (launchWindow(tree.filePath(QStringLiteral("src/app/socklab")), env, 0, &l, &why))
            paint = l.firstPaintMs / 1000.0;
    }
    const double rest =
        paint < 0
            ? -1
            : timed(cmake, {QStringLiteral("--build"), tree.path(), QStringLiteral("-j"), jobs},
                    3600, &why);
    if (rest < 0) {
        r->fail(why);
        return;
    }
    const double toWindow = configure + launchTargets + paint;
    const double whole = configure + launchTargets + rest;
    r->metrics.insert(QStringLiteral("configure_s"), configure);
    r->metrics.insert(QStringLiteral("launch_build_s"), launchTargets);
    r->metrics.insert(QStringLiteral("first_paint_s"), paint);
    r->metrics.insert(QStringLiteral("time_to_window_s"), toWindow);
    r->metrics.insert(QStringLiteral("rest_build_s"), rest);
    r->metrics.insert(QStringLiteral("whole_build_s"), whole);
    r->metrics.insert(QStringLiteral("ratio_window_whole"), toWindow / whole);
}

} // namespace bench
