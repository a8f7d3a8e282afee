#include "SocketTableModel.h"
SocketTableModel::SocketTableModel(QObject *parent) : QAbstractTableModel(parent) {}
