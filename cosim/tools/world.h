/*
 * world.h - the co-simulated world shared by `riommu run --backends` and
 * `riommu replay`: the lockstep engine over a backend list, built the same
 * way for both, and the platform operations that reach every backend
 * (model clock steps, backdoor memory writes, MSI-X programming).
 */
#ifndef RIOMMU_WORLD_H
#define RIOMMU_WORLD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "riommu/cosim.h"
#include "riommu/report.h"
#include "riommu/riommu.h"
#include "run.h"

typedef struct world_params {
    const run_backend_spec *backends; /* reference first */
    unsigned nbackends;
    /* The model backends' configuration (model2 changes its caches and
     * timing, model:defect=... adds defects). With a qemu backend that
     * runs, riommu_qemu_model_config's parameters, so that the models
     * match QEMU's fixed ones. */
    const riommu_config *model;
    /* Why the qemu backends cannot run this program (NULL: they can). They
     * are then left out of the engine: one step counts as skipped and
     * note gets "not run on NAME: WHY". */
    const char *qemu_not_run;
    /* Why the rtl backends cannot run this program (NULL: they can); as
     * qemu_not_run. When they can, `model` holds riommu_rtl_model_config's
     * parameters with the program's config lines applied, and the DUT's
     * straps are set from it. */
    const char *rtl_not_run;
    /* The DUT bug the rtl backends carry (riommu mutate); 0 = none. */
    unsigned rtl_mutant;
    /* The bus 0 slots of the qemu backend's edu devices (n_edu 0: its
     * default, slots 02 and 03). */
    const uint8_t *edu_slots;
    unsigned n_edu;
    uint64_t dma_base, dma_size;      /* driver allocation window; size 0: default */
    bool stop_at_first;
    const riommu_waiver_rule *waivers;
    size_t nwaivers;
    /* The case name scenario-scoped waivers are matched against
     * (riommu_waivers_apply_for); NULL: every rule applies. */
    const char *scenario;
    /* The FST waveform the rtl backend writes (riommu_rtl_config.wave);
     * NULL: none. Given without exactly one rtl backend in the list, or a
     * file that cannot be written, world_create fails. Nothing is written
     * when rtl_not_run leaves the backend out. */
    const char *wave;
} world_params;

/*
 * Create the engine over p->backends: `model` gets p->model, `model2` the
 * same with other cache geometry and timing, `model:defect=...` adds the
 * defects, `qemu` a QEMU with RUN_QEMU_RAM_MIB of RAM and p->edu_slots
 * (unless p->qemu_not_run leaves it out), `rtl` the verilated
 * riommu_rtl_top (unless p->rtl_not_run leaves it out; an error in a build
 * without Verilator). Waivers are installed. Returns
 * NULL with a reason in err when a backend cannot be created (every
 * backend made so far is destroyed) or the window overlaps memory a
 * running QEMU reserves. *skipped and note[0..notelen) are added to.
 */
riommu_cosim *world_create(const world_params *p, uint64_t *skipped, char *note,
                           size_t notelen, char *err, size_t errlen);

/* True when the list has a qemu backend. */
bool world_has_qemu(const run_backend_spec *b, unsigned n);

/* True when the list has an rtl backend. */
bool world_has_rtl(const run_backend_spec *b, unsigned n);

/* True when a backend of the engine has a clock (riommu_backend_ops.clock:
 * the rtl backend ran, and wrote its waveform when world_params.wave
 * asked for one). */
bool world_clocked(const riommu_cosim *c);

/*
 * Waveform names (docs/rtl-harness.md "Waveforms"). The tag of a program
 * or trace section `name` is its last path component without ".scn", every
 * character but [A-Za-z0-9._-] as '_': "tests/scenarios/03_paging_4k.scn"
 * -> "03_paging_4k", "seed-17" -> "seed-17".
 * world_wave_name: `file` with "-TAG" before the extension of its last
 * path component (at the end when it has none): ("w.fst", "seed-17") ->
 * "w-seed-17.fst", ("out/w", ...) -> "out/w-seed-17". world_wave_tag:
 * "TAG.fst", the file a reproduce command suggests. Both return false when
 * out[0..len) is too small.
 */
bool world_wave_name(const char *file, const char *name, char *out, size_t len);
bool world_wave_tag(const char *name, char *out, size_t len);

/* Give `cfg` the parameters of the rtl backend's DUT
 * (riommu_rtl_model_config) behind a memory slave of `mem_lat` cycles
 * (riommu_rtl_model_slave_lat; 0 or 1: the harness's default); false,
 * leaving cfg alone, in a build without Verilator. */
bool world_rtl_model_config(riommu_config *cfg, unsigned mem_lat);

/* The memory slave latency of the rtl backend in b[0..n) (rtl:mem-lat=N),
 * 1 when none is given. */
unsigned world_rtl_mem_lat(const run_backend_spec *b, unsigned n);

/* Can the rtl backend's DUT be configured like `cfg` (its straps,
 * riommu_rtl_dut_check)? False with the reason in why, also when built
 * without Verilator. */
bool world_rtl_check(const riommu_config *cfg, char *why, size_t len);

/* The window world_create uses when p->dma_size is 0: the engine's
 * default, moved to RUN_QEMU_DMA_BASE when `qemu` (a qemu backend runs,
 * or the scenario has `config qemu`). */
void world_default_window(bool qemu, uint64_t *base, uint64_t *size);

/* The engine's backend names joined with commas into out[0..len) (a
 * trace's `world cosim LIST`; a backend left out is not in it). */
void world_names(const riommu_cosim *c, char *out, size_t len);

/* Advance the clock of every model backend by `cycles` (scenario `step`). */
void world_step(riommu_cosim *c, uint64_t cycles);

/* A CPU write straight into every backend's memory (scenario `mem write`). */
void world_mem_write(riommu_cosim *c, uint64_t pa, const void *buf, size_t len);

/* What the PCI core does for the IOMMU's MSI-X table when `model` offers
 * MSIs, through `ops`: vector v < min(num_vectors, 4) gets address
 * 0x7FFFF000 + 4v and data v, unmasked (riommu_hwm_setup_msi's values). */
void world_setup_msi(const riommu_hw_ops *ops, const riommu_config *model);

#endif
