/*
 * qemuutil tests: libfault, an LD_PRELOAD shim that makes system calls fail
 * on purpose, so that tests can check how the library copes.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * A fault spec is a comma-separated list of rules, CALL:FAULT[:OPT=N...]:
 *
 *   QEMUUTIL_FAULT="read:EINTR:every=3,poll:EINTR:count=5,eventfd:EMFILE"
 *
 * CALL   read write poll ppoll epoll_wait epoll_pwait epoll_pwait2
 *        io_uring_enter eventfd epoll_create1 pipe2 pipe futex cond
 * FAULT  an errno name (EINTR EAGAIN EMFILE ENFILE ENOMEM EBUSY EIO ...),
 *        "short" (write only: write half of what was asked) or
 *        "spurious" (futex, cond: return as if woken, without waiting)
 * OPT    every=N  inject on every Nth matching call (default 1: all)
 *        after=N  let the first N matching calls through
 *        count=N  inject at most N times (default: no limit)
 *        fd=N     only calls on this file descriptor
 *
 * The spec is read from QEMUUTIL_FAULT when the shim is loaded.  Tests arm
 * and disarm rules around the operation under test instead, and read back
 * how many faults were injected, through three functions they look up with
 * dlsym(RTLD_DEFAULT, ...) (tests/fault/fault.h):
 *
 *   int qemuutil_fault_arm(const char *spec);   0, or -EINVAL (bad spec)
 *   void qemuutil_fault_disarm(void);
 *   unsigned long qemuutil_fault_injected(const char *call);   NULL: all
 *
 * What each fault looks like to the caller, and why it is realistic:
 *  - EINTR/EAGAIN/... on read, write, poll, ppoll, epoll_*: -1 with errno
 *    set, nothing transferred and no waiting, as when a signal lands before
 *    the call sleeps (EINTR) or another reader drained the fd (EAGAIN).
 *  - "short" writes min(n - 1, n / 2) bytes (at least 1) to pipes, sockets
 *    and regular files; an eventfd cannot be written short, so writes to
 *    other kinds of fd pass through untouched.
 *  - io_uring_enter: liburing 2.3 (Debian 12) issues its system calls with
 *    inline assembly, not through syscall(3), so they cannot be caught
 *    here.  The shim wraps liburing's exported io_uring_submit() and
 *    io_uring_submit_and_wait() instead.  EINTR first submits what is
 *    queued (the kernel submits before it sleeps, then a signal ends the
 *    wait) and returns -EINTR; other errors return -errno without
 *    submitting (EAGAIN/EBUSY: the kernel refused the batch).  A direct
 *    syscall(__NR_io_uring_enter, ...) is caught as well.
 *  - futex "EINTR" and "spurious" end a FUTEX_WAIT early (-1/EINTR, or 0),
 *    both of which the kernel does; FUTEX_WAKE is never touched.
 *  - cond "spurious": pthread_cond_wait()/pthread_cond_timedwait() drop
 *    the mutex, yield, take it back and return 0 -- a spurious wake-up,
 *    which POSIX allows at any time.
 *  - EMFILE/ENFILE/... on eventfd, epoll_create1, pipe2, pipe: -1 with
 *    errno set and no fd created.
 *
 * Set QEMUUTIL_FAULT_LOG=1 to get one stderr line per injected fault.
 */
#include "qemu/osdep.h"
#include <dlfcn.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <linux/futex.h>
#include "fault.h"

#ifdef CONFIG_LINUX_IO_URING
#include <liburing.h>
#endif

/* ---------------------------------------------------------------------- */
/* Rules                                                                    */
/* ---------------------------------------------------------------------- */

typedef enum FaultCall {
    FC_READ,
    FC_WRITE,
    FC_POLL,
    FC_PPOLL,
    FC_EPOLL_WAIT,
    FC_EPOLL_PWAIT,
    FC_EPOLL_PWAIT2,
    FC_IO_URING_ENTER,
    FC_EVENTFD,
    FC_EPOLL_CREATE1,
    FC_PIPE2,
    FC_PIPE,
    FC_FUTEX,
    FC_COND,
    FC__MAX
} FaultCall;

static const char *const call_names[FC__MAX] = {
    [FC_READ] = "read",
    [FC_WRITE] = "write",
    [FC_POLL] = "poll",
    [FC_PPOLL] = "ppoll",
    [FC_EPOLL_WAIT] = "epoll_wait",
    [FC_EPOLL_PWAIT] = "epoll_pwait",
    [FC_EPOLL_PWAIT2] = "epoll_pwait2",
    [FC_IO_URING_ENTER] = "io_uring_enter",
    [FC_EVENTFD] = "eventfd",
    [FC_EPOLL_CREATE1] = "epoll_create1",
    [FC_PIPE2] = "pipe2",
    [FC_PIPE] = "pipe",
    [FC_FUTEX] = "futex",
    [FC_COND] = "cond",
};

/* Pseudo-errnos for the two faults that are not an error return. */
#define FAULT_SHORT     (-1)
#define FAULT_SPURIOUS  (-2)

static const struct {
    const char *name;
    int value;
} fault_names[] = {
    { "EINTR", EINTR }, { "EAGAIN", EAGAIN }, { "EMFILE", EMFILE },
    { "ENFILE", ENFILE }, { "ENOMEM", ENOMEM }, { "EBUSY", EBUSY },
    { "EIO", EIO }, { "EBADF", EBADF }, { "EINVAL", EINVAL },
    { "ENOSYS", ENOSYS }, { "EPERM", EPERM }, { "ENOSPC", ENOSPC },
    { "short", FAULT_SHORT }, { "spurious", FAULT_SPURIOUS },
};

typedef struct FaultRule {
    FaultCall call;
    int fault;                  /* an errno, FAULT_SHORT or FAULT_SPURIOUS */
    unsigned long every;        /* >= 1 */
    unsigned long after;
    long count;                 /* < 0: no limit */
    int fd;                     /* < 0: any fd */
    unsigned long seen;         /* matching calls so far (atomic) */
    unsigned long injected;     /* faults injected so far (atomic) */
} FaultRule;

/*
 * A parsed spec.  Tables are never freed: a thread may still be reading
 * an old one when the test re-arms, and a re-arm is rare enough for the
 * memory not to matter.  They stay chained from all_tables so that a leak
 * checker sees them as reachable.
 */
typedef struct FaultTable {
    struct FaultTable *older;
    unsigned n;
    FaultRule rules[];
} FaultTable;

/* The armed table, or NULL; read with acquire, published with release. */
static FaultTable *armed;
/* Every table ever parsed, newest first (written under arm_lock). */
static FaultTable *all_tables;
static pthread_mutex_t arm_lock = PTHREAD_MUTEX_INITIALIZER;
static bool log_faults;

static int parse_ulong(const char *s, unsigned long *out)
{
    char *end;

    errno = 0;
    *out = strtoul(s, &end, 10);
    return (errno || end == s || *end) ? -EINVAL : 0;
}

static int parse_rule(char *text, FaultRule *r)
{
    char *save = NULL, *tok;
    unsigned long v;
    unsigned i;
    int field = 0;

    memset(r, 0, sizeof(*r));
    r->call = FC__MAX;
    r->every = 1;
    r->count = -1;
    r->fd = -1;

    for (tok = strtok_r(text, ":", &save); tok;
         tok = strtok_r(NULL, ":", &save), field++) {
        if (field == 0) {
            for (i = 0; i < FC__MAX; i++) {
                if (strcmp(tok, call_names[i]) == 0) {
                    r->call = i;
                }
            }
            if (r->call == FC__MAX) {
                fprintf(stderr, "libfault: unknown call '%s'\n", tok);
                return -EINVAL;
            }
        } else if (field == 1) {
            for (i = 0; i < ARRAY_SIZE(fault_names); i++) {
                if (strcmp(tok, fault_names[i].name) == 0) {
                    break;
                }
            }
            if (i == ARRAY_SIZE(fault_names)) {
                fprintf(stderr, "libfault: unknown fault '%s'\n", tok);
                return -EINVAL;
            }
            r->fault = fault_names[i].value;
        } else {
            char *eq = strchr(tok, '=');

            if (!eq || parse_ulong(eq + 1, &v) < 0) {
                fprintf(stderr, "libfault: bad option '%s'\n", tok);
                return -EINVAL;
            }
            *eq = '\0';
            if (strcmp(tok, "every") == 0 && v >= 1) {
                r->every = v;
            } else if (strcmp(tok, "after") == 0) {
                r->after = v;
            } else if (strcmp(tok, "count") == 0 && v <= LONG_MAX) {
                r->count = v;
            } else if (strcmp(tok, "fd") == 0 && v <= INT_MAX) {
                r->fd = v;
            } else {
                fprintf(stderr, "libfault: bad option '%s=%s'\n", tok,
                        eq + 1);
                return -EINVAL;
            }
        }
    }
    if (field < 2) {
        fprintf(stderr, "libfault: a rule is CALL:FAULT[:OPT=N...]\n");
        return -EINVAL;
    }
    if ((r->fault == FAULT_SHORT && r->call != FC_WRITE) ||
        (r->fault == FAULT_SPURIOUS &&
         r->call != FC_FUTEX && r->call != FC_COND) ||
        (r->call == FC_COND && r->fault != FAULT_SPURIOUS)) {
        fprintf(stderr, "libfault: fault not possible for %s\n",
                call_names[r->call]);
        return -EINVAL;
    }
    return 0;
}

int qemuutil_fault_arm(const char *spec)
{
    char *copy, *save = NULL, *text;
    FaultTable *t;
    unsigned n = 1, i = 0;
    const char *p;
    int ret = 0;

    for (p = spec; *p; p++) {
        n += *p == ',';
    }
    t = calloc(1, sizeof(*t) + n * sizeof(t->rules[0]));
    copy = strdup(spec);
    if (!t || !copy) {
        free(t);
        free(copy);
        return -ENOMEM;
    }
    for (text = strtok_r(copy, ",", &save); text && ret == 0;
         text = strtok_r(NULL, ",", &save)) {
        ret = parse_rule(text, &t->rules[i++]);
    }
    free(copy);
    if (ret < 0) {
        free(t);
        return ret;
    }
    t->n = i;

    pthread_mutex_lock(&arm_lock);
    t->older = all_tables;
    all_tables = t;
    /* Pairs with the acquire load in find_rule(): rules before pointer. */
    __atomic_store_n(&armed, t, __ATOMIC_RELEASE);
    pthread_mutex_unlock(&arm_lock);
    return 0;
}

void qemuutil_fault_disarm(void)
{
    __atomic_store_n(&armed, NULL, __ATOMIC_RELEASE);
}

unsigned long qemuutil_fault_injected(const char *call)
{
    FaultTable *t = __atomic_load_n(&armed, __ATOMIC_ACQUIRE);
    unsigned long sum = 0;
    unsigned i;

    for (i = 0; t && i < t->n; i++) {
        if (!call || strcmp(call, call_names[t->rules[i].call]) == 0) {
            sum += __atomic_load_n(&t->rules[i].injected, __ATOMIC_RELAXED);
        }
    }
    return sum;
}

/*
 * Decide whether this call fails.  Returns the fault of the first rule
 * for @call (and @fd) that fires, or 0 to let the call through.
 */
static int fault_for(FaultCall call, int fd)
{
    FaultTable *t = __atomic_load_n(&armed, __ATOMIC_ACQUIRE);
    unsigned long seen, done;
    unsigned i;

    for (i = 0; t && i < t->n; i++) {
        FaultRule *r = &t->rules[i];

        if (r->call != call || (r->fd >= 0 && r->fd != fd)) {
            continue;
        }
        seen = __atomic_add_fetch(&r->seen, 1, __ATOMIC_RELAXED);
        if (seen <= r->after || (seen - r->after) % r->every != 0) {
            continue;
        }
        /* Claim one of the count injections, if any are left. */
        done = __atomic_load_n(&r->injected, __ATOMIC_RELAXED);
        do {
            if (r->count >= 0 && done >= (unsigned long)r->count) {
                break;
            }
        } while (!__atomic_compare_exchange_n(&r->injected, &done, done + 1,
                                              false, __ATOMIC_RELAXED,
                                              __ATOMIC_RELAXED));
        if (r->count >= 0 && done >= (unsigned long)r->count) {
            continue;
        }
        if (log_faults) {
            fprintf(stderr, "libfault: %s(fd %d) -> fault %d (#%lu)\n",
                    call_names[call], fd, r->fault, done + 1);
        }
        return r->fault;
    }
    return 0;
}

static void __attribute__((constructor)) libfault_init(void)
{
    const char *spec = getenv("QEMUUTIL_FAULT");
    const char *log = getenv("QEMUUTIL_FAULT_LOG");

    log_faults = log && *log && strcmp(log, "0") != 0;
    if (spec && *spec && qemuutil_fault_arm(spec) < 0) {
        fprintf(stderr, "libfault: cannot parse QEMUUTIL_FAULT=%s\n", spec);
        _exit(2);
    }
}

/* ---------------------------------------------------------------------- */
/* The next definition of each function                                    */
/* ---------------------------------------------------------------------- */

/*
 * Look up the definition after ours (libc, or a sanitizer's interceptor).
 * Racing first calls may both look it up; they store the same value.
 */
#define REAL(type, name)                                                  \
    static type real_##name;                                              \
    if (!__atomic_load_n(&real_##name, __ATOMIC_RELAXED)) {               \
        __atomic_store_n(&real_##name, (type)dlsym(RTLD_NEXT, #name),     \
                         __ATOMIC_RELAXED);                               \
    }

typedef ssize_t (*read_fn)(int, void *, size_t);
typedef ssize_t (*write_fn)(int, const void *, size_t);
typedef int (*poll_fn)(struct pollfd *, nfds_t, int);
typedef int (*ppoll_fn)(struct pollfd *, nfds_t, const struct timespec *,
                        const sigset_t *);
typedef int (*epoll_wait_fn)(int, struct epoll_event *, int, int);
typedef int (*epoll_pwait_fn)(int, struct epoll_event *, int, int,
                              const sigset_t *);
typedef int (*eventfd_fn)(unsigned int, int);
typedef int (*epoll_create1_fn)(int);
typedef int (*pipe2_fn)(int *, int);
typedef int (*pipe_fn)(int *);
typedef long (*syscall_fn)(long, ...);
typedef int (*cond_wait_fn)(pthread_cond_t *, pthread_mutex_t *);
typedef int (*cond_timedwait_fn)(pthread_cond_t *, pthread_mutex_t *,
                                 const struct timespec *);

/* Fail with @fault as a libc call does: -1 and errno. */
static int fail_errno(int fault)
{
    errno = fault;
    return -1;
}

/* ---------------------------------------------------------------------- */
/* Data transfer                                                            */
/* ---------------------------------------------------------------------- */

ssize_t read(int fd, void *buf, size_t count)
{
    int fault;

    REAL(read_fn, read);
    fault = fault_for(FC_READ, fd);
    if (fault > 0) {
        return fail_errno(fault);
    }
    return real_read(fd, buf, count);
}

/* Short writes only where the kernel can produce them. */
static bool can_write_short(int fd)
{
    struct stat st;

    return fstat(fd, &st) == 0 &&
           (S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode) ||
            S_ISREG(st.st_mode));
}

ssize_t write(int fd, const void *buf, size_t count)
{
    int fault;

    REAL(write_fn, write);
    fault = fault_for(FC_WRITE, fd);
    if (fault > 0) {
        return fail_errno(fault);
    }
    if (fault == FAULT_SHORT && count > 1 && can_write_short(fd)) {
        count = MAX(1, MIN(count - 1, count / 2));
    }
    return real_write(fd, buf, count);
}

/* ---------------------------------------------------------------------- */
/* Waiting for fds                                                          */
/* ---------------------------------------------------------------------- */

int poll(struct pollfd *fds, nfds_t nfds, int timeout)
{
    int fault;

    REAL(poll_fn, poll);
    fault = fault_for(FC_POLL, -1);
    if (fault > 0) {
        return fail_errno(fault);
    }
    return real_poll(fds, nfds, timeout);
}

int ppoll(struct pollfd *fds, nfds_t nfds, const struct timespec *ts,
          const sigset_t *sigmask)
{
    int fault;

    REAL(ppoll_fn, ppoll);
    fault = fault_for(FC_PPOLL, -1);
    if (fault > 0) {
        return fail_errno(fault);
    }
    return real_ppoll(fds, nfds, ts, sigmask);
}

int epoll_wait(int epfd, struct epoll_event *events, int maxevents,
               int timeout)
{
    int fault;

    REAL(epoll_wait_fn, epoll_wait);
    fault = fault_for(FC_EPOLL_WAIT, epfd);
    if (fault > 0) {
        return fail_errno(fault);
    }
    return real_epoll_wait(epfd, events, maxevents, timeout);
}

int epoll_pwait(int epfd, struct epoll_event *events, int maxevents,
                int timeout, const sigset_t *sigmask)
{
    int fault;

    REAL(epoll_pwait_fn, epoll_pwait);
    fault = fault_for(FC_EPOLL_PWAIT, epfd);
    if (fault > 0) {
        return fail_errno(fault);
    }
    return real_epoll_pwait(epfd, events, maxevents, timeout, sigmask);
}

/* ---------------------------------------------------------------------- */
/* Creating fds                                                             */
/* ---------------------------------------------------------------------- */

int eventfd(unsigned int initval, int flags)
{
    int fault;

    REAL(eventfd_fn, eventfd);
    fault = fault_for(FC_EVENTFD, -1);
    if (fault > 0) {
        return fail_errno(fault);
    }
    return real_eventfd(initval, flags);
}

int epoll_create1(int flags)
{
    int fault;

    REAL(epoll_create1_fn, epoll_create1);
    fault = fault_for(FC_EPOLL_CREATE1, -1);
    if (fault > 0) {
        return fail_errno(fault);
    }
    return real_epoll_create1(flags);
}

int pipe2(int fds[2], int flags)
{
    int fault;

    REAL(pipe2_fn, pipe2);
    fault = fault_for(FC_PIPE2, -1);
    if (fault > 0) {
        return fail_errno(fault);
    }
    return real_pipe2(fds, flags);
}

int pipe(int fds[2])
{
    int fault;

    REAL(pipe_fn, pipe);
    fault = fault_for(FC_PIPE, -1);
    if (fault > 0) {
        return fail_errno(fault);
    }
    return real_pipe(fds);
}

/* ---------------------------------------------------------------------- */
/* syscall(2): futex waits, epoll_pwait2, a direct io_uring_enter           */
/* ---------------------------------------------------------------------- */

long syscall(long nr, ...)
{
    long a[6];
    va_list ap;
    int fault = 0, i, op;

    REAL(syscall_fn, syscall);
    /*
     * Every caller passes at most six register-sized arguments; reading
     * six is what every syscall(2) wrapper does.
     */
    va_start(ap, nr);
    for (i = 0; i < 6; i++) {
        a[i] = va_arg(ap, long);
    }
    va_end(ap);

    switch (nr) {
    case SYS_futex:
        op = a[1] & FUTEX_CMD_MASK;
        if (op == FUTEX_WAIT || op == FUTEX_WAIT_BITSET) {
            fault = fault_for(FC_FUTEX, -1);
        }
        if (fault == FAULT_SPURIOUS) {
            return 0;
        }
        break;
#ifdef SYS_epoll_pwait2
    case SYS_epoll_pwait2:
        fault = fault_for(FC_EPOLL_PWAIT2, a[0]);
        break;
#endif
#ifdef SYS_io_uring_enter
    case SYS_io_uring_enter:
        fault = fault_for(FC_IO_URING_ENTER, a[0]);
        break;
#endif
    case SYS_eventfd2:
        fault = fault_for(FC_EVENTFD, -1);
        break;
    }
    if (fault > 0) {
        return fail_errno(fault);
    }
    return real_syscall(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
}

/* ---------------------------------------------------------------------- */
/* io_uring, at the liburing level (see the top of the file)               */
/* ---------------------------------------------------------------------- */

#ifdef CONFIG_LINUX_IO_URING
typedef int (*uring_submit_fn)(struct io_uring *);
typedef int (*uring_submit_wait_fn)(struct io_uring *, unsigned);

int io_uring_submit(struct io_uring *ring)
{
    int fault;

    REAL(uring_submit_fn, io_uring_submit);
    /* Without a wait, any fault (EINTR too) means nothing was sent. */
    fault = fault_for(FC_IO_URING_ENTER, ring->ring_fd);
    if (fault > 0) {
        return -fault;
    }
    return real_io_uring_submit(ring);
}

int io_uring_submit_and_wait(struct io_uring *ring, unsigned wait_nr)
{
    int fault, ret;

    REAL(uring_submit_wait_fn, io_uring_submit_and_wait);
    fault = fault_for(FC_IO_URING_ENTER, ring->ring_fd);
    if (fault == EINTR) {
        /* The kernel submits first; the signal then cuts the wait short. */
        REAL(uring_submit_fn, io_uring_submit);
        ret = real_io_uring_submit(ring);
        return ret < 0 ? ret : -EINTR;
    }
    if (fault > 0) {
        return -fault;
    }
    return real_io_uring_submit_and_wait(ring, wait_nr);
}
#endif

/* ---------------------------------------------------------------------- */
/* Condition variables: spurious wake-ups                                  */
/* ---------------------------------------------------------------------- */

/* Give up the mutex for a moment, as a real wake-up would, then return. */
static int spurious_wakeup(pthread_mutex_t *mutex)
{
    pthread_mutex_unlock(mutex);
    sched_yield();
    pthread_mutex_lock(mutex);
    return 0;
}

/*
 * glibc has two versions of the condvar functions; the default one
 * (GLIBC_2.3.2) is what every program built today calls, while plain
 * dlsym() would return the old one.
 */
int pthread_cond_wait(pthread_cond_t *cond, pthread_mutex_t *mutex)
{
    static cond_wait_fn real_wait;

    if (!__atomic_load_n(&real_wait, __ATOMIC_RELAXED)) {
        __atomic_store_n(&real_wait, (cond_wait_fn)dlvsym(RTLD_NEXT,
                         "pthread_cond_wait", "GLIBC_2.3.2"),
                         __ATOMIC_RELAXED);
    }
    if (fault_for(FC_COND, -1) == FAULT_SPURIOUS) {
        return spurious_wakeup(mutex);
    }
    return real_wait(cond, mutex);
}

int pthread_cond_timedwait(pthread_cond_t *cond, pthread_mutex_t *mutex,
                           const struct timespec *abstime)
{
    static cond_timedwait_fn real_timedwait;

    if (!__atomic_load_n(&real_timedwait, __ATOMIC_RELAXED)) {
        __atomic_store_n(&real_timedwait,
                         (cond_timedwait_fn)dlvsym(RTLD_NEXT,
                         "pthread_cond_timedwait", "GLIBC_2.3.2"),
                         __ATOMIC_RELAXED);
    }
    if (fault_for(FC_COND, -1) == FAULT_SPURIOUS) {
        return spurious_wakeup(mutex);
    }
    return real_timedwait(cond, mutex, abstime);
}
