// Fuzzes the reading of strace's output (src/core/observe/StraceLine.cpp), which carries a
// traced program's own bytes (strace quotes its data): every line of the input, and every
// prefix of it (strace writes a call's entry before its result, so a read may end anywhere),
// goes to parseStraceLine, socketInodes, waitTimeout and timevalSeconds. Beyond not crashing:
// what is accepted is a call with a positive pid, a name of letters, digits and _, a known
// duration or none, and no negative time limit.
#include "FuzzSupport.h"

#include "StraceLine.h"

using namespace socklab;

namespace {

bool isName(const QByteArray &n)
{
    if (n.isEmpty())
        return false;
    for (const char c : n) {
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_'))
            return false;
    }
    return true;
}

void check(QByteArrayView text)
{
    for (const quint64 inode : socketInodes(text))
        FUZZ_CHECK(inode > 0, QString::fromLatin1(text.toByteArray()));
    const std::optional<StraceLine> l = parseStraceLine(text);
    if (!l)
        return;
    const QString shown = QString::fromLatin1(text.toByteArray());
    FUZZ_CHECK(l->pid > 0, shown);
    FUZZ_CHECK(l->wallNs >= 0, shown);
    FUZZ_CHECK(isName(l->name), shown);
    FUZZ_CHECK(l->durationNs >= -1, shown);
    FUZZ_CHECK(l->returned() || l->retText.isEmpty(), shown);
    if (const auto t = waitTimeout(l->name, l->args))
        FUZZ_CHECK(*t >= 0, shown);
    if (const auto t = timevalSeconds(l->args))
        FUZZ_CHECK(*t >= 0, shown);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const QByteArray input(reinterpret_cast<const char *>(data), qsizetype(size));
    for (const QByteArray &line : input.split('\n')) {
        for (qsizetype cut = 0; cut <= line.size() && cut <= 512; ++cut)
            check(QByteArrayView(line).first(cut));
        check(line);
    }
    return 0;
}
