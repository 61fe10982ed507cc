/*
 * qemuutil: the epoll(7) file-descriptor monitor of AioContext.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * The kernel keeps the interest set, so a wait costs O(ready fds) instead
 * of O(watched fds).  A context starts on fdmon-poll with an epoll instance
 * prepared, and switches here for good once 64 fds are watched (QEMU never
 * switches back because fds went away).  If the kernel refuses an epoll_ctl
 * (e.g. EBADF for a closed fd, EPERM for a regular file) the context goes
 * back to fdmon-poll for good, which copes with any fd.
 */
#include "qemu/osdep.h"
#include <sys/epoll.h>
#include <sys/syscall.h>
#include "qemu/lockcnt.h"
#include "qemu/rcu_queue.h"
#include "aio-posix.h"

/* Watched fds from which epoll beats rebuilding a pollfd array each wait. */
#define EPOLL_ENABLE_THRESHOLD 64

/* Ready events taken per wait; more stay queued for the next one. */
#define EPOLL_BATCH 128

static int gio_to_epoll(int gio)
{
    int ev = 0;

    ev |= (gio & G_IO_IN) ? EPOLLIN : 0;
    ev |= (gio & G_IO_OUT) ? EPOLLOUT : 0;
    ev |= (gio & G_IO_HUP) ? EPOLLHUP : 0;
    ev |= (gio & G_IO_ERR) ? EPOLLERR : 0;
    return ev;
}

static int epoll_to_gio(uint32_t ev)
{
    int gio = 0;

    gio |= (ev & EPOLLIN) ? G_IO_IN : 0;
    gio |= (ev & EPOLLOUT) ? G_IO_OUT : 0;
    gio |= (ev & EPOLLHUP) ? G_IO_HUP : 0;
    gio |= (ev & EPOLLERR) ? G_IO_ERR : 0;
    return gio;
}

void fdmon_epoll_disable(AioContext *ctx)
{
    int fd = ctx->epollfd;

    /* Back to poll(2), and with no epoll fd there is no way up again. */
    ctx->fdmon_ops = &fdmon_poll_ops;
    ctx->epollfd = -1;
    if (fd >= 0) {
        close(fd);
    }
}

/* Called with ctx->list_lock held.  The event's data is the live node. */
static void fdmon_epoll_update(AioContext *ctx, AioHandler *old_node,
                               AioHandler *new_node)
{
    struct epoll_event ev = { 0 };
    int op, fd;

    if (new_node) {
        ev.events = gio_to_epoll(new_node->pfd.events);
        ev.data.ptr = new_node;
        op = old_node ? EPOLL_CTL_MOD : EPOLL_CTL_ADD;
        fd = new_node->pfd.fd;
    } else {
        op = EPOLL_CTL_DEL;
        fd = old_node->pfd.fd;
    }
    if (epoll_ctl(ctx->epollfd, op, fd, &ev) < 0) {
        fdmon_epoll_disable(ctx);
    }
}

/*
 * Wait on the epoll instance for up to @timeout ns.  epoll_wait() only
 * takes milliseconds, so a positive timeout uses epoll_pwait2() (Linux
 * 5.11) when the kernel has it, else ppoll() on the epoll fd followed by a
 * non-blocking epoll_wait().  Returns the number of events or -errno.
 */
static int epoll_wait_ns(AioContext *ctx, struct epoll_event *events,
                         int64_t timeout)
{
#ifdef SYS_epoll_pwait2
    static bool no_pwait2;
#endif
    GPollFD pfd = {
        .fd = ctx->epollfd,
        .events = G_IO_IN | G_IO_OUT | G_IO_HUP | G_IO_ERR,
    };
    int ret;

    if (timeout > 0) {
#ifdef SYS_epoll_pwait2
        if (!qatomic_read(&no_pwait2)) {
            struct timespec ts = {
                .tv_sec = timeout / NANOSECONDS_PER_SECOND,
                .tv_nsec = timeout % NANOSECONDS_PER_SECOND,
            };

            ret = syscall(SYS_epoll_pwait2, ctx->epollfd, events,
                          EPOLL_BATCH, &ts, NULL, 0);
            if (ret >= 0 || errno != ENOSYS) {
                return ret < 0 ? -errno : ret;
            }
            qatomic_set(&no_pwait2, true);
        }
#endif
        ret = qemu_poll_ns(&pfd, 1, timeout);
        if (ret <= 0) {
            return ret < 0 ? -errno : 0;
        }
        timeout = 0;
    }
    ret = epoll_wait(ctx->epollfd, events, EPOLL_BATCH,
                     timeout < 0 ? -1 : 0);
    return ret < 0 ? -errno : ret;
}

static int fdmon_epoll_wait(AioContext *ctx, AioHandlerList *ready_list,
                            int64_t timeout)
{
    struct epoll_event events[EPOLL_BATCH];
    int i, n;

    n = epoll_wait_ns(ctx, events, timeout);
    for (i = 0; i < n; i++) {
        aio_add_ready_handler(ready_list, events[i].data.ptr,
                              epoll_to_gio(events[i].events));
    }
    return n;
}

static const FDMonOps fdmon_epoll_ops = {
    /* like poll(2), epoll cannot see readiness from userspace */
    .need_wait = aio_poll_disabled,
    .wait = fdmon_epoll_wait,
    .update = fdmon_epoll_update,
};

/*
 * Register every live handler with epoll and switch to it.  The caller
 * keeps the handler list from changing (list_lock held).
 */
static bool fdmon_epoll_switch(AioContext *ctx)
{
    AioHandler *node;

    QLIST_FOREACH(node, &ctx->aio_handlers, node) {
        struct epoll_event ev = { 0 };

        if (QLIST_IS_INSERTED(node, node_deleted) || !node->pfd.events) {
            continue;
        }
        ev.events = gio_to_epoll(node->pfd.events);
        ev.data.ptr = node;
        if (epoll_ctl(ctx->epollfd, EPOLL_CTL_ADD, node->pfd.fd, &ev) < 0) {
            return false;
        }
    }
    ctx->fdmon_ops = &fdmon_epoll_ops;
    return true;
}

/* Called from fdmon-poll's ->wait() with the list_lock count raised. */
bool fdmon_epoll_try_upgrade(AioContext *ctx, unsigned npfd)
{
    bool switched;

    if (ctx->epollfd < 0 || npfd < EPOLL_ENABLE_THRESHOLD) {
        return false;
    }
    /*
     * Only the outermost walker may switch: dec_if_lock succeeds when our
     * count is the only one, and then holds the lock so that no handler is
     * added or removed while the interest set is filled.
     */
    if (!qemu_lockcnt_dec_if_lock(&ctx->list_lock)) {
        return false;
    }
    switched = fdmon_epoll_switch(ctx);
    qemu_lockcnt_inc_and_unlock(&ctx->list_lock);

    if (!switched) {
        /* Some fd cannot be watched by epoll: stay on poll for good. */
        fdmon_epoll_disable(ctx);
    }
    return switched;
}

/* Prepare the epoll instance the upgrade needs (at context creation). */
void fdmon_epoll_setup(AioContext *ctx)
{
    ctx->epollfd = epoll_create1(EPOLL_CLOEXEC);
    if (ctx->epollfd < 0) {
        /* Not fatal: the context stays on fdmon-poll. */
        fprintf(stderr, "qemuutil: epoll_create1 failed: %s\n",
                strerror(errno));
    }
}

bool fdmon_epoll_force(AioContext *ctx)
{
    bool ok;

    fdmon_epoll_setup(ctx);
    if (ctx->epollfd < 0) {
        return false;
    }
    qemu_lockcnt_lock(&ctx->list_lock);
    ok = fdmon_epoll_switch(ctx);
    qemu_lockcnt_unlock(&ctx->list_lock);
    if (!ok) {
        fdmon_epoll_disable(ctx);
    }
    return ok;
}
