/*
 * Documentation example (docs/main-loop.rst): one program driven by the
 * qemuutil main loop, serving an fd handler, a bottom half scheduled by a
 * worker thread, a periodic timer and a coroutine that visits an IOThread.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * Build: cc main-loop-example.c $(pkg-config --cflags --libs qemuutil)
 */
#include "qemu/osdep.h"
#include <glib-unix.h>
#include "qapi/error.h"
#include "qemu/coroutine.h"
#include "qemu/iothread.h"
#include "qemu/main-loop.h"
#include "qemu/thread.h"
#include "qemu/timer.h"

#define TICKS 3

/* Everything below is touched with the BQL held. */
typedef struct State {
    int pipe_rd;            /* read end, watched with qemu_set_fd_handler() */
    int pipe_wr;            /* write end, used by the worker thread */
    bool pipe_eof;
    int worker_value;       /* written by the worker under the BQL */
    bool bh_ran;
    int ticks;
    QEMUTimer *timer;
    IOThread *iothread;
    bool co_done;
} State;

/* fd handler: runs from main_loop_wait() while the pipe is readable. */
static void pipe_readable(void *opaque)
{
    State *s = opaque;
    char buf[64];
    ssize_t n = read(s->pipe_rd, buf, sizeof(buf) - 1);

    if (n > 0) {
        buf[n] = '\0';
        printf("fd handler: read \"%s\"\n", g_strchomp(buf));
        return;
    }
    if (n < 0 && errno == EAGAIN) {
        return;
    }
    /* End of file: remove the handler before closing its fd. */
    printf("fd handler: end of file\n");
    qemu_set_fd_handler(s->pipe_rd, NULL, NULL, NULL);
    close(s->pipe_rd);
    s->pipe_eof = true;
}

/* One-shot BH scheduled from the worker thread; runs in the main loop. */
static void worker_bh(void *opaque)
{
    State *s = opaque;

    printf("bottom half: the worker computed %d\n", s->worker_value);
    s->bh_ran = true;
}

static void *worker_thread(void *opaque)
{
    State *s = opaque;
    const char msg[] = "hello from the worker\n";

    /*
     * A plain thread takes the BQL to touch main-loop state.  It gets it
     * while the main thread sleeps in its poll.
     */
    bql_lock();
    s->worker_value = 6 * 7;
    bql_unlock();

    /* Thread-safe: queue the BH on the main AioContext and wake the loop. */
    aio_bh_schedule_oneshot(qemu_get_aio_context(), worker_bh, s);

    /* The fd handler sees these bytes, then end of file. */
    if (write(s->pipe_wr, msg, strlen(msg)) < 0) {
        perror("write");
    }
    close(s->pipe_wr);
    return NULL;
}

/* Main-loop timer (main_loop_tlg): runs in step 7 of main_loop_wait(). */
static void tick(void *opaque)
{
    State *s = opaque;

    printf("timer: tick %d\n", ++s->ticks);
    if (s->ticks < TICKS) {
        timer_mod(s->timer, qemu_clock_get_ms(QEMU_CLOCK_REALTIME) + 10);
    }
}

static void coroutine_fn co_body(void *opaque)
{
    State *s = opaque;
    uint64_t sum = 0;
    int i;

    /* A timer of the current AioContext (the main one) wakes us. */
    qemu_co_sleep_ns(QEMU_CLOCK_REALTIME, 5 * SCALE_MS);
    printf("coroutine: slept 5 ms in the main loop\n");

    /* Continue in the IOThread: this part runs without the BQL. */
    aio_co_reschedule_self(iothread_get_aio_context(s->iothread));
    for (i = 1; i <= 1000; i++) {
        sum += i;
    }
    g_assert(!bql_locked());

    /* And back: from here on the BQL is held again. */
    aio_co_reschedule_self(qemu_get_aio_context());
    g_assert(bql_locked());
    printf("coroutine: the IOThread summed 1..1000 = %" PRIu64 "\n", sum);
    s->co_done = true;
}

/* Entered from a BH, so that the coroutine starts inside the loop. */
static void start_coroutine(void *opaque)
{
    qemu_coroutine_enter(qemu_coroutine_create(co_body, opaque));
}

/* The loop's exit condition; evaluated with the BQL held. */
static bool all_done(void *opaque)
{
    State *s = opaque;

    return s->pipe_eof && s->bh_ran && s->ticks == TICKS && s->co_done;
}

int main(void)
{
    State s = { 0 };
    QemuThread worker;
    int fds[2];

    /* Before any thread is created: the signal mask is inherited. */
    qemu_init_main_loop(&error_fatal);
    g_assert(bql_locked());     /* the main thread now holds the BQL */

    if (pipe(fds) < 0) {
        perror("pipe");
        return 1;
    }
    s.pipe_rd = fds[0];
    s.pipe_wr = fds[1];
    g_unix_set_fd_nonblocking(s.pipe_rd, TRUE, NULL);
    qemu_set_fd_handler(s.pipe_rd, pipe_readable, NULL, &s);

    s.timer = timer_new_ms(QEMU_CLOCK_REALTIME, tick, &s);
    timer_mod(s.timer, qemu_clock_get_ms(QEMU_CLOCK_REALTIME) + 10);

    s.iothread = iothread_new();
    aio_bh_schedule_oneshot(qemu_get_aio_context(), start_coroutine, &s);
    qemu_thread_create(&worker, "worker", worker_thread, &s,
                       QEMU_THREAD_JOINABLE);

    qemu_main_loop_run_until(all_done, &s);

    qemu_thread_join(&worker);
    iothread_join(s.iothread);
    timer_free(s.timer);
    printf("all done\n");
    return 0;
}
