/*
 * scn_config.c - riommu_config as scenario config lines (scn_config.h).
 * Each line uses the syntax and ranges of scenario.c's parse_config.
 */
#include "scn_config.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "riommu/qemu_backend.h"
#include "scenario.h"

#define PARSER_MAX_U20 (1u << 20)  /* cache and timing numbers */
#define PARSER_MAX_PPN ((1ull << 44) - 1)

typedef struct lines {
    char (*out)[SCN_CONFIG_LINE];
    int n;
} lines;

#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
static void add(lines *l, const char *fmt, ...)
{
    if (l->n >= (int)SCN_CONFIG_MAX_LINES)
        return; /* cannot happen: one line per group below */
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(l->out[l->n++], SCN_CONFIG_LINE, fmt, ap);
    va_end(ap);
}

static const char *onoff(bool b) { return b ? "on" : "off"; }

static bool cache_eq(const riommu_cache_config *a, const riommu_cache_config *b)
{
    return a->entries == b->entries && a->assoc == b->assoc && a->policy == b->policy &&
           a->enable == b->enable && a->lat == b->lat && a->slots == b->slots;
}

static bool cache_line(lines *l, const char *name, const riommu_cache_config *c,
                       const riommu_cache_config *d, char *err, size_t errlen)
{
    static const char *pol[] = {"lru", "fifo", "random"};
    if (cache_eq(c, d))
        return true;
    if (c->entries > PARSER_MAX_U20 || c->assoc > PARSER_MAX_U20 || c->lat > PARSER_MAX_U20 ||
        (unsigned)c->policy > RIOMMU_REPL_RANDOM || c->slots < 1 || c->slots > 64) {
        snprintf(err, errlen, "%s geometry cannot be written as a config line", name);
        return false;
    }
    if (c->slots == d->slots)
        add(l, "config %s entries=%" PRIu32 " assoc=%" PRIu32 " policy=%s enable=%s lat=%" PRIu32,
            name, c->entries, c->assoc, pol[c->policy], onoff(c->enable), c->lat);
    else
        add(l,
            "config %s entries=%" PRIu32 " assoc=%" PRIu32 " policy=%s enable=%s lat=%" PRIu32
            " slots=%" PRIu32,
            name, c->entries, c->assoc, pol[c->policy], onoff(c->enable), c->lat, c->slots);
    return true;
}

static bool max_entries(lines *l, const char *q, uint8_t v, uint8_t d, char *err,
                        size_t errlen)
{
    if (v == d)
        return true;
    if (v > 31) {
        snprintf(err, errlen, "%s max log2 size %u cannot be written as a config line", q, v);
        return false;
    }
    add(l, "config %s max-entries %llu", q, 1ull << (v + 1));
    return true;
}

static bool fixed_ppn(lines *l, const char *what, uint64_t v, uint64_t d, char *err,
                      size_t errlen)
{
    if (v == d)
        return true;
    if (v > PARSER_MAX_PPN) {
        snprintf(err, errlen, "%s fixed PPN 0x%" PRIx64 " cannot be written as a config line",
                 what, v);
        return false;
    }
    add(l, "config %s fixed-ppn 0x%" PRIx64, what, v);
    return true;
}

static bool small(lines *l, const char *name, unsigned v, unsigned d, unsigned lo, unsigned hi,
                  char *err, size_t errlen)
{
    if (v == d)
        return true;
    if (v < lo || v > hi) {
        snprintf(err, errlen, "%s %u cannot be written as a config line", name, v);
        return false;
    }
    add(l, "config %s %u", name, v);
    return true;
}

int scn_config_lines(const riommu_config *c, char (*out)[SCN_CONFIG_LINE], char *err,
                     size_t errlen)
{
    riommu_config d, q;
    riommu_config_default(&d);
    lines l = {out, 0};
    q = d;
    riommu_qemu_model_config(&q);
    if (c->pq_max_log2szm1 == q.pq_max_log2szm1 && c->pq_fixed_ppn == q.pq_fixed_ppn &&
        (q.pq_max_log2szm1 != d.pq_max_log2szm1 || q.pq_fixed_ppn != d.pq_fixed_ppn)) {
        add(&l, "config qemu"); /* QEMU's parameters, then what differs from them */
        d = q;
    }
    if (c->defects || c->pq_max_log2szm1 != d.pq_max_log2szm1 ||
        c->pq_fixed_ppn != d.pq_fixed_ppn) {
        snprintf(err, errlen, "defects and page-request queue limits have no config line");
        return -1;
    }
    if (c->capabilities != d.capabilities)
        add(&l, "config caps 0x%" PRIx64, c->capabilities);
    if (!small(&l, "fctl_reset", c->fctl_reset, d.fctl_reset, 0, 7, err, errlen))
        return -1;
    if (c->fctl_gxl_writable != d.fctl_gxl_writable)
        add(&l, "config fctl_gxl_writable %s", onoff(c->fctl_gxl_writable));
    if (c->ddtp_reset_mode != d.ddtp_reset_mode) {
        if (c->ddtp_reset_mode != RIOMMU_DDTP_MODE_OFF &&
            c->ddtp_reset_mode != RIOMMU_DDTP_MODE_BARE) {
            snprintf(err, errlen, "ddtp reset mode %u cannot be written as a config line",
                     c->ddtp_reset_mode);
            return -1;
        }
        add(&l, "config ddt reset %s",
            c->ddtp_reset_mode == RIOMMU_DDTP_MODE_OFF ? "off" : "bare");
    }
    if (c->ddt_modes != d.ddt_modes) {
        unsigned all = (1u << RIOMMU_DDTP_MODE_1LVL) | (1u << RIOMMU_DDTP_MODE_2LVL) |
                       (1u << RIOMMU_DDTP_MODE_3LVL);
        if (c->ddt_modes & ~all) {
            snprintf(err, errlen, "DDT modes 0x%x cannot be written as a config line",
                     c->ddt_modes);
            return -1;
        }
        add(&l, "config ddt modes%s%s%s%s", c->ddt_modes ? "" : " none",
            c->ddt_modes & (1u << RIOMMU_DDTP_MODE_1LVL) ? " 1LVL" : "",
            c->ddt_modes & (1u << RIOMMU_DDTP_MODE_2LVL) ? " 2LVL" : "",
            c->ddt_modes & (1u << RIOMMU_DDTP_MODE_3LVL) ? " 3LVL" : "");
    }
    if (!fixed_ppn(&l, "ddt", c->ddtp_fixed_ppn, d.ddtp_fixed_ppn, err, errlen) ||
        !max_entries(&l, "cq", c->cq_max_log2szm1, d.cq_max_log2szm1, err, errlen) ||
        !fixed_ppn(&l, "cq", c->cq_fixed_ppn, d.cq_fixed_ppn, err, errlen) ||
        !max_entries(&l, "fq", c->fq_max_log2szm1, d.fq_max_log2szm1, err, errlen) ||
        !fixed_ppn(&l, "fq", c->fq_fixed_ppn, d.fq_fixed_ppn, err, errlen) ||
        !small(&l, "num_vectors", c->num_vectors, d.num_vectors, 1, 16, err, errlen) ||
        !small(&l, "hpm_counters", c->hpm_counters, d.hpm_counters, 1, 31, err, errlen) ||
        !small(&l, "hpm_counter_bits", c->hpm_counter_bits, d.hpm_counter_bits, 32, 64, err,
               errlen) ||
        !small(&l, "rcid_bits", c->rcid_bits, d.rcid_bits, 0, 12, err, errlen) ||
        !small(&l, "mcid_bits", c->mcid_bits, d.mcid_bits, 0, 12, err, errlen))
        return -1;
    if (c->iotval_page_offset != d.iotval_page_offset)
        add(&l, "config iotval_page_offset %s", onoff(c->iotval_page_offset));
    if (c->check_pas != d.check_pas)
        add(&l, "config check_pas %s", onoff(c->check_pas));
    if (c->synchronous != d.synchronous)
        add(&l, "config synchronous %s", onoff(c->synchronous));
    if (c->qb_write_clears_index != d.qb_write_clears_index)
        add(&l, "config qb_write_clears_index %s", onoff(c->qb_write_clears_index));
    if (c->seed != d.seed)
        add(&l, "config seed %" PRIu32, c->seed);
    if (!cache_line(&l, "ddtc", &c->ddtc, &d.ddtc, err, errlen) ||
        !cache_line(&l, "pdtc", &c->pdtc, &d.pdtc, err, errlen) ||
        !cache_line(&l, "iotlb", &c->iotlb, &d.iotlb, err, errlen) ||
        !cache_line(&l, "walkc", &c->walkc, &d.walkc, err, errlen))
        return -1;
    const riommu_timing_config *t = &c->timing, *dt = &d.timing;
    if (t->mem_lat != dt->mem_lat || t->cmd_lat != dt->cmd_lat ||
        t->ddtp_busy != dt->ddtp_busy || t->qcsr_busy != dt->qcsr_busy ||
        t->xlate_lat != dt->xlate_lat) {
        if (t->mem_lat > PARSER_MAX_U20 || t->cmd_lat > PARSER_MAX_U20 ||
            t->ddtp_busy > PARSER_MAX_U20 || t->qcsr_busy > PARSER_MAX_U20 ||
            t->xlate_lat > PARSER_MAX_U20) {
            snprintf(err, errlen, "timing cannot be written as a config line");
            return -1;
        }
        add(&l, "config timing mem_lat=%" PRIu32 " cmd_lat=%" PRIu32 " ddtp_busy=%" PRIu32
                " qcsr_busy=%" PRIu32 " xlate_lat=%" PRIu32,
            t->mem_lat, t->cmd_lat, t->ddtp_busy, t->qcsr_busy, t->xlate_lat);
    }
    /* The knobs of the slot model (docs/timing.md) on their own line, so
     * files written before them read the same. */
    if (t->enable != dt->enable || t->xlate_slots != dt->xlate_slots ||
        t->ptw_slots != dt->ptw_slots || t->clock_mhz != dt->clock_mhz) {
        if (t->xlate_slots < 1 || t->xlate_slots > 256 || t->ptw_slots < 1 ||
            t->ptw_slots > 64 || t->clock_mhz < 1 || t->clock_mhz > 100000) {
            snprintf(err, errlen, "timing slots cannot be written as a config line");
            return -1;
        }
        add(&l,
            "config timing enable=%s xlate_slots=%" PRIu32 " ptw_slots=%" PRIu32
            " clock_mhz=%" PRIu32,
            onoff(t->enable), t->xlate_slots, t->ptw_slots, t->clock_mhz);
    }
    /* The DMA transaction knobs (docs/timing.md "DMA transactions"), a line
     * of their own for the same reason. */
    if (t->dma_txn_bytes != dt->dma_txn_bytes || t->dma_rd_lat != dt->dma_rd_lat ||
        t->dma_wr_lat != dt->dma_wr_lat || t->mem_beat_lat != dt->mem_beat_lat ||
        t->fault_lat != dt->fault_lat) {
        if (t->dma_txn_bytes < 8 || t->dma_txn_bytes > 4096 ||
            (t->dma_txn_bytes & (t->dma_txn_bytes - 1)) || t->dma_rd_lat > PARSER_MAX_U20 ||
            t->dma_wr_lat > PARSER_MAX_U20 || t->mem_beat_lat > PARSER_MAX_U20 ||
            t->fault_lat > PARSER_MAX_U20) {
            snprintf(err, errlen, "DMA timing cannot be written as a config line");
            return -1;
        }
        add(&l,
            "config timing dma_txn_bytes=%" PRIu32 " dma_rd_lat=%" PRIu32 " dma_wr_lat=%" PRIu32
            " mem_beat_lat=%" PRIu32 " fault_lat=%" PRIu32,
            t->dma_txn_bytes, t->dma_rd_lat, t->dma_wr_lat, t->mem_beat_lat, t->fault_lat);
    }
    /* Parse them back: what a replay will build must be what we have. */
    char text[SCN_CONFIG_MAX_LINES * (SCN_CONFIG_LINE + 1)];
    size_t tl = 0;
    for (int i = 0; i < l.n; i++)
        tl += (size_t)snprintf(text + tl, sizeof text - tl, "%s\n", out[i]);
    scn_error se;
    scn_program *p = scn_parse("config", text, tl, &se);
    bool parsed = p != NULL, same = p && scn_config_equal(&p->model, c);
    scn_free(p);
    if (!same) {
        snprintf(err, errlen, "the configuration does not survive being written as config "
                              "lines (%s)", parsed ? "a field differs" : se.msg);
        return -1;
    }
    return l.n;
}

bool scn_config_equal(const riommu_config *a, const riommu_config *b)
{
    const riommu_timing_config *s = &a->timing, *t = &b->timing;
    return a->capabilities == b->capabilities && a->fctl_reset == b->fctl_reset &&
           a->fctl_gxl_writable == b->fctl_gxl_writable &&
           a->ddtp_reset_mode == b->ddtp_reset_mode && a->ddt_modes == b->ddt_modes &&
           a->ddtp_fixed_ppn == b->ddtp_fixed_ppn && a->cq_max_log2szm1 == b->cq_max_log2szm1 &&
           a->fq_max_log2szm1 == b->fq_max_log2szm1 && a->pq_max_log2szm1 == b->pq_max_log2szm1 &&
           a->cq_fixed_ppn == b->cq_fixed_ppn && a->fq_fixed_ppn == b->fq_fixed_ppn &&
           a->pq_fixed_ppn == b->pq_fixed_ppn && a->num_vectors == b->num_vectors &&
           a->hpm_counters == b->hpm_counters && a->hpm_counter_bits == b->hpm_counter_bits &&
           a->rcid_bits == b->rcid_bits && a->mcid_bits == b->mcid_bits &&
           a->iotval_page_offset == b->iotval_page_offset && a->check_pas == b->check_pas &&
           a->synchronous == b->synchronous &&
           a->qb_write_clears_index == b->qb_write_clears_index && a->seed == b->seed && a->defects == b->defects &&
           cache_eq(&a->ddtc, &b->ddtc) && cache_eq(&a->pdtc, &b->pdtc) &&
           cache_eq(&a->iotlb, &b->iotlb) && cache_eq(&a->walkc, &b->walkc) &&
           s->mem_lat == t->mem_lat && s->cmd_lat == t->cmd_lat && s->ddtp_busy == t->ddtp_busy &&
           s->qcsr_busy == t->qcsr_busy && s->xlate_lat == t->xlate_lat &&
           s->enable == t->enable && s->xlate_slots == t->xlate_slots &&
           s->ptw_slots == t->ptw_slots && s->clock_mhz == t->clock_mhz &&
           s->dma_txn_bytes == t->dma_txn_bytes && s->dma_rd_lat == t->dma_rd_lat &&
           s->dma_wr_lat == t->dma_wr_lat && s->mem_beat_lat == t->mem_beat_lat &&
           s->fault_lat == t->fault_lat;
}
