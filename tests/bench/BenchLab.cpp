// Item 6: the lab. Making and tearing down a lab (platform::Lab: the helper, its user and three
// network namespaces, links, addresses, routes), side by side with the reference a shell user
// would type (`unshare -Urn` running `ip` for one namespace with one veth pair and one
// address); a segment event's delay from the frame's kernel timestamp to its delivery on the
// consumer's thread; and the flood peer at full speed in the lab with the wire captured and
// without (Engine::stopCapture), with what the capture lost.
#include "Bench.h"

#include "Engine.h"
#include "Lab.h"

#include <QCoreApplication>
#include <QProcess>

#include <memory>

namespace bench {

namespace {
using socklab::Engine;
using socklab::Event;
using socklab::EventKind;
using socklab::Step;

// An engine in a new lab, once the lab is made (false if it could not be).
bool labReady(Engine &engine, QString *why)
{
    bool done = false, lab = false;
    QObject::connect(&engine, &Engine::networkChanged,
                     [&](bool inLab, const QString &, const QString &refusal) {
                         done = true;
                         lab = inLab;
                         *why = refusal;
                     });
    return waitUntil([&] { return done; }, 10000) && lab;
}

Step peerStep(socklab::PeerBehavior b)
{
    Step s = Step::make(Step::Kind::StartPeer);
    s.peer.behavior = b;
    return s;
}

Step connectToPeer()
{
    Step s = Step::make(Step::Kind::Connect, QStringLiteral("c1"));
    s.toPeer = true;
    return s;
}

// The flood peer's bytes received by c1 in `seconds`, with or without the capture; the
// capture's losses in *lost.
double floodMBps(bool capture, double seconds, qint64 *lost, QString *why)
{
    Engine engine(nullptr, nullptr, Engine::Network::Lab);
    if (!labReady(engine, why))
        return -1;
    if (!capture)
        engine.stopCapture();
    qint64 bytes = 0;
    bool finished = false;
    qint64 firstNs = 0, lastNs = 0;
    QObject::connect(engine.bus(), &socklab::EventBus::eventsReady, [&](const QList<Event> &batch) {
        for (const Event &e : batch) {
            if (e.kind == EventKind::Received && e.sock == QLatin1String("c1")) {
                bytes += qMax<qint64>(e.bytes, 0);
                if (!firstNs)
                    firstNs = e.monoNs;
                lastNs = e.monoNs;
            }
            finished = finished || e.kind == EventKind::Finished;
        }
    });
    Step recv = Step::make(Step::Kind::RecvFor, QStringLiteral("c1"));
    recv.seconds = seconds;
    recv.maxBytes = 1 << 20;
    engine.run({peerStep(socklab::PeerBehavior::Flood), connectToPeer(), recv,
                Step::make(Step::Kind::CloseAll), Step::make(Step::Kind::StopPeer)});
    waitUntil([&] { return finished; }, int(seconds * 1000) + 20000);
    const socklab::WireTap::Capture cap = engine.capture();
    *lost = qint64(cap.kernelDrops + cap.ringDrops);
    const double span = (lastNs - firstNs) / 1e9;
    return span > 0 ? bytes / span / 1e6 : 0;
}
} // namespace

void runLab(const Context &c, Result *r)
{
    const int rounds = c.smoke ? 2 : 20;
    std::vector<double> setup, teardown, reference;
    for (int i = 0; i < rounds; ++i) {
        QString why;
        const qint64 t0 = nowNs();
        auto lab = socklab::platform::Lab::create(&why);
        const qint64 t1 = nowNs();
        if (!lab) {
            r->fail(why);
            return;
        }
        lab.reset(); // the helper ends; this process waits for it
        const qint64 t2 = nowNs();
        setup.push_back((t1 - t0) / 1e6);
        teardown.push_back((t2 - t1) / 1e6);
    }
    const QString unshare = findTool(QStringLiteral("unshare"));
    const QString ip = findTool(QStringLiteral("ip"));
    if (!unshare.isEmpty() && !ip.isEmpty()) {
        const QString script =
            QStringLiteral("%1 link set lo up && %1 link add eth0 type veth peer name eth1 && "
                           "%1 addr add 192.0.2.1/24 dev eth0 && %1 link set eth0 up && "
                           "%1 link set eth1 up")
                .arg(ip);
        for (int i = 0; i < rounds; ++i) {
            QProcess p;
            const qint64 t0 = nowNs();
            p.start(unshare,
                    {QStringLiteral("-Urn"), QStringLiteral("sh"), QStringLiteral("-c"), script});
            if (!p.waitForFinished(10000) || p.exitCode() != 0) {
                r->notes << QStringLiteral("The reference failed: %1")
                                .arg(QString::fromLocal8Bit(p.readAllStandardError()).trimmed());
                break;
            }
            reference.push_back((nowNs() - t0) / 1e6);
        }
    } else {
        r->notes << QStringLiteral("unshare or ip is missing: no reference.");
    }
    r->metrics.insert(QStringLiteral("setup_ms_median"), median(setup));
    r->metrics.insert(QStringLiteral("setup_ms_max"), maxOf(setup));
    r->metrics.insert(QStringLiteral("teardown_ms_median"), median(teardown));
    r->metrics.insert(QStringLiteral("teardown_ms_max"), maxOf(teardown));
    if (!reference.empty()) {
        r->metrics.insert(QStringLiteral("reference_ms_median"), median(reference));
        r->metrics.insert(QStringLiteral("reference_ms_max"), maxOf(reference));
    }
    r->samples.insert(QStringLiteral("setup"), toJsonArray(setup));

    // Delivery: 100 echo round trips 10 ms apart (about 400 segments, below the per-direction
    // limit of events a tenth of a second), each segment event's delay from its frame.
    {
        Engine engine(nullptr, nullptr, Engine::Network::Lab);
        QString why;
        if (!labReady(engine, &why)) {
            r->fail(QStringLiteral("no lab: ") + why);
            return;
        }
        std::vector<double> delays;
        bool finished = false;
        QObject::connect(engine.bus(), &socklab::EventBus::eventsReady,
                         [&](const QList<Event> &batch) {
                             const qint64 now = nowNs();
                             for (const Event &e : batch) {
                                 if (e.kind == EventKind::Segment &&
                                     e.extra.value(QStringLiteral("meaning")).toString() !=
                                         QLatin1String("more"))
                                     delays.push_back((now - e.monoNs) / 1e6);
                                 finished = finished || e.kind == EventKind::Finished;
                             }
                         });
        QList<Step> steps{peerStep(socklab::PeerBehavior::Echo), connectToPeer()};
        const int trips = c.smoke ? 5 : 100;
        for (int i = 0; i < trips; ++i) {
            Step send = Step::make(Step::Kind::Send, QStringLiteral("c1"));
            send.data = "ping";
            Step recv = Step::make(Step::Kind::Recv, QStringLiteral("c1"));
            recv.maxBytes = 4;
            Step hold = Step::make(Step::Kind::Hold, QStringLiteral("c1"));
            hold.seconds = 0.01;
            steps << send << recv << hold;
        }
        steps << Step::make(Step::Kind::CloseAll) << Step::make(Step::Kind::StopPeer);
        engine.run(steps);
        waitUntil([&] { return finished; }, 60000);
        spin(200); // the last FIN and ACK
        std::vector<double> posted;
        for (qint64 ns : engine.capture().postLagNs)
            posted.push_back(ns / 1e6);
        r->metrics.insert(QStringLiteral("posted_ms_median"), median(posted));
        r->metrics.insert(QStringLiteral("posted_ms_max"), maxOf(posted));
        r->metrics.insert(QStringLiteral("delivery_segments"), int(delays.size()));
        r->metrics.insert(QStringLiteral("delivery_ms_median"), median(delays));
        r->metrics.insert(QStringLiteral("delivery_ms_p99"), percentile(delays, 99));
        r->metrics.insert(QStringLiteral("delivery_ms_max"), maxOf(delays));
        r->samples.insert(QStringLiteral("delivery"), toJsonArray(delays));
    }

    // The flood, captured and not.
    const double seconds = c.smoke ? 0.5 : 3;
    QString why;
    qint64 lostOn = 0, lostOff = 0;
    const double on = floodMBps(true, seconds, &lostOn, &why);
    const double off = floodMBps(false, seconds, &lostOff, &why);
    if (on < 0 || off < 0) {
        r->fail(QStringLiteral("no lab: ") + why);
        return;
    }
    r->metrics.insert(QStringLiteral("flood_MBps_captured"), on);
    r->metrics.insert(QStringLiteral("flood_MBps_not_captured"), off);
    r->metrics.insert(QStringLiteral("flood_ratio"), off > 0 ? on / off : 0);
    r->metrics.insert(QStringLiteral("capture_lost_frames"), lostOn);

    // 1,000 keepalive connections in a lab, watched: the monitor (TCP_INFO, the table) and the
    // capture (every probe and its ACK is a segment event) together.
    const int conns = c.smoke ? 20 : 1000;
    const int costSeconds = c.smoke ? 1 : 10;
    const int settleMs = c.smoke ? 300 : 2000;
    raiseFdLimit(2L * conns + 512);
    socklab::SocketOptions defaults; // keepalive on, the system's idle time: nothing on the wire
    defaults.keepAlive = true;
    socklab::SocketOptions probing = defaults;
    probing.keepIdle = 1;
    probing.keepIntvl = 1;
    probing.keepCnt = 3;
    for (const auto &[name, o] : {std::pair{QStringLiteral("lab_idle"), defaults},
                                  std::pair{QStringLiteral("lab_probing"), probing}}) {
        if (!keepaliveCost(name, conns, o, costSeconds, settleMs, true, r))
            return;
        r->metrics.insert(name + QStringLiteral("_watch_pct"),
                          r->metrics.value(name + QStringLiteral("_monitor_pct")).toDouble() +
                              r->metrics.value(name + QStringLiteral("_wire_pct")).toDouble());
    }
}

} // namespace bench
