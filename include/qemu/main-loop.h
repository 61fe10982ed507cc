/*
 * qemuutil: the main loop, its fd handlers and the Big QEMU Lock
 * (QEMU 10.0's include/qemu/main-loop.h).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * The main loop is one GLib iteration over GLib's default GMainContext.
 * Two AioContexts are attached to it as GSources: the main AioContext
 * (qemu_get_aio_context(), where BHs, timers and block-layer fds live and
 * which aio_poll() can also run on its own) and the iohandler context
 * (qemu_set_fd_handler(), serviced only by the main loop, never by
 * aio_poll(qemu_get_aio_context())).  Every other GSource attached to the
 * default GMainContext (g_idle_add(), g_timeout_add(), g_unix_fd_add()...)
 * is polled in the same ppoll() call.  docs/main-loop.rst walks through one
 * main_loop_wait() iteration step by step.
 *
 * Threading default for this header: functions run in the main thread (the
 * one that called qemu_init_main_loop()) with the BQL held, unless their
 * comment says "thread-safe".
 *
 * Builds.  In a QEMU tree this header replaces QEMU's own and declares the
 * QOM "main-loop" object type as well.  The standalone qemuutil build has
 * no QOM; its config-host.h defines CONFIG_QEMUUTIL_STANDALONE (QEMU's
 * configure never does), which leaves the QOM part out.  The BQL functions
 * are declared here in both builds but defined outside util/main-loop.c:
 * by system/cpus.c or stubs/iothread-lock.c in QEMU, by util/bql.c in the
 * standalone library.
 */
#ifndef QEMU_MAIN_LOOP_H
#define QEMU_MAIN_LOOP_H

#include "block/aio.h"
#ifndef CONFIG_QEMUUTIL_STANDALONE
#include "qom/object.h"
#include "system/event-loop-base.h"
#endif

/* The signal QEMU uses to kick vCPU threads; the main loop keeps it out. */
#define SIG_IPI SIGUSR1

/* Name of the QOM type that tunes the main AioContext (-object main-loop). */
#define TYPE_MAIN_LOOP  "main-loop"

#ifndef CONFIG_QEMUUTIL_STANDALONE
OBJECT_DECLARE_TYPE(MainLoop, MainLoopClass, MAIN_LOOP)

/**
 * MainLoop: the "main-loop" QOM object.
 * @parent_obj: carries aio-max-batch and thread-pool-min/max, which are
 *   applied to the main AioContext.
 */
struct MainLoop {
    EventLoopBase parent_obj;
};
#endif

/* ---------------------------------------------------------------------- */
/* Callback types                                                         */
/* ---------------------------------------------------------------------- */

/* Character-device style input callbacks (chardev, net). */
typedef void IOReadHandler(void *opaque, const uint8_t *buf, int size);

/**
 * IOCanReadHandler:
 * @opaque: the handler's data
 *
 * Returns: how many bytes the matching #IOReadHandler accepts now; 0 means
 * "do not read".  If the answer grows outside the main loop, wake the loop
 * (qemu_notify_event() or aio_notify()) so it asks again.
 */
typedef int IOCanReadHandler(void *opaque);

/* MainLoopPoll.state: which side of the poll a notifier is called on. */
enum {
    MAIN_LOOP_POLL_FILL = 0,    /* before: add fds, shorten the timeout */
    MAIN_LOOP_POLL_ERR = 1,     /* after: the poll failed */
    MAIN_LOOP_POLL_OK = 2,      /* after: revents of the added fds are valid */
};

/**
 * MainLoopPoll: what main_loop_wait() passes to its poll notifiers.
 * @state: one of MAIN_LOOP_POLL_FILL, _ERR, _OK
 * @timeout: poll timeout in ms; UINT32_MAX means "no limit".  A FILL
 *   notifier may lower it (never raise it).
 * @pollfds: GArray of GPollFD that goes to the poll.  FILL notifiers
 *   append their fds and remember the index; OK notifiers read revents
 *   there.
 */
typedef struct MainLoopPoll {
    GArray *pollfds;
    uint32_t timeout;
    int state;
} MainLoopPoll;

/* ---------------------------------------------------------------------- */
/* Running the loop                                                       */
/* ---------------------------------------------------------------------- */

/**
 * qemu_init_main_loop:
 * @errp: error object
 *
 * Prepare the process for main_loop_wait(): start the clocks with the main
 * loop's timer notify callback, block SIG_IPI, SIGIO, SIGALRM and SIGBUS
 * in the calling thread and deliver the last three through a signalfd
 * serviced by the main loop (their installed handlers are then called from
 * the loop, not asynchronously), create the main AioContext and make it
 * the caller's current context, and attach the main and iohandler
 * contexts' GSources to GLib's default GMainContext.
 *
 * Call it once, from the thread that will run the main loop, before
 * creating other threads (they inherit the signal mask).
 *
 * Standalone build: the calling thread also takes the BQL and keeps it
 * (apart from main_loop_wait()'s poll), as a QEMU system emulator's main
 * thread does.
 *
 * Returns: 0, or a negative errno value with @errp set.
 */
int qemu_init_main_loop(Error **errp);

/**
 * qemu_get_aio_context:
 *
 * Returns: the main loop's AioContext, or NULL before
 * qemu_init_main_loop().  Thread-safe.
 */
AioContext *qemu_get_aio_context(void);

/**
 * main_loop_wait:
 * @nonblocking: non-zero to poll without sleeping
 *
 * Run one main-loop iteration: collect the fds and timeouts of the poll
 * notifiers, of every GSource of the default GMainContext and of the main
 * loop's timers, wait for the first of them in a single poll with the BQL
 * released, then dispatch the ready GSources (BHs, fd handlers, AioContext
 * timers, GLib sources) and run the expired main-loop timers of every
 * clock, with the BQL held.  A program's main loop is usually
 * `while (!done) { main_loop_wait(false); }`.
 *
 * To run a whole program as a coroutine, enter it from a BH scheduled
 * before the first iteration, so that the loop runs whenever it yields.
 *
 * Main thread only; the caller must hold the BQL (qemu_init_main_loop()
 * took it for the standalone build).
 */
void main_loop_wait(int nonblocking);

/**
 * main_loop_poll_add_notifier:
 * @notify: called with a #MainLoopPoll before and after every poll
 *
 * The notifier is called in the main thread with the BQL held, twice per
 * main_loop_wait(): with MAIN_LOOP_POLL_FILL, then with _OK or _ERR.
 */
void main_loop_poll_add_notifier(Notifier *notify);

/**
 * main_loop_poll_remove_notifier:
 * @notify: a notifier added with main_loop_poll_add_notifier()
 */
void main_loop_poll_remove_notifier(Notifier *notify);

/**
 * qemu_notify_event:
 *
 * Wake the main loop: a main_loop_wait() blocked in its poll returns and
 * the next one recomputes its fd sets and timeouts.  Timers, BHs and fd
 * handler changes already do this, so it is only needed when the loop's
 * exit condition changes behind its back.  Does nothing before
 * qemu_init_main_loop().  Thread-safe and async-signal-safe.
 */
void qemu_notify_event(void);

/* ---------------------------------------------------------------------- */
/* File descriptors watched by the main loop                              */
/* ---------------------------------------------------------------------- */

/**
 * iohandler_get_aio_context:
 *
 * Returns: the iohandler AioContext, created on first use.  It runs in the
 * main thread (its home is the main AioContext's) but only through the main
 * loop.  Thread-safe.
 */
AioContext *iohandler_get_aio_context(void);

/**
 * iohandler_get_g_source:
 *
 * Returns: a new reference to the iohandler context's GSource (created on
 * first use).  Thread-safe.
 */
GSource *iohandler_get_g_source(void);

/**
 * qemu_set_fd_handler:
 * @fd: the file descriptor to watch
 * @fd_read: called while @fd is readable, or NULL
 * @fd_write: called while @fd is writable, or NULL
 * @opaque: passed to both callbacks
 *
 * Watch @fd from the main loop (on the iohandler context).  Both callbacks
 * are level-triggered: they are called again on every iteration until the
 * condition goes away.  Passing NULL for both removes the handler.  The
 * handlers run only from main_loop_wait() (or GLib dispatching the
 * iohandler GSource), never from aio_poll(qemu_get_aio_context()).
 */
void qemu_set_fd_handler(int fd, IOHandler *fd_read,
                         IOHandler *fd_write, void *opaque);

/**
 * event_notifier_set_handler:
 * @e: the notifier to watch
 * @cb: called with @e while it is set, or NULL to stop watching
 *
 * Like qemu_set_fd_handler() for an #EventNotifier; the handler usually
 * starts with event_notifier_test_and_clear().
 */
void event_notifier_set_handler(EventNotifier *e, EventNotifierHandler *cb);

/* ---------------------------------------------------------------------- */
/* Bottom halves of the main AioContext                                   */
/* ---------------------------------------------------------------------- */

/**
 * qemu_bh_new_full:
 * @cb: the BH callback
 * @opaque: passed to @cb
 * @name: name for debugging
 * @reentrancy_guard: device re-entrancy guard, or NULL
 *
 * Returns: a new BH of the main AioContext; free it with qemu_bh_delete().
 * qemu_init_main_loop() must have run.
 */
QEMUBH *qemu_bh_new_full(QEMUBHFunc *cb, void *opaque,
                         const char *name,
                         MemReentrancyGuard *reentrancy_guard);

/*
 * qemu_bh_new() names the BH after its callback; the _guarded variant adds
 * a device's re-entrancy guard.
 */
#define qemu_bh_new_guarded(cb, opaque, guard) \
    qemu_bh_new_full((cb), (opaque), (stringify(cb)), guard)
#define qemu_bh_new(cb, opaque) qemu_bh_new_guarded(cb, opaque, NULL)

/**
 * qemu_bh_schedule_idle:
 * @bh: a bottom half
 *
 * Schedule @bh as an idle BH: it runs within about 10 ms even if nothing
 * else wakes the loop, and running it is not progress for aio_poll().
 * Thread-safe.
 */
void qemu_bh_schedule_idle(QEMUBH *bh);

/* ---------------------------------------------------------------------- */
/* The Big QEMU Lock                                                      */
/* ---------------------------------------------------------------------- */

/**
 * bql_locked:
 *
 * Returns: whether the calling thread holds the Big QEMU Lock.  In QEMU
 * tools (stubs) this is always false; in the standalone library it is a
 * real per-thread answer.  Block-layer code should ask
 * qemu_in_main_thread() instead.  Thread-safe.
 */
bool bql_locked(void);

/**
 * bql_lock:
 *
 * Take the Big QEMU Lock, which serialises everything that runs under the
 * main loop (BHs of the main context, fd handlers, main-loop timers,
 * GSource callbacks).  The main loop thread holds it except while
 * main_loop_wait() sleeps in poll; other threads take it before touching
 * main-loop state.  Not recursive: taking it twice in one thread aborts.
 * @file and @line of bql_lock_impl() identify the caller for lock
 * profiling.  A no-op in QEMU tools.
 */
void bql_lock_impl(const char *file, int line);
#define bql_lock() bql_lock_impl(__FILE__, __LINE__)

/**
 * bql_unlock:
 *
 * Release the Big QEMU Lock; the caller must hold it.  Release it as soon
 * as possible: while it is held the main loop cannot run callbacks.
 */
void bql_unlock(void);

/**
 * qemu_cond_wait_bql:
 * @cond: the condition variable
 *
 * Wait on @cond, releasing the BQL (which the caller holds) while asleep.
 */
void qemu_cond_wait_bql(QemuCond *cond);

/**
 * qemu_cond_timedwait_bql:
 * @cond: the condition variable
 * @ms: the longest wait, in milliseconds
 *
 * Like qemu_cond_wait_bql(), giving up after @ms.
 */
void qemu_cond_timedwait_bql(QemuCond *cond, int ms);

/**
 * bql_block_unlock:
 * @increase: true to forbid, false to allow again
 *
 * Nestable: while the count is non-zero, bql_unlock() aborts (Rust code
 * relies on the BQL staying held during a borrow).  Called with the BQL
 * held.
 */
void bql_block_unlock(bool increase);

/**
 * rust_bql_mock_lock:
 *
 * For QEMU's Rust doctests only: make bql_locked() true from here on.
 * The standalone build takes the real BQL for the calling thread.
 */
void rust_bql_mock_lock(void);

/*
 * BQL_LOCK_GUARD(): hold the BQL until the end of the enclosing scope, if
 * the thread does not hold it already (then the guard does nothing).
 * The "pointer" only says whether the guard took the lock: g_autoptr runs
 * the cleanup for non-NULL values only.
 */
typedef struct BQLLockAuto BQLLockAuto;

static inline BQLLockAuto *bql_auto_lock(const char *file, int line)
{
    BQLLockAuto *taken = NULL;

    if (!bql_locked()) {
        bql_lock_impl(file, line);
        taken = (BQLLockAuto *)(uintptr_t)1;
    }
    return taken;
}

static inline void bql_auto_unlock(BQLLockAuto *taken)
{
    (void)taken;
    bql_unlock();
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC(BQLLockAuto, bql_auto_unlock)

/* The guard variable is never read: only its cleanup matters. */
#define BQL_LOCK_GUARD()                                                  \
    g_autoptr(BQLLockAuto) bql_lock_guard_ __attribute__((unused)) =      \
        bql_auto_lock(__FILE__, __LINE__)

/* ---------------------------------------------------------------------- */
/* Block-layer API annotations                                            */
/* ---------------------------------------------------------------------- */

/**
 * qemu_in_main_thread:
 *
 * Returns: whether the caller may touch the block layer's global state:
 * true in the thread that owns qemu_get_aio_context() and, where the BQL
 * is real, in any thread holding the BQL.  Thread-safe.
 */
bool qemu_in_main_thread(void);

/*
 * GLOBAL_STATE_CODE() marks global-state (GS) API functions, which run in
 * the main thread only.  IO_CODE() marks I/O API functions (any thread)
 * and IO_OR_GS_CODE() functions of both APIs; there is nothing to check
 * for those two.
 */
#define GLOBAL_STATE_CODE() do { assert(qemu_in_main_thread()); } while (0)
#define IO_CODE() do { } while (0)
#define IO_OR_GS_CODE() do { } while (0)

#ifdef _WIN32
/*
 * Windows-only polling hooks and wait objects.  Declared for QEMU's Windows
 * code; qemuutil's main-loop.c implements the POSIX loop only.
 */
typedef void WaitObjectFunc(void *opaque);
int qemu_add_wait_object(HANDLE handle, WaitObjectFunc *func,
                         void *opaque);
void qemu_del_wait_object(HANDLE handle, WaitObjectFunc *func,
                          void *opaque);

typedef int PollingFunc(void *opaque);
int qemu_add_polling_cb(PollingFunc *func, void *opaque);
void qemu_del_polling_cb(PollingFunc *func, void *opaque);
#endif

/*
 * ------------------------------------------------------------------------
 * qemuutil additions (not in QEMU)
 * ------------------------------------------------------------------------
 */

/**
 * qemu_main_loop_run_until:
 * @done: the exit condition, called with @opaque
 * @opaque: passed to @done
 *
 * The loop of a program built on qemuutil: call main_loop_wait(false)
 * until @done returns true.  @done is evaluated before every iteration
 * (so nothing runs if it is already true) in the main thread with the BQL
 * held, the role QEMU's main_loop_should_exit() plays in the system
 * emulator.  A callback run by the loop may make @done true; another thread
 * that does so must then wake the loop with qemu_notify_event().
 *
 * Main thread only, BQL held (as for main_loop_wait()).
 */
void qemu_main_loop_run_until(bool (*done)(void *opaque), void *opaque);

#endif /* QEMU_MAIN_LOOP_H */
