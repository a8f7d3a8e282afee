#pragma once

#include "LabProtocol.h"
#include "Platform.h"

#include <QMutex>
#include <QString>

#include <memory>
#include <sys/types.h>

namespace socklab::platform {

class LabHost;

// The lab: a private network of three hosts (client, router, server; LabProtocol.h) made for
// one experiment without any privilege on the host, by the helper socklab-labd in a user
// namespace of its own. Each host is a SocketFactory: its sockets are made inside that host's
// network and handed over, so this process, which stays in the host's network, connects,
// accepts and captures in the lab while the host's network never sees a port of it. Nothing
// of one lab is left for the next: a new lab is a new network, and the old one is gone once
// its helper has ended and the last socket made in it is closed.
//
// Thread-safe: any thread may ask any host for sockets (one request at a time goes to the
// helper, a few microseconds each).
class Lab
{
  public:
    // Makes a lab. nullptr when this system does not allow it, with one plain sentence in *why
    // that says what refused it and which setting allows it.
    static std::unique_ptr<Lab> create(QString *why);
    ~Lab(); // ends the helper and waits for it: no process or descriptor of it is left
    Lab(const Lab &) = delete;
    Lab &operator=(const Lab &) = delete;

    SocketFactory &host(lab::Host h);
    SocketFactory &client() { return host(lab::Client); }
    SocketFactory &server() { return host(lab::Server); }

    qint64 setupNs() const { return m_setupNs; } // making the network, as the helper measured it
    pid_t helperPid() const { return m_pid; }
    // One sentence for the log: the hosts, their addresses, how long making it took.
    QString description() const;

    // The numeric addresses of a lab host's name ("client", "router", "server"), IPv4 first;
    // empty for any other name.
    static QStringList addressesOf(const QString &name);
    // The path of the helper program this build uses, or empty with *why when it is missing.
    static QString helperPath(QString *why);

    // Makes (on) or repairs one fault of the lab's network (LabProtocol.h), in a few
    // milliseconds: 0 or errno (EBUSY: another queue holds the router's links; ENOENT: this
    // kernel lacks the queue discipline, as netem is missing on some).
    int fault(lab::NetFault f, bool on, int value = 0, int value2 = 0);

    // A program started in a host (LabProtocol.h, Run): its pid, a pidfd to signal it with, a
    // socket that delivers its wait status (an int32) when it ends, and the read ends of its
    // stdout and stderr; all close-on-exec and owned by the caller. env: KEY=VALUE added.
    struct Program
    {
        int pid = -1;
        int pidfd = -1;
        int status = -1;
        int out = -1;
        int err = -1;
    };
    // 0, or errno (E2BIG: the command is longer than the helper takes).
    int runProgram(lab::Host h, const QStringList &argv, const QStringList &env, Program *out);

    // For LabHost: asks the helper for a descriptor. The descriptor, or -1 with errno set.
    int request(const lab::Request &q);

  private:
    // Sends q (with `fds`, and then `extra` as a message of its own if not empty) and reads
    // the reply: err, the descriptor it carried (or -1) and its pid field.
    int exchange(const lab::Request &q, const int *fds, int nfds, const QByteArray &extra, int *fd,
                 int *pid);

  private:
    Lab() = default;

    QMutex m_mutex; // one request at a time on the helper's socket
    int m_ctl = -1;
    pid_t m_pid = -1;
    qint64 m_setupNs = 0;
    bool m_ready = false; // the helper said the lab is made
    std::unique_ptr<LabHost> m_hosts[lab::HostCount];
};

} // namespace socklab::platform
