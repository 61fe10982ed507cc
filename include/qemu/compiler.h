/*
 * qemuutil: compiler attributes and preprocessor helpers.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * The names follow QEMU 10.0's include/qemu/compiler.h so that QEMU code
 * built against qemuutil compiles unchanged.  Only what util/ and QEMU's
 * event-loop unit tests use is provided.
 */
#ifndef QEMU_COMPILER_H
#define QEMU_COMPILER_H

#define HOST_BIG_ENDIAN (__BYTE_ORDER__ == __ORDER_BIG_ENDIAN__)

/* Branch hints. */
#define likely(x)   __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)

/* Token pasting and stringification, with one level of expansion. */
#define xglue(x, y) x ## y
#define glue(x, y) xglue(x, y)
#define tostring(s) #s
#define stringify(s) tostring(s)

#define QEMU_WARN_UNUSED_RESULT __attribute__((warn_unused_result))
#define QEMU_SENTINEL __attribute__((sentinel))
#define QEMU_PACKED __attribute__((packed))
#define QEMU_ALIGNED(x) __attribute__((aligned(x)))
#define QEMU_ALWAYS_INLINE __attribute__((always_inline))
#define QEMU_FLATTEN __attribute__((flatten))
#define QEMU_ERROR(msg) __attribute__((error(msg)))
#define QEMU_NONSTRING __attribute__((nonstring))
#define QEMU_USED __attribute__((used))
#define QEMU_MAY_ALIAS __attribute__((may_alias))

#if defined(__clang__)
#define QEMU_ANNOTATE(x) __attribute__((annotate(x)))
#else
#define QEMU_ANNOTATE(x)
#endif

#if defined(__has_attribute) && __has_attribute(fallthrough)
#define QEMU_FALLTHROUGH __attribute__((fallthrough))
#else
#define QEMU_FALLTHROUGH do {} while (0)
#endif

/*
 * Control-flow integrity would reject the indirect jumps done by the
 * coroutine switch; such functions are tagged so a CFI build skips them.
 */
#if defined(__clang__) && defined(QEMU_CFI)
#define QEMU_DISABLE_CFI __attribute__((no_sanitize("cfi-icall")))
#else
#define QEMU_DISABLE_CFI
#endif

/* Address of the enclosing struct from the address of one of its members. */
#ifndef container_of
#define container_of(ptr, type, member) ({                          \
        const typeof(((type *) 0)->member) *mptr__ = (ptr);         \
        (type *) ((char *) mptr__ - offsetof(type, member)); })
#endif

#define sizeof_field(type, field) sizeof(((type *) 0)->field)
#define typeof_field(type, field) typeof(((type *) 0)->field)

/* Evaluates to @x, and fails to compile unless @x has type @type. */
#define type_check(type, x) ((type)0 == (x))

/*
 * Compile-time assertions.  The _ZERO form is an expression that yields 0,
 * usable inside other macros; the statement form declares nothing.
 */
#define QEMU_BUILD_BUG_MSG(cond, msg) _Static_assert(!(cond), msg)
#define QEMU_BUILD_BUG_ON(cond) QEMU_BUILD_BUG_MSG(cond, "not expecting: " #cond)
#define QEMU_BUILD_BUG_ON_ZERO(cond) \
    (sizeof(struct { int:(-!!(cond)); }) - sizeof(struct { int:0; }))
#define QEMU_BUILD_BUG_ON_STRUCT(cond) struct { int:(-!!(cond)); }

/*
 * IS_ENABLED(CONFIG_FOO) is 1 when CONFIG_FOO is defined to nothing (the way
 * config-host.h defines feature macros) and 0 when it is not defined at all.
 * A defined-empty macro makes CHECK_EMPTY_PROBE_ paste into a token that
 * expands to a comma, which shifts the 1 into the selected slot.
 */
#define CHECK_EMPTY_PROBE_ _, 
#define CHECK_EMPTY_PICK_(ignored, value, ...) value
#define CHECK_EMPTY_EXPAND_(args) CHECK_EMPTY_PICK_ args
#define IS_EMPTY(v) CHECK_EMPTY_EXPAND_((CHECK_EMPTY_PROBE_ ## v 1, 0))
#define IS_ENABLED(x) IS_EMPTY(x)

/*
 * Clang thread-safety analysis annotations.  GCC has no such analysis, so
 * they expand to nothing there.
 */
#if defined(__clang__) && defined(__has_attribute) && \
    __has_attribute(capability)
#define TSA_ATTR_(x) __attribute__((x))
#else
#define TSA_ATTR_(x)
#endif
#define TSA_CAPABILITY(x) TSA_ATTR_(capability(x))
#define TSA_GUARDED_BY(x) TSA_ATTR_(guarded_by(x))
#define TSA_PT_GUARDED_BY(x) TSA_ATTR_(pt_guarded_by(x))
#define TSA_REQUIRES(...) TSA_ATTR_(requires_capability(__VA_ARGS__))
#define TSA_REQUIRES_SHARED(...) \
    TSA_ATTR_(requires_shared_capability(__VA_ARGS__))
#define TSA_ACQUIRE(...) TSA_ATTR_(acquire_capability(__VA_ARGS__))
#define TSA_ACQUIRE_SHARED(...) TSA_ATTR_(acquire_shared_capability(__VA_ARGS__))
#define TSA_RELEASE(...) TSA_ATTR_(release_capability(__VA_ARGS__))
#define TSA_RELEASE_SHARED(...) TSA_ATTR_(release_shared_capability(__VA_ARGS__))
#define TSA_ASSERT(...) TSA_ATTR_(assert_capability(__VA_ARGS__))
#define TSA_ASSERT_SHARED(...) TSA_ATTR_(assert_shared_capability(__VA_ARGS__))
#define TSA_EXCLUDES(...) TSA_ATTR_(locks_excluded(__VA_ARGS__))
#define TSA_NO_TSA TSA_ATTR_(no_thread_safety_analysis)

/* Sanitizer detection that works with both GCC and clang. */
#if defined(__SANITIZE_ADDRESS__)
#define QEMU_SANITIZE_ADDRESS 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define QEMU_SANITIZE_ADDRESS 1
#endif
#endif

#if defined(__SANITIZE_THREAD__)
#define QEMU_SANITIZE_THREAD 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define QEMU_SANITIZE_THREAD 1
#endif
#endif

#endif /* QEMU_COMPILER_H */
