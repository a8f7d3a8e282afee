#include "Lab.h"

#include "ErrnoText.h"

#include <QDir>
#include <QFileInfo>

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

namespace socklab::platform {

// One host of the lab as a socket factory.
class LabHost final : public SocketFactory
{
  public:
    LabHost(Lab *lab, lab::Host host) : m_lab(lab), m_host(host) {}

    QString name() const override
    {
        return QStringLiteral("lab host %1").arg(QLatin1String(lab::kHostNames[m_host]));
    }
    int tcpSocket(int family, bool nonBlocking) override
    {
        lab::Request q;
        q.op = lab::Op::TcpSocket;
        q.host = m_host;
        q.family = family;
        q.flags = nonBlocking ? lab::kNonBlocking : 0;
        return m_lab->request(q);
    }
    int diagSocket() override
    {
        lab::Request q;
        q.op = lab::Op::DiagSocket;
        q.host = m_host;
        return m_lab->request(q);
    }
    int captureSocket(const QString &ifname) override
    {
        lab::Request q;
        q.op = lab::Op::PacketSocket;
        q.host = m_host;
        const QByteArray name = ifname.toLatin1();
        if (name.isEmpty() || name.size() >= int(sizeof q.text)) {
            errno = ENODEV;
            return -1;
        }
        std::memcpy(q.text, name.constData(), size_t(name.size()));
        return m_lab->request(q);
    }
    SocketFactory *peerHost() override { return &m_lab->server(); }
    Lab *lab() override { return m_lab; }
    QString peerAddress(int family) const override
    {
        const lab::Interface &server = lab::kInterfaces[3];
        return QLatin1String(family == AF_INET6 ? server.v6 : server.v4);
    }
    QStringList hostAddresses(const QString &name) const override { return Lab::addressesOf(name); }
    bool isPrivate() const override { return true; }

  private:
    Lab *m_lab;
    lab::Host m_host;
};

namespace {
qint64 readInt(const QString &sysctl)
{
    bool ok = false;
    const qint64 v = readSysctl(sysctl).text.toLongLong(&ok);
    return ok ? v : -1;
}

// Why the helper could not make the lab, in one sentence, with the setting that allows it.
QString refusal(const lab::Ready &ready)
{
    const QString stage = QString::fromLatin1(ready.stage);
    const int err = ready.err;
    const QString head = QStringLiteral("SockLab could not make its private lab network, because ");
    if (err == EPERM || err == EACCES || err == ENOSPC || err == EINVAL) {
        if (readInt(QStringLiteral("kernel.unprivileged_userns_clone")) == 0)
            return head + QStringLiteral("this system does not let ordinary users make user "
                                         "namespaces (kernel.unprivileged_userns_clone is 0; "
                                         "an administrator allows it with "
                                         "\"sysctl kernel.unprivileged_userns_clone=1\").");
        if (readInt(QStringLiteral("kernel.apparmor_restrict_unprivileged_userns")) == 1)
            return head + QStringLiteral("AppArmor keeps ordinary users' user namespaces "
                                         "without privileges "
                                         "(kernel.apparmor_restrict_unprivileged_userns is 1; "
                                         "an administrator allows them with \"sysctl "
                                         "kernel.apparmor_restrict_unprivileged_userns=0\").");
        if (readInt(QStringLiteral("user.max_user_namespaces")) == 0)
            return head + QStringLiteral("this system allows no user namespaces "
                                         "(user.max_user_namespaces is 0; an administrator "
                                         "allows them with \"sysctl "
                                         "user.max_user_namespaces=10000\").");
        if (err == ENOSPC)
            return head + QStringLiteral("this user already has as many user namespaces as "
                                         "user.max_user_namespaces allows (%1).")
                              .arg(readInt(QStringLiteral("user.max_user_namespaces")));
    }
    return head + QStringLiteral("its helper's step \"%1\" failed: %2")
                      .arg(stage, explainErrno(err, stage));
}

bool isExecutable(const QString &path)
{
    return !path.isEmpty() && ::access(path.toLocal8Bit().constData(), X_OK) == 0;
}
} // namespace

QString Lab::helperPath(QString *why)
{
    const QString name = QLatin1String(lab::kHelperName);
    QStringList tried;
    // SOCKLAB_LABD names another helper; otherwise the one next to this program, the one
    // where an installed tree keeps it relative to this program (bin/../libexec/socklab, so a
    // package unpacked anywhere finds its own), the one of this build tree, then the one of
    // the configured install prefix.
    const QString fromEnv = qEnvironmentVariable("SOCKLAB_LABD");
    if (!fromEnv.isEmpty())
        tried << fromEnv;
    else {
        const QString self = QFileInfo(QStringLiteral("/proc/self/exe")).canonicalFilePath();
        if (!self.isEmpty()) {
            const QString dir = QFileInfo(self).absolutePath();
            tried << dir + u'/' + name
                  << QDir::cleanPath(dir + QStringLiteral("/../libexec/socklab/") + name);
        }
        tried << QStringLiteral(SOCKLAB_LABD_BUILD_PATH)
              << QStringLiteral(SOCKLAB_LABD_INSTALL_PATH);
    }
    for (const QString &p : std::as_const(tried)) {
        if (isExecutable(p))
            return p;
    }
    if (why)
        *why = QStringLiteral("SockLab could not make its private lab network, because its "
                              "helper %1 is not installed (looked for %2).")
                   .arg(name, tried.join(QStringLiteral(", ")));
    return {};
}

QStringList Lab::addressesOf(const QString &name)
{
    for (uint32_t h = 0; h < lab::HostCount; ++h) {
        if (name.compare(QLatin1String(lab::kHostNames[h]), Qt::CaseInsensitive) != 0)
            continue;
        for (const lab::Interface &i : lab::kInterfaces) {
            if (i.host == h)
                return {QLatin1String(i.v4), QLatin1String(i.v6)}; // a host's first link
        }
    }
    return {};
}

std::unique_ptr<Lab> Lab::create(QString *why)
{
    const QString path = helperPath(why);
    if (path.isEmpty())
        return nullptr;
    int sv[2];
    if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0) {
        if (why)
            *why = QStringLiteral("SockLab could not make its private lab network: %1")
                       .arg(explainErrno(errno, QStringLiteral("socketpair")));
        return nullptr;
    }
    // The helper gets its end as descriptor 3 and nothing else of this process.
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, sv[1], 3);
    const QByteArray exe = path.toLocal8Bit();
    const QByteArray parent = QByteArray::number(qint64(::getpid()));
    char arg3[] = "3";
    char *argv[] = {const_cast<char *>(exe.constData()), arg3,
                    const_cast<char *>(parent.constData()), nullptr};
    pid_t pid = -1;
    const int spawnErr = posix_spawn(&pid, exe.constData(), &actions, nullptr, argv, environ);
    posix_spawn_file_actions_destroy(&actions);
    ::close(sv[1]);
    if (spawnErr != 0) {
        ::close(sv[0]);
        if (why)
            *why = QStringLiteral("SockLab could not start its lab helper %1: %2")
                       .arg(path, explainErrno(spawnErr, QStringLiteral("posix_spawn")));
        return nullptr;
    }
    std::unique_ptr<Lab> lab(new Lab);
    lab->m_ctl = sv[0];
    lab->m_pid = pid;
    for (uint32_t h = 0; h < lab::HostCount; ++h)
        lab->m_hosts[h] = std::make_unique<LabHost>(lab.get(), lab::Host(h));
    // Making the network takes a few milliseconds; a helper that says nothing for 10 s is hung.
    lab::Ready ready;
    pollfd p{sv[0], POLLIN, 0};
    int n;
    do
        n = ::poll(&p, 1, 10000);
    while (n < 0 && errno == EINTR);
    const ssize_t got = n > 0 ? ::recv(sv[0], &ready, sizeof ready, 0) : -1;
    if (got != ssize_t(sizeof ready)) {
        if (why)
            *why = QStringLiteral("SockLab could not make its private lab network: its helper "
                                  "%1 %2.")
                       .arg(path, n == 0 ? QStringLiteral("did not answer within 10 s")
                                         : QStringLiteral("ended without a word"));
        return nullptr; // ~Lab ends and reaps the helper
    }
    if (ready.err != 0) {
        ready.stage[sizeof ready.stage - 1] = '\0';
        if (why)
            *why = refusal(ready);
        return nullptr;
    }
    lab->m_setupNs = ready.setupNs;
    lab->m_ready = true;
    return lab;
}

Lab::~Lab()
{
    if (m_ctl >= 0)
        ::close(m_ctl); // the helper reads the end of its socket and exits
    if (m_pid > 0) {
        if (!m_ready)
            ::kill(m_pid, SIGKILL); // it may be hung in the middle of making the lab
        int status = 0;
        while (::waitpid(m_pid, &status, 0) < 0 && errno == EINTR) {
        }
    }
}

QString Lab::description() const
{
    const auto addrs = [](lab::Host h) {
        return addressesOf(QLatin1String(lab::kHostNames[h])).join(QStringLiteral(", "));
    };
    return QStringLiteral("A private lab network, made for this run in %1 ms without privilege: "
                          "host client (%2), linked through a router to host server (%3), "
                          "where the built-in peers run.")
        .arg(QString::number(m_setupNs / 1e6, 'f', 1), addrs(lab::Client), addrs(lab::Server));
}

SocketFactory &Lab::host(lab::Host h)
{
    return *m_hosts[h];
}

int Lab::fault(lab::NetFault f, bool on, int value, int value2)
{
    lab::Request q;
    q.op = lab::Op::Fault;
    q.fault = f;
    q.flags = on ? lab::kFaultOn : 0;
    q.value = value;
    q.value2 = value2;
    int none = -1; // a fault comes with no descriptor
    return exchange(q, nullptr, 0, {}, &none, nullptr);
}

int Lab::request(const lab::Request &q)
{
    int fd = -1;
    const int err = exchange(q, nullptr, 0, {}, &fd, nullptr);
    if (!err && fd < 0) {
        errno = EPROTO;
        return -1;
    }
    errno = err;
    return err ? -1 : fd;
}

int Lab::runProgram(lab::Host h, const QStringList &argv, const QStringList &env, Program *out)
{
    // The number of arguments first: an argument may be empty.
    QByteArray command = QByteArray::number(argv.size()) + '\0';
    for (const QString &a : argv)
        command += a.toLocal8Bit() + '\0';
    for (const QString &kv : env)
        command += kv.toLocal8Bit() + '\0';
    if (argv.isEmpty() || command.size() > lab::kRunCommandMax)
        return argv.isEmpty() ? EINVAL : E2BIG;
    int status[2], outPipe[2], errPipe[2];
    if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, status) != 0)
        return errno;
    if (::pipe2(outPipe, O_CLOEXEC) != 0) {
        const int e = errno;
        ::close(status[0]);
        ::close(status[1]);
        return e;
    }
    if (::pipe2(errPipe, O_CLOEXEC) != 0) {
        const int e = errno;
        for (const int fd : {status[0], status[1], outPipe[0], outPipe[1]})
            ::close(fd);
        return e;
    }
    lab::Request q;
    q.op = lab::Op::Run;
    q.host = h;
    const int theirs[3] = {status[1], outPipe[1], errPipe[1]};
    int pidfd = -1, pid = 0;
    const int err = exchange(q, theirs, 3, command, &pidfd, &pid);
    for (const int fd : theirs)
        ::close(fd); // the helper has its own copies now
    if (err || pidfd < 0) {
        for (const int fd : {status[0], outPipe[0], errPipe[0], pidfd})
            if (fd >= 0)
                ::close(fd);
        return err ? err : EPROTO;
    }
    out->pid = pid;
    out->pidfd = pidfd;
    out->status = status[0];
    out->out = outPipe[0];
    out->err = errPipe[0];
    return 0;
}

int Lab::exchange(const lab::Request &q, const int *fds, int nfds, const QByteArray &extra, int *fd,
                  int *pid)
{
    QMutexLocker lock(&m_mutex);
    *fd = -1;
    iovec out{const_cast<lab::Request *>(&q), sizeof q};
    msghdr sm{};
    sm.msg_iov = &out;
    sm.msg_iovlen = 1;
    alignas(cmsghdr) char sendControl[CMSG_SPACE(3 * sizeof(int))] = {};
    if (nfds > 0) {
        sm.msg_control = sendControl;
        sm.msg_controllen = CMSG_SPACE(size_t(nfds) * sizeof(int));
        cmsghdr *c = CMSG_FIRSTHDR(&sm);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(size_t(nfds) * sizeof(int));
        std::memcpy(CMSG_DATA(c), fds, size_t(nfds) * sizeof(int));
    }
    ssize_t n;
    do
        n = ::sendmsg(m_ctl, &sm, MSG_NOSIGNAL);
    while (n < 0 && errno == EINTR);
    if (n != ssize_t(sizeof q))
        return n >= 0 ? EPIPE : errno;
    if (!extra.isEmpty()) {
        do
            n = ::send(m_ctl, extra.constData(), size_t(extra.size()), MSG_NOSIGNAL);
        while (n < 0 && errno == EINTR);
        if (n != extra.size())
            return n >= 0 ? EPIPE : errno;
    }
    lab::Reply r;
    iovec iov{&r, sizeof r};
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
    msghdr m{};
    m.msg_iov = &iov;
    m.msg_iovlen = 1;
    m.msg_control = control;
    m.msg_controllen = sizeof control;
    do
        n = ::recvmsg(m_ctl, &m, MSG_CMSG_CLOEXEC);
    while (n < 0 && errno == EINTR);
    int got = -1;
    for (cmsghdr *c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c)) {
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS &&
            c->cmsg_len == CMSG_LEN(sizeof(int)))
            std::memcpy(&got, CMSG_DATA(c), sizeof got);
    }
    if (n != ssize_t(sizeof r)) {
        if (got >= 0)
            ::close(got);
        return n < 0 ? errno : EPIPE;
    }
    if (pid)
        *pid = r.pid;
    // With a descriptor comes a second message: the helper has closed its own copy, so this
    // one is the socket's only descriptor (its close() is then the one that sends the FIN).
    if (got >= 0) {
        char closed = 0;
        do
            n = ::recv(m_ctl, &closed, 1, 0);
        while (n < 0 && errno == EINTR);
        if (n != 1) {
            ::close(got);
            return n < 0 ? errno : EPIPE;
        }
    }
    if (r.err) {
        if (got >= 0)
            ::close(got);
        return r.err;
    }
    *fd = got;
    return 0;
}

} // namespace socklab::platform
