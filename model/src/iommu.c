/*
 * iommu.c - life cycle, configuration, the model clock and statistics.
 *
 * Time: the model owns a cycle counter. Work that the spec lets happen
 * asynchronously (BUSY windows of ddtp and the queue CSRs, command fetch
 * and execution, the debug interface) is scheduled at a cycle and run by
 * riommu_step / riommu_settle. Device requests do their functional work at
 * once; their cost is reserved in the slot pools of timing.c, and
 * riommu_translate then advances the clock to the completion while
 * riommu_issue_translate leaves it (docs/timing.md).
 */
#include "internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

static riommu_cache_config cache_default(uint32_t entries, uint32_t assoc,
                                               uint32_t lat)
{
    riommu_cache_config c = {entries, assoc, RIOMMU_REPL_LRU, true, lat, 1};
    return c;
}

void riommu_config_default(riommu_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->capabilities = 0x10 | RIOMMU_CAP_SV39 | RIOMMU_CAP_SV48 | RIOMMU_CAP_SV57 |
                        RIOMMU_CAP_SVRSW60T59B | RIOMMU_CAP_SVPBMT | RIOMMU_CAP_AMO_HWAD |
                        RIOMMU_CAP_END | RIOMMU_CAP_HPM | RIOMMU_CAP_DBG | RIOMMU_CAP_NL |
                        RIOMMU_CAP_S |
                        RIOMMU_FIELD_PREP(RIOMMU_CAP_IGS, RIOMMU_IGS_BOTH) |
                        RIOMMU_FIELD_PREP(RIOMMU_CAP_PAS, 56);
    cfg->fctl_reset = 0;
    cfg->fctl_gxl_writable = false;
    cfg->qb_write_clears_index = false;
    cfg->ddtp_reset_mode = RIOMMU_DDTP_MODE_OFF;
    cfg->ddt_modes = (1u << RIOMMU_DDTP_MODE_1LVL) | (1u << RIOMMU_DDTP_MODE_2LVL) |
                     (1u << RIOMMU_DDTP_MODE_3LVL);
    cfg->cq_max_log2szm1 = 15;
    cfg->fq_max_log2szm1 = 15;
    cfg->pq_max_log2szm1 = 15;
    cfg->num_vectors = 16;
    cfg->hpm_counters = 8;
    cfg->hpm_counter_bits = 64;
    cfg->rcid_bits = 12;
    cfg->mcid_bits = 12;
    cfg->iotval_page_offset = true;
    cfg->check_pas = true;
    cfg->synchronous = false;
    cfg->seed = 1;
    cfg->ddtc = cache_default(64, 4, 1);
    cfg->pdtc = cache_default(64, 4, 1);
    cfg->iotlb = cache_default(256, 8, 1);
    cfg->walkc = cache_default(64, 4, 1);
    cfg->timing.mem_lat = 20;
    cfg->timing.cmd_lat = 4;
    cfg->timing.ddtp_busy = 8;
    cfg->timing.qcsr_busy = 8;
    cfg->timing.xlate_lat = 2;
    cfg->timing.enable = true;
    cfg->timing.xlate_slots = 8;
    cfg->timing.ptw_slots = 2;
    cfg->timing.clock_mhz = 1000;
    cfg->timing.dma_txn_bytes = 4096;
    cfg->timing.dma_rd_lat = 20;
    cfg->timing.dma_wr_lat = 20;
    cfg->timing.mem_beat_lat = 0;
    cfg->timing.fault_lat = 0;
}

static bool errf(char *err, size_t errlen, const char *fmt, ...)
{
    if (err && errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return false;
}

static bool cache_ok(const riommu_cache_config *c, const char *name, char *err,
                     size_t errlen)
{
    if (c->lat > RIOMMU_TIMING_MAX_LAT)
        return errf(err, errlen, "%s.lat: %u exceeds %u", name, c->lat, RIOMMU_TIMING_MAX_LAT);
    if (c->slots < 1 || c->slots > 64)
        return errf(err, errlen, "%s.slots: %u outside 1..64", name, c->slots);
    if (!c->enable || c->entries == 0)
        return true;
    if (c->entries > (1u << 20))
        return errf(err, errlen, "%s.entries: %u exceeds 1048576", name, c->entries);
    uint32_t ways = c->assoc ? c->assoc : c->entries;
    if (c->entries % ways)
        return errf(err, errlen, "%s: entries %u not a multiple of assoc %u", name,
                    c->entries, ways);
    uint32_t sets = c->entries / ways;
    if (sets & (sets - 1))
        return errf(err, errlen, "%s: entries/assoc = %u is not a power of two", name, sets);
    if ((unsigned)c->policy > RIOMMU_REPL_RANDOM)
        return errf(err, errlen, "%s.policy: unknown policy %u", name, (unsigned)c->policy);
    return true;
}

bool riommu_config_check(const riommu_config *cfg, char *err, size_t errlen)
{
    uint64_t c = cfg->capabilities;
    if (err && errlen)
        err[0] = 0;
    if (c & RIOMMU_CAP_RESERVED)
        return errf(err, errlen, "capabilities: reserved bits set (0x%llx)",
                    (unsigned long long)(c & RIOMMU_CAP_RESERVED));
    if ((c & RIOMMU_CAP_SV48) && !(c & RIOMMU_CAP_SV39))
        return errf(err, errlen, "capabilities: Sv48 requires Sv39");
    if ((c & RIOMMU_CAP_SV57) && !(c & RIOMMU_CAP_SV48))
        return errf(err, errlen, "capabilities: Sv57 requires Sv48");
    if (RIOMMU_FIELD_GET(c, RIOMMU_CAP_IGS) == 3)
        return errf(err, errlen, "capabilities.IGS: 3 is reserved");
    unsigned pas = (unsigned)RIOMMU_FIELD_GET(c, RIOMMU_CAP_PAS);
    if (pas < 32 || pas > 56)
        return errf(err, errlen, "capabilities.PAS: %u outside 32..56", pas);
    static const struct {
        uint64_t bit;
        const char *what;
    } later[] = {
        {RIOMMU_CAP_SV32X4, "Sv32x4 (second-stage translation)"},
        {RIOMMU_CAP_SV39X4, "Sv39x4 (second-stage translation)"},
        {RIOMMU_CAP_SV48X4, "Sv48x4 (second-stage translation)"},
        {RIOMMU_CAP_SV57X4, "Sv57x4 (second-stage translation)"},
        {RIOMMU_CAP_PD8, "PD8 (process directories)"},
        {RIOMMU_CAP_PD17, "PD17 (process directories)"},
        {RIOMMU_CAP_PD20, "PD20 (process directories)"},
        {RIOMMU_CAP_ATS, "ATS (ATS/PRI and the page-request queue)"},
        {RIOMMU_CAP_T2GPA, "T2GPA"},
        {RIOMMU_CAP_MSI_MRIF, "MSI_MRIF (MRIF MSI translation)"},
        {RIOMMU_CAP_AMO_MRIF, "AMO_MRIF"},
    };
    for (unsigned i = 0; i < sizeof later / sizeof later[0]; i++)
        if (c & later[i].bit)
            return errf(err, errlen, "capabilities: %s is not modelled in this release",
                        later[i].what);
    if (cfg->fctl_gxl_writable && !(c & (RIOMMU_CAP_SV32 | RIOMMU_CAP_SV32X4)))
        return errf(err, errlen, "fctl_gxl_writable: needs capabilities.Sv32 or Sv32x4");
    if (cfg->fctl_reset & ~(uint32_t)(RIOMMU_FCTL_BE | RIOMMU_FCTL_WSI | RIOMMU_FCTL_GXL))
        return errf(err, errlen, "fctl_reset: only BE, WSI and GXL may be set");
    if ((cfg->fctl_reset & RIOMMU_FCTL_GXL) && !cfg->fctl_gxl_writable)
        return errf(err, errlen, "fctl_reset: GXL=1 requires fctl_gxl_writable");
    if (cfg->ddtp_reset_mode > RIOMMU_DDTP_MODE_BARE)
        return errf(err, errlen, "ddtp_reset_mode: must be Off (0) or Bare (1)");
    if (cfg->ddt_modes & ~0x1Cu)
        return errf(err, errlen, "ddt_modes: only bits 2..4 (1LVL..3LVL) may be set");
    if (cfg->cq_max_log2szm1 > 31 || cfg->fq_max_log2szm1 > 31 || cfg->pq_max_log2szm1 > 31)
        return errf(err, errlen, "queue max LOG2SZ-1 must be 0..31");
    uint64_t lim = 1ull << (pas - 12);
    if (cfg->ddtp_fixed_ppn >= lim || cfg->cq_fixed_ppn >= lim || cfg->fq_fixed_ppn >= lim ||
        cfg->pq_fixed_ppn >= lim)
        return errf(err, errlen, "fixed PPN beyond capabilities.PAS");
    if (cfg->num_vectors < 1 || cfg->num_vectors > 16)
        return errf(err, errlen, "num_vectors: %u outside 1..16", cfg->num_vectors);
    if (cfg->hpm_counters < 1 || cfg->hpm_counters > 31)
        return errf(err, errlen, "hpm_counters: %u outside 1..31", cfg->hpm_counters);
    if (cfg->hpm_counter_bits < 32 || cfg->hpm_counter_bits > 64)
        return errf(err, errlen, "hpm_counter_bits: %u outside 32..64",
                    cfg->hpm_counter_bits);
    if (cfg->defects & ~(uint32_t)RIOMMU_DEFECT_ALL)
        return errf(err, errlen, "defects: unknown bits 0x%x",
                    cfg->defects & ~(uint32_t)RIOMMU_DEFECT_ALL);
    if (cfg->rcid_bits > 12 || cfg->mcid_bits > 12)
        return errf(err, errlen, "rcid_bits/mcid_bits: at most 12");
    const riommu_timing_config *t = &cfg->timing;
    static const struct {
        const char *name;
        size_t off;
    } lats[] = {
        {"mem_lat", offsetof(riommu_timing_config, mem_lat)},
        {"cmd_lat", offsetof(riommu_timing_config, cmd_lat)},
        {"ddtp_busy", offsetof(riommu_timing_config, ddtp_busy)},
        {"qcsr_busy", offsetof(riommu_timing_config, qcsr_busy)},
        {"xlate_lat", offsetof(riommu_timing_config, xlate_lat)},
        {"dma_rd_lat", offsetof(riommu_timing_config, dma_rd_lat)},
        {"dma_wr_lat", offsetof(riommu_timing_config, dma_wr_lat)},
        {"mem_beat_lat", offsetof(riommu_timing_config, mem_beat_lat)},
        {"fault_lat", offsetof(riommu_timing_config, fault_lat)},
    };
    for (unsigned i = 0; i < sizeof lats / sizeof lats[0]; i++) {
        uint32_t v;
        memcpy(&v, (const char *)t + lats[i].off, sizeof v);
        if (v > RIOMMU_TIMING_MAX_LAT)
            return errf(err, errlen, "timing.%s: %u exceeds %u", lats[i].name, v,
                        RIOMMU_TIMING_MAX_LAT);
    }
    if (t->xlate_slots < 1 || t->xlate_slots > 256)
        return errf(err, errlen, "timing.xlate_slots: %u outside 1..256", t->xlate_slots);
    if (t->ptw_slots < 1 || t->ptw_slots > 64)
        return errf(err, errlen, "timing.ptw_slots: %u outside 1..64", t->ptw_slots);
    if (t->clock_mhz < 1 || t->clock_mhz > 100000)
        return errf(err, errlen, "timing.clock_mhz: %u outside 1..100000", t->clock_mhz);
    if (t->dma_txn_bytes < 8 || t->dma_txn_bytes > 4096 ||
        (t->dma_txn_bytes & (t->dma_txn_bytes - 1)))
        return errf(err, errlen, "timing.dma_txn_bytes: %u is not a power of two in 8..4096",
                    t->dma_txn_bytes);
    return cache_ok(&cfg->ddtc, "ddtc", err, errlen) &&
           cache_ok(&cfg->pdtc, "pdtc", err, errlen) &&
           cache_ok(&cfg->iotlb, "iotlb", err, errlen) &&
           cache_ok(&cfg->walkc, "walkc", err, errlen);
}

riommu *riommu_create(const riommu_config *cfg, const riommu_host_ops *host, char *err,
                      size_t errlen)
{
    if (!cfg || !host) {
        errf(err, errlen, "riommu_create: cfg and host are required");
        return NULL;
    }
    if (!host->mem_read || !host->mem_write) {
        errf(err, errlen, "host ops: mem_read and mem_write are required");
        return NULL;
    }
    if (!riommu_config_check(cfg, err, errlen))
        return NULL;
    riommu *m = calloc(1, sizeof *m);
    if (!m) {
        errf(err, errlen, "out of memory");
        return NULL;
    }
    m->cfg = *cfg;
    m->host = *host;
    m->ddtp_busy.bit = PENDING_DDTP;
    m->cq_busy.bit = PENDING_CQ;
    m->fq_busy.bit = PENDING_FQ;
    m->pq_busy.bit = PENDING_PQ;
    m->dbg_busy.bit = PENDING_DBG;
    m->keep_pages = host->mem_page && (host->flags & RIOMMU_HOST_STABLE_PAGES);
    riommu_invalidate_pages(m, 0, 0);
    regs_init(m);
    if (!ioatc_init(m)) {
        free(m);
        errf(err, errlen, "out of memory");
        return NULL;
    }
    if (!timing_init(m)) {
        ioatc_free(m);
        free(m);
        errf(err, errlen, "out of memory");
        return NULL;
    }
    riommu_reset(m);
    return m;
}

void riommu_destroy(riommu *m)
{
    if (!m)
        return;
    ioatc_free(m);
    timing_free(m);
    free(m);
}

/* Forget the kept page `k` if it lies in [pa, last]. */
static void forget_page(kept_page *k, uint64_t pa, uint64_t last)
{
    if (k->pa != KEPT_PAGE_NONE && k->pa + 4095 >= pa && k->pa <= last) {
        k->pa = KEPT_PAGE_NONE;
        k->ptr = NULL;
    }
}

void riommu_invalidate_pages(riommu *m, uint64_t pa, uint64_t len)
{
    uint64_t last = len ? pa + (len - 1) : UINT64_MAX;
    if (last < pa) /* wraps: to the top */
        last = UINT64_MAX;
    if (!len)
        pa = 0;
    for (unsigned s = 0; s < 2; s++)
        for (unsigned l = 0; l < 5; l++)
            forget_page(&m->walk_pages[s][l], pa, last);
    for (unsigned l = 0; l < 3; l++)
        forget_page(&m->ddt_pages[l], pa, last);
}

void riommu_reset(riommu *m)
{
    regs_reset(m);
    ioatc_flush_all(m);
    m->pending = 0; /* no BUSY window, no command step */
    m->cq_fetched = false;
    timing_reset(m);
    m->intr_depth = 0;
    intr_reset(m);
}

const riommu_config *riommu_get_config(const riommu *m) { return &m->cfg; }

/* ---- clock --------------------------------------------------------------- */


void model_run_due(riommu *m)
{
    if (busy_active(m, &m->ddtp_busy) && m->ddtp_busy.done_at <= m->now) {
        busy_end(m, &m->ddtp_busy);
        reg_set(m, RIOMMU_REG_DDTP, reg_get(m, RIOMMU_REG_DDTP) & ~RIOMMU_DDTP_BUSY);
    }
    if (busy_active(m, &m->cq_busy) && m->cq_busy.done_at <= m->now)
        qcsr_settle_on(m, RIOMMU_REG_CQCSR);
    if (busy_active(m, &m->fq_busy) && m->fq_busy.done_at <= m->now)
        qcsr_settle_on(m, RIOMMU_REG_FQCSR);
    if (busy_active(m, &m->pq_busy) && m->pq_busy.done_at <= m->now)
        qcsr_settle_on(m, RIOMMU_REG_PQCSR);
    if (busy_active(m, &m->dbg_busy) && m->dbg_busy.done_at <= m->now)
        debug_complete(m);
    if (cq_sched(m) && m->cq_next <= m->now)
        cmdq_run_due(m);
}

static void advance_to(riommu *m, uint64_t t)
{
    if (t > m->now) {
        hpm_clock_to(m, t);
        m->now = t;
    }
}

void riommu_step(riommu *m, uint64_t cycles)
{
    uint64_t end = cycles > UINT64_MAX - m->now ? UINT64_MAX : m->now + cycles;
    while (model_any_pending(m)) {
        uint64_t t = model_next_event(m);
        if (t > end)
            break;
        advance_to(m, t);
        model_run_due(m);
    }
    advance_to(m, end);
}

uint64_t riommu_settle(riommu *m)
{
    uint64_t start = m->now;
    /* Every iteration completes a BUSY window or a command fetch or
     * execution (two per command with timing); the command ring holds at
     * most mask + 1 commands before cqh meets cqt. */
    uint64_t guard = 2 * ((uint64_t)queue_mask(m, RIOMMU_REG_CQB) + 1) + 16;
    for (uint64_t n = 0; n < guard; n++) {
        uint64_t t = model_next_event(m);
        if (t == UINT64_MAX)
            break;
        advance_to(m, t);
        model_run_due(m);
    }
    /* Translations, DMA data and scans in flight end without any work. */
    if (tm_busy(m))
        advance_to(m, m->tm.horizon);
    return m->now - start;
}

bool riommu_idle(const riommu *m)
{
    return model_next_event(m) == UINT64_MAX && !tm_busy(m);
}

uint64_t riommu_now(const riommu *m) { return m->now; }

/* ---- statistics and observers --------------------------------------------- */

void riommu_get_stats(const riommu *m, riommu_stats *out)
{
    *out = m->st;
    fast_hits_fold(m, out); /* the hit path's counters (struct riommu) */
}

void riommu_clear_stats(riommu *m)
{
    memset(&m->st, 0, sizeof m->st);
    m->fast_hits_untimed = m->fast_hits_timed = m->fast_lat_n = 0;
}

void riommu_set_observer(riommu *m, const riommu_observer *obs)
{
    if (obs) {
        m->obs = *obs;
        m->has_obs = true;
    } else {
        memset(&m->obs, 0, sizeof m->obs);
        m->has_obs = false;
    }
}
