#pragma once

#include "Fault.h"
#include "Options.h"
#include "PeerConfig.h"

#include <QByteArray>
#include <QString>
#include <QStringList>

namespace socklab {

// One thing the engine does, in order, on its own thread. Lists of steps make experiments:
// the CLI builds them from its arguments, the window from its buttons, lessons from data.
struct Step
{
    enum class Kind
    {
        StartPeer, // peer
        StopPeer,
        Connect,    // sock (new label, or auto), host/port, toPeer or portOf, options
        Listen,     // sock, host (bind address), port or portOf, backlog, options
        Accept,     // listener, sock (new label)
        AcceptLoop, // listener; accept, hold `seconds`, close; `count` times (0: until it fails)
        Send,       // sock, data
        Recv,       // sock, maxBytes: one call
        RecvFor,    // sock, maxBytes per call, `seconds` in all: each call its own deadline
        Hold,       // sock, seconds (negative: until Stop): idle, keepalive watching
        Close,      // sock
        CloseAll,
        PullPlug, // the built-in peer's connections, or sock's if there is no peer
        Restart,  // sock: close that listener and listen again on its port
        Fault,    // fault: make or repair a fault of the network or of the built-in peer
        Run       // argv: a program run on the lab's client host until it ends (or Stop)
    };
    Kind kind = Kind::Connect;
    QString sock;
    QString listener;
    QString host;
    quint16 port = 0;
    bool toPeer = false;
    // The label of one of our listeners (it may have closed since): Connect connects to its
    // address, Listen binds its port. Lets an experiment say "the same port" before knowing it.
    QString portOf;
    SocketOptions options;
    // The options in force when the step was issued (the panels' when a button was pressed),
    // for a step on a socket that exists already: Send, Recv and Accept run with its timeout
    // and mechanism, Restart listens again with it. Unset: the socket's own options.
    std::optional<SocketOptions> current;
    int backlog = 16;
    QByteArray data;
    qint64 maxBytes = 4096;
    double seconds = 0;
    int count = 0;
    PeerConfig peer;
    FaultSpec fault;
    QStringList argv;
    bool trace = false; // Run: its socket calls too, seen by strace

    static Step make(Kind k, const QString &sock = {})
    {
        Step s;
        s.kind = k;
        s.sock = sock;
        return s;
    }
};

} // namespace socklab
