/*
 * qemuutil: the one piece of QEMU's device model that block/aio.h needs.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * QEMU's hw/qdev-core.h defines the whole qdev object model.  The event loop
 * only uses MemReentrancyGuard, which a device embeds and hands to
 * aio_bh_new_guarded() so a bottom half can tell that it runs while the
 * device is already busy with an MMIO/PIO access.  A QEMU build uses QEMU's
 * header instead of this one; the type must stay an anonymous-struct typedef
 * there and here, so nobody may forward-declare it.
 */
#ifndef HW_QDEV_CORE_H
#define HW_QDEV_CORE_H

/*
 * MemReentrancyGuard: set while a device handles an access.
 * @engaged_in_io: true between the start and the end of the access; a BH
 * created with this guard sets it around its callback (see aio_bh_call()).
 * Protected by the device's own locking (the BQL in QEMU).
 */
typedef struct {
    bool engaged_in_io;
} MemReentrancyGuard;

#endif /* HW_QDEV_CORE_H */
