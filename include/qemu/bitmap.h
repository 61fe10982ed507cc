/*
 * qemuutil: bitmaps as arrays of unsigned long.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * A subset of QEMU 10.0's include/qemu/bitmap.h (same names and results),
 * enough for CPU-affinity masks and similar.  A bitmap of @nbits bits
 * occupies BITS_TO_LONGS(nbits) words; bits past @nbits in the last word
 * are "don't care" for the queries and may be touched by bitmap_fill().
 * bitmap_new() memory is freed with g_free().
 *
 * Threading: not atomic, except the *_atomic functions.
 */
#ifndef BITMAP_H
#define BITMAP_H

#include "qemu/bitops.h"

/* The bits of a word at and above position (start % BITS_PER_LONG). */
#define BITMAP_FIRST_WORD_MASK(start) (~0UL << ((start) & (BITS_PER_LONG - 1)))
/* The valid bits of the last word of an @nbits-bit bitmap. */
#define BITMAP_LAST_WORD_MASK(nbits) (~0UL >> (-(nbits) & (BITS_PER_LONG - 1)))

#define DECLARE_BITMAP(name, bits) unsigned long name[BITS_TO_LONGS(bits)]

/* Zeroed bitmap of @nbits bits, or NULL if out of memory. */
static inline unsigned long *bitmap_try_new(long nbits)
{
    return g_try_new0(unsigned long, BITS_TO_LONGS(nbits));
}

/* Zeroed bitmap of @nbits bits; aborts if out of memory. */
static inline unsigned long *bitmap_new(long nbits)
{
    return g_new0(unsigned long, BITS_TO_LONGS(nbits));
}

static inline void bitmap_zero(unsigned long *dst, long nbits)
{
    memset(dst, 0, BITS_TO_LONGS(nbits) * sizeof(unsigned long));
}

/* Sets bits 0..nbits-1 and clears the unused tail of the last word. */
static inline void bitmap_fill(unsigned long *dst, long nbits)
{
    long words = BITS_TO_LONGS(nbits);

    if (words) {
        memset(dst, 0xff, words * sizeof(unsigned long));
        dst[words - 1] = BITMAP_LAST_WORD_MASK(nbits);
    }
}

static inline void bitmap_copy(unsigned long *dst, const unsigned long *src,
                               long nbits)
{
    memcpy(dst, src, BITS_TO_LONGS(nbits) * sizeof(unsigned long));
}

/* The word-wise queries and combinations, out of line in util/bitmap.c. */
int bitmap_and(unsigned long *dst, const unsigned long *src1,
               const unsigned long *src2, long nbits);
void bitmap_or(unsigned long *dst, const unsigned long *src1,
               const unsigned long *src2, long nbits);
void bitmap_complement(unsigned long *dst, const unsigned long *src,
                       long nbits);
int bitmap_equal(const unsigned long *src1, const unsigned long *src2,
                 long nbits);
int bitmap_empty(const unsigned long *src, long nbits);
int bitmap_full(const unsigned long *src, long nbits);
int bitmap_intersects(const unsigned long *src1, const unsigned long *src2,
                      long nbits);
long bitmap_count_one(const unsigned long *bitmap, long nbits);

/* Set / clear bits @start .. @start + @nr - 1. */
void bitmap_set(unsigned long *map, long start, long nr);
void bitmap_set_atomic(unsigned long *map, long start, long nr);
void bitmap_clear(unsigned long *map, long start, long nr);

/*
 * Clear bits @start .. @start + @nr - 1; returns true if any of them was
 * set.
 */
bool bitmap_test_and_clear(unsigned long *map, long start, long nr);
bool bitmap_test_and_clear_atomic(unsigned long *map, long start, long nr);

/* Grows @old (g_realloc) from @old_nbits to @new_nbits, zeroing the rest. */
static inline unsigned long *bitmap_zero_extend(unsigned long *old,
                                                long old_nbits,
                                                long new_nbits)
{
    long new_words = BITS_TO_LONGS(new_nbits);
    unsigned long *map = g_renew(unsigned long, old, new_words);

    bitmap_clear(map, old_nbits, new_nbits - old_nbits);
    return map;
}

#endif /* BITMAP_H */
