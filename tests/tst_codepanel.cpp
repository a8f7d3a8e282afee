// The Code tab: the highlighter on documents of known text (so it does not depend on the
// generator), and the panel driven through a stand-in generator (debounce, errors, the
// document left alone when nothing changed, scroll kept, Copy, Save), plus the real
// generator where it is needed.

#include "code/CodeHighlighter.h"
#include "code/CodePanel.h"

#include "CodeExport.h"
#include "Profile.h"

#include <QApplication>
#include <QClipboard>
#include <QComboBox>
#include <QFile>
#include <QFileDialog>
#include <QLabel>
#include <QMessageBox>
#include <QPlainTextDocumentLayout>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QRandomGenerator>
#include <QScrollBar>
#include <QSignalSpy>
#include <QStackedWidget>
#include <QTemporaryDir>
#include <QTest>
#include <QTextBlock>
#include <QTextCursor>
#include <QTextDocument>
#include <QTimer>

#include <algorithm>
#include <cmath>

using socklab::Profile;
using socklab::code::Language;
using Role = CodeHighlighter::Role;

namespace {

// Position of the nth occurrence of needle in the document's text.
int at(const QTextDocument &doc, const QString &needle, int nth = 0)
{
    const QString text = doc.toPlainText();
    qsizetype pos = -1;
    for (int i = 0; i <= nth; ++i) {
        pos = text.indexOf(needle, pos + 1);
        if (pos < 0)
            qFatal("'%s' (#%d) is not in the test text", qPrintable(needle), nth);
    }
    return int(pos);
}

double luminance(const QColor &c)
{
    const auto lin = [](double v) {
        return v <= 0.03928 ? v / 12.92 : std::pow((v + 0.055) / 1.055, 2.4);
    };
    return 0.2126 * lin(c.redF()) + 0.7152 * lin(c.greenF()) + 0.0722 * lin(c.blueF());
}

// WCAG contrast ratio: 4.5 is the usual minimum for body text.
double contrast(const QColor &a, const QColor &b)
{
    const double la = luminance(a), lb = luminance(b);
    return (std::max(la, lb) + 0.05) / (std::min(la, lb) + 0.05);
}

QPalette lightPalette()
{
    QPalette p;
    p.setColor(QPalette::Window, QColor(0xef, 0xef, 0xef));
    p.setColor(QPalette::Base, Qt::white);
    p.setColor(QPalette::Text, Qt::black);
    p.setColor(QPalette::Highlight, QColor(0x30, 0x8c, 0xc6));
    return p;
}

// SockLab's own dark theme (window/Theme.cpp).
QPalette darkPalette()
{
    QPalette p;
    p.setColor(QPalette::Window, QColor(0x2b, 0x2d, 0x31));
    p.setColor(QPalette::Base, QColor(0x1e, 0x1f, 0x22));
    p.setColor(QPalette::Text, QColor(0xe6, 0xe6, 0xe6));
    p.setColor(QPalette::WindowText, QColor(0xe6, 0xe6, 0xe6));
    p.setColor(QPalette::Highlight, QColor(0x3d, 0x7e, 0xd6));
    return p;
}

// A stand-in for socklab::code::generate: 100 lines, line 5 follows profile.send, line 80
// follows profile.port, and profile.recvBytes changes nothing.
QString fakeProgram(Language lang, const Profile &p)
{
    QString s = lang == Language::Python ? QStringLiteral("#!/usr/bin/env python3\n")
                                         : QStringLiteral("#include <sys/socket.h>\n");
    for (int line = 1; line < 100; ++line) {
        if (line == 5)
            s += QStringLiteral("SEND = '%1'\n").arg(p.send);
        else if (line == 80)
            s += QStringLiteral("PORT = %1\n").arg(p.port);
        else
            s += QStringLiteral("%1 filler line %2\n")
                     .arg(lang == Language::Python ? QStringLiteral("#") : QStringLiteral("//"))
                     .arg(line);
    }
    return s;
}

struct FakeGenerator
{
    int calls = 0;
    QString error; // when set, every call fails with it
    CodePanel::Generator fn()
    {
        return [this](Language lang, const Profile &p, QString *err) {
            ++calls;
            if (!error.isEmpty()) {
                *err = error;
                return QString();
            }
            return fakeProgram(lang, p);
        };
    }
};

Profile profileWithPort(quint16 port)
{
    Profile p;
    p.role = Profile::Role::Client;
    p.port = port;
    return p;
}

template <typename T> T *child(const QWidget &w, const char *name)
{
    T *c = w.findChild<T *>(QLatin1String(name));
    if (!c)
        qFatal("no child %s", name);
    return c;
}

} // namespace

class TestCodePanel : public QObject
{
    Q_OBJECT

  private slots:
    // The highlighter, on known text.
    void pythonTokens();
    void pythonTripleQuotedAcrossLines();
    void cTokens();
    void cBlockCommentFollowsEdits();
    void constantsAndLookAlikes();
    void coloursReadOnLightAndDark();
    void languageSwitchRehighlights();

    // The panel, with a stand-in generator.
    void emptyBeforeProfile();
    void debouncesProfileBursts();
    void errorReplacesCodeAndDisablesButtons();
    void languageSwitchRegeneratesAtOnce();
    void identicalTextLeavesDocumentAlone();
    void changeKeepsScrollAndMarksLines();
    void distantChangesMarkedApart();
    void incrementalEditsMatchProgram();
    void copyPutsProgramOnClipboard();
    void saveWritesProgram();
    void saveDialogDefaultsAndFailure();
    void paletteChangeRecolours();

    // The panel with the real generator.
    void realGeneratorProgramOrError();
    void realGeneratorBothLanguages();
};

void TestCodePanel::pythonTokens()
{
    QTextDocument doc(QStringLiteral("import socket  # import in a comment\n"
                                     "s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)\n"
                                     "s.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)\n"
                                     "msg = 'a # not a comment\\n'\n"
                                     "raw = r'c:\\new'\n"
                                     "x = 1.5e-3 + 0x1F\n"
                                     "def connect(host): return s.connect((host, 1))\n"));
    CodeHighlighter hl(&doc, Language::Python);
    hl.rehighlight();

    QCOMPARE(hl.roleAt(at(doc, "import")), Role::Keyword);
    QCOMPARE(hl.roleAt(at(doc, "socket")), Role::Plain);
    // Keywords, comments and strings look different from plain text, not only tagged so.
    const QTextCharFormat plain = hl.formatAt(at(doc, "socket"));
    QVERIFY(hl.formatAt(at(doc, "import")) != plain);
    QVERIFY(hl.formatAt(at(doc, "import")).foreground() != plain.foreground());
    QVERIFY(hl.formatAt(at(doc, "# import")).foreground() != plain.foreground());
    QVERIFY(hl.formatAt(at(doc, "'a #")).foreground() != plain.foreground());

    QCOMPARE(hl.roleAt(at(doc, "# import")), Role::Comment);
    QCOMPARE(hl.roleAt(at(doc, "import", 1)), Role::Comment);
    QCOMPARE(hl.roleAt(at(doc, "socket(")), Role::Call);
    QCOMPARE(hl.roleAt(at(doc, "setsockopt")), Role::Call);
    QCOMPARE(hl.roleAt(at(doc, "AF_INET")), Role::Constant);
    QCOMPARE(hl.roleAt(at(doc, "SOCK_STREAM")), Role::Constant);
    QCOMPARE(hl.roleAt(at(doc, "SOL_SOCKET")), Role::Constant);
    QCOMPARE(hl.roleAt(at(doc, "SO_KEEPALIVE")), Role::Constant);
    QCOMPARE(hl.roleAt(at(doc, "1)")), Role::Number);
    // A '#' inside a string is part of the string, and its escape stands out.
    QCOMPARE(hl.roleAt(at(doc, "'a #")), Role::String);
    QCOMPARE(hl.roleAt(at(doc, "# not")), Role::String);
    QCOMPARE(hl.roleAt(at(doc, "\\n'")), Role::Escape);
    QCOMPARE(hl.roleAt(at(doc, "\\n'") + 1), Role::Escape);
    // In a raw string a backslash is just a character.
    QCOMPARE(hl.roleAt(at(doc, "r'c")), Role::String);
    QCOMPARE(hl.roleAt(at(doc, "\\new")), Role::String);
    QCOMPARE(hl.roleAt(at(doc, "1.5e-3")), Role::Number);
    QCOMPARE(hl.roleAt(at(doc, "-3")), Role::Number);
    QCOMPARE(hl.roleAt(at(doc, "0x1F") + 3), Role::Number);
    // A definition is not a call; the call in its body is.
    QCOMPARE(hl.roleAt(at(doc, "def")), Role::Keyword);
    QCOMPARE(hl.roleAt(at(doc, "connect(host)")), Role::Plain);
    QCOMPARE(hl.roleAt(at(doc, "connect((")), Role::Call);
}

void TestCodePanel::pythonTripleQuotedAcrossLines()
{
    QTextDocument doc(QStringLiteral("doc = \"\"\"first line\n"
                                     "import inside # still the string\n"
                                     "\"\"\"\n"
                                     "y = 1\n"
                                     "z = '''one\n"
                                     "two''' if True else None\n"));
    CodeHighlighter hl(&doc, Language::Python);
    hl.rehighlight();

    QCOMPARE(hl.roleAt(at(doc, "\"\"\"first")), Role::String);
    QCOMPARE(hl.roleAt(at(doc, "import")), Role::String);
    QCOMPARE(hl.roleAt(at(doc, "# still")), Role::String);
    QCOMPARE(hl.roleAt(at(doc, "\"\"\"\n")), Role::String);
    QCOMPARE(hl.roleAt(at(doc, "y =")), Role::Plain);
    QCOMPARE(hl.roleAt(at(doc, "1\n")), Role::Number);
    QCOMPARE(hl.roleAt(at(doc, "two")), Role::String);
    QCOMPARE(hl.roleAt(at(doc, "if")), Role::Keyword);
    QCOMPARE(hl.roleAt(at(doc, "True")), Role::Keyword);
    QCOMPARE(hl.roleAt(at(doc, "None")), Role::Keyword);
}

void TestCodePanel::cTokens()
{
    QTextDocument doc(
        QStringLiteral("#include <sys/socket.h>\n"
                       "/* a comment\n"
                       "   int inside the comment */ int after = 0x1F;\n"
                       "int main(void) // int in a line comment\n"
                       "{\n"
                       "    const char *s = \"tab\\there \\\"q\\\" // not a comment\";\n"
                       "    struct sockaddr_in addr;\n"
                       "    socklen_t len = sizeof addr;\n"
                       "    if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0 &&\n"
                       "        errno == EADDRINUSE)\n"
                       "        return 1;\n"
                       "}\n"));
    CodeHighlighter hl(&doc, Language::C);
    hl.rehighlight();

    QCOMPARE(hl.roleAt(at(doc, "#include")), Role::Preprocessor);
    QCOMPARE(hl.roleAt(at(doc, "include")), Role::Preprocessor);
    QCOMPARE(hl.roleAt(at(doc, "<sys")), Role::String);
    QCOMPARE(hl.roleAt(at(doc, "/* a")), Role::Comment);
    QCOMPARE(hl.roleAt(at(doc, "int inside")), Role::Comment);
    QCOMPARE(hl.roleAt(at(doc, "*/")), Role::Comment);
    QCOMPARE(hl.roleAt(at(doc, "int after")), Role::Type);
    QCOMPARE(hl.roleAt(at(doc, "after")), Role::Plain);
    QCOMPARE(hl.roleAt(at(doc, "0x1F")), Role::Number);
    QVERIFY(hl.formatAt(at(doc, "int main")) != hl.formatAt(at(doc, "main")));
    QVERIFY(hl.formatAt(at(doc, "int main")).foreground() !=
            hl.formatAt(at(doc, "main")).foreground());
    QCOMPARE(hl.roleAt(at(doc, "void")), Role::Type);
    QCOMPARE(hl.roleAt(at(doc, "// int")), Role::Comment);
    QCOMPARE(hl.roleAt(at(doc, "int in a line")), Role::Comment);
    QCOMPARE(hl.roleAt(at(doc, "const")), Role::Keyword);
    QCOMPARE(hl.roleAt(at(doc, "\"tab")), Role::String);
    QCOMPARE(hl.roleAt(at(doc, "\\there")), Role::Escape);
    QCOMPARE(hl.roleAt(at(doc, "\\\"q")), Role::Escape);
    QCOMPARE(hl.roleAt(at(doc, "q\\\"")), Role::String);
    QCOMPARE(hl.roleAt(at(doc, "// not")), Role::String);
    QCOMPARE(hl.roleAt(at(doc, "\";")), Role::String);
    QCOMPARE(hl.roleAt(at(doc, "struct")), Role::Keyword);
    QCOMPARE(hl.roleAt(at(doc, "sockaddr_in")), Role::Type);
    QCOMPARE(hl.roleAt(at(doc, "addr;")), Role::Plain);
    QCOMPARE(hl.roleAt(at(doc, "socklen_t")), Role::Type);
    QCOMPARE(hl.roleAt(at(doc, "sizeof")), Role::Keyword);
    QCOMPARE(hl.roleAt(at(doc, "setsockopt")), Role::Call);
    QCOMPARE(hl.roleAt(at(doc, "fd,")), Role::Plain);
    QCOMPARE(hl.roleAt(at(doc, "SOL_SOCKET")), Role::Constant);
    QCOMPARE(hl.roleAt(at(doc, "SO_REUSEADDR")), Role::Constant);
    QCOMPARE(hl.roleAt(at(doc, "EADDRINUSE")), Role::Constant);
    QCOMPARE(hl.roleAt(at(doc, "0 &&")), Role::Number);
    QCOMPARE(hl.roleAt(at(doc, "return")), Role::Keyword);
}

void TestCodePanel::cBlockCommentFollowsEdits()
{
    QTextDocument doc(QStringLiteral("int a;\n"
                                     "/* start\n"
                                     "int b;\n"
                                     "end */ int c;\n"
                                     "int d;\n"));
    // As in the editor: a document reports edits (and so re-highlights) only with a layout.
    doc.setDocumentLayout(new QPlainTextDocumentLayout(&doc));
    CodeHighlighter hl(&doc, Language::C);
    hl.rehighlight();
    QCOMPARE(hl.roleAt(at(doc, "int b")), Role::Comment);
    QCOMPARE(hl.roleAt(at(doc, "end")), Role::Comment);
    QCOMPARE(hl.roleAt(at(doc, "int c")), Role::Type);
    QCOMPARE(hl.roleAt(at(doc, "int d")), Role::Type);
    QCOMPARE(doc.findBlockByNumber(1).userState(), 1);
    QCOMPARE(doc.findBlockByNumber(3).userState(), 0);

    // Opening the comment was on line 2; taking it away must re-highlight the lines after.
    QTextCursor cursor(&doc);
    cursor.setPosition(at(doc, "/* start"));
    cursor.setPosition(at(doc, "/* start") + 2, QTextCursor::KeepAnchor);
    cursor.removeSelectedText();
    QCOMPARE(hl.roleAt(at(doc, "int b")), Role::Type);
    QCOMPARE(hl.roleAt(at(doc, "end")), Role::Plain);
    QCOMPARE(hl.roleAt(at(doc, "int c")), Role::Type);

    // And putting it back on the first line comments out everything up to the "*/".
    cursor.setPosition(0);
    cursor.insertText(QStringLiteral("/*"));
    QCOMPARE(hl.roleAt(at(doc, "int a")), Role::Comment);
    QCOMPARE(hl.roleAt(at(doc, "int b")), Role::Comment);
    QCOMPARE(hl.roleAt(at(doc, "end")), Role::Comment);
    QCOMPARE(hl.roleAt(at(doc, "int c")), Role::Type);
    QCOMPARE(hl.roleAt(at(doc, "int d")), Role::Type);
}

void TestCodePanel::constantsAndLookAlikes()
{
    QTextDocument doc(QStringLiteral(
        "x = (TCP_KEEPIDLE, TCP_USER_TIMEOUT, IPPROTO_TCP, ETIMEDOUT, EAGAIN, POLLIN,\n"
        "     EOF, EXIT_FAILURE, Exception, so_keepalive, SO_, MAX_EVENTS)\n"));
    CodeHighlighter hl(&doc, Language::Python);
    hl.rehighlight();
    for (const char *name :
         {"TCP_KEEPIDLE", "TCP_USER_TIMEOUT", "IPPROTO_TCP", "ETIMEDOUT", "EAGAIN", "POLLIN"})
        QVERIFY2(hl.roleAt(at(doc, QLatin1String(name))) == Role::Constant, name);
    for (const char *name :
         {"EOF", "EXIT_FAILURE", "Exception", "so_keepalive", "SO_,", "MAX_EVENTS"})
        QVERIFY2(hl.roleAt(at(doc, QLatin1String(name))) == Role::Plain, name);
    QVERIFY(hl.roleFormat(Role::Constant).fontWeight() > QFont::Normal);
}

void TestCodePanel::coloursReadOnLightAndDark()
{
    QTextDocument doc;
    CodeHighlighter hl(&doc, Language::C);
    for (const QPalette &pal : {lightPalette(), darkPalette()}) {
        hl.setPalette(pal);
        const QColor base = pal.color(QPalette::Base);
        for (int r = Role::Keyword; r < Role::RoleCount; ++r) {
            const QColor fg = hl.roleFormat(Role(r)).foreground().color();
            const double ratio = contrast(fg, base);
            QVERIFY2(ratio >= 4.5,
                     qPrintable(QStringLiteral("role %1 on %2: %3 against %4, "
                                               "contrast %5")
                                    .arg(r)
                                    .arg(CodeHighlighter::isDark(pal) ? "dark" : "light")
                                    .arg(fg.name(), base.name())
                                    .arg(ratio, 0, 'f', 2)));
        }
    }
    hl.setPalette(lightPalette());
    const QColor lightKeyword = hl.roleFormat(Role::Keyword).foreground().color();
    hl.setPalette(darkPalette());
    QVERIFY(hl.roleFormat(Role::Keyword).foreground().color() != lightKeyword);
}

void TestCodePanel::languageSwitchRehighlights()
{
    // "#" starts a comment in Python but a directive in C.
    QTextDocument doc(QStringLiteral("#include <stdio.h>\n"));
    CodeHighlighter hl(&doc, Language::Python);
    hl.rehighlight();
    QCOMPARE(hl.roleAt(0), Role::Comment);
    hl.setLanguage(Language::C);
    QCOMPARE(hl.language(), Language::C);
    QCOMPARE(hl.roleAt(0), Role::Preprocessor);
}

void TestCodePanel::emptyBeforeProfile()
{
    CodePanel panel;
    QVERIFY(panel.text().isEmpty());
    QVERIFY(!panel.hasProgram());
    QCOMPARE(panel.language(), Language::Python);
    QVERIFY(!child<QPushButton>(panel, "copyButton")->isEnabled());
    QVERIFY(!child<QPushButton>(panel, "saveButton")->isEnabled());
    QVERIFY(panel.editor()->isReadOnly());
    QCOMPARE(panel.editor()->lineWrapMode(), QPlainTextEdit::NoWrap);
    // Monospaced, measured (fontconfig does not flag every monospace font as fixed pitch).
    const QFontMetricsF mono(panel.editor()->font());
    QCOMPARE(mono.horizontalAdvance(QStringLiteral("iiii")),
             mono.horizontalAdvance(QStringLiteral("MMMM")));
    // Only the family is set: the size follows the application font (and its zoom).
    QCOMPARE(panel.editor()->font().pointSizeF(), panel.font().pointSizeF());
    QVERIFY(child<QLabel>(panel, "hintLabel")->text().contains("python3 socklab_client.py"));
    // Every control explains itself.
    for (const char *name :
         {"languageCombo", "copyButton", "saveButton", "codeEdit", "hintLabel", "errorLabel"})
        QVERIFY2(!child<QWidget>(panel, name)->toolTip().isEmpty(), name);
}

void TestCodePanel::debouncesProfileBursts()
{
    FakeGenerator gen;
    CodePanel panel;
    panel.setGenerator(gen.fn());
    QCOMPARE(gen.calls, 0); // no profile yet, nothing to generate
    for (quint16 port = 5000; port < 5010; ++port)
        panel.setProfile(profileWithPort(port));
    QCOMPARE(gen.calls, 0);
    QTRY_VERIFY(!panel.text().isEmpty());
    QCOMPARE(gen.calls, 1);
    QVERIFY(panel.text().contains(QLatin1String("PORT = 5009")));
    QTest::qWait(250);
    QCOMPARE(gen.calls, 1);

    // The same profile again is no change at all.
    panel.setProfile(profileWithPort(5009));
    QTest::qWait(250);
    QCOMPARE(gen.calls, 1);
}

void TestCodePanel::errorReplacesCodeAndDisablesButtons()
{
    FakeGenerator gen;
    CodePanel panel;
    panel.setGenerator(gen.fn());
    auto *copy = child<QPushButton>(panel, "copyButton");
    auto *save = child<QPushButton>(panel, "saveButton");
    auto *stack = child<QStackedWidget>(panel, "stack");

    panel.setProfile(profileWithPort(5000));
    QTRY_VERIFY(panel.hasProgram());
    QVERIFY(copy->isEnabled() && save->isEnabled());
    QCOMPARE(stack->currentWidget()->objectName(), QStringLiteral("codePage"));

    gen.error = QStringLiteral("SO_LINGER has no Python spelling here");
    panel.setProfile(profileWithPort(5001));
    QTRY_VERIFY(!panel.hasProgram());
    QVERIFY(panel.text().contains(gen.error));
    QVERIFY(panel.text().contains(QLatin1String("Python")));
    QVERIFY(!panel.text().contains(QLatin1String("filler")));
    QVERIFY(!copy->isEnabled());
    QVERIFY(!save->isEnabled());
    QCOMPARE(stack->currentWidget()->objectName(), QStringLiteral("errorPage"));
    QVERIFY(child<QLabel>(panel, "errorLabel")->text().contains(gen.error));
    QVERIFY(child<QLabel>(panel, "hintLabel")->isHidden()); // no program, nothing to run
    QString why;
    QVERIFY(!panel.saveTo(QDir::temp().filePath(QStringLiteral("never.py")), &why));

    // Copy does nothing while there is no program (the button is off; the slot checks too).
    QGuiApplication::clipboard()->setText(QStringLiteral("untouched"));
    panel.copyToClipboard();
    QCOMPARE(QGuiApplication::clipboard()->text(), QStringLiteral("untouched"));

    // An error with no reason still reads as a sentence.
    gen.error = QStringLiteral(" ");
    panel.setProfile(profileWithPort(5002));
    QTRY_VERIFY(panel.text().contains(QLatin1String("neither a program nor a reason")));

    gen.error.clear();
    panel.setProfile(profileWithPort(5003));
    QTRY_VERIFY(panel.hasProgram());
    QVERIFY(panel.text().contains(QLatin1String("PORT = 5003")));
    QCOMPARE(panel.editor()->toPlainText(), panel.text());
    QVERIFY(copy->isEnabled() && save->isEnabled());
    QCOMPARE(stack->currentWidget()->objectName(), QStringLiteral("codePage"));
    QVERIFY(!child<QLabel>(panel, "hintLabel")->isHidden());
}

void TestCodePanel::languageSwitchRegeneratesAtOnce()
{
    FakeGenerator gen;
    CodePanel panel;
    panel.setGenerator(gen.fn());
    QSignalSpy changed(&panel, &CodePanel::languageChanged);
    panel.setProfile(profileWithPort(5000));
    QTRY_VERIFY(panel.hasProgram());
    QVERIFY(panel.text().startsWith(QLatin1String("#!/usr/bin/env python3")));

    panel.setLanguage(Language::C);
    // At once: a click on the language must not wait for the debounce.
    QCOMPARE(panel.language(), Language::C);
    QVERIFY(panel.text().startsWith(QLatin1String("#include")));
    QCOMPARE(panel.editor()->toPlainText(), panel.text());
    QCOMPARE(panel.highlighter()->language(), Language::C);
    QCOMPARE(panel.highlighter()->roleAt(0), Role::Preprocessor);
    QCOMPARE(child<QComboBox>(panel, "languageCombo")->currentIndex(), 1);
    QVERIFY(child<QLabel>(panel, "hintLabel")->text().contains("socklab_client.c"));
    QCOMPARE(changed.count(), 1);
    QCOMPARE(changed.at(0).at(0).value<Language>(), Language::C);

    // Setting the same language again is no change.
    panel.setLanguage(Language::C);
    QCOMPARE(changed.count(), 1);

    // The combo box is the user's way to switch back.
    child<QComboBox>(panel, "languageCombo")->setCurrentIndex(0);
    QCOMPARE(panel.language(), Language::Python);
    QVERIFY(panel.text().startsWith(QLatin1String("#!/usr/bin/env python3")));
    QCOMPARE(panel.highlighter()->roleAt(0), Role::Comment);
    QCOMPARE(changed.count(), 2);
}

void TestCodePanel::identicalTextLeavesDocumentAlone()
{
    FakeGenerator gen;
    CodePanel panel;
    panel.setGenerator(gen.fn());
    panel.resize(500, 300);
    panel.show();
    QVERIFY(QTest::qWaitForWindowExposed(&panel));
    panel.setProfile(profileWithPort(5000));
    QTRY_VERIFY(panel.hasProgram());

    QScrollBar *vbar = panel.editor()->verticalScrollBar();
    QVERIFY(vbar->maximum() > 40);
    vbar->setValue(40);
    QSignalSpy edits(panel.editor()->document(), &QTextDocument::contentsChange);
    Profile p = profileWithPort(5000);
    p.recvBytes = 123; // another profile, the same program
    panel.setProfile(p);
    QTRY_COMPARE(gen.calls, 2);
    QCOMPARE(edits.count(), 0);
    QCOMPARE(vbar->value(), 40);
}

void TestCodePanel::changeKeepsScrollAndMarksLines()
{
    FakeGenerator gen;
    CodePanel panel;
    panel.setGenerator(gen.fn());
    panel.resize(500, 300);
    panel.show();
    QVERIFY(QTest::qWaitForWindowExposed(&panel));
    panel.setProfile(profileWithPort(5000));
    QTRY_VERIFY(panel.hasProgram());
    QVERIFY(panel.editor()->extraSelections().isEmpty());

    QScrollBar *vbar = panel.editor()->verticalScrollBar();
    vbar->setValue(60);
    panel.setProfile(profileWithPort(5555)); // line 80 changes, below the top line
    QTRY_VERIFY(panel.text().contains(QLatin1String("PORT = 5555")));
    QCOMPARE(panel.editor()->toPlainText(), panel.text());
    QCOMPARE(vbar->value(), 60);
    auto marks = panel.editor()->extraSelections();
    QCOMPARE(marks.size(), 1);
    QCOMPARE(marks.at(0).cursor.block().blockNumber(), 80);
    QVERIFY(marks.at(0).format.property(QTextFormat::FullWidthSelection).toBool());

    Profile p = profileWithPort(5555);
    p.send = QStringLiteral("two\nlines"); // line 5 becomes two lines, above the top line
    panel.setProfile(p);
    QTRY_VERIFY(panel.text().contains(QLatin1String("SEND = 'two")));
    QCOMPARE(panel.editor()->toPlainText(), panel.text());
    QCOMPARE(vbar->value(), 60);
    marks = panel.editor()->extraSelections();
    QCOMPARE(marks.size(), 2);
    QCOMPARE(marks.at(0).cursor.block().blockNumber(), 5);
    QCOMPARE(marks.at(1).cursor.block().blockNumber(), 6);
    // Formats are still right after an incremental edit.
    QCOMPARE(panel.highlighter()->roleAt(at(*panel.editor()->document(), "'two")), Role::String);

    // Another language is another program: nothing is marked as changed.
    panel.setLanguage(Language::C);
    QVERIFY(panel.editor()->extraSelections().isEmpty());
}

void TestCodePanel::distantChangesMarkedApart()
{
    FakeGenerator gen;
    CodePanel panel;
    panel.setGenerator(gen.fn());
    panel.setProfile(profileWithPort(5000));
    QTRY_VERIFY(panel.hasProgram());
    // One profile change shows in two places 75 lines apart: only those two are tinted, not
    // everything between them.
    Profile p = profileWithPort(5001);
    p.send = QStringLiteral("bye");
    panel.setProfile(p);
    QTRY_VERIFY(panel.text().contains(QLatin1String("PORT = 5001")));
    QCOMPARE(panel.editor()->toPlainText(), panel.text());
    const auto marks = panel.editor()->extraSelections();
    QCOMPARE(marks.size(), 2);
    QCOMPARE(marks.at(0).cursor.block().blockNumber(), 5);
    QCOMPARE(marks.at(1).cursor.block().blockNumber(), 80);
}

void TestCodePanel::incrementalEditsMatchProgram()
{
    // Random line edits (insertions, deletions, changes, at the ends too, with and without a
    // final newline): after each, the document holds exactly the new program.
    QString program;
    CodePanel panel;
    panel.setGenerator([&program](Language, const Profile &, QString *) { return program; });
    child<QTimer>(panel, "regenerateDebounce")->setInterval(0);
    auto *rng = QRandomGenerator::global();
    QStringList lines;
    for (int i = 0; i < 40; ++i)
        lines << QStringLiteral("line %1 = '%2'  # /* x").arg(i).arg(rng->bounded(1000));
    const auto render = [&] {
        QString s = lines.join(u'\n');
        if (rng->bounded(3) != 0)
            s += u'\n';
        return s.isEmpty() ? QStringLiteral("x") : s;
    };
    program = render();
    quint16 port = 1;
    panel.setProfile(profileWithPort(port));
    QTRY_COMPARE(panel.text(), program);
    for (int round = 0; round < 150; ++round) {
        const int edits = 1 + int(rng->bounded(4));
        for (int e = 0; e < edits; ++e) {
            const int at = lines.isEmpty() ? 0 : int(rng->bounded(lines.size() + 1));
            const QString fresh = QStringLiteral("new %1 \"%2\" */").arg(round).arg(e);
            switch (rng->bounded(3)) {
            case 0:
                lines.insert(at, fresh);
                break;
            case 1:
                if (at < lines.size())
                    lines.removeAt(at);
                break;
            default:
                if (at < lines.size())
                    lines[at] = fresh;
                break;
            }
        }
        program = render();
        panel.setProfile(profileWithPort(++port));
        QTRY_COMPARE(panel.text(), program);
        QCOMPARE(panel.editor()->toPlainText(), program);
        for (const auto &mark : panel.editor()->extraSelections())
            QVERIFY(mark.cursor.block().blockNumber() < panel.editor()->document()->blockCount());
    }
}

void TestCodePanel::copyPutsProgramOnClipboard()
{
    FakeGenerator gen;
    CodePanel panel;
    panel.setGenerator(gen.fn());
    panel.setProfile(profileWithPort(5000));
    QTRY_VERIFY(panel.hasProgram());
    QGuiApplication::clipboard()->clear();
    QTest::mouseClick(child<QPushButton>(panel, "copyButton"), Qt::LeftButton);
    QCOMPARE(QGuiApplication::clipboard()->text(), panel.text());
}

void TestCodePanel::saveWritesProgram()
{
    FakeGenerator gen;
    CodePanel panel;
    panel.setGenerator(gen.fn());
    panel.setProfile(profileWithPort(5000));
    QTRY_VERIFY(panel.hasProgram());
    QTemporaryDir dir;
    QVERIFY(dir.isValid());

    const QString path = dir.filePath(QStringLiteral("socklab_client.py"));
    QString error;
    QVERIFY2(panel.saveTo(path, &error), qPrintable(error));
    QFile file(path);
    QVERIFY(file.open(QIODevice::ReadOnly));
    QCOMPARE(QString::fromUtf8(file.readAll()), panel.text());
    // It starts with #!, so it can be run as ./socklab_client.py.
    QVERIFY(file.permissions() & QFileDevice::ExeOwner);

    // Saving over a file replaces it whole.
    panel.setLanguage(Language::C);
    QVERIFY2(panel.saveTo(path, &error), qPrintable(error));
    file.close();
    QVERIFY(file.open(QIODevice::ReadOnly));
    QCOMPARE(QString::fromUtf8(file.readAll()), panel.text());

    // A directory where the file should be: refused, naming the file and the reason.
    QFile blocker(dir.filePath(QStringLiteral("not-a-dir")));
    QVERIFY(blocker.open(QIODevice::WriteOnly));
    blocker.close();
    const QString bad = dir.filePath(QStringLiteral("not-a-dir/x.c"));
    QVERIFY(!panel.saveTo(bad, &error));
    QVERIFY2(error.contains(bad), qPrintable(error));
    QVERIFY(!QFile::exists(bad));
}

void TestCodePanel::saveDialogDefaultsAndFailure()
{
    FakeGenerator gen;
    CodePanel panel;
    panel.setGenerator(gen.fn());
    panel.setProfile(profileWithPort(5000));
    QTRY_VERIFY(panel.hasProgram());
    QTemporaryDir dir;
    QVERIFY(dir.isValid());

    // The dialog is modal: answer it from the event loop.
    QString suggested;
    QTimer::singleShot(0, this, [&] {
        auto *dialog = qobject_cast<QFileDialog *>(QApplication::activeModalWidget());
        QVERIFY(dialog);
        suggested = QFileInfo(dialog->selectedFiles().value(0)).fileName();
        dialog->setDirectory(dir.path());
        dialog->selectFile(QStringLiteral("mine")); // no suffix: the dialog adds .py
        static_cast<QDialog *>(dialog)->accept();   // QFileDialog::accept, through its base
    });
    panel.saveWithDialog();
    QCOMPARE(suggested, QStringLiteral("socklab_client.py"));
    QVERIFY(QFile::exists(dir.filePath(QStringLiteral("mine.py"))));

    // A save that fails says so in a message box naming the file.
    QFile blocker(dir.filePath(QStringLiteral("not-a-dir")));
    QVERIFY(blocker.open(QIODevice::WriteOnly));
    blocker.close();
    QString boxText;
    QTimer::singleShot(0, this, [&] {
        auto *dialog = qobject_cast<QFileDialog *>(QApplication::activeModalWidget());
        QVERIFY(dialog);
        dialog->selectFile(dir.filePath(QStringLiteral("not-a-dir/x.py")));
        QTimer::singleShot(0, this, [&] {
            auto *box = qobject_cast<QMessageBox *>(QApplication::activeModalWidget());
            QVERIFY(box);
            boxText = box->text();
            box->accept();
        });
        static_cast<QDialog *>(dialog)->accept(); // QFileDialog::accept, through its base
    });
    panel.saveWithDialog();
    QVERIFY2(boxText.contains(QLatin1String("not-a-dir")), qPrintable(boxText));
}

void TestCodePanel::paletteChangeRecolours()
{
    FakeGenerator gen;
    CodePanel panel;
    panel.setGenerator(gen.fn());
    panel.setPalette(lightPalette());
    panel.setProfile(profileWithPort(5000));
    QTRY_VERIFY(panel.hasProgram());
    const QColor light = panel.highlighter()->roleFormat(Role::Comment).foreground().color();
    panel.setPalette(darkPalette());
    const QColor dark = panel.highlighter()->roleFormat(Role::Comment).foreground().color();
    QVERIFY(light != dark);
    // The formats in the document follow, not only the ones for new text.
    QCOMPARE(panel.highlighter()->formatAt(at(*panel.editor()->document(), "# filler")),
             panel.highlighter()->roleFormat(Role::Comment));
}

void TestCodePanel::realGeneratorProgramOrError()
{
    // Whatever state the generator is in, the panel shows its program or its reason.
    const Profile profile;
    QString error;
    const QString program = socklab::code::generate(Language::Python, profile, &error);

    CodePanel panel;
    panel.setProfile(profile);
    QTRY_VERIFY(!panel.text().isEmpty());
    if (program.isEmpty()) {
        QVERIFY(!panel.hasProgram());
        QVERIFY2(panel.text().contains(error), qPrintable(panel.text()));
        QVERIFY(!child<QPushButton>(panel, "copyButton")->isEnabled());
        QVERIFY(!child<QPushButton>(panel, "saveButton")->isEnabled());
    } else {
        QVERIFY(panel.hasProgram());
        QCOMPARE(panel.text(), program);
        QVERIFY(panel.text().contains(QLatin1String("socket")));
        QVERIFY(child<QPushButton>(panel, "copyButton")->isEnabled());
    }
}

void TestCodePanel::realGeneratorBothLanguages()
{
    CodePanel panel;
    panel.setProfile(Profile{});
    QTRY_VERIFY(panel.hasProgram());
    const QString python = panel.text();
    QVERIFY(python.contains(QLatin1String("import socket")));
    QCOMPARE(panel.highlighter()->roleAt(at(*panel.editor()->document(), "import socket")),
             Role::Keyword);

    panel.setLanguage(Language::C);
    QVERIFY2(panel.hasProgram(), qPrintable(panel.text()));
    QVERIFY(panel.text() != python);
    QVERIFY(panel.text().contains(QLatin1String("#include")));
    QVERIFY(panel.text().contains(QLatin1String("socket(")));
    QCOMPARE(panel.highlighter()->roleAt(at(*panel.editor()->document(), "#include")),
             Role::Preprocessor);
}

QTEST_MAIN(TestCodePanel)
#include "tst_codepanel.moc"
