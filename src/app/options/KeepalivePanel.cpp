#include "KeepalivePanel.h"

#include "ui_KeepalivePanel.h"

// STUB: to be implemented.
KeepalivePanel::KeepalivePanel(QWidget *parent) : QWidget(parent) {}
KeepalivePanel::~KeepalivePanel() = default;
void KeepalivePanel::writeTo(socklab::SocketOptions *) const {}
void KeepalivePanel::readFrom(const socklab::SocketOptions &) {}
void KeepalivePanel::showEffective(const socklab::Event &) {}
