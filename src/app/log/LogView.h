#pragma once

#include "Event.h"

#include <QWidget>

class LogModel;
class LogFilterProxy;
namespace Ui {
class LogView;
}

// The log panel: the table, its filters and search, auto-scroll that pauses while the user
// looks back, copy, clear and export (CSV and NDJSON, the CLI's schema).
class LogView : public QWidget
{
    Q_OBJECT
public:
    explicit LogView(QWidget *parent = nullptr);
    ~LogView() override;

    LogModel *model() const;
    LogFilterProxy *proxy() const;
    void append(const QList<socklab::Event> &batch);

    bool exportCsv(const QString &path, QString *error) const;
    bool exportNdjson(const QString &path, QString *error) const;

public slots:
    void clear();
    void copySelection() const;
};
