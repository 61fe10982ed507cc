/*
 * qemuutil: tests for the thread pools (block/thread-pool.h).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * What is checked, hardest first: cancellation (only queued requests stop,
 * callbacks always run once, from the completion BH, and bdrv_aio_cancel()
 * really waits), a cancel/claim race stress, nested aio_poll() in a
 * completion callback, completion in the submitting context (main loop and
 * IOThreads), plain submission (aio, coroutine, many, no callback), the
 * worker-count bounds of aio_context_set_thread_pool_params() (counted as
 * live "worker" threads, in a subprocess of their own), and the generic
 * GThreadPool-based ThreadPool.
 *
 * Blocking work waits on a Gate the test opens, never on a timer; the main
 * thread waits by polling its AioContext, which the workers kick.
 */
#include "qemu/osdep.h"
#include <sched.h>
#include "block/aio.h"
#include "block/block.h"
#include "block/thread-pool.h"
#include "qapi/error.h"
#include "qemu/coroutine.h"
#include "qemu/defer-call.h"
#include "qemu/main-loop.h"
#include "qemu/thread.h"
#include "iothread.h"

static AioContext *main_ctx;
static QemuThread main_thread;

/* ------------------------------------------------------------------ */
/* Gate: work that blocks until the test lets it go                    */
/* ------------------------------------------------------------------ */

typedef struct {
    QemuMutex lock;
    QemuCond cond;
    AioContext *kick;           /* notified on every change, if set */
    /* protected by lock */
    int running;
    int peak;
    bool open;
} Gate;

static void gate_init(Gate *g, AioContext *kick)
{
    memset(g, 0, sizeof(*g));
    qemu_mutex_init(&g->lock);
    qemu_cond_init(&g->cond);
    g->kick = kick;
}

static void gate_destroy(Gate *g)
{
    qemu_cond_destroy(&g->cond);
    qemu_mutex_destroy(&g->lock);
}

/* Worker side: count ourselves as running and block until open. */
static void gate_pass(Gate *g)
{
    qemu_mutex_lock(&g->lock);
    g->running++;
    g->peak = MAX(g->peak, g->running);
    qemu_cond_broadcast(&g->cond);
    if (g->kick) {
        aio_notify(g->kick);
    }
    while (!g->open) {
        qemu_cond_wait(&g->cond, &g->lock);
    }
    g->running--;
    qemu_mutex_unlock(&g->lock);
}

static void gate_open(Gate *g)
{
    qemu_mutex_lock(&g->lock);
    g->open = true;
    qemu_cond_broadcast(&g->cond);
    qemu_mutex_unlock(&g->lock);
}

static int gate_running(Gate *g)
{
    int n;

    qemu_mutex_lock(&g->lock);
    n = g->running;
    qemu_mutex_unlock(&g->lock);
    return n;
}

static int gate_peak(Gate *g)
{
    int n;

    qemu_mutex_lock(&g->lock);
    n = g->peak;
    qemu_mutex_unlock(&g->lock);
    return n;
}

/* Block (without an event loop) until @n workers are inside the gate. */
static void gate_wait_running(Gate *g, int n)
{
    qemu_mutex_lock(&g->lock);
    while (g->running < n) {
        qemu_cond_wait(&g->cond, &g->lock);
    }
    qemu_mutex_unlock(&g->lock);
}

/* Run @ctx (the caller's) until @n workers are inside the gate. */
static void gate_poll_running(Gate *g, AioContext *ctx, int n)
{
    while (gate_running(g) < n) {
        aio_poll(ctx, true);
    }
}

/* ------------------------------------------------------------------ */
/* Jobs                                                                */
/* ------------------------------------------------------------------ */

enum {
    JOB_QUEUED = 0,
    JOB_RUNNING = 1,
    JOB_FINISHED = 3,           /* RUNNING | 2 */
    JOB_CLAIMED = 4,            /* the test decided to cancel it */
};

typedef struct {
    Gate *gate;                 /* NULL: do not block */
    AioContext *ctx;            /* expected completion context */
    BlockAIOCB *acb;
    int state;                  /* atomic, JOB_* */
    int ran;                    /* atomic: times the function was entered */
    int result;                 /* what the function returns */
    int ret;                    /* what the callback got */
    int calls;                  /* callback count */
    int *active;                /* decremented by the callback if set */
    bool wrong_context;
} Job;

static void job_init(Job *job, Gate *gate, AioContext *ctx, int *active)
{
    memset(job, 0, sizeof(*job));
    job->gate = gate;
    job->ctx = ctx;
    job->active = active;
    job->result = 0;
    job->ret = -EINPROGRESS;
}

/* ThreadPoolFunc: block at the gate unless the test claimed us first. */
static int job_func(void *opaque)
{
    Job *job = opaque;
    /*
     * Read everything we need before publishing JOB_FINISHED: a test that
     * sees it may return and free (or reuse the stack of) @job.
     */
    AioContext *ctx = job->ctx;
    int result = job->result;

    qatomic_inc(&job->ran);
    if (qatomic_cmpxchg(&job->state, JOB_QUEUED, JOB_RUNNING) == JOB_QUEUED) {
        if (job->gate) {
            gate_pass(job->gate);
        }
        /* Release (seq_cst RMW): pairs with job_finished()'s acquire. */
        qatomic_or(&job->state, 2);
    }
    if (ctx) {
        aio_notify(ctx);
    }
    return result;
}

/*
 * Has job_func() finished with @job?  Load-acquire, pairing with the
 * qatomic_or() in job_func(), so that a test that saw JOB_FINISHED also
 * sees what the function did (job->ran) without a completion callback
 * in between.
 */
static bool job_finished(Job *job)
{
    return qatomic_load_acquire(&job->state) == JOB_FINISHED;
}

/* BlockCompletionFunc: record the result and where we were called. */
static void job_done(void *opaque, int ret)
{
    Job *job = opaque;

    if (qemu_get_current_aio_context() != job->ctx) {
        job->wrong_context = true;
    }
    job->ret = ret;
    job->calls++;
    job->acb = NULL;
    if (job->active) {
        (*job->active)--;
    }
}

static void submit_job(Job *job)
{
    job->acb = thread_pool_submit_aio(job_func, job, job_done, job);
}

/* ------------------------------------------------------------------ */
/* Cancellation                                                        */
/* ------------------------------------------------------------------ */

#define CANCEL_JOBS 100

static void open_gate_bh(void *opaque)
{
    gate_open(opaque);
}

static void run_cancel_test(bool sync)
{
    Job jobs[CANCEL_JOBS];
    Gate gate;
    int active = CANCEL_JOBS;
    int cancelled = 0;
    bool first_running = true;
    int i;

    gate_init(&gate, main_ctx);
    for (i = 0; i < CANCEL_JOBS; i++) {
        job_init(&jobs[i], &gate, main_ctx, &active);
        submit_job(&jobs[i]);
    }

    /*
     * Every worker the pool may have ends up blocked at the gate, so the
     * rest stay queued; nobody completes while the gate is shut.
     */
    gate_poll_running(&gate, main_ctx, THREAD_POOL_MAX_THREADS_DEFAULT);
    g_assert_cmpint(active, ==, CANCEL_JOBS);

    for (i = 0; i < CANCEL_JOBS; i++) {
        Job *job = &jobs[i];

        if (qatomic_cmpxchg(&job->state, JOB_QUEUED, JOB_CLAIMED) !=
            JOB_QUEUED) {
            continue;
        }
        cancelled++;
        if (sync) {
            /* Returns only once the callback has run. */
            bdrv_aio_cancel(job->acb);
            g_assert_cmpint(job->calls, ==, 1);
            g_assert_cmpint(job->ret, ==, -ECANCELED);
        } else {
            /* The callback comes later, from the completion BH. */
            bdrv_aio_cancel_async(job->acb);
            g_assert_cmpint(job->calls, ==, 0);
        }
    }
    g_assert_cmpint(cancelled, ==,
                    CANCEL_JOBS - THREAD_POOL_MAX_THREADS_DEFAULT);

    /* Running requests cannot be stopped: they complete normally. */
    for (i = 0; i < CANCEL_JOBS; i++) {
        Job *job = &jobs[i];

        if (qatomic_read(&job->state) == JOB_CLAIMED) {
            continue;
        }
        if (!sync) {
            bdrv_aio_cancel_async(job->acb);
            continue;
        }
        if (first_running) {
            /*
             * The gate opens from inside bdrv_aio_cancel()'s wait, which
             * must therefore really run the main loop until the request
             * has finished and its callback ran.
             */
            aio_bh_schedule_oneshot(main_ctx, open_gate_bh, &gate);
            first_running = false;
        }
        if (job->acb) {
            bdrv_aio_cancel(job->acb);
        }
        g_assert_cmpint(job->calls, ==, 1);
        g_assert_cmpint(job->ret, ==, 0);
    }
    gate_open(&gate);
    while (active > 0) {
        aio_poll(main_ctx, true);
    }

    for (i = 0; i < CANCEL_JOBS; i++) {
        Job *job = &jobs[i];

        g_assert(job->acb == NULL);
        g_assert_cmpint(job->calls, ==, 1);
        g_assert_false(job->wrong_context);
        switch (qatomic_read(&job->state)) {
        case JOB_FINISHED:
            g_assert_cmpint(job->ret, ==, 0);
            g_assert_cmpint(job->ran, ==, 1);
            break;
        case JOB_CLAIMED:
            g_assert_cmpint(job->ret, ==, -ECANCELED);
            g_assert_cmpint(job->ran, ==, 0);
            break;
        default:
            g_assert_not_reached();
        }
    }
    g_assert_cmpint(gate_peak(&gate), ==, THREAD_POOL_MAX_THREADS_DEFAULT);
    gate_destroy(&gate);
}

/* bdrv_aio_cancel(): each cancellation waits for its callback. */
static void test_cancel(void)
{
    run_cancel_test(true);
}

/* bdrv_aio_cancel_async(): callbacks come later, from the BH. */
static void test_cancel_async(void)
{
    run_cancel_test(false);
}

/*
 * Cancel right after submitting, racing with idle workers claiming the
 * request: a request must either be cancelled without its function ever
 * running, or run and complete with its result, never both.  Runs in the
 * calling thread's context (the main loop or an IOThread).
 */
#define RACE_ROUNDS 2048
#define RACE_GROUP 16

static void cancel_race(AioContext *ctx)
{
    Job *jobs = g_new(Job, RACE_ROUNDS);
    int active = RACE_ROUNDS;
    int i, cancelled = 0;

    /*
     * Warm the pool up first: with no worker yet, everything would be
     * cancelled before the spawn BH even runs, and nothing would race.
     */
    for (i = 0; i < 8; i++) {
        job_init(&jobs[i], NULL, ctx, &active);
        submit_job(&jobs[i]);
    }
    while (active > RACE_ROUNDS - 8) {
        aio_poll(ctx, true);
    }
    active = RACE_ROUNDS;

    /*
     * Submit in groups and then cancel the group in order: the first of a
     * group have had time to be claimed by a worker, the last usually not,
     * so the cancellations hit every stage of a request's life.
     */
    for (i = 0; i < RACE_ROUNDS; i++) {
        job_init(&jobs[i], NULL, ctx, &active);
        jobs[i].result = 7;
        submit_job(&jobs[i]);
        if (i % RACE_GROUP == RACE_GROUP - 1) {
            int j;

            /*
             * Every other group, give the workers (which may share our
             * CPU) a chance to run first.
             */
            if ((i / RACE_GROUP) % 2) {
                sched_yield();
            }
            for (j = i + 1 - RACE_GROUP; j <= i; j++) {
                if (jobs[j].acb) {
                    bdrv_aio_cancel_async(jobs[j].acb);
                }
            }
            while (aio_poll(ctx, false)) {
                /* drain what has completed so far */
            }
        }
    }
    while (active > 0) {
        aio_poll(ctx, true);
    }
    for (i = 0; i < RACE_ROUNDS; i++) {
        g_assert_cmpint(jobs[i].calls, ==, 1);
        g_assert_false(jobs[i].wrong_context);
        if (jobs[i].ret == -ECANCELED) {
            g_assert_cmpint(qatomic_read(&jobs[i].ran), ==, 0);
            cancelled++;
        } else {
            g_assert_cmpint(jobs[i].ret, ==, 7);
            g_assert_cmpint(qatomic_read(&jobs[i].ran), ==, 1);
        }
    }
    g_test_message("%d of %d cancelled", cancelled, RACE_ROUNDS);
    g_free(jobs);
}

typedef struct {
    QemuEvent done;
} RaceThread;

static void cancel_race_bh(void *opaque)
{
    RaceThread *rt = opaque;

    cancel_race(qemu_get_current_aio_context());
    qemu_event_set(&rt->done);
}

static void test_cancel_race(void)
{
    IOThread *iothreads[2];
    RaceThread rt[2];
    int i;

    for (i = 0; i < 2; i++) {
        iothreads[i] = iothread_new();
        qemu_event_init(&rt[i].done, false);
        aio_bh_schedule_oneshot(iothread_get_aio_context(iothreads[i]),
                                cancel_race_bh, &rt[i]);
    }
    cancel_race(main_ctx);
    for (i = 0; i < 2; i++) {
        qemu_event_wait(&rt[i].done);
        qemu_event_destroy(&rt[i].done);
        /* Finalizes the context, which stops its pool's workers. */
        iothread_join(iothreads[i]);
    }
}

/* ------------------------------------------------------------------ */
/* Nested aio_poll() in a completion callback                          */
/* ------------------------------------------------------------------ */

typedef struct {
    Job first;
    Job second;
    Gate second_gate;
    bool nested_done;
} NestedTest;

static void nested_first_done(void *opaque, int ret)
{
    NestedTest *t = opaque;

    job_done(&t->first, ret);
    /* Wait for a request completing while we are still in our callback. */
    gate_open(&t->second_gate);
    while (t->second.calls == 0) {
        aio_poll(main_ctx, true);
    }
    t->nested_done = true;
}

static void test_nested_poll(void)
{
    NestedTest t;

    gate_init(&t.second_gate, main_ctx);
    job_init(&t.first, NULL, main_ctx, NULL);
    job_init(&t.second, &t.second_gate, main_ctx, NULL);
    t.nested_done = false;

    thread_pool_submit_aio(job_func, &t.first, nested_first_done, &t);
    submit_job(&t.second);
    while (!t.nested_done) {
        aio_poll(main_ctx, true);
    }
    g_assert_cmpint(t.first.calls, ==, 1);
    g_assert_cmpint(t.second.calls, ==, 1);
    g_assert_cmpint(t.second.ret, ==, 0);
    gate_destroy(&t.second_gate);
}

/*
 * Both functions return at about the same time, usually before the
 * completion BH runs: whichever callback comes first and has to wait for
 * the other must get it from its nested aio_poll().
 */
static void test_nested_poll_both_done(void)
{
    NestedTest t;
    Gate gate;

    gate_init(&gate, main_ctx);
    gate_init(&t.second_gate, main_ctx);
    job_init(&t.first, &gate, main_ctx, NULL);
    job_init(&t.second, &gate, main_ctx, NULL);
    t.nested_done = false;

    thread_pool_submit_aio(job_func, &t.first, nested_first_done, &t);
    submit_job(&t.second);
    /* Nothing can complete while both are inside the gate. */
    gate_poll_running(&gate, main_ctx, 2);
    gate_open(&gate);
    /* Let both finish without running the completion BH. */
    while (!job_finished(&t.first) || !job_finished(&t.second)) {
        sched_yield();
    }
    while (!t.nested_done) {
        aio_poll(main_ctx, true);
    }
    g_assert_cmpint(t.first.calls, ==, 1);
    g_assert_cmpint(t.second.calls, ==, 1);
    gate_destroy(&t.second_gate);
    gate_destroy(&gate);
}

/* ------------------------------------------------------------------ */
/* Submission                                                          */
/* ------------------------------------------------------------------ */

static void test_submit_aio(void)
{
    Job job;

    job_init(&job, NULL, main_ctx, NULL);
    job.result = 42;
    submit_job(&job);
    g_assert_nonnull(job.acb);
    /* Not called until the submitting thread runs its event loop. */
    g_assert_cmpint(job.calls, ==, 0);
    while (job.calls == 0) {
        aio_poll(main_ctx, true);
    }
    g_assert_cmpint(job.calls, ==, 1);
    g_assert_cmpint(job.ret, ==, 42);
    g_assert_cmpint(job.ran, ==, 1);
    g_assert_false(job.wrong_context);
}

/* The callback is never called from inside the submission. */
static void test_submit_aio_not_early(void)
{
    Job job;
    Gate gate;

    gate_init(&gate, main_ctx);
    job_init(&job, &gate, main_ctx, NULL);
    submit_job(&job);
    gate_poll_running(&gate, main_ctx, 1);
    gate_open(&gate);
    /* Wait for the function to return without delivering completions. */
    while (!job_finished(&job)) {
        g_assert_cmpint(job.calls, ==, 0);
        aio_poll(main_ctx, true);
    }
    while (job.calls == 0) {
        aio_poll(main_ctx, true);
    }
    g_assert_cmpint(job.ret, ==, 0);
    gate_destroy(&gate);
}

static void test_submit_no_complete(void)
{
    Job job;

    job_init(&job, NULL, main_ctx, NULL);
    thread_pool_submit_aio(job_func, &job, NULL, NULL);
    while (!job_finished(&job)) {
        aio_poll(main_ctx, true);
    }
    g_assert_cmpint(job.ran, ==, 1);
    g_assert_cmpint(job.calls, ==, 0);
    /* Let the completion BH free the request. */
    while (aio_poll(main_ctx, false)) {
        /* nothing */
    }
}

static void test_submit_many(void)
{
    enum { N = 500 };
    Job *jobs = g_new(Job, N);
    int active = N;
    int i;

    for (i = 0; i < N; i++) {
        job_init(&jobs[i], NULL, main_ctx, &active);
        jobs[i].result = i;
        submit_job(&jobs[i]);
    }
    while (active > 0) {
        aio_poll(main_ctx, true);
    }
    for (i = 0; i < N; i++) {
        g_assert_cmpint(jobs[i].calls, ==, 1);
        g_assert_cmpint(jobs[i].ret, ==, i);
        g_assert_cmpint(jobs[i].ran, ==, 1);
        g_assert_false(jobs[i].wrong_context);
    }
    g_free(jobs);
}

typedef struct {
    Job job;
    int ret;
    bool returned;
    bool wrong_context;
} CoTest;

static void coroutine_fn co_submit(void *opaque)
{
    CoTest *t = opaque;

    t->ret = thread_pool_submit_co(job_func, &t->job);
    /* Re-entered from the completion BH of the submitting context. */
    if (qemu_get_current_aio_context() != t->job.ctx) {
        t->wrong_context = true;
    }
    t->returned = true;
}

static void test_submit_co(void)
{
    CoTest t = { 0 };
    Coroutine *co;

    job_init(&t.job, NULL, main_ctx, NULL);
    t.job.result = 1234;
    co = qemu_coroutine_create(co_submit, &t);
    qemu_coroutine_enter(co);
    /* The coroutine yielded; it cannot have been woken up already. */
    g_assert_false(t.returned);
    while (!t.returned) {
        aio_poll(main_ctx, true);
    }
    g_assert_cmpint(t.ret, ==, 1234);
    g_assert_false(t.wrong_context);
    g_assert_true(qemu_thread_is_self(&main_thread));
}

/* ------------------------------------------------------------------ */
/* Completion in an IOThread                                           */
/* ------------------------------------------------------------------ */

typedef struct {
    AioContext *ctx;
    QemuThread thread;
    Job jobs[50];
    CoTest co;
    int active;
    bool wrong_thread;
    bool same_pool_as_main;
    QemuEvent done;
} IOThreadTest;

static void iothread_check_done(IOThreadTest *t)
{
    if (t->active == 0 && t->co.returned) {
        qemu_event_set(&t->done);
    }
}

static void iothread_job_done(void *opaque, int ret)
{
    Job *job = opaque;
    IOThreadTest *t = container_of(job->active, IOThreadTest, active);

    job_done(job, ret);
    if (!qemu_thread_is_self(&t->thread)) {
        t->wrong_thread = true;
    }
    iothread_check_done(t);
}

static void coroutine_fn iothread_co(void *opaque)
{
    IOThreadTest *t = opaque;

    co_submit(&t->co);
    if (!qemu_thread_is_self(&t->thread)) {
        t->wrong_thread = true;
    }
    iothread_check_done(t);
}

static void iothread_submit_bh(void *opaque)
{
    IOThreadTest *t = opaque;
    int i;

    qemu_thread_get_self(&t->thread);
    g_assert(qemu_get_current_aio_context() == t->ctx);
    t->same_pool_as_main =
        aio_get_thread_pool(t->ctx) == aio_get_thread_pool(main_ctx);
    for (i = 0; i < ARRAY_SIZE(t->jobs); i++) {
        job_init(&t->jobs[i], NULL, t->ctx, &t->active);
        t->jobs[i].result = i;
        t->jobs[i].acb = thread_pool_submit_aio(job_func, &t->jobs[i],
                                                iothread_job_done,
                                                &t->jobs[i]);
    }
    qemu_coroutine_enter(qemu_coroutine_create(iothread_co, t));
}

static void test_iothread_completion(void)
{
    IOThread *iothread = iothread_new();
    IOThreadTest *t = g_new0(IOThreadTest, 1);
    int i;

    t->ctx = iothread_get_aio_context(iothread);
    t->active = ARRAY_SIZE(t->jobs);
    job_init(&t->co.job, NULL, t->ctx, NULL);
    t->co.job.result = 99;
    qemu_event_init(&t->done, false);

    /* Make sure the main context has a pool, to compare. */
    aio_get_thread_pool(main_ctx);
    aio_bh_schedule_oneshot(t->ctx, iothread_submit_bh, t);
    qemu_event_wait(&t->done);

    g_assert_false(t->same_pool_as_main);
    g_assert_false(t->wrong_thread);
    for (i = 0; i < ARRAY_SIZE(t->jobs); i++) {
        g_assert_cmpint(t->jobs[i].calls, ==, 1);
        g_assert_cmpint(t->jobs[i].ret, ==, i);
        g_assert_false(t->jobs[i].wrong_context);
    }
    g_assert_cmpint(t->co.ret, ==, 99);
    g_assert_false(t->co.wrong_context);

    iothread_join(iothread);
    qemu_event_destroy(&t->done);
    g_free(t);
}

static void *no_context_thread(void *opaque)
{
    Job *job = opaque;

    /* This thread runs no AioContext and holds no BQL. */
    thread_pool_submit_aio(job_func, job, NULL, NULL);
    return NULL;
}

static void test_submit_without_context(void)
{
    if (g_test_subprocess()) {
        QemuThread thread;
        Job job;

        job_init(&job, NULL, NULL, NULL);
        qemu_thread_create(&thread, "no-ctx", no_context_thread, &job,
                           QEMU_THREAD_JOINABLE);
        qemu_thread_join(&thread);
        return;
    }
    g_test_trap_subprocess(NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
    g_test_trap_assert_failed();
    g_test_trap_assert_stderr("*has no AioContext*");
}

static void test_submit_co_outside_coroutine(void)
{
    if (g_test_subprocess()) {
        Job job;

        job_init(&job, NULL, main_ctx, NULL);
        thread_pool_submit_co(job_func, &job);
        return;
    }
    g_test_trap_subprocess(NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
    g_test_trap_assert_failed();
    g_test_trap_assert_stderr("*outside a coroutine*");
}

/* ------------------------------------------------------------------ */
/* defer_call() sections around completion callbacks                   */
/* ------------------------------------------------------------------ */

static void count_call(void *opaque)
{
    (*(int *)opaque)++;
}

typedef struct {
    Job job;
    int *deferred;
    int seen_in_cb;
} DeferTest;

static void defer_done(void *opaque, int ret)
{
    DeferTest *t = opaque;

    job_done(&t->job, ret);
    defer_call(count_call, t->deferred);
    defer_call(count_call, t->deferred);
    /* Deferred to the end of the completion BH, and coalesced. */
    t->seen_in_cb = *t->deferred;
}

static void test_defer_call_in_completion(void)
{
    DeferTest t = { 0 };
    int deferred = 0;

    job_init(&t.job, NULL, main_ctx, NULL);
    t.deferred = &deferred;
    thread_pool_submit_aio(job_func, &t.job, defer_done, &t);
    while (t.job.calls == 0) {
        aio_poll(main_ctx, true);
    }
    g_assert_cmpint(t.seen_in_cb, ==, 0);
    g_assert_cmpint(deferred, ==, 1);
}

static void reenter_section(void *opaque)
{
    int *count = opaque;

    (*count)++;
    /* A section opened by a deferred call makes only its own calls. */
    defer_call_begin();
    defer_call(count_call, count + 1);
    defer_call_end();
}

static void test_defer_call_nesting(void)
{
    int a = 0, b = 0;
    int counts[2] = { 0, 0 };

    /* Outside a section: immediate. */
    defer_call(count_call, &a);
    g_assert_cmpint(a, ==, 1);

    defer_call_begin();
    defer_call(count_call, &a);
    defer_call_begin();
    defer_call(count_call, &b);
    defer_call(count_call, &a);
    defer_call_end();
    /* Only the outermost end runs them. */
    g_assert_cmpint(a, ==, 1);
    g_assert_cmpint(b, ==, 0);
    defer_call(reenter_section, counts);
    defer_call_end();
    g_assert_cmpint(a, ==, 2);
    g_assert_cmpint(b, ==, 1);
    g_assert_cmpint(counts[0], ==, 1);
    g_assert_cmpint(counts[1], ==, 1);
}

/* ------------------------------------------------------------------ */
/* Worker bounds (subprocesses: they count the process's threads)       */
/* ------------------------------------------------------------------ */

/* Live threads named "worker" (thread naming is on, see main()). */
static int count_workers(void)
{
    GDir *dir = g_dir_open("/proc/self/task", 0, NULL);
    const char *tid;
    int n = 0;

    g_assert_nonnull(dir);
    while ((tid = g_dir_read_name(dir)) != NULL) {
        g_autofree char *path = g_strdup_printf("/proc/self/task/%s/comm",
                                                tid);
        g_autofree char *comm = NULL;

        /* A thread may exit between the listing and the read. */
        if (g_file_get_contents(path, &comm, NULL, NULL) &&
            g_str_equal(g_strchomp(comm), "worker")) {
            n++;
        }
    }
    g_dir_close(dir);
    return n;
}

/*
 * Workers start and exit without telling the main loop, so poll for the
 * count, running the main loop (the spawn BH lives there) in between.  The
 * limit is generous, but well below the 10 s idle timeout: a worker that
 * only goes away through the timeout makes this fail.
 */
static void wait_for_workers(int n)
{
    gint64 deadline = g_get_monotonic_time() + 5 * G_USEC_PER_SEC;

    while (count_workers() != n) {
        g_assert_cmpint(g_get_monotonic_time(), <, deadline);
        aio_poll(main_ctx, false);
        g_usleep(1000);
    }
}

static void test_params_min_max(void)
{
    Job jobs[6];
    Gate gate;
    int active = ARRAY_SIZE(jobs);
    int i;

    if (!g_test_subprocess()) {
        g_test_trap_subprocess(NULL, 0, G_TEST_SUBPROCESS_INHERIT_STDERR);
        g_test_trap_assert_passed();
        return;
    }

    /* Invalid bounds are refused and change nothing. */
    {
        Error *err = NULL;

        aio_context_set_thread_pool_params(main_ctx, 4, 2, &err);
        g_assert_nonnull(err);
        error_free(err);
    }

    g_assert_cmpint(count_workers(), ==, 0);
    /* Bounds set before the pool exists apply when it is created. */
    aio_context_set_thread_pool_params(main_ctx, 3, 8, &error_abort);
    aio_get_thread_pool(main_ctx);
    wait_for_workers(3);

    /* Raising the minimum starts workers at once. */
    aio_context_set_thread_pool_params(main_ctx, 5, 8, &error_abort);
    wait_for_workers(5);

    /* Lowering the maximum makes idle workers above it exit promptly. */
    aio_context_set_thread_pool_params(main_ctx, 0, 2, &error_abort);
    wait_for_workers(2);

    /* Never more than the maximum run at once. */
    gate_init(&gate, main_ctx);
    for (i = 0; i < ARRAY_SIZE(jobs); i++) {
        job_init(&jobs[i], &gate, main_ctx, &active);
        submit_job(&jobs[i]);
    }
    gate_poll_running(&gate, main_ctx, 2);
    g_assert_cmpint(count_workers(), ==, 2);
    gate_open(&gate);
    while (active > 0) {
        aio_poll(main_ctx, true);
    }
    g_assert_cmpint(gate_peak(&gate), ==, 2);
    gate_destroy(&gate);

    /* Within the bounds, work makes the pool grow. */
    aio_context_set_thread_pool_params(main_ctx, 0, 16, &error_abort);
    gate_init(&gate, main_ctx);
    active = ARRAY_SIZE(jobs);
    for (i = 0; i < ARRAY_SIZE(jobs); i++) {
        job_init(&jobs[i], &gate, main_ctx, &active);
        submit_job(&jobs[i]);
    }
    gate_poll_running(&gate, main_ctx, ARRAY_SIZE(jobs));
    g_assert_cmpint(count_workers(), ==, ARRAY_SIZE(jobs));
    gate_open(&gate);
    while (active > 0) {
        aio_poll(main_ctx, true);
    }
    gate_destroy(&gate);
}

/* Idle workers above the minimum exit after 10 s (only with -m slow). */
static void test_params_idle_exit(void)
{
    Job jobs[4];
    Gate gate;
    int active = ARRAY_SIZE(jobs);
    gint64 start, deadline;
    int i;

    if (!g_test_subprocess()) {
        /* The child does not see -m slow: decide here. */
        if (!g_test_slow()) {
            g_test_skip("waits for the 10 s idle timeout; run with -m slow");
            return;
        }
        g_test_trap_subprocess(NULL, 0, G_TEST_SUBPROCESS_INHERIT_STDERR);
        g_test_trap_assert_passed();
        return;
    }

    aio_context_set_thread_pool_params(main_ctx, 1, 8, &error_abort);
    gate_init(&gate, main_ctx);
    for (i = 0; i < ARRAY_SIZE(jobs); i++) {
        job_init(&jobs[i], &gate, main_ctx, &active);
        submit_job(&jobs[i]);
    }
    gate_poll_running(&gate, main_ctx, ARRAY_SIZE(jobs));
    gate_open(&gate);
    while (active > 0) {
        aio_poll(main_ctx, true);
    }
    g_assert_cmpint(count_workers(), >=, ARRAY_SIZE(jobs));

    start = g_get_monotonic_time();
    deadline = start + 30 * G_USEC_PER_SEC;
    while (count_workers() != 1) {
        g_assert_cmpint(g_get_monotonic_time(), <, deadline);
        g_usleep(100 * 1000);
    }
    /* Not before the timeout (with slack for a coarse clock). */
    g_assert_cmpint(g_get_monotonic_time() - start, >=, 9 * G_USEC_PER_SEC);
    gate_destroy(&gate);
}

/* ------------------------------------------------------------------ */
/* Generic ThreadPool                                                  */
/* ------------------------------------------------------------------ */

static int generic_count(void *opaque)
{
    qatomic_inc((int *)opaque);
    return 0;
}

static void generic_destroy(void *opaque)
{
    /* The counter sits right after the one generic_count() bumps. */
    qatomic_inc((int *)opaque + 1);
}

static void test_generic_submit_wait(void)
{
    ThreadPool *pool = thread_pool_new();
    int counts[2] = { 0, 0 };
    int i;

    g_assert_true(thread_pool_set_max_threads(pool, 4));
    for (i = 0; i < 200; i++) {
        thread_pool_submit(pool, generic_count, counts, generic_destroy);
    }
    thread_pool_wait(pool);
    /* The destroy notify has run too by the time the wait returns. */
    g_assert_cmpint(qatomic_read(&counts[0]), ==, 200);
    g_assert_cmpint(qatomic_read(&counts[1]), ==, 200);

    /* The pool is reusable after a wait. */
    for (i = 0; i < 100; i++) {
        thread_pool_submit(pool, generic_count, counts, NULL);
    }
    thread_pool_wait(pool);
    g_assert_cmpint(qatomic_read(&counts[0]), ==, 300);
    g_assert_cmpint(qatomic_read(&counts[1]), ==, 200);
    /* Waiting with nothing in flight returns at once. */
    thread_pool_wait(pool);
    thread_pool_free(pool);
}

static void test_generic_free_waits(void)
{
    ThreadPool *pool = thread_pool_new();
    int count = 0;
    int i;

    thread_pool_set_max_threads(pool, 2);
    for (i = 0; i < 50; i++) {
        thread_pool_submit(pool, generic_count, &count, NULL);
    }
    thread_pool_free(pool);
    g_assert_cmpint(qatomic_read(&count), ==, 50);
}

static int generic_gate_func(void *opaque)
{
    gate_pass(opaque);
    return 0;
}

static void test_generic_max_threads(void)
{
    ThreadPool *pool = thread_pool_new();
    Gate gate;
    int i;

    gate_init(&gate, NULL);
    g_assert_true(thread_pool_set_max_threads(pool, 3));
    for (i = 0; i < 9; i++) {
        thread_pool_submit(pool, generic_gate_func, &gate, NULL);
    }
    gate_wait_running(&gate, 3);
    gate_open(&gate);
    thread_pool_wait(pool);
    g_assert_cmpint(gate_peak(&gate), ==, 3);
    thread_pool_free(pool);
    gate_destroy(&gate);
}

/*
 * Four pieces of work that can only finish together: each waits for all
 * four to be running, which needs a thread each.  The pool starts with a
 * maximum of zero, so only thread_pool_submit_immediate() can make this
 * work.
 */
static void test_generic_immediate(void)
{
    ThreadPool *pool = thread_pool_new();
    Gate gate;
    int i;

    gate_init(&gate, NULL);
    for (i = 0; i < 4; i++) {
        thread_pool_submit_immediate(pool, generic_gate_func, &gate, NULL);
    }
    gate_wait_running(&gate, 4);
    gate_open(&gate);
    thread_pool_wait(pool);
    g_assert_cmpint(gate_peak(&gate), ==, 4);

    thread_pool_free(pool);
    gate_destroy(&gate);

    /* Raising the maximum to the work in flight does the same. */
    pool = thread_pool_new();
    gate_init(&gate, NULL);
    for (i = 0; i < 3; i++) {
        thread_pool_submit(pool, generic_gate_func, &gate, NULL);
    }
    g_assert_true(thread_pool_adjust_max_threads_to_work(pool));
    gate_wait_running(&gate, 3);
    gate_open(&gate);
    thread_pool_free(pool);
    g_assert_cmpint(gate_peak(&gate), ==, 3);
    gate_destroy(&gate);
}

static void test_generic_zero_max_aborts(void)
{
    if (g_test_subprocess()) {
        ThreadPool *pool = thread_pool_new();

        thread_pool_set_max_threads(pool, 0);
        return;
    }
    g_test_trap_subprocess(NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
    g_test_trap_assert_failed();
    g_test_trap_assert_stderr("*at least 1*");
}

int main(int argc, char **argv)
{
    /* Before any worker exists, so count_workers() can find them. */
    qemu_thread_naming(true);
    qemu_init_main_loop(&error_abort);
    main_ctx = qemu_get_current_aio_context();
    g_assert_nonnull(main_ctx);
    qemu_thread_get_self(&main_thread);

    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/thread-pool/cancel", test_cancel);
    g_test_add_func("/thread-pool/cancel-async", test_cancel_async);
    g_test_add_func("/thread-pool/cancel-race", test_cancel_race);
    g_test_add_func("/thread-pool/nested-poll/in-callback", test_nested_poll);
    g_test_add_func("/thread-pool/nested-poll/both-done",
                    test_nested_poll_both_done);
    g_test_add_func("/thread-pool/iothread/completion-context",
                    test_iothread_completion);
    g_test_add_func("/thread-pool/submit-aio", test_submit_aio);
    g_test_add_func("/thread-pool/submit-aio/not-early",
                    test_submit_aio_not_early);
    g_test_add_func("/thread-pool/submit-co", test_submit_co);
    g_test_add_func("/thread-pool/submit-many", test_submit_many);
    g_test_add_func("/thread-pool/submit-no-complete",
                    test_submit_no_complete);
    g_test_add_func("/thread-pool/misuse/no-context",
                    test_submit_without_context);
    g_test_add_func("/thread-pool/misuse/co-outside-coroutine",
                    test_submit_co_outside_coroutine);
    g_test_add_func("/thread-pool/defer-call/in-completion",
                    test_defer_call_in_completion);
    g_test_add_func("/thread-pool/defer-call/nesting",
                    test_defer_call_nesting);
    g_test_add_func("/thread-pool/params/min-max", test_params_min_max);
    g_test_add_func("/thread-pool/params/idle-exit", test_params_idle_exit);
    g_test_add_func("/thread-pool/generic/submit-wait",
                    test_generic_submit_wait);
    g_test_add_func("/thread-pool/generic/free-waits",
                    test_generic_free_waits);
    g_test_add_func("/thread-pool/generic/max-threads",
                    test_generic_max_threads);
    g_test_add_func("/thread-pool/generic/immediate", test_generic_immediate);
    g_test_add_func("/thread-pool/generic/zero-max-aborts",
                    test_generic_zero_max_aborts);

    return g_test_run();
}
