/*
 * hw_model.c - riommu_hw_ops over the in-process model (see hw_model.h).
 * Allocations are kept in an array sorted by physical address; freed
 * ranges are reused first-fit.
 */
#include "riommu/hw_model.h"

#include <stdlib.h>
#include <string.h>

typedef struct region {
    uint64_t pa;
    size_t size;
    uint8_t *cpu;
    bool fixed; /* map_phys: not from the DMA window */
} region;

typedef struct hole {
    uint64_t pa, size;
} hole;

struct riommu_hwm {
    riommu *m;
    memhost *mem;
    riommu_hwm_config cfg;
    region *r;
    size_t nr, cap;
    hole *holes;
    size_t nholes, hcap;
    uint64_t bump;
    uint32_t pending_irqs;
    riommu_hwm_stats st;
};

void riommu_hwm_config_default(riommu_hwm_config *c)
{
    c->dma_base = 0x80000000ull;
    c->dma_size = 256ull << 20;
    c->cycles_per_us = 1000;
    c->msi_page = 0x7FFFF000ull;
}

riommu_hwm *riommu_hwm_create(riommu *m, memhost *mem, const riommu_hwm_config *cfg)
{
    riommu_hwm *h = calloc(1, sizeof *h);
    if (!h)
        return NULL;
    h->m = m;
    h->mem = mem;
    if (cfg)
        h->cfg = *cfg;
    else
        riommu_hwm_config_default(&h->cfg);
    if (!h->cfg.cycles_per_us)
        h->cfg.cycles_per_us = 1;
    h->bump = h->cfg.dma_base;
    return h;
}

void riommu_hwm_destroy(riommu_hwm *h)
{
    if (!h)
        return;
    for (size_t i = 0; i < h->nr; i++)
        free(h->r[i].cpu);
    free(h->r);
    free(h->holes);
    free(h);
}

/* Region containing pa, or NULL. */
static region *find(riommu_hwm *h, uint64_t pa)
{
    size_t lo = 0, hi = h->nr;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (h->r[mid].pa + h->r[mid].size <= pa)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo < h->nr && h->r[lo].pa <= pa && pa < h->r[lo].pa + h->r[lo].size)
        return &h->r[lo];
    return NULL;
}

static bool insert(riommu_hwm *h, region nr)
{
    if (h->nr == h->cap) {
        size_t nc = h->cap ? h->cap * 2 : 64;
        region *n = realloc(h->r, nc * sizeof *n);
        if (!n)
            return false;
        h->r = n;
        h->cap = nc;
    }
    size_t i = h->nr;
    while (i > 0 && h->r[i - 1].pa > nr.pa) {
        h->r[i] = h->r[i - 1];
        i--;
    }
    h->r[i] = nr;
    h->nr++;
    return true;
}

static bool add_hole(riommu_hwm *h, uint64_t pa, uint64_t size)
{
    if (h->nholes == h->hcap) {
        size_t nc = h->hcap ? h->hcap * 2 : 64;
        hole *n = realloc(h->holes, nc * sizeof *n);
        if (!n)
            return false;
        h->holes = n;
        h->hcap = nc;
    }
    h->holes[h->nholes].pa = pa;
    h->holes[h->nholes].size = size;
    h->nholes++;
    return true;
}

static bool hw_alloc(void *ctx, size_t size, size_t align, riommu_dma_mem *out)
{
    riommu_hwm *h = ctx;
    if (size == 0 || align < 4096 || (align & (align - 1)))
        return false;
    size = (size + 4095) & ~(size_t)4095;
    uint64_t pa = 0;
    bool got = false;
    for (size_t i = 0; i < h->nholes; i++) {
        hole *o = &h->holes[i];
        if (o->size == size && !(o->pa & (align - 1))) {
            pa = o->pa;
            *o = h->holes[--h->nholes];
            got = true;
            break;
        }
    }
    if (!got) {
        pa = (h->bump + align - 1) & ~(uint64_t)(align - 1);
        if (pa + size > h->cfg.dma_base + h->cfg.dma_size)
            return false;
        h->bump = pa + size;
    }
    uint8_t *cpu = calloc(1, size);
    if (!cpu)
        return false;
    region r = {pa, size, cpu, false};
    if (!insert(h, r)) {
        free(cpu);
        return false;
    }
    /* Fresh memory is zero on both sides. */
    static const uint8_t zero[4096];
    for (size_t off = 0; off < size; off += 4096)
        memhost_write(h->mem, pa + off, zero, 4096);
    out->cpu = cpu;
    out->pa = pa;
    out->size = size;
    h->st.allocs++;
    h->st.live_allocs++;
    h->st.live_bytes += size;
    return true;
}

static void hw_free(void *ctx, const riommu_dma_mem *mem)
{
    riommu_hwm *h = ctx;
    region *r = find(h, mem->pa);
    if (!r || r->pa != mem->pa || r->fixed)
        return;
    size_t i = (size_t)(r - h->r);
    uint64_t pa = r->pa, size = r->size;
    free(r->cpu);
    memmove(&h->r[i], &h->r[i + 1], (h->nr - i - 1) * sizeof *h->r);
    h->nr--;
    add_hole(h, pa, size);
    h->st.frees++;
    h->st.live_allocs--;
    h->st.live_bytes -= size;
}

static bool hw_map_phys(void *ctx, uint64_t pa, size_t size, riommu_dma_mem *out)
{
    riommu_hwm *h = ctx;
    region *r = find(h, pa);
    if (r) {
        out->cpu = r->cpu + (pa - r->pa);
        out->pa = pa;
        out->size = size;
        return pa + size <= r->pa + r->size;
    }
    uint8_t *cpu = calloc(1, size);
    if (!cpu)
        return false;
    memhost_read(h->mem, pa, cpu, size);
    region nr = {pa, size, cpu, true};
    if (!insert(h, nr)) {
        free(cpu);
        return false;
    }
    out->cpu = cpu;
    out->pa = pa;
    out->size = size;
    return true;
}

static void hw_sync_to_device(void *ctx, uint64_t pa, size_t len)
{
    riommu_hwm *h = ctx;
    region *r = find(h, pa);
    if (!r || pa + len > r->pa + r->size)
        return;
    memhost_write(h->mem, pa, r->cpu + (pa - r->pa), len);
    h->st.publishes++;
    h->st.publish_bytes += len;
}

static void hw_sync_for_cpu(void *ctx, uint64_t pa, size_t len)
{
    riommu_hwm *h = ctx;
    region *r = find(h, pa);
    if (!r || pa + len > r->pa + r->size)
        return;
    memhost_read(h->mem, pa, r->cpu + (pa - r->pa), len);
    h->st.consumes++;
}

static void *heap_phys_to_virt(void *ctx, uint64_t pa)
{
    riommu_hwm *h = ctx;
    region *r = find(h, pa);
    return r ? r->cpu + (pa - r->pa) : NULL;
}

static uint32_t mr32(void *ctx, uint32_t off)
{
    uint64_t v = 0;
    riommu_mmio_read(((riommu_hwm *)ctx)->m, off, 4, &v);
    return (uint32_t)v;
}
static uint64_t mr64(void *ctx, uint32_t off)
{
    uint64_t v = 0;
    riommu_mmio_read(((riommu_hwm *)ctx)->m, off, 8, &v);
    return v;
}
static void mw32(void *ctx, uint32_t off, uint32_t v)
{
    riommu_mmio_write(((riommu_hwm *)ctx)->m, off, 4, v);
}
static void mw64(void *ctx, uint32_t off, uint64_t v)
{
    riommu_mmio_write(((riommu_hwm *)ctx)->m, off, 8, v);
}

static void hw_delay(void *ctx, uint32_t us)
{
    riommu_hwm *h = ctx;
    riommu_step(h->m, (uint64_t)us * h->cfg.cycles_per_us);
}

static uint64_t hw_now(void *ctx)
{
    riommu_hwm *h = ctx;
    return riommu_now(h->m) / h->cfg.cycles_per_us;
}

static uint32_t hw_irq_pending(void *ctx)
{
    riommu_hwm *h = ctx;
    h->pending_irqs |= memhost_take_msis(h->mem) | memhost_wires(h->mem);
    return h->pending_irqs;
}

static void hw_irq_ack(void *ctx, uint32_t v)
{
    riommu_hwm *h = ctx;
    h->pending_irqs &= ~v;
}

static void *heap_zalloc(void *ctx, size_t n)
{
    (void)ctx;
    return calloc(1, n ? n : 1);
}
static void heap_free(void *ctx, void *p)
{
    (void)ctx;
    free(p);
}

riommu_hw_ops riommu_hwm_ops(riommu_hwm *h)
{
    riommu_hw_ops o;
    memset(&o, 0, sizeof o);
    o.ctx = h;
    o.read32 = mr32;
    o.read64 = mr64;
    o.write32 = mw32;
    o.write64 = mw64;
    o.alloc = hw_alloc;
    o.free = hw_free;
    o.map_phys = hw_map_phys;
    o.sync_to_device = hw_sync_to_device;
    o.sync_for_cpu = hw_sync_for_cpu;
    o.delay_us = hw_delay;
    o.now_us = hw_now;
    o.irq_pending = hw_irq_pending;
    o.irq_ack = hw_irq_ack;
    return o;
}

riommu_drv_heap riommu_hwm_heap(riommu_hwm *h)
{
    riommu_drv_heap o;
    o.ctx = h;
    o.zalloc = heap_zalloc;
    o.free = heap_free;
    o.phys_to_virt = heap_phys_to_virt;
    return o;
}

void riommu_hwm_setup_msi(riommu_hwm *h, unsigned n)
{
    for (unsigned v = 0; v < n && v < 16; v++) {
        riommu_mmio_write(h->m, RIOMMU_REG_MSI_ADDR(v), 8, h->cfg.msi_page + 4ull * v);
        riommu_mmio_write(h->m, RIOMMU_REG_MSI_DATA(v), 4, v);
        riommu_mmio_write(h->m, RIOMMU_REG_MSI_VEC_CTL(v), 4, 0);
    }
}

void riommu_hwm_get_stats(const riommu_hwm *h, riommu_hwm_stats *out) { *out = h->st; }
