/*
 * qemuutil: fd handler tests: add/replace/remove from callbacks, write
 * handlers, bad fds, many fds, event notifiers.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "qemu/osdep.h"
#include <sys/resource.h>
#include "block/aio.h"
#include "qapi/error.h"

static AioContext *ctx;

typedef struct Probe {
    EventNotifier e;
    int reads;
    int writes;
    bool drain;                 /* clear the notifier when read */
    struct Probe *other;        /* for the cross-removal cases */
} Probe;

static void probe_init(Probe *p, bool set)
{
    memset(p, 0, sizeof(*p));
    g_assert_cmpint(event_notifier_init(&p->e, set), ==, 0);
}

static void probe_unregister(Probe *p)
{
    aio_set_event_notifier(ctx, &p->e, NULL, NULL, NULL);
}

static void probe_fini(Probe *p)
{
    probe_unregister(p);
    event_notifier_cleanup(&p->e);
}

static void settle(void)
{
    while (aio_poll(ctx, false)) {
        continue;
    }
}

/* Hard cases first. */

static void read_and_remove_self(EventNotifier *e)
{
    Probe *p = container_of(e, Probe, e);

    p->reads++;
    /* Leave the fd readable: a stale dispatch would show up. */
    aio_set_event_notifier(ctx, e, NULL, NULL, NULL);
}

static void test_delete_in_own_callback(void)
{
    Probe p;
    int i;

    probe_init(&p, true);
    aio_set_event_notifier(ctx, &p.e, read_and_remove_self, NULL, NULL);
    g_assert_true(aio_poll(ctx, true));
    g_assert_cmpint(p.reads, ==, 1);
    for (i = 0; i < 3; i++) {
        g_assert_false(aio_poll(ctx, false));
    }
    g_assert_cmpint(p.reads, ==, 1);
    event_notifier_cleanup(&p.e);
}

static void plain_read(EventNotifier *e)
{
    Probe *p = container_of(e, Probe, e);

    p->reads++;
    if (p->drain) {
        event_notifier_test_and_clear(e);
    }
}

static void read_and_replace_self(EventNotifier *e)
{
    Probe *p = container_of(e, Probe, e);

    p->writes++;                /* counts runs of the first handler */
    p->drain = true;
    aio_set_event_notifier(ctx, e, plain_read, NULL, NULL);
}

static void test_replace_in_own_callback(void)
{
    Probe p;

    probe_init(&p, true);
    aio_set_event_notifier(ctx, &p.e, read_and_replace_self, NULL, NULL);
    /* The first handler runs; its replacement waits for the next pass. */
    g_assert_true(aio_poll(ctx, true));
    g_assert_cmpint(p.writes, ==, 1);
    g_assert_cmpint(p.reads, ==, 0);
    /* The fd is still readable: the replacement runs and drains it. */
    g_assert_true(aio_poll(ctx, true));
    g_assert_cmpint(p.writes, ==, 1);
    g_assert_cmpint(p.reads, ==, 1);
    g_assert_false(aio_poll(ctx, false));
    probe_fini(&p);
}

static void read_and_remove_other(EventNotifier *e)
{
    Probe *p = container_of(e, Probe, e);

    p->reads++;
    event_notifier_test_and_clear(e);
    aio_set_event_notifier(ctx, &p->other->e, NULL, NULL, NULL);
}

static void test_remove_other_in_same_dispatch(void)
{
    Probe a, b;

    probe_init(&a, true);
    probe_init(&b, true);
    a.other = &b;
    b.other = &a;
    aio_set_event_notifier(ctx, &a.e, read_and_remove_other, NULL, NULL);
    aio_set_event_notifier(ctx, &b.e, read_and_remove_other, NULL, NULL);

    /* Both are ready in one wait; whichever runs first removes the other,
     * which must then not run even though it is on the ready list. */
    g_assert_true(aio_poll(ctx, true));
    g_assert_cmpint(a.reads + b.reads, ==, 1);
    settle();
    g_assert_cmpint(a.reads + b.reads, ==, 1);

    probe_unregister(&a);
    probe_unregister(&b);
    event_notifier_cleanup(&a.e);
    event_notifier_cleanup(&b.e);
}

typedef struct {
    int fd;
    int writes;
} Writer;

static void on_writable(void *opaque)
{
    Writer *w = opaque;

    w->writes++;
    /* Done after one: remove ourselves from the write callback. */
    aio_set_fd_handler(ctx, w->fd, NULL, NULL, NULL, NULL, NULL);
}

static void test_write_handler(void)
{
    int fds[2];
    Writer w = { 0 };
    char c;

    g_assert_cmpint(pipe(fds), ==, 0);
    w.fd = fds[1];
    aio_set_fd_handler(ctx, fds[1], NULL, on_writable, NULL, NULL, &w);
    g_assert_true(aio_poll(ctx, true));
    g_assert_cmpint(w.writes, ==, 1);
    settle();
    g_assert_cmpint(w.writes, ==, 1);

    /* Read and write handlers on one fd: only the ready side runs. */
    g_assert_cmpint(write(fds[1], "x", 1), ==, 1);
    g_assert_cmpint(read(fds[0], &c, 1), ==, 1);
    close(fds[0]);
    close(fds[1]);
}

static void never_called(void *opaque)
{
    g_assert_not_reached();
}

/*
 * A closed fd is registered (a caller bug QEMU tolerates): poll reports it
 * as invalid, which no handler asked for, so nothing is dispatched, other
 * handlers keep working, aio_poll() returns instead of spinning inside,
 * and the handler can be removed.
 */
static void test_bad_fd(void)
{
    int fds[2];
    Probe p;
    int i;

    /* The probe first, so that it cannot reuse the closed fd's number. */
    probe_init(&p, false);
    p.drain = true;
    aio_set_event_notifier(ctx, &p.e, plain_read, NULL, NULL);

    g_assert_cmpint(pipe(fds), ==, 0);
    close(fds[0]);
    close(fds[1]);
    aio_set_fd_handler(ctx, fds[0], never_called, NULL, NULL, NULL, NULL);
    for (i = 0; i < 5; i++) {
        g_assert_false(aio_poll(ctx, true));
    }
    event_notifier_set(&p.e);
    g_assert_true(aio_poll(ctx, true));
    g_assert_cmpint(p.reads, ==, 1);

    aio_set_fd_handler(ctx, fds[0], NULL, NULL, NULL, NULL, NULL);
    probe_fini(&p);
    settle();
}

#define MANY_FDS 8192

static void test_many_fds(void)
{
    struct rlimit rl;
    Probe *probes;
    int i, round;

    g_assert_cmpint(getrlimit(RLIMIT_NOFILE, &rl), ==, 0);
    if (rl.rlim_cur < MANY_FDS + 64) {
        rl.rlim_cur = MIN(rl.rlim_max, (rlim_t)MANY_FDS + 256);
        setrlimit(RLIMIT_NOFILE, &rl);
        getrlimit(RLIMIT_NOFILE, &rl);
    }
    if (rl.rlim_cur < MANY_FDS + 64) {
        g_test_skip("RLIMIT_NOFILE too low for 8192 eventfds");
        return;
    }

    probes = g_new0(Probe, MANY_FDS);
    for (i = 0; i < MANY_FDS; i++) {
        g_assert_cmpint(event_notifier_init(&probes[i].e, false), ==, 0);
        probes[i].drain = true;
        aio_set_event_notifier(ctx, &probes[i].e, plain_read, NULL, NULL);
    }
    settle();

    /* One active fd at a time, spread over the set: exactly it runs. */
    for (round = 0; round < 200; round++) {
        Probe *hot = &probes[(round * 4099) % MANY_FDS];
        int before = hot->reads;

        event_notifier_set(&hot->e);
        g_assert_true(aio_poll(ctx, true));
        g_assert_cmpint(hot->reads, ==, before + 1);
    }
    for (i = 0; i < MANY_FDS; i++) {
        g_assert_cmpint(probes[i].reads, <=, 1);
    }

    for (i = 0; i < MANY_FDS; i++) {
        probe_fini(&probes[i]);
    }
    settle();
    g_free(probes);
}

/* Event notifiers (the semantics of QEMU's /aio/event/ cases). */

static void counted_read(EventNotifier *e)
{
    Probe *p = container_of(e, Probe, e);

    g_assert_true(event_notifier_test_and_clear(e));
    p->reads++;
    if (p->writes > 0) {        /* "writes" = remaining re-arms here */
        p->writes--;
        if (p->writes) {
            event_notifier_set(e);
        }
    }
}

static void test_event_add_remove(void)
{
    Probe p;

    probe_init(&p, false);
    aio_set_event_notifier(ctx, &p.e, counted_read, NULL, NULL);
    g_assert_false(aio_poll(ctx, false));
    probe_unregister(&p);
    g_assert_false(aio_poll(ctx, false));
    g_assert_cmpint(p.reads, ==, 0);
    event_notifier_cleanup(&p.e);
}

static void test_event_wait(void)
{
    Probe p;

    probe_init(&p, false);
    aio_set_event_notifier(ctx, &p.e, counted_read, NULL, NULL);
    settle();
    g_assert_cmpint(p.reads, ==, 0);
    event_notifier_set(&p.e);
    g_assert_true(aio_poll(ctx, false));
    g_assert_cmpint(p.reads, ==, 1);
    g_assert_false(aio_poll(ctx, false));
    probe_fini(&p);
    g_assert_false(aio_poll(ctx, false));
    g_assert_cmpint(p.reads, ==, 1);
}

/* A handler that re-arms itself runs exactly once per aio_poll(). */
static void test_event_flush(void)
{
    Probe p;
    int i;

    probe_init(&p, false);
    p.writes = 10;
    aio_set_event_notifier(ctx, &p.e, counted_read, NULL, NULL);
    settle();
    event_notifier_set(&p.e);
    for (i = 1; i <= 10; i++) {
        g_assert_true(aio_poll(ctx, false));
        g_assert_cmpint(p.reads, ==, i);
    }
    g_assert_false(aio_poll(ctx, false));
    probe_fini(&p);
}

/* An active descriptor makes even a blocking aio_poll() return at once. */
static void test_event_wait_no_flush(void)
{
    Probe p, other;

    probe_init(&p, false);
    probe_init(&other, false);
    aio_set_event_notifier(ctx, &p.e, counted_read, NULL, NULL);
    aio_set_event_notifier(ctx, &other.e, counted_read, NULL, NULL);
    settle();
    event_notifier_set(&p.e);
    g_assert_true(aio_poll(ctx, true));
    g_assert_cmpint(p.reads, ==, 1);
    g_assert_false(aio_poll(ctx, false));
    event_notifier_set(&other.e);
    g_assert_true(aio_poll(ctx, true));
    g_assert_cmpint(other.reads, ==, 1);
    g_assert_cmpint(p.reads, ==, 1);
    probe_fini(&other);
    probe_fini(&p);
    settle();
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);

    ctx = aio_context_new(&error_abort);
    qemu_set_current_aio_context(ctx);
    settle();

    g_test_add_func("/aio/fd/delete-in-own-callback",
                    test_delete_in_own_callback);
    g_test_add_func("/aio/fd/replace-in-own-callback",
                    test_replace_in_own_callback);
    g_test_add_func("/aio/fd/remove-other-same-dispatch",
                    test_remove_other_in_same_dispatch);
    g_test_add_func("/aio/fd/bad-fd", test_bad_fd);
    g_test_add_func("/aio/fd/many-fds-one-active", test_many_fds);
    g_test_add_func("/aio/fd/write-handler", test_write_handler);
    g_test_add_func("/aio/event/add-remove", test_event_add_remove);
    g_test_add_func("/aio/event/wait", test_event_wait);
    g_test_add_func("/aio/event/flush", test_event_flush);
    g_test_add_func("/aio/event/wait/no-flush-cb", test_event_wait_no_flush);
    return g_test_run();
}
