#include "Profile.h"

#include "JsonReader.h"

#include <QHostAddress>
#include <QJsonArray>
#include <QJsonDocument>
#include <QRegularExpression>
#include <QSet>

#include <cmath>

namespace socklab {

namespace {
constexpr int kVersion = 1;

QJsonValue timeoutJson(const Timeout &t)
{
    if (t.isForever())
        return QStringLiteral("none");
    return t.ms / 1000.0;
}

} // namespace

QString roleName(Profile::Role r)
{
    switch (r) {
    case Profile::Role::Client:
        return QStringLiteral("client");
    case Profile::Role::Server:
        return QStringLiteral("server");
    case Profile::Role::ClientWithPeer:
        return QStringLiteral("client+peer");
    }
    return {};
}

std::optional<Profile::Role> roleFromName(const QString &name)
{
    for (auto r : {Profile::Role::Client, Profile::Role::Server, Profile::Role::ClientWithPeer}) {
        if (roleName(r) == name)
            return r;
    }
    return std::nullopt;
}

QString hostRefusal(const QString &host)
{
    const QString why = validateHost(host);
    if (why.isEmpty())
        return {};
    // As the CLI's: most of validateHost's sentences quote the host already (escaped).
    if (why.contains(QLatin1Char('\'')))
        return QStringLiteral("Host: %1").arg(why);
    constexpr qsizetype kShown = 40;
    const QString typed = host.size() > kShown ? host.left(kShown) + QStringLiteral("…") : host;
    return QStringLiteral("Host: %1 (typed: '%2')").arg(why, visible(typed));
}

QString validateHost(const QString &host)
{
    const QString h = host.trimmed();
    if (h.isEmpty())
        return QStringLiteral("Enter a host name or an address, e.g. 127.0.0.1 or example.com.");
    if (h != host || h.contains(QLatin1Char(' ')))
        return QStringLiteral("A host name cannot contain spaces.");
    // QHostAddress stops reading at a NUL ("10\0junk" is the address 0.0.0.10), and getaddrinfo
    // would too: a host is plain printable ASCII, checked before anything parses it.
    for (const QChar c : h) {
        if (c.unicode() <= 0x20 || c.unicode() >= 0x7f)
            return QStringLiteral("'%1' contains '%2', which no host name or address contains; "
                                  "use letters, digits, '.', '-' and ':' (an international name "
                                  "in its xn-- form).")
                .arg(visible(h), visible(c));
    }
    QString bare = h;
    if (bare.startsWith(QLatin1Char('[')) || bare.endsWith(QLatin1Char(']'))) {
        if (!(bare.startsWith(QLatin1Char('[')) && bare.endsWith(QLatin1Char(']'))))
            return QStringLiteral("'%1': unbalanced brackets around an IPv6 address.")
                .arg(visible(h));
        bare = bare.mid(1, bare.size() - 2);
        QHostAddress a;
        if (!a.setAddress(bare) || a.protocol() != QAbstractSocket::IPv6Protocol)
            return QStringLiteral("'%1' is not an IPv6 address.").arg(visible(h));
        return {};
    }
    QHostAddress a;
    if (a.setAddress(bare))
        return {};
    if (bare.contains(QLatin1Char(':')))
        return QStringLiteral("'%1' is not a valid IPv6 address.").arg(visible(h));
    if (bare.size() > 253)
        return QStringLiteral("A host name has at most 253 characters.");
    static const QRegularExpression label(
        QStringLiteral("^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$"));
    QString name = bare;
    if (name.endsWith(QLatin1Char('.')))
        name.chop(1);
    const QStringList labels = name.split(QLatin1Char('.'));
    for (const QString &l : labels) {
        if (!label.match(l).hasMatch())
            return QStringLiteral("'%1' is not a valid host name: each part between dots has "
                                  "1 to 63 letters, digits or hyphens, not starting or ending "
                                  "with a hyphen.")
                .arg(visible(h));
    }
    static const QRegularExpression numeric(QStringLiteral("^[0-9.]+$"));
    if (numeric.match(bare).hasMatch())
        return QStringLiteral("'%1' is not a valid IPv4 address.").arg(visible(h));
    return {};
}

qsizetype sendFieldLength(const QString &send)
{
    return send.size() + send.count(QLatin1Char('\r')) + send.count(QLatin1Char('\n'));
}

QJsonObject Profile::toJson() const
{
    QJsonObject timeouts{{QStringLiteral("connect"), timeoutJson(options.connectTimeout)},
                         {QStringLiteral("recv"), timeoutJson(options.recvTimeout)},
                         {QStringLiteral("send"), timeoutJson(options.sendTimeout)},
                         {QStringLiteral("accept"), timeoutJson(options.acceptTimeout)}};
    QJsonObject o;
    o.insert(QStringLiteral("timeouts"), timeouts);
    o.insert(QStringLiteral("mechanism"), mechanismName(options.mechanism));
    for (const OptionDef &d : kOptionTable) {
        if (!d.jsonKey)
            continue;
        if (d.flag && options.*d.flag)
            o.insert(QLatin1String(d.jsonKey), *(options.*d.flag));
        else if (d.number && options.*d.number)
            o.insert(QLatin1String(d.jsonKey), *(options.*d.number));
    }
    if (options.deadlineMs)
        o.insert(QStringLiteral("deadline"), double(*options.deadlineMs) / 1000.0);

    QJsonObject peerJson{{QStringLiteral("behavior"), behaviorName(peer.behavior)}};
    if (peer.intervalMs >= 0)
        peerJson.insert(QStringLiteral("interval_ms"), peer.intervalMs);
    return QJsonObject{{QStringLiteral("socklab_profile"), kVersion},
                       {QStringLiteral("role"), roleName(role)},
                       {QStringLiteral("host"), host},
                       {QStringLiteral("port"), int(port)},
                       {QStringLiteral("peer"), peerJson},
                       {QStringLiteral("options"), o},
                       {QStringLiteral("send"), send},
                       {QStringLiteral("recv_bytes"), recvBytes}};
}

QByteArray Profile::toJsonBytes() const
{
    return QJsonDocument(toJson()).toJson(QJsonDocument::Indented);
}

std::optional<Profile> Profile::fromJson(const QByteArray &json, QString *error)
{
    if (json.size() > kProfileMaxBytes) {
        *error = QStringLiteral("The profile is %1 bytes; a profile has at most %2 bytes.")
                     .arg(json.size())
                     .arg(kProfileMaxBytes);
        return std::nullopt;
    }
    QJsonParseError pe;
    const QJsonDocument doc = QJsonDocument::fromJson(json, &pe);
    if (pe.error != QJsonParseError::NoError) {
        *error =
            QStringLiteral("Not valid JSON at byte %1: %2.").arg(pe.offset).arg(pe.errorString());
        return std::nullopt;
    }
    if (!doc.isObject()) {
        *error = QStringLiteral("A profile is a JSON object.");
        return std::nullopt;
    }
    const QJsonObject root = doc.object();
    json::Reader r;
    Profile p;
    r.checkKeys(root, {},
                {QStringLiteral("socklab_profile"), QStringLiteral("role"), QStringLiteral("host"),
                 QStringLiteral("port"), QStringLiteral("peer"), QStringLiteral("options"),
                 QStringLiteral("send"), QStringLiteral("recv_bytes")});
    r.integer(root, QStringLiteral("socklab_profile"), {}, {"version", 1, 1, ""});
    if (auto role = r.string(root, QStringLiteral("role"), {})) {
        if (auto rr = roleFromName(*role))
            p.role = *rr;
        else
            r.error = QStringLiteral("role: '%1' is not a role; use client, server or "
                                     "client+peer.")
                          .arg(*role);
    }
    if (auto host = r.string(root, QStringLiteral("host"), {})) {
        if (const QString bad = validateHost(*host); !bad.isEmpty())
            r.error = QStringLiteral("host: ") + bad;
        p.host = *host;
    }
    if (auto port = r.integer(root, QStringLiteral("port"), {}, ranges::ListenPort))
        p.port = quint16(*port);
    if (auto send = r.string(root, QStringLiteral("send"), {})) {
        if (const qsizetype n = sendFieldLength(*send); n > kSendFieldMaxChars)
            r.error = QStringLiteral("send: %1 characters (CR and LF count as two) is too long; "
                                     "the payload has at most %2.")
                          .arg(n)
                          .arg(kSendFieldMaxChars);
        p.send = *send;
    }
    if (auto n = r.integer(root, QStringLiteral("recv_bytes"), {}, ranges::RecvBytes))
        p.recvBytes = *n;
    if (auto peer = r.object(root, QStringLiteral("peer"), {}))
        readPeerConfig(r, *peer, QStringLiteral("peer"), &p.peer);
    if (auto o = r.object(root, QStringLiteral("options"), {}))
        readSocketOptions(r, *o, QStringLiteral("options"), &p.options);
    if (!r.ok()) {
        *error = visible(r.error); // it quotes keys and values of the file
        return std::nullopt;
    }
    return p;
}

bool Profile::operator==(const Profile &o) const
{
    return toJson() == o.toJson();
}

namespace json {

void readPeerConfig(Reader &r, const QJsonObject &peer, const QString &path, PeerConfig *out)
{
    r.checkKeys(peer, path, {QStringLiteral("behavior"), QStringLiteral("interval_ms")});
    if (auto b = r.string(peer, QStringLiteral("behavior"), path)) {
        if (auto bb = behaviorFromName(*b))
            out->behavior = *bb;
        else
            r.error = QStringLiteral("%1: '%2' is not a behaviour; use one of %3.")
                          .arg(Reader::join(path, QStringLiteral("behavior")), *b, behaviorNames());
    }
    if (auto i =
            r.integer(peer, QStringLiteral("interval_ms"), path, {"interval", 0, 3600000, "ms"}))
        out->intervalMs = int(*i);
}

void readSocketOptions(Reader &r, const QJsonObject &o, const QString &path, SocketOptions *out)
{
    QStringList keys{QStringLiteral("timeout"), QStringLiteral("timeouts"),
                     QStringLiteral("mechanism"), QStringLiteral("deadline")};
    for (const OptionDef &d : kOptionTable) {
        if (d.jsonKey)
            keys << QLatin1String(d.jsonKey);
    }
    r.checkKeys(o, path, keys);
    SocketOptions &so = *out;
    // "timeout" sets every call's timeout at once; "timeouts" then sets single calls.
    if (auto v = r.timeout(o, QStringLiteral("timeout"), path))
        so.connectTimeout = so.recvTimeout = so.sendTimeout = so.acceptTimeout = *v;
    if (auto t = r.object(o, QStringLiteral("timeouts"), path)) {
        const QString tp = Reader::join(path, QStringLiteral("timeouts"));
        r.checkKeys(*t, tp,
                    {QStringLiteral("connect"), QStringLiteral("recv"), QStringLiteral("send"),
                     QStringLiteral("accept")});
        if (auto v = r.timeout(*t, QStringLiteral("connect"), tp))
            so.connectTimeout = *v;
        if (auto v = r.timeout(*t, QStringLiteral("recv"), tp))
            so.recvTimeout = *v;
        if (auto v = r.timeout(*t, QStringLiteral("send"), tp))
            so.sendTimeout = *v;
        if (auto v = r.timeout(*t, QStringLiteral("accept"), tp))
            so.acceptTimeout = *v;
    }
    if (auto d = r.deadline(o, QStringLiteral("deadline"), path))
        so.deadlineMs = *d;
    if (auto m = r.string(o, QStringLiteral("mechanism"), path)) {
        if (auto mm = mechanismFromName(*m))
            so.mechanism = *mm;
        else
            r.error = QStringLiteral("%1: '%2' is not a mechanism; use poll or sockopt.")
                          .arg(Reader::join(path, QStringLiteral("mechanism")), *m);
    }
    for (const OptionDef &d : kOptionTable) {
        if (!d.jsonKey)
            continue;
        if (d.flag) {
            if (auto v = r.boolean(o, QLatin1String(d.jsonKey), path))
                so.*d.flag = *v;
        } else if (d.number) {
            if (auto v = r.integer(o, QLatin1String(d.jsonKey), path, d.range))
                so.*d.number = int(*v);
        }
    }
}

} // namespace json

} // namespace socklab
