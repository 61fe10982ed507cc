/*
 * vmm-mini: the machine, the accelerator interface and the device interface.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * A VmmMachine owns guest RAM, the PIO and MMIO dispatch tables, the
 * interrupt lines and the devices.  It knows nothing about KVM: an
 * accelerator (VmmAccelOps) supplies the execution engine.  kvm.c runs the
 * guest on vCPU threads and turns ioeventfds and irqfds into kernel
 * objects; a qtest accelerator can drive the very same devices from a text
 * protocol with no vCPU at all.  Device code only ever uses the functions
 * in this header, never an accelerator directly.
 *
 * Threading contract, the default for this header: every device callback
 * (region read/write, doorbell handler, timer callback) runs with the BQL
 * held.  Region callbacks run in the thread that performed the access (a
 * vCPU thread, or the main thread for qtest); doorbell handlers run where
 * the doorbell mode puts them (see VmmDoorbellMode); timers run in the main
 * thread.  Functions marked "thread-safe" may be called without the BQL.
 */
#ifndef VMM_MINI_VMM_H
#define VMM_MINI_VMM_H

#include "qemu/event_notifier.h"
#include "qemu/thread.h"
#include "qapi/error.h"

#include "guest/abi.h"

typedef struct VmmMachine VmmMachine;
typedef struct VmmDevice VmmDevice;

/* Exit codes of the vmm-mini process, besides the guest's own status. */
enum {
    VMM_EXIT_USAGE = 64,        /* bad command line (sysexits EX_USAGE) */
    VMM_EXIT_BAD_IMAGE = 65,    /* guest image rejected (EX_DATAERR) */
    VMM_EXIT_NO_KVM = 69,       /* no usable KVM (EX_UNAVAILABLE) */
    VMM_EXIT_INTERNAL = 70,     /* VMM or guest fault (EX_SOFTWARE) */
    VMM_EXIT_TIMEOUT = 124,     /* --timeout expired, as timeout(1) */
};

typedef enum VmmSpace {
    VMM_SPACE_PIO,
    VMM_SPACE_MMIO,
} VmmSpace;

/*
 * Where a doorbell's handler runs.  The device code is the same in every
 * mode; only the machine's plumbing differs.
 */
typedef enum VmmDoorbellMode {
    /* ioeventfd: the kernel signals an eventfd, the main loop runs it. */
    VMM_DOORBELL_IOEVENTFD,
    /* plain exit: the write exits to the vCPU thread, which runs it. */
    VMM_DOORBELL_EXIT,
    /* bench baseline: a dedicated thread blocks on the ioeventfd. */
    VMM_DOORBELL_THREAD,
} VmmDoorbellMode;

/* ------------------------------------------------------------------ */
/* Register regions (PIO and MMIO dispatch tables)                     */
/* ------------------------------------------------------------------ */

/**
 * VmmRegionOps: how a device answers accesses to one register window.
 * @read: returns the value of @size bytes at @offset (1, 2, 4 or 8).
 * @write: stores @value (@size bytes) at @offset.
 *
 * @offset is relative to the region's base.  Neither may fail or abort on
 * guest input: a device reports bad accesses through its own error state
 * and vmm_guest_error().  Called with the BQL held unless the region was
 * added with @lockless set.
 */
typedef struct VmmRegionOps {
    uint64_t (*read)(void *opaque, uint64_t offset, unsigned size);
    void (*write)(void *opaque, uint64_t offset, uint64_t value,
                  unsigned size);
} VmmRegionOps;

/**
 * VmmRegion: one entry of a dispatch table.  Embedded in the device's
 * state and filled in by vmm_region_init(); owned by the device.
 */
typedef struct VmmRegion {
    const char *name;
    VmmSpace space;
    uint64_t base;
    uint64_t size;
    const VmmRegionOps *ops;
    void *opaque;
    /* Called without the BQL: the device synchronises its own state. */
    bool lockless;
} VmmRegion;

/**
 * vmm_region_add: map @region into @m's dispatch table for its space.
 *
 * Overlapping another region is a board bug and aborts.  Main thread,
 * before the machine starts.
 */
void vmm_region_add(VmmMachine *m, VmmRegion *region);

/**
 * vmm_io_dispatch: perform one guest access.
 * @m: the machine.
 * @space: PIO or MMIO.
 * @addr: port number or guest physical address.
 * @data: @size bytes, little-endian: the value to write, or filled in.
 * @size: 1, 2, 4 or 8.
 * @is_write: direction.
 *
 * Finds the region, takes the BQL unless the region is lockless (and the
 * caller does not hold it yet), and calls its ops.  A write to a doorbell
 * address in VMM_DOORBELL_EXIT mode runs the doorbell handler instead, as
 * the kernel would have signalled the ioeventfd.  Accesses to nothing read
 * as all ones and are logged as guest errors.  This is what the KVM exit
 * handler and qtest's in/out/read/write commands call.  Thread-safe.
 */
void vmm_io_dispatch(VmmMachine *m, VmmSpace space, uint64_t addr,
                     void *data, unsigned size, bool is_write);

/* ------------------------------------------------------------------ */
/* Guest memory                                                        */
/* ------------------------------------------------------------------ */

/**
 * vmm_ram_ptr: host pointer to guest RAM [@gpa, @gpa + @len).
 *
 * Returns NULL when any part of the range is outside RAM (including
 * wrap-around), so a device can validate a guest-supplied address and
 * access it in one step.  The pointer stays valid while the machine
 * exists.  Guest RAM is shared with running vCPUs: order device stores
 * with smp_wmb() where the guest polls for them.  Thread-safe.
 */
void *vmm_ram_ptr(VmmMachine *m, uint64_t gpa, uint64_t len);

/* Copy to and from guest RAM; false (and nothing copied) if out of range. */
bool vmm_ram_read(VmmMachine *m, uint64_t gpa, void *buf, uint64_t len);
bool vmm_ram_write(VmmMachine *m, uint64_t gpa, const void *buf,
                   uint64_t len);

/* ------------------------------------------------------------------ */
/* Interrupt lines                                                     */
/* ------------------------------------------------------------------ */

/**
 * VmmIrq: a device's interrupt output, wired to one GSI.
 *
 * With KVM the line is an irqfd: raising it writes the eventfd and the
 * kernel injects an edge into the in-kernel PIC/IOAPIC without waking any
 * VMM thread.  An irqfd has no level, so KVM treats lower as a no-op; a
 * qtest accelerator reports both edges to its client instead.
 */
typedef struct VmmIrq {
    VmmMachine *machine;
    int gsi;
    /* The irqfd (KVM only); owned by the line. */
    EventNotifier notifier;
    bool has_notifier;
    /* Current level; protected by the BQL. */
    bool level;
    /* Rising edges so far; atomic, read by the statistics. */
    uint64_t raised;
} VmmIrq;

/**
 * vmm_irq_init: connect @irq to @gsi of @m.
 *
 * Returns 0, or -errno with @errp set.  Main thread, before the machine
 * starts.
 */
int vmm_irq_init(VmmMachine *m, VmmIrq *irq, int gsi, Error **errp);

/* Drive the line.  BQL held. */
void vmm_irq_raise(VmmIrq *irq);
void vmm_irq_lower(VmmIrq *irq);

/* An edge: raise then lower, what a completion interrupt wants. */
void vmm_irq_pulse(VmmIrq *irq);

/* Release the irqfd.  Main thread, after the machine stopped. */
void vmm_irq_cleanup(VmmIrq *irq);

/* ------------------------------------------------------------------ */
/* Doorbells (ioeventfd)                                               */
/* ------------------------------------------------------------------ */

/**
 * VmmDoorbell: a register whose writes only say "look at the ring".
 * @notifier: the eventfd the kernel (or qtest) signals.
 * @handler: the device's work; gets @notifier and must not rely on it
 *     being set (in exit mode it is called directly).
 *
 * Owned by the device; vmm_doorbell_add() fills in the rest.
 */
typedef struct VmmDoorbell {
    VmmSpace space;
    uint64_t addr;
    unsigned len;
    EventNotifier notifier;
    EventNotifierHandler *handler;
    /* VMM_DOORBELL_THREAD only: the waiting thread and its stop flag. */
    QemuThread thread;
    bool thread_running;
    bool stop;                  /* atomic */
} VmmDoorbell;

/**
 * vmm_doorbell_add: make writes of @len bytes to @addr ring @db.
 *
 * Depending on the machine's doorbell mode this registers an ioeventfd
 * and attaches @handler to the main loop, or only records the address so
 * that vmm_io_dispatch() calls @handler in the vCPU thread, or starts a
 * dedicated thread.  The address must also lie in one of the device's
 * regions, which sees accesses of any other width.  Returns 0 or -errno
 * with @errp set.  Main thread, before the machine starts.
 */
int vmm_doorbell_add(VmmMachine *m, VmmDoorbell *db, VmmSpace space,
                     uint64_t addr, unsigned len,
                     EventNotifierHandler *handler, Error **errp);

/* Undo vmm_doorbell_add().  Main thread, after the vCPUs stopped. */
void vmm_doorbell_del(VmmMachine *m, VmmDoorbell *db);

/* ------------------------------------------------------------------ */
/* Devices                                                             */
/* ------------------------------------------------------------------ */

/**
 * VmmDeviceInfo: a device model (the "class").
 * @name: model name, as in the board table.
 * @instance_size: bytes to allocate; the state starts with a VmmDevice.
 * @realize: map regions, claim the interrupt line, attach handlers.
 *     Returns 0 or -errno with @errp set.
 * @unrealize: undo @realize (the machine is stopped).  May be NULL.
 * @stats: append a one-line summary for --stats.  May be NULL.
 */
typedef struct VmmDeviceInfo {
    const char *name;
    size_t instance_size;
    int (*realize)(VmmDevice *dev, Error **errp);
    void (*unrealize)(VmmDevice *dev);
    void (*stats)(VmmDevice *dev, GString *out);
} VmmDeviceInfo;

/**
 * VmmDevice: what every device instance starts with.  The machine fills
 * it from the board table before calling @info->realize.
 */
struct VmmDevice {
    const VmmDeviceInfo *info;
    VmmMachine *machine;
    const char *id;             /* instance name, e.g. "doorbell-pio" */
    VmmSpace space;             /* where the registers are */
    uint64_t base;
    int gsi;                    /* -1 if the device has no interrupt */
    /* Guest errors logged so far, for rate limiting; BQL. */
    unsigned errors_logged;
};

/**
 * vmm_guest_error: log that the guest misused a device.
 *
 * Never fatal: the device also reports the error to the guest through its
 * registers.  The first few messages per device are printed to stderr,
 * later ones only counted.  BQL held.
 */
void vmm_guest_error(VmmDevice *dev, const char *fmt, ...)
    G_GNUC_PRINTF(2, 3);

/* The device models. */
extern const VmmDeviceInfo vmm_doorbell_info;
extern const VmmDeviceInfo vmm_serial_info;
extern const VmmDeviceInfo vmm_timer_info;
extern const VmmDeviceInfo vmm_exit_info;

/* Serial output destination, set before realize; stdout if < 0. */
extern int vmm_serial_fd;

/* ------------------------------------------------------------------ */
/* Accelerators                                                        */
/* ------------------------------------------------------------------ */

/**
 * VmmAccelOps: the execution engine behind a machine.
 * @name: "kvm", "qtest".
 * @init: create the VM and map @m->ram.  0 or -errno with @errp set.
 * @ioeventfd_add: make writes of @len bytes at @addr signal @e.
 * @ioeventfd_del: undo @ioeventfd_add (same arguments).
 * @irq_init: create the backing of @irq (KVM: eventfd + KVM_IRQFD).
 * @irq_set: drive @irq to @level (called with the new level only).
 * @irq_cleanup: undo @irq_init.
 * @start: start executing the guest (vCPU threads).
 * @stop: stop executing and wait for the vCPU threads; idempotent.
 * @clock_sync: called by the main loop before each iteration: move
 *     QEMU_CLOCK_VIRTUAL forward (KVM: it follows host time while the
 *     guest runs; qtest: NULL, the client steps it).
 * @cleanup: release everything @init created.
 */
typedef struct VmmAccelOps {
    const char *name;
    int (*init)(VmmMachine *m, Error **errp);
    int (*ioeventfd_add)(VmmMachine *m, VmmSpace space, uint64_t addr,
                         unsigned len, EventNotifier *e, Error **errp);
    void (*ioeventfd_del)(VmmMachine *m, VmmSpace space, uint64_t addr,
                          unsigned len, EventNotifier *e);
    int (*irq_init)(VmmMachine *m, VmmIrq *irq, Error **errp);
    void (*irq_set)(VmmMachine *m, VmmIrq *irq, bool level);
    void (*irq_cleanup)(VmmMachine *m, VmmIrq *irq);
    int (*start)(VmmMachine *m, Error **errp);
    void (*stop)(VmmMachine *m);
    void (*clock_sync)(VmmMachine *m);
    void (*cleanup)(VmmMachine *m);
} VmmAccelOps;

extern const VmmAccelOps vmm_kvm_accel;

/* One row of a board: which device model goes where. */
typedef struct VmmBoardEntry {
    const VmmDeviceInfo *info;
    const char *id;
    VmmSpace space;
    uint64_t base;
    int gsi;
} VmmBoardEntry;

#define VMM_MAX_REGIONS 16
#define VMM_MAX_DOORBELLS 8

/**
 * VmmMachine: one virtual machine.  Created by vmm_machine_new(), which
 * reads nothing from the outside world; fields marked "config" are set by
 * the caller before vmm_machine_realize().
 */
struct VmmMachine {
    /* config */
    const VmmAccelOps *accel;
    const char *kvm_device;             /* path of /dev/kvm */
    VmmDoorbellMode doorbell_mode;
    uint64_t ram_size;

    /* Guest RAM: mmap()ed by vmm_machine_new, shared with the vCPUs. */
    uint8_t *ram;

    /* Dispatch tables: filled before start, read-only afterwards. */
    VmmRegion *regions[VMM_MAX_REGIONS];
    int nr_regions;
    VmmDoorbell *doorbells[VMM_MAX_DOORBELLS];
    int nr_doorbells;

    VmmDevice **devices;
    int nr_devices;

    /* Accelerator state, owned by the accelerator. */
    void *accel_state;

    /*
     * Exit request: written once by whoever ends the run (exit device,
     * fault, timeout) with qatomic_cmpxchg on exit_requested; the main loop
     * reads it after each iteration.  exit_status is written before the
     * cmpxchg publishes it.
     */
    int exit_requested;
    int exit_status;
    char *exit_reason;

    /* Bench marks (exit device), host CLOCK_MONOTONIC ns; atomic. */
    int64_t mark_start_ns;
    int64_t mark_stop_ns;

    /* Run time, host CLOCK_MONOTONIC ns (main thread). */
    int64_t started_ns;
    int64_t stopped_ns;
};

/* Allocate a machine with @ram_size bytes of zeroed RAM. */
VmmMachine *vmm_machine_new(const VmmAccelOps *accel, uint64_t ram_size);

/*
 * Create the VM through the accelerator (m->accel->init).  Failing here
 * means the accelerator is unusable (no /dev/kvm, missing capability).
 */
int vmm_machine_init_accel(VmmMachine *m, Error **errp);

/* Realize the board's devices, after vmm_machine_init_accel(). */
int vmm_machine_realize(VmmMachine *m, const VmmBoardEntry *board,
                        int nr_entries, Error **errp);

/*
 * Start the guest and run the main loop until someone requests an exit
 * or @timeout_ms (0: none) passes.  Returns the exit status.  Main thread,
 * BQL held.
 */
int vmm_machine_run(VmmMachine *m, int64_t timeout_ms);

/**
 * vmm_machine_request_exit: end the run with @status.
 *
 * The first request wins; later ones are ignored.  @reason (may be NULL)
 * is kept for the summary.  Thread-safe: vCPU threads call it for the exit
 * device and for faults.
 */
void vmm_machine_request_exit(VmmMachine *m, int status, const char *reason);

/* Append each device's summary line to @out. */
void vmm_machine_stats(VmmMachine *m, GString *out);

/* Unrealize devices, tear down the VM and free @m. */
void vmm_machine_free(VmmMachine *m);

/* The board every vmm-mini machine has (machine.c). */
extern const VmmBoardEntry vmm_default_board[];
extern const int vmm_default_board_size;

#endif /* VMM_MINI_VMM_H */
