#pragma once

#include <QList>
#include <QString>

class QAction;
class QMenuBar;
class QWidget;

// The texts of the Help menu, built from the window's own actions, so a key named in them is
// the key that works.
namespace help {

// Every action in the menus that has a key: menu by menu, the action's name, its keys and
// what it does (its tooltip), as an HTML table.
QString shortcutsHtml(const QMenuBar *menus);

// A first experiment, step by step (a recv() timeout on a silent peer, then keepalive on a
// peer that lost power), naming the window's keys as they are set.
struct GettingStartedKeys
{
    const QAction *connect = nullptr;
    const QAction *receive = nullptr;
    const QAction *stop = nullptr;
    const QAction *reset = nullptr;
    const QAction *lessons = nullptr;
    const QAction *presenter = nullptr;
};
QString gettingStartedHtml(const GettingStartedKeys &keys);

// Shows `html` in a dialog of its own (non-modal; closed with Esc or its button).
void showPage(QWidget *parent, const QString &title, const QString &html);

} // namespace help
