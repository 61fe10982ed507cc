/*
 * qemuutil: the poll(2) file-descriptor monitor of AioContext.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * The default monitor.  It keeps no state of its own: every wait builds a
 * pollfd array from ctx->aio_handlers, which is O(n) in the number of fds,
 * as poll(2) is anyway.  Once 64 fds are watched it hands the context over
 * to epoll (fdmon-epoll.c), whose waits cost O(ready).
 */
#include "qemu/osdep.h"
#include "qemu/notify.h"
#include "qemu/rcu_queue.h"
#include "qemu/thread.h"
#include "aio-posix.h"

/*
 * The arrays handed to poll() and the handler each entry belongs to.  They
 * are reused from one wait to the next to avoid an allocation per
 * iteration, and cannot live in the AioContext because they are filled
 * without holding any lock; per-thread storage fits since only the thread
 * running aio_poll() touches them, and only inside fdmon_poll_wait() (never
 * across a callback, so nesting is no concern).
 */
typedef struct PollScratch {
    GPollFD *fds;
    AioHandler **owners;
    unsigned used;
    unsigned size;
    Notifier at_exit;
} PollScratch;

static __thread PollScratch scratch;

static void scratch_release(Notifier *n, void *unused)
{
    g_free(scratch.fds);
    g_free(scratch.owners);
    scratch.fds = NULL;
    scratch.owners = NULL;
    scratch.size = 0;
}

static void scratch_push(AioHandler *node)
{
    if (scratch.used == scratch.size) {
        if (scratch.size == 0) {
            scratch.at_exit.notify = scratch_release;
            qemu_thread_atexit_add(&scratch.at_exit);
            scratch.size = 16;
        } else {
            g_assert(scratch.size <= INT_MAX / 2);
            scratch.size *= 2;
        }
        scratch.fds = g_renew(GPollFD, scratch.fds, scratch.size);
        scratch.owners = g_renew(AioHandler *, scratch.owners, scratch.size);
    }
    scratch.fds[scratch.used].fd = node->pfd.fd;
    scratch.fds[scratch.used].events = node->pfd.events;
    scratch.fds[scratch.used].revents = 0;
    scratch.owners[scratch.used] = node;
    scratch.used++;
}

/* ->wait(): one poll(2) over every live handler that wants events. */
static int fdmon_poll_wait(AioContext *ctx, AioHandlerList *ready_list,
                           int64_t timeout)
{
    unsigned i;
    int ret;
    AioHandler *node;

    g_assert(scratch.used == 0);

    QLIST_FOREACH_RCU(node, &ctx->aio_handlers, node) {
        if (node->pfd.events && !QLIST_IS_INSERTED(node, node_deleted)) {
            scratch_push(node);
        }
    }

    /* Enough fds for epoll to pay off?  Then let it do this wait. */
    if (fdmon_epoll_try_upgrade(ctx, scratch.used)) {
        scratch.used = 0;
        return ctx->fdmon_ops->wait(ctx, ready_list, timeout);
    }

    ret = qemu_poll_ns(scratch.fds, scratch.used, timeout);
    for (i = 0; ret > 0 && i < scratch.used; i++) {
        if (scratch.fds[i].revents) {
            aio_add_ready_handler(ready_list, scratch.owners[i],
                                  scratch.fds[i].revents);
        }
    }
    scratch.used = 0;
    return ret;
}

static void fdmon_poll_update(AioContext *ctx, AioHandler *old_node,
                              AioHandler *new_node)
{
    /* The handler list itself is the state: nothing to track. */
}

const FDMonOps fdmon_poll_ops = {
    /* poll(2) cannot see readiness from userspace */
    .need_wait = aio_poll_disabled,
    .wait = fdmon_poll_wait,
    .update = fdmon_poll_update,
};
