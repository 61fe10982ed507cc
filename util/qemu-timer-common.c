/*
 * qemuutil: the state behind the inline get_clock() of qemu/timer.h
 * (QEMU 10.0's util/qemu-timer-common.c).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * get_clock() is inline so that tracing can read the time cheaply; it
 * consults use_rt_clock, which is decided once, before main(), by probing
 * CLOCK_MONOTONIC.  clock_start records get_clock() at that moment, so
 * that code can print times relative to program start.  Both are written
 * only by the constructor and read-only afterwards.
 */
#include "qemu/osdep.h"
#include "qemu/timer.h"

int64_t clock_start;
int use_rt_clock;

static void __attribute__((constructor)) qemu_timer_common_init(void)
{
    struct timespec probe;

    /* Every Linux has CLOCK_MONOTONIC; the fallback is for odd hosts. */
    use_rt_clock = clock_gettime(CLOCK_MONOTONIC, &probe) == 0;
    clock_start = get_clock();
}
