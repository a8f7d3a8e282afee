// The timeline turns the event stream into lanes of calls and marks, follows live time, zooms
// and paints without trouble at any zoom and with many events.
#include "timeline/TimelineLegend.h"
#include "timeline/TimelineWidget.h"

#include <QImage>
#include <QPixmap>
#include <QScrollBar>
#include <QSignalSpy>
#include <QTest>
#include <QWheelEvent>

#include <cerrno>

using socklab::Event;
using socklab::EventKind;
using Outcome = TimelineWidget::Outcome;

namespace {

qint64 ns(double seconds)
{
    return qint64(seconds * 1e9);
}

Event ev(EventKind kind, const QString &sock, double t, const QString &op = {})
{
    Event e;
    e.kind = kind;
    e.sock = sock;
    e.tNs = ns(t);
    e.op = op;
    return e;
}

// The start of a call, with its configured timeout (negative: none, it blocks forever).
Event call(EventKind kind, const QString &sock, double t, const QString &op, double timeout)
{
    Event e = ev(kind, sock, t, op);
    if (timeout < 0) {
        e.timeoutNone = true;
    } else {
        e.timeout = timeout;
        e.mechanism = QStringLiteral("poll");
    }
    return e;
}

Event ended(EventKind kind, const QString &sock, double t, const QString &op, double elapsed)
{
    Event e = ev(kind, sock, t, op);
    e.elapsed = elapsed;
    return e;
}

Event probe(EventKind kind, const QString &sock, double t, int n)
{
    Event e = ev(kind, sock, t, QStringLiteral("keepalive"));
    e.probe = n;
    return e;
}

Event state(const QString &sock, double t, const QString &name)
{
    Event e = ev(EventKind::State, sock, t);
    e.state = name;
    return e;
}

QImage render(TimelineWidget &w)
{
    QImage img(w.size(), QImage::Format_ARGB32);
    img.fill(Qt::transparent);
    w.render(&img);
    return img;
}

// The hue of the pixel just inside a bar's top-left corner, clear of its border and label.
int hueInside(const QImage &img, const QRectF &bar)
{
    const QPoint p(int(bar.left()) + 2, int(bar.top()) + 3);
    return QColor(img.pixel(p)).hsvHue();
}

// Every distinct tooltip along a horizontal line through the widget.
QStringList toolTipsAlong(const TimelineWidget &w, int y)
{
    QStringList tips;
    for (int x = 0; x < w.width(); ++x) {
        const QString t = w.toolTipAt(QPoint(x, y));
        if (!t.isEmpty() && !tips.contains(t))
            tips << t;
    }
    return tips;
}

// A segment on the lab's wire, as WireTap reports it: from -> to, sent by `sock` to `toSock`
// ("?" and "" while the monitor does not know them yet).
Event segment(double t, const QString &sock, const QString &toSock, const QString &from,
              const QString &to, const QString &meaning, const QString &flags, qint64 bytes = 0)
{
    Event e = ev(EventKind::Segment, sock, t, QStringLiteral("wire"));
    e.local = from;
    e.remote = to;
    e.bytes = bytes;
    e.extra.insert(QStringLiteral("meaning"), meaning);
    e.extra.insert(QStringLiteral("flags"), flags);
    e.extra.insert(QStringLiteral("to_sock"), toSock);
    e.extra.insert(QStringLiteral("link"), QStringLiteral("eth0"));
    e.detail = QStringLiteral("%1 %2 -> %3.").arg(flags, from, to);
    return e;
}

} // namespace

class TestTimeline : public QObject
{
    Q_OBJECT
  private slots:
    void lanesInOrderOfFirstAppearance()
    {
        TimelineWidget w;
        w.append({ev(EventKind::OptionSet, QStringLiteral("c1"), 0.0, QStringLiteral("setsockopt")),
                  ev(EventKind::Listening, QStringLiteral("L1"), 0.1, QStringLiteral("listen")),
                  ev(EventKind::Finished, QString(), 0.2)});
        w.append({ev(EventKind::Accepted, QStringLiteral("a1"), 0.3, QStringLiteral("accept")),
                  state(QStringLiteral("-"), 0.35, QStringLiteral("TIME_WAIT")),
                  ev(EventKind::Listening, QStringLiteral("peer"), 0.4, QStringLiteral("listen")),
                  ev(EventKind::Accepted, QStringLiteral("peer1"), 0.5, QStringLiteral("accept")),
                  ev(EventKind::Sent, QStringLiteral("c1"), 0.6, QStringLiteral("send"))});
        QCOMPARE(w.laneCount(), 5);
        QCOMPARE(w.lanes(),
                 (QStringList{QStringLiteral("c1"), QStringLiteral("L1"), QStringLiteral("a1"),
                              QStringLiteral("peer"), QStringLiteral("peer1")}));
        QCOMPARE(w.spanCount(QStringLiteral("c1")), 0); // sent without sending: no call
    }

    // Runs go on side by side: the end of one run (its Finished) leaves another run's call
    // running, and that call then ends as it really did. A Stop ends every earlier run's.
    void aRunsEndLeavesOtherRunsCallsRunning()
    {
        TimelineWidget w;
        const auto inRun = [](Event e, quint64 run) {
            e.run = run;
            return e;
        };
        w.append(
            {inRun(call(EventKind::Connecting, QStringLiteral("c1"), 0.0, QStringLiteral("connect"),
                        0.2),
                   1),
             inRun(ev(EventKind::Connected, QStringLiteral("c1"), 0.001, QStringLiteral("connect")),
                   1),
             inRun(call(EventKind::Receiving, QStringLiteral("c1"), 0.002, QStringLiteral("recv"),
                        0.2),
                   2),
             inRun(ev(EventKind::Finished, QString(), 0.003), 1)});
        QCOMPARE(w.spanCount(QStringLiteral("c1")), 2);
        QVERIFY(w.span(QStringLiteral("c1"), 1).running);
        w.append(
            {inRun(ev(EventKind::Timeout, QStringLiteral("c1"), 0.202, QStringLiteral("recv")), 2),
             inRun(ev(EventKind::Finished, QString(), 0.203), 2)});
        QCOMPARE(w.span(QStringLiteral("c1"), 1).outcome, TimelineWidget::Outcome::Timeout);
        QCOMPARE(w.span(QStringLiteral("c1"), 1).endNs, ns(0.202));

        // A Stop (id 5) ends the calls of every run before it.
        Event stop = inRun(ev(EventKind::Finished, QString(), 1.0), 5);
        stop.detail = QStringLiteral("stopped");
        w.append({inRun(call(EventKind::Receiving, QStringLiteral("c1"), 0.5,
                             QStringLiteral("recv"), -1),
                        3),
                  stop});
        QCOMPARE(w.span(QStringLiteral("c1"), 2).outcome, TimelineWidget::Outcome::Abandoned);
    }

    // The keepalive timer's settings bracket the probes they explain: idle from the last call
    // that returned to the first probe, interval between unanswered ones; an option changed on
    // the socket in use is marked, the options set before its first call are not.
    void keepaliveScheduleAndOptionChanges()
    {
        TimelineWidget w;
        const auto option = [](EventKind k, const char *name, const QVariant &v, double t) {
            Event e = ev(k, QStringLiteral("c1"), t, QStringLiteral("setsockopt"));
            e.option = QLatin1String(name);
            e.effective = v;
            return e;
        };
        const auto probe = [](EventKind k, int n, double t) {
            Event e = ev(k, QStringLiteral("c1"), t);
            e.probe = n;
            return e;
        };
        w.append(
            {option(EventKind::OptionSet, "SO_KEEPALIVE", true, 0.0),
             option(EventKind::SystemDefault, "TCP_KEEPIDLE", 2, 0.0),
             option(EventKind::SystemDefault, "TCP_KEEPINTVL", 1, 0.0),
             call(EventKind::Connecting, QStringLiteral("c1"), 0.0, QStringLiteral("connect"), 1),
             ev(EventKind::Connected, QStringLiteral("c1"), 0.001, QStringLiteral("connect")),
             probe(EventKind::ProbeSent, 1, 2.001), probe(EventKind::ProbeUnanswered, 1, 3.001),
             probe(EventKind::ProbeSent, 2, 3.001),
             [&] { // a later run: a Send with the panels' options
                 Event e = option(EventKind::OptionSet, "TCP_NODELAY", true, 3.5);
                 e.run = 2;
                 return e;
             }()});
        QCOMPARE(w.probeSchedules(QStringLiteral("c1")),
                 (QStringList{QStringLiteral("idle 2 s"), QStringLiteral("interval 1 s")}));
        QCOMPARE(w.markCount(QStringLiteral("c1"), EventKind::OptionSet), 1);
    }

    // Following live time, a new socket's lane scrolls into view when the lanes do not fit.
    void aNewLaneComesIntoView()
    {
        TimelineWidget w;
        w.resize(600, 160); // room for about two lanes
        w.show();
        QList<Event> batch;
        for (int i = 1; i <= 6; ++i)
            batch << call(EventKind::Receiving, QStringLiteral("c%1").arg(i), 0.1 * i,
                          QStringLiteral("recv"), 1.0);
        w.append(batch);
        QVERIFY(w.followLive());
        QVERIFY(!w.spanRect(QStringLiteral("c6"), 0).isEmpty());
        QVERIFY(w.spanRect(QStringLiteral("c1"), 0).isEmpty()); // scrolled away above
    }

    void receiveThenTimeoutIsOneTimedOutSpan()
    {
        TimelineWidget w;
        w.resize(800, 240);
        w.setFollowLive(false);
        w.append(
            {call(EventKind::Receiving, QStringLiteral("c1"), 1.0, QStringLiteral("recv"), 0.2)});
        Event t =
            ended(EventKind::Timeout, QStringLiteral("c1"), 1.2003, QStringLiteral("recv"), 0.2003);
        t.timeout = 0.2;
        t.mechanism = QStringLiteral("poll");
        w.append({t});

        QCOMPARE(w.spanCount(QStringLiteral("c1")), 1);
        const TimelineWidget::SpanInfo s = w.span(QStringLiteral("c1"), 0);
        QCOMPARE(s.op, QStringLiteral("recv"));
        QCOMPARE(s.outcome, Outcome::Timeout);
        QVERIFY(!s.running);
        QCOMPARE(s.startNs, ns(1.0));
        QCOMPARE(s.endNs, ns(1.2003));
        QCOMPARE(s.timeout, std::optional<double>(0.2));
        const QString tip = w.toolTipAt(w.spanRect(QStringLiteral("c1"), 0).center().toPoint());
        QVERIFY2(tip.startsWith(
                     QStringLiteral("recv on c1: timed out after 0.200 s (timeout 0.200 s, poll)")),
                 qPrintable(tip));
    }

    void runningSpanFollowsTheClock()
    {
        TimelineWidget w;
        w.resize(800, 240);
        qint64 now = ns(1.5);
        w.setClock([&now] { return now; });
        w.show();
        w.append(
            {call(EventKind::Receiving, QStringLiteral("c1"), 1.0, QStringLiteral("recv"), 2.0)});
        TimelineWidget::SpanInfo s = w.span(QStringLiteral("c1"), 0);
        QVERIFY(s.running);
        QCOMPARE(s.outcome, Outcome::Running);
        QCOMPARE(s.endNs, ns(1.5));
        now = ns(2.25);
        QCOMPARE(w.span(QStringLiteral("c1"), 0).endNs, ns(2.25));
        // It repaints on its own while the call runs, and following keeps "now" in view.
        QTRY_VERIFY(w.isAnimating());
        QVERIFY(w.followLive());
        now = ns(60);
        QTRY_VERIFY(w.viewStartSeconds() > 40);
        const QRectF bar = w.spanRect(QStringLiteral("c1"), 0);
        QVERIFY(bar.right() > w.width() / 2);
        QVERIFY(bar.right() < w.width());
        const QString tip = w.toolTipAt(bar.bottomRight().toPoint() - QPoint(4, 4));
        QVERIFY2(tip.startsWith(QStringLiteral("recv on c1: running for 59.000 s (timeout "
                                               "2.000 s, poll; 57.000 s past the deadline)")),
                 qPrintable(tip));

        w.append(
            {ended(EventKind::Received, QStringLiteral("c1"), 60.0, QStringLiteral("recv"), 59.0)});
        s = w.span(QStringLiteral("c1"), 0);
        QVERIFY(!s.running);
        QCOMPARE(s.outcome, Outcome::Ok);
        QCOMPARE(s.endNs, ns(60));
        now = ns(70); // a finished call no longer moves
        QCOMPARE(w.span(QStringLiteral("c1"), 0).endNs, ns(60));
        QVERIFY(!w.isAnimating()); // idle: the timer stops
    }

    void timeWaitBandAnimatesUntilGone()
    {
        TimelineWidget w;
        w.resize(800, 240);
        qint64 now = ns(1.5);
        w.setClock([&now] { return now; });
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        // No call runs, but a TIME_WAIT band grows toward "now" until the kernel drops it.
        w.append({state(QStringLiteral("a1"), 1.0, QStringLiteral("TIME_WAIT"))});
        QTRY_VERIFY(w.isAnimating());
        now = ns(4);
        w.append({state(QStringLiteral("a1"), 3.0, QStringLiteral("GONE"))});
        QVERIFY(!w.isAnimating());
    }

    void callWithoutTimeoutIsOpenEnded()
    {
        TimelineWidget w;
        w.resize(800, 240);
        qint64 now = ns(3);
        w.setClock([&now] { return now; });
        w.append(
            {call(EventKind::Receiving, QStringLiteral("c1"), 1.0, QStringLiteral("recv"), -1)});
        const TimelineWidget::SpanInfo s = w.span(QStringLiteral("c1"), 0);
        QVERIFY(s.running);
        QVERIFY(s.timeoutNone);
        QVERIFY(!s.timeout);
        QCOMPARE(s.endNs, ns(3));
        const QRectF bar = w.spanRect(QStringLiteral("c1"), 0);
        const QString tip = w.toolTipAt(bar.center().toPoint());
        QVERIFY2(tip.startsWith(QStringLiteral("recv on c1: running for 2.000 s (no timeout)")),
                 qPrintable(tip));
    }

    void endsMatchTheirCalls()
    {
        TimelineWidget w;
        Event accepted =
            ended(EventKind::Accepted, QStringLiteral("a1"), 2.0, QStringLiteral("accept"), 1.0);
        accepted.detail = QStringLiteral("Accepted on L1.");
        Event refused =
            ended(EventKind::Error, QStringLiteral("c2"), 0.5, QStringLiteral("connect"), 0.001);
        refused.err = ECONNREFUSED;
        Event optErr =
            ev(EventKind::Error, QStringLiteral("c2"), 0.1, QStringLiteral("setsockopt"));
        optErr.err = EINVAL;
        w.append(
            {call(EventKind::Accepting, QStringLiteral("L1"), 1.0, QStringLiteral("accept"), 5.0),
             optErr,
             call(EventKind::Connecting, QStringLiteral("c2"), 0.499, QStringLiteral("connect"),
                  1.0),
             refused, accepted,
             call(EventKind::Holding, QStringLiteral("a1"), 2.0, QStringLiteral("hold"), 1.0),
             ended(EventKind::Info, QStringLiteral("a1"), 3.0, QStringLiteral("hold"), 1.0),
             call(EventKind::Sending, QStringLiteral("a1"), 3.1, QStringLiteral("send"), 1.0),
             ended(EventKind::Cancelled, QStringLiteral("a1"), 3.4, QStringLiteral("send"), 0.3)});

        // Accepted arrives on the new socket; the call it ends ran on the listener.
        QCOMPARE(w.spanCount(QStringLiteral("L1")), 1);
        QCOMPARE(w.span(QStringLiteral("L1"), 0).outcome, Outcome::Ok);
        QCOMPARE(w.span(QStringLiteral("L1"), 0).endNs, ns(2.0));
        QCOMPARE(w.spanCount(QStringLiteral("c2")), 1);
        QCOMPARE(w.span(QStringLiteral("c2"), 0).outcome, Outcome::Error);
        QCOMPARE(w.span(QStringLiteral("c2"), 0).endNs, ns(0.5));
        // An error outside any call is a mark, not a span.
        QCOMPARE(w.markCount(QStringLiteral("c2"), EventKind::Error), 1);
        QCOMPARE(w.spanCount(QStringLiteral("a1")), 2);
        QCOMPARE(w.span(QStringLiteral("a1"), 0).op, QStringLiteral("hold"));
        QCOMPARE(w.span(QStringLiteral("a1"), 0).outcome, Outcome::Ok);
        QCOMPARE(w.span(QStringLiteral("a1"), 0).endNs, ns(3.0));
        QCOMPARE(w.span(QStringLiteral("a1"), 1).outcome, Outcome::Cancelled);

        // A call the engine never ended is closed when the run finishes, so nothing runs on.
        w.append(
            {call(EventKind::Receiving, QStringLiteral("a1"), 4.0, QStringLiteral("recv"), 1.0),
             ev(EventKind::Finished, QString(), 4.5)});
        QCOMPARE(w.span(QStringLiteral("a1"), 2).outcome, Outcome::Abandoned);
        QCOMPARE(w.span(QStringLiteral("a1"), 2).endNs, ns(4.5));
    }

    void probesAndStatesAreMarks()
    {
        TimelineWidget w;
        w.resize(900, 240);
        w.setPixelsPerSecond(40);
        const QString c1 = QStringLiteral("c1");
        w.append(
            {call(EventKind::Holding, c1, 0.0, QStringLiteral("hold"), 15.0),
             probe(EventKind::ProbeSent, c1, 5.0, 1), probe(EventKind::ProbeAcked, c1, 5.001, 1),
             probe(EventKind::ProbeSent, c1, 8.0, 1), probe(EventKind::ProbeUnanswered, c1, 9.0, 1),
             probe(EventKind::ProbeSent, c1, 9.0, 2),
             probe(EventKind::ProbeUnanswered, c1, 10.0, 2),
             probe(EventKind::ProbeSent, c1, 10.0, 3),
             probe(EventKind::ProbeUnanswered, c1, 11.0, 3),
             probe(EventKind::PeerDead, c1, 11.0, 0),
             ended(EventKind::Error, c1, 11.0, QStringLiteral("hold"), 11.0),
             state(c1, 11.1, QStringLiteral("CLOSE")),
             state(QStringLiteral("a1"), 12.0, QStringLiteral("TIME_WAIT")),
             state(QStringLiteral("a1"), 14.0, QStringLiteral("GONE"))});
        QCOMPARE(w.markCount(c1, EventKind::ProbeSent), 4);
        QCOMPARE(w.markCount(c1, EventKind::ProbeAcked), 1);
        QCOMPARE(w.markCount(c1, EventKind::ProbeUnanswered), 3);
        QCOMPARE(w.markCount(c1, EventKind::PeerDead), 1);
        QCOMPARE(w.markCount(c1, EventKind::State), 1);
        QCOMPARE(w.markCount(QStringLiteral("a1"), EventKind::State), 2);
        QCOMPARE(w.markCount(c1, EventKind::Error), 0); // it ended the hold
        QCOMPARE(w.span(c1, 0).outcome, Outcome::Error);

        // Each probe tells what became of it.
        const QRectF hold = w.spanRect(c1, 0);
        const QStringList tips = toolTipsAlong(w, int(hold.center().y()));
        const auto has = [&tips](const QString &prefix) {
            return std::any_of(tips.begin(), tips.end(),
                               [&](const QString &t) { return t.startsWith(prefix); });
        };
        QVERIFY2(has(QStringLiteral("keepalive probe 1 on c1 at 5.000 s: ACKed")),
                 qPrintable(tips.join(QLatin1Char('|'))));
        QVERIFY2(has(QStringLiteral("keepalive probe 1 on c1 at 8.000 s: unanswered")),
                 qPrintable(tips.join(QLatin1Char('|'))));
        QVERIFY2(has(QStringLiteral("keepalive probe 3 on c1 at 10.000 s: unanswered")),
                 qPrintable(tips.join(QLatin1Char('|'))));
        QVERIFY2(has(QStringLiteral("peer dead on c1 at 11.000 s")),
                 qPrintable(tips.join(QLatin1Char('|'))));
        QVERIFY2(has(QStringLiteral("hold on c1: failed with")),
                 qPrintable(tips.join(QLatin1Char('|'))));
    }

    void zoomStepsAndClamps()
    {
        TimelineWidget w;
        QSignalSpy spy(&w, &TimelineWidget::pixelsPerSecondChanged);
        const double start = w.pixelsPerSecond();
        w.zoomIn();
        QCOMPARE(w.pixelsPerSecond(), start * 1.5);
        w.zoomOut();
        QCOMPARE(w.pixelsPerSecond(), start);
        w.zoomOut();
        QCOMPARE(w.pixelsPerSecond(), start / 1.5);
        QCOMPARE(spy.count(), 3);
        w.setPixelsPerSecond(1e9);
        QCOMPARE(w.pixelsPerSecond(), 20000.0);
        w.zoomIn();
        QCOMPARE(w.pixelsPerSecond(), 20000.0);
        w.setPixelsPerSecond(0.01);
        QCOMPARE(w.pixelsPerSecond(), 5.0);
        w.zoomOut();
        QCOMPARE(w.pixelsPerSecond(), 5.0);
        QCOMPARE(spy.count(), 5); // the clamped no-ops say nothing
    }

    void ctrlWheelZoomsAroundTheMouse()
    {
        TimelineWidget w;
        w.resize(800, 240);
        w.append(
            {call(EventKind::Receiving, QStringLiteral("c1"), 5.0, QStringLiteral("recv"), 1.0),
             ended(EventKind::Received, QStringLiteral("c1"), 5.5, QStringLiteral("recv"), 0.5),
             ev(EventKind::Closed, QStringLiteral("c1"), 100.0, QStringLiteral("close"))});
        w.setFollowLive(false);
        w.findChild<QScrollBar *>()->setValue(400); // 4 s at 100 px/s
        QVERIFY(!w.followLive());
        const QRectF before = w.spanRect(QStringLiteral("c1"), 0);
        const QPointF at(before.left(), before.center().y());
        QWheelEvent in(at, w.mapToGlobal(at), QPoint(), QPoint(0, 120), Qt::NoButton,
                       Qt::ControlModifier, Qt::NoScrollPhase, false);
        QCoreApplication::sendEvent(&w, &in);
        QCOMPARE(w.pixelsPerSecond(), 150.0);
        const QRectF after = w.spanRect(QStringLiteral("c1"), 0);
        QVERIFY2(std::abs(after.left() - before.left()) < 1.0,
                 qPrintable(QStringLiteral("%1 -> %2").arg(before.left()).arg(after.left())));
        QCOMPARE(after.width(), before.width() * 1.5);

        // A plain wheel scrolls time instead.
        const double view = w.viewStartSeconds();
        QWheelEvent back(at, w.mapToGlobal(at), QPoint(), QPoint(0, 120), Qt::NoButton,
                         Qt::NoModifier, Qt::NoScrollPhase, false);
        QCoreApplication::sendEvent(&w, &back);
        QCOMPARE(w.pixelsPerSecond(), 150.0);
        QVERIFY(w.viewStartSeconds() < view);
    }

    void scrollingBackStopsFollowing()
    {
        TimelineWidget w;
        w.resize(800, 240);
        QSignalSpy spy(&w, &TimelineWidget::followLiveChanged);
        w.append({ev(EventKind::Closed, QStringLiteral("c1"), 0.0, QStringLiteral("close")),
                  ev(EventKind::Closed, QStringLiteral("c1"), 100.0, QStringLiteral("close"))});
        auto *bar = w.findChild<QScrollBar *>();
        QVERIFY(bar);
        QVERIFY(w.followLive());
        QVERIFY(bar->maximum() > 0);
        QCOMPARE(bar->value(), bar->maximum());
        QVERIFY(w.viewStartSeconds() > 90);

        bar->setValue(bar->maximum() / 2);
        QVERIFY(!w.followLive());
        // More events do not drag a view the user took back.
        const double view = w.viewStartSeconds();
        w.append({ev(EventKind::Closed, QStringLiteral("c1"), 200.0, QStringLiteral("close"))});
        QCOMPARE(w.viewStartSeconds(), view);

        bar->setValue(bar->maximum());
        QVERIFY(w.followLive());
        QCOMPARE(spy.count(), 2);
        w.append({ev(EventKind::Closed, QStringLiteral("c1"), 300.0, QStringLiteral("close"))});
        QVERIFY(w.viewStartSeconds() > 290);
    }

    // A finished run is framed whole (a lesson's end, a handout's picture): from zero to the
    // last event with room either side; the handout's picture leaves the user's view alone.
    void framingShowsTheWholeRun()
    {
        TimelineWidget w;
        w.resize(800, 240);
        w.append({ev(EventKind::Closed, QStringLiteral("c1"), 0.5, QStringLiteral("close")),
                  ev(EventKind::Closed, QStringLiteral("c1"), 40.0, QStringLiteral("close"))});
        w.frame(0, 40'000'000'000LL);
        QVERIFY(!w.followLive());
        const auto [from, to] = w.visibleSeconds();
        QVERIFY2(from <= 0.5 && to >= 40.0, qPrintable(QStringLiteral("%1-%2").arg(from).arg(to)));
        QVERIFY2(to - from < 60, "framed, not zoomed far out");

        w.setPixelsPerSecond(1000); // the user looks closely at 10 s
        auto *bar = w.findChild<QScrollBar *>();
        bar->setValue(10000);
        const double pps = w.pixelsPerSecond(), start = w.viewStartSeconds();
        const QPixmap picture = w.grabRun();
        QCOMPARE(picture.size(), w.size() * picture.devicePixelRatio());
        QCOMPARE(w.pixelsPerSecond(), pps);
        QCOMPARE(w.viewStartSeconds(), start);
        QVERIFY(!w.followLive());

        // A new page starts at the usual zoom.
        w.clear();
        QCOMPARE(w.pixelsPerSecond(), TimelineWidget::kDefaultPixelsPerSecond);
    }

    // Stop and the plug pulled are drawn across every lane and explained on hover; the lane
    // names are explained in the gutter; the legend names every shape the picture uses.
    void stopsPlugsAndNamesAreExplained()
    {
        TimelineWidget w;
        w.resize(800, 240);
        w.show();
        Event plug = ev(EventKind::Info, QStringLiteral("c1"), 1.0, QStringLiteral("pull-plug"));
        plug.detail = QStringLiteral("Plug pulled on our side.");
        Event stop = ev(EventKind::Finished, QString(), 2.0);
        stop.detail = QStringLiteral("stopped");
        w.append({call(EventKind::Receiving, QStringLiteral("c1"), 0.5, QStringLiteral("recv"), -1),
                  plug, stop});
        w.frame(0, ns(2.5));
        const QRectF bar = w.spanRect(QStringLiteral("c1"), 0);
        QVERIFY(!bar.isEmpty());
        // The call's bar starts at 0.5 s: x of a time, from there.
        const auto xAt = [&](double t) { return bar.left() + (t - 0.5) * w.pixelsPerSecond(); };
        const int y = int(bar.center().y());
        QVERIFY2(
            w.toolTipAt(QPoint(int(std::lround(xAt(2.0))), y)).startsWith(QLatin1String("Stop")),
            qPrintable(w.toolTipAt(QPoint(int(std::lround(xAt(2.0))), y))));
        QVERIFY(w.toolTipAt(QPoint(int(std::lround(xAt(1.0))), y))
                    .startsWith(QLatin1String("plug pulled")));
        const QString gutter = w.toolTipAt(QPoint(4, y));
        QVERIFY2(gutter.startsWith(QLatin1String("c1: a client socket")), qPrintable(gutter));

        TimelineLegend legend;
        const QStringList entries = legend.entries();
        for (const char *needed : {"timed out", "keepalive probe, ACKed", "probe unanswered",
                                   "peer declared dead", "TIME_WAIT", "Stop, plug pulled"})
            QVERIFY2(entries.contains(QLatin1String(needed)), needed);
        // It names what this picture draws: a recv with no timeout, cancelled by the Stop,
        // the plug pulled and the Stop; nothing else.
        QVERIFY(legend.shownEntries().isEmpty());
        QCOMPARE(legend.heightForWidth(800), 0);
        legend.setDrawn(w.drawn());
        QCOMPARE(legend.shownEntries(), (QStringList{QStringLiteral("cancelled"),
                                                     QStringLiteral("no timeout: waits until…"),
                                                     QStringLiteral("Stop, plug pulled")}));
        legend.setDrawn(~0u);
        QCOMPARE(legend.shownEntries(), entries);
        QVERIFY(legend.heightForWidth(300) > legend.heightForWidth(1200)); // it wraps
    }

    // A fault of the network is a band behind every lane, from when it was made to when it
    // was mended (a new number ends the old band; one firewall replaces the other), named,
    // explained on hover, and in the legend.
    void faultsAreBandsBehindTheLanes()
    {
        const auto fault = [](double t, const char *name, bool on, int value = -1) {
            Event e = ev(EventKind::Info, QStringLiteral("lab"), t, QStringLiteral("fault"));
            e.extra.insert(QStringLiteral("fault"), QLatin1String(name));
            e.extra.insert(QStringLiteral("on"), on);
            if (value >= 0)
                e.extra.insert(QStringLiteral("percent"), value);
            e.detail = QStringLiteral("Said when %1.").arg(QLatin1String(name));
            return e;
        };
        TimelineWidget w;
        w.resize(800, 240);
        w.show();
        w.append({call(EventKind::Receiving, QStringLiteral("c1"), 0.5, QStringLiteral("recv"), 5),
                  fault(1.0, "cable", true), fault(2.0, "loss", true, 10),
                  fault(2.5, "loss", true, 30), fault(3.0, "cable", false),
                  fault(3.2, "drop", true), fault(3.4, "reject", true)});
        const TimelineModel model = w.snapshot();
        const auto &faults = model.faults();
        QCOMPARE(faults.size(), size_t(5));
        QCOMPARE(faults[0].text, QStringLiteral("cable pulled"));
        QCOMPARE(faults[0].startNs, qint64(1000000000));
        QCOMPARE(faults[0].endNs, qint64(3000000000));
        QCOMPARE(faults[1].text, QStringLiteral("packet loss 10 %"));
        QCOMPARE(faults[1].endNs, qint64(2500000000)); // made again with 30 %
        QCOMPARE(faults[2].text, QStringLiteral("packet loss 30 %"));
        QCOMPARE(faults[2].endNs, TimelineModel::kOpen);
        QCOMPARE(faults[3].fault, QStringLiteral("drop"));
        QCOMPARE(faults[3].endNs, qint64(3400000000)); // the reject replaced it
        QCOMPARE(faults[4].endNs, TimelineModel::kOpen);
        QVERIFY(w.drawn() & TimelineModel::DrawnFault);
        QCOMPARE(model.laneNames(), QStringList{QStringLiteral("c1")}); // not the lab's
        w.frame(0, ns(4));
        const QRectF bar = w.spanRect(QStringLiteral("c1"), 0); // starts at 0.5 s
        const double xAt1 = bar.left() + 0.5 * w.pixelsPerSecond();
        const QString tip = w.toolTipAt(QPoint(int(std::lround(xAt1)), int(bar.center().y())));
        QVERIFY2(tip.startsWith(QLatin1String("cable pulled from 1.000 s to 3.000 s")),
                 qPrintable(tip));
        // Named in a strip of their own under the lanes, not over the last lane's labels.
        const QRect names = w.faultNameArea();
        QVERIFY(names.height() > 0);
        QVERIFY2(names.top() > bar.bottom(),
                 qPrintable(QStringLiteral("%1 vs %2").arg(names.top()).arg(bar.bottom())));
        const QImage img = w.grab().toImage();
        int inked = 0; // "cable pulled": saturated text right of where the cable was pulled
        for (int y = names.top() + 1; y <= names.bottom(); ++y)
            for (int x = int(xAt1) + 5; x <= int(xAt1) + 60; ++x)
                inked += QColor(img.pixel(x, y)).hsvSaturationF() > 0.6;
        QVERIFY2(inked > 20, qPrintable(QString::number(inked)));
        // ...and none over the lane: its bar's row right of the cable shows no such text.
        int overLane = 0;
        for (int y = int(bar.top()); y <= int(bar.bottom()); ++y)
            for (int x = int(xAt1) + 5; x <= int(xAt1) + 60; ++x)
                overLane += QColor(img.pixel(x, y)).hsvSaturationF() > 0.6 &&
                            QColor(img.pixel(x, y)).hue() < 40;
        QCOMPARE(overLane, 0);
        TimelineLegend legend;
        legend.setDrawn(w.drawn());
        QVERIFY(legend.shownEntries().contains(QStringLiteral("fault of the network")));
        w.clear();
        QVERIFY(w.snapshot().faults().empty());
    }

    // A connection whose every frame came before the monitor knew its sockets (a blocking
    // connect() to a silent peer: the handshake, then nothing): its wire's ends are named by
    // the sockets' own events, which carry the same addresses; a name a segment gave stays.
    void aWireIsNamedByItsSocketsEvents()
    {
        const QString c = QStringLiteral("192.0.2.1:38004");
        const QString s = QStringLiteral("198.51.100.1:35183");
        TimelineWidget w;
        w.resize(900, 400);
        w.show();
        Event connected = ended(EventKind::Connected, QStringLiteral("c4"), 0.1004,
                                QStringLiteral("connect"), 0.0004);
        connected.local = c;
        connected.remote = s;
        Event accepted =
            ev(EventKind::Accepted, QStringLiteral("peer4"), 0.1005, QStringLiteral("accept"));
        accepted.local = s;
        accepted.remote = c;
        Event other = ev(EventKind::State, QStringLiteral("c9"), 0.2); // another connection's
        other.local = QStringLiteral("192.0.2.1:38010");
        other.remote = s;
        w.append(
            {call(EventKind::Connecting, QStringLiteral("c4"), 0.1, QStringLiteral("connect"), 1),
             segment(0.1001, QStringLiteral("?"), {}, c, s, QStringLiteral("syn"),
                     QStringLiteral("SYN")),
             segment(0.1002, QStringLiteral("?"), QStringLiteral("?"), s, c,
                     QStringLiteral("syn_ack"), QStringLiteral("SYN ACK")),
             segment(0.1003, QStringLiteral("?"), {}, c, s, {}, QStringLiteral("ACK")), connected,
             accepted, other});
        QCOMPARE(w.wireCount(), 1);
        QCOMPARE(w.wires().wire(0).nameA, QStringLiteral("c4"));
        QCOMPARE(w.wires().wire(0).nameB, QStringLiteral("peer4"));
        QVERIFY2(w.rows().contains(QStringLiteral("wire c4 peer4")),
                 qPrintable(w.rows().join(QStringLiteral(", "))));
    }

    // The wire under each connection: its segments as arrows between the two ends' rails, in
    // time order, named once the monitor knows the sockets, and explained on hover.
    void wireUnderEachConnection()
    {
        const QString c = QStringLiteral("192.0.2.1:40000");
        const QString s = QStringLiteral("198.51.100.1:80");
        const QString c2 = QStringLiteral("192.0.2.1:40002");
        const QString c1n = QStringLiteral("c1"), peer = QStringLiteral("peer1");
        TimelineWidget w;
        w.resize(900, 400);
        w.show();
        Event icmp = segment(1.2, QStringLiteral("c2"), {}, c2, s, QStringLiteral("unreachable"),
                             QStringLiteral("SYN"));
        icmp.extra.insert(QStringLiteral("from_host"), QStringLiteral("192.0.2.254"));
        Event resend = segment(0.6, c1n, peer, c, s, QStringLiteral("retransmission"),
                               QStringLiteral("PSH ACK"), 5);
        resend.probe = 1;
        w.append(
            {call(EventKind::Connecting, c1n, 0.1, QStringLiteral("connect"), 5),
             // the first frames come before the monitor knows the client's socket
             segment(0.1001, QStringLiteral("?"), {}, c, s, QStringLiteral("syn"),
                     QStringLiteral("SYN")),
             segment(0.1002, peer, {}, s, c, QStringLiteral("syn_ack"), QStringLiteral("SYN ACK")),
             ended(EventKind::Connected, c1n, 0.1003, QStringLiteral("connect"), 0.0003),
             ev(EventKind::Accepted, peer, 0.1004, QStringLiteral("accept")),
             segment(0.1003, c1n, peer, c, s, {}, QStringLiteral("ACK")),
             segment(0.3, c1n, peer, c, s, {}, QStringLiteral("PSH ACK"), 5), resend,
             segment(1.0, c1n, peer, c, s, QStringLiteral("keepalive_probe"),
                     QStringLiteral("ACK")),
             call(EventKind::Connecting, QStringLiteral("c2"), 1.1, QStringLiteral("connect"), 5),
             segment(1.1001, QStringLiteral("c2"), {}, c2, s, QStringLiteral("syn"),
                     QStringLiteral("SYN")),
             icmp, segment(1.5, peer, c1n, s, c, QStringLiteral("rst"), QStringLiteral("RST"))});
        // Segments make no lanes; each connection's wire is a row under its first lane.
        QCOMPARE(w.lanes(), (QStringList{c1n, peer, QStringLiteral("c2")}));
        QCOMPARE(w.wireCount(), 2);
        QCOMPARE(w.rows(), (QStringList{c1n, QStringLiteral("wire c1 peer1"), peer,
                                        QStringLiteral("c2"), QStringLiteral("wire c2 ?")}));
        const Wire &first = w.wires().wire(0);
        QCOMPARE(first.a, c);
        QCOMPARE(first.nameA, c1n); // learned from a later segment
        QCOMPARE(first.nameB, peer);
        QCOMPARE(first.segments.size(), size_t(7));
        QStringList meanings;
        QList<bool> fromA;
        for (const WireSegment &seg : first.segments) {
            meanings << seg.meaning;
            fromA << seg.fromA;
        }
        // In time order, the ACK that came after the accept sorted into its place.
        QCOMPARE(meanings, (QStringList{QStringLiteral("syn"),
                                        QStringLiteral("syn_ack"),
                                        {},
                                        {},
                                        QStringLiteral("retransmission"),
                                        QStringLiteral("keepalive_probe"),
                                        QStringLiteral("rst")}));
        QCOMPARE(fromA, (QList<bool>{true, false, true, true, true, true, false}));
        QCOMPARE(WireBook::label(first.segments[4]), QStringLiteral("resend 1"));
        WireSegment forged = first.segments[6]; // an RST, as if the router had made it
        forged.via = QStringLiteral("192.0.2.254");
        QCOMPARE(WireBook::label(forged), QStringLiteral("RST (router)"));
        const WireSegment &back = w.wires().wire(1).segments.back();
        QVERIFY(back.icmp);
        QVERIFY(!back.fromA); // back to the client, from the router
        QCOMPARE(back.via, QStringLiteral("192.0.2.254"));
        // A crowd is named by its most telling segment: the router's answer (why the connect
        // failed) over the SYN it answered, even one lost on the way.
        WireSegment lostSyn = first.segments[0];
        lostSyn.lost = true;
        QVERIFY(WireBook::weight(back) > WireBook::weight(lostSyn));
        QVERIFY(WireBook::weight(forged) > WireBook::weight(lostSyn));
        const quint32 drawn = w.drawn();
        QVERIFY(drawn & TimelineModel::DrawnWireSegment);
        QVERIFY(drawn & TimelineModel::DrawnWireResent);
        QVERIFY(drawn & TimelineModel::DrawnWireKeepalive);
        QVERIFY(drawn & TimelineModel::DrawnWireReset);
        TimelineLegend legend;
        legend.setDrawn(drawn);
        QVERIFY(legend.shownEntries().contains(QStringLiteral("segment on the wire")));
        QVERIFY(legend.shownEntries().contains(QStringLiteral("RST, ICMP error (wire)")));

        // Drawn where it happened, explained on hover: the RST from peer1 to c1 in red.
        w.frame(0, ns(2));
        const QPointF rst = w.segmentPoint(0, 6);
        QVERIFY(!rst.isNull());
        const QRectF bar = w.spanRect(c1n, 0);
        QVERIFY2(std::abs(rst.x() - (bar.left() + 1.4 * w.pixelsPerSecond())) < 1.5,
                 qPrintable(QString::number(rst.x())));
        const QString tip = w.toolTipAt(rst.toPoint());
        QVERIFY2(tip.contains(QStringLiteral("1.500000 s  peer1 (198.51.100.1:80) → c1 "
                                             "(192.0.2.1:40000): RST")),
                 qPrintable(tip));
        const QImage img = render(w);
        bool red = false;
        for (int dy = -8; dy <= 8 && !red; ++dy) {
            const QColor px(img.pixel(int(std::lround(rst.x())), int(rst.y()) + dy));
            red = px.red() > 150 && px.green() < 110 && px.blue() < 110;
        }
        QVERIFY2(red, "the RST's arrow is drawn in the error colour");
        // Where nothing was on the wire, the row says what it is.
        const QString about =
            w.toolTipAt(QPoint(int(bar.left() + 0.8 * w.pixelsPerSecond()), int(rst.y())));
        QVERIFY2(about.startsWith(QLatin1String("The wire between c1 (192.0.2.1:40000) and "
                                                "peer1 (198.51.100.1:80)")),
                 qPrintable(about));

        QSignalSpy drawnChanges(&w, &TimelineWidget::drawnChanged);
        w.setShowWire(false);
        QCOMPARE(w.rows(), (QStringList{c1n, peer, QStringLiteral("c2")}));
        QVERIFY(w.segmentPoint(0, 6).isNull());
        QVERIFY(!(w.drawn() & TimelineModel::DrawnWireSegment)); // the legend names it not
        QCOMPARE(drawnChanges.size(), 1);
        w.setShowWire(true);
        QCOMPARE(w.rows().size(), 5);
        QVERIFY(w.drawn() & TimelineModel::DrawnWireSegment);
        w.clear();
        QCOMPARE(w.wireCount(), 0);
        QVERIFY(w.rows().isEmpty());
    }

    // The wire is watched at both hosts: a segment not seen arriving (a `lost` event naming
    // its frame) stops half-way at a cross; one whose verdict cannot have come yet stops
    // half-way too; one past that time without a verdict arrived and reaches the other rail.
    void aLostSegmentStopsHalfWay()
    {
        const QString c = QStringLiteral("192.0.2.1:40000");
        const QString s = QStringLiteral("198.51.100.1:80");
        const QString c1n = QStringLiteral("c1"), peer = QStringLiteral("peer1");
        const auto sent = [&](double t, quint64 frame) {
            Event e = segment(t, c1n, peer, c, s, QStringLiteral("keepalive_probe"),
                              QStringLiteral("ACK"));
            e.extra.insert(QStringLiteral("frame"), qint64(frame));
            e.extra.insert(QStringLiteral("to_host"), QStringLiteral("server"));
            return e;
        };
        Event lost = ev(EventKind::Lost, c1n, 1.5, QStringLiteral("wire"));
        lost.local = c;
        lost.remote = s;
        lost.extra.insert(QStringLiteral("frame"), qint64(5));
        lost.extra.insert(QStringLiteral("meaning"), QStringLiteral("keepalive_probe"));
        lost.detail = QStringLiteral("Lost on the way: the keepalive probe [ACK].");
        qint64 now = ns(3.0);
        TimelineWidget w;
        w.setClock([&now] { return now; });
        w.resize(900, 400);
        w.show();
        w.append({call(EventKind::Connecting, c1n, 0.1, QStringLiteral("connect"), 5),
                  ended(EventKind::Connected, c1n, 0.2, QStringLiteral("connect"), 0.1),
                  ev(EventKind::Accepted, peer, 0.2, QStringLiteral("accept")), sent(1.0, 5),
                  sent(2.0, 6), lost});
        QCOMPARE(w.wireCount(), 1);
        const Wire &wire = w.wires().wire(0);
        QCOMPARE(wire.segments.size(), size_t(2));
        QVERIFY(wire.segments[0].lost);
        QVERIFY(!wire.segments[1].lost);
        QCOMPARE(WireBook::label(wire.segments[0]), QStringLiteral("probe lost"));
        QVERIFY(!w.wires().onItsWay(wire.segments[1], now)); // a second on: it arrived
        QVERIFY(w.wires().onItsWay(wire.segments[1], ns(2.1)));
        QVERIFY(!w.wires().onItsWay(wire.segments[0], ns(1.1))); // judged: not on its way
        QVERIFY(w.drawn() & TimelineModel::DrawnWireLost);
        TimelineLegend legend;
        legend.setDrawn(w.drawn());
        QVERIFY(legend.shownEntries().contains(QStringLiteral("lost on the way (wire)")));

        w.frame(0, ns(3));
        const QPointF gone = w.segmentPoint(0, 0), came = w.segmentPoint(0, 1);
        QVERIFY(!gone.isNull() && !came.isNull());
        QCOMPARE(gone.y(), came.y());
        const auto inked = [&](const QImage &img, const QPointF &at, int dy) {
            const QColor px(img.pixel(int(std::lround(at.x())), int(at.y()) + dy));
            const QColor base = w.palette().color(QPalette::Base);
            return std::abs(px.lightness() - base.lightness()) > 60;
        };
        QImage img = render(w);
        // Both leave the upper rail (c1's); only the one that arrived reaches the lower one.
        QVERIFY(inked(img, gone, -8) && inked(img, came, -8));
        QVERIFY(inked(img, came, 10));
        QVERIFY(!inked(img, gone, 10));
        bool red = false;
        for (int dy = -3; dy <= 3 && !red; ++dy) {
            const QColor px(img.pixel(int(std::lround(gone.x())) + 2, int(gone.y()) + dy));
            red = px.red() > 150 && px.green() < 110 && px.blue() < 110;
        }
        QVERIFY2(red, "a red cross where the lost segment stopped");
        QVERIFY(w.toolTipAt(gone.toPoint()).contains(QStringLiteral("Lost on the way")));
        // Just after the second left, its arrival is not known yet: it stops half-way too.
        now = ns(2.1);
        img = render(w);
        QVERIFY(!inked(img, came, 10));
        QVERIFY(w.toolTipAt(came.toPoint()).contains(QStringLiteral("Not known yet")));
        // A run that ended on its own after it had every verdict given first: it arrived.
        w.append({ev(EventKind::Finished, QString(), 2.05)});
        img = render(w);
        QVERIFY(inked(img, came, 10));
        QVERIFY(!inked(img, gone, 10)); // still lost
    }

    // A program's lane shows what it printed, when; its wire sits under its socket's lane (the
    // end that sent the SYN), with it on the upper rail, although the peer's lane came first.
    void aProgramsLinesAndItsWire()
    {
        const QString p1 = QStringLiteral("p1"), peer = QStringLiteral("peer1");
        const QString c = QStringLiteral("192.0.2.1:40000"), s = QStringLiteral("198.51.100.1:80");
        TimelineWidget w;
        w.resize(900, 400);
        w.show();
        Event started = ev(EventKind::Info, QStringLiteral("prog"), 0.05, QStringLiteral("run"));
        Event printed = ev(EventKind::Info, QStringLiteral("prog"), 0.6, QStringLiteral("stdout"));
        printed.detail = QStringLiteral("timeout!");
        Event exited = ev(EventKind::Info, QStringLiteral("prog"), 0.7, QStringLiteral("exit"));
        exited.extra.insert(QStringLiteral("exit_code"), 3);
        w.append(
            {started, ev(EventKind::Accepted, peer, 0.1004, QStringLiteral("accept")),
             segment(0.1, p1, {}, c, s, QStringLiteral("syn"), QStringLiteral("SYN")),
             segment(0.1002, peer, p1, s, c, QStringLiteral("syn_ack"), QStringLiteral("SYN ACK")),
             state(p1, 0.15, QStringLiteral("ESTABLISHED")), printed, exited});
        QCOMPARE(w.rows(),
                 (QStringList{QStringLiteral("prog"), peer, p1, QStringLiteral("wire p1 peer1")}));
        QCOMPARE(w.markCount(QStringLiteral("prog"), EventKind::Info), 3);
        const TimelineModel model = w.snapshot();
        const auto &marks = model.lane(model.laneIndex(QStringLiteral("prog"))).marks;
        QCOMPARE(marks[1].text, QStringLiteral("timeout!"));
        QCOMPARE(marks[2].text, QStringLiteral("exit 3"));
        w.frame(0, ns(1));
        const QPointF syn = w.segmentPoint(0, 0); // at 0.1 s
        QVERIFY(!syn.isNull());
        // The printed line (at 0.6 s), hovered on its lane, says what was printed.
        const int x = int(std::lround(syn.x() + 0.5 * w.pixelsPerSecond()));
        QStringList tips;
        for (int y = 0; y < w.height() && tips.isEmpty(); y += 2) {
            const QString tip = w.toolTipAt(QPoint(x, y));
            if (tip.contains(QLatin1String("It printed (stdout): timeout!")))
                tips << tip;
        }
        QVERIFY2(!tips.isEmpty(), "the printed line's mark explains itself");
    }

    void clearEmptiesEverything()
    {
        TimelineWidget w;
        w.append(
            {call(EventKind::Receiving, QStringLiteral("c1"), 1.0, QStringLiteral("recv"), 1.0),
             probe(EventKind::ProbeSent, QStringLiteral("c2"), 1.5, 1)});
        w.setFollowLive(false);
        QCOMPARE(w.laneCount(), 2);
        w.clear();
        QCOMPARE(w.laneCount(), 0);
        QVERIFY(w.lanes().isEmpty());
        QCOMPARE(w.spanCount(QStringLiteral("c1")), 0);
        QCOMPARE(w.markCount(QStringLiteral("c2"), EventKind::ProbeSent), 0);
        QVERIFY(w.followLive());
        QCOMPARE(w.viewStartSeconds(), 0.0);
        QVERIFY(!w.isAnimating());
    }

    void paintsOutcomeTints_data()
    {
        QTest::addColumn<bool>("dark");
        QTest::newRow("light") << false;
        QTest::newRow("dark") << true;
    }

    void paintsOutcomeTints()
    {
        QFETCH(bool, dark);
        TimelineWidget w;
        w.resize(800, 240);
        if (dark) {
            QPalette pal = w.palette();
            pal.setColor(QPalette::Base, QColor(30, 30, 30));
            pal.setColor(QPalette::Window, QColor(45, 45, 45));
            pal.setColor(QPalette::Text, Qt::white);
            pal.setColor(QPalette::WindowText, Qt::white);
            w.setPalette(pal);
        }
        Event err =
            ended(EventKind::Error, QStringLiteral("c3"), 2.0, QStringLiteral("connect"), 1.0);
        err.err = ETIMEDOUT;
        w.append(
            {call(EventKind::Receiving, QStringLiteral("c1"), 0.5, QStringLiteral("recv"), 1.0),
             ended(EventKind::Timeout, QStringLiteral("c1"), 1.5, QStringLiteral("recv"), 1.0),
             call(EventKind::Receiving, QStringLiteral("c2"), 0.5, QStringLiteral("recv"), 1.0),
             ended(EventKind::Received, QStringLiteral("c2"), 1.5, QStringLiteral("recv"), 1.0),
             call(EventKind::Connecting, QStringLiteral("c3"), 1.0, QStringLiteral("connect"), 1.0),
             err});
        const QImage img = render(w);
        const int amber = hueInside(img, w.spanRect(QStringLiteral("c1"), 0));
        QVERIFY2(amber >= 25 && amber <= 55, qPrintable(QString::number(amber)));
        const int green = hueInside(img, w.spanRect(QStringLiteral("c2"), 0));
        QVERIFY2(green >= 90 && green <= 150, qPrintable(QString::number(green)));
        const int red = hueInside(img, w.spanRect(QStringLiteral("c3"), 0));
        QVERIFY2(red <= 15 || red >= 345, qPrintable(QString::number(red)));
        const QString tip = w.toolTipAt(w.spanRect(QStringLiteral("c3"), 0).center().toPoint());
        QVERIFY2(tip.startsWith(QStringLiteral("connect on c3: failed with ETIMEDOUT after "
                                               "1.000 s (timeout 1.000 s, poll)")),
                 qPrintable(tip));
    }

    void rendersManyEventsAtAnyZoom()
    {
        TimelineWidget w;
        w.resize(900, 300);
        qint64 now = 0;
        w.setClock([&now] { return now; });
        // 20,000 events: short receives, timeouts, probes and state changes on several lanes.
        QList<Event> batch;
        double t = 0;
        for (int i = 0; i < 4000; ++i) {
            const QString sock = QStringLiteral("c%1").arg(i % 3 + 1);
            batch << call(EventKind::Receiving, sock, t, QStringLiteral("recv"), 0.002);
            batch << ended(i % 5 ? EventKind::Received : EventKind::Timeout, sock, t + 0.002,
                           QStringLiteral("recv"), 0.002);
            batch << probe(EventKind::ProbeSent, QStringLiteral("a1"), t + 0.001, i % 9 + 1);
            batch << probe(i % 2 ? EventKind::ProbeAcked : EventKind::ProbeUnanswered,
                           QStringLiteral("a1"), t + 0.0015, i % 9 + 1);
            batch << state(QStringLiteral("L1"), t + 0.0012,
                           i % 2 ? QStringLiteral("TIME_WAIT") : QStringLiteral("GONE"));
            t += 0.003;
            if (batch.size() >= 1000) { // in batches, as the bus delivers them
                w.append(batch);
                batch.clear();
            }
        }
        w.append(batch);
        w.append({call(EventKind::Holding, QStringLiteral("c1"), t, QStringLiteral("hold"), 5.0)});
        now = ns(t + 1);
        QCOMPARE(w.spanCount(QStringLiteral("c1")), 1334 + 1);
        QCOMPARE(w.markCount(QStringLiteral("a1"), EventKind::ProbeSent), 4000);

        for (const double pps : {5.0, 100.0, 2000.0, 20000.0}) {
            w.setPixelsPerSecond(pps);
            for (const int where : {0, 1, 2}) {
                auto *bar = w.findChild<QScrollBar *>();
                bar->setValue(bar->maximum() * where / 2);
                const QImage img = render(w);
                QCOMPARE(img.size(), w.size());
                // Calls were drawn in c1's lane: tinted pixels, not just background and grid.
                const QRectF hold = w.spanRect(QStringLiteral("c1"), 1334);
                int painted = 0;
                const double plotLeft =
                    w.spanRect(QStringLiteral("c1"), 0).left() + w.viewStartSeconds() * pps;
                for (int x = int(plotLeft) + 1; x < img.width(); ++x) {
                    if (QColor(img.pixel(x, int(hold.center().y()))).hsvSaturation() > 30)
                        ++painted;
                }
                QVERIFY2(painted > 10,
                         qPrintable(QStringLiteral("%1 px/s at %2").arg(pps).arg(where)));
            }
        }
        w.clear();
        QCOMPARE(w.laneCount(), 0);
        QCOMPARE(render(w).size(), w.size());
    }
};

QTEST_MAIN(TestTimeline)
#include "tst_timeline.moc"
