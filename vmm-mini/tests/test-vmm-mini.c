/*
 * vmm-mini tests: boot the guests, check serial output and exit status;
 * device error paths; refusing bad images, bad options and a missing KVM.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * Every case spawns its own vmm-mini process (with --timeout, so a hung
 * guest ends the case instead of the suite) and meson runs each case in
 * its own test process (-p PATH) with a timeout of its own.  Cases that
 * need KVM skip, saying why, when /dev/kvm cannot be opened.
 *
 * Environment (set by vmm-mini/meson.build): VMM_MINI, the binary, and
 * VMM_GUEST_DIR, where the guest images were built.
 */
#include "qemu/osdep.h"

#include "guest/abi.h"

typedef struct VmmRun {
    int status;                 /* exit status, or -1 if killed */
    char *out;                  /* stdout */
    char *err;                  /* stderr */
    char *serial;               /* --serial-file contents, if used */
} VmmRun;

static const char *env_or_die(const char *name)
{
    const char *v = g_getenv(name);

    if (!v) {
        g_error("%s is not set: run this test through meson", name);
    }
    return v;
}

static char *guest_path(const char *name)
{
    return g_strdup_printf("%s/%s.bin", env_or_die("VMM_GUEST_DIR"), name);
}

/* Why KVM cannot be used here, or NULL if it can. */
static const char *kvm_unavailable(void)
{
    static char reason[256];
    int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);

    if (fd >= 0) {
        close(fd);
        return NULL;
    }
    snprintf(reason, sizeof(reason), "cannot open /dev/kvm: %s",
             strerror(errno));
    return reason;
}

static bool need_kvm(void)
{
    const char *why = kvm_unavailable();

    if (why) {
        g_test_skip(why);
        return false;
    }
    return true;
}

/*
 * Run vmm-mini with @args (NULL-terminated), serial output captured in a
 * file when @serial is true.  Fills @r; free with vmm_run_free().
 */
static void vmm_run(VmmRun *r, bool serial, const char *const *args)
{
    GPtrArray *argv = g_ptr_array_new_with_free_func(g_free);
    GError *gerr = NULL;
    char *dir = NULL, *serial_path = NULL;
    int wait_status;

    memset(r, 0, sizeof(*r));
    g_ptr_array_add(argv, g_strdup(env_or_die("VMM_MINI")));
    if (serial) {
        dir = g_dir_make_tmp("vmm-mini-XXXXXX", &gerr);
        g_assert_no_error(gerr);
        serial_path = g_build_filename(dir, "serial.txt", NULL);
        g_ptr_array_add(argv, g_strdup_printf("--serial-file=%s",
                                              serial_path));
    }
    for (; *args; args++) {
        g_ptr_array_add(argv, g_strdup(*args));
    }
    g_ptr_array_add(argv, NULL);

    if (!g_spawn_sync(NULL, (char **)argv->pdata, NULL, G_SPAWN_DEFAULT,
                      NULL, NULL, &r->out, &r->err, &wait_status, &gerr)) {
        g_error("cannot run vmm-mini: %s", gerr->message);
    }
    r->status = WIFEXITED(wait_status) ? WEXITSTATUS(wait_status) : -1;
    if (serial) {
        if (!g_file_get_contents(serial_path, &r->serial, NULL, NULL)) {
            r->serial = g_strdup("");
        }
        unlink(serial_path);
        rmdir(dir);
    }
    if (g_test_verbose()) {
        g_printerr("status %d\nstdout:\n%s\nstderr:\n%s\nserial:\n%s\n",
                   r->status, r->out, r->err,
                   r->serial ? r->serial : "(not captured)");
    }
    g_free(serial_path);
    g_free(dir);
    g_ptr_array_unref(argv);
}

static void vmm_run_free(VmmRun *r)
{
    g_free(r->out);
    g_free(r->err);
    g_free(r->serial);
}

/* Assert with the whole run in the message, so a failure explains itself. */
#define assert_run(r, cond) do {                                        \
        if (!(cond)) {                                                  \
            g_error("%s failed: status %d\nstderr:\n%s\nserial:\n%s",   \
                    #cond, (r)->status, (r)->err,                       \
                    (r)->serial ? (r)->serial : "");                    \
        }                                                               \
    } while (0)

/* ------------------------------------------------------------------ */
/* Guests                                                              */
/* ------------------------------------------------------------------ */

static void run_selftest(const char *mode)
{
    char *guest = guest_path("selftest");
    char *mode_arg = g_strdup_printf("--doorbell=%s", mode);
    const char *args[] = { mode_arg, "--timeout=20", "--stats", guest,
                           NULL };
    VmmRun r;

    if (!need_kvm()) {
        goto out;
    }
    vmm_run(&r, true, args);
    assert_run(&r, r.status == 0);
    assert_run(&r, strstr(r.serial, "selftest: doorbell-pio: 3 requests"));
    assert_run(&r, strstr(r.serial, "selftest: doorbell-mmio: 2 requests"));
    assert_run(&r, strstr(r.serial, "selftest: timer:"));
    assert_run(&r, strstr(r.serial, "selftest: PASS\n"));
    /* The host side saw the same: 3 + 2 requests, one bad buffer. */
    assert_run(&r, strstr(r.err, "doorbell-pio   3 requests completed"));
    assert_run(&r, strstr(r.err, "doorbell-mmio  2 requests completed"));
    assert_run(&r, strstr(r.err, "guest exit status 0"));
    assert_run(&r, strstr(r.err, "is outside guest RAM"));
    vmm_run_free(&r);
out:
    g_free(mode_arg);
    g_free(guest);
}

static void test_selftest_ioeventfd(void)
{
    run_selftest("ioeventfd");
}

static void test_selftest_exit(void)
{
    run_selftest("exit");
}

static void test_selftest_thread(void)
{
    run_selftest("thread");
}

static void run_garbage(const char *mode)
{
    char *guest = guest_path("garbage");
    char *mode_arg = g_strdup_printf("--doorbell=%s", mode);
    const char *args[] = { mode_arg, "--timeout=20", guest, NULL };
    VmmRun r;

    if (!need_kvm()) {
        goto out;
    }
    vmm_run(&r, true, args);
    assert_run(&r, r.status == 0);
    assert_run(&r, strstr(r.serial, "garbage: PASS\n"));
    /* Each kind of garbage was logged, and none of it was fatal. */
    assert_run(&r, strstr(r.err, "guest error: doorbell-pio: write of "
                                 "0x1234 to read-only or unknown"));
    assert_run(&r, strstr(r.err, "is not a power of 2"));
    assert_run(&r, strstr(r.err, "ring overflow: avail 9"));
    assert_run(&r, strstr(r.err, "unknown operation 119"));
    assert_run(&r, strstr(r.err, "hits no device"));
    assert_run(&r, strstr(r.err, "guest error: timer: enabled with a "
                                 "period of 0"));
    vmm_run_free(&r);
out:
    g_free(mode_arg);
    g_free(guest);
}

static void test_garbage_ioeventfd(void)
{
    run_garbage("ioeventfd");
}

static void test_garbage_exit(void)
{
    run_garbage("exit");
}

static void run_pingpong(const char *doorbell, const char *bench_mode)
{
    char *guest = guest_path("pingpong");
    char *db_arg = g_strdup_printf("--doorbell=%s", doorbell);
    char *mode_arg = g_strdup_printf("--bench-mode=%s", bench_mode);
    const char *args[] = { db_arg, mode_arg, "--bench=200", "--warmup=10",
                           "--timeout=20", guest, NULL };
    VmmRun r;

    if (!need_kvm()) {
        goto out;
    }
    vmm_run(&r, false, args);
    assert_run(&r, r.status == 0);
    assert_run(&r, strstr(r.out, "bench: mode="));
    assert_run(&r, strstr(r.out, "round_trips=200 "));
    vmm_run_free(&r);
out:
    g_free(db_arg);
    g_free(mode_arg);
    g_free(guest);
}

static void test_pingpong_ioeventfd_pio(void)
{
    run_pingpong("ioeventfd", "pio");
}

static void test_pingpong_ioeventfd_mmio(void)
{
    run_pingpong("ioeventfd", "mmio");
}

static void test_pingpong_exit_pio(void)
{
    run_pingpong("exit", "pio");
}

static void test_pingpong_raw(void)
{
    run_pingpong("exit", "raw");
}

static void test_timeout(void)
{
    char *guest = guest_path("halt");
    const char *args[] = { "--timeout=1", guest, NULL };
    VmmRun r;

    if (!need_kvm()) {
        g_free(guest);
        return;
    }
    vmm_run(&r, true, args);
    assert_run(&r, r.status == 124);
    assert_run(&r, strstr(r.serial, "halt: waiting forever"));
    assert_run(&r, strstr(r.err, "timeout: the guest did not finish"));
    vmm_run_free(&r);
    g_free(guest);
}

/* ------------------------------------------------------------------ */
/* Refusals: these need no KVM                                         */
/* ------------------------------------------------------------------ */

static char *write_temp_image(const char *contents, gsize len)
{
    GError *gerr = NULL;
    char *path;
    int fd = g_file_open_tmp("vmm-mini-image-XXXXXX", &path, &gerr);

    g_assert_no_error(gerr);
    close(fd);
    g_file_set_contents(path, contents, len, &gerr);
    g_assert_no_error(gerr);
    return path;
}

static void test_refuse_bad_magic(void)
{
    static const char junk[] = "\xeb\xfe\x90\x90NOPE and some more bytes";
    char *path = write_temp_image(junk, sizeof(junk));
    const char *args[] = { path, NULL };
    VmmRun r;

    vmm_run(&r, false, args);
    unlink(path);
    assert_run(&r, r.status == 65);
    assert_run(&r, strstr(r.err, "is not a vmm-mini guest image"));
    vmm_run_free(&r);
    g_free(path);
}

static void test_refuse_empty(void)
{
    char *path = write_temp_image("", 0);
    const char *args[] = { path, NULL };
    VmmRun r;

    vmm_run(&r, false, args);
    unlink(path);
    assert_run(&r, r.status == 65);
    assert_run(&r, strstr(r.err, "is not a vmm-mini guest image"));
    vmm_run_free(&r);
    g_free(path);
}

static void test_refuse_too_big(void)
{
    gsize len = VMM_GUEST_MAX_SIZE + 1;
    char *big = g_malloc0(len);
    char *path;
    const char *args[] = { NULL, NULL };
    VmmRun r;

    memcpy(big + 4, "VMMG", 4);
    path = write_temp_image(big, len);
    args[0] = path;
    vmm_run(&r, false, args);
    unlink(path);
    assert_run(&r, r.status == 65);
    assert_run(&r, strstr(r.err, "is too big"));
    vmm_run_free(&r);
    g_free(path);
    g_free(big);
}

static void test_refuse_missing_image(void)
{
    const char *args[] = { "/nonexistent/guest.bin", NULL };
    VmmRun r;

    vmm_run(&r, false, args);
    assert_run(&r, r.status == 65);
    assert_run(&r, strstr(r.err, "cannot read guest image"));
    vmm_run_free(&r);
}

static void test_refuse_no_kvm(void)
{
    char *guest = guest_path("selftest");
    const char *args[] = { "--kvm-device=/nonexistent", guest, NULL };
    VmmRun r;

    vmm_run(&r, false, args);
    assert_run(&r, r.status == 69);
    assert_run(&r, strstr(r.err, "cannot open KVM device /nonexistent: "
                                 "No such file or directory"));
    vmm_run_free(&r);
    g_free(guest);
}

static void test_refuse_not_kvm(void)
{
    char *guest = guest_path("selftest");
    const char *args[] = { "--kvm-device=/dev/null", guest, NULL };
    VmmRun r;

    vmm_run(&r, false, args);
    assert_run(&r, r.status == 69);
    assert_run(&r, strstr(r.err, "/dev/null is not a KVM device"));
    vmm_run_free(&r);
    g_free(guest);
}

static void test_usage(void)
{
    char *guest = guest_path("selftest");
    const char *bad_mode[] = { "--doorbell=carrier-pigeon", guest, NULL };
    const char *no_guest[] = { NULL };
    const char *unknown[] = { "--frobnicate", guest, NULL };
    const char *help[] = { "--help", NULL };
    VmmRun r;

    vmm_run(&r, false, bad_mode);
    assert_run(&r, r.status == 64);
    assert_run(&r, strstr(r.err, "--doorbell must be ioeventfd, exit or "
                                 "thread, not 'carrier-pigeon'"));
    vmm_run_free(&r);

    vmm_run(&r, false, no_guest);
    assert_run(&r, r.status == 64);
    assert_run(&r, strstr(r.err, "no guest image given"));
    vmm_run_free(&r);

    vmm_run(&r, false, unknown);
    assert_run(&r, r.status == 64);
    assert_run(&r, strstr(r.err, "--frobnicate"));
    vmm_run_free(&r);

    vmm_run(&r, false, help);
    assert_run(&r, r.status == 0);
    assert_run(&r, strstr(r.out, "--doorbell=MODE"));
    vmm_run_free(&r);
    g_free(guest);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);

    /* Hard cases first: the error paths and the modes that differ most. */
    g_test_add_func("/vmm/garbage/ioeventfd", test_garbage_ioeventfd);
    g_test_add_func("/vmm/garbage/exit", test_garbage_exit);
    g_test_add_func("/vmm/timeout", test_timeout);
    g_test_add_func("/vmm/selftest/ioeventfd", test_selftest_ioeventfd);
    g_test_add_func("/vmm/selftest/exit", test_selftest_exit);
    g_test_add_func("/vmm/selftest/thread", test_selftest_thread);
    g_test_add_func("/vmm/pingpong/ioeventfd-pio",
                    test_pingpong_ioeventfd_pio);
    g_test_add_func("/vmm/pingpong/ioeventfd-mmio",
                    test_pingpong_ioeventfd_mmio);
    g_test_add_func("/vmm/pingpong/exit-pio", test_pingpong_exit_pio);
    g_test_add_func("/vmm/pingpong/raw", test_pingpong_raw);
    g_test_add_func("/vmm/refuse/bad-magic", test_refuse_bad_magic);
    g_test_add_func("/vmm/refuse/empty", test_refuse_empty);
    g_test_add_func("/vmm/refuse/too-big", test_refuse_too_big);
    g_test_add_func("/vmm/refuse/missing-image", test_refuse_missing_image);
    g_test_add_func("/vmm/refuse/no-kvm", test_refuse_no_kvm);
    g_test_add_func("/vmm/refuse/not-kvm", test_refuse_not_kvm);
    g_test_add_func("/vmm/usage", test_usage);
    return g_test_run();
}
