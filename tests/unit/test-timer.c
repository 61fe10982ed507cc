/*
 * qemuutil: unit tests for clocks, timer lists and timers
 * (include/qemu/timer.h, util/qemu-timer.c).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * Everything that can be is driven by QEMU_CLOCK_VIRTUAL, which in the
 * standalone library only moves when a test sets it, so expiry order and
 * deadlines are exact and nothing sleeps.  Each case uses its own timer
 * list group (with a notify callback that counts calls) unless it is about
 * main_loop_tlg, and leaves no timer armed behind it.
 *
 * Cases built to fail when a known bug comes back:
 *  - /timer/enable/disable-waits-for-callback: the disabling thread checks
 *    that the running callback has finished when qemu_clock_enable(false)
 *    returns; the callback only finishes once the disabler is asleep (or
 *    has returned, which is the bug), so a non-waiting disable fails every
 *    iteration instead of by luck.
 *  - /timer/model/random: 10k random operations checked step by step
 *    against a sorted-array model: firing order with many equal expiries,
 *    deadlines, pending state and when the notify callback must be called.
 *  - /timer/concurrent/mod-del: threads arm and disarm shared timers while
 *    the home thread runs the list; afterwards the list must still order
 *    and fire every timer exactly once.
 */
#include "qemu/osdep.h"
#include <sched.h>
#include <sys/syscall.h>
#include "qemu/atomic.h"
#include "qemu/thread.h"
#include "qemu/timer.h"
#include "system/cpu-timers.h"

/* ---------------------------------------------------------------------- */
/* Helpers                                                                  */
/* ---------------------------------------------------------------------- */

/* A timer list group whose notify callback counts calls per clock. */
typedef struct {
    QEMUTimerListGroup tlg;
    int notified[QEMU_CLOCK_MAX];       /* atomic */
} Group;

static void group_notify(void *opaque, QEMUClockType type)
{
    Group *g = opaque;

    qatomic_inc(&g->notified[type]);
}

static void group_init(Group *g)
{
    memset(g, 0, sizeof(*g));
    timerlistgroup_init(&g->tlg, group_notify, g);
}

static int notified(Group *g, QEMUClockType type)
{
    return qatomic_read(&g->notified[type]);
}

/* Start every case from virtual time 0 with the virtual clock running. */
static void virtual_reset(void)
{
    cpus_set_virtual_clock(0);
    qemu_clock_enable(QEMU_CLOCK_VIRTUAL, true);
}

static void virtual_set(int64_t ns)
{
    cpus_set_virtual_clock(ns);
}

/* Firing log shared by the simple cases. */
static GArray *fire_log;

typedef struct TestTimer {
    QEMUTimer timer;
    int id;
    int fired;
    int64_t clock_at_fire;      /* virtual clock seen by the callback */
    /* Optional actions performed by the callback. */
    int rearm_times;            /* re-arm itself this many times ... */
    int64_t rearm_delta;        /* ... at now + rearm_delta */
    QEMUTimer *delete_other;    /* timer_del() this timer */
    bool free_self;             /* timer_free() its own (heap) timer */
    QEMUTimer *heap_timer;
} TestTimer;

static void test_timer_cb(void *opaque)
{
    TestTimer *t = opaque;
    int64_t now = qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL);

    t->fired++;
    t->clock_at_fire = now;
    if (fire_log) {
        g_array_append_val(fire_log, t->id);
    }
    if (t->rearm_times > 0) {
        t->rearm_times--;
        timer_mod_ns(&t->timer, now + t->rearm_delta);
    }
    if (t->delete_other) {
        timer_del(t->delete_other);
    }
    if (t->free_self) {
        /* The callback frees the very timer whose callback is running. */
        timer_free(t->heap_timer);
        t->heap_timer = NULL;
    }
}

static void test_timer_init(TestTimer *t, Group *g, QEMUClockType type, int id)
{
    memset(t, 0, sizeof(*t));
    t->id = id;
    timer_init_full(&t->timer, g ? &g->tlg : NULL, type, SCALE_NS, 0,
                    test_timer_cb, t);
}

static void log_reset(void)
{
    if (fire_log) {
        g_array_free(fire_log, TRUE);
    }
    fire_log = g_array_new(FALSE, FALSE, sizeof(int));
}

static void log_check(const int *expected, size_t n)
{
    size_t i;

    g_assert_cmpuint(fire_log->len, ==, n);
    for (i = 0; i < n; i++) {
        g_assert_cmpint(g_array_index(fire_log, int, i), ==, expected[i]);
    }
}

/* ---------------------------------------------------------------------- */
/* qemu_clock_enable(false) waits for running callbacks                    */
/* ---------------------------------------------------------------------- */

typedef struct {
    Group g;
    TestTimer t;
    QemuThread thread;
    int tid;                    /* atomic: disabler's kernel thread id */
    int in_cb;                  /* atomic */
    int disabling;              /* atomic: disabler is about to disable */
    int disable_returned;       /* atomic */
    int cb_done;                /* atomic */
    int cb_done_at_return;      /* what the disabler saw on return */
} DisableRace;

/* Whether kernel thread @tid is asleep (state S or D in /proc). */
static bool thread_is_asleep(int tid)
{
    char path[64];
    char *text = NULL;
    char *state;
    bool asleep = false;

    snprintf(path, sizeof(path), "/proc/self/task/%d/stat", tid);
    if (!g_file_get_contents(path, &text, NULL, NULL)) {
        return false;
    }
    /* The state follows the parenthesised command name. */
    state = strrchr(text, ')');
    if (state && state[1] == ' ') {
        asleep = state[2] == 'S' || state[2] == 'D';
    }
    g_free(text);
    return asleep;
}

static void slow_cb(void *opaque)
{
    DisableRace *r = opaque;

    qatomic_set(&r->in_cb, 1);
    while (!qatomic_read(&r->disabling)) {
        sched_yield();
    }
    /*
     * A correct qemu_clock_enable() is now blocked waiting for us; a broken
     * one returns.  Leave only in either of those states, so the outcome
     * does not depend on timing.
     */
    while (!qatomic_read(&r->disable_returned) &&
           !thread_is_asleep(qatomic_read(&r->tid))) {
        sched_yield();
    }
    qatomic_set(&r->cb_done, 1);
}

static void *disabler_thread(void *opaque)
{
    DisableRace *r = opaque;

    qatomic_set(&r->tid, (int)syscall(SYS_gettid));
    while (!qatomic_read(&r->in_cb)) {
        sched_yield();
    }
    qatomic_set(&r->disabling, 1);
    qemu_clock_enable(QEMU_CLOCK_VIRTUAL, false);
    r->cb_done_at_return = qatomic_read(&r->cb_done);
    qatomic_set(&r->disable_returned, 1);
    return NULL;
}

static void test_disable_waits_for_callback(void)
{
    int iterations = g_test_slow() ? 1000 : 150;
    int i;

    for (i = 0; i < iterations; i++) {
        DisableRace *r = g_new0(DisableRace, 1);

        virtual_reset();
        group_init(&r->g);
        test_timer_init(&r->t, &r->g, QEMU_CLOCK_VIRTUAL, 1);
        timer_init_full(&r->t.timer, &r->g.tlg, QEMU_CLOCK_VIRTUAL, SCALE_NS,
                        0, slow_cb, r);
        timer_mod_ns(&r->t.timer, 5);
        virtual_set(5);

        qemu_thread_create(&r->thread, "disabler", disabler_thread, r,
                           QEMU_THREAD_JOINABLE);
        g_assert_true(timerlist_run_timers(r->g.tlg.tl[QEMU_CLOCK_VIRTUAL]));
        qemu_thread_join(&r->thread);

        /* The disabler must not have returned before the callback did. */
        g_assert_cmpint(r->cb_done_at_return, ==, 1);

        /* Disabled: arming works, but nothing runs and no deadline shows. */
        timer_mod_ns(&r->t.timer, 6);
        virtual_set(10);
        g_assert_cmpint(timerlist_deadline_ns(r->g.tlg.tl[QEMU_CLOCK_VIRTUAL]),
                        ==, -1);
        g_assert_false(timerlist_run_timers(r->g.tlg.tl[QEMU_CLOCK_VIRTUAL]));
        timer_del(&r->t.timer);
        timerlistgroup_deinit(&r->g.tlg);
        g_free(r);
    }
    qemu_clock_enable(QEMU_CLOCK_VIRTUAL, true);
}

/* ---------------------------------------------------------------------- */
/* Random operations against a reference model                              */
/* ---------------------------------------------------------------------- */

#define MODEL_TIMERS 64

typedef struct {
    bool armed;
    int64_t expire;
    uint64_t seq;
} ModelTimer;

typedef struct {
    Group g;
    TestTimer t[MODEL_TIMERS];
    ModelTimer m[MODEL_TIMERS];
    uint64_t seq;
} Model;

/* Index of the model's earliest armed timer, -1 if none. */
static int model_first(Model *md)
{
    int best = -1;
    int i;

    for (i = 0; i < MODEL_TIMERS; i++) {
        ModelTimer *m = &md->m[i];

        if (!m->armed) {
            continue;
        }
        if (best < 0 || m->expire < md->m[best].expire ||
            (m->expire == md->m[best].expire && m->seq < md->m[best].seq)) {
            best = i;
        }
    }
    return best;
}

static void model_arm(Model *md, int i, int64_t expire)
{
    md->m[i].armed = true;
    md->m[i].expire = MAX(expire, 0);
    md->m[i].seq = md->seq++;
}

static int cmp_model_order(gconstpointer a, gconstpointer b, gpointer opaque)
{
    Model *md = opaque;
    const ModelTimer *x = &md->m[*(const int *)a];
    const ModelTimer *y = &md->m[*(const int *)b];

    if (x->expire != y->expire) {
        return x->expire < y->expire ? -1 : 1;
    }
    return x->seq < y->seq ? -1 : (x->seq > y->seq);
}

static void model_check_state(Model *md, QEMUTimerList *tl, int64_t now)
{
    int first = model_first(md);
    int i;

    for (i = 0; i < MODEL_TIMERS; i++) {
        g_assert_cmpint(timer_pending(&md->t[i].timer), ==, md->m[i].armed);
        g_assert_cmpint((int64_t)timer_expire_time_ns(&md->t[i].timer), ==,
                        md->m[i].armed ? md->m[i].expire : -1);
    }
    g_assert_cmpint(timerlist_has_timers(tl), ==, first >= 0);
    g_assert_cmpint(timerlist_deadline_ns(tl), ==,
                    first < 0 ? -1 : MAX(md->m[first].expire - now, 0));
    g_assert_cmpint(timerlist_expired(tl), ==,
                    first >= 0 && md->m[first].expire <= now);
}

static void test_model_random(void)
{
    Model *md = g_new0(Model, 1);
    QEMUTimerList *tl;
    GRand *rand = g_rand_new_with_seed(0x7131u);
    int64_t now = 1000;
    int ops = 10000;
    int op, i;

    virtual_reset();
    virtual_set(now);
    group_init(&md->g);
    tl = md->g.tlg.tl[QEMU_CLOCK_VIRTUAL];
    for (i = 0; i < MODEL_TIMERS; i++) {
        test_timer_init(&md->t[i], &md->g, QEMU_CLOCK_VIRTUAL, i);
    }
    log_reset();

    for (op = 0; op < ops; op++) {
        int kind = g_rand_int_range(rand, 0, 100);
        int k = g_rand_int_range(rand, 0, MODEL_TIMERS);
        /* A narrow window makes equal expiries common; some are past. */
        int64_t expire = now + g_rand_int_range(rand, -20, 200);
        int before = notified(&md->g, QEMU_CLOCK_VIRTUAL);
        bool expect_notify = false;

        if (kind < 45) {
            timer_mod_ns(&md->t[k].timer, expire);
            model_arm(md, k, expire);
            expect_notify = model_first(md) == k;
        } else if (kind < 60) {
            timer_mod_anticipate_ns(&md->t[k].timer, expire);
            if (!md->m[k].armed || md->m[k].expire > expire) {
                model_arm(md, k, expire);
                expect_notify = model_first(md) == k;
            }
        } else if (kind < 80) {
            timer_del(&md->t[k].timer);
            md->m[k].armed = false;
        } else {
            /* Advance and run: compare the firing order with the model. */
            g_autoptr(GArray) due = g_array_new(FALSE, FALSE, sizeof(int));
            int j;

            now += g_rand_int_range(rand, 0, 150);
            virtual_set(now);
            for (j = 0; j < MODEL_TIMERS; j++) {
                if (md->m[j].armed && md->m[j].expire <= now) {
                    g_array_append_val(due, j);
                    md->m[j].armed = false;
                }
            }
            g_array_sort_with_data(due, cmp_model_order, md);
            g_array_set_size(fire_log, 0);
            g_assert_cmpint(timerlist_run_timers(tl), ==, due->len > 0);
            log_check((const int *)due->data, due->len);
        }
        g_assert_cmpint(notified(&md->g, QEMU_CLOCK_VIRTUAL) - before, ==,
                        expect_notify);
        model_check_state(md, tl, now);
    }

    for (i = 0; i < MODEL_TIMERS; i++) {
        timer_del(&md->t[i].timer);
    }
    timerlistgroup_deinit(&md->g.tlg);
    g_rand_free(rand);
    g_free(md);
}

/* ---------------------------------------------------------------------- */
/* Concurrent modification                                                  */
/* ---------------------------------------------------------------------- */

#define SHARED_TIMERS 48
#define WORKERS 2

typedef struct {
    Group g;
    TestTimer t[SHARED_TIMERS];
    int stop;                   /* atomic */
    int64_t base;               /* atomic: workers arm relative to this */
    QemuThread threads[WORKERS];
    int ops[WORKERS];           /* atomic: operations done per worker */
    int fired;                  /* atomic */
} Shared;

static Shared *shared;

static void shared_cb(void *opaque)
{
    TestTimer *t = opaque;

    qatomic_inc(&shared->fired);
    /* Some callbacks re-arm themselves, competing with the workers. */
    if (t->id % 3 == 0) {
        timer_mod_ns(&t->timer, qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL) + 7);
    }
}

static void *shared_worker(void *opaque)
{
    int me = GPOINTER_TO_INT(opaque);
    GRand *rand = g_rand_new_with_seed(me + 1);

    while (!qatomic_read(&shared->stop)) {
        int i = g_rand_int_range(rand, 0, SHARED_TIMERS);
        int64_t base = qatomic_read(&shared->base);
        QEMUTimer *ts = &shared->t[i].timer;

        switch (g_rand_int_range(rand, 0, 4)) {
        case 0:
        case 1:
            timer_mod_ns(ts, base + g_rand_int_range(rand, 0, 100));
            break;
        case 2:
            timer_mod_anticipate_ns(ts, base + g_rand_int_range(rand, 0, 100));
            break;
        default:
            timer_del(ts);
            break;
        }
        qatomic_inc(&shared->ops[me]);
    }
    g_rand_free(rand);
    return NULL;
}

static void shared_order_cb(void *opaque)
{
    TestTimer *t = opaque;

    t->fired++;
    t->clock_at_fire = qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL);
    g_array_append_val(fire_log, t->id);
}

static void test_concurrent_mod_del(void)
{
    QEMUTimerList *tl;
    int64_t now = 0;
    int64_t start, elapsed;
    int min_ops = 20000;
    int i;

    virtual_reset();
    shared = g_new0(Shared, 1);
    group_init(&shared->g);
    tl = shared->g.tlg.tl[QEMU_CLOCK_VIRTUAL];
    for (i = 0; i < SHARED_TIMERS; i++) {
        shared->t[i].id = i;
        timer_init_full(&shared->t[i].timer, &shared->g.tlg,
                        QEMU_CLOCK_VIRTUAL, SCALE_NS, 0, shared_cb,
                        &shared->t[i]);
    }
    for (i = 0; i < WORKERS; i++) {
        qemu_thread_create(&shared->threads[i], "timer-worker", shared_worker,
                           GINT_TO_POINTER(i), QEMU_THREAD_JOINABLE);
    }

    /*
     * The home thread keeps advancing the clock and running the list until
     * both workers have done enough operations and at least 200 ms of
     * overlap have passed (a time bound on the work, not a sleep).
     */
    start = g_get_monotonic_time();
    do {
        for (i = 0; i < 100; i++) {
            now += 13;
            qatomic_set(&shared->base, now);
            virtual_set(now);
            timerlist_run_timers(tl);
            timerlist_deadline_ns(tl);
        }
        elapsed = g_get_monotonic_time() - start;
        g_assert_cmpint(elapsed, <, 30 * G_USEC_PER_SEC);   /* watchdog */
    } while (elapsed < 200000 || qatomic_read(&shared->ops[0]) < min_ops ||
             qatomic_read(&shared->ops[1]) < min_ops ||
             qatomic_read(&shared->fired) < 1000);
    qatomic_set(&shared->stop, 1);
    for (i = 0; i < WORKERS; i++) {
        qemu_thread_join(&shared->threads[i]);
    }

    /* Quiescent again: clear, then prove the list still works exactly. */
    for (i = 0; i < SHARED_TIMERS; i++) {
        timer_del(&shared->t[i].timer);
    }
    g_assert_false(timerlist_has_timers(tl));
    g_assert_cmpint(timerlist_deadline_ns(tl), ==, -1);

    log_reset();
    for (i = 0; i < SHARED_TIMERS; i++) {
        shared->t[i].fired = 0;
        timer_init_full(&shared->t[i].timer, &shared->g.tlg,
                        QEMU_CLOCK_VIRTUAL, SCALE_NS, 0, shared_order_cb,
                        &shared->t[i]);
        /* Reverse order, two timers per instant. */
        timer_mod_ns(&shared->t[i].timer, now + 1000 - (i / 2) * 10);
    }
    g_assert_cmpint(timerlist_deadline_ns(tl), ==,
                    1000 - ((SHARED_TIMERS - 1) / 2) * 10);
    virtual_set(now + 1000);
    g_assert_true(timerlist_run_timers(tl));
    g_assert_cmpuint(fire_log->len, ==, SHARED_TIMERS);
    for (i = 0; i < SHARED_TIMERS; i++) {
        int expect = SHARED_TIMERS - 2 + (i % 2) - (i / 2) * 2;

        g_assert_cmpint(g_array_index(fire_log, int, i), ==, expect);
        g_assert_cmpint(shared->t[i].fired, ==, 1);
    }
    g_assert_false(timerlist_has_timers(tl));
    timerlistgroup_deinit(&shared->g.tlg);
    g_free(shared);
    shared = NULL;
}

/* ---------------------------------------------------------------------- */
/* Callbacks that change timers                                             */
/* ---------------------------------------------------------------------- */

static void test_callback_rearm_self(void)
{
    Group g;
    TestTimer t;
    QEMUTimerList *tl;

    virtual_reset();
    group_init(&g);
    tl = g.tlg.tl[QEMU_CLOCK_VIRTUAL];
    test_timer_init(&t, &g, QEMU_CLOCK_VIRTUAL, 1);

    /* Re-armed into the future: pending, not run again by the same call. */
    t.rearm_times = 1;
    t.rearm_delta = 100;
    timer_mod_ns(&t.timer, 10);
    virtual_set(10);
    g_assert_true(timerlist_run_timers(tl));
    g_assert_cmpint(t.fired, ==, 1);
    g_assert_true(timer_pending(&t.timer));
    g_assert_cmpint(timer_expire_time_ns(&t.timer), ==, 110);
    g_assert_cmpint(timerlist_deadline_ns(tl), ==, 100);
    virtual_set(110);
    g_assert_true(timerlist_run_timers(tl));
    g_assert_cmpint(t.fired, ==, 2);
    g_assert_cmpint(t.clock_at_fire, ==, 110);
    g_assert_false(timer_pending(&t.timer));

    /* Re-armed at the current time: still due, so it runs again now. */
    t.rearm_times = 3;
    t.rearm_delta = 0;
    t.fired = 0;
    timer_mod_ns(&t.timer, 110);
    g_assert_true(timerlist_run_timers(tl));
    g_assert_cmpint(t.fired, ==, 4);
    g_assert_false(timer_pending(&t.timer));
    timerlistgroup_deinit(&g.tlg);
}

static void test_callback_delete_self(void)
{
    Group g;
    TestTimer t, u;

    virtual_reset();
    group_init(&g);
    test_timer_init(&t, &g, QEMU_CLOCK_VIRTUAL, 1);
    test_timer_init(&u, &g, QEMU_CLOCK_VIRTUAL, 2);

    /* Re-arm, then delete in the same callback: ends unarmed. */
    t.rearm_times = 1;
    t.rearm_delta = 5;
    t.delete_other = &t.timer;
    timer_mod_ns(&t.timer, 10);
    timer_mod_ns(&u.timer, 20);
    virtual_set(30);
    log_reset();
    g_assert_true(timerlist_run_timers(g.tlg.tl[QEMU_CLOCK_VIRTUAL]));
    log_check((int[]){1, 2}, 2);
    g_assert_false(timer_pending(&t.timer));
    g_assert_false(timerlist_has_timers(g.tlg.tl[QEMU_CLOCK_VIRTUAL]));
    timerlistgroup_deinit(&g.tlg);
}

static void test_callback_free_self(void)
{
    Group g;
    TestTimer t, u;

    virtual_reset();
    group_init(&g);
    memset(&t, 0, sizeof(t));
    t.id = 1;
    t.free_self = true;
    t.heap_timer = timer_new_full(&g.tlg, QEMU_CLOCK_VIRTUAL, SCALE_NS, 0,
                                  test_timer_cb, &t);
    test_timer_init(&u, &g, QEMU_CLOCK_VIRTUAL, 2);
    timer_mod_ns(t.heap_timer, 10);
    timer_mod_ns(&u.timer, 10);
    virtual_set(10);
    log_reset();
    /* ASan catches any use of the freed timer by the run loop. */
    g_assert_true(timerlist_run_timers(g.tlg.tl[QEMU_CLOCK_VIRTUAL]));
    log_check((int[]){1, 2}, 2);
    g_assert_null(t.heap_timer);
    timerlistgroup_deinit(&g.tlg);
}

static void test_callback_delete_other(void)
{
    Group g;
    TestTimer a, b, c;

    virtual_reset();
    group_init(&g);
    test_timer_init(&a, &g, QEMU_CLOCK_VIRTUAL, 1);
    test_timer_init(&b, &g, QEMU_CLOCK_VIRTUAL, 2);
    test_timer_init(&c, &g, QEMU_CLOCK_VIRTUAL, 3);
    /* a deletes b, which is due in the same run; c still runs. */
    a.delete_other = &b.timer;
    timer_mod_ns(&a.timer, 10);
    timer_mod_ns(&b.timer, 10);
    timer_mod_ns(&c.timer, 11);
    virtual_set(20);
    log_reset();
    g_assert_true(timerlist_run_timers(g.tlg.tl[QEMU_CLOCK_VIRTUAL]));
    log_check((int[]){1, 3}, 2);
    g_assert_cmpint(b.fired, ==, 0);
    g_assert_false(timer_pending(&b.timer));

    /* Deleting a timer that is pending but not due. */
    a.delete_other = &c.timer;
    timer_mod_ns(&a.timer, 30);
    timer_mod_ns(&c.timer, 500);
    virtual_set(30);
    g_assert_true(timerlist_run_timers(g.tlg.tl[QEMU_CLOCK_VIRTUAL]));
    g_assert_false(timer_pending(&c.timer));
    g_assert_cmpint(timerlist_deadline_ns(g.tlg.tl[QEMU_CLOCK_VIRTUAL]), ==,
                    -1);
    timerlistgroup_deinit(&g.tlg);
}

/* ---------------------------------------------------------------------- */
/* Ordering, notification, anticipate, del                                  */
/* ---------------------------------------------------------------------- */

static void test_order_equal_expiry(void)
{
    Group g;
    TestTimer t[5];
    int i;

    virtual_reset();
    group_init(&g);
    for (i = 0; i < 5; i++) {
        test_timer_init(&t[i], &g, QEMU_CLOCK_VIRTUAL, i);
        timer_mod_ns(&t[i].timer, 50);
    }
    /* Re-arming for the same instant moves a timer behind the others. */
    timer_mod_ns(&t[1].timer, 50);
    /* timer_mod() scales; 0 ms == 0 ns but negative clamps to 0. */
    timer_mod_ns(&t[3].timer, -7);
    g_assert_cmpint(timer_expire_time_ns(&t[3].timer), ==, 0);
    timer_mod_ns(&t[3].timer, 50);
    virtual_set(50);
    log_reset();
    g_assert_true(timerlist_run_timers(g.tlg.tl[QEMU_CLOCK_VIRTUAL]));
    log_check((int[]){0, 2, 4, 1, 3}, 5);
    timerlistgroup_deinit(&g.tlg);
}

static void test_notify_head_change(void)
{
    Group g;
    TestTimer a, b, c;
    int n;

    virtual_reset();
    group_init(&g);
    test_timer_init(&a, &g, QEMU_CLOCK_VIRTUAL, 1);
    test_timer_init(&b, &g, QEMU_CLOCK_VIRTUAL, 2);
    test_timer_init(&c, &g, QEMU_CLOCK_VIRTUAL, 3);
    n = notified(&g, QEMU_CLOCK_VIRTUAL);

    timer_mod_ns(&a.timer, 100);            /* first timer: head */
    g_assert_cmpint(notified(&g, QEMU_CLOCK_VIRTUAL), ==, ++n);
    timer_mod_ns(&b.timer, 200);            /* later: no */
    g_assert_cmpint(notified(&g, QEMU_CLOCK_VIRTUAL), ==, n);
    timer_mod_ns(&c.timer, 100);            /* tie goes after a: no */
    g_assert_cmpint(notified(&g, QEMU_CLOCK_VIRTUAL), ==, n);
    timer_mod_ns(&b.timer, 50);             /* new head */
    g_assert_cmpint(notified(&g, QEMU_CLOCK_VIRTUAL), ==, ++n);
    timer_mod_ns(&b.timer, 300);            /* head moves later: a leads */
    g_assert_cmpint(notified(&g, QEMU_CLOCK_VIRTUAL), ==, n);
    timer_mod_ns(&a.timer, 90);             /* head stays head: yes */
    g_assert_cmpint(notified(&g, QEMU_CLOCK_VIRTUAL), ==, ++n);
    timer_del(&a.timer);                    /* deletion: never */
    g_assert_cmpint(notified(&g, QEMU_CLOCK_VIRTUAL), ==, n);
    timer_mod_anticipate_ns(&b.timer, 400); /* no move: no */
    g_assert_cmpint(notified(&g, QEMU_CLOCK_VIRTUAL), ==, n);
    timer_mod_anticipate_ns(&b.timer, 10);  /* moves to head: yes */
    g_assert_cmpint(notified(&g, QEMU_CLOCK_VIRTUAL), ==, ++n);
    /* Other clocks' lists of the group are not notified. */
    g_assert_cmpint(notified(&g, QEMU_CLOCK_REALTIME), ==, 0);

    timer_del(&b.timer);
    timer_del(&c.timer);
    timerlistgroup_deinit(&g.tlg);
}

static void test_mod_anticipate(void)
{
    Group g;
    TestTimer t;

    virtual_reset();
    group_init(&g);
    test_timer_init(&t, &g, QEMU_CLOCK_VIRTUAL, 1);
    timer_init_full(&t.timer, &g.tlg, QEMU_CLOCK_VIRTUAL, SCALE_US, 0,
                    test_timer_cb, &t);

    timer_mod_anticipate(&t.timer, 10);     /* unarmed: arms, in us */
    g_assert_cmpint(timer_expire_time_ns(&t.timer), ==, 10000);
    timer_mod_anticipate(&t.timer, 20);     /* later: ignored */
    g_assert_cmpint(timer_expire_time_ns(&t.timer), ==, 10000);
    timer_mod_anticipate_ns(&t.timer, 10000);   /* equal: ignored */
    g_assert_cmpint(timer_expire_time_ns(&t.timer), ==, 10000);
    timer_mod_anticipate_ns(&t.timer, 4000);    /* earlier: moves */
    g_assert_cmpint(timer_expire_time_ns(&t.timer), ==, 4000);
    timer_mod(&t.timer, 20);                /* plain mod may postpone */
    g_assert_cmpint(timer_expire_time_ns(&t.timer), ==, 20000);
    g_assert_true(timer_expired(&t.timer, 20));
    g_assert_false(timer_expired(&t.timer, 19));
    g_assert_false(timer_expired(NULL, 19));
    timer_del(&t.timer);
    timerlistgroup_deinit(&g.tlg);
}

static void test_del_unarmed(void)
{
    Group g;
    TestTimer t, u;
    QEMUTimer zeroed;

    virtual_reset();
    group_init(&g);
    test_timer_init(&t, &g, QEMU_CLOCK_VIRTUAL, 1);
    test_timer_init(&u, &g, QEMU_CLOCK_VIRTUAL, 2);

    timer_del(&t.timer);                    /* never armed */
    g_assert_false(timer_pending(&t.timer));
    g_assert_cmpint((int64_t)timer_expire_time_ns(&t.timer), ==, -1);
    timer_mod_ns(&u.timer, 5);
    timer_del(&t.timer);                    /* does not touch u */
    timer_del(&t.timer);
    g_assert_true(timer_pending(&u.timer));
    timer_del(&u.timer);
    timer_del(&u.timer);                    /* twice */
    g_assert_false(timerlist_has_timers(g.tlg.tl[QEMU_CLOCK_VIRTUAL]));

    /* Detached and never-initialised (zeroed) timers: no-ops. */
    timer_deinit(&t.timer);
    timer_del(&t.timer);
    memset(&zeroed, 0, sizeof(zeroed));
    timer_del(&zeroed);
    timer_free(NULL);
    timerlistgroup_deinit(&g.tlg);
}

/* ---------------------------------------------------------------------- */
/* Clocks, deadlines and the virtual-time advance                           */
/* ---------------------------------------------------------------------- */

static void test_disabled_clock(void)
{
    Group g;
    TestTimer t;
    QEMUTimerList *tl;
    int n;

    virtual_reset();
    group_init(&g);
    tl = g.tlg.tl[QEMU_CLOCK_VIRTUAL];
    test_timer_init(&t, &g, QEMU_CLOCK_VIRTUAL, 1);
    timer_mod_ns(&t.timer, 10);
    virtual_set(20);
    g_assert_cmpint(timerlist_deadline_ns(tl), ==, 0);

    qemu_clock_enable(QEMU_CLOCK_VIRTUAL, false);
    g_assert_cmpint(timerlist_deadline_ns(tl), ==, -1);
    g_assert_cmpint(timerlistgroup_deadline_ns(&g.tlg), ==, -1);
    g_assert_cmpint(qemu_clock_deadline_ns_all(QEMU_CLOCK_VIRTUAL,
                                               QEMU_TIMER_ATTR_ALL), ==, -1);
    g_assert_false(timerlist_run_timers(tl));
    g_assert_false(timerlistgroup_run_timers(&g.tlg));
    g_assert_cmpint(t.fired, ==, 0);
    g_assert_true(timer_pending(&t.timer));
    /* The list still has (and reports) its timers. */
    g_assert_true(timerlist_has_timers(tl));
    g_assert_true(timerlist_expired(tl));
    qemu_clock_enable(QEMU_CLOCK_VIRTUAL, false);   /* idempotent */

    /* Enabling notifies every list of the clock, once. */
    n = notified(&g, QEMU_CLOCK_VIRTUAL);
    qemu_clock_enable(QEMU_CLOCK_VIRTUAL, true);
    g_assert_cmpint(notified(&g, QEMU_CLOCK_VIRTUAL), ==, n + 1);
    qemu_clock_enable(QEMU_CLOCK_VIRTUAL, true);
    g_assert_cmpint(notified(&g, QEMU_CLOCK_VIRTUAL), ==, n + 1);
    g_assert_cmpint(timerlist_deadline_ns(tl), ==, 0);
    g_assert_true(timerlist_run_timers(tl));
    g_assert_cmpint(t.fired, ==, 1);
    timerlistgroup_deinit(&g.tlg);
}

static void test_virtual_advance(void)
{
    Group g;
    TestTimer a, b, c, d, late, other;
    QEMUTimer *main_timer;
    TestTimer m;
    int64_t now;

    /*
     * QEMU's rule: the advance steps and runs the main loop's list (and the
     * main AioContext's, which this program does not have).  A timer of
     * another group is only notified: it must neither fire here nor stop
     * the stepping at its deadline.
     */
    virtual_reset();
    group_init(&g);
    test_timer_init(&a, NULL, QEMU_CLOCK_VIRTUAL, 1);
    test_timer_init(&b, NULL, QEMU_CLOCK_VIRTUAL, 2);
    test_timer_init(&c, NULL, QEMU_CLOCK_VIRTUAL, 3);
    test_timer_init(&d, NULL, QEMU_CLOCK_VIRTUAL, 4);
    test_timer_init(&late, NULL, QEMU_CLOCK_VIRTUAL, 9);
    test_timer_init(&other, &g, QEMU_CLOCK_VIRTUAL, 7);
    memset(&m, 0, sizeof(m));
    m.id = 5;
    main_timer = timer_new_ns(QEMU_CLOCK_VIRTUAL, test_timer_cb, &m);

    timer_mod_ns(&other.timer, 30);
    timer_mod_ns(&a.timer, 10);
    timer_mod_ns(&b.timer, 20);
    timer_mod_ns(main_timer, 20);
    timer_mod_ns(&c.timer, 35);
    timer_mod_ns(&late.timer, 150);
    /* a re-arms itself once, 30 ns later (40), from inside the advance. */
    a.rearm_times = 1;
    a.rearm_delta = 30;
    /* d is armed in the past relative to nothing: exactly at the target. */
    timer_mod_ns(&d.timer, 100);

    g_assert_cmpint(qemu_clock_deadline_ns_all(QEMU_CLOCK_VIRTUAL,
                                               QEMU_TIMER_ATTR_ALL), ==, 10);
    log_reset();
    now = qemu_clock_advance_virtual_time(100);
    g_assert_cmpint(now, ==, 100);
    g_assert_cmpint(qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL), ==, 100);
    g_assert_cmpint(a.fired, ==, 2);
    g_assert_cmpint(a.clock_at_fire, ==, 40);
    g_assert_cmpint(b.clock_at_fire, ==, 20);
    g_assert_cmpint(m.clock_at_fire, ==, 20);
    g_assert_cmpint(c.clock_at_fire, ==, 35);
    g_assert_cmpint(d.clock_at_fire, ==, 100);
    g_assert_cmpint(late.fired, ==, 0);
    g_assert_cmpint(other.fired, ==, 0);
    g_assert_cmpint(notified(&g, QEMU_CLOCK_VIRTUAL), >=, 1);
    g_assert_cmpuint(fire_log->len, ==, 6);
    g_assert_cmpint(g_array_index(fire_log, int, 0), ==, 1);
    g_assert_cmpint(g_array_index(fire_log, int, 3), ==, 3);
    g_assert_cmpint(g_array_index(fire_log, int, 4), ==, 1);
    g_assert_cmpint(g_array_index(fire_log, int, 5), ==, 4);

    /* Never backwards; due timers at the current time still fire. */
    g_assert_cmpint(qemu_clock_advance_virtual_time(50), ==, 100);
    g_assert_cmpint(qemu_clock_advance_virtual_time(150), ==, 150);
    g_assert_cmpint(late.clock_at_fire, ==, 150);

    /* A disabled clock moves but fires nothing. */
    timer_mod_ns(&late.timer, 160);
    qemu_clock_enable(QEMU_CLOCK_VIRTUAL, false);
    g_assert_cmpint(qemu_clock_advance_virtual_time(200), ==, 200);
    g_assert_cmpint(late.fired, ==, 1);
    qemu_clock_enable(QEMU_CLOCK_VIRTUAL, true);
    g_assert_cmpint(qemu_clock_advance_virtual_time(200), ==, 200);
    g_assert_cmpint(late.fired, ==, 2);
    g_assert_cmpint(late.clock_at_fire, ==, 200);

    /* The other group's owner runs its timer with the clock it finds. */
    g_assert_true(timerlist_run_timers(g.tlg.tl[QEMU_CLOCK_VIRTUAL]));
    g_assert_cmpint(other.fired, ==, 1);
    g_assert_cmpint(other.clock_at_fire, ==, 200);

    timer_free(main_timer);
    timerlistgroup_deinit(&g.tlg);
}

static void test_deadline_no_timers(void)
{
    Group g;
    int i;

    virtual_reset();
    group_init(&g);
    for (i = 0; i < QEMU_CLOCK_MAX; i++) {
        g_assert_false(timerlist_has_timers(g.tlg.tl[i]));
        g_assert_false(timerlist_expired(g.tlg.tl[i]));
        g_assert_cmpint(timerlist_deadline_ns(g.tlg.tl[i]), ==, -1);
        g_assert_cmpint(qemu_clock_deadline_ns_all(i, QEMU_TIMER_ATTR_ALL),
                        ==, -1);
    }
    g_assert_cmpint(timerlistgroup_deadline_ns(&g.tlg), ==, -1);
    g_assert_false(timerlistgroup_run_timers(&g.tlg));
    g_assert_false(qemu_clock_has_timers(QEMU_CLOCK_VIRTUAL));
    g_assert_false(qemu_clock_expired(QEMU_CLOCK_VIRTUAL));
    timerlistgroup_deinit(&g.tlg);
}

static void test_deadline_group(void)
{
    Group g;
    TestTimer v, r;

    virtual_reset();
    virtual_set(1000);
    group_init(&g);
    test_timer_init(&v, &g, QEMU_CLOCK_VIRTUAL, 1);
    test_timer_init(&r, &g, QEMU_CLOCK_REALTIME, 2);
    timer_mod_ns(&v.timer, 1500);
    g_assert_cmpint(timerlistgroup_deadline_ns(&g.tlg), ==, 500);
    /* A realtime timer an hour away does not beat it ... */
    timer_mod_ns(&r.timer, qemu_clock_get_ns(QEMU_CLOCK_REALTIME) +
                 3600 * NANOSECONDS_PER_SECOND);
    g_assert_cmpint(timerlistgroup_deadline_ns(&g.tlg), ==, 500);
    /* ... a past one does, and reports 0. */
    timer_mod_ns(&r.timer, 1);
    g_assert_cmpint(timerlistgroup_deadline_ns(&g.tlg), ==, 0);
    g_assert_true(timerlistgroup_run_timers(&g.tlg));
    g_assert_cmpint(r.fired, ==, 1);
    g_assert_cmpint(v.fired, ==, 0);
    timer_del(&v.timer);
    timerlistgroup_deinit(&g.tlg);
}

static void test_deadline_attr_mask(void)
{
    Group g;
    TestTimer plain, ext[3];
    int i;

    virtual_reset();
    group_init(&g);
    test_timer_init(&plain, &g, QEMU_CLOCK_VIRTUAL, 0);
    for (i = 0; i < 3; i++) {
        memset(&ext[i], 0, sizeof(ext[i]));
        timer_init_full(&ext[i].timer, &g.tlg, QEMU_CLOCK_VIRTUAL, SCALE_NS,
                        QEMU_TIMER_ATTR_EXTERNAL, test_timer_cb, &ext[i]);
        /* External timers fill the top of the heap. */
        timer_mod_ns(&ext[i].timer, 10 + i);
    }
    g_assert_cmpint(qemu_clock_deadline_ns_all(QEMU_CLOCK_VIRTUAL,
                                               ~QEMU_TIMER_ATTR_EXTERNAL),
                    ==, -1);
    timer_mod_ns(&plain.timer, 70);
    g_assert_cmpint(qemu_clock_deadline_ns_all(QEMU_CLOCK_VIRTUAL,
                                               QEMU_TIMER_ATTR_ALL), ==, 10);
    g_assert_cmpint(qemu_clock_deadline_ns_all(QEMU_CLOCK_VIRTUAL,
                                               QEMU_TIMER_ATTR_EXTERNAL),
                    ==, 10);
    g_assert_cmpint(qemu_clock_deadline_ns_all(QEMU_CLOCK_VIRTUAL,
                                               ~QEMU_TIMER_ATTR_EXTERNAL),
                    ==, 70);
    g_assert_cmpint(qemu_clock_deadline_ns_all(QEMU_CLOCK_VIRTUAL, 0), ==, 70);
    virtual_set(100);
    g_assert_cmpint(qemu_clock_deadline_ns_all(QEMU_CLOCK_VIRTUAL, 0), ==, 0);
    g_assert_true(timerlist_run_timers(g.tlg.tl[QEMU_CLOCK_VIRTUAL]));
    timerlistgroup_deinit(&g.tlg);
}

static void test_main_loop_clock(void)
{
    TestTimer t;

    virtual_reset();
    test_timer_init(&t, NULL, QEMU_CLOCK_VIRTUAL, 1);
    g_assert_true(t.timer.timer_list == main_loop_tlg.tl[QEMU_CLOCK_VIRTUAL]);
    timer_mod_ns(&t.timer, 30);
    g_assert_true(qemu_clock_has_timers(QEMU_CLOCK_VIRTUAL));
    g_assert_false(qemu_clock_expired(QEMU_CLOCK_VIRTUAL));
    g_assert_false(qemu_clock_run_all_timers());
    virtual_set(30);
    g_assert_true(qemu_clock_expired(QEMU_CLOCK_VIRTUAL));
    g_assert_true(qemu_clock_run_timers(QEMU_CLOCK_VIRTUAL));
    g_assert_cmpint(t.fired, ==, 1);
    g_assert_false(qemu_clock_has_timers(QEMU_CLOCK_VIRTUAL));
    timer_mod_ns(&t.timer, 30);
    g_assert_true(qemu_clock_run_all_timers());
    g_assert_cmpint(t.fired, ==, 2);
}

/* In a fresh process: init_clocks() leaves VIRTUAL disabled, others on. */
static void test_init_clocks_virtual_disabled(void)
{
    if (g_test_subprocess()) {
        TestTimer v, r;

        test_timer_init(&v, NULL, QEMU_CLOCK_VIRTUAL, 1);
        test_timer_init(&r, NULL, QEMU_CLOCK_REALTIME, 2);
        timer_mod_ns(&v.timer, 0);
        timer_mod_ns(&r.timer, 0);
        g_assert_cmpint(qemu_clock_deadline_ns_all(QEMU_CLOCK_VIRTUAL,
                                                   QEMU_TIMER_ATTR_ALL),
                        ==, -1);
        g_assert_cmpint(timerlistgroup_deadline_ns(&main_loop_tlg), ==, 0);
        g_assert_true(qemu_clock_run_all_timers());
        g_assert_cmpint(v.fired, ==, 0);
        g_assert_cmpint(r.fired, ==, 1);
        timer_del(&v.timer);
        return;
    }
    g_test_trap_subprocess(NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
    g_test_trap_assert_passed();
}

static void test_misuse_free_nonempty(void)
{
    if (g_test_subprocess()) {
        Group g;
        TestTimer t;

        group_init(&g);
        test_timer_init(&t, &g, QEMU_CLOCK_REALTIME, 1);
        timer_mod_ns(&t.timer, 1);
        timerlistgroup_deinit(&g.tlg);
        return;
    }
    g_test_trap_subprocess(NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
    g_test_trap_assert_failed();
    g_test_trap_assert_stderr("*still has armed timers*");
}

static void test_misuse_init_twice(void)
{
    if (g_test_subprocess()) {
        init_clocks(NULL);
        return;
    }
    g_test_trap_subprocess(NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
    g_test_trap_assert_failed();
    g_test_trap_assert_stderr("*init_clocks() called twice*");
}

static void test_clocks_read(void)
{
    int64_t r1, r2, host, wall;

    r1 = qemu_clock_get_ns(QEMU_CLOCK_REALTIME);
    r2 = qemu_clock_get_ns(QEMU_CLOCK_REALTIME);
    g_assert_cmpint(r2, >=, r1);
    g_assert_cmpint(get_clock(), >=, r2);
    g_assert_true(use_rt_clock);
    g_assert_cmpint(clock_start, >, 0);
    g_assert_cmpint(clock_start, <=, r1);

    /* HOST is the wall clock. */
    wall = g_get_real_time() * 1000;
    host = qemu_clock_get_ns(QEMU_CLOCK_HOST);
    g_assert_cmpint(llabs(host - wall), <, 10 * NANOSECONDS_PER_SECOND);
    g_assert_cmpint(qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL_RT), >, 0);

    /* VIRTUAL only moves when set; ms/us truncate. */
    cpus_set_virtual_clock(12345678);
    g_assert_cmpint(qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL), ==, 12345678);
    g_assert_cmpint(qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL), ==, 12345678);
    g_assert_cmpint(qemu_clock_get_us(QEMU_CLOCK_VIRTUAL), ==, 12345);
    g_assert_cmpint(qemu_clock_get_ms(QEMU_CLOCK_VIRTUAL), ==, 12);
    g_assert_true(qemu_clock_use_for_deadline(QEMU_CLOCK_VIRTUAL));
    g_assert_cmpint(get_max_clock_jump(), ==, 60 * NANOSECONDS_PER_SECOND);
    g_assert_cmpint(cpu_get_host_ticks(), !=, cpu_get_host_ticks());
    cpus_set_virtual_clock(0);
}

/* ---------------------------------------------------------------------- */
/* Helpers for event loops                                                  */
/* ---------------------------------------------------------------------- */

static void test_timeout_ns_to_ms(void)
{
    g_assert_cmpint(qemu_timeout_ns_to_ms(-1), ==, -1);
    g_assert_cmpint(qemu_timeout_ns_to_ms(-12345), ==, -1);
    g_assert_cmpint(qemu_timeout_ns_to_ms(0), ==, 0);
    g_assert_cmpint(qemu_timeout_ns_to_ms(1), ==, 1);
    g_assert_cmpint(qemu_timeout_ns_to_ms(999999), ==, 1);
    g_assert_cmpint(qemu_timeout_ns_to_ms(1000000), ==, 1);
    g_assert_cmpint(qemu_timeout_ns_to_ms(1000001), ==, 2);
    g_assert_cmpint(qemu_timeout_ns_to_ms(INT64_MAX), ==, INT32_MAX);
    g_assert_cmpint(qemu_timeout_ns_to_ms((int64_t)INT32_MAX * SCALE_MS), ==,
                    INT32_MAX);
}

static void test_soonest_timeout(void)
{
    g_assert_cmpint(qemu_soonest_timeout(-1, -1), ==, -1);
    g_assert_cmpint(qemu_soonest_timeout(-1, 5), ==, 5);
    g_assert_cmpint(qemu_soonest_timeout(5, -1), ==, 5);
    g_assert_cmpint(qemu_soonest_timeout(0, -1), ==, 0);
    g_assert_cmpint(qemu_soonest_timeout(7, 3), ==, 3);
    g_assert_cmpint(qemu_soonest_timeout(3, 7), ==, 3);
    g_assert_cmpint(qemu_soonest_timeout(INT64_MAX, -1), ==, INT64_MAX);
}

static void test_poll_ns(void)
{
    int fds[2];
    GPollFD pfd;

    g_assert_cmpint(pipe(fds), ==, 0);
    pfd.fd = fds[0];
    pfd.events = G_IO_IN;
    pfd.revents = 0;
    /* Nothing readable, zero timeout: returns at once with 0. */
    g_assert_cmpint(qemu_poll_ns(&pfd, 1, 0), ==, 0);
    g_assert_cmpint(write(fds[1], "x", 1), ==, 1);
    /* Readable: an infinite (and a huge) timeout returns at once. */
    g_assert_cmpint(qemu_poll_ns(&pfd, 1, -1), ==, 1);
    g_assert_true(pfd.revents & G_IO_IN);
    g_assert_cmpint(qemu_poll_ns(&pfd, 1, INT64_MAX), ==, 1);
    close(fds[0]);
    close(fds[1]);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    init_clocks(NULL);

    /* Hard cases first. */
    g_test_add_func("/timer/enable/disable-waits-for-callback",
                    test_disable_waits_for_callback);
    g_test_add_func("/timer/model/random", test_model_random);
    g_test_add_func("/timer/concurrent/mod-del", test_concurrent_mod_del);
    g_test_add_func("/timer/callback/rearm-self", test_callback_rearm_self);
    g_test_add_func("/timer/callback/delete-self", test_callback_delete_self);
    g_test_add_func("/timer/callback/free-self", test_callback_free_self);
    g_test_add_func("/timer/callback/delete-other",
                    test_callback_delete_other);
    g_test_add_func("/timer/virtual/advance", test_virtual_advance);
    g_test_add_func("/timer/order/equal-expiry-fifo", test_order_equal_expiry);
    g_test_add_func("/timer/notify/only-head-change", test_notify_head_change);
    g_test_add_func("/timer/mod-anticipate/only-earlier", test_mod_anticipate);
    g_test_add_func("/timer/del/unarmed", test_del_unarmed);
    g_test_add_func("/timer/clock/disabled", test_disabled_clock);
    g_test_add_func("/timer/clock/init-virtual-disabled",
                    test_init_clocks_virtual_disabled);
    g_test_add_func("/timer/clock/read", test_clocks_read);
    g_test_add_func("/timer/clock/main-loop-tlg", test_main_loop_clock);
    g_test_add_func("/timer/deadline/no-timers", test_deadline_no_timers);
    g_test_add_func("/timer/deadline/group", test_deadline_group);
    g_test_add_func("/timer/deadline/attr-mask", test_deadline_attr_mask);
    g_test_add_func("/timer/misuse/free-nonempty-list",
                    test_misuse_free_nonempty);
    g_test_add_func("/timer/misuse/init-clocks-twice",
                    test_misuse_init_twice);
    g_test_add_func("/timer/util/ns-to-ms", test_timeout_ns_to_ms);
    g_test_add_func("/timer/util/soonest", test_soonest_timeout);
    g_test_add_func("/timer/util/poll-ns", test_poll_ns);
    return g_test_run();
}
