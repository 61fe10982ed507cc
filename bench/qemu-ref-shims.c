/*
 * qemuutil benchmarks: link-time shims for the build of the bench sources
 * against QEMU's original libqemuutil.a (scripts/bench-qemu-ref.sh only).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * QEMU 10.0 picks its fd monitor itself: io_uring when it can, else poll
 * with an upgrade to epoll at 64 fds, and offers no switch.  The fd cases
 * ask for a monitor through QEMUUTIL_FDMON, as they do with qemuutil; the
 * script links with -Wl,--wrap=io_uring_queue_init,--wrap=epoll_ctl so
 * that these wrappers can make QEMU's own fallbacks happen:
 *   QEMUUTIL_FDMON=epoll  io_uring set-up fails: poll, epoll from 64 fds;
 *   QEMUUTIL_FDMON=poll   the same, and the epoll upgrade fails too
 *                         (QEMU then closes its epoll fd and stays on
 *                         poll without a message).
 * Anything else leaves QEMU's choice alone.
 */
#include "qemu/osdep.h"

#include <sys/epoll.h>

struct io_uring;

int __real_io_uring_queue_init(unsigned entries, struct io_uring *ring,
                               unsigned flags);
int __wrap_io_uring_queue_init(unsigned entries, struct io_uring *ring,
                               unsigned flags);
int __real_epoll_ctl(int epfd, int op, int fd, struct epoll_event *event);
int __wrap_epoll_ctl(int epfd, int op, int fd, struct epoll_event *event);

static bool fdmon_is(const char *name)
{
    const char *v = getenv("QEMUUTIL_FDMON");

    return v && !strcmp(v, name);
}

int __wrap_io_uring_queue_init(unsigned entries, struct io_uring *ring,
                               unsigned flags)
{
    if (fdmon_is("poll") || fdmon_is("epoll")) {
        return -ENOSYS;     /* liburing's convention: -errno */
    }
    return __real_io_uring_queue_init(entries, ring, flags);
}

int __wrap_epoll_ctl(int epfd, int op, int fd, struct epoll_event *event)
{
    if (fdmon_is("poll")) {
        errno = ENOSYS;
        return -1;
    }
    return __real_epoll_ctl(epfd, op, fd, event);
}
