/*
 * qemuutil: small POSIX host helpers.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "qemu/osdep.h"
#include <sys/syscall.h>

/*
 * The kernel's id for the calling thread (what ps -L, /proc/<pid>/task
 * and gdb show).  Thread-safe.
 */
int qemu_get_thread_id(void)
{
#if defined(SYS_gettid)
    return (int)syscall(SYS_gettid);
#else
    return getpid();
#endif
}
