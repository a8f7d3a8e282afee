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

QString optionHelp(const OptionDef &d)
{
    const QString help = QString::fromLatin1(d.help);
    if (d.kind == OptionKind::Flag)
        return help;
    return QStringLiteral("%1 (%2).").arg(help, rangeText(d.range));
}

} // namespace socklab
