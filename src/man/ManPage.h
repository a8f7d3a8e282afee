#pragma once

#include <QList>
#include <QString>

// Turns the help texts that QCommandLineParser prints into a man page (roff, man macros), so
// that each program's options are written once, in its parser, and read by --help and man alike.
namespace man {

struct Section
{
    QString title; // "connect": a subsection of COMMANDS; empty: the page's own options
    QString help;  // QCommandLineParser::helpText() (or a text laid out the same way)
};

struct Page
{
    QString name;     // socklab-cli
    QString summary;  // the NAME line's words after the dash
    QString version;  // SockLab 0.1.0
    QString synopsis; // "[options] [profile]"
    QList<Section> sections;
    QString sectionsTitle = QStringLiteral("OPTIONS"); // COMMANDS for a program with commands
    QString overview; // an introduction in the help layout ("Commands:", indented entries)
    QString seeAlso;  // "socklab(1)"
};

QString render(const Page &page);
// Roff-escapes text for a man page (backslashes, leading dots and quotes, hyphens).
QString escape(const QString &text);

} // namespace man
