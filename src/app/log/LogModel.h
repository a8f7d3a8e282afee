#pragma once

#include "Event.h"
#include "EventStore.h"

#include <QAbstractTableModel>
#include <QHash>
#include <QIcon>
#include <QSortFilterProxyModel>

#include <array>

// The event log as a table: the rows of an EventStore (a bounded ring of compactly stored
// events), appended a batch at a time (one beginInsertRows per batch; evicted rows are removed
// properly first). Text is built only when a row is shown.
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

    static constexpr int DefaultCapacity = socklab::EventStore::DefaultCapacity;
    // Received payloads are kept for the newest events up to this many bytes in all; an older
    // payload is then released (its bytes stay counted, and payloadReleased() says so).
    static constexpr qint64 DefaultPayloadBudget = socklab::EventStore::DefaultPayloadBudget;

    explicit LogModel(QObject *parent = nullptr);

    void append(const QList<socklab::Event> &batch);
    void clear();
    void setCapacity(int rows);
    int capacity() const { return m_store.capacity(); }
    void setPayloadBudget(qint64 bytes) { m_store.setPayloadBudget(bytes); }
    qint64 payloadBudget() const { return m_store.payloadBudget(); }
    qint64 payloadBytesHeld() const { return m_store.payloadBytesHeld(); }
    // Whether the row's payload was kept when it arrived but released since for the budget.
    bool payloadReleased(int row) const { return m_store.payloadReleased(row); }
    // The event of a row, rebuilt from storage (an empty Event out of range).
    socklab::Event eventAt(int row) const { return m_store.at(row); }
    // Cheap reads for filters: no Event is rebuilt.
    socklab::EventKind kindAt(int row) const { return m_store.kindAt(row); }
    const QString &socketAt(int row) const { return m_store.socketAt(row); }

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
    socklab::EventStore m_store;
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
