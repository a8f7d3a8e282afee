/* SO_LINGER on, with a time in seconds: a struct linger, not an int. */
static int set_linger(int fd, int seconds)
{
    struct linger l = {1, seconds};
    if (setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l) != 0) {
        int e = errno;
        printf("error: setsockopt SO_LINGER %d: %s (%s)\n", seconds, errno_name(e), strerror(e));
        return -1;
    }
    socklen_t len = sizeof l;
    getsockopt(fd, SOL_SOCKET, SO_LINGER, &l, &len);
    printf("SO_LINGER: requested on %d s, effective %s %d s\n", seconds,
           l.l_onoff ? "on" : "off", l.l_linger);
    return 0;
}
