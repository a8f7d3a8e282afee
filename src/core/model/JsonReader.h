#pragma once

// Strict JSON reading shared by profiles and lessons: every error names the key path, the
// value and what is allowed, and reading stops at the first one.
#include "Options.h"
#include "PeerConfig.h"

#include <QJsonObject>
#include <QJsonValue>
#include <QLocale>
#include <QStringList>

#include <cmath>
#include <optional>

namespace socklab::json {

// Reads JSON with a path for messages ("options.keepidle") and stops at the first error.
class Reader
{
  public:
    QString error;
    QString root = QStringLiteral("profile"); // names the document in messages about its top level

    bool ok() const { return error.isEmpty(); }

    void checkKeys(const QJsonObject &o, const QString &path, const QStringList &known)
    {
        for (auto it = o.begin(); it != o.end() && ok(); ++it) {
            if (!known.contains(it.key()))
                error = QStringLiteral("%1: unknown key '%2'; known keys: %3.")
                            .arg(where(path), it.key(), known.join(QStringLiteral(", ")));
        }
    }

    std::optional<QJsonObject> object(const QJsonObject &o, const QString &key, const QString &path)
    {
        if (!ok() || !o.contains(key))
            return std::nullopt;
        const QJsonValue v = o.value(key);
        if (!v.isObject()) {
            error = QStringLiteral("%1: expected an object.").arg(join(path, key));
            return std::nullopt;
        }
        return v.toObject();
    }

    std::optional<bool> boolean(const QJsonObject &o, const QString &key, const QString &path)
    {
        if (!ok() || !o.contains(key))
            return std::nullopt;
        const QJsonValue v = o.value(key);
        if (!v.isBool()) {
            error = QStringLiteral("%1: expected true or false.").arg(join(path, key));
            return std::nullopt;
        }
        return v.toBool();
    }

    std::optional<QString> string(const QJsonObject &o, const QString &key, const QString &path)
    {
        if (!ok() || !o.contains(key))
            return std::nullopt;
        const QJsonValue v = o.value(key);
        if (!v.isString()) {
            error = QStringLiteral("%1: expected a string.").arg(join(path, key));
            return std::nullopt;
        }
        return v.toString();
    }

    std::optional<qint64> integer(const QJsonObject &o, const QString &key, const QString &path,
                                  const IntRange &r)
    {
        if (!ok() || !o.contains(key))
            return std::nullopt;
        const QJsonValue v = o.value(key);
        const double d = v.toDouble();
        if (!v.isDouble() || std::floor(d) != d) {
            error = QStringLiteral("%1: expected a whole number %2.")
                        .arg(join(path, key), rangeText(r));
            return std::nullopt;
        }
        if (d < double(r.min) || d > double(r.max)) {
            error = QStringLiteral("%1: %2 is out of range; %3 takes a value %4.")
                        .arg(join(path, key))
                        .arg(numberText(d))
                        .arg(QLatin1String(r.option), rangeText(r));
            return std::nullopt;
        }
        return qint64(d);
    }

    std::optional<Timeout> timeout(const QJsonObject &o, const QString &key, const QString &path)
    {
        if (!ok() || !o.contains(key))
            return std::nullopt;
        const QJsonValue v = o.value(key);
        QString text;
        if (v.isString())
            text = v.toString();
        else if (v.isDouble())
            text = numberText(v.toDouble());
        else {
            error =
                QStringLiteral("%1: expected seconds (a number) or \"none\".").arg(join(path, key));
            return std::nullopt;
        }
        return Timeout::parse(text, join(path, key), &error);
    }

    std::optional<qint64> deadline(const QJsonObject &o, const QString &key, const QString &path)
    {
        if (!ok() || !o.contains(key))
            return std::nullopt;
        const QJsonValue v = o.value(key);
        if (!v.isDouble()) {
            error = QStringLiteral("%1: expected seconds (a number).").arg(join(path, key));
            return std::nullopt;
        }
        return parseDeadlineMs(numberText(v.toDouble()), join(path, key), &error);
    }

    // The shortest text that reads back as the same number, in decimals unless tiny or huge:
    // a message then quotes 86400.001 and 0.0005 as written, not 86400.001000000004 or 5e-04.
    static QString numberText(double d)
    {
        const double a = std::fabs(d);
        const bool plain = a == 0 || (a >= 1e-6 && a < 1e15);
        return QString::number(d, plain ? 'f' : 'g', QLocale::FloatingPointShortest);
    }

    static QString join(const QString &path, const QString &key)
    {
        return path.isEmpty() ? key : path + QLatin1Char('.') + key;
    }
    QString where(const QString &path) const { return path.isEmpty() ? root : path; }
};

// The "peer" object: behavior, interval_ms.
void readPeerConfig(Reader &r, const QJsonObject &peer, const QString &path, PeerConfig *out);
// The "options" object (as in a profile): keys not present leave *out as it was.
void readSocketOptions(Reader &r, const QJsonObject &o, const QString &path, SocketOptions *out);

} // namespace socklab::json
