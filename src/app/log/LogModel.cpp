#include "LogModel.h"

#include "ErrnoText.h"

#include <QApplication>
#include <QFont>
#include <QPainter>
#include <QPainterPath>
#include <QPalette>
#include <QPixmap>

#include <algorithm>
#include <cstring>

using socklab::Event;
using socklab::EventKind;

namespace {

// Kinds grouped by what they mean to the reader; each group has one icon colour and shape.
enum class Category
{
    Option,
    Setup,
    CallStart,
    Done,
    Timeout,
    Error,
    PeerDead,
    PeerClosed,
    Closed,
    ProbeSent,
    ProbeAcked,
    ProbeUnanswered,
    State,
    Cancelled,
    Info,
    Count
};

Category categoryOf(EventKind k)
{
    switch (k) {
    case EventKind::OptionSet:
    case EventKind::OptionInherited:
    case EventKind::SystemDefault:
        return Category::Option;
    case EventKind::Resolving:
    case EventKind::Resolved:
    case EventKind::Bound:
    case EventKind::Listening:
        return Category::Setup;
    case EventKind::Connecting:
    case EventKind::Accepting:
    case EventKind::Sending:
    case EventKind::Receiving:
    case EventKind::Holding:
        return Category::CallStart;
    case EventKind::Connected:
    case EventKind::Accepted:
    case EventKind::Sent:
    case EventKind::Received:
        return Category::Done;
    case EventKind::Timeout:
    case EventKind::Retransmit: // the kernel's retransmission timer ran out
        return Category::Timeout;
    case EventKind::Error:
    case EventKind::EventsDropped: // what the log does not show must stand out
        return Category::Error;
    case EventKind::PeerDead:
        return Category::PeerDead;
    case EventKind::PeerClosed:
        return Category::PeerClosed;
    case EventKind::Closed:
        return Category::Closed;
    case EventKind::ProbeSent:
        return Category::ProbeSent;
    case EventKind::ProbeAcked:
        return Category::ProbeAcked;
    case EventKind::ProbeUnanswered:
        return Category::ProbeUnanswered;
    case EventKind::State:
        return Category::State;
    case EventKind::Cancelled:
    case EventKind::Queued: // a call that is not running (yet)
        return Category::Cancelled;
    case EventKind::Info:
    case EventKind::LessonResult:
    case EventKind::Finished:
        break;
    }
    return Category::Info;
}

// Mid-tone colours: visible on both light and dark bases, the shape carries the severity too.
QColor iconColor(Category c)
{
    switch (c) {
    case Category::Option:
        return QColor(0x8a, 0x8f, 0x98);
    case Category::Setup:
        return QColor(0x3b, 0x82, 0xf6);
    case Category::CallStart:
        return QColor(0x06, 0xb6, 0xd4);
    case Category::Done:
        return QColor(0x22, 0xc5, 0x5e);
    case Category::Timeout:
        return QColor(0xf5, 0x9e, 0x0b);
    case Category::Error:
        return QColor(0xef, 0x44, 0x44);
    case Category::PeerDead:
        return QColor(0xb9, 0x1c, 0x1c);
    case Category::PeerClosed:
        return QColor(0xa8, 0x55, 0xf7);
    case Category::Closed:
        return QColor(0x64, 0x74, 0x8b);
    case Category::ProbeSent:
        return QColor(0x60, 0xa5, 0xfa);
    case Category::ProbeAcked:
        return QColor(0x16, 0xa3, 0x4a);
    case Category::ProbeUnanswered:
        return QColor(0xf9, 0x73, 0x16);
    case Category::State:
        return QColor(0x14, 0xb8, 0xa6);
    case Category::Cancelled:
        return QColor(0xd9, 0x46, 0xef);
    case Category::Info:
    case Category::Count:
        break;
    }
    return QColor(0x94, 0xa3, 0xb8);
}

QPixmap paintIcon(Category c)
{
    constexpr int size = 32; // painted large once; QIcon scales down crisply
    QPixmap pm(size, size);
    pm.fill(Qt::transparent);
    QPainter p(&pm);
    p.setRenderHint(QPainter::Antialiasing);
    const QColor fill = iconColor(c);
    p.setPen(QPen(fill.darker(150), 2));
    p.setBrush(fill);
    const QRectF r(5, 5, size - 10, size - 10);
    switch (c) {
    case Category::Error:
    case Category::PeerDead:
        p.drawRoundedRect(r, 3, 3);
        break;
    case Category::Timeout:
    case Category::ProbeUnanswered:
    case Category::Cancelled: {
        QPainterPath diamond;
        diamond.moveTo(r.center().x(), r.top() - 2);
        diamond.lineTo(r.right() + 2, r.center().y());
        diamond.lineTo(r.center().x(), r.bottom() + 2);
        diamond.lineTo(r.left() - 2, r.center().y());
        diamond.closeSubpath();
        p.drawPath(diamond);
        break;
    }
    default:
        p.drawEllipse(r);
        break;
    }
    return pm;
}

const QString &cachedKindName(EventKind k)
{
    static const std::array<QString, int(EventKind::Finished) + 1> names = [] {
        std::array<QString, int(EventKind::Finished) + 1> a;
        for (int i = 0; i <= int(EventKind::Finished); ++i)
            a[i] = socklab::kindName(EventKind(i));
        return a;
    }();
    const int i = int(k);
    return names[(i >= 0 && i < int(names.size())) ? i : int(EventKind::Info)];
}

bool isOptionKind(EventKind k)
{
    return categoryOf(k) == Category::Option;
}

bool isDarkPalette(const QPalette &pal)
{
    return pal.color(QPalette::Window).lightness() < 128;
}

QColor mix(const QColor &a, const QColor &b, double t)
{
    return QColor::fromRgbF(float(a.redF() * (1 - t) + b.redF() * t),
                            float(a.greenF() * (1 - t) + b.greenF() * t),
                            float(a.blueF() * (1 - t) + b.blueF() * t));
}

QString timeText(qint64 tNs)
{
    return QString::number(double(tNs) / 1e9, 'f', 6);
}

// Time text has only digits and a point; other needles cannot match it, so skip formatting.
bool couldMatchTime(const QString &needle)
{
    return std::all_of(needle.cbegin(), needle.cend(),
                       [](QChar c) { return c.isDigit() || c == u'.'; });
}

} // namespace

LogModel::LogModel(QObject *parent) : QAbstractTableModel(parent) {}

// --- storage ---------------------------------------------------------------------------------

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

quint64 LogModel::TextStore::append(const QString &a, bool aWide, const QString &b, bool bWide)
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

const char *LogModel::TextStore::at(quint64 offset) const
{
    // The last chunk starting at or before offset holds it (texts never straddle chunks).
    auto it = std::upper_bound(m_chunks.cbegin(), m_chunks.cend(), offset,
                               [](quint64 o, const Chunk &c) { return o < c.start; });
    if (it == m_chunks.cbegin())
        return nullptr;
    --it;
    return it->data.get() + (offset - it->start);
}

void LogModel::TextStore::dropBefore(quint64 offset)
{
    while (m_chunks.size() > 1 && m_chunks[1].start <= offset)
        m_chunks.pop_front();
}

void LogModel::TextStore::clear()
{
    std::deque<Chunk>().swap(m_chunks);
    m_end = 0;
}

quint32 LogModel::shapeFor(const Event &e)
{
    const qint64 epoch = e.monoNs - e.tNs;
    const bool hasTimeout = e.timeout.has_value();
    const double timeout = e.timeout.value_or(0);
    const auto same = [&](const Shape &s) {
        return s.refs && s.epochNs == epoch && s.err == e.err && s.probe == e.probe &&
               s.hasTimeout == hasTimeout && s.timeout == timeout &&
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
                   epoch, e.err, e.probe, hasTimeout, timeout, e.timeoutNone,
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

void LogModel::releaseShape(quint32 id)
{
    Shape &s = m_shapes[id];
    if (--s.refs)
        return;
    m_shapeIndex.remove(s.hash, id);
    s = Shape(); // gives its strings back
    m_freeShapes.push_back(id);
    m_recentCount = 0; // it may be among them
}

QString LogModel::detailAt(const Row &r) const
{
    if (!r.detailLen)
        return {};
    return load(m_text.at(r.text), r.detailLen, r.flags & DetailWide);
}

QString LogModel::dataAt(const Row &r) const
{
    if (!r.dataLen)
        return {};
    const size_t skip = size_t(r.detailLen) * ((r.flags & DetailWide) ? 2 : 1);
    return load(m_text.at(r.text) + skip, r.dataLen, r.flags & DataWide);
}

void LogModel::append(const QList<Event> &batch)
{
    if (batch.isEmpty())
        return;
    // A batch larger than the ring keeps only its own newest events.
    const qsizetype skip = std::max<qsizetype>(0, batch.size() - m_capacity);
    const int incoming = int(batch.size() - skip);
    const int overflow = int(m_rows.size()) + incoming - m_capacity;
    if (overflow > 0)
        removeOldest(overflow);
    const int first = int(m_rows.size());
    beginInsertRows({}, first, first + incoming - 1);
    for (qsizetype i = skip; i < batch.size(); ++i) {
        const Event &e = batch.at(i);
        Row r;
        r.tNs = e.tNs;
        r.wall = e.wall;
        r.elapsed = e.elapsed.value_or(0);
        r.bytes = e.bytes;
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
    endInsertRows();
}

void LogModel::removeOldest(int count)
{
    count = std::min<int>(count, int(m_rows.size()));
    if (count <= 0)
        return;
    beginRemoveRows({}, 0, count - 1);
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
    endRemoveRows();
}

void LogModel::clear()
{
    beginResetModel();
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
    endResetModel();
}

void LogModel::setCapacity(int rows)
{
    m_capacity = std::max(1, rows);
    if (int(m_rows.size()) > m_capacity)
        removeOldest(int(m_rows.size()) - m_capacity);
}

int LogModel::capacity() const
{
    return m_capacity;
}

void LogModel::setPayloadBudget(qint64 bytes)
{
    m_payloadBudget = std::max<qint64>(0, bytes);
    trimPayloads();
}

void LogModel::holdPayload(quint64 serial, const QByteArray &bytes)
{
    m_payloads.push_back({serial, bytes});
    m_payloadBytes += bytes.size();
}

// Releases the oldest payloads until the rest fit the budget (the newest one is kept even if
// it alone is larger: it is at most kPayloadLimit).
void LogModel::trimPayloads()
{
    while (m_payloadBytes > m_payloadBudget && m_payloads.size() > 1) {
        m_payloadBytes -= m_payloads.front().bytes.size();
        m_payloads.pop_front();
    }
}

const LogModel::HeldPayload *LogModel::payloadOf(int row) const
{
    const quint64 serial = m_firstSerial + quint64(row);
    const auto it = std::lower_bound(m_payloads.cbegin(), m_payloads.cend(), serial,
                                     [](const HeldPayload &p, quint64 s) { return p.serial < s; });
    return it != m_payloads.cend() && it->serial == serial ? &*it : nullptr;
}

bool LogModel::payloadReleased(int row) const
{
    if (row < 0 || row >= int(m_rows.size()))
        return false;
    const Row &r = m_rows[size_t(row)];
    return (r.flags & HasPayload) && r.bytes > 0 && !payloadOf(row);
}

Event LogModel::eventAt(int row) const
{
    if (row < 0 || row >= int(m_rows.size()))
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
    e.data = dataAt(r);
    e.local = s.local;
    e.remote = s.remote;
    e.state = s.state;
    e.detail = detailAt(r);
    e.extra = s.extra;
    if (r.flags & HasPayload) {
        e.payloadKept = true; // released: empty, and every byte counts as omitted
        if (const HeldPayload *p = payloadOf(row))
            e.payload = p->bytes;
    }
    return e;
}

EventKind LogModel::kindAt(int row) const
{
    if (row < 0 || row >= int(m_rows.size()))
        return EventKind::Info;
    return EventKind(m_rows[size_t(row)].kind);
}

const QString &LogModel::socketAt(int row) const
{
    static const QString none;
    if (row < 0 || row >= int(m_rows.size()))
        return none;
    return shapeAt(row).sock;
}

int LogModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_rows.size());
}

int LogModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QString LogModel::detailSummary(const Event &e)
{
    QString s;
    const auto add = [&s](const QString &part) {
        if (!s.isEmpty())
            s += QStringLiteral(", ");
        s += part;
    };
    if (isOptionKind(e.kind) || !e.option.isEmpty()) {
        QString opt = e.option;
        if (e.requested.isValid() && e.effective.isValid())
            opt = tr("%1 requested %2 → effective %3")
                      .arg(e.option, e.requested.toString(), e.effective.toString());
        else if (e.effective.isValid())
            opt = tr("%1 effective %2").arg(e.option, e.effective.toString());
        else if (e.requested.isValid())
            opt = tr("%1 requested %2").arg(e.option, e.requested.toString());
        if (!opt.isEmpty())
            add(opt);
    }
    if (e.elapsed)
        add(tr("elapsed %1 s").arg(*e.elapsed, 0, 'f', 6));
    if (e.timeoutNone)
        add(tr("timeout none"));
    else if (e.timeout)
        add(tr("timeout %1 s").arg(*e.timeout, 0, 'f', 3));
    if (!e.mechanism.isEmpty())
        add(tr("via %1").arg(e.mechanism));
    if (e.probe)
        add(tr("probe %1").arg(e.probe));
    if (e.bytes >= 0)
        add(e.bytes == 1 ? tr("1 byte") : tr("%1 bytes").arg(e.bytes));
    if (!e.data.isEmpty())
        add(QLatin1Char('"') + e.data + QLatin1Char('"'));
    if (!e.state.isEmpty())
        add(e.state);
    if (!e.local.isEmpty() && !e.remote.isEmpty())
        add(e.local + QStringLiteral(" → ") + e.remote);
    else if (!e.local.isEmpty())
        add(tr("local %1").arg(e.local));
    else if (!e.remote.isEmpty())
        add(tr("remote %1").arg(e.remote));
    if (!e.detail.isEmpty()) {
        if (!s.isEmpty())
            s += QStringLiteral(" — ");
        s += e.detail;
    }
    return s;
}

QString LogModel::displayText(int row, int column) const
{
    if (row < 0 || row >= int(m_rows.size()))
        return {};
    const Row &r = m_rows[size_t(row)];
    const Shape &s = m_shapes[r.shape];
    switch (column) {
    case Time:
        return timeText(r.tNs);
    case Socket:
        return s.sock;
    case Kind:
        return cachedKindName(EventKind(r.kind));
    case Op:
        return s.op;
    case Errno:
        return s.err ? socklab::errnoSymbol(s.err) : QString();
    case Detail:
        return detailSummary(eventAt(row));
    default:
        return {};
    }
}

bool LogModel::rowContains(int row, const QString &needle) const
{
    if (needle.isEmpty())
        return true;
    if (row < 0 || row >= int(m_rows.size()))
        return false;
    const Row &r = m_rows[size_t(row)];
    const Shape &s = m_shapes[r.shape];
    constexpr auto ci = Qt::CaseInsensitive;
    // Stored strings first: no formatting needed to test them.
    if (s.sock.contains(needle, ci) || cachedKindName(EventKind(r.kind)).contains(needle, ci) ||
        s.op.contains(needle, ci))
        return true;
    if (s.err && socklab::errnoSymbol(s.err).contains(needle, ci))
        return true;
    if (couldMatchTime(needle) && timeText(r.tNs).contains(needle, ci))
        return true;
    return detailSummary(eventAt(row)).contains(needle, ci);
}

QIcon LogModel::iconFor(EventKind kind) const
{
    const auto c = size_t(categoryOf(kind));
    if (m_icons[c].isNull())
        m_icons[c] = QIcon(paintIcon(Category(c)));
    return m_icons[c];
}

QVariant LogModel::data(const QModelIndex &index, int role) const
{
    if (!index.isValid() || index.row() >= int(m_rows.size()) || index.column() >= ColumnCount)
        return {};
    const Row &r = m_rows[size_t(index.row())];
    const EventKind kind = EventKind(r.kind);
    switch (role) {
    case Qt::DisplayRole:
        return displayText(index.row(), index.column());
    case Qt::ToolTipRole: {
        // toText() on one line, the sentence on its own line so it reads as prose.
        Event withoutDetail = eventAt(index.row());
        const QString detail = withoutDetail.detail;
        withoutDetail.detail.clear();
        QString tip = withoutDetail.toText();
        if (!detail.isEmpty())
            tip += QLatin1Char('\n') + detail;
        return tip;
    }
    case Qt::DecorationRole:
        if (index.column() == Kind)
            return iconFor(kind);
        return {};
    case Qt::TextAlignmentRole:
        if (index.column() == Time)
            return QVariant::fromValue(Qt::AlignRight | Qt::AlignVCenter);
        return {};
    case Qt::BackgroundRole: {
        // Translucent tints sit on whatever base the palette has, so they work light or dark;
        // the alpha is a little stronger on dark bases where tints fade.
        const bool dark = isDarkPalette(QApplication::palette());
        switch (kind) {
        case EventKind::Timeout:
            return QBrush(dark ? QColor(255, 170, 0, 90) : QColor(255, 193, 7, 120));
        case EventKind::Error:
        case EventKind::PeerDead:
            return QBrush(dark ? QColor(239, 68, 68, 95) : QColor(220, 38, 38, 70));
        case EventKind::Cancelled:
            return QBrush(dark ? QColor(192, 132, 252, 75) : QColor(168, 85, 247, 55));
        default:
            return {};
        }
    }
    case Qt::ForegroundRole: {
        const QPalette pal = QApplication::palette();
        const bool dark = isDarkPalette(pal);
        switch (kind) {
        case EventKind::ProbeUnanswered:
            return QBrush(dark ? QColor(0xfb, 0x92, 0x3c) : QColor(0xc2, 0x41, 0x0c));
        case EventKind::ProbeAcked:
            return QBrush(dark ? QColor(0x4a, 0xde, 0x80) : QColor(0x15, 0x80, 0x3d));
        default:
            if (isOptionKind(kind))
                return QBrush(mix(pal.color(QPalette::Text), pal.color(QPalette::Base), 0.45));
            return {};
        }
    }
    case Qt::FontRole:
        switch (kind) {
        case EventKind::Timeout:
        case EventKind::Error:
        case EventKind::PeerDead: {
            QFont f = QApplication::font();
            f.setBold(true);
            return f;
        }
        case EventKind::Cancelled: {
            QFont f = QApplication::font();
            f.setItalic(true);
            return f;
        }
        default:
            return {};
        }
    case KindRole:
        return int(kind);
    case SocketRole:
        return m_shapes[r.shape].sock;
    default:
        return {};
    }
}

QVariant LogModel::headerData(int section, Qt::Orientation o, int role) const
{
    if (o != Qt::Horizontal)
        return QAbstractTableModel::headerData(section, o, role);
    if (role == Qt::DisplayRole) {
        switch (section) {
        case Time:
            return tr("Time");
        case Socket:
            return tr("Socket");
        case Kind:
            return tr("Kind");
        case Op:
            return tr("Op");
        case Errno:
            return tr("Errno");
        case Detail:
            return tr("Detail");
        }
    } else if (role == Qt::ToolTipRole) {
        switch (section) {
        case Time:
            return tr("Seconds since the experiment started (monotonic clock)");
        case Socket:
            return tr("Which socket: c1 client, L1 listener, a1 accepted, peer the test peer");
        case Kind:
            return tr("What happened; the name is the one the CLI and the exports use");
        case Op:
            return tr("The system call or operation involved");
        case Errno:
            return tr("The errno symbol when the call failed");
        case Detail:
            return tr("Values, timings and a plain sentence about the event");
        }
    }
    return {};
}

// ---------------------------------------------------------------------------------------------

LogFilterProxy::LogFilterProxy(QObject *parent) : QSortFilterProxyModel(parent) {}

void LogFilterProxy::setSourceModel(QAbstractItemModel *model)
{
    m_log = qobject_cast<LogModel *>(model);
    QSortFilterProxyModel::setSourceModel(model);
}

void LogFilterProxy::setKindShown(EventKind kind, bool shown)
{
    setKindsShown({kind}, shown);
}

void LogFilterProxy::setKindsShown(const QList<EventKind> &kinds, bool shown)
{
    quint64 mask = m_hiddenKinds;
    for (EventKind k : kinds) {
        const quint64 bit = quint64(1) << int(k);
        mask = shown ? (mask & ~bit) : (mask | bit);
    }
    if (mask == m_hiddenKinds)
        return;
    m_hiddenKinds = mask;
    invalidateFilter();
}

void LogFilterProxy::showAllKinds()
{
    if (m_hiddenKinds == 0)
        return;
    m_hiddenKinds = 0;
    invalidateFilter();
}

bool LogFilterProxy::isKindShown(EventKind kind) const
{
    return !(m_hiddenKinds & (quint64(1) << int(kind)));
}

void LogFilterProxy::setSocket(const QString &sock)
{
    if (sock == m_socket)
        return;
    m_socket = sock;
    invalidateFilter();
}

void LogFilterProxy::setText(const QString &text)
{
    const QString t = text.trimmed();
    if (t == m_text)
        return;
    m_text = t;
    invalidateFilter();
}

bool LogFilterProxy::filterAcceptsRow(int row, const QModelIndex &parent) const
{
    if (m_log) {
        if (!isKindShown(m_log->kindAt(row)))
            return false;
        if (!m_socket.isEmpty() && m_log->socketAt(row) != m_socket)
            return false;
        return m_text.isEmpty() || m_log->rowContains(row, m_text);
    }
    // Any other table: read the same facts through the roles.
    const QAbstractItemModel *src = sourceModel();
    const QModelIndex first = src->index(row, 0, parent);
    if (!isKindShown(EventKind(src->data(first, LogModel::KindRole).toInt())))
        return false;
    if (!m_socket.isEmpty() && src->data(first, LogModel::SocketRole).toString() != m_socket)
        return false;
    if (m_text.isEmpty())
        return true;
    for (int c = 0; c < src->columnCount(parent); ++c) {
        if (src->data(src->index(row, c, parent)).toString().contains(m_text, Qt::CaseInsensitive))
            return true;
    }
    return false;
}
