/*
 * qemuutil: bookkeeping shared by the host-specific thread back-ends.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * Private to util/: the mutex implementation calls these hooks around
 * every state change so that lock debugging (CONFIG_DEBUG_MUTEX records
 * the owner's call site in the mutex) lives in one place.  The names are
 * the ones QEMU's back-ends use, so either back-end can include this file.
 */
#ifndef QEMU_THREAD_COMMON_H
#define QEMU_THREAD_COMMON_H

#include "qemu/thread.h"

/*
 * Debug builds (CONFIG_DEBUG_MUTEX) remember the call site of the current
 * owner, for a debugger or a deadlock report; NULL/0 means "no owner".
 */
static inline void qemu_mutex_set_site_(QemuMutex *m, const char *f, int l)
{
#ifdef CONFIG_DEBUG_MUTEX
    m->file = f;
    m->line = l;
#else
    (void)m;
    (void)f;
    (void)l;
#endif
}

/* About to block on @mutex at @file:@line (a hook for tracing). */
static inline void qemu_mutex_pre_lock(QemuMutex *mutex, const char *file,
                                       int line)
{
}

/* The calling thread now owns @mutex: remember where it took it. */
static inline void qemu_mutex_post_lock(QemuMutex *mutex, const char *file,
                                        int line)
{
    qemu_mutex_set_site_(mutex, file, line);
}

/* The owner is about to release @mutex (also before a condvar wait). */
static inline void qemu_mutex_pre_unlock(QemuMutex *mutex, const char *file,
                                         int line)
{
    qemu_mutex_set_site_(mutex, NULL, 0);
}

/* The mutex has just been created: mark it usable, with no owner yet. */
static inline void qemu_mutex_post_init(QemuMutex *mutex)
{
    qemu_mutex_set_site_(mutex, NULL, 0);
    mutex->initialized = true;
}

#endif /* QEMU_THREAD_COMMON_H */
