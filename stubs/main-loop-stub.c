/*
 * qemuutil: TEMPORARY main-loop stand-ins until the main-loop issue lands.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * bql_locked() stays a stub for good (QEMU's stubs/iothread-lock.c returns
 * false too, and system emulators link their own); qemu_get_aio_context()
 * and iohandler_get_aio_context() move to util/main-loop.c and must then be
 * deleted from here.
 */
#include "qemu/osdep.h"
#include "qemu/main-loop.h"

bool bql_locked(void)
{
    return false;
}

AioContext *qemu_get_aio_context(void)
{
    return NULL;
}

AioContext *iohandler_get_aio_context(void)
{
    return NULL;
}
