/*
 * timing_cmp.h - `--timing-compare`: the reference model's predicted DMA
 * latency against another backend's measured one (issue 7, "Calibration
 * against RTL"; docs/rtl-harness.md "Timing comparison").
 *
 * A collector is fed by the engine (riommu_cosim_on_latency) over one or
 * many programs and prints, per compared backend: how many DMAs, the mean
 * of each side's latency, the mean and 95th-percentile relative error
 * |model - other| / other, the signed mean (model fast or slow), and the
 * worst requests. Only DMAs both sides answered with the same status count
 * (a mismatch is the engine's business, not a timing error).
 */
#ifndef RIOMMU_TIMING_CMP_H
#define RIOMMU_TIMING_CMP_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "riommu/cosim.h"

typedef struct timing_cmp timing_cmp;

/* An empty collector, or NULL when out of memory. */
timing_cmp *timing_cmp_create(void);
void timing_cmp_destroy(timing_cmp *t);

/* The program whose DMAs come next ("tests/scenarios/03_paging_4k.scn",
 * "seed 17"): named in the worst-request list, the CSV and the run file.
 * Copied whole. */
void timing_cmp_program(timing_cmp *t, const char *name);

/* Attach to an engine: every latency pair of c goes to t, labelled with
 * the backend names of c. */
void timing_cmp_attach(timing_cmp *t, riommu_cosim *c);

/* Pairs collected so far (all backends). */
uint64_t timing_cmp_count(const timing_cmp *t);

/* The summary per compared backend, at most `worst` worst requests each.
 * With no pair at all, one line saying so (and why that may be). */
void timing_cmp_print(const timing_cmp *t, FILE *out, unsigned worst);

/* The figures of one backend's pairs, for tests and tooling: false when
 * that backend has none. Relative errors are fractions (0.1 = 10 %). */
typedef struct timing_cmp_summary {
    uint64_t n;
    double mean_ref, mean_other;  /* cycles */
    double mean_abs_rel, p95_abs_rel, mean_signed_rel;
} timing_cmp_summary;
bool timing_cmp_summarize(const timing_cmp *t, const char *backend, timing_cmp_summary *out);

/* Every pair as CSV, a header line then one row per DMA: program,
 * backend, device_id, access, iova, len, status (riommu_rsp_status),
 * ref_iotlb_hit (the reference's response said IOTLB hit), the reference's
 * and the other's cycles, and (ref - other) / other. For fitting timing
 * parameters per request class (docs/timing.md "Calibrating to a design").
 * Returns 0, or -1 on a write error. */
int timing_cmp_write_csv(const timing_cmp *t, FILE *out);

/* The end of a command's run: with status 0 or 1, the summary on stdout
 * (timing_cmp_print, 5 worst) and, with `csv`, every pair to that file
 * (timing_cmp_write_csv); then t is freed (NULL: nothing). Returns the
 * status, 2 when the CSV could not be written (a message names it,
 * "riommu CMD: --timing-csv FILE: ..."). A run that could not start
 * (status 2) prints nothing. */
int timing_cmp_finish(timing_cmp *t, const char *cmd, const char *csv, int status);

/* The summary as one JSON object, the run file's "timing_compare" member
 * (docs/stats.md): {"reference": NAME, "backends": [{"backend", "dmas",
 * "mean_ref_cycles", "mean_other_cycles", "mean_abs_rel", "p95_abs_rel",
 * "mean_signed_rel" (fractions), "error_hist" {"relErr::0-1%": N, ...,
 * "relErr::100%+": N} (|relative error| in per cent), "worst" [at most
 * `worst` of {"program", "device_id", "access", "iova", "len",
 * "ref_cycles", "other_cycles"}]}, ...]}; every string escaped. */
void timing_cmp_write_json(const timing_cmp *t, FILE *out, unsigned worst);

#endif
