#pragma once

#include "Profile.h"

#include <QWidget>

namespace Ui {
class ExperimentPanel;
}

// What the experiment talks to: role, host and port (checked as you type), the built-in
// peer's behaviour, and what Send and Receive use.
class ExperimentPanel : public QWidget
{
    Q_OBJECT
  public:
    explicit ExperimentPanel(QWidget *parent = nullptr);
    ~ExperimentPanel() override;

    void writeTo(socklab::Profile *p) const;
    void readFrom(const socklab::Profile &p);
    socklab::Profile::Role role() const;
    // Empty when the target can be used; otherwise the message shown beside the fields.
    QString validationError() const;

  signals:
    void changed();

  private:
    void revalidate();

    Ui::ExperimentPanel *m_ui;
};
