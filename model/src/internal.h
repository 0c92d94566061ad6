/*
 * internal.h - state and internal interfaces of libriommu.
 *
 * One source file per spec concern:
 *   iommu.c      life cycle, configuration, clock (step/settle), statistics
 *   regs.c       register table (semantics as data), MMIO access
 *   mem.c        implicit memory accesses (endianness, PAS, statistics)
 *   ddt.c        device directory walk and device-context checks
 *   walk.c       page-table walker, parameterised by stage
 *   translate.c  the translation process, fault records, device DMA
 *   ioatc.c      DDTC / IOTLB / walk cache
 *   cmdq.c       command queue
 *   faultq.c     fault queue (and page-request queue state)
 *   intr.c       ipsr, icvec, wired and message-signalled interrupts
 *   hpm.c        performance monitoring counters
 *   debug.c      translation-request (debug) interface
 *   timing.c     slots and latency charging (docs/timing.md)
 *   names.c      names of causes, transaction types and registers
 */
#ifndef RIOMMU_INTERNAL_H
#define RIOMMU_INTERNAL_H

#include "riommu/riommu.h"

#include <string.h>

/* ---- register storage --------------------------------------------------- */

/* When a register exists (regs "Register layout", "Is Optional?"). */
typedef enum reg_presence {
    REG_ALWAYS = 0,
    REG_IF_ATS,   /* pqb, pqh, pqt, pqcsr */
    REG_IF_HPM,   /* iocountovf .. iohpmevt31 */
    REG_IF_DBG,   /* tr_req_iova, tr_req_ctl, tr_response */
    REG_IF_QOSID, /* iommu_qosid */
    REG_IF_MSI    /* msi_cfg_tbl: capabilities.IGS != WSI */
} reg_presence;

struct reg;

/*
 * Static description of one register: semantics as data. The generic write
 * path computes
 *     v = (old & ~(rw & wbytes)) | (val & rw & wbytes)      RW / WARL bits
 *     v &= ~(val & w1c & wbytes)                           RW1C bits
 *     v |=  (val & w1s & wbytes)                           RW1S bits
 * then calls legalize (WARL: returns the value to hold) and after_write
 * (side effects). `wbytes` is the byte-lane mask of the access (0xFFFFFFFF
 * for the low half of an 8-byte register written alone, etc.).
 * Masks that depend on the configuration are produced by `masks`.
 */
typedef struct reg_spec {
    const char *name;
    uint16_t off;
    uint8_t size;        /* 4 or 8 */
    uint8_t index;       /* array index for iohpmctr/evt (1..31), msi (0..15) */
    reg_presence presence;
    uint64_t rw, w1c, w1s; /* default masks (before `masks`) */
    void (*masks)(const riommu *m, const struct reg_spec *s, uint64_t *rw,
                  uint64_t *w1c, uint64_t *w1s, uint64_t *reset);
    uint64_t (*legalize)(riommu *m, const struct reg_spec *s, uint64_t old,
                         uint64_t proposed, uint64_t wbytes);
    void (*after_write)(riommu *m, const struct reg_spec *s, uint64_t old,
                        uint64_t now, uint64_t wbytes);
    uint64_t (*read)(const riommu *m, const struct reg_spec *s); /* computed */
} reg_spec;

typedef struct reg {
    const reg_spec *spec;
    uint64_t val;
    uint64_t rw, w1c, w1s, reset;
    bool present;
} reg;

#define REG_MAX 144 /* 24 fixed registers + 62 HPM + 48 MSI table (regs.c checks) */

/* ---- decoded contexts ----------------------------------------------------- */

typedef struct riommu_dc {
    uint64_t tc, iohgatp, ta, fsc;
    uint64_t msiptp, msi_addr_mask, msi_addr_pattern, reserved; /* extended */
} riommu_dc;

/* ---- caches --------------------------------------------------------------- */

typedef struct cache_geom {
    uint32_t sets, ways;     /* sets * ways entries; 0 sets = disabled */
    riommu_repl_policy policy;
    uint32_t lat;
} cache_geom;

typedef struct ddtc_entry {
    bool valid;
    uint32_t device_id;
    riommu_dc dc;
    uint64_t stamp; /* LRU: last use; FIFO: fill time */
} ddtc_entry;

/* Size classes of leaf translations held in the IOTLB. */
enum { TLB_SZ_4K = 0, TLB_SZ_64K, TLB_SZ_2M, TLB_SZ_4M, TLB_SZ_1G, TLB_SZ_512G,
       TLB_SZ_256T, TLB_SZ_COUNT };

typedef struct iotlb_entry {
    bool valid;
    bool gv, pscv, global;
    uint8_t size_class;
    uint16_t gscid;
    uint32_t pscid;
    uint64_t vbase;   /* IOVA of the first byte of the translation range */
    uint64_t pbase;   /* physical address of the first byte */
    uint64_t size;    /* bytes */
    uint64_t pte;     /* leaf PTE as used (A/D after any update) */
} iotlb_entry;        /* LRU stamps are apart: riommu_ioatc.iotlb_stamp */

/* The address-space tag of an IOTLB fill (table "Identifiers used to tag
 * IOATC entries") packed in one integer, computed in registers (a small
 * struct passed by value was put on the stack byte by byte and read back
 * whole, a store-forwarding stall): PSCID 19:0, GSCID 35:20, GV 36, PSCV
 * 37, global 38. */
typedef uint64_t ioatc_tag;
static inline ioatc_tag ioatc_tag_pack(bool gv, uint16_t gscid, bool pscv, uint32_t pscid,
                                       bool global)
{
    return (uint64_t)(pscid & 0xFFFFFu) | (uint64_t)gscid << 20 | (uint64_t)gv << 36 |
           (uint64_t)pscv << 37 | (uint64_t)global << 38;
}

typedef struct walkc_entry {
    bool valid;
    bool gv, global;
    uint8_t level;    /* level of the cached non-leaf PTE (>= 1) */
    uint16_t gscid;
    uint32_t pscid;
    uint64_t vtag;    /* iova >> (12 + 9 * level) for every mode: for Sv32
                         (10-bit VPNs) the tag is finer than the entry's
                         reach, so Sv32 entries are merely shared less */
    uint64_t pte;
    uint64_t stamp;
} walkc_entry;

/* A remembered IOTLB lookup of the hit path (translate.c translate_hit):
 * iotlb_find(c, false, 0, true, pscid, vpn << 12) returned `e` while the
 * IOTLB's contents were generation `gen`. */
typedef struct tlb_memo {
    uint64_t gen, vpn;
    uint32_t pscid;
    uint32_t index; /* of e in the IOTLB arrays */
    struct iotlb_entry *e;
} tlb_memo;
#define TLB_MEMO 256 /* direct mapped by VPN; as many as the default IOTLB holds */

typedef struct riommu_ioatc {
    cache_geom ddtc_g, iotlb_g, walkc_g;
    ddtc_entry *ddtc;
    iotlb_entry *iotlb;
    uint64_t *iotlb_key; /* per entry: vbase | size_class << 1 | 1 when valid,
                            else 0; a set's keys share one cache line, so
                            lookups compare them before touching entries */
    uint64_t *iotlb_stamp; /* per entry: LRU last use / FIFO fill time */
    uint64_t iotlb_gen;    /* bumped by every fill, invalidation and flush:
                              what iotlb_find returns changes only then */
    tlb_memo memo[TLB_MEMO];
    walkc_entry *walkc;
    uint32_t *fifo_next_ddtc, *fifo_next_iotlb, *fifo_next_walkc;
    ddtc_entry *ddtc_last; /* the entry of the last DDTC hit or fill: a
                              device_id is held by one entry at most, so a
                              valid entry with the device_id is the one a
                              scan of its set would find */
    uint32_t size_classes_present; /* bitmask over TLB_SZ_* of valid entries */
    uint32_t class_count[TLB_SZ_COUNT]; /* valid IOTLB entries per size class */
    uint64_t tick;
    uint32_t rng;
} riommu_ioatc;

/* ---- queues --------------------------------------------------------------- */

typedef struct queue_pending {
    uint8_t bit;       /* its PENDING_* bit: set in riommu.pending while the
                          BUSY period runs (busy_active) */
    uint64_t done_at;  /* cycle at which BUSY clears */
} queue_pending;

/* riommu.pending: the internal events that are pending, one bit each, so
 * that "is anything pending?" -- asked after every translation -- is one
 * load (model_any_pending). */
enum {
    PENDING_DDTP = 1u << 0, /* ddtp BUSY window (ddtp_busy) */
    PENDING_CQ = 1u << 1,   /* cqcsr, fqcsr, pqcsr BUSY windows */
    PENDING_FQ = 1u << 2,
    PENDING_PQ = 1u << 3,
    PENDING_DBG = 1u << 4,  /* a debug translation in flight (dbg_busy) */
    PENDING_CQ_STEP = 1u << 5 /* cq_next is valid (cq_sched) */
};

/* ---- timing (timing.c, docs/timing.md) ----------------------------------- */

/* A short-hold resource (a cache lookup port) keeps its future reservations
 * as sorted, disjoint [start, end) intervals, so a lookup can use a gap
 * before work that was reserved earlier for a later cycle. */
#define TM_PORT_CAP 16
typedef struct tm_iv {
    uint64_t start, end;
} tm_iv;
typedef struct tm_port {
    uint32_t n;
    uint32_t epoch;     /* != riommu_timing.epoch: the port is empty */
    tm_iv iv[TM_PORT_CAP];
} tm_port;
typedef struct tm_pool {
    uint32_t slots, lat; /* slots 0: the cache costs nothing (disabled) */
    tm_port *port;
} tm_pool;

typedef struct riommu_timing {
    bool on;            /* timing.enable */
    uint64_t t;         /* cursor: the cycle the work being costed has reached */
    uint32_t nxlate, nptw;
    uint64_t *xlate;    /* busy-until per translation slot (held to completion) */
    uint64_t *ptw;      /* busy-until per walker slot (held for a whole walk) */
    unsigned xslot;     /* translation slot of the translation being costed */
    uint64_t arrival;   /* its arrival cycle */
    uint64_t horizon;   /* end of the latest reservation of any pool: at or
                           before m->now, every slot is free */
    uint32_t epoch;     /* bumped when a translation finds everything free */
    bool quiet;         /* the translation being costed found everything free */
    uint64_t fq_free;   /* the fault-record writer is busy until then */
    tm_pool cache[4];  /* by riommu_cache_id */
} riommu_timing;

/* ---- the model ------------------------------------------------------------ */

/* A host page a table walk keeps (riommu_host_ops flag
 * RIOMMU_HOST_STABLE_PAGES): its PA (KEPT_PAGE_NONE when none is kept) and
 * the host's pointer to its first byte (mem_load64_kept). */
typedef struct kept_page {
    uint64_t pa;
    const uint8_t *ptr;
} kept_page;
#define KEPT_PAGE_NONE UINT64_MAX /* no page's PA (pages are 4 KiB aligned) */

struct riommu {
    riommu_config cfg;
    riommu_host_ops host;
    riommu_observer obs;
    bool has_obs;
    bool keep_pages; /* host.mem_page with RIOMMU_HOST_STABLE_PAGES */
    /* per stage (1, 2) and level of the page-table walk, and per level of
     * the device-directory walk (the device context's page at 0), the
     * table page read last: a walk after it that reads the same page there
     * (consecutive walks mostly do) reads through the kept pointer without
     * asking the host, and without waiting for its answer to know where
     * to read */
    kept_page walk_pages[2][5];
    kept_page ddt_pages[3];

    reg regs[REG_MAX];
    unsigned nregs;
    int16_t slot[RIOMMU_REG_WINDOW_SIZE / 4]; /* reg index per 4-byte word */

    uint64_t now; /* cycles */

    /* ddtp BUSY and queue CSR BUSY windows */
    queue_pending ddtp_busy, cq_busy, fq_busy, pq_busy, dbg_busy;
    uint64_t cq_next;   /* cycle of the next command-queue step (timing on:
                           fetch done, then execution done) */
    uint8_t pending;    /* PENDING_* */
    bool cq_fetched;    /* timing on: cq_cmd is fetched, executes at cq_next */
    uint64_t cq_cmd[2]; /* the fetched command */
    uint64_t cq_start;  /* cycle its fetch began */

    riommu_timing tm;

    riommu_ioatc c;

    /* interrupts */
    uint16_t wire_level;   /* current level per vector, bit v */
    uint16_t msi_pending;  /* masked vectors with a pending message */
    unsigned intr_depth;   /* recursion guard (MSI fault -> record -> MSI) */

    /* HPM */
    uint32_t hpm_events; /* bit e: a counter not inhibited selects event e
                            (hpm_refresh); hpm_count returns at once for the
                            others */
    int16_t hpm_cy_slot; /* regs[] index of iohpmcycles while it counts
                            (capabilities.HPM, iocountinh.CY clear), else -1:
                            set by hpm_refresh */
    /* iohpmcycles is counted lazily: while it counts, its register holds
     * the count as of cycle hpm_cy_at, and reads add the cycles since
     * (iohpmcycles_read in regs.c). The clock's advance folds them in only
     * when it reaches hpm_cy_due, the cycle at which the count wraps
     * (UINT64_MAX while it does not count), so that the overflow's OF bit
     * and interrupt come when they are due (hpm_clock_to); MMIO writes to
     * the HPM registers fold first (hpm_cycles_sync). */
    uint64_t hpm_cy_at, hpm_cy_due;

    uint64_t defect_count; /* RIOMMU_DEFECT_DROP_RECORD alternation */

    riommu_stats st;
    /* IOTLB hits of translate_hit (translate.c), not yet in st: each is one
     * translation, translation_ok, DDTC lookup and hit, IOTLB lookup and
     * hit, and an untimed one (0 cycles) one latency_hist[0] count too.
     * riommu_get_stats adds them; riommu_clear_stats zeroes them. One
     * increment per hit instead of eight. */
    uint64_t fast_hits_untimed, fast_hits_timed;
    /* Timed hits are counted in two steps: the last fast_lat_n of them
     * each took fast_lat cycles, and their translate_cycles and
     * latency_hist counts are not in st either (a hit with nothing in
     * flight always takes the same latency, so one compare and one
     * increment replace three read-modify-writes); when a hit takes a
     * different latency, translate_hit moves them into st and
     * fast_hits_timed. riommu_get_stats adds them (fast_hits_fold). */
    uint32_t fast_lat;
    uint64_t fast_lat_n;
};

/* ---- helpers shared by all files ----------------------------------------- */

static inline uint64_t reg_get(const riommu *m, uint32_t off)
{
    int16_t s = m->slot[off / 4];
    return s < 0 ? 0 : m->regs[s].val;
}
static inline void reg_set(riommu *m, uint32_t off, uint64_t val)
{
    int16_t s = m->slot[off / 4];
    if (s >= 0)
        m->regs[s].val = val;
}

static inline uint64_t cap(const riommu *m) { return m->cfg.capabilities; }
static inline bool cap_has(const riommu *m, uint64_t bit)
{
    return (m->cfg.capabilities & bit) != 0;
}
static inline bool defect(const riommu *m, uint32_t d) { return (m->cfg.defects & d) != 0; }
static inline unsigned cap_pas(const riommu *m)
{
    return (unsigned)RIOMMU_FIELD_GET(m->cfg.capabilities, RIOMMU_CAP_PAS);
}

/* Register value access by offset (offset of the register's first byte);
 * reg_get is inline (below struct riommu): the translation path reads ddtp
 * and fctl on every request. */
static inline uint64_t reg_get(const riommu *m, uint32_t off);
static inline void reg_set(riommu *m, uint32_t off, uint64_t val); /* raw, no side
                                                                      effects */
void regs_init(riommu *m);   /* build the table for the configuration */
void regs_reset(riommu *m);  /* reset values */
/* A queue CSR's BUSY window ended (or none was configured): ON follows EN. */
void qcsr_settle_on(riommu *m, uint32_t csr_off);

/* ---- mem.c ---------------------------------------------------------------- */

/* True when [pa, pa+len) lies below 2^PAS (or PAS checks are off). */
static inline bool mem_pa_ok(const riommu *m, uint64_t pa, uint64_t len)
{
    if (!m->cfg.check_pas)
        return true;
    unsigned pas = cap_pas(m);
    if (pas >= 64)
        return true;
    uint64_t lim = 1ull << pas;
    return pa < lim && len <= lim - pa;
}
/* 8 bytes in memory order as a value: little- or big-endian (written byte
 * by byte: compilers make each one load, and a byte swap). */
static inline uint64_t mem_ld_le64(const uint8_t *b)
{
    return (uint64_t)b[0] | (uint64_t)b[1] << 8 | (uint64_t)b[2] << 16 | (uint64_t)b[3] << 24 |
           (uint64_t)b[4] << 32 | (uint64_t)b[5] << 40 | (uint64_t)b[6] << 48 |
           (uint64_t)b[7] << 56;
}
static inline uint64_t mem_ld_be64(const uint8_t *b)
{
    return (uint64_t)b[7] | (uint64_t)b[6] << 8 | (uint64_t)b[5] << 16 | (uint64_t)b[4] << 24 |
           (uint64_t)b[3] << 32 | (uint64_t)b[2] << 40 | (uint64_t)b[1] << 48 |
           (uint64_t)b[0] << 56;
}
/* mem_load64 through host mem_read (the host has no mem_page, or declined). */
riommu_mem_status mem_load64_read(riommu *m, uint64_t pa, bool be, riommu_access_kind kind,
                                  uint64_t *val);
/* Implicit loads/stores of 4 or 8 bytes in the given byte order; count
 * statistics; apply PAS check (-> ACCESS_FAULT). mem_load64 is inline:
 * every PTE of a walk is one, read through the host's mem_page when it
 * gives a pointer (riommu_host_ops), which is the same access as a
 * mem_read that copies the bytes. */
/* The 8 bytes at host pointer `b`, counted as a read of `kind`. */
static inline riommu_mem_status mem_load64_at(riommu *m, const uint8_t *b, bool be,
                                              riommu_access_kind kind, uint64_t *val)
{
    m->st.mem_accesses[kind]++;
    *val = be ? mem_ld_be64(b) : mem_ld_le64(b);
    return RIOMMU_MEM_OK;
}
static inline riommu_mem_status mem_load64(riommu *m, uint64_t pa, bool be,
                                           riommu_access_kind kind, uint64_t *val)
{
    if (m->host.mem_page && (pa & 0xFFF) <= 0xFF8 && mem_pa_ok(m, pa, 8)) {
        const uint8_t *b = (const uint8_t *)m->host.mem_page(m->host.ctx, pa, kind);
        if (b)
            return mem_load64_at(m, b, be, kind, val);
    }
    return mem_load64_read(m, pa, be, kind, val);
}
/* mem_load64 of a table word in the page `k` keeps (riommu keep_pages):
 * through the kept pointer when `pa` is in that page, else from the host,
 * keeping the page if it gives a pointer (asked for the page's first byte,
 * so the promise covers the page). Only pages that passed mem_pa_ok are
 * kept: 2^PAS is a multiple of the page size, so the whole page passes.
 * Every access of one `k` is of one kind. */
static inline __attribute__((always_inline)) riommu_mem_status
mem_load64_kept(riommu *m, kept_page *k, uint64_t pa, bool be, riommu_access_kind kind,
                uint64_t *val)
{
    if (!m->keep_pages)
        return mem_load64(m, pa, be, kind, val);
    const uint64_t page = pa & ~0xFFFull;
    if (k->pa != page) {
        const uint8_t *b = mem_pa_ok(m, pa, 8)
                               ? (const uint8_t *)m->host.mem_page(m->host.ctx, page, kind)
                               : NULL;
        if (!b)
            return mem_load64_read(m, pa, be, kind, val);
        k->pa = page;
        k->ptr = b;
    }
    return mem_load64_at(m, k->ptr + (pa & 0xFFF), be, kind, val);
}
riommu_mem_status mem_load32(riommu *m, uint64_t pa, bool be,
                             riommu_access_kind kind, uint32_t *val);
riommu_mem_status mem_store32(riommu *m, uint64_t pa, bool be,
                              riommu_access_kind kind, uint32_t val);
riommu_mem_status mem_store64(riommu *m, uint64_t pa, bool be,
                              riommu_access_kind kind, uint64_t val);
/* Atomic compare-and-swap of 8 (or 4 when `four`) bytes. */
riommu_mem_status mem_cas(riommu *m, uint64_t pa, bool be, bool four,
                          riommu_access_kind kind, uint64_t expected,
                          uint64_t desired, uint64_t *observed);
riommu_mem_status mem_read_raw(riommu *m, uint64_t pa, void *buf, size_t len,
                               riommu_access_kind kind);
riommu_mem_status mem_write_raw(riommu *m, uint64_t pa, const void *buf,
                                size_t len, riommu_access_kind kind);
static inline bool fctl_be(const riommu *m)
{
    return (reg_get(m, RIOMMU_REG_FCTL) & RIOMMU_FCTL_BE) != 0;
}

/* ---- ddt.c ---------------------------------------------------------------- */

/* Result of locating a device context: 0 on success or a cause. */
typedef struct dc_lookup {
    uint16_t cause;   /* 0 = found */
    bool from_cache;
} dc_lookup;

/* Is device_id within the width of the current ddtp mode? */
bool ddt_device_id_fits(const riommu *m, uint32_t device_id);
/* Locate the DC of device_id (ds "Process to locate the Device-context"),
 * through the DDTC; the outcome in *r. */
void ddt_locate(riommu *m, uint32_t device_id, riommu_dc *dc, dc_lookup *r);
/* Check a valid DC (ds "Device-context configuration checks"); 0 or 259. */
uint16_t ddt_dc_check(const riommu *m, const riommu_dc *dc);
static inline unsigned dc_size(const riommu *m)
{
    return cap_has(m, RIOMMU_CAP_MSI_FLAT) ? RIOMMU_DC_EXT_SIZE : RIOMMU_DC_BASE_SIZE;
}

/* ---- walk.c --------------------------------------------------------------- */

typedef struct walk_params {
    unsigned stage;       /* 1: first stage (VS/S), 2: second stage (G) */
    unsigned mode;        /* satp-style MODE: 8/9/10 (or 8 = Sv32 when sxl) */
    bool sxl;             /* Sv32 (stage 1) / Sv32x4 (stage 2) */
    uint64_t root_ppn;
    bool be;              /* PTE byte order */
    bool ade;             /* hardware A/D update enabled (SADE/GADE) */
    bool gv, pscv;        /* cache tags */
    uint16_t gscid;
    uint32_t pscid;
    riommu_req_access access;
    bool priv;            /* supervisor privilege */
    bool sum;             /* permit supervisor access to U pages */
    bool use_walkc;
} walk_params;

typedef struct walk_result {
    uint16_t cause;       /* 0 = translated */
    uint64_t pa;          /* translated address of the IOVA */
    uint64_t vbase, pbase, size; /* translation range */
    uint64_t pte;         /* leaf PTE (after A/D update) */
    unsigned level;       /* level of the leaf */
    bool global;
    uint32_t cycles;      /* the walk's latency once it holds a walker slot:
                             walk-cache probe, PTE reads and A/D updates,
                             port waits included (0 in functional mode) */
    uint32_t mem_reads;
} walk_result;

/* Number of levels and IOVA width of a mode (0 levels: invalid mode). */
unsigned walk_levels(unsigned mode, bool sxl, unsigned stage, unsigned *va_bits);
/* Translate `va` (ds "Process to translate an IOVA", step 17 for stage 1). */
void walk_translate(riommu *m, const walk_params *p, uint64_t va, walk_result *r);
/* Cause for a page fault / access fault of the given access at a stage. */
uint16_t walk_page_fault_cause(unsigned stage, riommu_req_access a);
uint16_t walk_access_fault_cause(riommu_req_access a);

/* ---- ioatc.c -------------------------------------------------------------- */

bool ioatc_init(riommu *m); /* allocate per configuration; false on OOM */
void ioatc_free(riommu *m);
void ioatc_flush_all(riommu *m);
/* DDTC */
bool ddtc_lookup(riommu *m, uint32_t device_id, riommu_dc *dc);
void ddtc_fill(riommu *m, uint32_t device_id, const riommu_dc *dc);
void ddtc_inval(riommu *m, bool dv, uint32_t device_id);
/* The DDTC entry holding device_id, or NULL: the last hit or fill first,
 * else the set. Looks only (ddtc_lookup counts and updates LRU state). */
static inline ddtc_entry *ddtc_find(const riommu_ioatc *c, uint32_t device_id)
{
    ddtc_entry *e = c->ddtc_last;
    if (e && e->valid && e->device_id == device_id)
        return e;
    if (!c->ddtc)
        return NULL;
    e = &c->ddtc[(size_t)(device_id & (c->ddtc_g.sets - 1)) * c->ddtc_g.ways];
    for (uint32_t w = 0; w < c->ddtc_g.ways; w++)
        if (e[w].valid && e[w].device_id == device_id)
            return &e[w];
    return NULL;
}

/* IOTLB internals, inline for the hit path (translate.c): the address bits
 * of each size class (12, 16, 21, 22, 30, 39, 48), the set of an IOVA, the
 * key of a valid entry, the tag match of the table "Identifiers used to tag
 * IOATC entries". */
static inline unsigned tlb_shift(int sc)
{
    return (unsigned)(0x0030271E1615100Cull >> (8 * sc)) & 0xFFu;
}
static inline uint32_t tlb_set(const riommu_ioatc *c, uint64_t iova, int sc)
{
    uint64_t vpn = iova >> tlb_shift(sc);
    return (uint32_t)(vpn ^ (vpn >> 11)) & (c->iotlb_g.sets - 1);
}
static inline uint64_t tlb_key(uint64_t vbase, int sc)
{
    return vbase | (uint64_t)sc << 1 | 1u;
}
static inline bool tlb_tag_match(const iotlb_entry *e, bool gv, uint16_t gscid, bool pscv,
                                 uint32_t pscid)
{
    if (e->gv != gv || (gv && e->gscid != gscid))
        return false;
    if (e->pscv != pscv)
        return false;
    return !pscv || e->global || e->pscid == pscid;
}
/* The entry that translates iova under the tag, smallest size class first;
 * NULL if none. Looks only: no statistics, no replacement state. */
static inline iotlb_entry *iotlb_find(const riommu_ioatc *c, bool gv, uint16_t gscid, bool pscv,
                                      uint32_t pscid, uint64_t iova)
{
    uint32_t present = c->size_classes_present;
    for (int sc = 0; present; sc++, present >>= 1) {
        if (!(present & 1))
            continue;
        const uint32_t ways = c->iotlb_g.ways;
        size_t base = (size_t)tlb_set(c, iova, sc) * ways;
        const uint64_t *k = &c->iotlb_key[base];
        uint64_t want = tlb_key(iova & ~((1ull << tlb_shift(sc)) - 1), sc);
        uint32_t w = 0;
        /* four keys a step, one branch for the four: a miss (the common
         * case of a walk-heavy workload) compares every key of the set */
        for (; w + 4 <= ways; w += 4)
            if ((k[w] == want) | (k[w + 1] == want) | (k[w + 2] == want) | (k[w + 3] == want))
                for (uint32_t j = w; j < w + 4; j++)
                    if (k[j] == want && tlb_tag_match(&c->iotlb[base + j], gv, gscid, pscv, pscid))
                        return &c->iotlb[base + j];
        for (; w < ways; w++)
            if (k[w] == want && tlb_tag_match(&c->iotlb[base + w], gv, gscid, pscv, pscid))
                return &c->iotlb[base + w];
    }
    return NULL;
}
/* IOTLB: returns the entry or NULL (counted, LRU state updated). */
iotlb_entry *iotlb_lookup(riommu *m, bool gv, uint16_t gscid, bool pscv,
                          uint32_t pscid, uint64_t iova);
/* Fill a leaf translation. Scalars, not an iotlb_entry: the caller takes
 * them from a walk_result just written, and copying adjacent fields of
 * that struct compiles to 16-byte loads of 8-byte stores (a store-forwarding
 * stall on every walk). `t` from ioatc_tag_pack. `absent`: the caller
 * knows no entry has this key and tag (its lookup of the address under the
 * tag just missed), so there is none to replace in place. */
void iotlb_fill(riommu *m, ioatc_tag t, uint64_t vbase, uint64_t pbase, uint64_t size,
                uint64_t pte, bool absent);
/* IOTINVAL.VMA semantics (q "IOTINVAL.VMA operands and operations" and the
 * NL / S extensions): av with [addr, addr+len) range; nl also drops non-leaf
 * walk-cache entries for that range. */
void iotlb_inval_vma(riommu *m, bool gv, uint16_t gscid, bool pscv,
                     uint32_t pscid, bool av, uint64_t addr, uint64_t len, bool nl);
/* IOTINVAL.GVMA: entries of VM address spaces (gv: only gscid). */
void iotlb_inval_gvma(riommu *m, bool gv, uint16_t gscid, bool av,
                      uint64_t addr, uint64_t len);
/* Walk cache */
bool walkc_lookup(riommu *m, bool gv, uint16_t gscid, uint32_t pscid,
                  uint64_t iova, unsigned level, uint64_t *pte, bool *global);
void walkc_fill(riommu *m, bool gv, uint16_t gscid, uint32_t pscid,
                uint64_t iova, unsigned level, uint64_t pte, bool global);

/* ---- translate.c ---------------------------------------------------------- */

/* Report a fault: build the record, honour DTF, write it to the FQ, call the
 * observer. Returns true when a record was written. `dtf` is DC.tc.DTF when a
 * valid DC was located, else false. */
bool fault_report(riommu *m, const riommu_fault_record *rec, bool dtf);
/* The translation process without request validation or clock advance;
 * used by riommu_translate, riommu_dma and the debug interface. */
void translate_process(riommu *m, const riommu_request *req, riommu_response *rsp);

/* ---- cmdq.c --------------------------------------------------------------- */

/* Has the command queue work it could do now? */
bool cmdq_runnable(const riommu *m);
/* Fetch and execute one command at once; returns false when nothing was
 * executed. */
bool cmdq_execute_one(riommu *m);
/* cq_next has come: with timing, finish a fetch (and cost the command) or
 * an execution; without, execute one command. Re-arms itself. */
void cmdq_run_due(riommu *m);
/* Validate and decode helpers exposed for tests of encodings. */
bool cmdq_is_legal(const riommu *m, const uint64_t cmd[2]);
void cmdq_schedule(riommu *m); /* (re)arm command execution after state changes */
uint32_t queue_mask(const riommu *m, uint32_t base_off); /* entries - 1 */
uint64_t queue_base_pa(const riommu *m, uint32_t base_off);

/* ---- faultq.c ------------------------------------------------------------- */

/* Append a record to the FQ (q "Fault/Event-Queue"). Returns true when
 * written; sets fqof / fqmf as the spec says. */
bool faultq_write(riommu *m, const riommu_fault_record *rec);

/* ---- intr.c --------------------------------------------------------------- */

/* Re-evaluate every interrupt-pending condition and the wires. */
void intr_update(riommu *m);
/* An edge-type source fired (new FQ or PQ record, HPM overflow). */
void intr_event(riommu *m, unsigned cause);
/* A masked vector may have become unmasked. */
void intr_vector_unmasked(riommu *m, unsigned vector);
void intr_reset(riommu *m);

/* ---- translate.c ---------------------------------------------------------- */

/* Add to `out` (a copy of m->st) the statistics of translate_hit's hits
 * that are kept apart in struct riommu (fast_hits_*, fast_lat*). */
void fast_hits_fold(const riommu *m, riommu_stats *out);

/* ---- hpm.c ---------------------------------------------------------------- */

enum hpm_event {
    HPM_EV_UNTRANSLATED = 1,
    HPM_EV_TRANSLATED = 2,
    HPM_EV_ATS = 3,
    HPM_EV_TLB_MISS = 4,
    HPM_EV_DDT_WALK = 5,
    HPM_EV_PDT_WALK = 6,
    HPM_EV_S1_WALK = 7,
    HPM_EV_S2_WALK = 8,
    HPM_EV_MAX = 8
};

typedef struct hpm_ids {
    uint32_t did, pid;
    bool pv;
    bool pscv, gscv;
    uint32_t pscid;
    uint16_t gscid;
} hpm_ids;

void hpm_count(riommu *m, unsigned event, const hpm_ids *ids);
/* Recompute m->hpm_events and m->hpm_cy_slot after iocountinh or an
 * iohpmevt changed (MMIO writes to the HPM registers, reset). */
void hpm_refresh(riommu *m);
/* Fold the cycles from hpm_cy_at to `t` (>= it) into iohpmcycles while it
 * counts: a wrap sets OF and, when OF was clear, raises the HPM interrupt. */
void hpm_cycles_fold(riommu *m, uint64_t t);
/* hpm_cycles_fold to m->now: before an MMIO write to the HPM registers. */
void hpm_cycles_sync(riommu *m);
/* The clock is about to move to `end` (> m->now): iohpmcycles needs work
 * only if it wraps on the way (hpm_cy_at). Inline: the clock advances
 * after every timed translation. */
static inline void hpm_clock_to(riommu *m, uint64_t end)
{
    if (end >= m->hpm_cy_due)
        hpm_cycles_fold(m, end);
}

/* ---- debug.c -------------------------------------------------------------- */

void debug_start(riommu *m); /* tr_req_ctl.Go/Busy was set */
void debug_complete(riommu *m);

/* ---- timing.c ------------------------------------------------------------- */

bool timing_init(riommu *m); /* allocate the slot pools; false on OOM */
void timing_free(riommu *m);
void timing_reset(riommu *m); /* every slot free, nothing in flight */
static inline void tm_horizon(riommu_timing *tm, uint64_t t)
{
    if (t > tm->horizon)
        tm->horizon = t;
}
void tm_xlate_begin_busy(riommu *m); /* tm_xlate_begin with work in flight */
/* A translation arrives at m->now: take the earliest free translation slot
 * and start the cursor there plus timing.xlate_lat. Inline for the case of
 * a device that waits for each answer (every slot and port free: nothing
 * to search, old reservations forgotten at once by a new epoch); the
 * IOTLB-hit path then costs a few stores here and in tm_cache instead of
 * calls into timing.c. */
static inline void tm_xlate_begin(riommu *m)
{
    riommu_timing *tm = &m->tm;
    uint64_t now = m->now;
    if (tm->horizon > now) {
        tm_xlate_begin_busy(m);
        return;
    }
    tm->arrival = now;
    tm->quiet = true;
    tm->epoch++;
    tm->xslot = 0;
    tm->xlate[0] = UINT64_MAX;
    if (m->st.xlate_max_inflight == 0)
        m->st.xlate_max_inflight = 1;
    tm->t = now + m->cfg.timing.xlate_lat;
}
/* It completes at the cursor: the slot stays busy until then. Returns the
 * latency (completion - arrival), saturated to 32 bits. */
static inline uint32_t tm_xlate_end(riommu *m)
{
    riommu_timing *tm = &m->tm;
    tm->xlate[tm->xslot] = tm->t;
    tm_horizon(tm, tm->t);
    uint64_t lat = tm->t - tm->arrival;
    return lat > UINT32_MAX ? UINT32_MAX : (uint32_t)lat;
}
/* A lookup (n == 1) or an invalidation scan of n sets in cache `id`: take
 * one of its slots for n * lat cycles from the cursor on. */
void tm_cache_slow(riommu *m, riommu_cache_id id, uint64_t n);
/* A table walk starts at the cursor: take a walker slot; returns it. */
unsigned tm_walk_begin(riommu *m);
void tm_walk_end(riommu *m, unsigned slot); /* held until the cursor */
/* Latest completion of a translation in flight (<= m->now: none). */
uint64_t tm_inflight_until(const riommu *m);
/* Is reserved work (translations, DMA data, scans) still running? Its end
 * needs no event: nothing happens then, but riommu_settle waits for it. */
static inline bool tm_busy(const riommu *m)
{
    return m->tm.on && m->tm.horizon > m->now;
}

static inline void tm_cache(riommu *m, riommu_cache_id id)
{
    riommu_timing *tm = &m->tm;
    if (!tm->on || !tm->cache[id].slots)
        return;
    tm_port *p = &tm->cache[id].port[0];
    if (tm->quiet && p->epoch != tm->epoch) {
        /* Alone, first use of this cache: its first port is free now (what
         * tm_cache_slow would find). The translation's end covers horizon. */
        p->epoch = tm->epoch;
        p->n = 1;
        p->iv[0].start = tm->t;
        tm->t += tm->cache[id].lat;
        p->iv[0].end = tm->t;
        return;
    }
    tm_cache_slow(m, id, 1);
}
/* The whole cost of an IOTLB hit (translate.c translate_hit): what
 * tm_xlate_begin, tm_cache(DDTC), tm_cache(IOTLB) and tm_xlate_end do in
 * that order, returning the latency. When nothing is in flight the cursor
 * is kept in a register and each structure is written once (the separate
 * steps reloaded it after every store); else the steps themselves. */
uint32_t tm_xlate_hit_busy(riommu *m);
static inline uint32_t tm_xlate_hit(riommu *m)
{
    riommu_timing *tm = &m->tm;
    uint64_t now = m->now;
    uint32_t ep = tm->epoch + 1;
    tm_port *pd = tm->cache[RIOMMU_CACHE_DDTC].port, *pi = tm->cache[RIOMMU_CACHE_IOTLB].port;
    /* (A port stamped 2^32 epochs ago would look in use: the steps handle it.) */
    if (tm->horizon > now || (pd && pd->epoch == ep) || (pi && pi->epoch == ep))
        return tm_xlate_hit_busy(m);
    tm->epoch = ep;
    tm->arrival = now;
    tm->quiet = true;
    tm->xslot = 0;
    if (m->st.xlate_max_inflight == 0)
        m->st.xlate_max_inflight = 1;
    uint64_t t = now + m->cfg.timing.xlate_lat;
    if (pd) { /* slots != 0 exactly when the ports exist (timing_init) */
        pd->epoch = ep;
        pd->n = 1;
        pd->iv[0].start = t;
        t += tm->cache[RIOMMU_CACHE_DDTC].lat;
        pd->iv[0].end = t;
    }
    if (pi) {
        pi->epoch = ep;
        pi->n = 1;
        pi->iv[0].start = t;
        t += tm->cache[RIOMMU_CACHE_IOTLB].lat;
        pi->iv[0].end = t;
    }
    tm->t = t;
    tm->xlate[0] = t;
    tm->horizon = t; /* t >= now >= the old horizon */
    uint64_t lat = t - now;
    return lat > UINT32_MAX ? UINT32_MAX : (uint32_t)lat;
}
/* One implicit memory access at the cursor. */
static inline void tm_mem(riommu *m)
{
    if (m->tm.on)
        m->tm.t += m->cfg.timing.mem_lat;
}
/* The cycles of one implicit access of `bytes` (a device context, a fault
 * record, a command): mem_lat, and mem_beat_lat for each further 8 bytes. */
static inline uint64_t tm_mem_cost(const riommu *m, unsigned bytes)
{
    const riommu_timing_config *t = &m->cfg.timing;
    return t->mem_lat + (bytes > 8 ? (uint64_t)((bytes - 1) / 8) * t->mem_beat_lat : 0);
}
/* One implicit access of `bytes` at the cursor. */
static inline void tm_mem_bytes(riommu *m, unsigned bytes)
{
    if (m->tm.on)
        m->tm.t += tm_mem_cost(m, bytes);
}
/* A translation faulted (docs/timing.md "Faults"): timing.fault_lat at the
 * cursor; a record for the fault queue (`record`) then waits until the
 * record writer is free, which writes it (a 32-byte implicit access) while
 * the translation completes. */
void tm_fault(riommu *m, bool record);

/* ---- iommu.c -------------------------------------------------------------- */

/* Run internal work that is due at m->now (BUSY completions, commands). */
void model_run_due(riommu *m);
/* Cycle of the next pending internal event, or UINT64_MAX. */
/* BUSY windows and the command queue's next step (riommu.pending). */
static inline bool busy_active(const riommu *m, const queue_pending *p)
{
    return (m->pending & p->bit) != 0;
}
static inline void busy_start(riommu *m, queue_pending *p, uint64_t done_at)
{
    p->done_at = done_at;
    m->pending |= p->bit;
}
static inline void busy_end(riommu *m, queue_pending *p)
{
    m->pending &= (uint8_t)~p->bit;
}
static inline bool cq_sched(const riommu *m) { return (m->pending & PENDING_CQ_STEP) != 0; }
static inline void cq_sched_set(riommu *m, bool on)
{
    m->pending = on ? (uint8_t)(m->pending | PENDING_CQ_STEP)
                    : (uint8_t)(m->pending & ~PENDING_CQ_STEP);
}
static inline uint64_t pending_at(const riommu *m, const queue_pending *p, uint64_t t)
{
    return busy_active(m, p) && p->done_at < t ? p->done_at : t;
}
/* Inline: asked after every translation. */
static inline uint64_t model_next_event(const riommu *m)
{
    uint64_t t = cq_sched(m) ? m->cq_next : UINT64_MAX;
    t = pending_at(m, &m->ddtp_busy, t);
    t = pending_at(m, &m->cq_busy, t);
    t = pending_at(m, &m->fq_busy, t);
    t = pending_at(m, &m->pq_busy, t);
    return pending_at(m, &m->dbg_busy, t);
}
/* Is any internal event pending at all? (The usual answer is no, and it
 * is cheaper to give than the time of the next one: one load.) */
static inline bool model_any_pending(const riommu *m)
{
    return m->pending != 0;
}
/* Would riommu_step(m, 0) do anything? (Nothing due now.) */
static inline bool model_due_now(const riommu *m)
{
    return model_any_pending(m) && model_next_event(m) <= m->now;
}

/* riommu_step(m, cycles) when no internal event is pending at all
 * (!model_any_pending): nothing can fall due on the way, so the clock and
 * the HPM cycle counter simply advance (advance_to in iommu.c). Inline:
 * riommu_translate calls it after every timed translation. */
static inline void clock_advance_idle(riommu *m, uint64_t cycles)
{
    uint64_t end = cycles > UINT64_MAX - m->now ? UINT64_MAX : m->now + cycles;
    if (end > m->now) {
        hpm_clock_to(m, end);
        m->now = end;
    }
}

#define OBS(m, hook, ...)                                                      \
    do {                                                                       \
        if ((m)->obs.hook)                                                     \
            (m)->obs.hook((m)->obs.ctx, __VA_ARGS__);                          \
    } while (0)

#endif /* RIOMMU_INTERNAL_H */
