#pragma once

#include "Event.h"
#include "Options.h"

#include <QWidget>

#include <memory>

namespace Ui {
class ReusePanel;
}
class QCheckBox;
class QLabel;

class ReusePanel : public QWidget
{
    Q_OBJECT
  public:
    explicit ReusePanel(QWidget *parent = nullptr);
    ~ReusePanel() override;

    // Writes this panel's options into o (leaves the others alone); readFrom shows them.
    void writeTo(socklab::SocketOptions *o) const;
    void readFrom(const socklab::SocketOptions &o);
    // Shows the value the kernel read back (option_set / option_inherited / system_default).
    void showEffective(const socklab::Event &e);

    QCheckBox *reuseAddrCheck() const;
    QCheckBox *reusePortCheck() const;
    // The read-back text beside an option ("kernel: on (L1)"), empty until one arrived.
    QString effectiveText(const QString &option) const;

  public slots:
    // Forgets the read-back values, e.g. when a new experiment starts.
    void clearEffective();

  signals:
    void changed();

  private:
    QLabel *effectiveLabel(const QString &option) const;

    std::unique_ptr<Ui::ReusePanel> m_ui;
};
