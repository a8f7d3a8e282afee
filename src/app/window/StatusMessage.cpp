#include "StatusMessage.h"

#include "ElidedLabel.h"

#include <QStatusBar>

StatusMessage::StatusMessage(QStatusBar *bar, QWidget *covers, QObject *parent)
    : QObject(parent), m_label(new ElidedLabel(bar)), m_covers(covers)
{
    m_label->setObjectName(QStringLiteral("messageLabel"));
    m_label->setPurpose(tr("What the window last said: shown for %1 s, or until the next "
                           "message.")
                            .arg(kShownMs / 1000));
    m_label->hide();
    bar->addWidget(m_label, 1);
    m_timer.setSingleShot(true);
    m_timer.setInterval(kShownMs);
    connect(&m_timer, &QTimer::timeout, this, &StatusMessage::clear);
}

void StatusMessage::show(const QString &text)
{
    m_label->setText(text);
    m_covers->hide();
    m_label->show();
    m_timer.start();
}

void StatusMessage::clear()
{
    m_timer.stop();
    m_label->hide();
    m_label->clear();
    m_covers->show();
}

QString StatusMessage::text() const
{
    return m_label->isHidden() ? QString() : m_label->text();
}
