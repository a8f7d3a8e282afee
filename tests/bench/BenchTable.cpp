// Item 4: the socket table with 10,000 TCP sockets on loopback: SockLab's refresh through
// NETLINK_SOCK_DIAG beside `ss -tan`, in the same run, interleaved.
#include "Bench.h"

#include "EventBus.h"
#include "Monitor.h"
#include "Platform.h"

#include <QProcess>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

using namespace socklab;

namespace bench {

namespace {

struct Sockets
{
    int listener = -1;
    quint16 port = 0;
    std::vector<int> clients;
    std::vector<int> accepted;

    ~Sockets()
    {
        // SO_LINGER 0 resets instead of leaving 5,000 TIME_WAIT entries behind for the
        // next run (and for `ss` to list).
        const linger l{1, 0};
        for (int fd : clients) {
            setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
            ::close(fd);
        }
        for (int fd : accepted)
            ::close(fd);
        if (listener >= 0)
            ::close(listener);
    }

    bool open(int pairs, QString *why)
    {
        listener = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        socklen_t len = sizeof a;
        if (::bind(listener, reinterpret_cast<sockaddr *>(&a), sizeof a) != 0 ||
            ::listen(listener, 4096) != 0 ||
            getsockname(listener, reinterpret_cast<sockaddr *>(&a), &len) != 0) {
            *why = QStringLiteral("listen: %1").arg(errno);
            return false;
        }
        port = ntohs(a.sin_port);
        for (int i = 0; i < pairs; ++i) {
            const int c = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
            if (c < 0 || ::connect(c, reinterpret_cast<sockaddr *>(&a), sizeof a) != 0) {
                *why = QStringLiteral("connect %1: errno %2").arg(i).arg(errno);
                if (c >= 0)
                    ::close(c);
                return false;
            }
            clients.push_back(c);
            const int s = ::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
            if (s < 0) {
                *why = QStringLiteral("accept %1: errno %2").arg(i).arg(errno);
                return false;
            }
            accepted.push_back(s);
        }
        return true;
    }
};

} // namespace

void runTable(const Context &c, Result *r)
{
    const int sockets = c.smoke ? 200 : 10000;
    const int reps = c.smoke ? 3 : 20;
    const long limit = raiseFdLimit(sockets + 1024);
    r->notes << QStringLiteral("RLIMIT_NOFILE soft limit raised to %1.").arg(limit);
    Sockets s;
    QString why;
    if (!s.open(sockets / 2, &why)) {
        r->fail(QStringLiteral("could not open %1 sockets: %2").arg(sockets).arg(why));
        return;
    }
    const QString ss = findTool(QStringLiteral("ss"));
    if (ss.isEmpty())
        r->notes << QStringLiteral("ss (iproute2) not found: the reference was skipped.");

    // The window's path: the monitor's refresh (dump, keep the experiment's rows, diff states,
    // hand the rows on), with every client socket named as the engine names its own. Its
    // thread refreshes once when the port is added, then sleeps for the hour.
    EventBus bus;
    Monitor monitor(&bus, nullptr, Monitor::Options{5, 3600 * 1000});
    for (size_t i = 0; i < s.clients.size(); ++i)
        monitor.nameSocket(s.clients[i], QStringLiteral("c%1").arg(i + 1));
    monitor.addPort(s.port);

    std::vector<double> dumpMs, refreshMs, ssMs;
    qsizetype rows = 0, tableRows = 0;
    for (int i = 0; i < reps + 1; ++i) { // the first round warms caches and is dropped
        QList<platform::DiagRow> out;
        qint64 t0 = nowNs();
        const int err = platform::dumpTcpSockets({s.port}, &out);
        const double d = (nowNs() - t0) / 1e6;
        if (err) {
            r->fail(QStringLiteral("sock_diag dump failed: errno %1").arg(err));
            return;
        }
        rows = out.size();

        t0 = nowNs();
        monitor.refreshTable();
        const double m = (nowNs() - t0) / 1e6;
        tableRows = monitor.table().size();

        double sst = 0;
        if (!ss.isEmpty()) {
            QProcess p;
            p.setStandardOutputFile(QProcess::nullDevice());
            t0 = nowNs();
            p.start(ss, {QStringLiteral("-tan")});
            p.waitForFinished(30000);
            sst = (nowNs() - t0) / 1e6;
        }
        if (i == 0)
            continue;
        dumpMs.push_back(d);
        refreshMs.push_back(m);
        if (!ss.isEmpty())
            ssMs.push_back(sst);
    }
    QJsonObject &m = r->metrics;
    m.insert(QStringLiteral("sockets"), sockets);
    m.insert(QStringLiteral("dump_rows"), double(rows));
    m.insert(QStringLiteral("monitor_rows"), double(tableRows));
    m.insert(QStringLiteral("dump_ms"), median(dumpMs));
    m.insert(QStringLiteral("monitor_refresh_ms"), median(refreshMs));
    r->samples.insert(QStringLiteral("dump"), toJsonArray(dumpMs));
    r->samples.insert(QStringLiteral("monitor_refresh"), toJsonArray(refreshMs));
    if (!ssMs.empty()) {
        m.insert(QStringLiteral("ss_ms"), median(ssMs));
        m.insert(QStringLiteral("ratio_dump_ss"), median(dumpMs) / median(ssMs));
        m.insert(QStringLiteral("ratio_monitor_ss"), median(refreshMs) / median(ssMs));
        r->samples.insert(QStringLiteral("ss"), toJsonArray(ssMs));
    }
    if (rows < sockets)
        r->fail(QStringLiteral("the dump saw %1 rows for %2 sockets").arg(rows).arg(sockets));
}

} // namespace bench
