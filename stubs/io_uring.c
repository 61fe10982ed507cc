/*
 * qemuutil: stand-ins for the io_uring block engine (QEMU's
 * block/io_uring.c), which the standalone library does not have.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * The fd monitor util/fdmon-io_uring.c is unrelated and fully present.
 */
#include "qemu/osdep.h"
#include "qapi/error.h"
#include "block/aio.h"
#include "block/raw-aio.h"

#ifdef CONFIG_LINUX_IO_URING

LuringState *luring_init(Error **errp)
{
    error_setg(errp, "io_uring block I/O is not part of qemuutil");
    return NULL;
}

/*
 * luring_init() never hands out an engine, so nobody can have one to
 * attach, detach or clean up.
 */
static void no_engine(const char *what)
{
    fprintf(stderr, "%s: there is no io_uring block engine here\n", what);
    abort();
}

void luring_attach_aio_context(LuringState *s, AioContext *new_context)
{
    no_engine(__func__);
}

void luring_detach_aio_context(LuringState *s, AioContext *old_context)
{
    no_engine(__func__);
}

void luring_cleanup(LuringState *s)
{
    no_engine(__func__);
}

#endif /* CONFIG_LINUX_IO_URING */
