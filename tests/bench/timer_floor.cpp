// The machine's own floor for the bench's timeouts item: how late a bare timerfd wake-up is on
// this machine, with no SockLab (and no Python) in the process. N waits of MS milliseconds,
// each an absolute CLOCK_MONOTONIC deadline on a timerfd, waited for with poll(); prints one
// JSON object with each wait's lateness in microseconds, and how much of it the thread spent
// ready to run but not running (its run delay, from /proc/thread-self/schedstat; -1 where that
// file cannot be read).
//
//   timer_floor N MS

#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

static int64_t now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000000000LL + t.tv_nsec;
}

// The thread's run delay so far, in ns: the second field of its schedstat. -1 if unknown.
static int64_t run_delay_ns(int fd)
{
    char buf[128];
    const ssize_t n = fd < 0 ? -1 : pread(fd, buf, sizeof buf - 1, 0);
    if (n <= 0)
        return -1;
    buf[n] = 0;
    long long cpu, delay;
    return sscanf(buf, "%lld %lld", &cpu, &delay) == 2 ? delay : -1;
}

int main(int argc, char **argv)
{
    if (argc != 3)
        return 2;
    const int n = atoi(argv[1]);
    const int64_t ms = atoi(argv[2]);
    prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL); // as SockLab's call threads
    const int fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);
    if (fd < 0 || n <= 0 || ms <= 0)
        return 1;
    const int stat = open("/proc/thread-self/schedstat", O_RDONLY | O_CLOEXEC);
    int64_t *delay = (int64_t *)calloc((size_t)n, sizeof *delay);
    if (!delay)
        return 1;
    printf("{\"late_us\":[");
    for (int i = 0; i < n; ++i) {
        const int64_t before = run_delay_ns(stat);
        const int64_t deadline = now_ns() + ms * 1000000LL;
        struct itimerspec its = {{0, 0}, {deadline / 1000000000LL, deadline % 1000000000LL}};
        if (timerfd_settime(fd, TFD_TIMER_ABSTIME, &its, NULL) != 0)
            return 1;
        struct pollfd p = {fd, POLLIN, 0};
        uint64_t expirations;
        if (poll(&p, 1, -1) != 1 || read(fd, &expirations, sizeof expirations) != 8)
            return 1;
        const int64_t late = now_ns() - deadline;
        const int64_t after = run_delay_ns(stat);
        delay[i] = before < 0 || after < 0 ? -1000 : after - before;
        printf("%s%.1f", i ? "," : "", late / 1e3);
    }
    printf("],\"run_delay_us\":[");
    for (int i = 0; i < n; ++i)
        printf("%s%.1f", i ? "," : "", delay[i] / 1e3);
    printf("]}\n");
    free(delay);
    return 0;
}
