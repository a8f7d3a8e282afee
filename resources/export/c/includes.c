#define _GNU_SOURCE /* TCP_KEEPIDLE, TCP_USER_TIMEOUT, NI_MAXHOST also under -std=c99/c11 */

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>
