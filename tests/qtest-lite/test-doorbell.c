/*
 * qtest-lite tests of vmm-mini's doorbell device: ring processing with
 * descriptors written through "write", the completion interrupt seen
 * through irq_intercept, and every error path, for both the port-I/O and
 * the MMIO instance.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "qemu/osdep.h"

#include "libqtest-lite.h"
#include "guest/abi.h"

#define RING_ADDR 0x8000
#define RING_SIZE 8
#define BUF_ADDR 0x9000

/* Which doorbell instance a case drives. */
typedef struct Variant {
    bool mmio;
    uint64_t base;
    int gsi;
    const char *id;
} Variant;

static const Variant pio = {
    false, VMM_DOORBELL_PIO_BASE, VMM_IRQ_DOORBELL_PIO, "doorbell-pio"
};
static const Variant mmio = {
    true, VMM_DOORBELL_MMIO_BASE, VMM_IRQ_DOORBELL_MMIO, "doorbell-mmio"
};

static uint32_t reg_read(QTestState *s, const Variant *v, unsigned off)
{
    return v->mmio ? qtest_readl(s, v->base + off)
                   : qtest_inl(s, v->base + off);
}

static void reg_write(QTestState *s, const Variant *v, unsigned off,
                      uint32_t val)
{
    if (v->mmio) {
        qtest_writel(s, v->base + off, val);
    } else {
        qtest_outl(s, v->base + off, val);
    }
}

/* Ring the doorbell with a 16-bit write, as the guests do. */
static void ring(QTestState *s, const Variant *v)
{
    if (v->mmio) {
        qtest_writew(s, v->base + VMM_DB_NOTIFY, 0);
    } else {
        qtest_outw(s, v->base + VMM_DB_NOTIFY, 0);
    }
}

/*
 * Ring and wait for the completion interrupt.  The doorbell only signals
 * an eventfd; the handler runs in vmm-mini's main loop after the reply,
 * exactly as with KVM's ioeventfd, so the interrupt line is the only
 * sign of completion.
 */
static void ring_and_wait(QTestState *s, const Variant *v)
{
    unsigned before = qtest_get_irq_raises(s, v->gsi);

    ring(s, v);
    qtest_wait_irq_raises(s, v->gsi, before + 1);
}

static void put_desc(QTestState *s, unsigned slot, uint8_t op, uint16_t len,
                     uint32_t addr, uint32_t arg)
{
    uint8_t d[VMM_DESC_SIZE] = { 0 };

    d[VMM_DESC_OP] = op;
    d[VMM_DESC_STATUS] = VMM_DESC_PENDING;
    d[VMM_DESC_LEN] = len;
    d[VMM_DESC_LEN + 1] = len >> 8;
    memcpy(d + VMM_DESC_ADDR, &addr, 4);        /* x86 host: LE */
    memcpy(d + VMM_DESC_ARG, &arg, 4);
    /* Through "write" (hex), as a guest driver would fill its ring. */
    qtest_memwrite(s, RING_ADDR + VMM_RING_DESC + slot * VMM_DESC_SIZE, d,
                   sizeof(d));
}

static uint8_t desc_status(QTestState *s, unsigned slot)
{
    return qtest_readb(s, RING_ADDR + VMM_RING_DESC + slot * VMM_DESC_SIZE +
                       VMM_DESC_STATUS);
}

static uint32_t desc_result(QTestState *s, unsigned slot)
{
    return qtest_readl(s, RING_ADDR + VMM_RING_DESC + slot * VMM_DESC_SIZE +
                       VMM_DESC_RESULT);
}

static void set_avail(QTestState *s, uint16_t avail)
{
    qtest_writew(s, RING_ADDR + VMM_RING_AVAIL, avail);
}

static uint16_t used(QTestState *s)
{
    return qtest_readw(s, RING_ADDR + VMM_RING_USED);
}

static QTestState *start(const Variant *v, const char *extra)
{
    QTestState *s = qtest_init(extra);

    qtest_irq_intercept_in(s, "ioapic");
    g_assert_cmphex(reg_read(s, v, VMM_DB_ID), ==, VMM_DB_ID_VALUE);
    reg_write(s, v, VMM_DB_RING_ADDR, RING_ADDR);
    reg_write(s, v, VMM_DB_RING_SIZE, RING_SIZE);
    g_assert_cmphex(reg_read(s, v, VMM_DB_RING_ADDR), ==, RING_ADDR);
    g_assert_cmpuint(reg_read(s, v, VMM_DB_RING_SIZE), ==, RING_SIZE);
    return s;
}

/* A request that must work, to show the device still serves. */
static void check_serves(QTestState *s, const Variant *v, uint16_t *avail)
{
    unsigned slot = *avail % RING_SIZE;

    put_desc(s, slot, VMM_OP_FILL, 16, BUF_ADDR, 0x3c);
    set_avail(s, ++*avail);
    ring_and_wait(s, v);
    g_assert_cmpuint(used(s), ==, *avail);
    g_assert_cmphex(desc_status(s, slot), ==, VMM_DESC_OK);
    g_assert_cmphex(qtest_readq(s, BUF_ADDR + 8), ==, 0x3c3c3c3c3c3c3c3cull);
}

/* ------------------------------------------------------------------ */
/* Error paths first                                                   */
/* ------------------------------------------------------------------ */

static void test_bad_register(gconstpointer opaque)
{
    const Variant *v = opaque;
    QTestState *s = start(v, NULL);
    uint16_t avail = 0;

    g_assert_cmphex(reg_read(s, v, VMM_DB_STATUS), ==, 0);
    /* Unknown register, write-only register, wrong width, read-only. */
    g_assert_cmphex(reg_read(s, v, 0x18), ==, 0xffffffff);
    g_assert_cmphex(reg_read(s, v, VMM_DB_STATUS), ==, VMM_DB_ERR_BAD_REG);
    reg_write(s, v, VMM_DB_STATUS, VMM_DB_ERR_BAD_REG);     /* W1C */
    g_assert_cmphex(reg_read(s, v, VMM_DB_STATUS), ==, 0);
    g_assert_cmphex(reg_read(s, v, VMM_DB_NOTIFY), ==, 0xffffffff);
    g_assert_cmphex(reg_read(s, v, VMM_DB_STATUS), ==, VMM_DB_ERR_BAD_REG);
    reg_write(s, v, VMM_DB_STATUS, 0xffffffff);
    if (v->mmio) {
        g_assert_cmphex(qtest_readb(s, v->base + VMM_DB_ID), ==, 0xff);
        qtest_writeb(s, v->base + VMM_DB_RING_SIZE, 4);
    } else {
        g_assert_cmphex(qtest_inb(s, v->base + VMM_DB_ID), ==, 0xff);
        qtest_outb(s, v->base + VMM_DB_RING_SIZE, 4);
    }
    g_assert_cmpuint(reg_read(s, v, VMM_DB_RING_SIZE), ==, RING_SIZE);
    reg_write(s, v, VMM_DB_ID, 0);
    g_assert_cmphex(reg_read(s, v, VMM_DB_ID), ==, VMM_DB_ID_VALUE);
    g_assert_cmphex(reg_read(s, v, VMM_DB_STATUS), ==, VMM_DB_ERR_BAD_REG);
    reg_write(s, v, VMM_DB_STATUS, VMM_DB_ERR_BAD_REG);
    check_serves(s, v, &avail);
    g_assert_cmphex(reg_read(s, v, VMM_DB_STATUS), ==, 0);
    qtest_quit(s);
}

static void test_bad_descriptor(gconstpointer opaque)
{
    const Variant *v = opaque;
    QTestState *s = start(v, NULL);
    uint16_t avail = 0;

    put_desc(s, 0, 7, 4, BUF_ADDR, 0);                      /* bad op */
    put_desc(s, 1, VMM_OP_FILL, 0x100, 0x9fff0, 0xaa);      /* past RAM */
    put_desc(s, 2, VMM_OP_SUM, 4, 0xfffffff0, 0);           /* far away */
    put_desc(s, 3, VMM_OP_NOP, 0, 0, 0);
    avail = 4;
    set_avail(s, avail);
    ring_and_wait(s, v);
    g_assert_cmpuint(used(s), ==, 4);
    g_assert_cmphex(desc_status(s, 0), ==, VMM_DESC_BAD_OP);
    g_assert_cmphex(desc_status(s, 1), ==, VMM_DESC_BAD_ADDR);
    g_assert_cmphex(desc_status(s, 2), ==, VMM_DESC_BAD_ADDR);
    g_assert_cmphex(desc_status(s, 3), ==, VMM_DESC_OK);
    /* Nothing was written past the end of RAM's last bytes. */
    g_assert_cmphex(qtest_readq(s, 0x9fff8), ==, 0);
    g_assert_cmphex(reg_read(s, v, VMM_DB_STATUS), ==, VMM_DB_ERR_BAD_DESC);
    g_assert_cmpuint(reg_read(s, v, VMM_DB_COMPLETED), ==, 4);
    check_serves(s, v, &avail);
    qtest_quit(s);
}

static void test_bad_ring(gconstpointer opaque)
{
    const Variant *v = opaque;
    QTestState *s = start(v, NULL);
    uint16_t avail = 0;

    /* A ring that ends past RAM: error, but still an interrupt. */
    reg_write(s, v, VMM_DB_RING_ADDR, VMM_RAM_SIZE - 0x10);
    ring_and_wait(s, v);
    g_assert_cmphex(reg_read(s, v, VMM_DB_STATUS), ==, VMM_DB_ERR_BAD_RING);
    reg_write(s, v, VMM_DB_STATUS, 0xffffffff);

    /* Not a power of two: the ring is unusable until set again. */
    reg_write(s, v, VMM_DB_RING_ADDR, RING_ADDR);
    reg_write(s, v, VMM_DB_RING_SIZE, 3);
    g_assert_cmphex(reg_read(s, v, VMM_DB_STATUS), ==, VMM_DB_ERR_BAD_RING);
    g_assert_cmpuint(reg_read(s, v, VMM_DB_RING_SIZE), ==, 0);
    reg_write(s, v, VMM_DB_RING_SIZE, VMM_DB_RING_MAX * 2);
    ring_and_wait(s, v);
    g_assert_cmphex(reg_read(s, v, VMM_DB_STATUS), ==, VMM_DB_ERR_BAD_RING);
    reg_write(s, v, VMM_DB_STATUS, 0xffffffff);

    reg_write(s, v, VMM_DB_RING_SIZE, RING_SIZE);
    check_serves(s, v, &avail);
    g_assert_cmphex(reg_read(s, v, VMM_DB_STATUS), ==, 0);
    qtest_quit(s);
}

static void test_overflow(gconstpointer opaque)
{
    const Variant *v = opaque;
    QTestState *s = start(v, NULL);
    uint16_t avail = RING_SIZE + 12;

    /* avail ran ahead by more than the ring holds: all dropped. */
    set_avail(s, avail);
    ring_and_wait(s, v);
    g_assert_cmphex(reg_read(s, v, VMM_DB_STATUS), ==, VMM_DB_ERR_OVERFLOW);
    g_assert_cmpuint(used(s), ==, avail);
    g_assert_cmpuint(reg_read(s, v, VMM_DB_COMPLETED), ==, 0);
    check_serves(s, v, &avail);
    qtest_quit(s);
}

/* ------------------------------------------------------------------ */
/* Normal operation                                                    */
/* ------------------------------------------------------------------ */

static void test_ring(gconstpointer opaque)
{
    const Variant *v = opaque;
    QTestState *s = start(v, NULL);
    uint8_t buf[64];
    uint32_t sum = 0;
    uint16_t avail = 0;
    unsigned i, round;

    for (i = 0; i < sizeof(buf); i++) {
        buf[i] = i * 7 + 1;
        sum += buf[i];
    }
    qtest_bufwrite(s, BUF_ADDR + 0x100, buf, sizeof(buf));

    /* Several rounds, so the free-running indexes wrap the ring. */
    for (round = 0; round < 5; round++) {
        unsigned first = avail;

        put_desc(s, avail++ % RING_SIZE, VMM_OP_FILL, 32, BUF_ADDR,
                 0x10 + round);
        put_desc(s, avail++ % RING_SIZE, VMM_OP_SUM, sizeof(buf),
                 BUF_ADDR + 0x100, 0);
        put_desc(s, avail++ % RING_SIZE, VMM_OP_NOP, 0, 0, 0);
        set_avail(s, avail);
        ring_and_wait(s, v);

        g_assert_cmpuint(used(s), ==, avail);
        for (i = first; i < avail; i++) {
            g_assert_cmphex(desc_status(s, i % RING_SIZE), ==, VMM_DESC_OK);
        }
        g_assert_cmpuint(desc_result(s, (first + 1) % RING_SIZE), ==, sum);
        g_assert_cmphex(qtest_readl(s, BUF_ADDR + 28), ==,
                        0x01010101u * (0x10 + round));
        g_assert_cmphex(qtest_readb(s, BUF_ADDR + 32), ==, 0);
    }
    g_assert_cmpuint(reg_read(s, v, VMM_DB_COMPLETED), ==, 15);
    g_assert_cmphex(reg_read(s, v, VMM_DB_STATUS), ==, 0);
    /* A pulse: raised once per kick, and low again now. */
    g_assert_cmpuint(qtest_get_irq_raises(s, v->gsi), ==, 5);
    g_assert_false(qtest_get_irq(s, v->gsi));
    /* The other doorbell's line never moved. */
    g_assert_cmpuint(qtest_get_irq_raises(s, v->mmio ? pio.gsi : mmio.gsi),
                     ==, 0);
    qtest_quit(s);
}

/* irq_intercept_out on the device itself: its line is number 0. */
static void test_irq_out(gconstpointer opaque)
{
    const Variant *v = opaque;
    QTestState *s = qtest_init(NULL);

    qtest_irq_intercept_out(s, v->id);
    reg_write(s, v, VMM_DB_RING_ADDR, RING_ADDR);
    reg_write(s, v, VMM_DB_RING_SIZE, RING_SIZE);
    put_desc(s, 0, VMM_OP_NOP, 0, 0, 0);
    set_avail(s, 1);
    ring(s, v);
    qtest_wait_irq_raises(s, 0, 1);
    g_assert_cmpuint(used(s), ==, 1);
    g_assert_cmpuint(qtest_get_irq_raises(s, v->gsi), ==, 0);
    qtest_quit(s);
}

/*
 * --doorbell exit: the handler runs inside the access, so the interrupt
 * arrives before the reply to the doorbell write.
 */
static void test_exit_mode(gconstpointer opaque)
{
    const Variant *v = opaque;
    QTestState *s = start(v, "--doorbell exit");

    put_desc(s, 0, VMM_OP_FILL, 8, BUF_ADDR, 0x99);
    set_avail(s, 1);
    ring(s, v);
    g_assert_cmpuint(qtest_get_irq_raises(s, v->gsi), ==, 1);
    g_assert_cmpuint(used(s), ==, 1);
    g_assert_cmphex(qtest_readq(s, BUF_ADDR), ==, 0x9999999999999999ull);
    qtest_quit(s);
}

static void add_case(const char *name, const Variant *v,
                     void (*fn)(gconstpointer))
{
    char *path = g_strdup_printf("/qtest/doorbell/%s/%s",
                                 v->mmio ? "mmio" : "pio", name);

    g_test_add_data_func(path, v, fn);
    g_free(path);
}

int main(int argc, char **argv)
{
    const Variant *variants[] = { &pio, &mmio };
    size_t i;

    g_test_init(&argc, &argv, NULL);
    for (i = 0; i < ARRAY_SIZE(variants); i++) {
        add_case("bad-register", variants[i], test_bad_register);
        add_case("bad-descriptor", variants[i], test_bad_descriptor);
        add_case("bad-ring", variants[i], test_bad_ring);
        add_case("overflow", variants[i], test_overflow);
        add_case("ring", variants[i], test_ring);
        add_case("irq-out", variants[i], test_irq_out);
        add_case("exit-mode", variants[i], test_exit_mode);
    }
    return g_test_run();
}
