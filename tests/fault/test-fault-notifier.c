/*
 * qemuutil tests: EventNotifier and AioContext creation under injected
 * system-call faults (run with the libfault shim preloaded).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * Every case states the fault, then checks the outcome the API promises:
 * an interrupted read or write is retried and its result delivered, a
 * spurious EAGAIN loses no notification, a short write leaves the pipe
 * usable, and running out of fds is a clean error (-EMFILE, an Error with
 * a message), with no fd or memory leaked.
 */
#include "qemu/osdep.h"
#include <dirent.h>
#include <poll.h>
#include "qemu/event_notifier.h"
#include "qapi/error.h"
#include "block/aio.h"
#include "fault-test.h"

/* Open fds of this process, to check that failures leak none. */
static unsigned count_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    unsigned n = 0;

    g_assert_nonnull(d);
    while (readdir(d)) {
        n++;
    }
    closedir(d);
    return n;
}

static bool readable(int fd)
{
    struct pollfd pfd = { .fd = fd, .events = POLLIN };

    return poll(&pfd, 1, 0) == 1 && (pfd.revents & POLLIN);
}

/* data: "eventfd" or "pipe", the backend the case runs on. */
static void init_backend(EventNotifier *e, gconstpointer data)
{
    if (strcmp(data, "pipe") == 0) {
        g_setenv("QEMUUTIL_EVENT_NOTIFIER", "pipe", TRUE);
    }
    g_assert_cmpint(event_notifier_init(e, false), ==, 0);
    g_assert_cmpint(e->rfd != e->wfd, ==, strcmp(data, "pipe") == 0);
}

/* ---------------------------------------------------------------------- */
/* Transfers: retried, or harmless                                          */
/* ---------------------------------------------------------------------- */

/* set: write fails with EINTR three times, then the token goes through. */
static void test_set_write_eintr(gconstpointer data)
{
    EventNotifier e;
    char *spec;

    if (!fault_in_child()) {
        return;
    }
    init_backend(&e, data);
    spec = g_strdup_printf("write:EINTR:count=3:fd=%d", e.wfd);
    fault_arm(spec);
    g_assert_cmpint(event_notifier_set(&e), ==, 0);
    g_assert_cmpuint(fault_injected("write"), ==, 3);
    fault_disarm();

    g_assert_cmpint(event_notifier_test_and_clear(&e), ==, 1);
    g_assert_cmpint(event_notifier_test_and_clear(&e), ==, 0);
    event_notifier_cleanup(&e);
    g_free(spec);
}

/* test_and_clear: read fails with EINTR, the pending set is still seen. */
static void test_clear_read_eintr(gconstpointer data)
{
    EventNotifier e;
    char *spec;

    if (!fault_in_child()) {
        return;
    }
    init_backend(&e, data);
    g_assert_cmpint(event_notifier_set(&e), ==, 0);
    spec = g_strdup_printf("read:EINTR:count=3:fd=%d", e.rfd);
    fault_arm(spec);
    g_assert_cmpint(event_notifier_test_and_clear(&e), ==, 1);
    g_assert_cmpuint(fault_injected("read"), ==, 3);
    fault_disarm();

    g_assert_false(readable(e.rfd));
    g_assert_cmpint(event_notifier_test_and_clear(&e), ==, 0);
    event_notifier_cleanup(&e);
    g_free(spec);
}

/*
 * test_and_clear: a spurious EAGAIN (another reader got there first, as
 * far as the caller can tell) may report "nothing", but must not consume
 * the notification: the fd stays readable and the next call sees it.
 */
static void test_clear_read_eagain(gconstpointer data)
{
    EventNotifier e;
    char *spec;

    if (!fault_in_child()) {
        return;
    }
    init_backend(&e, data);
    g_assert_cmpint(event_notifier_set(&e), ==, 0);
    spec = g_strdup_printf("read:EAGAIN:count=1:fd=%d", e.rfd);
    fault_arm(spec);
    g_assert_cmpint(event_notifier_test_and_clear(&e), ==, 0);
    g_assert_cmpuint(fault_injected("read"), ==, 1);
    fault_disarm();

    g_assert_true(readable(e.rfd));
    g_assert_cmpint(event_notifier_test_and_clear(&e), ==, 1);
    g_assert_cmpint(event_notifier_test_and_clear(&e), ==, 0);
    event_notifier_cleanup(&e);
    g_free(spec);
}

/*
 * Pipe backend: a set whose 8-byte token is written short still wakes the
 * reader, and clearing drains the partial token, so the pipe is back to a
 * clean state for the next set.
 */
static void test_pipe_short_write(void)
{
    EventNotifier e;
    char *spec;

    if (!fault_in_child()) {
        return;
    }
    init_backend(&e, "pipe");
    spec = g_strdup_printf("write:short:every=1:fd=%d", e.wfd);
    fault_arm(spec);
    g_assert_cmpint(event_notifier_set(&e), ==, 0);
    g_assert_cmpint(event_notifier_set(&e), ==, 0);
    g_assert_cmpuint(fault_injected("write"), ==, 2);
    fault_disarm();

    g_assert_true(readable(e.rfd));
    g_assert_cmpint(event_notifier_test_and_clear(&e), ==, 1);
    g_assert_false(readable(e.rfd));
    g_assert_cmpint(event_notifier_test_and_clear(&e), ==, 0);

    g_assert_cmpint(event_notifier_set(&e), ==, 0);
    g_assert_cmpint(event_notifier_test_and_clear(&e), ==, 1);
    g_assert_cmpint(event_notifier_test_and_clear(&e), ==, 0);
    event_notifier_cleanup(&e);
    g_free(spec);
}

/* ---------------------------------------------------------------------- */
/* Creation: out of fds                                                     */
/* ---------------------------------------------------------------------- */

/*
 * data: "call:ERRNO" to inject; the backend is the pipe one when call is
 * pipe2.  init must return -errno, leave the notifier uninitialised (a
 * cleanup is a no-op) and leak no fd.
 */
static void test_init_out_of_fds(gconstpointer data)
{
    const char *spec = data;
    int expect = strstr(spec, "EMFILE") ? -EMFILE : -ENFILE;
    EventNotifier e;
    unsigned before;

    if (!fault_in_child()) {
        return;
    }
    if (g_str_has_prefix(spec, "pipe2")) {
        g_setenv("QEMUUTIL_EVENT_NOTIFIER", "pipe", TRUE);
    }
    before = count_fds();
    fault_arm(spec);
    g_assert_cmpint(event_notifier_init(&e, true), ==, expect);
    g_assert_cmpuint(fault_injected(NULL), ==, 1);
    fault_disarm();

    g_assert_false(e.initialized);
    event_notifier_cleanup(&e);
    g_assert_cmpint(event_notifier_set(&e), <, 0);
    g_assert_cmpint(event_notifier_test_and_clear(&e), ==, 0);
    g_assert_cmpuint(count_fds(), ==, before);

    /* Nothing is left broken: the next init works. */
    g_assert_cmpint(event_notifier_init(&e, true), ==, 0);
    g_assert_cmpint(event_notifier_test_and_clear(&e), ==, 1);
    event_notifier_cleanup(&e);
    g_assert_cmpuint(count_fds(), ==, before);
}

/* A host without eventfd (ENOSYS) gets a pipe instead. */
static void test_init_eventfd_enosys(void)
{
    EventNotifier e;

    if (!fault_in_child()) {
        return;
    }
    fault_arm("eventfd:ENOSYS");
    g_assert_cmpint(event_notifier_init(&e, false), ==, 0);
    g_assert_cmpuint(fault_injected("eventfd"), ==, 1);
    fault_disarm();
    g_assert_cmpint(e.rfd, !=, e.wfd);
    g_assert_cmpint(event_notifier_set(&e), ==, 0);
    g_assert_cmpint(event_notifier_test_and_clear(&e), ==, 1);
    event_notifier_cleanup(&e);
}

/*
 * aio_context_new() whose notifier cannot be created: NULL and an Error
 * naming the cause; no fd leaked; the next context can be created.  ASan
 * (check-sanitize) and valgrind check that the half-built context is freed.
 */
static void test_context_new_out_of_fds(gconstpointer data)
{
    const char *spec = data;
    const char *why = strerror(strstr(spec, "EMFILE") ? EMFILE : ENFILE);
    Error *err = NULL;
    AioContext *ctx;
    unsigned before;

    if (!fault_in_child()) {
        return;
    }
    /* Keep the other monitors' fds out of the count. */
    g_setenv("QEMUUTIL_FDMON", "poll", TRUE);
    before = count_fds();
    fault_arm(spec);
    ctx = aio_context_new(&err);
    fault_disarm();

    g_assert_null(ctx);
    g_assert_nonnull(err);
    g_assert_nonnull(strstr(error_get_pretty(err), "event notifier"));
    g_assert_nonnull(strstr(error_get_pretty(err), why));
    error_free(err);
    g_assert_cmpuint(count_fds(), ==, before);

    ctx = aio_context_new(&error_abort);
    aio_context_unref(ctx);
    g_assert_cmpuint(count_fds(), ==, before);
}

int main(int argc, char **argv)
{
    static const char *const backends[] = { "eventfd", "pipe" };
    static const char *const out_of_fds[] = {
        "eventfd:EMFILE", "eventfd:ENFILE", "pipe2:EMFILE", "pipe2:ENFILE",
    };
    unsigned i;
    char *path;

    g_test_init(&argc, &argv, NULL);
    init_clocks(NULL);

    /* Hard cases first: creation failures and what they leave behind. */
    for (i = 0; i < 2; i++) {
        path = g_strdup_printf("/fault/aio/context-new/%s",
                               out_of_fds[i]);
        g_test_add_data_func(path, out_of_fds[i],
                             test_context_new_out_of_fds);
        g_free(path);
    }
    for (i = 0; i < ARRAY_SIZE(out_of_fds); i++) {
        path = g_strdup_printf("/fault/event-notifier/init/%s",
                               out_of_fds[i]);
        g_test_add_data_func(path, out_of_fds[i], test_init_out_of_fds);
        g_free(path);
    }
    g_test_add_func("/fault/event-notifier/init/eventfd:ENOSYS-uses-pipe",
                    test_init_eventfd_enosys);
    g_test_add_func("/fault/event-notifier/pipe/set/short-write",
                    test_pipe_short_write);

    for (i = 0; i < ARRAY_SIZE(backends); i++) {
        path = g_strdup_printf("/fault/event-notifier/%s/set/write:EINTR",
                               backends[i]);
        g_test_add_data_func(path, backends[i], test_set_write_eintr);
        g_free(path);
        path = g_strdup_printf("/fault/event-notifier/%s/test-and-clear/"
                               "read:EINTR", backends[i]);
        g_test_add_data_func(path, backends[i], test_clear_read_eintr);
        g_free(path);
        path = g_strdup_printf("/fault/event-notifier/%s/test-and-clear/"
                               "read:EAGAIN", backends[i]);
        g_test_add_data_func(path, backends[i], test_clear_read_eagain);
        g_free(path);
    }
    return g_test_run();
}
