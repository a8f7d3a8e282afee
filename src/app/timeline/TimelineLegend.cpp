#include "TimelineLegend.h"

#include "TimelineModel.h"
#include "TimelineStyle.h"

#include <QEvent>
#include <QPainter>
#include <QResizeEvent>

using namespace timelineStyle;

namespace {
// About the narrowest the timeline gets in the window at 1280 px wide (the panels and the
// lessons beside it).
constexpr int kNarrowestViews = 560;
} // namespace

TimelineLegend::TimelineLegend(QWidget *parent) : QWidget(parent)
{
    using M = TimelineModel;
    m_entries = {
        {Glyph::Returned, tr("call returned"), M::DrawnReturned},
        {Glyph::TimedOut, tr("timed out"), M::DrawnTimedOut},
        {Glyph::Failed, tr("failed (errno)"), M::DrawnFailed},
        {Glyph::Cancelled, tr("cancelled"), M::DrawnCancelled},
        {Glyph::PeerClosed, tr("peer closed (FIN)"), M::DrawnPeerClosed},
        {Glyph::NoTimeout, tr("no timeout: waits until…"), M::DrawnNoTimeout},
        {Glyph::ProbeAcked, tr("keepalive probe, ACKed"), M::DrawnProbeAcked},
        {Glyph::ProbeUnanswered, tr("probe unanswered"), M::DrawnProbeUnanswered},
        {Glyph::PeerDead, tr("peer declared dead"), M::DrawnPeerDead},
        {Glyph::Resend, tr("SYN or data sent again"), M::DrawnResend},
        {Glyph::TimeWait, tr("TIME_WAIT"), M::DrawnTimeWait},
        {Glyph::Stop, tr("Stop, plug pulled"), M::DrawnStop},
        {Glyph::Fault, tr("fault of the network"), M::DrawnFault},
        {Glyph::OptionChanged, tr("option changed"), M::DrawnOptionChanged},
        {Glyph::KeepaliveTimer, tr("keepalive idle / interval"), M::DrawnKeepaliveTimer},
        {Glyph::WireSegment, tr("segment on the wire"), M::DrawnWireSegment},
        {Glyph::WireResent, tr("sent again (wire)"), M::DrawnWireResent},
        {Glyph::WireKeepalive, tr("keepalive probe, ACK (wire)"), M::DrawnWireKeepalive},
        {Glyph::WireReset, tr("RST, ICMP error (wire)"), M::DrawnWireReset},
        {Glyph::WireLost, tr("lost on the way (wire)"), M::DrawnWireLost},
    };
    setToolTip(tr("What the timeline draws. Each lane is one socket: c1, c2 the clients "
                  "(Connect), L1 a listener (Listen), a1 a connection it accepted, peer the "
                  "built-in peer's listener and peer1 the connection it accepted. In the lab, "
                  "the wire under a connection's lane shows each TCP segment between its two "
                  "ends as an arrow from sender to receiver. Hover over a bar, a mark or an "
                  "arrow for its numbers."));
    setSizePolicy(QSizePolicy::Preferred, QSizePolicy::Fixed);
}

QStringList TimelineLegend::entries() const
{
    QStringList out;
    for (const Entry &e : m_entries)
        out << e.text;
    return out;
}

void TimelineLegend::setDrawn(quint32 drawn)
{
    if (drawn == m_drawn)
        return;
    m_drawn = drawn;
    updateGeometry();
    update();
}

QList<TimelineLegend::Entry> TimelineLegend::shown() const
{
    QList<Entry> out;
    for (const Entry &e : m_entries) {
        if (m_drawn & e.drawn)
            out << e;
    }
    return out;
}

QStringList TimelineLegend::shownEntries() const
{
    QStringList out;
    for (const Entry &e : shown())
        out << e.text;
    return out;
}

int TimelineLegend::glyphWidth() const
{
    return fontMetrics().height() * 2;
}

int TimelineLegend::layout(int width, QList<QPoint> *at) const
{
    const QFontMetrics fm = fontMetrics();
    const int gap = fm.height();
    const int rowHeight = fm.height() + 4;
    const QList<Entry> entries = shown();
    if (entries.isEmpty())
        return 0; // nothing drawn yet: nothing to explain
    int x = 0, y = 2;
    for (const Entry &e : entries) {
        const int w = glyphWidth() + 4 + fm.horizontalAdvance(e.text);
        if (x > 0 && x + w > width) { // wrap: the entry goes to the next row whole
            x = 0;
            y += rowHeight;
        }
        if (at)
            *at << QPoint(x, y);
        x += w + gap;
    }
    return y + rowHeight;
}

int TimelineLegend::heightForWidth(int width) const
{
    return layout(std::max(1, width), nullptr);
}

QSize TimelineLegend::sizeHint() const
{
    const int w = 900;
    return QSize(w, heightForWidth(w));
}

QSize TimelineLegend::minimumSizeHint() const
{
    // Never wider than one entry: it wraps instead of widening the window; and no taller than
    // it is at the width it has (the narrowest the views get, before it is laid out), so it
    // does not make the window taller either.
    return QSize(glyphWidth() * 4,
                 heightForWidth(width() > kNarrowestViews ? width() : kNarrowestViews));
}

void TimelineLegend::resizeEvent(QResizeEvent *e)
{
    // Its minimum height follows its width: tell the layout when the rows change.
    if (heightForWidth(e->size().width()) != heightForWidth(e->oldSize().width()))
        updateGeometry();
    QWidget::resizeEvent(e);
}

void TimelineLegend::changeEvent(QEvent *e)
{
    if (e->type() == QEvent::FontChange)
        updateGeometry();
    QWidget::changeEvent(e);
}

void TimelineLegend::paintGlyph(QPainter &p, Glyph g, const QRectF &r) const
{
    const QPalette &pal = palette();
    const double thin = std::max(1.0, r.height() / 12.0);
    const double mid = r.center().y();
    const auto bar = [&](const QColor &c) {
        const QRectF b = r.adjusted(0, r.height() * 0.15, 0, -r.height() * 0.15);
        p.fillRect(b, withAlpha(c, kTintAlpha));
        p.setPen(QPen(c, 1));
        p.setBrush(Qt::NoBrush);
        p.drawRect(b.adjusted(0.5, 0.5, -0.5, -0.5));
    };
    switch (g) {
    case Glyph::Returned:
        bar(kOk);
        break;
    case Glyph::TimedOut:
        bar(kTimeout);
        break;
    case Glyph::Failed:
        bar(kError);
        break;
    case Glyph::Cancelled:
        bar(kGrey);
        break;
    case Glyph::PeerClosed:
        bar(kPeerClosed);
        break;
    case Glyph::NoTimeout: {
        const QRectF b = r.adjusted(0, r.height() * 0.15, -r.height() * 0.4, -r.height() * 0.15);
        p.fillRect(b, withAlpha(pal.color(QPalette::Highlight), 50));
        p.fillRect(b, QBrush(withAlpha(pal.color(QPalette::Highlight), 150), Qt::BDiagPattern));
        const QPointF arrow[3] = {{b.right(), b.top()}, {r.right(), mid}, {b.right(), b.bottom()}};
        p.setPen(Qt::NoPen);
        p.setBrush(pal.color(QPalette::Highlight));
        p.drawPolygon(arrow, 3);
        break;
    }
    case Glyph::ProbeAcked:
        drawProbe(p, r.center(), r.height() * 0.42, thin, TimelineModel::ProbeResult::Acked, pal);
        break;
    case Glyph::ProbeUnanswered:
        drawProbe(p, r.center(), r.height() * 0.42, thin, TimelineModel::ProbeResult::Unanswered,
                  pal);
        break;
    case Glyph::PeerDead:
        p.setPen(QPen(kError, std::max(3.0, r.height() / 5.0)));
        p.drawLine(QPointF(r.center().x(), r.top()), QPointF(r.center().x(), r.bottom()));
        break;
    case Glyph::Resend:
        p.setPen(QPen(kTimeout, thin * 1.5));
        p.drawLine(QPointF(r.center().x(), r.top() + 2), QPointF(r.center().x(), r.bottom() - 2));
        break;
    case Glyph::TimeWait:
        p.fillRect(r, withAlpha(kTimeWait, 40));
        p.fillRect(r, QBrush(withAlpha(kTimeWait, 130), Qt::BDiagPattern));
        break;
    case Glyph::Fault:
        p.fillRect(r, withAlpha(kFault, 28));
        p.fillRect(r, QBrush(withAlpha(kFault, 90), Qt::Dense6Pattern));
        p.setPen(QPen(kFault, 2));
        p.drawLine(QPointF(r.left() + 1, r.top()), QPointF(r.left() + 1, r.bottom()));
        break;
    case Glyph::Stop:
        p.setPen(QPen(kError, std::max(2.0, r.height() / 8.0), Qt::DashLine));
        p.drawLine(QPointF(r.center().x(), r.top()), QPointF(r.center().x(), r.bottom()));
        break;
    case Glyph::OptionChanged: {
        const QColor c = palette().color(QPalette::Highlight);
        const double x = r.left() + r.width() / 3;
        p.setPen(QPen(c, std::max(1.5, r.height() / 10.0)));
        p.drawLine(QPointF(x, r.top()), QPointF(x, r.bottom()));
        p.setBrush(c);
        p.drawRect(QRectF(x, r.top(), r.width() / 2, r.height() / 3));
        p.setBrush(Qt::NoBrush);
        break;
    }
    case Glyph::KeepaliveTimer: {
        p.setPen(QPen(palette().color(QPalette::Mid), std::max(1.0, r.height() / 12.0)));
        const double y = r.center().y();
        p.drawLine(QPointF(r.left(), y), QPointF(r.right(), y));
        p.drawLine(QPointF(r.left(), y - r.height() / 4), QPointF(r.left(), y + r.height() / 4));
        p.drawLine(QPointF(r.right(), y - r.height() / 4), QPointF(r.right(), y + r.height() / 4));
        break;
    }
    case Glyph::WireSegment:
    case Glyph::WireResent:
    case Glyph::WireKeepalive:
    case Glyph::WireReset: {
        // Two rails and an arrow between them, as the wire draws a segment.
        QColor plain = palette().color(QPalette::Text);
        plain.setAlpha(170);
        const QColor colour = g == Glyph::WireResent      ? kTimeout
                              : g == Glyph::WireKeepalive ? kOk
                              : g == Glyph::WireReset     ? kError
                                                          : plain;
        p.setPen(QPen(palette().color(QPalette::Mid), 1));
        p.drawLine(QPointF(r.left(), r.top() + 1), QPointF(r.right(), r.top() + 1));
        p.drawLine(QPointF(r.left(), r.bottom() - 1), QPointF(r.right(), r.bottom() - 1));
        drawWireArrow(p, r.center().x(), r.top() + 1, r.bottom() - 1, colour,
                      std::max(1.5, r.height() / 10.0), std::max(4.0, r.height() / 3.0));
        break;
    }
    case Glyph::WireLost: {
        // A shaft that stops half-way, at a cross.
        QColor plain = palette().color(QPalette::Text);
        plain.setAlpha(170);
        const double x = r.center().x();
        const double mid = r.center().y();
        const double c = std::max(3.0, r.height() / 5.0);
        p.setPen(QPen(palette().color(QPalette::Mid), 1));
        p.drawLine(QPointF(r.left(), r.top() + 1), QPointF(r.right(), r.top() + 1));
        p.drawLine(QPointF(r.left(), r.bottom() - 1), QPointF(r.right(), r.bottom() - 1));
        p.setPen(QPen(plain, std::max(1.5, r.height() / 10.0)));
        p.drawLine(QPointF(x, r.top() + 1), QPointF(x, mid));
        p.setPen(QPen(kError, 2.0));
        p.drawLine(QPointF(x - c, mid - c), QPointF(x + c, mid + c));
        p.drawLine(QPointF(x - c, mid + c), QPointF(x + c, mid - c));
        break;
    }
    }
}

void TimelineLegend::paintEvent(QPaintEvent *)
{
    QPainter p(this);
    p.setRenderHint(QPainter::Antialiasing, true);
    QList<QPoint> at;
    layout(width(), &at);
    const QFontMetrics fm = fontMetrics();
    const QList<Entry> entries = shown();
    for (qsizetype i = 0; i < entries.size() && i < at.size(); ++i) {
        const QPoint o = at.at(i);
        const QRectF glyph(o.x(), o.y(), glyphWidth(), fm.height());
        paintGlyph(p, entries[i].glyph, glyph);
        p.setPen(palette().color(QPalette::WindowText));
        p.drawText(QPointF(glyph.right() + 4, o.y() + fm.ascent()), entries[i].text);
    }
}
