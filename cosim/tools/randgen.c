/*
 * randgen.c - constrained-random scenario text (randgen.h, docs/random.md).
 *
 * One `gen` per seed: the PRNG, the text being written, and the shadow of
 * everything a result depends on. Each action picks its operands from the
 * shadow, writes its statement and the exact expectation, then updates the
 * shadow the way the driver and the IOMMU will. The rules it follows are
 * the reference driver's (driver/src/drv_domain.c: page-size splitting,
 * unmap that never splits a leaf, iotlb_sync per page below 2 MiB, the
 * last unbond flushing the PSCID) and the spec's (ds "Process to translate
 * an IOVA", q "Fault/Event-Queue" overflow, q "Command-Queue" cmd_ill).
 */
#include "randgen.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "riommu/memhost.h"
#include "riommu/riommu_bits.h"
#include "scenario.h"
#include "world.h"

#define SZ_4K (1ull << 12)
#define SZ_64K (1ull << 16)
#define SZ_2M (1ull << 21)
#define SZ_1G (1ull << 30)
#define SZ_512G (1ull << 39)

#define MAX_DEVS 24u
#define MAX_DOMS 16u
#define MAX_RECS 8192u
#define MAX_EVS 16u
#define MAX_REVISIT 32u
#define MAX_WRITES 16u
#define MAX_PSCID 64u
/* Register bits as plain unsigned values for printing. */
#define FQOF ((unsigned)RIOMMU_FQCSR_FQOF)
#define FQEN_ON ((unsigned)(RIOMMU_FQCSR_FQEN | RIOMMU_FQCSR_FQON))
#define CQEN_ON ((unsigned)(RIOMMU_CQCSR_CQEN | RIOMMU_CQCSR_CQON))
#define CMD_ILL ((unsigned)RIOMMU_CQCSR_CMD_ILL)
#define LINE_CAP (2u * 2048u + 1024u) /* a dma line with the longest data */

/* Fault causes and transaction types the generator predicts. */
enum {
    C_INST_PF = 12, C_READ_PF = 13, C_WRITE_PF = 15,
    C_DISALLOWED = 256, C_DDT_INVALID = 258, C_TTYPE = 260
};
enum { T_EXEC = 1, T_READ = 2, T_WRITE = 3 };
enum { ACC_READ = 0, ACC_WRITE, ACC_EXEC };

/* ---- PRNG: xoshiro256** seeded by splitmix64 ------------------------------------ */

typedef struct rng {
    uint64_t s[4];
} rng;

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

static uint64_t rnext(rng *r)
{
    uint64_t *s = r->s;
    uint64_t res = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return res;
}

static void rseed(rng *r, uint64_t seed)
{
    uint64_t x = seed ^ 0x72696F6D6D75ull; /* "riommu" */
    for (unsigned i = 0; i < 4; i++)
        r->s[i] = splitmix64(&x);
}

/* Uniform in [0, n), n > 0, without modulo bias. */
static uint64_t below(rng *r, uint64_t n)
{
    uint64_t lim = -n % n;
    for (;;) {
        uint64_t v = rnext(r);
        if (v >= lim)
            return v % n;
    }
}

/* Uniform in [lo, hi]. */
static uint64_t between(rng *r, uint64_t lo, uint64_t hi)
{
    return hi - lo == UINT64_MAX ? rnext(r) : lo + below(r, hi - lo + 1);
}

static bool chance(rng *r, unsigned pct) { return below(r, 100) < pct; }


/* ---- the shadow of the driver's world ---------------------------------------- */

/* One page-table leaf, as the driver splits a map. */
typedef struct leaf {
    uint64_t iova, pa, size;
    bool w, noexec;
    bool nou; /* U cleared behind the driver's back (pte ... write) */
} leaf;

/* An IOVA range whose translation changed without an invalidation yet. */
typedef struct span {
    uint64_t lo, hi; /* [lo, hi) */
    bool gathered;   /* in the domain's unmap gather: `sync` covers it */
} span;

typedef struct dom {
    bool live;
    char name[12];
    uint32_t pscid;
    unsigned bonds;   /* live devices attached */
    leaf *lv;
    size_t nl, capl;
    span *dirty;
    size_t nd, capd;
} dom;

/* Where a device is attached: a domain index, or one of these. */
enum { AT_NONE = -1 /* probed: invalid DC */, AT_IDENTITY = -2, AT_BLOCKED = -3 };

typedef struct dev {
    bool live;      /* probed by the running driver, not released */
    char name[12];
    uint32_t ids[2];
    unsigned nids;
    int at;
} dev;

typedef struct rec {
    unsigned cause, ttyp;
    uint32_t did, pid;
    bool pv, priv;
    uint64_t iotval;
} rec;

typedef struct evt {
    const char *kind;
    uint64_t value, mask; /* mask 0: no value check */
} evt;

/* ddtp after the driver went away (or before it came). */
enum { DDTP_OFF = 0, DDTP_BARE = 1 };

typedef struct gen {
    rng r;
    const randgen_target *t;
    char *buf;
    size_t len, cap;
    bool oom;

    /* the model (config lines) */
    bool mainline;
    unsigned va_bits;       /* paging domains: 39, 48, 57 */
    unsigned fsc_mode;      /* 8, 9, 10 */
    bool ext_dc;            /* MSI_FLAT: extended device contexts */
    unsigned ddt_mode;      /* 2 1LVL, 3 2LVL, 4 3LVL */
    unsigned id_bits;
    unsigned reset_ddtp;    /* DDTP_OFF or DDTP_BARE */
    bool iotval_page;       /* iotval holds the page offset too */
    unsigned cq_hw_log2, fq_hw_log2; /* largest LOG2SZ-1 */

    /* the driver */
    bool up;
    unsigned down_ddtp;     /* DDTP_OFF / DDTP_BARE while !up */
    bool fq_on;             /* faults can be recorded */
    unsigned cq_req_log2, fq_req_log2; /* driver cq/fq entries (LOG2SZ-1) */
    unsigned fq_entries, cq_entries;
    bool pscid_used[MAX_PSCID];
    unsigned name_seq;

    dev devs[MAX_DEVS];
    unsigned ndevs;
    dom doms[MAX_DOMS];
    unsigned ndoms;

    /* the fault queue and the driver's events */
    unsigned fq_pending;
    bool fqof;
    bool fip;               /* ipsr.fip */
    bool cmd_ill;           /* cqcsr.cmd_ill waits for `process` */
    rec recs[MAX_RECS];
    unsigned nrecs;         /* records written and not yet drained */
    evt evs[MAX_EVS];
    unsigned nevs;

    /* IOVAs whose translation changed without an invalidation yet: DMA
     * goes there again once one covers them (the stale-entry check) */
    struct {
        unsigned dom;
        uint64_t iova;
    } revisit[MAX_REVISIT];
    unsigned nrevisit;

    /* recent successful DMA writes: read back later (the data check) */
    struct {
        uint32_t id;
        uint64_t iova;
        uint32_t len;
    } writes[MAX_WRITES];
    unsigned nwrites;

    /* model and driver statistics the scenario checks */
    uint64_t st_written, st_dropped, st_illegal, st_xl, st_xl_ok;
    uint32_t txn_bytes; /* the reference model's dma_txn_bytes */
    uint64_t st_faults[512];
    uint64_t st_mapped, st_unmapped, st_drained;

    memhost *mem; /* shadow of the bytes DMA and IOFENCE.C wrote */
} gen;

/* ---- text ------------------------------------------------------------------------ */

#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
static void emit(gen *g, const char *fmt, ...)
{
    if (g->oom)
        return;
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(g->buf + g->len, g->cap - g->len, fmt, ap);
        va_end(ap);
        if (n < 0) {
            g->oom = true;
            return;
        }
        if ((size_t)n + 2 <= g->cap - g->len) {
            g->len += (size_t)n;
            g->buf[g->len++] = '\n';
            g->buf[g->len] = 0;
            return;
        }
        size_t nc = (g->cap + (size_t)n + 2) * 2;
        char *nb = realloc(g->buf, nc);
        if (!nb) {
            g->oom = true;
            return;
        }
        g->buf = nb;
        g->cap = nc;
    }
}

/* Hex bytes for `data`, at most 2048 bytes (4097 characters). */
static void hex(char *out, const uint8_t *b, size_t n)
{
    static const char d[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = d[b[i] >> 4];
        out[2 * i + 1] = d[b[i] & 15];
    }
    out[2 * n] = 0;
}

static const char *acc_name(int acc)
{
    return acc == ACC_WRITE ? "write" : acc == ACC_EXEC ? "exec" : "read";
}

static unsigned page_fault(int acc)
{
    return acc == ACC_WRITE ? C_WRITE_PF : acc == ACC_EXEC ? C_INST_PF : C_READ_PF;
}

static unsigned ttyp_of(int acc)
{
    return acc == ACC_WRITE ? T_WRITE : acc == ACC_EXEC ? T_EXEC : T_READ;
}

static const char *cause_name(unsigned c)
{
    switch (c) {
    case C_INST_PF: return "inst-page-fault";
    case C_READ_PF: return "read-page-fault";
    case C_WRITE_PF: return "write-page-fault";
    case C_DISALLOWED: return "all-inbound-disallowed";
    case C_DDT_INVALID: return "ddt-invalid";
    case C_TTYPE: return "ttype-disallowed";
    default: return "?";
    }
}

static const char *ttyp_name(unsigned t)
{
    return t == T_WRITE ? "untranslated-write" : t == T_EXEC ? "untranslated-exec"
                                                             : "untranslated-read";
}

/* ---- shadow helpers ------------------------------------------------------------- */

static bool grow(void **p, size_t *cap, size_t n, size_t elem)
{
    if (n < *cap)
        return true;
    size_t nc = *cap ? *cap * 2 : 16;
    void *np = realloc(*p, nc * elem);
    if (!np)
        return false;
    *p = np;
    *cap = nc;
    return true;
}

static void add_span(gen *g, dom *d, uint64_t lo, uint64_t hi, bool gathered)
{
    if (!grow((void **)&d->dirty, &d->capd, d->nd, sizeof *d->dirty)) {
        g->oom = true;
        return;
    }
    d->dirty[d->nd++] = (span){lo, hi, gathered};
}

static bool is_dirty(const dom *d, uint64_t lo, uint64_t hi)
{
    for (size_t i = 0; i < d->nd; i++)
        if (d->dirty[i].lo < hi && lo < d->dirty[i].hi)
            return true;
    return false;
}

/* Drop spans: all, or only the gathered ones, or those containing `addr`. */
static void clean(dom *d, bool only_gathered, bool at_addr, uint64_t addr)
{
    size_t k = 0;
    for (size_t i = 0; i < d->nd; i++) {
        const span *s = &d->dirty[i];
        bool drop = only_gathered ? s->gathered
                    : at_addr     ? (addr >= s->lo && addr < s->hi)
                                  : true;
        if (!drop)
            d->dirty[k++] = *s;
    }
    d->nd = k;
}

static const leaf *find_leaf(const dom *d, uint64_t iova)
{
    for (size_t i = 0; i < d->nl; i++)
        if (iova >= d->lv[i].iova && iova - d->lv[i].iova < d->lv[i].size)
            return &d->lv[i];
    return NULL;
}

static bool range_free(const dom *d, uint64_t lo, uint64_t size)
{
    for (size_t i = 0; i < d->nl; i++)
        if (d->lv[i].iova < lo + size && lo < d->lv[i].iova + d->lv[i].size)
            return false;
    return true;
}

static dev *dev_of_id(gen *g, uint32_t id)
{
    for (unsigned i = 0; i < g->ndevs; i++)
        if (g->devs[i].live)
            for (unsigned k = 0; k < g->devs[i].nids; k++)
                if (g->devs[i].ids[k] == id)
                    return &g->devs[i];
    return NULL;
}

static unsigned live_devs(const gen *g)
{
    unsigned n = 0;
    for (unsigned i = 0; i < g->ndevs; i++)
        n += g->devs[i].live;
    return n;
}

static unsigned live_doms(const gen *g)
{
    unsigned n = 0;
    for (unsigned i = 0; i < g->ndoms; i++)
        n += g->doms[i].live;
    return n;
}

/* A random live device (NULL if none); `paging`: attached to a domain. */
static dev *pick_dev(gen *g, bool paging)
{
    dev *c[MAX_DEVS];
    unsigned n = 0;
    for (unsigned i = 0; i < g->ndevs; i++)
        if (g->devs[i].live && (!paging || g->devs[i].at >= 0))
            c[n++] = &g->devs[i];
    return n ? c[below(&g->r, n)] : NULL;
}

/* A random live domain (NULL if none); `bonded`: with devices attached;
 * `mapped`: with leaves. */
static dom *pick_dom(gen *g, bool bonded, bool mapped)
{
    dom *c[MAX_DOMS];
    unsigned n = 0;
    for (unsigned i = 0; i < g->ndoms; i++)
        if (g->doms[i].live && (!bonded || g->doms[i].bonds) && (!mapped || g->doms[i].nl))
            c[n++] = &g->doms[i];
    return n ? c[below(&g->r, n)] : NULL;
}

/* ---- the fault queue -------------------------------------------------------------- */

/* A fault the IOMMU reports (ds: every translation fault goes to
 * fault_report; DTF is never set by the driver). Returns whether a record
 * is written: the queue is on, fqof is clear and it is not full (one slot
 * always stays empty), else fqof is set and the record is dropped. */
static bool report_fault(gen *g, unsigned cause, int acc, uint32_t did, uint64_t iotval,
                         bool pv, uint32_t pid, bool priv)
{
    g->st_faults[cause]++;
    bool recorded = false;
    if (g->up && g->fq_on && !g->fqof) {
        g->fip = true; /* a record, or fqof */
        if (g->fq_pending + 1 >= g->fq_entries) {
            g->fqof = true;
        } else {
            recorded = true;
            g->fq_pending++;
            if (g->nrecs < MAX_RECS) {
                rec *r = &g->recs[g->nrecs++];
                r->cause = cause;
                r->ttyp = ttyp_of(acc);
                r->did = did;
                r->iotval = g->iotval_page ? iotval : iotval & ~(SZ_4K - 1);
                r->pv = pv;
                r->pid = pv ? pid : 0;
                r->priv = pv && priv;
            }
        }
    }
    if (recorded)
        g->st_written++;
    else
        g->st_dropped++;
    return recorded;
}

static void push_event(gen *g, const char *kind, uint64_t value, uint64_t mask)
{
    if (g->nevs < MAX_EVS)
        g->evs[g->nevs++] = (evt){kind, value, mask};
}

/* Expectations for every predicted event, oldest first. */
static void expect_events(gen *g)
{
    for (unsigned i = 0; i < g->nevs; i++) {
        const evt *e = &g->evs[i];
        if (e->mask)
            emit(g, "expect event %s value 0x%llx mask 0x%llx", e->kind,
                 (unsigned long long)e->value, (unsigned long long)e->mask);
        else
            emit(g, "expect event %s", e->kind);
    }
    g->nevs = 0;
}

/* `process`: the CQ handler (cmd_ill cleared, an event), then the FQ
 * handler (every record drained, fqof cleared with an event). */
static void do_process(gen *g)
{
    if (g->cmd_ill) {
        push_event(g, "cq-error", RIOMMU_CQCSR_CMD_ILL, RIOMMU_CQCSR_CMD_ILL);
        g->cmd_ill = false;
    }
    bool overflow = g->fqof;
    emit(g, "process expect %u", g->fq_pending);
    g->st_drained += g->fq_pending;
    unsigned n = g->nrecs < g->fq_pending ? g->nrecs : g->fq_pending;
    for (unsigned i = 0; i < n; i++) {
        const rec *r = &g->recs[i];
        char pid[40] = "";
        if (r->pv)
            snprintf(pid, sizeof pid, " pid 0x%x%s", (unsigned)r->pid, r->priv ? " priv" : "");
        else
            snprintf(pid, sizeof pid, " no-pid");
        emit(g, "expect fault-record cause %s ttyp %s device 0x%x iova 0x%llx%s",
             cause_name(r->cause), ttyp_name(r->ttyp), (unsigned)r->did,
             (unsigned long long)r->iotval, pid);
    }
    g->nrecs = 0;
    g->fq_pending = 0;
    /* The handler clears ipsr.fip before fqof: with fqof still set, the
     * IOMMU raises fip again; the next `process` finds nothing. */
    g->fip = overflow;
    if (overflow) {
        push_event(g, "fq-error", RIOMMU_FQCSR_FQOF, RIOMMU_FQCSR_FQOF);
        g->fqof = false;
    }
    expect_events(g);
    emit(g, "expect no-events");
    if (overflow && !g->t->fip_reassert) {
        /* fqof is clear now: acknowledging fip again leaves it 0 on an
         * IOMMU that re-raised it and on one that did not */
        emit(g, "mmio write32 ipsr 0x2");
        g->fip = false;
    }
}

/* ---- translation as the IOMMU will do it ---------------------------------------- */

typedef struct xlate {
    bool ok;
    unsigned cause;
    uint64_t pa, range;
    bool dirty; /* the result depends on cached state: do not use */
} xlate;

static bool canonical(uint64_t va, unsigned bits)
{
    int64_t s = (int64_t)(va << (64 - bits)) >> (64 - bits);
    return (uint64_t)s == va;
}

/* One page (or the first bytes of it) of a request from device_id. */
static xlate translate(const gen *g, uint32_t id, uint64_t iova, int acc, bool pv)
{
    xlate x;
    memset(&x, 0, sizeof x);
    unsigned mode = g->up ? g->ddt_mode : g->down_ddtp;
    if (mode == DDTP_OFF) {
        x.cause = C_DISALLOWED;
        return x;
    }
    if (mode == DDTP_BARE) {
        x.ok = true;
        x.pa = iova;
        x.range = SZ_4K;
        return x;
    }
    if (g->id_bits < 24 && (id >> g->id_bits)) {
        x.cause = C_TTYPE;
        return x;
    }
    const dev *d = NULL;
    for (unsigned i = 0; i < g->ndevs && !d; i++)
        if (g->devs[i].live)
            for (unsigned k = 0; k < g->devs[i].nids; k++)
                if (g->devs[i].ids[k] == id)
                    d = &g->devs[i];
    if (!d || d->at == AT_NONE || d->at == AT_BLOCKED) {
        x.cause = C_DDT_INVALID;
        return x;
    }
    if (pv) {
        x.cause = C_TTYPE;
        return x;
    }
    if (d->at == AT_IDENTITY) {
        x.ok = true;
        x.pa = iova;
        x.range = SZ_4K;
        return x;
    }
    const dom *dm = &g->doms[d->at];
    if (is_dirty(dm, iova & ~(SZ_4K - 1), (iova & ~(SZ_4K - 1)) + SZ_4K))
        x.dirty = true;
    const leaf *l = canonical(iova, g->va_bits) ? find_leaf(dm, iova) : NULL;
    if (!l || l->nou || (acc == ACC_WRITE && !l->w) ||
        (acc == ACC_EXEC && (!g->mainline || l->noexec))) {
        x.cause = page_fault(acc);
        return x;
    }
    x.ok = true;
    x.pa = l->pa + (iova - l->iova);
    x.range = l->size;
    return x;
}

/* The whole request, page by page; it stops at the first faulting page.
 * The model translates each of its dma_txn_bytes transactions (a page
 * holds one or more; a faulting page's first one faults): `xlates` and
 * `xlates_ok` count those translations, as the model's statistics do. */
typedef struct dma_out {
    bool ok, dirty;
    unsigned cause;
    uint64_t pa, range;     /* of the first byte */
    uint64_t fault_iova;    /* start of the faulting chunk */
    uint32_t done;          /* bytes moved before the fault */
    unsigned xlates, xlates_ok; /* translations, as the model counts them */
} dma_out;

static dma_out simulate(const gen *g, uint32_t id, uint64_t iova, uint32_t len, int acc, bool pv)
{
    dma_out o;
    memset(&o, 0, sizeof o);
    uint64_t a = iova;
    uint32_t left = len;
    while (left) {
        uint32_t chunk = (uint32_t)(SZ_4K - (a & (SZ_4K - 1)));
        if (chunk > left)
            chunk = left;
        xlate x = translate(g, id, a, acc, pv);
        uint64_t t = g->txn_bytes;
        unsigned txns = (unsigned)(((a + chunk - 1) / t) - (a / t) + 1);
        o.xlates += x.ok ? txns : 1;
        if (x.dirty)
            o.dirty = true;
        if (!x.ok) {
            o.cause = x.cause;
            o.fault_iova = a;
            return o;
        }
        o.xlates_ok += txns;
        if (a == iova) {
            o.pa = x.pa;
            o.range = x.range;
        }
        o.done += chunk;
        a += chunk;
        left -= chunk;
    }
    o.ok = true;
    return o;
}

/* The PA of every byte moved: call fn for each translated chunk. */
static void chunks(const gen *g, uint32_t id, uint64_t iova, uint32_t len, int acc,
                   void (*fn)(gen *g, uint64_t pa, uint32_t off, uint32_t n, void *ctx),
                   void *ctx)
{
    uint64_t a = iova;
    uint32_t left = len, off = 0;
    while (left) {
        uint32_t chunk = (uint32_t)(SZ_4K - (a & (SZ_4K - 1)));
        if (chunk > left)
            chunk = left;
        xlate x = translate(g, id, a, acc, false);
        if (!x.ok)
            return;
        fn((gen *)g, x.pa, off, chunk, ctx);
        a += chunk;
        off += chunk;
        left -= chunk;
    }
}

typedef struct bytes {
    uint8_t *b;
} bytes;

static void chunk_write(gen *g, uint64_t pa, uint32_t off, uint32_t n, void *ctx)
{
    if (!memhost_write(g->mem, pa, ((bytes *)ctx)->b + off, n))
        g->oom = true;
}

static void chunk_read(gen *g, uint64_t pa, uint32_t off, uint32_t n, void *ctx)
{
    memhost_read(g->mem, pa, ((bytes *)ctx)->b + off, n);
}

static void chunk_window(gen *g, uint64_t pa, uint32_t off, uint32_t n, void *ctx)
{
    (void)off;
    if (pa < g->t->pa_base || pa + n > g->t->pa_base + g->t->pa_size)
        *(bool *)ctx = false;
}

/* Every byte the request would move lies in the target's data window
 * (identity and pass-through translations land where the IOVA says). */
static bool in_window(const gen *g, uint32_t id, uint64_t iova, uint32_t len, int acc)
{
    bool ok = true;
    chunks(g, id, iova, len, acc, chunk_window, &ok);
    return ok;
}

/* Smallest p with b[i] == b[i - p] for all i >= p (the pattern that,
 * repeated, gives b); 0 if it is longer than fits a line (SCN_MAX_LINE
 * 4096 bytes with the rest of the statement; `data` itself may hold
 * 2048 bytes). */
static size_t period(const uint8_t *b, size_t n)
{
    uint32_t *pi = malloc(n * sizeof *pi);
    if (!pi)
        return 0;
    pi[0] = 0;
    for (size_t i = 1; i < n; i++) {
        uint32_t k = pi[i - 1];
        while (k && b[i] != b[k])
            k = pi[k - 1];
        if (b[i] == b[k])
            k++;
        pi[i] = k;
    }
    size_t p = n - pi[n - 1];
    free(pi);
    return p <= 1900 ? p : 0;
}

/* ---- actions: DMA ------------------------------------------------------------------ */

static uint64_t window_addr(gen *g, uint32_t len)
{
    const randgen_target *t = g->t;
    uint64_t width = t->pa_size > 64 * SZ_2M ? 64 * SZ_2M : t->pa_size;
    /* Most identity traffic near the base so that reads meet earlier writes. */
    uint64_t base = t->pa_base;
    if (chance(&g->r, 30))
        base = t->pa_base + below(&g->r, (t->pa_size - width) / SZ_4K + 1) * SZ_4K;
    uint64_t a = base + below(&g->r, width / 64) * 64;
    if (chance(&g->r, 40))
        a += below(&g->r, 64);
    if (a + len > t->pa_base + t->pa_size)
        a = t->pa_base + t->pa_size - len;
    return a;
}

static uint32_t dma_len(gen *g)
{
    uint32_t max = g->t->max_dma_len;
    uint32_t len;
    unsigned c = (unsigned)below(&g->r, 100);
    if (c < 55)
        len = (uint32_t)between(&g->r, 1, 64);
    else if (c < 85)
        len = (uint32_t)between(&g->r, 65, 4096);
    else
        len = (uint32_t)between(&g->r, 4097, 20000);
    if (chance(&g->r, 30))
        len = (len + 7) & ~7u;
    return len > max ? max : len ? len : 1;
}

/* An IOVA for a device in paging domain `dm`. */
static uint64_t paging_iova(gen *g, const dom *dm, uint32_t len)
{
    unsigned c = (unsigned)below(&g->r, 100);
    if (dm->nl && c < 70) {
        const leaf *l = &dm->lv[below(&g->r, dm->nl)];
        uint64_t off;
        if (chance(&g->r, 15) && l->size > len) /* run over the end of the leaf */
            off = l->size - 1 - below(&g->r, len < 64 ? len : 64);
        else if (l->size > SZ_4K && chance(&g->r, 60))
            off = below(&g->r, l->size / SZ_4K) * SZ_4K + below(&g->r, SZ_4K);
        else
            off = below(&g->r, l->size < SZ_4K ? l->size : SZ_4K);
        uint64_t a = l->iova + off;
        if (c < 6 && g->t->noncanonical) /* a non-canonical alias of a mapped IOVA */
            a |= 1ull << 62;
        return a;
    }
    if (c < 80 || !dm->nl) {
        /* somewhere unmapped near the mappings, or anywhere in the aperture */
        uint64_t top = 1ull << (g->va_bits - 1);
        if (chance(&g->r, 50))
            return below(&g->r, 1ull << 28) & ~7ull;
        return below(&g->r, top - len) & ~0xFull;
    }
    if (c < 90 || !g->t->noncanonical) /* canonical, above the aperture */
        return (~0ull << (g->va_bits - 1)) + below(&g->r, 1ull << 20) * 16;
    return (1ull << 63) | below(&g->r, 1ull << 40); /* non-canonical */
}

/* Data for a write: a short random pattern. */
static size_t write_pattern(gen *g, uint8_t *pat)
{
    static const size_t lens[] = {1, 2, 4, 8, 8, 16, 3, 5, 32, 64};
    size_t n = lens[below(&g->r, sizeof lens / sizeof lens[0])];
    for (size_t i = 0; i < n; i++)
        pat[i] = (uint8_t)rnext(&g->r);
    return n;
}

/* Write `dma` with its exact expectation and update the shadow. The
 * request must not depend on cached state (checked by the caller). */
static void emit_dma(gen *g, const char *src, uint32_t id, int acc, uint64_t iova, uint32_t len,
                     bool pv, uint32_t pid, bool priv, const dma_out *o)
{
    char *line = malloc(LINE_CAP);
    uint8_t *data = calloc(1, len);
    if (!line || !data) {
        free(line);
        free(data);
        g->oom = true;
        return;
    }
    int n = snprintf(line, 512, "dma %s %s 0x%llx %u", src, acc_name(acc),
                     (unsigned long long)iova, (unsigned)len);
    if (acc == ACC_WRITE) {
        uint8_t pat[64];
        size_t pl = write_pattern(g, pat);
        for (uint32_t i = 0; i < len; i++)
            data[i] = pat[i % pl];
        n += snprintf(line + n, 24, " data ");
        hex(line + n, pat, pl);
        n += (int)(2 * pl);
    }
    if (pv)
        n += snprintf(line + n, 64, " pid 0x%x", (unsigned)pid);
    if (priv)
        n += snprintf(line + n, 64, " priv");
    g->st_xl += o->xlates;
    g->st_xl_ok += o->xlates_ok;
    if (!o->ok) {
        bool recd = report_fault(g, o->cause, acc, id, o->fault_iova, pv, pid, priv);
        snprintf(line + n, 128, " expect fault %s %s", cause_name(o->cause),
                 recd ? "recorded" : "unrecorded");
        if (acc == ACC_WRITE && o->done) {
            bytes b = {data};
            chunks(g, id, iova, o->done, acc, chunk_write, &b);
        }
    } else {
        n += snprintf(line + n, 128, " expect ok pa 0x%llx range 0x%llx",
                      (unsigned long long)o->pa, (unsigned long long)o->range);
        bytes b = {data};
        if (acc == ACC_WRITE) {
            chunks(g, id, iova, len, acc, chunk_write, &b);
            unsigned k = g->nwrites < MAX_WRITES ? g->nwrites++ : (unsigned)below(&g->r, MAX_WRITES);
            g->writes[k].id = id;
            g->writes[k].iova = iova;
            g->writes[k].len = len;
        } else {
            chunks(g, id, iova, len, acc, chunk_read, &b);
            size_t p = period(data, len);
            if (p) {
                n += snprintf(line + n, 24, " data ");
                hex(line + n, data, p);
            }
        }
    }
    emit(g, "%s", line);
    free(line);
    free(data);
}

/* A source ID for DMA: a live device's first or second ID, or another. */
static bool pick_source(gen *g, uint32_t *id, char *src, size_t srclen)
{
    const randgen_target *t = g->t;
    unsigned c = (unsigned)below(&g->r, 100);
    /* mostly devices that translate; some that fault in the DDT walk */
    dev *d = c < 65 ? pick_dev(g, true) : NULL;
    if (!d && c < 88)
        d = pick_dev(g, false);
    if (d) {
        unsigned k = d->nids > 1 && chance(&g->r, 40) ? 1 : 0;
        *id = d->ids[k];
        if (k == 0)
            snprintf(src, srclen, "%s", d->name);
        else
            snprintf(src, srclen, "0x%x", (unsigned)*id);
        return true;
    }
    /* an ID no live device holds (never probed, released, or too wide) */
    for (unsigned tries = 0; tries < 16; tries++) {
        uint32_t v;
        if (t->n_device_ids) {
            v = t->device_ids[below(&g->r, t->n_device_ids)];
        } else if (g->id_bits < 24 && chance(&g->r, 25)) {
            v = (uint32_t)between(&g->r, 1ull << g->id_bits, (1ull << 24) - 1);
        } else if (chance(&g->r, 4)) {
            v = (uint32_t)between(&g->r, 1ull << 24, 0xFFFFFFFFull); /* bad request */
        } else {
            v = (uint32_t)below(&g->r, 1ull << g->id_bits);
        }
        if (!dev_of_id(g, v)) {
            *id = v;
            snprintf(src, srclen, "0x%x", (unsigned)v);
            return true;
        }
    }
    return false;
}

/* A write of [iova, iova+len) would meet a present leaf without W. */
static bool writes_readonly(const gen *g, const dev *d, uint64_t iova, uint32_t len)
{
    const dom *dm = &g->doms[d->at];
    for (uint64_t a = iova & ~(SZ_4K - 1); a < iova + len; a += SZ_4K) {
        const leaf *l = find_leaf(dm, a);
        if (l && !l->w)
            return true;
    }
    return false;
}

static void act_dma(gen *g)
{
    const randgen_target *t = g->t;
    uint32_t id;
    char src[24];
    if (!pick_source(g, &id, src, sizeof src))
        return;
    int acc = chance(&g->r, 50) ? ACC_READ : ACC_WRITE;
    bool pv = false, priv = false;
    uint32_t pid = 0;
    if (t->dma_pid_priv_exec) {
        if (chance(&g->r, 10))
            acc = ACC_EXEC;
        if (chance(&g->r, 6)) {
            pv = true;
            pid = (uint32_t)below(&g->r, 1u << 20);
        }
        priv = chance(&g->r, 8);
    }
    if (id >> 24) {
        emit(g, "dma %s %s 0x1000 8 expect bad-request", src, acc == ACC_WRITE ? "write" : "read");
        return;
    }
    if (g->nwrites && chance(&g->r, 25)) {
        /* read back (part of) an earlier write through the same ID */
        unsigned k = (unsigned)below(&g->r, g->nwrites);
        uint32_t wid = g->writes[k].id, wlen = g->writes[k].len;
        uint64_t off = chance(&g->r, 50) ? 0 : below(&g->r, wlen);
        uint32_t len = (uint32_t)(wlen - off);
        if (len > 1 && chance(&g->r, 30))
            len = (uint32_t)between(&g->r, 1, len);
        const dev *wd = dev_of_id(g, wid);
        char wsrc[24];
        if (wd && wd->ids[0] == wid)
            snprintf(wsrc, sizeof wsrc, "%s", wd->name);
        else
            snprintf(wsrc, sizeof wsrc, "0x%x", (unsigned)wid);
        int racc = t->dma_pid_priv_exec && chance(&g->r, 10) ? ACC_EXEC : ACC_READ;
        dma_out o = simulate(g, wid, g->writes[k].iova + off, len, racc, false);
        if (!o.dirty && in_window(g, wid, g->writes[k].iova + off, len, racc))
            emit_dma(g, wsrc, wid, racc, g->writes[k].iova + off, len, false, 0, false, &o);
        return;
    }
    const dev *d = dev_of_id(g, id);
    for (unsigned tries = 0; tries < 8; tries++) {
        uint32_t len = dma_len(g);
        uint64_t iova;
        bool paging = g->up && d && d->at >= 0 && !pv;
        if (paging)
            iova = paging_iova(g, &g->doms[d->at], len);
        else
            iova = window_addr(g, len);
        if (iova + (len - 1) < iova)
            continue;
        if (acc == ACC_WRITE && !t->write_readonly && paging && writes_readonly(g, d, iova, len))
            continue;
        dma_out o = simulate(g, id, iova, len, acc, pv);
        if (o.dirty || !in_window(g, id, iova, len, acc))
            continue;
        emit_dma(g, src, id, acc, iova, len, pv, pid, priv, &o);
        return;
    }
}

/* A short DMA at `iova` from a device attached to `d` (if any, and if the
 * result does not depend on cached state): caches a translation before a
 * change, and checks after an invalidation that the change is seen. */
static void touch(gen *g, dom *d, uint64_t iova)
{
    dev *c[MAX_DEVS];
    unsigned n = 0;
    int di = (int)(d - g->doms);
    for (unsigned i = 0; i < g->ndevs; i++)
        if (g->devs[i].live && g->devs[i].at == di)
            c[n++] = &g->devs[i];
    if (!n || !g->up)
        return;
    dev *dv = c[below(&g->r, n)];
    const leaf *l = find_leaf(d, iova);
    int acc = l && l->w && chance(&g->r, 30) ? ACC_WRITE : ACC_READ;
    uint32_t len = chance(&g->r, 50) ? 8 : (uint32_t)between(&g->r, 1, 64);
    iova &= ~7ull;
    if ((iova & (SZ_4K - 1)) + len > SZ_4K)
        len = (uint32_t)(SZ_4K - (iova & (SZ_4K - 1)));
    dma_out o = simulate(g, dv->ids[0], iova, len, acc, false);
    if (!o.dirty && in_window(g, dv->ids[0], iova, len, acc))
        emit_dma(g, dv->name, dv->ids[0], acc, iova, len, false, 0, false, &o);
}

/* Remember IOVAs of `d` in [lo, hi) to DMA to after an invalidation. */
static void remember(gen *g, dom *d, uint64_t lo, uint64_t hi)
{
    if (g->nrevisit == MAX_REVISIT || !d->bonds)
        return;
    g->revisit[g->nrevisit].dom = (unsigned)(d - g->doms);
    g->revisit[g->nrevisit].iova = lo + below(&g->r, (hi - lo) / 8) * 8;
    g->nrevisit++;
}

/* DMA to the remembered IOVAs that are clean now. */
static void revisit(gen *g)
{
    unsigned k = 0;
    for (unsigned i = 0; i < g->nrevisit; i++) {
        dom *d = &g->doms[g->revisit[i].dom];
        uint64_t a = g->revisit[i].iova;
        if (!d->live)
            continue;
        if (is_dirty(d, a & ~(SZ_4K - 1), (a & ~(SZ_4K - 1)) + SZ_4K)) {
            g->revisit[k++] = g->revisit[i];
            continue;
        }
        touch(g, d, a);
    }
    g->nrevisit = k;
}

/* Many faults at one unmapped IOVA: the fault queue fills and overflows
 * when it is small (q "Fault/Event-Queue": fqof). */
static void act_fault_burst(gen *g)
{
    dev *d = pick_dev(g, true);
    if (!d || !g->up)
        return;
    const dom *dm = &g->doms[d->at];
    uint64_t iova = 0;
    bool found = false;
    for (unsigned tries = 0; tries < 16 && !found; tries++) {
        iova = below(&g->r, 1ull << 30) & ~0xFFFull;
        found = !find_leaf(dm, iova) && !is_dirty(dm, iova, iova + SZ_4K);
    }
    if (!found)
        return;
    unsigned room = g->fq_entries - 1 - g->fq_pending;
    unsigned k = room <= 40 ? room + 1 + (unsigned)below(&g->r, 4) : 2 + (unsigned)below(&g->r, 6);
    int acc = chance(&g->r, 50) ? ACC_READ : ACC_WRITE;
    emit(g, "repeat %u dma %s %s 0x%llx 8 expect fault %s", k, d->name, acc_name(acc),
         (unsigned long long)iova, cause_name(page_fault(acc)));
    for (unsigned i = 0; i < k; i++) {
        g->st_xl++;
        report_fault(g, page_fault(acc), acc, d->ids[0], iova, false, 0, false);
    }
    if (g->fqof)
        emit(g, "expect reg fqcsr 0x%x mask 0x%x", FQOF, FQOF);
}

/* ---- actions: devices and domains --------------------------------------------------- */

static void name(gen *g, char *out, char c)
{
    snprintf(out, 12, "%c%u", c, g->name_seq++);
}

static bool id_free_everywhere(const gen *g, uint32_t v)
{
    for (unsigned i = 0; i < g->ndevs; i++)
        if (g->devs[i].live)
            for (unsigned k = 0; k < g->devs[i].nids; k++)
                if (g->devs[i].ids[k] == v)
                    return false;
    return true;
}

static uint32_t new_id(gen *g)
{
    const randgen_target *t = g->t;
    for (unsigned tries = 0; tries < 64; tries++) {
        uint32_t v;
        if (t->n_device_ids)
            v = t->device_ids[below(&g->r, t->n_device_ids)];
        else if (chance(&g->r, 40))
            v = (uint32_t)below(&g->r, g->id_bits < 8 ? 1u << g->id_bits : 256u);
        else
            v = (uint32_t)below(&g->r, 1ull << g->id_bits);
        if (id_free_everywhere(g, v))
            return v;
    }
    return UINT32_MAX;
}

static void act_probe(gen *g)
{
    if (g->ndevs >= MAX_DEVS || live_devs(g) >= 8)
        return;
    const randgen_target *t = g->t;
    dev *d = &g->devs[g->ndevs];
    memset(d, 0, sizeof *d);
    /* A device ID too wide for the DDT mode: the driver refuses it. */
    if (!t->n_device_ids && g->id_bits < 24 && chance(&g->r, 8)) {
        char nm[12];
        name(g, nm, 'x');
        emit(g, "probe %s 0x%x expect ENODEV", nm,
             (unsigned)between(&g->r, 1ull << g->id_bits, (1ull << 24) - 1));
        return;
    }
    d->ids[0] = new_id(g);
    if (d->ids[0] == UINT32_MAX)
        return;
    d->nids = 1;
    d->live = true; /* so that the second ID differs */
    if (chance(&g->r, 20)) {
        uint32_t v = new_id(g);
        if (v != UINT32_MAX && v != d->ids[0])
            d->ids[d->nids++] = v;
    }
    name(g, d->name, 'd');
    d->at = AT_NONE;
    g->ndevs++;
    if (d->nids == 2)
        emit(g, "probe %s 0x%x 0x%x", d->name, (unsigned)d->ids[0], (unsigned)d->ids[1]);
    else
        emit(g, "probe %s 0x%x", d->name, (unsigned)d->ids[0]);
}

static void act_domain(gen *g)
{
    if (g->ndoms >= MAX_DOMS || live_doms(g) >= 5)
        return;
    dom *d = &g->doms[g->ndoms];
    memset(d, 0, sizeof *d);
    unsigned p = 1;
    while (p < MAX_PSCID && g->pscid_used[p])
        p++;
    if (p == MAX_PSCID)
        return;
    g->pscid_used[p] = true;
    d->pscid = p;
    d->live = true;
    name(g, d->name, 'p');
    g->ndoms++;
    emit(g, "domain %s", d->name);
}

/* The bookkeeping of riommu_drv_attach: bond the new domain, unbond the old
 * one; the last unbond invalidates the whole PSCID (nothing of it stays
 * cached). */
static void attach_state(gen *g, dev *d, int to)
{
    int old = d->at;
    if (old >= 0 && old != to) {
        dom *o = &g->doms[old];
        if (--o->bonds == 0)
            clean(o, false, false, 0);
    }
    if (to >= 0 && old != to)
        g->doms[to].bonds++;
    d->at = to;
}

static void act_attach(gen *g)
{
    dev *d = pick_dev(g, false);
    if (!d)
        return;
    unsigned c = (unsigned)below(&g->r, 100);
    dom *dm = pick_dom(g, false, false);
    if (dm && c < 60) {
        emit(g, "attach %s %s", d->name, dm->name);
        attach_state(g, d, (int)(dm - g->doms));
    } else if (c < 80) {
        emit(g, "attach %s identity", d->name);
        attach_state(g, d, AT_IDENTITY);
    } else if (c < 90) {
        emit(g, "detach %s", d->name);
        attach_state(g, d, AT_BLOCKED);
    } else {
        emit(g, "attach %s blocked", d->name);
        attach_state(g, d, AT_BLOCKED);
    }
}

static void act_release(gen *g)
{
    dev *d = pick_dev(g, false);
    if (!d)
        return;
    emit(g, "release %s", d->name);
    attach_state(g, d, AT_BLOCKED);
    d->live = false;
}

static void act_free(gen *g)
{
    dom *c[MAX_DOMS];
    unsigned n = 0;
    for (unsigned i = 0; i < g->ndoms; i++)
        if (g->doms[i].live && !g->doms[i].bonds)
            c[n++] = &g->doms[i];
    if (!n)
        return;
    dom *d = c[below(&g->r, n)];
    emit(g, "free %s", d->name);
    d->live = false;
    g->pscid_used[d->pscid] = false;
}

/* ---- actions: map and unmap ------------------------------------------------------------ */

/* riommu_drv_map's split: the largest page size the domain offers that the
 * alignment of iova|pa and the remaining length allow. */
static uint64_t pgsizes(const gen *g)
{
    uint64_t m = SZ_4K | SZ_2M | SZ_1G | SZ_512G;
    uint64_t va_mask = g->va_bits >= 64 ? ~0ull : (1ull << g->va_bits) - 1;
    m &= va_mask;
    if (g->mainline && g->t->napot)
        m |= SZ_64K;
    return m;
}

static void add_leaves(gen *g, dom *d, uint64_t iova, uint64_t pa, uint64_t size, bool w,
                       bool noexec)
{
    uint64_t sizes = pgsizes(g);
    while (size) {
        uint64_t merge = iova | pa, best = 0;
        for (unsigned b = 12; b < 64; b++) {
            uint64_t s = 1ull << b;
            if ((sizes & s) && s <= size && !(merge & (s - 1)))
                best = s;
        }
        if (!grow((void **)&d->lv, &d->capl, d->nl, sizeof *d->lv)) {
            g->oom = true;
            return;
        }
        d->lv[d->nl++] = (leaf){iova, pa, best, w, noexec, false};
        g->st_mapped++;
        iova += best;
        pa += best;
        size -= best;
    }
}

static uint64_t rand_pa(gen *g, uint64_t align, uint64_t size)
{
    const randgen_target *t = g->t;
    uint64_t lo = (t->pa_base + align - 1) & ~(align - 1);
    uint64_t end = t->pa_base + t->pa_size;
    if (lo + size > end)
        return UINT64_MAX;
    uint64_t slots = (end - size - lo) / align + 1;
    /* Keep small pages close together so that PAs alias now and then. */
    if (align < SZ_2M && slots > 8192 && chance(&g->r, 70))
        slots = 8192;
    return lo + below(&g->r, slots) * align;
}

static void act_map(gen *g, dom *d)
{
    uint64_t top = 1ull << (g->va_bits - 1);
    uint64_t size, ialign, palign;
    unsigned c = (unsigned)below(&g->r, 100);
    if (c < 45) {
        size = between(&g->r, 1, 8) * SZ_4K;
        ialign = palign = SZ_4K;
    } else if (c < 60) {
        size = between(&g->r, 1, 2) * SZ_64K;
        ialign = palign = SZ_64K;
        if (chance(&g->r, 20))
            palign = SZ_4K; /* misaligned PA: 4 KiB leaves */
    } else if (c < 80) {
        size = SZ_2M + (chance(&g->r, 30) ? between(&g->r, 1, 4) * SZ_4K : 0);
        ialign = palign = SZ_2M;
        if (chance(&g->r, 15))
            palign = SZ_64K; /* 64 KiB leaves (mainline) or 4 KiB */
    } else if (c < 88) {
        size = between(&g->r, 2, 40) * SZ_4K;
        ialign = SZ_4K;
        palign = SZ_4K;
        if (chance(&g->r, 50)) { /* crosses a 2 MiB boundary */
            ialign = SZ_2M;
        }
    } else if (c < 96) {
        size = SZ_1G;
        ialign = palign = SZ_1G;
    } else {
        size = SZ_512G;
        ialign = palign = SZ_512G;
        if (g->va_bits < 48)
            return;
    }
    uint64_t pa = rand_pa(g, palign, size);
    if (pa == UINT64_MAX)
        return;
    if (palign < ialign && !(pa & (ialign - 1)))
        pa += palign; /* keep it misaligned */
    if (pa + size > g->t->pa_base + g->t->pa_size)
        return;
    uint64_t iova = 0;
    bool found = false;
    for (unsigned tries = 0; tries < 24 && !found; tries++) {
        uint64_t region;
        unsigned rc = (unsigned)below(&g->r, 100);
        if (size >= SZ_1G)
            region = below(&g->r, top / size < 64 ? top / size : 64) * size;
        else if (rc < 55)
            region = 0;
        else if (rc < 80)
            region = SZ_1G - SZ_2M * 4;
        else
            region = (top - (1ull << 32)) & ~(SZ_1G - 1);
        uint64_t spanw = size >= SZ_1G ? 0 : 64ull << 20;
        iova = region + (spanw ? below(&g->r, spanw / ialign) * ialign : 0);
        if (ialign == SZ_2M && size < SZ_2M && size > SZ_4K)
            iova += SZ_2M - SZ_4K * below(&g->r, size / SZ_4K); /* straddle */
        if (iova >= top || size > top - iova)
            continue;
        found = range_free(d, iova, size);
    }
    if (!found)
        return;
    unsigned pc = (unsigned)below(&g->r, 100);
    bool w = pc >= 25;
    const char *prot = pc < 25 ? "r" : pc < 30 ? "w" : "rw";
    bool noexec = chance(&g->r, 20);
    emit(g, "map %s 0x%llx 0x%llx 0x%llx %s%s", d->name, (unsigned long long)iova,
         (unsigned long long)pa, (unsigned long long)size, prot, noexec ? " noexec" : "");
    add_leaves(g, d, iova, pa, size, w, noexec);
    if (chance(&g->r, 40))
        touch(g, d, iova + below(&g->r, size / 8) * 8);
}

/* riommu_drv_unmap from `iova` for `size` bytes: leaf by leaf, never part of
 * a leaf; stops at the first hole. Removes the leaves, returns the bytes;
 * each unmapped leaf becomes a dirty span when `nosync`. */
static uint64_t unmap_state(gen *g, dom *d, uint64_t iova, uint64_t size, bool nosync)
{
    uint64_t top = 1ull << (g->va_bits - 1);
    if (iova >= top || size > top - iova)
        return 0;
    uint64_t done = 0;
    while (done < size) {
        uint64_t va = iova + done;
        size_t i;
        for (i = 0; i < d->nl; i++)
            if (va >= d->lv[i].iova && va - d->lv[i].iova < d->lv[i].size)
                break;
        if (i == d->nl || d->lv[i].iova != va)
            return done;
        leaf l = d->lv[i];
        d->lv[i] = d->lv[--d->nl];
        g->st_unmapped++;
        if (nosync && d->bonds)
            add_span(g, d, l.iova, l.iova + l.size, true);
        done += l.size;
    }
    return done;
}

/* A run of IOVA-contiguous leaves starting at a random one. */
static bool leaf_run(gen *g, const dom *d, uint64_t *iova, uint64_t *size)
{
    if (!d->nl)
        return false;
    const leaf *l = &d->lv[below(&g->r, d->nl)];
    *iova = l->iova;
    *size = l->size;
    unsigned more = (unsigned)below(&g->r, 4);
    for (unsigned k = 0; k < more; k++) {
        const leaf *n = find_leaf(d, *iova + *size);
        if (!n || n->iova != *iova + *size)
            break;
        *size += n->size;
    }
    return true;
}

static void act_unmap(gen *g, dom *d)
{
    uint64_t iova, size;
    if (!leaf_run(g, d, &iova, &size))
        return;
    unsigned c = (unsigned)below(&g->r, 100);
    if (c < 8 && size > SZ_4K)
        size = SZ_4K;                       /* part of a large leaf: all of it goes */
    else if (c < 14)
        size += between(&g->r, 1, 3) * SZ_4K; /* runs into a hole (or more leaves) */
    else if (c < 18)
        iova = (iova + size + between(&g->r, 1, 64) * SZ_2M) & ~(SZ_4K - 1); /* a hole */
    bool nosync = chance(&g->r, 45);
    uint64_t probe = iova + below(&g->r, size / 8) * 8;
    if (chance(&g->r, 60))
        touch(g, d, probe); /* cache it first */
    uint64_t got = unmap_state(g, d, iova, size, nosync);
    if (got == size)
        emit(g, "unmap %s 0x%llx 0x%llx%s", d->name, (unsigned long long)iova,
             (unsigned long long)size, nosync ? " nosync" : "");
    else
        emit(g, "unmap %s 0x%llx 0x%llx%s expect 0x%llx", d->name, (unsigned long long)iova,
             (unsigned long long)size, nosync ? " nosync" : "", (unsigned long long)got);
    if (!got)
        return;
    if (nosync)
        remember(g, d, iova, iova + got);
    else if (chance(&g->r, 70))
        touch(g, d, probe < iova + got ? probe : iova); /* the entry must be gone */
}

/* Unmap a run of leaves and map the same IOVAs to another PA, with or
 * without the invalidation in between. */
static void act_remap(gen *g, dom *d)
{
    uint64_t iova, size;
    if (!leaf_run(g, d, &iova, &size))
        return;
    const leaf *l = find_leaf(d, iova);
    uint64_t align = l->size;
    for (uint64_t a = iova; a < iova + size;) {
        const leaf *k = find_leaf(d, a);
        if (k->size < align)
            align = k->size;
        a += k->size;
    }
    if (chance(&g->r, 25) && size / SZ_4K <= 1024)
        align = SZ_4K; /* another split, within reason */
    uint64_t pa = rand_pa(g, align, size);
    if (pa == UINT64_MAX)
        return;
    bool nosync = chance(&g->r, 50);
    bool w = chance(&g->r, 75);
    uint64_t probe = iova + below(&g->r, size / 8) * 8;
    if (chance(&g->r, 60))
        touch(g, d, probe);
    uint64_t got = unmap_state(g, d, iova, size, nosync);
    if (got != size)
        return; /* cannot happen: the run is whole leaves */
    emit(g, "unmap %s 0x%llx 0x%llx%s", d->name, (unsigned long long)iova,
         (unsigned long long)size, nosync ? " nosync" : "");
    emit(g, "map %s 0x%llx 0x%llx 0x%llx %s", d->name, (unsigned long long)iova,
         (unsigned long long)pa, (unsigned long long)size, w ? "rw" : "r");
    add_leaves(g, d, iova, pa, size, w, false);
    if (nosync)
        remember(g, d, iova, iova + size);
    else if (chance(&g->r, 70))
        touch(g, d, probe); /* the new PA, not the cached old one */
}

static void act_sync_flush(gen *g)
{
    dom *d = pick_dom(g, false, false);
    if (!d)
        return;
    if (chance(&g->r, 55)) {
        emit(g, "sync %s", d->name);
        clean(d, true, false, 0);
    } else {
        emit(g, "flush %s", d->name);
        clean(d, false, false, 0);
    }
    revisit(g);
}

/* Clear U in a leaf behind the driver's back (a corrupted or foreign PTE):
 * once an invalidation covers it, every access faults (ds "Process to
 * translate an IOVA" step: U=0 for a user request). */
static void act_poke_u(gen *g)
{
    if (!g->t->clear_u)
        return;
    dev *d = pick_dev(g, true);
    if (!d)
        return;
    dom *dm = &g->doms[d->at];
    if (!dm->nl)
        return;
    leaf *l = &dm->lv[below(&g->r, dm->nl)];
    if (l->size == SZ_64K || l->nou)
        return;
    uint64_t a = l->iova + below(&g->r, l->size / SZ_4K) * SZ_4K;
    if (chance(&g->r, 60))
        touch(g, dm, a + below(&g->r, SZ_4K / 8) * 8);
    emit(g, "pte %s 0x%llx write 0x0 mask 0x%x", d->name, (unsigned long long)a,
         (unsigned)RIOMMU_PTE_U);
    l->nou = true;
    add_span(g, dm, l->iova, l->iova + l->size, false);
    remember(g, dm, a, a + SZ_4K);
    if (chance(&g->r, 50)) {
        emit(g, "flush %s", dm->name);
        clean(dm, false, false, 0);
        revisit(g);
    }
}

/* ---- actions: reads and checks -------------------------------------------------------- */

static void act_iova_to_phys(gen *g)
{
    unsigned c = (unsigned)below(&g->r, 100);
    if (c < 10) {
        uint64_t a = below(&g->r, 1ull << 40);
        emit(g, "iova-to-phys identity 0x%llx expect 0x%llx", (unsigned long long)a,
             (unsigned long long)a);
        return;
    }
    if (c < 15) {
        emit(g, "iova-to-phys blocked 0x%llx expect 0", (unsigned long long)below(&g->r, 1ull << 40));
        return;
    }
    dom *d = pick_dom(g, false, false);
    if (!d)
        return;
    uint64_t a;
    if (d->nl && chance(&g->r, 75)) {
        const leaf *l = &d->lv[below(&g->r, d->nl)];
        a = l->iova + below(&g->r, l->size);
    } else {
        a = below(&g->r, 1ull << (g->va_bits - 1));
    }
    const leaf *l = find_leaf(d, a);
    emit(g, "iova-to-phys %s 0x%llx expect 0x%llx", d->name, (unsigned long long)a,
         (unsigned long long)(l ? l->pa + (a - l->iova) : 0));
}

static void act_backdoor(gen *g)
{
    dev *d = pick_dev(g, false);
    if (!d)
        return;
    bool valid = d->at == AT_IDENTITY || d->at >= 0;
    unsigned c = (unsigned)below(&g->r, 100);
    if (c < 30 || d->at < 0) {
        emit(g, "dc %s tc expect 0x%x mask 0x1", d->name, valid ? 1u : 0u);
        if (d->at == AT_IDENTITY)
            emit(g, "dc %s fsc expect 0x0", d->name);
        return;
    }
    const dom *dm = &g->doms[d->at];
    if (c < 55) {
        emit(g, "dc %s ta expect 0x%llx mask 0xfffff000", d->name,
             (unsigned long long)dm->pscid << 12);
        emit(g, "dc %s fsc expect 0x%llx mask 0xf000000000000000", d->name,
             (unsigned long long)g->fsc_mode << 60);
        return;
    }
    /* the leaf PTE: PPN, V, R, W (A/D and X depend on the profile) */
    uint64_t a;
    if (dm->nl && chance(&g->r, 80)) {
        const leaf *l = &dm->lv[below(&g->r, dm->nl)];
        a = l->iova + below(&g->r, l->size / SZ_4K) * SZ_4K;
    } else {
        a = below(&g->r, 1ull << 30) & ~(SZ_4K - 1);
    }
    const leaf *l = find_leaf(dm, a);
    if (!l) {
        emit(g, "pte %s 0x%llx expect 0x0 mask 0x1", d->name, (unsigned long long)a);
        return;
    }
    uint64_t ppn = l->pa >> 12;
    if (l->size == SZ_64K)
        ppn = (ppn & ~0xFull) | 0x8;
    uint64_t v = (ppn << 10) | RIOMMU_PTE_V | RIOMMU_PTE_R | (l->w ? RIOMMU_PTE_W : 0) |
                 (l->nou ? 0 : RIOMMU_PTE_U);
    uint64_t mask = RIOMMU_PTE_PPN | RIOMMU_PTE_V | RIOMMU_PTE_R | RIOMMU_PTE_W | RIOMMU_PTE_U;
    emit(g, "pte %s 0x%llx expect 0x%llx mask 0x%llx", d->name, (unsigned long long)a,
         (unsigned long long)v, (unsigned long long)mask);
}

static void act_mmio(gen *g)
{
    static const char *const regs[] = {
        "capabilities", "fctl",        "ddtp",     "cqb",      "cqh",         "cqt",
        "fqb",          "fqh",         "fqt",      "cqcsr",    "fqcsr",       "ipsr",
        "icvec",        "iocountinh",  "iohpmcycles", "tr_req_iova", "tr_req_ctl",
        "tr_response",  "iommu_qosid", "pqcsr",    "msi_data_1",
    };
    unsigned c = (unsigned)below(&g->r, 100);
    if (g->up && c < 25) {
        emit(g, "expect reg ddtp 0x%x mask 0xf", g->ddt_mode);
    } else if (g->up && c < 40) {
        emit(g, "expect reg cqcsr 0x%x mask 0x%x", CQEN_ON | (g->cmd_ill ? CMD_ILL : 0u),
             CQEN_ON | CMD_ILL);
    } else if (g->up && c < 55) {
        emit(g, "expect reg fqcsr 0x%x mask 0x%x", FQEN_ON | (g->fqof ? FQOF : 0u),
             FQEN_ON | FQOF);
    } else if (g->up && c < 65) {
        emit(g, "expect reg ipsr 0x%x mask 0x%x", g->fip ? 2u : 0u, 2u);
    } else {
        emit(g, "mmio read %s", regs[below(&g->r, sizeof regs / sizeof regs[0])]);
    }
}

static void act_stats(gen *g)
{
    emit(g, "expect stat fault_records_written %llu", (unsigned long long)g->st_written);
    emit(g, "expect stat fault_records_dropped %llu", (unsigned long long)g->st_dropped);
    emit(g, "expect stat translations %llu", (unsigned long long)g->st_xl);
    emit(g, "expect stat translations_ok %llu", (unsigned long long)g->st_xl_ok);
    emit(g, "expect stat commands_illegal %llu", (unsigned long long)g->st_illegal);
    emit(g, "expect stat drv.pages_mapped %llu", (unsigned long long)g->st_mapped);
    emit(g, "expect stat drv.pages_unmapped %llu", (unsigned long long)g->st_unmapped);
    emit(g, "expect stat drv.faults_drained %llu", (unsigned long long)g->st_drained);
    static const unsigned causes[] = {C_READ_PF, C_WRITE_PF, C_INST_PF, C_DDT_INVALID, C_TTYPE,
                                      C_DISALLOWED};
    for (size_t i = 0; i < sizeof causes / sizeof causes[0]; i++)
        if (g->st_faults[causes[i]] || chance(&g->r, 20))
            emit(g, "expect stat faults.%s %llu", cause_name(causes[i]),
                 (unsigned long long)g->st_faults[causes[i]]);
}

/* ---- actions: commands -------------------------------------------------------------- */

/* A raw IOTINVAL.VMA (global, one PSCID, or one address of a PSCID) and a
 * fence: afterwards what it covered is clean. */
static void raw_inval(gen *g)
{
    dom *d = pick_dom(g, false, false);
    unsigned c = (unsigned)below(&g->r, 100);
    if (!d || c < 25) {
        emit(g, "cmd 0x%x 0x0", RIOMMU_CMD_OP_IOTINVAL);
        emit(g, "cmd sync");
        for (unsigned i = 0; i < g->ndoms; i++)
            clean(&g->doms[i], false, false, 0);
        return;
    }
    uint64_t d0 = RIOMMU_CMD_OP_IOTINVAL | RIOMMU_IOTINVAL_PSCV |
                  ((uint64_t)d->pscid << 12);
    if (c < 55 || !d->nd) {
        emit(g, "cmd 0x%llx 0x0", (unsigned long long)d0);
        emit(g, "cmd sync");
        clean(d, false, false, 0);
        return;
    }
    const span *s = &d->dirty[below(&g->r, d->nd)];
    uint64_t a = s->lo + below(&g->r, (s->hi - s->lo) / SZ_4K) * SZ_4K;
    emit(g, "cmd 0x%llx 0x%llx", (unsigned long long)(d0 | RIOMMU_IOTINVAL_AV),
         (unsigned long long)((a >> 12) << 10));
    emit(g, "cmd sync");
    clean(d, false, true, a);
}

static void act_raw_inval(gen *g)
{
    raw_inval(g);
    revisit(g);
}

/* IOFENCE.C with AV: the IOMMU writes DATA to ADDR once the fence runs. */
static void act_fence(gen *g)
{
    uint64_t addr = window_addr(g, 4) & ~3ull;
    uint32_t data = (uint32_t)rnext(&g->r);
    uint64_t d0 = RIOMMU_CMD_OP_IOFENCE | RIOMMU_IOFENCE_AV | ((uint64_t)data << 32);
    if (chance(&g->r, 50))
        d0 |= RIOMMU_IOFENCE_PR | RIOMMU_IOFENCE_PW;
    emit(g, "cmd 0x%llx 0x%llx", (unsigned long long)d0, (unsigned long long)(addr >> 2));
    emit(g, "cmd sync");
    uint8_t b[4] = {(uint8_t)data, (uint8_t)(data >> 8), (uint8_t)(data >> 16),
                    (uint8_t)(data >> 24)};
    if (!memhost_write(g->mem, addr, b, 4))
        g->oom = true;
    emit(g, "mem read32 0x%llx expect 0x%x", (unsigned long long)addr, (unsigned)data);
}

/* An illegal command: the queue stops on it with cqcsr.cmd_ill; mainline's
 * fence wait ends with EIO, 6.13's runs into its (short) timeout; the slot
 * is rewritten as a no-op fence and `process` clears cmd_ill (scenario
 * 17_illegal_command.scn). */
static void act_illegal(gen *g)
{
    static const unsigned ops[] = {0, 5, 6, 7, 0x7f};
    if (!g->t->illegal_cmds)
        return;
    unsigned op = ops[below(&g->r, sizeof ops / sizeof ops[0])];
    emit(g, "cmd 0x%x 0x%llx", op, (unsigned long long)(rnext(&g->r) & 0xFFFF));
    g->st_illegal++;
    if (g->mainline) {
        emit(g, "cmd sync expect EIO");
        push_event(g, "cq-error", RIOMMU_CQCSR_CMD_ILL, RIOMMU_CQCSR_CMD_ILL);
    } else {
        emit(g, "cmd sync timeout %u expect ETIMEDOUT", 200u + (unsigned)below(&g->r, 1000));
        push_event(g, "exec-timeout", 0, 0);
    }
    expect_events(g);
    g->cmd_ill = true;
    if (chance(&g->r, 50))
        emit(g, "expect reg cqcsr 0x%x mask 0x%x", CMD_ILL, CMD_ILL);
    if (chance(&g->r, 30))
        emit(g, "expect reg ipsr 0x1 mask 0x1");
    emit(g, "cq-repair");
    do_process(g);
    emit(g, "cmd sync");
}

/* Many commands through a (small) command queue: the ring wraps. */
static void act_wrap(gen *g)
{
    unsigned n = g->cq_entries * 2 + (unsigned)below(&g->r, 8);
    if (n > 80)
        n = 20 + (unsigned)below(&g->r, 60);
    dom *d = pick_dom(g, true, false);
    if (d && chance(&g->r, 40)) {
        emit(g, "repeat %u flush %s", n / 2 + 1, d->name);
        clean(d, false, false, 0);
        revisit(g);
        return;
    }
    emit(g, "repeat %u cmd 0x%x 0x0", n, RIOMMU_CMD_OP_IOTINVAL);
    emit(g, "cmd sync");
    for (unsigned i = 0; i < g->ndoms; i++)
        clean(&g->doms[i], false, false, 0);
    revisit(g);
}

/* ---- the driver: settings, bring-up, teardown --------------------------------------- */

static void driver_settings(gen *g)
{
    const randgen_target *t = g->t;
    emit(g, "driver profile %s", g->mainline ? "mainline" : "linux-6.13");
    if (g->mainline && !t->napot)
        emit(g, "driver policy napot_64k off");
    if (chance(&g->r, 25)) {
        g->cq_req_log2 = 1 + (unsigned)below(&g->r, 5); /* 4..64 entries */
        emit(g, "driver cq entries %u", 2u << g->cq_req_log2);
    }
    if (chance(&g->r, 25)) {
        g->fq_req_log2 = 1 + (unsigned)below(&g->r, 4); /* 4..32 entries */
        emit(g, "driver fq entries %u", 2u << g->fq_req_log2);
    }
    if (chance(&g->r, 30))
        emit(g, "driver policy polling on");
    if (chance(&g->r, 12))
        emit(g, "driver policy mmio32 on");
    if (t->platform_bus && chance(&g->r, 15)) {
        emit(g, "driver bus platform");
        emit(g, "driver irqs %u", 1u + (unsigned)below(&g->r, 4));
    } else if (chance(&g->r, 15)) {
        emit(g, "driver irqs %u", 1u + (unsigned)below(&g->r, 4));
    }
}

static void init(gen *g)
{
    emit(g, "init");
    g->up = true;
    g->fq_on = true;
    unsigned cq = g->cq_req_log2 < g->cq_hw_log2 ? g->cq_req_log2 : g->cq_hw_log2;
    unsigned fq = g->fq_req_log2 < g->fq_hw_log2 ? g->fq_req_log2 : g->fq_hw_log2;
    g->cq_entries = 2u << cq;
    g->fq_entries = 2u << fq;
    g->fq_pending = 0;
    g->fqof = false;
    g->fip = false;
    g->nrecs = 0;
    memset(g->pscid_used, 0, sizeof g->pscid_used);
    if (chance(&g->r, 40)) {
        emit(g, "expect reg ddtp 0x%x mask 0xf", g->ddt_mode);
        emit(g, "mmio read64 cqb expect 0x%x mask 0x1f", cq);
        emit(g, "mmio read64 fqb expect 0x%x mask 0x1f", fq);
    }
}

/* The driver goes (remove or shutdown): names are gone, the DDT with them.
 * Returns false when what follows is UNSPECIFIED: mainline's shutdown
 * writes ddtp Bare straight from a DDT mode, and regs "ddtp" leaves the
 * result of changing to Bare from anything but Off UNSPECIFIED (an IOMMU
 * may go on using cached contexts), so nothing may depend on it. Also
 * false for a target that must not see DMA in Off (dma_when_off). */
static bool teardown(gen *g, bool shutdown)
{
    emit(g, shutdown ? "shutdown" : "remove");
    emit(g, "settle");
    g->up = false;
    g->fq_on = false;
    bool bare = shutdown && g->mainline;
    g->down_ddtp = bare ? DDTP_BARE : DDTP_OFF;
    if (!bare)
        emit(g, "expect reg ddtp 0x%x mask 0xf", g->down_ddtp);
    for (unsigned i = 0; i < g->ndevs; i++)
        g->devs[i].live = false;
    for (unsigned i = 0; i < g->ndoms; i++) {
        g->doms[i].live = false;
        g->doms[i].nl = g->doms[i].nd = 0;
    }
    g->nrecs = 0;
    g->fq_pending = 0;
    g->fqof = false;
    g->fip = false;
    g->cmd_ill = false;
    g->nevs = 0;
    g->nrevisit = 0;
    g->nwrites = 0;
    return !bare && g->t->dma_when_off;
}

/* ---- the model: config lines ----------------------------------------------------------- */

static unsigned pow2_between(rng *r, unsigned lo_log, unsigned hi_log)
{
    return 1u << between(r, lo_log, hi_log);
}

static void cache_line(gen *g, const char *which, bool may_disable)
{
    unsigned entries = pow2_between(&g->r, 0, 8);
    unsigned assoc = chance(&g->r, 20) ? 0 : pow2_between(&g->r, 0, 3);
    if (assoc > entries)
        assoc = entries;
    static const char *const pol[] = {"lru", "fifo", "random"};
    if (may_disable && chance(&g->r, 20)) {
        emit(g, "config %s enable=off", which);
        return;
    }
    emit(g, "config %s entries=%u assoc=%u policy=%s", which, entries, assoc,
         pol[below(&g->r, 3)]);
}

static void model_config(gen *g)
{
    g->va_bits = 57;
    g->fsc_mode = RIOMMU_IOSATP_MODE_SV57;
    g->ext_dc = false;
    g->ddt_mode = RIOMMU_DDTP_MODE_3LVL;
    g->reset_ddtp = DDTP_OFF;
    g->iotval_page = true;
    g->cq_hw_log2 = 15;
    g->fq_hw_log2 = 15;
    if (!g->t->config)
        return;
    char caps[128] = "";
    unsigned pc = (unsigned)below(&g->r, 100);
    if (pc < 25) {
        strcat(caps, " -Sv57");
        g->va_bits = 48;
        g->fsc_mode = RIOMMU_IOSATP_MODE_SV48;
    } else if (pc < 45) {
        strcat(caps, " -Sv57 -Sv48");
        g->va_bits = 39;
        g->fsc_mode = RIOMMU_IOSATP_MODE_SV39;
    }
    if (chance(&g->r, 20)) {
        strcat(caps, " +MSI_FLAT");
        g->ext_dc = true;
    }
    if (chance(&g->r, 15))
        strcat(caps, " -AMO_HWAD"); /* 6.13 then sets D itself */
    if (caps[0])
        emit(g, "config caps%s", caps);
    if (chance(&g->r, 35)) {
        unsigned m = 1u + (unsigned)below(&g->r, 7); /* non-empty subset */
        char modes[32] = "";
        static const char *const nm[] = {"1LVL", "2LVL", "3LVL"};
        for (unsigned i = 0; i < 3; i++)
            if (m & (1u << i)) {
                strcat(modes, " ");
                strcat(modes, nm[i]);
                g->ddt_mode = RIOMMU_DDTP_MODE_1LVL + i;
            }
        emit(g, "config ddt modes%s", modes);
    }
    if (chance(&g->r, 10)) {
        emit(g, "config ddt reset bare");
        g->reset_ddtp = DDTP_BARE;
    }
    bool more = !g->t->config_straps_only;
    if (more && chance(&g->r, 40))
        cache_line(g, "iotlb", false);
    if (more && chance(&g->r, 30))
        cache_line(g, "ddtc", true);
    if (more && chance(&g->r, 30))
        cache_line(g, "walkc", true);
    if (more && chance(&g->r, 30)) {
        emit(g, "config timing mem_lat=%u cmd_lat=%u ddtp_busy=%u qcsr_busy=%u xlate_lat=%u",
             (unsigned)below(&g->r, 60), (unsigned)below(&g->r, 120), (unsigned)below(&g->r, 300),
             (unsigned)below(&g->r, 300), (unsigned)below(&g->r, 10));
        /* the slot and DMA knobs (docs/timing.md "Parameters"): timing
         * never changes behaviour, but the transaction size changes how
         * many translations a DMA is */
        g->txn_bytes = 8u << below(&g->r, 10);
        emit(g,
             "config timing xlate_slots=%u ptw_slots=%u dma_txn_bytes=%u dma_rd_lat=%u "
             "dma_wr_lat=%u mem_beat_lat=%u fault_lat=%u",
             1u + (unsigned)below(&g->r, 8), 1u + (unsigned)below(&g->r, 4), g->txn_bytes,
             (unsigned)below(&g->r, 40), (unsigned)below(&g->r, 40), (unsigned)below(&g->r, 8),
             (unsigned)below(&g->r, 8));
    }
    if (chance(&g->r, 15)) {
        g->cq_hw_log2 = 1 + (unsigned)below(&g->r, 4);
        emit(g, "config cq max-entries %u", 2u << g->cq_hw_log2);
    }
    if (chance(&g->r, 15)) {
        g->fq_hw_log2 = 1 + (unsigned)below(&g->r, 4);
        emit(g, "config fq max-entries %u", 2u << g->fq_hw_log2);
    }
    if (chance(&g->r, 15))
        emit(g, "config num_vectors %u", 1u + (unsigned)below(&g->r, 16));
    if (more && chance(&g->r, 10))
        emit(g, "config synchronous on");
    if (more && chance(&g->r, 10)) {
        emit(g, "config iotval_page_offset off");
        g->iotval_page = false;
    }
    if (more && chance(&g->r, 20))
        emit(g, "config seed %u", (unsigned)below(&g->r, 1u << 31));
}

static unsigned ddt_id_bits(const gen *g)
{
    switch (g->ddt_mode) {
    case RIOMMU_DDTP_MODE_1LVL: return g->ext_dc ? 6 : 7;
    case RIOMMU_DDTP_MODE_2LVL: return g->ext_dc ? 15 : 16;
    default: return 24;
    }
}

/* ---- a session: bring-up, random actions ------------------------------------------ */

static void action(gen *g)
{
    unsigned c = (unsigned)below(&g->r, 1000);
    dom *d;
    if (c < 330) {
        act_dma(g);
    } else if (c < 420) {
        d = pick_dom(g, false, false);
        if (d)
            act_map(g, d);
    } else if (c < 480) {
        d = pick_dom(g, false, true);
        if (d)
            act_unmap(g, d);
    } else if (c < 520) {
        d = pick_dom(g, false, true);
        if (d)
            act_remap(g, d);
    } else if (c < 590) {
        act_attach(g);
    } else if (c < 640) {
        if (g->fq_pending || g->fip || chance(&g->r, 30))
            do_process(g);
    } else if (c < 690) {
        act_sync_flush(g);
    } else if (c < 715) {
        act_iova_to_phys(g);
    } else if (c < 745) {
        act_backdoor(g);
    } else if (c < 775) {
        act_mmio(g);
    } else if (c < 790) {
        act_stats(g);
    } else if (c < 810) {
        act_raw_inval(g);
    } else if (c < 825) {
        act_fence(g);
    } else if (c < 835) {
        act_illegal(g);
    } else if (c < 845) {
        act_wrap(g);
    } else if (c < 860) {
        act_fault_burst(g);
    } else if (c < 880) {
        if (chance(&g->r, 50))
            emit(g, "settle");
        else
            emit(g, "step %u", (unsigned)below(&g->r, 5000));
    } else if (c < 905) {
        act_probe(g);
    } else if (c < 925) {
        act_domain(g);
    } else if (c < 935) {
        act_release(g);
    } else if (c < 945) {
        act_free(g);
    } else if (c < 960) {
        act_poke_u(g);
    } else {
        /* a burst of DMA from one device: reads meet earlier writes */
        unsigned n = 2 + (unsigned)below(&g->r, 4);
        for (unsigned i = 0; i < n; i++)
            act_dma(g);
    }
}

static void session(gen *g, unsigned nactions)
{
    unsigned nd = 2 + (unsigned)below(&g->r, 4), nm = 1 + (unsigned)below(&g->r, 3);
    for (unsigned i = 0; i < nd; i++)
        act_probe(g);
    for (unsigned i = 0; i < nm; i++)
        act_domain(g);
    for (unsigned i = 0; i < g->ndevs; i++)
        if (g->devs[i].live && chance(&g->r, 80)) {
            dev *dv = &g->devs[i];
            dom *dm = pick_dom(g, false, false);
            if (dm && chance(&g->r, 75)) {
                emit(g, "attach %s %s", dv->name, dm->name);
                attach_state(g, dv, (int)(dm - g->doms));
            } else {
                emit(g, "attach %s identity", dv->name);
                attach_state(g, dv, AT_IDENTITY);
            }
        }
    for (unsigned i = 0; i < g->ndoms; i++)
        if (g->doms[i].live) {
            unsigned k = 1 + (unsigned)below(&g->r, 3);
            for (unsigned j = 0; j < k; j++)
                act_map(g, &g->doms[i]);
        }
    for (unsigned i = 0; i < nactions && !g->oom; i++)
        action(g);
    if (g->fq_pending || g->fqof || chance(&g->r, 50))
        do_process(g);
    if (chance(&g->r, 60))
        act_stats(g);
}

static void dma_after_teardown(gen *g)
{
    unsigned n = 1 + (unsigned)below(&g->r, 4);
    for (unsigned i = 0; i < n; i++)
        act_dma(g);
}

/* ---- entry points ---------------------------------------------------------------------- */

static bool coin_profile(uint64_t seed)
{
    rng r;
    rseed(&r, seed ^ 0x70726F66696C65ull); /* "profile" */
    return rnext(&r) & 1;
}

randgen_profile randgen_seed_profile(uint64_t seed, const randgen_target *t)
{
    if (t->profile != RANDGEN_PROFILE_RANDOM)
        return t->profile;
    return coin_profile(seed) ? RANDGEN_PROFILE_LINUX613 : RANDGEN_PROFILE_MAINLINE;
}

bool randgen_generate(uint64_t seed, const randgen_target *t, char **text, size_t *len)
{
    gen *g = calloc(1, sizeof *g);
    if (!g)
        return false;
    g->mem = memhost_create(1u << 20); /* pages on demand, at most 4 GiB */
    if (!g->mem) {
        free(g);
        return false;
    }
    rseed(&g->r, seed);
    g->t = t;
    g->txn_bytes = t->dma_txn_bytes ? t->dma_txn_bytes : 4096;
    g->mainline = randgen_seed_profile(seed, t) == RANDGEN_PROFILE_MAINLINE;
    g->cq_req_log2 = 12;
    g->fq_req_log2 = 11;
    const char *pn = randgen_profile_name(g->mainline ? RANDGEN_PROFILE_MAINLINE
                                                      : RANDGEN_PROFILE_LINUX613);
    emit(g, "# riommu random: seed %llu, target %s, profile %s%s", (unsigned long long)seed,
         t->name ? t->name : "model", pn,
         t->profile == RANDGEN_PROFILE_RANDOM ? " (picked by the seed)" : "");
    emit(g, "# regenerate: riommu random --print %llu --backends %s --profile %s",
         (unsigned long long)seed, t->name ? t->name : "model",
         randgen_profile_name(t->profile));
    emit(g, "# Constrained-random workload (docs/random.md); every expectation comes from");
    emit(g, "# the generator's shadow of the driver, the IOMMU and memory.");
    model_config(g);
    g->id_bits = ddt_id_bits(g);
    g->down_ddtp = g->reset_ddtp;
    driver_settings(g);
    if (chance(&g->r, 15)) { /* DMA before the driver: reset ddtp */
        emit(g, "echo before init: ddtp is %s", g->reset_ddtp ? "Bare" : "Off");
        dma_after_teardown(g);
    }
    init(g);
    session(g, 60 + (unsigned)below(&g->r, 140));
    unsigned end = (unsigned)below(&g->r, 100);
    if (end < 45) {
        bool shutdown = end < 20;
        emit(g, "echo the driver goes: %s", shutdown ? "shutdown" : "remove");
        if (teardown(g, shutdown))
            dma_after_teardown(g); /* ddtp Off: everything disallowed */
        if (g->mainline && !shutdown && chance(&g->r, 60)) {
            emit(g, "echo a second bring-up");
            driver_settings(g);
            init(g);
            session(g, 20 + (unsigned)below(&g->r, 40));
        }
    }
    if (g->up && chance(&g->r, 30))
        emit(g, "expect no-events");
    bool ok = !g->oom;
    for (unsigned i = 0; i < g->ndoms; i++) {
        free(g->doms[i].lv);
        free(g->doms[i].dirty);
    }
    memhost_destroy(g->mem);
    if (ok) {
        *text = g->buf;
        *len = g->len;
    } else {
        free(g->buf);
    }
    free(g);
    return ok;
}

void randgen_target_model(randgen_target *t)
{
    memset(t, 0, sizeof *t);
    t->config = true;
    t->dma_pid_priv_exec = true;
    t->platform_bus = true;
    t->napot = true;
    t->clear_u = true;
    t->write_readonly = true;
    t->noncanonical = true;
    t->illegal_cmds = true;
    t->fip_reassert = true;
    t->dma_when_off = true;
    t->max_dma_len = 65536;
    /* 4 GiB .. 1 TiB: above the driver's DMA window (0x80000000 + 256 MiB),
     * with 1 GiB- and 512 GiB-aligned room. */
    t->pa_base = 1ull << 32;
    t->pa_size = (1ull << 40) - (1ull << 32);
}

void randgen_target_rtl(randgen_target *t)
{
    randgen_target_model(t);
    t->config_straps_only = true; /* riommu_rtl_top's straps (README.md) */
    riommu_config rc;
    riommu_config_default(&rc);
    if (world_rtl_model_config(&rc, 1)) /* 8: the DUT's device port takes beats */
        t->dma_txn_bytes = rc.timing.dma_txn_bytes;
    t->dma_pid_priv_exec = false; /* no process contexts */
}

void randgen_target_qemu(randgen_target *t, const uint32_t *ids, unsigned n)
{
    memset(t, 0, sizeof *t);
    t->device_ids = ids;
    t->n_device_ids = n;
    t->max_dma_len = 4096;
    /* Guest RAM is 0x80000000 + 2 GiB; the driver allocates from
     * 0x80100000 (256 MiB); data lives in the upper 1.5 GiB, which holds the
     * 1 GiB-aligned GiB at 0xC0000000. */
    t->pa_base = 0xA0000000ull;
    t->pa_size = 0x60000000ull;
}

const char *randgen_profile_name(randgen_profile p)
{
    switch (p) {
    case RANDGEN_PROFILE_MAINLINE: return "mainline";
    case RANDGEN_PROFILE_LINUX613: return "linux-6.13";
    case RANDGEN_PROFILE_RANDOM:
    default: return "random";
    }
}

bool randgen_profile_parse(const char *s, randgen_profile *out)
{
    if (!strcmp(s, "random"))
        *out = RANDGEN_PROFILE_RANDOM;
    else if (!strcmp(s, "mainline"))
        *out = RANDGEN_PROFILE_MAINLINE;
    else if (!strcmp(s, "linux-6.13") || !strcmp(s, "6.13") || !strcmp(s, "linux613") ||
             !strcmp(s, "v10"))
        *out = RANDGEN_PROFILE_LINUX613;
    else
        return false;
    return true;
}

struct scn_program *randgen_program(uint64_t seed, const randgen_target *t, char *err,
                                    size_t errlen)
{
    char *text, name[48];
    size_t len;
    if (!randgen_generate(seed, t, &text, &len)) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    snprintf(name, sizeof name, "seed-%llu", (unsigned long long)seed);
    scn_error e;
    scn_program *p = scn_parse(name, text, len, &e);
    free(text);
    if (!p)
        snprintf(err, errlen, "seed %llu: the generated scenario does not parse: line %u: %s "
                              "(a generator bug; `riommu random --print %llu` shows the text)",
                 (unsigned long long)seed, e.line, e.msg, (unsigned long long)seed);
    return p;
}
