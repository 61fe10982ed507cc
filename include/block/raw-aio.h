/*
 * qemuutil: the part of QEMU's block/raw-aio.h that util/async.c uses:
 * the hooks of the Linux AIO and io_uring block engines.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * QEMU's block layer implements these.  The standalone library has no block
 * layer and links stubs/io_uring.c instead, whose luring_init() fails, so
 * aio_setup_linux_io_uring() reports an error.  Home thread only.
 */
#ifndef QEMU_RAW_AIO_H
#define QEMU_RAW_AIO_H

#include "block/aio.h"

#ifdef CONFIG_LINUX_AIO
typedef struct LinuxAioState LinuxAioState;
LinuxAioState *laio_init(Error **errp);
void laio_cleanup(LinuxAioState *s);
void laio_detach_aio_context(LinuxAioState *s, AioContext *old_context);
void laio_attach_aio_context(LinuxAioState *s, AioContext *new_context);
#endif

#ifdef CONFIG_LINUX_IO_URING
/**
 * luring_init: create an io_uring block engine.
 * Returns: the engine, or NULL with @errp set.
 */
LuringState *luring_init(Error **errp);
/** luring_cleanup: free an engine detached from its AioContext. */
void luring_cleanup(LuringState *s);
/** luring_detach_aio_context: stop using @old_context. */
void luring_detach_aio_context(LuringState *s, AioContext *old_context);
/** luring_attach_aio_context: complete requests in @new_context. */
void luring_attach_aio_context(LuringState *s, AioContext *new_context);
#endif

#endif /* QEMU_RAW_AIO_H */
