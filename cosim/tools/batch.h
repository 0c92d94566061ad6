/*
 * batch.h - one run of many programs, the part `riommu run` (scenario
 * files) and `riommu random` (generated scenarios) share: each program runs
 * from a fresh world through run_program with the text sink (report.h);
 * with backends, each becomes one report case (name, reproduction command,
 * mismatch records, time) for --report JSON and --junit XML; the counts add
 * up to the last line "mismatches: N, waived: W, skipped: S".
 *
 * Programs are handed over one at a time, so a caller can generate, run
 * and free them in turn (a million random seeds never sit in memory).
 */
#ifndef RIOMMU_TOOLS_BATCH_H
#define RIOMMU_TOOLS_BATCH_H

#include <stdbool.h>
#include <stdint.h>

#include "run.h"
#include "scenario.h"

typedef struct batch_opts {
    const char *command;   /* "riommu run", for messages and the JUnit suite */
    bool quiet;            /* mismatches and one result line per program */
    bool failures_only;    /* with quiet: no line for a clean program */
    bool summary;          /* the summary block after each program (not quiet) */
    unsigned max_lines;    /* failed-expectation lines and mismatch records
                              printed per program; 0 = all */
    /* as given on the command line (NULL when absent) */
    const char *backends, *report, *junit, *waivers;
    /* --wave FILE (NULL: none): the rtl backend's FST waveform. With
     * wave_each (several programs) each program's is FILE-TAG.EXT
     * (world_wave_name), else FILE; with wave_failing_only, a program that
     * ends without any record (unwaived or waived) has its waveform
     * removed. A case whose rtl backend ran without --wave gets the
     * reproduce command plus " --wave TAG.fst" as its wave_reproduce. */
    const char *wave;
    bool wave_each, wave_failing_only;
    /* --stats FILE (NULL: none): every program's statistics, written as it
     * ends (statsfile.h; FILE.json, FILE.csv or FILE.txt). */
    const char *stats;
} batch_opts;

typedef struct batch batch;

/*
 * Start a batch. `ro` (kept, not copied; the caller owns it for the
 * batch's life) is what every program runs with; its cosim_done hook is
 * taken over when it has backends, its sample hook with --stats. NULL,
 * after a message on stderr, when out of memory or the --stats file
 * cannot be written.
 */
batch *batch_create(run_options *ro, const batch_opts *o);

/*
 * Run one program. `title` replaces the "scenario FILE" heading of the log
 * (NULL: the default); `reproduce` is the one command line printed after a
 * program with unwaived mismatches (NULL: "riommu run --backends LIST
 * [--waivers F] FILE"). *sum gets the program's summary. Returns 0 (no
 * mismatches), 1 (mismatches) or 2 (the world could not be built: the
 * reason is on stderr; the batch should stop).
 */
int batch_run(batch *b, const scn_program *p, const char *title, const char *reproduce,
              run_summary *sum);

/* Programs run so far and the sums of their counts. */
void batch_counts(const batch *b, uint64_t *programs, uint64_t *mismatches, uint64_t *waived,
                  uint64_t *skipped);

/*
 * Write the --report and --junit files and print the last line. Returns
 * the exit status: 0 no mismatches, 1 mismatches, 2 a file could not be
 * written or memory ran out (then the last line is not printed).
 */
int batch_finish(batch *b);

/* Free the batch (NULL is allowed). */
void batch_destroy(batch *b);

#endif
