// socklab-man DIR: writes socklab.1 and socklab-cli.1 into DIR from the programs' own option
// tables (AppOptions for the window, the CLI's parsers for socklab-cli), so the man pages say
// what --help says. Run by the build; the pages are installed with the programs.
#include "LessonCommand.h"
#include "ManPage.h"
#include "startup/AppOptions.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QDir>
#include <QFile>

#include <cstdio>

namespace {
bool write(const QString &path, const QString &text)
{
    QFile f(path);
    if (!f.open(QIODevice::WriteOnly | QIODevice::Truncate) ||
        f.write(text.toUtf8()) != text.toUtf8().size()) {
        std::fprintf(stderr, "socklab-man: cannot write %s\n", qPrintable(path));
        return false;
    }
    return true;
}
} // namespace

int main(int argc, char *argv[])
{
    QCoreApplication app(argc, argv);
    app.setApplicationName(QStringLiteral("socklab"));
    app.setApplicationVersion(QStringLiteral(SOCKLAB_VERSION));
    const QStringList args = QCoreApplication::arguments();
    if (args.size() != 2) {
        std::fprintf(stderr, "usage: socklab-man DIR\n");
        return 2;
    }
    const QDir dir(args.at(1));
    if (!QDir().mkpath(dir.path())) {
        std::fprintf(stderr, "socklab-man: cannot make %s\n", qPrintable(dir.path()));
        return 1;
    }
    const QString version = QStringLiteral("SockLab " SOCKLAB_VERSION);

    QCommandLineParser appParser;
    AppOptions().addTo(appParser);
    man::Page gui;
    gui.name = QStringLiteral("socklab");
    gui.summary = QStringLiteral("a workbench for seeing and teaching what socket options do");
    gui.version = version;
    gui.synopsis = QStringLiteral("[options] [profile]");
    gui.sections = {{QString(), appParser.helpText()}};
    gui.seeAlso = QStringLiteral("socklab-cli(1)");

    man::Page cli;
    cli.name = QStringLiteral("socklab-cli");
    cli.summary = QStringLiteral("SockLab's socket experiments and lessons, without a window");
    cli.version = version;
    cli.synopsis = QStringLiteral("command [options] [arguments]");
    cli.overview = socklab::cli::usage();
    cli.sectionsTitle = QStringLiteral("COMMANDS");
    for (const QString &c : socklab::cli::commands())
        cli.sections.append({c, socklab::cli::helpFor(c)});
    cli.seeAlso = QStringLiteral("socklab(1)");

    return write(dir.filePath(QStringLiteral("socklab.1")), man::render(gui)) &&
                   write(dir.filePath(QStringLiteral("socklab-cli.1")), man::render(cli))
               ? 0
               : 1;
}
