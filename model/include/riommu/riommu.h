/*
 * riommu.h - libriommu, a cycle-approximate C model of a RISC-V IOMMU
 * (RISC-V IOMMU specification, ratified release 20260222).
 *
 * WHAT THE MODEL DOES (this release)
 *   - Every register of the register chapter at its offset, with reset
 *     values and RW / RO / RW1C / RW1S / WARL semantics held as data
 *     (per-register masks and legalisers, model/src/regs.c), for the
 *     capabilities configured; optional registers read 0 when absent.
 *   - ddtp modes Off / Bare / 1LVL / 2LVL / 3LVL, WARL legalisation, BUSY.
 *   - Device-directory walk (1/2/3 levels, base and extended device
 *     contexts), every DC validity check, causes 256-260 and 268.
 *   - First-stage translation Sv32 / Sv39 / Sv48 / Sv57 with every PTE check,
 *     superpages at every level, Svnapot 64 KiB, Svpbmt, Svrsw60t59b, A/D
 *     faults or atomic A/D updates (DC.tc.SADE with AMO_HWAD).
 *   - IOATC: device-context cache, IOTLB and non-leaf walk cache, tagged by
 *     device_id / GSCID / PSCID / global as the invalidation rules require,
 *     with configurable geometry and replacement policy.
 *   - Command queue with IOTINVAL.VMA (incl. NL and S extensions),
 *     IODIR.INVAL_DDT, IOFENCE.C (PR, PW, AV, WSI), illegal-command and
 *     memory-fault stalls; IOTINVAL.GVMA, IODIR.INVAL_PDT and ATS commands
 *     are unsupported (cmd_ill) while their capabilities are absent.
 *   - Fault queue (records, overflow, memory fault), ipsr / icvec /
 *     msi_cfg_tbl, wired and message interrupts.
 *   - HPM (iohpmcycles, event counters with ID filters), the debug
 *     translation-request interface, QoS IDs (iommu_qosid, DC.ta RCID/MCID).
 *   - Cycle-approximate timing (docs/timing.md): translation, walker and
 *     per-cache lookup slots with latencies charged where the work is done,
 *     overlapping issued translations (riommu_issue_translate/_dma),
 *     command fetch, execution and invalidation-scan time, IOFENCE.C
 *     waiting for translations in flight; a functional mode without it.
 *     Not modelled: memory bandwidth and contention, reordering at the
 *     walker, the cost of fills, records and MSIs (docs/timing.md "Limits").
 *
 * WHAT IT DOES NOT DO YET (riommu_config_check refuses the capabilities)
 *   - Second-stage translation (Sv32x4..Sv57x4), process directories
 *     (PD8/PD17/PD20), MSI address translation with MRIF (MSI_MRIF,
 *     AMO_MRIF), ATS / PRI / T2GPA and so the page-request queue.
 *     MSI_FLAT is accepted: extended device contexts are walked and
 *     checked, and msiptp must be Off because iohgatp can only be Bare.
 *     The walker, contexts and cache tags are already shaped for these.
 *
 * Threading: a model instance is not thread-safe; use one thread per
 * instance. There is no global state: instances are independent.
 *
 * Units: time is in IOMMU clock cycles (uint64_t); addresses are byte
 * addresses; sizes are bytes.
 */
#ifndef RIOMMU_H
#define RIOMMU_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "riommu_bits.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct riommu riommu;

/* ------------------------------------------------------------------------- */
/* Host interface                                                             */
/* ------------------------------------------------------------------------- */

/* Why the IOMMU touches memory. Hosts may use it to model PMA/PMP per kind,
 * to inject faults, or to log streams (cosim compares them per kind). */
typedef enum riommu_access_kind {
    RIOMMU_ACC_DDT = 0,    /* device-directory entries and device contexts */
    RIOMMU_ACC_PDT,        /* process-directory entries and contexts */
    RIOMMU_ACC_PTE_S1,     /* first-stage PTE read */
    RIOMMU_ACC_PTE_S2,     /* second-stage PTE read */
    RIOMMU_ACC_AD_UPDATE,  /* atomic A/D update of a PTE */
    RIOMMU_ACC_MSI_PTE,    /* MSI page-table entry */
    RIOMMU_ACC_MRIF,       /* memory-resident interrupt file */
    RIOMMU_ACC_CQ,         /* command fetch */
    RIOMMU_ACC_FQ,         /* fault record write */
    RIOMMU_ACC_PQ,         /* page-request record write */
    RIOMMU_ACC_FENCE_DATA, /* IOFENCE.C AV=1 completion write */
    RIOMMU_ACC_IOMMU_MSI,  /* IOMMU-originated interrupt message */
    RIOMMU_ACC_DMA_DATA,   /* device data moved by riommu_dma() */
    RIOMMU_ACC_KIND_COUNT
} riommu_access_kind;

/* Outcome of a host memory access. */
typedef enum riommu_mem_status {
    RIOMMU_MEM_OK = 0,
    RIOMMU_MEM_ACCESS_FAULT = 1,   /* PMA/PMP violation or bus error */
    RIOMMU_MEM_DATA_CORRUPTION = 2 /* poisoned data (RAS, spec hw guidelines) */
} riommu_mem_status;

/*
 * Host operations. The model calls them synchronously from riommu_mmio_*,
 * riommu_translate/riommu_dma and riommu_step/settle; never from another
 * thread. `ctx` is passed back unchanged.
 *
 * mem_read/mem_write: `len` is 1..4096 bytes, the range never crosses a
 *   4 KiB boundary for table accesses; `buf` holds the bytes in memory order
 *   (the model applies fctl.BE / DC.tc.SBE itself). Required.
 * mem_cas64: atomic compare-and-swap of the naturally aligned 8 bytes at
 *   `pa` (memory order bytes given as little-endian uint64 values of the
 *   raw bytes). Stores `desired` only if memory equals `expected`; always
 *   returns the old memory value in *observed. Optional: when NULL the
 *   model performs read, compare and write (atomic within one instance).
 * wire: set the level of wired interrupt vector `vector` (0..15). Called
 *   only on a level change. Optional.
 * msi: an IOMMU-originated MSI (4-byte `data` written at `addr`); `data` is
 *   the value, the host applies its own byte order. Optional: when NULL the
 *   model uses mem_write with RIOMMU_ACC_IOMMU_MSI, in fctl.BE byte order.
 * mem_page: direct read access, a shortcut for mem_read. Returns a pointer
 *   to the byte at `pa`, through which the model may read the bytes from
 *   `pa` to the end of its 4 KiB page (in memory order, as mem_read would
 *   copy them) until its next call of any host operation, and never keeps
 *   it (unless `flags` has RIOMMU_HOST_STABLE_PAGES, below); or NULL, and
 *   the model calls mem_read for the access instead.
 *   Returning a pointer promises that mem_read(pa, .., kind) would return
 *   RIOMMU_MEM_OK with those bytes and do nothing else: a host must return
 *   NULL for any access it faults, poisons, logs or otherwise observes.
 *   The model asks only after its own checks (the PAS check of
 *   riommu_config.check_pas), counts the access as it counts a mem_read,
 *   and applies byte order (fctl.BE, DC.tc.SBE) itself. Used for 8-byte
 *   table loads (PTEs, DDT entries and device contexts, commands), which
 *   it saves a copy and the host's lookup of each. Optional: when NULL
 *   every read goes through mem_read. Example: memhost_ops (memhost.h)
 *   returns its page's data + (pa & 0xFFF), NULL for a page never written.
 * flags: RIOMMU_HOST_* bits, 0 for none.
 *   RIOMMU_HOST_STABLE_PAGES (with mem_page): the pointer mem_page
 *   returns, and its promise, last until the host calls
 *   riommu_invalidate_pages for a range that covers the page or destroys
 *   the model, not only until the next host call. It must point at the
 *   memory itself, so that the host's writes show through it. The model
 *   may then keep the pointer and read through it later, for accesses of
 *   the same kind, without asking again (the page-table and device-
 *   directory walks ask for a table page's first byte and keep the last
 *   table page of each level: consecutive walks read the same table
 *   pages). Like TLM-2.0's direct
 *   memory interface: a host that starts to fault, poison or observe
 *   reads of a page, or moves or frees it, first calls
 *   riommu_invalidate_pages. Example: memhost_ops (pages never move or go
 *   away before memhost_destroy).
 */
#define RIOMMU_HOST_STABLE_PAGES 0x1u
typedef struct riommu_host_ops {
    void *ctx;
    riommu_mem_status (*mem_read)(void *ctx, uint64_t pa, void *buf, size_t len,
                                  riommu_access_kind kind);
    riommu_mem_status (*mem_write)(void *ctx, uint64_t pa, const void *buf,
                                   size_t len, riommu_access_kind kind);
    riommu_mem_status (*mem_cas64)(void *ctx, uint64_t pa, uint64_t expected,
                                   uint64_t desired, uint64_t *observed,
                                   riommu_access_kind kind);
    void (*wire)(void *ctx, unsigned vector, bool level);
    riommu_mem_status (*msi)(void *ctx, uint64_t addr, uint32_t data);
    const void *(*mem_page)(void *ctx, uint64_t pa, riommu_access_kind kind);
    uint32_t flags;
} riommu_host_ops;

/* ------------------------------------------------------------------------- */
/* Configuration                                                              */
/* ------------------------------------------------------------------------- */

typedef enum riommu_repl_policy {
    RIOMMU_REPL_LRU = 0,  /* true LRU within a set */
    RIOMMU_REPL_FIFO = 1, /* round robin within a set */
    RIOMMU_REPL_RANDOM = 2 /* xorshift PRNG seeded from riommu_config.seed */
} riommu_repl_policy;

/* Geometry and timing of one cache; knob names follow DESIGN.md §2.5 and
 * docs/timing.md ("Parameters"). */
typedef struct riommu_cache_config {
    uint32_t entries;          /* total entries; 0 disables the cache */
    uint32_t assoc;            /* ways per set; 0 = fully associative.
                                  entries must be a multiple of assoc and
                                  entries/assoc a power of two */
    riommu_repl_policy policy; /* replacement within a set */
    bool enable;               /* false: never look up or fill */
    uint32_t lat;              /* lookup latency, cycles (default 1) */
    uint32_t slots;            /* lookup ports, 1..64: a lookup holds one for
                                  `lat` cycles, so slots == lat is fully
                                  pipelined (default 1) */
} riommu_cache_config;

/*
 * Cycle-approximate timing (docs/timing.md). With `enable`, every
 * translation takes one of `xlate_slots` translation slots, each cache
 * lookup one of that cache's slots for its `lat`, each table walk one of
 * `ptw_slots` walker slots, each implicit memory access costs `mem_lat`;
 * commands cost a fetch, `cmd_lat` and their invalidation scans, and
 * IOFENCE.C waits for the translations in flight. Without `enable`
 * (functional mode) translations and commands cost nothing but the BUSY
 * windows and `cmd_lat` per command, and responses carry 0 cycles.
 */
/* Largest accepted value of every latency and BUSY knob, cycles. */
#define RIOMMU_TIMING_MAX_LAT (1u << 20)

typedef struct riommu_timing_config {
    uint32_t mem_lat;      /* one implicit memory access, cycles (default 20) */
    uint32_t cmd_lat;      /* execute one command after its fetch, cycles (default 4) */
    uint32_t ddtp_busy;    /* ddtp.busy after a mode change, cycles (default 8) */
    uint32_t qcsr_busy;    /* cq/fq/pqcsr.busy after en/dis, cycles (default 8) */
    uint32_t xlate_lat;    /* fixed pipeline cost of every translation (default 2) */
    bool enable;           /* latency and slot accounting on (default true) */
    uint32_t xlate_slots;  /* translations in flight at once, 1..256 (default 8) */
    uint32_t ptw_slots;    /* table walks (DDT and page table) at once, 1..64
                              (default 2) */
    uint32_t clock_mhz;    /* IOMMU clock, MHz, 1..100000 (default 1000): only
                              converts cycles to time (riommu_cycles_to_ns) */
    /* The device side of riommu_dma / riommu_issue_dma (docs/timing.md
     * "DMA transactions"): a DMA is split into naturally aligned
     * transactions of dma_txn_bytes, each translated on its own (an IOTLB
     * lookup each) and moving its data in dma_rd_lat (reads, exec) or
     * dma_wr_lat (writes) cycles once its translation completes. */
    uint32_t dma_txn_bytes; /* a power of two, 8..4096 (default 4096: a page) */
    uint32_t dma_rd_lat;    /* cycles, 0..2^20 (default 20) */
    uint32_t dma_wr_lat;    /* cycles, 0..2^20 (default 20) */
    /* Each further 8 bytes of an implicit access larger than 8 (a device
     * context, a fault record, a command), cycles, 0..2^20 (default 0: a
     * memory port as wide as the access). */
    uint32_t mem_beat_lat;
    /* A faulting translation's reporting before its response, cycles,
     * 0..2^20 (default 0). */
    uint32_t fault_lat;
} riommu_timing_config;

/*
 * Deliberately wrong behaviours (riommu_config.defects), for proving that
 * co-simulation catches real bugs: a second model with defects runs beside a
 * correct reference and every defect must show up as a mismatch. Never set
 * them in a reference model. Each costs one predictable branch where it acts.
 */
typedef enum riommu_defect {
    RIOMMU_DEFECT_WRONG_CAUSE = 1u << 0,        /* read/write page-fault causes swapped (13<->15) */
    RIOMMU_DEFECT_IGNORE_PSCID_INVAL = 1u << 1, /* IOTINVAL.VMA with PSCV=1 does nothing */
    RIOMMU_DEFECT_IGNORE_ADDR_INVAL = 1u << 2,  /* IOTINVAL.VMA with AV=1 does nothing */
    RIOMMU_DEFECT_IGNORE_DDT_INVAL = 1u << 3,   /* IODIR.INVAL_DDT does nothing */
    RIOMMU_DEFECT_WRONG_IOTVAL = 1u << 4,       /* iotval one page too high */
    RIOMMU_DEFECT_WRONG_DID = 1u << 5,          /* fault-record DID with bit 0 flipped */
    RIOMMU_DEFECT_DROP_RECORD = 1u << 6,        /* every second fault record silently lost */
    RIOMMU_DEFECT_FQT_SKIP = 1u << 7,           /* fqt advances by two per record */
    RIOMMU_DEFECT_NO_D_UPDATE = 1u << 8,        /* A/D update never writes D */
    RIOMMU_DEFECT_NO_CANONICAL_CHECK = 1u << 9, /* non-canonical IOVAs translate (aliased) */
    RIOMMU_DEFECT_SUPERPAGE_OFFSET = 1u << 10,  /* superpage PA keeps only the 4 KiB offset */
    RIOMMU_DEFECT_FENCE_DATA = 1u << 11,        /* IOFENCE.C AV writes DATA + 1 */
    RIOMMU_DEFECT_MSI_DATA = 1u << 12,          /* MSIs carry data + 1 */
    RIOMMU_DEFECT_IGNORE_U = 1u << 13,          /* PTE U bit not checked */
    RIOMMU_DEFECT_CQ_ILL_ADVANCE = 1u << 14,    /* cqh moves past an illegal command */
    RIOMMU_DEFECT_WRONG_TTYP = 1u << 15,        /* writes reported with a read TTYP */
    RIOMMU_DEFECT_ALL = (1u << 16) - 1
} riommu_defect;

/* Name of a single defect bit ("wrong-cause", ...); NULL if unknown. */
const char *riommu_defect_name(uint32_t bit);

typedef struct riommu_config {
    /* The capabilities register value. Fields the model cannot honour yet
     * make riommu_config_check fail (see the header comment). Default:
     * version 1.0, Sv39/Sv48/Sv57, Svpbmt, Svrsw60t59b, AMO_HWAD, END,
     * IGS=BOTH, PAS=56, NL, S. */
    uint64_t capabilities;

    /* --- implementation-defined choices the spec leaves open --- */
    uint32_t fctl_reset;        /* fctl after reset (BE/WSI/GXL); default 0 */
    bool fctl_gxl_writable;     /* fctl.GXL writable (enables DC.tc.SXL=1);
                                   requires Sv32 or Sv32x4; default false */
    uint8_t ddtp_reset_mode;    /* Off (0, recommended) or Bare (1) */
    uint8_t ddt_modes;          /* bit m set = ddtp mode m (2..4) supported;
                                   default all three (0x1C) */
    uint64_t ddtp_fixed_ppn;    /* non-zero: ddtp.PPN hard-wired (WARL) */
    uint8_t cq_max_log2szm1;    /* largest cqb.LOG2SZ-1 accepted (0..31); 15 */
    uint8_t fq_max_log2szm1;    /* largest fqb.LOG2SZ-1 (0..31); default 15 */
    uint8_t pq_max_log2szm1;    /* largest pqb.LOG2SZ-1 (0..31); default 15 */
    uint64_t cq_fixed_ppn;      /* non-zero: cqb.PPN hard-wired */
    uint64_t fq_fixed_ppn;      /* non-zero: fqb.PPN hard-wired */
    uint64_t pq_fixed_ppn;      /* non-zero: pqb.PPN hard-wired */
    uint8_t num_vectors;        /* interrupt vectors 1..16 (icvec WARL and
                                   msi_cfg_tbl entries); default 16 */
    uint8_t hpm_counters;       /* iohpmctr/evt implemented, 1..31; default 8 */
    uint8_t hpm_counter_bits;   /* width of iohpmctrN (32..64); default 64 */
    uint8_t rcid_bits;          /* iommu_qosid/DC.ta RCID width; default 12 */
    uint8_t mcid_bits;          /* MCID width; default 12 */
    bool iotval_page_offset;    /* true: iotval holds the full IOVA; false:
                                   page offset reported as 0 (allowed by the
                                   spec's note); default true */
    bool check_pas;             /* implicit and translated addresses at or
                                   above 2^PAS give access faults; default true */
    bool synchronous;           /* true: register side effects (BUSY, queue
                                   on/off, command execution) complete within
                                   the MMIO access, as QEMU does; default false */
    bool qb_write_clears_index; /* a cqb/fqb/pqb write sets the whole of cqt/
                                   fqh/pqh (and cqh/fqt/pqt) to 0, as QEMU
                                   does; false: bits below LOG2SZ keep their
                                   value (both allowed: "valid but otherwise
                                   UNSPECIFIED"); default false */
    uint32_t seed;              /* PRNG seed for RANDOM replacement */
    uint32_t defects;           /* riommu_defect bits; 0 (correct) by default */

    /* --- IOATC geometry --- */
    riommu_cache_config ddtc;   /* device contexts; default 64 x 4-way LRU */
    riommu_cache_config pdtc;   /* process contexts (reserved for PDT support) */
    riommu_cache_config iotlb;  /* leaf translations; default 256 x 8-way */
    riommu_cache_config walkc;  /* non-leaf first-stage PTEs; default 64 x 4 */

    riommu_timing_config timing;
} riommu_config;

/* Fill *cfg with the documented defaults. Never fails. */
void riommu_config_default(riommu_config *cfg);

/*
 * Check a configuration. Returns true when riommu_create would accept it.
 * On false, writes a one-line reason naming the offending field into
 * err[0..errlen-1] (always NUL-terminated when errlen > 0).
 */
bool riommu_config_check(const riommu_config *cfg, char *err, size_t errlen);

/* ------------------------------------------------------------------------- */
/* Life cycle                                                                 */
/* ------------------------------------------------------------------------- */

/*
 * Create a model. `cfg` and `host` are copied. Returns NULL when the
 * configuration is rejected (reason in err, as riommu_config_check) or on
 * allocation failure ("out of memory"). The new model is in reset state.
 */
riommu *riommu_create(const riommu_config *cfg, const riommu_host_ops *host,
                      char *err, size_t errlen);

/* Destroy a model (NULL is allowed). */
void riommu_destroy(riommu *m);

/*
 * The host's mem_page answer for [pa, pa + len) may change (len 0: all of
 * memory): the model forgets every page pointer it kept in that range
 * (riommu_host_ops flag RIOMMU_HOST_STABLE_PAGES) and asks mem_page again
 * on its next access there. Any time outside a host operation; cheap; a
 * no-op without that flag.
 */
void riommu_invalidate_pages(riommu *m, uint64_t pa, uint64_t len);

/*
 * Reset: registers to their reset values (regs "Reset behavior"), caches
 * emptied, pending work dropped, wires deasserted (host->wire called for
 * each asserted vector). Statistics and the cycle counter are kept.
 */
void riommu_reset(riommu *m);

/* The configuration the model was created with. */
const riommu_config *riommu_get_config(const riommu *m);

/* ------------------------------------------------------------------------- */
/* Register interface                                                         */
/* ------------------------------------------------------------------------- */

typedef enum riommu_mmio_status {
    RIOMMU_MMIO_OK = 0,
    RIOMMU_MMIO_BAD_SIZE = 1,      /* size not 4 or 8: ignored, reads 0 */
    RIOMMU_MMIO_MISALIGNED = 2,    /* offset not aligned to size: ignored */
    RIOMMU_MMIO_OUT_OF_RANGE = 3,  /* offset + size > 0x1000: ignored */
    RIOMMU_MMIO_SPANS_REGS = 4     /* 8-byte access across two 4-byte
                                      registers: ignored, reads 0 */
} riommu_mmio_status;

/*
 * Read `size` (4 or 8) bytes at register offset `off` (< 0x1000, naturally
 * aligned). A 4-byte access to either half of an 8-byte register reads that
 * half. Reads have no side effects except on registers whose reads the spec
 * gives effects (none in this release). *val is 0 on error.
 */
riommu_mmio_status riommu_mmio_read(riommu *m, uint32_t off, unsigned size,
                                    uint64_t *val);

/*
 * Write `size` (4 or 8) bytes. A 4-byte write to one half of an 8-byte
 * register merges with the other half and applies the register's semantics
 * to the merged value, so software may write 64-bit registers as two halves
 * in either order (the mode of ddtp changes only when the half holding
 * iommu_mode is written). Unsupported-feature registers ignore writes.
 */
riommu_mmio_status riommu_mmio_write(riommu *m, uint32_t off, unsigned size,
                                     uint64_t val);

/* ------------------------------------------------------------------------- */
/* Device requests                                                            */
/* ------------------------------------------------------------------------- */

typedef enum riommu_req_kind {
    RIOMMU_REQ_UNTRANSLATED = 0, /* IOVA from the device */
    RIOMMU_REQ_TRANSLATED = 1,   /* address from an earlier ATS completion */
    RIOMMU_REQ_ATS = 2           /* PCIe ATS translation request */
} riommu_req_kind;

typedef enum riommu_req_access {
    RIOMMU_READ = 0,
    RIOMMU_WRITE = 1, /* writes and AMOs */
    RIOMMU_EXEC = 2   /* read for execute */
} riommu_req_access;

typedef struct riommu_request {
    uint32_t device_id;       /* 24 bits; wider values are rejected */
    uint32_t process_id;      /* 20 bits; used when pv */
    bool pv;                  /* process_id valid */
    bool priv;                /* supervisor privilege (meaningful when pv) */
    riommu_req_kind kind;
    riommu_req_access access;
    uint64_t iova;            /* address of the first byte */
    uint32_t len;             /* bytes, >= 1; riommu_translate checks the
                                 first byte's page only */
} riommu_request;

typedef enum riommu_rsp_status {
    RIOMMU_RSP_OK = 0,       /* translated; pa valid */
    RIOMMU_RSP_FAULT = 1,    /* aborted; cause says why */
    RIOMMU_RSP_BAD_REQUEST = 2 /* request itself malformed (device_id wider than
                                  24 bits, len 0, process_id wider than 20
                                  bits): not a transaction, nothing reported */
} riommu_rsp_status;

typedef struct riommu_response {
    riommu_rsp_status status;
    uint16_t cause;         /* enum riommu_cause when status == FAULT */
    bool recorded;          /* a fault record was written to the FQ */
    uint64_t pa;            /* translated address of iova (status OK) */
    uint64_t range_size;    /* bytes covered by this translation (4 KiB ..) */
    bool r, w, x;           /* permissions of the translation */
    bool global;            /* G bit of the mapping */
    uint8_t pbmt;           /* memory type (Svpbmt) */
    uint16_t rcid, mcid;    /* QoS IDs for the request (0 without QOSID) */
    uint32_t cycles;        /* modelled latency: completion minus arrival
                               cycle, queueing included (docs/timing.md);
                               0 in functional mode (timing.enable false) */
    bool iotlb_hit;         /* served from the IOTLB */
} riommu_response;

/*
 * Translate one device request through the IOMMU, exactly as the
 * translation process (ds "Process to translate an IOVA"): device-context
 * lookup, checks, first-stage walk, A/D update, caching, and on a fault the
 * record in the fault queue (unless DC.tc.DTF suppresses it). The IOVA's
 * first byte decides; `len` is only validated. The request arrives at
 * riommu_now(); the clock then advances to its completion, so
 * rsp->cycles elapse (a device that waits for its answer). Returns
 * rsp->status.
 */
riommu_rsp_status riommu_translate(riommu *m, const riommu_request *req,
                                   riommu_response *rsp);

/*
 * As riommu_translate, but the clock does not advance: the request arrives
 * at riommu_now(), its functional effects (cache fills, A/D updates, fault
 * record) happen now, and it completes at riommu_now() + rsp->cycles while
 * holding a translation slot until then. Requests issued at the same cycle
 * overlap up to the slot counts and queue beyond (docs/timing.md
 * "Overlap"). riommu_step/riommu_settle move time on; riommu_idle is false
 * while one is in flight.
 */
riommu_rsp_status riommu_issue_translate(riommu *m, const riommu_request *req,
                                         riommu_response *rsp);

/*
 * A complete device DMA: split into naturally aligned transactions of
 * timing.dma_txn_bytes (default a 4 KiB page; docs/timing.md "DMA
 * transactions"), translate each and move its data through
 * host->mem_read/mem_write (RIOMMU_ACC_DMA_DATA), one after another.
 * For RIOMMU_READ/EXEC, `buf` receives req->len bytes; for RIOMMU_WRITE it
 * supplies them. Stops at the first faulting page (no data moved for it or
 * later pages); rsp describes the faulting or, on success, the first
 * transaction; rsp->cycles is the sum of the transactions' latencies.
 * A host memory error on the data access yields status FAULT with cause
 * 5/7/1 (access fault) and no fault record (the IO bridge reports it).
 */
riommu_rsp_status riommu_dma(riommu *m, const riommu_request *req, void *buf,
                             riommu_response *rsp);

/*
 * As riommu_dma, without advancing the clock: every transaction's
 * translation arrives at riommu_now() (a burst), each transaction's data
 * moves when its translation completes (`timing.dma_rd_lat` /
 * `dma_wr_lat`), and rsp->cycles is the time until the last data has
 * moved. Functional effects happen now.
 */
riommu_rsp_status riommu_issue_dma(riommu *m, const riommu_request *req, void *buf,
                                   riommu_response *rsp);

/* ------------------------------------------------------------------------- */
/* Time                                                                       */
/* ------------------------------------------------------------------------- */

/* Advance the model clock by `cycles`, running the work that becomes due
 * (BUSY completions, command fetch and execution), each at its cycle. */
void riommu_step(riommu *m, uint64_t cycles);

/*
 * Run until idle: all pending BUSY transitions finished, every issued
 * translation completed, and the command queue empty, stopped by an error,
 * or off. Returns the cycles that elapsed. Bounded: at most one pass over
 * the command ring. Stepping one cycle at a time until riommu_idle gives
 * the same state at the same cycle (docs/timing.md "Stepping").
 */
uint64_t riommu_settle(riommu *m);

/* True when riommu_settle would return 0. */
bool riommu_idle(const riommu *m);

/* Cycle counter since creation. */
uint64_t riommu_now(const riommu *m);

/* `cycles` as nanoseconds at timing.clock_mhz. */
double riommu_cycles_to_ns(const riommu *m, uint64_t cycles);

/* ------------------------------------------------------------------------- */
/* Statistics                                                                 */
/* ------------------------------------------------------------------------- */

typedef struct riommu_cache_stats {
    uint64_t lookups, hits, misses, fills, evictions, invalidations;
} riommu_cache_stats;

#define RIOMMU_STAT_CAUSES 276 /* fault causes 0..275 */

typedef struct riommu_stats {
    uint64_t translations;          /* riommu_translate + riommu_dma pages */
    uint64_t translations_ok;
    uint64_t faults_by_cause[RIOMMU_STAT_CAUSES];
    uint64_t fault_records_written;
    uint64_t fault_records_dropped; /* FQ off, full, or in error */
    uint64_t fault_records_suppressed; /* DTF */
    riommu_cache_stats ddtc, pdtc, iotlb, walkc;
    uint64_t ddt_walks;
    uint64_t s1_walks;
    uint64_t s1_walk_levels[5];     /* PTE reads by level (0 = leaf level) */
    uint64_t ad_updates;
    uint64_t commands[8][8];        /* [opcode 0..7][func3]; opcode >= 8 in [0] */
    uint64_t commands_illegal;
    uint64_t msis_sent;
    uint64_t wire_edges;
    uint64_t mem_accesses[RIOMMU_ACC_KIND_COUNT];
    uint64_t mmio_reads, mmio_writes, mmio_errors;
    uint64_t translate_cycles;      /* sum of response latencies */
    uint64_t latency_hist[16];      /* translations by ceil(log2(cycles)) */
    /* Walks in detail (the statistics table, docs/stats.md). */
    uint64_t s2_walks;              /* second-stage walks (0 until stage 2 exists) */
    uint64_t s2_walk_levels[5];     /* second-stage PTE reads by level (0 = leaf level) */
    uint64_t walk_cycles;           /* sum of page-table walk latencies: walk-cache
                                       lookup plus every PTE read of the walk */
    uint64_t walk_latency_hist[16]; /* walks by ceil(log2(cycles)), as latency_hist */

    /* --- timing (docs/timing.md "Statistics"); all 0 in functional mode --- */
    uint64_t xlate_wait_cycles;     /* cycles translations waited for an xlate slot */
    uint64_t ptw_wait_cycles;       /* cycles table walks waited for a ptw slot */
    uint64_t cache_wait_cycles;     /* cycles lookups and scans waited for a cache slot */
    uint64_t ptw_walks;             /* table walks that held a ptw slot (DDT + S1) */
    uint64_t cmd_busy_cycles;       /* fetch + execution cycles of commands */
    uint64_t inval_cycles;          /* of which invalidation scans */
    uint64_t fence_wait_cycles;     /* IOFENCE.C waiting for translations in flight */
    uint64_t xlate_max_inflight;    /* most translation slots in use at once */
    uint64_t fq_wait_cycles;        /* faulting translations waited for the
                                       fault-record writer */
} riommu_stats;

/* Copy the statistics. */
void riommu_get_stats(const riommu *m, riommu_stats *out);
/* Zero the statistics. */
void riommu_clear_stats(riommu *m);

/* ------------------------------------------------------------------------- */
/* Observer hooks (each optional; unset hooks cost one predictable branch)   */
/* ------------------------------------------------------------------------- */

typedef enum riommu_cache_id {
    RIOMMU_CACHE_DDTC = 0,
    RIOMMU_CACHE_PDTC = 1,
    RIOMMU_CACHE_IOTLB = 2,
    RIOMMU_CACHE_WALKC = 3
} riommu_cache_id;

typedef enum riommu_cache_event_kind {
    RIOMMU_CEV_HIT = 0,
    RIOMMU_CEV_MISS = 1,
    RIOMMU_CEV_FILL = 2,
    RIOMMU_CEV_EVICT = 3,
    RIOMMU_CEV_INVALIDATE = 4
} riommu_cache_event_kind;

typedef struct riommu_fault_record {
    uint16_t cause;
    uint8_t ttyp;
    bool pv, priv;
    uint32_t pid;
    uint32_t did;
    uint64_t iotval, iotval2;
} riommu_fault_record;

typedef struct riommu_observer {
    void *ctx;
    /* One PTE read of a walk: stage 1 or 2, level (0 = leaf level), the
     * PTE's address and value. */
    void (*walk_step)(void *ctx, unsigned stage, unsigned level, uint64_t pte_pa,
                      uint64_t pte);
    /* Cache activity; `tag` is a short cache-specific key (device_id for the
     * DDTC, the VPN for IOTLB/walk cache). */
    void (*cache)(void *ctx, riommu_cache_id cache, riommu_cache_event_kind ev,
                  uint64_t tag);
    /* A fault detected (before DTF or queue state decide whether it is
     * recorded); `recorded` says whether it reached the fault queue. */
    void (*fault)(void *ctx, const riommu_fault_record *rec, bool recorded);
    /* A command executed (or found illegal: `illegal` true). */
    void (*command)(void *ctx, const uint64_t cmd[2], uint32_t index, bool illegal);
    /* ipsr bit `cause` (RIOMMU_INTR_*) went 0->1; vector from icvec. */
    void (*interrupt)(void *ctx, unsigned cause, unsigned vector);
} riommu_observer;

/* Install (or with NULL, remove) observer hooks. Copied. */
void riommu_set_observer(riommu *m, const riommu_observer *obs);

/* ------------------------------------------------------------------------- */
/* Backdoor for tests: no side effects on registers, caches, time or stats   */
/* ------------------------------------------------------------------------- */

/* The value a 8-byte read (or 4-byte for 4-byte registers) at `off` would
 * return, without side effects. Returns 0 for unimplemented offsets. */
uint64_t riommu_peek_reg(const riommu *m, uint32_t off);

/* Is a device context for device_id cached? */
bool riommu_ddtc_contains(const riommu *m, uint32_t device_id);

/* Is an IOTLB entry cached that would translate `iova` under the given
 * tag? gv/gscid select the VM address space (gv false: host), pscv/pscid
 * the process address space (pscv false: first stage Bare). */
bool riommu_iotlb_contains(const riommu *m, bool gv, uint32_t gscid, bool pscv,
                           uint32_t pscid, uint64_t iova);

/* Is a non-leaf first-stage PTE for `iova` at `level` (>= 1) cached? */
bool riommu_walkc_contains(const riommu *m, bool gv, uint32_t gscid,
                           uint32_t pscid, uint64_t iova, unsigned level);

/* Number of valid entries in a cache. */
uint32_t riommu_cache_occupancy(const riommu *m, riommu_cache_id cache);

/* Short names, for reports and `riommu decode`. Never NULL ("reserved" or
 * "custom" for unnamed codes). */
const char *riommu_cause_name(unsigned cause);
const char *riommu_ttyp_name(unsigned ttyp);
const char *riommu_reg_name(uint32_t off); /* NULL if no register there */

#ifdef __cplusplus
}
#endif

#endif /* RIOMMU_H */
