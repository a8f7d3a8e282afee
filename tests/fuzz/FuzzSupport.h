#pragma once

// Shared by the fuzz targets (tests/fuzz, docs/RELIABILITY.md). A failed invariant prints what
// went wrong and aborts, so libFuzzer saves the input as a crash and the replay test fails.
#include <QByteArray>
#include <QString>

#include <cstdint>
#include <cstdio>
#include <cstdlib>

namespace socklab::fuzz {

// s with every control character but newline shown as \u{XX}, for crash reports.
inline QString escaped(const QString &s)
{
    QString out;
    for (const QChar c : s) {
        if (c != QLatin1Char('\n') && (c.category() == QChar::Other_Control || c.isSurrogate()))
            out += QStringLiteral("\\u{%1}").arg(uint(c.unicode()), 0, 16);
        else
            out += c;
    }
    return out;
}

[[noreturn]] inline void fail(const char *file, int line, const char *condition,
                              const QString &detail)
{
    std::fprintf(stderr, "%s:%d: invariant failed: %s\n%s\n", file, line, condition,
                 escaped(detail).toUtf8().constData());
    std::abort();
}

// The input as libFuzzer gives it: a deep copy, so the parsers see what QFile::readAll() gives.
inline QByteArray bytes(const uint8_t *data, size_t size)
{
    return QByteArray(reinterpret_cast<const char *>(data), qsizetype(size));
}

// True if s has a character that a terminal or a text widget could act on rather than show:
// a C0 or C1 control or DEL (escape sequences, carriage return, backspace), a format
// character (bidi overrides, zero-width characters), a line or paragraph separator, or half
// of a surrogate pair. Messages that quote input must escape these.
inline bool hasUnsafeChar(const QString &s, bool allowNewline = false)
{
    for (qsizetype i = 0; i < s.size(); ++i) {
        const QChar c = s.at(i);
        if (c.isHighSurrogate() && i + 1 < s.size() && s.at(i + 1).isLowSurrogate()) {
            ++i;
            continue;
        }
        if (allowNewline && c == QLatin1Char('\n'))
            continue;
        switch (c.category()) {
        case QChar::Other_Control:
        case QChar::Other_Format:
        case QChar::Other_Surrogate:
        case QChar::Separator_Line:
        case QChar::Separator_Paragraph:
            return true;
        default:
            break;
        }
    }
    return false;
}

} // namespace socklab::fuzz

#define FUZZ_CHECK(condition, detail)                                                              \
    do {                                                                                           \
        if (!(condition))                                                                          \
            ::socklab::fuzz::fail(__FILE__, __LINE__, #condition, (detail));                       \
    } while (false)
