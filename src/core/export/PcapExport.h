#pragma once

#include "PacketCapture.h"

#include <QList>
#include <QString>

namespace socklab::pcap {

// Writes frames (Ethernet, headers only: each frame's length on the link is kept) as a pcap
// file with nanosecond timestamps, which Wireshark and tshark open. False with *error (naming
// the file and the reason) if it cannot be written; a file that was started is removed then.
bool write(const QString &path, const QList<platform::Frame> &frames, QString *error);

} // namespace socklab::pcap
