#pragma once

#include "TimelineWire.h"

#include <QCoreApplication>
#include <QFont>
#include <QPalette>
#include <QPointF>
#include <QRect>

class QPainter;

// One wire of the timeline drawn as a sequence diagram: two rails, the upper one for the end
// whose lane it sits under, and each segment an arrow from its sender's rail to its
// receiver's at the time its frame was captured; a crowd of segments too close to tell apart
// is labelled by its most telling one ("SYN +2"). Also answers the row's tooltips.
class WireRow
{
    Q_DECLARE_TR_FUNCTIONS(WireRow)
  public:
    struct Geometry
    {
        QRect plot;            // the timeline's plot area
        int top = 0;           // the row's top, widget coordinates
        int height = 0;        // the row's height
        int gutter = 0;        // the label column's width
        double viewStartS = 0; // seconds at the plot's left edge
        double pps = 100;      // pixels per second
        QFont font;            // the small font the row writes with
        QPalette palette;
        qint64 nowNs = 0; // the experiment's now: a segment sent just before may be on its way
    };

    // `upperIsA`: end A (the one that sent first) is on the upper rail.
    WireRow(const WireBook &book, int wire, bool upperIsA, const Geometry &g);

    void paint(QPainter &p) const;
    // The two ends' names at their rails, in the label column.
    void paintNames(QPainter &p) const;
    // The segments at a point of the row (their sentences and times), or what the row is.
    QString toolTip(const QPoint &pos) const;
    // Where the arrow of a segment is drawn (the middle of its shaft), in widget coordinates.
    QPointF arrowAt(int segment) const;

  private:
    double xForNs(qint64 tNs) const;
    qint64 nsForX(double x) const;
    double railY(bool upper) const;
    QString endName(bool a) const;

    const WireBook &m_book;
    int m_wire;
    bool m_upperIsA;
    Geometry m_g;
};
