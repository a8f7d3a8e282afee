#pragma once

#include <QLabel>

class QTimer;

// A note shown for a few seconds next to the control the user just used: why an action was
// refused, or what it did instead. Where the eyes are, not only in the status bar at the
// bottom of a projected screen. A click hides it.
class ActionNote : public QLabel
{
    Q_OBJECT
  public:
    static constexpr int kShowMs = 8000;

    explicit ActionNote(QWidget *window);

    // Shows `text` under `anchor` (inside the window), or above the status bar if there is no
    // anchor or it is not visible.
    void showNear(QWidget *anchor, const QString &text);

  protected:
    void mousePressEvent(QMouseEvent *e) override;

  private:
    QTimer *m_timer;
};
