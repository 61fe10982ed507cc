/*
 * qemuutil stub: record/replay mode, always "none".
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "qemu/osdep.h"
#include "system/replay.h"

/* Zero-initialised: REPLAY_MODE_NONE. */
ReplayMode replay_mode;
