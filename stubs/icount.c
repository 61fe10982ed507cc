/*
 * qemuutil stub: instruction counting, which qemuutil never enables.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * icount_enabled() is a constant 0 here, so nothing should ever ask for the
 * counter; the definition only satisfies the references that the
 * REPLAY_CLOCK() macro leaves behind in unoptimised builds.
 */
#include "qemu/osdep.h"
#include "system/cpu-timers.h"

int64_t icount_get_raw(void)
{
    fprintf(stderr, "icount_get_raw: icount is not available in qemuutil\n");
    abort();
}

void icount_start_warp_timer(void)
{
    /* Without icount there is no warp timer. */
}
