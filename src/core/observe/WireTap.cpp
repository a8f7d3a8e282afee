#include "WireTap.h"

#include "ErrnoText.h"
#include "EventBus.h"
#include "Monitor.h"
#include "Platform.h"

#include <QJsonObject>

#include <cerrno>
#include <cmath>

namespace socklab {

WireTap::WireTap(EventBus *bus, Monitor *monitor) : m_bus(bus), m_monitor(monitor) {}

WireTap::~WireTap()
{
    stop();
}

int WireTap::start(platform::SocketFactory &net, const QStringList &ifnames, QString *why,
                   const Neighbours &near)
{
    QMutexLocker control(&m_control);
    stopLocked();
    m_near = near;
    m_ownTtl[0] = m_ownTtl[1] = -1;
    {
        QMutexLocker lock(&m_mutex);
        m_ring.clear();
        m_postLagNs.clear();
        m_kernelDrops = m_ringDrops = 0;
        m_links.clear();
    }
    m_analyzer.clear();
    m_quiet.clear();
    m_names.clear();
    for (const QString &name : ifnames) {
        const int fd = net.captureSocket(name);
        const int err = fd < 0 ? errno
                               : platform::prepareCapture(fd, kSnapLen, kKernelQueueBytes,
                                                          name == QLatin1String("lo"));
        if (err) {
            if (fd >= 0)
                platform::closeFd(fd);
            stopLocked();
            if (why)
                *why = QStringLiteral("The wire of %1 cannot be captured: %2.")
                           .arg(name, explainErrno(err, QStringLiteral("capture")));
            return err;
        }
        m_fds << fd;
        QMutexLocker lock(&m_mutex);
        m_links << name;
    }
    m_wakeFd = platform::wakeFdCreate();
    m_stop.store(false);
    m_thread = std::thread([this] { run(); });
    return 0;
}

void WireTap::stop()
{
    QMutexLocker control(&m_control);
    stopLocked();
}

void WireTap::stopLocked()
{
    m_stop.store(true);
    if (m_thread.joinable()) {
        platform::wakeFdSignal(m_wakeFd);
        m_thread.join();
    }
    for (int fd : std::as_const(m_fds))
        platform::closeFd(fd);
    m_fds.clear();
    if (m_wakeFd >= 0)
        platform::closeFd(m_wakeFd);
    m_wakeFd = -1;
}

WireTap::Capture WireTap::capture() const
{
    QMutexLocker lock(&m_mutex);
    Capture c;
    c.frames.reserve(qsizetype(m_ring.size()));
    for (const platform::Frame &f : m_ring)
        c.frames << f;
    c.kernelDrops = m_kernelDrops;
    c.ringDrops = m_ringDrops;
    c.links = m_links;
    c.postLagNs = m_postLagNs;
    return c;
}

void WireTap::run()
{
    platform::nameThisThread("socklab-wire");
    // On a busy machine (a flood on two cores) the window and the experiment go first: the
    // capture may fall behind, and what the kernel then drops is counted and said.
    platform::yieldThisThread(10);
    const QList<int> fds = m_fds;
    QStringList links;
    {
        QMutexLocker lock(&m_mutex);
        links = m_links;
    }
    qint64 nextDropCheck = 0;
    quint64 reportedDrops = 0;
    while (!m_stop.load()) {
        platform::waitReadable(fds, m_wakeFd, 100 * 1000000LL);
        // A sync() asked before this read is answered by it: what the kernel held then is
        // read now.
        quint64 asked = 0;
        {
            std::lock_guard<std::mutex> lock(m_syncMutex);
            asked = m_syncWanted;
        }
        const qint64 nowNs = readWaiting(fds, links);
        flushQuiet(nowNs, false);
        if (asked) {
            std::lock_guard<std::mutex> lock(m_syncMutex);
            if (asked > m_syncDone) {
                m_syncDone = asked;
                m_synced.notify_all();
            }
        }
        if (nowNs >= nextDropCheck) {
            nextDropCheck = nowNs + 1000 * 1000000LL;
            const quint64 total = countDrops(fds);
            if (total > reportedDrops) {
                Event e;
                e.kind = EventKind::Info;
                e.sock = QStringLiteral("wire");
                e.op = QStringLiteral("capture");
                e.extra.insert(QStringLiteral("dropped"), qint64(total));
                e.detail = QStringLiteral("The capture has lost %1 frame(s) in all (the kernel's "
                                          "queue for it was full, or the kept frames reached "
                                          "their limit): the wire view and a saved capture "
                                          "miss them; the sockets' own events do not.")
                               .arg(total);
                m_bus->post(e);
                reportedDrops = total;
            }
        }
    }
    // What the kernel still holds: the frames up to this moment are all in the capture, and
    // what it lost is counted.
    readWaiting(fds, links);
    countDrops(fds);
    flushQuiet(0, true);
}

QString WireTap::madeByRouter(const wire::Segment &s, const QString &link)
{
    if (s.icmpType >= 0 || s.ttl < 0 || m_near.own.isEmpty() || link != m_near.link)
        return {};
    const int family = s.family == 10 ? 1 : 0;
    if (m_near.own.contains(s.src)) {
        m_ownTtl[family] = s.ttl; // as every host of the lab sends
        return {};
    }
    if (m_ownTtl[family] < 0 || m_near.router.contains(s.src) || s.ttl < m_ownTtl[family])
        return {}; // forwarded: one hop lower at least
    for (const QString &r : m_near.router) {
        if (r.contains(u':') == (family == 1))
            return r;
    }
    return {};
}

void WireTap::sync()
{
    QMutexLocker control(&m_control); // not while the thread is started or stopped
    if (!m_thread.joinable())
        return;
    std::unique_lock<std::mutex> lock(m_syncMutex);
    const quint64 want = ++m_syncWanted;
    platform::wakeFdSignal(m_wakeFd);
    m_synced.wait_for(lock, std::chrono::milliseconds(kSyncWaitMs),
                      [&] { return m_syncDone >= want; });
}

qint64 WireTap::readWaiting(const QList<int> &fds, const QStringList &links)
{
    // The frames' timestamps are the realtime clock's; events are on the monotonic one.
    const platform::Instant at = platform::now();
    const qint64 offset = qint64(std::llround(at.wall * 1e9)) - at.monoNs;
    for (int i = 0; i < fds.size(); ++i) {
        QList<platform::Frame> frames;
        while (platform::readFrames(fds[i], &frames, 256) > 0) {
            for (platform::Frame &f : frames)
                handle(std::move(f), links[i], offset);
            frames.clear();
        }
    }
    return at.monoNs;
}

quint64 WireTap::countDrops(const QList<int> &fds)
{
    quint64 dropped = 0;
    for (int fd : fds)
        dropped += platform::captureDrops(fd);
    QMutexLocker lock(&m_mutex);
    m_kernelDrops += dropped;
    return m_kernelDrops + m_ringDrops;
}

void WireTap::flushQuiet(qint64 nowNs, bool all)
{
    for (auto it = m_quiet.begin(); it != m_quiet.end();) {
        Quiet &q = it.value();
        if (!all && nowNs - q.startNs < kWindowNs) {
            ++it;
            continue;
        }
        if (q.counted > 0) {
            Event e;
            e.kind = EventKind::Segment;
            e.monoNs = q.lastMonoNs;
            e.sock = q.sock;
            e.run = q.run;
            e.op = QStringLiteral("wire");
            e.local = q.from;
            e.remote = q.to;
            e.bytes = q.bytes;
            e.extra.insert(QStringLiteral("meaning"), QStringLiteral("more"));
            e.extra.insert(QStringLiteral("of"), q.meaning);
            e.extra.insert(QStringLiteral("count"), q.counted);
            e.extra.insert(QStringLiteral("to_sock"), q.toSock);
            const QString what = q.meaning.isEmpty()
                                     ? QStringLiteral("data segment(s) and ACK(s)")
                                     : QStringLiteral("segment(s) of kind %1").arg(q.meaning);
            e.detail = QStringLiteral("And %1 more %2 %3 -> %4 within %5 s, %6 byte(s) of data: "
                                      "each is in the capture.")
                           .arg(q.counted)
                           .arg(what, q.from, q.to)
                           .arg(kWindowNs / 1e9)
                           .arg(q.bytes);
            m_bus->post(e);
        }
        it = m_quiet.erase(it);
    }
}

void WireTap::handle(platform::Frame &&f, const QString &link, qint64 realMinusMonoNs)
{
    wire::Segment s;
    const bool parsed = wire::parseFrame(f.bytes, &s);
    const qint64 realNs = f.realNs;
    {
        QMutexLocker lock(&m_mutex);
        m_ring.push_back(std::move(f));
        if (m_ring.size() > size_t(kRingFrames)) {
            m_ring.pop_front();
            ++m_ringDrops;
        }
    }
    if (!parsed)
        return;
    m_analyzer.analyze(s);
    const QString routerMade = madeByRouter(s, link);
    const qint64 monoNs = realNs - realMinusMonoNs;
    // Named after the socket that sent it, and the one it goes to (either may be unknown:
    // a socket of no experiment, or one not in the table yet). A direction's names, once both
    // are known, do not change: they are kept, so a flood does not ask the monitor per frame.
    const QString direction = s.from() + u'>' + s.to();
    Names &names = m_names[direction];
    if (names.sender.isEmpty() || names.receiver.isEmpty()) {
        const auto look = [&] {
            const auto sender = m_monitor->socketAt(s.src, s.sport, s.dst, s.dport);
            const auto receiver = m_monitor->socketAt(s.dst, s.dport, s.src, s.sport);
            names.sender = sender.first;
            names.receiver = receiver.first;
            names.run = sender.second ? sender.second : receiver.second;
        };
        look();
        if ((names.sender.isEmpty() || names.receiver.isEmpty()) &&
            monoNs - m_lastRefreshNs > 20 * 1000000LL) {
            m_lastRefreshNs = monoNs;
            // A socket connecting now, or a program's not yet named: the table names it.
            m_monitor->refreshTable();
            look();
        }
    }
    // The router's own segment names no socket of the far host as its sender.
    const std::pair<QString, quint64> sender{routerMade.isEmpty() ? names.sender : QString(),
                                             names.run};
    const std::pair<QString, quint64> receiver{names.receiver, names.run};
    // A connection's SYN, FIN and RST are always shown; what repeats (data, ACKs, zero
    // windows, duplicate ACKs, retransmissions in a flood) at most kShownPerWindow a second of
    // each kind and direction.
    const bool always = s.meaning == QLatin1String("syn") ||
                        s.meaning == QLatin1String("syn_ack") ||
                        s.meaning == QLatin1String("fin") || s.meaning == QLatin1String("rst") ||
                        s.meaning == QLatin1String("unreachable");
    if (!always) {
        const QString key = direction + u'|' + s.meaning;
        Quiet &q = m_quiet[key];
        if (q.startNs == 0 || monoNs - q.startNs >= kWindowNs) {
            if (q.counted > 0)
                flushQuiet(monoNs, false);
            Quiet &fresh = m_quiet[key];
            fresh = Quiet{};
            fresh.startNs = monoNs;
            fresh.meaning = s.meaning;
        }
        Quiet &w = m_quiet[key];
        if (w.shown >= kShownPerWindow) {
            ++w.counted;
            w.bytes += s.payload;
            w.lastMonoNs = monoNs;
            w.sock = sender.first.isEmpty() ? QStringLiteral("?") : sender.first;
            w.toSock = receiver.first;
            w.run = sender.second ? sender.second : receiver.second;
            w.from = s.from();
            w.to = s.to();
            return;
        }
        ++w.shown;
    }
    Event e;
    e.kind = EventKind::Segment;
    e.monoNs = monoNs;
    e.wall = realNs / 1e9;
    e.sock = sender.first.isEmpty() ? QStringLiteral("?") : sender.first;
    e.run = names.run;
    e.op = QStringLiteral("wire");
    e.local = s.from();
    e.remote = s.to();
    e.bytes = s.payload;
    e.probe = s.number;
    e.detail = s.sentence();
    if (!routerMade.isEmpty()) {
        e.extra.insert(QStringLiteral("made_by"), routerMade);
        e.detail += QStringLiteral(" Made by the router (%1) in %2's name, not sent by it: it "
                                   "arrived with TTL %3, as the router's own segments do, where "
                                   "one from %2 arrives one hop lower.")
                        .arg(routerMade, s.src)
                        .arg(s.ttl);
    }
    e.extra.insert(QStringLiteral("flags"), s.flagText());
    e.extra.insert(QStringLiteral("seq"), qint64(s.relSeq));
    e.extra.insert(QStringLiteral("ack"), qint64(s.relAck));
    e.extra.insert(QStringLiteral("win"), qint64(s.window));
    e.extra.insert(QStringLiteral("meaning"), s.meaning);
    e.extra.insert(QStringLiteral("to_sock"), receiver.first);
    e.extra.insert(QStringLiteral("link"), link);
    if (s.icmpType >= 0)
        e.extra.insert(QStringLiteral("from_host"), s.reporter); // who sent the ICMP error
    m_bus->post(e);
    const qint64 lag = platform::monotonicNs() - monoNs;
    QMutexLocker lock(&m_mutex);
    if (m_postLagNs.size() >= 4096)
        m_postLagNs.removeFirst();
    m_postLagNs << lag;
}

} // namespace socklab
