#include "CodePanel.h"

#include "CodeHighlighter.h"
#include "ui_CodePanel.h"

#include <QClipboard>
#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QFontDatabase>
#include <QGuiApplication>
#include <QMessageBox>
#include <QSaveFile>
#include <QScrollBar>
#include <QSignalBlocker>
#include <QTextBlock>
#include <QTextCursor>
#include <QTextDocument>
#include <QToolTip>

#include <algorithm>
#include <vector>

using socklab::Profile;
using socklab::code::Language;

namespace {

// Long enough to swallow a slider drag or a burst of typing, short enough to feel live.
constexpr int kDebounceMs = 100;
constexpr int kTabWidthChars = 4;

// The same names the generated program's own header uses.
QString baseName(const std::optional<socklab::Profile> &p)
{
    return p && p->role == socklab::Profile::Role::Server ? QStringLiteral("socklab_server")
                                                          : QStringLiteral("socklab_client");
}

QString suffixFor(Language lang)
{
    return lang == Language::Python ? QStringLiteral("py") : QStringLiteral("c");
}

QString languageTitle(Language lang)
{
    return lang == Language::Python ? CodePanel::tr("Python") : CodePanel::tr("C");
}

QString runCommand(Language lang, const QString &base)
{
    const QString file = base + QLatin1Char('.') + suffixFor(lang);
    if (lang == Language::Python)
        return QStringLiteral("python3 %1 [HOST [PORT]]").arg(file);
    return QStringLiteral("cc -Wall -Wextra -o %1 %2 && ./%1 [HOST [PORT]]").arg(base, file);
}

} // namespace

CodePanel::CodePanel(QWidget *parent)
    : QWidget(parent), m_ui(std::make_unique<Ui::CodePanel>()),
      m_generator(&socklab::code::generate)
{
    m_ui->setupUi(this);

    QPlainTextEdit *edit = m_ui->codeEdit;
    // Only the family is set, so the size keeps following the application font and its
    // zoom steps (Ctrl +/-) like every other widget.
    QFont mono;
    mono.setFamilies({QFontDatabase::systemFont(QFontDatabase::FixedFont).family()});
    mono.setStyleHint(QFont::TypeWriter);
    mono.setFixedPitch(true);
    edit->setFont(mono);
    edit->installEventFilter(this);
    edit->setTabStopDistance(QFontMetricsF(edit->font()).horizontalAdvance(QLatin1Char(' ')) *
                             kTabWidthChars);
    m_highlighter = new CodeHighlighter(edit->document(), m_language);
    applyPalette();

    // The reason stands where the code would, on the editor's colours.
    m_ui->errorLabel->setBackgroundRole(QPalette::Base);
    m_ui->errorLabel->setForegroundRole(QPalette::Text);

    QComboBox *combo = m_ui->languageCombo;
    combo->setItemData(0,
                       tr("Python 3 with only its standard library (the socket module): runs "
                          "wherever python3 does, nothing to install or compile."),
                       Qt::ToolTipRole);
    combo->setItemData(1,
                       tr("C with POSIX sockets, one file with no dependencies: compile it "
                          "with cc (gcc or clang) and run it. Closest to the system calls "
                          "SockLab makes."),
                       Qt::ToolTipRole);
    connect(combo, &QComboBox::currentIndexChanged, this,
            [this](int index) { setLanguage(index == 1 ? Language::C : Language::Python); });

    // Parented as well as owned, so tests and tools can find it by name.
    m_debounce.setParent(this);
    m_debounce.setObjectName(QStringLiteral("regenerateDebounce"));
    m_debounce.setSingleShot(true);
    m_debounce.setInterval(kDebounceMs);
    connect(&m_debounce, &QTimer::timeout, this, &CodePanel::regenerate);

    connect(m_ui->copyButton, &QPushButton::clicked, this, &CodePanel::copyToClipboard);
    connect(m_ui->saveButton, &QPushButton::clicked, this, &CodePanel::saveWithDialog);

    updateHint();
    updateButtons();
}

CodePanel::~CodePanel() = default;

QString CodePanel::text() const
{
    return m_error.isEmpty() ? m_program : m_error;
}

QPlainTextEdit *CodePanel::editor() const
{
    return m_ui->codeEdit;
}

void CodePanel::setGenerator(Generator generator)
{
    m_generator = std::move(generator);
    if (m_profile)
        regenerate();
}

void CodePanel::setProfile(const Profile &profile)
{
    // The window passes the whole profile on every option change, most of which (a
    // read-back, a re-applied setting) change nothing.
    if (m_profile && *m_profile == profile)
        return;
    m_profile = profile;
    m_debounce.start();
}

void CodePanel::setLanguage(Language language)
{
    if (language == m_language)
        return;
    m_language = language;
    {
        const QSignalBlocker block(m_ui->languageCombo);
        m_ui->languageCombo->setCurrentIndex(language == Language::C ? 1 : 0);
    }
    updateHint();
    if (m_profile)
        regenerate();
    emit languageChanged(language);
}

void CodePanel::regenerate()
{
    m_debounce.stop();
    if (!m_profile)
        return;
    QString error;
    const QString program = m_generator ? m_generator(m_language, *m_profile, &error) : QString();
    if (program.isEmpty())
        showError(error);
    else
        showProgram(program);
}

void CodePanel::showError(const QString &reason)
{
    QString why = reason.trimmed();
    if (why.isEmpty())
        why = tr("the code generator gave neither a program nor a reason");
    if (!why.endsWith(u'.') && !why.endsWith(u'!') && !why.endsWith(u'?'))
        why += u'.';
    m_error = tr("This experiment cannot be written as a %1 program: %2")
                  .arg(languageTitle(m_language), why);
    // Said outright, because a missing program is easily taken for a broken experiment.
    m_ui->errorLabel->setText(
        m_error + QStringLiteral("\n\n") +
        tr("The experiment itself is not affected: it still runs in SockLab as set up."));
    m_ui->stack->setCurrentWidget(m_ui->errorPage);
    updateButtons();
}

void CodePanel::showProgram(const QString &program)
{
    m_error.clear();
    m_ui->stack->setCurrentWidget(m_ui->codePage);
    // Nothing to do when the program is the same: the document, the selection and the
    // scroll position stay exactly as they are.
    if (program != m_program || m_programLanguage != m_language) {
        if (m_program.isEmpty() || m_programLanguage != m_language) {
            // Another program altogether: shown from its top, nothing marked as changed.
            markLines({});
            m_ui->codeEdit->clear();
            m_highlighter->setLanguage(m_language);
            m_ui->codeEdit->setPlainText(program);
        } else {
            replaceChangedLines(program);
        }
        m_program = program;
        m_programLanguage = m_language;
    }
    updateButtons();
}

namespace {

// One run of changed lines: old lines [oldStart, oldStart + oldCount) became new lines
// [newStart, newStart + newCount).
struct Hunk
{
    qsizetype oldStart, oldCount, newStart, newCount;
};

// The lines that differ between a and b, as hunks in order. Common leading and trailing lines
// are trimmed first, then a longest common subsequence over what is left, so a change to an
// option touches only its own lines even when it shows in two places far apart (a header
// comment and a setsockopt() call).
QList<Hunk> diffLines(const QStringList &a, const QStringList &b)
{
    qsizetype head = 0;
    while (head < a.size() && head < b.size() && a[head] == b[head])
        ++head;
    qsizetype tail = 0;
    while (tail < a.size() - head && tail < b.size() - head &&
           a[a.size() - 1 - tail] == b[b.size() - 1 - tail])
        ++tail;
    const qsizetype n = a.size() - head - tail;
    const qsizetype m = b.size() - head - tail;
    if (n == 0 && m == 0)
        return {};
    // Far beyond any generated program; one hunk is still correct, only less precise.
    constexpr qsizetype kMaxCells = 4'000'000;
    if (n == 0 || m == 0 || (n + 1) * (m + 1) > kMaxCells)
        return {{head, n, head, m}};

    // lcs[i][j]: length of the longest common subsequence of a[head+i..] and b[head+j..].
    std::vector<int> lcs(size_t((n + 1) * (m + 1)), 0);
    const auto cell = [&](qsizetype i, qsizetype j) -> int & {
        return lcs[size_t(i * (m + 1) + j)];
    };
    for (qsizetype i = n - 1; i >= 0; --i) {
        for (qsizetype j = m - 1; j >= 0; --j) {
            cell(i, j) = a[head + i] == b[head + j] ? cell(i + 1, j + 1) + 1
                                                    : std::max(cell(i + 1, j), cell(i, j + 1));
        }
    }
    QList<Hunk> hunks;
    qsizetype i = 0, j = 0;
    while (i < n || j < m) {
        if (i < n && j < m && a[head + i] == b[head + j]) {
            ++i;
            ++j;
            continue;
        }
        Hunk h{head + i, 0, head + j, 0};
        while ((i < n || j < m) && !(i < n && j < m && a[head + i] == b[head + j])) {
            if (j < m && (i == n || cell(i, j + 1) >= cell(i + 1, j))) {
                ++j;
                ++h.newCount;
            } else {
                ++i;
                ++h.oldCount;
            }
        }
        hunks << h;
    }
    return hunks;
}

} // namespace

// Replaces only the lines that differ, so the view stays where the reader is, the highlighter
// redoes only those lines, and the lines a change touched can be tinted: after ticking
// SO_KEEPALIVE, the setsockopt() lines it added light up.
void CodePanel::replaceChangedLines(const QString &program)
{
    // The document's blocks are exactly the old text's lines (a trailing '\n' leaves an empty
    // last block, as split() leaves an empty last string).
    const QStringList oldLines = m_program.split(u'\n');
    const QStringList newLines = program.split(u'\n');
    const QList<Hunk> hunks = diffLines(oldLines, newLines);

    QPlainTextEdit *edit = m_ui->codeEdit;
    QTextDocument *doc = edit->document();
    QScrollBar *vbar = edit->verticalScrollBar();
    QScrollBar *hbar = edit->horizontalScrollBar();
    const int top = vbar->value();
    const int left = hbar->value();

    QTextCursor cursor(doc);
    cursor.beginEditBlock();
    // From the last hunk up, so the old line numbers of the hunks above stay valid.
    for (auto h = hunks.crbegin(); h != hunks.crend(); ++h) {
        const QString text = newLines.sliced(h->newStart, h->newCount).join(u'\n');
        const QTextBlock first = doc->findBlockByNumber(int(h->oldStart));
        if (h->oldCount > 0 && h->newCount > 0) {
            const QTextBlock last = doc->findBlockByNumber(int(h->oldStart + h->oldCount - 1));
            cursor.setPosition(first.position());
            cursor.setPosition(last.position() + last.length() - 1, QTextCursor::KeepAnchor);
            cursor.insertText(text);
        } else if (h->oldCount == 0) {
            // Inserted lines: before old line oldStart, or after the last line.
            if (first.isValid()) {
                cursor.setPosition(first.position());
                cursor.insertText(text + u'\n');
            } else {
                cursor.movePosition(QTextCursor::End);
                cursor.insertText(u'\n' + text);
            }
        } else {
            // Removed lines, with the line break that joined them to their neighbours.
            const qsizetype end = h->oldStart + h->oldCount;
            if (end < oldLines.size()) {
                cursor.setPosition(first.position());
                cursor.setPosition(doc->findBlockByNumber(int(end)).position(),
                                   QTextCursor::KeepAnchor);
            } else {
                const QTextBlock before = first.previous();
                cursor.setPosition(before.position() + before.length() - 1);
                cursor.movePosition(QTextCursor::End, QTextCursor::KeepAnchor);
            }
            cursor.removeSelectedText();
        }
    }
    cursor.endEditBlock();

    // The top line stays the top line (the scroll bar counts lines), so the reader keeps
    // looking at the same place in the program.
    vbar->setValue(top);
    hbar->setValue(left);

    QList<int> changed;
    for (const Hunk &h : hunks) {
        for (qsizetype k = 0; k < h.newCount; ++k)
            changed << int(h.newStart + k);
    }
    // A change that rewrites most of the program (another role, say) would tint everything,
    // which says nothing.
    if (changed.size() * 2 > newLines.size())
        changed.clear();
    markLines(changed);
}

void CodePanel::markLines(const QList<int> &blocks)
{
    m_marked = blocks;
    QList<QTextEdit::ExtraSelection> marks;
    // A tint of the selection colour: visible on any base without hiding the syntax colours
    // on top of it.
    QColor tint = palette().color(QPalette::Highlight);
    tint.setAlpha(CodeHighlighter::isDark(palette()) ? 80 : 50);
    const QTextDocument *doc = m_ui->codeEdit->document();
    for (int b : blocks) {
        const QTextBlock block = doc->findBlockByNumber(b);
        if (!block.isValid())
            continue;
        QTextEdit::ExtraSelection mark;
        mark.cursor = QTextCursor(block);
        mark.format.setBackground(tint);
        mark.format.setProperty(QTextFormat::FullWidthSelection, true);
        marks << mark;
    }
    m_ui->codeEdit->setExtraSelections(marks);
}

void CodePanel::updateHint()
{
    m_ui->hintLabel->setText(
        tr("Runs as: %1")
            .arg(QStringLiteral("<code>%1</code>")
                     .arg(runCommand(m_language, baseName(m_profile)).toHtmlEscaped())));
    QString tip = tr("How to run the program once it is saved under its suggested name. HOST "
                     "and PORT are optional: they override the target written into the "
                     "program, that is where a client connects, or where a server listens. "
                     "The program prints each call it makes and what it returned.");
    if (m_language == Language::C)
        tip += QLatin1Char(' ') + tr("cc is the system's C compiler (gcc or clang); -Wall asks "
                                     "it for every warning.");
    else
        tip += QLatin1Char(' ') + tr("It needs nothing but Python 3 and its standard library.");
    m_ui->hintLabel->setToolTip(tip);
}

void CodePanel::updateButtons()
{
    const bool ok = hasProgram();
    m_ui->copyButton->setEnabled(ok);
    m_ui->saveButton->setEnabled(ok);
    // How to run a program that is not there would only confuse.
    m_ui->hintLabel->setVisible(m_error.isEmpty());
}

void CodePanel::copyToClipboard()
{
    if (!hasProgram())
        return;
    QGuiApplication::clipboard()->setText(m_program);
    // Copying shows nothing by itself; say it happened, where the user is looking.
    const int lines = int(m_program.count(u'\n')) + (m_program.endsWith(u'\n') ? 0 : 1);
    QPushButton *button = m_ui->copyButton;
    QToolTip::showText(button->mapToGlobal(QPoint(0, button->height())),
                       tr("Copied %n line(s) of %1 to the clipboard.", "", lines)
                           .arg(languageTitle(m_programLanguage)),
                       button);
}

bool CodePanel::saveTo(const QString &path, QString *error) const
{
    const auto fail = [&](const QString &why) {
        if (error)
            *error = tr("Could not write “%1”: %2").arg(QDir::toNativeSeparators(path), why);
        return false;
    };
    if (!hasProgram())
        return fail(tr("there is no program to save."));
    QByteArray data = m_program.toUtf8();
    // Compilers and diff tools expect a text file to end with a newline.
    if (!data.endsWith('\n'))
        data += '\n';
    // QSaveFile: a failed save never leaves half a program where a good one was.
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly))
        return fail(file.errorString());
    if (file.write(data) != data.size()) {
        const QString why = file.errorString();
        file.cancelWriting();
        return fail(why);
    }
    if (!file.commit())
        return fail(file.errorString());
    // With a #! line the program can be run as ./socklab_client.py; mark it executable
    // for whoever may read it.
    if (m_program.startsWith(QLatin1String("#!"))) {
        QFileDevice::Permissions p = QFile::permissions(path);
        if (p & QFileDevice::ReadOwner)
            p |= QFileDevice::ExeOwner | QFileDevice::ExeUser;
        if (p & QFileDevice::ReadGroup)
            p |= QFileDevice::ExeGroup;
        if (p & QFileDevice::ReadOther)
            p |= QFileDevice::ExeOther;
        QFile::setPermissions(path, p);
    }
    return true;
}

void CodePanel::saveWithDialog()
{
    if (!hasProgram())
        return;
    const Language lang = m_programLanguage;
    const QString suffix = suffixFor(lang);
    const QString dir = m_lastSaveDir.isEmpty() ? QDir::homePath() : m_lastSaveDir;
    QFileDialog dialog(this, tr("Save the %1 program").arg(languageTitle(lang)), dir,
                       lang == Language::Python ? tr("Python programs (*.py);;All files (*)")
                                                : tr("C source files (*.c);;All files (*)"));
    dialog.setAcceptMode(QFileDialog::AcceptSave);
    // Added by the dialog itself, so its overwrite question is about the real file name.
    dialog.setDefaultSuffix(suffix);
    dialog.selectFile(baseName(m_profile) + QLatin1Char('.') + suffix);
    if (dialog.exec() != QDialog::Accepted || dialog.selectedFiles().isEmpty())
        return;
    const QString path = dialog.selectedFiles().constFirst();
    m_lastSaveDir = QFileInfo(path).absolutePath();
    QString error;
    if (!saveTo(path, &error))
        QMessageBox::warning(this, tr("Could not save the program"), error);
}

void CodePanel::applyPalette()
{
    m_highlighter->setPalette(palette());
    if (!m_marked.isEmpty())
        markLines(m_marked);
}

void CodePanel::changeEvent(QEvent *event)
{
    switch (event->type()) {
    case QEvent::PaletteChange:
    case QEvent::ApplicationPaletteChange:
    case QEvent::StyleChange:
        applyPalette();
        break;
    default:
        break;
    }
    QWidget::changeEvent(event);
}

bool CodePanel::eventFilter(QObject *watched, QEvent *event)
{
    // Tab stops are measured in characters, so they follow the font when the user zooms.
    if (watched == m_ui->codeEdit && event->type() == QEvent::FontChange) {
        m_ui->codeEdit->setTabStopDistance(
            QFontMetricsF(m_ui->codeEdit->font()).horizontalAdvance(QLatin1Char(' ')) *
            kTabWidthChars);
    }
    return QWidget::eventFilter(watched, event);
}
