/*
 * run.c - the scenario executor (run.h). One `runner` per program run:
 * the world it builds, the driver objects by slot, the fault records and
 * events the driver reported and no expectation has consumed yet.
 *
 * Values reported in run_step_report.v[] by step kind:
 *   INIT      v0 ddt mode, v1 icvec, v2 CQ entries, v3 FQ entries
 *   DOMAIN    v0 PSCID, v1 VA bits, v2 page sizes bitmap
 *   MAP       v0 bytes mapped
 *   UNMAP     v0 bytes unmapped
 *   IOVA_TO_PHYS, MMIO_READ, MEM_READ, DC_READ: v0 the value
 *   PTE_READ  v0 PTE, v1 level (0 = 4 KiB level)
 *   PTE_WRITE v0 the PTE written, v1 its level
 *   PROCESS   v0 records drained
 *   CQ_REPAIR v0 the repaired cqh index
 *   STEP/SETTLE v0 model time after the step
 */
#include "run.h"
#include "timing_cmp.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_names.h"
#include "riommu/hw_model.h"
#include "riommu/memhost.h"
#include "riommu/model_backend.h"
#include "riommu/stats.h"
#include "riommu/qemu_backend.h"
#include "scn_config.h"
#include "world.h"

#define RING_CAP 4096u

typedef struct run_dev {
    riommu_drv_dev *h;
    int dom;        /* domain the driver believes it is attached to */
    bool attached;  /* dom is meaningful */
} run_dev;

typedef struct run_dom {
    riommu_drv_domain *h;
    riommu_drv_gather g; /* unmaps gathered by `unmap ... nosync` */
} run_dom;

/* Driver heap objects, tracked so a scenario may drop the driver at any
 * point (crash, shutdown with devices still bound) without leaking. */
typedef union heap_hdr {
    struct {
        union heap_hdr *prev, *next;
    } l;
    max_align_t align;
} heap_hdr;

typedef struct runner {
    const scn_program *p;
    const run_options *o;
    const run_sink *sink;
    memhost *mem;
    riommu *m;
    riommu_hwm *hwm;
    riommu_hw_trace *tr;
    riommu_hw_ops ops;
    riommu_drv_heap hwm_heap, heap;
    heap_hdr heap_list; /* sentinel */
    riommu_drv_config dcfg;
    riommu_drv *d;
    riommu_drv_stats drv_acc; /* drivers already gone */
    run_dev *devs;
    run_dom *doms;
    riommu_drv_fault *recs;
    size_t rhead, rcount;
    riommu_drv_event *evs;
    size_t ehead, ecount;
    const scn_step *cur;
    run_summary sum;
    bool stop;
    /* co-simulation (o->nbackends > 0): the engine owns the backends; m and
     * mem are the reference model's, not owned */
    riommu_cosim *cs;
    const riommu_backend_ops *ref;
    uint64_t cskipped;
    char cnote[256];
    /* the model backends' configuration: the program's, with QEMU's
     * parameters when a qemu backend runs it */
    riommu_config refcfg;
    uint64_t dma_base, dma_size; /* the driver's allocation window */
} runner;

/* ---- tracked heap -------------------------------------------------------- */

static void *th_zalloc(void *ctx, size_t n)
{
    runner *r = ctx;
    if (n > SIZE_MAX - sizeof(heap_hdr))
        return NULL;
    heap_hdr *h = calloc(1, sizeof *h + n);
    if (!h)
        return NULL;
    h->l.next = r->heap_list.l.next;
    h->l.prev = &r->heap_list;
    r->heap_list.l.next->l.prev = h;
    r->heap_list.l.next = h;
    return h + 1;
}

static void th_free(void *ctx, void *p)
{
    (void)ctx;
    if (!p)
        return;
    heap_hdr *h = (heap_hdr *)p - 1;
    h->l.prev->l.next = h->l.next;
    h->l.next->l.prev = h->l.prev;
    free(h);
}

static void *th_phys_to_virt(void *ctx, uint64_t pa)
{
    runner *r = ctx;
    return r->hwm_heap.phys_to_virt(r->hwm_heap.ctx, pa);
}

static void th_free_all(runner *r)
{
    while (r->heap_list.l.next != &r->heap_list)
        th_free(r, r->heap_list.l.next + 1);
}

/* ---- records, events, mismatches ----------------------------------------------- */

static void on_event(void *ctx, const riommu_drv_event *ev)
{
    runner *r = ctx;
    if (ev->kind == RIOMMU_DRV_EV_FAULT) {
        if (r->rcount == RING_CAP) { /* drop the oldest */
            r->rhead = (r->rhead + 1) % RING_CAP;
            r->rcount--;
        }
        r->recs[(r->rhead + r->rcount++) % RING_CAP] = ev->rec;
        if (r->sink->fault)
            r->sink->fault(r->sink->ctx, r->cur, &ev->rec);
        return;
    }
    if (r->ecount == RING_CAP) {
        r->ehead = (r->ehead + 1) % RING_CAP;
        r->ecount--;
    }
    r->evs[(r->ehead + r->ecount++) % RING_CAP] = *ev;
    if (r->sink->event)
        r->sink->event(r->sink->ctx, r->cur, ev);
}

static void mm_init(run_mismatch *mm, const scn_step *s, const char *what, run_vfmt fmt)
{
    memset(mm, 0, sizeof *mm);
    mm->step = s;
    mm->line = s->expect_line ? s->expect_line : s->line;
    snprintf(mm->what, sizeof mm->what, "%s", what);
    mm->fmt = fmt;
    mm->mask = ~0ull;
    mm->cmp = SCN_EQ;
}

static void report_mismatch(runner *r, const run_mismatch *mm)
{
    r->sum.mismatches++;
    if (r->cs) {
        char what[64];
        snprintf(what, sizeof what, "line %u: %.48s", mm->line,
                 mm->fatal ? "step could not run" : mm->what);
        riommu_cosim_expect_failed(r->cs, what, mm->expected, mm->got);
    }
    if (r->sink->mismatch)
        r->sink->mismatch(r->sink->ctx, r->p, mm);
    if (mm->fatal || r->o->stop_on_mismatch) {
        r->stop = true;
        r->sum.stopped = true;
    }
}

/* Count a check; report a mismatch when !ok. */
static bool check(runner *r, bool ok, const scn_step *s, const char *what, run_vfmt fmt,
                  uint64_t expected, uint64_t got, uint64_t mask)
{
    r->sum.checks++;
    if (ok)
        return true;
    run_mismatch mm;
    mm_init(&mm, s, what, fmt);
    mm.expected = expected;
    mm.got = got;
    mm.mask = mask;
    report_mismatch(r, &mm);
    return false;
}

static bool check_value_fmt(runner *r, const scn_step *s, const char *what,
                            const scn_check *c, uint64_t got, run_vfmt fmt)
{
    if (!c->on)
        return true;
    return check(r, (got & c->mask) == (c->value & c->mask), s, what, fmt, c->value, got,
                 c->mask);
}

static bool check_value(runner *r, const scn_step *s, const char *what, const scn_check *c,
                        uint64_t got)
{
    return check_value_fmt(r, s, what, c, got, RUN_FMT_HEX);
}

static bool check_err(runner *r, const scn_step *s, riommu_drv_err got)
{
    return check(r, got == s->want, s, "result", RUN_FMT_ERR, s->want, got, ~0ull);
}

#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
static void fatal(runner *r, const scn_step *s, const char *fmt, ...)
{
    run_mismatch mm;
    mm_init(&mm, s, "", RUN_FMT_HEX);
    mm.line = s->line;
    mm.fatal = true;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(mm.note, sizeof mm.note, fmt, ap);
    va_end(ap);
    r->sum.checks++;
    report_mismatch(r, &mm);
}

/* ---- world ---------------------------------------------------------------------------- */

static uint8_t *hwm_bytes(void *ctx, uint64_t pa, size_t len)
{
    return riommu_hwm_cpu(ctx, pa, len);
}

/* The bus 0 slots of the edu devices a qemu backend needs for `p`: 02 and
 * 03 (0x10, 0x18) always, then the slot of every other device ID the
 * program can issue DMA from (a probe's first ID, a raw `dma` ID) when bus
 * 0 can have it (run_qemu_device_id_ok). Returns the count. */
static unsigned qemu_edu_slots(const scn_program *p, uint8_t *slots)
{
    uint32_t want = (1u << 2) | (1u << 3);
    for (size_t i = 0; i < p->nsteps; i++) {
        const scn_step *st = &p->steps[i];
        uint32_t id;
        if (st->kind == SCN_PROBE && st->nids)
            id = st->ids[0];
        else if (st->kind == SCN_DMA && st->raw_id)
            id = st->id;
        else
            continue;
        if (run_qemu_device_id_ok(id))
            want |= 1u << (id >> 3);
    }
    unsigned n = 0;
    for (unsigned sl = 2; sl < 32 && n < RIOMMU_QEMU_MAX_EDU; sl++)
        if (want & (1u << sl))
            slots[n++] = (uint8_t)sl;
    return n;
}

/* Why `p` cannot run as a whole on QEMU's riscv-iommu-pci (fixed
 * parameters, DMA only from edu devices on bus 0, no wired interrupts):
 * writes the first reason into why and returns false; true when it can.
 * A program that cannot is run on the other backends and counted skipped
 * once, rather than letting a skipped step's consequences (a fault record
 * only the reference wrote) show up as differences later. */
static bool qemu_applicable(const scn_program *p, char *why, size_t len)
{
    if (p->nconfig) {
        snprintf(why, len, "it configures the model (%u config line(s)); QEMU's parameters "
                 "are fixed", p->nconfig);
        return false;
    }
    uint32_t devid[SCN_MAX_NAMES] = {0};
    for (size_t i = 0; i < p->nsteps; i++) {
        const scn_step *st = &p->steps[i];
        if (st->kind == SCN_PROBE && st->dev >= 0 && (unsigned)st->dev < SCN_MAX_NAMES &&
            st->nids) {
            devid[st->dev] = st->ids[0];
        } else if (st->kind == SCN_DRIVER_SET && st->u.set.which == SCN_SET_BUS &&
                   st->u.set.value == RIOMMU_DRV_BUS_PLATFORM) {
            snprintf(why, len, "line %u: wired interrupts (QEMU's riscv-iommu-pci is MSI only)",
                     st->line);
            return false;
        } else if (st->kind == SCN_DMA) {
            const scn_dma *d = &st->u.dma;
            uint32_t id = st->raw_id ? st->id
                          : (st->dev >= 0 && (unsigned)st->dev < SCN_MAX_NAMES) ? devid[st->dev]
                                                                               : 0;
            const char *what = NULL;
            if (!run_qemu_device_id_ok(id))
                what = "a device ID no edu on bus 0 can have";
            else if (d->pv)
                what = "a process_id";
            else if (d->priv)
                what = "supervisor privilege";
            else if (d->access == RIOMMU_EXEC)
                what = "an execute request";
            else if (d->len > 4096)
                what = "more than the edu's 4 KiB buffer";
            else if (d->has_pa && (d->pa < RUN_QEMU_RAM_BASE || d->pa >= RUN_QEMU_RAM_END ||
                                   d->len > RUN_QEMU_RAM_END - d->pa))
                what = "a physical address outside QEMU's guest RAM";
            if (what) {
                snprintf(why, len, "line %u: DMA with %s", st->line, what);
                return false;
            }
        }
    }
    return true;
}

/*
 * Can the rtl backend run program p? Its DUT starts from
 * riommu_rtl_model_config; the program's config lines are applied on top
 * (scn_config_apply) and the result must be a configuration the DUT's
 * straps can take (world_rtl_check). Cache geometry and timing always take
 * the DUT's (they are not straps, and change no architectural result a
 * program can expect without invalidating). On true, *cfg is that
 * configuration, for every model backend of the run.
 */
static bool rtl_applicable(const scn_program *p, unsigned mem_lat, riommu_config *cfg,
                           char *why, size_t len)
{
    riommu_config dut;
    riommu_config_default(&dut);
    if (!world_rtl_model_config(&dut, mem_lat)) {
        snprintf(why, len, "this riommu was built without Verilator");
        return false;
    }
    if (p->qemu_params) {
        snprintf(why, len, "'config qemu' gives QEMU's parameters, not riommu_rtl_top's");
        return false;
    }
    riommu_config want = dut;
    scn_error e;
    if (!scn_config_apply(p, &want, &e)) {
        snprintf(why, len, "line %u: on riommu_rtl_top's parameters: %.100s", e.line, e.msg);
        return false;
    }
    want.ddtc = dut.ddtc;
    want.pdtc = dut.pdtc;
    want.iotlb = dut.iotlb;
    want.walkc = dut.walkc;
    want.timing = dut.timing;
    if (!world_rtl_check(&want, why, len))
        return false;
    for (size_t i = 0; i < p->nsteps; i++) {
        const scn_step *st = &p->steps[i];
        if (st->kind == SCN_DMA && st->u.dma.pv) {
            snprintf(why, len, "line %u: DMA with a process_id (riommu_rtl_top has no PDT)",
                     st->line);
            return false;
        }
    }
    *cfg = want;
    return true;
}

static uint8_t *cosim_bytes(void *ctx, uint64_t pa, size_t len)
{
    return riommu_cosim_cpu(ctx, pa, len);
}

/* --trace FILE: open the program's section (its model configuration, the
 * world and the DMA window) and put the recording shim in front of `inner`. */
static bool trace_begin(runner *r, riommu_hw_ops *inner, char *err, size_t errlen)
{
    riommu_trace_writer *tw = r->o->trace;
    char cfg[SCN_CONFIG_MAX_LINES][SCN_CONFIG_LINE];
    const char *lines[SCN_CONFIG_MAX_LINES];
    char e[200];
    int n = scn_config_lines(&r->refcfg, cfg, e, sizeof e);
    if (n < 0) {
        snprintf(err, errlen, "cannot record a trace: %s", e);
        return false;
    }
    for (int i = 0; i < n; i++)
        lines[i] = cfg[i];
    char world[RUN_MAX_BACKENDS * 65] = "";
    riommu_trace_cpu cpu;
    if (r->cs) {
        world_names(r->cs, world, sizeof world);
        cpu.ctx = r->cs;
        cpu.bytes = cosim_bytes;
    } else {
        cpu.ctx = r->hwm;
        cpu.bytes = hwm_bytes;
    }
    riommu_trace_begin(tw, r->p->file, r->cs ? world : NULL, r->dma_base, r->dma_size, lines,
                       (size_t)n);
    *inner = riommu_trace_wrap(tw, inner, &cpu);
    return true;
}

/* The driver's shim over `inner`: recorded with --trace FILE, MSI-X
 * programmed through it (platform setup, scenario line 0), then printed
 * with --ops. */
static bool finish_shim(runner *r, riommu_hw_ops inner, char *err, size_t errlen)
{
    if (r->o->trace && !trace_begin(r, &inner, err, errlen))
        return false;
    world_setup_msi(&inner, &r->refcfg);
    r->ops = inner;
    if (r->o->ops) {
        r->tr = riommu_hw_trace_create(&inner, &r->hwm_heap, true);
        if (!r->tr) {
            snprintf(err, errlen, "out of memory");
            return false;
        }
        r->ops = riommu_hw_trace_ops(r->tr);
    }
    return true;
}

static bool build_cosim(runner *r, char *err, size_t errlen)
{
    world_params wp;
    memset(&wp, 0, sizeof wp);
    wp.backends = r->o->backends;
    wp.nbackends = r->o->nbackends;
    /* With QEMU in the list the models take its implementation-defined
     * parameters (riommu_qemu_model_config) when the program can run on
     * it; a program that cannot leaves QEMU out. */
    bool qemu = world_has_qemu(r->o->backends, r->o->nbackends);
    char why[160];
    uint8_t slots[RIOMMU_QEMU_MAX_EDU];
    r->refcfg = r->p->model;
    if (qemu && qemu_applicable(r->p, why, sizeof why))
        riommu_qemu_model_config(&r->refcfg);
    else if (qemu)
        wp.qemu_not_run = why;
    /* Likewise the rtl backend's DUT (riommu_rtl_model_config). */
    if (world_has_rtl(r->o->backends, r->o->nbackends)) {
        riommu_config rc;
        if (rtl_applicable(r->p, world_rtl_mem_lat(r->o->backends, r->o->nbackends), &rc, why,
                           sizeof why))
            r->refcfg = rc;
        else
            wp.rtl_not_run = why;
    }
    if (r->o->tune)
        r->o->tune(r->o->tune_ctx, &r->refcfg);
    wp.model = &r->refcfg;
    if (qemu && !wp.qemu_not_run) {
        wp.n_edu = qemu_edu_slots(r->p, slots);
        wp.edu_slots = slots;
    }
    /* `config qemu` gives every run of the scenario the same window */
    world_default_window((qemu && !wp.qemu_not_run) || r->p->qemu_params, &wp.dma_base,
                         &wp.dma_size);
    r->dma_base = wp.dma_base;
    r->dma_size = wp.dma_size;
    wp.stop_at_first = r->o->stop_on_mismatch;
    wp.waivers = r->o->waivers;
    wp.nwaivers = r->o->nwaivers;
    wp.scenario = r->p->file;
    wp.wave = r->o->wave;
    wp.rtl_mutant = r->o->rtl_mutant;
    r->cs = world_create(&wp, &r->cskipped, r->cnote, sizeof r->cnote, err, errlen);
    if (!r->cs)
        return false;
    if (r->o->tcmp) {
        timing_cmp_program(r->o->tcmp, r->p->file);
        timing_cmp_attach(r->o->tcmp, r->cs);
    }
    r->ref = riommu_cosim_backend(r->cs, 0);
    r->m = riommu_model_backend_model(r->ref);
    r->mem = riommu_model_backend_memhost(r->ref);
    if (!r->m || !r->mem) {
        snprintf(err, errlen, "the first backend (the reference) must be a model");
        return false;
    }
    r->hwm_heap = riommu_cosim_heap(r->cs);
    return finish_shim(r, riommu_cosim_hw_ops(r->cs), err, errlen);
}

static bool build(runner *r, char *err, size_t errlen)
{
    r->heap_list.l.next = r->heap_list.l.prev = &r->heap_list;
    r->recs = calloc(RING_CAP, sizeof *r->recs);
    r->evs = calloc(RING_CAP, sizeof *r->evs);
    r->devs = calloc(r->p->ndevs ? r->p->ndevs : 1, sizeof *r->devs);
    r->doms = calloc(r->p->ndoms ? r->p->ndoms : 1, sizeof *r->doms);
    if (!r->recs || !r->evs || !r->devs || !r->doms) {
        snprintf(err, errlen, "out of memory");
        return false;
    }
    r->heap.ctx = r;
    r->heap.zalloc = th_zalloc;
    r->heap.free = th_free;
    r->heap.phys_to_virt = th_phys_to_virt;
    riommu_drv_config_default(&r->dcfg);
    r->dcfg.event = on_event;
    r->dcfg.event_ctx = r;
    if (r->o->nbackends)
        return build_cosim(r, err, errlen);
    r->mem = memhost_create(0);
    if (!r->mem) {
        snprintf(err, errlen, "out of memory");
        return false;
    }
    riommu_host_ops host = memhost_ops(r->mem);
    r->refcfg = r->p->model;
    r->m = riommu_create(&r->refcfg, &host, err, errlen);
    if (!r->m)
        return false;
    riommu_hwm_config hc;
    riommu_hwm_config_default(&hc);
    if (r->p->qemu_params) /* the driver's memory where a model,qemu run puts it */
        hc.dma_base = RUN_QEMU_DMA_BASE;
    r->dma_base = hc.dma_base;
    r->dma_size = hc.dma_size;
    r->hwm = riommu_hwm_create(r->m, r->mem, &hc);
    if (!r->hwm) {
        snprintf(err, errlen, "out of memory");
        return false;
    }
    r->hwm_heap = riommu_hwm_heap(r->hwm);
    return finish_shim(r, riommu_hwm_ops(r->hwm), err, errlen);
}

static void add_drv_stats(riommu_drv_stats *acc, const riommu_drv_stats *s)
{
    acc->commands += s->commands;
    for (unsigned i = 0; i < 8; i++)
        acc->cmd_by_op[i] += s->cmd_by_op[i];
    acc->fences += s->fences;
    acc->faults_drained += s->faults_drained;
    acc->irqs_handled += s->irqs_handled;
    acc->pages_mapped += s->pages_mapped;
    acc->pages_unmapped += s->pages_unmapped;
}

static void drv_stats_now(const runner *r, riommu_drv_stats *out)
{
    *out = r->drv_acc;
    if (r->d) {
        riommu_drv_stats s;
        riommu_drv_get_stats(r->d, &s);
        add_drv_stats(out, &s);
    }
}

/* The driver is gone (removed, shut down or crashed): forget its objects
 * and free what it left on the heap. */
static void driver_gone(runner *r)
{
    memset(r->devs, 0, (r->p->ndevs ? r->p->ndevs : 1) * sizeof *r->devs);
    memset(r->doms, 0, (r->p->ndoms ? r->p->ndoms : 1) * sizeof *r->doms);
    r->d = NULL;
    th_free_all(r);
}

static void teardown(runner *r)
{
    if (r->d) {
        riommu_drv_stats s;
        riommu_drv_get_stats(r->d, &s);
        add_drv_stats(&r->drv_acc, &s);
    }
    driver_gone(r);
    riommu_hw_trace_destroy(r->tr);
    if (r->cs) {
        riommu_cosim_destroy(r->cs); /* the backends with it */
    } else if (!r->o->nbackends) {
        riommu_hwm_destroy(r->hwm);
        riommu_destroy(r->m);
        memhost_destroy(r->mem);
    }
    free(r->recs);
    free(r->evs);
    free(r->devs);
    free(r->doms);
}

/* ---- operands ----------------------------------------------------------------------------- */

static bool need_drv(runner *r, const scn_step *s)
{
    if (r->d)
        return true;
    fatal(r, s, "the driver is not running (init failed)");
    return false;
}

static riommu_drv_dev *get_dev(runner *r, const scn_step *s)
{
    if (!need_drv(r, s))
        return NULL;
    riommu_drv_dev *h = r->devs[s->dev].h;
    if (!h)
        fatal(r, s, "device '%s' was not probed successfully", r->p->dev_names[s->dev]);
    return h;
}

static riommu_drv_domain *get_dom(runner *r, const scn_step *s, int slot)
{
    if (!need_drv(r, s))
        return NULL;
    if (slot == SCN_DOM_IDENTITY)
        return riommu_drv_identity(r->d);
    if (slot == SCN_DOM_BLOCKED)
        return riommu_drv_blocked(r->d);
    riommu_drv_domain *h = r->doms[slot].h;
    if (!h)
        fatal(r, s, "domain '%s' was not allocated successfully", r->p->dom_names[slot]);
    return h;
}

/* Device ID a DMA/dc/pte step targets: a raw ID, or the first ID of the
 * named device (resolved by the parser; a DMA needs no driver). */
static bool target_id(runner *r, const scn_step *s, uint32_t *id)
{
    (void)r;
    *id = s->id;
    return true;
}

/* ---- backdoor walks of the model's memory ------------------------------------------------ */

/* The reference's memory: the embedded model's, or the reference
 * backend's through its mem_read op. */
static void ref_read(runner *r, uint64_t pa, void *buf, size_t len)
{
    if (r->ref) {
        if (r->ref->mem_read(r->ref->ctx, pa, buf, len) != 0)
            memset(buf, 0, len);
    } else {
        memhost_read(r->mem, pa, buf, len);
    }
}

static uint64_t ref_r64(runner *r, uint64_t pa)
{
    uint8_t b[8];
    ref_read(r, pa, b, 8);
    uint64_t v = 0;
    for (unsigned i = 0; i < 8; i++)
        v |= (uint64_t)b[i] << (8 * i);
    return v;
}

/* Physical address of device `id`'s context in the model's memory, as the
 * IOMMU would find it (ds "Process to locate the Device-context"). */
static bool dc_address(runner *r, uint32_t id, uint64_t *pa, bool *ext)
{
    uint64_t ddtp = riommu_peek_reg(r->m, RIOMMU_REG_DDTP);
    uint64_t caps = riommu_peek_reg(r->m, RIOMMU_REG_CAPABILITIES);
    unsigned mode = (unsigned)(ddtp & RIOMMU_DDTP_MODE);
    if (mode < RIOMMU_DDTP_MODE_1LVL || mode > RIOMMU_DDTP_MODE_3LVL)
        return false;
    *ext = caps & RIOMMU_CAP_MSI_FLAT;
    unsigned ddi[3];
    ddi[0] = *ext ? (id & 0x3F) : (id & 0x7F);
    ddi[1] = *ext ? ((id >> 6) & 0x1FF) : ((id >> 7) & 0x1FF);
    ddi[2] = *ext ? ((id >> 15) & 0x1FF) : ((id >> 16) & 0xFF);
    unsigned levels = mode - RIOMMU_DDTP_MODE_1LVL + 1;
    unsigned bits = levels == 1 ? (*ext ? 6 : 7) : levels == 2 ? (*ext ? 15 : 16) : 24;
    if (id >> bits)
        return false;
    uint64_t a = RIOMMU_FIELD_GET(ddtp, RIOMMU_DDTP_PPN) << 12;
    for (int i = (int)levels - 1; i > 0; i--) {
        uint64_t e = ref_r64(r, a + ddi[i] * 8ull);
        if (!(e & RIOMMU_DDTE_V))
            return false;
        a = RIOMMU_FIELD_GET(e, RIOMMU_DDTE_PPN) << 12;
    }
    *pa = a + ddi[0] * (*ext ? 64ull : 32ull);
    return true;
}

/* The first-stage leaf (or the invalid entry that ends the walk) for iova
 * under device id's context; *pte_pa (may be NULL) gets its address. */
static bool pte_lookup(runner *r, uint32_t id, uint64_t iova, uint64_t *pte, unsigned *level,
                       uint64_t *pte_pa)
{
    uint64_t pa;
    bool ext;
    if (!dc_address(r, id, &pa, &ext))
        return false;
    uint64_t tc = ref_r64(r, pa), fsc = ref_r64(r, pa + 24);
    if (tc & RIOMMU_DC_TC_PDTV)
        return false;
    unsigned mode = (unsigned)RIOMMU_FIELD_GET(fsc, RIOMMU_FSC_MODE);
    if (mode < RIOMMU_IOSATP_MODE_SV39 || mode > RIOMMU_IOSATP_MODE_SV57)
        return false;
    unsigned levels = mode - 5;
    uint64_t a = (fsc & RIOMMU_FSC_PPN) << 12;
    for (int i = (int)levels - 1; i >= 0; i--) {
        uint64_t ea = a + ((iova >> (12 + 9 * i)) & 0x1FF) * 8;
        uint64_t e = ref_r64(r, ea);
        *pte = e;
        *level = (unsigned)i;
        if (pte_pa)
            *pte_pa = ea;
        if (!(e & RIOMMU_PTE_V) || (e & (RIOMMU_PTE_R | RIOMMU_PTE_X)))
            return true;
        a = RIOMMU_FIELD_GET(e, RIOMMU_PTE_PPN) << 12;
    }
    return true;
}

/* ---- steps ------------------------------------------------------------------------------------ */

static void apply_setting(runner *r, const scn_set *set)
{
    riommu_drv_config *c = &r->dcfg;
    switch (set->which) {
    case SCN_SET_PROFILE:
        if (set->value)
            riommu_drv_policy_linux613(&c->policy);
        else
            riommu_drv_policy_mainline(&c->policy);
        break;
    case SCN_SET_BUS: c->bus = (riommu_drv_bus)set->value; break;
    case SCN_SET_IRQS: c->irqs = set->value; break;
    case SCN_SET_KDUMP: c->kdump = set->value != 0; break;
    case SCN_SET_CQ_LOG2SZ: c->cq_log2sz = set->value; break;
    case SCN_SET_FQ_LOG2SZ: c->fq_log2sz = set->value; break;
    case SCN_SET_POLICY: {
        bool b = set->value != 0;
        memcpy((char *)&c->policy + set->policy_off, &b, sizeof b);
        break;
    }
    }
}

static uint32_t queue_entries(const riommu *m, uint32_t off)
{
    uint64_t qb = riommu_peek_reg(m, off);
    return (uint32_t)(2ull << (qb & RIOMMU_QB_LOG2SZ));
}

static void do_dma(runner *r, const scn_step *s, run_step_report *rep)
{
    const scn_dma *d = &s->u.dma;
    uint32_t id;
    if (!target_id(r, s, &id))
        return;
    uint8_t *buf = calloc(1, d->len);
    if (!buf) {
        fatal(r, s, "out of memory");
        return;
    }
    if (d->access == RIOMMU_WRITE) {
        for (uint32_t i = 0; i < d->len; i++)
            buf[i] = d->wdata ? d->wdata[i % d->wlen] : 0xA5;
    }
    riommu_request req;
    memset(&req, 0, sizeof req);
    req.device_id = id;
    req.process_id = d->pid;
    req.pv = d->pv;
    req.priv = d->priv;
    req.kind = RIOMMU_REQ_UNTRANSLATED;
    req.access = d->access;
    req.iova = d->iova;
    req.len = d->len;
    if (r->cs)
        r->cskipped += riommu_cosim_dma(r->cs, &req, buf, &rep->rsp);
    else
        riommu_dma(r->m, &req, buf, &rep->rsp);
    if (r->o->trace)
        riommu_trace_dma(r->o->trace, &req, buf, &rep->rsp);
    const riommu_response *rsp = &rep->rsp;
    rep->data = buf;
    rep->len = d->access == RIOMMU_WRITE ? 0 : d->len;
    if (r->sink->step)
        r->sink->step(r->sink->ctx, r->p, rep);
    uint64_t got = ((uint64_t)rsp->status << 16) | (rsp->status == RIOMMU_RSP_FAULT ? rsp->cause : 0);
    if (d->want_fault && d->cause == 0xFFFF) {
        check(r, rsp->status == RIOMMU_RSP_BAD_REQUEST, s, "dma", RUN_FMT_DMA,
              (uint64_t)RIOMMU_RSP_BAD_REQUEST << 16, got, ~0ull);
    } else if (d->want_fault) {
        uint64_t want = ((uint64_t)RIOMMU_RSP_FAULT << 16) | d->cause;
        if (check(r, got == want, s, "dma", RUN_FMT_DMA, want, got, ~0ull) && d->recorded >= 0)
            check(r, rsp->recorded == (d->recorded == 1), s, "fault recorded", RUN_FMT_BOOL,
                  (uint64_t)d->recorded, rsp->recorded, ~0ull);
    } else if (check(r, rsp->status == RIOMMU_RSP_OK, s, "dma", RUN_FMT_DMA, 0, got, ~0ull)) {
        if (d->has_pa)
            check(r, rsp->pa == d->pa, s, "pa", RUN_FMT_HEX, d->pa, rsp->pa, ~0ull);
        if (d->has_range)
            check(r, rsp->range_size == d->range, s, "translation range", RUN_FMT_HEX, d->range,
                  rsp->range_size, ~0ull);
        if (d->iotlb >= 0)
            check(r, rsp->iotlb_hit == (d->iotlb == 1), s, "IOTLB", RUN_FMT_HIT,
                  (uint64_t)d->iotlb, rsp->iotlb_hit, ~0ull);
        if (d->rdata) {
            uint32_t i;
            for (i = 0; i < d->len; i++)
                if (buf[i] != d->rdata[i % d->rlen])
                    break;
            char what[64];
            snprintf(what, sizeof what, "data byte at +0x%x", i < d->len ? i : 0);
            check(r, i == d->len, s, what, RUN_FMT_HEX,
                  i < d->len ? d->rdata[i % d->rlen] : 0, i < d->len ? buf[i] : 0, ~0ull);
        }
    }
    free(buf);
}

static void expect_record(runner *r, const scn_step *s)
{
    const scn_rec *w = &s->u.rec;
    if (!r->rcount) {
        run_mismatch mm;
        mm_init(&mm, s, "fault record", RUN_FMT_CAUSE);
        mm.expected = w->cause;
        mm.got_none = true;
        r->sum.checks++;
        report_mismatch(r, &mm);
        return;
    }
    riommu_drv_fault g = r->recs[r->rhead];
    r->rhead = (r->rhead + 1) % RING_CAP;
    r->rcount--;
    r->sum.checks++;
    struct {
        unsigned bit;
        const char *what;
        run_vfmt fmt;
        uint64_t want, got;
    } f[] = {
        {SCN_REC_CAUSE, "fault-record cause", RUN_FMT_CAUSE, w->cause, g.cause},
        {SCN_REC_TTYP, "fault-record ttyp", RUN_FMT_TTYP, w->ttyp, g.ttyp},
        {SCN_REC_DID, "fault-record device", RUN_FMT_HEX, w->did, g.did},
        {SCN_REC_PV, "fault-record pv", RUN_FMT_BOOL, w->pv, g.pv},
        {SCN_REC_PID, "fault-record pid", RUN_FMT_HEX, w->pid, g.pid},
        {SCN_REC_PRIV, "fault-record priv", RUN_FMT_BOOL, w->priv, g.priv},
        {SCN_REC_IOTVAL, "fault-record iova", RUN_FMT_HEX, w->iotval, g.iotval},
        {SCN_REC_IOTVAL2, "fault-record iotval2", RUN_FMT_HEX, w->iotval2, g.iotval2},
    };
    for (size_t i = 0; i < sizeof f / sizeof f[0]; i++)
        if ((w->fields & f[i].bit) && f[i].want != f[i].got) {
            run_mismatch mm;
            mm_init(&mm, s, f[i].what, f[i].fmt);
            mm.expected = f[i].want;
            mm.got = f[i].got;
            report_mismatch(r, &mm);
            return;
        }
}

static void expect_event(runner *r, const scn_step *s)
{
    const scn_ev *w = &s->u.ev;
    if (!r->ecount) {
        run_mismatch mm;
        mm_init(&mm, s, "event", RUN_FMT_EVENT);
        mm.expected = w->kind;
        mm.got_none = true;
        r->sum.checks++;
        report_mismatch(r, &mm);
        return;
    }
    riommu_drv_event g = r->evs[r->ehead];
    r->ehead = (r->ehead + 1) % RING_CAP;
    r->ecount--;
    if (check(r, g.kind == w->kind, s, "event", RUN_FMT_EVENT, w->kind, g.kind, ~0ull))
        check_value(r, s, "event value", &w->check, g.a);
}

static uint64_t stat_value(runner *r, const scn_stat *st)
{
    riommu_stats ms;
    riommu_get_stats(r->m, &ms);
    riommu_drv_stats ds;
    drv_stats_now(r, &ds);
    uint64_t v = 0;
    switch (st->src) {
    case SCN_STAT_MODEL:
        memcpy(&v, (const char *)&ms + st->off, sizeof v);
        break;
    case SCN_STAT_CACHE: {
        const riommu_cache_stats *c[] = {&ms.ddtc, &ms.pdtc, &ms.iotlb, &ms.walkc};
        memcpy(&v, (const char *)c[st->a & 3] + st->off, sizeof v);
        break;
    }
    case SCN_STAT_FAULTS: v = ms.faults_by_cause[st->a % RIOMMU_STAT_CAUSES]; break;
    case SCN_STAT_CMD: v = ms.commands[st->a & 7][st->b & 7]; break;
    case SCN_STAT_DRV: memcpy(&v, (const char *)&ds + st->off, sizeof v); break;
    case SCN_STAT_DRV_CMD: v = ds.cmd_by_op[st->a & 7]; break;
    case SCN_STAT_MSIS: v = memhost_msi_count(r->mem); break;
    case SCN_STAT_WIRES: v = memhost_wires(r->mem); break;
    case SCN_STAT_TABLE: {
        riommu_stat_table t;
        memset(&t, 0, sizeof t);
        if (riommu_stats_table_build(&t, &ms, riommu_now(r->m))) {
            const riommu_stat_row *row = riommu_stats_table_find(&t, st->name);
            v = row ? row->count : 0; /* the parser checked the name */
        }
        riommu_stats_table_free(&t);
        break;
    }
    }
    return v;
}

static bool compare(scn_cmp c, uint64_t got, uint64_t want)
{
    switch (c) {
    case SCN_EQ: return got == want;
    case SCN_NE: return got != want;
    case SCN_LT: return got < want;
    case SCN_LE: return got <= want;
    case SCN_GT: return got > want;
    case SCN_GE: return got >= want;
    }
    return false;
}

static void mem_read(runner *r, uint64_t pa, unsigned width, uint64_t *v)
{
    uint8_t b[8] = {0};
    ref_read(r, pa, b, width);
    *v = 0;
    for (unsigned i = 0; i < width; i++)
        *v |= (uint64_t)b[i] << (8 * i);
}

static void mem_write(runner *r, uint64_t pa, unsigned width, uint64_t v)
{
    uint8_t b[8];
    for (unsigned i = 0; i < width; i++)
        b[i] = (uint8_t)(v >> (8 * i));
    if (r->o->trace)
        riommu_trace_mem_write(r->o->trace, pa, b, width);
    if (r->cs) /* the CPU writes memory: every backend's image */
        world_mem_write(r->cs, pa, b, width);
    else
        memhost_write(r->mem, pa, b, width);
}

/* Overwrite the command at cqh with a no-op IOFENCE.C in the driver's ring
 * and publish it (the fix proposed for linux §4 item 11). */
static void cq_repair(runner *r, const scn_step *s, run_step_report *rep)
{
    uint32_t cqh = r->ops.read32(r->ops.ctx, RIOMMU_REG_CQH);
    uint64_t cqb = r->ops.read64(r->ops.ctx, RIOMMU_REG_CQB);
    uint32_t mask = (uint32_t)((2ull << (cqb & RIOMMU_QB_LOG2SZ)) - 1);
    uint64_t pa = (RIOMMU_FIELD_GET(cqb, RIOMMU_QB_PPN) << 12) + (uint64_t)(cqh & mask) * 16u;
    uint64_t *slot = r->hwm_heap.phys_to_virt(r->hwm_heap.ctx, pa);
    if (!slot) {
        fatal(r, s, "no driver command ring at 0x%llx", (unsigned long long)pa);
        return;
    }
    uint64_t nop[2] = {RIOMMU_CMD_OP_IOFENCE, 0};
    memcpy(slot, nop, sizeof nop);
    r->ops.sync_to_device(r->ops.ctx, pa, 16);
    rep->v[0] = cqh;
}

/* Edit the leaf PTE of s->a under the target's context the way another
 * kernel path would: the live entry (with any A/D bits the IOMMU set) with
 * the bits under mask s->c replaced by s->b, stored in the driver's copy of
 * the table and published. No invalidation follows. */
static void pte_write(runner *r, const scn_step *s, run_step_report *rep)
{
    uint64_t pte = 0, pa = 0;
    unsigned level = 0;
    if (!pte_lookup(r, s->id, s->a, &pte, &level, &pa) || !(pte & RIOMMU_PTE_V) ||
        !(pte & (RIOMMU_PTE_R | RIOMMU_PTE_X))) {
        fatal(r, s, "no leaf PTE for IOVA 0x%llx under device 0x%x", (unsigned long long)s->a,
              (unsigned)s->id);
        return;
    }
    uint64_t *cpu = r->hwm_heap.phys_to_virt(r->hwm_heap.ctx, pa);
    if (!cpu) {
        fatal(r, s, "the PTE at 0x%llx is not in the driver's memory", (unsigned long long)pa);
        return;
    }
    uint64_t v = (pte & ~s->c) | (s->b & s->c);
    memcpy(cpu, &v, sizeof v);
    r->ops.sync_to_device(r->ops.ctx, pa, 8);
    rep->v[0] = v;
    rep->v[1] = level;
}

static void do_step(runner *r, const scn_step *s, uint32_t iter)
{
    run_step_report rep;
    memset(&rep, 0, sizeof rep);
    rep.step = s;
    rep.iteration = iter;
    r->cur = s;
    switch (s->kind) {
    case SCN_DRIVER_SET:
        apply_setting(r, &s->u.set);
        break;
    case SCN_INIT:
        if (r->d) {
            fatal(r, s, "the driver is already running");
            return;
        }
        if (r->cs) /* the engine offers no interrupts */
            r->dcfg.policy.polling = true;
        rep.err = riommu_drv_init(&r->ops, &r->heap, &r->dcfg, &r->d);
        if (r->d) {
            rep.v[0] = riommu_drv_ddt_mode(r->d);
            rep.v[1] = riommu_drv_icvec(r->d);
            rep.v[2] = queue_entries(r->m, RIOMMU_REG_CQB);
            rep.v[3] = queue_entries(r->m, RIOMMU_REG_FQB);
            if (r->cs || r->o->trace) { /* memory records in the fault queue name the field */
                uint64_t fqb = riommu_peek_reg(r->m, RIOMMU_REG_FQB);
                uint64_t pa = RIOMMU_FIELD_GET(fqb, RIOMMU_QB_PPN) << 12;
                if (r->cs)
                    riommu_cosim_label(r->cs, pa, 32ull * rep.v[3], 32, "fault-record");
                if (r->o->trace)
                    riommu_trace_label(r->o->trace, pa, 32ull * rep.v[3], 32, "fault-record");
            }
        }
        break;
    case SCN_PROBE: {
        if (!need_drv(r, s))
            return;
        run_dev *dv = &r->devs[s->dev];
        rep.err = riommu_drv_probe(r->d, s->ids, s->nids, &dv->h);
        dv->attached = false;
        break;
    }
    case SCN_DOMAIN:
        if (!need_drv(r, s))
            return;
        rep.err = riommu_drv_domain_alloc(r->d, &r->doms[s->dom].h);
        if (r->doms[s->dom].h) {
            riommu_drv_gather_init(&r->doms[s->dom].g);
            rep.v[0] = riommu_drv_domain_pscid(r->doms[s->dom].h);
            rep.v[1] = riommu_drv_domain_va_bits(r->doms[s->dom].h);
            rep.v[2] = riommu_drv_domain_pgsizes(r->doms[s->dom].h);
        }
        break;
    case SCN_ATTACH:
    case SCN_DETACH: {
        riommu_drv_dev *dev = get_dev(r, s);
        int slot = s->kind == SCN_DETACH ? SCN_DOM_BLOCKED : s->dom;
        riommu_drv_domain *dom = dev ? get_dom(r, s, slot) : NULL;
        if (!dom)
            return;
        rep.err = riommu_drv_attach(dev, dom);
        /* The driver records the new domain even when the update failed. */
        r->devs[s->dev].dom = slot;
        r->devs[s->dev].attached = true;
        break;
    }
    case SCN_RELEASE: {
        riommu_drv_dev *dev = get_dev(r, s);
        if (!dev)
            return;
        riommu_drv_release(dev);
        memset(&r->devs[s->dev], 0, sizeof r->devs[s->dev]);
        break;
    }
    case SCN_FREE: {
        riommu_drv_domain *dom = get_dom(r, s, s->dom);
        if (!dom)
            return;
        for (unsigned i = 0; i < r->p->ndevs; i++)
            if (r->devs[i].h && r->devs[i].attached && r->devs[i].dom == s->dom) {
                fatal(r, s, "domain '%s' is still attached to device '%s' (attach it elsewhere "
                            "or release the device first)",
                      r->p->dom_names[s->dom], r->p->dev_names[i]);
                return;
            }
        riommu_drv_domain_free(dom);
        r->doms[s->dom].h = NULL;
        break;
    }
    case SCN_MAP: {
        riommu_drv_domain *dom = get_dom(r, s, s->dom);
        if (!dom)
            return;
        rep.err = riommu_drv_map(dom, s->a, s->b, s->c, s->prot, &rep.v[0]);
        break;
    }
    case SCN_UNMAP: {
        riommu_drv_domain *dom = get_dom(r, s, s->dom);
        if (!dom)
            return;
        if (s->nosync)
            rep.v[0] = riommu_drv_unmap(dom, s->a, s->c, &r->doms[s->dom].g);
        else
            rep.v[0] = riommu_drv_unmap_sync(dom, s->a, s->c);
        break;
    }
    case SCN_SYNC:
    case SCN_FLUSH: {
        riommu_drv_domain *dom = get_dom(r, s, s->dom);
        if (!dom)
            return;
        if (s->kind == SCN_SYNC)
            riommu_drv_iotlb_sync(dom, &r->doms[s->dom].g);
        else
            riommu_drv_flush_all(dom);
        break;
    }
    case SCN_IOVA_TO_PHYS: {
        riommu_drv_domain *dom = get_dom(r, s, s->dom);
        if (!dom)
            return;
        rep.v[0] = riommu_drv_iova_to_phys(dom, s->a);
        break;
    }
    case SCN_REMOVE:
    case SCN_SHUTDOWN:
    case SCN_CRASH: {
        if (!need_drv(r, s))
            return;
        riommu_drv_stats st;
        riommu_drv_get_stats(r->d, &st);
        add_drv_stats(&r->drv_acc, &st);
        if (s->kind == SCN_REMOVE)
            riommu_drv_remove(r->d);
        else if (s->kind == SCN_SHUTDOWN)
            riommu_drv_shutdown(r->d);
        r->d = NULL;
        driver_gone(r);
        break;
    }
    case SCN_PROCESS:
        if (!need_drv(r, s))
            return;
        rep.v[0] = riommu_drv_process(r->d);
        break;
    case SCN_CMD:
        if (!need_drv(r, s))
            return;
        riommu_drv_cmd_submit(r->d, s->a, s->b);
        break;
    case SCN_CMD_SYNC:
        if (!need_drv(r, s))
            return;
        rep.err = riommu_drv_cmd_sync(r->d, s->c);
        break;
    case SCN_CQ_REPAIR:
        if (!need_drv(r, s))
            return;
        cq_repair(r, s, &rep);
        if (r->stop)
            return;
        break;
    case SCN_MMIO_WRITE:
        if (s->width == 8)
            r->ops.write64(r->ops.ctx, s->off, s->a);
        else
            r->ops.write32(r->ops.ctx, s->off, (uint32_t)s->a);
        break;
    case SCN_MMIO_READ:
        rep.v[0] = s->width == 8 ? r->ops.read64(r->ops.ctx, s->off)
                                 : r->ops.read32(r->ops.ctx, s->off);
        break;
    case SCN_MEM_WRITE:
        mem_write(r, s->a, s->width, s->b);
        break;
    case SCN_MEM_READ:
        mem_read(r, s->a, s->width, &rep.v[0]);
        break;
    case SCN_DC_READ: {
        uint32_t id;
        uint64_t pa;
        bool ext;
        if (!target_id(r, s, &id))
            return;
        if (!dc_address(r, id, &pa, &ext) || (s->field > SCN_DC_FSC && !ext))
            rep.none = true;
        else
            rep.v[0] = ref_r64(r, pa + 8ull * s->field);
        break;
    }
    case SCN_PTE_READ: {
        uint32_t id;
        unsigned level = 0;
        if (!target_id(r, s, &id))
            return;
        rep.none = !pte_lookup(r, id, s->a, &rep.v[0], &level, NULL);
        rep.v[1] = level;
        break;
    }
    case SCN_PTE_WRITE:
        pte_write(r, s, &rep);
        if (r->stop)
            return;
        break;
    case SCN_DMA:
        do_dma(r, s, &rep);
        return; /* reported and checked there */
    case SCN_EXPECT_RECORD:
        expect_record(r, s);
        break;
    case SCN_EXPECT_EVENT:
        expect_event(r, s);
        break;
    case SCN_EXPECT_NO_EVENTS:
        check(r, r->rcount + r->ecount == 0, s, "pending fault records and events", RUN_FMT_DEC,
              0, r->rcount + r->ecount, ~0ull);
        break;
    case SCN_EXPECT_STAT: {
        uint64_t v = stat_value(r, &s->u.stat);
        r->sum.checks++;
        if (!compare(s->u.stat.cmp, v, s->u.stat.value)) {
            run_mismatch mm;
            char what[64];
            snprintf(what, sizeof what, "stat %s", s->u.stat.name);
            mm_init(&mm, s, what, RUN_FMT_DEC);
            mm.cmp = s->u.stat.cmp;
            mm.expected = s->u.stat.value;
            mm.got = v;
            report_mismatch(r, &mm);
        }
        rep.v[0] = v;
        break;
    }
    case SCN_STEP:
        if (r->cs)
            world_step(r->cs, s->a);
        else
            riommu_step(r->m, s->a);
        if (r->o->trace)
            riommu_trace_step(r->o->trace, s->a);
        rep.v[0] = riommu_now(r->m);
        break;
    case SCN_SETTLE:
        if (r->cs)
            riommu_cosim_settle(r->cs);
        else
            riommu_settle(r->m);
        if (r->o->trace)
            riommu_trace_settle(r->o->trace);
        rep.v[0] = riommu_now(r->m);
        break;
    case SCN_ECHO:
        break;
    }
    if (r->sink->step)
        r->sink->step(r->sink->ctx, r->p, &rep);

    /* Checks that follow the report. */
    switch (s->kind) {
    case SCN_INIT: case SCN_PROBE: case SCN_DOMAIN: case SCN_ATTACH: case SCN_DETACH:
    case SCN_CMD_SYNC:
        check_err(r, s, rep.err);
        break;
    case SCN_MAP:
        if (check_err(r, s, rep.err) && rep.err == RIOMMU_DRV_OK)
            check(r, rep.v[0] == s->c, s, "bytes mapped", RUN_FMT_HEX, s->c, rep.v[0], ~0ull);
        break;
    case SCN_UNMAP:
        check_value(r, s, "bytes unmapped", &s->check, rep.v[0]);
        break;
    case SCN_IOVA_TO_PHYS:
        check_value(r, s, "physical address", &s->check, rep.v[0]);
        break;
    case SCN_PROCESS:
        check_value_fmt(r, s, "fault records drained", &s->check, rep.v[0], RUN_FMT_DEC);
        break;
    case SCN_MMIO_READ: {
        const char *n = riommu_reg_name(s->off);
        char what[64];
        if (n && s->width == 4 && (s->off & 4) && riommu_reg_name(s->off - 4) &&
            !strcmp(riommu_reg_name(s->off - 4), n))
            snprintf(what, sizeof what, "%s[63:32]", n);
        else
            snprintf(what, sizeof what, "%s", n ? n : "register");
        check_value(r, s, what, &s->check, rep.v[0]);
        break;
    }
    case SCN_MEM_READ:
        check_value(r, s, "memory", &s->check, rep.v[0]);
        break;
    case SCN_DC_READ:
    case SCN_PTE_READ:
        if (s->check.on && rep.none) {
            run_mismatch mm;
            mm_init(&mm, s, s->kind == SCN_DC_READ ? "device-context word" : "PTE", RUN_FMT_HEX);
            mm.expected = s->check.value;
            mm.mask = s->check.mask;
            mm.got_none = true;
            r->sum.checks++;
            report_mismatch(r, &mm);
        } else {
            check_value(r, s, s->kind == SCN_DC_READ ? "device-context word" : "PTE", &s->check,
                        rep.v[0]);
        }
        break;
    default:
        break;
    }
}

bool run_program(const scn_program *p, const run_options *o, const run_sink *sink,
                 run_summary *out, char *err, size_t errlen)
{
    runner *r = calloc(1, sizeof *r);
    memset(out, 0, sizeof *out);
    if (!r) {
        snprintf(err, errlen, "out of memory");
        return false;
    }
    r->p = p;
    r->o = o;
    r->sink = sink;
    if (!build(r, err, errlen)) {
        teardown(r);
        free(r);
        return false;
    }
    if (sink->begin)
        sink->begin(sink->ctx, p);
    for (size_t i = 0; i < p->nsteps && !r->stop; i++) {
        const scn_step *s = &p->steps[i];
        for (uint32_t it = 0; it < s->repeat && !r->stop; it++) {
            r->sum.steps++;
            if (r->cs)
                riommu_cosim_set_step(r->cs, s->line);
            if (o->trace)
                riommu_trace_at(o->trace, s->line);
            do_step(r, s, it);
            if (o->sample) {
                riommu_stats ms;
                riommu_get_stats(r->m, &ms);
                o->sample(o->sample_ctx, r->sum.steps, riommu_now(r->m), &ms);
            }
            if (r->cs && riommu_cosim_stopped(r->cs)) {
                r->stop = true;
                r->sum.stopped = true;
            }
            if (!r->stop && riommu_now(r->m) > RUN_MAX_CYCLES)
                fatal(r, s, "the simulated-time budget of %llu cycles is spent",
                      (unsigned long long)RUN_MAX_CYCLES);
            if (r->tr) {
                size_t n;
                const riommu_trace_rec *t = riommu_hw_trace_records(r->tr, &n);
                if (n && sink->trace)
                    sink->trace(sink->ctx, t, n);
                riommu_hw_trace_clear(r->tr);
            }
        }
    }
    riommu_get_stats(r->m, &r->sum.model);
    drv_stats_now(r, &r->sum.drv);
    r->sum.cycles = riommu_now(r->m);
    r->sum.msis = memhost_msi_count(r->mem);
    if (r->cs) {
        riommu_cosim_finish(r->cs);
        riommu_cosim_counts(r->cs, &r->sum.mismatches, &r->sum.waived);
        r->sum.skipped = r->cskipped;
        if (o->cosim_done) {
            run_cosim_result res;
            memset(&res, 0, sizeof res);
            res.c = r->cs;
            res.skipped = r->cskipped;
            snprintf(res.note, sizeof res.note, "%s", r->cnote);
            o->cosim_done(o->cosim_ctx, p, &res);
        }
    }
    if (o->trace)
        riommu_trace_end(o->trace);
    *out = r->sum;
    if (sink->end)
        sink->end(sink->ctx, p, out);
    teardown(r);
    free(r);
    return true;
}

/* ---- backend lists ------------------------------------------------------------------------- */

unsigned run_backends_parse(const char *list, run_backend_spec *out, unsigned max, char *err,
                            size_t errlen)
{
    unsigned n = 0;
    const char *p = list;
    if (!*p) {
        snprintf(err, errlen, "--backends: empty list");
        return 0;
    }
    for (;;) {
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if (n == max) {
            snprintf(err, errlen, "--backends: at most %u backends", max);
            return 0;
        }
        run_backend_spec *sp = &out[n];
        memset(sp, 0, sizeof *sp);
        if (len == 0 || len >= sizeof sp->name) {
            snprintf(err, errlen, "--backends: %s backend name in '%s'",
                     len ? "too long a" : "empty", list);
            return 0;
        }
        memcpy(sp->name, p, len);
        sp->name[len] = 0;
        char *colon = strchr(sp->name, ':');
        size_t base = colon ? (size_t)(colon - sp->name) : len;
        if (base == 5 && !strncmp(sp->name, "model", 5))
            sp->kind = RUN_BE_MODEL;
        else if (base == 6 && !strncmp(sp->name, "model2", 6))
            sp->kind = RUN_BE_MODEL2;
        else if (base == 4 && !strncmp(sp->name, "qemu", 4))
            sp->kind = RUN_BE_QEMU;
        else if (base == 3 && !strncmp(sp->name, "rtl", 3))
            sp->kind = RUN_BE_RTL;
        else {
            snprintf(err, errlen,
                     "--backends: unknown backend '%s' (model, model2, qemu, rtl, "
                     "model:defect=NAME[+NAME])",
                     sp->name);
            return 0;
        }
        if (colon && sp->kind == RUN_BE_RTL) {
            /* the harness's memory slave (docs/rtl-harness.md "Timing
             * comparison"): the reference model's memory knobs follow it */
            const char *opt = colon + 1;
            char *endp = NULL;
            unsigned long v = 0;
            if (!strncmp(opt, "mem-lat=", 8) && opt[8] >= '0' && opt[8] <= '9')
                v = strtoul(opt + 8, &endp, 10);
            if (!endp || *endp || v < 1 || v > 64) {
                snprintf(err, errlen,
                         "--backends: bad option in '%s' (rtl:mem-lat=N, N 1..64 cycles)",
                         sp->name);
                return 0;
            }
            sp->mem_lat = (unsigned)v;
        } else if (colon) {
            const char *opt = colon + 1;
            if (sp->kind == RUN_BE_QEMU || strncmp(opt, "defect=", 7) != 0 || !opt[7]) {
                snprintf(err, errlen,
                         "--backends: bad option in '%s' (model:defect=NAME[+NAME] or "
                         "rtl:mem-lat=N)",
                         sp->name);
                return 0;
            }
            opt += 7;
            while (*opt) {
                const char *e2 = strchr(opt, '+');
                size_t l2 = e2 ? (size_t)(e2 - opt) : strlen(opt);
                uint32_t bit = 0;
                for (unsigned b = 0; b < 32 && !bit; b++) {
                    const char *nm = riommu_defect_name(1u << b);
                    if (nm && strlen(nm) == l2 && !strncmp(nm, opt, l2))
                        bit = 1u << b;
                }
                if (!bit) {
                    snprintf(err, errlen, "--backends: unknown defect '%.*s' in '%s'", (int)l2,
                             opt, sp->name);
                    return 0;
                }
                sp->defects |= bit;
                opt += l2;
                if (*opt == '+')
                    opt++;
            }
        }
        n++;
        if (!end)
            break;
        p = end + 1;
    }
    if (out[0].kind == RUN_BE_QEMU || out[0].kind == RUN_BE_RTL) {
        snprintf(err, errlen, "--backends: the first backend is the reference and must be a "
                              "model (e.g. model,qemu or model,rtl)");
        return 0;
    }
    bool has_qemu = false, has_rtl = false;
    for (unsigned i = 0; i < n; i++) {
        has_qemu |= out[i].kind == RUN_BE_QEMU;
        has_rtl |= out[i].kind == RUN_BE_RTL;
    }
    if (has_qemu && has_rtl) {
        snprintf(err, errlen, "--backends: qemu and rtl cannot share a run (the models take "
                              "the parameters of one of them)");
        return 0;
    }
    if (out[0].defects) {
        snprintf(err, errlen, "--backends: the reference (first) backend must not have defects");
        return 0;
    }
    return n;
}
