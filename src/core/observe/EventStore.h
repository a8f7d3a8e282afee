#pragma once

#include "Event.h"

#include <QHash>
#include <QList>

#include <array>
#include <deque>
#include <memory>
#include <vector>

namespace socklab {

// A bounded ring of events, stored compactly and given back losslessly: the window's log
// stands on it, and nothing in it needs a GUI.
//
// A million events must fit in little memory and go in fast, so rows are stored compactly:
// the fields many events share (socket, op, mechanism, option, addresses, state, errno, run,
// ...) once per distinct combination (a "shape", reference-counted), the per-event numbers
// (times, bytes, seq) in a fixed-size row, and the per-event text (detail, data) in a byte
// store, Latin-1 when it fits. Received payloads are kept for the newest events within a
// byte budget; an older one is released and its bytes stay counted.
class EventStore
{
  public:
    static constexpr int DefaultCapacity = 1000000;
    static constexpr qint64 DefaultPayloadBudget = 64LL << 20;

    int size() const { return int(m_rows.size()); }

    // Appends a batch, dropping the oldest events first where the ring is full (a batch
    // larger than the ring keeps only its own newest events).
    void append(const QList<Event> &batch);
    // The same in two steps, for a model that announces each: how many of the oldest must go
    // (removeOldest) and how many of the batch's first events are skipped (appendFrom).
    struct Plan
    {
        int evict = 0;
        qsizetype skip = 0;
        int incoming = 0;
    };
    Plan plan(qsizetype batchSize) const;
    void appendFrom(const QList<Event> &batch, qsizetype skip);
    void removeOldest(int count);
    void clear();

    void setCapacity(int rows); // at least 1; the oldest go at once if there are more
    int capacity() const { return m_capacity; }
    void setPayloadBudget(qint64 bytes);
    qint64 payloadBudget() const { return m_payloadBudget; }
    qint64 payloadBytesHeld() const { return m_payloadBytes; }
    // Whether the row's payload was kept when it arrived but released since for the budget.
    bool payloadReleased(int row) const;

    // The event of a row, rebuilt from storage (an empty Event out of range).
    Event at(int row) const;
    // Cheap reads: no Event is rebuilt. Out of range: Info, empty, 0.
    EventKind kindAt(int row) const;
    const QString &socketAt(int row) const;
    const QString &opAt(int row) const;
    int errAt(int row) const;
    qint64 timeNsAt(int row) const;
    quint64 runAt(int row) const;
    quint64 seqAt(int row) const;

  private:
    // What many events have in common, stored once.
    struct Shape
    {
        QString sock, op, mechanism, option, state, local, remote;
        QVariant requested, effective;
        QJsonObject extra;
        qint64 epochNs = 0; // monoNs - tNs: the bus's epoch
        quint64 run = 0;
        double timeout = 0;
        int err = 0;
        int probe = 0;
        bool hasTimeout = false;
        bool timeoutNone = false;
        quint32 refs = 0; // rows using it; 0: free
        size_t hash = 0;
    };
    // One event: its own numbers, its shape, and where its text is. 64 bytes.
    struct Row
    {
        qint64 tNs;
        double wall;
        double elapsed; // valid with HasElapsed
        qint64 bytes;
        quint64 text; // offset of detail, then data, in m_text
        quint64 seq;
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

    bool inRange(int row) const { return row >= 0 && row < int(m_rows.size()); }
    quint32 shapeFor(const Event &e);
    void releaseShape(quint32 id);
    const Shape &shapeAt(int row) const { return m_shapes[m_rows[size_t(row)].shape]; }
    QString detailOf(const Row &r) const;
    QString dataOf(const Row &r) const;
    void holdPayload(quint64 serial, const QByteArray &bytes);
    void trimPayloads();
    const HeldPayload *payloadOf(int row) const;

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
};

} // namespace socklab
