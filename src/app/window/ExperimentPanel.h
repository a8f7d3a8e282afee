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
    // Where the built-in peer listens on the network the runs use ("127.0.0.1", or the lab's
    // server "198.51.100.1"): the Host field shows it, greyed, while the role uses the peer.
    void setPeerAddress(const QString &address);

  signals:
    void changed();

  private:
    void revalidate();

    Ui::ExperimentPanel *m_ui;
    QString m_peerAddress = QStringLiteral("127.0.0.1");
    bool m_showingPeer = false; // the Host field shows m_peerAddress, not the user's host
    QString m_userHost;         // what the Host field held before (kept in the profile)
    QString m_hostTip;          // the Host field's own tooltip
};
