/*
 * batch.c - many programs, one verdict (batch.h).
 */
#define _POSIX_C_SOURCE 200809L

#include "batch.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "report.h"
#include "riommu/report.h"

struct batch {
    run_options *ro;
    batch_opts o;
    report_text rt;
    /* report cases, one per co-simulated program */
    const char *names[RUN_MAX_BACKENDS];
    unsigned nb;
    riommu_report_case *cases;
    size_t n, cap;
    const char *reproduce; /* of the running program, or NULL */
    struct timespec t0;    /* start of the running program */
    bool oom;
    uint64_t programs, mism, waived, skipped;
};

static char *dup_str(const char *s)
{
    size_t l = strlen(s) + 1;
    char *d = malloc(l);
    if (d)
        memcpy(d, s, l);
    return d;
}

static void cosim_done(void *ctx, const scn_program *p, const run_cosim_result *res)
{
    batch *b = ctx;
    if (b->n == b->cap) {
        size_t nc = b->cap ? b->cap * 2 : 16;
        riommu_report_case *ncs = realloc(b->cases, nc * sizeof *ncs);
        if (!ncs) {
            b->oom = true;
            return;
        }
        b->cases = ncs;
        b->cap = nc;
    }
    riommu_report_case *c = &b->cases[b->n++];
    memset(c, 0, sizeof *c);
    struct timespec t1;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    c->seconds = (double)(t1.tv_sec - b->t0.tv_sec) + (double)(t1.tv_nsec - b->t0.tv_nsec) / 1e9;
    c->name = dup_str(p->file);
    if (b->reproduce) {
        c->reproduce = dup_str(b->reproduce);
    } else {
        const char *list = b->o.backends ? b->o.backends : "";
        const char *w = b->o.waivers;
        size_t rl = strlen(list) + strlen(p->file) + (w ? strlen(w) : 0) + 64;
        char *repro = malloc(rl);
        if (repro)
            snprintf(repro, rl, "riommu run --backends %s%s%s %s", list, w ? " --waivers " : "",
                     w ? w : "", p->file);
        c->reproduce = repro;
    }
    /* The engine's own list: a backend that could not run this program
     * (qemu, for a scenario with config lines) is not in it. */
    unsigned nb = riommu_cosim_backend_count(res->c);
    const char **names = malloc(nb * sizeof *names);
    if (names) {
        for (unsigned i = 0; i < nb; i++)
            names[i] = riommu_cosim_backend_name(res->c, i);
        c->backends = names;
        c->nbackends = nb;
    } else {
        c->backends = b->names;
        c->nbackends = b->nb;
    }
    size_t n;
    const riommu_mismatch *mm = riommu_cosim_mismatches(res->c, &n);
    riommu_mismatch *copy = n ? malloc(n * sizeof *copy) : NULL;
    if (copy)
        memcpy(copy, mm, n * sizeof *copy);
    c->mm = copy;
    c->nmm = copy ? n : 0;
    riommu_cosim_counts(res->c, &c->unwaived, &c->waived);
    c->skipped = res->skipped;
    if (res->note[0])
        printf("%s: skipped: %s\n", p->file, res->note);
    if (!c->nmm)
        return;
    printf("%s: co-simulation (%s): %llu unwaived, %llu waived\n", p->file,
           b->o.backends ? b->o.backends : "", (unsigned long long)c->unwaived,
           (unsigned long long)c->waived);
    if (!b->o.max_lines || c->nmm <= b->o.max_lines) {
        riommu_report_text(stdout, c);
        return;
    }
    riommu_report_case shown = *c;
    shown.nmm = b->o.max_lines;
    shown.unwaived = shown.nmm; /* no "(more records not kept)" line */
    shown.waived = 0;
    shown.reproduce = NULL;
    riommu_report_text(stdout, &shown);
    uint64_t more = c->unwaived + c->waived - shown.nmm;
    printf("... %llu more record%s not shown%s\n", (unsigned long long)more, more == 1 ? "" : "s",
           b->o.report ? " (the --report file has the first 10000)" : "");
    if (c->unwaived && c->reproduce)
        printf("reproduce: %s\n", c->reproduce);
}

batch *batch_create(run_options *ro, const batch_opts *o)
{
    batch *b = calloc(1, sizeof *b);
    if (!b)
        return NULL;
    b->ro = ro;
    b->o = *o;
    for (unsigned i = 0; i < ro->nbackends && i < RUN_MAX_BACKENDS; i++)
        b->names[b->nb++] = ro->backends[i].name;
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
    if (b->programs && !b->o.quiet)
        fputc('\n', stdout);
    run_sink sink = report_text_sink(&b->rt);
    char err[256];
    clock_gettime(CLOCK_MONOTONIC, &b->t0);
    bool ok = run_program(p, b->ro, &sink, sum, err, sizeof err);
    b->reproduce = NULL;
    if (!ok) {
        fflush(stdout);
        fprintf(stderr, "%s: cannot run: %s\n", p->file, err);
        return 2;
    }
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

static bool write_file(const batch *b, const char *path, const char *what, bool junit)
{
    FILE *f = fopen(path, "w");
    if (!f) {
        fprintf(stderr, "%s: cannot write %s '%s'\n", b->o.command, what, path);
        return false;
    }
    if (junit)
        riommu_report_junit(f, b->o.command, b->cases, b->n);
    else
        riommu_report_json(f, b->cases, b->n);
    if (fclose(f) != 0) {
        fprintf(stderr, "%s: cannot write %s '%s'\n", b->o.command, what, path);
        return false;
    }
    return true;
}

int batch_finish(batch *b)
{
    if (b->oom) {
        fprintf(stderr, "%s: out of memory\n", b->o.command);
        return 2;
    }
    if (b->o.report && !write_file(b, b->o.report, "report", false))
        return 2;
    if (b->o.junit && !write_file(b, b->o.junit, "JUnit file", true))
        return 2;
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
    for (size_t i = 0; i < b->n; i++) {
        free((void *)b->cases[i].name);
        free((void *)b->cases[i].reproduce);
        free((void *)b->cases[i].mm);
        if (b->cases[i].backends != b->names)
            free((void *)b->cases[i].backends);
    }
    free(b->cases);
    report_text_free(&b->rt);
    free(b);
}
