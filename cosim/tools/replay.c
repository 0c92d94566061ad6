/*
 * replay.c - `riommu replay` (replay.h).
 *
 * Two passes over the trace: the first only reads it (every line checked,
 * every config parsed, the budgets charged), so a malformed trace exits 2
 * before anything runs; the second builds one world per section (the
 * engine over --backends, shared with `riommu run` through world.h) and
 * re-issues each operation through the engine's shim, device side and
 * platform calls. A recorded observation the reference does not reproduce
 * is an `expectation` record whose `where` names the trace line.
 *
 * Recorded reads of time-dependent registers (cosim.h rule 2) are compared
 * only for traces of lockstep runs (`world cosim`): on the embedded model
 * (`world model`) the driver saw them while the model was still busy, the
 * engine reads them settled. HPM counters are never compared.
 */
#define _POSIX_C_SOURCE 200809L

#include "replay.h"

#include <sys/stat.h>

#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "cases.h"
#include "report.h"
#include "riommu/model_backend.h"
#include "riommu/trace.h"
#include "run.h"
#include "riommu/qemu_backend.h"
#include "scenario.h"
#include "scn_config.h"
#include "statsfile.h"
#include "timing_cmp.h"
#include "world.h"

_Static_assert(RIOMMU_TRACE_MAX_CYCLES >= 2 * RUN_MAX_CYCLES,
               "a trace section may hold everything one run does");

#define MAX_RULES 256

typedef struct replay_args {
    const char *path, *list, *waivers, *report, *junit, *trace, *wave, *stats, *timing_csv;
    bool quiet, stop_at_first, timing_compare;
} replay_args;

/* The section being replayed. */
typedef struct section {
    char name[RIOMMU_TRACE_MAX_NAME];
    uint64_t line;            /* of its `scenario` line */
    bool lockstep;            /* world cosim */
    bool recorded_qemu;       /* world cosim with a qemu backend */
    uint64_t base, size;      /* DMA window */
    char cfg[RIOMMU_TRACE_MAX_CONFIG][RIOMMU_TRACE_MAX_NAME];
    uint64_t cfg_line[RIOMMU_TRACE_MAX_CONFIG];
    unsigned ncfg;
    riommu_config model;      /* what the config lines give */
    riommu_cosim *c;          /* NULL until the first operation */
    riommu_hw_ops ops;
    uint64_t skipped, nops;
    char note[256];
    uint8_t *buf;             /* DMA scratch */
    char *wave;               /* --wave: this section's waveform file */
} section;

typedef struct replay {
    const replay_args *a;
    run_backend_spec specs[RUN_MAX_BACKENDS];
    unsigned nspecs;
    riommu_waiver_rule *rules;
    size_t nrules;
    riommu_trace_writer *tw;  /* --trace OUT */
    statsfile *sf;            /* --stats FILE, or NULL */
    timing_cmp *tc;           /* --timing-compare, or NULL */
    cases cs;
    section s;
    /* per section, in trace order: the bus 0 slots (bit n: slot n) its DMA
     * comes from, for a qemu backend's edu devices (pass 1 fills it) */
    uint32_t *slots;
    size_t nsec, capsec, cursec;
    uint64_t mism, waived, skipped;
    char err[400];
} replay;

void replay_usage(FILE *o)
{
    fputs("usage: riommu replay TRACE [OPTIONS]\n"
          "\n"
          "Replays a trace written by `riommu run --trace FILE` (docs/trace.md) on the\n"
          "lockstep engine over LIST, without the driver or the scenario: every MMIO\n"
          "access, allocation, publication, consumption, delay, device DMA, settle,\n"
          "model step and backdoor write is re-issued in order, each section of the\n"
          "trace (one per scenario) on a fresh world rebuilt from its config lines.\n"
          "The backends are compared with each other (docs/cosim.md), and the\n"
          "reference's register values, consumed bytes and DMA responses with the\n"
          "recorded ones: a difference is an `expectation` record naming the trace\n"
          "line. The trace is read completely first: a malformed one prints\n"
          "'TRACE:LINE: message' and exits 2. The last line is\n"
          "'mismatches: N, waived: W, skipped: S'.\n"
          "\n"
          "options:\n"
          "  --backends LIST       the backends (default model; see riommu run --help);\n"
          "                        the first is the reference and must be a model\n"
          "  --waivers FILE        waive documented differences (docs/cosim.md)\n"
          "  --report FILE.json    the mismatch records as JSON\n"
          "  --junit FILE.xml      a JUnit XML test suite, one case per section\n"
          "  --trace FILE          write the replay's own trace (equal to TRACE when\n"
          "                        TRACE came from `run --backends LIST` on the same LIST)\n"
          "  --stop-at-first       stop a section at its first unwaived mismatch\n"
          "  --stats FILE          every section's statistics, as `riommu run --stats`\n"
          "                        (FILE.json, .csv or .txt; the run file has no time\n"
          "                        series: a trace holds no scenario steps)\n"
          "  --timing-compare      pair each DMA's latency on the reference with the other\n"
          "                        backends' and print mean and p95 relative error (as\n"
          "                        `riommu run`)\n"
          "  --timing-csv FILE     --timing-compare, and every pair as CSV\n"
          "  --wave FILE           with rtl in LIST: write the DUT's FST waveform to FILE\n"
          "                        (a trace of several sections: FILE-TAG.EXT per\n"
          "                        section, TAG its scenario's name); mismatch records\n"
          "                        of rtl name its cycles and the waveform window\n"
          "                        (docs/rtl-harness.md)\n"
          "  -q, --quiet           only mismatches and the last line\n"
          "  -h, --help            this text\n"
          "\n"
          "exit status: 0 no mismatches, 1 mismatches, 2 usage errors, an unreadable or\n"
          "malformed trace, an allocation that does not land where the trace says.\n",
          o);
}

/* ---- errors ---------------------------------------------------------------- */

#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
static bool at_line(replay *rp, uint64_t line, const char *fmt, ...)
{
    char msg[300];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    snprintf(rp->err, sizeof rp->err, "%s:%" PRIu64 ": %s", rp->a->path, line, msg);
    return false;
}

static void expect_failed(replay *rp, uint64_t line, const char *what, uint64_t recorded,
                          uint64_t got)
{
    char where[64];
    snprintf(where, sizeof where, "line %" PRIu64 ": %s", line, what);
    riommu_cosim_expect_failed(rp->s.c, where, recorded, got);
}

static uint64_t le64(const uint8_t *d, size_t n)
{
    uint64_t v = 0;
    for (size_t k = 0; k < n && k < 8; k++)
        v |= (uint64_t)d[k] << (8 * k);
    return v;
}

/* First differing 8-byte word of two buffers; false when equal. */
static bool differ(const uint8_t *a, const uint8_t *b, size_t n, size_t *w)
{
    if (!memcmp(a, b, n))
        return false;
    size_t k = 0;
    while (a[k] == b[k])
        k++;
    *w = k & ~(size_t)7;
    return true;
}

/* ---- sections ---------------------------------------------------------------- */

/* The model configuration of the section's config lines; false with
 * "TRACE:LINE: message" when the scenario parser or the model rejects it. */
static bool section_config(replay *rp)
{
    section *s = &rp->s;
    size_t cap = (size_t)s->ncfg * RIOMMU_TRACE_MAX_NAME + 1, len = 0;
    char *text = malloc(cap);
    if (!text)
        return at_line(rp, s->line, "out of memory");
    text[0] = 0;
    for (unsigned i = 0; i < s->ncfg; i++)
        len += (size_t)snprintf(text + len, cap - len, "%s\n", s->cfg[i]);
    scn_error se;
    scn_program *p = scn_parse("config", text, len, &se);
    free(text);
    if (!p) {
        uint64_t line = se.line >= 1 && se.line <= s->ncfg ? s->cfg_line[se.line - 1] : s->line;
        return at_line(rp, line, "%s", se.msg);
    }
    bool only_config = p->nsteps == 0;
    s->model = p->model;
    scn_free(p);
    if (!only_config)
        return at_line(rp, s->line, "a config line holds a statement");
    char e[200];
    if (!riommu_config_check(&s->model, e, sizeof e))
        return at_line(rp, s->ncfg ? s->cfg_line[0] : s->line,
                       "the model refuses this configuration: %s", e);
    return true;
}

static uint8_t *engine_bytes(void *ctx, uint64_t pa, size_t len)
{
    return riommu_cosim_cpu(ctx, pa, len);
}

/* Build the section's world at its first operation. */
static bool section_world(replay *rp, uint64_t line)
{
    section *s = &rp->s;
    world_params wp;
    memset(&wp, 0, sizeof wp);
    wp.backends = rp->specs;
    wp.nbackends = rp->nspecs;
    wp.model = &s->model;
    /* As `riommu run` leaves QEMU out of a program it cannot run, a replay
     * leaves it out of a section that was not run on it: one recorded in
     * lockstep without a qemu backend, or with a configuration other than
     * QEMU's parameters (the models' configuration in a run with qemu). */
    uint8_t slots[RIOMMU_QEMU_MAX_EDU];
    if (world_has_qemu(rp->specs, rp->nspecs)) {
        riommu_config q;
        riommu_config_default(&q);
        riommu_qemu_model_config(&q);
        if (s->lockstep && !s->recorded_qemu)
            wp.qemu_not_run = "the section was recorded in lockstep without a qemu backend";
        else if (!scn_config_equal(&s->model, &q))
            wp.qemu_not_run = "the section's configuration is not QEMU's parameters (record "
                              "with a qemu backend in --backends)";
        uint32_t want = rp->cursec && rp->cursec <= rp->nsec ? rp->slots[rp->cursec - 1] : 0;
        for (unsigned sl = 2; sl < 32 && wp.n_edu < RIOMMU_QEMU_MAX_EDU; sl++)
            if (want & (1u << sl))
                slots[wp.n_edu++] = (uint8_t)sl;
        wp.edu_slots = slots;
    }
    /* The rtl DUT runs a section whose recorded configuration its straps
     * can take (world_rtl_check), with the straps set from it. */
    char rtl_why[200];
    if (world_has_rtl(rp->specs, rp->nspecs) && !world_rtl_check(&s->model, rtl_why, sizeof rtl_why))
        wp.rtl_not_run = rtl_why;
    wp.scenario = s->name;
    wp.dma_base = s->base;
    wp.dma_size = s->size;
    wp.stop_at_first = rp->a->stop_at_first;
    wp.waivers = rp->rules;
    wp.nwaivers = rp->nrules;
    if (rp->a->wave) {
        size_t wl = strlen(rp->a->wave) + strlen(s->name) + 16;
        s->wave = malloc(wl);
        if (!s->wave)
            return at_line(rp, line, "out of memory");
        if (rp->nsec > 1)
            world_wave_name(rp->a->wave, s->name, s->wave, wl);
        else
            snprintf(s->wave, wl, "%s", rp->a->wave);
        wp.wave = s->wave;
    }
    char e[600];
    s->c = world_create(&wp, &s->skipped, s->note, sizeof s->note, e, sizeof e);
    if (!s->c)
        return at_line(rp, line, "cannot build the world: %s", e);
    s->ops = riommu_cosim_hw_ops(s->c);
    if (rp->sf)
        statsfile_begin(rp->sf);
    if (rp->tc) {
        timing_cmp_program(rp->tc, s->name);
        timing_cmp_attach(rp->tc, s->c);
    }
    if (rp->tw) {
        const char *lines[RIOMMU_TRACE_MAX_CONFIG];
        for (unsigned i = 0; i < s->ncfg; i++)
            lines[i] = s->cfg[i];
        char world[RUN_MAX_BACKENDS * 65]; /* the engine's list, as `run` records it */
        world_names(s->c, world, sizeof world);
        riommu_trace_begin(rp->tw, s->name, world, s->base, s->size, lines, s->ncfg);
        riommu_trace_cpu cpu = {s->c, engine_bytes};
        s->ops = riommu_trace_wrap(rp->tw, &s->ops, &cpu);
    }
    return true;
}

static void section_end(replay *rp)
{
    section *s = &rp->s;
    riommu_cosim_finish(s->c);
    if (rp->tw)
        riommu_trace_end(rp->tw);
    const char *w = rp->a->waivers;
    size_t rl = strlen(rp->a->path) + strlen(rp->a->list) + (w ? strlen(w) : 0) + 64;
    char *repro = malloc(rl);
    if (repro)
        snprintf(repro, rl, "riommu replay %s --backends %s%s%s", rp->a->path, rp->a->list,
                 w ? " --waivers " : "", w ? w : "");
    /* The rtl backend ran: its waveform, or how to get one. */
    bool clocked = world_clocked(s->c);
    char *wrepro = NULL;
    if (clocked && !s->wave && repro) {
        char tag[300];
        size_t wl = strlen(repro) + 2 * sizeof tag + 64;
        wrepro = world_wave_tag(s->name, tag, sizeof tag) ? malloc(wl) : NULL;
        if (wrepro && rp->nsec > 1)
            snprintf(wrepro, wl, "%s --wave wave.fst (this section's: wave-%s)", repro, tag);
        else if (wrepro)
            snprintf(wrepro, wl, "%s --wave %s", repro, tag);
    }
    cases_add(&rp->cs, s->name, rp->a->list, repro, clocked ? s->wave : NULL, wrepro, s->c,
              s->skipped, s->note);
    free(wrepro);
    free(repro);
    uint64_t u, wv;
    riommu_cosim_counts(s->c, &u, &wv);
    if (rp->sf) { /* as `run --stats`: every model backend, the reference's summary */
        run_summary sum;
        memset(&sum, 0, sizeof sum);
        for (unsigned i = 0; i < riommu_cosim_backend_count(s->c); i++) {
            riommu *m = riommu_model_backend_model(riommu_cosim_backend(s->c, i));
            if (!m)
                continue;
            riommu_stats st;
            riommu_get_stats(m, &st);
            statsfile_backend(rp->sf, riommu_cosim_backend_name(s->c, i), &st, riommu_now(m));
            if (i == 0) {
                sum.model = st;
                sum.cycles = riommu_now(m);
            }
        }
        sum.steps = s->nops; /* operations replayed; a trace has no expectations */
        sum.mismatches = u;
        sum.waived = wv;
        sum.skipped = s->skipped;
        sum.stopped = riommu_cosim_stopped(s->c);
        statsfile_end(rp->sf, s->name, &sum);
    }
    if (!rp->a->quiet)
        printf("%s: replayed %" PRIu64 " operations: %" PRIu64 " mismatches, %" PRIu64
               " waived, %" PRIu64 " skipped\n",
               s->name, s->nops, u, wv, s->skipped);
    rp->mism += u;
    rp->waived += wv;
    rp->skipped += s->skipped;
    riommu_cosim_destroy(s->c);
    s->c = NULL;
}

/* ---- operations ------------------------------------------------------------------ */

static void op_read(replay *rp, const riommu_trace_item *it)
{
    section *s = &rp->s;
    uint64_t v = it->size == 8 ? s->ops.read64(s->ops.ctx, it->off)
                               : s->ops.read32(s->ops.ctx, it->off);
    riommu_cosim_reg_rule rule = riommu_cosim_reg_rule_of(it->off);
    if (rule == RIOMMU_COSIM_REG_NEVER || (rule == RIOMMU_COSIM_REG_SETTLED && !s->lockstep))
        return;
    if (v != it->value) {
        const char *n = riommu_reg_name(it->off);
        char what[48];
        snprintf(what, sizeof what, "%s@0x%03x", n ? n : "reg", (unsigned)it->off);
        expect_failed(rp, it->line, what, it->value, v);
    }
}

static bool op_dma(replay *rp, const riommu_trace_item *it)
{
    section *s = &rp->s;
    const riommu_request *q = &it->req;
    const riommu_response *want = &it->rsp;
    if (!s->buf) {
        s->buf = malloc(RIOMMU_TRACE_MAX_DMA_LEN);
        if (!s->buf)
            return at_line(rp, it->line, "out of memory");
    }
    memset(s->buf, 0, q->len);
    if (q->access == RIOMMU_WRITE && it->has_data)
        memcpy(s->buf, it->data, q->len);
    riommu_response got;
    s->skipped += riommu_cosim_dma(s->c, q, s->buf, &got);
    if (rp->tw)
        riommu_trace_dma(rp->tw, q, s->buf, &got);
    if (got.status != want->status) {
        expect_failed(rp, it->line, "dma status", want->status, got.status);
        return true;
    }
    if (got.status == RIOMMU_RSP_FAULT) {
        if (got.cause != want->cause)
            expect_failed(rp, it->line, "dma cause", want->cause, got.cause);
        else if (got.recorded != want->recorded)
            expect_failed(rp, it->line, "dma fault recorded", want->recorded, got.recorded);
        return true;
    }
    if (got.status != RIOMMU_RSP_OK)
        return true;
    if (got.pa != want->pa)
        expect_failed(rp, it->line, "dma pa", want->pa, got.pa);
    if (got.range_size != want->range_size)
        expect_failed(rp, it->line, "dma range", want->range_size, got.range_size);
    size_t w;
    if (q->access != RIOMMU_WRITE && it->has_data && differ(it->data, s->buf, q->len, &w)) {
        char what[48];
        snprintf(what, sizeof what, "dma data +0x%zx", w);
        expect_failed(rp, it->line, what, le64(it->data + w, q->len - w),
                      le64(s->buf + w, q->len - w));
    }
    return true;
}

/* One operation of the section; false with rp->err on a replay error. */
static bool op(replay *rp, const riommu_trace_item *it)
{
    section *s = &rp->s;
    riommu_hw_ops *o = &s->ops;
    s->nops++;
    switch (it->kind) {
    case RIOMMU_TK_READ:
        op_read(rp, it);
        return true;
    case RIOMMU_TK_WRITE:
        if (it->size == 8)
            o->write64(o->ctx, it->off, it->value);
        else
            o->write32(o->ctx, it->off, (uint32_t)it->value);
        return true;
    case RIOMMU_TK_ALLOC: {
        riommu_dma_mem m;
        memset(&m, 0, sizeof m);
        bool ok = o->alloc(o->ctx, (size_t)it->len, (size_t)it->align, &m);
        if (ok != it->ok || (ok && m.pa != it->addr)) {
            char got[40], want[40];
            snprintf(got, sizeof got, ok ? "0x%" PRIx64 : "nothing (no room)", m.pa);
            snprintf(want, sizeof want, it->ok ? "0x%" PRIx64 : "no room", it->addr);
            return at_line(rp, it->line, "the allocation of %" PRIu64 " bytes got %s, the "
                                         "trace says %s", it->len, got, want);
        }
        return true;
    }
    case RIOMMU_TK_FREE: {
        riommu_dma_mem m;
        memset(&m, 0, sizeof m);
        m.pa = it->addr;
        m.size = (size_t)it->len;
        m.cpu = riommu_cosim_cpu(s->c, it->addr, 1);
        o->free(o->ctx, &m);
        return true;
    }
    case RIOMMU_TK_MAP: {
        riommu_dma_mem m;
        bool ok = o->map_phys(o->ctx, it->addr, (size_t)it->len, &m);
        if (ok != it->ok)
            return at_line(rp, it->line, "mapping 0x%" PRIx64 " %s, the trace says it %s",
                           it->addr, ok ? "worked" : "failed", it->ok ? "worked" : "failed");
        return true;
    }
    case RIOMMU_TK_PUBLISH:
        if (it->has_data) {
            uint8_t *cpu = riommu_cosim_cpu(s->c, it->addr, (size_t)it->len);
            if (!cpu)
                return at_line(rp, it->line, "publication of 0x%" PRIx64 "+%" PRIu64
                                             " outside every allocation and mapping",
                               it->addr, it->len);
            memcpy(cpu, it->data, (size_t)it->len);
        }
        o->sync_to_device(o->ctx, it->addr, (size_t)it->len);
        return true;
    case RIOMMU_TK_CONSUME: {
        o->sync_for_cpu(o->ctx, it->addr, (size_t)it->len);
        if (!it->has_data)
            return true;
        const uint8_t *cpu = riommu_cosim_cpu(s->c, it->addr, (size_t)it->len);
        if (!cpu)
            return at_line(rp, it->line, "consumption of 0x%" PRIx64 "+%" PRIu64
                                         " outside every allocation and mapping",
                           it->addr, it->len);
        size_t w;
        if (differ(it->data, cpu, (size_t)it->len, &w)) {
            char what[48];
            snprintf(what, sizeof what, "memory 0x%" PRIx64, it->addr + w);
            expect_failed(rp, it->line, what, le64(it->data + w, (size_t)it->len - w),
                          le64(cpu + w, (size_t)it->len - w));
        }
        return true;
    }
    case RIOMMU_TK_DELAY:
        o->delay_us(o->ctx, (uint32_t)it->value);
        return true;
    case RIOMMU_TK_IRQ_PENDING:
    case RIOMMU_TK_IRQ_ACK:
        /* the engine compares MSIs and wire changes as events instead */
        return true;
    case RIOMMU_TK_DMA:
        return op_dma(rp, it);
    case RIOMMU_TK_SETTLE:
        riommu_cosim_settle(s->c);
        if (rp->tw)
            riommu_trace_settle(rp->tw);
        return true;
    case RIOMMU_TK_STEP:
        world_step(s->c, it->value);
        if (rp->tw)
            riommu_trace_step(rp->tw, it->value);
        return true;
    case RIOMMU_TK_LABEL:
        if (!riommu_cosim_label(s->c, it->addr, it->len, (uint32_t)it->value, it->text))
            return at_line(rp, it->line, "more than 8 labelled regions");
        if (rp->tw)
            riommu_trace_label(rp->tw, it->addr, it->len, (uint32_t)it->value, it->text);
        return true;
    case RIOMMU_TK_MEM_WRITE:
        world_mem_write(s->c, it->addr, it->data, (size_t)it->len);
        if (rp->tw)
            riommu_trace_mem_write(rp->tw, it->addr, it->data, (size_t)it->len);
        return true;
    default:
        return true;
    }
}

/* ---- passes ------------------------------------------------------------------------ */

/* Header items (both passes): keep the section's description. */
static bool header(replay *rp, const riommu_trace_item *it)
{
    section *s = &rp->s;
    switch (it->kind) {
    case RIOMMU_TK_SCENARIO:
        free(s->buf);
        free(s->wave);
        memset(s, 0, sizeof *s);
        snprintf(s->name, sizeof s->name, "%s", it->text);
        s->line = it->line;
        return true;
    case RIOMMU_TK_WORLD: {
        s->lockstep = it->ok;
        run_backend_spec b[RUN_MAX_BACKENDS];
        char e[200];
        unsigned n = it->ok ? run_backends_parse(it->text, b, RUN_MAX_BACKENDS, e, sizeof e) : 0;
        s->recorded_qemu = n && world_has_qemu(b, n);
        return true;
    }
    case RIOMMU_TK_WINDOW:
        s->base = it->addr;
        s->size = it->len;
        return true;
    case RIOMMU_TK_CONFIG:
        snprintf(s->cfg[s->ncfg], sizeof s->cfg[0], "%s", it->text);
        s->cfg_line[s->ncfg++] = it->line;
        return true;
    default:
        return false;
    }
}

static bool add_section(replay *rp)
{
    if (rp->nsec == rp->capsec) {
        size_t nc = rp->capsec ? rp->capsec * 2 : 16;
        uint32_t *ns = realloc(rp->slots, nc * sizeof *ns);
        if (!ns)
            return false;
        rp->slots = ns;
        rp->capsec = nc;
    }
    rp->slots[rp->nsec++] = (1u << 2) | (1u << 3); /* 0x10 and 0x18 always */
    return true;
}

/* Pass 1: read everything; parse every section's configuration. */
static bool check_pass(replay *rp)
{
    char err[400];
    riommu_trace_reader *r = riommu_trace_open(rp->a->path, false, err, sizeof err);
    if (!r) {
        snprintf(rp->err, sizeof rp->err, "%s", err);
        return false;
    }
    riommu_trace_item it;
    int rc = 0;
    bool ok = true, configured = false;
    while (ok && (rc = riommu_trace_next(r, &it, err, sizeof err)) > 0) {
        if (it.kind == RIOMMU_TK_SCENARIO && !add_section(rp)) {
            ok = at_line(rp, it.line, "out of memory");
            break;
        }
        if (header(rp, &it)) {
            configured = false;
            continue;
        }
        if (!configured) {
            ok = section_config(rp);
            configured = true;
        }
        if (it.kind == RIOMMU_TK_DMA && run_qemu_device_id_ok(it.req.device_id))
            rp->slots[rp->nsec - 1] |= 1u << (it.req.device_id >> 3);
    }
    if (ok && rc < 0) {
        snprintf(rp->err, sizeof rp->err, "%s", err);
        ok = false;
    }
    riommu_trace_close(r);
    return ok;
}

/* Pass 2: replay. */
static bool replay_pass(replay *rp)
{
    char err[400];
    riommu_trace_reader *r = riommu_trace_open(rp->a->path, true, err, sizeof err);
    if (!r) {
        snprintf(rp->err, sizeof rp->err, "%s", err);
        return false;
    }
    section *s = &rp->s;
    riommu_trace_item it;
    int rc = 0;
    bool ok = true;
    rp->cursec = 0;
    while (ok && (rc = riommu_trace_next(r, &it, err, sizeof err)) > 0) {
        if (it.kind == RIOMMU_TK_SCENARIO)
            rp->cursec++;
        if (header(rp, &it))
            continue;
        if (!s->c) {
            ok = section_config(rp) && section_world(rp, it.line);
            if (!ok)
                break;
            cases_start(&rp->cs);
        }
        if (it.kind == RIOMMU_TK_END) {
            section_end(rp);
            continue;
        }
        if (riommu_cosim_stopped(s->c))
            continue; /* --stop-at-first tripped: read on to the section's end */
        if (it.kind == RIOMMU_TK_AT) {
            riommu_cosim_set_step(s->c, it.value);
            if (rp->tw)
                riommu_trace_at(rp->tw, it.value);
            continue;
        }
        ok = op(rp, &it);
    }
    if (ok && rc < 0) {
        snprintf(rp->err, sizeof rp->err, "%s", err);
        ok = false;
    }
    if (s->c) {
        riommu_cosim_destroy(s->c);
        s->c = NULL;
    }
    free(s->buf);
    s->buf = NULL;
    free(s->wave);
    s->wave = NULL;
    riommu_trace_close(r);
    return ok;
}

/* ---- the command --------------------------------------------------------------------- */

static int parse_args(int argc, char **argv, replay_args *a)
{
    memset(a, 0, sizeof *a);
    a->list = "model";
    for (int i = 1; i < argc; i++) {
        const char *s = argv[i];
        if (!strcmp(s, "-h") || !strcmp(s, "--help")) {
            replay_usage(stdout);
            return 0;
        } else if (!strcmp(s, "-q") || !strcmp(s, "--quiet")) {
            a->quiet = true;
        } else if (!strcmp(s, "--timing-compare")) {
            a->timing_compare = true;
        } else if (!strcmp(s, "--stop-at-first") || !strcmp(s, "-x") ||
                   !strcmp(s, "--stop-on-mismatch")) {
            a->stop_at_first = true;
        } else if (!strcmp(s, "--backends") || !strcmp(s, "--waivers") ||
                   !strcmp(s, "--report") || !strcmp(s, "--junit") || !strcmp(s, "--trace") ||
                   !strcmp(s, "--wave") || !strcmp(s, "--stats") || !strcmp(s, "--timing-csv")) {
            if (i + 1 >= argc) {
                fprintf(stderr, "riommu replay: %s needs an argument\n", s);
                return 2;
            }
            const char *v = argv[++i];
            if (!strcmp(s, "--backends"))
                a->list = v;
            else if (!strcmp(s, "--waivers"))
                a->waivers = v;
            else if (!strcmp(s, "--report"))
                a->report = v;
            else if (!strcmp(s, "--junit"))
                a->junit = v;
            else if (!strcmp(s, "--wave"))
                a->wave = v;
            else if (!strcmp(s, "--timing-csv")) {
                a->timing_csv = v;
                a->timing_compare = true;
            } else if (!strcmp(s, "--stats")) {
                if (!statsfile_path_ok(v)) {
                    fprintf(stderr, "riommu replay: --stats FILE: '%s' must end in .json (the "
                                    "run file for `riommu report`), .csv or .txt\n", v);
                    return 2;
                }
                a->stats = v;
            } else
                a->trace = v;
        } else if (s[0] == '-' && s[1]) {
            fprintf(stderr, "riommu replay: unknown option '%s' (see riommu replay --help)\n",
                    s);
            return 2;
        } else if (a->path) {
            fprintf(stderr, "riommu replay: one trace at a time ('%s' and '%s')\n", a->path, s);
            return 2;
        } else {
            a->path = s;
        }
    }
    if (!a->path) {
        fprintf(stderr, "riommu replay: which trace? (riommu replay TRACE [--backends LIST])\n");
        return 2;
    }
    return -1;
}

int replay_main(int argc, char **argv)
{
    replay_args a;
    int status = parse_args(argc, argv, &a);
    if (status >= 0)
        return status;
    replay *rp = calloc(1, sizeof *rp);
    if (!rp) {
        fprintf(stderr, "riommu replay: out of memory\n");
        return 2;
    }
    rp->a = &a;
    char err[256];
    FILE *tf = NULL;
    rp->nspecs = run_backends_parse(a.list, rp->specs, RUN_MAX_BACKENDS, err, sizeof err);
    if (!rp->nspecs) {
        fprintf(stderr, "riommu replay: %s\n", err);
        status = 2;
    } else if (a.wave && !world_has_rtl(rp->specs, rp->nspecs)) {
        fprintf(stderr, "riommu replay: --wave FILE needs an rtl backend in --backends (e.g. "
                        "--backends model,rtl)\n");
        status = 2;
    }
    if (status < 0 && a.waivers) {
        rp->rules = calloc(MAX_RULES, sizeof *rp->rules);
        int nr = rp->rules ? riommu_waivers_parse(a.waivers, rp->rules, MAX_RULES, err,
                                                  sizeof err)
                           : -1;
        if (nr < 0) {
            fprintf(stderr, "riommu replay: %s\n", rp->rules ? err : "out of memory");
            status = 2;
        }
        rp->nrules = nr > 0 ? (size_t)nr : 0;
    }
    cases_init(&rp->cs, rp->specs, rp->nspecs);
    struct stat st;
    if (status < 0 && stat(a.path, &st) == 0 && !S_ISREG(st.st_mode)) {
        fprintf(stderr, "%s: not a regular file (a replay reads the trace twice: first to "
                        "check it, then to run it)\n", a.path);
        status = 2;
    }
    if (status < 0 && !check_pass(rp)) {
        fprintf(stderr, "%s\n", rp->err);
        status = 2;
    }
    if (status < 0 && a.timing_compare && rp->nspecs < 2) {
        fprintf(stderr, "riommu replay: --timing-compare needs a second backend in --backends "
                        "(e.g. --backends model,rtl)\n");
        status = 2;
    }
    if (status < 0 && a.timing_compare && !(rp->tc = timing_cmp_create())) {
        fprintf(stderr, "riommu replay: out of memory\n");
        status = 2;
    }
    if (status < 0 && a.stats) {
        rp->sf = statsfile_open(a.stats, "riommu replay", a.list, err, sizeof err);
        if (!rp->sf) {
            fprintf(stderr, "riommu replay: %s\n", err);
            status = 2;
        } else if (rp->tc) {
            statsfile_timing(rp->sf, rp->tc);
        }
    }
    if (status < 0 && a.trace) {
        tf = fopen(a.trace, "w");
        rp->tw = tf ? riommu_trace_writer_create(tf) : NULL;
        if (!rp->tw) {
            fprintf(stderr, "riommu replay: cannot write trace '%s'\n", a.trace);
            status = 2;
        }
    }
    if (status < 0 && !replay_pass(rp)) {
        fflush(stdout);
        fprintf(stderr, "%s\n", rp->err);
        status = 2;
    }
    if (rp->tw) {
        bool ok = riommu_trace_writer_destroy(rp->tw);
        if ((fclose(tf) != 0 || !ok) && status != 2) {
            fprintf(stderr, "riommu replay: the trace '%s' is incomplete\n", a.trace);
            status = 2;
        }
    } else if (tf) {
        fclose(tf);
    }
    if (status < 0 && rp->cs.oom) {
        fprintf(stderr, "riommu replay: out of memory\n");
        status = 2;
    }
    if (status < 0 && a.report &&
        !cases_write(&rp->cs, a.report, "report", "riommu replay", false, "riommu replay"))
        status = 2;
    if (status < 0 && a.junit &&
        !cases_write(&rp->cs, a.junit, "JUnit file", "riommu replay", true, "riommu replay"))
        status = 2;
    if (rp->sf && !statsfile_close(rp->sf, &rp->cs, "riommu replay") && status < 0)
        status = 2;
    if (status < 0) {
        report_final_line(stdout, rp->mism, rp->waived, rp->skipped);
        status = rp->mism ? 1 : 0;
    }
    status = timing_cmp_finish(rp->tc, "replay", a.timing_csv, status);
    cases_free(&rp->cs);
    free(rp->rules);
    free(rp->slots);
    free(rp);
    fflush(stdout);
    return status;
}
