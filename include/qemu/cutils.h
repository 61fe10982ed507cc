/*
 * qemuutil: string helpers (bounded copies, strict number parsing).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * A subset of QEMU 10.0's include/qemu/cutils.h with the same names and
 * results.  All functions are thread-safe (they only touch their
 * arguments and errno).
 */
#ifndef QEMU_CUTILS_H
#define QEMU_CUTILS_H

/*
 * pstrcpy - copy @str into @buf of @buf_size bytes, always NUL-terminated
 * (when @buf_size > 0), truncating if needed.  Unlike strncpy() it does
 * not pad the rest of @buf.
 */
void pstrcpy(char *buf, int buf_size, const char *str);

/* Append @s to the string in @buf, truncating; returns @buf. */
char *pstrcat(char *buf, int buf_size, const char *s);

/*
 * If @str starts with @val, store the rest of @str in *@ptr (when @ptr is
 * not NULL) and return 1; else return 0.
 */
int strstart(const char *str, const char *val, const char **ptr);

/*
 * Strict integer parsing: strtol()-like, but the outcome is always in the
 * return value.  @base is 0 or 2..36, as for strtol().
 *
 *  - 0: *@result holds the value.
 *  - -EINVAL: @nptr is NULL or holds no number (*@result = 0, *@endptr =
 *    @nptr); or @endptr is NULL and characters follow the number
 *    (*@result holds the value parsed).
 *  - -ERANGE: out of range; *@result is clamped to the type's limit.
 *
 * When @endptr is not NULL it receives the end of the parsed number and
 * trailing characters are allowed.  Leading whitespace is skipped.  The
 * unsigned variants accept a leading '-' and negate in the type, as
 * strtoul() does ("-1" gives the maximum value).
 */

/* Signed: int, long, int64_t. */
int qemu_strtoi(const char *nptr, const char **endptr, int base, int *result);
int qemu_strtol(const char *nptr, const char **endptr, int base, long *result);
int qemu_strtoi64(const char *nptr, const char **endptr, int base,
                  int64_t *result);

/* Unsigned: unsigned int, unsigned long, uint64_t. */
int qemu_strtoui(const char *nptr, const char **endptr, int base,
                 unsigned int *result);
int qemu_strtoul(const char *nptr, const char **endptr, int base,
                 unsigned long *result);
int qemu_strtou64(const char *nptr, const char **endptr, int base,
                  uint64_t *result);

#endif /* QEMU_CUTILS_H */
