/*
 * hw_trace.c - recording wrapper over riommu_hw_ops (see hw_trace.h).
 */
#include "riommu/hw_trace.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "riommu/riommu.h"

struct riommu_hw_trace {
    riommu_hw_ops in;
    riommu_drv_heap heap;
    bool has_heap, fold, on;
    riommu_trace_rec *r;
    size_t n, cap;
};

static void push(riommu_hw_trace *t, riommu_trace_rec rec)
{
    if (!t->on)
        return;
    if (t->fold && t->n && (rec.op == RIOMMU_TR_READ32 || rec.op == RIOMMU_TR_READ64)) {
        /* A poll: the same read again, right after it or after a delay. */
        size_t k = t->n - 1;
        if (t->r[k].op == RIOMMU_TR_DELAY && k > 0)
            k--;
        riommu_trace_rec *p = &t->r[k];
        if (p->op == rec.op && p->off == rec.off && p->val == rec.val) {
            p->len++;
            return;
        }
    }
    if (t->fold && t->n && rec.op == RIOMMU_TR_DELAY && t->r[t->n - 1].op == RIOMMU_TR_DELAY) {
        t->r[t->n - 1].val += rec.val;
        return;
    }
    if (t->n == t->cap) {
        size_t nc = t->cap ? t->cap * 2 : 256;
        riommu_trace_rec *nr = realloc(t->r, nc * sizeof *nr);
        if (!nr)
            return; /* out of memory: the trace stops growing */
        t->r = nr;
        t->cap = nc;
    }
    if (rec.op == RIOMMU_TR_READ32 || rec.op == RIOMMU_TR_READ64)
        rec.len = 1;
    t->r[t->n++] = rec;
}

static riommu_trace_rec rec0(riommu_trace_op op)
{
    riommu_trace_rec r;
    memset(&r, 0, sizeof r);
    r.op = op;
    return r;
}

static uint32_t t_r32(void *c, uint32_t off)
{
    riommu_hw_trace *t = c;
    uint32_t v = t->in.read32(t->in.ctx, off);
    riommu_trace_rec r = rec0(RIOMMU_TR_READ32);
    r.off = off;
    r.val = v;
    push(t, r);
    return v;
}
static uint64_t t_r64(void *c, uint32_t off)
{
    riommu_hw_trace *t = c;
    uint64_t v = t->in.read64(t->in.ctx, off);
    riommu_trace_rec r = rec0(RIOMMU_TR_READ64);
    r.off = off;
    r.val = v;
    push(t, r);
    return v;
}
static void t_w32(void *c, uint32_t off, uint32_t v)
{
    riommu_hw_trace *t = c;
    riommu_trace_rec r = rec0(RIOMMU_TR_WRITE32);
    r.off = off;
    r.val = v;
    push(t, r);
    t->in.write32(t->in.ctx, off, v);
}
static void t_w64(void *c, uint32_t off, uint64_t v)
{
    riommu_hw_trace *t = c;
    riommu_trace_rec r = rec0(RIOMMU_TR_WRITE64);
    r.off = off;
    r.val = v;
    push(t, r);
    t->in.write64(t->in.ctx, off, v);
}
static bool t_alloc(void *c, size_t size, size_t align, riommu_dma_mem *out)
{
    riommu_hw_trace *t = c;
    bool ok = t->in.alloc(t->in.ctx, size, align, out);
    riommu_trace_rec r = rec0(RIOMMU_TR_ALLOC);
    r.addr = ok ? out->pa : 0;
    r.len = size;
    r.val = align;
    push(t, r);
    return ok;
}
static void t_free(void *c, const riommu_dma_mem *m)
{
    riommu_hw_trace *t = c;
    riommu_trace_rec r = rec0(RIOMMU_TR_FREE);
    r.addr = m->pa;
    r.len = m->size;
    push(t, r);
    t->in.free(t->in.ctx, m);
}
static bool t_map_phys(void *c, uint64_t pa, size_t size, riommu_dma_mem *out)
{
    riommu_hw_trace *t = c;
    riommu_trace_rec r = rec0(RIOMMU_TR_MAP_PHYS);
    r.addr = pa;
    r.len = size;
    push(t, r);
    return t->in.map_phys && t->in.map_phys(t->in.ctx, pa, size, out);
}
static void t_sync_dev(void *c, uint64_t pa, size_t len)
{
    riommu_hw_trace *t = c;
    riommu_trace_rec r = rec0(RIOMMU_TR_SYNC_TO_DEV);
    r.addr = pa;
    r.len = len;
    if (t->has_heap) {
        const uint8_t *p = t->heap.phys_to_virt(t->heap.ctx, pa);
        if (p)
            memcpy(r.data, p, len < 16 ? len : 16);
    }
    push(t, r);
    t->in.sync_to_device(t->in.ctx, pa, len);
}
static void t_sync_cpu(void *c, uint64_t pa, size_t len)
{
    riommu_hw_trace *t = c;
    riommu_trace_rec r = rec0(RIOMMU_TR_SYNC_FOR_CPU);
    r.addr = pa;
    r.len = len;
    push(t, r);
    t->in.sync_for_cpu(t->in.ctx, pa, len);
}
static void t_delay(void *c, uint32_t us)
{
    riommu_hw_trace *t = c;
    riommu_trace_rec r = rec0(RIOMMU_TR_DELAY);
    r.val = us;
    push(t, r);
    t->in.delay_us(t->in.ctx, us);
}
static uint64_t t_now(void *c)
{
    riommu_hw_trace *t = c;
    return t->in.now_us(t->in.ctx);
}
static uint32_t t_irq_pending(void *c)
{
    riommu_hw_trace *t = c;
    uint32_t v = t->in.irq_pending ? t->in.irq_pending(t->in.ctx) : 0;
    riommu_trace_rec r = rec0(RIOMMU_TR_IRQ_PENDING);
    r.val = v;
    push(t, r);
    return v;
}
static void t_irq_ack(void *c, uint32_t v)
{
    riommu_hw_trace *t = c;
    riommu_trace_rec r = rec0(RIOMMU_TR_IRQ_ACK);
    r.val = v;
    push(t, r);
    if (t->in.irq_ack)
        t->in.irq_ack(t->in.ctx, v);
}

riommu_hw_trace *riommu_hw_trace_create(const riommu_hw_ops *inner,
                                        const riommu_drv_heap *heap, bool fold_polls)
{
    riommu_hw_trace *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    t->in = *inner;
    if (heap) {
        t->heap = *heap;
        t->has_heap = true;
    }
    t->fold = fold_polls;
    t->on = true;
    return t;
}

void riommu_hw_trace_destroy(riommu_hw_trace *t)
{
    if (!t)
        return;
    free(t->r);
    free(t);
}

riommu_hw_ops riommu_hw_trace_ops(riommu_hw_trace *t)
{
    riommu_hw_ops o;
    memset(&o, 0, sizeof o);
    o.ctx = t;
    o.read32 = t_r32;
    o.read64 = t_r64;
    o.write32 = t_w32;
    o.write64 = t_w64;
    o.alloc = t_alloc;
    o.free = t_free;
    o.map_phys = t->in.map_phys ? t_map_phys : NULL;
    o.sync_to_device = t_sync_dev;
    o.sync_for_cpu = t_sync_cpu;
    o.delay_us = t_delay;
    o.now_us = t_now;
    o.irq_pending = t->in.irq_pending ? t_irq_pending : NULL;
    o.irq_ack = t->in.irq_ack ? t_irq_ack : NULL;
    return o;
}

const riommu_trace_rec *riommu_hw_trace_records(const riommu_hw_trace *t, size_t *n)
{
    *n = t->n;
    return t->r;
}

void riommu_hw_trace_clear(riommu_hw_trace *t) { t->n = 0; }
void riommu_hw_trace_enable(riommu_hw_trace *t, bool on) { t->on = on; }

void riommu_hw_trace_dump(const riommu_hw_trace *t, FILE *out)
{
    static const char *names[] = {"r32",   "r64",  "w32",      "w64",      "alloc", "free",
                                  "map",   "sync", "sync_cpu", "delay_us", "irq",   "irq_ack"};
    for (size_t i = 0; i < t->n; i++) {
        const riommu_trace_rec *r = &t->r[i];
        const char *reg = riommu_reg_name(r->off);
        switch (r->op) {
        case RIOMMU_TR_READ32:
        case RIOMMU_TR_READ64:
        case RIOMMU_TR_WRITE32:
        case RIOMMU_TR_WRITE64:
            fprintf(out, "%s %s 0x%" PRIx64, names[r->op], reg ? reg : "?", r->val);
            if (r->len > 1)
                fprintf(out, " x%" PRIu64, r->len);
            fputc('\n', out);
            break;
        case RIOMMU_TR_SYNC_TO_DEV:
            fprintf(out, "%s 0x%" PRIx64 " +%" PRIu64 " [0x%" PRIx64 " 0x%" PRIx64 "]\n",
                    names[r->op], r->addr, r->len, r->data[0], r->data[1]);
            break;
        default:
            fprintf(out, "%s 0x%" PRIx64 " len %" PRIu64 " val 0x%" PRIx64 "\n", names[r->op],
                    r->addr, r->len, r->val);
            break;
        }
    }
}
