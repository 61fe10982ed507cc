/*
 * vmm-mini ping-pong guest, for `make bench-vmm`: one request in flight,
 * doorbell -> device handler -> interrupt -> next doorbell, timed between
 * two marks on the exit device.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * The VMM's boot info says how many round trips (VMM_BOOT_ITERATIONS,
 * after VMM_BOOT_WARMUP untimed ones) and through what
 * (VMM_BOOT_MODE): the PIO doorbell, the MMIO doorbell, or a bare `out`
 * to the exit device's probe register (the raw exit cost, no device).
 *
 * The loop is as short as possible because each instruction may cost
 * ~0.6 us of emulation.  Interrupts stay off except inside sti; hlt: the
 * completion interrupt of the request just rung is latched by the PIC
 * until then, so it cannot be lost, and the used index is checked after
 * each wake-up because irqfd may coalesce or an interrupt be spurious.
 */
#include "lib.inc"

#define RING    (VMM_GUEST_SCRATCH)
#define RING_SLOTS 8

start:
    xor %ax, %ax
    mov %ax, %ds
    mov %ax, %es
    mov %ax, %ss
    mov $VMM_GUEST_STACK_TOP, %sp
    cld
    SET_IRQ_VECTOR(VMM_IRQ_DOORBELL_PIO, isr)
    SET_IRQ_VECTOR(VMM_IRQ_DOORBELL_MMIO, isr)
    mov $~((1 << VMM_IRQ_DOORBELL_PIO) | (1 << VMM_IRQ_DOORBELL_MMIO)) & \
        0xff, %bl
    call pic_init
    /* All descriptors stay NOP (RAM starts zeroed); avail = used = 0. */
    movl $0, RING

    mov VMM_BOOT_MODE, %ax
    cmp $VMM_BENCH_MODE_RAW_OUT, %ax
    je raw
    cmp $VMM_BENCH_MODE_DOORBELL_MMIO, %ax
    je mmio

pio:
    mov $VMM_DOORBELL_PIO_BASE + VMM_DB_RING_ADDR, %dx
    mov $RING, %eax
    out %eax, %dx
    mov $VMM_DOORBELL_PIO_BASE + VMM_DB_RING_SIZE, %dx
    mov $RING_SLOTS, %eax
    out %eax, %dx
    mov $RING, %bx
    xor %si, %si
    movzwl VMM_BOOT_WARMUP, %ecx
    call loop_pio
    call mark_start
    mov VMM_BOOT_ITERATIONS, %ecx
    call loop_pio
    jmp done

mmio:
    mov $VMM_DOORBELL_MMIO_SEG, %ax
    mov %ax, %es
    movl $RING, %es:VMM_DB_RING_ADDR
    movl $RING_SLOTS, %es:VMM_DB_RING_SIZE
    mov $RING, %bx
    xor %si, %si
    movzwl VMM_BOOT_WARMUP, %ecx
    call loop_mmio
    call mark_start
    mov VMM_BOOT_ITERATIONS, %ecx
    call loop_mmio
    jmp done

raw:
    mov $VMM_EXIT_BASE + VMM_EXIT_PROBE, %dx
    movzwl VMM_BOOT_WARMUP, %ecx
    call loop_raw
    call mark_start
    mov $VMM_EXIT_BASE + VMM_EXIT_PROBE, %dx
    mov VMM_BOOT_ITERATIONS, %ecx
    call loop_raw

done:
    mov $VMM_EXIT_BASE + VMM_EXIT_MARK, %dx
    mov $2, %al
    out %al, %dx
    EXIT_WITH(0)

mark_start:
    mov $VMM_EXIT_BASE + VMM_EXIT_MARK, %dx
    mov $1, %al
    out %al, %dx
    ret

/* %ecx round trips on the PIO doorbell; %bx = ring, %si = avail. */
loop_pio:
    mov $VMM_DOORBELL_PIO_BASE + VMM_DB_NOTIFY, %dx
    cli
    test %ecx, %ecx
    jz 3f
1:  inc %si
    mov %si, (%bx)
    out %ax, %dx
2:  sti
    hlt
    cli
    cmp %si, VMM_RING_USED(%bx)
    jne 2b
    dec %ecx
    jnz 1b
3:  ret

/* The same through the MMIO doorbell at %es:VMM_DB_NOTIFY. */
loop_mmio:
    cli
    test %ecx, %ecx
    jz 3f
1:  inc %si
    mov %si, (%bx)
    mov %ax, %es:VMM_DB_NOTIFY
2:  sti
    hlt
    cli
    cmp %si, VMM_RING_USED(%bx)
    jne 2b
    dec %ecx
    jnz 1b
3:  ret

/* %ecx bare exits to the probe register at %dx. */
loop_raw:
    test %ecx, %ecx
    jz 2f
1:  out %al, %dx
    dec %ecx
    jnz 1b
2:  ret

isr:
    iret
