#include "TimelineModel.h"

#include "Fault.h"

#include <algorithm>

using socklab::Event;
using socklab::EventKind;

namespace {
// A label the monitor could not attribute to one of the experiment's sockets.
bool isLaneLabel(const QString &sock)
{
    return !sock.isEmpty() && sock != QLatin1String("-");
}

// Accepted is reported on the new socket (a1); the call ran on its listener (L1), which the
// engine names in the detail: "Accepted on L1."
QString acceptedOn(const Event &e)
{
    static const QString prefix = QStringLiteral("Accepted on ");
    if (!e.detail.startsWith(prefix) || !e.detail.endsWith(QLatin1Char('.')))
        return {};
    return e.detail.mid(prefix.size(), e.detail.size() - prefix.size() - 1);
}
} // namespace

QStringList TimelineModel::laneNames() const
{
    QStringList names;
    names.reserve(int(m_lanes.size()));
    for (const Lane &l : m_lanes)
        names << l.name;
    return names;
}

void TimelineModel::clear()
{
    m_drawn = 0;
    m_lanes.clear();
    m_markers.clear();
    m_faults.clear();
    m_wires.clear();
    m_laneIndex.clear();
    m_lastNs = 0;
    m_running = 0;
}

void TimelineModel::append(const QList<Event> &batch)
{
    for (const Event &e : batch)
        add(e);
}

TimelineModel::Lane &TimelineModel::laneFor(const QString &name)
{
    const auto it = m_laneIndex.constFind(name);
    if (it != m_laneIndex.constEnd())
        return m_lanes[size_t(*it)];
    m_laneIndex.insert(name, int(m_lanes.size()));
    Lane &l = m_lanes.emplace_back();
    l.name = name;
    return l;
}

void TimelineModel::addFault(const Event &e)
{
    const QString name = e.extra.value(QStringLiteral("fault")).toString();
    const auto kind = socklab::faultFromName(name);
    if (!kind)
        return;
    const auto endOpen = [&](const QString &which) {
        for (FaultSpan &f : m_faults) {
            if (f.fault == which && f.endNs == kOpen)
                f.endNs = e.tNs;
        }
    };
    // Made again (a new number) or mended: what was made before ends here. One firewall at a
    // time: the one made replaces the other.
    endOpen(name);
    if (*kind == socklab::FaultKind::FirewallDrop || *kind == socklab::FaultKind::FirewallReject) {
        endOpen(QStringLiteral("drop"));
        endOpen(QStringLiteral("reject"));
    }
    if (!e.extra.value(QStringLiteral("on")).toBool())
        return;
    const socklab::FaultInfo &info = socklab::faultInfo(*kind);
    QString text = QLatin1String(info.band);
    if (info.value.name)
        text += QStringLiteral(" %1 %2")
                    .arg(e.extra.value(QLatin1String(info.value.name)).toInt())
                    .arg(QLatin1String(info.value.unit));
    m_faults.push_back({e.tNs, kOpen, name, text, e.detail});
    m_drawn |= DrawnFault;
}

void TimelineModel::add(const Event &e)
{
    m_lastNs = std::max(m_lastNs, e.tNs);
    // A segment belongs to the wire under its connection, not to a lane of its own.
    if (m_wires.add(e)) {
        m_drawn |= m_wires.drawn();
        return;
    }
    // A fault is the network's, drawn behind every lane, not a socket's: no lane.
    if (e.op == QLatin1String("fault")) {
        if (e.kind == EventKind::Info)
            addFault(e);
        return;
    }
    // Nor the lab's own word, nor anything of a socket no experiment owns ("?").
    if (e.sock == QLatin1String("lab") || e.sock == QLatin1String("?"))
        return;
    m_wires.learnName(e);
    if (e.op == QLatin1String("pull-plug") && e.kind == EventKind::Info) {
        m_markers.push_back({e.tNs, QStringLiteral("plug pulled"), e.detail});
        m_drawn |= DrawnStop;
    }
    if (e.kind == EventKind::Finished) {
        // A run that ended on its own had the fate of every segment sent before its end said
        // first (WireTap::sync); a Stop does not wait for it.
        if (e.detail != QLatin1String("stopped"))
            m_wires.settleUntil(e.tNs);
        if (e.detail == QLatin1String("stopped")) {
            m_markers.push_back({e.tNs, QStringLiteral("Stop"),
                                 QStringLiteral("Stop: every call ended, every socket closed.")});
            m_drawn |= DrawnStop;
        }
        // A run is over: a call of it still open lost its ending event. Runs go on side by
        // side, so only its own calls; a Stop's ends every call of the runs before it.
        const bool stopped = e.detail == QLatin1String("stopped");
        for (Lane &l : m_lanes) {
            for (int i = int(l.running.size()) - 1; i >= 0; --i) {
                const quint64 run = l.spans[size_t(l.running[size_t(i)])].run;
                if (stopped ? run <= e.run : run == e.run)
                    closeSpan(l, i, e.tNs, Outcome::Abandoned);
            }
        }
        return;
    }
    // The verdict is a lesson's word on the run, not a socket: it has no lane.
    if (!isLaneLabel(e.sock) || e.kind == EventKind::LessonResult)
        return;
    const bool fresh = laneIndex(e.sock) < 0;
    Lane &lane = laneFor(e.sock);
    if (fresh)
        lane.firstRun = e.run;
    const auto orphanMark = [&] {
        Mark m;
        m.tNs = e.tNs;
        m.kind = e.kind;
        m.probe = e.probe;
        m.text = e.err ? e.errnoName() : e.op;
        m.detail = e.detail;
        addMark(lane, std::move(m));
    };
    switch (e.kind) {
    case EventKind::Resolving:
    case EventKind::Connecting:
    case EventKind::Accepting:
    case EventKind::Sending:
    case EventKind::Receiving:
    case EventKind::Holding:
        startSpan(lane, e);
        break;
    case EventKind::Resolved:
    case EventKind::Connected:
    case EventKind::Sent:
    case EventKind::Received:
        endSpan(lane, e.op, e, Outcome::Ok);
        break;
    case EventKind::Accepted:
        if (!endSpan(lane, e.op, e, Outcome::Ok)) {
            const int listener = laneIndex(acceptedOn(e));
            if (listener >= 0)
                endSpan(m_lanes[size_t(listener)], e.op, e, Outcome::Ok);
        }
        break;
    case EventKind::Info:
        // hold reports its normal end as info; so does a send cut short (after its error),
        // and a program's call that returned without news (poll: ready; EAGAIN at once).
        if (e.op == QLatin1String("hold") || e.op == QLatin1String("send") ||
            e.extra.contains(QLatin1String("traced")))
            endSpan(lane, e.op, e, Outcome::Ok);
        // A program's lane: what it printed, when it started and how it ended.
        if (e.sock == QLatin1String("prog")) {
            Mark m;
            m.tNs = e.tNs;
            m.kind = e.kind;
            if (e.op == QLatin1String("stdout") || e.op == QLatin1String("stderr")) {
                m.text = e.detail;
                m.detail = QStringLiteral("It printed (%1): %2").arg(e.op, e.detail);
            } else if (e.op == QLatin1String("exit")) {
                m.text = QStringLiteral("exit %1").arg(
                    e.extra.value(QStringLiteral("exit_code")).toInt());
                m.detail = e.detail;
            } else {
                m.text = QStringLiteral("started");
                m.detail = e.detail;
            }
            addMark(lane, std::move(m));
        }
        break;
    case EventKind::Timeout:
        if (!endSpan(lane, e.op, e, Outcome::Timeout))
            orphanMark();
        break;
    case EventKind::Error:
        if (!endSpan(lane, e.op, e, Outcome::Error))
            orphanMark();
        break;
    case EventKind::Cancelled:
        if (!endSpan(lane, e.op, e, Outcome::Cancelled))
            orphanMark();
        break;
    case EventKind::PeerClosed:
        if (!endSpan(lane, e.op, e, Outcome::PeerClosed))
            orphanMark();
        break;
    case EventKind::ProbeSent:
    case EventKind::PeerDead:
    case EventKind::Closed:
    case EventKind::Retransmit:
        orphanMark();
        break;
    case EventKind::ProbeAcked:
        orphanMark();
        resolveProbe(lane, e, ProbeResult::Acked);
        break;
    case EventKind::ProbeUnanswered:
        orphanMark();
        resolveProbe(lane, e, ProbeResult::Unanswered);
        break;
    case EventKind::OptionSet:
    case EventKind::OptionInherited:
    case EventKind::SystemDefault: {
        const int value = e.effective.toInt();
        if (e.option == QLatin1String("TCP_KEEPIDLE"))
            lane.keepIdleS = value;
        else if (e.option == QLatin1String("TCP_KEEPINTVL"))
            lane.keepIntvlS = value;
        // An option changed on a socket already in use, by a later run than the one that made
        // it (the panels' change given with a call): a mark where it took effect. The per-call
        // timeouts are set before each call and are drawn with it.
        if (e.kind == EventKind::OptionSet && e.run != lane.firstRun &&
            e.option != QLatin1String("SO_RCVTIMEO") && e.option != QLatin1String("SO_SNDTIMEO")) {
            Mark m;
            m.tNs = e.tNs;
            m.kind = e.kind;
            m.text = QStringLiteral("%1 %2").arg(
                e.option,
                e.effective.typeId() == QMetaType::Bool
                    ? (e.effective.toBool() ? QStringLiteral("on") : QStringLiteral("off"))
                    : e.effective.toString());
            m.detail = e.detail;
            addMark(lane, std::move(m));
        }
        break;
    }
    case EventKind::State: {
        Mark m;
        m.tNs = e.tNs;
        m.kind = e.kind;
        m.text = e.state;
        m.detail = e.detail;
        addMark(lane, std::move(m));
        // A socket in TIME_WAIT stays there until it is gone from the kernel's table.
        if (!lane.bands.empty() && lane.bands.back().endNs == kOpen)
            lane.bands.back().endNs = std::max(e.tNs, lane.bands.back().startNs);
        if (e.state == QLatin1String("TIME_WAIT")) {
            Band b;
            b.startNs = e.tNs;
            b.state = e.state;
            b.detail = e.detail;
            lane.bands.push_back(std::move(b));
            m_drawn |= DrawnTimeWait;
        }
        break;
    }
    default:
        break;
    }
}

void TimelineModel::startSpan(Lane &lane, const Event &e)
{
    // One call at a time per socket and op: an earlier one still open never got its end.
    for (int i = int(lane.running.size()) - 1; i >= 0; --i) {
        if (lane.spans[size_t(lane.running[size_t(i)])].op == e.op)
            closeSpan(lane, i, e.tNs, Outcome::Abandoned);
    }
    Span s;
    s.startNs = e.tNs;
    s.op = e.op;
    s.run = e.run;
    s.timeout = e.timeout.value_or(-1);
    s.timeoutNone = e.timeoutNone;
    s.mechanism = e.mechanism;
    s.detail = e.detail;
    if (s.timeoutNone)
        m_drawn |= DrawnNoTimeout;
    // Events from different threads can arrive slightly out of order: keep the vector sorted.
    auto pos = lane.spans.end();
    if (!lane.spans.empty() && lane.spans.back().startNs > s.startNs)
        pos = std::upper_bound(lane.spans.begin(), lane.spans.end(), s.startNs,
                               [](qint64 t, const Span &x) { return t < x.startNs; });
    const int index = int(pos - lane.spans.begin());
    lane.spans.insert(pos, std::move(s));
    lane.reach.push_back(0);
    for (int &r : lane.running) {
        if (r >= index)
            ++r;
    }
    lane.running.push_back(index);
    ++m_running;
    updateReach(lane, size_t(index));
}

bool TimelineModel::endSpan(Lane &lane, const QString &op, const Event &e, Outcome outcome)
{
    for (int i = int(lane.running.size()) - 1; i >= 0; --i) {
        Span &s = lane.spans[size_t(lane.running[size_t(i)])];
        if (!op.isEmpty() && s.op != op)
            continue;
        s.err = e.err;
        if (e.elapsed)
            s.elapsed = *e.elapsed;
        if (!e.detail.isEmpty())
            s.detail = e.detail;
        if (e.kind == EventKind::Accepted)
            s.note = e.sock;
        closeSpan(lane, i, std::max(e.tNs, s.startNs), outcome);
        return true;
    }
    return false;
}

void TimelineModel::closeSpan(Lane &lane, int runningSlot, qint64 endNs, Outcome outcome)
{
    const int index = lane.running[size_t(runningSlot)];
    Span &s = lane.spans[size_t(index)];
    s.endNs = std::max(endNs, s.startNs);
    switch (outcome) {
    case Outcome::Ok:
        m_drawn |= DrawnReturned;
        break;
    case Outcome::Timeout:
        m_drawn |= DrawnTimedOut;
        break;
    case Outcome::Error:
        m_drawn |= DrawnFailed;
        break;
    case Outcome::Cancelled:
    case Outcome::Abandoned:
        m_drawn |= DrawnCancelled;
        break;
    case Outcome::PeerClosed:
        m_drawn |= DrawnPeerClosed;
        break;
    case Outcome::Running:
        break;
    }
    s.outcome = outcome;
    lane.running.erase(lane.running.begin() + runningSlot);
    --m_running;
    updateReach(lane, size_t(index));
}

void TimelineModel::updateReach(Lane &lane, size_t from)
{
    // Running spans sit at the tail, so this rarely walks more than a few entries.
    qint64 r = from > 0 ? lane.reach[from - 1] : std::numeric_limits<qint64>::min();
    for (size_t i = from; i < lane.spans.size(); ++i) {
        r = std::max(r, lane.spans[i].endNs);
        lane.reach[i] = r;
    }
}

void TimelineModel::addMark(Lane &lane, Mark mark)
{
    switch (mark.kind) {
    case EventKind::Timeout:
        m_drawn |= DrawnTimedOut;
        break;
    case EventKind::Error:
        m_drawn |= DrawnFailed;
        break;
    case EventKind::Cancelled:
        m_drawn |= DrawnCancelled;
        break;
    case EventKind::PeerClosed:
        m_drawn |= DrawnPeerClosed;
        break;
    case EventKind::PeerDead:
        m_drawn |= DrawnPeerDead;
        break;
    case EventKind::Retransmit:
        m_drawn |= DrawnResend;
        break;
    case EventKind::OptionSet:
        m_drawn |= DrawnOptionChanged;
        break;
    case EventKind::ProbeSent:
        if (lane.keepIdleS > 0 || lane.keepIntvlS > 0)
            m_drawn |= DrawnKeepaliveTimer;
        break;
    default:
        break;
    }
    if (lane.marks.empty() || lane.marks.back().tNs <= mark.tNs) {
        lane.marks.push_back(std::move(mark));
        return;
    }
    const auto pos = std::upper_bound(lane.marks.begin(), lane.marks.end(), mark.tNs,
                                      [](qint64 t, const Mark &m) { return t < m.tNs; });
    lane.marks.insert(pos, std::move(mark));
}

void TimelineModel::resolveProbe(Lane &lane, const Event &e, ProbeResult result)
{
    m_drawn |= result == ProbeResult::Acked ? DrawnProbeAcked : DrawnProbeUnanswered;
    // The probe it answers is among the last few marks; bounded so a flood stays linear.
    const int stop = std::max(0, int(lane.marks.size()) - 64);
    for (int i = int(lane.marks.size()) - 1; i >= stop; --i) {
        Mark &m = lane.marks[size_t(i)];
        if (m.kind != EventKind::ProbeSent || m.probe != e.probe)
            continue;
        if (m.result == ProbeResult::Pending) {
            m.result = result;
            m.resultNs = e.tNs;
        }
        return;
    }
}

std::pair<int, int> TimelineModel::spansIn(int lane, qint64 fromNs, qint64 toNs) const
{
    const Lane &l = m_lanes[size_t(lane)];
    // reach never decreases, so the first span that may still be visible is found by bisection.
    const auto first = std::lower_bound(l.reach.begin(), l.reach.end(), fromNs);
    const auto last = std::upper_bound(l.spans.begin(), l.spans.end(), toNs,
                                       [](qint64 t, const Span &s) { return t < s.startNs; });
    const int f = int(first - l.reach.begin());
    return {f, std::max(f, int(last - l.spans.begin()))};
}

std::pair<int, int> TimelineModel::marksIn(int lane, qint64 fromNs, qint64 toNs) const
{
    const Lane &l = m_lanes[size_t(lane)];
    const auto first = std::lower_bound(l.marks.begin(), l.marks.end(), fromNs,
                                        [](const Mark &m, qint64 t) { return m.tNs < t; });
    const auto last = std::upper_bound(first, l.marks.end(), toNs,
                                       [](qint64 t, const Mark &m) { return t < m.tNs; });
    return {int(first - l.marks.begin()), int(last - l.marks.begin())};
}

int TimelineModel::openBandCount() const
{
    int open = 0;
    for (const Lane &lane : m_lanes) {
        if (!lane.bands.empty() && lane.bands.back().endNs == kOpen)
            ++open;
    }
    return open;
}
