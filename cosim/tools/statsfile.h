/*
 * statsfile.h - `--stats FILE` of `riommu run` and `riommu random`: the
 * statistics of every program written as it ends, in one of three forms
 * chosen by FILE's extension (docs/stats.md):
 *
 *   .json  the run file: format "riommu-run" version 1 - per program its
 *          summary, failed expectations, the statistics table of every
 *          model backend and the cache time series; at the end the
 *          co-simulation report (the --report document) and the totals.
 *          `riommu report RUN.json` renders it as HTML.
 *   .csv   one line per program, backend and statistic
 *          (program,backend,name,value,unit,description)
 *   .txt   gem5's stats.txt layout, one block per program and backend
 *
 * Nothing is kept in memory beyond the running program.
 */
#ifndef RIOMMU_TOOLS_STATSFILE_H
#define RIOMMU_TOOLS_STATSFILE_H

#include <stdbool.h>
#include <stddef.h>

#include "cases.h"
#include "riommu/riommu.h"
#include "run.h"

typedef struct statsfile statsfile;

/* True when `path` names a form statsfile_open accepts. */
bool statsfile_path_ok(const char *path);

/* Open `path` for writing; `command` ("riommu run") and `backends` (the
 * --backends list or NULL) go into the run file. NULL with a one-line
 * reason in err (unknown extension, cannot write, out of memory). */
statsfile *statsfile_open(const char *path, const char *command, const char *backends,
                          char *err, size_t errlen);

/* A program starts: forget the previous one's backends, series and
 * failed expectations. */
void statsfile_begin(statsfile *f);

/* run_options.sample: one sample of the reference model's counters. */
void statsfile_sample(void *ctx, uint64_t step, uint64_t cycles, const riommu_stats *st);

/* A failed expectation or fatal step of the running program, as text. */
void statsfile_failed(statsfile *f, const char *text);

/* A model backend's statistics at the end of the running program. */
void statsfile_backend(statsfile *f, const char *name, const riommu_stats *st, uint64_t cycles);

/* The running program ended with summary `s`; without any backend given,
 * its model (s->model) is the one backend "model". */
void statsfile_end(statsfile *f, const char *name, const run_summary *s);

/* --timing-compare's collector, whose pairs (as they are at
 * statsfile_close) go into the run file as "timing_compare"
 * (timing_cmp_write_json); it must outlive f. Only the .json form. */
void statsfile_timing(statsfile *f, const struct timing_cmp *t);

/* Write the ending (the run file's report from `cs`, or NULL, and totals)
 * and close. False, with "PROG: cannot write stats 'PATH'" on stderr,
 * when anything could not be written. Frees f. */
bool statsfile_close(statsfile *f, const cases *cs, const char *prog);

#endif
