/*
 * drv_ddt.c - the device directory as Linux manages it (linux §1.3, §1.7,
 * §1.8): root allocation with the hard-wired-PPN probe, mode probing from
 * 3LVL down with the BUSY handshake, DC lookup that creates missing levels,
 * and the two-phase device-context update with its invalidations.
 */
#include "drv_internal.h"

riommu_drv_err drv_ddt_alloc(riommu_drv *d)
{
    uint64_t ddtp = 0;
    if (!drv_poll(d, RIOMMU_REG_DDTP, 8, RIOMMU_DDTP_BUSY, 0, DRV_POLL_US, DRV_DDTP_TIMEOUT_US,
                  &ddtp))
        return RIOMMU_DRV_EBUSY;
    unsigned mode = (unsigned)(ddtp & RIOMMU_DDTP_MODE);
    if (mode == RIOMMU_DDTP_MODE_OFF || mode == RIOMMU_DDTP_MODE_BARE) {
        /* Probe a hard-wired root: write the mode alone, read the PPN back. */
        drv_w64(d, RIOMMU_REG_DDTP, mode);
        if (!drv_poll(d, RIOMMU_REG_DDTP, 8, RIOMMU_DDTP_BUSY, 0, DRV_POLL_US,
                      DRV_DDTP_TIMEOUT_US, &ddtp))
            return RIOMMU_DRV_EBUSY;
        uint64_t ppn = RIOMMU_FIELD_GET(ddtp, RIOMMU_DDTP_PPN);
        if (ppn) {
            if (!d->hw.map_phys || !d->hw.map_phys(d->hw.ctx, ppn << 12, 4096, &d->ddt_root))
                return RIOMMU_DRV_ENOMEM;
            memset(d->ddt_root.cpu, 0, 4096);
            d->hw.sync_to_device(d->hw.ctx, d->ddt_root.pa, 4096);
            d->ddt_fixed = true;
            return RIOMMU_DRV_OK;
        }
    }
    if (!d->hw.alloc(d->hw.ctx, 4096, 4096, &d->ddt_root))
        return RIOMMU_DRV_ENOMEM;
    d->ddt_root_allocated = true;
    return RIOMMU_DRV_OK;
}

void drv_ddt_free(riommu_drv *d)
{
    drv_page *p = d->ddt_pages;
    while (p) {
        drv_page *n = p->next;
        d->hw.free(d->hw.ctx, &p->mem);
        drv_free(d, p);
        p = n;
    }
    d->ddt_pages = NULL;
    if (d->ddt_root_allocated)
        d->hw.free(d->hw.ctx, &d->ddt_root);
    d->ddt_root_allocated = false;
}

riommu_drv_err drv_ddt_set_mode(riommu_drv *d, unsigned req)
{
    uint64_t ddtp = 0;
    if (!drv_poll(d, RIOMMU_REG_DDTP, 8, RIOMMU_DDTP_BUSY, 0, DRV_POLL_US, DRV_DDTP_TIMEOUT_US,
                  &ddtp))
        return RIOMMU_DRV_EBUSY;
    unsigned cur = (unsigned)(ddtp & RIOMMU_DDTP_MODE);
    if (cur > RIOMMU_DDTP_MODE_BARE && req > RIOMMU_DDTP_MODE_BARE)
        return RIOMMU_DRV_EINVAL; /* xLVL -> xLVL */
    for (;;) {
        uint64_t rq = req;
        if (req > RIOMMU_DDTP_MODE_BARE)
            rq |= (d->ddt_root.pa >> 2) & RIOMMU_DDTP_PPN;
        drv_w64(d, RIOMMU_REG_DDTP, rq);
        if (!drv_poll(d, RIOMMU_REG_DDTP, 8, RIOMMU_DDTP_BUSY, 0, DRV_POLL_US,
                      DRV_DDTP_TIMEOUT_US, &ddtp))
            return RIOMMU_DRV_EBUSY;
        unsigned rb = (unsigned)(ddtp & RIOMMU_DDTP_MODE);
        if (rb == req)
            break;
        if (req <= RIOMMU_DDTP_MODE_BARE && ddtp != rq)
            return RIOMMU_DRV_EINVAL; /* Off and Bare are mandatory */
        if (rb <= RIOMMU_DDTP_MODE_BARE && req > RIOMMU_DDTP_MODE_1LVL) {
            req--;
            continue;
        }
        return RIOMMU_DRV_EINVAL;
    }
    d->ddt_mode = req;
    drv_inval_ddt(d, false, 0);
    drv_inval_vma(d, false, 0, false, 0);
    /* linux §1.3 step 5 / §1.6 sync step 2: the fence wait's outcome is
     * not an error of iodir_set_mode; a timeout (or, in mainline, a CQ
     * error) is reported (driver event) and the mode stays set. */
    (void)drv_sync(d);
    return RIOMMU_DRV_OK;
}

/* DDI split and width limits (linux §1.3 table). */
static bool ddi_split(const riommu_drv *d, uint32_t id, unsigned ddi[3])
{
    bool ext = d->caps & RIOMMU_CAP_MSI_FLAT;
    ddi[0] = ext ? (id & 0x3F) : (id & 0x7F);
    ddi[1] = ext ? ((id >> 6) & 0x1FF) : ((id >> 7) & 0x1FF);
    ddi[2] = ext ? ((id >> 15) & 0x1FF) : ((id >> 16) & 0xFF);
    unsigned bits;
    switch (d->ddt_mode) {
    case RIOMMU_DDTP_MODE_1LVL:
        bits = ext ? 6 : 7;
        break;
    case RIOMMU_DDTP_MODE_2LVL:
        bits = ext ? 15 : 16;
        break;
    case RIOMMU_DDTP_MODE_3LVL:
        bits = 24;
        break;
    default:
        return false;
    }
    return (id >> bits) == 0;
}

uint64_t *drv_get_dc(riommu_drv *d, uint32_t id, uint64_t *pa)
{
    unsigned ddi[3];
    if (!ddi_split(d, id, ddi))
        return NULL;
    unsigned levels = d->ddt_mode - RIOMMU_DDTP_MODE_1LVL + 1;
    riommu_dma_mem tab = d->ddt_root;
    for (int i = (int)levels - 1; i > 0; i--) {
        uint64_t *e = (uint64_t *)tab.cpu + ddi[i];
        if (!(*e & RIOMMU_DDTE_V)) {
            drv_page *pg = drv_zalloc(d, sizeof *pg);
            if (!pg)
                return NULL;
            if (!d->hw.alloc(d->hw.ctx, 4096, 4096, &pg->mem)) {
                drv_free(d, pg);
                return NULL;
            }
            pg->next = d->ddt_pages;
            d->ddt_pages = pg;
            /* Publish the zeroed level before the pointer to it (the
             * ordering RVCK PR #309 asks for, linux §4 item 12). */
            d->hw.sync_to_device(d->hw.ctx, pg->mem.pa, 4096);
            *e = ((pg->mem.pa >> 12) << 10) | RIOMMU_DDTE_V;
            drv_publish(d, e, &tab, 8);
        }
        uint64_t next = RIOMMU_FIELD_GET(*e, RIOMMU_DDTE_PPN) << 12;
        void *cpu = d->heap.phys_to_virt(d->heap.ctx, next);
        if (!cpu)
            return NULL;
        tab.cpu = cpu;
        tab.pa = next;
        tab.size = 4096;
    }
    unsigned dw = drv_dc_dwords(d);
    *pa = tab.pa + (uint64_t)ddi[0] * dw * 8u;
    return (uint64_t *)tab.cpu + (size_t)ddi[0] * dw;
}

/* The 2026 scoped IOTINVAL after an IODIR.INVAL_DDT (linux §1.9). */
static void inval_for_dc(riommu_drv *d, const uint64_t *dc)
{
    uint64_t iohgatp = dc[1], ta = dc[2], fsc = dc[3], tc = dc[0];
    if (RIOMMU_FIELD_GET(iohgatp, RIOMMU_IOHGATP_MODE) != RIOMMU_IOHGATP_MODE_BARE) {
        drv_inval_gvma_scope(d, (uint32_t)RIOMMU_FIELD_GET(iohgatp, RIOMMU_IOHGATP_GSCID));
    } else if (!(tc & RIOMMU_DC_TC_PDTV) &&
               RIOMMU_FIELD_GET(fsc, RIOMMU_FSC_MODE) != RIOMMU_IOSATP_MODE_BARE) {
        drv_inval_vma(d, true, (uint32_t)RIOMMU_FIELD_GET(ta, RIOMMU_DC_TA_PSCID), false, 0);
    } else {
        drv_inval_vma(d, false, 0, false, 0);
    }
}

riommu_drv_err drv_iodir_update(riommu_drv_dev *dev, uint64_t fsc, uint64_t ta)
{
    riommu_drv *d = dev->drv;
    riommu_dma_mem dcmem;
    unsigned taken = 0;
    /* Phase 1: take valid contexts offline. */
    for (unsigned i = 0; i < dev->n; i++) {
        uint64_t pa;
        uint64_t *dc = drv_get_dc(d, dev->ids[i], &pa);
        if (!dc)
            return RIOMMU_DRV_ENODEV;
        if (!(dc[0] & RIOMMU_DC_TC_V))
            continue;
        dcmem.cpu = dc;
        dcmem.pa = pa;
        dcmem.size = 8u * drv_dc_dwords(d);
        dc[0] &= ~RIOMMU_DC_TC_V;
        drv_publish(d, dc, &dcmem, 8);
        drv_inval_ddt(d, true, dev->ids[i]);
        if (d->cfg.policy.iotinval_after_ddt_update)
            inval_for_dc(d, dc);
        taken++;
    }
    if (taken)
        drv_sync(d);
    /* Phase 2: write the new context, valid bit last. */
    for (unsigned i = 0; i < dev->n; i++) {
        uint64_t pa;
        uint64_t *dc = drv_get_dc(d, dev->ids[i], &pa);
        if (!dc)
            return RIOMMU_DRV_ENODEV;
        dcmem.cpu = dc;
        dcmem.pa = pa;
        dcmem.size = 8u * drv_dc_dwords(d);
        uint64_t tc = dc[0] | (ta & RIOMMU_DC_TC_V);
        dc[3] = fsc;
        dc[2] = ta & ~(uint64_t)RIOMMU_DC_TC_V;
        drv_publish(d, &dc[1], &dcmem, 24); /* iohgatp, ta, fsc; then the barrier */
        dc[0] = tc;
        drv_publish(d, dc, &dcmem, 8);
        drv_inval_ddt(d, true, dev->ids[i]);
        if (d->cfg.policy.iotinval_after_ddt_update)
            inval_for_dc(d, dc);
    }
    return drv_sync(d);
}
