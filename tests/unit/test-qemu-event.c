/*
 * qemuutil: tests for the QemuEvent state machine.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * White-box where it helps: the tests read ev.value to check each state
 * transition (SET = 0, FREE = 1, BUSY = all ones).  The two stress tests
 * detect lost wake-ups: a waiter that stays asleep after a set stalls its
 * loop, and a watchdog thread turns the stall into a failure that says how
 * far the test got, instead of a hang.  They run in a subprocess so the
 * watchdog's abort does not take the other tests down.
 *
 * Built twice: as test-qemu-event (futex path on Linux) and, when
 * QEMUUTIL_EVENT_NO_FUTEX is defined, against the mutex+condvar path.
 */
#include "qemu/osdep.h"

#include <sched.h>

#include "qemu/thread.h"
#include "qemu/atomic.h"

#define EV_SET  0u
#define EV_FREE 1u
#define EV_BUSY ((unsigned)-1)

/*
 * Stress tests fail when their progress counter stands still for this long.
 * The bound is on progress, not on total run time: a loaded machine makes
 * every round slower (a cross-CPU wake-up can take 100 us here), but only a
 * lost wake-up stops the rounds altogether.
 */
#define WATCHDOG_MS 5000

static unsigned ev_state(QemuEvent *ev)
{
    return qatomic_read(&ev->value);
}

/* ---------------------------------------------------------------------- */
/* Watchdog                                                                 */
/* ---------------------------------------------------------------------- */

typedef struct Watchdog {
    QemuThread thread;
    QemuSemaphore stop;
    const char *what;
    unsigned (*progress)(void); /* grows while the test makes progress */
    void (*describe)(void);     /* prints the stuck state */
} Watchdog;

static void *watchdog_thread(void *opaque)
{
    Watchdog *w = opaque;
    unsigned last = w->progress();
    int idle_ms = 0;

    /* Check four times per period; any movement restarts the count. */
    while (qemu_sem_timedwait(&w->stop, WATCHDOG_MS / 4) < 0) {
        unsigned now = w->progress();

        if (now != last) {
            last = now;
            idle_ms = 0;
            continue;
        }
        idle_ms += WATCHDOG_MS / 4;
        if (idle_ms >= WATCHDOG_MS) {
            fprintf(stderr, "LOST WAKE-UP: %s made no progress for %d ms; "
                    "a thread is asleep on an event that was set\n",
                    w->what, WATCHDOG_MS);
            w->describe();
            abort();
        }
    }
    return NULL;
}

static void watchdog_start(Watchdog *w, const char *what,
                           unsigned (*progress)(void),
                           void (*describe)(void))
{
    w->what = what;
    w->progress = progress;
    w->describe = describe;
    qemu_sem_init(&w->stop, 0);
    qemu_thread_create(&w->thread, "watchdog", watchdog_thread, w,
                       QEMU_THREAD_JOINABLE);
}

static void watchdog_stop(Watchdog *w)
{
    qemu_sem_post(&w->stop);
    qemu_thread_join(&w->thread);
    qemu_sem_destroy(&w->stop);
}

/*
 * Wait until *@word >= @target with the documented protocol: reset, then
 * re-check, then wait.  Any lost wake-up leaves the caller asleep.
 */
static void wait_for_at_least(QemuEvent *ev, unsigned *word,
                              unsigned target)
{
    for (;;) {
        qemu_event_reset(ev);
        if (qatomic_read(word) >= target) {
            return;
        }
        qemu_event_wait(ev);
    }
}

/* ---------------------------------------------------------------------- */
/* Stress 1: ping-pong.  Each side resets its own event and sleeps on it    */
/* while the other side sets it, so set races with reset every round.      */
/* ---------------------------------------------------------------------- */

#define PINGPONG_ROUNDS 20000

static QemuEvent ping_ev, pong_ev;
static unsigned ping_round, pong_round;     /* atomic */

static void describe_pingpong(void)
{
    fprintf(stderr, "  ping round %u, pong round %u of %d; "
            "ping.value %#x, pong.value %#x\n",
            qatomic_read(&ping_round), qatomic_read(&pong_round),
            PINGPONG_ROUNDS, ev_state(&ping_ev), ev_state(&pong_ev));
}

static unsigned pingpong_progress(void)
{
    return qatomic_read(&ping_round) + qatomic_read(&pong_round);
}

static void *pong_thread(void *opaque)
{
    unsigned i;

    for (i = 1; i <= PINGPONG_ROUNDS; i++) {
        wait_for_at_least(&ping_ev, &ping_round, i);
        qatomic_set(&pong_round, i);
        qemu_event_set(&pong_ev);
    }
    return NULL;
}

static void test_pingpong_stress_child(void)
{
    Watchdog w;
    QemuThread t;
    unsigned i;

    qemu_event_init(&ping_ev, false);
    qemu_event_init(&pong_ev, false);
    watchdog_start(&w, "event ping-pong", pingpong_progress,
                   describe_pingpong);
    qemu_thread_create(&t, "pong", pong_thread, NULL, QEMU_THREAD_JOINABLE);
    for (i = 1; i <= PINGPONG_ROUNDS; i++) {
        qatomic_set(&ping_round, i);
        qemu_event_set(&ping_ev);
        wait_for_at_least(&pong_ev, &pong_round, i);
    }
    qemu_thread_join(&t);
    watchdog_stop(&w);
    g_assert_cmpuint(qatomic_read(&pong_round), ==, PINGPONG_ROUNDS);
    qemu_event_destroy(&ping_ev);
    qemu_event_destroy(&pong_ev);
}

static void test_pingpong_stress(void)
{
    if (g_test_subprocess()) {
        test_pingpong_stress_child();
        return;
    }
    g_test_trap_subprocess(NULL, 0, G_TEST_SUBPROCESS_INHERIT_STDERR);
    g_test_trap_assert_passed();
}

/* ---------------------------------------------------------------------- */
/* Stress 2: several threads sleep on one event while it is reset.          */
/* ---------------------------------------------------------------------- */

/*
 * Waiters never reset gen_ev: with several waiters, one waiter's reset
 * could swallow a set that another, which already checked the condition,
 * still needs.  The setter resets it instead, at the start of each round,
 * when every waiter has seen the previous generation and some may already
 * sleep (BUSY) waiting for the next one.  Reset must leave BUSY alone: if
 * it turned BUSY into FREE, the set that follows would see FREE, skip the
 * wake-up and strand the sleepers, which the watchdog reports.
 */

#define SHARED_WAITERS 3
#define SHARED_ROUNDS 5000

static QemuEvent gen_ev, ack_ev;
static unsigned generation;     /* atomic: bumped by the setter */
static unsigned acks;           /* atomic: waiters that saw a generation */

static void describe_shared(void)
{
    fprintf(stderr, "  generation %u of %d, acks %u of %u expected; "
            "%u waiter(s) stranded; gen.value %#x\n",
            qatomic_read(&generation), SHARED_ROUNDS, qatomic_read(&acks),
            qatomic_read(&generation) * SHARED_WAITERS,
            qatomic_read(&generation) * SHARED_WAITERS -
            qatomic_read(&acks), ev_state(&gen_ev));
}

static unsigned shared_progress(void)
{
    return qatomic_read(&acks);
}

static void *shared_waiter(void *opaque)
{
    unsigned i;

    for (i = 1; i <= SHARED_ROUNDS; i++) {
        while (qatomic_read(&generation) < i) {
            qemu_event_wait(&gen_ev);
            if (qatomic_read(&generation) < i) {
                /* Still the previous round's set: let the setter run. */
                sched_yield();
            }
        }
        qatomic_inc(&acks);
        qemu_event_set(&ack_ev);
    }
    return NULL;
}

static void test_shared_stress_child(void)
{
    QemuThread t[SHARED_WAITERS];
    Watchdog w;
    unsigned i;

    qemu_event_init(&gen_ev, false);
    qemu_event_init(&ack_ev, false);
    watchdog_start(&w, "shared-event waiters", shared_progress,
                   describe_shared);
    for (i = 0; i < SHARED_WAITERS; i++) {
        qemu_thread_create(&t[i], "waiter", shared_waiter, NULL,
                           QEMU_THREAD_JOINABLE);
    }
    for (i = 1; i <= SHARED_ROUNDS; i++) {
        qemu_event_reset(&gen_ev);
        qatomic_set(&generation, i);
        qemu_event_set(&gen_ev);
        wait_for_at_least(&ack_ev, &acks, i * SHARED_WAITERS);
    }
    for (i = 0; i < SHARED_WAITERS; i++) {
        qemu_thread_join(&t[i]);
    }
    watchdog_stop(&w);
    g_assert_cmpuint(qatomic_read(&acks), ==,
                     SHARED_ROUNDS * SHARED_WAITERS);
    qemu_event_destroy(&gen_ev);
    qemu_event_destroy(&ack_ev);
}

static void test_shared_stress(void)
{
    if (g_test_subprocess()) {
        test_shared_stress_child();
        return;
    }
    g_test_trap_subprocess(NULL, 0, G_TEST_SUBPROCESS_INHERIT_STDERR);
    g_test_trap_assert_passed();
}

/* ---------------------------------------------------------------------- */
/* The state machine, case by case                                          */
/* ---------------------------------------------------------------------- */

static void test_init(void)
{
    QemuEvent ev;

    qemu_event_init(&ev, false);
    g_assert_cmphex(ev_state(&ev), ==, EV_FREE);
    qemu_event_destroy(&ev);

    qemu_event_init(&ev, true);
    g_assert_cmphex(ev_state(&ev), ==, EV_SET);
    /* Initially set: wait returns without anybody setting it. */
    qemu_event_wait(&ev);
    g_assert_cmphex(ev_state(&ev), ==, EV_SET);
    qemu_event_destroy(&ev);
}

static void test_set_before_wait(void)
{
    QemuEvent ev;

    qemu_event_init(&ev, false);
    qemu_event_set(&ev);
    g_assert_cmphex(ev_state(&ev), ==, EV_SET);
    /* Waiting does not consume the event: it stays set. */
    qemu_event_wait(&ev);
    qemu_event_wait(&ev);
    g_assert_cmphex(ev_state(&ev), ==, EV_SET);
    /* Setting a set event changes nothing. */
    qemu_event_set(&ev);
    g_assert_cmphex(ev_state(&ev), ==, EV_SET);
    qemu_event_destroy(&ev);
}

static void test_reset(void)
{
    QemuEvent ev;

    qemu_event_init(&ev, true);
    qemu_event_reset(&ev);
    g_assert_cmphex(ev_state(&ev), ==, EV_FREE);
    /* Resetting a free event leaves it free. */
    qemu_event_reset(&ev);
    g_assert_cmphex(ev_state(&ev), ==, EV_FREE);
    /*
     * Resetting a busy event (forced here; a sleeper would have made it
     * so) must leave it busy: BUSY -> FREE would lose the next wake-up.
     */
    qatomic_set(&ev.value, EV_BUSY);
    qemu_event_reset(&ev);
    g_assert_cmphex(ev_state(&ev), ==, EV_BUSY);
    /* Set from BUSY ends SET (nobody is really asleep; the wake is a no-op). */
    qemu_event_set(&ev);
    g_assert_cmphex(ev_state(&ev), ==, EV_SET);
    qemu_event_destroy(&ev);
}

typedef struct Waiter {
    QemuThread thread;
    QemuEvent *ev;
    int *started;       /* atomic */
    int *returned;      /* atomic */
} Waiter;

static void *waiter_thread(void *opaque)
{
    Waiter *w = opaque;

    qatomic_inc(w->started);
    qemu_event_wait(w->ev);
    qatomic_inc(w->returned);
    return NULL;
}

/* Wait, yielding the CPU, until @ev has gone BUSY (a waiter is parked). */
static void wait_until_busy(QemuEvent *ev)
{
    int64_t deadline = g_get_monotonic_time() + WATCHDOG_MS * 1000LL;

    while (ev_state(ev) != EV_BUSY) {
        g_assert_cmpint(g_get_monotonic_time(), <, deadline);
        sched_yield();
    }
}

/*
 * Bounded join: wait until @n waiters have returned from qemu_event_wait(),
 * failing (rather than hanging) if a set left some of them asleep.
 */
static void await_returned(Waiter *w, int n, int *returned)
{
    int64_t deadline = g_get_monotonic_time() + WATCHDOG_MS * 1000LL;
    int i;

    while (qatomic_read(returned) < n) {
        if (g_get_monotonic_time() >= deadline) {
            g_error("lost wake-up: %d of %d waiters still asleep %d ms "
                    "after qemu_event_set()", n - qatomic_read(returned), n,
                    WATCHDOG_MS);
        }
        sched_yield();
    }
    for (i = 0; i < n; i++) {
        qemu_thread_join(&w[i].thread);
    }
}

static void start_waiters(Waiter *w, int n, QemuEvent *ev, int *started,
                          int *returned)
{
    int i;

    for (i = 0; i < n; i++) {
        w[i].ev = ev;
        w[i].started = started;
        w[i].returned = returned;
        qemu_thread_create(&w[i].thread, "ev-waiter", waiter_thread, &w[i],
                           QEMU_THREAD_JOINABLE);
    }
}

static void test_wait_goes_busy_and_set_wakes(void)
{
    int started = 0, returned = 0;
    QemuEvent ev;
    Waiter w;

    qemu_event_init(&ev, false);
    start_waiters(&w, 1, &ev, &started, &returned);
    /* FREE -> BUSY happens in the waiter before it sleeps. */
    wait_until_busy(&ev);
    g_assert_cmpint(qatomic_read(&returned), ==, 0);
    /* BUSY -> SET, and the sleeper must be woken. */
    qemu_event_set(&ev);
    await_returned(&w, 1, &returned);
    g_assert_cmphex(ev_state(&ev), ==, EV_SET);
    qemu_event_destroy(&ev);
}

static void test_reset_with_waiter(void)
{
    int started = 0, returned = 0;
    QemuEvent ev;
    Waiter w;

    qemu_event_init(&ev, false);
    start_waiters(&w, 1, &ev, &started, &returned);
    wait_until_busy(&ev);
    /* A reset while somebody sleeps must not hide the sleeper. */
    qemu_event_reset(&ev);
    g_assert_cmphex(ev_state(&ev), ==, EV_BUSY);
    g_assert_cmpint(qatomic_read(&returned), ==, 0);
    qemu_event_set(&ev);
    await_returned(&w, 1, &returned);
    qemu_event_destroy(&ev);
}

#define MANY_WAITERS 8

static void test_many_waiters(void)
{
    Waiter w[MANY_WAITERS];
    int started = 0, returned = 0;
    int64_t deadline;
    QemuEvent ev;

    qemu_event_init(&ev, false);
    start_waiters(w, MANY_WAITERS, &ev, &started, &returned);
    deadline = g_get_monotonic_time() + WATCHDOG_MS * 1000LL;
    while (qatomic_read(&started) < MANY_WAITERS) {
        g_assert_cmpint(g_get_monotonic_time(), <, deadline);
        sched_yield();
    }
    wait_until_busy(&ev);
    g_assert_cmpint(qatomic_read(&returned), ==, 0);
    /* One set releases every waiter, asleep or on its way to sleep. */
    qemu_event_set(&ev);
    await_returned(w, MANY_WAITERS, &returned);
    g_assert_cmphex(ev_state(&ev), ==, EV_SET);

    /* And a later waiter passes straight through until a reset. */
    returned = 0;
    start_waiters(w, 1, &ev, &started, &returned);
    await_returned(w, 1, &returned);
    qemu_event_destroy(&ev);
}

static void test_wait_destroyed_aborts(void)
{
    if (g_test_subprocess()) {
        QemuEvent ev;

        qemu_event_init(&ev, true);
        qemu_event_destroy(&ev);
        qemu_event_wait(&ev);
        return;
    }
    g_test_trap_subprocess(NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
    g_test_trap_assert_failed();
    g_test_trap_assert_stderr("*after destroy*");
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);

    /* Hard cases first. */
    g_test_add_func("/thread/event/stress/ping-pong", test_pingpong_stress);
    g_test_add_func("/thread/event/stress/shared", test_shared_stress);
    g_test_add_func("/thread/event/many-waiters", test_many_waiters);
    g_test_add_func("/thread/event/reset-with-waiter",
                    test_reset_with_waiter);
    g_test_add_func("/thread/event/wait-busy-set-wakes",
                    test_wait_goes_busy_and_set_wakes);
    g_test_add_func("/thread/event/set-before-wait", test_set_before_wait);
    g_test_add_func("/thread/event/reset", test_reset);
    g_test_add_func("/thread/event/init", test_init);
    g_test_add_func("/thread/event/wait-destroyed-aborts",
                    test_wait_destroyed_aborts);

    return g_test_run();
}
