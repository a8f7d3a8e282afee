#include "StraceLine.h"

#include <cstring>

namespace socklab {

namespace {

bool isDigit(char c)
{
    return c >= '0' && c <= '9';
}

// A decimal number at the start of `s` (an optional minus sign); advances past it.
std::optional<qint64> takeInteger(QByteArrayView &s)
{
    qsizetype i = 0;
    const bool negative = !s.isEmpty() && s.front() == '-';
    if (negative)
        ++i;
    const qsizetype first = i;
    qint64 v = 0;
    while (i < s.size() && isDigit(s[i]) && i - first < 18)
        v = v * 10 + (s[i++] - '0');
    if (i == first || (i < s.size() && isDigit(s[i])))
        return std::nullopt;
    s = s.sliced(i);
    return negative ? -v : v;
}

// "1796505106.692748" (seconds and a fraction) as nanoseconds; advances past it.
std::optional<qint64> takeTimestampNs(QByteArrayView &s)
{
    const auto whole = takeInteger(s);
    if (!whole || *whole < 0 || *whole > 9'999'999'999) // seconds: until the year 2286
        return std::nullopt;
    qint64 ns = *whole * 1000000000;
    if (!s.isEmpty() && s.front() == '.') {
        s = s.sliced(1);
        qint64 scale = 100000000;
        qsizetype i = 0;
        for (; i < s.size() && isDigit(s[i]); ++i) {
            ns += (s[i] - '0') * scale;
            scale /= 10;
        }
        if (i == 0)
            return std::nullopt;
        s = s.sliced(i);
    }
    return ns;
}

void skipSpaces(QByteArrayView &s)
{
    while (!s.isEmpty() && s.front() == ' ')
        s = s.sliced(1);
}

bool isNameChar(char c)
{
    return isDigit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

// " = RET [ERRNAME] [(note)] <duration>" after the arguments' closing parenthesis.
bool parseResult(QByteArrayView s, StraceLine *out)
{
    skipSpaces(s);
    if (!s.startsWith("= "))
        return false;
    s = s.sliced(2);
    // The duration is last: "<0.000123>" (or "<unavailable>").
    if (s.endsWith('>')) {
        const qsizetype open = s.lastIndexOf('<');
        if (open >= 0) {
            QByteArrayView d = s.sliced(open + 1, s.size() - open - 2);
            if (const auto ns = takeTimestampNs(d); ns && d.isEmpty())
                out->durationNs = *ns;
            if (out->durationNs >= 0 || s.sliced(open).startsWith("<unavailable>"))
                s = s.first(open);
        }
    }
    while (s.endsWith(' '))
        s.chop(1);
    // The value runs to the first space not inside an fd's "<...>" annotation.
    qsizetype end = 0;
    int depth = 0;
    for (; end < s.size(); ++end) {
        const char c = s[end];
        if (c == '<')
            ++depth;
        else if (c == '>' && depth > 0)
            --depth;
        else if (c == ' ' && depth == 0)
            break;
    }
    out->retText = s.first(end).toByteArray();
    QByteArrayView v = out->retText;
    out->ret = takeInteger(v).value_or(0);
    s = s.sliced(end);
    skipSpaces(s);
    if (!s.isEmpty() && s.front() == 'E') {
        qsizetype n = 0;
        while (n < s.size() && isNameChar(s[n]))
            ++n;
        out->errName = s.first(n).toByteArray();
        s = s.sliced(n);
        skipSpaces(s);
    }
    if (s.startsWith('(') && s.endsWith(')'))
        out->retNote = s.sliced(1, s.size() - 2).toByteArray();
    return true;
}

// Where the arguments end and the result begins: the last ") = " outside the strings strace
// quotes (a program's data may hold one); -1 when the call has not returned.
qsizetype resultAt(QByteArrayView s)
{
    qsizetype found = -1;
    bool quoted = false;
    for (qsizetype i = 0; i < s.size(); ++i) {
        const char c = s[i];
        if (quoted) {
            if (c == '\\')
                ++i;
            else if (c == '"')
                quoted = false;
        } else if (c == '"') {
            quoted = true;
        } else if (c == ')' && s.sliced(i).startsWith(") = ")) {
            found = i;
        }
    }
    return found;
}

} // namespace

std::optional<StraceLine> parseStraceLine(QByteArrayView line)
{
    StraceLine out;
    QByteArrayView s = line;
    while (s.endsWith('\r') || s.endsWith('\n'))
        s.chop(1);
    // "PID  " (strace -f) then "SECONDS.FRACTION " (-ttt).
    const auto pid = takeInteger(s);
    if (!pid || *pid <= 0 || s.isEmpty() || s.front() != ' ')
        return std::nullopt;
    out.pid = *pid;
    skipSpaces(s);
    const auto wall = takeTimestampNs(s);
    if (!wall || s.isEmpty() || s.front() != ' ')
        return std::nullopt;
    out.wallNs = *wall;
    skipSpaces(s);
    if (s.startsWith("<... ")) {
        // "<... NAME resumed>REST) = RET <DUR>"
        s = s.sliced(5);
        qsizetype n = 0;
        while (n < s.size() && isNameChar(s[n]))
            ++n;
        if (n == 0 || !s.sliced(n).startsWith(" resumed>"))
            return std::nullopt;
        out.name = s.first(n).toByteArray();
        s = s.sliced(n + 9);
        out.part = StraceLine::Part::Resumed;
        const qsizetype close = resultAt(s);
        if (close < 0)
            return std::nullopt; // resumed and unfinished again: nothing to tell yet
        out.args = s.first(close).toByteArray();
        if (!parseResult(s.sliced(close + 1), &out))
            return std::nullopt;
        return out;
    }
    qsizetype n = 0;
    while (n < s.size() && isNameChar(s[n]))
        ++n;
    if (n == 0 || n >= s.size() || s[n] != '(' || isDigit(s.front()))
        return std::nullopt;
    out.name = s.first(n).toByteArray();
    s = s.sliced(n + 1);
    static constexpr char kUnfinished[] = " <unfinished ...>";
    if (s.endsWith(kUnfinished)) {
        out.part = StraceLine::Part::Entry;
        out.args = s.first(s.size() - qsizetype(std::strlen(kUnfinished))).toByteArray();
        return out;
    }
    const qsizetype close = resultAt(s);
    if (close < 0) {
        out.part = StraceLine::Part::Entry; // written so far: the call has not returned
        out.args = s.toByteArray();
        return out;
    }
    out.args = s.first(close).toByteArray();
    if (!parseResult(s.sliced(close + 1), &out))
        return std::nullopt;
    return out;
}

QList<quint64> socketInodes(QByteArrayView text)
{
    QList<quint64> out;
    static constexpr QByteArrayView kTag = "<socket:[";
    for (qsizetype at = text.indexOf(kTag); at >= 0; at = text.indexOf(kTag, at + 1)) {
        QByteArrayView rest = text.sliced(at + kTag.size());
        const auto inode = takeInteger(rest);
        if (inode && *inode > 0 && rest.startsWith("]>"))
            out << quint64(*inode);
    }
    return out;
}

namespace {

// The value of "key=N" in text, if there is one.
std::optional<qint64> field(QByteArrayView text, QByteArrayView key)
{
    for (qsizetype at = text.indexOf(key); at >= 0; at = text.indexOf(key, at + 1)) {
        if (at > 0 && isNameChar(text[at - 1]))
            continue;
        QByteArrayView rest = text.sliced(at + key.size());
        if (rest.startsWith('='))
            rest = rest.sliced(1);
        else
            continue;
        if (auto v = takeInteger(rest))
            return v;
    }
    return std::nullopt;
}

// The arguments split at the commas between them (not inside [], {}, "" or <>).
QList<QByteArrayView> splitArgs(QByteArrayView args)
{
    QList<QByteArrayView> out;
    int depth = 0;
    bool quoted = false;
    qsizetype from = 0;
    for (qsizetype i = 0; i < args.size(); ++i) {
        const char c = args[i];
        if (quoted) {
            if (c == '\\')
                ++i;
            else if (c == '"')
                quoted = false;
            continue;
        }
        if (c == '"')
            quoted = true;
        else if (c == '[' || c == '{' || c == '<' || c == '(')
            ++depth;
        else if ((c == ']' || c == '}' || c == '>' || c == ')') && depth > 0)
            --depth;
        else if (c == ',' && depth == 0) {
            out << args.sliced(from, i - from).trimmed();
            from = i + 1;
        }
    }
    out << args.sliced(from).trimmed();
    return out;
}

std::optional<double> timespecSeconds(QByteArrayView arg)
{
    // A time limit is never negative (the kernel refuses one with EINVAL).
    const auto sec = field(arg, "tv_sec");
    if (!sec || *sec < 0)
        return std::nullopt;
    const auto nsec = field(arg, "tv_nsec");
    const auto usec = field(arg, "tv_usec");
    if ((nsec && *nsec < 0) || (usec && *usec < 0))
        return std::nullopt;
    if (nsec)
        return double(*sec) + double(*nsec) / 1e9;
    if (usec)
        return double(*sec) + double(*usec) / 1e6;
    return double(*sec);
}

// strace's escaped string ("\0\0\340\223\4\0") back to its bytes.
QByteArray unescapeString(QByteArrayView s)
{
    QByteArray out;
    for (qsizetype i = 0; i < s.size(); ++i) {
        if (s[i] != '\\' || i + 1 >= s.size()) {
            out += s[i];
            continue;
        }
        const char c = s[++i];
        if (c >= '0' && c <= '7') {
            int v = 0;
            int digits = 0;
            while (digits < 3 && i < s.size() && s[i] >= '0' && s[i] <= '7') {
                v = v * 8 + (s[i++] - '0');
                ++digits;
            }
            --i;
            out += char(v);
        } else if (c == 'n') {
            out += '\n';
        } else if (c == 't') {
            out += '\t';
        } else if (c == 'r') {
            out += '\r';
        } else if (c == 'v') {
            out += '\v';
        } else if (c == 'f') {
            out += '\f';
        } else if (c == 'x' && i + 2 < s.size()) {
            out += char(QByteArray(s.sliced(i + 1, 2).toByteArray()).toInt(nullptr, 16));
            i += 2;
        } else {
            out += c;
        }
    }
    return out;
}

} // namespace

std::optional<double> waitTimeout(QByteArrayView name, QByteArrayView args)
{
    const QList<QByteArrayView> a = splitArgs(args);
    if (name == "poll") {
        // poll(fds, nfds, timeout_ms): a negative timeout waits for ever
        QByteArrayView t = a.size() >= 3 ? a.at(2) : QByteArrayView();
        const auto ms = takeInteger(t);
        if (!ms || *ms < 0 || !t.isEmpty())
            return std::nullopt;
        return double(*ms) / 1000.0;
    }
    if (name == "ppoll")
        return a.size() >= 3 ? timespecSeconds(a.at(2)) : std::nullopt; // NULL: for ever
    if (name == "select" || name == "pselect6")
        return a.size() >= 5 ? timespecSeconds(a.at(4)) : std::nullopt;
    return std::nullopt;
}

std::optional<double> timevalSeconds(QByteArrayView args)
{
    // setsockopt(fd, level, name, value, length): the value decoded, or its raw bytes (a
    // struct timeval of two 64-bit fields, as 64-bit Linux lays it out).
    const QList<QByteArrayView> a = splitArgs(args);
    if (a.size() < 4)
        return std::nullopt;
    const QByteArrayView v = a.at(3);
    if (v.startsWith('{'))
        return timespecSeconds(v);
    if (v.size() >= 2 && v.startsWith('"') && v.endsWith('"')) {
        const QByteArray raw = unescapeString(v.sliced(1, v.size() - 2));
        if (raw.size() != 16)
            return std::nullopt;
        qint64 sec = 0, usec = 0;
        std::memcpy(&sec, raw.constData(), 8);
        std::memcpy(&usec, raw.constData() + 8, 8);
        if (sec < 0 || usec < 0 || usec >= 1000000)
            return std::nullopt;
        return double(sec) + double(usec) / 1e6;
    }
    return std::nullopt;
}

} // namespace socklab
