#include "SocketTableModel.h"

#include "Engine.h"

#include <QBrush>
#include <QColor>

using socklab::platform::DiagRow;

SocketTableModel::SocketTableModel(socklab::Engine *engine, QObject *parent)
    : QAbstractTableModel(parent), m_engine(engine)
{
    connect(engine, &socklab::Engine::socketTableChanged, this, &SocketTableModel::setRows);
}

void SocketTableModel::hideRunsUpTo(quint64 run)
{
    m_hiddenUpTo = run;
    setRows(m_all);
}

namespace {
// By its state: an orphaned FIN_WAIT2 also runs the kernel's timewait timer, but it is not in
// TIME_WAIT (the peer has not closed yet).
bool inTimeWait(const DiagRow &r)
{
    return socklab::platform::tcpStateName(r.state) == QLatin1String("TIME_WAIT");
}
} // namespace

void SocketTableModel::setRows(const QList<DiagRow> &all)
{
    m_all = all;
    QList<DiagRow> rows;
    m_hiddenTimeWait = 0;
    for (const DiagRow &r : all) {
        const quint64 run = m_engine->runFor(r);
        if (run == 0 || run > m_hiddenUpTo) {
            rows << r;
            continue;
        }
        if (inTimeWait(r))
            ++m_hiddenTimeWait;
    }
    QStringList labels;
    labels.reserve(rows.size());
    for (const DiagRow &r : rows)
        labels << m_engine->labelFor(r);
    // Same sockets in the same order (the common case): refresh values in place, so the
    // selection and scroll position survive the update.
    bool same = rows.size() == m_rows.size();
    for (int i = 0; same && i < rows.size(); ++i)
        same = rows[i].key() == m_rows[i].key();
    if (same) {
        m_rows = rows;
        m_labels = labels;
        if (!rows.isEmpty())
            emit dataChanged(index(0, 0), index(int(rows.size()) - 1, Count - 1));
        return;
    }
    beginResetModel(); // views may still read the old rows until here
    m_rows = rows;
    m_labels = labels;
    endResetModel();
}

int SocketTableModel::openSockets() const
{
    return int(std::count_if(m_rows.cbegin(), m_rows.cend(),
                             [](const DiagRow &r) { return r.inode != 0; }));
}

int SocketTableModel::timeWaitSockets() const
{
    return int(std::count_if(m_rows.cbegin(), m_rows.cend(),
                             [](const DiagRow &r) { return inTimeWait(r); }));
}

int SocketTableModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_rows.size());
}

int SocketTableModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : Count;
}

QVariant SocketTableModel::data(const QModelIndex &index, int role) const
{
    if (!index.isValid() || index.row() >= m_rows.size())
        return {};
    const DiagRow &r = m_rows[index.row()];
    const QString state = socklab::platform::tcpStateName(r.state);
    if (role == Qt::DisplayRole) {
        switch (index.column()) {
        case Socket:
            return m_labels.value(index.row());
        case State:
            return state;
        case Local:
            return QStringLiteral("%1:%2").arg(r.localAddr).arg(r.localPort);
        case Remote:
            return r.remotePort ? QStringLiteral("%1:%2").arg(r.remoteAddr).arg(r.remotePort)
                                : QStringLiteral("*");
        case Timer:
            return socklab::platform::timerName(r.timer);
        case Expires:
            return r.timer == DiagRow::Timer::None
                       ? QString()
                       : QString::number(r.expiresMs / 1000.0, 'f', 1) + QStringLiteral(" s");
        case Probes:
            return r.timer == DiagRow::Timer::Keepalive ? QVariant(r.retrans) : QVariant(r.probes);
        case Retrans:
            return r.timer == DiagRow::Timer::Retransmit ? QVariant(r.retrans) : QVariant(0);
        case RecvQ:
            return r.recvQ;
        case SendQ:
            return r.sendQ;
        }
    }
    if (role == Qt::BackgroundRole) {
        if (inTimeWait(r))
            return QBrush(QColor(0x9b, 0x59, 0xb6, 60));
        if (state == QLatin1String("SYN_SENT"))
            return QBrush(QColor(0xf3, 0x9c, 0x12, 60));
        if (r.timer == DiagRow::Timer::Keepalive && r.retrans > 0)
            return QBrush(QColor(0xe6, 0x7e, 0x22, 70));
    }
    if (role == Qt::TextAlignmentRole && index.column() >= Expires)
        return int(Qt::AlignRight | Qt::AlignVCenter);
    if (role == Qt::ToolTipRole) {
        if (r.timer == DiagRow::Timer::TimeWait && !inTimeWait(r))
            return tr("%1 with no descriptor: this side has closed and waits for the peer's FIN; "
                      "the kernel drops it in %2 s if none comes (net.ipv4.tcp_fin_timeout).")
                .arg(state)
                .arg(r.expiresMs / 1000.0, 0, 'f', 1);
        if (inTimeWait(r))
            return tr("TIME_WAIT: the connection is closed but the kernel keeps its address and "
                      "port for %1 s more, so stray segments of the old connection are not "
                      "taken for a new one. No descriptor owns it. A restarted server can bind "
                      "past it only with SO_REUSEADDR on the old and the new listener.")
                .arg(r.expiresMs / 1000.0, 0, 'f', 1);
        if (r.timer == DiagRow::Timer::Keepalive)
            return tr("Keepalive timer: the next probe (or the verdict) in %1 s; %2 probe(s) "
                      "unanswered so far.")
                .arg(r.expiresMs / 1000.0, 0, 'f', 1)
                .arg(r.retrans);
        if (state == QLatin1String("SYN_SENT"))
            return tr("SYN_SENT: connect() sent a SYN and waits for the answer; the kernel "
                      "retransmits it with growing intervals.");
    }
    return {};
}

QVariant SocketTableModel::headerData(int section, Qt::Orientation o, int role) const
{
    if (o != Qt::Horizontal)
        return {};
    if (role == Qt::DisplayRole) {
        static const char *const names[] = {QT_TR_NOOP("Socket"), QT_TR_NOOP("State"),
                                            QT_TR_NOOP("Local"),  QT_TR_NOOP("Remote"),
                                            QT_TR_NOOP("Timer"),  QT_TR_NOOP("Expires"),
                                            QT_TR_NOOP("Probes"), QT_TR_NOOP("Retrans"),
                                            QT_TR_NOOP("Recv-Q"), QT_TR_NOOP("Send-Q")};
        return tr(names[section]);
    }
    if (role == Qt::ToolTipRole && section == Expires)
        return tr("When the socket's timer fires: the TIME_WAIT countdown, the next keepalive "
                  "probe, or the next retransmission.");
    return {};
}
