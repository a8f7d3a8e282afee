#pragma once

#include "TimelineModel.h"

#include <QColor>
#include <QPalette>
#include <QPointF>

class QPainter;

// What the timeline's marks look like, shared by the timeline and its legend so the legend
// shows exactly what the picture draws.
namespace timelineStyle {

// Outcome hues, the same in light and dark palettes; drawn as tints so the base shows through.
inline const QColor kOk(46, 160, 67);
inline const QColor kTimeout(240, 160, 0);
inline const QColor kError(218, 54, 51);
inline const QColor kGrey(140, 140, 140);
inline const QColor kPeerClosed(30, 144, 200);
inline const QColor kTimeWait(150, 90, 200);
inline const QColor kFault(200, 90, 30); // a fault of the network, behind the lanes
inline constexpr int kTintAlpha = 100;

inline QColor withAlpha(QColor c, int alpha)
{
    c.setAlpha(alpha);
    return c;
}

// A keepalive probe: a diamond of half-width r around `at`; filled green when ACKed, crossed
// and hollow when it went unanswered, hollow while its answer is pending.
void drawProbe(QPainter &p, QPointF at, double r, double thin, TimelineModel::ProbeResult result,
               const QPalette &pal);

// A segment on the wire: an upright arrow at x from y0 to y1 (its head at y1), `head` tall.
void drawWireArrow(QPainter &p, double x, double y0, double y1, const QColor &colour, double width,
                   double head, Qt::PenStyle style = Qt::SolidLine);

} // namespace timelineStyle
