/*
 * qemuutil benchmarks: the framework shared by every bench/ source file.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * One driver program (qemuutil-bench) holds every benchmark.  Each bench
 * file registers its cases from a constructor (BENCH_INIT), so adding a
 * theme means adding a file to bench_sources and nothing else.  The driver
 * (bench-main.c) calibrates each case to roughly 75 ms per run, repeats it
 * --runs times, and prints one aligned table: group, case, median ns/op,
 * min ns/op and the ratio to the case's reference row.
 *
 * References.  A case names its reference with @ref; the table prints the
 * ratio as "1.23x <label of the reference>", so every ratio says what it is
 * relative to.  @ref is resolved when the table is printed:
 *   - "name" is a case of the same group, "group/name" a case anywhere;
 *   - it may be a glob (g_pattern_match_simple), in which case the fastest
 *     matching row is the reference ("best of" a set of peers);
 *   - several references may be given separated by ';' (for example
 *     "qemu original;libuv*"), each printed as its own ratio;
 *   - an item that matches no registered row (a peer this build or run
 *     does not have) is left out silently; one that matched only skipped
 *     rows prints "n/a".
 * References that the --filter left out are run anyway, so a filtered
 * table still has its ratios.
 *
 * Pinning.  bench_register_pinned() registers one case per pinning mode
 * (unpinned, both threads on one CPU, two distinct CPUs), appends
 * " (pinned: same cpu)" / " (pinned: 2 cpus)" to the name, and applies the
 * same suffix to its references, so a pinned row is compared with the
 * equally pinned limit.  Two-thread cases start their partner with
 * bench_pair_start(), which applies the case's pinning to both threads.
 *
 * Other binaries.  --peer-exe LABEL=PATH runs another build of the same
 * driver (for instance the bench sources linked against QEMU's original
 * libqemuutil.a) with the same options and --rows -, and merges its rows
 * into this table with " [LABEL]" appended to their names, so cases here
 * can use them as references ("aio/bh self-reschedule [qemu]").
 *
 * Threading: registration happens before main() (constructors) or from
 * the main thread; benchmark functions are called from the main thread,
 * one at a time.  Nothing in the framework is thread-safe unless a
 * function says so.
 */
#ifndef QEMUUTIL_BENCH_H
#define QEMUUTIL_BENCH_H

#include <pthread.h>

typedef struct BenchCase BenchCase;

/**
 * BenchFunc:
 * @bc: the case being run (its @opaque and @pin are the parameters)
 * @iters: number of operations to perform; at least 1
 *
 * Performs @iters operations and returns the cost of one in nanoseconds,
 * timing only the measured loop (set-up and tear-down excluded).  A case
 * that cannot run on this host calls bench_skip() and returns 0.
 */
typedef double BenchFunc(const BenchCase *bc, uint64_t iters);

/**
 * BenchPin:
 * @BENCH_PIN_NONE: the scheduler places the threads
 * @BENCH_PIN_SAME: every thread of the case on one CPU
 * @BENCH_PIN_TWO: the main thread and the partner on two distinct CPUs
 */
typedef enum BenchPin {
    BENCH_PIN_NONE,
    BENCH_PIN_SAME,
    BENCH_PIN_TWO,
} BenchPin;

#define BENCH_PIN_MASK(p) (1u << (p))
#define BENCH_PIN_ALL (BENCH_PIN_MASK(BENCH_PIN_NONE) | \
                       BENCH_PIN_MASK(BENCH_PIN_SAME) | \
                       BENCH_PIN_MASK(BENCH_PIN_TWO))

/**
 * BenchCase:
 * @group: short group name, the first column of the table ("sync", "aio")
 * @name: case name, unique within the group
 * @fn: the measurement
 * @opaque: parameter for @fn (not freed by the framework)
 * @pin: pinning mode @fn should apply (see bench_pair_start())
 * @ref: reference(s) for the ratio column, see the file comment; NULL if
 *       the row has no ratio
 * @label: short name used when other rows print a ratio against this one
 *         ("raw futex"); NULL means @name
 * @iters: 0 to calibrate (the usual case); otherwise every call gets
 *         exactly this count, for cases whose operation count is part of
 *         the experiment (e.g. "fire 10k armed timers": @iters = 10000)
 *
 * bench_register() copies the strings, so callers may build names on the
 * stack.
 */
struct BenchCase {
    const char *group;
    const char *name;
    BenchFunc *fn;
    void *opaque;
    BenchPin pin;
    const char *ref;
    const char *label;
    uint64_t iters;
};

/**
 * BENCH_INIT:
 * @fn: a `void fn(void)` that registers cases
 *
 * Runs @fn before main(); the way a bench file adds its cases.
 */
#define BENCH_INIT(fn)                                                  \
    static void __attribute__((constructor)) bench_init_ ## fn(void)    \
    {                                                                   \
        fn();                                                           \
    }

/**
 * bench_register:
 * @bc: the case; copied, including its strings
 *
 * Adds one row to the table.  Rows print in registration order, grouped
 * by @group in the order groups first appear.  Aborts on a duplicate
 * group/name, which would make references ambiguous.
 */
void bench_register(const BenchCase *bc);

/**
 * bench_register_pinned:
 * @bc: template case; its @pin is ignored
 * @pin_mask: which modes to register, BENCH_PIN_MASK() bits or
 *            BENCH_PIN_ALL
 *
 * Registers one case per mode in @pin_mask.  The name gets the mode's
 * suffix (bench_pin_suffix()), the label a short one (", same cpu").
 * Each ';'-separated item of @ref is adjusted the same way: "%p" in it is
 * replaced by the suffix (for names where the suffix is not last, as in
 * "bh round trip%p [qemu]"), an item that already says "(pinned" is kept,
 * and any other item gets the suffix appended.  Modes that need more CPUs
 * than the process may use are still listed and report "skipped" when run.
 */
void bench_register_pinned(const BenchCase *bc, unsigned pin_mask);

/**
 * bench_describe_group:
 * @group: group name
 * @text: one or two sentences: what one operation is in this group and
 *        what the references mean; printed above the group's rows
 */
void bench_describe_group(const char *group, const char *text);

/**
 * bench_skip:
 * @fmt: printf-style reason, shown in the table
 *
 * Called by a BenchFunc that cannot run here (missing CPU, feature,
 * library); the function then returns 0.
 */
void G_GNUC_PRINTF(1, 2) bench_skip(const char *fmt, ...);

/**
 * bench_now_ns:
 *
 * CLOCK_MONOTONIC in nanoseconds.  Thread-safe.
 */
static inline uint64_t bench_now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

/**
 * bench_pin_suffix:
 * @pin: a mode
 *
 * The text appended to case names: "", " (pinned: same cpu)" or
 * " (pinned: 2 cpus)".
 */
const char *bench_pin_suffix(BenchPin pin);

/**
 * bench_pick_cpus:
 * @pin: a mode other than BENCH_PIN_NONE
 * @cpus: filled with the CPU for the main thread and for the partner
 *
 * Chooses CPUs from the process's allowed set (the first one, and for
 * BENCH_PIN_TWO the next one).  Returns 0, or -ENODEV when the allowed set
 * is too small for @pin.  Thread-safe.
 */
int bench_pick_cpus(BenchPin pin, int cpus[2]);

/**
 * bench_pin_thread:
 * @thread: the thread to pin
 * @cpu: the CPU, or -1 to allow every CPU the process started with
 *
 * Wraps pthread_setaffinity_np().  Returns 0 or -errno.  Thread-safe.
 */
int bench_pin_thread(pthread_t thread, int cpu);

/**
 * BenchPair:
 *
 * A partner thread for a two-thread case, started by bench_pair_start()
 * and joined by bench_pair_finish().  Lives on the caller's stack.
 */
typedef struct BenchPair {
    pthread_t thread;
    bool pinned;
} BenchPair;

/**
 * bench_pair_start:
 * @pair: uninitialised storage
 * @bc: the case; its @pin decides the placement
 * @fn: the partner's body
 * @arg: passed to @fn
 *
 * Pins the calling thread and a new thread running @fn(@arg) as @bc->pin
 * asks.  Returns false (after bench_skip()) if the pinning is impossible
 * on this host; nothing is started then.  The partner is pinned before it
 * runs any of @fn.
 */
bool bench_pair_start(BenchPair *pair, const BenchCase *bc,
                      void *(*fn)(void *), void *arg);

/**
 * bench_pair_finish:
 * @pair: a started pair
 *
 * Joins the partner and gives the calling thread back every CPU the
 * process started with.
 */
void bench_pair_finish(BenchPair *pair);

/**
 * bench_quick:
 *
 * True under --quick: a bench with expensive set-up (thousands of fds or
 * timers) may use smaller parameters.  Results in quick mode are a smoke
 * test, not figures.
 */
bool bench_quick(void);

#endif /* QEMUUTIL_BENCH_H */
