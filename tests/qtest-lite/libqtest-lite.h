/*
 * libqtest-lite: a C client for vmm-mini's qtest accelerator, with
 * libqtest's function names.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * qtest_init() listens on a unix socket in a fresh temporary directory,
 * spawns vmm-mini (the binary named by $QTEST_VMM_MINI) with
 * "-accel qtest -qtest unix:PATH" and accepts its connection, as libqtest
 * does with QEMU.  Every call then sends one request and waits for its
 * reply; "IRQ raise N" / "IRQ lower N" lines that arrive first are
 * recorded, so qtest_get_irq() and the raise counters always reflect
 * every interrupt edge the server reported before the reply.
 *
 * Error handling, as in libqtest: a request that does not get "OK" is a
 * test failure (g_error() with the request and the reply).  Use
 * qtest_command() to send a request whose failure is expected.  A server
 * that does not answer within QTEST_LITE_TIMEOUT_S seconds (scaled by
 * $QTEST_LITE_TIMEOUT_MULT, for slow sanitizer builds) is a failure too;
 * that timeout bounds a hang, it never orders events.
 *
 * Threading contract, the default for this header: a QTestState is used
 * by one thread at a time.
 */
#ifndef QTEST_LITE_LIBQTEST_LITE_H
#define QTEST_LITE_LIBQTEST_LITE_H

#include <glib.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define QTEST_LITE_TIMEOUT_S 30

typedef struct QTestState QTestState;

/**
 * qtest_init: start vmm-mini in qtest mode and connect to it.
 * @extra_args: more vmm-mini options (shell-quoted), or NULL.
 *
 * Returns: the connection; end it with qtest_quit().
 */
QTestState *qtest_init(const char *extra_args);

/* qtest_init() with a printf-style argument string. */
QTestState *qtest_initf(const char *fmt, ...) G_GNUC_PRINTF(1, 2);

/**
 * qtest_quit: close the connection, wait for vmm-mini to exit and check
 * its exit status (0 unless qtest_set_expected_status() said otherwise).
 * Frees @s.
 */
void qtest_quit(QTestState *s);

/* The exit status qtest_quit() expects (e.g. what the guest wrote). */
void qtest_set_expected_status(QTestState *s, int status);

/* Whether vmm-mini is still running (reaps it if it exited). */
bool qtest_probe_child(QTestState *s);

/* Port I/O; @addr is a port (0..0xffff). */
void qtest_outb(QTestState *s, uint16_t addr, uint8_t value);
void qtest_outw(QTestState *s, uint16_t addr, uint16_t value);
void qtest_outl(QTestState *s, uint16_t addr, uint32_t value);
uint8_t qtest_inb(QTestState *s, uint16_t addr);
uint16_t qtest_inw(QTestState *s, uint16_t addr);
uint32_t qtest_inl(QTestState *s, uint16_t addr);

/* Guest-physical accesses: RAM, or MMIO registers outside RAM. */
void qtest_writeb(QTestState *s, uint64_t addr, uint8_t value);
void qtest_writew(QTestState *s, uint64_t addr, uint16_t value);
void qtest_writel(QTestState *s, uint64_t addr, uint32_t value);
void qtest_writeq(QTestState *s, uint64_t addr, uint64_t value);
uint8_t qtest_readb(QTestState *s, uint64_t addr);
uint16_t qtest_readw(QTestState *s, uint64_t addr);
uint32_t qtest_readl(QTestState *s, uint64_t addr);
uint64_t qtest_readq(QTestState *s, uint64_t addr);

/* Bulk guest RAM: hex ("read"/"write") and base64 ("b64read/write"). */
void qtest_memread(QTestState *s, uint64_t addr, void *data, size_t size);
void qtest_memwrite(QTestState *s, uint64_t addr, const void *data,
                    size_t size);
void qtest_bufread(QTestState *s, uint64_t addr, void *data, size_t size);
void qtest_bufwrite(QTestState *s, uint64_t addr, const void *data,
                    size_t size);
void qtest_memset(QTestState *s, uint64_t addr, uint8_t patt, size_t size);

/**
 * qtest_clock_step: advance QEMU_CLOCK_VIRTUAL by @step ns, running every
 * timer that falls due on the way at its exact expiry time.
 *
 * Returns: the virtual clock afterwards.
 */
int64_t qtest_clock_step(QTestState *s, int64_t step);

/* Advance to the next timer deadline; returns the new clock. */
int64_t qtest_clock_step_next(QTestState *s);

/* Advance to @val ns; returns the new clock. */
int64_t qtest_clock_set(QTestState *s, int64_t val);

/*
 * Ask for IRQ lines: "ioapic" reports every GSI as its number; a device
 * id (e.g. "doorbell-pio") with _out reports that device's line as 0.
 */
void qtest_irq_intercept_in(QTestState *s, const char *qom_path);
void qtest_irq_intercept_out(QTestState *s, const char *qom_path);

/* The last level reported for line @num (after a round trip). */
bool qtest_get_irq(QTestState *s, int num);

/*
 * qtest-lite extensions.  Device interrupts in vmm-mini are pulses
 * (raise, then lower at once), so a level says little; count edges.
 */

/* Rising edges of line @num seen so far (no round trip). */
unsigned qtest_get_irq_raises(QTestState *s, int num);

/*
 * Wait, reading asynchronous lines only, until line @num has been raised
 * @count times in total.  For events that happen in the server's main
 * loop after a reply, such as a doorbell handler's completion interrupt.
 */
void qtest_wait_irq_raises(QTestState *s, int num, unsigned count);

/**
 * qtest_command: send the raw request @fmt and return its reply line
 * (without the newline), whatever it is.  The caller frees it.
 */
char *qtest_command(QTestState *s, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

/* The process id of the vmm-mini behind @s. */
int qtest_pid(QTestState *s);

#endif /* QTEST_LITE_LIBQTEST_LITE_H */
