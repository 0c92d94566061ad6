/*
 * model_backend.c - libriommu as a co-simulation backend (see
 * model_backend.h). The model's host ops go to a memhost and are tapped to
 * log IOMMU-originated writes as events.
 */
#include "riommu/model_backend.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "riommu/memhost.h"

typedef struct mb {
    riommu *m;
    memhost *mem;
    riommu_host_ops inner;
    riommu_event *ev;
    size_t nev, cap;
    bool ev_overflow;
} mb;

static void log_event(mb *b, riommu_ev_kind k, uint64_t addr, const void *data, size_t len)
{
    if (b->nev == b->cap) {
        size_t nc = b->cap ? b->cap * 2 : 64;
        if (nc > (1u << 20)) { /* a runaway stream: stop logging, say so */
            b->ev_overflow = true;
            return;
        }
        riommu_event *n = realloc(b->ev, nc * sizeof *n);
        if (!n) {
            b->ev_overflow = true;
            return;
        }
        b->ev = n;
        b->cap = nc;
    }
    riommu_event *e = &b->ev[b->nev++];
    memset(e, 0, sizeof *e);
    e->kind = k;
    e->addr = addr;
    e->len = (uint32_t)(len > sizeof e->data ? sizeof e->data : len);
    memcpy(e->data, data, e->len);
}

static riommu_mem_status h_read(void *ctx, uint64_t pa, void *buf, size_t len,
                                riommu_access_kind k)
{
    mb *b = ctx;
    return b->inner.mem_read(b->inner.ctx, pa, buf, len, k);
}

/* Reads are not tapped: the memhost's page pointers serve as they are. */
static const void *h_page(void *ctx, uint64_t pa, riommu_access_kind k)
{
    mb *b = ctx;
    return b->inner.mem_page ? b->inner.mem_page(b->inner.ctx, pa, k) : NULL;
}

static riommu_mem_status h_write(void *ctx, uint64_t pa, const void *buf, size_t len,
                                 riommu_access_kind k)
{
    mb *b = ctx;
    riommu_mem_status s = b->inner.mem_write(b->inner.ctx, pa, buf, len, k);
    if (s != RIOMMU_MEM_OK)
        return s;
    switch (k) {
    case RIOMMU_ACC_FQ:
        log_event(b, RIOMMU_EV_FAULT_RECORD, pa, buf, len);
        break;
    case RIOMMU_ACC_PQ:
        log_event(b, RIOMMU_EV_PQ_RECORD, pa, buf, len);
        break;
    case RIOMMU_ACC_FENCE_DATA:
        log_event(b, RIOMMU_EV_FENCE_DATA, pa, buf, len);
        break;
    case RIOMMU_ACC_AD_UPDATE:
        log_event(b, RIOMMU_EV_AD_UPDATE, pa, buf, len);
        break;
    case RIOMMU_ACC_IOMMU_MSI:
        log_event(b, RIOMMU_EV_MSI, pa, buf, len);
        break;
    default:
        break;
    }
    return s;
}

static void h_wire(void *ctx, unsigned vector, bool level)
{
    mb *b = ctx;
    uint8_t l = level;
    log_event(b, RIOMMU_EV_WIRE, vector, &l, 1);
    if (b->inner.wire)
        b->inner.wire(b->inner.ctx, vector, level);
}

static riommu_mem_status h_msi(void *ctx, uint64_t addr, uint32_t data)
{
    mb *b = ctx;
    uint8_t d[4] = {(uint8_t)data, (uint8_t)(data >> 8), (uint8_t)(data >> 16),
                    (uint8_t)(data >> 24)};
    riommu_mem_status s = b->inner.msi ? b->inner.msi(b->inner.ctx, addr, data)
                                       : b->inner.mem_write(b->inner.ctx, addr, d, 4,
                                                            RIOMMU_ACC_IOMMU_MSI);
    if (s == RIOMMU_MEM_OK)
        log_event(b, RIOMMU_EV_MSI, addr, d, 4);
    return s;
}

static void b_caps(void *ctx, riommu_backend_caps *c)
{
    (void)ctx;
    memset(c, 0, sizeof *c);
    c->dma = c->dma_exec = c->process_id = c->priv = c->translated = true;
    c->reports_pa = c->reports_range = c->reports_cause = c->events = c->cycles = true;
    c->reports_latency = true;
}

static int b_mmio_read(void *ctx, uint32_t off, unsigned size, uint64_t *val)
{
    mb *b = ctx;
    return riommu_mmio_read(b->m, off, size, val) == RIOMMU_MMIO_OK ? 0 : -1;
}

static int b_mmio_write(void *ctx, uint32_t off, unsigned size, uint64_t val)
{
    mb *b = ctx;
    return riommu_mmio_write(b->m, off, size, val) == RIOMMU_MMIO_OK ? 0 : -1;
}

static int b_mem_write(void *ctx, uint64_t pa, const void *buf, size_t len)
{
    mb *b = ctx;
    return memhost_write(b->mem, pa, buf, len) ? 0 : -1;
}

static int b_mem_read(void *ctx, uint64_t pa, void *buf, size_t len)
{
    mb *b = ctx;
    memhost_read(b->mem, pa, buf, len);
    return 0;
}

static int b_dma(void *ctx, const riommu_request *req, void *buf, riommu_response *rsp)
{
    mb *b = ctx;
    /* A malformed request is an answer (BAD_REQUEST, compared like any
     * status), not a failure of the backend. */
    riommu_dma(b->m, req, buf, rsp);
    return 0;
}

static uint64_t b_settle(void *ctx)
{
    mb *b = ctx;
    return riommu_settle(b->m);
}

static size_t b_events(void *ctx, riommu_event *out, size_t max)
{
    mb *b = ctx;
    size_t n = b->nev < max ? b->nev : max;
    if (n == 0)
        return 0;
    memcpy(out, b->ev, n * sizeof *out);
    memmove(b->ev, b->ev + n, (b->nev - n) * sizeof *b->ev);
    b->nev -= n;
    return n;
}

static void b_destroy(void *ctx)
{
    mb *b = ctx;
    if (!b)
        return;
    riommu_destroy(b->m);
    memhost_destroy(b->mem);
    free(b->ev);
    free(b);
}

int riommu_model_backend_create(const riommu_config *cfg, const char *name,
                                riommu_backend_ops *out, char *err, size_t errlen)
{
    mb *b = calloc(1, sizeof *b);
    if (!b) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    b->mem = memhost_create(0);
    if (!b->mem) {
        free(b);
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    b->inner = memhost_ops(b->mem);
    riommu_host_ops tap = {b, h_read, h_write, NULL, h_wire, h_msi, h_page,
                           b->inner.flags}; /* h_page hands out memhost's pointers */
    b->m = riommu_create(cfg, &tap, err, errlen);
    if (!b->m) {
        memhost_destroy(b->mem);
        free(b);
        return -1;
    }
    memset(out, 0, sizeof *out);
    out->name = name ? name : "model";
    out->ctx = b;
    out->caps = b_caps;
    out->mmio_read = b_mmio_read;
    out->mmio_write = b_mmio_write;
    out->mem_write = b_mem_write;
    out->mem_read = b_mem_read;
    out->dma = b_dma;
    out->settle = b_settle;
    out->events = b_events;
    out->destroy = b_destroy;
    return 0;
}

riommu *riommu_model_backend_model(const riommu_backend_ops *ops)
{
    if (!ops || ops->destroy != b_destroy)
        return NULL;
    return ((mb *)ops->ctx)->m;
}

memhost *riommu_model_backend_memhost(const riommu_backend_ops *ops)
{
    if (!ops || ops->destroy != b_destroy)
        return NULL;
    return ((mb *)ops->ctx)->mem;
}
