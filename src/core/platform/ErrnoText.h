#pragma once

#include <QString>

#include <optional>

namespace socklab {

// "EADDRINUSE" for EADDRINUSE: the symbol, not strerror's prose.
QString errnoSymbol(int err);

// One plain sentence of what this error means when `op` (connect, recv, bind, ...) fails.
QString explainErrno(int err, const QString &op);
// Why connect() failed with ETIMEDOUT: the SYN budget ran out. synCnt: the socket's own
// TCP_SYNCNT, if it set one; otherwise the system's (read from this machine).
QString synGiveUpText(std::optional<int> synCnt = std::nullopt);

// What closing a connected socket with `unread` bytes still in its receive queue did.
QString closedWithUnreadData(qint64 unread);

// Why a drop-all socket filter (SO_ATTACH_FILTER) could not be attached, and what to do.
// `purpose` completes "the filter that ...", e.g. "makes the kernel drop every SYN".
QString dropFilterRefused(int err, const QString &purpose);
// Why setsockopt(TCP_REPAIR) failed, in plain words: the reboot peer needs it.
QString repairRefused(int err);

} // namespace socklab
