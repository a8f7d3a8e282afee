#pragma once

#include "Event.h"
#include "TimelineWire.h"

#include <QHash>
#include <QList>
#include <QString>
#include <QStringList>

#include <limits>
#include <utility>
#include <vector>

// What the timeline draws, without any widget: per socket label a lane of calls (spans from
// the event that starts a call to the one that ends it), point marks (keepalive probes, the
// peer declared dead, state changes, errors outside a call) and TIME_WAIT bands. Kept apart
// from the painting so it can be tested directly and so a paint only reads.
class TimelineModel
{
  public:
    enum class Outcome
    {
        Running,
        Ok,
        Timeout,
        Error,
        Cancelled,
        PeerClosed,
        Abandoned // no ending event came (the run finished or was stopped around it)
    };
    enum class ProbeResult
    {
        Pending,
        Acked,
        Unanswered
    };

    // The end of anything still open: running calls, a TIME_WAIT not yet gone.
    static constexpr qint64 kOpen = std::numeric_limits<qint64>::max();

    struct Span
    {
        qint64 startNs = 0;
        qint64 endNs = kOpen;
        QString op;
        Outcome outcome = Outcome::Running;
        double timeout = -1; // configured seconds (for hold: its duration); < 0: none given
        bool timeoutNone = false;
        QString mechanism;
        int err = 0;
        double elapsed = -1; // measured around the system call, when the end reported it
        QString note;        // what it produced, e.g. the accepted socket's label
        QString detail;      // the ending event's sentence
        quint64 run = 0;     // the run whose call it is
        bool running() const { return endNs == kOpen; }
    };

    struct Mark
    {
        qint64 tNs = 0;
        socklab::EventKind kind = socklab::EventKind::Info;
        int probe = 0;
        ProbeResult result = ProbeResult::Pending; // probe_sent: what became of it
        qint64 resultNs = 0;                       // when that was seen
        QString text;                              // state name, op, errno symbol
        QString detail;
    };

    struct Band
    {
        qint64 startNs = 0;
        qint64 endNs = kOpen;
        QString state;
        QString detail;
    };

    struct Lane
    {
        QString name;
        std::vector<Span> spans;   // sorted by startNs
        std::vector<qint64> reach; // reach[i]: the latest end among spans[0..i], for searching
        std::vector<Mark> marks;   // sorted by tNs
        std::vector<Band> bands;   // sorted by startNs
        std::vector<int> running;  // indices of spans still running
        // The keepalive timer's settings as the kernel read them back on this socket (set,
        // inherited or the system's), seconds; -1 until one was reported.
        int keepIdleS = -1;
        int keepIntvlS = -1;
        quint64 firstRun = 0; // the run of its first event: the one that made the socket
    };

    // A moment that concerns the whole experiment, drawn across every lane: Stop, or the plug
    // pulled (the network, not a call).
    struct Marker
    {
        qint64 tNs = 0;
        QString text;   // "Stop", "plug pulled"
        QString detail; // the event's sentence, for the tooltip
    };

    // A fault of the network (or of the built-in server) from when it was made to when it was
    // mended: drawn behind every lane, as it concerns them all.
    struct FaultSpan
    {
        qint64 startNs = 0;
        qint64 endNs = kOpen;
        QString fault;  // its name in Fault.h: "cable"
        QString text;   // "cable pulled", "packet loss 10 %"
        QString detail; // the sentence said when it was made
    };

    // What the lanes hold, as bits (for a legend that names only what is drawn).
    enum Drawn : quint32
    {
        DrawnReturned = 1u << 0,
        DrawnTimedOut = 1u << 1,
        DrawnFailed = 1u << 2,
        DrawnCancelled = 1u << 3,
        DrawnPeerClosed = 1u << 4,
        DrawnNoTimeout = 1u << 5,
        DrawnProbeAcked = 1u << 6,
        DrawnProbeUnanswered = 1u << 7,
        DrawnPeerDead = 1u << 8,
        DrawnResend = 1u << 9,
        DrawnTimeWait = 1u << 10,
        DrawnStop = 1u << 11,
        DrawnOptionChanged = 1u << 12,
        DrawnKeepaliveTimer = 1u << 13,
        DrawnFault = 1u << 14,
        DrawnWireSegment = WireBook::DrawnSegment,
        DrawnWireResent = WireBook::DrawnResent,
        DrawnWireKeepalive = WireBook::DrawnKeepalive,
        DrawnWireReset = WireBook::DrawnReset,
        DrawnWireLost = WireBook::DrawnLost,
    };
    quint32 drawn() const { return m_drawn; }

    void append(const QList<socklab::Event> &batch);
    void clear();
    const std::vector<Marker> &markers() const { return m_markers; }
    const std::vector<FaultSpan> &faults() const { return m_faults; }
    // The connections on the lab's wire and their segments (none on the host's network).
    const WireBook &wires() const { return m_wires; }

    int laneCount() const { return int(m_lanes.size()); }
    const Lane &lane(int index) const { return m_lanes[size_t(index)]; }
    int laneIndex(const QString &name) const { return m_laneIndex.value(name, -1); }
    QStringList laneNames() const;

    // The latest event time seen, ns since the epoch.
    qint64 lastEventNs() const { return m_lastNs; }
    int runningCount() const { return m_running; }
    // Bands (TIME_WAIT) still open: they too grow toward "now".
    int openBandCount() const;

    // Index range [first, last) of the spans that may intersect [fromNs, toNs]; a span in it
    // can still end before fromNs when calls overlap, so the caller checks.
    std::pair<int, int> spansIn(int lane, qint64 fromNs, qint64 toNs) const;
    // Index range [first, last) of the marks within [fromNs, toNs].
    std::pair<int, int> marksIn(int lane, qint64 fromNs, qint64 toNs) const;

  private:
    Lane &laneFor(const QString &name);
    void add(const socklab::Event &e);
    void addFault(const socklab::Event &e);
    void startSpan(Lane &lane, const socklab::Event &e);
    // Ends the running span of this op on the lane (any op if empty); false if there is none.
    bool endSpan(Lane &lane, const QString &op, const socklab::Event &e, Outcome outcome);
    void closeSpan(Lane &lane, int runningSlot, qint64 endNs, Outcome outcome);
    void addMark(Lane &lane, Mark mark);
    void resolveProbe(Lane &lane, const socklab::Event &e, ProbeResult result);
    void updateReach(Lane &lane, size_t from);

    std::vector<Lane> m_lanes;
    quint32 m_drawn = 0;             // drawn()
    std::vector<Marker> m_markers;   // in the order they came, which is time order
    std::vector<FaultSpan> m_faults; // in the order they were made
    WireBook m_wires;
    QHash<QString, int> m_laneIndex;
    qint64 m_lastNs = 0;
    int m_running = 0;
};
