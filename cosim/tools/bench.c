/*
 * bench.c - `riommu bench` (bench.h): options, the section table and the
 * rendering of figures as text or JSON. The measuring is the sections'.
 */
#define _POSIX_C_SOURCE 200809L

#include "bench.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* In table order; `riommu bench` alone runs every one this build can. */
static const bench_section *const sections[] = {
    &bench_model_section,
    &bench_scaling_section,
    &bench_rtl_section,
};
#define NSECTIONS (sizeof sections / sizeof sections[0])

#define MAX_DEPTH 8

struct bench_out {
    FILE *f;
    bool json;
    unsigned depth;
    bool first[MAX_DEPTH]; /* JSON: nothing written yet at this depth */
};

void bench_usage(FILE *o)
{
    fputs("usage: riommu bench [SECTION...] [--json] [--seconds S] [--size N] [--repeat K]\n"
          "\n"
          "Measures and prints performance figures, section by section; with no\n"
          "section flag every section this build can run. A target is shown next to\n"
          "the figure it bounds, marked PASS, or BELOW when the figure falls short of\n"
          "it. Progress goes to stderr.\n"
          "\n"
          "sections:\n",
          o);
    for (size_t i = 0; i < NSECTIONS; i++) {
        const char *why = sections[i]->unavailable();
        fprintf(o, "  --%-7s %s\n", sections[i]->name, sections[i]->help);
        if (why)
            fputs("            (not in this build)\n", o);
    }
    fputs("\n"
          "options:\n"
          "  --json         one JSON document instead of text:\n"
          "                 {\"riommu_bench\": 1, \"sections\": {\"model\": {...}, ...}}\n"
          "  --seconds S    wall time each timed run aims at (default: rtl 2, model\n"
          "                 0.2, scaling 0.1; the workload is sized by a calibration run)\n"
          "  --size N       a fixed workload size instead, in the section's unit\n"
          "                 (rtl: rounds of its workload; model, scaling: operations)\n"
          "  --repeat K     timed runs per measurement, interleaved; the best counts\n"
          "                 (default 5)\n"
          "  -h, --help     this text\n"
          "\n"
          "exit status: 0 figures printed (targets met or not), 1 a section's workload\n"
          "failed (mismatches, a backend error), 2 usage error or a section this build\n"
          "cannot run.\n",
          o);
}

/* ---- rendering -------------------------------------------------------------------- */

static void indent(bench_out *o)
{
    for (unsigned i = 0; i < o->depth; i++)
        fputs("  ", o->f);
}

static void json_str(FILE *f, const char *s)
{
    fputc('"', f);
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch == '"' || ch == '\\')
            fprintf(f, "\\%c", ch);
        else if (ch < 0x20)
            fprintf(f, "\\u%04x", ch);
        else
            fputc(ch, f);
    }
    fputc('"', f);
}

/* JSON: the separator and `"key": ` of the next member. */
static void json_key(bench_out *o, const char *key)
{
    if (!o->first[o->depth])
        fputc(',', o->f);
    o->first[o->depth] = false;
    fputc('\n', o->f);
    indent(o);
    json_str(o->f, key);
    fputs(": ", o->f);
}

static void json_num(FILE *f, double v)
{
    if (isfinite(v))
        fprintf(f, "%.15g", v);
    else
        fputs("null", f);
}

/* Text: "label" padded, then the value. */
static void text_label(bench_out *o, const char *label)
{
    indent(o);
    int pad = 34 - 2 * (int)o->depth;
    fprintf(o->f, "%-*s ", pad > 0 ? pad : 0, label);
}

void bench_group(bench_out *o, const char *key, const char *title)
{
    if (o->json) {
        json_key(o, key);
        fputc('{', o->f);
    } else {
        indent(o);
        fprintf(o->f, "%s\n", title);
    }
    if (o->depth + 1 < MAX_DEPTH)
        o->depth++;
    o->first[o->depth] = true;
}

void bench_end(bench_out *o)
{
    bool empty = o->first[o->depth];
    if (o->depth)
        o->depth--;
    if (o->json) {
        if (!empty) {
            fputc('\n', o->f);
            indent(o);
        }
        fputc('}', o->f);
    }
}

void bench_uint(bench_out *o, const char *key, const char *label, uint64_t v, const char *unit)
{
    if (o->json) {
        json_key(o, key);
        fprintf(o->f, "%llu", (unsigned long long)v);
        return;
    }
    text_label(o, label);
    fprintf(o->f, "%llu%s%s\n", (unsigned long long)v, unit ? " " : "", unit ? unit : "");
}

void bench_real(bench_out *o, const char *key, const char *label, double v, const char *unit,
                int decimals)
{
    if (o->json) {
        json_key(o, key);
        json_num(o->f, v);
        return;
    }
    text_label(o, label);
    fprintf(o->f, "%.*f%s%s\n", decimals, v, unit ? " " : "", unit ? unit : "");
}

void bench_str(bench_out *o, const char *key, const char *label, const char *v)
{
    if (o->json) {
        json_key(o, key);
        json_str(o->f, v);
        return;
    }
    text_label(o, label);
    fprintf(o->f, "%s\n", v);
}

bool bench_target(bench_out *o, const char *key, const char *label, double v, bench_bound op,
                  double bound, const char *unit, int decimals)
{
    bool pass = op == BENCH_AT_LEAST ? v >= bound : v <= bound;
    const char *ops = op == BENCH_AT_LEAST ? ">=" : "<=";
    if (o->json) {
        json_key(o, key);
        fputs("{\"value\": ", o->f);
        json_num(o->f, v);
        fprintf(o->f, ", \"op\": \"%s\", \"bound\": ", ops);
        json_num(o->f, bound);
        fprintf(o->f, ", \"pass\": %s}", pass ? "true" : "false");
        return pass;
    }
    const char *u = unit ? unit : "";
    const char *sp = unit ? " " : "";
    text_label(o, label);
    fprintf(o->f, "%.*f%s%s (target %s %.*f%s%s) %s\n", decimals, v, sp, u, ops, decimals, bound,
            sp, u, pass ? "PASS" : "BELOW");
    return pass;
}

static void text_rate(FILE *f, double per_s, int decimals)
{
    fprintf(f, "%.*f M/s", decimals, per_s / 1e6);
}

void bench_rate(bench_out *o, const char *key, const char *label, double per_s)
{
    if (o->json) {
        json_key(o, key);
        json_num(o->f, per_s);
        return;
    }
    text_label(o, label);
    text_rate(o->f, per_s, 2);
    fputc('\n', o->f);
}

bool bench_target_rate(bench_out *o, const char *key, const char *label, double per_s,
                       double bound_per_s)
{
    bool pass = per_s >= bound_per_s;
    if (o->json) {
        json_key(o, key);
        fputs("{\"value\": ", o->f);
        json_num(o->f, per_s);
        fputs(", \"op\": \">=\", \"bound\": ", o->f);
        json_num(o->f, bound_per_s);
        fprintf(o->f, ", \"pass\": %s}", pass ? "true" : "false");
        return pass;
    }
    text_label(o, label);
    text_rate(o->f, per_s, 2);
    fputs(" (target >= ", o->f);
    text_rate(o->f, bound_per_s, 0);
    fprintf(o->f, ") %s\n", pass ? "PASS" : "BELOW");
    return pass;
}

/* ---- the command -------------------------------------------------------------------- */

static const bench_section *section_named(const char *flag)
{
    if (strncmp(flag, "--", 2) != 0)
        return NULL;
    for (size_t i = 0; i < NSECTIONS; i++)
        if (!strcmp(flag + 2, sections[i]->name))
            return sections[i];
    return NULL;
}

/* A positive number (decimal, a fraction allowed when `real`). */
static bool parse_positive(const char *s, bool real, double *out)
{
    char *end;
    double v = strtod(s, &end);
    if (end == s || *end || !(v > 0) || !isfinite(v))
        return false;
    if (!real && (v > 1e15 || v != (double)(uint64_t)v))
        return false;
    *out = v;
    return true;
}

int bench_main(int argc, char **argv)
{
    bench_opts bo;
    memset(&bo, 0, sizeof bo);
    bo.seconds = 0; /* the section's default */
    bo.repeat = 5;
    bool want[NSECTIONS] = {false};
    bool any = false;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const bench_section *s = section_named(a);
        if (s) {
            for (size_t k = 0; k < NSECTIONS; k++)
                if (sections[k] == s)
                    want[k] = any = true;
        } else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            bench_usage(stdout);
            return 0;
        } else if (!strcmp(a, "--json")) {
            bo.json = true;
        } else if (!strcmp(a, "--seconds") || !strcmp(a, "--size") || !strcmp(a, "--repeat")) {
            double v;
            if (i + 1 >= argc) {
                fprintf(stderr, "riommu bench: %s needs an argument\n", a);
                return 2;
            }
            const char *arg = argv[++i];
            bool real = !strcmp(a, "--seconds");
            bool repeat = !strcmp(a, "--repeat");
            if (!parse_positive(arg, real, &v) || (repeat && v > 1000)) {
                fprintf(stderr, "riommu bench: %s: '%s' is not %s\n", a, arg,
                        real     ? "a positive number of seconds"
                        : repeat ? "a whole number from 1 to 1000"
                                 : "a positive whole number");
                return 2;
            }
            if (real)
                bo.seconds = v;
            else if (!repeat)
                bo.size = (uint64_t)v;
            else
                bo.repeat = (unsigned)v;
        } else {
            fprintf(stderr, "riommu bench: %s '%s' (see riommu bench --help)\n",
                    a[0] == '-' ? "unknown option" : "unexpected argument", a);
            return 2;
        }
    }
    /* Explicit sections must all be runnable; without any, the runnable ones run. */
    size_t nrun = 0;
    for (size_t k = 0; k < NSECTIONS; k++) {
        const char *why = sections[k]->unavailable();
        if (any && want[k] && why) {
            fprintf(stderr, "riommu bench: --%s: %s\n", sections[k]->name, why);
            return 2;
        }
        if (!any)
            want[k] = !why && !sections[k]->on_request;
        nrun += want[k];
    }
    if (!nrun) {
        fprintf(stderr, "riommu bench: no section can run in this build:\n");
        for (size_t k = 0; k < NSECTIONS; k++)
            fprintf(stderr, "  %s: %s\n", sections[k]->name, sections[k]->unavailable());
        return 2;
    }

    bench_out o;
    memset(&o, 0, sizeof o);
    o.f = stdout;
    o.json = bo.json;
    o.first[0] = true;
    if (o.json) {
        fputs("{\n  \"riommu_bench\": 1,\n  \"sections\": {", stdout);
        o.depth = 2;
        o.first[2] = true;
    }
    int status = 0;
    bool printed = false;
    for (size_t k = 0; k < NSECTIONS; k++) {
        if (!want[k])
            continue;
        if (!o.json && printed)
            fputc('\n', stdout);
        char title[64];
        snprintf(title, sizeof title, "riommu bench --%s", sections[k]->name);
        bench_group(&o, sections[k]->name, title);
        int rc = sections[k]->run(&bo, &o);
        bench_end(&o);
        printed = true;
        if (rc > status)
            status = rc;
        fflush(stdout);
    }
    if (o.json)
        fputs("\n  }\n}\n", stdout);
    fflush(stdout);
    return status;
}
