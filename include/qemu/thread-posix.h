/*
 * qemuutil: POSIX layouts of the thread.h synchronisation types.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * Include qemu/thread.h, not this file.  The structures are public only
 * because callers embed them in their own objects; treat every field as
 * private to util/qemu-thread-posix.c.  The field names follow QEMU 10.0,
 * since QEMU code is compiled against this header unchanged.
 */
#ifndef QEMU_THREAD_POSIX_H
#define QEMU_THREAD_POSIX_H

#include <pthread.h>
#include <semaphore.h>

/*
 * QemuEvent sleeps on a futex on Linux.  Elsewhere, or when a test build
 * defines QEMUUTIL_EVENT_NO_FUTEX, it falls back to a mutex and a
 * condition variable guarding the same state word.
 */
#if !defined(__linux__) || defined(QEMUUTIL_EVENT_NO_FUTEX)
#define QEMU_EVENT_USE_CONDVAR 1
#endif

struct QemuMutex {
    /* Set by qemu_mutex_init(), cleared by qemu_mutex_destroy(). */
    bool initialized;
#ifdef CONFIG_DEBUG_MUTEX
    /* Where the current owner took the lock; written by the owner only. */
    int line;
    const char *file;
#endif
    pthread_mutex_t lock;
};

/*
 * A wrapper struct rather than a typedef: qemu/lockable.h dispatches on the
 * pointer type with _Generic, so QemuRecMutex * must differ from
 * QemuMutex *.
 */
typedef struct QemuRecMutex {
    QemuMutex m;    /* a PTHREAD_MUTEX_RECURSIVE mutex */
} QemuRecMutex;

struct QemuCond {
    /* Set by qemu_cond_init(), cleared by qemu_cond_destroy(). */
    bool initialized;
    pthread_cond_t cond;
};

struct QemuSemaphore {
    unsigned int count; /* protected by mutex */
    QemuCond cond;      /* signalled when count goes up */
    QemuMutex mutex;    /* protects count */
};

struct QemuEvent {
    /* EV_SET, EV_FREE or EV_BUSY; accessed atomically (futex word). */
    unsigned value;
    bool initialized;
#ifdef QEMU_EVENT_USE_CONDVAR
    pthread_cond_t cond;    /* broadcast when value becomes EV_SET */
    pthread_mutex_t lock;   /* serialises sleepers against setters */
#endif
};

/* A handle only: copying it is fine, it does not own the thread. */
struct QemuThread {
    pthread_t thread;
};

#endif /* QEMU_THREAD_POSIX_H */
