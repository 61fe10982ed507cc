/*
 * qemuutil stub: qemu_notify_event() for programs without a main loop.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * TEMPORARY: util/main-loop.c will define the real one (it kicks the main
 * AioContext); until then there is no main loop to wake, so it does
 * nothing.  Remove this file from the build when main-loop.c arrives.
 */
#include "qemu/osdep.h"
#include "qemu/main-loop.h"

/* BOOTSTRAP: the provisional qemu/main-loop.h does not declare it yet. */
void qemu_notify_event(void);

void qemu_notify_event(void)
{
}
