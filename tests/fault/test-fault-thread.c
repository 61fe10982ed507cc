/*
 * qemuutil tests: semaphores, QemuEvent and the thread pool under
 * interrupted futex waits and spurious condition-variable wake-ups (run
 * with the libfault shim preloaded).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * The kernel may end a futex wait early (EINTR, or for no reason at all)
 * and POSIX allows pthread_cond_wait() to return without a signal.  Each
 * case injects those early returns and checks that no wait returns before
 * the thing it waits for has happened, and that timed waits keep their
 * deadline.
 */
#include "qemu/osdep.h"
#include "block/aio.h"
#include "block/thread-pool.h"
#include "qapi/error.h"
#include "qemu/thread.h"
#include "qemu/timer.h"
#include "fault-test.h"

#define N_EARLY 5

typedef struct Waker {
    const char *call;       /* wake once this many early returns happened */
    QemuSemaphore sem;
    QemuEvent ev;
    bool done;
} Waker;

/* Post the semaphore once the waiter has been woken early N_EARLY times. */
static void *sem_poster(void *opaque)
{
    Waker *w = opaque;

    while (fault_injected(w->call) < N_EARLY) {
        sched_yield();
    }
    qatomic_set(&w->done, true);
    qemu_sem_post(&w->sem);
    return NULL;
}

/* qemu_sem_wait() sleeps through spurious wake-ups until the post. */
static void test_sem_wait_spurious(void)
{
    Waker w = { .call = "cond" };
    QemuThread thread;

    if (!fault_in_child()) {
        return;
    }
    qemu_sem_init(&w.sem, 0);
    fault_arm("cond:spurious:count=5");
    qemu_thread_create(&thread, "poster", sem_poster, &w,
                       QEMU_THREAD_JOINABLE);
    qemu_sem_wait(&w.sem);
    g_assert_true(qatomic_read(&w.done));
    qemu_thread_join(&thread);
    g_assert_cmpuint(fault_injected("cond"), ==, N_EARLY);
    fault_disarm();
    qemu_sem_destroy(&w.sem);
}

/*
 * qemu_sem_timedwait() on a semaphore nobody posts: spurious wake-ups
 * must neither end it early with success nor restart the timeout (the
 * latter would only show as a hang, which the watchdog catches).
 */
static void test_sem_timedwait_spurious(void)
{
    QemuSemaphore sem;
    int64_t start;

    if (!fault_in_child()) {
        return;
    }
    qemu_sem_init(&sem, 0);
    fault_arm("cond:spurious:count=50");
    start = get_clock();
    g_assert_cmpint(qemu_sem_timedwait(&sem, 50), ==, -1);
    g_assert_cmpint(get_clock() - start, >=, 50 * SCALE_MS);
    g_assert_cmpuint(fault_injected("cond"), >=, 1);
    fault_disarm();
    qemu_sem_destroy(&sem);
}

/* Set the event once the waiter has been woken early N_EARLY times. */
static void *event_setter(void *opaque)
{
    Waker *w = opaque;

    while (fault_injected(w->call) < N_EARLY) {
        sched_yield();
    }
    qatomic_set(&w->done, true);
    qemu_event_set(&w->ev);
    return NULL;
}

/* data: "EINTR" or "spurious", how the futex wait ends early. */
static void test_event_wait_futex(gconstpointer data)
{
    Waker w = { .call = "futex" };
    QemuThread thread;
    char *spec;

    if (!fault_in_child()) {
        return;
    }
    qemu_event_init(&w.ev, false);
    spec = g_strdup_printf("futex:%s:count=%d", (const char *)data, N_EARLY);
    fault_arm(spec);
    qemu_thread_create(&thread, "setter", event_setter, &w,
                       QEMU_THREAD_JOINABLE);
    qemu_event_wait(&w.ev);
    g_assert_true(qatomic_read(&w.done));
    qemu_thread_join(&thread);
    g_assert_cmpuint(fault_injected("futex"), ==, N_EARLY);
    fault_disarm();
    qemu_event_destroy(&w.ev);
    g_free(spec);
}

/* ---------------------------------------------------------------------- */
/* The thread pool, with both faults all the time                          */
/* ---------------------------------------------------------------------- */

#define POOL_JOBS 200

static int job_runs[POOL_JOBS];
static int job_completions[POOL_JOBS];
static int jobs_left;

static int pool_job(void *opaque)
{
    qatomic_inc(&job_runs[(intptr_t)opaque]);
    return 0;
}

static void pool_job_done(void *opaque, int ret)
{
    g_assert_cmpint(ret, ==, 0);
    job_completions[(intptr_t)opaque]++;
    jobs_left--;
}

/*
 * Every other condvar and futex wait ends early, in the workers and in
 * the submitting thread alike: every job must run once and complete once.
 * Jobs go in small waves, each waited for, so that the workers fall
 * asleep between waves and every wave has to wake one.
 */
static void test_thread_pool(void)
{
    AioContext *ctx;
    intptr_t i;

    if (!fault_in_child()) {
        return;
    }
    ctx = aio_context_new(&error_abort);
    qemu_set_current_aio_context(ctx);
    fault_arm("cond:spurious:every=2,futex:EINTR:every=2");
    for (i = 0; i < POOL_JOBS; i++) {
        jobs_left++;
        thread_pool_submit_aio(pool_job, (void *)i, pool_job_done,
                               (void *)i);
        if (i % 4 == 3) {
            while (jobs_left > 0) {
                aio_poll(ctx, true);
            }
        }
    }
    while (jobs_left > 0) {
        aio_poll(ctx, true);
    }
    g_assert_cmpuint(fault_injected(NULL), >=, 1);
    fault_disarm();
    for (i = 0; i < POOL_JOBS; i++) {
        g_assert_cmpint(qatomic_read(&job_runs[i]), ==, 1);
        g_assert_cmpint(job_completions[i], ==, 1);
    }
    aio_context_unref(ctx);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    init_clocks(NULL);

    g_test_add_func("/fault/thread/pool/cond:spurious+futex:EINTR",
                    test_thread_pool);
    g_test_add_func("/fault/thread/sem/timedwait/cond:spurious",
                    test_sem_timedwait_spurious);
    g_test_add_func("/fault/thread/sem/wait/cond:spurious",
                    test_sem_wait_spurious);
    g_test_add_data_func("/fault/thread/event/wait/futex:EINTR", "EINTR",
                         test_event_wait_futex);
    g_test_add_data_func("/fault/thread/event/wait/futex:spurious",
                         "spurious", test_event_wait_futex);
    return g_test_run();
}
