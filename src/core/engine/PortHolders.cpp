#include "PortHolders.h"

#include "Platform.h"

#include <QStringList>

#include <algorithm>

namespace socklab {

QString portHoldersText(quint16 port, platform::SocketFactory &net)
{
    QList<platform::DiagRow> rows;
    if (platform::dumpTcpSockets({port}, &rows, net) != 0)
        return {};
    int tw = 0, listeners = 0, other = 0;
    qint64 longest = 0;
    for (const auto &r : rows) {
        if (r.localPort != port)
            continue;
        if (r.timer == platform::DiagRow::Timer::TimeWait) {
            ++tw;
            longest = std::max(longest, r.expiresMs);
        } else if (platform::tcpStateName(r.state) == QLatin1String("LISTEN")) {
            ++listeners;
        } else {
            ++other;
        }
    }
    QStringList parts;
    if (listeners)
        parts << QStringLiteral("%1 live listener(s)").arg(listeners);
    if (tw)
        parts << QStringLiteral("%1 connection(s) in TIME_WAIT (%2 s left at most)")
                     .arg(tw)
                     .arg(longest / 1000.0, 0, 'f', 1);
    if (other)
        parts << QStringLiteral("%1 other connection(s)").arg(other);
    if (parts.isEmpty())
        return {};
    return QStringLiteral("The kernel's table shows port %1 held by %2.")
        .arg(port)
        .arg(parts.join(QStringLiteral(" and ")));
}

} // namespace socklab
