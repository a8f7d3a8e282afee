#include "WireRow.h"

#include "TimelineStyle.h"
#include "WireTap.h"

#include <QFontMetrics>
#include <QPainter>

#include <algorithm>
#include <climits>
#include <cmath>

namespace {

// Segments closer than this (pixels) are one crowd: one label for them all.
constexpr double kCrowdPx = 5;
// How far from an arrow (pixels) the pointer still means it.
constexpr double kHitPx = 4;
// At most this many segments are listed in one tooltip.
constexpr int kTipLines = 8;

QString secs(qint64 tNs)
{
    return QString::number(tNs / 1e9, 'f', 6);
}

} // namespace

WireRow::WireRow(const WireBook &book, int wire, bool upperIsA, const Geometry &g)
    : m_book(book), m_wire(wire), m_upperIsA(upperIsA), m_g(g)
{
}

double WireRow::xForNs(qint64 tNs) const
{
    return m_g.plot.left() + (tNs / 1e9 - m_g.viewStartS) * m_g.pps;
}

qint64 WireRow::nsForX(double x) const
{
    return qint64(std::llround((m_g.viewStartS + (x - m_g.plot.left()) / m_g.pps) * 1e9));
}

double WireRow::railY(bool upper) const
{
    const int pad = std::max(4, QFontMetrics(m_g.font).height() / 3);
    return upper ? m_g.top + pad : m_g.top + m_g.height - pad - 1;
}

QString WireRow::endName(bool a) const
{
    const Wire &w = m_book.wire(m_wire);
    const QString &name = a ? w.nameA : w.nameB;
    const QString &address = a ? w.a : w.b;
    return name.isEmpty() ? address : QStringLiteral("%1 (%2)").arg(name, address);
}

QPointF WireRow::arrowAt(int segment) const
{
    const Wire &w = m_book.wire(m_wire);
    if (segment < 0 || segment >= int(w.segments.size()))
        return {};
    return {xForNs(w.segments[size_t(segment)].tNs), (railY(true) + railY(false)) / 2};
}

void WireRow::paint(QPainter &p) const
{
    const Wire &w = m_book.wire(m_wire);
    if (w.segments.empty())
        return;
    const QRect &plot = m_g.plot;
    const QPalette &pal = m_g.palette;
    const QFontMetrics fm(m_g.font);
    const double upperY = railY(true);
    const double lowerY = railY(false);
    const double midY = (upperY + lowerY) / 2;

    // The rails: the two ends, from the first segment seen between them to the last.
    const double r0 = std::max(xForNs(w.segments.front().tNs), plot.left() - 2.0);
    const double r1 = std::min(xForNs(w.segments.back().tNs), plot.right() + 2.0);
    if (r1 >= plot.left() && r0 <= plot.right()) {
        QColor rail = pal.color(QPalette::Mid);
        p.setPen(QPen(rail, 1));
        p.drawLine(QPointF(r0, upperY), QPointF(std::max(r1, r0 + 1), upperY));
        p.drawLine(QPointF(r0, lowerY), QPointF(std::max(r1, r0 + 1), lowerY));
    }

    const auto [first, last] =
        m_book.segmentsIn(m_wire, nsForX(plot.left() - 2.0), nsForX(plot.right() + 2.0));
    if (first >= last)
        return;
    QColor plain = pal.color(QPalette::Text);
    plain.setAlpha(170);
    const double head = std::max(4, fm.height() / 3);

    // The arrows, each from its sender's rail to its receiver's; one per pixel column and kind.
    int lastColumn = INT_MIN;
    bool lastDown = false;
    QRgb lastColour = 0;
    for (int i = first; i < last; ++i) {
        const WireSegment &s = w.segments[size_t(i)];
        const double x = xForNs(s.tNs);
        const bool down = s.fromA == m_upperIsA; // from the upper rail to the lower one
        const QColor colour = WireBook::colour(s, plain);
        const int column = int(std::floor(x));
        const bool middle = !s.via.isEmpty(); // from the router, on the way
        // Lost on the way, or not known yet to have arrived: it stops half-way.
        const bool halfWay = s.lost || m_book.onItsWay(s, m_g.nowNs);
        if (column == lastColumn && down == lastDown && colour.rgba() == lastColour && !middle &&
            !halfWay)
            continue;
        lastColumn = column;
        lastDown = down;
        lastColour = colour.rgba();
        const double y0 = middle ? midY : (down ? upperY : lowerY);
        const double y1 = halfWay ? midY : (down ? lowerY : upperY);
        if (s.lost) {
            // A shaft to the middle and a cross where it ended.
            const double c = head * 0.8;
            p.setPen(QPen(colour, WireBook::weight(s) >= 6 ? 2.0 : 1.2));
            p.drawLine(QPointF(x, y0), QPointF(x, y1));
            p.setPen(QPen(timelineStyle::kError, 2.0));
            p.drawLine(QPointF(x - c, y1 - c), QPointF(x + c, y1 + c));
            p.drawLine(QPointF(x - c, y1 + c), QPointF(x + c, y1 - c));
            continue;
        }
        timelineStyle::drawWireArrow(p, x, y0, y1, colour, WireBook::weight(s) >= 6 ? 2.0 : 1.2,
                                     head,
                                     middle       ? Qt::DashLine
                                     : s.more > 0 ? Qt::DotLine
                                                  : Qt::SolidLine);
    }

    // The labels: one per crowd, its most telling segment's, where there is room before the
    // next crowd.
    p.setFont(m_g.font);
    int i = first;
    while (i < last) {
        const double x0 = xForNs(w.segments[size_t(i)].tNs);
        int j = i;
        int count = w.segments[size_t(i)].more > 0 ? w.segments[size_t(i)].more : 1;
        int best = i;
        while (j + 1 < last && xForNs(w.segments[size_t(j + 1)].tNs) - x0 < kCrowdPx) {
            ++j;
            const WireSegment &s = w.segments[size_t(j)];
            count += s.more > 0 ? s.more : 1;
            if (WireBook::weight(s) > WireBook::weight(w.segments[size_t(best)]))
                best = j;
        }
        const double next =
            j + 1 < last ? xForNs(w.segments[size_t(j + 1)].tNs) : plot.right() + 1000.0;
        const WireSegment &b = w.segments[size_t(best)];
        const int own = b.more > 0 ? b.more : 1;
        QString text = WireBook::label(b);
        if (count > own)
            text += QStringLiteral(" +%1").arg(count - own);
        const double room = next - x0 - 6;
        if (fm.horizontalAdvance(text) > room)
            text = WireBook::label(b);
        if (fm.horizontalAdvance(text) <= room) {
            const QColor colour = WireBook::colour(b, pal.color(QPalette::Text));
            p.setPen(colour);
            const QRectF r(x0 + 3, upperY + 1, room, lowerY - upperY - 2);
            p.drawText(r, Qt::AlignLeft | Qt::AlignVCenter, text);
        }
        i = j + 1;
    }
}

void WireRow::paintNames(QPainter &p) const
{
    const Wire &w = m_book.wire(m_wire);
    const QFontMetrics fm(m_g.font);
    p.setFont(m_g.font);
    const int left = fm.height() / 2;
    const int width = m_g.gutter - fm.height();
    const auto name = [&](bool upper) {
        const bool a = upper == m_upperIsA;
        const QString n = a ? w.nameA : w.nameB;
        return n.isEmpty() ? tr("?") : n;
    };
    p.setPen(m_g.palette.color(QPalette::WindowText));
    for (const bool upper : {true, false}) {
        const QRectF r(left, railY(upper) - fm.height() / 2.0, width, fm.height());
        p.drawText(r, Qt::AlignRight | Qt::AlignVCenter,
                   fm.elidedText(name(upper), Qt::ElideRight, width));
    }
    if (m_g.height >= 3 * fm.height()) {
        p.setPen(m_g.palette.color(QPalette::PlaceholderText));
        const QRectF r(left, m_g.top + m_g.height / 2.0 - fm.height() / 2.0, width, fm.height());
        p.drawText(r, Qt::AlignRight | Qt::AlignVCenter, tr("wire ⇅"));
    }
}

QString WireRow::toolTip(const QPoint &pos) const
{
    const Wire &w = m_book.wire(m_wire);
    const auto [first, last] =
        m_book.segmentsIn(m_wire, nsForX(pos.x() - kHitPx), nsForX(pos.x() + kHitPx));
    if (pos.x() < m_g.plot.left() || first >= last) {
        qint64 seen = 0;
        for (const WireSegment &s : w.segments)
            seen += s.more > 0 ? s.more : 1;
        return tr("The wire between %1 and %2: each segment that passed between them on the "
                  "lab's links, an arrow from the end that sent it to the one it went to, drawn "
                  "at the moment it left (the kernel's timestamp of the frame on the sender's "
                  "link). The wire is watched at both hosts: an arrow that stops at a cross "
                  "was not seen arriving at the other host within %3 s (lost on the way); one "
                  "that stops half-way without a cross left less than that ago. %4 segment(s) "
                  "seen. File → Save capture keeps them all for Wireshark.")
            .arg(endName(m_upperIsA), endName(!m_upperIsA))
            .arg(socklab::WireTap::kLostAfterNs / 1e9)
            .arg(seen);
    }
    QStringList lines;
    for (int i = first; i < last && lines.size() < kTipLines; ++i) {
        const WireSegment &s = w.segments[size_t(i)];
        const QString to = endName(!s.fromA);
        if (s.icmp)
            lines << tr("%1 s  ICMP from %2 → %3: %4").arg(secs(s.tNs), s.via, to, s.detail);
        else if (!s.via.isEmpty())
            lines << tr("%1 s  the router (%2), in %3's name → %4: %5")
                         .arg(secs(s.tNs), s.via, endName(s.fromA), to, s.detail);
        else
            lines << tr("%1 s  %2 → %3: %4").arg(secs(s.tNs), endName(s.fromA), to, s.detail);
        if (!s.lostDetail.isEmpty())
            lines.last() += u' ' + s.lostDetail; // lost, or late after all
        else if (m_book.onItsWay(s, m_g.nowNs))
            lines.last() += u' ' + tr("Not known yet whether it arrived at the %1.").arg(s.toHost);
    }
    if (last - first > kTipLines)
        lines << tr("…and %1 more here: zoom in (Ctrl+wheel) to tell them apart.")
                     .arg(last - first - kTipLines);
    return lines.join(u'\n');
}
