/*
 * qemuutil benchmarks: coroutines (life cycle, switch cost, cross-thread
 * scheduling, contended CoMutex).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * Group "coroutine", one operation per row:
 *   create+enter+terminate   qemu_coroutine_create() of an empty body and
 *                            the enter that runs it to the end (pooled);
 *   yield+enter              one qemu_coroutine_enter() plus the yield
 *                            that returns (two stack switches);
 *   aio_co_schedule round trip
 *                            coroutine A (thread 1) wakes B in thread 2's
 *                            AioContext, B wakes A back (aio_co_wake(),
 *                            i.e. aio_co_schedule() + the co_schedule BH);
 *   CoMutex contended        lock+unlock by coroutines in two threads
 *                            hammering one CoMutex (per lock/unlock pair).
 * Only API that QEMU 10.0's libqemuutil also has is used, so
 * scripts/bench-qemu-ref.sh can build this file against QEMU's original
 * and the "[qemu]" rows serve as references.
 *
 * Every case runs on fresh threads that get their own AioContext, since a
 * thread's current context can be set only once.
 */
#include "qemu/osdep.h"

#include "qapi/error.h"
#include "qemu/atomic.h"
#include "qemu/coroutine.h"
#include "qemu/rcu.h"
#include "block/aio.h"
#include "bench.h"

#define GROUP "coroutine"

/* Operations before the clock starts (pool, caches). */
#define CO_WARMUP 256

/* ------------------------------------------------------------------ */
/* Threads with an AioContext                                           */
/* ------------------------------------------------------------------ */

typedef struct FreshThread {
    double (*fn)(void *arg);
    void *arg;
    double ns;
} FreshThread;

static void *fresh_thread_main(void *opaque)
{
    FreshThread *ft = opaque;

    rcu_register_thread();
    ft->ns = ft->fn(ft->arg);
    rcu_unregister_thread();
    return NULL;
}

/* Runs @fn(@arg) on a new thread; returns its result. */
static double on_fresh_thread(double (*fn)(void *), void *arg)
{
    FreshThread ft = { .fn = fn, .arg = arg };
    pthread_t th;
    int ret = pthread_create(&th, NULL, fresh_thread_main, &ft);

    if (ret) {
        fprintf(stderr, "bench: pthread_create: %s\n", strerror(ret));
        abort();
    }
    pthread_join(th, NULL);
    return ft.ns;
}

/* A context that is the calling thread's current one. */
static AioContext *own_context(void)
{
    AioContext *ctx = aio_context_new(&error_abort);

    qemu_set_current_aio_context(ctx);
    return ctx;
}

/* ------------------------------------------------------------------ */
/* Single thread                                                        */
/* ------------------------------------------------------------------ */

static void coroutine_fn co_empty(void *opaque)
{
}

static double lifecycle_body(void *arg)
{
    uint64_t iters = *(uint64_t *)arg;
    uint64_t i, t0;

    for (i = 0; i < CO_WARMUP; i++) {
        qemu_coroutine_enter(qemu_coroutine_create(co_empty, NULL));
    }
    t0 = bench_now_ns();
    for (i = 0; i < iters; i++) {
        qemu_coroutine_enter(qemu_coroutine_create(co_empty, NULL));
    }
    return (double)(bench_now_ns() - t0) / iters;
}

static double lifecycle_run(const BenchCase *bc, uint64_t iters)
{
    return on_fresh_thread(lifecycle_body, &iters);
}

static void coroutine_fn co_yield_until(void *opaque)
{
    uint64_t *left = opaque;

    while (*left) {
        (*left)--;
        qemu_coroutine_yield();
    }
}

static double yield_body(void *arg)
{
    uint64_t iters = *(uint64_t *)arg;
    uint64_t left = iters + CO_WARMUP;
    Coroutine *co = qemu_coroutine_create(co_yield_until, &left);
    uint64_t t0 = 0;

    while (left) {
        if (left == iters) {
            t0 = bench_now_ns();
        }
        qemu_coroutine_enter(co);
    }
    /* left == 0: this enter lets the coroutine return. */
    qemu_coroutine_enter(co);
    return (double)(bench_now_ns() - t0) / iters;
}

static double yield_run(const BenchCase *bc, uint64_t iters)
{
    return on_fresh_thread(yield_body, &iters);
}

/* ------------------------------------------------------------------ */
/* Two threads                                                          */
/* ------------------------------------------------------------------ */

typedef struct TwoCtx {
    const BenchCase *bc;
    uint64_t iters;
    AioContext *ctx_a;      /* the measuring thread's */
    AioContext *ctx_b;      /* the partner's; published with release */
    bool stop_b;            /* set by a BH in ctx_b */
    /* ping-pong */
    Coroutine *co_a, *co_b;
    uint64_t rounds;
    bool done;              /* A finished: B should return */
    bool b_started, b_exited;
    /* CoMutex */
    CoMutex mutex;
    uint64_t per_side;
    int finished;
    bool lockers_done;
} TwoCtx;

static void stop_partner_bh(void *opaque)
{
    TwoCtx *tc = opaque;

    tc->stop_b = true;
}

static void *partner_main(void *opaque)
{
    TwoCtx *tc = opaque;
    AioContext *ctx;

    rcu_register_thread();
    ctx = own_context();
    /* Pairs with the load_acquire in two_ctx_start(). */
    qatomic_store_release(&tc->ctx_b, ctx);
    while (!tc->stop_b) {
        aio_poll(ctx, true);
    }
    aio_context_unref(ctx);
    rcu_unregister_thread();
    return NULL;
}

static bool two_ctx_start(TwoCtx *tc, BenchPair *pair)
{
    tc->ctx_a = own_context();
    if (!bench_pair_start(pair, tc->bc, partner_main, tc)) {
        aio_context_unref(tc->ctx_a);
        return false;
    }
    /* Pairs with the store_release in partner_main(). */
    while (!qatomic_load_acquire(&tc->ctx_b)) {
        sched_yield();
    }
    return true;
}

static void two_ctx_finish(TwoCtx *tc, BenchPair *pair)
{
    aio_bh_schedule_oneshot(tc->ctx_b, stop_partner_bh, tc);
    bench_pair_finish(pair);
    aio_context_unref(tc->ctx_a);
}

/*
 * Sets a flag from a BH of the measuring thread's context: that wakes its
 * aio_poll(), and once the flag is seen no BH is left pending.
 */
static void set_flag_bh(void *opaque)
{
    *(bool *)opaque = true;
}

/* Runs in ctx_b: answers every wake with one back to A. */
static void coroutine_fn co_pong(void *opaque)
{
    TwoCtx *tc = opaque;

    /* A wakes us only through ctx_b's BH, so after this yield. */
    qatomic_set(&tc->b_started, true);
    for (;;) {
        qemu_coroutine_yield();
        if (qatomic_read(&tc->done)) {
            break;
        }
        aio_co_wake(tc->co_a);
    }
    aio_bh_schedule_oneshot(tc->ctx_a, set_flag_bh, &tc->b_exited);
}

/* Runs in ctx_a: each round wakes B and waits for B's answer. */
static void coroutine_fn co_ping(void *opaque)
{
    TwoCtx *tc = opaque;

    while (tc->rounds) {
        tc->rounds--;
        /* B is entered by ctx_b's BH, after we have yielded here. */
        aio_co_wake(tc->co_b);
        qemu_coroutine_yield();
    }
    qatomic_set(&tc->done, true);
    aio_co_wake(tc->co_b);      /* lets B return */
}

static void run_ping_pong(TwoCtx *tc, uint64_t rounds)
{
    tc->rounds = rounds;
    tc->done = tc->b_started = tc->b_exited = false;
    tc->co_b = qemu_coroutine_create(co_pong, tc);
    tc->co_a = qemu_coroutine_create(co_ping, tc);
    /* B starts in its own thread and parks in its first yield. */
    aio_co_schedule(tc->ctx_b, tc->co_b);
    while (!qatomic_read(&tc->b_started)) {
        sched_yield();
    }
    qemu_coroutine_enter(tc->co_a);
    /* Both gone before the next run reuses @tc. */
    while (!tc->b_exited) {
        aio_poll(tc->ctx_a, true);
    }
}

static double schedule_body(void *arg)
{
    TwoCtx *tc = arg;
    BenchPair pair;
    uint64_t t0, t1;

    if (!two_ctx_start(tc, &pair)) {
        return 0;
    }
    run_ping_pong(tc, CO_WARMUP);
    t0 = bench_now_ns();
    run_ping_pong(tc, tc->iters);
    t1 = bench_now_ns();
    two_ctx_finish(tc, &pair);
    return (double)(t1 - t0) / tc->iters;
}

static double schedule_run(const BenchCase *bc, uint64_t iters)
{
    TwoCtx tc = { .bc = bc, .iters = iters };

    return on_fresh_thread(schedule_body, &tc);
}

/* One side of the CoMutex case; runs in its own context's thread. */
static void coroutine_fn co_locker(void *opaque)
{
    TwoCtx *tc = opaque;
    uint64_t i;

    for (i = 0; i < tc->per_side; i++) {
        qemu_co_mutex_lock(&tc->mutex);
        qemu_co_mutex_unlock(&tc->mutex);
    }
    if (qatomic_fetch_inc(&tc->finished) == 1) {
        /* Last one out: make sure the measuring thread wakes up. */
        aio_bh_schedule_oneshot(tc->ctx_a, set_flag_bh, &tc->lockers_done);
    }
}

static void run_lockers(TwoCtx *tc, uint64_t per_side)
{
    tc->per_side = per_side;
    tc->finished = 0;
    tc->lockers_done = false;
    aio_co_schedule(tc->ctx_b, qemu_coroutine_create(co_locker, tc));
    qemu_coroutine_enter(qemu_coroutine_create(co_locker, tc));
    while (!tc->lockers_done) {
        aio_poll(tc->ctx_a, true);
    }
}

static double comutex_body(void *arg)
{
    TwoCtx *tc = arg;
    BenchPair pair;
    uint64_t per_side = MAX(tc->iters / 2, 1);
    uint64_t t0, t1;

    qemu_co_mutex_init(&tc->mutex);
    if (!two_ctx_start(tc, &pair)) {
        return 0;
    }
    run_lockers(tc, CO_WARMUP);
    t0 = bench_now_ns();
    run_lockers(tc, per_side);
    t1 = bench_now_ns();
    two_ctx_finish(tc, &pair);
    return (double)(t1 - t0) / (2 * per_side);
}

static double comutex_run(const BenchCase *bc, uint64_t iters)
{
    TwoCtx tc = { .bc = bc, .iters = iters };

    return on_fresh_thread(comutex_body, &tc);
}

/* ------------------------------------------------------------------ */
/* Registration                                                         */
/* ------------------------------------------------------------------ */

static void register_coroutine(void)
{
    BenchCase lifecycle = {
        .group = GROUP,
        .name = "create+enter+terminate",
        .ref = "create+enter+terminate [qemu]",
        .fn = lifecycle_run,
    };
    BenchCase yield = {
        .group = GROUP,
        .name = "yield+enter",
        .ref = "yield+enter [qemu]",
        .fn = yield_run,
    };
    BenchCase schedule = {
        .group = GROUP,
        .name = "aio_co_schedule round trip",
        .ref = "aio_co_schedule round trip%p [qemu];"
               "wake/oneshot BH round trip%p",
        .fn = schedule_run,
    };
    BenchCase comutex = {
        .group = GROUP,
        .name = "CoMutex contended, 2 threads",
        .ref = "CoMutex contended, 2 threads%p [qemu]",
        .fn = comutex_run,
    };

    bench_describe_group(GROUP,
        "Coroutines. create+enter+terminate: a pooled empty coroutine run "
        "to its end; yield+enter: one enter and the yield back; "
        "aio_co_schedule round trip: A wakes B in another thread's "
        "AioContext and B wakes A back; CoMutex contended: one lock+unlock "
        "while a coroutine in a second thread does the same.  Reference: "
        "the same row built against QEMU 10.0.13 ([qemu]).");
    bench_register(&lifecycle);
    bench_register(&yield);
    bench_register_pinned(&schedule, BENCH_PIN_MASK(BENCH_PIN_SAME) |
                                     BENCH_PIN_MASK(BENCH_PIN_TWO));
    bench_register_pinned(&comutex, BENCH_PIN_MASK(BENCH_PIN_SAME) |
                                    BENCH_PIN_MASK(BENCH_PIN_TWO));
}

BENCH_INIT(register_coroutine)
