static void show_linger(int fd, const char *why)
{
    struct linger l = {0, 0};
    socklen_t len = sizeof l;
    getsockopt(fd, SOL_SOCKET, SO_LINGER, &l, &len);
    printf("SO_LINGER: %s %d s (%s)\n", l.l_onoff ? "on" : "off", l.l_linger, why);
}
