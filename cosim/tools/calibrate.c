/*
 * calibrate.c - `riommu calibrate`, the timing fit against the DUT
 * (calibrate.h).
 *
 * The workload is parsed once (the rtl target's random seeds); every
 * candidate is the same programs through run_program on model,rtl with
 * run_options.tune writing the candidate's knobs into the reference
 * configuration and a fresh timing_cmp collecting the latency pairs. The
 * functional results do not depend on timing, so every candidate sees the
 * same DMAs; only the model's predicted latencies move.
 */
#define _POSIX_C_SOURCE 200809L

#include "calibrate.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "randgen.h"
#include "run.h"
#include "scenario.h"
#include "timing_cmp.h"
#include "world.h"

#define CAL_DEFAULT_SEEDS "1-50"
#define CAL_MAX_SEEDS 2000u /* parsed programs are kept: about 150 KiB each */
#define CAL_DEFAULT_RUNS 80u
#define CAL_MAX_RUNS 10000u
#define CAL_KNOB_MAX 4096u /* cycles: far beyond any fit, bounded search */

/* A knob the search may move: a uint32_t of riommu_config, named as its
 * scenario key (`config timing KEY=` or `config CACHE lat=`). */
typedef struct cal_knob {
    const char *name;
    const char *line;  /* the config line it belongs to: "timing", "iotlb", "ddtc" */
    const char *key;   /* the key on that line */
    size_t off;
} cal_knob;

static const cal_knob kKnobs[] = {
    {"xlate_lat", "timing", "xlate_lat", offsetof(riommu_config, timing.xlate_lat)},
    {"mem_lat", "timing", "mem_lat", offsetof(riommu_config, timing.mem_lat)},
    {"mem_beat_lat", "timing", "mem_beat_lat", offsetof(riommu_config, timing.mem_beat_lat)},
    {"dma_rd_lat", "timing", "dma_rd_lat", offsetof(riommu_config, timing.dma_rd_lat)},
    {"dma_wr_lat", "timing", "dma_wr_lat", offsetof(riommu_config, timing.dma_wr_lat)},
    {"fault_lat", "timing", "fault_lat", offsetof(riommu_config, timing.fault_lat)},
    {"ddtc.lat", "ddtc", "lat", offsetof(riommu_config, ddtc.lat)},
    {"iotlb.lat", "iotlb", "lat", offsetof(riommu_config, iotlb.lat)},
};
#define CAL_NKNOBS (sizeof kKnobs / sizeof kKnobs[0])
#define CAL_DEFAULT_KNOBS "xlate_lat,mem_lat,mem_beat_lat,dma_rd_lat,dma_wr_lat,fault_lat"

static uint32_t knob_get(const riommu_config *c, const cal_knob *k)
{
    uint32_t v;
    memcpy(&v, (const char *)c + k->off, sizeof v);
    return v;
}

static void knob_set(riommu_config *c, const cal_knob *k, uint32_t v)
{
    memcpy((char *)c + k->off, &v, sizeof v);
}

void calibrate_usage(FILE *o)
{
    fputs(
        "usage: riommu calibrate [--seeds A-B] [--knobs LIST] [--start KEY=V,...]\n"
        "                        [--from-defaults] [--max-runs N] [-v]\n"
        "\n"
        "Fits the reference model's timing knobs to the rtl backend's DUT\n"
        "(docs/timing.md \"Calibrating to a design\"): runs the random seeds (the\n"
        "generator's rtl target) on model,rtl once per candidate, pairs every DMA's\n"
        "latency as --timing-compare does, and searches the knobs one at a time, a\n"
        "cycle up or down, for the least mean relative error |model - rtl| / rtl plus\n"
        "a quarter of its p95. Prints the start, every improvement, and the fitted\n"
        "knobs as scenario config lines. Functional results do not depend on timing,\n"
        "so every candidate runs the same DMAs.\n"
        "\n"
        "options:\n"
        "  --seeds A-B         the workload (default " CAL_DEFAULT_SEEDS "; at most 2000 seeds)\n"
        "  --knobs LIST        the knobs to fit, comma-separated (default\n"
        "                      " CAL_DEFAULT_KNOBS ";\n"
        "                      also ddtc.lat, iotlb.lat); the others keep their values\n"
        "  --start KEY=V,...   start these knobs at V (cycles) instead of the DUT's\n"
        "                      model configuration (riommu_rtl_model_config)\n"
        "  --from-defaults     start every fitted knob at the model's default\n"
        "                      (riommu_config_default) instead\n"
        "  --max-runs N        stop after N candidates (default 80)\n"
        "  --mem-lat N         the harness memory slave's latency, 1..64 cycles (default 1;\n"
        "                      --backends model,rtl:mem-lat=N); the start follows it\n"
        "  -v, --verbose       print every candidate, not only improvements\n"
        "  -h, --help          this text\n"
        "\n"
        "exit status: 0 fitted, 1 a program had mismatches (a functional difference:\n"
        "the fit is not to be trusted), 2 usage errors, no Verilator in this build,\n"
        "or no DMA to compare.\n",
        o);
}

/* ---- arguments ------------------------------------------------------------------------- */

typedef struct cal_args {
    const char *seeds, *knobs, *start;
    bool from_defaults, verbose;
    unsigned max_runs;
    unsigned mem_lat; /* the harness memory slave's latency (rtl:mem-lat=N) */
} cal_args;

static bool parse_uint(const char *s, uint64_t max, uint64_t *out)
{
    if (!s || !*s)
        return false;
    uint64_t v = 0;
    for (; *s; s++) {
        if (*s < '0' || *s > '9' || v > (max - (uint64_t)(*s - '0')) / 10)
            return false;
        v = v * 10 + (uint64_t)(*s - '0');
    }
    *out = v;
    return true;
}

/* "A-B" or "S", at most CAL_MAX_SEEDS seeds. */
static bool parse_seeds(const char *s, uint64_t *first, uint64_t *last)
{
    char a[24], b[24];
    const char *dash = strchr(s, '-');
    size_t la = dash ? (size_t)(dash - s) : strlen(s);
    if (la == 0 || la >= sizeof a || (dash && strlen(dash + 1) >= sizeof b))
        return false;
    memcpy(a, s, la);
    a[la] = 0;
    snprintf(b, sizeof b, "%s", dash ? dash + 1 : a);
    return parse_uint(a, UINT64_MAX, first) && parse_uint(b, UINT64_MAX, last) &&
           *first <= *last && *last - *first < CAL_MAX_SEEDS;
}

static const cal_knob *knob_named(const char *name, size_t len)
{
    for (size_t i = 0; i < CAL_NKNOBS; i++)
        if (strlen(kKnobs[i].name) == len && !strncmp(kKnobs[i].name, name, len))
            return &kKnobs[i];
    return NULL;
}

/* `list` into sel[] (by kKnobs index). False with a message. */
static bool parse_knobs(const char *list, bool sel[CAL_NKNOBS])
{
    memset(sel, 0, CAL_NKNOBS * sizeof *sel);
    const char *p = list;
    while (*p) {
        size_t n = strcspn(p, ",");
        const cal_knob *k = knob_named(p, n);
        if (!k) {
            fprintf(stderr, "riommu calibrate: --knobs: unknown knob '%.*s' (%s, ddtc.lat, "
                            "iotlb.lat)\n", (int)n, p, CAL_DEFAULT_KNOBS);
            return false;
        }
        sel[k - kKnobs] = true;
        p += n;
        if (*p == ',')
            p++;
    }
    for (size_t i = 0; i < CAL_NKNOBS; i++)
        if (sel[i])
            return true;
    fprintf(stderr, "riommu calibrate: --knobs: no knob given\n");
    return false;
}

/* --start KEY=V,... onto cfg. False with a message. */
static bool parse_start(const char *s, riommu_config *cfg)
{
    const char *p = s;
    while (*p) {
        size_t n = strcspn(p, ",");
        const char *eq = memchr(p, '=', n);
        const cal_knob *k = eq ? knob_named(p, (size_t)(eq - p)) : NULL;
        char num[24];
        size_t vl = eq ? n - (size_t)(eq + 1 - p) : 0;
        uint64_t v = 0;
        bool ok = k && vl > 0 && vl < sizeof num;
        if (ok) {
            memcpy(num, eq + 1, vl);
            num[vl] = 0;
            ok = parse_uint(num, CAL_KNOB_MAX, &v);
        }
        if (!ok) {
            fprintf(stderr, "riommu calibrate: --start: '%.*s' is not KNOB=CYCLES with a knob "
                            "of --knobs' list and 0..%u cycles\n", (int)n, p, CAL_KNOB_MAX);
            return false;
        }
        knob_set(cfg, k, (uint32_t)v);
        p += n;
        if (*p == ',')
            p++;
    }
    return true;
}

static int parse_args(int argc, char **argv, cal_args *a)
{
    memset(a, 0, sizeof *a);
    a->seeds = CAL_DEFAULT_SEEDS;
    a->knobs = CAL_DEFAULT_KNOBS;
    a->max_runs = CAL_DEFAULT_RUNS;
    a->mem_lat = 1;
    for (int i = 1; i < argc; i++) {
        const char *s = argv[i];
        if (!strcmp(s, "-h") || !strcmp(s, "--help")) {
            calibrate_usage(stdout);
            return 0;
        } else if (!strcmp(s, "-v") || !strcmp(s, "--verbose")) {
            a->verbose = true;
        } else if (!strcmp(s, "--from-defaults")) {
            a->from_defaults = true;
        } else if (!strcmp(s, "--seeds") || !strcmp(s, "--knobs") || !strcmp(s, "--start") ||
                   !strcmp(s, "--max-runs") || !strcmp(s, "--mem-lat")) {
            if (i + 1 >= argc) {
                fprintf(stderr, "riommu calibrate: %s needs an argument\n", s);
                return 2;
            }
            const char *v = argv[++i];
            if (!strcmp(s, "--seeds")) {
                a->seeds = v;
            } else if (!strcmp(s, "--knobs")) {
                a->knobs = v;
            } else if (!strcmp(s, "--start")) {
                a->start = v;
            } else if (!strcmp(s, "--mem-lat")) {
                uint64_t n;
                if (!parse_uint(v, 64, &n) || n == 0) {
                    fprintf(stderr, "riommu calibrate: --mem-lat: '%s' is not 1..64\n", v);
                    return 2;
                }
                a->mem_lat = (unsigned)n;
            } else {
                uint64_t n;
                if (!parse_uint(v, CAL_MAX_RUNS, &n) || n == 0) {
                    fprintf(stderr, "riommu calibrate: --max-runs: '%s' is not 1..%u\n", v,
                            CAL_MAX_RUNS);
                    return 2;
                }
                a->max_runs = (unsigned)n;
            }
        } else {
            fprintf(stderr, "riommu calibrate: unknown argument '%s' (see riommu calibrate "
                            "--help)\n", s);
            return 2;
        }
    }
    return -1;
}

/* ---- one candidate --------------------------------------------------------------------- */

typedef struct cal_cand {
    uint32_t v[CAL_NKNOBS];
} cal_cand;

typedef struct cal_result {
    uint64_t n;          /* DMA pairs */
    double mean, p95;    /* fractions */
    double score;        /* mean + p95 / 4 */
    uint64_t mismatches; /* unwaived, over every program */
} cal_result;

typedef struct cal_ctx {
    scn_program **progs;
    size_t nprogs;
    run_backend_spec specs[2];
    const bool *sel;
    const cal_cand *cur; /* what tune writes */
} cal_ctx;

static void tune(void *ctx, riommu_config *cfg)
{
    const cal_ctx *c = ctx;
    for (size_t i = 0; i < CAL_NKNOBS; i++)
        if (c->sel[i])
            knob_set(cfg, &kKnobs[i], c->cur->v[i]);
}

/* Run every program with candidate `k`; false when out of memory or a
 * world could not be built (message printed). */
static bool evaluate(cal_ctx *c, const cal_cand *k, cal_result *out)
{
    memset(out, 0, sizeof *out);
    timing_cmp *tc = timing_cmp_create();
    if (!tc) {
        fprintf(stderr, "riommu calibrate: out of memory\n");
        return false;
    }
    c->cur = k;
    run_options ro;
    memset(&ro, 0, sizeof ro);
    ro.backends = c->specs;
    ro.nbackends = 2;
    ro.tcmp = tc;
    ro.tune = tune;
    ro.tune_ctx = c;
    run_sink sink;
    memset(&sink, 0, sizeof sink);
    for (size_t i = 0; i < c->nprogs; i++) {
        run_summary sum;
        char err[256];
        if (!run_program(c->progs[i], &ro, &sink, &sum, err, sizeof err)) {
            fprintf(stderr, "riommu calibrate: %s: %s\n", c->progs[i]->file, err);
            timing_cmp_destroy(tc);
            return false;
        }
        out->mismatches += sum.mismatches;
    }
    timing_cmp_summary s;
    if (timing_cmp_summarize(tc, c->specs[1].name, &s)) {
        out->n = s.n;
        out->mean = s.mean_abs_rel;
        out->p95 = s.p95_abs_rel;
        out->score = s.mean_abs_rel + 0.25 * s.p95_abs_rel;
    }
    timing_cmp_destroy(tc);
    return true;
}

static void print_cand(const bool *sel, const cal_cand *k)
{
    const char *sep = "";
    for (size_t i = 0; i < CAL_NKNOBS; i++)
        if (sel[i]) {
            printf("%s%s=%" PRIu32, sep, kKnobs[i].name, k->v[i]);
            sep = " ";
        }
}

static void print_result(unsigned run, const bool *sel, const cal_cand *k, const cal_result *r,
                         const char *tag)
{
    printf("run %u: ", run);
    print_cand(sel, k);
    printf(": %" PRIu64 " DMAs, mean %.1f %%, p95 %.1f %%%s%s%s\n", r->n, 100.0 * r->mean,
           100.0 * r->p95, tag ? " (" : "", tag ? tag : "", tag ? ")" : "");
    fflush(stdout);
}

/* The fitted knobs as config lines: one `config timing` line with the
 * timing knobs, one `config CACHE lat=` per cache knob. */
static void print_config(const bool *sel, const cal_cand *k)
{
    static const char *const lines[] = {"timing", "ddtc", "iotlb"};
    for (size_t l = 0; l < sizeof lines / sizeof lines[0]; l++) {
        bool any = false;
        for (size_t i = 0; i < CAL_NKNOBS; i++) {
            if (!sel[i] || strcmp(kKnobs[i].line, lines[l]))
                continue;
            if (!any)
                printf("config %s", lines[l]);
            printf(" %s=%" PRIu32, kKnobs[i].key, k->v[i]);
            any = true;
        }
        if (any)
            printf("\n");
    }
}

/* ---- the search ------------------------------------------------------------------------ */

/* Every candidate run so far and its result: the search revisits points. */
typedef struct cal_seen {
    struct cal_point {
        cal_cand k;
        cal_result r;
    } *v;
    size_t n, cap;
} cal_seen;

static const cal_result *seen_find(const cal_seen *s, const cal_cand *k)
{
    for (size_t i = 0; i < s->n; i++)
        if (!memcmp(&s->v[i].k, k, sizeof *k))
            return &s->v[i].r;
    return NULL;
}

static bool seen_add(cal_seen *s, const cal_cand *k, const cal_result *r)
{
    if (s->n == s->cap) {
        size_t cap = s->cap ? 2 * s->cap : 64;
        struct cal_point *nv = realloc(s->v, cap * sizeof *nv);
        if (!nv)
            return false;
        s->v = nv;
        s->cap = cap;
    }
    s->v[s->n].k = *k;
    s->v[s->n].r = *r;
    s->n++;
    return true;
}

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

typedef struct cal_search {
    cal_ctx *c;
    const cal_args *a;
    cal_seen seen;
    unsigned runs;
    cal_cand best;
    cal_result best_r;
    bool failed;       /* out of memory or a world not built */
    bool out_of_runs;
} cal_search;

/* Score candidate k (once: repeats come from the memo). True when it is
 * better than the best so far, which it then becomes. */
static bool try_cand(cal_search *s, const cal_cand *k)
{
    const cal_result *known = seen_find(&s->seen, k);
    cal_result r;
    if (known) {
        r = *known;
    } else {
        if (s->runs >= s->a->max_runs) {
            s->out_of_runs = true;
            return false;
        }
        if (!evaluate(s->c, k, &r) || !seen_add(&s->seen, k, &r)) {
            s->failed = true;
            return false;
        }
        s->runs++;
    }
    bool better = r.n && r.score < s->best_r.score;
    if (!known && (better || s->a->verbose))
        print_result(s->runs, s->c->sel, k, &r, better ? "better" : NULL);
    if (better) {
        s->best = *k;
        s->best_r = r;
    }
    return better;
}

/* Coordinate descent: per knob, a step of one cycle each way, followed
 * while it improves; passes until one improves nothing. */
static void search(cal_search *s)
{
    bool improved = true;
    while (improved && !s->failed && !s->out_of_runs) {
        improved = false;
        for (size_t i = 0; i < CAL_NKNOBS && !s->failed && !s->out_of_runs; i++) {
            if (!s->c->sel[i])
                continue;
            for (int dir = 1; dir >= -1; dir -= 2) {
                bool moved = false;
                for (;;) {
                    cal_cand k = s->best;
                    uint32_t v = k.v[i];
                    if ((dir < 0 && v == 0) || (dir > 0 && v >= CAL_KNOB_MAX))
                        break;
                    k.v[i] = dir > 0 ? v + 1 : v - 1;
                    if (!try_cand(s, &k))
                        break;
                    moved = improved = true;
                }
                if (moved)
                    break; /* this direction paid; the other cannot */
            }
        }
    }
}

/* ---- the command ----------------------------------------------------------------------- */

static bool add_seeds(cal_ctx *c, uint64_t first, uint64_t last)
{
    randgen_target t;
    randgen_target_rtl(&t);
    t.name = "model,rtl";
    t.profile = RANDGEN_PROFILE_RANDOM;
    c->progs = calloc((size_t)(last - first + 1), sizeof *c->progs);
    if (!c->progs) {
        fprintf(stderr, "riommu calibrate: out of memory\n");
        return false;
    }
    for (uint64_t s = first;; s++) {
        char err[300];
        scn_program *p = randgen_program(s, &t, err, sizeof err);
        if (!p) {
            fprintf(stderr, "riommu calibrate: %s\n", err);
            return false;
        }
        c->progs[c->nprogs++] = p;
        if (s == last)
            break;
    }
    return true;
}

int calibrate_main(int argc, char **argv)
{
    cal_args a;
    int status = parse_args(argc, argv, &a);
    if (status >= 0)
        return status;
    riommu_config start;
    riommu_config_default(&start);
    if (!world_rtl_model_config(&start, a.mem_lat)) {
        fprintf(stderr, "riommu calibrate: riommu was built without Verilator: no rtl backend "
                        "to calibrate against\n");
        return 2;
    }
    bool sel[CAL_NKNOBS];
    uint64_t first = 0, last = 0;
    if (!parse_knobs(a.knobs, sel))
        return 2;
    if (!parse_seeds(a.seeds, &first, &last)) {
        fprintf(stderr, "riommu calibrate: --seeds: '%s' is not A-B or S (decimal, at most "
                        "%u seeds)\n", a.seeds, CAL_MAX_SEEDS);
        return 2;
    }
    if (a.from_defaults) {
        riommu_config d;
        riommu_config_default(&d);
        for (size_t i = 0; i < CAL_NKNOBS; i++)
            if (sel[i])
                knob_set(&start, &kKnobs[i], knob_get(&d, &kKnobs[i]));
    }
    if (a.start && !parse_start(a.start, &start))
        return 2;
    cal_ctx c;
    memset(&c, 0, sizeof c);
    c.sel = sel;
    char err[256];
    char list[48];
    if (a.mem_lat > 1)
        snprintf(list, sizeof list, "model,rtl:mem-lat=%u", a.mem_lat);
    else
        snprintf(list, sizeof list, "model,rtl");
    if (run_backends_parse(list, c.specs, 2, err, sizeof err) != 2) {
        fprintf(stderr, "riommu calibrate: %s\n", err);
        return 2;
    }
    cal_search s;
    memset(&s, 0, sizeof s);
    s.c = &c;
    s.a = &a;
    status = 0;
    if (!add_seeds(&c, first, last))
        status = 2;
    if (!status) {
        printf("riommu calibrate: seeds %" PRIu64 "-%" PRIu64 " on model,rtl (memory slave "
               "latency %u), dma_txn_bytes=%" PRIu32 ", at most %u runs; fitting ", first, last,
               a.mem_lat, start.timing.dma_txn_bytes, a.max_runs);
        for (size_t i = 0, n = 0; i < CAL_NKNOBS; i++)
            if (sel[i])
                printf("%s%s", n++ ? " " : "", kKnobs[i].name);
        printf("\n");
        for (size_t i = 0; i < CAL_NKNOBS; i++)
            s.best.v[i] = knob_get(&start, &kKnobs[i]);
        double t0 = now_s();
        cal_result r0;
        if (!evaluate(&c, &s.best, &r0) || !seen_add(&s.seen, &s.best, &r0)) {
            status = 2;
        } else if (!r0.n) {
            fprintf(stderr, "riommu calibrate: no DMA both model and rtl answered alike: "
                            "nothing to fit\n");
            status = 2;
        } else {
            s.runs = 1;
            s.best_r = r0;
            print_result(1, sel, &s.best, &r0, "start");
            search(&s);
            if (s.failed)
                status = 2;
        }
        if (!status) {
            printf("fitted after %u runs, %.1f s%s: %" PRIu64 " DMAs, mean %.1f %%, p95 %.1f %% "
                   "(start: mean %.1f %%, p95 %.1f %%)\n",
                   s.runs, now_s() - t0, s.out_of_runs ? " (--max-runs reached)" : "",
                   s.best_r.n, 100.0 * s.best_r.mean, 100.0 * s.best_r.p95, 100.0 * r0.mean,
                   100.0 * r0.p95);
            print_config(sel, &s.best);
            if (s.best_r.mismatches || r0.mismatches) {
                fprintf(stderr, "riommu calibrate: %" PRIu64 " mismatch(es) between model and "
                                "rtl: a functional difference; run `riommu random --seeds %s "
                                "--backends model,rtl` and fix it before trusting the fit\n",
                        s.best_r.mismatches ? s.best_r.mismatches : r0.mismatches, a.seeds);
                status = 1;
            }
        }
    }
    for (size_t i = 0; i < c.nprogs; i++)
        scn_free(c.progs[i]);
    free(c.progs);
    free(s.seen.v);
    fflush(stdout);
    return status;
}
