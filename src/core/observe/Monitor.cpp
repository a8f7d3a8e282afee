#include "Monitor.h"

#include "CancelToken.h"
#include "Event.h"
#include "EventBus.h"

#include <limits>

#include <sys/socket.h> // AF_INET, AF_INET6

namespace socklab {

using platform::DiagRow;
using platform::monotonicNs;

namespace {
constexpr qint64 kMs = 1000000;
constexpr qint64 kNever = std::numeric_limits<qint64>::max();
// Far from an expected probe: often enough to keep the counters fresh and to notice a socket
// that closed; while a probe is unanswered, often enough to see an answer or a reset soon.
constexpr qint64 kIdleSampleNs = 1000 * kMs;
constexpr qint64 kOutstandingSampleNs = 50 * kMs;
constexpr qint64 kConnectSampleNs = 5 * kMs; // a socket in SYN_SENT, for its retransmissions
// Slow samples and table refreshes fall on one grid, so they share wake-ups.
constexpr qint64 kGridNs = 100 * kMs;
// tcpi_last_* are whole jiffies turned into ms: a prediction can be a jiffy (4 ms at HZ=250,
// 10 ms at HZ=100) early or late; the wheel never fires early, so the late side is covered
// by the wheel's slack anyway.
constexpr qint64 kEarlyNs = 8 * kMs;
constexpr qint64 kLateNs = 12 * kMs;
// The socket table's share of a core is at most 1/kTableBudget (see run()): a table of a
// thousand connections and their peers' (2,000 rows, about 2 ms a read) is read five times a
// second rather than ten; a table of a classroom experiment's few rows, every 100 ms.
constexpr qint64 kTableBudget = 100;
// How long a name (an inode, a connection, a port) is kept without its socket in the table: a
// socket named now shows up at the next refresh, 100 ms away, or has already gone. Without
// forgetting, hours of experiments would grow the names without bound.
constexpr qint64 kForgetNs = 2000 * kMs;

qint64 roundUp(qint64 t, qint64 grid)
{
    return (t + grid - 1) / grid * grid;
}

// How late the kernel's timer wheel may fire a timer of this length: it rounds the expiry up
// to the granule of the wheel level the timer lands in (8^level jiffies; level 0 holds up to
// 63 jiffies, each level eight times more). HZ is not known here, so take the worst of the
// usual values.
qint64 wheelSlackNs(qint64 lengthNs)
{
    qint64 worst = 0;
    for (const qint64 hz : {100, 250, 300, 1000}) {
        const qint64 jiffyNs = 1000000000LL / hz;
        const qint64 jiffies = lengthNs / jiffyNs;
        qint64 granule = 1;
        for (qint64 start = 63; jiffies >= start && granule < (qint64(1) << 30); start *= 8)
            granule *= 8;
        worst = std::max(worst, granule * jiffyNs);
    }
    return worst;
}

} // namespace

Monitor::Monitor(EventBus *bus, CancelHub *cancel, Options options)
    : m_bus(bus), m_cancel(cancel), m_options(options), m_wakeFd(platform::wakeFdCreate())
{
    m_thread = std::thread([this] { run(); });
}

Monitor::~Monitor()
{
    m_stop.store(true);
    platform::wakeFdSignal(m_wakeFd);
    m_thread.join();
    platform::closeFd(m_wakeFd);
}

void Monitor::watchKeepalive(int fd, const QString &label, int keepIdleS)
{
    Watch w;
    w.fd = fd;
    w.label = label;
    w.keepIdleMs = keepIdleS * 1000;
    qint64 v = 0;
    if (platform::getOption(fd, platform::OptionId::KeepIntvl, &v) == 0)
        w.keepIntvlMs = int(v) * 1000;
    if (platform::getOption(fd, platform::OptionId::KeepCnt, &v) == 0)
        w.keepCnt = int(v);
    w.inode = platform::socketInode(fd);
    if (platform::getOption(fd, platform::OptionId::UserTimeout, &v) == 0)
        w.userTimeoutMs = int(v);
    addWatch(w);
}

void Monitor::addWatch(Watch w)
{
    w.run = m_bus->currentRun();
    {
        QMutexLocker lock(&m_mutex);
        m_watchByLabel.insert(w.label, w.fd);
        m_watches.insert(w.fd, w);
    }
    platform::wakeFdSignal(m_wakeFd);
}

void Monitor::watchData(int fd, const QString &label)
{
    Watch w;
    w.fd = fd;
    w.label = label;
    w.keepalive = false;
    addWatch(w);
}

void Monitor::watchConnect(int fd, const QString &label)
{
    Watch w;
    w.fd = fd;
    w.label = label;
    w.connecting = true;
    addWatch(w);
}

void Monitor::unwatch(int fd)
{
    QList<Event> out;
    {
        QMutexLocker lock(&m_mutex);
        const auto it = m_watches.find(fd);
        if (it == m_watches.end())
            return;
        sampleWatch(it.value(), &out); // what happened since the last tick, e.g. the death
        if (m_watchByLabel.value(it->label, -1) == fd)
            m_watchByLabel.remove(it->label);
        m_watches.erase(it);
    }
    for (Event &e : out)
        post(std::move(e));
}

void Monitor::dataSent(int fd)
{
    {
        QMutexLocker lock(&m_mutex);
        const auto it = m_watches.find(fd);
        if (it == m_watches.end() || it->connecting)
            return;
        it->nextSampleNs = 0;
    }
    platform::wakeFdSignal(m_wakeFd);
}

void Monitor::wireSaw(const QStringList &labels)
{
    bool any = false;
    {
        QMutexLocker lock(&m_mutex);
        for (const QString &label : labels) {
            const auto fd = m_watchByLabel.constFind(label);
            if (fd == m_watchByLabel.cend())
                continue;
            const auto it = m_watches.find(*fd);
            if (it == m_watches.end() || it->label != label || it->connecting || !it->keepalive)
                continue;
            it->nextSampleNs = 0;
            any = true;
        }
    }
    if (any)
        platform::wakeFdSignal(m_wakeFd);
}

void Monitor::setWireHints(bool on)
{
    QMutexLocker lock(&m_mutex);
    m_wireHints = on;
}

void Monitor::wake()
{
    platform::wakeFdSignal(m_wakeFd);
}

void Monitor::addPort(quint16 port)
{
    QMutexLocker lock(&m_mutex);
    m_ports.insert(port);
    m_recentPorts.insert(port);
    lock.unlock();
    platform::wakeFdSignal(m_wakeFd);
}

void Monitor::nameSocket(int fd, const QString &label, const sockaddr_storage *connectingTo)
{
    const quint64 inode = platform::socketInode(fd);
    if (inode == 0)
        return;
    int family = 0;
    const QString key = platform::connectionKey(fd, &family, connectingTo);
    const Name name{label, m_bus->currentRun()};
    QMutexLocker lock(&m_mutex);
    if (family == AF_INET || family == AF_INET6)
        m_families.insert(family);
    m_inodeNames.insert(inode, name);
    m_recentInodes.insert(inode);
    if (!key.isEmpty()) {
        m_names.insert(key, name); // names its TIME_WAIT row, which has no inode
        m_recentKeys.insert(key);
    }
}

void Monitor::adoptUnnamed(const QString &prefix, quint64 run)
{
    {
        QMutexLocker lock(&m_mutex);
        // Programs may run side by side: adopting ends with the last of them.
        if (!prefix.isEmpty()) {
            ++m_adopting;
            m_adoptPrefix = prefix;
            m_adoptRun = run;
            m_ports.insert(platform::kAnyPort);
        } else if (m_adopting > 0 && --m_adopting == 0) {
            m_adoptPrefix.clear();
            m_ports.remove(platform::kAnyPort);
        }
    }
    platform::wakeFdSignal(m_wakeFd);
}

QString Monitor::adoptSocket(quint64 inode)
{
    QMutexLocker lock(&m_mutex);
    if (const auto it = m_inodeNames.constFind(inode); it != m_inodeNames.constEnd())
        return it->label;
    if (inode == 0 || m_adoptPrefix.isEmpty())
        return {};
    const Name name{m_adoptPrefix + QString::number(++m_adopted), m_adoptRun};
    m_inodeNames.insert(inode, name);
    m_recentInodes.insert(inode);
    m_adoptedUnseen.insert(inode);
    return name.label;
}

void Monitor::clearTable()
{
    QMutexLocker serial(&m_tableMutex); // not during a refresh
    std::function<void(const QList<DiagRow> &)> listener;
    {
        QMutexLocker lock(&m_mutex);
        clearTableLocked();
        listener = m_tableListener;
    }
    // Whoever shows the table is told it is empty: no refresh follows while nothing is
    // watched, and rows of the last network would stay on screen.
    if (listener)
        listener({});
}

void Monitor::clearTableLocked()
{
    m_adoptPrefix.clear();
    m_adopted = 0;
    m_adopting = 0;
    m_adoptedUnseen.clear();
    m_ports.clear();
    m_families.clear();
    m_inodeNames.clear();
    m_names.clear();
    m_states.clear();
    m_table.clear();
    m_recentInodes.clear();
    m_recentKeys.clear();
    m_recentPorts.clear();
}

// Forgets the names and ports of sockets that are gone: neither in the table now nor named
// since the last prune. A live socket, or one in TIME_WAIT, is in the table and keeps its name.
void Monitor::pruneLocked(const QList<DiagRow> &rows, qint64 now)
{
    if (now - m_prunedNs < kForgetNs)
        return;
    m_prunedNs = now;
    QSet<quint64> inodes;
    QSet<QString> keys;
    QSet<quint16> ports;
    for (const DiagRow &r : rows) {
        if (r.inode)
            inodes.insert(r.inode);
        keys.insert(r.key());
        ports.insert(r.localPort);
        ports.insert(r.remotePort);
    }
    m_inodeNames.removeIf([&](const QHash<quint64, Name>::iterator &it) {
        return !inodes.contains(it.key()) && !m_recentInodes.contains(it.key());
    });
    m_adoptedUnseen.removeIf([&](quint64 inode) { return !m_inodeNames.contains(inode); });
    m_names.removeIf([&](const QHash<QString, Name>::iterator &it) {
        return !keys.contains(it.key()) && !m_recentKeys.contains(it.key());
    });
    m_ports.removeIf([&](quint16 p) {
        if (p == platform::kAnyPort)
            return m_adoptPrefix.isEmpty(); // every port, while a program is adopted
        return !ports.contains(p) && !m_recentPorts.contains(p);
    });
    m_recentInodes.clear();
    m_recentKeys.clear();
    m_recentPorts.clear();
}

QList<DiagRow> Monitor::table() const
{
    QMutexLocker lock(&m_mutex);
    return m_table;
}

QString Monitor::labelFor(const DiagRow &row) const
{
    QMutexLocker lock(&m_mutex);
    return nameForLocked(row).label;
}

std::pair<QString, quint64> Monitor::socketAt(const QString &localAddr, quint16 localPort,
                                              const QString &remoteAddr, quint16 remotePort) const
{
    DiagRow r;
    r.localAddr = localAddr;
    r.localPort = localPort;
    r.remoteAddr = remoteAddr;
    r.remotePort = remotePort;
    QMutexLocker lock(&m_mutex);
    const auto it = m_names.constFind(r.key());
    if (it == m_names.constEnd())
        return {};
    return {it->label, it->run};
}

quint64 Monitor::runFor(const DiagRow &row) const
{
    QMutexLocker lock(&m_mutex);
    return nameForLocked(row).run;
}

Monitor::Name Monitor::nameForLocked(const DiagRow &row) const
{
    if (row.inode) {
        if (const auto it = m_inodeNames.constFind(row.inode); it != m_inodeNames.constEnd())
            return it.value();
    }
    return m_names.value(row.key(), Name{QStringLiteral("-"), 0});
}

void Monitor::setTableListener(std::function<void(const QList<DiagRow> &)> listener)
{
    QMutexLocker lock(&m_mutex);
    m_tableListener = std::move(listener);
}

void Monitor::post(Event &&e)
{
    m_bus->post(std::move(e));
}

void Monitor::run()
{
    platform::nameThisThread("socklab-monitor");
    platform::setPreciseTimerSlack();
    const qint64 tableNs = qint64(m_options.tableIntervalMs) * kMs;
    qint64 nextTable = 0;
    while (!m_stop.load()) {
        qint64 now = monotonicNs();
        if (m_cancel)
            m_cancel->kick();
        bool tabling = false;
        {
            QMutexLocker lock(&m_mutex);
            tabling = !m_ports.isEmpty() || !m_table.isEmpty();
        }
        qint64 wake = sampleProbes(now, false);
        if (tabling && now >= nextTable) {
            const qint64 cpuBefore = platform::threadCpuNs();
            sampleTable(); // may move a watch's next sample earlier
            // The CPU time it used, not the time it took: a refresh preempted on a busy
            // machine, or one that waited for the lab's helper to open its socket, costs a
            // core nothing meanwhile (by the clock, one of 30 ms put the next 3 s away).
            const qint64 took = platform::threadCpuNs() - cpuBefore;
            now = monotonicNs();
            // Every tableIntervalMs, unless a refresh itself is slow (thousands of rows): then
            // less often, so that the table never takes more than 1/kTableBudget of a core.
            nextTable = roundUp(now + std::max(tableNs / 2, took * kTableBudget), tableNs);
            wake = sampleProbes(now, false);
        }
        // Sleep until the next sample is due; the wake-up fd ends the sleep for stop or new
        // work (a watch, a port, Stop).
        wake = std::min(wake, tabling ? nextTable : now + 50 * kMs);
        if (m_cancel && m_cancel->anyCancelled())
            wake = std::min(wake, now + 5 * kMs); // until the engine resets it, keep kicking
        const qint64 left = std::clamp<qint64>(wake - monotonicNs(), 0, 50 * kMs);
        platform::wakeFdWait(m_wakeFd, left);
    }
}

qint64 Monitor::sampleProbes(qint64 now, bool force)
{
    QList<Event> out;
    qint64 earliest = kNever;
    {
        QMutexLocker lock(&m_mutex);
        for (Watch &w : m_watches) {
            // A millisecond early is as good as on time, and saves a wake-up.
            if (force || w.nextSampleNs <= now + kMs)
                sampleWatch(w, &out);
            earliest = std::min(earliest, w.nextSampleNs);
        }
    }
    for (Event &e : out)
        post(std::move(e));
    return earliest;
}

// When to read this socket's TCP_INFO next, given its last sample.
qint64 Monitor::nextSampleFor(const Watch &w, qint64 now) const
{
    if (w.finished)
        return kNever;
    if (!w.primed)
        return now;
    const qint64 dense = qint64(m_options.probeIntervalMs) * kMs;
    // The SYN timer's first expiry is about a second away, then longer: a few ms is plenty.
    // Data in flight is retransmitted from 200 ms on: the same pace places each resend.
    if (w.connecting || w.last.unacked > 0)
        return now + std::max(dense, kConnectSampleNs);
    if (!w.keepalive)
        return kNever; // until dataSent()
    // Where the wire tells of each probe and answer (wireSaw), the window's reads are only
    // the fallback for a frame the capture lost.
    const qint64 windowPace = m_wireHints ? kWireHintedSampleNs : dense;
    // The kernel's keepalive timer fires when the peer has been silent TCP_KEEPIDLE, and then
    // every TCP_KEEPINTVL while probes go unanswered (the verdict comes on a firing too).
    qint64 due = 0, lengthNs = 0;
    if (w.series == 0) {
        const qint64 heardMs = qint64(std::min(w.last.lastDataRecvMs, w.last.lastAckRecvMs));
        due = w.sampleNs + (w.keepIdleMs - heardMs) * kMs;
        lengthNs = qint64(w.keepIdleMs) * kMs;
    } else {
        due = w.probeAfterNs + qint64(w.keepIntvlMs) * kMs;
        lengthNs = qint64(w.keepIntvlMs) * kMs;
    }
    // The timer may be armed later than the counters predict (enabled late, or re-armed while
    // data was in flight): the table says when.
    if (w.kernelDueNs > due && w.kernelDueNs > now)
        due = w.kernelDueNs;
    const qint64 windowStart = due - kEarlyNs;
    const qint64 windowEnd = due + wheelSlackNs(lengthNs) + kLateNs;
    if (now < windowStart) {
        // Between probes: just after one, often (its ACK usually follows within a round trip);
        // then at the idle pace, on the shared grid.
        qint64 next;
        if (w.series > 0 && now - w.probeAfterNs < 100 * kMs)
            next = now + windowPace;
        else
            next = roundUp(now + (w.series > 0 ? kOutstandingSampleNs : kIdleSampleNs), kGridNs);
        return std::min(next, windowStart);
    }
    // In the window the sampling period grows with the timer (a thousandth of it, so a probe
    // after 2 hours is placed within a second, one after 1 s within probeIntervalMs).
    if (now <= windowEnd)
        return now + std::clamp(lengthNs / 1000, windowPace, std::max(windowPace, 1000 * kMs));
    // The window passed without a probe and the table has not said when the timer fires:
    // keep looking, less often.
    return roundUp(now + kOutstandingSampleNs, kGridNs / 2);
}

void Monitor::sampleWatch(Watch &w, QList<Event> *out)
{
    if (w.finished)
        return;
    platform::TcpInfo cur;
    if (!platform::readTcpInfo(w.fd, &cur)) {
        w.nextSampleNs = monotonicNs() + kIdleSampleNs;
        return;
    }
    const platform::Instant at = platform::now();
    const qint64 sampleNs = at.monoNs;
    if (!w.primed) {
        w.primed = true;
        w.last = cur;
        w.sampleNs = sampleNs;
        w.nextSampleNs = nextSampleFor(w, sampleNs);
        return;
    }
    if (w.connecting) {
        sampleConnect(w, cur, at, out);
        return;
    }
    const platform::TcpInfo &prev = w.last;
    const auto mk = [&](EventKind k, int probe, const QString &detail) {
        Event e;
        e.kind = k;
        e.monoNs = sampleNs;
        e.wall = at.wall;
        e.sock = w.label;
        e.run = w.run;
        e.op = QStringLiteral("keepalive");
        e.probe = probe;
        e.detail = detail;
        return e;
    };
    // Data sent again while unacknowledged: now the retransmission timer decides, and the
    // keepalive timer sends nothing (tcpi_total_retrans counts resends, never probes).
    if (cur.totalRetrans > prev.totalRetrans && !platform::isTcpClosed(cur.state) &&
        (cur.unacked > 0 || prev.unacked > 0)) {
        for (unsigned i = prev.totalRetrans; i < cur.totalRetrans; ++i) {
            ++w.dataResends;
            Event e = mk(EventKind::Retransmit, w.dataResends,
                         QStringLiteral("Data sent again (retransmission %1): no ACK came within "
                                        "the retransmission timeout; the kernel's timer now waits "
                                        "%2 s for the next (tcpi_rto).%3")
                             .arg(w.dataResends)
                             .arg(cur.rtoUs / 1e6, 0, 'f', 3)
                             .arg(w.keepalive ? QStringLiteral(" Keepalive sends nothing while "
                                                               "data is unacknowledged.")
                                              : QString()));
            e.op = QStringLiteral("send");
            *out << e;
        }
    }
    if (!w.keepalive) {
        w.finished = platform::isTcpClosed(cur.state);
        w.last = cur;
        w.sampleNs = sampleNs;
        w.nextSampleNs = nextSampleFor(w, sampleNs);
        return;
    }
    const quint64 dOut = cur.segsOut - prev.segsOut;
    const quint64 dDataOut = cur.dataSegsOut - prev.dataSegsOut;
    const quint64 dIn = cur.segsIn - prev.segsIn;
    const quint64 dDataIn = cur.dataSegsIn - prev.dataSegsIn;
    // The kernel only sends a keepalive probe after TCP_KEEPIDLE without hearing from the
    // peer; a bare segment out of a busy connection is an ACK or a window update.
    const qint64 gapMs = (sampleNs - w.sampleNs) / 1000000;
    const qint64 idleMs = qint64(std::min(prev.lastDataRecvMs, prev.lastAckRecvMs)) + gapMs;
    // Not a keepalive probe: the RST that leaves as the state turns CLOSE; a zero-window
    // probe (data waits to be sent); our ACK to the peer's own keepalive probe (a segment came
    // in, yet no valid ACK arrived since the last sample: the peer's probe is out of window).
    const bool quiet = dDataOut == 0 && dDataIn == 0 && cur.unacked == 0 && cur.notsentBytes == 0 &&
                       !platform::isTcpClosed(cur.state);
    const bool answeredPeerProbe = dIn > dDataIn && qint64(cur.lastAckRecvMs) > gapMs + 50;
    // Without TCP_USER_TIMEOUT the kernel sends at most TCP_KEEPCNT probes: a bare segment
    // after that is the reset, even if the sample caught it before the state turned CLOSE.
    const bool resetNotProbe = w.userTimeoutMs == 0 && w.keepCnt > 0 && w.series >= w.keepCnt;
    if (quiet && !answeredPeerProbe && !resetNotProbe && dOut > 0 && idleMs + 20 >= w.keepIdleMs) {
        for (quint64 i = 0; i < dOut; ++i) {
            if (w.series > 0)
                *out << mk(EventKind::ProbeUnanswered, w.series,
                           QStringLiteral("No ACK for probe %1 within TCP_KEEPINTVL; the kernel "
                                          "sends the next one.")
                               .arg(w.series));
            if (w.series == 0)
                w.idleSinceNs = sampleNs - idleMs * 1000000LL;
            w.probeAfterNs = w.sampleNs;
            ++w.series;
            ++w.total;
            *out << mk(EventKind::ProbeSent, w.series,
                       QStringLiteral("Keepalive probe %1 on the wire after %2 s idle "
                                      "(tcpi_segs_out +1, no data).")
                           .arg(w.series)
                           .arg((sampleNs - w.idleSinceNs) / 1e9, 0, 'f', 3));
        }
    }
    if (w.series > 0 && dIn > dDataIn && cur.probes == 0 && !platform::isTcpClosed(cur.state)) {
        *out << mk(EventKind::ProbeAcked, w.series,
                   QStringLiteral("The peer ACKed keepalive probe %1: it is alive.").arg(w.series));
        w.series = 0;
    }
    if (platform::isTcpClosed(cur.state) && !platform::isTcpClosed(prev.state)) {
        if (w.series > 0 && dIn > 0) {
            *out << mk(EventKind::Info, w.series,
                       QStringLiteral("The connection ended while probe %1 was outstanding: "
                                      "something came back (a reset), so the peer is not "
                                      "silent.")
                           .arg(w.series));
        } else if (w.series > 0 && w.series < w.keepCnt && w.userTimeoutMs > 0) {
            *out << mk(EventKind::ProbeUnanswered, w.series,
                       QStringLiteral("No ACK for probe %1.").arg(w.series));
            *out << mk(EventKind::PeerDead, 0,
                       QStringLiteral("TCP_USER_TIMEOUT (%1 ms) expired after %2 unanswered "
                                      "probe(s), before TCP_KEEPCNT (%3): the kernel declared "
                                      "the peer dead (ETIMEDOUT).")
                           .arg(w.userTimeoutMs)
                           .arg(w.series)
                           .arg(w.keepCnt));
        } else if (w.series > 0) {
            *out << mk(EventKind::ProbeUnanswered, w.series,
                       QStringLiteral("No ACK for probe %1 either.").arg(w.series));
            *out << mk(EventKind::PeerDead, 0,
                       QStringLiteral("%1 keepalive probes went unanswered: the kernel declared "
                                      "the peer dead %2 s after it was last heard from and reset "
                                      "the connection (ETIMEDOUT).")
                           .arg(w.series)
                           .arg((sampleNs - w.idleSinceNs) / 1e9, 0, 'f', 3));
        }
        w.finished = true;
    }
    w.last = cur;
    w.sampleNs = sampleNs;
    w.nextSampleNs = nextSampleFor(w, sampleNs);
}

void Monitor::sampleConnect(Watch &w, const platform::TcpInfo &cur, const platform::Instant &at,
                            QList<Event> *out)
{
    const qint64 sampleNs = at.monoNs;
    constexpr int kSynSent = 2; // TCP_SYN_SENT in the kernel's enum
    // Before the first SYN leaves the socket is CLOSE; only SYN_SENT's retransmissions count.
    if (cur.state == kSynSent && w.last.state == kSynSent &&
        cur.totalRetrans > w.last.totalRetrans) {
        for (unsigned i = w.last.totalRetrans; i < cur.totalRetrans; ++i) {
            ++w.total;
            Event e;
            e.kind = EventKind::Retransmit;
            e.monoNs = sampleNs;
            e.wall = at.wall;
            e.sock = w.label;
            e.run = w.run;
            e.op = QStringLiteral("connect");
            e.probe = w.total;
            // The next interval is the kernel's own (tcpi_rto): it stays or doubles as
            // tcp_syn_linear_timeouts and the backoff say, so read it, never assume it.
            e.detail = QStringLiteral("SYN sent again (retransmission %1): no SYN-ACK came within "
                                      "the retransmission timeout; the kernel's timer now waits "
                                      "%2 s for the next (tcpi_rto; tcpi_total_retrans +1).")
                           .arg(w.total)
                           .arg(cur.rtoUs / 1e6, 0, 'f', 3);
            *out << e;
        }
    }
    // Connected, refused or given up: nothing more to retransmit. (CLOSE before SYN_SENT is a
    // socket whose connect() has not started yet.)
    if (cur.state != kSynSent && (w.last.state == kSynSent || !platform::isTcpClosed(cur.state)))
        w.finished = true;
    w.last = cur;
    w.sampleNs = sampleNs;
    w.nextSampleNs = nextSampleFor(w, sampleNs);
}

void Monitor::setNetwork(platform::SocketFactory *net)
{
    QMutexLocker serial(&m_tableMutex); // sampleTable reads it under this lock
    m_options.net = net;
    // Their network may be about to go (a lab that ends): they must not keep it alive.
    m_ownDiag.reset();
    m_peerDiag.reset();
}

void Monitor::refreshTable()
{
    sampleTable();
}

void Monitor::sampleTable()
{
    QMutexLocker serial(&m_tableMutex);
    const qint64 seenNs = monotonicNs();
    QSet<quint16> ports;
    QSet<int> families;
    {
        QMutexLocker lock(&m_mutex);
        ports = m_ports;
        families = m_families; // empty until a socket is named: then both
    }
    QList<DiagRow> rows;
    platform::SocketFactory &net = m_options.net ? *m_options.net : platform::hostNetwork();
    if (m_ownDiag.dump(ports, families, &rows, net) != 0)
        return;
    const qsizetype ownRows = rows.size(); // the experiment's host's; a program's are among them
    // In the lab the built-in peer's sockets are on another host, with a table of their own.
    if (platform::SocketFactory *peers = net.peerHost(); peers && peers != &net) {
        QList<DiagRow> theirs;
        if (m_peerDiag.dump(ports, families, &theirs, *peers) != 0)
            return;
        rows += theirs;
    }
    // A row shows what the kernel's table held at some moment of the dump: the change is
    // observed when the dump has returned, never before (a socket created during the dump can
    // be in it). Timer expiries stay relative to the request.
    const platform::Instant observed = platform::now();
    const qint64 observedNs = observed.monoNs;
    const quint64 refresh = ++m_keyRefresh;
    const auto keyOf = [&](const DiagRow &r) {
        if (!r.inode)
            return r.key(); // TIME_WAIT: few
        CachedKey &c = m_keyCache[r.inode];
        c.refresh = refresh;
        if (c.key.isEmpty() || c.localPort != r.localPort || c.remotePort != r.remotePort ||
            c.localAddr != r.localAddr || c.remoteAddr != r.remoteAddr) {
            c.localAddr = r.localAddr;
            c.remoteAddr = r.remoteAddr;
            c.localPort = r.localPort;
            c.remotePort = r.remotePort;
            c.key = r.key();
        }
        return c.key;
    };
    QList<Event> out;
    std::function<void(const QList<DiagRow> &)> listener;
    {
        QMutexLocker lock(&m_mutex);
        QHash<QString, int> seen;
        // Each watched socket's keepalive timer, as the kernel has it armed: the moment its
        // next probe can leave, if that is later than its counters predict.
        if (!m_watches.isEmpty()) {
            QHash<quint64, const DiagRow *> byInode;
            byInode.reserve(rows.size());
            for (const DiagRow &r : rows) {
                if (r.inode)
                    byInode.insert(r.inode, &r);
            }
            bool earlier = false;
            for (Watch &w : m_watches) {
                const DiagRow *r = byInode.value(w.inode);
                w.kernelDueNs =
                    r && r->timer == DiagRow::Timer::Keepalive ? seenNs + r->expiresMs * kMs : 0;
                if (!w.primed || w.finished)
                    continue;
                if (const qint64 next = nextSampleFor(w, seenNs); next < w.nextSampleNs) {
                    w.nextSampleNs = next;
                    earlier = true;
                }
            }
            // From another thread (the engine's refreshTable), the monitor may be asleep past
            // the new time; on its own thread it looks at the schedule next anyway.
            if (earlier && std::this_thread::get_id() != m_thread.get_id())
                platform::wakeFdSignal(m_wakeFd);
        }
        // The port filter is coarse: keep the experiment's own sockets (by inode, or by
        // address for rows no descriptor owns), not every socket of the host on that port.
        QList<DiagRow> kept;
        QStringList keys;
        for (qsizetype i = 0; i < rows.size(); ++i) {
            DiagRow &r = rows[i];
            QString key = keyOf(r);
            const bool named = (r.inode && m_inodeNames.contains(r.inode)) || m_names.contains(key);
            if (!named && !m_adoptPrefix.isEmpty() && i < ownRows && r.inode) {
                // A program's socket, first seen: named now, as SockLab names its own.
                const Name name{m_adoptPrefix + QString::number(++m_adopted), m_adoptRun};
                m_inodeNames.insert(r.inode, name);
                m_recentInodes.insert(r.inode);
                // Its port is watched as a socket's of SockLab's own: its rows (TIME_WAIT
                // too) stay in view once the program has ended.
                m_ports.insert(r.localPort);
                m_recentPorts.insert(r.localPort);
            } else if (!named) {
                continue;
            } else if (r.inode && m_adoptedUnseen.remove(r.inode)) {
                // Named by the program's tracer before the table showed it: its port, too.
                m_ports.insert(r.localPort);
                m_recentPorts.insert(r.localPort);
            }
            kept.append(std::move(r));
            keys.append(std::move(key));
        }
        rows = std::move(kept);
        m_keyCache.removeIf([refresh](const auto &it) { return it.value().refresh != refresh; });
        for (qsizetype i = 0; i < rows.size(); ++i) {
            const DiagRow &r = rows.at(i);
            const QString &key = keys.at(i);
            seen.insert(key, r.state);
            if (r.inode) {
                if (const auto n = m_inodeNames.constFind(r.inode); n != m_inodeNames.cend()) {
                    Name &known = m_names[key]; // for its TIME_WAIT later
                    if (known.label != n->label || known.run != n->run)
                        known = *n;
                }
            }
            const auto it = m_states.constFind(key);
            if (it != m_states.constEnd() && it.value() == r.state)
                continue;
            Event e;
            e.kind = EventKind::State;
            e.monoNs = observedNs;
            e.wall = observed.wall;
            const Name name = nameForLocked(r);
            e.sock = name.label;
            e.run = name.run; // a state of a socket belongs to the run that made it
            e.state = platform::tcpStateName(r.state);
            e.local = QStringLiteral("%1:%2").arg(r.localAddr).arg(r.localPort);
            if (r.remotePort)
                e.remote = QStringLiteral("%1:%2").arg(r.remoteAddr).arg(r.remotePort);
            const QString from = it == m_states.constEnd() ? QStringLiteral("new")
                                                           : platform::tcpStateName(it.value());
            e.detail = QStringLiteral("%1 -> %2").arg(from, e.state);
            if (r.timer == DiagRow::Timer::TimeWait)
                e.detail += QStringLiteral(": no descriptor owns it; the kernel holds port %1 for "
                                           "another %2 s")
                                .arg(r.localPort)
                                .arg(r.expiresMs / 1000.0, 0, 'f', 1);
            else if (r.timer != DiagRow::Timer::None)
                e.detail += QStringLiteral(" (timer %1, %2 s)")
                                .arg(platform::timerName(r.timer))
                                .arg(r.expiresMs / 1000.0, 0, 'f', 1);
            out << e;
        }
        for (auto it = m_states.constBegin(); it != m_states.constEnd(); ++it) {
            if (seen.contains(it.key()))
                continue;
            Event e;
            e.kind = EventKind::State;
            e.monoNs = observedNs;
            e.wall = observed.wall;
            const Name name = m_names.value(it.key(), Name{QStringLiteral("-"), 0});
            e.sock = name.label;
            e.run = name.run;
            e.state = QStringLiteral("GONE");
            const QStringList ends = it.key().split(QLatin1Char('|'));
            e.local = ends.value(0);
            e.detail = QStringLiteral("%1 -> gone from the kernel's table")
                           .arg(platform::tcpStateName(it.value()));
            out << e;
        }
        m_states = seen;
        m_table = rows;
        pruneLocked(rows, seenNs);
        listener = m_tableListener;
    }
    for (Event &e : out)
        post(std::move(e));
    if (listener)
        listener(rows);
}

} // namespace socklab
