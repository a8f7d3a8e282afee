// Programs run in a lab host (a student's client, the seed's snippets): started here, in the
// host's network, so that their sockets are the lab's; their wait status goes back to SockLab
// when they end.
#include "Labd.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace {
struct Running
{
    pid_t pid;
    int statusFd; // where its wait status goes
};
std::vector<Running> g_running;

void sendInt(int fd, int32_t v)
{
    (void)!send(fd, &v, sizeof v, MSG_NOSIGNAL);
}
} // namespace

int labd::startProgram(uint32_t host, int statusFd, int outFd, int errFd, const char *command,
                       size_t length, int *pid, int *pidfd)
{
    // The number of arguments, the arguments, then KEY=VALUE strings (an argument may be
    // empty, so none of them can be a separator).
    // Until it is forked the descriptors are closed here on any failure; after, they are its.
    const auto fail = [&](int err) {
        close(statusFd);
        close(outFd);
        close(errFd);
        return err;
    };
    std::vector<std::string> strings;
    for (size_t at = 0; at < length;) {
        const char *s = command + at;
        const size_t n = strnlen(s, length - at);
        if (n == length - at)
            return fail(EINVAL); // not NUL-terminated
        strings.emplace_back(s, n);
        at += n + 1;
    }
    if (strings.empty())
        return fail(EINVAL);
    char *end = nullptr;
    const unsigned long argc = strtoul(strings[0].c_str(), &end, 10);
    if (!end || *end || argc == 0 || argc >= strings.size())
        return fail(EINVAL);
    std::vector<std::string> args(strings.begin() + 1, strings.begin() + 1 + long(argc));
    const std::vector<std::string> env(strings.begin() + 1 + long(argc), strings.end());
    const pid_t parent = getpid();
    const pid_t child = fork();
    if (child < 0)
        return fail(errno);
    if (child == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL); // it ends with the lab
        if (getppid() != parent)
            _exit(127);
        // A group of its own, the program's pid its id: Stop signals all of it (what it
        // forks, and the program strace runs, which outlives a tracer that is told to end).
        setpgid(0, 0);
        int err = labd::enter(host);
        const int devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
        if (!err &&
            (devnull < 0 || dup2(devnull, 0) < 0 || dup2(outFd, 1) < 0 || dup2(errFd, 2) < 0))
            err = errno;
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, nullptr);
        signal(SIGPIPE, SIG_DFL);
        signal(SIGINT, SIG_DFL);
        for (const std::string &kv : env)
            putenv(const_cast<char *>(kv.c_str()));
        if (!err) {
            std::vector<char *> argv;
            for (std::string &a : args)
                argv.push_back(a.data());
            argv.push_back(nullptr);
            execvp(argv[0], argv.data());
            err = errno;
        }
        sendInt(statusFd, err); // the status socket is close-on-exec: open only if exec failed
        _exit(127);
    }
    setpgid(child, child); // as the child does: whichever runs first
    close(outFd);
    close(errFd);
    g_running.push_back({child, statusFd});
    *pidfd = int(syscall(SYS_pidfd_open, child, 0));
    if (*pidfd < 0) {
        // Nothing could signal it: it must not run unwatched (reapPrograms reports it).
        const int err = errno;
        kill(child, SIGKILL);
        return err;
    }
    *pid = child;
    return 0;
}

void labd::reapPrograms()
{
    for (;;) {
        int status = 0;
        const pid_t done = waitpid(-1, &status, WNOHANG);
        if (done <= 0)
            return;
        for (auto it = g_running.begin(); it != g_running.end(); ++it) {
            if (it->pid != done)
                continue;
            sendInt(it->statusFd, status);
            close(it->statusFd);
            g_running.erase(it);
            break;
        }
    }
}
