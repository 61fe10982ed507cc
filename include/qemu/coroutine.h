/*
 * qemuutil: coroutine synchronisation and helpers (CoMutex, CoQueue,
 * CoRwlock, sleeping, socket I/O, pool sizing).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * The core coroutine calls (create, enter, yield) are in
 * qemu/coroutine-core.h, which this header includes.
 *
 * Threading.  Functions marked coroutine_fn must run inside a coroutine.
 * CoMutex may be shared by coroutines running in different threads
 * (different AioContexts): it is built from atomics and wakes waiters
 * with aio_co_wake().  CoQueue and CoRwlock keep plain lists and need
 * whatever lock the caller passes (CoQueue) or their own CoMutex
 * (CoRwlock).  Wake-ups issued from a coroutine do not run the woken
 * coroutine at once: it is queued and entered when the waker yields or
 * terminates (see qemu_aio_coroutine_enter()).
 */
#ifndef QEMU_COROUTINE_H
#define QEMU_COROUTINE_H

/* Same include list as QEMU 10.0: users rely on what comes with it. */
#include "qemu/coroutine-core.h"
#include "qemu/atomic.h"
#include "qemu/queue.h"
#include "qemu/timer.h"

/* A waiting CoMutex locker; lives on the waiter's coroutine stack. */
struct CoWaitRecord;

/* A waiting CoRwlock user; lives on the waiter's coroutine stack. */
typedef struct CoRwTicket CoRwTicket;

/* Called by qemu_co_timeout() for an entry that outlived its timeout. */
typedef void CleanupFunc(void *opaque);

/* ---------------------------------------------------------------------- */
/* CoMutex                                                                */
/* ---------------------------------------------------------------------- */

/*
 * All-zero bytes are an unlocked mutex.  Layout is private to
 * util/qemu-coroutine-lock.c apart from qemu_co_mutex_assert_locked().
 */
struct CoMutex {
    /*
     * Number of lockers that have not unlocked yet: 0 free, 1 held with no
     * waiter, more when lockers wait.  Atomic.
     */
    unsigned locked;

    /* Owner, for assertions; written by the owner only. */
    Coroutine *holder;

    /*
     * AioContext of the coroutine that holds (or is about to get) the
     * lock.  Only a hint: a locker in the same context does not spin,
     * because the holder cannot run until the locker yields.
     */
    AioContext *ctx;

    /*
     * Hand-off token: non-zero while an unlocker that found no queued
     * waiter offers its wake-up duty to a locker that is still on its way
     * to the queue.  Atomic.
     */
    unsigned handoff;

    /* Source of distinct @handoff tokens; touched by unlockers only. */
    unsigned sequence;

    /*
     * Waiters.  Lockers push themselves here with atomics (any thread),
     * newest first.
     */
    QSLIST_HEAD(, CoWaitRecord) from_push;

    /*
     * Waiters in arrival order, owned by the single party in charge of the
     * next wake-up (the unlocker, or a locker that took over through
     * @handoff), which refills it from @from_push and pops from here.
     */
    QSLIST_HEAD(, CoWaitRecord) to_pop;
};

/**
 * qemu_co_mutex_assert_locked:
 * @mutex: a CoMutex
 *
 * Aborts unless the running coroutine holds @mutex.  A racy read is fine:
 * when the assertion holds, @mutex protects @holder; when it does not,
 * any value read is wrong as well.
 */
static inline coroutine_fn void qemu_co_mutex_assert_locked(CoMutex *mutex)
{
    bool mine = qatomic_read(&mutex->locked) != 0 &&
                mutex->holder == qemu_coroutine_self();

    assert(mine);
}

/* Needs struct CoMutex complete for its CoMutex * case. */
#include "qemu/lockable.h"

/* ---------------------------------------------------------------------- */
/* Sleeping                                                               */
/* ---------------------------------------------------------------------- */

/**
 * QemuCoSleep:
 * @to_wake: the parked sleeper, NULL when idle (the state after every
 *           qemu_co_sleep() returns), or the private "wake pending" mark
 *
 * A wake-up slot shared by one sleeper and any number of wakers.
 * Zero-initialise it.  Accessed with atomics.
 */
typedef struct QemuCoSleep {
    Coroutine *to_wake;
} QemuCoSleep;

/**
 * qemu_co_sleep_wake:
 * @w: the wake-up slot
 *
 * Wakes the coroutine sleeping on @w (its timer, if any, is deleted when
 * it resumes).  The wake is sticky: with nobody asleep on @w it stays
 * pending and the next qemu_co_sleep() on @w returns at once.  Several
 * wakes before a sleep count as one.  A pending wake that is never
 * consumed needs no cleanup.  Thread-safe.
 */
void qemu_co_sleep_wake(QemuCoSleep *w);

/**
 * qemu_co_sleep:
 * @w: the wake-up slot
 *
 * Yields until qemu_co_sleep_wake(@w).  If a wake was delivered while
 * nobody slept on @w, consumes it and returns without yielding.
 * Coroutine only; one sleeper per @w at a time.
 */
void coroutine_fn qemu_co_sleep(QemuCoSleep *w);

/**
 * qemu_co_sleep_ns_wakeable:
 * @w: the wake-up slot
 * @type: clock of the timeout
 * @ns: timeout in nanoseconds of @type
 *
 * Yields until @ns have passed on @type (a timer in the current
 * AioContext) or qemu_co_sleep_wake(@w), whichever comes first; returns
 * at once if a wake is already pending on @w.  Coroutine only.
 */
void coroutine_fn qemu_co_sleep_ns_wakeable(QemuCoSleep *w, QEMUClockType type,
                                            int64_t ns);

/**
 * qemu_co_sleep_ns:
 * @type: clock
 * @ns: duration
 *
 * Yields for @ns nanoseconds of @type; nobody can cut it short.
 * Coroutine only.
 */
static inline void coroutine_fn qemu_co_sleep_ns(QEMUClockType type,
                                                 int64_t ns)
{
    QemuCoSleep private_slot = { .to_wake = NULL };

    qemu_co_sleep_ns_wakeable(&private_slot, type, ns);
}

/**
 * qemu_co_timeout:
 * @entry: body to run in a new coroutine
 * @opaque: its argument
 * @timeout_ns: how long to wait for it
 * @clean: called with @opaque when @entry finishes after the timeout, or
 *         NULL
 *
 * Returns: 0 if @entry finished in time, -ETIMEDOUT otherwise (@entry
 * keeps running).  Implemented by QEMU's util/qemu-co-timeout.c, not by
 * this library.
 */
int coroutine_fn qemu_co_timeout(CoroutineEntry *entry, void *opaque,
                                 uint64_t timeout_ns,
                                 CleanupFunc clean);

/* ---------------------------------------------------------------------- */
/* CoQueue                                                                */
/* ---------------------------------------------------------------------- */

/**
 * CoQueueWaitFlags:
 * @CO_QUEUE_WAIT_FRONT: join at the head instead of the tail (a woken
 *   waiter whose condition is still false keeps its place)
 */
typedef enum {
    CO_QUEUE_WAIT_FRONT = 0x1,
} CoQueueWaitFlags;

/**
 * CoQueue:
 *
 * Coroutines waiting for a condition, like a condition variable.  The
 * queue itself has no lock: every operation runs under the lock the
 * waiters pass to qemu_co_queue_wait() (or in one AioContext only).
 */
typedef struct CoQueue {
    /* Waiting coroutines, linked through Coroutine.co_queue_next. */
    QSIMPLEQ_HEAD(, Coroutine) entries;
} CoQueue;

/**
 * qemu_co_queue_init:
 * @queue: the queue to initialise (before any other use)
 */
void qemu_co_queue_init(CoQueue *queue);

/**
 * qemu_co_queue_empty:
 * @queue: the queue
 *
 * Returns: true if nobody waits on @queue.
 */
bool qemu_co_queue_empty(CoQueue *queue);

/**
 * qemu_co_queue_wait_impl:
 * @queue: the queue
 * @lock: the lock protecting the condition, or NULL
 * @flags: CoQueueWaitFlags
 *
 * Joins @queue, releases @lock, yields until woken, then retakes @lock.
 * Coroutine only.  Called through the two macros below, which accept any
 * QEMU_MAKE_LOCKABLE() type for @lock.
 */
void coroutine_fn qemu_co_queue_wait_impl(CoQueue *queue,
                                          QemuLockable *lock,
                                          CoQueueWaitFlags flags);
#define qemu_co_queue_wait_flags(queue, lock, flags) \
    qemu_co_queue_wait_impl((queue), QEMU_MAKE_LOCKABLE(lock), (flags))
#define qemu_co_queue_wait(queue, lock) \
    qemu_co_queue_wait_flags(queue, lock, 0)

/**
 * qemu_co_queue_next:
 * @queue: the queue
 *
 * Takes the first waiter off @queue and wakes it with aio_co_wake(): in
 * the same AioContext it runs once the caller yields or terminates.
 * Returns: false if @queue was empty.  Coroutine only (elsewhere use
 * qemu_co_enter_next()).
 */
bool coroutine_fn qemu_co_queue_next(CoQueue *queue);

/**
 * qemu_co_queue_restart_all:
 * @queue: the queue
 *
 * qemu_co_queue_next() until @queue is empty.  Coroutine only.
 */
void coroutine_fn qemu_co_queue_restart_all(CoQueue *queue);

/*
 * qemu_co_enter_next(queue, lock) is qemu_co_queue_next() for callers
 * outside coroutines: @lock (held by the caller, or NULL) is dropped around
 * the wake-up, because there the woken coroutine runs before the call
 * returns and will want @lock itself.  Returns false if @queue was empty.
 * qemu_co_enter_all(queue, lock) repeats it until @queue is empty.
 */
#define qemu_co_enter_next(queue, lock) \
    qemu_co_enter_next_impl((queue), QEMU_MAKE_LOCKABLE(lock))
#define qemu_co_enter_all(queue, lock) \
    qemu_co_enter_all_impl((queue), QEMU_MAKE_LOCKABLE(lock))
bool qemu_co_enter_next_impl(CoQueue *queue, QemuLockable *lock);
void qemu_co_enter_all_impl(CoQueue *queue, QemuLockable *lock);

/* ---------------------------------------------------------------------- */
/* CoRwlock                                                               */
/* ---------------------------------------------------------------------- */

/**
 * CoRwlock:
 *
 * A fair readers-writer lock for coroutines.  Waiters are served strictly
 * in arrival order; a reader does not join the current readers while
 * anybody (reader or writer) is queued.  Usable across AioContexts.
 */
typedef struct CoRwlock {
    /* Readers holding the lock, -1 for a writer, 0 when free. */
    int owners;

    /* Waiting coroutines, oldest first. */
    QSIMPLEQ_HEAD(, CoRwTicket) tickets;

    /* Protects the other two fields. */
    CoMutex mutex;
} CoRwlock;

/**
 * qemu_co_rwlock_rdlock:
 * @lock: the lock
 *
 * Takes @lock shared; yields while a writer holds it or anybody waits.
 */
void coroutine_fn qemu_co_rwlock_rdlock(CoRwlock *lock);

/**
 * qemu_co_rwlock_wrlock:
 * @lock: the lock
 *
 * Takes @lock exclusively; yields while anybody holds it.
 */
void coroutine_fn qemu_co_rwlock_wrlock(CoRwlock *lock);

/**
 * qemu_co_rwlock_unlock:
 * @lock: a lock the caller holds (shared or exclusively)
 *
 * Releases the caller's hold and wakes the next waiter(s) it unblocks.
 */
void coroutine_fn qemu_co_rwlock_unlock(CoRwlock *lock);

/** qemu_co_rwlock_init: initialise @lock (before any other use). */
void qemu_co_rwlock_init(CoRwlock *lock);

/**
 * qemu_co_rwlock_upgrade:
 * @lock: a lock the caller holds shared
 *
 * Turns the caller's read lock into the write lock.  Immediate when the
 * caller is the only reader and nobody waits; otherwise the caller gives
 * up its read lock, queues as a writer behind the existing waiters and
 * yields, so other writers may run before this returns.
 */
void coroutine_fn qemu_co_rwlock_upgrade(CoRwlock *lock);

/**
 * qemu_co_rwlock_downgrade:
 * @lock: a lock the caller holds exclusively
 *
 * Turns the caller's write lock into a read lock without ever yielding,
 * and lets queued readers at the head of the queue in.
 */
void coroutine_fn qemu_co_rwlock_downgrade(CoRwlock *lock);

/* ---------------------------------------------------------------------- */
/* Pool sizing                                                            */
/* ---------------------------------------------------------------------- */

/**
 * qemu_coroutine_inc_pool_size:
 * @additional_pool_size: coroutines to add to the global pool's cap
 *
 * Lets the process-wide pool of terminated coroutines keep more of them
 * (users that keep many coroutines alive call it).  Thread-safe.
 */
void qemu_coroutine_inc_pool_size(unsigned int additional_pool_size);

/**
 * qemu_coroutine_dec_pool_size:
 * @additional_pool_size: the amount an earlier increase added
 *
 * Undoes qemu_coroutine_inc_pool_size().  Thread-safe.
 */
void qemu_coroutine_dec_pool_size(unsigned int additional_pool_size);

/* ---------------------------------------------------------------------- */
/* File descriptors and sockets                                           */
/* ---------------------------------------------------------------------- */

/*
 * qemu_co_sendv(), qemu_co_recvv(), qemu_co_send() and qemu_co_recv() fix
 * the direction of the two calls below.
 */
#define qemu_co_sendv(sockfd, iov, iov_cnt, offset, bytes) \
    qemu_co_sendv_recvv((sockfd), (iov), (iov_cnt), (offset), (bytes), true)
#define qemu_co_recvv(sockfd, iov, iov_cnt, offset, bytes) \
    qemu_co_sendv_recvv((sockfd), (iov), (iov_cnt), (offset), (bytes), false)
#define qemu_co_send(sockfd, buf, bytes) \
    qemu_co_send_recv((sockfd), (buf), (bytes), true)
#define qemu_co_recv(sockfd, buf, bytes) \
    qemu_co_send_recv((sockfd), (buf), (bytes), false)

/**
 * qemu_co_sendv_recvv:
 * @sockfd: a non-blocking socket
 * @iov: buffers
 * @iov_cnt: entries in @iov
 * @offset: bytes of @iov to skip
 * @bytes: bytes to transfer
 * @do_send: send if true, receive if false
 *
 * Transfers @bytes, yielding whenever the socket would block (somebody
 * else must re-enter the coroutine, e.g. an fd handler).
 * Returns: bytes transferred (fewer on end of file, or on an error after
 * some progress), or -errno if the first attempt failed.
 */
ssize_t coroutine_fn qemu_co_sendv_recvv(int sockfd, struct iovec *iov,
                                         unsigned iov_cnt,
                                         size_t offset, size_t bytes,
                                         bool do_send);

/**
 * qemu_co_send_recv:
 * @sockfd: a non-blocking socket
 * @buf: one buffer
 * @bytes: its length
 * @do_send: direction
 *
 * qemu_co_sendv_recvv() for a single buffer.
 */
ssize_t coroutine_fn qemu_co_send_recv(int sockfd, void *buf,
                                       size_t bytes, bool do_send);

/**
 * yield_until_fd_readable:
 * @fd: a file descriptor
 *
 * Yields until @fd is readable, using the current AioContext.  Replaces
 * any handler installed for @fd there, and leaves none behind.
 * Coroutine only.
 */
void coroutine_fn yield_until_fd_readable(int fd);

#endif /* QEMU_COROUTINE_H */
