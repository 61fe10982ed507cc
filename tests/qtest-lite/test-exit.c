/*
 * qtest-lite tests of vmm-mini's exit device: the status written to it
 * becomes vmm-mini's exit status, after the reply reached the client.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "qemu/osdep.h"

#include "libqtest-lite.h"
#include "guest/abi.h"

#define EXITDEV(off) (VMM_EXIT_BASE + (off))

static void test_status(gconstpointer opaque)
{
    int status = GPOINTER_TO_INT(opaque);
    QTestState *s = qtest_init(NULL);

    qtest_outb(s, EXITDEV(VMM_EXIT_STATUS), status);
    qtest_set_expected_status(s, status);
    qtest_quit(s);
}

/* Marks, probes and reads have no effect on the run. */
static void test_other_registers(void)
{
    QTestState *s = qtest_init(NULL);

    qtest_outb(s, EXITDEV(VMM_EXIT_MARK), 1);
    qtest_outb(s, EXITDEV(VMM_EXIT_MARK), 2);
    qtest_outb(s, EXITDEV(VMM_EXIT_PROBE), 0);
    qtest_outb(s, EXITDEV(3), 9);
    g_assert_cmphex(qtest_inb(s, EXITDEV(VMM_EXIT_STATUS)), ==, 0);
    g_assert_true(qtest_probe_child(s));
    qtest_quit(s);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_data_func("/qtest/exit/status-42", GINT_TO_POINTER(42),
                         test_status);
    g_test_add_data_func("/qtest/exit/status-0", GINT_TO_POINTER(0),
                         test_status);
    g_test_add_data_func("/qtest/exit/status-255", GINT_TO_POINTER(255),
                         test_status);
    g_test_add_func("/qtest/exit/other-registers", test_other_registers);
    return g_test_run();
}
