/*
 * Documentation example (docs/threads.rst): a worker thread started with
 * QemuThread, released by a QemuEvent, handing a result back through a
 * mutex + condition variable, and returning a value to qemu_thread_join().
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * Build: cc threads-example.c $(pkg-config --cflags --libs qemuutil)
 */
#include "qemu/osdep.h"
#include "qemu/thread.h"

typedef struct Job {
    QemuEvent start;        /* set once by main: "inputs are ready" */
    int input;              /* written before start is set, then read-only */

    QemuMutex lock;
    QemuCond done_cond;     /* signalled when done becomes true */
    bool done;              /* protected by lock */
    int result;             /* protected by lock */
} Job;

static void *worker(void *opaque)
{
    Job *job = opaque;

    /*
     * qemu_event_set() is a full barrier, so job->input, written before
     * the set, is visible here once the wait returns.
     */
    qemu_event_wait(&job->start);

    qemu_mutex_lock(&job->lock);
    job->result = job->input * 2;
    job->done = true;
    qemu_cond_signal(&job->done_cond);
    qemu_mutex_unlock(&job->lock);

    return GINT_TO_POINTER(7);
}

int main(void)
{
    Job job = { 0 };
    QemuThread thread;
    void *ret;

    qemu_event_init(&job.start, false);
    qemu_mutex_init(&job.lock);
    qemu_cond_init(&job.done_cond);

    qemu_thread_create(&thread, "doc-worker", worker, &job,
                       QEMU_THREAD_JOINABLE);

    job.input = 21;
    qemu_event_set(&job.start);

    qemu_mutex_lock(&job.lock);
    while (!job.done) {     /* wake-ups may be spurious: loop */
        qemu_cond_wait(&job.done_cond, &job.lock);
    }
    printf("result %d\n", job.result);
    qemu_mutex_unlock(&job.lock);

    ret = qemu_thread_join(&thread);
    printf("worker returned %d\n", GPOINTER_TO_INT(ret));

    qemu_cond_destroy(&job.done_cond);
    qemu_mutex_destroy(&job.lock);
    qemu_event_destroy(&job.start);
    return 0;
}
