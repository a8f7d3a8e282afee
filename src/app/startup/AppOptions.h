#pragma once

#include <QCommandLineOption>
#include <QCommandLineParser>
#include <QString>

// The window's command line, in one place: socklab's main parses it, and its --help and its
// man page (socklab-man) are written from it.
struct AppOptions
{
    AppOptions();

    QCommandLineOption theme;
    QCommandLineOption lesson;
    QCommandLineOption presenter;
    QCommandLineOption runLessons;
    QCommandLineOption handoutDir;

    // The description, --help, --version, every option above and the profile argument.
    void addTo(QCommandLineParser &parser) const;
    static QString description();

    // Whether the arguments ask only for --help or --version (answered without a display).
    static bool wantsHelpOrVersion(int argc, char *argv[]);
};
