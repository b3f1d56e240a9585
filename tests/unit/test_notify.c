/* test_notify.c: sd_notify spoken directly to $NOTIFY_SOCKET. */
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "sl_error.h"
#include "sl_notify.h"
#include "sl_test.h"

/* Bind a datagram socket at addr (abstract when it starts with '@'). */
static int listen_dgram(const char *addr)
{
    struct sockaddr_un sa;
    size_t n = strlen(addr);
    socklen_t len;
    int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);

    if (fd < 0 || n >= sizeof(sa.sun_path))
        return -1;
    memset(&sa, 0, sizeof(sa));
    sa.sun_family = AF_UNIX;
    memcpy(sa.sun_path, addr, n);
    len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n + (addr[0] != '@'));
    if (addr[0] == '@')
        sa.sun_path[0] = '\0';
    if (bind(fd, (struct sockaddr *)&sa, len)) {
        close(fd);
        return -1;
    }
    return fd;
}

/* Receive one datagram (1 s timeout) into buf; its length or -1. */
static int recv_one(int fd, char *buf, size_t cap)
{
    struct pollfd p = {.fd = fd, .events = POLLIN};
    ssize_t n;

    if (poll(&p, 1, 1000) != 1)
        return -1;
    n = recv(fd, buf, cap - 1, 0);
    if (n < 0)
        return -1;
    buf[n] = '\0';
    return (int)n;
}

static void test_path_socket(void)
{
    char *dir = sl_test_tmpdir(), path[512], buf[512];
    int fd;

    snprintf(path, sizeof(path), "%s/notify", dir);
    fd = listen_dgram(path);
    SL_CHECK(fd >= 0);
    setenv("NOTIFY_SOCKET", path, 1);
    SL_CHECK_INT(sl_notify("READY=1\nSTATUS=x"), 0);
    SL_CHECK_INT(recv_one(fd, buf, sizeof(buf)), 16);
    SL_CHECK_STR(buf, "READY=1\nSTATUS=x");
    /* each call is one datagram, in order */
    SL_CHECK_INT(sl_notify("WATCHDOG=1"), 0);
    SL_CHECK_INT(sl_notify("STOPPING=1"), 0);
    SL_CHECK_INT(recv_one(fd, buf, sizeof(buf)), 10);
    SL_CHECK_STR(buf, "WATCHDOG=1");
    SL_CHECK_INT(recv_one(fd, buf, sizeof(buf)), 10);
    SL_CHECK_STR(buf, "STOPPING=1");
    close(fd);
    /* nobody listening any more: a send failure, not a crash */
    unlink(path);
    SL_CHECK_INT(sl_notify("READY=1"), SL_EIO);
    unsetenv("NOTIFY_SOCKET");
    sl_test_sh("rm -rf '%s'", dir);
    free(dir);
}

static void test_abstract_socket(void)
{
    char name[64], buf[512];
    int fd;

    snprintf(name, sizeof(name), "@sluice-test-notify-%ld", (long)getpid());
    fd = listen_dgram(name);
    SL_CHECK(fd >= 0);
    setenv("NOTIFY_SOCKET", name, 1);
    SL_CHECK_INT(sl_notify("RELOADING=1\nSTATUS=reloading configuration"), 0);
    SL_CHECK(recv_one(fd, buf, sizeof(buf)) > 0);
    SL_CHECK_STR(buf, "RELOADING=1\nSTATUS=reloading configuration");
    close(fd);
    unsetenv("NOTIFY_SOCKET");
}

static void test_not_under_systemd(void)
{
    unsetenv("NOTIFY_SOCKET");
    SL_CHECK_INT(sl_notify("READY=1"), 0);
    setenv("NOTIFY_SOCKET", "", 1);
    SL_CHECK_INT(sl_notify("READY=1"), 0);
    /* neither a path nor an abstract name */
    setenv("NOTIFY_SOCKET", "relative/notify", 1);
    SL_CHECK_INT(sl_notify("READY=1"), SL_EINVAL);
    setenv("NOTIFY_SOCKET", "@", 1);
    SL_CHECK_INT(sl_notify("READY=1"), SL_EINVAL);
    {
        char longp[200];
        memset(longp, 'a', sizeof(longp) - 1);
        longp[0] = '/';
        longp[sizeof(longp) - 1] = '\0';
        setenv("NOTIFY_SOCKET", longp, 1);
        SL_CHECK_INT(sl_notify("READY=1"), SL_EINVAL);
    }
    unsetenv("NOTIFY_SOCKET");
}

static void test_watchdog_interval(void)
{
    char pid[32];

    unsetenv("WATCHDOG_PID");
    unsetenv("WATCHDOG_USEC");
    SL_CHECK(sl_notify_watchdog_interval() == 0);
    setenv("WATCHDOG_USEC", "30000000", 1);
    SL_CHECK(sl_notify_watchdog_interval() == 30.0);
    setenv("WATCHDOG_USEC", "1500", 1);
    SL_CHECK(sl_notify_watchdog_interval() == 0.0015);
    setenv("WATCHDOG_USEC", "30000000", 1);
    snprintf(pid, sizeof(pid), "%ld", (long)getpid());
    setenv("WATCHDOG_PID", pid, 1);
    SL_CHECK(sl_notify_watchdog_interval() == 30.0);
    /* meant for another process (e.g. inherited from a parent) */
    snprintf(pid, sizeof(pid), "%ld", (long)getpid() + 1);
    setenv("WATCHDOG_PID", pid, 1);
    SL_CHECK(sl_notify_watchdog_interval() == 0);
    setenv("WATCHDOG_PID", "12x", 1);
    SL_CHECK(sl_notify_watchdog_interval() == 0);
    unsetenv("WATCHDOG_PID");
    setenv("WATCHDOG_USEC", "0", 1);
    SL_CHECK(sl_notify_watchdog_interval() == 0);
    setenv("WATCHDOG_USEC", "-5", 1);
    SL_CHECK(sl_notify_watchdog_interval() == 0);
    setenv("WATCHDOG_USEC", "30s", 1);
    SL_CHECK(sl_notify_watchdog_interval() == 0);
    setenv("WATCHDOG_USEC", "99999999999999999999999", 1);
    SL_CHECK(sl_notify_watchdog_interval() == 0);
    unsetenv("WATCHDOG_USEC");
}

SL_TEST_MAIN(SL_TEST_ENTRY(test_path_socket), SL_TEST_ENTRY(test_abstract_socket),
             SL_TEST_ENTRY(test_not_under_systemd), SL_TEST_ENTRY(test_watchdog_interval))
