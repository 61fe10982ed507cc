/*
 * qemuutil: bit operations on words and on arrays of unsigned long.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * A subset of QEMU 10.0's include/qemu/bitops.h, with the same names:
 * single-bit helpers on bitmaps stored as unsigned long arrays (bit n lives
 * in word n / BITS_PER_LONG, at position n % BITS_PER_LONG), bit searches,
 * rotations and bit-field extract/deposit.
 *
 * Threading: the plain helpers are not atomic; callers serialise access to
 * a bitmap.  The *_atomic helpers may race with each other.
 */
#ifndef BITOPS_H
#define BITOPS_H

#include "qemu/host-utils.h"
#include "qemu/atomic.h"

#define BITS_PER_BYTE           CHAR_BIT
#define BITS_PER_LONG           (sizeof(unsigned long) * BITS_PER_BYTE)
#define BITS_TO_LONGS(nr)       DIV_ROUND_UP(nr, BITS_PER_LONG)
#define BITS_TO_U32S(nr)        DIV_ROUND_UP(nr, 32)

#define BIT(nr)                 (1UL << (nr))
#define BIT_ULL(nr)             (1ULL << (nr))

/* @length (1..64) consecutive one bits, starting at bit @shift. */
#define MAKE_64BIT_MASK(shift, length) \
    ((~0ULL >> (64 - (length))) << (shift))

/* Mask of bit @nr within its word, and the index of that word. */
#define BIT_MASK(nr)            (1UL << ((nr) % BITS_PER_LONG))
#define BIT_WORD(nr)            ((nr) / BITS_PER_LONG)

static inline void set_bit(long nr, unsigned long *addr)
{
    addr[BIT_WORD(nr)] |= BIT_MASK(nr);
}

static inline void set_bit_atomic(long nr, unsigned long *addr)
{
    qatomic_or(&addr[BIT_WORD(nr)], BIT_MASK(nr));
}

static inline void clear_bit(long nr, unsigned long *addr)
{
    addr[BIT_WORD(nr)] &= ~BIT_MASK(nr);
}

static inline void clear_bit_atomic(long nr, unsigned long *addr)
{
    qatomic_and(&addr[BIT_WORD(nr)], ~BIT_MASK(nr));
}

static inline void change_bit(long nr, unsigned long *addr)
{
    addr[BIT_WORD(nr)] ^= BIT_MASK(nr);
}

/* The test_and_* helpers return the bit's previous value (0 or 1). */
static inline int test_and_set_bit(long nr, unsigned long *addr)
{
    unsigned long *word = &addr[BIT_WORD(nr)];
    int was = (*word & BIT_MASK(nr)) != 0;

    *word |= BIT_MASK(nr);
    return was;
}

static inline int test_and_clear_bit(long nr, unsigned long *addr)
{
    unsigned long *word = &addr[BIT_WORD(nr)];
    int was = (*word & BIT_MASK(nr)) != 0;

    *word &= ~BIT_MASK(nr);
    return was;
}

static inline int test_and_change_bit(long nr, unsigned long *addr)
{
    unsigned long *word = &addr[BIT_WORD(nr)];
    int was = (*word & BIT_MASK(nr)) != 0;

    *word ^= BIT_MASK(nr);
    return was;
}

static inline int test_bit(long nr, const unsigned long *addr)
{
    return (addr[BIT_WORD(nr)] >> (nr % BITS_PER_LONG)) & 1;
}

/*
 * Searches in the first @size bits of @addr.  Each returns the index of
 * the bit found, or @size if there is none.
 */

/* Last set bit. */
unsigned long find_last_bit(const unsigned long *addr, unsigned long size);

/* First set bit at or after @offset. */
unsigned long find_next_bit(const unsigned long *addr, unsigned long size,
                            unsigned long offset);

/* First clear bit at or after @offset. */
unsigned long find_next_zero_bit(const unsigned long *addr,
                                 unsigned long size, unsigned long offset);

/* First clear bit. */
static inline unsigned long find_first_zero_bit(const unsigned long *addr,
                                                unsigned long size)
{
    return find_next_zero_bit(addr, size, 0);
}

/* First set bit. */
static inline unsigned long find_first_bit(const unsigned long *addr,
                                           unsigned long size)
{
    unsigned long word_idx, word, found = size;

    /* Fast path for the common whole-word scan. */
    for (word_idx = 0; word_idx * BITS_PER_LONG < size; word_idx++) {
        word = addr[word_idx];
        /*
         * Bits past @size in the last word are not part of the bitmap and
         * may never have been written (bitmap_zero_extend() leaves them
         * so): mask them off rather than branch on them.
         */
        if ((word_idx + 1) * BITS_PER_LONG > size) {
            word &= ~0UL >> (BITS_PER_LONG - size % BITS_PER_LONG);
        }
        if (word != 0) {
            found = word_idx * BITS_PER_LONG + ctz64(word);
            break;
        }
    }
    return found;
}

/*
 * Rotations rol32(), ror32(), rol64(), ror64(); @shift is taken modulo
 * the width.
 */
#define BITOPS_ROTATE_(bits)                                              \
    static inline uint##bits##_t rol##bits(uint##bits##_t word,           \
                                           unsigned int shift)            \
    {                                                                     \
        unsigned int n = shift % (bits);                                  \
        return n == 0 ? word : (word << n) | (word >> ((bits) - n));      \
    }                                                                     \
    static inline uint##bits##_t ror##bits(uint##bits##_t word,           \
                                           unsigned int shift)            \
    {                                                                     \
        return rol##bits(word, ((bits) - shift % (bits)) % (bits));       \
    }

BITOPS_ROTATE_(32)
BITOPS_ROTATE_(64)

/*
 * Bit fields: the @length bits of @value starting at bit @start.  The
 * field must lie within the word (asserted).
 */
#define BITOPS_FIELD_OK_(start, length, width) \
    assert((start) >= 0 && (length) > 0 && (length) <= (width) - (start))

static inline uint64_t extract64(uint64_t value, int start, int length)
{
    BITOPS_FIELD_OK_(start, length, 64);
    return (value >> start) & MAKE_64BIT_MASK(0, length);
}

static inline uint32_t extract32(uint32_t value, int start, int length)
{
    BITOPS_FIELD_OK_(start, length, 32);
    return (uint32_t)extract64(value, start, length);
}

/* As extract32/64, sign-extending the field. */
static inline int64_t sextract64(uint64_t value, int start, int length)
{
    int unused_top;

    BITOPS_FIELD_OK_(start, length, 64);
    /* Move the field to the top, then arithmetic-shift it back down. */
    unused_top = 64 - start - length;
    return (int64_t)(value << unused_top) >> (unused_top + start);
}

static inline int32_t sextract32(uint32_t value, int start, int length)
{
    BITOPS_FIELD_OK_(start, length, 32);
    return (int32_t)sextract64(value, start, length);
}

/* @value with its @length-bit field at @start replaced by @fieldval. */
static inline uint64_t deposit64(uint64_t value, int start, int length,
                                 uint64_t fieldval)
{
    uint64_t field_mask;

    BITOPS_FIELD_OK_(start, length, 64);
    field_mask = MAKE_64BIT_MASK(start, length);
    return ((fieldval << start) & field_mask) | (value & ~field_mask);
}

static inline uint32_t deposit32(uint32_t value, int start, int length,
                                 uint32_t fieldval)
{
    BITOPS_FIELD_OK_(start, length, 32);
    return (uint32_t)deposit64(value, start, length, fieldval);
}

#endif /* BITOPS_H */
