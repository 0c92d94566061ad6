/*
 * batch.c - many programs, one verdict (batch.h).
 */
#define _POSIX_C_SOURCE 200809L

#include "batch.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cases.h"
#include "report.h"
#include "riommu/model_backend.h"
#include "riommu/report.h"
#include "statsfile.h"
#include "world.h"

struct batch {
    run_options *ro;
    batch_opts o;
    report_text rt;
    cases cs;              /* one per co-simulated program */
    const char *reproduce; /* of the running program, or NULL */
    char *wave;            /* the running program's waveform file, or NULL */
    bool wave_written;     /* ... and its rtl backend ran */
    uint64_t programs, mism, waived, skipped;
    statsfile *sf;         /* --stats, or NULL */
    run_sink text;         /* the text sink, which stats_mismatch forwards to */
};

/* With --stats: keep each failed expectation's line, then print it. */
static void stats_mismatch(void *ctx, const scn_program *p, const run_mismatch *m)
{
    batch *b = ctx;
    char line[512];
    report_mismatch_line(line, sizeof line, p, m);
    statsfile_failed(b->sf, line);
    b->text.mismatch(b->text.ctx, p, m);
}

/* The other callbacks of the wrapped sink go straight to the text sink. */
static void fw_begin(void *ctx, const scn_program *p)
{
    batch *b = ctx;
    b->text.begin(b->text.ctx, p);
}

static void fw_step(void *ctx, const scn_program *p, const run_step_report *r)
{
    batch *b = ctx;
    b->text.step(b->text.ctx, p, r);
}

static void fw_fault(void *ctx, const scn_step *s, const riommu_drv_fault *rec)
{
    batch *b = ctx;
    b->text.fault(b->text.ctx, s, rec);
}

static void fw_event(void *ctx, const scn_step *s, const riommu_drv_event *ev)
{
    batch *b = ctx;
    b->text.event(b->text.ctx, s, ev);
}

static void fw_trace(void *ctx, const riommu_trace_rec *recs, size_t n)
{
    batch *b = ctx;
    b->text.trace(b->text.ctx, recs, n);
}

static void fw_end(void *ctx, const scn_program *p, const run_summary *s)
{
    batch *b = ctx;
    b->text.end(b->text.ctx, p, s);
}

static void cosim_done(void *ctx, const scn_program *p, const run_cosim_result *res)
{
    batch *b = ctx;
    const char *list = b->o.backends ? b->o.backends : "";
    char *mine = NULL;
    const char *repro = b->reproduce;
    if (!repro) {
        const char *w = b->o.waivers;
        size_t rl = strlen(list) + strlen(p->file) + (w ? strlen(w) : 0) + 64;
        mine = malloc(rl);
        if (mine)
            snprintf(mine, rl, "riommu run --backends %s%s%s %s", list, w ? " --waivers " : "",
                     w ? w : "", p->file);
        repro = mine;
    }
    /* The rtl backend ran: its waveform, or how to get one. */
    bool clocked = world_clocked(res->c);
    b->wave_written = clocked && b->wave;
    char *wrepro = NULL;
    if (clocked && !b->wave && repro) {
        char tag[300];
        size_t wl = strlen(repro) + sizeof tag + 16;
        wrepro = world_wave_tag(p->file, tag, sizeof tag) ? malloc(wl) : NULL;
        if (wrepro)
            snprintf(wrepro, wl, "%s --wave %s", repro, tag);
    }
    if (b->sf) /* every model backend's statistics */
        for (unsigned i = 0; i < riommu_cosim_backend_count(res->c); i++) {
            riommu *m = riommu_model_backend_model(riommu_cosim_backend(res->c, i));
            if (m) {
                riommu_stats st;
                riommu_get_stats(m, &st);
                statsfile_backend(b->sf, riommu_cosim_backend_name(res->c, i), &st,
                                  riommu_now(m));
            }
        }
    cases_add(&b->cs, p->file, list, repro, b->wave_written ? b->wave : NULL, wrepro, res->c,
              res->skipped, res->note);
    free(wrepro);
    free(mine);
}

batch *batch_create(run_options *ro, const batch_opts *o)
{
    batch *b = calloc(1, sizeof *b);
    if (!b) {
        fprintf(stderr, "%s: out of memory\n", o->command);
        return NULL;
    }
    if (o->stats) {
        char err[300];
        b->sf = statsfile_open(o->stats, o->command, o->backends, err, sizeof err);
        if (!b->sf) {
            fprintf(stderr, "%s: %s\n", o->command, err);
            free(b);
            return NULL;
        }
        ro->sample = statsfile_sample;
        ro->sample_ctx = b->sf;
        if (ro->tcmp)
            statsfile_timing(b->sf, ro->tcmp);
    }
    b->ro = ro;
    b->o = *o;
    cases_init(&b->cs, ro->backends, ro->nbackends);
    b->cs.max_lines = o->max_lines;
    b->cs.report_file = o->report != NULL;
    if (ro->nbackends) {
        ro->cosim_done = cosim_done;
        ro->cosim_ctx = b;
    }
    b->rt.out = stdout;
    b->rt.quiet = o->quiet;
    b->rt.summary = o->summary;
    b->rt.failures_only = o->failures_only;
    b->rt.max_mismatches = o->max_lines;
    return b;
}

int batch_run(batch *b, const scn_program *p, const char *title, const char *reproduce,
              run_summary *sum)
{
    b->rt.title = title;
    b->reproduce = reproduce;
    free(b->wave);
    b->wave = NULL;
    b->wave_written = false;
    if (b->o.wave) {
        size_t wl = strlen(b->o.wave) + strlen(p->file) + 16;
        b->wave = malloc(wl);
        if (!b->wave || !(b->o.wave_each ? world_wave_name(b->o.wave, p->file, b->wave, wl)
                                         : snprintf(b->wave, wl, "%s", b->o.wave) >= 0)) {
            fprintf(stderr, "%s: out of memory\n", p->file);
            return 2;
        }
    }
    b->ro->wave = b->wave;
    if (b->programs && !b->o.quiet)
        fputc('\n', stdout);
    run_sink sink = report_text_sink(&b->rt);
    if (b->sf) {
        statsfile_begin(b->sf);
        b->text = sink;
        sink.ctx = b; /* the other callbacks get the text sink's context back */
        sink.begin = fw_begin;
        sink.step = fw_step;
        sink.fault = fw_fault;
        sink.event = fw_event;
        sink.mismatch = stats_mismatch;
        sink.trace = fw_trace;
        sink.end = fw_end;
    }
    char err[600];
    cases_start(&b->cs);
    bool ok = run_program(p, b->ro, &sink, sum, err, sizeof err);
    b->reproduce = NULL;
    b->ro->wave = NULL;
    if (ok && b->wave_written && b->o.wave_failing_only && !sum->mismatches && !sum->waived)
        remove(b->wave); /* a clean program among many: no waveform kept */
    if (!ok) {
        fflush(stdout);
        fprintf(stderr, "%s: cannot run: %s\n", p->file, err);
        return 2;
    }
    if (b->sf)
        statsfile_end(b->sf, p->file, sum);
    b->programs++;
    b->mism += sum->mismatches;
    b->waived += sum->waived;
    b->skipped += sum->skipped;
    return sum->mismatches ? 1 : 0;
}

void batch_counts(const batch *b, uint64_t *programs, uint64_t *mismatches, uint64_t *waived,
                  uint64_t *skipped)
{
    *programs = b->programs;
    *mismatches = b->mism;
    *waived = b->waived;
    *skipped = b->skipped;
}

int batch_finish(batch *b)
{
    if (b->cs.oom) {
        fprintf(stderr, "%s: out of memory\n", b->o.command);
        return 2;
    }
    if (b->o.report &&
        !cases_write(&b->cs, b->o.report, "report", b->o.command, false, b->o.command))
        return 2;
    if (b->o.junit &&
        !cases_write(&b->cs, b->o.junit, "JUnit file", b->o.command, true, b->o.command))
        return 2;
    if (b->sf) {
        bool ok = statsfile_close(b->sf, &b->cs, b->o.command);
        b->sf = NULL;
        if (!ok)
            return 2;
    }
    if (!b->o.quiet)
        fputc('\n', stdout);
    report_final_line(stdout, b->mism, b->waived, b->skipped);
    fflush(stdout);
    return b->mism ? 1 : 0;
}

void batch_destroy(batch *b)
{
    if (!b)
        return;
    if (b->sf) /* a batch that stopped early: its file ends cleanly anyway */
        statsfile_close(b->sf, &b->cs, b->o.command);
    cases_free(&b->cs);
    report_text_free(&b->rt);
    free(b->wave);
    free(b);
}
