#include "Lesson.h"

#include "JsonReader.h"
#include "KernelFacts.h"
#include "Profile.h"
#include "TcpSegments.h"

#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QRegularExpression>

#include <algorithm>
#include <tuple>

namespace socklab {

namespace {

constexpr int kVersion = 1;

const QHash<QString, Step::Kind> &stepKinds()
{
    static const QHash<QString, Step::Kind> kinds{
        {QStringLiteral("connect"), Step::Kind::Connect},
        {QStringLiteral("listen"), Step::Kind::Listen},
        {QStringLiteral("accept"), Step::Kind::Accept},
        {QStringLiteral("send"), Step::Kind::Send},
        {QStringLiteral("recv"), Step::Kind::Recv},
        {QStringLiteral("recv_for"), Step::Kind::RecvFor},
        {QStringLiteral("hold"), Step::Kind::Hold},
        {QStringLiteral("close"), Step::Kind::Close},
        {QStringLiteral("close_all"), Step::Kind::CloseAll},
        {QStringLiteral("restart"), Step::Kind::Restart},
        {QStringLiteral("pull_plug"), Step::Kind::PullPlug},
        {QStringLiteral("start_peer"), Step::Kind::StartPeer},
        {QStringLiteral("stop_peer"), Step::Kind::StopPeer},
        {QStringLiteral("fault"), Step::Kind::Fault},
        {QStringLiteral("repair"), Step::Kind::Fault},
        {QStringLiteral("run"), Step::Kind::Run},
    };
    return kinds;
}

// The keys each kind of step takes besides "do" and "say" (what the engine reads of a Step).
// Step options set up a socket, so only connect and listen take them.
QStringList stepKeys(Step::Kind k)
{
    switch (k) {
    case Step::Kind::Connect:
        return {QStringLiteral("sock"), QStringLiteral("to"), QStringLiteral("host"),
                QStringLiteral("port"), QStringLiteral("options")};
    case Step::Kind::Listen:
        return {QStringLiteral("sock"), QStringLiteral("port"), QStringLiteral("same_port_as"),
                QStringLiteral("options")};
    case Step::Kind::Accept:
        return {QStringLiteral("listener"), QStringLiteral("sock")};
    case Step::Kind::Send:
        return {QStringLiteral("sock"), QStringLiteral("data")};
    case Step::Kind::Recv:
        return {QStringLiteral("sock"), QStringLiteral("bytes")};
    case Step::Kind::RecvFor:
        return {QStringLiteral("sock"), QStringLiteral("bytes"), QStringLiteral("seconds")};
    case Step::Kind::Hold:
        return {QStringLiteral("sock"), QStringLiteral("seconds")};
    case Step::Kind::Close:
    case Step::Kind::Restart:
    case Step::Kind::PullPlug:
        return {QStringLiteral("sock")};
    case Step::Kind::StartPeer:
        return {QStringLiteral("peer")};
    case Step::Kind::Fault:
        return {QStringLiteral("fault"), QStringLiteral("value"), QStringLiteral("jitter"),
                QStringLiteral("seconds")};
    case Step::Kind::Run:
        return {QStringLiteral("command"), QStringLiteral("trace")};
    case Step::Kind::StopPeer:
    case Step::Kind::CloseAll:
    case Step::Kind::AcceptLoop:
        break;
    }
    return {};
}

QString sortedKeys(const QHash<QString, Step::Kind> &h)
{
    QStringList k = h.keys();
    k.sort();
    return k.join(QStringLiteral(", "));
}

std::optional<EventKind> kindFromName(const QString &name)
{
    for (int k = 0; k < int(EventKind::Finished); ++k) {
        if (kindName(EventKind(k)) == name)
            return EventKind(k);
    }
    return std::nullopt;
}

// A socket label as the engine uses them: letters then digits, short.
bool isLabel(const QString &s)
{
    static const QRegularExpression re(QStringLiteral("^[A-Za-z][A-Za-z0-9_-]{0,15}$"));
    return re.match(s).hasMatch();
}

class LessonReader
{
  public:
    json::Reader r;
    Lesson lesson;
    QSet<QString> socks;     // labels the steps create
    QSet<QString> listeners; // of which listeners

    std::optional<QString> label(const QJsonObject &o, const QString &key, const QString &path,
                                 bool mustExist)
    {
        auto v = r.string(o, key, path);
        if (!v)
            return std::nullopt;
        if (!isLabel(*v)) {
            r.error = QStringLiteral("%1: '%2' is not a socket label (a letter, then up to 15 "
                                     "letters, digits, '-' or '_', e.g. c1 or L1).")
                          .arg(json::Reader::join(path, key), *v);
            return std::nullopt;
        }
        if (mustExist && !socks.contains(*v)) {
            r.error = QStringLiteral("%1: no earlier step creates the socket '%2'.")
                          .arg(json::Reader::join(path, key), *v);
            return std::nullopt;
        }
        return v;
    }

    // [low, high] in seconds, lowest <= low <= high: lowest 0 for a time, below 0 for an
    // overshoot (a kernel timer counted in jiffies can end a call a little early).
    std::optional<std::pair<double, double>> range(const QJsonObject &o, const QString &key,
                                                   const QString &path, double lowest = 0)
    {
        if (!r.ok() || !o.contains(key))
            return std::nullopt;
        const QJsonArray a = o.value(key).toArray();
        const QString where = json::Reader::join(path, key);
        if (!o.value(key).isArray() || a.size() != 2 || !a[0].isDouble() || !a[1].isDouble() ||
            a[0].toDouble() < lowest || a[1].toDouble() < a[0].toDouble() ||
            !std::isfinite(a[1].toDouble())) {
            r.error = QStringLiteral("%1: expected [low, high] in seconds, %2 <= low <= high.")
                          .arg(where, QString::number(lowest));
            return std::nullopt;
        }
        return std::pair{a[0].toDouble(), a[1].toDouble()};
    }

    std::optional<double> seconds(const QJsonObject &o, const QString &key, const QString &path,
                                  double lo, double hi)
    {
        if (!r.ok() || !o.contains(key))
            return std::nullopt;
        const QJsonValue v = o.value(key);
        const double d = v.toDouble();
        if (!v.isDouble() || !(d >= lo && d <= hi)) {
            r.error = QStringLiteral("%1: expected seconds from %2 to %3.")
                          .arg(json::Reader::join(path, key))
                          .arg(lo)
                          .arg(hi);
            return std::nullopt;
        }
        return d;
    }

    void step(const QJsonObject &o, const QString &path)
    {
        r.checkKeys(o, path,
                    {QStringLiteral("do"), QStringLiteral("sock"), QStringLiteral("to"),
                     QStringLiteral("host"), QStringLiteral("port"), QStringLiteral("options"),
                     QStringLiteral("listener"), QStringLiteral("same_port_as"),
                     QStringLiteral("data"), QStringLiteral("bytes"), QStringLiteral("seconds"),
                     QStringLiteral("peer"), QStringLiteral("fault"), QStringLiteral("value"),
                     QStringLiteral("jitter"), QStringLiteral("command"), QStringLiteral("trace"),
                     QStringLiteral("say")});
        const auto what = r.string(o, QStringLiteral("do"), path);
        if (!r.ok())
            return;
        if (!what || !stepKinds().contains(*what)) {
            r.error = QStringLiteral("%1.do: %2; use one of %3.")
                          .arg(path,
                               what ? QStringLiteral("'%1' is not a step").arg(*what)
                                    : QStringLiteral("missing"),
                               sortedKeys(stepKinds()));
            return;
        }
        LessonStep ls;
        Step &s = ls.step;
        s.kind = stepKinds().value(*what);
        // A key another kind of step takes would be ignored here: an error, not a surprise.
        const QStringList takes = stepKeys(s.kind);
        for (auto it = o.begin(); it != o.end(); ++it) {
            if (it.key() != QLatin1String("do") && it.key() != QLatin1String("say") &&
                !takes.contains(it.key())) {
                r.error = QStringLiteral("%1.%2: %3 does not take \"%2\"; it takes %4.")
                              .arg(path, it.key(), *what,
                                   takes.isEmpty() ? QStringLiteral("only \"say\"")
                                                   : takes.join(QStringLiteral(", ")));
                return;
            }
        }
        if (o.contains(QStringLiteral("to")) &&
            (o.contains(QStringLiteral("host")) || o.contains(QStringLiteral("port")))) {
            r.error = QStringLiteral("%1: a connect takes \"to\" (peer or a listener) or "
                                     "\"host\" and \"port\", not both.")
                          .arg(path);
            return;
        }
        if (o.contains(QStringLiteral("same_port_as")) && o.contains(QStringLiteral("port"))) {
            r.error = QStringLiteral("%1: a listen takes \"port\" or \"same_port_as\", not both.")
                          .arg(path);
            return;
        }
        s.options = lesson.options;
        if (auto say = r.string(o, QStringLiteral("say"), path))
            ls.say = *say;
        if (auto opts = r.object(o, QStringLiteral("options"), path))
            json::readSocketOptions(r, *opts, json::Reader::join(path, QStringLiteral("options")),
                                    &s.options);
        switch (s.kind) {
        case Step::Kind::Connect: {
            const auto sock = label(o, QStringLiteral("sock"), path, false);
            if (!r.ok())
                return;
            s.sock = sock.value_or(QStringLiteral("c%1").arg(socks.size() + 1));
            const QString to = r.string(o, QStringLiteral("to"), path).value_or(QString());
            if (to == QLatin1String("peer")) {
                if (!lesson.peer && !hasPeerStep) {
                    r.error = QStringLiteral("%1.to: 'peer', but the lesson has no built-in "
                                             "peer; add \"peer\": {\"behavior\": ...}.")
                                  .arg(path);
                    return;
                }
                s.toPeer = true;
            } else if (!to.isEmpty()) {
                if (!listeners.contains(to)) {
                    r.error = QStringLiteral("%1.to: '%2' is neither 'peer' nor a listener of "
                                             "an earlier step.")
                                  .arg(path, to);
                    return;
                }
                s.portOf = to;
            } else {
                s.host = r.string(o, QStringLiteral("host"), path).value_or(QString());
                if (const QString bad = s.host.isEmpty() ? QString() : validateHost(s.host);
                    r.ok() && !bad.isEmpty())
                    r.error = QStringLiteral("%1.host: %2").arg(path, bad);
                s.port =
                    quint16(r.integer(o, QStringLiteral("port"), path, ranges::Port).value_or(0));
                if (r.ok() && (s.host.isEmpty() || s.port == 0)) {
                    r.error = QStringLiteral("%1: a connect needs \"to\" (peer or a listener) "
                                             "or \"host\" and \"port\".")
                                  .arg(path);
                    return;
                }
            }
            socks.insert(s.sock);
            break;
        }
        case Step::Kind::Listen: {
            const auto sock = label(o, QStringLiteral("sock"), path, false);
            if (!r.ok())
                return;
            s.sock = sock.value_or(QStringLiteral("L%1").arg(listeners.size() + 1));
            s.host = QStringLiteral("127.0.0.1");
            if (auto same = label(o, QStringLiteral("same_port_as"), path, false)) {
                if (!listeners.contains(*same)) {
                    r.error = QStringLiteral("%1.same_port_as: '%2' is not a listener of an "
                                             "earlier step.")
                                  .arg(path, *same);
                    return;
                }
                s.portOf = *same;
            }
            if (auto port = r.integer(o, QStringLiteral("port"), path, ranges::ListenPort))
                s.port = quint16(*port);
            socks.insert(s.sock);
            listeners.insert(s.sock);
            break;
        }
        case Step::Kind::Accept: {
            const auto l = label(o, QStringLiteral("listener"), path, true);
            const auto sock = label(o, QStringLiteral("sock"), path, false);
            if (!r.ok())
                return;
            if (!l || !listeners.contains(*l)) {
                r.error = QStringLiteral("%1.listener: an accept names the listener of an "
                                         "earlier listen step.")
                              .arg(path);
                return;
            }
            s.listener = *l;
            s.sock = sock.value_or(QStringLiteral("a%1").arg(socks.size() + 1));
            socks.insert(s.sock);
            break;
        }
        case Step::Kind::Send:
        case Step::Kind::Recv:
        case Step::Kind::RecvFor:
        case Step::Kind::Hold:
        case Step::Kind::Close:
        case Step::Kind::Restart: {
            const auto sock = label(o, QStringLiteral("sock"), path, true);
            if (!r.ok())
                return;
            if (!sock) {
                r.error = QStringLiteral("%1.sock: missing; this step acts on a socket of an "
                                         "earlier step.")
                              .arg(path);
                return;
            }
            s.sock = *sock;
            if (s.kind == Step::Kind::Restart && !listeners.contains(s.sock)) {
                r.error = QStringLiteral("%1.sock: '%2' is not a listener; restart closes a "
                                         "listener and listens again on its port.")
                              .arg(path, s.sock);
                return;
            }
            if (auto data = r.string(o, QStringLiteral("data"), path))
                s.data = data->toUtf8();
            if (auto n = r.integer(o, QStringLiteral("bytes"), path, ranges::RecvBytes))
                s.maxBytes = *n;
            if (auto secs = seconds(o, QStringLiteral("seconds"), path, 0.001, 600))
                s.seconds = *secs;
            if (r.ok() && (s.kind == Step::Kind::RecvFor || s.kind == Step::Kind::Hold) &&
                !o.contains(QStringLiteral("seconds")))
                r.error = QStringLiteral("%1.seconds: missing; %2 runs for a given time.")
                              .arg(path, *what);
            if (r.ok() && s.kind == Step::Kind::Send && s.data.isEmpty())
                r.error =
                    QStringLiteral("%1.data: missing; send needs the text to send.").arg(path);
            break;
        }
        case Step::Kind::PullPlug:
            if (auto sock = label(o, QStringLiteral("sock"), path, true))
                s.sock = *sock;
            break;
        case Step::Kind::StartPeer: {
            const auto peer = r.object(o, QStringLiteral("peer"), path);
            if (!r.ok())
                return;
            if (!peer) {
                r.error = QStringLiteral("%1.peer: missing; start_peer needs {\"behavior\": "
                                         "...}.")
                              .arg(path);
                return;
            }
            json::readPeerConfig(r, *peer, json::Reader::join(path, QStringLiteral("peer")),
                                 &s.peer);
            hasPeerStep = true;
            break;
        }
        case Step::Kind::Fault:
            faultStep(o, path, *what == QLatin1String("fault"), &s.fault);
            break;
        case Step::Kind::Run:
            runStep(o, path, &s.argv);
            s.trace = r.boolean(o, QStringLiteral("trace"), path).value_or(false);
            break;
        case Step::Kind::CloseAll:
        case Step::Kind::StopPeer:
        case Step::Kind::AcceptLoop:
            break;
        }
        if (r.ok())
            lesson.steps << ls;
    }

    // {"do": "run", "command": ["python3", "-c", "..."], "trace": true}: a program on the lab's
    // client host; what it prints is the `prog` events, its sockets p1, p2, ... and with
    // "trace" its calls on them, seen by strace.
    void runStep(const QJsonObject &o, const QString &path, QStringList *argv)
    {
        const QString at = json::Reader::join(path, QStringLiteral("command"));
        const QJsonValue v = o.value(QStringLiteral("command"));
        if (!v.isArray() || v.toArray().isEmpty() || v.toArray().size() > kMaxArgs) {
            r.error = QStringLiteral("%1: %2; it is the program and its arguments, 1 to %3 "
                                     "strings, e.g. [\"python3\", \"client.py\"].")
                          .arg(at, v.isUndefined() ? QStringLiteral("missing")
                                                   : QStringLiteral("not a list of 1 to %1 "
                                                                    "strings")
                                                         .arg(kMaxArgs))
                          .arg(kMaxArgs);
            return;
        }
        const QJsonArray args = v.toArray();
        for (qsizetype i = 0; i < args.size(); ++i) {
            if (!args.at(i).isString() || (i == 0 && args.at(i).toString().isEmpty())) {
                r.error = QStringLiteral("%1[%2]: not a string%3.")
                              .arg(at)
                              .arg(i)
                              .arg(i == 0 ? QStringLiteral(" naming the program") : QString());
                return;
            }
            *argv << args.at(i).toString();
        }
        hasRunStep = true;
    }
    static constexpr int kMaxArgs = 256;

    // {"do": "fault", "fault": "loss", "value": 10, "seconds": 5}; {"do": "repair", ...}
    void faultStep(const QJsonObject &o, const QString &path, bool make, FaultSpec *f)
    {
        const auto name = r.string(o, QStringLiteral("fault"), path);
        if (!r.ok())
            return;
        const auto kind = name ? faultFromName(*name) : std::nullopt;
        if (!kind) {
            r.error = QStringLiteral("%1.fault: %2; it is one of %3.")
                          .arg(path,
                               name ? QStringLiteral("'%1' is not a fault").arg(*name)
                                    : QStringLiteral("missing"),
                               faultNames());
            return;
        }
        f->kind = *kind;
        f->on = make;
        const FaultInfo &info = faultInfo(*kind);
        for (const auto &[key, p, out] :
             {std::tuple{QStringLiteral("value"), &info.value, &f->value},
              std::tuple{QStringLiteral("jitter"), &info.value2, &f->value2}}) {
            if (!o.contains(key))
                continue;
            if (!p->name || !make) {
                r.error = QStringLiteral("%1.%2: %3 takes no %2.")
                              .arg(path, key,
                                   make ? QStringLiteral("the fault '%1'").arg(*name)
                                        : QStringLiteral("a repair"));
                return;
            }
            if (auto v = r.integer(o, key, path, IntRange{p->name, p->min, p->max, p->unit}))
                *out = int(*v);
        }
        if (auto secs = seconds(o, QStringLiteral("seconds"), path, 0.001, 86400)) {
            if (!make)
                r.error = QStringLiteral("%1.seconds: a repair takes no seconds.").arg(path);
            f->seconds = *secs;
        }
    }

    void expectation(const QJsonObject &o, const QString &path)
    {
        r.checkKeys(o, path,
                    {QStringLiteral("kind"), QStringLiteral("sock"), QStringLiteral("op"),
                     QStringLiteral("errno"), QStringLiteral("option"), QStringLiteral("state"),
                     QStringLiteral("probe"), QStringLiteral("count"), QStringLiteral("min"),
                     QStringLiteral("max"), QStringLiteral("elapsed"), QStringLiteral("overshoot"),
                     QStringLiteral("effective"), QStringLiteral("meaning"), QStringLiteral("text"),
                     QStringLiteral("says")});
        Expectation x;
        const auto kind = r.string(o, QStringLiteral("kind"), path);
        if (!r.ok())
            return;
        const auto k = kind ? kindFromName(*kind) : std::nullopt;
        if (!k) {
            r.error = QStringLiteral("%1.kind: %2; use an event kind such as timeout, error, "
                                     "probe_sent, peer_dead or state.")
                          .arg(path, kind ? QStringLiteral("'%1' is not an event kind").arg(*kind)
                                          : QStringLiteral("missing"));
            return;
        }
        x.kind = *k;
        x.sock = r.string(o, QStringLiteral("sock"), path).value_or(QString());
        x.op = r.string(o, QStringLiteral("op"), path).value_or(QString());
        x.errnoName = r.string(o, QStringLiteral("errno"), path).value_or(QString());
        x.option = r.string(o, QStringLiteral("option"), path).value_or(QString());
        x.state = r.string(o, QStringLiteral("state"), path).value_or(QString());
        x.meaning = r.string(o, QStringLiteral("meaning"), path).value_or(QString());
        x.text = r.string(o, QStringLiteral("text"), path).value_or(QString());
        if (r.ok() && !x.meaning.isEmpty()) {
            QStringList meanings;
            for (const char *m : wire::kMeanings)
                meanings << QLatin1String(m);
            if (x.kind != EventKind::Segment && x.kind != EventKind::Lost)
                r.error = QStringLiteral("%1.meaning: only a segment (or a lost one) has a "
                                         "meaning; the kind is '%2'.")
                              .arg(path, kindName(x.kind));
            else if (!meanings.contains(x.meaning))
                r.error = QStringLiteral("%1.meaning: '%2' is not one; it is one of %3.")
                              .arg(path, x.meaning, meanings.join(QStringLiteral(", ")));
        }
        x.probe =
            int(r.integer(o, QStringLiteral("probe"), path, {"probe", 1, 127, ""}).value_or(0));
        const IntRange counts{"count", 0, 100000, ""};
        if (auto c = r.integer(o, QStringLiteral("count"), path, counts))
            x.count = int(*c);
        if (auto c = r.integer(o, QStringLiteral("min"), path, counts))
            x.min = int(*c);
        if (auto c = r.integer(o, QStringLiteral("max"), path, counts))
            x.max = int(*c);
        x.elapsed = range(o, QStringLiteral("elapsed"), path);
        x.overshoot = range(o, QStringLiteral("overshoot"), path, -1);
        if (o.contains(QStringLiteral("effective")))
            x.effective = o.value(QStringLiteral("effective"));
        x.says = r.string(o, QStringLiteral("says"), path).value_or(QString());
        if (r.ok() && x.says.isEmpty())
            r.error = QStringLiteral("%1.says: missing; every prediction says in words what "
                                     "should happen.")
                          .arg(path);
        if (r.ok() && x.max && *x.max < x.min)
            r.error =
                QStringLiteral("%1: max %2 is below min %3.").arg(path).arg(*x.max).arg(x.min);
        // A program's events are "prog"'s, its sockets p1, p2, ... as the monitor names them.
        static const QRegularExpression programSocket(QStringLiteral("^(prog|p[1-9][0-9]*)$"));
        if (r.ok() && !x.sock.isEmpty() && !socks.contains(x.sock) &&
            !x.sock.startsWith(QLatin1String("peer")) &&
            !(hasRunStep && programSocket.match(x.sock).hasMatch()))
            r.error = QStringLiteral("%1.sock: no step creates the socket '%2'.").arg(path, x.sock);
        if (r.ok())
            lesson.expect << x;
    }

    bool hasPeerStep = false;
    bool hasRunStep = false;
};

QString secondsText(double s)
{
    return s < 1 ? QStringLiteral("%1 ms").arg(s * 1000, 0, 'f', 1)
                 : QStringLiteral("%1 s").arg(s, 0, 'f', 3);
}

} // namespace

bool Expectation::matches(const Event &e) const
{
    if (e.kind != kind)
        return false;
    if (!sock.isEmpty() && e.sock != sock)
        return false;
    if (!op.isEmpty() && e.op != op)
        return false;
    if (!errnoName.isEmpty() && e.errnoName() != errnoName)
        return false;
    if (!option.isEmpty() && e.option != option)
        return false;
    if (!state.isEmpty() && e.state != state)
        return false;
    if (probe && e.probe != probe)
        return false;
    if (!meaning.isEmpty() && e.extra.value(QStringLiteral("meaning")).toString() != meaning)
        return false;
    if (!text.isEmpty() && !e.detail.contains(text))
        return false;
    return true;
}

QString Expectation::filterText() const
{
    QString t = kindName(kind);
    if (!state.isEmpty())
        t += QLatin1Char(' ') + state;
    if (!option.isEmpty())
        t += QLatin1Char(' ') + option;
    if (!errnoName.isEmpty())
        t += QLatin1Char(' ') + errnoName;
    if (probe)
        t += QStringLiteral(" #%1").arg(probe);
    if (!meaning.isEmpty())
        t += QLatin1Char(' ') + meaning;
    if (!text.isEmpty())
        t += QStringLiteral(" saying \"%1\"").arg(text);
    if (!sock.isEmpty())
        t += QStringLiteral(" on %1").arg(sock);
    if (!op.isEmpty())
        t += QStringLiteral(" (%1)").arg(op);
    return t;
}

std::optional<Lesson> Lesson::fromJson(const QByteArray &json, QString *error)
{
    if (json.size() > kLessonMaxBytes) {
        *error = QStringLiteral("The lesson is %1 bytes; a lesson has at most %2 bytes.")
                     .arg(json.size())
                     .arg(kLessonMaxBytes);
        return std::nullopt;
    }
    QJsonParseError pe;
    const QJsonDocument doc = QJsonDocument::fromJson(json, &pe);
    if (pe.error != QJsonParseError::NoError) {
        *error =
            QStringLiteral("Not valid JSON at byte %1: %2.").arg(pe.offset).arg(pe.errorString());
        return std::nullopt;
    }
    if (!doc.isObject()) {
        *error = QStringLiteral("A lesson is a JSON object.");
        return std::nullopt;
    }
    const QJsonObject root = doc.object();
    LessonReader lr;
    json::Reader &r = lr.r;
    r.root = QStringLiteral("lesson");
    Lesson &l = lr.lesson;
    r.checkKeys(root, {},
                {QStringLiteral("socklab_lesson"), QStringLiteral("name"), QStringLiteral("title"),
                 QStringLiteral("summary"), QStringLiteral("explanation"), QStringLiteral("peer"),
                 QStringLiteral("options"), QStringLiteral("steps"), QStringLiteral("expect"),
                 QStringLiteral("stop_after"), QStringLiteral("settle_ms")});
    r.integer(root, QStringLiteral("socklab_lesson"), {}, {"version", kVersion, kVersion, ""});
    const auto need = [&](const char *key) {
        auto v = r.string(root, QLatin1String(key), {});
        if (r.ok() && (!v || v->trimmed().isEmpty()))
            r.error = QStringLiteral("%1: missing; every lesson has one.").arg(QLatin1String(key));
        return v.value_or(QString());
    };
    l.name = need("name");
    static const QRegularExpression nameRe(QStringLiteral("^[a-z0-9][a-z0-9-]{0,47}$"));
    if (r.ok() && !nameRe.match(l.name).hasMatch())
        r.error = QStringLiteral("name: '%1' is not a lesson name (lower-case letters, digits "
                                 "and '-', at most 48).")
                      .arg(l.name);
    l.title = need("title");
    l.summary = need("summary");
    l.explanation = need("explanation");
    if (auto peer = r.object(root, QStringLiteral("peer"), {})) {
        PeerConfig pc;
        json::readPeerConfig(r, *peer, QStringLiteral("peer"), &pc);
        l.peer = pc;
    }
    if (auto o = r.object(root, QStringLiteral("options"), {}))
        json::readSocketOptions(r, *o, QStringLiteral("options"), &l.options);
    if (auto s = lr.seconds(root, QStringLiteral("stop_after"), {}, 0.05, 600))
        l.stopAfter = *s;
    if (auto ms = r.integer(root, QStringLiteral("settle_ms"), {}, {"settle", 0, 10000, "ms"}))
        l.settleMs = int(*ms);
    const auto array = [&](const char *key) -> QJsonArray {
        if (!r.ok())
            return {};
        const QJsonValue v = root.value(QLatin1String(key));
        if (!v.isArray() || v.toArray().isEmpty()) {
            r.error = QStringLiteral("%1: expected a non-empty array.").arg(QLatin1String(key));
            return {};
        }
        return v.toArray();
    };
    const QJsonArray steps = array("steps");
    for (qsizetype i = 0; i < steps.size() && r.ok(); ++i) {
        const QString path = QStringLiteral("steps[%1]").arg(i);
        if (!steps[i].isObject()) {
            r.error = QStringLiteral("%1: expected an object.").arg(path);
            break;
        }
        lr.step(steps[i].toObject(), path);
    }
    const QJsonArray expect = array("expect");
    for (qsizetype i = 0; i < expect.size() && r.ok(); ++i) {
        const QString path = QStringLiteral("expect[%1]").arg(i);
        if (!expect[i].isObject()) {
            r.error = QStringLiteral("%1: expected an object.").arg(path);
            break;
        }
        lr.expectation(expect[i].toObject(), path);
    }
    // Kernel facts in the texts ({net.ipv4.tcp_syn_retries}) are read from this machine.
    const auto facts = [&](QString *text, const QString &path) {
        QString why;
        if (r.ok())
            *text = facts::expand(*text, &why);
        if (r.ok() && !why.isEmpty())
            r.error = QStringLiteral("%1: %2").arg(path, why);
    };
    facts(&l.title, QStringLiteral("title"));
    facts(&l.summary, QStringLiteral("summary"));
    facts(&l.explanation, QStringLiteral("explanation"));
    for (qsizetype i = 0; i < l.steps.size(); ++i)
        facts(&l.steps[i].say, QStringLiteral("steps[%1].say").arg(i));
    for (qsizetype i = 0; i < l.expect.size(); ++i)
        facts(&l.expect[i].says, QStringLiteral("expect[%1].says").arg(i));
    if (!r.ok()) {
        *error = visible(r.error); // it quotes keys and values of the file
        return std::nullopt;
    }
    return l;
}

QList<Step> Lesson::engineSteps() const
{
    QList<Step> out;
    if (peer) {
        Step s = Step::make(Step::Kind::StartPeer);
        s.peer = *peer;
        out << s;
    }
    for (const LessonStep &ls : steps)
        out << ls.step;
    return out;
}

QList<Lesson> lessonCatalogue(QString *error)
{
    QList<Lesson> out;
    QDir dir(QStringLiteral(":/lessons"));
    const QStringList files = dir.entryList({QStringLiteral("*.json")}, QDir::Files, QDir::Name);
    for (const QString &f : files) {
        QFile file(dir.filePath(f));
        QString why;
        std::optional<Lesson> l;
        if (file.open(QIODevice::ReadOnly))
            l = Lesson::fromJson(file.read(kLessonMaxBytes + 1), &why);
        else
            why = file.errorString();
        if (l)
            out << *l;
        else if (error)
            *error += QStringLiteral("%1: %2\n").arg(f, why);
    }
    return out;
}

std::optional<Lesson> findLesson(const QString &name)
{
    for (const Lesson &l : lessonCatalogue()) {
        if (l.name == name)
            return l;
    }
    return std::nullopt;
}

QString LessonResult::predictedText() const
{
    QStringList p;
    for (const LessonCheck &c : checks)
        p << c.says;
    return p.join(QLatin1Char(' '));
}

QString LessonResult::observedText() const
{
    QStringList o;
    for (const LessonCheck &c : checks)
        o << QStringLiteral("%1 %2").arg(!c.judged ? QStringLiteral("[not judged]")
                                         : c.held  ? QStringLiteral("[held]")
                                                   : QStringLiteral("[FAILED]"),
                                         c.observed);
    return o.join(QStringLiteral("; "));
}

bool LessonResult::failedWhilePaced() const
{
    return !passed && notRun.isEmpty() && pauseS >= kPacedPauseS &&
           std::any_of(checks.cbegin(), checks.cend(),
                       [](const LessonCheck &c) { return c.judged && !c.held && c.timed; });
}

Event LessonResult::toEvent() const
{
    Event e;
    e.kind = EventKind::LessonResult;
    e.sock = QStringLiteral("lesson");
    const int held = int(std::count_if(checks.cbegin(), checks.cend(),
                                       [](const LessonCheck &c) { return c.judged && c.held; }));
    const int judged = int(std::count_if(checks.cbegin(), checks.cend(),
                                         [](const LessonCheck &c) { return c.judged; }));
    if (!notRun.isEmpty())
        e.detail = QStringLiteral("NOT RUN: %1").arg(notRun);
    else
        e.detail = QStringLiteral("%1: %2 of %3 predictions held%4. %5")
                       .arg(passed ? QStringLiteral("PASSED") : QStringLiteral("FAILED"))
                       .arg(held)
                       .arg(judged)
                       .arg(judged < checks.size()
                                ? QStringLiteral(" (%1 about the wire not judged: it is seen "
                                                 "only in the lab)")
                                      .arg(checks.size() - judged)
                                : QString())
                       .arg(observedText());
    QJsonArray arr;
    for (const LessonCheck &c : checks)
        arr.append(QJsonObject{{QStringLiteral("says"), c.says},
                               {QStringLiteral("held"), c.held},
                               {QStringLiteral("judged"), c.judged},
                               {QStringLiteral("observed"), c.observed}});
    e.extra = QJsonObject{{QStringLiteral("lesson"), lesson},
                          {QStringLiteral("passed"), passed},
                          {QStringLiteral("ran"), notRun.isEmpty()},
                          {QStringLiteral("predicted"), predictedText()},
                          {QStringLiteral("observed"), observedText()},
                          {QStringLiteral("checks"), arr}};
    if (pauseBeforeStep > 0) {
        e.extra.insert(QStringLiteral("paused_s"), pauseS);
        e.extra.insert(QStringLiteral("paused_before_step"), pauseBeforeStep);
    }
    if (failedWhilePaced())
        e.detail += QStringLiteral(" The steps were run one by one, and step %1 came %2 after "
                                   "the one before it: the kernel's timers ran meanwhile, while "
                                   "the times predicted assume the steps back to back (Run all).")
                        .arg(pauseBeforeStep)
                        .arg(secondsText(pauseS));
    return e;
}

LessonResult evaluate(const Lesson &lesson, const QList<Event> &events)
{
    LessonResult result;
    result.lesson = lesson.name;
    // Predictions about the wire need the lab's capture: without a single segment seen, the
    // run was on this machine's network (or the capture saw nothing), and they are not judged;
    // the others are. A lesson that predicts nothing else did not run.
    const bool wireSeen = std::any_of(events.begin(), events.end(),
                                      [](const Event &e) { return e.kind == EventKind::Segment; });
    const auto aboutTheWire = [](EventKind k) {
        return k == EventKind::Segment || k == EventKind::Lost;
    };
    if (!wireSeen &&
        std::all_of(lesson.expect.begin(), lesson.expect.end(),
                    [&](const auto &x) { return aboutTheWire(x.kind); }) &&
        !lesson.expect.isEmpty()) {
        result.passed = false;
        result.notRun = QStringLiteral(
            "its predictions are about the wire, and no segment of it was seen: SockLab "
            "captures the wire only in its private lab (--network lab; in the window, "
            "Network: private lab).");
        return result;
    }
    result.passed = true;
    for (const Expectation &x : lesson.expect) {
        LessonCheck c;
        c.says = x.says;
        c.timed = x.elapsed || x.overshoot;
        if (aboutTheWire(x.kind) && !wireSeen) {
            c.judged = false;
            c.observed = QStringLiteral("%1: SockLab sees the wire only in its private lab "
                                        "(--network lab; in the window, Network: private "
                                        "lab), and this run saw no segment")
                             .arg(x.filterText());
            result.checks << c;
            continue;
        }
        QList<const Event *> seen;
        for (const Event &e : events) {
            if (x.matches(e))
                seen << &e;
        }
        const int n = int(seen.size());
        bool held = x.count ? n == *x.count : (n >= x.min && (!x.max || n <= *x.max));
        QStringList notes;
        for (const Event *e : seen) {
            QString note;
            if (e->elapsed) {
                note = QStringLiteral("after %1").arg(secondsText(*e->elapsed));
                if (x.elapsed &&
                    (*e->elapsed < x.elapsed->first || *e->elapsed > x.elapsed->second)) {
                    held = false;
                    note += QStringLiteral(" (predicted %1 to %2)")
                                .arg(secondsText(x.elapsed->first), secondsText(x.elapsed->second));
                }
                if (e->timeout) {
                    const double over = *e->elapsed - *e->timeout;
                    note += over >= 0 ? QStringLiteral(", %1 past its %2 timeout")
                                            .arg(secondsText(over), secondsText(*e->timeout))
                                      : QStringLiteral(", %1 before its %2 timeout")
                                            .arg(secondsText(-over), secondsText(*e->timeout));
                    if (x.overshoot && (over < x.overshoot->first || over > x.overshoot->second)) {
                        held = false;
                        note += x.overshoot->first < 0
                                    ? QStringLiteral(" (predicted from %1 before to %2 past)")
                                          .arg(secondsText(-x.overshoot->first),
                                               secondsText(x.overshoot->second))
                                    : QStringLiteral(" (predicted %1 to %2 past)")
                                          .arg(secondsText(x.overshoot->first),
                                               secondsText(x.overshoot->second));
                    }
                } else if (x.overshoot) {
                    held = false;
                    note += QStringLiteral(" (no timeout to overshoot)");
                }
            } else if (x.elapsed || x.overshoot) {
                held = false;
                note = QStringLiteral("no measured time");
            }
            if (!x.effective.isUndefined()) {
                const QJsonValue got = QJsonValue::fromVariant(e->effective);
                const bool same = got == x.effective || (got.isDouble() && x.effective.isDouble() &&
                                                         got.toDouble() == x.effective.toDouble());
                note = QStringLiteral("effective %1").arg(e->effective.toString());
                if (!same) {
                    held = false;
                    note +=
                        QStringLiteral(" (predicted %1)").arg(x.effective.toVariant().toString());
                }
            }
            if (!note.isEmpty() && notes.size() < 8)
                notes << note;
        }
        c.observed = QStringLiteral("%1 × %2").arg(n).arg(x.filterText());
        if (!notes.isEmpty())
            c.observed += QStringLiteral(": ") + notes.join(QStringLiteral("; "));
        if (x.count)
            c.observed += QStringLiteral(" [predicted exactly %1]").arg(*x.count);
        else if (x.max)
            c.observed += QStringLiteral(" [predicted %1 to %2]").arg(x.min).arg(*x.max);
        else
            c.observed += QStringLiteral(" [predicted at least %1]").arg(x.min);
        c.held = held;
        result.passed = result.passed && held;
        result.checks << c;
    }
    return result;
}

} // namespace socklab
