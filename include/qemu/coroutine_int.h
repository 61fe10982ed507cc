/*
 * qemuutil: coroutine internals shared by the coroutine files, the
 * switching backend and util/async.c.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * struct Coroutine is complete here because QEMU code relies on it:
 * block/linux-aio.c and block/io_uring.c read Coroutine.ctx, and
 * tests/unit/test-coroutine.c copies and overwrites a whole pooled
 * Coroutine.  A backend embeds struct Coroutine at the start of its own
 * object and implements the three functions declared first below.
 */
#ifndef QEMU_COROUTINE_INT_H
#define QEMU_COROUTINE_INT_H

/* Same include list as QEMU 10.0. */
#include "qemu/queue.h"
#include "qemu/coroutine.h"

/*
 * Why control comes back from qemu_coroutine_switch().  Never 0, because
 * the value travels through siglongjmp().
 */
typedef enum {
    COROUTINE_YIELD = 1,        /* the coroutine yielded to its caller */
    COROUTINE_TERMINATE,        /* (2) its entry function returned */
    COROUTINE_ENTER,            /* (3) a caller enters it */
} CoroutineAction;

/* ---------------------------------------------------------------------- */
/* What a switching backend provides                                      */
/* ---------------------------------------------------------------------- */

/**
 * qemu_coroutine_switch:
 * @from: the running coroutine (or the thread's leader)
 * @to: the coroutine to run
 * @action: why we switch, handed to @to
 *
 * Backend: saves @from, resumes @to.  Returns in @from when something
 * switches back, with the action the switcher passed.
 */
CoroutineAction qemu_coroutine_switch(Coroutine *from,
                                      Coroutine *to,
                                      CoroutineAction action);

/**
 * qemu_coroutine_new:
 *
 * Backend: allocates a coroutine with its stack.  It has not started;
 * the first switch to it runs its entry function.
 */
Coroutine *qemu_coroutine_new(void);

/**
 * qemu_coroutine_delete:
 * @co: a terminated (or never started) coroutine
 *
 * Backend: frees @co and its stack.
 */
void qemu_coroutine_delete(Coroutine *co);

/* Usable stack of every coroutine, in bytes (a guard page comes on top). */
#define COROUTINE_STACK_SIZE (1024 * 1024)

#ifdef CONFIG_SAFESTACK
/* The compiler-maintained unsafe stack pointer (SafeStack builds). */
extern __thread void *__safestack_unsafe_stack_ptr;
#endif

/* ---------------------------------------------------------------------- */
/* The coroutine object                                                   */
/* ---------------------------------------------------------------------- */

struct Coroutine {
    /*
     * The AioContext the coroutine was last entered in, where
     * aio_co_wake() sends it.  Written before the switch in (smp_wmb()
     * in qemu_aio_coroutine_enter()), read by wakers in any thread.
     */
    AioContext *ctx;

    /*
     * Who entered the coroutine and gets control back when it yields;
     * NULL while it is yielded, not started or in the pool.  Written by
     * the thread running the coroutine's caller.
     */
    Coroutine *caller;

    /*
     * Name of the function that has scheduled the coroutine to be entered
     * later (aio_co_schedule(), qemu_co_sleep()), NULL otherwise.  Set
     * with a cmpxchg from NULL, so a second scheduler aborts instead of
     * entering the coroutine twice; cleared by whoever delivers the
     * wake-up, just before entering.  Atomic.
     */
    const char *scheduled;

    /* CoMutex/CoRwlock holds; must be 0 when the coroutine terminates. */
    size_t locks_held;

    /* Link in AioContext.scheduled_coroutines (lock-free list). */
    QSLIST_ENTRY(Coroutine) co_scheduled_next;

    /*
     * Coroutines woken by this one while it runs; they are entered after
     * it yields or terminates.  Only the running coroutine touches it.
     */
    QSIMPLEQ_HEAD(, Coroutine) co_queue_wakeup;

    /*
     * Link in a CoQueue, in a running coroutine's co_queue_wakeup, or in
     * the local run list of qemu_aio_coroutine_enter().  One at a time.
     */
    QSIMPLEQ_ENTRY(Coroutine) co_queue_next;

    /* What the coroutine runs; set by qemu_coroutine_create(). */
    CoroutineEntry *entry;
    void *entry_arg;

    /* Link in a coroutine pool; only while terminated. */
    QSLIST_ENTRY(Coroutine) pool_next;
};

#endif /* QEMU_COROUTINE_INT_H */
