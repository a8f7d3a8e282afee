// The event store under the window's log, on its own (no GUI): what goes in comes back whole,
// run and place in the stream included; the ring keeps the newest; payloads stay within their
// budget.
#include "EventStore.h"
#include "TestSupport.h"

#include <QJsonDocument>

using namespace socklab;
using namespace socklab::test;

namespace {

// Everything an event says, as one comparable text: its JSON (every field the exports carry,
// run and seq included) and the monotonic time, which JSON does not carry.
QString whole(const Event &e)
{
    return QString::fromUtf8(QJsonDocument(e.toJson()).toJson(QJsonDocument::Compact)) +
           QStringLiteral(" mono=%1").arg(e.monoNs);
}

Event numbered(quint64 seq, quint64 run = 1)
{
    Event e;
    e.kind = EventKind::Received;
    e.sock = QStringLiteral("c1");
    e.op = QStringLiteral("recv");
    e.tNs = qint64(seq) * 1000;
    e.monoNs = e.tNs + 5000000000LL;
    e.bytes = qint64(seq);
    e.run = run;
    e.seq = seq;
    return e;
}

} // namespace

class TestEventStore : public QObject
{
    Q_OBJECT
  private slots:
    // A real run on real sockets (options, a connect, data both ways, a timeout, a close):
    // every event the engine delivered comes back from the store exactly as it went in.
    void realEventsComeBackWhole()
    {
        Engine engine;
        EventRecorder rec(engine.bus());
        SocketOptions o = timeouts(0.2, TimeoutMechanism::Poll);
        o.rcvBuf = 10000;
        o.noDelay = true;
        engine.run({peer(PeerBehavior::Echo), connectToPeer(o), send("héllo\x01\n"), recv(), recv(),
                    Step::make(Step::Kind::Close, QStringLiteral("c1"))});
        QVERIFY(rec.waitFinished());
        QVERIFY2(rec.has(EventKind::Timeout, QStringLiteral("c1")), qPrintable(rec.dump()));
        QVERIFY(rec.has(EventKind::OptionSet, QStringLiteral("c1")));
        const Event got = rec.first(EventKind::Received, QStringLiteral("c1"));
        QVERIFY(got.payloadKept);
        QCOMPARE(got.payload, QByteArray("héllo\x01\n"));

        EventStore store;
        store.append(rec.events.mid(0, 3));
        store.append(rec.events.mid(3));
        QCOMPARE(store.size(), int(rec.events.size()));
        for (int i = 0; i < store.size(); ++i) {
            const Event &in = rec.events.at(i);
            QCOMPARE(whole(store.at(i)), whole(in));
            QCOMPARE(store.at(i).payload, in.payload);
            QCOMPARE(store.kindAt(i), in.kind);
            QCOMPARE(store.socketAt(i), in.sock);
            QCOMPARE(store.opAt(i), in.op);
            QCOMPARE(store.errAt(i), in.err);
            QCOMPARE(store.timeNsAt(i), in.tNs);
            QCOMPARE(store.runAt(i), in.run);
            QCOMPARE(store.seqAt(i), in.seq);
            QVERIFY2(in.seq > 0 && in.run > 0, qPrintable(in.toText()));
        }
    }

    // Events alike in everything but their run share storage, yet each keeps its own run.
    void runIsKeptPerEvent()
    {
        EventStore store;
        QList<Event> batch;
        for (quint64 i = 1; i <= 6; ++i) {
            Event e = numbered(i, i <= 3 ? 7 : 8);
            e.bytes = 1; // the same shape apart from the run
            batch << e;
        }
        store.append(batch);
        for (int i = 0; i < 6; ++i) {
            QCOMPARE(store.runAt(i), quint64(i < 3 ? 7 : 8));
            QCOMPARE(store.at(i).run, quint64(i < 3 ? 7 : 8));
            QCOMPARE(store.seqAt(i), quint64(i + 1));
        }
    }

    // Text outside Latin-1 is stored wide and read back as it was.
    void wideTextRoundTrips()
    {
        Event e = numbered(1);
        e.detail = QStringLiteral("détail → ünïcode ✓");
        e.data = QStringLiteral("\\xff日本");
        Event plain = numbered(2);
        plain.detail = QStringLiteral("plain latin-1: café");
        EventStore store;
        store.append({e, plain});
        QCOMPARE(store.at(0).detail, e.detail);
        QCOMPARE(store.at(0).data, e.data);
        QCOMPARE(store.at(1).detail, plain.detail);
    }

    // The ring keeps the newest events; a batch larger than the ring keeps its own newest.
    void ringKeepsTheNewest()
    {
        EventStore store;
        store.setCapacity(5);
        QList<Event> first;
        for (quint64 i = 1; i <= 4; ++i)
            first << numbered(i);
        store.append(first);
        QList<Event> second;
        for (quint64 i = 5; i <= 7; ++i)
            second << numbered(i);
        const EventStore::Plan p = store.plan(second.size());
        QCOMPARE(p.evict, 2);
        QCOMPARE(p.skip, qsizetype(0));
        store.append(second);
        QCOMPARE(store.size(), 5);
        QCOMPARE(store.seqAt(0), quint64(3));
        QCOMPARE(store.seqAt(4), quint64(7));

        QList<Event> big;
        for (quint64 i = 100; i < 108; ++i)
            big << numbered(i);
        QCOMPARE(store.plan(big.size()).skip, qsizetype(3));
        store.append(big);
        QCOMPARE(store.size(), 5);
        QCOMPARE(store.seqAt(0), quint64(103));
        QCOMPARE(store.at(4).bytes, qint64(107));
        QCOMPARE(store.at(5).kind, EventKind::Info); // out of range: an empty event
        QCOMPARE(store.at(5).seq, quint64(0));

        store.setCapacity(2);
        QCOMPARE(store.size(), 2);
        QCOMPARE(store.seqAt(0), quint64(106));
        store.clear();
        QCOMPARE(store.size(), 0);
        store.append({numbered(1)});
        QCOMPARE(store.at(0).seq, quint64(1));
    }

    // Payloads: the newest are kept within the budget; an older one is released and its bytes
    // still count; rows that leave the ring take theirs along.
    void payloadsStayWithinTheBudget()
    {
        EventStore store;
        store.setPayloadBudget(250);
        QList<Event> batch;
        for (int i = 0; i < 4; ++i) {
            Event e = numbered(quint64(i + 1));
            e.payload = QByteArray(100, char('a' + i));
            e.bytes = 100;
            e.payloadKept = true;
            batch << e;
        }
        store.append(batch);
        QCOMPARE(store.payloadBytesHeld(), qint64(200));
        QVERIFY(store.payloadReleased(0));
        QVERIFY(store.payloadReleased(1));
        QVERIFY(!store.payloadReleased(2));
        QCOMPARE(store.at(0).payloadOmitted(), qint64(100));
        QCOMPARE(store.at(3).payload, QByteArray(100, 'd'));
        store.setCapacity(1);
        QCOMPARE(store.payloadBytesHeld(), qint64(100));
        QCOMPARE(store.at(0).payload, QByteArray(100, 'd'));
    }
};

QTEST_GUILESS_MAIN(TestEventStore)
#include "tst_eventstore.moc"
