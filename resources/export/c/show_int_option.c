/* Prints an int option as the kernel reads it back. */
static void show_int_option(int fd, int level, int option, const char *name, const char *why)
{
    int value = 0;
    socklen_t len = sizeof value;
    if (getsockopt(fd, level, option, &value, &len) == 0)
        printf("%s: %d (%s)\n", name, value, why);
}
