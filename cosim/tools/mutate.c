/*
 * mutate.c - `riommu mutate`, the mutation campaign (mutate.h).
 *
 * The workload is a list of jobs (a parsed program and its label), run
 * through run_program exactly as `riommu run --backends model,rtl` and
 * `riommu random --backends model,rtl` run them; the only difference per
 * mutant is run_options.rtl_mutant. Verdicts are records (mut_verdict),
 * rendered as text or JSON at the end of each mutant / of the campaign.
 */
#define _POSIX_C_SOURCE 200809L

#include "mutate.h"

#include <dirent.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "randgen.h"
#include "riommu/report.h"
#include "run.h"
#include "scenario.h"
#ifdef RIOMMU_HAVE_RTL
#include "riommu_dut.h"
#endif

#define MUT_DEFAULT_CORPUS "tests/scenarios"
#define MUT_DEFAULT_SEEDS "1-100"
#define MUT_MAX_SEEDS 100000u
#define MUT_MAX_EXCLUDES 32

void mutate_usage(FILE *o)
{
    fputs(
        "usage: riommu mutate [--mutants LIST] [--seeds A-B|none] [--exclude TEXT]...\n"
        "                     [--min-ratio R] [--json] [--waivers FILE] [SCENARIO|DIR...]\n"
        "       riommu mutate --list\n"
        "\n"
        "The mutation campaign over the project's own RTL IOMMU (docs/rtl-harness.md\n"
        "\"Mutation campaign\"): each mutant is a realistic bug the verilated\n"
        "riommu_rtl_top can switch in (rtl-harness/dut/README.md \"Mutants\"); the\n"
        "campaign counts how many of them co-simulation against the model detects.\n"
        "\n"
        "The workload is the directed corpus (the scenario files given, every *.scn\n"
        "of a directory given, default " MUT_DEFAULT_CORPUS ") and the random seeds\n"
        "(default " MUT_DEFAULT_SEEDS ", the generator's rtl target), all on\n"
        "--backends model,rtl. First the baseline: the whole workload without a\n"
        "mutant must agree, else the campaign stops (exit 2) naming what failed.\n"
        "Programs the DUT cannot run (`not run on rtl: ...`) are left out of the\n"
        "mutant runs. Then, for each mutant, the programs in order (corpus, then\n"
        "seeds), each to its first unwaived mismatch, until one has a mismatch or\n"
        "a backend error (watchdog, AXI protocol violation): the mutant is DETECTED\n"
        "by that program. One line per mutant: id, area, name and DETECTED by\n"
        "PROGRAM: the first record, or UNDETECTED. The last line is\n"
        "'detected: K/N (P%), T s'.\n"
        "\n"
        "options:\n"
        "  --mutants LIST        mutants to run: ids and ranges, '1-5,9,12' (default:\n"
        "                        all)\n"
        "  --seeds A-B|none      random seeds (default " MUT_DEFAULT_SEEDS ")\n"
        "  --exclude TEXT        leave out corpus files whose path contains TEXT\n"
        "                        (repeatable; e.g. a scenario that takes minutes)\n"
        "  --min-ratio R         the least detected/total that passes (default 0.95)\n"
        "  --json                one JSON document on stdout instead of the text\n"
        "  --waivers FILE        waive documented differences (docs/cosim.md)\n"
        "  --list                the mutants (id, area, name, description, spec\n"
        "                        section) and exit\n"
        "  -v, --verbose         every program's verdict on stderr as it runs\n"
        "  -h, --help            this text\n"
        "\n"
        "exit status: 0 detected/total >= --min-ratio, 1 below it, 2 usage or parse\n"
        "errors, a baseline that is not clean, or a build without Verilator.\n",
        o);
}

#ifndef RIOMMU_HAVE_RTL

int mutate_main(int argc, char **argv)
{
    for (int i = 1; i < argc; i++)
        if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            mutate_usage(stdout);
            return 0;
        }
    fprintf(stderr, "riommu mutate: this riommu was built without Verilator (no rtl backend, "
                    "no mutants)\n");
    return 2;
}

#else

/* ---- the workload ---------------------------------------------------------------------- */

typedef struct mut_job {
    scn_program *p;
    char label[160];   /* the scenario path, or "seed S (PROFILE)" */
    bool on_rtl;       /* the baseline ran it on the DUT */
} mut_job;

typedef struct mut_jobs {
    mut_job *v;
    size_t n, cap;
} mut_jobs;

static bool jobs_add(mut_jobs *j, scn_program *p, const char *label)
{
    if (j->n == j->cap) {
        size_t cap = j->cap ? 2 * j->cap : 64;
        mut_job *v = realloc(j->v, cap * sizeof *v);
        if (!v)
            return false;
        j->v = v;
        j->cap = cap;
    }
    mut_job *x = &j->v[j->n++];
    memset(x, 0, sizeof *x);
    x->p = p;
    snprintf(x->label, sizeof x->label, "%s", label);
    return true;
}

static void jobs_free(mut_jobs *j)
{
    for (size_t i = 0; i < j->n; i++)
        scn_free(j->v[i].p);
    free(j->v);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool excluded(const char *path, const char *const *ex, unsigned nex)
{
    for (unsigned i = 0; i < nex; i++)
        if (strstr(path, ex[i]))
            return true;
    return false;
}

static bool add_file(mut_jobs *j, const char *path)
{
    scn_error err;
    scn_program *p = scn_parse_file(path, &err);
    if (!p) {
        if (err.line)
            fprintf(stderr, "%s:%u: %s\n", path, err.line, err.msg);
        else
            fprintf(stderr, "%s: %s\n", path, err.msg);
        return false;
    }
    if (!jobs_add(j, p, path)) {
        scn_free(p);
        fprintf(stderr, "riommu mutate: out of memory\n");
        return false;
    }
    return true;
}

/* A file, or every *.scn directly in a directory (sorted by name). */
static bool add_path(mut_jobs *j, const char *path, const char *const *ex, unsigned nex)
{
    struct stat st;
    if (stat(path, &st) != 0) {
        fprintf(stderr, "riommu mutate: '%s': no such file or directory%s\n", path,
                strcmp(path, MUT_DEFAULT_CORPUS) ? ""
                                                 : " (run from the repository root, or give "
                                                   "the corpus)");
        return false;
    }
    if (!S_ISDIR(st.st_mode))
        return excluded(path, ex, nex) || add_file(j, path);
    DIR *d = opendir(path);
    if (!d) {
        fprintf(stderr, "riommu mutate: cannot read directory '%s'\n", path);
        return false;
    }
    char **names = NULL;
    size_t n = 0, cap = 0;
    bool ok = true;
    for (struct dirent *e; ok && (e = readdir(d));) {
        size_t l = strlen(e->d_name);
        if (l < 5 || strcmp(e->d_name + l - 4, ".scn"))
            continue;
        if (n == cap) {
            cap = cap ? 2 * cap : 64;
            char **nv = realloc(names, cap * sizeof *nv);
            if (!nv) {
                ok = false;
                break;
            }
            names = nv;
        }
        size_t pl = strlen(path) + l + 2;
        names[n] = malloc(pl);
        if (!names[n]) {
            ok = false;
            break;
        }
        snprintf(names[n], pl, "%s%s%s", path, path[strlen(path) - 1] == '/' ? "" : "/",
                 e->d_name);
        n++;
    }
    closedir(d);
    if (!ok)
        fprintf(stderr, "riommu mutate: out of memory\n");
    if (n)
        qsort(names, n, sizeof *names, cmp_str);
    for (size_t i = 0; i < n; i++) {
        if (ok && !excluded(names[i], ex, nex))
            ok = add_file(j, names[i]);
        free(names[i]);
    }
    free(names);
    return ok;
}

/* "A-B", "S" or "none" (*last < *first then). */
static bool parse_seeds(const char *s, uint64_t *first, uint64_t *last)
{
    if (!strcmp(s, "none")) {
        *first = 1;
        *last = 0;
        return true;
    }
    char *end;
    unsigned long long a = strtoull(s, &end, 10), b = a;
    if (end == s || (*end && *end != '-'))
        return false;
    if (*end == '-') {
        const char *t = end + 1;
        b = strtoull(t, &end, 10);
        if (end == t || *end)
            return false;
    }
    if (s[0] == '-' || b < a || b - a >= MUT_MAX_SEEDS)
        return false;
    *first = a;
    *last = b;
    return true;
}

static bool add_seeds(mut_jobs *j, uint64_t first, uint64_t last)
{
    randgen_target t;
    randgen_target_rtl(&t);
    t.name = "model,rtl";
    t.profile = RANDGEN_PROFILE_RANDOM;
    for (uint64_t s = first; s <= last && last >= first; s++) {
        char label[96], err[300];
        scn_program *p = randgen_program(s, &t, err, sizeof err);
        if (!p) {
            fprintf(stderr, "riommu mutate: %s\n", err);
            return false;
        }
        snprintf(label, sizeof label, "seed %" PRIu64 " (%s)", s,
                 randgen_profile_name(randgen_seed_profile(s, &t)));
        if (!jobs_add(j, p, label)) {
            scn_free(p);
            fprintf(stderr, "riommu mutate: out of memory\n");
            return false;
        }
        if (s == UINT64_MAX)
            break;
    }
    return true;
}

/* ---- one program on model,rtl -------------------------------------------------------- */

/* What one program found: its first unwaived record, rendered. */
typedef struct mut_result {
    bool built;           /* the world could be built */
    bool on_rtl;          /* the DUT ran it (not left out) */
    bool failed;          /* an unwaived mismatch (or the world could not be built) */
    riommu_mm_kind kind;  /* of the first unwaived record */
    uint64_t line;        /* its scenario line */
    char summary[512];    /* "KIND WHERE: expected X, got Y" or the backend's error */
} mut_result;

static void on_cosim(void *ctx, const scn_program *p, const run_cosim_result *res)
{
    (void)p;
    mut_result *r = ctx;
    r->on_rtl = false;
    for (unsigned i = 0; i < riommu_cosim_backend_count(res->c); i++)
        if (!strcmp(riommu_cosim_backend_name(res->c, i), "rtl"))
            r->on_rtl = true;
    size_t n;
    const riommu_mismatch *mm = riommu_cosim_mismatches(res->c, &n);
    for (size_t i = 0; i < n; i++) {
        const riommu_mismatch *m = &mm[i];
        if (m->waived)
            continue;
        r->failed = true;
        r->kind = m->kind;
        r->line = m->step;
        if (m->kind == RIOMMU_MM_BACKEND_ERROR) {
            /* `where` holds "operation: the backend's reason" (port, rule
             * or operation, cycle) */
            snprintf(r->summary, sizeof r->summary, "%s on %s: %s",
                     riommu_mm_kind_name(m->kind), riommu_cosim_backend_name(res->c, m->backend),
                     m->where);
        } else {
            char vals[96];
            riommu_report_values(m, vals, sizeof vals);
            snprintf(r->summary, sizeof r->summary, "%s %s on %s: %s",
                     riommu_mm_kind_name(m->kind), m->where,
                     riommu_cosim_backend_name(res->c, m->backend), vals);
        }
        return;
    }
}

typedef struct mut_runner {
    run_backend_spec specs[2];
    const riommu_waiver_rule *waivers;
    size_t nwaivers;
} mut_runner;

static void run_job(const mut_runner *mr, const mut_job *j, unsigned mutant, mut_result *out)
{
    memset(out, 0, sizeof *out);
    run_options ro;
    memset(&ro, 0, sizeof ro);
    ro.backends = mr->specs;
    ro.nbackends = 2;
    ro.stop_on_mismatch = true; /* the first unwaived mismatch decides */
    ro.waivers = mr->waivers;
    ro.nwaivers = mr->nwaivers;
    ro.rtl_mutant = mutant;
    ro.cosim_done = on_cosim;
    ro.cosim_ctx = out;
    run_sink sink;
    memset(&sink, 0, sizeof sink);
    run_summary sum;
    char err[256];
    out->built = run_program(j->p, &ro, &sink, &sum, err, sizeof err);
    if (!out->built) {
        /* e.g. a mutant that keeps the DUT from leaving reset */
        out->failed = true;
        out->on_rtl = true;
        out->kind = RIOMMU_MM_BACKEND_ERROR;
        snprintf(out->summary, sizeof out->summary, "the world cannot be built: %s", err);
        return;
    }
    if (sum.mismatches && !out->failed) {
        /* counted by the runner without an engine record (a fatal step) */
        out->failed = true;
        out->kind = RIOMMU_MM_EXPECT;
        snprintf(out->summary, sizeof out->summary, "%" PRIu64 " mismatch(es) without a "
                 "co-simulation record (a step that could not run)", sum.mismatches);
    }
}

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* ---- the campaign --------------------------------------------------------------------- */

typedef struct mut_verdict {
    const riommu_rtl_mutant *m;
    bool detected;
    const char *by;       /* the detecting job's label */
    mut_result first;     /* its first record */
    unsigned programs;    /* programs run */
    double seconds;
} mut_verdict;

/* "1-5,9,12" over 1..max into sel[]. */
static bool parse_mutants(const char *s, bool *sel, unsigned max)
{
    const char *c = s;
    while (*c) {
        char *end;
        unsigned long a = strtoul(c, &end, 10), b = a;
        if (end == c)
            return false;
        if (*end == '-') {
            const char *t = end + 1;
            b = strtoul(t, &end, 10);
            if (end == t)
                return false;
        }
        if (a < 1 || b > max || b < a)
            return false;
        for (unsigned long k = a; k <= b; k++)
            sel[k] = true;
        if (*end == ',')
            end++;
        else if (*end)
            return false;
        c = end;
    }
    return true;
}

static void json_str(FILE *out, const char *s)
{
    fputc('"', out);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\')
            fprintf(out, "\\%c", *p);
        else if (*p < 0x20)
            fprintf(out, "\\u%04x", *p);
        else
            fputc(*p, out);
    }
    fputc('"', out);
}

static void print_list(const riommu_rtl_mutant *t, size_t n)
{
    for (size_t i = 0; i < n; i++)
        printf("%2u  %-12s  %-26s  %s  [%s]\n", t[i].id, t[i].area, t[i].name, t[i].what,
               t[i].spec);
}

static void text_verdict(const mut_verdict *v)
{
    printf("mutant %2u %-12s %-26s ", v->m->id, v->m->area, v->m->name);
    if (v->detected)
        printf("DETECTED by %s: line %" PRIu64 ": %s", v->by, v->first.line, v->first.summary);
    else
        printf("UNDETECTED");
    printf(" [%u programs, %.1f s]\n", v->programs, v->seconds);
    fflush(stdout);
}

static void json_campaign(const mut_verdict *v, size_t n, size_t njobs, size_t nrtl,
                          double base_s, double total_s, unsigned k, double min_ratio)
{
    printf("{\"baseline\":{\"programs\":%zu,\"on_rtl\":%zu,\"clean\":true,\"seconds\":%.3f},\n",
           njobs, nrtl, base_s);
    printf("\"mutants\":[");
    for (size_t i = 0; i < n; i++) {
        printf(i ? ",\n{" : "\n{");
        printf("\"id\":%u,\"area\":", v[i].m->id);
        json_str(stdout, v[i].m->area);
        printf(",\"name\":");
        json_str(stdout, v[i].m->name);
        printf(",\"description\":");
        json_str(stdout, v[i].m->what);
        printf(",\"spec\":");
        json_str(stdout, v[i].m->spec);
        printf(",\"detected\":%s", v[i].detected ? "true" : "false");
        if (v[i].detected) {
            printf(",\"by\":");
            json_str(stdout, v[i].by);
            printf(",\"kind\":");
            json_str(stdout, riommu_mm_kind_name(v[i].first.kind));
            printf(",\"line\":%" PRIu64 ",\"summary\":", v[i].first.line);
            json_str(stdout, v[i].first.summary);
        }
        printf(",\"programs\":%u,\"seconds\":%.3f}", v[i].programs, v[i].seconds);
    }
    printf("\n],\"detected\":%u,\"total\":%zu,\"ratio\":%.4f,\"min_ratio\":%.4f,"
           "\"seconds\":%.3f}\n",
           k, n, n ? (double)k / (double)n : 0.0, min_ratio, total_s);
}

typedef struct mut_args {
    const char *mutants, *seeds, *waivers;
    const char *excludes[MUT_MAX_EXCLUDES];
    unsigned nex;
    const char **paths;
    int npaths;
    double min_ratio;
    bool json, list, verbose;
} mut_args;

/* Options into *a; -1 to go on, else the exit status. */
static int parse_args(int argc, char **argv, mut_args *a)
{
    a->seeds = MUT_DEFAULT_SEEDS;
    a->min_ratio = 0.95;
    for (int i = 1; i < argc; i++) {
        const char *s = argv[i];
        if (!strcmp(s, "-h") || !strcmp(s, "--help")) {
            mutate_usage(stdout);
            return 0;
        } else if (!strcmp(s, "--json")) {
            a->json = true;
        } else if (!strcmp(s, "--list")) {
            a->list = true;
        } else if (!strcmp(s, "-v") || !strcmp(s, "--verbose")) {
            a->verbose = true;
        } else if (!strcmp(s, "--mutants") || !strcmp(s, "--seeds") || !strcmp(s, "--exclude") ||
                   !strcmp(s, "--min-ratio") || !strcmp(s, "--waivers")) {
            if (i + 1 >= argc) {
                fprintf(stderr, "riommu mutate: %s needs an argument\n", s);
                return 2;
            }
            const char *v = argv[++i];
            if (!strcmp(s, "--mutants")) {
                a->mutants = v;
            } else if (!strcmp(s, "--seeds")) {
                a->seeds = v;
            } else if (!strcmp(s, "--waivers")) {
                a->waivers = v;
            } else if (!strcmp(s, "--exclude")) {
                if (a->nex == MUT_MAX_EXCLUDES) {
                    fprintf(stderr, "riommu mutate: more than %d --exclude\n", MUT_MAX_EXCLUDES);
                    return 2;
                }
                a->excludes[a->nex++] = v;
            } else {
                char *end;
                a->min_ratio = strtod(v, &end);
                if (end == v || *end || !(a->min_ratio >= 0.0 && a->min_ratio <= 1.0)) {
                    fprintf(stderr, "riommu mutate: --min-ratio: '%s' is not a number from 0 "
                                    "to 1\n", v);
                    return 2;
                }
            }
        } else if (s[0] == '-' && s[1]) {
            fprintf(stderr, "riommu mutate: unknown option '%s' (see riommu mutate --help)\n", s);
            return 2;
        } else {
            a->paths[a->npaths++] = s;
        }
    }
    return -1;
}

/* The baseline: every job without a mutant. Marks which ran on the DUT.
 * Returns false (after printing why) when one of them is not clean. */
static bool baseline(const mut_runner *mr, mut_jobs *jobs, bool verbose, size_t *nrtl,
                     double *secs)
{
    double t0 = now_s();
    size_t bad = 0;
    *nrtl = 0;
    for (size_t i = 0; i < jobs->n; i++) {
        mut_result r;
        run_job(mr, &jobs->v[i], 0, &r);
        jobs->v[i].on_rtl = r.built && r.on_rtl;
        *nrtl += jobs->v[i].on_rtl;
        if (verbose)
            fprintf(stderr, "baseline: %s: %s%s\n", jobs->v[i].label,
                    r.failed ? "MISMATCH: " : (r.on_rtl ? "clean" : "not run on rtl"),
                    r.failed ? r.summary : "");
        if (r.failed) {
            if (!bad)
                fflush(stdout);
            fprintf(stderr, "riommu mutate: baseline: %s: line %" PRIu64 ": %s\n",
                    jobs->v[i].label, r.line, r.summary);
            bad++;
        }
    }
    *secs = now_s() - t0;
    if (bad) {
        fprintf(stderr, "riommu mutate: the baseline (no mutant) is not clean: %zu of %zu "
                        "programs mismatch on model,rtl; a mutant's mismatch would mean "
                        "nothing (reproduce: riommu run --backends model,rtl FILE, or riommu "
                        "random --seeds S-S --backends model,rtl)\n", bad, jobs->n);
        return false;
    }
    return true;
}

static void mutant_run(const mut_runner *mr, const mut_jobs *jobs, mut_verdict *v, bool verbose)
{
    double t0 = now_s();
    for (size_t i = 0; i < jobs->n && !v->detected; i++) {
        const mut_job *j = &jobs->v[i];
        if (!j->on_rtl)
            continue;
        mut_result r;
        run_job(mr, j, v->m->id, &r);
        v->programs++;
        if (verbose)
            fprintf(stderr, "mutant %u: %s: %s\n", v->m->id, j->label,
                    r.failed ? r.summary : "clean");
        if (r.failed) {
            v->detected = true;
            v->by = j->label;
            v->first = r;
        }
    }
    v->seconds = now_s() - t0;
}

int mutate_main(int argc, char **argv)
{
    size_t ntab;
    const riommu_rtl_mutant *tab = riommu_rtl_mutants(&ntab);
    mut_args a;
    memset(&a, 0, sizeof a);
    a.paths = calloc((size_t)argc + 1, sizeof *a.paths);
    if (!a.paths) {
        fprintf(stderr, "riommu mutate: out of memory\n");
        return 2;
    }
    int status = parse_args(argc, argv, &a);
    bool sel[RIOMMU_RTL_MUTANTS + 1];
    memset(sel, 0, sizeof sel);
    uint64_t first = 0, last = 0;
    if (status < 0 && a.list) {
        print_list(tab, ntab);
        status = 0;
    }
    if (status < 0 && a.mutants && !parse_mutants(a.mutants, sel, (unsigned)ntab)) {
        fprintf(stderr, "riommu mutate: --mutants: '%s' is not a list of mutants 1..%zu "
                        "('1-5,9')\n", a.mutants, ntab);
        status = 2;
    }
    if (status < 0 && !a.mutants)
        for (size_t i = 1; i <= ntab; i++)
            sel[i] = true;
    if (status < 0 && !parse_seeds(a.seeds, &first, &last)) {
        fprintf(stderr, "riommu mutate: --seeds: '%s' is not A-B, S or none (decimal, at most "
                        "%u seeds)\n", a.seeds, MUT_MAX_SEEDS);
        status = 2;
    }
    mut_runner mr;
    memset(&mr, 0, sizeof mr);
    riommu_waiver_rule *rules = NULL;
    if (status < 0) {
        char err[256];
        if (run_backends_parse("model,rtl", mr.specs, 2, err, sizeof err) != 2) {
            fprintf(stderr, "riommu mutate: %s\n", err);
            status = 2;
        }
    }
    if (status < 0 && a.waivers) {
        enum { MAX_RULES = 256 };
        char err[256];
        rules = calloc(MAX_RULES, sizeof *rules);
        int nr = rules ? riommu_waivers_parse(a.waivers, rules, MAX_RULES, err, sizeof err) : -1;
        if (nr < 0) {
            fprintf(stderr, "riommu mutate: %s\n", rules ? err : "out of memory");
            status = 2;
        } else {
            mr.waivers = rules;
            mr.nwaivers = (size_t)nr;
        }
    }
    /* The workload: parse everything before anything runs. */
    mut_jobs jobs;
    memset(&jobs, 0, sizeof jobs);
    if (status < 0) {
        if (!a.npaths)
            a.paths[a.npaths++] = MUT_DEFAULT_CORPUS;
        for (int i = 0; i < a.npaths && status < 0; i++)
            if (!add_path(&jobs, a.paths[i], a.excludes, a.nex))
                status = 2;
        size_t ncorpus = jobs.n;
        if (status < 0 && !add_seeds(&jobs, first, last))
            status = 2;
        if (status < 0 && !jobs.n) {
            fprintf(stderr, "riommu mutate: nothing to run (no scenario and --seeds none)\n");
            status = 2;
        }
        if (status < 0 && !a.json) {
            printf("riommu mutate: %zu scenario(s) and %zu seed(s) on model,rtl\n", ncorpus,
                   jobs.n - ncorpus);
            fflush(stdout);
        }
    }
    double t_all = now_s(), base_s = 0;
    size_t nrtl = 0;
    if (status < 0 && !baseline(&mr, &jobs, a.verbose, &nrtl, &base_s))
        status = 2;
    if (status < 0 && !nrtl) {
        fprintf(stderr, "riommu mutate: no program of the workload runs on rtl\n");
        status = 2;
    }
    if (status < 0 && !a.json) {
        printf("baseline: %zu program(s), %zu on rtl, clean, %.1f s\n", jobs.n, nrtl, base_s);
        for (size_t i = 0; i < jobs.n; i++)
            if (!jobs.v[i].on_rtl)
                printf("baseline: %s: not run on rtl (left out)\n", jobs.v[i].label);
        fflush(stdout);
    }
    if (status < 0) {
        mut_verdict *v = calloc(ntab, sizeof *v);
        size_t nv = 0;
        unsigned k = 0;
        if (!v) {
            fprintf(stderr, "riommu mutate: out of memory\n");
            status = 2;
        }
        for (size_t i = 0; v && i < ntab; i++) {
            if (!sel[tab[i].id])
                continue;
            v[nv].m = &tab[i];
            mutant_run(&mr, &jobs, &v[nv], a.verbose);
            k += v[nv].detected;
            if (!a.json)
                text_verdict(&v[nv]);
            nv++;
        }
        double total = now_s() - t_all;
        double ratio = nv ? (double)k / (double)nv : 0.0;
        if (v && a.json)
            json_campaign(v, nv, jobs.n, nrtl, base_s, total, k, a.min_ratio);
        else if (v)
            printf("detected: %u/%zu (%.1f%%), %.1f s\n", k, nv, 100.0 * ratio, total);
        if (v)
            status = (nv && ratio + 1e-9 >= a.min_ratio) ? 0 : 1;
        free(v);
    }
    jobs_free(&jobs);
    free(rules);
    free(a.paths);
    fflush(stdout);
    return status;
}

#endif /* RIOMMU_HAVE_RTL */
