#include "PortHolders.h"

#include "Platform.h"

#include <QMap>
#include <QStringList>

#include <algorithm>

namespace socklab {

QString portHoldersText(quint16 port, platform::SocketFactory &net)
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
    };
    QMap<QString, Waiting> waiting; // by state name
    int listeners = 0, other = 0;
    for (const auto &r : rows) {
        if (r.localPort != port)
            continue;
        const QString state = platform::tcpStateName(r.state);
        if (r.timer == platform::DiagRow::Timer::TimeWait) {
            Waiting &w = waiting[state];
            ++w.count;
            w.longestMs = std::max(w.longestMs, r.expiresMs);
        } else if (state == QLatin1String("LISTEN")) {
            ++listeners;
        } else {
            ++other;
        }
    }
    QStringList parts;
    if (listeners)
        parts << QStringLiteral("%1 live listener(s)").arg(listeners);
    for (auto it = waiting.cbegin(); it != waiting.cend(); ++it) {
        const bool finWait = it.key() == QLatin1String("FIN_WAIT2");
        parts << QStringLiteral("%1 connection(s) in %2 (%3 s left at most%4)")
                     .arg(it->count)
                     .arg(it.key())
                     .arg(it->longestMs / 1000.0, 0, 'f', 1)
                     .arg(finWait ? QStringLiteral(": closed on this side, still waiting for the "
                                                   "peer to close its own")
                                  : QString());
    }
    if (other)
        parts << QStringLiteral("%1 other connection(s)").arg(other);
    if (parts.isEmpty())
        return {};
    return QStringLiteral("The kernel's table shows port %1 held by %2.")
        .arg(port)
        .arg(parts.join(QStringLiteral(" and ")));
}

} // namespace socklab
