#pragma once

#include "Platform.h"

#include <QAbstractTableModel>

namespace socklab {
class Engine;
}

// The kernel's table of the experiment's TCP sockets (like `ss -tano`), refreshed by the
// engine's monitor a few times a second: state, timer and its countdown, probes, queues;
// without the rows of sockets that earlier pages' runs made (hideRunsUpTo()).
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

    // The window's page holds the runs after `run`: rows of sockets made by earlier runs (an
    // earlier demo's TIME_WAIT, a lesson's connection after Reset) are kept out of the table
    // until the kernel forgets them.
    void hideRunsUpTo(quint64 run);
    // Hidden rows still in the kernel's table in TIME_WAIT.
    int hiddenTimeWait() const { return m_hiddenTimeWait; }

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation o, int role = Qt::DisplayRole) const override;

  private:
    socklab::Engine *m_engine;
    QList<socklab::platform::DiagRow> m_rows;
    QStringList m_labels;
    QList<socklab::platform::DiagRow> m_all; // the kernel's rows, hidden ones included
    quint64 m_hiddenUpTo = 0;                // rows of runs up to this one are hidden
    int m_hiddenTimeWait = 0;
};
