#include "LockNote.h"

#include <QAbstractButton>
#include <QLabel>
#include <QTextDocument>
#include <QVariant>

namespace {
constexpr const char *kText = "socklabUnlockedText";
constexpr const char *kTip = "socklabUnlockedTip";
constexpr const char *kNote = "socklabLockNote";

QString textOf(const QWidget *w)
{
    if (const auto *b = qobject_cast<const QAbstractButton *>(w))
        return b->text();
    if (const auto *l = qobject_cast<const QLabel *>(w))
        return l->text();
    return {};
}

void setTextOf(QWidget *w, const QString &text)
{
    if (auto *b = qobject_cast<QAbstractButton *>(w))
        b->setText(text);
    else if (auto *l = qobject_cast<QLabel *>(w))
        l->setText(text);
}
} // namespace

void showLockNote(QWidget *control, const QString &sock, const QString &why)
{
    if (!control)
        return;
    // The control's own text and tooltip, kept the first time it is marked.
    if (!control->property(kText).isValid()) {
        control->setProperty(kText, textOf(control));
        control->setProperty(kTip, control->toolTip());
    }
    const QString text = control->property(kText).toString();
    const QString tip = control->property(kTip).toString();
    if (sock.isEmpty() || why.isEmpty()) {
        setTextOf(control, text);
        control->setToolTip(tip);
        control->setProperty(kNote, QString());
        return;
    }
    const QString note = QObject::tr("fixed on %1").arg(sock);
    // "SYN budget (fixed on c1):" for a form's label, "SO_REUSEADDR (fixed on c1)" otherwise.
    const bool colon = text.endsWith(QLatin1Char(':'));
    setTextOf(control, QObject::tr("%1 (%2)%3")
                           .arg(colon ? text.chopped(1) : text, note,
                                colon ? QStringLiteral(":") : QString()));
    const QString why2 = QObject::tr("Fixed on %1: %2 A change here applies to the next socket "
                                     "(Connect, Listen, Restart).")
                             .arg(sock, why);
    control->setToolTip(Qt::mightBeRichText(tip)
                            ? QStringLiteral("%1<p><b>%2</b></p>").arg(tip, why2.toHtmlEscaped())
                            : QStringLiteral("%1\n\n%2").arg(tip, why2));
    control->setProperty(kNote, note);
}

QString lockNoteOf(const QWidget *control)
{
    return control ? control->property(kNote).toString() : QString();
}
