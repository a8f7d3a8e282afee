#include "PopupEscape.h"

#include <QApplication>
#include <QKeyEvent>

bool PopupEscape::eventFilter(QObject *watched, QEvent *event)
{
    if (event->type() == QEvent::ShortcutOverride && QApplication::activePopupWidget() &&
        static_cast<QKeyEvent *>(event)->key() == Qt::Key_Escape) {
        event->accept(); // the key goes to the list as a key press, not to a shortcut
        return true;
    }
    return QObject::eventFilter(watched, event);
}
