/*
 * qemuutil: deferred calls, batched up to the end of a section.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * Standalone support layer: QEMU has its own util/defer-call.c.
 *
 * Between defer_call_begin() and the matching defer_call_end(),
 * defer_call(fn, opaque) does not call fn(opaque) but remembers it, once
 * per distinct (fn, opaque) pair; the outermost defer_call_end() makes the
 * remembered calls, in the order they were first deferred.  The block layer
 * uses it to submit many requests with one system call; the thread pool's
 * completion bottom half opens such a section around its callbacks.
 *
 * Sections are per thread and nest.  Everything here is thread-safe in the
 * sense that each thread only touches its own state.
 */
#ifndef QEMU_DEFER_CALL_H
#define QEMU_DEFER_CALL_H

/**
 * defer_call:
 * @fn: function to call
 * @opaque: its argument; must stay valid until the call is made
 *
 * Call @fn(@opaque) now if no section is open in this thread, else at the
 * end of the outermost section; deferring the same pair again does nothing.
 */
void defer_call(void (*fn)(void *opaque), void *opaque);

/**
 * defer_call_begin:
 *
 * Open a section (sections nest).  Must be matched by defer_call_end() in
 * the same thread.
 */
void defer_call_begin(void);

/**
 * defer_call_end:
 *
 * Close a section; closing the outermost one makes the deferred calls.
 * Aborts if no section is open in this thread.
 */
void defer_call_end(void);

#endif /* QEMU_DEFER_CALL_H */
