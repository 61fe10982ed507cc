/*
 * qemuutil: deferred calls (see include/qemu/defer-call.h).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * Standalone support layer: QEMU builds its own util/defer-call.c.
 *
 * Each thread keeps a nesting depth and an array of pending calls.  The
 * array is handed to a notifier that frees it when a thread created by
 * qemu_thread_create() exits.
 */
#include "qemu/osdep.h"
#include "qemu/coroutine-tls.h"
#include "qemu/defer-call.h"
#include "qemu/notify.h"
#include "qemu/thread.h"

typedef struct {
    void (*fn)(void *);
    void *opaque;
} PendingCall;

typedef struct {
    unsigned depth;             /* open sections */
    GArray *pending;            /* PendingCall, in order of deferral */
    Notifier exit_notifier;     /* frees @pending when the thread ends */
} DeferCallState;

/*
 * Coroutine-safe TLS: a section can be opened in a coroutine that moves
 * threads only if it closes it before yielding, but the accessor still must
 * not cache the address across a yield.
 */
QEMU_DEFINE_STATIC_CO_TLS(DeferCallState, defer_call_state)

static void defer_call_thread_exit(Notifier *n, void *unused)
{
    DeferCallState *state = container_of(n, DeferCallState, exit_notifier);

    g_array_free(state->pending, TRUE);
    state->pending = NULL;
}

void defer_call(void (*fn)(void *), void *opaque)
{
    DeferCallState *state = get_ptr_defer_call_state();
    PendingCall call = { .fn = fn, .opaque = opaque };
    guint i;

    if (state->depth == 0) {
        fn(opaque);
        return;
    }

    if (!state->pending) {
        state->pending = g_array_new(FALSE, FALSE, sizeof(PendingCall));
        state->exit_notifier.notify = defer_call_thread_exit;
        qemu_thread_atexit_add(&state->exit_notifier);
    }

    /* A handful of entries at most: a linear scan is cheapest. */
    for (i = 0; i < state->pending->len; i++) {
        PendingCall *p = &g_array_index(state->pending, PendingCall, i);

        if (p->fn == fn && p->opaque == opaque) {
            return;
        }
    }
    g_array_append_val(state->pending, call);
}

void defer_call_begin(void)
{
    DeferCallState *state = get_ptr_defer_call_state();

    assert(state->depth < UINT_MAX);
    state->depth++;
}

void defer_call_end(void)
{
    DeferCallState *state = get_ptr_defer_call_state();

    if (state->depth == 0) {
        fprintf(stderr, "defer_call_end: no defer_call_begin() section is "
                "open in this thread\n");
        abort();
    }
    if (--state->depth > 0 || !state->pending) {
        return;
    }

    /*
     * Take each call off the array before making it: a call may open and
     * close a section of its own, whose end then makes whatever is still
     * pending, and nothing must run twice.
     */
    while (state->pending->len > 0) {
        PendingCall call = g_array_index(state->pending, PendingCall, 0);

        g_array_remove_index(state->pending, 0);
        call.fn(call.opaque);
    }
}
