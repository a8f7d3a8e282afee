#include "PcapExport.h"

#include <QFile>

#include <pcap/pcap.h>

namespace socklab::pcap {

bool write(const QString &path, const QList<platform::Frame> &frames, QString *error)
{
    int snap = 0;
    for (const platform::Frame &f : frames)
        snap = qMax(snap, int(f.bytes().size()));
    pcap_t *dead = pcap_open_dead_with_tstamp_precision(DLT_EN10MB, qMax(snap, 128),
                                                        PCAP_TSTAMP_PRECISION_NANO);
    if (!dead) {
        *error =
            QStringLiteral("Cannot write %1: libpcap could not start a capture file.").arg(path);
        return false;
    }
    const QByteArray file = QFile::encodeName(path);
    pcap_dumper_t *out = pcap_dump_open(dead, file.constData());
    if (!out) {
        *error = QStringLiteral("Cannot write %1: %2.")
                     .arg(path, QString::fromLocal8Bit(pcap_geterr(dead)));
        pcap_close(dead);
        return false;
    }
    for (const platform::Frame &f : frames) {
        pcap_pkthdr h{};
        h.ts.tv_sec = time_t(f.realNs / 1000000000);
        h.ts.tv_usec = suseconds_t(f.realNs % 1000000000); // nanoseconds in a nano file
        h.caplen = bpf_u_int32(f.bytes().size());
        h.len = bpf_u_int32(qMax<qsizetype>(f.wireLen, f.bytes().size()));
        pcap_dump(reinterpret_cast<u_char *>(out), &h,
                  reinterpret_cast<const u_char *>(f.bytes().constData()));
    }
    const bool ok = pcap_dump_flush(out) == 0;
    pcap_dump_close(out);
    pcap_close(dead);
    if (!ok) {
        QFile::remove(path);
        *error = QStringLiteral("Cannot write %1: the disk refused the data.").arg(path);
    }
    return ok;
}

} // namespace socklab::pcap
