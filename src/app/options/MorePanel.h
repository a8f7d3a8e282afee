#pragma once

#include "Event.h"
#include "Options.h"

#include <QWidget>

#include <memory>

namespace Ui {
class MorePanel;
}
class QCheckBox;
class QLabel;
class QSpinBox;

class MorePanel : public QWidget
{
    Q_OBJECT
  public:
    explicit MorePanel(QWidget *parent = nullptr);
    ~MorePanel() override;

    // Writes this panel's options into o (leaves the others alone); readFrom shows them.
    void writeTo(socklab::SocketOptions *o) const;
    void readFrom(const socklab::SocketOptions &o);
    // Shows the value the kernel read back (option_set / option_inherited / system_default).
    void showEffective(const socklab::Event &e);

    QCheckBox *noDelayCheck() const;
    QCheckBox *lingerCheck() const;
    QSpinBox *lingerSpin() const;
    QCheckBox *rcvBufCheck() const;
    QSpinBox *rcvBufSpin() const;
    QCheckBox *sndBufCheck() const;
    QSpinBox *sndBufSpin() const;
    // The read-back text beside an option ("kernel: 20000"), empty until one arrived.
    QString effectiveText(const QString &option) const;

  public slots:
    // Forgets the read-back values, e.g. when a new experiment starts.
    void clearEffective();

  signals:
    void changed();

  private:
    QLabel *effectiveLabel(const QString &option) const;
    void updateEnabled();

    std::unique_ptr<Ui::MorePanel> m_ui;
};
