/*
 * libFuzzer target: the qtest-lite protocol engine (vmm-mini/qtest-proto.c)
 * fed arbitrary bytes, executing against a real vmm-mini machine.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * Besides the sanitizers, the output is the oracle: every line the engine
 * sends must be "OK...", "FAIL ..." or "IRQ raise|lower N", and there must
 * be exactly one reply (not counting IRQ lines) per request line.
 */
#include "fuzz-common.h"

#include "qtest-proto.h"

static VmmMachine *machine;
static QtestProto *proto;
static unsigned replies;

static void check_line(const char *buf, size_t len)
{
    if (len == 0 || buf[len - 1] != '\n' || memchr(buf, '\n', len - 1)) {
        fprintf(stderr, "fuzz: output is not one line: '%.*s'\n",
                (int)len, buf);
        abort();
    }
    if (!strncmp(buf, "IRQ raise ", 10) || !strncmp(buf, "IRQ lower ", 10)) {
        return;
    }
    if (strncmp(buf, "OK\n", 3) && strncmp(buf, "OK ", 3) &&
        strncmp(buf, "FAIL ", 5)) {
        fprintf(stderr, "fuzz: bad reply '%.*s'\n", (int)len, buf);
        abort();
    }
    replies++;
}

static void send_cb(void *opaque, const char *buf, size_t len)
{
    check_line(buf, len);
}

static void irq_hook(int gsi, bool level)
{
    qtest_proto_irq(proto, gsi, level);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    machine = fuzz_machine_new(VMM_DOORBELL_IOEVENTFD);
    proto = qtest_proto_new(machine, send_cb, NULL);
    /* Keep each input fast: at most 1 ms of virtual time per step. */
    qtest_proto_set_step_limit(proto, 1000 * 1000);
    fuzz_irq_hook = irq_hook;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    unsigned lines = 0;

    fuzz_reset(machine);
    qtest_proto_reset(proto);
    replies = 0;
    qtest_proto_feed(proto, data, size);
    qtest_proto_feed(proto, "\n", 1);   /* end a trailing partial line */
    while (qtest_proto_step(proto)) {
        lines++;
        /* Doorbell handlers run in the main loop, between requests. */
        main_loop_wait(true);
    }
    if (replies != lines) {
        fprintf(stderr, "fuzz: %u request lines but %u replies\n", lines,
                replies);
        abort();
    }
    return 0;
}
