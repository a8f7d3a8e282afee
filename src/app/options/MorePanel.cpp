#include "MorePanel.h"

#include "ui_MorePanel.h"

// STUB: to be implemented.
MorePanel::MorePanel(QWidget *parent) : QWidget(parent) {}
MorePanel::~MorePanel() = default;
void MorePanel::writeTo(socklab::SocketOptions *) const {}
void MorePanel::readFrom(const socklab::SocketOptions &) {}
void MorePanel::showEffective(const socklab::Event &) {}
