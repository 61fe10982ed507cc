/*
 * qemuutil: clocks, timer lists and timers (QEMU 10.0's qemu/timer.h).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * Four clocks (real, virtual, host wall clock, virtual real-time) each own
 * any number of timer lists; a timer list belongs to one clock and is
 * normally one member of a QEMUTimerListGroup, the set of four lists an
 * event loop (the main loop, or an AioContext) services.  A QEMUTimer is
 * bound to one list for its whole life and is armed with an absolute expiry
 * time on that list's clock.
 *
 * Unlike QEMU 10.0, whose lists are sorted linked lists, qemuutil keeps the
 * armed timers of a list in a binary min-heap keyed on (expiry, arming
 * order): arming and disarming cost O(log n), the next deadline O(1).  The
 * observable behaviour is QEMU's: timers with the same expiry fire in the
 * order they were armed, and arming a timer notifies its list only when the
 * timer became the earliest one.
 *
 * Threading contract, unless a function says otherwise:
 *  - timer_mod*(), timer_del(), timer_pending(), timer_expire_time_ns() and
 *    the deadline queries are thread-safe (each list has its own mutex);
 *  - running a list's timers (timerlist_run_timers() and the functions that
 *    call it) is done by the one thread that services the list, its "home
 *    thread";
 *  - creating and freeing lists and groups, init_clocks() and
 *    qemu_clock_enable() are meant for the thread that owns the event loop
 *    (QEMU calls them under the BQL); they are internally locked, but a list
 *    must not be freed while another thread still uses it.
 * No internal lock is held while a timer callback or a list's notify
 * callback runs, so callbacks may arm, disarm and free timers (including
 * their own) freely.
 *
 * Ownership: the caller owns every QEMUTimer (timer_new*() allocates, and
 * timer_free() frees) and every QEMUTimerListGroup; the library owns the
 * QEMUTimerList objects it returns until timerlist_free().
 */
#ifndef QEMU_TIMER_H
#define QEMU_TIMER_H

/* QEMU code relies on these arriving through timer.h; keep them. */
#include "qemu/bitops.h"
#include "qemu/notify.h"
#include "qemu/host-utils.h"

/* Scale factors: the unit of a timer's expiry, in nanoseconds. */
#define SCALE_NS 1              /* nanoseconds */
#define SCALE_US 1000           /* microseconds */
#define SCALE_MS 1000000        /* milliseconds */

/* One second, in the nanoseconds every clock counts in. */
#define NANOSECONDS_PER_SECOND 1000000000LL

/**
 * QEMUClockType:
 * @QEMU_CLOCK_REALTIME: host monotonic time.  Keeps running while the
 *   virtual machine is stopped; for work that does not change guest state.
 * @QEMU_CLOCK_VIRTUAL: guest time.  Only advances while the guest runs; in
 *   the standalone library it is a settable counter that moves only when
 *   set (cpus_set_virtual_clock(), qemu_clock_advance_virtual_time()), so
 *   tests step it deterministically.  Disabled until enabled explicitly.
 * @QEMU_CLOCK_HOST: host wall-clock time; follows date changes and NTP.
 * @QEMU_CLOCK_VIRTUAL_RT: outside icount mode the same as REALTIME-based
 *   CPU time; with icount it measures time while the vCPUs are idle.
 * @QEMU_CLOCK_MAX: number of clocks.
 */
typedef enum {
    /* The values are ABI (indexes of QEMUTimerListGroup.tl): 0, 1, 2, 3. */
    QEMU_CLOCK_REALTIME,        /* host monotonic */
    QEMU_CLOCK_VIRTUAL,         /* guest time */
    QEMU_CLOCK_HOST,            /* host wall clock */
    QEMU_CLOCK_VIRTUAL_RT,      /* CPU time (icount warp) */
    QEMU_CLOCK_MAX              /* not a clock: how many there are */
} QEMUClockType;

/*
 * Timer attributes, one bit each, fixed when the timer is initialised.
 *
 * QEMU_TIMER_ATTR_EXTERNAL marks a (virtual-clock) timer that drives a
 * subsystem outside the guest core; record/replay does not log it, and
 * deadline queries can leave such timers out (qemu_clock_deadline_ns_all()).
 * QEMU_TIMER_ATTR_ALL is the mask that admits every attribute.
 */
#define QEMU_TIMER_ATTR_EXTERNAL ((int)BIT(0))
#define QEMU_TIMER_ATTR_ALL      0xffffffff

/* Private to util/qemu-timer.c: users only ever hold pointers. */
typedef struct QEMUTimerList QEMUTimerList;

/* Called when a timer expires, with the opaque given at initialisation. */
typedef void QEMUTimerCB(void *opaque);
/*
 * Called when a list's earliest deadline moved earlier, so that whoever
 * sleeps waiting for it (an event loop) wakes up and recomputes its timeout.
 */
typedef void QEMUTimerListNotifyCB(void *opaque, QEMUClockType type);

/**
 * QEMUTimerListGroup: one timer list per clock, serviced together.
 * @tl: the list of each clock, indexed by QEMUClockType.
 *
 * Embedded by value in its owner (AioContext has one; the main loop's is
 * main_loop_tlg).  Filled in by timerlistgroup_init().
 */
struct QEMUTimerListGroup {
    QEMUTimerList *tl[QEMU_CLOCK_MAX];
};

/**
 * QEMUTimer: one timer.  Storage belongs to the caller.
 * @expire_time: absolute expiry in nanoseconds on the list's clock, or -1
 *   when the timer is not armed.  Written under the list's mutex; may be
 *   read without it (atomically).  QEMU device code reads it directly.
 * @timer_list: the list the timer belongs to (set by timer_init_full(),
 *   cleared by timer_deinit()).
 * @cb: the expiry callback.
 * @opaque: its argument.
 * @next: kept because QEMU code names it; qemuutil's lists do not link
 *   timers through it, and it is always NULL.
 * @attributes: QEMU_TIMER_ATTR_* bits.
 * @scale: unit, in nanoseconds, of the expiry given to timer_mod() and
 *   timer_mod_anticipate().
 * @heap_index: private: position in the list's heap while armed; protected
 *   by the list's mutex.
 */
struct QEMUTimer {
    QEMUTimerList *timer_list;  /* fixed by timer_init_full() */
    int64_t expire_time;        /* ns, -1 = not armed */
    size_t heap_index;          /* private */
    int scale;                  /* ns per unit of timer_mod() */
    int attributes;             /* QEMU_TIMER_ATTR_* */
    QEMUTimerCB *cb;
    void *opaque;
    QEMUTimer *next;            /* unused, always NULL */
};

/* The timer lists of the main loop (one per clock), set up by init_clocks(). */
extern QEMUTimerListGroup main_loop_tlg;

/* ------------------------------------------------------------------ */
/* Host clocks                                                        */
/* ------------------------------------------------------------------ */

/**
 * get_max_clock_jump: the largest host-clock jump devices should ride
 * through without treating it as a time change (one minute).
 */
static inline int64_t get_max_clock_jump(void)
{
    return 60 * NANOSECONDS_PER_SECOND;
}

/**
 * get_clock_realtime: host wall-clock time in nanoseconds.
 */
static inline int64_t get_clock_realtime(void)
{
    struct timeval now;

    gettimeofday(&now, NULL);
    return now.tv_sec * NANOSECONDS_PER_SECOND + now.tv_usec * 1000LL;
}

/* Value of get_clock() when the program started (util/qemu-timer-common.c). */
extern int64_t clock_start;
/* Non-zero if CLOCK_MONOTONIC works (util/qemu-timer-common.c). */
extern int use_rt_clock;

/**
 * get_clock: host monotonic time in nanoseconds.
 *
 * Falls back to the wall clock where CLOCK_MONOTONIC is missing.  Used by
 * tracing, so it must stay free of trace points itself.
 */
static inline int64_t get_clock(void)
{
    struct timespec now;

    if (!use_rt_clock) {
        return get_clock_realtime();
    }
    clock_gettime(CLOCK_MONOTONIC, &now);
    return now.tv_sec * NANOSECONDS_PER_SECOND + now.tv_nsec;
}

/**
 * cpu_get_host_ticks: a fast, monotonically increasing host cycle counter.
 *
 * The unit depends on the host (TSC cycles on x86, time base on POWER);
 * hosts without a cheap user-mode counter use get_clock().
 */
static inline int64_t cpu_get_host_ticks(void)
{
#if defined(__x86_64__) || defined(__i386__)
    return (int64_t)__builtin_ia32_rdtsc();
#elif defined(_ARCH_PPC)
    return (int64_t)__builtin_ppc_get_timebase();
#elif defined(__s390__)
    uint64_t tod;

    /* STORE CLOCK writes the TOD clock to memory; it sets the cc. */
    asm volatile("stck %0" : "=Q"(tod) : : "cc");
    return (int64_t)tod;
#elif defined(__riscv) && __riscv_xlen == 64
    uint64_t t;

    asm volatile("rdtime %0" : "=r"(t));
    return (int64_t)t;
#elif defined(__loongarch64)
    uint64_t t;

    asm volatile("rdtime.d %0, $zero" : "=r"(t));
    return (int64_t)t;
#else
    return get_clock();
#endif
}

/**
 * init_clocks: set up the clocks and main_loop_tlg.
 * @notify_cb: notify callback of the main loop's lists (NULL for
 *   qemu_notify_event()).
 *
 * Enables every clock but QEMU_CLOCK_VIRTUAL, which stays disabled until
 * qemu_clock_enable() turns it on (the virtual machine starts).  Also asks
 * the kernel for the finest timer slack.  Call once, before any timer is
 * used; a second call aborts.
 */
void init_clocks(QEMUTimerListNotifyCB *notify_cb);

/* ------------------------------------------------------------------ */
/* Clocks                                                             */
/* ------------------------------------------------------------------ */

/**
 * qemu_clock_get_ns: read a clock.
 * @type: the clock.
 *
 * Thread-safe.
 *
 * Returns: the clock's current value in nanoseconds.
 */
int64_t qemu_clock_get_ns(QEMUClockType type);

/**
 * qemu_clock_get_us: read a clock in microseconds (rounded down).
 * @type: the clock.
 */
static inline int64_t qemu_clock_get_us(QEMUClockType type)
{
    int64_t ns = qemu_clock_get_ns(type);

    return ns / SCALE_US;
}

/**
 * qemu_clock_get_ms: read a clock in milliseconds (rounded down).
 * @type: the clock.
 */
static inline int64_t qemu_clock_get_ms(QEMUClockType type)
{
    int64_t ns = qemu_clock_get_ns(type);

    return ns / SCALE_MS;
}

/**
 * qemu_clock_enable: start or stop running the timers of a clock.
 * @type: the clock.
 * @enabled: the new state.
 *
 * A disabled clock keeps its timers armed but runs none of them and reports
 * no deadline.  Enabling notifies every list of the clock.  Disabling
 * returns only after every timer callback of the clock that was already
 * running in some thread has returned; so it must not be called from a
 * callback of a timer on the same clock (that would wait for itself).
 */
void qemu_clock_enable(QEMUClockType type, bool enabled);

/**
 * qemu_clock_use_for_deadline: whether an event loop should let timers of
 * @type bound its sleep.
 * @type: the clock.
 *
 * False only for the virtual clock in icount mode, where the vCPU threads
 * advance that clock and account for its deadline themselves.
 */
bool qemu_clock_use_for_deadline(QEMUClockType type);

/**
 * qemu_clock_notify: call the notify callback of every list of @type.
 * @type: the clock.
 */
void qemu_clock_notify(QEMUClockType type);

/**
 * qemu_clock_expired: whether the earliest timer of the main loop's list of
 * @type is due.
 * @type: the clock.
 */
bool qemu_clock_expired(QEMUClockType type);

/**
 * qemu_clock_has_timers: whether the main loop's list of @type has an
 * armed timer.
 * @type: the clock.
 */
bool qemu_clock_has_timers(QEMUClockType type);

/**
 * qemu_clock_deadline_ns_all: nanoseconds until the earliest timer of any
 * list of the clock expires.
 * @type: the clock.
 * @attr_mask: only timers whose attributes are all within @attr_mask count
 *   (QEMU_TIMER_ATTR_ALL counts every timer).
 *
 * Looks at every list of the clock, the main loop's and those of every
 * AioContext.  Thread-safe.
 *
 * Returns: -1 if no such timer is armed or the clock is disabled, 0 if one
 * is already due, else the time left.
 */
int64_t qemu_clock_deadline_ns_all(QEMUClockType type, int attr_mask);

/**
 * qemu_clock_run_all_timers: qemu_clock_run_timers() for every clock used
 * for deadlines.
 *
 * Returns: true if at least one callback ran.
 */
bool qemu_clock_run_all_timers(void);

/**
 * qemu_clock_run_timers: run the due timers of the main loop's list of
 * @type.
 * @type: the clock.
 *
 * Returns: true if at least one callback ran.
 */
bool qemu_clock_run_timers(QEMUClockType type);

/**
 * qemu_clock_advance_virtual_time: move the virtual clock forward to
 * @target_ns, firing timers on the way.
 * @target_ns: the absolute virtual time to reach.
 *
 * The clock steps from one deadline to the next of the main loop's
 * virtual-clock list and the main AioContext's (QEMU's rule), so each of
 * their timers observes the virtual clock equal to its expiry time when its
 * callback runs.  The clock never moves backwards.  Used by qtest's
 * clock_step/clock_set.  Called from the thread that owns the main loop;
 * those callbacks run in the calling thread.  Timers of other timer list
 * groups (IOThread contexts) are only notified at the end and fire from
 * their own loop.
 *
 * Returns: the virtual clock afterwards.
 */
int64_t qemu_clock_advance_virtual_time(int64_t target_ns);

/* ------------------------------------------------------------------ */
/* Timeouts and polling                                               */
/* ------------------------------------------------------------------ */

/**
 * qemu_soonest_timeout: the earlier of two timeouts.
 * @timeout1: nanoseconds, -1 meaning infinite.
 * @timeout2: likewise.
 *
 * Returns: the smaller, where -1 loses against every other value.
 */
static inline int64_t qemu_soonest_timeout(int64_t timeout1, int64_t timeout2)
{
    /* As unsigned numbers, -1 is larger than any real timeout. */
    uint64_t a = timeout1, b = timeout2;

    return a <= b ? timeout1 : timeout2;
}

/**
 * qemu_timeout_ns_to_ms: convert a poll timeout to milliseconds.
 * @ns: nanoseconds, or -1 for "forever".
 *
 * Rounds up, so a poll never returns before the deadline and spins;
 * saturates at INT32_MAX.
 *
 * Returns: -1 for a negative @ns, 0 for 0, else the rounded-up value.
 */
int qemu_timeout_ns_to_ms(int64_t ns);

/**
 * qemu_poll_ns: g_poll() with a nanosecond timeout.
 * @fds: the descriptors.
 * @nfds: how many.
 * @timeout: nanoseconds, or a negative value to wait forever.
 *
 * Uses ppoll() where available.  Like g_poll() it returns -1 with errno
 * set on failure, EINTR included: the caller decides whether to retry.
 *
 * Returns: the number of descriptors with events, 0 on timeout, -1 on error.
 */
int qemu_poll_ns(GPollFD *fds, guint nfds, int64_t timeout);

/* ------------------------------------------------------------------ */
/* Timer lists                                                        */
/* ------------------------------------------------------------------ */

/**
 * timerlist_new: create a timer list on a clock.
 * @type: the clock.
 * @cb: called (from the thread that arms the timer) when the list's
 *   earliest deadline moves earlier; NULL means qemu_notify_event().
 * @opaque: first argument of @cb.
 *
 * Returns: the new list, to be released with timerlist_free().
 */
QEMUTimerList *timerlist_new(QEMUClockType type,
                             QEMUTimerListNotifyCB *cb, void *opaque);

/**
 * timerlist_notify: call the list's notify callback (qemu_notify_event()
 * if it has none).
 * @timer_list: the list.  Thread-safe.
 */
void timerlist_notify(QEMUTimerList *timer_list);

/**
 * timerlist_has_timers: whether @timer_list has an armed timer.
 * @timer_list: the list.  Thread-safe.
 */
bool timerlist_has_timers(QEMUTimerList *timer_list);

/**
 * timerlist_deadline_ns: nanoseconds until the earliest timer of the list
 * expires.
 * @timer_list: the list.  Thread-safe.
 *
 * Returns: -1 if nothing is armed or the clock is disabled, 0 if a timer is
 * due, else the time left.
 */
int64_t timerlist_deadline_ns(QEMUTimerList *timer_list);

/**
 * timerlist_expired: whether the earliest timer of @timer_list is due.
 * @timer_list: the list.  Thread-safe.
 */
bool timerlist_expired(QEMUTimerList *timer_list);

/**
 * timerlist_run_timers: run the callbacks of the due timers of a list.
 * @timer_list: the list.  Home thread only.
 *
 * Each due timer is disarmed just before its callback runs, in expiry
 * order (arming order among equal expiries).  No lock is held during a
 * callback; a callback may re-arm or delete itself or any other timer.
 * Timers that become due while the list runs, because a callback armed
 * them in the past, run in the same call.  Nothing runs while the clock is
 * disabled.
 *
 * Returns: true if at least one callback ran.
 */
bool timerlist_run_timers(QEMUTimerList *timer_list);

/**
 * timerlist_free: release a timer list.
 * @timer_list: a list with no armed timers (aborts otherwise).
 */
void timerlist_free(QEMUTimerList *timer_list);

/* ------------------------------------------------------------------ */
/* Timer list groups                                                  */
/* ------------------------------------------------------------------ */

/**
 * timerlistgroup_init: create one list per clock in @tlg.
 * @tlg: the group, owned by the caller.
 * @cb: notify callback for every list (see timerlist_new()).
 * @opaque: first argument of @cb.
 */
void timerlistgroup_init(QEMUTimerListGroup *tlg,
                         QEMUTimerListNotifyCB *cb, void *opaque);

/**
 * timerlistgroup_deadline_ns: the soonest deadline over the lists of @tlg
 * whose clock is used for deadlines.
 * @tlg: the group.  Thread-safe.
 *
 * Returns: -1 for none, else nanoseconds (0 if a timer is due).
 */
int64_t timerlistgroup_deadline_ns(QEMUTimerListGroup *tlg);

/**
 * timerlistgroup_run_timers: timerlist_run_timers() on each list of @tlg.
 * @tlg: the group.  Home thread only.
 *
 * Returns: true if at least one callback ran.
 */
bool timerlistgroup_run_timers(QEMUTimerListGroup *tlg);

/**
 * timerlistgroup_deinit: free the lists of @tlg (all must be empty).
 * @tlg: the group.
 */
void timerlistgroup_deinit(QEMUTimerListGroup *tlg);

/* ------------------------------------------------------------------ */
/* Setting up and tearing down a timer                                */
/* ------------------------------------------------------------------ */

/**
 * timer_init_full: initialise a timer, unarmed.
 * @ts: the timer, storage owned by the caller.
 * @timer_list_group: the group whose list of @type the timer joins; NULL
 *   means main_loop_tlg (so init_clocks() must have run).
 * @type: the clock.
 * @scale: unit of the expiry passed to timer_mod(), in nanoseconds.
 * @attributes: QEMU_TIMER_ATTR_* bits.
 * @cb: expiry callback.
 * @opaque: its argument.
 */
void timer_init_full(QEMUTimer *ts, QEMUTimerListGroup *timer_list_group,
                     QEMUClockType type, int scale, int attributes,
                     QEMUTimerCB *cb, void *opaque);

/**
 * timer_new_full: allocate and initialise a timer (see timer_init_full()).
 * @timer_list_group: the group, or NULL for main_loop_tlg.
 * @type: the clock.
 * @scale: unit of the expiry, in nanoseconds.
 * @attributes: QEMU_TIMER_ATTR_* bits.
 * @cb: expiry callback.
 * @opaque: its argument.
 *
 * Returns: a timer owned by the caller, released with timer_free().
 */
static inline QEMUTimer *
timer_new_full(QEMUTimerListGroup *timer_list_group, QEMUClockType type,
               int scale, int attributes, QEMUTimerCB *cb, void *opaque)
{
    QEMUTimer *fresh = g_new0(QEMUTimer, 1);

    timer_init_full(fresh, timer_list_group, type, scale, attributes, cb,
                    opaque);
    return fresh;
}

/**
 * timer_init: initialise a main-loop timer with no attributes.
 * @ts: the timer.
 * @type: the clock.
 * @scale: unit of the expiry, in nanoseconds.
 * @cb: expiry callback.
 * @opaque: its argument.
 */
static inline void timer_init(QEMUTimer *ts, QEMUClockType type,
                              int scale, QEMUTimerCB *cb, void *opaque)
{
    /* No group means main_loop_tlg; no attributes. */
    timer_init_full(ts, NULL, type, scale, 0, cb, opaque);
}

/** timer_new: allocate a main-loop timer with no attributes. */
static inline QEMUTimer *timer_new(QEMUClockType type, int scale,
                                   QEMUTimerCB *cb, void *opaque)
{
    return timer_new_full(NULL, type, scale, 0, cb, opaque); /* main loop */
}

/*
 * Per-unit shorthands, generated for each scale:
 *
 * timer_new_ns(), timer_new_us(), timer_new_ms(): timer_new() with
 *   nanosecond, microsecond or millisecond expiries.
 * timer_init_ns(), timer_init_us(), timer_init_ms(): the same for
 *   timer_init().
 */
#define QEMU_TIMER_UNIT_HELPERS_(unit, scale_ns)                          \
    static inline QEMUTimer *timer_new_##unit(QEMUClockType clock,        \
                                              QEMUTimerCB *fn, void *arg) \
    {                                                                     \
        return timer_new(clock, scale_ns, fn, arg);                       \
    }                                                                     \
    static inline void timer_init_##unit(QEMUTimer *t, QEMUClockType clock,\
                                         QEMUTimerCB *fn, void *arg)      \
    {                                                                     \
        timer_init(t, clock, scale_ns, fn, arg);                          \
    }
QEMU_TIMER_UNIT_HELPERS_(ms, SCALE_MS)
QEMU_TIMER_UNIT_HELPERS_(us, SCALE_US)
QEMU_TIMER_UNIT_HELPERS_(ns, SCALE_NS)

/**
 * timer_del: disarm a timer.
 * @ts: the timer.  No-op if it is not armed or not attached to a list.
 *
 * Thread-safe.  If the callback is running in another thread at that
 * moment, it is not waited for.
 */
void timer_del(QEMUTimer *ts);

/**
 * timer_deinit: detach an unarmed timer from its list.
 * @ts: the timer; aborts if it is armed.
 */
void timer_deinit(QEMUTimer *ts);

/**
 * timer_free: disarm and free a timer made by timer_new*().
 * @ts: the timer, or NULL.
 */
static inline void timer_free(QEMUTimer *ts)
{
    if (!ts) {
        return;
    }
    timer_del(ts);
    g_free(ts);
}

/* ------------------------------------------------------------------ */
/* Arming and inspecting a timer                                      */
/* ------------------------------------------------------------------ */

/**
 * timer_mod: timer_mod_ns() with the expiry in the timer's scale.
 * @ts: an initialised timer.
 * @expire_timer: absolute time in units of the timer's scale.
 */
void timer_mod(QEMUTimer *ts, int64_t expire_timer);

/**
 * timer_mod_ns: (re)arm a timer to expire at an absolute time.
 * @ts: an initialised timer.
 * @expire_time: absolute time in nanoseconds on the timer's clock; values
 *   below 0 are treated as 0.
 *
 * An armed timer is moved; it then ranks after the timers already armed
 * for the same time.  If the timer becomes the earliest of its list, the
 * list's notify callback is called (after the list's mutex is released).
 * Thread-safe.
 */
void timer_mod_ns(QEMUTimer *ts, int64_t expire_time);

/**
 * timer_mod_anticipate: timer_mod_anticipate_ns() in the timer's scale.
 * @ts: an initialised timer.
 * @expire_time: absolute time in units of the timer's scale.
 */
void timer_mod_anticipate(QEMUTimer *ts, int64_t expire_time);

/**
 * timer_mod_anticipate_ns: like timer_mod_ns(), but never postpones.
 * @ts: an initialised timer.
 * @expire_time: absolute time in nanoseconds.
 *
 * Arms an unarmed timer; moves an armed one only if @expire_time is
 * earlier than its current expiry.  Thread-safe.
 */
void timer_mod_anticipate_ns(QEMUTimer *ts, int64_t expire_time);

/**
 * timer_expire_time_ns: the expiry of an armed timer.
 * @ts: the timer.  Thread-safe.
 *
 * Returns: the expiry in nanoseconds, or -1 (as uint64_t) if not armed.
 */
uint64_t timer_expire_time_ns(QEMUTimer *ts);

/**
 * timer_pending: whether @ts is armed.
 * @ts: the timer.  Thread-safe.
 */
bool timer_pending(QEMUTimer *ts);

/**
 * timer_expired: whether a timer's expiry is at or before a given time.
 * @timer_head: the timer (may be NULL: then false).
 * @current_time: the time, in the timer's scale.
 *
 * As in QEMU, an unarmed timer (expiry -1) counts as expired.
 */
bool timer_expired(QEMUTimer *timer_head, int64_t current_time);

/**
 * timer_put: save a timer's state (expiry, -1 if unarmed) to a stream.
 * @f: the stream.
 * @ts: the timer.
 *
 * Implemented by QEMU's migration code, not by this library.
 */
void timer_put(QEMUFile *f, QEMUTimer *ts);

/**
 * timer_get: load a timer's state from a migration stream.
 * @f: the stream.
 * @ts: the timer.
 *
 * Implemented by QEMU's migration code, not by this library.
 */
void timer_get(QEMUFile *f, QEMUTimer *ts);

#endif /* QEMU_TIMER_H */
