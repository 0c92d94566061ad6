/*
 * cosim.c - the lockstep co-simulation engine (see cosim.h for the rules).
 *
 * The engine owns the driver's CPU memory (dmamem) and fans every shim
 * operation out to the backends. The reference is backend 0. Registers whose
 * value depends on timing are read only after every backend settled; the
 * HPM counters are never compared (they count cache misses and cycles,
 * which legitimately differ between implementations and geometries).
 */
#include "riommu/cosim.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dmamem.h"

#define MAX_BACKENDS 8
#define MAX_WAIVERS 64
#define EV_BATCH 256
#define MAX_LABELS 8

typedef struct waiver {
    char name[48];
    char backend[64];
    riommu_mm_kind kind;
    char where[48];
    uint64_t mask; /* differing bits that may be waived */
} waiver;

struct riommu_cosim {
    riommu_backend_ops b[MAX_BACKENDS];
    riommu_backend_caps caps[MAX_BACKENDS];
    riommu_cosim_latency_fn lat_fn; /* riommu_cosim_on_latency */
    void *lat_ctx;
    unsigned n;
    riommu_cosim_config cfg;
    dmamem *dm;
    riommu_mismatch *mm;
    size_t nmm, capmm;
    uint64_t unwaived, waived;
    waiver w[MAX_WAIVERS];
    unsigned nw;
    uint64_t step, now_us;
    bool stopped;
    bool tail_dropped; /* the latest record was counted but not kept */
    /* per backend: the last_error text of its latest BACKEND_ERROR record
     * (a failure inside settle() is told apart from one already recorded) */
    char err_seen[MAX_BACKENDS][128];
    /* named regions of driver memory, for the `where` of memory records */
    struct {
        uint64_t pa, len;
        uint32_t stride;
        char name[24];
    } lab[MAX_LABELS];
    unsigned nlab;
    /* per-backend event lists gathered at a settle point */
    riommu_event *ev[MAX_BACKENDS];
    size_t nev[MAX_BACKENDS], capev[MAX_BACKENDS];
    /* Backends with a clock (riommu_backend_ops.clock) only: the clock when
     * the running operation started (op_open), at the latest settle point
     * and at the one before it, for the spans of mismatch records. */
    uint64_t op_t0[MAX_BACKENDS];
    bool op_open[MAX_BACKENDS];
    uint64_t settled_at[MAX_BACKENDS], settled_before[MAX_BACKENDS];
};

const char *riommu_mm_kind_name(riommu_mm_kind k)
{
    static const char *names[RIOMMU_MM_KIND_COUNT] = {
        "mmio-read",  "mem-consumed", "dma-status",  "dma-cause",
        "dma-pa",     "dma-data",     "event",       "event-count",
        "mem-final",  "backend-error", "expectation"};
    return (unsigned)k < RIOMMU_MM_KIND_COUNT ? names[k] : "unknown";
}

void riommu_cosim_config_default(riommu_cosim_config *c)
{
    c->dma_base = 0x80000000ull;
    c->dma_size = 256ull << 20;
    c->stop_at_first = false;
    c->max_records = 10000;
}

riommu_cosim *riommu_cosim_create(const riommu_backend_ops *backends, unsigned n,
                                  const riommu_cosim_config *cfg)
{
    if (n == 0 || n > MAX_BACKENDS)
        return NULL;
    riommu_cosim *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    if (cfg)
        c->cfg = *cfg;
    else
        riommu_cosim_config_default(&c->cfg);
    if (!c->cfg.max_records)
        c->cfg.max_records = 10000;
    c->dm = dmamem_create(c->cfg.dma_base, c->cfg.dma_size);
    if (!c->dm) {
        free(c);
        return NULL;
    }
    c->n = n;
    for (unsigned i = 0; i < n; i++) {
        c->b[i] = backends[i];
        c->b[i].caps(c->b[i].ctx, &c->caps[i]);
    }
    return c;
}

void riommu_cosim_destroy(riommu_cosim *c)
{
    if (!c)
        return;
    for (unsigned i = 0; i < c->n; i++) {
        if (c->b[i].destroy)
            c->b[i].destroy(c->b[i].ctx);
        free(c->ev[i]);
    }
    dmamem_destroy(c->dm);
    free(c->mm);
    free(c);
}

/* ---- records --------------------------------------------------------------- */

static bool waived_by(riommu_cosim *c, const riommu_mismatch *r, const char **name)
{
    for (unsigned i = 0; i < c->nw; i++) {
        const waiver *w = &c->w[i];
        if (strcmp(w->backend, c->b[r->backend].name) != 0)
            continue;
        if (w->kind != RIOMMU_MM_KIND_COUNT && w->kind != r->kind)
            continue;
        if (w->where[0] && !strstr(r->where, w->where))
            continue;
        if ((r->expected ^ r->actual) & ~w->mask)
            continue;
        *name = w->name;
        return true;
    }
    return false;
}

/* An operation on backend i starts / ends: with a clock, its first cycle
 * is kept for the records made until op_end. Nothing without a clock. */
static void op_begin(riommu_cosim *c, unsigned i)
{
    if (c->b[i].clock) {
        c->op_t0[i] = c->b[i].clock(c->b[i].ctx);
        c->op_open[i] = true;
    }
}

static void op_end(riommu_cosim *c, unsigned i) { c->op_open[i] = false; }

/* A record; `span` ([first, last] on the backend's clock) or NULL: the
 * running operation's span, else the clock now. */
static void record_span(riommu_cosim *c, riommu_mm_kind k, unsigned backend, const char *where,
                        uint64_t addr, uint64_t expected, uint64_t actual, const uint64_t *span)
{
    riommu_mismatch r;
    memset(&r, 0, sizeof r);
    r.kind = k;
    r.backend = backend;
    snprintf(r.where, sizeof r.where, "%s", where ? where : "");
    r.addr = addr;
    r.expected = expected;
    r.actual = actual;
    r.step = c->step;
    r.cycle = c->now_us;
    if (c->b[backend].clock) {
        r.has_clock = true;
        if (span) {
            r.clock_first = span[0];
            r.clock_last = span[1];
        } else {
            r.clock_last = c->b[backend].clock(c->b[backend].ctx);
            r.clock_first = c->op_open[backend] ? c->op_t0[backend] : r.clock_last;
        }
    }
    const char *wn = NULL;
    bool waived = waived_by(c, &r, &wn);
    if (c->nmm && !c->tail_dropped) {
        riommu_mismatch *last = &c->mm[c->nmm - 1];
        if (last->kind == r.kind && last->backend == r.backend && last->addr == r.addr &&
            last->expected == r.expected && last->actual == r.actual &&
            last->waived == waived && !strcmp(last->where, r.where) &&
            (!waived || !strcmp(last->waiver, wn))) {
            last->repeats++;
            return;
        }
    }
    if (waived) {
        r.waived = true;
        snprintf(r.waiver, sizeof r.waiver, "%s", wn);
        c->waived++;
    } else {
        c->unwaived++;
        if (c->cfg.stop_at_first)
            c->stopped = true;
    }
    c->tail_dropped = true;
    if (c->nmm >= c->cfg.max_records)
        return; /* counted, not kept */
    if (c->nmm == c->capmm) {
        size_t nc = c->capmm ? c->capmm * 2 : 64;
        riommu_mismatch *nm = realloc(c->mm, nc * sizeof *nm);
        if (!nm)
            return;
        c->mm = nm;
        c->capmm = nc;
    }
    c->mm[c->nmm++] = r;
    c->tail_dropped = false;
}

static void record(riommu_cosim *c, riommu_mm_kind k, unsigned backend, const char *where,
                   uint64_t addr, uint64_t expected, uint64_t actual)
{
    record_span(c, k, backend, where, addr, expected, actual, NULL);
}

bool riommu_cosim_add_waiver(riommu_cosim *c, const char *name, const char *backend_name,
                             riommu_mm_kind kind, const char *where_substr)
{
    return riommu_cosim_add_waiver_mask(c, name, backend_name, kind, where_substr, ~0ull);
}

bool riommu_cosim_add_waiver_mask(riommu_cosim *c, const char *name, const char *backend_name,
                                  riommu_mm_kind kind, const char *where_substr, uint64_t mask)
{
    if (c->nw >= MAX_WAIVERS)
        return false;
    waiver *w = &c->w[c->nw++];
    snprintf(w->name, sizeof w->name, "%s", name);
    snprintf(w->backend, sizeof w->backend, "%s", backend_name);
    w->kind = kind;
    snprintf(w->where, sizeof w->where, "%s", where_substr ? where_substr : "");
    w->mask = mask;
    return true;
}

void riommu_cosim_set_step(riommu_cosim *c, uint64_t step) { c->step = step; }

bool riommu_cosim_label(riommu_cosim *c, uint64_t pa, uint64_t len, uint32_t stride,
                        const char *name)
{
    unsigned i;
    for (i = 0; i < c->nlab; i++)
        if (!strcmp(c->lab[i].name, name))
            break;
    if (i == MAX_LABELS)
        return false;
    if (i == c->nlab)
        c->nlab++;
    c->lab[i].pa = pa;
    c->lab[i].len = len;
    c->lab[i].stride = stride ? stride : 1;
    snprintf(c->lab[i].name, sizeof c->lab[i].name, "%s", name);
    return true;
}

void riommu_cosim_expect_failed(riommu_cosim *c, const char *what, uint64_t expected,
                                uint64_t actual)
{
    record(c, RIOMMU_MM_EXPECT, 0, what, 0, expected, actual);
}

const riommu_mismatch *riommu_cosim_mismatches(const riommu_cosim *c, size_t *n)
{
    *n = c->nmm;
    return c->mm;
}

void riommu_cosim_counts(const riommu_cosim *c, uint64_t *unwaived, uint64_t *waived)
{
    *unwaived = c->unwaived;
    *waived = c->waived;
}

bool riommu_cosim_stopped(const riommu_cosim *c) { return c->stopped; }
unsigned riommu_cosim_backend_count(const riommu_cosim *c) { return c->n; }
const char *riommu_cosim_backend_name(const riommu_cosim *c, unsigned i)
{
    return i < c->n ? c->b[i].name : "";
}
const riommu_backend_ops *riommu_cosim_backend(const riommu_cosim *c, unsigned i)
{
    return i < c->n ? &c->b[i] : NULL;
}

static void backend_error(riommu_cosim *c, unsigned i, const char *op)
{
    char where[sizeof ((riommu_mismatch *)0)->where];
    const char *why = c->b[i].last_error ? c->b[i].last_error(c->b[i].ctx) : NULL;
    if (why && why[0])
        snprintf(where, sizeof where, "%s: %s", op, why);
    else
        snprintf(where, sizeof where, "%s", op);
    snprintf(c->err_seen[i], sizeof c->err_seen[i], "%s", why ? why : "");
    record(c, RIOMMU_MM_BACKEND_ERROR, i, where, 0, 0, 0);
}

/* settle() returns no error: a backend that failed while settling (a
 * watchdog, an AXI protocol violation seen on the wires) shows a
 * last_error not recorded yet. Recorded as "settle: WHY" before the
 * backend's events are compared, so the first record names the failure,
 * not the events it cost; a sticky error is recorded once. */
static void settle_failure(riommu_cosim *c, unsigned i)
{
    const char *why = c->b[i].last_error ? c->b[i].last_error(c->b[i].ctx) : NULL;
    if (why && why[0] && strncmp(why, c->err_seen[i], sizeof c->err_seen[i] - 1))
        backend_error(c, i, "settle");
}

/* ---- events (rule 4) ---------------------------------------------------------- */

static const char *ev_name(riommu_ev_kind k)
{
    static const char *n[RIOMMU_EV_KIND_COUNT] = {"fault-record", "pq-record", "fence-data",
                                                  "msi", "ad-update", "wire"};
    return (unsigned)k < RIOMMU_EV_KIND_COUNT ? n[k] : "event";
}

static void pull_events(riommu_cosim *c, unsigned i)
{
    settle_failure(c, i); /* pull_events runs right after every settle */
    c->nev[i] = 0;
    if (!c->caps[i].events || !c->b[i].events)
        return;
    for (;;) {
        if (c->capev[i] - c->nev[i] < EV_BATCH) {
            size_t nc = c->capev[i] ? c->capev[i] * 2 : EV_BATCH * 2;
            riommu_event *n = realloc(c->ev[i], nc * sizeof *n);
            if (!n)
                return;
            c->ev[i] = n;
            c->capev[i] = nc;
        }
        size_t got = c->b[i].events(c->b[i].ctx, c->ev[i] + c->nev[i], EV_BATCH);
        c->nev[i] += got;
        if (got < EV_BATCH)
            return;
    }
}

static uint64_t first8(const uint8_t *d, uint32_t len)
{
    uint64_t v = 0;
    for (uint32_t k = 0; k < len && k < 8; k++)
        v |= (uint64_t)d[k] << (8 * k);
    return v;
}

/* Compare backend i's events of each kind, in order, with the reference's. */
static void compare_events(riommu_cosim *c, unsigned i)
{
    for (unsigned k = 0; k < RIOMMU_EV_KIND_COUNT; k++) {
        size_t a = 0, b = 0;
        for (;;) {
            while (a < c->nev[0] && c->ev[0][a].kind != k)
                a++;
            while (b < c->nev[i] && c->ev[i][b].kind != k)
                b++;
            bool ha = a < c->nev[0], hb = b < c->nev[i];
            if (!ha && !hb)
                break;
            char where[64];
            if (ha != hb) {
                snprintf(where, sizeof where, "%s (%s)", ev_name((riommu_ev_kind)k),
                         ha ? "missing" : "extra");
                const riommu_event *e = ha ? &c->ev[0][a] : &c->ev[i][b];
                /* missing: it should have come since the previous settle
                 * point; extra: when it came */
                uint64_t span[2] = {c->settled_before[i], c->settled_at[i]};
                if (hb)
                    span[0] = span[1] = e->clock;
                record_span(c, RIOMMU_MM_EVENT_COUNT, i, where, e->addr,
                            ha ? first8(e->data, e->len) : 0, hb ? first8(e->data, e->len) : 0,
                            span);
                break; /* one record per stream and settle point */
            }
            const riommu_event *x = &c->ev[0][a], *y = &c->ev[i][b];
            if (x->addr != y->addr || x->len != y->len || memcmp(x->data, y->data, x->len)) {
                uint32_t off = 0;
                while (off < x->len && off < y->len && x->data[off] == y->data[off])
                    off++;
                uint32_t w = off & ~7u;
                snprintf(where, sizeof where, "%s +%u", ev_name((riommu_ev_kind)k), w);
                uint64_t span[2] = {y->clock, y->clock};
                record_span(c, RIOMMU_MM_EVENT, i, where, x->addr,
                            x->addr != y->addr ? x->addr : first8(x->data + w, x->len - w),
                            x->addr != y->addr ? y->addr : first8(y->data + w, y->len - w),
                            span);
            }
            a++;
            b++;
        }
    }
}

void riommu_cosim_settle(riommu_cosim *c)
{
    for (unsigned i = 0; i < c->n; i++) {
        c->b[i].settle(c->b[i].ctx);
        if (c->b[i].clock) {
            c->settled_before[i] = c->settled_at[i];
            c->settled_at[i] = c->b[i].clock(c->b[i].ctx);
        }
    }
    for (unsigned i = 0; i < c->n; i++)
        pull_events(c, i);
    if (!c->caps[0].events)
        return;
    for (unsigned i = 1; i < c->n; i++)
        if (c->caps[i].events)
            compare_events(c, i);
}

/* ---- MMIO (rules 1, 2) ----------------------------------------------------------- */

static bool time_dependent(uint32_t off)
{
    switch (off & ~7u) {
    case RIOMMU_REG_DDTP:
    case RIOMMU_REG_CQH & ~7u: /* cqh/cqt word pair */
    case RIOMMU_REG_FQH & ~7u:
    case RIOMMU_REG_PQH & ~7u:
    case RIOMMU_REG_CQCSR & ~7u:
    case RIOMMU_REG_PQCSR & ~7u:
    case RIOMMU_REG_TR_REQ_CTL:
    case RIOMMU_REG_TR_RESPONSE:
        return true;
    default:
        return false;
    }
}

static bool never_compared(uint32_t off)
{
    return off == RIOMMU_REG_IOCOUNTOVF ||
           (off >= RIOMMU_REG_IOHPMCYCLES && off < RIOMMU_REG_IOHPMEVT(1));
}

riommu_cosim_reg_rule riommu_cosim_reg_rule_of(uint32_t off)
{
    if (never_compared(off))
        return RIOMMU_COSIM_REG_NEVER;
    return time_dependent(off) ? RIOMMU_COSIM_REG_SETTLED : RIOMMU_COSIM_REG_AT_ONCE;
}

static uint64_t mmio_read(riommu_cosim *c, uint32_t off, unsigned size)
{
    if (time_dependent(off))
        riommu_cosim_settle(c);
    uint64_t ref = 0;
    op_begin(c, 0);
    if (c->b[0].mmio_read(c->b[0].ctx, off, size, &ref))
        backend_error(c, 0, "mmio read");
    op_end(c, 0);
    for (unsigned i = 1; i < c->n; i++) {
        uint64_t v = 0;
        op_begin(c, i);
        if (c->b[i].mmio_read(c->b[i].ctx, off, size, &v)) {
            backend_error(c, i, "mmio read");
        } else if (v != ref && !never_compared(off)) {
            const char *nm = riommu_reg_name(off);
            char where[64];
            snprintf(where, sizeof where, "%s@0x%03x", nm ? nm : "reg", (unsigned)off);
            record(c, RIOMMU_MM_MMIO_READ, i, where, off, ref, v);
        }
        op_end(c, i);
    }
    return ref;
}

static void mmio_write(riommu_cosim *c, uint32_t off, unsigned size, uint64_t v)
{
    for (unsigned i = 0; i < c->n; i++) {
        op_begin(c, i);
        if (c->b[i].mmio_write(c->b[i].ctx, off, size, v))
            backend_error(c, i, "mmio write");
        op_end(c, i);
    }
}

static uint32_t s_r32(void *ctx, uint32_t off) { return (uint32_t)mmio_read(ctx, off, 4); }
static uint64_t s_r64(void *ctx, uint32_t off) { return mmio_read(ctx, off, 8); }
static void s_w32(void *ctx, uint32_t off, uint32_t v) { mmio_write(ctx, off, 4, v); }
static void s_w64(void *ctx, uint32_t off, uint64_t v) { mmio_write(ctx, off, 8, v); }

/* ---- memory (rules 1, 3, 5) --------------------------------------------------------- */

static void publish(riommu_cosim *c, uint64_t pa, const void *buf, size_t len)
{
    for (unsigned i = 0; i < c->n; i++)
        if (c->b[i].mem_write(c->b[i].ctx, pa, buf, len))
            backend_error(c, i, "mem write");
}

/* Compare [pa, pa+len) of every backend with the reference; the reference's
 * bytes end up in `ref`. */
static void compare_mem(riommu_cosim *c, riommu_mm_kind kind, uint64_t pa, uint8_t *ref,
                        size_t len)
{
    if (c->b[0].mem_read(c->b[0].ctx, pa, ref, len))
        backend_error(c, 0, "mem read");
    uint8_t *tmp = malloc(len);
    if (!tmp)
        return;
    for (unsigned i = 1; i < c->n; i++) {
        if (c->b[i].mem_read(c->b[i].ctx, pa, tmp, len)) {
            backend_error(c, i, "mem read");
            continue;
        }
        if (!memcmp(tmp, ref, len))
            continue;
        size_t off = 0;
        while (tmp[off] == ref[off])
            off++;
        size_t w = off & ~(size_t)7;
        char where[64];
        snprintf(where, sizeof where, "memory 0x%llx", (unsigned long long)(pa + w));
        for (unsigned l = 0; l < c->nlab; l++) {
            uint64_t a = pa + w;
            if (a >= c->lab[l].pa && a - c->lab[l].pa < c->lab[l].len) {
                snprintf(where, sizeof where, "%s +%llu", c->lab[l].name,
                         (unsigned long long)((a - c->lab[l].pa) % c->lab[l].stride));
                break;
            }
        }
        record(c, kind, i, where, pa + w, first8(ref + w, (uint32_t)(len - w)),
               first8(tmp + w, (uint32_t)(len - w)));
    }
    free(tmp);
}

static bool s_alloc(void *ctx, size_t size, size_t align, riommu_dma_mem *out)
{
    riommu_cosim *c = ctx;
    if (!dmamem_alloc(c->dm, size, align, out))
        return false;
    publish(c, out->pa, out->cpu, out->size); /* zero on every side */
    return true;
}

static void s_free(void *ctx, const riommu_dma_mem *m)
{
    riommu_cosim *c = ctx;
    dmamem_free(c->dm, m->pa);
}

static bool s_map_phys(void *ctx, uint64_t pa, size_t size, riommu_dma_mem *out)
{
    riommu_cosim *c = ctx;
    bool fresh;
    if (!dmamem_map_fixed(c->dm, pa, size, out, &fresh))
        return false;
    if (fresh)
        compare_mem(c, RIOMMU_MM_MEM_CONSUMED, pa, out->cpu, size);
    return true;
}

static void s_sync_dev(void *ctx, uint64_t pa, size_t len)
{
    riommu_cosim *c = ctx;
    const uint8_t *cpu = dmamem_cpu(c->dm, pa, len);
    if (cpu)
        publish(c, pa, cpu, len);
}

static void s_sync_cpu(void *ctx, uint64_t pa, size_t len)
{
    riommu_cosim *c = ctx;
    uint8_t *cpu = dmamem_cpu(c->dm, pa, len);
    if (!cpu)
        return;
    riommu_cosim_settle(c);
    compare_mem(c, RIOMMU_MM_MEM_CONSUMED, pa, cpu, len);
}

static void s_delay(void *ctx, uint32_t us)
{
    riommu_cosim *c = ctx;
    c->now_us += us;
    riommu_cosim_settle(c);
}

static uint64_t s_now(void *ctx) { return ((riommu_cosim *)ctx)->now_us; }

uint8_t *riommu_cosim_cpu(riommu_cosim *c, uint64_t pa, size_t len)
{
    return dmamem_cpu(c->dm, pa, len);
}

static void *h_zalloc(void *ctx, size_t n)
{
    (void)ctx;
    return calloc(1, n ? n : 1);
}
static void h_free(void *ctx, void *p)
{
    (void)ctx;
    free(p);
}
static void *h_p2v(void *ctx, uint64_t pa) { return dmamem_cpu(((riommu_cosim *)ctx)->dm, pa, 1); }

riommu_hw_ops riommu_cosim_hw_ops(riommu_cosim *c)
{
    riommu_hw_ops o;
    memset(&o, 0, sizeof o);
    o.ctx = c;
    o.read32 = s_r32;
    o.read64 = s_r64;
    o.write32 = s_w32;
    o.write64 = s_w64;
    o.alloc = s_alloc;
    o.free = s_free;
    o.map_phys = s_map_phys;
    o.sync_to_device = s_sync_dev;
    o.sync_for_cpu = s_sync_cpu;
    o.delay_us = s_delay;
    o.now_us = s_now;
    /* No interrupt ops: the driver runs in polling mode; interrupts are
     * compared as MSI and wire events instead. */
    return o;
}

riommu_drv_heap riommu_cosim_heap(riommu_cosim *c)
{
    riommu_drv_heap h = {c, h_zalloc, h_free, h_p2v};
    return h;
}

/* ---- device DMA (rule 4) --------------------------------------------------------- */

static bool can_do(const riommu_backend_caps *k, const riommu_request *req)
{
    if (!k->dma)
        return false;
    if (req->access == RIOMMU_EXEC && !k->dma_exec)
        return false;
    if (req->pv && !k->process_id)
        return false;
    if (req->priv && !k->priv)
        return false;
    if (req->kind != RIOMMU_REQ_UNTRANSLATED && !k->translated)
        return false;
    if (k->max_dma_len && req->len > k->max_dma_len)
        return false;
    if (k->n_device_ids) {
        bool found = false;
        for (unsigned i = 0; i < k->n_device_ids; i++)
            found |= k->device_ids[i] == req->device_id;
        if (!found)
            return false;
    }
    return true;
}

/* Backend i does the DMA the reference answered with rsp/buf (have_ref)
 * into `mine`; every difference is a record. */
static void dma_compare(riommu_cosim *c, unsigned i, const riommu_request *req, const void *buf,
                        const riommu_response *rsp, bool have_ref, uint8_t *mine)
{
    bool is_read = req->access != RIOMMU_WRITE;
    riommu_response r;
    memset(&r, 0, sizeof r);
    if (!is_read)
        memcpy(mine, buf, req->len);
    if (c->b[i].dma(c->b[i].ctx, req, mine, &r)) {
        backend_error(c, i, "dma");
        return;
    }
    if (!have_ref)
        return;
    if (r.status != rsp->status) {
        record(c, RIOMMU_MM_DMA_STATUS, i, "dma status", req->iova, rsp->status, r.status);
        return;
    }
    if (c->lat_fn && c->caps[0].reports_latency && c->caps[i].reports_latency)
        c->lat_fn(c->lat_ctx, i, req, rsp, &r);
    if (r.status == RIOMMU_RSP_FAULT) {
        if (c->caps[i].reports_cause && r.cause != rsp->cause)
            record(c, RIOMMU_MM_DMA_CAUSE, i, "dma cause", req->iova, rsp->cause, r.cause);
        return;
    }
    if (r.status != RIOMMU_RSP_OK)
        return; /* bad request: no address, no data */
    if (c->caps[i].reports_pa && r.pa != rsp->pa)
        record(c, RIOMMU_MM_DMA_PA, i, "dma pa", req->iova, rsp->pa, r.pa);
    if (c->caps[i].reports_range && r.range_size != rsp->range_size)
        record(c, RIOMMU_MM_DMA_PA, i, "dma range", req->iova, rsp->range_size, r.range_size);
    if (is_read && memcmp(mine, buf, req->len)) {
        uint32_t off = 0;
        const uint8_t *a = buf;
        while (a[off] == mine[off])
            off++;
        uint32_t w = off & ~7u;
        record(c, RIOMMU_MM_DMA_DATA, i, "dma data", req->iova + w, first8(a + w, req->len - w),
               first8(mine + w, req->len - w));
    }
}

void riommu_cosim_on_latency(riommu_cosim *c, riommu_cosim_latency_fn fn, void *ctx)
{
    c->lat_fn = fn;
    c->lat_ctx = ctx;
}

unsigned riommu_cosim_dma(riommu_cosim *c, const riommu_request *req, void *buf,
                          riommu_response *rsp)
{
    unsigned skipped = 0;
    uint8_t *mine = malloc(req->len ? req->len : 1);
    if (!mine)
        return c->n;
    memset(rsp, 0, sizeof *rsp);
    bool have_ref = can_do(&c->caps[0], req);
    if (!have_ref) {
        skipped++;
    } else {
        op_begin(c, 0);
        if (c->b[0].dma(c->b[0].ctx, req, buf, rsp))
            backend_error(c, 0, "dma");
        op_end(c, 0);
    }
    for (unsigned i = 1; i < c->n; i++) {
        if (!can_do(&c->caps[i], req)) {
            skipped++;
            continue;
        }
        op_begin(c, i);
        dma_compare(c, i, req, buf, rsp, have_ref, mine);
        op_end(c, i);
    }
    free(mine);
    riommu_cosim_settle(c);
    return skipped;
}

void riommu_cosim_finish(riommu_cosim *c)
{
    riommu_cosim_settle(c);
    size_t n = dmamem_count(c->dm);
    for (size_t i = 0; i < n; i++) {
        uint64_t pa;
        size_t size;
        uint8_t *cpu;
        dmamem_region(c->dm, i, &pa, &size, &cpu);
        uint8_t *ref = malloc(size);
        if (!ref)
            continue;
        compare_mem(c, RIOMMU_MM_MEM_FINAL, pa, ref, size);
        free(ref);
    }
}
