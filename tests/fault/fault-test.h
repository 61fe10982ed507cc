/*
 * qemuutil tests: helpers for the fault-injection tests (test-fault-*.c),
 * which run the real library with the libfault shim preloaded.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * The shim's control functions are looked up at run time, so that a test
 * program still links without the shim and can say clearly that it was
 * started without it (meson preloads it; see tests/unit/meson.build).
 *
 * Each case runs in a child process (g_test_trap_subprocess()) with a
 * watchdog: a hang fails the case with a timeout and a crash fails it with
 * the signal, and neither takes the other cases down.
 */
#ifndef QEMUUTIL_TESTS_FAULT_TEST_H
#define QEMUUTIL_TESTS_FAULT_TEST_H

#include <dlfcn.h>
#include "fault.h"

/* Per case; generous because sanitizers and valgrind slow things down. */
#define FAULT_WATCHDOG_USEC (30 * G_USEC_PER_SEC)

typedef int (*FaultArmFn)(const char *spec);
typedef void (*FaultDisarmFn)(void);
typedef unsigned long (*FaultInjectedFn)(const char *call);

static inline void *fault_lookup(const char *name)
{
    void *fn = dlsym(RTLD_DEFAULT, name);

    if (!fn) {
        g_error("%s not found: run this test with LD_PRELOAD=libfault.so "
                "(meson test --suite fault does)", name);
    }
    return fn;
}

/* Arm @spec (QEMUUTIL_FAULT syntax); the spec must parse. */
static inline void fault_arm(const char *spec)
{
    FaultArmFn arm = (FaultArmFn)fault_lookup("qemuutil_fault_arm");

    g_assert_cmpint(arm(spec), ==, 0);
}

static inline void fault_disarm(void)
{
    ((FaultDisarmFn)fault_lookup("qemuutil_fault_disarm"))();
}

/* Faults injected so far for @call ("read"...; NULL: every call). */
static inline unsigned long fault_injected(const char *call)
{
    return ((FaultInjectedFn)fault_lookup("qemuutil_fault_injected"))(call);
}

/*
 * Run the current case in a child under the watchdog and check that it
 * passed.  Returns true in the child, which then runs the case's body:
 *
 *     if (!fault_in_child()) {
 *         return;
 *     }
 *     ...body...
 */
static inline bool fault_in_child(void)
{
    if (g_test_subprocess()) {
        return true;
    }
    g_test_trap_subprocess(NULL, FAULT_WATCHDOG_USEC,
                           G_TEST_SUBPROCESS_INHERIT_STDERR);
    /* A failed child fails this case only; the next cases still run. */
    g_test_set_nonfatal_assertions();
    g_test_trap_assert_passed();
    return false;
}

/*
 * The same, for a case whose child must print @pattern (a g_pattern_match
 * glob) on stderr, such as a warning about a fallback.
 */
static inline bool fault_in_child_stderr(const char *pattern)
{
    if (g_test_subprocess()) {
        return true;
    }
    g_test_trap_subprocess(NULL, FAULT_WATCHDOG_USEC, 0);
    g_test_set_nonfatal_assertions();
    g_test_trap_assert_passed();
    g_test_trap_assert_stderr(pattern);
    return false;
}

#endif /* QEMUUTIL_TESTS_FAULT_TEST_H */
