/*
 * qemuutil: bit searches over unsigned long bitmaps.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * Each search walks whole words and uses the count-zeros builtins inside
 * the word that holds the answer.  Bits at or beyond @size are ignored,
 * even where the last word has them set.
 */
#include "qemu/osdep.h"
#include "qemu/bitops.h"

/* Index of the lowest set bit of a non-zero word. */
static inline unsigned long word_ctz(unsigned long word)
{
    return (unsigned long)__builtin_ctzl(word);
}

unsigned long find_next_bit(const unsigned long *addr, unsigned long size,
                            unsigned long offset)
{
    unsigned long idx, word, found;

    if (offset >= size) {
        return size;
    }
    idx = BIT_WORD(offset);
    /* Drop the bits below @offset in its word. */
    word = addr[idx] & (~0UL << (offset % BITS_PER_LONG));
    for (;;) {
        if (word) {
            found = idx * BITS_PER_LONG + word_ctz(word);
            return found < size ? found : size;
        }
        if (++idx * BITS_PER_LONG >= size) {
            return size;
        }
        word = addr[idx];
    }
}

unsigned long find_next_zero_bit(const unsigned long *addr,
                                 unsigned long size, unsigned long offset)
{
    unsigned long idx, word, found;

    if (offset >= size) {
        return size;
    }
    idx = BIT_WORD(offset);
    /* Look for set bits in the complement; mask off those below @offset. */
    word = ~addr[idx] & (~0UL << (offset % BITS_PER_LONG));
    for (;;) {
        if (word) {
            found = idx * BITS_PER_LONG + word_ctz(word);
            return found < size ? found : size;
        }
        if (++idx * BITS_PER_LONG >= size) {
            return size;
        }
        word = ~addr[idx];
    }
}

unsigned long find_last_bit(const unsigned long *addr, unsigned long size)
{
    unsigned long idx, word;

    if (size == 0) {
        return 0;
    }
    idx = BIT_WORD(size - 1);
    word = addr[idx];
    /* Ignore the bits at and above @size in the last word. */
    if (size % BITS_PER_LONG) {
        word &= ~0UL >> (BITS_PER_LONG - size % BITS_PER_LONG);
    }
    for (;;) {
        if (word) {
            return idx * BITS_PER_LONG +
                   (BITS_PER_LONG - 1 - (unsigned long)__builtin_clzl(word));
        }
        if (idx == 0) {
            return size;
        }
        word = addr[--idx];
    }
}
