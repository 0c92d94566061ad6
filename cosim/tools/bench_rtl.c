/*
 * bench_rtl.c - the RTL section of `riommu bench` (bench.h; issue 6
 * "RTL verification", docs/rtl-harness.md "Benchmark"): simulated cycles
 * per second of the verilated DUT (rtl-harness/dut riommu_rtl_top) alone
 * and in lockstep with the reference model, and what lockstep costs.
 *
 * THE WORKLOAD. The reference driver (libriommu-drv, mainline profile,
 * polling) brings the IOMMU up and probes NDEV devices, one in the identity
 * domain and one blocked; then each ROUND allocates two paging domains
 * (Sv57, the DUT's widest), attaches the devices (device-context updates:
 * IODIR.INVAL_DDT and IOFENCE.C commands), maps NPAGE 4 KiB pages and a 2
 * MiB page in each, and issues device DMA: a 64-byte write to every page
 * (page walks; the first DMA of a device after its context changed walks
 * the DDT), 8-byte reads that hit the IOTLB, reads and writes in the
 * superpage, identity DMA, then faults (unmapped IOVA, a write to a
 * read-only page, the blocked device) drained from the fault queue; then
 * unmaps half of one domain page by page (IOTINVAL.VMA + IOFENCE.C each),
 * DMA to an unmapped page, and moves every device to the blocked domain
 * and frees both domains. The rounds are identical but for their physical
 * pages; the data written depends on the round.
 *
 * TWO WORLDS, ONE STIMULUS. Both runs use the lockstep engine (world.h),
 * so the driver, the engine and the device side cost the same in both:
 *   alone     the engine over [rtl]: the DUT is the only backend; nothing
 *             is compared (the driver reads the DUT's answers);
 *   lockstep  the engine over [model, rtl], the model with the DUT's
 *             parameters (riommu_rtl_model_config) as the reference.
 * The driver sees the reference's answers; with no mismatch they are the
 * DUT's, so the DUT gets the same stimulus in both worlds and runs the
 * same number of cycles. That is checked: different cycle counts, or any
 * mismatch or backend error, fail the section (exit 1).
 *
 * MEASURING. Cycles are the harness's clock cycles (riommu_rtl_backend_
 * cycles) during the workload. A one-round lockstep run warms up; runs of
 * the DUT alone with 1, 2, 4, ... rounds until one takes CAL_SECONDS size
 * the workload for --seconds (with --size, a one-round run of the DUT alone
 * warms it up instead). Then --repeat timed runs of each
 * world, interleaved (alone, lockstep, alone, ...); the shortest wall time
 * of each world counts (other load on the host only ever adds time), the
 * median is shown too, and the process's CPU time of the best run (on a
 * shared host wall time also counts waiting for a core; the targets are
 * on wall time, as issue 6 states them). Timed: the workload and the engine's final memory
 * comparison; not building the world (constructing the verilated model,
 * its reset) nor destroying it.
 */
#define _POSIX_C_SOURCE 200809L

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench.h"
#include "riommu/cosim.h"
#include "riommu/drv.h"
#include "riommu/report.h"
#include "riommu/riommu.h"
#include "run.h"
#include "world.h"

/* Targets (issue 6): the DUT alone at least this fast, lockstep at most
 * this much slower in wall time. */
#define TARGET_CYCLES_PER_S 500000.0
#define TARGET_OVERHEAD_PCT 10.0

#define NDEV 12                       /* devices in paging domains, half each */
#define NPAGE 24                      /* 4 KiB pages per domain (> 16 IOTLB entries) */
#define IOVA_4K 0x10000000ull         /* first 4 KiB page of a domain */
#define IOVA_2M 0x40000000ull         /* the 2 MiB page of a domain */
#define IOVA_HOLE 0x20000000ull       /* never mapped */
#define DATA_PA 0x200000000ull        /* data pages, far from the driver's window */
#define DATA_PA_2M 0x210000000ull     /* 2 MiB pages, 2 MiB aligned */
#define DATA_PA_ID 0x220000000ull     /* identity-mapped DMA */
#define CAL_SECONDS 0.25              /* a calibration run at least this long */
#define MAX_ROUNDS 1000000u

static const char *rtl_unavailable(void)
{
#ifdef RIOMMU_HAVE_RTL
    return NULL;
#else
    return "this riommu was built without Verilator (no rtl backend): install Verilator "
           "and reconfigure (CMake's find_package(verilator))";
#endif
}

/* ---- the workload ---------------------------------------------------------------- */

typedef struct workload {
    riommu_cosim *c;
    riommu_drv *d;
    riommu_drv_dev *dev[NDEV], *ident, *blocked;
    riommu_drv_domain *dom[2]; /* the round's paging domains */
    uint64_t dmas, dma_faults, dma_bytes;
    char err[160]; /* the first driver error */
} workload;

static uint32_t dev_id(unsigned i)
{
    /* half in one DDT leaf page, half spread over the root and middle levels */
    return i < NDEV / 2 ? 0x100u + 8u * i : 0x10000u * (i - NDEV / 2 + 1) + 0x480u * i;
}

static bool drv_ok(workload *w, riommu_drv_err e, const char *what)
{
    if (e == RIOMMU_DRV_OK)
        return true;
    if (!w->err[0])
        snprintf(w->err, sizeof w->err, "driver: %s: %s", what, riommu_drv_strerror(e));
    return false;
}

static void dma(workload *w, uint32_t did, riommu_req_access acc, uint64_t iova, uint32_t len,
                unsigned pattern)
{
    uint8_t buf[256];
    riommu_request q;
    memset(&q, 0, sizeof q);
    q.device_id = did;
    q.kind = RIOMMU_REQ_UNTRANSLATED;
    q.access = acc;
    q.iova = iova;
    q.len = len <= sizeof buf ? len : sizeof buf;
    for (uint32_t i = 0; i < q.len; i++)
        buf[i] = (uint8_t)(pattern * 31u + i);
    riommu_response rsp;
    riommu_cosim_dma(w->c, &q, buf, &rsp);
    w->dmas++;
    w->dma_bytes += q.len;
    w->dma_faults += rsp.status != RIOMMU_RSP_OK;
}

static bool setup(workload *w)
{
    riommu_hw_ops ops = riommu_cosim_hw_ops(w->c);
    riommu_drv_heap heap = riommu_cosim_heap(w->c);
    riommu_drv_config dc;
    riommu_drv_config_default(&dc);
    dc.policy.polling = true; /* the engine offers no interrupts */
    if (!drv_ok(w, riommu_drv_init(&ops, &heap, &dc, &w->d), "init"))
        return false;
    for (unsigned i = 0; i < NDEV; i++) {
        uint32_t id = dev_id(i);
        if (!drv_ok(w, riommu_drv_probe(w->d, &id, 1, &w->dev[i]), "probe"))
            return false;
    }
    uint32_t ids[2] = {0x40, 0x48};
    if (!drv_ok(w, riommu_drv_probe(w->d, &ids[0], 1, &w->ident), "probe") ||
        !drv_ok(w, riommu_drv_probe(w->d, &ids[1], 1, &w->blocked), "probe"))
        return false;
    return drv_ok(w, riommu_drv_attach(w->ident, riommu_drv_identity(w->d)), "attach") &&
           drv_ok(w, riommu_drv_attach(w->blocked, riommu_drv_blocked(w->d)), "attach");
}

/* Release every device (the driver's remove leaves them to their owner),
 * take the driver's statistics into *st (when not NULL), remove it. */
static void teardown(workload *w, riommu_drv_stats *st)
{
    if (!w->d)
        return;
    for (unsigned i = 0; i < NDEV; i++)
        riommu_drv_release(w->dev[i]);
    riommu_drv_release(w->ident);
    riommu_drv_release(w->blocked);
    for (unsigned k = 0; k < 2; k++) { /* left by a round that failed */
        riommu_drv_domain_free(w->dom[k]);
        w->dom[k] = NULL;
    }
    if (st)
        riommu_drv_get_stats(w->d, st);
    riommu_drv_remove(w->d);
    w->d = NULL;
}

static bool map(workload *w, riommu_drv_domain *dom, uint64_t iova, uint64_t pa, uint64_t size,
                unsigned prot)
{
    uint64_t mapped;
    return drv_ok(w, riommu_drv_map(dom, iova, pa, size, prot, &mapped), "map");
}

static bool round_run(workload *w, unsigned r)
{
    riommu_drv_domain **dom = w->dom;
    if (!drv_ok(w, riommu_drv_domain_alloc(w->d, &dom[0]), "domain") ||
        !drv_ok(w, riommu_drv_domain_alloc(w->d, &dom[1]), "domain"))
        return false;
    for (unsigned i = 0; i < NDEV; i++)
        if (!drv_ok(w, riommu_drv_attach(w->dev[i], dom[i / (NDEV / 2)]), "attach"))
            return false;
    const unsigned rw = RIOMMU_DRV_READ | RIOMMU_DRV_WRITE;
    for (unsigned k = 0; k < 2; k++) {
        for (unsigned p = 0; p < NPAGE; p++) {
            /* scattered physical pages: every leaf is a 4 KiB one */
            uint64_t pa = DATA_PA + ((uint64_t)k << 20) + ((p * 5u + r) % 64u) * 0x1000u;
            if (!map(w, dom[k], IOVA_4K + p * 0x1000ull, pa, 0x1000,
                     p == NPAGE - 1 ? RIOMMU_DRV_READ : rw))
                return false;
        }
        if (!map(w, dom[k], IOVA_2M, DATA_PA_2M + ((uint64_t)k << 21), 2ull << 20, rw))
            return false;
    }
    /* page walks (24 pages per domain outnumber the 16 IOTLB entries) */
    for (unsigned k = 0; k < 2; k++)
        for (unsigned p = 0; p + 1 < NPAGE; p++)
            dma(w, dev_id(k * (NDEV / 2) + p % (NDEV / 2)), RIOMMU_WRITE,
                IOVA_4K + p * 0x1000ull + ((p * 72u) & 0xF00u), 64, r + p);
    /* IOTLB hits: one device, 8 pages, 4 times */
    for (unsigned rep = 0; rep < 4; rep++)
        for (unsigned p = 0; p < 8; p++)
            dma(w, dev_id(0), RIOMMU_READ, IOVA_4K + p * 0x1000ull + 8u * rep, 8, 0);
    /* the superpages */
    for (unsigned j = 0; j < 8; j++)
        dma(w, dev_id(1 + (j & 1) * (NDEV / 2)), (j & 2) ? RIOMMU_READ : RIOMMU_WRITE,
            IOVA_2M + j * 0x31000ull, 32, r + j);
    /* identity */
    uint64_t id_pa = DATA_PA_ID + (r % 16u) * 0x1000ull;
    dma(w, 0x40, RIOMMU_WRITE, id_pa, 16, r);
    dma(w, 0x40, RIOMMU_READ, id_pa, 16, 0);
    /* faults, drained from the fault queue */
    dma(w, dev_id(2), RIOMMU_READ, IOVA_HOLE + r * 0x1000ull, 8, 0);
    dma(w, dev_id(3), RIOMMU_WRITE, IOVA_4K + (NPAGE - 1) * 0x1000ull, 8, r);
    dma(w, 0x48, RIOMMU_READ, 0x1000, 8, 0);
    riommu_drv_process(w->d);
    /* commands: unmap half of the first domain, one page at a time */
    for (unsigned p = 0; p < NPAGE / 2; p++)
        if (riommu_drv_unmap_sync(dom[0], IOVA_4K + p * 0x1000ull, 0x1000) != 0x1000) {
            snprintf(w->err, sizeof w->err, "driver: unmap of page %u failed", p);
            return false;
        }
    dma(w, dev_id(4), RIOMMU_READ, IOVA_4K, 8, 0);
    riommu_drv_process(w->d);
    for (unsigned i = 0; i < NDEV; i++)
        if (!drv_ok(w, riommu_drv_attach(w->dev[i], riommu_drv_blocked(w->d)), "attach"))
            return false;
    for (unsigned k = 0; k < 2; k++) {
        riommu_drv_domain_free(dom[k]);
        dom[k] = NULL;
    }
    return true;
}

/* ---- one run ---------------------------------------------------------------------- */

typedef struct rtl_run {
    uint64_t cycles;       /* DUT cycles of the workload */
    double wall, cpu;      /* seconds */
    uint64_t mismatches;   /* unwaived records (backend errors included) */
    uint64_t dmas, dma_faults, dma_bytes;
    riommu_drv_stats drv;
} rtl_run;

static double seconds(clockid_t id)
{
    struct timespec t;
    clock_gettime(id, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* The DUT's clock: the one backend of the engine with a clock op (the rtl
 * backend's harness cycle counter; models and QEMU have none). */
static bool dut_cycles(const riommu_cosim *c, uint64_t *cycles)
{
    for (unsigned i = 0; i < riommu_cosim_backend_count(c); i++) {
        const riommu_backend_ops *b = riommu_cosim_backend(c, i);
        if (b->clock) {
            *cycles = b->clock(b->ctx);
            return true;
        }
    }
    return false;
}

/* `rounds` rounds of the workload in a fresh world; false with a reason in
 * err when the world cannot be built (world_create: an rtl backend in a
 * build without Verilator) or the driver fails. */
static bool run_world(bool lockstep, uint64_t rounds, rtl_run *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    run_backend_spec specs[2];
    memset(specs, 0, sizeof specs);
    unsigned n = 0;
    if (lockstep) {
        specs[n].kind = RUN_BE_MODEL;
        snprintf(specs[n++].name, sizeof specs[0].name, "model");
    }
    specs[n].kind = RUN_BE_RTL;
    snprintf(specs[n++].name, sizeof specs[0].name, "rtl");
    riommu_config cfg;
    riommu_config_default(&cfg);
    world_rtl_model_config(&cfg, 1);
    world_params wp;
    memset(&wp, 0, sizeof wp);
    wp.backends = specs;
    wp.nbackends = n;
    wp.model = &cfg;
    uint64_t skipped = 0;
    char note[256] = "", e[300];
    workload w;
    memset(&w, 0, sizeof w);
    w.c = world_create(&wp, &skipped, note, sizeof note, e, sizeof e);
    if (!w.c) {
        snprintf(err, errlen, "cannot build the world: %s", e);
        return false;
    }
    riommu_hw_ops ops = riommu_cosim_hw_ops(w.c);
    world_setup_msi(&ops, &cfg); /* as the PCI core does (riommu run) */

    uint64_t c0 = 0, c1 = 0;
    dut_cycles(w.c, &c0);
    double t0 = seconds(CLOCK_MONOTONIC), p0 = seconds(CLOCK_PROCESS_CPUTIME_ID);
    bool ok = setup(&w);
    for (uint64_t r = 0; ok && r < rounds; r++)
        ok = round_run(&w, (unsigned)r);
    if (ok) {
        teardown(&w, &out->drv);
        riommu_cosim_finish(w.c);
    }
    out->wall = seconds(CLOCK_MONOTONIC) - t0;
    out->cpu = seconds(CLOCK_PROCESS_CPUTIME_ID) - p0;
    dut_cycles(w.c, &c1);
    out->cycles = c1 - c0;
    out->dmas = w.dmas;
    out->dma_faults = w.dma_faults;
    out->dma_bytes = w.dma_bytes;
    uint64_t waived;
    riommu_cosim_counts(w.c, &out->mismatches, &waived);
    if (out->mismatches) {
        size_t nmm;
        const riommu_mismatch *mm = riommu_cosim_mismatches(w.c, &nmm);
        const char *names[2] = {specs[0].name, specs[1].name};
        riommu_report_case rc;
        memset(&rc, 0, sizeof rc);
        rc.name = lockstep ? "riommu bench --rtl (lockstep)" : "riommu bench --rtl (alone)";
        rc.backends = names;
        rc.nbackends = n;
        rc.mm = mm;
        rc.nmm = nmm < 10 ? nmm : 10;
        rc.unwaived = out->mismatches;
        char repro[64];
        snprintf(repro, sizeof repro, "riommu bench --rtl --size %" PRIu64 " --repeat 1", rounds);
        rc.reproduce = repro;
        fflush(stdout);
        riommu_report_text(stderr, &rc);
    }
    if (!ok)
        snprintf(err, errlen, "%s", w.err);
    teardown(&w, NULL);
    riommu_cosim_destroy(w.c);
    return ok;
}

/* ---- the section ------------------------------------------------------------------- */

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median(const double *v, unsigned n)
{
    double *s = malloc(n * sizeof *s);
    if (!s)
        return v[0];
    memcpy(s, v, n * sizeof *s);
    qsort(s, n, sizeof *s, cmp_double);
    double m = n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
    free(s);
    return m;
}

/* One run, with the checks that make its figures mean something. */
static bool checked_run(bool lockstep, uint64_t rounds, rtl_run *out)
{
    char err[400];
    const char *what = lockstep ? "lockstep (model,rtl)" : "DUT alone (rtl)";
    if (!run_world(lockstep, rounds, out, err, sizeof err)) {
        fprintf(stderr, "riommu bench --rtl: %s: %s\n", what, err);
        return false;
    }
    if (out->mismatches) {
        fprintf(stderr, "riommu bench --rtl: %s: %" PRIu64 " mismatches (records above): the "
                        "figures would not describe a correct run\n", what, out->mismatches);
        return false;
    }
    if (!out->cycles) {
        fprintf(stderr, "riommu bench --rtl: %s: the DUT's clock did not move\n", what);
        return false;
    }
    return true;
}

static void run_figures(bench_out *o, const char *key, const char *title, const rtl_run *best,
                        double wall_median, unsigned repeat, bool lockstep)
{
    bench_group(o, key, title);
    bench_uint(o, "cycles", "DUT cycles", best->cycles, NULL);
    bench_real(o, "wall_s", "wall time (best)", best->wall, "s", 3);
    bench_real(o, "wall_s_median", repeat > 1 ? "wall time (median)" : "wall time (median, 1 run)",
               wall_median, "s", 3);
    bench_real(o, "cpu_s", "CPU time (of the best)", best->cpu, "s", 3);
    bench_real(o, "cycles_per_s", "cycles/s", (double)best->cycles / best->wall, NULL, 0);
    bench_real(o, "cycles_per_cpu_s", "cycles/s of CPU time", (double)best->cycles / best->cpu,
               NULL, 0);
    if (lockstep)
        bench_uint(o, "mismatches", "mismatches", best->mismatches, NULL);
    bench_end(o);
}

static int rtl_run_section(const bench_opts *bo, bench_out *o)
{
    rtl_run cal, warm;
    uint64_t rounds = bo->size;
    fprintf(stderr, "riommu bench --rtl: %s\n", rounds ? "warm-up" : "calibrating");
    if (!checked_run(true, 1, &warm))
        return 1;
    /* The DUT alone, doubling the rounds until a run takes CAL_SECONDS. */
    for (uint64_t n = 1;; n *= 2) {
        if (!checked_run(false, rounds ? 1 : n, &cal))
            return 1;
        if (rounds)
            break;
        if (cal.wall >= CAL_SECONDS || n >= MAX_ROUNDS) {
            double secs = bo->seconds > 0 ? bo->seconds : 2.0;
            double want = secs / cal.wall * (double)n;
            rounds = want < 1 ? 1 : want > MAX_ROUNDS ? MAX_ROUNDS : (uint64_t)(want + 0.5);
            break;
        }
    }
    unsigned k = bo->repeat;
    double *walls = calloc(2 * (size_t)k, sizeof *walls);
    if (!walls) {
        fprintf(stderr, "riommu bench --rtl: out of memory\n");
        return 1;
    }
    rtl_run best[2];
    for (unsigned i = 0; i < k; i++) {
        for (unsigned m = 0; m < 2; m++) {
            rtl_run r;
            if (!checked_run(m == 1, rounds, &r)) {
                free(walls);
                return 1;
            }
            if (i > 0 && r.cycles != best[m].cycles) {
                fprintf(stderr, "riommu bench --rtl: %s: the DUT ran %" PRIu64 " cycles, %" PRIu64
                                " in an earlier run of the same workload (not deterministic)\n",
                        m ? "lockstep" : "alone", r.cycles, best[m].cycles);
                free(walls);
                return 1;
            }
            walls[m * k + i] = r.wall;
            if (i == 0 || r.wall < best[m].wall)
                best[m] = r;
            fprintf(stderr, "riommu bench --rtl: run %u/%u %s: %" PRIu64 " cycles, %.3f s\n",
                    i + 1, k, m ? "lockstep" : "alone", r.cycles, r.wall);
        }
    }
    double med[2] = {median(walls, k), median(walls + k, k)};
    free(walls);

    bench_str(o, "dut", "DUT", "riommu_rtl_top (rtl-harness/dut), verilated");
    bench_group(o, "workload", "workload (the same in both worlds)");
    bench_uint(o, "rounds", "rounds", rounds, NULL);
    bench_uint(o, "dmas", "device DMAs", best[0].dmas, NULL);
    bench_uint(o, "dma_faults", "of which faulted", best[0].dma_faults, NULL);
    bench_uint(o, "dma_bytes", "DMA bytes", best[0].dma_bytes, NULL);
    bench_uint(o, "commands", "commands", best[0].drv.commands, NULL);
    bench_uint(o, "fences", "IOFENCE.C waits", best[0].drv.fences, NULL);
    bench_uint(o, "faults_drained", "fault records drained", best[0].drv.faults_drained, NULL);
    bench_uint(o, "pages_mapped", "leaves mapped", best[0].drv.pages_mapped, NULL);
    bench_end(o);
    bench_uint(o, "repeat", "timed runs per world", k, NULL);
    run_figures(o, "alone", "DUT alone (engine over rtl)", &best[0], med[0], k, false);
    run_figures(o, "lockstep", "lockstep (engine over model,rtl)", &best[1], med[1], k, true);
    double cps = (double)best[0].cycles / best[0].wall;
    double overhead = (best[1].wall - best[0].wall) / best[0].wall * 100.0;
    bench_real(o, "overhead_pct", "lockstep overhead (wall time)", overhead, "%", 1);
    bench_real(o, "overhead_cpu_pct", "lockstep overhead (CPU time)",
               (best[1].cpu - best[0].cpu) / best[0].cpu * 100.0, "%", 1);
    bench_group(o, "targets", "targets (issue 6)");
    bench_target(o, "alone_cycles_per_s", "DUT alone cycles/s", cps, BENCH_AT_LEAST,
                 TARGET_CYCLES_PER_S, NULL, 0);
    bench_target(o, "overhead_pct", "lockstep overhead", overhead, BENCH_AT_MOST,
                 TARGET_OVERHEAD_PCT, "%", 1);
    bench_end(o);
    if (best[0].cycles != best[1].cycles) {
        fprintf(stderr, "riommu bench --rtl: the DUT ran %" PRIu64 " cycles alone and %" PRIu64
                        " in lockstep: it did not get the same stimulus\n",
                best[0].cycles, best[1].cycles);
        return 1;
    }
    return 0;
}

const bench_section bench_rtl_section = {
    "rtl",
    "the verilated DUT alone and in lockstep with the model: simulated\n"
    "            cycles/s of each and the lockstep overhead (targets: >= 500000\n"
    "            cycles/s alone, <= 10 % more wall time in lockstep)",
    rtl_unavailable,
    rtl_run_section,
    false,
};
