/*
 * qemuutil: read-copy-update (RCU) for user-space threads.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * The API is QEMU 10.0's include/qemu/rcu.h: readers bracket their accesses
 * with rcu_read_lock()/rcu_read_unlock() (or RCU_READ_LOCK_GUARD()), and a
 * writer that unlinked an object calls synchronize_rcu() - or hands the
 * object to call_rcu() - before freeing it.  A grace period ends once every
 * read-side critical section that was running when it started has ended.
 *
 * Design (util/rcu.c has the details):
 *
 *  - A global counter, rcu_gp_ctr, names the current grace period.  It
 *    starts at 1 and only synchronize_rcu() advances it, one step at a
 *    time and skipping 0 on wrap-around, because 0 means "not reading".
 *  - Every thread that may read owns a struct rcu_reader_data.  Entering
 *    the outermost critical section copies rcu_gp_ctr into reader->ctr;
 *    leaving it stores 0.  Nested sections only count in ->depth.
 *  - synchronize_rcu() advances rcu_gp_ctr and waits until no registered
 *    reader holds an older, non-zero ctr.  Readers that leave while it
 *    waits see ->waiting and wake it through rcu_gp_event.
 *
 * Contract:
 *  - A thread must call rcu_register_thread() before its first
 *    rcu_read_lock() and rcu_unregister_thread() (outside any critical
 *    section) before it exits.  The main thread is registered
 *    automatically.  An unregistered reader is invisible to
 *    synchronize_rcu() - a use-after-free waiting to happen.
 *  - Critical sections nest, must not block for long and must never call
 *    synchronize_rcu() or drain_call_rcu() (that would wait for itself;
 *    it aborts instead).
 *  - Everything here is thread-safe; the read side is wait-free.
 *  - No fork() support (QEMU's rcu_enable_atfork() is not provided): a
 *    child that does not exec must not use synchronize_rcu() or call_rcu,
 *    as the registry still lists the parent's threads and the call_rcu
 *    helper thread does not exist in the child.
 */
#ifndef QEMU_RCU_H
#define QEMU_RCU_H

#include "qemu/thread.h"
#include "qemu/queue.h"
#include "qemu/atomic.h"
#include "qemu/notify.h"
#include "qemu/coroutine-tls.h"

/*
 * The current grace period.  Written only by synchronize_rcu() (under its
 * internal lock); read by every reader.
 */
extern unsigned long rcu_gp_ctr;

/* Set by a reader that leaves while synchronize_rcu() waits for it. */
extern QemuEvent rcu_gp_event;

/**
 * struct rcu_reader_data - per-thread read-side state
 * @ctr: 0 outside a critical section, else the rcu_gp_ctr value seen on
 *       entry.  Written by the owner, read by synchronize_rcu().
 * @waiting: set by synchronize_rcu() to ask the owner for a wake-up on
 *       leaving; cleared by whoever sees it first.
 * @depth: nesting level; owner only.
 * @node: link in the registry; protected by the registry lock in rcu.c.
 */
struct rcu_reader_data {
    unsigned depth;
    unsigned long ctr;
    QLIST_ENTRY(rcu_reader_data) node;
    bool waiting;
};

/* The calling thread's reader state (coroutine-safe TLS accessor). */
QEMU_DECLARE_CO_TLS(struct rcu_reader_data, rcu_reader)

/**
 * synchronize_rcu - wait for a grace period
 *
 * Returns once every read-side critical section that had started before
 * the call has finished.  Must not be called inside a critical section.
 * Thread-safe; concurrent callers are serialised.
 */
void synchronize_rcu(void);

/**
 * rcu_register_thread - make the calling thread's readers visible
 *
 * Must be called once by every thread that uses rcu_read_lock(), before
 * the first use.  Registering twice aborts.
 */
void rcu_register_thread(void);

/**
 * rcu_unregister_thread - undo rcu_register_thread()
 *
 * Call outside any critical section, before the thread exits.
 */
void rcu_unregister_thread(void);

struct rcu_head;
typedef void RCUCBFunc(struct rcu_head *rcu);

/**
 * struct rcu_head - deferred-callback link, embedded in the object
 * @next: queue link, owned by the RCU code once queued.
 * @func: the callback.
 */
struct rcu_head {
    RCUCBFunc *func;
    struct rcu_head *next;
};

/**
 * drain_call_rcu - wait until every callback queued so far has run
 *
 * Must not be called inside a critical section or from an RCU callback.
 */
void drain_call_rcu(void);

/**
 * call_rcu1 - run @cb(@node) after a grace period
 * @node: embedded in the object; must stay valid until @cb runs.
 * @cb: the callback.  It runs in the RCU helper thread, which is
 *        registered as an RCU reader, in the order the calls were queued.
 *
 * Thread-safe, wait-free, and usable inside a critical section.
 */
void call_rcu1(struct rcu_head *node, RCUCBFunc *cb);

/*
 * call_rcu(obj, fn, field): run fn(obj) after a grace period.  @field is
 * the struct rcu_head member of *obj; it has to be the first member so that
 * the rcu_head pointer and the object pointer are the same, and @fn must
 * take a pointer to the object.  Both are checked at compile time.
 */
#define call_rcu(obj, fn, field)                                        \
    call_rcu1(({                                                        \
        void (*call_rcu_fn__)(typeof(obj)) = (fn);                      \
        QEMU_BUILD_BUG_MSG(offsetof(typeof(*(obj)), field) != 0,        \
                           "rcu_head must be the first member");        \
        (void)call_rcu_fn__;                                            \
        &(obj)->field;                                                  \
    }), (RCUCBFunc *)(fn))

/* g_free(obj) after a grace period; @field as for call_rcu(). */
#define g_free_rcu(obj, field)                                          \
    call_rcu1(({                                                        \
        QEMU_BUILD_BUG_MSG(offsetof(typeof(*(obj)), field) != 0,        \
                           "rcu_head must be the first member");        \
        &(obj)->field;                                                  \
    }), (RCUCBFunc *)g_free)

/**
 * rcu_read_lock - enter a read-side critical section
 *
 * Nestable.  Pointers read with qatomic_rcu_read() inside the section stay
 * valid until the matching outermost rcu_read_unlock().
 */
static inline void rcu_read_lock(void)
{
    struct rcu_reader_data *me = get_ptr_rcu_reader();

    if (me->depth++ > 0) {
        return;
    }
    qatomic_set(&me->ctr, qatomic_read(&rcu_gp_ctr));
    /*
     * Publish ->ctr before loading any RCU-protected pointer.  Pairs with
     * the smp_mb() in wait_for_readers() (util/rcu.c) between setting
     * ->waiting and reading ->ctr: either synchronize_rcu() sees our ctr
     * and waits for us, or we see the writer's unlinking store.
     */
    smp_mb();
}

/**
 * rcu_read_unlock - leave a read-side critical section
 *
 * Unbalanced calls abort.
 */
static inline void rcu_read_unlock(void)
{
    struct rcu_reader_data *me = get_ptr_rcu_reader();

    if (unlikely(me->depth == 0)) {
        fprintf(stderr, "rcu_read_unlock: called without rcu_read_lock\n");
        abort();
    }
    me->depth--;
    if (me->depth == 0) {
        /* The critical section's loads happen before this store... */
        qatomic_store_release(&me->ctr, 0);
        /*
         * ...and the store happens before the load of ->waiting.  Pairs
         * with the smp_mb() in wait_for_readers() between writing ->waiting
         * and reading ->ctr, so a waiting writer either sees ctr == 0 or
         * is woken.
         */
        smp_mb();
        if (unlikely(qatomic_read(&me->waiting))) {
            qatomic_set(&me->waiting, false);
            qemu_event_set(&rcu_gp_event);
        }
    }
}

/*
 * Scope-bound read-side critical sections.  RCUReadAuto is only a token:
 * the guard variable holds a non-NULL dummy and its cleanup unlocks.
 */
typedef void RCUReadAuto;

static inline RCUReadAuto *rcu_read_auto_lock(void)
{
    rcu_read_lock();
    return (RCUReadAuto *)(uintptr_t)1;
}

static inline void rcu_read_auto_unlock(RCUReadAuto *token)
{
    rcu_read_unlock();
}

static inline void rcu_read_auto_cleanup_(RCUReadAuto **token)
{
    if (*token) {
        rcu_read_auto_unlock(*token);
    }
}

/* Also lets callers write g_autoptr(RCUReadAuto), as in QEMU. */
G_DEFINE_AUTOPTR_CLEANUP_FUNC(RCUReadAuto, rcu_read_auto_unlock)

#define RCU_GUARD_VAR_(name)                                            \
    RCUReadAuto *name __attribute__((cleanup(rcu_read_auto_cleanup_)))

/* Critical section from here to the end of the enclosing block. */
#define RCU_READ_LOCK_GUARD()                                           \
    RCU_GUARD_VAR_(glue(rcu_guard_, __COUNTER__)) G_GNUC_UNUSED =       \
        rcu_read_auto_lock()

#define WITH_RCU_READ_LOCK_GUARD_(var)                                  \
    for (RCU_GUARD_VAR_(var) = rcu_read_auto_lock(); (var);             \
         rcu_read_auto_unlock(var), (var) = NULL)

/* Critical section around the following statement or block. */
#define WITH_RCU_READ_LOCK_GUARD()                                      \
    WITH_RCU_READ_LOCK_GUARD_(glue(rcu_guard_, __COUNTER__))

#endif /* QEMU_RCU_H */
