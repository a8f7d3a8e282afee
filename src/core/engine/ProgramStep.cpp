// The Run step: a program of the user's own (a student's client, the seed's snippets) run on
// the lab's client host, with the built-in peer on the server host. SockLab sees its sockets
// as the kernel shows them (the socket table: states, timers, probes and retransmissions
// counted) and on the wire (every segment, named after the program's sockets: p1, p2, ...);
// what it prints is an event per line, in time with the rest.
#include "CallContext.h"
#include "CallReporter.h"
#include "CancelToken.h"
#include "ErrnoText.h"
#include "EventBus.h"
#include "Lab.h"
#include "Monitor.h"
#include "PeerServer.h"
#include "Program.h"
#include "ProgramTracer.h"
#include "StepRunner.h"

#include <QDir>
#include <QStandardPaths>

#include <cerrno>

namespace socklab {

namespace {
constexpr int kGraceMs = 1000;   // after SIGTERM on Stop, before SIGKILL
constexpr int kShownChars = 500; // of one line of output, in the event's sentence
} // namespace

bool StepRunner::runProgramStep(const QStringList &argv, bool trace)
{
    Event e = makeEvent(EventKind::Error, QStringLiteral("prog"), QStringLiteral("run"));
    platform::Lab *lab = m_net->lab();
    if (!lab) {
        e.err = ENETUNREACH;
        e.detail = QStringLiteral("A program runs only in the lab, where SockLab can watch its "
                                  "sockets and its wire without privilege; this run is on this "
                                  "machine's network (choose the lab: --network lab, Network: "
                                  "lab).");
        m_bus->post(e);
        return false;
    }
    // Where the built-in peer is, for the program to connect to.
    QStringList env{QStringLiteral("SOCKLAB_LAB=1")};
    QString peerText;
    if (const std::shared_ptr<PeerServer> peer = currentPeer()) {
        env << QStringLiteral("SOCKLAB_PEER_HOST=%1").arg(peer->host())
            << QStringLiteral("SOCKLAB_PEER_PORT=%1").arg(peer->port());
        peerText = QStringLiteral(" The built-in peer is at %1 port %2 (SOCKLAB_PEER_HOST, "
                                  "SOCKLAB_PEER_PORT in its environment).")
                       .arg(peer->host())
                       .arg(peer->port());
    }
    // Its calls, seen by strace (run under it), come through a FIFO of a private directory:
    // strace opens it close-on-exec, so the program itself never holds it.
    QStringList command = argv;
    platform::TracePipe pipe;
    if (trace) {
        const QString strace = QStandardPaths::findExecutable(QStringLiteral("strace"));
        if (strace.isEmpty()) {
            e.err = ENOENT;
            e.detail = QStringLiteral("Showing the program's own calls needs strace, which is not "
                                      "installed here (Debian: sudo apt install strace); the "
                                      "program was not run. Run it without --trace (the window: "
                                      "untick \"Show its socket calls\") to see its sockets "
                                      "and its wire only.");
            m_bus->post(e);
            return false;
        }
        if (const int err = pipe.open()) {
            e.err = err;
            e.detail = QStringLiteral("Could not make the pipe strace writes the program's calls "
                                      "to, in %1 (%2): %3")
                           .arg(QDir::tempPath(), errnoSymbol(e.err), explainErrno(e.err, {}));
            m_bus->post(e);
            return false;
        }
        command = ProgramTracer::command(strace, pipe.path(), argv);
    }
    platform::Lab::Program p;
    if (const int err = lab->runProgram(lab::Client, command, env, &p)) {
        e.err = err;
        e.detail = QStringLiteral("Could not start the program (%1): %2")
                       .arg(errnoSymbol(err), explainErrno(err, {}));
        m_bus->post(e);
        return false;
    }
    const quint64 run = m_bus->currentRun();
    m_monitor->adoptUnnamed(QStringLiteral("p"), run);
    platform::ProgramWatch w(p);
    w.addTrace(pipe.takeFd());
    ProgramTracer tracer(m_bus, m_monitor);
    const qint64 startNs = platform::monotonicNs();
    Event started = makeEvent(EventKind::Info, QStringLiteral("prog"), QStringLiteral("run"));
    started.detail =
        QStringLiteral("Started '%1' (pid %2) on the lab's client host %3; its "
                       "sockets are named p1, p2, ... in the order the kernel's "
                       "table shows them.%4%5")
            .arg(argv.join(u' '))
            .arg(p.pid)
            .arg(platform::Lab::addressesOf(QStringLiteral("client")).value(0), peerText,
                 trace ? QStringLiteral(" It runs under strace (pid %1 is strace's), which shows "
                                        "each call it makes on its TCP sockets: when it entered "
                                        "the kernel and when it returned.")
                             .arg(p.pid)
                       : QString());
    started.extra.insert(QStringLiteral("pid"), p.pid);
    m_bus->post(started);
    const platform::ProgramWatch::LineSink printed =
        [this, &tracer](int stream, const QByteArray &line, qint64 monoNs) {
            if (stream == platform::ProgramWatch::kTrace ||
                stream == platform::ProgramWatch::kTraceTail) {
                tracer.feed(line, stream == platform::ProgramWatch::kTrace);
                return;
            }
            Event o = makeEvent(EventKind::Info, QStringLiteral("prog"),
                                stream == 1 ? QStringLiteral("stdout") : QStringLiteral("stderr"));
            o.monoNs = monoNs;
            const QString text = QString::fromLocal8Bit(line);
            o.detail =
                text.size() > kShownChars ? text.left(kShownChars) + QStringLiteral("...") : text;
            o.data = escapeBytes(line, 256);
            o.bytes = line.size();
            m_bus->post(o);
        };
    const auto outcome = w.watch(callToken(), printed);
    int signal = 0;
    if (outcome == platform::ProgramWatch::Outcome::Cancelled)
        signal = w.end(kGraceMs, printed);
    const double elapsed = (platform::monotonicNs() - startNs) / 1e9;
    m_monitor->refreshTable(); // the states its sockets end in
    m_monitor->adoptUnnamed({}, 0);
    Event end = makeEvent(EventKind::Info, QStringLiteral("prog"), QStringLiteral("exit"));
    end.elapsed = elapsed;
    if (w.execErrno()) {
        end.kind = EventKind::Error;
        end.err = w.execErrno();
        end.detail =
            QStringLiteral("Could not run '%1': %2").arg(argv.value(0), explainErrno(end.err, {}));
    } else if (signal) {
        end.kind = EventKind::Cancelled;
        end.detail = QStringLiteral("%1 ended the program after %2: it %3.")
                         .arg(callToken().who(), secondsText(elapsed),
                              w.ended() ? platform::ProgramWatch::describe(w.waitStatus())
                                        : QStringLiteral("did not end"));
    } else {
        end.detail = QStringLiteral("The program %1 after %2.")
                         .arg(w.ended() ? platform::ProgramWatch::describe(w.waitStatus())
                                        : QStringLiteral("ended (its status was lost)"),
                              secondsText(elapsed));
    }
    if (trace)
        end.extra.insert(QStringLiteral("calls_traced"), tracer.callsShown());
    if (w.ended())
        end.extra.insert(QStringLiteral("exit_code"),
                         platform::ProgramWatch::exitCode(w.waitStatus()));
    m_bus->post(end);
    return !w.execErrno();
}

} // namespace socklab
