/* connect() under CONNECT_TIMEOUT_MS, enforced by the kernel: SO_SNDTIMEO bounds connect().
 * When it runs out Linux returns EINPROGRESS, and the kernel goes on sending SYNs in SYN-SENT
 * in the background until it connects, its SYN budget (tcp_syn_retries) or TCP_USER_TIMEOUT
 * runs out, or the socket is closed. 1: connected, 0: timed out, -1: failed. */
static int connect_within(int fd, const struct sockaddr *addr, socklen_t len)
{
    reset_kernel_timeouts(fd, 1); /* a new socket: no timeouts yet */
    if (set_kernel_timeout(fd, SO_SNDTIMEO, "SO_SNDTIMEO", CONNECT_TIMEOUT_MS) != 0)
        return -1;
    double start = now();
    if (connect(fd, addr, len) != 0) {
        int e = errno;
        if (e == EINPROGRESS && CONNECT_TIMEOUT_MS != 0) {
            print_kernel_timeout("connect", start, "SO_SNDTIMEO", CONNECT_TIMEOUT_MS, e);
            return 0;
        }
        print_error("connect", e);
        return -1;
    }
    print_connected(fd, now() - start);
    return 1;
}
