/*
 * cases.c - report cases of co-simulated runs (cases.h).
 */
#define _POSIX_C_SOURCE 200809L

#include "cases.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static char *dup_str(const char *s)
{
    size_t l = strlen(s) + 1;
    char *d = malloc(l);
    if (d)
        memcpy(d, s, l);
    return d;
}

void cases_init(cases *cs, const run_backend_spec *b, unsigned n)
{
    memset(cs, 0, sizeof *cs);
    for (unsigned i = 0; i < n && i < RUN_MAX_BACKENDS; i++)
        cs->names[cs->nb++] = b[i].name;
}

void cases_start(cases *cs) { cs->t0 = now_s(); }

void cases_add(cases *cs, const char *name, const char *list, const char *reproduce,
               const char *wave, const char *wave_reproduce, const riommu_cosim *c,
               uint64_t skipped, const char *note)
{
    if (cs->n == cs->cap) {
        size_t nc = cs->cap ? cs->cap * 2 : 16;
        riommu_report_case *ncs = realloc(cs->v, nc * sizeof *ncs);
        if (!ncs) {
            cs->oom = true;
            return;
        }
        cs->v = ncs;
        cs->cap = nc;
    }
    riommu_report_case *k = &cs->v[cs->n++];
    memset(k, 0, sizeof *k);
    k->seconds = now_s() - cs->t0;
    k->name = dup_str(name);
    k->reproduce = reproduce ? dup_str(reproduce) : NULL;
    k->wave = wave ? dup_str(wave) : NULL;
    k->wave_reproduce = wave_reproduce ? dup_str(wave_reproduce) : NULL;
    unsigned nb = riommu_cosim_backend_count(c);
    const char **names = nb ? malloc(nb * sizeof *names) : NULL;
    if (names) {
        for (unsigned i = 0; i < nb; i++)
            names[i] = riommu_cosim_backend_name(c, i);
        k->backends = names;
        k->nbackends = nb;
    } else {
        k->backends = cs->names;
        k->nbackends = cs->nb;
    }
    size_t n;
    const riommu_mismatch *mm = riommu_cosim_mismatches(c, &n);
    riommu_mismatch *copy = n ? malloc(n * sizeof *copy) : NULL;
    if (copy)
        memcpy(copy, mm, n * sizeof *copy);
    k->mm = copy;
    k->nmm = copy ? n : 0;
    riommu_cosim_counts(c, &k->unwaived, &k->waived);
    k->skipped = skipped;
    if (note && note[0])
        printf("%s: skipped: %s\n", name, note);
    if (!k->nmm)
        return;
    printf("%s: co-simulation (%s): %llu unwaived, %llu waived\n", name, list,
           (unsigned long long)k->unwaived, (unsigned long long)k->waived);
    if (!cs->max_lines || k->nmm <= cs->max_lines) {
        riommu_report_text(stdout, k);
        return;
    }
    riommu_report_case shown = *k;
    shown.nmm = cs->max_lines;
    shown.unwaived = shown.nmm; /* no "(more records not kept)" line */
    shown.waived = 0;
    shown.reproduce = NULL;
    shown.wave_reproduce = NULL;
    riommu_report_text(stdout, &shown);
    uint64_t more = k->unwaived + k->waived - shown.nmm;
    printf("... %llu more record%s not shown%s\n", (unsigned long long)more, more == 1 ? "" : "s",
           cs->report_file ? " (the --report file has the first 10000)" : "");
    if (k->unwaived && k->reproduce)
        printf("reproduce: %s\n", k->reproduce);
    bool clocked = false;
    for (size_t i = 0; i < k->nmm && !clocked; i++)
        clocked = k->mm[i].has_clock;
    if (k->unwaived && clocked && !k->wave && k->wave_reproduce)
        printf("waveform: %s\n", k->wave_reproduce);
}

bool cases_write(const cases *cs, const char *path, const char *what, const char *suite,
                 bool junit, const char *prog)
{
    FILE *f = fopen(path, "w");
    if (!f) {
        fprintf(stderr, "%s: cannot write %s '%s'\n", prog, what, path);
        return false;
    }
    if (junit)
        riommu_report_junit(f, suite, cs->v, cs->n);
    else
        riommu_report_json(f, cs->v, cs->n);
    if (fclose(f) != 0) {
        fprintf(stderr, "%s: cannot write %s '%s'\n", prog, what, path);
        return false;
    }
    return true;
}

void cases_free(cases *cs)
{
    for (size_t i = 0; i < cs->n; i++) {
        free((void *)cs->v[i].name);
        free((void *)cs->v[i].reproduce);
        free((void *)cs->v[i].wave);
        free((void *)cs->v[i].wave_reproduce);
        free((void *)cs->v[i].mm);
        if (cs->v[i].backends != cs->names)
            free((void *)cs->v[i].backends);
    }
    free(cs->v);
    memset(cs, 0, sizeof *cs);
}
