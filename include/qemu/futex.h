/*
 * qemuutil: Linux futex wrappers.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * Only for CONFIG_LINUX hosts; QemuEvent and QemuLockCnt build their
 * sleeping paths on these two calls.  Both use private futexes: the word is
 * never shared with another process.
 */
#ifndef QEMU_FUTEX_H
#define QEMU_FUTEX_H

#include <sys/syscall.h>
#include <linux/futex.h>

#define qemu_futex(...) syscall(__NR_futex, __VA_ARGS__)

/* Wake up to @n threads sleeping on the 32-bit word at @f (INT_MAX: all). */
static inline void qemu_futex_wake(void *f, int n)
{
    qemu_futex(f, FUTEX_WAKE_PRIVATE, n, NULL, NULL, 0);
}

/*
 * Sleep while the 32-bit word at @f holds @val.  Returns on a wake-up, on a
 * signal, spuriously, or at once if the word already differs: callers
 * always re-check their condition in a loop.
 */
static inline void qemu_futex_wait(void *f, unsigned val)
{
    while (qemu_futex(f, FUTEX_WAIT_PRIVATE, (int)val, NULL, NULL, 0)) {
        if (errno != EINTR) {
            /* EAGAIN: the value already changed; nothing to wait for. */
            break;
        }
    }
}

#endif /* QEMU_FUTEX_H */
