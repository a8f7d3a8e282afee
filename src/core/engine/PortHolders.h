#pragma once

#include <QString>

#include <functional>

namespace socklab {

namespace platform {
class SocketFactory;
struct DiagRow;
} // namespace platform

// Why a bind() or listen() on `port` found it in use, from the kernel's own socket table:
// "The kernel's table shows port 5000 held by 1 connection(s) in TIME_WAIT (a1; 58.2 s left at
// most)." Live listeners, connections a timer keeps after their close (TIME_WAIT, or FIN_WAIT2
// while the peer has not closed; each with its longest countdown) and other connections are
// counted separately, each group with the names `nameOf` knows for its sockets (SockLab's own:
// a1, L1; empty for others). Empty if the table shows nothing on the port.
QString portHoldersText(quint16 port, platform::SocketFactory &net,
                        const std::function<QString(const platform::DiagRow &)> &nameOf = {});

} // namespace socklab
