// Fuzzes socklab-cli's argument parser, cli::parse (src/cli/CliCommand.cpp): the bytes are the
// arguments after the program name, one per line. Beyond not crashing: parsing never touches
// the network (socket(), connect() and a getaddrinfo() that may look a name up abort while it
// runs); a refused command line has a message without raw control characters; an accepted one
// is a runnable experiment with every value in range.
#include "FuzzSupport.h"

#include "CliCommand.h"

#include <QCoreApplication>

#include <atomic>
#include <dlfcn.h>
#include <netdb.h>
#include <sys/socket.h>

using namespace socklab;

namespace {
std::atomic<bool> parsing{false};

template <typename F> F real(const char *name)
{
    return reinterpret_cast<F>(dlsym(RTLD_NEXT, name));
}

void refuseWhileParsing(const char *call)
{
    if (parsing) {
        std::fprintf(stderr, "cli::parse called %s(): parsing must never touch the network\n",
                     call);
        std::abort();
    }
}
} // namespace

// The parser must not open a socket or resolve a name; outside parse() these pass through.
extern "C" int socket(int domain, int type, int protocol) noexcept
{
    refuseWhileParsing("socket");
    return real<int (*)(int, int, int)>("socket")(domain, type, protocol);
}

extern "C" int connect(int fd, const struct sockaddr *addr, socklen_t len)
{
    refuseWhileParsing("connect");
    return real<int (*)(int, const struct sockaddr *, socklen_t)>("connect")(fd, addr, len);
}

// Reading a numeric address (AI_NUMERICHOST, as --bind is checked) is parsing; a name lookup
// is not.
extern "C" int getaddrinfo(const char *node, const char *service, const struct addrinfo *hints,
                           struct addrinfo **res)
{
    if (!hints || !(hints->ai_flags & AI_NUMERICHOST))
        refuseWhileParsing("getaddrinfo");
    return real<int (*)(const char *, const char *, const struct addrinfo *, struct addrinfo **)>(
        "getaddrinfo")(node, service, hints, res);
}

namespace {

void checkStep(const Step &s)
{
    FUZZ_CHECK(s.options.validate().isEmpty(), s.options.validate());
    switch (s.kind) {
    case Step::Kind::Connect:
        FUZZ_CHECK(s.toPeer || (!s.host.trimmed().isEmpty() && s.port >= 1), s.host);
        break;
    case Step::Kind::Listen:
        FUZZ_CHECK(s.backlog >= 1 && s.backlog <= 65535, QString::number(s.backlog));
        break;
    case Step::Kind::Recv:
    case Step::Kind::RecvFor:
        FUZZ_CHECK(s.maxBytes >= 1 && s.maxBytes <= 1048576, QString::number(s.maxBytes));
        FUZZ_CHECK(s.kind != Step::Kind::RecvFor || (s.seconds >= 0 && s.seconds <= 86400),
                   QString::number(s.seconds));
        break;
    case Step::Kind::Hold:
    case Step::Kind::AcceptLoop:
        FUZZ_CHECK(s.seconds == -1 || (s.seconds >= 0 && s.seconds <= 86400),
                   QString::number(s.seconds));
        FUZZ_CHECK(s.count >= 0 && s.count <= 1000000, QString::number(s.count));
        break;
    case Step::Kind::StartPeer:
        FUZZ_CHECK(s.peer.intervalMs >= -1 && s.peer.intervalMs <= 3600000,
                   QString::number(s.peer.intervalMs));
        break;
    default:
        break;
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int argc = 1;
    static char name[] = "socklab-cli";
    static char *argv[] = {name, nullptr};
    static QCoreApplication *app = new QCoreApplication(argc, argv); // as main() has one
    Q_UNUSED(app);

    QStringList args{QStringLiteral("socklab-cli")};
    const QList<QByteArray> lines = fuzz::bytes(data, size).split('\n');
    if (lines.size() > 64)
        return 0;
    for (const QByteArray &a : lines) // an argument ends at a NUL, as in argv
        args << QString::fromUtf8(a.left(a.indexOf('\0')));

    parsing = true;
    const cli::Command c = cli::parse(args);
    parsing = false;

    if (!c.error.isEmpty()) {
        FUZZ_CHECK(!fuzz::hasUnsafeChar(c.error, true), c.error);
        return 0;
    }
    using Kind = cli::Command::Kind;
    if (c.kind == Kind::Help) {
        FUZZ_CHECK(!c.help.isEmpty(), args.join(QLatin1Char(' ')));
        return 0;
    }
    if (c.kind == Kind::Connect || c.kind == Kind::Listen || c.kind == Kind::Serve)
        FUZZ_CHECK(!c.steps.isEmpty(), args.join(QLatin1Char(' ')));
    for (const Step &s : c.steps)
        checkStep(s);
    if (c.kind == Kind::Code) {
        FUZZ_CHECK(c.profile.options.validate().isEmpty(), c.profile.options.validate());
        FUZZ_CHECK(!c.profile.host.trimmed().isEmpty() && c.profile.port >= 1, c.profile.host);
    }
    return 0;
}
