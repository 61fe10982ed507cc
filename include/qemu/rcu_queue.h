/*
 * qemuutil: RCU-safe variants of the qemu/queue.h list operations.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * Names and semantics follow QEMU 10.0's include/qemu/rcu_queue.h.
 *
 * Readers walk a list with the *_FOREACH_RCU / *_FIRST_RCU / *_NEXT_RCU
 * macros inside an RCU read-side critical section (qemu/rcu.h), without
 * taking the writers' lock.  Writers still exclude each other with a lock
 * of their own; the macros here only make each update safe for concurrent
 * readers:
 *
 *  - insertion fully initialises the new element, then publishes it with a
 *    single qatomic_rcu_set() (a release store, pairing with the readers'
 *    qatomic_rcu_read()), so a reader sees either the old list or a
 *    complete new element;
 *  - removal redirects the one forward pointer that leads to the element
 *    and leaves the element's own forward pointer alone, so readers that
 *    are already standing on it can still move on.  The redirecting store
 *    is a release too: the successor it exposes was published earlier, but
 *    a reader that reaches the successor through this new path must also
 *    synchronise with its initialisation (QEMU uses a relaxed store here
 *    and relies on address dependencies; this is the same on hardware and
 *    also correct for the C11 model and ThreadSanitizer).  The element may be
 *    freed (or re-inserted) only after a grace period: synchronize_rcu(),
 *    call_rcu() or g_free_rcu().
 *
 * Only forward traversal is RCU-safe.  Backward links (le_prev, tql_prev,
 * sqh_last) belong to the writers.
 */
#ifndef QEMU_RCU_QUEUE_H
#define QEMU_RCU_QUEUE_H

#include "qemu/queue.h"
#include "qemu/atomic.h"

/* ---------------------------------------------------------------------- */
/* QLIST                                                                   */
/* ---------------------------------------------------------------------- */

#define QLIST_EMPTY_RCU(head)       (qatomic_read(&(head)->lh_first) == NULL)
#define QLIST_FIRST_RCU(head)       (qatomic_rcu_read(&(head)->lh_first))
#define QLIST_NEXT_RCU(elm, field)  (qatomic_rcu_read(&(elm)->field.le_next))

#define QLIST_INSERT_HEAD_RCU(head, elm, field) do {                    \
        typeof(elm) qlr_first__ = (head)->lh_first;                     \
        (elm)->field.le_next = qlr_first__;                             \
        (elm)->field.le_prev = &(head)->lh_first;                       \
        qatomic_rcu_set(&(head)->lh_first, (elm));                      \
        if (qlr_first__) {                                              \
            qlr_first__->field.le_prev = &(elm)->field.le_next;         \
        }                                                               \
    } while (0)

#define QLIST_INSERT_AFTER_RCU(listelm, elm, field) do {                \
        typeof(elm) qlr_succ__ = (listelm)->field.le_next;              \
        (elm)->field.le_next = qlr_succ__;                              \
        (elm)->field.le_prev = &(listelm)->field.le_next;               \
        qatomic_rcu_set(&(listelm)->field.le_next, (elm));              \
        if (qlr_succ__) {                                               \
            qlr_succ__->field.le_prev = &(elm)->field.le_next;          \
        }                                                               \
    } while (0)

#define QLIST_INSERT_BEFORE_RCU(listelm, elm, field) do {               \
        (elm)->field.le_next = (listelm);                               \
        (elm)->field.le_prev = (listelm)->field.le_prev;                \
        qatomic_rcu_set((elm)->field.le_prev, (elm));                   \
        (listelm)->field.le_prev = &(elm)->field.le_next;               \
    } while (0)

/*
 * Unlinks @elm.  Its le_next is kept for readers still on it, and so is
 * its le_prev, as in QEMU (QLIST_IS_INSERTED stays true).
 */
#define QLIST_REMOVE_RCU(elm, field) do {                               \
        typeof(elm) qlr_succ__ = (elm)->field.le_next;                  \
        if (qlr_succ__) {                                               \
            qlr_succ__->field.le_prev = (elm)->field.le_prev;           \
        }                                                               \
        qatomic_rcu_set((elm)->field.le_prev, qlr_succ__);                  \
    } while (0)

#define QLIST_FOREACH_RCU(var, head, field)                             \
    for ((var) = QLIST_FIRST_RCU(head); (var);                          \
         (var) = QLIST_NEXT_RCU(var, field))

#define QLIST_FOREACH_SAFE_RCU(var, head, field, next_var)              \
    for ((var) = QLIST_FIRST_RCU(head);                                 \
         (var) != NULL && ((next_var) = QLIST_NEXT_RCU(var, field), true); \
         (var) = (next_var))

/* ---------------------------------------------------------------------- */
/* QSIMPLEQ                                                                */
/* ---------------------------------------------------------------------- */

#define QSIMPLEQ_FIRST_RCU(head)       qatomic_rcu_read(&(head)->sqh_first)
#define QSIMPLEQ_NEXT_RCU(elm, field)  qatomic_rcu_read(&(elm)->field.sqe_next)
#define QSIMPLEQ_EMPTY_RCU(head)       (qatomic_read(&(head)->sqh_first) == NULL)

#define QSIMPLEQ_INSERT_HEAD_RCU(head, elm, field) do {                 \
        typeof(elm) qsr_old_first__ = (head)->sqh_first;                \
        (elm)->field.sqe_next = qsr_old_first__;                        \
        if (!qsr_old_first__) {             /* @elm is the tail too */  \
            (head)->sqh_last = &(elm)->field.sqe_next;                  \
        }                                                               \
        qatomic_rcu_set(&(head)->sqh_first, (elm));                     \
    } while (0)

#define QSIMPLEQ_INSERT_TAIL_RCU(head, elm, field) do {                 \
        typeof(elm) *qsr_old_tail__ = (head)->sqh_last;                 \
        (head)->sqh_last = &(elm)->field.sqe_next;                      \
        (elm)->field.sqe_next = NULL;                                   \
        qatomic_rcu_set(qsr_old_tail__, (elm));  /* publish last */     \
    } while (0)

#define QSIMPLEQ_INSERT_AFTER_RCU(head, listelm, elm, field) do {       \
        typeof(elm) qsr_succ__ = (listelm)->field.sqe_next;             \
        (elm)->field.sqe_next = qsr_succ__;                             \
        if (!qsr_succ__) {                                              \
            (head)->sqh_last = &(elm)->field.sqe_next;   /* new tail */ \
        }                                                               \
        qatomic_rcu_set(&(listelm)->field.sqe_next, (elm));             \
    } while (0)

#define QSIMPLEQ_REMOVE_HEAD_RCU(head, field) do {                      \
        typeof((head)->sqh_first) qsr_succ__ =                          \
            (head)->sqh_first->field.sqe_next;                          \
        qatomic_rcu_set(&(head)->sqh_first, qsr_succ__);                    \
        if (qsr_succ__ == NULL) {                                       \
            (head)->sqh_last = &(head)->sqh_first;                      \
        }                                                               \
    } while (0)

/* O(n) removal of @elm, which must be on the queue. */
#define QSIMPLEQ_REMOVE_RCU(head, elm, type, field) do {                \
        struct type **qsr_link__ = &(head)->sqh_first;                  \
        while (*qsr_link__ != (elm)) {                                  \
            qsr_link__ = &(*qsr_link__)->field.sqe_next;                \
        }                                                               \
        qatomic_rcu_set(qsr_link__, (elm)->field.sqe_next);                 \
        if ((elm)->field.sqe_next == NULL) {                            \
            (head)->sqh_last = qsr_link__;                              \
        }                                                               \
    } while (0)

#define QSIMPLEQ_FOREACH_RCU(var, head, field)                          \
    for ((var) = QSIMPLEQ_FIRST_RCU(head); (var);                       \
         (var) = QSIMPLEQ_NEXT_RCU(var, field))

#define QSIMPLEQ_FOREACH_SAFE_RCU(var, head, field, next)               \
    for ((var) = QSIMPLEQ_FIRST_RCU(head);                              \
         (var) != NULL && ((next) = QSIMPLEQ_NEXT_RCU(var, field), true); \
         (var) = (next))

/* ---------------------------------------------------------------------- */
/* QTAILQ                                                                  */
/* ---------------------------------------------------------------------- */

#define QTAILQ_EMPTY_RCU(head)       (qatomic_read(&(head)->tqh_first) == NULL)
#define QTAILQ_FIRST_RCU(head)       qatomic_rcu_read(&(head)->tqh_first)
#define QTAILQ_NEXT_RCU(elm, field)  qatomic_rcu_read(&(elm)->field.tqe_next)

#define QTAILQ_INSERT_HEAD_RCU(head, elm, field) do {                   \
        typeof(elm) qtr_first__ = (head)->tqh_first;                    \
        (elm)->field.tqe_next = qtr_first__;                            \
        (elm)->field.tqe_circ.tql_prev = &(head)->tqh_circ;             \
        if (qtr_first__) {                                              \
            qtr_first__->field.tqe_circ.tql_prev = &(elm)->field.tqe_circ; \
        } else {                                                        \
            (head)->tqh_circ.tql_prev = &(elm)->field.tqe_circ;         \
        }                                                               \
        qatomic_rcu_set(&(head)->tqh_first, (elm));                     \
    } while (0)

#define QTAILQ_INSERT_TAIL_RCU(head, elm, field) do {                   \
        QTailQLink *qtr_last__ = (head)->tqh_circ.tql_prev;             \
        (elm)->field.tqe_next = NULL;                                   \
        (elm)->field.tqe_circ.tql_prev = qtr_last__;                    \
        (head)->tqh_circ.tql_prev = &(elm)->field.tqe_circ;             \
        qatomic_rcu_set(&qtr_last__->tql_next, (void *)(elm));          \
    } while (0)

#define QTAILQ_INSERT_AFTER_RCU(head, listelm, elm, field) do {         \
        typeof(elm) qtr_succ__ = (listelm)->field.tqe_next;             \
        (elm)->field.tqe_next = qtr_succ__;                             \
        (elm)->field.tqe_circ.tql_prev = &(listelm)->field.tqe_circ;    \
        if (qtr_succ__) {                                               \
            qtr_succ__->field.tqe_circ.tql_prev = &(elm)->field.tqe_circ; \
        } else {                                                        \
            (head)->tqh_circ.tql_prev = &(elm)->field.tqe_circ;         \
        }                                                               \
        qatomic_rcu_set(&(listelm)->field.tqe_next, (elm));             \
    } while (0)

#define QTAILQ_INSERT_BEFORE_RCU(listelm, elm, field) do {              \
        QTailQLink *qtr_before__ = (listelm)->field.tqe_circ.tql_prev;  \
        (elm)->field.tqe_next = (listelm);                              \
        (elm)->field.tqe_circ.tql_prev = qtr_before__;                  \
        (listelm)->field.tqe_circ.tql_prev = &(elm)->field.tqe_circ;    \
        qatomic_rcu_set(&qtr_before__->tql_next, (void *)(elm));        \
    } while (0)

/*
 * Unlinks @elm.  tqe_next is kept for readers still on it; tql_prev is
 * cleared, so QTAILQ_IN_USE() becomes false.
 */
#define QTAILQ_REMOVE_RCU(head, elm, field) do {                        \
        QTailQLink *qtr_before__ = (elm)->field.tqe_circ.tql_prev;      \
        typeof(elm) qtr_succ__ = (elm)->field.tqe_next;                 \
        if (qtr_succ__) {                                               \
            qtr_succ__->field.tqe_circ.tql_prev = qtr_before__;         \
        } else {                                                        \
            (head)->tqh_circ.tql_prev = qtr_before__;                   \
        }                                                               \
        qatomic_rcu_set(&qtr_before__->tql_next, (void *)qtr_succ__);       \
        (elm)->field.tqe_circ.tql_prev = NULL;                          \
    } while (0)

#define QTAILQ_FOREACH_RCU(var, head, field)                            \
    for ((var) = QTAILQ_FIRST_RCU(head); (var);                         \
         (var) = QTAILQ_NEXT_RCU(var, field))

#define QTAILQ_FOREACH_SAFE_RCU(var, head, field, next)                 \
    for ((var) = QTAILQ_FIRST_RCU(head);                                \
         (var) != NULL && ((next) = QTAILQ_NEXT_RCU(var, field), true); \
         (var) = (next))

/* ---------------------------------------------------------------------- */
/* QSLIST                                                                  */
/* ---------------------------------------------------------------------- */

#define QSLIST_FIRST_RCU(head)       qatomic_rcu_read(&(head)->slh_first)
#define QSLIST_NEXT_RCU(elm, field)  qatomic_rcu_read(&(elm)->field.sle_next)
#define QSLIST_EMPTY_RCU(head)       (qatomic_read(&(head)->slh_first) == NULL)

/*
 * Insert @elm in front of whatever the link @slot (a head's first pointer
 * or an element's next pointer) points to, publishing it last.
 */
#define QSLIST_LINK_RCU_(slot, elm, field) do {                         \
        typeof(slot) qslr_slot__ = (slot);                              \
        (elm)->field.sle_next = *qslr_slot__;                           \
        qatomic_rcu_set(qslr_slot__, (elm));                            \
    } while (0)
#define QSLIST_INSERT_HEAD_RCU(head, elm, field)                        \
    QSLIST_LINK_RCU_(&(head)->slh_first, elm, field)
#define QSLIST_INSERT_AFTER_RCU(head, listelm, elm, field)              \
    QSLIST_LINK_RCU_(&(listelm)->field.sle_next, elm, field)

#define QSLIST_REMOVE_HEAD_RCU(head, field) do {                        \
        qatomic_rcu_set(&(head)->slh_first,                             \
                        (head)->slh_first->field.sle_next);             \
    } while (0)

/* O(n) removal of @elm, which must be on the list. */
#define QSLIST_REMOVE_RCU(head, elm, type, field) do {                  \
        struct type **qslr_link__ = &(head)->slh_first;                 \
        while (*qslr_link__ != (elm)) {                                 \
            qslr_link__ = &(*qslr_link__)->field.sle_next;              \
        }                                                               \
        qatomic_rcu_set(qslr_link__, (elm)->field.sle_next);                \
    } while (0)

#define QSLIST_FOREACH_RCU(var, head, field)                            \
    for ((var) = QSLIST_FIRST_RCU(head); (var);                         \
         (var) = QSLIST_NEXT_RCU(var, field))

#define QSLIST_FOREACH_SAFE_RCU(var, head, field, next)                 \
    for ((var) = QSLIST_FIRST_RCU(head);                                \
         (var) != NULL && ((next) = QSLIST_NEXT_RCU(var, field), true); \
         (var) = (next))

#endif /* QEMU_RCU_QUEUE_H */
