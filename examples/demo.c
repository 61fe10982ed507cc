/*
 * qemuutil demo: worker threads reporting to the main thread through
 * EventNotifiers, the program `make run` shows.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * Two QemuThreads wait on one QemuEvent so they start together, then each
 * counts primes in a few rounds.  After every round a worker publishes its
 * result and sets its own EventNotifier; the main thread poll()s both
 * notifier fds, logs what arrived, and lets that worker go on by posting its
 * QemuSemaphore.  Run with QEMUUTIL_EVENT_NOTIFIER=pipe to see the pipe
 * backend instead of eventfd.
 */
#include "qemu/osdep.h"

#include <pthread.h>

#include "qemu/atomic.h"
#include "qemu/event_notifier.h"
#include "qemu/thread.h"

#define NWORKERS 2
#define ROUNDS 3

typedef struct Worker {
    const char *name;
    unsigned step;          /* round r counts primes below r * step */
    QemuThread thread;
    EventNotifier done;     /* worker -> main: a round is finished */
    QemuSemaphore next;     /* main -> worker: start the next round */
    /*
     * Written by the worker before it sets @done, read by the main thread
     * after event_notifier_test_and_clear() returned 1.  The release/acquire
     * pair orders them; the notifier's write()/read() do so as well.
     */
    unsigned primes;
    int tid;
    char os_name[16];
} Worker;

/* Set once by the main thread; both workers wait on it before starting. */
static QemuEvent start_line;

static bool is_prime(unsigned n)
{
    unsigned d;

    if (n < 2) {
        return false;
    }
    for (d = 2; d * d <= n; d++) {
        if (n % d == 0) {
            return false;
        }
    }
    return true;
}

static void *worker_main(void *opaque)
{
    Worker *w = opaque;
    unsigned total = 0;
    unsigned round, n, count;

    w->tid = qemu_get_thread_id();
    if (pthread_getname_np(pthread_self(), w->os_name,
                           sizeof(w->os_name)) != 0) {
        g_strlcpy(w->os_name, "?", sizeof(w->os_name));
    }

    qemu_event_wait(&start_line);
    for (round = 1; round <= ROUNDS; round++) {
        count = 0;
        for (n = 0; n < round * w->step; n++) {
            count += is_prime(n);
        }
        total += count;
        /* Pairs with the load-acquire in the main thread's log_round(). */
        qatomic_store_release(&w->primes, count);
        event_notifier_set(&w->done);
        if (round < ROUNDS) {
            qemu_sem_wait(&w->next);
        }
    }
    return GUINT_TO_POINTER(total);
}

static void log_round(Worker *w, int round, int64_t t0)
{
    unsigned primes = qatomic_load_acquire(&w->primes);

    printf("[+%7" PRId64 " us] %s (tid %d) round %d/%d: "
           "%u primes below %u\n",
           g_get_monotonic_time() - t0, w->name, w->tid,
           round, ROUNDS, primes, round * w->step);
}

int main(int argc, char **argv)
{
    Worker workers[NWORKERS] = {
        { .name = "worker-a", .step = 40000 },
        { .name = "worker-b", .step = 100000 },
    };
    struct pollfd pfds[NWORKERS];
    int rounds_done[NWORKERS] = { 0 };
    int remaining = NWORKERS * ROUNDS;
    unsigned notifications = 0, spurious = 0;
    int64_t t0;
    int i, ret;

    setvbuf(stdout, NULL, _IOLBF, 0);
    printf("qemuutil demo: %d QemuThreads report to main through "
           "EventNotifiers\n", NWORKERS);

    qemu_thread_naming(true);
    qemu_event_init(&start_line, false);
    for (i = 0; i < NWORKERS; i++) {
        ret = event_notifier_init(&workers[i].done, false);
        if (ret < 0) {
            fprintf(stderr, "event_notifier_init: %s\n", strerror(-ret));
            return 1;
        }
        qemu_sem_init(&workers[i].next, 0);
        pfds[i].fd = event_notifier_get_fd(&workers[i].done);
        pfds[i].events = POLLIN;
    }
    if (workers[0].done.rfd == workers[0].done.wfd) {
        printf("EventNotifier backend: eventfd (fds %d, %d; "
               "QEMUUTIL_EVENT_NOTIFIER=pipe for pipes)\n",
               workers[0].done.rfd, workers[1].done.rfd);
    } else {
        printf("EventNotifier backend: pipe (read/write fds %d/%d, %d/%d)\n",
               workers[0].done.rfd, workers[0].done.wfd,
               workers[1].done.rfd, workers[1].done.wfd);
    }

    for (i = 0; i < NWORKERS; i++) {
        qemu_thread_create(&workers[i].thread, workers[i].name, worker_main,
                           &workers[i], QEMU_THREAD_JOINABLE);
    }
    t0 = g_get_monotonic_time();
    qemu_event_set(&start_line);

    while (remaining > 0) {
        ret = RETRY_ON_EINTR(poll(pfds, NWORKERS, -1));
        if (ret < 0) {
            perror("poll");
            return 1;
        }
        for (i = 0; i < NWORKERS; i++) {
            if (!(pfds[i].revents & POLLIN)) {
                continue;
            }
            if (!event_notifier_test_and_clear(&workers[i].done)) {
                spurious++;
                continue;
            }
            notifications++;
            rounds_done[i]++;
            remaining--;
            log_round(&workers[i], rounds_done[i], t0);
            if (rounds_done[i] < ROUNDS) {
                qemu_sem_post(&workers[i].next);
            }
        }
    }

    for (i = 0; i < NWORKERS; i++) {
        unsigned total = GPOINTER_TO_UINT(qemu_thread_join(&workers[i].thread));

        printf("joined %s (OS thread name \"%s\"): %u primes in %d rounds\n",
               workers[i].name, workers[i].os_name, total, ROUNDS);
        qemu_sem_destroy(&workers[i].next);
        event_notifier_cleanup(&workers[i].done);
    }
    qemu_event_destroy(&start_line);
    printf("done: %u notifications, %u spurious wake-ups, %" PRId64
           " us elapsed\n", notifications, spurious,
           g_get_monotonic_time() - t0);
    return 0;
}
