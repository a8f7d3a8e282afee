#include "Program.h"

#include "Platform.h"

#include <QDir>
#include <QFile>
#include <QTemporaryDir>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

namespace socklab::platform {

namespace {
int signalProgram(int pidfd, int sig)
{
    return int(::syscall(SYS_pidfd_send_signal, pidfd, sig, nullptr, 0)) == 0 ? 0 : errno;
}

// The program and every process of its group (the helper made it a group leader): what it
// forked, and under strace the traced program itself, which a tracer told to end leaves
// running. The group's id stays taken while any of it lives.
void signalGroup(int pid, int pidfd, int sig)
{
    if (pidfd >= 0)
        signalProgram(pidfd, sig);
    if (pid > 0)
        ::kill(-pid, sig);
}
} // namespace

TracePipe::TracePipe() = default;

TracePipe::~TracePipe()
{
    if (m_fd >= 0)
        ::close(m_fd);
}

int TracePipe::open()
{
    m_dir =
        std::make_unique<QTemporaryDir>(QDir::tempPath() + QStringLiteral("/socklab-trace-XXXXXX"));
    if (!m_dir->isValid())
        return EIO;
    m_path = m_dir->filePath(QStringLiteral("calls"));
    const QByteArray name = QFile::encodeName(m_path);
    if (::mkfifo(name.constData(), 0600) != 0)
        return errno;
    m_fd = ::open(name.constData(), O_RDWR | O_NONBLOCK | O_CLOEXEC);
    return m_fd < 0 ? errno : 0;
}

int TracePipe::takeFd()
{
    const int fd = m_fd;
    m_fd = -1;
    return fd;
}

ProgramWatch::ProgramWatch(const Lab::Program &p)
    : m_pid(p.pid), m_pidfd(p.pidfd), m_statusFd(p.status)
{
    m_fds[1] = p.out;
    m_fds[2] = p.err;
}

ProgramWatch::~ProgramWatch()
{
    // Nothing of it outlives its watch, even what outlived the program itself.
    signalGroup(m_pid, ended() ? -1 : m_pidfd, SIGKILL);
    for (const int fd : {m_pidfd, m_statusFd, m_fds[1], m_fds[2], m_fds[kTrace]}) {
        if (fd >= 0)
            ::close(fd);
    }
}

// The helper sends the errno of a failed exec first (then the status), or only the status.
void ProgramWatch::readStatus()
{
    while (m_statusFd >= 0) {
        int32_t v = 0;
        const ssize_t n = ::recv(m_statusFd, &v, sizeof v, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n != ssize_t(sizeof v)) { // the helper closed it: nothing more comes
            ::close(m_statusFd);
            m_statusFd = -1;
            return;
        }
        if (m_status >= 0)
            continue;
        // Two messages mean the first was an exec's errno; one is the status itself. The
        // errno arrives before the child exits, so peek whether a second one follows.
        int32_t next = 0;
        const ssize_t more = ::recv(m_statusFd, &next, sizeof next, 0);
        if (more == ssize_t(sizeof next)) {
            m_execErrno = v;
            m_status = next;
        } else {
            m_status = v;
        }
        ::close(m_statusFd);
        m_statusFd = -1;
        return;
    }
}

void ProgramWatch::addTrace(int fd)
{
    if (m_fds[kTrace] >= 0)
        ::close(m_fds[kTrace]);
    m_fds[kTrace] = fd;
    if (fd >= 0)
        ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
}

void ProgramWatch::drain(int stream, const LineSink &onLine, bool atEnd)
{
    const int fd = m_fds[stream];
    char buf[8192];
    for (;;) {
        const ssize_t n = ::read(fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            if (n == 0 || (errno != EAGAIN)) {
                atEnd = true;
                ::close(m_fds[stream]);
                m_fds[stream] = -1;
            }
            break;
        }
        m_partial[stream].append(buf, n);
        const qint64 now = monotonicNs();
        qsizetype nl;
        while ((nl = m_partial[stream].indexOf('\n')) >= 0 ||
               m_partial[stream].size() >= kLineMax) {
            const qsizetype cut = nl >= 0 ? std::min<qsizetype>(nl, kLineMax) : kLineMax;
            onLine(stream, m_partial[stream].left(cut), now);
            m_partial[stream].remove(0, nl >= 0 && nl <= kLineMax ? cut + 1 : cut);
        }
        if (n < ssize_t(sizeof buf))
            break;
    }
    if (atEnd && !m_partial[stream].isEmpty()) {
        onLine(stream, m_partial[stream], monotonicNs());
        m_partial[stream].clear();
    } else if (stream == kTrace && !m_partial[stream].isEmpty()) {
        onLine(kTraceTail, m_partial[stream], monotonicNs());
    }
    if (atEnd && stream == kTrace && m_fds[stream] >= 0) {
        ::close(m_fds[stream]); // its own write end keeps it open: it is read to the end now
        m_fds[stream] = -1;
    }
}

ProgramWatch::Outcome ProgramWatch::watch(CancelToken &cancel, const LineSink &onLine)
{
    for (int s : {1, 2}) {
        if (m_fds[s] >= 0)
            ::fcntl(m_fds[s], F_SETFL, ::fcntl(m_fds[s], F_GETFL) | O_NONBLOCK);
    }
    while (m_fds[1] >= 0 || m_fds[2] >= 0 || !ended()) {
        if (cancel.isCancelled())
            return Outcome::Cancelled;
        pollfd p[5] = {{cancel.wakeFd(), POLLIN, 0},
                       {m_fds[1], POLLIN, 0},
                       {m_fds[2], POLLIN, 0},
                       {m_fds[kTrace], POLLIN, 0},
                       {m_statusFd, POLLIN, 0}};
        if (::poll(p, 5, -1) < 0 && errno != EINTR)
            return Outcome::Cancelled;
        if (cancel.isCancelled())
            return Outcome::Cancelled;
        for (int s : {1, 2, kTrace}) {
            if (m_fds[s] >= 0 && (p[s].revents & (POLLIN | POLLHUP | POLLERR)))
                drain(s, onLine, false);
        }
        if (m_statusFd >= 0 && (p[4].revents & (POLLIN | POLLHUP | POLLERR)))
            readStatus();
        if (m_statusFd < 0 && !ended())
            break; // the helper is gone: no status will come
    }
    // The tracer (the process whose status came) has ended: all it wrote is in its FIFO.
    if (m_fds[kTrace] >= 0)
        drain(kTrace, onLine, true);
    return Outcome::Ended;
}

int ProgramWatch::end(int graceMs, const LineSink &onLine)
{
    int sig = 0;
    if (!ended()) {
        signalGroup(m_pid, m_pidfd, SIGTERM);
        sig = SIGTERM;
        // A pidfd is readable once the process has ended.
        const qint64 deadline = monotonicNs() + qint64(graceMs) * 1000000;
        pollfd p{m_pidfd, POLLIN, 0};
        int r;
        do {
            const qint64 left = (deadline - monotonicNs()) / 1000000;
            r = ::poll(&p, 1, int(std::max<qint64>(0, left)));
        } while (r < 0 && errno == EINTR);
        if (r != 1) {
            signalGroup(m_pid, m_pidfd, SIGKILL);
            sig = SIGKILL;
        }
        // The helper sends the status once it has reaped it: moments after the end.
        pollfd st{m_statusFd, POLLIN, 0};
        if (m_statusFd >= 0 && ::poll(&st, 1, kStatusWaitMs) == 1)
            readStatus();
    }
    // What it wrote before it ended (in its SIGTERM handler, too) is not lost.
    for (int s : {1, 2, kTrace}) {
        if (m_fds[s] >= 0)
            drain(s, onLine, true);
    }
    return sig;
}

QString ProgramWatch::describe(int waitStatus)
{
    if (WIFEXITED(waitStatus))
        return QStringLiteral("exited with status %1").arg(WEXITSTATUS(waitStatus));
    if (WIFSIGNALED(waitStatus)) {
        const int sig = WTERMSIG(waitStatus);
        const char *name = sigabbrev_np(sig);
        return QStringLiteral("was killed by signal %1 (SIG%2)")
            .arg(sig)
            .arg(QLatin1String(name ? name : "?"));
    }
    return QStringLiteral("ended (status %1)").arg(waitStatus);
}

int ProgramWatch::exitCode(int waitStatus)
{
    if (WIFEXITED(waitStatus))
        return WEXITSTATUS(waitStatus);
    if (WIFSIGNALED(waitStatus))
        return 128 + WTERMSIG(waitStatus);
    return 1;
}

} // namespace socklab::platform
