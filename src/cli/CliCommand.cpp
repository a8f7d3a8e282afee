#include "CliCommand.h"

#include "SocketOps.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QRegularExpression>

#include <tuple>

namespace socklab::cli {

namespace {
const QString kUsage = QStringLiteral(
    "Usage: socklab-cli <command> [options]\n"
    "\n"
    "Commands:\n"
    "  connect HOST PORT   connect, optionally send, receive and hold, then close\n"
    "  connect --peer B    the same against a built-in peer started in this process\n"
    "  listen --port P     listen, accept connections, read back inherited options\n"
    "  serve --port P --behavior B   run a built-in peer until interrupted\n"
    "  code --lang python|c HOST PORT   print a program that makes connect's calls\n"
    "  run [--peer B] -- COMMAND...   run a program of yours on the lab's client host\n"
    "  lesson NAME         run a lesson and judge its predictions\n"
    "  lessons             list the lessons: name, title, summary\n"
    "\n"
    "Run 'socklab-cli <command> --help' for the options of a command.\n"
    "Exit status: 0 when the experiment ran (a timeout is a result), 2 for invalid arguments,\n"
    "1 for an internal failure, 130 when interrupted.\n");

QCommandLineOption opt(const QString &name, const QString &help, const QString &value = {})
{
    return value.isEmpty() ? QCommandLineOption(name, help) : QCommandLineOption(name, help, value);
}
} // namespace

QCommandLineOption networkOption()
{
    return QCommandLineOption(
        QStringLiteral("network"),
        QStringLiteral("lab: run on a private network of its own (hosts client, router and "
                       "server; no root needed), where nothing of an earlier run is left; "
                       "host: on this machine's own network. Default: lab for a built-in peer "
                       "or a lesson, host otherwise."),
        QStringLiteral("lab|host"));
}

QCommandLineOption pcapOption()
{
    return QCommandLineOption(
        QStringLiteral("pcap"),
        QStringLiteral("At the end, write every TCP segment the lab's wire carried (headers "
                       "only) to FILE, a pcap file that Wireshark and tshark open. Lab only."),
        QStringLiteral("FILE"));
}

bool readNetwork(const QCommandLineParser &p, NetworkChoice *out, QString *error)
{
    *out = NetworkChoice::Auto;
    if (!p.isSet(QStringLiteral("network")))
        return true;
    const QString v = p.value(QStringLiteral("network"));
    if (v == QLatin1String("lab"))
        *out = NetworkChoice::Lab;
    else if (v == QLatin1String("host"))
        *out = NetworkChoice::Host;
    else {
        *error = QStringLiteral("--network: '%1' is not a network; use lab or host.").arg(v);
        return false;
    }
    return true;
}

namespace {

void addTimeoutOptions(QCommandLineParser &p, bool client)
{
    p.addOption(opt(QStringLiteral("timeout"),
                    QStringLiteral("Per-call timeout for every call, in seconds (ms resolution); "
                                   "0 = non-blocking, 'none' = block forever (the default)."),
                    QStringLiteral("S")));
    if (client) {
        p.addOption(opt(QStringLiteral("connect-timeout"),
                        QStringLiteral("Timeout of connect() alone."), QStringLiteral("S")));
        p.addOption(opt(QStringLiteral("recv-timeout"),
                        QStringLiteral("Timeout of each recv() call."), QStringLiteral("S")));
        p.addOption(opt(QStringLiteral("send-timeout"),
                        QStringLiteral("Timeout of each send() call."), QStringLiteral("S")));
    } else {
        p.addOption(opt(QStringLiteral("accept-timeout"),
                        QStringLiteral("Timeout of each accept() call."), QStringLiteral("S")));
    }
    p.addOption(opt(QStringLiteral("deadline"),
                    QStringLiteral("A total deadline in seconds across every call on the socket, "
                                   "counted from its first call: each call gets its own timeout "
                                   "or the time left, whichever is shorter."),
                    QStringLiteral("S")));
    p.addOption(opt(QStringLiteral("timeout-mechanism"),
                    QStringLiteral("poll: a non-blocking socket and ppoll() against a monotonic "
                                   "deadline, as Python's settimeout does, kept by a timerfd so "
                                   "the kernel does not let it run late by poll's 0.1 % slack "
                                   "(default); sockopt: SO_RCVTIMEO/SO_SNDTIMEO, enforced by the "
                                   "kernel's timer wheel."),
                    QStringLiteral("poll|sockopt")));
}

// The socket options of the table that this side (client: connect and code; server: listen)
// takes, each with its help and range from the table.
bool takesOption(const OptionDef &d, bool client)
{
    return d.cliFlag && (d.role == OptionRole::Both ||
                         d.role == (client ? OptionRole::Client : OptionRole::Server));
}

void addSocketOptions(QCommandLineParser &p, bool client)
{
    for (const OptionDef &d : kOptionTable) {
        if (takesOption(d, client))
            p.addOption(opt(QLatin1String(d.cliFlag), optionHelp(d),
                            d.cliValue ? QLatin1String(d.cliValue) : QString()));
    }
}

// --send and --recv, shared by connect and code.
void addSendRecvOptions(QCommandLineParser &p)
{
    p.addOption(opt(QStringLiteral("send"), QStringLiteral("Send TEXT after connecting."),
                    QStringLiteral("TEXT")));
    p.addOption(opt(QStringLiteral("recv"),
                    QStringLiteral("Receive up to N bytes with one recv() call (%1).")
                        .arg(rangeText(ranges::RecvBytes)),
                    QStringLiteral("N")));
}

// validateHost's sentence for `host`, given as `what`, or empty if the host is valid.
QString hostError(const QString &what, const QString &host)
{
    const QString bad = validateHost(host);
    if (bad.isEmpty())
        return {};
    // Most of validateHost's sentences quote the host already.
    return bad.contains(QLatin1Char('\''))
               ? QStringLiteral("%1: %2").arg(what, bad)
               : QStringLiteral("%1 '%2': %3").arg(what, visible(host), bad);
}

// HOST PORT of connect and code; on error sets *err.
std::optional<std::pair<QString, quint16>> readTarget(const QStringList &pos, const QString &cmd,
                                                      const QString &alternative, QString *err)
{
    if (pos.size() != 2) {
        *err = QStringLiteral("%1: expected HOST PORT%2; got %3 argument(s).")
                   .arg(cmd, alternative)
                   .arg(pos.size());
        return std::nullopt;
    }
    if (const QString bad = hostError(QStringLiteral("HOST"), pos[0]); !bad.isEmpty()) {
        *err = bad;
        return std::nullopt;
    }
    auto port = parseInteger(pos[1], QStringLiteral("PORT"), ranges::Port, err);
    if (!port)
        return std::nullopt;
    return std::pair{pos[0], quint16(*port)};
}

// Reads the options common to every command into o; returns an error sentence or empty.
QString readSocketOptions(const QCommandLineParser &p, bool client, SocketOptions *o)
{
    QString err;
    const auto timeoutOpt = [&](const QString &name, Timeout *t) {
        if (!err.isEmpty() || !p.isSet(name))
            return;
        if (auto v = Timeout::parse(p.value(name), QStringLiteral("--") + name, &err))
            *t = *v;
    };
    Timeout all;
    if (p.isSet(QStringLiteral("timeout"))) {
        timeoutOpt(QStringLiteral("timeout"), &all);
        o->setAllTimeouts(all);
    }
    if (client) {
        timeoutOpt(QStringLiteral("connect-timeout"), &o->connectTimeout);
        timeoutOpt(QStringLiteral("recv-timeout"), &o->recvTimeout);
        timeoutOpt(QStringLiteral("send-timeout"), &o->sendTimeout);
    } else {
        timeoutOpt(QStringLiteral("accept-timeout"), &o->acceptTimeout);
    }
    if (err.isEmpty() && p.isSet(QStringLiteral("deadline"))) {
        if (auto d = parseDeadlineMs(p.value(QStringLiteral("deadline")),
                                     QStringLiteral("--deadline"), &err))
            o->deadlineMs = *d;
    }
    if (!err.isEmpty())
        return err;
    if (p.isSet(QStringLiteral("timeout-mechanism"))) {
        const QString m = p.value(QStringLiteral("timeout-mechanism"));
        const auto mech = mechanismFromName(m);
        if (!mech)
            return QStringLiteral("--timeout-mechanism: '%1' is not a mechanism; use poll or "
                                  "sockopt.")
                .arg(m);
        o->mechanism = *mech;
    }
    for (const OptionDef &d : kOptionTable) {
        const QString flag = d.cliFlag ? QLatin1String(d.cliFlag) : QString();
        if (!takesOption(d, client) || !p.isSet(flag))
            continue;
        if (d.flag) {
            o->*d.flag = true;
        } else if (d.number) {
            const auto v = parseInteger(p.value(flag), QStringLiteral("--") + flag, d.range, &err);
            if (!v)
                return err;
            o->*d.number = int(*v);
        }
    }
    return o->validate();
}

std::optional<double> readSeconds(const QCommandLineParser &p, const QString &name, QString *err)
{
    if (!p.isSet(name))
        return std::nullopt;
    auto t = Timeout::parse(p.value(name), QStringLiteral("--") + name, err);
    if (!t)
        return std::nullopt;
    if (t->isForever())
        return -1.0;
    return t->ms / 1000.0;
}

std::optional<PeerConfig> readPeer(const QCommandLineParser &p, const QString &behaviorOpt,
                                   const QString &intervalOpt, QString *err)
{
    const QString name = p.value(behaviorOpt);
    const auto b = behaviorFromName(name);
    if (!b) {
        *err = QStringLiteral("--%1: '%2' is not a peer behaviour; use one of %3.")
                   .arg(behaviorOpt, name, behaviorNames());
        return std::nullopt;
    }
    PeerConfig cfg;
    cfg.behavior = *b;
    if (p.isSet(intervalOpt)) {
        const IntRange r{"interval", 0, 3600000, "ms"};
        auto v = parseInteger(p.value(intervalOpt), QStringLiteral("--") + intervalOpt, r, err);
        if (!v)
            return std::nullopt;
        cfg.intervalMs = int(*v);
    }
    return cfg;
}

// A payload in one argument: the kernel refuses an argument over 128 KiB (MAX_ARG_STRLEN), so
// a stated limit below that gives a clear message instead of "Argument list too long".
constexpr qsizetype kSendMaxBytes = 65536;

// connect's --send TEXT (UTF-8) or --send-hex HEX (any bytes); on error sets *err.
std::optional<QByteArray> readPayload(const QCommandLineParser &p, QString *err)
{
    const bool hex = p.isSet(QStringLiteral("send-hex"));
    const QString name = hex ? QStringLiteral("--send-hex") : QStringLiteral("--send");
    QByteArray data;
    if (hex) {
        const QString text = p.value(QStringLiteral("send-hex"));
        static const QRegularExpression hexDigits(QStringLiteral("^([0-9A-Fa-f]{2})*$"));
        if (!hexDigits.match(text).hasMatch()) {
            *err = QStringLiteral("--send-hex: '%1' is not hex; give two hex digits per byte, "
                                  "e.g. 48690d0a for \"Hi\\r\\n\".")
                       .arg(visible(text.left(40)) +
                            (text.size() > 40 ? QStringLiteral("...") : QString()));
            return std::nullopt;
        }
        data = QByteArray::fromHex(text.toLatin1());
    } else {
        const QString text = p.value(QStringLiteral("send"));
        // Arguments are decoded as UTF-8; bytes that are not UTF-8 arrive as U+FFFD and would
        // be sent as EF BF BD, not as what was typed.
        if (text.contains(QChar::ReplacementCharacter)) {
            *err = QStringLiteral("--send: the text is not valid UTF-8 (byte %1 cannot be "
                                  "decoded); send arbitrary bytes with --send-hex, e.g. "
                                  "--send-hex ff00.")
                       .arg(text.left(text.indexOf(QChar::ReplacementCharacter)).toUtf8().size());
            return std::nullopt;
        }
        data = text.toUtf8();
    }
    if (data.size() > kSendMaxBytes) {
        *err = QStringLiteral("%1: %2 bytes is too large; a payload has at most %3 bytes.")
                   .arg(name)
                   .arg(data.size())
                   .arg(kSendMaxBytes);
        return std::nullopt;
    }
    return data;
}

Command fail(Command c, const QString &error)
{
    c.error = visible(error); // it may quote arguments: no raw control characters
    return c;
}

// Adds --json, parses, and handles --help and stray arguments. Returns false when c is final
// (help text or an error); otherwise c.json is set and the caller reads its options.
bool parseInto(QCommandLineParser &p, const QStringList &args, const char *name, bool positional,
               Command &c, bool jsonOption = true)
{
    if (jsonOption) {
        p.addOption(opt(QStringLiteral("json"), QStringLiteral("Print events as NDJSON.")));
        p.addOption(networkOption());
        p.addOption(pcapOption());
    }
    if (!p.parse(args)) {
        c.error = visible(p.errorText());
        return false;
    }
    if (p.isSet(QStringLiteral("help"))) {
        c.kind = Command::Kind::Help;
        c.help = commandHelp(p, QLatin1String(name));
        return false;
    }
    if (!positional && !p.positionalArguments().isEmpty()) {
        c.error = QStringLiteral("%1: unexpected argument '%2'.")
                      .arg(QLatin1String(name), visible(p.positionalArguments().first()));
        return false;
    }
    c.json = jsonOption && p.isSet(QStringLiteral("json"));
    if (jsonOption && !readNetwork(p, &c.network, &c.error)) {
        c.error = visible(c.error);
        return false;
    }
    if (jsonOption && p.isSet(QStringLiteral("pcap"))) {
        c.pcapPath = p.value(QStringLiteral("pcap"));
        if (c.pcapPath.isEmpty()) {
            c.error = QStringLiteral("--pcap: give the file to write.");
            return false;
        }
    }
    return true;
}

// --peer and --peer-interval; peerHelp says what the peer is for.
void addPeerOptions(QCommandLineParser &p, const QString &peerHelp)
{
    p.addOption(opt(QStringLiteral("peer"),
                    QStringLiteral("%1: %2.").arg(peerHelp, behaviorNames()),
                    QStringLiteral("BEHAVIOR")));
    p.addOption(
        opt(QStringLiteral("peer-interval"),
            QStringLiteral("drip: ms between bytes (default 800); reset/close/reboot: ms before "
                           "acting (default 0)."),
            QStringLiteral("MS")));
}

// The StartPeer step --peer and --peer-interval ask for; nullopt with *err on a bad value.
std::optional<Step> readPeerStep(const QCommandLineParser &p, QString *err)
{
    const auto cfg = readPeer(p, QStringLiteral("peer"), QStringLiteral("peer-interval"), err);
    if (!cfg)
        return std::nullopt;
    Step peer = Step::make(Step::Kind::StartPeer);
    peer.peer = *cfg;
    return peer;
}

void addFaultOptions(QCommandLineParser &p)
{
    QStringList each;
    for (int k = 0; k < kFaultKinds; ++k) {
        const FaultInfo &f = faultInfo(FaultKind(k));
        QString one = QStringLiteral("%1 (%2").arg(QLatin1String(f.name),
                                                   QString::fromLatin1(f.action).toLower());
        if (f.value.name)
            one += QStringLiteral(", --fault-value in %1, %2-%3, default %4")
                       .arg(QLatin1String(f.value.unit))
                       .arg(f.value.min)
                       .arg(f.value.max)
                       .arg(f.value.def);
        each << one + QLatin1Char(')');
    }
    p.addOption(opt(QStringLiteral("fault"),
                    QStringLiteral("Make a fault once connected (with --peer, in the lab): %1.")
                        .arg(each.join(QStringLiteral("; "))),
                    QStringLiteral("NAME")));
    p.addOption(opt(QStringLiteral("fault-value"),
                    QStringLiteral("The fault's number (loss %, rate kbit/s, delay ms)."),
                    QStringLiteral("N")));
    p.addOption(opt(QStringLiteral("fault-jitter"),
                    QStringLiteral("delay: random jitter in ms (default 0)."),
                    QStringLiteral("MS")));
    p.addOption(opt(QStringLiteral("fault-for"),
                    QStringLiteral("Repair the fault by itself S seconds after it was made "
                                   "(plug the cable back in, power the server on, ...); "
                                   "default: it lasts to the end."),
                    QStringLiteral("S")));
    p.addOption(opt(QStringLiteral("fault-before-connect"),
                    QStringLiteral("Make the fault before connecting, to see what connect() "
                                   "meets.")));
}

// --fault and its companions; nullopt with *err empty when no fault is asked for.
std::optional<FaultSpec> readFault(const QCommandLineParser &p, bool toPeer, QString *err)
{
    const QString name = p.value(QStringLiteral("fault"));
    if (!p.isSet(QStringLiteral("fault"))) {
        for (const char *o : {"fault-value", "fault-jitter", "fault-for", "fault-before-connect"}) {
            if (p.isSet(QLatin1String(o))) {
                *err =
                    QStringLiteral("--%1: give the fault with --fault NAME.").arg(QLatin1String(o));
                return std::nullopt;
            }
        }
        return std::nullopt;
    }
    const auto kind = faultFromName(name);
    if (!kind) {
        *err =
            QStringLiteral("--fault: '%1' is not a fault; use one of %2.").arg(name, faultNames());
        return std::nullopt;
    }
    if (!toPeer) {
        *err = QStringLiteral("--fault: faults are made in the lab and to the built-in peer, which "
                              "is private to this run: use it with --peer.");
        return std::nullopt;
    }
    FaultSpec f;
    f.kind = *kind;
    const FaultInfo &info = faultInfo(*kind);
    for (const auto &[o, param, out] : {std::tuple{"fault-value", &info.value, &f.value},
                                        std::tuple{"fault-jitter", &info.value2, &f.value2}}) {
        if (!p.isSet(QLatin1String(o)))
            continue;
        if (!param->name) {
            *err = QStringLiteral("--%1: the fault '%2' takes no %3.")
                       .arg(QLatin1String(o), name,
                            QLatin1String(out == &f.value ? "value" : "jitter"));
            return std::nullopt;
        }
        const auto v =
            parseInteger(p.value(QLatin1String(o)), QStringLiteral("--%1").arg(QLatin1String(o)),
                         IntRange{param->name, param->min, param->max, param->unit}, err);
        if (!v)
            return std::nullopt;
        *out = int(*v);
    }
    if (p.isSet(QStringLiteral("fault-for"))) {
        const auto secs = readSeconds(p, QStringLiteral("fault-for"), err);
        if (!secs || *secs <= 0) {
            if (err->isEmpty())
                *err = QStringLiteral("--fault-for: give the seconds the fault lasts, more than 0 "
                                      "(without it, it lasts to the end).");
            return std::nullopt;
        }
        f.seconds = *secs;
    }
    if (const QString bad = f.validate(); !bad.isEmpty()) {
        *err = QStringLiteral("--fault: %1").arg(bad);
        return std::nullopt;
    }
    return f;
}

Command parseConnect(const QStringList &args)
{
    Command c;
    c.kind = Command::Kind::Connect;
    QCommandLineParser p;
    p.setApplicationDescription(QStringLiteral(
        "Connect to HOST PORT (or to a built-in --peer), then optionally send, receive and "
        "hold the connection idle, then close. Every call and what the kernel did is printed "
        "as an event."));
    p.addHelpOption();
    p.addPositionalArgument(QStringLiteral("HOST"), QStringLiteral("Name or address (IPv4/IPv6)."));
    p.addPositionalArgument(QStringLiteral("PORT"), QStringLiteral("Port, 1-65535."));
    addTimeoutOptions(p, true);
    addSocketOptions(p, true);
    addSendRecvOptions(p);
    p.addOption(opt(QStringLiteral("send-hex"),
                    QStringLiteral("Send these bytes after connecting, two hex digits each (e.g. "
                                   "00ff0d0a): for binary or non-UTF-8 payloads. At most 65536 "
                                   "bytes, as for --send."),
                    QStringLiteral("HEX")));
    p.addOption(opt(QStringLiteral("recv-for"),
                    QStringLiteral("Keep calling recv() for S seconds in all, each call with its "
                                   "own timeout (shows that a timeout is per call)."),
                    QStringLiteral("S")));
    p.addOption(opt(QStringLiteral("hold"),
                    QStringLiteral("Hold the connection idle S seconds before closing "
                                   "(keepalive probes are watched); 'none' = until interrupted."),
                    QStringLiteral("S")));
    addPeerOptions(p, QStringLiteral("Start a built-in peer on 127.0.0.1 (a free port) and "
                                     "connect to it instead of HOST PORT"));
    addFaultOptions(p);
    p.addOption(opt(QStringLiteral("show-data"),
                    QStringLiteral("Show every byte received, not only a preview: after each "
                                   "received event (escaped: \\n, \\xNN), or as the JSON "
                                   "field payload. At most 1 MiB per event is kept; the rest is "
                                   "counted (payload_omitted).")));
    if (!parseInto(p, args, "connect", true, c))
        return c;
    c.showData = p.isSet(QStringLiteral("show-data"));

    Step connect = Step::make(Step::Kind::Connect, QStringLiteral("c1"));
    QString err = readSocketOptions(p, true, &connect.options);
    if (!err.isEmpty())
        return fail(c, err);
    const QStringList pos = p.positionalArguments();
    const bool toPeer = p.isSet(QStringLiteral("peer"));
    c.usesPeer = toPeer;
    if (toPeer) {
        if (!pos.isEmpty())
            return fail(c, QStringLiteral("connect: give either HOST PORT or --peer, not both."));
        const auto peer = readPeerStep(p, &err);
        if (!peer)
            return fail(c, err);
        c.steps << *peer;
        connect.toPeer = true;
    } else {
        const auto target = readTarget(pos, QStringLiteral("connect"),
                                       QStringLiteral(" (or --peer BEHAVIOR)"), &err);
        if (!target)
            return fail(c, err);
        connect.host = target->first;
        connect.port = target->second;
    }
    const auto fault = readFault(p, toPeer, &err);
    if (!err.isEmpty())
        return fail(c, err);
    Step faultStep = Step::make(Step::Kind::Fault);
    if (fault)
        faultStep.fault = *fault;
    const bool faultFirst = p.isSet(QStringLiteral("fault-before-connect"));
    if (fault && faultFirst)
        c.steps << faultStep;
    c.steps << connect;
    if (fault && !faultFirst)
        c.steps << faultStep;
    if (p.isSet(QStringLiteral("send")) && p.isSet(QStringLiteral("send-hex")))
        return fail(c, QStringLiteral("connect: --send and --send-hex exclude each other."));
    if (p.isSet(QStringLiteral("send")) || p.isSet(QStringLiteral("send-hex"))) {
        const auto data = readPayload(p, &err);
        if (!data)
            return fail(c, err);
        Step s = Step::make(Step::Kind::Send, QStringLiteral("c1"));
        s.data = *data;
        c.steps << s;
    }
    if (p.isSet(QStringLiteral("recv")) && p.isSet(QStringLiteral("recv-for")))
        return fail(c, QStringLiteral("connect: --recv and --recv-for exclude each other."));
    if (p.isSet(QStringLiteral("recv"))) {
        auto n = parseInteger(p.value(QStringLiteral("recv")), QStringLiteral("--recv"),
                              ranges::RecvBytes, &err);
        if (!n)
            return fail(c, err);
        Step s = Step::make(Step::Kind::Recv, QStringLiteral("c1"));
        s.maxBytes = *n;
        c.steps << s;
    }
    if (p.isSet(QStringLiteral("recv-for"))) {
        auto secs = readSeconds(p, QStringLiteral("recv-for"), &err);
        if (!secs || *secs < 0)
            return fail(c, err.isEmpty()
                               ? QStringLiteral("--recv-for: 'none' is not allowed; the loop "
                                                "needs an end: give seconds from 0 to %1.")
                                     .arg(ranges::TimeoutMaxMs / 1000)
                               : err);
        Step s = Step::make(Step::Kind::RecvFor, QStringLiteral("c1"));
        s.seconds = *secs;
        c.steps << s;
    }
    if (p.isSet(QStringLiteral("hold"))) {
        auto secs = readSeconds(p, QStringLiteral("hold"), &err);
        if (!secs)
            return fail(c, err);
        Step s = Step::make(Step::Kind::Hold, QStringLiteral("c1"));
        s.seconds = *secs;
        c.steps << s;
    }
    c.steps << Step::make(Step::Kind::Close, QStringLiteral("c1"));
    if (toPeer)
        c.steps << Step::make(Step::Kind::StopPeer);
    return c;
}

// `code`: connect's target and options, turned into a program instead of run. It sends and
// receives only what connect would (--send, --recv), so the program does what connect does.
Command parseCode(const QStringList &args)
{
    Command c;
    c.kind = Command::Kind::Code;
    QCommandLineParser p;
    p.setApplicationDescription(QStringLiteral(
        "Print a complete, runnable Python or C program that connects to HOST PORT with the "
        "same options and per-call timeouts as 'connect', optionally sends and receives once, "
        "and prints what each call did. HOST and PORT are its defaults; the program also takes "
        "them as arguments."));
    p.addHelpOption();
    p.addPositionalArgument(QStringLiteral("HOST"), QStringLiteral("Name or address (IPv4/IPv6)."));
    p.addPositionalArgument(QStringLiteral("PORT"), QStringLiteral("Port, 1-65535."));
    p.addOption(opt(QStringLiteral("lang"), QStringLiteral("The program's language: python or c."),
                    QStringLiteral("python|c")));
    addTimeoutOptions(p, true);
    addSocketOptions(p, true);
    addSendRecvOptions(p);
    if (!parseInto(p, args, "code", true, c, false))
        return c;
    const QString lang = p.value(QStringLiteral("lang"));
    if (!p.isSet(QStringLiteral("lang")))
        return fail(c, QStringLiteral("code: --lang is required: python or c."));
    const auto language = code::languageFromName(lang);
    if (!language)
        return fail(c,
                    QStringLiteral("--lang: '%1' is not a language; use python or c.").arg(lang));
    c.language = *language;
    QString err = readSocketOptions(p, true, &c.profile.options);
    if (!err.isEmpty())
        return fail(c, err);
    const auto target =
        readTarget(p.positionalArguments(), QStringLiteral("code"), QString(), &err);
    if (!target)
        return fail(c, err);
    c.profile.role = Profile::Role::Client;
    c.profile.host = target->first;
    c.profile.port = target->second;
    c.profile.send = p.value(QStringLiteral("send")); // empty: nothing sent, as with connect
    c.profile.recvBytes = 0;
    if (p.isSet(QStringLiteral("recv"))) {
        auto n = parseInteger(p.value(QStringLiteral("recv")), QStringLiteral("--recv"),
                              ranges::RecvBytes, &err);
        if (!n)
            return fail(c, err);
        c.profile.recvBytes = *n;
    }
    return c;
}

Command parseListen(const QStringList &args)
{
    Command c;
    c.kind = Command::Kind::Listen;
    QCommandLineParser p;
    p.setApplicationDescription(QStringLiteral(
        "Listen on a port, accept connections one after another, read back the options each "
        "accepted socket inherited from the listener, hold it, and close it (the server closes "
        "first, so the server side keeps TIME_WAIT)."));
    p.addHelpOption();
    p.addOption(opt(QStringLiteral("port"), QStringLiteral("Port, 0-65535 (0: any free port)."),
                    QStringLiteral("P")));
    p.addOption(opt(QStringLiteral("bind"),
                    QStringLiteral("Address to bind (default 127.0.0.1; 0.0.0.0 or :: for all "
                                   "interfaces)."),
                    QStringLiteral("ADDR")));
    p.addOption(opt(QStringLiteral("backlog"), QStringLiteral("listen() backlog, 1-65535."),
                    QStringLiteral("N")));
    p.addOption(opt(QStringLiteral("count"),
                    QStringLiteral("Stop after N connections (default: until the accept timeout "
                                   "or an interrupt)."),
                    QStringLiteral("N")));
    p.addOption(opt(QStringLiteral("hold"),
                    QStringLiteral("Hold each accepted connection idle S seconds before closing."),
                    QStringLiteral("S")));
    addTimeoutOptions(p, false);
    addSocketOptions(p, false);
    if (!parseInto(p, args, "listen", false, c))
        return c;
    Step l = Step::make(Step::Kind::Listen, QStringLiteral("L1"));
    QString err = readSocketOptions(p, false, &l.options);
    if (!err.isEmpty())
        return fail(c, err);
    if (!p.isSet(QStringLiteral("port")))
        return fail(c,
                    QStringLiteral("listen: --port is required (0-65535; 0 picks a free port)."));
    auto port = parseInteger(p.value(QStringLiteral("port")), QStringLiteral("--port"),
                             ranges::ListenPort, &err);
    if (!port)
        return fail(c, err);
    l.port = quint16(*port);
    l.host = p.value(QStringLiteral("bind"));
    if (p.isSet(QStringLiteral("bind"))) {
        if (const QString bad = hostError(QStringLiteral("--bind"), l.host); !bad.isEmpty())
            return fail(c, bad);
    }
    if (p.isSet(QStringLiteral("backlog"))) {
        auto b = parseInteger(p.value(QStringLiteral("backlog")), QStringLiteral("--backlog"),
                              ranges::Backlog, &err);
        if (!b)
            return fail(c, err);
        l.backlog = int(*b);
    }
    Step loop = Step::make(Step::Kind::AcceptLoop);
    loop.listener = QStringLiteral("L1");
    if (p.isSet(QStringLiteral("count"))) {
        const IntRange r{"count", 1, 1000000, ""};
        auto n = parseInteger(p.value(QStringLiteral("count")), QStringLiteral("--count"), r, &err);
        if (!n)
            return fail(c, err);
        loop.count = int(*n);
    }
    if (p.isSet(QStringLiteral("hold"))) {
        auto secs = readSeconds(p, QStringLiteral("hold"), &err);
        if (!secs)
            return fail(c, err);
        loop.seconds = *secs;
    }
    c.steps << l << loop << Step::make(Step::Kind::Close, QStringLiteral("L1"));
    return c;
}

Command parseServe(const QStringList &args)
{
    Command c;
    c.kind = Command::Kind::Serve;
    QCommandLineParser p;
    p.setApplicationDescription(
        QStringLiteral("Run a built-in peer until interrupted (Ctrl+C). Behaviours: %1.")
            .arg(behaviorNames()));
    p.addHelpOption();
    p.addOption(opt(QStringLiteral("port"), QStringLiteral("Port, 0-65535 (0: any free port)."),
                    QStringLiteral("P")));
    p.addOption(opt(QStringLiteral("behavior"),
                    QStringLiteral("What the peer does: %1.").arg(behaviorNames()),
                    QStringLiteral("B")));
    p.addOption(opt(QStringLiteral("bind"), QStringLiteral("Address to bind (default 127.0.0.1)."),
                    QStringLiteral("ADDR")));
    p.addOption(
        opt(QStringLiteral("reuseaddr"), QStringLiteral("Set SO_REUSEADDR before bind().")));
    p.addOption(
        opt(QStringLiteral("interval"),
            QStringLiteral("drip: ms between bytes (default 800); reset/close/reboot: ms before "
                           "acting (default 0)."),
            QStringLiteral("MS")));
    if (!parseInto(p, args, "serve", false, c))
        return c;
    QString err;
    if (!p.isSet(QStringLiteral("port")))
        return fail(c, QStringLiteral("serve: --port is required (0-65535; 0 picks a free port)."));
    auto port = parseInteger(p.value(QStringLiteral("port")), QStringLiteral("--port"),
                             ranges::ListenPort, &err);
    if (!port)
        return fail(c, err);
    if (!p.isSet(QStringLiteral("behavior")))
        return fail(
            c, QStringLiteral("serve: --behavior is required: one of %1.").arg(behaviorNames()));
    auto cfg = readPeer(p, QStringLiteral("behavior"), QStringLiteral("interval"), &err);
    if (!cfg)
        return fail(c, err);
    cfg->port = quint16(*port);
    if (p.isSet(QStringLiteral("bind"))) {
        cfg->bind = p.value(QStringLiteral("bind"));
        // The built-in peer binds an address as given; it never looks a name up.
        ResolvedAddress numeric;
        if (!ops::parseNumericAddress(cfg->bind, 0, &numeric))
            return fail(c, QStringLiteral("--bind: '%1' is not an IPv4 or IPv6 address; e.g. "
                                          "127.0.0.1 (the default), ::1, or 0.0.0.0 for all "
                                          "interfaces.")
                               .arg(visible(cfg->bind)));
    }
    cfg->reuseAddr = p.isSet(QStringLiteral("reuseaddr"));
    Step s = Step::make(Step::Kind::StartPeer);
    s.peer = *cfg;
    c.steps << s;
    return c;
}
} // namespace

// `run`: a program of the user's own on the lab's client host, watched as SockLab's own
// experiments are (its sockets in the kernel's table, every segment on the wire, its output).
Command parseRun(const QStringList &args)
{
    Command c;
    c.kind = Command::Kind::Run;
    QCommandLineParser p;
    p.setApplicationDescription(QStringLiteral(
        "Run COMMAND (a program of yours: a Python client, the course text's snippets) on the "
        "lab's client host, with a built-in peer on its server host if asked, until it ends. Its "
        "sockets are reported as SockLab's own are (states, timers and counters from the "
        "kernel's table, named p1, p2, ...), every segment on the wire, and each line it "
        "prints, as events. The peer's address is in its environment as SOCKLAB_PEER_HOST and "
        "SOCKLAB_PEER_PORT. Exit status: the program's (128 + N if signal N ended it)."));
    p.addHelpOption();
    p.setOptionsAfterPositionalArgumentsMode(QCommandLineParser::ParseAsPositionalArguments);
    p.addPositionalArgument(QStringLiteral("COMMAND"),
                            QStringLiteral("The program and its arguments (after --, or after "
                                           "the options: everything from COMMAND on is its)."),
                            QStringLiteral("[--] COMMAND [ARGS...]"));
    addPeerOptions(p, QStringLiteral("Start a built-in peer on the server host first"));
    p.addOption(QCommandLineOption(
        QStringLiteral("trace"),
        QStringLiteral("Also show each call the program makes on its TCP sockets (connect, "
                       "accept, recv, send, poll, select, setsockopt, close, ...), as strace sees "
                       "it: when it entered the kernel, how it returned and how long it took, as "
                       "events of its sockets p1, p2, ... Needs strace.")));
    if (!parseInto(p, args, "run", true, c))
        return c;
    if (c.network == NetworkChoice::Host)
        return fail(c, QStringLiteral("run: a program runs only in the lab, where SockLab "
                                      "watches its sockets and its wire without privilege; "
                                      "leave out --network host."));
    c.network = NetworkChoice::Lab;
    c.usesPeer = true; // nothing outside the lab is needed
    const QStringList command = p.positionalArguments();
    if (command.isEmpty())
        return fail(c, QStringLiteral("run: give the program to run, e.g. socklab-cli run "
                                      "--peer echo -- python3 client.py"));
    QString err;
    const bool withPeer = p.isSet(QStringLiteral("peer"));
    if (withPeer) {
        const auto peer = readPeerStep(p, &err);
        if (!peer)
            return fail(c, err);
        c.steps << *peer;
    } else if (p.isSet(QStringLiteral("peer-interval"))) {
        return fail(c, QStringLiteral("--peer-interval: give the peer with --peer BEHAVIOR."));
    }
    Step run = Step::make(Step::Kind::Run, QStringLiteral("prog"));
    run.argv = command;
    run.trace = p.isSet(QStringLiteral("trace"));
    c.steps << run;
    if (withPeer)
        c.steps << Step::make(Step::Kind::StopPeer);
    return c;
}

QString commandHelp(const QCommandLineParser &p, const QString &command)
{
    QString help = p.helpText();
    const QString prefix =
        QStringLiteral("Usage: ") + QCoreApplication::arguments().value(0, QStringLiteral("?"));
    if (help.startsWith(prefix))
        help = QStringLiteral("Usage: socklab-cli ") + command + help.mid(prefix.size());
    return help;
}

QString usage()
{
    return kUsage;
}

namespace {
// The commands this file parses, by name: parse() dispatches on it and commands() lists it, so
// a command added here is in the man page too.
struct CommandParser
{
    const char *name;
    Command (*parse)(const QStringList &args);
};
constexpr CommandParser kParsers[] = {{"connect", parseConnect},
                                      {"listen", parseListen},
                                      {"serve", parseServe},
                                      {"code", parseCode},
                                      {"run", parseRun}};
} // namespace

QStringList commands()
{
    QStringList names;
    for (const CommandParser &c : kParsers)
        names << QLatin1String(c.name);
    // LessonCommand.cpp's, which main() asks first.
    return names << QStringLiteral("lesson") << QStringLiteral("lessons");
}

Command parse(const QStringList &arguments)
{
    Command c;
    if (arguments.size() < 2) {
        c.error = QStringLiteral("No command given.\n\n") + kUsage;
        return c;
    }
    const QString cmd = arguments.at(1);
    QStringList rest = arguments;
    rest.removeAt(1); // the sub-parser sees "socklab-cli --options..."
    for (const CommandParser &p : kParsers)
        if (cmd == QLatin1String(p.name))
            return p.parse(rest);
    if (cmd == QLatin1String("--help") || cmd == QLatin1String("-h") ||
        cmd == QLatin1String("help")) {
        c.help = kUsage;
        return c;
    }
    if (cmd == QLatin1String("--version")) {
        c.kind = Command::Kind::Version;
        return c;
    }
    c.error = QStringLiteral("Unknown command '%1'.\n\n").arg(visible(cmd)) + kUsage;
    return c;
}

} // namespace socklab::cli
