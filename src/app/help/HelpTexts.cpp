#include "HelpTexts.h"

#include <QAction>
#include <QCoreApplication>
#include <QDialog>
#include <QDialogButtonBox>
#include <QMenu>
#include <QMenuBar>
#include <QTextBrowser>
#include <QVBoxLayout>

namespace help {

namespace {
QString tr(const char *text)
{
    return QCoreApplication::translate("help", text);
}

QString keysOf(const QAction *a)
{
    QStringList keys;
    for (const QKeySequence &k : a->shortcuts())
        keys << k.toString(QKeySequence::NativeText).toHtmlEscaped();
    return keys.join(QStringLiteral(" or "));
}

// "Connect (Ctrl+Return)": an action's name without its mnemonic, and its key.
QString named(const QAction *a)
{
    if (!a)
        return {};
    const QString name = QString(a->text()).remove(QLatin1Char('&')).toHtmlEscaped();
    const QString keys = keysOf(a);
    return keys.isEmpty() ? QStringLiteral("<b>%1</b>").arg(name)
                          : QStringLiteral("<b>%1</b> (%2)").arg(name, keys);
}

void addMenu(QString *rows, const QMenu *menu)
{
    bool first = true;
    for (const QAction *a : menu->actions()) {
        if (a->menu()) {
            addMenu(rows, a->menu());
            continue;
        }
        if (a->isSeparator() || a->shortcuts().isEmpty())
            continue;
        if (first) {
            *rows += QStringLiteral("<tr><th colspan=3 align=left><br>%1</th></tr>")
                         .arg(QString(menu->title()).remove(QLatin1Char('&')).toHtmlEscaped());
            first = false;
        }
        *rows += QStringLiteral("<tr><td>%1</td><td><b>%2</b></td><td>%3</td></tr>")
                     .arg(QString(a->text()).remove(QLatin1Char('&')).toHtmlEscaped(), keysOf(a),
                          a->toolTip().toHtmlEscaped());
    }
}
} // namespace

QString shortcutsHtml(const QMenuBar *menus)
{
    QString rows;
    for (const QAction *a : menus->actions()) {
        if (a->menu())
            addMenu(&rows, a->menu());
    }
    return QStringLiteral("<table cellspacing=4>%1</table>").arg(rows) +
           tr("<p><b>Timeline</b>: Ctrl with the mouse wheel zooms, the wheel and the arrow "
              "keys move through time, End follows live time again.</p>"
              "<p><b>Menus</b>: Alt with the underlined letter opens a menu; in the panels, "
              "Alt with an underlined letter goes to that field.</p>");
}

QString gettingStartedHtml(const GettingStartedKeys &k)
{
    return tr("<h3>A first experiment: a timeout is a call that really timed out</h3>"
              "<ol>"
              "<li>Press %1 for a clean page.</li>"
              "<li>Under <b>Experiment</b>, pick the role <b>Client + built-in peer</b> and the "
              "peer <b>silent</b>: it accepts the connection and never sends a byte.</li>"
              "<li>In <b>Timeouts</b>, set the timeout to 0.5 s (one value for every call; "
              "tick <i>Set each call separately</i> to give recv() its own).</li>"
              "<li>Press %2. The timeline gets a lane for your socket c1, and two for the "
              "built-in peer: <i>peer</i>, its listener, and <i>peer1</i>, the connection it "
              "accepted. The log shows each call as it starts and as it returns.</li>"
              "<li>Press %3. A bar grows for 0.5 s and ends as a timeout: recv() returned "
              "because its deadline passed, not because data came. The log says how late it "
              "returned, measured on the monotonic clock.</li>"
              "<li>Set the timeout to none and press %3 again: the bar grows without end, "
              "because nothing will ever arrive. %4 ends it at once.</li>"
              "</ol>"
              "<h3>Next</h3>"
              "<p>Pick the peer <b>blackhole</b> (a host that lost power), turn keepalive on "
              "with idle 2 s, interval 1 s, 3 probes, leave the timeout at none, and Connect "
              "and Receive: the probes appear as diamonds, each unanswered, and the kernel "
              "declares the peer dead at 2 + 3 × 1 = 5 s.</p>"
              "<p>The lessons (%5) run these experiments and more, explain them, and check "
              "what the kernel did against what they predict. %6 makes the text large for a "
              "projector.</p>")
        .arg(named(k.reset), named(k.connect), named(k.receive), named(k.stop), named(k.lessons),
             named(k.presenter));
}

void showPage(QWidget *parent, const QString &title, const QString &html)
{
    auto *dialog = new QDialog(parent);
    dialog->setObjectName(QStringLiteral("helpPage"));
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    dialog->setWindowTitle(title);
    auto *text = new QTextBrowser(dialog);
    text->setHtml(html);
    text->setOpenLinks(false);
    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Close, dialog);
    QObject::connect(buttons, &QDialogButtonBox::rejected, dialog, &QDialog::reject);
    auto *layout = new QVBoxLayout(dialog);
    layout->addWidget(text);
    layout->addWidget(buttons);
    // Large enough to read without scrolling on a 1280x720 projector, never larger than it.
    dialog->resize(QSize(760, 560).boundedTo(parent ? parent->size() : QSize(760, 560)));
    dialog->show();
}

} // namespace help
