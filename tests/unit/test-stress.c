/*
 * qemuutil tests: random interleavings of the event-loop operations across
 * several IOThreads, with the invariants checked as they go.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * The driver (the test's main thread) works in rounds.  In each round it
 * fires a random mix of cross-thread operations at NR_IOTHREADS IOThreads:
 * one-shot BHs, schedule/cancel of long-lived BHs, aio_notify(), coroutines
 * scheduled with aio_co_schedule() that move themselves to a second
 * context, event-notifier kicks and cross-thread timer_mod()/timer_del().
 * The "actor" BH of each IOThread does the same-thread half: it creates,
 * schedules, cancels and deletes its own BHs, arms and deletes its own
 * timers, registers and removes its fd handler, and sends one-shots to
 * the other threads.  Then the driver stops and waits, with a bound, for
 * everything outstanding to finish (quiesce), and checks the round.
 *
 * Invariants, and how a bug shows:
 *  - every one-shot BH runs exactly once, in its context's thread, and
 *    every coroutine finishes once, in the contexts it was sent to
 *    (asserts in the callbacks; counts at the end of each round);
 *  - after a same-thread qemu_bh_delete(), qemu_bh_cancel(), timer_del()
 *    or handler removal returns, that callback does not run (each record
 *    says whether it may run; the callback asserts it);
 *  - no lost wake-up: an IOThread asleep in aio_poll() must notice the
 *    work sent to it, so the quiesce wait ends.  It is bounded (10 s, or
 *    QEMUUTIL_STRESS_BOUND_MS); running into the bound fails the test and
 *    prints what is still outstanding in which thread.
 *
 * QEMUUTIL_STRESS_SECONDS sets the duration (default 60); meson runs it
 * for 3 s in the 'unit' suite and 60 s in 'slow'.  QEMUUTIL_STRESS_SEED
 * replays a seed (the driver's; the IOThreads' timing is not replayable).
 */
#include "qemu/osdep.h"
#include "block/aio.h"
#include "qapi/error.h"
#include "qemu/coroutine.h"
#include "qemu/iothread.h"
#include "qemu/main-loop.h"
#include "qemu/thread.h"
#include "qemu/timer.h"

#define NR_IOTHREADS    3
#define OPS_PER_ROUND   1500
#define LOCAL_BHS       12      /* live actor-owned BHs per thread, at most */
#define LOCAL_TIMERS    4

/* ---------------------------------------------------------------------- */
/* Outstanding work and the bounded wait for it                             */
/* ---------------------------------------------------------------------- */

/*
 * One-shots not yet run, coroutines not yet finished and actor timers
 * armed but not yet fired, over all threads.  Whoever brings it to zero
 * broadcasts @quiet_cond under @quiet_lock, which the driver holds while
 * it checks, so the wake-up cannot fall between its check and its wait.
 */
static int outstanding;
static QemuMutex quiet_lock;
static QemuCond quiet_cond;

/*
 * Set by the driver from the start of its wait to the end of the round's
 * checks: actors arm nothing new.  Written under items_lock.
 */
static bool quiescing;

static void outstanding_inc(void)
{
    qatomic_inc(&outstanding);
}

static void outstanding_dec(void)
{
    if (qatomic_fetch_dec(&outstanding) == 1) {
        qemu_mutex_lock(&quiet_lock);
        qemu_cond_broadcast(&quiet_cond);
        qemu_mutex_unlock(&quiet_lock);
    }
}

/* ---------------------------------------------------------------------- */
/* Per-thread state                                                         */
/* ---------------------------------------------------------------------- */

typedef struct LocalBH {
    QEMUBH *bh;
    struct Worker *w;
    bool scheduled;     /* may run: scheduled and not cancelled since */
    bool deleted;       /* qemu_bh_delete() has returned: must never run */
    unsigned runs;
} LocalBH;

typedef struct LocalTimer {
    QEMUTimer *timer;
    struct Worker *w;
    bool armed;         /* may fire: modded and not deleted since */
    unsigned fired;
} LocalTimer;

typedef struct Worker {
    int index;
    IOThread *iothread;
    AioContext *ctx;

    /* Created by the driver before the IOThreads run; never deleted. */
    QEMUBH *actor_bh;
    QEMUTimer *cross_timer;     /* timer_mod()/timer_del() by the driver */
    EventNotifier kick;         /* set by the driver and by other actors */

    /* The rest is touched only in this worker's thread. */
    GRand *rand;
    LocalBH *live[LOCAL_BHS];
    unsigned nlive;
    GPtrArray *dead;            /* deleted BHs of the current round */
    unsigned dead_round;
    LocalTimer timers[LOCAL_TIMERS];
    bool kick_registered;
    unsigned actor_runs, kicks_seen, cross_fired, local_bh_runs;

    /* Outstanding items per thread, for the failure report (atomic). */
    int oneshots_pending, coroutines_pending, timers_armed;
} Worker;

static Worker workers[NR_IOTHREADS];
static unsigned round_no;           /* written by the driver only */

/* A one-shot BH or a coroutine and where it must run. */
typedef struct Item {
    Worker *target;
    Worker *second;             /* coroutines: where they move next */
    unsigned runs;              /* atomic */
} Item;

/* Items of the current round; actors add one-shots too. */
static QemuMutex items_lock;
static GPtrArray *items;

static unsigned total_oneshots, total_coroutines, total_local_bh_runs;
static unsigned total_timer_fires, total_kicks, total_rounds;

static Worker *current_worker(void)
{
    AioContext *ctx = qemu_get_current_aio_context();
    int i;

    for (i = 0; i < NR_IOTHREADS; i++) {
        if (workers[i].ctx == ctx) {
            return &workers[i];
        }
    }
    g_assert_not_reached();
}

/*
 * A new item of the current round, counted as outstanding; NULL if the
 * driver is quiescing.  Checking the flag and adding under one lock means
 * every item the driver checks at the end of a round was counted before
 * its quiesce began.
 */
static Item *new_item(Worker *target, Worker *second)
{
    Item *it = NULL;

    qemu_mutex_lock(&items_lock);
    if (!quiescing) {
        it = g_new0(Item, 1);
        it->target = target;
        it->second = second;
        g_ptr_array_add(items, it);
        outstanding_inc();
    }
    qemu_mutex_unlock(&items_lock);
    return it;
}

/* ---------------------------------------------------------------------- */
/* One-shots and coroutines                                                 */
/* ---------------------------------------------------------------------- */

static void oneshot_cb(void *opaque)
{
    Item *it = opaque;

    g_assert_true(current_worker() == it->target);
    /* Exactly once: a second run finds runs already at 1. */
    g_assert_cmpuint(qatomic_fetch_inc(&it->runs), ==, 0);
    qatomic_dec(&it->target->oneshots_pending);
    outstanding_dec();
}

static void send_oneshot(Worker *target)
{
    Item *it = new_item(target, NULL);

    if (!it) {
        return;
    }
    qatomic_inc(&target->oneshots_pending);
    aio_bh_schedule_oneshot(target->ctx, oneshot_cb, it);
}

static void coroutine_fn stress_co(void *opaque)
{
    Item *it = opaque;

    g_assert_true(qemu_get_current_aio_context() == it->target->ctx);
    aio_co_reschedule_self(it->second->ctx);
    g_assert_true(qemu_get_current_aio_context() == it->second->ctx);
    g_assert_cmpuint(qatomic_fetch_inc(&it->runs), ==, 0);
    qatomic_dec(&it->target->coroutines_pending);
    outstanding_dec();
}

static void send_coroutine(Worker *target, Worker *second)
{
    Item *it = new_item(target, second);

    if (!it) {
        return;
    }
    qatomic_inc(&target->coroutines_pending);
    aio_co_schedule(target->ctx, qemu_coroutine_create(stress_co, it));
}

/* ---------------------------------------------------------------------- */
/* The actor: same-thread operations                                        */
/* ---------------------------------------------------------------------- */

static void local_bh_cb(void *opaque)
{
    LocalBH *b = opaque;

    /* Deleted or cancelled in this thread: must not run. */
    g_assert_false(b->deleted);
    g_assert_true(b->scheduled);
    b->scheduled = false;
    b->runs++;
}

static void local_timer_cb(void *opaque)
{
    LocalTimer *t = opaque;

    g_assert_true(t->armed);
    t->armed = false;
    t->fired++;
    qatomic_dec(&t->w->timers_armed);
    outstanding_dec();
}

static void kick_read(EventNotifier *e)
{
    Worker *w = container_of(e, Worker, kick);

    g_assert_true(w->kick_registered);
    if (event_notifier_test_and_clear(e)) {
        w->kicks_seen++;
    }
}

static void cross_timer_cb(void *opaque)
{
    Worker *w = opaque;

    g_assert_true(current_worker() == w);
    w->cross_fired++;
}

/* Free the deleted BHs' records of earlier rounds (see actor_bh_cb()). */
static void reap_dead(Worker *w)
{
    if (w->dead_round != qatomic_read(&round_no)) {
        g_ptr_array_set_size(w->dead, 0);
        w->dead_round = qatomic_read(&round_no);
    }
}

static void actor_op(Worker *w)
{
    Worker *other = &workers[g_rand_int_range(w->rand, 0, NR_IOTHREADS)];
    bool arming = !qatomic_read(&quiescing);
    LocalBH *b = w->nlive ?
        w->live[g_rand_int_range(w->rand, 0, w->nlive)] : NULL;
    LocalTimer *t = &w->timers[g_rand_int_range(w->rand, 0, LOCAL_TIMERS)];
    unsigned i;

    switch (g_rand_int_range(w->rand, 0, 9)) {
    case 0:         /* a new BH, maybe scheduled at once */
        if (w->nlive < LOCAL_BHS) {
            b = g_new0(LocalBH, 1);
            b->w = w;
            b->bh = aio_bh_new(w->ctx, local_bh_cb, b);
            w->live[w->nlive++] = b;
            if (g_rand_boolean(w->rand)) {
                b->scheduled = true;
                qemu_bh_schedule(b->bh);
            }
        }
        break;
    case 1:
        if (b) {
            b->scheduled = true;
            qemu_bh_schedule(b->bh);
        }
        break;
    case 2:
        if (b) {
            qemu_bh_cancel(b->bh);
            b->scheduled = false;
        }
        break;
    case 3:         /* delete, scheduled or not */
        if (b) {
            qemu_bh_delete(b->bh);
            b->deleted = true;
            w->local_bh_runs += b->runs;
            for (i = 0; w->live[i] != b; i++) {
                /* find it */
            }
            w->live[i] = w->live[--w->nlive];
            /* Kept until the round ends: a late callback would see it. */
            g_ptr_array_add(w->dead, b);
        }
        break;
    case 4:
        if (arming) {
            if (!t->armed) {
                t->armed = true;
                qatomic_inc(&w->timers_armed);
                outstanding_inc();
            }
            timer_mod(t->timer, qemu_clock_get_ns(QEMU_CLOCK_REALTIME) +
                      g_rand_int_range(w->rand, 0, 300 * SCALE_US));
        }
        break;
    case 5:
        timer_del(t->timer);
        if (t->armed) {
            t->armed = false;
            qatomic_dec(&w->timers_armed);
            outstanding_dec();
        }
        break;
    case 6:         /* handler add/remove */
        w->kick_registered = !w->kick_registered;
        aio_set_event_notifier(w->ctx, &w->kick,
                               w->kick_registered ? kick_read : NULL,
                               NULL, NULL);
        break;
    case 7:
        send_oneshot(other);        /* unless quiescing */
        break;
    case 8:
        aio_notify(other->ctx);
        event_notifier_set(&other->kick);
        break;
    }
}

static void actor_bh_cb(void *opaque)
{
    Worker *w = opaque;
    int n = g_rand_int_range(w->rand, 1, 9);

    w->actor_runs++;
    reap_dead(w);
    while (n-- > 0) {
        actor_op(w);
    }
}

/* ---------------------------------------------------------------------- */
/* The driver: cross-thread operations                                      */
/* ---------------------------------------------------------------------- */

static void driver_op(GRand *r)
{
    Worker *w = &workers[g_rand_int_range(r, 0, NR_IOTHREADS)];
    Worker *w2 = &workers[g_rand_int_range(r, 0, NR_IOTHREADS)];

    switch (g_rand_int_range(r, 0, 10)) {
    case 0:
    case 1:
        send_oneshot(w);
        break;
    case 2:
    case 3:
        qemu_bh_schedule(w->actor_bh);
        break;
    case 4:
        qemu_bh_cancel(w->actor_bh);
        break;
    case 5:
        aio_notify(w->ctx);
        break;
    case 6:
        send_coroutine(w, w2);
        break;
    case 7:
        event_notifier_set(&w->kick);
        break;
    case 8:
        timer_mod(w->cross_timer, qemu_clock_get_ns(QEMU_CLOCK_REALTIME) +
                  g_rand_int_range(r, 0, 200 * SCALE_US));
        break;
    case 9:
        timer_del(w->cross_timer);
        break;
    }
}

static int64_t bound_ms(void)
{
    const char *s = getenv("QEMUUTIL_STRESS_BOUND_MS");

    return s ? g_ascii_strtoll(s, NULL, 10) : 10000;
}

/* The failure report of a quiesce that ran into the bound. */
static void report_stall(void)
{
    int i;

    g_printerr("# stress: lost wake-up? round %u still has %d item(s) "
               "outstanding after %" PRId64 " ms\n", round_no,
               qatomic_read(&outstanding), bound_ms());
    for (i = 0; i < NR_IOTHREADS; i++) {
        g_printerr("#   iothread %d: %d one-shot(s) not run, %d coroutine(s) "
                   "sent here not finished, %d timer(s) armed, "
                   "notify_me=%u notified=%d\n", i,
                   qatomic_read(&workers[i].oneshots_pending),
                   qatomic_read(&workers[i].coroutines_pending),
                   qatomic_read(&workers[i].timers_armed),
                   qatomic_read(&workers[i].ctx->notify_me),
                   qatomic_read(&workers[i].ctx->notified));
    }
}

/* Wait, bounded, until nothing is outstanding. */
static void quiesce(void)
{
    int64_t deadline = get_clock() + bound_ms() * SCALE_MS;
    int64_t left;

    qemu_mutex_lock(&items_lock);
    qatomic_set(&quiescing, true);
    qemu_mutex_unlock(&items_lock);
    qemu_mutex_lock(&quiet_lock);
    while (qatomic_read(&outstanding) > 0) {
        left = (deadline - get_clock()) / SCALE_MS;
        if (left <= 0) {
            report_stall();
            g_assert_cmpint(qatomic_read(&outstanding), ==, 0);
        }
        qemu_cond_timedwait(&quiet_cond, &quiet_lock, left);
    }
    qemu_mutex_unlock(&quiet_lock);
}

/* Check and free the round's one-shots and coroutines. */
static void end_round(void)
{
    guint i;

    /* Quiescing: no item is added until the flag drops below. */
    for (i = 0; i < items->len; i++) {
        Item *it = g_ptr_array_index(items, i);

        g_assert_cmpuint(qatomic_read(&it->runs), ==, 1);
        if (it->second) {
            total_coroutines++;
        } else {
            total_oneshots++;
        }
    }
    qatomic_set(&round_no, round_no + 1);
    qemu_mutex_lock(&items_lock);
    g_ptr_array_set_size(items, 0);
    qatomic_set(&quiescing, false);
    qemu_mutex_unlock(&items_lock);
    total_rounds++;
}

/* ---------------------------------------------------------------------- */
/* Set-up and tear-down, in each IOThread                                   */
/* ---------------------------------------------------------------------- */

static QemuSemaphore setup_done;

static void worker_setup_bh(void *opaque)
{
    Worker *w = opaque;
    int i;

    w->dead = g_ptr_array_new_with_free_func(g_free);
    for (i = 0; i < LOCAL_TIMERS; i++) {
        w->timers[i].w = w;
        w->timers[i].timer = aio_timer_new(w->ctx, QEMU_CLOCK_REALTIME,
                                           SCALE_NS, local_timer_cb,
                                           &w->timers[i]);
    }
    qemu_sem_post(&setup_done);
}

static void worker_teardown_bh(void *opaque)
{
    Worker *w = opaque;
    unsigned i;

    for (i = 0; i < w->nlive; i++) {
        w->local_bh_runs += w->live[i]->runs;
        qemu_bh_delete(w->live[i]->bh);
        w->live[i]->deleted = true;
        g_ptr_array_add(w->dead, w->live[i]);
    }
    w->nlive = 0;
    total_local_bh_runs += w->local_bh_runs;
    for (i = 0; i < LOCAL_TIMERS; i++) {
        total_timer_fires += w->timers[i].fired;
        timer_free(w->timers[i].timer);
    }
    timer_free(w->cross_timer);
    if (w->kick_registered) {
        aio_set_event_notifier(w->ctx, &w->kick, NULL, NULL, NULL);
    }
    total_kicks += w->kicks_seen;
    qemu_bh_delete(w->actor_bh);
    qemu_sem_post(&setup_done);
}

static unsigned stress_seconds(void)
{
    const char *s = getenv("QEMUUTIL_STRESS_SECONDS");

    return s ? g_ascii_strtoull(s, NULL, 10) : 60;
}

static void test_random_interleavings(void)
{
    guint32 seed;
    const char *seed_env = getenv("QEMUUTIL_STRESS_SEED");
    int64_t end;
    GRand *r;
    unsigned op;
    int i;

    seed = seed_env ? g_ascii_strtoull(seed_env, NULL, 10) :
                      (guint32)g_get_real_time();
    g_test_message("seed %u (QEMUUTIL_STRESS_SEED), %u s",
                   seed, stress_seconds());
    r = g_rand_new_with_seed(seed);
    qemu_mutex_init(&quiet_lock);
    qemu_cond_init(&quiet_cond);
    qemu_mutex_init(&items_lock);
    qemu_sem_init(&setup_done, 0);
    items = g_ptr_array_new_with_free_func(g_free);

    for (i = 0; i < NR_IOTHREADS; i++) {
        Worker *w = &workers[i];

        w->index = i;
        w->rand = g_rand_new_with_seed(seed + i + 1);
        w->iothread = iothread_new();
        w->ctx = iothread_get_aio_context(w->iothread);
        g_assert_cmpint(event_notifier_init(&w->kick, false), ==, 0);
        w->actor_bh = aio_bh_new(w->ctx, actor_bh_cb, w);
        w->cross_timer = aio_timer_new(w->ctx, QEMU_CLOCK_REALTIME,
                                       SCALE_NS, cross_timer_cb, w);
        aio_bh_schedule_oneshot(w->ctx, worker_setup_bh, w);
        qemu_sem_wait(&setup_done);
    }

    end = get_clock() + stress_seconds() * NANOSECONDS_PER_SECOND;
    do {
        for (op = 0; op < OPS_PER_ROUND; op++) {
            driver_op(r);
        }
        quiesce();
        end_round();
    } while (get_clock() < end);

    for (i = 0; i < NR_IOTHREADS; i++) {
        aio_bh_schedule_oneshot(workers[i].ctx, worker_teardown_bh,
                                &workers[i]);
        qemu_sem_wait(&setup_done);
    }
    for (i = 0; i < NR_IOTHREADS; i++) {
        iothread_join(workers[i].iothread);
        event_notifier_cleanup(&workers[i].kick);
        g_ptr_array_free(workers[i].dead, true);
        g_rand_free(workers[i].rand);
    }
    g_test_message("%u rounds: %u one-shots, %u coroutines, %u local BH "
                   "runs, %u local timer fires, %u kicks seen",
                   total_rounds, total_oneshots, total_coroutines,
                   total_local_bh_runs, total_timer_fires, total_kicks);
    g_assert_cmpuint(total_oneshots, >, 0);
    g_assert_cmpuint(total_coroutines, >, 0);

    g_ptr_array_free(items, true);
    g_rand_free(r);
    qemu_sem_destroy(&setup_done);
    qemu_mutex_destroy(&items_lock);
    qemu_cond_destroy(&quiet_cond);
    qemu_mutex_destroy(&quiet_lock);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    init_clocks(NULL);
    g_test_add_func("/stress/aio/random-interleavings",
                    test_random_interleavings);
    return g_test_run();
}
