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
    case EventKind::Lost:       // a segment not seen arriving in time
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
    case EventKind::Segment: // a frame on the lab's wire: what the calls above caused
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

void LogModel::append(const QList<Event> &batch)
{
    if (batch.isEmpty())
        return;
    const socklab::EventStore::Plan p = m_store.plan(batch.size());
    removeOldest(p.evict);
    const int first = m_store.size();
    beginInsertRows({}, first, first + p.incoming - 1);
    m_store.appendFrom(batch, p.skip);
    endInsertRows();
}

void LogModel::removeOldest(int count)
{
    count = std::min(count, m_store.size());
    if (count <= 0)
        return;
    beginRemoveRows({}, 0, count - 1);
    m_store.removeOldest(count);
    endRemoveRows();
}

void LogModel::clear()
{
    beginResetModel();
    m_store.clear();
    endResetModel();
}

void LogModel::setCapacity(int rows)
{
    const int keep = std::max(1, rows);
    removeOldest(m_store.size() - keep);
    m_store.setCapacity(keep);
}

int LogModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : m_store.size();
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
        add((e.probeIsResend() ? tr("resend %1") : tr("probe %1")).arg(e.probe));
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
    if (row < 0 || row >= m_store.size())
        return {};
    switch (column) {
    case Time:
        return timeText(m_store.timeNsAt(row));
    case Socket:
        return m_store.socketAt(row);
    case Kind:
        return cachedKindName(m_store.kindAt(row));
    case Op:
        return m_store.opAt(row);
    case Errno: {
        const int err = m_store.errAt(row);
        return err ? socklab::errnoSymbol(err) : QString();
    }
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
    if (row < 0 || row >= m_store.size())
        return false;
    constexpr auto ci = Qt::CaseInsensitive;
    // Stored strings first: no formatting needed to test them.
    if (m_store.socketAt(row).contains(needle, ci) ||
        cachedKindName(m_store.kindAt(row)).contains(needle, ci) ||
        m_store.opAt(row).contains(needle, ci))
        return true;
    const int err = m_store.errAt(row);
    if (err && socklab::errnoSymbol(err).contains(needle, ci))
        return true;
    if (couldMatchTime(needle) && timeText(m_store.timeNsAt(row)).contains(needle, ci))
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
    if (!index.isValid() || index.row() >= m_store.size() || index.column() >= ColumnCount)
        return {};
    const EventKind kind = m_store.kindAt(index.row());
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
        return m_store.socketAt(index.row());
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
