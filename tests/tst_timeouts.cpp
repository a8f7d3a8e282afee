// Per-call timeouts of connect, recv, send and accept, with both mechanisms, measured.
#include "CallReporter.h"
#include "CancelToken.h"
#include "KernelFacts.h"
#include "SocketOps.h"
#include "TestSupport.h"

#include <atomic>
#include <cerrno>
#include <thread>

#include <netinet/in.h>
#include <sched.h>
#include <sys/resource.h>

using namespace socklab;
using namespace socklab::test;

Q_DECLARE_METATYPE(socklab::TimeoutMechanism)

class TestTimeouts : public QObject
{
    Q_OBJECT
    void mechanisms()
    {
        QTest::addColumn<TimeoutMechanism>("mech");
        QTest::newRow("poll") << TimeoutMechanism::Poll;
        QTest::newRow("sockopt") << TimeoutMechanism::SockOpt;
    }
    // The poll deadline is ours (sub-ms overshoot); SO_*TIMEO runs on the kernel's tick.
    static double slack(TimeoutMechanism m) { return m == TimeoutMechanism::Poll ? 0.05 : 0.1; }

  private slots:
    void recvTimeout_data() { mechanisms(); }
    void recvTimeout()
    {
        QFETCH(TimeoutMechanism, mech);
        Engine engine;
        EventRecorder rec(engine.bus());
        engine.run({peer(PeerBehavior::Silent), connectToPeer(timeouts(0.2, mech)), recv()});
        QVERIFY(rec.waitFinished());
        QCOMPARE(rec.count(EventKind::Timeout), 1);
        const Event t = rec.first(EventKind::Timeout);
        QCOMPARE(t.op, QStringLiteral("recv"));
        QCOMPARE(t.sock, QStringLiteral("c1"));
        QCOMPARE(*t.timeout, 0.2);
        QCOMPARE(t.mechanism, mechanismName(mech));
        QCOMPARE(t.err, mech == TimeoutMechanism::SockOpt ? EAGAIN : 0);
        QVERIFY2(*t.elapsed >= 0.2 - kernelEarlyS(mech) && *t.elapsed < 0.2 + slack(mech),
                 qPrintable(QString::number(*t.elapsed)));
        QVERIFY(!rec.has(EventKind::Received, QStringLiteral("c1")));
        // How long the call's thread was ready to run but not running: part of the call's time.
        const QJsonValue cpu = t.extra.value(QStringLiteral("run_delay"));
        QVERIFY2(cpu.isDouble(), qPrintable(t.toText()));
        QVERIFY2(cpu.toDouble() >= 0 && cpu.toDouble() <= *t.elapsed, qPrintable(t.toText()));
    }

    // A timed-out call whose thread, once woken, had to wait for its CPU: the call's thread, in
    // SCHED_IDLE, shares one CPU with a thread that spins (a thread woken from a sleep in the
    // normal class would take the CPU from the spinning one at once). The scheduler's run delay
    // for the thread (its schedstat) is what the call reports as its run delay, and the
    // timeout's sentence says how much of the lateness it was.
    void aLateTimeoutSaysHowLongItWaitedToRun_data() { mechanisms(); }
    void aLateTimeoutSaysHowLongItWaitedToRun()
    {
        QFETCH(TimeoutMechanism, mech);
        const int myStat = platform::threadStatOpen();
        const qint64 known = platform::runDelayNs(myStat);
        platform::closeFd(myStat);
        if (known < 0)
            QSKIP("This kernel keeps no run delay (/proc/thread-self/schedstat).");
        const int listener = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_in at{};
        at.sin_family = AF_INET;
        at.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        socklen_t len = sizeof at;
        QVERIFY(::bind(listener, reinterpret_cast<sockaddr *>(&at), sizeof at) == 0);
        QVERIFY(::listen(listener, 1) == 0);
        QVERIFY(::getsockname(listener, reinterpret_cast<sockaddr *>(&at), &len) == 0);
        const int client = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        QVERIFY(::connect(client, reinterpret_cast<sockaddr *>(&at), sizeof at) == 0);
        const int accepted = ::accept(listener, nullptr, nullptr); // silent: never sends
        QVERIFY(accepted >= 0);
        const Timeout t = Timeout::fromMs(50);
        if (mech == TimeoutMechanism::SockOpt)
            QVERIFY(platform::setOption(client, platform::OptionId::RcvTimeo, t.ms) == 0);

        cpu_set_t mine;
        QVERIFY(sched_getaffinity(0, sizeof mine, &mine) == 0);
        int cpu = 0;
        while (!CPU_ISSET(cpu, &mine))
            ++cpu;
        cpu_set_t one;
        CPU_ZERO(&one);
        CPU_SET(cpu, &one);
        // One call beside the spinning thread. `outer` is the thread's run delay read around
        // the whole call, by the test itself: what the call reports lies within it.
        const auto attempt = [&](CallOutcome *o, qint64 *outer) {
            std::atomic<bool> spinning{false}, done{false};
            std::thread hog([&] {
                sched_setaffinity(0, sizeof one, &one);
                spinning = true;
                while (!done.load(std::memory_order_relaxed)) {
                }
            });
            int err = 0;
            std::thread call([&] {
                sched_setaffinity(0, sizeof one, &one);
                const sched_param none{};
                // No privilege needed; not undone (leaving SCHED_IDLE would need one).
                if (sched_setscheduler(0, SCHED_IDLE, &none) != 0)
                    err = errno;
                while (!spinning) {
                }
                CancelToken token;
                char byte;
                const qint64 before = platform::runDelayNs(token.statFd());
                *o = ops::recv(client, &byte, 1, t, mech, token);
                *outer = platform::runDelayNs(token.statFd()) - before;
            });
            call.join();
            done = true;
            hog.join();
            return err;
        };
        // On a machine busy with other work the CPU may be free at the wake-up all the same:
        // a few tries, until one waited.
        CallOutcome o;
        QStringList seen;
        double cpuMs = 0;
        for (int i = 0; i < 5 && cpuMs < 0.5; ++i) {
            qint64 outer = 0;
            if (const int err = attempt(&o, &outer)) {
                ::close(accepted);
                ::close(client);
                ::close(listener);
                QSKIP(qPrintable(QStringLiteral("This system refused SCHED_IDLE: ") +
                                 errnoSymbol(err)));
            }
            QCOMPARE(int(o.status), int(CallOutcome::Status::Timeout));
            cpuMs = o.runDelayNs / 1e6;
            seen << QStringLiteral("late %1 ms, run delay %2 ms (outside: %3 ms)")
                        .arg((o.elapsed() - 0.05) * 1000, 0, 'f', 3)
                        .arg(cpuMs, 0, 'f', 3)
                        .arg(outer / 1e6, 0, 'f', 3);
            QVERIFY2(o.runDelayNs >= 0 && o.runDelayNs <= outer, qPrintable(seen.last()));
            QVERIFY2(o.runDelayNs <= o.endNs - o.startNs, qPrintable(seen.last()));
        }
        ::close(accepted);
        ::close(client);
        ::close(listener);
        qInfo().noquote() << mechanismName(mech) << seen.join(QStringLiteral("; "));
        // SCHED_IDLE never takes the CPU from a normal thread when woken: it waits at least
        // until the spinning thread's slice ends (0.75 ms or more).
        QVERIFY2(cpuMs >= 0.5, qPrintable(seen.join(QStringLiteral("; "))));
        CallSpec spec;
        spec.t = t;
        spec.m = mech;
        const QString detail = CallReporter::timeoutDetail(QStringLiteral("recv"), o, spec);
        QVERIFY2(detail.contains(QStringLiteral("ready to run but not running")),
                 qPrintable(detail));
        QVERIFY2(detail.contains(QString::number(cpuMs, 'f', 3)), qPrintable(detail));
    }

    // The sentence splits a late timeout into its run delay and the wake-up itself;
    // a call on time says nothing of it.
    void aTimeoutsLatenessIsSplitInItsSentence()
    {
        CallSpec spec;
        spec.t = Timeout::fromMs(1000);
        spec.m = TimeoutMechanism::Poll;
        CallOutcome o;
        o.status = CallOutcome::Status::Timeout;
        o.startNs = 1000000000;
        o.endNs = o.startNs + 1002500000; // 2.5 ms late
        o.runDelayNs = 2400000;
        QString d = CallReporter::timeoutDetail(QStringLiteral("recv"), o, spec);
        QVERIFY2(d.contains(QStringLiteral("Of those 2.500 ms, the scheduler counted 2.400 ms in "
                                           "which the thread was ready to run but not running")),
                 qPrintable(d));
        QVERIFY2(
            d.contains(QStringLiteral("the other 0.100 ms were the timer's and the wake-up's")),
            qPrintable(d));
        o.endNs = o.startNs + 1000200000; // 0.2 ms late: nothing worth a sentence
        o.runDelayNs = 150000;
        d = CallReporter::timeoutDetail(QStringLiteral("recv"), o, spec);
        QVERIFY2(!d.contains(QStringLiteral("ready to run")), qPrintable(d));
        o.endNs = o.startNs + 1002500000;
        o.runDelayNs = -1; // not measured: no split
        d = CallReporter::timeoutDetail(QStringLiteral("recv"), o, spec);
        QVERIFY2(!d.contains(QStringLiteral("ready to run")), qPrintable(d));
        QVERIFY2(d.contains(QStringLiteral("2.500 ms past the deadline")), qPrintable(d));
    }

    // poll()'s own timeout may fire 0.1 % late (4 ms at 4 s, on an idle machine it nearly always
    // does); SockLab's poll deadline is a timerfd in the same ppoll(), which the kernel does not
    // round. Of two 4 s calls, at least one ends within 1 ms of its deadline.
    void aLongPollDeadlineIsNotRoundedByTheKernel()
    {
        QCOMPARE(facts::pollSlackNs(4000), 4 * 1000 * 1000); // what it would be without
        Engine engine;
        EventRecorder rec(engine.bus());
        engine.run({peer(PeerBehavior::Silent),
                    connectToPeer(timeouts(4.0, TimeoutMechanism::Poll)), recv(), recv()});
        QVERIFY(rec.waitFinished(20000));
        const QList<Event> t = rec.of(EventKind::Timeout);
        QCOMPARE(t.size(), 2);
        QStringList over;
        double best = 1e9;
        for (const Event &e : t) {
            QVERIFY(*e.elapsed >= 4.0);
            best = std::min(best, (*e.elapsed - 4.0) * 1000);
            over << QString::number((*e.elapsed - 4.0) * 1000, 'f', 3);
        }
        QVERIFY2(best < 1.0,
                 qPrintable(over.join(QStringLiteral(" ms, ")) + QStringLiteral(" ms")));
    }

    // The timer wheel's step, as kernel/time/timer.c files a timer: 64 buckets a level, each
    // level 8 times coarser than the last.
    void theTimerWheelsStepGrowsWithTheTimeout()
    {
        QCOMPARE(facts::timerWheelStep(1), 1);
        QCOMPARE(facts::timerWheelStep(62), 1);
        QCOMPARE(facts::timerWheelStep(63), 8);
        QCOMPARE(facts::timerWheelStep(503), 8);
        QCOMPARE(facts::timerWheelStep(504), 64);
        QCOMPARE(facts::timerWheelStep(4031), 64);
        QCOMPARE(facts::timerWheelStep(4032), 512);
        QCOMPARE(facts::pollSlackNs(10), 50 * 1000);              // the thread's 50 us timer slack
        QCOMPARE(facts::pollSlackNs(10000), 10 * 1000 * 1000);    // 0.1 %
        QCOMPARE(facts::pollSlackNs(1000000), 100 * 1000 * 1000); // at most 100 ms
    }

    void connectTimeout_data() { mechanisms(); }
    void connectTimeout()
    {
        QFETCH(TimeoutMechanism, mech);
        Engine engine;
        EventRecorder rec(engine.bus());
        SocketOptions o = timeouts(0.3, mech);
        engine.run({peer(PeerBehavior::NeverAccept), connectToPeer(o), hold(0.25)});
        QVERIFY(rec.waitFinished());
        const Event t = rec.first(EventKind::Timeout, QStringLiteral("c1"));
        QCOMPARE(t.op, QStringLiteral("connect"));
        QVERIFY2(*t.elapsed >= 0.3 - kernelEarlyS(mech) && *t.elapsed < 0.3 + slack(mech),
                 qPrintable(QString::number(*t.elapsed)));
        // sockopt: Linux's connect() gives up on SO_SNDTIMEO with EINPROGRESS.
        QCOMPARE(t.err, mech == TimeoutMechanism::SockOpt ? EINPROGRESS : 0);
        QVERIFY(!rec.has(EventKind::Connected));
        // The attempt is still in SYN-SENT in the kernel's table.
        bool synSent = false;
        for (const Event &e : rec.of(EventKind::State, QStringLiteral("c1")))
            synSent = synSent || e.state == QStringLiteral("SYN_SENT");
        QVERIFY2(synSent, qPrintable(rec.dump()));
    }

    void acceptTimeout_data() { mechanisms(); }
    void acceptTimeout()
    {
        QFETCH(TimeoutMechanism, mech);
        Engine engine;
        EventRecorder rec(engine.bus());
        const Step acc = accept(QStringLiteral("L1"));
        engine.run({listen(QStringLiteral("L1"), 0, timeouts(0.2, mech)), acc});
        QVERIFY(rec.waitFinished());
        const Event t = rec.first(EventKind::Timeout, QStringLiteral("L1"));
        QCOMPARE(t.op, QStringLiteral("accept"));
        QCOMPARE(t.err, mech == TimeoutMechanism::SockOpt ? EAGAIN : 0);
        QVERIFY2(*t.elapsed >= 0.2 - kernelEarlyS(mech) && *t.elapsed < 0.2 + slack(mech),
                 qPrintable(QString::number(*t.elapsed)));
    }

    void sendTimeout_data() { mechanisms(); }
    void sendTimeout()
    {
        QFETCH(TimeoutMechanism, mech);
        Engine engine;
        EventRecorder rec(engine.bus());
        SocketOptions o = timeouts(0.2, mech);
        o.sndBuf = 4096;
        // The silent peer never reads: its receive buffer and our send buffer fill up.
        engine.run({peer(PeerBehavior::Silent), connectToPeer(o), send(QByteArray(16 << 20, 'x'))});
        QVERIFY(rec.waitFinished(20000));
        const Event t = rec.first(EventKind::Timeout, QStringLiteral("c1"));
        QCOMPARE(t.op, QStringLiteral("send"));
        QVERIFY2(*t.elapsed >= 0.2 - kernelEarlyS(mech) && *t.elapsed < 0.2 + slack(mech),
                 qPrintable(QString::number(*t.elapsed)));
        QVERIFY(!rec.has(EventKind::Sent, QStringLiteral("c1")));
        // Part of the data went into the buffers before the call that timed out.
        QVERIFY(rec.first(EventKind::Info, QStringLiteral("c1")).bytes > 0);
    }

    void timeoutIsPerCallNotTotal()
    {
        Engine engine;
        EventRecorder rec(engine.bus());
        Step loop = Step::make(Step::Kind::RecvFor, QStringLiteral("c1"));
        loop.seconds = 1.2;
        loop.maxBytes = 1;
        // 0.3 s per call, a byte every 0.1 s: no call times out though the whole runs 1.2 s.
        engine.run({peer(PeerBehavior::Drip, 100),
                    connectToPeer(timeouts(0.3, TimeoutMechanism::Poll)), loop});
        QVERIFY(rec.waitFinished());
        QCOMPARE(rec.count(EventKind::Timeout), 0);
        QVERIFY2(rec.count(EventKind::Received, QStringLiteral("c1")) >= 8, qPrintable(rec.dump()));
        const Event summary = rec.first(EventKind::Info, QStringLiteral("c1"));
        QVERIFY(*summary.elapsed >= 1.2);
        for (const Event &e : rec.of(EventKind::Received, QStringLiteral("c1")))
            QVERIFY(*e.elapsed < 0.3);
    }

    // A total deadline of 0.55 s on top of 0.3 s per call, a byte every 0.1 s: the calls run
    // until the deadline, the last one with the time left (about 0.05 s, half-way between two
    // bytes), and a call after it is not made.
    void totalDeadline_data() { mechanisms(); }
    void totalDeadline()
    {
        QFETCH(TimeoutMechanism, mech);
        Engine engine;
        EventRecorder rec(engine.bus());
        SocketOptions o = timeouts(0.3, mech);
        o.deadlineMs = 550;
        Step loop = Step::make(Step::Kind::RecvFor, QStringLiteral("c1"));
        loop.seconds = 5;
        loop.maxBytes = 1;
        engine.run({peer(PeerBehavior::Drip, 100), connectToPeer(o), loop, recv()});
        QVERIFY(rec.waitFinished());
        QCOMPARE(rec.count(EventKind::Timeout, QStringLiteral("c1")), 1);
        const Event connecting = rec.first(EventKind::Connecting, QStringLiteral("c1"));
        QCOMPARE(connecting.extra.value(QStringLiteral("deadline")).toDouble(), 0.55);
        const Event t = rec.first(EventKind::Timeout, QStringLiteral("c1"));
        QCOMPARE(t.op, QStringLiteral("recv"));
        QCOMPARE(t.extra.value(QStringLiteral("deadline")).toDouble(), 0.55);
        // It ran with the time left, less than its own 0.3 s, and ended with the deadline.
        QVERIFY2(*t.timeout > 0 && *t.timeout < 0.1, qPrintable(rec.dump()));
        QVERIFY2(*t.elapsed >= *t.timeout - kernelEarlyS(mech), qPrintable(rec.dump()));
        const double sinceConnect = (t.monoNs - connecting.monoNs) / 1e9;
        QVERIFY2(sinceConnect >= 0.548 - kernelEarlyS(mech) && sinceConnect < 0.55 + slack(mech),
                 qPrintable(QString::number(sinceConnect)));
        QVERIFY2(rec.count(EventKind::Received, QStringLiteral("c1")) >= 2, qPrintable(rec.dump()));
        // The recv() step after the deadline is not made: an error that says so, no call.
        const QList<Event> errors = rec.of(EventKind::Error, QStringLiteral("c1"));
        QCOMPARE(errors.size(), 1);
        QCOMPARE(errors.first().op, QStringLiteral("recv"));
        QCOMPARE(errors.first().err, 0);
        QVERIFY(errors.first().extra.value(QStringLiteral("deadline_passed")).toBool());
        QVERIFY(errors.first().monoNs >= t.monoNs);
        for (const Event &e : rec.of(EventKind::Receiving, QStringLiteral("c1")))
            QVERIFY2(e.monoNs <= t.monoNs, qPrintable(rec.dump()));
    }

    void zeroTimeoutIsNonBlocking()
    {
        Engine engine;
        EventRecorder rec(engine.bus());
        SocketOptions o;
        o.recvTimeout = Timeout::fromMs(0);
        engine.run({peer(PeerBehavior::Silent), connectToPeer(o), recv()});
        QVERIFY(rec.waitFinished());
        const Event e = rec.first(EventKind::Error, QStringLiteral("c1"));
        QCOMPARE(e.err, EAGAIN);
        QCOMPARE(e.op, QStringLiteral("recv"));
        QVERIFY(*e.elapsed < 0.01);
    }
};

QTEST_GUILESS_MAIN(TestTimeouts)
#include "tst_timeouts.moc"
