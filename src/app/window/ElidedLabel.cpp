#include "ElidedLabel.h"

#include <QEvent>
#include <QPainter>
#include <QStyle>

ElidedLabel::ElidedLabel(QWidget *parent) : QLabel(parent)
{
    setTextFormat(Qt::PlainText);
    setWordWrap(false);
}

void ElidedLabel::setPurpose(const QString &purpose)
{
    m_purpose = purpose;
    setToolTip(purpose);
}

QSize ElidedLabel::minimumSizeHint() const
{
    // Room for a few characters and the ellipsis: the rest is the window's to share out.
    QSize s = QLabel::minimumSizeHint();
    const QMargins m = contentsMargins();
    s.setWidth(fontMetrics().horizontalAdvance(QStringLiteral("Idle…")) + m.left() + m.right());
    return s;
}

QString ElidedLabel::currentToolTip() const
{
    const bool cut = fontMetrics().horizontalAdvance(text()) > contentsRect().width();
    return cut ? m_purpose + QStringLiteral("\n\n") + text() : m_purpose;
}

bool ElidedLabel::event(QEvent *event)
{
    // Made when asked for: the text changes with every call, the tooltip is read rarely.
    if (event->type() == QEvent::ToolTip)
        setToolTip(currentToolTip());
    return QLabel::event(event);
}

void ElidedLabel::paintEvent(QPaintEvent *)
{
    QPainter p(this);
    const QRect r = contentsRect();
    const QString shown = fontMetrics().elidedText(text(), Qt::ElideRight, r.width());
    style()->drawItemText(&p, r, int(alignment()) | Qt::TextSingleLine, palette(), isEnabled(),
                          shown, foregroundRole());
}
