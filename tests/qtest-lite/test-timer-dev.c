/*
 * qtest-lite tests of vmm-mini's timer device: the virtual clock is
 * stepped with clock_step/clock_set and the interrupt must arrive at the
 * exact virtual time, never a nanosecond before.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "qemu/osdep.h"

#include "libqtest-lite.h"
#include "guest/abi.h"

#define T(off) (VMM_TIMER_BASE + (off))
#define IRQ VMM_IRQ_TIMER

static QTestState *start(void)
{
    QTestState *s = qtest_init(NULL);

    qtest_irq_intercept_in(s, "ioapic");
    return s;
}

/*
 * IRQ lines that a step causes are sent before its reply, so right after
 * qtest_clock_step() returns the raise counter is exact.
 */
static void test_oneshot_exact(void)
{
    QTestState *s = start();
    int64_t t0 = qtest_clock_step(s, 12345);    /* not at 0 */

    qtest_outl(s, T(VMM_TIMER_PERIOD_US), 100);
    qtest_outl(s, T(VMM_TIMER_CTRL), VMM_TIMER_CTRL_ENABLE);
    g_assert_cmpint(qtest_clock_step(s, 100 * 1000 - 1), ==,
                    t0 + 100 * 1000 - 1);
    g_assert_cmpuint(qtest_get_irq_raises(s, IRQ), ==, 0);
    g_assert_cmpuint(qtest_inl(s, T(VMM_TIMER_COUNT)), ==, 0);
    g_assert_cmpint(qtest_clock_step(s, 1), ==, t0 + 100 * 1000);
    g_assert_cmpuint(qtest_get_irq_raises(s, IRQ), ==, 1);
    g_assert_cmpuint(qtest_inl(s, T(VMM_TIMER_COUNT)), ==, 1);
    /* One-shot: nothing more, and nothing left to step to. */
    qtest_clock_step(s, 10 * 1000 * 1000);
    g_assert_cmpuint(qtest_get_irq_raises(s, IRQ), ==, 1);
    g_free(qtest_command(s, "clock_step"));
    g_assert_false(qtest_get_irq(s, IRQ));
    qtest_quit(s);
}

/* A bare clock_step stops exactly at the deadline. */
static void test_step_next(void)
{
    QTestState *s = start();
    char *reply;

    reply = qtest_command(s, "clock_step");
    g_assert_true(g_str_has_prefix(reply, "FAIL cannot advance clock"));
    g_free(reply);
    qtest_outl(s, T(VMM_TIMER_PERIOD_US), 7);
    qtest_outl(s, T(VMM_TIMER_CTRL), VMM_TIMER_CTRL_ENABLE);
    g_assert_cmpint(qtest_clock_step_next(s), ==, 7000);
    g_assert_cmpuint(qtest_get_irq_raises(s, IRQ), ==, 1);
    qtest_quit(s);
}

static void test_periodic(void)
{
    QTestState *s = start();

    qtest_outl(s, T(VMM_TIMER_PERIOD_US), 50);
    qtest_outl(s, T(VMM_TIMER_CTRL),
               VMM_TIMER_CTRL_ENABLE | VMM_TIMER_CTRL_PERIODIC);
    /* One big step fires every period on the way, each at its time. */
    g_assert_cmpint(qtest_clock_step(s, 1000 * 1000), ==, 1000 * 1000);
    g_assert_cmpuint(qtest_get_irq_raises(s, IRQ), ==, 20);
    g_assert_cmpuint(qtest_inl(s, T(VMM_TIMER_COUNT)), ==, 20);
    qtest_clock_step(s, 50 * 1000 - 1);
    g_assert_cmpuint(qtest_get_irq_raises(s, IRQ), ==, 20);
    qtest_clock_step(s, 1);
    g_assert_cmpuint(qtest_get_irq_raises(s, IRQ), ==, 21);
    /* clock_set to an absolute time behaves the same. */
    g_assert_cmpint(qtest_clock_set(s, 2 * 1000 * 1000), ==, 2 * 1000 * 1000);
    g_assert_cmpuint(qtest_get_irq_raises(s, IRQ), ==, 40);
    /* Disabling stops it: nothing to step to any more. */
    qtest_outl(s, T(VMM_TIMER_CTRL), 0);
    qtest_clock_step(s, 1000 * 1000);
    g_assert_cmpuint(qtest_get_irq_raises(s, IRQ), ==, 40);
    qtest_quit(s);
}

/* Writing CTRL again re-arms from the current virtual time. */
static void test_rearm(void)
{
    QTestState *s = start();

    qtest_outl(s, T(VMM_TIMER_PERIOD_US), 10);
    qtest_outl(s, T(VMM_TIMER_CTRL), VMM_TIMER_CTRL_ENABLE);
    qtest_clock_step(s, 6000);
    qtest_outl(s, T(VMM_TIMER_CTRL), VMM_TIMER_CTRL_ENABLE);
    qtest_clock_step(s, 9999);
    g_assert_cmpuint(qtest_get_irq_raises(s, IRQ), ==, 0);
    g_assert_cmpint(qtest_clock_step(s, 1), ==, 16000);
    g_assert_cmpuint(qtest_get_irq_raises(s, IRQ), ==, 1);
    qtest_quit(s);
}

/* Guest errors: period 0 refuses to enable; unknown registers. */
static void test_bad_use(void)
{
    QTestState *s = start();
    char *reply;

    qtest_outl(s, T(VMM_TIMER_CTRL), VMM_TIMER_CTRL_ENABLE);
    g_assert_cmphex(qtest_inl(s, T(VMM_TIMER_CTRL)), ==, 0);
    reply = qtest_command(s, "clock_step");
    g_assert_true(g_str_has_prefix(reply, "FAIL "));
    g_free(reply);
    g_assert_cmphex(qtest_inl(s, T(0xc)), ==, 0xffffffff);
    qtest_outl(s, T(VMM_TIMER_COUNT), 5);
    qtest_outb(s, T(VMM_TIMER_PERIOD_US), 5);
    g_assert_cmpuint(qtest_inl(s, T(VMM_TIMER_COUNT)), ==, 0);
    g_assert_cmpuint(qtest_inl(s, T(VMM_TIMER_PERIOD_US)), ==, 0);
    /* Still works afterwards. */
    qtest_outl(s, T(VMM_TIMER_PERIOD_US), 1);
    qtest_outl(s, T(VMM_TIMER_CTRL), VMM_TIMER_CTRL_ENABLE);
    g_assert_cmpint(qtest_clock_step_next(s), ==, 1000);
    g_assert_cmpuint(qtest_get_irq_raises(s, IRQ), ==, 1);
    qtest_quit(s);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/qtest/timer/bad-use", test_bad_use);
    g_test_add_func("/qtest/timer/oneshot-exact", test_oneshot_exact);
    g_test_add_func("/qtest/timer/step-next", test_step_next);
    g_test_add_func("/qtest/timer/periodic", test_periodic);
    g_test_add_func("/qtest/timer/rearm", test_rearm);
    return g_test_run();
}
