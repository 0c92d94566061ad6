/*
 * hw_model.h - the hardware-access shim over the in-process model: runs the
 * reference driver against libriommu.
 *
 * The driver's CPU memory and the model's memory are kept apart, as on a
 * machine with a non-coherent IOMMU: allocations get a CPU buffer and a
 * physical address in a DMA window; sync_to_device copies the published
 * bytes into the model's memory (memhost) and sync_for_cpu copies the
 * IOMMU's writes back. A publication the driver forgets is therefore
 * visible as the model reading stale memory.
 *
 * Time: the model's clock at `cycles_per_us` cycles per microsecond;
 * delay_us steps the model. Interrupts: wired levels from the model and MSIs
 * whose data is the vector number (the platform programs msi_cfg_tbl that
 * way, see riommu_hwm_setup_msi).
 */
#ifndef RIOMMU_HW_MODEL_H
#define RIOMMU_HW_MODEL_H

#include "riommu/drv.h"
#include "riommu/memhost.h"
#include "riommu/riommu.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct riommu_hwm riommu_hwm;

typedef struct riommu_hwm_config {
    uint64_t dma_base;      /* DMA window for driver allocations (0x80000000) */
    uint64_t dma_size;      /* bytes (256 MiB) */
    uint32_t cycles_per_us; /* model cycles per microsecond (1000) */
    uint64_t msi_page;      /* where msi_cfg_tbl points (0x7FFFF000) */
} riommu_hwm_config;

void riommu_hwm_config_default(riommu_hwm_config *c);

/* A shim over `m` whose memory is `mem` (both owned by the caller). */
riommu_hwm *riommu_hwm_create(riommu *m, memhost *mem, const riommu_hwm_config *cfg);
/* Frees the CPU buffers still allocated. */
void riommu_hwm_destroy(riommu_hwm *h);

riommu_hw_ops riommu_hwm_ops(riommu_hwm *h);
riommu_drv_heap riommu_hwm_heap(riommu_hwm *h);

/* The driver's CPU bytes of [pa, pa+len) when the range lies inside one
 * allocation or mapping (what sync_to_device/sync_for_cpu act on), else
 * NULL. */
uint8_t *riommu_hwm_cpu(riommu_hwm *h, uint64_t pa, size_t len);

/* What the PCI core does for the IOMMU's MSI-X table: vector v gets
 * address msi_page + 4v and data v, unmasked, for v < n. */
void riommu_hwm_setup_msi(riommu_hwm *h, unsigned n);

typedef struct riommu_hwm_stats {
    uint64_t publishes, publish_bytes, consumes, allocs, frees;
    uint64_t live_allocs, live_bytes;
} riommu_hwm_stats;
void riommu_hwm_get_stats(const riommu_hwm *h, riommu_hwm_stats *out);

#ifdef __cplusplus
}
#endif

#endif
