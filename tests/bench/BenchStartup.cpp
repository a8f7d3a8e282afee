// Item 5: the real `socklab` binary, from exec to its first painted frame, and its memory once
// idle. The first frame is the first "Flushing ... of MainWindow" that Qt's own
// qt.widgets.painting log reports (the backing store handed to the platform), read from the
// child's stderr as it happens; the settings live in a fresh temporary HOME.
#include "Bench.h"

#include <QDir>
#include <QFile>
#include <QProcess>
#include <QTemporaryDir>

#include <csignal>

namespace bench {

namespace {

} // namespace

bool launchWindow(const QString &app, const QProcessEnvironment &env, int idleMs, Launch *out,
                  QString *why)
{
    QTemporaryDir home;
    QProcessEnvironment e = env;
    e.insert(QStringLiteral("HOME"), home.path());
    e.insert(QStringLiteral("XDG_CONFIG_HOME"), home.filePath(QStringLiteral(".config")));
    e.insert(QStringLiteral("XDG_RUNTIME_DIR"), home.path());
    e.insert(QStringLiteral("QT_LOGGING_RULES"), QStringLiteral("qt.widgets.painting=true"));
    QProcess p;
    p.setProcessEnvironment(e);
    p.setStandardOutputFile(QProcess::nullDevice());
    QByteArray err;
    qint64 paintedNs = 0;
    QObject::connect(&p, &QProcess::readyReadStandardError, [&] {
        err += p.readAllStandardError();
        if (!paintedNs && err.contains("Flushing QRegion") && err.contains("of MainWindow"))
            paintedNs = nowNs();
        if (err.size() > (1 << 20))
            err = err.right(4096); // keep only what a failure message needs
    });
    const qint64 t0 = nowNs();
    p.start(app, {});
    if (!waitUntil([&] { return paintedNs || p.state() == QProcess::NotRunning; }, 20000) ||
        !paintedNs) {
        *why = QStringLiteral("no first paint within 20 s: %1")
                   .arg(QString::fromUtf8(err.right(2000)));
        p.kill();
        p.waitForFinished(3000);
        return false;
    }
    out->firstPaintMs = (paintedNs - t0) / 1e6;
    spin(idleMs); // idle: settled layout, no experiment running
    const QString proc = QStringLiteral("/proc/%1/").arg(p.processId());
    out->rssMb = procKb(proc + QStringLiteral("status"), "VmRSS:") / 1024.0;
    out->pssMb = procKb(proc + QStringLiteral("smaps_rollup"), "Pss:") / 1024.0;
    p.terminate();
    if (!p.waitForFinished(5000)) {
        p.kill();
        p.waitForFinished(3000);
    }
    return true;
}

namespace {

// An X server of our own for the xcb runs, on the first free display from :90.
class Xvfb
{
  public:
    bool start(QString *display)
    {
        const QString xvfb = findTool(QStringLiteral("Xvfb"));
        if (xvfb.isEmpty())
            return false;
        for (int n = 90; n < 110; ++n) {
            if (QFile::exists(QStringLiteral("/tmp/.X%1-lock").arg(n)))
                continue;
            m_proc.start(xvfb, {QStringLiteral(":%1").arg(n), QStringLiteral("-screen"),
                                QStringLiteral("0"), QStringLiteral("1280x800x24"),
                                QStringLiteral("-nolisten"), QStringLiteral("tcp")});
            const QString sock = QStringLiteral("/tmp/.X11-unix/X%1").arg(n);
            if (waitUntil(
                    [&] { return QFile::exists(sock) || m_proc.state() == QProcess::NotRunning; },
                    5000) &&
                m_proc.state() == QProcess::Running) {
                *display = QStringLiteral(":%1").arg(n);
                return true;
            }
            m_proc.kill();
            m_proc.waitForFinished(2000);
        }
        return false;
    }
    ~Xvfb()
    {
        if (m_proc.state() != QProcess::NotRunning) {
            m_proc.terminate();
            if (!m_proc.waitForFinished(3000))
                m_proc.kill();
            m_proc.waitForFinished(2000);
        }
    }

  private:
    QProcess m_proc;
};

void put(Result *r, const QString &name, const std::vector<Launch> &ls)
{
    std::vector<double> paint, rss, pss;
    for (const Launch &l : ls) {
        paint.push_back(l.firstPaintMs);
        rss.push_back(l.rssMb);
        pss.push_back(l.pssMb);
    }
    r->metrics.insert(name + QStringLiteral("_first_paint_ms"), median(paint));
    r->metrics.insert(name + QStringLiteral("_rss_mb"), median(rss));
    r->metrics.insert(name + QStringLiteral("_pss_mb"), median(pss));
    r->samples.insert(name + QStringLiteral("_first_paint"), toJsonArray(paint));
}

} // namespace

void runStartup(const Context &c, Result *r)
{
    const int launches = c.smoke ? 1 : 3;
    const int idleMs = c.smoke ? 300 : 1500;
    QString why;

    QProcessEnvironment base = QProcessEnvironment::systemEnvironment();
    base.remove(QStringLiteral("QT_LOGGING_RULES"));
    {
        QProcessEnvironment e = base;
        e.insert(QStringLiteral("QT_QPA_PLATFORM"), QStringLiteral("offscreen"));
        std::vector<Launch> ls;
        for (int i = 0; i < launches; ++i) {
            Launch l;
            if (!launchWindow(QStringLiteral(SOCKLAB_APP_PATH), e, idleMs, &l, &why)) {
                r->fail(QStringLiteral("offscreen: ") + why);
                return;
            }
            ls.push_back(l);
        }
        put(r, QStringLiteral("offscreen"), ls);
    }
    if (c.smoke)
        return;
    Xvfb x;
    QString display;
    if (!x.start(&display)) {
        r->notes << QStringLiteral("Xvfb not available: only the offscreen platform was measured.");
        return;
    }
    QProcessEnvironment e = base;
    e.insert(QStringLiteral("QT_QPA_PLATFORM"), QStringLiteral("xcb"));
    e.insert(QStringLiteral("DISPLAY"), display);
    std::vector<Launch> ls;
    for (int i = 0; i < launches; ++i) {
        Launch l;
        if (!launchWindow(QStringLiteral(SOCKLAB_APP_PATH), e, idleMs, &l, &why)) {
            r->notes << QStringLiteral("Xvfb run failed: ") + why;
            return;
        }
        ls.push_back(l);
    }
    put(r, QStringLiteral("xvfb"), ls);
}

} // namespace bench
