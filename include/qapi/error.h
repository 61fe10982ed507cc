/*
 * qemuutil: QEMU's Error objects (error_setg(), error_propagate(), ...).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * The API and rules are those documented in QEMU 10.0's
 * include/qapi/error.h.  In short:
 *
 *  - A function that can fail takes "Error **errp" as its last parameter,
 *    sets *errp with error_setg() on failure, and also says so through its
 *    return value (false, NULL or a negative number).
 *  - The caller chooses what a failure means by what it passes as errp:
 *      NULL          ignore the error;
 *      &error_abort  the error is a programming bug: print it with where
 *                    it was set, then abort();
 *      &error_fatal  print it and exit(1);
 *      &error_warn   print it as a warning and carry on;
 *      &local_err    receive it (local_err must start out NULL); the
 *                    caller then owns it and must free, report or
 *                    propagate it.
 *  - Setting an error where one is already set is a bug and aborts: it
 *    would leak or hide the first error.
 *  - A function that needs to look at its own errp (error_prepend(),
 *    error_append_hint(), "if (*errp)") starts with ERRP_GUARD(), which
 *    makes that safe even when the caller passed NULL or &error_fatal.
 *
 * Error objects are plain heap objects with no thread affinity: creating,
 * reading and freeing different Errors from different threads is fine; a
 * single Error has a single owner.
 */
#ifndef ERROR_H
#define ERROR_H

/*
 * Categories of error.  New code should only use the generic class (that
 * is what error_setg() does); the others exist for QMP compatibility.
 */
typedef enum ErrorClass {
    ERROR_CLASS_GENERIC_ERROR,
    ERROR_CLASS_COMMAND_NOT_FOUND,
    ERROR_CLASS_DEVICE_NOT_ACTIVE,
    ERROR_CLASS_DEVICE_NOT_FOUND,
    ERROR_CLASS_KVM_MISSING_CAP,
} ErrorClass;

/* The error's human-readable message; owned by @err. */
const char *error_get_pretty(const Error *err);

/* The error's class. */
ErrorClass error_get_class(const Error *err);

/**
 * error_setg - create an error and hand it to @errp
 * @errp: destination, see the header comment (NULL, &error_abort, ...).
 * @fmt: printf-style message, no trailing newline or punctuation.
 *
 * Records the caller's file, line and function for &error_abort reports.
 * Preserves errno.  Aborts if *@errp is already set.
 */
void error_setg_internal(Error **errp, const char *src, int line,
                         const char *func, const char *fmt, ...)
    G_GNUC_PRINTF(5, 6);
#define error_setg(errp, fmt, ...)                                      \
    error_setg_internal((errp), __FILE__, __LINE__, __func__,           \
                        (fmt), ## __VA_ARGS__)

/**
 * error_setg_errno - error_setg() with ": <strerror(os_error)>" appended
 * @errp: destination.
 * @os_error: a positive errno value; 0 appends nothing.
 * @fmt: message.
 */
#define error_setg_errno(errp, os_error, fmt, ...)                      \
    error_setg_errno_internal((errp), __FILE__, __LINE__, __func__,     \
                              (os_error), (fmt), ## __VA_ARGS__)
void error_setg_errno_internal(Error **errp,
                               const char *src, int line, const char *func,
                               int os_error, const char *fmt, ...)
    G_GNUC_PRINTF(6, 7);

/* error_setg_errno() with the message "Could not open '<filename>'". */
#define error_setg_file_open(errp, os_errno, filename)                  \
    error_setg_file_open_internal((errp), __FILE__, __LINE__, __func__, \
                                  (os_errno), (filename))
void error_setg_file_open_internal(Error **errp,
                                   const char *src, int line,
                                   const char *func,
                                   int os_errno, const char *filename);

/* As error_setg(), with an explicit class (legacy QMP errors only). */
void error_set_internal(Error **errp, const char *src, int line,
                        const char *func, ErrorClass err_class,
                        const char *fmt, ...) G_GNUC_PRINTF(6, 7);
#define error_set(errp, err_class, fmt, ...)                            \
    error_set_internal((errp), __FILE__, __LINE__, __func__,            \
                       (err_class), (fmt), ## __VA_ARGS__)

/**
 * error_propagate - pass @local_err on to @dst_errp
 * @dst_errp: destination, with the usual meaning of NULL, &error_abort,
 *            &error_fatal and &error_warn.
 * @local_err: an error owned by the caller, or NULL (then nothing happens).
 *
 * Ownership of @local_err moves to the destination.  If @dst_errp is NULL
 * or already holds an error, @local_err is freed: the first error wins.
 */
void error_propagate(Error **dst_errp, Error *local_err);

/**
 * error_propagate_prepend - error_prepend() then error_propagate()
 * @dst_errp: destination.
 * @local_err: the error, owned by the caller.
 * @fmt: text to put in front of the message (skipped if it would be
 *       thrown away anyway).
 */
void error_propagate_prepend(Error **dst_errp, Error *local_err,
                             const char *fmt, ...) G_GNUC_PRINTF(3, 4);

/**
 * error_prepend - put formatted text in front of an existing message
 * @errp: NULL (nothing happens) or a pointer to a set error.  Must not be
 *        &error_abort or &error_fatal: use ERRP_GUARD().
 * @fmt: text to prepend, typically ending in ": ".
 */
void error_prepend(Error *const *errp, const char *fmt, ...)
    G_GNUC_PRINTF(2, 3);
void error_vprepend(Error *const *errp, const char *fmt, va_list ap)
    G_GNUC_PRINTF(2, 0);

/**
 * error_append_hint - add advice shown after the message by the reporters
 * @errp: NULL (nothing happens) or a pointer to a set error; not
 *        &error_abort or &error_fatal (use ERRP_GUARD()).
 * @fmt: hint text; unlike messages, hints end with a newline.
 *
 * Preserves errno.
 */
void error_append_hint(Error *const *errp, const char *fmt, ...)
    G_GNUC_PRINTF(2, 3);

/* A new, independent copy of @err; the caller owns it. */
Error *error_copy(const Error *err);

/* Frees @err (NULL is fine). */
void error_free(Error *err);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(Error, error_free)

/*
 * Frees *@errp and sets it to NULL.  For tests that expect an error:
 * aborts if none was set.
 */
void error_free_or_abort(Error **errp);

/*
 * Print @err as an error or a warning (with its hint) via
 * qemu/error-report.h, then free it.
 */
void error_report_err(Error *err);
void warn_report_err(Error *err);

/* As above, prepending formatted text to the message first. */
void error_reportf_err(Error *err, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
void warn_reportf_err(Error *err, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

/*
 * warn_report_err() the first time through a given call site, error_free()
 * afterwards.  Returns true if it printed.
 */
bool warn_report_err_once_cond(bool *printed, Error *err);
#define warn_report_err_once(err)                                       \
    ({                                                                  \
        static bool warn_err_once_printed__;                            \
        warn_report_err_once_cond(&warn_err_once_printed__, (err));     \
    })

/*
 * ERRP_GUARD() - make errp safe to dereference in the current function.
 *
 * Put it first in any function that reads *errp or passes errp to
 * error_prepend()/error_append_hint().  If the caller passed NULL or
 * &error_fatal, errp is pointed at a local Error instead, and when the
 * function returns that error is propagated to the caller's original
 * errp (so &error_fatal still exits, after any hints were appended).
 * &error_abort is left alone: the abort should point at the real culprit.
 */
typedef struct ErrorPropagator {
    Error **errp;           /* the caller's errp */
    Error *local_err;       /* stands in for a NULL / &error_fatal errp */
} ErrorPropagator;

/* Runs when the guard goes out of scope. */
static inline void error_propagator_cleanup(ErrorPropagator *guard)
{
    Error *pending = guard->local_err;

    guard->local_err = NULL;
    error_propagate(guard->errp, pending);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(ErrorPropagator, error_propagator_cleanup);

#define ERRP_GUARD()                                                    \
    g_auto(ErrorPropagator) errp_guard_prop__ = { .errp = errp };       \
    do {                                                                \
        if (errp == NULL || errp == &error_fatal) {                     \
            errp = &errp_guard_prop__.local_err;                        \
        }                                                               \
    } while (0)

/*
 * The special destinations.  Only their addresses matter; the variables
 * themselves always hold NULL.
 */
extern Error *error_abort;
extern Error *error_fatal;
extern Error *error_warn;

#endif /* ERROR_H */
