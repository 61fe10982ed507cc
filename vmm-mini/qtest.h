/*
 * vmm-mini qtest accelerator: the machine's devices driven by a qtest-lite
 * client over a unix socket or stdio, with no vCPU and no /dev/kvm.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * Threading contract, the default for this header: main thread.
 */
#ifndef VMM_MINI_QTEST_H
#define VMM_MINI_QTEST_H

#include "vmm.h"

/*
 * The accelerator.  Its init needs vmm_qtest_configure() first; its start
 * opens the transport and enables QEMU_CLOCK_VIRTUAL, which from then on
 * moves only when the client says so (clock_step, clock_set).  Doorbell
 * writes signal the doorbell's eventfd (no ioeventfd_add hook), so the
 * handler runs in the main loop exactly as with KVM's ioeventfds.
 */
extern const VmmAccelOps vmm_qtest_accel;

/**
 * vmm_qtest_configure: say where the qtest client is, before
 * vmm_machine_init_accel().
 * @m: a machine created with &vmm_qtest_accel.
 * @chardev: "unix:PATH" (connect to a client listening at PATH, as QEMU's
 *     -qtest does), "unix:PATH,server" (listen at PATH and serve one client
 *     at a time; others are told so and closed) or "stdio".
 * @log_path: file for the -qtest-log transcript, or NULL.
 * @errp: error object.
 *
 * Only checks and records; nothing is opened before the machine starts
 * (except the log file).  Returns 0, or -EINVAL/-errno with @errp set.
 */
int vmm_qtest_configure(VmmMachine *m, const char *chardev,
                        const char *log_path, Error **errp);

#endif /* VMM_MINI_QTEST_H */
