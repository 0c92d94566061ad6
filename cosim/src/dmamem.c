/*
 * dmamem.c - CPU-side DMA memory for shims (see dmamem.h).
 */
#include "dmamem.h"

#include <stdlib.h>
#include <string.h>

typedef struct region {
    uint64_t pa;
    size_t size;
    uint8_t *cpu;
    bool fixed;
} region;

typedef struct hole {
    uint64_t pa, size;
} hole;

struct dmamem {
    uint64_t base, limit, bump;
    region *r;
    size_t nr, cap;
    hole *holes;
    size_t nh, hcap;
};

dmamem *dmamem_create(uint64_t base, uint64_t size)
{
    dmamem *d = calloc(1, sizeof *d);
    if (!d)
        return NULL;
    d->base = d->bump = base;
    d->limit = base + size;
    return d;
}

void dmamem_destroy(dmamem *d)
{
    if (!d)
        return;
    for (size_t i = 0; i < d->nr; i++)
        free(d->r[i].cpu);
    free(d->r);
    free(d->holes);
    free(d);
}

static size_t lower_bound(const dmamem *d, uint64_t pa)
{
    size_t lo = 0, hi = d->nr;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (d->r[mid].pa + d->r[mid].size <= pa)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static region *find(dmamem *d, uint64_t pa)
{
    size_t i = lower_bound(d, pa);
    if (i < d->nr && d->r[i].pa <= pa && pa < d->r[i].pa + d->r[i].size)
        return &d->r[i];
    return NULL;
}

static bool insert(dmamem *d, region nr)
{
    if (d->nr == d->cap) {
        size_t nc = d->cap ? d->cap * 2 : 64;
        region *n = realloc(d->r, nc * sizeof *n);
        if (!n)
            return false;
        d->r = n;
        d->cap = nc;
    }
    size_t i = lower_bound(d, nr.pa);
    memmove(&d->r[i + 1], &d->r[i], (d->nr - i) * sizeof *d->r);
    d->r[i] = nr;
    d->nr++;
    return true;
}

bool dmamem_alloc(dmamem *d, size_t size, size_t align, riommu_dma_mem *out)
{
    if (size == 0 || align < 4096 || (align & (align - 1)))
        return false;
    size = (size + 4095) & ~(size_t)4095;
    uint64_t pa = 0;
    bool reuse = false;
    size_t hi = 0;
    for (size_t i = 0; i < d->nh; i++)
        if (d->holes[i].size == size && !(d->holes[i].pa & (align - 1))) {
            pa = d->holes[i].pa;
            hi = i;
            reuse = true;
            break;
        }
    if (!reuse) {
        pa = (d->bump + align - 1) & ~(uint64_t)(align - 1);
        if (pa < d->bump || pa + size > d->limit)
            return false;
    }
    uint8_t *cpu = calloc(1, size);
    if (!cpu)
        return false;
    region r = {pa, size, cpu, false};
    if (!insert(d, r)) {
        free(cpu);
        return false;
    }
    if (reuse)
        d->holes[hi] = d->holes[--d->nh];
    else
        d->bump = pa + size;
    out->cpu = cpu;
    out->pa = pa;
    out->size = size;
    return true;
}

size_t dmamem_free(dmamem *d, uint64_t pa)
{
    region *r = find(d, pa);
    if (!r || r->pa != pa || r->fixed)
        return 0;
    size_t i = (size_t)(r - d->r), size = r->size;
    free(r->cpu);
    memmove(&d->r[i], &d->r[i + 1], (d->nr - i - 1) * sizeof *d->r);
    d->nr--;
    if (d->nh == d->hcap) {
        size_t nc = d->hcap ? d->hcap * 2 : 64;
        hole *n = realloc(d->holes, nc * sizeof *n);
        if (!n)
            return size; /* the range is simply not reused */
        d->holes = n;
        d->hcap = nc;
    }
    d->holes[d->nh].pa = pa;
    d->holes[d->nh].size = size;
    d->nh++;
    return size;
}

bool dmamem_map_fixed(dmamem *d, uint64_t pa, size_t size, riommu_dma_mem *out, bool *fresh)
{
    region *r = find(d, pa);
    *fresh = false;
    if (r) {
        if (pa + size > r->pa + r->size)
            return false;
        out->cpu = r->cpu + (pa - r->pa);
        out->pa = pa;
        out->size = size;
        return true;
    }
    if (size == 0)
        return false;
    uint8_t *cpu = calloc(1, size);
    if (!cpu)
        return false;
    region nr = {pa, size, cpu, true};
    if (!insert(d, nr)) {
        free(cpu);
        return false;
    }
    *fresh = true;
    out->cpu = cpu;
    out->pa = pa;
    out->size = size;
    return true;
}

uint8_t *dmamem_cpu(dmamem *d, uint64_t pa, size_t len)
{
    region *r = find(d, pa);
    if (!r || len > r->size - (pa - r->pa))
        return NULL;
    return r->cpu + (pa - r->pa);
}

size_t dmamem_count(const dmamem *d) { return d->nr; }

void dmamem_region(const dmamem *d, size_t i, uint64_t *pa, size_t *size, uint8_t **cpu)
{
    *pa = d->r[i].pa;
    *size = d->r[i].size;
    *cpu = d->r[i].cpu;
}
