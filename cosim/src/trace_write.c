/*
 * trace_write.c - the trace writer and the recording shim (trace.h; the
 * format is docs/trace.md).
 *
 * Every operation becomes one text line built in `lb`. Operation lines go
 * through the folder: a line equal to one of the last RIOMMU_TRACE_MAX_PERIOD
 * lines written may start a repetition of the block that ends there; the
 * folder then swallows lines while they continue the block and writes
 * `again K N` once the repetition ends (a partial block is written out
 * plainly). Structural lines (at, end, headers) end any repetition and
 * start a new history, so a block never spans two scenario lines.
 */
#include "riommu/trace.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

struct riommu_trace_writer {
    FILE *out;
    bool failed;
    bool in_section;
    uint64_t at;     /* scenario line of the operations being recorded */
    bool at_out;     /* its `at` line is written */
    /* the line being built */
    char *lb;
    size_t ll, lcap;
    /* folding: the last operation lines written (oldest first) and the
     * repetition being counted: block = last rep_k lines of hist, rep_n
     * complete repetitions, rep_m lines of the next one matched */
    char *hist[RIOMMU_TRACE_MAX_PERIOD];
    unsigned nh;
    unsigned rep_k, rep_m;
    uint64_t rep_n;
    /* the wrapped shim */
    riommu_hw_ops in;
    riommu_trace_cpu cpu;
    /* scratch for the period of a data field */
    uint32_t *pi;
    size_t picap;
};

/* ---- output ---------------------------------------------------------------- */

static void put_line(riommu_trace_writer *w, const char *s)
{
    if (fputs(s, w->out) < 0 || fputc('\n', w->out) == EOF)
        w->failed = true;
}

static bool lb_reserve(riommu_trace_writer *w, size_t more)
{
    if (w->ll + more + 1 <= w->lcap)
        return true;
    size_t nc = w->lcap ? w->lcap : 256;
    while (nc < w->ll + more + 1)
        nc *= 2;
    char *nb = realloc(w->lb, nc);
    if (!nb) {
        w->failed = true;
        return false;
    }
    w->lb = nb;
    w->lcap = nc;
    return true;
}

#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
static void lb_add(riommu_trace_writer *w, const char *fmt, ...)
{
    char tmp[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    size_t l = (size_t)n < sizeof tmp ? (size_t)n : sizeof tmp - 1;
    if (!lb_reserve(w, l))
        return;
    memcpy(w->lb + w->ll, tmp, l);
    w->ll += l;
    w->lb[w->ll] = 0;
}

static void lb_start(riommu_trace_writer *w)
{
    w->ll = 0;
    if (lb_reserve(w, 0))
        w->lb[0] = 0;
}

/* Text of a name, with control characters and non-ASCII bytes as '?'. */
static void lb_name(riommu_trace_writer *w, const char *s)
{
    size_t l = strlen(s);
    if (l > RIOMMU_TRACE_MAX_NAME - 1)
        l = RIOMMU_TRACE_MAX_NAME - 1;
    if (!lb_reserve(w, l))
        return;
    for (size_t i = 0; i < l; i++) {
        unsigned char c = (unsigned char)s[i];
        w->lb[w->ll++] = (c < 0x20 || c >= 0x7F) ? '?' : (char)c;
    }
    w->lb[w->ll] = 0;
}

/* Smallest p such that d[i] == d[i % p] for every i: the data is written
 * as its first p bytes (docs/trace.md "data"). Prefix function; falls back
 * to the full length when scratch memory is short. */
static size_t period(riommu_trace_writer *w, const uint8_t *d, size_t n)
{
    if (n <= 1)
        return n;
    if (n > w->picap) {
        uint32_t *np = realloc(w->pi, n * sizeof *np);
        if (!np)
            return n;
        w->pi = np;
        w->picap = n;
    }
    uint32_t *pi = w->pi;
    pi[0] = 0;
    for (size_t i = 1; i < n; i++) {
        uint32_t k = pi[i - 1];
        while (k && d[i] != d[k])
            k = pi[k - 1];
        if (d[i] == d[k])
            k++;
        pi[i] = k;
    }
    return n - pi[n - 1];
}

static void lb_hex(riommu_trace_writer *w, const uint8_t *d, size_t n)
{
    static const char hx[] = "0123456789abcdef";
    if (!d || !n) {
        lb_add(w, "-");
        return;
    }
    size_t p = period(w, d, n);
    if (!lb_reserve(w, 2 * p))
        return;
    for (size_t i = 0; i < p; i++) {
        w->lb[w->ll++] = hx[d[i] >> 4];
        w->lb[w->ll++] = hx[d[i] & 15];
    }
    w->lb[w->ll] = 0;
}

static void lb_reg(riommu_trace_writer *w, uint32_t off)
{
    const char *n = riommu_reg_name(off);
    if (n)
        lb_add(w, "%s@0x%03x", n, (unsigned)off);
    else
        lb_add(w, "0x%03x", (unsigned)off);
}

/* ---- folding ------------------------------------------------------------------- */

static void hist_push(riommu_trace_writer *w, const char *s)
{
    size_t l = strlen(s) + 1;
    char *c = malloc(l);
    if (!c) {
        w->failed = true;
        return;
    }
    memcpy(c, s, l);
    if (w->nh == RIOMMU_TRACE_MAX_PERIOD) {
        free(w->hist[0]);
        memmove(w->hist, w->hist + 1, (RIOMMU_TRACE_MAX_PERIOD - 1) * sizeof w->hist[0]);
        w->nh--;
    }
    w->hist[w->nh++] = c;
}

static void hist_clear(riommu_trace_writer *w)
{
    for (unsigned i = 0; i < w->nh; i++)
        free(w->hist[i]);
    w->nh = 0;
}

static void emit_plain(riommu_trace_writer *w, const char *s)
{
    put_line(w, s);
    hist_push(w, s);
}

static void put_again(riommu_trace_writer *w, unsigned k, uint64_t n)
{
    char b[64];
    snprintf(b, sizeof b, "again %u %" PRIu64, k, n);
    put_line(w, b);
}

/* End a repetition: `again` for the complete blocks, the lines of a
 * partial one written plainly. */
static void fold_flush(riommu_trace_writer *w)
{
    if (!w->rep_k)
        return;
    unsigned k = w->rep_k, m = w->rep_m;
    w->rep_k = 0;
    w->rep_m = 0;
    if (w->rep_n)
        put_again(w, k, w->rep_n);
    w->rep_n = 0;
    char *part[RIOMMU_TRACE_MAX_PERIOD];
    unsigned np = 0;
    for (unsigned i = 0; i < m; i++) {
        const char *s = w->hist[w->nh - k + i];
        size_t l = strlen(s) + 1;
        part[np] = malloc(l);
        if (!part[np]) {
            w->failed = true;
            break;
        }
        memcpy(part[np++], s, l);
    }
    for (unsigned i = 0; i < np; i++) {
        emit_plain(w, part[i]);
        free(part[i]);
    }
}

static void fold_line(riommu_trace_writer *w, const char *s)
{
    if (w->rep_k) {
        if (!strcmp(s, w->hist[w->nh - w->rep_k + w->rep_m])) {
            if (++w->rep_m == w->rep_k) {
                w->rep_m = 0;
                if (++w->rep_n == RIOMMU_TRACE_MAX_OPS) {
                    put_again(w, w->rep_k, w->rep_n);
                    w->rep_n = 0;
                }
            }
            return;
        }
        fold_flush(w);
    }
    for (unsigned k = 1; k <= w->nh; k++)
        if (!strcmp(s, w->hist[w->nh - k])) {
            w->rep_k = k;
            w->rep_m = k == 1 ? 0 : 1;
            w->rep_n = k == 1 ? 1 : 0;
            return;
        }
    emit_plain(w, s);
}

/* A structural line: ends any repetition and the history. */
static void put_struct(riommu_trace_writer *w, const char *s)
{
    fold_flush(w);
    hist_clear(w);
    put_line(w, s);
}

/* The operation line in lb is complete. */
static void op_done(riommu_trace_writer *w)
{
    if (!w->in_section || !w->lb)
        return;
    if (!w->at_out) {
        char b[40];
        snprintf(b, sizeof b, "at %" PRIu64, w->at);
        put_struct(w, b);
        w->at_out = true;
    }
    fold_line(w, w->lb);
}

/* ---- sections ------------------------------------------------------------------- */

riommu_trace_writer *riommu_trace_writer_create(FILE *out)
{
    riommu_trace_writer *w = calloc(1, sizeof *w);
    if (!w)
        return NULL;
    w->out = out;
    char b[32];
    snprintf(b, sizeof b, "riommu-trace %d", RIOMMU_TRACE_VERSION);
    put_line(w, b);
    return w;
}

bool riommu_trace_writer_failed(const riommu_trace_writer *w) { return w->failed; }

void riommu_trace_end(riommu_trace_writer *w)
{
    if (!w->in_section)
        return;
    if (!w->at_out) { /* the final comparison belongs to the last step */
        char b[40];
        snprintf(b, sizeof b, "at %" PRIu64, w->at);
        put_struct(w, b);
    }
    put_struct(w, "end");
    w->in_section = false;
}

bool riommu_trace_writer_destroy(riommu_trace_writer *w)
{
    if (!w)
        return true;
    riommu_trace_end(w);
    if (fflush(w->out) != 0 || ferror(w->out))
        w->failed = true;
    bool ok = !w->failed;
    hist_clear(w);
    free(w->lb);
    free(w->pi);
    free(w);
    return ok;
}

void riommu_trace_begin(riommu_trace_writer *w, const char *scenario, const char *world,
                        uint64_t dma_base, uint64_t dma_size, const char *const *config,
                        size_t n)
{
    riommu_trace_end(w);
    lb_start(w);
    lb_add(w, "scenario ");
    lb_name(w, scenario ? scenario : "-");
    if (w->lb)
        put_struct(w, w->lb);
    lb_start(w);
    if (world) {
        lb_add(w, "world cosim ");
        lb_name(w, world);
    } else {
        lb_add(w, "world model");
    }
    if (w->lb)
        put_struct(w, w->lb);
    lb_start(w);
    lb_add(w, "window 0x%" PRIx64 " 0x%" PRIx64, dma_base, dma_size);
    if (w->lb)
        put_struct(w, w->lb);
    for (size_t i = 0; i < n && i < RIOMMU_TRACE_MAX_CONFIG; i++) {
        lb_start(w);
        lb_name(w, config[i]);
        if (w->lb)
            put_struct(w, w->lb);
    }
    if (n > RIOMMU_TRACE_MAX_CONFIG)
        w->failed = true;
    w->in_section = true;
    w->at = 0;
    w->at_out = false;
}

void riommu_trace_at(riommu_trace_writer *w, uint64_t line)
{
    if (line == w->at && w->at_out)
        return;
    w->at = line;
    w->at_out = false;
}

/* ---- the recording shim ------------------------------------------------------------ */

static uint32_t t_r32(void *ctx, uint32_t off)
{
    riommu_trace_writer *w = ctx;
    uint32_t v = w->in.read32(w->in.ctx, off);
    lb_start(w);
    lb_add(w, "r32 ");
    lb_reg(w, off);
    lb_add(w, " -> 0x%" PRIx32, v);
    op_done(w);
    return v;
}

static uint64_t t_r64(void *ctx, uint32_t off)
{
    riommu_trace_writer *w = ctx;
    uint64_t v = w->in.read64(w->in.ctx, off);
    lb_start(w);
    lb_add(w, "r64 ");
    lb_reg(w, off);
    lb_add(w, " -> 0x%" PRIx64, v);
    op_done(w);
    return v;
}

static void t_w32(void *ctx, uint32_t off, uint32_t v)
{
    riommu_trace_writer *w = ctx;
    lb_start(w);
    lb_add(w, "w32 ");
    lb_reg(w, off);
    lb_add(w, " 0x%" PRIx32, v);
    op_done(w);
    w->in.write32(w->in.ctx, off, v);
}

static void t_w64(void *ctx, uint32_t off, uint64_t v)
{
    riommu_trace_writer *w = ctx;
    lb_start(w);
    lb_add(w, "w64 ");
    lb_reg(w, off);
    lb_add(w, " 0x%" PRIx64, v);
    op_done(w);
    w->in.write64(w->in.ctx, off, v);
}

static bool t_alloc(void *ctx, size_t size, size_t align, riommu_dma_mem *out)
{
    riommu_trace_writer *w = ctx;
    bool ok = w->in.alloc(w->in.ctx, size, align, out);
    lb_start(w);
    lb_add(w, "alloc %zu %zu -> ", size, align);
    if (size > RIOMMU_TRACE_MAX_ALLOC)
        w->failed = true; /* a reader would reject it */
    if (ok)
        lb_add(w, "0x%" PRIx64, out->pa);
    else
        lb_add(w, "failed");
    op_done(w);
    return ok;
}

static void t_free(void *ctx, const riommu_dma_mem *m)
{
    riommu_trace_writer *w = ctx;
    lb_start(w);
    lb_add(w, "free 0x%" PRIx64 " %zu", m->pa, m->size);
    op_done(w);
    w->in.free(w->in.ctx, m);
}

static bool t_map_phys(void *ctx, uint64_t pa, size_t size, riommu_dma_mem *out)
{
    riommu_trace_writer *w = ctx;
    bool ok = w->in.map_phys(w->in.ctx, pa, size, out);
    lb_start(w);
    lb_add(w, "map 0x%" PRIx64 " %zu -> %s", pa, size, ok ? "ok" : "failed");
    if (size > RIOMMU_TRACE_MAX_ALLOC)
        w->failed = true;
    op_done(w);
    return ok;
}

static const uint8_t *cpu_bytes(riommu_trace_writer *w, uint64_t pa, size_t len)
{
    return w->cpu.bytes && len ? w->cpu.bytes(w->cpu.ctx, pa, len) : NULL;
}

/* Publications and consumptions longer than a trace line may carry are
 * recorded as several, each forwarded on its own (the same bytes move). */
static void t_sync_dev(void *ctx, uint64_t pa, size_t len)
{
    riommu_trace_writer *w = ctx;
    size_t done = 0;
    do {
        size_t n = len - done > RIOMMU_TRACE_MAX_DATA ? RIOMMU_TRACE_MAX_DATA : len - done;
        lb_start(w);
        lb_add(w, "publish 0x%" PRIx64 " %zu ", pa + done, n);
        lb_hex(w, cpu_bytes(w, pa + done, n), n);
        op_done(w);
        w->in.sync_to_device(w->in.ctx, pa + done, n);
        done += n;
    } while (done < len);
}

static void t_sync_cpu(void *ctx, uint64_t pa, size_t len)
{
    riommu_trace_writer *w = ctx;
    size_t done = 0;
    do {
        size_t n = len - done > RIOMMU_TRACE_MAX_DATA ? RIOMMU_TRACE_MAX_DATA : len - done;
        w->in.sync_for_cpu(w->in.ctx, pa + done, n);
        lb_start(w);
        lb_add(w, "consume 0x%" PRIx64 " %zu -> ", pa + done, n);
        lb_hex(w, cpu_bytes(w, pa + done, n), n);
        op_done(w);
        done += n;
    } while (done < len);
}

static void t_delay(void *ctx, uint32_t us)
{
    riommu_trace_writer *w = ctx;
    lb_start(w);
    lb_add(w, "delay %" PRIu32, us);
    op_done(w);
    w->in.delay_us(w->in.ctx, us);
}

static uint64_t t_now(void *ctx)
{
    riommu_trace_writer *w = ctx;
    return w->in.now_us(w->in.ctx);
}

static uint32_t t_irq_pending(void *ctx)
{
    riommu_trace_writer *w = ctx;
    uint32_t v = w->in.irq_pending(w->in.ctx);
    lb_start(w);
    lb_add(w, "irq-pending -> 0x%" PRIx32, v);
    op_done(w);
    return v;
}

static void t_irq_ack(void *ctx, uint32_t v)
{
    riommu_trace_writer *w = ctx;
    lb_start(w);
    lb_add(w, "irq-ack 0x%" PRIx32, v);
    op_done(w);
    w->in.irq_ack(w->in.ctx, v);
}

riommu_hw_ops riommu_trace_wrap(riommu_trace_writer *w, const riommu_hw_ops *inner,
                                const riommu_trace_cpu *cpu)
{
    w->in = *inner;
    memset(&w->cpu, 0, sizeof w->cpu);
    if (cpu)
        w->cpu = *cpu;
    riommu_hw_ops o;
    memset(&o, 0, sizeof o);
    o.ctx = w;
    o.read32 = t_r32;
    o.read64 = t_r64;
    o.write32 = t_w32;
    o.write64 = t_w64;
    o.alloc = t_alloc;
    o.free = t_free;
    o.map_phys = inner->map_phys ? t_map_phys : NULL;
    o.sync_to_device = t_sync_dev;
    o.sync_for_cpu = t_sync_cpu;
    o.delay_us = t_delay;
    o.now_us = t_now;
    o.irq_pending = inner->irq_pending ? t_irq_pending : NULL;
    o.irq_ack = inner->irq_ack ? t_irq_ack : NULL;
    return o;
}

/* ---- device and platform --------------------------------------------------------------- */

void riommu_trace_dma(riommu_trace_writer *w, const riommu_request *req, const void *buf,
                      const riommu_response *rsp)
{
    static const char *access[] = {"read", "write", "exec"};
    const uint8_t *d = buf;
    lb_start(w);
    lb_add(w, "dma 0x%" PRIx32 " %s 0x%" PRIx64 " %" PRIu32, req->device_id,
           (unsigned)req->access < 3 ? access[req->access] : "read", req->iova, req->len);
    if (req->pv)
        lb_add(w, " pid 0x%" PRIx32, req->process_id);
    if (req->priv)
        lb_add(w, " priv");
    if (req->kind == RIOMMU_REQ_TRANSLATED)
        lb_add(w, " translated");
    else if (req->kind == RIOMMU_REQ_ATS)
        lb_add(w, " ats");
    if (req->access == RIOMMU_WRITE) {
        lb_add(w, " data ");
        lb_hex(w, d, req->len);
    }
    lb_add(w, " -> ");
    if (rsp->status == RIOMMU_RSP_OK) {
        lb_add(w, "ok pa 0x%" PRIx64 " range 0x%" PRIx64, rsp->pa, rsp->range_size);
        if (req->access != RIOMMU_WRITE) {
            lb_add(w, " data ");
            lb_hex(w, d, req->len);
        }
    } else if (rsp->status == RIOMMU_RSP_FAULT) {
        lb_add(w, "fault %u%s", (unsigned)rsp->cause, rsp->recorded ? " recorded" : "");
    } else {
        lb_add(w, "bad-request");
    }
    if (req->len > RIOMMU_TRACE_MAX_DMA_LEN)
        w->failed = true; /* a reader would reject it */
    op_done(w);
}

void riommu_trace_settle(riommu_trace_writer *w)
{
    lb_start(w);
    lb_add(w, "settle");
    op_done(w);
}

void riommu_trace_step(riommu_trace_writer *w, uint64_t cycles)
{
    lb_start(w);
    lb_add(w, "step %" PRIu64, cycles);
    op_done(w);
}

void riommu_trace_mem_write(riommu_trace_writer *w, uint64_t pa, const void *buf, size_t len)
{
    const uint8_t *d = buf;
    size_t done = 0;
    while (done < len) {
        size_t n = len - done > RIOMMU_TRACE_MAX_DATA ? RIOMMU_TRACE_MAX_DATA : len - done;
        lb_start(w);
        lb_add(w, "mem-write 0x%" PRIx64 " %zu ", pa + done, n);
        lb_hex(w, d + done, n);
        op_done(w);
        done += n;
    }
}

void riommu_trace_label(riommu_trace_writer *w, uint64_t pa, uint64_t len, uint32_t stride,
                        const char *name)
{
    size_t l = strlen(name);
    bool ok = l >= 1 && l <= RIOMMU_TRACE_MAX_LABEL;
    for (size_t i = 0; i < l; i++)
        ok &= name[i] > 0x20 && name[i] < 0x7F && name[i] != '#';
    if (!ok || !w->in_section) {
        w->failed = !ok || w->failed;
        return;
    }
    char b[96];
    snprintf(b, sizeof b, "label 0x%" PRIx64 " %" PRIu64 " %" PRIu32 " %s", pa, len, stride,
             name);
    fold_flush(w);
    hist_clear(w);
    if (!w->at_out) {
        char a[40];
        snprintf(a, sizeof a, "at %" PRIu64, w->at);
        put_line(w, a);
        w->at_out = true;
    }
    put_line(w, b);
}
