#include "CodeExport.h"

#include <QDirIterator>
#include <QFile>
#include <QHash>
#include <QStringList>

#include <algorithm>
#include <utility>

namespace socklab::code {

namespace {

constexpr qint64 kMaxRecvBytes = ranges::RecvBytes.max; // what profiles and the CLI accept
constexpr qint64 kMaxPayloadBytes = 1048576;            // a profile is at most 1 MiB anyway
constexpr int kBacklog = 16;                            // the engine's listen() backlog
constexpr int kHeaderWidth = 92;                        // header comment lines, before the prefix
constexpr int kPreviewChars = 60;                       // a payload or host shown in the header

// --- Literals -------------------------------------------------------------------------------
// User text reaches a program only through these. Everything but printable ASCII is escaped, so
// no byte can end a literal, a line or a comment, or turn into a trigraph or an escape.

QString hex2(uint c)
{
    return QStringLiteral("%1").arg(c, 2, 16, QLatin1Char('0'));
}

// b'...' as Python writes bytes.
QString pyBytes(const QByteArray &bytes)
{
    QString s = QStringLiteral("b'");
    for (const char ch : bytes) {
        const auto c = static_cast<unsigned char>(ch);
        if (c == '\\' || c == '\'')
            s += QStringLiteral("\\") + QLatin1Char(char(c));
        else if (c == '\n')
            s += QLatin1String("\\n");
        else if (c == '\r')
            s += QLatin1String("\\r");
        else if (c == '\t')
            s += QLatin1String("\\t");
        else if (c >= 0x20 && c < 0x7f)
            s += QLatin1Char(char(c));
        else
            s += QLatin1String("\\x") + hex2(c);
    }
    return s + QLatin1Char('\'');
}

// '...' as a Python str, by code point (a host name may be an IDN).
QString pyStr(const QString &text)
{
    QString s = QStringLiteral("'");
    for (const char32_t c : text.toUcs4()) {
        if (c == '\\' || c == '\'')
            s += QStringLiteral("\\") + QLatin1Char(char(c));
        else if (c >= 0x20 && c < 0x7f)
            s += QLatin1Char(char(c));
        else if (c < 0x100)
            s += QLatin1String("\\x") + hex2(c);
        else if (c < 0x10000)
            s += QStringLiteral("\\u%1").arg(uint(c), 4, 16, QLatin1Char('0'));
        else
            s += QStringLiteral("\\U%1").arg(uint(c), 8, 16, QLatin1Char('0'));
    }
    return s + QLatin1Char('\'');
}

// "..." as a C string. Octal escapes are always three digits, so a following digit cannot
// extend them (a hex escape would swallow it); '?' is escaped so no trigraph can form.
QString cStr(const QByteArray &bytes)
{
    QString s = QStringLiteral("\"");
    for (const char ch : bytes) {
        const auto c = static_cast<unsigned char>(ch);
        if (c == '\\' || c == '"' || c == '?')
            s += QStringLiteral("\\") + QLatin1Char(char(c));
        else if (c == '\n')
            s += QLatin1String("\\n");
        else if (c == '\r')
            s += QLatin1String("\\r");
        else if (c == '\t')
            s += QLatin1String("\\t");
        else if (c >= 0x20 && c < 0x7f)
            s += QLatin1Char(char(c));
        else
            s += QStringLiteral("\\%1").arg(uint(c), 3, 8, QLatin1Char('0'));
    }
    return s + QLatin1Char('"');
}

// A literal of the first bytes only, for the header: at most about kPreviewChars characters.
QString preview(const QByteArray &bytes, Language lang)
{
    const auto literal = [&](const QByteArray &b) {
        return lang == Language::Python ? pyBytes(b) : cStr(b);
    };
    QString whole = literal(bytes);
    if (whole.size() <= kPreviewChars)
        return whole;
    int n = 0;
    while (n < bytes.size() && literal(bytes.left(n + 1)).size() <= kPreviewChars - 3)
        ++n;
    return literal(bytes.left(n)) + QStringLiteral("...");
}

// The host as a literal of the program's language, shortened for the header if need be.
QString hostPreview(const QString &host, Language lang)
{
    if (lang == Language::C)
        return preview(host.toUtf8(), lang);
    if (pyStr(host).size() <= kPreviewChars)
        return pyStr(host);
    QString cut = host;
    while (!cut.isEmpty() && pyStr(cut).size() > kPreviewChars - 3)
        cut.chop(1);
    return pyStr(cut) + QStringLiteral("...");
}

// Splits bytes into literals of at most `chunk` bytes each, for a long payload.
QStringList literalLines(const QByteArray &bytes, Language lang, int chunk = 24)
{
    QStringList out;
    for (qsizetype i = 0; i < bytes.size(); i += chunk) {
        const QByteArray part = bytes.mid(i, chunk);
        out << (lang == Language::Python ? pyBytes(part) : cStr(part));
    }
    return out;
}

// Within /* */, text must not open or close a comment (gcc -Wcomment would also fail -Werror
// on a nested "/*"). The header's text is already escaped ASCII; this breaks up what is left.
QString cCommentSafe(const QString &text)
{
    QString out;
    for (const QChar c : text) {
        if (!out.isEmpty() && ((c == QLatin1Char('/') && out.back() == QLatin1Char('*')) ||
                               (c == QLatin1Char('*') && out.back() == QLatin1Char('/'))))
            out += QLatin1Char('\\');
        out += c;
    }
    return out;
}

// --- Values ---------------------------------------------------------------------------------

QString decimalSeconds(qint64 ms)
{
    QString s = QString::number(ms / 1000.0, 'f', 3);
    while (s.endsWith(QLatin1Char('0')) && !s.endsWith(QLatin1String(".0")))
        s.chop(1);
    return s;
}

QString timeoutWords(const Timeout &t)
{
    switch (t.mode) {
    case Timeout::Mode::Forever:
        return QStringLiteral("none (blocks)");
    case Timeout::Mode::NonBlocking:
        return QStringLiteral("0 (non-blocking)");
    case Timeout::Mode::Deadline:
        break;
    }
    return decimalSeconds(t.ms) + QStringLiteral(" s");
}

QString pyTimeout(const Timeout &t)
{
    if (t.isForever())
        return QStringLiteral("None");
    return t.mode == Timeout::Mode::NonBlocking ? QStringLiteral("0.0") : decimalSeconds(t.ms);
}

QString cTimeout(const Timeout &t)
{
    if (t.isForever())
        return QStringLiteral("(-1)");
    return QString::number(t.ms);
}

// One option the program sets, in the engine's order.
struct Opt
{
    const char *name;    // SO_RCVBUF
    bool tcp;            // IPPROTO_TCP, else SOL_SOCKET
    qint64 value;        // for SO_LINGER: seconds, on
    const char *unit;    // shown in the header
    const char *why;     // the comment above the call
    bool isBool = false; // shown as on/off in the header
};

// The options o sets, in the table's order (the engine's: reuse before bind(), buffers
// before connect(), then the rest), each with the table's note as its comment.
QList<Opt> optionsOf(const SocketOptions &o)
{
    QList<Opt> out;
    for (const OptionDef &d : kOptionTable) {
        const std::optional<qint64> v = optionValue(d, o);
        if (!v)
            continue;
        const QLatin1String unit(d.range.unit);
        const char *shown = unit == QLatin1String("s")       ? " s"
                            : unit == QLatin1String("ms")    ? " ms"
                            : unit == QLatin1String("bytes") ? " bytes"
                                                             : "";
        out.append(Opt{d.name, d.tcpLevel, *v, shown, d.note, d.kind == OptionKind::Flag});
    }
    return out;
}

// Keepalive parameters left to the system when keepalive is on: (option, its sysctl under
// net.ipv4).
QList<std::pair<const char *, const char *>> keepaliveDefaults(const SocketOptions &o)
{
    QList<std::pair<const char *, const char *>> out;
    if (!o.keepAlive.value_or(false))
        return out;
    for (const OptionDef &d : kOptionTable) {
        if (isKeepaliveParameter(d) && !(o.*d.number))
            out.append(std::make_pair(d.name, d.sysctl + sizeof "net.ipv4." - 1));
    }
    return out;
}

bool isLinger(const Opt &o)
{
    return qstrcmp(o.name, "SO_LINGER") == 0;
}

// Everything the generators need, worked out once.
struct Ctx
{
    Language lang;
    const Profile &p;
    bool server;
    bool sockopt;
    QByteArray payload = {}; // empty: no send
    qint64 recvBytes = 0;    // 0: no recv
    QString host = {};
    QList<Opt> opts = {};
    QList<std::pair<const char *, const char *>> defaults = {};
    bool linger = false;
    bool intOpts = false; // any option set through set_int_option
    // Fragments this build lacks: generate() refuses rather than print a program without them.
    mutable QStringList missing = {};

    bool anyOptions() const { return !opts.isEmpty() || !defaults.isEmpty(); }
    bool showInherited() const { return server && !opts.isEmpty(); }
};

// --- Fixed program text ---------------------------------------------------------------------
// Fixed text that stands on its own (the includes, whole functions) lives in resources/export,
// compiled in as :/export, so that tst_codeexport can check each piece with python3 -m
// py_compile or cc; fixed text cut up by the generator's decisions stays in the functions below.
// A fragment starts at its first line of code: the blank lines that part it from what comes
// before are added here (two in Python, as PEP 8 has between functions; one in C), so the files
// carry nothing the programs do not.

const QHash<QString, QString> &fragments()
{
    // Read once, by whichever thread generates first: a static's initialisation is
    // thread-safe, and the hash is never written after it.
    static const QHash<QString, QString> all = [] {
        QHash<QString, QString> h;
        const QString root = QStringLiteral(":/export/");
        QDirIterator it(root, QDir::Files, QDirIterator::Subdirectories);
        while (it.hasNext()) {
            QFile f(it.next());
            if (f.open(QIODevice::ReadOnly))
                h.insert(f.fileName().mid(root.size()), QString::fromUtf8(f.readAll()));
        }
        return h;
    }();
    return all;
}

// The fragment at :/export/<path>. A build without it must not print a program with a hole in
// it: the path goes to c.missing and generate() refuses, naming it.
QString fragment(const Ctx &c, const QString &path)
{
    const auto it = fragments().constFind(path);
    if (it != fragments().cend())
        return *it;
    Q_ASSERT_X(false, "socklab::code::fragment", qPrintable(path));
    c.missing << path;
    return {};
}

QString pyFragment(const Ctx &c, const char *name)
{
    return QStringLiteral("\n\n") +
           fragment(c, QStringLiteral("python/%1.py").arg(QLatin1String(name)));
}

QString cFragment(const Ctx &c, const char *name)
{
    return QLatin1Char('\n') + fragment(c, QStringLiteral("c/%1.c").arg(QLatin1String(name)));
}

// --- The header -----------------------------------------------------------------------------

// "  key        value", wrapped at spaces, continuation lines under the value.
QStringList entry(const QString &key, const QString &value)
{
    const QString indent(13, QLatin1Char(' '));
    QStringList lines;
    QString line = QStringLiteral("  ") + key.leftJustified(11);
    bool first = true;
    for (const QString &word : value.split(QLatin1Char(' '))) {
        if (!first && line.size() + 1 + word.size() > kHeaderWidth && line.trimmed().size()) {
            lines << line;
            line = indent + word;
        } else {
            line += (first ? QString() : QStringLiteral(" ")) + word;
        }
        first = false;
    }
    lines << line;
    return lines;
}

QStringList headerLines(const Ctx &c)
{
    const bool py = c.lang == Language::Python;
    const QString hostShown = hostPreview(c.host, c.lang);
    QStringList l;
    l << (c.server ? QStringLiteral("Generated by SockLab: a TCP server that listens, accepts one "
                                    "connection under a timeout and reads from it once, with this "
                                    "experiment's options, printing what each call did.")
                   : QStringLiteral("Generated by SockLab: a TCP client with this experiment's "
                                    "options and per-call timeouts. It makes the same calls as "
                                    "SockLab's engine and prints what each one did."));
    l << QString();
    const QString port = QString::number(c.p.port);
    if (c.server) {
        l << entry(QStringLiteral("role"),
                   QStringLiteral("server: bind %1 port %2%3 (the arguments HOST PORT override "
                                  "them), listen, accept one connection, close")
                       .arg(hostShown, port,
                            c.p.port == 0 ? QStringLiteral(" (0: any free port)") : QString()));
    } else if (c.p.role == Profile::Role::ClientWithPeer) {
        const QString behavior = behaviorName(c.p.peer.behavior);
        l << entry(QStringLiteral("role"),
                   QStringLiteral("client of SockLab's built-in %1 peer at %2 port %3 (the "
                                  "arguments HOST PORT override them). Start one with: "
                                  "socklab-cli serve --port %4 --behavior %1")
                       .arg(behavior, hostShown,
                            c.p.port == 0 ? QStringLiteral("PORT (required: it is chosen when "
                                                           "the peer starts)")
                                          : port,
                            // The same port the program connects to, so the two meet.
                            c.p.port == 0 ? QStringLiteral("PORT") : port));
    } else {
        l << entry(QStringLiteral("role"),
                   QStringLiteral("client: connect to %1 port %2%3 (the arguments HOST PORT "
                                  "override them)")
                       .arg(hostShown, c.p.port == 0 ? QStringLiteral("PORT") : port,
                            c.p.port == 0 ? QStringLiteral(" (required)") : QString()));
    }
    QString mech;
    if (c.sockopt)
        mech = QStringLiteral("sockopt: SO_RCVTIMEO/SO_SNDTIMEO (a struct timeval) set before "
                              "each call; the socket stays blocking and the kernel ends a call "
                              "that runs out of time");
    else if (py)
        mech = QStringLiteral("poll: sock.settimeout() before each call (Python makes the "
                              "socket non-blocking and waits in poll() against a deadline on "
                              "the monotonic clock)");
    else
        mech = QStringLiteral("poll: a non-blocking socket and poll() against a deadline on "
                              "the monotonic clock before each call (what Python's "
                              "settimeout() does)");
    l << entry(QStringLiteral("mechanism"), mech);
    const SocketOptions &o = c.p.options;
    QStringList t;
    if (c.server) {
        t << QStringLiteral("accept ") + timeoutWords(o.acceptTimeout);
    } else {
        t << QStringLiteral("connect ") + timeoutWords(o.connectTimeout);
        if (!c.payload.isEmpty())
            t << QStringLiteral("send ") + timeoutWords(o.sendTimeout);
    }
    if (c.recvBytes > 0)
        t << QStringLiteral("recv ") + timeoutWords(o.recvTimeout);
    l << entry(QStringLiteral("timeouts"), t.join(QStringLiteral(", ")));
    QStringList opts;
    for (const Opt &op : c.opts) {
        if (isLinger(op))
            opts << QStringLiteral("SO_LINGER on %1 s").arg(op.value);
        else if (op.isBool)
            opts << QLatin1String(op.name) +
                        (op.value ? QStringLiteral(" on") : QStringLiteral(" off"));
        else
            opts << QStringLiteral("%1 %2%3")
                        .arg(QLatin1String(op.name))
                        .arg(op.value)
                        .arg(QLatin1String(op.unit));
    }
    l << entry(QStringLiteral("options"), opts.isEmpty()
                                              ? QStringLiteral("none set: the kernel's defaults")
                                              : opts.join(QStringLiteral(", ")));
    if (!c.server)
        l << entry(QStringLiteral("send"), c.payload.isEmpty()
                                               ? QStringLiteral("nothing")
                                               : QStringLiteral("%1 (%2 bytes)")
                                                     .arg(preview(c.payload, c.lang))
                                                     .arg(c.payload.size()));
    l << entry(QStringLiteral("recv"),
               c.recvBytes > 0 ? QStringLiteral("one recv() of up to %1 bytes").arg(c.recvBytes)
                               : QStringLiteral("nothing"));
    l << QString();
    const QString base =
        c.server ? QStringLiteral("socklab_server") : QStringLiteral("socklab_client");
    if (py) {
        l << QStringLiteral("Run: python3 %1.py [HOST [PORT]]  (Python 3, standard library only)")
                 .arg(base);
    } else {
        l << QStringLiteral("Build and run:");
        l << QStringLiteral("  cc -Wall -Wextra -o %1 %1.c").arg(base);
        l << QStringLiteral("  ./%1 [HOST [PORT]]").arg(base);
    }
    l << QStringLiteral("Exit status: 0 when it ran, whatever it saw (a timeout is a result); 2 "
                        "for bad arguments.");
    // The description sentences are long: wrap them like the entries.
    QStringList wrapped;
    for (const QString &line : l) {
        if (line.startsWith(QLatin1String("  ")) || line.size() <= kHeaderWidth) {
            wrapped << line;
            continue;
        }
        QString cur;
        for (const QString &word : line.split(QLatin1Char(' '))) {
            if (!cur.isEmpty() && cur.size() + 1 + word.size() > kHeaderWidth) {
                wrapped << cur;
                cur.clear();
            }
            cur += (cur.isEmpty() ? QString() : QStringLiteral(" ")) + word;
        }
        wrapped << cur;
    }
    return wrapped;
}

QString pyHeader(const Ctx &c)
{
    QString s = QStringLiteral("#!/usr/bin/env python3\n");
    for (const QString &line : headerLines(c))
        s += (line.isEmpty() ? QStringLiteral("#") : QStringLiteral("# ") + line) +
             QLatin1Char('\n');
    return s;
}

QString cHeader(const Ctx &c)
{
    QString s = QStringLiteral("/*\n");
    for (const QString &line : headerLines(c))
        s += (line.isEmpty() ? QStringLiteral(" *") : QStringLiteral(" * ") + cCommentSafe(line)) +
             QLatin1Char('\n');
    return s + QStringLiteral(" */\n");
}

// --- Python -----------------------------------------------------------------------------------

QString pyLevel(const Opt &o)
{
    return o.tcp ? QStringLiteral("socket.IPPROTO_TCP") : QStringLiteral("socket.SOL_SOCKET");
}

QString pyApplyOptions(const Ctx &c)
{
    QString s = QStringLiteral(
        "\n\ndef apply_options(sock):\n"
        "    \"\"\"The experiment's options, in SockLab's order: reuse before bind(), buffer "
        "sizes\n"
        "    before connect() (they decide the window scale offered in the SYN). Raises OSError\n"
        "    if the kernel refuses one.\"\"\"\n");
    for (const Opt &o : c.opts) {
        s += QStringLiteral("    # %1\n").arg(QLatin1String(o.why));
        if (isLinger(o))
            s += QStringLiteral("    set_linger(sock, %1)\n").arg(o.value);
        else
            s += QStringLiteral("    set_option(sock, %1, socket.%2, '%2', %3)\n")
                     .arg(pyLevel(o), QLatin1String(o.name))
                     .arg(o.value);
    }
    if (!c.defaults.isEmpty())
        s +=
            QStringLiteral("    # Keepalive parameters not set here: the system defaults apply.\n");
    for (const auto &[name, sysctl] : c.defaults)
        s += QStringLiteral("    show_option(sock, socket.IPPROTO_TCP, socket.%1, '%1',\n"
                            "                'system default, /proc/sys/net/ipv4/%2')\n")
                 .arg(QLatin1String(name), QLatin1String(sysctl));
    return s;
}

QString pyShowInherited(const Ctx &c)
{
    QString s = QStringLiteral("\n\ndef show_inherited(conn):\n"
                               "    \"\"\"Linux passes these options from the listener on to each "
                               "socket it accepts.\"\"\"\n");
    for (const Opt &o : c.opts) {
        if (isLinger(o))
            s += QStringLiteral("    print(f'SO_LINGER: {linger_text(conn)} (inherited)')\n");
        else
            s += QStringLiteral("    show_option(conn, %1, socket.%2, '%2', 'inherited')\n")
                     .arg(pyLevel(o), QLatin1String(o.name));
    }
    return s;
}

QString pyArguments(const Ctx &c)
{
    const QString minPort = c.server ? QStringLiteral("0") : QStringLiteral("1");
    const QString range = c.server ? QStringLiteral("PORT from 0 to 65535; 0 picks a free one")
                                   : QStringLiteral("PORT from 1 to 65535");
    return QStringLiteral(R"PY(

def arguments():
    """HOST and PORT: the experiment's, unless given on the command line."""
    host = sys.argv[1] if len(sys.argv) > 1 else HOST
    try:
        port = int(sys.argv[2]) if len(sys.argv) > 2 else PORT
    except ValueError:
        port = None
    if len(sys.argv) > 3 or port is None or not %1 <= port <= 65535:
        print(f'usage: {sys.argv[0]} [HOST [PORT]]  (%2)',
              file=sys.stderr)
        sys.exit(2)
    if host.startswith('[') and host.endswith(']'):
        host = host[1:-1]  # an IPv6 address in brackets: getaddrinfo() wants it bare
    return host, port
)PY")
        .arg(minPort, range);
}

QString pyConnect(const Ctx &c)
{
    QString s = QStringLiteral(R"PY(

def connect(host, port):
    """Tries each address host resolves to, as SockLab does (the next one after an error, none
    after a timeout). Returns the connected socket, or None after printing why not."""
    try:
        addresses = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as e:
        print(f'error: resolve {host}: {e}')
        sys.exit(2)  # as socklab-cli: a name that does not resolve is a bad argument
    for family, type_, proto, _, address in addresses:
        sock = socket.socket(family, type_, proto)
)PY");
    if (c.anyOptions())
        s += QStringLiteral("        try:\n"
                            "            apply_options(sock)\n"
                            "        except OSError:\n"
                            "            sock.close()\n"
                            "            return None\n");
    s += QStringLiteral("        print(f'connecting to {address_text(address)} "
                        "(timeout {seconds(CONNECT_TIMEOUT)})')\n");
    if (c.sockopt)
        s += QStringLiteral(R"PY(        # SO_SNDTIMEO bounds connect() too.
        set_kernel_timeout(sock, socket.SO_SNDTIMEO, 'SO_SNDTIMEO', CONNECT_TIMEOUT)
        start = time.monotonic()
        try:
            sock.connect(address)
        except OSError as e:
            if e.errno == errno.EINPROGRESS and CONNECT_TIMEOUT != 0:
                # SO_SNDTIMEO ran out. Linux returns EINPROGRESS, and the kernel goes on
                # sending SYNs in SYN-SENT until it connects, its SYN budget or
                # TCP_USER_TIMEOUT runs out, or the socket is closed.
                timed_out('connect', start, 'SO_SNDTIMEO', CONNECT_TIMEOUT, e)
                sock.close()
                return None
            print(f'error: connect: {error_text(e)}')
            sock.close()
            continue  # the next address, if there is one
)PY");
    else
        s += QStringLiteral(R"PY(        sock.settimeout(CONNECT_TIMEOUT)
        start = time.monotonic()
        try:
            sock.connect(address)
        except OSError as e:
            if settimeout_expired(e):
                # No answer to the SYN in time; the kernel's attempt ends with the socket.
                timed_out('connect', start, CONNECT_TIMEOUT)
                sock.close()
                return None
            # With a timeout of 0.0 this is EINPROGRESS: the handshake goes on without us.
            print(f'error: connect: {error_text(e)}')
            sock.close()
            continue  # the next address, if there is one
)PY");
    s += QStringLiteral(R"PY(        print(f'connected to {address_text(sock.getpeername())} from '
              f'{address_text(sock.getsockname())} in {time.monotonic() - start:.3f} s')
        return sock
    return None
)PY");
    return s;
}

QString pyListen(const Ctx &c)
{
    QString s = QStringLiteral(R"PY(

def listen(host, port):
    """Returns a listening socket, or None after printing why not."""
    try:
        family, type_, proto, _, address = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)[0]
    except (socket.gaierror, UnicodeError) as e:
        print(f'error: resolve {host}: {e}')
        sys.exit(2)  # as socklab-cli: a name that does not resolve is a bad argument
    sock = socket.socket(family, type_, proto)
)PY");
    if (c.anyOptions())
        s += QStringLiteral("    try:\n"
                            "        apply_options(sock)  # before bind(), or SO_REUSEADDR is "
                            "too late\n"
                            "    except OSError:\n"
                            "        sock.close()\n"
                            "        return None\n");
    s += QStringLiteral(R"PY(    try:
        sock.bind(address)
    except OSError as e:
        print(f'error: bind: {error_text(e)}')
        sock.close()
        return None
    try:
        sock.listen(BACKLOG)
    except OSError as e:
        print(f'error: listen: {error_text(e)}')
        sock.close()
        return None
    print(f'listening on {address_text(sock.getsockname())}')
    if host in ('0.0.0.0', '::'):
        print('WARNING: listening on ALL interfaces: any machine that can reach this one can '
              'connect')
    return sock


def accept(listener):
    """Accepts one connection under ACCEPT_TIMEOUT; returns it, or None."""
    print(f'accepting (timeout {seconds(ACCEPT_TIMEOUT)})')
)PY");
    if (c.sockopt)
        s += QStringLiteral(R"PY(    # SO_RCVTIMEO bounds accept() too.
    set_kernel_timeout(listener, socket.SO_RCVTIMEO, 'SO_RCVTIMEO', ACCEPT_TIMEOUT)
    start = time.monotonic()
    try:
        conn, address = listener.accept()
    except OSError as e:
        if e.errno in (errno.EAGAIN, errno.EWOULDBLOCK) and ACCEPT_TIMEOUT != 0:
            timed_out('accept', start, 'SO_RCVTIMEO', ACCEPT_TIMEOUT, e)
        else:
            print(f'error: accept: {error_text(e)}')
        return None
    # An accepted socket inherits the listener's timeouts: not known to be none.
    kernel_timeouts[(conn, socket.SO_RCVTIMEO)] = kernel_timeouts[(conn, socket.SO_SNDTIMEO)] = -1
)PY");
    else
        s += QStringLiteral(R"PY(    listener.settimeout(ACCEPT_TIMEOUT)
    start = time.monotonic()
    try:
        conn, address = listener.accept()
    except OSError as e:
        if settimeout_expired(e):
            timed_out('accept', start, ACCEPT_TIMEOUT)
        else:
            print(f'error: accept: {error_text(e)}')
        return None
)PY");
    s += QStringLiteral("    print(f'accepted a connection from {address_text(address)} in '\n"
                        "          f'{time.monotonic() - start:.3f} s')\n"
                        "    return conn\n");
    return s;
}

QString pySend(const Ctx &c)
{
    QString s = QStringLiteral(R"PY(

def send(sock):
    """Sends PAYLOAD: sendall() repeats send() until every byte is in the kernel's buffer.
)PY");
    if (c.sockopt)
        s += QStringLiteral(R"PY(    SO_SNDTIMEO bounds each send() inside it."""
    set_kernel_timeout(sock, socket.SO_SNDTIMEO, 'SO_SNDTIMEO', SEND_TIMEOUT)
    start = time.monotonic()
    try:
        sock.sendall(PAYLOAD)
    except OSError as e:
        if e.errno in (errno.EAGAIN, errno.EWOULDBLOCK) and SEND_TIMEOUT != 0:
            timed_out('send', start, 'SO_SNDTIMEO', SEND_TIMEOUT, e)
        else:
            print(f'error: send: {error_text(e)}')
        return
)PY");
    else
        s += QStringLiteral(
            R"PY(    Since Python 3.5 the timeout bounds the whole sendall(), where SockLab's engine gives
    each send() its own; the same thing for a payload that fits in the send buffer."""
    sock.settimeout(SEND_TIMEOUT)
    start = time.monotonic()
    try:
        sock.sendall(PAYLOAD)
    except OSError as e:
        if settimeout_expired(e):
            timed_out('send', start, SEND_TIMEOUT)
        else:
            print(f'error: send: {error_text(e)}')
        return
)PY");
    s += QStringLiteral(
        "    print(f'sent {len(PAYLOAD)} bytes in {time.monotonic() - start:.3f} s')\n");
    return s;
}

QString pyReceive(const Ctx &c)
{
    QString s = QStringLiteral(R"PY(

def receive(sock):
    """One recv() of up to RECV_BYTES: it returns what has arrived, possibly less."""
)PY");
    if (c.sockopt)
        s += QStringLiteral(
            R"PY(    set_kernel_timeout(sock, socket.SO_RCVTIMEO, 'SO_RCVTIMEO', RECV_TIMEOUT)
    start = time.monotonic()
    try:
        data = sock.recv(RECV_BYTES)
    except OSError as e:
        if e.errno in (errno.EAGAIN, errno.EWOULDBLOCK) and RECV_TIMEOUT != 0:
            # SO_RCVTIMEO ran out: the kernel ended the call with EAGAIN.
            timed_out('recv', start, 'SO_RCVTIMEO', RECV_TIMEOUT, e)
        else:
            print(f'error: recv: {error_text(e)}')
        return
)PY");
    else
        s += QStringLiteral(R"PY(    sock.settimeout(RECV_TIMEOUT)
    start = time.monotonic()
    try:
        data = sock.recv(RECV_BYTES)
    except OSError as e:
        # A keepalive death (ETIMEDOUT) is an error of the connection, not this deadline.
        if settimeout_expired(e):
            timed_out('recv', start, RECV_TIMEOUT)
        else:
            print(f'error: recv: {error_text(e)}')
        return
)PY");
    s += QStringLiteral(R"PY(    elapsed = time.monotonic() - start
    if data:
        print(f'received {len(data)} bytes: {data!r} ({elapsed:.3f} s)')
    else:
        print(f'peer closed the connection (recv() returned no bytes: FIN) ({elapsed:.3f} s)')
)PY");
    return s;
}

QString pyMain(const Ctx &c)
{
    QString s = QStringLiteral(R"PY(

def main():
    sys.stdout.reconfigure(line_buffering=True)  # each line reaches a pipe as it happens
    host, port = arguments()
)PY");
    if (c.server) {
        s += QStringLiteral("    listener = listen(host, port)\n"
                            "    if listener is None:\n"
                            "        return\n"
                            "    conn = accept(listener)\n"
                            "    if conn is not None:\n");
        if (c.showInherited())
            s += QStringLiteral("        show_inherited(conn)\n");
        if (c.recvBytes > 0)
            s += QStringLiteral("        receive(conn)\n");
        s += QStringLiteral("        conn.close()  # the server closes first: its side keeps "
                            "TIME_WAIT\n"
                            "        print('closed the connection')\n"
                            "    listener.close()\n"
                            "    print('closed the listener')\n");
    } else {
        s += QStringLiteral("    sock = connect(host, port)\n"
                            "    if sock is None:\n"
                            "        return\n");
        if (!c.payload.isEmpty())
            s += QStringLiteral("    send(sock)\n");
        if (c.recvBytes > 0)
            s += QStringLiteral("    receive(sock)\n");
        s += QStringLiteral("    sock.close()\n"
                            "    print('closed')\n");
    }
    s += QStringLiteral("\n\nif __name__ == '__main__':\n    main()\n");
    return s;
}

QString python(const Ctx &c)
{
    const SocketOptions &o = c.p.options;
    QString s = pyHeader(c);
    s += QStringLiteral("\nimport errno\nimport os\nimport socket\n");
    if (c.sockopt || c.linger)
        s += QStringLiteral("import struct\n");
    s += QStringLiteral("import sys\nimport time\n\n");
    s += QStringLiteral("HOST = %1\n").arg(pyStr(c.host));
    if (!c.server && c.p.port == 0)
        s += QStringLiteral("PORT = None  # known only once the peer runs: give it as an "
                            "argument\n");
    else
        s += QStringLiteral("PORT = %1\n").arg(c.p.port);
    if (!c.payload.isEmpty()) {
        const QStringList parts = literalLines(c.payload, Language::Python);
        if (parts.size() == 1)
            s += QStringLiteral("PAYLOAD = %1\n").arg(parts.first());
        else
            s += QStringLiteral("PAYLOAD = (\n    ") + parts.join(QStringLiteral("\n    ")) +
                 QStringLiteral("\n)\n");
    }
    if (c.recvBytes > 0)
        s += QStringLiteral("RECV_BYTES = %1\n").arg(c.recvBytes);
    if (c.server)
        s += QStringLiteral("BACKLOG = %1\n").arg(kBacklog);
    s += QStringLiteral("\n# Per-call timeouts in seconds: None blocks forever, 0.0 makes the "
                        "call non-blocking.\n# Each bounds one call, not the whole exchange.\n");
    if (c.server) {
        s += QStringLiteral("ACCEPT_TIMEOUT = %1\n").arg(pyTimeout(o.acceptTimeout));
    } else {
        s += QStringLiteral("CONNECT_TIMEOUT = %1\n").arg(pyTimeout(o.connectTimeout));
        if (!c.payload.isEmpty())
            s += QStringLiteral("SEND_TIMEOUT = %1\n").arg(pyTimeout(o.sendTimeout));
    }
    if (c.recvBytes > 0)
        s += QStringLiteral("RECV_TIMEOUT = %1\n").arg(pyTimeout(o.recvTimeout));
    s += pyFragment(c, "common");
    s += pyFragment(c, c.sockopt ? "sockopt_timeout" : "poll_timeout");
    if (c.intOpts)
        s += pyFragment(c, "set_option");
    if (c.linger)
        s += pyFragment(c, "linger");
    if (!c.defaults.isEmpty() || c.showInherited())
        s += pyFragment(c, "show_option");
    if (c.anyOptions())
        s += pyApplyOptions(c);
    if (c.showInherited())
        s += pyShowInherited(c);
    s += pyArguments(c);
    s += c.server ? pyListen(c) : pyConnect(c);
    if (!c.payload.isEmpty())
        s += pySend(c);
    if (c.recvBytes > 0)
        s += pyReceive(c);
    s += pyMain(c);
    return s;
}

// --- C ----------------------------------------------------------------------------------------

QString cLevel(const Opt &o)
{
    return o.tcp ? QStringLiteral("IPPROTO_TCP") : QStringLiteral("SOL_SOCKET");
}

QString cApplyOptions(const Ctx &c)
{
    QString s = QStringLiteral(
        "\n/* The experiment's options, in SockLab's order: reuse before bind(), buffer sizes "
        "before\n * connect() (they decide the window scale offered in the SYN). 0, or -1 if "
        "the kernel\n * refused one (printed). */\n"
        "static int apply_options(int fd)\n{\n");
    for (const Opt &o : c.opts) {
        s += QStringLiteral("    /* %1 */\n").arg(QLatin1String(o.why));
        if (isLinger(o))
            s += QStringLiteral("    if (set_linger(fd, %1) != 0)\n        return -1;\n")
                     .arg(o.value);
        else
            s += QStringLiteral("    if (set_int_option(fd, %1, %2, \"%2\", %3) != 0)\n"
                                "        return -1;\n")
                     .arg(cLevel(o), QLatin1String(o.name))
                     .arg(o.value);
    }
    if (!c.defaults.isEmpty())
        s += QStringLiteral("    /* Keepalive parameters not set here: the system defaults "
                            "apply. */\n");
    for (const auto &[name, sysctl] : c.defaults)
        s += QStringLiteral("    show_int_option(fd, IPPROTO_TCP, %1, \"%1\",\n"
                            "                    \"system default, "
                            "/proc/sys/net/ipv4/%2\");\n")
                 .arg(QLatin1String(name), QLatin1String(sysctl));
    return s + QStringLiteral("    return 0;\n}\n");
}

QString cShowInherited(const Ctx &c)
{
    QString s = QStringLiteral("\n/* Linux passes these options from the listener on to each "
                               "socket it accepts. */\n"
                               "static void show_inherited(int fd)\n{\n");
    for (const Opt &o : c.opts) {
        if (isLinger(o))
            s += QStringLiteral("    show_linger(fd, \"inherited\");\n");
        else
            s += QStringLiteral("    show_int_option(fd, %1, %2, \"%2\", \"inherited\");\n")
                     .arg(cLevel(o), QLatin1String(o.name));
    }
    return s + QStringLiteral("}\n");
}

QString cConnect(const Ctx &c)
{
    QString s = cFragment(c, "print_connected");
    s += cFragment(c, c.sockopt ? "connect_within_sockopt" : "connect_within_poll");
    s += QStringLiteral(R"C(
/* Resolves host and tries each address in turn, as SockLab does (the next one after an
 * error, none after a timeout). Returns the connected socket, or -1 after printing why. */
static int open_connection(const char *host, const char *port)
{
    struct addrinfo hints, *res;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC; /* IPv4 or IPv6, whatever the name resolves to */
    hints.ai_socktype = SOCK_STREAM;
    int rc = getaddrinfo(host, port, &hints, &res);
    if (rc != 0) {
        printf("error: resolve %s: %s\n", host, gai_strerror(rc));
        exit(2); /* as socklab-cli: a name that does not resolve is a bad argument */
    }
    int fd = -1;
    for (struct addrinfo *ai = res; ai != NULL; ai = ai->ai_next) {
        char where[ADDRESS_TEXT_SIZE];
        address_text(ai->ai_addr, ai->ai_addrlen, where, sizeof where);
        fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
        if (fd < 0) {
            print_error("socket", errno);
            break;
        }
)C");
    if (c.anyOptions())
        s += QStringLiteral("        if (apply_options(fd) != 0) {\n"
                            "            close(fd);\n"
                            "            fd = -1;\n"
                            "            break;\n"
                            "        }\n");
    s += QStringLiteral(R"C(        printf("connecting to %s (timeout %s)\n", where,
               timeout_text(CONNECT_TIMEOUT_MS));
        int r = connect_within(fd, ai->ai_addr, ai->ai_addrlen);
        if (r == 1)
            break;
        close(fd);
        fd = -1;
        if (r == 0)
            break;
    }
    freeaddrinfo(res);
    return fd;
}
)C");
    return s;
}

QString cListen(const Ctx &c)
{
    QString s = QStringLiteral(R"C(
/* Resolves the address to bind, sets the options, binds and listens. Returns the listening
 * socket, or -1 after printing why. */
static int open_listener(const char *host, const char *port)
{
    struct addrinfo hints, *res;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE;
    int rc = getaddrinfo(host, port, &hints, &res);
    if (rc != 0) {
        printf("error: resolve %s: %s\n", host, gai_strerror(rc));
        exit(2); /* as socklab-cli: a name that does not resolve is a bad argument */
    }
    int fd = socket(res->ai_family, res->ai_socktype, res->ai_protocol);
    if (fd < 0) {
        print_error("socket", errno);
        freeaddrinfo(res);
        return -1;
    }
)C");
    if (c.anyOptions())
        s += QStringLiteral("    /* Before bind(), or SO_REUSEADDR comes too late. */\n"
                            "    if (apply_options(fd) != 0) {\n"
                            "        close(fd);\n"
                            "        freeaddrinfo(res);\n"
                            "        return -1;\n"
                            "    }\n");
    s += QStringLiteral(R"C(    if (bind(fd, res->ai_addr, res->ai_addrlen) != 0) {
        print_error("bind", errno);
        close(fd);
        freeaddrinfo(res);
        return -1;
    }
    freeaddrinfo(res);
    if (listen(fd, BACKLOG) != 0) {
        print_error("listen", errno);
        close(fd);
        return -1;
    }
    struct sockaddr_storage local;
    socklen_t len = sizeof local;
    char where[ADDRESS_TEXT_SIZE];
    getsockname(fd, (struct sockaddr *)&local, &len);
    address_text((struct sockaddr *)&local, len, where, sizeof where);
    printf("listening on %s\n", where);
    if (strcmp(host, "0.0.0.0") == 0 || strcmp(host, "::") == 0)
        printf("WARNING: listening on ALL interfaces: any machine that can reach this one can "
               "connect\n");
    return fd;
}
)C");
    s += cFragment(c, "print_accepted");
    s += cFragment(c, c.sockopt ? "accept_within_sockopt" : "accept_within_poll");
    return s;
}

QString cSend(const Ctx &c)
{
    QString s = QStringLiteral(R"C(
/* Sends the whole payload. Each send() has its own SEND_TIMEOUT_MS, as in SockLab's engine.
 * MSG_NOSIGNAL: a peer that is gone gives EPIPE instead of a SIGPIPE that ends the program. */
static void send_payload(int fd)
{
    const size_t len = sizeof payload - 1;
    size_t done = 0;
)C");
    if (c.sockopt)
        s += QStringLiteral(
            R"C(    if (set_kernel_timeout(fd, SO_SNDTIMEO, "SO_SNDTIMEO", SEND_TIMEOUT_MS) != 0)
        return;
    double start = now();
    while (done < len) {
        double call_start = now();
        ssize_t n = send(fd, payload + done, len - done, MSG_NOSIGNAL);
        if (n < 0) {
            int e = errno;
            if ((e == EAGAIN || e == EWOULDBLOCK) && SEND_TIMEOUT_MS != 0)
                print_kernel_timeout("send", call_start, "SO_SNDTIMEO", SEND_TIMEOUT_MS, e);
            else
                print_error("send", e);
            break;
        }
        done += (size_t)n;
    }
)C");
    else
        s += QStringLiteral(R"C(    double start = now();
    set_nonblocking(fd, 1);
    while (done < len) {
        double call_start = now();
        if (SEND_TIMEOUT_MS != 0) {
            int r = wait_ready(fd, POLLOUT, deadline_of(call_start, SEND_TIMEOUT_MS));
            if (r == 0) {
                print_timeout("send", call_start, SEND_TIMEOUT_MS);
                break;
            }
            if (r < 0) {
                print_error("poll", errno);
                break;
            }
        }
        ssize_t n = send(fd, payload + done, len - done, MSG_NOSIGNAL);
        if (n < 0) {
            print_error("send", errno);
            break;
        }
        done += (size_t)n;
    }
)C");
    s += QStringLiteral(R"C(    if (done == len)
        printf("sent %zu bytes in %.3f s\n", done, now() - start);
    else if (done > 0)
        printf("%zu of %zu bytes went into the send buffer before that\n", done, len);
}
)C");
    return s;
}

QString cReceive(const Ctx &c)
{
    QString s = QStringLiteral(R"C(
/* One recv() of up to RECV_BYTES: it returns what has arrived, possibly less. */
static void receive(int fd)
{
    static char buf[RECV_BYTES];
)C");
    if (c.sockopt)
        s += QStringLiteral(
            R"C(    if (set_kernel_timeout(fd, SO_RCVTIMEO, "SO_RCVTIMEO", RECV_TIMEOUT_MS) != 0)
        return;
    double start = now();
    ssize_t n = recv(fd, buf, sizeof buf, 0);
    int e = errno;
    if (n < 0 && (e == EAGAIN || e == EWOULDBLOCK) && RECV_TIMEOUT_MS != 0) {
        /* SO_RCVTIMEO ran out: the kernel ended the call with EAGAIN. */
        print_kernel_timeout("recv", start, "SO_RCVTIMEO", RECV_TIMEOUT_MS, e);
        return;
    }
)C");
    else
        s += QStringLiteral(R"C(    double start = now();
    set_nonblocking(fd, 1);
    if (RECV_TIMEOUT_MS != 0) {
        int r = wait_ready(fd, POLLIN, deadline_of(start, RECV_TIMEOUT_MS));
        if (r == 0) {
            print_timeout("recv", start, RECV_TIMEOUT_MS);
            return;
        }
        if (r < 0) {
            print_error("poll", errno);
            return;
        }
    }
    ssize_t n = recv(fd, buf, sizeof buf, 0);
    int e = errno;
)C");
    s += QStringLiteral(R"C(    double elapsed = now() - start;
    if (n < 0) {
        print_error("recv", e);
    } else if (n == 0) {
        printf("peer closed the connection (recv() returned 0: FIN) (%.3f s)\n", elapsed);
    } else {
        printf("received %zd bytes: ", n);
        print_bytes(buf, (size_t)n);
        printf(" (%.3f s)\n", elapsed);
    }
}
)C");
    return s;
}

QString cMain(const Ctx &c)
{
    const QString minPort = c.server ? QStringLiteral("0") : QStringLiteral("1");
    const QString range = c.server ? QStringLiteral("PORT from 0 to 65535; 0 picks a free one")
                                   : QStringLiteral("PORT from 1 to 65535");
    QString s = QStringLiteral(R"C(
int main(int argc, char **argv)
{
    /* Line-buffered: each line reaches a pipe as it happens. */
    setvbuf(stdout, NULL, _IOLBF, 0);
    const char *host = argc > 1 ? argv[1] : default_host;
    const char *port = argc > 2 ? argv[2] : default_port;
    if (argc > 3 || !valid_port(port, %1)) {
        fprintf(stderr, "usage: %s [HOST [PORT]]  (%2)\n",
                argv[0]);
        return 2;
    }
    char bare[NI_MAXHOST];
    size_t n = strlen(host);
    if (n >= 2 && n - 2 < sizeof bare && host[0] == '[' && host[n - 1] == ']') {
        /* An IPv6 address in brackets: getaddrinfo() wants it bare. */
        memcpy(bare, host + 1, n - 2);
        bare[n - 2] = '\0';
        host = bare;
    }
)C")
                    .arg(minPort, range);
    if (c.server) {
        s += QStringLiteral("    int listener = open_listener(host, port);\n"
                            "    if (listener < 0)\n"
                            "        return 0;\n"
                            "    int conn = accept_within(listener);\n"
                            "    if (conn >= 0) {\n");
        if (c.showInherited())
            s += QStringLiteral("        show_inherited(conn);\n");
        if (c.recvBytes > 0)
            s += QStringLiteral("        receive(conn);\n");
        s += QStringLiteral("        close(conn); /* the server closes first: its side keeps "
                            "TIME_WAIT */\n"
                            "        printf(\"closed the connection\\n\");\n"
                            "    }\n"
                            "    close(listener);\n"
                            "    printf(\"closed the listener\\n\");\n");
    } else {
        s += QStringLiteral("    int fd = open_connection(host, port);\n"
                            "    if (fd < 0)\n"
                            "        return 0;\n");
        if (!c.payload.isEmpty())
            s += QStringLiteral("    send_payload(fd);\n");
        if (c.recvBytes > 0)
            s += QStringLiteral("    receive(fd);\n");
        s += QStringLiteral("    close(fd);\n"
                            "    printf(\"closed\\n\");\n");
    }
    return s + QStringLiteral("    return 0;\n}\n");
}

QString cTimeoutDefine(const char *name, const Timeout &t)
{
    return QStringLiteral("#define %1 %2\n").arg(QLatin1String(name), cTimeout(t));
}

QString cProgram(const Ctx &c)
{
    const SocketOptions &o = c.p.options;
    QString s = cHeader(c);
    s += cFragment(c, "includes");
    s += QStringLiteral("\nstatic const char default_host[] = %1;\n").arg(cStr(c.host.toUtf8()));
    if (!c.server && c.p.port == 0)
        s += QStringLiteral("/* Known only once the peer runs: give it as an argument. */\n"
                            "static const char *const default_port = NULL;\n");
    else
        s += QStringLiteral("static const char *const default_port = \"%1\";\n").arg(c.p.port);
    if (!c.payload.isEmpty()) {
        s += QStringLiteral("/* The bytes to send (octal escapes for all but printable ASCII). "
                            "*/\nstatic const char payload[] =");
        const QStringList parts = literalLines(c.payload, Language::C);
        if (parts.size() == 1)
            s += QLatin1Char(' ') + parts.first() + QStringLiteral(";\n");
        else
            s += QStringLiteral("\n    ") + parts.join(QStringLiteral("\n    ")) +
                 QStringLiteral(";\n");
    }
    if (c.recvBytes > 0)
        s += QStringLiteral("#define RECV_BYTES %1\n").arg(c.recvBytes);
    if (c.server)
        s += QStringLiteral("#define BACKLOG %1\n").arg(kBacklog);
    s += QStringLiteral("\n/* Per-call timeouts in ms: -1 blocks forever, 0 makes the call "
                        "non-blocking. Each bounds\n * one call, not the whole exchange. */\n");
    if (c.server) {
        s += cTimeoutDefine("ACCEPT_TIMEOUT_MS", o.acceptTimeout);
    } else {
        s += cTimeoutDefine("CONNECT_TIMEOUT_MS", o.connectTimeout);
        if (!c.payload.isEmpty())
            s += cTimeoutDefine("SEND_TIMEOUT_MS", o.sendTimeout);
    }
    if (c.recvBytes > 0)
        s += cTimeoutDefine("RECV_TIMEOUT_MS", o.recvTimeout);
    s += cFragment(c, "common");
    s += cFragment(c, c.sockopt ? "sockopt" : "poll");
    if (c.intOpts)
        s += cFragment(c, "set_int_option");
    if (c.linger)
        s += cFragment(c, "set_linger");
    const bool showInt =
        !c.defaults.isEmpty() ||
        (c.showInherited() &&
         std::any_of(c.opts.cbegin(), c.opts.cend(), [](const Opt &op) { return !isLinger(op); }));
    if (showInt)
        s += cFragment(c, "show_int_option");
    if (c.showInherited() && c.linger)
        s += cFragment(c, "show_linger");
    if (c.recvBytes > 0)
        s += cFragment(c, "print_bytes");
    if (c.anyOptions())
        s += cApplyOptions(c);
    if (c.showInherited())
        s += cShowInherited(c);
    s += c.server ? cListen(c) : cConnect(c);
    if (!c.payload.isEmpty())
        s += cSend(c);
    if (c.recvBytes > 0)
        s += cReceive(c);
    s += cMain(c);
    return s;
}

// Empty, or why the profile cannot become a program.
QString checkProfile(const Profile &p)
{
    if (const QString bad = p.options.validate(); !bad.isEmpty())
        return QStringLiteral("Cannot export the options: ") + bad;
    if (p.options.deadlineMs)
        return QStringLiteral("Cannot export a total deadline (%1 s) yet: the programs give each "
                              "call its own timeout only. Clear the deadline to export.")
            .arg(decimalSeconds(*p.options.deadlineMs));
    if (p.recvBytes < 0 || p.recvBytes > kMaxRecvBytes)
        return QStringLiteral("Cannot export: receive %1 bytes is out of range; use 0 (no "
                              "recv) to %2.")
            .arg(p.recvBytes)
            .arg(kMaxRecvBytes);
    const QByteArray payload = p.send.toUtf8();
    if (p.role != Profile::Role::Server && payload.size() > kMaxPayloadBytes)
        return QStringLiteral("Cannot export: the payload is %1 bytes; a program embeds at most "
                              "%2.")
            .arg(payload.size())
            .arg(kMaxPayloadBytes);
    for (const QChar ch : p.host) {
        if (ch.unicode() < 0x20 || ch.unicode() == 0x7f)
            return QStringLiteral("Cannot export: the host contains the control character "
                                  "U+%1, which no host name has (and a C string cannot hold "
                                  "U+0000).")
                .arg(uint(ch.unicode()), 4, 16, QLatin1Char('0'));
    }
    return {};
}

} // namespace

QString languageName(Language l)
{
    return l == Language::Python ? QStringLiteral("python") : QStringLiteral("c");
}

std::optional<Language> languageFromName(const QString &name)
{
    if (name == QLatin1String("python"))
        return Language::Python;
    if (name == QLatin1String("c"))
        return Language::C;
    return std::nullopt;
}

QString generate(Language lang, const Profile &profile, QString *error)
{
    if (const QString bad = checkProfile(profile); !bad.isEmpty()) {
        if (error)
            *error = bad;
        return {};
    }
    if (error)
        error->clear();
    Ctx c{lang, profile, profile.role == Profile::Role::Server,
          profile.options.mechanism == TimeoutMechanism::SockOpt};
    c.payload = c.server ? QByteArray() : profile.send.toUtf8();
    c.recvBytes = profile.recvBytes;
    // The engine binds 127.0.0.1 when a server is given no address.
    c.host = c.server && profile.host.isEmpty() ? QStringLiteral("127.0.0.1") : profile.host;
    c.opts = optionsOf(profile.options);
    c.defaults = keepaliveDefaults(profile.options);
    for (const Opt &o : c.opts) {
        if (isLinger(o))
            c.linger = true;
        else
            c.intOpts = true;
    }
    const QString program = lang == Language::Python ? python(c) : cProgram(c);
    if (!c.missing.isEmpty()) {
        if (error)
            *error = QStringLiteral("Cannot export: this build lacks the program text %1 (the "
                                    "files under resources/export, compiled in as :/export).")
                         .arg(c.missing.join(QStringLiteral(", ")));
        return {};
    }
    return program;
}

} // namespace socklab::code
