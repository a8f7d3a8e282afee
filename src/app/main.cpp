#include "window/MainWindow.h"
#include "window/Theme.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QTextStream>

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
    w.show();
    if (parser.isSet(presenterOption))
        w.setPresenterMode(true);
    return app.exec();
}
