/*
 * qemuutil benchmarks: the driver (registry, calibration, table, JSON).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * What a run does, in order:
 *  1. Parse options; remember the CPU set the process started with.
 *  2. Select rows: those matching a --filter (all without one), then every
 *     row a selected row uses as a reference, until nothing new is added.
 *  3. For each selected row: calibrate the iteration count until one call
 *     lasts about the target time, then call it --runs times and keep the
 *     median and the minimum of the ns/op figures.
 *  4. Run each --peer-exe and merge its rows.
 *  5. Resolve the references and print the table; write --json/--rows.
 */
#include "qemu/osdep.h"

#include <sched.h>

#include "bench.h"

/* Aim for one call lasting this long; calibration stops at 1/8 of it. */
#define TARGET_NS      (75 * 1000 * 1000ull)
#define QUICK_TARGET_NS (2 * 1000 * 1000ull)
#define DEFAULT_RUNS   7
#define QUICK_RUNS     2

typedef struct BenchRow {
    BenchCase bc;           /* strings owned by the row */
    char *full;             /* "group/name" */
    char *after;            /* imported rows: full name to print after */
    bool selected;
    bool ran;
    char *skip;             /* reason, when the case could not run */
    uint64_t iters;
    GArray *samples;        /* of double, ns/op of each run */
    double median;
    double min;
} BenchRow;

typedef struct BenchGroup {
    char *name;
    char *text;
} BenchGroup;

/* All registered rows and groups; main thread only. */
static GPtrArray *rows;
static GPtrArray *groups;

/* Reason given by bench_skip() during the current call. */
static char *skip_reason;

static cpu_set_t start_cpus;
static bool quick_mode;

static BenchGroup *find_group(const char *name, bool create)
{
    BenchGroup *g;
    guint i;

    if (!groups) {
        groups = g_ptr_array_new();
    }
    for (i = 0; i < groups->len; i++) {
        g = g_ptr_array_index(groups, i);
        if (!strcmp(g->name, name)) {
            return g;
        }
    }
    if (!create) {
        return NULL;
    }
    g = g_new0(BenchGroup, 1);
    g->name = g_strdup(name);
    g_ptr_array_add(groups, g);
    return g;
}

static BenchRow *find_row(const char *full)
{
    guint i;

    for (i = 0; rows && i < rows->len; i++) {
        BenchRow *r = g_ptr_array_index(rows, i);
        if (!strcmp(r->full, full)) {
            return r;
        }
    }
    return NULL;
}

static BenchRow *add_row(const BenchCase *bc)
{
    BenchRow *r;
    char *full;

    if (!bc->group || !bc->name || strchr(bc->group, '/')) {
        fprintf(stderr, "bench_register: a case needs a group without '/' "
                "and a name\n");
        abort();
    }
    full = g_strdup_printf("%s/%s", bc->group, bc->name);
    if (find_row(full)) {
        fprintf(stderr, "bench_register: case '%s' registered twice\n", full);
        abort();
    }
    if (!rows) {
        rows = g_ptr_array_new();
    }
    find_group(bc->group, true);

    r = g_new0(BenchRow, 1);
    r->bc = *bc;
    r->bc.group = g_strdup(bc->group);
    r->bc.name = g_strdup(bc->name);
    r->bc.ref = g_strdup(bc->ref);
    r->bc.label = g_strdup(bc->label ? bc->label : bc->name);
    r->full = full;
    r->samples = g_array_new(false, false, sizeof(double));
    g_ptr_array_add(rows, r);
    return r;
}

void bench_register(const BenchCase *bc)
{
    if (!bc->fn) {
        fprintf(stderr, "bench_register: case '%s' has no function\n",
                bc->name);
        abort();
    }
    add_row(bc);
}

/*
 * Give each ';'-separated reference item the pinning suffix: "%p" in an
 * item is replaced by it, an item already naming a pinning is left alone,
 * and any other item gets the suffix appended.
 */
static char *pin_refs(const char *ref, BenchPin pin)
{
    g_auto(GStrv) items = NULL;
    GString *out;
    int i;

    if (!ref) {
        return NULL;
    }
    items = g_strsplit(ref, ";", -1);
    out = g_string_new(NULL);
    for (i = 0; items[i]; i++) {
        char *item = g_strstrip(items[i]);
        char *p = strstr(item, "%p");

        if (i) {
            g_string_append_c(out, ';');
        }
        if (p) {
            g_string_append_len(out, item, p - item);
            g_string_append(out, bench_pin_suffix(pin));
            g_string_append(out, p + 2);
        } else if (strstr(item, "(pinned")) {
            g_string_append(out, item);
        } else {
            g_string_append(out, item);
            g_string_append(out, bench_pin_suffix(pin));
        }
    }
    return g_string_free(out, false);
}

void bench_register_pinned(const BenchCase *bc, unsigned pin_mask)
{
    /* Shorter than the name suffix: labels repeat in the ratio column. */
    static const char *const pin_label_suffix[] = {
        [BENCH_PIN_NONE] = "",
        [BENCH_PIN_SAME] = ", same cpu",
        [BENCH_PIN_TWO] = ", 2 cpus",
    };
    BenchPin pin;

    for (pin = BENCH_PIN_NONE; pin <= BENCH_PIN_TWO; pin++) {
        BenchCase c = *bc;
        g_autofree char *name = NULL;
        g_autofree char *label = NULL;
        g_autofree char *ref = NULL;

        if (!(pin_mask & BENCH_PIN_MASK(pin))) {
            continue;
        }
        name = g_strconcat(bc->name, bench_pin_suffix(pin), NULL);
        label = g_strconcat(bc->label ? bc->label : bc->name,
                            pin_label_suffix[pin], NULL);
        ref = pin_refs(bc->ref, pin);
        c.name = name;
        c.label = label;
        c.ref = ref;
        c.pin = pin;
        bench_register(&c);
    }
}

void bench_describe_group(const char *group, const char *text)
{
    BenchGroup *g = find_group(group, true);

    g_free(g->text);
    g->text = g_strdup(text);
}

void bench_skip(const char *fmt, ...)
{
    va_list ap;

    g_free(skip_reason);
    va_start(ap, fmt);
    skip_reason = g_strdup_vprintf(fmt, ap);
    va_end(ap);
}

bool bench_quick(void)
{
    return quick_mode;
}

/* ------------------------------------------------------------------ */
/* CPU placement                                                        */
/* ------------------------------------------------------------------ */

const char *bench_pin_suffix(BenchPin pin)
{
    switch (pin) {
    case BENCH_PIN_SAME:
        return " (pinned: same cpu)";
    case BENCH_PIN_TWO:
        return " (pinned: 2 cpus)";
    default:
        return "";
    }
}

int bench_pick_cpus(BenchPin pin, int cpus[2])
{
    int n = 0;
    int cpu;

    for (cpu = 0; cpu < CPU_SETSIZE && n < 2; cpu++) {
        if (CPU_ISSET(cpu, &start_cpus)) {
            cpus[n++] = cpu;
        }
    }
    if (n == 0 || (pin == BENCH_PIN_TWO && n < 2)) {
        return -ENODEV;
    }
    if (pin != BENCH_PIN_TWO) {
        cpus[1] = cpus[0];
    }
    return 0;
}

int bench_pin_thread(pthread_t thread, int cpu)
{
    cpu_set_t set;

    if (cpu < 0) {
        set = start_cpus;
    } else {
        CPU_ZERO(&set);
        CPU_SET(cpu, &set);
    }
    /* pthread_setaffinity_np returns the error number itself. */
    return -pthread_setaffinity_np(thread, sizeof(set), &set);
}

bool bench_pair_start(BenchPair *pair, const BenchCase *bc,
                      void *(*fn)(void *), void *arg)
{
    pthread_attr_t attr;
    cpu_set_t set;
    int cpus[2];
    int ret;

    pthread_attr_init(&attr);
    pair->pinned = bc->pin != BENCH_PIN_NONE;
    if (pair->pinned) {
        if (bench_pick_cpus(bc->pin, cpus) < 0) {
            bench_skip("needs %s", bc->pin == BENCH_PIN_TWO ?
                       "2 usable cpus" : "a usable cpu");
            pthread_attr_destroy(&attr);
            return false;
        }
        ret = bench_pin_thread(pthread_self(), cpus[0]);
        if (ret < 0) {
            bench_skip("cannot pin: %s", strerror(-ret));
            pthread_attr_destroy(&attr);
            return false;
        }
        /* The partner starts on its CPU: no migration inside the run. */
        CPU_ZERO(&set);
        CPU_SET(cpus[1], &set);
        pthread_attr_setaffinity_np(&attr, sizeof(set), &set);
    }
    ret = pthread_create(&pair->thread, &attr, fn, arg);
    pthread_attr_destroy(&attr);
    if (ret) {
        fprintf(stderr, "bench: pthread_create: %s\n", strerror(ret));
        abort();
    }
    return true;
}

void bench_pair_finish(BenchPair *pair)
{
    pthread_join(pair->thread, NULL);
    if (pair->pinned) {
        bench_pin_thread(pthread_self(), -1);
    }
}

/* ------------------------------------------------------------------ */
/* Selection and measurement                                            */
/* ------------------------------------------------------------------ */

/*
 * Rows a reference item can mean: first as a name in @group, then as a
 * full "group/name".  Either may be a glob.
 */
static GPtrArray *match_ref(const char *group, const char *item,
                            const BenchRow *self)
{
    GPtrArray *out = g_ptr_array_new();
    g_autofree char *local = g_strdup_printf("%s/%s", group, item);
    const char *pats[2] = { local, item };
    guint i;
    int p;

    for (p = 0; p < 2 && out->len == 0; p++) {
        for (i = 0; i < rows->len; i++) {
            BenchRow *r = g_ptr_array_index(rows, i);
            if (r != self && g_pattern_match_simple(pats[p], r->full)) {
                g_ptr_array_add(out, r);
            }
        }
    }
    return out;
}

static void select_rows(char **filters)
{
    bool changed = true;
    guint i;
    int f;

    for (i = 0; i < rows->len; i++) {
        BenchRow *r = g_ptr_array_index(rows, i);

        r->selected = !filters || !filters[0];
        for (f = 0; filters && filters[f]; f++) {
            if (strstr(r->full, filters[f])) {
                r->selected = true;
            }
        }
    }

    /* Pull in references, which may have references of their own. */
    while (changed) {
        changed = false;
        for (i = 0; i < rows->len; i++) {
            BenchRow *r = g_ptr_array_index(rows, i);
            g_auto(GStrv) items = NULL;

            if (!r->selected || !r->bc.ref) {
                continue;
            }
            items = g_strsplit(r->bc.ref, ";", -1);
            for (f = 0; items[f]; f++) {
                g_autoptr(GPtrArray) m =
                    match_ref(r->bc.group, g_strstrip(items[f]), r);
                guint j;

                for (j = 0; j < m->len; j++) {
                    BenchRow *ref = g_ptr_array_index(m, j);
                    if (!ref->selected) {
                        ref->selected = true;
                        changed = true;
                    }
                }
            }
        }
    }
}

/* One call of the case; false if it skipped itself. */
static bool call_case(BenchRow *r, uint64_t iters, double *ns)
{
    g_clear_pointer(&skip_reason, g_free);
    *ns = r->bc.fn(&r->bc, iters);
    if (skip_reason) {
        r->skip = g_steal_pointer(&skip_reason);
        return false;
    }
    if (!(*ns > 0)) {
        /* A loop faster than the clock: count it as the clock's grain. */
        *ns = 1.0 / iters;
    }
    return true;
}

static int cmp_double(gconstpointer a, gconstpointer b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return x < y ? -1 : x > y;
}

static void measure(BenchRow *r, int runs)
{
    uint64_t target = quick_mode ? QUICK_TARGET_NS : TARGET_NS;
    uint64_t iters = 1;
    double ns;
    double total;
    int i;

    /*
     * Calibrate: grow the count until one call lasts 1/8 of the target
     * (fast 10x steps while calls are tiny), then scale to the target.
     * A case with a fixed count skips this.
     */
    if (r->bc.iters) {
        iters = r->bc.iters;
    }
    while (!r->bc.iters) {
        if (!call_case(r, iters, &ns)) {
            return;
        }
        total = ns * iters;
        if (total >= target / 8 || iters >= (1ull << 40)) {
            break;
        }
        iters *= total < target / 1000 ? 10 : 2;
    }
    if (!r->bc.iters) {
        iters = MAX(1, (uint64_t)(target / ns));
    }
    r->iters = iters;

    for (i = 0; i < runs; i++) {
        if (!call_case(r, iters, &ns)) {
            return;
        }
        g_array_append_val(r->samples, ns);
    }
    g_array_sort(r->samples, cmp_double);
    r->min = g_array_index(r->samples, double, 0);
    if (runs % 2) {
        r->median = g_array_index(r->samples, double, runs / 2);
    } else {
        r->median = (g_array_index(r->samples, double, runs / 2 - 1) +
                     g_array_index(r->samples, double, runs / 2)) / 2;
    }
    r->ran = true;
}

/* ------------------------------------------------------------------ */
/* Rows from another build of this driver (--peer-exe)                  */
/* ------------------------------------------------------------------ */

/*
 * Rows format (--rows): one line per row, tab-separated:
 *   group  name  label  ref  median  min  iters
 * or, for a skipped row,
 *   group  name  label  ref  skip  reason
 * An empty ref is written as "-".
 */
static void write_rows(FILE *f)
{
    guint i;

    for (i = 0; i < rows->len; i++) {
        BenchRow *r = g_ptr_array_index(rows, i);

        if (!r->selected || r->after) {
            continue;
        }
        fprintf(f, "%s\t%s\t%s\t%s\t", r->bc.group, r->bc.name, r->bc.label,
                r->bc.ref ? r->bc.ref : "-");
        if (r->ran) {
            fprintf(f, "%.3f\t%.3f\t%" PRIu64 "\n", r->median, r->min,
                    r->iters);
        } else {
            fprintf(f, "skip\t%s\n", r->skip ? r->skip : "not run");
        }
    }
}

static char *tag_refs(const char *ref, const char *tag)
{
    g_auto(GStrv) items = g_strsplit(ref, ";", -1);
    GString *out = g_string_new(NULL);
    int i;

    for (i = 0; items[i]; i++) {
        g_string_append_printf(out, "%s%s%s", i ? ";" : "",
                               g_strstrip(items[i]), tag);
    }
    return g_string_free(out, false);
}

static void import_line(const char *line, const char *label)
{
    g_auto(GStrv) f = g_strsplit(line, "\t", -1);
    g_autofree char *tag = g_strdup_printf(" [%s]", label);
    g_autofree char *name = NULL;
    g_autofree char *lab = NULL;
    g_autofree char *ref = NULL;
    g_autofree char *full = NULL;
    BenchCase bc = { 0 };
    BenchRow *r;

    if (g_strv_length(f) < 6) {
        return;
    }
    name = g_strconcat(f[1], tag, NULL);
    lab = g_strconcat(f[2], tag, NULL);
    if (strcmp(f[3], "-")) {
        ref = tag_refs(f[3], tag);
    }
    bc.group = f[0];
    bc.name = name;
    bc.label = lab;
    bc.ref = ref;
    full = g_strdup_printf("%s/%s", f[0], name);
    if (!f[0][0] || strchr(f[0], '/') || find_row(full)) {
        return;     /* malformed, or the same peer given twice */
    }
    r = add_row(&bc);
    r->after = g_strdup_printf("%s/%s", f[0], f[1]);
    r->selected = true;
    if (!strcmp(f[4], "skip")) {
        r->skip = g_strdup(f[5]);
    } else if (g_strv_length(f) >= 7) {
        r->median = g_ascii_strtod(f[4], NULL);
        r->min = g_ascii_strtod(f[5], NULL);
        r->iters = g_ascii_strtoull(f[6], NULL, 10);
        r->ran = true;
    }
}

static void run_peer_exe(const char *spec, int runs, char **filters)
{
    g_autofree char *label = NULL;
    g_autofree char *out = NULL;
    g_autoptr(GError) err = NULL;
    g_autoptr(GPtrArray) argv = g_ptr_array_new_with_free_func(g_free);
    g_auto(GStrv) lines = NULL;
    const char *eq = strchr(spec, '=');
    int status;
    int i;

    if (!eq || eq == spec || !eq[1]) {
        fprintf(stderr, "bench: --peer-exe wants LABEL=PATH, got '%s'\n",
                spec);
        exit(2);
    }
    label = g_strndup(spec, eq - spec);
    g_ptr_array_add(argv, g_strdup(eq + 1));
    g_ptr_array_add(argv, g_strdup("--rows=-"));
    g_ptr_array_add(argv, g_strdup_printf("--runs=%d", runs));
    if (quick_mode) {
        g_ptr_array_add(argv, g_strdup("--quick"));
    }
    for (i = 0; filters && filters[i]; i++) {
        g_ptr_array_add(argv, g_strdup_printf("--filter=%s", filters[i]));
    }
    g_ptr_array_add(argv, NULL);

    if (!g_spawn_sync(NULL, (char **)argv->pdata, NULL, G_SPAWN_DEFAULT,
                      NULL, NULL, &out, NULL, &status, &err)) {
        fprintf(stderr, "bench: peer '%s' failed: %s\n", label, err->message);
        return;
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        /* Its rows may be partial or garbled: merge none of them. */
        fprintf(stderr, "bench: peer '%s' exited abnormally (status %d)\n",
                label, status);
        return;
    }
    lines = g_strsplit(out, "\n", -1);
    for (i = 0; lines[i]; i++) {
        if (lines[i][0]) {
            import_line(lines[i], label);
        }
    }
}

/* ------------------------------------------------------------------ */
/* Output                                                               */
/* ------------------------------------------------------------------ */

/* "1.23x raw futex; 0.91x best of libuv*: libuv [peer]", or "" */
static void json_str(FILE *f, const char *s);

/*
 * The ratio column of @r.  With @json, also writes the resolved ratios
 * there as JSON objects, comma-separated.
 */
/*
 * Append @ratio to @out with three significant digits ("0.912x", "1.26x",
 * "470x"); below 0.01 as a fraction ("1/470x"), so that a tiny ratio
 * never prints as 0.00x.
 */
static void append_ratio(GString *out, double ratio)
{
    if (ratio > 0 && ratio < 0.01) {
        g_string_append_printf(out, "1/%.0fx", 1.0 / ratio);
    } else if (ratio < 0.09995) {
        g_string_append_printf(out, "%.4fx", ratio);
    } else if (ratio < 0.9995) {
        g_string_append_printf(out, "%.3fx", ratio);
    } else if (ratio < 9.995) {
        g_string_append_printf(out, "%.2fx", ratio);
    } else if (ratio < 99.95) {
        g_string_append_printf(out, "%.1fx", ratio);
    } else {
        g_string_append_printf(out, "%.0fx", ratio);
    }
}

static char *ratio_text(BenchRow *r, FILE *json)
{
    g_auto(GStrv) items = NULL;
    GString *out = g_string_new(NULL);
    int n = 0;
    int i;

    if (!r->ran || !r->bc.ref) {
        return g_string_free(out, false);
    }
    items = g_strsplit(r->bc.ref, ";", -1);
    for (i = 0; items[i]; i++) {
        const char *item = g_strstrip(items[i]);
        g_autoptr(GPtrArray) m = match_ref(r->bc.group, item, r);
        BenchRow *best = NULL;
        guint j;

        for (j = 0; j < m->len; j++) {
            BenchRow *c = g_ptr_array_index(m, j);
            if (c->ran && (!best || c->median < best->median)) {
                best = c;
            }
        }
        if (m->len == 0) {
            /* Not in this build or run (e.g. no --peer-exe): say nothing. */
            continue;
        }
        if (out->len) {
            g_string_append(out, "; ");
        }
        if (!best) {
            g_string_append_printf(out, "n/a (%s did not run)", item);
        } else if (m->len > 1) {
            append_ratio(out, r->median / best->median);
            g_string_append_printf(out, " best of %s: %s", item,
                                   best->bc.label);
        } else {
            append_ratio(out, r->median / best->median);
            g_string_append_printf(out, " %s", best->bc.label);
        }
        if (best && json) {
            fprintf(json, "%s{\"ref\": ", n++ ? ", " : "");
            json_str(json, best->full);
            fprintf(json, ", \"ratio\": %.4f}", r->median / best->median);
        }
    }
    return g_string_free(out, false);
}

static bool is_referenced(BenchRow *row)
{
    guint i;
    int f;

    for (i = 0; i < rows->len; i++) {
        BenchRow *r = g_ptr_array_index(rows, i);
        g_auto(GStrv) items = NULL;

        if (!r->selected || !r->bc.ref) {
            continue;
        }
        items = g_strsplit(r->bc.ref, ";", -1);
        for (f = 0; items[f]; f++) {
            g_autoptr(GPtrArray) m =
                match_ref(r->bc.group, g_strstrip(items[f]), r);
            if (g_ptr_array_find(m, row, NULL)) {
                return true;
            }
        }
    }
    return false;
}

/* Printing order: by group, native rows with their imported twins. */
static GPtrArray *ordered_rows(void)
{
    GPtrArray *out = g_ptr_array_new();
    guint g, i, j;

    for (g = 0; g < groups->len; g++) {
        BenchGroup *grp = g_ptr_array_index(groups, g);

        for (i = 0; i < rows->len; i++) {
            BenchRow *r = g_ptr_array_index(rows, i);

            if (!r->selected || r->after || strcmp(r->bc.group, grp->name)) {
                continue;
            }
            g_ptr_array_add(out, r);
            for (j = 0; j < rows->len; j++) {
                BenchRow *t = g_ptr_array_index(rows, j);
                if (t->after && !strcmp(t->after, r->full)) {
                    g_ptr_array_add(out, t);
                }
            }
        }
        /* Imported rows with no native twin close the group. */
        for (j = 0; j < rows->len; j++) {
            BenchRow *t = g_ptr_array_index(rows, j);
            if (t->after && !strcmp(t->bc.group, grp->name) &&
                !find_row(t->after)) {
                g_ptr_array_add(out, t);
            }
        }
    }
    return out;
}

static char *fmt_ns(double ns)
{
    return g_strdup_printf(ns >= 100000 ? "%.0f" : "%.1f", ns);
}

static void print_table(int runs)
{
    g_autoptr(GPtrArray) order = ordered_rows();
    int wg = strlen("group"), wc = strlen("case");
    int wm = strlen("ns/op"), wn = strlen("min");
    const char *last_group = NULL;
    guint i;

    for (i = 0; i < order->len; i++) {
        BenchRow *r = g_ptr_array_index(order, i);
        g_autofree char *m = fmt_ns(r->median);
        g_autofree char *n = fmt_ns(r->min);

        wg = MAX(wg, (int)strlen(r->bc.group));
        wc = MAX(wc, (int)strlen(r->bc.name));
        if (r->ran) {
            wm = MAX(wm, (int)strlen(m));
            wn = MAX(wn, (int)strlen(n));
        }
    }

    printf("qemuutil-bench: %s%d run(s) per case of ~%llu ms each; "
           "ns/op is the median, min the fastest run\n",
           quick_mode ? "QUICK (smoke test, not figures): " : "", runs,
           (quick_mode ? QUICK_TARGET_NS : TARGET_NS) / 1000000);
    printf("cpus usable: %d; ratio = this row's median / the median of the "
           "reference row named after it\n", CPU_COUNT(&start_cpus));

    for (i = 0; i < order->len; i++) {
        BenchRow *r = g_ptr_array_index(order, i);
        g_autofree char *ratio = ratio_text(r, NULL);
        g_autofree char *m = fmt_ns(r->median);
        g_autofree char *n = fmt_ns(r->min);

        if (!last_group || strcmp(last_group, r->bc.group)) {
            BenchGroup *g = find_group(r->bc.group, false);

            printf("\n");
            if (g && g->text) {
                printf("[%s] %s\n", g->name, g->text);
            }
            printf("%-*s  %-*s  %*s  %*s  %s\n", wg, "group", wc, "case",
                   wm, "ns/op", wn, "min", "ratio");
            last_group = r->bc.group;
        }
        if (!r->ran) {
            printf("%-*s  %-*s  skipped: %s\n", wg, r->bc.group, wc,
                   r->bc.name, r->skip ? r->skip : "not run");
            continue;
        }
        if (!ratio[0] && is_referenced(r)) {
            g_free(ratio);
            ratio = g_strdup("(reference)");
        }
        printf("%-*s  %-*s  %*s  %*s  %s\n", wg, r->bc.group, wc, r->bc.name,
               wm, m, wn, n, ratio);
    }
}

static void json_str(FILE *f, const char *s)
{
    fputc('"', f);
    for (; s && *s; s++) {
        unsigned char c = *s;

        if (c == '"' || c == '\\') {
            fprintf(f, "\\%c", c);
        } else if (c < 0x20) {
            fprintf(f, "\\u%04x", c);
        } else {
            fputc(c, f);
        }
    }
    fputc('"', f);
}

static void write_json(FILE *f, int runs)
{
    g_autoptr(GPtrArray) order = ordered_rows();
    guint i, j;

    fprintf(f, "{\n  \"tool\": \"qemuutil-bench\",\n  \"runs\": %d,\n"
            "  \"quick\": %s,\n  \"cpus\": %d,\n  \"groups\": {", runs,
            quick_mode ? "true" : "false", CPU_COUNT(&start_cpus));
    for (i = 0; i < groups->len; i++) {
        BenchGroup *g = g_ptr_array_index(groups, i);

        fprintf(f, "%s\n    ", i ? "," : "");
        json_str(f, g->name);
        fprintf(f, ": ");
        json_str(f, g->text);
    }
    fprintf(f, "\n  },\n  \"results\": [");
    for (i = 0; i < order->len; i++) {
        BenchRow *r = g_ptr_array_index(order, i);
        g_autofree char *ratio = NULL;

        fprintf(f, "%s\n    {\"group\": ", i ? "," : "");
        json_str(f, r->bc.group);
        fprintf(f, ", \"case\": ");
        json_str(f, r->bc.name);
        fprintf(f, ", \"ref\": ");
        if (r->bc.ref) {
            json_str(f, r->bc.ref);
        } else {
            fprintf(f, "null");
        }
        if (!r->ran) {
            fprintf(f, ", \"skipped\": ");
            json_str(f, r->skip ? r->skip : "not run");
            fprintf(f, "}");
            continue;
        }
        fprintf(f, ", \"median_ns\": %.3f, \"min_ns\": %.3f, "
                "\"iters\": %" PRIu64 ", \"ratios\": [",
                r->median, r->min, r->iters);
        ratio = ratio_text(r, f);
        fprintf(f, "], \"ratio_text\": ");
        json_str(f, ratio);
        fprintf(f, ", \"samples_ns\": [");
        for (j = 0; j < r->samples->len; j++) {
            fprintf(f, "%s%.3f", j ? ", " : "",
                    g_array_index(r->samples, double, j));
        }
        fprintf(f, "]}");
    }
    fprintf(f, "\n  ]\n}\n");
}

static FILE *open_out(const char *path)
{
    FILE *f;

    if (!strcmp(path, "-")) {
        return stdout;
    }
    f = fopen(path, "w");
    if (!f) {
        fprintf(stderr, "bench: cannot write %s: %s\n", path,
                strerror(errno));
        exit(1);
    }
    return f;
}

static void close_out(FILE *f)
{
    if (f != stdout) {
        fclose(f);
    } else {
        fflush(f);
    }
}

int main(int argc, char **argv)
{
    int runs = 0;
    gboolean list = false;
    gboolean quick = false;
    bool progress;
    g_auto(GStrv) filters = NULL;
    g_auto(GStrv) peers = NULL;
    g_autofree char *json = NULL;
    g_autofree char *rows_out = NULL;
    g_autoptr(GError) err = NULL;
    GOptionEntry entries[] = {
        { "runs", 'n', 0, G_OPTION_ARG_INT, &runs,
          "Measured runs per case (default 7; 2 with --quick)", "N" },
        { "filter", 'f', 0, G_OPTION_ARG_STRING_ARRAY, &filters,
          "Run cases whose group/name contains SUBSTR (repeatable; their "
          "references run too)", "SUBSTR" },
        { "list", 'l', 0, G_OPTION_ARG_NONE, &list,
          "List the cases and exit", NULL },
        { "quick", 'q', 0, G_OPTION_ARG_NONE, &quick,
          "Short runs, for a smoke test; figures are meaningless", NULL },
        { "json", 'j', 0, G_OPTION_ARG_FILENAME, &json,
          "Also write the results as JSON to FILE ('-': stdout)", "FILE" },
        { "rows", 0, 0, G_OPTION_ARG_FILENAME, &rows_out,
          "Write tab-separated rows to FILE instead of the table "
          "('-': stdout; read by --peer-exe)", "FILE" },
        { "peer-exe", 0, 0, G_OPTION_ARG_STRING_ARRAY, &peers,
          "Also run another build of this driver and merge its rows, "
          "named with ' [LABEL]' (repeatable)", "LABEL=PATH" },
        { NULL }
    };
    GOptionContext *ctx;
    guint i;
    int p;

    ctx = g_option_context_new("- qemuutil benchmarks");
    g_option_context_set_summary(ctx,
        "Measures every registered case (ns per operation, median and "
        "minimum of several calibrated runs) and prints one table with "
        "ratios to each case's reference row.");
    g_option_context_add_main_entries(ctx, entries, NULL);
    if (!g_option_context_parse(ctx, &argc, &argv, &err)) {
        fprintf(stderr, "qemuutil-bench: %s\n", err->message);
        g_option_context_free(ctx);
        return 2;
    }
    g_option_context_free(ctx);

    if (!rows || !groups) {
        fprintf(stderr, "qemuutil-bench: no benchmarks registered\n");
        return 1;
    }
    if (list) {
        for (i = 0; i < rows->len; i++) {
            BenchRow *r = g_ptr_array_index(rows, i);
            printf("%s\n", r->full);
        }
        return 0;
    }
    quick_mode = quick;
    if (runs <= 0) {
        runs = quick_mode ? QUICK_RUNS : DEFAULT_RUNS;
    }
    if (sched_getaffinity(0, sizeof(start_cpus), &start_cpus) < 0) {
        CPU_ZERO(&start_cpus);
        CPU_SET(0, &start_cpus);
    }

    progress = !rows_out && isatty(STDERR_FILENO);
    select_rows(filters);
    for (i = 0; i < rows->len; i++) {
        if (((BenchRow *)g_ptr_array_index(rows, i))->selected) {
            break;
        }
    }
    if (i == rows->len) {
        /* Most likely a renamed case: fail loudly (the smoke test too). */
        fprintf(stderr, "qemuutil-bench: no case matches the filter; "
                "see --list\n");
        return 1;
    }
    for (i = 0; i < rows->len; i++) {
        BenchRow *r = g_ptr_array_index(rows, i);

        if (r->selected) {
            if (progress) {
                fprintf(stderr, "\r\033[Krunning %s ...", r->full);
            }
            measure(r, runs);
        }
    }
    if (progress) {
        fprintf(stderr, "\r\033[K");
    }
    for (p = 0; peers && peers[p]; p++) {
        run_peer_exe(peers[p], runs, filters);
    }

    if (rows_out) {
        FILE *f = open_out(rows_out);
        write_rows(f);
        close_out(f);
    } else {
        print_table(runs);
    }
    if (json) {
        FILE *f = open_out(json);
        write_json(f, runs);
        close_out(f);
    }
    return 0;
}
