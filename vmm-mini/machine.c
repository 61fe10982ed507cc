/*
 * vmm-mini machine: guest RAM, PIO/MMIO dispatch, interrupt lines,
 * doorbells, the device table and the main-loop run.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * Nothing here knows about KVM; everything an accelerator must do goes
 * through m->accel (see vmm.h), so the same machine and devices can be
 * driven by vCPU exits or by a test protocol.
 */
#include "qemu/osdep.h"

#include <poll.h>
#include <sys/mman.h>

#include "qemu/atomic.h"
#include "qemu/error-report.h"
#include "qemu/lockable.h"
#include "qemu/main-loop.h"
#include "qemu/timer.h"

#include "vmm.h"

/* Guest errors printed per device before we only count them. */
#define VMM_GUEST_ERRORS_LOGGED 16

const VmmBoardEntry vmm_default_board[] = {
    { &vmm_serial_info, "serial", VMM_SPACE_PIO, VMM_SERIAL_BASE, -1 },
    { &vmm_exit_info, "exit", VMM_SPACE_PIO, VMM_EXIT_BASE, -1 },
    { &vmm_doorbell_info, "doorbell-pio", VMM_SPACE_PIO,
      VMM_DOORBELL_PIO_BASE, VMM_IRQ_DOORBELL_PIO },
    { &vmm_doorbell_info, "doorbell-mmio", VMM_SPACE_MMIO,
      VMM_DOORBELL_MMIO_BASE, VMM_IRQ_DOORBELL_MMIO },
    { &vmm_timer_info, "timer", VMM_SPACE_PIO, VMM_TIMER_BASE,
      VMM_IRQ_TIMER },
};
const int vmm_default_board_size = ARRAY_SIZE(vmm_default_board);

/* The exit lock orders exit_requested/exit_status/exit_reason writers. */
static QemuMutex exit_lock;
static bool exit_lock_ready;

/* ------------------------------------------------------------------ */
/* Guest memory                                                        */
/* ------------------------------------------------------------------ */

void *vmm_ram_ptr(VmmMachine *m, uint64_t gpa, uint64_t len)
{
    /* Written so that no sum can wrap: gpa + len might. */
    if (gpa > m->ram_size || len > m->ram_size - gpa) {
        return NULL;
    }
    return m->ram + gpa;
}

bool vmm_ram_read(VmmMachine *m, uint64_t gpa, void *buf, uint64_t len)
{
    void *p = vmm_ram_ptr(m, gpa, len);

    if (!p) {
        return false;
    }
    memcpy(buf, p, len);
    return true;
}

bool vmm_ram_write(VmmMachine *m, uint64_t gpa, const void *buf,
                   uint64_t len)
{
    void *p = vmm_ram_ptr(m, gpa, len);

    if (!p) {
        return false;
    }
    memcpy(p, buf, len);
    return true;
}

/* ------------------------------------------------------------------ */
/* Dispatch                                                            */
/* ------------------------------------------------------------------ */

static const char *space_name(VmmSpace space)
{
    return space == VMM_SPACE_PIO ? "port" : "MMIO";
}

void vmm_region_add(VmmMachine *m, VmmRegion *region)
{
    int i;

    if (m->nr_regions == VMM_MAX_REGIONS) {
        error_report("vmm_region_add: more than %d regions: raise "
                     "VMM_MAX_REGIONS", VMM_MAX_REGIONS);
        abort();
    }
    for (i = 0; i < m->nr_regions; i++) {
        VmmRegion *r = m->regions[i];

        if (r->space == region->space &&
            region->base < r->base + r->size &&
            r->base < region->base + region->size) {
            error_report("vmm_region_add: %s overlaps %s: fix the board "
                         "table", region->name, r->name);
            abort();
        }
    }
    m->regions[m->nr_regions++] = region;
}

static VmmRegion *region_find(VmmMachine *m, VmmSpace space, uint64_t addr,
                              unsigned size)
{
    int i;

    for (i = 0; i < m->nr_regions; i++) {
        VmmRegion *r = m->regions[i];

        if (r->space == space && addr >= r->base &&
            addr - r->base + size <= r->size) {
            return r;
        }
    }
    return NULL;
}

static VmmDoorbell *doorbell_find(VmmMachine *m, VmmSpace space,
                                  uint64_t addr, unsigned size)
{
    int i;

    for (i = 0; i < m->nr_doorbells; i++) {
        VmmDoorbell *db = m->doorbells[i];

        if (db->space == space && db->addr == addr && db->len == size) {
            return db;
        }
    }
    return NULL;
}

/* Rate limit for accesses that hit no device at all. */
static unsigned unassigned_logged;

void vmm_io_dispatch(VmmMachine *m, VmmSpace space, uint64_t addr,
                     void *data, unsigned size, bool is_write)
{
    bool need_lock;
    VmmDoorbell *db;
    VmmRegion *r;
    uint64_t val = 0;

    if (is_write) {
        db = doorbell_find(m, space, addr, size);
        if (db && m->doorbell_mode == VMM_DOORBELL_EXIT) {
            /* What the kernel's ioeventfd would have signalled. */
            need_lock = !bql_locked();
            if (need_lock) {
                bql_lock();
            }
            db->handler(&db->notifier);
            if (need_lock) {
                bql_unlock();
            }
            return;
        }
        if (db && !m->accel->ioeventfd_add) {
            /* The accelerator has no ioeventfds: play the kernel's part. */
            event_notifier_set(&db->notifier);
            return;
        }
    }

    r = region_find(m, space, addr, size);
    if (!r) {
        if (qatomic_fetch_inc(&unassigned_logged) < VMM_GUEST_ERRORS_LOGGED) {
            error_report("guest error: %s %s of %u bytes at 0x%" PRIx64
                         " hits no device", space_name(space),
                         is_write ? "write" : "read", size, addr);
        }
        if (!is_write) {
            memset(data, 0xff, size);
        }
        return;
    }

    need_lock = !r->lockless && !bql_locked();
    if (need_lock) {
        bql_lock();
    }
    if (is_write) {
        memcpy(&val, data, size);       /* x86 hosts: little-endian */
        r->ops->write(r->opaque, addr - r->base, val, size);
    } else {
        val = r->ops->read(r->opaque, addr - r->base, size);
        memcpy(data, &val, size);
    }
    if (need_lock) {
        bql_unlock();
    }
}

void vmm_guest_error(VmmDevice *dev, const char *fmt, ...)
{
    va_list ap;
    char *msg;

    if (dev->errors_logged++ >= VMM_GUEST_ERRORS_LOGGED) {
        return;
    }
    va_start(ap, fmt);
    msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    error_report("guest error: %s: %s%s", dev->id, msg,
                 dev->errors_logged == VMM_GUEST_ERRORS_LOGGED ?
                 " (further errors of this device are not logged)" : "");
    g_free(msg);
}

/* ------------------------------------------------------------------ */
/* Interrupt lines                                                     */
/* ------------------------------------------------------------------ */

int vmm_irq_init(VmmMachine *m, VmmIrq *irq, int gsi, Error **errp)
{
    memset(irq, 0, sizeof(*irq));
    irq->machine = m;
    irq->gsi = gsi;
    if (m->accel->irq_init) {
        return m->accel->irq_init(m, irq, errp);
    }
    return 0;
}

void vmm_irq_raise(VmmIrq *irq)
{
    if (!irq->level) {
        irq->level = true;
        qatomic_set(&irq->raised, irq->raised + 1);
        irq->machine->accel->irq_set(irq->machine, irq, true);
    }
}

void vmm_irq_lower(VmmIrq *irq)
{
    if (irq->level) {
        irq->level = false;
        irq->machine->accel->irq_set(irq->machine, irq, false);
    }
}

void vmm_irq_pulse(VmmIrq *irq)
{
    vmm_irq_raise(irq);
    vmm_irq_lower(irq);
}

void vmm_irq_cleanup(VmmIrq *irq)
{
    if (irq->machine && irq->machine->accel->irq_cleanup) {
        irq->machine->accel->irq_cleanup(irq->machine, irq);
    }
}

/* ------------------------------------------------------------------ */
/* Doorbells                                                           */
/* ------------------------------------------------------------------ */

/*
 * The bench baseline: one thread that does nothing but wait for the
 * ioeventfd and run the handler, i.e. the best a dedicated thread gets.
 */
static void *doorbell_thread_fn(void *opaque)
{
    VmmDoorbell *db = opaque;
    struct pollfd pfd = {
        .fd = event_notifier_get_fd(&db->notifier),
        .events = POLLIN,
    };

    while (!qatomic_read(&db->stop)) {
        if (poll(&pfd, 1, -1) < 0) {
            continue;           /* EINTR */
        }
        if (qatomic_read(&db->stop)) {
            break;
        }
        bql_lock();
        db->handler(&db->notifier);
        bql_unlock();
    }
    return NULL;
}

int vmm_doorbell_add(VmmMachine *m, VmmDoorbell *db, VmmSpace space,
                     uint64_t addr, unsigned len,
                     EventNotifierHandler *handler, Error **errp)
{
    int ret;

    if (m->nr_doorbells == VMM_MAX_DOORBELLS) {
        error_report("vmm_doorbell_add: more than %d doorbells: raise "
                     "VMM_MAX_DOORBELLS", VMM_MAX_DOORBELLS);
        abort();
    }
    db->space = space;
    db->addr = addr;
    db->len = len;
    db->handler = handler;
    db->stop = false;
    db->thread_running = false;
    ret = event_notifier_init(&db->notifier, 0);
    if (ret < 0) {
        error_setg_errno(errp, -ret, "cannot create a doorbell eventfd");
        return ret;
    }

    if (m->doorbell_mode != VMM_DOORBELL_EXIT && m->accel->ioeventfd_add) {
        ret = m->accel->ioeventfd_add(m, space, addr, len, &db->notifier,
                                      errp);
        if (ret < 0) {
            event_notifier_cleanup(&db->notifier);
            return ret;
        }
    }
    if (m->doorbell_mode == VMM_DOORBELL_THREAD) {
        db->thread_running = true;
        qemu_thread_create(&db->thread, "doorbell", doorbell_thread_fn, db,
                           QEMU_THREAD_JOINABLE);
    } else if (m->doorbell_mode == VMM_DOORBELL_IOEVENTFD) {
        event_notifier_set_handler(&db->notifier, handler);
    }
    m->doorbells[m->nr_doorbells++] = db;
    return 0;
}

void vmm_doorbell_del(VmmMachine *m, VmmDoorbell *db)
{
    bool locked;

    if (db->thread_running) {
        qatomic_set(&db->stop, true);
        event_notifier_set(&db->notifier);
        /* The thread may be waiting for the BQL to run one last kick. */
        locked = bql_locked();
        if (locked) {
            bql_unlock();
        }
        qemu_thread_join(&db->thread);
        if (locked) {
            bql_lock();
        }
        db->thread_running = false;
    }
    if (m->doorbell_mode == VMM_DOORBELL_IOEVENTFD) {
        event_notifier_set_handler(&db->notifier, NULL);
    }
    if (m->doorbell_mode != VMM_DOORBELL_EXIT && m->accel->ioeventfd_del) {
        m->accel->ioeventfd_del(m, db->space, db->addr, db->len,
                                &db->notifier);
    }
    event_notifier_cleanup(&db->notifier);
}

/* ------------------------------------------------------------------ */
/* The machine                                                         */
/* ------------------------------------------------------------------ */

VmmMachine *vmm_machine_new(const VmmAccelOps *accel, uint64_t ram_size)
{
    VmmMachine *m = g_new0(VmmMachine, 1);

    if (!exit_lock_ready) {
        qemu_mutex_init(&exit_lock);
        exit_lock_ready = true;
    }
    m->accel = accel;
    m->kvm_device = "/dev/kvm";
    m->doorbell_mode = VMM_DOORBELL_IOEVENTFD;
    m->ram_size = ram_size;
    /* Page-aligned and zeroed, as KVM_SET_USER_MEMORY_REGION wants. */
    m->ram = mmap(NULL, ram_size, PROT_READ | PROT_WRITE,
                  MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (m->ram == MAP_FAILED) {
        error_report("cannot allocate %" PRIu64 " bytes of guest RAM: %s",
                     ram_size, strerror(errno));
        abort();
    }
    return m;
}

int vmm_machine_init_accel(VmmMachine *m, Error **errp)
{
    return m->accel->init(m, errp);
}

int vmm_machine_realize(VmmMachine *m, const VmmBoardEntry *board,
                        int nr_entries, Error **errp)
{
    int i, ret;

    m->devices = g_new0(VmmDevice *, nr_entries);
    for (i = 0; i < nr_entries; i++) {
        const VmmBoardEntry *e = &board[i];
        VmmDevice *dev = g_malloc0(e->info->instance_size);

        dev->info = e->info;
        dev->machine = m;
        dev->id = e->id;
        dev->space = e->space;
        dev->base = e->base;
        dev->gsi = e->gsi;
        ret = e->info->realize(dev, errp);
        if (ret < 0) {
            error_prepend(errp, "%s: ", e->id);
            g_free(dev);
            return ret;
        }
        m->devices[m->nr_devices++] = dev;
    }
    return 0;
}

void vmm_machine_request_exit(VmmMachine *m, int status, const char *reason)
{
    QEMU_LOCK_GUARD(&exit_lock);
    if (m->exit_requested) {
        return;
    }
    m->exit_status = status;
    m->exit_reason = g_strdup(reason);
    /* Read locklessly by the main loop; the lock orders the fields. */
    qatomic_store_release(&m->exit_requested, 1);
    qemu_notify_event();
}

static void watchdog_cb(void *opaque)
{
    vmm_machine_request_exit(opaque, VMM_EXIT_TIMEOUT,
                             "timeout: the guest did not finish in time");
}

int vmm_machine_run(VmmMachine *m, int64_t timeout_ms)
{
    QEMUTimer *watchdog = NULL;
    Error *err = NULL;
    int status;

    if (timeout_ms > 0) {
        watchdog = timer_new_ms(QEMU_CLOCK_REALTIME, watchdog_cb, m);
        timer_mod(watchdog, qemu_clock_get_ms(QEMU_CLOCK_REALTIME) +
                  timeout_ms);
    }
    m->started_ns = get_clock();
    if (m->accel->start(m, &err) < 0) {
        error_report_err(err);
        vmm_machine_request_exit(m, VMM_EXIT_INTERNAL, "cannot start");
    }

    /*
     * The main loop: everything that is not a synchronous vCPU exit runs
     * here (doorbell handlers, timers).  main_loop_wait() drops the BQL
     * while it sleeps, which is when vCPU threads dispatch their exits.
     */
    while (!qatomic_load_acquire(&m->exit_requested)) {
        if (m->accel->clock_sync) {
            m->accel->clock_sync(m);
        }
        main_loop_wait(false);
    }
    m->stopped_ns = get_clock();
    m->accel->stop(m);
    if (watchdog) {
        timer_free(watchdog);
    }

    qemu_mutex_lock(&exit_lock);
    status = m->exit_status;
    qemu_mutex_unlock(&exit_lock);
    return status;
}

void vmm_machine_stats(VmmMachine *m, GString *out)
{
    int i;

    for (i = 0; i < m->nr_devices; i++) {
        VmmDevice *dev = m->devices[i];

        if (dev->info->stats) {
            g_string_append_printf(out, "  %-14s ", dev->id);
            dev->info->stats(dev, out);
            g_string_append_c(out, '\n');
        }
    }
}

void vmm_machine_free(VmmMachine *m)
{
    int i;

    if (m->accel_state) {
        m->accel->stop(m);
    }
    for (i = m->nr_devices - 1; i >= 0; i--) {
        VmmDevice *dev = m->devices[i];

        if (dev->info->unrealize) {
            dev->info->unrealize(dev);
        }
        g_free(dev);
    }
    g_free(m->devices);
    if (m->accel->cleanup) {
        m->accel->cleanup(m);
    }
    munmap(m->ram, m->ram_size);
    g_free(m->exit_reason);
    g_free(m);
}
