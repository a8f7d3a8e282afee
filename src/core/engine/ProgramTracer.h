#pragma once

#include "Event.h"
#include "StraceLine.h"

#include <QByteArray>
#include <QHash>
#include <QSet>
#include <QString>
#include <QStringList>

#include <optional>

namespace socklab {

class EventBus;
class Monitor;

// A program's own socket calls, as strace saw them (`run --trace`), turned into the events
// SockLab's own calls make: a call that may block starts (connecting, receiving, ... at the
// moment it entered the kernel) and ends (connected, received, timeout, error, with the time it
// took), on the lane of its socket (p1, p2, ... as the monitor names the program's sockets).
// Only TCP sockets the program made (socket(AF_INET/AF_INET6, SOCK_STREAM)) or accepted count;
// its files, pipes and other sockets are left out. Fed on the thread that runs the program.
class ProgramTracer
{
  public:
    ProgramTracer(EventBus *bus, Monitor *monitor);

    // The command line that runs argv under strace, writing to outputPath.
    static QStringList command(const QString &strace, const QString &outputPath,
                               const QStringList &argv);
    // The system calls it asks strace for.
    static QString tracedCalls();

    // One line strace wrote (complete), or what it has written of the next one so far.
    void feed(const QByteArray &text, bool complete);

    int callsShown() const { return m_shown; }

  private:
    struct Open
    {
        StraceLine entry;
        QString sock;      // empty: no socket of the program's
        quint64 inode = 0; // its socket's, when sock is set
        bool started = false;
    };
    void begin(const StraceLine &entry);
    void finish(Open open, const StraceLine &result, const QByteArray &text);
    // The program's socket the call is on (its first TCP socket argument), or empty.
    QString socketOf(const StraceLine &line, quint64 *inode = nullptr);
    Event callEvent(EventKind kind, const QString &sock, const StraceLine &entry) const;
    qint64 monoOf(qint64 wallNs) const { return wallNs - m_wallMinusMonoNs; }
    void post(Event &e, const QByteArray &text);

    EventBus *m_bus;
    Monitor *m_monitor;
    qint64 m_wallMinusMonoNs = 0; // strace stamps calls with the wall clock
    QHash<qint64, Open> m_open;   // by thread: the call it is in
    QSet<quint64> m_tcp;          // the program's TCP sockets, by inode
    QSet<quint64> m_connecting;   // connect() returned EINPROGRESS: poll waits for the handshake
    QHash<quint64, double> m_recvTimeout; // SO_RCVTIMEO set on it, seconds
    QHash<quint64, double> m_sendTimeout; // SO_SNDTIMEO
    int m_shown = 0;
};

} // namespace socklab
