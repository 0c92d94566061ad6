/*
 * scenario.c - parser of the riommu scenario language (docs/scenarios.md)
 * into a program of steps (scenario.h). Nothing here runs anything.
 *
 * The text is read line by line. A line is cut at '#', its code part must
 * be printable ASCII, and it is split into at most SCN_MAX_TOKENS words.
 * The first word is the verb. The parser keeps the symbolic state a reader
 * would (is the driver initialised, which device and domain names are
 * live, may `config` still appear, which step an `expect ERR` line refers
 * to) and refuses a statement that could not run.
 */
#include "scenario.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_names.h"
#include "riommu/qemu_backend.h"
#include "riommu/stats.h"

typedef struct name_ent {
    char name[SCN_MAX_NAME_LEN + 1];
    bool is_dev;
    bool live;
    int slot;
    uint32_t id0; /* devices: first ID */
} name_ent;

typedef struct parser {
    scn_program *p;
    scn_error *err;
    bool failed;
    unsigned line;
    char buf[SCN_MAX_LINE + 1];
    char *tok[SCN_MAX_TOKENS];
    unsigned ntok, pos;
    name_ent *names;
    size_t nnames;
    bool acted;              /* an action was seen: `config` is closed */
    unsigned acted_line;
    unsigned config_line;    /* last `config` line */
    bool driver_up;
    unsigned init_line;
    long result_step;        /* previous statement's step if it returns a driver result */
} parser;

/* ---- errors and words ------------------------------------------------------- */

#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
static bool fail(parser *ps, const char *fmt, ...)
{
    if (ps->failed)
        return false;
    ps->failed = true;
    ps->err->line = ps->line;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(ps->err->msg, sizeof ps->err->msg, fmt, ap);
    va_end(ap);
    return false;
}

static const char *peek(const parser *ps) { return ps->pos < ps->ntok ? ps->tok[ps->pos] : NULL; }
static const char *next(parser *ps) { return ps->pos < ps->ntok ? ps->tok[ps->pos++] : NULL; }
static bool at_end(const parser *ps) { return ps->pos >= ps->ntok; }

/* Consume the next word when it is `w` (case-insensitive, '-' == '_'). */
static bool accept(parser *ps, const char *w)
{
    const char *t = peek(ps);
    if (t && cli_name_eq(t, w)) {
        ps->pos++;
        return true;
    }
    return false;
}

static bool need_end(parser *ps)
{
    if (!at_end(ps))
        return fail(ps, "unexpected '%s'", peek(ps));
    return true;
}

/* The next word, or an error naming what was missing. */
static const char *need_word(parser *ps, const char *what)
{
    const char *t = next(ps);
    if (!t)
        fail(ps, "missing %s", what);
    return t;
}

/* ---- numbers ---------------------------------------------------------------- */

/* Parse a number: decimal, 0x hex or 0b binary, '_' between digits, an
 * optional K/M/G/T suffix (powers of 1024). 0 ok, 1 syntax, 2 overflow. */
static int parse_number(const char *s, uint64_t *out)
{
    unsigned base = 10;
    if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        base = 16;
        s += 2;
    } else if (s[0] == '0' && (s[1] == 'b' || s[1] == 'B')) {
        base = 2;
        s += 2;
    }
    uint64_t v = 0;
    unsigned digits = 0;
    bool over = false;
    for (; *s; s++) {
        unsigned d;
        char c = *s;
        if (c == '_' && digits)
            continue;
        if (c >= '0' && c <= '9')
            d = (unsigned)(c - '0');
        else if (base == 16 && c >= 'a' && c <= 'f')
            d = (unsigned)(c - 'a' + 10);
        else if (base == 16 && c >= 'A' && c <= 'F')
            d = (unsigned)(c - 'A' + 10);
        else
            break;
        if (d >= base)
            return 1;
        if (v > (UINT64_MAX - d) / base)
            over = true;
        v = v * base + d;
        digits++;
    }
    if (!digits || s[-1] == '_')
        return 1;
    if (*s) {
        unsigned shift;
        switch (*s) {
        case 'K': case 'k': shift = 10; break;
        case 'M': case 'm': shift = 20; break;
        case 'G': case 'g': shift = 30; break;
        case 'T': case 't': shift = 40; break;
        default: return 1;
        }
        if (s[1])
            return 1;
        if (v > (UINT64_MAX >> shift))
            over = true;
        v <<= shift;
    }
    if (over)
        return 2;
    *out = v;
    return 0;
}

static bool num(parser *ps, const char *what, uint64_t *v)
{
    const char *t = need_word(ps, what);
    if (!t)
        return false;
    int r = parse_number(t, v);
    if (r == 1)
        return fail(ps, "bad number '%s' for %s", t, what);
    if (r == 2)
        return fail(ps, "number '%s' for %s does not fit in 64 bits", t, what);
    return true;
}

static bool num_range(parser *ps, const char *what, uint64_t lo, uint64_t hi, uint64_t *v)
{
    const char *t = peek(ps);
    if (!num(ps, what, v))
        return false;
    if (*v < lo || *v > hi)
        return fail(ps, "%s %s out of range (%llu..%llu)", what, t, (unsigned long long)lo,
                    (unsigned long long)hi);
    return true;
}

/* Parse "on"/"off" (also yes/no, true/false, 1/0). */
static bool parse_bool_word(const char *t, bool *b)
{
    if (cli_name_eq(t, "on") || cli_name_eq(t, "yes") || cli_name_eq(t, "true") ||
        !strcmp(t, "1")) {
        *b = true;
        return true;
    }
    if (cli_name_eq(t, "off") || cli_name_eq(t, "no") || cli_name_eq(t, "false") ||
        !strcmp(t, "0")) {
        *b = false;
        return true;
    }
    return false;
}

static bool onoff(parser *ps, const char *what, bool *b)
{
    const char *t = need_word(ps, what);
    if (!t)
        return false;
    if (!parse_bool_word(t, b))
        return fail(ps, "%s must be on or off, not '%s'", what, t);
    return true;
}

static bool is_pow2(uint64_t v) { return v && !(v & (v - 1)); }

static unsigned ilog2(uint64_t v)
{
    unsigned n = 0;
    while (v > 1) {
        v >>= 1;
        n++;
    }
    return n;
}

/* ---- steps and names ---------------------------------------------------------- */

static scn_step *add_step(parser *ps, scn_kind kind)
{
    scn_program *p = ps->p;
    if (p->nsteps >= SCN_MAX_STEPS) {
        fail(ps, "too many steps (limit %u)", SCN_MAX_STEPS);
        return NULL;
    }
    if (p->nsteps == p->cap) {
        size_t nc = p->cap ? p->cap * 2 : 64;
        scn_step *n = realloc(p->steps, nc * sizeof *n);
        if (!n) {
            fail(ps, "out of memory");
            return NULL;
        }
        p->steps = n;
        p->cap = nc;
    }
    scn_step *s = &p->steps[p->nsteps];
    memset(s, 0, sizeof *s);
    /* The statement as written: its words joined by one space. */
    size_t len = 0;
    for (unsigned i = 0; i < ps->ntok; i++)
        len += strlen(ps->tok[i]) + 1;
    s->text = malloc(len + 1);
    if (!s->text) {
        fail(ps, "out of memory");
        return NULL;
    }
    s->text[0] = 0;
    char *w = s->text;
    for (unsigned i = 0; i < ps->ntok; i++) {
        size_t l = strlen(ps->tok[i]);
        if (i)
            *w++ = ' ';
        memcpy(w, ps->tok[i], l);
        w += l;
        *w = 0;
    }
    p->nsteps++;
    s->kind = kind;
    s->line = ps->line;
    s->repeat = 1;
    s->dev = -1;
    s->dom = 0;
    s->want = RIOMMU_DRV_OK;
    if (kind != SCN_DRIVER_SET && kind != SCN_ECHO && !ps->acted) {
        ps->acted = true;
        ps->acted_line = ps->line;
    }
    return s;
}

static bool valid_ident(const char *s)
{
    if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || *s == '_'))
        return false;
    for (const char *c = s; *c; c++)
        if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
              (*c >= '0' && *c <= '9') || *c == '_' || *c == '-' || *c == '.'))
            return false;
    return true;
}

static name_ent *find_name(parser *ps, const char *name, bool live_only)
{
    for (size_t i = ps->nnames; i-- > 0;)
        if ((!live_only || ps->names[i].live) && !strcmp(ps->names[i].name, name))
            return &ps->names[i];
    return NULL;
}

/* Define a device or domain name; *slot gets its new slot. */
static bool define(parser *ps, const char *name, bool is_dev, uint32_t id0, int *slot)
{
    if (strlen(name) > SCN_MAX_NAME_LEN)
        return fail(ps, "name '%.40s...' longer than %u characters", name, SCN_MAX_NAME_LEN);
    if (!valid_ident(name))
        return fail(ps, "bad name '%s' (a letter or '_', then letters, digits, '_', '-', '.')",
                    name);
    if (cli_name_eq(name, "identity") || cli_name_eq(name, "blocked"))
        return fail(ps, "'%s' is the name of a built-in domain", name);
    if (find_name(ps, name, true))
        return fail(ps, "'%s' is already defined", name);
    if (ps->nnames >= SCN_MAX_NAMES)
        return fail(ps, "too many names (limit %u)", SCN_MAX_NAMES);
    scn_program *p = ps->p;
    unsigned *count = is_dev ? &p->ndevs : &p->ndoms;
    char(**tab)[SCN_MAX_NAME_LEN + 1] = is_dev ? &p->dev_names : &p->dom_names;
    void *n = realloc(*tab, (*count + 1) * sizeof **tab);
    name_ent *ne = realloc(ps->names, (ps->nnames + 1) * sizeof *ne);
    if (n)
        *tab = n;
    if (ne)
        ps->names = ne;
    if (!n || !ne)
        return fail(ps, "out of memory");
    snprintf((*tab)[*count], SCN_MAX_NAME_LEN + 1, "%s", name);
    name_ent *e = &ps->names[ps->nnames++];
    memset(e, 0, sizeof *e);
    snprintf(e->name, sizeof e->name, "%s", name);
    e->is_dev = is_dev;
    e->live = true;
    e->slot = (int)*count;
    e->id0 = id0;
    *slot = (int)(*count)++;
    return true;
}

static void undefine_slot(parser *ps, bool is_dev, int slot)
{
    for (size_t i = 0; i < ps->nnames; i++)
        if (ps->names[i].is_dev == is_dev && ps->names[i].slot == slot)
            ps->names[i].live = false;
}

static void undefine_all(parser *ps)
{
    for (size_t i = 0; i < ps->nnames; i++)
        ps->names[i].live = false;
}

static bool device_ref(parser *ps, int *slot)
{
    const char *t = need_word(ps, "device name");
    if (!t)
        return false;
    name_ent *e = find_name(ps, t, true);
    if (!e)
        return fail(ps, "undefined device '%s'", t);
    if (!e->is_dev)
        return fail(ps, "'%s' is a domain, not a device", t);
    *slot = e->slot;
    return true;
}

/* A paging domain by name, or (when `builtin`) identity/blocked too. */
static bool domain_ref(parser *ps, bool builtin, int *slot)
{
    const char *t = need_word(ps, "domain name");
    if (!t)
        return false;
    if (cli_name_eq(t, "identity") || cli_name_eq(t, "blocked")) {
        if (!builtin)
            return fail(ps, "'%s' is a built-in domain; this needs a paging domain", t);
        *slot = cli_name_eq(t, "identity") ? SCN_DOM_IDENTITY : SCN_DOM_BLOCKED;
        return true;
    }
    name_ent *e = find_name(ps, t, true);
    if (!e)
        return fail(ps, "undefined domain '%s'", t);
    if (e->is_dev)
        return fail(ps, "'%s' is a device, not a domain", t);
    *slot = e->slot;
    return true;
}

/* A DMA/dc/pte target: a device name (its first ID) or a raw device ID. */
static bool target_ref(parser *ps, scn_step *s)
{
    const char *t = peek(ps);
    if (!t)
        return fail(ps, "missing device");
    if (t[0] >= '0' && t[0] <= '9') {
        uint64_t v;
        if (!num_range(ps, "device ID", 0, 0xFFFFFFFFull, &v))
            return false;
        s->raw_id = true;
        s->id = (uint32_t)v;
        return true;
    }
    next(ps);
    /* Any device ever probed: the hardware device outlives the driver. */
    name_ent *e = find_name(ps, t, false);
    if (!e)
        return fail(ps, "undefined device '%s'", t);
    if (!e->is_dev)
        return fail(ps, "'%s' is a domain, not a device", t);
    s->dev = e->slot;
    s->id = e->id0;
    return true;
}

static bool need_driver(parser *ps, const char *verb)
{
    if (!ps->driver_up)
        return fail(ps, "'%s' needs a running driver (no successful 'init' before it)", verb);
    return true;
}

/* expect VALUE [mask M] after the word `expect` was consumed. */
static bool parse_check(parser *ps, scn_check *c, uint64_t full)
{
    uint64_t v;
    if (!num(ps, "expected value", &v))
        return false;
    c->on = true;
    c->value = v;
    c->mask = full;
    if (accept(ps, "mask")) {
        if (!num(ps, "mask", &c->mask))
            return false;
        c->mask &= full;
    }
    if ((v & ~full) != 0)
        return fail(ps, "expected value 0x%llx is wider than the access",
                    (unsigned long long)v);
    return true;
}

/* Optional trailing "expect ERR" of a driver verb. */
static bool opt_expect_err(parser *ps, scn_step *s)
{
    if (!accept(ps, "expect"))
        return true;
    const char *t = need_word(ps, "result (ok, EBUSY, EINVAL, ENODEV, ENOMEM, ETIMEDOUT, EIO)");
    if (!t)
        return false;
    if (!cli_err_parse(t, &s->want))
        return fail(ps, "unknown result '%s' (ok, EBUSY, EINVAL, ENODEV, ENOMEM, ETIMEDOUT, EIO)",
                    t);
    s->expect_line = ps->line;
    return true;
}

/* ---- config --------------------------------------------------------------------- */

static bool key_value(parser *ps, const char *t, char *key, size_t klen, const char **val)
{
    const char *eq = strchr(t, '=');
    if (!eq || eq == t || !eq[1])
        return fail(ps, "expected KEY=VALUE, not '%s'", t);
    size_t n = (size_t)(eq - t);
    if (n >= klen)
        return fail(ps, "unknown key in '%s'", t);
    memcpy(key, t, n);
    key[n] = 0;
    *val = eq + 1;
    return true;
}

static bool value_num(parser *ps, const char *key, const char *val, uint64_t lo, uint64_t hi,
                      uint64_t *v)
{
    int r = parse_number(val, v);
    if (r)
        return fail(ps, "bad number '%s' for %s", val, key);
    if (*v < lo || *v > hi)
        return fail(ps, "%s=%s out of range (%llu..%llu)", key, val, (unsigned long long)lo,
                    (unsigned long long)hi);
    return true;
}

static bool config_caps(parser *ps)
{
    uint64_t *caps = &ps->p->model.capabilities;
    if (at_end(ps))
        return fail(ps, "missing capabilities (a value, +NAME, -NAME or FIELD=VALUE)");
    while (!at_end(ps)) {
        const char *t = next(ps);
        uint64_t v;
        if (t[0] >= '0' && t[0] <= '9') {
            int r = parse_number(t, &v);
            if (r)
                return fail(ps, "bad capabilities value '%s'", t);
            *caps = v;
            continue;
        }
        if (strchr(t, '=')) {
            char key[16];
            const char *val = NULL;
            if (!key_value(ps, t, key, sizeof key, &val))
                return false;
            if (cli_name_eq(key, "IGS")) {
                if (cli_name_eq(val, "msi"))
                    v = RIOMMU_IGS_MSI;
                else if (cli_name_eq(val, "wsi"))
                    v = RIOMMU_IGS_WSI;
                else if (cli_name_eq(val, "both"))
                    v = RIOMMU_IGS_BOTH;
                else if (!value_num(ps, "IGS", val, 0, 3, &v))
                    return false;
                *caps = riommu_field_set(*caps, RIOMMU_CAP_IGS, v);
            } else if (cli_name_eq(key, "PAS")) {
                if (!value_num(ps, "PAS", val, 0, 63, &v))
                    return false;
                *caps = riommu_field_set(*caps, RIOMMU_CAP_PAS, v);
            } else if (cli_name_eq(key, "version")) {
                if (!value_num(ps, "version", val, 0, 255, &v))
                    return false;
                *caps = riommu_field_set(*caps, RIOMMU_CAP_VERSION, v);
            } else {
                return fail(ps, "unknown capabilities field '%s' (IGS, PAS, version)", key);
            }
            continue;
        }
        bool add = true;
        const char *n = t;
        if (*n == '+' || *n == '-') {
            add = *n == '+';
            n++;
        }
        if (!cli_cap_parse(n, &v))
            return fail(ps, "unknown capability '%s'", n);
        *caps = add ? (*caps | v) : (*caps & ~v);
    }
    return true;
}

static bool config_cache(parser *ps, riommu_cache_config *c, const char *name)
{
    if (at_end(ps))
        return fail(ps, "missing %s settings (entries=, assoc=, policy=, enable=, lat=, slots=)",
                    name);
    while (!at_end(ps)) {
        char key[16];
        const char *val = NULL;
        uint64_t v;
        if (!key_value(ps, next(ps), key, sizeof key, &val))
            return false;
        if (cli_name_eq(key, "entries")) {
            if (!value_num(ps, "entries", val, 0, 1u << 20, &v))
                return false;
            c->entries = (uint32_t)v;
        } else if (cli_name_eq(key, "assoc")) {
            if (!value_num(ps, "assoc", val, 0, 1u << 20, &v))
                return false;
            c->assoc = (uint32_t)v;
        } else if (cli_name_eq(key, "policy")) {
            if (cli_name_eq(val, "lru"))
                c->policy = RIOMMU_REPL_LRU;
            else if (cli_name_eq(val, "fifo"))
                c->policy = RIOMMU_REPL_FIFO;
            else if (cli_name_eq(val, "random"))
                c->policy = RIOMMU_REPL_RANDOM;
            else
                return fail(ps, "unknown policy '%s' (lru, fifo, random)", val);
        } else if (cli_name_eq(key, "enable")) {
            bool b;
            if (!parse_bool_word(val, &b))
                return fail(ps, "enable must be on or off, not '%s'", val);
            c->enable = b;
        } else if (cli_name_eq(key, "lat")) {
            if (!value_num(ps, "lat", val, 0, RIOMMU_TIMING_MAX_LAT, &v))
                return false;
            c->lat = (uint32_t)v;
        } else if (cli_name_eq(key, "slots")) {
            if (!value_num(ps, "slots", val, 1, 64, &v))
                return false;
            c->slots = (uint32_t)v;
        } else {
            return fail(ps, "unknown %s setting '%s' (entries, assoc, policy, enable, lat, slots)",
                        name, key);
        }
    }
    return true;
}

/* `config timing`: docs/timing.md "Parameters" (units and ranges). */
static bool config_timing(parser *ps)
{
    riommu_timing_config *t = &ps->p->model.timing;
    static const struct {
        const char *key;
        size_t off;
        uint32_t lo, hi;
    } keys[] = {
        {"mem_lat", offsetof(riommu_timing_config, mem_lat), 0, RIOMMU_TIMING_MAX_LAT},
        {"cmd_lat", offsetof(riommu_timing_config, cmd_lat), 0, RIOMMU_TIMING_MAX_LAT},
        {"ddtp_busy", offsetof(riommu_timing_config, ddtp_busy), 0, RIOMMU_TIMING_MAX_LAT},
        {"qcsr_busy", offsetof(riommu_timing_config, qcsr_busy), 0, RIOMMU_TIMING_MAX_LAT},
        {"xlate_lat", offsetof(riommu_timing_config, xlate_lat), 0, RIOMMU_TIMING_MAX_LAT},
        {"xlate_slots", offsetof(riommu_timing_config, xlate_slots), 1, 256},
        {"ptw_slots", offsetof(riommu_timing_config, ptw_slots), 1, 64},
        {"clock_mhz", offsetof(riommu_timing_config, clock_mhz), 1, 100000},
        {"dma_txn_bytes", offsetof(riommu_timing_config, dma_txn_bytes), 8, 4096},
        {"dma_rd_lat", offsetof(riommu_timing_config, dma_rd_lat), 0, RIOMMU_TIMING_MAX_LAT},
        {"dma_wr_lat", offsetof(riommu_timing_config, dma_wr_lat), 0, RIOMMU_TIMING_MAX_LAT},
        {"mem_beat_lat", offsetof(riommu_timing_config, mem_beat_lat), 0, RIOMMU_TIMING_MAX_LAT},
        {"fault_lat", offsetof(riommu_timing_config, fault_lat), 0, RIOMMU_TIMING_MAX_LAT},
    };
    if (at_end(ps))
        return fail(ps, "missing timing settings (enable=, mem_lat=, cmd_lat=, ddtp_busy=, "
                        "qcsr_busy=, xlate_lat=, xlate_slots=, ptw_slots=, clock_mhz=, dma_txn_bytes=, "
                        "dma_rd_lat=, dma_wr_lat=, mem_beat_lat=, fault_lat=)");
    while (!at_end(ps)) {
        char key[16];
        const char *val = NULL;
        uint64_t v;
        if (!key_value(ps, next(ps), key, sizeof key, &val))
            return false;
        if (cli_name_eq(key, "enable")) {
            bool b;
            if (!parse_bool_word(val, &b))
                return fail(ps, "enable must be on or off, not '%s'", val);
            t->enable = b;
            continue;
        }
        size_t i;
        for (i = 0; i < sizeof keys / sizeof keys[0]; i++)
            if (cli_name_eq(key, keys[i].key))
                break;
        if (i == sizeof keys / sizeof keys[0])
            return fail(ps, "unknown timing setting '%s'", key);
        if (!value_num(ps, keys[i].key, val, keys[i].lo, keys[i].hi, &v))
            return false;
        if (keys[i].off == offsetof(riommu_timing_config, dma_txn_bytes) && (v & (v - 1)))
            return fail(ps, "dma_txn_bytes must be a power of two (8..4096), not %" PRIu64, v);
        uint32_t u = (uint32_t)v;
        memcpy((char *)t + keys[i].off, &u, sizeof u);
    }
    return true;
}

static bool config_ddt(parser *ps)
{
    riommu_config *c = &ps->p->model;
    uint64_t v;
    if (accept(ps, "modes")) {
        unsigned modes = 0;
        if (at_end(ps))
            return fail(ps, "missing DDT modes (1LVL, 2LVL, 3LVL)");
        while (!at_end(ps)) {
            /* Words may also be comma-separated lists. */
            const char *t = next(ps);
            char item[16];
            while (*t) {
                size_t n = strcspn(t, ",");
                if (n == 0) {
                    t++;
                    continue;
                }
                if (n >= sizeof item)
                    return fail(ps, "unknown DDT mode '%.20s' (1LVL, 2LVL, 3LVL)", t);
                memcpy(item, t, n);
                item[n] = 0;
                t += n;
                if (cli_name_eq(item, "1lvl"))
                    modes |= 1u << RIOMMU_DDTP_MODE_1LVL;
                else if (cli_name_eq(item, "2lvl"))
                    modes |= 1u << RIOMMU_DDTP_MODE_2LVL;
                else if (cli_name_eq(item, "3lvl"))
                    modes |= 1u << RIOMMU_DDTP_MODE_3LVL;
                else if (cli_name_eq(item, "none"))
                    modes |= 0;
                else
                    return fail(ps, "unknown DDT mode '%s' (1LVL, 2LVL, 3LVL, none)", item);
            }
        }
        c->ddt_modes = (uint8_t)modes;
        return true;
    }
    if (accept(ps, "reset")) {
        const char *t = need_word(ps, "reset mode (off, bare)");
        if (!t)
            return false;
        if (cli_name_eq(t, "off"))
            c->ddtp_reset_mode = RIOMMU_DDTP_MODE_OFF;
        else if (cli_name_eq(t, "bare"))
            c->ddtp_reset_mode = RIOMMU_DDTP_MODE_BARE;
        else
            return fail(ps, "ddt reset mode must be off or bare, not '%s'", t);
        return need_end(ps);
    }
    if (accept(ps, "fixed-ppn")) {
        if (!num_range(ps, "PPN", 0, (1ull << 44) - 1, &v))
            return false;
        c->ddtp_fixed_ppn = v;
        return need_end(ps);
    }
    return fail(ps, "config ddt: expected modes, reset or fixed-ppn");
}

static bool config_queue(parser *ps, bool cq)
{
    riommu_config *c = &ps->p->model;
    uint64_t v;
    if (accept(ps, "max-entries")) {
        if (!num_range(ps, "max-entries", 2, 1ull << 32, &v))
            return false;
        if (!is_pow2(v))
            return fail(ps, "max-entries %llu is not a power of two", (unsigned long long)v);
        uint8_t l = (uint8_t)(ilog2(v) - 1);
        if (cq)
            c->cq_max_log2szm1 = l;
        else
            c->fq_max_log2szm1 = l;
        return need_end(ps);
    }
    if (accept(ps, "fixed-ppn")) {
        if (!num_range(ps, "PPN", 0, (1ull << 44) - 1, &v))
            return false;
        if (cq)
            c->cq_fixed_ppn = v;
        else
            c->fq_fixed_ppn = v;
        return need_end(ps);
    }
    return fail(ps, "config %s: expected max-entries or fixed-ppn", cq ? "cq" : "fq");
}

static bool parse_config(parser *ps)
{
    if (ps->acted)
        return fail(ps, "'config' must come before the first action (line %u)", ps->acted_line);
    ps->config_line = ps->line;
    riommu_config *c = &ps->p->model;
    const char *what = need_word(ps, "configuration item");
    if (!what)
        return false;
    if (cli_name_eq(what, "qemu")) {
        /* QEMU's implementation-defined parameters, as a model,qemu run
         * gives the reference: not a line that keeps QEMU out. */
        if (ps->p->nconfig || ps->p->qemu_params)
            return fail(ps, "'config qemu' must be the first config line");
        riommu_qemu_model_config(c);
        ps->p->qemu_params = true;
        return need_end(ps);
    }
    ps->p->nconfig++;
    uint64_t v;
    bool b;
    if (cli_name_eq(what, "caps") || cli_name_eq(what, "capabilities"))
        return config_caps(ps);
    if (cli_name_eq(what, "ddtc"))
        return config_cache(ps, &c->ddtc, "ddtc");
    if (cli_name_eq(what, "pdtc"))
        return config_cache(ps, &c->pdtc, "pdtc");
    if (cli_name_eq(what, "iotlb"))
        return config_cache(ps, &c->iotlb, "iotlb");
    if (cli_name_eq(what, "walkc"))
        return config_cache(ps, &c->walkc, "walkc");
    if (cli_name_eq(what, "timing"))
        return config_timing(ps);
    if (cli_name_eq(what, "ddt"))
        return config_ddt(ps);
    if (cli_name_eq(what, "cq"))
        return config_queue(ps, true);
    if (cli_name_eq(what, "fq"))
        return config_queue(ps, false);
    if (cli_name_eq(what, "num_vectors")) {
        if (!num_range(ps, what, 1, 16, &v))
            return false;
        c->num_vectors = (uint8_t)v;
    } else if (cli_name_eq(what, "hpm_counters")) {
        if (!num_range(ps, what, 1, 31, &v))
            return false;
        c->hpm_counters = (uint8_t)v;
    } else if (cli_name_eq(what, "hpm_counter_bits")) {
        if (!num_range(ps, what, 32, 64, &v))
            return false;
        c->hpm_counter_bits = (uint8_t)v;
    } else if (cli_name_eq(what, "rcid_bits") || cli_name_eq(what, "mcid_bits")) {
        if (!num_range(ps, what, 0, 12, &v))
            return false;
        if (cli_name_eq(what, "rcid_bits"))
            c->rcid_bits = (uint8_t)v;
        else
            c->mcid_bits = (uint8_t)v;
    } else if (cli_name_eq(what, "seed")) {
        if (!num_range(ps, what, 0, 0xFFFFFFFFull, &v))
            return false;
        c->seed = (uint32_t)v;
    } else if (cli_name_eq(what, "fctl_reset")) {
        if (!num_range(ps, what, 0, 7, &v))
            return false;
        c->fctl_reset = (uint32_t)v;
    } else if (cli_name_eq(what, "qb_write_clears_index")) {
        if (!onoff(ps, what, &b))
            return false;
        c->qb_write_clears_index = b;
    } else if (cli_name_eq(what, "fctl_gxl_writable")) {
        if (!onoff(ps, what, &b))
            return false;
        c->fctl_gxl_writable = b;
    } else if (cli_name_eq(what, "synchronous")) {
        if (!onoff(ps, what, &b))
            return false;
        c->synchronous = b;
    } else if (cli_name_eq(what, "check_pas")) {
        if (!onoff(ps, what, &b))
            return false;
        c->check_pas = b;
    } else if (cli_name_eq(what, "iotval_page_offset")) {
        if (!onoff(ps, what, &b))
            return false;
        c->iotval_page_offset = b;
    } else {
        return fail(ps, "unknown configuration item '%s'", what);
    }
    return need_end(ps);
}

/* ---- driver settings ---------------------------------------------------------------- */

static const struct {
    const char *name;
    size_t off;
} policy_switches[] = {
    {"empty_queue_before_enable", offsetof(riommu_drv_policy, empty_queue_before_enable)},
    {"iotinval_after_ddt_update", offsetof(riommu_drv_policy, iotinval_after_ddt_update)},
    {"stop_wait_on_cq_error", offsetof(riommu_drv_policy, stop_wait_on_cq_error)},
    {"shutdown_to_bare", offsetof(riommu_drv_policy, shutdown_to_bare)},
    {"mmio32", offsetof(riommu_drv_policy, mmio32)},
    {"sade", offsetof(riommu_drv_policy, sade)},
    {"generic_pt", offsetof(riommu_drv_policy, generic_pt)},
    {"napot_64k", offsetof(riommu_drv_policy, napot_64k)},
    {"overflow_safe_sync", offsetof(riommu_drv_policy, overflow_safe_sync)},
    {"polling", offsetof(riommu_drv_policy, polling)},
};

static bool parse_driver(parser *ps)
{
    if (ps->driver_up)
        return fail(ps, "driver settings apply at init: the driver is up since line %u "
                        "(remove, shutdown or crash it first)",
                    ps->init_line);
    scn_step *s = add_step(ps, SCN_DRIVER_SET);
    if (!s)
        return false;
    scn_set *set = &s->u.set;
    const char *what = need_word(ps, "driver setting (profile, bus, irqs, kdump, cq, fq, policy)");
    if (!what)
        return false;
    uint64_t v;
    bool b;
    if (cli_name_eq(what, "profile")) {
        const char *t = need_word(ps, "profile (linux-6.13, mainline)");
        if (!t)
            return false;
        set->which = SCN_SET_PROFILE;
        if (cli_name_eq(t, "mainline"))
            set->value = 0;
        else if (cli_name_eq(t, "linux-6.13") || cli_name_eq(t, "linux613") ||
                 cli_name_eq(t, "v10") || cli_name_eq(t, "6.13"))
            set->value = 1;
        else
            return fail(ps, "unknown driver profile '%s' (linux-6.13, mainline)", t);
    } else if (cli_name_eq(what, "bus")) {
        const char *t = need_word(ps, "bus (pci, platform)");
        if (!t)
            return false;
        set->which = SCN_SET_BUS;
        if (cli_name_eq(t, "pci"))
            set->value = RIOMMU_DRV_BUS_PCI;
        else if (cli_name_eq(t, "platform"))
            set->value = RIOMMU_DRV_BUS_PLATFORM;
        else
            return fail(ps, "unknown bus '%s' (pci, platform)", t);
    } else if (cli_name_eq(what, "irqs")) {
        if (!num_range(ps, "irqs", 0, 16, &v))
            return false;
        set->which = SCN_SET_IRQS;
        set->value = (unsigned)v;
    } else if (cli_name_eq(what, "kdump")) {
        if (!onoff(ps, "kdump", &b))
            return false;
        set->which = SCN_SET_KDUMP;
        set->value = b;
    } else if (cli_name_eq(what, "cq") || cli_name_eq(what, "fq")) {
        bool cq = cli_name_eq(what, "cq");
        if (!accept(ps, "entries"))
            return fail(ps, "driver %s: expected 'entries N'", what);
        if (!num_range(ps, "entries", 2, 1ull << 32, &v))
            return false;
        if (!is_pow2(v))
            return fail(ps, "entries %llu is not a power of two", (unsigned long long)v);
        set->which = cq ? SCN_SET_CQ_LOG2SZ : SCN_SET_FQ_LOG2SZ;
        set->value = ilog2(v) - 1;
    } else if (cli_name_eq(what, "policy")) {
        const char *t = need_word(ps, "policy switch");
        if (!t)
            return false;
        size_t i;
        for (i = 0; i < sizeof policy_switches / sizeof policy_switches[0]; i++)
            if (cli_name_eq(t, policy_switches[i].name))
                break;
        if (i == sizeof policy_switches / sizeof policy_switches[0])
            return fail(ps, "unknown policy switch '%s'", t);
        if (!onoff(ps, policy_switches[i].name, &b))
            return false;
        set->which = SCN_SET_POLICY;
        set->policy_off = policy_switches[i].off;
        set->value = b;
    } else {
        return fail(ps, "unknown driver setting '%s' (profile, bus, irqs, kdump, cq, fq, policy)",
                    what);
    }
    return need_end(ps);
}

/* ---- driver verbs ---------------------------------------------------------------------- */

static bool parse_map(parser *ps, scn_step *s)
{
    if (!domain_ref(ps, false, &s->dom) || !num(ps, "IOVA", &s->a) || !num(ps, "PA", &s->b) ||
        !num(ps, "size", &s->c))
        return false;
    unsigned prot = 0;
    bool any = false;
    while (!at_end(ps) && !cli_name_eq(peek(ps), "expect")) {
        const char *t = next(ps);
        any = true;
        if (cli_name_eq(t, "r"))
            prot |= RIOMMU_DRV_READ;
        else if (cli_name_eq(t, "w"))
            prot |= RIOMMU_DRV_WRITE;
        else if (cli_name_eq(t, "rw"))
            prot |= RIOMMU_DRV_READ | RIOMMU_DRV_WRITE;
        else if (cli_name_eq(t, "noexec"))
            prot |= RIOMMU_DRV_NOEXEC;
        else if (cli_name_eq(t, "cache"))
            prot |= RIOMMU_DRV_CACHE;
        else if (cli_name_eq(t, "mmio"))
            prot |= RIOMMU_DRV_MMIO;
        else if (cli_name_eq(t, "priv"))
            prot |= RIOMMU_DRV_PRIV;
        else
            return fail(ps, "unknown protection '%s' (r, w, rw, noexec, cache, mmio, priv)", t);
    }
    s->prot = any ? prot : (RIOMMU_DRV_READ | RIOMMU_DRV_WRITE);
    /* Bound the work: leaves of the largest size in {4K, 2M, 1G} the
     * alignment of iova|pa allows, plus the partial ends. */
    uint64_t merge = s->a | s->b;
    if (!(merge & 0xFFF) && s->c) {
        uint64_t g = 4096;
        if (!(merge & ((1ull << 21) - 1)))
            g = 1ull << 21;
        if (!(merge & ((1ull << 30) - 1)))
            g = 1ull << 30;
        uint64_t leaves = s->c / g + 1024;
        if (leaves > SCN_MAX_MAP_LEAVES || ps->p->map_leaves + leaves > SCN_MAX_MAP_LEAVES)
            return fail(ps, "map of %llu bytes at this alignment needs up to %llu page-table "
                            "leaves (the scenario's maps may write at most %u)",
                        (unsigned long long)s->c, (unsigned long long)leaves,
                        SCN_MAX_MAP_LEAVES);
        ps->p->map_leaves += leaves;
    }
    return opt_expect_err(ps, s);
}

static bool parse_unmap(parser *ps, scn_step *s)
{
    if (!domain_ref(ps, false, &s->dom) || !num(ps, "IOVA", &s->a) || !num(ps, "size", &s->c))
        return false;
    if (accept(ps, "nosync"))
        s->nosync = true;
    s->check.on = true;
    s->check.mask = ~0ull;
    s->check.value = s->c;
    if (accept(ps, "expect")) {
        if (!num(ps, "bytes unmapped", &s->check.value))
            return false;
    }
    return true;
}

static bool parse_cmd(parser *ps, scn_step *s)
{
    if (accept(ps, "sync")) {
        s->kind = SCN_CMD_SYNC;
        s->c = 90000000; /* Linux's IOFENCE timeout, us */
        if (accept(ps, "timeout")) {
            if (!num_range(ps, "timeout (us)", 1, 3600ull * 1000000, &s->c))
                return false;
        }
        return opt_expect_err(ps, s);
    }
    if (!num(ps, "command dword0", &s->a) || !num(ps, "command dword1", &s->b))
        return false;
    return true;
}

/* ---- raw access -------------------------------------------------------------------------- */

static bool access_width(parser *ps, const char *t, bool *write, unsigned *width)
{
    if (cli_name_eq(t, "read32") || cli_name_eq(t, "read64") || cli_name_eq(t, "read")) {
        *write = false;
    } else if (cli_name_eq(t, "write32") || cli_name_eq(t, "write64") || cli_name_eq(t, "write")) {
        *write = true;
    } else {
        return fail(ps, "expected read32, read64, write32 or write64, not '%s'", t);
    }
    size_t l = strlen(t);
    *width = (l > 2 && !strcmp(t + l - 2, "32")) ? 4 : (l > 2 && !strcmp(t + l - 2, "64")) ? 8 : 0;
    return true;
}

static bool parse_mmio(parser *ps, scn_step *s)
{
    const char *t = need_word(ps, "read32, read64, write32 or write64");
    bool wr = false;
    unsigned width = 0;
    if (!t || !access_width(ps, t, &wr, &width))
        return false;
    const char *r = need_word(ps, "register name or offset");
    if (!r)
        return false;
    uint32_t off;
    unsigned size;
    if (!cli_reg_parse(r, &off, &size))
        return fail(ps, "unknown register '%s'", r);
    if (!width) {
        if (!size)
            return fail(ps, "'%s' needs a width with a numeric offset (read32, read64, ...)", t);
        width = size;
    }
    if (size == 4 && width == 8)
        return fail(ps, "%s is a 4-byte register; use read32/write32", r);
    if (off % width)
        return fail(ps, "offset 0x%x is not aligned to %u bytes", off, width);
    if (off + width > RIOMMU_REG_WINDOW_SIZE)
        return fail(ps, "offset 0x%x is beyond the register window", off);
    s->off = off;
    s->width = width;
    uint64_t full = width == 8 ? ~0ull : 0xFFFFFFFFull;
    if (wr) {
        s->kind = SCN_MMIO_WRITE;
        if (!num(ps, "value", &s->a))
            return false;
        if (s->a & ~full)
            return fail(ps, "value 0x%llx does not fit in %u bytes", (unsigned long long)s->a,
                        width);
        return need_end(ps);
    }
    s->kind = SCN_MMIO_READ;
    if (accept(ps, "expect") && !parse_check(ps, &s->check, full))
        return false;
    return need_end(ps);
}

static bool parse_mem(parser *ps, scn_step *s)
{
    const char *t = need_word(ps, "read32, read64, write32 or write64");
    bool wr = false;
    unsigned width = 0;
    if (!t || !access_width(ps, t, &wr, &width))
        return false;
    if (!width)
        return fail(ps, "mem needs an explicit width (read32, read64, write32, write64)");
    if (!num_range(ps, "physical address", 0, (1ull << 56) - 1, &s->a))
        return false;
    if (s->a % width)
        return fail(ps, "address 0x%llx is not aligned to %u bytes", (unsigned long long)s->a,
                    width);
    s->width = width;
    uint64_t full = width == 8 ? ~0ull : 0xFFFFFFFFull;
    if (wr) {
        s->kind = SCN_MEM_WRITE;
        if (!num(ps, "value", &s->b))
            return false;
        if (s->b & ~full)
            return fail(ps, "value 0x%llx does not fit in %u bytes", (unsigned long long)s->b,
                        width);
        return need_end(ps);
    }
    s->kind = SCN_MEM_READ;
    if (accept(ps, "expect") && !parse_check(ps, &s->check, full))
        return false;
    return need_end(ps);
}

static bool parse_dc(parser *ps, scn_step *s)
{
    static const char *const fields[] = {"tc",     "iohgatp",       "ta",
                                         "fsc",    "msiptp",        "msi_addr_mask",
                                         "msi_addr_pattern"};
    if (!target_ref(ps, s))
        return false;
    const char *t = need_word(ps, "device-context field (tc, iohgatp, ta, fsc, msiptp, ...)");
    if (!t)
        return false;
    size_t i;
    for (i = 0; i < sizeof fields / sizeof fields[0]; i++)
        if (cli_name_eq(t, fields[i]))
            break;
    if (i == sizeof fields / sizeof fields[0])
        return fail(ps, "unknown device-context field '%s'", t);
    s->field = (unsigned)i;
    if (accept(ps, "expect") && !parse_check(ps, &s->check, ~0ull))
        return false;
    return need_end(ps);
}

static bool parse_pte(parser *ps, scn_step *s)
{
    if (!target_ref(ps, s) || !num(ps, "IOVA", &s->a))
        return false;
    if (accept(ps, "write")) {
        /* pte DEV IOVA write V [mask M]: edit the leaf behind the driver */
        s->kind = SCN_PTE_WRITE;
        s->c = ~0ull;
        if (!num(ps, "PTE value", &s->b))
            return false;
        if (accept(ps, "mask") && !num(ps, "mask", &s->c))
            return false;
        if (!s->c)
            return fail(ps, "pte write with mask 0 changes nothing");
        return need_end(ps);
    }
    if (accept(ps, "expect") && !parse_check(ps, &s->check, ~0ull))
        return false;
    return need_end(ps);
}

/* ---- dma -------------------------------------------------------------------------------- */

static bool hex_bytes(parser *ps, uint8_t **out, size_t *n)
{
    const char *t = need_word(ps, "hex bytes");
    if (!t)
        return false;
    size_t l = strlen(t);
    if (l % 2)
        return fail(ps, "data '%.40s' has an odd number of hex digits", t);
    if (l / 2 > SCN_MAX_DATA)
        return fail(ps, "data longer than %u bytes", SCN_MAX_DATA);
    uint8_t *b = malloc(l / 2 ? l / 2 : 1);
    if (!b)
        return fail(ps, "out of memory");
    for (size_t i = 0; i < l; i++) {
        char c = t[i];
        unsigned d;
        if (c >= '0' && c <= '9')
            d = (unsigned)(c - '0');
        else if (c >= 'a' && c <= 'f')
            d = (unsigned)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F')
            d = (unsigned)(c - 'A' + 10);
        else {
            free(b);
            return fail(ps, "data '%.40s' is not hex bytes (no 0x; e.g. data 0011aabb)", t);
        }
        if (i % 2)
            b[i / 2] = (uint8_t)(b[i / 2] | d);
        else
            b[i / 2] = (uint8_t)(d << 4);
    }
    if (!l) {
        free(b);
        return fail(ps, "empty data");
    }
    *out = b;
    *n = l / 2;
    return true;
}

static bool parse_dma(parser *ps, scn_step *s)
{
    scn_dma *d = &s->u.dma;
    d->recorded = -1;
    d->iotlb = -1;
    if (!target_ref(ps, s))
        return false;
    const char *t = need_word(ps, "access (read, write, exec)");
    if (!t)
        return false;
    if (cli_name_eq(t, "read"))
        d->access = RIOMMU_READ;
    else if (cli_name_eq(t, "write"))
        d->access = RIOMMU_WRITE;
    else if (cli_name_eq(t, "exec"))
        d->access = RIOMMU_EXEC;
    else
        return fail(ps, "unknown access '%s' (read, write, exec)", t);
    uint64_t v;
    if (!num(ps, "IOVA", &d->iova) || !num_range(ps, "length", 1, SCN_MAX_DMA_LEN, &v))
        return false;
    d->len = (uint32_t)v;
    if (d->iova + (d->len - 1) < d->iova)
        return fail(ps, "the access wraps around the top of the address space");
    for (;;) {
        if (accept(ps, "data")) {
            if (d->access != RIOMMU_WRITE)
                return fail(ps, "'data' before 'expect' gives write data; this is a %s", t);
            if (d->wdata)
                return fail(ps, "data given twice");
            if (!hex_bytes(ps, &d->wdata, &d->wlen))
                return false;
        } else if (accept(ps, "pid")) {
            if (!num_range(ps, "process ID", 0, (1u << 20) - 1, &v))
                return false;
            d->pv = true;
            d->pid = (uint32_t)v;
        } else if (accept(ps, "priv")) {
            d->priv = true;
        } else {
            break;
        }
    }
    if (!accept(ps, "expect"))
        return at_end(ps) ? fail(ps, "dma needs an expectation: expect ok ... or expect fault CAUSE")
                          : fail(ps, "unexpected '%s' (expected data, pid, priv or expect)",
                                 peek(ps));
    const char *e = need_word(ps, "ok or fault");
    if (!e)
        return false;
    if (cli_name_eq(e, "fault")) {
        d->want_fault = true;
        const char *c = need_word(ps, "fault cause");
        if (!c)
            return false;
        if (!cli_cause_parse(c, &d->cause))
            return fail(ps, "unknown fault cause '%s'", c);
        if (accept(ps, "recorded"))
            d->recorded = 1;
        else if (accept(ps, "unrecorded"))
            d->recorded = 0;
        return need_end(ps);
    }
    if (cli_name_eq(e, "bad-request")) {
        d->want_fault = true;
        d->cause = 0xFFFF; /* marker: RIOMMU_RSP_BAD_REQUEST */
        return need_end(ps);
    }
    if (!cli_name_eq(e, "ok"))
        return fail(ps, "expected 'ok', 'fault CAUSE' or 'bad-request', not '%s'", e);
    while (!at_end(ps)) {
        if (accept(ps, "pa")) {
            if (!num(ps, "PA", &d->pa))
                return false;
            d->has_pa = true;
        } else if (accept(ps, "range")) {
            if (!num(ps, "range size", &d->range))
                return false;
            d->has_range = true;
        } else if (accept(ps, "data")) {
            if (d->access == RIOMMU_WRITE)
                return fail(ps, "expected data is for read or exec; a write supplies data "
                                "before 'expect'");
            if (d->rdata)
                return fail(ps, "data given twice");
            if (!hex_bytes(ps, &d->rdata, &d->rlen))
                return false;
        } else if (accept(ps, "iotlb-hit")) {
            d->iotlb = 1;
        } else if (accept(ps, "iotlb-miss")) {
            d->iotlb = 0;
        } else {
            return fail(ps, "unexpected '%s' (expected pa, range, data, iotlb-hit, iotlb-miss)",
                        peek(ps));
        }
    }
    return true;
}

/* ---- expectations ---------------------------------------------------------------------------- */

static bool ttyp_parse(const char *s, unsigned *t)
{
    static const struct {
        const char *name;
        unsigned v;
    } tt[] = {
        {"none", 0},           {"untranslated-exec", 1}, {"untranslated-read", 2},
        {"untranslated-write", 3}, {"translated-exec", 5}, {"translated-read", 6},
        {"translated-write", 7}, {"ats-translation", 8},  {"pcie-message", 9},
    };
    for (size_t i = 0; i < sizeof tt / sizeof tt[0]; i++)
        if (cli_name_eq(s, tt[i].name)) {
            *t = tt[i].v;
            return true;
        }
    uint64_t v;
    if (parse_number(s, &v) == 0 && v <= 63) {
        *t = (unsigned)v;
        return true;
    }
    return false;
}

static bool parse_expect_record(parser *ps, scn_step *s)
{
    scn_rec *r = &s->u.rec;
    uint64_t v;
    while (!at_end(ps)) {
        const char *t = next(ps);
        if (cli_name_eq(t, "cause")) {
            const char *c = need_word(ps, "fault cause");
            if (!c)
                return false;
            if (!cli_cause_parse(c, &r->cause))
                return fail(ps, "unknown fault cause '%s'", c);
            r->fields |= SCN_REC_CAUSE;
        } else if (cli_name_eq(t, "ttyp")) {
            const char *c = need_word(ps, "transaction type");
            if (!c)
                return false;
            if (!ttyp_parse(c, &r->ttyp))
                return fail(ps, "unknown transaction type '%s'", c);
            r->fields |= SCN_REC_TTYP;
        } else if (cli_name_eq(t, "device")) {
            const char *c = peek(ps);
            if (!c)
                return fail(ps, "missing device");
            if (c[0] >= '0' && c[0] <= '9') {
                if (!num_range(ps, "device ID", 0, (1u << 24) - 1, &v))
                    return false;
                r->did = (uint32_t)v;
            } else {
                next(ps);
                name_ent *e = find_name(ps, c, false);
                if (!e || !e->is_dev)
                    return fail(ps, "undefined device '%s'", c);
                r->did = e->id0;
            }
            r->fields |= SCN_REC_DID;
        } else if (cli_name_eq(t, "pid")) {
            if (!num_range(ps, "process ID", 0, (1u << 20) - 1, &v))
                return false;
            r->pid = (uint32_t)v;
            r->pv = true;
            r->fields |= SCN_REC_PID | SCN_REC_PV;
        } else if (cli_name_eq(t, "no-pid")) {
            r->pv = false;
            r->fields |= SCN_REC_PV;
        } else if (cli_name_eq(t, "priv")) {
            r->priv = true;
            r->fields |= SCN_REC_PRIV;
        } else if (cli_name_eq(t, "iova") || cli_name_eq(t, "iotval")) {
            if (!num(ps, "IOVA", &r->iotval))
                return false;
            r->fields |= SCN_REC_IOTVAL;
        } else if (cli_name_eq(t, "iotval2")) {
            if (!num(ps, "iotval2", &r->iotval2))
                return false;
            r->fields |= SCN_REC_IOTVAL2;
        } else {
            return fail(ps, "unexpected '%s' (expected cause, ttyp, device, pid, no-pid, priv, "
                            "iova, iotval2)",
                        t);
        }
    }
    if (!r->fields)
        return fail(ps, "expect fault-record needs at least one field (cause, device, iova, ...)");
    return true;
}

static bool parse_stat_name(parser *ps, const char *name, scn_stat *st)
{
    static const struct {
        const char *name;
        size_t off;
    } model[] = {
        {"translations", offsetof(riommu_stats, translations)},
        {"translations_ok", offsetof(riommu_stats, translations_ok)},
        {"fault_records_written", offsetof(riommu_stats, fault_records_written)},
        {"fault_records_dropped", offsetof(riommu_stats, fault_records_dropped)},
        {"fault_records_suppressed", offsetof(riommu_stats, fault_records_suppressed)},
        {"ddt_walks", offsetof(riommu_stats, ddt_walks)},
        {"s1_walks", offsetof(riommu_stats, s1_walks)},
        {"ad_updates", offsetof(riommu_stats, ad_updates)},
        {"commands_illegal", offsetof(riommu_stats, commands_illegal)},
        {"msis_sent", offsetof(riommu_stats, msis_sent)},
        {"wire_edges", offsetof(riommu_stats, wire_edges)},
        {"mmio_reads", offsetof(riommu_stats, mmio_reads)},
        {"mmio_writes", offsetof(riommu_stats, mmio_writes)},
        {"mmio_errors", offsetof(riommu_stats, mmio_errors)},
    };
    static const struct {
        const char *name;
        size_t off;
    } cachef[] = {
        {"lookups", offsetof(riommu_cache_stats, lookups)},
        {"hits", offsetof(riommu_cache_stats, hits)},
        {"misses", offsetof(riommu_cache_stats, misses)},
        {"fills", offsetof(riommu_cache_stats, fills)},
        {"evictions", offsetof(riommu_cache_stats, evictions)},
        {"invalidations", offsetof(riommu_cache_stats, invalidations)},
    };
    static const struct {
        const char *name;
        size_t off;
    } drv[] = {
        {"commands", offsetof(riommu_drv_stats, commands)},
        {"fences", offsetof(riommu_drv_stats, fences)},
        {"faults_drained", offsetof(riommu_drv_stats, faults_drained)},
        {"irqs_handled", offsetof(riommu_drv_stats, irqs_handled)},
        {"pages_mapped", offsetof(riommu_drv_stats, pages_mapped)},
        {"pages_unmapped", offsetof(riommu_drv_stats, pages_unmapped)},
    };
    static const struct {
        const char *name;
        unsigned op, fn;
    } cmds[] = {
        {"iotinval.vma", 1, 0}, {"iotinval.gvma", 1, 1}, {"iofence.c", 2, 0},
        {"iodir.inval_ddt", 3, 0}, {"iodir.inval_pdt", 3, 1}, {"ats.inval", 4, 0},
        {"ats.prgr", 4, 1},
    };
    static const char *const opnames[] = {"", "iotinval", "iofence", "iodir", "ats"};
    static const char *const caches[] = {"ddtc", "pdtc", "iotlb", "walkc"};

    if (strlen(name) >= sizeof st->name)
        return fail(ps, "unknown statistic '%.*s...' (names are shorter)", 40, name);
    snprintf(st->name, sizeof st->name, "%s", name);
    if (!strncmp(name, "iommu.", 6)) {
        /* the statistics table's names, as --stats writes them: known
         * from a table of zeros (its rows do not depend on the values) */
        riommu_stats zero;
        memset(&zero, 0, sizeof zero);
        riommu_stat_table t;
        memset(&t, 0, sizeof t);
        if (!riommu_stats_table_build(&t, &zero, 0))
            return fail(ps, "out of memory");
        const riommu_stat_row *row = riommu_stats_table_find(&t, name);
        bool real = row && row->is_real;
        riommu_stats_table_free(&t);
        if (!row)
            return fail(ps, "unknown statistic '%s' (docs/stats.md lists the iommu.* names)",
                        name);
        if (real)
            return fail(ps, "statistic '%s' is a ratio or a mean; expect stat compares counts",
                        name);
        st->src = SCN_STAT_TABLE;
        return true;
    }
    for (size_t i = 0; i < sizeof model / sizeof model[0]; i++)
        if (cli_name_eq(name, model[i].name)) {
            st->src = SCN_STAT_MODEL;
            st->off = model[i].off;
            return true;
        }
    if (cli_name_eq(name, "msis")) {
        st->src = SCN_STAT_MSIS;
        return true;
    }
    if (cli_name_eq(name, "wires")) {
        st->src = SCN_STAT_WIRES;
        return true;
    }
    const char *dot = strchr(name, '.');
    if (!dot)
        return fail(ps, "unknown statistic '%s'", name);
    char head[16];
    size_t hl = (size_t)(dot - name);
    if (hl >= sizeof head)
        return fail(ps, "unknown statistic '%s'", name);
    memcpy(head, name, hl);
    head[hl] = 0;
    const char *rest = dot + 1;
    for (unsigned c = 0; c < 4; c++)
        if (cli_name_eq(head, caches[c])) {
            for (size_t i = 0; i < sizeof cachef / sizeof cachef[0]; i++)
                if (cli_name_eq(rest, cachef[i].name)) {
                    st->src = SCN_STAT_CACHE;
                    st->a = c;
                    st->off = cachef[i].off;
                    return true;
                }
            return fail(ps, "unknown cache statistic '%s' (lookups, hits, misses, fills, "
                            "evictions, invalidations)",
                        rest);
        }
    if (cli_name_eq(head, "faults")) {
        unsigned cause;
        if (!cli_cause_parse(rest, &cause) || cause >= RIOMMU_STAT_CAUSES)
            return fail(ps, "unknown fault cause '%s'", rest);
        st->src = SCN_STAT_FAULTS;
        st->a = cause;
        return true;
    }
    if (cli_name_eq(head, "cmd")) {
        for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++)
            if (cli_name_eq(rest, cmds[i].name)) {
                st->src = SCN_STAT_CMD;
                st->a = cmds[i].op;
                st->b = cmds[i].fn;
                return true;
            }
        return fail(ps, "unknown command '%s' (iotinval.vma, iofence.c, iodir.inval_ddt, ...)",
                    rest);
    }
    if (cli_name_eq(head, "drv")) {
        for (size_t i = 0; i < sizeof drv / sizeof drv[0]; i++)
            if (cli_name_eq(rest, drv[i].name)) {
                st->src = SCN_STAT_DRV;
                st->off = drv[i].off;
                return true;
            }
        if (!strncmp(rest, "cmd.", 4))
            for (unsigned op = 1; op < 5; op++)
                if (cli_name_eq(rest + 4, opnames[op])) {
                    st->src = SCN_STAT_DRV_CMD;
                    st->a = op;
                    return true;
                }
        return fail(ps, "unknown driver statistic '%s'", rest);
    }
    return fail(ps, "unknown statistic '%s'", name);
}

static bool parse_expect(parser *ps)
{
    const char *t = need_word(ps, "expectation");
    if (!t)
        return false;
    riommu_drv_err e;
    if (cli_err_parse(t, &e)) {
        /* `expect ERR` on its own line: the previous step's result. */
        if (ps->result_step < 0)
            return fail(ps, "'expect %s' must follow a driver verb that returns a result "
                            "(init, probe, domain, attach, detach, map, cmd sync)",
                        t);
        scn_step *s = &ps->p->steps[ps->result_step];
        if (s->expect_line || s->want != RIOMMU_DRV_OK)
            return fail(ps, "the step on line %u already has an expectation", s->line);
        s->want = e;
        s->expect_line = ps->line;
        if (e != RIOMMU_DRV_OK) {
            if (s->kind == SCN_INIT)
                ps->driver_up = false;
            else if (s->kind == SCN_PROBE)
                undefine_slot(ps, true, s->dev);
            else if (s->kind == SCN_DOMAIN)
                undefine_slot(ps, false, s->dom);
        }
        return need_end(ps);
    }
    if (cli_name_eq(t, "fault-record")) {
        scn_step *s = add_step(ps, SCN_EXPECT_RECORD);
        return s && parse_expect_record(ps, s);
    }
    if (cli_name_eq(t, "event")) {
        scn_step *s = add_step(ps, SCN_EXPECT_EVENT);
        if (!s)
            return false;
        const char *k = need_word(ps, "event kind");
        if (!k)
            return false;
        if (!cli_event_parse(k, &s->u.ev.kind) || s->u.ev.kind == RIOMMU_DRV_EV_FAULT)
            return fail(ps, "unknown event '%s' (cq-error, fq-error, enqueue-timeout, "
                            "exec-timeout, queue-timeout, already-attached)",
                        k);
        if (accept(ps, "value") && !parse_check(ps, &s->u.ev.check, ~0ull))
            return false;
        return need_end(ps);
    }
    if (cli_name_eq(t, "no-events")) {
        scn_step *s = add_step(ps, SCN_EXPECT_NO_EVENTS);
        return s && need_end(ps);
    }
    if (cli_name_eq(t, "stat")) {
        scn_step *s = add_step(ps, SCN_EXPECT_STAT);
        if (!s)
            return false;
        const char *n = need_word(ps, "statistic name");
        if (!n || !parse_stat_name(ps, n, &s->u.stat))
            return false;
        static const struct {
            const char *w;
            scn_cmp c;
        } ops[] = {{"=", SCN_EQ}, {"==", SCN_EQ}, {"!=", SCN_NE}, {"<", SCN_LT},
                   {"<=", SCN_LE}, {">", SCN_GT}, {">=", SCN_GE}};
        s->u.stat.cmp = SCN_EQ;
        const char *o = peek(ps);
        for (size_t i = 0; o && i < sizeof ops / sizeof ops[0]; i++)
            if (!strcmp(o, ops[i].w)) {
                s->u.stat.cmp = ops[i].c;
                next(ps);
                break;
            }
        if (!num(ps, "expected value", &s->u.stat.value))
            return false;
        return need_end(ps);
    }
    if (cli_name_eq(t, "reg")) {
        scn_step *s = add_step(ps, SCN_MMIO_READ);
        if (!s)
            return false;
        const char *r = need_word(ps, "register name");
        if (!r)
            return false;
        uint32_t off;
        unsigned size;
        if (!cli_reg_parse(r, &off, &size) || !size)
            return fail(ps, "unknown register '%s' (expect reg takes a register name)", r);
        s->off = off;
        s->width = size;
        return parse_check(ps, &s->check, size == 8 ? ~0ull : 0xFFFFFFFFull) && need_end(ps);
    }
    return fail(ps, "unknown expectation '%s' (ERR, fault-record, event, no-events, stat, reg)",
                t);
}

/* ---- statements ----------------------------------------------------------------------------- */

static bool returns_result(scn_kind k)
{
    return k == SCN_INIT || k == SCN_PROBE || k == SCN_DOMAIN || k == SCN_ATTACH ||
           k == SCN_DETACH || k == SCN_MAP || k == SCN_CMD_SYNC;
}

static bool repeatable(scn_kind k)
{
    switch (k) {
    case SCN_DMA: case SCN_CMD: case SCN_CMD_SYNC: case SCN_MMIO_READ: case SCN_MMIO_WRITE:
    case SCN_MEM_READ: case SCN_MEM_WRITE: case SCN_PROCESS: case SCN_STEP: case SCN_SETTLE:
    case SCN_SYNC: case SCN_FLUSH: case SCN_ATTACH: case SCN_DETACH: case SCN_IOVA_TO_PHYS:
    case SCN_ECHO:
        return true;
    default:
        return false;
    }
}

static bool statement(parser *ps)
{
    uint64_t repeat = 1;
    if (accept(ps, "repeat")) {
        if (!num_range(ps, "repeat count", 1, SCN_MAX_REPEAT, &repeat))
            return false;
        if (at_end(ps))
            return fail(ps, "repeat needs a statement after the count");
    }
    size_t before = ps->p->nsteps;
    const char *verb = next(ps);
    bool ok;
    scn_step *s = NULL;
    long result = -1;

#define STEP(k)                                                                     \
    do {                                                                            \
        s = add_step(ps, (k));                                                      \
        if (!s)                                                                     \
            return false;                                                           \
    } while (0)

    if (cli_name_eq(verb, "config")) {
        ok = parse_config(ps);
    } else if (cli_name_eq(verb, "driver")) {
        ok = parse_driver(ps);
    } else if (cli_name_eq(verb, "init")) {
        if (ps->driver_up)
            return fail(ps, "init: the driver is already up since line %u (remove, shutdown or "
                            "crash it first)",
                        ps->init_line);
        STEP(SCN_INIT);
        ok = opt_expect_err(ps, s) && need_end(ps);
        ps->driver_up = s->want == RIOMMU_DRV_OK;
        ps->init_line = ps->line;
    } else if (cli_name_eq(verb, "probe")) {
        if (!need_driver(ps, verb))
            return false;
        STEP(SCN_PROBE);
        const char *name = need_word(ps, "device name");
        if (!name)
            return false;
        if (at_end(ps) || cli_name_eq(peek(ps), "expect"))
            return fail(ps, "probe %s: missing device ID", name);
        uint32_t ids[SCN_MAX_IDS];
        unsigned n = 0;
        while (!at_end(ps) && !cli_name_eq(peek(ps), "expect")) {
            uint64_t v;
            if (n == SCN_MAX_IDS)
                return fail(ps, "more than %u device IDs", SCN_MAX_IDS);
            if (!num_range(ps, "device ID", 0, 0xFFFFFFFFull, &v))
                return false;
            ids[n++] = (uint32_t)v;
        }
        s->ids = malloc(n * sizeof *ids);
        if (!s->ids)
            return fail(ps, "out of memory");
        memcpy(s->ids, ids, n * sizeof *ids);
        s->nids = n;
        if (!define(ps, name, true, ids[0], &s->dev))
            return false;
        ok = opt_expect_err(ps, s) && need_end(ps);
        if (ok && s->want != RIOMMU_DRV_OK)
            undefine_slot(ps, true, s->dev);
    } else if (cli_name_eq(verb, "domain")) {
        if (!need_driver(ps, verb))
            return false;
        STEP(SCN_DOMAIN);
        const char *name = need_word(ps, "domain name");
        if (!name || !define(ps, name, false, 0, &s->dom))
            return false;
        ok = opt_expect_err(ps, s) && need_end(ps);
        if (ok && s->want != RIOMMU_DRV_OK)
            undefine_slot(ps, false, s->dom);
    } else if (cli_name_eq(verb, "attach")) {
        if (!need_driver(ps, verb))
            return false;
        STEP(SCN_ATTACH);
        ok = device_ref(ps, &s->dev) && domain_ref(ps, true, &s->dom) &&
             opt_expect_err(ps, s) && need_end(ps);
    } else if (cli_name_eq(verb, "detach")) {
        if (!need_driver(ps, verb))
            return false;
        STEP(SCN_DETACH);
        ok = device_ref(ps, &s->dev) && opt_expect_err(ps, s) && need_end(ps);
    } else if (cli_name_eq(verb, "release")) {
        if (!need_driver(ps, verb))
            return false;
        STEP(SCN_RELEASE);
        ok = device_ref(ps, &s->dev) && need_end(ps);
        if (ok)
            undefine_slot(ps, true, s->dev);
    } else if (cli_name_eq(verb, "free")) {
        if (!need_driver(ps, verb))
            return false;
        STEP(SCN_FREE);
        ok = domain_ref(ps, false, &s->dom) && need_end(ps);
        if (ok)
            undefine_slot(ps, false, s->dom);
    } else if (cli_name_eq(verb, "map")) {
        if (!need_driver(ps, verb))
            return false;
        STEP(SCN_MAP);
        ok = parse_map(ps, s) && need_end(ps);
    } else if (cli_name_eq(verb, "unmap")) {
        if (!need_driver(ps, verb))
            return false;
        STEP(SCN_UNMAP);
        ok = parse_unmap(ps, s) && need_end(ps);
    } else if (cli_name_eq(verb, "sync") || cli_name_eq(verb, "flush")) {
        if (!need_driver(ps, verb))
            return false;
        STEP(cli_name_eq(verb, "sync") ? SCN_SYNC : SCN_FLUSH);
        ok = domain_ref(ps, false, &s->dom) && need_end(ps);
    } else if (cli_name_eq(verb, "iova-to-phys")) {
        if (!need_driver(ps, verb))
            return false;
        STEP(SCN_IOVA_TO_PHYS);
        ok = domain_ref(ps, true, &s->dom) && num(ps, "IOVA", &s->a);
        if (ok && accept(ps, "expect"))
            ok = parse_check(ps, &s->check, ~0ull);
        ok = ok && need_end(ps);
    } else if (cli_name_eq(verb, "remove") || cli_name_eq(verb, "shutdown") ||
               cli_name_eq(verb, "crash")) {
        if (!need_driver(ps, verb))
            return false;
        STEP(cli_name_eq(verb, "remove")     ? SCN_REMOVE
             : cli_name_eq(verb, "shutdown") ? SCN_SHUTDOWN
                                             : SCN_CRASH);
        ok = need_end(ps);
        ps->driver_up = false;
        undefine_all(ps);
    } else if (cli_name_eq(verb, "process")) {
        if (!need_driver(ps, verb))
            return false;
        STEP(SCN_PROCESS);
        ok = true;
        if (accept(ps, "expect"))
            ok = parse_check(ps, &s->check, ~0ull);
        ok = ok && need_end(ps);
    } else if (cli_name_eq(verb, "cmd")) {
        if (!need_driver(ps, verb))
            return false;
        STEP(SCN_CMD);
        ok = parse_cmd(ps, s) && need_end(ps);
    } else if (cli_name_eq(verb, "cq-repair")) {
        if (!need_driver(ps, verb))
            return false;
        STEP(SCN_CQ_REPAIR);
        ok = need_end(ps);
    } else if (cli_name_eq(verb, "mmio")) {
        STEP(SCN_MMIO_READ);
        ok = parse_mmio(ps, s);
    } else if (cli_name_eq(verb, "mem")) {
        STEP(SCN_MEM_READ);
        ok = parse_mem(ps, s);
    } else if (cli_name_eq(verb, "dc")) {
        STEP(SCN_DC_READ);
        ok = parse_dc(ps, s);
    } else if (cli_name_eq(verb, "pte")) {
        STEP(SCN_PTE_READ);
        ok = parse_pte(ps, s);
    } else if (cli_name_eq(verb, "dma")) {
        STEP(SCN_DMA);
        ok = parse_dma(ps, s);
    } else if (cli_name_eq(verb, "expect")) {
        if (repeat > 1)
            return fail(ps, "'expect' cannot be repeated");
        ok = parse_expect(ps);
    } else if (cli_name_eq(verb, "step")) {
        STEP(SCN_STEP);
        ok = num_range(ps, "cycles", 0, SCN_MAX_STEP_CYCLES, &s->a) && need_end(ps);
    } else if (cli_name_eq(verb, "settle")) {
        STEP(SCN_SETTLE);
        ok = need_end(ps);
    } else if (cli_name_eq(verb, "echo")) {
        STEP(SCN_ECHO);
        ok = true;
    } else {
        return fail(ps, "unknown verb '%s'", verb);
    }
#undef STEP
    if (!ok)
        return false;
    if (s) {
        if (returns_result(s->kind))
            result = (long)(s - ps->p->steps);
    } else if (ps->p->nsteps > before) {
        s = &ps->p->steps[ps->p->nsteps - 1];
    }
    if (cli_name_eq(verb, "expect") && !s) {
        /* `expect ERR` attached to the previous step: it stays the target
         * of nothing further. */
        ps->result_step = -1;
        return true;
    }
    ps->result_step = result;
    if (s) {
        if (repeat > 1 && !repeatable(s->kind))
            return fail(ps, "'%s' cannot be repeated", verb);
        s->repeat = (uint32_t)repeat;
        ps->p->work += repeat;
        if (ps->p->work > SCN_MAX_WORK)
            return fail(ps, "the scenario runs more than %u steps (repeat counts included)",
                        SCN_MAX_WORK);
    }
    return true;
}

/* Split the current line into words; the code part must be printable. */
static bool tokenize(parser *ps, const char *line, size_t len)
{
    if (len > SCN_MAX_LINE)
        return fail(ps, "line longer than %u bytes", SCN_MAX_LINE);
    memcpy(ps->buf, line, len);
    ps->buf[len] = 0;
    size_t code = len;
    for (size_t i = 0; i < len; i++)
        if (ps->buf[i] == '#') {
            code = i;
            break;
        }
    ps->buf[code] = 0;
    while (code > 0 && (ps->buf[code - 1] == '\r' || ps->buf[code - 1] == ' ' ||
                        ps->buf[code - 1] == '\t'))
        ps->buf[--code] = 0;
    ps->ntok = ps->pos = 0;
    char *c = ps->buf;
    for (size_t i = 0; i < code; i++) {
        unsigned char ch = (unsigned char)c[i];
        if (ch != '\t' && (ch < 0x20 || ch > 0x7E))
            return fail(ps, "invalid character 0x%02x (scenarios are ASCII outside comments)",
                        ch);
    }
    for (size_t i = 0; i < code;) {
        while (i < code && (c[i] == ' ' || c[i] == '\t'))
            c[i++] = 0;
        if (i >= code)
            break;
        if (ps->ntok == SCN_MAX_TOKENS)
            return fail(ps, "more than %u words on one line", SCN_MAX_TOKENS);
        ps->tok[ps->ntok++] = &c[i];
        while (i < code && c[i] != ' ' && c[i] != '\t')
            i++;
    }
    return true;
}

static void free_step(scn_step *s)
{
    free(s->text);
    free(s->ids);
    if (s->kind == SCN_DMA) {
        free(s->u.dma.wdata);
        free(s->u.dma.rdata);
    }
}

void scn_free(scn_program *p)
{
    if (!p)
        return;
    for (size_t i = 0; i < p->nsteps; i++)
        free_step(&p->steps[i]);
    free(p->steps);
    free(p->dev_names);
    free(p->dom_names);
    free(p->file);
    free(p->config_src);
    free(p);
}

/* Keep a `config` line (not `config qemu`) as written, with its line
 * number as a `#line` comment so scn_config_apply reports the scenario's. */
static void keep_config_line(parser *ps, const char *text, size_t len)
{
    if (ps->ntok < 2 || !cli_name_eq(ps->tok[0], "config") || cli_name_eq(ps->tok[1], "qemu"))
        return;
    scn_program *p = ps->p;
    size_t have = p->config_src ? strlen(p->config_src) : 0;
    char *n = realloc(p->config_src, have + len + 2);
    if (!n) {
        fail(ps, "out of memory");
        return;
    }
    memcpy(n + have, text, len);
    n[have + len] = '\n';
    n[have + len + 1] = 0;
    p->config_src = n;
    if (p->nconfig_lines < SCN_CONFIG_APPLY_MAX)
        p->config_lines[p->nconfig_lines++] = ps->line;
}

static scn_program *parse_from(const char *file, const char *text, size_t len,
                               const riommu_config *base, const scn_program *numbering,
                               scn_error *err);

scn_program *scn_parse(const char *file, const char *text, size_t len, scn_error *err)
{
    return parse_from(file, text, len, NULL, NULL, err);
}

bool scn_config_apply(const scn_program *p, riommu_config *cfg, scn_error *err)
{
    memset(err, 0, sizeof *err);
    if (!p->config_src)
        return true;
    scn_program *q = parse_from(p->file, p->config_src, strlen(p->config_src), cfg, p, err);
    if (!q)
        return false;
    *cfg = q->model;
    scn_free(q);
    return true;
}

static scn_program *parse_from(const char *file, const char *text, size_t len,
                               const riommu_config *base, const scn_program *numbering,
                               scn_error *err)
{
    memset(err, 0, sizeof *err);
    parser *ps = calloc(1, sizeof *ps);
    scn_program *p = calloc(1, sizeof *p);
    if (!ps || !p) {
        free(ps);
        free(p);
        snprintf(err->msg, sizeof err->msg, "out of memory");
        return NULL;
    }
    ps->p = p;
    ps->err = err;
    ps->result_step = -1;
    size_t fl = strlen(file);
    p->file = malloc(fl + 1);
    if (!p->file) {
        fail(ps, "out of memory");
    } else {
        memcpy(p->file, file, fl + 1);
    }
    if (base)
        p->model = *base;
    else
        riommu_config_default(&p->model);
    if (len > SCN_MAX_FILE_BYTES)
        fail(ps, "scenario larger than %u bytes", SCN_MAX_FILE_BYTES);
    size_t pos = 0;
    unsigned idx = 0;
    while (!ps->failed && pos < len) {
        ps->line++;
        if (numbering) /* a scn_config_apply text: line i is config line i */
            ps->line = ++idx <= numbering->nconfig_lines ? numbering->config_lines[idx - 1] : idx;
        const char *nl = memchr(text + pos, '\n', len - pos);
        size_t l = nl ? (size_t)(nl - (text + pos)) : len - pos;
        if (tokenize(ps, text + pos, l) && ps->ntok) {
            keep_config_line(ps, text + pos, l);
            statement(ps);
        }
        pos += l + (nl ? 1 : 0);
    }
    if (!ps->failed) {
        char why[200];
        if (!riommu_config_check(&p->model, why, sizeof why)) {
            ps->line = ps->config_line ? ps->config_line : 1;
            fail(ps, "model configuration rejected: %s", why);
        }
    }
    bool failed = ps->failed;
    free(ps->names);
    free(ps);
    if (failed) {
        scn_free(p);
        return NULL;
    }
    return p;
}

scn_program *scn_parse_file(const char *path, scn_error *err)
{
    memset(err, 0, sizeof *err);
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err->msg, sizeof err->msg, "cannot open the scenario file");
        return NULL;
    }
    size_t cap = 65536, len = 0;
    char *buf = malloc(cap);
    bool too_big = false;
    while (buf) {
        size_t n = fread(buf + len, 1, cap - len, f);
        len += n;
        if (n == 0)
            break;
        if (len == cap) {
            if (cap > SCN_MAX_FILE_BYTES) {
                too_big = true;
                break;
            }
            char *nb = realloc(buf, cap * 2);
            if (!nb) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = nb;
            cap *= 2;
        }
    }
    bool rerr = ferror(f);
    fclose(f);
    if (!buf) {
        snprintf(err->msg, sizeof err->msg, "out of memory");
        return NULL;
    }
    if (rerr) {
        free(buf);
        snprintf(err->msg, sizeof err->msg, "read error");
        return NULL;
    }
    if (too_big || len > SCN_MAX_FILE_BYTES) {
        free(buf);
        snprintf(err->msg, sizeof err->msg, "scenario larger than %u bytes", SCN_MAX_FILE_BYTES);
        return NULL;
    }
    scn_program *p = scn_parse(path, buf, len, err);
    free(buf);
    return p;
}
