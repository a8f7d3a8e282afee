#include "Handout.h"

#include <QJsonObject>
#include <QJsonValue>
#include <QLocale>
#include <QMap>
#include <QRegularExpression>
#include <QSet>
#include <QStringList>

#include <algorithm>
#include <cmath>

#ifndef SOCKLAB_VERSION
#define SOCKLAB_VERSION "unknown" // CMake defines it; a stray build without it still works
#endif

namespace socklab::handout {

namespace {

// Escapes text for element content and attribute values. Besides the five markup characters it
// replaces what XML 1.0 forbids (control characters, lone surrogates, U+FFFE/U+FFFF) with
// U+FFFD: user text and payload previews can contain anything, and one such character would
// make the document unreadable to an XML parser.
QString esc(QStringView s)
{
    QString out;
    out.reserve(s.size() + s.size() / 8);
    for (qsizetype i = 0; i < s.size(); ++i) {
        const QChar c = s[i];
        const char16_t u = c.unicode();
        if (c.isHighSurrogate() && i + 1 < s.size() && s[i + 1].isLowSurrogate()) {
            out += c;
            out += s[++i];
            continue;
        }
        switch (u) {
        case u'&':
            out += QLatin1StringView("&amp;");
            continue;
        case u'<':
            out += QLatin1StringView("&lt;");
            continue;
        case u'>':
            out += QLatin1StringView("&gt;");
            continue;
        case u'"':
            out += QLatin1StringView("&quot;");
            continue;
        case u'\'':
            out += QLatin1StringView("&#39;");
            continue;
        default:
            break;
        }
        const bool allowedControl = u == u'\t' || u == u'\n' || u == u'\r';
        if ((u < 0x20 && !allowedControl) || c.isSurrogate() || u == 0xfffe || u == 0xffff)
            out += QChar(0xfffd);
        else
            out += c;
    }
    return out;
}

// Plain text as paragraphs: blank lines separate them; a single line break is kept, since
// lesson texts use them for short lists and formulas.
QString paragraphs(const QString &text)
{
    static const QRegularExpression blank(QStringLiteral("\\n[ \\t\\r]*\\n"));
    QString normal = text;
    normal.replace(QLatin1StringView("\r\n"), QLatin1StringView("\n"));
    QString out;
    const QStringList paras = normal.split(blank, Qt::SkipEmptyParts);
    for (const QString &p : paras) {
        const QString trimmed = p.trimmed();
        if (trimmed.isEmpty())
            continue;
        out += QStringLiteral("<p>");
        out += esc(trimmed).replace(u'\n', QLatin1StringView("<br/>\n"));
        out += QLatin1StringView("</p>\n");
    }
    return out;
}

// A value as the CLI and the CSV export write it (through JSON): integers without decimals,
// other numbers shortest, booleans true/false.
QString valueText(const QVariant &v)
{
    if (!v.isValid())
        return {};
    const QJsonValue j = QJsonValue::fromVariant(v);
    switch (j.type()) {
    case QJsonValue::Bool:
        return j.toBool() ? QStringLiteral("true") : QStringLiteral("false");
    case QJsonValue::Double: {
        const double d = j.toDouble();
        if (std::isfinite(d) && d == std::trunc(d) && std::fabs(d) < 9.007199254740992e15)
            return QString::number(qint64(d));
        return QString::number(d, 'g', QLocale::FloatingPointShortest);
    }
    case QJsonValue::String:
        return j.toString();
    default:
        return v.toString();
    }
}

QString seconds(double s)
{
    return QString::number(s, 'f', 6);
}

// The window's log groups kinds the same way (src/app/log/LogModel.cpp); the class names and
// colours below mirror its icon colours so a handout reads like the window.
const char *kindClass(EventKind k)
{
    switch (k) {
    case EventKind::OptionSet:
    case EventKind::OptionInherited:
    case EventKind::SystemDefault:
        return "k-option";
    case EventKind::Resolving:
    case EventKind::Resolved:
    case EventKind::Bound:
    case EventKind::Listening:
        return "k-setup";
    case EventKind::Connecting:
    case EventKind::Accepting:
    case EventKind::Sending:
    case EventKind::Receiving:
    case EventKind::Holding:
        return "k-start";
    case EventKind::Connected:
    case EventKind::Accepted:
    case EventKind::Sent:
    case EventKind::Received:
        return "k-done";
    case EventKind::Timeout:
    case EventKind::Retransmit:
    case EventKind::Lost:
        return "k-timeout";
    case EventKind::Error:
    case EventKind::EventsDropped:
        return "k-error";
    case EventKind::PeerDead:
        return "k-peerdead";
    case EventKind::PeerClosed:
        return "k-peerclosed";
    case EventKind::Closed:
        return "k-closed";
    case EventKind::ProbeSent:
        return "k-probesent";
    case EventKind::ProbeAcked:
        return "k-probeacked";
    case EventKind::ProbeUnanswered:
        return "k-probeunanswered";
    case EventKind::State:
        return "k-state";
    case EventKind::Cancelled:
    case EventKind::Queued: // a call that is not running (yet)
        return "k-cancelled";
    case EventKind::LessonResult:
        return "k-lesson"; // logRow turns it red when the lesson failed
    case EventKind::Info:
    case EventKind::Segment:
    case EventKind::Finished:
        break;
    }
    return "k-info";
}

// No '<' or '&' anywhere in here: the style element must stay well-formed XML.
const char *const kCss = R"css(
:root { color-scheme: light; }
* { box-sizing: border-box; }
body { margin: 0 auto; max-width: 60rem; padding: 1rem 1.25rem 2rem;
  font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
  color: #1f2937; background: #ffffff; }
h1 { font-size: 1.6rem; line-height: 1.25; margin: .5rem 0 .5rem; overflow-wrap: anywhere; }
h2 { font-size: 1.15rem; margin: 1.75rem 0 .5rem; padding-bottom: .2rem;
  border-bottom: 1px solid #d1d5db; }
p { margin: 0 0 .75rem; overflow-wrap: anywhere; }
.meta { display: grid; grid-template-columns: max-content 1fr; gap: 0 .75rem; margin: 0;
  color: #4b5563; font-size: .9rem; }
.meta dt { font-weight: 600; }
.meta dd { margin: 0; overflow-wrap: anywhere; }
.muted, .note { color: #6b7280; }
.note { font-size: .9rem; }
.mono, td.num, .fields { font-family: ui-monospace, "DejaVu Sans Mono", Menlo, Consolas, monospace; }
.verdict { border: 2px solid; border-radius: .4rem; padding: .75rem 1rem; margin: 1rem 0; }
.verdict.pass { border-color: #16a34a; background: #f0fdf4; }
.verdict.fail { border-color: #dc2626; background: #fef2f2; }
.verdict .result { font-size: 1.25rem; font-weight: 700; letter-spacing: .06em; margin: 0 0 .5rem; }
.verdict.pass .result { color: #15803d; }
.verdict.fail .result { color: #b91c1c; }
.verdict dl { margin: 0; }
.verdict dt { font-weight: 600; }
.verdict dd { margin: 0 0 .5rem 0; }
.verdict dd p { margin: 0 0 .25rem; }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; width: 100%; font-size: .85rem; }
th, td { text-align: left; vertical-align: top; padding: .25rem .5rem;
  border-bottom: 1px solid #e5e7eb; }
th { background: #f3f4f6; font-weight: 600; white-space: nowrap; }
thead { display: table-header-group; }
tr { break-inside: avoid; page-break-inside: avoid; }
td.num { text-align: right; white-space: nowrap; font-variant-numeric: tabular-nums; }
td.detail { min-width: 14rem; overflow-wrap: anywhere; }
.fields { display: block; font-size: .8rem; color: #374151; }
tr.differs td { background: #fef3c7; }
tr.differs td.eff { font-weight: 700; }
tr.refused td { background: #fee2e2; }
.summary { padding: .5rem .75rem; background: #f9fafb; border: 1px solid #e5e7eb;
  border-radius: .4rem; }
figure { margin: 0; }
figure img { display: block; max-width: 100%; height: auto; border: 1px solid #e5e7eb; }
figcaption { font-size: .85rem; color: #4b5563; margin-top: .25rem; }
#log td:first-child { border-left: 4px solid #94a3b8; }
#log tr.k-option td:first-child { border-left-color: #8a8f98; }
#log tr.k-setup td:first-child { border-left-color: #3b82f6; }
#log tr.k-start td:first-child { border-left-color: #06b6d4; }
#log tr.k-done td:first-child { border-left-color: #22c55e; }
#log tr.k-timeout td:first-child { border-left-color: #f59e0b; }
#log tr.k-error td:first-child { border-left-color: #ef4444; }
#log tr.k-peerdead td:first-child { border-left-color: #b91c1c; }
#log tr.k-peerclosed td:first-child { border-left-color: #a855f7; }
#log tr.k-closed td:first-child { border-left-color: #64748b; }
#log tr.k-probesent td:first-child { border-left-color: #60a5fa; }
#log tr.k-probeacked td:first-child { border-left-color: #16a34a; }
#log tr.k-probeunanswered td:first-child { border-left-color: #f97316; }
#log tr.k-state td:first-child { border-left-color: #14b8a6; }
#log tr.k-cancelled td:first-child { border-left-color: #d946ef; }
#log tr.k-lesson td:first-child { border-left-color: #16a34a; }
#log tr.k-lesson-failed td:first-child { border-left-color: #dc2626; }
#log tr.k-timeout td { background: #fffbeb; }
#log tr.k-error td { background: #fef2f2; }
#log tr.k-peerdead td { background: #fee2e2; font-weight: 600; }
#log tr.k-probeunanswered td { background: #fff7ed; }
#log tr.gap td { text-align: center; font-style: italic; color: #4b5563; background: #f3f4f6;
  border-left-color: #d1d5db; }
footer { margin-top: 2rem; font-size: .8rem; color: #6b7280; }
@media (max-width: 40rem) {
  body { padding: .5rem .6rem 1.5rem; font-size: 14px; }
  h1 { font-size: 1.35rem; }
  th, td { padding: .2rem .3rem; }
  table { font-size: .78rem; }
}
@page { margin: 15mm; }
@media print {
  body { max-width: none; padding: 0; font-size: 10pt; color: #000000; background: #ffffff; }
  .scroll { overflow: visible; }
  table { font-size: 8pt; }
  h2 { break-after: avoid; page-break-after: avoid; }
  .verdict, figure, .summary { break-inside: avoid; page-break-inside: avoid; }
  .verdict, tr.differs td, tr.refused td, #log tr td { print-color-adjust: exact;
    -webkit-print-color-adjust: exact; }
  a { color: inherit; text-decoration: none; }
}
)css";

struct OptionRow
{
    EventKind kind;
    QString sock, option, requested, effective, note;
    bool refused = false;
};

QList<OptionRow> optionRows(const QList<Event> &events)
{
    QList<OptionRow> rows;
    QSet<QString> seen;
    for (const Event &e : events) {
        const bool optionEvent = e.kind == EventKind::OptionSet ||
                                 e.kind == EventKind::OptionInherited ||
                                 e.kind == EventKind::SystemDefault;
        // A setsockopt the kernel refused belongs with the options too: it explains why the
        // experiment stopped there.
        const bool refused = e.kind == EventKind::Error && !e.option.isEmpty();
        if (!optionEvent && !refused)
            continue;
        OptionRow r{e.kind,   e.sock, e.option, valueText(e.requested), valueText(e.effective),
                    e.detail, refused};
        if (refused)
            r.effective = e.errnoName();
        // Under SO_RCVTIMEO/SO_SNDTIMEO the engine sets the timeout before every call: one row
        // per distinct value is what the reader needs, not one per call.
        const QString key =
            QStringList{QString::number(int(r.kind)), r.sock, r.option, r.requested, r.effective}
                .join(QChar(0x1f));
        if (seen.contains(key))
            continue;
        seen.insert(key);
        rows << r;
    }
    return rows;
}

QString optionsSection(const QList<Event> &events)
{
    QString out = QStringLiteral("<section id=\"options-applied\">\n<h2>Options as applied</h2>\n");
    const QList<OptionRow> rows = optionRows(events);
    if (rows.isEmpty()) {
        out += QStringLiteral("<p class=\"muted\">No socket option was set: the kernel's "
                              "defaults applied.</p>\n</section>\n");
        return out;
    }
    out += QStringLiteral(
        "<p class=\"note\">What was asked for with setsockopt(), and what the kernel read back "
        "with getsockopt(). Highlighted rows: the kernel changed the value.</p>\n"
        "<div class=\"scroll\">\n<table id=\"options\">\n<thead><tr><th>Socket</th>"
        "<th>Option</th><th>Requested</th><th>Effective</th><th>Note</th></tr></thead>\n"
        "<tbody>\n");
    for (const OptionRow &r : rows) {
        QString cls;
        QString requested = esc(r.requested);
        QString effective = esc(r.effective);
        if (r.refused) {
            cls = QStringLiteral("refused");
            effective = QStringLiteral("refused: ") + effective;
        } else if (r.kind == EventKind::SystemDefault) {
            requested = QStringLiteral("<span class=\"muted\">not set (system default)</span>");
        } else if (r.requested != r.effective) {
            cls = QStringLiteral("differs");
        }
        out +=
            cls.isEmpty() ? QStringLiteral("<tr>") : QStringLiteral("<tr class=\"%1\">").arg(cls);
        out += QStringLiteral("<td class=\"mono\">%1</td><td class=\"mono\">%2</td>"
                              "<td class=\"req mono\">%3</td><td class=\"eff mono\">%4</td>"
                              "<td>%5</td></tr>\n")
                   .arg(esc(r.sock), esc(r.option), requested, effective, esc(r.note));
    }
    out += QStringLiteral("</tbody>\n</table>\n</div>\n</section>\n");
    return out;
}

// One picture: the image, or why there is none.
QString picture(const QByteArray &png, const QString &alt, const QString &caption)
{
    static const QByteArray signature("\x89PNG\r\n\x1a\n", 8);
    if (png.isEmpty())
        return QStringLiteral(
            "<p class=\"muted\">No timeline picture was captured for this experiment.</p>\n");
    if (!png.startsWith(signature)) // a browser would show a broken-image icon
        return QStringLiteral("<p class=\"muted\">No timeline picture was captured for this "
                              "experiment (the image given was not a PNG).</p>\n");
    return QStringLiteral("<figure>\n<img src=\"data:image/png;base64,%1\" alt=\"%2\"/>\n"
                          "<figcaption>%3</figcaption>\n</figure>\n")
        .arg(QString::fromLatin1(png.toBase64()), esc(alt), caption);
}

// The run's picture, and under it the pictures of the runs kept to compare with it (drawn on
// the same time axis), so they are seen together.
QString timelineSection(const Input &in)
{
    QString out = QStringLiteral("<section id=\"timeline\">\n<h2>Timeline</h2>\n");
    out +=
        picture(in.timelinePng, QStringLiteral("Timeline of the experiment: one lane per socket"),
                QStringLiteral("One lane per socket: calls as bars from start to return, "
                               "keepalive probes as diamonds (crossed: unanswered), TIME_WAIT "
                               "as a band."));
    for (const Input &k : in.compared) {
        const QString title =
            k.title.trimmed().isEmpty() ? QStringLiteral("SockLab experiment") : k.title.trimmed();
        out += picture(k.timelinePng, QStringLiteral("Timeline of the kept run: ") + title,
                       QStringLiteral("Kept for comparison: %1%2. Drawn on the same time axis "
                                      "as the picture above, each run from its own zero.")
                           .arg(esc(title), k.verdict
                                                ? (k.verdict->passed ? QStringLiteral(" (PASSED)")
                                                                     : QStringLiteral(" (FAILED)"))
                                                : QString()));
    }
    out += QStringLiteral("</section>\n");
    return out;
}

// "3 (recv 2, connect 1)": a total with its breakdown, most frequent first.
QString breakdown(const QMap<QString, int> &counts)
{
    QList<std::pair<QString, int>> items;
    for (auto it = counts.cbegin(); it != counts.cend(); ++it)
        items.append({it.key(), it.value()});
    std::stable_sort(items.begin(), items.end(),
                     [](const auto &a, const auto &b) { return a.second > b.second; });
    QStringList parts;
    for (const auto &[name, n] : items)
        parts << esc(name) + u' ' + QString::number(n); // no arg(): names may contain '%'

    return parts.join(QLatin1StringView(", "));
}

QString plural(int n, const char *one, const char *many)
{
    return QStringLiteral("%1 %2").arg(n).arg(QLatin1StringView(n == 1 ? one : many));
}

QString summaryLine(const QList<const Event *> &events)
{
    int timeouts = 0, errors = 0, sent = 0, acked = 0, unanswered = 0;
    QMap<QString, int> timeoutsByOp, errorsByErrno;
    QStringList dead;
    for (const Event *e : events) {
        switch (e->kind) {
        case EventKind::Timeout:
            ++timeouts;
            ++timeoutsByOp[e->op.isEmpty() ? QStringLiteral("?") : e->op];
            break;
        case EventKind::Error:
            ++errors;
            ++errorsByErrno[e->err ? e->errnoName() : QStringLiteral("no errno")];
            break;
        case EventKind::ProbeSent:
            ++sent;
            break;
        case EventKind::ProbeAcked:
            ++acked;
            break;
        case EventKind::ProbeUnanswered:
            ++unanswered;
            break;
        case EventKind::PeerDead:
            if (!dead.contains(e->sock))
                dead << e->sock;
            break;
        default:
            break;
        }
    }
    QStringList parts;
    parts << plural(int(events.size()), "event", "events");
    QString t = plural(timeouts, "timeout", "timeouts");
    if (timeouts)
        t += QStringLiteral(" (%1)").arg(breakdown(timeoutsByOp));
    parts << t;
    QString er = plural(errors, "error", "errors");
    if (errors)
        er += QStringLiteral(" (%1)").arg(breakdown(errorsByErrno));
    parts << er;
    parts << QStringLiteral("keepalive probes: %1 sent, %2 acked, %3 unanswered")
                 .arg(sent)
                 .arg(acked)
                 .arg(unanswered);
    parts << (dead.isEmpty() ? QStringLiteral("peer declared dead: no")
                             : QStringLiteral("peer declared dead: yes (%1)")
                                   .arg(esc(dead.join(QLatin1StringView(", ")))));
    return QStringLiteral("<p class=\"summary\" id=\"summary\">") +
           parts.join(QStringLiteral(" \u00b7 ")) + QStringLiteral("</p>\n");
}

// The fields of the CSV export that have no column of their own here, as key=value text.
QString fields(const Event &e)
{
    QStringList parts;
    if (e.timeoutNone)
        parts << QStringLiteral("timeout=none");
    else if (e.timeout)
        parts << QStringLiteral("timeout=%1s").arg(valueText(*e.timeout));
    if (!e.mechanism.isEmpty())
        parts << QStringLiteral("mechanism=") + e.mechanism;
    if (e.probe)
        parts << QStringLiteral("probe=%1").arg(e.probe);
    if (!e.option.isEmpty())
        parts << e.option;
    if (e.requested.isValid())
        parts << QStringLiteral("requested=") + valueText(e.requested);
    if (e.effective.isValid())
        parts << QStringLiteral("effective=") + valueText(e.effective);
    if (e.bytes >= 0)
        parts << QStringLiteral("bytes=%1").arg(e.bytes);
    if (!e.data.isEmpty())
        parts << QStringLiteral("data=\"%1\"").arg(e.data);
    if (!e.state.isEmpty())
        parts << QStringLiteral("state=") + e.state;
    if (!e.local.isEmpty())
        parts << QStringLiteral("local=") + e.local;
    if (!e.remote.isEmpty())
        parts << QStringLiteral("remote=") + e.remote;
    // Rare kinds (lesson_result) carry their fields here; the exports merge them the same way.
    for (auto it = e.extra.begin(); it != e.extra.end(); ++it) {
        const QJsonValue v = it.value();
        const QString text =
            v.isString() ? QStringLiteral("\"%1\"").arg(v.toString()) : valueText(v.toVariant());
        parts << it.key() + u'=' + text;
    }
    return parts.join(u' ');
}

QString logRow(const Event &e)
{
    QString detail;
    const QString f = fields(e);
    if (!f.isEmpty())
        detail += QStringLiteral("<span class=\"fields\">") + esc(f) + QStringLiteral("</span>");
    detail += esc(e.detail);
    QString cls = QLatin1StringView(kindClass(e.kind));
    if (e.kind == EventKind::LessonResult &&
        e.extra.value(QStringLiteral("passed")) == QJsonValue(false))
        cls += QStringLiteral(" k-lesson-failed");
    return QStringLiteral("<tr class=\"%1\"><td class=\"num\">%2</td><td class=\"mono\">%3</td>"
                          "<td class=\"mono\">%4</td><td class=\"mono\">%5</td>"
                          "<td class=\"mono\">%6</td><td class=\"num\">%7</td>"
                          "<td class=\"detail\">%8</td></tr>\n")
        .arg(cls, seconds(e.tNs / 1e9), esc(e.sock), kindName(e.kind), esc(e.op), e.errnoName(),
             e.elapsed ? seconds(*e.elapsed) : QString(), detail);
}

QString logSection(const QList<const Event *> &events, int cap)
{
    QString out = QStringLiteral("<section id=\"event-log\">\n<h2>Event log</h2>\n");
    if (events.isEmpty()) {
        out += QStringLiteral("<p class=\"muted\">No events were recorded.</p>\n</section>\n");
        return out;
    }
    const qsizetype total = events.size();
    const bool capped = cap > 0 && total > cap;
    // Both ends matter to a reader: the start has the options and the connection, the end
    // what finally happened (the timeout, the dead peer). The middle is what can go.
    const qsizetype head = capped ? cap - cap / 2 : total;
    const qsizetype tail = capped ? cap / 2 : 0;
    const qsizetype omitted = capped ? total - head - tail : 0;
    out += QStringLiteral("<p class=\"note\">t: seconds since the experiment started; elapsed: "
                          "how long the call took, measured around the system call.</p>\n");
    if (capped) {
        out += QStringLiteral("<p class=\"note\" id=\"log-cap\">This table shows %1 of %2 "
                              "events: the first %3 and the last %4; %5 events in between are "
                              "left out (the summary above counts them all). Export the log as "
                              "CSV or NDJSON to see every event.</p>\n")
                   .arg(head + tail)
                   .arg(total)
                   .arg(head)
                   .arg(tail)
                   .arg(omitted);
    }
    out += QStringLiteral("<div class=\"scroll\">\n<table id=\"log\">\n<thead><tr>"
                          "<th>t (s)</th><th>Socket</th><th>Kind</th><th>Op</th><th>errno</th>"
                          "<th>Elapsed (s)</th><th>Detail</th></tr></thead>\n<tbody>\n");
    out.reserve(out.size() + (head + tail) * 260);
    for (qsizetype i = 0; i < head; ++i)
        out += logRow(*events[i]);
    if (capped) {
        out += QStringLiteral("<tr class=\"gap\"><td colspan=\"7\">%1 events left out here "
                              "(t %2 s to %3 s)</td></tr>\n")
                   .arg(omitted)
                   .arg(seconds(events[head]->tNs / 1e9),
                        seconds(events[total - tail - 1]->tNs / 1e9));
        for (qsizetype i = total - tail; i < total; ++i)
            out += logRow(*events[i]);
    }
    out += QStringLiteral("</tbody>\n</table>\n</div>\n</section>\n");
    return out;
}

} // namespace

// Everything a run shows: explanation, verdict, options, picture, summary and its events.
static QString body(const Input &in, const QList<const Event *> &logged, bool withTimeline)
{
    QString out;
    if (!in.explanation.trimmed().isEmpty()) {
        out += QStringLiteral("<section id=\"explanation\">\n<h2>Explanation</h2>\n");
        out += paragraphs(in.explanation);
        out += QStringLiteral("</section>\n");
    }

    if (in.verdict) {
        const Verdict &v = *in.verdict;
        // The word carries the result on a black-and-white printout; the colour only helps.
        out += QStringLiteral("<section id=\"verdict\" class=\"verdict %1\">\n"
                              "<h2>Verdict</h2>\n<p class=\"result\">%2</p>\n<dl>\n")
                   .arg(v.passed ? QStringLiteral("pass") : QStringLiteral("fail"),
                        v.passed ? QStringLiteral("PASSED") : QStringLiteral("FAILED"));
        out += QStringLiteral("<dt>Predicted</dt><dd>") + paragraphs(v.predicted) +
               QStringLiteral("</dd>\n<dt>Observed</dt><dd>") + paragraphs(v.observed) +
               QStringLiteral("</dd>\n</dl>\n</section>\n");
    }

    out += optionsSection(in.events);
    if (withTimeline)
        out += timelineSection(in);
    out += QStringLiteral("<section id=\"summary-section\">\n<h2>Summary</h2>\n");
    out += summaryLine(logged);
    out += QStringLiteral("</section>\n");
    out += logSection(logged, in.maxLogRows);

    return out;
}

QString html(const Input &in)
{
    const QString title =
        in.title.trimmed().isEmpty() ? QStringLiteral("SockLab experiment") : in.title.trimmed();
    const QDateTime when = in.generated.isValid() ? in.generated : QDateTime::currentDateTime();
    const QString version = QStringLiteral(SOCKLAB_VERSION);

    // Finished is bookkeeping of the engine, not an observation: the CLI does not print it.
    QList<const Event *> logged;
    logged.reserve(in.events.size());
    for (const Event &e : in.events) {
        if (e.kind != EventKind::Finished)
            logged << &e;
    }

    QString out;
    out += QStringLiteral("<!DOCTYPE html>\n<html xmlns=\"http://www.w3.org/1999/xhtml\" "
                          "lang=\"en\" xml:lang=\"en\">\n<head>\n<meta charset=\"utf-8\"/>\n"
                          "<meta name=\"viewport\" content=\"width=device-width, "
                          "initial-scale=1\"/>\n");
    out += QStringLiteral("<meta name=\"generator\" content=\"SockLab %1\"/>\n").arg(esc(version));
    out += QStringLiteral("<title>%1</title>\n").arg(esc(title));
    out += QStringLiteral("<style>") + QLatin1StringView(kCss) + QStringLiteral("</style>\n");
    out += QStringLiteral("</head>\n<body>\n");

    out += QStringLiteral("<header>\n<h1>%1</h1>\n<dl class=\"meta\">\n").arg(esc(title));
    out += QStringLiteral("<dt>Generated</dt><dd><time datetime=\"%1\">%2</time></dd>\n")
               .arg(when.toOffsetFromUtc(when.offsetFromUtc()).toString(Qt::ISODate),
                    esc(when.toString(QStringLiteral("yyyy-MM-dd HH:mm:ss t"))));
    out += QStringLiteral("<dt>SockLab</dt><dd>%1</dd>\n").arg(esc(version));
    if (!in.machine.trimmed().isEmpty())
        out += QStringLiteral("<dt>Machine</dt><dd>%1</dd>\n").arg(esc(in.machine.trimmed()));
    out += QStringLiteral("</dl>\n</header>\n");

    out += body(in, logged, true);
    for (size_t i = 0; i < in.compared.size(); ++i) {
        const Input &k = in.compared[i];
        QList<const Event *> kept;
        for (const Event &e : k.events) {
            if (e.kind != EventKind::Finished)
                kept << &e;
        }
        // Its sections one heading level down, and ids of their own.
        QString part = body(k, kept, false); // its picture is beside the live run's
        const QString prefix = QStringLiteral("compared%1-").arg(i + 1);
        part.replace(QStringLiteral(" id=\""), QStringLiteral(" id=\"") + prefix);
        part.replace(QStringLiteral("<h2>"), QStringLiteral("<h3>"));
        part.replace(QStringLiteral("</h2>"), QStringLiteral("</h3>"));
        const QString keptTitle =
            k.title.trimmed().isEmpty() ? QStringLiteral("SockLab experiment") : k.title.trimmed();
        out += QStringLiteral("<article class=\"compared\" id=\"compared%1\">\n<h2>Kept for "
                              "comparison: %2</h2>\n<p class=\"note\">A run kept before the one "
                              "above; its picture is under the first one, on the same time "
                              "axis.</p>\n")
                   .arg(i + 1)
                   .arg(esc(keptTitle));
        out += part;
        out += QStringLiteral("</article>\n");
    }

    out += QStringLiteral("<footer>\n<p>Made with SockLab %1. Every event above is an observation "
                          "of real sockets in the kernel: nothing was simulated.</p>\n"
                          "</footer>\n</body>\n</html>\n")
               .arg(esc(version));
    return out;
}

} // namespace socklab::handout
