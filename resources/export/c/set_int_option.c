/* Sets an int option and prints what the kernel reads back, which can differ.
 * 0, or -1 if the kernel refused (printed). */
static int set_int_option(int fd, int level, int option, const char *name, int value)
{
    if (setsockopt(fd, level, option, &value, sizeof value) != 0) {
        int e = errno;
        printf("error: setsockopt %s %d: %s (%s)\n", name, value, errno_name(e), strerror(e));
        return -1;
    }
    int effective = 0;
    socklen_t len = sizeof effective;
    getsockopt(fd, level, option, &effective, &len);
    printf("%s: requested %d, effective %d\n", name, value, effective);
    return 0;
}
