#include "ExperimentPanel.h"
ExperimentPanel::ExperimentPanel(QWidget *parent) : QWidget(parent) {}
