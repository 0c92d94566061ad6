/*
 * rtl_backend.h - a Verilated RTL IOMMU as a co-simulation backend
 * (DESIGN.md §2.6, docs/rtl-harness.md). Implemented in C++
 * (rtl-harness/harness/rtl_backend.cpp) over the harness controller.
 *
 * Does: register accesses through the AXI register master; the backend's
 * memory image is the memory-port slave's (mem_write/mem_read are backdoor
 * accesses, no bus cycles); dma() issues device-port requests (split into
 * pieces that stay inside one 8-byte word; the first faulting piece ends
 * the DMA), reports pa from the first translated (user[0] = 1) memory-port
 * access of the DMA and the cause from the error response's user bits;
 * events come from memory-port writes without user[0], classified by
 * address against the fqb/pqb/msi_cfg_tbl values written through mmio_write
 * (fault queue -> FAULT_RECORD, page-request queue -> PQ_RECORD, an
 * msi_addr -> MSI, other 4-byte writes -> FENCE_DATA, 8-byte -> AD_UPDATE)
 * and wsi changes (WIRE), each stamped with its cycle (riommu_event.clock).
 * settle() runs until every port is quiet for `settle_quiet_cycles` and
 * returns the cycles it took; after a settle that ended quiet with only
 * register reads since (no IOMMU register has a read side effect), it
 * returns 0 at once (a driver polling a register costs one read per poll,
 * not a quiet window). clock() is the harness cycle, the time base of the
 * waveform (`wave`: cycle N starts at N ns), so mismatch records name the
 * DUT cycle of what differed.
 * Does not: ATS / translated requests (no contract signal), range_size,
 * `recorded` (always false).
 *
 * Any failure (watchdog, AXI protocol violation, error response on the
 * register port) makes the op return -1 and last_error() name the port,
 * the rule or operation and the cycle; the harness stays failed until the
 * backend is destroyed.
 */
#ifndef RIOMMU_RTL_BACKEND_H
#define RIOMMU_RTL_BACKEND_H

#include <stddef.h>
#include <stdint.h>

#include "riommu/backend.h"
#include "riommu/riommu.h"

#ifdef __cplusplus
extern "C" {
#endif

/* How to build one Verilated design: provided per DUT by a thin C++ file
 * (e.g. riommu_rtl_stub_dut() in rtl-harness/tests/stub/). Opaque to C. */
typedef struct riommu_rtl_dut riommu_rtl_dut;

typedef struct riommu_rtl_config {
    const riommu_rtl_dut *dut;     /* required */
    const char *wave;              /* FST file, NULL = no waveform; one that
                                      cannot be written fails create */
    unsigned reset_cycles;         /* 0 = 8 */
    uint64_t watchdog_cycles;      /* per operation; 0 = 100000 */
    unsigned mem_lat_min;          /* memory-port latency, cycles; 0 = 1 */
    unsigned mem_lat_max;          /* 0 = mem_lat_min */
    unsigned mem_ready_pct;        /* 1..100; 0 = 100 (no back-pressure) */
    int mem_reorder;               /* nonzero: reorder responses across IDs */
    uint64_t seed;                 /* all bus randomness */
    unsigned settle_quiet_cycles;  /* 0 = 64 */
    /* The reference model's configuration the DUT must match (capabilities,
     * queue limits, vectors, fixed PPNs, ...): the DUT's configure hook
     * checks and applies it before reset. NULL = the DUT's defaults. */
    const riommu_config *model;
    unsigned mutant;               /* 0 = none; else the DUT's bug number */
} riommu_rtl_config;

/*
 * Can `dut` be configured to behave as a model with configuration `cfg`
 * (and carry bug `mutant`, 0 = none)? Builds nothing. Returns 0, or -1 with
 * the first reason in why ("DUT has no MSI translation (caps.MSI_FLAT)").
 * A DUT without a configure hook accepts only mutant 0 and leaves the
 * check to the caller (its model preset).
 */
int riommu_rtl_dut_check(const riommu_rtl_dut *dut, const riommu_config *cfg, unsigned mutant,
                         char *why, size_t whylen);

/* Build the DUT, reset it and fill `out` (name "rtl"). Returns 0, or -1 with
 * the reason in err. */
int riommu_rtl_backend_create(const riommu_rtl_config *cfg, riommu_backend_ops *out,
                              char *err, size_t errlen);

#ifdef __cplusplus
}
#endif

#endif
