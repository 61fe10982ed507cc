/*
 * vmm-mini timer device: a one-shot or periodic timer on
 * QEMU_CLOCK_VIRTUAL or QEMU_CLOCK_REALTIME that pulses an interrupt line.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * Writing CTRL with ENABLE (re)arms the timer PERIOD_US microseconds from
 * now on the chosen clock; COUNT counts expirations.  Periodic deadlines
 * advance by exactly one period from the previous deadline, so a virtual
 * clock stepped by a test sees the interrupts at exact multiples; when the
 * real-time clock has fallen more than a period behind, the next deadline
 * restarts from now instead of firing a burst.
 */
#include "qemu/osdep.h"

#include "qemu/timer.h"

#include "vmm.h"

typedef struct TimerState {
    VmmDevice parent;
    VmmRegion region;
    VmmIrq irq;
    QEMUTimer *timer[2];        /* [0] virtual, [1] realtime */
    /* Registers and deadline; protected by the BQL. */
    uint32_t ctrl;
    uint32_t period_us;
    uint32_t count;
    int64_t deadline_ns;
} TimerState;

static QEMUClockType timer_clock(TimerState *s)
{
    return (s->ctrl & VMM_TIMER_CTRL_REALTIME) ? QEMU_CLOCK_REALTIME
                                               : QEMU_CLOCK_VIRTUAL;
}

static QEMUTimer *timer_active(TimerState *s)
{
    return s->timer[(s->ctrl & VMM_TIMER_CTRL_REALTIME) ? 1 : 0];
}

/* Main thread, BQL held (timer callbacks of the main loop). */
static void timer_expired_cb(void *opaque)
{
    TimerState *s = opaque;
    int64_t period = (int64_t)s->period_us * SCALE_US;
    int64_t now;

    s->count++;
    vmm_irq_pulse(&s->irq);
    if (!(s->ctrl & VMM_TIMER_CTRL_PERIODIC)) {
        return;
    }
    now = qemu_clock_get_ns(timer_clock(s));
    s->deadline_ns += period;
    if (s->deadline_ns <= now) {
        s->deadline_ns = now + period;
    }
    timer_mod_ns(timer_active(s), s->deadline_ns);
}

static uint64_t timer_read(void *opaque, uint64_t offset, unsigned size)
{
    TimerState *s = opaque;

    switch (offset) {
    case VMM_TIMER_CTRL:
        return s->ctrl;
    case VMM_TIMER_PERIOD_US:
        return s->period_us;
    case VMM_TIMER_COUNT:
        return s->count;
    default:
        vmm_guest_error(&s->parent, "read of unknown register 0x%" PRIx64,
                        offset);
        return ~0ull;
    }
}

static void timer_write(void *opaque, uint64_t offset, uint64_t value,
                        unsigned size)
{
    TimerState *s = opaque;

    if (size != 4 || (offset & 3)) {
        vmm_guest_error(&s->parent, "%u-byte write at offset 0x%" PRIx64
                        ": registers are 32-bit", size, offset);
        return;
    }
    switch (offset) {
    case VMM_TIMER_CTRL:
        timer_del(s->timer[0]);
        timer_del(s->timer[1]);
        s->ctrl = value & (VMM_TIMER_CTRL_ENABLE | VMM_TIMER_CTRL_PERIODIC |
                           VMM_TIMER_CTRL_REALTIME);
        if (!(s->ctrl & VMM_TIMER_CTRL_ENABLE)) {
            break;
        }
        if (s->period_us == 0) {
            vmm_guest_error(&s->parent, "enabled with a period of 0");
            s->ctrl &= ~VMM_TIMER_CTRL_ENABLE;
            break;
        }
        s->deadline_ns = qemu_clock_get_ns(timer_clock(s)) +
                         (int64_t)s->period_us * SCALE_US;
        timer_mod_ns(timer_active(s), s->deadline_ns);
        break;
    case VMM_TIMER_PERIOD_US:
        s->period_us = value;
        break;
    default:
        vmm_guest_error(&s->parent, "write to read-only or unknown "
                        "register 0x%" PRIx64, offset);
        break;
    }
}

static const VmmRegionOps timer_ops = {
    .read = timer_read,
    .write = timer_write,
};

static int timer_realize(VmmDevice *dev, Error **errp)
{
    TimerState *s = container_of(dev, TimerState, parent);
    int ret;

    ret = vmm_irq_init(dev->machine, &s->irq, dev->gsi, errp);
    if (ret < 0) {
        return ret;
    }
    s->timer[0] = timer_new_ns(QEMU_CLOCK_VIRTUAL, timer_expired_cb, s);
    s->timer[1] = timer_new_ns(QEMU_CLOCK_REALTIME, timer_expired_cb, s);
    s->region = (VmmRegion) {
        .name = dev->id,
        .space = dev->space,
        .base = dev->base,
        .size = VMM_TIMER_SIZE,
        .ops = &timer_ops,
        .opaque = s,
    };
    vmm_region_add(dev->machine, &s->region);
    return 0;
}

static void timer_unrealize(VmmDevice *dev)
{
    TimerState *s = container_of(dev, TimerState, parent);

    timer_free(s->timer[0]);
    timer_free(s->timer[1]);
    vmm_irq_cleanup(&s->irq);
}

static void timer_stats(VmmDevice *dev, GString *out)
{
    TimerState *s = container_of(dev, TimerState, parent);

    g_string_append_printf(out, "%u expirations, %" PRIu64
                           " interrupts raised", s->count, s->irq.raised);
}

const VmmDeviceInfo vmm_timer_info = {
    .name = "timer",
    .instance_size = sizeof(TimerState),
    .realize = timer_realize,
    .unrealize = timer_unrealize,
    .stats = timer_stats,
};
