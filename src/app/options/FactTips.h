#pragma once

class QWidget;

// Tooltips state kernel facts as {placeholders} (facts::names()), so a reader sees this
// machine's value and where it came from instead of a number written down once. Expands them
// in the tooltips of root, its child widgets and its actions; a name facts does not know is
// left as written (tst_panels fails on it).
void expandFactTips(QWidget *root);
