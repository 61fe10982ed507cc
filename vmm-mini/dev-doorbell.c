/*
 * vmm-mini doorbell device: a request ring in guest memory (a miniature
 * virtqueue), a doorbell register served by an ioeventfd, completions
 * signalled through an interrupt line.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * The guest fills descriptors (operation, buffer, length), bumps the
 * ring's avail index and writes NOTIFY.  The handler walks the new
 * descriptors, writes each one's status and result, publishes the used
 * index and pulses the interrupt.  Register and ring layout: guest/abi.h.
 *
 * Everything the guest controls is checked: a bad register access, a ring
 * outside RAM, an avail index that ran ahead by more than the ring size, a
 * descriptor with a bad operation or buffer.  Each sets a sticky bit in
 * STATUS, is logged, and still ends with an interrupt so that a guest
 * waiting for it does not hang.  Nothing the guest writes can abort.
 */
#include "qemu/osdep.h"

#include "qemu/atomic.h"
#include "qemu/timer.h"

#include "vmm.h"

typedef struct DoorbellState {
    VmmDevice parent;
    VmmRegion region;
    VmmDoorbell doorbell;
    VmmIrq irq;

    /* Registers and ring position; all protected by the BQL. */
    uint32_t ring_addr;
    uint32_t ring_size;
    uint32_t status;
    uint16_t last_avail;        /* next descriptor index to process */

    /* Statistics; BQL. */
    uint64_t completed;
    uint64_t kicks;
    uint64_t errors;
    int64_t handler_ns;         /* host time spent in the handler */
} DoorbellState;

static uint16_t ld16(const uint8_t *p)
{
    uint16_t v;

    memcpy(&v, p, sizeof(v));
    return GUINT16_FROM_LE(v);
}

static uint32_t ld32(const uint8_t *p)
{
    uint32_t v;

    memcpy(&v, p, sizeof(v));
    return GUINT32_FROM_LE(v);
}

static void st16(uint8_t *p, uint16_t v)
{
    v = GUINT16_TO_LE(v);
    memcpy(p, &v, sizeof(v));
}

static void st32(uint8_t *p, uint32_t v)
{
    v = GUINT32_TO_LE(v);
    memcpy(p, &v, sizeof(v));
}

static void doorbell_error(DoorbellState *s, uint32_t bit)
{
    s->status |= bit;
    s->errors++;
}

/* Execute one descriptor; returns its VMM_DESC_* status. */
static uint8_t doorbell_run_desc(DoorbellState *s, uint8_t *desc)
{
    VmmMachine *m = s->parent.machine;
    uint8_t op = desc[VMM_DESC_OP];
    uint16_t len = ld16(desc + VMM_DESC_LEN);
    uint32_t addr = ld32(desc + VMM_DESC_ADDR);
    uint32_t arg = ld32(desc + VMM_DESC_ARG);
    uint32_t sum = 0;
    uint8_t *buf;
    unsigned i;

    if (op == VMM_OP_NOP) {
        return VMM_DESC_OK;
    }
    if (op != VMM_OP_FILL && op != VMM_OP_SUM) {
        vmm_guest_error(&s->parent, "descriptor %u: unknown operation %u",
                        s->last_avail, op);
        return VMM_DESC_BAD_OP;
    }
    buf = vmm_ram_ptr(m, addr, len);
    if (!buf) {
        vmm_guest_error(&s->parent, "descriptor %u: buffer 0x%" PRIx32
                        "+%u is outside guest RAM", s->last_avail, addr, len);
        return VMM_DESC_BAD_ADDR;
    }
    if (op == VMM_OP_FILL) {
        memset(buf, arg & 0xff, len);
    } else {
        for (i = 0; i < len; i++) {
            sum += buf[i];
        }
        st32(desc + VMM_DESC_RESULT, sum);
    }
    return VMM_DESC_OK;
}

/* Process every descriptor the guest made available, then interrupt. */
static void doorbell_process(DoorbellState *s)
{
    VmmMachine *m = s->parent.machine;
    uint64_t ring_bytes;
    uint16_t avail, pending;
    uint8_t *ring, *desc, st;

    ring_bytes = VMM_RING_DESC + (uint64_t)s->ring_size * VMM_DESC_SIZE;
    ring = s->ring_size ? vmm_ram_ptr(m, s->ring_addr, ring_bytes) : NULL;
    if (!ring) {
        vmm_guest_error(&s->parent, "doorbell rung with %s ring "
                        "(address 0x%" PRIx32 ", %u descriptors)",
                        s->ring_size ? "an out-of-RAM" : "no",
                        s->ring_addr, s->ring_size);
        doorbell_error(s, VMM_DB_ERR_BAD_RING);
        vmm_irq_pulse(&s->irq);
        return;
    }

    /*
     * The guest wrote the descriptors before avail (x86 stores are
     * ordered), and we read avail before them: smp_rmb() pairs with that
     * store order.
     */
    avail = ld16(ring + VMM_RING_AVAIL);
    smp_rmb();
    pending = avail - s->last_avail;
    if (pending > s->ring_size) {
        vmm_guest_error(&s->parent, "ring overflow: avail %u is %u ahead "
                        "of the device, ring has %u slots; dropping them",
                        avail, pending, s->ring_size);
        doorbell_error(s, VMM_DB_ERR_OVERFLOW);
        /* Drop the lot, so that the ring is usable again. */
        s->last_avail = avail;
    }

    while (s->last_avail != avail) {
        desc = ring + VMM_RING_DESC +
               (s->last_avail % s->ring_size) * VMM_DESC_SIZE;
        st = doorbell_run_desc(s, desc);
        if (st != VMM_DESC_OK) {
            doorbell_error(s, VMM_DB_ERR_BAD_DESC);
        }
        /* Result before status: pairs with the guest reading status. */
        smp_wmb();
        desc[VMM_DESC_STATUS] = st;
        s->last_avail++;
        s->completed++;
    }

    /*
     * Descriptors before the used index: the guest reads used, then the
     * descriptors (pairs with its load order).
     */
    smp_wmb();
    st16(ring + VMM_RING_USED, s->last_avail);
    vmm_irq_pulse(&s->irq);
}

/*
 * The doorbell handler: runs in the main loop (ioeventfd), the vCPU
 * thread (exit mode) or the doorbell thread (bench baseline), always with
 * the BQL held.
 */
static void doorbell_notify(EventNotifier *e)
{
    DoorbellState *s = container_of(e, DoorbellState, doorbell.notifier);
    int64_t start = get_clock();

    /* Not set in exit mode, where we are called directly: that is fine. */
    event_notifier_test_and_clear(e);
    s->kicks++;
    doorbell_process(s);
    s->handler_ns += get_clock() - start;
}

static uint64_t doorbell_read(void *opaque, uint64_t offset, unsigned size)
{
    DoorbellState *s = opaque;

    if (size != 4 || (offset & 3)) {
        vmm_guest_error(&s->parent, "%u-byte read at offset 0x%" PRIx64
                        ": registers are 32-bit", size, offset);
        doorbell_error(s, VMM_DB_ERR_BAD_REG);
        return ~0ull;
    }
    switch (offset) {
    case VMM_DB_ID:
        return VMM_DB_ID_VALUE;
    case VMM_DB_RING_ADDR:
        return s->ring_addr;
    case VMM_DB_RING_SIZE:
        return s->ring_size;
    case VMM_DB_STATUS:
        return s->status;
    case VMM_DB_COMPLETED:
        return (uint32_t)s->completed;
    default:
        vmm_guest_error(&s->parent, "read of write-only or unknown "
                        "register 0x%" PRIx64, offset);
        doorbell_error(s, VMM_DB_ERR_BAD_REG);
        return ~0ull;
    }
}

static void doorbell_write(void *opaque, uint64_t offset, uint64_t value,
                           unsigned size)
{
    DoorbellState *s = opaque;

    /* A doorbell of a width the ioeventfd does not match lands here. */
    if (offset == VMM_DB_NOTIFY && (size == 2 || size == 4)) {
        doorbell_notify(&s->doorbell.notifier);
        return;
    }
    if (size != 4 || (offset & 3)) {
        vmm_guest_error(&s->parent, "%u-byte write at offset 0x%" PRIx64
                        ": registers are 32-bit", size, offset);
        doorbell_error(s, VMM_DB_ERR_BAD_REG);
        return;
    }
    switch (offset) {
    case VMM_DB_RING_ADDR:
        /* A new ring starts empty. */
        s->ring_addr = value;
        s->last_avail = 0;
        break;
    case VMM_DB_RING_SIZE:
        if (value == 0 || value > VMM_DB_RING_MAX || (value & (value - 1))) {
            vmm_guest_error(&s->parent, "ring size %" PRIu64 " is not a "
                            "power of 2 in 1..%d", value, VMM_DB_RING_MAX);
            doorbell_error(s, VMM_DB_ERR_BAD_RING);
            s->ring_size = 0;
        } else {
            s->ring_size = value;
        }
        s->last_avail = 0;
        break;
    case VMM_DB_STATUS:
        s->status &= ~(uint32_t)value;      /* write 1 to clear */
        break;
    default:
        vmm_guest_error(&s->parent, "write of 0x%" PRIx64 " to read-only "
                        "or unknown register 0x%" PRIx64, value, offset);
        doorbell_error(s, VMM_DB_ERR_BAD_REG);
        break;
    }
}

static const VmmRegionOps doorbell_ops = {
    .read = doorbell_read,
    .write = doorbell_write,
};

static int doorbell_realize(VmmDevice *dev, Error **errp)
{
    DoorbellState *s = container_of(dev, DoorbellState, parent);
    VmmMachine *m = dev->machine;
    int ret;

    ret = vmm_irq_init(m, &s->irq, dev->gsi, errp);
    if (ret < 0) {
        return ret;
    }
    s->region = (VmmRegion) {
        .name = dev->id,
        .space = dev->space,
        .base = dev->base,
        .size = VMM_DOORBELL_SIZE,
        .ops = &doorbell_ops,
        .opaque = s,
    };
    vmm_region_add(m, &s->region);
    /* Guests ring with 16-bit writes; other widths reach doorbell_write. */
    ret = vmm_doorbell_add(m, &s->doorbell, dev->space,
                           dev->base + VMM_DB_NOTIFY, 2, doorbell_notify,
                           errp);
    if (ret < 0) {
        vmm_irq_cleanup(&s->irq);
    }
    return ret;
}

static void doorbell_unrealize(VmmDevice *dev)
{
    DoorbellState *s = container_of(dev, DoorbellState, parent);

    vmm_doorbell_del(dev->machine, &s->doorbell);
    vmm_irq_cleanup(&s->irq);
}

static void doorbell_stats(VmmDevice *dev, GString *out)
{
    DoorbellState *s = container_of(dev, DoorbellState, parent);

    g_string_append_printf(out, "%" PRIu64 " requests completed, %" PRIu64
                           " doorbell kicks, %" PRIu64 " interrupts raised, %"
                           PRIu64 " guest errors",
                           s->completed, s->kicks,
                           qatomic_read(&s->irq.raised), s->errors);
    if (s->kicks) {
        g_string_append_printf(out, ", handler %.0f ns per kick",
                               (double)s->handler_ns / s->kicks);
    }
}

const VmmDeviceInfo vmm_doorbell_info = {
    .name = "doorbell",
    .instance_size = sizeof(DoorbellState),
    .realize = doorbell_realize,
    .unrealize = doorbell_unrealize,
    .stats = doorbell_stats,
};
