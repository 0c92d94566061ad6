/*
 * html_report.c - the run file as an HTML page (html_report.h).
 *
 * Reading and writing go together: every member is checked for presence
 * and type as it is used, and the first violation ends the page with a
 * message naming its place in the document.
 */
#include "riommu/html_report.h"

#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <string.h>

typedef struct hr {
    FILE *o;
    char *err;
    size_t errlen;
    bool bad;
} hr;

#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
static bool fail(hr *h, const char *fmt, ...)
{
    if (!h->bad && h->errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(h->err, h->errlen, fmt, ap);
        va_end(ap);
    }
    h->bad = true;
    return false;
}

/* ---- schema access ----------------------------------------------------------------- */

/* Element i of the array member `name` (`arr`) of the value at `path`, as
 * an object; its own path ("path.name[i]") goes to ep. NULL, the report
 * failed, when it is not an object. */
static const riommu_json *object_at(hr *h, const riommu_json *arr, const char *path,
                                    const char *name, size_t i, char *ep, size_t eplen)
{
    snprintf(ep, eplen, "%s.%s[%zu]", path, name, i);
    const riommu_json *k = arr->kids[i];
    if (k->type != RIOMMU_JSON_OBJECT) {
        fail(h, "%s: expected an object, found %s", ep, riommu_json_type_name(k->type));
        return NULL;
    }
    return k;
}

/* Member `key` of object `o` (at `path`) of type `t`; NULL after an
 * error when it is absent (unless optional) or of another type. An
 * optional member may be absent or null (then NULL without error). */
static const riommu_json *member(hr *h, const riommu_json *o, const char *path, const char *key,
                                 riommu_json_type t, bool optional)
{
    if (h->bad)
        return NULL;
    const riommu_json *v = riommu_json_get(o, key);
    if (!v || (optional && v->type == RIOMMU_JSON_NULL)) {
        if (!optional)
            fail(h, "%s: the member \"%s\" is missing", path, key);
        return NULL;
    }
    if (v->type != t) {
        fail(h, "%s.%s: expected %s, found %s", path, key, riommu_json_type_name(t),
             riommu_json_type_name(v->type));
        return NULL;
    }
    return v;
}

/* An unsigned integer member. */
static uint64_t count_of(hr *h, const riommu_json *o, const char *path, const char *key)
{
    const riommu_json *v = member(h, o, path, key, RIOMMU_JSON_NUMBER, false);
    if (!v)
        return 0;
    if (!v->is_uint) {
        fail(h, "%s.%s: expected an unsigned integer", path, key);
        return 0;
    }
    return v->u;
}

static const char *str_of(hr *h, const riommu_json *o, const char *path, const char *key)
{
    const riommu_json *v = member(h, o, path, key, RIOMMU_JSON_STRING, false);
    return v ? v->str : "";
}

/* ---- output ---------------------------------------------------------------------- */

/* Text as HTML character data or an attribute value. */
static void esc(hr *h, const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        switch (*p) {
        case '&': fputs("&amp;", h->o); break;
        case '<': fputs("&lt;", h->o); break;
        case '>': fputs("&gt;", h->o); break;
        case '"': fputs("&quot;", h->o); break;
        case '\'': fputs("&#39;", h->o); break;
        default:
            if ((*p < 0x20 && *p != '\n' && *p != '\t') || *p == 0x7F)
                fputc('?', h->o);
            else
                fputc(*p, h->o);
        }
    }
}

#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
static void out(hr *h, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vfprintf(h->o, fmt, ap);
    va_end(ap);
}

/* A number as text: exact for an integer, else 4 significant digits. */
static void num_text(const riommu_json *v, char *b, size_t n)
{
    if (!v || v->type != RIOMMU_JSON_NUMBER)
        snprintf(b, n, "-");
    else if (v->is_uint)
        snprintf(b, n, "%" PRIu64, v->u);
    else if (v->is_int)
        snprintf(b, n, "%" PRId64, v->i);
    else
        snprintf(b, n, "%.4g", v->num);
}

static void stat_cell(hr *h, const riommu_json *stats, const char *name, bool percent)
{
    const riommu_json *v = riommu_json_get(stats, name);
    char b[48];
    if (percent && v && v->type == RIOMMU_JSON_NUMBER)
        snprintf(b, sizeof b, "%.1f%%", 100.0 * v->num);
    else
        num_text(v, b, sizeof b);
    out(h, "<td class=\"num\">%s</td>", b);
}

static bool check_stats(hr *h, const riommu_json *stats, const char *path)
{
    for (size_t i = 0; i < stats->n; i++)
        if (stats->kids[i]->type != RIOMMU_JSON_NUMBER)
            return fail(h, "%s[\"%.60s\"]: expected a number, found %s", path, stats->kids[i]->key,
                        riommu_json_type_name(stats->kids[i]->type));
    return true;
}

static const char *const page_css =
    "body{font-family:system-ui,sans-serif;margin:1.5em auto;max-width:70em;color:#222;"
    "padding:0 1em}"
    "h1{font-size:1.5em}h2{font-size:1.25em;border-bottom:1px solid #ccc;margin-top:1.6em}"
    "h3{font-size:1.05em}"
    "table{border-collapse:collapse;margin:.5em 0}"
    "th,td{border:1px solid #ccc;padding:.2em .5em;text-align:left;vertical-align:top}"
    "th{background:#f3f3f3}td.num{text-align:right;font-variant-numeric:tabular-nums}"
    ".bad{color:#b00020;font-weight:bold}.ok{color:#0a6b2c;font-weight:bold}"
    "ul.failed li,td.where{font-family:monospace}"
    "figure{display:inline-block;margin:.5em 1em .5em 0}figcaption{font-size:.9em}"
    "svg text{font-family:sans-serif;font-size:10px;fill:#333}"
    ".bar{fill:#3b6ea5}.axis{stroke:#555;stroke-width:1}.grid{stroke:#ddd;stroke-width:1}"
    "polyline.line{fill:none;stroke-width:2}"
    ".c0{stroke:#3b6ea5;fill:#3b6ea5}.c1{stroke:#8e44ad;fill:#8e44ad}"
    ".c2{stroke:#d35400;fill:#d35400}.c3{stroke:#16a085;fill:#16a085}"
    "details{margin:.5em 0}";

/* ---- charts ---------------------------------------------------------------------- */

#define CW 520 /* chart width, height and margins (SVG user units) */
#define CH 200
#define ML 48
#define MR 12
#define MT 12
#define MB 40

/* A bar chart of the histogram `prefix`::BUCKET of `stats` (the buckets
 * in the file's order), trimmed to the buckets from the first to the last
 * non-empty one. */
static void histogram_chart(hr *h, const riommu_json *stats, const char *prefix,
                            const char *caption, const char *cls, const char *xlabel)
{
    const riommu_json *b[64];
    unsigned n = 0;
    size_t pl = strlen(prefix);
    for (size_t i = 0; i < stats->n && n < 64; i++) {
        const char *k = stats->kids[i]->key;
        if (!strncmp(k, prefix, pl) && k[pl] == ':' && k[pl + 1] == ':')
            b[n++] = stats->kids[i];
    }
    unsigned first = n, last = 0;
    double max = 0;
    for (unsigned i = 0; i < n; i++)
        if (b[i]->num > 0) { /* (a negative count draws no bar) */
            if (first == n)
                first = i;
            last = i;
            if (b[i]->num > max)
                max = b[i]->num;
        }
    out(h, "<figure class=\"%s\"><svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" "
           "height=\"%d\" viewBox=\"0 0 %d %d\" role=\"img\">",
        cls, CW, CH, CW, CH);
    out(h, "<line class=\"axis\" x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\"/>", ML, CH - MB, CW - MR,
        CH - MB);
    out(h, "<line class=\"axis\" x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\"/>", ML, MT, ML, CH - MB);
    if (first == n) {
        out(h, "<text x=\"%d\" y=\"%d\">no samples</text>", ML + 10, CH / 2);
    } else {
        unsigned nb = last - first + 1;
        double slot = (double)(CW - ML - MR) / nb, plot = CH - MB - MT;
        out(h, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">%.0f</text>", ML - 4, MT + 4, max);
        out(h, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">0</text>", ML - 4, CH - MB);
        for (unsigned i = 0; i < nb; i++) {
            const riommu_json *v = b[first + i];
            double bh = v->num > 0 ? v->num / max * plot : 0, x = ML + i * slot;
            const char *label = v->key + pl + 2;
            out(h, "<rect class=\"bar\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\">"
                   "<title>",
                x + slot * 0.1, CH - MB - bh, slot * 0.8, bh);
            esc(h, label);
            out(h, ": %.0f</title></rect>", v->num);
            out(h, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">", x + slot / 2,
                CH - MB + 12 + (nb > 8 ? (int)(i % 2) * 11 : 0));
            esc(h, label);
            out(h, "</text>");
        }
        out(h, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">", (CW + ML) / 2, CH - 4);
        esc(h, xlabel);
        out(h, "</text>");
    }
    out(h, "</svg><figcaption>");
    esc(h, caption);
    out(h, "</figcaption></figure>\n");
}

/* The cumulative hit rate of each cache over the program's steps. */
static bool hitrate_chart(hr *h, const riommu_json *series, const char *path)
{
    static const char *const caches[] = {"ddtc", "pdtc", "iotlb", "walkc"};
    const riommu_json *cols = member(h, series, path, "columns", RIOMMU_JSON_ARRAY, false);
    const riommu_json *rows = member(h, series, path, "rows", RIOMMU_JSON_ARRAY, false);
    if (!cols || !rows)
        return false;
    int step_col = -1, lk[4] = {-1, -1, -1, -1}, hit[4] = {-1, -1, -1, -1};
    for (size_t c = 0; c < cols->n; c++) {
        const riommu_json *v = cols->kids[c];
        if (v->type != RIOMMU_JSON_STRING)
            return fail(h, "%s.columns[%zu]: expected a string, found %s", path, c,
                        riommu_json_type_name(v->type));
        if (c > 1000)
            return fail(h, "%s.columns: more than 1000 columns", path);
        if (!strcmp(v->str, "step"))
            step_col = (int)c;
        for (unsigned k = 0; k < 4; k++) {
            char nm[32];
            snprintf(nm, sizeof nm, "%s.lookups", caches[k]);
            if (!strcmp(v->str, nm))
                lk[k] = (int)c;
            snprintf(nm, sizeof nm, "%s.hits", caches[k]);
            if (!strcmp(v->str, nm))
                hit[k] = (int)c;
        }
    }
    if (step_col < 0)
        return fail(h, "%s.columns: no \"step\" column", path);
    for (size_t r = 0; r < rows->n; r++) {
        const riommu_json *row = rows->kids[r];
        if (row->type != RIOMMU_JSON_ARRAY || row->n != cols->n)
            return fail(h, "%s.rows[%zu]: expected an array of %zu numbers", path, r, cols->n);
        for (size_t c = 0; c < row->n; c++)
            if (row->kids[c]->type != RIOMMU_JSON_NUMBER || row->kids[c]->num < 0)
                return fail(h, "%s.rows[%zu][%zu]: expected a number >= 0", path, r, c);
    }
    double xmax = 0;
    for (size_t r = 0; r < rows->n; r++)
        if (rows->kids[r]->kids[step_col]->num > xmax)
            xmax = rows->kids[r]->kids[step_col]->num;
    if (xmax <= 0)
        xmax = 1;
    double pw = CW - ML - MR - 60, ph = CH - MT - MB;
    out(h, "<figure class=\"chart-hitrate\"><svg xmlns=\"http://www.w3.org/2000/svg\" "
           "width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" role=\"img\">",
        CW, CH, CW, CH);
    for (int g = 0; g <= 4; g++) {
        double y = MT + ph - ph * g / 4.0;
        out(h, "<line class=\"grid\" x1=\"%d\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>", ML, y,
            ML + pw, y);
        out(h, "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%d%%</text>", ML - 4, y + 3,
            g * 25);
    }
    out(h, "<line class=\"axis\" x1=\"%d\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>", ML, MT + ph,
        ML + pw, MT + ph);
    out(h, "<text x=\"%d\" y=\"%d\">0</text><text x=\"%.1f\" y=\"%d\" text-anchor=\"end\">%.0f"
           "</text>",
        ML, CH - MB + 14, ML + pw, CH - MB + 14, xmax);
    out(h, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">program steps</text>", ML + pw / 2,
        CH - 6);
    unsigned lines = 0;
    for (unsigned k = 0; k < 4; k++) {
        if (lk[k] < 0 || hit[k] < 0)
            continue;
        bool open = false;
        for (size_t r = 0; r < rows->n; r++) {
            const riommu_json *row = rows->kids[r];
            double l = row->kids[lk[k]]->num, hv = row->kids[hit[k]]->num;
            if (l <= 0)
                continue;
            double rate = hv / l;
            if (rate > 1)
                rate = 1;
            if (!open) {
                out(h, "<polyline class=\"line c%u\" points=\"", k);
                open = true;
            }
            out(h, "%.1f,%.1f ", ML + pw * row->kids[step_col]->num / xmax,
                MT + ph - ph * rate);
        }
        if (open) {
            out(h, "\"><title>%s hit rate</title></polyline>", caches[k]);
            out(h, "<rect class=\"c%u\" x=\"%.1f\" y=\"%u\" width=\"10\" height=\"10\"/>"
                   "<text x=\"%.1f\" y=\"%u\">%s</text>",
                k, ML + pw + 8, MT + lines * 16, ML + pw + 22, MT + 9 + lines * 16, caches[k]);
            lines++;
        }
    }
    if (!lines)
        out(h, "<text x=\"%d\" y=\"%d\">no cache lookups</text>", ML + 10, CH / 2);
    out(h, "</svg><figcaption>cache hit rate (cumulative) over the program's steps"
           "</figcaption></figure>\n");
    return !h->bad;
}

/* ---- sections -------------------------------------------------------------------- */

static const struct {
    const char *name, *label;
    bool percent;
} headline[] = {
    {"iommu.xlate.count", "translations", false},
    {"iommu.xlate.faulted", "translations faulted", false},
    {"iommu.xlate.latency.mean", "mean translation latency (cycles)", false},
    {"iommu.ddtc.hitRate", "DDTC hit rate", true},
    {"iommu.iotlb.hitRate", "IOTLB hit rate", true},
    {"iommu.walkc.hitRate", "walk-cache hit rate", true},
    {"iommu.walker.ddt.walks", "device-directory walks", false},
    {"iommu.walker.s1.walks", "first-stage walks", false},
    {"iommu.walker.latency.mean", "mean walk latency (cycles)", false},
    {"iommu.mem.total", "memory accesses", false},
    {"iommu.cmd.total", "commands", false},
    {"iommu.fault.total", "faults", false},
    {"iommu.cycles", "model time (cycles)", false},
};

static void program_row(hr *h, size_t idx, const riommu_json *p, const char *path, bool linked)
{
    uint64_t mm = count_of(h, p, path, "mismatches");
    const char *name = str_of(h, p, path, "name");
    if (h->bad)
        return;
    out(h, "<tr><td>");
    if (linked)
        out(h, "<a href=\"#program-%zu\">", idx);
    esc(h, name);
    if (linked)
        out(h, "</a>");
    out(h, "</td>");
    static const char *const keys[] = {"steps", "checks", "mismatches", "waived", "skipped",
                                       "cycles"};
    for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++)
        out(h, "<td class=\"num%s\">%" PRIu64 "</td>", k == 2 && mm ? " bad" : "",
            count_of(h, p, path, keys[k]));
    const riommu_json *bes = member(h, p, path, "backends", RIOMMU_JSON_ARRAY, false);
    const riommu_json *st =
        bes && bes->n && bes->kids[0]->type == RIOMMU_JSON_OBJECT
            ? riommu_json_get(bes->kids[0], "stats")
            : NULL;
    stat_cell(h, st, "iommu.xlate.count", false);
    stat_cell(h, st, "iommu.iotlb.hitRate", true);
    out(h, "</tr>\n");
}

static bool program_detail(hr *h, size_t idx, const riommu_json *p, const char *path,
                           const riommu_json *info)
{
    const char *name = str_of(h, p, path, "name");
    const riommu_json *failed = member(h, p, path, "failed", RIOMMU_JSON_ARRAY, false);
    const riommu_json *bes = member(h, p, path, "backends", RIOMMU_JSON_ARRAY, false);
    const riommu_json *series = member(h, p, path, "series", RIOMMU_JSON_OBJECT, true);
    if (h->bad)
        return false;
    const riommu_json *stats[16];
    char bpath[128], names[16][64];
    size_t nb = bes->n < 16 ? bes->n : 16;
    for (size_t i = 0; i < nb; i++) {
        if (!object_at(h, bes, path, "backends", i, bpath, sizeof bpath))
            return false;
        snprintf(names[i], sizeof names[i], "%s", str_of(h, bes->kids[i], bpath, "name"));
        stats[i] = member(h, bes->kids[i], bpath, "stats", RIOMMU_JSON_OBJECT, false);
        if (h->bad)
            return false;
        snprintf(bpath, sizeof bpath, "%s.backends[%zu].stats", path, i);
        if (!check_stats(h, stats[i], bpath))
            return false;
    }
    out(h, "<section class=\"program\" id=\"program-%zu\"><h2>", idx);
    esc(h, name);
    out(h, "</h2>\n");

    if (nb) {
        out(h, "<table class=\"headline\"><tr><th>statistic</th>");
        for (size_t i = 0; i < nb; i++) {
            out(h, "<th>");
            esc(h, names[i]);
            out(h, "</th>");
        }
        out(h, "</tr>\n");
        for (size_t k = 0; k < sizeof headline / sizeof headline[0]; k++) {
            out(h, "<tr><td>%s</td>", headline[k].label);
            for (size_t i = 0; i < nb; i++)
                stat_cell(h, stats[i], headline[k].name, headline[k].percent);
            out(h, "</tr>\n");
        }
        out(h, "</table>\n");
    }

    uint64_t more = 0;
    const riommu_json *fm = riommu_json_get(p, "failed_more");
    if (fm && fm->type == RIOMMU_JSON_NUMBER && fm->is_uint)
        more = fm->u;
    if (failed->n) {
        out(h, "<h3>Failed expectations</h3><ul class=\"failed\">\n");
        for (size_t i = 0; i < failed->n; i++) {
            if (failed->kids[i]->type != RIOMMU_JSON_STRING)
                return fail(h, "%s.failed[%zu]: expected a string, found %s", path, i,
                            riommu_json_type_name(failed->kids[i]->type));
            out(h, "<li>");
            esc(h, failed->kids[i]->str);
            out(h, "</li>\n");
        }
        if (more)
            out(h, "<li>... %" PRIu64 " more</li>\n", more);
        out(h, "</ul>\n");
    }

    if (nb) {
        char cap[160];
        snprintf(cap, sizeof cap, "translation latency histogram (%s)", names[0]);
        histogram_chart(h, stats[0], "iommu.xlate.latency", cap, "chart-latency",
                        "latency (cycles)");
        snprintf(cap, sizeof cap, "page-table walk latency histogram (%s)", names[0]);
        histogram_chart(h, stats[0], "iommu.walker.latency", cap, "chart-walk",
                        "latency (cycles)");
    }
    if (series) {
        char spath[128];
        snprintf(spath, sizeof spath, "%s.series", path);
        if (!hitrate_chart(h, series, spath))
            return false;
    }

    if (nb) {
        out(h, "<details><summary>All statistics (%zu)</summary><table class=\"stats\">"
               "<tr><th>name</th>",
            stats[0]->n);
        for (size_t i = 0; i < nb; i++) {
            out(h, "<th>");
            esc(h, names[i]);
            out(h, "</th>");
        }
        out(h, "<th>unit</th><th>description</th></tr>\n");
        for (size_t r = 0; r < stats[0]->n; r++) {
            const char *sn = stats[0]->kids[r]->key;
            out(h, "<tr><td class=\"where\">");
            esc(h, sn);
            out(h, "</td>");
            for (size_t i = 0; i < nb; i++)
                stat_cell(h, stats[i], sn, false);
            const char *unit = "", *desc = "";
            for (size_t k = 0; info && k < info->n; k++) {
                const riommu_json *e = info->kids[k];
                const riommu_json *en = riommu_json_get(e, "name");
                if (en && en->type == RIOMMU_JSON_STRING && !strcmp(en->str, sn)) {
                    const riommu_json *u = riommu_json_get(e, "unit"), *d = riommu_json_get(e, "desc");
                    unit = u && u->type == RIOMMU_JSON_STRING ? u->str : "";
                    desc = d && d->type == RIOMMU_JSON_STRING ? d->str : "";
                    break;
                }
            }
            out(h, "<td>");
            esc(h, unit);
            out(h, "</td><td>");
            esc(h, desc);
            out(h, "</td></tr>\n");
        }
        out(h, "</table></details>\n");
    }
    out(h, "</section>\n");
    return !h->bad;
}

static bool mismatch_records(hr *h, const riommu_json *report)
{
    const riommu_json *cases = member(h, report, "report", "cases", RIOMMU_JSON_ARRAY, false);
    if (!cases)
        return false;
    out(h, "<h2 id=\"mismatches\">Co-simulation mismatch records</h2>\n");
    size_t shown_cases = 0;
    for (size_t c = 0; c < cases->n; c++) {
        char path[64];
        const riommu_json *k = object_at(h, cases, "report", "cases", c, path, sizeof path);
        if (!k)
            return false;
        const riommu_json *recs = member(h, k, path, "records", RIOMMU_JSON_ARRAY, false);
        const char *name = str_of(h, k, path, "name");
        if (h->bad)
            return false;
        if (!recs->n)
            continue;
        shown_cases++;
        out(h, "<h3>");
        esc(h, name);
        out(h, "</h3>\n");
        const riommu_json *repro = riommu_json_get(k, "reproduce");
        if (repro && repro->type == RIOMMU_JSON_STRING && repro->len) {
            out(h, "<p>reproduce: <code>");
            esc(h, repro->str);
            out(h, "</code></p>\n");
        }
        out(h, "<table class=\"records\"><tr><th>kind</th><th>backend</th><th>where</th>"
               "<th>expected</th><th>actual</th><th>step</th><th>count</th><th>waiver</th>"
               "</tr>\n");
        for (size_t i = 0; i < recs->n && i < RIOMMU_HTML_MAX_RECORDS; i++) {
            char rp[96];
            const riommu_json *r = object_at(h, recs, path, "records", i, rp, sizeof rp);
            if (!r)
                return false;
            static const char *const sk[] = {"kind", "backend", "where", "expected", "actual"};
            out(h, "<tr>");
            for (size_t s = 0; s < sizeof sk / sizeof sk[0]; s++) {
                const char *v = str_of(h, r, rp, sk[s]);
                out(h, "<td%s>", s == 2 ? " class=\"where\"" : "");
                esc(h, v);
                out(h, "</td>");
            }
            out(h, "<td class=\"num\">%" PRIu64 "</td>", count_of(h, r, rp, "step"));
            out(h, "<td class=\"num\">%" PRIu64 "</td>", count_of(h, r, rp, "repeats"));
            const riommu_json *w = riommu_json_get(r, "waiver");
            out(h, "<td>");
            if (w && w->type == RIOMMU_JSON_STRING)
                esc(h, w->str);
            out(h, "</td></tr>\n");
            if (h->bad)
                return false;
        }
        out(h, "</table>\n");
        if (recs->n > RIOMMU_HTML_MAX_RECORDS)
            out(h, "<p>... %zu more records</p>\n", recs->n - RIOMMU_HTML_MAX_RECORDS);
    }
    if (!shown_cases)
        out(h, "<p class=\"ok\">none</p>\n");
    return true;
}

/* A number member (any sign, fractional). */
static double real_of(hr *h, const riommu_json *o, const char *path, const char *key)
{
    const riommu_json *v = member(h, o, path, key, RIOMMU_JSON_NUMBER, false);
    return v ? v->num : 0;
}

/* The run file's "timing_compare" (--timing-compare): per compared backend
 * the figures, the relative-error histogram and the worst requests. */
static bool timing_section(hr *h, const riommu_json *tc)
{
    const char *ref = str_of(h, tc, "timing_compare", "reference");
    const riommu_json *bes = member(h, tc, "timing_compare", "backends", RIOMMU_JSON_ARRAY, false);
    if (h->bad)
        return false;
    out(h, "<h2 id=\"timing\">Timing comparison</h2>\n<p>Each DMA's latency on the reference "
           "(<code>");
    esc(h, ref);
    out(h, "</code>) against another backend's, relative error |ref - other| / other "
           "(docs/timing.md \"Calibrating to a design\").</p>\n");
    for (size_t i = 0; i < bes->n && !h->bad; i++) {
        char path[64];
        const riommu_json *b = object_at(h, bes, "timing_compare", "backends", i, path,
                                         sizeof path);
        if (!b)
            return false;
        const char *be = str_of(h, b, path, "backend");
        uint64_t n = count_of(h, b, path, "dmas");
        double mr = real_of(h, b, path, "mean_ref_cycles");
        double mo = real_of(h, b, path, "mean_other_cycles");
        double ma = real_of(h, b, path, "mean_abs_rel");
        double p95 = real_of(h, b, path, "p95_abs_rel");
        double ms = real_of(h, b, path, "mean_signed_rel");
        const riommu_json *hist = member(h, b, path, "error_hist", RIOMMU_JSON_OBJECT, false);
        const riommu_json *worst = member(h, b, path, "worst", RIOMMU_JSON_ARRAY, false);
        char hpath[80];
        snprintf(hpath, sizeof hpath, "%s.error_hist", path);
        if (h->bad || !check_stats(h, hist, hpath))
            return false;
        out(h, "<h3>");
        esc(h, ref);
        out(h, " vs ");
        esc(h, be);
        out(h, "</h3>\n<table class=\"timing\"><tr><th>DMAs</th><th>mean latency, ");
        esc(h, ref);
        out(h, "</th><th>mean latency, ");
        esc(h, be);
        out(h, "</th><th>mean |error|</th><th>p95 |error|</th><th>signed mean</th></tr>\n"
               "<tr><td class=\"num\">%" PRIu64 "</td><td class=\"num\">%.1f</td>"
               "<td class=\"num\">%.1f</td><td class=\"num\">%.1f %%</td>"
               "<td class=\"num\">%.1f %%</td><td class=\"num\">%+.1f %%</td></tr></table>\n",
            n, mr, mo, 100.0 * ma, 100.0 * p95, 100.0 * ms);
        histogram_chart(h, hist, "relErr", "DMAs by |relative error|", "chart-timing",
                        "|relative error|");
        out(h, "<table class=\"worst\"><tr><th>program</th><th>device</th><th>access</th>"
               "<th>IOVA</th><th>len</th><th>");
        esc(h, ref);
        out(h, "</th><th>");
        esc(h, be);
        out(h, "</th></tr>\n");
        for (size_t w = 0; w < worst->n && !h->bad; w++) {
            char wp[96];
            const riommu_json *e = object_at(h, worst, path, "worst", w, wp, sizeof wp);
            if (!e)
                return false;
            const char *prog = str_of(h, e, wp, "program");
            uint64_t dev = count_of(h, e, wp, "device_id");
            const char *acc = str_of(h, e, wp, "access");
            const char *iova = str_of(h, e, wp, "iova");
            uint64_t len = count_of(h, e, wp, "len");
            uint64_t rc = count_of(h, e, wp, "ref_cycles");
            uint64_t oc = count_of(h, e, wp, "other_cycles");
            if (h->bad)
                return false;
            out(h, "<tr><td>");
            esc(h, prog);
            out(h, "</td><td class=\"num\">0x%" PRIx64 "</td><td>", dev);
            esc(h, acc);
            out(h, "</td><td><code>");
            esc(h, iova);
            out(h, "</code></td><td class=\"num\">%" PRIu64 "</td><td class=\"num\">%" PRIu64
                   "</td><td class=\"num\">%" PRIu64 "</td></tr>\n", len, rc, oc);
        }
        out(h, "</table>\n");
    }
    return !h->bad;
}

bool riommu_html_report(FILE *o, const riommu_json *run, char *err, size_t errlen)
{
    hr h = {o, err, errlen, false};
    if (errlen)
        err[0] = 0;
    if (!run || run->type != RIOMMU_JSON_OBJECT)
        return fail(&h, "the document: expected an object, found %s",
                    run ? riommu_json_type_name(run->type) : "nothing");
    const riommu_json *fmt = member(&h, run, "the document", "format", RIOMMU_JSON_STRING, false);
    if (!fmt)
        return false;
    if (strcmp(fmt->str, "riommu-run"))
        return fail(&h, "format: \"%.40s\" is not a riommu run file (\"riommu-run\")", fmt->str);
    const riommu_json *ver = member(&h, run, "the document", "version", RIOMMU_JSON_NUMBER, false);
    if (!ver)
        return false;
    if (!ver->is_uint || ver->u != 1)
        return fail(&h, "version: %.6g is not supported (this riommu reads version 1)", ver->num);
    const char *command = str_of(&h, run, "the document", "command");
    const riommu_json *backends =
        member(&h, run, "the document", "backends", RIOMMU_JSON_STRING, true);
    const riommu_json *progs =
        member(&h, run, "the document", "programs", RIOMMU_JSON_ARRAY, false);
    const riommu_json *totals = member(&h, run, "the document", "totals", RIOMMU_JSON_OBJECT, false);
    const riommu_json *report = member(&h, run, "the document", "report", RIOMMU_JSON_OBJECT, true);
    const riommu_json *info = member(&h, run, "the document", "statistics", RIOMMU_JSON_ARRAY, true);
    const riommu_json *tcmp =
        member(&h, run, "the document", "timing_compare", RIOMMU_JSON_OBJECT, true);
    if (h.bad)
        return false;
    uint64_t tp = count_of(&h, totals, "totals", "programs");
    uint64_t tm = count_of(&h, totals, "totals", "mismatches");
    uint64_t tw = count_of(&h, totals, "totals", "waived");
    uint64_t ts = count_of(&h, totals, "totals", "skipped");
    if (h.bad)
        return false;
    for (size_t i = 0; i < progs->n; i++)
        if (progs->kids[i]->type != RIOMMU_JSON_OBJECT)
            return fail(&h, "programs[%zu]: expected an object, found %s", i,
                        riommu_json_type_name(progs->kids[i]->type));

    out(&h, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
            "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
            "style-src 'unsafe-inline'\">\n<title>riommu report: ");
    esc(&h, command);
    out(&h, "</title>\n<style>%s</style></head>\n<body>\n<h1>riommu report: ", page_css);
    esc(&h, command);
    out(&h, "</h1>\n<p>");
    if (backends) {
        out(&h, "backends: <code>");
        esc(&h, backends->str);
        out(&h, "</code> (the first is the reference). ");
    } else {
        out(&h, "the embedded model. ");
    }
    out(&h, "Statistics names: docs/stats.md.</p>\n");
    out(&h, "<table id=\"totals\"><tr><th>programs</th><th>mismatches</th><th>waived</th>"
            "<th>skipped</th></tr>\n<tr><td class=\"num\">%" PRIu64 "</td>"
            "<td class=\"num %s\">%" PRIu64 "</td><td class=\"num\">%" PRIu64 "</td>"
            "<td class=\"num\">%" PRIu64 "</td></tr></table>\n",
        tp, tm ? "bad" : "ok", tm, tw, ts);
    out(&h, "<p id=\"verdict\" class=\"%s\">%s</p>\n", tm ? "bad" : "ok",
        tm ? "mismatches found" : "no mismatches");

    out(&h, "<h2>Programs</h2>\n<table id=\"programs\"><tr><th>program</th><th>steps</th>"
            "<th>checks</th><th>mismatches</th><th>waived</th><th>skipped</th>"
            "<th>cycles</th><th>translations</th><th>IOTLB hit rate</th></tr>\n");
    for (size_t i = 0; i < progs->n && !h.bad; i++) {
        char path[48];
        snprintf(path, sizeof path, "programs[%zu]", i);
        program_row(&h, i, progs->kids[i], path, i < RIOMMU_HTML_MAX_DETAILED);
    }
    out(&h, "</table>\n");
    if (progs->n > RIOMMU_HTML_MAX_DETAILED)
        out(&h, "<p>Details of the first %d programs follow.</p>\n", RIOMMU_HTML_MAX_DETAILED);
    for (size_t i = 0; i < progs->n && i < RIOMMU_HTML_MAX_DETAILED && !h.bad; i++) {
        char path[48];
        snprintf(path, sizeof path, "programs[%zu]", i);
        program_detail(&h, i, progs->kids[i], path, info);
    }
    if (report && !h.bad)
        mismatch_records(&h, report);
    if (tcmp && !h.bad)
        timing_section(&h, tcmp);
    if (h.bad)
        return false;
    out(&h, "</body></html>\n");
    return true;
}
