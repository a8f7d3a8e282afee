#pragma once

#include "CodeExport.h"
#include "Profile.h"

#include <QTimer>
#include <QWidget>

#include <functional>
#include <memory>
#include <optional>

class CodeHighlighter;
class QPlainTextEdit;
namespace Ui {
class CodePanel;
}

// The Code tab: the current configuration as a runnable Python or C program, highlighted,
// with Copy and Save.
class CodePanel : public QWidget
{
    Q_OBJECT
  public:
    // What turns a profile into a program; socklab::code::generate unless a test swaps it.
    using Generator =
        std::function<QString(socklab::code::Language, const socklab::Profile &, QString *error)>;

    explicit CodePanel(QWidget *parent = nullptr);
    ~CodePanel() override;

    socklab::code::Language language() const { return m_language; }
    // The program shown, or the sentence saying why there is none; empty before setProfile().
    QString text() const;
    // True when text() is a program (Copy and Save are enabled), false for an error or
    // before the first profile.
    bool hasProgram() const { return !m_program.isEmpty() && m_error.isEmpty(); }

    CodeHighlighter *highlighter() const { return m_highlighter; }
    QPlainTextEdit *editor() const;

    void setGenerator(Generator generator);

    // Writes the program shown to path (atomically, through QSaveFile). False, with *error
    // naming the file and the reason, if that fails or there is no program.
    bool saveTo(const QString &path, QString *error) const;

  public slots:
    // Regenerates after a short pause (kDebounceMs), so a slider dragged through many
    // values regenerates once.
    void setProfile(const socklab::Profile &profile);
    // Regenerates at once: the user asked for the other language.
    void setLanguage(socklab::code::Language language);
    void copyToClipboard();
    // Asks for a file name, then saves; a failure is shown in a message box.
    void saveWithDialog();

  signals:
    void languageChanged(socklab::code::Language language);

  protected:
    void changeEvent(QEvent *event) override;
    bool eventFilter(QObject *watched, QEvent *event) override;

  private:
    std::unique_ptr<Ui::CodePanel> m_ui;
    CodeHighlighter *m_highlighter = nullptr;
    Generator m_generator;
    QTimer m_debounce;
    std::optional<socklab::Profile> m_profile;
    socklab::code::Language m_language = socklab::code::Language::Python;
    // What the editor holds, and in which language; kept while an error is shown so a fix
    // that brings back the same program does not touch the document.
    QString m_program;
    socklab::code::Language m_programLanguage = socklab::code::Language::Python;
    QString m_error;
    QString m_lastSaveDir;
    // The lines the last change touched (block numbers), tinted.
    QList<int> m_marked;

    void regenerate();
    void showProgram(const QString &program);
    void showError(const QString &message);
    void replaceChangedLines(const QString &program);
    void markLines(const QList<int> &blocks);
    void updateHint();
    void updateButtons();
    void applyPalette();
};
