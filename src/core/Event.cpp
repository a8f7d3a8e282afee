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
    {EventKind::LessonResult, "lesson_result"},
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

QString Event::errnoName() const
{
    return err ? errnoSymbol(err) : QString();
}

QJsonObject Event::toJson() const
{
    QJsonObject o;
    o.insert(QStringLiteral("t"), roundMicro(tNs / 1e9));
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
    if (probe)
        parts << QStringLiteral("probe=") + QString::number(probe);
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

QString escapeBytes(const QByteArray &bytes, int maxBytes)
{
    QString out;
    const int n = std::min<int>(bytes.size(), maxBytes);
    for (int i = 0; i < n; ++i) {
        const auto c = static_cast<unsigned char>(bytes[i]);
        if (c == '\\')
            out += QStringLiteral("\\\\");
        else if (c == '\n')
            out += QStringLiteral("\\n");
        else if (c == '\r')
            out += QStringLiteral("\\r");
        else if (c == '\t')
            out += QStringLiteral("\\t");
        else if (c >= 0x20 && c < 0x7f && c != '"')
            out += QLatin1Char(static_cast<char>(c));
        else
            out += QStringLiteral("\\x%1").arg(c, 2, 16, QLatin1Char('0'));
    }
    if (bytes.size() > maxBytes)
        out += QStringLiteral("...");
    return out;
}

} // namespace socklab
