/*
 * vmm-mini self-test guest: exercises every device and reports through
 * the serial console and the exit device (0 = pass, 1 = fail).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * Stages: the PIO doorbell (three requests in one kick: FILL, SUM, NOP),
 * the MMIO doorbell (a good request and one with a bad buffer address,
 * which must come back with an error status), the timer on the virtual
 * clock (periodic) and on the real-time clock (one-shot).  Each stage
 * names itself in `stage` so a failure says where it happened.
 */
#include "lib.inc"

#define RING_A  (VMM_GUEST_SCRATCH)             /* PIO doorbell, 4 slots */
#define RING_B  (VMM_GUEST_SCRATCH + 0x100)     /* MMIO doorbell, 2 slots */
#define BUF     (VMM_GUEST_SCRATCH + 0x1000)
#define DESC(ring, i, field) ((ring) + VMM_RING_DESC + (i) * VMM_DESC_SIZE + \
                              (field))
#define DB_PIO(reg) (VMM_DOORBELL_PIO_BASE + (reg))
#define TIMER(reg) (VMM_TIMER_BASE + (reg))
#define STAGE(msg) movw $msg, stage

/* Fail unless the condition code holds: CHECK(je) after a cmp. */
#define CHECK(jcc) jcc 9f; jmp fail; 9:

start:
    xor %ax, %ax
    mov %ax, %ds
    mov %ax, %es
    mov %ax, %ss
    mov $VMM_GUEST_STACK_TOP, %sp
    cld
    SET_IRQ_VECTOR(VMM_IRQ_TIMER, isr_timer)
    SET_IRQ_VECTOR(VMM_IRQ_DOORBELL_PIO, isr_db_pio)
    SET_IRQ_VECTOR(VMM_IRQ_DOORBELL_MMIO, isr_db_mmio)
    mov $~((1 << VMM_IRQ_TIMER) | (1 << VMM_IRQ_DOORBELL_PIO) | \
           (1 << VMM_IRQ_DOORBELL_MMIO)) & 0xff, %bl
    call pic_init
    sti
    PUTS(msg_hello)

    /* ---- doorbell over port I/O ---- */
    STAGE(st_pio)
    mov $DB_PIO(VMM_DB_ID), %dx
    in %dx, %eax
    cmp $VMM_DB_ID_VALUE, %eax
    CHECK(je)
    movl $0, RING_A                     /* avail = used = 0 */
    mov $DB_PIO(VMM_DB_RING_ADDR), %dx
    mov $RING_A, %eax
    out %eax, %dx
    mov $DB_PIO(VMM_DB_RING_SIZE), %dx
    mov $4, %eax
    out %eax, %dx
    /* 0: FILL BUF[0..16) with 0x5a; 1: SUM BUF[0..16); 2: NOP */
    movb $VMM_OP_FILL, DESC(RING_A, 0, VMM_DESC_OP)
    movw $16, DESC(RING_A, 0, VMM_DESC_LEN)
    movl $BUF, DESC(RING_A, 0, VMM_DESC_ADDR)
    movl $0x5a, DESC(RING_A, 0, VMM_DESC_ARG)
    movb $VMM_OP_SUM, DESC(RING_A, 1, VMM_DESC_OP)
    movw $16, DESC(RING_A, 1, VMM_DESC_LEN)
    movl $BUF, DESC(RING_A, 1, VMM_DESC_ADDR)
    movb $VMM_OP_NOP, DESC(RING_A, 2, VMM_DESC_OP)
    movw $3, RING_A + VMM_RING_AVAIL
    mov $DB_PIO(VMM_DB_NOTIFY), %dx
    out %ax, %dx                        /* the doorbell: an ioeventfd */
    mov $RING_A + VMM_RING_USED, %bx
    mov $3, %cx
    call wait_ge
    cmpb $VMM_DESC_OK, DESC(RING_A, 0, VMM_DESC_STATUS)
    CHECK(je)
    cmpb $VMM_DESC_OK, DESC(RING_A, 1, VMM_DESC_STATUS)
    CHECK(je)
    cmpb $VMM_DESC_OK, DESC(RING_A, 2, VMM_DESC_STATUS)
    CHECK(je)
    cmpl $16 * 0x5a, DESC(RING_A, 1, VMM_DESC_RESULT)
    CHECK(je)
    mov $DB_PIO(VMM_DB_COMPLETED), %dx
    in %dx, %eax
    cmp $3, %eax
    CHECK(je)
    PUTS(msg_pio)

    /* ---- doorbell over MMIO (ES points at the device) ---- */
    STAGE(st_mmio)
    mov $VMM_DOORBELL_MMIO_SEG, %ax
    mov %ax, %es
    cmpl $VMM_DB_ID_VALUE, %es:VMM_DB_ID
    CHECK(je)
    movl $0, RING_B
    movl $RING_B, %es:VMM_DB_RING_ADDR
    movl $2, %es:VMM_DB_RING_SIZE
    /* 0: SUM BUF (filled above); 1: SUM of a buffer outside RAM */
    movb $VMM_OP_SUM, DESC(RING_B, 0, VMM_DESC_OP)
    movw $16, DESC(RING_B, 0, VMM_DESC_LEN)
    movl $BUF, DESC(RING_B, 0, VMM_DESC_ADDR)
    movb $VMM_OP_SUM, DESC(RING_B, 1, VMM_DESC_OP)
    movw $16, DESC(RING_B, 1, VMM_DESC_LEN)
    movl $0xfffff000, DESC(RING_B, 1, VMM_DESC_ADDR)
    movw $2, RING_B + VMM_RING_AVAIL
    movw %ax, %es:VMM_DB_NOTIFY
    mov $RING_B + VMM_RING_USED, %bx
    mov $2, %cx
    call wait_ge
    cmpb $VMM_DESC_OK, DESC(RING_B, 0, VMM_DESC_STATUS)
    CHECK(je)
    cmpl $16 * 0x5a, DESC(RING_B, 0, VMM_DESC_RESULT)
    CHECK(je)
    cmpb $VMM_DESC_BAD_ADDR, DESC(RING_B, 1, VMM_DESC_STATUS)
    CHECK(je)
    cmpl $VMM_DB_ERR_BAD_DESC, %es:VMM_DB_STATUS
    CHECK(je)
    movl $VMM_DB_ERR_BAD_DESC, %es:VMM_DB_STATUS    /* write 1 to clear */
    cmpl $0, %es:VMM_DB_STATUS
    CHECK(je)
    xor %ax, %ax
    mov %ax, %es
    PUTS(msg_mmio)

    /* ---- timer: virtual clock, periodic, 3 ticks of 500 us ---- */
    STAGE(st_timer_virt)
    movw $0, ticks
    mov $TIMER(VMM_TIMER_PERIOD_US), %dx
    mov $500, %eax
    out %eax, %dx
    mov $TIMER(VMM_TIMER_CTRL), %dx
    mov $VMM_TIMER_CTRL_ENABLE | VMM_TIMER_CTRL_PERIODIC, %eax
    out %eax, %dx
    mov $ticks, %bx
    mov $3, %cx
    call wait_ge
    mov $TIMER(VMM_TIMER_CTRL), %dx
    xor %eax, %eax
    out %eax, %dx
    mov $TIMER(VMM_TIMER_COUNT), %dx
    in %dx, %eax
    cmp $3, %eax
    CHECK(jae)

    /* ---- timer: real-time clock, one-shot 1 ms ---- */
    STAGE(st_timer_rt)
    movw $0, ticks
    mov $TIMER(VMM_TIMER_PERIOD_US), %dx
    mov $1000, %eax
    out %eax, %dx
    mov $TIMER(VMM_TIMER_CTRL), %dx
    mov $VMM_TIMER_CTRL_ENABLE | VMM_TIMER_CTRL_REALTIME, %eax
    out %eax, %dx
    mov $ticks, %bx
    mov $1, %cx
    call wait_ge
    PUTS(msg_timer)

    /* ---- report what the interrupt handlers saw ---- */
    PUTS(msg_irq_timer)
    mov irq_timer, %ax
    call puthex
    PUTS(msg_irq_pio)
    mov irq_db_pio, %ax
    call puthex
    PUTS(msg_irq_mmio)
    mov irq_db_mmio, %ax
    call puthex
    PUTS(msg_pass)
    EXIT_WITH(0)

fail:
    PUTS(msg_fail)
    mov stage, %si
    call puts
    PUTS(msg_nl)
    EXIT_WITH(1)

/* Interrupt handlers: count and return (auto-EOI, so no EOI write). */
isr_timer:
    incw ticks
    incw irq_timer
    iret
isr_db_pio:
    incw irq_db_pio
    iret
isr_db_mmio:
    incw irq_db_mmio
    iret

    .data
stage:          .word st_start
ticks:          .word 0
irq_timer:      .word 0
irq_db_pio:     .word 0
irq_db_mmio:    .word 0

msg_hello:      .asciz "selftest: start (real mode, PIC vectors 0x20)\n"
msg_pio:        .ascii "selftest: doorbell-pio: 3 requests completed "
                .asciz "(fill, sum=0x05A0, nop)\n"
msg_mmio:       .ascii "selftest: doorbell-mmio: 2 requests completed, "
                .asciz "bad buffer reported\n"
msg_timer:      .ascii "selftest: timer: 3 virtual-clock ticks, "
                .asciz "1 real-time tick\n"
msg_irq_timer:  .asciz "selftest: interrupts delivered: timer=0x"
msg_irq_pio:    .asciz " doorbell-pio=0x"
msg_irq_mmio:   .asciz " doorbell-mmio=0x"
msg_pass:       .asciz "\nselftest: PASS\n"
msg_fail:       .asciz "selftest: FAIL in stage "
msg_nl:         .asciz "\n"
st_start:       .asciz "start"
st_pio:         .asciz "doorbell-pio"
st_mmio:        .asciz "doorbell-mmio"
st_timer_virt:  .asciz "timer (virtual clock)"
st_timer_rt:    .asciz "timer (real-time clock)"
