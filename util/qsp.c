/*
 * qemuutil: the lock-profiling hooks of qemu/thread.h (standalone only).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * QEMU has its own util/qsp.c, a full synchronisation profiler with a
 * per-call-site hash table; in a QEMU tree that file replaces this one.
 * qemuutil needs the seven entry-point variables thread.h declares, and
 * offers a deliberately small profiler behind the same qsp.h interface:
 *
 * - Disabled (the default), every variable points at the matching *_impl
 *   function, so a lock costs one indirect call.
 * - qsp_enable() points them at counting wrappers.  Per kind of primitive
 *   (mutex, recursive mutex, condvar wait, BQL) they count acquisitions,
 *   contended acquisitions (the lock was busy when asked for) and the time
 *   spent waiting for contended locks and for condition variables.
 *   Call sites are not told apart: qsp_report() prints one row per kind
 *   and ignores @callsite_coalesce.
 * - qsp_reset() zeroes the counters; qsp_disable() restores the plain
 *   functions and keeps the counters.
 *
 * The counters are updated with relaxed atomics: a report taken while
 * threads run is a consistent-enough snapshot, not an exact one.
 */
#include "qemu/osdep.h"

#include "qemu/thread.h"
#include "qemu/atomic.h"

/* The entry points of qemu/thread.h, unprofiled until qsp_enable(). */
QemuMutexLockFunc qemu_mutex_lock_func = qemu_mutex_lock_impl;
QemuMutexTrylockFunc qemu_mutex_trylock_func = qemu_mutex_trylock_impl;
QemuCondWaitFunc qemu_cond_wait_func = qemu_cond_wait_impl;
QemuCondTimedWaitFunc qemu_cond_timedwait_func = qemu_cond_timedwait_impl;
/* Recursive mutexes. */
QemuRecMutexLockFunc qemu_rec_mutex_lock_func = qemu_rec_mutex_lock_impl;
QemuRecMutexTrylockFunc qemu_rec_mutex_trylock_func =
    qemu_rec_mutex_trylock_impl;
/* QEMU's BQL locks through this one; qemuutil has no BQL of its own. */
QemuMutexLockFunc bql_mutex_lock_func = qemu_mutex_lock_impl;

typedef enum QSPKind {
    QSP_KIND_MUTEX,
    QSP_KIND_BQL,
    QSP_KIND_REC_MUTEX,
    QSP_KIND_COND,
    QSP_KIND_MAX,
} QSPKind;

typedef struct QSPCounters {
    uint64_t calls;         /* acquisitions (or waits) */
    uint64_t contended;     /* of which found the lock busy */
    uint64_t wait_ns;       /* time spent blocked */
} QSPCounters;

static const char *const qsp_kind_names[QSP_KIND_MAX] = {
    [QSP_KIND_MUTEX] = "mutex",
    [QSP_KIND_BQL] = "BQL mutex",
    [QSP_KIND_REC_MUTEX] = "rec-mutex",
    [QSP_KIND_COND] = "condvar",
};

/* Updated with relaxed atomics by any thread; see the file comment. */
static QSPCounters qsp_counters[QSP_KIND_MAX];

/* Written by qsp_enable()/qsp_disable(); read atomically. */
static bool qsp_enabled;

static int64_t qsp_now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void qsp_account(QSPKind kind, bool contended, int64_t wait_ns)
{
    QSPCounters *c = &qsp_counters[kind];

    qatomic_add_u64(&c->calls, 1);
    if (contended) {
        qatomic_add_u64(&c->contended, 1);
        qatomic_add_u64(&c->wait_ns, wait_ns);
    }
}

/* Lock @m, first trying without blocking so contention can be seen. */
static void qsp_lock_counted(QSPKind kind, QemuMutex *m,
                             const char *file, int line)
{
    int64_t start;

    if (qemu_mutex_trylock_impl(m, file, line) == 0) {
        qsp_account(kind, false, 0);
        return;
    }
    start = qsp_now_ns();
    qemu_mutex_lock_impl(m, file, line);
    qsp_account(kind, true, qsp_now_ns() - start);
}

static void qsp_mutex_lock(QemuMutex *m, const char *file, int line)
{
    qsp_lock_counted(QSP_KIND_MUTEX, m, file, line);
}

static void qsp_bql_mutex_lock(QemuMutex *m, const char *file, int line)
{
    qsp_lock_counted(QSP_KIND_BQL, m, file, line);
}

static int qsp_mutex_trylock(QemuMutex *m, const char *file, int line)
{
    int ret = qemu_mutex_trylock_impl(m, file, line);

    if (ret == 0) {
        qsp_account(QSP_KIND_MUTEX, false, 0);
    }
    return ret;
}

static void qsp_rec_mutex_lock(QemuRecMutex *m, const char *file, int line)
{
    qsp_lock_counted(QSP_KIND_REC_MUTEX, &m->m, file, line);
}

static int qsp_rec_mutex_trylock(QemuRecMutex *m, const char *file, int line)
{
    int ret = qemu_rec_mutex_trylock_impl(m, file, line);

    if (ret == 0) {
        qsp_account(QSP_KIND_REC_MUTEX, false, 0);
    }
    return ret;
}

/* A condvar wait always blocks, so it is all "contended" wait time. */
static void qsp_cond_wait(QemuCond *c, QemuMutex *m, const char *file,
                          int line)
{
    int64_t start = qsp_now_ns();

    qemu_cond_wait_impl(c, m, file, line);
    qsp_account(QSP_KIND_COND, true, qsp_now_ns() - start);
}

static bool qsp_cond_timedwait(QemuCond *c, QemuMutex *m, int ms,
                               const char *file, int line)
{
    int64_t start = qsp_now_ns();
    bool woken = qemu_cond_timedwait_impl(c, m, ms, file, line);

    qsp_account(QSP_KIND_COND, true, qsp_now_ns() - start);
    return woken;
}

bool qsp_is_enabled(void)
{
    return qatomic_read(&qsp_enabled);
}

void qsp_enable(void)
{
    qatomic_set(&bql_mutex_lock_func, qsp_bql_mutex_lock);
    qatomic_set(&qemu_mutex_lock_func, qsp_mutex_lock);
    qatomic_set(&qemu_mutex_trylock_func, qsp_mutex_trylock);
    qatomic_set(&qemu_rec_mutex_lock_func, qsp_rec_mutex_lock);
    qatomic_set(&qemu_rec_mutex_trylock_func, qsp_rec_mutex_trylock);
    qatomic_set(&qemu_cond_wait_func, qsp_cond_wait);
    qatomic_set(&qemu_cond_timedwait_func, qsp_cond_timedwait);
    qatomic_set(&qsp_enabled, true);
}

void qsp_disable(void)
{
    qatomic_set(&qsp_enabled, false);
    qatomic_set(&bql_mutex_lock_func, qemu_mutex_lock_impl);
    qatomic_set(&qemu_mutex_lock_func, qemu_mutex_lock_impl);
    qatomic_set(&qemu_mutex_trylock_func, qemu_mutex_trylock_impl);
    qatomic_set(&qemu_rec_mutex_lock_func, qemu_rec_mutex_lock_impl);
    qatomic_set(&qemu_rec_mutex_trylock_func, qemu_rec_mutex_trylock_impl);
    qatomic_set(&qemu_cond_wait_func, qemu_cond_wait_impl);
    qatomic_set(&qemu_cond_timedwait_func, qemu_cond_timedwait_impl);
}

void qsp_reset(void)
{
    int i;

    for (i = 0; i < QSP_KIND_MAX; i++) {
        qatomic_set_u64(&qsp_counters[i].calls, 0);
        qatomic_set_u64(&qsp_counters[i].contended, 0);
        qatomic_set_u64(&qsp_counters[i].wait_ns, 0);
    }
}

typedef struct QSPRow {
    const char *name;
    QSPCounters snap;
} QSPRow;

static double qsp_row_key(const QSPRow *row, enum QSPSortBy sort_by)
{
    if (sort_by == QSP_SORT_BY_AVG_WAIT_TIME) {
        return row->snap.contended ?
               (double)row->snap.wait_ns / row->snap.contended : 0;
    }
    return row->snap.wait_ns;
}

void qsp_report(size_t max, enum QSPSortBy sort_by, bool callsite_coalesce)
{
    QSPRow rows[QSP_KIND_MAX], tmp;
    size_t i, j;

    for (i = 0; i < QSP_KIND_MAX; i++) {
        rows[i].name = qsp_kind_names[i];
        rows[i].snap.calls = qatomic_read_u64(&qsp_counters[i].calls);
        rows[i].snap.contended = qatomic_read_u64(&qsp_counters[i].contended);
        rows[i].snap.wait_ns = qatomic_read_u64(&qsp_counters[i].wait_ns);
    }
    /* Insertion sort, largest key first: there are only a few rows. */
    for (i = 1; i < QSP_KIND_MAX; i++) {
        tmp = rows[i];
        for (j = i; j > 0 && qsp_row_key(&rows[j - 1], sort_by) <
                             qsp_row_key(&tmp, sort_by); j--) {
            rows[j] = rows[j - 1];
        }
        rows[j] = tmp;
    }

    printf("qemuutil lock profile (%s; per primitive kind, "
           "call sites not recorded)\n",
           qsp_is_enabled() ? "enabled" : "disabled");
    printf("%-12s %14s %14s %16s %14s\n",
           "kind", "calls", "contended", "wait total (ms)", "avg wait (us)");
    for (i = 0; i < QSP_KIND_MAX && i < max; i++) {
        const QSPCounters *s = &rows[i].snap;

        printf("%-12s %14" PRIu64 " %14" PRIu64 " %16.3f %14.3f\n",
               rows[i].name, s->calls, s->contended, s->wait_ns / 1e6,
               s->contended ? s->wait_ns / 1e3 / s->contended : 0.0);
    }
}
