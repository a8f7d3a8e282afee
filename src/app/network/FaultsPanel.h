#pragma once

#include "Event.h"
#include "Fault.h"

#include <QList>
#include <QWidget>

#include <array>
#include <memory>

namespace Ui {
class FaultsPanel;
}
namespace socklab {
class Engine;
}
class QAction;
class QMenu;
class QSpinBox;

// The Faults tab: one button per fault of Fault.h (pull the cable, cut the server's power,
// crash it, remove a route, a firewall that drops or rejects, loss, bandwidth, delay), with its
// numbers beside it. The same actions are in Experiment → Faults. A button is down while its
// fault is made, as the engine reported it (never merely because it was clicked): Stop and a
// new page mend every fault, and the buttons follow. Changing a number of a fault that is
// made makes it again with the new number at once.
class FaultsPanel : public QWidget
{
    Q_OBJECT
  public:
    explicit FaultsPanel(QWidget *parent = nullptr);
    ~FaultsPanel() override;

    // The engine whose faults these are; the panel follows its events from now on.
    void setEngine(socklab::Engine *engine);
    // Whether the runs are in the lab: the network's faults need it (a crash does not).
    void setInLab(bool inLab);
    void addTo(QMenu *menu);

    QAction *action(socklab::FaultKind k) const { return m_rows[size_t(k)].action; }
    QSpinBox *valueBox(socklab::FaultKind k) const { return m_rows[size_t(k)].value; }
    bool isMade(socklab::FaultKind k) const { return m_rows[size_t(k)].made; }

  signals:
    // A fault is about to be made or mended, at the user's click (before the engine is told).
    void requesting();

  public slots:
    void onEvents(const QList<socklab::Event> &batch);

  private:
    struct Row
    {
        QAction *action = nullptr;
        QSpinBox *value = nullptr;
        QSpinBox *value2 = nullptr;
        bool made = false; // as the engine last said
    };
    void request(socklab::FaultKind k, bool on);
    void show(socklab::FaultKind k, bool made);
    void updateState();

    std::unique_ptr<Ui::FaultsPanel> m_ui;
    socklab::Engine *m_engine = nullptr;
    std::array<Row, socklab::kFaultKinds> m_rows;
    bool m_inLab = false;
};
