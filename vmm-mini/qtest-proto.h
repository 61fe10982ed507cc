/*
 * qtest-lite protocol engine: QEMU's qtest text protocol executed against a
 * vmm-mini machine, with no transport attached.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * The engine takes bytes in (qtest_proto_feed()), executes one complete
 * line at a time (qtest_proto_step()) and hands every byte it wants to send
 * to a QtestProtoSendFunc: replies ("OK ...", "FAIL reason") and the
 * asynchronous "IRQ raise N" / "IRQ lower N" lines.  The socket and stdio
 * transport lives in qtest.c; a libFuzzer target drives the engine
 * directly.  Nothing a client sends can abort or crash the engine: every
 * malformed or out-of-range request gets exactly one "FAIL" line.
 *
 * Threading contract, the default for this header: main thread, BQL held
 * (the engine calls device code, which expects the BQL).
 */
#ifndef VMM_MINI_QTEST_PROTO_H
#define VMM_MINI_QTEST_PROTO_H

#include "vmm.h"

/*
 * The longest request line accepted, newline excluded.  A "write" of all
 * of guest RAM in hex is about 1.3 MB, so this leaves room.  A longer line
 * is discarded as it arrives (it is never buffered whole) and answered
 * with one "FAIL line too long".
 */
#define QTEST_PROTO_MAX_LINE (4 * 1024 * 1024)

/* Interrupt numbers a client can see: "IRQ raise N" has N below this. */
#define QTEST_PROTO_MAX_IRQ 256

typedef struct QtestProto QtestProto;

/*
 * Where the engine's output goes: @len bytes at @buf, not NUL-terminated,
 * always whole lines.  The callee copies what it keeps.
 */
typedef void QtestProtoSendFunc(void *opaque, const char *buf, size_t len);

/**
 * qtest_proto_new: create an engine for machine @m.
 * @m: the machine; its devices must be realized.  Not owned.
 * @send: receives every output line.
 * @opaque: passed to @send.
 *
 * Returns: the engine, freed with qtest_proto_free().
 */
QtestProto *qtest_proto_new(VmmMachine *m, QtestProtoSendFunc *send,
                            void *opaque);

/* Free @p (NULL is allowed). */
void qtest_proto_free(QtestProto *p);

/**
 * qtest_proto_reset: start over for a new client.
 *
 * Drops any partial input line, removes the IRQ intercept and forgets the
 * reported IRQ levels, as QEMU does when its qtest chardev is opened.
 * Machine state (RAM, registers, virtual clock) is kept.
 */
void qtest_proto_reset(QtestProto *p);

/**
 * qtest_proto_feed: append @len bytes of client input.
 *
 * Executes nothing: call qtest_proto_step() until it returns false.  Input
 * beyond a complete line is buffered; an overlong line is not (see
 * QTEST_PROTO_MAX_LINE), so the buffer stays bounded by that limit plus
 * @len.
 */
void qtest_proto_feed(QtestProto *p, const void *buf, size_t len);

/**
 * qtest_proto_step: execute the oldest complete buffered line, if any.
 *
 * Output (the reply, preceded by any IRQ lines the command caused) goes to
 * the send function before this returns.  The transport calls this in a
 * loop, and may stop early to let its output drain.
 *
 * Returns: true if a line was executed.
 */
bool qtest_proto_step(QtestProto *p);

/* Whether a complete line is waiting for qtest_proto_step(). */
bool qtest_proto_has_line(QtestProto *p);

/**
 * qtest_proto_execute: execute the single request @line (no newline).
 *
 * What qtest_proto_step() does for each buffered line; exposed for tests
 * and the fuzzer.
 */
void qtest_proto_execute(QtestProto *p, const char *line);

/**
 * qtest_proto_irq: report that the line wired to @gsi went to @level.
 *
 * Called by the accelerator's irq_set hook.  Sends "IRQ raise N" or
 * "IRQ lower N" when an intercept covers the line and its reported level
 * changes; otherwise does nothing.
 */
void qtest_proto_irq(QtestProto *p, int gsi, bool level);

/**
 * qtest_proto_set_step_limit: refuse clock_step/clock_set requests that
 * would move the virtual clock by more than @max_ns (0: no limit).
 *
 * Moving the clock runs every timer that falls due on the way, so a huge
 * step over a 1 us periodic timer is a lot of work; the fuzzer sets a
 * limit to keep each input fast.
 */
void qtest_proto_set_step_limit(QtestProto *p, int64_t max_ns);

/**
 * qtest_proto_set_log: log requests and replies to @log (NULL: off), in
 * QEMU's -qtest-log format: "[R +secs] request", "[S +secs] reply".
 * The caller keeps ownership of @log.
 */
void qtest_proto_set_log(QtestProto *p, FILE *log);

#endif /* VMM_MINI_QTEST_PROTO_H */
