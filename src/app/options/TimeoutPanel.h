#pragma once

#include "Event.h"
#include "Options.h"

#include <QWidget>

#include <memory>

namespace Ui {
class TimeoutPanel;
}
class TimeoutEditor;

class TimeoutPanel : public QWidget
{
    Q_OBJECT
  public:
    explicit TimeoutPanel(QWidget *parent = nullptr);
    ~TimeoutPanel() override;

    // Writes this panel's options into o (leaves the others alone); readFrom shows them.
    void writeTo(socklab::SocketOptions *o) const;
    void readFrom(const socklab::SocketOptions &o);
    // Shows the value the kernel read back (option_set / option_inherited / system_default).
    void showEffective(const socklab::Event &e);

    TimeoutEditor *allEditor() const;
    TimeoutEditor *connectEditor() const;
    TimeoutEditor *recvEditor() const;
    TimeoutEditor *sendEditor() const;
    TimeoutEditor *acceptEditor() const;
    bool perCall() const;
    QString kernelText() const;
    // The mechanism's tooltip: how each way of keeping a timeout works, and how late each may
    // end at the timeouts chosen now (this machine's numbers).
    QString mechanismTip() const;

    // The label of TCP_SYNCNT's field (it says when the option is fixed on a socket).
    QWidget *synCntControl() const;

  public slots:
    void setPerCall(bool on);
    // Forgets the read-back values, e.g. when a new experiment starts.
    void clearEffective();

  signals:
    void changed();

  protected:
    bool eventFilter(QObject *watched, QEvent *event) override;

  private:
    void onPerCallToggled(bool on);
    void updateKernelLabel();
    void updateMechanismTip();

    std::unique_ptr<Ui::TimeoutPanel> m_ui;
    QString m_rcvTimeo; // last read-back SO_RCVTIMEO, empty until the kernel reported one
    QString m_sndTimeo;
    QString m_rcvSock; // the socket that reported it
    QString m_sndSock;
    QString m_mechanismBaseTip; // the .ui's text, its facts expanded
};
