#pragma once

#include "Event.h"

#include <QAbstractTableModel>
#include <QSortFilterProxyModel>

// The event log: a bounded ring of events, appended a batch at a time (one beginInsertRows
// per batch; evicted rows are removed properly first).
class LogModel : public QAbstractTableModel
{
    Q_OBJECT
public:
    enum Column { Time, Socket, Kind, Op, Errno, Detail, ColumnCount };
    enum Role { KindRole = Qt::UserRole + 1, SocketRole };

    explicit LogModel(QObject *parent = nullptr);

    void append(const QList<socklab::Event> &batch);
    void clear();
    void setCapacity(int rows);
    int capacity() const;
    const socklab::Event &eventAt(int row) const;

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation o, int role = Qt::DisplayRole) const override;
};

// Filters the log by kind, socket and free text.
class LogFilterProxy : public QSortFilterProxyModel
{
    Q_OBJECT
public:
    explicit LogFilterProxy(QObject *parent = nullptr);
    void setKindShown(socklab::EventKind kind, bool shown);
    bool isKindShown(socklab::EventKind kind) const;
    void setSocket(const QString &sock); // empty: all
    void setText(const QString &text);   // case-insensitive, in any column

protected:
    bool filterAcceptsRow(int row, const QModelIndex &parent) const override;
};
