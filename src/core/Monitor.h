#pragma once

#include "Event.h"
#include "Platform.h"

#include <QHash>
#include <QList>
#include <QMutex>
#include <QSet>
#include <QString>

#include <atomic>
#include <functional>
#include <thread>

namespace socklab {

class CancelToken;
class EventBus;

// Watches what the kernel does on its own: keepalive probes (TCP_INFO counters of each watched
// socket, read every few ms) and the TCP socket table of the experiment's ports (sock_diag,
// a few times a second), turning changes into events. Runs on its own thread.
class Monitor
{
  public:
    struct Options
    {
        int probeIntervalMs = 5;
        int tableIntervalMs = 100;
    };

    Monitor(EventBus *bus, CancelToken *cancel, Options options);
    explicit Monitor(EventBus *bus, CancelToken *cancel = nullptr) : Monitor(bus, cancel, {}) {}
    ~Monitor();
    Monitor(const Monitor &) = delete;
    Monitor &operator=(const Monitor &) = delete;

    // Thread-safe. Watches fd's keepalive probes; keepIdleS is the effective TCP_KEEPIDLE.
    void watchKeepalive(int fd, const QString &label, int keepIdleS);
    // Thread-safe and synchronous: once it returns the monitor no longer touches fd.
    void unwatch(int fd);

    void addPort(quint16 port);
    // Names the socket behind fd in the table, for state events. Call it as soon as the
    // socket exists (rows are matched by inode) and again once it is connected (its
    // addresses then name its TIME_WAIT row, which no descriptor owns).
    void nameSocket(int fd, const QString &label);
    void clearTable(); // forgets ports, names and rows
    void wake();       // ends the current sleep (Stop: kick the blocked call again at once)
    // Reads the table now, on the calling thread (state events for what changed).
    void refreshTable();
    // Samples every watched socket now, on the calling thread, so that what the kernel did
    // (a death, a probe) is reported before whatever the caller reports next.
    void refreshProbes() { sampleProbes(); }

    QList<platform::DiagRow> table() const;
    QString labelFor(const platform::DiagRow &row) const;
    // Called on the monitor thread after each refresh of the table.
    void setTableListener(std::function<void(const QList<platform::DiagRow> &)> listener);

  private:
    struct Watch
    {
        int fd = -1;
        QString label;
        int keepIdleMs = 0;
        int keepCnt = 0;
        int userTimeoutMs = 0;
        bool primed = false;
        bool finished = false;
        qint64 sampleNs = 0;
        platform::TcpInfo last;
        int series = 0; // probes sent since the last answer
        int total = 0;
        qint64 idleSinceNs = 0;
    };

    void run();
    void sampleProbes();
    void sampleWatch(Watch &w, QList<Event> *out);
    void sampleTable();
    void post(Event &&e);
    QString labelForLocked(const platform::DiagRow &row) const;

    EventBus *m_bus;
    CancelToken *m_cancel;
    Options m_options;
    std::atomic<bool> m_stop{false};
    int m_wakeFd = -1;

    QMutex m_tableMutex;    // one table refresh at a time
    mutable QMutex m_mutex; // guards everything below
    QHash<int, Watch> m_watches;
    QSet<quint16> m_ports;
    QHash<quint64, QString> m_inodeNames; // socket inode -> label
    QHash<QString, QString> m_names;      // DiagRow::key() -> label, learnt from inode rows
    QHash<QString, int> m_states;         // DiagRow::key() -> last state seen
    QList<platform::DiagRow> m_table;
    std::function<void(const QList<platform::DiagRow> &)> m_tableListener;

    std::thread m_thread;
};

} // namespace socklab
