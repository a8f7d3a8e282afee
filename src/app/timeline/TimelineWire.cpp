#include "TimelineWire.h"

#include "TimelineStyle.h"
#include "WireTap.h"

#include <algorithm>

using socklab::Event;
using socklab::EventKind;

namespace {

// The verdict is decided judgedAfterNs after the frame and reaches the window within a batch
// or two.
constexpr qint64 kVerdictMarginNs = 300 * 1000000LL;

bool is(const WireSegment &s, const char *meaning)
{
    return s.meaning == QLatin1String(meaning);
}

} // namespace

void WireBook::learnName(const Event &e)
{
    if (e.sock.isEmpty() || e.sock == QLatin1String("?") || e.local.isEmpty() || e.remote.isEmpty())
        return;
    const QString &me = e.local, &you = e.remote;
    const int index = m_index.value(me < you ? me + u'|' + you : you + u'|' + me, -1);
    if (index < 0)
        return;
    Wire &w = m_wires[size_t(index)];
    QString &name = w.a == me ? w.nameA : w.nameB;
    if (name.isEmpty())
        name = e.sock;
}

bool WireBook::add(const Event &e)
{
    // A segment called lost that arrived after all.
    const bool late = e.kind == EventKind::Info && e.op == QLatin1String("wire") &&
                      e.extra.value(QStringLiteral("late")).toBool();
    if (e.kind != EventKind::Segment && e.kind != EventKind::Lost && !late)
        return false;
    const QString from = e.local;
    const QString to = e.remote;
    if (from.isEmpty() || to.isEmpty())
        return true;
    const QString key = from < to ? from + u'|' + to : to + u'|' + from;
    int index = m_index.value(key, -1);
    if (e.kind == EventKind::Lost || late) {
        // The segment it is about, by its frame number (a count of more lost is in the log).
        const quint64 frame = quint64(e.extra.value(QStringLiteral("frame")).toInteger());
        if (index < 0 || frame == 0)
            return true;
        auto &segs = m_wires[size_t(index)].segments;
        for (auto it = segs.rbegin(); it != segs.rend(); ++it) {
            if (it->frame == frame) {
                it->lost = !late;
                it->lostDetail = e.detail; // a late arrival says so
                if (!late)
                    m_drawn |= DrawnLost;
                break;
            }
        }
        return true;
    }
    if (index < 0) {
        index = int(m_wires.size());
        m_index.insert(key, index);
        Wire w;
        // An ICMP error quotes a segment the client sent: that end is A, the sender.
        w.a = from;
        w.b = to;
        w.link = e.extra.value(QStringLiteral("link")).toString();
        m_wires.push_back(std::move(w));
    }
    Wire &w = m_wires[size_t(index)];

    WireSegment s;
    s.tNs = e.tNs;
    s.meaning = e.extra.value(QStringLiteral("meaning")).toString();
    s.flags = e.extra.value(QStringLiteral("flags")).toString();
    s.number = e.probe;
    s.bytes = std::max<qint64>(0, e.bytes);
    s.detail = e.detail;
    s.frame = quint64(e.extra.value(QStringLiteral("frame")).toInteger());
    s.toHost = e.extra.value(QStringLiteral("to_host")).toString();
    s.judgedAfterNs = qint64(e.extra.value(QStringLiteral("judged_after"))
                                 .toDouble(socklab::WireTap::kLostAfterNs / 1e9) *
                             1e9);
    s.via = e.extra.value(QStringLiteral("from_host")).toString();
    s.icmp = !s.via.isEmpty();
    if (!s.icmp) // a segment the router made in the far end's name (a firewall's RST)
        s.via = e.extra.value(QStringLiteral("made_by")).toString();
    if (is(s, "more"))
        s.more = e.extra.value(QStringLiteral("count")).toInt();
    // An ICMP error travels back to the sender of the segment it quotes.
    s.fromA = s.icmp ? from != w.a : from == w.a;

    // The names, as soon as the monitor knew them (the first frames of a connection may come
    // before its socket is in the kernel's table: "?").
    const QString sender = e.sock == QLatin1String("?") ? QString() : e.sock;
    const QString receiver = e.extra.value(QStringLiteral("to_sock")).toString();
    QString &nameFrom = from == w.a ? w.nameA : w.nameB;
    QString &nameTo = from == w.a ? w.nameB : w.nameA;
    if (!sender.isEmpty())
        nameFrom = sender;
    if (!receiver.isEmpty() && receiver != QLatin1String("?"))
        nameTo = receiver;

    if (!s.toHost.isEmpty())
        m_awaitedUntilNs = std::max(m_awaitedUntilNs, s.tNs + s.judgedAfterNs + kVerdictMarginNs);
    m_drawn |= DrawnSegment;
    if (is(s, "retransmission") || is(s, "syn_retransmission"))
        m_drawn |= DrawnResent;
    else if (is(s, "keepalive_probe") || is(s, "keepalive_ack"))
        m_drawn |= DrawnKeepalive;
    else if (is(s, "rst") || !s.via.isEmpty())
        m_drawn |= DrawnReset;
    // Frames of two links (eth0, lo) may come a little out of order: kept sorted.
    const auto at = std::upper_bound(w.segments.begin(), w.segments.end(), s.tNs,
                                     [](qint64 t, const WireSegment &x) { return t < x.tNs; });
    w.segments.insert(at, std::move(s));
    return true;
}

void WireBook::clear()
{
    m_wires.clear();
    m_index.clear();
    m_drawn = 0;
    m_awaitedUntilNs = 0;
    m_settledNs = -1;
}

std::pair<int, int> WireBook::segmentsIn(int wire, qint64 fromNs, qint64 toNs) const
{
    const auto &segs = m_wires[size_t(wire)].segments;
    const auto first = std::lower_bound(segs.begin(), segs.end(), fromNs,
                                        [](const WireSegment &x, qint64 t) { return x.tNs < t; });
    const auto last = std::upper_bound(first, segs.end(), toNs,
                                       [](qint64 t, const WireSegment &x) { return t < x.tNs; });
    return {int(first - segs.begin()), int(last - segs.begin())};
}

bool WireBook::onItsWay(const WireSegment &s, qint64 nowNs) const
{
    return !s.toHost.isEmpty() && !s.lost && s.tNs > m_settledNs &&
           nowNs - s.tNs < s.judgedAfterNs + kVerdictMarginNs;
}

QString WireBook::label(const WireSegment &s)
{
    if (s.lost) {
        WireSegment sent = s;
        sent.lost = false;
        return label(sent) + QStringLiteral(" lost");
    }
    if (s.more > 0)
        return QStringLiteral("+%1").arg(s.more);
    if (s.icmp)
        return is(s, "time_exceeded") ? QStringLiteral("ICMP TTL")
                                      : QStringLiteral("ICMP unreach.");
    if (!s.via.isEmpty()) {
        WireSegment own = s;
        own.via.clear();
        return label(own) + QStringLiteral(" (router)");
    }
    if (is(s, "syn"))
        return QStringLiteral("SYN");
    if (is(s, "syn_ack"))
        return QStringLiteral("SYN-ACK");
    // Numbered as the lanes number them: the SYN's place in the series (SYN 2 is the first
    // sent again), a resend's place among the resends.
    if (is(s, "syn_retransmission"))
        return s.flags.contains(QLatin1String("ACK"))
                   ? QStringLiteral("SYN-ACK %1").arg(s.number + 1)
                   : QStringLiteral("SYN %1").arg(s.number + 1);
    if (is(s, "retransmission"))
        return QStringLiteral("resend %1").arg(s.number);
    if (is(s, "keepalive_probe"))
        return QStringLiteral("probe");
    if (is(s, "keepalive_ack"))
        return QStringLiteral("probe ACK");
    if (is(s, "zero_window"))
        return QStringLiteral("window 0");
    if (is(s, "zero_window_probe"))
        return QStringLiteral("window probe");
    if (is(s, "dup_ack"))
        return QStringLiteral("dup ACK");
    if (is(s, "fin"))
        return QStringLiteral("FIN");
    if (is(s, "rst"))
        return QStringLiteral("RST");
    if (s.bytes > 0)
        return QStringLiteral("%1 B").arg(s.bytes);
    return QStringLiteral("ACK");
}

int WireBook::weight(const WireSegment &s)
{
    // The network's own answer (a router's ICMP error, the RST a firewall sent in the server's
    // name) tells why a connect failed: it names its crowd over the SYN it answered.
    if (is(s, "unreachable") || !s.via.isEmpty())
        return 10;
    if (s.lost || is(s, "rst"))
        return 9;
    if (is(s, "syn_retransmission") || is(s, "retransmission"))
        return 8;
    if (is(s, "keepalive_probe"))
        return 7;
    if (is(s, "syn") || is(s, "fin"))
        return 6;
    if (is(s, "syn_ack") || is(s, "zero_window") || is(s, "zero_window_probe"))
        return 5;
    if (is(s, "keepalive_ack") || is(s, "dup_ack"))
        return 4;
    if (s.more > 0)
        return 3;
    return s.bytes > 0 ? 2 : 1;
}

QColor WireBook::colour(const WireSegment &s, const QColor &plain)
{
    using namespace timelineStyle;
    if (is(s, "rst") || !s.via.isEmpty())
        return kError;
    if (is(s, "syn_retransmission") || is(s, "retransmission"))
        return kTimeout;
    if (is(s, "keepalive_probe") || is(s, "keepalive_ack"))
        return kOk;
    return plain;
}
