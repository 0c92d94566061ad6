/*
 * backend.h - one implementation under test, as the co-simulation engine
 * sees it (DESIGN.md §2.2). Every backend owns its own memory image: the
 * driver's published writes go to all of them, and the IOMMU's own writes
 * land in each backend's image, where they are compared.
 *
 * Status convention: ops returning int give 0 on success and a negative
 * value when the backend failed (process died, protocol error); the engine
 * turns that into a BACKEND_ERROR mismatch. A transaction the backend cannot
 * perform at all is reported through caps, never attempted.
 */
#ifndef RIOMMU_BACKEND_H
#define RIOMMU_BACKEND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "riommu/riommu.h"

#ifdef __cplusplus
extern "C" {
#endif

/* What a backend can do; steps needing more are skipped and counted. */
typedef struct riommu_backend_caps {
    bool dma;            /* untranslated device reads and writes */
    bool dma_exec;       /* read-for-execute requests */
    bool process_id;     /* requests carrying a process_id */
    bool priv;           /* supervisor-privilege requests */
    bool translated;     /* translated (ATS-translated address) requests */
    uint32_t max_dma_len;/* largest single DMA in bytes (0 = no limit) */
    const uint32_t *device_ids; /* device IDs that can issue DMA ... */
    unsigned n_device_ids;      /* ... (0: any device_id) */
    bool reports_pa;     /* riommu_response.pa is observed */
    bool reports_range;  /* riommu_response.range_size is observed */
    bool reports_cause;  /* a faulting DMA reports its cause (else only that
                            it failed: status FAULT, cause 0) */
    bool events;         /* reports IOMMU-originated writes (events op) */
    bool cycles;         /* settle() returns meaningful cycle counts */
    bool reports_latency;/* riommu_response.cycles of a DMA is its latency in
                            the backend's clock: from the request entering
                            the IOMMU to its last response (the model: the
                            translations and data accesses it charged; the
                            rtl backend: DUT cycles of the device-port
                            beats, one after another) */
} riommu_backend_caps;

/* An IOMMU-originated memory write or interrupt, in the order it happened. */
typedef enum riommu_ev_kind {
    RIOMMU_EV_FAULT_RECORD = 0, /* 32 bytes written to the fault queue */
    RIOMMU_EV_PQ_RECORD,        /* 16 bytes written to the page-request queue */
    RIOMMU_EV_FENCE_DATA,       /* IOFENCE.C AV=1 write (4 bytes) */
    RIOMMU_EV_MSI,              /* IOMMU MSI (addr, 4 bytes data) */
    RIOMMU_EV_AD_UPDATE,        /* PTE A/D update (8 bytes, new value) */
    RIOMMU_EV_WIRE,             /* wired interrupt level change: addr = vector,
                                   data[0] = level */
    RIOMMU_EV_KIND_COUNT
} riommu_ev_kind;

typedef struct riommu_event {
    riommu_ev_kind kind;
    uint64_t addr;
    uint32_t len;
    uint8_t data[32];
    /* The backend's clock (riommu_backend_ops.clock) when the write or the
     * level change happened; 0 from a backend without a clock. Never
     * compared: it only stamps the mismatch record of a differing event. */
    uint64_t clock;
} riommu_event;

typedef struct riommu_backend_ops {
    const char *name; /* short, for reports: "model", "qemu", "rtl" */
    void *ctx;

    void (*caps)(void *ctx, riommu_backend_caps *out);
    /* Register window access; size 4 or 8. */
    int (*mmio_read)(void *ctx, uint32_t off, unsigned size, uint64_t *val);
    int (*mmio_write)(void *ctx, uint32_t off, unsigned size, uint64_t val);
    /* The CPU side of system memory (publish / consume). */
    int (*mem_write)(void *ctx, uint64_t pa, const void *buf, size_t len);
    int (*mem_read)(void *ctx, uint64_t pa, void *buf, size_t len);
    /* One device transaction through the IOMMU. For reads, `buf` receives
     * req->len bytes (only on RIOMMU_RSP_OK); for writes it supplies them.
     * Fields a backend cannot observe (e.g. QEMU's translated address) are
     * reported as 0 and listed in its caps-independent documentation. */
    int (*dma)(void *ctx, const riommu_request *req, void *buf, riommu_response *rsp);
    /* Run until idle (commands processed, records and interrupts
     * delivered); returns elapsed cycles or 0 when not measured. A
     * failure while settling (a hang, a protocol violation) is left in
     * last_error: after a settle the engine records a BACKEND_ERROR
     * "settle: ..." when last_error holds an error it has not recorded. */
    uint64_t (*settle)(void *ctx);
    /* Move up to `max` events logged since the last call into `out`;
     * returns how many. */
    size_t (*events)(void *ctx, riommu_event *out, size_t max);
    /* Release everything (processes included). */
    void (*destroy)(void *ctx);
    /* Optional: why the last failed op failed ("" if unknown); the string
     * lives until the next op. The engine puts it in BACKEND_ERROR records. */
    const char *(*last_error)(void *ctx);
    /* Optional: the backend's own clock, monotonic, in its own unit (the
     * rtl backend: DUT clock cycles since the harness started, the time
     * base of its waveform; docs/rtl-harness.md). NULL for a backend without
     * one (the models, QEMU): the engine then never calls anything. With
     * it, the engine reads it before and after every operation it sends
     * the backend, and stamps each mismatch record of the backend with the
     * span of the operation that differed (riommu_mismatch.clock_first,
     * clock_last), so a report can point into the waveform. */
    uint64_t (*clock)(void *ctx);
} riommu_backend_ops;

#ifdef __cplusplus
}
#endif

#endif
