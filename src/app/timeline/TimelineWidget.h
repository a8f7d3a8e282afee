#pragma once

#include "Event.h"

#include <QWidget>

#include <functional>

// A picture of the experiment over time: one lane per socket; calls as bars from start to
// return, a running deadline as a bar filling toward its timeout, keepalive probes as marks
// (acked and unanswered distinct), the moment a peer is declared dead. Follows live time and
// zooms (Ctrl+wheel, zoomIn/zoomOut).
class TimelineWidget : public QWidget
{
    Q_OBJECT
public:
    explicit TimelineWidget(QWidget *parent = nullptr);
    ~TimelineWidget() override;

    void append(const QList<socklab::Event> &batch);
    // "Now" in the experiment's time (ns since its epoch), for calls still running.
    void setClock(std::function<qint64()> nowNs);
    double pixelsPerSecond() const;

public slots:
    void clear();
    void zoomIn();
    void zoomOut();
    void setPixelsPerSecond(double pps);
    void setFollowLive(bool follow);
};
