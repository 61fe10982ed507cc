/*
 * qemuutil tests: the control interface of the libfault shim
 * (tests/fault/libfault.c), and helpers shared by the fault tests.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef QEMUUTIL_TESTS_FAULT_H
#define QEMUUTIL_TESTS_FAULT_H

/**
 * qemuutil_fault_arm:
 * @spec: rules, in the QEMUUTIL_FAULT syntax described in libfault.c
 *
 * Replace the armed rules with @spec, counters starting from zero.
 * Thread-safe; a call already inside the shim may still see the old rules.
 *
 * Returns: 0, or -EINVAL if @spec does not parse (the reason is printed).
 */
int qemuutil_fault_arm(const char *spec);

/**
 * qemuutil_fault_disarm:
 *
 * Stop injecting faults.  Thread-safe.  The counts of the last armed spec
 * are no longer readable afterwards.
 */
void qemuutil_fault_disarm(void);

/**
 * qemuutil_fault_injected:
 * @call: a call name as used in the spec ("read", "ppoll"...), or NULL
 *
 * Returns: how many faults the armed rules for @call (all rules if NULL)
 * have injected so far.  Thread-safe.
 */
unsigned long qemuutil_fault_injected(const char *call);

#endif /* QEMUUTIL_TESTS_FAULT_H */
