/*
 * qemuutil: atomic operations and memory barriers.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * QEMU 10.0's qatomic_* vocabulary on top of the GCC/clang __atomic builtins.
 * The memory-order rules are the ones QEMU documents in
 * docs/devel/atomics.rst:
 *
 *  - qatomic_read()/qatomic_set() are relaxed: no ordering, only freedom
 *    from tearing and from compiler caching;
 *  - qatomic_load_acquire()/qatomic_store_release() order one access;
 *  - every read-modify-write (xchg, cmpxchg, fetch_*, *_fetch, inc, ...) is
 *    sequentially consistent, i.e. a full barrier on both sides;
 *  - smp_mb() is a full fence; smp_rmb()/smp_wmb() order loads resp. stores;
 *    smp_mb_acquire()/smp_mb_release() are the one-sided fences.
 *
 * Callers pair barriers explicitly and say which barrier pairs with which.
 */
#ifndef QEMU_ATOMIC_H
#define QEMU_ATOMIC_H

#include "qemu/compiler.h"

/* Compiler-only barrier. */
#define barrier() __atomic_signal_fence(__ATOMIC_SEQ_CST)

/*
 * The type of @p's target without qualifiers: lets the macros declare a
 * plain local from a volatile or const object.
 */
#define QATOMIC_TYPE_IS_(expr, type)                                   \
    (__builtin_types_compatible_p(typeof(expr), type) ||               \
     __builtin_types_compatible_p(typeof(expr), const type) ||         \
     __builtin_types_compatible_p(typeof(expr), volatile type) ||      \
     __builtin_types_compatible_p(typeof(expr), const volatile type))
/* One step of the chain: @type if @expr has it, else look further. */
#define QATOMIC_UNQUAL_STEP_(expr, type, otherwise)                    \
    __builtin_choose_expr(QATOMIC_TYPE_IS_(expr, type), (type)1, otherwise)
/* "+0" drops qualifiers of every other type (and promotes small ones). */
#define typeof_strip_qual(expr) typeof(                                \
    QATOMIC_UNQUAL_STEP_(expr, bool,                                   \
    QATOMIC_UNQUAL_STEP_(expr, signed char,                            \
    QATOMIC_UNQUAL_STEP_(expr, unsigned char, (expr) + 0))))

/*
 * Host word size: atomics wider than this would need a lock, so they are
 * rejected at compile time.
 */
#if defined(__x86_64__) || defined(__aarch64__) || defined(__riscv) || \
    defined(__powerpc64__) || defined(__s390x__) || defined(__loongarch64)
#define ATOMIC_REG_SIZE 8
#else
#define ATOMIC_REG_SIZE sizeof(void *)
#endif

#define qatomic_size_check_(ptr) \
    QEMU_BUILD_BUG_ON(sizeof(*(ptr)) > ATOMIC_REG_SIZE)

/* Fences. */
#define smp_mb()          ({ barrier(); __atomic_thread_fence(__ATOMIC_SEQ_CST); })
#define smp_mb_release()  ({ barrier(); __atomic_thread_fence(__ATOMIC_RELEASE); })
#define smp_mb_acquire()  ({ barrier(); __atomic_thread_fence(__ATOMIC_ACQUIRE); })
#define smp_wmb()         smp_mb_release()
#define smp_rmb()         smp_mb_acquire()

/*
 * Dependent loads are ordered on every host qemuutil supports, so the
 * dependency barrier only has to stop the compiler.
 */
#define smp_read_barrier_depends() barrier()

/*
 * Read-modify-write operations are already full barriers on x86 and on the
 * other hosts GCC maps them to sequentially consistent sequences, so these
 * only have to keep the compiler from moving accesses across them.
 */
#if defined(__i386__) || defined(__x86_64__) || defined(__s390x__)
#define smp_mb__before_rmw() barrier()
#define smp_mb__after_rmw()  barrier()
#else
#define smp_mb__before_rmw() smp_mb()
#define smp_mb__after_rmw()  smp_mb()
#endif

/* Relaxed load and store. */
#define qatomic_read__nocheck(ptr) __atomic_load_n(ptr, __ATOMIC_RELAXED)
#define qatomic_read(ptr) ({                    \
        qatomic_size_check_(ptr);               \
        qatomic_read__nocheck(ptr); })

#define qatomic_set__nocheck(ptr, i) __atomic_store_n(ptr, i, __ATOMIC_RELAXED)
#define qatomic_set(ptr, i) do {                \
        qatomic_size_check_(ptr);               \
        qatomic_set__nocheck(ptr, i);           \
    } while (0)

/* One-sided ordered load and store. */
#define qatomic_load_acquire(ptr) ({                            \
        qatomic_size_check_(ptr);                               \
        typeof_strip_qual(*(ptr)) acq_val__;                    \
        __atomic_load(ptr, &acq_val__, __ATOMIC_ACQUIRE);       \
        acq_val__; })

#define qatomic_store_release(ptr, i) do {                      \
        qatomic_size_check_(ptr);                               \
        __atomic_store_n(ptr, i, __ATOMIC_RELEASE);             \
    } while (0)

/* Store followed by a full barrier. */
#define qatomic_set_mb(ptr, i) do {                             \
        qatomic_size_check_(ptr);                               \
        __atomic_store_n(ptr, i, __ATOMIC_SEQ_CST);             \
        smp_mb__after_rmw();                                    \
    } while (0)

/*
 * RCU publication: readers use the consume-like load (acquire here), the
 * publisher a release store so the object is initialised before it is
 * reachable.
 */
#define qatomic_rcu_read__nocheck(ptr, valptr) \
    __atomic_load(ptr, valptr, __ATOMIC_ACQUIRE)
#define qatomic_rcu_read(ptr) ({                                \
        qatomic_size_check_(ptr);                               \
        typeof_strip_qual(*(ptr)) rcu_val__;                    \
        qatomic_rcu_read__nocheck(ptr, &rcu_val__);             \
        rcu_val__; })
#define qatomic_rcu_set(ptr, i) qatomic_store_release(ptr, i)

/* Exchange and compare-and-swap; both are full barriers. */
#define qatomic_xchg__nocheck(ptr, i) \
    __atomic_exchange_n(ptr, (i), __ATOMIC_SEQ_CST)
#define qatomic_xchg(ptr, i) ({                 \
        qatomic_size_check_(ptr);               \
        qatomic_xchg__nocheck(ptr, i); })

/* Returns the value found in *ptr, which equals @old on success. */
#define qatomic_cmpxchg__nocheck(ptr, old, new) ({                      \
        typeof_strip_qual(*(ptr)) cmp_old__ = (old);                    \
        (void)__atomic_compare_exchange_n(ptr, &cmp_old__, new, false,  \
                                          __ATOMIC_SEQ_CST,             \
                                          __ATOMIC_SEQ_CST);            \
        cmp_old__; })
#define qatomic_cmpxchg(ptr, old, new) ({       \
        qatomic_size_check_(ptr);               \
        qatomic_cmpxchg__nocheck(ptr, old, new); })

/*
 * Sequentially consistent read-modify-write.  qatomic_fetch_OP() returns
 * the old value, qatomic_OP_fetch() the new one.
 */
#define QATOMIC_SEQ_(builtin, ptr, n) builtin(ptr, n, __ATOMIC_SEQ_CST)

#define qatomic_fetch_add(ptr, n) QATOMIC_SEQ_(__atomic_fetch_add, ptr, n)
#define qatomic_add_fetch(ptr, n) QATOMIC_SEQ_(__atomic_add_fetch, ptr, n)
#define qatomic_fetch_sub(ptr, n) QATOMIC_SEQ_(__atomic_fetch_sub, ptr, n)
#define qatomic_sub_fetch(ptr, n) QATOMIC_SEQ_(__atomic_sub_fetch, ptr, n)
#define qatomic_fetch_inc(ptr) qatomic_fetch_add(ptr, 1)
#define qatomic_inc_fetch(ptr) qatomic_add_fetch(ptr, 1)
#define qatomic_fetch_dec(ptr) qatomic_fetch_sub(ptr, 1)
#define qatomic_dec_fetch(ptr) qatomic_sub_fetch(ptr, 1)

#define qatomic_fetch_and(ptr, n) QATOMIC_SEQ_(__atomic_fetch_and, ptr, n)
#define qatomic_and_fetch(ptr, n) QATOMIC_SEQ_(__atomic_and_fetch, ptr, n)
#define qatomic_fetch_or(ptr, n) QATOMIC_SEQ_(__atomic_fetch_or, ptr, n)
#define qatomic_or_fetch(ptr, n) QATOMIC_SEQ_(__atomic_or_fetch, ptr, n)
#define qatomic_fetch_xor(ptr, n) QATOMIC_SEQ_(__atomic_fetch_xor, ptr, n)
#define qatomic_xor_fetch(ptr, n) QATOMIC_SEQ_(__atomic_xor_fetch, ptr, n)

/* Read-modify-write with no result. */
#define qatomic_inc(ptr)    ((void) qatomic_fetch_inc(ptr))
#define qatomic_dec(ptr)    ((void) qatomic_fetch_dec(ptr))
#define qatomic_add(ptr, n) ((void) qatomic_fetch_add(ptr, n))
#define qatomic_sub(ptr, n) ((void) qatomic_fetch_sub(ptr, n))
#define qatomic_and(ptr, n) ((void) qatomic_fetch_and(ptr, n))
#define qatomic_or(ptr, n)  ((void) qatomic_fetch_or(ptr, n))
#define qatomic_xor(ptr, n) ((void) qatomic_fetch_xor(ptr, n))

/* 64-bit counters; every supported host has native 64-bit atomics. */
#define qatomic_read_i64(ptr)      qatomic_read__nocheck(ptr)
#define qatomic_read_u64(ptr)      qatomic_read__nocheck(ptr)
#define qatomic_set_i64(ptr, v)    qatomic_set__nocheck(ptr, v)
#define qatomic_set_u64(ptr, v)    qatomic_set__nocheck(ptr, v)
#define qatomic_add_u64(ptr, v)    ((void)__atomic_fetch_add(ptr, v, __ATOMIC_RELAXED))

#endif /* QEMU_ATOMIC_H */
