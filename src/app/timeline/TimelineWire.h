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
// frame timestamp on the client host's link, one observation per segment, so the arrows are
// upright rather than slanted by a transit time nobody measured.
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
    };

    // Takes a segment event (true) or leaves any other to the caller (false).
    bool add(const socklab::Event &e);
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

  private:
    std::vector<Wire> m_wires;
    QHash<QString, int> m_index; // "addr|addr", the lesser first
    quint32 m_drawn = 0;
};
