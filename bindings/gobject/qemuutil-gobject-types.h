/*
 * qemuutil-gobject-types.h: enumerations and callback types of the
 * QemuUtil-1.0 GObject library.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * The enumerations are registered as GTypes by the generated
 * qemuutil-gobject-enumtypes.h; their values equal the C shim's
 * (qemuutil-ffi.h), so the library converts them with a cast.
 */
#ifndef QEMU_UTIL_GOBJECT_TYPES_H
#define QEMU_UTIL_GOBJECT_TYPES_H

#if !defined(QEMU_UTIL_INSIDE) && !defined(QEMU_UTIL_COMPILATION)
#error "Only <qemuutil-gobject.h> can be included directly."
#endif

#include <glib.h>

G_BEGIN_DECLS

/**
 * QemuUtilError:
 * @QEMU_UTIL_ERROR_FAILED: a failure with no more specific code
 * @QEMU_UTIL_ERROR_WRONG_THREAD: the call is not allowed from this thread
 *   (for example polling a context that an IOThread runs)
 * @QEMU_UTIL_ERROR_NOT_FOUND: no such object (for example unwatching a
 *   notifier that is not watched)
 * @QEMU_UTIL_ERROR_BAD_FD: not a valid file descriptor
 * @QEMU_UTIL_ERROR_AGAIN: nothing can be done now; try later
 * @QEMU_UTIL_ERROR_NO_MEMORY: out of memory
 * @QEMU_UTIL_ERROR_BUSY: the object is already in use (a notifier that is
 *   already watched, a context attached elsewhere)
 * @QEMU_UTIL_ERROR_EXISTS: the file descriptor is already watched in this
 *   context
 * @QEMU_UTIL_ERROR_INVALID: an argument has an invalid value
 * @QEMU_UTIL_ERROR_TOO_MANY_FILES: out of file descriptors
 *
 * Error codes of the %QEMU_UTIL_ERROR domain.  Each value is the errno
 * that the C shim's negative code stands for on Linux (so a binding may
 * turn it into an OSError), except %QEMU_UTIL_ERROR_FAILED.
 */
typedef enum {
    QEMU_UTIL_ERROR_FAILED = 0,
    QEMU_UTIL_ERROR_WRONG_THREAD = 1,
    QEMU_UTIL_ERROR_NOT_FOUND = 2,
    QEMU_UTIL_ERROR_BAD_FD = 9,
    QEMU_UTIL_ERROR_AGAIN = 11,
    QEMU_UTIL_ERROR_NO_MEMORY = 12,
    QEMU_UTIL_ERROR_BUSY = 16,
    QEMU_UTIL_ERROR_EXISTS = 17,
    QEMU_UTIL_ERROR_INVALID = 22,
    QEMU_UTIL_ERROR_TOO_MANY_FILES = 24,
} QemuUtilError;

/**
 * QemuUtilClock:
 * @QEMU_UTIL_CLOCK_REALTIME: the host's monotonic clock; never stops
 * @QEMU_UTIL_CLOCK_VIRTUAL: a counter that only moves when it is driven
 *   (tests, a virtual machine's time)
 * @QEMU_UTIL_CLOCK_HOST: the host's wall clock; may jump
 * @QEMU_UTIL_CLOCK_VIRTUAL_RT: like REALTIME, but stops with the virtual
 *   machine
 *
 * The clocks a #QemuUtilTimer can run on (QEMU's QEMUClockType).
 */
typedef enum {
    QEMU_UTIL_CLOCK_REALTIME = 0,
    QEMU_UTIL_CLOCK_VIRTUAL = 1,
    QEMU_UTIL_CLOCK_HOST = 2,
    QEMU_UTIL_CLOCK_VIRTUAL_RT = 3,
} QemuUtilClock;

/**
 * QemuUtilFdEvents:
 * @QEMU_UTIL_FD_NONE: no direction (a paused watch)
 * @QEMU_UTIL_FD_READ: the descriptor is readable
 * @QEMU_UTIL_FD_WRITE: the descriptor is writable
 *
 * The directions a #QemuUtilFdWatch watches.
 */
typedef enum /*< flags >*/ {
    QEMU_UTIL_FD_NONE = 0,
    QEMU_UTIL_FD_READ = 1 << 0,
    QEMU_UTIL_FD_WRITE = 1 << 1,
} QemuUtilFdEvents;

/**
 * QemuUtilFunc:
 * @user_data: (closure): the data given when the callback was registered
 *
 * A bottom half, timer, event-notifier or one-shot callback.  It runs in
 * the home thread of its context: whoever polls it, the #QemuUtilIOThread
 * that owns it, or the thread iterating the #GMainContext it is attached
 * to.
 */
typedef void (*QemuUtilFunc)(gpointer user_data);

/**
 * QemuUtilFdFunc:
 * @fd: the watched file descriptor
 * @events: the one direction that is ready (%QEMU_UTIL_FD_READ or
 *   %QEMU_UTIL_FD_WRITE); a descriptor ready both ways gets two calls
 * @user_data: (closure): the data given when the watch was created
 *
 * A file-descriptor watch callback.  Watches are level-triggered: the
 * callback runs at every iteration while the condition holds.
 */
typedef void (*QemuUtilFdFunc)(gint fd, QemuUtilFdEvents events,
                               gpointer user_data);

/**
 * QemuUtilPredicate:
 * @user_data: (closure): the data given with the predicate
 *
 * An exit condition for qemu_util_main_loop_run_until().
 *
 * Returns: %TRUE to stop iterating
 */
typedef gboolean (*QemuUtilPredicate)(gpointer user_data);

G_END_DECLS

#endif /* QEMU_UTIL_GOBJECT_TYPES_H */
