#pragma once

#include "Event.h"
#include "Options.h"

#include <QWidget>

namespace Ui {
class MorePanel;
}

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

signals:
    void changed();
};
