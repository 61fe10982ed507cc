/*
 * qtest-lite tests of vmm-mini's serial console: bytes written to THR
 * reach --serial-file a line at a time; LSR says "ready"; the other
 * registers are plain storage.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "qemu/osdep.h"

#include "libqtest-lite.h"
#include "guest/abi.h"

#define COM1(off) (VMM_SERIAL_BASE + (off))

static char *file_contents(const char *path)
{
    char *data;

    g_assert_true(g_file_get_contents(path, &data, NULL, NULL));
    return data;
}

static void puts_serial(QTestState *s, const char *str)
{
    for (; *str; str++) {
        g_assert_cmphex(qtest_inb(s, COM1(VMM_SERIAL_LSR)) &
                        VMM_SERIAL_LSR_THRE, ==, VMM_SERIAL_LSR_THRE);
        qtest_outb(s, COM1(VMM_SERIAL_THR), *str);
    }
}

static void test_output(void)
{
    char *dir = g_dir_make_tmp("qtest-lite-XXXXXX", NULL);
    char *path = g_build_filename(dir, "serial.txt", NULL);
    QTestState *s = qtest_initf("--serial-file %s", path);
    char *data;

    puts_serial(s, "hello from qtest\n");
    /* A whole line is written through before the reply. */
    data = file_contents(path);
    g_assert_cmpstr(data, ==, "hello from qtest\n");
    g_free(data);
    /* A partial line waits for its newline... */
    puts_serial(s, "tail");
    data = file_contents(path);
    g_assert_cmpstr(data, ==, "hello from qtest\n");
    g_free(data);
    /* ...or for vmm-mini to exit. */
    qtest_quit(s);
    data = file_contents(path);
    g_assert_cmpstr(data, ==, "hello from qtest\ntail");
    g_free(data);
    unlink(path);
    rmdir(dir);
    g_free(path);
    g_free(dir);
}

/* A line longer than the device's buffer is flushed in pieces. */
static void test_long_line(void)
{
    char *dir = g_dir_make_tmp("qtest-lite-XXXXXX", NULL);
    char *path = g_build_filename(dir, "serial.txt", NULL);
    QTestState *s = qtest_initf("--serial-file %s", path);
    char line[301];
    char *data;

    memset(line, 'x', 300);
    line[300] = '\0';
    puts_serial(s, line);
    data = file_contents(path);
    g_assert_cmpuint(strlen(data), ==, 256);
    g_free(data);
    qtest_quit(s);
    data = file_contents(path);
    g_assert_cmpstr(data, ==, line);
    g_free(data);
    unlink(path);
    rmdir(dir);
    g_free(path);
    g_free(dir);
}

static void test_registers(void)
{
    QTestState *s = qtest_init(NULL);

    g_assert_cmphex(qtest_inb(s, COM1(VMM_SERIAL_LSR)), ==,
                    VMM_SERIAL_LSR_THRE | VMM_SERIAL_LSR_TEMT);
    g_assert_cmphex(qtest_inb(s, COM1(VMM_SERIAL_THR)), ==, 0);
    qtest_outb(s, COM1(7), 0xa5);                   /* scratch */
    g_assert_cmphex(qtest_inb(s, COM1(7)), ==, 0xa5);
    qtest_outb(s, COM1(3), 0x83);                   /* LCR */
    g_assert_cmphex(qtest_inb(s, COM1(3)), ==, 0x83);
    /* Just past the device: nothing there, reads all ones. */
    g_assert_cmphex(qtest_inb(s, COM1(8)), ==, 0xff);
    qtest_quit(s);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/qtest/serial/long-line", test_long_line);
    g_test_add_func("/qtest/serial/output", test_output);
    g_test_add_func("/qtest/serial/registers", test_registers);
    return g_test_run();
}
