/*
 * trace.h - shim traces: every operation a driver run made on the world,
 * with what the reference answered, as a line-based text file that can be
 * replayed without the driver or the scenario (docs/trace.md).
 *
 * The idea is lowRISC ibex dv/cosim's: the trace is the stimulus plus the
 * reference's observations. A replay issues the stimulus (MMIO writes,
 * publications, device DMA, time) to any set of backends in the same order
 * and compares their observations (MMIO reads, consumed memory, DMA
 * responses) with each other and with the recorded ones.
 *
 * Writing: riommu_trace_writer streams sections (one per scenario) to a
 * FILE. riommu_trace_wrap() puts a recording shim in front of any
 * riommu_hw_ops; the device side (DMA, settle, step, backdoor memory
 * writes) is recorded by explicit calls. Identical consecutive operation
 * blocks of up to RIOMMU_TRACE_MAX_PERIOD lines (a polling loop: read,
 * delay, read, delay ...) are folded into one `again K N` line.
 *
 * Reading: riommu_trace_reader parses a trace into items, one per
 * operation, and checks everything (syntax, order of sections, every
 * number's range, the budgets below). A trace is untrusted input: any byte
 * sequence gives items or one "FILE:LINE: message" error, never a crash,
 * and a trace that parsed cannot make a replay exceed the budgets.
 *
 * Does: everything the driver shim carries, DMA requests and responses,
 * model time (`step`), settles and backdoor memory writes.
 * Does not: scenario expectations and backdoor reads (`mem read`, `dc`,
 * `pte`) are checks of the scenario, not part of the world's stimulus.
 */
#ifndef RIOMMU_TRACE_H
#define RIOMMU_TRACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "riommu/hw.h"
#include "riommu/riommu.h"

#ifdef __cplusplus
extern "C" {
#endif

#define RIOMMU_TRACE_VERSION 1

/* ---- limits (a trace beyond them is rejected, never truncated) ---------- */
#define RIOMMU_TRACE_MAX_DATA (1u << 20)    /* bytes of one publish/consume/mem-write */
#define RIOMMU_TRACE_MAX_DMA_LEN 65536u     /* bytes of one device DMA */
#define RIOMMU_TRACE_MAX_LINE (2u * RIOMMU_TRACE_MAX_DATA + 4096u) /* bytes per line */
#define RIOMMU_TRACE_MAX_PERIOD 8u          /* lines an `again` may repeat */
#define RIOMMU_TRACE_MAX_CONFIG 64u         /* config lines per section */
#define RIOMMU_TRACE_MAX_SECTIONS 65536u
#define RIOMMU_TRACE_MAX_NAME 1024u         /* bytes of a scenario name or backend list */
#define RIOMMU_TRACE_MAX_WINDOW (256ull << 20) /* bytes of the DMA window */
#define RIOMMU_TRACE_MAX_ALLOC (64u << 20)  /* bytes of one alloc, free or map */
#define RIOMMU_TRACE_MAX_LABEL 23u          /* characters of a label name */
#define RIOMMU_TRACE_MAX_MAPPED (256u << 20) /* bytes `map` may cover in one section
                                                (mappings are never freed) */
/* Budgets of one file, checked while reading (also by a pass that does not
 * replay): operations after expanding `again`, and bytes moved by
 * allocations, mappings, publications, consumptions, DMA and backdoor
 * writes. */
#define RIOMMU_TRACE_MAX_OPS (1ull << 26)
#define RIOMMU_TRACE_MAX_BYTES (1ull << 33)
/* Simulated time of one section: `step` cycles plus 1000 cycles per
 * microsecond of `delay`. Twice the run's budget (RUN_MAX_CYCLES), so any
 * trace `riommu run` wrote fits. */
#define RIOMMU_TRACE_MAX_CYCLES (1ull << 45)
#define RIOMMU_TRACE_CYCLES_PER_US 1000u

/* ---- writing ---------------------------------------------------------------- */

typedef struct riommu_trace_writer riommu_trace_writer;

/* A writer on `out` (not owned, not closed); writes the version line.
 * NULL when out of memory. */
riommu_trace_writer *riommu_trace_writer_create(FILE *out);
/* Finish any open section, flush folded lines and the FILE, free.
 * Returns false when the trace is incomplete (riommu_trace_writer_failed
 * at the end); NULL is allowed (true). */
bool riommu_trace_writer_destroy(riommu_trace_writer *w);
/* True once a write to the FILE failed, memory ran out, or an operation
 * exceeded what a reader accepts (a DMA longer than
 * RIOMMU_TRACE_MAX_DMA_LEN, an allocation or mapping larger than
 * RIOMMU_TRACE_MAX_ALLOC): the trace is incomplete. */
bool riommu_trace_writer_failed(const riommu_trace_writer *w);

/*
 * Start a section: `scenario` names it (control characters are written as
 * '?'), `world` says what the driver ran on: NULL for the embedded model
 * (riommu_hwm: delay_us steps the model) or the --backends list of a
 * lockstep run; [dma_base, dma_base + dma_size) is the window allocations
 * came from; `config` are `n` scenario-language `config` lines (without
 * newline) that rebuild the reference model's configuration from the
 * defaults. Operations recorded before the first riommu_trace_at belong
 * to line 0 (platform setup).
 */
void riommu_trace_begin(riommu_trace_writer *w, const char *scenario, const char *world,
                        uint64_t dma_base, uint64_t dma_size, const char *const *config,
                        size_t n);
/* The following operations belong to scenario line `line`. */
void riommu_trace_at(riommu_trace_writer *w, uint64_t line);
/* End the section (`end` line). */
void riommu_trace_end(riommu_trace_writer *w);

/* The driver's CPU view of DMA memory: the bytes of [pa, pa+len) when the
 * range lies inside one allocation or mapping, else NULL (the shim's own
 * rule: riommu_cosim_cpu, riommu_hwm_cpu). */
typedef struct riommu_trace_cpu {
    void *ctx;
    uint8_t *(*bytes)(void *ctx, uint64_t pa, size_t len);
} riommu_trace_cpu;

/*
 * A shim that records every operation and forwards it to `inner` (copied;
 * optional ops stay NULL when inner's are). Publications are recorded with
 * all their bytes (read through `cpu` before forwarding), consumptions
 * with the bytes the world returned (after forwarding). now_us is
 * forwarded, not recorded. One wrapped shim per writer at a time: a new
 * call replaces the previous inner ops.
 */
riommu_hw_ops riommu_trace_wrap(riommu_trace_writer *w, const riommu_hw_ops *inner,
                                const riommu_trace_cpu *cpu);

/* Device and platform operations, recorded after they happened:
 * `buf` holds req->len bytes: the write data for RIOMMU_WRITE, the data
 * returned for a read that succeeded (ignored otherwise). */
void riommu_trace_dma(riommu_trace_writer *w, const riommu_request *req, const void *buf,
                      const riommu_response *rsp);
void riommu_trace_settle(riommu_trace_writer *w);
/* The model clock advanced by `cycles` (scenario `step`). */
void riommu_trace_step(riommu_trace_writer *w, uint64_t cycles);
/* A backdoor write to the world's memory (every backend's image). */
void riommu_trace_mem_write(riommu_trace_writer *w, uint64_t pa, const void *buf, size_t len);
/* The run named a region of driver memory for its records
 * (riommu_cosim_label: `name` is 1..RIOMMU_TRACE_MAX_LABEL printable
 * characters without spaces, e.g. "fault-record"); a replay names it too,
 * so records and waivers read the same. */
void riommu_trace_label(riommu_trace_writer *w, uint64_t pa, uint64_t len, uint32_t stride,
                        const char *name);

/* ---- reading ---------------------------------------------------------------- */

typedef enum riommu_trace_kind {
    RIOMMU_TK_SCENARIO = 0, /* text: the name; starts a section */
    RIOMMU_TK_WORLD,        /* ok: true for a lockstep run; text: its backend list */
    RIOMMU_TK_WINDOW,       /* addr, len: the DMA window */
    RIOMMU_TK_CONFIG,       /* text: one scenario-language config line */
    RIOMMU_TK_AT,           /* value: scenario line of the following operations */
    RIOMMU_TK_READ,         /* size, off; value: what the reference returned */
    RIOMMU_TK_WRITE,        /* size, off, value */
    RIOMMU_TK_ALLOC,        /* len, align; ok and addr: the result */
    RIOMMU_TK_FREE,         /* addr, len */
    RIOMMU_TK_MAP,          /* addr, len; ok: the result */
    RIOMMU_TK_PUBLISH,      /* addr, len; data (has_data) */
    RIOMMU_TK_CONSUME,      /* addr, len; data the reference returned (has_data) */
    RIOMMU_TK_DELAY,        /* value: microseconds */
    RIOMMU_TK_IRQ_PENDING,  /* value: what the world returned */
    RIOMMU_TK_IRQ_ACK,      /* value: vectors */
    RIOMMU_TK_DMA,          /* req, rsp; data: write data or read data (has_data) */
    RIOMMU_TK_SETTLE,
    RIOMMU_TK_STEP,         /* value: cycles */
    RIOMMU_TK_MEM_WRITE,    /* addr, len, data */
    RIOMMU_TK_LABEL,        /* addr, len, value: stride; text: the name */
    RIOMMU_TK_END,          /* ends a section */
    RIOMMU_TK_KIND_COUNT
} riommu_trace_kind;

typedef struct riommu_trace_item {
    riommu_trace_kind kind;
    uint64_t line;         /* trace line (an `again` repetition: the repeated line) */
    unsigned size;         /* READ/WRITE: 4 or 8 */
    uint32_t off;          /* READ/WRITE: register offset */
    uint64_t addr, len, align, value;
    bool ok;
    bool has_data;
    const uint8_t *data;   /* len bytes (DMA: req.len), valid until the next call */
    riommu_request req;    /* DMA */
    riommu_response rsp;   /* DMA: status, cause, recorded, pa, range_size */
    const char *text;      /* SCENARIO, WORLD, CONFIG, LABEL; valid until the next call */
} riommu_trace_item;

typedef struct riommu_trace_reader riommu_trace_reader;

/* Open `path` and check its version line. `expand`: `again` lines are
 * returned as the operations they repeat (for replay); without it they
 * are only checked and accounted. NULL with a message in err when the file
 * cannot be read or its first line is not "riommu-trace 1". */
riommu_trace_reader *riommu_trace_open(const char *path, bool expand, char *err,
                                       size_t errlen);
void riommu_trace_close(riommu_trace_reader *r);

/* The next item: 1, 0 at the end of a well-formed file, -1 with
 * "PATH:LINE: message" in err (then every later call returns -1 too). */
int riommu_trace_next(riommu_trace_reader *r, riommu_trace_item *it, char *err, size_t errlen);

/* Operations returned or accounted so far (`again` expanded). */
uint64_t riommu_trace_ops(const riommu_trace_reader *r);

#ifdef __cplusplus
}
#endif

#endif
