/*
 * vmm-bench: round trips of the ping-pong guest through each doorbell
 * path, what `make bench-vmm` prints.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * One round trip: the guest rings the doorbell, the device handler
 * completes the request and raises the interrupt, the guest's ISR runs and
 * the guest rings again.  Each configuration runs in a fresh vmm-mini
 * process, several times; we report the median (cross-CPU wake-ups make
 * single runs vary by up to 2x on small machines).
 *
 *   raw        a bare `out` exit handled by the vCPU thread, no device:
 *              the floor for anything that exits to userspace
 *   ioeventfd  doorbell -> eventfd -> main loop handler -> irqfd
 *   thread     doorbell -> eventfd -> a thread blocked on it -> irqfd:
 *              the best a plain eventfd-wait thread does (the target)
 *   exit       doorbell -> KVM exit -> handler in the vCPU thread -> irqfd
 *
 * Usage: vmm-bench [RUNS [ROUND_TRIPS]]; vmm-mini and pingpong.bin are
 * looked up next to this binary.
 */
#include "qemu/osdep.h"

typedef struct BenchConfig {
    const char *label;
    const char *doorbell;
    const char *bench_mode;
    double median_ns;
    double handler_ns;          /* median of the device's own timing */
} BenchConfig;

static BenchConfig configs[] = {
    { "raw out exit, no device", "exit", "raw" },
    { "ioeventfd -> main loop (PIO)", "ioeventfd", "pio" },
    { "ioeventfd -> main loop (MMIO)", "ioeventfd", "mmio" },
    { "ioeventfd -> eventfd thread (PIO)", "thread", "pio" },
    { "exit -> vCPU thread (PIO)", "exit", "pio" },
    { "exit -> vCPU thread (MMIO)", "exit", "mmio" },
};

enum { RAW, IOEVENTFD, IOEVENTFD_MMIO, THREAD, EXIT, EXIT_MMIO };

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
    qsort(v, n, sizeof(*v), cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* Run vmm-mini once; returns ns per round trip, and the handler's time. */
static double bench_once(const char *vmm, const char *guest,
                         BenchConfig *c, int round_trips,
                         double *handler_ns)
{
    char *db = g_strdup_printf("--doorbell=%s", c->doorbell);
    char *mode = g_strdup_printf("--bench-mode=%s", c->bench_mode);
    char *n = g_strdup_printf("--bench=%d", round_trips);
    const char *argv[] = { vmm, db, mode, n, "--warmup=500", "--stats",
                           "--timeout=120", guest, NULL };
    char *out = NULL, *err = NULL;
    const char *p;
    GError *gerr = NULL;
    double ns = -1;
    int status;

    if (!g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_DEFAULT, NULL,
                      NULL, &out, &err, &status, &gerr)) {
        g_printerr("vmm-bench: cannot run %s: %s\n", vmm, gerr->message);
        exit(1);
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 ||
        !(p = strstr(out, "ns_per_round_trip="))) {
        g_printerr("vmm-bench: %s failed:\n%s%s", c->label, out, err);
        exit(1);
    }
    ns = g_ascii_strtod(p + strlen("ns_per_round_trip="), NULL);
    *handler_ns = 0;
    p = strstr(err, "handler ");
    if (p) {
        *handler_ns = g_ascii_strtod(p + strlen("handler "), NULL);
    }
    g_free(out);
    g_free(err);
    g_free(db);
    g_free(mode);
    g_free(n);
    return ns;
}

int main(int argc, char **argv)
{
    int runs = argc > 1 ? atoi(argv[1]) : 5;
    int round_trips = argc > 2 ? atoi(argv[2]) : 5000;
    char *self = g_file_read_link("/proc/self/exe", NULL);
    char *dir = g_path_get_dirname(self);
    char *vmm = g_build_filename(dir, "vmm-mini", NULL);
    char *guest = g_build_filename(dir, "pingpong.bin", NULL);
    double *samples, *handler;
    BenchConfig *c;
    double io, th, ex, raw;
    int i, r, fd;

    if (runs < 1 || round_trips < 1) {
        g_printerr("usage: vmm-bench [RUNS [ROUND_TRIPS]]\n");
        return 64;
    }
    samples = g_new(double, runs * ARRAY_SIZE(configs));
    handler = g_new(double, runs * ARRAY_SIZE(configs));
    fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
    if (fd < 0) {
        g_printerr("vmm-bench: cannot open /dev/kvm: %s\n", strerror(errno));
        return 69;
    }
    close(fd);

    printf("vmm-mini round trip: doorbell -> handler -> irqfd -> guest ISR "
           "-> next doorbell\n");
    printf("median of %d runs x %d round trips (500 warm-up), real-mode "
           "guest, %ld host CPUs\n\n", runs, round_trips,
           sysconf(_SC_NPROCESSORS_ONLN));
    /*
     * Round-robin over the paths, so that whatever else the machine is
     * doing during the bench weighs on every path alike.
     */
    for (r = 0; r < runs; r++) {
        for (i = 0; i < ARRAY_SIZE(configs); i++) {
            c = &configs[i];
            /* The raw probe is cheap: give it more iterations. */
            samples[i * runs + r] =
                bench_once(vmm, guest, c,
                           i == RAW ? round_trips * 4 : round_trips,
                           &handler[i * runs + r]);
        }
        fprintf(stderr, "\rrun %d/%d done", r + 1, runs);
    }
    fprintf(stderr, "\n");

    printf("%-36s %12s %14s %12s\n", "path", "trips/s", "ns/trip",
           "handler ns");
    for (i = 0; i < ARRAY_SIZE(configs); i++) {
        c = &configs[i];
        c->median_ns = median(samples + i * runs, runs);
        c->handler_ns = median(handler + i * runs, runs);
        printf("%-36s %12.0f %14.0f", c->label, 1e9 / c->median_ns,
               c->median_ns);
        if (c->handler_ns > 0) {
            printf(" %12.0f\n", c->handler_ns);
        } else {
            printf(" %12s\n", "-");
        }
    }

    io = configs[IOEVENTFD].median_ns;
    th = configs[THREAD].median_ns;
    ex = configs[EXIT].median_ns;
    raw = configs[RAW].median_ns;
    printf("\nratios (ns per round trip):\n");
    printf("  ioeventfd main loop / eventfd thread  %5.2fx  (target <= "
           "1.20x: %s)\n", io / th, io / th <= 1.2 ? "met" : "NOT met");
    printf("  exit (vCPU thread) / ioeventfd        %5.2fx\n", ex / io);
    printf("  ioeventfd / raw out exit              %5.2fx\n", io / raw);
    printf("  exit / raw out exit                   %5.2fx\n", ex / raw);

    /*
     * The split, from differences between paths that share everything but
     * one step, plus the handler time the device measures itself.
     */
    printf("\nlatency split (ns, from differences between paths):\n");
    printf("  device handler, measured in the device          %8.0f\n",
           configs[IOEVENTFD].handler_ns);
    printf("  guest->host wake via ioeventfd vs a sync exit   %8.0f  "
           "(ioeventfd - exit)\n", io - ex);
    printf("  main loop vs a thread blocked on the eventfd    %8.0f  "
           "(ioeventfd - thread)\n", io - th);
    printf("  handler + irqfd injection + guest ISR/loop      %8.0f  "
           "(exit - raw)\n", ex - raw);
    printf("  bare exit round trip incl. guest loop           %8.0f  "
           "(raw)\n", raw);

    g_free(samples);
    g_free(handler);
    g_free(vmm);
    g_free(guest);
    g_free(dir);
    g_free(self);
    return 0;
}
