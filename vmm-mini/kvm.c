/*
 * vmm-mini KVM accelerator: the VM, guest memory slot, in-kernel irqchip,
 * vCPU threads, ioeventfd and irqfd registration.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * The vCPU thread only runs KVM_RUN and dispatches the exits that must be
 * answered synchronously (port and MMIO accesses that no ioeventfd
 * swallowed).  It runs no event loop: doorbell work reaches the main loop
 * through ioeventfds, and completions go back to the guest through irqfds,
 * neither of which involves this thread.
 */
#include "qemu/osdep.h"

#include <linux/kvm.h>
#include <pthread.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#include "qemu/atomic.h"
#include "qemu/error-report.h"
#include "qemu/main-loop.h"
#include "qemu/timer.h"
#include "system/cpu-timers.h"

#include "vmm.h"

/* The signal that kicks a vCPU thread out of KVM_RUN. */
#define VMM_SIG_KICK SIGUSR1

/* Where KVM may put its TSS (Intel needs three pages below 4 GiB). */
#define VMM_TSS_ADDR 0xfffbd000

typedef struct KvmVcpu {
    VmmMachine *machine;
    int index;
    int fd;
    struct kvm_run *run;        /* mmap()ed; shared with the kernel */
    size_t run_size;
    QemuThread thread;
    bool thread_started;
    bool stop;                  /* atomic: main thread -> vCPU thread */
} KvmVcpu;

typedef struct KvmState {
    int kvm_fd;
    int vm_fd;
    KvmVcpu vcpu;               /* guests are uniprocessor */
    bool running;               /* main thread only */
    int64_t clock_base;         /* host ns at start: virtual time 0 */
} KvmState;

/* ------------------------------------------------------------------ */
/* ioctl wrappers: 0 (or the ioctl's value) or -errno, EINTR retried   */
/* ------------------------------------------------------------------ */

static int kvm_ioctl(int fd, unsigned long req, unsigned long arg)
{
    int ret;

    do {
        ret = ioctl(fd, req, arg);
    } while (ret < 0 && errno == EINTR);
    return ret < 0 ? -errno : ret;
}

static int kvm_ioctl_ptr(int fd, unsigned long req, const void *arg)
{
    return kvm_ioctl(fd, req, (unsigned long)arg);
}

static int kvm_open_device(const char *path)
{
    int fd;

    do {
        fd = open(path, O_RDWR | O_CLOEXEC);
    } while (fd < 0 && errno == EINTR);
    return fd < 0 ? -errno : fd;
}

static KvmState *kvm_state(VmmMachine *m)
{
    return m->accel_state;
}

/* ------------------------------------------------------------------ */
/* VM creation                                                         */
/* ------------------------------------------------------------------ */

static int kvm_require_cap(KvmState *s, int cap, const char *name,
                           const char *path, Error **errp)
{
    int ret = kvm_ioctl(s->kvm_fd, KVM_CHECK_EXTENSION, cap);

    if (ret <= 0) {
        error_setg(errp, "KVM at %s lacks %s, which vmm-mini needs",
                   path, name);
        return -ENOTSUP;
    }
    return 0;
}

/* Real mode, CS:IP = 0000:VMM_GUEST_LOAD_ADDR, all data segments 0. */
static int kvm_vcpu_reset(KvmVcpu *v, Error **errp)
{
    struct kvm_sregs sregs = { 0 };
    struct kvm_regs regs;
    int ret;

    ret = kvm_ioctl_ptr(v->fd, KVM_GET_SREGS, &sregs);
    if (ret < 0) {
        error_setg_errno(errp, -ret, "KVM_GET_SREGS");
        return ret;
    }
    sregs.cs.base = 0;
    sregs.cs.selector = 0;
    sregs.ds = sregs.es = sregs.fs = sregs.gs = sregs.ss = sregs.cs;
    /* A data segment: writable, not code. */
    sregs.ds.type = sregs.es.type = sregs.fs.type = 3;
    sregs.gs.type = sregs.ss.type = 3;
    ret = kvm_ioctl_ptr(v->fd, KVM_SET_SREGS, &sregs);
    if (ret < 0) {
        error_setg_errno(errp, -ret, "KVM_SET_SREGS");
        return ret;
    }

    memset(&regs, 0, sizeof(regs));
    regs.rip = VMM_GUEST_LOAD_ADDR;
    regs.rsp = VMM_GUEST_STACK_TOP;
    regs.rflags = 0x2;          /* bit 1 is always set; IF clear */
    ret = kvm_ioctl_ptr(v->fd, KVM_SET_REGS, &regs);
    if (ret < 0) {
        error_setg_errno(errp, -ret, "KVM_SET_REGS");
        return ret;
    }
    return 0;
}

static int kvm_vcpu_create(VmmMachine *m, KvmState *s, Error **errp)
{
    KvmVcpu *v = &s->vcpu;
    int ret;

    v->machine = m;
    v->index = 0;
    ret = kvm_ioctl(s->vm_fd, KVM_CREATE_VCPU, 0);
    if (ret < 0) {
        error_setg_errno(errp, -ret, "KVM_CREATE_VCPU");
        return ret;
    }
    v->fd = ret;
    ret = kvm_ioctl(s->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
    if (ret < 0) {
        error_setg_errno(errp, -ret, "KVM_GET_VCPU_MMAP_SIZE");
        return ret;
    }
    v->run_size = ret;
    v->run = mmap(NULL, v->run_size, PROT_READ | PROT_WRITE, MAP_SHARED,
                  v->fd, 0);
    if (v->run == MAP_FAILED) {
        v->run = NULL;
        ret = -errno;
        error_setg_errno(errp, -ret, "cannot map the vCPU's kvm_run");
        return ret;
    }
    return kvm_vcpu_reset(v, errp);
}

static int kvm_accel_init(VmmMachine *m, Error **errp)
{
    struct kvm_userspace_memory_region slot = {
        .slot = 0,
        .guest_phys_addr = 0,
        .memory_size = m->ram_size,
        .userspace_addr = (uintptr_t)m->ram,
    };
    const char *path = m->kvm_device;
    KvmState *s = g_new0(KvmState, 1);
    int ret;

    s->kvm_fd = s->vm_fd = s->vcpu.fd = -1;
    m->accel_state = s;

    s->kvm_fd = kvm_open_device(path);
    if (s->kvm_fd < 0) {
        ret = s->kvm_fd;
        error_setg_errno(errp, -ret, "cannot open KVM device %s", path);
        return ret;
    }
    ret = kvm_ioctl(s->kvm_fd, KVM_GET_API_VERSION, 0);
    if (ret != KVM_API_VERSION) {
        error_setg(errp, "%s is not a KVM device with API version %d "
                   "(got %d)", path, KVM_API_VERSION, ret);
        return -ENOTSUP;
    }
    if (kvm_require_cap(s, KVM_CAP_USER_MEMORY, "KVM_CAP_USER_MEMORY",
                        path, errp) < 0 ||
        kvm_require_cap(s, KVM_CAP_IRQCHIP, "KVM_CAP_IRQCHIP",
                        path, errp) < 0 ||
        kvm_require_cap(s, KVM_CAP_IOEVENTFD, "KVM_CAP_IOEVENTFD",
                        path, errp) < 0 ||
        kvm_require_cap(s, KVM_CAP_IRQFD, "KVM_CAP_IRQFD",
                        path, errp) < 0 ||
        kvm_require_cap(s, KVM_CAP_IMMEDIATE_EXIT, "KVM_CAP_IMMEDIATE_EXIT",
                        path, errp) < 0) {
        return -ENOTSUP;
    }

    ret = kvm_ioctl(s->kvm_fd, KVM_CREATE_VM, 0);
    if (ret < 0) {
        error_setg_errno(errp, -ret, "KVM_CREATE_VM on %s", path);
        return ret;
    }
    s->vm_fd = ret;

    /* Intel VMX needs it for real mode; elsewhere it may be unsupported. */
    kvm_ioctl(s->vm_fd, KVM_SET_TSS_ADDR, VMM_TSS_ADDR);

    /* PIC + IOAPIC + LAPIC in the kernel: irqfds inject without us. */
    ret = kvm_ioctl(s->vm_fd, KVM_CREATE_IRQCHIP, 0);
    if (ret < 0) {
        error_setg_errno(errp, -ret, "KVM_CREATE_IRQCHIP");
        return ret;
    }
    ret = kvm_ioctl_ptr(s->vm_fd, KVM_SET_USER_MEMORY_REGION, &slot);
    if (ret < 0) {
        error_setg_errno(errp, -ret, "KVM_SET_USER_MEMORY_REGION");
        return ret;
    }
    return kvm_vcpu_create(m, s, errp);
}

static void kvm_accel_cleanup(VmmMachine *m)
{
    KvmState *s = kvm_state(m);

    if (!s) {
        return;
    }
    if (s->vcpu.run) {
        munmap(s->vcpu.run, s->vcpu.run_size);
    }
    if (s->vcpu.fd >= 0) {
        close(s->vcpu.fd);
    }
    if (s->vm_fd >= 0) {
        close(s->vm_fd);
    }
    if (s->kvm_fd >= 0) {
        close(s->kvm_fd);
    }
    g_free(s);
    m->accel_state = NULL;
}

/* ------------------------------------------------------------------ */
/* ioeventfd and irqfd                                                 */
/* ------------------------------------------------------------------ */

static int kvm_ioeventfd(VmmMachine *m, VmmSpace space, uint64_t addr,
                         unsigned len, EventNotifier *e, bool assign)
{
    struct kvm_ioeventfd io = {
        .addr = addr,
        .len = len,
        .fd = event_notifier_get_fd(e),
        .flags = (space == VMM_SPACE_PIO ? KVM_IOEVENTFD_FLAG_PIO : 0) |
                 (assign ? 0 : KVM_IOEVENTFD_FLAG_DEASSIGN),
    };

    return kvm_ioctl_ptr(kvm_state(m)->vm_fd, KVM_IOEVENTFD, &io);
}

static int kvm_accel_ioeventfd_add(VmmMachine *m, VmmSpace space,
                                   uint64_t addr, unsigned len,
                                   EventNotifier *e, Error **errp)
{
    int ret = kvm_ioeventfd(m, space, addr, len, e, true);

    if (ret == -EEXIST) {
        error_setg(errp, "an ioeventfd for %s 0x%" PRIx64 " (%u bytes) "
                   "is already registered",
                   space == VMM_SPACE_PIO ? "port" : "MMIO", addr, len);
    } else if (ret < 0) {
        error_setg_errno(errp, -ret, "KVM_IOEVENTFD at 0x%" PRIx64, addr);
    }
    return ret;
}

static void kvm_accel_ioeventfd_del(VmmMachine *m, VmmSpace space,
                                    uint64_t addr, unsigned len,
                                    EventNotifier *e)
{
    int ret = kvm_ioeventfd(m, space, addr, len, e, false);

    if (ret < 0) {
        warn_report("KVM_IOEVENTFD deassign at 0x%" PRIx64 ": %s", addr,
                    strerror(-ret));
    }
}

static int kvm_accel_irq_init(VmmMachine *m, VmmIrq *irq, Error **errp)
{
    struct kvm_irqfd irqfd = { .gsi = irq->gsi };
    int ret;

    /* GSIs 0-15 have PIC and IOAPIC routes after KVM_CREATE_IRQCHIP. */
    if (irq->gsi < 0 || irq->gsi > 15) {
        error_setg(errp, "GSI %d has no default route", irq->gsi);
        return -EINVAL;
    }
    ret = event_notifier_init(&irq->notifier, 0);
    if (ret < 0) {
        error_setg_errno(errp, -ret, "cannot create an irqfd eventfd");
        return ret;
    }
    irqfd.fd = event_notifier_get_fd(&irq->notifier);
    ret = kvm_ioctl_ptr(kvm_state(m)->vm_fd, KVM_IRQFD, &irqfd);
    if (ret < 0) {
        event_notifier_cleanup(&irq->notifier);
        error_setg_errno(errp, -ret, "KVM_IRQFD for GSI %d", irq->gsi);
        return ret;
    }
    irq->has_notifier = true;
    return 0;
}

static void kvm_accel_irq_set(VmmMachine *m, VmmIrq *irq, bool level)
{
    /*
     * An irqfd write asserts and deasserts the GSI in one go, an edge:
     * that is the whole interrupt, so lowering has nothing left to do.
     */
    if (level) {
        event_notifier_set(&irq->notifier);
    }
}

static void kvm_accel_irq_cleanup(VmmMachine *m, VmmIrq *irq)
{
    struct kvm_irqfd irqfd = {
        .gsi = irq->gsi,
        .flags = KVM_IRQFD_FLAG_DEASSIGN,
    };

    if (!irq->has_notifier) {
        return;
    }
    irqfd.fd = event_notifier_get_fd(&irq->notifier);
    kvm_ioctl_ptr(kvm_state(m)->vm_fd, KVM_IRQFD, &irqfd);
    event_notifier_cleanup(&irq->notifier);
    irq->has_notifier = false;
}

/* ------------------------------------------------------------------ */
/* The vCPU thread                                                     */
/* ------------------------------------------------------------------ */

static void kvm_kick_handler(int sig)
{
    /* Nothing to do: being delivered makes KVM_RUN return EINTR. */
}

/* Describe a fatal exit with the guest's registers; vCPU thread only. */
static void kvm_vcpu_fault(KvmVcpu *v, const char *what)
{
    struct kvm_regs regs = { 0 };
    struct kvm_sregs sregs = { 0 };
    char *msg;

    if (kvm_ioctl_ptr(v->fd, KVM_GET_REGS, &regs) == 0 &&
        kvm_ioctl_ptr(v->fd, KVM_GET_SREGS, &sregs) == 0) {
        msg = g_strdup_printf("%s at %04x:%04llx", what,
                              sregs.cs.selector,
                              (unsigned long long)regs.rip);
    } else {
        msg = g_strdup(what);
    }
    error_report("vCPU %d: %s", v->index, msg);
    vmm_machine_request_exit(v->machine, VMM_EXIT_INTERNAL, msg);
    g_free(msg);
}

/* Handle one exit; false ends the vCPU loop. */
static bool kvm_vcpu_handle_exit(KvmVcpu *v)
{
    struct kvm_run *run = v->run;
    VmmMachine *m = v->machine;
    char what[96];
    uint8_t *p;
    uint32_t i;

    switch (run->exit_reason) {
    case KVM_EXIT_IO:
        p = (uint8_t *)run + run->io.data_offset;
        for (i = 0; i < run->io.count; i++) {
            vmm_io_dispatch(m, VMM_SPACE_PIO, run->io.port, p, run->io.size,
                            run->io.direction == KVM_EXIT_IO_OUT);
            p += run->io.size;
        }
        return true;
    case KVM_EXIT_MMIO:
        vmm_io_dispatch(m, VMM_SPACE_MMIO, run->mmio.phys_addr,
                        run->mmio.data, run->mmio.len, run->mmio.is_write);
        return true;
    case KVM_EXIT_INTR:
        return true;
    case KVM_EXIT_SHUTDOWN:
        kvm_vcpu_fault(v, "guest shut down (triple fault)");
        return false;
    case KVM_EXIT_HLT:
        kvm_vcpu_fault(v, "guest halted outside the in-kernel irqchip");
        return false;
    case KVM_EXIT_FAIL_ENTRY:
        snprintf(what, sizeof(what), "VM entry failed (reason 0x%llx)",
                 (unsigned long long)
                 run->fail_entry.hardware_entry_failure_reason);
        kvm_vcpu_fault(v, what);
        return false;
    case KVM_EXIT_INTERNAL_ERROR:
        snprintf(what, sizeof(what), "KVM internal error (suberror %u)",
                 run->internal.suberror);
        kvm_vcpu_fault(v, what);
        return false;
    default:
        snprintf(what, sizeof(what), "unexpected exit reason %u",
                 run->exit_reason);
        kvm_vcpu_fault(v, what);
        return false;
    }
}

static void *kvm_vcpu_thread_fn(void *opaque)
{
    KvmVcpu *v = opaque;
    VmmMachine *m = v->machine;
    sigset_t kick;
    int ret;

    /* qemu_thread_create() starts us with signals blocked. */
    sigemptyset(&kick);
    sigaddset(&kick, VMM_SIG_KICK);
    pthread_sigmask(SIG_UNBLOCK, &kick, NULL);

    for (;;) {
        /*
         * Pairs with the store-release of kvm_accel_stop(): once we see
         * stop clear here, a later kick finds immediate_exit set or
         * interrupts KVM_RUN, so the stop cannot be lost.
         */
        if (qatomic_load_acquire(&v->stop) ||
            qatomic_load_acquire(&m->exit_requested)) {
            break;
        }
        ret = ioctl(v->fd, KVM_RUN, 0);
        if (ret < 0) {
            if (errno == EINTR || errno == EAGAIN) {
                continue;       /* kicked: re-check the flags */
            }
            kvm_vcpu_fault(v, strerror(errno));
            break;
        }
        if (!kvm_vcpu_handle_exit(v)) {
            break;
        }
    }
    return NULL;
}

static int kvm_accel_start(VmmMachine *m, Error **errp)
{
    static bool handler_installed;
    KvmState *s = kvm_state(m);
    struct sigaction sa;

    if (!handler_installed) {
        /* No SA_RESTART: the kick must make KVM_RUN fail with EINTR. */
        memset(&sa, 0, sizeof(sa));
        sa.sa_handler = kvm_kick_handler;
        sigaction(VMM_SIG_KICK, &sa, NULL);
        handler_installed = true;
    }
    s->clock_base = get_clock() - qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL);
    s->running = true;
    /* Virtual time runs while the guest does, as in QEMU's vm_start(). */
    qemu_clock_enable(QEMU_CLOCK_VIRTUAL, true);
    s->vcpu.stop = false;
    s->vcpu.thread_started = true;
    qemu_thread_create(&s->vcpu.thread, "vcpu0", kvm_vcpu_thread_fn,
                       &s->vcpu, QEMU_THREAD_JOINABLE);
    return 0;
}

static void kvm_accel_stop(VmmMachine *m)
{
    KvmState *s = kvm_state(m);
    KvmVcpu *v;
    bool locked;

    if (!s || !s->running) {
        return;
    }
    v = &s->vcpu;
    /* Pairs with the load-acquire at the top of the vCPU loop. */
    qatomic_store_release(&v->stop, true);
    qatomic_set(&v->run->immediate_exit, 1);
    if (v->thread_started) {
        pthread_kill(v->thread.thread, VMM_SIG_KICK);
        /*
         * The vCPU thread still holds no lock we need: it takes the BQL
         * only around a dispatch, and we must let it finish one.
         */
        locked = bql_locked();
        if (locked) {
            bql_unlock();
        }
        qemu_thread_join(&v->thread);
        if (locked) {
            bql_lock();
        }
        v->thread_started = false;
    }
    qemu_clock_enable(QEMU_CLOCK_VIRTUAL, false);
    s->running = false;
}

/*
 * Without icount the virtual clock of a running guest is host time since
 * it started; qemuutil's virtual clock is a plain settable counter, so we
 * set it and run the due virtual timers before each main-loop iteration.
 * main_loop_wait() then sleeps until the next virtual deadline, measured
 * against this same clock.  (qemu_clock_advance_virtual_time() would also
 * do, but it ends with a notify that wakes the very loop we are about to
 * put to sleep: the loop would spin.)
 */
static void kvm_accel_clock_sync(VmmMachine *m)
{
    KvmState *s = kvm_state(m);

    if (s->running) {
        cpus_set_virtual_clock(get_clock() - s->clock_base);
        qemu_clock_run_timers(QEMU_CLOCK_VIRTUAL);
    }
}

const VmmAccelOps vmm_kvm_accel = {
    .name = "kvm",
    .init = kvm_accel_init,
    .ioeventfd_add = kvm_accel_ioeventfd_add,
    .ioeventfd_del = kvm_accel_ioeventfd_del,
    .irq_init = kvm_accel_irq_init,
    .irq_set = kvm_accel_irq_set,
    .irq_cleanup = kvm_accel_irq_cleanup,
    .start = kvm_accel_start,
    .stop = kvm_accel_stop,
    .clock_sync = kvm_accel_clock_sync,
    .cleanup = kvm_accel_cleanup,
};
