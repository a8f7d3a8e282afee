// Item 2: the keepalive probe observer. Accuracy: the gap between a probe's time on the wire
// (a tcpdump capture on lo; failing that, the kernel's own keepalive timer) and the
// probe_sent event that reports it. Cost: the monitor thread's CPU while it watches many idle
// keepalive connections.
#include "Bench.h"

#include "../TestSupport.h"
#include "Platform.h"

#include <QHash>
#include <QProcess>
#include <QRegularExpression>

#include <arpa/inet.h>
#include <atomic>
#include <cerrno>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <thread>
#include <unistd.h>

using namespace socklab;
using namespace socklab::test;

namespace bench {

namespace {

quint16 portOf(const QString &address)
{
    return quint16(address.section(QLatin1Char(':'), -1).toUInt());
}

// A tcpdump on lo for the segments sent to one port, with nanosecond CLOCK_REALTIME stamps.
class Capture
{
  public:
    bool start(quint16 port, QString *why)
    {
        const QString tcpdump = findTool(QStringLiteral("tcpdump"));
        if (tcpdump.isEmpty()) {
            *why = QStringLiteral("tcpdump is not installed");
            return false;
        }
        m_proc.start(tcpdump,
                     {QStringLiteral("-i"), QStringLiteral("lo"), QStringLiteral("-n"),
                      QStringLiteral("-tt"), QStringLiteral("--time-stamp-precision=nano"),
                      QStringLiteral("-l"), QStringLiteral("tcp and dst port %1").arg(port)});
        if (!m_proc.waitForStarted(3000)) {
            *why = QStringLiteral("tcpdump did not start");
            return false;
        }
        // tcpdump says "listening on lo" once the capture is armed.
        const bool armed = waitUntil(
            [&] {
                m_err += m_proc.readAllStandardError();
                return m_err.contains("listening on") || m_proc.state() == QProcess::NotRunning;
            },
            5000);
        if (!armed || !m_err.contains("listening on")) {
            *why = QStringLiteral("tcpdump could not capture: %1")
                       .arg(QString::fromUtf8(m_err).trimmed());
            m_proc.kill();
            m_proc.waitForFinished(2000);
            return false;
        }
        return true;
    }

    // Stops the capture; returns, per source port, the wall times of its keepalive probes:
    // bare ACK-flag segments without data after the handshake's own ACK.
    QHash<quint16, std::vector<double>> probes()
    {
        spin(200); // the last packets through tcpdump's line buffer
        m_proc.terminate();
        m_proc.waitForFinished(3000);
        const QString out = QString::fromUtf8(m_proc.readAllStandardOutput());
        static const QRegularExpression line(
            QStringLiteral(R"(^(\d+\.\d+) IP \S+\.(\d+) > \S+: Flags \[([^\]]*)\].*length (\d+))"));
        QHash<quint16, std::vector<double>> result;
        QHash<quint16, int> bareAcks;
        for (const QString &l : out.split(QLatin1Char('\n'))) {
            const auto m = line.match(l);
            if (!m.hasMatch())
                continue;
            const quint16 port = quint16(m.captured(2).toUInt());
            if (m.captured(3) != QLatin1String(".") || m.captured(4).toInt() != 0)
                continue;
            if (bareAcks[port]++ == 0)
                continue; // the handshake's ACK
            result[port].push_back(m.captured(1).toDouble());
        }
        return result;
    }

  private:
    QProcess m_proc;
    QByteArray m_err;
};

void accuracy(const Context &c, Result *r)
{
    const int conns = c.smoke ? 2 : 10;
    const int cnt = c.smoke ? 1 : 5;
    const int idle = 1, intvl = 1;

    if (!socketFiltersAllowed()) {
        // Not a failure of SockLab: the probe item needs a peer that drops everything.
        r->metrics.insert(QStringLiteral("accuracy_method"), QStringLiteral("not measured"));
        r->notes << QStringLiteral("Probe accuracy not measured: the blackhole peer needs "
                                   "SO_ATTACH_FILTER, which this kernel refuses to this user "
                                   "(EPERM). Run the benchmark as root.");
        return;
    }
    Engine engine;
    EventRecorder rec(engine.bus());
    engine.run({peer(PeerBehavior::Blackhole)});
    if (!waitUntil([&] { return rec.finished(); }, 5000)) {
        r->fail(QStringLiteral("the blackhole peer did not start"));
        return;
    }
    const quint16 peerPort = rec.listeningPort(QStringLiteral("peer"));

    Capture capture;
    QString why;
    const bool captured = capture.start(peerPort, &why);
    r->metrics.insert(QStringLiteral("accuracy_method"),
                      captured ? QStringLiteral("tcpdump") : QStringLiteral("kernel-timer"));
    if (!captured)
        r->notes << QStringLiteral("No packet capture (%1): probe times on the wire are taken "
                                   "from the kernel's keepalive timer instead (sock_diag "
                                   "idiag_expires read right after each probe_sent event, minus "
                                   "TCP_KEEPINTVL; jiffy resolution, about ±4 ms).")
                        .arg(why);

    // Without a capture: the kernel re-arms the keepalive timer for TCP_KEEPINTVL as it sends
    // a probe, so (now + expires - intvl) read soon after is when the probe left.
    std::vector<double> kernelGapsMs;
    QHash<QString, quint16> localPorts;
    QObject guard;
    if (!captured) {
        QObject::connect(engine.bus(), &EventBus::eventsReady, &guard, [&](const QList<Event> &b) {
            for (const Event &e : b) {
                if (e.kind == EventKind::Connected)
                    localPorts.insert(e.sock, portOf(e.local));
                if (e.kind != EventKind::ProbeSent)
                    continue;
                QList<platform::DiagRow> rows;
                const qint64 queryNs = nowNs();
                if (platform::dumpTcpSockets({peerPort}, &rows) != 0)
                    continue;
                for (const auto &row : rows) {
                    if (row.localPort != localPorts.value(e.sock) ||
                        row.timer != platform::DiagRow::Timer::Keepalive)
                        continue;
                    const double wireNs = double(queryNs) + (row.expiresMs - intvl * 1000) * 1e6;
                    kernelGapsMs.push_back((double(e.monoNs) - wireNs) / 1e6);
                }
            }
        });
    }

    rec.clear();
    QList<Step> steps;
    for (int i = 1; i <= conns; ++i)
        steps << connectToPeer(keepalive(idle, intvl, cnt), QStringLiteral("c%1").arg(i));
    for (int i = 1; i <= conns; ++i)
        steps << hold(idle + intvl * cnt + 3, QStringLiteral("c%1").arg(i));
    engine.run(steps);
    if (!waitUntil([&] { return rec.finished(); }, (idle + intvl * cnt + 10) * 1000)) {
        r->fail(QStringLiteral("the probe run did not finish:\n") + rec.dump());
        return;
    }
    const QList<Event> sent = rec.of(EventKind::ProbeSent);
    r->metrics.insert(QStringLiteral("accuracy_probe_events"), int(sent.size()));
    r->metrics.insert(QStringLiteral("accuracy_peer_dead_events"), rec.count(EventKind::PeerDead));

    std::vector<double> gaps;
    if (captured) {
        const auto wire = capture.probes();
        int onWire = 0, unmatched = 0;
        for (const auto &v : wire)
            onWire += int(v.size());
        for (const Event &e : sent) {
            const quint16 port = portOf(rec.first(EventKind::Connected, e.sock).local);
            const auto it = wire.constFind(port);
            if (it == wire.constEnd() || e.probe < 1 || size_t(e.probe) > it->size()) {
                ++unmatched;
                continue;
            }
            gaps.push_back((e.wall - (*it)[size_t(e.probe - 1)]) * 1000.0);
        }
        r->metrics.insert(QStringLiteral("accuracy_probes_on_wire"), onWire);
        r->metrics.insert(QStringLiteral("accuracy_events_unmatched"), unmatched);
        if (onWire != int(sent.size()))
            r->notes << QStringLiteral("%1 probes on the wire, %2 probe_sent events.")
                            .arg(onWire)
                            .arg(sent.size());
    } else {
        gaps = kernelGapsMs;
    }
    if (int(sent.size()) != conns * cnt)
        r->fail(QStringLiteral("%1 probe_sent events, expected %2:\n%3")
                    .arg(sent.size())
                    .arg(conns * cnt)
                    .arg(rec.dump()));
    r->metrics.insert(QStringLiteral("accuracy_n"), int(gaps.size()));
    if (!gaps.empty()) {
        r->metrics.insert(QStringLiteral("gap_median_ms"), median(gaps));
        r->metrics.insert(QStringLiteral("gap_max_ms"), maxOf(gaps));
        r->metrics.insert(QStringLiteral("gap_min_ms"), minOf(gaps));
        r->samples.insert(QStringLiteral("gap"), toJsonArray(gaps));
    }
}

// A plain listener on 127.0.0.1 that accepts on its own thread and keeps what it accepted:
// the kernel answers keepalive probes for it.
class Sink
{
  public:
    quint16 start()
    {
        m_fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (::bind(m_fd, reinterpret_cast<sockaddr *>(&a), sizeof a) != 0 ||
            ::listen(m_fd, 4096) != 0)
            return 0;
        socklen_t len = sizeof a;
        getsockname(m_fd, reinterpret_cast<sockaddr *>(&a), &len);
        m_thread = std::thread([this] {
            while (!m_stop.load()) {
                pollfd p{m_fd, POLLIN, 0};
                if (::poll(&p, 1, 20) <= 0)
                    continue;
                int fd;
                while ((fd = ::accept4(m_fd, nullptr, nullptr, SOCK_CLOEXEC)) >= 0)
                    m_accepted.push_back(fd);
            }
        });
        return ntohs(a.sin_port);
    }
    ~Sink()
    {
        m_stop.store(true);
        if (m_thread.joinable())
            m_thread.join();
        for (int fd : m_accepted)
            ::close(fd);
        if (m_fd >= 0)
            ::close(m_fd);
    }

  private:
    int m_fd = -1;
    std::atomic<bool> m_stop{false};
    std::vector<int> m_accepted;
    std::thread m_thread;
};

} // namespace

// The watching threads' share of one core while the engine holds `conns` idle keepalive
// connections (options o), over `seconds`: on this machine's network to a plain listener on
// 127.0.0.1, or in a lab to the built-in silent peer (then the capture's thread too).
bool keepaliveCost(const QString &name, int conns, const SocketOptions &o, int seconds,
                   int settleMs, bool lab, Result *r)
{
    Sink sink;
    const quint16 port = lab ? 0 : sink.start();
    if (!lab && !port) {
        r->fail(QStringLiteral("cannot listen for the cost run"));
        return false;
    }
    Engine engine(nullptr, nullptr, lab ? Engine::Network::Lab : Engine::Network::Host);
    std::atomic<qint64> events{0}, probes{0}, tables{0};
    bool finished = false;
    QObject guard;
    QObject::connect(&engine, &Engine::socketTableChanged, &guard, [&] { ++tables; });
    QObject::connect(engine.bus(), &EventBus::eventsReady, &guard, [&](const QList<Event> &b) {
        events += b.size();
        for (const Event &e : b) {
            if (e.kind == EventKind::ProbeSent)
                ++probes;
            if (e.kind == EventKind::Finished)
                finished = true;
        }
    });
    QList<Step> steps;
    if (lab)
        steps << peer(PeerBehavior::Silent);
    for (int i = 1; i <= conns; ++i) {
        Step s = lab ? connectToPeer(o, QStringLiteral("c%1").arg(i))
                     : connectTo(port, QStringLiteral("c%1").arg(i));
        s.options = o;
        steps << s;
    }
    engine.run(steps);
    if (!waitUntil([&] { return finished; }, 120000)) {
        r->fail(QStringLiteral("%1: the connections were not set up in time").arg(name));
        return false;
    }
    spin(settleMs); // past the set-up's own events and first table refreshes
    const QString monitor = QStringLiteral("socklab-monitor"),
                  wire = QStringLiteral("socklab-wire");
    const qint64 m0 = threadCpuNs(monitor), w0 = threadCpuNs(wire);
    const qint64 p0 = processCpuNs();
    const qint64 e0 = events, pr0 = probes, tb0 = tables;
    const qint64 t0 = nowNs();
    spin(seconds * 1000);
    const double wall = double(nowNs() - t0);
    const double monitorPct = double(threadCpuNs(monitor) - m0) / wall * 100;
    const double processPct = double(processCpuNs() - p0) / wall * 100;
    r->metrics.insert(name + QStringLiteral("_monitor_pct"), monitorPct);
    if (lab)
        r->metrics.insert(name + QStringLiteral("_wire_pct"),
                          double(threadCpuNs(wire) - w0) / wall * 100);
    r->metrics.insert(name + QStringLiteral("_process_pct"), processPct);
    r->metrics.insert(name + QStringLiteral("_events_per_s"), double(events - e0) / wall * 1e9);
    r->metrics.insert(name + QStringLiteral("_probes_per_s"), double(probes - pr0) / wall * 1e9);
    r->metrics.insert(name + QStringLiteral("_table_refreshes_per_s"),
                      double(tables - tb0) / wall * 1e9);
    engine.stop();
    waitUntil([&] { return false; }, 300);
    return true;
}

void runProbes(const Context &c, Result *r)
{
    accuracy(c, r);
    if (!r->ok)
        return;
    const int conns = c.smoke ? 20 : 1000;
    const int seconds = c.smoke ? 1 : 10;
    const int settleMs = c.smoke ? 300 : 2000;
    const long limit = raiseFdLimit(2L * conns + 512);
    r->metrics.insert(QStringLiteral("cost_connections"), conns);
    r->notes
        << QStringLiteral("RLIMIT_NOFILE soft limit raised to %1 for the cost run.").arg(limit);
    SocketOptions defaults; // keepalive on, the system's idle time (2 h by default): quiet
    defaults.keepAlive = true;
    if (!keepaliveCost(QStringLiteral("idle"), conns, defaults, seconds, settleMs, false, r))
        return;
    // Probes every second on every connection, each ACKed by the kernel: the busiest idle case.
    keepaliveCost(QStringLiteral("probing"), conns, keepalive(1, 1, 3), seconds, settleMs, false,
                  r);
}

} // namespace bench
