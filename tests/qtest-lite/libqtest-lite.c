/*
 * libqtest-lite: spawn vmm-mini in qtest mode and speak the qtest protocol
 * to it (see libqtest-lite.h).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "qemu/osdep.h"

#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>

#include "libqtest-lite.h"

#define QTEST_LITE_MAX_IRQ 256

struct QTestState {
    int fd;                     /* the connection */
    pid_t pid;                  /* vmm-mini */
    int pidfd;                  /* readable once vmm-mini exits; or -1 */
    bool reaped;
    int wait_status;
    int expected_status;
    char *tmpdir;
    char *sock_path;
    GString *rbuf;              /* received, not yet consumed */
    bool irq_level[QTEST_LITE_MAX_IRQ];
    unsigned irq_raises[QTEST_LITE_MAX_IRQ];
};

/* ------------------------------------------------------------------ */
/* Process handling                                                    */
/* ------------------------------------------------------------------ */

static int timeout_ms(void)
{
    const char *mult = g_getenv("QTEST_LITE_TIMEOUT_MULT");
    int m = mult ? atoi(mult) : 1;

    return QTEST_LITE_TIMEOUT_S * 1000 * (m > 0 ? m : 1);
}

static void child_setup(gpointer data)
{
    /* Die with the test, and keep stdout (TAP) clean: serial -> stderr. */
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    dup2(STDERR_FILENO, STDOUT_FILENO);
}

static bool reap(QTestState *s, bool block)
{
    pid_t r;

    if (s->reaped) {
        return true;
    }
    do {
        r = waitpid(s->pid, &s->wait_status, block ? 0 : WNOHANG);
    } while (r < 0 && errno == EINTR);
    if (r == s->pid) {
        s->reaped = true;
    }
    return s->reaped;
}

static char *describe_status(int status)
{
    if (WIFEXITED(status)) {
        return g_strdup_printf("exited with status %d",
                               WEXITSTATUS(status));
    }
    if (WIFSIGNALED(status)) {
        return g_strdup_printf("was killed by signal %d (%s)",
                               WTERMSIG(status),
                               strsignal(WTERMSIG(status)));
    }
    return g_strdup_printf("ended with wait status 0x%x", status);
}

static G_NORETURN void die_child_gone(QTestState *s, const char *when)
{
    char *what;

    reap(s, true);
    what = describe_status(s->wait_status);
    g_error("qtest-lite: vmm-mini %s %s", what, when);
}

/*
 * Wait until @fd is ready for @events or vmm-mini exits, at most the
 * hang timeout.  Returns false if vmm-mini exited first.
 */
static bool wait_fd(QTestState *s, int fd, short events, const char *what)
{
    struct pollfd pfd[2] = {
        { .fd = fd, .events = events },
        { .fd = s->pidfd, .events = POLLIN },
    };
    int n;

    do {
        n = poll(pfd, s->pidfd >= 0 ? 2 : 1, timeout_ms());
    } while (n < 0 && errno == EINTR);
    if (n == 0) {
        g_error("qtest-lite: no answer from vmm-mini within %d ms while "
                "%s", timeout_ms(), what);
    }
    if (n < 0) {
        g_error("qtest-lite: poll: %s", g_strerror(errno));
    }
    return pfd[0].revents != 0;
}

QTestState *qtest_init(const char *extra_args)
{
    const char *binary = g_getenv("QTEST_VMM_MINI");
    QTestState *s = g_new0(QTestState, 1);
    GPtrArray *argv = g_ptr_array_new_with_free_func(g_free);
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    GError *gerr = NULL;
    char **extra = NULL;
    int listen_fd, i;
    GPid pid;

    if (!binary) {
        g_error("qtest-lite: set QTEST_VMM_MINI to the vmm-mini binary");
    }
    s->tmpdir = g_dir_make_tmp("qtest-lite-XXXXXX", &gerr);
    if (!s->tmpdir) {
        g_error("qtest-lite: %s", gerr->message);
    }
    s->sock_path = g_build_filename(s->tmpdir, "qtest.sock", NULL);
    g_assert(strlen(s->sock_path) < sizeof(sa.sun_path));
    strcpy(sa.sun_path, s->sock_path);
    listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    g_assert(listen_fd >= 0);
    if (bind(listen_fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
        listen(listen_fd, 1) < 0) {
        g_error("qtest-lite: cannot listen at %s: %s", s->sock_path,
                g_strerror(errno));
    }

    g_ptr_array_add(argv, g_strdup(binary));
    g_ptr_array_add(argv, g_strdup("-accel"));
    g_ptr_array_add(argv, g_strdup("qtest"));
    g_ptr_array_add(argv, g_strdup("-qtest"));
    g_ptr_array_add(argv, g_strdup_printf("unix:%s", s->sock_path));
    if (g_getenv("QTEST_LOG")) {
        g_ptr_array_add(argv, g_strdup("-qtest-log"));
        g_ptr_array_add(argv, g_strdup("/dev/fd/2"));
    }
    if (extra_args && *extra_args &&
        !g_shell_parse_argv(extra_args, NULL, &extra, &gerr)) {
        g_error("qtest-lite: bad extra arguments '%s': %s", extra_args,
                gerr->message);
    }
    for (i = 0; extra && extra[i]; i++) {
        g_ptr_array_add(argv, g_strdup(extra[i]));
    }
    g_strfreev(extra);
    g_ptr_array_add(argv, NULL);

    if (!g_spawn_async(NULL, (char **)argv->pdata, NULL,
                       G_SPAWN_DO_NOT_REAP_CHILD, child_setup, NULL, &pid,
                       &gerr)) {
        g_error("qtest-lite: cannot start %s: %s", binary, gerr->message);
    }
    g_ptr_array_free(argv, true);
    s->pid = pid;
#ifdef SYS_pidfd_open
    s->pidfd = syscall(SYS_pidfd_open, s->pid, 0);
#else
    s->pidfd = -1;
#endif
    s->expected_status = 0;
    s->rbuf = g_string_new(NULL);

    if (!wait_fd(s, listen_fd, POLLIN, "waiting for it to connect")) {
        die_child_gone(s, "before connecting to the test");
    }
    s->fd = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);
    if (s->fd < 0) {
        g_error("qtest-lite: accept: %s", g_strerror(errno));
    }
    close(listen_fd);

    /* libqtest asks this first, too; it checks the link end to end. */
    g_free(qtest_command(s, "endianness"));
    return s;
}

QTestState *qtest_initf(const char *fmt, ...)
{
    QTestState *s;
    va_list ap;
    char *args;

    va_start(ap, fmt);
    args = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    s = qtest_init(args);
    g_free(args);
    return s;
}

void qtest_set_expected_status(QTestState *s, int status)
{
    /* qtest_quit() compares the real status with this one. */
    s->expected_status = status;
}

bool qtest_probe_child(QTestState *s)
{
    return !reap(s, false);
}

int qtest_pid(QTestState *s)
{
    return s->pid;
}

void qtest_quit(QTestState *s)
{
    char *what;

    /* vmm-mini in qtest mode exits when its client hangs up. */
    close(s->fd);
    if (!s->reaped && s->pidfd >= 0) {
        struct pollfd pfd = { .fd = s->pidfd, .events = POLLIN };
        int n;

        do {
            n = poll(&pfd, 1, timeout_ms());
        } while (n < 0 && errno == EINTR);
        if (n == 0) {
            kill(s->pid, SIGKILL);
            reap(s, true);
            g_error("qtest-lite: vmm-mini did not exit within %d ms of the "
                    "test closing its connection", timeout_ms());
        }
    }
    reap(s, true);
    if (!WIFEXITED(s->wait_status) ||
        WEXITSTATUS(s->wait_status) != s->expected_status) {
        what = describe_status(s->wait_status);
        g_error("qtest-lite: vmm-mini %s, expected exit status %d", what,
                s->expected_status);
    }
    if (s->pidfd >= 0) {
        close(s->pidfd);
    }
    unlink(s->sock_path);
    rmdir(s->tmpdir);
    g_free(s->sock_path);
    g_free(s->tmpdir);
    g_string_free(s->rbuf, true);
    g_free(s);
}

/* ------------------------------------------------------------------ */
/* Lines                                                               */
/* ------------------------------------------------------------------ */

static void send_all(QTestState *s, const char *buf, size_t len)
{
    ssize_t n;

    while (len) {
        n = send(s->fd, buf, len, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0) {
            die_child_gone(s, "while the test was sending a request");
        }
        buf += n;
        len -= n;
    }
}

/* The next line from the server, without its newline; caller frees. */
static char *read_line(QTestState *s)
{
    char chunk[65536];
    char *nl, *line;
    ssize_t n;

    while (!(nl = memchr(s->rbuf->str, '\n', s->rbuf->len))) {
        if (!wait_fd(s, s->fd, POLLIN, "waiting for a reply")) {
            /* vmm-mini exited: still read what it sent before. */
        }
        do {
            n = recv(s->fd, chunk, sizeof(chunk), MSG_DONTWAIT);
        } while (n < 0 && errno == EINTR);
        if (n == 0 || (n < 0 && errno != EAGAIN)) {
            die_child_gone(s, "and closed the connection before replying");
        }
        if (n > 0) {
            g_string_append_len(s->rbuf, chunk, n);
        }
    }
    line = g_strndup(s->rbuf->str, nl - s->rbuf->str);
    g_string_erase(s->rbuf, 0, nl - s->rbuf->str + 1);
    return line;
}

/* Record an "IRQ raise N" / "IRQ lower N" line; false if not one. */
static bool handle_async(QTestState *s, const char *line)
{
    bool raise;
    char *end;
    long n;

    if (g_str_has_prefix(line, "IRQ raise ")) {
        raise = true;
    } else if (g_str_has_prefix(line, "IRQ lower ")) {
        raise = false;
    } else {
        return false;
    }
    n = strtol(line + strlen("IRQ raise "), &end, 10);
    if (*end || n < 0 || n >= QTEST_LITE_MAX_IRQ) {
        g_error("qtest-lite: malformed line from vmm-mini: '%s'", line);
    }
    s->irq_level[n] = raise;
    if (raise) {
        s->irq_raises[n]++;
    }
    return true;
}

/* The reply to the last request, skipping asynchronous lines. */
static char *read_reply(QTestState *s)
{
    char *line;

    for (;;) {
        line = read_line(s);
        if (!handle_async(s, line)) {
            return line;
        }
        g_free(line);
    }
}

static char *command_v(QTestState *s, const char *fmt, va_list ap)
{
    char *req = g_strdup_vprintf(fmt, ap);
    char *line = g_strconcat(req, "\n", NULL);

    send_all(s, line, strlen(line));
    g_free(line);
    g_free(req);
    return read_reply(s);
}

char *qtest_command(QTestState *s, const char *fmt, ...)
{
    va_list ap;
    char *reply;

    g_return_val_if_fail(s != NULL && fmt != NULL, NULL);
    va_start(ap, fmt);
    reply = command_v(s, fmt, ap);
    va_end(ap);
    return reply;
}

/*
 * Send a request that must succeed; returns its reply (caller frees).
 * Anything but "OK" is a test failure.
 */
static char * G_GNUC_PRINTF(2, 3) command_ok(QTestState *s,
                                             const char *fmt, ...)
{
    va_list ap;
    char *reply, *req;

    va_start(ap, fmt);
    reply = command_v(s, fmt, ap);
    va_end(ap);
    if (strcmp(reply, "OK") && !g_str_has_prefix(reply, "OK ")) {
        va_start(ap, fmt);
        req = g_strdup_vprintf(fmt, ap);
        va_end(ap);
        g_error("qtest-lite: request '%.200s' got '%.200s'", req, reply);
    }
    return reply;
}

/* The number after "OK ". */
static uint64_t reply_u64(char *reply)
{
    uint64_t v;
    char *end;

    errno = 0;
    v = g_ascii_strtoull(reply + 3, &end, 0);
    if (errno || *end || end == reply + 3) {
        g_error("qtest-lite: expected 'OK NUMBER', got '%s'", reply);
    }
    g_free(reply);
    return v;
}

static int64_t reply_i64(char *reply)
{
    int64_t v;
    char *end;

    errno = 0;
    v = g_ascii_strtoll(reply + 3, &end, 0);
    if (errno || *end || end == reply + 3) {
        g_error("qtest-lite: expected 'OK NUMBER', got '%s'", reply);
    }
    g_free(reply);
    return v;
}

/* ------------------------------------------------------------------ */
/* Requests                                                            */
/* ------------------------------------------------------------------ */

void qtest_outb(QTestState *s, uint16_t addr, uint8_t value)
{
    g_free(command_ok(s, "outb 0x%x 0x%x", addr, value));
}

void qtest_outw(QTestState *s, uint16_t addr, uint16_t value)
{
    g_free(command_ok(s, "outw 0x%x 0x%x", addr, value));
}

void qtest_outl(QTestState *s, uint16_t addr, uint32_t value)
{
    g_free(command_ok(s, "outl 0x%x 0x%" PRIx32, addr, value));
}

uint8_t qtest_inb(QTestState *s, uint16_t addr)
{
    return reply_u64(command_ok(s, "inb 0x%x", addr));
}

uint16_t qtest_inw(QTestState *s, uint16_t addr)
{
    return reply_u64(command_ok(s, "inw 0x%x", addr));
}

uint32_t qtest_inl(QTestState *s, uint16_t addr)
{
    return reply_u64(command_ok(s, "inl 0x%x", addr));
}

void qtest_writeb(QTestState *s, uint64_t addr, uint8_t value)
{
    g_free(command_ok(s, "writeb 0x%" PRIx64 " 0x%x", addr, value));
}

void qtest_writew(QTestState *s, uint64_t addr, uint16_t value)
{
    g_free(command_ok(s, "writew 0x%" PRIx64 " 0x%x", addr, value));
}

void qtest_writel(QTestState *s, uint64_t addr, uint32_t value)
{
    g_free(command_ok(s, "writel 0x%" PRIx64 " 0x%" PRIx32, addr, value));
}

void qtest_writeq(QTestState *s, uint64_t addr, uint64_t value)
{
    g_free(command_ok(s, "writeq 0x%" PRIx64 " 0x%" PRIx64, addr, value));
}

uint8_t qtest_readb(QTestState *s, uint64_t addr)
{
    return reply_u64(command_ok(s, "readb 0x%" PRIx64, addr));
}

uint16_t qtest_readw(QTestState *s, uint64_t addr)
{
    return reply_u64(command_ok(s, "readw 0x%" PRIx64, addr));
}

uint32_t qtest_readl(QTestState *s, uint64_t addr)
{
    return reply_u64(command_ok(s, "readl 0x%" PRIx64, addr));
}

uint64_t qtest_readq(QTestState *s, uint64_t addr)
{
    return reply_u64(command_ok(s, "readq 0x%" PRIx64, addr));
}

void qtest_memread(QTestState *s, uint64_t addr, void *data, size_t size)
{
    uint8_t *out = data;
    char *reply;
    const char *hex;
    size_t i;

    if (!size) {
        return;
    }
    reply = command_ok(s, "read 0x%" PRIx64 " 0x%zx", addr, size);
    hex = reply + strlen("OK 0x");
    if (!g_str_has_prefix(reply, "OK 0x") || strlen(hex) != size * 2) {
        g_error("qtest-lite: bad reply to read of %zu bytes: '%.100s'",
                size, reply);
    }
    for (i = 0; i < size; i++) {
        out[i] = (g_ascii_xdigit_value(hex[2 * i]) << 4) |
                 g_ascii_xdigit_value(hex[2 * i + 1]);
    }
    g_free(reply);
}

void qtest_memwrite(QTestState *s, uint64_t addr, const void *data,
                    size_t size)
{
    const uint8_t *in = data;
    GString *hex = g_string_sized_new(size * 2 + 2);
    size_t i;

    for (i = 0; i < size; i++) {
        g_string_append_printf(hex, "%02x", in[i]);
    }
    g_free(command_ok(s, "write 0x%" PRIx64 " 0x%zx 0x%s", addr, size,
                      hex->str));
    g_string_free(hex, true);
}

void qtest_bufread(QTestState *s, uint64_t addr, void *data, size_t size)
{
    uint8_t *bytes;
    gsize len;
    char *reply;

    if (!size) {
        return;
    }
    reply = command_ok(s, "b64read 0x%" PRIx64 " 0x%zx", addr, size);
    bytes = g_base64_decode(reply + 3, &len);
    if (len != size) {
        g_error("qtest-lite: b64read of %zu bytes decoded to %zu",
                size, (size_t)len);
    }
    memcpy(data, bytes, size);
    g_free(bytes);
    g_free(reply);
}

void qtest_bufwrite(QTestState *s, uint64_t addr, const void *data,
                    size_t size)
{
    char *b64;

    if (!size) {
        return;
    }
    b64 = g_base64_encode(data, size);
    g_free(command_ok(s, "b64write 0x%" PRIx64 " 0x%zx %s", addr, size,
                      b64));
    g_free(b64);
}

void qtest_memset(QTestState *s, uint64_t addr, uint8_t patt, size_t size)
{
    g_free(command_ok(s, "memset 0x%" PRIx64 " 0x%zx 0x%02x", addr, size,
                      patt));
}

int64_t qtest_clock_step(QTestState *s, int64_t step)
{
    return reply_i64(command_ok(s, "clock_step %" PRId64, step));
}

int64_t qtest_clock_step_next(QTestState *s)
{
    return reply_i64(command_ok(s, "clock_step"));
}

int64_t qtest_clock_set(QTestState *s, int64_t val)
{
    return reply_i64(command_ok(s, "clock_set %" PRId64, val));
}

void qtest_irq_intercept_in(QTestState *s, const char *qom_path)
{
    g_free(command_ok(s, "irq_intercept_in %s", qom_path));
}

void qtest_irq_intercept_out(QTestState *s, const char *qom_path)
{
    g_free(command_ok(s, "irq_intercept_out %s", qom_path));
}

bool qtest_get_irq(QTestState *s, int num)
{
    g_assert(num >= 0 && num < QTEST_LITE_MAX_IRQ);
    /* A harmless round trip collects the IRQ lines sent before it. */
    g_free(command_ok(s, "endianness"));
    return s->irq_level[num];
}

unsigned qtest_get_irq_raises(QTestState *s, int num)
{
    g_assert(num >= 0 && num < QTEST_LITE_MAX_IRQ);
    return s->irq_raises[num];
}

void qtest_wait_irq_raises(QTestState *s, int num, unsigned count)
{
    char *line;

    g_assert(num >= 0 && num < QTEST_LITE_MAX_IRQ);
    while (s->irq_raises[num] < count) {
        line = read_line(s);
        if (!handle_async(s, line)) {
            g_error("qtest-lite: unexpected line '%.200s' while waiting "
                    "for IRQ %d", line, num);
        }
        g_free(line);
    }
}
