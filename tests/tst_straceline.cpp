// The reading of strace's lines (`socklab-cli run --trace`): the forms strace 6 writes for a
// call that returned, one that has entered and not returned, one another thread interrupted
// and its resumption, and what is no call at all. The lines are strace's own, taken from real
// runs (tst_labrun runs a program under strace in the lab and checks the calls against what
// the program itself measured).
#include "StraceLine.h"

#include <QTest>

using namespace socklab;

class TestStraceLine : public QObject
{
    Q_OBJECT

  private slots:
    void aWholeCall()
    {
        const auto l = parseStraceLine(
            "7555  1796505235.734638 poll([{fd=4<socket:[7130392]>, events=POLLIN}], 1, 200) = 0 "
            "(Timeout) <0.200295>");
        QVERIFY(l);
        QCOMPARE(l->part, StraceLine::Part::Whole);
        QCOMPARE(l->pid, 7555);
        QCOMPARE(l->wallNs, 1796505235734638000LL);
        QCOMPARE(l->name, QByteArray("poll"));
        QCOMPARE(l->args, QByteArray("[{fd=4<socket:[7130392]>, events=POLLIN}], 1, 200"));
        QCOMPARE(l->ret, 0);
        QCOMPARE(l->retNote, QByteArray("Timeout"));
        QVERIFY(l->errName.isEmpty());
        QCOMPARE(l->durationNs, 200295000LL);
        QCOMPARE(socketInodes(l->args), QList<quint64>{7130392});
        QCOMPARE(waitTimeout(l->name, l->args), 0.2);
    }

    void anErrorAndAnAnnotatedReturn()
    {
        const auto e = parseStraceLine(
            "7555  1796505235.224175 recvfrom(4<socket:[7130392]>, 0x7fd78a2e08c0, 10, 0, NULL, "
            "NULL) = -1 EAGAIN (Resource temporarily unavailable) <0.308687>");
        QVERIFY(e);
        QCOMPARE(e->ret, -1);
        QCOMPARE(e->errName, QByteArray("EAGAIN"));
        QCOMPARE(e->retNote, QByteArray("Resource temporarily unavailable"));
        QCOMPARE(e->durationNs, 308687000LL);
        const auto a = parseStraceLine(
            "7555  1796505235.734260 accept4(3<socket:[7130391]>, {sa_family=AF_INET, "
            "sin_port=htons(50998), sin_addr=inet_addr(\"127.0.0.1\")}, [16], SOCK_CLOEXEC) = "
            "5<socket:[7129596]> <0.000024>");
        QVERIFY(a);
        QCOMPARE(a->retText, QByteArray("5<socket:[7129596]>"));
        QCOMPARE(a->ret, 5);
        QCOMPARE(socketInodes(a->retText), QList<quint64>{7129596});
        QCOMPARE(socketInodes(a->args), QList<quint64>{7130391});
    }

    // The data a program sends is in the line, escaped by strace: ") = " inside it is data.
    void dataThatLooksLikeAResult()
    {
        const auto l = parseStraceLine("12  1.5 sendto(5<socket:[9]>, \") = 3 <1.0>\", 11, 0, "
                                       "NULL, 0) = 11 <0.000059>");
        QVERIFY(l);
        QCOMPARE(l->ret, 11);
        QCOMPARE(l->durationNs, 59000LL);
        QCOMPARE(l->args, QByteArray("5<socket:[9]>, \") = 3 <1.0>\", 11, 0, NULL, 0"));
        // Entered and not returned: still an entry.
        const auto entry = parseStraceLine("12  1.5 sendto(5<socket:[9]>, \") = 3 <1.0>\", 11");
        QVERIFY(entry);
        QCOMPARE(entry->part, StraceLine::Part::Entry);
    }

    // strace writes a call when it enters the kernel: a blocking call is seen at once.
    void enteredAndNotReturned()
    {
        const auto tail = parseStraceLine(
            "7555  1796505106.692748 poll([{fd=4<socket:[7124750]>, events=POLLIN}], 1, 1500");
        QVERIFY(tail);
        QCOMPARE(tail->part, StraceLine::Part::Entry);
        QVERIFY(!tail->returned());
        QCOMPARE(waitTimeout(tail->name, tail->args), 1.5);
        const auto unfinished = parseStraceLine(
            "4712  1796505106.692801 accept4(3<socket:[11]>, NULL, NULL, SOCK_CLOEXEC <unfinished "
            "...>");
        QVERIFY(unfinished);
        QCOMPARE(unfinished->part, StraceLine::Part::Entry);
        QCOMPARE(unfinished->args, QByteArray("3<socket:[11]>, NULL, NULL, SOCK_CLOEXEC"));
        const auto resumed = parseStraceLine(
            "4712  1796505107.001004 <... accept4 resumed>) = 5<socket:[12]> <0.308203>");
        QVERIFY(resumed);
        QCOMPARE(resumed->part, StraceLine::Part::Resumed);
        QCOMPARE(resumed->name, QByteArray("accept4"));
        QCOMPARE(resumed->ret, 5);
        QCOMPARE(resumed->durationNs, 308203000LL);
        // A line cut before its name ends says nothing yet.
        QVERIFY(!parseStraceLine("4712  1796505107.00"));
        QVERIFY(!parseStraceLine("4712  1796505107.001004 recvf"));
    }

    void whatIsNoCall()
    {
        QVERIFY(!parseStraceLine(""));
        QVERIFY(!parseStraceLine("6971  1796505105.203398 --- SIGCHLD {si_signo=SIGCHLD} ---"));
        QVERIFY(!parseStraceLine("6971  1796505105.203398 +++ exited with 0 +++"));
        QVERIFY(!parseStraceLine("strace: Process 12 attached"));
        QVERIFY(!parseStraceLine("-5  1.0 close(3) = 0 <0.1>"));
        QVERIFY(!parseStraceLine("5 x close(3) = 0 <0.1>"));
        // A call killed inside: no value, no duration.
        const auto gone = parseStraceLine("9  2.25 recvfrom(3<socket:[4]>,  <unfinished ...>) = ?");
        QVERIFY(gone);
        const auto q = parseStraceLine("9  2.25 poll([{fd=3<socket:[4]>, events=POLLIN}], 1, -1) = "
                                       "? <unavailable>");
        QVERIFY(q);
        QCOMPARE(q->retText, QByteArray("?"));
        QCOMPARE(q->durationNs, -1LL);
        QCOMPARE(waitTimeout(q->name, q->args), std::nullopt); // -1: no limit
        const auto interrupted = parseStraceLine(
            "9  2.25 poll([{fd=3<socket:[4]>, events=POLLIN}], 1, 900) = ? ERESTART_RESTARTBLOCK "
            "(Interrupted by signal) <0.4>");
        QVERIFY(interrupted);
        QCOMPARE(interrupted->errName, QByteArray("ERESTART_RESTARTBLOCK"));
        QCOMPARE(interrupted->durationNs, 400000000LL);
    }

    void timeLimits()
    {
        QCOMPARE(waitTimeout("ppoll", "[{fd=3<socket:[4]>, events=POLLIN}], 1, {tv_sec=1, "
                                      "tv_nsec=500000000}, NULL, 8"),
                 1.5);
        QCOMPARE(waitTimeout("ppoll", "[{fd=3<socket:[4]>, events=POLLIN}], 1, NULL, NULL, 8"),
                 std::nullopt);
        QCOMPARE(waitTimeout("pselect6",
                             "5, [4<socket:[7130392]>], NULL, NULL, {tv_sec=0, tv_nsec=200000000}, "
                             "NULL"),
                 0.2);
        QCOMPARE(waitTimeout("select", "5, [4], NULL, NULL, {tv_sec=2, tv_usec=250000}"), 2.25);
        QCOMPARE(waitTimeout("ppoll", "[], 0, {tv_sec=-1, tv_nsec=0}, NULL, 8"), std::nullopt);
        QCOMPARE(waitTimeout("recvfrom", "4<socket:[1]>, 0x1, 10, 0, NULL, NULL"), std::nullopt);
        // SO_RCVTIMEO as strace shows it: raw (Python passes 16 bytes) or decoded.
        QCOMPARE(timevalSeconds("4<socket:[7130392]>, SOL_SOCKET, SO_RCVTIMEO_OLD, "
                                "\"\\0\\0\\0\\0\\0\\0\\0\\0\\340\\223\\4\\0\\0\\0\\0\\0\", 16"),
                 0.3);
        QCOMPARE(timevalSeconds("3<socket:[1]>, SOL_SOCKET, SO_RCVTIMEO_OLD, {tv_sec=2, "
                                "tv_usec=0}, 16"),
                 2.0);
        QCOMPARE(timevalSeconds("3<socket:[1]>, SOL_SOCKET, SO_RCVTIMEO_OLD, \"\\1\", 1"),
                 std::nullopt);
    }
};

QTEST_APPLESS_MAIN(TestStraceLine)
#include "tst_straceline.moc"
