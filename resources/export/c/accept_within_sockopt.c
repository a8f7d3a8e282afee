/* accept() under ACCEPT_TIMEOUT_MS, enforced by the kernel: SO_RCVTIMEO bounds accept() too,
 * which fails with EAGAIN when it runs out. Returns the connection, or -1 (printed). */
static int accept_within(int listener)
{
    printf("accepting (timeout %s)\n", timeout_text(ACCEPT_TIMEOUT_MS));
    if (set_kernel_timeout(listener, SO_RCVTIMEO, "SO_RCVTIMEO", ACCEPT_TIMEOUT_MS) != 0)
        return -1;
    double start = now();
    struct sockaddr_storage peer;
    socklen_t len = sizeof peer;
    int fd = accept(listener, (struct sockaddr *)&peer, &len);
    if (fd < 0) {
        int e = errno;
        if ((e == EAGAIN || e == EWOULDBLOCK) && ACCEPT_TIMEOUT_MS != 0)
            print_kernel_timeout("accept", start, "SO_RCVTIMEO", ACCEPT_TIMEOUT_MS, e);
        else
            print_error("accept", e);
        return -1;
    }
    reset_kernel_timeouts(fd, 0);
    print_accepted(&peer, len, now() - start);
    return fd;
}
