/*
 * statsfile.c - `--stats FILE` (statsfile.h; schema: docs/stats.md).
 */
#include "statsfile.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "riommu/report.h"
#include "riommu/stats.h"
#include "timing_cmp.h"

/* Points of a program's time series, and failed expectations kept. */
#define SERIES_POINTS 240
#define FAILED_MAX 100

typedef enum sf_form { SF_JSON, SF_CSV, SF_TEXT } sf_form;

typedef struct sf_backend {
    char name[64];
    riommu_stats st;
    uint64_t cycles;
} sf_backend;

struct statsfile {
    FILE *out;
    char *path;
    sf_form form;
    sf_backend be[RUN_MAX_BACKENDS];
    unsigned nbe;
    riommu_stats_series series;
    char **failed;
    size_t nfailed;
    uint64_t failed_more;
    riommu_stat_table table;
    uint64_t programs, mism, waived, skipped;
    const struct timing_cmp *tcmp; /* --timing-compare's collector, or NULL */
    bool oom;
};

static bool ends_with(const char *s, const char *suffix)
{
    size_t a = strlen(s), b = strlen(suffix);
    return a > b && !strcmp(s + a - b, suffix);
}

bool statsfile_path_ok(const char *path)
{
    return ends_with(path, ".json") || ends_with(path, ".csv") || ends_with(path, ".txt");
}

statsfile *statsfile_open(const char *path, const char *command, const char *backends,
                          char *err, size_t errlen)
{
    if (!statsfile_path_ok(path)) {
        snprintf(err, errlen, "--stats FILE: '%s' must end in .json (the run file for `riommu "
                              "report`), .csv or .txt", path);
        return NULL;
    }
    statsfile *f = calloc(1, sizeof *f);
    if (f)
        f->path = malloc(strlen(path) + 1);
    if (!f || !f->path) {
        free(f);
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    strcpy(f->path, path);
    f->form = ends_with(path, ".json") ? SF_JSON : ends_with(path, ".csv") ? SF_CSV : SF_TEXT;
    f->out = fopen(path, "w");
    if (!f->out) {
        snprintf(err, errlen, "cannot write stats '%s'", path);
        free(f->path);
        free(f);
        return NULL;
    }
    riommu_stats_series_reset(&f->series, SERIES_POINTS);
    switch (f->form) {
    case SF_JSON:
        fputs("{\"format\":\"riommu-run\",\"version\":1,\"command\":", f->out);
        riommu_stats_json_str(f->out, command);
        fputs(",\"backends\":", f->out);
        if (backends)
            riommu_stats_json_str(f->out, backends);
        else
            fputs("null", f->out);
        fputs(",\"programs\":[", f->out);
        break;
    case SF_CSV:
        riommu_stats_csv_header(f->out);
        break;
    case SF_TEXT:
        break;
    }
    return f;
}

static void clear_failed(statsfile *f)
{
    for (size_t i = 0; i < f->nfailed; i++)
        free(f->failed[i]);
    f->nfailed = 0;
    f->failed_more = 0;
}

void statsfile_begin(statsfile *f)
{
    f->nbe = 0;
    riommu_stats_series_reset(&f->series, SERIES_POINTS);
    clear_failed(f);
}

void statsfile_sample(void *ctx, uint64_t step, uint64_t cycles, const riommu_stats *st)
{
    statsfile *f = ctx;
    riommu_stats_series_offer(&f->series, step, cycles, st);
}

void statsfile_failed(statsfile *f, const char *text)
{
    if (!f->failed) {
        f->failed = calloc(FAILED_MAX, sizeof *f->failed);
        if (!f->failed) {
            f->oom = true;
            return;
        }
    }
    if (f->nfailed == FAILED_MAX) {
        f->failed_more++;
        return;
    }
    size_t l = strlen(text);
    char *c = malloc(l + 1);
    if (!c) {
        f->oom = true;
        return;
    }
    memcpy(c, text, l + 1);
    f->failed[f->nfailed++] = c;
}

void statsfile_backend(statsfile *f, const char *name, const riommu_stats *st, uint64_t cycles)
{
    if (f->nbe == RUN_MAX_BACKENDS)
        return;
    sf_backend *b = &f->be[f->nbe++];
    snprintf(b->name, sizeof b->name, "%s", name);
    b->st = *st;
    b->cycles = cycles;
}

static void write_json_program(statsfile *f, const char *name, const run_summary *s)
{
    FILE *o = f->out;
    fputs(f->programs ? ",\n{\"name\":" : "\n{\"name\":", o);
    riommu_stats_json_str(o, name);
    fprintf(o,
            ",\"steps\":%" PRIu64 ",\"checks\":%" PRIu64 ",\"mismatches\":%" PRIu64
            ",\"waived\":%" PRIu64 ",\"skipped\":%" PRIu64 ",\"stopped\":%s,\"cycles\":%" PRIu64
            ",\"failed\":[",
            s->steps, s->checks, s->mismatches, s->waived, s->skipped,
            s->stopped ? "true" : "false", s->cycles);
    for (size_t i = 0; i < f->nfailed; i++) {
        if (i)
            fputc(',', o);
        riommu_stats_json_str(o, f->failed[i]);
    }
    fprintf(o, "],\"failed_more\":%" PRIu64 ",\"backends\":[", f->failed_more);
    for (unsigned i = 0; i < f->nbe; i++) {
        if (!riommu_stats_table_build(&f->table, &f->be[i].st, f->be[i].cycles))
            f->oom = true;
        fputs(i ? ",\n{\"name\":" : "\n{\"name\":", o);
        riommu_stats_json_str(o, f->be[i].name);
        fputs(",\"stats\":", o);
        riommu_stats_json_values(o, &f->table);
        fputc('}', o);
    }
    fputs("],\n\"series\":", o);
    riommu_stats_series_json(o, &f->series);
    fputc('}', o);
}

void statsfile_end(statsfile *f, const char *name, const run_summary *s)
{
    if (!f->nbe)
        statsfile_backend(f, "model", &s->model, s->cycles);
    riommu_stats_series_finish(&f->series);
    if (f->series.oom)
        f->oom = true;
    switch (f->form) {
    case SF_JSON:
        write_json_program(f, name, s);
        break;
    case SF_CSV:
        for (unsigned i = 0; i < f->nbe; i++) {
            if (!riommu_stats_table_build(&f->table, &f->be[i].st, f->be[i].cycles))
                f->oom = true;
            riommu_stats_csv_rows(f->out, name, f->be[i].name, &f->table);
        }
        break;
    case SF_TEXT:
        for (unsigned i = 0; i < f->nbe; i++) {
            if (!riommu_stats_table_build(&f->table, &f->be[i].st, f->be[i].cycles))
                f->oom = true;
            fprintf(f->out, "\n---------- Begin Simulation Statistics ----------\n"
                            "# program %s, backend %s\n", name, f->be[i].name);
            riommu_stats_text(f->out, &f->table);
            fputs("---------- End Simulation Statistics   ----------\n", f->out);
        }
        break;
    }
    f->programs++;
    f->mism += s->mismatches;
    f->waived += s->waived;
    f->skipped += s->skipped;
    f->nbe = 0;
    clear_failed(f);
}

void statsfile_timing(statsfile *f, const struct timing_cmp *t)
{
    f->tcmp = t;
}

bool statsfile_close(statsfile *f, const cases *cs, const char *prog)
{
    bool ok = !f->oom;
    if (f->form == SF_JSON) {
        FILE *o = f->out;
        fputs("\n],\n\"report\":", o);
        if (cs && cs->nb)
            riommu_report_json(o, cs->v, cs->n);
        else
            fputs("null", o);
        fprintf(o,
                ",\n\"totals\":{\"programs\":%" PRIu64 ",\"mismatches\":%" PRIu64
                ",\"waived\":%" PRIu64 ",\"skipped\":%" PRIu64 "},\n",
                f->programs, f->mism, f->waived, f->skipped);
        if (f->tcmp && timing_cmp_count(f->tcmp)) {
            fputs("\"timing_compare\":", o);
            timing_cmp_write_json(f->tcmp, o, 10);
            fputs(",\n", o);
        }
        fputs("\"statistics\":", o);
        /* the names every table has, described once */
        riommu_stats zero;
        memset(&zero, 0, sizeof zero);
        if (!riommu_stats_table_build(&f->table, &zero, 0))
            ok = false;
        riommu_stats_json_info(o, &f->table);
        fputs("}\n", o);
    }
    if (ferror(f->out))
        ok = false;
    if (fclose(f->out) != 0)
        ok = false;
    if (!ok)
        fprintf(stderr, "%s: cannot write stats '%s'\n", prog, f->path);
    clear_failed(f);
    free(f->failed);
    riommu_stats_series_free(&f->series);
    riommu_stats_table_free(&f->table);
    free(f->path);
    free(f);
    return ok;
}
