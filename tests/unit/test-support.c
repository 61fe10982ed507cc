/*
 * qemuutil: tests for the support layer (lists, notifiers, errors, bit and
 * string helpers, compiler macros).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * The concurrent list test comes first; error paths that abort or exit are
 * run in subprocesses with g_test_trap_subprocess().  RCU has its own
 * program, test-rcu.
 */
#include "qemu/osdep.h"

#include "qemu/queue.h"
#include "qemu/atomic.h"
#include "qemu/thread.h"
#include "qemu/notify.h"
#include "qemu/bitops.h"
#include "qemu/bitmap.h"
#include "qemu/host-utils.h"
#include "qemu/cutils.h"
#include "qemu/coroutine-tls.h"
#include "qemu/error-report.h"
#include "qapi/error.h"

/* ---------------------------------------------------------------------- */
/* QSLIST atomic push / take-all from several threads                      */
/* ---------------------------------------------------------------------- */

#define PUSH_THREADS 2
#define PUSH_ITEMS 50000

typedef struct PushItem {
    int owner;
    int seq;
    QSLIST_ENTRY(PushItem) next;
} PushItem;

static QSLIST_HEAD(, PushItem) push_list = QSLIST_HEAD_INITIALIZER(push_list);
static int push_gate;           /* atomic: threads ready to start */
static int push_done;           /* atomic: threads finished pushing */

static void *push_thread(void *opaque)
{
    PushItem *items = opaque;
    int i;

    /* Start together so that the pushes really contend. */
    qatomic_inc(&push_gate);
    while (qatomic_read(&push_gate) < PUSH_THREADS + 1) {
        cpu_relax();
    }
    for (i = 0; i < PUSH_ITEMS; i++) {
        QSLIST_INSERT_HEAD_ATOMIC(&push_list, &items[i], next);
    }
    qatomic_inc(&push_done);
    return NULL;
}

/*
 * Two producers push while the main thread repeatedly takes the whole
 * list.  A lost or duplicated push (e.g. a non-atomic INSERT_HEAD) shows
 * up as a wrong count; per-producer order must be preserved, i.e. each
 * taken batch lists a producer's items newest first.
 */
static void test_qslist_atomic(void)
{
    QemuThread threads[PUSH_THREADS];
    PushItem *items[PUSH_THREADS];
    int *seen = g_new0(int, PUSH_THREADS * PUSH_ITEMS);
    long total = 0;
    int t, i;

    for (t = 0; t < PUSH_THREADS; t++) {
        items[t] = g_new0(PushItem, PUSH_ITEMS);
        for (i = 0; i < PUSH_ITEMS; i++) {
            items[t][i].owner = t;
            items[t][i].seq = i;
        }
        qemu_thread_create(&threads[t], "pusher", push_thread, items[t],
                           QEMU_THREAD_JOINABLE);
    }
    qatomic_inc(&push_gate);

    for (;;) {
        QSLIST_HEAD(, PushItem) batch;
        PushItem *it;
        int last[PUSH_THREADS];
        bool finished = qatomic_read(&push_done) == PUSH_THREADS;

        for (t = 0; t < PUSH_THREADS; t++) {
            last[t] = INT_MAX;
        }
        QSLIST_MOVE_ATOMIC(&batch, &push_list);
        /* Once the producers are done, the take leaves nothing behind. */
        g_assert_true(!finished ||
                      qatomic_read(&push_list.slh_first) == NULL);
        QSLIST_FOREACH(it, &batch, next) {
            g_assert_cmpint(it->seq, <, last[it->owner]);
            last[it->owner] = it->seq;
            seen[it->owner * PUSH_ITEMS + it->seq]++;
            total++;
        }
        if (finished) {
            /* Everything pushed before push_done is in this last batch. */
            break;
        }
    }

    g_assert_cmpint(total, ==, PUSH_THREADS * PUSH_ITEMS);
    for (i = 0; i < PUSH_THREADS * PUSH_ITEMS; i++) {
        g_assert_cmpint(seen[i], ==, 1);
    }
    for (t = 0; t < PUSH_THREADS; t++) {
        qemu_thread_join(&threads[t]);
        g_free(items[t]);
    }
    g_free(seen);
}

/* ---------------------------------------------------------------------- */
/* QLIST                                                                   */
/* ---------------------------------------------------------------------- */

typedef struct Node {
    int val;
    QLIST_ENTRY(Node) link;
    QTAILQ_ENTRY(Node) tlink;
    QSIMPLEQ_ENTRY(Node) slink;
    QSLIST_ENTRY(Node) sllink;
} Node;

typedef QLIST_HEAD(, Node) NodeList;
typedef QTAILQ_HEAD(NodeTailq, Node) NodeTailq;
typedef QSIMPLEQ_HEAD(, Node) NodeSimpleq;
typedef QSLIST_HEAD(, Node) NodeSlist;

/* Writes the values of a list walk into buf as "1 2 3". */
#define LIST_STR(buf, var, foreach_head)                                \
    do {                                                                \
        (buf)[0] = '\0';                                                \
        foreach_head {                                                  \
            g_snprintf((buf) + strlen(buf), sizeof(buf) - strlen(buf),  \
                       "%s%d", (buf)[0] ? " " : "", (var)->val);        \
        }                                                               \
    } while (0)

static void test_qlist(void)
{
    NodeList list = QLIST_HEAD_INITIALIZER(list);
    NodeList other;
    Node n[5], *var, *next;
    char buf[64];
    int i;

    for (i = 0; i < 5; i++) {
        n[i].val = i;
        n[i].link.le_prev = NULL;
        n[i].link.le_next = NULL;
    }
    g_assert_true(QLIST_EMPTY(&list));
    g_assert_false(QLIST_IS_INSERTED(&n[0], link));

    QLIST_INSERT_HEAD(&list, &n[2], link);
    QLIST_INSERT_HEAD(&list, &n[0], link);
    QLIST_INSERT_AFTER(&n[2], &n[4], link);
    QLIST_INSERT_BEFORE(&n[2], &n[1], link);
    QLIST_INSERT_BEFORE(&n[4], &n[3], link);
    LIST_STR(buf, var, QLIST_FOREACH(var, &list, link));
    g_assert_cmpstr(buf, ==, "0 1 2 3 4");
    g_assert_true(QLIST_FIRST(&list) == &n[0]);
    g_assert_true(QLIST_NEXT(&n[3], link) == &n[4]);
    g_assert_true(QLIST_IS_INSERTED(&n[4], link));

    /* Removing the current element (and freeing it) inside _SAFE. */
    QLIST_FOREACH_SAFE(var, &list, link, next) {
        if (var->val % 2 == 0) {
            QLIST_REMOVE(var, link);
            memset(&var->link, 0xa5, sizeof(var->link));
            var->link.le_prev = NULL;
        }
    }
    LIST_STR(buf, var, QLIST_FOREACH(var, &list, link));
    g_assert_cmpstr(buf, ==, "1 3");
    g_assert_false(QLIST_IS_INSERTED(&n[0], link));

    /* SAFE_REMOVE is a no-op on an unlinked element, else a removal. */
    QLIST_SAFE_REMOVE(&n[0], link);
    QLIST_SAFE_REMOVE(&n[3], link);
    g_assert_false(QLIST_IS_INSERTED(&n[3], link));
    g_assert_null(n[3].link.le_next);
    LIST_STR(buf, var, QLIST_FOREACH(var, &list, link));
    g_assert_cmpstr(buf, ==, "1");

    /* SWAP moves the contents and fixes the first element's back link. */
    QLIST_INIT(&other);
    QLIST_INSERT_HEAD(&other, &n[4], link);
    QLIST_INSERT_HEAD(&other, &n[2], link);
    QLIST_SWAP(&list, &other, link);
    LIST_STR(buf, var, QLIST_FOREACH(var, &list, link));
    g_assert_cmpstr(buf, ==, "2 4");
    QLIST_REMOVE(&n[2], link);          /* uses le_prev == &list.lh_first */
    LIST_STR(buf, var, QLIST_FOREACH(var, &list, link));
    g_assert_cmpstr(buf, ==, "4");
    LIST_STR(buf, var, QLIST_FOREACH(var, &other, link));
    g_assert_cmpstr(buf, ==, "1");
    QLIST_REMOVE(&n[1], link);
    g_assert_true(QLIST_EMPTY(&other));
}

/* ---------------------------------------------------------------------- */
/* QTAILQ                                                                  */
/* ---------------------------------------------------------------------- */

static NodeTailq static_tailq = QTAILQ_HEAD_INITIALIZER(static_tailq);

static void test_qtailq(void)
{
    NodeTailq q;
    Node n[6], *var, *prev, *next;
    char buf[64];
    int i;

    for (i = 0; i < 6; i++) {
        n[i].val = i;
        n[i].tlink.tqe_circ.tql_prev = NULL;
    }

    /* A statically initialised head works like an initialised one. */
    g_assert_true(QTAILQ_EMPTY(&static_tailq));
    g_assert_null(QTAILQ_LAST(&static_tailq));
    QTAILQ_INSERT_TAIL(&static_tailq, &n[5], tlink);
    g_assert_true(QTAILQ_LAST(&static_tailq) == &n[5]);
    g_assert_null(QTAILQ_PREV(&n[5], tlink));
    QTAILQ_REMOVE(&static_tailq, &n[5], tlink);
    g_assert_true(QTAILQ_EMPTY(&static_tailq));
    g_assert_false(QTAILQ_IN_USE(&n[5], tlink));

    QTAILQ_INIT(&q);
    QTAILQ_INSERT_TAIL(&q, &n[2], tlink);
    QTAILQ_INSERT_HEAD(&q, &n[0], tlink);
    QTAILQ_INSERT_AFTER(&q, &n[2], &n[4], tlink);    /* new tail */
    QTAILQ_INSERT_AFTER(&q, &n[0], &n[1], tlink);
    QTAILQ_INSERT_BEFORE(&n[4], &n[3], tlink);
    LIST_STR(buf, var, QTAILQ_FOREACH(var, &q, tlink));
    g_assert_cmpstr(buf, ==, "0 1 2 3 4");
    LIST_STR(buf, var, QTAILQ_FOREACH_REVERSE(var, &q, tlink));
    g_assert_cmpstr(buf, ==, "4 3 2 1 0");
    g_assert_true(QTAILQ_FIRST(&q) == &n[0]);
    g_assert_true(QTAILQ_LAST(&q) == &n[4]);
    g_assert_true(QTAILQ_PREV(&n[3], tlink) == &n[2]);
    g_assert_null(QTAILQ_PREV(&n[0], tlink));
    g_assert_null(QTAILQ_NEXT(&n[4], tlink));
    g_assert_true(QTAILQ_IN_USE(&n[3], tlink));

    /* Remove the current element while walking backwards. */
    QTAILQ_FOREACH_REVERSE_SAFE(var, &q, tlink, prev) {
        if (var->val == 4 || var->val == 1) {
            QTAILQ_REMOVE(&q, var, tlink);
        }
    }
    LIST_STR(buf, var, QTAILQ_FOREACH(var, &q, tlink));
    g_assert_cmpstr(buf, ==, "0 2 3");
    g_assert_true(QTAILQ_LAST(&q) == &n[3]);
    g_assert_false(QTAILQ_IN_USE(&n[4], tlink));

    /* Tail insertion after removing the old tail must use the new tail. */
    QTAILQ_INSERT_TAIL(&q, &n[5], tlink);
    LIST_STR(buf, var, QTAILQ_FOREACH_REVERSE(var, &q, tlink));
    g_assert_cmpstr(buf, ==, "5 3 2 0");

    /* REMOVE_SEVERAL unlinks a run in one step. */
    QTAILQ_REMOVE_SEVERAL(&q, &n[2], &n[3], tlink);
    LIST_STR(buf, var, QTAILQ_FOREACH(var, &q, tlink));
    g_assert_cmpstr(buf, ==, "0 5");
    LIST_STR(buf, var, QTAILQ_FOREACH_REVERSE(var, &q, tlink));
    g_assert_cmpstr(buf, ==, "5 0");

    /* Remove everything while walking forwards. */
    QTAILQ_FOREACH_SAFE(var, &q, tlink, next) {
        QTAILQ_REMOVE(&q, var, tlink);
    }
    g_assert_true(QTAILQ_EMPTY(&q));
    g_assert_null(QTAILQ_LAST(&q));
    QTAILQ_INSERT_HEAD(&q, &n[1], tlink);
    g_assert_true(QTAILQ_LAST(&q) == &n[1]);
}

/* The untyped accessors reach the same links as the typed macros. */
static void test_qtailq_raw(void)
{
    NodeTailq q = QTAILQ_HEAD_INITIALIZER(q);
    NodeList l = QLIST_HEAD_INITIALIZER(l);
    Node n[3];
    Node *var;
    void *raw;
    char buf[32];
    size_t toff = offsetof(Node, tlink), loff = offsetof(Node, link);
    int i;

    for (i = 0; i < 3; i++) {
        n[i].val = i;
        QTAILQ_RAW_INSERT_TAIL(&q, &n[i], toff);
    }
    LIST_STR(buf, var, QTAILQ_FOREACH_REVERSE(var, &q, tlink));
    g_assert_cmpstr(buf, ==, "2 1 0");
    i = 0;
    QTAILQ_RAW_FOREACH(raw, &q, toff) {
        g_assert_true(raw == &n[i++]);
    }
    g_assert_cmpint(i, ==, 3);

    QLIST_RAW_INSERT_HEAD(&l, &n[0], loff);
    QLIST_RAW_INSERT_AFTER(&l, &n[0], &n[2], loff);
    QLIST_RAW_INSERT_HEAD(&l, &n[1], loff);
    LIST_STR(buf, var, QLIST_FOREACH(var, &l, link));
    g_assert_cmpstr(buf, ==, "1 0 2");
    QLIST_REMOVE(&n[0], link);         /* back links were set correctly */
    QLIST_REMOVE(&n[1], link);
    LIST_STR(buf, var, QLIST_FOREACH(var, &l, link));
    g_assert_cmpstr(buf, ==, "2");
}

/* ---------------------------------------------------------------------- */
/* QSIMPLEQ and QSLIST                                                     */
/* ---------------------------------------------------------------------- */

static void test_qsimpleq(void)
{
    NodeSimpleq a = QSIMPLEQ_HEAD_INITIALIZER(a);
    NodeSimpleq b, rest;
    Node n[8], *var, *next;
    char buf[64];
    int i;

    for (i = 0; i < 8; i++) {
        n[i].val = i;
    }
    g_assert_null(QSIMPLEQ_LAST(&a, Node, slink));
    QSIMPLEQ_INSERT_TAIL(&a, &n[1], slink);
    QSIMPLEQ_INSERT_HEAD(&a, &n[0], slink);
    QSIMPLEQ_INSERT_AFTER(&a, &n[1], &n[3], slink);   /* new last */
    QSIMPLEQ_INSERT_AFTER(&a, &n[1], &n[2], slink);
    QSIMPLEQ_INSERT_TAIL(&a, &n[4], slink);
    LIST_STR(buf, var, QSIMPLEQ_FOREACH(var, &a, slink));
    g_assert_cmpstr(buf, ==, "0 1 2 3 4");
    g_assert_true(QSIMPLEQ_LAST(&a, Node, slink) == &n[4]);
    g_assert_false(QSIMPLEQ_EMPTY_ATOMIC(&a));

    /* Removing the tail must move sqh_last back. */
    QSIMPLEQ_REMOVE(&a, &n[4], Node, slink);
    g_assert_true(QSIMPLEQ_LAST(&a, Node, slink) == &n[3]);
    QSIMPLEQ_REMOVE_HEAD(&a, slink);
    QSIMPLEQ_FOREACH_SAFE(var, &a, slink, next) {
        if (var->val == 2) {
            QSIMPLEQ_REMOVE(&a, var, Node, slink);
        }
    }
    QSIMPLEQ_INSERT_TAIL(&a, &n[4], slink);
    LIST_STR(buf, var, QSIMPLEQ_FOREACH(var, &a, slink));
    g_assert_cmpstr(buf, ==, "1 3 4");

    /* CONCAT empties the second queue; the result's tail is usable. */
    QSIMPLEQ_INIT(&b);
    QSIMPLEQ_INSERT_TAIL(&b, &n[5], slink);
    QSIMPLEQ_INSERT_TAIL(&b, &n[6], slink);
    QSIMPLEQ_CONCAT(&a, &b);
    g_assert_true(QSIMPLEQ_EMPTY(&b));
    QSIMPLEQ_INSERT_TAIL(&a, &n[7], slink);
    LIST_STR(buf, var, QSIMPLEQ_FOREACH(var, &a, slink));
    g_assert_cmpstr(buf, ==, "1 3 4 5 6 7");

    /* SPLIT_AFTER: the front up to and including @elm moves out. */
    QSIMPLEQ_SPLIT_AFTER(&a, &n[4], slink, &rest);
    LIST_STR(buf, var, QSIMPLEQ_FOREACH(var, &rest, slink));
    g_assert_cmpstr(buf, ==, "1 3 4");
    LIST_STR(buf, var, QSIMPLEQ_FOREACH(var, &a, slink));
    g_assert_cmpstr(buf, ==, "5 6 7");
    g_assert_true(QSIMPLEQ_LAST(&rest, Node, slink) == &n[4]);

    /* PREPEND puts @rest in front of @a. */
    QSIMPLEQ_PREPEND(&a, &rest);
    g_assert_true(QSIMPLEQ_EMPTY(&rest));
    LIST_STR(buf, var, QSIMPLEQ_FOREACH(var, &a, slink));
    g_assert_cmpstr(buf, ==, "1 3 4 5 6 7");

    /* PREPEND onto an empty queue must leave a valid tail pointer. */
    QSIMPLEQ_INIT(&b);
    QSIMPLEQ_SPLIT_AFTER(&a, &n[3], slink, &rest);
    QSIMPLEQ_PREPEND(&b, &rest);
    QSIMPLEQ_INSERT_TAIL(&b, &n[0], slink);
    LIST_STR(buf, var, QSIMPLEQ_FOREACH(var, &b, slink));
    g_assert_cmpstr(buf, ==, "1 3 0");

    /* Draining by REMOVE_HEAD resets the tail. */
    while (!QSIMPLEQ_EMPTY(&b)) {
        QSIMPLEQ_REMOVE_HEAD(&b, slink);
    }
    QSIMPLEQ_INSERT_TAIL(&b, &n[2], slink);
    g_assert_true(QSIMPLEQ_FIRST(&b) == &n[2]);
    g_assert_true(QSIMPLEQ_EMPTY_ATOMIC(&rest));
}

static void test_qslist(void)
{
    NodeSlist l = QSLIST_HEAD_INITIALIZER(l);
    Node n[5], *var, *next;
    char buf[64];
    int i;

    for (i = 0; i < 5; i++) {
        n[i].val = i;
    }
    QSLIST_INSERT_HEAD(&l, &n[3], sllink);
    QSLIST_INSERT_HEAD(&l, &n[0], sllink);
    QSLIST_INSERT_AFTER(&n[0], &n[1], sllink);
    QSLIST_INSERT_AFTER(&n[1], &n[2], sllink);
    QSLIST_INSERT_AFTER(&n[3], &n[4], sllink);
    LIST_STR(buf, var, QSLIST_FOREACH(var, &l, sllink));
    g_assert_cmpstr(buf, ==, "0 1 2 3 4");

    QSLIST_REMOVE(&l, &n[4], Node, sllink);
    QSLIST_REMOVE_AFTER(&n[1], sllink);
    g_assert_null(QSLIST_NEXT(&n[2], sllink));
    QSLIST_REMOVE_HEAD(&l, sllink);
    LIST_STR(buf, var, QSLIST_FOREACH(var, &l, sllink));
    g_assert_cmpstr(buf, ==, "1 3");

    QSLIST_FOREACH_SAFE(var, &l, sllink, next) {
        QSLIST_REMOVE(&l, var, Node, sllink);
    }
    g_assert_true(QSLIST_EMPTY(&l));
    g_assert_null(QSLIST_FIRST(&l));
}

/* ---------------------------------------------------------------------- */
/* Notifiers                                                               */
/* ---------------------------------------------------------------------- */

typedef struct Probe {
    Notifier n;
    NotifierList *list;
    GString *log;
    char tag;
    bool remove_self;
} Probe;

static void probe_notify(Notifier *notifier, void *data)
{
    Probe *p = container_of(notifier, Probe, n);

    g_string_append_c(p->log, p->tag);
    g_assert_true(data == p->log);
    if (p->remove_self) {
        notifier_remove(notifier);
        /* Poison the link, as freeing the probe would. */
        memset(&p->n.node, 0x5a, sizeof(p->n.node));
    }
}

static void test_notifier_list(void)
{
    NotifierList list = NOTIFIER_LIST_INITIALIZER(list);
    GString *log = g_string_new("");
    Probe p[3];
    int i;

    g_assert_true(notifier_list_empty(&list));
    for (i = 0; i < 3; i++) {
        p[i] = (Probe) { .n.notify = probe_notify, .log = log,
                         .tag = 'a' + i, .list = &list };
        notifier_list_add(&list, &p[i].n);
    }
    g_assert_false(notifier_list_empty(&list));

    /* Newest first; the middle one removes itself during the walk. */
    p[1].remove_self = true;
    notifier_list_notify(&list, log);
    g_assert_cmpstr(log->str, ==, "cba");
    g_string_truncate(log, 0);
    notifier_list_notify(&list, log);
    g_assert_cmpstr(log->str, ==, "ca");

    /* All of them removing themselves empties the list. */
    p[0].remove_self = p[2].remove_self = true;
    g_string_truncate(log, 0);
    notifier_list_notify(&list, log);
    g_assert_cmpstr(log->str, ==, "ca");
    g_assert_true(notifier_list_empty(&list));

    /* notifier_remove outside a walk; notifier_list_init resets. */
    p[0].remove_self = false;
    notifier_list_init(&list);
    notifier_list_add(&list, &p[0].n);
    notifier_remove(&p[0].n);
    g_assert_true(notifier_list_empty(&list));
    g_string_free(log, TRUE);
}

typedef struct RetProbe {
    NotifierWithReturn n;
    int ret;
    int calls;
} RetProbe;

static int ret_probe_notify(NotifierWithReturn *notifier, void *data,
                            Error **errp)
{
    RetProbe *p = container_of(notifier, RetProbe, n);

    p->calls++;
    if (p->ret) {
        error_setg(errp, "probe %d failed", p->ret);
    }
    return p->ret;
}

static void test_notifier_with_return(void)
{
    NotifierWithReturnList list;
    RetProbe p[3] = {
        { .n.notify = ret_probe_notify, .ret = 0 },
        { .n.notify = ret_probe_notify, .ret = -EIO },
        { .n.notify = ret_probe_notify, .ret = 0 },
    };
    Error *err = NULL;
    int i;

    notifier_with_return_list_init(&list);
    g_assert_cmpint(notifier_with_return_list_notify(&list, NULL, &err),
                    ==, 0);
    for (i = 0; i < 3; i++) {
        notifier_with_return_list_add(&list, &p[i].n);
    }
    /* Called p[2], p[1] (fails), and never p[0]. */
    g_assert_cmpint(notifier_with_return_list_notify(&list, NULL, &err),
                    ==, -EIO);
    g_assert_cmpint(p[2].calls, ==, 1);
    g_assert_cmpint(p[1].calls, ==, 1);
    g_assert_cmpint(p[0].calls, ==, 0);
    g_assert_nonnull(err);
    g_assert_cmpstr(error_get_pretty(err), ==, "probe -5 failed");
    error_free(err);
    err = NULL;

    notifier_with_return_remove(&p[1].n);
    g_assert_cmpint(notifier_with_return_list_notify(&list, NULL, &err),
                    ==, 0);
    g_assert_null(err);
    g_assert_cmpint(p[0].calls, ==, 1);
}

/* ---------------------------------------------------------------------- */
/* Error                                                                   */
/* ---------------------------------------------------------------------- */

static bool failing_call(int code, Error **errp)
{
    error_setg(errp, "failed with %d", code);
    return false;
}

static void test_error_basic(void)
{
    Error *err = NULL, *copy;
    Error *dst = NULL;

    /* NULL errp: ignored, errno preserved. */
    errno = EBADF;
    g_assert_false(failing_call(1, NULL));
    g_assert_cmpint(errno, ==, EBADF);

    failing_call(2, &err);
    g_assert_nonnull(err);
    g_assert_cmpstr(error_get_pretty(err), ==, "failed with 2");
    g_assert_cmpint(error_get_class(err), ==, ERROR_CLASS_GENERIC_ERROR);

    copy = error_copy(err);
    error_propagate(&dst, err);
    g_assert_true(dst == err);

    /* Propagating into a set destination keeps the first error. */
    error_propagate(&dst, copy);
    g_assert_cmpstr(error_get_pretty(dst), ==, "failed with 2");

    /* Propagating NULL or into NULL is fine. */
    error_propagate(&dst, NULL);
    error_propagate(NULL, error_copy(dst));
    error_free_or_abort(&dst);
    g_assert_null(dst);
    error_free(NULL);
}

static void test_error_errno_prepend_hint(void)
{
    Error *err = NULL, *dst = NULL;

    error_setg_errno(&err, ENOENT, "open %s", "x");
    g_assert_cmpstr(error_get_pretty(err), ==,
                    "open x: No such file or directory");
    error_prepend(&err, "dev %d: ", 7);
    g_assert_cmpstr(error_get_pretty(err), ==,
                    "dev 7: open x: No such file or directory");
    error_free(err);
    err = NULL;

    error_setg_errno(&err, 0, "plain");
    g_assert_cmpstr(error_get_pretty(err), ==, "plain");
    error_append_hint(&err, "try %s\n", "harder");
    error_append_hint(&err, "or not\n");
    error_propagate_prepend(&dst, err, "ctx: ");
    err = NULL;                 /* now owned by dst */
    g_assert_cmpstr(error_get_pretty(dst), ==, "ctx: plain");
    error_free(dst);

    /* error_prepend()/error_append_hint() on NULL do nothing. */
    error_prepend(NULL, "x");
    error_append_hint(NULL, "x");
    error_setg_file_open(&err, EACCES, "/f");
    g_assert_cmpstr(error_get_pretty(err), ==,
                    "Could not open '/f': Permission denied");
    error_free(err);
}

/* A callee using ERRP_GUARD() to add a hint even for NULL / error_fatal. */
static bool guarded_callee(Error **errp)
{
    ERRP_GUARD();

    failing_call(3, errp);
    if (*errp) {
        error_append_hint(errp, "the hint\n");
        return false;
    }
    return true;
}

static void test_error_guard(void)
{
    Error *err = NULL;

    g_assert_false(guarded_callee(NULL));
    g_assert_false(guarded_callee(&err));
    g_assert_cmpstr(error_get_pretty(err), ==, "failed with 3");
    error_free(err);

    if (g_test_subprocess()) {
        g_set_prgname("guard-test");
        guarded_callee(&error_fatal);
        return;     /* not reached */
    }
    g_test_trap_subprocess(NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
    g_test_trap_assert_failed();
    g_test_trap_assert_stderr("guard-test: failed with 3\nthe hint\n");
}

static void test_error_abort(void)
{
    if (g_test_subprocess()) {
        failing_call(4, &error_abort);
        return;
    }
    g_test_trap_subprocess(NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
    g_test_trap_assert_failed();
    g_test_trap_assert_stderr("Unexpected error in failing_call() at "
                              "*test-support.c:*failed with 4*");
}

static void test_error_fatal(void)
{
    if (g_test_subprocess()) {
        Error *err = NULL;

        g_set_prgname("fatal-test");
        failing_call(5, &err);
        error_propagate(&error_fatal, err);
        exit(0);    /* would make the test fail */
    }
    g_test_trap_subprocess(NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
    g_test_trap_assert_failed();
    g_test_trap_assert_stderr("fatal-test: failed with 5\n");
}

static void test_error_warn(void)
{
    if (g_test_subprocess()) {
        g_set_prgname("warn-test");
        failing_call(6, &error_warn);
        return;     /* a warning does not stop the program */
    }
    g_test_trap_subprocess(NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
    g_test_trap_assert_passed();
    g_test_trap_assert_stderr("warn-test: warning: failed with 6\n");
}

static void test_error_double_set(void)
{
    if (g_test_subprocess()) {
        Error *err = NULL;

        failing_call(7, &err);
        failing_call(8, &err);
        return;
    }
    g_test_trap_subprocess(NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
    g_test_trap_assert_failed();
    g_test_trap_assert_stderr("*already set*failed with 7*");
}

static void test_error_free_or_abort_unset(void)
{
    if (g_test_subprocess()) {
        Error *err = NULL;

        error_free_or_abort(&err);
        return;
    }
    g_test_trap_subprocess(NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
    g_test_trap_assert_failed();
}

static void test_error_report_format(void)
{
    if (g_test_subprocess()) {
        int i;

        g_set_prgname("rep");
        error_report("e%d", 1);
        warn_report("w%d", 2);
        info_report("i%d", 3);
        error_printf("raw|");
        for (i = 0; i < 3; i++) {
            error_report_once("once %d", i);
            warn_report_once("wonce");
        }
        return;
    }
    g_test_trap_subprocess(NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
    g_test_trap_assert_passed();
    g_test_trap_assert_stderr("rep: e1\nrep: warning: w2\nrep: info: i3\n"
                              "raw|rep: once 0\nrep: warning: wonce\n");
}

/* ---------------------------------------------------------------------- */
/* Compiler macros, bit helpers, integer helpers, strings, TLS             */
/* ---------------------------------------------------------------------- */

#define TEST_DEFINED_EMPTY
#define TEST_DEFINED_ONE 1

static void test_is_enabled(void)
{
    g_assert_cmpint(IS_ENABLED(TEST_DEFINED_EMPTY), ==, 1);
    g_assert_cmpint(IS_ENABLED(TEST_NEVER_DEFINED), ==, 0);
    g_assert_cmpint(IS_ENABLED(CONFIG_LINUX), ==, 1);
    g_assert_cmpint(IS_ENABLED(CONFIG_TEST_NOT_A_FEATURE), ==, 0);
    /* Usable in constant expressions. */
    QEMU_BUILD_BUG_ON(IS_ENABLED(TEST_NEVER_DEFINED));
    g_assert_cmpint(QEMU_BUILD_BUG_ON_ZERO(0), ==, 0);
}

/* Reference implementation for the bit searches. */
static unsigned long naive_next(const unsigned long *map, unsigned long size,
                                unsigned long off, bool want)
{
    for (; off < size; off++) {
        if (!!test_bit(off, map) == want) {
            return off;
        }
    }
    return size;
}

static void test_bitops_search(void)
{
    const unsigned long nbits = 3 * BITS_PER_LONG + 7;
    unsigned long map[BITS_TO_LONGS(3 * 64 + 7) + 1];
    GRand *rand = g_rand_new_with_seed(42);
    unsigned long size, off, last;
    int round, i;

    for (round = 0; round < 200; round++) {
        /* Random sparse bits, and garbage past @size in the last word. */
        memset(map, 0, sizeof(map));
        for (i = 0; i < round % 9; i++) {
            set_bit(g_rand_int_range(rand, 0, BITS_PER_LONG * 4), map);
        }
        if (round % 3 == 0) {
            map[0] = ~0UL;
        }
        size = g_rand_int_range(rand, 0, nbits + 1);
        for (off = 0; off <= size; off++) {
            g_assert_cmpuint(find_next_bit(map, size, off), ==,
                             naive_next(map, size, off, true));
            g_assert_cmpuint(find_next_zero_bit(map, size, off), ==,
                             naive_next(map, size, off, false));
        }
        g_assert_cmpuint(find_first_bit(map, size), ==,
                         naive_next(map, size, 0, true));
        g_assert_cmpuint(find_first_zero_bit(map, size), ==,
                         naive_next(map, size, 0, false));
        last = size;
        for (off = 0; off < size; off++) {
            if (test_bit(off, map)) {
                last = off;
            }
        }
        g_assert_cmpuint(find_last_bit(map, size), ==, last);
    }
    g_rand_free(rand);
}

static void test_bitops_bits(void)
{
    unsigned long map[2] = { 0, 0 };

    g_assert_cmphex(BIT(3), ==, 8);
    g_assert_cmphex(BIT_ULL(40), ==, 0x10000000000ULL);
    g_assert_cmphex(MAKE_64BIT_MASK(4, 8), ==, 0xff0);
    g_assert_cmphex(MAKE_64BIT_MASK(0, 64), ==, ~0ULL);
    g_assert_cmpuint(BIT_WORD(BITS_PER_LONG + 1), ==, 1);
    g_assert_cmphex(BIT_MASK(BITS_PER_LONG + 1), ==, 2);

    set_bit(BITS_PER_LONG + 1, map);
    g_assert_cmphex(map[1], ==, 2);
    g_assert_true(test_bit(BITS_PER_LONG + 1, map));
    g_assert_cmpint(test_and_set_bit(5, map), ==, 0);
    g_assert_cmpint(test_and_set_bit(5, map), ==, 1);
    g_assert_cmpint(test_and_clear_bit(5, map), ==, 1);
    g_assert_cmpint(test_and_change_bit(6, map), ==, 0);
    change_bit(6, map);
    set_bit_atomic(7, map);
    clear_bit_atomic(7, map);
    clear_bit(BITS_PER_LONG + 1, map);
    g_assert_cmphex(map[0] | map[1], ==, 0);

    g_assert_cmphex(rol32(0x80000001, 1), ==, 3);
    g_assert_cmphex(ror32(3, 1), ==, 0x80000001);
    g_assert_cmphex(rol64(1, 64), ==, 1);
    g_assert_cmphex(ror64(1, 1), ==, 0x8000000000000000ULL);
    g_assert_cmphex(extract32(0xabcd1234, 8, 8), ==, 0x12);
    g_assert_cmphex(extract64(~0ULL, 0, 64), ==, ~0ULL);
    g_assert_cmpint(sextract32(0x00000f00, 8, 4), ==, -1);
    g_assert_cmpint(sextract64(0x700, 8, 4), ==, 7);
    g_assert_cmphex(deposit32(0xffffffff, 4, 8, 0), ==, 0xfffff00f);
    g_assert_cmphex(deposit64(0, 60, 4, 0xff), ==, 0xf000000000000000ULL);
}

static void test_bitmap(void)
{
    const long nbits = 2 * BITS_PER_LONG + 10;
    unsigned long *a = bitmap_new(nbits);
    unsigned long *b = bitmap_new(nbits);
    long start, len, i;

    g_assert_true(bitmap_empty(a, nbits));
    /* Every range within the first words against a bit-by-bit oracle. */
    for (start = 0; start < BITS_PER_LONG + 3; start += 3) {
        for (len = 0; start + len <= nbits; len += 5) {
            bitmap_zero(a, nbits);
            bitmap_set(a, start, len);
            for (i = 0; i < nbits; i++) {
                g_assert_cmpint(test_bit(i, a), ==,
                                i >= start && i < start + len);
            }
            g_assert_cmpint(bitmap_count_one(a, nbits), ==, len);

            bitmap_fill(b, nbits);
            bitmap_clear(b, start, len);
            g_assert_cmpint(bitmap_count_one(b, nbits), ==, nbits - len);
            g_assert_false(bitmap_intersects(a, b, nbits));
            bitmap_or(b, b, a, nbits);
            g_assert_true(bitmap_full(b, nbits));
            g_assert_cmpint(bitmap_test_and_clear(b, start, len), ==,
                            len > 0);
            bitmap_complement(b, b, nbits);
            g_assert_true(bitmap_equal(a, b, nbits));
            g_assert_cmpint(bitmap_and(b, a, b, nbits), ==, len > 0);
            g_assert_cmpint(bitmap_test_and_clear_atomic(a, start, len), ==,
                            len > 0);
            g_assert_true(bitmap_empty(a, nbits));
            bitmap_set_atomic(a, start, len);
            g_assert_cmpint(bitmap_count_one(a, nbits), ==, len);
        }
    }

    /* Bits past nbits in the last word are ignored by the queries. */
    bitmap_zero(a, nbits);
    a[BIT_WORD(nbits)] |= BIT_MASK(nbits);
    g_assert_true(bitmap_empty(a, nbits));
    g_assert_cmpint(bitmap_count_one(a, nbits), ==, 0);

    a = bitmap_zero_extend(a, nbits, nbits + 3 * BITS_PER_LONG);
    g_assert_cmpuint(find_first_bit(a, nbits + 3 * BITS_PER_LONG), ==,
                     nbits + 3 * BITS_PER_LONG);
    g_free(a);
    g_free(b);
}

static void test_host_utils(void)
{
    uint64_t lo, hi;

    /* a * b overflows 64 bits; the quotient does not. */
    g_assert_cmpuint(muldiv64(UINT64_MAX / 2, 1000000000, 2000000000), ==,
                     UINT64_MAX / 4);
    g_assert_cmpuint(muldiv64(10, 3, 4), ==, 7);
    g_assert_cmpuint(muldiv64_round_up(10, 3, 4), ==, 8);
    mulu64(&lo, &hi, UINT64_MAX, UINT64_MAX);
    g_assert_cmphex(hi, ==, UINT64_MAX - 1);
    g_assert_cmphex(lo, ==, 1);
    muls64(&lo, &hi, -1, 1);
    g_assert_cmphex(hi, ==, UINT64_MAX);
    g_assert_cmphex(lo, ==, UINT64_MAX);

    g_assert_cmpint(clz32(0), ==, 32);
    g_assert_cmpint(clz64(1), ==, 63);
    g_assert_cmpint(ctz32(0), ==, 32);
    g_assert_cmpint(ctz64(0), ==, 64);
    g_assert_cmpint(ctz64(1ULL << 40), ==, 40);
    g_assert_cmpint(clo32(0xf0000000), ==, 4);
    g_assert_cmpint(cto64(7), ==, 3);
    g_assert_cmpint(ctpop64(0xf0f0), ==, 8);
    g_assert_cmpint(ctpop8(0xff), ==, 8);

    g_assert_true(is_power_of_2(1));
    g_assert_false(is_power_of_2(0));
    g_assert_false(is_power_of_2(6));
    g_assert_cmpuint(pow2floor(0), ==, 0);
    g_assert_cmpuint(pow2floor(1000), ==, 512);
    g_assert_cmpuint(pow2ceil(0), ==, 1);
    g_assert_cmpuint(pow2ceil(1), ==, 1);
    g_assert_cmpuint(pow2ceil(1000), ==, 1024);
    g_assert_cmpuint(pow2ceil(1024), ==, 1024);
    g_assert_cmpuint(pow2ceil((1ULL << 63) + 1), ==, 0);
    g_assert_cmpuint(pow2roundup32(0), ==, 1);
    g_assert_cmpuint(pow2roundup32(4), ==, 8);
    g_assert_cmpuint(pow2roundup32(5), ==, 8);
    g_assert_cmpuint(pow2roundup32(0x80000000U), ==, 0);

    g_assert_true(uadd64_overflow(UINT64_MAX, 1, &lo));
    g_assert_cmpuint(lo, ==, 0);
    g_assert_false(uadd64_overflow(1, 2, &lo));
    g_assert_true(usub64_overflow(0, 1, &lo));
    g_assert_true(umul64_overflow(1ULL << 32, 1ULL << 32, &lo));
    g_assert_cmpuint(uabs64(INT64_MIN), ==, 1ULL << 63);
}

static void test_cutils_strtoi(void)
{
    const char *end;
    int i = -7;
    unsigned int ui;
    long l;
    unsigned long ul;
    int64_t i64;
    uint64_t u64;

    g_assert_cmpint(qemu_strtoi("  -42", NULL, 0, &i), ==, 0);
    g_assert_cmpint(i, ==, -42);
    g_assert_cmpint(qemu_strtoi("0x1f", NULL, 0, &i), ==, 0);
    g_assert_cmpint(i, ==, 31);
    g_assert_cmpint(qemu_strtoi("12abc", NULL, 10, &i), ==, -EINVAL);
    g_assert_cmpint(i, ==, 12);
    g_assert_cmpint(qemu_strtoi("12abc", &end, 10, &i), ==, 0);
    g_assert_cmpstr(end, ==, "abc");
    g_assert_cmpint(qemu_strtoi("abc", &end, 10, &i), ==, -EINVAL);
    g_assert_cmpint(i, ==, 0);
    g_assert_cmpstr(end, ==, "abc");
    g_assert_cmpint(qemu_strtoi("", NULL, 10, &i), ==, -EINVAL);
    g_assert_cmpint(qemu_strtoi(NULL, &end, 10, &i), ==, -EINVAL);
    g_assert_null(end);
    g_assert_cmpint(qemu_strtoi("2147483648", NULL, 10, &i), ==, -ERANGE);
    g_assert_cmpint(i, ==, INT_MAX);
    g_assert_cmpint(qemu_strtoi("-2147483649", NULL, 10, &i), ==, -ERANGE);
    g_assert_cmpint(i, ==, INT_MIN);

    g_assert_cmpint(qemu_strtoui("-1", NULL, 10, &ui), ==, 0);
    g_assert_cmpuint(ui, ==, UINT_MAX);
    g_assert_cmpint(qemu_strtoui("4294967296", NULL, 10, &ui), ==, -ERANGE);
    g_assert_cmpuint(ui, ==, UINT_MAX);
    g_assert_cmpint(qemu_strtoui("-4294967296", NULL, 10, &ui), ==,
                    -ERANGE);

    g_assert_cmpint(qemu_strtol("9223372036854775808", NULL, 10, &l), ==,
                    -ERANGE);
    g_assert_cmpint(l, ==, LONG_MAX);
    g_assert_cmpint(qemu_strtoul("-2", NULL, 10, &ul), ==, 0);
    g_assert_cmpuint(ul, ==, ULONG_MAX - 1);
    g_assert_cmpint(qemu_strtoi64("-9223372036854775808", NULL, 0, &i64),
                    ==, 0);
    g_assert_cmpint(i64, ==, INT64_MIN);
    g_assert_cmpint(qemu_strtou64("18446744073709551616", NULL, 0, &u64),
                    ==, -ERANGE);
    g_assert_cmpuint(u64, ==, UINT64_MAX);
    g_assert_cmpint(qemu_strtou64("0777", NULL, 0, &u64), ==, 0);
    g_assert_cmpuint(u64, ==, 0777);
}

static void test_cutils_strings(void)
{
    char buf[8];
    const char *rest;

    memset(buf, 'x', sizeof(buf));
    pstrcpy(buf, sizeof(buf), "abcdefghij");
    g_assert_cmpstr(buf, ==, "abcdefg");
    memset(buf, 'x', sizeof(buf));
    pstrcpy(buf, sizeof(buf), "ab");
    g_assert_cmpstr(buf, ==, "ab");
    g_assert_cmpint(buf[3], ==, 'x');      /* no zero padding */
    pstrcpy(buf, 0, "zzz");                 /* nothing written */
    g_assert_cmpstr(buf, ==, "ab");
    pstrcat(buf, sizeof(buf), "cdefghij");
    g_assert_cmpstr(buf, ==, "abcdefg");

    g_assert_true(strstart("prefix-rest", "prefix-", &rest));
    g_assert_cmpstr(rest, ==, "rest");
    g_assert_false(strstart("pre", "prefix", NULL));
}

QEMU_DEFINE_STATIC_CO_TLS(int, test_tls)

static void *tls_thread(void *opaque)
{
    int *out = opaque;

    /* A new thread starts with its own zeroed copy. */
    out[0] = get_test_tls();
    set_test_tls(99);
    (*get_ptr_test_tls())++;
    out[1] = get_test_tls();
    return NULL;
}

static void test_coroutine_tls(void)
{
    QemuThread t;
    int out[2];

    set_test_tls(5);
    g_assert_cmpint(get_test_tls(), ==, 5);
    qemu_thread_create(&t, "tls", tls_thread, out, QEMU_THREAD_JOINABLE);
    qemu_thread_join(&t);
    g_assert_cmpint(out[0], ==, 0);
    g_assert_cmpint(out[1], ==, 100);
    g_assert_cmpint(get_test_tls(), ==, 5);
    g_assert_true(get_ptr_test_tls() == get_ptr_test_tls());
}

static void test_thread_id(void)
{
    g_assert_cmpint(qemu_get_thread_id(), ==, getpid());
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);

    g_test_add_func("/support/queue/qslist/atomic-two-producers",
                    test_qslist_atomic);
    g_test_add_func("/support/queue/qlist", test_qlist);
    g_test_add_func("/support/queue/qtailq", test_qtailq);
    g_test_add_func("/support/queue/raw", test_qtailq_raw);
    g_test_add_func("/support/queue/qsimpleq", test_qsimpleq);
    g_test_add_func("/support/queue/qslist", test_qslist);
    g_test_add_func("/support/notify/list-remove-self", test_notifier_list);
    g_test_add_func("/support/notify/with-return", test_notifier_with_return);
    g_test_add_func("/support/error/abort", test_error_abort);
    g_test_add_func("/support/error/fatal", test_error_fatal);
    g_test_add_func("/support/error/double-set", test_error_double_set);
    g_test_add_func("/support/error/free-or-abort-unset",
                    test_error_free_or_abort_unset);
    g_test_add_func("/support/error/warn", test_error_warn);
    g_test_add_func("/support/error/errp-guard", test_error_guard);
    g_test_add_func("/support/error/basic", test_error_basic);
    g_test_add_func("/support/error/errno-prepend-hint",
                    test_error_errno_prepend_hint);
    g_test_add_func("/support/error-report/format", test_error_report_format);
    g_test_add_func("/support/compiler/is-enabled", test_is_enabled);
    g_test_add_func("/support/bitops/search", test_bitops_search);
    g_test_add_func("/support/bitops/bits", test_bitops_bits);
    g_test_add_func("/support/bitmap/ranges", test_bitmap);
    g_test_add_func("/support/host-utils", test_host_utils);
    g_test_add_func("/support/cutils/strtoi", test_cutils_strtoi);
    g_test_add_func("/support/cutils/strings", test_cutils_strings);
    g_test_add_func("/support/coroutine-tls", test_coroutine_tls);
    g_test_add_func("/support/oslib/thread-id", test_thread_id);
    return g_test_run();
}
