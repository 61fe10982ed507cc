/*
 * qemuutil: coroutine tests in one thread, without an AioContext
 * (life cycle, nesting, yield order, the pool, CoMutex, CoRwlock, CoQueue,
 * sticky sleep wake-ups, misuse aborts).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * No main loop exists here, so the current AioContext is NULL and every
 * wake-up from a coroutine is queued on the running coroutine and entered
 * when it yields or terminates.  The tests rely on that to be
 * deterministic.
 */
#include "qemu/osdep.h"
#include "block/aio.h"
#include "qemu/coroutine_int.h"
#include "qemu/lockable.h"

/* ---------------------------------------------------------------------- */
/* Misuse aborts (each in a subprocess)                                    */
/* ---------------------------------------------------------------------- */

static void coroutine_fn co_yield_once(void *opaque)
{
    qemu_coroutine_yield();
}

static void coroutine_fn co_enter_self(void *opaque)
{
    qemu_coroutine_enter(qemu_coroutine_self());
}

static void test_abort_reenter_running(void)
{
    if (g_test_subprocess()) {
        qemu_coroutine_enter(qemu_coroutine_create(co_enter_self, NULL));
        return;
    }
    g_test_trap_subprocess(NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
    g_test_trap_assert_failed();
    g_test_trap_assert_stderr("*already running*");
}

static void coroutine_fn co_sleep_on(void *opaque)
{
    qemu_co_sleep(opaque);
}

static void test_abort_enter_sleeping(void)
{
    if (g_test_subprocess()) {
        /* A sleeper is "scheduled": only its waker may enter it. */
        static QemuCoSleep w;
        Coroutine *co = qemu_coroutine_create(co_sleep_on, &w);

        qemu_coroutine_enter(co);
        qemu_coroutine_enter(co);
        return;
    }
    g_test_trap_subprocess(NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
    g_test_trap_assert_failed();
    g_test_trap_assert_stderr("*still scheduled by qemu_co_sleep_ns*");
}

static void test_abort_yield_outside(void)
{
    if (g_test_subprocess()) {
        qemu_coroutine_yield();
        return;
    }
    g_test_trap_subprocess(NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
    g_test_trap_assert_failed();
    g_test_trap_assert_stderr("*outside a coroutine*");
}

static void coroutine_fn co_lock_and_return(void *opaque)
{
    qemu_co_mutex_lock(opaque);
}

static void test_abort_terminate_locked(void)
{
    if (g_test_subprocess()) {
        CoMutex m;

        qemu_co_mutex_init(&m);
        qemu_coroutine_enter(qemu_coroutine_create(co_lock_and_return, &m));
        return;
    }
    g_test_trap_subprocess(NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
    g_test_trap_assert_failed();
    g_test_trap_assert_stderr("*terminated while holding*");
}

/* ---------------------------------------------------------------------- */
/* Pool                                                                    */
/* ---------------------------------------------------------------------- */

static void coroutine_fn co_enter_other(void *opaque)
{
    qemu_coroutine_enter(opaque);
}

/*
 * A terminated coroutine sits in the pool; its struct Coroutine is
 * trashed while another coroutine runs and terminates.  Nothing may read
 * it in that window (0xff pointers would crash).
 */
static void test_no_dangling_access(void)
{
    Coroutine *inner = qemu_coroutine_create(co_yield_once, NULL);
    Coroutine *outer = qemu_coroutine_create(co_enter_other, inner);
    Coroutine saved;

    qemu_coroutine_enter(outer);            /* outer ends, inner yielded */
    saved = *outer;
    memset(outer, 0xff, sizeof(*outer));
    qemu_coroutine_enter(inner);            /* inner ends too */
    *outer = saved;
}

static void coroutine_fn co_nop(void *opaque)
{
}

/* The pool hands back the coroutine that terminated last, stack and all. */
static void test_pool_reuse(void)
{
    Coroutine *first = qemu_coroutine_create(co_nop, NULL);
    Coroutine *again;

    qemu_coroutine_enter(first);
    again = qemu_coroutine_create(co_nop, NULL);
    g_assert_true(again == first);
    g_assert_false(qemu_coroutine_entered(again));
    qemu_coroutine_enter(again);
}

/*
 * Many coroutines alive at once, then all terminated, then all created
 * again: exercises batches moving to and from the global pool, and every
 * recycled coroutine must still run correctly.
 */
static void coroutine_fn co_count_twice(void *opaque)
{
    int *runs = opaque;

    (*runs)++;
    qemu_coroutine_yield();
    (*runs)++;
}

static void test_pool_many(void)
{
    enum { N = 700 };
    Coroutine **cos = g_new(Coroutine *, N);
    int round, i, runs;

    for (round = 0; round < 3; round++) {
        runs = 0;
        for (i = 0; i < N; i++) {
            cos[i] = qemu_coroutine_create(co_count_twice, &runs);
            qemu_coroutine_enter(cos[i]);
        }
        g_assert_cmpint(runs, ==, N);
        for (i = 0; i < N; i++) {
            qemu_coroutine_enter(cos[i]);
        }
        g_assert_cmpint(runs, ==, 2 * N);
    }
    g_free(cos);
}

/* ---------------------------------------------------------------------- */
/* Basics                                                                  */
/* ---------------------------------------------------------------------- */

static void coroutine_fn co_set_flag(void *opaque)
{
    *(bool *)opaque = true;
}

static void test_lifecycle(void)
{
    int i;

    for (i = 0; i < 2; i++) {
        bool ran = false;

        qemu_coroutine_enter(qemu_coroutine_create(co_set_flag, &ran));
        g_assert_true(ran);
    }
}

typedef struct {
    int yields;
    bool finished;
} YieldData;

static void coroutine_fn co_yield_five(void *opaque)
{
    YieldData *d = opaque;

    for (d->yields = 0; d->yields < 5; d->yields++) {
        qemu_coroutine_yield();
    }
    d->finished = true;
}

static void test_yield(void)
{
    YieldData d = { 0 };
    Coroutine *co = qemu_coroutine_create(co_yield_five, &d);
    int enters = 0;

    while (!d.finished) {
        qemu_coroutine_enter(co);
        enters++;
    }
    /* Five yields plus the final enter that lets it return. */
    g_assert_cmpint(enters, ==, 6);
}

typedef struct {
    int depth;
    int entered;
    int returned;
    int deepest;
} NestData;

static void coroutine_fn co_nest(void *opaque)
{
    NestData *d = opaque;

    d->entered++;
    if (d->entered < d->depth) {
        qemu_coroutine_enter(qemu_coroutine_create(co_nest, d));
    } else {
        d->deepest = d->entered;
    }
    d->returned++;
}

static void test_nesting(void)
{
    NestData d = { .depth = 128 };

    qemu_coroutine_enter(qemu_coroutine_create(co_nest, &d));
    g_assert_cmpint(d.deepest, ==, 128);
    g_assert_cmpint(d.entered, ==, 128);
    g_assert_cmpint(d.returned, ==, 128);
}

static void coroutine_fn co_check_self(void *opaque)
{
    g_assert_true(qemu_coroutine_self() == *(Coroutine **)opaque);
}

static void test_self(void)
{
    Coroutine *co;
    Coroutine *leader = qemu_coroutine_self();

    co = qemu_coroutine_create(co_check_self, &co);
    qemu_coroutine_enter(co);
    /* Outside coroutines the thread's own object is stable. */
    g_assert_true(qemu_coroutine_self() == leader);
}

static void coroutine_fn co_entered_inner(void *opaque)
{
    Coroutine *outer = opaque;

    g_assert_true(qemu_coroutine_entered(outer));
    g_assert_true(qemu_coroutine_entered(qemu_coroutine_self()));
    qemu_coroutine_yield();
    g_assert_true(qemu_coroutine_entered(outer));
    g_assert_true(qemu_coroutine_entered(qemu_coroutine_self()));
}

static void coroutine_fn co_entered_outer(void *opaque)
{
    Coroutine *inner;

    g_assert_true(qemu_coroutine_entered(qemu_coroutine_self()));
    inner = qemu_coroutine_create(co_entered_inner, qemu_coroutine_self());
    g_assert_false(qemu_coroutine_entered(inner));
    qemu_coroutine_enter(inner);
    /* Yielded: not on the call chain any more. */
    g_assert_false(qemu_coroutine_entered(inner));
    qemu_coroutine_enter(inner);
}

static void test_entered(void)
{
    Coroutine *co = qemu_coroutine_create(co_entered_outer, NULL);

    g_assert_false(qemu_coroutine_entered(co));
    qemu_coroutine_enter(co);
}

static void coroutine_fn co_check_in_coroutine(void *opaque)
{
    *(bool *)opaque = qemu_in_coroutine();
}

static void test_in_coroutine(void)
{
    bool inside = false;

    g_assert_false(qemu_in_coroutine());
    qemu_coroutine_enter(qemu_coroutine_create(co_check_in_coroutine,
                                               &inside));
    g_assert_true(inside);
    g_assert_false(qemu_in_coroutine());
}

/* Event log for ordering tests: short strings appended in order. */
static GString *trail;

static void note(const char *what)
{
    g_string_append(trail, what);
}

static void coroutine_fn co_order(void *opaque)
{
    note("b");
    g_assert_true(qemu_in_coroutine());
    qemu_coroutine_yield();
    note("d");
}

static void test_order(void)
{
    Coroutine *co = qemu_coroutine_create(co_order, NULL);

    trail = g_string_new("");
    note("a");
    qemu_coroutine_enter(co);
    note("c");
    qemu_coroutine_enter(co);
    note("e");
    g_assert_cmpstr(trail->str, ==, "abcde");
    g_string_free(trail, true);
}

/*
 * Wake-ups from a coroutine run only when it yields or ends, and those
 * the woken coroutine issues run before the waker's other ones (depth
 * first): W wakes X and Y; X wakes Z.  Expected: W's body, then X, Z, Y.
 */
typedef struct {
    const char *name;
    Coroutine *wake[2];
} WakeNode;

static void coroutine_fn co_wake_node(void *opaque)
{
    WakeNode *n = opaque;
    int i;

    note(n->name);
    for (i = 0; i < 2; i++) {
        if (n->wake[i]) {
            aio_co_wake(n->wake[i]);
            note("+");  /* still running after each wake-up */
        }
    }
    qemu_coroutine_yield();
}

static void test_wakeup_queue_order(void)
{
    WakeNode z = { "z" }, y = { "y" }, x = { "x" }, w = { "w" };
    Coroutine *cz = qemu_coroutine_create(co_wake_node, &z);
    Coroutine *cy = qemu_coroutine_create(co_wake_node, &y);
    Coroutine *cx = qemu_coroutine_create(co_wake_node, &x);
    Coroutine *cw = qemu_coroutine_create(co_wake_node, &w);

    trail = g_string_new("");
    x.wake[0] = cz;
    w.wake[0] = cx;
    w.wake[1] = cy;
    qemu_coroutine_enter(cw);
    g_assert_cmpstr(trail->str, ==, "w++x+zy");
    /* Let all four finish. */
    qemu_coroutine_enter(cw);
    qemu_coroutine_enter(cx);
    qemu_coroutine_enter(cy);
    qemu_coroutine_enter(cz);
    g_string_free(trail, true);
}

/* ---------------------------------------------------------------------- */
/* CoMutex                                                                 */
/* ---------------------------------------------------------------------- */

static bool held;
static int finished;

static void coroutine_fn co_mutex_hold_across_yield(void *opaque)
{
    qemu_co_mutex_lock(opaque);
    g_assert_false(held);
    held = true;
    qemu_co_mutex_assert_locked(opaque);
    qemu_coroutine_yield();
    held = false;
    qemu_co_mutex_unlock(opaque);
    finished++;
}

static void coroutine_fn co_lockable_hold_across_yield(void *opaque)
{
    qemu_lockable_lock(opaque);
    g_assert_false(held);
    held = true;
    qemu_coroutine_yield();
    held = false;
    qemu_lockable_unlock(opaque);
    finished++;
}

/*
 * c1 holds the lock across a yield, c2 queues.  When c1 unlocks and ends
 * in one enter, c2 has already been handed the lock and run up to its
 * own yield by the time enter returns.
 */
static void run_mutex_pair(CoroutineEntry *body, void *lock)
{
    Coroutine *c1 = qemu_coroutine_create(body, lock);
    Coroutine *c2 = qemu_coroutine_create(body, lock);

    finished = 0;
    qemu_coroutine_enter(c1);
    g_assert_true(held);
    qemu_coroutine_enter(c2);       /* blocks in lock */
    g_assert_cmpint(finished, ==, 0);

    qemu_coroutine_enter(c1);
    g_assert_cmpint(finished, ==, 1);
    g_assert_true(held);            /* c2 took it over */

    qemu_coroutine_enter(c2);
    g_assert_cmpint(finished, ==, 2);
    g_assert_false(held);
}

static void test_co_mutex(void)
{
    CoMutex zeroed = { 0 };     /* all-zero is a valid unlocked mutex */

    run_mutex_pair(co_mutex_hold_across_yield, &zeroed);
}

static void test_co_mutex_lockable(void)
{
    CoMutex m;
    CoMutex *none = NULL;

    qemu_co_mutex_init(&m);
    run_mutex_pair(co_lockable_hold_across_yield, QEMU_MAKE_LOCKABLE(&m));
    g_assert_null(QEMU_MAKE_LOCKABLE(none));
    g_assert_null(QEMU_MAKE_LOCKABLE(NULL));
}

/* Waiters get the mutex in the order they asked for it. */
typedef struct {
    CoMutex *m;
    char tag[2];
} FifoArg;

static void coroutine_fn co_fifo_locker(void *opaque)
{
    FifoArg *a = opaque;

    qemu_co_mutex_lock(a->m);
    note(a->tag);
    qemu_coroutine_yield();
    qemu_co_mutex_unlock(a->m);
}

static void test_co_mutex_fifo(void)
{
    enum { N = 5 };
    CoMutex m;
    FifoArg args[N];
    Coroutine *cos[N];
    int i;

    qemu_co_mutex_init(&m);
    trail = g_string_new("");
    for (i = 0; i < N; i++) {
        args[i].m = &m;
        args[i].tag[0] = 'a' + i;
        args[i].tag[1] = 0;
        cos[i] = qemu_coroutine_create(co_fifo_locker, &args[i]);
        qemu_coroutine_enter(cos[i]);
    }
    g_assert_cmpstr(trail->str, ==, "a");
    for (i = 0; i < N; i++) {
        /* Each unlock hands over to the next waiter, which logs. */
        qemu_coroutine_enter(cos[i]);
    }
    g_assert_cmpstr(trail->str, ==, "abcde");
    g_string_free(trail, true);
}

/* QEMU_LOCK_GUARD / WITH_QEMU_LOCK_GUARD on a CoMutex inside a coroutine. */
static void coroutine_fn co_guarded(void *opaque)
{
    CoMutex *m = opaque;
    int i;

    for (i = 0; i < 3; i++) {
        WITH_QEMU_LOCK_GUARD(m) {
            g_assert_cmpuint(qemu_coroutine_self()->locks_held, ==, 1);
            if (i == 1) {
                break;      /* break releases the lock */
            }
        }
        g_assert_cmpuint(qemu_coroutine_self()->locks_held, ==, 0);
    }
    {
        QEMU_LOCK_GUARD(m);
        g_assert_cmpuint(qemu_coroutine_self()->locks_held, ==, 1);
    }
    g_assert_cmpuint(qemu_coroutine_self()->locks_held, ==, 0);
}

static void test_co_mutex_guard(void)
{
    CoMutex m;

    qemu_co_mutex_init(&m);
    qemu_coroutine_enter(qemu_coroutine_create(co_guarded, &m));
    g_assert_cmpuint(qatomic_read(&m.locked), ==, 0);
}

/* The guards work for thread mutexes too (no coroutine involved). */
static int guarded_return(QemuMutex *m)
{
    QEMU_LOCK_GUARD(m);
    g_assert_cmpint(qemu_mutex_trylock(m), !=, 0);
    return 7;
}

static void test_lockable_qemu_mutex(void)
{
    QemuMutex m;
    QemuRecMutex rm;

    qemu_mutex_init(&m);
    qemu_rec_mutex_init(&rm);
    g_assert_cmpint(guarded_return(&m), ==, 7);
    g_assert_cmpint(qemu_mutex_trylock(&m), ==, 0);
    qemu_mutex_unlock(&m);
    WITH_QEMU_LOCK_GUARD(&rm) {
        QemuLockable *l = QEMU_MAKE_LOCKABLE(&rm);

        /* Recursive: taking it again through the handle works. */
        qemu_lockable_lock(l);
        qemu_lockable_unlock(l);
    }
    qemu_rec_mutex_destroy(&rm);
    qemu_mutex_destroy(&m);
}

/* ---------------------------------------------------------------------- */
/* CoRwlock                                                                */
/* ---------------------------------------------------------------------- */

static CoRwlock rw;

static void coroutine_fn co_read_yield_upgrade(void *opaque)
{
    qemu_co_rwlock_rdlock(&rw);
    qemu_coroutine_yield();
    qemu_co_rwlock_upgrade(&rw);
    note("U");
    qemu_co_rwlock_unlock(&rw);
    *(bool *)opaque = true;
}

static void coroutine_fn co_write_yield(void *opaque)
{
    qemu_co_rwlock_wrlock(&rw);
    note("W");
    qemu_coroutine_yield();
    qemu_co_rwlock_unlock(&rw);
    *(bool *)opaque = true;
}

/*
 * A sole reader that upgrades while a writer waits must queue behind
 * that writer instead of converting in place.
 */
static void test_co_rwlock_upgrade(void)
{
    bool r_done = false, w_done = false;
    Coroutine *r, *w;

    qemu_co_rwlock_init(&rw);
    trail = g_string_new("");
    r = qemu_coroutine_create(co_read_yield_upgrade, &r_done);
    w = qemu_coroutine_create(co_write_yield, &w_done);

    qemu_coroutine_enter(r);        /* read lock held */
    qemu_coroutine_enter(w);        /* writer queues */
    qemu_coroutine_enter(r);        /* upgrade queues; writer gets in */
    g_assert_false(r_done);
    g_assert_cmpstr(trail->str, ==, "W");

    qemu_coroutine_enter(w);        /* writer leaves; upgrade completes */
    g_assert_true(w_done);
    g_assert_true(r_done);
    g_assert_cmpstr(trail->str, ==, "WU");
    g_string_free(trail, true);
}

static void coroutine_fn co_read_yield_unlock_yield(void *opaque)
{
    qemu_co_rwlock_rdlock(&rw);
    qemu_coroutine_yield();
    qemu_co_rwlock_unlock(&rw);
    qemu_coroutine_yield();
    *(bool *)opaque = true;
}

static void coroutine_fn co_write_downgrade(void *opaque)
{
    qemu_co_rwlock_wrlock(&rw);
    qemu_co_rwlock_downgrade(&rw);
    qemu_co_rwlock_unlock(&rw);
    *(bool *)opaque = true;
}

static void coroutine_fn co_read(void *opaque)
{
    qemu_co_rwlock_rdlock(&rw);
    qemu_co_rwlock_unlock(&rw);
    *(bool *)opaque = true;
}

static void coroutine_fn co_write(void *opaque)
{
    qemu_co_rwlock_wrlock(&rw);
    qemu_co_rwlock_unlock(&rw);
    *(bool *)opaque = true;
}

/*
 * Reader R1 holds the lock; writer W1, reader R2 and writer W2 queue.
 * R1 unlocking starts a chain: W1 gets in, downgrades (letting R2 share),
 * both unlock, then W2 runs.  All of it must complete in that one enter.
 */
static void test_co_rwlock_downgrade(void)
{
    bool done[4] = { false };
    Coroutine *r1, *w1, *r2, *w2;

    qemu_co_rwlock_init(&rw);
    r1 = qemu_coroutine_create(co_read_yield_unlock_yield, &done[0]);
    w1 = qemu_coroutine_create(co_write_downgrade, &done[1]);
    r2 = qemu_coroutine_create(co_read, &done[2]);
    w2 = qemu_coroutine_create(co_write, &done[3]);

    qemu_coroutine_enter(r1);
    qemu_coroutine_enter(w1);
    qemu_coroutine_enter(r2);
    qemu_coroutine_enter(w2);
    g_assert_false(done[1] || done[2] || done[3]);

    qemu_coroutine_enter(r1);
    g_assert_true(done[1]);
    g_assert_true(done[2]);
    g_assert_true(done[3]);
    g_assert_false(done[0]);

    qemu_coroutine_enter(r1);
    g_assert_true(done[0]);
    g_assert_cmpint(rw.owners, ==, 0);
}

static void coroutine_fn co_read_hold(void *opaque)
{
    qemu_co_rwlock_rdlock(&rw);
    (*(int *)opaque)++;
    qemu_coroutine_yield();
    qemu_co_rwlock_unlock(&rw);
}

/* Readers share; a queued writer stops later readers from joining. */
static void test_co_rwlock_fair(void)
{
    int readers_in = 0;
    bool w_done = false;
    Coroutine *ra = qemu_coroutine_create(co_read_hold, &readers_in);
    Coroutine *rb = qemu_coroutine_create(co_read_hold, &readers_in);
    Coroutine *w = qemu_coroutine_create(co_write, &w_done);
    Coroutine *rc = qemu_coroutine_create(co_read_hold, &readers_in);

    qemu_co_rwlock_init(&rw);
    qemu_coroutine_enter(ra);
    qemu_coroutine_enter(rb);
    g_assert_cmpint(readers_in, ==, 2);     /* shared */
    qemu_coroutine_enter(w);                /* waits for both readers */
    qemu_coroutine_enter(rc);               /* must queue behind w */
    g_assert_cmpint(readers_in, ==, 2);
    qemu_coroutine_enter(ra);
    g_assert_false(w_done);
    qemu_coroutine_enter(rb);               /* w runs, then rc gets in */
    g_assert_true(w_done);
    g_assert_cmpint(readers_in, ==, 3);
    qemu_coroutine_enter(rc);
    g_assert_cmpint(rw.owners, ==, 0);
}

/* ---------------------------------------------------------------------- */
/* CoQueue                                                                 */
/* ---------------------------------------------------------------------- */

typedef struct {
    CoQueue *q;
    CoMutex *m;
    char tag[2];
    CoQueueWaitFlags flags;
} QueueArg;

static void coroutine_fn co_queue_waiter(void *opaque)
{
    QueueArg *a = opaque;

    qemu_co_mutex_lock(a->m);
    qemu_co_queue_wait_flags(a->q, a->m, a->flags);
    /* The lock is held again after the wait. */
    qemu_co_mutex_assert_locked(a->m);
    note(a->tag);
    qemu_co_mutex_unlock(a->m);
}

static void coroutine_fn co_queue_restart(void *opaque)
{
    QueueArg *a = opaque;

    g_assert_true(qemu_co_queue_next(a->q));
    qemu_co_queue_restart_all(a->q);
    g_assert_false(qemu_co_queue_next(a->q));
    note("|");      /* before any of the woken waiters */
}

static void test_co_queue(void)
{
    CoQueue q;
    CoMutex m;
    QueueArg args[3], waker = { .q = &q };
    int i;

    qemu_co_queue_init(&q);
    qemu_co_mutex_init(&m);
    trail = g_string_new("");
    for (i = 0; i < 3; i++) {
        args[i] = (QueueArg) { .q = &q, .m = &m, .tag = { 'a' + i } };
        /* 'c' jumps the queue. */
        args[i].flags = i == 2 ? CO_QUEUE_WAIT_FRONT : 0;
        qemu_coroutine_enter(qemu_coroutine_create(co_queue_waiter,
                                                   &args[i]));
    }
    g_assert_false(qemu_co_queue_empty(&q));
    qemu_coroutine_enter(qemu_coroutine_create(co_queue_restart, &waker));
    g_assert_true(qemu_co_queue_empty(&q));
    g_assert_cmpstr(trail->str, ==, "|cab");
    g_string_free(trail, true);
}

/* qemu_co_enter_next() from outside: the waiter runs before it returns. */
static void test_co_enter_next_outside(void)
{
    CoQueue q;
    CoMutex m;
    QemuMutex outer;
    QueueArg a = { .q = &q, .m = &m, .tag = "x" };

    qemu_co_queue_init(&q);
    qemu_co_mutex_init(&m);
    qemu_mutex_init(&outer);
    trail = g_string_new("");
    qemu_coroutine_enter(qemu_coroutine_create(co_queue_waiter, &a));
    qemu_mutex_lock(&outer);
    g_assert_true(qemu_co_enter_next(&q, &outer));
    g_assert_cmpstr(trail->str, ==, "x");
    qemu_co_enter_all(&q, &outer);
    g_assert_false(qemu_co_enter_next(&q, &outer));
    qemu_mutex_unlock(&outer);
    qemu_mutex_destroy(&outer);
    g_string_free(trail, true);
}

/* ---------------------------------------------------------------------- */
/* Sleep and wake                                                          */
/* ---------------------------------------------------------------------- */

typedef struct {
    QemuCoSleep w;
    int sleeps_done;
} SleepData;

static void coroutine_fn co_sleep_twice(void *opaque)
{
    SleepData *d = opaque;

    qemu_co_sleep(&d->w);
    g_assert_null(d->w.to_wake);
    d->sleeps_done++;
    qemu_co_sleep(&d->w);
    g_assert_null(d->w.to_wake);
    d->sleeps_done++;
}

/* A wake with nobody asleep is kept and ends the next sleep at once. */
static void test_wake_before_sleep(void)
{
    SleepData d = { { NULL } };
    Coroutine *co = qemu_coroutine_create(co_sleep_twice, &d);

    qemu_co_sleep_wake(&d.w);
    qemu_coroutine_enter(co);
    /* The first sleep consumed the pending wake; the second parked. */
    g_assert_cmpint(d.sleeps_done, ==, 1);
    g_assert_true(d.w.to_wake == co);
    qemu_co_sleep_wake(&d.w);
    g_assert_cmpint(d.sleeps_done, ==, 2);
}

/* Several wakes before a sleep count once. */
static void test_wake_coalesces(void)
{
    SleepData d = { { NULL } };
    Coroutine *co = qemu_coroutine_create(co_sleep_twice, &d);

    qemu_co_sleep_wake(&d.w);
    qemu_co_sleep_wake(&d.w);
    qemu_co_sleep_wake(&d.w);
    qemu_coroutine_enter(co);
    g_assert_cmpint(d.sleeps_done, ==, 1);
    qemu_co_sleep_wake(&d.w);
    g_assert_cmpint(d.sleeps_done, ==, 2);
    g_assert_null(d.w.to_wake);
}

/* A parked sleeper is entered by the wake (no AioContext: directly). */
static void test_wake_parked(void)
{
    SleepData d = { { NULL } };
    Coroutine *co = qemu_coroutine_create(co_sleep_twice, &d);

    qemu_coroutine_enter(co);
    g_assert_cmpint(d.sleeps_done, ==, 0);
    g_assert_true(qatomic_read(&co->scheduled) != NULL);
    qemu_co_sleep_wake(&d.w);
    g_assert_cmpint(d.sleeps_done, ==, 1);
    qemu_co_sleep_wake(&d.w);
    g_assert_cmpint(d.sleeps_done, ==, 2);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    /* Paths follow QEMU's tests/unit/test-coroutine.c where they overlap. */

    g_test_add_func("/basic/abort/reenter-running",
                    test_abort_reenter_running);
    g_test_add_func("/basic/abort/enter-sleeping", test_abort_enter_sleeping);
    g_test_add_func("/basic/abort/yield-outside", test_abort_yield_outside);
    g_test_add_func("/basic/abort/terminate-locked",
                    test_abort_terminate_locked);
    /* Meaningful only with a pool (QEMU's test skips it likewise). */
    if (IS_ENABLED(CONFIG_COROUTINE_POOL)) {
        g_test_add_func("/basic/no-dangling-access", test_no_dangling_access);
        g_test_add_func("/basic/pool-reuse", test_pool_reuse);
    }
    g_test_add_func("/basic/pool-many", test_pool_many);
    g_test_add_func("/basic/wakeup-queue-order", test_wakeup_queue_order);
    g_test_add_func("/basic/nesting", test_nesting);
    g_test_add_func("/basic/entered", test_entered);
    g_test_add_func("/basic/order", test_order);
    g_test_add_func("/basic/yield", test_yield);
    g_test_add_func("/basic/lifecycle", test_lifecycle);
    g_test_add_func("/basic/self", test_self);
    g_test_add_func("/basic/in_coroutine", test_in_coroutine);
    g_test_add_func("/locking/co-mutex/lockable", test_co_mutex_lockable);
    g_test_add_func("/locking/co-mutex", test_co_mutex);
    g_test_add_func("/locking/co-mutex/fifo", test_co_mutex_fifo);
    g_test_add_func("/locking/co-mutex/guard", test_co_mutex_guard);
    g_test_add_func("/locking/lockable/qemu-mutex", test_lockable_qemu_mutex);
    g_test_add_func("/locking/co-rwlock/upgrade", test_co_rwlock_upgrade);
    g_test_add_func("/locking/co-rwlock/downgrade", test_co_rwlock_downgrade);
    g_test_add_func("/locking/co-rwlock/fair", test_co_rwlock_fair);
    g_test_add_func("/locking/co-queue/order", test_co_queue);
    g_test_add_func("/locking/co-queue/enter-next-outside",
                    test_co_enter_next_outside);
    g_test_add_func("/locking/co-sleep/wake-before-sleep",
                    test_wake_before_sleep);
    g_test_add_func("/locking/co-sleep/wake-coalesces", test_wake_coalesces);
    g_test_add_func("/locking/co-sleep/wake-parked", test_wake_parked);
    return g_test_run();
}
