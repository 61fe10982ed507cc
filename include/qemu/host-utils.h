/*
 * qemuutil: integer helpers (bit counts, overflow checks, 128-bit products).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * The subset of QEMU 10.0's include/qemu/host-utils.h that the event-loop
 * code and its users need, with the same names and results.  All of it is
 * pure arithmetic on the compiler's builtins and unsigned __int128, which
 * every 64-bit host compiler qemuutil supports provides.
 *
 * Counting conventions (as in QEMU): clz/ctz of 0 return the width,
 * clo/cto of all-ones return the width.
 */
#ifndef HOST_UTILS_H
#define HOST_UTILS_H

/* Full 128-bit product of two 64-bit numbers. */
static inline void mulu64(uint64_t *plow, uint64_t *phigh,
                          uint64_t a, uint64_t b)
{
    unsigned __int128 prod = (unsigned __int128)a * b;

    *plow = (uint64_t)prod;
    *phigh = (uint64_t)(prod >> 64);
}

static inline void muls64(uint64_t *plow, uint64_t *phigh,
                          int64_t a, int64_t b)
{
    __int128 prod = (__int128)a * b;

    *plow = (uint64_t)prod;
    *phigh = (uint64_t)((unsigned __int128)prod >> 64);
}

/*
 * (a * b) / c, computed without overflowing the intermediate product.
 * The quotient is truncated to 64 bits; @c must not be 0.  Timers use it
 * to convert between clock rates.
 */
static inline uint64_t muldiv64(uint64_t a, uint32_t b, uint32_t c)
{
    return (uint64_t)(((unsigned __int128)a * b) / c);
}

/* As muldiv64(), rounding the quotient up instead of down. */
static inline uint64_t muldiv64_round_up(uint64_t a, uint32_t b, uint32_t c)
{
    unsigned __int128 prod = (unsigned __int128)a * b;

    return (uint64_t)((prod + c - 1) / c);
}

/*
 * Bit counts.  clz/ctz: leading/trailing zero bits, the width for 0;
 * clo/cto: leading/trailing one bits, the width for all-ones; ctpop: set
 * bits.  Each family is generated per width from the builtins, with
 * QEMU's names: clz32(), clz64(), clo32(), ..., ctpop8() ... ctpop64().
 */
#define HOST_UTILS_ZERO_COUNT_(name, ones_name, type, bits, builtin)  \
    static inline int name(type val)                                  \
    {                                                                 \
        if (val == 0) {                                               \
            return bits;                                              \
        }                                                             \
        return builtin(val);                                          \
    }                                                                 \
    static inline int ones_name(type val)                             \
    {                                                                 \
        return name((type)~val);                                      \
    }

HOST_UTILS_ZERO_COUNT_(clz32, clo32, uint32_t, 32, __builtin_clz)
HOST_UTILS_ZERO_COUNT_(ctz32, cto32, uint32_t, 32, __builtin_ctz)
HOST_UTILS_ZERO_COUNT_(clz64, clo64, uint64_t, 64, __builtin_clzll)
HOST_UTILS_ZERO_COUNT_(ctz64, cto64, uint64_t, 64, __builtin_ctzll)

#define HOST_UTILS_POPCOUNT_(bits, builtin)                           \
    static inline int ctpop##bits(uint##bits##_t val)                 \
    {                                                                 \
        return builtin(val);                                          \
    }

HOST_UTILS_POPCOUNT_(64, __builtin_popcountll)
HOST_UTILS_POPCOUNT_(32, __builtin_popcount)
HOST_UTILS_POPCOUNT_(16, __builtin_popcount)
HOST_UTILS_POPCOUNT_(8, __builtin_popcount)

/* |v| as an unsigned number, correct for INT64_MIN too. */
static inline uint64_t uabs64(int64_t v)
{
    return v < 0 ? -(uint64_t)v : (uint64_t)v;
}

/*
 * Overflow-checked arithmetic, {s,u}{add,sub,mul}{32,64}_overflow(x, y,
 * ret): store the (wrapped) result in *ret and return true if it did not
 * fit in the type.
 */
#define HOST_UTILS_CHECKED_OP_(op, sign, bits, type)                     \
    static inline bool sign##op##bits##_overflow(type a, type b,          \
                                                 type *res)               \
    {                                                                     \
        return __builtin_##op##_overflow(a, b, res);                      \
    }
#define HOST_UTILS_CHECKED_OPS_(op)                                       \
    HOST_UTILS_CHECKED_OP_(op, s, 32, int32_t)                            \
    HOST_UTILS_CHECKED_OP_(op, s, 64, int64_t)                            \
    HOST_UTILS_CHECKED_OP_(op, u, 32, uint32_t)                           \
    HOST_UTILS_CHECKED_OP_(op, u, 64, uint64_t)

HOST_UTILS_CHECKED_OPS_(add)
HOST_UTILS_CHECKED_OPS_(sub)
HOST_UTILS_CHECKED_OPS_(mul)

/* x + y (+ *pcarry on input); *pcarry is set to the carry out. */
static inline uint64_t uadd64_carry(uint64_t x, uint64_t y, bool *pcarry)
{
    uint64_t sum;
    bool c1 = __builtin_add_overflow(x, y, &sum);
    bool c2 = __builtin_add_overflow(sum, (uint64_t)*pcarry, &sum);

    *pcarry = c1 || c2;
    return sum;
}

/* x - y (- *pborrow on input); *pborrow is set to the borrow out. */
static inline uint64_t usub64_borrow(uint64_t x, uint64_t y, bool *pborrow)
{
    uint64_t diff;
    bool b1 = __builtin_sub_overflow(x, y, &diff);
    bool b2 = __builtin_sub_overflow(diff, (uint64_t)*pborrow, &diff);

    *pborrow = b1 || b2;
    return diff;
}

/* True for 1, 2, 4, ...; false for 0. */
static inline bool is_power_of_2(uint64_t value)
{
    return value != 0 && (value & (value - 1)) == 0;
}

/* Largest power of two <= @value; 0 for 0. */
static inline uint64_t pow2floor(uint64_t value)
{
    return value ? 0x8000000000000000ULL >> clz64(value) : 0;
}

/*
 * Smallest power of two >= @value; 1 for 0, and 0 when the answer does
 * not fit in 64 bits.
 */
static inline uint64_t pow2ceil(uint64_t value)
{
    int bits;

    if (value <= 1) {
        return 1;
    }
    bits = 64 - clz64(value - 1);
    return bits == 64 ? 0 : 1ULL << bits;
}

/*
 * Smallest power of two strictly greater than @x (so 4 gives 8, 0 gives
 * 1), or 0 when that does not fit in 32 bits.  QEMU's semantics.
 */
static inline uint32_t pow2roundup32(uint32_t x)
{
    return x >= 0x80000000U ? 0 : 1U << (32 - clz32(x));
}

#endif /* HOST_UTILS_H */
