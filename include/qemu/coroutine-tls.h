/*
 * qemuutil: thread-local variables that stay correct across coroutines.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * A coroutine may yield in one thread and be re-entered in another.  The
 * compiler, however, assumes a function runs on one thread from start to
 * end and may compute the address of a __thread variable once and reuse it
 * after a yield - now pointing at the previous thread's copy.  These macros
 * hide the variable behind out-of-line accessors whose result the compiler
 * cannot cache: each call is noinline and passes through an empty asm, so
 * every access recomputes the thread-local address.
 *
 * Usage (names as in QEMU 10.0's include/qemu/coroutine-tls.h):
 *
 *     QEMU_DECLARE_CO_TLS(int, depth)        in a header
 *     QEMU_DEFINE_CO_TLS(int, depth)         in one .c file
 *     QEMU_DEFINE_STATIC_CO_TLS(int, depth)  file-local variable
 *
 * each of which provides get_depth(), set_depth(v) and get_ptr_depth().
 * A pointer from get_ptr_X() must not be kept across a yield.
 */
#ifndef QEMU_COROUTINE_TLS_H
#define QEMU_COROUTINE_TLS_H

/* Prototypes for a variable defined with QEMU_DEFINE_CO_TLS elsewhere. */
#define QEMU_DECLARE_CO_TLS(type, var)                                  \
    __attribute__((noinline)) type *get_ptr_##var(void);                \
    __attribute__((noinline)) type get_##var(void);                     \
    __attribute__((noinline)) void set_##var(type new_value);

/*
 * The accessor bodies.  The asm statements are optimisation barriers: the
 * one in get_ptr_ also makes the returned address opaque to the caller.
 */
#define QEMU_CO_TLS_ACCESSORS_(storage, type, var)                      \
    storage type get_##var(void)                                        \
    {                                                                   \
        asm volatile("");                                               \
        return co_tls_##var;                                            \
    }                                                                   \
    storage void set_##var(type v)                                      \
    {                                                                   \
        asm volatile("");                                               \
        co_tls_##var = v;                                               \
    }                                                                   \
    storage type *get_ptr_##var(void)                                   \
    {                                                                   \
        type *addr = &co_tls_##var;                                     \
        asm volatile("" : "+rm" (addr));                                \
        return addr;                                                    \
    }

/* Defines the variable and its global accessors. */
#define QEMU_DEFINE_CO_TLS(type, var)                                   \
    static __thread type co_tls_##var;                                  \
    QEMU_CO_TLS_ACCESSORS_(__attribute__((noinline)), type, var)

/* Defines the variable and file-local accessors. */
#define QEMU_DEFINE_STATIC_CO_TLS(type, var)                            \
    static __thread type co_tls_##var;                                  \
    QEMU_CO_TLS_ACCESSORS_(static __attribute__((noinline, unused)),    \
                           type, var)

#endif /* QEMU_COROUTINE_TLS_H */
