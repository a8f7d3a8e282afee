#include "lessons/LessonBatch.h"
#include "window/MainWindow.h"
#include "window/Theme.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QDir>
#include <QTextStream>

#include <memory>

int main(int argc, char *argv[])
{
    QApplication app(argc, argv);
    QApplication::setApplicationName(QStringLiteral("SockLab"));
    QApplication::setOrganizationName(QStringLiteral("SockLab"));
    QApplication::setApplicationVersion(QStringLiteral(SOCKLAB_VERSION));
    QApplication::setDesktopFileName(QStringLiteral("socklab"));
    QApplication::setWindowIcon(QIcon(QStringLiteral(":/icons/socklab.svg")));

    QCommandLineParser parser;
    parser.setApplicationDescription(
        QStringLiteral("SockLab: see what socket options really do, on real sockets."));
    parser.addHelpOption();
    parser.addVersionOption();
    QCommandLineOption themeOption(
        QStringLiteral("theme"),
        QStringLiteral("system (default), light or dark: the palette. By default SockLab "
                       "follows the desktop's light or dark palette."),
        QStringLiteral("name"), QStringLiteral("system"));
    parser.addOption(themeOption);
    QCommandLineOption lessonOption(QStringLiteral("lesson"),
                                    QStringLiteral("Open with this lesson selected (socklab-cli "
                                                   "lessons lists them)."),
                                    QStringLiteral("name"));
    parser.addOption(lessonOption);
    QCommandLineOption presenterOption(QStringLiteral("presenter"),
                                       QStringLiteral("Start in presenter mode (F5): large text, "
                                                      "the lesson beside a large timeline."));
    parser.addOption(presenterOption);
    QCommandLineOption runLessonsOption(
        QStringLiteral("run-lessons"),
        QStringLiteral("Run these lessons (comma-separated names, or all) one after another in "
                       "the window, as Run all does, write a handout of each into "
                       "--handout-dir, and quit: status 0 when every lesson ran (whatever its "
                       "verdict), 1 otherwise."),
        QStringLiteral("names"));
    parser.addOption(runLessonsOption);
    QCommandLineOption handoutDirOption(
        QStringLiteral("handout-dir"),
        QStringLiteral("Where --run-lessons writes NAME.html (created if missing)."),
        QStringLiteral("dir"));
    parser.addOption(handoutDirOption);
    parser.addPositionalArgument(QStringLiteral("profile"),
                                 QStringLiteral("A JSON profile to load (optional)."),
                                 QStringLiteral("[profile]"));
    parser.process(app);
    theme::Choice choice = theme::Choice::System;
    if (QString error; !theme::parse(parser.value(themeOption), &choice, &error)) {
        QTextStream(stderr) << "socklab: " << error << "\n";
        return 2;
    }
    theme::apply(choice);

    MainWindow w;
    const QStringList args = parser.positionalArguments();
    if (args.size() > 1) {
        QTextStream(stderr) << "socklab: give at most one profile, not " << args.size() << "\n";
        return 2;
    }
    if (!args.isEmpty()) {
        QString error;
        if (!w.loadProfile(args.first(), &error)) {
            QTextStream(stderr) << "socklab: " << error << "\n";
            return 2;
        }
    }
    if (parser.isSet(lessonOption) && !w.selectLesson(parser.value(lessonOption))) {
        QTextStream(stderr) << "socklab: --lesson: '" << parser.value(lessonOption)
                            << "' is not a lesson; socklab-cli lessons lists them.\n";
        return 2;
    }
    std::unique_ptr<LessonBatch> batch;
    if (parser.isSet(runLessonsOption)) {
        QString error;
        const QStringList names = LessonBatch::resolve(
            parser.value(runLessonsOption).split(QLatin1Char(','), Qt::SkipEmptyParts), &error);
        if (names.isEmpty()) {
            QTextStream(stderr) << "socklab: --run-lessons: " << error << "\n";
            return 2;
        }
        const QString dir = parser.value(handoutDirOption);
        if (dir.isEmpty() || !QDir().mkpath(dir)) {
            QTextStream(stderr) << "socklab: --run-lessons needs --handout-dir DIR, a folder it "
                                   "can write ("
                                << (dir.isEmpty() ? QStringLiteral("none given") : dir) << ").\n";
            return 2;
        }
        batch = std::make_unique<LessonBatch>(&w, names, dir);
        QObject::connect(batch.get(), &LessonBatch::done, &app,
                         [](bool allRan) { QCoreApplication::exit(allRan ? 0 : 1); });
    } else if (parser.isSet(handoutDirOption)) {
        QTextStream(stderr) << "socklab: --handout-dir goes with --run-lessons.\n";
        return 2;
    }
    w.show();
    if (parser.isSet(presenterOption))
        w.setPresenterMode(true);
    if (batch)
        batch->start();
    return app.exec();
}
