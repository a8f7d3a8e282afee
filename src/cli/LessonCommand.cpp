#include "LessonCommand.h"

#include "Lesson.h"

#include <QCommandLineParser>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

namespace socklab::cli {

LessonArgs parseLessonArgs(const QStringList &arguments)
{
    LessonArgs a;
    if (arguments.size() < 2)
        return a;
    const QString cmd = arguments.at(1);
    if (cmd != QLatin1String("lessons") && cmd != QLatin1String("lesson"))
        return a;
    const bool run = cmd == QLatin1String("lesson");
    QCommandLineParser p;
    p.setApplicationDescription(
        run ? QStringLiteral("Run one lesson on this machine's kernel: print its events, then a "
                             "lesson_result event saying whether its prediction held (passed) "
                             "and what was observed against what was predicted. Exit 0 when the "
                             "lesson ran, whatever its verdict.")
            : QStringLiteral("List the lessons: name, title and summary."));
    p.addHelpOption();
    QCommandLineOption json(QStringLiteral("json"),
                            run ? QStringLiteral("One JSON event per line (NDJSON).")
                                : QStringLiteral("A JSON array of {name, title, summary}."));
    p.addOption(json);
    if (run) {
        p.addOption(networkOption());
        p.addOption(pcapOption());
    }
    if (run)
        p.addPositionalArgument(QStringLiteral("NAME"),
                                QStringLiteral("The lesson (see socklab-cli lessons)."));
    QStringList args = arguments;
    args.removeAt(1);
    if (!p.parse(args)) {
        a.error = p.errorText();
        return a;
    }
    if (p.isSet(QStringLiteral("help"))) {
        a.kind = LessonArgs::Kind::Help;
        a.help = commandHelp(p, cmd);
        return a;
    }
    a.json = p.isSet(json);
    const QStringList pos = p.positionalArguments();
    if (!run) {
        a.kind = LessonArgs::Kind::List;
        if (!pos.isEmpty())
            a.error = QStringLiteral("lessons takes no arguments, got '%1'.").arg(pos.first());
        return a;
    }
    a.kind = LessonArgs::Kind::Run;
    if (!readNetwork(p, &a.network, &a.error))
        return a;
    a.pcapPath = p.value(QStringLiteral("pcap"));
    if (p.isSet(QStringLiteral("pcap")) && a.pcapPath.isEmpty()) {
        a.error = QStringLiteral("--pcap: give the file to write.");
        return a;
    }
    if (pos.size() != 1) {
        a.error = pos.isEmpty()
                      ? QStringLiteral("lesson: name a lesson; socklab-cli lessons "
                                       "lists them.")
                      : QStringLiteral("lesson: give one lesson name, not %1.").arg(pos.size());
        return a;
    }
    a.name = pos.first();
    if (!findLesson(a.name)) {
        QStringList names;
        for (const Lesson &l : lessonCatalogue())
            names << l.name;
        a.error = QStringLiteral("lesson: '%1' is not a lesson; use one of %2.")
                      .arg(a.name, names.join(QStringLiteral(", ")));
    }
    return a;
}

QString helpFor(const QString &command)
{
    const QStringList args{QStringLiteral("socklab-cli"), command, QStringLiteral("--help")};
    const LessonArgs a = parseLessonArgs(args);
    return a.kind == LessonArgs::Kind::Help ? a.help : parse(args).help;
}

QByteArray lessonList(bool json)
{
    const QList<Lesson> all = lessonCatalogue();
    if (json) {
        QJsonArray arr;
        for (const Lesson &l : all)
            arr.append(QJsonObject{{QStringLiteral("name"), l.name},
                                   {QStringLiteral("title"), l.title},
                                   {QStringLiteral("summary"), l.summary}});
        return QJsonDocument(arr).toJson(QJsonDocument::Compact) + '\n';
    }
    qsizetype width = 0;
    for (const Lesson &l : all)
        width = std::max(width, l.name.size());
    QByteArray out;
    for (const Lesson &l : all)
        out += (l.name.leftJustified(width + 2) + l.title + QLatin1Char('\n')).toUtf8();
    return out;
}

} // namespace socklab::cli
