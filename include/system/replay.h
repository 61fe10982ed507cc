/*
 * qemuutil: the record/replay hooks that the timer and main-loop code call
 * (QEMU 10.0's system/replay.h, reduced to what qemuutil needs).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * QEMU's replay/ directory implements them in the system emulator and
 * stubs/replay-*.c in tools.  qemuutil never records or replays: its
 * stubs/ report "not replaying" (replay_mode is REPLAY_MODE_NONE and every
 * checkpoint passes).  The library only calls these, never defines them.
 */
#ifndef SYSTEM_REPLAY_H
#define SYSTEM_REPLAY_H

#include "system/cpu-timers.h"

/* Record/replay mode (a QAPI enum in QEMU). */
typedef enum ReplayMode {
    REPLAY_MODE_NONE,
    REPLAY_MODE_RECORD,
    REPLAY_MODE_PLAY,
    REPLAY_MODE__MAX,
} ReplayMode;

/* Clocks whose reads are logged. */
enum ReplayClockKind {
    REPLAY_CLOCK_HOST,
    REPLAY_CLOCK_VIRTUAL_RT,
    REPLAY_CLOCK_COUNT
};
typedef enum ReplayClockKind ReplayClockKind;

/* Points where recorded and replayed runs synchronise. */
enum ReplayCheckpoint {
    CHECKPOINT_CLOCK_WARP_START,    /* icount warp timer armed */
    CHECKPOINT_CLOCK_WARP_ACCOUNT,  /* icount warp accounted */
    CHECKPOINT_RESET_REQUESTED,
    CHECKPOINT_SUSPEND_REQUESTED,
    CHECKPOINT_CLOCK_VIRTUAL,       /* before guest-visible virtual timers */
    CHECKPOINT_CLOCK_HOST,          /* before running host-clock timers */
    CHECKPOINT_CLOCK_VIRTUAL_RT,    /* before running VIRTUAL_RT timers */
    CHECKPOINT_INIT,
    CHECKPOINT_RESET,
    CHECKPOINT_COUNT                /* number of checkpoints */
};
typedef enum ReplayCheckpoint ReplayCheckpoint;

/* Current mode (stubs/replay-mode.c: REPLAY_MODE_NONE). */
extern ReplayMode replay_mode;

/* The replay lock serialises the main loop against the vCPU thread. */
void replay_mutex_lock(void);
void replay_mutex_unlock(void);

/* Log (record) or fetch (replay) a clock reading. */
int64_t replay_save_clock(ReplayClockKind kind, int64_t clock,
                          int64_t raw_icount);
int64_t replay_read_clock(ReplayClockKind kind, int64_t raw_icount);

/*
 * REPLAY_CLOCK: @value as read now, unless icount record/replay is active,
 * in which case the read is logged or taken from the log.
 */
#define REPLAY_CLOCK(clock, value)                                        \
    (!icount_enabled() ? (value)                                          \
     : replay_mode == REPLAY_MODE_PLAY                                    \
       ? replay_read_clock((clock), icount_get_raw())                     \
       : replay_mode == REPLAY_MODE_RECORD                                \
         ? replay_save_clock((clock), (value), icount_get_raw())          \
         : (value))

/*
 * replay_checkpoint: synchronise with the log at @checkpoint.
 * Returns false when the caller must not proceed yet (replay only).
 */
bool replay_checkpoint(ReplayCheckpoint checkpoint);

#endif /* SYSTEM_REPLAY_H */
