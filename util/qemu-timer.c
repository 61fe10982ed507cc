/*
 * qemuutil: clocks, timer lists and timers (QEMU 10.0's util/qemu-timer.c).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * Data structure.  QEMU keeps each list's armed timers in a sorted singly
 * linked list, which makes arming and disarming O(n).  Here each list keeps
 * them in a binary min-heap: an array of (expiry, sequence, timer) entries
 * ordered by expiry and, for equal expiries, by a per-list sequence number
 * taken each time a timer is armed.  The sequence number reproduces QEMU's
 * rule that a timer armed later for the same instant fires later.  Every
 * timer remembers its slot (QEMUTimer.heap_index), so moving or removing a
 * timer is a sift from that slot: O(log n).  The earliest expiry is also
 * published in QEMUTimerList.head_expire, so "is anything armed" and "when
 * is the next deadline" are one atomic load, without the list's mutex.
 *
 * Locking.
 *  - QEMUTimerList.lock protects the heap and the timers' expire_time and
 *    heap_index while they are in it.  It is never held while a timer
 *    callback or a notify callback runs.
 *  - timerlists_lock protects each clock's registry of lists and the lists'
 *    reference counts.  Lock order: timerlists_lock, then a list's lock.
 *    Code that must call out for every list of a clock (notify, wait for
 *    running callbacks) takes a reference
 *    on each list under timerlists_lock, drops the lock, and works on that
 *    snapshot; a list freed meanwhile by its owner is destroyed when the
 *    last reference goes.
 */

#include "qemu/osdep.h"
#include "qemu/atomic.h"
#include "qemu/queue.h"
#include "qemu/thread.h"
#include "qemu/main-loop.h"
#include "qemu/timer.h"
#include "system/cpu-timers.h"
#include "system/replay.h"

#ifdef CONFIG_PPOLL
#include <poll.h>               /* ppoll(); QEMU's osdep.h lacks <poll.h> */
#endif
#ifdef CONFIG_PRCTL_PR_SET_TIMERSLACK
#include <sys/prctl.h>
#endif

/* QEMUTimer.heap_index of a timer that is not in any heap. */
#define TIMER_NOT_QUEUED SIZE_MAX

/* Smallest heap allocation, and the size below which it never shrinks. */
#define TIMER_HEAP_MIN_CAP 16

typedef struct QEMUClock {
    /* Every list of this clock; protected by timerlists_lock. */
    QLIST_HEAD(, QEMUTimerList) timerlists;
    QEMUClockType type;
    /*
     * Whether the clock's timers run.  Accessed with atomics; the write in
     * qemu_clock_enable() is ordered against timerlist_run_timers() by the
     * smp_mb() pair described there.
     */
    bool enabled;
} QEMUClock;

/* One armed timer in a heap; the key is (expire_time, seq). */
typedef struct TimerHeapEntry {
    int64_t expire_time;
    uint64_t seq;
    QEMUTimer *ts;
} TimerHeapEntry;

struct QEMUTimerList {
    QEMUClock *clock;
    QEMUTimerListNotifyCB *notify_cb;   /* constant after creation */
    void *notify_opaque;                /* constant after creation */

    QemuMutex lock;
    TimerHeapEntry *heap;               /* protected by lock */
    size_t len;                         /* protected by lock */
    size_t cap;                         /* protected by lock */
    uint64_t next_seq;                  /* protected by lock */
    /* Number of timerlist_run_timers() calls in progress; protected by lock */
    unsigned runners;

    /*
     * Expiry of the earliest armed timer, -1 when none.  Written under lock
     * (qatomic_set) whenever the heap's root may have changed; read without
     * it.  A reader that sees a stale value is covered the same way as in
     * QEMU: whoever makes a timer the earliest calls the notify callback
     * afterwards, and the event loop's notify protocol (smp_mb() in
     * aio_notify() against the one after setting notify_me in aio_poll())
     * makes the sleeper either see the new value or get woken.
     */
    int64_t head_expire;

    /*
     * Set while no timerlist_run_timers() call is in progress; see the
     * pairing between timerlist_run_timers() and qemu_clock_enable().
     */
    QemuEvent timers_done_ev;

    QLIST_ENTRY(QEMUTimerList) link;    /* protected by timerlists_lock */
    unsigned refcnt;                    /* protected by timerlists_lock */
};

QEMUTimerListGroup main_loop_tlg;

static QemuMutex timerlists_lock;

/* All clocks start disabled; init_clocks() enables all but VIRTUAL. */
static QEMUClock qemu_clocks[QEMU_CLOCK_MAX] = {
    [QEMU_CLOCK_REALTIME] = { .type = QEMU_CLOCK_REALTIME },
    [QEMU_CLOCK_VIRTUAL] = { .type = QEMU_CLOCK_VIRTUAL },
    [QEMU_CLOCK_HOST] = { .type = QEMU_CLOCK_HOST },
    [QEMU_CLOCK_VIRTUAL_RT] = { .type = QEMU_CLOCK_VIRTUAL_RT },
};

static void __attribute__((constructor)) timerlists_lock_init(void)
{
    qemu_mutex_init(&timerlists_lock);
}

static void G_GNUC_PRINTF(1, 2) __attribute__((noreturn))
timer_misuse(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    fprintf(stderr, "qemu-timer: ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n");
    va_end(ap);
    abort();
}

static bool clock_is_enabled(QEMUClock *clock)
{
    return qatomic_read(&clock->enabled);
}

/* ---------------------------------------------------------------------- */
/* The heap (all helpers called with the list's lock held)                  */
/* ---------------------------------------------------------------------- */

static inline bool heap_entry_before(const TimerHeapEntry *a,
                                     const TimerHeapEntry *b)
{
    if (a->expire_time != b->expire_time) {
        return a->expire_time < b->expire_time;
    }
    return a->seq < b->seq;
}

static inline void heap_store(QEMUTimerList *tl, size_t pos,
                              const TimerHeapEntry *e)
{
    tl->heap[pos] = *e;
    e->ts->heap_index = pos;
}

static void heap_sift_up(QEMUTimerList *tl, size_t pos)
{
    TimerHeapEntry moving = tl->heap[pos];

    while (pos > 0) {
        size_t parent = (pos - 1) / 2;

        if (!heap_entry_before(&moving, &tl->heap[parent])) {
            break;
        }
        heap_store(tl, pos, &tl->heap[parent]);
        pos = parent;
    }
    heap_store(tl, pos, &moving);
}

static void heap_sift_down(QEMUTimerList *tl, size_t pos)
{
    TimerHeapEntry moving = tl->heap[pos];

    for (;;) {
        size_t child = 2 * pos + 1;

        if (child >= tl->len) {
            break;
        }
        if (child + 1 < tl->len &&
            heap_entry_before(&tl->heap[child + 1], &tl->heap[child])) {
            child++;
        }
        if (!heap_entry_before(&tl->heap[child], &moving)) {
            break;
        }
        heap_store(tl, pos, &tl->heap[child]);
        pos = child;
    }
    heap_store(tl, pos, &moving);
}

/* Restore the heap order around @pos after its key changed either way. */
static void heap_resift(QEMUTimerList *tl, size_t pos)
{
    if (pos > 0 && heap_entry_before(&tl->heap[pos],
                                     &tl->heap[(pos - 1) / 2])) {
        heap_sift_up(tl, pos);
    } else {
        heap_sift_down(tl, pos);
    }
}

static bool timer_is_queued_locked(QEMUTimerList *tl, QEMUTimer *ts)
{
    size_t pos = ts->heap_index;

    /*
     * Check the slot too, not only the index: QEMU device code may write
     * expire_time behind our back, so the index is the only trusted mark.
     */
    return pos < tl->len && tl->heap[pos].ts == ts;
}

static void heap_publish_head(QEMUTimerList *tl)
{
    qatomic_set(&tl->head_expire, tl->len ? tl->heap[0].expire_time : -1);
}

static void heap_remove(QEMUTimerList *tl, size_t pos)
{
    QEMUTimer *ts = tl->heap[pos].ts;

    ts->heap_index = TIMER_NOT_QUEUED;
    tl->len--;
    if (pos < tl->len) {
        heap_store(tl, pos, &tl->heap[tl->len]);
        heap_resift(tl, pos);
    }
    if (tl->cap > TIMER_HEAP_MIN_CAP && tl->len < tl->cap / 4) {
        tl->cap /= 2;
        tl->heap = g_renew(TimerHeapEntry, tl->heap, tl->cap);
    }
}

/*
 * Arm or move @ts to @expire_time.  Returns true if @ts is now the earliest
 * timer of the list, i.e. the list's deadline may have moved earlier.
 */
static bool timer_mod_ns_locked(QEMUTimerList *tl, QEMUTimer *ts,
                                int64_t expire_time)
{
    TimerHeapEntry e;

    e.expire_time = MAX(expire_time, 0);
    e.seq = tl->next_seq++;
    e.ts = ts;
    qatomic_set(&ts->expire_time, e.expire_time);

    if (timer_is_queued_locked(tl, ts)) {
        tl->heap[ts->heap_index] = e;
        heap_resift(tl, ts->heap_index);
    } else {
        if (tl->len == tl->cap) {
            tl->cap = MAX(tl->cap * 2, TIMER_HEAP_MIN_CAP);
            tl->heap = g_renew(TimerHeapEntry, tl->heap, tl->cap);
        }
        heap_store(tl, tl->len, &e);
        tl->len++;
        heap_sift_up(tl, tl->len - 1);
    }
    heap_publish_head(tl);
    return ts->heap_index == 0;
}

static void timer_del_locked(QEMUTimerList *tl, QEMUTimer *ts)
{
    if (timer_is_queued_locked(tl, ts)) {
        heap_remove(tl, ts->heap_index);
        heap_publish_head(tl);
    }
    qatomic_set(&ts->expire_time, -1);
}

/*
 * Earliest expiry among the timers whose attributes are within @attr_mask,
 * -1 if there is none.  The root answers in the common case; otherwise the
 * walk skips every subtree whose root is already later than the best match,
 * since nothing below it can be earlier.
 */
static void heap_find_masked(QEMUTimerList *tl, size_t pos, int attr_mask,
                             const TimerHeapEntry **best)
{
    const TimerHeapEntry *e;

    if (pos >= tl->len) {
        return;
    }
    e = &tl->heap[pos];
    if (*best && !heap_entry_before(e, *best)) {
        return;
    }
    if (!(e->ts->attributes & ~attr_mask)) {
        *best = e;
        return;
    }
    heap_find_masked(tl, 2 * pos + 1, attr_mask, best);
    heap_find_masked(tl, 2 * pos + 2, attr_mask, best);
}

static int64_t timerlist_earliest_masked(QEMUTimerList *tl, int attr_mask)
{
    const TimerHeapEntry *best = NULL;
    int64_t expire;

    qemu_mutex_lock(&tl->lock);
    heap_find_masked(tl, 0, attr_mask, &best);
    expire = best ? best->expire_time : -1;
    qemu_mutex_unlock(&tl->lock);
    return expire;
}

/* ---------------------------------------------------------------------- */
/* Lists and their registry                                                 */
/* ---------------------------------------------------------------------- */

static void timerlist_destroy(QEMUTimerList *tl)
{
    qemu_event_destroy(&tl->timers_done_ev);
    qemu_mutex_destroy(&tl->lock);
    g_free(tl->heap);
    g_free(tl);
}

/* Called with timerlists_lock held. */
static void timerlist_unref_locked(QEMUTimerList *tl)
{
    assert(tl->refcnt > 0);
    if (--tl->refcnt == 0) {
        timerlist_destroy(tl);
    }
}

/*
 * Take a reference on every list of @clock.  The caller works on the
 * returned array without timerlists_lock and releases it with
 * clock_put_lists().
 */
static QEMUTimerList **clock_get_lists(QEMUClock *clock, size_t *count)
{
    QEMUTimerList *tl;
    QEMUTimerList **lists;
    size_t n = 0, i = 0;

    qemu_mutex_lock(&timerlists_lock);
    QLIST_FOREACH(tl, &clock->timerlists, link) {
        n++;
    }
    lists = g_new(QEMUTimerList *, n ? n : 1);
    QLIST_FOREACH(tl, &clock->timerlists, link) {
        tl->refcnt++;
        lists[i++] = tl;
    }
    qemu_mutex_unlock(&timerlists_lock);
    *count = n;
    return lists;
}

static void clock_put_lists(QEMUTimerList **lists, size_t count)
{
    size_t i;

    qemu_mutex_lock(&timerlists_lock);
    for (i = 0; i < count; i++) {
        timerlist_unref_locked(lists[i]);
    }
    qemu_mutex_unlock(&timerlists_lock);
    g_free(lists);
}

QEMUTimerList *timerlist_new(QEMUClockType type,
                             QEMUTimerListNotifyCB *cb, void *opaque)
{
    QEMUClock *clock = &qemu_clocks[type];
    QEMUTimerList *tl = g_new0(QEMUTimerList, 1);

    tl->clock = clock;
    tl->notify_cb = cb;
    tl->notify_opaque = opaque;
    qemu_mutex_init(&tl->lock);
    tl->head_expire = -1;
    qemu_event_init(&tl->timers_done_ev, true);
    tl->refcnt = 1;             /* the registry's reference */

    qemu_mutex_lock(&timerlists_lock);
    QLIST_INSERT_HEAD(&clock->timerlists, tl, link);
    qemu_mutex_unlock(&timerlists_lock);
    return tl;
}

void timerlist_free(QEMUTimerList *timer_list)
{
    if (timerlist_has_timers(timer_list)) {
        timer_misuse("timerlist_free: the list still has armed timers; "
                     "timer_del() them first");
    }
    qemu_mutex_lock(&timerlists_lock);
    QLIST_REMOVE(timer_list, link);
    timerlist_unref_locked(timer_list);
    qemu_mutex_unlock(&timerlists_lock);
}

bool timerlist_has_timers(QEMUTimerList *timer_list)
{
    return qatomic_read(&timer_list->head_expire) >= 0;
}

bool timerlist_expired(QEMUTimerList *timer_list)
{
    int64_t head = qatomic_read(&timer_list->head_expire);

    if (head < 0) {
        return false;
    }
    return head <= qemu_clock_get_ns(timer_list->clock->type);
}

int64_t timerlist_deadline_ns(QEMUTimerList *timer_list)
{
    int64_t head = qatomic_read(&timer_list->head_expire);
    int64_t delta;

    if (head < 0 || !clock_is_enabled(timer_list->clock)) {
        return -1;
    }
    delta = head - qemu_clock_get_ns(timer_list->clock->type);
    return delta > 0 ? delta : 0;
}

void timerlist_notify(QEMUTimerList *timer_list)
{
    if (!timer_list->notify_cb) {
        qemu_notify_event();
        return;
    }
    timer_list->notify_cb(timer_list->notify_opaque, timer_list->clock->type);
}

/*
 * The checkpoint record/replay takes before a list of this clock may run;
 * false means "not now".
 */
static bool timerlist_replay_allows_run(QEMUClockType type)
{
    switch (type) {
    case QEMU_CLOCK_HOST:
        return replay_checkpoint(CHECKPOINT_CLOCK_HOST);
    case QEMU_CLOCK_VIRTUAL_RT:
        return replay_checkpoint(CHECKPOINT_CLOCK_VIRTUAL_RT);
    default:
        return true;
    }
}

bool timerlist_run_timers(QEMUTimerList *timer_list)
{
    QEMUTimerList *tl = timer_list;
    QEMUClockType type = tl->clock->type;
    bool progress = false;
    int64_t head = qatomic_read(&tl->head_expire);
    int64_t now;

    if (head < 0) {
        return false;
    }
    /*
     * Fast exit when nothing is due yet.  Only outside record/replay, where
     * the checkpoints below must be taken whenever timers are armed.
     */
    if (replay_mode == REPLAY_MODE_NONE && head > qemu_clock_get_ns(type)) {
        return false;
    }

    qemu_mutex_lock(&tl->lock);
    if (tl->runners++ == 0) {
        qemu_event_reset(&tl->timers_done_ev);
    }
    /*
     * Pairs with smp_mb() in qemu_clock_enable(): either that function sees
     * the event reset and waits for us, or we see the clock disabled here
     * and run nothing.
     */
    smp_mb();
    if (!clock_is_enabled(tl->clock) || !timerlist_replay_allows_run(type)) {
        goto out;
    }

    now = qemu_clock_get_ns(type);
    while (tl->len && tl->heap[0].expire_time <= now) {
        QEMUTimer *ts = tl->heap[0].ts;
        QEMUTimerCB *cb;
        void *opaque;

        /*
         * Under record/replay, a virtual-clock timer that affects the guest
         * must wait for its checkpoint; external timers need none.
         */
        if (replay_mode != REPLAY_MODE_NONE && type == QEMU_CLOCK_VIRTUAL &&
            !(ts->attributes & QEMU_TIMER_ATTR_EXTERNAL) &&
            !replay_checkpoint(CHECKPOINT_CLOCK_VIRTUAL)) {
            break;
        }

        /* Disarm before the call, so the callback may re-arm the timer. */
        heap_remove(tl, 0);
        heap_publish_head(tl);
        qatomic_set(&ts->expire_time, -1);
        cb = ts->cb;
        opaque = ts->opaque;

        /* The callback may arm, delete or free any timer, itself included. */
        qemu_mutex_unlock(&tl->lock);
        cb(opaque);
        qemu_mutex_lock(&tl->lock);
        progress = true;
    }

out:
    if (--tl->runners == 0) {
        qemu_event_set(&tl->timers_done_ev);
    }
    qemu_mutex_unlock(&tl->lock);
    return progress;
}

/* ---------------------------------------------------------------------- */
/* Groups                                                                   */
/* ---------------------------------------------------------------------- */

void timerlistgroup_init(QEMUTimerListGroup *tlg,
                         QEMUTimerListNotifyCB *cb, void *opaque)
{
    int i;

    for (i = 0; i < QEMU_CLOCK_MAX; i++) {
        tlg->tl[i] = timerlist_new((QEMUClockType)i, cb, opaque);
    }
}

void timerlistgroup_deinit(QEMUTimerListGroup *tlg)
{
    int i;

    for (i = 0; i < QEMU_CLOCK_MAX; i++) {
        timerlist_free(tlg->tl[i]);
        tlg->tl[i] = NULL;
    }
}

bool timerlistgroup_run_timers(QEMUTimerListGroup *tlg)
{
    bool ran = false;
    int i;

    /*
     * aio_poll() calls this once per iteration, mostly with nothing armed:
     * look at each list's head here and enter timerlist_run_timers() (not
     * inlined, it is large) only for lists that have a timer.  It reads
     * head_expire again, so a stale -1 here only defers the timer to the
     * next iteration, which its notify callback guarantees.
     */
    for (i = 0; i < QEMU_CLOCK_MAX; i++) {
        if (qatomic_read(&tlg->tl[i]->head_expire) < 0) {
            continue;
        }
        if (timerlist_run_timers(tlg->tl[i])) {
            ran = true;
        }
    }
    return ran;
}

int64_t timerlistgroup_deadline_ns(QEMUTimerListGroup *tlg)
{
    int64_t soonest = -1;
    int i;

    for (i = 0; i < QEMU_CLOCK_MAX; i++) {
        /*
         * An empty list has no deadline (-1, which never wins): skip it
         * without the calls, as timerlistgroup_run_timers() does.
         */
        if (qatomic_read(&tlg->tl[i]->head_expire) < 0 ||
            !qemu_clock_use_for_deadline((QEMUClockType)i)) {
            continue;
        }
        soonest = qemu_soonest_timeout(soonest,
                                       timerlist_deadline_ns(tlg->tl[i]));
    }
    return soonest;
}

/* ---------------------------------------------------------------------- */
/* Clocks                                                                   */
/* ---------------------------------------------------------------------- */

static QEMUTimerList *main_loop_list(QEMUClockType type)
{
    QEMUTimerList *tl = main_loop_tlg.tl[type];

    if (!tl) {
        timer_misuse("the main loop's timer lists do not exist: "
                     "call init_clocks() (or qemu_init_main_loop()) first");
    }
    return tl;
}

int64_t qemu_clock_get_ns(QEMUClockType type)
{
    /* HOST and VIRTUAL_RT reads are logged under icount record/replay. */
    switch (type) {
    case QEMU_CLOCK_REALTIME:
        return get_clock();
    case QEMU_CLOCK_HOST:
        return REPLAY_CLOCK(REPLAY_CLOCK_HOST, get_clock_realtime());
    case QEMU_CLOCK_VIRTUAL_RT:
        return REPLAY_CLOCK(REPLAY_CLOCK_VIRTUAL_RT, cpu_get_clock());
    case QEMU_CLOCK_VIRTUAL:
    default:
        return cpus_get_virtual_clock();
    }
}

bool qemu_clock_has_timers(QEMUClockType type)
{
    return timerlist_has_timers(main_loop_list(type));
}

bool qemu_clock_expired(QEMUClockType type)
{
    return timerlist_expired(main_loop_list(type));
}

bool qemu_clock_use_for_deadline(QEMUClockType type)
{
    /* With icount, the vCPU threads own the virtual clock's deadline. */
    return type != QEMU_CLOCK_VIRTUAL || !icount_enabled();
}

/* Earliest expiry over every list of @clock (absolute ns), -1 if none. */
static int64_t clock_earliest_expiry(QEMUClock *clock, int attr_mask)
{
    QEMUTimerList *tl;
    int64_t earliest = -1;

    qemu_mutex_lock(&timerlists_lock);
    QLIST_FOREACH(tl, &clock->timerlists, link) {
        int64_t expire;

        if (!timerlist_has_timers(tl)) {
            continue;
        }
        expire = timerlist_earliest_masked(tl, attr_mask);
        earliest = qemu_soonest_timeout(earliest, expire);
    }
    qemu_mutex_unlock(&timerlists_lock);
    return earliest;
}

int64_t qemu_clock_deadline_ns_all(QEMUClockType type, int attr_mask)
{
    QEMUClock *clock = &qemu_clocks[type];
    int64_t earliest, delta;

    if (!clock_is_enabled(clock)) {
        return -1;
    }
    earliest = clock_earliest_expiry(clock, attr_mask);
    if (earliest < 0) {
        return -1;
    }
    delta = earliest - qemu_clock_get_ns(type);
    return delta > 0 ? delta : 0;
}

void qemu_clock_notify(QEMUClockType type)
{
    size_t n, i;
    QEMUTimerList **lists = clock_get_lists(&qemu_clocks[type], &n);

    for (i = 0; i < n; i++) {
        timerlist_notify(lists[i]);
    }
    clock_put_lists(lists, n);
}

void qemu_clock_enable(QEMUClockType type, bool enabled)
{
    QEMUClock *clock = &qemu_clocks[type];
    QEMUTimerList **lists;
    size_t n, i;
    bool was_enabled = qatomic_xchg(&clock->enabled, enabled);

    if (enabled && !was_enabled) {
        /* Deadlines that were hidden are visible again: wake the loops. */
        qemu_clock_notify(type);
        return;
    }
    if (enabled || !was_enabled) {
        return;
    }

    /*
     * Pairs with smp_mb() in timerlist_run_timers(): a run that did not see
     * the clock disabled has reset its list's event before we read it.
     */
    smp_mb();
    lists = clock_get_lists(clock, &n);
    for (i = 0; i < n; i++) {
        qemu_event_wait(&lists[i]->timers_done_ev);
    }
    clock_put_lists(lists, n);
}

bool qemu_clock_run_timers(QEMUClockType type)
{
    return timerlist_run_timers(main_loop_list(type));
}

bool qemu_clock_run_all_timers(void)
{
    bool ran = false;
    int i;

    for (i = 0; i < QEMU_CLOCK_MAX; i++) {
        if (qemu_clock_use_for_deadline((QEMUClockType)i) &&
            qemu_clock_run_timers((QEMUClockType)i)) {
            ran = true;
        }
    }
    return ran;
}

/*
 * The virtual-clock lists that qemu_clock_advance_virtual_time() steps
 * and runs, QEMU's rule: the main loop's and, once there is a main loop,
 * the main AioContext's.  Other AioContexts (IOThreads) run their own due
 * timers when the final qemu_clock_notify() wakes them.  Returns how many
 * of the two slots of @lists it filled.
 */
static int advance_lists(QEMUTimerList *lists[2])
{
    AioContext *ctx = qemu_get_aio_context();
    int n = 0;

    lists[n++] = main_loop_list(QEMU_CLOCK_VIRTUAL);
    if (ctx) {
        lists[n++] = ctx->tlg.tl[QEMU_CLOCK_VIRTUAL];
    }
    return n;
}

/* Earliest expiry (absolute ns) over the advance lists, -1 if none. */
static int64_t advance_earliest_expiry(void)
{
    QEMUTimerList *lists[2];
    int64_t earliest = -1;
    int n = advance_lists(lists), i;

    for (i = 0; i < n; i++) {
        if (timerlist_has_timers(lists[i])) {
            earliest = qemu_soonest_timeout(earliest,
                timerlist_earliest_masked(lists[i], QEMU_TIMER_ATTR_ALL));
        }
    }
    return earliest;
}

/* Run the due timers of the advance lists; true if any callback ran. */
static bool advance_run_lists(void)
{
    QEMUTimerList *lists[2];
    int n = advance_lists(lists), i;
    bool ran = false;

    for (i = 0; i < n; i++) {
        if (timerlist_run_timers(lists[i])) {
            ran = true;
        }
    }
    return ran;
}

int64_t qemu_clock_advance_virtual_time(int64_t target_ns)
{
    QEMUClock *clock = &qemu_clocks[QEMU_CLOCK_VIRTUAL];
    int64_t now = qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL);

    /*
     * Step to the earliest deadline (or the target if that is sooner),
     * fire what is due there, and repeat: each callback sees the clock at
     * exactly its timer's expiry, and timers armed by callbacks take part.
     */
    for (;;) {
        int64_t before = now;
        int64_t next = -1;
        int64_t step;
        bool ran;

        if (clock_is_enabled(clock)) {
            next = advance_earliest_expiry();
        }
        step = (next < 0 || next > target_ns) ? target_ns : next;
        if (step > now) {
            cpus_set_virtual_clock(step);
            now = qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL);
            if (now <= before) {
                /* This build's virtual clock cannot be set (QEMU's stub). */
                break;
            }
        }
        ran = advance_run_lists();
        if (now >= target_ns) {
            break;
        }
        if (!ran && now == before) {
            /*
             * Due timers exist but none could run (replay held them back,
             * or another thread took them): do not spin, go to the target.
             */
            cpus_set_virtual_clock(target_ns);
            now = qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL);
            advance_run_lists();
            break;
        }
    }

    qemu_clock_notify(QEMU_CLOCK_VIRTUAL);
    return qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL);
}

void init_clocks(QEMUTimerListNotifyCB *notify_cb)
{
    int i;

    for (i = 0; i < QEMU_CLOCK_MAX; i++) {
        if (main_loop_tlg.tl[i]) {
            timer_misuse("init_clocks() called twice");
        }
        main_loop_tlg.tl[i] = timerlist_new((QEMUClockType)i, notify_cb,
                                            NULL);
        /* The virtual clock stays stopped until the VM (or a test) runs. */
        qatomic_set(&qemu_clocks[i].enabled, i != QEMU_CLOCK_VIRTUAL);
    }

#ifdef CONFIG_PRCTL_PR_SET_TIMERSLACK
    /* Ask for 1 ns of slack: the default 50 us would delay every timer. */
    prctl(PR_SET_TIMERSLACK, 1, 0, 0, 0);
#endif
}

/* ---------------------------------------------------------------------- */
/* Timers                                                                   */
/* ---------------------------------------------------------------------- */

void timer_init_full(QEMUTimer *ts, QEMUTimerListGroup *timer_list_group,
                     QEMUClockType type, int scale, int attributes,
                     QEMUTimerCB *cb, void *opaque)
{
    QEMUTimerListGroup *group = timer_list_group ? timer_list_group
                                                 : &main_loop_tlg;

    ts->expire_time = -1;
    ts->timer_list = group->tl[type];
    ts->cb = cb;
    ts->opaque = opaque;
    ts->next = NULL;
    ts->attributes = attributes;
    ts->scale = scale;
    ts->heap_index = TIMER_NOT_QUEUED;
}

void timer_deinit(QEMUTimer *ts)
{
    if (timer_pending(ts)) {
        timer_misuse("timer_deinit: the timer is still armed; "
                     "timer_del() it first");
    }
    ts->timer_list = NULL;
}

static QEMUTimerList *timer_list_for_mod(QEMUTimer *ts, const char *fn)
{
    QEMUTimerList *tl = ts->timer_list;

    if (!tl) {
        timer_misuse("%s: the timer has no timer list (not initialised, "
                     "deinitialised, or initialised before init_clocks())",
                     fn);
    }
    return tl;
}

void timer_del(QEMUTimer *ts)
{
    QEMUTimerList *tl = ts->timer_list;

    if (!tl) {
        return;
    }
    qemu_mutex_lock(&tl->lock);
    timer_del_locked(tl, ts);
    qemu_mutex_unlock(&tl->lock);
}

void timer_mod_ns(QEMUTimer *ts, int64_t expire_time)
{
    QEMUTimerList *tl = timer_list_for_mod(ts, __func__);
    bool now_first;

    qemu_mutex_lock(&tl->lock);
    now_first = timer_mod_ns_locked(tl, ts, expire_time);
    qemu_mutex_unlock(&tl->lock);

    /* Outside the lock: the callback may arm timers itself. */
    if (now_first) {
        timerlist_notify(tl);
    }
}

void timer_mod_anticipate_ns(QEMUTimer *ts, int64_t expire_time)
{
    QEMUTimerList *tl = timer_list_for_mod(ts, __func__);
    bool now_first = false;

    qemu_mutex_lock(&tl->lock);
    if (!timer_is_queued_locked(tl, ts) || ts->expire_time > expire_time) {
        now_first = timer_mod_ns_locked(tl, ts, expire_time);
    }
    qemu_mutex_unlock(&tl->lock);

    if (now_first) {
        timerlist_notify(tl);
    }
}

/* The scaled variants: @ts->scale nanoseconds per unit. */
void timer_mod(QEMUTimer *ts, int64_t expire_timer)
{
    timer_mod_ns(ts, expire_timer * ts->scale);
}

void timer_mod_anticipate(QEMUTimer *ts, int64_t expire_time)
{
    int64_t ns = expire_time * ts->scale;

    timer_mod_anticipate_ns(ts, ns);
}

bool timer_pending(QEMUTimer *ts)
{
    return qatomic_read(&ts->expire_time) >= 0;
}

bool timer_expired(QEMUTimer *timer_head, int64_t current_time)
{
    if (!timer_head) {
        return false;
    }
    return qatomic_read(&timer_head->expire_time) <=
           current_time * timer_head->scale;
}

uint64_t timer_expire_time_ns(QEMUTimer *ts)
{
    int64_t expire = qatomic_read(&ts->expire_time);

    return expire >= 0 ? expire : -1;
}

/* ---------------------------------------------------------------------- */
/* Poll helpers                                                             */
/* ---------------------------------------------------------------------- */

int qemu_timeout_ns_to_ms(int64_t ns)
{
    int64_t ms;

    if (ns <= 0) {
        return ns < 0 ? -1 : 0;
    }
    /* Round up: waking before the deadline would just poll again. */
    ms = ns / SCALE_MS + (ns % SCALE_MS != 0);
    return ms > INT32_MAX ? INT32_MAX : (int)ms;
}

int qemu_poll_ns(GPollFD *fds, guint nfds, int64_t timeout)
{
#ifdef CONFIG_PPOLL
    struct timespec ts;
    int64_t secs;

    if (timeout < 0) {
        return ppoll((struct pollfd *)fds, nfds, NULL, NULL);
    }
    /* Clamp huge timeouts: a negative tv_sec would turn into a busy loop. */
    secs = MIN(timeout / NANOSECONDS_PER_SECOND, (int64_t)INT32_MAX);
    ts.tv_sec = secs;
    ts.tv_nsec = timeout % NANOSECONDS_PER_SECOND;
    return ppoll((struct pollfd *)fds, nfds, &ts, NULL);
#else
    return g_poll(fds, nfds, qemu_timeout_ns_to_ms(timeout));
#endif
}
