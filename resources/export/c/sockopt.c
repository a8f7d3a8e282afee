/* Gets fd ready for one call whose timeout the kernel enforces. SO_RCVTIMEO and SO_SNDTIMEO
 * take a struct timeval in which {0, 0} means no timeout at all, so a timeout of 0 makes just
 * this call non-blocking instead. Otherwise the socket stays blocking and the kernel ends the
 * call with EAGAIN (EINPROGRESS for connect()). 0, or -1 if the kernel refused (printed). */
/* What SO_RCVTIMEO and SO_SNDTIMEO hold on each descriptor, in ms (0: none, -1: unknown);
 * like SockLab, a call sets the option only when its value changes. */
#define KERNEL_TIMEOUT_FDS 1024
static int kernel_timeout_ms[KERNEL_TIMEOUT_FDS][2];

/* A new socket has no timeouts (known: 0); an accepted one inherits its listener's (unknown). */
static void reset_kernel_timeouts(int fd, int known)
{
    if (fd >= 0 && fd < KERNEL_TIMEOUT_FDS)
        kernel_timeout_ms[fd][0] = kernel_timeout_ms[fd][1] = known ? 0 : -1;
}

static int set_kernel_timeout(int fd, int option, const char *name, int timeout_ms)
{
    set_nonblocking(fd, timeout_ms == 0);
    if (timeout_ms == 0)
        return 0;
    int *held = fd >= 0 && fd < KERNEL_TIMEOUT_FDS
                    ? &kernel_timeout_ms[fd][option == SO_RCVTIMEO ? 0 : 1]
                    : NULL;
    int wanted = timeout_ms > 0 ? timeout_ms : 0;
    if (held != NULL && *held == wanted)
        return 0;
    if (held != NULL)
        *held = wanted;
    struct timeval tv = {0, 0};
    if (timeout_ms > 0) {
        tv.tv_sec = timeout_ms / 1000;
        tv.tv_usec = (timeout_ms % 1000) * 1000;
    }
    if (setsockopt(fd, SOL_SOCKET, option, &tv, sizeof tv) != 0) {
        int e = errno;
        printf("error: setsockopt %s: %s (%s)\n", name, errno_name(e), strerror(e));
        return -1;
    }
    socklen_t len = sizeof tv;
    getsockopt(fd, SOL_SOCKET, option, &tv, &len);
    printf("%s: requested %s, ", name, timeout_text(timeout_ms));
    int effective_ms = (int)(tv.tv_sec * 1000 + tv.tv_usec / 1000);
    printf("effective %s\n", timeout_text(effective_ms > 0 ? effective_ms : -1));
    return 0;
}

static void print_kernel_timeout(const char *op, double start, const char *option,
                                 int timeout_ms, int e)
{
    double elapsed = now() - start;
    printf("%s timed out after %.3f s (%s %s: %s)\n", op, elapsed, option,
           timeout_text(timeout_ms), errno_name(e));
}
