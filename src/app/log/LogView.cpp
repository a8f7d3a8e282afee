#include "LogView.h"

#include "LogModel.h"
#include "ui_LogView.h"

// STUB: to be implemented.
LogView::LogView(QWidget *parent) : QWidget(parent) {}
LogView::~LogView() = default;
LogModel *LogView::model() const { return nullptr; }
LogFilterProxy *LogView::proxy() const { return nullptr; }
void LogView::append(const QList<socklab::Event> &) {}
bool LogView::exportCsv(const QString &, QString *) const { return false; }
bool LogView::exportNdjson(const QString &, QString *) const { return false; }
void LogView::clear() {}
void LogView::copySelection() const {}
