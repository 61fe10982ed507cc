/*
 * qemuutil: coroutine helpers for sockets and file descriptors.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * These yield whenever the descriptor would block; re-entering the
 * coroutine when it is ready is up to the caller (yield_until_fd_readable()
 * does it with an fd handler in the current AioContext).
 */
#include "qemu/osdep.h"
#include "qemu/coroutine.h"
#include "qemu/iov.h"
#include "qemu/main-loop.h"
#include "block/aio.h"

/* A coroutine parked until @fd becomes readable in @ctx. */
typedef struct FdWait {
    int fd;
    AioContext *ctx;
    Coroutine *co;
} FdWait;

static void fd_wait_ready(void *opaque)
{
    FdWait *wait = opaque;
    Coroutine *sleeper = wait->co;

    /* One-shot: remove the handler before the coroutine continues. */
    aio_set_fd_handler(wait->ctx, wait->fd, NULL, NULL, NULL, NULL, NULL);
    qemu_coroutine_enter(sleeper);
}

void coroutine_fn yield_until_fd_readable(int fd)
{
    FdWait wait;

    assert(qemu_in_coroutine());
    wait.fd = fd;
    wait.co = qemu_coroutine_self();
    wait.ctx = qemu_get_current_aio_context();
    aio_set_fd_handler(wait.ctx, fd, fd_wait_ready, NULL, NULL, NULL, &wait);
    qemu_coroutine_yield();
}

ssize_t coroutine_fn
qemu_co_sendv_recvv(int sockfd, struct iovec *iov, unsigned iov_cnt,
                    size_t offset, size_t bytes, bool do_send)
{
    size_t moved = 0;

    while (moved < bytes) {
        ssize_t n = iov_send_recv(sockfd, iov, iov_cnt, offset + moved,
                                  bytes - moved, do_send);

        if (n > 0) {
            moved += n;
            continue;
        }
        if (n == 0) {
            if (!do_send) {
                break;      /* end of file */
            }
            continue;       /* a send that took nothing: just retry */
        }
        if (errno == EAGAIN || errno == EWOULDBLOCK) {
            qemu_coroutine_yield();
            continue;
        }
        /* A hard error: report it only if nothing was transferred. */
        if (moved == 0) {
            return -errno;
        }
        break;
    }
    return moved;
}

/* The single-buffer case is a one-element vector. */
ssize_t coroutine_fn qemu_co_send_recv(int sockfd, void *buf, size_t bytes,
                                       bool do_send)
{
    struct iovec one;

    one.iov_base = buf;
    one.iov_len = bytes;
    return qemu_co_sendv_recvv(sockfd, &one, 1, 0, bytes, do_send);
}
