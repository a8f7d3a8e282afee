#include "EventExport.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QJsonValue>
#include <QLatin1StringView>
#include <QLocale>

#include <array>
#include <cmath>

namespace socklab {

namespace {
// The order is the CLI's NDJSON field order, so a CSV and an NDJSON export line up.
// The payload comes last: it can be long.
// clang-format off
constexpr std::array<const char *, 23> kColumns{
    "t",       "run",       "seq",       "wall",      "sock",   "kind",   "op",
    "errno",   "elapsed",   "timeout",   "mechanism", "probe",  "option", "requested",
    "effective", "bytes",   "data",      "local",     "remote", "state",  "detail",
    "payload", "payload_omitted",
};
// clang-format on

bool isSecondsColumn(QLatin1StringView key)
{
    return key == QLatin1StringView("t") || key == QLatin1StringView("wall") ||
           key == QLatin1StringView("elapsed") || key == QLatin1StringView("timeout");
}

QString numberCell(double v, bool seconds)
{
    // Times are microsecond-rounded by toJson; a fixed six decimals keeps the column aligned
    // with the log's Time column and avoids exponent notation in spreadsheets.
    if (seconds)
        return QString::number(v, 'f', 6);
    if (std::isfinite(v) && v == std::trunc(v) && std::fabs(v) < 9.007199254740992e15)
        return QString::number(qint64(v));
    return QString::number(v, 'g', QLocale::FloatingPointShortest);
}

QString cell(const QJsonValue &v, QLatin1StringView key)
{
    switch (v.type()) {
    case QJsonValue::Double:
        return numberCell(v.toDouble(), isSecondsColumn(key));
    case QJsonValue::Bool:
        return v.toBool() ? QStringLiteral("true") : QStringLiteral("false");
    case QJsonValue::String:
        return csvTextCell(v.toString());
    case QJsonValue::Array:
        return csvTextCell(
            QString::fromUtf8(QJsonDocument(v.toArray()).toJson(QJsonDocument::Compact)));
    case QJsonValue::Object:
        return csvTextCell(
            QString::fromUtf8(QJsonDocument(v.toObject()).toJson(QJsonDocument::Compact)));
    case QJsonValue::Null:
    case QJsonValue::Undefined:
        break;
    }
    return {};
}
} // namespace

QString csvTextCell(const QString &text)
{
    QString s = text;
    // A spreadsheet would evaluate these as formulas (or strip the control character and then
    // evaluate); a leading apostrophe makes them literal text.
    if (!s.isEmpty()) {
        const QChar c = s.front();
        if (c == u'=' || c == u'+' || c == u'-' || c == u'@' || c == u'\t' || c == u'\r')
            s.prepend(u'\'');
    }
    bool needsQuotes = false;
    for (const QChar c : std::as_const(s)) {
        if (c == u',' || c == u'"' || c == u'\r' || c == u'\n') {
            needsQuotes = true;
            break;
        }
    }
    if (!needsQuotes)
        return s;
    s.replace(u'"', QStringLiteral("\"\""));
    s.prepend(u'"');
    s.append(u'"');
    return s;
}

QString csvHeader()
{
    QString h;
    for (const char *name : kColumns) {
        if (!h.isEmpty())
            h += u',';
        h += QLatin1StringView(name);
    }
    return h;
}

QString toCsvRow(const Event &event)
{
    // Going through toJson keeps exactly the CLI's rules for which fields are present.
    const QJsonObject o = event.toJson();
    QString row;
    row.reserve(160);
    bool first = true;
    for (const char *name : kColumns) {
        if (!first)
            row += u',';
        first = false;
        const QLatin1StringView key(name);
        const auto it = o.constFind(key);
        if (it != o.constEnd())
            row += cell(it.value(), key);
    }
    return row;
}

QByteArray toNdjsonLine(const Event &event)
{
    return QJsonDocument(event.toJson()).toJson(QJsonDocument::Compact);
}

} // namespace socklab
