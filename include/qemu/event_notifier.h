/*
 * qemuutil: EventNotifier, a file-descriptor-backed "something happened" flag.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * An EventNotifier lets any thread wake whoever is polling a file descriptor:
 * event_notifier_set() makes the read side readable, and
 * event_notifier_test_and_clear() consumes everything that was signalled,
 * however many times it was set.  Several sets before one clear coalesce into
 * a single pending event; the notifier carries no count or payload.
 *
 * Backends (POSIX):
 *  - an eventfd, when the host has one (CONFIG_EVENTFD); then rfd == wfd;
 *  - otherwise a pipe, rfd being the read end and wfd the write end.
 * Both are non-blocking and close-on-exec, so neither set nor test_and_clear
 * ever sleeps.
 *
 * Setting the environment variable QEMUUTIL_EVENT_NOTIFIER=pipe forces the
 * pipe backend even where eventfd works.  It is read by every
 * event_notifier_init() call, so a test may flip it between two inits (with
 * g_setenv()) to exercise both backends in one process.  Any other value, or
 * no value, selects the default.  This switch is a qemuutil addition; QEMU
 * itself has none.
 *
 * Threading: set, test_and_clear and the fd getters are thread-safe (they
 * only issue one system call on an fd that does not change while the
 * notifier is initialised).  init, init_fd and cleanup must not race with
 * any other use of the same notifier; the owner calls them.
 */
#ifndef QEMU_EVENT_NOTIFIER_H
#define QEMU_EVENT_NOTIFIER_H

/* Windows builds keep an event HANDLE instead of file descriptors. */
#ifdef _WIN32
#include <windows.h>
#endif

/**
 * struct EventNotifier - one notifier; embed it by value.
 * @rfd: the descriptor to poll for readability and to drain.
 * @wfd: the descriptor event_notifier_set() writes to (== @rfd for eventfd).
 * @initialized: true between a successful init/init_fd and cleanup.
 *
 * QEMU code outside util/ reads these fields directly (ivshmem), so their
 * names and types are part of the API.  All three are written only by the
 * owner in init/init_fd/cleanup and are read-only otherwise.
 */
struct EventNotifier {
#ifndef _WIN32
    bool initialized;   /* set by init/init_fd, cleared by cleanup */
    int wfd;            /* write side; same fd as rfd for an eventfd */
    int rfd;            /* read side; -1 after cleanup or failed init */
#else
    HANDLE event;
#endif
};

/* Callback type used by the AioContext and main-loop handler APIs. */
typedef void EventNotifierHandler(EventNotifier *notifier);

/**
 * event_notifier_init - open the descriptors of a notifier
 * @e: the notifier to initialise (its previous contents are ignored).
 * @active: when non-zero, the notifier starts in the signalled state.
 *
 * Uses an eventfd when available, else (or when QEMUUTIL_EVENT_NOTIFIER=pipe)
 * a pipe.  The caller owns the descriptors and releases them with
 * event_notifier_cleanup().
 *
 * Returns: 0 on success, -errno on failure (then @e is left uninitialised
 * and no descriptor is leaked).
 */
int event_notifier_init(EventNotifier *e, int active);

/**
 * event_notifier_set - signal the notifier
 * @e: the notifier.
 *
 * Makes the read descriptor readable.  If the counter or pipe is already
 * full, an event is necessarily pending, so that case counts as success.
 * Thread-safe; never blocks.
 *
 * Returns: 0 on success; -1 if @e is not initialised (the value QEMU
 * returns; callers only test for a negative result); -errno if the write
 * fails for any other reason.
 */
int event_notifier_set(EventNotifier *e);

/**
 * event_notifier_test_and_clear - consume all pending signals
 * @e: the notifier.
 *
 * Reads the read descriptor until it is empty.  Thread-safe; never blocks.
 *
 * Returns: 1 if at least one set was pending, 0 if none was or @e is not
 * initialised.
 */
int event_notifier_test_and_clear(EventNotifier *e);

/**
 * event_notifier_cleanup - close the descriptors of a notifier
 * @e: the notifier.
 *
 * Closes both descriptors (once, when they are the same), sets them to -1
 * and marks @e uninitialised.  Calling it again, or on a notifier whose init
 * failed, does nothing.  Also closes an fd handed over with
 * event_notifier_init_fd().
 */
void event_notifier_cleanup(EventNotifier *e);

#ifdef CONFIG_POSIX
/**
 * event_notifier_get_fd - the descriptor to poll for readability
 * @e: the notifier.
 *
 * Returns: @e->rfd, still owned by @e.
 */
int event_notifier_get_fd(const EventNotifier *e);

/**
 * event_notifier_get_wfd - the descriptor event_notifier_set() writes to
 * @e: the notifier.
 *
 * Useful to hand the write side to another process or to the kernel (irqfd).
 *
 * Returns: @e->wfd, still owned by @e.
 */
int event_notifier_get_wfd(const EventNotifier *e);

/**
 * event_notifier_init_fd - wrap an existing eventfd
 * @e: the notifier to initialise.
 * @fd: an eventfd (a pipe end will not do, since both directions use it);
 *      -1 is accepted and gives a notifier that cannot be signalled.
 *
 * Ownership of @fd passes to @e: event_notifier_cleanup() closes it.
 * Only defined on hosts with CONFIG_EVENTFD, as in QEMU.
 */
void event_notifier_init_fd(EventNotifier *e, int fd);
#else
HANDLE event_notifier_get_handle(EventNotifier *e);
#endif

#endif /* QEMU_EVENT_NOTIFIER_H */
