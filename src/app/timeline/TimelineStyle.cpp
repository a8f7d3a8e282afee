#include "TimelineStyle.h"

#include <QPainter>
#include <QPen>

namespace timelineStyle {

void drawProbe(QPainter &p, QPointF at, double r, double thin, TimelineModel::ProbeResult result,
               const QPalette &pal)
{
    const double x = at.x(), y = at.y();
    const QPointF diamond[4] = {{x, y - r}, {x + r, y}, {x, y + r}, {x - r, y}};
    switch (result) {
    case TimelineModel::ProbeResult::Acked:
        p.setPen(QPen(kOk.darker(130), thin));
        p.setBrush(kOk);
        p.drawPolygon(diamond, 4);
        break;
    case TimelineModel::ProbeResult::Unanswered: {
        p.setPen(QPen(kTimeout, thin * 1.5));
        p.setBrush(pal.color(QPalette::Base));
        p.drawPolygon(diamond, 4);
        const double c = r * 0.4;
        p.drawLine(QPointF(x - c, y - c), QPointF(x + c, y + c));
        p.drawLine(QPointF(x - c, y + c), QPointF(x + c, y - c));
        break;
    }
    case TimelineModel::ProbeResult::Pending:
        p.setPen(QPen(pal.color(QPalette::Text), thin));
        p.setBrush(pal.color(QPalette::Base));
        p.drawPolygon(diamond, 4);
        break;
    }
}

void drawWireArrow(QPainter &p, double x, double y0, double y1, const QColor &colour, double width,
                   double head, Qt::PenStyle style)
{
    const double dir = y1 >= y0 ? 1 : -1;
    QPen pen(colour, width);
    pen.setStyle(style);
    p.setPen(pen);
    p.drawLine(QPointF(x, y0), QPointF(x, y1 - dir * head * 0.6));
    const QPointF tip[3] = {
        {x, y1}, {x - head / 2, y1 - dir * head}, {x + head / 2, y1 - dir * head}};
    p.setPen(Qt::NoPen);
    p.setBrush(colour);
    p.drawPolygon(tip, 3);
    p.setBrush(Qt::NoBrush);
}

} // namespace timelineStyle
