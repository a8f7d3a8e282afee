#pragma once

#include "CodeExport.h"

#include <QPalette>
#include <QSyntaxHighlighter>
#include <QTextCharFormat>

#include <array>

// Highlights the generated Python or C program. A small scanner rather than a list of
// regular expressions, so a '#' or a keyword inside a string is not mistaken for a comment
// or a keyword. The socket vocabulary (SO_*, TCP_*, IPPROTO_*, errno names, the socket
// calls) is emphasised, since that is what the program is there to show.
class CodeHighlighter : public QSyntaxHighlighter
{
    Q_OBJECT
  public:
    enum Role
    {
        Plain,
        Keyword,
        Type,         // C types: int, socklen_t, struct ...
        String,       // Python strings of every kind, C strings and characters, <header.h>
        Escape,       // \n, \x41, \0 inside a string
        Comment,      // # and //, /* */ across lines
        Number,       // 42, 0x1F, 1.5e-3, 100UL
        Constant,     // SO_*, TCP_*, IPPROTO_*, SOL_*, AF_*, SOCK_*, errno names ...
        Call,         // socket(), setsockopt(), connect(), recv() ...
        Preprocessor, // #include, #define
        RoleCount
    };
    Q_ENUM(Role)

    CodeHighlighter(QTextDocument *document, socklab::code::Language language);

    socklab::code::Language language() const { return m_language; }
    // Re-highlights the whole document if the language changes.
    void setLanguage(socklab::code::Language language);

    // Picks colours that read on this palette's base (light or dark); re-highlights if they
    // change.
    void setPalette(const QPalette &palette);

    QTextCharFormat roleFormat(Role role) const { return m_formats[size_t(role)]; }
    // What the highlighter made of the character at a document position (for tests and
    // tools): its format, and the role it was given (Plain where nothing was applied).
    QTextCharFormat formatAt(int position) const;
    Role roleAt(int position) const;

    // True when the palette's base is dark.
    static bool isDark(const QPalette &palette);

  protected:
    void highlightBlock(const QString &text) override;

  private:
    socklab::code::Language m_language;
    std::array<QTextCharFormat, RoleCount> m_formats;

    static std::array<QTextCharFormat, RoleCount> formatsFor(const QPalette &palette);
    void put(qsizetype start, qsizetype length, Role role);
    qsizetype scanString(const QString &text, qsizetype start, qsizetype bodyStart,
                         QStringView close, bool raw);
    qsizetype pythonString(const QString &text, qsizetype start, qsizetype quoteAt, bool raw);
    void word(const QString &text, qsizetype start, qsizetype end, Role fallback = Plain);
    void highlightPython(const QString &text);
    void highlightC(const QString &text);
};
