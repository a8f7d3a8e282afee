#include "FactTips.h"

#include "KernelFacts.h"

#include <QAction>
#include <QWidget>

namespace {
template <typename T> void expandIn(T *object)
{
    const QString tip = object->toolTip();
    if (!tip.contains(QLatin1Char('{')))
        return;
    QString error;
    const QString expanded = socklab::facts::expand(tip, &error);
    if (error.isEmpty())
        object->setToolTip(expanded);
}
} // namespace

void expandFactTips(QWidget *root)
{
    expandIn(root);
    for (QWidget *w : root->findChildren<QWidget *>())
        expandIn(w);
    for (QAction *a : root->findChildren<QAction *>())
        expandIn(a);
}
