/*
 * vmm-mini qtest accelerator: no vCPU; a qtest-lite client drives the
 * devices over a unix socket or stdio (see qtest.h, docs/qtest-lite.rst).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * The transport is a set of fd handlers on the main loop, so requests,
 * doorbell handlers and timers all run in the main thread with the BQL
 * held, one at a time.  One main-loop iteration as seen from here:
 *
 *   1. the client's fd is readable: read a chunk, hand it to the protocol
 *      engine (qtest-proto.c), execute complete lines one by one; each
 *      reply is appended to the output buffer and written at once;
 *   2. a doorbell write in step 1 only signalled the doorbell's eventfd,
 *      so the doorbell handler runs now, as a main-loop fd handler, and its
 *      interrupt pulse becomes "IRQ raise N" / "IRQ lower N" lines;
 *   3. timers on QEMU_CLOCK_VIRTUAL never fire on their own: the clock
 *      only moves inside clock_step/clock_set, which run the due timers
 *      there and then, before the reply.
 *
 * A client that stops reading cannot wedge the server: output is
 * non-blocking, and once QTEST_OUT_HIGH_WATER bytes are queued we stop
 * reading and executing its requests until the queue drains.  In server
 * mode a second client is told that the server is busy and closed, without
 * disturbing the first.
 */
#include "qemu/osdep.h"

#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "qemu/error-report.h"
#include "qemu/main-loop.h"
#include "qemu/timer.h"

#include "qtest.h"
#include "qtest-proto.h"

/* Stop executing a client's requests while this much output is queued. */
#define QTEST_OUT_HIGH_WATER (8 * 1024 * 1024)

/* How long stop() keeps trying to deliver the last replies. */
#define QTEST_DRAIN_TIMEOUT_MS 2000

#define QTEST_READ_CHUNK 65536

typedef struct QtestAccel {
    VmmMachine *machine;
    QtestProto *proto;

    /* Configuration (vmm_qtest_configure()). */
    char *path;                 /* unix socket path, or NULL for stdio */
    bool server;                /* listen at @path instead of connecting */
    FILE *log;                  /* -qtest-log, owned; or NULL */

    /* Everything below: main thread only. */
    bool started;
    int listen_fd;              /* server mode; -1 otherwise */
    int in_fd;                  /* the client; -1 when there is none */
    int out_fd;                 /* == in_fd for a socket */
    bool is_socket;
    GString *outbuf;            /* queued output, written in order */
    bool broken;                /* output failed: drop the client */
    bool drop_scheduled;        /* qtest_drop_bh is pending */
    bool in_callback;           /* inside our read/write handler */
} QtestAccel;

static QtestAccel *qtest_state(VmmMachine *m)
{
    return m->accel_state;
}

static void qtest_update_handlers(QtestAccel *s);

/* ------------------------------------------------------------------ */
/* Output                                                              */
/* ------------------------------------------------------------------ */

/* Write as much queued output as the fd takes without blocking. */
static void qtest_flush(QtestAccel *s)
{
    ssize_t n;

    while (s->outbuf->len && !s->broken) {
        if (s->is_socket) {
            n = send(s->out_fd, s->outbuf->str, s->outbuf->len,
                     MSG_NOSIGNAL | MSG_DONTWAIT);
        } else {
            n = write(s->out_fd, s->outbuf->str, s->outbuf->len);
        }
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            break;              /* the write handler resumes */
        }
        if (n <= 0) {
            s->broken = true;   /* peer gone: drop what is queued */
            g_string_truncate(s->outbuf, 0);
            break;
        }
        g_string_erase(s->outbuf, 0, n);
    }
}

static void qtest_client_gone(QtestAccel *s, const char *why);

static void qtest_drop_bh(void *opaque)
{
    QtestAccel *s = opaque;

    s->drop_scheduled = false;
    if (s->broken && s->in_fd >= 0) {
        qtest_client_gone(s, "the qtest client stopped reading");
    }
}

/* QtestProtoSendFunc: replies and IRQ lines from the engine. */
static void qtest_send(void *opaque, const char *buf, size_t len)
{
    QtestAccel *s = opaque;

    if (s->in_fd < 0 || s->broken) {
        return;                 /* nobody to tell (between clients) */
    }
    g_string_append_len(s->outbuf, buf, len);
    qtest_flush(s);
    if (s->broken && !s->in_callback && !s->drop_scheduled) {
        /*
         * Called from a doorbell handler or a timer: the fd cannot be
         * closed under whoever is iterating; do it from a BH.
         */
        s->drop_scheduled = true;
        aio_bh_schedule_oneshot(qemu_get_aio_context(), qtest_drop_bh, s);
    } else if (!s->in_callback) {
        qtest_update_handlers(s);
    }
}

/* ------------------------------------------------------------------ */
/* Input                                                               */
/* ------------------------------------------------------------------ */

/* Execute buffered requests while the output queue has room. */
static void qtest_process(QtestAccel *s)
{
    while (s->in_fd >= 0 && !s->broken &&
           s->outbuf->len < QTEST_OUT_HIGH_WATER &&
           qtest_proto_step(s->proto)) {
        /* each step sent its reply already */
    }
}

static void qtest_after_callback(QtestAccel *s)
{
    s->in_callback = false;
    if (s->broken && s->in_fd >= 0) {
        qtest_client_gone(s, "the qtest client stopped reading");
    } else {
        qtest_update_handlers(s);
    }
}

static void qtest_read_cb(void *opaque)
{
    QtestAccel *s = opaque;
    char *buf = g_malloc(QTEST_READ_CHUNK);
    ssize_t n;

    do {
        n = read(s->in_fd, buf, QTEST_READ_CHUNK);
    } while (n < 0 && errno == EINTR);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        g_free(buf);
        return;
    }
    if (n <= 0) {
        g_free(buf);
        qtest_client_gone(s, "the qtest client disconnected");
        return;
    }
    s->in_callback = true;
    qtest_proto_feed(s->proto, buf, n);
    g_free(buf);
    qtest_process(s);
    qtest_after_callback(s);
}

static void qtest_write_cb(void *opaque)
{
    QtestAccel *s = opaque;

    s->in_callback = true;
    qtest_flush(s);
    qtest_process(s);
    qtest_after_callback(s);
}

/*
 * Read only when every buffered line has been executed (so input stays
 * bounded by one chunk plus a partial line) and the output queue has
 * room; ask for writability only while output is queued.
 */
static void qtest_update_handlers(QtestAccel *s)
{
    bool rd, wr;

    if (s->in_fd < 0) {
        return;
    }
    rd = !s->broken && s->outbuf->len < QTEST_OUT_HIGH_WATER &&
         !qtest_proto_has_line(s->proto);
    wr = !s->broken && s->outbuf->len > 0;
    if (s->in_fd == s->out_fd) {
        qemu_set_fd_handler(s->in_fd, rd ? qtest_read_cb : NULL,
                            wr ? qtest_write_cb : NULL, s);
    } else {
        qemu_set_fd_handler(s->in_fd, rd ? qtest_read_cb : NULL, NULL, s);
        qemu_set_fd_handler(s->out_fd, NULL, wr ? qtest_write_cb : NULL, s);
    }
}

/* ------------------------------------------------------------------ */
/* Clients                                                             */
/* ------------------------------------------------------------------ */

static void qtest_log_event(QtestAccel *s, const char *what)
{
    if (s->log) {
        fprintf(s->log, "[I] %s\n", what);
        fflush(s->log);
    }
}

static void qtest_attach(QtestAccel *s, int in_fd, int out_fd,
                         bool is_socket)
{
    s->in_fd = in_fd;
    s->out_fd = out_fd;
    s->is_socket = is_socket;
    s->broken = false;
    g_string_truncate(s->outbuf, 0);
    qtest_proto_reset(s->proto);
    qtest_log_event(s, "OPENED");
    qtest_update_handlers(s);
}

static void qtest_detach(QtestAccel *s)
{
    if (s->in_fd < 0) {
        return;
    }
    qemu_set_fd_handler(s->in_fd, NULL, NULL, NULL);
    if (s->out_fd != s->in_fd) {
        qemu_set_fd_handler(s->out_fd, NULL, NULL, NULL);
    }
    if (s->is_socket) {
        close(s->in_fd);
    }
    s->in_fd = s->out_fd = -1;
    g_string_truncate(s->outbuf, 0);
    qtest_log_event(s, "CLOSED");
}

static void qtest_client_gone(QtestAccel *s, const char *why)
{
    qtest_detach(s);
    qtest_proto_reset(s->proto);
    if (!s->server) {
        /* QEMU-style: the test is over when its connection is. */
        vmm_machine_request_exit(s->machine, 0, why);
    }
}

static void qtest_accept_cb(void *opaque)
{
    static const char busy[] = "FAIL another qtest client is connected\n";
    QtestAccel *s = opaque;
    int fd;

    fd = accept4(s->listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
    if (fd < 0) {
        return;                 /* EAGAIN, ECONNABORTED...: try later */
    }
    if (s->in_fd >= 0) {
        /* One short line always fits a fresh socket's buffer. */
        if (send(fd, busy, sizeof(busy) - 1,
                 MSG_NOSIGNAL | MSG_DONTWAIT) < 0) {
            /* the refused client is gone already: nothing to do */
        }
        close(fd);
        return;
    }
    qtest_attach(s, fd, fd, true);
}

/* ------------------------------------------------------------------ */
/* Transport set-up                                                    */
/* ------------------------------------------------------------------ */

static int qtest_set_nonblock(int fd)
{
    int flags = fcntl(fd, F_GETFL);

    if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0) {
        return -errno;
    }
    return 0;
}

static int qtest_unix_addr(const char *path, struct sockaddr_un *sa,
                           Error **errp)
{
    memset(sa, 0, sizeof(*sa));
    sa->sun_family = AF_UNIX;
    if (strlen(path) >= sizeof(sa->sun_path)) {
        error_setg(errp, "qtest socket path '%s' is longer than %zu bytes",
                   path, sizeof(sa->sun_path) - 1);
        return -ENAMETOOLONG;
    }
    strcpy(sa->sun_path, path);
    return 0;
}

static int qtest_connect(QtestAccel *s, Error **errp)
{
    struct sockaddr_un sa;
    int fd, ret;

    ret = qtest_unix_addr(s->path, &sa, errp);
    if (ret < 0) {
        return ret;
    }
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        error_setg_errno(errp, errno, "cannot create the qtest socket");
        return -errno;
    }
    do {
        ret = connect(fd, (struct sockaddr *)&sa, sizeof(sa));
    } while (ret < 0 && errno == EINTR);
    if (ret < 0 || (ret = qtest_set_nonblock(fd)) < 0) {
        ret = ret < 0 && errno ? -errno : ret;
        error_setg_errno(errp, -ret, "cannot connect to the qtest client "
                         "at %s", s->path);
        close(fd);
        return ret;
    }
    qtest_attach(s, fd, fd, true);
    return 0;
}

static int qtest_listen(QtestAccel *s, Error **errp)
{
    struct sockaddr_un sa;
    struct stat st;
    int fd, ret;

    ret = qtest_unix_addr(s->path, &sa, errp);
    if (ret < 0) {
        return ret;
    }
    /* A socket left by an earlier run would make bind() fail. */
    if (lstat(s->path, &st) == 0 && S_ISSOCK(st.st_mode)) {
        unlink(s->path);
    }
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) {
        error_setg_errno(errp, errno, "cannot create the qtest socket");
        return -errno;
    }
    if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
        listen(fd, 4) < 0) {
        ret = -errno;
        error_setg_errno(errp, -ret, "cannot listen at %s", s->path);
        close(fd);
        return ret;
    }
    s->listen_fd = fd;
    qemu_set_fd_handler(fd, qtest_accept_cb, NULL, s);
    return 0;
}

/* ------------------------------------------------------------------ */
/* The accelerator                                                     */
/* ------------------------------------------------------------------ */

int vmm_qtest_configure(VmmMachine *m, const char *chardev,
                        const char *log_path, Error **errp)
{
    QtestAccel *s;
    const char *spec;
    char **parts;
    bool server = false;
    int i;

    if (m->accel != &vmm_qtest_accel || m->accel_state) {
        error_report("vmm_qtest_configure: call it once, on a machine "
                     "created with vmm_qtest_accel");
        abort();
    }
    if (strcmp(chardev, "stdio") && !g_str_has_prefix(chardev, "unix:")) {
        error_setg(errp, "-qtest takes unix:PATH[,server] or stdio, not "
                   "'%s'", chardev);
        return -EINVAL;
    }
    spec = chardev + strlen("unix:");
    parts = g_strsplit(spec, ",", -1);
    for (i = 1; strcmp(chardev, "stdio") && parts[i]; i++) {
        if (!strcmp(parts[i], "server") || !strcmp(parts[i], "server=on")) {
            server = true;
        } else if (!strcmp(parts[i], "wait=off") ||
                   !strcmp(parts[i], "nowait")) {
            /* we never wait for the client before running: accepted */
        } else {
            error_setg(errp, "-qtest: unknown option '%s' in '%s'",
                       parts[i], chardev);
            g_strfreev(parts);
            return -EINVAL;
        }
    }
    if (strcmp(chardev, "stdio") && !parts[0][0]) {
        error_setg(errp, "-qtest: unix: needs a socket path");
        g_strfreev(parts);
        return -EINVAL;
    }

    s = g_new0(QtestAccel, 1);
    s->machine = m;
    s->path = strcmp(chardev, "stdio") ? g_strdup(parts[0]) : NULL;
    s->server = server;
    s->listen_fd = -1;
    s->in_fd = s->out_fd = -1;
    s->outbuf = g_string_new(NULL);
    g_strfreev(parts);
    if (log_path) {
        s->log = fopen(log_path, "w");
        if (!s->log) {
            error_setg_errno(errp, errno, "cannot open qtest log %s",
                             log_path);
            g_string_free(s->outbuf, true);
            g_free(s->path);
            g_free(s);
            return -errno;
        }
    }
    m->accel_state = s;
    return 0;
}

static int qtest_accel_init(VmmMachine *m, Error **errp)
{
    QtestAccel *s = qtest_state(m);

    if (!s) {
        error_setg(errp, "the qtest accelerator needs -qtest "
                   "unix:PATH or -qtest stdio");
        return -EINVAL;
    }
    /* Guest RAM is vmm_machine_new()'s mapping: nothing to map here. */
    s->proto = qtest_proto_new(m, qtest_send, s);
    qtest_proto_set_log(s->proto, s->log);
    return 0;
}

static void qtest_accel_irq_set(VmmMachine *m, VmmIrq *irq, bool level)
{
    QtestAccel *s = qtest_state(m);

    if (s && s->proto) {
        qtest_proto_irq(s->proto, irq->gsi, level);
    }
}

static int qtest_accel_start(VmmMachine *m, Error **errp)
{
    QtestAccel *s = qtest_state(m);

    /* A vanished client must end in EPIPE, not in a fatal signal. */
    signal(SIGPIPE, SIG_IGN);
    qemu_clock_enable(QEMU_CLOCK_VIRTUAL, true);
    s->started = true;
    if (!s->path) {
        qtest_attach(s, STDIN_FILENO, STDOUT_FILENO, false);
        return 0;
    }
    return s->server ? qtest_listen(s, errp) : qtest_connect(s, errp);
}

/* Give the last replies (e.g. to an exit write) a chance to arrive. */
static void qtest_drain(QtestAccel *s)
{
    int64_t deadline = get_clock() + QTEST_DRAIN_TIMEOUT_MS * SCALE_MS;
    struct pollfd pfd;

    while (s->in_fd >= 0 && s->outbuf->len && !s->broken) {
        int64_t left = deadline - get_clock();

        if (left <= 0) {
            break;
        }
        pfd.fd = s->out_fd;
        pfd.events = POLLOUT;
        pfd.revents = 0;
        if (poll(&pfd, 1, left / SCALE_MS + 1) < 0 && errno != EINTR) {
            break;
        }
        qtest_flush(s);
    }
}

static void qtest_accel_stop(VmmMachine *m)
{
    QtestAccel *s = qtest_state(m);

    if (!s || !s->started) {
        return;
    }
    qtest_drain(s);
    qtest_detach(s);
    if (s->listen_fd >= 0) {
        qemu_set_fd_handler(s->listen_fd, NULL, NULL, NULL);
        close(s->listen_fd);
        s->listen_fd = -1;
        unlink(s->path);
    }
    qemu_clock_enable(QEMU_CLOCK_VIRTUAL, false);
    s->started = false;
}

static void qtest_accel_cleanup(VmmMachine *m)
{
    QtestAccel *s = qtest_state(m);

    if (!s) {
        return;
    }
    qtest_proto_free(s->proto);
    g_string_free(s->outbuf, true);
    if (s->log) {
        fclose(s->log);
    }
    g_free(s->path);
    g_free(s);
    m->accel_state = NULL;
}

const VmmAccelOps vmm_qtest_accel = {
    .name = "qtest",
    .init = qtest_accel_init,
    /* No ioeventfd_add: vmm_io_dispatch() signals the eventfd itself. */
    .irq_set = qtest_accel_irq_set,
    .start = qtest_accel_start,
    .stop = qtest_accel_stop,
    /* No clock_sync: the virtual clock moves only on client request. */
    .cleanup = qtest_accel_cleanup,
};
