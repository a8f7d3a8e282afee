#pragma once
// socklab-cli runs an experiment in the lab with --json and --pcap; tshark (Wireshark, which
// nobody here wrote) reads the pcap file and counts what the wire carried. Shared by the
// suites that judge the lab's wire from outside (tst_labwire, tst_netfaults).
#include "Lab.h"

#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QStandardPaths>
#include <QTemporaryDir>

// A suite about the lab skips, saying why, on a system that allows no lab (user namespaces
// refused); tst_lab checks that SockLab then says so instead.
#define SOCKLAB_REQUIRE_LAB()                                                                      \
    do {                                                                                           \
        QString why_;                                                                              \
        if (!socklab::platform::Lab::create(&why_))                                                \
            QSKIP(qPrintable(QStringLiteral("This system allows no lab: ") + why_));               \
    } while (false)

namespace socklab::test {

struct Counts
{
    int syn = 0, synAgain = 0, keepalive = 0, keepaliveAck = 0, retransmissions = 0, fin = 0,
        rst = 0, frames = 0;
    QString text() const
    {
        return QStringLiteral("frames %1, SYN %2, SYN again %3, keepalive %4, keepalive ACK %5, "
                              "retransmissions %6, FIN %7, RST %8")
            .arg(frames)
            .arg(syn)
            .arg(synAgain)
            .arg(keepalive)
            .arg(keepaliveAck)
            .arg(retransmissions)
            .arg(fin)
            .arg(rst);
    }
};

struct Run
{
    int exitCode = -1;
    QList<QJsonObject> events;
    QString pcap;
    QString stderrText;
    QList<QJsonObject> of(const QString &kind, const QString &op = {}) const
    {
        QList<QJsonObject> out;
        for (const QJsonObject &e : events) {
            if (e.value(QStringLiteral("kind")).toString() == kind &&
                (op.isEmpty() || e.value(QStringLiteral("op")).toString() == op))
                out << e;
        }
        return out;
    }
    // SockLab's own count of the wire, from its segment events.
    Counts segments() const
    {
        Counts c;
        for (const QJsonObject &e : of(QStringLiteral("segment"))) {
            const QString m = e.value(QStringLiteral("meaning")).toString();
            if (m == QLatin1String("unreachable") || m == QLatin1String("time_exceeded"))
                continue; // ICMP: tshark is asked for TCP only
            if (m == QLatin1String("more")) {
                // Counted, not shown one by one (repeats beyond 20 a second).
                const int n = e.value(QStringLiteral("count")).toInt();
                const QString of = e.value(QStringLiteral("of")).toString();
                c.frames += n;
                c.keepalive += of == QLatin1String("keepalive_probe") ? n : 0;
                c.keepaliveAck += of == QLatin1String("keepalive_ack") ? n : 0;
                c.retransmissions += of == QLatin1String("retransmission") ? n : 0;
                c.synAgain += of == QLatin1String("syn_retransmission") ? n : 0;
                continue;
            }
            ++c.frames;
            const QString flags = e.value(QStringLiteral("flags")).toString();
            c.syn += m == QLatin1String("syn");
            c.synAgain += m == QLatin1String("syn_retransmission");
            c.keepalive += m == QLatin1String("keepalive_probe");
            c.keepaliveAck += m == QLatin1String("keepalive_ack");
            c.retransmissions += m == QLatin1String("retransmission");
            c.fin += flags.contains(QLatin1String("FIN"));
            c.rst += flags.contains(QLatin1String("RST"));
        }
        return c;
    }
};

inline Run runCli(const QStringList &args, QTemporaryDir &dir)
{
    Run r;
    r.pcap = dir.filePath(QStringLiteral("wire.pcap"));
    // The options right after the command: `run` takes everything after its program as the
    // program's.
    QStringList full = args;
    full.insert(1, QStringLiteral("--json"));
    full.insert(2, QStringLiteral("--pcap"));
    full.insert(3, r.pcap);
    QProcess p;
    p.start(QStringLiteral(SOCKLAB_CLI_PATH), full);
    if (!p.waitForFinished(60000))
        return r;
    r.exitCode = p.exitCode();
    r.stderrText = QString::fromUtf8(p.readAllStandardError());
    for (const QByteArray &line : p.readAllStandardOutput().split('\n')) {
        const QJsonObject e = QJsonDocument::fromJson(line).object();
        if (!e.isEmpty())
            r.events << e;
    }
    return r;
}

// tshark's count of the same file: its own TCP analysis decides what is a keepalive or a
// retransmission.
inline Counts judge(const QString &pcap, QString *error)
{
    Counts c;
    const QString tshark = QStandardPaths::findExecutable(QStringLiteral("tshark"));
    if (tshark.isEmpty()) {
        *error = QStringLiteral("tshark is not installed (scripts/setup.sh installs it)");
        return c;
    }
    QProcess p;
    // TCP only: tshark also reads the TCP header an ICMP error quotes.
    p.start(tshark, {QStringLiteral("-r"), pcap,
                     QStringLiteral("-Y"), QStringLiteral("tcp and not icmp and not icmpv6"),
                     QStringLiteral("-T"), QStringLiteral("fields"),
                     QStringLiteral("-e"), QStringLiteral("tcp.flags.syn"),
                     QStringLiteral("-e"), QStringLiteral("tcp.flags.ack"),
                     QStringLiteral("-e"), QStringLiteral("tcp.flags.fin"),
                     QStringLiteral("-e"), QStringLiteral("tcp.flags.reset"),
                     QStringLiteral("-e"), QStringLiteral("tcp.analysis.keep_alive"),
                     QStringLiteral("-e"), QStringLiteral("tcp.analysis.keep_alive_ack"),
                     QStringLiteral("-e"), QStringLiteral("tcp.analysis.retransmission")});
    if (!p.waitForFinished(30000) || p.exitCode() != 0) {
        *error = QStringLiteral("tshark failed: ") + QString::fromUtf8(p.readAllStandardError());
        return c;
    }
    for (const QByteArray &line : p.readAllStandardOutput().split('\n')) {
        if (line.isEmpty())
            continue;
        const QList<QByteArray> f = line.split('\t');
        if (f.size() < 7)
            continue;
        const auto on = [&](int i) { return f[i] == "1" || f[i] == "True"; };
        ++c.frames;
        const bool synOnly = on(0) && !on(1);
        c.syn += synOnly && !on(6);
        c.synAgain += synOnly && on(6);
        c.keepalive += on(4);
        c.keepaliveAck += on(5);
        c.retransmissions += !on(0) && on(6);
        c.fin += on(2);
        c.rst += on(3);
    }
    return c;
}

} // namespace socklab::test
