#pragma once

#include "PacketCapture.h"
#include "TcpSegments.h"

#include <QHash>
#include <QMutex>
#include <QStringList>

#include <atomic>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

namespace socklab {

class EventBus;
class Monitor;
namespace platform {
class SocketFactory;
}

// The wire: every TCP segment on a lab's links becomes a `segment` event, stamped with the
// kernel's timestamp of the frame, named after the sockets at its two ends (the monitor's
// names) and given its meaning (wire::Analyzer: keepalive probe and ACK, retransmission and
// its number, zero window, duplicate ACK, FIN, RST). A thread of its own reads packet sockets
// made by the network's factory (headers only: 128 bytes a frame); the kernel's queue for them
// is bounded, and what it drops is counted and reported. The last kRingFrames frames are kept
// for a pcap file (frames()).
class WireTap
{
  public:
    static constexpr int kSnapLen = 128;
    static constexpr int kKernelQueueBytes = 4 << 20;
    static constexpr int kRingFrames = 1 << 17; // about 20 MiB at most

    WireTap(EventBus *bus, Monitor *monitor);
    ~WireTap();
    WireTap(const WireTap &) = delete;
    WireTap &operator=(const WireTap &) = delete;

    // Who is on the captured host's outer link: its own addresses, and the router's. With
    // them a segment in a far host's name that the router made itself (a firewall's RST) is
    // told from one the far host sent: it arrives with the TTL the captured host's own
    // segments leave with (all the lab's hosts start from the same), not one hop less.
    struct Neighbours
    {
        QString link;            // the outer link ("eth0")
        QStringList own, router; // addresses
    };
    // Captures the links `ifnames` of `net` from now on (what an earlier start kept is
    // forgotten). 0, or an errno with *why in one sentence.
    int start(platform::SocketFactory &net, const QStringList &ifnames, QString *why,
              const Neighbours &near = {});
    // Synchronous and thread-safe: reads what the kernel still holds for the capture, then ends
    // the thread and closes the packet sockets. What was captured stays until the next start.
    void stop();
    // Thread-safe: returns once the capture's thread has read and posted every frame the
    // kernel held for it when this was called (or after kSyncWaitMs; at once if it is not
    // running). The engine calls it before it says a run has finished, so that a run's
    // segments come before its end (a connect refused in 0.2 ms ends its run µs after them).
    void sync();
    static constexpr int kSyncWaitMs = 500;

    // Thread-safe. The frames kept, oldest first, and how many are missing from them.
    struct Capture
    {
        QList<platform::Frame> frames;
        quint64 kernelDrops = 0; // the kernel's queue was full
        quint64 ringDrops = 0;   // older than the kept ring
        QStringList links;       // the interfaces captured
        // For the last (up to 4096) segment events: how long after its frame's kernel
        // timestamp each was posted to the bus (the bus then holds it ReorderNs for order).
        QList<qint64> postLagNs;
    };
    Capture capture() const;

  private:
    void run();
    void stopLocked(); // under m_control
    // The thread's: handles every frame waiting on the links; returns the monotonic time read
    // with the clock offset it used.
    qint64 readWaiting(const QList<int> &fds, const QStringList &links);
    // The thread's: adds what the kernel dropped since the last call; returns all frames lost.
    quint64 countDrops(const QList<int> &fds);
    void handle(platform::Frame &&f, const QString &link, qint64 realMinusMonoNs);
    void flushQuiet(qint64 nowNs, bool all); // the counts of segments not shown one by one

    // Segments of one kind (plain data and ACKs, zero windows, duplicate ACKs, ...) and one
    // direction: at most kShownPerWindow of them a second become events; the rest are counted
    // in one event (all are in the capture),
    // so a flood at full speed cannot crowd the bus or the window (a flood's 2,000 events a
    // second made the window's GUI thread 40 to 60 ms late; 40 a second do not).
    static constexpr int kShownPerWindow = 20;
    static constexpr qint64 kWindowNs = 1000 * 1000000LL;
    struct Quiet
    {
        qint64 startNs = 0;
        int shown = 0;
        qint64 counted = 0, bytes = 0;
        qint64 lastMonoNs = 0;
        QString sock, toSock, from, to, meaning;
        quint64 run = 0;
    };
    QHash<QString, Quiet> m_quiet; // the thread's, by direction and kind
    struct Names
    {
        QString sender, receiver;
        quint64 run = 0;
    };
    QHash<QString, Names> m_names; // the thread's, by direction
    qint64 m_lastRefreshNs = 0;    // the thread's: the last table refresh for an unknown name
    // The router's segment in another's name: its address (empty if the frame is not one).
    QString madeByRouter(const wire::Segment &s, const QString &link);
    Neighbours m_near;          // set by start() with the thread stopped
    int m_ownTtl[2] = {-1, -1}; // the thread's: TTL of the own host's segments (IPv4, IPv6)

    EventBus *m_bus;
    Monitor *m_monitor;
    QList<int> m_fds;
    QStringList m_links;
    int m_wakeFd = -1;
    std::atomic<bool> m_stop{false};
    std::mutex m_syncMutex;
    std::condition_variable m_synced;
    quint64 m_syncWanted = 0, m_syncDone = 0; // under m_syncMutex
    std::thread m_thread;
    wire::Analyzer m_analyzer; // the thread's

    QMutex m_control;       // start() and stop() one at a time, from any thread
    mutable QMutex m_mutex; // guards the ring, the counts and the links
    std::deque<platform::Frame> m_ring;
    quint64 m_kernelDrops = 0;
    quint64 m_ringDrops = 0;
    QList<qint64> m_postLagNs; // the last 4096
};

} // namespace socklab
