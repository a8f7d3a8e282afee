#include "TimeoutPanel.h"

#include "ui_TimeoutPanel.h"

// STUB: to be implemented.
TimeoutPanel::TimeoutPanel(QWidget *parent) : QWidget(parent) {}
TimeoutPanel::~TimeoutPanel() = default;
void TimeoutPanel::writeTo(socklab::SocketOptions *) const {}
void TimeoutPanel::readFrom(const socklab::SocketOptions &) {}
void TimeoutPanel::showEffective(const socklab::Event &) {}
