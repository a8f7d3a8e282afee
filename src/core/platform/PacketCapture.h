#pragma once

#include <QByteArray>
#include <QList>

namespace socklab::platform {

// One frame as the kernel delivered it to a packet socket: its first bytes, headers only.
struct Frame
{
    qint64 realNs = 0;     // the kernel's timestamp of the frame (CLOCK_REALTIME)
    bool outgoing = false; // sent by this host (PACKET_OUTGOING), else received
    int wireLen = 0;       // the frame's whole length on the link
    int ifindex = 0;       // the link it was seen on
    QByteArray bytes;      // its first bytes (at most the snap length)
};

// Makes a packet socket (SocketFactory::captureSocket) a bounded capture of TCP headers: a
// classic BPF filter keeps TCP over IPv4 and IPv6 only, and only its first `snapLen` bytes
// (on loopback also only one copy: a frame there is seen leaving and arriving); the kernel
// timestamps each frame; its queue holds at most about `bufferBytes`, and what does not fit
// is dropped by the kernel and counted (captureDrops). Non-blocking. 0 or errno.
int prepareCapture(int fd, int snapLen, int bufferBytes, bool loopback);
// Reads up to `max` frames waiting on fd, appends them to *out: how many, or -errno.
int readFrames(int fd, QList<Frame> *out, int max);
// Frames the kernel dropped on fd since the last call (PACKET_STATISTICS), or 0.
quint64 captureDrops(int fd);
// Waits until one of fds or wakeFd is readable, or timeoutNs: false on timeout. Drains wakeFd.
bool waitReadable(const QList<int> &fds, int wakeFd, qint64 timeoutNs);

} // namespace socklab::platform
