/*
 * qemuutil: unit tests for EventNotifier (eventfd and pipe backends).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * Every behavioural case runs twice: once on the host's default backend
 * (eventfd where CONFIG_EVENTFD is set) and once with the pipe backend
 * forced through QEMUUTIL_EVENT_NOTIFIER=pipe.  The environment variable is
 * only changed from the main thread while no other test thread runs.
 *
 * Nothing here sleeps to wait for another thread: waits are poll() calls
 * whose timeout only serves to turn a lost wake-up into a test failure
 * instead of a hang.
 */
#include "qemu/osdep.h"

#include <sys/resource.h>
#ifdef CONFIG_EVENTFD
#include <sys/eventfd.h>
#endif

#include "qemu/atomic.h"
#include "qemu/event_notifier.h"
#include "qemu/processor.h"
#include "qemu/thread.h"

#define BACKEND_ENV "QEMUUTIL_EVENT_NOTIFIER"

/* A poll() this long without an event means a wake-up was lost. */
#define LOST_WAKEUP_TIMEOUT_MS 5000

typedef enum {
    BACKEND_DEFAULT,
    BACKEND_PIPE,
} Backend;

#ifdef CONFIG_EVENTFD
#define DEFAULT_BACKEND_NAME "eventfd"
#else
#define DEFAULT_BACKEND_NAME "default"
#endif

/* Select @backend for the next event_notifier_init() of this process. */
static void select_backend(Backend backend)
{
    if (backend == BACKEND_PIPE) {
        g_setenv(BACKEND_ENV, "pipe", TRUE);
    } else {
        g_unsetenv(BACKEND_ENV);
    }
}

/* Initialise @e on @backend and check that the backend really is in use. */
static void init_on(EventNotifier *e, int active, Backend backend)
{
    select_backend(backend);
    g_assert_cmpint(event_notifier_init(e, active), ==, 0);
    g_assert_true(e->initialized);
    g_assert_cmpint(e->rfd, >=, 0);
    g_assert_cmpint(e->wfd, >=, 0);
    g_assert_cmpint(event_notifier_get_fd(e), ==, e->rfd);
    g_assert_cmpint(event_notifier_get_wfd(e), ==, e->wfd);
#ifdef CONFIG_EVENTFD
    if (backend == BACKEND_DEFAULT) {
        g_assert_cmpint(e->rfd, ==, e->wfd);
    }
#endif
    if (backend == BACKEND_PIPE) {
        g_assert_cmpint(e->rfd, !=, e->wfd);
    }
}

/* Whether @fd is readable right now (poll without waiting). */
static bool fd_readable(int fd)
{
    struct pollfd pfd = { .fd = fd, .events = POLLIN };
    int ret = RETRY_ON_EINTR(poll(&pfd, 1, 0));

    g_assert_cmpint(ret, >=, 0);
    return ret == 1 && (pfd.revents & POLLIN);
}

/* Wait until @fd is readable; a timeout is reported as a lost wake-up. */
static void wait_readable(int fd, const char *what)
{
    struct pollfd pfd = { .fd = fd, .events = POLLIN };
    int ret = RETRY_ON_EINTR(poll(&pfd, 1, LOST_WAKEUP_TIMEOUT_MS));

    if (ret == 0) {
        g_error("lost wake-up: %s: fd %d not readable after %d ms",
                what, fd, LOST_WAKEUP_TIMEOUT_MS);
    }
    g_assert_cmpint(ret, ==, 1);
    g_assert_true(pfd.revents & POLLIN);
}

static bool fd_is_open(int fd)
{
    return fcntl(fd, F_GETFD) >= 0 || errno != EBADF;
}

/* ---------------------------------------------------------------------- */
/* Stress: producer/consumer, no notification may be lost                   */
/* ---------------------------------------------------------------------- */

#define STRESS_SETS 100000
/*
 * The producer waits for the consumer to catch up every STRESS_ACK_EVERY
 * sets, so the consumer is often asleep in poll() exactly when the next set
 * arrives (the window where a lost wake-up would show).  In the middle it
 * runs STRESS_BURST sets without waiting, which fills a pipe (64 KiB holds
 * 8192 tokens) while the consumer drains it concurrently.
 */
#define STRESS_ACK_EVERY 16
#define STRESS_BURST 20000
#define STRESS_MAX_SPIN 64

typedef struct {
    EventNotifier e;
    /* Number of sets issued; written by the producer only. */
    unsigned sent;
    /* Set by the producer before its final event_notifier_set(). */
    bool done;
    /* Last value of @sent the consumer read; written by the consumer. */
    unsigned seen;
} StressState;

static bool stress_burst_phase(unsigned i)
{
    return i >= STRESS_SETS / 2 && i < STRESS_SETS / 2 + STRESS_BURST;
}

static void *stress_producer(void *opaque)
{
    StressState *s = opaque;
    unsigned i, spin;

    for (i = 1; i <= STRESS_SETS; i++) {
        /*
         * A random pause (busy, not a sleep) spreads the sets over the
         * consumer's loop, so some land between its clear and its next
         * poll(), the window where a broken notifier drops them.
         */
        for (spin = g_random_int_range(0, STRESS_MAX_SPIN); spin > 0;
             spin--) {
            cpu_relax();
        }
        qatomic_set(&s->sent, i);
        /*
         * Publish @sent before the token can be read.  Pairs with the
         * smp_mb() after event_notifier_test_and_clear() in the consumer.
         */
        smp_mb();
        g_assert_cmpint(event_notifier_set(&s->e), ==, 0);
        if (i % STRESS_ACK_EVERY == 0 && !stress_burst_phase(i)) {
            /* Pairs with the store-release of @seen in the consumer. */
            while (qatomic_load_acquire(&s->seen) < i) {
                cpu_relax();
            }
        }
    }

    qatomic_set(&s->done, true);
    smp_mb(); /* @done before the last token; same pairing as above. */
    g_assert_cmpint(event_notifier_set(&s->e), ==, 0);
    return NULL;
}

static void test_stress_no_lost_wakeup(gconstpointer data)
{
    Backend backend = GPOINTER_TO_INT(data);
    StressState s = { 0 };
    QemuThread producer;
    unsigned wakeups = 0;
    bool done = false;

    init_on(&s.e, false, backend);
    qemu_thread_create(&producer, "en-producer", stress_producer, &s,
                       QEMU_THREAD_JOINABLE);

    while (!done) {
        wait_readable(s.e.rfd, "consumer");
        /* A single consumer saw the fd readable: something is pending. */
        g_assert_cmpint(event_notifier_test_and_clear(&s.e), ==, 1);
        wakeups++;
        /* Pairs with the smp_mb() in stress_producer(). */
        smp_mb();
        done = qatomic_read(&s.done);
        qatomic_store_release(&s.seen, qatomic_read(&s.sent));
    }
    qemu_thread_join(&producer);

    g_assert_cmpuint(s.seen, ==, STRESS_SETS);
    g_assert_cmpuint(wakeups, >=, (STRESS_SETS - STRESS_BURST) /
                                  STRESS_ACK_EVERY);
    g_assert_cmpuint(wakeups, <=, STRESS_SETS + 1);
    /* The last token may still be there if @done was seen before it. */
    event_notifier_test_and_clear(&s.e);
    g_assert_cmpint(event_notifier_test_and_clear(&s.e), ==, 0);
    g_test_message("%u sets, %u wake-ups", STRESS_SETS + 1, wakeups);
    event_notifier_cleanup(&s.e);
}

/* ---------------------------------------------------------------------- */
/* A set from another thread wakes a poll() that is already blocked        */
/* ---------------------------------------------------------------------- */

#define CROSS_ROUNDS 200

typedef struct {
    EventNotifier e;
    QemuSemaphore go;
    pid_t poller_tid;
    int rounds;
} CrossState;

/* True once thread @tid is asleep in the kernel ("S" in /proc). */
static bool thread_is_sleeping(pid_t tid)
{
    char path[64];
    char buf[512];
    char *close_paren;
    ssize_t len;
    int fd;

    snprintf(path, sizeof(path), "/proc/self/task/%d/stat", (int)tid);
    fd = open(path, O_RDONLY | O_CLOEXEC);
    g_assert_cmpint(fd, >=, 0);
    len = RETRY_ON_EINTR(read(fd, buf, sizeof(buf) - 1));
    close(fd);
    g_assert_cmpint(len, >, 0);
    buf[len] = '\0';
    /* The state follows the command name, which may contain spaces. */
    close_paren = strrchr(buf, ')');
    g_assert_nonnull(close_paren);
    return close_paren[1] == ' ' && close_paren[2] == 'S';
}

static void *cross_setter(void *opaque)
{
    CrossState *s = opaque;
    int i;

    for (i = 0; i < s->rounds; i++) {
        qemu_sem_wait(&s->go);
        /*
         * The poller posts @go and goes straight into poll(): once it is
         * asleep it can only be in there, so this set must wake it.
         */
        while (!thread_is_sleeping(s->poller_tid)) {
            cpu_relax();
        }
        g_assert_cmpint(event_notifier_set(&s->e), ==, 0);
    }
    return NULL;
}

static void test_cross_thread_wakes_poll(gconstpointer data)
{
    Backend backend = GPOINTER_TO_INT(data);
    CrossState s = { .rounds = CROSS_ROUNDS };
    QemuThread setter;
    int i;

    init_on(&s.e, false, backend);
    qemu_sem_init(&s.go, 0);
    s.poller_tid = gettid();
    qemu_thread_create(&setter, "en-setter", cross_setter, &s,
                       QEMU_THREAD_JOINABLE);

    for (i = 0; i < CROSS_ROUNDS; i++) {
        g_assert_false(fd_readable(event_notifier_get_fd(&s.e)));
        qemu_sem_post(&s.go);
        wait_readable(event_notifier_get_fd(&s.e), "blocked poll");
        g_assert_cmpint(event_notifier_test_and_clear(&s.e), ==, 1);
    }
    qemu_thread_join(&setter);
    qemu_sem_destroy(&s.go);
    event_notifier_cleanup(&s.e);
}

/* ---------------------------------------------------------------------- */
/* Signals without SA_RESTART arriving during set/poll/test_and_clear       */
/* ---------------------------------------------------------------------- */

static volatile sig_atomic_t alarms_seen;

static void count_alarm(int sig)
{
    alarms_seen++;
}

static void drain_pending_alarm(void)
{
    sigset_t alrm, old;
    struct timespec zero = { 0 };

    sigemptyset(&alrm);
    sigaddset(&alrm, SIGALRM);
    pthread_sigmask(SIG_BLOCK, &alrm, &old);
    while (sigtimedwait(&alrm, NULL, &zero) == SIGALRM) {
        alarms_seen++;
    }
    pthread_sigmask(SIG_SETMASK, &old, NULL);
}

static void test_signals(gconstpointer data)
{
    Backend backend = GPOINTER_TO_INT(data);
    struct sigaction sa = { .sa_handler = count_alarm }, old_sa;
    struct itimerval every_100us = {
        .it_interval = { .tv_usec = 100 },
        .it_value = { .tv_usec = 100 },
    };
    struct itimerval off = { 0 };
    EventNotifier e;
    unsigned iterations = 0;
    int set_ret, first, second;

    init_on(&e, false, backend);
    alarms_seen = 0;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0; /* no SA_RESTART: interrupted calls fail with EINTR */
    g_assert_cmpint(sigaction(SIGALRM, &sa, &old_sa), ==, 0);
    g_assert_cmpint(setitimer(ITIMER_REAL, &every_100us, NULL), ==, 0);

    /*
     * Keep going until a good number of signals has landed in the loop;
     * the results are checked after the timer is off so a failing assert
     * does not leave it running.
     */
    do {
        set_ret = event_notifier_set(&e);
        wait_readable(e.rfd, "signal loop");
        first = event_notifier_test_and_clear(&e);
        second = event_notifier_test_and_clear(&e);
        iterations++;
    } while (set_ret == 0 && first == 1 && second == 0 &&
             (alarms_seen < 50 || iterations < 1000));

    g_assert_cmpint(setitimer(ITIMER_REAL, &off, NULL), ==, 0);
    /*
     * An alarm raised just before the timer stopped may still be pending
     * (valgrind delivers signals late): take it with our handler in place
     * before the old action comes back, which may be the default (exit).
     */
    drain_pending_alarm();
    g_assert_cmpint(sigaction(SIGALRM, &old_sa, NULL), ==, 0);
    g_assert_cmpint(set_ret, ==, 0);
    g_assert_cmpint(first, ==, 1);
    g_assert_cmpint(second, ==, 0);
    event_notifier_cleanup(&e);
}

/* ---------------------------------------------------------------------- */
/* Many sets in a row: a full pipe or a big counter is still success        */
/* ---------------------------------------------------------------------- */

#define MANY_SETS 100000

static void test_many_sets(gconstpointer data)
{
    Backend backend = GPOINTER_TO_INT(data);
    EventNotifier e;
    int i;

    init_on(&e, false, backend);
    for (i = 0; i < MANY_SETS; i++) {
        g_assert_cmpint(event_notifier_set(&e), ==, 0);
    }
    if (backend == BACKEND_PIPE) {
        int queued = 0;
        int capacity = fcntl(e.wfd, F_GETPIPE_SZ);

        /* The pipe really filled up, so the EAGAIN path was taken. */
        g_assert_cmpint(capacity, >, 0);
        g_assert_cmpint(ioctl(e.rfd, FIONREAD, &queued), ==, 0);
        g_assert_cmpint(queued, ==, capacity);
        g_assert_cmpint(capacity / 8, <, MANY_SETS);
    }
    g_assert_true(fd_readable(e.rfd));
    g_assert_cmpint(event_notifier_test_and_clear(&e), ==, 1);
    g_assert_false(fd_readable(e.rfd));
    g_assert_cmpint(event_notifier_test_and_clear(&e), ==, 0);

    /* Still usable after having been full. */
    g_assert_cmpint(event_notifier_set(&e), ==, 0);
    g_assert_cmpint(event_notifier_test_and_clear(&e), ==, 1);
    event_notifier_cleanup(&e);
}

/* ---------------------------------------------------------------------- */
/* init failure: no descriptor left behind, notifier stays uninitialised    */
/* ---------------------------------------------------------------------- */

static void test_init_failure(gconstpointer data)
{
    Backend backend = GPOINTER_TO_INT(data);
    struct rlimit lim;
    EventNotifier e;
    GArray *fillers;
    int model, fd, last, ret;
#ifdef CONFIG_EVENTFD
    const bool have_eventfd = true;
#else
    const bool have_eventfd = false;
#endif

    if (!g_test_subprocess()) {
        /* Lowering RLIMIT_NOFILE must not affect the other tests. */
        g_test_trap_subprocess(NULL, 0, G_TEST_SUBPROCESS_INHERIT_STDERR);
        g_test_trap_assert_passed();
        return;
    }

    /* Leave a handful of free slots above what is open now, then fill. */
    model = open("/dev/null", O_RDONLY | O_CLOEXEC);
    g_assert_cmpint(model, >=, 0);
    g_assert_cmpint(getrlimit(RLIMIT_NOFILE, &lim), ==, 0);
    lim.rlim_cur = model + 16;
    g_assert_cmpint(setrlimit(RLIMIT_NOFILE, &lim), ==, 0);
    fillers = g_array_new(FALSE, FALSE, sizeof(int));
    while ((fd = dup(model)) >= 0) {
        g_array_append_val(fillers, fd);
    }
    g_assert_cmpint(errno, ==, EMFILE);

    /* No descriptor free: init fails cleanly even over garbage. */
    select_backend(backend);
    memset(&e, 0x5a, sizeof(e));
    ret = event_notifier_init(&e, true);
    g_assert_cmpint(ret, ==, -EMFILE);
    g_assert_false(e.initialized);
    event_notifier_cleanup(&e);
    g_assert_cmpint(event_notifier_set(&e), <, 0);
    g_assert_cmpint(event_notifier_test_and_clear(&e), ==, 0);

    /* One descriptor free: enough for an eventfd, not for a pipe. */
    g_assert_cmpuint(fillers->len, >=, 2);
    last = g_array_index(fillers, int, fillers->len - 1);
    close(last);
    g_array_set_size(fillers, fillers->len - 1);
    ret = event_notifier_init(&e, true);
    if (backend == BACKEND_PIPE || !have_eventfd) {
        g_assert_cmpint(ret, ==, -EMFILE);
        g_assert_false(e.initialized);
        /* The half-made pipe did not keep the free slot. */
        fd = dup(model);
        g_assert_cmpint(fd, ==, last);
        close(fd);
    } else {
        g_assert_cmpint(ret, ==, 0);
        g_assert_cmpint(event_notifier_test_and_clear(&e), ==, 1);
        event_notifier_cleanup(&e);
    }

    while (fillers->len > 0) {
        close(g_array_index(fillers, int, fillers->len - 1));
        g_array_set_size(fillers, fillers->len - 1);
    }
    g_array_free(fillers, TRUE);
    close(model);
}

/* ---------------------------------------------------------------------- */
/* Basic behaviour                                                           */
/* ---------------------------------------------------------------------- */

static void test_init_inactive(gconstpointer data)
{
    EventNotifier e;

    init_on(&e, false, GPOINTER_TO_INT(data));
    g_assert_false(fd_readable(e.rfd));
    g_assert_cmpint(event_notifier_test_and_clear(&e), ==, 0);
    event_notifier_cleanup(&e);
}

static void test_init_active(gconstpointer data)
{
    EventNotifier e;

    init_on(&e, true, GPOINTER_TO_INT(data));
    g_assert_true(fd_readable(e.rfd));
    g_assert_cmpint(event_notifier_test_and_clear(&e), ==, 1);
    g_assert_false(fd_readable(e.rfd));
    g_assert_cmpint(event_notifier_test_and_clear(&e), ==, 0);
    event_notifier_cleanup(&e);
}

static void test_set_and_clear(gconstpointer data)
{
    static const uint64_t token = 1;
    EventNotifier e;

    init_on(&e, false, GPOINTER_TO_INT(data));
    g_assert_cmpint(event_notifier_set(&e), ==, 0);
    g_assert_true(fd_readable(event_notifier_get_fd(&e)));
    g_assert_cmpint(event_notifier_test_and_clear(&e), ==, 1);
    g_assert_false(fd_readable(event_notifier_get_fd(&e)));

    /* Writers that use the write fd directly (devices, irqfd) also count. */
    g_assert_cmpint(write(event_notifier_get_wfd(&e), &token, sizeof(token)),
                    ==, sizeof(token));
    g_assert_cmpint(event_notifier_test_and_clear(&e), ==, 1);
    g_assert_cmpint(event_notifier_test_and_clear(&e), ==, 0);
    event_notifier_cleanup(&e);
}

static void test_sets_coalesce(gconstpointer data)
{
    EventNotifier e;
    int i;

    init_on(&e, true, GPOINTER_TO_INT(data));
    for (i = 0; i < 10; i++) {
        g_assert_cmpint(event_notifier_set(&e), ==, 0);
    }
    g_assert_cmpint(event_notifier_test_and_clear(&e), ==, 1);
    g_assert_cmpint(event_notifier_test_and_clear(&e), ==, 0);
    g_assert_false(fd_readable(e.rfd));
    event_notifier_cleanup(&e);
}

static void test_clear_empty(gconstpointer data)
{
    EventNotifier e;
    int i;

    /* Would hang on a blocking descriptor; must return 0 at once. */
    init_on(&e, false, GPOINTER_TO_INT(data));
    for (i = 0; i < 3; i++) {
        g_assert_cmpint(event_notifier_test_and_clear(&e), ==, 0);
    }
    event_notifier_cleanup(&e);
}

static void test_fd_flags(gconstpointer data)
{
    EventNotifier e;
    int fds[2];
    int i;

    init_on(&e, false, GPOINTER_TO_INT(data));
    fds[0] = e.rfd;
    fds[1] = e.wfd;
    for (i = 0; i < 2; i++) {
        int fl = fcntl(fds[i], F_GETFL);
        int fdfl = fcntl(fds[i], F_GETFD);

        g_assert_cmpint(fl, >=, 0);
        g_assert_cmpint(fdfl, >=, 0);
        g_assert_true(fl & O_NONBLOCK);
        g_assert_true(fdfl & FD_CLOEXEC);
    }
    event_notifier_cleanup(&e);
}

static void test_cleanup_twice(gconstpointer data)
{
    EventNotifier e;
    int rfd, wfd;

    init_on(&e, true, GPOINTER_TO_INT(data));
    rfd = e.rfd;
    wfd = e.wfd;
    event_notifier_cleanup(&e);
    g_assert_false(e.initialized);
    g_assert_cmpint(e.rfd, ==, -1);
    g_assert_cmpint(e.wfd, ==, -1);
    g_assert_false(fd_is_open(rfd));
    g_assert_false(fd_is_open(wfd));

    event_notifier_cleanup(&e);
    g_assert_false(e.initialized);
    g_assert_cmpint(event_notifier_set(&e), <, 0);
    g_assert_cmpint(event_notifier_test_and_clear(&e), ==, 0);

    /* The same struct can be initialised again. */
    init_on(&e, false, GPOINTER_TO_INT(data));
    g_assert_cmpint(event_notifier_set(&e), ==, 0);
    g_assert_cmpint(event_notifier_test_and_clear(&e), ==, 1);
    event_notifier_cleanup(&e);
}

/* Calls on a notifier that was never initialised fail, never crash. */
static void test_uninitialized(void)
{
    EventNotifier e = { 0 };

    g_assert_cmpint(event_notifier_set(&e), ==, -1);
    g_assert_cmpint(event_notifier_test_and_clear(&e), ==, 0);
    event_notifier_cleanup(&e);
    g_assert_false(e.initialized);
}

/* QEMUUTIL_EVENT_NOTIFIER only reacts to "pipe". */
static void test_backend_env(void)
{
    EventNotifier e;

    g_setenv(BACKEND_ENV, "pipe", TRUE);
    g_assert_cmpint(event_notifier_init(&e, false), ==, 0);
    g_assert_cmpint(e.rfd, !=, e.wfd);
    event_notifier_cleanup(&e);

    g_setenv(BACKEND_ENV, "something-else", TRUE);
    g_assert_cmpint(event_notifier_init(&e, false), ==, 0);
#ifdef CONFIG_EVENTFD
    g_assert_cmpint(e.rfd, ==, e.wfd);
#endif
    event_notifier_cleanup(&e);
    g_unsetenv(BACKEND_ENV);
}

#ifdef CONFIG_EVENTFD
/* init_fd adopts an external eventfd: both directions, and it owns it. */
static void test_init_fd(void)
{
    EventNotifier e;
    eventfd_t value;
    int fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);

    g_assert_cmpint(fd, >=, 0);
    event_notifier_init_fd(&e, fd);
    g_assert_true(e.initialized);
    g_assert_cmpint(event_notifier_get_fd(&e), ==, fd);
    g_assert_cmpint(event_notifier_get_wfd(&e), ==, fd);

    /* Someone else writes the eventfd: the notifier sees it. */
    g_assert_cmpint(eventfd_write(fd, 3), ==, 0);
    g_assert_cmpint(event_notifier_test_and_clear(&e), ==, 1);
    g_assert_cmpint(event_notifier_test_and_clear(&e), ==, 0);

    /* The notifier sets: the other side reads a counter of 2. */
    g_assert_cmpint(event_notifier_set(&e), ==, 0);
    g_assert_cmpint(event_notifier_set(&e), ==, 0);
    g_assert_cmpint(eventfd_read(fd, &value), ==, 0);
    g_assert_cmpuint(value, ==, 2);

    event_notifier_cleanup(&e);
    g_assert_false(fd_is_open(fd));

    /* -1 is accepted (QEMU uses it as "unbound"): set fails, clear is 0. */
    event_notifier_init_fd(&e, -1);
    g_assert_cmpint(event_notifier_set(&e), ==, -EBADF);
    g_assert_cmpint(event_notifier_test_and_clear(&e), ==, 0);
    event_notifier_cleanup(&e);
    g_assert_false(e.initialized);
}
#endif

static void add_backend_tests(const char *name, Backend backend)
{
    static const struct {
        const char *path;
        GTestDataFunc fn;
    } cases[] = {
        /* Hard cases first. */
        { "stress/no-lost-wakeup", test_stress_no_lost_wakeup },
        { "thread/set-wakes-blocked-poll", test_cross_thread_wakes_poll },
        { "signals/no-restart", test_signals },
        { "set/many-times", test_many_sets },
        { "init/failure-leaks-nothing", test_init_failure },
        { "init/inactive", test_init_inactive },
        { "init/active", test_init_active },
        { "set/test-and-clear", test_set_and_clear },
        { "set/coalesce", test_sets_coalesce },
        { "clear/empty", test_clear_empty },
        { "init/fd-flags", test_fd_flags },
        { "cleanup/twice", test_cleanup_twice },
    };
    size_t i;

    for (i = 0; i < ARRAY_SIZE(cases); i++) {
        g_autofree char *path = g_strdup_printf("/event-notifier/%s/%s",
                                                name, cases[i].path);

        g_test_add_data_func(path, GINT_TO_POINTER(backend), cases[i].fn);
    }
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);

    add_backend_tests(DEFAULT_BACKEND_NAME, BACKEND_DEFAULT);
    add_backend_tests("pipe", BACKEND_PIPE);
#ifdef CONFIG_EVENTFD
    g_test_add_func("/event-notifier/init-fd", test_init_fd);
#endif
    g_test_add_func("/event-notifier/uninitialized", test_uninitialized);
    g_test_add_func("/event-notifier/backend-env", test_backend_env);

    return g_test_run();
}
