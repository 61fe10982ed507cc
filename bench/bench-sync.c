/*
 * qemuutil benchmarks: two-thread ping-pong through each wake-up primitive.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * The main thread hands a token to a partner thread and waits for it to
 * come back; one operation is one such round trip, i.e. two hand-offs and,
 * on a blocking primitive, two sleeps and two wake-ups.  The same loop runs
 * over QemuEvent, QemuSemaphore, QemuCond + QemuMutex and EventNotifier,
 * and over the bare kernel objects they are built on (a futex word, an
 * eventfd), which give the physical limit the ratio column compares with.
 * Every case runs unpinned, with both threads on one CPU (each hand-off is
 * a context switch) and on two CPUs (each hand-off is a cross-CPU wake-up).
 */
#include "qemu/osdep.h"

#include <poll.h>               /* poll(); QEMU's osdep.h lacks it */
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <linux/futex.h>

#include "qemu/atomic.h"
#include "qemu/thread.h"
#include "qemu/event_notifier.h"
#include "bench.h"

/* Round trips before the clock starts: both threads are awake and warm. */
#define WARMUP_ROUNDS 64

typedef struct PingPong PingPong;

/*
 * One primitive.  @ping runs on the main thread (give the token, wait for
 * it back), @pong on the partner (wait for the token, give it back); round
 * @i counts from 0 on both sides.  @init may skip the case.
 */
typedef struct PingPongOps {
    bool (*init)(PingPong *pp);
    void (*ping)(PingPong *pp, uint64_t i);
    void (*pong)(PingPong *pp, uint64_t i);
    void (*cleanup)(PingPong *pp);
    bool force_pipe;            /* EventNotifier: ask for the pipe backend */
} PingPongOps;

/*
 * State of one run.  Each primitive uses its own fields; index 0 carries
 * the token towards the partner, index 1 back to the main thread.
 */
struct PingPong {
    const PingPongOps *ops;
    uint64_t rounds;            /* warm-up plus measured; read-only */

    QemuEvent ev[2];
    QemuSemaphore sem[2];
    QemuMutex lock;
    QemuCond cond[2];
    int turn;                   /* protected by @lock: 1 = partner's move */
    EventNotifier en[2];
    int efd[2];
    uint32_t futex[2];          /* round number last handed over */
};

/* ---------------------------------------------------------------- */
/* Limits: the kernel objects used directly                          */
/* ---------------------------------------------------------------- */

static void futex_wake_one(uint32_t *word)
{
    syscall(SYS_futex, word, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
}

/* Sleep until *@word changes from @seen (or spuriously; callers loop). */
static void futex_sleep(uint32_t *word, uint32_t seen)
{
    syscall(SYS_futex, word, FUTEX_WAIT_PRIVATE, seen, NULL, NULL, 0);
}

/* Wait until *@word equals @want, sleeping while it does not. */
static void futex_await(uint32_t *word, uint32_t want)
{
    uint32_t cur;

    /* Pairs with the store_release in futex_hand_over(). */
    while ((cur = qatomic_load_acquire(word)) != want) {
        futex_sleep(word, cur);
    }
}

static void futex_hand_over(uint32_t *word, uint32_t round)
{
    /* Pairs with the load_acquire in futex_await(). */
    qatomic_store_release(word, round);
    /* Always one wake: the limit does not guess whether anyone sleeps. */
    futex_wake_one(word);
}

static bool futex_init(PingPong *pp)
{
    pp->futex[0] = pp->futex[1] = 0;
    return true;
}

static void futex_ping(PingPong *pp, uint64_t i)
{
    futex_hand_over(&pp->futex[0], (uint32_t)(i + 1));
    futex_await(&pp->futex[1], (uint32_t)(i + 1));
}

static void futex_pong(PingPong *pp, uint64_t i)
{
    futex_await(&pp->futex[0], (uint32_t)(i + 1));
    futex_hand_over(&pp->futex[1], (uint32_t)(i + 1));
}

static bool efd_init(PingPong *pp)
{
    int i;

    for (i = 0; i < 2; i++) {
        /* Blocking on purpose: read() itself is the sleep. */
        pp->efd[i] = eventfd(0, EFD_CLOEXEC);
        if (pp->efd[i] < 0) {
            bench_skip("eventfd: %s", strerror(errno));
            if (i) {
                close(pp->efd[0]);
            }
            return false;
        }
    }
    return true;
}

static void efd_put(int fd)
{
    uint64_t one = 1;

    if (RETRY_ON_EINTR(write(fd, &one, sizeof(one))) != sizeof(one)) {
        fprintf(stderr, "bench: eventfd write: %s\n", strerror(errno));
        abort();
    }
}

static void efd_take(int fd)
{
    uint64_t v;

    if (RETRY_ON_EINTR(read(fd, &v, sizeof(v))) != sizeof(v)) {
        fprintf(stderr, "bench: eventfd read: %s\n", strerror(errno));
        abort();
    }
}

static void efd_ping(PingPong *pp, uint64_t i)
{
    efd_put(pp->efd[0]);
    efd_take(pp->efd[1]);
}

static void efd_pong(PingPong *pp, uint64_t i)
{
    efd_take(pp->efd[0]);
    efd_put(pp->efd[1]);
}

static void efd_cleanup(PingPong *pp)
{
    close(pp->efd[0]);
    close(pp->efd[1]);
}

/* ---------------------------------------------------------------- */
/* QEMU primitives                                                    */
/* ---------------------------------------------------------------- */

static bool event_init(PingPong *pp)
{
    qemu_event_init(&pp->ev[0], false);
    qemu_event_init(&pp->ev[1], false);
    return true;
}

/*
 * Each side resets the event it waited on before handing the token over,
 * so the other side's next set cannot be wiped out by a late reset.
 */
static void event_ping(PingPong *pp, uint64_t i)
{
    qemu_event_set(&pp->ev[0]);
    qemu_event_wait(&pp->ev[1]);
    qemu_event_reset(&pp->ev[1]);
}

static void event_pong(PingPong *pp, uint64_t i)
{
    qemu_event_wait(&pp->ev[0]);
    qemu_event_reset(&pp->ev[0]);
    qemu_event_set(&pp->ev[1]);
}

static void event_cleanup(PingPong *pp)
{
    qemu_event_destroy(&pp->ev[0]);
    qemu_event_destroy(&pp->ev[1]);
}

static bool semaphore_init(PingPong *pp)
{
    qemu_sem_init(&pp->sem[0], 0);
    qemu_sem_init(&pp->sem[1], 0);
    return true;
}

static void semaphore_ping(PingPong *pp, uint64_t i)
{
    qemu_sem_post(&pp->sem[0]);
    qemu_sem_wait(&pp->sem[1]);
}

static void semaphore_pong(PingPong *pp, uint64_t i)
{
    qemu_sem_wait(&pp->sem[0]);
    qemu_sem_post(&pp->sem[1]);
}

static void semaphore_cleanup(PingPong *pp)
{
    qemu_sem_destroy(&pp->sem[0]);
    qemu_sem_destroy(&pp->sem[1]);
}

static bool cond_init(PingPong *pp)
{
    qemu_mutex_init(&pp->lock);
    qemu_cond_init(&pp->cond[0]);
    qemu_cond_init(&pp->cond[1]);
    pp->turn = 0;
    return true;
}

/* The usual flag hand-off: change the flag under the lock, then signal. */
static void cond_ping(PingPong *pp, uint64_t i)
{
    qemu_mutex_lock(&pp->lock);
    pp->turn = 1;
    qemu_cond_signal(&pp->cond[0]);
    while (pp->turn != 0) {
        qemu_cond_wait(&pp->cond[1], &pp->lock);
    }
    qemu_mutex_unlock(&pp->lock);
}

static void cond_pong(PingPong *pp, uint64_t i)
{
    qemu_mutex_lock(&pp->lock);
    while (pp->turn != 1) {
        qemu_cond_wait(&pp->cond[0], &pp->lock);
    }
    pp->turn = 0;
    qemu_cond_signal(&pp->cond[1]);
    qemu_mutex_unlock(&pp->lock);
}

static void cond_cleanup(PingPong *pp)
{
    qemu_cond_destroy(&pp->cond[0]);
    qemu_cond_destroy(&pp->cond[1]);
    qemu_mutex_destroy(&pp->lock);
}

static bool notifier_init(PingPong *pp)
{
    g_autofree char *saved = g_strdup(g_getenv("QEMUUTIL_EVENT_NOTIFIER"));
    int ret;

    /* qemuutil reads the switch at every init (event_notifier.h). */
    if (pp->ops->force_pipe) {
        g_setenv("QEMUUTIL_EVENT_NOTIFIER", "pipe", true);
    } else {
        g_unsetenv("QEMUUTIL_EVENT_NOTIFIER");
    }
    ret = event_notifier_init(&pp->en[0], false);
    if (ret == 0) {
        ret = event_notifier_init(&pp->en[1], false);
        if (ret < 0) {
            event_notifier_cleanup(&pp->en[0]);
        }
    }
    if (saved) {
        g_setenv("QEMUUTIL_EVENT_NOTIFIER", saved, true);
    } else {
        g_unsetenv("QEMUUTIL_EVENT_NOTIFIER");
    }

    if (ret < 0) {
        bench_skip("event_notifier_init: %s", strerror(-ret));
        return false;
    }
    /* An eventfd uses one descriptor for both ends, a pipe two. */
    if (pp->ops->force_pipe != (pp->en[0].rfd != pp->en[0].wfd)) {
        bench_skip("the %s backend cannot be chosen in this build",
                   pp->ops->force_pipe ? "pipe" : "eventfd");
        event_notifier_cleanup(&pp->en[0]);
        event_notifier_cleanup(&pp->en[1]);
        return false;
    }
    return true;
}

/* What an event loop does: sleep in poll(), then consume the event. */
static void notifier_receive(EventNotifier *e)
{
    struct pollfd pfd = {
        .fd = event_notifier_get_fd(e),
        .events = POLLIN,
    };

    do {
        if (poll(&pfd, 1, -1) < 0 && errno != EINTR) {
            fprintf(stderr, "bench: poll: %s\n", strerror(errno));
            abort();
        }
    } while (!event_notifier_test_and_clear(e));
}

static void notifier_ping(PingPong *pp, uint64_t i)
{
    event_notifier_set(&pp->en[0]);
    notifier_receive(&pp->en[1]);
}

static void notifier_pong(PingPong *pp, uint64_t i)
{
    notifier_receive(&pp->en[0]);
    event_notifier_set(&pp->en[1]);
}

static void notifier_cleanup(PingPong *pp)
{
    event_notifier_cleanup(&pp->en[0]);
    event_notifier_cleanup(&pp->en[1]);
}

/* ---------------------------------------------------------------- */
/* The driver common to all cases                                     */
/* ---------------------------------------------------------------- */

static void *partner_main(void *opaque)
{
    PingPong *pp = opaque;
    uint64_t i;

    for (i = 0; i < pp->rounds; i++) {
        pp->ops->pong(pp, i);
    }
    return NULL;
}

static double pingpong_run(const BenchCase *bc, uint64_t iters)
{
    PingPong *pp = g_new0(PingPong, 1);
    BenchPair pair;
    uint64_t i, t0, t1;

    pp->ops = bc->opaque;
    pp->rounds = WARMUP_ROUNDS + iters;
    if (!pp->ops->init(pp)) {
        g_free(pp);
        return 0;
    }
    if (!bench_pair_start(&pair, bc, partner_main, pp)) {
        if (pp->ops->cleanup) {
            pp->ops->cleanup(pp);
        }
        g_free(pp);
        return 0;
    }

    for (i = 0; i < WARMUP_ROUNDS; i++) {
        pp->ops->ping(pp, i);
    }
    t0 = bench_now_ns();
    for (; i < pp->rounds; i++) {
        pp->ops->ping(pp, i);
    }
    t1 = bench_now_ns();

    bench_pair_finish(&pair);
    if (pp->ops->cleanup) {
        pp->ops->cleanup(pp);
    }
    g_free(pp);
    return (double)(t1 - t0) / iters;
}

static const PingPongOps futex_ops = {
    .init = futex_init, .ping = futex_ping, .pong = futex_pong,
};
static const PingPongOps efd_ops = {
    .init = efd_init, .ping = efd_ping, .pong = efd_pong,
    .cleanup = efd_cleanup,
};
static const PingPongOps event_ops = {
    .init = event_init, .ping = event_ping, .pong = event_pong,
    .cleanup = event_cleanup,
};
static const PingPongOps semaphore_ops = {
    .init = semaphore_init, .ping = semaphore_ping, .pong = semaphore_pong,
    .cleanup = semaphore_cleanup,
};
static const PingPongOps cond_ops = {
    .init = cond_init, .ping = cond_ping, .pong = cond_pong,
    .cleanup = cond_cleanup,
};
static const PingPongOps notifier_efd_ops = {
    .init = notifier_init, .ping = notifier_ping, .pong = notifier_pong,
    .cleanup = notifier_cleanup,
};
static const PingPongOps notifier_pipe_ops = {
    .init = notifier_init, .ping = notifier_ping, .pong = notifier_pong,
    .cleanup = notifier_cleanup, .force_pipe = true,
};

#define LIMIT_FUTEX "raw futex ping-pong"
#define LIMIT_EVENTFD "raw eventfd ping-pong"

static void register_sync(void)
{
    static const struct {
        const char *name;
        const char *label;
        const char *ref;
        const PingPongOps *ops;
    } cases[] = {
        { LIMIT_FUTEX, "raw futex", NULL, &futex_ops },
        { "qemu_event set/wait/reset", NULL, LIMIT_FUTEX, &event_ops },
        { "qemu_sem post/wait", NULL, LIMIT_FUTEX, &semaphore_ops },
        { "qemu_cond+mutex flag handoff", NULL, LIMIT_FUTEX, &cond_ops },
        { LIMIT_EVENTFD, "raw eventfd", NULL, &efd_ops },
        { "event_notifier eventfd set/poll/clear", NULL, LIMIT_EVENTFD,
          &notifier_efd_ops },
        { "event_notifier pipe set/poll/clear", NULL, LIMIT_EVENTFD,
          &notifier_pipe_ops },
    };
    int i;

    bench_describe_group("sync",
        "Two threads pass a token back and forth; 1 op = 1 round trip. "
        "Limits: raw futex (FUTEX_WAIT/WAKE on two words) for "
        "event/sem/cond, raw eventfd (blocking read/write) for "
        "event_notifier, with the same pinning.");
    for (i = 0; i < ARRAY_SIZE(cases); i++) {
        BenchCase bc = {
            .group = "sync",
            .name = cases[i].name,
            .label = cases[i].label,
            .ref = cases[i].ref,
            .fn = pingpong_run,
            .opaque = (void *)cases[i].ops,
        };
        bench_register_pinned(&bc, BENCH_PIN_ALL);
    }
}

BENCH_INIT(register_sync)
