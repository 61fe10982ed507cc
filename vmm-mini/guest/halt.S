/*
 * vmm-mini test guest that never finishes: it prints one line and halts
 * with interrupts off, so only vmm-mini's --timeout can end the run.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "lib.inc"

start:
    PUTS(msg)
1:  cli
    hlt
    jmp 1b

msg:    .asciz "halt: waiting forever\n"
