#include "Options.h"

#include <cmath>

namespace socklab {

std::optional<double> Timeout::seconds() const
{
    if (mode == Mode::Forever)
        return std::nullopt;
    return ms / 1000.0;
}

QString Timeout::toString() const
{
    if (mode == Mode::Forever)
        return QStringLiteral("none");
    return QString::number(ms / 1000.0, 'g', 10);
}

std::optional<Timeout> Timeout::parse(const QString &text, const QString &what, QString *error)
{
    const QString t = text.trimmed();
    if (t.compare(QLatin1String("none"), Qt::CaseInsensitive) == 0)
        return Timeout::blockForever();
    bool ok = false;
    const double s = t.toDouble(&ok);
    const QString allowed =
        QStringLiteral(
            "use seconds from 0 to %1 in whole milliseconds (0 = non-blocking), or 'none' to block "
            "forever")
            .arg(ranges::TimeoutMaxMs / 1000);
    if (!ok || !std::isfinite(s)) {
        *error = QStringLiteral("%1: '%2' is not a number; %3.").arg(what, visible(text), allowed);
        return std::nullopt;
    }
    if (s < 0 || s * 1000.0 > double(ranges::TimeoutMaxMs)) {
        *error = QStringLiteral("%1: %2 is out of range; %3.").arg(what, visible(text), allowed);
        return std::nullopt;
    }
    const double ms = s * 1000.0;
    const double whole = std::round(ms);
    if (std::fabs(ms - whole) > 1e-6) {
        *error = QStringLiteral("%1: %2 is finer than a millisecond; %3.")
                     .arg(what, visible(text), allowed);
        return std::nullopt;
    }
    return Timeout::fromMs(qint64(whole));
}

std::optional<qint64> parseDeadlineMs(const QString &text, const QString &what, QString *error)
{
    const QString allowed = QStringLiteral("a deadline takes seconds from 0.001 to %1 in whole "
                                           "milliseconds")
                                .arg(ranges::TimeoutMaxMs / 1000);
    bool ok = false;
    const double s = text.trimmed().toDouble(&ok);
    if (!ok || !std::isfinite(s)) {
        *error = QStringLiteral("%1: '%2' is not a number; %3.").arg(what, visible(text), allowed);
        return std::nullopt;
    }
    const double ms = s * 1000.0;
    const double whole = std::round(ms);
    if (whole < 1 || whole > double(ranges::TimeoutMaxMs)) {
        *error = QStringLiteral("%1: %2 is out of range; %3.").arg(what, visible(text), allowed);
        return std::nullopt;
    }
    if (std::fabs(ms - whole) > 1e-6) {
        *error = QStringLiteral("%1: %2 is finer than a millisecond; %3.")
                     .arg(what, visible(text), allowed);
        return std::nullopt;
    }
    return qint64(whole);
}

QString mechanismName(TimeoutMechanism m)
{
    return m == TimeoutMechanism::Poll ? QStringLiteral("poll") : QStringLiteral("sockopt");
}

QString kernelTimeoutOption(const QString &op)
{
    return op == QLatin1String("send") || op == QLatin1String("connect")
               ? QStringLiteral("SO_SNDTIMEO")
               : QStringLiteral("SO_RCVTIMEO");
}

std::optional<TimeoutMechanism> mechanismFromName(const QString &name)
{
    if (name == QLatin1String("poll"))
        return TimeoutMechanism::Poll;
    if (name == QLatin1String("sockopt"))
        return TimeoutMechanism::SockOpt;
    return std::nullopt;
}

void SocketOptions::setAllTimeouts(const Timeout &t)
{
    connectTimeout = recvTimeout = sendTimeout = acceptTimeout = t;
}

QString rangeText(const IntRange &r)
{
    QString s = QStringLiteral("from %1 to %2").arg(r.min).arg(r.max);
    if (*r.unit)
        s += QLatin1Char(' ') + QLatin1String(r.unit);
    return s;
}

std::optional<qint64> parseInteger(const QString &text, const QString &what, const IntRange &r,
                                   QString *error)
{
    bool ok = false;
    const qint64 v = text.trimmed().toLongLong(&ok);
    if (!ok) {
        *error = QStringLiteral("%1: '%2' is not a whole number; %3 takes a value %4.")
                     .arg(what, visible(text), QLatin1String(r.option), rangeText(r));
        return std::nullopt;
    }
    if (v < r.min || v > r.max) {
        *error = QStringLiteral("%1: %2 is out of range; %3 takes a value %4.")
                     .arg(what, visible(text), QLatin1String(r.option), rangeText(r));
        return std::nullopt;
    }
    return v;
}

QString visible(const QString &text)
{
    QString out;
    out.reserve(text.size());
    for (qsizetype i = 0; i < text.size(); ++i) {
        const QChar c = text.at(i);
        if (c.isHighSurrogate() && i + 1 < text.size() && text.at(i + 1).isLowSurrogate()) {
            out += c;
            out += text.at(++i);
            continue;
        }
        switch (c.category()) {
        case QChar::Other_Control:
        case QChar::Other_Format:
        case QChar::Other_Surrogate:
        case QChar::Separator_Line:
        case QChar::Separator_Paragraph:
            break;
        default:
            out += c;
            continue;
        }
        if (c == QLatin1Char('\t'))
            out += QLatin1String("\\t");
        else if (c == QLatin1Char('\n'))
            out += QLatin1String("\\n");
        else if (c == QLatin1Char('\r'))
            out += QLatin1String("\\r");
        else if (c.unicode() < 0x100)
            out += QStringLiteral("\\x%1").arg(uint(c.unicode()), 2, 16, QLatin1Char('0'));
        else
            out += QStringLiteral("\\u%1").arg(uint(c.unicode()), 4, 16, QLatin1Char('0'));
    }
    return out;
}

namespace {
QString checkRange(const std::optional<int> &v, const IntRange &r)
{
    if (v && (*v < r.min || *v > r.max))
        return QStringLiteral("%1: %2 is out of range; it takes a value %3.")
            .arg(QLatin1String(r.option))
            .arg(*v)
            .arg(rangeText(r));
    return {};
}

QString checkDeadline(const std::optional<qint64> &ms)
{
    if (!ms || (*ms >= 1 && *ms <= ranges::TimeoutMaxMs))
        return {};
    return QStringLiteral("deadline: %1 ms is out of range; use 1 to %2 ms.")
        .arg(*ms)
        .arg(ranges::TimeoutMaxMs);
}

QString checkTimeout(const Timeout &t, const char *what)
{
    if (t.mode == Timeout::Mode::Forever)
        return {};
    if (t.ms < 0 || t.ms > ranges::TimeoutMaxMs || (t.mode == Timeout::Mode::Deadline && t.ms == 0))
        return QStringLiteral("%1: %2 ms is out of range; use 0 to %3 ms, or none.")
            .arg(QLatin1String(what))
            .arg(t.ms)
            .arg(ranges::TimeoutMaxMs);
    return {};
}
} // namespace

QString SocketOptions::validate() const
{
    for (const QString &e :
         {checkTimeout(connectTimeout, "connect timeout"),
          checkTimeout(recvTimeout, "recv timeout"), checkTimeout(sendTimeout, "send timeout"),
          checkTimeout(acceptTimeout, "accept timeout"), checkDeadline(deadlineMs)}) {
        if (!e.isEmpty())
            return e;
    }
    for (const OptionDef &d : kOptionTable) {
        if (!d.number)
            continue;
        if (const QString e = checkRange(this->*d.number, d.range); !e.isEmpty())
            return e;
    }
    return {};
}

} // namespace socklab
