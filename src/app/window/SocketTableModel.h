#pragma once
#include <QAbstractTableModel>
class SocketTableModel : public QAbstractTableModel
{
    Q_OBJECT
public:
    explicit SocketTableModel(QObject *parent = nullptr);
    int rowCount(const QModelIndex & = {}) const override { return 0; }
    int columnCount(const QModelIndex & = {}) const override { return 0; }
    QVariant data(const QModelIndex &, int) const override { return {}; }
};
