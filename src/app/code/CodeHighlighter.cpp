#include "CodeHighlighter.h"

#include <QGuiApplication>
#include <QSet>
#include <QTextBlock>
#include <QTextDocument>
#include <QTextLayout>

#include <initializer_list>

using socklab::code::Language;

namespace {

// Stored in every format we apply, so roleAt() can tell what a character was taken for.
constexpr int kRoleProperty = QTextFormat::UserProperty + 1;

// Block states: what a line ends inside of, for the next line to continue.
enum BlockState
{
    Normal = 0,
    CBlockComment = 1,
    PySingleTriple = 2,    // '''
    PyDoubleTriple = 3,    // """
    PyRawSingleTriple = 4, // r'''  (escapes are not escapes)
    PyRawDoubleTriple = 5, // r"""
};

const QSet<QString> &pythonKeywords()
{
    static const QSet<QString> words{
        QStringLiteral("False"),  QStringLiteral("None"),     QStringLiteral("True"),
        QStringLiteral("and"),    QStringLiteral("as"),       QStringLiteral("assert"),
        QStringLiteral("async"),  QStringLiteral("await"),    QStringLiteral("break"),
        QStringLiteral("class"),  QStringLiteral("continue"), QStringLiteral("def"),
        QStringLiteral("del"),    QStringLiteral("elif"),     QStringLiteral("else"),
        QStringLiteral("except"), QStringLiteral("finally"),  QStringLiteral("for"),
        QStringLiteral("from"),   QStringLiteral("global"),   QStringLiteral("if"),
        QStringLiteral("import"), QStringLiteral("in"),       QStringLiteral("is"),
        QStringLiteral("lambda"), QStringLiteral("nonlocal"), QStringLiteral("not"),
        QStringLiteral("or"),     QStringLiteral("pass"),     QStringLiteral("raise"),
        QStringLiteral("return"), QStringLiteral("try"),      QStringLiteral("while"),
        QStringLiteral("with"),   QStringLiteral("yield"),
    };
    return words;
}

const QSet<QString> &cKeywords()
{
    static const QSet<QString> words{
        QStringLiteral("break"),    QStringLiteral("case"),     QStringLiteral("const"),
        QStringLiteral("continue"), QStringLiteral("default"),  QStringLiteral("do"),
        QStringLiteral("else"),     QStringLiteral("enum"),     QStringLiteral("extern"),
        QStringLiteral("for"),      QStringLiteral("goto"),     QStringLiteral("if"),
        QStringLiteral("inline"),   QStringLiteral("register"), QStringLiteral("restrict"),
        QStringLiteral("return"),   QStringLiteral("sizeof"),   QStringLiteral("static"),
        QStringLiteral("struct"),   QStringLiteral("switch"),   QStringLiteral("typedef"),
        QStringLiteral("union"),    QStringLiteral("volatile"), QStringLiteral("while"),
        QStringLiteral("true"),     QStringLiteral("false"),    QStringLiteral("NULL"),
    };
    return words;
}

const QSet<QString> &cTypes()
{
    static const QSet<QString> words{
        QStringLiteral("void"),     QStringLiteral("char"),   QStringLiteral("short"),
        QStringLiteral("int"),      QStringLiteral("long"),   QStringLiteral("float"),
        QStringLiteral("double"),   QStringLiteral("signed"), QStringLiteral("unsigned"),
        QStringLiteral("bool"),     QStringLiteral("_Bool"),  QStringLiteral("FILE"),
        QStringLiteral("sigset_t"), // the *_t rule below covers the rest
    };
    return words;
}

// The calls the program exists to show: emphasised where they are called.
const QSet<QString> &socketCalls()
{
    static const QSet<QString> words{
        QStringLiteral("socket"),        QStringLiteral("setsockopt"),
        QStringLiteral("getsockopt"),    QStringLiteral("connect"),
        QStringLiteral("connect_ex"),    QStringLiteral("bind"),
        QStringLiteral("listen"),        QStringLiteral("accept"),
        QStringLiteral("recv"),          QStringLiteral("recv_into"),
        QStringLiteral("recvfrom"),      QStringLiteral("send"),
        QStringLiteral("sendall"),       QStringLiteral("sendto"),
        QStringLiteral("shutdown"),      QStringLiteral("close"),
        QStringLiteral("poll"),          QStringLiteral("ppoll"),
        QStringLiteral("select"),        QStringLiteral("settimeout"),
        QStringLiteral("setblocking"),   QStringLiteral("getaddrinfo"),
        QStringLiteral("freeaddrinfo"),  QStringLiteral("create_connection"),
        QStringLiteral("create_server"), QStringLiteral("fcntl"),
        QStringLiteral("getsockname"),   QStringLiteral("getpeername"),
    };
    return words;
}

bool isIdentStart(QChar c)
{
    return c.isLetter() || c == u'_';
}

bool isIdentChar(QChar c)
{
    return c.isLetterOrNumber() || c == u'_';
}

bool isDigit(QChar c)
{
    return c >= u'0' && c <= u'9';
}

bool isHexDigit(QChar c)
{
    return isDigit(c) || (c >= u'a' && c <= u'f') || (c >= u'A' && c <= u'F');
}

// SO_KEEPALIVE, TCP_KEEPIDLE, IPPROTO_TCP, SOL_SOCKET, AF_INET, SOCK_STREAM, MSG_PEEK,
// SHUT_WR, POLLIN, O_NONBLOCK, and errno names such as ETIMEDOUT or EADDRINUSE.
bool isSocketConstant(const QString &w)
{
    if (w.isEmpty() || !(w.front() >= u'A' && w.front() <= u'Z'))
        return false;
    for (QChar c : w) {
        if (!((c >= u'A' && c <= u'Z') || isDigit(c) || c == u'_'))
            return false;
    }
    static const char *const prefixes[] = {"SO_",  "SOL_",  "TCP_", "IPPROTO_", "AF_",
                                           "PF_",  "SOCK_", "MSG_", "SHUT_",    "INADDR_",
                                           "EAI_", "AI_",   "POLL"};
    for (const char *p : prefixes) {
        const auto prefix = QLatin1String(p);
        if (w.size() > prefix.size() && w.startsWith(prefix))
            return true;
    }
    if (w == QLatin1String("O_NONBLOCK") || w == QLatin1String("F_GETFL") ||
        w == QLatin1String("F_SETFL"))
        return true;
    // errno names are E and capitals with no underscore; EOF is the one common look-alike.
    return w.front() == u'E' && w.size() >= 3 && !w.contains(u'_') && w != QLatin1String("EOF");
}

// Length of the escape sequence starting at the backslash text[i].
qsizetype escapeLength(const QString &text, qsizetype i, Language lang)
{
    const qsizetype n = text.size();
    if (i + 1 >= n)
        return 1;
    const QChar c = text[i + 1];
    const auto countWhile = [&](qsizetype from, qsizetype max, auto pred) {
        qsizetype k = 0;
        while (from + k < n && k < max && pred(text[from + k]))
            ++k;
        return k;
    };
    if (c == u'x') // Python: exactly two hex digits; C: as many as follow
        return 2 + countWhile(i + 2, lang == Language::Python ? 2 : n, isHexDigit);
    if (c == u'u')
        return 2 + countWhile(i + 2, 4, isHexDigit);
    if (c == u'U')
        return 2 + countWhile(i + 2, 8, isHexDigit);
    if (c >= u'0' && c <= u'7')
        return 1 + countWhile(i + 1, 3, [](QChar d) { return d >= u'0' && d <= u'7'; });
    if (c == u'N' && lang == Language::Python && i + 2 < n && text[i + 2] == u'{') {
        const qsizetype close = text.indexOf(u'}', i + 3);
        return close < 0 ? n - i : close + 1 - i;
    }
    return 2;
}

QColor mix(const QColor &a, const QColor &b, double t)
{
    return QColor::fromRgbF(float(a.redF() * (1 - t) + b.redF() * t),
                            float(a.greenF() * (1 - t) + b.greenF() * t),
                            float(a.blueF() * (1 - t) + b.blueF() * t));
}

} // namespace

CodeHighlighter::CodeHighlighter(QTextDocument *document, Language language)
    : QSyntaxHighlighter(document), m_language(language),
      m_formats(formatsFor(QGuiApplication::palette()))
{
}

bool CodeHighlighter::isDark(const QPalette &palette)
{
    // The code is drawn on Base, so that is the colour the text has to stand out from.
    return palette.color(QPalette::Base).lightness() < 128;
}

std::array<QTextCharFormat, CodeHighlighter::RoleCount>
CodeHighlighter::formatsFor(const QPalette &palette)
{
    const bool dark = isDark(palette);
    // Two tones per hue: the 700 shade of a common palette on light bases and the 400 shade on
    // dark ones, each at least 4.5:1 against its base so it still reads on a washed-out
    // projector. Bold carries the emphasis where colour alone might be lost.
    const auto pick = [dark](QRgb light, QRgb darkTone) { return QColor(dark ? darkTone : light); };
    std::array<QTextCharFormat, RoleCount> f;
    f[Keyword].setForeground(pick(0x1d4ed8, 0x7cacf8));
    f[Keyword].setFontWeight(QFont::Bold);
    f[Type].setForeground(pick(0x1d4ed8, 0x7cacf8));
    f[String].setForeground(pick(0x15803d, 0x4ade80));
    f[Escape].setForeground(pick(0xb45309, 0xfbbf24));
    f[Escape].setFontWeight(QFont::Bold);
    // Comments recede: the text colour faded toward the base, whatever the two are.
    f[Comment].setForeground(
        mix(palette.color(QPalette::Text), palette.color(QPalette::Base), dark ? 0.38 : 0.45));
    f[Comment].setFontItalic(true);
    f[Number].setForeground(pick(0xc2410c, 0xfb923c));
    f[Constant].setForeground(pick(0x7e22ce, 0xd8a4fe));
    f[Constant].setFontWeight(QFont::Bold);
    f[Call].setForeground(pick(0x0f766e, 0x2dd4bf));
    f[Call].setFontWeight(QFont::Bold);
    f[Preprocessor].setForeground(pick(0xbe185d, 0xf472b6));
    for (int r = Keyword; r < RoleCount; ++r)
        f[size_t(r)].setProperty(kRoleProperty, r);
    return f;
}

void CodeHighlighter::setLanguage(Language language)
{
    if (language == m_language)
        return;
    m_language = language;
    rehighlight();
}

void CodeHighlighter::setPalette(const QPalette &palette)
{
    auto formats = formatsFor(palette);
    if (formats == m_formats)
        return;
    m_formats = std::move(formats);
    rehighlight();
}

QTextCharFormat CodeHighlighter::formatAt(int position) const
{
    const QTextDocument *doc = document();
    if (!doc)
        return {};
    const QTextBlock block = doc->findBlock(position);
    if (!block.isValid() || !block.layout())
        return {};
    const int inBlock = position - block.position();
    const QList<QTextLayout::FormatRange> ranges = block.layout()->formats();
    for (const QTextLayout::FormatRange &r : ranges) {
        if (inBlock >= r.start && inBlock < r.start + r.length)
            return r.format;
    }
    return {};
}

CodeHighlighter::Role CodeHighlighter::roleAt(int position) const
{
    const QVariant role = formatAt(position).property(kRoleProperty);
    return role.isValid() ? Role(role.toInt()) : Plain;
}

void CodeHighlighter::put(qsizetype start, qsizetype length, Role role)
{
    if (length > 0)
        setFormat(int(start), int(length), m_formats[size_t(role)]);
}

// Formats a string that began at `start` (its prefix or opening quote; 0 when it continues
// from the line before) and whose body starts at bodyStart, through `close` (one quote, or
// three), escapes included. Returns the index after the closing quote, or -1 when the line
// ends first.
qsizetype CodeHighlighter::scanString(const QString &text, qsizetype start, qsizetype bodyStart,
                                      QStringView close, bool raw)
{
    const qsizetype n = text.size();
    QList<std::pair<qsizetype, qsizetype>> escapes;
    qsizetype end = -1;
    qsizetype j = bodyStart;
    while (j < n) {
        if (text[j] == u'\\') {
            // Even in a raw string a backslash keeps the next quote from closing it.
            const qsizetype len = escapeLength(text, j, m_language);
            if (!raw)
                escapes.append({j, len});
            j += len;
        } else if (QStringView(text).sliced(j).startsWith(close)) {
            end = j + close.size();
            break;
        } else {
            ++j;
        }
    }
    put(start, (end < 0 ? n : end) - start, String);
    for (const auto &[at, len] : escapes)
        put(at, len, Escape);
    return end;
}

// A Python string literal whose quote is at quoteAt (after any r/b/f prefix from start).
// A triple-quoted one left open sets the block state so the next line continues it.
qsizetype CodeHighlighter::pythonString(const QString &text, qsizetype start, qsizetype quoteAt,
                                        bool raw)
{
    const QChar q = text[quoteAt];
    const QString triple(3, q);
    if (QStringView(text).sliced(quoteAt).startsWith(triple)) {
        const qsizetype end = scanString(text, start, quoteAt + 3, triple, raw);
        if (end < 0) {
            const bool single = q == u'\'';
            setCurrentBlockState(raw ? (single ? PyRawSingleTriple : PyRawDoubleTriple)
                                     : (single ? PySingleTriple : PyDoubleTriple));
            return text.size();
        }
        return end;
    }
    // An unclosed one-line string ends with its line (Python would refuse it anyway).
    const qsizetype end = scanString(text, start, quoteAt + 1, QStringView(&q, 1), raw);
    return end < 0 ? text.size() : end;
}

// Gives the identifier text[start, end) its role: keyword, constant, call, or `fallback`.
void CodeHighlighter::word(const QString &text, qsizetype start, qsizetype end, Role fallback)
{
    const QString w = text.sliced(start, end - start);
    const bool python = m_language == Language::Python;
    Role role = fallback;
    if (python ? pythonKeywords().contains(w) : cKeywords().contains(w)) {
        role = Keyword;
    } else if (!python && (cTypes().contains(w) || (w.size() > 2 && w.endsWith(u"_t")))) {
        role = Type;
    } else if (isSocketConstant(w)) {
        role = Constant;
    } else if (socketCalls().contains(w)) {
        qsizetype k = end;
        while (k < text.size() && text[k] == u' ')
            ++k;
        if (k < text.size() && text[k] == u'(')
            role = Call;
    }
    put(start, end - start, role);
}

namespace {

qsizetype scanIdentifier(const QString &text, qsizetype i)
{
    while (i < text.size() && isIdentChar(text[i]))
        ++i;
    return i;
}

// 42, 0x1F, 1.5e-3, 100UL, 1_000: digits, letters, '_' and '.', and a sign after an exponent.
qsizetype scanNumber(const QString &text, qsizetype i)
{
    const qsizetype n = text.size();
    const bool hex = i + 1 < n && text[i] == u'0' && (text[i + 1] == u'x' || text[i + 1] == u'X');
    qsizetype j = i;
    while (j < n) {
        const QChar c = text[j];
        if (isIdentChar(c) || c == u'.')
            ++j;
        else if ((c == u'+' || c == u'-') && !hex && j > i &&
                 (text[j - 1] == u'e' || text[j - 1] == u'E'))
            ++j;
        else
            break;
    }
    return j;
}

bool startsNumber(const QString &text, qsizetype i)
{
    return isDigit(text[i]) || (text[i] == u'.' && i + 1 < text.size() && isDigit(text[i + 1]));
}

bool isPythonStringPrefix(QStringView w)
{
    if (w.size() > 2)
        return false;
    for (QChar c : w) {
        const QChar l = c.toLower();
        if (l != u'r' && l != u'b' && l != u'f' && l != u'u')
            return false;
    }
    return true;
}

} // namespace

void CodeHighlighter::highlightBlock(const QString &text)
{
    setCurrentBlockState(Normal);
    if (m_language == Language::Python)
        highlightPython(text);
    else
        highlightC(text);
}

void CodeHighlighter::highlightPython(const QString &text)
{
    const qsizetype n = text.size();
    qsizetype i = 0;
    const int carried = previousBlockState();
    if (carried >= PySingleTriple && carried <= PyRawDoubleTriple) {
        const bool single = carried == PySingleTriple || carried == PyRawSingleTriple;
        const bool raw = carried >= PyRawSingleTriple;
        const QString triple(3, single ? u'\'' : u'"');
        i = scanString(text, 0, 0, triple, raw);
        if (i < 0) {
            setCurrentBlockState(carried);
            return;
        }
    }
    bool afterDef = false;
    while (i < n) {
        const QChar c = text[i];
        if (c == u'#') {
            put(i, n - i, Comment);
            return;
        }
        if (c == u'"' || c == u'\'') {
            i = pythonString(text, i, i, false);
        } else if (isIdentStart(c)) {
            const qsizetype end = scanIdentifier(text, i);
            const QStringView w = QStringView(text).sliced(i, end - i);
            if (end < n && (text[end] == u'"' || text[end] == u'\'') && isPythonStringPrefix(w)) {
                i = pythonString(text, i, end, w.contains(u'r', Qt::CaseInsensitive));
            } else {
                // The name a def introduces is not a call, even if it is connect().
                if (!afterDef)
                    word(text, i, end);
                afterDef = w == u"def";
                i = end;
            }
        } else if (startsNumber(text, i)) {
            const qsizetype end = scanNumber(text, i);
            put(i, end - i, Number);
            i = end;
        } else {
            if (!c.isSpace())
                afterDef = false;
            ++i;
        }
    }
}

void CodeHighlighter::highlightC(const QString &text)
{
    const qsizetype n = text.size();
    qsizetype i = 0;
    if (previousBlockState() == CBlockComment) {
        const qsizetype close = text.indexOf(QLatin1String("*/"));
        if (close < 0) {
            put(0, n, Comment);
            setCurrentBlockState(CBlockComment);
            return;
        }
        put(0, close + 2, Comment);
        i = close + 2;
    } else {
        // A directive: '#' first on the line, then its name; an #include's <header> reads
        // as the string it is.
        qsizetype k = 0;
        while (k < n && text[k].isSpace())
            ++k;
        if (k < n && text[k] == u'#') {
            qsizetype j = k + 1;
            while (j < n && text[j].isSpace())
                ++j;
            const qsizetype nameEnd = scanIdentifier(text, j);
            put(k, nameEnd - k, Preprocessor);
            i = nameEnd;
            if (QStringView(text).sliced(j, nameEnd - j) == u"include") {
                while (i < n && text[i].isSpace())
                    ++i;
                if (i < n && text[i] == u'<') {
                    const qsizetype close = text.indexOf(u'>', i);
                    const qsizetype end = close < 0 ? n : close + 1;
                    put(i, end - i, String);
                    i = end;
                }
            }
        }
    }
    bool afterStruct = false; // the name after struct/union/enum is a type
    while (i < n) {
        const QChar c = text[i];
        const QChar next = i + 1 < n ? text[i + 1] : QChar();
        if (c == u'/' && next == u'/') {
            put(i, n - i, Comment);
            return;
        }
        if (c == u'/' && next == u'*') {
            const qsizetype close = text.indexOf(QLatin1String("*/"), i + 2);
            if (close < 0) {
                put(i, n - i, Comment);
                setCurrentBlockState(CBlockComment);
                return;
            }
            put(i, close + 2 - i, Comment);
            i = close + 2;
        } else if (c == u'"' || c == u'\'') {
            const qsizetype end = scanString(text, i, i + 1, QStringView(&c, 1), false);
            i = end < 0 ? n : end;
        } else if (isIdentStart(c)) {
            const qsizetype end = scanIdentifier(text, i);
            const QStringView w = QStringView(text).sliced(i, end - i);
            if (end < n && (text[end] == u'"' || text[end] == u'\'') &&
                (w == u"L" || w == u"u" || w == u"U" || w == u"u8")) {
                const QChar q = text[end];
                const qsizetype close = scanString(text, i, end + 1, QStringView(&q, 1), false);
                i = close < 0 ? n : close;
                continue;
            }
            word(text, i, end, afterStruct ? Type : Plain);
            afterStruct = w == u"struct" || w == u"union" || w == u"enum";
            i = end;
        } else if (startsNumber(text, i)) {
            const qsizetype end = scanNumber(text, i);
            put(i, end - i, Number);
            i = end;
        } else {
            if (!c.isSpace())
                afterStruct = false;
            ++i;
        }
    }
}
