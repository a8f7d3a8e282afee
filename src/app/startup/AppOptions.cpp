#include "AppOptions.h"

#include <cstring>

AppOptions::AppOptions()
    : theme(QStringLiteral("theme"),
            QStringLiteral("system (default), light or dark: the palette. By default SockLab "
                           "follows the desktop's light or dark palette."),
            QStringLiteral("name"), QStringLiteral("system")),
      lesson(QStringLiteral("lesson"),
             QStringLiteral("Open with this lesson selected (socklab-cli lessons lists them)."),
             QStringLiteral("name")),
      presenter(QStringLiteral("presenter"),
                QStringLiteral("Start in presenter mode (F5): large text, the lesson beside a "
                               "large timeline.")),
      runLessons(QStringLiteral("run-lessons"),
                 QStringLiteral("Run these lessons (comma-separated names, or all) one after "
                                "another in the window, as Run all does, write a handout of "
                                "each into --handout-dir, and quit: status 0 when every lesson "
                                "ran (whatever its verdict), 1 otherwise."),
                 QStringLiteral("names")),
      handoutDir(QStringLiteral("handout-dir"),
                 QStringLiteral("Where --run-lessons writes NAME.html (created if missing)."),
                 QStringLiteral("dir"))
{
}

QString AppOptions::description()
{
    return QStringLiteral("SockLab: see what socket options really do, on real sockets.");
}

void AppOptions::addTo(QCommandLineParser &parser) const
{
    parser.setApplicationDescription(description());
    parser.addHelpOption();
    parser.addVersionOption();
    for (const QCommandLineOption *o : {&theme, &lesson, &presenter, &runLessons, &handoutDir})
        parser.addOption(*o);
    parser.addPositionalArgument(QStringLiteral("profile"),
                                 QStringLiteral("A JSON profile to load (optional)."),
                                 QStringLiteral("[profile]"));
}

bool AppOptions::wantsHelpOrVersion(int argc, char *argv[])
{
    for (int i = 1; i < argc; ++i) {
        for (const char *flag : {"-h", "--help", "--help-all", "-v", "--version", "-?"})
            if (std::strcmp(argv[i], flag) == 0)
                return true;
    }
    return false;
}
