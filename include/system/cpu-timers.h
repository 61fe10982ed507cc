/*
 * qemuutil: the CPU-time hooks that the timer code calls
 * (QEMU 10.0's system/cpu-timers.h, reduced to what qemuutil needs).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * In QEMU these functions belong to the system emulator (system/cpus.c,
 * accel/tcg/icount-common.c) and to the stubs/ files that tools link
 * instead.  qemuutil's library never defines them: the standalone build
 * links the files in stubs/, a QEMU build links QEMU's own implementations.
 */
#ifndef SYSTEM_CPU_TIMERS_H
#define SYSTEM_CPU_TIMERS_H

/* QEMUClockType, and get_clock_realtime() for the stubs. */
#include "qemu/timer.h"

/* Instruction-counting modes (icount).  qemuutil never enables icount. */
typedef enum {
    ICOUNT_DISABLED = 0,        /* no instruction counting */
    ICOUNT_PRECISE,             /* fixed instructions-per-ns shift */
    ICOUNT_ADAPTATIVE,          /* shift adjusted to track host time */
} ICountMode;

/*
 * Without TCG there is no icount: QEMU turns the query into a constant so
 * that the icount branches compile away.
 */
#define icount_enabled() ICOUNT_DISABLED

/* The raw instruction counter; only meaningful with icount (aborts here). */
int64_t icount_get_raw(void);

/* Re-arm the icount warp timer (main_loop_wait(), icount only). */
void icount_start_warp_timer(void);

/* CPU time: the base of QEMU_CLOCK_VIRTUAL_RT. */
int64_t cpu_get_clock(void);

/*
 * Notify callback of the main loop's timer lists (init_clocks' argument in
 * QEMU's main loop): wakes the main loop, or the vCPU in icount mode.
 */
void qemu_timer_notify_cb(void *opaque, QEMUClockType type);

/*
 * QEMU_CLOCK_VIRTUAL's value.  In the standalone library it is a counter
 * that starts at 0 and only changes through cpus_set_virtual_clock().
 * Both are thread-safe.
 */
int64_t cpus_get_virtual_clock(void);
void cpus_set_virtual_clock(int64_t new_time);

#endif /* SYSTEM_CPU_TIMERS_H */
