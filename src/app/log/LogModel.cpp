#include "LogModel.h"

// STUB: to be implemented.
LogModel::LogModel(QObject *parent) : QAbstractTableModel(parent) {}
void LogModel::append(const QList<socklab::Event> &) {}
void LogModel::clear() {}
void LogModel::setCapacity(int) {}
int LogModel::capacity() const { return 0; }
const socklab::Event &LogModel::eventAt(int) const
{
    static socklab::Event e;
    return e;
}
int LogModel::rowCount(const QModelIndex &) const { return 0; }
int LogModel::columnCount(const QModelIndex &) const { return ColumnCount; }
QVariant LogModel::data(const QModelIndex &, int) const { return {}; }
QVariant LogModel::headerData(int, Qt::Orientation, int) const { return {}; }

LogFilterProxy::LogFilterProxy(QObject *parent) : QSortFilterProxyModel(parent) {}
void LogFilterProxy::setKindShown(socklab::EventKind, bool) {}
bool LogFilterProxy::isKindShown(socklab::EventKind) const { return true; }
void LogFilterProxy::setSocket(const QString &) {}
void LogFilterProxy::setText(const QString &) {}
bool LogFilterProxy::filterAcceptsRow(int, const QModelIndex &) const { return true; }
