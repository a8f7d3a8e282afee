#include "TimelineWidget.h"

// STUB: to be implemented.
TimelineWidget::TimelineWidget(QWidget *parent) : QWidget(parent) {}
TimelineWidget::~TimelineWidget() = default;
void TimelineWidget::append(const QList<socklab::Event> &) {}
void TimelineWidget::setClock(std::function<qint64()>) {}
double TimelineWidget::pixelsPerSecond() const { return 100; }
void TimelineWidget::clear() {}
void TimelineWidget::zoomIn() {}
void TimelineWidget::zoomOut() {}
void TimelineWidget::setPixelsPerSecond(double) {}
void TimelineWidget::setFollowLive(bool) {}
