/*
 * bench.h - `riommu bench`: performance figures, printed by a benchmark
 * (issue 6 "RTL verification"; issue 7 adds the model's). Targets are
 * shown next to the figures they bound (PASS, or BELOW when the figure
 * falls short of its target); no timed test asserts them.
 *
 * The command is a list of SECTIONS, each measuring one thing, selected by
 * its flag (`--rtl`); with no section flag every section this build can run
 * runs, in table order. A section writes its figures through bench_out,
 * which renders them as aligned text (the default) or, with --json, as one
 * JSON document for the whole command:
 *
 *     {"riommu_bench": 1, "sections": {"rtl": {...}, ...}}
 *
 * Figures are keyed (the JSON member names, stable for scripts); a target
 * becomes {"value": V, "op": ">=", "bound": B, "pass": true}.
 *
 * Sections:
 *   model    the model alone through its API, functional and timed:
 *            translations/s on IOTLB hits, Sv39/48/57 walks and DDTC
 *            misses, commands/s, memory footprint (bench_model.c; issue 7
 *            "Benchmarks")
 *   scaling  throughput as working sets grow past the cache sizes, cost
 *            per walk by mode (bench_model.c; docs/timing.md "Measured
 *            scaling"); runs only when asked for
 *   rtl      the verilated DUT alone and in lockstep with the model
 *            (bench_rtl.c; docs/rtl-harness.md "Benchmark")
 */
#ifndef RIOMMU_TOOLS_BENCH_H
#define RIOMMU_TOOLS_BENCH_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

/* What every section gets from the command line. */
typedef struct bench_opts {
    double seconds;   /* wall time one timed run of a section aims at; 0 =
                         the section's default (rtl 2 s, model 0.2 s) */
    uint64_t size;    /* workload size in the section's unit (rtl: rounds,
                         model and scaling: operations per timed run);
                         0 = calibrated so that a run takes `seconds` */
    unsigned repeat;  /* timed runs per measurement (>= 1); the best counts */
    bool json;
} bench_opts;

/* ---- figures -------------------------------------------------------------------- */

typedef struct bench_out bench_out;

/* A nested group of figures: a heading in text, an object `key` in JSON.
 * Groups nest; every bench_group has its bench_end. */
void bench_group(bench_out *o, const char *key, const char *title);
void bench_end(bench_out *o);

/* One figure: `label` is shown in text, `key` names it in JSON. `unit` may
 * be NULL; `decimals` is for text only (JSON prints full precision). */
void bench_uint(bench_out *o, const char *key, const char *label, uint64_t v, const char *unit);
void bench_real(bench_out *o, const char *key, const char *label, double v, const char *unit,
                int decimals);
void bench_str(bench_out *o, const char *key, const char *label, const char *v);
/* A rate in operations per second: text "12.34 M/s", JSON the number. */
void bench_rate(bench_out *o, const char *key, const char *label, double per_s);

/* A target on a figure: v >= bound (BENCH_AT_LEAST) or v <= bound
 * (BENCH_AT_MOST). Shown as "v unit (target >= bound unit) PASS|BELOW";
 * returns whether it is met. */
typedef enum bench_bound { BENCH_AT_LEAST = 0, BENCH_AT_MOST } bench_bound;
bool bench_target(bench_out *o, const char *key, const char *label, double v, bench_bound op,
                  double bound, const char *unit, int decimals);
/* A lower bound on a rate (per second), shown in M/s like bench_rate; the
 * JSON value and bound are per second. */
bool bench_target_rate(bench_out *o, const char *key, const char *label, double per_s,
                       double bound_per_s);

/* ---- sections ------------------------------------------------------------------- */

typedef struct bench_section {
    const char *name;  /* "rtl": its flag is --rtl and its JSON key "rtl" */
    const char *help;  /* one line for `riommu bench --help` */
    /* NULL when this build can run the section, else why not (one line,
     * with what to do about it). */
    const char *(*unavailable)(void);
    /* Measure and write the figures inside the group the caller opened.
     * Progress goes to stderr, never stdout. Returns 0 when the figures
     * are written (targets met or not), 1 when the workload itself failed
     * (mismatches, a backend error: the figures would mean nothing; the
     * reason is on stderr). */
    int (*run)(const bench_opts *o, bench_out *out);
    /* true: runs only when its flag is given, not by `riommu bench` alone */
    bool on_request;
} bench_section;

/* The model sections (bench_model.c) and the RTL section (bench_rtl.c). */
extern const bench_section bench_model_section;
extern const bench_section bench_scaling_section;
extern const bench_section bench_rtl_section;

/*
 * Run the command: argv[0] is "bench". Exit status: 0 the figures were
 * printed (whether or not targets are met), 1 a section's workload failed,
 * 2 usage errors or a section asked for that this build cannot run (or no
 * section it can).
 */
int bench_main(int argc, char **argv);

void bench_usage(FILE *o);

#endif
