// Item 3: a flood of events from a backend thread through the real EventBus into the window's
// log (LogView: LogModel, its filter proxy and the table, shown), with a timer measuring how
// long the GUI thread's event loop is held up; then the same lines into a QPlainTextEdit, the
// log most tools use, in the same process.
#include "Bench.h"

#include "EventBus.h"
#include "log/LogModel.h"
#include "log/LogView.h"

#include <QApplication>
#include <QEventLoop>
#include <QPlainTextEdit>
#include <QTest>
#include <QTimer>

#include <thread>

using namespace socklab;

namespace bench {

namespace {

// What a peer flooding a receive loop produces: for each call a `receiving` and a
// `received` (with its own data preview), and now and then a sentence of its own.
Event floodEvent(int i)
{
    Event e;
    e.sock = QStringLiteral("c1");
    e.op = QStringLiteral("recv");
    switch (i % 10) {
    case 9:
        e.kind = EventKind::Info;
        e.elapsed = 1e-6 * (i % 977);
        e.detail = QStringLiteral("%1 recv() calls so far, none timed out: the timeout bounds "
                                  "each call.")
                       .arg(i);
        break;
    default:
        if (i % 2 == 0) {
            e.kind = EventKind::Receiving;
            e.timeout = 1.0;
            e.mechanism = QStringLiteral("poll");
            e.bytes = 4096;
        } else {
            e.kind = EventKind::Received;
            e.elapsed = 1e-6 * (i % 1013);
            e.bytes = 16 + i % 17;
            e.data = QStringLiteral("line %1: ok\\r\\n").arg(i);
        }
    }
    return e;
}

struct Flood
{
    double seconds = 0;
    double rate = 0;
    double maxGapMs = 0;
    double bytesPerEvent = 0;
    int batches = 0;
    qint64 stored = 0;
    bool complete = false;
};

constexpr int kTickMs = 5;

// Posts n events from a producer thread into a fresh bus whose batches go to sink() on this
// thread; runs this thread's event loop until stored() reaches n (or limitMs passes), and
// then 300 ms more for the repaints. A 5 ms precise timer records the longest gap between
// its ticks: how long the event loop was held up.
Flood flood(int n, const std::function<void(const QList<Event> &)> &sink,
            const std::function<qint64()> &stored, int limitMs)
{
    Flood f;
    const qint64 heapBefore = heapInUse();
    EventBus bus;
    QEventLoop loop;
    qint64 doneNs = 0;
    QObject receiver; // the sink's connection, cut when the time limit ends the flood
    QObject::connect(&bus, &EventBus::eventsReady, &receiver, [&](const QList<Event> &batch) {
        sink(batch);
        ++f.batches;
        if (!doneNs && stored() >= n) {
            doneNs = nowNs();
            loop.quit();
        }
    });
    QTimer tick;
    tick.setTimerType(Qt::PreciseTimer);
    tick.setInterval(kTickMs);
    qint64 last = 0, maxGap = 0;
    QObject::connect(&tick, &QTimer::timeout, &loop, [&] {
        const qint64 now = nowNs();
        maxGap = std::max(maxGap, now - last);
        last = now;
    });
    QTimer limit;
    limit.setSingleShot(true);
    QObject::connect(&limit, &QTimer::timeout, &loop, &QEventLoop::quit);

    std::atomic<bool> stop{false};
    tick.start();
    limit.start(limitMs);
    last = nowNs();
    const qint64 t0 = nowNs();
    // As fast as the bus takes them: past half its bound the producer waits for the consumer,
    // instead of having the bus drop what does not fit (it would, and say so: a producer
    // several times faster than any real one would measure the drops, not the log).
    std::thread producer([&] {
        for (int i = 0; i < n && !stop.load(std::memory_order_relaxed); ++i) {
            if (i % 1024 == 0) {
                while (bus.pendingCount() > EventBus::MaxPending / 2 &&
                       !stop.load(std::memory_order_relaxed))
                    std::this_thread::sleep_for(std::chrono::microseconds(200));
            }
            bus.post(floodEvent(i));
        }
    });
    loop.exec();
    stop.store(true);
    producer.join();
    f.complete = doneNs != 0;
    if (!doneNs) {
        doneNs = nowNs();
        QObject::disconnect(&bus, nullptr, &receiver, nullptr);
    }
    spin(300); // what the flood left to do: scrolling, repainting
    tick.stop();
    f.maxGapMs = std::max(maxGap, nowNs() - last) / 1e6;
    f.stored = stored();
    f.seconds = (doneNs - t0) / 1e9;
    f.rate = double(f.stored) / f.seconds;
    QCoreApplication::sendPostedEvents(); // a doorbell may still be queued for this bus
    f.bytesPerEvent = double(heapInUse() - heapBefore) / double(std::max<qint64>(1, f.stored));
    return f;
}

void put(Result *r, const QString &name, const Flood &f)
{
    r->metrics.insert(name + QStringLiteral("_rate_eps"), f.rate);
    r->metrics.insert(name + QStringLiteral("_seconds"), f.seconds);
    r->metrics.insert(name + QStringLiteral("_stall_ms"), std::max(0.0, f.maxGapMs - kTickMs));
    r->metrics.insert(name + QStringLiteral("_bytes_per_event"), f.bytesPerEvent);
    r->metrics.insert(name + QStringLiteral("_batches"), f.batches);
    r->metrics.insert(name + QStringLiteral("_stored"), double(f.stored));
    r->metrics.insert(name + QStringLiteral("_complete"), f.complete);
}

} // namespace

void runPipeline(const Context &c, Result *r)
{
    const int n = c.smoke ? 20000 : 1000000;
    r->metrics.insert(QStringLiteral("events"), n);
    r->metrics.insert(QStringLiteral("platform"), QGuiApplication::platformName());

    {
        LogView view;
        view.resize(1100, 700);
        view.show();
        if (!QTest::qWaitForWindowExposed(&view)) {
            r->fail(QStringLiteral("the log view was not exposed"));
            return;
        }
        spin(200);
        const Flood f = flood(
            n, [&](const QList<Event> &b) { view.append(b); },
            [&] { return qint64(view.model()->rowCount()); }, 120000);
        put(r, QStringLiteral("logview"), f);
        if (!f.complete || f.stored != n)
            r->fail(QStringLiteral("the log stored %1 of %2 events").arg(f.stored).arg(n));
    }

    {
        // The model alone, appended in batches of 10,000 on this thread: its own bytes/event.
        LogModel model;
        const qint64 before = heapInUse();
        const qint64 t0 = nowNs();
        for (int i = 0; i < n; i += 10000) {
            QList<Event> batch;
            batch.reserve(10000);
            for (int k = i; k < std::min(n, i + 10000); ++k)
                batch << floodEvent(k);
            model.append(batch);
        }
        r->metrics.insert(QStringLiteral("model_seconds_incl_generation"), (nowNs() - t0) / 1e9);
        r->metrics.insert(QStringLiteral("model_bytes_per_event"),
                          double(heapInUse() - before) / n);
    }

    {
        // The reference: every line appended to a QPlainTextEdit as it arrives.
        QPlainTextEdit edit;
        edit.setReadOnly(true);
        edit.resize(1100, 700);
        edit.show();
        if (!QTest::qWaitForWindowExposed(&edit)) {
            r->fail(QStringLiteral("the text edit was not exposed"));
            return;
        }
        spin(200);
        qint64 lines = 0;
        const int limitMs = c.smoke ? 60000 : 300000;
        const Flood f = flood(
            n,
            [&](const QList<Event> &b) {
                for (const Event &e : b) {
                    edit.appendPlainText(e.toText());
                    ++lines;
                }
            },
            [&] { return lines; }, limitMs);
        put(r, QStringLiteral("plaintext"), f);
        if (!f.complete)
            r->notes << QStringLiteral("QPlainTextEdit stored %1 of %2 lines within %3 s; its "
                                       "rate is over what it did.")
                            .arg(f.stored)
                            .arg(n)
                            .arg(limitMs / 1000);
    }
    const double lv = r->metrics.value(QStringLiteral("logview_rate_eps")).toDouble();
    const double pt = r->metrics.value(QStringLiteral("plaintext_rate_eps")).toDouble();
    if (pt > 0)
        r->metrics.insert(QStringLiteral("ratio_logview_plaintext_rate"), lv / pt);
}

} // namespace bench
