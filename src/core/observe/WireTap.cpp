#include "WireTap.h"

#include "ErrnoText.h"
#include "EventBus.h"
#include "Monitor.h"
#include "Platform.h"

#include <QHostAddress>
#include <QJsonObject>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <limits>

namespace socklab {

WireTap::WireTap(EventBus *bus, Monitor *monitor) : m_bus(bus), m_monitor(monitor) {}

WireTap::~WireTap()
{
    stop();
}

int WireTap::start(const QList<Point> &points, const QStringList &router, QString *why)
{
    QMutexLocker control(&m_control);
    stopLocked();
    m_points = points;
    m_router = router;
    m_owner.clear();
    m_rawOwner.clear();
    for (qsizetype i = points.size() - 1; i >= 0; --i) {
        for (const QString &a : points[i].own)
            m_owner.insert(a, int(i)); // the first point of a host that names it
    }
    for (auto it = m_owner.cbegin(); it != m_owner.cend(); ++it) {
        const QHostAddress a(it.key());
        RawOwner o;
        o.point = it.value();
        if (a.protocol() == QAbstractSocket::IPv4Protocol) {
            o.family = 2;
            const quint32 v = a.toIPv4Address();
            const quint8 be[4] = {quint8(v >> 24), quint8(v >> 16), quint8(v >> 8), quint8(v)};
            std::copy(be, be + 4, o.address.begin());
        } else if (a.protocol() == QAbstractSocket::IPv6Protocol) {
            o.family = 10;
            const Q_IPV6ADDR v = a.toIPv6Address();
            std::copy(v.c, v.c + 16, o.address.begin());
        } else {
            continue;
        }
        m_rawOwner.push_back(o);
    }
    m_ownTtl = QList<int>(2 * points.size(), -1);
    {
        QMutexLocker lock(&m_mutex);
        m_ring.clear();
        m_postLagNs.clear();
        m_kernelDrops = m_ringDrops = 0;
        m_links.clear();
    }
    m_analyzer.clear();
    m_quiet.clear();
    m_quietLost.clear();
    m_nextQuietScanNs = 0;
    m_nextQuietLostNs = 0;
    m_judgedLost.clear();
    m_nextJudgedPruneNs = 0;
    m_names.clear();
    m_pending.clear();
    m_departures.clear();
    m_flowDepartures.clear();
    m_held.clear();
    m_lastDropNs = -1;
    m_framesKept = 0;
    for (const Point &point : points) {
        const int fd = point.net->captureSocket(point.ifname);
        const bool loopback = point.ifname == QLatin1String("lo");
        const int err =
            fd < 0 ? errno : platform::prepareCapture(fd, kSnapLen, kKernelQueueBytes, loopback);
        if (err) {
            if (fd >= 0)
                platform::closeFd(fd);
            stopLocked();
            if (why)
                *why = QStringLiteral("The wire of the %1's %2 cannot be captured: %3.")
                           .arg(point.host, point.ifname,
                                explainErrno(err, QStringLiteral("capture")));
            return err;
        }
        m_fds << fd;
        QMutexLocker lock(&m_mutex);
        m_links << point.host + u' ' + point.ifname;
    }
    m_wakeFd = platform::wakeFdCreate();
    m_stop.store(false);
    // From now on the bus waits for the wire: it has posted all it observed before now
    // (nothing), and what others observe after this may follow a frame it has yet to read.
    m_bus->advanceLateWatermark(platform::monotonicNs());
    m_probeHints.clear();
    m_thread = std::thread([this] { run(); });
    // A drain holding events for the wire wakes it, so that it reads and says how far it has
    // come at once, not at its next frame or its 100 ms round.
    m_bus->setLateProducer([this] { platform::wakeFdSignal(m_wakeFd); });
    m_monitor->setWireHints(true);
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
        m_bus->setLateProducer({}); // before its wake-up descriptor is closed
        m_monitor->setWireHints(false);
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
    for (size_t i = 0; i < m_ring.size(); ++i)
        c.frames << m_ring[i];
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
    qint64 nextDropCheck = 0;
    quint64 reportedDrops = 0;
    while (!m_stop.load()) {
        // Until the next verdict is due; at once while an arrival waits for its departure.
        qint64 waitNs = 100 * 1000000LL;
        if (!m_held.empty())
            waitNs = 0;
        else if (!m_pending.empty())
            waitNs = std::clamp(m_pending.front().monoNs + lostAfterNs() - platform::monotonicNs(),
                                qint64(0), waitNs);
        platform::waitReadable(m_fds, m_wakeFd, waitNs);
        // A sync() asked before this read is answered by it: what the kernel held then is
        // read now.
        quint64 asked = 0;
        qint64 askedAtNs = 0;
        bool verdicts = false;
        {
            std::lock_guard<std::mutex> lock(m_syncMutex);
            asked = m_syncWanted;
            askedAtNs = m_syncAtNs;
            verdicts = m_syncVerdicts;
        }
        const qint64 nowNs = readWaiting();
        if (!m_probeHints.isEmpty()) {
            m_monitor->wireSaw(m_probeHints);
            m_probeHints.clear();
        }
        flushQuiet(nowNs, false);
        if (nowNs >= nextDropCheck ||
            (!m_pending.empty() && nowNs - m_pending.front().monoNs >= lostAfterNs())) {
            const bool periodic = nowNs >= nextDropCheck;
            const quint64 total = countDrops(nowNs);
            if (periodic) {
                nextDropCheck = nowNs + 1000 * 1000000LL;
                if (total > reportedDrops) {
                    Event e;
                    e.kind = EventKind::Info;
                    e.sock = QStringLiteral("wire");
                    e.op = QStringLiteral("capture");
                    e.extra.insert(QStringLiteral("dropped"), qint64(total));
                    e.detail =
                        QStringLiteral("The capture has lost %1 frame(s) in all (the kernel's "
                                       "queue for it was full, or the kept frames reached their "
                                       "limit): the wire view and a saved capture miss them, and "
                                       "no segment sent meanwhile is called lost; the sockets' "
                                       "own events do not miss anything.")
                            .arg(total);
                    send(std::move(e));
                    reportedDrops = total;
                }
            }
        }
        judgeArrivals(nowNs);
        flushOutbox();
        m_bus->advanceLateWatermark(m_postedUntilNs);
        // Answered once all that was observed before the request is posted (arrivals held for
        // their departures are later ones), and, with verdicts, each segment that left before
        // it is judged; the counts of those lost unshown go with them.
        if (asked && m_postedUntilNs >= askedAtNs && (!verdicts || judgedUntil(askedAtNs))) {
            if (verdicts)
                flushQuietLost(0, true);
            std::lock_guard<std::mutex> lock(m_syncMutex);
            if (asked > m_syncDone) {
                m_syncDone = asked;
                m_synced.notify_all();
            }
        }
    }
    // What the kernel still holds: the frames up to this moment are all in the capture, and
    // what it lost is counted. What has not arrived yet gets no verdict: nobody watches now.
    readWaiting();
    std::vector<Seen> held;
    held.swap(m_held);
    const platform::Instant at = platform::now();
    for (Seen &x : held)
        handleSeen(x, qint64(std::llround(at.wall * 1e9)) - at.monoNs, false);
    countDrops(at.monoNs);
    flushQuiet(0, true);
    flushQuietLost(0, true);
    flushOutbox();
    m_bus->advanceLateWatermark(-1); // no late producer any more: the bus's window for all
    m_pending.clear();
    m_departures.clear();
    m_flowDepartures.clear();
}

QString WireTap::madeByRouter(const wire::Segment &s, int point)
{
    const Point &at = m_points[point];
    if (s.icmpType >= 0 || s.ttl < 0 || at.own.isEmpty())
        return {};
    const int family = s.family == 10 ? 1 : 0;
    int &ownTtl = m_ownTtl[2 * point + family];
    if (pointOwning(s.src) == point) {
        ownTtl = s.ttl; // as every host of the lab sends
        return {};
    }
    if (ownTtl < 0 || m_router.contains(s.src) || s.ttl < ownTtl)
        return {}; // forwarded: one hop lower at least
    for (const QString &r : m_router) {
        if (r.contains(u':') == (family == 1))
            return r;
    }
    return {};
}

int WireTap::pointOwning(const QString &address) const
{
    return m_owner.value(address, -1);
}

int WireTap::pointOwning(const wire::RawTcp &r, bool source) const
{
    const std::array<quint8, 16> &a = source ? r.src : r.dst;
    for (const RawOwner &o : m_rawOwner) {
        if (o.family == r.family &&
            std::equal(a.begin(), a.begin() + r.addressBytes(), o.address.begin()))
            return o.point;
    }
    return -1;
}

void WireTap::sync(bool verdicts)
{
    QMutexLocker control(&m_control); // not while the thread is started or stopped
    if (!m_thread.joinable())
        return;
    std::unique_lock<std::mutex> lock(m_syncMutex);
    const quint64 want = ++m_syncWanted;
    m_syncAtNs = platform::monotonicNs();
    m_syncVerdicts = verdicts;
    platform::wakeFdSignal(m_wakeFd);
    m_synced.wait_for(lock, std::chrono::milliseconds(kSyncWaitMs),
                      [&] { return m_syncDone >= want; });
}

qint64 WireTap::readWaiting()
{
    // The frames' timestamps are the realtime clock's; events are on the monotonic one.
    const platform::Instant at = platform::now();
    const qint64 offset = qint64(std::llround(at.wall * 1e9)) - at.monoNs;
    // Every point's frames, in the kernel's time order: a segment's departure (its sender's
    // link) before its arrival (the other's), whichever socket was read first.
    std::vector<Seen> &batch = m_readBatch;
    batch.clear();
    for (int i = 0; i < m_fds.size(); ++i) {
        QList<platform::Frame> &frames = m_readFrames;
        frames.clear(); // keeps its capacity
        frames.reserve(256);
        while (platform::readFrames(m_fds[i], &frames, 256) > 0) {
            for (platform::Frame &f : frames)
                batch.push_back(Seen{std::move(f), i});
            frames.clear();
        }
    }
    // Sorted by reference (a frame is large), equal times in the order read.
    m_readOrder.clear();
    for (size_t i = 0; i < batch.size(); ++i)
        m_readOrder.push_back({batch[i].frame.realNs, i});
    std::sort(m_readOrder.begin(), m_readOrder.end());
    // An arrival read before its departure (the departure's socket was read first, before it
    // left) waits for this read: the departure was queued before the arrival was, so it has
    // been read now.
    std::vector<Seen> held;
    held.swap(m_held);
    for (const auto &[realNs, i] : m_readOrder) {
        handleSeen(batch[i], offset, true);
        flushOutboxIfHeld();
    }
    for (Seen &x : held)
        handleSeen(x, offset, false);
    // Everything observed before the read is posted now, but for the arrivals still held.
    m_postedUntilNs = at.monoNs;
    for (const Seen &x : m_held)
        m_postedUntilNs = std::min(m_postedUntilNs, x.frame.realNs - offset - 1);
    return at.monoNs;
}

WireTap::Key WireTap::keyOf(const wire::RawTcp &r)
{
    Key k;
    k.hash = qHashMulti(flowOf(r), r.flags, r.payload, r.window);
    k.seq = r.seq;
    k.ack = r.ack;
    return k;
}

size_t WireTap::flowOf(const wire::RawTcp &r)
{
    return qHash(r.flow());
}

bool WireTap::handleSeen(Seen &x, qint64 realMinusMonoNs, bool hold)
{
    // Read as bytes first: half the frames are arrivals, which need no text at all.
    wire::RawTcp s;
    const bool tcp = wire::peekTcp(x.frame.bytes(), &s);
    const Point &at = m_points[x.point];
    // An arrival: a segment from another watched host, seen here after it left there.
    const int owner = tcp ? pointOwning(s, true) : -1;
    if (tcp && !at.own.isEmpty() && owner >= 0 && owner != x.point) {
        const auto it = m_departures.find(keyOf(s));
        if (it != m_departures.end()) {
            const qint64 monoNs = x.frame.realNs - realMinusMonoNs;
            // The latest to leave before it (a segment sent again is the same segment: the
            // first copy may be the one that was lost).
            for (qsizetype i = it->size() - 1; i >= 0; --i) {
                const quint64 serial = it->at(i);
                Pending &p = m_pending[size_t(serial - m_pending.front().serial)];
                if (p.to != x.point || p.monoNs > monoNs + 1000000)
                    continue;
                p.done = true;
                it->removeAt(i);
                if (it->isEmpty())
                    m_departures.erase(it);
                return true;
            }
        }
        // A piece of a segment with data that left whole.
        if (s.payload > 0) {
            if (const auto flow = m_flowDepartures.constFind(flowOf(s));
                flow != m_flowDepartures.cend()) {
                const qint64 monoNs = x.frame.realNs - realMinusMonoNs;
                for (qsizetype i = flow->size() - 1; i >= 0; --i) {
                    Pending &p = m_pending[size_t(flow->at(i) - m_pending.front().serial)];
                    if (p.to != x.point || p.monoNs > monoNs + 1000000 || p.key.ack != s.ack ||
                        quint32(s.seq - p.key.seq) >= quint32(p.payload))
                        continue;
                    // Arrived once all its pieces have (a queue may drop some of them).
                    p.arrived += s.payload;
                    if (!p.done && p.arrived >= p.payload) {
                        p.done = true;
                        const auto exact = m_departures.find(p.key);
                        if (exact != m_departures.end()) {
                            exact->removeOne(p.serial);
                            if (exact->isEmpty())
                                m_departures.erase(exact);
                        }
                    }
                    return true;
                }
            }
        }
        // Called lost, and here after all.
        if (const auto late = m_judgedLost.constFind(keyOf(s));
            late != m_judgedLost.cend() && late->sent.to == x.point) {
            if (late->sent.shown)
                postLate(late->sent, x.frame.realNs - realMinusMonoNs);
            m_judgedLost.erase(late);
            return true;
        }
        if (hold) {
            m_held.push_back(std::move(x));
            return false;
        }
    }
    wire::Segment parsed;
    const bool ok = wire::parseFrame(x.frame.bytes(), &parsed, &m_addressTexts);
    firstSighting(std::move(x.frame), ok ? &parsed : nullptr, tcp ? &s : nullptr, x.point,
                  realMinusMonoNs);
    return true;
}

void WireTap::judgeArrivals(qint64 nowNs)
{
    while (!m_pending.empty()) {
        const Pending &p = m_pending.front();
        if (!p.done) {
            if (nowNs - p.monoNs < lostAfterNs())
                break;
            const auto it = m_departures.find(p.key);
            if (it != m_departures.end()) {
                it->removeOne(p.serial);
                if (it->isEmpty())
                    m_departures.erase(it);
            }
            // Where the capture itself lost frames meanwhile, its arrival may be among them:
            // no verdict then.
            if (m_lastDropNs < p.monoNs) {
                m_judgedLost[p.key] = Judged{p, nowNs};
                if (p.shown) {
                    postLost(p, nowNs);
                } else {
                    const QString direction = p.from + u'>' + p.toAddr;
                    Quiet &q = m_quietLost[direction];
                    if (q.counted == 0) {
                        m_nextQuietLostNs = std::min(m_nextQuietLostNs, nowNs + kWindowNs);
                        q.startNs = nowNs;
                        q.sock = p.sock;
                        q.toSock = p.toSock;
                        q.from = p.from;
                        q.to = p.toAddr;
                        q.run = p.run;
                    }
                    ++q.counted;
                    q.lastMonoNs = nowNs;
                }
            }
        }
        if (p.payload > 0) {
            const auto flow = m_flowDepartures.find(p.flow);
            if (flow != m_flowDepartures.end()) {
                flow->removeOne(p.serial);
                if (flow->isEmpty())
                    m_flowDepartures.erase(flow);
            }
        }
        m_pending.pop_front();
    }
    flushQuietLost(nowNs, false);
    if (nowNs >= m_nextJudgedPruneNs) {
        m_nextJudgedPruneNs = nowNs + 1000000000LL;
        for (auto it = m_judgedLost.begin(); it != m_judgedLost.end();)
            it = nowNs - it->judgedNs > kJudgedKeptNs ? m_judgedLost.erase(it) : std::next(it);
    }
}

Event WireTap::wireVerdict(const Pending &p, EventKind kind, qint64 atNs) const
{
    Event e;
    e.kind = kind;
    e.monoNs = atNs;
    e.sock = p.sock.isEmpty() ? QStringLiteral("?") : p.sock;
    e.run = p.run;
    e.op = QStringLiteral("wire");
    e.local = p.from;
    e.remote = p.toAddr;
    e.elapsed = (atNs - p.monoNs) / 1e9;
    e.extra.insert(QStringLiteral("frame"), qint64(p.frame));
    e.extra.insert(QStringLiteral("host"), m_points[p.fromPoint].host);
    e.extra.insert(QStringLiteral("to_host"), m_points[p.to].host);
    return e;
}

void WireTap::postLate(const Pending &p, qint64 arrivedNs)
{
    const Point &from = m_points[p.fromPoint];
    const Point &to = m_points[p.to];
    Event e = wireVerdict(p, EventKind::Info, arrivedNs);
    e.extra.insert(QStringLiteral("late"), true);
    e.detail = QStringLiteral("Arrived late after all: the segment %1 -> %2 (frame %3) reached the "
                              "%4's %5 %6 s after it left the %7's %8, after it had been called "
                              "lost: a queue on the way held it longer than the capture waited.")
                   .arg(p.from, p.toAddr)
                   .arg(p.frame)
                   .arg(to.host, to.ifname)
                   .arg((arrivedNs - p.monoNs) / 1e9, 0, 'f', 3)
                   .arg(from.host, from.ifname);
    send(std::move(e));
}

void WireTap::flushQuietLost(qint64 nowNs, bool all)
{
    if (m_quietLost.isEmpty() || (!all && nowNs < m_nextQuietLostNs))
        return;
    qint64 next = std::numeric_limits<qint64>::max();
    for (auto it = m_quietLost.begin(); it != m_quietLost.end();) {
        const Quiet &q = it.value();
        if (!all && nowNs - q.startNs < kWindowNs) {
            next = std::min(next, q.startNs + kWindowNs);
            ++it;
            continue;
        }
        Event e;
        e.kind = EventKind::Lost;
        e.monoNs = q.lastMonoNs;
        e.sock = q.sock.isEmpty() ? QStringLiteral("?") : q.sock;
        e.run = q.run;
        e.op = QStringLiteral("wire");
        e.local = q.from;
        e.remote = q.to;
        e.extra.insert(QStringLiteral("meaning"), QStringLiteral("more"));
        e.extra.insert(QStringLiteral("count"), q.counted);
        e.extra.insert(QStringLiteral("to_sock"), q.toSock);
        e.detail = QStringLiteral("And %1 more segment(s) %2 -> %3 not seen arriving within %4 "
                                  "s: each is in the capture.")
                       .arg(q.counted)
                       .arg(q.from, q.to)
                       .arg(lostAfterNs() / 1e9);
        send(std::move(e));
        it = m_quietLost.erase(it);
    }
    m_nextQuietLostNs = next;
}

bool WireTap::judgedUntil(qint64 atNs) const
{
    // Not in time order across reads (one read's server departures may be later than the next
    // read's client ones): all of them are looked at.
    for (size_t i = 0; i < m_pending.size(); ++i) {
        const Pending &p = m_pending[i];
        if (!p.done && p.monoNs <= atNs)
            return false;
    }
    return true;
}

void WireTap::postLost(const Pending &p, qint64 nowNs)
{
    const Point &from = m_points[p.fromPoint];
    const Point &to = m_points[p.to];
    Event e = wireVerdict(p, EventKind::Lost, nowNs);
    e.probe = p.number;
    e.extra.insert(QStringLiteral("meaning"), p.meaning);
    e.extra.insert(QStringLiteral("flags"), p.flags);
    e.extra.insert(QStringLiteral("to_sock"), p.toSock);
    static const QHash<QString, QString> names{
        {QStringLiteral("syn"), QStringLiteral("SYN")},
        {QStringLiteral("syn_ack"), QStringLiteral("SYN-ACK")},
        {QStringLiteral("fin"), QStringLiteral("FIN")},
        {QStringLiteral("rst"), QStringLiteral("RST")}};
    const QString what = QStringLiteral("%1 [%2]").arg(
        p.meaning.isEmpty() ? QStringLiteral("segment")
                            : names.value(p.meaning, QString(p.meaning).replace(u'_', u' ')),
        p.flags);
    e.bytes = p.payload - p.arrived;
    e.detail = QStringLiteral("Lost on the way: the %1 %2 -> %3 (frame %4) left the %5's %6 but "
                              "was not seen on the %7's %8 within %9 s. Something between "
                              "dropped it: a pulled cable, a firewall, loss at the router, a "
                              "full queue.")
                   .arg(what, p.from, p.toAddr)
                   .arg(p.frame)
                   .arg(from.host, from.ifname, to.host, to.ifname)
                   .arg(lostAfterNs() / 1e9);
    if (p.arrived > 0)
        e.detail += QStringLiteral(" A queue on the way cut its %1 bytes in pieces: %2 of them "
                                   "arrived, %3 did not.")
                        .arg(p.payload)
                        .arg(p.arrived)
                        .arg(p.payload - p.arrived);
    send(std::move(e));
}

quint64 WireTap::countDrops(qint64 nowNs)
{
    quint64 dropped = 0;
    for (int fd : std::as_const(m_fds))
        dropped += platform::captureDrops(fd);
    if (dropped > 0)
        m_lastDropNs = nowNs;
    QMutexLocker lock(&m_mutex);
    m_kernelDrops += dropped;
    return m_kernelDrops + m_ringDrops;
}

void WireTap::flushQuiet(qint64 nowNs, bool all)
{
    // A thousand connections keep thousands of counts: looked through at most every
    // kQuietScanNs (a count is said up to that late), not at every frame.
    if (!all && nowNs < m_nextQuietScanNs)
        return;
    qint64 next = std::numeric_limits<qint64>::max();
    for (auto it = m_quiet.begin(); it != m_quiet.end();) {
        const Quiet &q = it.value();
        if (!all && nowNs - q.startNs < kWindowNs) {
            next = std::min(next, q.startNs + kWindowNs);
            ++it;
            continue;
        }
        postQuiet(q);
        it = m_quiet.erase(it);
    }
    m_nextQuietScanNs = std::max(next, nowNs + kQuietScanNs);
}

void WireTap::postQuiet(const Quiet &q)
{
    if (q.counted == 0)
        return;
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
    send(std::move(e));
}

void WireTap::firstSighting(platform::Frame &&f, wire::Segment *parsed, const wire::RawTcp *raw,
                            int point, qint64 realMinusMonoNs)
{
    const qint64 realNs = f.realNs;
    const quint64 frame = ++m_framesKept; // its number in a saved capture (Wireshark's)
    {
        QMutexLocker lock(&m_mutex);
        if (m_ring.size() == size_t(kRingFrames)) {
            m_ring.pop_front();
            ++m_ringDrops;
        }
        m_ring.push_back(std::move(f));
    }
    if (!parsed)
        return;
    wire::Segment &s = *parsed;
    m_analyzer.analyze(s);
    const Point &at = m_points[point];
    const QString routerMade = madeByRouter(s, point);
    const qint64 monoNs = realNs - realMinusMonoNs;
    // Named after the socket that sent it, and the one it goes to (either may be unknown:
    // a socket of no experiment, or one not in the table yet). A direction's names, once both
    // are known, do not change: they are kept, so a flood does not ask the monitor per frame.
    const wire::FlowKey &direction = s.flow;
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
    if (names.fromText.isEmpty()) {
        names.fromText = s.from();
        names.toText = s.to();
    }
    s.fromText = names.fromText;
    s.toText = names.toText;
    // The router's own segment names no socket of the far host as its sender.
    const std::pair<QString, quint64> sender{routerMade.isEmpty() ? names.sender : QString(),
                                             names.run};
    const std::pair<QString, quint64> receiver{names.receiver, names.run};
    // A probe, its answer or a reset: the monitor reads those sockets' counters now (after the
    // batch), rather than densely around every expected probe.
    if (s.meaning == QLatin1String("keepalive_probe") ||
        s.meaning == QLatin1String("keepalive_ack") || s.meaning == QLatin1String("rst")) {
        for (const QString &name : {names.sender, names.receiver}) {
            if (!name.isEmpty())
                m_probeHints << name;
        }
    }
    // A segment leaving for another watched host: looked for on that host's link.
    Pending *leaving = nullptr;
    if (raw && !at.own.isEmpty() && pointOwning(*raw, true) == point) {
        const int to = pointOwning(*raw, false);
        if (to >= 0 && to != point) {
            Pending p;
            p.serial = m_pendingSerial++;
            p.monoNs = monoNs;
            p.key = keyOf(*raw); // as the far link sees it
            p.to = to;
            p.fromPoint = point;
            p.frame = frame;
            p.run = names.run;
            p.sock = sender.first;
            p.toSock = receiver.first;
            p.from = s.from();
            p.toAddr = s.to();
            p.payload = s.payload;
            m_departures[p.key] << p.serial;
            if (s.payload > 0) {
                p.flow = flowOf(*raw);
                m_flowDepartures[p.flow] << p.serial;
            }
            m_pending.push_back(std::move(p));
            leaving = &m_pending.back();
        }
    }
    // A connection's SYN, FIN and RST are always shown; what repeats (data, ACKs, zero
    // windows, duplicate ACKs, retransmissions in a flood) at most kShownPerWindow a second of
    // each kind and direction.
    const bool always = s.meaning == QLatin1String("syn") ||
                        s.meaning == QLatin1String("syn_ack") ||
                        s.meaning == QLatin1String("fin") || s.meaning == QLatin1String("rst") ||
                        s.meaning == QLatin1String("unreachable");
    if (!always) {
        const QuietKey key{direction, s.meaning};
        Quiet &q = m_quiet[key];
        if (q.startNs == 0 || monoNs - q.startNs >= kWindowNs) {
            postQuiet(q); // what this kind and direction counted in its last window
            q = Quiet{};
            q.startNs = monoNs;
            q.meaning = s.meaning;
            m_nextQuietScanNs = std::min(m_nextQuietScanNs, monoNs + kWindowNs);
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
    if (leaving) {
        leaving->shown = true;
        leaving->meaning = s.meaning;
        leaving->flags = s.flagText();
        leaving->number = s.number;
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
    // Every segment's fields. Those of a direction's last event are copied when only the
    // numbers differ: setting numbers in a copy costs a tenth of making the object.
    const int toPoint = leaving ? leaving->to : -1;
    const int flagsCode = s.icmpType >= 0 ? 0x100 : s.flags; // an ICMP error has its own text
    if (names.fieldsPoint != point || names.fieldsTo != toPoint || names.fieldsFlags != flagsCode ||
        names.fieldsMeaning != s.meaning || names.fieldsReceiver != receiver.first ||
        names.fields.isEmpty()) {
        names.fields = QJsonObject{
            {QLatin1String("flags"), s.flagText()}, {QLatin1String("seq"), qint64(0)},
            {QLatin1String("ack"), qint64(0)},      {QLatin1String("win"), qint64(0)},
            {QLatin1String("meaning"), s.meaning},  {QLatin1String("to_sock"), receiver.first},
            {QLatin1String("link"), at.ifname},     {QLatin1String("host"), at.host},
            {QLatin1String("frame"), qint64(0)}};
        if (leaving) {
            names.fields.insert(QLatin1String("to_host"), m_points[toPoint].host);
            names.fields.insert(QLatin1String("judged_after"), 0.0);
        }
        names.fieldsPoint = point;
        names.fieldsTo = toPoint;
        names.fieldsFlags = flagsCode;
        names.fieldsMeaning = s.meaning;
        names.fieldsReceiver = receiver.first;
    }
    QJsonObject fields = names.fields;
    fields[QLatin1String("seq")] = qint64(s.relSeq);
    fields[QLatin1String("ack")] = qint64(s.relAck);
    fields[QLatin1String("win")] = qint64(s.window);
    fields[QLatin1String("frame")] = qint64(frame);
    if (leaving)
        fields[QLatin1String("judged_after")] = lostAfterNs() / 1e9;
    for (auto it = e.extra.constBegin(); it != e.extra.constEnd(); ++it)
        fields.insert(it.key(), it.value()); // made_by
    e.extra = std::move(fields);
    if (s.icmpType >= 0)
        e.extra.insert(QStringLiteral("from_host"), s.reporter); // who sent the ICMP error
    m_outboxFrameNs << monoNs;
    send(std::move(e));
}

void WireTap::send(Event &&e)
{
    if (m_outbox.isEmpty())
        m_outboxSinceNs = platform::monotonicNs();
    m_outbox.append(std::move(e));
    if (m_outbox.size() >= kOutboxEvents)
        flushOutbox();
}

void WireTap::flushOutboxIfHeld()
{
    if (!m_outbox.isEmpty() && platform::monotonicNs() - m_outboxSinceNs >= kOutboxHoldNs)
        flushOutbox();
}

void WireTap::flushOutbox()
{
    if (m_outbox.isEmpty())
        return;
    m_bus->post(std::move(m_outbox));
    // Each frame's segment event: how long after the frame it went to the bus.
    const qint64 postedNs = platform::monotonicNs();
    QMutexLocker lock(&m_mutex);
    for (const qint64 frameNs : std::as_const(m_outboxFrameNs)) {
        if (m_postLagNs.size() >= 4096)
            m_postLagNs.removeFirst();
        m_postLagNs << postedNs - frameNs;
    }
    m_outboxFrameNs.clear();
}

} // namespace socklab
