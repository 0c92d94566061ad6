/*
 * hw_trace.h - a riommu_hw_ops wrapper that records every shim operation
 * (MMIO with values, allocations, publications with their first 16 bytes,
 * consumptions, delays, interrupt polls) in order, and forwards it.
 * Tests assert driver sequences on it and `riommu run --ops` prints it.
 * Trace files with every byte, for `riommu replay`, are trace.h's.
 */
#ifndef RIOMMU_HW_TRACE_H
#define RIOMMU_HW_TRACE_H

#include <stdio.h>

#include "riommu/drv.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum riommu_trace_op {
    RIOMMU_TR_READ32 = 0,
    RIOMMU_TR_READ64,
    RIOMMU_TR_WRITE32,
    RIOMMU_TR_WRITE64,
    RIOMMU_TR_ALLOC,       /* addr = pa, len = size, val = align */
    RIOMMU_TR_FREE,        /* addr = pa, len = size */
    RIOMMU_TR_MAP_PHYS,    /* addr = pa, len = size */
    RIOMMU_TR_SYNC_TO_DEV, /* addr, len; data[] = first 16 bytes published */
    RIOMMU_TR_SYNC_FOR_CPU,/* addr, len */
    RIOMMU_TR_DELAY,       /* val = microseconds */
    RIOMMU_TR_IRQ_PENDING, /* val = result */
    RIOMMU_TR_IRQ_ACK      /* val = vectors */
} riommu_trace_op;

typedef struct riommu_trace_rec {
    riommu_trace_op op;
    uint32_t off;     /* MMIO offset */
    uint64_t addr;    /* physical address */
    uint64_t val;     /* MMIO value, align, delay, irq bits */
    uint64_t len;
    uint64_t data[2]; /* SYNC_TO_DEV: published bytes as little-endian dwords */
} riommu_trace_rec;

typedef struct riommu_hw_trace riommu_hw_trace;

/* Wrap `inner`; `heap` (optional) lets the tracer read published bytes.
 * Consecutive identical reads of one register (polling) are recorded once
 * with `len` counting the repeats when `fold_polls` is set. */
riommu_hw_trace *riommu_hw_trace_create(const riommu_hw_ops *inner,
                                        const riommu_drv_heap *heap, bool fold_polls);
void riommu_hw_trace_destroy(riommu_hw_trace *t);
riommu_hw_ops riommu_hw_trace_ops(riommu_hw_trace *t);
const riommu_trace_rec *riommu_hw_trace_records(const riommu_hw_trace *t, size_t *n);
void riommu_hw_trace_clear(riommu_hw_trace *t);
/* Enable/disable recording (forwarding always happens). */
void riommu_hw_trace_enable(riommu_hw_trace *t, bool on);
/* One line per record: "w64 ddtp 0x..." etc. */
void riommu_hw_trace_dump(const riommu_hw_trace *t, FILE *out);

#ifdef __cplusplus
}
#endif

#endif
