/*
 * Documentation example (docs/coroutines.rst): a reader coroutine takes
 * numbers from a socket and hands them through a CoQueue to two worker
 * coroutines, which square them in the thread pool and pace themselves
 * with a timer.  One AioContext, driven by aio_poll(); no main loop.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * Build: cc coroutine-example.c $(pkg-config --cflags --libs qemuutil)
 */
#include "qemu/osdep.h"
#include <glib-unix.h>
#include <sys/socket.h>
#include "qapi/error.h"
#include "qemu/coroutine.h"
#include "qemu/thread.h"
#include "qemu/timer.h"
#include "block/aio.h"
#include "block/thread-pool.h"

#define NUMBERS 10
#define WORKERS 2

/*
 * Shared by the coroutines.  They all run in one thread, but each of
 * them yields in the middle of its work, so a CoMutex still guards what
 * must not change across a yield.
 */
typedef struct Pipeline {
    int sock;                   /* non-blocking, read by the reader */
    CoMutex lock;
    CoQueue have_work;          /* workers wait here; protected by lock */
    uint32_t pending[NUMBERS];  /* protected by lock */
    int npending;               /* protected by lock */
    bool eof;                   /* protected by lock */
    uint64_t total;             /* protected by lock */
    int running;                /* worker coroutines still running */
} Pipeline;

/* Runs in a pool thread: may block, must not touch the coroutines' data. */
static int square(void *opaque)
{
    uint32_t *n = opaque;

    /* Pool threads have no AioContext of their own. */
    g_assert(qemu_get_current_aio_context() == NULL);
    return *n * *n;
}

static void coroutine_fn reader(void *opaque)
{
    Pipeline *p = opaque;
    uint32_t n;
    ssize_t len;

    for (;;) {
        /* Sleep (the whole event loop keeps running) until data comes. */
        yield_until_fd_readable(p->sock);
        while ((len = recv(p->sock, &n, sizeof(n), 0)) == sizeof(n)) {
            qemu_co_mutex_lock(&p->lock);
            p->pending[p->npending++] = n;
            /* Queued: the worker runs once this coroutine yields. */
            qemu_co_queue_next(&p->have_work);
            qemu_co_mutex_unlock(&p->lock);
        }
        if (len == 0) {
            break;              /* the writer closed its end */
        }
        g_assert(len < 0 && errno == EAGAIN);
    }

    qemu_co_mutex_lock(&p->lock);
    p->eof = true;
    qemu_co_queue_restart_all(&p->have_work);
    qemu_co_mutex_unlock(&p->lock);
}

static void coroutine_fn worker(void *opaque)
{
    Pipeline *p = opaque;
    uint32_t n;
    int sq;

    for (;;) {
        qemu_co_mutex_lock(&p->lock);
        while (p->npending == 0 && !p->eof) {
            /* Drops the lock while waiting, like a condition variable. */
            qemu_co_queue_wait(&p->have_work, &p->lock);
        }
        if (p->npending == 0) {
            qemu_co_mutex_unlock(&p->lock);
            break;
        }
        n = p->pending[--p->npending];
        qemu_co_mutex_unlock(&p->lock);

        /* Never block in a coroutine: offload, yield, get the result. */
        sq = thread_pool_submit_co(square, &n);

        /* Pace the work: a timer in this AioContext wakes us. */
        qemu_co_sleep_ns(QEMU_CLOCK_REALTIME, 1 * SCALE_MS);

        qemu_co_mutex_lock(&p->lock);
        p->total += sq;
        qemu_co_mutex_unlock(&p->lock);
    }
    p->running--;
}

/* A plain thread playing the client: writes 1..NUMBERS, then closes. */
static void *writer_thread(void *opaque)
{
    int fd = (intptr_t)opaque;
    uint32_t i;

    for (i = 1; i <= NUMBERS; i++) {
        if (write(fd, &i, sizeof(i)) != sizeof(i)) {
            perror("write");
            abort();
        }
    }
    close(fd);
    return NULL;
}

int main(void)
{
    Pipeline p = { .running = WORKERS };
    QemuThread writer;
    AioContext *ctx;
    int sv[2], i;

    /* Timers need running clocks; no main loop, so no notify callback. */
    init_clocks(NULL);
    ctx = aio_context_new(&error_abort);
    qemu_set_current_aio_context(ctx);

    if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0) {
        perror("socketpair");
        return 1;
    }
    p.sock = sv[0];
    g_unix_set_fd_nonblocking(p.sock, TRUE, NULL);
    qemu_co_mutex_init(&p.lock);
    qemu_co_queue_init(&p.have_work);

    /* Each runs until its first yield, then the loop takes over. */
    for (i = 0; i < WORKERS; i++) {
        qemu_coroutine_enter(qemu_coroutine_create(worker, &p));
    }
    qemu_coroutine_enter(qemu_coroutine_create(reader, &p));

    qemu_thread_create(&writer, "writer", writer_thread,
                       (void *)(intptr_t)sv[1], QEMU_THREAD_JOINABLE);

    while (p.running > 0) {
        aio_poll(ctx, true);
    }

    qemu_thread_join(&writer);
    close(p.sock);
    printf("sum of squares 1..%d = %" PRIu64 "\n", NUMBERS, p.total);
    g_assert(p.total == NUMBERS * (NUMBERS + 1) * (2 * NUMBERS + 1) / 6);
    aio_context_unref(ctx);
    return 0;
}
