#pragma once

#include <QObject>

// Esc is the window's Stop, from whichever widget has the focus, but a drop-down's open list
// takes Esc first: it closes the list and stops nothing. Qt matches a window shortcut before
// the list sees the key on X11 (a combo box's list is not a window of its own there), so this
// filter, installed on the application, claims Esc for the list while one is open.
class PopupEscape : public QObject
{
    Q_OBJECT

  public:
    using QObject::QObject;

  protected:
    bool eventFilter(QObject *watched, QEvent *event) override;
};
