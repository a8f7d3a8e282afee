#pragma once

#include <QObject>
#include <QString>
#include <QTimer>

class ElidedLabel;
class QStatusBar;
class QWidget;

// A message of the window's (a refusal, "Saved ...", a new page) in the status bar, in place of
// the backend's state for kShownMs or until the next one. Where the bar is short (a projector's
// large text) it ends in "…" and the whole of it is in the tooltip; and the status tips of what
// the mouse passes over do not wipe it, as they wipe QStatusBar's own messages.
class StatusMessage : public QObject
{
    Q_OBJECT

  public:
    static constexpr int kShownMs = 10000;

    // Adds its label to `bar`; `covers` (the state label) is hidden while a message shows.
    StatusMessage(QStatusBar *bar, QWidget *covers, QObject *parent = nullptr);

    void show(const QString &text);
    void clear();
    // The message showing now, empty if none.
    QString text() const;

  private:
    ElidedLabel *m_label;
    QWidget *m_covers;
    QTimer m_timer;
};
