/*
 * qemuutil: lets QEMU test code that includes "iothread.h" build unchanged.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * QEMU's unit tests carry their own IOThread helper next to them; qemuutil
 * ships it in the library (include/qemu/iothread.h, util/iothread.c).
 */
#ifndef TEST_IOTHREAD_H
#define TEST_IOTHREAD_H

#include "qemu/iothread.h"

#endif /* TEST_IOTHREAD_H */
