/* When a call that starts at start must end, or -1: no deadline. */
static double deadline_of(double start, int timeout_ms)
{
    return timeout_ms < 0 ? -1.0 : start + timeout_ms / 1000.0;
}

/* Waits until fd is ready for events or the deadline passes: 1 ready, 0 timed out,
 * -1 error (errno). */
static int wait_ready(int fd, short events, double deadline)
{
    for (;;) {
        int ms = -1;
        if (deadline >= 0) {
            double left = deadline - now();
            if (left <= 0)
                return 0;
            /* poll() counts whole ms: round up, so it never returns before the deadline. */
            ms = (int)(left * 1000.0) + 1;
        }
        struct pollfd p = {fd, events, 0};
        int n = poll(&p, 1, ms);
        if (n > 0)
            return 1;
        if (n < 0 && errno != EINTR)
            return -1;
    }
}

static void print_timeout(const char *op, double start, int timeout_ms)
{
    double elapsed = now() - start;
    printf("%s timed out after %.3f s (timeout %s)\n", op, elapsed, timeout_text(timeout_ms));
}
