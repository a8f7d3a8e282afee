#pragma once

#include "Event.h"

#include <QColor>
#include <QHash>
#include <QString>

#include <utility>
#include <vector>

// The wire under a connection: each TCP segment the lab's capture saw between its two ends,
// for the timeline to draw as a sequence diagram (an arrow from the sender's rail to the
// receiver's at the frame's own time). Only what the capture saw: the time is the kernel's
// timestamp of the frame where it was first seen (its sender's link), and the arrow is upright:
// the lab's transit of tens of microseconds is too short to draw. A segment that was not seen
// arriving at the other end (a `lost` event) stops half-way, at a cross; one still on its way
// (its verdict not yet known) stops half-way too.
struct WireSegment
{
    qint64 tNs = 0;
    bool fromA = true; // the arrow points from end A to end B (else B to A)
    bool icmp = false; // an ICMP error about the connection, sent by a router or host (via);
                       // a TCP segment with `via` was made by the router in the far end's name
    QString meaning;   // TcpSegments' meaning: syn, retransmission, keepalive_probe, ... or ""
    QString flags;     // "SYN ACK"
    int number = 0;    // the retransmission's number, where it has one
    qint64 bytes = 0;  // payload
    int more = 0;      // > 0: a summary of this many more segments, not each shown
    QString via;       // who made it, where not its sender: the ICMP's host, or the router
    QString detail;    // the event's sentence
    quint64 frame = 0; // its number in the capture (0: not given)
    QString toHost;    // the host it is looked for at ("server"); empty: no verdict awaited
    qint64 judgedAfterNs = 0; // how long after it left the capture says whether it arrived
    bool lost = false;        // a `lost` event said it did not arrive
    QString lostDetail;
};

struct Wire
{
    QString a, b;         // the two ends' addresses ("ip:port"); A sent the first segment seen
    QString nameA, nameB; // their sockets' names (c1, peer1), empty while unknown
    QString link;         // where it was captured ("eth0")
    std::vector<WireSegment> segments; // by time
};

// The connections seen on the wire and their segments, from `segment` events.
class WireBook
{
  public:
    // What the wires hold, as bits the timeline's legend reads (TimelineModel::Drawn).
    enum Drawn : quint32
    {
        DrawnSegment = 1u << 15,
        DrawnResent = 1u << 16,
        DrawnKeepalive = 1u << 17,
        DrawnReset = 1u << 18,
        DrawnLost = 1u << 19,
    };

    // Takes a segment or lost event (true) or leaves any other to the caller (false).
    bool add(const socklab::Event &e);
    // An event of a connected socket (its own name, local and remote address) names that end
    // of its wire, where no segment has yet: a connection's only frames may all come before
    // its socket is in the kernel's table.
    void learnName(const socklab::Event &e);
    void clear();

    quint32 drawn() const { return m_drawn; }
    int count() const { return int(m_wires.size()); }
    const Wire &wire(int index) const { return m_wires[size_t(index)]; }
    // Index range [first, last) of the wire's segments within [fromNs, toNs].
    std::pair<int, int> segmentsIn(int wire, qint64 fromNs, qint64 toNs) const;

    // A short label for the picture: "SYN", "SYN 2", "resend 1", "probe", "RST", "12 B".
    static QString label(const WireSegment &s);
    // How much a segment matters to a lesson, to label a crowd of them by its most telling one.
    static int weight(const WireSegment &s);
    static QColor colour(const WireSegment &s, const QColor &plain);
    // Whether the segment's arrival is still unknown at nowNs: it awaits a verdict that has not
    // come, was sent less than the capture's verdict time (plus a margin for the event's way to
    // the window) before, and no run that ended after it has settled it.
    bool onItsWay(const WireSegment &s, qint64 nowNs) const;
    // A run ended at tNs, and the capture had given every verdict on what was sent before it:
    // a segment without a `lost` event arrived.
    void settleUntil(qint64 tNs) { m_settledNs = std::max(m_settledNs, tNs); }
    // Until when a segment seen so far may still be drawn on its way (0: none awaits a
    // verdict): the view repaints on its own until then.
    qint64 onItsWayUntilNs() const { return m_awaitedUntilNs; }

  private:
    std::vector<Wire> m_wires;
    QHash<QString, int> m_index; // "addr|addr", the lesser first
    quint32 m_drawn = 0;
    qint64 m_awaitedUntilNs = 0;
    qint64 m_settledNs = -1;
};
