#pragma once

#include "Platform.h"

#include <QAbstractTableModel>
#include <QSet>

namespace socklab {
class Engine;
}

// The kernel's table of the experiment's TCP sockets (like `ss -tano`), refreshed by the
// engine's monitor a few times a second: state, timer and its countdown, probes, queues;
// without the rows an earlier page left behind (hideLeftovers()).
class SocketTableModel : public QAbstractTableModel
{
    Q_OBJECT
  public:
    enum Column
    {
        Socket,
        State,
        Local,
        Remote,
        Timer,
        Expires,
        Probes,
        Retrans,
        RecvQ,
        SendQ,
        Count
    };

    explicit SocketTableModel(socklab::Engine *engine, QObject *parent = nullptr);

    void setRows(const QList<socklab::platform::DiagRow> &rows);
    int openSockets() const; // rows a descriptor owns
    int timeWaitSockets() const;

    // Reset: the connections no descriptor owns (TIME_WAIT, orphans closing) are an earlier
    // demo's, not the new page's. From now until two refreshes after leftoversSettled() (the
    // Stop has closed everything, and the table has been read since), every such row is kept
    // out of the table until the kernel forgets it.
    void hideLeftovers();
    void leftoversSettled();
    // Hidden rows still in the kernel's table, and how many of them are in TIME_WAIT.
    int hiddenRows() const { return m_hiddenNow; }
    int hiddenTimeWait() const { return m_hiddenTimeWait; }

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation o, int role = Qt::DisplayRole) const override;

  private:
    socklab::Engine *m_engine;
    QList<socklab::platform::DiagRow> m_rows;
    QStringList m_labels;
    QSet<QString> m_hidden; // keys of earlier pages' rows
    int m_collecting = 0;   // refreshes left that add leftovers (-1: until settled)
    int m_hiddenNow = 0;
    int m_hiddenTimeWait = 0;
};
