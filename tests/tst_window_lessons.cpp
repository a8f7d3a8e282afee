// Every lesson, run in one window one after another as a teacher would (Run all, or Next step
// to the end), gives the verdict `socklab-cli lesson` gives on the same kernel, prediction by
// prediction; the window's log holds only that lesson's run, and the timeline frames it.
#include "Engine.h"
#include "Lesson.h"
#include "LessonRunner.h"
#include "TestSupport.h"
#include "lessons/LessonsPanel.h"
#include "log/LogModel.h"
#include "log/LogView.h"
#include "timeline/TimelineWidget.h"
#include "window/MainWindow.h"

#include <QAction>
#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QSettings>
#include <QSignalSpy>
#include <QTemporaryDir>

using namespace socklab;

namespace {

// The CLI's verdict: the lesson_result line of `socklab-cli lesson NAME --json`. The CLI exits
// 0 when the lesson ran, whatever its verdict, and 1 when it could not run (NOT RUN: a peer
// this user may not start), still printing the lesson_result that says so.
QJsonObject cliVerdict(const QString &name, QString *why)
{
    QProcess cli;
    cli.start(QStringLiteral(SOCKLAB_CLI_PATH),
              {QStringLiteral("lesson"), name, QStringLiteral("--json")});
    if (!cli.waitForFinished(180000) || cli.exitStatus() != QProcess::NormalExit) {
        *why = QStringLiteral("socklab-cli lesson %1 did not end").arg(name);
        return {};
    }
    const QList<QByteArray> lines = cli.readAllStandardOutput().trimmed().split('\n');
    for (auto it = lines.crbegin(); it != lines.crend(); ++it) {
        const QJsonObject o = QJsonDocument::fromJson(*it).object();
        if (o.value(QStringLiteral("kind")).toString() != QLatin1String("lesson_result"))
            continue;
        const bool ran = o.value(QStringLiteral("ran")).toBool();
        if (cli.exitCode() != (ran ? 0 : 1)) {
            *why = QStringLiteral("socklab-cli lesson %1 exited %2 for a lesson that %3")
                       .arg(name)
                       .arg(cli.exitCode())
                       .arg(ran ? QStringLiteral("ran") : QStringLiteral("did not run"));
            return {};
        }
        return o;
    }
    *why = QStringLiteral("socklab-cli lesson %1 printed no lesson_result: %2")
               .arg(name, QString::fromUtf8(cli.readAllStandardError()));
    return {};
}

} // namespace

class TestWindowLessons : public QObject
{
    Q_OBJECT
  private slots:
    void initTestCase()
    {
        QVERIFY(m_settingsDir.isValid());
        QCoreApplication::setOrganizationName(QStringLiteral("SockLabTest"));
        QCoreApplication::setApplicationName(QStringLiteral("tst_window_lessons"));
        QSettings::setDefaultFormat(QSettings::IniFormat);
        QSettings::setPath(QSettings::IniFormat, QSettings::UserScope, m_settingsDir.path());
        QSettings().clear();
        m_window = std::make_unique<MainWindow>();
        m_window->resize(1280, 720);
        m_window->show();
        QVERIFY(QTest::qWaitForWindowExposed(m_window.get()));
    }
    void cleanupTestCase()
    {
        if (m_window)
            m_window->engine()->stop();
        m_window.reset();
    }

    void sameVerdictAsTheCli_data()
    {
        QTest::addColumn<QString>("name");
        QTest::addColumn<bool>("stepwise");
        const QList<Lesson> all = lessonCatalogue();
        QVERIFY(all.size() >= 16);
        // Run all for every lesson; a few again step by step (Next step), short ones that
        // have several steps, so the stepwise path is judged the same way.
        for (const Lesson &l : all)
            QTest::newRow(qPrintable(l.name)) << l.name << false;
        for (const char *name : {"restart-without-reuseaddr", "two-listeners", "recv-timeout"})
            QTest::newRow(qPrintable(QStringLiteral("%1 (Next step)").arg(QLatin1String(name))))
                << QString::fromLatin1(name) << true;
    }

    void sameVerdictAsTheCli()
    {
        QFETCH(QString, name);
        QFETCH(bool, stepwise);
        QString why;
        const QJsonObject cli = cliVerdict(name, &why);
        QVERIFY2(!cli.isEmpty(), qPrintable(why));

        auto *panel = m_window->findChild<LessonsPanel *>(QStringLiteral("lessonsPanel"));
        QVERIFY(panel);
        QVERIFY(panel->selectLesson(name));
        LessonRunner *runner = m_window->lessonRunner();
        QSignalSpy done(runner, &LessonRunner::finished);
        // The Stop the window issues after the verdict (it ends what the lesson left running):
        // seen when its Finished arrives, after every event it caused.
        bool stoppedAfter = false;
        const QMetaObject::Connection watch = connect(
            m_window->engine()->bus(), &EventBus::eventsReady, this, [&](const QList<Event> &b) {
                for (const Event &e : b) {
                    if (e.kind == EventKind::Finished && runner->lastRun() != 0 &&
                        e.run > runner->lastRun() && done.count() > 0)
                        stoppedAfter = true;
                }
            });
        const Lesson lesson = runner->lesson();
        // Long enough for the lesson's own stop (stopAfter) and its settling, under sanitizers.
        const int waitMs = 60000 + int(lesson.stopAfter * 1000);
        if (stepwise) {
            for (int i = 0; i < lesson.steps.size(); ++i) {
                QTRY_VERIFY_WITH_TIMEOUT(runner->canStep(), waitMs);
                panel->nextStep();
            }
        } else {
            panel->runAll();
        }
        QVERIFY2(done.wait(waitMs) || done.count() == 1, qPrintable(name));
        const LessonResult result = done.first().first().value<LessonResult>();

        // The window's verdict is the CLI's: the same, prediction by prediction.
        const QJsonObject &verdict = cli;
        const bool cliRan = verdict.value(QStringLiteral("ran")).toBool();
        QCOMPARE(result.notRun.isEmpty(), cliRan);
        QCOMPARE(result.passed, verdict.value(QStringLiteral("passed")).toBool());
        const QJsonArray checks = verdict.value(QStringLiteral("checks")).toArray();
        QCOMPARE(result.checks.size(), checks.size());
        for (int i = 0; i < checks.size(); ++i) {
            const QJsonObject c = checks.at(i).toObject();
            QCOMPARE(result.checks[i].says, c.value(QStringLiteral("says")).toString());
            QVERIFY2(
                result.checks[i].held == c.value(QStringLiteral("held")).toBool(),
                qPrintable(
                    QStringLiteral("%1: window %2 (%3), CLI %4 (%5)")
                        .arg(result.checks[i].says, result.checks[i].held ? "held" : "did not hold",
                             result.checks[i].observed,
                             c.value(QStringLiteral("held")).toBool() ? "held" : "did not hold",
                             c.value(QStringLiteral("observed")).toString())));
        }

        // The log holds this lesson's run only, up to its verdict: nothing observed after the
        // verdict (the Stop that ends what the lesson left running) enters it. An observation
        // made just before the verdict may reach the log just after it (the socket table's
        // batch was on its way); it is still the run's. The timeline frames the run from its
        // first event to its last.
        const LogModel *log = m_window->findChild<LogView *>(QStringLiteral("logView"))->model();
        const auto verdictRow = [log] {
            for (int r = log->rowCount() - 1; r >= 0; --r)
                if (log->eventAt(r).kind == EventKind::LessonResult)
                    return r;
            return -1;
        };
        QTRY_VERIFY(verdictRow() >= 0);
        QTRY_VERIFY_WITH_TIMEOUT(stoppedAfter, 10000);
        disconnect(watch);
        const Event verdictEvent = log->eventAt(verdictRow());
        for (int r = verdictRow() + 1; r < log->rowCount(); ++r)
            QVERIFY2(log->eventAt(r).monoNs <= verdictEvent.monoNs,
                     qPrintable(QStringLiteral("observed after the verdict: ") +
                                log->eventAt(r).toText()));
        double first = 1e9, last = 0;
        for (int r = 0; r < log->rowCount(); ++r) {
            const Event e = log->eventAt(r);
            QVERIFY2(e.run >= runner->firstRun() && e.run <= runner->lastRun(),
                     qPrintable(QStringLiteral("run %1 not in [%2, %3]: %4")
                                    .arg(e.run)
                                    .arg(runner->firstRun())
                                    .arg(runner->lastRun())
                                    .arg(e.toText())));
            first = std::min(first, e.tNs / 1e9);
            last = std::max(last, e.tNs / 1e9);
        }
        QVERIFY2(first >= 0 && first < 2, qPrintable(QString::number(first)));
        const auto *timeline = m_window->findChild<TimelineWidget *>(QStringLiteral("timeline"));
        const auto [from, to] = timeline->visibleSeconds();
        QVERIFY2(!timeline->followLive(), "the finished run is framed, not followed");
        QVERIFY2(from <= first && to >= last,
                 qPrintable(QStringLiteral("events %1-%2 s, view %3-%4 s")
                                .arg(first)
                                .arg(last)
                                .arg(from)
                                .arg(to)));
    }

    // While a lesson's call runs, the status line says so: a class watching recv() block with
    // no timeout reads "Running recv on c1", not "Idle". Every change of the line is recorded,
    // from the press to the verdict.
    void theStatusLineFollowsALesson()
    {
        auto *panel = m_window->findChild<LessonsPanel *>(QStringLiteral("lessonsPanel"));
        QVERIFY(panel);
        QVERIFY(panel->selectLesson(QStringLiteral("no-timeout")));
        LessonRunner *runner = m_window->lessonRunner();
        QSignalSpy done(runner, &LessonRunner::finished);
        QStringList said;
        QString cancelledAt; // the line once the lesson's Stop has cancelled the call
        const QMetaObject::Connection watch = connect(
            m_window->engine()->bus(), &EventBus::eventsReady, this, [&](const QList<Event> &b) {
                // Read after the window has handled the batch (it was connected first).
                QString now = m_window->backendStatus();
                if (said.isEmpty() || said.constLast() != now)
                    said << now;
                for (const Event &e : b) {
                    if (e.kind == EventKind::Cancelled && cancelledAt.isEmpty())
                        cancelledAt = now;
                }
            });
        panel->runAll();
        QVERIFY(done.wait(60000) || done.count() == 1);
        disconnect(watch);
        // "Running recv on c1 (no timeout ...)" until the lesson's Stop cancels it: never Idle
        // while the call blocks.
        const QString all = said.join(QLatin1String(" | "));
        qsizetype recvAt = -1;
        for (qsizetype i = 0; i < said.size() && recvAt < 0; ++i) {
            if (said[i].startsWith(QLatin1String("Running recv on c1 (no timeout")))
                recvAt = i;
        }
        QVERIFY2(recvAt >= 0, qPrintable(all));
        for (qsizetype i = recvAt + 1; i < said.size(); ++i) {
            if (said[i].startsWith(QLatin1String("Cancelled: recv on c1")))
                break;
            QVERIFY2(!said[i].startsWith(QLatin1String("Idle")), qPrintable(all));
        }
        QVERIFY2(cancelledAt.startsWith(QLatin1String("Cancelled: recv on c1")), qPrintable(all));
    }

    // Preparing a class: socklab --run-lessons runs the lessons in its window as Run all does
    // and writes a handout of each, with the CLI's verdict and the run's picture.
    void runLessonsWritesHandouts()
    {
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        const QStringList names = {QStringLiteral("recv-timeout"),
                                   QStringLiteral("restart-without-reuseaddr")};
        QProcess app;
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert(QStringLiteral("QT_QPA_PLATFORM"), QStringLiteral("offscreen"));
        env.insert(QStringLiteral("HOME"), dir.path()); // no saved window of the user's
        env.insert(QStringLiteral("XDG_CONFIG_HOME"), dir.filePath(QStringLiteral("config")));
        app.setProcessEnvironment(env);
        app.start(QStringLiteral(SOCKLAB_APP_PATH),
                  {QStringLiteral("--run-lessons"), names.join(QLatin1Char(',')),
                   QStringLiteral("--handout-dir"), dir.filePath(QStringLiteral("out"))});
        QVERIFY(app.waitForFinished(180000));
        QVERIFY2(app.exitStatus() == QProcess::NormalExit && app.exitCode() == 0,
                 app.readAllStandardError().constData());
        for (const QString &name : names) {
            QString why;
            const QJsonObject cli = cliVerdict(name, &why);
            QVERIFY2(!cli.isEmpty(), qPrintable(why));
            QFile f(dir.filePath(QStringLiteral("out/%1.html").arg(name)));
            QVERIFY2(f.open(QIODevice::ReadOnly), qPrintable(f.fileName()));
            const QString html = QString::fromUtf8(f.readAll());
            const Lesson lesson = *findLesson(name);
            QVERIFY(html.contains(lesson.title.toHtmlEscaped()));
            const bool passed = cli.value(QStringLiteral("passed")).toBool();
            QVERIFY2(html.contains(passed ? QStringLiteral("<p class=\"result\">PASSED</p>")
                                          : QStringLiteral("<p class=\"result\">FAILED</p>")),
                     qPrintable(name));
            QVERIFY(html.contains(QLatin1String("data:image/png;base64,")));
        }

        // A name that is not a lesson changes nothing and says which there are.
        QProcess bad;
        bad.setProcessEnvironment(env);
        bad.start(QStringLiteral(SOCKLAB_APP_PATH),
                  {QStringLiteral("--run-lessons"), QStringLiteral("recv-timeout,nope"),
                   QStringLiteral("--handout-dir"), dir.filePath(QStringLiteral("bad"))});
        QVERIFY(bad.waitForFinished(30000));
        QCOMPARE(bad.exitCode(), 2);
        const QString err = QString::fromUtf8(bad.readAllStandardError());
        QVERIFY2(err.contains(QLatin1String("'nope' is not a lesson")) &&
                     err.contains(QLatin1String("recv-timeout")),
                 qPrintable(err));
        QVERIFY(!QDir(dir.filePath(QStringLiteral("bad"))).exists());
    }

  private:
    QTemporaryDir m_settingsDir;
    std::unique_ptr<MainWindow> m_window;
};

QTEST_MAIN(TestWindowLessons)
#include "tst_window_lessons.moc"
