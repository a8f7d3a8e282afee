#pragma once

#include "Event.h"
#include "Step.h"

#include <QJsonValue>
#include <QList>
#include <QMetaType>
#include <QString>

#include <optional>
#include <utility>

namespace socklab {

// One step of a lesson: what the engine does, and what the teacher says while it runs.
struct LessonStep
{
    Step step;
    QString say;
};

// A prediction about the events a lesson produces: the events matching the filter, how many
// of them there are, and bounds on their measured times. `says` is the prediction in words.
struct Expectation
{
    EventKind kind = EventKind::Info;
    QString sock;
    QString op;
    QString errnoName;
    QString option;
    QString state;
    int probe = 0;            // 0: any
    QString meaning;          // a segment's meaning on the wire (rst, keepalive_probe, ...)
    QString text;             // the event's sentence contains it (a program's printed line)
    std::optional<int> count; // exactly this many
    int min = 1;              // otherwise at least this many...
    std::optional<int> max;   // ...and at most this many
    std::optional<std::pair<double, double>> elapsed;   // seconds, each matching event
    std::optional<std::pair<double, double>> overshoot; // elapsed minus timeout, seconds
    QJsonValue effective{QJsonValue::Undefined};        // the read-back value, when set
    QString says;

    bool matches(const Event &e) const;
    QString filterText() const; // e.g. "timeout on c1 (recv)"
};

// A lesson as data (resources/lessons/*.json): what to look at and why, the setup, the steps,
// and the observations it predicts.
struct Lesson
{
    QString name; // e.g. "recv-timeout": what `socklab-cli lesson NAME` takes
    QString title;
    QString summary;     // one sentence, for lists
    QString explanation; // paragraphs separated by blank lines
    std::optional<PeerConfig> peer;
    SocketOptions options; // the base options of every socket (steps may override)
    QList<LessonStep> steps;
    QList<Expectation> expect;
    double stopAfter = -1; // > 0: the runner presses Stop this many seconds after the last step
    int settleMs = 300;    // waited after the steps before judging (socket-table refreshes)

    // Strict: unknown keys, wrong types, out-of-range values and inconsistent steps are errors
    // naming the key path and the value.
    static std::optional<Lesson> fromJson(const QByteArray &json, QString *error);
    // The engine steps of the whole lesson (the built-in peer first, if it has one).
    QList<Step> engineSteps() const;
};

inline constexpr qint64 kLessonMaxBytes = 256 * 1024;

// The lessons shipped in the resources, sorted by file name. Sets *error (and skips the file)
// for one that does not load, which the tests treat as a failure.
QList<Lesson> lessonCatalogue(QString *error = nullptr);
std::optional<Lesson> findLesson(const QString &name);

// One prediction, judged.
struct LessonCheck
{
    QString says; // the prediction
    bool held = false;
    // False where nothing in the run could see it (a prediction about the wire, on this
    // machine's network: only the lab is captured); it then counts neither way.
    bool judged = true;
    QString observed;   // what really happened, with measured values
    bool timed = false; // it bounds how long a call took (elapsed, overshoot)
};

// A wait between steps run by hand that can change what a time prediction sees.
inline constexpr double kPacedPauseS = 0.5;

struct LessonResult
{
    QString lesson;
    bool passed = false;
    QList<LessonCheck> checks;
    // Why the lesson could not run at all (its built-in peer did not start); empty when it ran.
    // Such a lesson has no verdict on the kernel: passed is false and checks are empty.
    QString notRun;
    // Run step by step (Next step): the longest wait between a step's end and the press that
    // issued the next, and that step's number (1-based; 0: run whole). The kernel's timers run
    // during it: a time predicted for steps back to back need not hold.
    double pauseS = 0;
    int pauseBeforeStep = 0;
    // Failed, and a time prediction failed in a run paced by hand: what the verdict must say.
    bool failedWhilePaced() const;

    QString predictedText() const;
    QString observedText() const;
    // The `lesson_result` event: passed, predicted, observed and checks in `extra`.
    Event toEvent() const;
};

// Judges a lesson's predictions against the events it produced.
LessonResult evaluate(const Lesson &lesson, const QList<Event> &events);

} // namespace socklab

Q_DECLARE_METATYPE(socklab::LessonResult)
