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

} // namespace timelineStyle
