/*
 * cosim.h - the lockstep co-simulation engine (DESIGN.md §2.2-2.3).
 *
 * The engine implements the driver's shim (riommu_hw_ops) over a list of
 * backends; the first is the reference. Lockstep rules:
 *   1. MMIO writes and published memory go to every backend, in order.
 *   2. MMIO reads are compared at once, except time-dependent registers
 *      (queue heads/tails, queue CSRs, ipsr, ddtp, HPM, debug): for those
 *      every backend is settled first.
 *   3. sync_for_cpu compares the bytes of every backend, then gives the
 *      driver the reference's bytes.
 *   4. A DMA response is compared field by field (status, cause, address
 *      where observed, data); event streams (fault records, fence data,
 *      MSIs, A/D updates, wires) are compared in order at every settle.
 *   5. riommu_cosim_finish compares all memory the driver allocated.
 *   6. Every difference is a riommu_mismatch record; the run continues or
 *      stops per policy. Rendering to text / JSON happens at the edge.
 *      A record of a backend with a clock (riommu_backend_ops.clock: the
 *      rtl backend) carries that clock over what differed, so the report
 *      can name the RTL cycle and the waveform window.
 */
#ifndef RIOMMU_COSIM_H
#define RIOMMU_COSIM_H

#include "riommu/backend.h"
#include "riommu/drv.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum riommu_mm_kind {
    RIOMMU_MM_MMIO_READ = 0, /* a register read differs */
    RIOMMU_MM_MEM_CONSUMED,  /* bytes the driver consumes differ */
    RIOMMU_MM_DMA_STATUS,    /* ok vs fault */
    RIOMMU_MM_DMA_CAUSE,     /* both faulted, different causes */
    RIOMMU_MM_DMA_PA,        /* translated address */
    RIOMMU_MM_DMA_DATA,      /* data read by the device */
    RIOMMU_MM_EVENT,         /* an IOMMU-originated write or interrupt */
    RIOMMU_MM_EVENT_COUNT,   /* one backend produced more events */
    RIOMMU_MM_MEM_FINAL,     /* driver memory differs at the end */
    RIOMMU_MM_BACKEND_ERROR, /* the backend failed (died, protocol error) */
    RIOMMU_MM_EXPECT,        /* a scenario expectation failed */
    RIOMMU_MM_KIND_COUNT
} riommu_mm_kind;

const char *riommu_mm_kind_name(riommu_mm_kind k);

typedef struct riommu_mismatch {
    riommu_mm_kind kind;
    unsigned backend;     /* index of the backend that differs from the reference */
    char where[160];      /* register, event kind, address, or a backend error with its reason */
    uint64_t addr;        /* register offset or physical address */
    uint64_t expected;    /* reference value (first 8 differing bytes for memory) */
    uint64_t actual;
    uint64_t step;        /* scenario step number set by the caller */
    uint64_t cycle;       /* the engine's clock (microseconds of simulated time) */
    bool waived;
    char waiver[48];      /* name of the waiver rule, when waived */
    uint64_t repeats;     /* further identical records coalesced into this one
                             (same kind, backend, where, addr, values, waiver,
                             one right after the other: a polling loop) */
    /* The differing backend's own clock (riommu_backend_ops.clock; the rtl
     * backend's DUT cycle) over what differed, when has_clock: an MMIO
     * read or write, a DMA: its first and last cycle on that backend; an
     * event it wrote: the cycle it wrote it (first == last); an event it
     * did not write: from the previous settle point to this one; memory
     * compares and anything else: the cycle it was seen (first == last).
     * A coalesced record keeps its first occurrence's span. Rendered with
     * the waveform window by report.h. */
    bool has_clock;
    uint64_t clock_first, clock_last;
} riommu_mismatch;

typedef struct riommu_cosim riommu_cosim;

typedef struct riommu_cosim_config {
    uint64_t dma_base, dma_size; /* window for driver allocations */
    bool stop_at_first;          /* stop (error status) at the first unwaived mismatch */
    size_t max_records;          /* keep at most this many records (0: 10000) */
} riommu_cosim_config;

void riommu_cosim_config_default(riommu_cosim_config *c);

/* The engine takes ownership of the backends (destroyed with it). */
riommu_cosim *riommu_cosim_create(const riommu_backend_ops *backends, unsigned n,
                                  const riommu_cosim_config *cfg);
void riommu_cosim_destroy(riommu_cosim *c);

/* The fan-out shim and the heap that matches its allocations. */
riommu_hw_ops riommu_cosim_hw_ops(riommu_cosim *c);
riommu_drv_heap riommu_cosim_heap(riommu_cosim *c);

/* Waivers: a mismatch of `kind` (or any kind with RIOMMU_MM_KIND_COUNT) on
 * backend `backend_name` whose `where` contains `where_substr` (empty:
 * any) is waived under `name`. Returns false when the table is full. */
bool riommu_cosim_add_waiver(riommu_cosim *c, const char *name, const char *backend_name,
                             riommu_mm_kind kind, const char *where_substr);

/* The same, waiving only differences confined to `mask`: a record is waived
 * when (expected ^ actual) & ~mask is 0 (e.g. capability bits a model does
 * not implement); mask ~0 is riommu_cosim_add_waiver. */
bool riommu_cosim_add_waiver_mask(riommu_cosim *c, const char *name, const char *backend_name,
                                  riommu_mm_kind kind, const char *where_substr, uint64_t mask);

/* Name a region of driver memory (e.g. the fault queue, `stride` 32, name
 * "fault-record"): a memory record (mem-consumed, mem-final) inside it has
 * `where` "NAME +OFFSET", OFFSET being the differing 8-byte word's offset
 * within its entry — the same form as event records, so one waiver can
 * name one field. A name given again moves its region. Returns false when
 * the label table (8) is full. */
bool riommu_cosim_label(riommu_cosim *c, uint64_t pa, uint64_t len, uint32_t stride,
                        const char *name);

/* Label the following operations with a step number (for records). */
void riommu_cosim_set_step(riommu_cosim *c, uint64_t step);

/* A device transaction on every backend that can do it; the reference's
 * response and data are returned. Returns the number of backends that
 * skipped it (capabilities), so a caller can count skipped steps. */
unsigned riommu_cosim_dma(riommu_cosim *c, const riommu_request *req, void *buf,
                          riommu_response *rsp);

/* The driver's CPU bytes of [pa, pa+len): non-NULL only when the range
 * lies inside one allocation or mapping made through the engine's shim
 * (the range sync_to_device/sync_for_cpu act on). A replay writes recorded
 * publications through it. */
uint8_t *riommu_cosim_cpu(riommu_cosim *c, uint64_t pa, size_t len);

/* How rule 2 treats a register read at `off`. */
typedef enum riommu_cosim_reg_rule {
    RIOMMU_COSIM_REG_AT_ONCE = 0, /* compared at once */
    RIOMMU_COSIM_REG_SETTLED,     /* time-dependent: every backend settled first */
    RIOMMU_COSIM_REG_NEVER        /* HPM counters: never compared */
} riommu_cosim_reg_rule;
riommu_cosim_reg_rule riommu_cosim_reg_rule_of(uint32_t off);

/* Settle every backend and compare the event streams. */
void riommu_cosim_settle(riommu_cosim *c);

/*
 * Latency pairs (issue 7, "Calibration against RTL"): after every DMA that
 * the reference and backend i (i >= 1) both answered with the same status,
 * when both report latency (riommu_backend_caps.reports_latency), fn gets
 * the request, the reference's response and backend i's (their `cycles`).
 * NULL fn: none (the default). Costs nothing when unset.
 */
typedef void (*riommu_cosim_latency_fn)(void *ctx, unsigned backend, const riommu_request *req,
                                        const riommu_response *ref, const riommu_response *rsp);
void riommu_cosim_on_latency(riommu_cosim *c, riommu_cosim_latency_fn fn, void *ctx);

/* Record a failed scenario expectation as a mismatch. */
void riommu_cosim_expect_failed(riommu_cosim *c, const char *what, uint64_t expected,
                                uint64_t actual);

/* Final memory comparison of every driver allocation (rule 5). */
void riommu_cosim_finish(riommu_cosim *c);

/* Records so far; counts of unwaived and waived mismatches. A record that
 * repeats the one before it exactly is coalesced into it (its `repeats`
 * grows) and not counted again: a driver polling a register that differs
 * gives one mismatch, not one per poll. */
const riommu_mismatch *riommu_cosim_mismatches(const riommu_cosim *c, size_t *n);
void riommu_cosim_counts(const riommu_cosim *c, uint64_t *unwaived, uint64_t *waived);
/* True once stop_at_first tripped. */
bool riommu_cosim_stopped(const riommu_cosim *c);

unsigned riommu_cosim_backend_count(const riommu_cosim *c);
const char *riommu_cosim_backend_name(const riommu_cosim *c, unsigned i);
/* The reference backend's ops (e.g. to reach a model for statistics). */
const riommu_backend_ops *riommu_cosim_backend(const riommu_cosim *c, unsigned i);

#ifdef __cplusplus
}
#endif

#endif
