#include "OptionTable.h"

namespace socklab {

std::optional<qint64> optionValue(const OptionDef &d, const SocketOptions &o)
{
    if (d.flag) {
        const std::optional<bool> &v = o.*d.flag;
        return v ? std::optional<qint64>(*v ? 1 : 0) : std::nullopt;
    }
    if (d.number) {
        const std::optional<int> &v = o.*d.number;
        return v ? std::optional<qint64>(*v) : std::nullopt;
    }
    return std::nullopt;
}

bool isKeepaliveParameter(const OptionDef &d)
{
    return d.number && d.sysctl &&
           QLatin1String(d.sysctl).startsWith(QLatin1String("net.ipv4.tcp_keepalive"));
}

QString lockedOnLiveSocket(const OptionDef &d, bool listener)
{
    switch (d.phase) {
    case ApplyPhase::BeforeBind:
        return QStringLiteral("%1 counts only before bind(): the socket is already bound, so "
                              "it keeps the value it had.")
            .arg(QLatin1String(d.name));
    case ApplyPhase::BeforeConnect:
        if (listener && d.id != OptionId::SynCnt)
            return {}; // a listener passes its buffers on to the connections it accepts next
        return d.id == OptionId::SynCnt
                   ? QStringLiteral("TCP_SYNCNT counts only while connect() sends SYNs: the "
                                    "socket is past that, so it keeps the value it had.")
                   : QStringLiteral("%1 counts before connect(): the window scale it decides "
                                    "was offered in the SYN, so the socket keeps the value it "
                                    "had.")
                         .arg(QLatin1String(d.name));
    case ApplyPhase::Any:
    case ApplyPhase::EachCall:
        break;
    }
    return {};
}

QString optionHelp(const OptionDef &d)
{
    QString help = QString::fromLatin1(d.help);
    if (d.kind == OptionKind::Flag)
        return help;
    if (help.endsWith(QLatin1Char('.')))
        help.chop(1); // "SO_RCVBUF in bytes (from 1 to ... bytes).", not "bytes. (from"
    return QStringLiteral("%1 (%2).").arg(help, rangeText(d.range));
}

} // namespace socklab
