/*
 * dmamem.h - the CPU side of DMA memory for shims: allocations get a zeroed
 * CPU buffer and a physical address in a window; regions are kept sorted by
 * address so a physical address maps back to its CPU bytes. Freed ranges
 * are reused first-fit by size and alignment. Internal to cosim/.
 */
#ifndef RIOMMU_DMAMEM_H
#define RIOMMU_DMAMEM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "riommu/hw.h"

typedef struct dmamem dmamem;

dmamem *dmamem_create(uint64_t base, uint64_t size);
void dmamem_destroy(dmamem *d);
/* Zeroed buffer of `size` (rounded up to 4 KiB) aligned to `align`. */
bool dmamem_alloc(dmamem *d, size_t size, size_t align, riommu_dma_mem *out);
/* Free the allocation starting at `pa`; returns its size, 0 if none. */
size_t dmamem_free(dmamem *d, uint64_t pa);
/* A CPU view of a fixed physical range (hard-wired tables); `*fresh` is
 * true when the range was not known before (the caller fills it). */
bool dmamem_map_fixed(dmamem *d, uint64_t pa, size_t size, riommu_dma_mem *out,
                      bool *fresh);
/* CPU bytes of [pa, pa+len) when the range lies inside one region. */
uint8_t *dmamem_cpu(dmamem *d, uint64_t pa, size_t len);
/* Iterate regions: i = 0 .. count-1. */
size_t dmamem_count(const dmamem *d);
void dmamem_region(const dmamem *d, size_t i, uint64_t *pa, size_t *size, uint8_t **cpu);

#endif
