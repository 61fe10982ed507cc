/*
 * qemuutil: bitmap operations over ranges of bits.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * See include/qemu/bitmap.h.  Range operations handle a partial first
 * word, whole middle words and a partial last word; the word-wise queries
 * mask the last word so that bits past @nbits never matter.
 */
#include "qemu/osdep.h"
#include "qemu/bitmap.h"
#include "qemu/atomic.h"

/* Number of whole words, and the mask of the valid bits in the tail word. */
#define FULL_WORDS(nbits) ((nbits) / (long)BITS_PER_LONG)
#define TAIL_MASK(nbits)                                                \
    (((nbits) % BITS_PER_LONG) ? BITMAP_LAST_WORD_MASK(nbits) : 0UL)

int bitmap_and(unsigned long *dst, const unsigned long *src1,
               const unsigned long *src2, long nbits)
{
    long i, words = BITS_TO_LONGS(nbits);
    unsigned long any = 0;

    for (i = 0; i < words; i++) {
        dst[i] = src1[i] & src2[i];
        any |= i < FULL_WORDS(nbits) ? dst[i] : dst[i] & TAIL_MASK(nbits);
    }
    return any != 0;
}

void bitmap_or(unsigned long *dst, const unsigned long *src1,
               const unsigned long *src2, long nbits)
{
    long i;

    for (i = 0; i < (long)BITS_TO_LONGS(nbits); i++) {
        dst[i] = src1[i] | src2[i];
    }
}

void bitmap_complement(unsigned long *dst, const unsigned long *src,
                       long nbits)
{
    long i;

    for (i = 0; i < (long)BITS_TO_LONGS(nbits); i++) {
        dst[i] = ~src[i];
    }
    if (nbits % BITS_PER_LONG) {
        dst[FULL_WORDS(nbits)] &= TAIL_MASK(nbits);
    }
}

int bitmap_equal(const unsigned long *src1, const unsigned long *src2,
                 long nbits)
{
    long i;

    for (i = 0; i < FULL_WORDS(nbits); i++) {
        if (src1[i] != src2[i]) {
            return 0;
        }
    }
    return !(nbits % BITS_PER_LONG) ||
           ((src1[i] ^ src2[i]) & TAIL_MASK(nbits)) == 0;
}

int bitmap_empty(const unsigned long *src, long nbits)
{
    long i;

    for (i = 0; i < FULL_WORDS(nbits); i++) {
        if (src[i]) {
            return 0;
        }
    }
    return !(nbits % BITS_PER_LONG) || (src[i] & TAIL_MASK(nbits)) == 0;
}

int bitmap_full(const unsigned long *src, long nbits)
{
    long i;

    for (i = 0; i < FULL_WORDS(nbits); i++) {
        if (~src[i]) {
            return 0;
        }
    }
    return !(nbits % BITS_PER_LONG) ||
           (~src[i] & TAIL_MASK(nbits)) == 0;
}

int bitmap_intersects(const unsigned long *src1, const unsigned long *src2,
                      long nbits)
{
    long i;

    for (i = 0; i < FULL_WORDS(nbits); i++) {
        if (src1[i] & src2[i]) {
            return 1;
        }
    }
    return (nbits % BITS_PER_LONG) &&
           (src1[i] & src2[i] & TAIL_MASK(nbits)) != 0;
}

long bitmap_count_one(const unsigned long *bitmap, long nbits)
{
    long i, count = 0;

    for (i = 0; i < FULL_WORDS(nbits); i++) {
        count += ctpop64(bitmap[i]);
    }
    if (nbits % BITS_PER_LONG) {
        count += ctpop64(bitmap[i] & TAIL_MASK(nbits));
    }
    return count;
}

/*
 * Loops over the words touched by bits [start, start + nr): the body sees
 * @word pointing at each word and @mask holding the range's bits in it.
 */
#define FOR_EACH_RANGE_WORD(map, start, nr, word, mask)                 \
    for (long rw_bit__ = (start), rw_end__ = (start) + (nr);            \
         rw_bit__ < rw_end__ &&                                         \
         ((word) = &(map)[BIT_WORD(rw_bit__)],                          \
          (mask) = BITMAP_FIRST_WORD_MASK(rw_bit__) &                   \
                   (rw_end__ - (long)(rw_bit__ & ~(BITS_PER_LONG - 1))  \
                    >= (long)BITS_PER_LONG ? ~0UL :                     \
                    BITMAP_LAST_WORD_MASK(rw_end__)), true);            \
         rw_bit__ = (rw_bit__ | (BITS_PER_LONG - 1)) + 1)

void bitmap_set(unsigned long *map, long start, long nr)
{
    unsigned long *word, mask;

    FOR_EACH_RANGE_WORD(map, start, nr, word, mask) {
        *word |= mask;
    }
}

void bitmap_set_atomic(unsigned long *map, long start, long nr)
{
    unsigned long *word, mask;

    FOR_EACH_RANGE_WORD(map, start, nr, word, mask) {
        if (mask == ~0UL) {
            qatomic_set(word, ~0UL);
        } else {
            qatomic_or(word, mask);
        }
    }
    /* Make the new bits visible before whatever the caller does next. */
    smp_mb();
}

void bitmap_clear(unsigned long *map, long start, long nr)
{
    unsigned long *word, mask;

    FOR_EACH_RANGE_WORD(map, start, nr, word, mask) {
        *word &= ~mask;
    }
}

bool bitmap_test_and_clear(unsigned long *map, long start, long nr)
{
    unsigned long *word, mask;
    bool any = false;

    FOR_EACH_RANGE_WORD(map, start, nr, word, mask) {
        any |= (*word & mask) != 0;
        *word &= ~mask;
    }
    return any;
}

bool bitmap_test_and_clear_atomic(unsigned long *map, long start, long nr)
{
    unsigned long *word, mask;
    bool any = false;

    FOR_EACH_RANGE_WORD(map, start, nr, word, mask) {
        any |= (qatomic_fetch_and(word, ~mask) & mask) != 0;
    }
    return any;
}
