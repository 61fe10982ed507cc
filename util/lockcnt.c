/*
 * qemuutil: QemuLockCnt, a lock paired with a count of lock-free visitors.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * The API contract is in include/qemu/lockcnt.h.  Linux gets a one-word
 * implementation built on futexes; other hosts use a QemuMutex next to an
 * atomic counter.
 */
#include "qemu/osdep.h"
#include "qemu/lockcnt.h"
#include "qemu/atomic.h"
#include "qemu/thread.h"

/* Report a caller bug and stop: the object's state can no longer be trusted. */
static G_NORETURN void lockcnt_misuse(const char *func, const char *what)
{
    fprintf(stderr, "%s: %s\n", func, what);
    abort();
}

#ifdef CONFIG_LINUX
#include "qemu/futex.h"

/*
 * One 32-bit word, also used as the futex:
 *
 *     bits 31..2   visitor count (one visitor == LC_ONE)
 *     bits  1..0   lock state
 *
 * Lock states (the three-state futex mutex of Drepper's "Futexes Are
 * Tricky", mutex #2):
 *
 *     LC_FREE     0   nobody holds the lock
 *     LC_LOCKED   1   held, and nobody sleeps on the futex
 *     LC_WAITING  2   held, and somebody may sleep on the futex
 *
 * Transitions of the lock state (the count may change alongside):
 *
 *   from     to        by                          note
 *   FREE     LOCKED    lock, dec_and_lock,          first try, never slept
 *                      dec_if_lock
 *   FREE     WAITING   the same, after sleeping     other sleepers may exist
 *   LOCKED   WAITING   a thread about to sleep      so the holder will wake
 *   LOCKED   FREE      unlock, inc_and_unlock       nobody to wake
 *   WAITING  FREE      unlock, inc_and_unlock       then wake one sleeper
 *
 * The count moves independently of the lock bits except at zero:
 *
 *   count 0 -> 1   inc, only while the state is FREE (else sleep first)
 *   count 1 -> 0   dec_and_lock / dec_if_lock take the lock in the same
 *                  compare-and-swap (if the state is FREE; else sleep)
 *   count 0 -> 1   inc_and_unlock, in the same step as releasing the lock
 *   others         inc/dec/dec_and_lock adjust freely, even when locked
 *
 * Hence "locked with count 0" can only end with an unlock, which is the
 * guarantee users build on.
 *
 * Wake-up hand-off: unlock wakes one sleeper and clears the state to FREE
 * without knowing whether more sleepers remain.  A woken thread therefore
 * acts for all of them: if it takes the lock, it takes it as WAITING (so
 * its own unlock wakes the next); if it leaves without the lock (inc, or a
 * dec_* that found other visitors), it wakes the next sleeper itself.
 * Forgetting either step strands a sleeper forever.
 *
 * Every update is a sequentially consistent qatomic_cmpxchg() or
 * qatomic_fetch_*(), so taking the lock (or leaving a count of zero) is an
 * acquire and releasing it is a release; no separate barriers are needed.
 */
#define LC_STATE_MASK   3u
#define LC_FREE         0u
#define LC_LOCKED       1u
#define LC_WAITING      2u
#define LC_COUNT_SHIFT  2
#define LC_ONE          (1u << LC_COUNT_SHIFT)

static inline unsigned lc_state(unsigned word)
{
    return word & LC_STATE_MASK;
}

void qemu_lockcnt_init(QemuLockCnt *lockcnt)
{
    qatomic_set(&lockcnt->count, LC_FREE);     /* count 0, unlocked */
}

void qemu_lockcnt_destroy(QemuLockCnt *lockcnt)
{
    /* Nothing to release: the word is all there is. */
}

/*
 * Wait for the lock holder.  @word is the value last seen, and its state
 * is not FREE.  Make sure the holder will wake us (LOCKED -> WAITING),
 * sleep once, and return a fresh value for the caller to re-examine.
 * *slept becomes true once this thread has really slept: from then on it
 * owes the hand-off described at the top of the file.
 */
static unsigned lockcnt_wait(QemuLockCnt *lockcnt, unsigned word, bool *slept)
{
    if (lc_state(word) == LC_LOCKED) {
        unsigned seen = qatomic_cmpxchg(&lockcnt->count, word,
                                        word - LC_LOCKED + LC_WAITING);
        if (seen != word) {
            /* Unlocked, or the count moved: let the caller decide again. */
            return seen;
        }
        word = word - LC_LOCKED + LC_WAITING;
    }
    if (lc_state(word) != LC_WAITING) {
        lockcnt_misuse(__func__, "lock state bits corrupted "
                       "(QemuLockCnt not initialized or overwritten?)");
    }
    *slept = true;
    /* Returns at once if the word changed since we read it. */
    qemu_futex_wait(&lockcnt->count, word);
    return qatomic_read(&lockcnt->count);
}

/* Pass a wake-up we consumed to the next sleeper, if any. */
static void lockcnt_wake_one(QemuLockCnt *lockcnt)
{
    qemu_futex_wake(&lockcnt->count, 1);
}

/* The lock state a thread installs when it takes the lock. */
static inline unsigned lc_taken_state(bool slept)
{
    return slept ? LC_WAITING : LC_LOCKED;
}

void qemu_lockcnt_inc(QemuLockCnt *lockcnt)
{
    unsigned word = qatomic_read(&lockcnt->count);
    bool slept = false;

    for (;;) {
        if (word >= LC_ONE || lc_state(word) == LC_FREE) {
            /*
             * Either visitors exist already (the lock state does not
             * matter) or the count is zero and nobody holds the lock.
             */
            unsigned seen = qatomic_cmpxchg(&lockcnt->count, word,
                                            word + LC_ONE);
            if (seen == word) {
                break;
            }
            word = seen;
        } else {
            /* Count zero, lock held: wait for the holder. */
            word = lockcnt_wait(lockcnt, word, &slept);
        }
    }

    /* We never take the lock here, so a consumed wake-up moves on. */
    if (slept) {
        lockcnt_wake_one(lockcnt);
    }
}

void qemu_lockcnt_dec(QemuLockCnt *lockcnt)
{
    unsigned old = qatomic_fetch_sub(&lockcnt->count, LC_ONE);

    if (old < LC_ONE) {
        lockcnt_misuse(__func__, "count is already zero "
                       "(dec without a matching qemu_lockcnt_inc)");
    }
}

/*
 * Common body of dec_and_lock and dec_if_lock.  With more than one
 * visitor, dec_and_lock just decrements (@dec_if_busy) and dec_if_lock
 * leaves the word alone; at one visitor (or zero, for dec_if_lock) both
 * drop the count to zero and take the lock in one compare-and-swap.
 */
static bool lockcnt_dec_to_lock(QemuLockCnt *lockcnt, bool dec_if_busy)
{
    unsigned word = qatomic_read(&lockcnt->count);
    bool slept = false;
    bool locked = false;

    for (;;) {
        if (word >= 2 * LC_ONE) {
            unsigned seen;

            if (!dec_if_busy) {
                break;
            }
            seen = qatomic_cmpxchg(&lockcnt->count, word, word - LC_ONE);
            if (seen == word) {
                break;
            }
            word = seen;
        } else if (lc_state(word) == LC_FREE) {
            /* Count 1 (or 0) and unlocked: -> count 0, locked. */
            unsigned seen = qatomic_cmpxchg(&lockcnt->count, word,
                                            lc_taken_state(slept));
            if (seen == word) {
                locked = true;
                break;
            }
            word = seen;
        } else {
            word = lockcnt_wait(lockcnt, word, &slept);
        }
    }

    if (slept && !locked) {
        /* Leaving without the lock: hand the wake-up on. */
        lockcnt_wake_one(lockcnt);
    }
    return locked;
}

bool qemu_lockcnt_dec_and_lock(QemuLockCnt *lockcnt)
{
    if (qatomic_read(&lockcnt->count) < LC_ONE) {
        /*
         * The count cannot rise from zero behind our back while we are a
         * visitor, so zero here means the caller is not one.
         */
        lockcnt_misuse(__func__, "count is zero "
                       "(dec_and_lock without a matching qemu_lockcnt_inc)");
    }
    return lockcnt_dec_to_lock(lockcnt, true);
}

bool qemu_lockcnt_dec_if_lock(QemuLockCnt *lockcnt)
{
    return lockcnt_dec_to_lock(lockcnt, false);
}

void qemu_lockcnt_lock(QemuLockCnt *lockcnt)
{
    unsigned word = qatomic_read(&lockcnt->count);
    bool slept = false;

    for (;;) {
        if (lc_state(word) == LC_FREE) {
            unsigned seen = qatomic_cmpxchg(&lockcnt->count, word,
                                            word | lc_taken_state(slept));
            if (seen == word) {
                return;
            }
            word = seen;
        } else {
            word = lockcnt_wait(lockcnt, word, &slept);
        }
    }
}

/*
 * Release the lock and add @visitors to the count in one atomic step.
 * While we hold the lock, others can only raise LOCKED to WAITING or move
 * a non-zero count, so a compare-and-swap loop converges quickly.
 */
static void lockcnt_release(QemuLockCnt *lockcnt, unsigned visitors,
                            const char *func)
{
    unsigned word = qatomic_read(&lockcnt->count);

    for (;;) {
        unsigned seen;

        if (lc_state(word) == LC_FREE) {
            lockcnt_misuse(func, "the lock is not held");
        }
        seen = qatomic_cmpxchg(&lockcnt->count, word,
                               (word & ~LC_STATE_MASK) + visitors * LC_ONE);
        if (seen == word) {
            break;
        }
        word = seen;
    }

    if (lc_state(word) == LC_WAITING) {
        lockcnt_wake_one(lockcnt);
    }
}

void qemu_lockcnt_unlock(QemuLockCnt *lockcnt)
{
    lockcnt_release(lockcnt, 0, __func__);
}

void qemu_lockcnt_inc_and_unlock(QemuLockCnt *lockcnt)
{
    lockcnt_release(lockcnt, 1, __func__);
}

unsigned qemu_lockcnt_count(QemuLockCnt *lockcnt)
{
    /*
     * Load-acquire: pairs with the release half of the last visitor's
     * decrement (qemu_lockcnt_dec() and friends), so a lock holder that
     * reads zero here sees every access that visitor made and may free
     * what it visited.  A relaxed read would leave the free unordered
     * against the visitor's last reads when the count dropped to zero
     * after our lock cmpxchg.
     */
    return qatomic_load_acquire(&lockcnt->count) >> LC_COUNT_SHIFT;
}

#else /* !CONFIG_LINUX */

/*
 * Mutex version.  @count is a plain atomic counter.  The rule "the count
 * does not leave zero while the mutex is held" holds because the 0 -> 1
 * step of inc happens only under the mutex, and the 1 -> 0 step that
 * returns locked (dec_and_lock, dec_if_lock) too.  Steps between non-zero
 * values are lock-free.
 */

void qemu_lockcnt_init(QemuLockCnt *lockcnt)
{
    lockcnt->count = 0;
    qemu_mutex_init(&lockcnt->mutex);
}

void qemu_lockcnt_destroy(QemuLockCnt *lockcnt)
{
    qemu_mutex_destroy(&lockcnt->mutex);
}

unsigned qemu_lockcnt_count(QemuLockCnt *lockcnt)
{
    /* Load-acquire for the same reason as the futex version's. */
    return qatomic_load_acquire(&lockcnt->count);
}

/* The lock is the mutex itself. */
void qemu_lockcnt_lock(QemuLockCnt *lockcnt)
{
    qemu_mutex_lock(&lockcnt->mutex);
}

void qemu_lockcnt_unlock(QemuLockCnt *lockcnt)
{
    qemu_mutex_unlock(&lockcnt->mutex);
}

/* Increment @count if it is non-zero; return false if it was zero. */
static bool lockcnt_inc_nonzero(QemuLockCnt *lockcnt)
{
    unsigned n = qatomic_read(&lockcnt->count);

    while (n != 0) {
        unsigned seen = qatomic_cmpxchg(&lockcnt->count, n, n + 1);
        if (seen == n) {
            return true;
        }
        n = seen;
    }
    return false;
}

/* Decrement @count if it is above one; return false if it was 0 or 1. */
static bool lockcnt_dec_above_one(QemuLockCnt *lockcnt)
{
    unsigned n = qatomic_read(&lockcnt->count);

    while (n > 1) {
        unsigned seen = qatomic_cmpxchg(&lockcnt->count, n, n - 1);
        if (seen == n) {
            return true;
        }
        n = seen;
    }
    return false;
}

void qemu_lockcnt_inc(QemuLockCnt *lockcnt)
{
    if (lockcnt_inc_nonzero(lockcnt)) {
        return;
    }
    /* Leaving zero: wait for any lock holder first. */
    qemu_mutex_lock(&lockcnt->mutex);
    qatomic_inc(&lockcnt->count);
    qemu_mutex_unlock(&lockcnt->mutex);
}

void qemu_lockcnt_dec(QemuLockCnt *lockcnt)
{
    if (qatomic_fetch_dec(&lockcnt->count) == 0) {
        lockcnt_misuse(__func__, "count is already zero "
                       "(dec without a matching qemu_lockcnt_inc)");
    }
}

bool qemu_lockcnt_dec_and_lock(QemuLockCnt *lockcnt)
{
    unsigned old;

    if (lockcnt_dec_above_one(lockcnt)) {
        return false;
    }
    qemu_mutex_lock(&lockcnt->mutex);
    old = qatomic_fetch_dec(&lockcnt->count);
    if (old == 1) {
        return true;
    }
    if (old == 0) {
        lockcnt_misuse(__func__, "count is zero "
                       "(dec_and_lock without a matching qemu_lockcnt_inc)");
    }
    /* Visitors arrived while we waited for the mutex. */
    qemu_mutex_unlock(&lockcnt->mutex);
    return false;
}

bool qemu_lockcnt_dec_if_lock(QemuLockCnt *lockcnt)
{
    unsigned n;

    if (qatomic_read(&lockcnt->count) > 1) {
        return false;
    }
    qemu_mutex_lock(&lockcnt->mutex);
    n = qatomic_read(&lockcnt->count);
    /*
     * Under the mutex the count cannot leave zero, but 1 can still grow
     * to 2 concurrently, hence the compare-and-swap.
     */
    if (n == 0 || (n == 1 && qatomic_cmpxchg(&lockcnt->count, 1, 0) == 1)) {
        return true;
    }
    qemu_mutex_unlock(&lockcnt->mutex);
    return false;
}

void qemu_lockcnt_inc_and_unlock(QemuLockCnt *lockcnt)
{
    /* Count first: by the time the mutex is free the count is non-zero. */
    qatomic_add(&lockcnt->count, 1);
    qemu_lockcnt_unlock(lockcnt);
}

#endif /* CONFIG_LINUX */
