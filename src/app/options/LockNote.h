#pragma once

#include <QString>

class QWidget;

// Marks an option's control (its check box or label) as fixed on the chosen socket: the text
// says so ("SO_REUSEADDR · fixed on c1") and the tooltip says why and that a change applies
// to the next socket. An empty `sock` takes the mark off. The control keeps its own value and
// stays usable: it prepares the next socket.
void showLockNote(QWidget *control, const QString &sock, const QString &why);
// The note a control shows now (empty when it is not marked): for tests and tooltips.
QString lockNoteOf(const QWidget *control);
