/* Seconds on the monotonic clock: unlike the wall clock, nothing makes it jump. */
static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The errno's symbol, as the man pages and SockLab name it. */
static const char *errno_name(int e)
{
    static const struct
    {
        int code;
        const char *name;
    } names[] = {
        {EPERM, "EPERM"},
        {EINTR, "EINTR"},
        {EBADF, "EBADF"},
        {EACCES, "EACCES"},
        {EFAULT, "EFAULT"},
        {EINVAL, "EINVAL"},
        {ENFILE, "ENFILE"},
        {EMFILE, "EMFILE"},
        {ENOMEM, "ENOMEM"},
        {EPIPE, "EPIPE"},
        {EAGAIN, "EAGAIN"},
        {EINPROGRESS, "EINPROGRESS"},
        {EALREADY, "EALREADY"},
        {ENOTSOCK, "ENOTSOCK"},
        {ENOPROTOOPT, "ENOPROTOOPT"},
        {EOPNOTSUPP, "EOPNOTSUPP"},
        {EAFNOSUPPORT, "EAFNOSUPPORT"},
        {EADDRINUSE, "EADDRINUSE"},
        {EADDRNOTAVAIL, "EADDRNOTAVAIL"},
        {ENETDOWN, "ENETDOWN"},
        {ENETUNREACH, "ENETUNREACH"},
        {ENETRESET, "ENETRESET"},
        {ECONNABORTED, "ECONNABORTED"},
        {ECONNRESET, "ECONNRESET"},
        {ENOBUFS, "ENOBUFS"},
        {EISCONN, "EISCONN"},
        {ENOTCONN, "ENOTCONN"},
        {ETIMEDOUT, "ETIMEDOUT"},
        {ECONNREFUSED, "ECONNREFUSED"},
        {EHOSTDOWN, "EHOSTDOWN"},
        {EHOSTUNREACH, "EHOSTUNREACH"},
    };
    static char other[32];
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        if (names[i].code == e)
            return names[i].name;
    }
    snprintf(other, sizeof other, "errno %d", e);
    return other;
}

static void print_error(const char *op, int e)
{
    printf("error: %s: %s (%s)\n", op, errno_name(e), strerror(e));
}

/* A timeout in ms as text: -1 blocks forever, 0 does not block at all. */
static const char *timeout_text(int ms)
{
    static char text[32];
    if (ms < 0)
        return "none";
    if (ms == 0)
        return "0 (non-blocking)";
    snprintf(text, sizeof text, "%.3f s", ms / 1000.0);
    return text;
}

/* "127.0.0.1:4000", or "[::1]:4000" for IPv6. */
static void address_text(const struct sockaddr *sa, socklen_t len, char *out, size_t size)
{
    char host[NI_MAXHOST], port[NI_MAXSERV];
    if (getnameinfo(sa, len, host, sizeof host, port, sizeof port,
                    NI_NUMERICHOST | NI_NUMERICSERV) != 0) {
        snprintf(out, size, "?");
        return;
    }
    snprintf(out, size, sa->sa_family == AF_INET6 ? "[%s]:%s" : "%s:%s", host, port);
}

#define ADDRESS_TEXT_SIZE (NI_MAXHOST + NI_MAXSERV + 4)

static void set_nonblocking(int fd, int on)
{
    int flags = fcntl(fd, F_GETFL);
    fcntl(fd, F_SETFL, on ? (flags | O_NONBLOCK) : (flags & ~O_NONBLOCK));
}

/* A decimal port number from min to 65535. */
static int valid_port(const char *text, long min)
{
    if (text == NULL || *text < '0' || *text > '9')
        return 0;
    char *end;
    errno = 0;
    long v = strtol(text, &end, 10);
    return errno == 0 && *end == '\0' && v >= min && v <= 65535;
}
