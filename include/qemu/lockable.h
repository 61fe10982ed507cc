/*
 * qemuutil: QemuLockable, one handle for the different kinds of lock.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * Code that must drop and retake "whatever lock the caller holds" (for
 * example qemu_co_queue_wait()) takes a QemuLockable *.  The handle is a
 * compound literal built by QEMU_MAKE_LOCKABLE(), which picks the right
 * lock and unlock functions with _Generic from the pointer's type:
 * QemuMutex *, QemuRecMutex *, CoMutex * or QemuSpin *.  A QemuLockable *
 * passes through unchanged and a literal NULL gives NULL.
 *
 * The handle lives as long as the enclosing block (C compound-literal
 * rules), so never return one from a function.  The lock functions keep
 * the threading contract of the underlying lock.
 */
#ifndef QEMU_LOCKABLE_H
#define QEMU_LOCKABLE_H

/* CoMutex and the thread locks it dispatches to. */
#include "qemu/coroutine-core.h"
#include "qemu/thread.h"

/**
 * QemuLockable:
 * @object: the lock (a QemuMutex *, CoMutex *, ...)
 * @lock: takes @object
 * @unlock: releases @object
 */
typedef struct QemuLockable {
    void *object;
    QemuLockUnlockFunc *lock;       /* called with @object */
    QemuLockUnlockFunc *unlock;     /* called with @object */
} QemuLockable;

/*
 * Adapters with the QemuLockUnlockFunc signature.  The parenthesised names
 * reach the real functions behind qemu/thread.h's function-like macros.
 */
static inline void qemu_lockable_adapt_mutex_lock(void *obj)
{
    (qemu_mutex_lock)((QemuMutex *)obj);
}

static inline void qemu_lockable_adapt_mutex_unlock(void *obj)
{
    (qemu_mutex_unlock)((QemuMutex *)obj);
}

static inline void qemu_lockable_adapt_rec_mutex_lock(void *obj)
{
    (qemu_rec_mutex_lock)((QemuRecMutex *)obj);
}

static inline void qemu_lockable_adapt_rec_mutex_unlock(void *obj)
{
    (qemu_rec_mutex_unlock)((QemuRecMutex *)obj);
}

static inline void qemu_lockable_adapt_co_mutex_lock(void *obj)
{
    qemu_co_mutex_lock((CoMutex *)obj);
}

static inline void qemu_lockable_adapt_co_mutex_unlock(void *obj)
{
    qemu_co_mutex_unlock((CoMutex *)obj);
}

static inline void qemu_lockable_adapt_spin_lock(void *obj)
{
    qemu_spin_lock((QemuSpin *)obj);
}

static inline void qemu_lockable_adapt_spin_unlock(void *obj)
{
    qemu_spin_unlock((QemuSpin *)obj);
}

/*
 * Returns @handle, or NULL when @obj is NULL.  A function rather than a
 * ?: in the macro, so that the compiler does not warn about testing the
 * address of a variable (QEMU_MAKE_LOCKABLE(&m)).
 */
static inline __attribute__((__always_inline__)) QemuLockable *
qemu_lockable_or_null(void *obj, QemuLockable *handle)
{
    return obj ? handle : NULL;
}

/* QEMU_MAKE_LOCKABLE(NULL): the untyped null pointer is the only void *. */
static inline __attribute__((__always_inline__)) QemuLockable *
qemu_lockable_from_void(void *obj)
{
    if (obj) {
        /* A non-NULL void * has no lock type to dispatch on. */
        qemu_build_not_reached();
    }
    return NULL;
}

/* The handle for @obj, whose lock functions are qemu_lockable_adapt_@kind. */
#define QEMU_LOCKABLE_LITERAL_(obj, kind)                                 \
    (&(QemuLockable) {                                                    \
        .object = (obj),                                                  \
        .lock = qemu_lockable_adapt_ ## kind ## _lock,                    \
        .unlock = qemu_lockable_adapt_ ## kind ## _unlock,                \
    })

/**
 * QEMU_MAKE_LOCKABLE:
 * @x: a QemuMutex *, QemuRecMutex *, CoMutex *, QemuSpin *, an existing
 *     QemuLockable *, or NULL
 *
 * Returns: a QemuLockable * for @x, NULL if @x is NULL.  Valid until the
 * end of the enclosing block.
 */
#define QEMU_MAKE_LOCKABLE(x)                                             \
    _Generic((x),                                                         \
        QemuLockable *: (x),                                              \
        void *: qemu_lockable_from_void(x),                               \
        QemuMutex *:                                                      \
            qemu_lockable_or_null(x, QEMU_LOCKABLE_LITERAL_(x, mutex)),   \
        QemuRecMutex *:                                                   \
            qemu_lockable_or_null(x,                                      \
                                  QEMU_LOCKABLE_LITERAL_(x, rec_mutex)),  \
        CoMutex *:                                                        \
            qemu_lockable_or_null(x, QEMU_LOCKABLE_LITERAL_(x, co_mutex)),\
        QemuSpin *:                                                       \
            qemu_lockable_or_null(x, QEMU_LOCKABLE_LITERAL_(x, spin)))

/**
 * QEMU_MAKE_LOCKABLE_NONNULL:
 * @x: as for QEMU_MAKE_LOCKABLE(), but never NULL
 *
 * Returns: a QemuLockable * for @x, without the NULL check.
 */
#define QEMU_MAKE_LOCKABLE_NONNULL(x)                                     \
    _Generic((x),                                                         \
        QemuLockable *: (x),                                              \
        QemuMutex *: QEMU_LOCKABLE_LITERAL_(x, mutex),                    \
        QemuRecMutex *: QEMU_LOCKABLE_LITERAL_(x, rec_mutex),             \
        CoMutex *: QEMU_LOCKABLE_LITERAL_(x, co_mutex),                   \
        QemuSpin *: QEMU_LOCKABLE_LITERAL_(x, spin))

/**
 * qemu_lockable_lock:
 * @x: a handle from QEMU_MAKE_LOCKABLE()
 *
 * Takes the lock behind @x (for a CoMutex: coroutine context only).
 */
static inline void qemu_lockable_lock(QemuLockable *x)
{
    x->lock(x->object);
}

/**
 * qemu_lockable_unlock:
 * @x: a handle whose lock the caller holds
 */
static inline void qemu_lockable_unlock(QemuLockable *x)
{
    x->unlock(x->object);
}

/* Lock guards: take the lock now, release it when the scope ends. */
static inline QemuLockable *qemu_lockable_guard_enter(QemuLockable *x)
{
    qemu_lockable_lock(x);
    return x;
}

static inline void qemu_lockable_guard_leave(QemuLockable *x)
{
    /* NULL once WITH_QEMU_LOCK_GUARD's loop has released it itself. */
    if (x) {
        qemu_lockable_unlock(x);
    }
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC(QemuLockable, qemu_lockable_guard_leave)

/*
 * A one-iteration for loop: the body runs with the lock held; falling off
 * the end, break or continue release it in the increment step; return and
 * goto release it through the g_autoptr cleanup.
 */
#define WITH_QEMU_LOCK_GUARD_(x, guard)                                   \
    for (g_autoptr(QemuLockable) guard =                                  \
             qemu_lockable_guard_enter(QEMU_MAKE_LOCKABLE_NONNULL((x)));  \
         guard != NULL;                                                   \
         qemu_lockable_guard_leave(guard), guard = NULL)

/**
 * WITH_QEMU_LOCK_GUARD:
 * @x: a lock object (QemuMutex *, QemuRecMutex *, CoMutex *, QemuSpin *)
 *
 * Runs the following statement or block with @x held, and releases @x
 * however the block is left (end, break, continue, return).
 */
#define WITH_QEMU_LOCK_GUARD(x)                                           \
    WITH_QEMU_LOCK_GUARD_((x), glue(qemu_lock_guard_, __COUNTER__))

/**
 * QEMU_LOCK_GUARD:
 * @x: a lock object, as for WITH_QEMU_LOCK_GUARD()
 *
 * Takes @x here and releases it when the enclosing scope ends.
 */
#define QEMU_LOCK_GUARD(x)                                                \
    g_autoptr(QemuLockable) glue(qemu_lock_guard_, __COUNTER__)           \
        G_GNUC_UNUSED = qemu_lockable_guard_enter(QEMU_MAKE_LOCKABLE((x)))

#endif /* QEMU_LOCKABLE_H */
