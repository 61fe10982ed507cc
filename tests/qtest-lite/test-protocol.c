/*
 * qtest-lite protocol tests: every command's reply format, malformed
 * requests, bulk round trips, the stdio transport, a second client and a
 * client that stops reading.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "qemu/osdep.h"

#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>

#include "libqtest-lite.h"

/* Reply @s must match the GRegex @pattern (anchored). */
static void assert_reply(char *reply, const char *pattern)
{
    char *anchored = g_strdup_printf("^(?:%s)$", pattern);

    if (!g_regex_match_simple(anchored, reply, 0, 0)) {
        g_error("reply '%s' does not match '%s'", reply, pattern);
    }
    g_free(anchored);
    g_free(reply);
}

/* Hard cases first: nothing a client sends may kill the server. */
static void test_malformed(void)
{
    static const char *const bad[] = {
        "outb", "outb 1", "outb 1 2 3", "outb 0x10000 1", "outb x 1",
        "outb 1 0x100", "outw 1 0x10000", "outl 1 0x100000000",
        "outb -1 1", "outb 1 -1", "outb 0x 1", "outb 1x 1",
        "inb 99999999999999999999999", "inl 0x1ffffffffffffffff",
        "readl", "writeq 0 0x1ffffffffffffffff", "writeb 0 256",
        "read 0 0", "read 0xa0000 1", "read 0x9ffff 2",
        "read 0xffffffffffffffff 2", "read 0 0xffffffffffffffff",
        "write 0 2 0x123", "write 0 1 0x1234", "write 0 2 1234",
        "write 0 2 0xzz", "write 0xa0000 1 0x00", "write 0 1",
        "b64read 0 0", "b64read 0x9ffff 2",
        "b64write 0 3 AAA", "b64write 0 3 AA=A", "b64write 0 3 !!!!",
        "b64write 0 2 AAAA", "b64write 0 1 AA", "b64write 0xa0000 3 AAAA",
        "b64write 0 0xffffffffffffffff AAAA",
        "memset 0 1 256", "memset 0xa0000 1 0", "memset 0 0xa0001 0",
        "clock_step abc", "clock_step -5", "clock_step 0",
        "clock_step 9223372036854775807", "clock_step 1 2", "clock_set",
        "clock_set x", "irq_intercept_in nosuch", "irq_intercept_in",
        "irq_intercept_out serial", "irq_intercept_out ioapic",
        "irq_intercept_in ioapic named", "irq_intercept_in doorbell-pio",
        "irq_intercept_out doorbell-pio named",
        "set_irq_in ioapic unnamed-gpio-in 1 1", "module_load a b",
        "endianness extra", "foo", "OUTB 0x80 1", "\x01\x02\x7f",
    };
    QTestState *s = qtest_init(NULL);
    size_t i;

    /* From 1, a step of INT64_MAX overflows the clock. */
    g_assert_cmpint(qtest_clock_step(s, 1), ==, 1);
    for (i = 0; i < ARRAY_SIZE(bad); i++) {
        char *reply = qtest_command(s, "%s", bad[i]);

        if (!g_str_has_prefix(reply, "FAIL ")) {
            g_error("'%s' got '%s', not FAIL", bad[i], reply);
        }
        g_free(reply);
    }
    assert_reply(qtest_command(s, "%s", ""), "FAIL empty request");
    assert_reply(qtest_command(s, "   \t "), "FAIL empty request");
    assert_reply(qtest_command(s, "frobnicate 1"),
                 "FAIL Unknown command 'frobnicate'");
    assert_reply(qtest_command(s, "\x01zz"),
                 "FAIL Unknown command '\\?zz'");
    /* The server is still there and still consistent. */
    assert_reply(qtest_command(s, "endianness"), "OK little");
    qtest_quit(s);
}

static void test_overlong_line(void)
{
    QTestState *s = qtest_init(NULL);
    size_t n = 5 * 1024 * 1024;
    char *big = g_malloc(n + 1);

    memset(big, '0', n);
    big[n] = '\0';
    assert_reply(qtest_command(s, "write 0 1 0x%s", big),
                 "FAIL line too long .*");
    /* The line after it is parsed from its start. */
    assert_reply(qtest_command(s, "inb 0x3fd"), "OK 0x0060");
    g_free(big);
    qtest_quit(s);
}

static void test_reply_formats(void)
{
    QTestState *s = qtest_init(NULL);

    assert_reply(qtest_command(s, "endianness"), "OK little");
    assert_reply(qtest_command(s, "outb 0x3ff 0x5a"), "OK");
    assert_reply(qtest_command(s, "inb 0x3ff"), "OK 0x005a");
    assert_reply(qtest_command(s, "inl 0x700"), "OK 0x4c454244");
    assert_reply(qtest_command(s, "outw 0x704 0x1234"), "OK");
    assert_reply(qtest_command(s, "outl 0x704 0x8000"), "OK");
    assert_reply(qtest_command(s, "inw 0x3fd"), "OK 0x[0-9a-f]{4}");
    assert_reply(qtest_command(s, "writeb 0x8000 0x11"), "OK");
    assert_reply(qtest_command(s, "writew 0x8002 0x2233"), "OK");
    assert_reply(qtest_command(s, "writel 0x8004 0x44556677"), "OK");
    assert_reply(qtest_command(s, "writeq 0x8008 0x8899aabbccddeeff"),
                 "OK");
    assert_reply(qtest_command(s, "readb 0x8000"), "OK 0x0000000000000011");
    assert_reply(qtest_command(s, "readw 0x8002"), "OK 0x0000000000002233");
    assert_reply(qtest_command(s, "readl 0x8004"), "OK 0x0000000044556677");
    assert_reply(qtest_command(s, "readq 0x8008"), "OK 0x8899aabbccddeeff");
    assert_reply(qtest_command(s, "read 0x8000 4"), "OK 0x11003322");
    assert_reply(qtest_command(s, "b64read 0x8000 4"), "OK EQAzIg==");
    assert_reply(qtest_command(s, "b64write 0x8000 3 AQID"), "OK");
    assert_reply(qtest_command(s, "read 0x8000 3"), "OK 0x010203");
    assert_reply(qtest_command(s, "write 0x8000 4 0xaBcD"), "OK");
    /* Short data is zero-filled, as in QEMU. */
    assert_reply(qtest_command(s, "read 0x8000 4"), "OK 0xabcd0000");
    assert_reply(qtest_command(s, "memset 0x8000 2 0xee"), "OK");
    assert_reply(qtest_command(s, "memset 0x8000 0 0xee"), "OK");
    assert_reply(qtest_command(s, "read 0x8000 3"), "OK 0xeeee00");
    /* MMIO through readl/writel: the doorbell at 0xd0000. */
    assert_reply(qtest_command(s, "readl 0xd0000"), "OK 0x000000004c454244");
    assert_reply(qtest_command(s, "readl 0xd0008"), "OK 0x0000000000000000");
    assert_reply(qtest_command(s, "writel 0xd0008 0x10"), "OK");
    assert_reply(qtest_command(s, "readl 0xd0008"), "OK 0x0000000000000010");
    /* Nothing at all there: reads are all ones. */
    assert_reply(qtest_command(s, "readl 0xe0000"), "OK 0x00000000ffffffff");
    /* Clock: nothing pending at first. */
    assert_reply(qtest_command(s, "clock_step"),
                 "FAIL cannot advance clock to the next deadline because "
                 "there is no pending deadline");
    assert_reply(qtest_command(s, "clock_step 10"), "OK 10");
    assert_reply(qtest_command(s, "clock_step 0x10"), "OK 26");
    assert_reply(qtest_command(s, "clock_set 1000"), "OK 1000");
    assert_reply(qtest_command(s, "clock_set 5"), "FAIL 1000");
    assert_reply(qtest_command(s, "clock_set 1000"), "OK 1000");
    /* IRQ intercepts. */
    assert_reply(qtest_command(s, "irq_intercept_in ioapic"), "OK");
    assert_reply(qtest_command(s, "irq_intercept_in ioapic"), "OK");
    assert_reply(qtest_command(s, "irq_intercept_out doorbell-pio"),
                 "FAIL IRQ intercept already enabled");
    assert_reply(qtest_command(s, "irq_intercept_in /machine/nosuch"),
                 "FAIL Unknown device");
    /* Blanks: runs of spaces and tabs separate words; CRLF is fine. */
    assert_reply(qtest_command(s, "  inb\t 0x3ff  "), "OK 0x005a");
    assert_reply(qtest_command(s, "inb 0x3ff\r"), "OK 0x005a");
    qtest_quit(s);
}

static void check_roundtrip(QTestState *s, uint64_t addr, size_t len,
                            bool b64_in, bool b64_out)
{
    uint8_t *in = g_malloc(len), *out = g_malloc0(len);
    size_t i;

    for (i = 0; i < len; i++) {
        in[i] = g_test_rand_int_range(0, 256);
    }
    if (b64_in) {
        qtest_bufwrite(s, addr, in, len);
    } else {
        qtest_memwrite(s, addr, in, len);
    }
    if (b64_out) {
        qtest_bufread(s, addr, out, len);
    } else {
        qtest_memread(s, addr, out, len);
    }
    g_assert_cmpmem(in, len, out, len);
    g_free(in);
    g_free(out);
}

static void test_b64_roundtrip(void)
{
    QTestState *s = qtest_init(NULL);
    size_t sizes[] = { 1, 2, 3, 4, 5, 63, 64, 65, 4096, 0xa0000 };
    size_t i;

    for (i = 0; i < ARRAY_SIZE(sizes); i++) {
        uint64_t addr = sizes[i] == 0xa0000 ? 0 : 0x9000 + i;

        check_roundtrip(s, addr, sizes[i], true, true);
        check_roundtrip(s, addr, sizes[i], true, false);
        check_roundtrip(s, addr, sizes[i], false, true);
    }
    /* The last byte of RAM, and memset over all of it. */
    qtest_writeb(s, 0x9ffff, 0x42);
    g_assert_cmphex(qtest_readb(s, 0x9ffff), ==, 0x42);
    qtest_memset(s, 0, 0x77, 0xa0000);
    g_assert_cmphex(qtest_readq(s, 0x4ff8), ==, 0x7777777777777777ull);
    qtest_quit(s);
}

/* ------------------------------------------------------------------ */
/* Raw transports                                                      */
/* ------------------------------------------------------------------ */

static const char *vmm_mini(void)
{
    const char *bin = g_getenv("QTEST_VMM_MINI");

    g_assert(bin);
    return bin;
}

/* Read from @fd until @want lines arrived; returns them (g_strfreev). */
static char **read_lines(int fd, int want)
{
    GString *buf = g_string_new(NULL);
    char chunk[65536], **lines;
    int got = 0;
    ssize_t n, i;
    struct pollfd pfd = { .fd = fd, .events = POLLIN };

    while (got < want) {
        g_assert_cmpint(poll(&pfd, 1, QTEST_LITE_TIMEOUT_S * 3000), ==, 1);
        n = read(fd, chunk, sizeof(chunk));
        if (n <= 0) {
            break;
        }
        g_string_append_len(buf, chunk, n);
        for (i = 0; i < n; i++) {
            got += chunk[i] == '\n';
        }
    }
    g_assert_cmpint(got, ==, want);
    g_string_truncate(buf, buf->len - 1);
    lines = g_strsplit(buf->str, "\n", -1);
    g_string_free(buf, true);
    return lines;
}

static void write_all(int fd, const void *buf, size_t len)
{
    const char *p = buf;
    ssize_t n;

    while (len) {
        n = send(fd, p, len, MSG_NOSIGNAL);
        if (n < 0 && errno == ENOTSOCK) {
            n = write(fd, p, len);
        }
        g_assert_cmpint(n, >, 0);
        p += n;
        len -= n;
    }
}

/*
 * -qtest stdio, with pipelined requests, a NUL byte and CRLF in one
 * write; EOF on stdin ends vmm-mini with status 0.
 */
static void test_stdio(void)
{
    static const char req[] =
        "endianness\n"
        "inb 0x3fd\r\n"
        "inb\0 0x3fd\n"
        "bogus\n"
        "outb 0x3f8 0x41\n"
        "clock_step 7\n";
    const char *argv[] = { vmm_mini(), "-accel", "qtest", "-qtest", "stdio",
                           NULL };
    int in_fd, out_fd, status;
    GError *err = NULL;
    char **lines;
    GPid pid;

    g_assert(g_spawn_async_with_pipes(NULL, (char **)argv, NULL,
                                      G_SPAWN_DO_NOT_REAP_CHILD, NULL, NULL,
                                      &pid, &in_fd, &out_fd, NULL, &err));
    write_all(in_fd, req, sizeof(req) - 1);
    lines = read_lines(out_fd, 6);
    g_assert_cmpstr(lines[0], ==, "OK little");
    g_assert_cmpstr(lines[1], ==, "OK 0x0060");
    g_assert_cmpstr(lines[2], ==, "FAIL request contains a NUL byte");
    g_assert_cmpstr(lines[3], ==, "FAIL Unknown command 'bogus'");
    g_assert_cmpstr(lines[4], ==, "OK");
    g_assert_cmpstr(lines[5], ==, "OK 7");
    g_strfreev(lines);
    close(in_fd);
    g_assert_cmpint(waitpid(pid, &status, 0), ==, pid);
    g_assert_true(WIFEXITED(status));
    g_assert_cmpint(WEXITSTATUS(status), ==, 0);
    close(out_fd);
}

static int connect_unix(const char *path, bool retry)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    gint64 deadline = g_get_monotonic_time() + 10 * G_USEC_PER_SEC;
    int fd;

    g_assert(strlen(path) < sizeof(sa.sun_path));
    strcpy(sa.sun_path, path);
    for (;;) {
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        g_assert(fd >= 0);
        if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
            return fd;
        }
        close(fd);
        /*
         * Only while vmm-mini starts up: nothing announces that it
         * listens, so retry until the socket appears (bounded).
         */
        g_assert_true(retry && g_get_monotonic_time() < deadline);
        g_usleep(2000);
    }
}

/*
 * Server mode: one client at a time.  A second client is refused at once
 * even while the first has stopped reading a large backlog of replies,
 * and the first is served in full once it reads again.
 */
static void test_second_client(void)
{
    char *dir = g_dir_make_tmp("qtest-lite-XXXXXX", NULL);
    char *path = g_build_filename(dir, "server.sock", NULL);
    char *spec = g_strdup_printf("unix:%s,server", path);
    const char *argv[] = { vmm_mini(), "-accel", "qtest", "-qtest", spec,
                           NULL };
    GError *err = NULL;
    GString *req = g_string_new(NULL);
    char **lines;
    int c1, c2, c3, status, i, nreq = 40;
    GPid pid;

    g_assert(g_spawn_async(NULL, (char **)argv, NULL,
                           G_SPAWN_DO_NOT_REAP_CHILD, NULL, NULL, &pid,
                           &err));
    c1 = connect_unix(path, true);
    write_all(c1, "endianness\n", 11);
    lines = read_lines(c1, 1);
    g_assert_cmpstr(lines[0], ==, "OK little");
    g_strfreev(lines);

    /* c1 asks for ~35 MB of replies and does not read them yet. */
    for (i = 0; i < nreq; i++) {
        g_string_append(req, "b64read 0 0xa0000\n");
    }
    write_all(c1, req->str, req->len);

    c2 = connect_unix(path, false);
    lines = read_lines(c2, 1);
    g_assert_cmpstr(lines[0], ==, "FAIL another qtest client is connected");
    g_strfreev(lines);
    close(c2);

    /* Now c1 reads everything, in order. */
    lines = read_lines(c1, nreq);
    for (i = 0; i < nreq; i++) {
        g_assert_true(g_str_has_prefix(lines[i], "OK AAAA"));
    }
    g_strfreev(lines);
    close(c1);

    /* The server outlives its client and takes the next one. */
    c3 = connect_unix(path, true);
    write_all(c3, "inb 0x3fd\n", 10);
    lines = read_lines(c3, 1);
    g_assert_cmpstr(lines[0], ==, "OK 0x0060");
    g_strfreev(lines);
    close(c3);

    kill(pid, SIGTERM);
    g_assert_cmpint(waitpid(pid, &status, 0), ==, pid);
    g_string_free(req, true);
    unlink(path);
    rmdir(dir);
    g_free(spec);
    g_free(path);
    g_free(dir);
}

static void test_log(void)
{
    char *dir = g_dir_make_tmp("qtest-lite-XXXXXX", NULL);
    char *log = g_build_filename(dir, "qtest.log", NULL);
    char *contents;
    QTestState *s = qtest_initf("-qtest-log %s", log);

    assert_reply(qtest_command(s, "inb 0x3fd"), "OK 0x0060");
    assert_reply(qtest_command(s, "nope"), "FAIL Unknown command 'nope'");
    qtest_quit(s);
    g_assert_true(g_file_get_contents(log, &contents, NULL, NULL));
    g_assert_true(g_regex_match_simple("\\[R \\+[0-9.]+\\] inb 0x3fd\n"
                                       "\\[S \\+[0-9.]+\\] OK 0x0060\n",
                                       contents, 0, 0));
    g_assert_nonnull(strstr(contents, "] FAIL Unknown command 'nope'\n"));
    g_free(contents);
    unlink(log);
    rmdir(dir);
    g_free(log);
    g_free(dir);
}

static void test_usage(void)
{
    const char *cases[][6] = {
        { vmm_mini(), "-accel", "qtest", NULL },
        { vmm_mini(), "-accel", "tcg", "-qtest", "stdio", NULL },
        { vmm_mini(), "-qtest", "tcp:1234", NULL },
        { vmm_mini(), "-qtest", "unix:/x,bogus", NULL },
    };
    size_t i;

    for (i = 0; i < ARRAY_SIZE(cases); i++) {
        int status;

        g_assert_true(g_spawn_sync(NULL, (char **)cases[i], NULL,
                                   G_SPAWN_STDOUT_TO_DEV_NULL |
                                   G_SPAWN_STDERR_TO_DEV_NULL,
                                   NULL, NULL, NULL, NULL, &status, NULL));
        g_assert_true(WIFEXITED(status));
        g_assert_cmpint(WEXITSTATUS(status), ==, 64);
    }
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/qtest/protocol/malformed", test_malformed);
    g_test_add_func("/qtest/protocol/overlong-line", test_overlong_line);
    g_test_add_func("/qtest/protocol/second-client", test_second_client);
    g_test_add_func("/qtest/protocol/reply-formats", test_reply_formats);
    g_test_add_func("/qtest/protocol/b64-roundtrip", test_b64_roundtrip);
    g_test_add_func("/qtest/protocol/stdio", test_stdio);
    g_test_add_func("/qtest/protocol/log", test_log);
    g_test_add_func("/qtest/protocol/usage", test_usage);
    return g_test_run();
}
