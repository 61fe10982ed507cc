/*
 * qemuutil: the core coroutine API (the part block/aio.h depends on).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * Coroutines are cooperatively scheduled functions with their own stacks.
 * A coroutine runs until it yields or returns; another coroutine or plain
 * code enters it again later.  Coroutines are not thread-safe objects: a
 * coroutine runs in one thread at a time, and the AioContext in which it
 * last ran is where wake-ups are sent (see aio_co_wake()).
 *
 * This header only declares the API; it is implemented by
 * util/qemu-coroutine.c, util/qemu-coroutine-lock.c and the backend file.
 * Unless stated otherwise, functions act on the calling thread's state.
 */
#ifndef QEMU_COROUTINE_CORE_H
#define QEMU_COROUTINE_CORE_H

/* A coroutine; the layout is private to the coroutine implementation. */
typedef struct Coroutine Coroutine;

/**
 * CoroutineEntry: the function a coroutine runs.
 * @opaque: the pointer given to qemu_coroutine_create()
 *
 * Returning from it terminates the coroutine.
 */
typedef void coroutine_fn CoroutineEntry(void *opaque);

/* ---------------------------------------------------------------------- */
/* Where am I?                                                            */
/* ---------------------------------------------------------------------- */

/**
 * qemu_in_coroutine:
 *
 * Returns: true when called from inside a coroutine.
 */
bool qemu_in_coroutine(void);

/**
 * qemu_coroutine_self:
 *
 * Returns: the running coroutine (outside coroutines, a per-thread object
 * that stands for the thread's ordinary stack).
 */
Coroutine *qemu_coroutine_self(void);

/**
 * qemu_coroutine_entered:
 * @co: a coroutine
 *
 * Returns: true if @co is running or on the call chain of the running
 * coroutine (it has a caller), false if it is yielded or not started.
 */
bool qemu_coroutine_entered(Coroutine *co);

/**
 * qemu_coroutine_get_aio_context:
 * @co: a coroutine
 *
 * Returns: the AioContext in which @co last ran.
 */
AioContext *qemu_coroutine_get_aio_context(Coroutine *co);

/* ---------------------------------------------------------------------- */
/* Life cycle and switching                                               */
/* ---------------------------------------------------------------------- */

/**
 * qemu_coroutine_create:
 * @entry: function the coroutine runs
 * @opaque: argument for @entry
 *
 * Create a coroutine that has not started; qemu_coroutine_enter() starts
 * it.  The coroutine frees itself when @entry returns.
 */
Coroutine *qemu_coroutine_create(CoroutineEntry *entry,
                                 void *opaque);

/**
 * qemu_aio_coroutine_enter:
 * @ctx: the AioContext @co runs in from now on
 * @co: a coroutine that is neither running nor scheduled
 *
 * Run @co until it yields or terminates, recording @ctx as its context.
 * Aborts if @co is scheduled elsewhere or already has a caller.
 */
void qemu_aio_coroutine_enter(AioContext *ctx,
                              Coroutine *co);

/**
 * qemu_coroutine_enter:
 * @co: a coroutine that is not running
 *
 * qemu_aio_coroutine_enter() in the current AioContext.
 */
void qemu_coroutine_enter(Coroutine *co);

/**
 * qemu_coroutine_enter_if_inactive:
 * @co: a coroutine
 *
 * Enter @co unless it is already on the current call chain.
 */
void qemu_coroutine_enter_if_inactive(Coroutine *co);

/**
 * qemu_coroutine_yield:
 *
 * Return control to whoever entered the running coroutine.  Only valid
 * inside a coroutine.
 */
void coroutine_fn qemu_coroutine_yield(void);

/* ---------------------------------------------------------------------- */
/* CoMutex (the type is defined in qemu/coroutine.h)                       */
/* ---------------------------------------------------------------------- */

/* A mutex that yields instead of blocking. */
typedef struct CoMutex CoMutex;

/**
 * qemu_co_mutex_lock:
 * @mutex: the mutex
 *
 * Take @mutex, yielding while another coroutine holds it.  Coroutine only.
 */
void coroutine_fn qemu_co_mutex_lock(CoMutex *mutex);

/**
 * qemu_co_mutex_unlock:
 * @mutex: a mutex the running coroutine holds
 *
 * Release @mutex and wake the next waiter, if any.  Coroutine only.
 */
void coroutine_fn qemu_co_mutex_unlock(CoMutex *mutex);

/**
 * qemu_co_mutex_init:
 * @mutex: the mutex to initialise (all-zero bytes are also a valid,
 * unlocked mutex)
 */
void qemu_co_mutex_init(CoMutex *mutex);

#endif /* QEMU_COROUTINE_CORE_H */
