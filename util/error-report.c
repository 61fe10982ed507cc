/*
 * qemuutil: error, warning and info reports on stderr.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * See include/qemu/error-report.h.  Each report is formatted into one
 * string first and written with one fputs(), so that stdio's stream lock
 * keeps concurrent reports from interleaving.
 */
#include "qemu/osdep.h"
#include "qemu/error-report.h"
#include "qemu/atomic.h"

bool message_with_timestamp;
bool error_with_guestname;
const char *error_guest_name;

int error_vprintf(const char *fmt, va_list args)
{
    return vfprintf(stderr, fmt, args);
}

/* Formatted first and written with one fputs(), like the reports below. */
int error_printf(const char *fmt, ...)
{
    g_autofree char *text = NULL;
    va_list args;

    va_start(args, fmt);
    text = g_strdup_vprintf(fmt, args);
    va_end(args);
    return fputs(text, stderr) == EOF ? -1 : (int)strlen(text);
}

typedef enum {
    REPORT_ERROR,
    REPORT_WARNING,
    REPORT_INFO,
} ReportLevel;

G_GNUC_PRINTF(2, 0)
static void report_line(ReportLevel level, const char *fmt, va_list args)
{
    GString *line = g_string_new(NULL);
    const char *prog = g_get_prgname();

    if (message_with_timestamp) {
        GDateTime *now = g_date_time_new_now_utc();
        gchar *stamp = g_date_time_format(now, "%Y-%m-%dT%H:%M:%S");

        g_string_append_printf(line, "%s.%06dZ ", stamp,
                               g_date_time_get_microsecond(now));
        g_free(stamp);
        g_date_time_unref(now);
    }
    if (error_with_guestname && error_guest_name) {
        g_string_append_printf(line, "%s ", error_guest_name);
    }
    if (prog) {
        g_string_append_printf(line, "%s: ", prog);
    }
    if (level == REPORT_WARNING) {
        g_string_append(line, "warning: ");
    } else if (level == REPORT_INFO) {
        g_string_append(line, "info: ");
    }
    g_string_append_vprintf(line, fmt, args);
    g_string_append_c(line, '\n');

    fputs(line->str, stderr);
    g_string_free(line, TRUE);
}

/* Report the variadic arguments that follow @fmt at @level. */
#define REPORT_VARARGS_(level, fmt) do {                \
        va_list va_;                                    \
                                                        \
        va_start(va_, fmt);                             \
        report_line(level, fmt, va_);                   \
        va_end(va_);                                    \
    } while (0)

void error_report(const char *fmt, ...)
{
    REPORT_VARARGS_(REPORT_ERROR, fmt);
}

void error_vreport(const char *fmt, va_list args)
{
    report_line(REPORT_ERROR, fmt, args);
}

void warn_report(const char *fmt, ...)
{
    REPORT_VARARGS_(REPORT_WARNING, fmt);
}

void warn_vreport(const char *fmt, va_list args)
{
    report_line(REPORT_WARNING, fmt, args);
}

void info_report(const char *fmt, ...)
{
    REPORT_VARARGS_(REPORT_INFO, fmt);
}

void info_vreport(const char *fmt, va_list args)
{
    report_line(REPORT_INFO, fmt, args);
}

/*
 * True for the first caller only.  The flag is claimed with an exchange so
 * that two threads reaching the same call site at once still print only
 * one report.
 */
static bool claim_once(bool *printed)
{
    return !qatomic_read(printed) && !qatomic_xchg(printed, true);
}

bool error_report_once_cond(bool *printed, const char *fmt, ...)
{
    if (!claim_once(printed)) {
        return false;
    }
    REPORT_VARARGS_(REPORT_ERROR, fmt);
    return true;
}

bool warn_report_once_cond(bool *printed, const char *fmt, ...)
{
    if (!claim_once(printed)) {
        return false;
    }
    REPORT_VARARGS_(REPORT_WARNING, fmt);
    return true;
}

void error_init(const char *argv0)
{
    if (argv0) {
        char *base = g_path_get_basename(argv0);

        g_set_prgname(base);
        g_free(base);
    }
}
