#include "Theme.h"

#include <QApplication>
#include <QPalette>
#include <QStyle>
#include <QStyleFactory>

namespace theme {

bool parse(const QString &text, Choice *choice, QString *error)
{
    const QString t = text.trimmed().toLower();
    if (t == QLatin1String("system"))
        *choice = Choice::System;
    else if (t == QLatin1String("light"))
        *choice = Choice::Light;
    else if (t == QLatin1String("dark"))
        *choice = Choice::Dark;
    else {
        *error =
            QStringLiteral("--theme: '%1' is not a theme; use system, light or dark.").arg(text);
        return false;
    }
    return true;
}

void apply(Choice choice)
{
    if (choice == Choice::System)
        return;
    QApplication::setStyle(QStyleFactory::create(QStringLiteral("Fusion")));
    if (choice == Choice::Light) {
        QApplication::setPalette(QApplication::style()->standardPalette());
        return;
    }
    QPalette p;
    const QColor window(0x2b, 0x2d, 0x31), base(0x1e, 0x1f, 0x22), text(0xe6, 0xe6, 0xe6);
    const QColor disabled(0x80, 0x80, 0x80), highlight(0x3d, 0x7e, 0xd6);
    p.setColor(QPalette::Window, window);
    p.setColor(QPalette::WindowText, text);
    p.setColor(QPalette::Base, base);
    p.setColor(QPalette::AlternateBase, window);
    p.setColor(QPalette::ToolTipBase, base);
    p.setColor(QPalette::ToolTipText, text);
    p.setColor(QPalette::PlaceholderText, disabled);
    p.setColor(QPalette::Text, text);
    p.setColor(QPalette::Button, window);
    p.setColor(QPalette::ButtonText, text);
    p.setColor(QPalette::BrightText, Qt::red);
    p.setColor(QPalette::Link, highlight.lighter(130));
    p.setColor(QPalette::Highlight, highlight);
    p.setColor(QPalette::HighlightedText, Qt::white);
    p.setColor(QPalette::Mid, window.lighter(130));
    p.setColor(QPalette::Dark, window.darker(140));
    p.setColor(QPalette::Light, window.lighter(160));
    for (auto role : {QPalette::WindowText, QPalette::Text, QPalette::ButtonText})
        p.setColor(QPalette::Disabled, role, disabled);
    QApplication::setPalette(p);
}

} // namespace theme
