/*
 * qemuutil: printing errors, warnings and informational messages.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * The names are QEMU 10.0's include/qemu/error-report.h, without QEMU's
 * "location" tracking (command-line argument or config-file position) and
 * without the monitor: everything goes to stderr.
 *
 * A report is one line:  "[timestamp ][guest ]prog: [warning: |info: ]msg"
 * where prog is g_get_prgname() (set by error_init() or by GLib from
 * argv[0]) and is left out when unset.  Messages should not end with a
 * newline or punctuation.  Each report is written with a single stdio
 * call, so reports from different threads do not interleave.
 *
 * All functions are thread-safe.
 */
#ifndef QEMU_ERROR_REPORT_H
#define QEMU_ERROR_REPORT_H

/* Raw output to stderr, no prefix and no newline added.  Returns as printf. */
int error_vprintf(const char *fmt, va_list ap) G_GNUC_PRINTF(1, 0);
int error_printf(const char *fmt, ...) G_GNUC_PRINTF(1, 2);

/* Reports at the three severities; a newline is appended. */
void error_report(const char *fmt, ...) G_GNUC_PRINTF(1, 2);
void error_vreport(const char *fmt, va_list ap) G_GNUC_PRINTF(1, 0);

/* As error_report(), with "warning: " before the message. */
void warn_report(const char *fmt, ...) G_GNUC_PRINTF(1, 2);
void warn_vreport(const char *fmt, va_list ap) G_GNUC_PRINTF(1, 0);

/* As error_report(), with "info: " before the message. */
void info_report(const char *fmt, ...) G_GNUC_PRINTF(1, 2);
void info_vreport(const char *fmt, va_list ap) G_GNUC_PRINTF(1, 0);

/*
 * Report only if *@printed is false, then set it.  Returns whether it
 * printed.  Use the _once macros below rather than calling these.
 */
bool error_report_once_cond(bool *printed, const char *fmt, ...)
    G_GNUC_PRINTF(2, 3);
bool warn_report_once_cond(bool *printed, const char *fmt, ...)
    G_GNUC_PRINTF(2, 3);

/*
 * error_report()/warn_report() at most once per call site for the life of
 * the process.  Evaluates to true when it printed.
 */
#define error_report_once(fmt, ...)                                     \
    ({                                                                  \
        static bool report_once_printed__;                              \
        error_report_once_cond(&report_once_printed__,                  \
                               fmt, ## __VA_ARGS__);                    \
    })

#define warn_report_once(fmt, ...)                                      \
    ({                                                                  \
        static bool report_once_printed__;                              \
        warn_report_once_cond(&report_once_printed__,                   \
                              fmt, ## __VA_ARGS__);                     \
    })

/*
 * Sets the program name used as the prefix from @argv0 (its basename).
 * NULL leaves the current name alone.
 */
void error_init(const char *argv0);

/* Prefix reports with an ISO 8601 UTC timestamp.  Default: false. */
extern bool message_with_timestamp;

/* Prefix reports with error_guest_name (when set).  Default: false. */
extern bool error_with_guestname;
extern const char *error_guest_name;

#endif /* QEMU_ERROR_REPORT_H */
