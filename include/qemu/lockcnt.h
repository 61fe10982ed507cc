/*
 * qemuutil: QemuLockCnt, a lock paired with a count of lock-free visitors.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * A QemuLockCnt protects a list (or any structure) that many threads walk
 * without locking while a few threads change it.  Walkers ("visitors")
 * announce themselves with qemu_lockcnt_inc() and leave with
 * qemu_lockcnt_dec(); writers take the lock.  The two halves cooperate in
 * one rule: **while the lock is held and the count is zero, no visitor can
 * enter**, because qemu_lockcnt_inc() waits for the lock holder when it
 * would move the count away from zero.  So a writer holding the lock can:
 *
 * - free an element outright when qemu_lockcnt_count() is zero;
 * - otherwise only unlink or mark it, and leave the freeing to the last
 *   visitor, which turns its own visit into the lock with
 *   qemu_lockcnt_dec_and_lock() or qemu_lockcnt_dec_if_lock().
 *
 * AioContext's handler list (ctx->list_lock) is the main user.
 *
 * Threading: every function is thread-safe.  qemu_lockcnt_lock() is not
 * recursive, and a thread holding the lock must not call qemu_lockcnt_inc()
 * (it would wait for itself whenever the count is zero).
 */
#ifndef QEMU_LOCKCNT_H
#define QEMU_LOCKCNT_H

#include "qemu/thread.h"

typedef struct QemuLockCnt QemuLockCnt;

/*
 * On Linux the whole object is one futex word: bits 0-1 are the lock state,
 * bits 2-31 the visitor count (see util/lockcnt.c for the state machine).
 * Elsewhere a QemuMutex is the lock and @count holds the plain count.
 * Callers never touch the fields; they read the count with
 * qemu_lockcnt_count().
 */
struct QemuLockCnt {
    unsigned count;     /* atomic; see above for the encoding */
#ifndef CONFIG_LINUX
    QemuMutex mutex;    /* the lock, on hosts without futexes */
#endif
};

/**
 * qemu_lockcnt_init: initialize a QemuLockCnt
 * @lockcnt: the object to initialize
 *
 * The object starts unlocked with a count of zero.  Must be called before
 * any other function and before the object is shared with other threads.
 */
void qemu_lockcnt_init(QemuLockCnt *lockcnt);

/**
 * qemu_lockcnt_destroy: release the resources of a QemuLockCnt
 * @lockcnt: the object to finalize
 *
 * The object must be unlocked and nobody may be using it.  It can be
 * initialized again afterwards.
 */
void qemu_lockcnt_destroy(QemuLockCnt *lockcnt);

/**
 * qemu_lockcnt_count: read the visitor count
 * @lockcnt: the object to query
 *
 * The value may change at any time.  Under the lock, though, "zero" stays
 * zero until the unlock, which is the question callers usually ask.  The
 * read is a load-acquire: having read zero, the caller also sees every
 * access made by the visitors that have left, so it may free what they
 * visited.  Thread-safe.
 */
unsigned qemu_lockcnt_count(QemuLockCnt *lockcnt);

/**
 * qemu_lockcnt_lock: take the lock
 * @lockcnt: the object to operate on
 *
 * Blocks until the lock is free.  The lock only keeps out other writers
 * and new visits that would start from a count of zero; visitors already
 * inside keep running, so check qemu_lockcnt_count() under the lock before
 * freeing anything.  Not recursive.  Thread-safe.
 */
void qemu_lockcnt_lock(QemuLockCnt *lockcnt);

/**
 * qemu_lockcnt_unlock: release the lock
 * @lockcnt: the object to operate on
 *
 * Wakes one thread waiting in lock, inc, dec_and_lock or dec_if_lock, if
 * any.  Must be called by the thread that holds the lock; unlocking a free
 * lock aborts.
 */
void qemu_lockcnt_unlock(QemuLockCnt *lockcnt);

/**
 * qemu_lockcnt_inc: start a visit (increment the count)
 * @lockcnt: the object to operate on
 *
 * If the count is already non-zero, it is incremented at once, even while
 * another thread holds the lock: that writer already knows visitors exist.
 * If the count is zero, the call first waits until the lock is free, then
 * moves the count to one; this is what lets a lock holder that saw a count
 * of zero free elements safely.
 *
 * Because of that wait, the calling thread must not hold the lock, and
 * taking the lock of one QemuLockCnt while incrementing another can
 * deadlock AB-BA style::
 *
 *     thread 1                     thread 2
 *     qemu_lockcnt_lock(&a);       qemu_lockcnt_lock(&b);
 *     qemu_lockcnt_inc(&b);        qemu_lockcnt_inc(&a);
 *
 * Thread-safe.
 */
void qemu_lockcnt_inc(QemuLockCnt *lockcnt);

/**
 * qemu_lockcnt_dec: end a visit (decrement the count)
 * @lockcnt: the object to operate on
 *
 * Never waits.  Calling it with a count of zero is a caller bug and aborts.
 * Thread-safe.
 */
void qemu_lockcnt_dec(QemuLockCnt *lockcnt);

/**
 * qemu_lockcnt_inc_and_unlock: release the lock and start a visit, atomically
 * @lockcnt: the object to operate on
 *
 * Same effect as qemu_lockcnt_unlock() followed by qemu_lockcnt_inc(), but
 * with no window in between: no other thread can take the lock while the
 * count is still zero, and the call never waits.  Called with the lock
 * held, like qemu_lockcnt_unlock().
 */
void qemu_lockcnt_inc_and_unlock(QemuLockCnt *lockcnt);

/**
 * qemu_lockcnt_dec_if_lock: turn the only visit into the lock
 * @lockcnt: the object to operate on
 *
 * If the count is one (the caller is the only visitor), it becomes zero,
 * the lock is taken (waiting for a current holder first) and the function
 * returns true.  If other visitors exist, nothing changes and it returns
 * false; the caller is still visiting.  The usual follow-up after true is
 * qemu_lockcnt_inc_and_unlock(), which restores the caller's visit.
 *
 * With a count of zero (no visit in progress) it behaves as QEMU 10.0 on
 * Linux: it takes the lock, leaves the count at zero and returns true.
 * aio_context_destroy() relies on this.
 *
 * Thread-safe.
 */
bool qemu_lockcnt_dec_if_lock(QemuLockCnt *lockcnt);

/**
 * qemu_lockcnt_dec_and_lock: end a visit; take the lock if it was the last
 * @lockcnt: the object to operate on
 *
 * Decrements the count.  If that brings it to zero, the lock is taken in
 * the same atomic step (waiting for a current holder first if needed) and
 * the function returns true: the caller now holds the lock with a count of
 * zero, so no visitor can exist until it unlocks.  Otherwise it returns
 * false and the lock is not held.  While waiting for the lock, other
 * threads may start visits; the call then just decrements and returns
 * false.  Calling it with a count of zero is a caller bug and aborts.
 *
 * Thread-safe.
 */
bool qemu_lockcnt_dec_and_lock(QemuLockCnt *lockcnt);

#endif /* QEMU_LOCKCNT_H */
