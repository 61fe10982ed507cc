/*
 * qemuutil: the main loop (QEMU 10.0's util/main-loop.c, POSIX hosts).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * The main loop is GLib's default GMainContext driven by hand, so that
 * QEMU can add its own fds, its timer deadline and the BQL to each
 * iteration.  Two AioContexts are attached to the GMainContext as GSources:
 * the main AioContext (BHs, block-layer fds, AioContext timers) and the
 * iohandler context (qemu_set_fd_handler()).  One main_loop_wait() call:
 *
 *  1. Poll notifiers run with MAIN_LOOP_POLL_FILL: they may append GPollFDs
 *     to the iteration's array and lower its timeout (0 if non-blocking).
 *  2. The timeout is capped by the earliest main_loop_tlg timer.
 *  3. With the GMainContext acquired, g_main_context_prepare() and _query()
 *     append the fds of every attached GSource (the two AioContexts and any
 *     plain GLib source) and may lower the timeout further.  An AioContext
 *     with a BH pending asks for timeout 0 here.
 *  4. The BQL (and the record/replay lock) is released, a single
 *     qemu_poll_ns() waits on all fds at once, and the locks are retaken.
 *     This is the only place the main thread lets other BQL users in.
 *  5. g_main_context_check() and _dispatch() run the ready GSources' work
 *     with the BQL held: AioContext BHs, fd handlers and timers, and GLib
 *     callbacks.
 *  6. Poll notifiers run again with MAIN_LOOP_POLL_OK (or _ERR if the poll
 *     failed) and read the revents of their fds.
 *  7. The expired main_loop_tlg timers of every clock run.
 *
 * Waking the loop from elsewhere (qemu_notify_event()) schedules a BH that
 * does nothing: scheduling it writes the main AioContext's event notifier,
 * which is among the fds of step 4.
 *
 * Signals: SIGIO, SIGALRM and SIGBUS are blocked and read from a signalfd
 * on the iohandler context, so their handlers run from step 5 with the BQL
 * held instead of interrupting arbitrary code.  SIG_IPI is blocked as well
 * but left to the vCPU threads.
 *
 * Builds.  In a QEMU tree this file also registers the QOM "main-loop"
 * type and uses QEMU's qemu_signalfd()/sigaction_invoke().  The standalone
 * build (CONFIG_QEMUUTIL_STANDALONE) has no QOM, calls Linux's signalfd(2)
 * itself, and makes qemu_init_main_loop() take the BQL, which the
 * standalone library implements for real (util/bql.c).
 */
#include "qemu/osdep.h"

#include <glib-unix.h>
#ifdef CONFIG_QEMUUTIL_STANDALONE
#include <sys/signalfd.h>
#endif

#include "qapi/error.h"
#include "qemu/atomic.h"
#include "qemu/error-report.h"
#include "qemu/main-loop.h"
#include "qemu/notify.h"
#include "qemu/timer.h"
#include "block/aio.h"
#include "system/cpu-timers.h"
#include "system/replay.h"
#ifndef CONFIG_QEMUUTIL_STANDALONE
#include "qemu/module.h"
#include "qom/object.h"
#endif

static void G_GNUC_NORETURN main_loop_misuse(const char *what)
{
    fprintf(stderr, "qemuutil main loop: %s\n", what);
    abort();
}

/* ---------------------------------------------------------------------- */
/* Signals delivered through a signalfd                                    */
/* ---------------------------------------------------------------------- */

#ifdef CONFIG_QEMUUTIL_STANDALONE
/*
 * QEMU's util/compatfd.c (qemu_signalfd(), with a thread-based fallback)
 * and sigaction_invoke() are not part of qemuutil.  This build is Linux
 * only, so signalfd(2) always exists; a SA_SIGINFO handler gets a siginfo_t
 * rebuilt from what signalfd reports (the fields that make sense for the
 * signal, everything else zero).
 */
typedef struct signalfd_siginfo SigfdInfo;

static int sigfd_create(const sigset_t *mask)
{
    return signalfd(-1, mask, SFD_CLOEXEC);
}

static void sigfd_call_sigaction(struct sigaction *action, SigfdInfo *info)
{
    siginfo_t si;

    memset(&si, 0, sizeof(si));
    si.si_signo = info->ssi_signo;
    si.si_errno = info->ssi_errno;
    si.si_code = info->ssi_code;
    switch (info->ssi_signo) {
    case SIGBUS:
    case SIGSEGV:
    case SIGILL:
    case SIGFPE:
        si.si_addr = (void *)(uintptr_t)info->ssi_addr;
        break;
    case SIGCHLD:
        si.si_pid = info->ssi_pid;
        si.si_uid = info->ssi_uid;
        si.si_status = info->ssi_status;
        break;
    default:
        si.si_pid = info->ssi_pid;
        si.si_uid = info->ssi_uid;
        si.si_value.sival_ptr = (void *)(uintptr_t)info->ssi_ptr;
        break;
    }
    action->sa_sigaction(info->ssi_signo, &si, NULL);
}
#else
typedef struct qemu_signalfd_siginfo SigfdInfo;

static int sigfd_create(const sigset_t *mask)
{
    return qemu_signalfd(mask);
}

static void sigfd_call_sigaction(struct sigaction *action, SigfdInfo *info)
{
    sigaction_invoke(action, info);
}
#endif

/*
 * fd handler of the signalfd: call each queued signal's current handler.
 * The handler pointer comes from the kernel (sigaction()), not from a
 * typed table, hence no CFI check on the indirect call.
 */
QEMU_DISABLE_CFI
static void sigfd_read(void *opaque)
{
    int fd = (intptr_t)opaque;
    SigfdInfo info;
    struct sigaction action;
    ssize_t len;

    for (;;) {
        len = RETRY_ON_EINTR(read(fd, &info, sizeof(info)));
        if (len < 0 && errno == EAGAIN) {
            return;             /* drained */
        }
        if (len != sizeof(info)) {
            error_report("main loop: reading the signalfd returned %zd: %s",
                         len, len < 0 ? g_strerror(errno) : "short read");
            return;
        }
        if (sigaction(info.ssi_signo, NULL, &action) < 0) {
            continue;
        }
        if (action.sa_flags & SA_SIGINFO) {
            if (action.sa_sigaction) {
                sigfd_call_sigaction(&action, &info);
            }
        } else if (action.sa_handler != SIG_DFL &&
                   action.sa_handler != SIG_IGN) {
            action.sa_handler(info.ssi_signo);
        }
    }
}

static int main_loop_signals_init(Error **errp)
{
    sigset_t routed, blocked;
    int fd, err;

    /*
     * SIGINT, SIGTERM and SIGHUP are left alone: they stay asynchronous so
     * that ^C still interrupts the process under a debugger.
     */
    sigemptyset(&routed);
    sigaddset(&routed, SIGIO);
    sigaddset(&routed, SIGALRM);
    sigaddset(&routed, SIGBUS);

    /*
     * SIG_IPI is blocked in this thread (and the threads it creates) so
     * that only the vCPU threads, which wait for it, receive it; it must
     * not be swallowed by the signalfd either.
     */
    blocked = routed;
    sigaddset(&blocked, SIG_IPI);
    pthread_sigmask(SIG_BLOCK, &blocked, NULL);

    fd = sigfd_create(&routed);
    if (fd < 0) {
        err = errno;
        error_setg_errno(errp, err, "failed to create signalfd");
        return -err;
    }
    g_unix_set_fd_nonblocking(fd, TRUE, NULL);
    qemu_set_fd_handler(fd, sigfd_read, NULL, (void *)(intptr_t)fd);
    return 0;
}

/* ---------------------------------------------------------------------- */
/* The main AioContext                                                      */
/* ---------------------------------------------------------------------- */

/*
 * Set once by qemu_init_main_loop(), with a store-release that publishes
 * notify_bh and the context; readers in other threads load-acquire it.
 */
static AioContext *main_ctx;

/* qemu_notify_event()'s BH on main_ctx; constant once main_ctx is set. */
static QEMUBH *notify_bh;

/* The iteration's GPollFD array; main thread (BQL) only. */
static GArray *poll_fds;

static void notify_bh_cb(void *opaque)
{
    /* Nothing to do: being scheduled already woke the poll. */
}

AioContext *qemu_get_aio_context(void)
{
    return qatomic_load_acquire(&main_ctx);
}

void qemu_notify_event(void)
{
    /*
     * Before qemu_init_main_loop() nobody can be waiting.  The acquire
     * pairs with the release in qemu_init_main_loop(), so notify_bh is
     * valid when main_ctx is seen.
     */
    if (!qatomic_load_acquire(&main_ctx)) {
        return;
    }
    qemu_bh_schedule(notify_bh);
}

QEMUBH *qemu_bh_new_full(QEMUBHFunc *cb, void *opaque, const char *name,
                         MemReentrancyGuard *reentrancy_guard)
{
    AioContext *ctx = qemu_get_aio_context();

    if (!ctx) {
        main_loop_misuse("qemu_bh_new() called before qemu_init_main_loop()");
    }
    return aio_bh_new_full(ctx, cb, opaque, name, reentrancy_guard);
}

/* ---------------------------------------------------------------------- */
/* The iohandler AioContext                                                 */
/* ---------------------------------------------------------------------- */

/*
 * A separate context for qemu_set_fd_handler(): the main loop services it,
 * but aio_poll(qemu_get_aio_context()) must not, because block-layer code
 * calls that nested inside device emulation and must not re-enter
 * arbitrary fd handlers.
 *
 * Created on first use by any thread (aio_poll() asks for it to check
 * which thread is the iohandler context's home); the first pointer
 * installed by the cmpxchg wins and a loser frees its own.
 */
static AioContext *iohandler_ctx;

AioContext *iohandler_get_aio_context(void)
{
    AioContext *ctx = qatomic_load_acquire(&iohandler_ctx);
    AioContext *winner;

    if (likely(ctx)) {
        return ctx;
    }
    ctx = aio_context_new(&error_abort);
    /* Full barrier: publishes the new context; pairs with the acquire. */
    winner = qatomic_cmpxchg(&iohandler_ctx, NULL, ctx);
    if (winner) {
        aio_context_unref(ctx);
        return winner;
    }
    return ctx;
}

GSource *iohandler_get_g_source(void)
{
    return aio_get_g_source(iohandler_get_aio_context());
}

void qemu_set_fd_handler(int fd, IOHandler *fd_read, IOHandler *fd_write,
                         void *opaque)
{
    aio_set_fd_handler(iohandler_get_aio_context(), fd, fd_read, fd_write,
                       NULL, NULL, opaque);
}

void event_notifier_set_handler(EventNotifier *e,
                                EventNotifierHandler *handler)
{
    aio_set_event_notifier(iohandler_get_aio_context(), e, handler,
                           NULL, NULL);
}

/* ---------------------------------------------------------------------- */
/* Initialisation                                                           */
/* ---------------------------------------------------------------------- */

/* Attach @src (a new reference, consumed) to GLib's default context. */
static void attach_to_default_context(GSource *src, const char *name)
{
    g_source_set_name(src, name);
    g_source_attach(src, NULL);
    g_source_unref(src);
}

int qemu_init_main_loop(Error **errp)
{
    AioContext *ctx;
    int ret;

    if (qemu_get_aio_context()) {
        main_loop_misuse("qemu_init_main_loop() called twice");
    }

    init_clocks(qemu_timer_notify_cb);

    ret = main_loop_signals_init(errp);
    if (ret < 0) {
        return ret;
    }

    ctx = aio_context_new(errp);
    if (!ctx) {
        return -EMFILE;
    }
    qemu_set_current_aio_context(ctx);
    notify_bh = aio_bh_new(ctx, notify_bh_cb, NULL);
    poll_fds = g_array_new(FALSE, FALSE, sizeof(GPollFD));
    /* From here qemu_notify_event() works, in any thread. */
    qatomic_store_release(&main_ctx, ctx);

    attach_to_default_context(aio_get_g_source(ctx), "aio-context");
    attach_to_default_context(iohandler_get_g_source(), "io-handler");

#ifdef CONFIG_QEMUUTIL_STANDALONE
    /*
     * No vl.c here to take the BQL for the main thread: the thread that
     * will run main_loop_wait() holds it from now on, so that the loop's
     * release around its poll (step 4) pairs with this.
     */
    if (!bql_locked()) {
        bql_lock();
    }
#endif
    return 0;
}

/* ---------------------------------------------------------------------- */
/* The "main-loop" QOM object (QEMU build only)                             */
/* ---------------------------------------------------------------------- */

#ifndef CONFIG_QEMUUTIL_STANDALONE
/* The one instance of -object main-loop, if the user created it. */
MainLoop *mloop;

/* Apply aio-max-batch and thread-pool-min/max to the main AioContext. */
static void main_loop_update_params(EventLoopBase *base, Error **errp)
{
    AioContext *ctx = qemu_get_aio_context();

    if (!ctx) {
        error_setg(errp, "qemu aio context not ready");
        return;
    }
    aio_context_set_aio_params(ctx, base->aio_max_batch);
    aio_context_set_thread_pool_params(ctx, base->thread_pool_min,
                                       base->thread_pool_max, errp);
}

static void main_loop_init(EventLoopBase *base, Error **errp)
{
    if (mloop) {
        error_setg(errp, "only one main-loop instance allowed");
        return;
    }
    main_loop_update_params(base, errp);
    mloop = MAIN_LOOP(base);
}

static bool main_loop_can_be_deleted(EventLoopBase *base)
{
    /* The main loop lives as long as the process. */
    return false;
}

static void main_loop_class_init(ObjectClass *oc, void *class_data)
{
    EventLoopBaseClass *elc = EVENT_LOOP_BASE_CLASS(oc);

    elc->init = main_loop_init;
    elc->update_params = main_loop_update_params;
    elc->can_be_deleted = main_loop_can_be_deleted;
}

static const TypeInfo main_loop_type_info = {
    .name = TYPE_MAIN_LOOP,
    .parent = TYPE_EVENT_LOOP_BASE,
    .instance_size = sizeof(MainLoop),
    .class_init = main_loop_class_init,
};

static void main_loop_register_types(void)
{
    type_register_static(&main_loop_type_info);
}

type_init(main_loop_register_types)
#endif /* !CONFIG_QEMUUTIL_STANDALONE */

/* ---------------------------------------------------------------------- */
/* One iteration                                                            */
/* ---------------------------------------------------------------------- */

static NotifierList poll_notifiers = NOTIFIER_LIST_INITIALIZER(poll_notifiers);

void main_loop_poll_add_notifier(Notifier *notify)
{
    notifier_list_add(&poll_notifiers, notify);
}

void main_loop_poll_remove_notifier(Notifier *notify)
{
    notifier_remove(notify);
}

/*
 * GLib's part of the iteration: the slice of poll_fds that
 * g_main_context_query() filled, and the priority that
 * g_main_context_prepare() chose.  Main thread only.
 */
static int glib_max_priority;
static guint glib_fds_start;
static gint glib_fds_count;

/*
 * Step 3: append the fds of the default GMainContext's sources to
 * poll_fds; returns @timeout_ns lowered to GLib's timeout.
 */
static int64_t glib_fill(GMainContext *gctx, int64_t timeout_ns)
{
    gint glib_timeout_ms = -1;
    gint wanted;

    g_main_context_prepare(gctx, &glib_max_priority);

    /*
     * query() reports how many fds it has even when the room we offer is
     * smaller; start from last iteration's count and retry with more room
     * until everything fits.
     */
    glib_fds_start = poll_fds->len;
    wanted = glib_fds_count;
    do {
        glib_fds_count = wanted;
        g_array_set_size(poll_fds, glib_fds_start + glib_fds_count);
        /* An empty array has no storage: offer NULL, not NULL + 0. */
        wanted = g_main_context_query(gctx, glib_max_priority,
                                      &glib_timeout_ms,
                                      glib_fds_count ?
                                      &g_array_index(poll_fds, GPollFD,
                                                     glib_fds_start) : NULL,
                                      glib_fds_count);
    } while (wanted > glib_fds_count);
    glib_fds_count = wanted;
    g_array_set_size(poll_fds, glib_fds_start + glib_fds_count);

    if (glib_timeout_ms >= 0) {
        int64_t glib_ns = (int64_t)glib_timeout_ms * SCALE_MS;

        timeout_ns = qemu_soonest_timeout(timeout_ns, glib_ns);
    }
    return timeout_ns;
}

/* Step 5: let GLib see the revents of its slice and run what is ready. */
static void glib_dispatch(GMainContext *gctx)
{
    GPollFD *fds = &g_array_index(poll_fds, GPollFD, glib_fds_start);

    if (g_main_context_check(gctx, glib_max_priority, fds, glib_fds_count)) {
        g_main_context_dispatch(gctx);
    }
}

/* Steps 3-5; returns the poll's result (negative on error). */
static int main_loop_poll(int64_t timeout_ns)
{
    GMainContext *gctx = g_main_context_default();
    int ret;

    /*
     * Own the GMainContext for the whole iteration, so that GLib does not
     * let another thread iterate it between our query and our check.
     */
    g_main_context_acquire(gctx);

    timeout_ns = glib_fill(gctx, timeout_ns);

    /* Step 4: the one place where the main thread sleeps, unlocked. */
    bql_unlock();
    replay_mutex_unlock();

    ret = qemu_poll_ns((GPollFD *)poll_fds->data, poll_fds->len, timeout_ns);

    replay_mutex_lock();
    bql_lock();

    glib_dispatch(gctx);

    g_main_context_release(gctx);
    return ret;
}

void main_loop_wait(int nonblocking)
{
    MainLoopPoll mlpoll = {
        .state = MAIN_LOOP_POLL_FILL,
        .timeout = nonblocking ? 0 : UINT32_MAX,
        .pollfds = poll_fds,
    };
    int64_t timeout_ns, timers_ns;
    int ret;

    if (!poll_fds) {
        main_loop_misuse("main_loop_wait() called before "
                         "qemu_init_main_loop()");
    }

    /* Step 1. */
    g_array_set_size(poll_fds, 0);
    notifier_list_notify(&poll_notifiers, &mlpoll);

    /* Step 2. */
    if (mlpoll.timeout == UINT32_MAX) {
        timeout_ns = -1;
    } else {
        timeout_ns = (int64_t)mlpoll.timeout * SCALE_MS;
    }
    timers_ns = timerlistgroup_deadline_ns(&main_loop_tlg);
    timeout_ns = qemu_soonest_timeout(timeout_ns, timers_ns);

    /* Steps 3-5. */
    ret = main_loop_poll(timeout_ns);

    /* Step 6. */
    mlpoll.state = ret < 0 ? MAIN_LOOP_POLL_ERR : MAIN_LOOP_POLL_OK;
    notifier_list_notify(&poll_notifiers, &mlpoll);

    if (icount_enabled()) {
        /* A vCPU waiting for an event may have missed its warp: re-arm. */
        icount_start_warp_timer();
    }

    /* Step 7. */
    qemu_clock_run_all_timers();
}

void qemu_main_loop_run_until(bool (*done)(void *opaque), void *opaque)
{
    while (!done(opaque)) {
        main_loop_wait(false);
    }
}
