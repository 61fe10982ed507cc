/*
 * qemuutil: coroutine locks: CoQueue, CoMutex and CoRwlock.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * CoMutex works across threads without an internal lock.  The design is
 * the lock-free mutex of OSv (Cloudius Systems), which QEMU adopted:
 *
 *  - mutex->locked counts lockers.  0 -> 1 is the uncontended fast path;
 *    anyone else increments it and queues a wait record.
 *  - Waiters push themselves on a lock-free LIFO (from_push).  Exactly one
 *    party at a time is "in charge" of waking the next waiter; it moves the
 *    LIFO into to_pop, reversing it, so waiters are served in FIFO order.
 *  - An unlocker that sees locked > 1 but no queued record knows a locker
 *    is between its increment and its push.  Rather than spin, it
 *    publishes a hand-off token; the locker, after pushing, tries to grab
 *    the token, and if it does it becomes the one in charge (and may find
 *    itself first in line, taking the lock without sleeping).  If the
 *    unlocker sees a record appear after publishing, it tries to take the
 *    token back and do the wake-up itself.  A cmpxchg on the token decides
 *    who wins, so the wake-up happens exactly once.
 *
 * The lock is handed directly to the woken waiter (locked is never seen
 * at 0 in between), which keeps it fair: a coroutine that unlocks and
 * immediately locks again queues behind the waiters.
 *
 * Before sleeping, a locker whose mutex is held by a coroutine of another
 * AioContext spins briefly, since that holder runs in parallel and
 * critical sections are usually short; one in the same AioContext does
 * not, because the holder cannot make progress until the locker yields.
 */
#include "qemu/osdep.h"
#include "qemu/coroutine_int.h"
#include "qemu/processor.h"
#include "qemu/queue.h"
#include "block/aio.h"

/* Attempts to get a contended mutex before queueing. */
#define CO_MUTEX_SPIN_LIMIT 1000

/* ---------------------------------------------------------------------- */
/* CoQueue                                                                */
/* ---------------------------------------------------------------------- */

void qemu_co_queue_init(CoQueue *queue)
{
    /* Also what a zero-filled CoQueue lacks: the tail pointer. */
    QSIMPLEQ_INIT(&queue->entries);
}

bool qemu_co_queue_empty(CoQueue *queue)
{
    return QSIMPLEQ_EMPTY(&queue->entries);
}

void coroutine_fn qemu_co_queue_wait_impl(CoQueue *queue, QemuLockable *lock,
                                          CoQueueWaitFlags flags)
{
    Coroutine *me = qemu_coroutine_self();

    if (flags & CO_QUEUE_WAIT_FRONT) {
        QSIMPLEQ_INSERT_HEAD(&queue->entries, me, co_queue_next);
    } else {
        QSIMPLEQ_INSERT_TAIL(&queue->entries, me, co_queue_next);
    }
    if (lock) {
        qemu_lockable_unlock(lock);
    }

    /*
     * A waker in another thread cannot enter us before we are off the
     * CPU: aio_co_wake() from there goes through aio_co_schedule() and a
     * BH of our AioContext, which runs after this yield.
     */
    qemu_coroutine_yield();
    assert(qemu_in_coroutine());

    if (lock != NULL) {
        qemu_lockable_lock(lock);   /* like a condition variable */
    }
}

bool qemu_co_enter_next_impl(CoQueue *queue, QemuLockable *lock)
{
    Coroutine *waiter = QSIMPLEQ_FIRST(&queue->entries);

    if (!waiter) {
        return false;
    }
    QSIMPLEQ_REMOVE_HEAD(&queue->entries, co_queue_next);

    /* Outside a coroutine @waiter runs right now and may want @lock. */
    if (lock) {
        qemu_lockable_unlock(lock);
    }
    aio_co_wake(waiter);
    if (lock != NULL) {
        qemu_lockable_lock(lock);
    }
    return true;
}

/* Inside a coroutine the wake-up is deferred: no lock juggling. */
bool coroutine_fn qemu_co_queue_next(CoQueue *queue)
{
    QemuLockable *no_lock = NULL;

    return qemu_co_enter_next_impl(queue, no_lock);
}

void coroutine_fn qemu_co_queue_restart_all(CoQueue *queue)
{
    while (qemu_co_queue_next(queue)) {
        /* one waiter per iteration */
    }
}

void qemu_co_enter_all_impl(CoQueue *queue, QemuLockable *lock)
{
    bool woke;

    do {
        woke = qemu_co_enter_next_impl(queue, lock);
    } while (woke);
}

/* ---------------------------------------------------------------------- */
/* CoMutex                                                                */
/* ---------------------------------------------------------------------- */

typedef struct CoWaitRecord {
    Coroutine *co;
    QSLIST_ENTRY(CoWaitRecord) next;
} CoWaitRecord;

void qemu_co_mutex_init(CoMutex *mutex)
{
    /* All-zero is the unlocked state (static CoMutexes rely on it). */
    *mutex = (CoMutex) { .locked = 0 };
}

/*
 * Whether a locker has pushed a record that no popper has taken yet.
 * Only from_push is shared; to_pop belongs to the party in charge of the
 * next wake-up, and nobody else may read it (not even to test emptiness:
 * a token taker may be filling it at that moment).
 */
static bool waiters_pushed(CoMutex *mutex)
{
    return qatomic_read(&mutex->from_push.slh_first) != NULL;
}

/*
 * The oldest queued waiter, or NULL.  Only the party in charge calls it,
 * so there is never more than one popper at a time.
 */
static CoWaitRecord *waiter_pop(CoMutex *mutex)
{
    CoWaitRecord *rec;

    if (QSLIST_EMPTY(&mutex->to_pop)) {
        QSLIST_HEAD(, CoWaitRecord) newest_first;

        /* Take the pushed records and reverse them into arrival order. */
        QSLIST_MOVE_ATOMIC(&newest_first, &mutex->from_push);
        while ((rec = QSLIST_FIRST(&newest_first)) != NULL) {
            QSLIST_REMOVE_HEAD(&newest_first, next);
            QSLIST_INSERT_HEAD(&mutex->to_pop, rec, next);
        }
    }
    rec = QSLIST_FIRST(&mutex->to_pop);
    if (rec) {
        QSLIST_REMOVE_HEAD(&mutex->to_pop, next);
    }
    return rec;
}

/* Gives the mutex to @co and wakes it. */
static void coroutine_fn co_mutex_hand_over(CoMutex *mutex, Coroutine *co)
{
    /*
     * @co came from its wait record; read its ctx after the pointer,
     * pairing with the smp_wmb() in qemu_aio_coroutine_enter().
     */
    smp_read_barrier_depends();
    qatomic_set(&mutex->ctx, qatomic_read(&co->ctx));
    aio_co_wake(co);
}

/* Contended lock: queue, maybe take over a hand-off, sleep. */
static void coroutine_fn co_mutex_lock_slow(CoMutex *mutex, AioContext *ctx)
{
    Coroutine *self = qemu_coroutine_self();
    CoWaitRecord me = { .co = self };
    unsigned token;

    QSLIST_INSERT_HEAD_ATOMIC(&mutex->from_push, &me, next);

    /*
     * Our record is visible before we read the token: pairs with the
     * qatomic_set_mb() of the token in qemu_co_mutex_unlock().  Either the
     * unlocker sees our record, or we see its token.
     */
    smp_mb__after_rmw();

    token = qatomic_read(&mutex->handoff);
    if (token && qatomic_cmpxchg(&mutex->handoff, token, 0) == token) {
        /* The unlocker's wake-up duty is ours now; we are in charge. */
        CoWaitRecord *first = waiter_pop(mutex);

        /* At least our own record is queued. */
        assert(first != NULL);
        if (first == &me) {
            qatomic_set(&mutex->ctx, ctx);
            return;
        }
        co_mutex_hand_over(mutex, first->co);
    }

    qemu_coroutine_yield();
    /* Woken by co_mutex_hand_over(): the mutex is ours. */
}

void coroutine_fn qemu_co_mutex_lock(CoMutex *mutex)
{
    Coroutine *self = qemu_coroutine_self();
    AioContext *ctx = qemu_get_current_aio_context();
    unsigned before;
    int spins = 0;

    for (;;) {
        before = qatomic_cmpxchg(&mutex->locked, 0, 1);
        if (before == 0) {
            break;
        }
        /*
         * Spin only while exactly one coroutine holds the lock and nobody
         * queues, and only if that holder runs in another AioContext.
         */
        while (before == 1 && ++spins < CO_MUTEX_SPIN_LIMIT &&
               qatomic_read(&mutex->ctx) != ctx) {
            cpu_relax();
            before = qatomic_read(&mutex->locked);
        }
        if (before == 0) {
            continue;   /* released while we spun: try the fast path */
        }
        before = qatomic_fetch_inc(&mutex->locked);
        break;
    }

    if (before == 0) {
        qatomic_set(&mutex->ctx, ctx);
    } else {
        co_mutex_lock_slow(mutex, ctx);
    }
    self->locks_held++;
    mutex->holder = self;
}

void coroutine_fn qemu_co_mutex_unlock(CoMutex *mutex)
{
    Coroutine *self = qemu_coroutine_self();

    /* Misuse checks first: they would corrupt the waiter queue. */
    if (!qemu_in_coroutine()) {
        fprintf(stderr, "qemu_co_mutex_unlock: called outside a "
                "coroutine\n");
        abort();
    }
    if (!qatomic_read(&mutex->locked) || mutex->holder != self) {
        fprintf(stderr, "qemu_co_mutex_unlock: coroutine %p unlocks a "
                "CoMutex it does not hold\n", (void *)self);
        abort();
    }

    qatomic_set(&mutex->ctx, NULL);
    mutex->holder = NULL;
    self->locks_held--;
    if (qatomic_fetch_dec(&mutex->locked) == 1) {
        return;     /* nobody else was interested */
    }

    /* At least one locker is queued or about to queue: we are in charge. */
    for (;;) {
        CoWaitRecord *next = waiter_pop(mutex);
        unsigned token;

        if (next) {
            co_mutex_hand_over(mutex, next->co);
            return;
        }

        /*
         * The locker has incremented @locked but not pushed its record
         * yet.  Offer it the wake-up duty with a fresh, non-zero token.
         */
        do {
            mutex->sequence++;
        } while (mutex->sequence == 0);
        token = mutex->sequence;

        /* Pairs with smp_mb__after_rmw() in co_mutex_lock_slow(). */
        qatomic_set_mb(&mutex->handoff, token);
        /*
         * to_pop is empty (waiter_pop() just returned NULL) and only
         * whoever takes the token can fill it, so from_push alone tells
         * whether a locker queued: if it did and already took the token,
         * from_push may look empty again, and then the duty is its own.
         */
        if (!waiters_pushed(mutex)) {
            /* It will find the token when it has queued. */
            return;
        }
        /*
         * It queued meanwhile.  Take the duty back, unless it already
         * took the token (then it is in charge and we are done).
         */
        if (qatomic_cmpxchg(&mutex->handoff, token, 0) != token) {
            return;
        }
    }
}

/* ---------------------------------------------------------------------- */
/* CoRwlock                                                               */
/* ---------------------------------------------------------------------- */

/* One waiter; on its coroutine's stack while it waits. */
struct CoRwTicket {
    QSIMPLEQ_ENTRY(CoRwTicket) next;
    Coroutine *co;
    bool want_write;
};

void qemu_co_rwlock_init(CoRwlock *lock)
{
    QSIMPLEQ_INIT(&lock->tickets);
    lock->owners = 0;
    qemu_co_mutex_init(&lock->mutex);
}

/*
 * Called with lock->mutex held; releases it.  If the oldest ticket can be
 * granted in the current state, grants it (updating @owners before the
 * mutex drops, so nobody slips in between) and wakes its coroutine.  A
 * woken reader calls this again, letting the next reader in line follow.
 */
static void coroutine_fn rwlock_grant_and_unlock(CoRwlock *lock)
{
    CoRwTicket *head = QSIMPLEQ_FIRST(&lock->tickets);
    Coroutine *wake = NULL;

    if (head) {
        if (head->want_write && lock->owners == 0) {
            lock->owners = -1;
            wake = head->co;
        } else if (!head->want_write && lock->owners >= 0) {
            lock->owners++;
            wake = head->co;
        }
    }
    if (wake) {
        QSIMPLEQ_REMOVE_HEAD(&lock->tickets, next);
    }
    qemu_co_mutex_unlock(&lock->mutex);
    if (wake) {
        aio_co_wake(wake);
    }
}

/* Queues the caller with lock->mutex held, releases it and waits. */
static void coroutine_fn rwlock_wait(CoRwlock *lock, bool want_write,
                                     bool grant_first)
{
    CoRwTicket ticket = {
        .want_write = want_write,
        .co = qemu_coroutine_self(),
    };

    QSIMPLEQ_INSERT_TAIL(&lock->tickets, &ticket, next);
    if (grant_first) {
        rwlock_grant_and_unlock(lock);
    } else {
        qemu_co_mutex_unlock(&lock->mutex);
    }
    qemu_coroutine_yield();
    /* Our grant already set @owners for us. */
}

void coroutine_fn qemu_co_rwlock_rdlock(CoRwlock *lock)
{
    Coroutine *me = qemu_coroutine_self();

    qemu_co_mutex_lock(&lock->mutex);
    /* Join other readers only if nobody waits: waiters go first. */
    if (lock->owners == 0 ||
        (lock->owners > 0 && QSIMPLEQ_EMPTY(&lock->tickets))) {
        lock->owners++;
        qemu_co_mutex_unlock(&lock->mutex);
    } else {
        rwlock_wait(lock, false, false);
        assert(lock->owners > 0);
        /* A reader behind us may be able to come in as well. */
        qemu_co_mutex_lock(&lock->mutex);
        rwlock_grant_and_unlock(lock);
    }
    me->locks_held++;
}

void coroutine_fn qemu_co_rwlock_wrlock(CoRwlock *lock)
{
    Coroutine *me = qemu_coroutine_self();

    qemu_co_mutex_lock(&lock->mutex);
    if (lock->owners != 0) {
        rwlock_wait(lock, true, false);
        assert(lock->owners == -1);
    } else {
        /* Free: take it right away. */
        lock->owners = -1;
        qemu_co_mutex_unlock(&lock->mutex);
    }
    me->locks_held++;
}

void coroutine_fn qemu_co_rwlock_unlock(CoRwlock *lock)
{
    Coroutine *me = qemu_coroutine_self();

    assert(qemu_in_coroutine());
    me->locks_held--;
    qemu_co_mutex_lock(&lock->mutex);
    if (lock->owners == -1) {
        lock->owners = 0;
    } else if (lock->owners > 0) {
        lock->owners--;
    } else {
        fprintf(stderr, "qemu_co_rwlock_unlock: the lock is not held\n");
        abort();
    }
    rwlock_grant_and_unlock(lock);
}

void coroutine_fn qemu_co_rwlock_upgrade(CoRwlock *lock)
{
    qemu_co_mutex_lock(&lock->mutex);
    if (lock->owners <= 0) {
        fprintf(stderr, "qemu_co_rwlock_upgrade: caller holds no read "
                "lock\n");
        abort();
    }
    if (lock->owners == 1 && QSIMPLEQ_EMPTY(&lock->tickets)) {
        /* Sole reader and nobody waiting: convert in place. */
        lock->owners = -1;
        qemu_co_mutex_unlock(&lock->mutex);
        return;
    }
    /*
     * Give up our read hold and queue as a writer behind everybody who
     * waits already; dropping our hold may let the head ticket in now.
     */
    lock->owners--;
    rwlock_wait(lock, true, true);
    assert(lock->owners == -1);
}

void coroutine_fn qemu_co_rwlock_downgrade(CoRwlock *lock)
{
    qemu_co_mutex_lock(&lock->mutex);
    if (lock->owners != -1) {
        fprintf(stderr, "qemu_co_rwlock_downgrade: caller does not hold "
                "the write lock\n");
        abort();
    }
    lock->owners = 1;
    /* Readers at the head of the queue may share with us now. */
    rwlock_grant_and_unlock(lock);
}
