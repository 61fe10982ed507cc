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

/* The mutex has just been created: mark it usable, with no owner yet. */
static inline void qemu_mutex_post_init(QemuMutex *mutex)
{
    mutex->initialized = true;
#ifdef CONFIG_DEBUG_MUTEX
    mutex->line = 0;
    mutex->file = NULL;
#endif
}

/* About to block on @mutex at @file:@line (a hook for tracing). */
static inline void qemu_mutex_pre_lock(QemuMutex *mutex,
                                       const char *file, int line)
{
}

/* The calling thread now owns @mutex: remember where it took it. */
static inline void qemu_mutex_post_lock(QemuMutex *mutex,
                                        const char *file, int line)
{
#ifdef CONFIG_DEBUG_MUTEX
    /* Read by a debugger, or by a deadlock report. */
    mutex->line = line;
    mutex->file = file;
#endif
}

/* The owner is about to release @mutex (also before a condvar wait). */
static inline void qemu_mutex_pre_unlock(QemuMutex *mutex,
                                         const char *file, int line)
{
#ifdef CONFIG_DEBUG_MUTEX
    /* Nobody owns it from here on. */
    mutex->line = 0;
    mutex->file = NULL;
#endif
}

#endif /* QEMU_THREAD_COMMON_H */
