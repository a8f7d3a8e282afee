#pragma once

#include "Event.h"

#include <QAbstractTableModel>
#include <QHash>
#include <QIcon>
#include <QSortFilterProxyModel>

#include <array>
#include <deque>
#include <memory>
#include <vector>

// The event log: a bounded ring of events, appended a batch at a time (one beginInsertRows
// per batch; evicted rows are removed properly first).
//
// A million events must fit in little memory and go in fast, so rows are stored compactly:
// the fields many events share (socket, op, mechanism, option, addresses, state, errno, ...)
// once per distinct combination (a "shape", reference-counted), the per-event numbers in a
// fixed-size row, and the per-event text (detail, data) in a byte store, Latin-1 when it
// fits. eventAt() rebuilds the full Event, losslessly.
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
    // Received payloads are kept for the newest events up to this many bytes in all; an older
    // payload is then released (its bytes stay counted, and payloadReleased() says so).
    static constexpr qint64 DefaultPayloadBudget = 64LL << 20;

    explicit LogModel(QObject *parent = nullptr);

    void append(const QList<socklab::Event> &batch);
    void clear();
    void setCapacity(int rows);
    int capacity() const;
    void setPayloadBudget(qint64 bytes);
    qint64 payloadBudget() const { return m_payloadBudget; }
    qint64 payloadBytesHeld() const { return m_payloadBytes; }
    // Whether the row's payload was kept when it arrived but released since for the budget.
    bool payloadReleased(int row) const;
    // The event of a row, rebuilt from storage (an empty Event out of range).
    socklab::Event eventAt(int row) const;
    // Cheap reads for filters: no Event is rebuilt.
    socklab::EventKind kindAt(int row) const;
    const QString &socketAt(int row) const;

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
    // What many events have in common, stored once.
    struct Shape
    {
        QString sock, op, mechanism, option, state, local, remote;
        QVariant requested, effective;
        QJsonObject extra;
        qint64 epochNs = 0; // monoNs - tNs: the bus's epoch
        double timeout = 0;
        int err = 0;
        int probe = 0;
        bool hasTimeout = false;
        bool timeoutNone = false;
        quint32 refs = 0; // rows using it; 0: free
        size_t hash = 0;
    };
    // One event: its own numbers, its shape, and where its text is. 56 bytes.
    struct Row
    {
        qint64 tNs;
        double wall;
        double elapsed; // valid with HasElapsed
        qint64 bytes;
        quint64 text; // offset of detail, then data, in m_text
        quint32 shape;
        quint32 detailLen; // characters
        quint32 dataLen;
        quint8 kind;
        quint8 flags;
    };
    enum RowFlag : quint8
    {
        HasElapsed = 1,
        DetailWide = 2, // stored as UTF-16, not Latin-1
        DataWide = 4,
        HasPayload = 8 // arrived with a kept payload (in m_payloads unless released)
    };
    // A row's payload, by the row's serial number (rows are numbered as they arrive).
    struct HeldPayload
    {
        quint64 serial;
        QByteArray bytes;
    };
    // Bytes appended at the back and released from the front in chunks, addressed by a
    // running offset so rows can point into it while old chunks are dropped.
    class TextStore
    {
      public:
        quint64 append(const QString &a, bool aWide, const QString &b, bool bWide);
        const char *at(quint64 offset) const;
        void dropBefore(quint64 offset);
        void clear();

      private:
        struct Chunk
        {
            quint64 start; // running offset of data[0]
            std::unique_ptr<char[]> data;
            size_t size;
            size_t used;
        };
        std::deque<Chunk> m_chunks;
        quint64 m_end = 0;
    };

    // Rows are dropped from the front and added at the back; a deque does both without
    // moving the survivors, and indexes in O(1).
    std::deque<Row> m_rows;
    std::vector<Shape> m_shapes;
    std::vector<quint32> m_freeShapes;
    QMultiHash<size_t, quint32> m_shapeIndex; // Shape::hash -> ids
    std::array<quint32, 4> m_recent{};        // shapes used last: most rows repeat them
    quint32 m_recentCount = 0;
    TextStore m_text;
    std::deque<HeldPayload> m_payloads; // by serial, oldest first
    quint64 m_firstSerial = 0;          // serial of m_rows.front()
    qint64 m_payloadBytes = 0;
    qint64 m_payloadBudget = DefaultPayloadBudget;
    int m_capacity = DefaultCapacity;
    mutable std::array<QIcon, 16> m_icons; // painted once per kind category, on first use

    quint32 shapeFor(const socklab::Event &e);
    void releaseShape(quint32 id);
    const Shape &shapeAt(int row) const { return m_shapes[m_rows[size_t(row)].shape]; }
    QString detailAt(const Row &r) const;
    QString dataAt(const Row &r) const;
    QIcon iconFor(socklab::EventKind kind) const;
    void removeOldest(int count);
    void holdPayload(quint64 serial, const QByteArray &bytes);
    void trimPayloads();
    const HeldPayload *payloadOf(int row) const;
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
