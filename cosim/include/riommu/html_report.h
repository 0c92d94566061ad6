/*
 * html_report.h - the run file of `riommu run --stats RUN.json`
 * (docs/stats.md, format "riommu-run" version 1) rendered as one
 * self-contained HTML page: inline CSS, charts as inline SVG, no script,
 * no external resource (a Content-Security-Policy forbids both), every
 * string from the file escaped.
 *
 * The page: totals, one summary row per program, then per program (the
 * first RIOMMU_HTML_MAX_DETAILED ones) the headline statistics of every
 * model backend, its failed expectations, bar charts of the translation
 * and page-table-walk latency histograms and a line chart of the cache hit
 * rates over the program's steps, and all statistics in a <details>
 * element; at the end the co-simulation mismatch records.
 */
#ifndef RIOMMU_HTML_REPORT_H
#define RIOMMU_HTML_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "riommu/json.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Programs shown in detail (charts, all statistics); the others get their
 * summary row only. */
#define RIOMMU_HTML_MAX_DETAILED 50
/* Mismatch records listed per case; the rest are counted. */
#define RIOMMU_HTML_MAX_RECORDS 200

/*
 * Write the page for `run` to `out`. Returns false with "WHERE: WHAT" in
 * err when `run` does not follow the schema (WHERE is a path into the
 * document: "programs[2].backends[0].stats"); `out` then holds a partial
 * page the caller should discard.
 */
bool riommu_html_report(FILE *out, const riommu_json *run, char *err, size_t errlen);

#ifdef __cplusplus
}
#endif

#endif
