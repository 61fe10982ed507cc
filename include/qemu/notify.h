/*
 * qemuutil: notifier lists (observer callbacks chained on an intrusive list).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * A Notifier is embedded by its owner, which sets ->notify and adds it to a
 * NotifierList; notifier_list_notify() then calls every registered notifier
 * with the same opaque @data.  Names, fields and ordering are those of QEMU
 * 10.0's include/qemu/notify.h.
 *
 * Ownership: the list never allocates or frees; the notifier's owner keeps
 * it alive while it is registered and removes it before freeing it.
 *
 * Order: notifier_list_add() inserts at the front, so the most recently
 * added notifier is called first.
 *
 * Re-entrancy: while a list is being notified, a callback may remove its
 * own notifier (and free it).  It must not remove any other notifier of the
 * same list, and notifiers it adds may or may not be called in this pass.
 *
 * Threading: none of these functions lock.  Each list is protected by
 * whatever its owner documents (often: home thread only).
 */
#ifndef QEMU_NOTIFY_H
#define QEMU_NOTIFY_H

#include "qemu/queue.h"

typedef struct Notifier Notifier;

/**
 * struct Notifier - one registered callback
 * @notify: called by notifier_list_notify() with the notifier itself (use
 *          container_of() to reach the owner) and the list's event data.
 * @node: link in the NotifierList; owned by the list while registered.
 */
struct Notifier {
    QLIST_ENTRY(Notifier) node;
    void (*notify)(Notifier *self, void *data);
};

/**
 * struct NotifierList - a set of Notifiers, called newest first
 * @notifiers: the registered notifiers.
 */
typedef struct NotifierList {
    QLIST_HEAD(, Notifier) notifiers;
} NotifierList;

/*
 * Static initialisers for a NotifierList or NotifierWithReturnList
 * variable named @head.
 */
#define NOTIFY_LIST_INIT_(head) { QLIST_HEAD_INITIALIZER((head).notifiers) }
#define NOTIFIER_LIST_INITIALIZER(head) NOTIFY_LIST_INIT_(head)
#define NOTIFIER_WITH_RETURN_LIST_INITIALIZER(head) NOTIFY_LIST_INIT_(head)

/**
 * notifier_list_add - register @notifier on @list (at the front)
 * @list: the list.
 * @notifier: a notifier that is on no list, with ->notify set.
 */
void notifier_list_add(NotifierList *list, Notifier *notifier);

/**
 * notifier_remove - unregister @notifier from the list it is on
 * @notifier: a registered notifier.  Removing an unregistered notifier is a
 * bug and crashes.
 */
void notifier_remove(Notifier *notifier);

/**
 * notifier_list_notify - call every notifier on @list with @data
 * @list: the list.
 * @data: passed through unchanged to each ->notify.
 *
 * Each callback may remove its own notifier (see the header comment).
 */
void notifier_list_notify(NotifierList *list, void *data);

/**
 * notifier_list_empty - true if nothing is registered on @list
 * @list: the list.
 */
bool notifier_list_empty(NotifierList *list);

/**
 * notifier_list_init - make @list empty
 * @list: the list; any previous content is forgotten, not unlinked.
 */
void notifier_list_init(NotifierList *list);

typedef struct NotifierWithReturn NotifierWithReturn;

/*
 * Callback of a NotifierWithReturn: returns 0 to let the next notifier run,
 * anything else (usually a negative errno, with *errp set) to stop the walk.
 */
typedef int (*NotifierWithReturnFunc)(NotifierWithReturn *notifier,
                                      void *data, Error **errp);

/**
 * struct NotifierWithReturn - a Notifier whose callback can fail
 * @notify: the callback; a non-zero return stops the notification.
 * @node: link in the NotifierWithReturnList.
 */
struct NotifierWithReturn {
    QLIST_ENTRY(NotifierWithReturn) node;
    NotifierWithReturnFunc notify;
};

/**
 * struct NotifierWithReturnList - a set of NotifierWithReturn
 * @notifiers: the registered notifiers, newest first.
 */
typedef struct NotifierWithReturnList {
    QLIST_HEAD(, NotifierWithReturn) notifiers;
} NotifierWithReturnList;

/* As notifier_list_add() / notifier_remove() / _init(), for the variant. */
void notifier_with_return_list_add(NotifierWithReturnList *nlist,
                                   NotifierWithReturn *n);
void notifier_with_return_remove(NotifierWithReturn *n);
void notifier_with_return_list_init(NotifierWithReturnList *nlist);

/**
 * notifier_with_return_list_notify - call notifiers until one fails
 * @nlist: the list.
 * @data: passed to each callback.
 * @errp: passed to each callback, which sets it when it fails.
 *
 * Returns: 0 if every notifier returned 0, else the first non-zero value
 * (the remaining notifiers are not called).
 */
int notifier_with_return_list_notify(NotifierWithReturnList *nlist,
                                     void *data, Error **errp);

#endif /* QEMU_NOTIFY_H */
