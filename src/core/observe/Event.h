#pragma once

#include <QJsonObject>
#include <QMetaType>
#include <QString>
#include <QVariant>

#include <optional>

namespace socklab {

// What happened. The names (kindName) are the CLI's and the exports' contract.
enum class EventKind
{
    OptionSet,       // setsockopt applied; requested and effective (read back) values
    OptionInherited, // an option read back on an accepted socket, passed on by its listener
    SystemDefault,   // a kernel default in force because the experiment did not set it
    Resolving,
    Resolved,
    Connecting, // a call starts: connecting, accepting, sending, receiving, holding
    Connected,
    Bound,
    Listening,
    Accepting,
    Accepted,
    Sending,
    Sent,
    Receiving,
    Received,
    Holding,
    Timeout,
    Error,
    PeerClosed,
    ProbeSent,
    ProbeAcked,
    ProbeUnanswered,
    PeerDead,
    State,
    Closed,
    Cancelled,
    Queued, // a call waits its turn behind an earlier call on the same socket (or a free thread)
    Info,
    Retransmit,    // the kernel sent a segment again (a SYN while connecting): probe = its number
    EventsDropped, // the consumer fell behind and the bus dropped events: extra "count" says how
                   // many
    LessonResult,  // a lesson's verdict; passed, predicted and observed are in `extra`
    Segment,       // a TCP segment on the lab's wire (WireTap): flags, seq, ack, meaning in
                   // `extra`; its time is the kernel's timestamp of the frame
    Lost,          // a segment that left one watched host of the lab and was not seen
                   // arriving at the other within WireTap::kLostAfterNs: `elapsed` after it
                   // left (its `frame` in `extra`); its time is when that was decided
    Finished       // the engine ran everything it was given; not printed by the CLI
};

QString kindName(EventKind kind);
std::optional<EventKind> kindFromName(const QString &name);

// One observation. Times are taken from the monotonic clock by whoever saw it happen.
struct Event
{
    EventKind kind = EventKind::Info;
    qint64 monoNs = 0;             // CLOCK_MONOTONIC when it happened (0: stamped when posted)
    qint64 tNs = 0;                // since the experiment's epoch, filled in by the EventBus
    double wall = 0;               // Unix time, seconds
    QString sock;                  // short label: c1, L1, a1, peer, peer1
    QString op;                    // connect, recv, send, accept, bind, listen, setsockopt, ...
    int err = 0;                   // errno value, 0 when none
    std::optional<double> elapsed; // seconds the call took, measured around the system call
    std::optional<double> timeout; // the configured per-call timeout in seconds
    bool timeoutNone = false;      // the call was configured to block forever
    QString mechanism;             // poll or sockopt, for calls with a timeout
    int probe = 0;                 // number of a keepalive probe in its series
    QString option;
    QVariant requested;
    QVariant effective;
    qint64 bytes = -1;
    QString data; // bounded, escaped preview of payload bytes
    // received on SockLab's own sockets: the bytes themselves, whole up to kPayloadLimit;
    // bytes - payload.size() more were received and counted, not kept (payloadOmitted()).
    // payloadKept is false where only the preview exists (the built-in peer's events).
    QByteArray payload;
    bool payloadKept = false;
    QString local;     // local address:port
    QString remote;    // remote address:port
    QString state;     // TCP state name, for state events
    QString detail;    // one plain sentence
    QJsonObject extra; // further JSON fields for rare kinds (lesson_result), merged into toJson
    // The Engine::run() or stop() call it belongs to (ids only grow; 0: none yet); on Finished,
    // the one it ends. A consumer drops what belongs to a run it has left behind.
    quint64 run = 0;
    quint64 seq = 0; // its place in the stream as delivered: 1, 2, 3 ... (set by the EventBus)

    qint64 payloadOmitted() const
    {
        return payloadKept && bytes > payload.size() ? bytes - payload.size() : 0;
    }
    QString errnoName() const;
    // `probe` numbers a resend (a retransmit event, a retransmitted segment), not a keepalive
    // probe: shown as "resend N", so that "probe" always means keepalive.
    bool probeIsResend() const;
    // With the payload fields (payload, payload_omitted) where one was kept.
    QJsonObject toJson() const;
    QString toText() const;
};

// The most bytes of one received event (one recv(), or the calls summed into one) that are
// kept whole; the rest is counted.
inline constexpr qsizetype kPayloadLimit = 1 << 20;

// Escapes bytes for display: printable ASCII as is, \\ \n \r \t, everything else (and ")
// as \xNN, at most maxBytes (then "..."). Reversible: unescapeBytes() gives the bytes back.
QString escapeBytes(const QByteArray &bytes, qsizetype maxBytes = 64);
QByteArray unescapeBytes(const QString &escaped);

// A received event's whole payload for reading: escaped, broken into lines after each \n and
// at `width` characters, each line prefixed with `indent`, then a line counting what was not
// kept and why (by default: the per-event limit). Empty where no payload was kept.
QString payloadText(const Event &e, const QString &indent = {}, int width = 100,
                    const QString &whyOmitted = {});

} // namespace socklab

// Every member is trivially or Qt-relocatable (implicitly shared Qt types, optional<double>),
// so a growing QList<Event> moves its buffer with realloc instead of moving each event: a
// flood's pending list then grows without holding the bus's lock for long.
Q_DECLARE_TYPEINFO(socklab::Event, Q_RELOCATABLE_TYPE);
Q_DECLARE_METATYPE(socklab::Event)
