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

/* Private futexes: every waiter and waker is in this process. */
#define QEMU_FUTEX_OP_(uaddr, op, val) \
    qemu_futex(uaddr, op##_PRIVATE, val, NULL, NULL, 0)

/*
 * Wake up to @how_many threads sleeping on the word at @uaddr;
 * INT_MAX wakes them all.
 */
static inline void qemu_futex_wake(void *uaddr, int how_many)
{
    QEMU_FUTEX_OP_(uaddr, FUTEX_WAKE, how_many);
}

/*
 * Sleep while the 32-bit word at @uaddr holds @expected.  Returns on a
 * wake-up, spuriously, or at once if the word already differs (signals
 * are retried): callers always re-check their condition in a loop.
 */
static inline void qemu_futex_wait(void *uaddr, unsigned expected)
{
    long rc;

    do {
        rc = QEMU_FUTEX_OP_(uaddr, FUTEX_WAIT, (int)expected);
        /* EAGAIN: the value already changed; nothing to wait for. */
    } while (rc != 0 && errno == EINTR);
}

#endif /* QEMU_FUTEX_H */
