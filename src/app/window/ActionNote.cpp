#include "ActionNote.h"

#include <QTimer>

ActionNote::ActionNote(QWidget *window) : QLabel(window), m_timer(new QTimer(this))
{
    setObjectName(QStringLiteral("actionNote"));
    setWordWrap(true);
    setFrameShape(QFrame::StyledPanel);
    setMargin(8);
    setAutoFillBackground(true);
    setForegroundRole(QPalette::ToolTipText);
    setBackgroundRole(QPalette::ToolTipBase);
    setTextFormat(Qt::PlainText);
    hide();
    m_timer->setSingleShot(true);
    connect(m_timer, &QTimer::timeout, this, &QWidget::hide);
}

void ActionNote::showNear(QWidget *anchor, const QString &text)
{
    QWidget *window = parentWidget();
    setText(text);
    const int width = std::min(fontMetrics().averageCharWidth() * 60, window->width() - 16);
    setFixedWidth(std::max(width, 100));
    adjustSize();
    QPoint at;
    if (anchor && anchor->isVisible() && anchor->window() == window) {
        at = anchor->mapTo(window, QPoint(0, anchor->height() + 4));
    } else {
        at = QPoint(8, window->height() - height() - 40);
    }
    // Inside the window, whatever the anchor's place.
    at.setX(std::clamp(at.x(), 8, std::max(8, window->width() - this->width() - 8)));
    at.setY(std::clamp(at.y(), 8, std::max(8, window->height() - height() - 8)));
    move(at);
    raise();
    show();
    m_timer->start(kShowMs);
}

void ActionNote::mousePressEvent(QMouseEvent *e)
{
    hide();
    QLabel::mousePressEvent(e);
}
