#pragma once

#include "Event.h"
#include "Options.h"
#include "Platform.h"

#include <QWidget>

#include <memory>

namespace Ui {
class KeepalivePanel;
}
class QCheckBox;
class QLabel;
class QSpinBox;

class KeepalivePanel : public QWidget
{
    Q_OBJECT
  public:
    explicit KeepalivePanel(QWidget *parent = nullptr);
    ~KeepalivePanel() override;

    // Writes this panel's options into o (leaves the others alone); readFrom shows them.
    void writeTo(socklab::SocketOptions *o) const;
    void readFrom(const socklab::SocketOptions &o);
    // Shows the value the kernel read back (option_set / option_inherited / system_default).
    void showEffective(const socklab::Event &e);

    // The kernel's defaults shown beside the fields and used when a field is left unset;
    // read from /proc at construction, settable so tests and other hosts can be shown.
    void setSystemDefaults(const socklab::platform::KeepaliveDefaults &d);
    socklab::platform::KeepaliveDefaults systemDefaults() const { return m_defaults; }

    QCheckBox *keepAliveCheck() const;
    // The spin boxes' lowest value (one below the kernel's minimum) means "system default";
    // userTimeoutSpin's 0 means off.
    QSpinBox *keepIdleSpin() const;
    QSpinBox *keepIntvlSpin() const;
    QSpinBox *keepCntSpin() const;
    QSpinBox *userTimeoutSpin() const;
    QString deadPeerText() const;
    // The read-back text beside an option ("kernel: 60 s"), empty until one arrived.
    QString effectiveText(const QString &option) const;

    // Seconds until a silent dead peer is declared dead on an idle connection with keepalive
    // on, given the values in force; userTimeoutMs 0 means TCP_USER_TIMEOUT is off.
    static qint64 deadPeerSeconds(int idle, int intvl, int cnt, qint64 userTimeoutMs);

  public slots:
    // Forgets the read-back values, e.g. when a new experiment starts.
    void clearEffective();

  signals:
    void changed();

  private:
    struct InForce
    {
        int idle;
        int intvl;
        int cnt;
    };
    InForce inForce() const;
    InForce defaultsInForce() const;
    QLabel *effectiveLabel(const QString &option) const;
    void updateDeadPeer();

    std::unique_ptr<Ui::KeepalivePanel> m_ui;
    socklab::platform::KeepaliveDefaults m_defaults;
};
