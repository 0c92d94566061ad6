/*
 * timing_cmp.c - the latency comparison of `--timing-compare` (timing_cmp.h).
 */
#include "timing_cmp.h"

#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "riommu/stats.h"

#define TC_MAX_BACKENDS 8   /* an engine's, as run_options allows */
#define TC_NAME 64           /* a backend name, as run_backend_spec's */
#define TC_NBNAMES (4 * TC_MAX_BACKENDS) /* names kept over every engine */

typedef struct tc_pair {
    uint32_t prog;       /* index into timing_cmp.progs; UINT32_MAX: none */
    uint8_t backend;     /* index into timing_cmp.bnames */
    uint64_t iova;
    uint32_t device_id, len;
    uint8_t access, status;
    bool ref_hit;        /* the reference served it from its IOTLB */
    uint32_t ref, other; /* cycles */
} tc_pair;

struct timing_cmp {
    tc_pair *p;
    size_t n, cap;
    char **progs;      /* every program named so far, whole (any length) */
    size_t nprogs, capprogs;
    /* backend names of every engine attached so far, each once (an engine
     * may go before the print: `riommu random`); bmap: the attached
     * engine's backend index -> bnames index */
    char bnames[TC_NBNAMES][TC_NAME];
    unsigned nb;
    uint8_t bmap[TC_MAX_BACKENDS];
    bool oom;          /* a pair or a name was lost for memory */
};

timing_cmp *timing_cmp_create(void)
{
    return calloc(1, sizeof(timing_cmp));
}

void timing_cmp_destroy(timing_cmp *t)
{
    if (!t)
        return;
    for (size_t i = 0; i < t->nprogs; i++)
        free(t->progs[i]);
    free(t->progs);
    free(t->p);
    free(t);
}

void timing_cmp_program(timing_cmp *t, const char *name)
{
    name = name ? name : "";
    if (t->nprogs && !strcmp(t->progs[t->nprogs - 1], name))
        return;
    if (t->nprogs == t->capprogs) {
        size_t cap = t->capprogs ? 2 * t->capprogs : 16;
        char **np = realloc(t->progs, cap * sizeof *np);
        if (!np) {
            t->oom = true;
            return;
        }
        t->progs = np;
        t->capprogs = cap;
    }
    size_t len = strlen(name) + 1;
    char *copy = malloc(len);
    if (!copy) {
        t->oom = true;
        return;
    }
    memcpy(copy, name, len);
    t->progs[t->nprogs++] = copy;
}

static const char *prog_of(const timing_cmp *t, const tc_pair *e)
{
    return e->prog < t->nprogs ? t->progs[e->prog] : "";
}

static const char *backend_of(const timing_cmp *t, const tc_pair *e)
{
    return t->bnames[e->backend];
}

/* The reference backend's name, the first the comparison saw. */
static const char *ref_name(const timing_cmp *t)
{
    return t->nb && t->bnames[0][0] ? t->bnames[0] : "reference";
}

static void on_latency(void *ctx, unsigned backend, const riommu_request *req,
                       const riommu_response *ref, const riommu_response *rsp)
{
    timing_cmp *t = ctx;
    if (t->n == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 256;
        tc_pair *np = realloc(t->p, cap * sizeof *np);
        if (!np) {
            t->oom = true;
            return;
        }
        t->p = np;
        t->cap = cap;
    }
    tc_pair *e = &t->p[t->n++];
    e->prog = t->nprogs ? (uint32_t)(t->nprogs - 1) : UINT32_MAX;
    e->backend = backend < TC_MAX_BACKENDS ? t->bmap[backend] : 0;
    e->iova = req->iova;
    e->device_id = req->device_id;
    e->len = req->len;
    e->access = (uint8_t)req->access;
    e->status = (uint8_t)rsp->status;
    e->ref_hit = ref->iotlb_hit;
    e->ref = ref->cycles;
    e->other = rsp->cycles;
}

void timing_cmp_attach(timing_cmp *t, riommu_cosim *c)
{
    for (unsigned i = 0; i < TC_MAX_BACKENDS; i++) {
        const char *nm = riommu_cosim_backend_name(c, i);
        char name[TC_NAME];
        snprintf(name, sizeof name, "%s", nm ? nm : "?");
        unsigned k = 0;
        while (k < t->nb && strcmp(t->bnames[k], name))
            k++;
        if (k == t->nb && t->nb < sizeof t->bnames / sizeof t->bnames[0])
            memcpy(t->bnames[t->nb++], name, sizeof name);
        t->bmap[i] = (uint8_t)(k < t->nb ? k : 0);
    }
    riommu_cosim_on_latency(c, on_latency, t);
}

uint64_t timing_cmp_count(const timing_cmp *t)
{
    return t->n;
}

/* |ref - other| / other (other 0 counts as 1 cycle). */
static double rel(const tc_pair *e)
{
    double o = e->other ? (double)e->other : 1.0;
    return ((double)e->ref - (double)e->other) / o;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

bool timing_cmp_summarize(const timing_cmp *t, const char *backend, timing_cmp_summary *out)
{
    memset(out, 0, sizeof *out);
    double *abs_rel = malloc((t->n ? t->n : 1) * sizeof *abs_rel);
    if (!abs_rel)
        return false;
    double sr = 0, so = 0, sa = 0, ss = 0;
    size_t k = 0;
    for (size_t i = 0; i < t->n; i++) {
        const tc_pair *e = &t->p[i];
        if (strcmp(backend_of(t, e), backend))
            continue;
        double r = rel(e);
        abs_rel[k++] = fabs(r);
        sr += e->ref;
        so += e->other;
        sa += fabs(r);
        ss += r;
    }
    if (k) {
        qsort(abs_rel, k, sizeof *abs_rel, cmp_double);
        size_t idx = (size_t)ceil(0.95 * (double)k);
        out->n = k;
        out->mean_ref = sr / (double)k;
        out->mean_other = so / (double)k;
        out->mean_abs_rel = sa / (double)k;
        out->mean_signed_rel = ss / (double)k;
        out->p95_abs_rel = abs_rel[idx ? idx - 1 : 0];
    }
    free(abs_rel);
    return k != 0;
}

/* The indices of backend be's `worst` pairs of largest |relative error|,
 * largest first (a partial insertion selection), into idx[0..worst);
 * returns how many (fewer when the backend has fewer pairs). */
static size_t select_worst(const timing_cmp *t, const char *be, size_t worst, size_t *idx)
{
    size_t m = 0;
    for (size_t j = 0; worst && j < t->n; j++) {
        if (strcmp(backend_of(t, &t->p[j]), be))
            continue;
        double r = fabs(rel(&t->p[j]));
        size_t pos = m < worst ? m++ : worst;
        if (pos == worst) {
            if (r <= fabs(rel(&t->p[idx[worst - 1]])))
                continue;
            pos = worst - 1;
        }
        while (pos > 0 && fabs(rel(&t->p[idx[pos - 1]])) < r) {
            idx[pos] = idx[pos - 1];
            pos--;
        }
        idx[pos] = j;
    }
    return m;
}

static const char *access_name(uint8_t a)
{
    return a == RIOMMU_WRITE ? "write" : a == RIOMMU_EXEC ? "exec" : "read";
}

/* A backend with pairs and their summary (backend_sums). */
typedef struct tc_backend_sum {
    const char *name;
    timing_cmp_summary s;
} tc_backend_sum;

/* The backends that have pairs, each once, in order of their first pair
 * (one pass), with their summaries; returns how many: what the text and
 * JSON summaries list. */
static unsigned backend_sums(const timing_cmp *t, tc_backend_sum out[TC_NBNAMES])
{
    bool seen[TC_NBNAMES] = {false};
    unsigned n = 0;
    for (size_t i = 0; i < t->n && n < t->nb; i++) {
        unsigned b = t->p[i].backend;
        if (b >= TC_NBNAMES || seen[b])
            continue;
        seen[b] = true;
        out[n].name = t->bnames[b];
        if (timing_cmp_summarize(t, out[n].name, &out[n].s))
            n++;
    }
    return n;
}

/* The `worst` pairs of backend `be` with the largest relative error, as
 * indices into t->p (select_worst), in a block the caller frees; *n how
 * many (0, and NULL, when none or out of memory). */
static size_t *worst_pairs(const timing_cmp *t, const char *be, unsigned worst, size_t *n)
{
    size_t *idx = malloc((worst ? worst : 1) * sizeof *idx);
    *n = idx ? select_worst(t, be, worst, idx) : 0;
    return idx;
}

void timing_cmp_print(const timing_cmp *t, FILE *out, unsigned worst)
{
    const char *ref = ref_name(t);
    if (!t->n) {
        fprintf(out, "timing compare: no DMA pairs (a pair needs a DMA both the reference and "
                     "another backend that reports latency answered alike: model, rtl)\n");
        return;
    }
    tc_backend_sum sums[TC_NBNAMES];
    unsigned nsums = backend_sums(t, sums);
    for (unsigned o = 0; o < nsums; o++) {
        const char *be = sums[o].name;
        const timing_cmp_summary s = sums[o].s;
        fprintf(out,
                "timing compare %s vs %s: %" PRIu64 " DMAs; mean latency %.1f vs %.1f cycles; "
                "relative error |%s-%s|/%s mean %.1f %%, p95 %.1f %%, signed mean %+.1f %%\n",
                ref, be, s.n, s.mean_ref, s.mean_other, ref, be, be, 100.0 * s.mean_abs_rel,
                100.0 * s.p95_abs_rel, 100.0 * s.mean_signed_rel);
        size_t m;
        size_t *idx = worst_pairs(t, be, worst, &m);
        for (size_t w = 0; w < m; w++) {
            const tc_pair *e = &t->p[idx[w]];
            fprintf(out,
                    "  worst %zu: %s: device 0x%x %s 0x%" PRIx64 " len %u: %s %u, %s %u cycles "
                    "(%+.0f %%)\n",
                    w + 1, prog_of(t, e)[0] ? prog_of(t, e) : "-", e->device_id, access_name(e->access),
                    e->iova, e->len, ref, e->ref, be, e->other, 100.0 * rel(e));
        }
        free(idx);
    }
    if (t->oom)
        fprintf(out, "timing compare: some pairs were lost (out of memory)\n");
}

/* A CSV field: the program name is the only free text (a scenario's file
 * name); quoted, with quotes doubled. */
static void csv_text(FILE *f, const char *s)
{
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"')
            fputc('"', f);
        fputc(*s, f);
    }
    fputc('"', f);
}

int timing_cmp_write_csv(const timing_cmp *t, FILE *out)
{
    fprintf(out, "program,backend,device_id,access,iova,len,status,ref_iotlb_hit,%s_cycles,"
                 "other_cycles,rel_error\n",
            ref_name(t));
    for (size_t i = 0; i < t->n; i++) {
        const tc_pair *e = &t->p[i];
        csv_text(out, prog_of(t, e));
        fprintf(out, ",%s,0x%x,%s,0x%" PRIx64 ",%u,%u,%d,%u,%u,%.4f\n", backend_of(t, e),
                e->device_id,
                access_name(e->access), e->iova, e->len, e->status, e->ref_hit ? 1 : 0, e->ref,
                e->other, rel(e));
    }
    return ferror(out) ? -1 : 0;
}

/* The relative-error buckets of the run file's histogram, in per cent:
 * [0,1), [1,2), [2,5), [5,10), [10,25), [25,50), [50,100), [100,...). */
static const double err_edges[] = {1, 2, 5, 10, 25, 50, 100};
static const char *const err_names[] = {"0-1%",   "1-2%",   "2-5%",    "5-10%",
                                        "10-25%", "25-50%", "50-100%", "100%+"};

void timing_cmp_write_json(const timing_cmp *t, FILE *out, unsigned worst)
{
    fputs("{\"reference\":", out);
    riommu_stats_json_str(out, ref_name(t));
    fputs(",\"backends\":[", out);
    bool first_be = true;
    tc_backend_sum sums[TC_NBNAMES];
    unsigned nsums = backend_sums(t, sums);
    for (unsigned o = 0; o < nsums; o++) {
        const char *be = sums[o].name;
        const timing_cmp_summary s = sums[o].s;
        uint64_t hist[sizeof err_names / sizeof err_names[0]] = {0};
        for (size_t j = 0; j < t->n; j++) {
            if (strcmp(backend_of(t, &t->p[j]), be))
                continue;
            double pc = 100.0 * fabs(rel(&t->p[j]));
            size_t b = 0;
            while (b < sizeof err_edges / sizeof err_edges[0] && pc >= err_edges[b])
                b++;
            hist[b]++;
        }
        fputs(first_be ? "\n{\"backend\":" : ",\n{\"backend\":", out);
        first_be = false;
        riommu_stats_json_str(out, be);
        fprintf(out,
                ",\"dmas\":%" PRIu64 ",\"mean_ref_cycles\":%.3f,\"mean_other_cycles\":%.3f,"
                "\"mean_abs_rel\":%.6f,\"p95_abs_rel\":%.6f,\"mean_signed_rel\":%.6f,"
                "\"error_hist\":{",
                s.n, s.mean_ref, s.mean_other, s.mean_abs_rel, s.p95_abs_rel,
                s.mean_signed_rel);
        for (size_t b = 0; b < sizeof err_names / sizeof err_names[0]; b++)
            fprintf(out, "%s\"relErr::%s\":%" PRIu64, b ? "," : "", err_names[b], hist[b]);
        fputs("},\"worst\":[", out);
        size_t m;
        size_t *idx = worst_pairs(t, be, worst, &m);
        for (size_t w = 0; w < m; w++) {
            const tc_pair *e = &t->p[idx[w]];
            fputs(w ? ",{\"program\":" : "{\"program\":", out);
            riommu_stats_json_str(out, prog_of(t, e));
            fprintf(out,
                    ",\"device_id\":%" PRIu32 ",\"access\":\"%s\",\"iova\":\"0x%" PRIx64
                    "\",\"len\":%" PRIu32 ",\"ref_cycles\":%" PRIu32 ",\"other_cycles\":%" PRIu32
                    "}",
                    e->device_id, access_name(e->access), e->iova, e->len, e->ref, e->other);
        }
        free(idx);
        fputs("]}", out);
    }
    fputs("]}", out);
}

int timing_cmp_finish(timing_cmp *t, const char *cmd, const char *csv, int status)
{
    if (t && status >= 0 && status < 2) {
        timing_cmp_print(t, stdout, 5);
        if (csv) {
            FILE *f = fopen(csv, "w");
            int rc = f ? timing_cmp_write_csv(t, f) : -1;
            if (f && fclose(f))
                rc = -1;
            if (rc < 0) {
                fprintf(stderr, "riommu %s: --timing-csv %s: cannot write it\n", cmd, csv);
                status = 2;
            }
        }
    }
    timing_cmp_destroy(t);
    return status;
}
