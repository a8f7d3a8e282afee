#pragma once

#include "Options.h"
#include "PeerConfig.h"

#include <QByteArray>
#include <QJsonObject>
#include <QString>

#include <optional>

namespace socklab {

// An experiment's whole configuration (all options plus the target), as saved to JSON.
struct Profile
{
    enum class Role
    {
        Client,        // connect to host:port
        Server,        // listen on host:port and accept
        ClientWithPeer // start a built-in peer and connect to it
    };
    Role role = Role::ClientWithPeer;
    QString host = QStringLiteral("127.0.0.1");
    quint16 port = 0;
    PeerConfig peer;
    SocketOptions options;
    QString send = QStringLiteral("hello");
    qint64 recvBytes = 4096;

    QJsonObject toJson() const;
    QByteArray toJsonBytes() const;
    // Strict: unknown keys, wrong types and out-of-range values are errors naming the key,
    // the value and what is allowed. Missing keys keep their defaults.
    static std::optional<Profile> fromJson(const QByteArray &json, QString *error);
    bool operator==(const Profile &) const;
};

QString roleName(Profile::Role r); // client, server, client+peer
std::optional<Profile::Role> roleFromName(const QString &name);

// Empty if host is a plausible name, IPv4 or IPv6 address (brackets allowed); otherwise a
// sentence saying what is wrong with it.
QString validateHost(const QString &host);
// A refusal of `host` for the window: the reason first (a short bar shows the start of a
// line), then what was typed, cut to 40 characters and escaped, unless the reason quotes it
// already. Empty if the host is valid.
QString hostRefusal(const QString &host);

inline constexpr qint64 kProfileMaxBytes = 1 << 20;

// The window's Send field holds at most this many characters and shows CR and LF as \r and
// \n; a profile's "send" must fit it, so that loading a profile never truncates it.
inline constexpr qsizetype kSendFieldMaxChars = 32767;
qsizetype sendFieldLength(const QString &send); // CR and LF count two

} // namespace socklab
