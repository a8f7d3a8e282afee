#pragma once

#include "CliCommand.h"

#include <QByteArray>
#include <QString>
#include <QStringList>

namespace socklab::cli {

// `socklab-cli lessons [--json]` and `socklab-cli lesson NAME [--json]`.
struct LessonArgs
{
    enum class Kind
    {
        None, // not a lesson command
        List,
        Run,
        Help
    };
    Kind kind = Kind::None;
    bool json = false;
    NetworkChoice network = NetworkChoice::Auto;
    QString pcapPath;
    QString name;
    QString error; // non-empty: invalid arguments (exit 2)
    QString help;
};

LessonArgs parseLessonArgs(const QStringList &arguments);
// A command's --help text, whichever parser has it (connect, ..., lesson, lessons).
QString helpFor(const QString &command);
// The catalogue as text lines, or as a JSON array of {name, title, summary}.
QByteArray lessonList(bool json);

} // namespace socklab::cli
