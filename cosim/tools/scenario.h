/*
 * scenario.h - the riommu scenario language (docs/scenarios.md): a
 * line-oriented text is parsed, completely and before anything runs, into an
 * in-memory program of steps. The parser executes nothing; run.h runs a
 * program.
 *
 * Every name is resolved, every number range-checked and every expectation
 * attached to its step at parse time, so a program that parsed runs to its
 * end without surprises from the text. A scenario is untrusted input: the
 * parser accepts any byte sequence (NULs, very long lines, binary junk)
 * and either returns a program or one error with its line number; it never
 * reads out of bounds and bounds every allocation (lines, tokens, steps,
 * names, data patterns, total work of `repeat`).
 */
#ifndef RIOMMU_SCENARIO_H
#define SCN_CONFIG_APPLY_MAX 64u /* config lines scn_config_apply numbers exactly */
#define RIOMMU_SCENARIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "riommu/drv.h"
#include "riommu/riommu.h"

/* Limits (errors, never truncation). */
#define SCN_MAX_FILE_BYTES (16u << 20)
#define SCN_MAX_LINE 4096u      /* bytes per line */
#define SCN_MAX_TOKENS 64u      /* words per line */
#define SCN_MAX_STEPS 200000u
#define SCN_MAX_NAMES 4096u
#define SCN_MAX_NAME_LEN 31u
#define SCN_MAX_IDS 16u         /* device IDs per probe */
#define SCN_MAX_DMA_LEN 65536u
#define SCN_MAX_DATA 2048u      /* bytes in a data pattern */
#define SCN_MAX_REPEAT 65536u
#define SCN_MAX_WORK 1000000u   /* steps after expanding repeat */
#define SCN_MAX_MAP_LEAVES (4u << 20) /* page-table leaves all maps may write */
#define SCN_MAX_STEP_CYCLES (1ull << 40)

typedef enum scn_kind {
    SCN_DRIVER_SET = 0, /* a driver setting for the next init (u.set) */
    SCN_INIT,           /* riommu_drv_init */
    SCN_PROBE,          /* riommu_drv_probe: dev, ids */
    SCN_DOMAIN,         /* riommu_drv_domain_alloc: dom */
    SCN_ATTACH,         /* riommu_drv_attach: dev, dom */
    SCN_DETACH,         /* attach the blocked domain: dev */
    SCN_RELEASE,        /* riommu_drv_release: dev */
    SCN_FREE,           /* riommu_drv_domain_free: dom */
    SCN_MAP,            /* riommu_drv_map: dom, a = iova, b = pa, c = size, prot */
    SCN_UNMAP,          /* unmap (+ sync unless nosync): dom, a = iova, c = size */
    SCN_SYNC,           /* riommu_drv_iotlb_sync of the gathered unmaps: dom */
    SCN_FLUSH,          /* riommu_drv_flush_all: dom */
    SCN_IOVA_TO_PHYS,   /* riommu_drv_iova_to_phys: dom, a = iova */
    SCN_REMOVE,         /* riommu_drv_remove */
    SCN_SHUTDOWN,       /* riommu_drv_shutdown */
    SCN_CRASH,          /* drop the driver without touching the hardware */
    SCN_PROCESS,        /* riommu_drv_process (drain faults) */
    SCN_CMD,            /* riommu_drv_cmd_submit: a = dword0, b = dword1 */
    SCN_CMD_SYNC,       /* riommu_drv_cmd_sync: c = timeout in us */
    SCN_CQ_REPAIR,      /* overwrite the command at cqh with a no-op IOFENCE.C */
    SCN_MMIO_WRITE,     /* off, width, a = value */
    SCN_MMIO_READ,      /* off, width, check */
    SCN_MEM_WRITE,      /* a = pa, width, b = value (the model's memory) */
    SCN_MEM_READ,       /* a = pa, width, check */
    SCN_DC_READ,        /* device context word: target, field, check */
    SCN_PTE_READ,       /* leaf PTE of a = iova under target's DC: check */
    SCN_PTE_WRITE,      /* that leaf := (leaf & ~c) | (b & c), via the driver's copy */
    SCN_DMA,            /* device DMA through the model: target, u.dma */
    SCN_EXPECT_RECORD,  /* next drained fault record: u.rec */
    SCN_EXPECT_EVENT,   /* next driver event: u.ev */
    SCN_EXPECT_NO_EVENTS, /* no undrained records or events are pending */
    SCN_EXPECT_STAT,    /* a statistics counter: u.stat */
    SCN_STEP,           /* advance the model clock: a = cycles */
    SCN_SETTLE,         /* riommu_settle */
    SCN_ECHO            /* print text */
} scn_kind;

/* Domain operand: a slot, or one of the driver's static domains. */
#define SCN_DOM_IDENTITY (-1)
#define SCN_DOM_BLOCKED (-2)

/* A value check: (got & mask) == (value & mask) when `on`. */
typedef struct scn_check {
    bool on;
    uint64_t value, mask;
} scn_check;

typedef enum scn_set_kind {
    SCN_SET_PROFILE = 0, /* value 0 mainline, 1 linux-6.13 */
    SCN_SET_BUS,         /* riommu_drv_bus */
    SCN_SET_IRQS,
    SCN_SET_KDUMP,       /* 0/1 */
    SCN_SET_CQ_LOG2SZ,   /* log2(entries) - 1 */
    SCN_SET_FQ_LOG2SZ,
    SCN_SET_POLICY       /* policy_off = offsetof(riommu_drv_policy, switch) */
} scn_set_kind;

typedef struct scn_set {
    scn_set_kind which;
    unsigned value;
    size_t policy_off;
} scn_set;

typedef struct scn_dma {
    riommu_req_access access;
    uint64_t iova;
    uint32_t len;
    bool pv, priv;
    uint32_t pid;
    uint8_t *wdata;          /* write pattern, repeated over len (owned) */
    size_t wlen;
    bool want_fault;         /* expect fault `cause`, else expect ok */
    unsigned cause;
    int recorded;            /* -1 unchecked, 0 not recorded, 1 recorded */
    bool has_pa, has_range;
    uint64_t pa, range;
    uint8_t *rdata;          /* expected read pattern (owned) or NULL */
    size_t rlen;
    int iotlb;               /* -1 unchecked, 0 miss, 1 hit */
} scn_dma;

/* Fields of a fault record expectation (bits of scn_rec.fields). */
#define SCN_REC_CAUSE 0x01u
#define SCN_REC_TTYP 0x02u
#define SCN_REC_DID 0x04u
#define SCN_REC_PID 0x08u
#define SCN_REC_PRIV 0x10u
#define SCN_REC_IOTVAL 0x20u
#define SCN_REC_IOTVAL2 0x40u
#define SCN_REC_PV 0x80u

typedef struct scn_rec {
    unsigned fields;
    unsigned cause, ttyp;
    uint32_t did, pid;
    bool pv, priv;
    uint64_t iotval, iotval2;
} scn_rec;

typedef struct scn_ev {
    riommu_drv_event_kind kind;
    scn_check check; /* on the event's value */
} scn_ev;

typedef enum scn_stat_src {
    SCN_STAT_MODEL = 0, /* uint64_t at `off` in riommu_stats */
    SCN_STAT_CACHE,     /* cache `a` (riommu_cache_id), uint64_t at `off` in its stats */
    SCN_STAT_FAULTS,    /* faults_by_cause[a] */
    SCN_STAT_CMD,       /* model commands[a][b] */
    SCN_STAT_DRV,       /* uint64_t at `off` in riommu_drv_stats (all inits summed) */
    SCN_STAT_DRV_CMD,   /* driver cmd_by_op[a] */
    SCN_STAT_MSIS,      /* MSIs the platform received */
    SCN_STAT_WIRES,     /* wired interrupt levels now (bit per vector) */
    SCN_STAT_TABLE      /* a count row of the statistics table, by its gem5-style
                           name in `name` (riommu/stats.h, docs/stats.md) */
} scn_stat_src;

typedef enum scn_cmp { SCN_EQ = 0, SCN_NE, SCN_LT, SCN_LE, SCN_GT, SCN_GE } scn_cmp;

typedef struct scn_stat {
    scn_stat_src src;
    size_t off;
    unsigned a, b;
    scn_cmp cmp;
    uint64_t value;
    char name[48]; /* as written, for messages */
} scn_stat;

/* Device-context words for `dc`. */
typedef enum scn_dc_field {
    SCN_DC_TC = 0, SCN_DC_IOHGATP, SCN_DC_TA, SCN_DC_FSC, SCN_DC_MSIPTP,
    SCN_DC_MSI_ADDR_MASK, SCN_DC_MSI_ADDR_PATTERN
} scn_dc_field;

typedef struct scn_step {
    scn_kind kind;
    uint32_t line;         /* line of the verb */
    uint32_t expect_line;  /* line of a separate `expect ERR`, else 0 */
    uint32_t repeat;       /* run this many times (>= 1) */
    char *text;            /* the statement as written, for the log (owned) */
    int dev;               /* device slot (-1 none) */
    int dom;               /* domain slot or SCN_DOM_* */
    bool raw_id;           /* target is `id`, not device `dev` */
    uint32_t id;
    uint32_t *ids;         /* probe IDs (owned) */
    unsigned nids;
    uint64_t a, b, c;
    unsigned width;        /* mmio/mem access bytes */
    uint32_t off;          /* mmio offset */
    unsigned prot;         /* RIOMMU_DRV_* for map */
    bool nosync;           /* unmap: gather only */
    unsigned field;        /* scn_dc_field */
    riommu_drv_err want;   /* expected driver result (default ok) */
    scn_check check;       /* read value / unmapped bytes / drained count / PA */
    union {
        scn_set set;
        scn_dma dma;
        scn_rec rec;
        scn_ev ev;
        scn_stat stat;
    } u;
} scn_step;

typedef struct scn_program {
    char *file;            /* name used in messages (owned) */
    riommu_config model;   /* model configuration: defaults + `config` lines */
    unsigned nconfig;      /* how many `config` lines there were, not
                              counting `config qemu` */
    bool qemu_params;      /* `config qemu`: model starts from
                              riommu_qemu_model_config */
    char *config_src;      /* the `config` lines other than `config qemu`,
                              as written, one per line (NULL: none); for
                              scn_config_apply */
    unsigned config_lines[SCN_CONFIG_APPLY_MAX]; /* their line numbers */
    unsigned nconfig_lines;
    scn_step *steps;
    size_t nsteps, cap;
    unsigned ndevs, ndoms; /* slots */
    char (*dev_names)[SCN_MAX_NAME_LEN + 1];
    char (*dom_names)[SCN_MAX_NAME_LEN + 1];
    uint64_t work;         /* steps after expanding repeat */
    uint64_t map_leaves;   /* upper bound of the leaves every map writes */
} scn_program;

typedef struct scn_error {
    unsigned line;   /* 0: not tied to a line (e.g. unreadable file) */
    char msg[256];
} scn_error;

/*
 * Parse `len` bytes of scenario text. `file` names it in messages. Returns
 * the program, or NULL with *err set to the first error (line and message,
 * rendered by the caller as "file:line: message"). Never executes anything.
 */
scn_program *scn_parse(const char *file, const char *text, size_t len, scn_error *err);

/* Read and parse a file (at most SCN_MAX_FILE_BYTES). */
scn_program *scn_parse_file(const char *path, scn_error *err);

/*
 * Apply the program's `config` lines (not `config qemu`) to *cfg, as if the
 * scenario started from *cfg instead of the defaults: a backend whose
 * parameters are fixed elsewhere (the rtl DUT's preset) gets the same
 * relative changes (`caps -Sv57`) and settings. Returns true, or false
 * with *err set (line numbers are the scenario's) and *cfg unchanged.
 */
bool scn_config_apply(const scn_program *p, riommu_config *cfg, scn_error *err);

/* Free a program (NULL is allowed). */
void scn_free(scn_program *p);

#endif
