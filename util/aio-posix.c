/*
 * qemuutil: the POSIX half of AioContext: fd handlers, adaptive polling
 * and aio_poll().
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * One aio_poll() iteration, in order (docs/design.rst tells the same story
 * with the reasons):
 *
 *  1. raise ctx->list_lock's count, so no handler is freed under us;
 *  2. timeout = blocking ? aio_compute_timeout() : 0;
 *  3. if some handler is on the poll list, busy-poll the io_poll callbacks
 *     for up to the longest per-handler poll time (never longer than the
 *     timeout, and only when the fd monitor is not needed anyway); success
 *     sets the timeout to 0;
 *  4. if we may still block, add 2 to ctx->notify_me and re-check
 *     ctx->notified, so that an aio_notify() racing with us either sees the
 *     raised counter (and writes the eventfd) or is seen here;
 *  5. only if the timeout is not 0 or a handler cannot be polled from
 *     userspace, leave poll mode and ask the fd monitor to wait: with every
 *     handler pollable, a non-blocking aio_poll() makes no system call;
 *  6. drop notify_me back, aio_notify_accept();
 *  7. run bottom halves, then the ready handlers (adjusting each one's poll
 *     time), then free handlers removed meanwhile (outermost call only);
 *  8. drop the count and run expired timers.
 */
#include "qemu/osdep.h"
#include <sys/epoll.h>
#include "block/aio.h"
#include "block/aio-wait.h"
#include "qemu/main-loop.h"
#include "qemu/lockcnt.h"
#include "qemu/rcu.h"
#include "qemu/rcu_queue.h"
#include "aio-posix.h"

/*
 * A handler that was not ready for this long leaves the poll list, but only
 * with monitors that can poll fds from userspace (otherwise an fd that is
 * polled with the others would starve).
 */
#define POLL_IDLE_INTERVAL_NS (7 * NANOSECONDS_PER_SECOND)

/* First busy-poll time given to a handler when polling turns on. */
#define POLL_INITIAL_NS 4000

static void grow_or_shrink_poll_time(AioContext *ctx, AioPolledEvent *poll,
                                     int64_t block_ns);

/* True when @node is the context's own aio_notify() eventfd handler. */
static inline bool is_ctx_notifier(AioContext *ctx, AioHandler *node)
{
    return node->opaque == &ctx->notifier;
}

static inline bool handler_is_deleted(AioHandler *node)
{
    return QLIST_IS_INSERTED(node, node_deleted);
}

bool aio_poll_disabled(AioContext *ctx)
{
    return qatomic_read(&ctx->poll_disable_cnt) != 0;
}

/* Move @node to @ready_list (a nested aio_poll() steals it from its parent). */
static void ready_list_take(AioHandlerList *ready_list, AioHandler *node)
{
    QLIST_SAFE_REMOVE(node, node_ready);
    QLIST_INSERT_HEAD(ready_list, node, node_ready);
}

void aio_add_ready_handler(AioHandlerList *ready_list,
                           AioHandler *node, int revents)
{
    node->pfd.revents = revents;
    ready_list_take(ready_list, node);
}

static void add_poll_ready_handler(AioHandlerList *ready_list,
                                   AioHandler *node)
{
    node->poll_ready = true;
    ready_list_take(ready_list, node);
}

/*
 * The live handler of @fd, or NULL.  Called with list_lock held (or the
 * count raised, for read-only users).
 */
static AioHandler *lookup_handler(AioContext *ctx, int fd)
{
    AioHandler *node;

    QLIST_FOREACH(node, &ctx->aio_handlers, node) {
        if (node->pfd.fd == fd && !handler_is_deleted(node)) {
            break;
        }
    }
    return node;    /* NULL when the loop ran off the end */
}

/*
 * Take @node out of service.  Called with list_lock held.  Returns true if
 * the caller must free it (nobody walks the lists); otherwise the node is
 * queued on deleted_aio_handlers for the outermost walker.
 */
static bool retire_handler(AioContext *ctx, AioHandler *node)
{
    bool walked = qemu_lockcnt_count(&ctx->list_lock) > 0;

    node->poll_ready = false;
    node->pfd.revents = 0;
    /*
     * glib asserts when a poll is removed from a source under destruction,
     * and forgets all of them anyway, so skip it then.
     */
    if (!g_source_is_destroyed(&ctx->source)) {
        g_source_remove_poll(&ctx->source, &node->pfd);
    }

    if (handler_is_deleted(node)) {
        /* An fd monitor already retired it (io_uring does). */
        return false;
    }
    if (!walked) {
        QLIST_SAFE_REMOVE(node, node_poll);
        QLIST_REMOVE(node, node);
        return true;
    }
    QLIST_INSERT_HEAD_RCU(&ctx->deleted_aio_handlers, node, node_deleted);
    return false;
}

/* The G_IO_* conditions that make a handler with these callbacks run. */
static gushort handler_events(IOHandler *io_read, IOHandler *io_write)
{
    gushort events = 0;

    if (io_write) {
        events |= G_IO_OUT | G_IO_ERR;
    }
    if (io_read) {
        events |= G_IO_IN | G_IO_HUP | G_IO_ERR;
    }
    return events;
}

/*
 * A new, unpublished handler for @fd.  It replaces @old (if any), whose fd
 * and pending revents it inherits; io_poll_begin/end are not inherited:
 * callers re-attach them after re-registering.
 */
static AioHandler *handler_new(int fd, AioHandler *old,
                               IOHandler *io_read, IOHandler *io_write,
                               AioPollFn *io_poll, IOHandler *io_poll_ready,
                               void *opaque)
{
    AioHandler *h = g_new(AioHandler, 1);

    /* Every field not named here (list links, poll state) starts zeroed. */
    *h = (AioHandler) {
        .pfd = old ? old->pfd : (GPollFD) { .fd = fd },
        .io_read = io_read, .io_write = io_write,
        .io_poll = io_poll, .io_poll_ready = io_poll_ready,
        .opaque = opaque,
    };
    h->pfd.events = handler_events(io_read, io_write);
    return h;
}

void aio_set_fd_handler(AioContext *ctx, int fd,
                        IOHandler *io_read, IOHandler *io_write,
                        AioPollFn *io_poll, IOHandler *io_poll_ready,
                        void *opaque)
{
    AioHandler *old, *fresh = NULL;
    bool free_old;
    int unpollable_before, unpollable_after = 0;

    /* Userspace polling is useless if nobody handles its result. */
    if (!io_poll_ready) {
        io_poll = NULL;
    }

    qemu_lockcnt_lock(&ctx->list_lock);
    old = lookup_handler(ctx, fd);
    if (!old && !io_read && !io_write && !io_poll) {
        /* Removing a handler that does not exist. */
        qemu_lockcnt_unlock(&ctx->list_lock);
        return;
    }
    unpollable_before = (old && !old->io_poll) ? 1 : 0;

    if (io_read || io_write || io_poll) {
        unpollable_after = io_poll ? 0 : 1;
        fresh = handler_new(fd, old, io_read, io_write, io_poll,
                            io_poll_ready, opaque);
        g_source_add_poll(&ctx->source, &fresh->pfd);
        /* Publish the node fully initialised (release in the macro). */
        QLIST_INSERT_HEAD_RCU(&ctx->aio_handlers, fresh, node);
    } else {
        /* No events left: monitors drop the fd from their sets. */
        old->pfd.events = 0;
    }

    ctx->fdmon_ops->update(ctx, old, fresh);
    free_old = old && retire_handler(ctx, old);

    /*
     * The counter only decides whether busy-polling is worth it; a reader
     * that sees a stale value wastes at most one round, and the aio_notify()
     * below makes the home thread look again.
     */
    qatomic_set(&ctx->poll_disable_cnt, qatomic_read(&ctx->poll_disable_cnt) +
                unpollable_after - unpollable_before);
    qemu_lockcnt_unlock(&ctx->list_lock);

    aio_notify(ctx);
    if (free_old) {
        g_free(old);
    }
}

void aio_set_event_notifier(AioContext *ctx, EventNotifier *notifier,
                            EventNotifierHandler *io_read,
                            AioPollFn *io_poll,
                            EventNotifierHandler *io_poll_ready)
{
    int fd = event_notifier_get_fd(notifier);

    /* The notifier itself is the opaque of every callback. */
    aio_set_fd_handler(ctx, fd, (IOHandler *)io_read, NULL,
                       io_poll, (IOHandler *)io_poll_ready, notifier);
}

void aio_set_event_notifier_poll(AioContext *ctx, EventNotifier *notifier,
                                 EventNotifierHandler *io_poll_begin,
                                 EventNotifierHandler *io_poll_end)
{
    AioHandler *node = lookup_handler(ctx, event_notifier_get_fd(notifier));

    if (node) {
        node->io_poll_begin = (IOHandler *)io_poll_begin;
        node->io_poll_end = (IOHandler *)io_poll_end;
    }
}

/*
 * Enter or leave poll mode, telling every polled handler through its
 * io_poll_begin/io_poll_end.  When leaving, poll each handler once more: an
 * event that arrived just before io_poll_end() re-enabled the handler's own
 * notification would otherwise be lost.  Such handlers go on @ready_list.
 *
 * Returns: true if a handler other than the context's notifier is ready.
 */
static bool poll_set_started(AioContext *ctx, AioHandlerList *ready_list,
                             bool started)
{
    bool progress = false;
    AioHandler *node;

    if (ctx->poll_started == started) {
        return false;
    }
    ctx->poll_started = started;

    qemu_lockcnt_inc(&ctx->list_lock);
    QLIST_FOREACH(node, &ctx->poll_aio_handlers, node_poll) {
        IOHandler *hook;

        if (handler_is_deleted(node)) {
            continue;
        }
        hook = started ? node->io_poll_begin : node->io_poll_end;
        if (hook) {
            hook(node->opaque);
        }
        if (started || !node->io_poll(node->opaque)) {
            continue;
        }
        add_poll_ready_handler(ready_list, node);
        progress |= !is_ctx_notifier(ctx, node);
    }
    /* Deleted nodes met above are freed by the aio_poll() around us. */
    qemu_lockcnt_dec(&ctx->list_lock);
    return progress;
}

/* Whether events @ev of @node have a callback to run. */
static bool handler_wants(AioHandler *node, int ev)
{
    bool readable = ev & (G_IO_IN | G_IO_HUP | G_IO_ERR);
    bool writable = ev & (G_IO_OUT | G_IO_ERR);

    return (readable && node->io_read) || (writable && node->io_write);
}

/* glib filled in revents: does any of them match a callback? */
bool aio_pending(AioContext *ctx)
{
    AioHandler *node;
    bool pending = false;

    /* Handlers may be added or removed by other threads meanwhile. */
    qemu_lockcnt_inc(&ctx->list_lock);
    QLIST_FOREACH_RCU(node, &ctx->aio_handlers, node) {
        pending = handler_wants(node, node->pfd.revents & node->pfd.events);
        if (pending) {
            break;
        }
    }
    qemu_lockcnt_dec(&ctx->list_lock);
    return pending;
}

bool aio_prepare(AioContext *ctx)
{
    AioHandlerList ignored = QLIST_HEAD_INITIALIZER(ignored);
    AioHandler *node, *next;

    /*
     * glib polls the fds itself, so the handlers' own notifications must be
     * on.  Whatever the final io_poll round finds is also visible to glib
     * through the fds (or shows up in a later aio_poll()).
     */
    poll_set_started(ctx, &ignored, false);

    /*
     * Keep poll_ready set, so the next dispatch still runs the handler's
     * io_poll_ready, but do not leave the nodes linked to a list head that
     * is about to go out of scope.
     */
    QLIST_FOREACH_SAFE(node, &ignored, node_ready, next) {
        QLIST_REMOVE(node, node_ready);
    }
    return false;
}

/*
 * Free the handlers removed while the list was walked.  Only the outermost
 * walker may do it: dec_if_lock succeeds only if our count is the last one,
 * and keeps everybody else out until inc_and_unlock.
 */
static void free_deleted_handlers(AioContext *ctx)
{
    AioHandler *node, *next;

    if (QLIST_EMPTY_RCU(&ctx->deleted_aio_handlers)) {
        return;
    }
    if (!qemu_lockcnt_dec_if_lock(&ctx->list_lock)) {
        return;     /* a nested walker: the outermost one will free them */
    }
    QLIST_FOREACH_SAFE(node, &ctx->deleted_aio_handlers, node_deleted, next) {
        QLIST_SAFE_REMOVE(node, node_poll);
        QLIST_REMOVE(node, node);
        QLIST_REMOVE(node, node_deleted);
        g_free(node);
    }
    qemu_lockcnt_inc_and_unlock(&ctx->list_lock);
}

/*
 * Run @node's callbacks for the events recorded in it.  Called with the
 * list_lock count raised.  Returns true on progress (the context's own
 * notifier never counts).
 */
static bool dispatch_handler(AioContext *ctx, AioHandler *node)
{
    int ev = node->pfd.revents & node->pfd.events;
    bool polled = node->poll_ready;
    bool progress = false;

    node->pfd.revents = 0;
    node->poll_ready = false;

    if (handler_is_deleted(node)) {
        return false;
    }

    /*
     * A handler that can be polled joins the poll list the first time it is
     * active: more activity is likely to follow.
     */
    if (node->io_poll && !QLIST_IS_INSERTED(node, node_poll)) {
        if (ctx->poll_started && node->io_poll_begin) {
            node->io_poll_begin(node->opaque);
        }
        QLIST_INSERT_HEAD(&ctx->poll_aio_handlers, node, node_poll);
    }

    if (polled && ev == 0 && node->io_poll_ready) {
        /*
         * Off the poll list while the callback runs: if it runs a nested
         * aio_poll() before clearing its condition, that loop must not see
         * the handler ready again and recurse forever.
         */
        QLIST_SAFE_REMOVE(node, node_poll);
        node->io_poll_ready(node->opaque);
        if (!handler_is_deleted(node) &&
            !QLIST_IS_INSERTED(node, node_poll)) {
            QLIST_INSERT_HEAD(&ctx->poll_aio_handlers, node, node_poll);
        }
        return !is_ctx_notifier(ctx, node);
    }

    if ((ev & (G_IO_IN | G_IO_HUP | G_IO_ERR)) && node->io_read) {
        node->io_read(node->opaque);
        progress = !is_ctx_notifier(ctx, node);
    }
    /* The read callback may have removed the handler. */
    if (!handler_is_deleted(node) &&
        (ev & (G_IO_OUT | G_IO_ERR)) && node->io_write) {
        node->io_write(node->opaque);
        progress = true;
    }
    return progress;
}

/* Dispatch what the fd monitor and the pollers found; O(ready). */
static bool dispatch_ready_list(AioContext *ctx, AioHandlerList *ready_list,
                                int64_t block_ns)
{
    AioHandler *node;
    bool progress = false;

    while ((node = QLIST_FIRST(ready_list)) != NULL) {
        QLIST_REMOVE(node, node_ready);
        if (dispatch_handler(ctx, node)) {
            progress = true;
        }
        /* After dispatch, which may have put the node on the poll list. */
        if (ctx->poll_max_ns && QLIST_IS_INSERTED(node, node_poll)) {
            grow_or_shrink_poll_time(ctx, &node->poll, block_ns);
        }
    }
    return progress;
}

/*
 * The GSource's dispatch: BHs, then every handler (glib filled in the
 * revents of all of them), then timers.
 */
void aio_dispatch(AioContext *ctx)
{
    AioHandler *node, *next;

    qemu_lockcnt_inc(&ctx->list_lock);
    aio_bh_poll(ctx);
    QLIST_FOREACH_SAFE_RCU(node, &ctx->aio_handlers, node, next) {
        dispatch_handler(ctx, node);
    }
    free_deleted_handlers(ctx);
    qemu_lockcnt_dec(&ctx->list_lock);

    timerlistgroup_run_timers(&ctx->tlg);
}

/*
 * One round of io_poll over the poll list.  A success ends busy-polling at
 * once (*timeout = 0) so the poll time can be adjusted.
 */
static bool poll_handlers_once(AioContext *ctx, AioHandlerList *ready_list,
                               int64_t now, int64_t *timeout)
{
    AioHandler *node, *next;
    bool progress = false, found = false;

    QLIST_FOREACH_SAFE(node, &ctx->poll_aio_handlers, node_poll, next) {
        if (node->io_poll(node->opaque)) {
            found = true;
            node->poll_idle_timeout = now + POLL_IDLE_INTERVAL_NS;
            add_poll_ready_handler(ready_list, node);
            progress |= !is_ctx_notifier(ctx, node);
        }
    }
    if (found) {
        *timeout = 0;
    }
    return progress;
}

/* Monitors that cannot see fd readiness from userspace use this need_wait. */
static bool fdmon_supports_polling(AioContext *ctx)
{
    return ctx->fdmon_ops->need_wait != aio_poll_disabled;
}

/*
 * With a monitor that polls in userspace, handlers idle for
 * POLL_IDLE_INTERVAL_NS go back to fd monitoring.  Returns true if the
 * final io_poll of such a handler found work.
 */
static bool drop_idle_poll_handlers(AioContext *ctx,
                                    AioHandlerList *ready_list, int64_t now)
{
    AioHandler *node, *next;
    bool progress = false;

    if (!fdmon_supports_polling(ctx)) {
        return false;
    }

    QLIST_FOREACH_SAFE(node, &ctx->poll_aio_handlers, node_poll, next) {
        if (node->poll_idle_timeout == 0) {
            node->poll_idle_timeout = now + POLL_IDLE_INTERVAL_NS;
            continue;
        }
        if (now < node->poll_idle_timeout) {
            continue;
        }
        node->poll_idle_timeout = 0;
        QLIST_SAFE_REMOVE(node, node_poll);
        if (ctx->poll_started && node->io_poll_end) {
            node->io_poll_end(node->opaque);
            /* Catch an event that raced with io_poll_end(). */
            if (node->io_poll(node->opaque)) {
                add_poll_ready_handler(ready_list, node);
                progress = true;
            }
        }
    }
    return progress;
}

/*
 * Busy-poll for up to @max_ns (count raised by the caller).  *timeout is
 * reduced by the time spent, so the overall deadline stays the same.
 */
static bool run_poll_handlers(AioContext *ctx, AioHandlerList *ready_list,
                              int64_t max_ns, int64_t *timeout)
{
    int64_t start, elapsed;
    bool progress, done;

    assert(qemu_lockcnt_count(&ctx->list_lock) > 0);

    /*
     * io_poll callbacks typically take the RCU read lock; one outer critical
     * section turns their lock/unlock pairs into cheap nesting.
     */
    RCU_READ_LOCK_GUARD();

    start = qemu_clock_get_ns(QEMU_CLOCK_REALTIME);
    do {
        progress = poll_handlers_once(ctx, ready_list, start, timeout);
        elapsed = qemu_clock_get_ns(QEMU_CLOCK_REALTIME) - start;
        max_ns = qemu_soonest_timeout(*timeout, max_ns);
        assert(!progress || max_ns == 0);
        done = elapsed >= max_ns || ctx->fdmon_ops->need_wait(ctx);
    } while (!done);

    if (drop_idle_poll_handlers(ctx, ready_list, start + elapsed)) {
        progress = true;
        *timeout = 0;
    }
    if (*timeout != -1) {
        *timeout = elapsed < *timeout ? *timeout - elapsed : 0;
    }
    return progress;
}

/* The longest poll time earned by a handler on the poll list. */
static int64_t longest_poll_ns(AioContext *ctx)
{
    AioHandler *node;
    int64_t longest = 0;

    QLIST_FOREACH(node, &ctx->poll_aio_handlers, node_poll) {
        longest = MAX(longest, node->poll.ns);
    }
    return longest;
}

/* Step 3 of aio_poll(): busy-poll if some handler earned poll time. */
static bool try_poll_mode(AioContext *ctx, AioHandlerList *ready_list,
                          int64_t *timeout)
{
    int64_t max_ns;

    if (QLIST_EMPTY_RCU(&ctx->poll_aio_handlers)) {
        return false;
    }
    max_ns = qemu_soonest_timeout(*timeout, longest_poll_ns(ctx));
    if (max_ns != 0 && !ctx->fdmon_ops->need_wait(ctx)) {
        /* Left again by aio_poll() before it waits on the fd monitor. */
        poll_set_started(ctx, ready_list, true);
        return run_poll_handlers(ctx, ready_list, max_ns, timeout);
    }
    return false;
}

/*
 * Adapt a handler's poll time to how long aio_poll() blocked before the
 * handler had work (@block_ns):
 * - it fit in the poll time: keep it;
 * - it exceeded poll_max_ns: polling would not have helped, shrink;
 * - otherwise, if there is room, grow (from 0, start at POLL_INITIAL_NS),
 *   capped at poll_max_ns.
 */
static void grow_or_shrink_poll_time(AioContext *ctx, AioPolledEvent *poll,
                                     int64_t block_ns)
{
    int64_t factor;

    if (block_ns <= poll->ns) {
        return;
    }
    if (block_ns > ctx->poll_max_ns) {
        poll->ns = ctx->poll_shrink ? poll->ns / ctx->poll_shrink : 0;
        return;
    }
    if (poll->ns >= ctx->poll_max_ns || block_ns >= ctx->poll_max_ns) {
        return;
    }
    factor = ctx->poll_grow ? ctx->poll_grow : 2;
    poll->ns = poll->ns ? poll->ns * factor : POLL_INITIAL_NS;
    if (poll->ns > ctx->poll_max_ns) {
        poll->ns = ctx->poll_max_ns;
    }
}

/*
 * One aio_poll() at a time per context, in its home thread: notify_me is
 * only written there and in the GSource callbacks, which the same thread
 * runs.  The iohandler context runs in the main thread, whose current
 * context is the main one.
 */
static void check_poll_thread(AioContext *ctx)
{
    /*
     * The common case first: asking for the iohandler context would create
     * it (and its fd monitor) in programs that never use the main loop.
     */
    if (in_aio_context_home_thread(ctx)) {
        return;
    }
    /* The iohandler context runs in the main context's thread. */
    if (ctx == iohandler_get_aio_context() &&
        in_aio_context_home_thread(qemu_get_aio_context())) {
        return;
    }
    fprintf(stderr, "aio_poll: called outside the AioContext's home "
            "thread (call qemu_set_current_aio_context() first)\n");
    abort();
}

/*
 * Step 4: tell aio_notify() that we are about to block, so it must write
 * the eventfd.  Returns true if a notification is already pending, in
 * which case we must not block.
 */
static bool announce_blocking(AioContext *ctx)
{
    qatomic_set(&ctx->notify_me, qatomic_read(&ctx->notify_me) + 2);
    /*
     * notify_me before notified: pairs with the smp_mb() in aio_notify(),
     * which writes notified before reading notify_me.
     */
    smp_mb();
    return qatomic_read(&ctx->notified);
}

/* Step 6: undo announce_blocking(); the wait is over (release store). */
static void retract_blocking(AioContext *ctx)
{
    qatomic_store_release(&ctx->notify_me,
                          qatomic_read(&ctx->notify_me) - 2);
}

/*
 * Step 5: wait on the fd monitor, unless there is nothing to wait for.
 * Handlers must have their own notifications back on before we sleep, or
 * a guest kick could go unnoticed.  Returns true if leaving poll mode
 * found work.
 */
static bool wait_on_fdmon(AioContext *ctx, AioHandlerList *ready_list,
                          int64_t timeout)
{
    bool progress = false;

    if (timeout == 0 && !ctx->fdmon_ops->need_wait(ctx)) {
        return false;   /* everything is pollable: no system call */
    }
    if (poll_set_started(ctx, ready_list, false)) {
        progress = true;
        timeout = 0;
    }
    ctx->fdmon_ops->wait(ctx, ready_list, timeout);
    return progress;
}

/* See the numbered steps at the top of this file. */
bool aio_poll(AioContext *ctx, bool blocking)
{
    AioHandlerList ready_list = QLIST_HEAD_INITIALIZER(ready_list);
    int64_t timeout = 0, start = 0, block_ns = 0;
    bool will_block, progress;

    check_poll_thread(ctx);

    /* 1. */
    qemu_lockcnt_inc(&ctx->list_lock);
    if (ctx->poll_max_ns) {
        start = qemu_clock_get_ns(QEMU_CLOCK_REALTIME);
    }

    /* 2., 3. */
    if (blocking) {
        timeout = aio_compute_timeout(ctx);
    }
    progress = try_poll_mode(ctx, &ready_list, &timeout);
    assert(!progress || timeout == 0);

    /*
     * 4. A non-blocking call looks at everything after this point anyway,
     * so aio_notify() need not write the eventfd for it; a blocking one
     * must be woken.  5., 6.
     */
    will_block = timeout != 0;
    if (will_block && announce_blocking(ctx)) {
        timeout = 0;
    }
    progress |= wait_on_fdmon(ctx, &ready_list, timeout);
    if (will_block) {
        retract_blocking(ctx);
    }
    aio_notify_accept(ctx);
    if (ctx->poll_max_ns) {
        block_ns = qemu_clock_get_ns(QEMU_CLOCK_REALTIME) - start;
    }

    /* 7. */
    progress |= aio_bh_poll(ctx) != 0;
    progress |= dispatch_ready_list(ctx, &ready_list, block_ns);
    free_deleted_handlers(ctx);

    /* 8. */
    qemu_lockcnt_dec(&ctx->list_lock);
    progress |= timerlistgroup_run_timers(&ctx->tlg);
    return progress;
}

/*
 * Which fd monitor a new context uses.  By default io_uring if built and
 * usable, else poll(2) with an epoll instance ready for the upgrade at 64
 * fds.  QEMUUTIL_FDMON forces one, for tests and benches: "poll" (never
 * upgrades), "epoll" (from the start), "poll-epoll" (the non-io_uring
 * default, with the upgrade) or "io_uring".
 */
static bool setup_forced_fdmon(AioContext *ctx, const char *choice)
{
    if (strcmp(choice, "poll") == 0) {
        return true;                    /* never upgrades */
    } else if (strcmp(choice, "poll-epoll") == 0) {
        fdmon_epoll_setup(ctx);
        return true;
    } else if (strcmp(choice, "epoll") == 0) {
        if (!fdmon_epoll_force(ctx)) {
            fprintf(stderr, "qemuutil: QEMUUTIL_FDMON=epoll: epoll is "
                    "unavailable, using poll\n");
        }
        return true;
    } else if (strcmp(choice, "io_uring") == 0) {
        if (!fdmon_io_uring_setup(ctx)) {
            fprintf(stderr, "qemuutil: QEMUUTIL_FDMON=io_uring: io_uring "
                    "is unavailable, using poll/epoll\n");
            fdmon_epoll_setup(ctx);
        }
        return true;
    }
    fprintf(stderr, "qemuutil: QEMUUTIL_FDMON=%s is not one of poll, "
            "epoll, poll-epoll, io_uring; using the default\n", choice);
    return false;
}

void aio_context_setup(AioContext *ctx)
{
    const char *choice = getenv("QEMUUTIL_FDMON");

    ctx->epollfd = -1;
    ctx->fdmon_ops = &fdmon_poll_ops;
    if (choice && *choice && setup_forced_fdmon(ctx, choice)) {
        return;
    }
    if (!fdmon_io_uring_setup(ctx)) {
        fdmon_epoll_setup(ctx);
    }
}

void aio_context_use_g_source(AioContext *ctx)
{
    /*
     * io_uring needs aio_poll() to run regularly to submit fd changes; glib
     * never calls it, so fall back to a monitor glib can stand in for.
     */
    fdmon_io_uring_destroy(ctx);
    free_deleted_handlers(ctx);
}

/* Finalization: release whichever fd monitor is in use. */
void aio_context_destroy(AioContext *ctx)
{
    fdmon_io_uring_destroy(ctx);    /* may fall back to poll + epoll... */
    fdmon_epoll_disable(ctx);       /* ...so epoll goes second */
    free_deleted_handlers(ctx);
}

/* Tuning; see aio.h.  Out-of-range values are the caller's problem. */
void aio_context_set_poll_params(AioContext *ctx, int64_t max_ns,
                                 int64_t grow, int64_t shrink, Error **errp)
{
    AioHandler *node;

    /* Unsynchronised: the loop may use the old values for one round. */
    ctx->poll_grow = grow;
    ctx->poll_shrink = shrink;
    ctx->poll_max_ns = max_ns;

    /* Every handler earns its poll time again under the new rules. */
    qemu_lockcnt_inc(&ctx->list_lock);
    QLIST_FOREACH(node, &ctx->aio_handlers, node) {
        node->poll.ns = 0;
    }
    qemu_lockcnt_dec(&ctx->list_lock);
    aio_notify(ctx);
}

void aio_context_set_aio_params(AioContext *ctx, int64_t max_batch)
{
    /* Unsynchronised, like the poll parameters. */
    ctx->aio_max_batch = max_batch;

    aio_notify(ctx);
}
