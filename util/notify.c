/*
 * qemuutil: notifier lists.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * See include/qemu/notify.h for the contract.  The walks fetch the next
 * notifier before calling the current one, which is what lets a callback
 * unregister (and free) itself.
 */
#include "qemu/osdep.h"
#include "qemu/notify.h"

/* Plain notifiers ------------------------------------------------------ */

void notifier_list_notify(NotifierList *list, void *data)
{
    Notifier *cur, *following;

    QLIST_FOREACH_SAFE(cur, &list->notifiers, node, following) {
        cur->notify(cur, data);
    }
}

/* Newest first: the list is walked from the head. */
void notifier_list_add(NotifierList *list, Notifier *notifier)
{
    QLIST_INSERT_HEAD(&list->notifiers, notifier, node);
}

/* The list head is not needed: the links are self-contained. */
void notifier_remove(Notifier *notifier)
{
    QLIST_REMOVE(notifier, node);
}

bool notifier_list_empty(NotifierList *list)
{
    return QLIST_FIRST(&list->notifiers) == NULL;
}

void notifier_list_init(NotifierList *list)
{
    QLIST_INIT(&list->notifiers);
}

/* Notifiers that can fail ---------------------------------------------- */

int notifier_with_return_list_notify(NotifierWithReturnList *list,
                                     void *data, Error **errp)
{
    NotifierWithReturn *cur, *following;
    int rc;

    QLIST_FOREACH_SAFE(cur, &list->notifiers, node, following) {
        rc = cur->notify(cur, data, errp);
        if (rc) {
            return rc;      /* the rest are skipped */
        }
    }
    return 0;
}

void notifier_with_return_list_init(NotifierWithReturnList *list)
{
    QLIST_INIT(&list->notifiers);
}

void notifier_with_return_remove(NotifierWithReturn *notifier)
{
    QLIST_REMOVE(notifier, node);
}

/* Same order as notifier_list_add(): newest first. */
void notifier_with_return_list_add(NotifierWithReturnList *list,
                                   NotifierWithReturn *notifier)
{
    QLIST_INSERT_HEAD(&list->notifiers, notifier, node);
}
