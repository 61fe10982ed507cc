/*
 * qemuutil: the io_uring file-descriptor monitor of AioContext.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * Every watched fd has one IORING_OP_POLL_ADD request in the kernel.  Such
 * a request is one-shot: when the fd is ready it completes, we report the
 * handler and send a fresh request, which keeps poll(2)'s level-triggered
 * meaning (an fd that is still ready completes again at once).  Two things
 * make this monitor worth having:
 *
 *  - the completion ring is mapped into our memory, so a busy-polling
 *    aio_poll() sees ready fds without a system call (need_wait() below is
 *    what tells aio-posix.c that something arrived);
 *  - requests are batched into the one io_uring_enter() that also waits,
 *    and a wait can end after a timeout given in nanoseconds.
 *
 * Life of a handler (flag bits in AioHandler.flags):
 *
 *  1. aio_set_fd_handler() (any thread, ctx->list_lock held) calls
 *     ->update(), which only marks the node (URING_ARM for a new node,
 *     URING_RETIRED for the node it replaces or removes) and pushes it on
 *     ctx->submit_list.  The ring itself is touched by the thread running
 *     aio_poll() only, inside ->wait().
 *  2. ->wait() drains ctx->submit_list into submission queue entries: a
 *     POLL_ADD for an URING_ARM node; for a retired node a POLL_REMOVE if a
 *     POLL_ADD is in the kernel (URING_ARMED), otherwise nothing.
 *  3. Each completion clears URING_ARMED.  A live node is put on the ready
 *     list and queued for a new POLL_ADD.
 *  4. A retired node goes on ctx->deleted_aio_handlers (freed by the
 *     outermost aio_poll()) only once the kernel has no request left that
 *     names it, i.e. when it is retired and not armed.  Until then it looks
 *     deleted to everybody else (see uring_update()).
 *
 * glib cannot wait on io_uring for us, so aio_get_g_source() turns this
 * monitor off for good (fdmon_io_uring_destroy()).
 */
#include "qemu/osdep.h"
#include <poll.h>
#include "qemu/lockcnt.h"
#include "qemu/rcu_queue.h"
#include "qemu/timer.h"
#include "aio-posix.h"
#ifdef CONFIG_VALGRIND_H
#include <valgrind/valgrind.h>
#endif

/* Submission queue size; the completion queue is twice as big. */
#define URING_ENTRIES 256

/* AioHandler.flags.  Updated with atomic read-modify-write operations. */
enum {
    /* On ctx->submit_list (set by whoever pushes it there). */
    URING_QUEUED = BIT(0),
    /* Wants a POLL_ADD at the next submission. */
    URING_ARM = BIT(1),
    /*
     * Removed or replaced by aio_set_fd_handler(); stays set until the node
     * is handed to ctx->deleted_aio_handlers.
     */
    URING_RETIRED = BIT(2),
    /*
     * A POLL_ADD naming this node has been queued to the kernel and its
     * completion not yet consumed.  Only the aio_poll() thread changes it.
     */
    URING_ARMED = BIT(3),
    /*
     * The request in the kernel is a READ of the context's own eventfd,
     * not a POLL_ADD (see uring_queue_poll_add()).  Set and cleared with
     * URING_ARMED.
     */
    URING_READING = BIT(4),
};

/*
 * Whether the kernel retries a READ of a non-blocking fd when the fd
 * becomes readable (IORING_FEAT_FAST_POLL, Linux 5.7), instead of
 * completing it with -EAGAIN.  Written at every set-up, same value.
 */
static bool uring_fast_poll;

static const FDMonOps uring_fdmon_ops;

/*
 * State of one ->wait(): where ready handlers go and how many went there
 * (completions can also be consumed while the submission queue is
 * flushed, when the kernel asks for room first).
 */
typedef struct UringPass {
    AioContext *ctx;
    AioHandlerList *ready_list;
    int nready;
} UringPass;

static unsigned poll_mask_from_gio(int gio)
{
    return (gio & G_IO_IN ? POLLIN : 0) |
           (gio & G_IO_OUT ? POLLOUT : 0) |
           (gio & G_IO_PRI ? POLLPRI : 0) |
           (gio & G_IO_ERR ? POLLERR : 0) |
           (gio & G_IO_HUP ? POLLHUP : 0);
}

static int gio_from_poll_mask(unsigned mask)
{
    return (mask & POLLIN ? G_IO_IN : 0) |
           (mask & POLLOUT ? G_IO_OUT : 0) |
           (mask & POLLPRI ? G_IO_PRI : 0) |
           (mask & POLLERR ? G_IO_ERR : 0) |
           (mask & POLLHUP ? G_IO_HUP : 0) |
           (mask & POLLNVAL ? G_IO_NVAL : 0);
}

/*
 * Set @bits in @node->flags and make sure the node is on ctx->submit_list.
 * Thread-safe: several threads may push concurrently, and the aio_poll()
 * thread may be taking the list at the same time.
 */
static void uring_mark(AioContext *ctx, AioHandler *node, unsigned bits)
{
    unsigned old = qatomic_fetch_or(&node->flags, bits | URING_QUEUED);

    if (!(old & URING_QUEUED)) {
        /*
         * The cmpxchg inside is a full barrier: whoever moves the list
         * sees @bits.  Pairs with QSLIST_MOVE_ATOMIC in uring_fill_sq().
         */
        QSLIST_INSERT_HEAD_ATOMIC(&ctx->submit_list, node, node_submitted);
    }
}

/*
 * Hand a retired node over to aio-posix.c, which frees it once nobody walks
 * the handler list any more.  The kernel must be done with it.
 */
static void uring_release(AioContext *ctx, AioHandler *node)
{
    qatomic_and(&node->flags, ~URING_RETIRED);
    qemu_lockcnt_lock(&ctx->list_lock);
    QLIST_INSERT_HEAD_RCU(&ctx->deleted_aio_handlers, node, node_deleted);
    qemu_lockcnt_unlock(&ctx->list_lock);
}

/* Called with ctx->list_lock held, from any thread. */
static void uring_update(AioContext *ctx, AioHandler *old_node,
                                  AioHandler *new_node)
{
    /* A node without events (io_poll only) never needs the kernel. */
    if (new_node && new_node->pfd.events) {
        uring_mark(ctx, new_node, URING_ARM);
    }

    if (old_node) {
        if (QLIST_IS_INSERTED(old_node, node_deleted)) {
            fprintf(stderr, "fdmon-io_uring: a handler was retired twice\n");
            abort();
        }
        /*
         * The node may not be freed while a kernel request carries its
         * address, but every walker must stop using it right now.  Make
         * QLIST_IS_INSERTED(node, node_deleted) true without putting it on
         * the list: its link points at itself.  uring_release() links it
         * for real once the kernel has let go of it; aio-posix.c leaves
         * such nodes alone (it sees them as already retired).
         */
        old_node->node_deleted.le_next = NULL;
        old_node->node_deleted.le_prev = &old_node->node_deleted.le_next;
        uring_mark(ctx, old_node, URING_RETIRED);
    }
}

static int uring_consume_cq(UringPass *pass);

/*
 * Submit what is queued without waiting.  The kernel may ask us to make
 * room in the completion queue first (EBUSY) or be short of memory
 * (EAGAIN): consume completions and try again.
 */
static void uring_submit_now(UringPass *pass)
{
    struct io_uring *ring = &pass->ctx->fdmon_io_uring;
    int ret;

    for (;;) {
        ret = io_uring_submit(ring);
        if (ret >= 0) {
            return;
        }
        if (ret == -EBUSY || ret == -EAGAIN) {
            uring_consume_cq(pass);
            continue;
        }
        if (ret != -EINTR) {
            fprintf(stderr, "fdmon-io_uring: io_uring_submit: %s\n",
                    strerror(-ret));
            abort();
        }
    }
}

/* A free submission queue entry, flushing the queue if it is full. */
static struct io_uring_sqe *uring_get_sqe(UringPass *pass)
{
    struct io_uring *ring = &pass->ctx->fdmon_io_uring;
    struct io_uring_sqe *sqe;

    while ((sqe = io_uring_get_sqe(ring)) == NULL) {
        uring_submit_now(pass);
    }
    return sqe;
}

/* True if @node is @ctx's own aio_notify() eventfd handler. */
static bool uring_is_ctx_notifier(AioContext *ctx, AioHandler *node)
{
    return node->opaque == &ctx->notifier;
}

static void uring_queue_poll_add(UringPass *pass, AioHandler *node)
{
    struct io_uring_sqe *sqe = uring_get_sqe(pass);

    if (uring_is_ctx_notifier(pass->ctx, node) &&
        qatomic_read(&uring_fast_poll)) {
        /*
         * The context's own eventfd is only ever drained, so instead of
         * "tell me when it is readable" (and a read(2) in the handler
         * afterwards) ask the kernel to read it: the completion both
         * wakes us and resets the counter, one system call less per
         * cross-thread wake-up.  uring_complete() reports the node as
         * found by polling, so its handler does not read again.
         */
        io_uring_prep_read(sqe, node->pfd.fd, &node->uring_buf,
                           sizeof(node->uring_buf), 0);
        io_uring_sqe_set_data(sqe, node);
        qatomic_or(&node->flags, URING_ARMED | URING_READING);
        return;
    }
    io_uring_prep_poll_add(sqe, node->pfd.fd,
                           poll_mask_from_gio(node->pfd.events));
    io_uring_sqe_set_data(sqe, node);
    qatomic_or(&node->flags, URING_ARMED);
}

static void uring_queue_poll_remove(UringPass *pass, AioHandler *node,
                                    unsigned flags)
{
    struct io_uring_sqe *sqe = uring_get_sqe(pass);

    /*
     * Cancels the request whose user_data is @node; reports to nobody.
     * POLL_REMOVE only finds POLL_ADDs, so a READ needs ASYNC_CANCEL.
     */
    if (flags & URING_READING) {
        io_uring_prep_cancel(sqe, node, 0);
    } else {
        io_uring_prep_poll_remove(sqe, (uintptr_t)node);
    }
    io_uring_sqe_set_data(sqe, NULL);
}

/* Turn everything pushed on ctx->submit_list into queue entries. */
static void uring_fill_sq(UringPass *pass)
{
    AioContext *ctx = pass->ctx;
    AioHandlerSList todo;
    AioHandler *node;
    unsigned flags;

    if (QSLIST_EMPTY_RCU(&ctx->submit_list)) {
        return;
    }
    /* Pairs with the cmpxchg in uring_mark(). */
    QSLIST_MOVE_ATOMIC(&todo, &ctx->submit_list);

    while ((node = QSLIST_FIRST(&todo)) != NULL) {
        QSLIST_REMOVE_HEAD(&todo, node_submitted);
        /*
         * From here on another uring_mark() pushes the node again, so the
         * link field may be reused: it was read just above.
         */
        flags = qatomic_fetch_and(&node->flags, ~(URING_QUEUED | URING_ARM));

        if (flags & URING_RETIRED) {
            if (flags & URING_ARMED) {
                /* Its completion (result or -ECANCELED) releases it. */
                uring_queue_poll_remove(pass, node, flags);
            } else {
                uring_release(ctx, node);
            }
        } else if ((flags & URING_ARM) && !(flags & URING_ARMED)) {
            uring_queue_poll_add(pass, node);
        }
    }
}

/* One completion.  Returns true if a handler was put on the ready list. */
static bool uring_complete(UringPass *pass, AioHandler *node, int res)
{
    AioContext *ctx = pass->ctx;
    unsigned flags = qatomic_fetch_and(&node->flags,
                                       ~(URING_ARMED | URING_READING));

    assert(flags & URING_ARMED);

    if (flags & URING_RETIRED) {
        /*
         * Still queued means uring_fill_sq() has yet to see the retirement;
         * it will find the node unarmed and release it then.  Releasing it
         * here would free a node that is still on ctx->submit_list.
         */
        if (!(flags & URING_QUEUED)) {
            uring_release(ctx, node);
        }
        return false;
    }

    if (res == -ECANCELED) {
        /*
         * Not our POLL_REMOVE (the node is live): the kernel drops the
         * requests of a thread that exits, and another thread now runs
         * aio_poll().  Just ask again.
         */
        uring_mark(ctx, node, URING_ARM);
        return false;
    }

    if ((flags & URING_READING) && res >= 0) {
        /*
         * The kernel read (drained) the eventfd: the context was
         * notified.  Report it the way a successful io_poll is reported,
         * with no fd events, so the handler's io_poll_ready runs (and
         * poll-time bookkeeping happens) but no read(2) of an empty fd.
         */
        node->poll_ready = true;
        aio_add_ready_handler(pass->ready_list, node, 0);
        uring_mark(ctx, node, URING_ARM);
        return true;
    }

    /* Any other error (EBADF for a closed fd...) looks like poll's NVAL. */
    aio_add_ready_handler(pass->ready_list, node,
                          res < 0 ? G_IO_NVAL : gio_from_poll_mask(res));
    /* One-shot request: ask again; it is sent with the next wait. */
    uring_mark(ctx, node, URING_ARM);
    return true;
}

/*
 * Consume every completion, including the ones the kernel kept aside when
 * the completion queue was full (it never drops them: we require
 * IORING_FEAT_NODROP).  Returns the number of handlers made ready.
 */
static int uring_consume_cq(UringPass *pass)
{
    struct io_uring *ring = &pass->ctx->fdmon_io_uring;
    struct io_uring_cqe *cqe;
    unsigned head, seen;
    int nready = 0;

    for (;;) {
        seen = 0;
        io_uring_for_each_cqe(ring, head, cqe) {
            AioHandler *node = io_uring_cqe_get_data(cqe);

            /* Timeouts and POLL_REMOVEs carry no node. */
            if (node && uring_complete(pass, node, cqe->res)) {
                nready++;
            }
            seen++;
        }
        io_uring_cq_advance(ring, seen);

        if (!io_uring_cq_has_overflow(ring)) {
            break;
        }
        /*
         * Room was made: have the kernel move its backlog into the ring.
         * Errors (EINTR...) just mean another round.
         */
        io_uring_get_events(ring);
    }
    pass->nready += nready;
    return nready;
}

/*
 * Submit and wait for at least @wait_nr completions.  A signal or a
 * transient kernel refusal ends the call early; the caller loops.
 */
static void uring_enter(UringPass *pass, unsigned wait_nr)
{
    struct io_uring *ring = &pass->ctx->fdmon_io_uring;
    int ret;

    ret = io_uring_submit_and_wait(ring, wait_nr);
    if (ret >= 0 || ret == -EINTR) {
        return;
    }
    if (ret == -EBUSY || ret == -EAGAIN) {
        /* Make room; the entries still queued go with the next call. */
        uring_consume_cq(pass);
        return;
    }
    fprintf(stderr, "fdmon-io_uring: io_uring_enter: %s\n", strerror(-ret));
    abort();
}

static int uring_wait(AioContext *ctx, AioHandlerList *ready_list,
                               int64_t timeout)
{
    struct io_uring *ring = &ctx->fdmon_io_uring;
    UringPass pass = { .ctx = ctx, .ready_list = ready_list };
    struct __kernel_timespec ts;
    struct io_uring_sqe *sqe;
    int64_t deadline = 0;
    unsigned wait_nr;

    if (timeout > 0) {
        deadline = get_clock() + timeout;
    }

    for (;;) {
        wait_nr = 0;
        if (timeout != 0 && !io_uring_cq_ready(ring) &&
            !io_uring_cq_has_overflow(ring)) {
            wait_nr = 1;
            if (timeout > 0) {
                /*
                 * Queued first, so that completions of the requests sent
                 * along with it end it too (count 1), rather than leaving a
                 * stale timer to wake a later wait.  The kernel reads @ts
                 * when the entry is submitted, which happens in this call.
                 */
                ts.tv_sec = timeout / NANOSECONDS_PER_SECOND;
                ts.tv_nsec = timeout % NANOSECONDS_PER_SECOND;
                sqe = uring_get_sqe(&pass);
                io_uring_prep_timeout(sqe, &ts, 1, 0);
                io_uring_sqe_set_data(sqe, NULL);
            }
        }
        uring_fill_sq(&pass);

        if (wait_nr == 0 && io_uring_sq_ready(ring) == 0) {
            /* Nothing to send and nothing to wait for: no system call. */
        } else {
            uring_enter(&pass, wait_nr);
        }
        uring_consume_cq(&pass);

        /*
         * Completions that readied no handler (a POLL_REMOVE, the end of
         * a retired node, a signal) do not end a blocking wait early.
         */
        if (pass.nready > 0 || timeout == 0) {
            break;
        }
        if (timeout > 0) {
            timeout = deadline - get_clock();
            if (timeout <= 0) {
                break;
            }
        }
    }
    return pass.nready;
}

/*
 * True if ->wait() has work even without blocking: completions to consume
 * or requests to send.  Lets a busy-polling aio_poll() notice fd activity
 * without a system call.
 */
static bool uring_need_wait(AioContext *ctx)
{
    struct io_uring *ring = &ctx->fdmon_io_uring;

    return io_uring_cq_ready(ring) ||
           io_uring_cq_has_overflow(ring) ||
           io_uring_sq_ready(ring) ||
           !QSLIST_EMPTY_RCU(&ctx->submit_list);
}

static const FDMonOps uring_fdmon_ops = {
    .need_wait = uring_need_wait,
    .update = uring_update,
    .wait = uring_wait,
};

bool fdmon_io_uring_setup(AioContext *ctx)
{
    struct io_uring_params params;
    AioHandler *node;
    int ret;

#ifdef CONFIG_VALGRIND_H
    /*
     * Valgrind (3.19, Debian 12) does not treat io_uring_enter() as a call
     * that may block: it keeps its global lock while a thread sleeps in
     * the kernel, so no other thread of the process runs until that wait
     * ends.  An aio_notify() from another thread can then never come, and
     * the process hangs.  Seen with `make check-valgrind`; poll(2) and
     * epoll are handled properly, so use them.
     */
    if (RUNNING_ON_VALGRIND) {
        return false;
    }
#endif
    memset(&params, 0, sizeof(params));
    ret = io_uring_queue_init_params(URING_ENTRIES, &ctx->fdmon_io_uring,
                                     &params);
    if (ret < 0) {
        /* No io_uring here (old kernel, seccomp, memlock limit...). */
        return false;
    }
    /*
     * Without NODROP (Linux < 5.5) a full completion queue loses
     * completions, i.e. fd events: not usable for us.
     */
    if (!(params.features & IORING_FEAT_NODROP)) {
        io_uring_queue_exit(&ctx->fdmon_io_uring);
        return false;
    }
    qatomic_set(&uring_fast_poll,
                !!(params.features & IORING_FEAT_FAST_POLL));

    QSLIST_INIT(&ctx->submit_list);

    qemu_lockcnt_lock(&ctx->list_lock);
    ctx->fdmon_ops = &uring_fdmon_ops;
    /* Handlers registered before the switch (none, normally). */
    QLIST_FOREACH(node, &ctx->aio_handlers, node) {
        node->flags = 0;
        if (!QLIST_IS_INSERTED(node, node_deleted) && node->pfd.events) {
            uring_mark(ctx, node, URING_ARM);
        }
    }
    qemu_lockcnt_unlock(&ctx->list_lock);
    return true;
}

void fdmon_io_uring_destroy(AioContext *ctx)
{
    AioHandler *node;

    if (ctx->fdmon_ops != &uring_fdmon_ops) {
        return;
    }

    /* Keep aio_set_fd_handler() (and so ->update()) out meanwhile. */
    qemu_lockcnt_lock(&ctx->list_lock);

    /* Closing the ring cancels every request; none reports back. */
    io_uring_queue_exit(&ctx->fdmon_io_uring);
    QSLIST_INIT(&ctx->submit_list);

    /*
     * Retired nodes that waited for the kernel can go now.  They are all
     * still on ctx->aio_handlers.
     */
    QLIST_FOREACH(node, &ctx->aio_handlers, node) {
        unsigned flags = qatomic_xchg(&node->flags, 0);

        if (flags & URING_RETIRED) {
            QLIST_INSERT_HEAD_RCU(&ctx->deleted_aio_handlers, node,
                                  node_deleted);
        }
    }

    /* fdmon-poll keeps no state: every live handler is watched at once. */
    ctx->fdmon_ops = &fdmon_poll_ops;
    qemu_lockcnt_unlock(&ctx->list_lock);

    /* Allow the upgrade to epoll once there are many fds. */
    if (ctx->epollfd < 0) {
        fdmon_epoll_setup(ctx);
    }
}
