/*
 * memhost.c - sparse physical memory host for libriommu (see memhost.h).
 * Pages live in an open-addressing hash table keyed by page number. A
 * small direct-mapped cache of recent page lookups sits in front of it:
 * a page's data never moves or goes away before memhost_destroy, so a
 * cached pointer stays right (only present pages are cached).
 */
#include "riommu/memhost.h"

#include <stdlib.h>
#include <string.h>

typedef struct page {
    uint64_t pn; /* page number + 1; 0 = empty slot */
    uint8_t *data;
} page;

#define RECENT 64 /* direct-mapped page-lookup cache, by page number */

struct memhost {
    uint64_t recent_pn[RECENT]; /* page number + 1; 0 = empty */
    uint8_t *recent[RECENT];
    page *tab;
    size_t cap, used, max_pages;
    uint16_t wires;
    uint64_t msis;
    uint32_t msi_bits;
};

memhost *memhost_create(size_t max_pages)
{
    memhost *h = calloc(1, sizeof *h);
    if (!h)
        return NULL;
    h->cap = 1024;
    h->tab = calloc(h->cap, sizeof *h->tab);
    if (!h->tab) {
        free(h);
        return NULL;
    }
    h->max_pages = max_pages ? max_pages : 65536;
    return h;
}

void memhost_destroy(memhost *h)
{
    if (!h)
        return;
    for (size_t i = 0; i < h->cap; i++)
        free(h->tab[i].data);
    free(h->tab);
    free(h);
}

static size_t slot_of(const memhost *h, uint64_t pn)
{
    uint64_t x = pn * 0x9E3779B97F4A7C15ull;
    return (size_t)(x >> 17) & (h->cap - 1);
}

static uint8_t *find_slow(const memhost *h, uint64_t pn)
{
    for (size_t i = slot_of(h, pn);; i = (i + 1) & (h->cap - 1)) {
        if (h->tab[i].pn == 0)
            return NULL;
        if (h->tab[i].pn == pn + 1)
            return h->tab[i].data;
    }
}

static inline uint8_t *find(memhost *h, uint64_t pn)
{
    unsigned r = (unsigned)(pn & (RECENT - 1));
    if (h->recent_pn[r] == pn + 1)
        return h->recent[r];
    uint8_t *d = find_slow(h, pn);
    if (d) {
        h->recent_pn[r] = pn + 1;
        h->recent[r] = d;
    }
    return d;
}

static bool grow(memhost *h)
{
    size_t ncap = h->cap * 2;
    page *nt = calloc(ncap, sizeof *nt);
    if (!nt)
        return false;
    page *old = h->tab;
    size_t ocap = h->cap;
    h->tab = nt;
    h->cap = ncap;
    for (size_t i = 0; i < ocap; i++) {
        if (!old[i].pn)
            continue;
        size_t j = slot_of(h, old[i].pn - 1);
        while (nt[j].pn)
            j = (j + 1) & (ncap - 1);
        nt[j] = old[i];
    }
    free(old);
    return true;
}

static uint8_t *get(memhost *h, uint64_t pn)
{
    uint8_t *d = find(h, pn);
    if (d)
        return d;
    if (h->used >= h->max_pages)
        return NULL;
    if ((h->used + 1) * 2 > h->cap && !grow(h))
        return NULL;
    d = calloc(1, 4096);
    if (!d)
        return NULL;
    size_t i = slot_of(h, pn);
    while (h->tab[i].pn)
        i = (i + 1) & (h->cap - 1);
    h->tab[i].pn = pn + 1;
    h->tab[i].data = d;
    h->used++;
    return d;
}

bool memhost_write(memhost *h, uint64_t pa, const void *buf, size_t len)
{
    const uint8_t *b = buf;
    while (len) {
        size_t off = (size_t)(pa & 4095), n = 4096 - off;
        if (n > len)
            n = len;
        uint8_t *d = get(h, pa >> 12);
        if (!d)
            return false;
        memcpy(d + off, b, n);
        pa += n;
        b += n;
        len -= n;
    }
    return true;
}

void memhost_read(memhost *h, uint64_t pa, void *buf, size_t len)
{
    uint8_t *b = buf;
    if (len == 8 && (pa & 4095) <= 4088) { /* a PTE, DDTE or command word */
        const uint8_t *d = find(h, pa >> 12);
        if (d)
            memcpy(b, d + (pa & 4095), 8);
        else
            memset(b, 0, 8);
        return;
    }
    while (len) {
        size_t off = (size_t)(pa & 4095), n = 4096 - off;
        if (n > len)
            n = len;
        const uint8_t *d = find(h, pa >> 12);
        if (d)
            memcpy(b, d + off, n);
        else
            memset(b, 0, n);
        pa += n;
        b += n;
        len -= n;
    }
}

bool memhost_w64(memhost *h, uint64_t pa, uint64_t v)
{
    uint8_t b[8];
    for (int i = 0; i < 8; i++)
        b[i] = (uint8_t)(v >> (8 * i));
    return memhost_write(h, pa, b, 8);
}

uint64_t memhost_r64(memhost *h, uint64_t pa)
{
    uint8_t b[8];
    memhost_read(h, pa, b, 8);
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v |= (uint64_t)b[i] << (8 * i);
    return v;
}

size_t memhost_pages(const memhost *h) { return h->used; }

uint16_t memhost_wires(const memhost *h) { return h->wires; }
uint64_t memhost_msi_count(const memhost *h) { return h->msis; }

uint32_t memhost_take_msis(memhost *h)
{
    uint32_t b = h->msi_bits;
    h->msi_bits = 0;
    return b;
}

static riommu_mem_status op_read(void *ctx, uint64_t pa, void *buf, size_t len,
                                 riommu_access_kind kind)
{
    (void)kind;
    memhost_read(ctx, pa, buf, len);
    return RIOMMU_MEM_OK;
}

static riommu_mem_status op_write(void *ctx, uint64_t pa, const void *buf, size_t len,
                                  riommu_access_kind kind)
{
    (void)kind;
    return memhost_write(ctx, pa, buf, len) ? RIOMMU_MEM_OK : RIOMMU_MEM_ACCESS_FAULT;
}

/* A pointer into the page: reads straight from it are what op_read
 * copies, for as long as the memory lives (RIOMMU_HOST_STABLE_PAGES). A
 * page never written reads as zeros through op_read instead. */
static const void *op_page(void *ctx, uint64_t pa, riommu_access_kind kind)
{
    (void)kind;
    const uint8_t *d = find(ctx, pa >> 12);
    return d ? d + (pa & 4095) : NULL;
}

static void op_wire(void *ctx, unsigned vector, bool level)
{
    memhost *h = ctx;
    if (level)
        h->wires |= (uint16_t)(1u << vector);
    else
        h->wires &= (uint16_t)~(1u << vector);
}

static riommu_mem_status op_msi(void *ctx, uint64_t addr, uint32_t data)
{
    memhost *h = ctx;
    h->msis++;
    if (data < 32)
        h->msi_bits |= 1u << data;
    uint8_t b[4] = {(uint8_t)data, (uint8_t)(data >> 8), (uint8_t)(data >> 16),
                    (uint8_t)(data >> 24)};
    return memhost_write(h, addr, b, 4) ? RIOMMU_MEM_OK : RIOMMU_MEM_ACCESS_FAULT;
}

riommu_host_ops memhost_ops(memhost *h)
{
    riommu_host_ops o;
    memset(&o, 0, sizeof o);
    o.ctx = h;
    o.mem_read = op_read;
    o.mem_write = op_write;
    o.wire = op_wire;
    o.msi = op_msi;
    o.mem_page = op_page;
    o.flags = RIOMMU_HOST_STABLE_PAGES; /* a page's data never moves (find) */
    return o;
}
