/*
 * drv.h - libriommu-drv, the reference driver: programs any RISC-V IOMMU
 * the way Linux's drivers/iommu/riscv/ does (behaviour described in
 * ../shared/notes/linux-driver.md, cited below as "linux §N"), through the
 * shim in hw.h only.
 *
 * WHAT IT DOES
 *   - init (linux §1.2-1.6): capabilities/fctl handling, icvec, DDT root
 *     and mode probing, queue allocation with the LOG2SZ probe, enable
 *     handshakes, lock-free command submission, IOFENCE.C waits, fault
 *     draining;
 *   - devices and domains (linux §1.7-1.11, §5): probe/release, identity,
 *     blocked and paging domains, the two-phase device-context update with
 *     every invalidation, map/unmap with the core's page-size splitting,
 *     iotlb sync, iova_to_phys, flush, remove, shutdown;
 *   - policy switches for what differs between v10 (Linux 6.13) and
 *     mainline, with profiles for both.
 * WHAT IT DOES NOT DO: ATS/PRI/SVA, process directories, nested (second
 *   stage) domains, MSI remapping - none of which Linux 6.13 does either.
 *
 * Freestanding: needs only <stdbool.h>, <stddef.h>, <stdint.h> and the
 * compiler's memset/memcpy. Not thread-safe: one caller at a time (Linux's
 * lock-free submission is reproduced in its ordering, not its concurrency).
 */
#ifndef RIOMMU_DRV_H
#define RIOMMU_DRV_H

#include "riommu/hw.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Result codes, named after the Linux errno a step returns. */
typedef enum riommu_drv_err {
    RIOMMU_DRV_OK = 0,
    RIOMMU_DRV_EBUSY = 1,    /* BUSY never cleared, or translation already on */
    RIOMMU_DRV_EINVAL = 2,   /* hardware refused a mandatory setting */
    RIOMMU_DRV_ENODEV = 3,   /* unsupported hardware or device */
    RIOMMU_DRV_ENOMEM = 4,   /* allocation failed */
    RIOMMU_DRV_ETIMEDOUT = 5,/* a command wait timed out */
    RIOMMU_DRV_EIO = 6       /* the command queue reported an error */
} riommu_drv_err;

const char *riommu_drv_strerror(riommu_drv_err e);

typedef enum riommu_drv_bus {
    RIOMMU_DRV_BUS_PCI = 0,     /* MSI; fctl.WSI cleared (linux §1.1) */
    RIOMMU_DRV_BUS_PLATFORM = 1 /* wired interrupts; fctl.WSI set */
} riommu_drv_bus;

/* Behaviours that differ between Linux 6.13 (v10) and mainline (2026). */
typedef struct riommu_drv_policy {
    bool empty_queue_before_enable; /* write cqt=0 / fqh=0 before EN (6.14) */
    bool iotinval_after_ddt_update; /* scoped IOTINVAL.VMA after IODIR (2026) */
    bool stop_wait_on_cq_error;     /* IOFENCE wait ends on cqcsr errors */
    bool shutdown_to_bare;          /* shutdown writes ddtp Bare (6.14), not Off */
    bool mmio32;                    /* 64-bit registers as two 32-bit halves,
                                       low half first (2026 patch) */
    bool sade;                      /* DC.tc.SADE when AMO_HWAD, D left clear */
    bool generic_pt;                /* generic page-table PTE bits (A, U; W
                                       with D; X unless NOEXEC) */
    bool napot_64k;                 /* 64 KiB Svnapot leaves (generic PT) */
    bool overflow_safe_sync;        /* iotlb_sync range math safe at the top */
    bool polling;                   /* no interrupts: poll the queues */
} riommu_drv_policy;

/* Mainline behaviour (the default). */
void riommu_drv_policy_mainline(riommu_drv_policy *p);
/* Linux 6.13 (v10) exactly, apart from the iova_to_phys NULL fix. */
void riommu_drv_policy_linux613(riommu_drv_policy *p);

/* Structured driver events (no strings in the driver; the caller renders). */
typedef enum riommu_drv_event_kind {
    RIOMMU_DRV_EV_FAULT = 0,      /* a fault record was drained (rec valid) */
    RIOMMU_DRV_EV_CQ_ERROR,       /* cqcsr error bits seen (a = cqcsr) */
    RIOMMU_DRV_EV_FQ_ERROR,       /* fqcsr fqmf/fqof seen (a = fqcsr) */
    RIOMMU_DRV_EV_ENQUEUE_TIMEOUT,/* "command enqueue failed" */
    RIOMMU_DRV_EV_EXEC_TIMEOUT,   /* "command execution timeout" */
    RIOMMU_DRV_EV_QUEUE_TIMEOUT,  /* "queue access timeout" (fqt insane) */
    RIOMMU_DRV_EV_ALREADY_ATTACHED/* probe found DC.tc.V set (a = device id) */
} riommu_drv_event_kind;

typedef struct riommu_drv_fault {
    uint16_t cause;
    uint8_t ttyp;
    bool pv, priv;
    uint32_t pid, did;
    uint64_t iotval, iotval2;
} riommu_drv_fault;

typedef struct riommu_drv_event {
    riommu_drv_event_kind kind;
    uint64_t a;
    riommu_drv_fault rec;
} riommu_drv_event;

typedef struct riommu_drv_config {
    riommu_drv_bus bus;
    unsigned irqs;              /* vectors the platform gives (1..4) */
    riommu_drv_policy policy;
    bool kdump;                 /* translation may be on: disable it first */
    unsigned cq_log2sz;         /* wanted log2(entries)-1; default 12 */
    unsigned fq_log2sz;         /* default 11 */
    void (*event)(void *ctx, const riommu_drv_event *ev); /* optional */
    void *event_ctx;
} riommu_drv_config;

void riommu_drv_config_default(riommu_drv_config *c);

/* Counters for reports and tests. */
typedef struct riommu_drv_stats {
    uint64_t commands;          /* commands queued */
    uint64_t cmd_by_op[8];      /* by opcode */
    uint64_t fences;            /* IOFENCE.C waits */
    uint64_t faults_drained;
    uint64_t irqs_handled;
    uint64_t pages_mapped, pages_unmapped; /* leaves written / cleared */
} riommu_drv_stats;

typedef struct riommu_drv riommu_drv;
typedef struct riommu_drv_domain riommu_drv_domain;
typedef struct riommu_drv_dev riommu_drv_dev;

/* Memory for driver objects (Linux's kmalloc). Separate from hw.h's DMA
 * memory. `zalloc` returns zeroed memory or NULL. */
typedef struct riommu_drv_heap {
    void *ctx;
    void *(*zalloc)(void *ctx, size_t size);
    void (*free)(void *ctx, void *p);
    /* CPU pointer of a physical address inside memory from hw alloc or
     * map_phys (Linux's phys_to_virt); NULL if unknown. */
    void *(*phys_to_virt)(void *ctx, uint64_t pa);
} riommu_drv_heap;

/*
 * Bring up the IOMMU exactly as riscv_iommu_init (linux §1.1-1.2): read
 * capabilities and fctl, check IGS for the bus, set fctl.WSI, check the
 * state (BUSY, translation already on, kdump), endianness, icvec, DDT root,
 * queues, enable CQ then FQ, set the DDT mode from 3LVL down. On failure
 * *out is NULL and everything is undone.
 */
riommu_drv_err riommu_drv_init(const riommu_hw_ops *hw, const riommu_drv_heap *heap,
                               const riommu_drv_config *cfg, riommu_drv **out);

/* riscv_iommu_remove (linux §1.11): ddtp Off with its invalidations, then
 * the queues off; frees everything. NULL is allowed. */
void riommu_drv_remove(riommu_drv *d);

/* Shutdown hook (6.14+, linux §1.11): ddtp Bare (or Off per policy), queue
 * CSRs 0, no polling; frees everything. */
void riommu_drv_shutdown(riommu_drv *d);

/* Service interrupts (or poll, in polling mode): CQ errors and the fault
 * queue (linux §1.5). Returns the number of fault records drained. */
unsigned riommu_drv_process(riommu_drv *d);

/* Devices (linux §1.7, §1.11). `ids` lists the device's IDs (one or
 * more). Probe writes an invalid DC for each. */
riommu_drv_err riommu_drv_probe(riommu_drv *d, const uint32_t *ids, unsigned n,
                                riommu_drv_dev **out);
/* Attach the blocked domain, then free the device. */
void riommu_drv_release(riommu_drv_dev *dev);

/* Domains (linux §1.8-1.10). */
typedef enum riommu_drv_domain_kind {
    RIOMMU_DRV_DOM_IDENTITY = 0,
    RIOMMU_DRV_DOM_BLOCKED = 1,
    RIOMMU_DRV_DOM_PAGING = 2
} riommu_drv_domain_kind;

/* The static identity and blocked domains of an IOMMU. */
riommu_drv_domain *riommu_drv_identity(riommu_drv *d);
riommu_drv_domain *riommu_drv_blocked(riommu_drv *d);
/* A paging domain in the highest of Sv57/Sv48/Sv39 offered (linux §1.10). */
riommu_drv_err riommu_drv_domain_alloc(riommu_drv *d, riommu_drv_domain **out);
void riommu_drv_domain_free(riommu_drv_domain *dom);
riommu_drv_domain_kind riommu_drv_domain_get_kind(const riommu_drv_domain *dom);
unsigned riommu_drv_domain_va_bits(const riommu_drv_domain *dom);
uint32_t riommu_drv_domain_pscid(const riommu_drv_domain *dom);
uint64_t riommu_drv_domain_pgsizes(const riommu_drv_domain *dom);

/* attach_dev: bond, two-phase DC update, unbond the old domain. */
riommu_drv_err riommu_drv_attach(riommu_drv_dev *dev, riommu_drv_domain *dom);

/* Protection flags (Linux IOMMU_*). */
#define RIOMMU_DRV_READ 1u
#define RIOMMU_DRV_WRITE 2u
#define RIOMMU_DRV_CACHE 4u
#define RIOMMU_DRV_NOEXEC 8u
#define RIOMMU_DRV_MMIO 16u
#define RIOMMU_DRV_PRIV 32u

/* Invalidation gather (Linux iommu_iotlb_gather): inclusive range. */
typedef struct riommu_drv_gather {
    uint64_t start, end;
    uint64_t pgsize;
    bool freelist; /* table pages await freeing */
} riommu_drv_gather;

void riommu_drv_gather_init(riommu_drv_gather *g);

/* iommu_map: split [iova, iova+size) into the largest pages allowed by the
 * alignment of iova|pa and the remaining length; *mapped gets the bytes
 * mapped even on failure. */
riommu_drv_err riommu_drv_map(riommu_drv_domain *dom, uint64_t iova, uint64_t pa,
                              uint64_t size, unsigned prot, uint64_t *mapped);
/* iommu_unmap: returns bytes unmapped and gathers the range; call
 * riommu_drv_iotlb_sync afterwards (or use riommu_drv_unmap_sync). */
uint64_t riommu_drv_unmap(riommu_drv_domain *dom, uint64_t iova, uint64_t size,
                          riommu_drv_gather *g);
void riommu_drv_iotlb_sync(riommu_drv_domain *dom, riommu_drv_gather *g);
uint64_t riommu_drv_unmap_sync(riommu_drv_domain *dom, uint64_t iova, uint64_t size);
void riommu_drv_flush_all(riommu_drv_domain *dom);
/* 0 when nothing is mapped at iova. */
uint64_t riommu_drv_iova_to_phys(riommu_drv_domain *dom, uint64_t iova);

/* Low level, for directed tests. */
void riommu_drv_cmd_submit(riommu_drv *d, uint64_t d0, uint64_t d1);
riommu_drv_err riommu_drv_cmd_sync(riommu_drv *d, uint64_t timeout_us);
uint32_t riommu_drv_cq_errors(riommu_drv *d);

/* Information. */
uint64_t riommu_drv_caps(const riommu_drv *d);
unsigned riommu_drv_ddt_mode(const riommu_drv *d);
uint64_t riommu_drv_icvec(const riommu_drv *d);
void riommu_drv_get_stats(const riommu_drv *d, riommu_drv_stats *out);

#ifdef __cplusplus
}
#endif

#endif /* RIOMMU_DRV_H */
