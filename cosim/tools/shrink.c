/*
 * shrink.c - `riommu shrink SCENARIO [--backends LIST] [--waivers F] [-o OUT]`
 * (see shrink.h): delta debugging over a scenario's statements.
 *
 * The unit of reduction is one statement line (comments and blank lines
 * are dropped from the result). The search is ddmin's complement phase
 * (remove chunks of n statements, doubling n's granularity when nothing
 * can go), then one pass removing single statements, then `repeat N`
 * counts made as small as they can be. Every candidate is parsed first;
 * one that does not parse is not run. Runs stop at the first unwaived
 * mismatch (--stop-at-first), so a candidate keeps the failure only when
 * its first failure has the original's signature.
 */
#define _POSIX_C_SOURCE 200809L

#include "shrink.h"

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "riommu/report.h"
#include "run.h"
#include "scenario.h"

#define SHRINK_MAX_RUNS_DEFAULT 5000u

/* How a run failed: enough to tell "the same way" from another way. */
typedef struct shr_sig {
    bool valid;
    bool cosim;
    riommu_mm_kind kind;   /* cosim: record kind */
    char backend[64];      /* cosim: the backend that differed */
    char where[64];        /* cosim: record where; else what was compared */
    char verb[32];         /* without --backends: the statement's first word */
} shr_sig;

typedef struct shr_probe {
    shr_sig first;         /* the first failure of this run */
} shr_probe;

typedef struct shrinker {
    const char *file;      /* the input's name (messages, candidates) */
    char **lines;          /* the input split in lines (owned) */
    size_t nlines;
    bool *keep;            /* statement lines kept so far */
    bool *stmt;            /* line holds a statement (not blank / comment) */
    char **repl;           /* replacement text for a line (repeat counts) */
    run_options ro;
    shr_sig want;
    unsigned runs, max_runs;
    bool verbose;
} shrinker;

static void sig_text(const shr_sig *s, char *out, size_t n)
{
    if (!s->valid)
        snprintf(out, n, "(none)");
    else if (s->cosim)
        snprintf(out, n, "%s on %s: %s", riommu_mm_kind_name(s->kind), s->backend, s->where);
    else
        snprintf(out, n, "expectation '%s' of a '%s' statement", s->where, s->verb);
}

static bool sig_eq(const shr_sig *a, const shr_sig *b)
{
    return a->valid && b->valid && a->cosim == b->cosim && a->kind == b->kind &&
           !strcmp(a->backend, b->backend) && !strcmp(a->where, b->where) &&
           !strcmp(a->verb, b->verb);
}

static void on_mismatch(void *ctx, const scn_program *p, const run_mismatch *m)
{
    (void)p;
    shr_probe *pr = ctx;
    if (pr->first.valid)
        return;
    pr->first.valid = true;
    pr->first.cosim = false;
    pr->first.kind = RIOMMU_MM_EXPECT;
    snprintf(pr->first.where, sizeof pr->first.where, "%s", m->fatal ? "error" : m->what);
    const char *t = m->step && m->step->text ? m->step->text : "";
    size_t i = 0;
    while (t[i] && t[i] != ' ' && t[i] != '\t' && i + 1 < sizeof pr->first.verb) {
        pr->first.verb[i] = t[i];
        i++;
    }
    pr->first.verb[i] = 0;
}

static void on_cosim(void *ctx, const scn_program *p, const run_cosim_result *res)
{
    (void)p;
    shr_probe *pr = ctx;
    size_t n;
    const riommu_mismatch *mm = riommu_cosim_mismatches(res->c, &n);
    for (size_t i = 0; i < n; i++) {
        if (mm[i].waived)
            continue;
        /* the engine's record replaces an expectation seen by on_mismatch */
        memset(&pr->first, 0, sizeof pr->first);
        pr->first.valid = true;
        pr->first.cosim = true;
        pr->first.kind = mm[i].kind;
        snprintf(pr->first.backend, sizeof pr->first.backend, "%s",
                 riommu_cosim_backend_name(res->c, mm[i].backend));
        const char *w = mm[i].where;
        if (mm[i].kind == RIOMMU_MM_EXPECT && !strncmp(w, "line ", 5)) {
            const char *c = strstr(w, ": "); /* "line N: what": lines move */
            if (c)
                w = c + 2;
        }
        /* the first 63 bytes: a backend error's cycle numbers, further on,
         * move with every candidate and are not part of the signature */
        snprintf(pr->first.where, sizeof pr->first.where, "%.*s",
                 (int)sizeof pr->first.where - 1, w);
        return;
    }
}

/* The candidate text: kept statement lines (with replacements). */
static char *build_text(const shrinker *s, size_t *len)
{
    size_t n = 1;
    for (size_t i = 0; i < s->nlines; i++)
        if (s->stmt[i] && s->keep[i])
            n += strlen(s->repl[i] ? s->repl[i] : s->lines[i]) + 1;
    char *t = malloc(n);
    if (!t)
        return NULL;
    size_t o = 0;
    for (size_t i = 0; i < s->nlines; i++) {
        if (!s->stmt[i] || !s->keep[i])
            continue;
        const char *l = s->repl[i] ? s->repl[i] : s->lines[i];
        size_t k = strlen(l);
        memcpy(t + o, l, k);
        o += k;
        t[o++] = '\n';
    }
    t[o] = 0;
    *len = o;
    return t;
}

/* Run the current candidate. Returns 1 when it fails the same way, 0 when
 * not (or it does not parse), -1 when the world cannot be built or out of
 * memory (err set). */
static int try_candidate(shrinker *s, shr_sig *got, char *err, size_t errlen)
{
    size_t len;
    char *text = build_text(s, &len);
    if (!text) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    scn_error pe;
    scn_program *p = scn_parse(s->file, text, len, &pe);
    free(text);
    if (!p)
        return 0;
    s->runs++;
    shr_probe pr;
    memset(&pr, 0, sizeof pr);
    run_options o = s->ro;
    o.cosim_done = on_cosim;
    o.cosim_ctx = &pr;
    run_sink sink;
    memset(&sink, 0, sizeof sink);
    sink.ctx = &pr;
    sink.mismatch = on_mismatch;
    run_summary sum;
    char e[256];
    bool ok = run_program(p, &o, &sink, &sum, e, sizeof e);
    scn_free(p);
    if (!ok) {
        /* a candidate whose world cannot be built (e.g. a config line
         * left without its partner) simply does not fail the same way */
        return 0;
    }
    if (got)
        *got = pr.first;
    return sig_eq(&pr.first, &s->want) ? 1 : 0;
}

static size_t count_kept(const shrinker *s)
{
    size_t n = 0;
    for (size_t i = 0; i < s->nlines; i++)
        n += s->stmt[i] && s->keep[i];
    return n;
}

static void progress(const shrinker *s, const char *what)
{
    if (s->verbose)
        fprintf(stderr, "shrink: %zu statements (%s, run %u)\n", count_kept(s), what, s->runs);
}

/* Try removing the kept statements idx[from..to): keeps the removal when
 * the failure stays. Returns 1 removed, 0 not, -1 error. */
static int try_remove(shrinker *s, const size_t *idx, size_t from, size_t to, char *err,
                      size_t errlen)
{
    for (size_t k = from; k < to; k++)
        s->keep[idx[k]] = false;
    int r = try_candidate(s, NULL, err, errlen);
    if (r != 1)
        for (size_t k = from; k < to; k++)
            s->keep[idx[k]] = true;
    return r;
}

static int ddmin(shrinker *s, char *err, size_t errlen)
{
    size_t *idx = malloc((s->nlines + 1) * sizeof *idx);
    if (!idx) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    size_t n = 2;
    for (;;) {
        size_t m = 0;
        for (size_t i = 0; i < s->nlines; i++)
            if (s->stmt[i] && s->keep[i])
                idx[m++] = i;
        if (m < 2 || s->runs >= s->max_runs)
            break;
        if (n > m)
            n = m;
        size_t chunk = (m + n - 1) / n;
        bool reduced = false;
        for (size_t from = 0; from < m && s->runs < s->max_runs; from += chunk) {
            size_t to = from + chunk < m ? from + chunk : m;
            int r = try_remove(s, idx, from, to, err, errlen);
            if (r < 0) {
                free(idx);
                return -1;
            }
            if (r == 1) {
                reduced = true;
                progress(s, "chunk removed");
                break;
            }
        }
        if (reduced) {
            n = n > 2 ? n - 1 : 2;
            continue;
        }
        if (n >= m)
            break;
        n = n * 2 < m ? n * 2 : m;
    }
    /* one statement at a time, from the end (later steps depend on
     * earlier ones, so the tail goes first) */
    for (size_t i = s->nlines; i-- > 0 && s->runs < s->max_runs;) {
        if (!s->stmt[i] || !s->keep[i])
            continue;
        size_t one = i;
        int r = try_remove(s, &one, 0, 1, err, errlen);
        if (r < 0) {
            free(idx);
            return -1;
        }
        if (r == 1)
            progress(s, "statement removed");
    }
    free(idx);
    return 0;
}

/* `repeat N STATEMENT`: the smallest N that keeps the failure (1, then
 * halving from N). */
static int shrink_repeats(shrinker *s, char *err, size_t errlen)
{
    for (size_t i = 0; i < s->nlines && s->runs < s->max_runs; i++) {
        if (!s->stmt[i] || !s->keep[i])
            continue;
        const char *l = s->lines[i];
        while (*l == ' ' || *l == '\t')
            l++;
        if (strncmp(l, "repeat", 6) != 0 || (l[6] != ' ' && l[6] != '\t'))
            continue;
        char *end;
        errno = 0;
        unsigned long long cnt = strtoull(l + 7, &end, 0);
        if (errno || end == l + 7 || cnt <= 1)
            continue;
        const char *rest = end;
        unsigned long long lo = 1, best = cnt;
        while (lo < best && s->runs < s->max_runs) {
            unsigned long long mid = lo + (best - lo) / 2;
            size_t need = strlen(rest) + 32;
            char *nl = malloc(need);
            if (!nl) {
                snprintf(err, errlen, "out of memory");
                return -1;
            }
            snprintf(nl, need, "repeat %llu%s", mid, rest);
            char *old = s->repl[i];
            s->repl[i] = nl;
            int r = try_candidate(s, NULL, err, errlen);
            if (r < 0)
                return -1;
            if (r == 1) {
                free(old);
                best = mid;
                progress(s, "repeat count reduced");
            } else {
                free(nl);
                s->repl[i] = old;
                lo = mid + 1;
            }
        }
    }
    return 0;
}

static void shrink_usage(FILE *o)
{
    fputs("usage: riommu shrink SCENARIO [--backends LIST] [--waivers FILE] [-o OUT]\n"
          "                     [--max-runs N] [-v]\n"
          "\n"
          "Reduces a failing scenario to a minimal one that still fails the same way\n"
          "(delta debugging over its statements) and writes it as a scenario file.\n"
          "The failure's signature is the first unwaived mismatch of the original run:\n"
          "with --backends the co-simulation record's kind, backend and where (e.g.\n"
          "'dma-cause on model:defect=wrong-cause: dma cause'); without, the failed\n"
          "expectation and its statement's verb. A candidate keeps the failure when\n"
          "its first unwaived mismatch has the same signature.\n"
          "\n"
          "options:\n"
          "  --backends LIST   as for `riommu run` (default: the model alone)\n"
          "  --waivers FILE    as for `riommu run --backends`\n"
          "  -o OUT            where to write the result (default: SCENARIO with\n"
          "                    .scn replaced by .min.scn)\n"
          "  --max-runs N      stop searching after N runs (default 5000)\n"
          "  -v                print every reduction on stderr\n"
          "\n"
          "The last line is 'shrunk: N -> M statements in R runs: OUT'.\n"
          "exit status: 0 written, 1 the scenario does not fail, 2 usage, parse or\n"
          "I/O errors.\n",
          o);
}

/* Read all of `f` (at most SCN_MAX_FILE_BYTES); NUL-terminated. */
static char *read_stream(FILE *f, const char *name, size_t *len, char *err, size_t errlen)
{
    size_t cap = 65536, n = 0;
    char *b = malloc(cap + 1);
    while (b) {
        n += fread(b + n, 1, cap - n, f);
        if (n < cap)
            break;
        if (cap > SCN_MAX_FILE_BYTES) {
            snprintf(err, errlen, "%s: larger than %u bytes", name, (unsigned)SCN_MAX_FILE_BYTES);
            free(b);
            return NULL;
        }
        char *nb = realloc(b, cap * 2 + 1);
        if (!nb) {
            free(b);
            b = NULL;
            break;
        }
        b = nb;
        cap *= 2;
    }
    if (!b) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    b[n] = 0;
    *len = n;
    return b;
}

/* Split `text` in lines (owned copies); marks statement lines. */
static bool split_lines(shrinker *s, const char *text, size_t len)
{
    size_t n = 1;
    for (size_t i = 0; i < len; i++)
        n += text[i] == '\n';
    s->lines = calloc(n, sizeof *s->lines);
    s->keep = calloc(n, sizeof *s->keep);
    s->stmt = calloc(n, sizeof *s->stmt);
    s->repl = calloc(n, sizeof *s->repl);
    if (!s->lines || !s->keep || !s->stmt || !s->repl)
        return false;
    size_t start = 0;
    for (size_t i = 0; i <= len; i++) {
        if (i < len && text[i] != '\n')
            continue;
        size_t l = i - start;
        if (l && text[start + l - 1] == '\r')
            l--;
        char *c = malloc(l + 1);
        if (!c)
            return false;
        memcpy(c, text + start, l);
        c[l] = 0;
        const char *p = c;
        while (*p == ' ' || *p == '\t')
            p++;
        s->stmt[s->nlines] = *p && *p != '#';
        s->keep[s->nlines] = true;
        s->lines[s->nlines++] = c;
        start = i + 1;
    }
    return true;
}

static void shrinker_free(shrinker *s)
{
    for (size_t i = 0; i < s->nlines; i++) {
        free(s->lines[i]);
        free(s->repl[i]);
    }
    free(s->lines);
    free(s->keep);
    free(s->stmt);
    free(s->repl);
}

int cmd_shrink(int argc, char **argv)
{
    const char *file = NULL, *out = NULL, *backends = NULL, *waivers = NULL;
    shrinker s;
    memset(&s, 0, sizeof s);
    s.max_runs = SHRINK_MAX_RUNS_DEFAULT;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            shrink_usage(stdout);
            return 0;
        } else if (!strcmp(a, "-v")) {
            s.verbose = true;
        } else if (!strcmp(a, "-o") || !strcmp(a, "--backends") || !strcmp(a, "--waivers") ||
                   !strcmp(a, "--max-runs")) {
            if (i + 1 >= argc) {
                fprintf(stderr, "riommu shrink: %s needs a value\n", a);
                return 2;
            }
            const char *v = argv[++i];
            if (!strcmp(a, "-o"))
                out = v;
            else if (!strcmp(a, "--backends"))
                backends = v;
            else if (!strcmp(a, "--waivers"))
                waivers = v;
            else {
                char *end;
                errno = 0;
                unsigned long long n = strtoull(v, &end, 10);
                if (errno || *end || end == v || n == 0 || n > 10000000ull || v[0] == '-') {
                    fprintf(stderr, "riommu shrink: --max-runs '%s': a number 1..10000000\n",
                            v);
                    return 2;
                }
                s.max_runs = (unsigned)n;
            }
        } else if (a[0] == '-' && a[1]) {
            fprintf(stderr, "riommu shrink: unknown option '%s' (see riommu shrink --help)\n", a);
            return 2;
        } else if (!file) {
            file = a;
        } else {
            fprintf(stderr, "riommu shrink: one scenario at a time ('%s')\n", a);
            return 2;
        }
    }
    if (!file) {
        shrink_usage(stderr);
        return 2;
    }
    if (!strcmp(file, "-") && !out) {
        fprintf(stderr, "riommu shrink: a scenario from stdin needs -o OUT\n");
        return 2;
    }
    run_backend_spec specs[RUN_MAX_BACKENDS];
    riommu_waiver_rule *rules = NULL;
    char err[512];
    int status = 2;
    char *text = NULL, *outbuf = NULL;
    if (waivers && !backends) {
        fprintf(stderr, "riommu shrink: --waivers needs --backends\n");
        return 2;
    }
    if (backends) {
        s.ro.nbackends = run_backends_parse(backends, specs, RUN_MAX_BACKENDS, err, sizeof err);
        s.ro.backends = specs;
        if (!s.ro.nbackends) {
            fprintf(stderr, "riommu shrink: %s\n", err);
            return 2;
        }
    }
    if (waivers) {
        enum { MAX_RULES = 256 };
        rules = calloc(MAX_RULES, sizeof *rules);
        int nr = rules ? riommu_waivers_parse(waivers, rules, MAX_RULES, err, sizeof err) : -1;
        if (nr < 0) {
            fprintf(stderr, "riommu shrink: %s\n", rules ? err : "out of memory");
            free(rules);
            return 2;
        }
        s.ro.waivers = rules;
        s.ro.nwaivers = (size_t)nr;
    }
    s.ro.stop_on_mismatch = true;
    s.file = file;
    size_t len = 0;
    if (!strcmp(file, "-")) {
        s.file = "<stdin>";
        text = read_stream(stdin, s.file, &len, err, sizeof err);
    } else {
        FILE *f = fopen(file, "rb");
        if (f) {
            text = read_stream(f, file, &len, err, sizeof err);
            fclose(f);
        } else {
            snprintf(err, sizeof err, "%s: cannot open: %s", file, strerror(errno));
        }
    }
    if (!text) {
        fprintf(stderr, "riommu shrink: %s\n", err);
        goto done;
    }
    /* the original must parse (a parse error is reported as `run` does) */
    scn_error pe;
    scn_program *p0 = scn_parse(s.file, text, len, &pe);
    if (!p0) {
        fprintf(stderr, "%s:%u: %s\n", s.file, pe.line, pe.msg);
        goto done;
    }
    scn_free(p0);
    if (!split_lines(&s, text, len)) {
        fprintf(stderr, "riommu shrink: out of memory\n");
        goto done;
    }
    size_t before = count_kept(&s);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    /* The original run fixes the signature: any failure matches it once. */
    shr_sig first;
    memset(&first, 0, sizeof first);
    s.want.valid = false;
    int r = try_candidate(&s, &first, err, sizeof err);
    if (r < 0) {
        fprintf(stderr, "riommu shrink: %s\n", err);
        goto done;
    }
    if (!first.valid) {
        printf("%s: does not fail%s%s: nothing to shrink\n", s.file, backends ? " on " : "",
               backends ? backends : "");
        status = 1;
        goto done;
    }
    s.want = first;
    char sg[200];
    sig_text(&s.want, sg, sizeof sg);
    printf("%s: fails with %s\n", s.file, sg);
    fflush(stdout);
    if (ddmin(&s, err, sizeof err) < 0 || shrink_repeats(&s, err, sizeof err) < 0) {
        fprintf(stderr, "riommu shrink: %s\n", err);
        goto done;
    }
    /* the result must still fail the same way (it did when it was kept) */
    if (try_candidate(&s, NULL, err, sizeof err) != 1) {
        fprintf(stderr, "riommu shrink: internal error: the reduced scenario no longer fails\n");
        goto done;
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    size_t after = count_kept(&s);
    size_t blen;
    char *body = build_text(&s, &blen);
    if (!body) {
        fprintf(stderr, "riommu shrink: out of memory\n");
        goto done;
    }
    if (!out) {
        size_t fl = strlen(file);
        outbuf = malloc(fl + 16);
        if (!outbuf) {
            free(body);
            fprintf(stderr, "riommu shrink: out of memory\n");
            goto done;
        }
        if (fl > 4 && !strcmp(file + fl - 4, ".scn"))
            snprintf(outbuf, fl + 16, "%.*s.min.scn", (int)(fl - 4), file);
        else
            snprintf(outbuf, fl + 16, "%s.min.scn", file);
        out = outbuf;
    }
    FILE *f = fopen(out, "w");
    if (!f) {
        free(body);
        fprintf(stderr, "riommu shrink: cannot write '%s': %s\n", out, strerror(errno));
        goto done;
    }
    fprintf(f,
            "# Reduced by `riommu shrink` from %s (%zu -> %zu statements).\n"
            "# Fails with: %s\n"
            "# Reproduce: riommu run%s%s%s%s %s\n",
            s.file, before, after, sg, backends ? " --backends " : "", backends ? backends : "",
            waivers ? " --waivers " : "", waivers ? waivers : "", out);
    fwrite(body, 1, blen, f);
    free(body);
    if (fclose(f) != 0) {
        fprintf(stderr, "riommu shrink: cannot write '%s'\n", out);
        goto done;
    }
    double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    printf("shrunk: %zu -> %zu statements in %u runs (%.2f s)%s: %s\n", before, after, s.runs,
           secs, s.runs >= s.max_runs ? " (--max-runs reached)" : "", out);
    status = 0;
done:
    shrinker_free(&s);
    free(text);
    free(outbuf);
    free(rules);
    return status;
}
