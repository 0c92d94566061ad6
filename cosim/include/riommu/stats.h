/*
 * stats.h - the model's statistics as a table of gem5-style named values
 * (DESIGN.md §2.5; names, units and meanings: docs/stats.md), and the
 * small emitters that render a table at the edge: JSON, CSV and text.
 *
 * One function (riommu_stats_table_build) turns a riommu_stats into rows
 * {name, description, unit, value}; every consumer (the `riommu run`
 * summary, `--stats FILE.json|.csv|.txt`, `riommu report`) reads the
 * rows, so a name means the same thing everywhere. Names are dotted paths
 * under "iommu."; a histogram bucket or a vector element follows "::"
 * ("iommu.xlate.latency::9-16"). The set of names does not depend on the
 * values (every defined fault cause and command is listed, also at 0),
 * except that a fault cause the specification leaves reserved appears
 * only when it was counted.
 *
 * The time series (riommu_stats_series) samples the cache counters while a
 * program runs, at most a fixed number of points whatever its length, for
 * the "hit rate over time" plot of `riommu report`.
 */
#ifndef RIOMMU_STATS_H
#define RIOMMU_STATS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "riommu/riommu.h"

#ifdef __cplusplus
extern "C" {
#endif

/* One row. A count is exact (`count`); a ratio or a mean is `real`. */
typedef struct riommu_stat_row {
    char name[64];          /* "iommu.iotlb.hitRate" */
    const char *desc;       /* one line, static storage */
    const char *unit;       /* "count", "cycles", "ratio" (static storage) */
    bool is_real;           /* value in `real`, else in `count` */
    uint64_t count;
    double real;
} riommu_stat_row;

/* A table: rows in a fixed order (docs/stats.md lists them). */
typedef struct riommu_stat_table {
    riommu_stat_row *rows;
    size_t n, cap;
} riommu_stat_table;

/* Bucket b of a latency histogram (riommu_stats.latency_hist,
 * walk_latency_hist) holds latencies in (2^(b-1), 2^b] cycles; bucket 0
 * holds 0 and 1, bucket 15 everything above 2^14. Its name suffix:
 * "0-1", "2-2", "3-4", "5-8", ..., "8193-16384", "16385+". */
#define RIOMMU_STAT_HIST_BUCKETS 16
void riommu_stats_bucket_name(unsigned b, char *buf, size_t len);

/*
 * Fill `t` (zero-initialised, or reused: its rows are replaced) from `s`;
 * `cycles` is the model time (riommu_now) at the moment of `s`. A hit rate
 * is hits / lookups (0 when there was no lookup), a mean is total / count
 * (0 when count is 0). Returns false when out of memory (t is then empty).
 */
bool riommu_stats_table_build(riommu_stat_table *t, const riommu_stats *s, uint64_t cycles);

/* The row named `name`, or NULL. */
const riommu_stat_row *riommu_stats_table_find(const riommu_stat_table *t, const char *name);

void riommu_stats_table_free(riommu_stat_table *t);

/* A row's value as JSON / CSV / text: an integer for a count, else the
 * shortest "%.*g" (at most 6 significant digits) that a JSON reader
 * accepts. */
void riommu_stats_value_text(const riommu_stat_row *r, char *buf, size_t len);

/* JSON: one object {"NAME": value, ...} in table order (no newline). */
void riommu_stats_json_values(FILE *out, const riommu_stat_table *t);
/* JSON: an array [{"name":..,"unit":..,"desc":..}, ...] describing the
 * rows (the "statistics" member of a run file, docs/stats.md). */
void riommu_stats_json_info(FILE *out, const riommu_stat_table *t);
/* JSON: a string with every character escaped that JSON requires. */
void riommu_stats_json_str(FILE *out, const char *s);

/* CSV (RFC 4180): the header "program,backend,name,value,unit,description"
 * and one line per row. Fields with a comma, quote or line break are
 * quoted. */
void riommu_stats_csv_header(FILE *out);
void riommu_stats_csv_rows(FILE *out, const char *program, const char *backend,
                           const riommu_stat_table *t);

/* Text in the layout of gem5's stats.txt: "NAME  VALUE  # DESC (UNIT)". */
void riommu_stats_text(FILE *out, const riommu_stat_table *t);

/* ---- time series ----------------------------------------------------------- */

/* The caches a series samples, in riommu_cache_id order. */
#define RIOMMU_STATS_SERIES_CACHES 4

/* One sample: where the program was, and the cumulative cache counters. */
typedef struct riommu_stats_point {
    uint64_t step;         /* program steps run so far (repeats counted) */
    uint64_t cycles;       /* model time */
    uint64_t translations;
    uint64_t lookups[RIOMMU_STATS_SERIES_CACHES];
    uint64_t hits[RIOMMU_STATS_SERIES_CACHES];
} riommu_stats_point;

/*
 * At most `max` points (>= 2): every offered sample is kept until the
 * series is full; then every other point is dropped and from then on only
 * every 2nd (4th, 8th, ...) offer is kept, so the points stay evenly
 * spread over the program. `every` is the current keep interval.
 */
typedef struct riommu_stats_series {
    riommu_stats_point *v;
    size_t n, max;
    uint64_t every, offered;
    bool oom;
    riommu_stats_point last; /* the latest offer (kept or not) */
    bool have_last;
} riommu_stats_series;

/* Empty the series (keeping its buffer) for a program of at most `max`
 * points. */
void riommu_stats_series_reset(riommu_stats_series *s, size_t max);
/* Offer a sample. */
void riommu_stats_series_offer(riommu_stats_series *s, uint64_t step, uint64_t cycles,
                               const riommu_stats *st);
/* Make sure the latest offer is the last point (call at the program end). */
void riommu_stats_series_finish(riommu_stats_series *s);
/* JSON: {"every":E,"columns":[...],"rows":[[...],...]} (docs/stats.md). */
void riommu_stats_series_json(FILE *out, const riommu_stats_series *s);
void riommu_stats_series_free(riommu_stats_series *s);

#ifdef __cplusplus
}
#endif

#endif
