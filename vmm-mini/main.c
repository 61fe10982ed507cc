/*
 * vmm-mini: command line, guest image loading, and the run.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * Exit status: the guest's own status (what it wrote to the exit device),
 * or one of VMM_EXIT_* (vmm.h) when vmm-mini itself could not run it.
 */
#include "qemu/osdep.h"

#include "qemu/error-report.h"
#include "qemu/main-loop.h"
#include "qemu/timer.h"

#include "vmm.h"
#include "qtest.h"

typedef struct VmmOptions {
    char *kvm_device;
    char *doorbell;
    char *serial_file;
    char *bench_mode;
    gint timeout_s;
    gint bench;
    gint warmup;
    gboolean stats;
    char *accel;
    char *qtest;
    char *qtest_log;
    char **rest;
} VmmOptions;

static VmmOptions opts = {
    .kvm_device = NULL,
    .timeout_s = 0,
    .warmup = 100,
};

static GOptionEntry option_entries[] = {
    { "kvm-device", 0, 0, G_OPTION_ARG_FILENAME, &opts.kvm_device,
      "KVM device to open (default /dev/kvm)", "PATH" },
    { "doorbell", 0, 0, G_OPTION_ARG_STRING, &opts.doorbell,
      "where doorbell work runs: ioeventfd (main loop, default), exit "
      "(vCPU thread) or thread (bench baseline)", "MODE" },
    { "serial-file", 0, 0, G_OPTION_ARG_FILENAME, &opts.serial_file,
      "write the serial console to FILE instead of stdout", "FILE" },
    { "timeout", 0, 0, G_OPTION_ARG_INT, &opts.timeout_s,
      "stop the guest after SECONDS and exit with 124 (0: never)",
      "SECONDS" },
    { "stats", 0, 0, G_OPTION_ARG_NONE, &opts.stats,
      "print what each device did, and the run time, on stderr", NULL },
    { "bench", 0, 0, G_OPTION_ARG_INT, &opts.bench,
      "tell a bench guest to do N timed round trips", "N" },
    { "bench-mode", 0, 0, G_OPTION_ARG_STRING, &opts.bench_mode,
      "bench guest's loop: pio, mmio (doorbell) or raw (bare out exit)",
      "MODE" },
    { "warmup", 0, 0, G_OPTION_ARG_INT, &opts.warmup,
      "untimed round trips before the bench (default 100)", "N" },
    { "accel", 0, 0, G_OPTION_ARG_STRING, &opts.accel,
      "kvm (default) or qtest: no vCPU, a qtest-lite client drives the "
      "devices (docs/qtest-lite.rst); also -accel", "ACCEL" },
    { "qtest", 0, 0, G_OPTION_ARG_STRING, &opts.qtest,
      "qtest client: unix:PATH (connect), unix:PATH,server (listen) or "
      "stdio; implies --accel=qtest; also -qtest", "CHARDEV" },
    { "qtest-log", 0, 0, G_OPTION_ARG_FILENAME, &opts.qtest_log,
      "log qtest requests and replies to FILE; also -qtest-log", "FILE" },
    { G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &opts.rest,
      NULL, "GUEST.bin" },
    { NULL }
};

static G_NORETURN void usage_error(GOptionContext *ctx, const char *fmt,
                                   ...) G_GNUC_PRINTF(2, 3);

static void usage_error(GOptionContext *ctx, const char *fmt, ...)
{
    va_list ap;
    char *msg;

    va_start(ap, fmt);
    msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    error_report("%s", msg);
    error_printf("Try 'vmm-mini --help' for more information.\n");
    g_free(msg);
    g_option_context_free(ctx);
    exit(VMM_EXIT_USAGE);
}

/* Read and check a guest image; NULL with @errp set if it is unusable. */
static GBytes *load_guest(const char *path, Error **errp)
{
    GError *gerr = NULL;
    gchar *data;
    gsize len;

    if (!g_file_get_contents(path, &data, &len, &gerr)) {
        error_setg(errp, "cannot read guest image: %s", gerr->message);
        g_error_free(gerr);
        return NULL;
    }
    if (len < VMM_GUEST_MAGIC_OFFSET + 4 ||
        memcmp(data + VMM_GUEST_MAGIC_OFFSET, VMM_GUEST_MAGIC, 4) != 0) {
        error_setg(errp, "%s is not a vmm-mini guest image: no '%s' magic "
                   "at byte %d (build guests with vmm-mini/guest/guest.ld)",
                   path, VMM_GUEST_MAGIC, VMM_GUEST_MAGIC_OFFSET);
        g_free(data);
        return NULL;
    }
    if (len > VMM_GUEST_MAX_SIZE) {
        error_setg(errp, "%s is too big: %zu bytes, the limit is %d",
                   path, (size_t)len, VMM_GUEST_MAX_SIZE);
        g_free(data);
        return NULL;
    }
    return g_bytes_new_take(data, len);
}

static void put16(VmmMachine *m, uint64_t gpa, uint16_t v)
{
    v = GUINT16_TO_LE(v);
    vmm_ram_write(m, gpa, &v, sizeof(v));
}

static void put32(VmmMachine *m, uint64_t gpa, uint32_t v)
{
    v = GUINT32_TO_LE(v);
    vmm_ram_write(m, gpa, &v, sizeof(v));
}

int main(int argc, char **argv)
{
    GOptionContext *ctx;
    GError *gerr = NULL;
    Error *err = NULL;
    VmmDoorbellMode mode = VMM_DOORBELL_IOEVENTFD;
    uint16_t bench_mode = VMM_BENCH_MODE_DOORBELL_PIO;
    GBytes *image;
    VmmMachine *m;
    GString *summary;
    int status, serial_fd = -1, i;
    bool qtest;

    error_init(argv[0]);
    /* QEMU spells these with one dash; GOption wants two. */
    for (i = 1; i < argc && strcmp(argv[i], "--"); i++) {
        if (!strcmp(argv[i], "-accel")) {
            argv[i] = (char *)"--accel";
        } else if (!strcmp(argv[i], "-qtest")) {
            argv[i] = (char *)"--qtest";
        } else if (!strcmp(argv[i], "-qtest-log")) {
            argv[i] = (char *)"--qtest-log";
        }
    }
    ctx = g_option_context_new("GUEST.bin - run a guest on a tiny KVM VMM");
    g_option_context_set_summary(ctx,
        "Runs a real-mode guest image with a serial console, an exit "
        "device,\ntwo doorbell devices (PIO and MMIO) and a timer.  "
        "Doorbell work runs in\nthe main loop, woken by an ioeventfd; "
        "completions reach the guest\nthrough an irqfd.");
    g_option_context_set_description(ctx,
        "Exit status: the guest's own status, or 64 (usage), 65 (bad "
        "guest image),\n69 (no usable KVM), 70 (VMM error or guest "
        "fault), 124 (--timeout).\n");
    g_option_context_add_main_entries(ctx, option_entries, NULL);
    if (!g_option_context_parse(ctx, &argc, &argv, &gerr)) {
        char *msg = g_strdup(gerr->message);

        g_error_free(gerr);
        usage_error(ctx, "%s", msg);
    }
    qtest = opts.qtest || (opts.accel && !strcmp(opts.accel, "qtest"));
    if (opts.accel && strcmp(opts.accel, "kvm") &&
        strcmp(opts.accel, "qtest")) {
        usage_error(ctx, "--accel must be kvm or qtest, not '%s'",
                    opts.accel);
    }
    if (qtest && !opts.qtest) {
        usage_error(ctx, "--accel=qtest needs --qtest unix:PATH or stdio");
    }
    if (qtest && opts.accel && !strcmp(opts.accel, "kvm")) {
        usage_error(ctx, "--qtest needs --accel=qtest, not kvm");
    }
    if (!qtest && (!opts.rest || !opts.rest[0])) {
        usage_error(ctx, "no guest image given");
    }
    if (opts.rest && opts.rest[0] && opts.rest[1]) {
        usage_error(ctx, "one guest image only, got '%s' too", opts.rest[1]);
    }
    if (!opts.doorbell || !strcmp(opts.doorbell, "ioeventfd")) {
        mode = VMM_DOORBELL_IOEVENTFD;
    } else if (!strcmp(opts.doorbell, "exit")) {
        mode = VMM_DOORBELL_EXIT;
    } else if (!strcmp(opts.doorbell, "thread")) {
        mode = VMM_DOORBELL_THREAD;
    } else {
        usage_error(ctx, "--doorbell must be ioeventfd, exit or thread, "
                    "not '%s'", opts.doorbell);
    }
    if (!opts.bench_mode || !strcmp(opts.bench_mode, "pio")) {
        bench_mode = VMM_BENCH_MODE_DOORBELL_PIO;
    } else if (!strcmp(opts.bench_mode, "mmio")) {
        bench_mode = VMM_BENCH_MODE_DOORBELL_MMIO;
    } else if (!strcmp(opts.bench_mode, "raw")) {
        bench_mode = VMM_BENCH_MODE_RAW_OUT;
    } else {
        usage_error(ctx, "--bench-mode must be pio, mmio or raw, not '%s'",
                    opts.bench_mode);
    }
    if (opts.timeout_s < 0 || opts.bench < 0 || opts.warmup < 0 ||
        opts.warmup > 0xffff) {
        usage_error(ctx, "--timeout, --bench and --warmup take counts "
                    "(--warmup at most 65535)");
    }
    g_option_context_free(ctx);

    /* The image first: a bad image is refused even without KVM. */
    image = NULL;
    if (opts.rest && opts.rest[0]) {
        image = load_guest(opts.rest[0], &err);
    }
    if (!image && err) {
        error_report_err(err);
        return VMM_EXIT_BAD_IMAGE;
    }
    if (opts.serial_file) {
        serial_fd = open(opts.serial_file,
                         O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (serial_fd < 0) {
            error_report("cannot open serial file %s: %s", opts.serial_file,
                         strerror(errno));
            return VMM_EXIT_USAGE;
        }
        vmm_serial_fd = serial_fd;
    } else if (qtest && !strcmp(opts.qtest, "stdio")) {
        vmm_serial_fd = STDERR_FILENO;  /* stdout carries the protocol */
    }

    if (qemu_init_main_loop(&err) < 0) {
        error_report_err(err);
        return VMM_EXIT_INTERNAL;
    }

    m = vmm_machine_new(qtest ? &vmm_qtest_accel : &vmm_kvm_accel,
                        VMM_RAM_SIZE);
    m->kvm_device = opts.kvm_device ? opts.kvm_device : "/dev/kvm";
    m->doorbell_mode = mode;
    if (qtest && vmm_qtest_configure(m, opts.qtest, opts.qtest_log,
                                     &err) < 0) {
        error_report_err(err);
        vmm_machine_free(m);
        return VMM_EXIT_USAGE;
    }
    if (image) {
        vmm_ram_write(m, VMM_GUEST_LOAD_ADDR, g_bytes_get_data(image, NULL),
                      g_bytes_get_size(image));
        g_bytes_unref(image);
    }
    put32(m, VMM_BOOT_ITERATIONS, opts.bench);
    put16(m, VMM_BOOT_MODE, bench_mode);
    put16(m, VMM_BOOT_WARMUP, opts.warmup);

    if (vmm_machine_init_accel(m, &err) < 0) {
        error_report_err(err);
        vmm_machine_free(m);
        return qtest ? VMM_EXIT_INTERNAL : VMM_EXIT_NO_KVM;
    }
    if (vmm_machine_realize(m, vmm_default_board, vmm_default_board_size,
                            &err) < 0) {
        error_report_err(err);
        vmm_machine_free(m);
        return VMM_EXIT_INTERNAL;
    }

    status = vmm_machine_run(m, (int64_t)opts.timeout_s * 1000);
    if (status == VMM_EXIT_TIMEOUT && m->exit_reason &&
        g_str_has_prefix(m->exit_reason, "timeout")) {
        error_report("%s (%d s)", m->exit_reason, opts.timeout_s);
    }

    if (opts.stats) {
        summary = g_string_new(NULL);
        g_string_append_printf(summary,
                               "vmm-mini: guest ran %.3f ms, exit status "
                               "%d (%s); doorbell mode %s\n",
                               (m->stopped_ns - m->started_ns) / 1e6,
                               status, m->exit_reason ? m->exit_reason : "?",
                               mode == VMM_DOORBELL_IOEVENTFD ? "ioeventfd" :
                               mode == VMM_DOORBELL_EXIT ? "exit" : "thread");
        vmm_machine_stats(m, summary);
        fputs(summary->str, stderr);
        g_string_free(summary, true);
    }
    if (opts.bench && m->mark_stop_ns > m->mark_start_ns) {
        int64_t total = m->mark_stop_ns - m->mark_start_ns;

        printf("bench: mode=%s doorbell=%s round_trips=%d total_ns=%"
               PRId64 " ns_per_round_trip=%.1f\n",
               opts.bench_mode ? opts.bench_mode : "pio",
               opts.doorbell ? opts.doorbell : "ioeventfd", opts.bench,
               total, (double)total / opts.bench);
        fflush(stdout);
    }

    vmm_machine_free(m);
    if (serial_fd >= 0) {
        close(serial_fd);
    }
    return status;
}
