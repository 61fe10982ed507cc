/*
 * qemuutil: EventNotifier for POSIX hosts, backed by an eventfd or a pipe.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * The API contract is in include/qemu/event_notifier.h.  Both descriptors
 * are always non-blocking: a set that finds the channel full, and a clear
 * that finds it empty, return at once instead of sleeping.
 */
#include "qemu/osdep.h"

#ifdef CONFIG_EVENTFD
#include <sys/eventfd.h>
#endif

#include "qemu/event_notifier.h"

/* Environment switch that forces the pipe backend (see the header). */
#define EVENT_NOTIFIER_ENV "QEMUUTIL_EVENT_NOTIFIER"

/*
 * Each set writes one 8-byte token.  eventfd requires exactly 8 bytes (it
 * adds the value to its counter); a pipe would accept any size, but using
 * the same token keeps the two backends interchangeable for code that
 * writes to get_wfd() directly, as QEMU devices do.
 */
static const uint64_t event_token = 1;

static bool pipe_backend_requested(void)
{
    const char *choice = getenv(EVENT_NOTIFIER_ENV);

    return choice != NULL && strcmp(choice, "pipe") == 0;
}

/*
 * Open an eventfd for @e.  Returns 0, -ENOSYS/-EINVAL when the host cannot
 * provide one (the caller then falls back to a pipe), or another -errno.
 */
static int open_eventfd_backend(EventNotifier *e)
{
#ifdef CONFIG_EVENTFD
    int fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);

    if (fd < 0) {
        return -errno;
    }
    e->rfd = fd;
    e->wfd = fd;
    return 0;
#else
    return -ENOSYS;
#endif
}

/* Open a pipe for @e, both ends non-blocking and close-on-exec. */
static int open_pipe_backend(EventNotifier *e)
{
    int ends[2];

    /*
     * pipe2() sets both flags atomically, so no other thread can fork and
     * exec between the creation of the pipe and the setting of
     * FD_CLOEXEC.
     */
    if (pipe2(ends, O_NONBLOCK | O_CLOEXEC) < 0) {
        return -errno;
    }
    e->rfd = ends[0];
    e->wfd = ends[1];
    return 0;
}

int event_notifier_init(EventNotifier *e, int active)
{
    int ret = -ENOSYS;

    e->rfd = -1;
    e->wfd = -1;
    e->initialized = false;

    if (!pipe_backend_requested()) {
        ret = open_eventfd_backend(e);
    }
    /*
     * Fall back to a pipe only when eventfd itself is missing: ENOSYS
     * without the system call, EINVAL from kernels older than 2.6.27 that
     * reject the flags (eventfd(2)).  Other errors, such as EMFILE, would
     * hit the pipe too and are reported as they are.
     */
    if (ret == -ENOSYS || ret == -EINVAL) {
        ret = open_pipe_backend(e);
    }
    if (ret < 0) {
        return ret;
    }

    e->initialized = true;
    /* An active notifier is simply one that has been set once already. */
    if (active) {
        event_notifier_set(e);
    }
    return 0;
}

#ifdef CONFIG_EVENTFD
void event_notifier_init_fd(EventNotifier *e, int fd)
{
    e->initialized = true;
    e->rfd = e->wfd = fd;     /* one eventfd serves both directions */
}
#endif

void event_notifier_cleanup(EventNotifier *e)
{
    if (!e->initialized) {
        return;
    }

    /* An eventfd appears in both fields but must be closed only once. */
    if (e->rfd >= 0 && e->rfd != e->wfd) {
        close(e->rfd);
    }
    if (e->wfd >= 0) {
        close(e->wfd);
    }
    e->rfd = -1;
    e->wfd = -1;
    e->initialized = false;
}

int event_notifier_set(EventNotifier *e)
{
    ssize_t written;

    if (!e->initialized) {
        /* QEMU returns a bare -1 here; keep the value callers may test. */
        return -1;
    }

    written = RETRY_ON_EINTR(write(e->wfd, &event_token,
                                   sizeof(event_token)));
    if (written >= 0) {
        return 0;
    }
    /*
     * EAGAIN means the pipe is full (or the eventfd counter saturated).
     * Either way unread tokens are already waiting, so the reader will
     * still see the channel readable after this call: the set is not lost.
     */
    return errno == EAGAIN ? 0 : -errno;
}

int event_notifier_test_and_clear(EventNotifier *e)
{
    /*
     * An eventfd hands over (and resets) its whole counter in one 8-byte
     * read.  A pipe may hold thousands of tokens, so it is read in chunks
     * until a chunk comes back short, which means the pipe is now empty.
     */
    char chunk[1024];
    bool pending = false;
    ssize_t got;

    if (!e->initialized) {
        return 0;
    }

    for (;;) {
        got = read(e->rfd, chunk, sizeof(chunk));
        if (got < 0 && errno == EINTR) {
            continue;
        }
        if (got <= 0) {
            /* EAGAIN: drained.  0 (no writer left) or errors: nothing. */
            break;
        }
        pending = true;
        if (got < (ssize_t)sizeof(chunk)) {
            break;
        }
    }
    return pending;
}

/* Thread-safe: the descriptors stay fixed while @e is initialised. */
int event_notifier_get_fd(const EventNotifier *e)
{
    return e->rfd;
}

/* Thread-safe, like event_notifier_get_fd(). */
int event_notifier_get_wfd(const EventNotifier *e)
{
    return e->wfd;
}
