/*
 * qemuutil benchmarks: parameters and names shared by the event-loop cases
 * (bench-aio.c) and their peers (bench-peers.c).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * Both files must agree on the sizes, the random deadlines and the row
 * names, because the qemuutil rows name the peer rows (by glob) as their
 * references.  bench-aio.c is also compiled against QEMU's original
 * headers (scripts/bench-qemu-ref.sh), so nothing here may depend on
 * qemuutil-only API.
 */
#ifndef QEMUUTIL_BENCH_AIO_H
#define QEMUUTIL_BENCH_AIO_H

#include <sys/resource.h>

/* Groups, one per case of the bench section. */
#define BENCH_GROUP_BH     "bh"         /* (a) self-rescheduling callback */
#define BENCH_GROUP_WAKE   "wake"       /* (b) cross-thread round trip */
#define BENCH_GROUP_FDS    "fds"        /* (c) one active fd + K idle */
#define BENCH_GROUP_TIMERS "timers"     /* (d) arm+fire and mod/del churn */

/*
 * Peer rows are named "peer <library and mechanism><variant>", where the
 * variant is the same text as in the qemuutil row; the references glob
 * on "peer *<variant>".
 */
#define BENCH_BH_NOFD      ", pollable handlers only"
#define BENCH_BH_ONEFD     ", one handler without io_poll"
#define BENCH_PEER_NOFD    ", no fd"
#define BENCH_PEER_ONEFD   ", one idle fd"

/* (c): the numbers of idle fds next to the active one. */
static const int bench_fd_counts[] = { 1, 64, 1024, 8192 };

/* (d): armed-and-fired counts, and armed counts for the churn. */
static const int bench_timer_fire_counts[] = { 1000, 10000, 100000 };
static const int bench_timer_churn_counts[] = { 500, 10000, 100000 };

/* Arm+fire deadlines are uniform in [now, now + window). */
#define BENCH_TIMER_WINDOW_NS   1000000ll
/*
 * Churn deadlines are uniform in [now + 10 s, now + 20 s): nothing fires
 * during the run, so only the data structure is measured.
 */
#define BENCH_CHURN_BASE_NS     10000000000ll
#define BENCH_CHURN_SPAN_NS     10000000000ll

/*
 * A case whose set-up alone takes longer than this gives up with
 * bench_skip() (and says how far it got): arming 100k timers in a sorted
 * linked list takes minutes, which would stall `make bench`.
 */
#define BENCH_SLOW_SETUP_NS     (3 * 1000000000ull)

/* "1k", "10k", "100k", or the plain number. */
static inline char *bench_count_text(int n)
{
    if (n >= 1000 && n % 1000 == 0) {
        return g_strdup_printf("%dk", n / 1000);
    }
    return g_strdup_printf("%d", n);
}

/*
 * The same pseudo-random sequence for every library: xorshift64*, seeded
 * by the caller.  Cheap enough (a few ns) not to matter next to the
 * operations it picks.
 */
static inline uint64_t bench_rand(uint64_t *state)
{
    uint64_t x = *state;

    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *state = x;
    return x * 0x2545F4914F6CDD1Dull;
}

#define BENCH_RAND_SEED 0x9e3779b97f4a7c15ull

/*
 * 8192 idle fds plus the loops' own need more than the usual soft limit of
 * 1024 descriptors: raise it to the hard limit.  Idempotent.
 */
static inline void bench_raise_nofile(void)
{
    struct rlimit rl;

    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
}

/* Descriptors a case needs for @k idle fds (eventfds), with headroom. */
static inline bool bench_nofile_allows(int k)
{
    struct rlimit rl;

    return getrlimit(RLIMIT_NOFILE, &rl) == 0 &&
           (rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur >= (rlim_t)k + 256);
}

#endif /* QEMUUTIL_BENCH_AIO_H */
