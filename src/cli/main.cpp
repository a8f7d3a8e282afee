// socklab-cli: the engine without a window, for scripts, graders and tests.
#include "CliCommand.h"
#include "Engine.h"
#include "LessonCommand.h"
#include "LessonRunner.h"
#include "PcapExport.h"

#include <QCoreApplication>
#include <QJsonDocument>
#include <QSocketNotifier>

#include <algorithm>
#include <csignal>
#include <cstdio>
#include <fcntl.h>
#include <memory>
#include <unistd.h>

namespace {
int g_signalPipe[2] = {-1, -1};

void onSignal(int)
{
    const char c = 1;
    [[maybe_unused]] ssize_t n = ::write(g_signalPipe[1], &c, 1);
}

void installSignalHandlers()
{
    if (::pipe2(g_signalPipe, O_CLOEXEC | O_NONBLOCK) != 0)
        return;
    struct sigaction sa
    {
    };
    sa.sa_handler = onSignal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, nullptr);
    sigaction(SIGTERM, &sa, nullptr);
}

void printLine(const QByteArray &line, FILE *to = stdout)
{
    std::fwrite(line.constData(), 1, size_t(line.size()), to);
    std::fputc('\n', to);
}
} // namespace

int main(int argc, char *argv[])
{
    QCoreApplication app(argc, argv);
    QCoreApplication::setApplicationName(QStringLiteral("socklab-cli"));
    QCoreApplication::setApplicationVersion(QStringLiteral(SOCKLAB_VERSION));

    using socklab::cli::Command;
    using socklab::cli::LessonArgs;
    const LessonArgs lessonArgs = socklab::cli::parseLessonArgs(QCoreApplication::arguments());
    if (!lessonArgs.error.isEmpty()) {
        std::fprintf(stderr, "socklab-cli: %s\n", qPrintable(lessonArgs.error));
        return 2;
    }
    if (lessonArgs.kind == LessonArgs::Kind::Help) {
        std::fputs(qPrintable(lessonArgs.help), stdout);
        return 0;
    }
    if (lessonArgs.kind == LessonArgs::Kind::List) {
        const QByteArray list = socklab::cli::lessonList(lessonArgs.json);
        std::fwrite(list.constData(), 1, size_t(list.size()), stdout);
        return 0;
    }
    const bool lessonMode = lessonArgs.kind == LessonArgs::Kind::Run;
    Command lessonCmd;
    lessonCmd.kind = Command::Kind::Connect;
    lessonCmd.json = lessonArgs.json;
    const Command cmd = lessonMode ? lessonCmd : socklab::cli::parse(QCoreApplication::arguments());
    if (!cmd.error.isEmpty()) {
        std::fprintf(stderr, "socklab-cli: %s\n", qPrintable(cmd.error));
        return 2;
    }
    if (cmd.kind == Command::Kind::Help) {
        std::fputs(qPrintable(cmd.help), stdout);
        return 0;
    }
    if (cmd.kind == Command::Kind::Version) {
        std::printf("socklab-cli %s\n", SOCKLAB_VERSION);
        return 0;
    }
    if (cmd.kind == Command::Kind::Code) {
        // Generating is pure: nothing runs, so no engine is started.
        QString error;
        const QString program = socklab::code::generate(cmd.language, cmd.profile, &error);
        if (program.isEmpty()) {
            std::fprintf(stderr, "socklab-cli: %s\n", qPrintable(error));
            return 2;
        }
        const QByteArray bytes = program.toUtf8();
        std::fwrite(bytes.constData(), 1, size_t(bytes.size()), stdout);
        return 0;
    }

    installSignalHandlers();
    // The engine's threads inherit a mask without SIGINT/SIGTERM, so a signal never
    // interrupts (and restarts) one of their system calls; the main thread takes them.
    sigset_t sigs;
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGINT);
    sigaddset(&sigs, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &sigs, nullptr);
    // Where the experiment runs: the lab when it needs nothing outside SockLab (its built-in
    // peer, a lesson), or when asked; the host's own network otherwise. The lab outlives the
    // engine whose sockets it makes.
    using socklab::cli::NetworkChoice;
    const NetworkChoice network = lessonMode ? lessonArgs.network : cmd.network;
    const bool selfContained = lessonMode || cmd.usesPeer;
    if (network == NetworkChoice::Lab && !selfContained) {
        std::fprintf(stderr,
                     "socklab-cli: --network lab: the lab is private to this run, so "
                     "nothing outside it could reach this %s; use it with --peer or a "
                     "lesson.\n",
                     cmd.kind == Command::Kind::Connect ? "connection's HOST" : "listener");
        return 2;
    }
    const bool wantLab =
        network == NetworkChoice::Lab || (network == NetworkChoice::Auto && selfContained);
    const QString pcapPath = lessonMode ? lessonArgs.pcapPath : cmd.pcapPath;
    if (!pcapPath.isEmpty() && !wantLab) {
        std::fprintf(stderr, "socklab-cli: --pcap: only the lab's wire is captured; use it with "
                             "--peer or a lesson (not --network host).\n");
        return 2;
    }
    // The engine makes the lab on its own thread; the run starts once it is made (or refused).
    socklab::Engine engine(
        nullptr, nullptr, wantLab ? socklab::Engine::Network::Lab : socklab::Engine::Network::Host);
    pthread_sigmask(SIG_UNBLOCK, &sigs, nullptr);
    bool interrupted = false;
    bool peerFailed = false;
    QString peerError;  // what the built-in peer said when it failed
    QString unresolved; // why a name did not resolve: a bad argument found at run time (exit 2)
    int exitCode = 0;
    bool programEnded = false; // run: the program's status is the exit code

    QSocketNotifier signalNotifier(g_signalPipe[0], QSocketNotifier::Read);
    QObject::connect(&signalNotifier, &QSocketNotifier::activated, [&] {
        char buf[16];
        while (::read(g_signalPipe[0], buf, sizeof buf) > 0) {
        }
        if (!interrupted) {
            interrupted = true;
            engine.stop();
        }
    });

    const bool serving = cmd.kind == Command::Kind::Serve;
    QObject::connect(
        engine.bus(), &socklab::EventBus::eventsReady, [&](const QList<socklab::Event> &batch) {
            bool finished = false;
            for (const socklab::Event &e : batch) {
                if (e.kind == socklab::EventKind::Finished) {
                    finished = true;
                    if (e.detail == QLatin1String(socklab::Engine::kAbortedDetail))
                        peerFailed = true;
                    continue;
                }
                if (e.sock == QLatin1String("peer") && e.kind == socklab::EventKind::Error) {
                    peerFailed = peerFailed || serving;
                    peerError = e.detail;
                }
                if (e.kind == socklab::EventKind::Error && e.op == QLatin1String("fault"))
                    peerError = e.detail; // a fault the run needs could not be made
                // run: the program's exit status is the CLI's; one that could not start is 1.
                if (e.sock == QLatin1String("prog") && e.op == QLatin1String("exit") &&
                    e.extra.contains(QStringLiteral("exit_code"))) {
                    exitCode = e.extra.value(QStringLiteral("exit_code")).toInt();
                    programEnded = true;
                    if (e.kind == socklab::EventKind::Error)
                        peerError = e.detail; // it could not be run (127)
                }
                if (e.sock == QLatin1String("prog") && e.op == QLatin1String("run") &&
                    e.kind == socklab::EventKind::Error) {
                    peerFailed = true;
                    peerError = e.detail;
                }
                if (e.kind == socklab::EventKind::Error && e.op == QLatin1String("resolve") &&
                    unresolved.isEmpty())
                    unresolved = e.detail;
                // Without --show-data only the preview is printed, as before the payload existed.
                socklab::Event brief;
                const socklab::Event *shown = &e;
                if (!cmd.showData && e.payloadKept) {
                    brief = e;
                    brief.payloadKept = false;
                    brief.payload.clear();
                    shown = &brief;
                }
                printLine(cmd.json ? QJsonDocument(shown->toJson()).toJson(QJsonDocument::Compact)
                                   : shown->toText().toUtf8());
                if (!cmd.json && shown->payloadKept)
                    std::fputs(
                        socklab::payloadText(*shown, QStringLiteral("    | ")).toUtf8().constData(),
                        stdout);
            }
            std::fflush(stdout);
            if (lessonMode) {
                // A lesson ends with its verdict (exit 0 whatever it says), or with Stop.
                const auto verdict = std::find_if(batch.cbegin(), batch.cend(), [](const auto &e) {
                    return e.kind == socklab::EventKind::LessonResult;
                });
                if (verdict != batch.cend()) {
                    const bool ran = verdict->extra.value(QStringLiteral("ran")).toBool(true);
                    if (!ran)
                        std::fprintf(stderr, "socklab-cli: %s\n", qPrintable(verdict->detail));
                    QCoreApplication::exit(ran ? 0 : 1);
                } else if (finished && interrupted)
                    QCoreApplication::exit(130);
                return;
            }
            if (!finished)
                return;
            if (interrupted) {
                exitCode = serving ? 0 : 130;
            } else if (!unresolved.isEmpty()) {
                std::fprintf(stderr, "socklab-cli: %s\n", qPrintable(unresolved));
                exitCode = 2;
            } else if (peerFailed) {
                // The built-in peer did not start, or a fault the run needs could not be made:
                // nothing was tried.
                std::fprintf(stderr, "socklab-cli: %s\n", qPrintable(peerError));
                if (!programEnded)
                    exitCode = 1;
            } else if (serving) {
                return; // serve runs until interrupted
            }
            QCoreApplication::exit(exitCode);
        });

    socklab::LessonRunner runner(&engine);
    const auto begin = [&] {
        if (lessonMode) {
            runner.load(*socklab::findLesson(lessonArgs.name));
            runner.runAll();
        } else {
            engine.run(cmd.steps);
        }
    };
    bool labRefused = false;
    if (wantLab) {
        QObject::connect(&engine, &socklab::Engine::networkChanged,
                         [&](bool lab, const QString &description, const QString &refusal) {
                             if (!lab && network == NetworkChoice::Lab) {
                                 std::fprintf(stderr, "socklab-cli: %s\n", qPrintable(refusal));
                                 labRefused = true;
                                 QCoreApplication::exit(1);
                                 return;
                             }
                             socklab::Event e;
                             e.kind = socklab::EventKind::Info;
                             e.sock = QStringLiteral("lab");
                             e.op = QStringLiteral("network");
                             e.detail = description;
                             engine.bus()->post(e);
                             begin();
                         });
    } else {
        begin();
    }
    const int code = app.exec();
    if (!pcapPath.isEmpty() && !labRefused) {
        // What the wire showed, written once the run is over (the last FIN and ACK included).
        engine.stopCapture();
        const socklab::WireTap::Capture cap = engine.capture();
        QString error;
        if (cap.links.isEmpty() && cap.frames.isEmpty()) {
            std::fprintf(stderr, "socklab-cli: --pcap: nothing was captured: this run was not "
                                 "in the lab.\n");
            return code ? code : 1;
        }
        if (!socklab::pcap::write(pcapPath, cap.frames, &error)) {
            std::fprintf(stderr, "socklab-cli: --pcap: %s\n", qPrintable(error));
            return code ? code : 1;
        }
        std::fprintf(stderr, "socklab-cli: wrote %lld frame(s) of %s to %s%s\n",
                     qint64(cap.frames.size()), qPrintable(cap.links.join(QStringLiteral(", "))),
                     qPrintable(pcapPath),
                     cap.kernelDrops + cap.ringDrops
                         ? qPrintable(QStringLiteral(" (%1 lost: see the capture's info event)")
                                          .arg(cap.kernelDrops + cap.ringDrops))
                         : "");
    }
    return code;
}
