/*
 * qtest-lite protocol engine: request parsing and execution against a
 * vmm-mini machine (see qtest-proto.h).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * Every request is a line of words separated by blanks.  The first word
 * names the command; a table gives each command its argument count and
 * handler.  Handlers validate everything before touching the machine:
 * numbers must parse completely, widths must hold the value, bulk ranges
 * must lie in guest RAM, hex and base64 payloads must be well formed.
 * Whatever fails produces one "FAIL reason" line and no side effect, so a
 * client always gets exactly one reply per request line.
 */
#include "qemu/osdep.h"

#include "qemu/timer.h"

#include "qtest-proto.h"

/* What the client asked to see with irq_intercept_in/_out. */
typedef enum QtestIntercept {
    QTEST_INTERCEPT_NONE,
    QTEST_INTERCEPT_IN,         /* the GSIs, numbered as GSIs */
    QTEST_INTERCEPT_OUT,        /* one device's output line, numbered 0 */
} QtestIntercept;

struct QtestProto {
    VmmMachine *machine;
    QtestProtoSendFunc *send;
    void *opaque;

    /*
     * Buffered input.  Bytes before @head were executed already; complete
     * lines follow, then at most one partial line of @partial bytes.  A
     * line longer than QTEST_PROTO_MAX_LINE is stored cut at
     * QTEST_PROTO_MAX_LINE + 1 bytes: that length alone marks it overlong,
     * since no line the client sends is kept that long.
     */
    GString *inbuf;
    size_t head;
    size_t partial;
    unsigned complete_lines;
    bool discarding;            /* skipping the rest of an overlong line */

    QtestIntercept intercept;
    VmmDevice *intercept_dev;   /* QTEST_INTERCEPT_OUT only */
    bool irq_level[QTEST_PROTO_MAX_IRQ];

    int64_t step_limit;         /* 0: none */
    FILE *log;                  /* not owned */
    GTimer *log_timer;
};

typedef struct QtestCommand QtestCommand;

/* A command handler: @argv[0] is the command, @argc counts it too. */
typedef void QtestHandler(QtestProto *p, const QtestCommand *cmd,
                          char **argv, int argc);

struct QtestCommand {
    const char *name;
    int min_args;               /* after the command word */
    int max_args;
    const char *usage;          /* for the "wrong arguments" reply */
    QtestHandler *handler;
    unsigned size;              /* access width, for in/out/read/write */
};

/* ------------------------------------------------------------------ */
/* Output                                                              */
/* ------------------------------------------------------------------ */

static void proto_log(QtestProto *p, char dir, const char *line, size_t len)
{
    if (!p->log) {
        return;
    }
    fprintf(p->log, "[%c +%.6f] %.*s\n", dir,
            g_timer_elapsed(p->log_timer, NULL), (int)len, line);
    fflush(p->log);
}

/* Send the line in @s (no newline yet) and free @s. */
static void proto_send_line(QtestProto *p, GString *s)
{
    proto_log(p, 'S', s->str, s->len);
    g_string_append_c(s, '\n');
    p->send(p->opaque, s->str, s->len);
    g_string_free(s, true);
}

static void G_GNUC_PRINTF(2, 3) reply(QtestProto *p, const char *fmt, ...)
{
    GString *s = g_string_new(NULL);
    va_list ap;

    va_start(ap, fmt);
    g_string_append_vprintf(s, fmt, ap);
    va_end(ap);
    proto_send_line(p, s);
}

static void G_GNUC_PRINTF(2, 3) fail(QtestProto *p, const char *fmt, ...)
{
    GString *s = g_string_new("FAIL ");
    va_list ap;

    va_start(ap, fmt);
    g_string_append_vprintf(s, fmt, ap);
    va_end(ap);
    proto_send_line(p, s);
}

/*
 * A client-supplied word made safe to echo: at most 64 bytes, anything
 * but printable ASCII shown as '?'.  Returns a new string.
 */
static char *sanitize_word(const char *w)
{
    size_t i, n = MIN(strlen(w), 64);
    char *out = g_strndup(w, n);

    for (i = 0; i < n; i++) {
        if (!g_ascii_isprint(out[i])) {
            out[i] = '?';
        }
    }
    return out;
}

/* ------------------------------------------------------------------ */
/* Argument parsing                                                    */
/* ------------------------------------------------------------------ */

/* An unsigned number, base 0 (0x.. hex, 0.. octal), the whole word. */
static bool parse_u64(const char *w, uint64_t *out)
{
    char *end;
    uint64_t v;

    if (!g_ascii_isdigit(w[0])) {
        return false;           /* no sign, no blank, not empty */
    }
    errno = 0;
    v = g_ascii_strtoull(w, &end, 0);
    if (errno || *end) {
        return false;
    }
    *out = v;
    return true;
}

/* A signed number, base 0, the whole word. */
static bool parse_i64(const char *w, int64_t *out)
{
    const char *digits = (w[0] == '-' || w[0] == '+') ? w + 1 : w;
    char *end;
    int64_t v;

    if (!g_ascii_isdigit(digits[0])) {
        return false;
    }
    errno = 0;
    v = g_ascii_strtoll(w, &end, 0);
    if (errno || *end) {
        return false;
    }
    *out = v;
    return true;
}

static bool arg_u64(QtestProto *p, const QtestCommand *cmd, const char *what,
                    const char *w, uint64_t *out)
{
    char *safe;

    if (parse_u64(w, out)) {
        return true;
    }
    safe = sanitize_word(w);
    fail(p, "%s: %s '%s' is not an unsigned number", cmd->name, what, safe);
    g_free(safe);
    return false;
}

/* @v must fit in @size bytes. */
static bool arg_fits(QtestProto *p, const QtestCommand *cmd, uint64_t v,
                     unsigned size)
{
    if (size < 8 && v >> (size * 8)) {
        fail(p, "%s: value 0x%" PRIx64 " does not fit in %u bits",
             cmd->name, v, size * 8);
        return false;
    }
    return true;
}

/*
 * [@addr, @addr + @len) must be guest RAM; returns the host pointer.  The
 * bulk commands only reach RAM (QEMU's would also reach MMIO).
 */
static uint8_t *arg_ram(QtestProto *p, const QtestCommand *cmd,
                        uint64_t addr, uint64_t len)
{
    uint8_t *ptr = vmm_ram_ptr(p->machine, addr, len);

    if (!ptr) {
        fail(p, "%s: 0x%" PRIx64 "+0x%" PRIx64 " is not inside guest RAM "
             "(0x0-0x%" PRIx64 ")", cmd->name, addr, len,
             p->machine->ram_size);
    }
    return ptr;
}

static void store_le(uint8_t *buf, uint64_t v, unsigned size)
{
    unsigned i;

    for (i = 0; i < size; i++) {
        buf[i] = v >> (i * 8);
    }
}

static uint64_t load_le(const uint8_t *buf, unsigned size)
{
    uint64_t v = 0;
    unsigned i;

    for (i = 0; i < size; i++) {
        v |= (uint64_t)buf[i] << (i * 8);
    }
    return v;
}

/* ------------------------------------------------------------------ */
/* Commands: port and memory-mapped I/O                                */
/* ------------------------------------------------------------------ */

static void cmd_out(QtestProto *p, const QtestCommand *cmd, char **argv,
                    int argc)
{
    uint64_t addr, value;
    uint8_t data[8];

    if (!arg_u64(p, cmd, "ADDR", argv[1], &addr) ||
        !arg_u64(p, cmd, "VALUE", argv[2], &value) ||
        !arg_fits(p, cmd, value, cmd->size)) {
        return;
    }
    if (addr > 0xffff) {
        fail(p, "%s: port 0x%" PRIx64 " is above 0xffff", cmd->name, addr);
        return;
    }
    store_le(data, value, cmd->size);
    vmm_io_dispatch(p->machine, VMM_SPACE_PIO, addr, data, cmd->size, true);
    reply(p, "OK");
}

static void cmd_in(QtestProto *p, const QtestCommand *cmd, char **argv,
                   int argc)
{
    uint64_t addr;
    uint8_t data[8];

    if (!arg_u64(p, cmd, "ADDR", argv[1], &addr)) {
        return;
    }
    if (addr > 0xffff) {
        fail(p, "%s: port 0x%" PRIx64 " is above 0xffff", cmd->name, addr);
        return;
    }
    vmm_io_dispatch(p->machine, VMM_SPACE_PIO, addr, data, cmd->size, false);
    reply(p, "OK 0x%04" PRIx32, (uint32_t)load_le(data, cmd->size));
}

/*
 * writeb/w/l/q and readb/w/l/q go to RAM when the whole access lies in
 * RAM and to the MMIO dispatch table otherwise, as a CPU access would.
 */
static void cmd_write_mem(QtestProto *p, const QtestCommand *cmd,
                          char **argv, int argc)
{
    uint64_t addr, value;
    uint8_t data[8];
    uint8_t *ram;

    if (!arg_u64(p, cmd, "ADDR", argv[1], &addr) ||
        !arg_u64(p, cmd, "VALUE", argv[2], &value) ||
        !arg_fits(p, cmd, value, cmd->size)) {
        return;
    }
    store_le(data, value, cmd->size);
    ram = vmm_ram_ptr(p->machine, addr, cmd->size);
    if (ram) {
        memcpy(ram, data, cmd->size);
    } else {
        vmm_io_dispatch(p->machine, VMM_SPACE_MMIO, addr, data, cmd->size,
                        true);
    }
    reply(p, "OK");
}

static void cmd_read_mem(QtestProto *p, const QtestCommand *cmd,
                         char **argv, int argc)
{
    uint64_t addr;
    uint8_t data[8];
    uint8_t *ram;

    if (!arg_u64(p, cmd, "ADDR", argv[1], &addr)) {
        return;
    }
    ram = vmm_ram_ptr(p->machine, addr, cmd->size);
    if (ram) {
        memcpy(data, ram, cmd->size);
    } else {
        vmm_io_dispatch(p->machine, VMM_SPACE_MMIO, addr, data, cmd->size,
                        false);
    }
    reply(p, "OK 0x%016" PRIx64, load_le(data, cmd->size));
}

/* ------------------------------------------------------------------ */
/* Commands: bulk guest memory                                         */
/* ------------------------------------------------------------------ */

static int hex_digit(char c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    c = g_ascii_tolower(c);
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    return -1;
}

static void cmd_read(QtestProto *p, const QtestCommand *cmd, char **argv,
                     int argc)
{
    static const char digits[] = "0123456789abcdef";
    uint64_t addr, len, i;
    uint8_t *ram;
    GString *s;

    if (!arg_u64(p, cmd, "ADDR", argv[1], &addr) ||
        !arg_u64(p, cmd, "SIZE", argv[2], &len)) {
        return;
    }
    if (len == 0) {
        fail(p, "%s: SIZE must be at least 1", cmd->name);
        return;
    }
    ram = arg_ram(p, cmd, addr, len);
    if (!ram) {
        return;
    }
    s = g_string_sized_new(len * 2 + 8);
    g_string_append(s, "OK 0x");
    for (i = 0; i < len; i++) {
        g_string_append_c(s, digits[ram[i] >> 4]);
        g_string_append_c(s, digits[ram[i] & 15]);
    }
    proto_send_line(p, s);
}

static void cmd_write(QtestProto *p, const QtestCommand *cmd, char **argv,
                      int argc)
{
    const char *hex = argv[3];
    uint64_t addr, len, i;
    size_t ndigits;
    uint8_t *ram;
    int hi, lo;

    if (!arg_u64(p, cmd, "ADDR", argv[1], &addr) ||
        !arg_u64(p, cmd, "SIZE", argv[2], &len)) {
        return;
    }
    if (hex[0] != '0' || (hex[1] != 'x' && hex[1] != 'X')) {
        fail(p, "%s: DATA must start with 0x", cmd->name);
        return;
    }
    hex += 2;
    ndigits = strlen(hex);
    if (ndigits % 2) {
        fail(p, "%s: DATA has an odd number of hex digits", cmd->name);
        return;
    }
    if (ndigits / 2 > len) {
        fail(p, "%s: DATA holds %zu bytes, more than SIZE %" PRIu64,
             cmd->name, ndigits / 2, len);
        return;
    }
    for (i = 0; i < ndigits; i++) {
        if (hex_digit(hex[i]) < 0) {
            fail(p, "%s: DATA has a non-hex character at offset %" PRIu64,
                 cmd->name, i + 2);
            return;
        }
    }
    if (len == 0) {
        reply(p, "OK");
        return;
    }
    ram = arg_ram(p, cmd, addr, len);
    if (!ram) {
        return;
    }
    /* Short data is zero-filled, as QEMU's server does. */
    for (i = 0; i < len; i++) {
        if (i * 2 < ndigits) {
            hi = hex_digit(hex[i * 2]);
            lo = hex_digit(hex[i * 2 + 1]);
            ram[i] = (hi << 4) | lo;
        } else {
            ram[i] = 0;
        }
    }
    reply(p, "OK");
}

static void cmd_memset(QtestProto *p, const QtestCommand *cmd, char **argv,
                       int argc)
{
    uint64_t addr, len, value;
    uint8_t *ram;

    if (!arg_u64(p, cmd, "ADDR", argv[1], &addr) ||
        !arg_u64(p, cmd, "SIZE", argv[2], &len) ||
        !arg_u64(p, cmd, "VALUE", argv[3], &value) ||
        !arg_fits(p, cmd, value, 1)) {
        return;
    }
    if (len == 0) {
        reply(p, "OK");         /* allowed, and does nothing */
        return;
    }
    ram = arg_ram(p, cmd, addr, len);
    if (!ram) {
        return;
    }
    memset(ram, value, len);
    reply(p, "OK");
}

static void cmd_b64read(QtestProto *p, const QtestCommand *cmd, char **argv,
                        int argc)
{
    uint64_t addr, len;
    uint8_t *ram;
    char *b64;

    if (!arg_u64(p, cmd, "ADDR", argv[1], &addr) ||
        !arg_u64(p, cmd, "SIZE", argv[2], &len)) {
        return;
    }
    if (len == 0) {
        fail(p, "%s: SIZE must be at least 1", cmd->name);
        return;
    }
    ram = arg_ram(p, cmd, addr, len);
    if (!ram) {
        return;
    }
    b64 = g_base64_encode(ram, len);
    reply(p, "OK %s", b64);
    g_free(b64);
}

static bool is_b64_char(char c)
{
    return g_ascii_isalnum(c) || c == '+' || c == '/';
}

/*
 * Strict base64: the canonical encoding of exactly @len bytes, padding
 * included.  g_base64_decode() skips characters it does not know, so it
 * cannot be the validator.
 */
static bool b64_valid(const char *s, uint64_t len)
{
    size_t n = strlen(s), i, pad = (3 - len % 3) % 3;

    if (len > (G_MAXSIZE / 4) || n != (len + 2) / 3 * 4) {
        return false;
    }
    for (i = 0; i < n; i++) {
        if (i >= n - pad) {
            if (s[i] != '=') {
                return false;
            }
        } else if (!is_b64_char(s[i])) {
            return false;
        }
    }
    return true;
}

static void cmd_b64write(QtestProto *p, const QtestCommand *cmd,
                         char **argv, int argc)
{
    uint64_t addr, len;
    uint8_t *ram, *data;
    gsize out_len;

    if (!arg_u64(p, cmd, "ADDR", argv[1], &addr) ||
        !arg_u64(p, cmd, "SIZE", argv[2], &len)) {
        return;
    }
    ram = arg_ram(p, cmd, addr, len);
    if (!ram) {
        return;
    }
    if (!b64_valid(argv[3], len)) {
        fail(p, "%s: DATA is not the base64 encoding of %" PRIu64 " bytes",
             cmd->name, len);
        return;
    }
    data = g_base64_decode(argv[3], &out_len);
    if (out_len == len) {
        memcpy(ram, data, len);
        reply(p, "OK");
    } else {
        /* b64_valid() makes this unreachable; still never trust it. */
        fail(p, "%s: DATA decodes to %zu bytes, not %" PRIu64, cmd->name,
             (size_t)out_len, len);
    }
    g_free(data);
}

/* ------------------------------------------------------------------ */
/* Commands: the virtual clock                                         */
/* ------------------------------------------------------------------ */

static bool step_allowed(QtestProto *p, const QtestCommand *cmd,
                         int64_t now, int64_t target)
{
    if (p->step_limit && target > now && target - now > p->step_limit) {
        fail(p, "%s: a step of %" PRId64 " ns exceeds this server's limit "
             "of %" PRId64 " ns", cmd->name, target - now, p->step_limit);
        return false;
    }
    return true;
}

static void cmd_clock_step(QtestProto *p, const QtestCommand *cmd,
                           char **argv, int argc)
{
    int64_t old_ns = qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL);
    int64_t ns, new_ns;
    char *safe;

    if (argc > 1) {
        if (!parse_i64(argv[1], &ns)) {
            safe = sanitize_word(argv[1]);
            fail(p, "%s: NS '%s' is not a number", cmd->name, safe);
            g_free(safe);
            return;
        }
    } else {
        ns = qemu_clock_deadline_ns_all(QEMU_CLOCK_VIRTUAL,
                                        QEMU_TIMER_ATTR_ALL);
        if (ns < 0) {
            fail(p, "cannot advance clock to the next deadline because "
                 "there is no pending deadline");
            return;
        }
    }
    if (ns > INT64_MAX - old_ns) {
        fail(p, "%s: %" PRId64 " ns from %" PRId64 " overflows the clock",
             cmd->name, ns, old_ns);
        return;
    }
    if (!step_allowed(p, cmd, old_ns, old_ns + ns)) {
        return;
    }
    new_ns = qemu_clock_advance_virtual_time(old_ns + ns);
    if (new_ns > old_ns) {
        reply(p, "OK %" PRId64, new_ns);
    } else {
        fail(p, "could not advance time");
    }
}

static void cmd_clock_set(QtestProto *p, const QtestCommand *cmd,
                          char **argv, int argc)
{
    int64_t old_ns = qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL);
    int64_t ns, new_ns;
    char *safe;

    if (!parse_i64(argv[1], &ns)) {
        safe = sanitize_word(argv[1]);
        fail(p, "%s: NS '%s' is not a number", cmd->name, safe);
        g_free(safe);
        return;
    }
    if (!step_allowed(p, cmd, old_ns, ns)) {
        return;
    }
    new_ns = qemu_clock_advance_virtual_time(ns);
    /* QEMU's format: the clock's value either way. */
    reply(p, "%s %" PRId64, new_ns == ns ? "OK" : "FAIL", new_ns);
}

/* ------------------------------------------------------------------ */
/* Commands: interrupts and the rest                                   */
/* ------------------------------------------------------------------ */

/* The interrupt controller's names, for irq_intercept_in. */
static bool is_irqchip_name(const char *name)
{
    static const char *const names[] = {
        "ioapic", "pic", "i8259", "/machine/ioapic", "/machine/i8259",
        "/machine/pic", "/machine",
    };
    size_t i;

    for (i = 0; i < ARRAY_SIZE(names); i++) {
        if (!strcmp(name, names[i])) {
            return true;
        }
    }
    return false;
}

/* A device by id, also accepted as "/machine/<id>". */
static VmmDevice *find_device(VmmMachine *m, const char *name)
{
    int i;

    if (g_str_has_prefix(name, "/machine/")) {
        name += strlen("/machine/");
    }
    for (i = 0; i < m->nr_devices; i++) {
        if (!strcmp(m->devices[i]->id, name)) {
            return m->devices[i];
        }
    }
    return NULL;
}

static void cmd_irq_intercept(QtestProto *p, const QtestCommand *cmd,
                              char **argv, int argc)
{
    bool out = !strcmp(cmd->name, "irq_intercept_out");
    QtestIntercept kind = out ? QTEST_INTERCEPT_OUT : QTEST_INTERCEPT_IN;
    bool chip = is_irqchip_name(argv[1]);
    VmmDevice *dev = chip ? NULL : find_device(p->machine, argv[1]);

    if (!chip && !dev) {
        fail(p, "Unknown device");
        return;
    }
    if (!out && argc > 2) {
        fail(p, "Interception of named in-GPIOs not yet supported");
        return;
    }
    if (p->intercept != QTEST_INTERCEPT_NONE) {
        if (p->intercept == kind && p->intercept_dev == dev) {
            reply(p, "OK");
        } else {
            fail(p, "IRQ intercept already enabled");
        }
        return;
    }
    /*
     * The interrupt controller has inputs (every GSI); a device has one
     * unnamed output if it has an interrupt line, and no inputs.
     */
    if ((out && (chip || dev->gsi < 0 || argc > 2)) || (!out && !chip)) {
        fail(p, "No intercepts installed");
        return;
    }
    p->intercept = kind;
    p->intercept_dev = dev;
    memset(p->irq_level, 0, sizeof(p->irq_level));
    reply(p, "OK");
}

static void cmd_set_irq_in(QtestProto *p, const QtestCommand *cmd,
                           char **argv, int argc)
{
    fail(p, "set_irq_in: vmm-mini devices have no interrupt inputs");
}

static void cmd_endianness(QtestProto *p, const QtestCommand *cmd,
                           char **argv, int argc)
{
    /* vmm-mini guests are x86. */
    reply(p, "OK little");
}

static void cmd_module_load(QtestProto *p, const QtestCommand *cmd,
                            char **argv, int argc)
{
    fail(p, "module_load: vmm-mini has no loadable modules");
}

static const QtestCommand commands[] = {
    { "outb", 2, 2, "ADDR VALUE", cmd_out, 1 },
    { "outw", 2, 2, "ADDR VALUE", cmd_out, 2 },
    { "outl", 2, 2, "ADDR VALUE", cmd_out, 4 },
    { "inb", 1, 1, "ADDR", cmd_in, 1 },
    { "inw", 1, 1, "ADDR", cmd_in, 2 },
    { "inl", 1, 1, "ADDR", cmd_in, 4 },
    { "writeb", 2, 2, "ADDR VALUE", cmd_write_mem, 1 },
    { "writew", 2, 2, "ADDR VALUE", cmd_write_mem, 2 },
    { "writel", 2, 2, "ADDR VALUE", cmd_write_mem, 4 },
    { "writeq", 2, 2, "ADDR VALUE", cmd_write_mem, 8 },
    { "readb", 1, 1, "ADDR", cmd_read_mem, 1 },
    { "readw", 1, 1, "ADDR", cmd_read_mem, 2 },
    { "readl", 1, 1, "ADDR", cmd_read_mem, 4 },
    { "readq", 1, 1, "ADDR", cmd_read_mem, 8 },
    { "read", 2, 2, "ADDR SIZE", cmd_read, 0 },
    { "write", 3, 3, "ADDR SIZE 0xDATA", cmd_write, 0 },
    { "memset", 3, 3, "ADDR SIZE VALUE", cmd_memset, 0 },
    { "b64read", 2, 2, "ADDR SIZE", cmd_b64read, 0 },
    { "b64write", 3, 3, "ADDR SIZE B64DATA", cmd_b64write, 0 },
    { "clock_step", 0, 1, "[NS]", cmd_clock_step, 0 },
    { "clock_set", 1, 1, "NS", cmd_clock_set, 0 },
    { "irq_intercept_in", 1, 1, "QOM-PATH", cmd_irq_intercept, 0 },
    { "irq_intercept_out", 1, 2, "QOM-PATH [NAME]", cmd_irq_intercept, 0 },
    { "set_irq_in", 4, 4, "QOM-PATH NAME NUM LEVEL", cmd_set_irq_in, 0 },
    { "endianness", 0, 0, "", cmd_endianness, 0 },
    { "module_load", 2, 2, "PREFIX LIBNAME", cmd_module_load, 0 },
};

/* ------------------------------------------------------------------ */
/* Requests                                                            */
/* ------------------------------------------------------------------ */

void qtest_proto_execute(QtestProto *p, const char *line)
{
    char **words = g_strsplit_set(line, " \t", -1);
    char **argv = g_new0(char *, g_strv_length(words) + 1);
    const QtestCommand *cmd = NULL;
    int argc = 0, i;
    char *safe;

    proto_log(p, 'R', line, strlen(line));
    /* Runs of blanks separate words: drop the empty ones they leave. */
    for (i = 0; words[i]; i++) {
        if (words[i][0]) {
            argv[argc++] = words[i];
        }
    }
    if (argc == 0) {
        fail(p, "empty request");
        goto out;
    }
    for (i = 0; i < ARRAY_SIZE(commands); i++) {
        if (!strcmp(argv[0], commands[i].name)) {
            cmd = &commands[i];
            break;
        }
    }
    if (!cmd) {
        safe = sanitize_word(argv[0]);
        fail(p, "Unknown command '%s'", safe);
        g_free(safe);
        goto out;
    }
    if (argc - 1 < cmd->min_args || argc - 1 > cmd->max_args) {
        fail(p, "%s takes %s%s(got %d argument%s)", cmd->name, cmd->usage,
             cmd->usage[0] ? " " : "no arguments ", argc - 1,
             argc == 2 ? "" : "s");
        goto out;
    }
    cmd->handler(p, cmd, argv, argc);
out:
    g_free(argv);
    g_strfreev(words);
}

QtestProto *qtest_proto_new(VmmMachine *m, QtestProtoSendFunc *send,
                            void *opaque)
{
    QtestProto *p = g_new0(QtestProto, 1);

    p->machine = m;
    p->send = send;
    p->opaque = opaque;
    p->inbuf = g_string_new(NULL);
    p->log_timer = g_timer_new();
    return p;
}

void qtest_proto_free(QtestProto *p)
{
    if (!p) {
        return;
    }
    g_string_free(p->inbuf, true);
    g_timer_destroy(p->log_timer);
    g_free(p);
}

void qtest_proto_reset(QtestProto *p)
{
    g_string_truncate(p->inbuf, 0);
    p->head = 0;
    p->partial = 0;
    p->complete_lines = 0;
    p->discarding = false;
    p->intercept = QTEST_INTERCEPT_NONE;
    p->intercept_dev = NULL;
    memset(p->irq_level, 0, sizeof(p->irq_level));
    g_timer_start(p->log_timer);
}

void qtest_proto_set_step_limit(QtestProto *p, int64_t max_ns)
{
    p->step_limit = max_ns;
}

void qtest_proto_set_log(QtestProto *p, FILE *log)
{
    p->log = log;
}

static void end_line(QtestProto *p)
{
    g_string_append_c(p->inbuf, '\n');
    p->partial = 0;
    p->complete_lines++;
}

void qtest_proto_feed(QtestProto *p, const void *buf, size_t len)
{
    const char *s = buf;
    const char *nl;
    size_t chunk, room;

    while (len) {
        nl = memchr(s, '\n', len);
        chunk = nl ? (size_t)(nl - s) : len;
        if (!p->discarding) {
            /* Keep at most QTEST_PROTO_MAX_LINE + 1 bytes of a line. */
            room = QTEST_PROTO_MAX_LINE + 1 - p->partial;
            g_string_append_len(p->inbuf, s, MIN(chunk, room));
            p->partial += MIN(chunk, room);
            p->discarding = chunk > room;
        }
        s += chunk;
        len -= chunk;
        if (nl) {
            p->discarding = false;
            end_line(p);
            s++;
            len--;
        }
    }
}

bool qtest_proto_has_line(QtestProto *p)
{
    return p->complete_lines > 0;
}

bool qtest_proto_step(QtestProto *p)
{
    char *start, *nl, *line;
    size_t len;

    if (!p->complete_lines) {
        return false;
    }
    start = p->inbuf->str + p->head;
    nl = memchr(start, '\n', p->inbuf->len - p->head);
    g_assert(nl);               /* counted by complete_lines */
    len = nl - start;
    line = g_strndup(start, len);
    p->head += len + 1;
    p->complete_lines--;
    /* Compact once the executed part dominates the buffer. */
    if (p->head > 65536 && p->head * 2 > p->inbuf->len) {
        g_string_erase(p->inbuf, 0, p->head);
        p->head = 0;
    }

    /* Checked first: a cut overlong line may end in any byte. */
    if (len > QTEST_PROTO_MAX_LINE) {
        proto_log(p, 'R', "(overlong line)", strlen("(overlong line)"));
        fail(p, "line too long (the limit is %d bytes)",
             QTEST_PROTO_MAX_LINE);
    } else if (memchr(line, '\0', len)) {
        proto_log(p, 'R', "(line with a NUL byte)",
                  strlen("(line with a NUL byte)"));
        fail(p, "request contains a NUL byte");
    } else {
        if (len > 0 && line[len - 1] == '\r') {
            line[--len] = '\0'; /* tolerate CRLF clients */
        }
        qtest_proto_execute(p, line);
    }
    g_free(line);
    return true;
}

void qtest_proto_irq(QtestProto *p, int gsi, bool level)
{
    int n;

    switch (p->intercept) {
    case QTEST_INTERCEPT_IN:
        n = gsi;
        break;
    case QTEST_INTERCEPT_OUT:
        if (p->intercept_dev->gsi != gsi) {
            return;
        }
        n = 0;
        break;
    default:
        return;
    }
    if (n < 0 || n >= QTEST_PROTO_MAX_IRQ || p->irq_level[n] == level) {
        return;
    }
    p->irq_level[n] = level;
    reply(p, "IRQ %s %d", level ? "raise" : "lower", n);
}
