/*
 * qemuutil: coroutines across AioContexts and threads (aio_co_schedule,
 * aio_co_wake, aio_co_enter, aio_co_reschedule_self, CoMutex contention).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * The main thread runs its own AioContext ("home"), set as its current
 * context; IOThreads provide the others.  Multi-thread cases run until a
 * fixed amount of work is done (not for a fixed time) and check exact
 * counts, so a lost or duplicated wake-up either fails an assertion or
 * hangs the case (caught by the per-case deadline).
 */
#include "qemu/osdep.h"
#include "block/aio.h"
#include "qapi/error.h"
#include "qemu/coroutine_int.h"
#include "qemu/iothread.h"
#include "qemu/main-loop.h"
#include "qemu/thread.h"

static AioContext *home;

/* Seconds a multi-thread case may take before it is declared hung. */
#define DEADLINE_S 60

/* Polls @home until *@flag is true. */
static void poll_home_until(bool *flag)
{
    while (!qatomic_load_acquire(flag)) {
        aio_poll(home, true);
    }
}

/*
 * Blocks until another thread posts @sem, for at most DEADLINE_S: the way
 * the main thread waits for work that finishes in IOThreads, where it has
 * no event loop of its own to run.  The semaphore (mutex + condvar) also
 * orders everything the poster did before the post before our return.
 */
static void wait_posted(QemuSemaphore *sem, const char *what)
{
    if (qemu_sem_timedwait(sem, DEADLINE_S * 1000) < 0) {
        g_error("%s: nothing happened for %d s (lost wake-up?)", what,
                DEADLINE_S);
    }
}

/* ---------------------------------------------------------------------- */
/* Misuse                                                                  */
/* ---------------------------------------------------------------------- */

static void coroutine_fn co_nothing(void *opaque)
{
}

static void test_double_schedule_aborts(void)
{
    if (g_test_subprocess()) {
        Coroutine *co = qemu_coroutine_create(co_nothing, NULL);

        aio_co_schedule(home, co);
        aio_co_schedule(home, co);
        return;
    }
    g_test_trap_subprocess(NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
    g_test_trap_assert_failed();
    g_test_trap_assert_stderr("*already scheduled by aio_co_schedule*");
}

static void test_enter_scheduled_aborts(void)
{
    if (g_test_subprocess()) {
        Coroutine *co = qemu_coroutine_create(co_nothing, NULL);

        aio_co_schedule(home, co);
        qemu_coroutine_enter(co);
        return;
    }
    g_test_trap_subprocess(NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
    g_test_trap_assert_failed();
    g_test_trap_assert_stderr("*still scheduled by aio_co_schedule*");
}

/* ---------------------------------------------------------------------- */
/* One context                                                             */
/* ---------------------------------------------------------------------- */

typedef struct {
    unsigned i, max;        /* rounds done, rounds to do */
    Coroutine *other;       /* the partner to switch to */
} PingPong;

static void coroutine_fn co_ping_pong(void *opaque)
{
    PingPong *p = opaque;

    for (p->i = 0; p->i < p->max; p->i++) {
        /* Queued on us (same context, in a coroutine), run at the yield. */
        aio_co_enter(home, p->other);
        qemu_coroutine_yield();
    }
}

/*
 * Two coroutines wake each other 25 000 times each.  If the wake-ups
 * nested instead of chaining, the stacks would overflow into their guard
 * pages long before the end.
 */
static void test_queue_chaining(void)
{
    PingPong a = { .max = 25000 };
    PingPong b = { .max = 25000 };

    b.other = qemu_coroutine_create(co_ping_pong, &a);
    a.other = qemu_coroutine_create(co_ping_pong, &b);

    qemu_coroutine_enter(b.other);
    g_assert_cmpuint(a.i, ==, a.max);
    g_assert_cmpuint(b.i, ==, b.max - 1);
    qemu_coroutine_enter(a.other);
    g_assert_cmpuint(b.i, ==, b.max);
}

/* aio_co_schedule() into the caller's own context: runs from its BH. */
static void coroutine_fn co_set_flag(void *opaque)
{
    qatomic_set((bool *)opaque, true);
}

static void test_schedule_same_context(void)
{
    bool ran = false;
    Coroutine *co = qemu_coroutine_create(co_set_flag, &ran);

    aio_co_schedule(home, co);
    g_assert_false(ran);            /* not entered synchronously */
    g_assert_true(aio_poll(home, false));
    g_assert_true(ran);
    g_assert_false(aio_poll(home, false));
}

/* ---------------------------------------------------------------------- */
/* Two threads                                                             */
/* ---------------------------------------------------------------------- */

typedef struct {
    QemuThread main_thread;
    bool done;
} ThreadCheck;

static void coroutine_fn co_in_main_thread(void *opaque)
{
    ThreadCheck *c = opaque;

    g_assert_true(qemu_thread_is_self(&c->main_thread));
    g_assert_true(qemu_coroutine_get_aio_context(qemu_coroutine_self()) ==
                  home);
    qatomic_store_release(&c->done, true);
}

static void *enter_from_worker(void *co)
{
    /*
     * This thread has no AioContext and no BQL: its current context is
     * NULL, so aio_co_enter() must schedule into @home, not enter here.
     */
    g_assert_null(qemu_get_current_aio_context());
    aio_co_enter(home, co);
    return NULL;
}

static void test_worker_thread_co_enter(void)
{
    ThreadCheck c = { .done = false };
    QemuThread worker;
    Coroutine *co;

    qemu_thread_get_self(&c.main_thread);
    co = qemu_coroutine_create(co_in_main_thread, &c);
    qemu_thread_create(&worker, "co-enter", enter_from_worker, co,
                       QEMU_THREAD_JOINABLE);
    qemu_thread_join(&worker);
    poll_home_until(&c.done);
}

typedef struct {
    AioContext *away;
    QemuThread main_thread;
    int steps;
    bool done;
    QemuSemaphore finished;     /* posted by the last step, in @away */
} Trip;

/* home -> away (reschedule) -> home (reschedule) -> away (wake). */
static void coroutine_fn co_round_trip(void *opaque)
{
    Trip *t = opaque;
    Coroutine *self = qemu_coroutine_self();

    g_assert_true(qemu_thread_is_self(&t->main_thread));
    aio_co_reschedule_self(t->away);
    g_assert_false(qemu_thread_is_self(&t->main_thread));
    g_assert_true(qemu_get_current_aio_context() == t->away);
    g_assert_true(qemu_coroutine_get_aio_context(self) == t->away);
    t->steps++;

    aio_co_reschedule_self(home);
    g_assert_true(qemu_thread_is_self(&t->main_thread));
    g_assert_true(qemu_coroutine_get_aio_context(self) == home);
    t->steps++;

    /* Park; the main thread moves us with aio_co_schedule(). */
    qatomic_store_release(&t->done, true);
    qemu_coroutine_yield();
    g_assert_false(qemu_thread_is_self(&t->main_thread));
    g_assert_true(qemu_get_current_aio_context() == t->away);
    t->steps++;
    qemu_sem_post(&t->finished);
}

static void test_reschedule_round_trip(void)
{
    IOThread *io = iothread_new();
    Trip t = { .away = iothread_get_aio_context(io) };
    Coroutine *co;

    qemu_thread_get_self(&t.main_thread);
    qemu_sem_init(&t.finished, 0);
    co = qemu_coroutine_create(co_round_trip, &t);
    qemu_coroutine_enter(co);
    poll_home_until(&t.done);
    g_assert_cmpint(t.steps, ==, 2);

    aio_co_schedule(t.away, co);
    /* Nothing for home to do: the coroutine finishes in the IOThread. */
    wait_posted(&t.finished, "reschedule-round-trip");
    g_assert_cmpint(t.steps, ==, 3);
    iothread_join(io);
    /* Only now: the IOThread may still be inside qemu_sem_post(). */
    qemu_sem_destroy(&t.finished);
}

/* A coroutine yielded in an IOThread; aio_co_wake() from here sends it back. */
typedef struct {
    QemuThread main_thread;
    QemuEvent parked;
    QemuSemaphore done;         /* posted when the coroutine resumed */
} WakeBack;

static void coroutine_fn co_park_away(void *opaque)
{
    WakeBack *w = opaque;
    AioContext *mine = qemu_get_current_aio_context();

    g_assert_false(qemu_thread_is_self(&w->main_thread));
    qemu_event_set(&w->parked);
    qemu_coroutine_yield();
    /* Woken from the main thread, still resumed in our own context. */
    g_assert_true(qemu_get_current_aio_context() == mine);
    g_assert_false(qemu_thread_is_self(&w->main_thread));
    qemu_sem_post(&w->done);
}

static void test_wake_cross_thread(void)
{
    IOThread *io = iothread_new();
    WakeBack w;
    Coroutine *co = qemu_coroutine_create(co_park_away, &w);

    qemu_thread_get_self(&w.main_thread);
    qemu_event_init(&w.parked, false);
    qemu_sem_init(&w.done, 0);
    aio_co_schedule(iothread_get_aio_context(io), co);
    qemu_event_wait(&w.parked);
    /*
     * It may not have yielded yet: the wake goes through the IOThread's
     * BH, which only runs after the yield.
     */
    aio_co_wake(co);
    wait_posted(&w.done, "wake-cross-thread");
    iothread_join(io);
    /* After the join: the IOThread may still be inside the set/post. */
    qemu_event_destroy(&w.parked);
    qemu_sem_destroy(&w.done);
}

/* ---------------------------------------------------------------------- */
/* Many threads                                                            */
/* ---------------------------------------------------------------------- */

#define NUM_IOTHREADS 5

static IOThread *iothreads[NUM_IOTHREADS];
static AioContext *contexts[NUM_IOTHREADS];

static void start_iothreads(void)
{
    int i;

    for (i = 0; i < NUM_IOTHREADS; i++) {
        iothreads[i] = iothread_new();
        contexts[i] = iothread_get_aio_context(iothreads[i]);
    }
}

static void post_bh(void *opaque)
{
    qemu_sem_post(opaque);
}

/*
 * Joining an IOThread frees its AioContext, so no other IOThread may still
 * be touching it.  One can, even after every coroutine has finished: a
 * coroutine that moved itself with aio_co_reschedule_self() becomes
 * runnable in its destination as soon as it is queued there, and may run
 * to its end before its old thread has finished kicking the destination
 * (aio_notify() at the end of aio_co_schedule()).  So first let every
 * IOThread finish the BH it is running (a BH of ours queued behind it
 * posts a semaphore), and only then join any of them.
 */
static void stop_iothreads(void)
{
    QemuSemaphore quiet;
    int i;

    qemu_sem_init(&quiet, 0);
    for (i = 0; i < NUM_IOTHREADS; i++) {
        aio_bh_schedule_oneshot(contexts[i], post_bh, &quiet);
    }
    for (i = 0; i < NUM_IOTHREADS; i++) {
        wait_posted(&quiet, "IOThreads going quiet");
    }
    for (i = 0; i < NUM_IOTHREADS; i++) {
        iothread_join(iothreads[i]);
        iothreads[i] = NULL;
        contexts[i] = NULL;
    }
    /* After the joins: a poster may still have been inside the post. */
    qemu_sem_destroy(&quiet);
}


/*
 * Bouncing coroutines.  Each round a coroutine wakes a parked one (taken
 * out of its slot with an xchg, woken with aio_co_wake(): cross-thread
 * that is aio_co_schedule()), then parks itself in its own slot and
 * yields, unless it is the last one awake; then it goes round its
 * context's co_schedule BH instead, so somebody always runs.  Now and then
 * a coroutine moves itself to a random IOThread with
 * aio_co_reschedule_self().  Every wake must arrive exactly once: a lost
 * one leaves a coroutine parked forever (caught at the end), a duplicate
 * aborts in qemu_aio_coroutine_enter().
 */
#define BOUNCERS (2 * NUM_IOTHREADS)

static Coroutine *slots[BOUNCERS];
static int wakes_sent, wakes_received, moves, spins, bounce_live;
/* Bouncers not parked (woken ones count from the moment of the xchg). */
static int awake;
static int bounce_target;
static bool bounce_stop;
static QemuEvent bounce_target_hit;
/*
 * Posted, once bounce_stop is set, by every bouncer that parks and by
 * every bouncer that leaves: the main thread's cue to look again.
 */
static QemuSemaphore bounce_progress;

static bool wake_slot(int k)
{
    Coroutine *co = qatomic_xchg(&slots[k], NULL);

    if (!co) {
        return false;
    }
    qatomic_inc(&awake);
    if (qatomic_fetch_inc(&wakes_sent) + 1 == bounce_target) {
        qemu_event_set(&bounce_target_hit);
    }
    aio_co_wake(co);
    return true;
}

/* Wakes one parked coroutine other than @me, trying every slot once. */
static bool wake_someone(int me, GRand *rng)
{
    int start = g_rand_int_range(rng, 0, BOUNCERS);
    int i;

    for (i = 0; i < BOUNCERS; i++) {
        int k = (start + i) % BOUNCERS;

        if (k != me && wake_slot(k)) {
            return true;
        }
    }
    return false;
}

static void coroutine_fn co_bouncer(void *opaque)
{
    int me = (uintptr_t)opaque;
    GRand *rng = g_rand_new_with_seed(me + 1);

    while (!qatomic_read(&bounce_stop)) {
        if (g_rand_int_range(rng, 0, 8) == 0) {
            qatomic_inc(&moves);
            aio_co_reschedule_self(
                contexts[g_rand_int_range(rng, 0, NUM_IOTHREADS)]);
        }
        wake_someone(me, rng);
        if (qatomic_fetch_dec(&awake) == 1) {
            /* Everybody else is parked: stay awake, retry after a BH. */
            qatomic_inc(&awake);
            qatomic_inc(&spins);
            aio_co_schedule(qemu_get_current_aio_context(),
                            qemu_coroutine_self());
            qemu_coroutine_yield();
            continue;
        }
        g_assert_null(qatomic_read(&slots[me]));
        /*
         * Published before the yield; whoever takes it wakes us.  The
         * full barrier also pairs with the one after the main thread's
         * store to bounce_stop: either it finds our slot in its next scan,
         * or we see bounce_stop here and prompt another scan.
         */
        qatomic_set_mb(&slots[me], qemu_coroutine_self());
        if (qatomic_read(&bounce_stop)) {
            qemu_sem_post(&bounce_progress);
        }
        qemu_coroutine_yield();
        qatomic_inc(&wakes_received);
    }
    g_rand_free(rng);
    qatomic_dec(&bounce_live);
    qemu_sem_post(&bounce_progress);
}

static void test_multi_schedule(void)
{
    int i;

    wakes_sent = wakes_received = moves = spins = 0;
    bounce_stop = false;
    bounce_target = g_test_quick() ? 200000 : 2000000;
    qemu_event_init(&bounce_target_hit, false);
    qemu_sem_init(&bounce_progress, 0);
    start_iothreads();

    bounce_live = awake = BOUNCERS;
    for (i = 0; i < BOUNCERS; i++) {
        Coroutine *co = qemu_coroutine_create(co_bouncer,
                                              (void *)(uintptr_t)i);

        aio_co_schedule(contexts[i % NUM_IOTHREADS], co);
    }
    qemu_event_wait(&bounce_target_hit);

    /*
     * Stop.  A coroutine that read bounce_stop as false may still park
     * after a pass, so keep emptying slots until everybody has left.
     */
    qatomic_set_mb(&bounce_stop, true);
    for (;;) {
        for (i = 0; i < BOUNCERS; i++) {
            wake_slot(i);
        }
        if (qatomic_load_acquire(&bounce_live) == 0) {
            break;
        }
        /* Until a bouncer parks again or leaves (see co_bouncer()). */
        wait_posted(&bounce_progress, "bouncers stopping");
    }
    for (i = 0; i < BOUNCERS; i++) {
        g_assert_null(slots[i]);
    }
    g_assert_cmpint(wakes_sent, ==, wakes_received);
    g_assert_cmpint(wakes_sent, >=, bounce_target);
    g_test_message("wakes %d, moves %d, spins %d", wakes_sent, moves,
                   spins);

    stop_iothreads();
    /* After the joins: a bouncer may have been inside a post or set. */
    qemu_event_destroy(&bounce_target_hit);
    qemu_sem_destroy(&bounce_progress);
}

/*
 * CoMutex under contention from coroutines in every IOThread.  The
 * counter is a plain int protected only by the CoMutex; the atomic one
 * counts the same increments.  Some holders yield or even move to another
 * thread inside the critical section, forcing real queueing and
 * cross-thread hand-offs.
 */
static CoMutex comutex;
static int plain_counter, atomic_counter, mutex_live, mutex_target;
static QemuSemaphore mutex_all_done;    /* posted by the last worker out */

typedef struct {
    int id;
    bool yield_inside;
} MutexWorker;

static void coroutine_fn co_mutex_worker(void *opaque)
{
    MutexWorker *w = opaque;
    GRand *rng = g_rand_new_with_seed(w->id + 100);

    while (qatomic_read(&atomic_counter) < mutex_target) {
        int r = g_rand_int_range(rng, 0, 64);

        qemu_co_mutex_lock(&comutex);
        plain_counter++;
        if (w->yield_inside && r == 0) {
            aio_co_reschedule_self(
                contexts[g_rand_int_range(rng, 0, NUM_IOTHREADS)]);
        } else if (w->yield_inside && r < 4) {
            /* Come back through our context's BH. */
            aio_co_schedule(qemu_get_current_aio_context(),
                            qemu_coroutine_self());
            qemu_coroutine_yield();
        }
        qemu_co_mutex_unlock(&comutex);
        qatomic_inc(&atomic_counter);
    }
    g_rand_free(rng);
    if (qatomic_fetch_dec(&mutex_live) == 1) {
        qemu_sem_post(&mutex_all_done);
    }
}

static void run_mutex_case(int per_thread, bool yield_inside, int target)
{
    MutexWorker *workers = g_new0(MutexWorker, NUM_IOTHREADS * per_thread);
    int i;

    qemu_co_mutex_init(&comutex);
    qemu_sem_init(&mutex_all_done, 0);
    plain_counter = atomic_counter = 0;
    mutex_target = target;
    start_iothreads();
    mutex_live = NUM_IOTHREADS * per_thread;
    for (i = 0; i < NUM_IOTHREADS * per_thread; i++) {
        workers[i] = (MutexWorker) { .id = i, .yield_inside = yield_inside };
        aio_co_schedule(contexts[i % NUM_IOTHREADS],
                        qemu_coroutine_create(co_mutex_worker, &workers[i]));
    }
    wait_posted(&mutex_all_done, "CoMutex workers");
    g_assert_cmpint(qatomic_read(&mutex_live), ==, 0);
    g_assert_cmpint(plain_counter, ==, atomic_counter);
    g_assert_cmpint(atomic_counter, >=, target);
    g_assert_cmpuint(qatomic_read(&comutex.locked), ==, 0);
    g_test_message("%d critical sections", atomic_counter);
    stop_iothreads();
    qemu_sem_destroy(&mutex_all_done);
    g_free(workers);
}

static void test_multi_mutex_contended(void)
{
    run_mutex_case(4, true, g_test_quick() ? 100000 : 1000000);
}

/* One coroutine per thread, tight loop: spinning and hand-off paths. */
static void test_multi_mutex_handoff(void)
{
    run_mutex_case(1, false, g_test_quick() ? 300000 : 3000000);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);

    home = aio_context_new(&error_abort);
    qemu_set_current_aio_context(home);

    g_test_add_func("/aio/coroutine/abort/double-schedule",
                    test_double_schedule_aborts);
    g_test_add_func("/aio/coroutine/abort/enter-scheduled",
                    test_enter_scheduled_aborts);
    g_test_add_func("/aio/multi/schedule", test_multi_schedule);
    g_test_add_func("/aio/multi/mutex/contended", test_multi_mutex_contended);
    g_test_add_func("/aio/multi/mutex/handoff", test_multi_mutex_handoff);
    g_test_add_func("/aio/coroutine/queue-chaining", test_queue_chaining);
    g_test_add_func("/aio/coroutine/schedule-same-context",
                    test_schedule_same_context);
    g_test_add_func("/aio/coroutine/worker-thread-co-enter",
                    test_worker_thread_co_enter);
    g_test_add_func("/aio/coroutine/reschedule-round-trip",
                    test_reschedule_round_trip);
    g_test_add_func("/aio/coroutine/wake-cross-thread",
                    test_wake_cross_thread);
    return g_test_run();
}
