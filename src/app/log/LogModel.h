#pragma once

#include "Event.h"

#include <QAbstractTableModel>
#include <QIcon>
#include <QSortFilterProxyModel>

#include <array>
#include <deque>

// The event log: a bounded ring of events, appended a batch at a time (one beginInsertRows
// per batch; evicted rows are removed properly first).
class LogModel : public QAbstractTableModel
{
    Q_OBJECT
  public:
    enum Column
    {
        Time,
        Socket,
        Kind,
        Op,
        Errno,
        Detail,
        ColumnCount
    };
    enum Role
    {
        KindRole = Qt::UserRole + 1,
        SocketRole
    };

    static constexpr int DefaultCapacity = 1000000;

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

    // The text a column displays for a row, as data(DisplayRole) returns it.
    QString displayText(int row, int column) const;
    // Whether any column's display text contains needle, case-insensitively. Cheaper than
    // asking data() for every column: it skips columns that cannot match.
    bool rowContains(int row, const QString &needle) const;
    // The Detail column: "SO_RCVBUF requested 10000 → effective 20000", or a call's elapsed,
    // timeout, bytes and data, then the event's own sentence.
    static QString detailSummary(const socklab::Event &e);

  private:
    // Rows are dropped from the front and added at the back; a deque does both without
    // moving the survivors, and indexes in O(1).
    std::deque<socklab::Event> m_events;
    int m_capacity = DefaultCapacity;
    mutable std::array<QIcon, 16> m_icons; // painted once per kind category, on first use

    QIcon iconFor(socklab::EventKind kind) const;
    void removeOldest(int count);
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

    // Several kinds at once, with one re-filter instead of one per kind.
    void setKindsShown(const QList<socklab::EventKind> &kinds, bool shown);
    void showAllKinds();
    QString socket() const { return m_socket; }
    QString text() const { return m_text; }

    void setSourceModel(QAbstractItemModel *model) override;

  protected:
    bool filterAcceptsRow(int row, const QModelIndex &parent) const override;

  private:
    quint64 m_hiddenKinds = 0; // bit n set: EventKind n hidden
    QString m_socket;
    QString m_text;
    LogModel *m_log = nullptr; // the source, when it is a LogModel: read events directly
};
