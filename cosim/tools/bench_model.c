/*
 * bench_model.c - the model sections of `riommu bench` (bench.h; issue 7
 * "Benchmarks"; docs/timing.md "Measured scaling"): what libriommu itself
 * costs, driven through its API with nothing else in the loop.
 *
 * THE WORLD. A sparse host memory (memhost) holds every table; the model is
 * created on it with riommu_create and programmed through riommu_mmio_write
 * like a driver would, but the tables are written straight into memory
 * (no driver, no lockstep engine): ddtp in 3-level mode, device contexts in
 * a 3-level device directory, Sv39 / Sv48 / Sv57 page tables with A and D
 * preset (no A/D updates), a 4096-entry command queue. Every figure is
 * the model's cost: riommu_translate or the command queue, nothing around
 * them but a loop.
 *
 * THE WORKLOADS (each a fixed number of operations, checked afterwards
 * against the model's statistics, so a figure never describes something
 * other than its title):
 *   iotlb_hit   one device, Sv39, reads cycling over 64 pages (inside the
 *               256-entry IOTLB, warmed first): every translation hits the
 *               DDTC and the IOTLB (checked: iotlb hits == translations);
 *   sv39/48/57  one device per mode, the walk cache off, reads cycling over
 *               4096 pages: with LRU each IOTLB set sees 128 pages in turn
 *               for its 8 ways, so every translation misses and walks all
 *               3/4/5 levels (checked: walks == translations, PTE reads ==
 *               levels x translations, no IOTLB hit);
 *   ddtc_miss   4096 devices spread over the 2^24 device IDs of a 3-level
 *               DDT, cycled in turn (64-entry DDTC: every lookup misses and
 *               walks the DDT: 2 DDTEs and the context), all sharing one
 *               PSCID and page table so the IOTLB hits (checked: DDT walks
 *               == translations, no DDTC hit);
 *   commands    a ring of IOTINVAL.VMA (address, PSCID, whole space) and
 *               IOFENCE.C (AV=1, a completion write) commands, 3:1, run by
 *               riommu_settle in batches of 4095 after a cqt write; the
 *               IOTLB was full when the first batch started (checked:
 *               commands executed == commands issued, none illegal).
 *
 * The cycles over pages and devices go on from run to run (a restart at
 * page 0 would hit what the last run left in the IOTLB).
 *
 * SCALING (--scaling, only when asked for): the same workloads, checked
 * only for success, as the working set grows: pages past the IOTLB and the
 * walk cache's reach (visited 513 apart, so each translation is in another
 * 2 MiB region), devices past the DDTC, and each mode's walk with the walk
 * cache off and on. The tables of docs/timing.md "Measured scaling".
 *
 * THE MODES. "functional" and "timed" differ only in mode_config() below:
 * functional is the default configuration with the timing layer's switch
 * off (timing.enable = false: no slots, no cursor, responses of 0 cycles;
 * docs/timing.md), timed is the default configuration (the timing layer
 * on, default latencies and slot counts).
 *
 * MEASURING. A workload's world is built (not timed), warmed up with one
 * pass, and sized: with --size N every timed run does N operations, else
 * runs of 2^16, 2^17, ... operations until one takes CAL_SECONDS of CPU
 * time size it for the time asked (--seconds, default 0.2 s per run). Then
 * --repeat timed runs per mode, interleaved (functional, timed,
 * functional, ...); the run with the least process CPU time counts, and
 * its wall time is shown beside it. Rates and targets are per second of
 * CPU time: the bounds are for one core, and on a shared host the
 * wall time also counts the time spent waiting for one.
 */
#define _POSIX_C_SOURCE 200809L

#include <inttypes.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench.h"
#include "riommu/memhost.h"
#include "riommu/riommu.h"

/* Targets (issue 7): on one core at -O2. */
#define TARGET_HIT_PER_S 100e6
#define TARGET_SV39_PER_S 20e6
#define TARGET_TIMED_SLOWDOWN 1.5

#define DEFAULT_SECONDS 0.2
#define CAL_SECONDS 0.05
#define MAX_OPS (1ull << 36)

#define TABLES_PA 0x100000000ull   /* table pages are allocated upwards from here */
#define DATA_PA 0x4000000000ull    /* mapped data pages (never touched) */
#define IOVA_BASE 0x40000000ull    /* first mapped IOVA of every page table */
#define HOT_PAGES 64u              /* iotlb_hit working set */
#define MISS_PAGES 4096u           /* walk working set: 16 x the IOTLB */
#define DDTC_DEVICES 4096u         /* ddtc_miss devices: 64 x the DDTC */
#define CQ_LOG2SZ 12u              /* 4096-entry command queue */
#define FENCE_PA 0x80000000ull     /* IOFENCE.C completion word */
#define FOOT_DEVICES 4096u         /* footprint: valid contexts in the 2^24-ID DDT */
#define FOOT_PAGES (1u << 20)      /* footprint: mapped 4 KiB pages */

/* ---- the modes --------------------------------------------------------------------- */

enum { MODE_FUNCTIONAL = 0, MODE_TIMED = 1, NMODES };
static const char *const mode_key[NMODES] = {"functional", "timed"};
static const char *const mode_title[NMODES] = {"functional (timing.enable=false)",
                                               "timed (timing layer on, defaults)"};

/* The one place a mode is chosen (see the header comment). */
static void mode_config(riommu_config *cfg, int mode)
{
    if (mode == MODE_FUNCTIONAL)
        cfg->timing.enable = false;
}

/* ---- the world ------------------------------------------------------------------- */

typedef struct mworld {
    memhost *h;
    riommu *m;
    uint64_t next_pa;   /* bump allocator of table pages */
    uint64_t ddt_root;  /* PA of the DDT root page */
    uint64_t pt_root[3]; /* Sv39, Sv48, Sv57 roots (0: not built) */
    uint64_t cq_pa;
    char err[160];
} mworld;

static uint64_t alloc_page(mworld *w)
{
    uint64_t pa = w->next_pa;
    w->next_pa += 4096;
    return pa;
}

static bool mw_w64(mworld *w, uint64_t pa, uint64_t v)
{
    if (memhost_w64(w->h, pa, v))
        return true;
    snprintf(w->err, sizeof w->err, "host memory exhausted at PA 0x%" PRIx64, pa);
    return false;
}

/* The entry at `pa` (a DDTE or a non-leaf PTE, both V at bit 0 and PPN at
 * 53:10): the page it points to, allocated and linked when absent. */
static uint64_t next_table(mworld *w, uint64_t pa, bool *ok)
{
    uint64_t e = memhost_r64(w->h, pa);
    if (e & 1)
        return RIOMMU_FIELD_GET(e, RIOMMU_PTE_PPN) << 12;
    uint64_t page = alloc_page(w);
    /* the page must exist even when it stays all zeros */
    *ok = *ok && mw_w64(w, page, 0) &&
          mw_w64(w, pa, RIOMMU_PTE_V | RIOMMU_FIELD_PREP(RIOMMU_PTE_PPN, page >> 12));
    return page;
}

/* Device context of `did` in the 3-level DDT, base format (ds "Base/Extended
 * format device_id partitioning": DDI[2] = 23:16, DDI[1] = 15:7, DDI[0] = 6:0). */
static bool set_dc(mworld *w, uint32_t did, unsigned satp_mode, uint64_t root, uint32_t pscid)
{
    bool ok = true;
    uint64_t mid = next_table(w, w->ddt_root + ((did >> 16) & 0xFF) * 8ull, &ok);
    uint64_t leaf = next_table(w, mid + ((did >> 7) & 0x1FF) * 8ull, &ok);
    uint64_t dc = leaf + (did & 0x7F) * 32ull;
    return ok && mw_w64(w, dc + 8, 0) &&
           mw_w64(w, dc + 16, RIOMMU_FIELD_PREP(RIOMMU_DC_TA_PSCID, pscid)) &&
           mw_w64(w, dc + 24, RIOMMU_FIELD_PREP(RIOMMU_FSC_MODE, satp_mode) |
                                  RIOMMU_FIELD_PREP(RIOMMU_FSC_PPN, root >> 12)) &&
           mw_w64(w, dc, RIOMMU_DC_TC_V);
}


/* Map `n` 4 KiB pages from IOVA_BASE, user read/write, A and D set. */
static bool map_pages(mworld *w, uint64_t root, unsigned levels, uint64_t n)
{
    bool ok = true;
    uint64_t leaf = 0;
    for (uint64_t p = 0; ok && p < n; p++) {
        uint64_t va = IOVA_BASE + (p << 12);
        if (p == 0 || ((va >> 12) & 511) == 0) {
            uint64_t t = root;
            for (unsigned l = levels - 1; l > 0; l--)
                t = next_table(w, t + ((va >> (12 + 9 * l)) & 511) * 8, &ok);
            leaf = t;
        }
        uint64_t pte = RIOMMU_PTE_V | RIOMMU_PTE_R | RIOMMU_PTE_W | RIOMMU_PTE_U |
                       RIOMMU_PTE_A | RIOMMU_PTE_D |
                       RIOMMU_FIELD_PREP(RIOMMU_PTE_PPN, (DATA_PA >> 12) + p);
        ok = ok && mw_w64(w, leaf + ((va >> 12) & 511) * 8, pte);
    }
    return ok;
}

static bool mmio(mworld *w, uint32_t off, uint64_t v)
{
    unsigned size = off == RIOMMU_REG_CQCSR ? 4 : 8;
    if (riommu_mmio_write(w->m, off, size, v) == RIOMMU_MMIO_OK)
        return true;
    snprintf(w->err, sizeof w->err, "MMIO write at 0x%x refused", off);
    return false;
}

/* Which parts of the world a workload needs. */
typedef struct world_spec {
    int mode;
    bool walkc;            /* the walk cache on (default geometry) */
    uint64_t pages[3];     /* pages mapped in the Sv39/Sv48/Sv57 tables */
    uint32_t ndev;         /* extra Sv39 devices sharing PSCID 1 (ddtc_miss) */
    uint32_t iotlb_entries, ddtc_entries; /* 0: defaults (scaling varies them not) */
} world_spec;

/* Device IDs: the ones of the three modes, then `ndev` spread over the
 * whole 24-bit space (odd stride: distinct, every DDTC set in turn). */
#define DID_MODE(k) (0x10u + (uint32_t)(k))
static uint32_t did_spread(uint32_t i, uint32_t n)
{
    uint32_t stride = ((1u << 24) / n) | 1u;
    return (0x100u + i * stride) & 0xFFFFFFu;
}

static void world_free(mworld *w)
{
    riommu_destroy(w->m);
    memhost_destroy(w->h);
    memset(w, 0, sizeof *w);
}

static bool world_build(mworld *w, const world_spec *s)
{
    memset(w, 0, sizeof *w);
    w->next_pa = TABLES_PA;
    w->h = memhost_create(1u << 22);
    if (!w->h) {
        snprintf(w->err, sizeof w->err, "out of memory");
        return false;
    }
    riommu_config cfg;
    riommu_config_default(&cfg);
    mode_config(&cfg, s->mode);
    cfg.walkc.enable = s->walkc;
    riommu_host_ops ops = memhost_ops(w->h);
    w->m = riommu_create(&cfg, &ops, w->err, sizeof w->err);
    if (!w->m)
        return false;
    w->cq_pa = alloc_page(w); /* TABLES_PA: aligned to the ring's 64 KiB */
    w->next_pa += (16u << CQ_LOG2SZ) - 4096;
    w->ddt_root = alloc_page(w);
    bool ok = mw_w64(w, w->ddt_root, 0);
    for (unsigned k = 0; ok && k < 3; k++) {
        if (!s->pages[k])
            continue;
        w->pt_root[k] = alloc_page(w);
        ok = mw_w64(w, w->pt_root[k], 0) && map_pages(w, w->pt_root[k], 3 + k, s->pages[k]) &&
             set_dc(w, DID_MODE(k), RIOMMU_IOSATP_MODE_SV39 + k, w->pt_root[k], 1 + k);
    }
    for (uint32_t i = 0; ok && i < s->ndev; i++)
        ok = set_dc(w, did_spread(i, s->ndev), RIOMMU_IOSATP_MODE_SV39, w->pt_root[0], 1);
    ok = ok && mmio(w, RIOMMU_REG_DDTP, RIOMMU_DDTP_MODE_3LVL |
                                            RIOMMU_FIELD_PREP(RIOMMU_DDTP_PPN, w->ddt_root >> 12)) &&
         mmio(w, RIOMMU_REG_CQB, (CQ_LOG2SZ - 1) |
                                     RIOMMU_FIELD_PREP(RIOMMU_QB_PPN, w->cq_pa >> 12)) &&
         mmio(w, RIOMMU_REG_CQCSR, RIOMMU_CQCSR_CQEN);
    if (!ok)
        return false;
    riommu_settle(w->m);
    if ((riommu_peek_reg(w->m, RIOMMU_REG_DDTP) & RIOMMU_DDTP_MODE) != RIOMMU_DDTP_MODE_3LVL ||
        !(riommu_peek_reg(w->m, RIOMMU_REG_CQCSR) & RIOMMU_CQCSR_CQON)) {
        snprintf(w->err, sizeof w->err, "the model did not take ddtp 3LVL and cqon");
        return false;
    }
    return true;
}

/* ---- workloads ------------------------------------------------------------------- */

typedef enum wl_kind { WL_HIT = 0, WL_SV39, WL_SV48, WL_SV57, WL_DDTC, WL_CMDS, NWL } wl_kind;

typedef struct wl_def {
    const char *key, *title, *unit; /* unit: what one operation is */
} wl_def;

static const wl_def wl_defs[NWL] = {
    {"iotlb_hit", "IOTLB hits (Sv39, 64 pages, one device)", "translations"},
    {"sv39_miss", "Sv39 misses (full 3-level walks, walk cache off)", "translations"},
    {"sv48_miss", "Sv48 misses (full 4-level walks, walk cache off)", "translations"},
    {"sv57_miss", "Sv57 misses (full 5-level walks, walk cache off)", "translations"},
    {"ddtc_miss", "DDTC misses (3-level DDT, 4096 devices, IOTLB hits)", "translations"},
    {"commands", "commands (3 IOTINVAL.VMA : 1 IOFENCE.C)", "commands"},
};

/* One workload's parameters, for the model section and the scaling tables. */
typedef struct wl_params {
    wl_kind kind;
    int mode;
    bool walkc;
    uint32_t pages;   /* IOVA working set (pages cycled over) */
    uint32_t ndev;    /* devices cycled over (ddtc_miss) */
    bool loose;       /* scaling rows: only check that every operation
                         succeeded (hit rates are what they measure) */
    uint32_t stride;  /* pages from one translation to the next (0 = 1):
                         odd, so a power-of-two working set is still
                         visited page by page once per cycle */
} wl_params;

typedef struct wl_state {
    mworld w;
    wl_params p;
    uint32_t *dids;
    uint32_t cq_head;
    uint32_t pg, dev; /* where the cycles over pages and devices stand: a
                         run goes on from where the last one stopped (a
                         restart at page 0 would hit what the last run
                         left in the IOTLB) */
} wl_state;

/* What one run did, from the model's statistics. */
typedef struct wl_counts {
    uint64_t ops, ok, iotlb_hits, iotlb_misses, s1_walks, pte_reads, ddt_walks, ddtc_hits,
        walkc_hits, commands, illegal, cycles;
} wl_counts;

static uint64_t cmd_at(uint32_t i, uint64_t d[2])
{
    switch (i & 3) {
    case 0: /* one page of PSCID 1 */
    case 1:
        d[0] = RIOMMU_CMD_OP_IOTINVAL | RIOMMU_IOTINVAL_AV | RIOMMU_IOTINVAL_PSCV |
               RIOMMU_FIELD_PREP(RIOMMU_IOTINVAL_PSCID, 1);
        d[1] = RIOMMU_FIELD_PREP(RIOMMU_IOTINVAL_ADDR, (IOVA_BASE >> 12) + (i & 255));
        break;
    case 2: /* the whole of PSCID 1 */
        d[0] = RIOMMU_CMD_OP_IOTINVAL | RIOMMU_IOTINVAL_PSCV |
               RIOMMU_FIELD_PREP(RIOMMU_IOTINVAL_PSCID, 1);
        d[1] = 0;
        break;
    default: /* a fence with a completion write */
        d[0] = RIOMMU_CMD_OP_IOFENCE |
               RIOMMU_FIELD_PREP(RIOMMU_CMD_FUNC3, RIOMMU_CMD_FUNC_IOFENCE_C) |
               RIOMMU_IOFENCE_AV | RIOMMU_FIELD_PREP(RIOMMU_IOFENCE_DATA, i);
        d[1] = FENCE_PA >> 2;
        break;
    }
    return d[0];
}

static bool wl_translate(wl_state *s, uint64_t n, uint64_t *okc);
static bool wl_run(wl_state *s, uint64_t n, struct wl_counts *c);

static bool wl_build(wl_state *s, const wl_params *p)
{
    memset(s, 0, sizeof *s);
    s->p = *p;
    world_spec ws;
    memset(&ws, 0, sizeof ws);
    ws.mode = p->mode;
    ws.walkc = p->walkc;
    int k = p->kind == WL_SV48 ? 1 : p->kind == WL_SV57 ? 2 : 0;
    ws.pages[k] = p->kind == WL_CMDS ? 256 : p->pages;
    if (p->kind == WL_DDTC)
        ws.ndev = p->ndev;
    if (!world_build(&s->w, &ws))
        return false;
    if (p->kind == WL_DDTC) {
        s->dids = malloc(p->ndev * sizeof *s->dids);
        if (!s->dids) {
            snprintf(s->w.err, sizeof s->w.err, "out of memory");
            return false;
        }
        for (uint32_t i = 0; i < p->ndev; i++)
            s->dids[i] = did_spread(i, p->ndev);
    }
    if (p->kind == WL_CMDS) {
        for (uint32_t i = 0; i < (1u << CQ_LOG2SZ); i++) {
            uint64_t d[2];
            cmd_at(i, d);
            if (!mw_w64(&s->w, s->w.cq_pa + 16ull * i, d[0]) ||
                !mw_w64(&s->w, s->w.cq_pa + 16ull * i + 8, d[1]))
                return false;
        }
        /* fill the IOTLB: 256 pages of PSCID 1 */
        s->p.pages = 256;
        uint64_t okc = 0;
        wl_translate(s, 256, &okc);
        if (okc != 256) {
            snprintf(s->w.err, sizeof s->w.err, "warm-up translations faulted");
            return false;
        }
    }
    return true;
}

static void wl_free(wl_state *s)
{
    free(s->dids);
    world_free(&s->w);
}

static bool wl_translate(wl_state *s, uint64_t n, uint64_t *okc)
{
    riommu *m = s->w.m;
    riommu_request q;
    memset(&q, 0, sizeof q);
    q.kind = RIOMMU_REQ_UNTRANSLATED;
    q.access = RIOMMU_READ;
    q.len = 8;
    int k = s->p.kind == WL_SV48 ? 1 : s->p.kind == WL_SV57 ? 2 : 0;
    q.device_id = DID_MODE(k);
    uint32_t npages = s->p.pages, ndev = s->p.ndev, pg = s->pg, d = s->dev;
    uint64_t good = 0;
    riommu_response rsp;
    if (s->p.kind == WL_DDTC) {
        for (uint64_t i = 0; i < n; i++) {
            q.device_id = s->dids[d];
            q.iova = IOVA_BASE + ((uint64_t)pg << 12);
            good += riommu_translate(m, &q, &rsp) == RIOMMU_RSP_OK;
            if (++d == ndev)
                d = 0;
            if (++pg == npages)
                pg = 0;
        }
    } else if (s->p.stride > 1) {
        uint32_t stride = s->p.stride % npages;
        for (uint64_t i = 0; i < n; i++) {
            q.iova = IOVA_BASE + ((uint64_t)pg << 12);
            good += riommu_translate(m, &q, &rsp) == RIOMMU_RSP_OK;
            pg += stride;
            if (pg >= npages)
                pg -= npages;
        }
    } else {
        for (uint64_t i = 0; i < n; i++) {
            q.iova = IOVA_BASE + ((uint64_t)pg << 12);
            good += riommu_translate(m, &q, &rsp) == RIOMMU_RSP_OK;
            if (++pg == npages)
                pg = 0;
        }
    }
    s->pg = pg;
    s->dev = d;
    *okc = good;
    return true;
}

static bool wl_commands(wl_state *s, uint64_t n)
{
    riommu *m = s->w.m;
    const uint32_t mask = (1u << CQ_LOG2SZ) - 1;
    while (n) {
        uint32_t batch = n > mask ? mask : (uint32_t)n;
        s->cq_head = (s->cq_head + batch) & mask;
        if (riommu_mmio_write(m, RIOMMU_REG_CQT, 4, s->cq_head) != RIOMMU_MMIO_OK)
            return false;
        riommu_settle(m);
        if ((uint32_t)riommu_peek_reg(m, RIOMMU_REG_CQH) != s->cq_head)
            return false;
        n -= batch;
    }
    return true;
}

/* `n` operations, counted from the model's statistics. */
static bool wl_run(wl_state *s, uint64_t n, wl_counts *c)
{
    riommu *m = s->w.m;
    riommu_clear_stats(m);
    uint64_t t0 = riommu_now(m), okc = n;
    bool ok = s->p.kind == WL_CMDS ? wl_commands(s, n) : wl_translate(s, n, &okc);
    riommu_stats st;
    riommu_get_stats(m, &st);
    memset(c, 0, sizeof *c);
    c->ops = n;
    c->ok = s->p.kind == WL_CMDS ? n : okc;
    c->iotlb_hits = st.iotlb.hits;
    c->iotlb_misses = st.iotlb.misses;
    c->s1_walks = st.s1_walks;
    for (unsigned l = 0; l < 5; l++)
        c->pte_reads += st.s1_walk_levels[l];
    c->ddt_walks = st.ddt_walks;
    c->ddtc_hits = st.ddtc.hits;
    c->walkc_hits = st.walkc.hits;
    for (unsigned o = 0; o < 8; o++)
        for (unsigned f = 0; f < 8; f++)
            c->commands += st.commands[o][f];
    c->illegal = st.commands_illegal;
    c->cycles = riommu_now(m) - t0;
    if (!ok)
        snprintf(s->w.err, sizeof s->w.err, "the command queue stopped (cqcsr 0x%" PRIx64 ")",
                 riommu_peek_reg(m, RIOMMU_REG_CQCSR));
    return ok;
}

/* Do the counts show the workload its title names? (the header comment) */
static bool wl_check(const wl_state *s, const wl_counts *c, char *why, size_t n)
{
    wl_kind k = s->p.kind;
    bool walks = k == WL_SV39 || k == WL_SV48 || k == WL_SV57;
    uint64_t levels = k == WL_SV48 ? 4 : k == WL_SV57 ? 5 : 3;
    why[0] = 0;
    if (c->ok != c->ops)
        snprintf(why, n, "%" PRIu64 " of %" PRIu64 " operations failed", c->ops - c->ok, c->ops);
    else if (s->p.loose)
        return true;
    else if (k == WL_HIT && c->iotlb_hits != c->ops)
        snprintf(why, n, "%" PRIu64 " IOTLB hits for %" PRIu64 " translations", c->iotlb_hits,
                 c->ops);
    else if (walks && (c->iotlb_hits || c->s1_walks != c->ops ||
                       (!s->p.walkc && c->pte_reads != levels * c->ops)))
        snprintf(why, n, "%" PRIu64 " translations: %" PRIu64 " IOTLB hits, %" PRIu64
                         " walks, %" PRIu64 " PTE reads (want 0, %" PRIu64 ", %" PRIu64 ")",
                 c->ops, c->iotlb_hits, c->s1_walks, c->pte_reads, c->ops, levels * c->ops);
    else if (k == WL_DDTC && (c->ddtc_hits || c->ddt_walks != c->ops))
        snprintf(why, n, "%" PRIu64 " translations: %" PRIu64 " DDTC hits, %" PRIu64
                         " DDT walks",
                 c->ops, c->ddtc_hits, c->ddt_walks);
    else if (k == WL_CMDS && (c->commands != c->ops || c->illegal))
        snprintf(why, n, "%" PRIu64 " commands issued, %" PRIu64 " executed, %" PRIu64
                         " illegal",
                 c->ops, c->commands, c->illegal);
    return why[0] == 0;
}

/* ---- timing ------------------------------------------------------------------------ */

static double now_s(clockid_t id)
{
    struct timespec t;
    clock_gettime(id, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

typedef struct measured {
    uint64_t ops;
    double wall, cpu; /* the best run */
    wl_counts c;
} measured;

static bool timed_run(wl_state *s, uint64_t n, measured *best, bool first, const char *what)
{
    wl_counts c;
    double t0 = now_s(CLOCK_MONOTONIC), p0 = now_s(CLOCK_PROCESS_CPUTIME_ID);
    bool ok = wl_run(s, n, &c);
    double wall = now_s(CLOCK_MONOTONIC) - t0, cpu = now_s(CLOCK_PROCESS_CPUTIME_ID) - p0;
    char why[200];
    if (!ok || !wl_check(s, &c, why, sizeof why)) {
        fprintf(stderr, "riommu bench: %s: %s\n", what, ok ? why : s->w.err);
        return false;
    }
    if (first || cpu < best->cpu) {
        best->ops = n;
        best->wall = wall;
        best->cpu = cpu;
        best->c = c;
    }
    return true;
}

/* One unchecked pass: caches warm (the IOTLB of iotlb_hit filled). */
static bool warm_up(wl_state *s, const char *what)
{
    wl_counts c;
    if (wl_run(s, 1024, &c) && c.ok == c.ops)
        return true;
    fprintf(stderr, "riommu bench: %s: warm-up: %s\n", what,
            s->w.err[0] ? s->w.err : "operations failed");
    return false;
}

/* Operations per timed run: --size, or calibrated on `s` for `seconds`. */
static bool size_runs(wl_state *s, const bench_opts *bo, double seconds, uint64_t *n,
                      const char *what)
{
    measured cal;
    if (bo->size) {
        *n = bo->size;
        return true;
    }
    for (uint64_t k = 1u << 16;; k *= 2) {
        if (!timed_run(s, k, &cal, true, what))
            return false;
        if (cal.cpu >= CAL_SECONDS || k >= MAX_OPS) {
            double want = seconds / cal.cpu * (double)k;
            *n = want < 1024 ? 1024 : want > (double)MAX_OPS ? MAX_OPS : (uint64_t)want;
            return true;
        }
    }
}

/* Measure one workload in both modes, interleaved; `what` names it in
 * progress and error lines. */
static bool measure_modes(const wl_params *base, const bench_opts *bo, double seconds,
                          const char *what, measured out[NMODES])
{
    wl_state st[NMODES];
    memset(st, 0, sizeof st);
    uint64_t n = 0;
    bool ok = true;
    for (int md = 0; ok && md < NMODES; md++) {
        wl_params p = *base;
        p.mode = md;
        if (!wl_build(&st[md], &p)) {
            fprintf(stderr, "riommu bench: %s: %s\n", what, st[md].w.err);
            ok = false;
        }
    }
    ok = ok && warm_up(&st[MODE_FUNCTIONAL], what) && warm_up(&st[MODE_TIMED], what);
    /* sized on the functional mode: both modes do the same work */
    ok = ok && size_runs(&st[MODE_FUNCTIONAL], bo, seconds, &n, what);
    for (unsigned r = 0; ok && r < bo->repeat; r++)
        for (int md = 0; ok && md < NMODES; md++)
            ok = timed_run(&st[md], n, &out[md], r == 0, what);
    for (int md = 0; md < NMODES; md++)
        wl_free(&st[md]);
    if (ok)
        fprintf(stderr, "riommu bench: %s: %" PRIu64 " ops, best %.1f / %.1f ns each\n", what, n,
                out[0].cpu / (double)n * 1e9, out[1].cpu / (double)n * 1e9);
    return ok;
}

/* Operations per second of CPU time (the targets' measure: see the header). */
static double per_s(const measured *m) { return (double)m->ops / m->cpu; }
static double ns_each(const measured *m) { return m->cpu / (double)m->ops * 1e9; }

static void measured_figures(bench_out *o, const char *key, const char *title,
                             const measured *m, const char *unit)
{
    bench_group(o, key, title);
    bench_uint(o, "ops", unit, m->ops, NULL);
    bench_real(o, "cpu_s", "CPU time (best)", m->cpu, "s", 3);
    bench_real(o, "wall_s", "wall time (of the best)", m->wall, "s", 3);
    bench_rate(o, "per_s", "per second of CPU time", per_s(m));
    bench_rate(o, "per_wall_s", "per second of wall time", (double)m->ops / m->wall);
    bench_real(o, "ns_per_op", "CPU ns each", ns_each(m), "ns", 1);
    bench_real(o, "cycles_per_op", "modelled cycles each", (double)m->c.cycles / (double)m->ops,
               NULL, 1);
    bench_end(o);
}

/* The model's statistics that show what a workload did (its best run). */
static void count_figures(bench_out *o, wl_kind k, const wl_counts *c)
{
    if (k == WL_CMDS) {
        bench_uint(o, "commands", "commands executed", c->commands, NULL);
        bench_uint(o, "illegal", "illegal", c->illegal, NULL);
    } else {
        bench_uint(o, "translations_ok", "translations completed", c->ok, NULL);
        bench_uint(o, "iotlb_hits", "IOTLB hits", c->iotlb_hits, NULL);
        bench_uint(o, "s1_walks", "first-stage walks", c->s1_walks, NULL);
        bench_uint(o, "pte_reads", "PTE reads", c->pte_reads, NULL);
        bench_uint(o, "ddt_walks", "DDT walks", c->ddt_walks, NULL);
        bench_uint(o, "ddtc_hits", "DDTC hits", c->ddtc_hits, NULL);
    }
}

/* ---- memory footprint ---------------------------------------------------------------- */

static size_t heap_bytes(void)
{
    struct mallinfo2 mi = mallinfo2();
    return mi.uordblks + mi.hblkhd;
}

typedef struct footprint {
    size_t model, host, total; /* bytes in use (malloc'd) */
    size_t host_pages;
    bool heap_measured;        /* mallinfo2 saw the allocations */
    uint64_t checked;          /* translations that found the mapping */
    double build_s;
} footprint;

static bool measure_footprint(footprint *f)
{
    memset(f, 0, sizeof *f);
    size_t h0 = heap_bytes();
    double t0 = now_s(CLOCK_MONOTONIC);
    mworld w;
    memset(&w, 0, sizeof w);
    w.next_pa = TABLES_PA;
    w.h = memhost_create(1u << 22);
    if (!w.h)
        return false;
    size_t h1 = heap_bytes();
    riommu_config cfg;
    riommu_config_default(&cfg);
    riommu_host_ops ops = memhost_ops(w.h);
    w.m = riommu_create(&cfg, &ops, w.err, sizeof w.err);
    size_t h2 = heap_bytes();
    bool ok = w.m != NULL;
    w.ddt_root = alloc_page(&w);
    w.pt_root[0] = alloc_page(&w);
    ok = ok && mw_w64(&w, w.ddt_root, 0) && mw_w64(&w, w.pt_root[0], 0) &&
         map_pages(&w, w.pt_root[0], 3, FOOT_PAGES);
    for (uint32_t i = 0; ok && i < FOOT_DEVICES; i++)
        ok = set_dc(&w, did_spread(i, FOOT_DEVICES), RIOMMU_IOSATP_MODE_SV39, w.pt_root[0], 1);
    ok = ok && mmio(&w, RIOMMU_REG_DDTP,
                    RIOMMU_DDTP_MODE_3LVL | RIOMMU_FIELD_PREP(RIOMMU_DDTP_PPN, w.ddt_root >> 12));
    if (ok) {
        riommu_settle(w.m);
        /* every device, a page spread over the 1M each */
        riommu_request q;
        memset(&q, 0, sizeof q);
        q.kind = RIOMMU_REQ_UNTRANSLATED;
        q.len = 8;
        for (uint32_t i = 0; i < FOOT_DEVICES; i++) {
            riommu_response rsp;
            uint64_t pg = (uint64_t)i * (FOOT_PAGES / FOOT_DEVICES) + (i % 97);
            q.device_id = did_spread(i, FOOT_DEVICES);
            q.iova = IOVA_BASE + (pg << 12);
            if (riommu_translate(w.m, &q, &rsp) == RIOMMU_RSP_OK &&
                rsp.pa == DATA_PA + (pg << 12))
                f->checked++;
        }
    }
    size_t h3 = heap_bytes();
    f->build_s = now_s(CLOCK_MONOTONIC) - t0;
    f->model = h2 - h1;
    f->host = (h3 - h2) + (h1 - h0);
    f->total = h3 - h0;
    f->host_pages = memhost_pages(w.h);
    /* An allocator that keeps mallinfo2 at 0 (ASan's) leaves the heap
     * unmeasured: then the host pages themselves are the (lower-bound)
     * figure, and the model instance and total say 0. */
    f->heap_measured = h3 != h0;
    if (!f->heap_measured) {
        f->host = f->host_pages * 4096;
        f->total = f->host;
    }
    if (!ok)
        fprintf(stderr, "riommu bench: footprint: %s\n", w.err);
    world_free(&w);
    return ok && f->checked == FOOT_DEVICES;
}

/* ---- the model section ----------------------------------------------------------------- */

static const char *always_available(void) { return NULL; }

static double section_seconds(const bench_opts *bo)
{
    return bo->seconds > 0 ? bo->seconds : DEFAULT_SECONDS;
}

static void config_figures(bench_out *o)
{
    riommu_config cfg;
    riommu_config_default(&cfg);
    char buf[200];
    snprintf(buf, sizeof buf, "IOTLB %u x %u-way, DDTC %u x %u-way, walk cache %u x %u-way, LRU",
             cfg.iotlb.entries, cfg.iotlb.assoc, cfg.ddtc.entries, cfg.ddtc.assoc,
             cfg.walkc.entries, cfg.walkc.assoc);
    bench_str(o, "caches", "caches (riommu_config_default)", buf);
    snprintf(buf, sizeof buf, "mem %u, xlate %u, cmd %u, cache lookups %u (functional: commands cmd, rest 0)",
             cfg.timing.mem_lat, cfg.timing.xlate_lat, cfg.timing.cmd_lat, cfg.iotlb.lat);
    bench_str(o, "timed_latencies", "timed latencies (cycles)", buf);
}

static int model_run_section(const bench_opts *bo, bench_out *o)
{
    double secs = section_seconds(bo);
    measured res[NWL][NMODES];
    for (int k = 0; k < NWL; k++) {
        wl_params p;
        memset(&p, 0, sizeof p);
        p.kind = (wl_kind)k;
        p.walkc = !(k == WL_SV39 || k == WL_SV48 || k == WL_SV57);
        p.pages = k == WL_HIT || k == WL_DDTC ? HOT_PAGES : MISS_PAGES;
        p.ndev = DDTC_DEVICES;
        char what[64];
        snprintf(what, sizeof what, "--model %s", wl_defs[k].key);
        if (!measure_modes(&p, bo, secs, what, res[k]))
            return 1;
    }
    footprint fp;
    fprintf(stderr, "riommu bench: --model footprint: building %u contexts and %u pages\n",
            FOOT_DEVICES, FOOT_PAGES);
    if (!measure_footprint(&fp)) {
        fprintf(stderr, "riommu bench: --model footprint: the tables do not translate\n");
        return 1;
    }

    config_figures(o);
    bench_uint(o, "repeat", "timed runs per figure", bo->repeat, NULL);
    for (int md = 0; md < NMODES; md++) {
        bench_group(o, mode_key[md], mode_title[md]);
        for (int k = 0; k < NWL; k++) {
            measured_figures(o, wl_defs[k].key, wl_defs[k].title, &res[k][md], wl_defs[k].unit);
        }
        bench_end(o);
    }
    bench_group(o, "checked", "the model's statistics of each best functional run (checked)");
    for (int k = 0; k < NWL; k++) {
        bench_group(o, wl_defs[k].key, wl_defs[k].key);
        count_figures(o, (wl_kind)k, &res[k][MODE_FUNCTIONAL].c);
        bench_end(o);
    }
    bench_end(o);
    bench_group(o, "slowdown", "timed / functional (CPU time)");
    double worst = 0;
    for (int k = 0; k < NWL; k++) {
        double x = res[k][MODE_TIMED].cpu / res[k][MODE_FUNCTIONAL].cpu;
        worst = x > worst ? x : worst;
        bench_real(o, wl_defs[k].key, wl_defs[k].key, x, "x", 2);
    }
    bench_end(o);
    bench_group(o, "footprint", "memory footprint (default caches)");
    bench_str(o, "ddt", "device directory", "3-level, 2^24 device IDs");
    bench_uint(o, "contexts", "valid device contexts", FOOT_DEVICES, NULL);
    bench_uint(o, "pages_mapped", "mapped 4 KiB pages (Sv39)", FOOT_PAGES, NULL);
    bench_uint(o, "host_pages", "host pages allocated (4 KiB)", fp.host_pages, NULL);
    bench_real(o, "model_mib", "model instance", (double)fp.model / 1048576.0, "MiB", 2);
    bench_real(o, "host_mib",
               fp.heap_measured ? "sparse host memory"
                                : "sparse host memory (pages only: the allocator reports no heap)",
               (double)fp.host / 1048576.0, "MiB", 2);
    bench_real(o, "total_mib", "total heap", (double)fp.total / 1048576.0, "MiB", 2);
    bench_real(o, "dense_ddt_mib", "a dense DDT would need", (double)(1u << 24) * 32 / 1048576.0,
               "MiB", 0);
    bench_uint(o, "translations_checked", "translations checked", fp.checked, NULL);
    bench_real(o, "build_s", "build time", fp.build_s, "s", 2);
    bench_end(o);
    bench_group(o, "targets", "targets (issue 7; functional mode, per CPU second)");
    bench_target_rate(o, "iotlb_hit_per_s", "IOTLB hits/s", per_s(&res[WL_HIT][MODE_FUNCTIONAL]),
                      TARGET_HIT_PER_S);
    bench_target_rate(o, "sv39_miss_per_s", "Sv39 misses/s", per_s(&res[WL_SV39][MODE_FUNCTIONAL]),
                      TARGET_SV39_PER_S);
    bench_target(o, "timed_slowdown", "timed slowdown (worst)", worst, BENCH_AT_MOST,
                 TARGET_TIMED_SLOWDOWN, "x", 2);
    bench_end(o);
    return 0;
}

const bench_section bench_model_section = {
    "model",
    "the model alone through its API, functional and timed: IOTLB hits,\n"
    "            Sv39/48/57 walks, DDTC misses, commands per second, and the\n"
    "            memory footprint (targets: >= 100M hits/s, >= 20M Sv39\n"
    "            misses/s, timed <= 1.5x functional)",
    always_available,
    model_run_section,
    false,
};

/* ---- the scaling section (docs/timing.md "Measured scaling") ---------------------------- */

/* One row of a scaling table: a workload in both modes, with what its
 * best functional run did. */
static bool scaling_row(bench_out *o, const wl_params *p, const bench_opts *bo, double secs,
                        const char *key, const char *title)
{
    measured r[NMODES];
    char what[96];
    snprintf(what, sizeof what, "--scaling %s", title);
    if (!measure_modes(p, bo, secs, what, r))
        return false;
    const wl_counts *c = &r[MODE_FUNCTIONAL].c;
    double ops = (double)c->ops;
    bench_group(o, key, title);
    bench_rate(o, "functional_per_s", "functional", per_s(&r[MODE_FUNCTIONAL]));
    bench_rate(o, "timed_per_s", "timed", per_s(&r[MODE_TIMED]));
    bench_real(o, "functional_ns", "functional, CPU ns each", ns_each(&r[MODE_FUNCTIONAL]), "ns",
               1);
    bench_real(o, "timed_ns", "timed, CPU ns each", ns_each(&r[MODE_TIMED]), "ns", 1);
    bench_real(o, "iotlb_hit_pct", "IOTLB hit rate", 100.0 * (double)c->iotlb_hits / ops, "%", 1);
    bench_real(o, "ddtc_hit_pct", "DDTC hit rate", 100.0 * (double)c->ddtc_hits / ops, "%", 1);
    bench_real(o, "walkc_hits_per_op", "walk-cache hits each", (double)c->walkc_hits / ops, NULL,
               2);
    bench_real(o, "pte_reads_per_op", "PTE reads each", (double)c->pte_reads / ops, NULL, 2);
    bench_real(o, "cycles_per_op", "modelled cycles each (timed)",
               (double)r[MODE_TIMED].c.cycles / (double)r[MODE_TIMED].ops, NULL, 1);
    bench_end(o);
    return true;
}

static int scaling_run_section(const bench_opts *bo, bench_out *o)
{
    double secs = section_seconds(bo) / 2;
    char key[32], title[96];
    config_figures(o);
    bench_uint(o, "repeat", "timed runs per figure", bo->repeat, NULL);
    /* The IOVA working set past the IOTLB (256 entries) and past the walk
     * cache's reach (64 level-1 entries of 2 MiB = 32768 pages). Pages are
     * visited 513 apart (mod the working set): each translation in another
     * 2 MiB region, so the level-1 entries in use are the working set's
     * 2 MiB regions, all of them, in turn. */
    static const uint32_t pages[] = {64,   128,   256,   512,   1024,  4096,
                                     16384, 32768, 65536, 131072, 262144};
    bench_group(o, "pages", "IOVA working set (Sv39, one device, walk cache on, stride 513)");
    for (size_t i = 0; i < sizeof pages / sizeof pages[0]; i++) {
        wl_params p = {WL_SV39, 0, true, pages[i], 0, true, 513};
        snprintf(key, sizeof key, "%u", pages[i]);
        snprintf(title, sizeof title, "%u pages", pages[i]);
        if (!scaling_row(o, &p, bo, secs, key, title))
            return 1;
    }
    bench_end(o);
    /* Devices past the DDTC (64 entries). */
    static const uint32_t devs[] = {16, 32, 64, 128, 256, 1024, 4096};
    bench_group(o, "devices", "devices (3-level DDT, IOTLB hits)");
    for (size_t i = 0; i < sizeof devs / sizeof devs[0]; i++) {
        wl_params p = {WL_DDTC, 0, true, HOT_PAGES, devs[i], true, 1};
        snprintf(key, sizeof key, "%u", devs[i]);
        snprintf(title, sizeof title, "%u devices", devs[i]);
        if (!scaling_row(o, &p, bo, secs, key, title))
            return 1;
    }
    bench_end(o);
    /* Cost per walk: every translation misses the IOTLB (4096 pages). */
    static const char *const mname[3] = {"sv39", "sv48", "sv57"};
    bench_group(o, "walks", "cost per walk (4096 pages: every translation walks)");
    for (int k = 0; k < 3; k++)
        for (int wc = 0; wc < 2; wc++) {
            wl_params p = {(wl_kind)(WL_SV39 + k), 0, wc == 1, MISS_PAGES, 0, false, 1};
            snprintf(key, sizeof key, "%s_%s", mname[k], wc ? "walkc" : "full");
            snprintf(title, sizeof title, "Sv%d, %s", 39 + 9 * k,
                     wc ? "walk cache on (level-1 hits)" : "walk cache off (full walk)");
            if (!scaling_row(o, &p, bo, secs, key, title))
                return 1;
        }
    bench_end(o);
    return 0;
}

const bench_section bench_scaling_section = {
    "scaling",
    "the model's throughput as the working set grows past the IOTLB, DDTC\n"
    "            and walk-cache sizes, and its cost per walk by mode (the tables\n"
    "            of docs/timing.md; only when asked for)",
    always_available,
    scaling_run_section,
    true,
};
