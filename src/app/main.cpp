#include "lessons/LessonBatch.h"
#include "startup/AppOptions.h"
#include "window/MainWindow.h"
#include "window/Theme.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QDir>
#include <QTextStream>

#include <memory>

namespace {
void name(QCoreApplication &app)
{
    app.setApplicationName(QStringLiteral("SockLab"));
    app.setOrganizationName(QStringLiteral("SockLab"));
    app.setApplicationVersion(QStringLiteral(SOCKLAB_VERSION));
}
} // namespace

int main(int argc, char *argv[])
{
    const AppOptions options;
    if (AppOptions::wantsHelpOrVersion(argc, argv)) {
        // Answered without a window, so without a display (a terminal, ssh, a package test).
        QCoreApplication core(argc, argv);
        name(core);
        QCommandLineParser parser;
        options.addTo(parser);
        parser.process(core); // prints the help or the version and exits
        return 0;
    }
    QApplication app(argc, argv);
    name(app);
    QApplication::setDesktopFileName(QStringLiteral("socklab"));
    QApplication::setWindowIcon(QIcon(QStringLiteral(":/icons/socklab.svg")));

    QCommandLineParser parser;
    options.addTo(parser);
    parser.process(app);
    theme::Choice choice = theme::Choice::System;
    if (QString error; !theme::parse(parser.value(options.theme), &choice, &error)) {
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
    if (parser.isSet(options.lesson) && !w.selectLesson(parser.value(options.lesson))) {
        QTextStream(stderr) << "socklab: --lesson: '" << parser.value(options.lesson)
                            << "' is not a lesson; socklab-cli lessons lists them.\n";
        return 2;
    }
    std::unique_ptr<LessonBatch> batch;
    if (parser.isSet(options.runLessons)) {
        QString error;
        const QStringList names = LessonBatch::resolve(
            parser.value(options.runLessons).split(QLatin1Char(','), Qt::SkipEmptyParts), &error);
        if (names.isEmpty()) {
            QTextStream(stderr) << "socklab: --run-lessons: " << error << "\n";
            return 2;
        }
        const QString dir = parser.value(options.handoutDir);
        if (dir.isEmpty() || !QDir().mkpath(dir)) {
            QTextStream(stderr) << "socklab: --run-lessons needs --handout-dir DIR, a folder it "
                                   "can write ("
                                << (dir.isEmpty() ? QStringLiteral("none given") : dir) << ").\n";
            return 2;
        }
        batch = std::make_unique<LessonBatch>(&w, names, dir);
        QObject::connect(batch.get(), &LessonBatch::done, &app,
                         [](bool allRan) { QCoreApplication::exit(allRan ? 0 : 1); });
    } else if (parser.isSet(options.handoutDir)) {
        QTextStream(stderr) << "socklab: --handout-dir goes with --run-lessons.\n";
        return 2;
    }
    w.show();
    if (parser.isSet(options.presenter))
        w.setPresenterMode(true);
    if (batch)
        batch->start();
    return app.exec();
}
