/* connect() under CONNECT_TIMEOUT_MS: a non-blocking connect(), poll() until the socket is
 * writable or the deadline passes, then SO_ERROR says how the handshake ended.
 * 1: connected, 0: timed out, -1: failed (printed). */
static int connect_within(int fd, const struct sockaddr *addr, socklen_t len)
{
    double start = now();
    set_nonblocking(fd, 1);
    if (connect(fd, addr, len) != 0) {
        if (errno != EINPROGRESS || CONNECT_TIMEOUT_MS == 0) {
            /* With a timeout of 0 this is EINPROGRESS: the handshake goes on without us. */
            print_error("connect", errno);
            return -1;
        }
        int r = wait_ready(fd, POLLOUT, deadline_of(start, CONNECT_TIMEOUT_MS));
        if (r == 0) {
            /* The SYN went unanswered; the socket stays in SYN-SENT until it is closed. */
            print_timeout("connect", start, CONNECT_TIMEOUT_MS);
            return 0;
        }
        if (r < 0) {
            print_error("poll", errno);
            return -1;
        }
        int err = 0;
        socklen_t err_len = sizeof err;
        getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &err_len);
        if (err != 0) {
            print_error("connect", err);
            return -1;
        }
    }
    print_connected(fd, now() - start);
    return 1;
}
