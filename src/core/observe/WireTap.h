#pragma once

#include "Event.h"
#include "PacketCapture.h"
#include "RingQueue.h"
#include "TcpSegments.h"

#include <QHash>
#include <QMutex>
#include <QStringList>

#include <array>
#include <atomic>
#include <condition_variable>
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
// made by the network's factories (headers only: 128 bytes a frame); the kernel's queue for
// them is bounded, and what it drops is counted and reported. The last kRingFrames frames are
// kept for a pcap file (frames()).
//
// The wire is watched at both of its ends: the client host's link and the server host's.
// A segment is reported once, where it is first seen (its sender's link: it left), and each
// segment sent towards the other watched host is then looked for on that host's link. One not
// seen arriving there within kLostAfterNs becomes a `lost` event: a pulled cable, a firewall
// that drops, the router's random loss. Its arrival, the usual case, is no event.
class WireTap
{
  public:
    static constexpr int kSnapLen = platform::kFrameBytes;
    static constexpr int kKernelQueueBytes = 4 << 20;
    static constexpr int kRingFrames = 1 << 17; // about 20 MiB at most
    // A segment not seen on the far link this long after it left was lost on the way: in the
    // lab, one that arrives does so in tens of microseconds (a rate limit's queue holds some
    // for milliseconds).
    static constexpr qint64 kLostAfterNs = 500 * 1000000LL;
    // Thread-safe. How much longer than kLostAfterNs a segment may take on the way: the
    // longest a fault of the network now holds one (a delay, a bandwidth limit's queue).
    void setQueueing(qint64 ns) { m_queueingNs.store(std::max<qint64>(0, ns)); }
    qint64 lostAfterNs() const { return kLostAfterNs + m_queueingNs.load(); }

    WireTap(EventBus *bus, Monitor *monitor);
    ~WireTap();
    WireTap(const WireTap &) = delete;
    WireTap &operator=(const WireTap &) = delete;

    // A place the wire is watched: one link of one host.
    struct Point
    {
        platform::SocketFactory *net = nullptr; // the host's network
        QString host;                           // "client", "server"
        QString ifname;                         // "eth0", "lo"
        // The host's addresses on that link; empty for loopback (nothing leaves it). A segment
        // sent from one watched host to another's addresses is looked for on the other's link.
        QStringList own;
    };
    // Captures `points` from now on (what an earlier start kept is forgotten). `router`: the
    // router's addresses: with them a segment in a far host's name that the router made itself
    // (a firewall's RST) is told from one the far host sent, by its TTL: it arrives with the
    // TTL the watching host's own segments leave with (all the lab's hosts start from the
    // same), not one hop less. 0, or an errno with *why in one sentence.
    int start(const QList<Point> &points, const QStringList &router, QString *why);
    // Synchronous and thread-safe: reads what the kernel still holds for the capture, then ends
    // the thread and closes the packet sockets. What was captured stays until the next start.
    void stop();
    // Thread-safe: returns once the capture's thread has read and posted every frame the
    // kernel held for it when this was called, and (with verdicts) has said of each segment
    // sent before then whether it arrived (a `lost` event if not): after at most
    // kLostAfterNs more, or kSyncWaitMs in all; at once if it is not running. The engine calls
    // it before it says a run has finished, so that a run's segments come before its end (a
    // connect refused in 0.2 ms ends its run µs after them).
    void sync(bool verdicts = true);
    static constexpr int kSyncWaitMs = 1000;
    // Thread-safe. The frames kept, oldest first, and how many are missing from them.
    struct Capture
    {
        QList<platform::Frame> frames;
        quint64 kernelDrops = 0; // the kernel's queue was full
        quint64 ringDrops = 0;   // older than the kept ring
        QStringList links;       // the interfaces captured
        // For the last (up to 4096) segment events: how long after its frame's kernel
        // timestamp each was posted to the bus (the bus then holds it PromptNs, or up to
        // ReorderNs while the wire's watermark is behind it, for order).
        QList<qint64> postLagNs;
    };
    Capture capture() const;

  private:
    void run();
    void stopLocked(); // under m_control

    // A frame as read, with where it was seen.
    struct Seen
    {
        platform::Frame frame;
        int point = 0;
    };
    // What identifies one segment on both links (TTL and checksums change on the way).
    struct Key
    {
        size_t hash = 0;
        quint32 seq = 0, ack = 0;
        bool operator==(const Key &o) const
        {
            return hash == o.hash && seq == o.seq && ack == o.ack;
        }
    };
    friend size_t qHash(const Key &k, size_t seed)
    {
        return qHashMulti(seed, k.hash, k.seq, k.ack);
    }
    // From the header's own bytes (an arrival is matched without reading it as text).
    static Key keyOf(const wire::RawTcp &r);
    // A segment that left one watched host for another, until it is seen arriving.
    struct Pending
    {
        quint64 serial = 0;
        qint64 monoNs = 0; // when it left
        Key key;
        int to = 0; // the point it is looked for at
        bool done = false;
        bool shown = false; // a segment event was posted for it (else it was counted)
        quint64 frame = 0;
        quint64 run = 0;
        QString sock, toSock, from, toAddr, meaning, flags;
        int number = 0;
        int fromPoint = 0; // the point it left from
        int payload = 0;   // bytes of data
        int arrived = 0;   // of them, seen arriving in pieces
        size_t flow = 0;   // flowOf() its segment, for one with data
    };
    // A connection's direction (addresses and ports): a segment with data may arrive cut in
    // pieces (a queue on the way splits what the sender's offload sent as one), each piece
    // within its sequence range.
    static size_t flowOf(const wire::RawTcp &r);
    QHash<size_t, QList<quint64>> m_flowDepartures; // the thread's: serials with data, by flow

    // The thread's: reads every frame waiting on the points, in time order, and handles each;
    // returns the monotonic time read with the clock offset it used.
    qint64 readWaiting();
    // The thread's: one frame, seen at a point: an arrival of a segment seen leaving (nothing
    // more), or a first sighting (`hold`: an arrival whose departure may not be read yet is
    // kept for the next read instead, and false returned).
    bool handleSeen(Seen &seen, qint64 realMinusMonoNs, bool hold);
    // The thread's: says `lost` of each segment not seen arriving by nowNs - kLostAfterNs.
    void judgeArrivals(qint64 nowNs);
    void postLost(const Pending &p, qint64 nowNs);
    // The thread's: whether every segment that left by atNs has had its verdict.
    bool judgedUntil(qint64 atNs) const;
    // The thread's: adds what the kernel dropped since the last call; returns all frames lost.
    quint64 countDrops(qint64 nowNs);
    // The thread's: a frame seen for the first time (parsed: its segment, or nullptr): kept,
    // and a `segment` event (or counted); one leaving for another watched host is awaited there.
    void firstSighting(platform::Frame &&f, wire::Segment *parsed, const wire::RawTcp *raw,
                       int point, qint64 realMinusMonoNs);
    void flushQuiet(qint64 nowNs, bool all); // the counts of segments not shown one by one

    // Segments of one kind (plain data and ACKs, zero windows, duplicate ACKs, ...) and one
    // direction: at most kShownPerWindow of them a second become events; the rest are counted
    // in one event (all are in the capture),
    // so a flood at full speed cannot crowd the bus or the window (a flood's 2,000 events a
    // second made the window's GUI thread 40 to 60 ms late; 40 a second do not).
    static constexpr int kShownPerWindow = 20;
    static constexpr qint64 kWindowNs = 1000 * 1000000LL;
    struct QuietKey
    {
        wire::FlowKey direction;
        QString meaning;
        bool operator==(const QuietKey &) const = default;
    };
    friend size_t qHash(const QuietKey &k, size_t seed)
    {
        return qHashMulti(seed, qHash(k.direction), k.meaning);
    }
    struct Quiet
    {
        qint64 startNs = 0;
        int shown = 0;
        qint64 counted = 0, bytes = 0;
        qint64 lastMonoNs = 0;
        QString sock, toSock, from, to, meaning;
        quint64 run = 0;
    };
    QHash<QuietKey, Quiet> m_quiet; // the thread's, by direction and kind
    static constexpr qint64 kQuietScanNs = 100 * 1000000LL;
    qint64 m_nextQuietScanNs = 0;      // the thread's: no count in m_quiet is due before it
    void postQuiet(const Quiet &q);    // one count's event (none if it counted none)
    QHash<QString, Quiet> m_quietLost; // the thread's: counted segments lost, by direction
    qint64 m_nextQuietLostNs = 0;      // the thread's: none of them is due before it
    void flushQuietLost(qint64 nowNs, bool all);
    struct Names
    {
        QString sender, receiver;
        quint64 run = 0;
        QString fromText, toText; // its addresses and ports, made once
        // The last segment event's fields but for its numbers, and what they were made for:
        // the next segment of this direction with the same flags, meaning, link, receiver and
        // far host (every probe of a connection) copies them and sets the numbers.
        QJsonObject fields;
        int fieldsPoint = -1, fieldsTo = -1, fieldsFlags = -1;
        QString fieldsMeaning, fieldsReceiver;
    };
    QHash<wire::FlowKey, Names> m_names; // the thread's, by direction
    wire::AddressTexts m_addressTexts;   // the thread's
    qint64 m_lastRefreshNs = 0;          // the thread's: the last table refresh for an unknown name
    // The router's segment in another's name seen at `point`: its address (empty if the frame
    // is not one).
    QString madeByRouter(const wire::Segment &s, int point);
    // The point whose host owns `address` and watches a link that leaves it, or -1.
    int pointOwning(const QString &address) const;
    int pointOwning(const wire::RawTcp &r, bool source) const; // of its source or destination

    QList<Point> m_points;       // set by start() with the thread stopped
    QStringList m_router;        // likewise
    QHash<QString, int> m_owner; // likewise: the point of each host address
    struct RawOwner
    {
        int family = 0;
        std::array<quint8, 16> address{};
        int point = 0;
    };
    std::vector<RawOwner> m_rawOwner; // likewise, as bytes (a few: scanned)
    QList<int> m_ownTtl;              // the thread's: TTL of each point's own segments (IPv4, IPv6)
    RingQueue<Pending> m_pending;     // the thread's, by when they left
    quint64 m_pendingSerial = 0;      // the serial of the next departure
    QHash<Key, QList<quint64>> m_departures; // the thread's: unmatched serials by segment
    QStringList m_probeHints; // the thread's: sockets whose probe or answer this read saw
    std::vector<Seen> m_held; // the thread's: arrivals read before departures
    // Segments called lost, for a while: one that arrives after all (a queue held it longer
    // than the verdict waited) is said to be late, not taken for a new segment.
    struct Judged
    {
        Pending sent;
        qint64 judgedNs = 0;
    };
    QHash<Key, Judged> m_judgedLost; // the thread's
    qint64 m_nextJudgedPruneNs = 0;
    static constexpr qint64 kJudgedKeptNs = 60 * 1000000000LL;
    void postLate(const Pending &p, qint64 arrivedNs);
    // What a `lost` event and a late arrival's `info` say alike of the segment p, at atNs.
    Event wireVerdict(const Pending &p, EventKind kind, qint64 atNs) const;
    qint64 m_lastDropNs = -1;    // the thread's: when drops were last counted
    quint64 m_framesKept = 0;    // the thread's: frame number of the last kept
    qint64 m_postedUntilNs = -1; // the thread's: all observed before it is posted (the bus's
                                 // late watermark)

    EventBus *m_bus;
    Monitor *m_monitor;
    QList<int> m_fds; // one per point
    QStringList m_links;
    int m_wakeFd = -1;
    std::atomic<bool> m_stop{false};
    std::atomic<qint64> m_queueingNs{0};
    std::mutex m_syncMutex;
    std::condition_variable m_synced;
    quint64 m_syncWanted = 0, m_syncDone = 0; // under m_syncMutex
    qint64 m_syncAtNs = 0;                    // under m_syncMutex: when the last was asked
    bool m_syncVerdicts = false;              // under m_syncMutex: it waits for verdicts
    std::thread m_thread;
    wire::Analyzer m_analyzer; // the thread's

    QMutex m_control;                  // start() and stop() one at a time, from any thread
    mutable QMutex m_mutex;            // guards the ring, the counts and the links
    RingQueue<platform::Frame> m_ring; // at most kRingFrames
    quint64 m_kernelDrops = 0;
    quint64 m_ringDrops = 0;
    QList<qint64> m_postLagNs; // the last 4096

    // The thread's: events go to the bus together, once a read's frames are handled (or every
    // kOutboxEvents): a burst of frames (1,000 connections' probes fall due in the same
    // millisecond) is one lock and one doorbell, not one per event.
    static constexpr qsizetype kOutboxEvents = 256;
    // Nor does an event wait longer than this for the rest of its burst (a flood's backlog of
    // thousands of frames, few of them shown, takes milliseconds to read).
    static constexpr qint64 kOutboxHoldNs = 500 * 1000LL;
    QList<Event> m_outbox;
    qint64 m_outboxSinceNs = 0;    // when its oldest was sent
    QList<qint64> m_outboxFrameNs; // the frames of its segment events (for Capture::postLagNs)
    void flushOutboxIfHeld();
    void send(Event &&e);
    void flushOutbox();
    // The thread's: what one read takes from the kernel, kept for the next (a burst's
    // buffers are not allocated anew each time).
    QList<platform::Frame> m_readFrames;
    std::vector<Seen> m_readBatch;
    std::vector<std::pair<qint64, size_t>> m_readOrder; // the batch's times and places
};

} // namespace socklab
