/*
 * qemuutil: private interface between util/aio-posix.c and the fd monitors
 * (util/fdmon-poll.c, util/fdmon-epoll.c, util/fdmon-io_uring.c).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * Not installed and not for users: the layout of AioHandler and the
 * fdmon_* hooks change together with the four files that include this.
 */
#ifndef AIO_POSIX_H
#define AIO_POSIX_H

#include "block/aio.h"

/*
 * struct AioHandler: one watched file descriptor of an AioContext.
 *
 * A handler is never modified in place once published: aio_set_fd_handler()
 * replaces it by a fresh node, so a walker that holds ctx->list_lock's count
 * sees either the old or the new callbacks, never a mix.  A removed node
 * stays on ctx->aio_handlers (linked on ctx->deleted_aio_handlers too) until
 * the outermost walker frees it.
 */
struct AioHandler {
    /* On ctx->aio_handlers; protected by ctx->list_lock. */
    QLIST_ENTRY(AioHandler) node;
    /* On ctx->deleted_aio_handlers once removed; ctx->list_lock. */
    QLIST_ENTRY(AioHandler) node_deleted;

    /* fd and the events we want; glib and fdmon-poll fill in revents. */
    GPollFD pfd;
    void *opaque;
    IOHandler *io_read;
    IOHandler *io_write;

    /* --- userspace polling --- */
    AioPollFn *io_poll;         /* NULL unless io_poll_ready is set */
    IOHandler *io_poll_ready;
    IOHandler *io_poll_begin;   /* aio_set_event_notifier_poll() */
    IOHandler *io_poll_end;
    /* io_poll() said there is work; consumed by the next dispatch. */
    bool poll_ready;
    /* Adaptive busy-poll time of this handler. */
    AioPolledEvent poll;
    /* Monotonic ns after which an idle handler stops being polled
     * (only with monitors that can poll in userspace); 0: not armed. */
    int64_t poll_idle_timeout;
    /* On ctx->poll_aio_handlers (home thread, list_lock count raised). */
    QLIST_ENTRY(AioHandler) node_poll;

    /* On the ready list of one aio_poll() call (home thread only). */
    QLIST_ENTRY(AioHandler) node_ready;
#ifdef CONFIG_LINUX_IO_URING
    unsigned flags;             /* private to fdmon-io_uring.c */
    /*
     * Where the kernel reads the context notifier's eventfd counter
     * (fdmon-io_uring.c); written by the kernel while URING_READING.
     */
    uint64_t uring_buf;
    /* Waiting for its poll SQE to be submitted (fdmon-io_uring.c). */
    QSLIST_ENTRY(AioHandler) node_submitted;
#endif
};

/**
 * aio_add_ready_handler:
 * @ready_list: the ready list of the running aio_poll()
 * @node: a handler whose fd has events
 * @revents: the events (G_IO_*)
 *
 * Called by fd monitors from their ->wait().  If @node is still on the ready
 * list of an outer, nested aio_poll() it moves to @ready_list.
 */
void aio_add_ready_handler(AioHandlerList *ready_list,
                           AioHandler *node, int revents);

/* poll(2) monitor: the default, rebuilds its pollfd array on every wait. */
extern const FDMonOps fdmon_poll_ops;

#ifndef CONFIG_LINUX_IO_URING
/* Without liburing the io_uring monitor is never available. */
static inline void fdmon_io_uring_destroy(AioContext *ctx)
{
    /* nothing was set up */
}

static inline bool fdmon_io_uring_setup(AioContext *ctx)
{
    return false;   /* callers fall back to poll/epoll */
}
#else
/* Leave the io_uring monitor (back to poll with epoll upgrade); no-op if
 * @ctx does not use it.  Home thread only. */
void fdmon_io_uring_destroy(AioContext *ctx);

/**
 * fdmon_io_uring_setup:
 * @ctx: a new AioContext
 *
 * Switch @ctx to the io_uring monitor.
 *
 * Returns: false, leaving @ctx alone, if io_uring cannot be used here.
 */
bool fdmon_io_uring_setup(AioContext *ctx);

#endif /* CONFIG_LINUX_IO_URING */

#ifdef CONFIG_EPOLL_CREATE1
/* Create ctx->epollfd so that fdmon-poll can upgrade later. */
void fdmon_epoll_setup(AioContext *ctx);

/* Close ctx->epollfd and go back to fdmon_poll_ops for good. */
void fdmon_epoll_disable(AioContext *ctx);

/**
 * fdmon_epoll_try_upgrade:
 * @ctx: the AioContext, using fdmon_poll_ops
 * @npfd: number of fds fdmon-poll is about to poll
 *
 * Switch @ctx to epoll if @npfd reached the threshold and nobody else walks
 * the handler list.  Called from fdmon-poll's ->wait().
 *
 * Returns: true if @ctx now uses epoll (call ctx->fdmon_ops->wait again).
 */
bool fdmon_epoll_try_upgrade(AioContext *ctx, unsigned npfd);

/**
 * fdmon_epoll_force:
 * @ctx: a new AioContext with no handler beyond its own notifier
 *
 * Use epoll from now on, whatever the number of fds (QEMUUTIL_FDMON=epoll).
 *
 * Returns: false, with @ctx left on fdmon-poll, if epoll is unavailable.
 */
bool fdmon_epoll_force(AioContext *ctx);
#else
/* Without epoll_create1() the context simply stays on poll(2). */
static inline bool fdmon_epoll_try_upgrade(AioContext *ctx, unsigned npfd)
{
    return false;   /* never upgrades */
}

static inline void fdmon_epoll_setup(AioContext *ctx)
{
    ctx->epollfd = -1;
}

static inline void fdmon_epoll_disable(AioContext *ctx)
{
    ctx->fdmon_ops = &fdmon_poll_ops;
}

static inline bool fdmon_epoll_force(AioContext *ctx)
{
    return false;
}
#endif /* !CONFIG_EPOLL_CREATE1 */

#endif /* AIO_POSIX_H */
