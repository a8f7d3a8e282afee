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
    Info,
    Retransmit,   // the kernel sent a segment again (a SYN while connecting): probe = its number
    LessonResult, // a lesson's verdict; passed, predicted and observed are in `extra`
    Finished      // the engine ran everything it was given; not printed by the CLI
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
    QString data;      // bounded, escaped preview of payload bytes
    QString local;     // local address:port
    QString remote;    // remote address:port
    QString state;     // TCP state name, for state events
    QString detail;    // one plain sentence
    QJsonObject extra; // further JSON fields for rare kinds (lesson_result), merged into toJson
    quint64 run = 0;   // Finished: the Engine::run() or stop() call it ends (ids only grow)

    QString errnoName() const;
    QJsonObject toJson() const;
    QString toText() const;
};

// Escapes bytes for display: printable ASCII as is, everything else as \xNN, at most maxBytes.
QString escapeBytes(const QByteArray &bytes, int maxBytes = 64);

} // namespace socklab

// Every member is trivially or Qt-relocatable (implicitly shared Qt types, optional<double>),
// so a growing QList<Event> moves its buffer with realloc instead of moving each event: a
// flood's pending list then grows without holding the bus's lock for long.
Q_DECLARE_TYPEINFO(socklab::Event, Q_RELOCATABLE_TYPE);
Q_DECLARE_METATYPE(socklab::Event)
