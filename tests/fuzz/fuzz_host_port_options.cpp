// Fuzzes the parsers of single values typed by users (src/core/model/Options.cpp, Profile.cpp): the
// bytes, as UTF-8, are given to validateHost, to parseInteger with every option's range, to
// Timeout::parse and to the name lookups; SocketOptions::validate is checked against them.
// Beyond not crashing: an accepted value is inside its range and prints back to itself; a
// refused one has a message naming the value's name and its allowed range, without raw
// control characters; validate() refuses exactly the values parseInteger refuses.
#include "FuzzSupport.h"

#include "Options.h"
#include "PeerServer.h"
#include "Profile.h"

#include <QHostAddress>

#include <climits>
#include <cmath>

using namespace socklab;

namespace {

void checkHost(const QString &text)
{
    const QString error = validateHost(text);
    if (!error.isEmpty()) {
        FUZZ_CHECK(!fuzz::hasUnsafeChar(error), error);
        return;
    }
    // What is accepted goes to getaddrinfo and into saved profiles: plain printable ASCII.
    FUZZ_CHECK(!text.isEmpty(), text);
    for (const QChar c : text)
        FUZZ_CHECK(c.unicode() > 0x20 && c.unicode() < 0x7f, text);
    if (text.startsWith(QLatin1Char('['))) {
        QHostAddress a;
        FUZZ_CHECK(a.setAddress(text.mid(1, text.size() - 2)) &&
                       a.protocol() == QAbstractSocket::IPv6Protocol,
                   text);
    }
}

void checkInteger(const QString &text, const IntRange &r)
{
    const QString what = QStringLiteral("--%1").arg(QLatin1String(r.option));
    QString error;
    const std::optional<qint64> v = parseInteger(text, what, r, &error);
    if (!v) {
        FUZZ_CHECK(error.contains(what) && error.contains(rangeText(r)), error);
        FUZZ_CHECK(!fuzz::hasUnsafeChar(error), error);
        return;
    }
    FUZZ_CHECK(*v >= r.min && *v <= r.max, QString::number(*v));
    QString again;
    FUZZ_CHECK(parseInteger(QString::number(*v), what, r, &again) == v, again);
}

void checkTimeout(const QString &text)
{
    QString error;
    const std::optional<Timeout> t = Timeout::parse(text, QStringLiteral("--timeout"), &error);
    if (!t) {
        FUZZ_CHECK(error.contains(QLatin1String("--timeout")) &&
                       error.contains(QLatin1String("0 to 86400")),
                   error);
        FUZZ_CHECK(!fuzz::hasUnsafeChar(error), error);
        return;
    }
    if (t->isForever()) {
        FUZZ_CHECK(text.trimmed().compare(QLatin1String("none"), Qt::CaseInsensitive) == 0, text);
    } else {
        FUZZ_CHECK(t->ms >= 0 && t->ms <= ranges::TimeoutMaxMs, QString::number(t->ms));
        FUZZ_CHECK((t->mode == Timeout::Mode::NonBlocking) == (t->ms == 0), text);
        // The value is what was typed, to the millisecond.
        const double typed = text.trimmed().toDouble();
        FUZZ_CHECK(std::fabs(typed * 1000.0 - double(t->ms)) < 1e-3, text);
    }
    // Shown as text and read back (the CLI, the panels), or saved in a profile and reopened.
    QString again;
    const auto shown = Timeout::parse(t->toString(), QStringLiteral("--timeout"), &again);
    FUZZ_CHECK(shown && *shown == *t, t->toString() + QLatin1Char(' ') + again);
    SocketOptions so;
    so.setAllTimeouts(*t);
    FUZZ_CHECK(so.validate().isEmpty(), so.validate());
    Profile p;
    p.options = so;
    const auto back = Profile::fromJson(p.toJsonBytes(), &again);
    FUZZ_CHECK(back && back->options.recvTimeout == *t, again);
}

// validate() and parseInteger agree on every option's range.
void checkValidate(const QString &text)
{
    bool ok = false;
    const qint64 raw = text.trimmed().toLongLong(&ok);
    if (!ok)
        return;
    SocketOptions so;
    so.setAllTimeouts(Timeout::fromMs(raw));
    const bool timeoutOk = raw >= 0 && raw <= ranges::TimeoutMaxMs;
    FUZZ_CHECK(so.validate().isEmpty() == timeoutOk, so.validate());
    if (raw < INT_MIN || raw > INT_MAX)
        return;
    const struct
    {
        std::optional<int> SocketOptions::*field;
        IntRange range;
    } fields[] = {{&SocketOptions::keepIdle, ranges::KeepIdle},
                  {&SocketOptions::keepIntvl, ranges::KeepIntvl},
                  {&SocketOptions::keepCnt, ranges::KeepCnt},
                  {&SocketOptions::userTimeoutMs, ranges::UserTimeout},
                  {&SocketOptions::lingerSec, ranges::Linger},
                  {&SocketOptions::rcvBuf, ranges::RcvBuf},
                  {&SocketOptions::sndBuf, ranges::SndBuf}};
    for (const auto &f : fields) {
        SocketOptions o;
        o.*f.field = int(raw);
        QString error;
        const bool parsed = parseInteger(text, QStringLiteral("x"), f.range, &error).has_value();
        const QString problem = o.validate();
        FUZZ_CHECK(problem.isEmpty() == parsed, problem + QLatin1Char(' ') + error);
        FUZZ_CHECK(parsed || problem.contains(QLatin1String(f.range.option)), problem);
    }
}

void checkNames(const QString &text)
{
    if (const auto m = mechanismFromName(text))
        FUZZ_CHECK(mechanismName(*m) == text, text);
    if (const auto b = behaviorFromName(text))
        FUZZ_CHECK(behaviorName(*b) == text, text);
    if (const auto r = roleFromName(text))
        FUZZ_CHECK(roleName(*r) == text, text);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 4096)
        return 0;
    const QString text = QString::fromUtf8(reinterpret_cast<const char *>(data), qsizetype(size));
    checkHost(text);
    for (const IntRange &r :
         {ranges::KeepIdle, ranges::KeepIntvl, ranges::KeepCnt, ranges::UserTimeout, ranges::Linger,
          ranges::RcvBuf, ranges::SndBuf, ranges::Port, ranges::ListenPort, ranges::Backlog,
          IntRange{"recv", 1, 1048576, "bytes"}, IntRange{"interval", 0, 3600000, "ms"}})
        checkInteger(text, r);
    checkTimeout(text);
    checkValidate(text);
    checkNames(text);
    return 0;
}
