/*
 * qemuutil: tests for the thread.h primitives other than QemuEvent.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * Mutexes, recursive mutexes, condition variables, semaphores, spinlocks,
 * thread creation, naming, affinity, exit notifiers and the profiler hook
 * switch.  Stress tests come first; every wait is bounded so that a lost
 * wake-up shows up as a failure with a message, not as a hang.
 */
#include "qemu/osdep.h"

#include <pthread.h>
#include <sched.h>
#include <sys/syscall.h>

#include "qemu/thread.h"
#include "qemu/atomic.h"
#include "qemu/notify.h"

/* Upper bound for any wait that should finish quickly (ms). */
#define WAIT_BOUND_MS 5000

static int64_t now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* ---------------------------------------------------------------------- */
/* Mutex stress: an unprotected read-modify-write would lose increments.   */
/* ---------------------------------------------------------------------- */

#define STRESS_THREADS 4
#define STRESS_ITERS 100000

static QemuMutex stress_lock;
static unsigned long stress_counter;    /* protected by stress_lock */
static int stress_ready;                /* atomic: threads at the gate */

/*
 * Start gate: without it the first thread can finish its whole loop before
 * the next one is scheduled, and a broken lock would go unnoticed.
 */
static void stress_gate(void)
{
    qatomic_inc(&stress_ready);
    while (qatomic_read(&stress_ready) < STRESS_THREADS) {
        cpu_relax();
    }
}

static void *mutex_stress_thread(void *opaque)
{
    volatile unsigned long *counter = &stress_counter;
    unsigned long v;
    int i;

    stress_gate();
    for (i = 0; i < STRESS_ITERS; i++) {
        qemu_mutex_lock(&stress_lock);
        /*
         * Split load and store (volatile, with a pause in between) so that
         * two threads inside the section at once would lose updates.
         */
        v = *counter;
        cpu_relax();
        *counter = v + 1;
        qemu_mutex_unlock(&stress_lock);
    }
    return NULL;
}

static void test_mutex_stress(void)
{
    QemuThread threads[STRESS_THREADS];
    int i;

    qemu_mutex_init(&stress_lock);
    stress_counter = 0;
    stress_ready = 0;
    for (i = 0; i < STRESS_THREADS; i++) {
        qemu_thread_create(&threads[i], "mutex-stress", mutex_stress_thread,
                           NULL, QEMU_THREAD_JOINABLE);
    }
    for (i = 0; i < STRESS_THREADS; i++) {
        qemu_thread_join(&threads[i]);
    }
    g_assert_cmpuint(stress_counter, ==,
                     (unsigned long)STRESS_THREADS * STRESS_ITERS);
    qemu_mutex_destroy(&stress_lock);
}

/* The same with a QemuSpin, through trylock and lock alternately. */
static QemuSpin stress_spin;

static void *spin_stress_thread(void *opaque)
{
    volatile unsigned long *counter = &stress_counter;
    unsigned long v;
    int i;

    stress_gate();
    for (i = 0; i < STRESS_ITERS; i++) {
        if ((i & 1) == 0) {
            qemu_spin_lock(&stress_spin);
        } else {
            while (qemu_spin_trylock(&stress_spin)) {
                cpu_relax();
            }
        }
        v = *counter;
        cpu_relax();
        *counter = v + 1;
        qemu_spin_unlock(&stress_spin);
    }
    return NULL;
}

static void test_spin_stress(void)
{
    QemuThread threads[STRESS_THREADS];
    int i;

    qemu_spin_init(&stress_spin);
    stress_counter = 0;
    stress_ready = 0;
    for (i = 0; i < STRESS_THREADS; i++) {
        qemu_thread_create(&threads[i], "spin-stress", spin_stress_thread,
                           NULL, QEMU_THREAD_JOINABLE);
    }
    for (i = 0; i < STRESS_THREADS; i++) {
        qemu_thread_join(&threads[i]);
    }
    g_assert_cmpuint(stress_counter, ==,
                     (unsigned long)STRESS_THREADS * STRESS_ITERS);
    g_assert_false(qemu_spin_locked(&stress_spin));
    qemu_spin_destroy(&stress_spin);
}

/* ---------------------------------------------------------------------- */
/* Semaphore stress: producers and consumers, counts must match exactly.   */
/* ---------------------------------------------------------------------- */

#define SEM_PRODUCERS 2
#define SEM_CONSUMERS 2
#define SEM_ITEMS 50000     /* per producer */

static QemuSemaphore sem_items;
static unsigned long sem_consumed;      /* atomic */
static unsigned long sem_lost_wakeups;  /* atomic */

static void *sem_producer(void *opaque)
{
    int i;

    for (i = 0; i < SEM_ITEMS; i++) {
        qemu_sem_post(&sem_items);
    }
    return NULL;
}

static void *sem_consumer(void *opaque)
{
    int share = SEM_PRODUCERS * SEM_ITEMS / SEM_CONSUMERS;
    int i;

    for (i = 0; i < share; i++) {
        /*
         * Alternate the three ways of taking a unit.  A bounded wait turns
         * a lost wake-up into a counted failure instead of a hang.
         */
        switch (i % 3) {
        case 0:
            qemu_sem_wait(&sem_items);
            break;
        case 1:
            if (qemu_sem_timedwait(&sem_items, WAIT_BOUND_MS) < 0) {
                qatomic_inc(&sem_lost_wakeups);
                return NULL;
            }
            break;
        default:
            while (qemu_sem_timedwait(&sem_items, 0) < 0) {
                sched_yield();
            }
            break;
        }
        qatomic_inc(&sem_consumed);
    }
    return NULL;
}

static void test_sem_stress(void)
{
    QemuThread prod[SEM_PRODUCERS], cons[SEM_CONSUMERS];
    int i;

    qemu_sem_init(&sem_items, 0);
    sem_consumed = 0;
    sem_lost_wakeups = 0;
    for (i = 0; i < SEM_CONSUMERS; i++) {
        qemu_thread_create(&cons[i], "sem-consumer", sem_consumer, NULL,
                           QEMU_THREAD_JOINABLE);
    }
    for (i = 0; i < SEM_PRODUCERS; i++) {
        qemu_thread_create(&prod[i], "sem-producer", sem_producer, NULL,
                           QEMU_THREAD_JOINABLE);
    }
    for (i = 0; i < SEM_PRODUCERS; i++) {
        qemu_thread_join(&prod[i]);
    }
    for (i = 0; i < SEM_CONSUMERS; i++) {
        qemu_thread_join(&cons[i]);
    }
    g_assert_cmpuint(sem_lost_wakeups, ==, 0);
    g_assert_cmpuint(sem_consumed, ==,
                     (unsigned long)SEM_PRODUCERS * SEM_ITEMS);
    /* Nothing left over, nothing consumed twice. */
    g_assert_cmpint(qemu_sem_timedwait(&sem_items, 0), ==, -1);
    qemu_sem_destroy(&sem_items);
}

/* ---------------------------------------------------------------------- */
/* Condition variables                                                      */
/* ---------------------------------------------------------------------- */

#define COND_WAITERS 4

typedef struct CondState {
    QemuMutex lock;
    QemuCond cond;          /* waiters sleep here */
    QemuCond arrived_cond;  /* the test waits here for waiters to arrive */
    int waiting;            /* protected by lock */
    int released;           /* protected by lock */
    bool go;                /* protected by lock */
    bool timed;             /* use qemu_cond_timedwait */
    int timed_out;          /* protected by lock */
} CondState;

static void *cond_waiter(void *opaque)
{
    CondState *s = opaque;

    qemu_mutex_lock(&s->lock);
    s->waiting++;
    qemu_cond_broadcast(&s->arrived_cond);
    while (!s->go) {
        if (s->timed) {
            if (!qemu_cond_timedwait(&s->cond, &s->lock, WAIT_BOUND_MS)) {
                s->timed_out++;
                break;
            }
        } else {
            qemu_cond_wait(&s->cond, &s->lock);
        }
    }
    s->released++;
    qemu_mutex_unlock(&s->lock);
    return NULL;
}

static void cond_run(bool broadcast, bool timed)
{
    QemuThread threads[COND_WAITERS];
    CondState s = { .timed = timed };
    int nwaiters = broadcast ? COND_WAITERS : 1;
    int i;

    qemu_mutex_init(&s.lock);
    qemu_cond_init(&s.cond);
    qemu_cond_init(&s.arrived_cond);
    for (i = 0; i < nwaiters; i++) {
        qemu_thread_create(&threads[i], "cond-waiter", cond_waiter, &s,
                           QEMU_THREAD_JOINABLE);
    }

    qemu_mutex_lock(&s.lock);
    while (s.waiting < nwaiters) {
        qemu_cond_wait(&s.arrived_cond, &s.lock);
    }
    /* Every waiter has dropped the lock inside its wait, or is about to. */
    s.go = true;
    if (broadcast) {
        qemu_cond_broadcast(&s.cond);
    } else {
        qemu_cond_signal(&s.cond);
    }
    qemu_mutex_unlock(&s.lock);

    for (i = 0; i < nwaiters; i++) {
        qemu_thread_join(&threads[i]);
    }
    g_assert_cmpint(s.released, ==, nwaiters);
    g_assert_cmpint(s.timed_out, ==, 0);
    qemu_cond_destroy(&s.arrived_cond);
    qemu_cond_destroy(&s.cond);
    qemu_mutex_destroy(&s.lock);
}

static void test_cond_signal(void)
{
    cond_run(false, false);
}

static void test_cond_broadcast(void)
{
    cond_run(true, false);
}

static void test_cond_timedwait_signalled(void)
{
    int64_t start = now_ns();

    cond_run(true, true);
    /* Woken well before the bound, not by the timeout. */
    g_assert_cmpint(now_ns() - start, <, WAIT_BOUND_MS * 1000000LL);
}

static void test_cond_timedwait_timeout(void)
{
    const int ms = 50;
    QemuMutex lock;
    QemuCond cond;
    int64_t start, elapsed;
    bool woken;

    qemu_mutex_init(&lock);
    qemu_cond_init(&cond);
    qemu_mutex_lock(&lock);
    start = now_ns();
    /* Nobody signals; spurious wake-ups restart the wait. */
    do {
        woken = qemu_cond_timedwait(&cond, &lock, ms);
    } while (woken);
    elapsed = now_ns() - start;
    qemu_mutex_unlock(&lock);
    g_assert_cmpint(elapsed, >=, ms * 1000000LL);
    /* The mutex is held again after a timeout: trylock from here fails. */
    qemu_mutex_lock(&lock);
    qemu_mutex_unlock(&lock);
    qemu_cond_destroy(&cond);
    qemu_mutex_destroy(&lock);
}

/* ---------------------------------------------------------------------- */
/* Semaphores                                                               */
/* ---------------------------------------------------------------------- */

static void test_sem_basic(void)
{
    QemuSemaphore sem;

    qemu_sem_init(&sem, 2);
    qemu_sem_wait(&sem);
    g_assert_cmpint(qemu_sem_timedwait(&sem, 0), ==, 0);
    /* Empty now: a zero timeout only tries. */
    g_assert_cmpint(qemu_sem_timedwait(&sem, 0), ==, -1);
    qemu_sem_post(&sem);
    qemu_sem_post(&sem);
    g_assert_cmpint(qemu_sem_timedwait(&sem, 0), ==, 0);
    g_assert_cmpint(qemu_sem_timedwait(&sem, 10), ==, 0);
    g_assert_cmpint(qemu_sem_timedwait(&sem, 0), ==, -1);
    qemu_sem_destroy(&sem);
}

static void test_sem_timedwait_timeout(void)
{
    const int ms = 50;
    QemuSemaphore sem;
    int64_t start, elapsed;

    qemu_sem_init(&sem, 0);
    start = now_ns();
    g_assert_cmpint(qemu_sem_timedwait(&sem, ms), ==, -1);
    elapsed = now_ns() - start;
    g_assert_cmpint(elapsed, >=, ms * 1000000LL);
    qemu_sem_destroy(&sem);
}

static void *sem_post_thread(void *opaque)
{
    qemu_sem_post(opaque);
    return NULL;
}

static void test_sem_timedwait_posted(void)
{
    QemuSemaphore sem;
    QemuThread t;

    qemu_sem_init(&sem, 0);
    qemu_thread_create(&t, "sem-post", sem_post_thread, &sem,
                       QEMU_THREAD_JOINABLE);
    g_assert_cmpint(qemu_sem_timedwait(&sem, WAIT_BOUND_MS), ==, 0);
    qemu_thread_join(&t);
    qemu_sem_destroy(&sem);
}

/* ---------------------------------------------------------------------- */
/* Mutex and recursive mutex semantics                                      */
/* ---------------------------------------------------------------------- */

static void *trylock_thread(void *opaque)
{
    QemuMutex *m = opaque;
    int ret = qemu_mutex_trylock(m);

    if (ret == 0) {
        qemu_mutex_unlock(m);
    }
    return GINT_TO_POINTER(ret);
}

static void *rec_trylock_thread(void *opaque)
{
    QemuRecMutex *m = opaque;
    int ret = qemu_rec_mutex_trylock(m);

    if (ret == 0) {
        qemu_rec_mutex_unlock(m);
    }
    return GINT_TO_POINTER(ret);
}

static int trylock_from_other_thread(void *(*fn)(void *), void *m)
{
    QemuThread t;

    qemu_thread_create(&t, "trylock", fn, m, QEMU_THREAD_JOINABLE);
    return GPOINTER_TO_INT(qemu_thread_join(&t));
}

static void test_mutex_trylock(void)
{
    QemuMutex m;

    qemu_mutex_init(&m);
    g_assert_cmpint(qemu_mutex_trylock(&m), ==, 0);
    g_assert_cmpint(trylock_from_other_thread(trylock_thread, &m), ==,
                    -EBUSY);
    /* A non-recursive mutex is busy for its owner too. */
    g_assert_cmpint(qemu_mutex_trylock(&m), ==, -EBUSY);
    qemu_mutex_unlock(&m);
    g_assert_cmpint(trylock_from_other_thread(trylock_thread, &m), ==, 0);

    /* The addressable functions behave like the macros. */
    (qemu_mutex_lock)(&m);
    g_assert_cmpint((qemu_mutex_trylock)(&m), ==, -EBUSY);
    (qemu_mutex_unlock)(&m);
    qemu_mutex_destroy(&m);
}

static void test_rec_mutex(void)
{
    QemuRecMutex m;

    qemu_rec_mutex_init(&m);
    qemu_rec_mutex_lock(&m);
    qemu_rec_mutex_lock(&m);
    g_assert_cmpint(qemu_rec_mutex_trylock(&m), ==, 0);
    g_assert_cmpint(trylock_from_other_thread(rec_trylock_thread, &m), ==,
                    -EBUSY);
    qemu_rec_mutex_unlock(&m);
    qemu_rec_mutex_unlock(&m);
    /* Still held once. */
    g_assert_cmpint(trylock_from_other_thread(rec_trylock_thread, &m), ==,
                    -EBUSY);
    (qemu_rec_mutex_unlock)(&m);
    g_assert_cmpint(trylock_from_other_thread(rec_trylock_thread, &m), ==,
                    0);
    qemu_rec_mutex_destroy(&m);
}

static void test_spin_basic(void)
{
    QemuSpin s;

    qemu_spin_init(&s);
    g_assert_false(qemu_spin_locked(&s));
    /* trylock returns false when it SUCCEEDS. */
    g_assert_false(qemu_spin_trylock(&s));
    g_assert_true(qemu_spin_locked(&s));
    g_assert_true(qemu_spin_trylock(&s));
    qemu_spin_unlock(&s);
    g_assert_false(qemu_spin_locked(&s));
    qemu_spin_lock(&s);
    g_assert_true(qemu_spin_trylock(&s));
    qemu_spin_unlock(&s);
    qemu_spin_destroy(&s);
}

/* ---------------------------------------------------------------------- */
/* Misuse aborts                                                            */
/* ---------------------------------------------------------------------- */

static void test_misuse_unlock_unlocked(void)
{
    if (g_test_subprocess()) {
        QemuMutex m;

        qemu_mutex_init(&m);
        qemu_mutex_unlock(&m);
        return;
    }
    g_test_trap_subprocess(NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
    g_test_trap_assert_failed();
    g_test_trap_assert_stderr("*does not hold it*");
}

static void test_misuse_uninitialised(void)
{
    if (g_test_subprocess()) {
        QemuMutex m;

        memset(&m, 0, sizeof(m));
        qemu_mutex_lock(&m);
        return;
    }
    g_test_trap_subprocess(NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
    g_test_trap_assert_failed();
    g_test_trap_assert_stderr("*used before init*");
}

static void test_misuse_unlock_destroyed(void)
{
    if (g_test_subprocess()) {
        QemuMutex m;

        qemu_mutex_init(&m);
        qemu_mutex_destroy(&m);
        qemu_mutex_unlock(&m);
        return;
    }
    g_test_trap_subprocess(NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
    g_test_trap_assert_failed();
    g_test_trap_assert_stderr("*after destroy*");
}

static void test_misuse_relock(void)
{
    if (g_test_subprocess()) {
        QemuMutex m;

        qemu_mutex_init(&m);
        qemu_mutex_lock(&m);
        qemu_mutex_lock(&m);
        return;
    }
    g_test_trap_subprocess(NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
    g_test_trap_assert_failed();
    g_test_trap_assert_stderr("*locked again*");
}

static void *unlock_thread(void *opaque)
{
    qemu_mutex_unlock((QemuMutex *)opaque);
    return NULL;
}

static void test_misuse_unlock_other_thread(void)
{
    if (g_test_subprocess()) {
        QemuMutex m;
        QemuThread t;

        qemu_mutex_init(&m);
        qemu_mutex_lock(&m);
        qemu_thread_create(&t, "bad-unlock", unlock_thread, &m,
                           QEMU_THREAD_JOINABLE);
        qemu_thread_join(&t);
        return;
    }
    g_test_trap_subprocess(NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
    g_test_trap_assert_failed();
    g_test_trap_assert_stderr("*does not hold it*");
}

/* ---------------------------------------------------------------------- */
/* Threads                                                                  */
/* ---------------------------------------------------------------------- */

static void *return_arg_plus_one(void *opaque)
{
    return (char *)opaque + 1;
}

static void *exit_with_arg(void *opaque)
{
    qemu_thread_exit(opaque);
}

static void test_thread_join_value(void)
{
    static char buf[2];
    QemuThread t;

    qemu_thread_create(&t, "join", return_arg_plus_one, buf,
                       QEMU_THREAD_JOINABLE);
    g_assert_true(qemu_thread_join(&t) == buf + 1);

    qemu_thread_create(&t, "exit", exit_with_arg, buf,
                       QEMU_THREAD_JOINABLE);
    g_assert_true(qemu_thread_join(&t) == buf);
}

typedef struct DetachedState {
    QemuSemaphore done;
    int ran;
} DetachedState;

static void *detached_thread(void *opaque)
{
    DetachedState *s = opaque;

    s->ran = 1;
    qemu_sem_post(&s->done);
    return NULL;
}

static void test_thread_detached(void)
{
    DetachedState s = { .ran = 0 };
    QemuThread t;
    int i;

    qemu_sem_init(&s.done, 0);
    for (i = 0; i < 8; i++) {
        qemu_thread_create(&t, "detached", detached_thread, &s,
                           QEMU_THREAD_DETACHED);
        g_assert_cmpint(qemu_sem_timedwait(&s.done, WAIT_BOUND_MS), ==, 0);
        g_assert_cmpint(s.ran, ==, 1);
        s.ran = 0;
    }
    qemu_sem_destroy(&s.done);
}

typedef struct SelfState {
    QemuThread *handle;     /* as filled in by qemu_thread_create() */
    QemuSemaphore go;       /* posted once handle is valid */
    bool is_self_handle;
    bool is_self_get_self;
    bool is_main;
} SelfState;

static QemuThread main_thread;

static void *self_thread(void *opaque)
{
    SelfState *s = opaque;
    QemuThread me;

    qemu_sem_wait(&s->go);
    qemu_thread_get_self(&me);
    s->is_self_handle = qemu_thread_is_self(s->handle);
    s->is_self_get_self = qemu_thread_is_self(&me);
    s->is_main = qemu_thread_is_self(&main_thread);
    return NULL;
}

static void test_thread_self(void)
{
    SelfState s = { 0 };
    QemuThread t;

    qemu_thread_get_self(&main_thread);
    g_assert_true(qemu_thread_is_self(&main_thread));
    qemu_sem_init(&s.go, 0);
    s.handle = &t;
    qemu_thread_create(&t, "self", self_thread, &s, QEMU_THREAD_JOINABLE);
    g_assert_false(qemu_thread_is_self(&t));
    qemu_sem_post(&s.go);
    qemu_thread_join(&t);
    g_assert_true(s.is_self_handle);
    g_assert_true(s.is_self_get_self);
    g_assert_false(s.is_main);
    qemu_sem_destroy(&s.go);
}

static void *get_name_thread(void *opaque)
{
    char buf[64] = "";

    pthread_getname_np(pthread_self(), buf, sizeof(buf));
    return g_strdup(buf);
}

static char *name_of_new_thread(const char *name)
{
    QemuThread t;

    qemu_thread_create(&t, name, get_name_thread, NULL,
                       QEMU_THREAD_JOINABLE);
    return qemu_thread_join(&t);
}

static void test_thread_naming(void)
{
    char *name;

#ifndef CONFIG_PTHREAD_SETNAME_NP_W_TID
    g_test_skip("no pthread_setname_np on this host");
    return;
#endif
    qemu_thread_naming(true);
    name = name_of_new_thread("h2-named");
    g_assert_cmpstr(name, ==, "h2-named");
    g_free(name);

    /* Too long for the kernel: the 15-byte prefix is kept. */
    name = name_of_new_thread("a-very-long-thread-name");
    g_assert_cmpstr(name, ==, "a-very-long-thr");
    g_free(name);

    /* Naming off: the thread keeps the name it inherited. */
    qemu_thread_naming(false);
    name = name_of_new_thread("h2-unnamed");
    g_assert_cmpstr(name, !=, "h2-unnamed");
    g_free(name);
}

static void *sigmask_thread(void *opaque)
{
    sigset_t *mask = g_new(sigset_t, 1);

    pthread_sigmask(SIG_SETMASK, NULL, mask);
    return mask;
}

static void test_thread_sigmask(void)
{
    sigset_t before, after, *child;
    QemuThread t;

    pthread_sigmask(SIG_SETMASK, NULL, &before);
    qemu_thread_create(&t, "sigmask", sigmask_thread, NULL,
                       QEMU_THREAD_JOINABLE);
    child = qemu_thread_join(&t);
    pthread_sigmask(SIG_SETMASK, NULL, &after);

    g_assert_true(sigismember(child, SIGINT));
    g_assert_true(sigismember(child, SIGTERM));
    g_assert_true(sigismember(child, SIGUSR1));
    g_assert_true(sigismember(child, SIGALRM));
    g_assert_false(sigismember(child, SIGSEGV));
    g_assert_false(sigismember(child, SIGFPE));
    g_assert_false(sigismember(child, SIGILL));
    /* The creator's own mask is restored. */
    g_assert_cmpint(sigismember(&after, SIGINT), ==,
                    sigismember(&before, SIGINT));
    g_assert_cmpint(sigismember(&after, SIGUSR1), ==,
                    sigismember(&before, SIGUSR1));
    g_free(child);
}

typedef struct AffinityState {
    QemuSemaphore ready, done;
} AffinityState;

static void *affinity_thread(void *opaque)
{
    AffinityState *s = opaque;

    qemu_sem_post(&s->ready);
    qemu_sem_wait(&s->done);
    return NULL;
}

static void test_thread_affinity(void)
{
    const unsigned long bpl = sizeof(unsigned long) * CHAR_BIT;
    unsigned long *orig, *mask, *got;
    unsigned long nbits, got_bits, first = ULONG_MAX, i;
    AffinityState s;
    QemuThread t;
    int ret;

    qemu_thread_get_self(&t);
    ret = qemu_thread_get_affinity(&t, &orig, &nbits);
#ifndef CONFIG_PTHREAD_AFFINITY_NP
    g_assert_cmpint(ret, ==, -ENOSYS);
    return;
#endif
    g_assert_cmpint(ret, ==, 0);
    g_assert_cmpuint(nbits, >, 0);
    for (i = 0; i < nbits; i++) {
        if (orig[i / bpl] & (1UL << (i % bpl))) {
            first = i;
            break;
        }
    }
    g_assert_cmpuint(first, !=, ULONG_MAX);

    /* Pin a second thread to the first allowed CPU and read it back. */
    qemu_sem_init(&s.ready, 0);
    qemu_sem_init(&s.done, 0);
    qemu_thread_create(&t, "affinity", affinity_thread, &s,
                       QEMU_THREAD_JOINABLE);
    qemu_sem_wait(&s.ready);
    mask = g_new0(unsigned long, DIV_ROUND_UP(first + 1, bpl));
    mask[first / bpl] |= 1UL << (first % bpl);
    g_assert_cmpint(qemu_thread_set_affinity(&t, mask, first + 1), ==, 0);
    g_assert_cmpint(qemu_thread_get_affinity(&t, &got, &got_bits), ==, 0);
    for (i = 0; i < got_bits; i++) {
        g_assert_cmpint(!!(got[i / bpl] & (1UL << (i % bpl))), ==,
                        i == first);
    }
    /* Back to the full set, then compare with the original. */
    g_free(got);
    g_assert_cmpint(qemu_thread_set_affinity(&t, orig, nbits), ==, 0);
    g_assert_cmpint(qemu_thread_get_affinity(&t, &got, &got_bits), ==, 0);
    g_assert_cmpuint(got_bits, ==, nbits);
    g_assert_cmpmem(got, DIV_ROUND_UP(nbits, bpl) * sizeof(long),
                    orig, DIV_ROUND_UP(nbits, bpl) * sizeof(long));
    qemu_sem_post(&s.done);
    qemu_thread_join(&t);

    g_free(got);
    g_free(mask);
    g_free(orig);
    qemu_sem_destroy(&s.ready);
    qemu_sem_destroy(&s.done);
}

/* ---------------------------------------------------------------------- */
/* Thread exit notifiers                                                    */
/* ---------------------------------------------------------------------- */

typedef struct ExitRecord {
    Notifier n;
    int runs;               /* written by the exiting thread before join */
    bool on_right_thread;
} ExitRecord;

static __thread int exit_thread_marker;

static void exit_notify(Notifier *n, void *data)
{
    ExitRecord *r = container_of(n, ExitRecord, n);

    r->runs++;
    /* Runs on the exiting thread itself, with its TLS still alive. */
    r->on_right_thread = exit_thread_marker == 42 && data == NULL;
}

typedef struct ExitState {
    ExitRecord keep, removed, also_kept;
    bool use_exit;
} ExitState;

static void *atexit_thread(void *opaque)
{
    ExitState *s = opaque;

    exit_thread_marker = 42;
    s->keep.n.notify = exit_notify;
    s->removed.n.notify = exit_notify;
    s->also_kept.n.notify = exit_notify;
    qemu_thread_atexit_add(&s->keep.n);
    qemu_thread_atexit_add(&s->removed.n);
    qemu_thread_atexit_add(&s->also_kept.n);
    qemu_thread_atexit_remove(&s->removed.n);
    if (s->use_exit) {
        qemu_thread_exit(s);
    }
    return s;
}

static void atexit_run(bool use_exit)
{
    ExitState s = { .use_exit = use_exit };
    QemuThread t;

    qemu_thread_create(&t, "atexit", atexit_thread, &s,
                       QEMU_THREAD_JOINABLE);
    g_assert_true(qemu_thread_join(&t) == &s);
    g_assert_cmpint(s.keep.runs, ==, 1);
    g_assert_cmpint(s.also_kept.runs, ==, 1);
    g_assert_cmpint(s.removed.runs, ==, 0);
    g_assert_true(s.keep.on_right_thread);
    g_assert_true(s.also_kept.on_right_thread);
}

static void test_atexit_return(void)
{
    atexit_run(false);
}

static void test_atexit_exit(void)
{
    atexit_run(true);
}

/* ---------------------------------------------------------------------- */
/* Profiler hook switch                                                     */
/* ---------------------------------------------------------------------- */

static void test_qsp_switch(void)
{
    QemuMutex m;
    QemuCond c;

    g_assert_false(qsp_is_enabled());
    g_assert_true(qemu_mutex_lock_func == qemu_mutex_lock_impl);
    g_assert_true(qemu_cond_timedwait_func == qemu_cond_timedwait_impl);

    qemu_mutex_init(&m);
    qemu_cond_init(&c);
    qsp_enable();
    g_assert_true(qsp_is_enabled());
    g_assert_true(qemu_mutex_lock_func != qemu_mutex_lock_impl);
    /* Locks keep working through the profiling wrappers. */
    qemu_mutex_lock(&m);
    g_assert_cmpint(qemu_mutex_trylock_impl(&m, __FILE__, __LINE__), ==,
                    -EBUSY);
    g_assert_false(qemu_cond_timedwait(&c, &m, 1));
    qemu_mutex_unlock(&m);
    if (g_test_verbose()) {
        qsp_report(10, QSP_SORT_BY_TOTAL_WAIT_TIME, false);
    }
    qsp_reset();
    qsp_disable();
    g_assert_false(qsp_is_enabled());
    g_assert_true(qemu_mutex_lock_func == qemu_mutex_lock_impl);
    g_assert_true(qemu_cond_wait_func == qemu_cond_wait_impl);
    qemu_cond_destroy(&c);
    qemu_mutex_destroy(&m);
}

/*
 * Under ThreadSanitizer the misuse cases above would be diagnosed by TSan
 * itself (it intercepts pthread_mutex_* and reports "unlock of an unlocked
 * mutex" and friends, then exits with its own code because `make
 * check-tsan` sets halt_on_error=1) before our check gets to abort with
 * its message.  Turn off only that class of report, and only for the
 * trapped children: TSan parses TSAN_OPTIONS once at start-up, so changing
 * the variable here leaves this process's own checking untouched, while
 * the children spawned by g_test_trap_subprocess() inherit it.  Data-race
 * detection stays on in the children, and the assertions on our abort
 * messages keep their full meaning.
 */
static void tsan_quiet_mutex_misuse_in_children(void)
{
#if defined(CONFIG_TSAN) || defined(QEMU_SANITIZE_THREAD)
    const char *old = g_getenv("TSAN_OPTIONS");
    g_autofree char *opts = g_strdup_printf("%s%sreport_mutex_bugs=0",
                                            old ? old : "", old ? " " : "");

    g_setenv("TSAN_OPTIONS", opts, TRUE);
#endif
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    /* Before any thread exists, so setenv() is safe. */
    tsan_quiet_mutex_misuse_in_children();

    /* Stress first: they are the ones that find races. */
    g_test_add_func("/thread/mutex/stress", test_mutex_stress);
    g_test_add_func("/thread/spin/stress", test_spin_stress);
    g_test_add_func("/thread/sem/stress", test_sem_stress);
    g_test_add_func("/thread/cond/broadcast", test_cond_broadcast);
    g_test_add_func("/thread/cond/signal", test_cond_signal);
    g_test_add_func("/thread/cond/timedwait-signalled",
                    test_cond_timedwait_signalled);
    g_test_add_func("/thread/cond/timedwait-timeout",
                    test_cond_timedwait_timeout);
    g_test_add_func("/thread/sem/basic", test_sem_basic);
    g_test_add_func("/thread/sem/timedwait-timeout",
                    test_sem_timedwait_timeout);
    g_test_add_func("/thread/sem/timedwait-posted",
                    test_sem_timedwait_posted);
    g_test_add_func("/thread/mutex/trylock", test_mutex_trylock);
    g_test_add_func("/thread/rec-mutex/nested", test_rec_mutex);
    g_test_add_func("/thread/spin/basic", test_spin_basic);
    g_test_add_func("/thread/misuse/unlock-unlocked",
                    test_misuse_unlock_unlocked);
    g_test_add_func("/thread/misuse/uninitialised",
                    test_misuse_uninitialised);
    g_test_add_func("/thread/misuse/unlock-destroyed",
                    test_misuse_unlock_destroyed);
    g_test_add_func("/thread/misuse/relock", test_misuse_relock);
    g_test_add_func("/thread/misuse/unlock-other-thread",
                    test_misuse_unlock_other_thread);
    g_test_add_func("/thread/create/join-value", test_thread_join_value);
    g_test_add_func("/thread/create/detached", test_thread_detached);
    g_test_add_func("/thread/create/self", test_thread_self);
    g_test_add_func("/thread/create/naming", test_thread_naming);
    g_test_add_func("/thread/create/sigmask", test_thread_sigmask);
    g_test_add_func("/thread/create/affinity", test_thread_affinity);
    g_test_add_func("/thread/atexit/return", test_atexit_return);
    g_test_add_func("/thread/atexit/exit", test_atexit_exit);
    g_test_add_func("/thread/qsp/switch", test_qsp_switch);

    return g_test_run();
}
