/*
 * vmm-mini exit device: the guest writes its exit status, vmm-mini exits
 * with it; plus two bench helpers (time marks and a raw-exit probe).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * The region is lockless: a write here is answered in the vCPU thread
 * without the BQL, so the probe register measures the bare cost of a
 * port-I/O exit and the marks time the guest's loop, not lock traffic.
 * All state is therefore atomic.
 */
#include "qemu/osdep.h"

#include "qemu/atomic.h"
#include "qemu/timer.h"

#include "vmm.h"

typedef struct ExitState {
    VmmDevice parent;
    VmmRegion region;
    uint64_t probes;            /* atomic */
    int status;                 /* atomic; -1 until written */
} ExitState;

static uint64_t exit_read(void *opaque, uint64_t offset, unsigned size)
{
    return 0;
}

static void exit_write(void *opaque, uint64_t offset, uint64_t value,
                       unsigned size)
{
    ExitState *s = opaque;
    VmmMachine *m = s->parent.machine;

    switch (offset) {
    case VMM_EXIT_STATUS:
        qatomic_set(&s->status, value & 0xff);
        vmm_machine_request_exit(m, value & 0xff,
                                 "the guest wrote its exit status");
        break;
    case VMM_EXIT_MARK:
        if (value == 1) {
            qatomic_set(&m->mark_start_ns, get_clock());
        } else if (value == 2) {
            qatomic_set(&m->mark_stop_ns, get_clock());
        }
        break;
    case VMM_EXIT_PROBE:
        qatomic_set(&s->probes, qatomic_read(&s->probes) + 1);
        break;
    default:
        break;                  /* reserved: ignored */
    }
}

static const VmmRegionOps exit_ops = {
    .read = exit_read,
    .write = exit_write,
};

static int exit_realize(VmmDevice *dev, Error **errp)
{
    ExitState *s = container_of(dev, ExitState, parent);

    s->status = -1;
    s->region = (VmmRegion) {
        .name = dev->id,
        .space = dev->space,
        .base = dev->base,
        .size = VMM_EXIT_SIZE,
        .ops = &exit_ops,
        .opaque = s,
        .lockless = true,
    };
    vmm_region_add(dev->machine, &s->region);
    return 0;
}

static void exit_stats(VmmDevice *dev, GString *out)
{
    ExitState *s = container_of(dev, ExitState, parent);
    int status = qatomic_read(&s->status);

    if (status < 0) {
        g_string_append(out, "guest wrote no exit status");
    } else {
        g_string_append_printf(out, "guest exit status %d", status);
    }
    if (qatomic_read(&s->probes)) {
        g_string_append_printf(out, ", %" PRIu64 " probe exits",
                               qatomic_read(&s->probes));
    }
}

const VmmDeviceInfo vmm_exit_info = {
    .name = "exit",
    .instance_size = sizeof(ExitState),
    .realize = exit_realize,
    .stats = exit_stats,
};
