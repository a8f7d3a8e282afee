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

class CancelHub;
class EventBus;

// Watches what the kernel does on its own: keepalive probes (TCP_INFO counters of each watched
// socket) and the TCP socket table of the experiment's ports (sock_diag, a few times a
// second), turning changes into events. Runs on its own thread.
//
// A probe can only leave when the kernel's keepalive timer fires: TCP_KEEPIDLE after the peer
// was last heard from, then every TCP_KEEPINTVL while probes go unanswered. So each socket is
// read every probeIntervalMs only in a window around that moment (whose end allows for the
// kernel timer wheel's rounding), and about once a second otherwise; the socket table, read
// anyway, tells when the kernel's timer is really armed if that is later than the counters
// predict. Watching a thousand idle connections then costs little, and a probe is still
// reported within a few milliseconds of leaving.
class Monitor
{
  public:
    struct Options
    {
        int probeIntervalMs = 2; // sampling period around an expected probe
        int tableIntervalMs = 100;
        platform::SocketFactory *net = nullptr; // whose socket table; nullptr: the host's
    };

    // cancel: the engine's tokens, kicked while any is cancelled (see CancelToken::kick).
    Monitor(EventBus *bus, CancelHub *cancel, Options options);
    explicit Monitor(EventBus *bus, CancelHub *cancel = nullptr) : Monitor(bus, cancel, {}) {}
    ~Monitor();
    Monitor(const Monitor &) = delete;
    Monitor &operator=(const Monitor &) = delete;

    // Thread-safe. Whose socket table the next samples read (nullptr: the host's).
    void setNetwork(platform::SocketFactory *net);
    // Thread-safe. Watches fd's keepalive probes; keepIdleS is the effective TCP_KEEPIDLE.
    void watchKeepalive(int fd, const QString &label, int keepIdleS);
    // Thread-safe. Watches a connected socket without keepalive for resends of the data it
    // sends (dataSent() starts each look; nothing is sampled while nothing is in flight).
    void watchData(int fd, const QString &label);
    // Thread-safe. Watches a socket about to connect: each SYN the kernel sends again while it
    // is in SYN_SENT (tcpi_total_retrans +1) becomes a retransmit event, until it leaves that
    // state. watchKeepalive on the same descriptor replaces it.
    void watchConnect(int fd, const QString &label);
    // Thread-safe and synchronous: once it returns the monitor no longer touches fd.
    void unwatch(int fd);
    // Thread-safe. fd has just sent data: sample it now, so that resends of that data (from
    // 200 ms on) are seen at the pace of the retransmission timer, not of keepalive's.
    void dataSent(int fd);
    // Thread-safe. A capture of the socket's link (the lab's wire) tells of each keepalive
    // probe, its ACK and a reset as the frame is read: the watched sockets named `labels` are
    // sampled now, and while `on` (setWireHints) a socket waiting for a probe is read only
    // every kWireHintedSampleNs as a fallback (a frame the capture lost), not every
    // probeIntervalMs: a thousand connections probing every second cost a tenth as many
    // TCP_INFO reads, and each probe is reported just after its frame, never before it.
    void wireSaw(const QStringList &labels);
    void setWireHints(bool on);
    static constexpr qint64 kWireHintedSampleNs = 50 * 1000000LL;

    void addPort(quint16 port);
    // Names the socket behind fd in the table, for state events. Call it as soon as the
    // socket exists (rows are matched by inode) and again once it is connected (its
    // addresses then name its TIME_WAIT row, which no descriptor owns). The socket belongs to
    // the calling thread's run (EventBus::currentRun()), and so do its state events.
    // `connectingTo`: the address its connect() is on its way to (it has no peer name yet).
    void nameSocket(int fd, const QString &label, const sockaddr_storage *connectingTo = nullptr);
    // From now on every socket of the experiment's host that no one named is a program's (run
    // in the lab) and is named `prefix`1, 2, ... in the order it is first seen, for the run
    // `run`; off with an empty prefix. Its states are reported, and the wire names its
    // segments after it.
    void adoptUnnamed(const QString &prefix, quint64 run);
    // Thread-safe. The name of the socket with this inode, named now as the next of
    // adoptUnnamed's if no one has named it (a program's socket seen by its tracer before the
    // kernel's table shows it); empty when it is no one's and nothing is adopted.
    QString adoptSocket(quint64 inode);
    // Forgets ports, names and rows (and stops adopting), and tells the table's listener.
    void clearTable();
    void wake(); // ends the current sleep (Stop: kick the blocked call again at once)
    // Reads the table now, on the calling thread (state events for what changed).
    void refreshTable();
    // Samples every watched socket now, on the calling thread, so that what the kernel did
    // (a death, a probe) is reported before whatever the caller reports next.
    void refreshProbes() { sampleProbes(platform::monotonicNs(), true); }

    QList<platform::DiagRow> table() const;
    QString labelFor(const platform::DiagRow &row) const;
    // The label and run of the named socket with these addresses (as the table writes them:
    // "192.0.2.1", "2001:db8:1::1"), learnt from the table; an empty label if none is known.
    std::pair<QString, quint64> socketAt(const QString &localAddr, quint16 localPort,
                                         const QString &remoteAddr, quint16 remotePort) const;
    // The run that made the row's socket (its label's run), 0 if it is not one of ours: a
    // consumer showing one page of runs hides the rows of earlier ones.
    quint64 runFor(const platform::DiagRow &row) const;
    // Called on the monitor thread after each refresh of the table.
    void setTableListener(std::function<void(const QList<platform::DiagRow> &)> listener);

  private:
    void clearTableLocked(); // under m_mutex
    struct Watch
    {
        int fd = -1;
        QString label;
        int keepIdleMs = 0;
        int keepIntvlMs = 0;
        int keepCnt = 0;
        int userTimeoutMs = 0;
        quint64 inode = 0; // its row in the socket table
        bool primed = false;
        bool finished = false;
        bool connecting = false; // watchConnect: SYN retransmissions, not keepalive
        bool keepalive = true;   // false: watchData, data retransmissions only
        quint64 run = 0;         // the run that made the socket: its events belong to it
        qint64 sampleNs = 0;
        platform::TcpInfo last;
        int series = 0;      // probes sent since the last answer
        int dataResends = 0; // data retransmissions reported
        int total = 0;
        qint64 idleSinceNs = 0;
        qint64 probeAfterNs = 0; // the last probe left after this (the sample before it)
        qint64 kernelDueNs = 0;  // the keepalive timer's expiry, from the table (0: unknown)
        qint64 nextSampleNs = 0; // when to read TCP_INFO next
    };

    void addWatch(Watch w); // replaces any watch on the same descriptor
    void run();
    // Samples the watches that are due by `now` (all of them if force); returns the earliest
    // time any watch wants its next sample.
    qint64 sampleProbes(qint64 now, bool force);
    void sampleWatch(Watch &w, QList<Event> *out);
    void sampleConnect(Watch &w, const platform::TcpInfo &cur, const platform::Instant &at,
                       QList<Event> *out);
    qint64 nextSampleFor(const Watch &w, qint64 now) const;
    void sampleTable();
    void pruneLocked(const QList<platform::DiagRow> &rows, qint64 now);
    void post(Event &&e);
    // A socket's label, and the run that made it (what its state events belong to).
    struct Name
    {
        QString label;
        quint64 run = 0;
    };
    Name nameForLocked(const platform::DiagRow &row) const;

    EventBus *m_bus;
    CancelHub *m_cancel;
    Options m_options;
    std::atomic<bool> m_stop{false};
    int m_wakeFd = -1;

    QMutex m_tableMutex; // one table refresh at a time
    // The table's sock_diag sockets, kept between refreshes (guarded by m_tableMutex): the
    // experiment's host's and, in the lab, the built-in peers' host's.
    platform::DiagChannel m_ownDiag;
    platform::DiagChannel m_peerDiag;
    mutable QMutex m_mutex; // guards everything below
    QHash<int, Watch> m_watches;
    QHash<QString, int> m_watchByLabel; // a watch's label -> its descriptor (wireSaw)
    bool m_wireHints = false;
    QSet<quint16> m_ports;
    QHash<quint64, Name> m_inodeNames; // socket inode -> name
    QHash<QString, Name> m_names;      // DiagRow::key() -> name, learnt from inode rows
    QHash<QString, int> m_states;      // DiagRow::key() -> last state seen
    QList<platform::DiagRow> m_table;
    QSet<int> m_families; // address families of the named sockets: the only ones dumped
    // Each row's DiagRow::key() by inode, from the last refresh (guarded by m_tableMutex):
    // a socket's addresses do not change while it lives, and formatting keys for thousands of
    // rows ten times a second is most of a refresh's own cost.
    struct CachedKey
    {
        QString localAddr, remoteAddr;
        quint16 localPort = 0, remotePort = 0;
        QString key;
        quint64 refresh = 0; // the last refresh whose table had it
    };
    // Kept from refresh to refresh and pruned of what a refresh no longer saw (not rebuilt:
    // copying thousands of entries was half of a refresh).
    QHash<quint64, CachedKey> m_keyCache;
    quint64 m_keyRefresh = 0; // refreshes so far (guarded by m_tableMutex)
    // Named or added since the last prune (see pruneLocked), so not yet forgotten.
    QSet<quint64> m_recentInodes;
    QSet<QString> m_recentKeys;
    QSet<quint16> m_recentPorts;
    QString m_adoptPrefix; // adoptUnnamed(): "p" while a program runs, else empty
    quint64 m_adoptRun = 0;
    int m_adopted = 0;             // how many it has named
    int m_adopting = 0;            // programs running that asked for it
    QSet<quint64> m_adoptedUnseen; // adoptSocket() named them; their port is not watched yet
    qint64 m_prunedNs = 0;
    std::function<void(const QList<platform::DiagRow> &)> m_tableListener;

    std::thread m_thread;
};

} // namespace socklab
