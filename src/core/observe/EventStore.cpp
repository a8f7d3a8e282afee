#include "EventStore.h"

#include <algorithm>
#include <cstring>

namespace socklab {

namespace {

constexpr size_t kTextChunk = 64 * 1024;

bool fitsLatin1(const QString &s)
{
    return std::all_of(s.cbegin(), s.cend(), [](QChar c) { return c.unicode() < 0x100; });
}

size_t storedBytes(const QString &s, bool wide)
{
    return size_t(s.size()) * (wide ? 2 : 1);
}

void store(char *to, const QString &s, bool wide)
{
    if (wide) {
        std::memcpy(to, s.constData(), storedBytes(s, true));
        return;
    }
    for (QChar c : s)
        *to++ = char(c.unicode());
}

QString load(const char *from, quint32 length, bool wide)
{
    if (!length)
        return {};
    if (!wide)
        return QString::fromLatin1(from, qsizetype(length));
    QString s(qsizetype(length), Qt::Uninitialized);
    std::memcpy(s.data(), from, size_t(length) * 2);
    return s;
}

// Exact equality, type included: a bool true and an int 1 read back differently in the
// exports, so they are different shapes.
bool sameVariant(const QVariant &a, const QVariant &b)
{
    return a.metaType() == b.metaType() && a == b;
}

size_t variantHash(const QVariant &v)
{
    return v.isValid() ? qHashMulti(0, v.metaType().id(), v.toString()) : 0;
}

} // namespace

quint64 EventStore::TextStore::append(const QString &a, bool aWide, const QString &b, bool bWide)
{
    const size_t na = storedBytes(a, aWide), nb = storedBytes(b, bWide);
    if (na + nb == 0)
        return m_end;
    if (m_chunks.empty() || m_chunks.back().size - m_chunks.back().used < na + nb) {
        const size_t size = std::max(kTextChunk, na + nb);
        m_chunks.push_back({m_end, std::make_unique<char[]>(size), size, 0});
    }
    Chunk &c = m_chunks.back();
    const quint64 offset = m_end;
    store(c.data.get() + c.used, a, aWide);
    store(c.data.get() + c.used + na, b, bWide);
    c.used += na + nb;
    m_end += na + nb;
    return offset;
}

const char *EventStore::TextStore::at(quint64 offset) const
{
    // The last chunk starting at or before offset holds it (texts never straddle chunks).
    auto it = std::upper_bound(m_chunks.cbegin(), m_chunks.cend(), offset,
                               [](quint64 o, const Chunk &c) { return o < c.start; });
    if (it == m_chunks.cbegin())
        return nullptr;
    --it;
    return it->data.get() + (offset - it->start);
}

void EventStore::TextStore::dropBefore(quint64 offset)
{
    while (m_chunks.size() > 1 && m_chunks[1].start <= offset)
        m_chunks.pop_front();
}

void EventStore::TextStore::clear()
{
    std::deque<Chunk>().swap(m_chunks);
    m_end = 0;
}

quint32 EventStore::shapeFor(const Event &e)
{
    const qint64 epoch = e.monoNs - e.tNs;
    const bool hasTimeout = e.timeout.has_value();
    const double timeout = e.timeout.value_or(0);
    const auto same = [&](const Shape &s) {
        return s.refs && s.epochNs == epoch && s.run == e.run && s.err == e.err &&
               s.probe == e.probe && s.hasTimeout == hasTimeout && s.timeout == timeout &&
               s.timeoutNone == e.timeoutNone && s.sock == e.sock && s.op == e.op &&
               s.mechanism == e.mechanism && s.option == e.option && s.state == e.state &&
               s.local == e.local && s.remote == e.remote &&
               sameVariant(s.requested, e.requested) && sameVariant(s.effective, e.effective) &&
               s.extra == e.extra;
    };
    // A flood repeats a handful of shapes: try the ones used last before hashing.
    for (quint32 i = 0; i < m_recentCount; ++i) {
        const quint32 id = m_recent[i];
        if (same(m_shapes[id])) {
            std::rotate(m_recent.begin(), m_recent.begin() + i, m_recent.begin() + i + 1);
            return id;
        }
    }
    const size_t hash =
        qHashMulti(qHashMulti(0, e.sock, e.op, e.mechanism, e.option, e.state, e.local, e.remote),
                   epoch, e.run, e.err, e.probe, hasTimeout, timeout, e.timeoutNone,
                   variantHash(e.requested), variantHash(e.effective));
    quint32 id = 0;
    bool found = false;
    for (auto it = m_shapeIndex.constFind(hash); it != m_shapeIndex.cend() && it.key() == hash;
         ++it) {
        if (same(m_shapes[it.value()])) {
            id = it.value();
            found = true;
            break;
        }
    }
    if (!found) {
        Shape s;
        s.sock = e.sock;
        s.op = e.op;
        s.mechanism = e.mechanism;
        s.option = e.option;
        s.state = e.state;
        s.local = e.local;
        s.remote = e.remote;
        s.requested = e.requested;
        s.effective = e.effective;
        s.extra = e.extra;
        s.epochNs = epoch;
        s.run = e.run;
        s.timeout = timeout;
        s.hasTimeout = hasTimeout;
        s.timeoutNone = e.timeoutNone;
        s.err = e.err;
        s.probe = e.probe;
        s.hash = hash;
        if (!m_freeShapes.empty()) {
            id = m_freeShapes.back();
            m_freeShapes.pop_back();
            m_shapes[id] = std::move(s);
        } else {
            id = quint32(m_shapes.size());
            m_shapes.push_back(std::move(s));
        }
        m_shapeIndex.insert(hash, id);
    }
    if (m_recentCount < m_recent.size())
        ++m_recentCount;
    std::copy_backward(m_recent.begin(), m_recent.begin() + m_recentCount - 1,
                       m_recent.begin() + m_recentCount);
    m_recent[0] = id;
    return id;
}

void EventStore::releaseShape(quint32 id)
{
    Shape &s = m_shapes[id];
    if (--s.refs)
        return;
    m_shapeIndex.remove(s.hash, id);
    s = Shape(); // gives its strings back
    m_freeShapes.push_back(id);
    m_recentCount = 0; // it may be among them
}

QString EventStore::detailOf(const Row &r) const
{
    if (!r.detailLen)
        return {};
    return load(m_text.at(r.text), r.detailLen, r.flags & DetailWide);
}

QString EventStore::dataOf(const Row &r) const
{
    if (!r.dataLen)
        return {};
    const size_t skip = size_t(r.detailLen) * ((r.flags & DetailWide) ? 2 : 1);
    return load(m_text.at(r.text) + skip, r.dataLen, r.flags & DataWide);
}

EventStore::Plan EventStore::plan(qsizetype batchSize) const
{
    Plan p;
    p.skip = std::max<qsizetype>(0, batchSize - m_capacity);
    p.incoming = int(batchSize - p.skip);
    p.evict = std::clamp(int(m_rows.size()) + p.incoming - m_capacity, 0, int(m_rows.size()));
    return p;
}

void EventStore::append(const QList<Event> &batch)
{
    const Plan p = plan(batch.size());
    removeOldest(p.evict);
    appendFrom(batch, p.skip);
}

void EventStore::appendFrom(const QList<Event> &batch, qsizetype skip)
{
    for (qsizetype i = skip; i < batch.size(); ++i) {
        const Event &e = batch.at(i);
        Row r;
        r.tNs = e.tNs;
        r.wall = e.wall;
        r.elapsed = e.elapsed.value_or(0);
        r.bytes = e.bytes;
        r.seq = e.seq;
        r.kind = quint8(e.kind);
        const bool detailWide = !fitsLatin1(e.detail);
        const bool dataWide = !fitsLatin1(e.data);
        r.flags = quint8((e.elapsed ? HasElapsed : 0) | (detailWide ? DetailWide : 0) |
                         (dataWide ? DataWide : 0));
        r.detailLen = quint32(e.detail.size());
        r.dataLen = quint32(e.data.size());
        r.text = m_text.append(e.detail, detailWide, e.data, dataWide);
        r.shape = shapeFor(e);
        ++m_shapes[r.shape].refs;
        if (e.payloadKept) {
            r.flags |= HasPayload;
            if (!e.payload.isEmpty())
                holdPayload(m_firstSerial + m_rows.size(), e.payload);
        }
        m_rows.push_back(r);
    }
    trimPayloads();
}

void EventStore::removeOldest(int count)
{
    count = std::min<int>(count, int(m_rows.size()));
    if (count <= 0)
        return;
    for (int i = 0; i < count; ++i)
        releaseShape(m_rows[size_t(i)].shape);
    m_rows.erase(m_rows.begin(), m_rows.begin() + count);
    m_firstSerial += quint64(count);
    while (!m_payloads.empty() && m_payloads.front().serial < m_firstSerial) {
        m_payloadBytes -= m_payloads.front().bytes.size();
        m_payloads.pop_front();
    }
    if (m_rows.empty())
        m_text.clear();
    else
        m_text.dropBefore(m_rows.front().text);
}

void EventStore::clear()
{
    // Give the memory back, not just the elements.
    std::deque<Row>().swap(m_rows);
    std::vector<Shape>().swap(m_shapes);
    std::vector<quint32>().swap(m_freeShapes);
    m_shapeIndex = {};
    m_recentCount = 0;
    m_text.clear();
    std::deque<HeldPayload>().swap(m_payloads);
    m_payloadBytes = 0;
    m_firstSerial = 0;
}

void EventStore::setCapacity(int rows)
{
    m_capacity = std::max(1, rows);
    if (int(m_rows.size()) > m_capacity)
        removeOldest(int(m_rows.size()) - m_capacity);
}

void EventStore::setPayloadBudget(qint64 bytes)
{
    m_payloadBudget = std::max<qint64>(0, bytes);
    trimPayloads();
}

void EventStore::holdPayload(quint64 serial, const QByteArray &bytes)
{
    m_payloads.push_back({serial, bytes});
    m_payloadBytes += bytes.size();
}

// Releases the oldest payloads until the rest fit the budget (the newest one is kept even if
// it alone is larger: it is at most kPayloadLimit).
void EventStore::trimPayloads()
{
    while (m_payloadBytes > m_payloadBudget && m_payloads.size() > 1) {
        m_payloadBytes -= m_payloads.front().bytes.size();
        m_payloads.pop_front();
    }
}

const EventStore::HeldPayload *EventStore::payloadOf(int row) const
{
    const quint64 serial = m_firstSerial + quint64(row);
    const auto it = std::lower_bound(m_payloads.cbegin(), m_payloads.cend(), serial,
                                     [](const HeldPayload &p, quint64 s) { return p.serial < s; });
    return it != m_payloads.cend() && it->serial == serial ? &*it : nullptr;
}

bool EventStore::payloadReleased(int row) const
{
    if (!inRange(row))
        return false;
    const Row &r = m_rows[size_t(row)];
    return (r.flags & HasPayload) && r.bytes > 0 && !payloadOf(row);
}

Event EventStore::at(int row) const
{
    if (!inRange(row))
        return {};
    const Row &r = m_rows[size_t(row)];
    const Shape &s = m_shapes[r.shape];
    Event e;
    e.kind = EventKind(r.kind);
    e.tNs = r.tNs;
    e.monoNs = r.tNs + s.epochNs;
    e.wall = r.wall;
    e.sock = s.sock;
    e.op = s.op;
    e.err = s.err;
    if (r.flags & HasElapsed)
        e.elapsed = r.elapsed;
    if (s.hasTimeout)
        e.timeout = s.timeout;
    e.timeoutNone = s.timeoutNone;
    e.mechanism = s.mechanism;
    e.probe = s.probe;
    e.option = s.option;
    e.requested = s.requested;
    e.effective = s.effective;
    e.bytes = r.bytes;
    e.data = dataOf(r);
    e.local = s.local;
    e.remote = s.remote;
    e.state = s.state;
    e.detail = detailOf(r);
    e.extra = s.extra;
    e.run = s.run;
    e.seq = r.seq;
    if (r.flags & HasPayload) {
        e.payloadKept = true; // released: empty, and every byte counts as omitted
        if (const HeldPayload *p = payloadOf(row))
            e.payload = p->bytes;
    }
    return e;
}

EventKind EventStore::kindAt(int row) const
{
    return inRange(row) ? EventKind(m_rows[size_t(row)].kind) : EventKind::Info;
}

const QString &EventStore::socketAt(int row) const
{
    static const QString none;
    return inRange(row) ? shapeAt(row).sock : none;
}

const QString &EventStore::opAt(int row) const
{
    static const QString none;
    return inRange(row) ? shapeAt(row).op : none;
}

int EventStore::errAt(int row) const
{
    return inRange(row) ? shapeAt(row).err : 0;
}

qint64 EventStore::timeNsAt(int row) const
{
    return inRange(row) ? m_rows[size_t(row)].tNs : 0;
}

quint64 EventStore::runAt(int row) const
{
    return inRange(row) ? shapeAt(row).run : 0;
}

quint64 EventStore::seqAt(int row) const
{
    return inRange(row) ? m_rows[size_t(row)].seq : 0;
}

} // namespace socklab
