#pragma once

#include <QByteArray>
#include <QByteArrayView>
#include <QList>

#include <linux/filter.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <vector>

namespace socklab::platform {

// The most bytes of a frame kept: the headers wire::parseFrame reads (Ethernet, IPv6 and a TCP
// header with all its options: 14 + 40 + 60), the capture's snap length.
inline constexpr int kFrameBytes = 128;

// One frame as the kernel delivered it to a packet socket: its first bytes, headers only. The
// bytes are kept in the frame itself: a burst of thousands of frames, and the ring that keeps
// them, make no allocation each.
struct Frame
{
    qint64 realNs = 0;     // the kernel's timestamp of the frame (CLOCK_REALTIME)
    bool outgoing = false; // sent by this host (PACKET_OUTGOING), else received
    int wireLen = 0;       // the frame's whole length on the link
    int ifindex = 0;       // the link it was seen on

    // Its first bytes (at most kFrameBytes).
    QByteArrayView bytes() const { return {m_bytes.data(), qsizetype(m_size)}; }
    void setBytes(QByteArrayView b)
    {
        m_size = quint8(std::min<qsizetype>(b.size(), kFrameBytes));
        std::memcpy(m_bytes.data(), b.data(), m_size);
    }

  private:
    std::array<char, kFrameBytes> m_bytes{};
    quint8 m_size = 0;
};

// The classic BPF program prepareCapture attaches: TCP over IPv4 and IPv6 and the ICMP and
// ICMPv6 errors about a TCP segment, nothing else; their first `snapLen` bytes; on loopback
// (`loopback`) only one copy of each frame (a frame there is seen leaving and arriving).
std::vector<sock_filter> captureFilter(int snapLen, bool loopback);
// Makes a packet socket (SocketFactory::captureSocket) a bounded capture of TCP headers with
// captureFilter(snapLen, loopback); the kernel
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
