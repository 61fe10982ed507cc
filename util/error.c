/*
 * qemuutil: Error objects.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * See include/qapi/error.h for the rules.  Every path that delivers an
 * Error to a destination goes through error_deliver(), which is where the
 * special destinations (&error_abort, &error_fatal, &error_warn) act.
 */
#include "qemu/osdep.h"
#include "qapi/error.h"
#include "qemu/error-report.h"

struct Error {
    char *msg;              /* the message, owned */
    GString *hint;          /* NULL, or hints appended by the callee */
    ErrorClass err_class;
    const char *src;        /* where error_setg() was called: static */
    const char *func;       /*   strings from __FILE__ and __func__ */
    int line;
};

/* Sentinels: compared by address, never written. */
Error *error_abort;
Error *error_fatal;
Error *error_warn;

/* Prints the hint of @err, if any, after its message. */
static void error_print_hint(const Error *err)
{
    if (err->hint) {
        error_printf("%s", err->hint->str);
    }
}

/* Hands @err (owned) to @errp, honouring the special destinations. */
static void error_deliver(Error **errp, Error *err)
{
    if (errp == &error_abort) {
        /* A programming error: say where it was raised, then crash. */
        fprintf(stderr, "Unexpected error in %s() at %s:%d:\n",
                err->func, err->src, err->line);
        error_report("%s", err->msg);
        error_print_hint(err);
        abort();
    } else if (errp == &error_warn) {
        warn_report_err(err);
    } else if (errp == &error_fatal) {
        error_report_err(err);
        exit(EXIT_FAILURE);
    } else if (errp != NULL && *errp == NULL) {
        *errp = err;
    } else {
        /* Ignored, or an earlier error takes precedence. */
        error_free(err);
    }
}

G_GNUC_PRINTF(6, 0)
static void error_create(Error **errp, const char *src, int line,
                         const char *func, ErrorClass err_class,
                         const char *fmt, va_list args, int os_error)
{
    int saved_errno = errno;
    Error *err;

    if (errp == NULL) {
        return;
    }
    if (*errp != NULL) {
        fprintf(stderr, "%s:%d: %s(): setting an error where one is already "
                "set (\"%s\"); propagate or free the first one first\n",
                src, line, func, error_get_pretty(*errp));
        abort();
    }

    err = g_new0(Error, 1);
    err->msg = g_strdup_vprintf(fmt, args);
    if (os_error != 0) {
        char *base = err->msg;

        err->msg = g_strdup_printf("%s: %s", base, strerror(os_error));
        g_free(base);
    }
    err->err_class = err_class;
    err->src = src;
    err->line = line;
    err->func = func;

    error_deliver(errp, err);
    errno = saved_errno;
}

void error_set_internal(Error **errp, const char *src, int line,
                        const char *func, ErrorClass err_class,
                        const char *fmt, ...)
{
    va_list args;

    va_start(args, fmt);
    error_create(errp, src, line, func, err_class, fmt, args, 0);
    va_end(args);
}

void error_setg_internal(Error **errp, const char *src, int line,
                         const char *func, const char *fmt, ...)
{
    va_list args;

    va_start(args, fmt);
    error_create(errp, src, line, func, ERROR_CLASS_GENERIC_ERROR,
                 fmt, args, 0);
    va_end(args);
}

void error_setg_errno_internal(Error **errp, const char *src, int line,
                               const char *func, int os_error,
                               const char *fmt, ...)
{
    va_list args;

    va_start(args, fmt);
    error_create(errp, src, line, func, ERROR_CLASS_GENERIC_ERROR,
                 fmt, args, os_error);
    va_end(args);
}

void error_setg_file_open_internal(Error **errp, const char *src, int line,
                                   const char *func, int os_errno,
                                   const char *filename)
{
    error_setg_errno_internal(errp, src, line, func, os_errno,
                              "Could not open '%s'", filename);
}

/* Aborts unless @errp points at a real, set error (see the header). */
static Error *error_target(Error *const *errp, const char *who)
{
    if (errp == &error_abort || errp == &error_fatal || *errp == NULL) {
        fprintf(stderr, "%s: no error to modify (errp is %s); use "
                "ERRP_GUARD() in the function that calls it\n", who,
                errp == &error_abort ? "&error_abort" :
                errp == &error_fatal ? "&error_fatal" : "unset");
        abort();
    }
    return *errp;
}

void error_vprepend(Error *const *errp, const char *fmt, va_list args)
{
    Error *err;
    char *front;
    char *joined;

    if (errp == NULL) {
        return;
    }
    err = error_target(errp, "error_prepend");
    front = g_strdup_vprintf(fmt, args);
    joined = g_strconcat(front, err->msg, NULL);
    g_free(front);
    g_free(err->msg);
    err->msg = joined;
}

void error_prepend(Error *const *errp, const char *fmt, ...)
{
    va_list args;

    va_start(args, fmt);
    error_vprepend(errp, fmt, args);
    va_end(args);
}

void error_append_hint(Error *const *errp, const char *fmt, ...)
{
    int saved_errno = errno;
    Error *err;
    va_list args;

    if (errp == NULL) {
        return;
    }
    err = error_target(errp, "error_append_hint");
    if (err->hint == NULL) {
        err->hint = g_string_new("");
    }
    va_start(args, fmt);
    g_string_append_vprintf(err->hint, fmt, args);
    va_end(args);
    errno = saved_errno;
}

Error *error_copy(const Error *err)
{
    Error *dup = g_new(Error, 1);

    *dup = *err;
    dup->msg = g_strdup(err->msg);
    dup->hint = err->hint ? g_string_new(err->hint->str) : NULL;
    return dup;
}

const char *error_get_pretty(const Error *err)
{
    return err->msg;
}

ErrorClass error_get_class(const Error *err)
{
    return err->err_class;
}

void error_free(Error *err)
{
    if (err == NULL) {
        return;
    }
    if (err->hint) {
        g_string_free(err->hint, TRUE);
    }
    g_free(err->msg);
    g_free(err);
}

void error_free_or_abort(Error **errp)
{
    if (errp == NULL || *errp == NULL) {
        fprintf(stderr, "error_free_or_abort: expected an error, "
                "but none was set\n");
        abort();
    }
    error_free(*errp);
    *errp = NULL;
}

void error_report_err(Error *err)
{
    error_report("%s", err->msg);
    error_print_hint(err);
    error_free(err);
}

void warn_report_err(Error *err)
{
    warn_report("%s", err->msg);
    error_print_hint(err);
    error_free(err);
}

void error_reportf_err(Error *err, const char *fmt, ...)
{
    va_list args;

    va_start(args, fmt);
    error_vprepend(&err, fmt, args);
    va_end(args);
    error_report_err(err);
}

void warn_reportf_err(Error *err, const char *fmt, ...)
{
    va_list args;

    va_start(args, fmt);
    error_vprepend(&err, fmt, args);
    va_end(args);
    warn_report_err(err);
}

bool warn_report_err_once_cond(bool *printed, Error *err)
{
    bool first = !*printed;

    *printed = true;
    if (first) {
        warn_report_err(err);   /* also frees it */
    } else {
        error_free(err);
    }
    return first;
}

void error_propagate(Error **dst_errp, Error *local_err)
{
    if (local_err != NULL) {
        error_deliver(dst_errp, local_err);
    }
}

void error_propagate_prepend(Error **dst_errp, Error *local_err,
                             const char *fmt, ...)
{
    va_list args;

    /* Only decorate a message somebody is going to see. */
    if (local_err && dst_errp && *dst_errp == NULL) {
        va_start(args, fmt);
        error_vprepend(&local_err, fmt, args);
        va_end(args);
    }
    error_propagate(dst_errp, local_err);
}
