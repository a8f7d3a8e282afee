/* accept() under ACCEPT_TIMEOUT_MS: poll() the non-blocking listener until a connection is
 * waiting or the deadline passes. Returns the connection, or -1 (printed). */
static int accept_within(int listener)
{
    printf("accepting (timeout %s)\n", timeout_text(ACCEPT_TIMEOUT_MS));
    double start = now();
    double deadline = deadline_of(start, ACCEPT_TIMEOUT_MS);
    struct sockaddr_storage peer;
    socklen_t len;
    int fd;
    set_nonblocking(listener, 1);
    for (;;) {
        if (ACCEPT_TIMEOUT_MS != 0) {
            int r = wait_ready(listener, POLLIN, deadline);
            if (r == 0) {
                print_timeout("accept", start, ACCEPT_TIMEOUT_MS);
                return -1;
            }
            if (r < 0) {
                print_error("poll", errno);
                return -1;
            }
        }
        len = sizeof peer;
        fd = accept(listener, (struct sockaddr *)&peer, &len);
        if (fd >= 0)
            break;
        /* Someone else took the connection first: wait again, until the deadline. */
        if ((errno == EAGAIN || errno == EWOULDBLOCK) && ACCEPT_TIMEOUT_MS != 0)
            continue;
        print_error("accept", errno);
        return -1;
    }
    print_accepted(&peer, len, now() - start);
    return fd;
}
