// The bus delivers every event, in order, in batches rather than one signal per event.
#include "EventBus.h"
#include "Platform.h"

#include <QSignalSpy>
#include <QTest>

#include <atomic>
#include <thread>

using namespace socklab;

class TestEventBus : public QObject
{
    Q_OBJECT
  private slots:
    void floodArrivesBatchedAndComplete()
    {
        EventBus bus;
        QList<Event> got;
        int batches = 0;
        connect(&bus, &EventBus::eventsReady, this, [&](const QList<Event> &b) {
            got += b;
            ++batches;
        });
        constexpr int N = 100000;
        std::thread producer([&] {
            for (int i = 0; i < N; ++i) {
                Event e;
                e.kind = EventKind::Received;
                e.bytes = i;
                bus.post(e);
            }
        });
        producer.join();
        QTRY_COMPARE(got.size(), N);
        for (int i = 0; i < N; ++i)
            QCOMPARE(got[i].bytes, qint64(i));
        // One doorbell per batch: far fewer signals than events.
        QVERIFY2(batches < N / 10, qPrintable(QString::number(batches)));
        // Numbered as delivered, across batches, without a gap.
        for (int i = 0; i < N; ++i)
            QCOMPARE(got[i].seq, quint64(i + 1));
    }

    // A burst posted together (the wire's: a thousand probes' frames read at once) goes in
    // under one lock: a drain running meanwhile delivers the whole of it or none of it, in
    // order, and numbers every event.
    void aBurstPostedTogetherIsDeliveredWhole()
    {
        EventBus bus;
        QList<QList<Event>> deliveries;
        qsizetype got = 0;
        connect(&bus, &EventBus::eventsReady, this, [&](const QList<Event> &b) {
            deliveries << b;
            got += b.size();
        });
        // MaxBatch is a multiple of a burst: a long delivery cut in pieces cuts between bursts.
        constexpr int kBursts = 400, kSize = 64;
        static_assert(EventBus::MaxBatch % kSize == 0);
        std::atomic<bool> emptied{true};
        std::thread producer([&] {
            for (int b = 0; b < kBursts; ++b) {
                QList<Event> burst;
                for (int i = 0; i < kSize; ++i) {
                    Event e;
                    e.kind = EventKind::Received;
                    e.bytes = qint64(b) * kSize + i;
                    burst << e;
                }
                bus.post(std::move(burst));
                if (!burst.isEmpty())
                    emptied = false;
            }
        });
        QTRY_COMPARE_WITH_TIMEOUT(got, qsizetype(kBursts) * kSize, 20000);
        producer.join();
        QVERIFY(emptied);
        qint64 expect = 0;
        quint64 seq = 0;
        for (const QList<Event> &d : std::as_const(deliveries)) {
            QCOMPARE(d.size() % kSize, 0); // whole bursts only
            for (const Event &e : d) {
                QCOMPARE(e.bytes, expect++);
                QCOMPARE(e.seq, ++seq);
                QVERIFY(e.monoNs > 0 && e.wall > 0); // stamped
            }
        }
    }

    // A consumer that falls behind bounds the queue: past MaxPending the bus drops events
    // (never a Finished or an error) and says how many, first in what it delivers next.
    void boundedQueueSaysWhatItDropped()
    {
        EventBus bus;
        QList<Event> got;
        connect(&bus, &EventBus::eventsReady, this, [&](const QList<Event> &b) { got += b; });
        const qsizetype n = EventBus::MaxPending + 5000;
        std::thread producer([&] { // the consumer's loop does not run meanwhile
            Event e;
            e.kind = EventKind::Received;
            for (qsizetype i = 0; i < n; ++i)
                bus.post(e);
            Event err;
            err.kind = EventKind::Error;
            bus.post(err);
            Event fin;
            fin.kind = EventKind::Finished;
            bus.post(fin);
        });
        producer.join();
        QTRY_VERIFY_WITH_TIMEOUT(!got.isEmpty() && got.constLast().kind == EventKind::Finished,
                                 20000);
        qsizetype received = 0, dropped = 0, notes = 0, errors = 0;
        for (const Event &e : std::as_const(got)) {
            received += e.kind == EventKind::Received;
            errors += e.kind == EventKind::Error;
            if (e.kind == EventKind::EventsDropped) {
                ++notes;
                dropped += e.extra.value(QStringLiteral("count")).toInteger();
            }
        }
        QCOMPARE(received, EventBus::MaxPending);
        QCOMPARE(errors, qsizetype(1));
        QCOMPARE(notes, qsizetype(1));
        QCOMPARE(dropped, n - EventBus::MaxPending); // every event is delivered or counted
        const auto note = std::find_if(got.cbegin(), got.cend(), [](const Event &e) {
            return e.kind == EventKind::EventsDropped;
        });
        QVERIFY(note->detail.contains(QString::number(dropped)));
        QCOMPARE(kindName(note->kind), QStringLiteral("events_dropped"));
    }

    // What is posted belongs to the run in progress unless it names its own.
    void stampsTheRunInProgress()
    {
        EventBus bus;
        QList<Event> got;
        connect(&bus, &EventBus::eventsReady, this, [&](const QList<Event> &b) { got += b; });
        Event e;
        bus.post(e);
        bus.setCurrentRun(7);
        bus.post(e);
        Event own;
        own.run = 3;
        bus.post(own);
        QTRY_COMPARE(got.size(), 3);
        QCOMPARE(got[0].run, quint64(0));
        QCOMPARE(got[1].run, quint64(7));
        QCOMPARE(got[2].run, quint64(3));
        QCOMPARE(got[2].toJson().value(QStringLiteral("run")).toInteger(), 3);
        QCOMPARE(got[2].toJson().value(QStringLiteral("seq")).toInteger(), 3);
    }

    // Thread A observes first and posts late; thread B observes after A and posts at once.
    // The consumer still gets A's event first, and nothing is counted late. The window covers
    // a post up to ReorderNs after its observation: a round where this thread itself was
    // slower than that (a loaded or sanitized run) proves nothing and is not counted.
    void deliveredInTimeOrderAcrossThreads()
    {
        EventBus bus;
        QList<Event> got;
        connect(&bus, &EventBus::eventsReady, this, [&](const QList<Event> &b) { got += b; });
        // Rounds go on until ten were conclusive (a loaded machine needs more of them), at
        // most kMaxRounds.
        constexpr int kMaxRounds = 2000;
        std::atomic<int> go{0}, posted{0};
        std::atomic<bool> done{false};
        std::thread b([&] {
            for (int round = 1; round <= kMaxRounds; ++round) {
                while (go.load() < round && !done.load())
                    std::this_thread::yield();
                if (go.load() < round)
                    return;
                Event e;
                e.kind = EventKind::State;
                e.bytes = 2;
                bus.post(e); // stamped now: after A's observation
                posted.store(round);
            }
        });
        int conclusive = 0;
        int rounds = 0;
        for (int round = 1; round <= kMaxRounds && conclusive < 10; ++round) {
            rounds = round;
            const qint64 observedA = platform::monotonicNs();
            go.store(round);
            while (posted.load() < round)
                std::this_thread::yield();
            QTest::qWait(0); // let a drain run between the two posts, as it would
            Event a;
            a.kind = EventKind::Received;
            a.bytes = 1;
            a.monoNs = observedA;
            const qint64 postedAt = platform::monotonicNs();
            bus.post(a);
            QTRY_COMPARE(got.size(), 2 * round);
            if (postedAt - observedA > EventBus::ReorderNs / 2)
                continue;
            ++conclusive;
            QCOMPARE(got[2 * round - 2].bytes, qint64(1));
            QCOMPARE(got[2 * round - 1].bytes, qint64(2));
        }
        done.store(true);
        b.join();
        QVERIFY2(conclusive >= 10,
                 qPrintable(QStringLiteral("%1 conclusive of %2").arg(conclusive).arg(rounds)));
    }

    // The wire is late by nature: its events carry a frame's time and are posted a moment
    // after. An event observed after the wire's watermark waits for it (a drain right after
    // its post does not deliver it); once the wire says it has posted everything until a
    // later moment, it goes, after the wire's own earlier-stamped event.
    void theWiresWatermarkReleasesWhatWaitedForIt()
    {
        EventBus bus;
        QList<Event> got;
        connect(&bus, &EventBus::eventsReady, this, [&](const QList<Event> &b) { got += b; });
        bus.advanceLateWatermark(platform::monotonicNs() - 1000000);
        int conclusive = 0;
        for (int round = 0; round < 200 && conclusive < 5; ++round) {
            got.clear();
            QTest::qWait(3); // nothing of an earlier round is left waiting
            got.clear();
            const qint64 frameNs = platform::monotonicNs();
            Event engine;
            engine.kind = EventKind::Received;
            engine.bytes = 2;
            bus.post(engine); // stamped now: after the frame
            bus.drain();
            const bool quick = platform::monotonicNs() - frameNs < EventBus::ReorderNs / 2;
            const bool heldBack = got.isEmpty();
            Event segment;
            segment.kind = EventKind::Segment;
            segment.bytes = 1;
            segment.monoNs = frameNs; // the frame's time, posted late
            bus.post(segment);
            bus.advanceLateWatermark(platform::monotonicNs());
            QTRY_COMPARE(got.size(), 2);
            QCOMPARE(got[0].bytes, qint64(1)); // the wire's, observed first
            QCOMPARE(got[1].bytes, qint64(2));
            if (!quick)
                continue; // this thread was slower than the window: it proves nothing
            QVERIFY(heldBack);
            ++conclusive;
        }
        QVERIFY(conclusive >= 5);
        QCOMPARE(bus.lateCount(), 0);
    }

    // The wire's thread may run later than the other threads' window (descheduled on a busy
    // machine), or sleep until its next frame. An event observed after the wire's watermark
    // still waits for it, past ReorderNs, and the bus asks the wire to catch up: a segment
    // observed before a connect's error is delivered before it (the window showed the RST
    // after "Connection refused", as it arrived).
    void aWireBehindIsWaitedForAndAskedToCatchUp()
    {
        EventBus bus;
        QList<Event> got;
        connect(&bus, &EventBus::eventsReady, this, [&](const QList<Event> &b) { got += b; });
        std::atomic<int> nudges{0};
        bus.setLateProducer([&] { nudges.fetch_add(1); });
        int conclusive = 0;
        for (int round = 0; round < 20 && conclusive < 3; ++round) {
            got.clear();
            nudges.store(0);
            const qint64 frameNs = platform::monotonicNs();
            bus.advanceLateWatermark(frameNs - 1);
            Event error;
            error.kind = EventKind::Error;
            error.bytes = 2;
            bus.post(error); // observed after the frame
            const qint64 postedNs = platform::monotonicNs();
            // Drains run meanwhile (the doorbell, the reorder timer); the error must not go
            // without the wire.
            while (platform::monotonicNs() - postedNs <= 3 * EventBus::ReorderNs)
                QTest::qWait(1);
            const bool inTime = platform::monotonicNs() - postedNs < EventBus::LateHoldNs / 2;
            const bool heldBack = got.isEmpty();
            const int asked = nudges.load(); // by the drain that held it back
            Event segment;
            segment.kind = EventKind::Segment;
            segment.bytes = 1;
            segment.monoNs = frameNs;
            bus.post(segment);
            bus.advanceLateWatermark(platform::monotonicNs());
            QTRY_COMPARE(got.size(), 2);
            if (!inTime)
                continue; // this thread was slower than the hold: it proves nothing
            QVERIFY(heldBack);
            QCOMPARE(asked, 1); // once, however many drains held it
            QCOMPARE(got[0].bytes, qint64(1));
            QCOMPARE(got[1].bytes, qint64(2));
            ++conclusive;
        }
        QVERIFY(conclusive >= 3);
        QCOMPARE(bus.lateCount(), 0);
        // Without a late producer any more, nothing waits for one.
        bus.setLateProducer({});
        bus.advanceLateWatermark(-1);
        got.clear();
        Event later;
        later.bytes = 3;
        bus.post(later);
        QTRY_COMPARE(got.size(), 1);
    }

    void stampsTimeSinceEpoch()
    {
        EventBus bus;
        QSignalSpy spy(&bus, &EventBus::eventsReady);
        bus.resetEpoch();
        Event e;
        e.monoNs = bus.epochNs() + 1500000; // 1.5 ms after time zero
        bus.post(e);
        QVERIFY(spy.wait(2000));
        const auto batch = spy.first().first().value<QList<Event>>();
        QCOMPARE(batch.size(), 1);
        QCOMPARE(batch.first().tNs, qint64(1500000));
        QVERIFY(batch.first().wall > 1.6e9);
        QCOMPARE(batch.first().toJson().value(QStringLiteral("t")).toDouble(), 0.0015);
    }
};

QTEST_GUILESS_MAIN(TestEventBus)
#include "tst_eventbus.moc"
