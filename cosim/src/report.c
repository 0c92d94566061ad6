/*
 * report.c - text, JSON and JUnit renderings of mismatch records, and the
 * waiver-file parser (see report.h).
 */
#include "riommu/report.h"
#include "riommu/stats.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

static const char *backend_of(const riommu_report_case *c, unsigned i)
{
    return i < c->nbackends ? c->backends[i] : "?";
}

void riommu_report_wave_window(const riommu_mismatch *m, uint64_t *from, uint64_t *to)
{
    *from = m->clock_first > RIOMMU_REPORT_WAVE_MARGIN ? m->clock_first - RIOMMU_REPORT_WAVE_MARGIN
                                                       : 0;
    *to = m->clock_last + RIOMMU_REPORT_WAVE_MARGIN;
}

/* "cycle N" or "cycles N..M" of a record's clock span into buf. */
static void clock_span(char *buf, size_t len, const riommu_mismatch *m)
{
    if (m->clock_first == m->clock_last)
        snprintf(buf, len, "cycle %" PRIu64, m->clock_last);
    else
        snprintf(buf, len, "cycles %" PRIu64 "..%" PRIu64, m->clock_first, m->clock_last);
}

/* "; waveform FILE cycles A..B" of a record in a case with a waveform. */
static void wave_span(char *buf, size_t len, const riommu_report_case *c,
                      const riommu_mismatch *m)
{
    uint64_t from, to;
    buf[0] = 0;
    if (!c->wave)
        return;
    riommu_report_wave_window(m, &from, &to);
    snprintf(buf, len, "; waveform %s cycles %" PRIu64 "..%" PRIu64, c->wave, from, to);
}

void riommu_report_values(const riommu_mismatch *m, char *buf, size_t len)
{
    if (m->kind == RIOMMU_MM_EVENT_COUNT && strstr(m->where, "(missing)"))
        snprintf(buf, len, "the reference has one (data 0x%" PRIx64 "), none here", m->expected);
    else if (m->kind == RIOMMU_MM_EVENT_COUNT && strstr(m->where, "(extra)"))
        snprintf(buf, len, "one the reference lacks (data 0x%" PRIx64 ")", m->actual);
    else
        snprintf(buf, len, "expected 0x%" PRIx64 ", got 0x%" PRIx64, m->expected, m->actual);
}

void riommu_report_text(FILE *out, const riommu_report_case *c)
{
    bool clocked = false;
    for (size_t i = 0; i < c->nmm; i++) {
        const riommu_mismatch *m = &c->mm[i];
        char vals[96];
        riommu_report_values(m, vals, sizeof vals);
        fprintf(out, "%s: backend %s, step %" PRIu64 ", t=%" PRIu64 " us: %s %s: %s",
                m->waived ? "WAIVED" : "MISMATCH", backend_of(c, m->backend), m->step, m->cycle,
                riommu_mm_kind_name(m->kind), m->where, vals);
        if (m->waived)
            fprintf(out, " [waiver %s]", m->waiver);
        if (m->repeats)
            fprintf(out, " (x%" PRIu64 ")", m->repeats + 1);
        fputc('\n', out);
        if (m->has_clock) {
            char span[64], wave[600];
            clock_span(span, sizeof span, m);
            wave_span(wave, sizeof wave, c, m);
            fprintf(out, "  %s: %s%s\n", backend_of(c, m->backend), span, wave);
            clocked = true;
        }
    }
    if (c->unwaived + c->waived > c->nmm)
        fprintf(out, "(%" PRIu64 " more records not kept)\n",
                c->unwaived + c->waived - c->nmm);
    if (c->unwaived && c->reproduce)
        fprintf(out, "reproduce: %s\n", c->reproduce);
    if (c->unwaived && clocked && !c->wave && c->wave_reproduce)
        fprintf(out, "waveform: %s\n", c->wave_reproduce);
}

/* JSON strings: the statistics' escaper (stats.h), one for every document. */
static void json_str(FILE *out, const char *s)
{
    riommu_stats_json_str(out, s);
}

void riommu_report_json(FILE *out, const riommu_report_case *cases, size_t n)
{
    uint64_t tu = 0, tw = 0, ts = 0;
    fputs("{\"cases\":[", out);
    for (size_t k = 0; k < n; k++) {
        const riommu_report_case *c = &cases[k];
        tu += c->unwaived;
        tw += c->waived;
        ts += c->skipped;
        fputs(k ? ",\n{" : "\n{", out);
        fputs("\"name\":", out);
        json_str(out, c->name);
        fputs(",\"reproduce\":", out);
        json_str(out, c->reproduce);
        fputs(",\"wave\":", out);
        if (c->wave)
            json_str(out, c->wave);
        else
            fputs("null", out);
        fputs(",\"wave_reproduce\":", out);
        if (c->wave_reproduce)
            json_str(out, c->wave_reproduce);
        else
            fputs("null", out);
        fputs(",\"backends\":[", out);
        for (unsigned b = 0; b < c->nbackends; b++) {
            if (b)
                fputc(',', out);
            json_str(out, c->backends[b]);
        }
        fprintf(out,
                "],\"mismatches\":%" PRIu64 ",\"waived\":%" PRIu64 ",\"skipped\":%" PRIu64
                ",\"seconds\":%.3f,\"records\":[",
                c->unwaived, c->waived, c->skipped, c->seconds);
        for (size_t i = 0; i < c->nmm; i++) {
            const riommu_mismatch *m = &c->mm[i];
            fputs(i ? ",{" : "{", out);
            fputs("\"kind\":", out);
            json_str(out, riommu_mm_kind_name(m->kind));
            fputs(",\"backend\":", out);
            json_str(out, backend_of(c, m->backend));
            fputs(",\"where\":", out);
            json_str(out, m->where);
            fprintf(out,
                    ",\"addr\":\"0x%" PRIx64 "\",\"expected\":\"0x%" PRIx64
                    "\",\"actual\":\"0x%" PRIx64 "\",\"step\":%" PRIu64 ",\"time_us\":%" PRIu64
                    ",\"repeats\":%" PRIu64 ",\"waived\":%s",
                    m->addr, m->expected, m->actual, m->step, m->cycle, m->repeats + 1,
                    m->waived ? "true" : "false");
            if (m->waived) {
                fputs(",\"waiver\":", out);
                json_str(out, m->waiver);
            }
            if (m->has_clock) {
                fprintf(out, ",\"cycles\":[%" PRIu64 ",%" PRIu64 "]", m->clock_first,
                        m->clock_last);
                if (c->wave) {
                    uint64_t from, to;
                    riommu_report_wave_window(m, &from, &to);
                    fprintf(out, ",\"wave_cycles\":[%" PRIu64 ",%" PRIu64 "]", from, to);
                }
            }
            fputc('}', out);
        }
        fputs("]}", out);
    }
    fprintf(out,
            "\n],\"totals\":{\"cases\":%zu,\"mismatches\":%" PRIu64 ",\"waived\":%" PRIu64
            ",\"skipped\":%" PRIu64 "}}\n",
            n, tu, tw, ts);
}

static void xml_str(FILE *out, const char *s)
{
    for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++) {
        switch (*p) {
        case '<': fputs("&lt;", out); break;
        case '>': fputs("&gt;", out); break;
        case '&': fputs("&amp;", out); break;
        case '"': fputs("&quot;", out); break;
        default:
            if (*p < 0x20 && *p != '\n' && *p != '\t')
                fputc(' ', out);
            else
                fputc(*p, out);
        }
    }
}

void riommu_report_junit(FILE *out, const char *suite, const riommu_report_case *cases,
                         size_t n)
{
    size_t failures = 0, skipped = 0;
    double total = 0;
    for (size_t k = 0; k < n; k++) {
        failures += cases[k].unwaived != 0;
        skipped += cases[k].all_skipped;
        total += cases[k].seconds;
    }
    fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuite name=\"", out);
    xml_str(out, suite);
    fprintf(out, "\" tests=\"%zu\" failures=\"%zu\" skipped=\"%zu\" time=\"%.3f\">\n", n,
            failures, skipped, total);
    for (size_t k = 0; k < n; k++) {
        const riommu_report_case *c = &cases[k];
        fputs("  <testcase classname=\"", out);
        xml_str(out, suite);
        fputs("\" name=\"", out);
        xml_str(out, c->name);
        fprintf(out, "\" time=\"%.3f\">\n", c->seconds);
        if (c->all_skipped)
            fputs("    <skipped/>\n", out);
        if (c->unwaived) {
            fprintf(out, "    <failure message=\"%" PRIu64 " mismatches\">", c->unwaived);
            bool clocked = false;
            for (size_t i = 0; i < c->nmm; i++) {
                const riommu_mismatch *m = &c->mm[i];
                if (m->waived)
                    continue;
                char line[1024], span[64] = "", wave[600] = "";
                if (m->has_clock) {
                    clocked = true;
                    span[0] = ' ';
                    span[1] = '(';
                    clock_span(span + 2, sizeof span - 3, m);
                    strcat(span, ")");
                    wave_span(wave, sizeof wave, c, m);
                }
                char vals[96];
                riommu_report_values(m, vals, sizeof vals);
                snprintf(line, sizeof line, "backend %s step %" PRIu64 ": %s %s: %s%s%s\n",
                         backend_of(c, m->backend), m->step, riommu_mm_kind_name(m->kind),
                         m->where, vals, span, wave);
                xml_str(out, line);
            }
            if (c->reproduce) {
                fputs("reproduce: ", out);
                xml_str(out, c->reproduce);
            }
            if (clocked && !c->wave && c->wave_reproduce) {
                fputs("\nwaveform: ", out);
                xml_str(out, c->wave_reproduce);
            }
            fputs("</failure>\n", out);
        }
        if (c->waived) {
            fputs("    <system-out>", out);
            for (size_t i = 0; i < c->nmm; i++)
                if (c->mm[i].waived) {
                    xml_str(out, c->mm[i].waiver);
                    fputs(": ", out);
                    xml_str(out, c->mm[i].where);
                    fputc('\n', out);
                }
            fputs("</system-out>\n", out);
        }
        fputs("  </testcase>\n", out);
    }
    fputs("</testsuite>\n", out);
}

/* ---- waivers ------------------------------------------------------------------- */

int riommu_mm_kind_parse(const char *s)
{
    if (!strcmp(s, "any"))
        return RIOMMU_MM_KIND_COUNT;
    for (int k = 0; k < RIOMMU_MM_KIND_COUNT; k++)
        if (!strcmp(s, riommu_mm_kind_name((riommu_mm_kind)k)))
            return k;
    return -1;
}

/* Next token: a bare word, key=value or key="quoted value". Returns false
 * at end of line; sets *bad on an unterminated quote. */
static bool next_token(char **pp, char *key, size_t klen, char *val, size_t vlen, bool *bad)
{
    char *p = *pp;
    while (*p == ' ' || *p == '\t')
        p++;
    if (!*p || *p == '#' || *p == '\n' || *p == '\r')
        return false;
    size_t k = 0;
    while (*p && *p != '=' && !isspace((unsigned char)*p)) {
        if (k + 1 < klen)
            key[k++] = *p;
        p++;
    }
    key[k] = 0;
    val[0] = 0;
    if (*p == '=') {
        p++;
        size_t v = 0;
        if (*p == '"') {
            p++;
            while (*p && *p != '"') {
                if (v + 1 < vlen)
                    val[v++] = *p;
                p++;
            }
            if (*p != '"') {
                *bad = true;
                return false;
            }
            p++;
        } else {
            while (*p && !isspace((unsigned char)*p)) {
                if (v + 1 < vlen)
                    val[v++] = *p;
                p++;
            }
        }
        val[v] = 0;
    }
    *pp = p;
    return true;
}

/* Copy a field value; false when it does not fit. */
static bool put(char *dst, size_t n, const char *src)
{
    size_t l = strlen(src);
    if (l >= n)
        return false;
    memcpy(dst, src, l + 1);
    return true;
}

int riommu_waivers_parse(const char *path, riommu_waiver_rule *out, size_t max, char *err,
                         size_t errlen)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(err, errlen, "%s: cannot open", path);
        return -1;
    }
    char line[1024];
    unsigned lineno = 0;
    int n = 0;
    while (fgets(line, sizeof line, f)) {
        lineno++;
        if (!strchr(line, '\n') && !feof(f)) {
            snprintf(err, errlen, "%s:%u: line longer than %zu characters", path, lineno,
                     sizeof line - 2);
            fclose(f);
            return -1;
        }
        char *p = line, key[64], val[256];
        bool bad = false;
        if (!next_token(&p, key, sizeof key, val, sizeof val, &bad)) {
            if (bad)
                goto unterminated;
            continue;
        }
        if (val[0] || strchr(key, '=')) {
            snprintf(err, errlen, "%s:%u: a rule starts with its name", path, lineno);
            fclose(f);
            return -1;
        }
        if ((size_t)n >= max) {
            snprintf(err, errlen, "%s:%u: more than %zu rules", path, lineno, max);
            fclose(f);
            return -1;
        }
        riommu_waiver_rule *r = &out[n];
        memset(r, 0, sizeof *r);
        bool fits = put(r->name, sizeof r->name, key);
        r->kind = RIOMMU_MM_KIND_COUNT;
        r->mask = ~0ull;
        bool have_backend = false, have_kind = false;
        while (next_token(&p, key, sizeof key, val, sizeof val, &bad)) {
            if (!strcmp(key, "backend")) {
                fits &= put(r->backend, sizeof r->backend, val);
                have_backend = val[0] != 0;
            } else if (!strcmp(key, "kind")) {
                int k = riommu_mm_kind_parse(val);
                if (k < 0) {
                    snprintf(err, errlen, "%s:%u: unknown kind '%s'", path, lineno, val);
                    fclose(f);
                    return -1;
                }
                r->kind = (riommu_mm_kind)k;
                have_kind = true;
            } else if (!strcmp(key, "where")) {
                fits &= put(r->where, sizeof r->where, val);
            } else if (!strcmp(key, "mask")) {
                char *end = NULL;
                errno = 0;
                unsigned long long m = strtoull(val, &end, 0);
                if (!val[0] || *end || errno || val[0] == '-') {
                    snprintf(err, errlen, "%s:%u: mask '%s' is not a number", path, lineno, val);
                    fclose(f);
                    return -1;
                }
                r->mask = (uint64_t)m;
            } else if (!strcmp(key, "scenario")) {
                fits &= put(r->scenario, sizeof r->scenario, val);
            } else if (!strcmp(key, "spec")) {
                fits &= put(r->spec, sizeof r->spec, val);
            } else if (!strcmp(key, "reason")) {
                fits &= put(r->reason, sizeof r->reason, val);
            } else {
                snprintf(err, errlen, "%s:%u: unknown field '%s'", path, lineno, key);
                fclose(f);
                return -1;
            }
        }
        if (bad)
            goto unterminated;
        if (!fits) {
            snprintf(err, errlen, "%s:%u: a name or value is too long", path, lineno);
            fclose(f);
            return -1;
        }
        if (!have_backend || !have_kind || !r->spec[0] || !r->reason[0]) {
            snprintf(err, errlen, "%s:%u: waiver '%s' needs backend=, kind=, spec= and reason=",
                     path, lineno, r->name);
            fclose(f);
            return -1;
        }
        n++;
    }
    fclose(f);
    return n;
unterminated:
    snprintf(err, errlen, "%s:%u: unterminated quote", path, lineno);
    fclose(f);
    return -1;
}

bool riommu_waivers_apply(riommu_cosim *c, const riommu_waiver_rule *r, size_t n)
{
    return riommu_waivers_apply_for(c, r, n, NULL);
}

bool riommu_waivers_apply_for(riommu_cosim *c, const riommu_waiver_rule *r, size_t n,
                              const char *case_name)
{
    for (size_t i = 0; i < n; i++) {
        if (case_name && r[i].scenario[0] && !strstr(case_name, r[i].scenario))
            continue;
        if (!riommu_cosim_add_waiver_mask(c, r[i].name, r[i].backend, r[i].kind, r[i].where,
                                          r[i].mask))
            return false;
    }
    return true;
}
