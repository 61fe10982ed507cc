/*
 * qemuutil: string helpers.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * See include/qemu/cutils.h.  The number parsers share two cores, one for
 * signed and one for unsigned types, built on strtoll()/strtoull(); the
 * per-type functions only supply the limits.
 */
#include "qemu/osdep.h"
#include "qemu/cutils.h"

void pstrcpy(char *buf, int buf_size, const char *str)
{
    size_t len;

    if (buf_size <= 0) {
        return;
    }
    len = strnlen(str, buf_size - 1);
    memcpy(buf, str, len);
    buf[len] = '\0';
}

char *pstrcat(char *buf, int buf_size, const char *s)
{
    size_t used = strnlen(buf, buf_size > 0 ? buf_size : 0);

    if ((int)used < buf_size) {
        pstrcpy(buf + used, buf_size - used, s);
    }
    return buf;
}

int strstart(const char *str, const char *val, const char **ptr)
{
    size_t n = strlen(val);

    if (strncmp(str, val, n) != 0) {
        return 0;
    }
    if (ptr) {
        *ptr = str + n;
    }
    return 1;
}

static void check_base(int base)
{
    if (base < 0 || base == 1 || base > 36) {
        fprintf(stderr, "qemu_strto*: invalid base %d (want 0 or 2..36)\n",
                base);
        abort();
    }
}

/*
 * Common tail of the parsers: report the end pointer and turn the libc
 * outcome into the documented return value.
 */
static int parse_finish(const char *nptr, const char *ep,
                        const char **endptr, int err)
{
    if (endptr) {
        *endptr = ep;
    }
    if (ep == nptr) {
        return -EINVAL;             /* nothing was converted */
    }
    if (endptr == NULL && *ep != '\0') {
        return -EINVAL;             /* caller wanted the whole string */
    }
    return -err;
}

static int parse_signed(const char *nptr, const char **endptr, int base,
                        int64_t min, int64_t max, int64_t *result)
{
    char *ep;
    long long val;
    int err;

    check_base(base);
    if (nptr == NULL) {
        *result = 0;
        if (endptr) {
            *endptr = NULL;
        }
        return -EINVAL;
    }
    errno = 0;
    val = strtoll(nptr, &ep, base);
    err = errno;
    if (val < min) {
        val = min;
        err = ERANGE;
    } else if (val > max) {
        val = max;
        err = ERANGE;
    }
    *result = val;
    return parse_finish(nptr, ep, endptr, err);
}

/*
 * As strtoul() for a type whose maximum is @max: a leading '-' negates
 * modulo 2^width, and only magnitudes up to @max are in range.  The
 * caller truncates *@result to its type.
 */
static int parse_unsigned(const char *nptr, const char **endptr, int base,
                          uint64_t max, uint64_t *result)
{
    char *ep;
    unsigned long long val;
    uint64_t magnitude;
    bool negative;
    int err;

    check_base(base);
    if (nptr == NULL) {
        *result = 0;
        if (endptr) {
            *endptr = NULL;
        }
        return -EINVAL;
    }
    errno = 0;
    val = strtoull(nptr, &ep, base);
    err = errno;
    if (err == ERANGE) {
        *result = max;
    } else {
        /* strtoull() already negated; recover the magnitude to range-check. */
        negative = memchr(nptr, '-', ep - nptr) != NULL;
        magnitude = negative ? -(uint64_t)val : val;
        if (magnitude > max) {
            *result = max;
            err = ERANGE;
        } else {
            *result = negative ? -magnitude : magnitude;
        }
    }
    return parse_finish(nptr, ep, endptr, err);
}

int qemu_strtoi(const char *nptr, const char **endptr, int base,
                int *result)
{
    int64_t val;
    int ret = parse_signed(nptr, endptr, base, INT_MIN, INT_MAX, &val);

    *result = (int)val;
    return ret;
}

int qemu_strtoui(const char *nptr, const char **endptr, int base,
                 unsigned int *result)
{
    uint64_t val;
    int ret = parse_unsigned(nptr, endptr, base, UINT_MAX, &val);

    *result = (unsigned int)val;
    return ret;
}

int qemu_strtol(const char *nptr, const char **endptr, int base,
                long *result)
{
    int64_t val;
    int ret = parse_signed(nptr, endptr, base, LONG_MIN, LONG_MAX, &val);

    *result = (long)val;
    return ret;
}

int qemu_strtoul(const char *nptr, const char **endptr, int base,
                 unsigned long *result)
{
    uint64_t val;
    int ret = parse_unsigned(nptr, endptr, base, ULONG_MAX, &val);

    *result = (unsigned long)val;
    return ret;
}

int qemu_strtoi64(const char *nptr, const char **endptr, int base,
                  int64_t *result)
{
    return parse_signed(nptr, endptr, base, INT64_MIN, INT64_MAX, result);
}

int qemu_strtou64(const char *nptr, const char **endptr, int base,
                  uint64_t *result)
{
    return parse_unsigned(nptr, endptr, base, UINT64_MAX, result);
}
