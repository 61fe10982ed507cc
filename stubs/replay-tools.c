/*
 * qemuutil stub: record/replay hooks for a program that never replays.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * Checkpoints always pass and the replay lock is a no-op.  The clock log
 * functions can only be reached with icount record/replay, which qemuutil
 * does not have, so reaching them is a bug.
 */
#include "qemu/osdep.h"
#include "system/replay.h"

/* Nothing is replayed, so nothing ever has to wait for the log. */
bool replay_checkpoint(ReplayCheckpoint checkpoint)
{
    return true;
}

/* No replay thread to serialise against. */
void replay_mutex_lock(void)
{
    /* nothing to lock */
}

void replay_mutex_unlock(void)
{
    /* nothing to unlock */
}

int64_t replay_save_clock(ReplayClockKind kind, int64_t clock,
                          int64_t raw_icount)
{
    fprintf(stderr, "replay_save_clock: record/replay is not available\n");
    abort();
}

int64_t replay_read_clock(ReplayClockKind kind, int64_t raw_icount)
{
    fprintf(stderr, "replay_read_clock: record/replay is not available\n");
    abort();
}
