/*
 * drv_internal.h - state of the reference driver and the helpers shared by
 * its files:
 *   drv_core.c    MMIO, polling, init, queues, command submission, fences,
 *                 interrupt handling, remove and shutdown (linux §1.2-1.6,
 *                 §1.11)
 *   drv_ddt.c     device directory: root, mode probing, DC lookup, the
 *                 two-phase DC update (linux §1.3, §1.7-1.8)
 *   drv_domain.c  devices, domains, page tables, map/unmap, iotlb sync
 *                 (linux §1.8-1.10, §5)
 * Freestanding: no libc calls besides memset/memcpy.
 */
#ifndef RIOMMU_DRV_INTERNAL_H
#define RIOMMU_DRV_INTERNAL_H

#include "riommu/drv.h"
#include "riommu/riommu_bits.h"

/* Freestanding: no <string.h>; the compiler lowers these (a bare-metal
 * build links memset/memcpy from picolibc or its own runtime). */
#define memset __builtin_memset
#define memcpy __builtin_memcpy

/* Linux timeouts (linux §1.6), in microseconds. */
#define DRV_DDTP_TIMEOUT_US 10000000ull
#define DRV_QCSR_TIMEOUT_US 150000ull
#define DRV_QUEUE_TIMEOUT_US 150000ull
#define DRV_FENCE_TIMEOUT_US 90000000ull
#define DRV_POLL_US 10u

typedef struct drv_queue {
    riommu_dma_mem mem;
    bool fixed, allocated, enabled;
    unsigned qid;               /* interrupt cause: CQ 0, FQ 1 */
    uint32_t base_off, head_off, tail_off, csr_off;
    unsigned entry;             /* bytes per entry */
    uint32_t mask;
    uint32_t prod, head, tail;  /* unbounded shadow counters */
    unsigned vector;
} drv_queue;

typedef struct drv_page {
    riommu_dma_mem mem;
    struct drv_page *next;
} drv_page;

typedef struct drv_bond {
    riommu_drv_dev *dev;
    struct drv_bond *next;
} drv_bond;

struct riommu_drv_domain {
    riommu_drv *drv;
    riommu_drv_domain_kind kind;
    unsigned mode, levels, va_bits; /* paging: iosatp MODE 8/9/10 */
    uint32_t pscid;
    riommu_dma_mem root;
    uint64_t pgsizes;
    drv_bond *bonds;
};

struct riommu_drv_dev {
    riommu_drv *drv;
    uint32_t *ids;
    unsigned n;
    riommu_drv_domain *domain; /* NULL until the first attach */
};

struct riommu_drv {
    riommu_hw_ops hw;
    riommu_drv_heap heap;
    riommu_drv_config cfg;
    uint64_t caps;
    uint32_t fctl;
    unsigned irqs;
    uint64_t icvec;
    riommu_dma_mem ddt_root;
    bool ddt_fixed, ddt_root_allocated;
    unsigned ddt_mode;
    drv_page *ddt_pages;       /* non-root directory pages */
    drv_queue cq, fq;
    riommu_drv_domain identity, blocked;
    uint8_t *pscid_map;        /* bitmap over [0, 2^20) */
    riommu_drv_stats st;
};

/* ---- drv_core.c ---------------------------------------------------------- */
uint32_t drv_r32(riommu_drv *d, uint32_t off);
uint64_t drv_r64(riommu_drv *d, uint32_t off);
void drv_w32(riommu_drv *d, uint32_t off, uint32_t v);
void drv_w64(riommu_drv *d, uint32_t off, uint64_t v);
/* Poll `off` until (v & mask) == want or the timeout; interval 0 = Linux's
 * "no delay" polls (the shim still gets a short delay so simulated hardware
 * progresses). Returns true on match; *last holds the last value. */
bool drv_poll(riommu_drv *d, uint32_t off, unsigned size, uint64_t mask, uint64_t want,
              unsigned interval_us, uint64_t timeout_us, uint64_t *last);
void drv_event(riommu_drv *d, riommu_drv_event_kind k, uint64_t a);
void drv_publish(riommu_drv *d, const void *cpu, const riommu_dma_mem *mem, size_t len);
void *drv_zalloc(riommu_drv *d, size_t n);
void drv_free(riommu_drv *d, void *p);
/* Commands (linux §1.6). */
void drv_cmd(riommu_drv *d, uint64_t d0, uint64_t d1);
riommu_drv_err drv_sync(riommu_drv *d);
void drv_inval_ddt(riommu_drv *d, bool dv, uint32_t did);
void drv_inval_vma(riommu_drv *d, bool pscv, uint32_t pscid, bool av, uint64_t iova);
void drv_inval_gvma_scope(riommu_drv *d, uint32_t gscid);

/* ---- drv_ddt.c -------------------------------------------------------------- */
riommu_drv_err drv_ddt_alloc(riommu_drv *d);
riommu_drv_err drv_ddt_set_mode(riommu_drv *d, unsigned mode);
void drv_ddt_free(riommu_drv *d);
/* The CPU pointer to the DC of `id` (4 or 8 dwords), creating directory
 * levels; NULL when the id is too wide or memory runs out. */
uint64_t *drv_get_dc(riommu_drv *d, uint32_t id, uint64_t *pa);
/* Two-phase DC update of every ID of dev (linux §1.8 iodir_update). */
riommu_drv_err drv_iodir_update(riommu_drv_dev *dev, uint64_t fsc, uint64_t ta);

static inline unsigned drv_dc_dwords(const riommu_drv *d)
{
    return (d->caps & RIOMMU_CAP_MSI_FLAT) ? 8u : 4u;
}

#endif
