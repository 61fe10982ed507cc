/*
 * qemuutil: tests for RCU (qemu/rcu.h) and the RCU list macros
 * (qemu/rcu_queue.h).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * Grace periods are checked deterministically: rcu_gp_ctr changes exactly
 * when synchronize_rcu() starts waiting, so a test can tell "the writer is
 * now waiting" without sleeping, and then check that it cannot finish while
 * an old reader is still inside its critical section.  The stress test
 * poisons objects in their RCU callback, so a reader that can still see a
 * reclaimed object fails (and ASan reports the use-after-free).
 */
#include "qemu/osdep.h"

#include "qemu/rcu.h"
#include "qemu/rcu_queue.h"
#include "qemu/atomic.h"
#include "qemu/thread.h"

/* ---------------------------------------------------------------------- */
/* A reader thread driven step by step by the test                         */
/* ---------------------------------------------------------------------- */

typedef struct Reader {
    QemuThread thread;
    int nest;           /* how many rcu_read_lock() calls to make */
    int state;          /* atomic: 0 start, 1 inside, 2 told to leave, */
                        /*         3 left one level, 4 left all */
} Reader;

static void *reader_thread(void *opaque)
{
    Reader *r = opaque;
    int i;

    rcu_register_thread();
    for (i = 0; i < r->nest; i++) {
        rcu_read_lock();
    }
    qatomic_set(&r->state, 1);
    while (qatomic_read(&r->state) != 2) {
        cpu_relax();
    }
    for (i = 0; i < r->nest; i++) {
        rcu_read_unlock();
        if (i == 0) {
            qatomic_set(&r->state, 3);
            while (r->nest > 1 && qatomic_read(&r->state) != 5) {
                cpu_relax();        /* test checks the nested state */
            }
        }
    }
    qatomic_set(&r->state, 4);
    rcu_unregister_thread();
    return NULL;
}

static void reader_start(Reader *r, int nest)
{
    r->nest = nest;
    r->state = 0;
    qemu_thread_create(&r->thread, "reader", reader_thread, r,
                       QEMU_THREAD_JOINABLE);
    while (qatomic_read(&r->state) != 1) {
        cpu_relax();
    }
}

static int sync_done;   /* atomic: the synchronize_rcu() call returned */

static void *sync_thread(void *opaque)
{
    synchronize_rcu();
    qatomic_set(&sync_done, 1);
    return NULL;
}

/* Starts synchronize_rcu() in a thread; returns once it is waiting. */
static void sync_start(QemuThread *t)
{
    unsigned long gp = qatomic_read(&rcu_gp_ctr);

    qatomic_set(&sync_done, 0);
    qemu_thread_create(t, "sync", sync_thread, NULL, QEMU_THREAD_JOINABLE);
    while (qatomic_read(&rcu_gp_ctr) == gp) {
        cpu_relax();
    }
}

/*
 * The writer must not return while a reader that entered before it is
 * inside - including while the reader has only left an inner level.
 */
static void test_sync_waits_for_reader(void)
{
    Reader r;
    QemuThread syncer;
    int spin;

    reader_start(&r, 2);
    sync_start(&syncer);

    /* Give a broken implementation every chance to return early. */
    for (spin = 0; spin < 100000; spin++) {
        g_assert_cmpint(qatomic_read(&sync_done), ==, 0);
    }
    qatomic_set(&r.state, 2);
    while (qatomic_read(&r.state) != 3) {
        cpu_relax();
    }
    for (spin = 0; spin < 100000; spin++) {
        g_assert_cmpint(qatomic_read(&sync_done), ==, 0);
    }
    qatomic_set(&r.state, 5);

    qemu_thread_join(&syncer);
    g_assert_cmpint(qatomic_read(&sync_done), ==, 1);
    qemu_thread_join(&r.thread);
}

/* A reader that starts after the grace period began is not waited for. */
static void test_sync_ignores_new_reader(void)
{
    Reader old, young;
    QemuThread syncer;

    reader_start(&old, 1);
    sync_start(&syncer);
    reader_start(&young, 1);

    qatomic_set(&old.state, 2);
    qemu_thread_join(&syncer);     /* would hang if it waited for @young */
    g_assert_cmpint(qatomic_read(&young.state), ==, 1);

    qatomic_set(&young.state, 2);
    qemu_thread_join(&old.thread);
    qemu_thread_join(&young.thread);
}

/* With no reader inside, synchronize_rcu() returns at once, repeatedly. */
static void test_sync_idle(void)
{
    int i;

    for (i = 0; i < 1000; i++) {
        synchronize_rcu();
    }
}

/* ---------------------------------------------------------------------- */
/* call_rcu                                                                */
/* ---------------------------------------------------------------------- */

typedef struct Deferred {
    struct rcu_head rcu;
    int seq;
    int *log;
    int *count;
} Deferred;

static void deferred_cb(Deferred *d)
{
    d->log[qatomic_fetch_inc(d->count)] = d->seq;
    g_free(d);
}

/* A callback queued while a reader is inside runs only after it leaves. */
static void test_call_rcu_after_reader(void)
{
    Reader r;
    int log[1];
    int count = 0;
    unsigned long gp;
    Deferred *d = g_new0(Deferred, 1);
    int spin;

    drain_call_rcu();               /* the helper is idle from here on */
    reader_start(&r, 1);

    d->log = log;
    d->count = &count;
    gp = qatomic_read(&rcu_gp_ctr);
    call_rcu(d, deferred_cb, rcu);
    /* The helper starts the grace period for our batch... */
    while (qatomic_read(&rcu_gp_ctr) == gp) {
        cpu_relax();
    }
    /* ...which cannot end while the reader is inside. */
    for (spin = 0; spin < 100000; spin++) {
        g_assert_cmpint(qatomic_read(&count), ==, 0);
    }
    qatomic_set(&r.state, 2);
    drain_call_rcu();
    g_assert_cmpint(count, ==, 1);
    qemu_thread_join(&r.thread);
}

#define ORDER_N 2000

/* Callbacks run in the order they were queued, across batches. */
static void test_call_rcu_order(void)
{
    int *log = g_new0(int, ORDER_N);
    int count = 0;
    int i;

    for (i = 0; i < ORDER_N; i++) {
        Deferred *d = g_new0(Deferred, 1);

        d->seq = i;
        d->log = log;
        d->count = &count;
        call_rcu(d, deferred_cb, rcu);
        if (i % 300 == 0) {
            synchronize_rcu();      /* split into several batches */
        }
    }
    drain_call_rcu();
    g_assert_cmpint(count, ==, ORDER_N);
    for (i = 0; i < ORDER_N; i++) {
        g_assert_cmpint(log[i], ==, i);
    }
    g_free(log);
}

typedef struct FreeMe {
    struct rcu_head rcu;
    char payload[32];
} FreeMe;

static void test_g_free_rcu(void)
{
    FreeMe *f = g_new0(FreeMe, 1);

    g_free_rcu(f, rcu);
    drain_call_rcu();               /* ASan/valgrind would flag a leak */
}

/* ---------------------------------------------------------------------- */
/* Guards and misuse                                                       */
/* ---------------------------------------------------------------------- */

static unsigned depth(void)
{
    return get_ptr_rcu_reader()->depth;
}

static int guarded_early_return(void)
{
    RCU_READ_LOCK_GUARD();

    g_assert_cmpuint(depth(), ==, 1);
    return 7;
}

static void test_guards(void)
{
    int i;

    g_assert_cmpuint(depth(), ==, 0);
    g_assert_cmpint(guarded_early_return(), ==, 7);
    g_assert_cmpuint(depth(), ==, 0);

    WITH_RCU_READ_LOCK_GUARD() {
        g_assert_cmpuint(depth(), ==, 1);
        WITH_RCU_READ_LOCK_GUARD() {
            g_assert_cmpuint(depth(), ==, 2);
        }
        g_assert_cmpuint(depth(), ==, 1);
    }
    g_assert_cmpuint(depth(), ==, 0);

    /* Leaving the guarded block with break still unlocks once. */
    for (i = 0; i < 3; i++) {
        WITH_RCU_READ_LOCK_GUARD() {
            if (i == 1) {
                break;
            }
        }
        g_assert_cmpuint(depth(), ==, 0);
    }
    g_assert_cmpuint(depth(), ==, 0);

    {
        g_autoptr(RCUReadAuto) token = rcu_read_auto_lock();

        g_assert_nonnull(token);
        g_assert_cmpuint(depth(), ==, 1);
    }
    g_assert_cmpuint(depth(), ==, 0);
}

static void test_misuse_sync_in_reader(void)
{
    if (g_test_subprocess()) {
        rcu_read_lock();
        synchronize_rcu();
        return;
    }
    g_test_trap_subprocess(NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
    g_test_trap_assert_failed();
    g_test_trap_assert_stderr("*synchronize_rcu*critical section*");
}

static void test_misuse_unbalanced_unlock(void)
{
    if (g_test_subprocess()) {
        rcu_read_unlock();
        return;
    }
    g_test_trap_subprocess(NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
    g_test_trap_assert_failed();
    g_test_trap_assert_stderr("*rcu_read_unlock*without rcu_read_lock*");
}

static void test_misuse_double_register(void)
{
    if (g_test_subprocess()) {
        rcu_register_thread();      /* main thread is already registered */
        return;
    }
    g_test_trap_subprocess(NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
    g_test_trap_assert_failed();
    g_test_trap_assert_stderr("*already registered*");
}

/* ---------------------------------------------------------------------- */
/* Stress: readers walk an RCU list while a writer replaces its elements   */
/* ---------------------------------------------------------------------- */

#define STRESS_READERS 2
#define STRESS_SLOTS 8
#define STRESS_REPLACEMENTS 20000
#define ALIVE 0x600dUL
#define DEAD 0xdeadUL

typedef struct Elem {
    struct rcu_head rcu;
    unsigned long magic;    /* ALIVE until the RCU callback runs */
    int slot;
    QLIST_ENTRY(Elem) link;
} Elem;

static QLIST_HEAD(, Elem) stress_list = QLIST_HEAD_INITIALIZER(stress_list);
static int stress_stop;         /* atomic */
static long stress_bad;         /* atomic: dead elements seen by readers */
static long stress_walks;       /* atomic */

static void elem_reclaim(Elem *e)
{
    /* Poison first: any reader that still sees it will notice. */
    qatomic_set(&e->magic, DEAD);
    g_free(e);
}

static void *stress_reader(void *opaque)
{
    Elem *e;
    long seen;
    int last_slot;
    unsigned slots_seen;

    rcu_register_thread();
    while (!qatomic_read(&stress_stop)) {
        seen = 0;
        slots_seen = 0;
        last_slot = STRESS_SLOTS;
        WITH_RCU_READ_LOCK_GUARD() {
            QLIST_FOREACH_RCU(e, &stress_list, link) {
                if (qatomic_read(&e->magic) != ALIVE) {
                    qatomic_inc(&stress_bad);
                }
                /*
                 * Slots sit in descending order.  A walk may meet both the
                 * old and the new version of a slot, but never skips one
                 * and never goes back.
                 */
                if (e->slot > last_slot) {
                    qatomic_inc(&stress_bad);
                }
                last_slot = e->slot;
                slots_seen |= 1u << e->slot;
                seen++;
            }
        }
        if (slots_seen != (1u << STRESS_SLOTS) - 1 ||
            seen > 2 * STRESS_SLOTS) {
            qatomic_inc(&stress_bad);
        }
        qatomic_inc(&stress_walks);
    }
    rcu_unregister_thread();
    return NULL;
}

static Elem *elem_new(int slot)
{
    Elem *e = g_new0(Elem, 1);

    e->magic = ALIVE;
    e->slot = slot;
    return e;
}

static void test_stress_list(void)
{
    QemuThread readers[STRESS_READERS];
    Elem *slots[STRESS_SLOTS];
    Elem *fresh;
    int i, s;

    for (s = 0; s < STRESS_SLOTS; s++) {
        slots[s] = elem_new(s);
        QLIST_INSERT_HEAD_RCU(&stress_list, slots[s], link);
    }
    for (i = 0; i < STRESS_READERS; i++) {
        qemu_thread_create(&readers[i], "rcu-reader", stress_reader, NULL,
                           QEMU_THREAD_JOINABLE);
    }
    /* Wait until the readers are actually walking. */
    while (qatomic_read(&stress_walks) < STRESS_READERS) {
        cpu_relax();
    }

    /* Single writer: no lock needed among writers. */
    for (i = 0; i < STRESS_REPLACEMENTS; i++) {
        s = i % STRESS_SLOTS;
        fresh = elem_new(s);
        if (i % 2) {
            QLIST_INSERT_AFTER_RCU(slots[s], fresh, link);
        } else {
            QLIST_INSERT_BEFORE_RCU(slots[s], fresh, link);
        }
        QLIST_REMOVE_RCU(slots[s], link);
        if (i % 64 == 0) {
            /* Mix in synchronous reclamation. */
            synchronize_rcu();
            elem_reclaim(slots[s]);
        } else {
            call_rcu(slots[s], elem_reclaim, rcu);
        }
        slots[s] = fresh;
    }

    qatomic_set(&stress_stop, 1);
    for (i = 0; i < STRESS_READERS; i++) {
        qemu_thread_join(&readers[i]);
    }
    g_assert_cmpint(qatomic_read(&stress_bad), ==, 0);

    for (s = 0; s < STRESS_SLOTS; s++) {
        QLIST_REMOVE_RCU(slots[s], link);
        call_rcu(slots[s], elem_reclaim, rcu);
    }
    g_assert_true(QLIST_EMPTY_RCU(&stress_list));
    drain_call_rcu();
}

/* ---------------------------------------------------------------------- */
/* rcu_queue.h list operations (single-threaded semantics)                 */
/* ---------------------------------------------------------------------- */

typedef struct Item {
    int val;
    QLIST_ENTRY(Item) l;
    QSIMPLEQ_ENTRY(Item) sq;
    QTAILQ_ENTRY(Item) tq;
    QSLIST_ENTRY(Item) sl;
} Item;

#define WALK_STR(buf, var, foreach_head)                                \
    do {                                                                \
        (buf)[0] = '\0';                                                \
        foreach_head {                                                  \
            g_snprintf((buf) + strlen(buf), sizeof(buf) - strlen(buf),  \
                       "%s%d", (buf)[0] ? " " : "", (var)->val);        \
        }                                                               \
    } while (0)

static void test_rcu_qlist(void)
{
    QLIST_HEAD(, Item) h = QLIST_HEAD_INITIALIZER(h);
    Item it[4], *var, *next;
    char buf[32];
    int i;

    for (i = 0; i < 4; i++) {
        it[i].val = i;
    }
    RCU_READ_LOCK_GUARD();
    g_assert_true(QLIST_EMPTY_RCU(&h));
    QLIST_INSERT_HEAD_RCU(&h, &it[2], l);
    QLIST_INSERT_HEAD_RCU(&h, &it[0], l);
    QLIST_INSERT_AFTER_RCU(&it[0], &it[1], l);
    QLIST_INSERT_AFTER_RCU(&it[2], &it[3], l);
    WALK_STR(buf, var, QLIST_FOREACH_RCU(var, &h, l));
    g_assert_cmpstr(buf, ==, "0 1 2 3");

    /* A reader standing on a removed element can still move on. */
    QLIST_REMOVE_RCU(&it[1], l);
    g_assert_true(QLIST_NEXT_RCU(&it[1], l) == &it[2]);
    QLIST_INSERT_BEFORE_RCU(&it[3], &it[1], l);
    WALK_STR(buf, var, QLIST_FOREACH_RCU(var, &h, l));
    g_assert_cmpstr(buf, ==, "0 2 1 3");
    /* The back links are intact: plain removal works everywhere. */
    QLIST_FOREACH_SAFE_RCU(var, &h, l, next) {
        if (var->val != 1) {
            QLIST_REMOVE(var, l);
        }
    }
    g_assert_true(QLIST_FIRST_RCU(&h) == &it[1]);
    g_assert_null(QLIST_NEXT_RCU(&it[1], l));
}

static void test_rcu_qsimpleq(void)
{
    QSIMPLEQ_HEAD(, Item) h = QSIMPLEQ_HEAD_INITIALIZER(h);
    Item it[5], *var, *next;
    char buf[32];
    int i;

    for (i = 0; i < 5; i++) {
        it[i].val = i;
    }
    RCU_READ_LOCK_GUARD();
    QSIMPLEQ_INSERT_TAIL_RCU(&h, &it[1], sq);
    QSIMPLEQ_INSERT_HEAD_RCU(&h, &it[0], sq);
    QSIMPLEQ_INSERT_AFTER_RCU(&h, &it[1], &it[3], sq);
    QSIMPLEQ_INSERT_AFTER_RCU(&h, &it[1], &it[2], sq);
    QSIMPLEQ_INSERT_TAIL_RCU(&h, &it[4], sq);
    WALK_STR(buf, var, QSIMPLEQ_FOREACH_RCU(var, &h, sq));
    g_assert_cmpstr(buf, ==, "0 1 2 3 4");

    QSIMPLEQ_REMOVE_RCU(&h, &it[4], Item, sq);    /* tail: fixes sqh_last */
    g_assert_null(QSIMPLEQ_NEXT_RCU(&it[4], sq));
    QSIMPLEQ_REMOVE_RCU(&h, &it[2], Item, sq);
    g_assert_true(QSIMPLEQ_NEXT_RCU(&it[2], sq) == &it[3]);
    QSIMPLEQ_REMOVE_HEAD_RCU(&h, sq);
    QSIMPLEQ_INSERT_TAIL_RCU(&h, &it[4], sq);
    WALK_STR(buf, var, QSIMPLEQ_FOREACH_RCU(var, &h, sq));
    g_assert_cmpstr(buf, ==, "1 3 4");

    QSIMPLEQ_FOREACH_SAFE_RCU(var, &h, sq, next) {
        QSIMPLEQ_REMOVE_HEAD_RCU(&h, sq);
    }
    g_assert_true(QSIMPLEQ_EMPTY_RCU(&h));
    QSIMPLEQ_INSERT_TAIL_RCU(&h, &it[0], sq);
    g_assert_true(QSIMPLEQ_FIRST_RCU(&h) == &it[0]);
}

static void test_rcu_qtailq(void)
{
    QTAILQ_HEAD(, Item) h = QTAILQ_HEAD_INITIALIZER(h);
    Item it[5], *var, *next;
    char buf[32];
    int i;

    for (i = 0; i < 5; i++) {
        it[i].val = i;
    }
    RCU_READ_LOCK_GUARD();
    QTAILQ_INSERT_TAIL_RCU(&h, &it[2], tq);
    QTAILQ_INSERT_HEAD_RCU(&h, &it[0], tq);
    QTAILQ_INSERT_AFTER_RCU(&h, &it[2], &it[4], tq);
    QTAILQ_INSERT_AFTER_RCU(&h, &it[0], &it[1], tq);
    QTAILQ_INSERT_BEFORE_RCU(&it[4], &it[3], tq);
    WALK_STR(buf, var, QTAILQ_FOREACH_RCU(var, &h, tq));
    g_assert_cmpstr(buf, ==, "0 1 2 3 4");
    /* The writer-side backward links are consistent. */
    WALK_STR(buf, var, QTAILQ_FOREACH_REVERSE(var, &h, tq));
    g_assert_cmpstr(buf, ==, "4 3 2 1 0");

    QTAILQ_REMOVE_RCU(&h, &it[4], tq);
    QTAILQ_REMOVE_RCU(&h, &it[1], tq);
    g_assert_false(QTAILQ_IN_USE(&it[1], tq));
    g_assert_true(QTAILQ_NEXT_RCU(&it[1], tq) == &it[2]);
    WALK_STR(buf, var, QTAILQ_FOREACH_REVERSE(var, &h, tq));
    g_assert_cmpstr(buf, ==, "3 2 0");

    QTAILQ_FOREACH_SAFE_RCU(var, &h, tq, next) {
        QTAILQ_REMOVE_RCU(&h, var, tq);
    }
    g_assert_true(QTAILQ_EMPTY_RCU(&h));
    QTAILQ_INSERT_TAIL_RCU(&h, &it[1], tq);
    g_assert_true(QTAILQ_FIRST_RCU(&h) == &it[1]);
    g_assert_true(QTAILQ_LAST(&h) == &it[1]);
}

static void test_rcu_qslist(void)
{
    QSLIST_HEAD(, Item) h = QSLIST_HEAD_INITIALIZER(h);
    Item it[4], *var, *next;
    char buf[32];
    int i;

    for (i = 0; i < 4; i++) {
        it[i].val = i;
    }
    RCU_READ_LOCK_GUARD();
    QSLIST_INSERT_HEAD_RCU(&h, &it[2], sl);
    QSLIST_INSERT_HEAD_RCU(&h, &it[0], sl);
    QSLIST_INSERT_AFTER_RCU(&h, &it[0], &it[1], sl);
    QSLIST_INSERT_AFTER_RCU(&h, &it[2], &it[3], sl);
    WALK_STR(buf, var, QSLIST_FOREACH_RCU(var, &h, sl));
    g_assert_cmpstr(buf, ==, "0 1 2 3");

    QSLIST_REMOVE_RCU(&h, &it[2], Item, sl);
    g_assert_true(QSLIST_NEXT_RCU(&it[2], sl) == &it[3]);
    QSLIST_REMOVE_HEAD_RCU(&h, sl);
    WALK_STR(buf, var, QSLIST_FOREACH_RCU(var, &h, sl));
    g_assert_cmpstr(buf, ==, "1 3");
    QSLIST_FOREACH_SAFE_RCU(var, &h, sl, next) {
        QSLIST_REMOVE_RCU(&h, var, Item, sl);
    }
    g_assert_true(QSLIST_EMPTY_RCU(&h));
    g_assert_null(QSLIST_FIRST_RCU(&h));
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);

    g_test_add_func("/rcu/stress/list-replace", test_stress_list);
    g_test_add_func("/rcu/sync/waits-for-nested-reader",
                    test_sync_waits_for_reader);
    g_test_add_func("/rcu/sync/ignores-new-reader",
                    test_sync_ignores_new_reader);
    g_test_add_func("/rcu/sync/idle", test_sync_idle);
    g_test_add_func("/rcu/call-rcu/after-reader", test_call_rcu_after_reader);
    g_test_add_func("/rcu/call-rcu/order", test_call_rcu_order);
    g_test_add_func("/rcu/call-rcu/g-free-rcu", test_g_free_rcu);
    g_test_add_func("/rcu/misuse/sync-in-reader",
                    test_misuse_sync_in_reader);
    g_test_add_func("/rcu/misuse/unbalanced-unlock",
                    test_misuse_unbalanced_unlock);
    g_test_add_func("/rcu/misuse/double-register",
                    test_misuse_double_register);
    g_test_add_func("/rcu/guards", test_guards);
    g_test_add_func("/rcu/queue/qlist", test_rcu_qlist);
    g_test_add_func("/rcu/queue/qsimpleq", test_rcu_qsimpleq);
    g_test_add_func("/rcu/queue/qtailq", test_rcu_qtailq);
    g_test_add_func("/rcu/queue/qslist", test_rcu_qslist);
    return g_test_run();
}
