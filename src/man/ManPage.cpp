#include "ManPage.h"

#include <QRegularExpression>
#include <QStringList>

namespace man {

namespace {

struct Entry
{
    QString names; // "-h, --help" or "HOST"
    QString text;
};

// A help text's parts: the description (before the first "Xxx:" heading), then each heading
// with its entries ("  names   text", continued on lines indented further).
struct Parsed
{
    QString usage;
    QStringList description;
    QList<std::pair<QString, QList<Entry>>> blocks;
    QStringList trailer; // plain lines after a block (exit status and the like)
};

Parsed parse(const QString &help)
{
    Parsed p;
    static const QRegularExpression heading(QStringLiteral("^([A-Z][A-Za-z ]*):$"));
    static const QRegularExpression entry(QStringLiteral("^  (\\S.*?)(?:\\s{2,}(\\S.*))?$"));
    const QStringList lines = help.split(QLatin1Char('\n'));
    bool inBlock = false;
    for (const QString &raw : lines) {
        const QString line = raw.trimmed().isEmpty() ? QString() : raw;
        if (line.startsWith(QLatin1String("Usage: "))) {
            p.usage = line.mid(7).trimmed();
            continue;
        }
        if (const auto m = heading.match(line); m.hasMatch()) {
            p.blocks.append({m.captured(1), {}});
            inBlock = true;
            continue;
        }
        if (line.isEmpty()) {
            if (!inBlock && !p.description.isEmpty() && !p.description.last().isEmpty())
                p.description << QString();
            inBlock = false;
            continue;
        }
        if (inBlock && line.startsWith(QLatin1String("   ")) && !p.blocks.last().second.isEmpty()) {
            Entry &e = p.blocks.last().second.last();
            (e.text.isEmpty() ? e.names : e.text) += QLatin1Char(' ') + line.trimmed();
            e.names = e.names.trimmed();
            e.text = e.text.trimmed();
            continue;
        }
        if (inBlock) {
            if (const auto m = entry.match(line); m.hasMatch()) {
                p.blocks.last().second.append({m.captured(1).trimmed(), m.captured(2).trimmed()});
                continue;
            }
        }
        (p.blocks.isEmpty() ? p.description : p.trailer) << line.trimmed();
    }
    while (!p.description.isEmpty() && p.description.last().isEmpty())
        p.description.removeLast();
    return p;
}

QString paragraphs(const QStringList &lines)
{
    QString s;
    QStringList para;
    const auto flush = [&] {
        if (!para.isEmpty())
            s += QStringLiteral(".PP\n") + escape(para.join(QLatin1Char(' '))) + QLatin1Char('\n');
        para.clear();
    };
    for (const QString &l : lines) {
        if (l.isEmpty())
            flush();
        else
            para << l;
    }
    flush();
    return s;
}

// "-h, --help" in bold, "<S>" and other value names in italics.
QString entryNames(const QString &names)
{
    QString s;
    static const QRegularExpression token(QStringLiteral("(<[^>]+>)|([^<]+)"));
    auto it = token.globalMatch(names);
    while (it.hasNext()) {
        const auto m = it.next();
        if (m.capturedLength(1))
            s += QStringLiteral("\\fI") + escape(m.captured(1)) + QStringLiteral("\\fR");
        else
            s += QStringLiteral("\\fB") + escape(m.captured(2)) + QStringLiteral("\\fR");
    }
    return s;
}

QString blocks(const Parsed &p)
{
    QString s;
    for (const auto &[title, entries] : p.blocks) {
        if (title != QLatin1String("Options") && title != QLatin1String("Arguments"))
            s += QStringLiteral(".PP\n%1:\n").arg(escape(title));
        for (const Entry &e : entries)
            s += QStringLiteral(".TP\n%1\n%2\n").arg(entryNames(e.names), escape(e.text));
    }
    if (!p.trailer.isEmpty())
        s += paragraphs(p.trailer);
    return s;
}

} // namespace

QString escape(const QString &text)
{
    QString s = text;
    s.replace(QLatin1Char('\\'), QStringLiteral("\\e"));
    s.replace(QLatin1Char('-'), QStringLiteral("\\-"));
    if (s.startsWith(QLatin1Char('.')) || s.startsWith(QLatin1Char('\'')))
        s.prepend(QStringLiteral("\\&"));
    return s;
}

QString render(const Page &page)
{
    QString s;
    s += QStringLiteral(
        ".\\\" Written by socklab-man from the programs' own --help; do not edit.\n");
    s += QStringLiteral(".TH %1 1 \"\" \"%2\" \"User Commands\"\n")
             .arg(page.name.toUpper(), escape(page.version));
    s += QStringLiteral(".SH NAME\n%1 \\- %2\n").arg(escape(page.name), escape(page.summary));
    s += QStringLiteral(".SH SYNOPSIS\n.B %1\n%2\n").arg(escape(page.name), escape(page.synopsis));
    if (!page.overview.isEmpty()) {
        const Parsed o = parse(page.overview);
        s += QStringLiteral(".SH DESCRIPTION\n") + paragraphs(o.description) + blocks(o);
    }
    if (!page.sections.isEmpty())
        s += QStringLiteral(".SH %1\n").arg(page.sectionsTitle);
    for (const Section &sec : page.sections) {
        const Parsed p = parse(sec.help);
        if (!sec.title.isEmpty())
            s += QStringLiteral(".SS \"%1\"\n.B %2\n").arg(escape(sec.title), escape(p.usage));
        else if (page.overview.isEmpty())
            s += QStringLiteral(".PP\n") + escape(p.description.join(QLatin1Char(' '))) +
                 QLatin1Char('\n');
        if (!sec.title.isEmpty())
            s += paragraphs(p.description);
        s += blocks(p);
    }
    if (!page.seeAlso.isEmpty())
        s += QStringLiteral(".SH \"SEE ALSO\"\n%1\n").arg(escape(page.seeAlso));
    return s;
}

} // namespace man
