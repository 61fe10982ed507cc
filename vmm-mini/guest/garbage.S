/*
 * vmm-mini test guest that feeds the devices garbage: bad registers and
 * widths, bad ring sizes and addresses, ring overflow, unknown operations,
 * accesses to nothing, a timer with no period.  Each must come back as an
 * error status (and a log line on the VMM side), never a crash, and the
 * doorbell must still work afterwards.  Exit 0 when every error was
 * reported as documented.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "lib.inc"

#define RING    (VMM_GUEST_SCRATCH)
#define DESC(i, field) (RING + VMM_RING_DESC + (i) * VMM_DESC_SIZE + (field))
#define DB(reg) (VMM_DOORBELL_PIO_BASE + (reg))
#define STAGE(msg) movw $msg, stage
#define CHECK(jcc) jcc 9f; jmp fail; 9:

/* Write imm32 to doorbell register reg. */
#define DB_OUTL(reg, val) mov $DB(reg), %dx; mov $(val), %eax; out %eax, %dx
/* Read doorbell register reg into %eax. */
#define DB_INL(reg) mov $DB(reg), %dx; in %dx, %eax
/* Fail unless STATUS == bits, then clear it. */
#define EXPECT_STATUS(bits) \
    DB_INL(VMM_DB_STATUS); cmp $(bits), %eax; CHECK(je); \
    DB_OUTL(VMM_DB_STATUS, 0xffffffff)

start:
    xor %ax, %ax
    mov %ax, %ds
    mov %ax, %es
    mov %ax, %ss
    mov $VMM_GUEST_STACK_TOP, %sp
    cld
    SET_IRQ_VECTOR(VMM_IRQ_DOORBELL_PIO, isr_db)
    mov $~(1 << VMM_IRQ_DOORBELL_PIO) & 0xff, %bl
    call pic_init
    sti

    STAGE(st_reg)
    DB_OUTL(0x18, 0x1234)               /* no such register */
    EXPECT_STATUS(VMM_DB_ERR_BAD_REG)
    mov $DB(VMM_DB_ID), %dx
    in %dx, %al                         /* wrong width */
    cmp $0xff, %al
    CHECK(je)
    EXPECT_STATUS(VMM_DB_ERR_BAD_REG)
    DB_OUTL(VMM_DB_COMPLETED, 7)        /* read-only */
    EXPECT_STATUS(VMM_DB_ERR_BAD_REG)
    PUTS(msg_ok)

    STAGE(st_size)
    DB_OUTL(VMM_DB_RING_SIZE, 3)        /* not a power of 2 */
    EXPECT_STATUS(VMM_DB_ERR_BAD_RING)
    DB_OUTL(VMM_DB_RING_SIZE, 512)      /* too big */
    EXPECT_STATUS(VMM_DB_ERR_BAD_RING)
    PUTS(msg_ok)

    STAGE(st_ring_addr)
    DB_OUTL(VMM_DB_RING_SIZE, 4)
    DB_OUTL(VMM_DB_RING_ADDR, 0xffffff00)   /* ring outside RAM */
    mov $DB(VMM_DB_NOTIFY), %dx
    out %ax, %dx
    mov $irqs, %bx                      /* the error still interrupts */
    mov $1, %cx
    call wait_ge
    EXPECT_STATUS(VMM_DB_ERR_BAD_RING)
    PUTS(msg_ok)

    STAGE(st_overflow)
    movl $0, RING
    DB_OUTL(VMM_DB_RING_ADDR, RING)
    movw $9, RING + VMM_RING_AVAIL      /* 9 new in a 4-slot ring */
    mov $DB(VMM_DB_NOTIFY), %dx
    out %ax, %dx
    mov $RING + VMM_RING_USED, %bx      /* dropped: used jumps to 9 */
    mov $9, %cx
    call wait_ge
    EXPECT_STATUS(VMM_DB_ERR_OVERFLOW)
    PUTS(msg_ok)

    STAGE(st_desc)
    movb $0x77, DESC(1, VMM_DESC_OP)    /* slot 9 % 4 = 1: unknown op */
    movb $VMM_OP_FILL, DESC(2, VMM_DESC_OP)
    movw $0x100, DESC(2, VMM_DESC_LEN)
    movl $VMM_RAM_SIZE - 0x80, DESC(2, VMM_DESC_ADDR)  /* crosses the end */
    movb $VMM_OP_NOP, DESC(3, VMM_DESC_OP)
    movw $12, RING + VMM_RING_AVAIL
    mov $DB(VMM_DB_NOTIFY), %dx
    out %eax, %dx                       /* a 32-bit ring: not the ioeventfd */
    mov $RING + VMM_RING_USED, %bx
    mov $12, %cx
    call wait_ge
    cmpb $VMM_DESC_BAD_OP, DESC(1, VMM_DESC_STATUS)
    CHECK(je)
    cmpb $VMM_DESC_BAD_ADDR, DESC(2, VMM_DESC_STATUS)
    CHECK(je)
    cmpb $VMM_DESC_OK, DESC(3, VMM_DESC_STATUS)
    CHECK(je)
    EXPECT_STATUS(VMM_DB_ERR_BAD_DESC)
    PUTS(msg_ok)

    STAGE(st_nothing)
    mov $0x7e0, %dx                     /* no device here */
    in %dx, %ax
    cmp $0xffff, %ax
    CHECK(je)
    out %ax, %dx
    mov $0xe000, %ax                    /* no MMIO device at 0xe0000 */
    mov %ax, %es
    movl %es:0, %eax
    cmp $0xffffffff, %eax
    CHECK(je)
    movl %eax, %es:0
    xor %ax, %ax
    mov %ax, %es
    PUTS(msg_ok)

    STAGE(st_timer)
    mov $VMM_TIMER_BASE + VMM_TIMER_PERIOD_US, %dx
    xor %eax, %eax
    out %eax, %dx
    mov $VMM_TIMER_BASE + VMM_TIMER_CTRL, %dx
    mov $VMM_TIMER_CTRL_ENABLE, %eax
    out %eax, %dx                       /* period 0: refused */
    in %dx, %eax
    test $VMM_TIMER_CTRL_ENABLE, %eax
    CHECK(jz)
    mov $VMM_TIMER_BASE + VMM_TIMER_COUNT, %dx
    out %al, %dx                        /* wrong width, read-only */
    PUTS(msg_ok)

    STAGE(st_after)
    movb $VMM_OP_NOP, DESC(0, VMM_DESC_OP)
    movb $VMM_DESC_PENDING, DESC(0, VMM_DESC_STATUS)
    movw $13, RING + VMM_RING_AVAIL
    mov $DB(VMM_DB_NOTIFY), %dx
    out %ax, %dx
    mov $RING + VMM_RING_USED, %bx
    mov $13, %cx
    call wait_ge
    cmpb $VMM_DESC_OK, DESC(0, VMM_DESC_STATUS)
    CHECK(je)
    EXPECT_STATUS(0)
    PUTS(msg_ok)

    PUTS(msg_pass)
    EXIT_WITH(0)

fail:
    PUTS(msg_fail)
    mov stage, %si
    call puts
    PUTS(msg_nl)
    EXIT_WITH(1)

isr_db:
    incw irqs
    iret

    .data
stage:          .word st_reg
irqs:           .word 0
msg_ok:         .asciz "garbage: ok\n"
msg_pass:       .asciz "garbage: PASS\n"
msg_fail:       .asciz "garbage: FAIL in stage "
msg_nl:         .asciz "\n"
st_reg:         .asciz "bad registers"
st_size:        .asciz "bad ring size"
st_ring_addr:   .asciz "ring outside RAM"
st_overflow:    .asciz "ring overflow"
st_desc:        .asciz "bad descriptors"
st_nothing:     .asciz "accesses to no device"
st_timer:       .asciz "timer misuse"
st_after:       .asciz "doorbell after the errors"
