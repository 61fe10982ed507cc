/*
 * Documentation example (docs/event-notifier.rst): a thread wakes a poll()
 * loop through an EventNotifier; sets made before the loop drains the
 * notifier coalesce into one wake-up.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * Build: cc event-notifier-example.c $(pkg-config --cflags --libs qemuutil)
 * Run with QEMUUTIL_EVENT_NOTIFIER=pipe to use the pipe backend.
 */
#include "qemu/osdep.h"
#include <poll.h>
#include "qemu/thread.h"
#include "qemu/event_notifier.h"

#define ROUNDS 3

typedef struct Shared {
    EventNotifier notifier;
    QemuSemaphore burst_done; /* producer -> main: "all five sets made" */
    QemuSemaphore next;       /* main -> producer: "drained, go on" */
} Shared;

static void *producer(void *opaque)
{
    Shared *s = opaque;
    int round, i;

    for (round = 0; round < ROUNDS; round++) {
        /* Five sets, but the reader will see a single pending event. */
        for (i = 0; i < 5; i++) {
            if (event_notifier_set(&s->notifier) < 0) {
                abort();
            }
        }
        qemu_sem_post(&s->burst_done);
        qemu_sem_wait(&s->next);
    }
    return NULL;
}

int main(void)
{
    Shared s;
    QemuThread thread;
    int wakeups = 0;
    int ret;

    ret = event_notifier_init(&s.notifier, false);
    if (ret < 0) {
        fprintf(stderr, "event_notifier_init: %s\n", strerror(-ret));
        return 1;
    }
    printf("backend: %s\n",
           event_notifier_get_fd(&s.notifier) ==
           event_notifier_get_wfd(&s.notifier) ? "eventfd" : "pipe");
    qemu_sem_init(&s.burst_done, 0);
    qemu_sem_init(&s.next, 0);
    qemu_thread_create(&thread, "producer", producer, &s,
                       QEMU_THREAD_JOINABLE);

    while (wakeups < ROUNDS) {
        struct pollfd pfd = {
            .fd = event_notifier_get_fd(&s.notifier),
            .events = POLLIN,
        };

        if (poll(&pfd, 1, -1) < 0) {
            if (errno == EINTR) {
                continue;
            }
            perror("poll");
            return 1;
        }
        /*
         * Readable.  Only so that the output is deterministic, wait until
         * the producer has made all five sets of this round; one
         * test_and_clear then consumes them all.
         */
        qemu_sem_wait(&s.burst_done);
        if (event_notifier_test_and_clear(&s.notifier)) {
            wakeups++;
            printf("wake-up %d: 5 sets, 1 event\n", wakeups);
        }
        qemu_sem_post(&s.next);
    }

    qemu_thread_join(&thread);
    /* Nothing is pending any more: the last round was drained. */
    printf("pending after join: %d\n",
           event_notifier_test_and_clear(&s.notifier));

    qemu_sem_destroy(&s.next);
    qemu_sem_destroy(&s.burst_done);
    event_notifier_cleanup(&s.notifier);
    return 0;
}
