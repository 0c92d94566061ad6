/*
 * report.h - renders the executor's structured results (run.h) as text:
 * a step log, drained fault records decoded, mismatches as
 * "file:line: expected ..., got ...", and a per-program summary
 * (translations, faults by cause, cache hit rates, commands by opcode).
 * The only place where run results become strings.
 */
#ifndef RIOMMU_TOOLS_REPORT_H
#define RIOMMU_TOOLS_REPORT_H

#include <stdbool.h>
#include <stdio.h>

#include "run.h"

typedef struct report_text {
    FILE *out;
    bool quiet;   /* mismatches and the per-program result line only */
    bool summary; /* print the summary block after each program */
    const char *title; /* printed first by begin (NULL: "scenario FILE") */
    bool failures_only; /* with quiet: no result line for a program without
                           mismatches */
    unsigned max_mismatches; /* "file:line: expected ..." lines per program;
                                0 = all; the rest are counted in one line */
    /* private: fault records and events of the running step, printed
     * after its log line; mismatch lines of the running program */
    char *pend;
    size_t plen, pcap;
    unsigned shown, hidden;
} report_text;

/* A sink that writes to t->out; `t` (zero-initialised apart from the
 * public fields) must outlive the run. */
run_sink report_text_sink(report_text *t);
/* Release what the sink buffered (call once after the last run). */
void report_text_free(report_text *t);

/* A failed expectation as the one line the step log prints (without the
 * newline): "FILE:LINE: expected WHAT V, got G", or for a step that could
 * not run "FILE:LINE: error: WHY; the scenario stops here". */
void report_mismatch_line(char *buf, size_t len, const scn_program *p, const run_mismatch *m);

/* The last line of every run: "mismatches: N, waived: W, skipped: S". */
void report_final_line(FILE *out, uint64_t mismatches, uint64_t waived, uint64_t skipped);

#endif
