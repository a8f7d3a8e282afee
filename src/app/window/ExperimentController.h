#pragma once
#include <QObject>
class ExperimentController : public QObject
{
    Q_OBJECT
public:
    explicit ExperimentController(QObject *parent = nullptr);
};
