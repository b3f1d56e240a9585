/* notify.c: the systemd notification protocol (sd_notify), spoken
 * directly: one datagram on an AF_UNIX SOCK_DGRAM socket to the address in
 * $NOTIFY_SOCKET (a path, or an abstract-namespace name when it starts
 * with '@'). No libsystemd. */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "sl_error.h"
#include "sl_notify.h"

/* Send state as one datagram. Returns 0 when $NOTIFY_SOCKET is unset or
 * empty (not under systemd, or Type= is not notify), SL_EINVAL for an
 * address that is neither a path nor '@name', SL_EIO when the socket
 * cannot be made or the datagram cannot be sent. */
int sl_notify(const char *state)
{
    const char *addr = getenv("NOTIFY_SOCKET");
    struct sockaddr_un sa;
    socklen_t salen;
    size_t alen, slen;
    ssize_t n;
    int fd, rc = 0;

    if (!addr || !*addr)
        return 0;
    if (!state || !*state)
        return SL_EINVAL;
    alen = strlen(addr);
    if ((addr[0] != '/' && addr[0] != '@') || alen < 2 || alen > sizeof(sa.sun_path))
        return SL_EINVAL;
    if (addr[0] == '/' && alen == sizeof(sa.sun_path))
        return SL_EINVAL; /* no room for the terminating NUL */
    memset(&sa, 0, sizeof(sa));
    sa.sun_family = AF_UNIX;
    memcpy(sa.sun_path, addr, alen);
    if (addr[0] == '@') {
        sa.sun_path[0] = '\0'; /* abstract: the length, not a NUL, ends the name */
        salen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + alen);
    } else {
        salen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + alen + 1);
    }
    fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return SL_EIO;
    slen = strlen(state);
    do
        n = sendto(fd, state, slen, MSG_NOSIGNAL, (const struct sockaddr *)&sa, salen);
    while (n < 0 && errno == EINTR);
    if (n < 0 || (size_t)n != slen)
        rc = SL_EIO;
    close(fd);
    return rc;
}

/* Parse a whole decimal unsigned number; -1 when s is not one. */
static int notify_parse_u64(const char *s, uint64_t *out)
{
    uint64_t v = 0;

    if (!s || !*s)
        return -1;
    for (; *s; s++) {
        if (*s < '0' || *s > '9' || v > (UINT64_MAX - 9) / 10)
            return -1;
        v = v * 10 + (uint64_t)(*s - '0');
    }
    *out = v;
    return 0;
}

/* $WATCHDOG_USEC in seconds, when the watchdog is meant for this process:
 * $WATCHDOG_PID, when set, must be our pid (as sd_watchdog_enabled). 0 when
 * unset, zero, malformed or for another process. Callers ping at half this. */
double sl_notify_watchdog_interval(void)
{
    const char *usec = getenv("WATCHDOG_USEC"), *pid = getenv("WATCHDOG_PID");
    uint64_t u, p;

    if (notify_parse_u64(usec, &u) || u == 0)
        return 0;
    if (pid && *pid) {
        if (notify_parse_u64(pid, &p) || p == 0 || p != (uint64_t)getpid())
            return 0;
    }
    return (double)u / 1e6;
}
