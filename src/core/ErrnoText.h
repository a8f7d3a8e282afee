#pragma once

#include <QString>

namespace socklab {

// "EADDRINUSE" for EADDRINUSE: the symbol, not strerror's prose.
QString errnoSymbol(int err);

// One plain sentence of what this error means when `op` (connect, recv, bind, ...) fails.
QString explainErrno(int err, const QString &op);

} // namespace socklab
