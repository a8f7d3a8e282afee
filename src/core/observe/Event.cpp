#include "Event.h"

#include "ErrnoText.h"

#include <QJsonValue>

#include <array>
#include <cmath>
#include <utility>

namespace socklab {

namespace {
constexpr std::array<std::pair<EventKind, const char *>, int(EventKind::Finished) + 1> kKindNames{{
    {EventKind::OptionSet, "option_set"},
    {EventKind::OptionInherited, "option_inherited"},
    {EventKind::SystemDefault, "system_default"},
    {EventKind::Resolving, "resolving"},
    {EventKind::Resolved, "resolved"},
    {EventKind::Connecting, "connecting"},
    {EventKind::Connected, "connected"},
    {EventKind::Bound, "bound"},
    {EventKind::Listening, "listening"},
    {EventKind::Accepting, "accepting"},
    {EventKind::Accepted, "accepted"},
    {EventKind::Sending, "sending"},
    {EventKind::Sent, "sent"},
    {EventKind::Receiving, "receiving"},
    {EventKind::Received, "received"},
    {EventKind::Holding, "holding"},
    {EventKind::Timeout, "timeout"},
    {EventKind::Error, "error"},
    {EventKind::PeerClosed, "peer_closed"},
    {EventKind::ProbeSent, "probe_sent"},
    {EventKind::ProbeAcked, "probe_acked"},
    {EventKind::ProbeUnanswered, "probe_unanswered"},
    {EventKind::PeerDead, "peer_dead"},
    {EventKind::State, "state"},
    {EventKind::Closed, "closed"},
    {EventKind::Cancelled, "cancelled"},
    {EventKind::Info, "info"},
    {EventKind::Retransmit, "retransmit"},
    {EventKind::Queued, "queued"},
    {EventKind::EventsDropped, "events_dropped"},
    {EventKind::LessonResult, "lesson_result"},
    {EventKind::Segment, "segment"},
    {EventKind::Lost, "lost"},
    {EventKind::Finished, "finished"},
}};

double roundMicro(double seconds)
{
    return std::round(seconds * 1e6) / 1e6;
}

QString fmtSeconds(double s)
{
    return QString::number(s, 'f', 6);
}
} // namespace

QString kindName(EventKind kind)
{
    for (const auto &[k, name] : kKindNames) {
        if (k == kind)
            return QString::fromLatin1(name);
    }
    return QStringLiteral("info");
}

std::optional<EventKind> kindFromName(const QString &name)
{
    for (const auto &[k, n] : kKindNames) {
        if (name == QLatin1String(n))
            return k;
    }
    return std::nullopt;
}

bool Event::probeIsResend() const
{
    return kind == EventKind::Retransmit || extra.value(QLatin1String("meaning"))
                                                .toString()
                                                .endsWith(QLatin1String("retransmission"));
}

QString Event::errnoName() const
{
    return err ? errnoSymbol(err) : QString();
}

QJsonObject Event::toJson() const
{
    QJsonObject o;
    o.insert(QStringLiteral("t"), roundMicro(tNs / 1e9));
    if (run)
        o.insert(QStringLiteral("run"), qint64(run));
    if (seq)
        o.insert(QStringLiteral("seq"), qint64(seq));
    o.insert(QStringLiteral("wall"), roundMicro(wall));
    o.insert(QStringLiteral("sock"), sock);
    o.insert(QStringLiteral("kind"), kindName(kind));
    if (!op.isEmpty())
        o.insert(QStringLiteral("op"), op);
    if (err)
        o.insert(QStringLiteral("errno"), errnoName());
    if (elapsed)
        o.insert(QStringLiteral("elapsed"), roundMicro(*elapsed));
    if (timeoutNone)
        o.insert(QStringLiteral("timeout"), QStringLiteral("none"));
    else if (timeout)
        o.insert(QStringLiteral("timeout"), roundMicro(*timeout));
    if (!mechanism.isEmpty())
        o.insert(QStringLiteral("mechanism"), mechanism);
    if (probe)
        o.insert(QStringLiteral("probe"), probe);
    if (!option.isEmpty())
        o.insert(QStringLiteral("option"), option);
    if (requested.isValid())
        o.insert(QStringLiteral("requested"), QJsonValue::fromVariant(requested));
    if (effective.isValid())
        o.insert(QStringLiteral("effective"), QJsonValue::fromVariant(effective));
    if (bytes >= 0)
        o.insert(QStringLiteral("bytes"), bytes);
    if (!data.isEmpty())
        o.insert(QStringLiteral("data"), data);
    if (payloadKept) {
        o.insert(QStringLiteral("payload"), escapeBytes(payload, payload.size()));
        if (const qint64 omitted = payloadOmitted())
            o.insert(QStringLiteral("payload_omitted"), omitted);
    }
    if (!local.isEmpty())
        o.insert(QStringLiteral("local"), local);
    if (!remote.isEmpty())
        o.insert(QStringLiteral("remote"), remote);
    if (!state.isEmpty())
        o.insert(QStringLiteral("state"), state);
    if (!detail.isEmpty())
        o.insert(QStringLiteral("detail"), detail);
    for (auto it = extra.begin(); it != extra.end(); ++it)
        o.insert(it.key(), it.value());
    return o;
}

QString Event::toText() const
{
    QStringList parts;
    if (!op.isEmpty())
        parts << QStringLiteral("op=") + op;
    if (err)
        parts << QStringLiteral("errno=") + errnoName();
    if (!option.isEmpty()) {
        parts << option;
        if (requested.isValid())
            parts << QStringLiteral("requested=") + requested.toString();
        if (effective.isValid())
            parts << QStringLiteral("effective=") + effective.toString();
    }
    if (elapsed)
        parts << QStringLiteral("elapsed=") + fmtSeconds(*elapsed) + QLatin1Char('s');
    if (timeoutNone)
        parts << QStringLiteral("timeout=none");
    else if (timeout)
        parts << QStringLiteral("timeout=") + QString::number(*timeout, 'f', 3) + QLatin1Char('s');
    if (!mechanism.isEmpty())
        parts << QStringLiteral("mechanism=") + mechanism;
    if (const QJsonValue d = extra.value(QLatin1String("deadline")); d.isDouble())
        parts << QStringLiteral("deadline=") + QString::number(d.toDouble(), 'f', 3) +
                     QLatin1Char('s');
    if (const QString m = extra.value(QLatin1String("meaning")).toString(); !m.isEmpty())
        parts << QStringLiteral("meaning=") + m;
    if (probe)
        parts << (probeIsResend() ? QStringLiteral("resend=") : QStringLiteral("probe=")) +
                     QString::number(probe);
    if (bytes >= 0)
        parts << QStringLiteral("bytes=") + QString::number(bytes);
    if (!data.isEmpty())
        parts << QStringLiteral("data=\"") + data + QLatin1Char('"');
    if (!state.isEmpty())
        parts << QStringLiteral("state=") + state;
    if (!local.isEmpty())
        parts << QStringLiteral("local=") + local;
    if (!remote.isEmpty())
        parts << QStringLiteral("remote=") + remote;
    QString line = QStringLiteral("%1  %2 %3 %4")
                       .arg(fmtSeconds(tNs / 1e9), 11)
                       .arg(sock, -6)
                       .arg(kindName(kind), -17)
                       .arg(parts.join(QLatin1Char(' ')));
    if (!detail.isEmpty())
        line += QStringLiteral("  -- ") + detail;
    return line.trimmed();
}

namespace {
// The escape of one byte, the one place its rules live: writes it to out (at most 4
// characters) and returns its length.
inline int escapeByte(unsigned char c, char *out)
{
    static constexpr char hex[] = "0123456789abcdef";
    const auto pair = [out](char second) {
        out[0] = '\\';
        out[1] = second;
        return 2;
    };
    switch (c) {
    case '\\':
        return pair('\\');
    case '\n':
        return pair('n');
    case '\r':
        return pair('r');
    case '\t':
        return pair('t');
    default:
        if (c >= 0x20 && c < 0x7f && c != '"') {
            out[0] = char(c);
            return 1;
        }
        out[0] = '\\';
        out[1] = 'x';
        out[2] = hex[c >> 4];
        out[3] = hex[c & 15];
        return 4;
    }
}

// Appends the escape of one byte at p; returns its length in characters.
inline int appendEscaped(QChar *&p, unsigned char c)
{
    char buf[4];
    const int len = escapeByte(c, buf);
    for (int i = 0; i < len; ++i)
        *p++ = QLatin1Char(buf[i]);
    return len;
}
} // namespace

QString escapeBytes(const QByteArray &bytes, qsizetype maxBytes)
{
    const qsizetype n = std::min(bytes.size(), maxBytes);
    QString out(n * 4 + 3, Qt::Uninitialized);
    QChar *p = out.data();
    const auto *b = reinterpret_cast<const unsigned char *>(bytes.constData());
    for (qsizetype i = 0; i < n; ++i)
        appendEscaped(p, b[i]);
    if (bytes.size() > maxBytes) {
        for (int i = 0; i < 3; ++i)
            *p++ = QLatin1Char('.');
    }
    out.truncate(p - out.constData());
    return out;
}

QByteArray unescapeBytes(const QString &escaped)
{
    QByteArray out;
    out.reserve(escaped.size());
    for (qsizetype i = 0; i < escaped.size(); ++i) {
        const QChar c = escaped.at(i);
        if (c != QLatin1Char('\\') || i + 1 >= escaped.size()) {
            out += char(c.unicode());
            continue;
        }
        const QChar n = escaped.at(++i);
        if (n == QLatin1Char('n'))
            out += '\n';
        else if (n == QLatin1Char('r'))
            out += '\r';
        else if (n == QLatin1Char('t'))
            out += '\t';
        else if (n == QLatin1Char('x') && i + 2 < escaped.size()) {
            out += char(escaped.mid(i + 1, 2).toUInt(nullptr, 16));
            i += 2;
        } else
            out += char(n.unicode());
    }
    return out;
}

namespace {
QString omittedLine(const Event &e, const QString &indent, const QString &whyOmitted)
{
    return indent + QStringLiteral("(%1 more received bytes were counted, not kept: %2)\n")
                        .arg(e.payloadOmitted())
                        .arg(whyOmitted.isEmpty()
                                 ? QStringLiteral("SockLab keeps at most %1 bytes of one event "
                                                  "whole")
                                       .arg(kPayloadLimit)
                                 : whyOmitted);
}
} // namespace

QString payloadText(const Event &e, const QString &indent, int width, const QString &whyOmitted)
{
    if (!e.payloadKept)
        return {};
    const qsizetype n = e.payload.size();
    const auto *b = reinterpret_cast<const unsigned char *>(e.payload.constData());
    const auto escapedLength = [](unsigned char c) {
        char buf[4];
        return escapeByte(c, buf);
    };
    // Two passes over the bytes: the exact length, then the text, so nothing is reallocated.
    // A line ends after each \n, and before an escape that would pass the width.
    const auto layOut = [&](auto &&emitByte, auto &&breakLine) {
        int col = 0;
        for (qsizetype i = 0; i < n; ++i) {
            const int len = escapedLength(b[i]);
            if (col > 0 && col + len > width) {
                breakLine();
                col = 0;
            }
            emitByte(b[i]);
            col += len;
            if (b[i] == '\n' && i + 1 < n) {
                breakLine();
                col = 0;
            }
        }
    };
    if (n == 0)
        return e.payloadOmitted() ? omittedLine(e, indent, whyOmitted) : QString();
    qsizetype size = indent.size();
    layOut([&](unsigned char c) { size += escapedLength(c); }, [&] { size += 1 + indent.size(); });
    QString out(size + 1, Qt::Uninitialized);
    QChar *p = out.data();
    const auto putIndent = [&] {
        for (QChar c : indent)
            *p++ = c;
    };
    putIndent();
    layOut([&](unsigned char c) { appendEscaped(p, c); },
           [&] {
               *p++ = QLatin1Char('\n');
               putIndent();
           });
    *p++ = QLatin1Char('\n');
    out.truncate(p - out.constData());
    if (e.payloadOmitted())
        out += omittedLine(e, indent, whyOmitted);
    return out;
}

} // namespace socklab
