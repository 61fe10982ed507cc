/*
 * qemuutil: the QemuEvent tests, run against the mutex+condvar fallback.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * tests/unit/meson.build builds this program with QEMUUTIL_EVENT_NO_FUTEX
 * defined and links its own copy of util/qemu-thread-posix.c compiled the
 * same way, so QemuEvent takes the path QEMU uses on hosts without futex.
 * The state machine is the same, so the same tests apply unchanged.
 */
#ifndef QEMUUTIL_EVENT_NO_FUTEX
#error "build with -DQEMUUTIL_EVENT_NO_FUTEX (see tests/unit/meson.build)"
#endif

#include "test-qemu-event.c"
