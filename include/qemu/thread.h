/*
 * qemuutil: threads and the synchronisation primitives built on them.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * Mutexes (plain and recursive), condition variables, counting semaphores,
 * manual-reset events, spinlocks and thread creation, with the names and
 * semantics of QEMU 10.0's qemu/thread.h.
 *
 * Threading contract, unless a function says otherwise: every function is
 * thread-safe with respect to other threads using the same object, except
 * init and destroy, which the caller must not race with any other use.
 * Misuse (unlocking a mutex the caller does not hold, using an object that
 * was never initialised) aborts with a message.
 *
 * The lock, trylock and wait entry points go through function pointers
 * (qemu_mutex_lock_func and friends, defined in util/qsp.c) so that a
 * synchronisation profiler can be switched in at run time; the *_impl
 * functions are the real operations and take the caller's file and line.
 */
#ifndef QEMU_THREAD_H
#define QEMU_THREAD_H

/* QEMU code relies on these arriving through thread.h; keep them. */
#include "qemu/processor.h"
#include "qemu/atomic.h"

/* QemuMutex, QemuRecMutex and QemuSpin are named in qemu/typedefs.h. */
typedef struct QemuThread QemuThread;
typedef struct QemuCond QemuCond;
typedef struct QemuSemaphore QemuSemaphore;
/* QemuLockCnt is declared here but implemented by qemu/lockcnt.h. */
typedef struct QemuLockCnt QemuLockCnt;
typedef struct QemuEvent QemuEvent;

#include "qemu/thread-posix.h"

/* qsp.h needs the types above to be complete; it is only included here. */
#include "qemu/qsp.h"

/* Modes for qemu_thread_create(). */
#define QEMU_THREAD_JOINABLE 0
#define QEMU_THREAD_DETACHED 1

/* ---------------------------------------------------------------------- */
/* Mutexes                                                                  */
/* ---------------------------------------------------------------------- */

/**
 * qemu_mutex_init: initialise @mtx (non-recursive, error-checking).
 * @mtx: storage owned by the caller; must not be in use.
 */
void qemu_mutex_init(QemuMutex *mtx);

/**
 * qemu_mutex_destroy: release the resources of an unlocked @mtx.
 * @mtx: an initialised mutex that nobody holds or waits for.
 */
void qemu_mutex_destroy(QemuMutex *mtx);

/**
 * qemu_mutex_lock_impl: acquire @mtx, sleeping while another thread
 * holds it.
 * @mtx: an initialised mutex not already held by the caller.
 * @srcfile, @srcline: call site, kept for lock debugging and profiling.
 */
void TSA_NO_TSA qemu_mutex_lock_impl(QemuMutex *mtx, const char *srcfile,
                                     const int srcline);

/**
 * qemu_mutex_trylock_impl: acquire @mtx only if it is free.
 *
 * Returns: 0 when the caller now holds @mtx, -EBUSY otherwise.
 */
int TSA_NO_TSA qemu_mutex_trylock_impl(QemuMutex *mtx, const char *srcfile,
                                       const int srcline);

/**
 * qemu_mutex_unlock_impl: release @mtx, which the caller must hold.
 */
void TSA_NO_TSA qemu_mutex_unlock_impl(QemuMutex *mtx, const char *srcfile,
                                       const int srcline);

/**
 * qemu_rec_mutex_init: initialise a recursive mutex.  The owner may lock it
 * again; it is released when unlocked as many times as it was locked.
 */
void qemu_rec_mutex_init(QemuRecMutex *mtx);
void qemu_rec_mutex_lock_impl(QemuRecMutex *mtx, const char *srcfile,
                              int srcline);
void qemu_rec_mutex_destroy(QemuRecMutex *mtx);
/* Returns 0 on success (including a nested lock by the owner), else -EBUSY. */
int qemu_rec_mutex_trylock_impl(QemuRecMutex *mtx, const char *srcfile,
                                int srcline);
void qemu_rec_mutex_unlock_impl(QemuRecMutex *mtx, const char *srcfile,
                                int srcline);

/*
 * Switchable entry points.  Each pointer starts out as the matching *_impl
 * function; the profiler may replace it at any time, so it is read
 * atomically.  util/qsp.c defines the variables.
 */

/* Plain mutexes: qemu_mutex_lock() and qemu_mutex_trylock(). */
typedef void (*QemuMutexLockFunc)(QemuMutex *m, const char *f, int l);
extern QemuMutexLockFunc qemu_mutex_lock_func;
typedef int (*QemuMutexTrylockFunc)(QemuMutex *m, const char *f, int l);
extern QemuMutexTrylockFunc qemu_mutex_trylock_func;

/* The big QEMU lock's own hook (read by QEMU's system/cpus.c). */
extern QemuMutexLockFunc bql_mutex_lock_func;

/* Recursive mutexes. */
typedef void (*QemuRecMutexLockFunc)(QemuRecMutex *m, const char *f, int l);
extern QemuRecMutexLockFunc qemu_rec_mutex_lock_func;
typedef int (*QemuRecMutexTrylockFunc)(QemuRecMutex *m, const char *f, int l);
extern QemuRecMutexTrylockFunc qemu_rec_mutex_trylock_func;

/* Condition variable waits (they re-take the mutex, hence profiled). */
typedef void (*QemuCondWaitFunc)(QemuCond *c, QemuMutex *m, const char *f,
                                 int l);
extern QemuCondWaitFunc qemu_cond_wait_func;
typedef bool (*QemuCondTimedWaitFunc)(QemuCond *c, QemuMutex *m, int ms,
                                      const char *f, int l);
extern QemuCondTimedWaitFunc qemu_cond_timedwait_func;

/* Lock without going through the profiler hook (used by QEMU's qht.c). */
#define qemu_mutex_lock__raw(m) qemu_mutex_lock_impl((m), __FILE__, __LINE__)
#define qemu_mutex_trylock__raw(m) \
    qemu_mutex_trylock_impl((m), __FILE__, __LINE__)

/*
 * Call the hook currently stored in @hook_var with the given arguments
 * followed by the caller's file and line.
 */
#define QEMU_THREAD_HOOK_CALL_(hook_var, ...) ({                        \
    typeof(hook_var) hook_fn_ = qatomic_read(&(hook_var));              \
    hook_fn_(__VA_ARGS__, __FILE__, __LINE__);                          \
})

#define qemu_mutex_lock(m) \
    QEMU_THREAD_HOOK_CALL_(qemu_mutex_lock_func, m)
#define qemu_mutex_trylock(m) \
    QEMU_THREAD_HOOK_CALL_(qemu_mutex_trylock_func, m)
#define qemu_rec_mutex_lock(m) \
    QEMU_THREAD_HOOK_CALL_(qemu_rec_mutex_lock_func, m)
#define qemu_rec_mutex_trylock(m) \
    QEMU_THREAD_HOOK_CALL_(qemu_rec_mutex_trylock_func, m)
#define qemu_cond_wait(c, m) \
    QEMU_THREAD_HOOK_CALL_(qemu_cond_wait_func, c, m)
#define qemu_cond_timedwait(c, m, ms) \
    QEMU_THREAD_HOOK_CALL_(qemu_cond_timedwait_func, c, m, ms)

/* Unlocking is never profiled. */
#define qemu_mutex_unlock(m) qemu_mutex_unlock_impl((m), __FILE__, __LINE__)
#define qemu_rec_mutex_unlock(m) \
    qemu_rec_mutex_unlock_impl((m), __FILE__, __LINE__)

/*
 * Real functions behind the macros above, for callers that need an
 * address (qemu/lockable.h stores them in QemuLockable).  The parentheses
 * around the names stop the function-like macros from expanding.
 */

/*
 * QEMU_THREAD_FN_(): define the function @fn that forwards its one
 * lock argument to the macro of the same name; QEMU_THREAD_VOID_FN_() is
 * the same for functions without a result.
 */
#define QEMU_THREAD_FN_(result_type, fn, lock_type)            \
    static inline result_type (fn)(lock_type *lk)               \
    {                                                           \
        return fn(lk);                                          \
    }
#define QEMU_THREAD_VOID_FN_(fn, lock_type)                     \
    static inline void (fn)(lock_type *lk)                      \
    {                                                           \
        fn(lk);                                                 \
    }

/* Acquire through the profiler hook; trylock gives 0 or -EBUSY. */
QEMU_THREAD_VOID_FN_(qemu_mutex_lock, QemuMutex)
QEMU_THREAD_FN_(int, qemu_mutex_trylock, QemuMutex)
QEMU_THREAD_VOID_FN_(qemu_rec_mutex_lock, QemuRecMutex)
QEMU_THREAD_FN_(int, qemu_rec_mutex_trylock, QemuRecMutex)
/* Release (one level, for the recursive kind). */
QEMU_THREAD_VOID_FN_(qemu_mutex_unlock, QemuMutex)
QEMU_THREAD_VOID_FN_(qemu_rec_mutex_unlock, QemuRecMutex)

/* ---------------------------------------------------------------------- */
/* Condition variables                                                      */
/* ---------------------------------------------------------------------- */

/**
 * qemu_cond_init: initialise @cv.  Timed waits measure their timeout on
 * CLOCK_MONOTONIC when the host supports it, so wall-clock jumps do not
 * shorten or stretch them.
 */
void qemu_cond_init(QemuCond *cv);
void qemu_cond_destroy(QemuCond *cv);

/**
 * qemu_cond_signal: wake one waiter of @cv.
 * qemu_cond_broadcast: wake every waiter of @cv.
 *
 * Call them with the mutex the waiters use held: without it a waiter that
 * has checked its predicate but not yet gone to sleep misses the wake-up.
 */
void qemu_cond_broadcast(QemuCond *cv);
void qemu_cond_signal(QemuCond *cv);

/**
 * qemu_cond_wait_impl: atomically release @mtx and sleep on @cv; the
 * caller holds @mtx again on return.  Wake-ups may be spurious: always
 * wait in a loop that re-checks the predicate.
 */
void TSA_NO_TSA qemu_cond_wait_impl(QemuCond *cv, QemuMutex *mtx,
                                    const char *srcfile, const int srcline);

/**
 * qemu_cond_timedwait_impl: like qemu_cond_wait_impl() but gives up after
 * @ms milliseconds.
 *
 * Returns: true if woken (or spuriously returned) before the deadline,
 * false if the timeout expired.
 */
bool qemu_cond_timedwait_impl(QemuCond *cv, QemuMutex *mtx, int ms,
                              const char *srcfile, const int srcline);

/** qemu_cond_timedwait: false when @ms elapsed without a wake-up. */
static inline bool (qemu_cond_timedwait)(QemuCond *cv, QemuMutex *mtx,
                                         int ms)
{
    return qemu_cond_timedwait(cv, mtx, ms);
}

/** qemu_cond_wait: see qemu_cond_wait_impl(). */
static inline void (qemu_cond_wait)(QemuCond *cv, QemuMutex *mtx)
{
    qemu_cond_wait(cv, mtx);
}

/* ---------------------------------------------------------------------- */
/* Semaphores                                                               */
/* ---------------------------------------------------------------------- */

/** qemu_sem_init: counting semaphore starting at @init (>= 0). */
void qemu_sem_init(QemuSemaphore *sema, int init);
void qemu_sem_destroy(QemuSemaphore *sema);
/** qemu_sem_wait: sleep until the count is positive, then decrement it. */
void qemu_sem_wait(QemuSemaphore *sema);
/** qemu_sem_post: increment the count, waking one waiter. */
void qemu_sem_post(QemuSemaphore *sema);
/**
 * qemu_sem_timedwait: like qemu_sem_wait() but for at most @ms ms; with
 * @ms == 0 it only tries.
 *
 * Returns: 0 when the count was decremented, -1 on timeout.
 */
int qemu_sem_timedwait(QemuSemaphore *sema, int ms);

/* ---------------------------------------------------------------------- */
/* Events                                                                   */
/* ---------------------------------------------------------------------- */

/*
 * A QemuEvent is a manual-reset event: once set it stays set, releasing
 * every present and future waiter, until someone resets it.  The usual
 * pattern for a waiter is
 *
 *     qemu_event_reset(&event);
 *     if (!condition) {          (re-check after the reset)
 *         qemu_event_wait(&event);
 *     }
 *
 * and for the other side "make condition true; qemu_event_set(&event)".
 * Setting an event that is already set costs a barrier and a load.
 */

/** qemu_event_init: initialise @event, set if @init is true, else free. */
void qemu_event_init(QemuEvent *event, bool init);
void qemu_event_destroy(QemuEvent *event);
/** qemu_event_wait: return once @event is set (at once if it already is). */
void qemu_event_wait(QemuEvent *event);
/** qemu_event_set: set @event and wake all waiters.  Full memory barrier. */
void qemu_event_set(QemuEvent *event);
/** qemu_event_reset: a set @event becomes free; otherwise nothing changes. */
void qemu_event_reset(QemuEvent *event);


/* ---------------------------------------------------------------------- */
/* Threads                                                                  */
/* ---------------------------------------------------------------------- */

/**
 * qemu_thread_create: start a thread running @start_routine(@arg).
 * @th: filled in with the new thread's handle.
 * @name: debug name (copied); applied to the OS thread when naming is on.
 * @mode: QEMU_THREAD_JOINABLE (must be joined) or QEMU_THREAD_DETACHED.
 *
 * The new thread starts with every signal blocked except the synchronous
 * SIGSEGV, SIGFPE and SIGILL: asynchronous signals are left to the main
 * thread.  Aborts if the thread cannot be created.
 */
void qemu_thread_create(QemuThread *th, const char *name,
                        void *(*start_routine)(void *),
                        void *arg, int mode);

/** qemu_thread_join: wait for a joinable thread; returns its result. */
void *qemu_thread_join(QemuThread *th);
/** qemu_thread_get_self: fill @th with the calling thread's handle. */
void qemu_thread_get_self(QemuThread *th);
/** qemu_thread_is_self: true if @th is the calling thread. */
bool qemu_thread_is_self(QemuThread *th);
/**
 * qemu_thread_exit: end the calling thread with result @result; its atexit
 * notifiers run first.  Only for threads made by qemu_thread_create().
 */
G_NORETURN void qemu_thread_exit(void *result);
/** qemu_thread_naming: whether threads created later get OS-level names. */
void qemu_thread_naming(bool enable);


/**
 * qemu_thread_set_affinity: restrict @th to the CPUs whose bits are
 * set in the first @nr_bits bits of @cpu_bits.
 *
 * Returns: 0, -ENOSYS where the host cannot do it, or another -errno.
 */
int qemu_thread_set_affinity(QemuThread *th, unsigned long *cpu_bits,
                             unsigned long nbits);

/**
 * qemu_thread_get_affinity: read @th's CPU set.
 * @cpu_bits: receives a newly allocated bitmap; free it with g_free().
 * @nr_bits: receives the number of bits in *@cpu_bits.
 *
 * Returns: 0, -ENOSYS where the host cannot do it, or another -errno.
 */
int qemu_thread_get_affinity(QemuThread *th, unsigned long **cpu_bits,
                             unsigned long *nr_bits);

struct Notifier;

/**
 * qemu_thread_atexit_add: run @notifier when the calling thread ends.
 * @notifier: owned by the caller, typically a thread-local variable whose
 * callback frees other per-thread data; it receives NULL as data.
 *
 * The list is per thread and home-thread only.  It runs when a thread made
 * by qemu_thread_create() returns from its start routine or calls
 * qemu_thread_exit(); whether it runs when the whole process exits is
 * unspecified (it never runs for the main thread).
 */
void qemu_thread_atexit_add(struct Notifier *notifier);

/**
 * qemu_thread_atexit_remove: take @notifier off the calling thread's list.
 * @notifier must currently be on that list.
 */
void qemu_thread_atexit_remove(struct Notifier *notifier);

/* ---------------------------------------------------------------------- */
/* Spinlocks                                                                */
/* ---------------------------------------------------------------------- */

#ifdef CONFIG_TSAN
#include <sanitizer/tsan_interface.h>
/* Tell ThreadSanitizer that a QemuSpin is a lock. */
#define QEMU_SPIN_TSAN_(call) call
#else
#define QEMU_SPIN_TSAN_(call) do { } while (0)
#endif

/*
 * A test-and-set spinlock for very short critical sections.  Never sleep
 * or take a sleeping lock while holding one.
 */
struct QemuSpin {
    int value;      /* 0 free, 1 held; accessed atomically */
};

static inline void qemu_spin_init(QemuSpin *sl)
{
    qatomic_set(&sl->value, 0);
    QEMU_SPIN_TSAN_(__tsan_mutex_create(sl, __tsan_mutex_not_static));
}

static inline void qemu_spin_destroy(QemuSpin *sl)
{
    QEMU_SPIN_TSAN_(__tsan_mutex_destroy(sl, __tsan_mutex_not_static));
}

/** qemu_spin_lock: spin until the lock is ours (acquire semantics). */
static inline void qemu_spin_lock(QemuSpin *sl)
{
    QEMU_SPIN_TSAN_(__tsan_mutex_pre_lock(sl, 0));
    for (;;) {
        if (likely(!qatomic_xchg(&sl->value, 1))) {
            break;
        }
        /* Wait with plain loads so the cache line is not bounced. */
        do {
            cpu_relax();
        } while (qatomic_read(&sl->value));
    }
    QEMU_SPIN_TSAN_(__tsan_mutex_post_lock(sl, 0, 0));
}

/**
 * qemu_spin_trylock: take the lock if it is free.
 *
 * Returns: **false on success** and true if the lock was busy (QEMU's
 * convention, the reverse of qemu_mutex_trylock's "0 means taken").
 */
static inline bool qemu_spin_trylock(QemuSpin *sl)
{
    bool was_held;

    QEMU_SPIN_TSAN_(__tsan_mutex_pre_lock(sl, __tsan_mutex_try_lock));
    was_held = qatomic_xchg(&sl->value, 1) != 0;
    QEMU_SPIN_TSAN_(__tsan_mutex_post_lock(sl, __tsan_mutex_try_lock |
                                           (was_held ?
                                            __tsan_mutex_try_lock_failed :
                                            0), 0));
    return was_held;
}

/** qemu_spin_locked: whether somebody holds @sl (a racy snapshot). */
static inline bool qemu_spin_locked(QemuSpin *sl)
{
    return qatomic_read(&sl->value) != 0;
}

/** qemu_spin_unlock: release @sl (release semantics). */
static inline void qemu_spin_unlock(QemuSpin *sl)
{
    QEMU_SPIN_TSAN_(__tsan_mutex_pre_unlock(sl, 0));
    qatomic_store_release(&sl->value, 0);
    QEMU_SPIN_TSAN_(__tsan_mutex_post_unlock(sl, 0));
}

#endif /* QEMU_THREAD_H */
