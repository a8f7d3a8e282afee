#include "ExperimentController.h"
ExperimentController::ExperimentController(QObject *parent) : QObject(parent) {}
