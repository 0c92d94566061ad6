/*
 * cases.h - the report cases of co-simulated runs, one per program
 * (`riommu run --backends` and `riommu random`, through batch.h) or trace
 * section (`riommu replay`): collected
 * as riommu_report_case records, printed as text when they are added and
 * written as JSON (--report) or JUnit XML (--junit) at the end.
 */
#ifndef RIOMMU_CASES_H
#define RIOMMU_CASES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "riommu/cosim.h"
#include "riommu/report.h"
#include "run.h"

typedef struct cases {
    const char *names[RUN_MAX_BACKENDS]; /* backend names, reference first */
    unsigned nb;
    riommu_report_case *v;
    size_t n, cap;
    double t0;          /* start of the running case (monotonic seconds) */
    bool oom;           /* a case could not be kept */
    unsigned max_lines; /* mismatch records printed per case; 0 = all */
    bool report_file;   /* a --report file is written (named when records are cut) */
} cases;

/* Empty, for runs over the backends b[0..n) (names borrowed from b); set
 * max_lines and report_file afterwards. */
void cases_init(cases *cs, const run_backend_spec *b, unsigned n);

/* The next case starts now (its `seconds`). */
void cases_start(cases *cs);

/*
 * Add the case `name` found by engine `c` (records copied), reproduced by
 * the command `reproduce` (copied). `wave` is the waveform the engine's
 * rtl backend wrote (NULL: none), else `wave_reproduce` the command that
 * writes one (NULL: none; both copied; riommu_report_case). Its backends
 * are the engine's (a qemu backend that could not run the program is not
 * among them). Prints "NAME: skipped: NOTE" when `note` is not empty, and,
 * when there are records, "NAME: co-simulation (LIST): N unwaived, W
 * waived" and the records (riommu_report_text; with max_lines, the first
 * max_lines, then "... N more records not shown", "reproduce: COMMAND"
 * and "waveform: COMMAND").
 */
void cases_add(cases *cs, const char *name, const char *list, const char *reproduce,
               const char *wave, const char *wave_reproduce, const riommu_cosim *c,
               uint64_t skipped, const char *note);

/* Write every case as JSON or (junit) a JUnit suite named `suite` to
 * `path`; false with "PROG: cannot write WHAT 'PATH'" on stderr. */
bool cases_write(const cases *cs, const char *path, const char *what, const char *suite,
                 bool junit, const char *prog);

void cases_free(cases *cs);

#endif
