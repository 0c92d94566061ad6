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

/* Where driver allocations come from when nothing else is asked for: the
 * engine's default window, moved to 0x80100000 when a qemu backend is in
 * the list (QEMU keeps its parked hart at 0x80000000-0x80000fff). */
#define WORLD_QEMU_RESERVED_END 0x80100000ull

typedef struct world_params {
    const run_backend_spec *backends; /* reference first */
    unsigned nbackends;
    const riommu_config *model;       /* the reference model's configuration */
    unsigned nconfig;                 /* config lines behind it (skipped on qemu) */
    uint64_t dma_base, dma_size;      /* driver allocation window; size 0: default */
    bool stop_at_first;
    const riommu_waiver_rule *waivers;
    size_t nwaivers;
} world_params;

/*
 * Create the engine over p->backends: `model` gets p->model, `model2` the
 * same with other cache geometry and timing, `model:defect=...` adds the
 * defects, `qemu` its fixed capabilities (each of the p->nconfig config
 * lines then counts as skipped, explained in `note`). Waivers are
 * installed. Returns NULL with a reason in err when a backend cannot be
 * created (every backend made so far is destroyed) or the window overlaps
 * memory QEMU reserves. *skipped and note[0..notelen) are added to.
 */
riommu_cosim *world_create(const world_params *p, uint64_t *skipped, char *note,
                           size_t notelen, char *err, size_t errlen);

/* The window world_create uses when p->dma_size is 0. */
void world_default_window(const run_backend_spec *b, unsigned n, uint64_t *base,
                          uint64_t *size);

/* Advance the clock of every model backend by `cycles` (scenario `step`). */
void world_step(riommu_cosim *c, uint64_t cycles);

/* A CPU write straight into every backend's memory (scenario `mem write`). */
void world_mem_write(riommu_cosim *c, uint64_t pa, const void *buf, size_t len);

/* What the PCI core does for the IOMMU's MSI-X table when `model` offers
 * MSIs, through `ops`: vector v < min(num_vectors, 4) gets address
 * 0x7FFFF000 + 4v and data v, unmasked (riommu_hwm_setup_msi's values). */
void world_setup_msi(const riommu_hw_ops *ops, const riommu_config *model);

#endif
