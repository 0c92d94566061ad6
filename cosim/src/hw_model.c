/*
 * hw_model.c - riommu_hw_ops over the in-process model (see hw_model.h).
 * CPU-side buffers come from dmamem.
 */
#include "riommu/hw_model.h"

#include "dmamem.h"

#include <stdlib.h>
#include <string.h>

struct riommu_hwm {
    riommu *m;
    memhost *mem;
    riommu_hwm_config cfg;
    dmamem *dm;
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
    h->dm = dmamem_create(h->cfg.dma_base, h->cfg.dma_size);
    if (!h->dm) {
        free(h);
        return NULL;
    }
    return h;
}

void riommu_hwm_destroy(riommu_hwm *h)
{
    if (!h)
        return;
    dmamem_destroy(h->dm);
    free(h);
}

static bool hw_alloc(void *ctx, size_t size, size_t align, riommu_dma_mem *out)
{
    riommu_hwm *h = ctx;
    if (!dmamem_alloc(h->dm, size, align, out))
        return false;
    /* Fresh memory is zero on both sides. */
    static const uint8_t zero[4096];
    for (size_t off = 0; off < out->size; off += 4096)
        memhost_write(h->mem, out->pa + off, zero, 4096);
    h->st.allocs++;
    h->st.live_allocs++;
    h->st.live_bytes += out->size;
    return true;
}

static void hw_free(void *ctx, const riommu_dma_mem *mem)
{
    riommu_hwm *h = ctx;
    size_t size = dmamem_free(h->dm, mem->pa);
    if (!size)
        return;
    h->st.frees++;
    h->st.live_allocs--;
    h->st.live_bytes -= size;
}

static bool hw_map_phys(void *ctx, uint64_t pa, size_t size, riommu_dma_mem *out)
{
    riommu_hwm *h = ctx;
    bool fresh;
    if (!dmamem_map_fixed(h->dm, pa, size, out, &fresh))
        return false;
    if (fresh)
        memhost_read(h->mem, pa, out->cpu, size);
    return true;
}

static void hw_sync_to_device(void *ctx, uint64_t pa, size_t len)
{
    riommu_hwm *h = ctx;
    const uint8_t *cpu = dmamem_cpu(h->dm, pa, len);
    if (!cpu)
        return;
    memhost_write(h->mem, pa, cpu, len);
    h->st.publishes++;
    h->st.publish_bytes += len;
}

static void hw_sync_for_cpu(void *ctx, uint64_t pa, size_t len)
{
    riommu_hwm *h = ctx;
    uint8_t *cpu = dmamem_cpu(h->dm, pa, len);
    if (!cpu)
        return;
    memhost_read(h->mem, pa, cpu, len);
    h->st.consumes++;
}

uint8_t *riommu_hwm_cpu(riommu_hwm *h, uint64_t pa, size_t len)
{
    return dmamem_cpu(h->dm, pa, len);
}

static void *heap_phys_to_virt(void *ctx, uint64_t pa)
{
    riommu_hwm *h = ctx;
    return dmamem_cpu(h->dm, pa, 1);
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
