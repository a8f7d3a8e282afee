#pragma once

#include "Platform.h"

#include <QAbstractTableModel>

namespace socklab {
class Engine;
}

// The kernel's table of the experiment's TCP sockets (like `ss -tano`), refreshed by the
// engine's monitor a few times a second: state, timer and its countdown, probes, queues.
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

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation o, int role = Qt::DisplayRole) const override;

  private:
    socklab::Engine *m_engine;
    QList<socklab::platform::DiagRow> m_rows;
    QStringList m_labels;
};
