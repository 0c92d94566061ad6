/*
 * hw.h - the hardware-access shim (DESIGN.md §2.1): everything the
 * reference driver needs from the world, as one ops struct with a `void *ctx`.
 *
 * The driver never touches hardware or memory any other way. It writes its
 * tables and queue entries through CPU pointers and then PUBLISHES them with
 * sync_to_device() at exactly the points where Linux places its write
 * barriers; before reading memory the IOMMU writes (fault records, IOFENCE.C
 * data) it calls sync_for_cpu(). A backend where CPU and device share memory
 * may implement both as fences; a co-simulation backend copies the bytes, so
 * a missing publication shows up as a mismatch.
 *
 * This header is freestanding: it needs only <stdbool.h>, <stddef.h> and
 * <stdint.h>.
 */
#ifndef RIOMMU_HW_H
#define RIOMMU_HW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* A DMA-coherent buffer: CPU pointer and the physical address the IOMMU
 * sees. `size` bytes, zeroed at allocation. */
typedef struct riommu_dma_mem {
    void *cpu;
    uint64_t pa;
    size_t size;
} riommu_dma_mem;

typedef struct riommu_hw_ops {
    void *ctx;

    /* MMIO on the IOMMU's 4 KiB register window; `off` is the register
     * offset, naturally aligned. Relaxed: no implied ordering with memory
     * beyond what sync_to_device/sync_for_cpu provide. */
    uint32_t (*read32)(void *ctx, uint32_t off);
    uint64_t (*read64)(void *ctx, uint32_t off);
    void (*write32)(void *ctx, uint32_t off, uint32_t val);
    void (*write64)(void *ctx, uint32_t off, uint64_t val);

    /* Allocate `size` bytes of zeroed, physically contiguous DMA memory
     * aligned to `align` (a power of two >= 4096). Returns false when no
     * memory is available (the driver then tries smaller, as Linux does). */
    bool (*alloc)(void *ctx, size_t size, size_t align, riommu_dma_mem *out);
    /* Release a buffer from alloc (never called for map_phys buffers). */
    void (*free)(void *ctx, const riommu_dma_mem *mem);
    /* Make `size` bytes at a hard-wired physical address (a WARL-fixed DDT
     * root or queue, possibly in I/O memory) reachable by the CPU. */
    bool (*map_phys)(void *ctx, uint64_t pa, size_t size, riommu_dma_mem *out);

    /* Publication: CPU writes to [pa, pa+len) become visible to the IOMMU
     * (Linux: the write barrier before a doorbell or a valid bit). */
    void (*sync_to_device)(void *ctx, uint64_t pa, size_t len);
    /* Consumption: IOMMU writes to [pa, pa+len) become visible to the CPU. */
    void (*sync_for_cpu)(void *ctx, uint64_t pa, size_t len);

    /* Time, in microseconds of the backend's clock (simulated time for a
     * model). delay_us lets the hardware make progress. */
    void (*delay_us)(void *ctx, uint32_t us);
    uint64_t (*now_us)(void *ctx);

    /* Interrupts: bit v set = vector v has fired since the last ack.
     * Optional (NULL: the driver polls). */
    uint32_t (*irq_pending)(void *ctx);
    void (*irq_ack)(void *ctx, uint32_t vectors);
} riommu_hw_ops;

#ifdef __cplusplus
}
#endif

#endif /* RIOMMU_HW_H */
