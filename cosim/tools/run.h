/*
 * run.h - the scenario executor: runs a parsed program (scenario.h) through
 * the reference driver on the embedded model and checks its expectations.
 *
 * For each program it builds a fresh world: sparse memory (memhost), the
 * model, the model-backed hardware-access shim (hw_model.h; MSI-X programmed
 * the way the PCI core does when the model offers MSIs), optionally the
 * trace recorder (--trace FILE, trace.h) and the printing wrapper (--ops),
 * and a driver heap that tracks every object so nothing leaks whatever
 * order the scenario frees things in. Driver verbs go to
 * libriommu-drv, raw MMIO through the shim, device DMA straight to the
 * model (the device side is not the driver's business), backdoor reads
 * (mem, dc, pte) to the model's memory.
 *
 * With run_options.nbackends > 0 the world is the lockstep engine
 * (cosim.h) over those backends instead: see docs/scenarios.md "With
 * --backends" for what goes where.
 *
 * Results are structured records handed to a run_sink; nothing here
 * formats text (report.h renders them). With one backend every failed
 * expectation is a mismatch; waived and skipped stay 0.
 */
#ifndef RIOMMU_RUN_H
#define RIOMMU_RUN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "riommu/cosim.h"
#include "riommu/drv.h"
#include "riommu/hw_trace.h"
#include "riommu/report.h"
#include "riommu/riommu.h"
#include "riommu/trace.h"
#include "scenario.h"

/* A program stops (as a failed step) once the model clock passes this
 * many cycles: scenarios are untrusted and a driver wait is bounded only in
 * simulated time. 2^44 cycles is about 4.9 hours at 1 GHz. */
#define RUN_MAX_CYCLES (1ull << 44)

/* One backend of a co-simulated run (`riommu run --backends LIST`). */
typedef enum run_backend_kind {
    RUN_BE_MODEL = 0, /* the model: defaults + the scenario's config lines */
    RUN_BE_MODEL2,    /* the same with other cache geometry and timing */
    RUN_BE_QEMU,      /* QEMU's riscv-iommu-pci (fixed capabilities) */
    RUN_BE_RTL        /* the verilated rtl-harness/dut riommu_rtl_top (fixed
                         parameters; only in builds with Verilator) */
} run_backend_kind;

#define RUN_MAX_BACKENDS 8

/* QEMU's guest RAM in a run with a qemu backend: device DMA can reach only
 * [RUN_QEMU_RAM_BASE, RUN_QEMU_RAM_END); the first MiB is QEMU's parked
 * hart and the driver's window. */
#define RUN_QEMU_RAM_MIB 8192u
#define RUN_QEMU_RAM_BASE 0x80000000ull
#define RUN_QEMU_RAM_END (RUN_QEMU_RAM_BASE + ((uint64_t)RUN_QEMU_RAM_MIB << 20))
/* Start of the driver's DMA window in such a run (and in any run of a
 * scenario with `config qemu`): above QEMU's parked hart. */
#define RUN_QEMU_DMA_BASE 0x80100000ull

/* With a qemu backend the runner creates one edu DMA engine on PCI bus 0
 * for every device ID the program issues DMA from that bus 0 slot can
 * have (function 0 of slots 2..31: 0x10, 0x18, ..., 0xF8), plus 0x10 and
 * 0x18. True when `device_id` is such an ID. */
static inline bool run_qemu_device_id_ok(uint32_t device_id)
{
    return (device_id & 7u) == 0 && device_id >= 0x10u && device_id <= 0xF8u;
}

typedef struct run_backend_spec {
    run_backend_kind kind;
    uint32_t defects;  /* riommu_defect bits (models only) */
    unsigned mem_lat;  /* rtl: the harness memory slave's latency in cycles
                          (rtl:mem-lat=N, 1..64); 0 = the default, 1 */
    char name[64];     /* the spec as written: "model", "model:defect=wrong-cause" */
} run_backend_spec;

/* Parse a comma-separated list: model | model2 | qemu | rtl |
 * model[2]:defect=NAME[+NAME...] | rtl:mem-lat=N. Returns the count (>= 1), or 0 with a
 * one-line reason in err. */
unsigned run_backends_parse(const char *list, run_backend_spec *out, unsigned max, char *err,
                            size_t errlen);

/* What a co-simulated program found, handed over before the engine goes. */
typedef struct run_cosim_result {
    const riommu_cosim *c;
    uint64_t skipped;  /* steps (or config lines) some backend could not do */
    char note[256];    /* what was skipped and why ("" if nothing) */
} run_cosim_result;

typedef struct run_options {
    bool ops;              /* record every shim operation, hand them to sink->trace */
    /* Write each program as a trace section (docs/trace.md) to this
     * writer, or NULL: every shim operation, device DMA, step, settle and
     * backdoor write, with the reference's answers. */
    riommu_trace_writer *trace;
    bool stop_on_mismatch; /* stop the program at its first mismatch */
    /* Co-simulation: nbackends == 0 runs on the embedded model (as without
     * --backends); otherwise the driver runs on the lockstep engine over
     * these backends, the first being the reference. */
    const run_backend_spec *backends;
    unsigned nbackends;
    const riommu_waiver_rule *waivers;
    size_t nwaivers;
    /* The bug the rtl backends' DUT carries (riommu_rtl_mutants, `riommu
     * mutate`); 0 = none. */
    unsigned rtl_mutant;
    void (*cosim_done)(void *ctx, const scn_program *p, const run_cosim_result *res);
    void *cosim_ctx;
    /* With an rtl backend in the list: the FST waveform of its DUT for this
     * program (world_params.wave); NULL: none. */
    const char *wave;
    /* Called after every step (each repeat) with the steps run so far, the
     * model time and the reference model's statistics (`--stats`'s time
     * series, statsfile.h); NULL: nothing is copied. */
    void (*sample)(void *ctx, uint64_t step, uint64_t cycles, const riommu_stats *st);
    void *sample_ctx;
    /* --timing-compare: every DMA latency pair of the engine goes here
     * (timing_cmp.h); NULL: none. */
    struct timing_cmp *tcmp;
    /* With backends: called on the reference configuration (after the
     * program's config lines and the QEMU / rtl presets) before the world
     * is built, to change what the model backends run with (`riommu
     * calibrate` sets timing knobs); NULL: nothing. It must keep the
     * configuration valid (riommu_config_check). */
    void (*tune)(void *ctx, riommu_config *cfg);
    void *tune_ctx;
} run_options;

/* How a compared value is shown. */
typedef enum run_vfmt {
    RUN_FMT_HEX = 0,
    RUN_FMT_DEC,
    RUN_FMT_ERR,    /* riommu_drv_err */
    RUN_FMT_DMA,    /* (status << 16) | cause of a DMA response */
    RUN_FMT_BOOL,   /* 0/1 */
    RUN_FMT_HIT,    /* IOTLB 0 miss / 1 hit */
    RUN_FMT_CAUSE,  /* fault cause */
    RUN_FMT_TTYP,   /* transaction type */
    RUN_FMT_EVENT   /* riommu_drv_event_kind */
} run_vfmt;

/* One failed expectation (or a step that could not run: `fatal`). */
typedef struct run_mismatch {
    const scn_step *step;
    unsigned line;        /* the line to blame (the expectation's) */
    char what[64];        /* what was compared: "result", "pa", "cqcsr", ... */
    run_vfmt fmt;
    scn_cmp cmp;          /* how expected and got relate (SCN_EQ mostly) */
    uint64_t expected, got, mask; /* mask ~0 unless the check had one */
    bool got_none;        /* nothing there to compare (no record, no DC) */
    bool fatal;           /* the step could not run; the program stops */
    char note[160];       /* fatal: why */
} run_mismatch;

/* What one step (one iteration of it) did. */
typedef struct run_step_report {
    const scn_step *step;
    uint32_t iteration;   /* 0 .. step->repeat-1 */
    riommu_drv_err err;   /* driver verbs that return a result */
    uint64_t v[4];        /* kind-specific values, see run.c `report_*` */
    bool none;            /* a read found nothing (no DC, no PTE) */
    riommu_response rsp;  /* dma */
    const uint8_t *data;  /* dma read data (valid during the callback) */
    size_t len;
} run_step_report;

typedef struct run_summary {
    riommu_stats model;
    riommu_drv_stats drv; /* every driver instance of the program, summed */
    uint64_t cycles;      /* model time */
    uint64_t msis;        /* MSIs the platform received */
    uint64_t steps;       /* steps run (iterations counted) */
    uint64_t checks;      /* expectations evaluated */
    uint64_t mismatches, waived, skipped;
    bool stopped;         /* ended early (fatal step or stop_on_mismatch) */
} run_summary;

/* Where results go. Every callback is optional. */
typedef struct run_sink {
    void *ctx;
    void (*begin)(void *ctx, const scn_program *p);
    void (*step)(void *ctx, const scn_program *p, const run_step_report *r);
    /* A fault record the driver drained / another driver event. */
    void (*fault)(void *ctx, const scn_step *s, const riommu_drv_fault *rec);
    void (*event)(void *ctx, const scn_step *s, const riommu_drv_event *ev);
    void (*mismatch)(void *ctx, const scn_program *p, const run_mismatch *m);
    void (*trace)(void *ctx, const riommu_trace_rec *recs, size_t n);
    void (*end)(void *ctx, const scn_program *p, const run_summary *s);
} run_sink;

/*
 * Run `p` from a fresh world. Returns true with *out filled when the world
 * could be built (whatever the expectations said); false with a reason in
 * err[0..errlen) when it could not (model refused its configuration, out
 * of memory). The program is not modified.
 */
bool run_program(const scn_program *p, const run_options *o, const run_sink *sink,
                 run_summary *out, char *err, size_t errlen);

#endif
