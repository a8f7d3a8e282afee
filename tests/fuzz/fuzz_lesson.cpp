// Fuzzes Lesson::fromJson (src/core/lessons/Lesson.cpp, JsonReader.h): the bytes are a lesson file.
// Beyond not crashing: a refused lesson has a message without raw control characters; an
// accepted lesson is complete and consistent (every step acts on a socket an earlier step
// created, values in range, hosts valid as in profiles, no key a step would ignore), and
// judging it against events does not crash.
#include "FuzzSupport.h"

#include "Lesson.h"
#include "Profile.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QRegularExpression>
#include <QSet>

#include <cmath>

using namespace socklab;

namespace {

// [low, high], lowest <= low <= high: a time from 0, an overshoot from -1 s (a kernel timer
// counted in jiffies can end a call a little early).
bool validRange(const std::optional<std::pair<double, double>> &r, double lowest = 0)
{
    return !r || (r->first >= lowest && r->first <= r->second && std::isfinite(r->second));
}

// The keys each kind of step uses (Step.h, Engine.cpp); any other key would be ignored.
QStringList keysOf(const QString &step)
{
    static const QHash<QString, QStringList> keys{
        {QStringLiteral("connect"), {"sock", "to", "host", "port", "options"}},
        {QStringLiteral("listen"), {"sock", "port", "same_port_as", "options"}},
        {QStringLiteral("accept"), {"listener", "sock"}},
        {QStringLiteral("send"), {"sock", "data"}},
        {QStringLiteral("recv"), {"sock", "bytes"}},
        {QStringLiteral("recv_for"), {"sock", "bytes", "seconds"}},
        {QStringLiteral("hold"), {"sock", "seconds"}},
        {QStringLiteral("close"), {"sock"}},
        {QStringLiteral("restart"), {"sock"}},
        {QStringLiteral("pull_plug"), {"sock"}},
        {QStringLiteral("start_peer"), {"peer"}},
        {QStringLiteral("stop_peer"), {}},
        {QStringLiteral("close_all"), {}},
        {QStringLiteral("fault"), {"fault", "value", "jitter", "seconds"}},
        {QStringLiteral("repair"), {"fault"}},
        {QStringLiteral("run"), {"command", "trace"}},
    };
    return keys.value(step) + QStringList{QStringLiteral("do"), QStringLiteral("say")};
}

// An accepted lesson's steps, read from the file itself: no key is one the step ignores.
void checkStepKeys(const QByteArray &json)
{
    const QJsonArray steps = QJsonDocument::fromJson(json).object().value(u"steps").toArray();
    for (const QJsonValue &v : steps) {
        const QJsonObject o = v.toObject();
        const QString what = o.value(u"do").toString();
        const QStringList takes = keysOf(what);
        for (const QString &key : o.keys())
            FUZZ_CHECK(takes.contains(key), QStringLiteral("%1 ignores '%2'").arg(what, key));
        FUZZ_CHECK(!(o.contains(u"to") && (o.contains(u"host") || o.contains(u"port"))),
                   QStringLiteral("a connect with \"to\" ignores host and port"));
        FUZZ_CHECK(!(o.contains(u"same_port_as") && o.contains(u"port")),
                   QStringLiteral("a listen with \"same_port_as\" ignores port"));
    }
}

void checkLesson(const Lesson &l)
{
    static const QRegularExpression name(QStringLiteral("^[a-z0-9][a-z0-9-]{0,47}$"));
    FUZZ_CHECK(name.match(l.name).hasMatch(), l.name);
    FUZZ_CHECK(!l.title.trimmed().isEmpty() && !l.summary.trimmed().isEmpty() &&
                   !l.explanation.trimmed().isEmpty(),
               l.name);
    FUZZ_CHECK(!l.steps.isEmpty() && !l.expect.isEmpty(), l.name);
    FUZZ_CHECK(l.options.validate().isEmpty(), l.options.validate());
    FUZZ_CHECK(l.stopAfter == -1 || (l.stopAfter >= 0.05 && l.stopAfter <= 600),
               QString::number(l.stopAfter));
    FUZZ_CHECK(l.settleMs >= 0 && l.settleMs <= 10000, QString::number(l.settleMs));
    if (l.peer)
        FUZZ_CHECK(l.peer->intervalMs >= -1 && l.peer->intervalMs <= 3600000,
                   QString::number(l.peer->intervalMs));

    QSet<QString> socks;
    QSet<QString> listeners;
    bool peer = l.peer.has_value();
    bool run = false; // a run step: its program's sockets p1, p2, ... may be predicted
    for (const LessonStep &ls : l.steps) {
        const Step &s = ls.step;
        FUZZ_CHECK(s.options.validate().isEmpty(), s.options.validate());
        switch (s.kind) {
        case Step::Kind::Connect:
            FUZZ_CHECK(!s.sock.isEmpty(), l.name);
            if (s.toPeer)
                FUZZ_CHECK(peer, QStringLiteral("connect to a peer that is never started"));
            else if (!s.portOf.isEmpty())
                FUZZ_CHECK(listeners.contains(s.portOf), s.portOf);
            else
                FUZZ_CHECK(validateHost(s.host).isEmpty() && s.port > 0, s.host);
            socks.insert(s.sock);
            break;
        case Step::Kind::Listen:
            FUZZ_CHECK(!s.sock.isEmpty(), l.name);
            FUZZ_CHECK(s.portOf.isEmpty() || listeners.contains(s.portOf), s.portOf);
            socks.insert(s.sock);
            listeners.insert(s.sock);
            break;
        case Step::Kind::Accept:
            FUZZ_CHECK(listeners.contains(s.listener), s.listener);
            FUZZ_CHECK(!s.sock.isEmpty(), l.name);
            socks.insert(s.sock);
            break;
        case Step::Kind::Send:
        case Step::Kind::Recv:
        case Step::Kind::RecvFor:
        case Step::Kind::Hold:
        case Step::Kind::Close:
        case Step::Kind::Restart:
            FUZZ_CHECK(socks.contains(s.sock), s.sock);
            FUZZ_CHECK(s.kind != Step::Kind::Restart || listeners.contains(s.sock), s.sock);
            FUZZ_CHECK(s.kind != Step::Kind::Send || !s.data.isEmpty(), s.sock);
            FUZZ_CHECK(s.maxBytes >= 1 && s.maxBytes <= 1048576, QString::number(s.maxBytes));
            FUZZ_CHECK(s.seconds == 0 || (s.seconds >= 0.001 && s.seconds <= 600),
                       QString::number(s.seconds));
            FUZZ_CHECK((s.kind != Step::Kind::RecvFor && s.kind != Step::Kind::Hold) ||
                           s.seconds >= 0.001,
                       QString::number(s.seconds));
            break;
        case Step::Kind::PullPlug:
            FUZZ_CHECK(s.sock.isEmpty() || socks.contains(s.sock), s.sock);
            break;
        case Step::Kind::StartPeer:
            FUZZ_CHECK(s.peer.intervalMs >= -1 && s.peer.intervalMs <= 3600000,
                       QString::number(s.peer.intervalMs));
            peer = true;
            break;
        case Step::Kind::Fault:
            // What the reader accepted, the engine accepts: in range, and a repair is plain.
            FUZZ_CHECK(s.fault.validate().isEmpty(), s.fault.validate());
            FUZZ_CHECK(s.fault.on || (s.fault.value < 0 && s.fault.seconds == 0),
                       s.fault.describe());
            break;
        case Step::Kind::StopPeer:
        case Step::Kind::CloseAll:
        case Step::Kind::AcceptLoop:
            break;
        case Step::Kind::Run:
            FUZZ_CHECK(!s.argv.isEmpty() && s.argv.size() <= 256 && !s.argv.first().isEmpty(),
                       s.argv.join(u' '));
            run = true;
            break;
        }
    }
    FUZZ_CHECK(l.engineSteps().size() == l.steps.size() + (l.peer ? 1 : 0), l.name);

    for (const Expectation &x : l.expect) {
        FUZZ_CHECK(!x.says.isEmpty(), l.name);
        FUZZ_CHECK(x.probe >= 0 && x.probe <= 127, QString::number(x.probe));
        FUZZ_CHECK(!x.max || *x.max >= x.min, x.says);
        FUZZ_CHECK(!x.count || (*x.count >= 0 && *x.count <= 100000), x.says);
        FUZZ_CHECK(validRange(x.elapsed) && validRange(x.overshoot, -1), x.says);
        static const QRegularExpression program(QStringLiteral("^(prog|p[1-9][0-9]*)$"));
        FUZZ_CHECK(x.sock.isEmpty() || socks.contains(x.sock) ||
                       x.sock.startsWith(QLatin1String("peer")) ||
                       (run && program.match(x.sock).hasMatch()),
                   x.sock);
        FUZZ_CHECK(x.meaning.isEmpty() || x.kind == EventKind::Segment || x.kind == EventKind::Lost,
                   x.meaning);
        FUZZ_CHECK(!x.filterText().isEmpty(), x.says);
    }
}

// Judges the lesson against no events, then against one made-up event per prediction that
// matches it, with measured times: the verdict has one check per prediction either way.
void checkEvaluate(const Lesson &l)
{
    // With no events: a check per prediction, or (predictions only about the wire, which no
    // event showed) no verdict at all.
    LessonResult none = evaluate(l, {});
    FUZZ_CHECK(none.checks.size() == l.expect.size() ||
                   (none.checks.isEmpty() && !none.notRun.isEmpty()),
               l.name);
    QList<Event> events;
    for (const Expectation &x : l.expect) {
        Event e;
        e.kind = x.kind;
        e.sock = x.sock;
        e.op = x.op;
        e.option = x.option;
        e.state = x.state;
        e.probe = x.probe;
        e.detail = x.text;
        if (!x.meaning.isEmpty())
            e.extra.insert(QStringLiteral("meaning"), x.meaning);
        e.elapsed = 1.0;
        e.timeout = 0.5;
        e.effective = 4096;
        events << e;
    }
    const LessonResult r = evaluate(l, events);
    FUZZ_CHECK(r.checks.size() == l.expect.size(), l.name);
    for (const LessonCheck &c : r.checks)
        FUZZ_CHECK(!c.observed.isEmpty(), c.says);
    FUZZ_CHECK(!r.toEvent().detail.isEmpty(), l.name);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const QByteArray json = fuzz::bytes(data, size);
    QString error;
    const std::optional<Lesson> l = Lesson::fromJson(json, &error);
    if (!l) {
        FUZZ_CHECK(!error.isEmpty(), QString::fromUtf8(json));
        FUZZ_CHECK(!fuzz::hasUnsafeChar(error), error);
        return 0;
    }
    checkLesson(*l);
    checkStepKeys(json);
    checkEvaluate(*l);
    return 0;
}
