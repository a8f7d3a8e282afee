#include "EventDetail.h"

#include <QDateTime>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

QString eventDetailText(const socklab::Event &e, bool payloadReleased, qint64 logBudget)
{
    QString out =
        QStringLiteral("%1 on %2 at t = %3 s (%4)\n")
            .arg(socklab::kindName(e.kind), e.sock.isEmpty() ? QStringLiteral("-") : e.sock)
            .arg(e.tNs / 1e9, 0, 'f', 6)
            .arg(QDateTime::fromMSecsSinceEpoch(qint64(e.wall * 1000))
                     .toString(QStringLiteral("yyyy-MM-dd HH:mm:ss.zzz")));
    // Every other field on one line, as the exports name them, so what is read here is what a
    // file holds; seconds with microseconds, as in the log's Time column.
    const QJsonObject o = e.toJson();
    static const QStringList shownElsewhere{QStringLiteral("t"),
                                            QStringLiteral("wall"),
                                            QStringLiteral("sock"),
                                            QStringLiteral("kind"),
                                            QStringLiteral("detail"),
                                            QStringLiteral("payload"),
                                            QStringLiteral("payload_omitted"),
                                            QStringLiteral("data")};
    static const QStringList seconds{QStringLiteral("elapsed"), QStringLiteral("timeout")};
    QStringList fields;
    for (auto it = o.constBegin(); it != o.constEnd(); ++it) {
        if (shownElsewhere.contains(it.key()))
            continue;
        const QJsonValue v = it.value();
        QString text;
        if (v.isString())
            text = v.toString();
        else if (v.isDouble() && seconds.contains(it.key()))
            text = QString::number(v.toDouble(), 'f', 6) + QStringLiteral(" s");
        else if (v.isDouble())
            text = QString::number(v.toDouble(), 'g', 15);
        else if (v.isBool())
            text = v.toBool() ? QStringLiteral("true") : QStringLiteral("false");
        else
            text = QString::fromUtf8(
                v.isArray() ? QJsonDocument(v.toArray()).toJson(QJsonDocument::Compact)
                            : QJsonDocument(v.toObject()).toJson(QJsonDocument::Compact));
        fields << QStringLiteral("%1=%2").arg(it.key(), text);
    }
    if (!fields.isEmpty())
        out += fields.join(QStringLiteral("  ")) + QLatin1Char('\n');
    if (!e.detail.isEmpty())
        out += QLatin1Char('\n') + e.detail + QLatin1Char('\n');
    if (!e.payloadKept) {
        if (!e.data.isEmpty())
            out += QStringLiteral("\nData (a preview; only SockLab's own sockets keep every "
                                  "byte):\n  %1\n")
                       .arg(e.data);
        return out;
    }
    if (payloadReleased) {
        out += QStringLiteral("\nThe %1 bytes received are counted, but no longer held: the log "
                              "keeps the newest %2 MiB of received data. Preview:\n  %3\n")
                   .arg(e.bytes)
                   .arg(logBudget >> 20)
                   .arg(e.data);
        return out;
    }
    out += QStringLiteral("\n%1 of %2 bytes received, every byte (escaped: \\n \\r \\t \\\\, other "
                          "bytes as \\xNN):\n")
               .arg(e.payload.size())
               .arg(e.bytes);
    out += socklab::payloadText(e, QStringLiteral("  "));
    return out;
}
