/*
 * qemuutil benchmarks: the AioContext thread pool (block/thread-pool.h).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * Group "threadpool": 1 op = one thread_pool_submit_aio() of a function
 * that does nothing, until its completion callback has run in the
 * submitting context:
 *   round trip   one request in flight: submit, then aio_poll(ctx, true)
 *                until the callback ran (worker wake-up, completion BH,
 *                event-loop wake-up: two cross-thread hand-offs);
 *   batch of 64  64 requests submitted back to back, then polled until all
 *                completed; the cost per request when the hand-offs are
 *                shared.
 * The limit for the round trip is sync/raw eventfd ping-pong (two
 * hand-offs through the kernel with nothing else).  Only API that QEMU's
 * original library has too is used, so the file can be linked against it
 * for the "[qemu]" rows.
 *
 * Every measurement runs on a fresh thread with its own AioContext (made
 * its current context), so its pool starts empty; warm-up requests create
 * the workers before the clock starts.  Pinning that thread pins the
 * workers too: the pool creates them from a BH in that thread, and new
 * threads inherit their creator's affinity.
 */
#include "qemu/osdep.h"

#include "qapi/error.h"
#include "qemu/atomic.h"
#include "qemu/rcu.h"
#include "block/aio.h"
#include "block/thread-pool.h"
#include "bench.h"

#ifdef BENCH_QEMU_REF
#define LIB_LABEL "QEMU 10.0.13"
#else
#define LIB_LABEL "qemuutil"
#endif

#define BENCH_GROUP_POOL "threadpool"
#define POOL_WARMUP 256
#define POOL_BATCH 64

typedef struct PoolRun {
    const BenchCase *bc;
    uint64_t iters;
    unsigned batch;             /* requests in flight per step */
    AioContext *ctx;
    unsigned pending;           /* home thread only */
    double ns;
} PoolRun;

static int pool_nop(void *opaque)
{
    return 0;
}

static void pool_done(void *opaque, int ret)
{
    PoolRun *st = opaque;

    st->pending--;
}

/* Submit @n requests and wait until every callback ran. */
static void pool_step(PoolRun *st, unsigned n)
{
    unsigned i;

    st->pending = n;
    for (i = 0; i < n; i++) {
        thread_pool_submit_aio(pool_nop, NULL, pool_done, st);
    }
    while (st->pending) {
        aio_poll(st->ctx, true);
    }
}

static void *pool_home(void *opaque)
{
    PoolRun *st = opaque;
    uint64_t i, steps, t0, t1;
    int cpus[2];

    rcu_register_thread();
    if (st->bc->pin != BENCH_PIN_NONE) {
        if (bench_pick_cpus(st->bc->pin, cpus) < 0) {
            bench_skip("needs more CPUs");
            goto out;
        }
        bench_pin_thread(pthread_self(), cpus[0]);
    }
    st->ctx = aio_context_new(&error_abort);
    qemu_set_current_aio_context(st->ctx);

    for (i = 0; i < POOL_WARMUP; i++) {
        pool_step(st, st->batch);
    }
    steps = MAX(st->iters / st->batch, 1);
    t0 = bench_now_ns();
    for (i = 0; i < steps; i++) {
        pool_step(st, st->batch);
    }
    t1 = bench_now_ns();
    st->ns = (double)(t1 - t0) / (steps * st->batch);

    /* Finalizing the context stops the pool's workers. */
    aio_context_unref(st->ctx);
out:
    rcu_unregister_thread();
    return NULL;
}

static double pool_run(const BenchCase *bc, uint64_t iters)
{
    PoolRun st = {
        .bc = bc,
        .iters = iters,
        .batch = GPOINTER_TO_UINT(bc->opaque),
    };
    pthread_t th;
    int ret;

    /* A thread can be given a current context only once: use a new one. */
    ret = pthread_create(&th, NULL, pool_home, &st);
    if (ret) {
        fprintf(stderr, "bench: pthread_create: %s\n", strerror(ret));
        abort();
    }
    pthread_join(th, NULL);
    return st.ns;
}

static void register_threadpool(void)
{
    BenchCase round_trip = {
        .group = BENCH_GROUP_POOL,
        .name = "submit->completion round trip",
        .label = LIB_LABEL,
        .ref = "submit->completion round trip%p [qemu];"
               "sync/raw eventfd ping-pong%p",
        .fn = pool_run,
        .opaque = GUINT_TO_POINTER(1),
    };
    BenchCase batch = {
        .group = BENCH_GROUP_POOL,
        .name = "submit->completion, batches of 64",
        .label = LIB_LABEL " batch",
        .ref = "submit->completion, batches of 64%p [qemu];"
               "submit->completion round trip%p",
        .fn = pool_run,
        .opaque = GUINT_TO_POINTER(POOL_BATCH),
    };

    bench_describe_group(BENCH_GROUP_POOL,
        "1 op = thread_pool_submit_aio() of an empty function until its "
        "callback ran in the submitting AioContext (own thread and context "
        "per run, workers warmed up). Round trip: one request in flight; "
        "limit: sync/raw eventfd ping-pong. Batches: 64 in flight, cost per "
        "request.");
    bench_register_pinned(&round_trip, BENCH_PIN_MASK(BENCH_PIN_NONE) |
                                       BENCH_PIN_MASK(BENCH_PIN_SAME));
    bench_register_pinned(&batch, BENCH_PIN_MASK(BENCH_PIN_NONE) |
                                  BENCH_PIN_MASK(BENCH_PIN_SAME));
}

BENCH_INIT(register_threadpool)
