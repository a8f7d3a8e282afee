#include "PortHolders.h"

#include "Platform.h"

#include <QMap>
#include <QStringList>

#include <algorithm>

namespace socklab {

namespace {
// " (a1, a2; " or " (": the names known in a group, before what else is said in brackets.
QString namesThen(const QStringList &names)
{
    return names.isEmpty() ? QStringLiteral(" (")
                           : QStringLiteral(" (%1; ").arg(names.join(QStringLiteral(", ")));
}
// " (L1)" or "": the names alone.
QString namesOnly(const QStringList &names)
{
    return names.isEmpty() ? QString()
                           : QStringLiteral(" (%1)").arg(names.join(QStringLiteral(", ")));
}
} // namespace

QString portHoldersText(quint16 port, platform::SocketFactory &net,
                        const std::function<QString(const platform::DiagRow &)> &nameOf)
{
    QList<platform::DiagRow> rows;
    if (platform::dumpTcpSockets({port}, &rows, net) != 0)
        return {};
    // A connection closed here is kept by a timer: in TIME_WAIT, or in FIN_WAIT2 while the
    // peer has not closed its side yet (the kernel's table says which; both hold the port).
    struct Waiting
    {
        int count = 0;
        qint64 longestMs = 0;
        QStringList names;
    };
    QMap<QString, Waiting> waiting; // by state name
    int listeners = 0, other = 0;
    QStringList listenerNames, otherNames;
    const auto name = [&](const platform::DiagRow &r, QStringList *into) {
        const QString n = nameOf ? nameOf(r) : QString();
        if (!n.isEmpty() && !into->contains(n))
            *into << n;
    };
    for (const auto &r : rows) {
        if (r.localPort != port)
            continue;
        const QString state = platform::tcpStateName(r.state);
        if (r.timer == platform::DiagRow::Timer::TimeWait) {
            Waiting &w = waiting[state];
            ++w.count;
            w.longestMs = std::max(w.longestMs, r.expiresMs);
            name(r, &w.names);
        } else if (state == QLatin1String("LISTEN")) {
            ++listeners;
            name(r, &listenerNames);
        } else {
            ++other;
            name(r, &otherNames);
        }
    }
    QStringList parts;
    if (listeners)
        parts
            << QStringLiteral("%1 live listener(s)%2").arg(listeners).arg(namesOnly(listenerNames));
    for (auto it = waiting.cbegin(); it != waiting.cend(); ++it) {
        const bool finWait = it.key() == QLatin1String("FIN_WAIT2");
        parts << QStringLiteral("%1 connection(s) in %2%3%4 s left at most%5)")
                     .arg(it->count)
                     .arg(it.key(), namesThen(it->names))
                     .arg(it->longestMs / 1000.0, 0, 'f', 1)
                     .arg(finWait ? QStringLiteral(": closed on this side, still waiting for the "
                                                   "peer to close its own")
                                  : QString());
    }
    if (other)
        parts << QStringLiteral("%1 other connection(s)%2").arg(other).arg(namesOnly(otherNames));
    if (parts.isEmpty())
        return {};
    return QStringLiteral("The kernel's table shows port %1 held by %2.")
        .arg(port)
        .arg(parts.join(QStringLiteral(" and ")));
}

} // namespace socklab
