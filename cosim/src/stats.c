/*
 * stats.c - the statistics table and its emitters (stats.h, docs/stats.md).
 */
#include "riommu/stats.h"

#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/* ---- building ------------------------------------------------------------------ */

typedef struct builder {
    riommu_stat_table *t;
    bool oom;
    riommu_stat_row scratch; /* written to, and ignored, once out of memory */
} builder;

static riommu_stat_row *row(builder *b, const char *desc, const char *unit, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;

static riommu_stat_row *row(builder *b, const char *desc, const char *unit, const char *fmt, ...)
{
    riommu_stat_table *t = b->t;
    if (b->oom)
        return &b->scratch;
    if (t->n == t->cap) {
        size_t nc = t->cap ? t->cap * 2 : 256;
        riommu_stat_row *nr = realloc(t->rows, nc * sizeof *nr);
        if (!nr) {
            b->oom = true;
            return &b->scratch;
        }
        t->rows = nr;
        t->cap = nc;
    }
    riommu_stat_row *r = &t->rows[t->n++];
    memset(r, 0, sizeof *r);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->name, sizeof r->name, fmt, ap);
    va_end(ap);
    r->desc = desc;
    r->unit = unit;
    return r;
}

static void count(builder *b, uint64_t v, const char *desc, const char *name)
{
    row(b, desc, "count", "%s", name)->count = v;
}

static void cycles_row(builder *b, uint64_t v, const char *desc, const char *name)
{
    row(b, desc, "cycles", "%s", name)->count = v;
}

static void real(builder *b, double v, const char *unit, const char *desc, const char *name)
{
    riommu_stat_row *r = row(b, desc, unit, "%s", name);
    r->is_real = true;
    r->real = v;
}

static double ratio(uint64_t a, uint64_t b)
{
    return b ? (double)a / (double)b : 0.0;
}

void riommu_stats_bucket_name(unsigned b, char *buf, size_t len)
{
    if (b == 0)
        snprintf(buf, len, "0-1");
    else if (b >= RIOMMU_STAT_HIST_BUCKETS - 1)
        snprintf(buf, len, "%llu+", (1ull << (RIOMMU_STAT_HIST_BUCKETS - 2)) + 1);
    else
        snprintf(buf, len, "%llu-%llu", (1ull << (b - 1)) + 1, 1ull << b);
}

static void histogram(builder *b, const char *prefix, const uint64_t h[16], const char *desc)
{
    for (unsigned i = 0; i < RIOMMU_STAT_HIST_BUCKETS; i++) {
        char bn[32];
        riommu_stats_bucket_name(i, bn, sizeof bn);
        row(b, desc, "count", "%s::%s", prefix, bn)->count = h[i];
    }
}

static void cache(builder *b, const char *name, const riommu_cache_stats *c)
{
    row(b, "lookups (each probe of the cache)", "count", "iommu.%s.lookups", name)->count =
        c->lookups;
    row(b, "lookups that hit", "count", "iommu.%s.hits", name)->count = c->hits;
    row(b, "lookups that missed", "count", "iommu.%s.misses", name)->count = c->misses;
    row(b, "entries written after a miss", "count", "iommu.%s.fills", name)->count = c->fills;
    row(b, "valid entries replaced by a fill", "count", "iommu.%s.evictions", name)->count =
        c->evictions;
    row(b, "entries dropped by invalidation commands", "count", "iommu.%s.invalidations",
        name)->count = c->invalidations;
    riommu_stat_row *r = row(b, "hits / lookups (0 without lookups)", "ratio",
                             "iommu.%s.hitRate", name);
    r->is_real = true;
    r->real = ratio(c->hits, c->lookups);
}

static const char *const mem_names[RIOMMU_ACC_KIND_COUNT] = {
    [RIOMMU_ACC_DDT] = "ddt",           [RIOMMU_ACC_PDT] = "pdt",
    [RIOMMU_ACC_PTE_S1] = "pteS1",      [RIOMMU_ACC_PTE_S2] = "pteS2",
    [RIOMMU_ACC_AD_UPDATE] = "adUpdate", [RIOMMU_ACC_MSI_PTE] = "msiPte",
    [RIOMMU_ACC_MRIF] = "mrif",         [RIOMMU_ACC_CQ] = "cq",
    [RIOMMU_ACC_FQ] = "fq",             [RIOMMU_ACC_PQ] = "pq",
    [RIOMMU_ACC_FENCE_DATA] = "fenceData", [RIOMMU_ACC_IOMMU_MSI] = "msi",
    [RIOMMU_ACC_DMA_DATA] = "dmaData",
};

static const char *const mem_descs[RIOMMU_ACC_KIND_COUNT] = {
    [RIOMMU_ACC_DDT] = "memory accesses: device-directory entries and device contexts",
    [RIOMMU_ACC_PDT] = "memory accesses: process-directory entries and contexts",
    [RIOMMU_ACC_PTE_S1] = "memory accesses: first-stage PTE reads",
    [RIOMMU_ACC_PTE_S2] = "memory accesses: second-stage PTE reads",
    [RIOMMU_ACC_AD_UPDATE] = "memory accesses: atomic A/D updates of PTEs",
    [RIOMMU_ACC_MSI_PTE] = "memory accesses: MSI page-table entries",
    [RIOMMU_ACC_MRIF] = "memory accesses: memory-resident interrupt files",
    [RIOMMU_ACC_CQ] = "memory accesses: command fetches (two per command)",
    [RIOMMU_ACC_FQ] = "memory accesses: fault-record writes",
    [RIOMMU_ACC_PQ] = "memory accesses: page-request record writes",
    [RIOMMU_ACC_FENCE_DATA] = "memory accesses: IOFENCE.C completion writes",
    [RIOMMU_ACC_IOMMU_MSI] = "memory accesses: IOMMU-originated MSI writes",
    [RIOMMU_ACC_DMA_DATA] = "memory accesses: device data moved by riommu_dma",
};

/* The commands by opcode and func3 with a name in the specification. */
static const struct {
    unsigned op, fn;
    const char *name, *desc;
} cmd_names[] = {
    {RIOMMU_CMD_OP_IOTINVAL, RIOMMU_CMD_FUNC_IOTINVAL_VMA, "IOTINVAL_VMA",
     "IOTINVAL.VMA commands executed"},
    {RIOMMU_CMD_OP_IOTINVAL, RIOMMU_CMD_FUNC_IOTINVAL_GVMA, "IOTINVAL_GVMA",
     "IOTINVAL.GVMA commands executed"},
    {RIOMMU_CMD_OP_IOFENCE, RIOMMU_CMD_FUNC_IOFENCE_C, "IOFENCE_C",
     "IOFENCE.C commands executed"},
    {RIOMMU_CMD_OP_IODIR, RIOMMU_CMD_FUNC_IODIR_INVAL_DDT, "IODIR_INVAL_DDT",
     "IODIR.INVAL_DDT commands executed"},
    {RIOMMU_CMD_OP_IODIR, RIOMMU_CMD_FUNC_IODIR_INVAL_PDT, "IODIR_INVAL_PDT",
     "IODIR.INVAL_PDT commands executed"},
    {RIOMMU_CMD_OP_ATS, RIOMMU_CMD_FUNC_ATS_INVAL, "ATS_INVAL", "ATS.INVAL commands executed"},
    {RIOMMU_CMD_OP_ATS, RIOMMU_CMD_FUNC_ATS_PRGR, "ATS_PRGR", "ATS.PRGR commands executed"},
};

/* A fault cause the specification defines (riommu_cause_name). */
static bool cause_defined(unsigned c)
{
    const char *n = riommu_cause_name(c);
    return c && strcmp(n, "reserved") && strcmp(n, "custom");
}

bool riommu_stats_table_build(riommu_stat_table *t, const riommu_stats *s, uint64_t cycles)
{
    builder b;
    memset(&b, 0, sizeof b);
    b.t = t;
    t->n = 0;

    cycles_row(&b, cycles, "model time when the statistics were taken", "iommu.cycles");

    /* translations */
    count(&b, s->translations, "translation requests (riommu_translate; riommu_dma per page)",
          "iommu.xlate.count");
    count(&b, s->translations_ok, "translation requests that succeeded", "iommu.xlate.ok");
    count(&b, s->translations - s->translations_ok, "translation requests that faulted",
          "iommu.xlate.faulted");
    cycles_row(&b, s->translate_cycles, "sum of translation latencies",
               "iommu.xlate.latency.total");
    real(&b, ratio(s->translate_cycles, s->translations), "cycles",
         "mean translation latency", "iommu.xlate.latency.mean");
    histogram(&b, "iommu.xlate.latency", s->latency_hist,
              "translations whose latency (cycles) lies in the bucket");

    /* caches */
    cache(&b, "ddtc", &s->ddtc);
    cache(&b, "pdtc", &s->pdtc);
    cache(&b, "iotlb", &s->iotlb);
    cache(&b, "walkc", &s->walkc);

    /* walks */
    count(&b, s->ddt_walks, "device-directory walks (DDTC misses that read memory)",
          "iommu.walker.ddt.walks");
    count(&b, s->s1_walks, "first-stage page-table walks", "iommu.walker.s1.walks");
    for (unsigned l = 0; l < 5; l++)
        row(&b, "first-stage PTE reads at this level (0 = leaf level)", "count",
            "iommu.walker.s1.level%u.reads", l)->count = s->s1_walk_levels[l];
    count(&b, s->s2_walks, "second-stage page-table walks", "iommu.walker.s2.walks");
    for (unsigned l = 0; l < 5; l++)
        row(&b, "second-stage PTE reads at this level (0 = leaf level)", "count",
            "iommu.walker.s2.level%u.reads", l)->count = s->s2_walk_levels[l];
    count(&b, s->ad_updates, "atomic A/D updates of leaf PTEs", "iommu.walker.adUpdates");
    uint64_t walks = 0;
    for (unsigned i = 0; i < RIOMMU_STAT_HIST_BUCKETS; i++)
        walks += s->walk_latency_hist[i];
    cycles_row(&b, s->walk_cycles, "sum of page-table walk latencies (walk-cache lookup and PTE "
                                   "reads)", "iommu.walker.latency.total");
    real(&b, ratio(s->walk_cycles, walks), "cycles", "mean page-table walk latency",
         "iommu.walker.latency.mean");
    histogram(&b, "iommu.walker.latency", s->walk_latency_hist,
              "page-table walks whose latency (cycles) lies in the bucket");

    /* timing (docs/timing.md "Statistics"; all 0 in functional mode) */
    cycles_row(&b, s->xlate_wait_cycles, "cycles translations waited for a translation slot",
               "iommu.timing.xlateWait");
    cycles_row(&b, s->ptw_wait_cycles, "cycles table walks waited for a walker slot",
               "iommu.timing.ptwWait");
    cycles_row(&b, s->cache_wait_cycles, "cycles lookups and scans waited for a cache slot",
               "iommu.timing.cacheWait");
    count(&b, s->ptw_walks, "table walks that held a walker slot (DDT and first stage)",
          "iommu.timing.ptwWalks");
    cycles_row(&b, s->cmd_busy_cycles, "fetch and execution cycles of commands",
               "iommu.timing.cmdBusy");
    cycles_row(&b, s->inval_cycles, "of those, invalidation scans", "iommu.timing.invalScan");
    cycles_row(&b, s->fence_wait_cycles, "cycles IOFENCE.C waited for translations in flight",
               "iommu.timing.fenceWait");
    count(&b, s->xlate_max_inflight, "most translation slots in use at once",
          "iommu.timing.xlateMaxInflight");
    cycles_row(&b, s->fq_wait_cycles, "cycles faulting translations waited for the fault-record "
                                      "writer", "iommu.timing.fqWait");

    /* memory */
    uint64_t mem = 0;
    for (unsigned k = 0; k < RIOMMU_ACC_KIND_COUNT; k++) {
        row(&b, mem_descs[k], "count", "iommu.mem.%s", mem_names[k])->count = s->mem_accesses[k];
        mem += s->mem_accesses[k];
    }
    count(&b, mem, "memory accesses of every kind", "iommu.mem.total");

    /* commands */
    uint64_t named = 0, all = 0;
    for (size_t i = 0; i < sizeof cmd_names / sizeof cmd_names[0]; i++) {
        uint64_t v = s->commands[cmd_names[i].op][cmd_names[i].fn];
        row(&b, cmd_names[i].desc, "count", "iommu.cmd.%s", cmd_names[i].name)->count = v;
        named += v;
    }
    for (unsigned op = 0; op < 8; op++)
        for (unsigned fn = 0; fn < 8; fn++)
            all += s->commands[op][fn];
    count(&b, all - named, "legal commands of another opcode/func3 (custom)", "iommu.cmd.other");
    count(&b, s->commands_illegal, "commands found illegal (cqcsr.cmd_ill)", "iommu.cmd.illegal");
    count(&b, all + s->commands_illegal, "commands fetched from the command queue",
          "iommu.cmd.total");

    /* faults */
    uint64_t faults = 0;
    for (unsigned c = 0; c < RIOMMU_STAT_CAUSES; c++)
        faults += s->faults_by_cause[c];
    count(&b, faults, "faults detected (recorded or not)", "iommu.fault.total");
    for (unsigned c = 0; c < RIOMMU_STAT_CAUSES; c++)
        if (cause_defined(c) || s->faults_by_cause[c])
            row(&b, riommu_cause_name(c), "count", "iommu.fault.cause.%u", c)->count =
                s->faults_by_cause[c];
    count(&b, s->fault_records_written, "fault records written to the fault queue",
          "iommu.fault.records.written");
    count(&b, s->fault_records_dropped, "fault records lost: queue off, full or in error",
          "iommu.fault.records.dropped");
    count(&b, s->fault_records_suppressed, "faults not recorded because of DC.tc.DTF",
          "iommu.fault.records.suppressed");

    /* interrupts and registers */
    count(&b, s->msis_sent, "MSIs the IOMMU sent", "iommu.intr.msis");
    count(&b, s->wire_edges, "rising edges of wired interrupts", "iommu.intr.wireEdges");
    count(&b, s->mmio_reads, "register reads", "iommu.mmio.reads");
    count(&b, s->mmio_writes, "register writes", "iommu.mmio.writes");
    count(&b, s->mmio_errors, "register accesses refused (size, alignment, offset)",
          "iommu.mmio.errors");

    if (b.oom) {
        t->n = 0;
        return false;
    }
    return true;
}

const riommu_stat_row *riommu_stats_table_find(const riommu_stat_table *t, const char *name)
{
    for (size_t i = 0; i < t->n; i++)
        if (!strcmp(t->rows[i].name, name))
            return &t->rows[i];
    return NULL;
}

void riommu_stats_table_free(riommu_stat_table *t)
{
    free(t->rows);
    memset(t, 0, sizeof *t);
}

/* ---- emitters -------------------------------------------------------------------- */

void riommu_stats_value_text(const riommu_stat_row *r, char *buf, size_t len)
{
    if (!r->is_real)
        snprintf(buf, len, "%" PRIu64, r->count);
    else if (!isfinite(r->real))
        snprintf(buf, len, "0");
    else
        snprintf(buf, len, "%.6g", r->real);
}

void riommu_stats_json_str(FILE *out, const char *s)
{
    fputc('"', out);
    for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++) {
        switch (*p) {
        case '"': fputs("\\\"", out); break;
        case '\\': fputs("\\\\", out); break;
        case '\n': fputs("\\n", out); break;
        case '\r': fputs("\\r", out); break;
        case '\t': fputs("\\t", out); break;
        default:
            if (*p < 0x20 || *p == 0x7F)
                fprintf(out, "\\u%04x", *p);
            else
                fputc(*p, out);
        }
    }
    fputc('"', out);
}

void riommu_stats_json_values(FILE *out, const riommu_stat_table *t)
{
    fputc('{', out);
    for (size_t i = 0; i < t->n; i++) {
        char v[48];
        riommu_stats_value_text(&t->rows[i], v, sizeof v);
        if (i)
            fputc(',', out);
        riommu_stats_json_str(out, t->rows[i].name);
        fprintf(out, ":%s", v);
    }
    fputc('}', out);
}

void riommu_stats_json_info(FILE *out, const riommu_stat_table *t)
{
    fputc('[', out);
    for (size_t i = 0; i < t->n; i++) {
        fputs(i ? ",\n{\"name\":" : "\n{\"name\":", out);
        riommu_stats_json_str(out, t->rows[i].name);
        fputs(",\"unit\":", out);
        riommu_stats_json_str(out, t->rows[i].unit);
        fputs(",\"desc\":", out);
        riommu_stats_json_str(out, t->rows[i].desc);
        fputc('}', out);
    }
    fputs("\n]", out);
}

static void csv_field(FILE *out, const char *s)
{
    if (!strpbrk(s, ",\"\r\n")) {
        fputs(s, out);
        return;
    }
    fputc('"', out);
    for (; *s; s++) {
        if (*s == '"')
            fputc('"', out);
        fputc(*s, out);
    }
    fputc('"', out);
}

void riommu_stats_csv_header(FILE *out)
{
    fputs("program,backend,name,value,unit,description\r\n", out);
}

void riommu_stats_csv_rows(FILE *out, const char *program, const char *backend,
                           const riommu_stat_table *t)
{
    for (size_t i = 0; i < t->n; i++) {
        char v[48];
        riommu_stats_value_text(&t->rows[i], v, sizeof v);
        csv_field(out, program);
        fputc(',', out);
        csv_field(out, backend);
        fputc(',', out);
        csv_field(out, t->rows[i].name);
        fprintf(out, ",%s,", v);
        csv_field(out, t->rows[i].unit);
        fputc(',', out);
        csv_field(out, t->rows[i].desc);
        fputs("\r\n", out);
    }
}

void riommu_stats_text(FILE *out, const riommu_stat_table *t)
{
    for (size_t i = 0; i < t->n; i++) {
        char v[48];
        riommu_stats_value_text(&t->rows[i], v, sizeof v);
        fprintf(out, "%-40s %16s  # %s (%s)\n", t->rows[i].name, v, t->rows[i].desc,
                t->rows[i].unit);
    }
}

/* ---- time series ---------------------------------------------------------------- */

void riommu_stats_series_reset(riommu_stats_series *s, size_t max)
{
    s->n = 0;
    s->max = max < 2 ? 2 : max;
    s->every = 1;
    s->offered = 0;
    s->oom = false;
    s->have_last = false;
}

static void keep(riommu_stats_series *s, const riommu_stats_point *p)
{
    if (!s->v) {
        s->v = malloc(s->max * sizeof *s->v);
        if (!s->v) {
            s->oom = true;
            return;
        }
    }
    if (s->n == s->max) {
        /* full: keep points 0, 2, 4, ... and from now on every 2nd offer */
        size_t j = 0;
        for (size_t i = 0; i < s->n; i += 2)
            s->v[j++] = s->v[i];
        s->n = j;
        s->every *= 2;
    }
    s->v[s->n++] = *p;
}

void riommu_stats_series_offer(riommu_stats_series *s, uint64_t step, uint64_t cycles,
                               const riommu_stats *st)
{
    riommu_stats_point p;
    const riommu_cache_stats *c[RIOMMU_STATS_SERIES_CACHES] = {&st->ddtc, &st->pdtc, &st->iotlb,
                                                               &st->walkc};
    p.step = step;
    p.cycles = cycles;
    p.translations = st->translations;
    for (unsigned i = 0; i < RIOMMU_STATS_SERIES_CACHES; i++) {
        p.lookups[i] = c[i]->lookups;
        p.hits[i] = c[i]->hits;
    }
    s->last = p;
    s->have_last = true;
    if (s->offered++ % s->every == 0 && !s->oom)
        keep(s, &p);
}

void riommu_stats_series_finish(riommu_stats_series *s)
{
    if (!s->have_last || s->oom)
        return;
    if (s->n && s->v[s->n - 1].step == s->last.step)
        return;
    keep(s, &s->last);
}

void riommu_stats_series_json(FILE *out, const riommu_stats_series *s)
{
    static const char *const cn[RIOMMU_STATS_SERIES_CACHES] = {"ddtc", "pdtc", "iotlb", "walkc"};
    fprintf(out, "{\"every\":%" PRIu64 ",\"columns\":[\"step\",\"cycles\",\"translations\"",
            s->every);
    for (unsigned i = 0; i < RIOMMU_STATS_SERIES_CACHES; i++)
        fprintf(out, ",\"%s.lookups\",\"%s.hits\"", cn[i], cn[i]);
    fputs("],\"rows\":[", out);
    for (size_t k = 0; k < s->n; k++) {
        const riommu_stats_point *p = &s->v[k];
        fprintf(out, "%s[%" PRIu64 ",%" PRIu64 ",%" PRIu64, k ? ",\n" : "\n", p->step, p->cycles,
                p->translations);
        for (unsigned i = 0; i < RIOMMU_STATS_SERIES_CACHES; i++)
            fprintf(out, ",%" PRIu64 ",%" PRIu64, p->lookups[i], p->hits[i]);
        fputc(']', out);
    }
    fputs("]}", out);
}

void riommu_stats_series_free(riommu_stats_series *s)
{
    free(s->v);
    s->v = NULL;
    s->n = 0;
}
