#include "ReusePanel.h"

#include "ui_ReusePanel.h"

// STUB: to be implemented.
ReusePanel::ReusePanel(QWidget *parent) : QWidget(parent) {}
ReusePanel::~ReusePanel() = default;
void ReusePanel::writeTo(socklab::SocketOptions *) const {}
void ReusePanel::readFrom(const socklab::SocketOptions &) {}
void ReusePanel::showEffective(const socklab::Event &) {}
