/*
 * qemuutil: intrusive linked lists (QLIST, QSLIST, QSIMPLEQ, QTAILQ).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * The four list flavours of the BSD <sys/queue.h> family, with the names,
 * field names and layout of QEMU 10.0's include/qemu/queue.h, because QEMU
 * code (and qemu/rcu_queue.h) reaches into the link fields directly.
 *
 * The element types embed a link (FOO_ENTRY) and the list is anchored by a
 * head (FOO_HEAD).  Nothing here allocates, locks or frees: the caller owns
 * the elements and provides whatever mutual exclusion the list needs.  The
 * only exceptions are the *_ATOMIC macros, which are documented one by one.
 *
 *  - QLIST: doubly linked, O(1) removal without the head, insertion at the
 *    head or next to an element.  Elements know whether they are linked.
 *  - QSLIST: singly linked, insertion/removal at the head; lock-free LIFO
 *    push and "take all" operations.
 *  - QSIMPLEQ: singly linked with a tail pointer: FIFO queue, O(1)
 *    concatenation.
 *  - QTAILQ: doubly linked with a tail pointer: O(1) removal, traversal in
 *    both directions.
 *
 * The *_FOREACH_SAFE forms read the next element before running the loop
 * body, so the body may unlink (and free) the current element.
 */
#ifndef QEMU_SYS_QUEUE_H
#define QEMU_SYS_QUEUE_H

#include "qemu/atomic.h"

/*
 * Loop skeletons shared by every family: walk from @first, stepping with
 * the expression @step (evaluated afresh each time, so it may name @var).
 * The SAFE form evaluates @step into @saved before the body runs.
 */
#define QUEUE_WALK_(var, first, step) \
    for ((var) = (first); (var); (var) = (step))
#define QUEUE_WALK_SAFE_(var, first, step, saved) \
    for ((var) = (first); (var) && ((saved) = (step), true); (var) = (saved))

/* ---------------------------------------------------------------------- */
/* QLIST: doubly linked list, head holds one pointer.                      */
/* ---------------------------------------------------------------------- */

#define QLIST_HEAD(name, type) \
    struct name { struct type *lh_first; }

#define QLIST_HEAD_INITIALIZER(head) { NULL }

/*
 * le_prev points at whichever pointer points at this element: the head's
 * lh_first or the previous element's le_next.  NULL means "not linked".
 */
#define QLIST_ENTRY(type) \
    struct { struct type *le_next; struct type **le_prev; }

#define QLIST_INIT(head) do { (head)->lh_first = NULL; } while (0)

#define QLIST_EMPTY(head)       ((head)->lh_first == NULL)
#define QLIST_FIRST(head)       ((head)->lh_first)
#define QLIST_NEXT(elm, field)  ((elm)->field.le_next)

/* True if @elm is currently on some list (QLIST_REMOVE resets it). */
#define QLIST_IS_INSERTED(elm, field) ((elm)->field.le_prev != NULL)

#define QLIST_INSERT_HEAD(head, elm, field) do {                        \
        (elm)->field.le_prev = &(head)->lh_first;                       \
        (elm)->field.le_next = (head)->lh_first;                        \
        if ((elm)->field.le_next) {                                     \
            (elm)->field.le_next->field.le_prev = &(elm)->field.le_next; \
        }                                                               \
        (head)->lh_first = (elm);                                       \
    } while (0)

#define QLIST_INSERT_AFTER(listelm, elm, field) do {                    \
        (elm)->field.le_prev = &(listelm)->field.le_next;               \
        (elm)->field.le_next = (listelm)->field.le_next;                \
        if ((elm)->field.le_next) {                                     \
            (elm)->field.le_next->field.le_prev = &(elm)->field.le_next; \
        }                                                               \
        (listelm)->field.le_next = (elm);                               \
    } while (0)

#define QLIST_INSERT_BEFORE(listelm, elm, field) do {                   \
        (elm)->field.le_next = (listelm);                               \
        (elm)->field.le_prev = (listelm)->field.le_prev;                \
        (listelm)->field.le_prev = &(elm)->field.le_next;               \
        *(elm)->field.le_prev = (elm);                                  \
    } while (0)

/* Unlinks @elm and marks it as not inserted.  @elm must be on a list. */
#define QLIST_REMOVE(elm, field) do {                                   \
        *(elm)->field.le_prev = (elm)->field.le_next;                   \
        if ((elm)->field.le_next) {                                     \
            (elm)->field.le_next->field.le_prev = (elm)->field.le_prev; \
        }                                                               \
        (elm)->field.le_prev = NULL;                                    \
        (elm)->field.le_next = NULL;                                    \
    } while (0)

/* As QLIST_REMOVE, but a no-op when @elm is not on a list. */
#define QLIST_SAFE_REMOVE(elm, field) do {                              \
        if (QLIST_IS_INSERTED(elm, field)) {                            \
            QLIST_REMOVE(elm, field);                                   \
        }                                                               \
    } while (0)

/* Exchanges the contents of two lists of the same type. */
#define QLIST_SWAP(dstlist, srclist, field) do {                        \
        typeof((srclist)->lh_first) qls_tmp__ = (srclist)->lh_first;    \
        (srclist)->lh_first = (dstlist)->lh_first;                      \
        (dstlist)->lh_first = qls_tmp__;                                \
        if ((srclist)->lh_first) {                                      \
            (srclist)->lh_first->field.le_prev = &(srclist)->lh_first;  \
        }                                                               \
        if ((dstlist)->lh_first) {                                      \
            (dstlist)->lh_first->field.le_prev = &(dstlist)->lh_first;  \
        }                                                               \
    } while (0)

#define QLIST_FOREACH(var, head, field) \
    QUEUE_WALK_(var, QLIST_FIRST(head), QLIST_NEXT(var, field))

#define QLIST_FOREACH_SAFE(var, head, field, next_var) \
    QUEUE_WALK_SAFE_(var, QLIST_FIRST(head), QLIST_NEXT(var, field), next_var)

/* ---------------------------------------------------------------------- */
/* QSLIST: singly linked list.                                             */
/* ---------------------------------------------------------------------- */

#define QSLIST_HEAD(name, type) \
    struct name { struct type *slh_first; }

#define QSLIST_HEAD_INITIALIZER(head) { NULL }

#define QSLIST_ENTRY(type) \
    struct { struct type *sle_next; }

#define QSLIST_INIT(head) do { (head)->slh_first = NULL; } while (0)

#define QSLIST_EMPTY(head)       ((head)->slh_first == NULL)
#define QSLIST_FIRST(head)       ((head)->slh_first)
#define QSLIST_NEXT(elm, field)  ((elm)->field.sle_next)

#define QSLIST_INSERT_HEAD(head, elm, field) do {                       \
        QSLIST_NEXT(elm, field) = QSLIST_FIRST(head);                   \
        QSLIST_FIRST(head) = (elm);                                     \
    } while (0)

#define QSLIST_INSERT_AFTER(slistelm, elm, field) do {                  \
        QSLIST_NEXT(elm, field) = QSLIST_NEXT(slistelm, field);         \
        QSLIST_NEXT(slistelm, field) = (elm);                           \
    } while (0)

/*
 * Lock-free push: any number of threads may push concurrently with each
 * other and with QSLIST_MOVE_ATOMIC.  The cmpxchg is a full barrier, so the
 * element's contents are visible to whoever later takes the list.
 */
#define QSLIST_INSERT_HEAD_ATOMIC(head, elm, field) do {                \
        typeof(elm) qsl_old__ = qatomic_read(&(head)->slh_first);       \
        typeof(elm) qsl_seen__;                                         \
        for (;;) {                                                      \
            (elm)->field.sle_next = qsl_old__;                          \
            qsl_seen__ = qatomic_cmpxchg(&(head)->slh_first,            \
                                         qsl_old__, (elm));             \
            if (qsl_seen__ == qsl_old__) {                              \
                break;                                                  \
            }                                                           \
            qsl_old__ = qsl_seen__;                                     \
        }                                                               \
    } while (0)

/*
 * Atomically detaches the whole of @src (leaving it empty) and stores it in
 * @dest, which must be private to the caller.  The elements come out in
 * LIFO order relative to QSLIST_INSERT_HEAD_ATOMIC.
 */
#define QSLIST_MOVE_ATOMIC(dest, src) do {                              \
        (dest)->slh_first = qatomic_xchg(&(src)->slh_first, NULL);      \
    } while (0)

#define QSLIST_REMOVE_HEAD(head, field) do {                            \
        typeof((head)->slh_first) qsl_gone__ = QSLIST_FIRST(head);      \
        QSLIST_FIRST(head) = QSLIST_NEXT(qsl_gone__, field);            \
        QSLIST_NEXT(qsl_gone__, field) = NULL;                          \
    } while (0)

/* Unlinks the element after @slistelm, which must exist. */
#define QSLIST_REMOVE_AFTER(slistelm, field) do {                       \
        typeof(slistelm) qsl_gone__ = QSLIST_NEXT(slistelm, field);     \
        QSLIST_NEXT(slistelm, field) = QSLIST_NEXT(qsl_gone__, field);  \
        QSLIST_NEXT(qsl_gone__, field) = NULL;                          \
    } while (0)

/* O(n) removal of @elm, which must be on the list. */
#define QSLIST_REMOVE(head, elm, type, field) do {                      \
        struct type **qsl_link__ = &(head)->slh_first;                  \
        while (*qsl_link__ != (elm)) {                                  \
            qsl_link__ = &(*qsl_link__)->field.sle_next;                \
        }                                                               \
        *qsl_link__ = (elm)->field.sle_next;                            \
        (elm)->field.sle_next = NULL;                                   \
    } while (0)

#define QSLIST_FOREACH(var, head, field) \
    QUEUE_WALK_(var, QSLIST_FIRST(head), QSLIST_NEXT(var, field))

#define QSLIST_FOREACH_SAFE(var, head, field, tvar) \
    QUEUE_WALK_SAFE_(var, QSLIST_FIRST(head), QSLIST_NEXT(var, field), tvar)

/* ---------------------------------------------------------------------- */
/* QSIMPLEQ: singly linked queue with a tail pointer.                      */
/* ---------------------------------------------------------------------- */

/*
 * sqh_last points at the pointer that a new tail element must be stored
 * into: &sqh_first when empty, else the last element's sqe_next.
 */
#define QSIMPLEQ_HEAD(name, type) \
    struct name { struct type *sqh_first; struct type **sqh_last; }

#define QSIMPLEQ_HEAD_INITIALIZER(head) { NULL, &(head).sqh_first }

#define QSIMPLEQ_ENTRY(type) \
    struct { struct type *sqe_next; }

#define QSIMPLEQ_INIT(head) do {                                        \
        (head)->sqh_last = &(head)->sqh_first;                          \
        (head)->sqh_first = NULL;                                       \
    } while (0)

#define QSIMPLEQ_EMPTY(head)        ((head)->sqh_first == NULL)
/* Emptiness check that may race with a concurrent (locked) writer. */
#define QSIMPLEQ_EMPTY_ATOMIC(head) (qatomic_read(&(head)->sqh_first) == NULL)
#define QSIMPLEQ_FIRST(head)        ((head)->sqh_first)
#define QSIMPLEQ_NEXT(elm, field)   ((elm)->field.sqe_next)

#define QSIMPLEQ_INSERT_HEAD(head, elm, field) do {                     \
        (elm)->field.sqe_next = (head)->sqh_first;                      \
        if ((head)->sqh_first == NULL) {                                \
            (head)->sqh_last = &(elm)->field.sqe_next;                  \
        }                                                               \
        (head)->sqh_first = (elm);                                      \
    } while (0)

#define QSIMPLEQ_INSERT_TAIL(head, elm, field) do {                     \
        (elm)->field.sqe_next = NULL;                                   \
        *(head)->sqh_last = (elm);                                      \
        (head)->sqh_last = &(elm)->field.sqe_next;                      \
    } while (0)

#define QSIMPLEQ_INSERT_AFTER(head, listelm, elm, field) do {           \
        (elm)->field.sqe_next = (listelm)->field.sqe_next;              \
        if ((elm)->field.sqe_next == NULL) {                            \
            (head)->sqh_last = &(elm)->field.sqe_next;                  \
        }                                                               \
        (listelm)->field.sqe_next = (elm);                              \
    } while (0)

#define QSIMPLEQ_REMOVE_HEAD(head, field) do {                          \
        typeof((head)->sqh_first) qsq_gone__ = (head)->sqh_first;       \
        (head)->sqh_first = qsq_gone__->field.sqe_next;                 \
        if ((head)->sqh_first == NULL) {                                \
            (head)->sqh_last = &(head)->sqh_first;                      \
        }                                                               \
        qsq_gone__->field.sqe_next = NULL;                              \
    } while (0)

/* O(n) removal of @elm, which must be on the queue. */
#define QSIMPLEQ_REMOVE(head, elm, type, field) do {                    \
        struct type **qsq_link__ = &(head)->sqh_first;                  \
        while (*qsq_link__ != (elm)) {                                  \
            qsq_link__ = &(*qsq_link__)->field.sqe_next;                \
        }                                                               \
        *qsq_link__ = (elm)->field.sqe_next;                            \
        if (*qsq_link__ == NULL) {                                      \
            (head)->sqh_last = qsq_link__;                              \
        }                                                               \
        (elm)->field.sqe_next = NULL;                                   \
    } while (0)

/*
 * Moves the elements from the head of @head up to and including @elm into
 * @removed (which is overwritten); @head keeps what followed @elm.
 */
#define QSIMPLEQ_SPLIT_AFTER(head, elm, field, removed) do {            \
        QSIMPLEQ_INIT(removed);                                         \
        if (!QSIMPLEQ_EMPTY(head)) {                                    \
            (removed)->sqh_first = (head)->sqh_first;                   \
            (removed)->sqh_last = &(elm)->field.sqe_next;               \
            (head)->sqh_first = (elm)->field.sqe_next;                  \
            if ((head)->sqh_first == NULL) {                            \
                (head)->sqh_last = &(head)->sqh_first;                  \
            }                                                           \
            (elm)->field.sqe_next = NULL;                               \
        }                                                               \
    } while (0)

/* Appends all of @head2 to @head1 and leaves @head2 empty. */
#define QSIMPLEQ_CONCAT(head1, head2) do {                              \
        if (!QSIMPLEQ_EMPTY(head2)) {                                   \
            *(head1)->sqh_last = (head2)->sqh_first;                    \
            (head1)->sqh_last = (head2)->sqh_last;                      \
            QSIMPLEQ_INIT(head2);                                       \
        }                                                               \
    } while (0)

/* Puts all of @head2 in front of @head1 and leaves @head2 empty. */
#define QSIMPLEQ_PREPEND(head1, head2) do {                             \
        if (!QSIMPLEQ_EMPTY(head2)) {                                   \
            if (QSIMPLEQ_EMPTY(head1)) {                                \
                (head1)->sqh_last = (head2)->sqh_last;                  \
            }                                                           \
            *(head2)->sqh_last = (head1)->sqh_first;                    \
            (head1)->sqh_first = (head2)->sqh_first;                    \
            QSIMPLEQ_INIT(head2);                                       \
        }                                                               \
    } while (0)

/* The last element, or NULL; sqh_last points into it. */
#define QSIMPLEQ_LAST(head, type, field)                                \
    (QSIMPLEQ_EMPTY(head) ? NULL :                                      \
     container_of((head)->sqh_last, struct type, field.sqe_next))

#define QSIMPLEQ_FOREACH(var, head, field) \
    QUEUE_WALK_(var, QSIMPLEQ_FIRST(head), QSIMPLEQ_NEXT(var, field))

#define QSIMPLEQ_FOREACH_SAFE(var, head, field, next) \
    QUEUE_WALK_SAFE_(var, QSIMPLEQ_FIRST(head), QSIMPLEQ_NEXT(var, field), next)

/* ---------------------------------------------------------------------- */
/* QTAILQ: doubly linked queue with a tail pointer.                        */
/* ---------------------------------------------------------------------- */

/*
 * Both the head and every entry overlay a typed "next" pointer with an
 * untyped QTailQLink, so that "previous" links can point uniformly at
 * either a head or an entry.  The backwards chain is circular: the head's
 * tql_prev points at the last link (at the head itself when empty), and the
 * first element's tql_prev points at the head.  An entry whose tql_prev is
 * NULL is not on any queue.
 */
typedef struct QTailQLink {
    void *tql_next;                 /* same storage as tqh_first/tqe_next */
    struct QTailQLink *tql_prev;    /* link of the previous element/head */
} QTailQLink;

#define QTAILQ_HEAD(name, type) \
    union name { struct type *tqh_first; QTailQLink tqh_circ; }

#define QTAILQ_HEAD_INITIALIZER(head) \
    { .tqh_circ = { .tql_next = NULL, .tql_prev = &(head).tqh_circ } }

#define QTAILQ_ENTRY(type) \
    union { struct type *tqe_next; QTailQLink tqe_circ; }

#define QTAILQ_INIT(head) do {                                          \
        (head)->tqh_circ.tql_prev = &(head)->tqh_circ;                  \
        (head)->tqh_first = NULL;                                       \
    } while (0)

#define QTAILQ_EMPTY(head)          ((head)->tqh_first == NULL)
#define QTAILQ_FIRST(head)          ((head)->tqh_first)
#define QTAILQ_NEXT(elm, field)     ((elm)->field.tqe_next)
#define QTAILQ_IN_USE(elm, field)   ((elm)->field.tqe_circ.tql_prev != NULL)

/*
 * The element that owns the link before @link: step back twice and read
 * "next", which lands on the element (or NULL when going past the head,
 * whose predecessor in the circular chain is the last link, whose next is
 * NULL).
 */
#define QTAILQ_LINK_PREV(link) ((link).tql_prev->tql_prev->tql_next)
#define QTAILQ_LAST(head) \
    ((typeof((head)->tqh_first)) QTAILQ_LINK_PREV((head)->tqh_circ))
#define QTAILQ_PREV(elm, field) \
    ((typeof((elm)->field.tqe_next)) QTAILQ_LINK_PREV((elm)->field.tqe_circ))

#define QTAILQ_INSERT_HEAD(head, elm, field) do {                       \
        (elm)->field.tqe_circ.tql_prev = &(head)->tqh_circ;             \
        (elm)->field.tqe_next = (head)->tqh_first;                      \
        if ((elm)->field.tqe_next == NULL) {                            \
            (head)->tqh_circ.tql_prev = &(elm)->field.tqe_circ;         \
        } else {                                                        \
            (elm)->field.tqe_next->field.tqe_circ.tql_prev =            \
                &(elm)->field.tqe_circ;                                 \
        }                                                               \
        (head)->tqh_first = (elm);                                      \
    } while (0)

#define QTAILQ_INSERT_TAIL(head, elm, field) do {                       \
        QTailQLink *qtq_last__ = (head)->tqh_circ.tql_prev;             \
        (elm)->field.tqe_next = NULL;                                   \
        (elm)->field.tqe_circ.tql_prev = qtq_last__;                    \
        qtq_last__->tql_next = (elm);                                   \
        (head)->tqh_circ.tql_prev = &(elm)->field.tqe_circ;             \
    } while (0)

#define QTAILQ_INSERT_AFTER(head, listelm, elm, field) do {             \
        (elm)->field.tqe_circ.tql_prev = &(listelm)->field.tqe_circ;    \
        (elm)->field.tqe_next = (listelm)->field.tqe_next;              \
        if ((elm)->field.tqe_next == NULL) {                            \
            (head)->tqh_circ.tql_prev = &(elm)->field.tqe_circ;         \
        } else {                                                        \
            (elm)->field.tqe_next->field.tqe_circ.tql_prev =            \
                &(elm)->field.tqe_circ;                                 \
        }                                                               \
        (listelm)->field.tqe_next = (elm);                              \
    } while (0)

#define QTAILQ_INSERT_BEFORE(listelm, elm, field) do {                  \
        QTailQLink *qtq_before__ = (listelm)->field.tqe_circ.tql_prev;  \
        (elm)->field.tqe_next = (listelm);                              \
        (elm)->field.tqe_circ.tql_prev = qtq_before__;                  \
        qtq_before__->tql_next = (elm);                                 \
        (listelm)->field.tqe_circ.tql_prev = &(elm)->field.tqe_circ;    \
    } while (0)

/* Unlinks @elm and clears its links, so QTAILQ_IN_USE becomes false. */
#define QTAILQ_REMOVE(head, elm, field) do {                            \
        QTailQLink *qtq_before__ = (elm)->field.tqe_circ.tql_prev;      \
        qtq_before__->tql_next = (elm)->field.tqe_next;                 \
        if ((elm)->field.tqe_next == NULL) {                            \
            (head)->tqh_circ.tql_prev = qtq_before__;                   \
        } else {                                                        \
            (elm)->field.tqe_next->field.tqe_circ.tql_prev =            \
                qtq_before__;                                           \
        }                                                               \
        (elm)->field.tqe_circ.tql_next = NULL;                          \
        (elm)->field.tqe_circ.tql_prev = NULL;                          \
    } while (0)

/*
 * Unlinks the run @left..@right (inclusive, in list order) in O(1).  The
 * removed elements keep their links to each other; only the neighbours
 * are updated.
 */
#define QTAILQ_REMOVE_SEVERAL(head, left, right, field) do {            \
        QTailQLink *qtq_before__ = (left)->field.tqe_circ.tql_prev;     \
        qtq_before__->tql_next = (right)->field.tqe_next;               \
        if ((right)->field.tqe_next == NULL) {                          \
            (head)->tqh_circ.tql_prev = qtq_before__;                   \
        } else {                                                        \
            (right)->field.tqe_next->field.tqe_circ.tql_prev =          \
                qtq_before__;                                           \
        }                                                               \
    } while (0)

#define QTAILQ_FOREACH(var, head, field) \
    QUEUE_WALK_(var, QTAILQ_FIRST(head), QTAILQ_NEXT(var, field))

#define QTAILQ_FOREACH_SAFE(var, head, field, next_var) \
    QUEUE_WALK_SAFE_(var, QTAILQ_FIRST(head), QTAILQ_NEXT(var, field), next_var)

#define QTAILQ_FOREACH_REVERSE(var, head, field) \
    QUEUE_WALK_(var, QTAILQ_LAST(head), QTAILQ_PREV(var, field))

#define QTAILQ_FOREACH_REVERSE_SAFE(var, head, field, prev_var) \
    QUEUE_WALK_SAFE_(var, QTAILQ_LAST(head), QTAILQ_PREV(var, field), prev_var)

/* ---------------------------------------------------------------------- */
/* Untyped access, for code that only knows the link's byte offset        */
/* (QEMU's migration code walks lists this way).                          */
/* ---------------------------------------------------------------------- */

#define field_at_offset(base, offset, type) \
    ((type *) ((char *) (base) + (offset)))

/* A QTAILQ head is a union, so both views start at offset 0. */
#define QTAILQ_RAW_FIRST(head)          field_at_offset(head, 0, void *)
#define QTAILQ_RAW_TQH_CIRC(head)       field_at_offset(head, 0, QTailQLink)
#define QTAILQ_RAW_NEXT(elm, entry)     field_at_offset(elm, entry, void *)
#define QTAILQ_RAW_TQE_CIRC(elm, entry) field_at_offset(elm, entry, QTailQLink)

#define QTAILQ_RAW_FOREACH(elm, head, entry)                            \
    for ((elm) = *QTAILQ_RAW_FIRST(head); (elm);                        \
         (elm) = *QTAILQ_RAW_NEXT(elm, entry))

#define QTAILQ_RAW_INSERT_TAIL(head, elm, entry) do {                   \
        QTailQLink *qtq_hc__ = QTAILQ_RAW_TQH_CIRC(head);               \
        QTailQLink *qtq_ec__ = QTAILQ_RAW_TQE_CIRC(elm, entry);         \
        qtq_ec__->tql_next = NULL;                                      \
        qtq_ec__->tql_prev = qtq_hc__->tql_prev;                        \
        qtq_hc__->tql_prev->tql_next = (elm);                           \
        qtq_hc__->tql_prev = qtq_ec__;                                  \
    } while (0)

/* A QLIST entry is { next, prev }: prev sits one pointer after next. */
#define QLIST_RAW_FIRST(head)           field_at_offset(head, 0, void *)
#define QLIST_RAW_NEXT(elm, entry)      field_at_offset(elm, entry, void *)
#define QLIST_RAW_PREVIOUS(elm, entry) \
    field_at_offset(elm, (entry) + sizeof(void *), void *)

#define QLIST_RAW_FOREACH(elm, head, entry)                             \
    for ((elm) = *QLIST_RAW_FIRST(head); (elm);                         \
         (elm) = *QLIST_RAW_NEXT(elm, entry))

/* Appends @elem after @prev, which must be the last element. */
#define QLIST_RAW_INSERT_AFTER(head, prev, elem, entry) do {            \
        *QLIST_RAW_NEXT(elem, entry) = NULL;                            \
        *QLIST_RAW_PREVIOUS(elem, entry) = QLIST_RAW_NEXT(prev, entry); \
        *QLIST_RAW_NEXT(prev, entry) = (elem);                          \
    } while (0)

#define QLIST_RAW_INSERT_HEAD(head, elm, entry) do {                    \
        void *qlr_old__ = *QLIST_RAW_FIRST(head);                       \
        *QLIST_RAW_NEXT(elm, entry) = qlr_old__;                        \
        *QLIST_RAW_PREVIOUS(elm, entry) = QLIST_RAW_FIRST(head);        \
        if (qlr_old__) {                                                \
            *QLIST_RAW_PREVIOUS(qlr_old__, entry) =                     \
                QLIST_RAW_NEXT(elm, entry);                             \
        }                                                               \
        *QLIST_RAW_FIRST(head) = (elm);                                 \
    } while (0)

#endif /* QEMU_SYS_QUEUE_H */
