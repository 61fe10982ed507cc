/*
 * qemuutil: unit tests for QemuLockCnt (include/qemu/lockcnt.h).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * The single-function cases run one helper thread that performs one
 * operation while the main thread holds the lock, and prove that the
 * operation waits (or does not) for the unlock.  "Still waiting" is shown
 * without sleeping: on Linux we wait until the helper has marked the futex
 * word WAITING (it is about to sleep on it), then spin a bounded number of
 * times checking that it has not finished; on other hosts only the bounded
 * spin is available.
 *
 * The stress cases are built to fail when a known race is reintroduced:
 * /lockcnt/stress/hand-off strands a sleeper (and trips its watchdog) if a
 * woken thread forgets to pass the wake-up on; /lockcnt/stress/aio-list
 * frees list nodes behind readers' backs (caught by the node poison, the
 * "walkers while locked at zero" counter and ASan) if inc ignores the lock
 * state; /lockcnt/inc-and-unlock/no-window sees a free lock with a zero
 * count if inc_and_unlock is split into unlock + inc.
 */
#include "qemu/osdep.h"
#include <sched.h>
#ifdef CONFIG_LINUX
#include <sys/syscall.h>
#endif
#include "qemu/atomic.h"
#include "qemu/lockcnt.h"
#include "qemu/processor.h"
#include "qemu/thread.h"

/* How long a helper may take before we call it stuck (seconds). */
#define STUCK_SECONDS     10
/* Bounded spin proving that a helper keeps waiting. */
#define STILL_WAITING_SPINS 20000

/* ---------------------------------------------------------------------- */
/* One helper thread, one operation                                        */
/* ---------------------------------------------------------------------- */

typedef enum {
    OP_INC,             /* inc */
    OP_LOCK,            /* lock; record count; unlock */
    OP_DEC_AND_LOCK,    /* dec_and_lock; record; unlock if it locked */
    OP_DEC_IF_LOCK,     /* dec_if_lock; record; inc_and_unlock + dec if so */
} Op;

typedef struct {
    QemuLockCnt *lc;
    Op op;
    QemuThread thread;
    bool result;            /* what dec_and_lock/dec_if_lock returned */
    unsigned count_inside;  /* count seen while holding the lock */
    int tid;                /* helper's kernel thread id (Linux) */
    int started;            /* atomic: helper is about to call op */
    int done;               /* atomic, store-release: op has returned */
} Job;

static void *job_thread(void *opaque)
{
    Job *job = opaque;

#ifdef CONFIG_LINUX
    job->tid = syscall(SYS_gettid);
#endif
    qatomic_store_release(&job->started, 1);
    switch (job->op) {
    case OP_INC:
        qemu_lockcnt_inc(job->lc);
        break;
    case OP_LOCK:
        qemu_lockcnt_lock(job->lc);
        job->count_inside = qemu_lockcnt_count(job->lc);
        qemu_lockcnt_unlock(job->lc);
        break;
    case OP_DEC_AND_LOCK:
        job->result = qemu_lockcnt_dec_and_lock(job->lc);
        if (job->result) {
            job->count_inside = qemu_lockcnt_count(job->lc);
            qemu_lockcnt_unlock(job->lc);
        }
        break;
    case OP_DEC_IF_LOCK:
        job->result = qemu_lockcnt_dec_if_lock(job->lc);
        if (job->result) {
            job->count_inside = qemu_lockcnt_count(job->lc);
            qemu_lockcnt_inc_and_unlock(job->lc);
            qemu_lockcnt_dec(job->lc);
        }
        break;
    }
    /* Pairs with the load-acquire in job_is_done(). */
    qatomic_store_release(&job->done, 1);
    return NULL;
}

static bool job_is_done(Job *job)
{
    return qatomic_load_acquire(&job->done);
}

static void job_start(Job *job, QemuLockCnt *lc, Op op)
{
    memset(job, 0, sizeof(*job));
    job->lc = lc;
    job->op = op;
    qemu_thread_create(&job->thread, "lockcnt-job", job_thread, job,
                       QEMU_THREAD_JOINABLE);
    while (!qatomic_load_acquire(&job->started)) {
        sched_yield();
    }
}

/* Wait (yielding, never sleeping) for the helper to return from its op. */
static void job_finish(Job *job)
{
    gint64 deadline = g_get_monotonic_time() + STUCK_SECONDS * G_USEC_PER_SEC;

    while (!job_is_done(job)) {
        if (g_get_monotonic_time() > deadline) {
            g_error("helper op %d still blocked after %d s (lost wake-up?)",
                    job->op, STUCK_SECONDS);
        }
        sched_yield();
    }
    qemu_thread_join(&job->thread);
}

#ifdef CONFIG_LINUX
/* Is the helper asleep in the kernel (its futex wait, the only place)? */
static bool job_is_asleep(Job *job)
{
    g_autofree char *path = g_strdup_printf("/proc/self/task/%d/stat",
                                            job->tid);
    g_autofree char *stat = NULL;
    const char *p;

    if (!g_file_get_contents(path, &stat, NULL, NULL)) {
        return false;
    }
    /* "tid (comm) S ...": the state follows the last ')'. */
    p = strrchr(stat, ')');
    return p && p[1] == ' ' && p[2] == 'S';
}
#endif

/*
 * The main thread holds @lc's lock; check that the helper is blocked in
 * its operation and stays so.
 */
static void job_assert_blocked(Job *job)
{
    int i;

#ifdef CONFIG_LINUX
    /*
     * A thread that must wait flips the lock state to WAITING (2) and
     * goes to sleep on the futex; a broken implementation that does not
     * wait finishes instead, which also ends this loop.
     */
    gint64 deadline = g_get_monotonic_time() + STUCK_SECONDS * G_USEC_PER_SEC;

    while (!((qatomic_read(&job->lc->count) & 3) == 2 && job_is_asleep(job))
           && !job_is_done(job)) {
        g_assert(g_get_monotonic_time() < deadline);
        sched_yield();
    }
#endif
    for (i = 0; i < STILL_WAITING_SPINS; i++) {
        g_assert_false(job_is_done(job));
        if (i % 64 == 0) {
            sched_yield();
        } else {
            cpu_relax();
        }
    }
}

/* Proof that nobody holds the lock: another thread can take it. */
static void assert_unlocked(QemuLockCnt *lc)
{
    Job job;

    job_start(&job, lc, OP_LOCK);
    job_finish(&job);
}

/*
 * Worker threads of a stress test: each posts @done when it finishes and
 * bumps @progress as it goes.  The main thread blocks on the semaphore
 * with a timeout (no busy loop stealing a CPU from the workers) and fails
 * the test if progress stops for STUCK_SECONDS: a sleeper nobody wakes
 * stops its thread for good, and usually the others with it.
 */
typedef struct {
    QemuSemaphore done;
    unsigned long progress;     /* atomic */
} Watchdog;

static void watchdog_wait(Watchdog *w, int nthreads, const char *what)
{
    unsigned long last = qatomic_read(&w->progress);
    gint64 deadline = g_get_monotonic_time() + STUCK_SECONDS * G_USEC_PER_SEC;
    int finished = 0;

    while (finished < nthreads) {
        unsigned long now;

        if (qemu_sem_timedwait(&w->done, 200) == 0) {
            finished++;
            continue;
        }
        now = qatomic_read(&w->progress);
        if (now != last) {
            last = now;
            deadline = g_get_monotonic_time() + STUCK_SECONDS * G_USEC_PER_SEC;
        } else if (g_get_monotonic_time() > deadline) {
            g_error("%s: no progress for %d s, %d of %d threads finished: "
                    "a waiter was never woken", what, STUCK_SECONDS,
                    finished, nthreads);
        }
    }
}

/* ---------------------------------------------------------------------- */
/* Function-by-function semantics                                          */
/* ---------------------------------------------------------------------- */

/* inc from zero waits for the lock holder, and then counts 1. */
static void test_inc_waits_for_holder(void)
{
    QemuLockCnt lc;
    Job job;

    qemu_lockcnt_init(&lc);
    qemu_lockcnt_lock(&lc);
    job_start(&job, &lc, OP_INC);
    job_assert_blocked(&job);
    g_assert_cmpuint(qemu_lockcnt_count(&lc), ==, 0);
    qemu_lockcnt_unlock(&lc);
    job_finish(&job);
    g_assert_cmpuint(qemu_lockcnt_count(&lc), ==, 1);
    qemu_lockcnt_dec(&lc);
    assert_unlocked(&lc);
    qemu_lockcnt_destroy(&lc);
}

/* inc of a non-zero count does not care about the lock. */
static void test_inc_nonzero_ignores_lock(void)
{
    QemuLockCnt lc;
    Job job;

    qemu_lockcnt_init(&lc);
    qemu_lockcnt_inc(&lc);
    qemu_lockcnt_lock(&lc);
    job_start(&job, &lc, OP_INC);
    job_finish(&job);           /* must finish while we hold the lock */
    g_assert_cmpuint(qemu_lockcnt_count(&lc), ==, 2);
    qemu_lockcnt_unlock(&lc);
    qemu_lockcnt_dec(&lc);
    qemu_lockcnt_dec(&lc);
    g_assert_cmpuint(qemu_lockcnt_count(&lc), ==, 0);
    qemu_lockcnt_destroy(&lc);
}

/*
 * Several inc callers wait at zero; one unlock must release all of them
 * (each woken inc passes the wake-up on).
 */
static void test_inc_many_waiters(void)
{
    enum { N = 4 };
    QemuLockCnt lc;
    Job jobs[N];
    int i;

    qemu_lockcnt_init(&lc);
    qemu_lockcnt_lock(&lc);
    for (i = 0; i < N; i++) {
        job_start(&jobs[i], &lc, OP_INC);
    }
    for (i = 0; i < N; i++) {
        job_assert_blocked(&jobs[i]);
    }
    qemu_lockcnt_unlock(&lc);
    for (i = 0; i < N; i++) {
        job_finish(&jobs[i]);
    }
    g_assert_cmpuint(qemu_lockcnt_count(&lc), ==, N);
    for (i = 0; i < N; i++) {
        qemu_lockcnt_dec(&lc);
    }
    assert_unlocked(&lc);
    qemu_lockcnt_destroy(&lc);
}

/* dec_and_lock returns true only when the count reaches zero, locked. */
static void test_dec_and_lock_last(void)
{
    QemuLockCnt lc;
    Job job;

    qemu_lockcnt_init(&lc);
    qemu_lockcnt_inc(&lc);
    qemu_lockcnt_inc(&lc);
    qemu_lockcnt_inc(&lc);
    g_assert_false(qemu_lockcnt_dec_and_lock(&lc));
    g_assert_cmpuint(qemu_lockcnt_count(&lc), ==, 2);
    g_assert_false(qemu_lockcnt_dec_and_lock(&lc));
    g_assert_cmpuint(qemu_lockcnt_count(&lc), ==, 1);
    assert_unlocked(&lc);           /* false means "not locked" */

    g_assert_true(qemu_lockcnt_dec_and_lock(&lc));
    g_assert_cmpuint(qemu_lockcnt_count(&lc), ==, 0);
    /* We hold the lock at zero: a new visitor has to wait. */
    job_start(&job, &lc, OP_INC);
    job_assert_blocked(&job);
    qemu_lockcnt_unlock(&lc);
    job_finish(&job);
    g_assert_cmpuint(qemu_lockcnt_count(&lc), ==, 1);
    qemu_lockcnt_dec(&lc);
    qemu_lockcnt_destroy(&lc);
}

/* dec_and_lock of the last visitor waits for a current lock holder. */
static void test_dec_and_lock_waits_for_holder(void)
{
    QemuLockCnt lc;
    Job job;

    qemu_lockcnt_init(&lc);
    qemu_lockcnt_inc(&lc);          /* the helper's visit */
    qemu_lockcnt_lock(&lc);
    job_start(&job, &lc, OP_DEC_AND_LOCK);
    job_assert_blocked(&job);
    g_assert_cmpuint(qemu_lockcnt_count(&lc), ==, 1);
    qemu_lockcnt_unlock(&lc);
    job_finish(&job);
    g_assert_true(job.result);
    g_assert_cmpuint(job.count_inside, ==, 0);
    g_assert_cmpuint(qemu_lockcnt_count(&lc), ==, 0);
    assert_unlocked(&lc);
    qemu_lockcnt_destroy(&lc);
}

/*
 * While dec_and_lock waits for the lock, a second visitor arrives: the
 * count is no longer going to zero, so it must just decrement and return
 * false (without the lock).
 */
static void test_dec_and_lock_visitor_arrives(void)
{
    QemuLockCnt lc;
    Job job;

    qemu_lockcnt_init(&lc);
    qemu_lockcnt_inc(&lc);          /* the helper's visit */
    qemu_lockcnt_lock(&lc);
    job_start(&job, &lc, OP_DEC_AND_LOCK);
    job_assert_blocked(&job);
    qemu_lockcnt_inc(&lc);          /* count 1 -> 2: does not wait */
    qemu_lockcnt_unlock(&lc);
    job_finish(&job);
    g_assert_false(job.result);
    g_assert_cmpuint(qemu_lockcnt_count(&lc), ==, 1);
    assert_unlocked(&lc);
    qemu_lockcnt_dec(&lc);
    qemu_lockcnt_destroy(&lc);
}

/*
 * dec_if_lock succeeds only at count 1: above it nothing changes; at 1 it
 * locks at zero, and inc_and_unlock then restores the visit and releases
 * a visitor that waited meanwhile.
 */
static void test_dec_if_lock_only_at_one(void)
{
    QemuLockCnt lc;
    Job job;

    qemu_lockcnt_init(&lc);
    qemu_lockcnt_inc(&lc);
    qemu_lockcnt_inc(&lc);
    g_assert_false(qemu_lockcnt_dec_if_lock(&lc));
    g_assert_cmpuint(qemu_lockcnt_count(&lc), ==, 2);
    assert_unlocked(&lc);

    qemu_lockcnt_dec(&lc);
    g_assert_true(qemu_lockcnt_dec_if_lock(&lc));
    g_assert_cmpuint(qemu_lockcnt_count(&lc), ==, 0);
    job_start(&job, &lc, OP_INC);
    job_assert_blocked(&job);
    qemu_lockcnt_inc_and_unlock(&lc);
    job_finish(&job);
    g_assert_cmpuint(qemu_lockcnt_count(&lc), ==, 2);
    assert_unlocked(&lc);
    qemu_lockcnt_dec(&lc);
    qemu_lockcnt_dec(&lc);
    qemu_lockcnt_destroy(&lc);
}

/* dec_if_lock of the only visitor waits for a current lock holder. */
static void test_dec_if_lock_waits_for_holder(void)
{
    QemuLockCnt lc;
    Job job;

    qemu_lockcnt_init(&lc);
    qemu_lockcnt_inc(&lc);          /* the helper's visit */
    qemu_lockcnt_lock(&lc);
    job_start(&job, &lc, OP_DEC_IF_LOCK);
    job_assert_blocked(&job);
    qemu_lockcnt_unlock(&lc);
    job_finish(&job);
    g_assert_true(job.result);
    g_assert_cmpuint(job.count_inside, ==, 0);
    /* The helper restored its visit with inc_and_unlock, then left. */
    g_assert_cmpuint(qemu_lockcnt_count(&lc), ==, 0);
    assert_unlocked(&lc);
    qemu_lockcnt_destroy(&lc);
}

/*
 * QEMU 10.0 (Linux) compatibility: with no visit in progress, dec_if_lock
 * takes the lock and returns true, count staying 0 (aio_context_destroy()
 * frees deleted handlers this way).
 */
static void test_dec_if_lock_at_zero(void)
{
    QemuLockCnt lc;
    Job job;

    qemu_lockcnt_init(&lc);
    g_assert_true(qemu_lockcnt_dec_if_lock(&lc));
    g_assert_cmpuint(qemu_lockcnt_count(&lc), ==, 0);
    job_start(&job, &lc, OP_INC);
    job_assert_blocked(&job);
    qemu_lockcnt_unlock(&lc);
    job_finish(&job);
    g_assert_cmpuint(qemu_lockcnt_count(&lc), ==, 1);
    qemu_lockcnt_dec(&lc);
    qemu_lockcnt_destroy(&lc);
}

/* lock waits for another holder; the count does not matter to it. */
static void test_lock_waits_for_holder(void)
{
    QemuLockCnt lc;
    Job job;

    qemu_lockcnt_init(&lc);
    qemu_lockcnt_inc(&lc);
    qemu_lockcnt_lock(&lc);
    job_start(&job, &lc, OP_LOCK);
    job_assert_blocked(&job);
    qemu_lockcnt_unlock(&lc);
    job_finish(&job);
    g_assert_cmpuint(job.count_inside, ==, 1);
    qemu_lockcnt_dec(&lc);
    qemu_lockcnt_destroy(&lc);
}

/*
 * inc_and_unlock must have no window in which the lock is free and the
 * count still zero.  An observer spins on the word (Linux layout) while
 * the main thread does lock -> inc_and_unlock; every "free" snapshot it
 * sees must carry the count 1.  Split into unlock + inc, the observer
 * catches the (count 0, FREE) window within a few hundred rounds.
 */
#ifdef CONFIG_LINUX
#define WINDOW_ROUNDS 8000

typedef struct {
    QemuLockCnt lc;
    int round;          /* atomic: round the main thread has armed */
    int ack;            /* atomic: round the observer is spinning on */
    int seen;           /* atomic: round the observer has finished */
    int bad;            /* atomic: snapshots with a free lock at count 0 */
} WindowTest;

static void *window_observer(void *opaque)
{
    WindowTest *t = opaque;
    int r;

    for (r = 1; r <= WINDOW_ROUNDS; r++) {
        unsigned word;

        while (qatomic_load_acquire(&t->round) != r) {
            cpu_relax();
        }
        qatomic_store_release(&t->ack, r);
        do {
            word = qatomic_read(&t->lc.count);
        } while ((word & 3) != 0);
        if ((word >> 2) == 0) {
            qatomic_inc(&t->bad);
        }
        qatomic_store_release(&t->seen, r);
    }
    return NULL;
}

static void test_inc_and_unlock_no_window(void)
{
    WindowTest t = { 0 };
    QemuThread thread;
    int r;

    qemu_lockcnt_init(&t.lc);
    qemu_thread_create(&thread, "lockcnt-observer", window_observer, &t,
                       QEMU_THREAD_JOINABLE);
    for (r = 1; r <= WINDOW_ROUNDS; r++) {
        qemu_lockcnt_lock(&t.lc);
        qatomic_store_release(&t.round, r);
        while (qatomic_load_acquire(&t.ack) != r) {
            cpu_relax();
        }
        qemu_lockcnt_inc_and_unlock(&t.lc);
        while (qatomic_load_acquire(&t.seen) != r) {
            cpu_relax();
        }
        g_assert_cmpuint(qemu_lockcnt_count(&t.lc), ==, 1);
        qemu_lockcnt_dec(&t.lc);
    }
    qemu_thread_join(&thread);
    g_assert_cmpint(qatomic_read(&t.bad), ==, 0);
    qemu_lockcnt_destroy(&t.lc);
}
#endif

/*
 * Wake-up hand-off, case 1: a woken lock waiter must take the lock as
 * WAITING, because unlock woke only one of two sleepers.  Both helpers
 * are asleep on the futex (checked on Linux) before the unlock; if the
 * first one took the lock as LOCKED, its unlock would wake nobody and the
 * second would sleep forever.
 */
static void test_lock_woken_waiter_wakes_next(void)
{
    QemuLockCnt lc;
    Job a, b;

    qemu_lockcnt_init(&lc);
    qemu_lockcnt_lock(&lc);
    job_start(&a, &lc, OP_LOCK);
    job_assert_blocked(&a);
    job_start(&b, &lc, OP_LOCK);
    job_assert_blocked(&b);
    qemu_lockcnt_unlock(&lc);
    job_finish(&a);
    job_finish(&b);
    assert_unlocked(&lc);
    qemu_lockcnt_destroy(&lc);
}

/*
 * Wake-up hand-off, case 2: the last visitor sleeps in dec_and_lock, a
 * locker sleeps behind it, and a new visitor arrives before the unlock.
 * The woken dec_and_lock then leaves without the lock (count 2 -> 1) and
 * must pass the wake-up on to the locker.
 */
static void test_dec_and_lock_passes_wake_up_on(void)
{
    QemuLockCnt lc;
    Job d, l;

    qemu_lockcnt_init(&lc);
    qemu_lockcnt_inc(&lc);          /* d's visit */
    qemu_lockcnt_lock(&lc);
    job_start(&d, &lc, OP_DEC_AND_LOCK);
    job_assert_blocked(&d);
    job_start(&l, &lc, OP_LOCK);
    job_assert_blocked(&l);
    qemu_lockcnt_inc(&lc);          /* new visitor: count 1 -> 2 */
    qemu_lockcnt_unlock(&lc);
    job_finish(&d);
    job_finish(&l);
    g_assert_false(d.result);
    g_assert_cmpuint(l.count_inside, ==, 1);
    qemu_lockcnt_dec(&lc);
    assert_unlocked(&lc);
    qemu_lockcnt_destroy(&lc);
}

/* Case 3: the same for dec_if_lock, which finds two visitors on waking. */
static void test_dec_if_lock_passes_wake_up_on(void)
{
    QemuLockCnt lc;
    Job d, l;

    qemu_lockcnt_init(&lc);
    qemu_lockcnt_inc(&lc);          /* d's visit */
    qemu_lockcnt_lock(&lc);
    job_start(&d, &lc, OP_DEC_IF_LOCK);
    job_assert_blocked(&d);
    job_start(&l, &lc, OP_LOCK);
    job_assert_blocked(&l);
    qemu_lockcnt_inc(&lc);          /* count 1 -> 2 */
    qemu_lockcnt_unlock(&lc);
    job_finish(&d);
    job_finish(&l);
    g_assert_false(d.result);
    /* d is still visiting when it returns false: its count stays. */
    g_assert_cmpuint(qemu_lockcnt_count(&lc), ==, 2);
    qemu_lockcnt_dec(&lc);
    qemu_lockcnt_dec(&lc);
    assert_unlocked(&lc);
    qemu_lockcnt_destroy(&lc);
}

/* count follows inc/dec and ignores the lock state. */
static void test_count(void)
{
    QemuLockCnt lc;
    int i;

    qemu_lockcnt_init(&lc);
    g_assert_cmpuint(qemu_lockcnt_count(&lc), ==, 0);
    for (i = 1; i <= 1000; i++) {
        qemu_lockcnt_inc(&lc);
        g_assert_cmpuint(qemu_lockcnt_count(&lc), ==, i);
    }
    qemu_lockcnt_lock(&lc);
    g_assert_cmpuint(qemu_lockcnt_count(&lc), ==, 1000);
    qemu_lockcnt_dec(&lc);
    g_assert_cmpuint(qemu_lockcnt_count(&lc), ==, 999);
    qemu_lockcnt_inc_and_unlock(&lc);
    g_assert_cmpuint(qemu_lockcnt_count(&lc), ==, 1000);
    for (i = 999; i >= 0; i--) {
        qemu_lockcnt_dec(&lc);
        g_assert_cmpuint(qemu_lockcnt_count(&lc), ==, i);
    }
    qemu_lockcnt_destroy(&lc);
}

/* ---------------------------------------------------------------------- */
/* Misuse aborts with a message                                            */
/* ---------------------------------------------------------------------- */

static void test_misuse_dec_at_zero(void)
{
    if (g_test_subprocess()) {
        QemuLockCnt lc;

        qemu_lockcnt_init(&lc);
        qemu_lockcnt_dec(&lc);
        return;
    }
    g_test_trap_subprocess(NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
    g_test_trap_assert_failed();
    g_test_trap_assert_stderr("*qemu_lockcnt_dec*already zero*");
}

#ifdef CONFIG_LINUX
/* (The mutex variant inherits whatever QemuMutex does on a bad unlock.) */
static void test_misuse_unlock_free(void)
{
    if (g_test_subprocess()) {
        QemuLockCnt lc;

        qemu_lockcnt_init(&lc);
        qemu_lockcnt_unlock(&lc);
        return;
    }
    g_test_trap_subprocess(NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
    g_test_trap_assert_failed();
    g_test_trap_assert_stderr("*qemu_lockcnt_unlock*not held*");
}
#endif

/* ---------------------------------------------------------------------- */
/* Stress: wake-up hand-off between all kinds of waiters                   */
/* ---------------------------------------------------------------------- */

#define HANDOFF_THREADS 6
#define HANDOFF_ITERS   4000

/*
 * Six threads cycle through lock/unlock, a plain visit, a visit ending in
 * dec_and_lock and one ending in dec_if_lock + inc_and_unlock.  Lock
 * holders and visitors yield now and then, so several threads end up
 * asleep on the futex at once: that is when a woken thread must either
 * take the lock as WAITING or pass the wake-up on, and when a missing
 * hand-off leaves somebody asleep for good (caught by the watchdog).
 */
typedef struct {
    QemuLockCnt lc;
    Watchdog wd;
    int in_cs;              /* atomic: threads inside the lock */
    int visitors;           /* atomic: threads between inc and dec */
    unsigned long plain;    /* protected by lc's lock (not atomic on purpose) */
    unsigned long locked_ops;   /* atomic: times the lock was taken */
    int next_kind;          /* atomic: gives each thread its own rotation */
} HandoffTest;

/* Inside the lock: exclusive, and no visitor if the count is zero. */
static void handoff_critical(HandoffTest *t)
{
    unsigned long n;
    int i;

    g_assert_cmpint(qatomic_fetch_inc(&t->in_cs), ==, 0);
    if (qemu_lockcnt_count(&t->lc) == 0) {
        g_assert_cmpint(qatomic_read(&t->visitors), ==, 0);
    }
    n = ++t->plain;
    if (n % 8 == 0) {
        sched_yield();      /* let the others pile up on the futex */
    } else {
        for (i = 0; i < 20; i++) {
            cpu_relax();
        }
    }
    qatomic_inc(&t->locked_ops);
    qatomic_dec(&t->in_cs);
}

static void handoff_visit(HandoffTest *t, int i)
{
    qemu_lockcnt_inc(&t->lc);
    qatomic_inc(&t->visitors);
    if (i % 16 == 0) {
        sched_yield();      /* keep the count up while others wait */
    } else {
        cpu_relax();
    }
    qatomic_dec(&t->visitors);
}

static void *handoff_thread(void *opaque)
{
    HandoffTest *t = opaque;
    int kind = qatomic_fetch_inc(&t->next_kind) % 4;
    int i;

    for (i = 0; i < HANDOFF_ITERS; i++) {
        switch ((kind + i) % 4) {
        case 0:
            qemu_lockcnt_lock(&t->lc);
            handoff_critical(t);
            qemu_lockcnt_unlock(&t->lc);
            break;
        case 1:
            handoff_visit(t, i);
            qemu_lockcnt_dec(&t->lc);
            break;
        case 2:
            handoff_visit(t, i);
            if (qemu_lockcnt_dec_and_lock(&t->lc)) {
                handoff_critical(t);
                qemu_lockcnt_unlock(&t->lc);
            }
            break;
        case 3:
            handoff_visit(t, i);
            if (qemu_lockcnt_dec_if_lock(&t->lc)) {
                handoff_critical(t);
                qemu_lockcnt_inc_and_unlock(&t->lc);
            }
            qemu_lockcnt_dec(&t->lc);
            break;
        }
        qatomic_inc(&t->wd.progress);
    }
    qemu_sem_post(&t->wd.done);
    return NULL;
}

static void test_stress_handoff(void)
{
    HandoffTest t = { 0 };
    QemuThread threads[HANDOFF_THREADS];
    int i;

    qemu_lockcnt_init(&t.lc);
    qemu_sem_init(&t.wd.done, 0);
    for (i = 0; i < HANDOFF_THREADS; i++) {
        qemu_thread_create(&threads[i], "lockcnt-handoff", handoff_thread, &t,
                           QEMU_THREAD_JOINABLE);
    }
    watchdog_wait(&t.wd, HANDOFF_THREADS, "hand-off");
    for (i = 0; i < HANDOFF_THREADS; i++) {
        qemu_thread_join(&threads[i]);
    }
    g_assert_cmpuint(qemu_lockcnt_count(&t.lc), ==, 0);
    g_assert_cmpuint(t.plain, ==, qatomic_read(&t.locked_ops));
    g_assert_cmpuint(t.plain, >=, HANDOFF_THREADS * HANDOFF_ITERS / 4);
    assert_unlocked(&t.lc);
    qemu_sem_destroy(&t.wd.done);
    qemu_lockcnt_destroy(&t.lc);
}

/* ---------------------------------------------------------------------- */
/* Stress: the AioContext handler-list pattern                             */
/* ---------------------------------------------------------------------- */

/*
 * Readers walk a singly-linked list under a visit (inc ... dec) without
 * locking; one writer adds nodes and removes them under the lock.  A
 * removed node is freed at once if the count is zero, otherwise marked
 * deleted and queued; the last reader (dec_and_lock) or the only one
 * (dec_if_lock) frees the queue.  Nodes are poisoned before free and their
 * frees counted outside the node, so use-after-free shows up as a bad
 * magic (and under ASan as a report), double or missing frees as a wrong
 * count.  If inc ignored the lock state, readers would enter while a
 * freer holds the lock at count zero: the walkers counter below catches
 * that even without ASan.
 */
#define LIST_READERS    3
#define LIST_WRITES     6000
#define LIST_SECONDS    2       /* the writer stops early after this */
#define LIST_MAX_NODES  (LIST_WRITES + 1)
#define LIST_TARGET_LEN 24
#define NODE_LIVE       0x4c495645
#define NODE_DEAD       0x44454144

typedef struct ListNode ListNode;
struct ListNode {
    ListNode *next;         /* atomic; written under the lock (insert:
                             * store-release, unlink: qatomic_set) */
    ListNode *next_deleted; /* protected by the lock */
    unsigned id;            /* immutable */
    unsigned magic;         /* NODE_LIVE until freed */
    bool deleted;           /* atomic; set under the lock */
};

typedef struct {
    QemuLockCnt lc;
    ListNode *head;         /* see ListNode.next */
    ListNode *deleted;      /* protected by the lock */
    unsigned n_deleted;     /* atomic hint; changed under the lock */
    Watchdog wd;            /* progress: walks + writes */
    int walkers;            /* atomic: readers inside a walk */
    int readers_started;    /* atomic */
    int stop;               /* atomic: writer finished */
    int pause;              /* atomic: readers hold off new walks */
    unsigned n_alloc;       /* writer only (then main) */
    int frees[LIST_MAX_NODES];  /* atomic: frees per node id */
    unsigned long walks;    /* atomic */
    unsigned long reader_frees; /* atomic: nodes freed by readers */
    unsigned long direct_frees; /* writer: nodes freed at count 0 */
} ListTest;

static ListTest *list_test;

/* Called with the lock held and the count zero. */
static void list_assert_quiescent(ListTest *t)
{
    g_assert_cmpuint(qemu_lockcnt_count(&t->lc), ==, 0);
    g_assert_cmpint(qatomic_read(&t->walkers), ==, 0);
}

static void list_free_node(ListTest *t, ListNode *node)
{
    int i;

    g_assert_cmphex(node->magic, ==, NODE_LIVE);
    qatomic_set(&node->magic, NODE_DEAD);
    /* Widen the window a reader that ignored the lock would hit. */
    for (i = 0; i < 32; i++) {
        cpu_relax();
    }
    qatomic_inc(&t->frees[node->id]);
    g_free(node);
}

/* Remove @node from the main list.  Lock held, count zero. */
static void list_unlink(ListTest *t, ListNode *node)
{
    ListNode **p = &t->head;

    while (*p != node) {
        g_assert(*p);
        p = &(*p)->next;
    }
    /*
     * Readers load @next with load-acquire, as QLIST_FOREACH_RCU does, so
     * the link is stored atomically like QLIST_REMOVE_RCU would.  The
     * count is zero here, so no walk is in progress; the store still has
     * to be atomic because the last walk may have read this very link.
     */
    qatomic_set(p, node->next);
}

/* Free every deleted node.  Lock held, count zero. */
static unsigned list_free_deleted(ListTest *t)
{
    unsigned n = 0;

    list_assert_quiescent(t);
    while (t->deleted) {
        ListNode *node = t->deleted;

        t->deleted = node->next_deleted;
        list_unlink(t, node);
        list_free_node(t, node);
        n++;
    }
    qatomic_set(&t->n_deleted, 0);
    list_assert_quiescent(t);
    return n;
}

static void list_walk(ListTest *t)
{
    ListNode *node;

    qatomic_inc(&t->walkers);
    for (node = qatomic_load_acquire(&t->head); node;
         node = qatomic_load_acquire(&node->next)) {
        g_assert_cmphex(qatomic_read(&node->magic), ==, NODE_LIVE);
        if (!qatomic_read(&node->deleted)) {
            g_assert_cmpuint(node->id, <, LIST_MAX_NODES);
        }
    }
    qatomic_dec(&t->walkers);
    qatomic_inc(&t->walks);
    qatomic_inc(&t->wd.progress);
}

static void *list_reader(void *opaque)
{
    ListTest *t = list_test;
    bool use_dec_if_lock = GPOINTER_TO_INT(opaque) & 1;

    qatomic_inc(&t->readers_started);
    while (!qatomic_load_acquire(&t->stop)) {
        if (qatomic_read(&t->pause)) {
            sched_yield();      /* give the writer our CPU */
            continue;
        }
        qemu_lockcnt_inc(&t->lc);
        list_walk(t);
        if (qatomic_read(&t->walks) % 8 == 0) {
            sched_yield();      /* keep the writer from starving */
        }
        if (use_dec_if_lock) {
            /* aio_free_deleted_handlers(): only the outermost visitor. */
            if (qatomic_read(&t->n_deleted) &&
                qemu_lockcnt_dec_if_lock(&t->lc)) {
                qatomic_add(&t->reader_frees, list_free_deleted(t));
                qemu_lockcnt_inc_and_unlock(&t->lc);
            }
            qemu_lockcnt_dec(&t->lc);
        } else {
            if (qemu_lockcnt_dec_and_lock(&t->lc)) {
                if (t->deleted) {
                    qatomic_add(&t->reader_frees, list_free_deleted(t));
                } else {
                    list_assert_quiescent(t);
                }
                qemu_lockcnt_unlock(&t->lc);
            }
        }
    }
    qemu_sem_post(&t->wd.done);
    return NULL;
}

/*
 * The writer runs in its own thread so that the main thread can watch for
 * a stall.  It waits for at least one new walk between two writes, so
 * writes really interleave with walks on any number of CPUs.
 */
static void *list_writer(void *opaque)
{
    ListTest *t = opaque;
    unsigned long last_walks = 0;
    gint64 deadline = g_get_monotonic_time() + LIST_SECONDS * G_USEC_PER_SEC;
    unsigned live = 0;
    unsigned i;

    while (qatomic_read(&t->readers_started) < LIST_READERS) {
        sched_yield();
    }
    for (i = 0; i < LIST_WRITES; i++) {
        int spins = 0;

        if (i % 64 == 0 && g_get_monotonic_time() > deadline) {
            break;      /* a loaded machine: what we did is enough */
        }

        while (qatomic_read(&t->walks) == last_walks) {
            /* Yield rarely: three readers would keep the writer off-CPU. */
            if (++spins % 1024 == 0) {
                sched_yield();
            } else {
                cpu_relax();
            }
        }
        last_walks = qatomic_read(&t->walks);
        if (i % 4 == 0) {
            /*
             * Let the readers drain so that this write sees count 0 and
             * frees directly.  A reader that checked @pause just before it
             * was set races its inc against our lock: exactly the window
             * where inc must wait for the lock holder.
             */
            qatomic_set(&t->pause, 1);
            while (qemu_lockcnt_count(&t->lc) != 0) {
                cpu_relax();
            }
        }
        qemu_lockcnt_lock(&t->lc);
        if (live < LIST_TARGET_LEN || g_random_int_range(0, 2)) {
            ListNode *node = g_new0(ListNode, 1);

            node->id = t->n_alloc++;
            node->magic = NODE_LIVE;
            node->next = t->head;
            /* Pairs with the load-acquire of head in list_walk(). */
            qatomic_store_release(&t->head, node);
            live++;
        } else {
            /* Remove the k-th node that is not already deleted. */
            unsigned k = g_random_int_range(0, live);
            ListNode *node = t->head;

            for (;;) {
                if (!node->deleted && k-- == 0) {
                    break;
                }
                node = node->next;
            }
            if (qemu_lockcnt_count(&t->lc) == 0) {
                list_assert_quiescent(t);
                list_unlink(t, node);
                list_free_node(t, node);
                t->direct_frees++;
            } else {
                qatomic_set(&node->deleted, true);
                node->next_deleted = t->deleted;
                t->deleted = node;
                qatomic_inc(&t->n_deleted);
            }
            live--;
        }
        qemu_lockcnt_unlock(&t->lc);
        qatomic_set(&t->pause, 0);
        qatomic_inc(&t->wd.progress);
    }
    /* Pairs with the load-acquire in list_reader(). */
    qatomic_store_release(&t->stop, 1);
    qemu_sem_post(&t->wd.done);
    return NULL;
}

static void test_stress_aio_list(void)
{
    ListTest *t = g_new0(ListTest, 1);
    QemuThread readers[LIST_READERS];
    QemuThread writer;
    unsigned long freed = 0;
    unsigned i;

    list_test = t;
    qemu_lockcnt_init(&t->lc);
    qemu_sem_init(&t->wd.done, 0);
    for (i = 0; i < LIST_READERS; i++) {
        qemu_thread_create(&readers[i], "lockcnt-reader", list_reader,
                           GINT_TO_POINTER(i), QEMU_THREAD_JOINABLE);
    }
    qemu_thread_create(&writer, "lockcnt-writer", list_writer, t,
                       QEMU_THREAD_JOINABLE);
    watchdog_wait(&t->wd, LIST_READERS + 1, "aio-list");
    qemu_thread_join(&writer);
    for (i = 0; i < LIST_READERS; i++) {
        qemu_thread_join(&readers[i]);
    }

    /* Tear down: everything left, deleted or live, is freed here. */
    qemu_lockcnt_lock(&t->lc);
    list_free_deleted(t);
    while (t->head) {
        ListNode *node = t->head;

        t->head = node->next;
        list_free_node(t, node);
    }
    qemu_lockcnt_unlock(&t->lc);

    for (i = 0; i < t->n_alloc; i++) {
        if (t->frees[i] != 1) {
            g_error("node %u freed %d times", i, t->frees[i]);
        }
        freed++;
    }
    g_assert_cmpuint(freed, ==, t->n_alloc);
    g_test_message("%lu walks, %u nodes, %lu freed by readers, "
                   "%lu at count 0 by the writer",
                   t->walks, t->n_alloc, t->reader_frees, t->direct_frees);
    /* Both freeing paths must really have been exercised. */
    g_assert_cmpuint(t->reader_frees, >, 0);
    g_assert_cmpuint(t->direct_frees, >, 0);
    g_assert_cmpuint(t->walks, >, 0);
    qemu_sem_destroy(&t->wd.done);
    qemu_lockcnt_destroy(&t->lc);
    list_test = NULL;
    g_free(t);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);

    g_test_add_func("/lockcnt/stress/aio-list", test_stress_aio_list);
    g_test_add_func("/lockcnt/stress/hand-off", test_stress_handoff);
#ifdef CONFIG_LINUX
    g_test_add_func("/lockcnt/inc-and-unlock/no-window",
                    test_inc_and_unlock_no_window);
#endif
    g_test_add_func("/lockcnt/hand-off/lock-waiter-wakes-next",
                    test_lock_woken_waiter_wakes_next);
    g_test_add_func("/lockcnt/hand-off/dec-and-lock-passes-wake-up-on",
                    test_dec_and_lock_passes_wake_up_on);
    g_test_add_func("/lockcnt/hand-off/dec-if-lock-passes-wake-up-on",
                    test_dec_if_lock_passes_wake_up_on);
    g_test_add_func("/lockcnt/inc/waits-for-lock-holder",
                    test_inc_waits_for_holder);
    g_test_add_func("/lockcnt/inc/many-waiters", test_inc_many_waiters);
    g_test_add_func("/lockcnt/inc/nonzero-ignores-lock",
                    test_inc_nonzero_ignores_lock);
    g_test_add_func("/lockcnt/dec-and-lock/visitor-arrives-while-waiting",
                    test_dec_and_lock_visitor_arrives);
    g_test_add_func("/lockcnt/dec-and-lock/waits-for-lock-holder",
                    test_dec_and_lock_waits_for_holder);
    g_test_add_func("/lockcnt/dec-and-lock/true-only-at-zero",
                    test_dec_and_lock_last);
    g_test_add_func("/lockcnt/dec-if-lock/waits-for-lock-holder",
                    test_dec_if_lock_waits_for_holder);
    g_test_add_func("/lockcnt/dec-if-lock/only-at-one",
                    test_dec_if_lock_only_at_one);
    g_test_add_func("/lockcnt/dec-if-lock/at-zero", test_dec_if_lock_at_zero);
    g_test_add_func("/lockcnt/lock/waits-for-lock-holder",
                    test_lock_waits_for_holder);
    g_test_add_func("/lockcnt/count/follows-inc-dec", test_count);
    g_test_add_func("/lockcnt/misuse/dec-at-zero", test_misuse_dec_at_zero);
#ifdef CONFIG_LINUX
    g_test_add_func("/lockcnt/misuse/unlock-free", test_misuse_unlock_free);
#endif

    return g_test_run();
}
