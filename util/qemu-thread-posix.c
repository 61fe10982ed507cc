/*
 * qemuutil: POSIX implementation of qemu/thread.h.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * Mutexes, condition variables and semaphores are thin layers over
 * pthreads that turn every unexpected error into an abort with a message
 * naming the misuse.  QemuEvent is a three-state futex word on Linux (see
 * the state table above qemu_event_init()), with a mutex and condition
 * variable standing in for the futex elsewhere.  Threads get a small start
 * wrapper that names them and runs their per-thread exit notifiers.
 */
#include "qemu/osdep.h"

#include <pthread.h>
#ifdef CONFIG_PTHREAD_AFFINITY_NP
#include <sched.h>
#endif

#include "qemu/thread.h"
#include "qemu/atomic.h"
#include "qemu/notify.h"
#include "qemu-thread-common.h"

#ifndef QEMU_EVENT_USE_CONDVAR
#include "qemu/futex.h"
#endif

/* Linux limits thread names to 15 bytes plus the terminating NUL. */
#define THREAD_NAME_MAX 16

/* Whether threads created from now on get an OS-visible name. */
static bool name_threads;

/*
 * Report a failed pthread call made on behalf of @func and abort.  @err is
 * the positive error number pthreads returned; @why says, in the caller's
 * terms, what the API user most likely did wrong.
 */
static G_NORETURN void thread_fatal(const char *func, int err,
                                    const char *why)
{
    fprintf(stderr, "qemuutil: %s: %s (%s)\n", func, why, strerror(err));
    abort();
}

/* Abort unless the pthread call that returned @err succeeded. */
static inline void pthread_ok(int err, const char *func, const char *why)
{
    if (unlikely(err != 0)) {
        thread_fatal(func, err, why);
    }
}

/* Abort when @obj was never initialised or has already been destroyed. */
#define REQUIRE_INITIALIZED(obj, what) do {                             \
    if (unlikely(!(obj)->initialized)) {                                \
        fprintf(stderr, "qemuutil: %s: %s %p used before init or "      \
                "after destroy\n", __func__, (what), (void *)(obj));    \
        abort();                                                        \
    }                                                                   \
} while (0)

/* ---------------------------------------------------------------------- */
/* Mutexes                                                                  */
/* ---------------------------------------------------------------------- */

/*
 * Both mutex flavours check ownership (ERRORCHECK and RECURSIVE types both
 * do), so unlocking a mutex the caller does not hold, or relocking a plain
 * mutex the caller already holds, is reported instead of corrupting the
 * lock or deadlocking.  glibc's cost for the check is one compare.
 */
static void mutex_init_type(QemuMutex *mutex, int type)
{
    pthread_mutexattr_t attr;
    int err;

    err = pthread_mutexattr_init(&attr);
    if (err) {
        thread_fatal(__func__, err, "cannot create mutex attributes");
    }
    err = pthread_mutexattr_settype(&attr, type);
    if (err) {
        thread_fatal(__func__, err, "cannot set mutex type");
    }
    err = pthread_mutex_init(&mutex->lock, &attr);
    pthread_mutexattr_destroy(&attr);
    if (err) {
        thread_fatal(__func__, err, "cannot initialise mutex");
    }
    qemu_mutex_post_init(mutex);
}

void qemu_mutex_init(QemuMutex *mutex)
{
    mutex_init_type(mutex, PTHREAD_MUTEX_ERRORCHECK);
}

void qemu_mutex_destroy(QemuMutex *mutex)
{
    int err;

    REQUIRE_INITIALIZED(mutex, "mutex");
    mutex->initialized = false;
    err = pthread_mutex_destroy(&mutex->lock);
    if (err) {
        thread_fatal(__func__, err, "mutex destroyed while held");
    }
}

void qemu_mutex_lock_impl(QemuMutex *mutex, const char *file, const int line)
{
    int err;

    REQUIRE_INITIALIZED(mutex, "mutex");
    qemu_mutex_pre_lock(mutex, file, line);
    err = pthread_mutex_lock(&mutex->lock);
    if (err == EDEADLK) {
        fprintf(stderr, "qemuutil: mutex %p locked again at %s:%d by the "
                "thread that already holds it\n", (void *)mutex, file, line);
        abort();
    } else if (err) {
        thread_fatal(__func__, err, "cannot lock mutex");
    }
    qemu_mutex_post_lock(mutex, file, line);
}

int qemu_mutex_trylock_impl(QemuMutex *mutex, const char *file, const int line)
{
    int err;

    REQUIRE_INITIALIZED(mutex, "mutex");
    err = pthread_mutex_trylock(&mutex->lock);
    switch (err) {
    case 0:
        qemu_mutex_post_lock(mutex, file, line);
        return 0;
    case EBUSY:
        /* Held by someone, possibly the caller: not an error here. */
        return -EBUSY;
    default:
        thread_fatal(__func__, err, "cannot try-lock mutex");
    }
}

void qemu_mutex_unlock_impl(QemuMutex *mutex, const char *file, const int line)
{
    int err;

    REQUIRE_INITIALIZED(mutex, "mutex");
    qemu_mutex_pre_unlock(mutex, file, line);
    err = pthread_mutex_unlock(&mutex->lock);
    if (err == EPERM) {
        fprintf(stderr, "qemuutil: mutex %p unlocked at %s:%d by a thread "
                "that does not hold it\n", (void *)mutex, file, line);
        abort();
    } else if (err) {
        thread_fatal(__func__, err, "cannot unlock mutex");
    }
}

/*
 * A recursive mutex is the same QemuMutex with another pthread type: the
 * pthread library keeps the owner and the depth, so every operation
 * below simply forwards to the plain one.
 */
void qemu_rec_mutex_init(QemuRecMutex *mutex)
{
    mutex_init_type(&mutex->m, PTHREAD_MUTEX_RECURSIVE);
}

void qemu_rec_mutex_lock_impl(QemuRecMutex *mutex, const char *file, int line)
{
    qemu_mutex_lock_impl(&mutex->m, file, line);    /* depth + 1 */
}

void qemu_rec_mutex_unlock_impl(QemuRecMutex *mutex, const char *file,
                                int line)
{
    qemu_mutex_unlock_impl(&mutex->m, file, line);  /* depth - 1 */
}

int qemu_rec_mutex_trylock_impl(QemuRecMutex *mutex, const char *file,
                                int line)
{
    /* Succeeds for the owner too (nesting); -EBUSY for anyone else. */
    return qemu_mutex_trylock_impl(&mutex->m, file, line);
}

void qemu_rec_mutex_destroy(QemuRecMutex *mutex)
{
    qemu_mutex_destroy(&mutex->m);
}

/* ---------------------------------------------------------------------- */
/* Condition variables                                                      */
/* ---------------------------------------------------------------------- */

/*
 * The clock that timed waits are measured against: monotonic where the
 * condvar can be told to use it, so that setting the wall clock neither
 * cuts a wait short nor stretches it.
 */
#ifdef CONFIG_PTHREAD_CONDATTR_SETCLOCK
#define COND_CLOCK CLOCK_MONOTONIC
#else
#define COND_CLOCK CLOCK_REALTIME
#endif

/* Absolute time @ms milliseconds from now on cond_clock(); @ms >= 0. */
static struct timespec deadline_after_ms(int ms)
{
    struct timespec ts;

    clock_gettime(COND_CLOCK, &ts);
    ts.tv_sec += ms / 1000;
    ts.tv_nsec += (long)(ms % 1000) * 1000000L;
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    return ts;
}

void qemu_cond_init(QemuCond *cond)
{
    pthread_condattr_t attr;

    pthread_ok(pthread_condattr_init(&attr), __func__,
               "cannot create condvar attributes");
#ifdef CONFIG_PTHREAD_CONDATTR_SETCLOCK
    pthread_ok(pthread_condattr_setclock(&attr, COND_CLOCK), __func__,
               "cannot select the monotonic clock");
#endif
    pthread_ok(pthread_cond_init(&cond->cond, &attr), __func__,
               "cannot initialise condvar");
    pthread_condattr_destroy(&attr);
    cond->initialized = true;
}

void qemu_cond_destroy(QemuCond *cond)
{
    REQUIRE_INITIALIZED(cond, "condvar");
    cond->initialized = false;
    pthread_ok(pthread_cond_destroy(&cond->cond), __func__,
               "condvar destroyed while in use");
}

void qemu_cond_signal(QemuCond *cond)
{
    REQUIRE_INITIALIZED(cond, "condvar");
    pthread_ok(pthread_cond_signal(&cond->cond), __func__,
               "cannot signal condvar");
}

void qemu_cond_broadcast(QemuCond *cond)
{
    REQUIRE_INITIALIZED(cond, "condvar");
    pthread_ok(pthread_cond_broadcast(&cond->cond), __func__,
               "cannot broadcast condvar");
}

void qemu_cond_wait_impl(QemuCond *cond, QemuMutex *mutex,
                         const char *file, const int line)
{
    int err;

    REQUIRE_INITIALIZED(cond, "condvar");
    REQUIRE_INITIALIZED(mutex, "mutex");
    qemu_mutex_pre_unlock(mutex, file, line);
    err = pthread_cond_wait(&cond->cond, &mutex->lock);
    qemu_mutex_post_lock(mutex, file, line);
    if (err) {
        thread_fatal(__func__, err,
                     "condvar wait without holding the mutex?");
    }
}

/*
 * Wait on @cond until woken or until the absolute time @abs passes.
 * Returns false only on timeout.  Shared by the timed condvar wait and the
 * semaphore, which must not restart the full timeout after each wake-up.
 */
static bool cond_wait_until(QemuCond *cond, QemuMutex *mutex,
                            const struct timespec *abs,
                            const char *file, int line)
{
    int err;

    qemu_mutex_pre_unlock(mutex, file, line);
    err = pthread_cond_timedwait(&cond->cond, &mutex->lock, abs);
    qemu_mutex_post_lock(mutex, file, line);
    if (err == ETIMEDOUT) {
        return false;
    }
    pthread_ok(err, __func__, "condvar wait without holding the mutex?");
    return true;
}

bool qemu_cond_timedwait_impl(QemuCond *cond, QemuMutex *mutex, int ms,
                              const char *file, const int line)
{
    /* A negative timeout is treated as "already expired". */
    struct timespec abs = deadline_after_ms(MAX(ms, 0));

    REQUIRE_INITIALIZED(cond, "condvar");
    REQUIRE_INITIALIZED(mutex, "mutex");
    return cond_wait_until(cond, mutex, &abs, file, line);
}

/* ---------------------------------------------------------------------- */
/* Semaphores                                                               */
/* ---------------------------------------------------------------------- */

void qemu_sem_init(QemuSemaphore *sem, int init)
{
    if (init < 0) {
        fprintf(stderr, "qemuutil: %s: negative initial count %d\n",
                __func__, init);
        abort();
    }
    sem->count = init;
    qemu_cond_init(&sem->cond);
    qemu_mutex_init(&sem->mutex);
}

void qemu_sem_destroy(QemuSemaphore *sem)
{
    /* Nobody may be waiting: destroying a condvar in use aborts. */
    qemu_mutex_destroy(&sem->mutex);
    qemu_cond_destroy(&sem->cond);
}

void qemu_sem_post(QemuSemaphore *sem)
{
    qemu_mutex_lock_impl(&sem->mutex, __FILE__, __LINE__);
    if (sem->count == UINT_MAX) {
        fprintf(stderr, "qemuutil: %s: semaphore %p count overflow\n",
                __func__, (void *)sem);
        abort();
    }
    sem->count++;
    /* Signalled with the mutex held, as qemu_cond_signal() requires. */
    qemu_cond_signal(&sem->cond);
    qemu_mutex_unlock_impl(&sem->mutex, __FILE__, __LINE__);
}

void qemu_sem_wait(QemuSemaphore *sem)
{
    qemu_mutex_lock_impl(&sem->mutex, __FILE__, __LINE__);
    while (sem->count == 0) {
        qemu_cond_wait_impl(&sem->cond, &sem->mutex, __FILE__, __LINE__);
    }
    sem->count--;
    qemu_mutex_unlock_impl(&sem->mutex, __FILE__, __LINE__);
}

int qemu_sem_timedwait(QemuSemaphore *sem, int ms)
{
    struct timespec abs;
    bool timed_out = false;

    /* The deadline is fixed once, so wake-ups that lose the race to
     * another waiter do not extend the total wait. */
    abs = deadline_after_ms(MAX(ms, 0));
    qemu_mutex_lock_impl(&sem->mutex, __FILE__, __LINE__);
    while (sem->count == 0 && !timed_out) {
        if (ms <= 0) {
            timed_out = true;
        } else {
            timed_out = !cond_wait_until(&sem->cond, &sem->mutex, &abs,
                                         __FILE__, __LINE__);
        }
    }
    /* A post that raced with the timeout still counts. */
    if (sem->count > 0) {
        sem->count--;
        timed_out = false;
    }
    qemu_mutex_unlock_impl(&sem->mutex, __FILE__, __LINE__);
    return timed_out ? -1 : 0;
}

/* ---------------------------------------------------------------------- */
/* Events                                                                   */
/* ---------------------------------------------------------------------- */

/*
 * ev->value holds one of three states.  The numeric values matter: reset
 * is an atomic OR with EV_FREE, which turns SET (0) into FREE (1) and
 * leaves FREE (1) and BUSY (all ones) unchanged.
 *
 *   state  meaning                          left by
 *   SET    waiters return at once           set (from FREE or BUSY)
 *   FREE   not set, nobody sleeping         reset (from SET), init
 *   BUSY   not set, someone may be asleep   wait (from FREE)
 *
 * Transitions: FREE->SET and BUSY->SET (set; the latter also wakes every
 * sleeper), SET->FREE (reset), FREE->BUSY (wait).  BUSY->FREE never
 * happens, because reset's OR cannot produce it: a sleeper's state is only
 * ever left by a set, so a set can never be lost.  SET->BUSY is only
 * observable as SET->FREE->BUSY.
 */
#define EV_SET  0
#define EV_FREE 1
#define EV_BUSY -1

#ifdef QEMU_EVENT_USE_CONDVAR
/*
 * Futex stand-ins.  The sleeper checks the word under ev->lock and the
 * waker broadcasts under ev->lock after changing it, so a wake-up cannot
 * fall between the check and the sleep.
 */
static void event_sleep_while_busy(QemuEvent *ev)
{
    pthread_mutex_lock(&ev->lock);
    while (qatomic_read(&ev->value) == (unsigned)EV_BUSY) {
        pthread_cond_wait(&ev->cond, &ev->lock);
    }
    pthread_mutex_unlock(&ev->lock);
}

static void event_wake_all(QemuEvent *ev)
{
    pthread_mutex_lock(&ev->lock);
    pthread_cond_broadcast(&ev->cond);
    pthread_mutex_unlock(&ev->lock);
}
#else
static void event_sleep_while_busy(QemuEvent *ev)
{
    /*
     * The kernel re-reads the word under its own lock (with a full
     * barrier) before sleeping, which pairs with the barrier after the
     * xchg in qemu_event_set().  Loop because futex waits may end
     * spuriously; the acquire load pairs with that xchg too.
     */
    while (qatomic_load_acquire(&ev->value) == (unsigned)EV_BUSY) {
        qemu_futex_wait(&ev->value, EV_BUSY);
    }
}

static void event_wake_all(QemuEvent *ev)
{
    qemu_futex_wake(&ev->value, INT_MAX);
}
#endif

void qemu_event_init(QemuEvent *ev, bool init)
{
#ifdef QEMU_EVENT_USE_CONDVAR
    pthread_mutex_init(&ev->lock, NULL);
    pthread_cond_init(&ev->cond, NULL);
#endif
    ev->value = init ? EV_SET : EV_FREE;
    ev->initialized = true;
}

void qemu_event_destroy(QemuEvent *ev)
{
    REQUIRE_INITIALIZED(ev, "event");
#ifdef QEMU_EVENT_USE_CONDVAR
    pthread_cond_destroy(&ev->cond);
    pthread_mutex_destroy(&ev->lock);
#endif
    ev->initialized = false;
}

void qemu_event_set(QemuEvent *ev)
{
    unsigned old;

    REQUIRE_INITIALIZED(ev, "event");
    /*
     * Order the caller's stores (the condition being signalled) before the
     * load of ev->value below.  Pairs with the barrier at the end of
     * qemu_event_reset() and with the acquire loads in qemu_event_wait():
     * either the resetting thread sees the condition, or we see its FREE
     * (or BUSY) and go on to publish SET.  A plain release would not order
     * the load.
     */
    smp_mb();
    if (qatomic_read(&ev->value) == EV_SET) {
        return;     /* already set: nobody can be asleep */
    }
    old = qatomic_xchg(&ev->value, EV_SET);
    /* Pairs with the barrier inside the futex wait of a sleeper. */
    smp_mb__after_rmw();
    if (old == (unsigned)EV_BUSY) {
        event_wake_all(ev);
    }
}

void qemu_event_reset(QemuEvent *ev)
{
    REQUIRE_INITIALIZED(ev, "event");
    /* SET becomes FREE; a concurrent FREE or BUSY is left as it is. */
    qatomic_or(&ev->value, EV_FREE);
    /*
     * The caller re-checks its condition next: that load must not move
     * before the reset.  Pairs with the smp_mb() in qemu_event_set().
     */
    smp_mb__after_rmw();
}

void qemu_event_wait(QemuEvent *ev)
{
    unsigned seen;

    REQUIRE_INITIALIZED(ev, "event");
    /*
     * Acquire pairs with the smp_mb() in qemu_event_set(): when we see SET
     * we also see everything the setter wrote before setting.
     */
    seen = qatomic_load_acquire(&ev->value);
    if (seen == EV_SET) {
        return;
    }
    if (seen == EV_FREE) {
        /*
         * Announce a sleeper.  No retry is needed: the only other change
         * possible from FREE is to SET (BUSY->FREE cannot happen), and then
         * we are done.  qatomic_cmpxchg is sequentially consistent, which
         * gives the failing case the acquire it needs.
         */
        if (qatomic_cmpxchg(&ev->value, EV_FREE, EV_BUSY) == EV_SET) {
            return;
        }
    }
    event_sleep_while_busy(ev);
}

/* ---------------------------------------------------------------------- */
/* Threads                                                                  */
/* ---------------------------------------------------------------------- */

/*
 * Notifiers to run when the current thread ends.  Home thread only; a
 * zero-filled NotifierList is a valid empty list.
 */
static __thread NotifierList thread_exit_notifiers;

/* pthread cleanup handler: runs on return and on pthread_exit(). */
static void run_thread_exit_notifiers(void *unused)
{
    notifier_list_notify(&thread_exit_notifiers, NULL);
}

void qemu_thread_atexit_add(Notifier *notifier)
{
    notifier_list_add(&thread_exit_notifiers, notifier);
}

void qemu_thread_atexit_remove(Notifier *notifier)
{
    notifier_remove(notifier);
}

/* What qemu_thread_create() hands to the new thread; the thread frees it. */
typedef struct ThreadLaunch {
    void *(*fn)(void *);
    void *opaque;
    char *name;     /* NULL when naming is off */
} ThreadLaunch;

void qemu_thread_naming(bool enable)
{
    name_threads = enable;
#ifndef CONFIG_PTHREAD_SETNAME_NP_W_TID
    if (enable) {
        /* Names are a debugging aid; lacking them is not an error. */
        fprintf(stderr, "qemuutil: thread naming is not supported on "
                "this host\n");
    }
#endif
}

static void name_current_thread(const char *name)
{
#ifdef CONFIG_PTHREAD_SETNAME_NP_W_TID
    char buf[THREAD_NAME_MAX];

    /*
     * The kernel rejects names longer than 15 bytes (ERANGE); keep the
     * prefix instead of leaving the thread unnamed.  Failure is harmless.
     */
    g_strlcpy(buf, name, sizeof(buf));
    pthread_setname_np(pthread_self(), buf);
#endif
}

static void *thread_trampoline(void *opaque)
{
    ThreadLaunch *launch = opaque;
    void *(*fn)(void *) = launch->fn;
    void *arg = launch->opaque;
    void *result;

    if (launch->name) {
        name_current_thread(launch->name);
    }
    g_free(launch->name);
    g_free(launch);

    /*
     * Cleanup handlers run both when fn returns (pop with 1) and when the
     * thread calls qemu_thread_exit(), which is pthread_exit().  Some GCC
     * versions misjudge the size of the cleanup buffer, hence the pragmas.
     */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wstringop-overflow"
#endif
    pthread_cleanup_push(run_thread_exit_notifiers, NULL);
    result = fn(arg);
    pthread_cleanup_pop(1);
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif
    return result;
}

void qemu_thread_create(QemuThread *thread, const char *name,
                        void *(*start_routine)(void *),
                        void *arg, int mode)
{
    ThreadLaunch *launch;
    pthread_attr_t attr;
    sigset_t blocked, saved;
    int err;

    if (mode != QEMU_THREAD_JOINABLE && mode != QEMU_THREAD_DETACHED) {
        fprintf(stderr, "qemuutil: %s: invalid mode %d for thread '%s'\n",
                __func__, mode, name ? name : "");
        abort();
    }

    err = pthread_attr_init(&attr);
    if (err) {
        thread_fatal(__func__, err, "cannot create thread attributes");
    }
    if (mode == QEMU_THREAD_DETACHED) {
        pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    }

    launch = g_new0(ThreadLaunch, 1);
    launch->fn = start_routine;
    launch->opaque = arg;
    launch->name = (name_threads && name) ? g_strdup(name) : NULL;

    /*
     * A new thread inherits its creator's signal mask.  Block everything
     * around pthread_create() so asynchronous signals keep going to the
     * threads that expect them; the synchronous ones stay deliverable
     * because blocking them makes a fault undefined behaviour.
     */
    sigfillset(&blocked);
    sigdelset(&blocked, SIGSEGV);
    sigdelset(&blocked, SIGFPE);
    sigdelset(&blocked, SIGILL);
    pthread_sigmask(SIG_SETMASK, &blocked, &saved);

    err = pthread_create(&thread->thread, &attr, thread_trampoline, launch);

    pthread_sigmask(SIG_SETMASK, &saved, NULL);
    pthread_attr_destroy(&attr);
    if (err) {
        thread_fatal(__func__, err, "cannot create thread");
    }
}

int qemu_thread_set_affinity(QemuThread *thread, unsigned long *host_cpus,
                             unsigned long nbits)
{
#ifndef CONFIG_PTHREAD_AFFINITY_NP
    return -ENOSYS;
#else
    const unsigned long bits_per_word = sizeof(unsigned long) * CHAR_BIT;
    size_t setsize = CPU_ALLOC_SIZE(nbits);
    cpu_set_t *set;
    unsigned long cpu;
    int err;

    set = CPU_ALLOC(nbits);
    if (!set) {
        return -ENOMEM;
    }
    CPU_ZERO_S(setsize, set);
    for (cpu = 0; cpu < nbits; cpu++) {
        if (host_cpus[cpu / bits_per_word] & (1UL << (cpu % bits_per_word))) {
            CPU_SET_S(cpu, setsize, set);
        }
    }
    err = pthread_setaffinity_np(thread->thread, setsize, set);
    CPU_FREE(set);
    return -err;
#endif
}

int qemu_thread_get_affinity(QemuThread *thread, unsigned long **host_cpus,
                             unsigned long *nbits)
{
#ifndef CONFIG_PTHREAD_AFFINITY_NP
    return -ENOSYS;
#else
    const unsigned long bits_per_word = sizeof(unsigned long) * CHAR_BIT;
    unsigned long ncpus = CPU_SETSIZE;
    unsigned long *bitmap;
    unsigned long cpu;
    cpu_set_t *set;
    size_t setsize;
    int err;

    /*
     * The kernel answers EINVAL while the buffer is smaller than its CPU
     * mask; grow until it fits (bounded, in case EINVAL means something
     * else).
     */
    for (;;) {
        setsize = CPU_ALLOC_SIZE(ncpus);
        set = CPU_ALLOC(ncpus);
        if (!set) {
            return -ENOMEM;
        }
        err = pthread_getaffinity_np(thread->thread, setsize, set);
        if (err == 0) {
            break;
        }
        CPU_FREE(set);
        if (err != EINVAL || ncpus >= (1UL << 20)) {
            return -err;
        }
        ncpus *= 2;
    }

    bitmap = g_new0(unsigned long, DIV_ROUND_UP(ncpus, bits_per_word));
    for (cpu = 0; cpu < ncpus; cpu++) {
        if (CPU_ISSET_S(cpu, setsize, set)) {
            bitmap[cpu / bits_per_word] |= 1UL << (cpu % bits_per_word);
        }
    }
    CPU_FREE(set);
    *host_cpus = bitmap;
    *nbits = ncpus;
    return 0;
#endif
}

void qemu_thread_exit(void *retval)
{
    /* Unwinds through thread_trampoline()'s cleanup handler. */
    pthread_exit(retval);
}

bool qemu_thread_is_self(QemuThread *thread)
{
    return pthread_equal(thread->thread, pthread_self()) != 0;
}

void qemu_thread_get_self(QemuThread *thread)
{
    /* Valid for any thread, including ones qemuutil did not create. */
    thread->thread = pthread_self();
}

void *qemu_thread_join(QemuThread *thread)
{
    void *result = NULL;
    int err;

    err = pthread_join(thread->thread, &result);
    if (err) {
        thread_fatal(__func__, err,
                     "join of a detached, joined or own thread");
    }
    return result;
}
