/*
 * qemuutil: read-copy-update grace periods and deferred callbacks.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * The read side lives in include/qemu/rcu.h (inline).  This file keeps the
 * registry of reader threads, implements synchronize_rcu() on top of it,
 * and runs call_rcu1() callbacks from a helper thread.
 *
 * Grace periods.  rcu_gp_ctr is a generation number; a reader copies it
 * into its ->ctr when it enters its outermost critical section and stores
 * 0 when it leaves.  synchronize_rcu() bumps the generation: from then on
 * readers that enter copy the new value, so any reader whose ->ctr holds a
 * non-zero *older* value entered before the bump and must be waited for.
 * Once none is left, every critical section that predates the call has
 * ended.  One bump per grace period is enough because the counter is wide
 * enough never to come back to a stale value while a reader still holds
 * it (a reader would have to sleep through 2^32 or 2^64 grace periods).
 *
 * Waiting.  Rather than spinning, synchronize_rcu() raises ->waiting on
 * each reader and sleeps on rcu_gp_event; a reader that leaves with
 * ->waiting set clears it and sets the event.  The event is reset before
 * the flags are raised, so a wake-up cannot be lost between the scan and
 * the wait.
 *
 * Deferred callbacks.  call_rcu1() pushes onto a lock-free LIFO stack.  A
 * helper thread, started by the first call, repeatedly takes the whole
 * stack, waits for one grace period, and runs the batch oldest first.
 * Callbacks therefore run in the order they were queued.
 */
#include "qemu/osdep.h"
#include "qemu/rcu.h"
#include "qemu/atomic.h"
#include "qemu/thread.h"

unsigned long rcu_gp_ctr = 1;
QemuEvent rcu_gp_event;

QEMU_DEFINE_CO_TLS(struct rcu_reader_data, rcu_reader)

/*
 * Serialises synchronize_rcu() callers: one grace period at a time, and
 * only one thread writes rcu_gp_ctr.  Taken before rcu_registry_lock.
 */
static QemuMutex rcu_sync_lock;

/* Protects the registry and every reader's ->node. */
static QemuMutex rcu_registry_lock;
static QLIST_HEAD(, rcu_reader_data) registry =
    QLIST_HEAD_INITIALIZER(registry);

/* Owner-only: whether this thread is registered (for misuse checks). */
static __thread bool rcu_thread_registered;

/* True if @reader is inside a critical section older than rcu_gp_ctr. */
static bool rcu_reader_is_old(struct rcu_reader_data *reader)
{
    /*
     * Acquire pairs with the release store of 0 in rcu_read_unlock(): once
     * we see the reader out, its critical section happens-before whatever
     * the caller frees next.  (The smp_mb() pairs already order this on
     * real hardware; the acquire states it in a form that ThreadSanitizer
     * understands, as it does not model stand-alone fences.)
     */
    unsigned long seen = qatomic_load_acquire(&reader->ctr);

    /* rcu_gp_ctr is stable: we hold rcu_sync_lock. */
    return seen != 0 && seen != rcu_gp_ctr;
}

/*
 * Waits until no registered reader is in a pre-existing critical section.
 * Called with both locks held; drops rcu_registry_lock while sleeping.
 * Readers found quiescent are parked on a private list so that each pass
 * only rescans those still pending; rcu_unregister_thread() can still
 * unlink a parked reader, because QLIST removal does not need the head.
 */
static void wait_for_readers(void)
{
    QLIST_HEAD(, rcu_reader_data) done = QLIST_HEAD_INITIALIZER(done);
    struct rcu_reader_data *reader, *next;

    for (;;) {
        /* Reset before raising the flags, so no set() can be missed. */
        qemu_event_reset(&rcu_gp_event);
        QLIST_FOREACH(reader, &registry, node) {
            qatomic_set(&reader->waiting, true);
        }
        /*
         * ->waiting before ->ctr.  Pairs with the smp_mb() in
         * rcu_read_unlock() between storing ->ctr = 0 and reading
         * ->waiting (and with the one in rcu_read_lock()).
         */
        smp_mb();

        QLIST_FOREACH_SAFE(reader, &registry, node, next) {
            if (!rcu_reader_is_old(reader)) {
                qatomic_set(&reader->waiting, false);
                QLIST_REMOVE(reader, node);
                QLIST_INSERT_HEAD(&done, reader, node);
            }
        }
        if (QLIST_EMPTY(&registry)) {
            break;
        }

        /*
         * Sleep without the registry lock, so that threads can register
         * and unregister (and thus exit) meanwhile.
         */
        qemu_mutex_unlock(&rcu_registry_lock);
        qemu_event_wait(&rcu_gp_event);
        qemu_mutex_lock(&rcu_registry_lock);
    }

    /* Give the parked readers back to the registry. */
    QLIST_SWAP(&registry, &done, node);
}

void synchronize_rcu(void)
{
    unsigned long next_gp;

    if (get_ptr_rcu_reader()->depth != 0) {
        fprintf(stderr, "synchronize_rcu: called inside an RCU read-side "
                "critical section, which would wait for itself\n");
        abort();
    }

    qemu_mutex_lock(&rcu_sync_lock);
    qemu_mutex_lock(&rcu_registry_lock);

    if (!QLIST_EMPTY(&registry)) {
        /*
         * Order the caller's unlinking stores before the new generation
         * and before the scan of ->ctr (pairs with the smp_mb() in
         * rcu_read_lock()).
         */
        smp_mb();
        next_gp = rcu_gp_ctr + 1;
        if (next_gp == 0) {
            next_gp = 1;        /* 0 means "not in a critical section" */
        }
        qatomic_set(&rcu_gp_ctr, next_gp);
        wait_for_readers();
    }

    qemu_mutex_unlock(&rcu_registry_lock);
    qemu_mutex_unlock(&rcu_sync_lock);
}

void rcu_register_thread(void)
{
    struct rcu_reader_data *me = get_ptr_rcu_reader();

    if (rcu_thread_registered) {
        fprintf(stderr, "rcu_register_thread: thread already registered\n");
        abort();
    }
    me->ctr = 0;
    me->depth = 0;
    me->waiting = false;
    qemu_mutex_lock(&rcu_registry_lock);
    QLIST_INSERT_HEAD(&registry, me, node);
    qemu_mutex_unlock(&rcu_registry_lock);
    rcu_thread_registered = true;
}

void rcu_unregister_thread(void)
{
    struct rcu_reader_data *me = get_ptr_rcu_reader();

    if (!rcu_thread_registered || me->depth != 0) {
        fprintf(stderr, "rcu_unregister_thread: thread %s\n",
                rcu_thread_registered ? "is inside a critical section"
                                      : "is not registered");
        abort();
    }
    qemu_mutex_lock(&rcu_registry_lock);
    QLIST_REMOVE(me, node);
    qemu_mutex_unlock(&rcu_registry_lock);
    rcu_thread_registered = false;
}

/* ---------------------------------------------------------------------- */
/* call_rcu                                                                */
/* ---------------------------------------------------------------------- */

/* Callbacks not yet taken by the helper, newest first (lock-free push). */
static struct rcu_head *rcu_cb_stack;

/* Set after a push; the helper waits on it when the stack is empty. */
static QemuEvent rcu_cb_ready;

static pthread_once_t rcu_cb_thread_once = PTHREAD_ONCE_INIT;

/* Reverses a ->next chain in place; turns the LIFO stack into FIFO order. */
static struct rcu_head *rcu_reverse(struct rcu_head *node)
{
    struct rcu_head *prev = NULL, *next;

    while (node) {
        next = node->next;
        node->next = prev;
        prev = node;
        node = next;
    }
    return prev;
}

static void *call_rcu_thread(void *opaque)
{
    struct rcu_head *batch, *next;

    rcu_register_thread();
    for (;;) {
        /* Empty-check after the reset: a push in between sets it again. */
        qemu_event_reset(&rcu_cb_ready);
        /* The xchg pairs with the cmpxchg in call_rcu1(). */
        batch = qatomic_xchg(&rcu_cb_stack, NULL);
        if (!batch) {
            qemu_event_wait(&rcu_cb_ready);
            continue;
        }

        /* Every callback in the batch was queued before this point. */
        synchronize_rcu();

        for (batch = rcu_reverse(batch); batch; batch = next) {
            next = batch->next;     /* the callback may free @batch */
            batch->func(batch);
        }
    }
    return NULL;
}

static void rcu_start_cb_thread(void)
{
    QemuThread thread;

    qemu_event_init(&rcu_cb_ready, false);
    qemu_thread_create(&thread, "call_rcu", call_rcu_thread, NULL,
                       QEMU_THREAD_DETACHED);
}

void call_rcu1(struct rcu_head *head, RCUCBFunc *func)
{
    struct rcu_head *old;

    pthread_once(&rcu_cb_thread_once, rcu_start_cb_thread);

    head->func = func;
    old = qatomic_read(&rcu_cb_stack);
    for (;;) {
        struct rcu_head *seen;

        head->next = old;
        /* Full barrier: publishes head->func/next to the helper's xchg. */
        seen = qatomic_cmpxchg(&rcu_cb_stack, old, head);
        if (seen == old) {
            break;
        }
        old = seen;
    }
    qemu_event_set(&rcu_cb_ready);
}

struct rcu_drain {
    struct rcu_head rcu;
    QemuEvent done;
};

static void drain_rcu_callback(struct rcu_head *head)
{
    struct rcu_drain *drain = container_of(head, struct rcu_drain, rcu);

    qemu_event_set(&drain->done);
}

void drain_call_rcu(void)
{
    struct rcu_drain drain;

    if (get_ptr_rcu_reader()->depth != 0) {
        fprintf(stderr, "drain_call_rcu: called inside an RCU read-side "
                "critical section\n");
        abort();
    }
    /*
     * Callbacks run in queue order, so when ours runs every earlier one
     * has returned.
     */
    qemu_event_init(&drain.done, false);
    call_rcu1(&drain.rcu, drain_rcu_callback);
    qemu_event_wait(&drain.done);
    qemu_event_destroy(&drain.done);
}

/*
 * Library constructor: the locks must work before main() and the main
 * thread is a reader without having to register, as in QEMU.
 */
static void __attribute__((constructor)) rcu_init(void)
{
    qemu_mutex_init(&rcu_sync_lock);
    qemu_mutex_init(&rcu_registry_lock);
    qemu_event_init(&rcu_gp_event, false);
    rcu_register_thread();
}
