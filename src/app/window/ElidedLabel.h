#pragma once

#include <QLabel>

// A one-line label that gives up width rather than take it: where its room is short (the
// call the backend runs, said on a projector's status bar in large text) its text ends in
// "…" and the whole of it is in the tooltip; it never makes its window wider than the screen.
// text() is the whole text.
class ElidedLabel : public QLabel
{
    Q_OBJECT

  public:
    explicit ElidedLabel(QWidget *parent = nullptr);
    // What the label is for, shown in its tooltip above the whole text when that is cut.
    void setPurpose(const QString &purpose);
    QSize minimumSizeHint() const override;

    // The tooltip as it would show now: the purpose, and the whole text when it is cut.
    QString currentToolTip() const;

  protected:
    bool event(QEvent *event) override;
    void paintEvent(QPaintEvent *event) override;

  private:
    QString m_purpose;
};
