#include "Monitor.h"

#include "CancelToken.h"
#include "Event.h"
#include "EventBus.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

namespace socklab {

using platform::DiagRow;
using platform::monotonicNs;

namespace {
QString hostOf(const sockaddr_storage &ss, quint16 *port)
{
    char buf[INET6_ADDRSTRLEN] = {};
    if (ss.ss_family == AF_INET6) {
        const auto *a = reinterpret_cast<const sockaddr_in6 *>(&ss);
        inet_ntop(AF_INET6, &a->sin6_addr, buf, sizeof buf);
        *port = ntohs(a->sin6_port);
    } else {
        const auto *a = reinterpret_cast<const sockaddr_in *>(&ss);
        inet_ntop(AF_INET, &a->sin_addr, buf, sizeof buf);
        *port = ntohs(a->sin_port);
    }
    return QString::fromLatin1(buf);
}

// The key DiagRow::key() gives the kernel's row of this connected socket, or empty.
QString connectionKey(int fd)
{
    sockaddr_storage local{}, remote{};
    socklen_t llen = sizeof local, rlen = sizeof remote;
    if (getsockname(fd, reinterpret_cast<sockaddr *>(&local), &llen) != 0 ||
        getpeername(fd, reinterpret_cast<sockaddr *>(&remote), &rlen) != 0)
        return {};
    DiagRow row;
    row.localAddr = hostOf(local, &row.localPort);
    row.remoteAddr = hostOf(remote, &row.remotePort);
    return row.key();
}
} // namespace

Monitor::Monitor(EventBus *bus, CancelToken *cancel, Options options)
    : m_bus(bus), m_cancel(cancel), m_options(options), m_wakeFd(platform::wakeFdCreate())
{
    m_thread = std::thread([this] { run(); });
}

Monitor::~Monitor()
{
    m_stop.store(true);
    platform::wakeFdSignal(m_wakeFd);
    m_thread.join();
    ::close(m_wakeFd);
}

void Monitor::watchKeepalive(int fd, const QString &label, int keepIdleS)
{
    QMutexLocker lock(&m_mutex);
    Watch w;
    w.fd = fd;
    w.label = label;
    w.keepIdleMs = keepIdleS * 1000;
    qint64 v = 0;
    if (platform::getOption(fd, platform::OptionId::KeepCnt, &v) == 0)
        w.keepCnt = int(v);
    if (platform::getOption(fd, platform::OptionId::UserTimeout, &v) == 0)
        w.userTimeoutMs = int(v);
    m_watches.insert(fd, w);
    lock.unlock();
    platform::wakeFdSignal(m_wakeFd);
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
        m_watches.erase(it);
    }
    for (Event &e : out)
        post(std::move(e));
}

void Monitor::wake()
{
    platform::wakeFdSignal(m_wakeFd);
}

void Monitor::addPort(quint16 port)
{
    QMutexLocker lock(&m_mutex);
    m_ports.insert(port);
    lock.unlock();
    platform::wakeFdSignal(m_wakeFd);
}

void Monitor::nameSocket(int fd, const QString &label)
{
    struct stat st
    {
    };
    if (fstat(fd, &st) != 0)
        return;
    const QString key = connectionKey(fd);
    QMutexLocker lock(&m_mutex);
    m_inodeNames.insert(quint64(st.st_ino), label);
    if (!key.isEmpty())
        m_names.insert(key, label); // names its TIME_WAIT row, which has no inode
}

void Monitor::clearTable()
{
    QMutexLocker lock(&m_mutex);
    m_ports.clear();
    m_inodeNames.clear();
    m_names.clear();
    m_states.clear();
    m_table.clear();
}

QList<DiagRow> Monitor::table() const
{
    QMutexLocker lock(&m_mutex);
    return m_table;
}

QString Monitor::labelFor(const DiagRow &row) const
{
    QMutexLocker lock(&m_mutex);
    return labelForLocked(row);
}

QString Monitor::labelForLocked(const DiagRow &row) const
{
    if (row.inode) {
        if (const auto it = m_inodeNames.constFind(row.inode); it != m_inodeNames.constEnd())
            return it.value();
    }
    return m_names.value(row.key(), QStringLiteral("-"));
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
    platform::setPreciseTimerSlack();
    qint64 nextTable = 0;
    while (!m_stop.load()) {
        const qint64 now = monotonicNs();
        if (m_cancel)
            m_cancel->kick();
        bool probing = false;
        bool tabling = false;
        {
            QMutexLocker lock(&m_mutex);
            probing = !m_watches.isEmpty();
            tabling = !m_ports.isEmpty() || !m_table.isEmpty();
        }
        if (probing)
            sampleProbes();
        if (tabling && now >= nextTable) {
            sampleTable();
            nextTable = now + qint64(m_options.tableIntervalMs) * 1000000LL;
        }
        // Sleep until the next sample; a wake-up fd ends the sleep for stop or new work.
        int sleepMs =
            probing ? m_options.probeIntervalMs : (tabling ? m_options.tableIntervalMs : 50);
        if (m_cancel && m_cancel->isCancelled())
            sleepMs = std::min(sleepMs, 5); // until the engine resets it, keep kicking
        pollfd p{m_wakeFd, POLLIN, 0};
        timespec ts{sleepMs / 1000, (sleepMs % 1000) * 1000000L};
        if (::ppoll(&p, 1, &ts, nullptr) > 0)
            platform::wakeFdDrain(m_wakeFd);
    }
}

void Monitor::sampleProbes()
{
    QList<Event> out;
    {
        QMutexLocker lock(&m_mutex);
        for (Watch &w : m_watches)
            sampleWatch(w, &out);
    }
    for (Event &e : out)
        post(std::move(e));
}

void Monitor::sampleWatch(Watch &w, QList<Event> *out)
{
    if (w.finished)
        return;
    platform::TcpInfo cur;
    if (!platform::readTcpInfo(w.fd, &cur))
        return;
    const qint64 sampleNs = monotonicNs();
    if (!w.primed) {
        w.primed = true;
        w.last = cur;
        w.sampleNs = sampleNs;
        return;
    }
    const platform::TcpInfo &prev = w.last;
    const auto mk = [&](EventKind k, int probe, const QString &detail) {
        Event e;
        e.kind = k;
        e.monoNs = sampleNs;
        e.sock = w.label;
        e.op = QStringLiteral("keepalive");
        e.probe = probe;
        e.detail = detail;
        return e;
    };
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
    {
        QMutexLocker lock(&m_mutex);
        ports = m_ports;
    }
    QList<DiagRow> rows;
    if (platform::dumpTcpSockets(ports, &rows) != 0)
        return;
    QList<Event> out;
    std::function<void(const QList<DiagRow> &)> listener;
    {
        QMutexLocker lock(&m_mutex);
        QHash<QString, int> seen;
        // The port filter is coarse: keep the experiment's own sockets (by inode, or by
        // address for rows no descriptor owns), not every socket of the host on that port.
        rows.removeIf([this](const DiagRow &r) {
            return !(r.inode && m_inodeNames.contains(r.inode)) && !m_names.contains(r.key());
        });
        for (const DiagRow &r : rows) {
            const QString key = r.key();
            seen.insert(key, r.state);
            if (r.inode && m_inodeNames.contains(r.inode))
                m_names.insert(key, m_inodeNames.value(r.inode)); // for its TIME_WAIT later
            const auto it = m_states.constFind(key);
            if (it != m_states.constEnd() && it.value() == r.state)
                continue;
            Event e;
            e.kind = EventKind::State;
            e.monoNs = seenNs;
            e.sock = labelForLocked(r);
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
            e.monoNs = seenNs;
            e.sock = m_names.value(it.key(), QStringLiteral("-"));
            e.state = QStringLiteral("GONE");
            const QStringList ends = it.key().split(QLatin1Char('|'));
            e.local = ends.value(0);
            e.detail = QStringLiteral("%1 -> gone from the kernel's table")
                           .arg(platform::tcpStateName(it.value()));
            out << e;
        }
        m_states = seen;
        m_table = rows;
        listener = m_tableListener;
    }
    for (Event &e : out)
        post(std::move(e));
    if (listener)
        listener(rows);
}

} // namespace socklab
