/*
 * qemuutil: CPU hints for spin loops.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef QEMU_PROCESSOR_H
#define QEMU_PROCESSOR_H

/* Tell the CPU we are busy-waiting, so a sibling hyperthread may run. */
#if defined(__x86_64__) || defined(__i386__)
#define cpu_relax() __asm__ __volatile__("pause" ::: "memory")
#elif defined(__aarch64__)
#define cpu_relax() __asm__ __volatile__("yield" ::: "memory")
#elif defined(__powerpc64__)
#define cpu_relax() __asm__ __volatile__("or 1, 1, 1; or 2, 2, 2" ::: "memory")
#else
#define cpu_relax() barrier()
#endif

#endif /* QEMU_PROCESSOR_H */
