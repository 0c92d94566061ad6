/*
 * drv_domain.c - devices, domains and page tables as Linux manages them
 * (linux §1.7-1.11, §5): probe/release, identity/blocked/paging domains,
 * attach with bonds, map with the core's page-size splitting, unmap with a
 * gather, iotlb sync (per page below 2 MiB, else the whole PSCID), flush,
 * iova_to_phys.
 */
#include "drv_internal.h"

#define SZ_4K (1ull << 12)
#define SZ_64K (1ull << 16)
#define SZ_2M (1ull << 21)

/* ---- PSCIDs: [1, 2^20-1], smallest free first (Linux ida) --------------- */

static uint32_t pscid_alloc(riommu_drv *d)
{
    for (uint32_t i = 1; i < (1u << 20); i++)
        if (!(d->pscid_map[i >> 3] & (1u << (i & 7)))) {
            d->pscid_map[i >> 3] |= (uint8_t)(1u << (i & 7));
            return i;
        }
    return 0;
}

static void pscid_free(riommu_drv *d, uint32_t id)
{
    if (id)
        d->pscid_map[id >> 3] &= (uint8_t) ~(1u << (id & 7));
}

/* ---- devices (linux §1.7) ----------------------------------------------------- */

riommu_drv_err riommu_drv_probe(riommu_drv *d, const uint32_t *ids, unsigned n,
                                riommu_drv_dev **out)
{
    *out = NULL;
    if (!n || d->ddt_mode <= RIOMMU_DDTP_MODE_BARE)
        return RIOMMU_DRV_ENODEV;
    riommu_drv_dev *dev = drv_zalloc(d, sizeof *dev);
    uint32_t *copy = drv_zalloc(d, n * sizeof *copy);
    if (!dev || !copy) {
        drv_free(d, dev);
        drv_free(d, copy);
        return RIOMMU_DRV_ENOMEM;
    }
    memcpy(copy, ids, n * sizeof *copy);
    dev->drv = d;
    dev->ids = copy;
    dev->n = n;
    for (unsigned i = 0; i < n; i++) {
        uint64_t pa;
        uint64_t *dc = drv_get_dc(d, ids[i], &pa);
        if (!dc) {
            drv_free(d, copy);
            drv_free(d, dev);
            return RIOMMU_DRV_ENODEV;
        }
        if (dc[0] & RIOMMU_DC_TC_V)
            drv_event(d, RIOMMU_DRV_EV_ALREADY_ATTACHED, ids[i]);
        /* An invalid DC; no command: invalid contexts are never cached. */
        dc[0] = (d->cfg.policy.sade && (d->caps & RIOMMU_CAP_AMO_HWAD)) ? RIOMMU_DC_TC_SADE : 0;
        riommu_dma_mem m = {dc, pa, 8};
        drv_publish(d, dc, &m, 8);
    }
    *out = dev;
    return RIOMMU_DRV_OK;
}

/* ---- domains (linux §1.10) ------------------------------------------------------- */

riommu_drv_domain *riommu_drv_identity(riommu_drv *d) { return &d->identity; }
riommu_drv_domain *riommu_drv_blocked(riommu_drv *d) { return &d->blocked; }
riommu_drv_domain_kind riommu_drv_domain_get_kind(const riommu_drv_domain *dom)
{
    return dom->kind;
}
unsigned riommu_drv_domain_va_bits(const riommu_drv_domain *dom) { return dom->va_bits; }
uint32_t riommu_drv_domain_pscid(const riommu_drv_domain *dom) { return dom->pscid; }
uint64_t riommu_drv_domain_pgsizes(const riommu_drv_domain *dom) { return dom->pgsizes; }

riommu_drv_err riommu_drv_domain_alloc(riommu_drv *d, riommu_drv_domain **out)
{
    *out = NULL;
    unsigned mode;
    if (d->caps & RIOMMU_CAP_SV57)
        mode = RIOMMU_IOSATP_MODE_SV57;
    else if (d->caps & RIOMMU_CAP_SV48)
        mode = RIOMMU_IOSATP_MODE_SV48;
    else if (d->caps & RIOMMU_CAP_SV39)
        mode = RIOMMU_IOSATP_MODE_SV39;
    else
        return RIOMMU_DRV_ENODEV;
    riommu_drv_domain *dom = drv_zalloc(d, sizeof *dom);
    if (!dom)
        return RIOMMU_DRV_ENOMEM;
    if (!d->hw.alloc(d->hw.ctx, 4096, 4096, &dom->root)) {
        drv_free(d, dom);
        return RIOMMU_DRV_ENOMEM;
    }
    dom->pscid = pscid_alloc(d);
    if (!dom->pscid) {
        d->hw.free(d->hw.ctx, &dom->root);
        drv_free(d, dom);
        return RIOMMU_DRV_ENOMEM;
    }
    d->hw.sync_to_device(d->hw.ctx, dom->root.pa, 4096);
    dom->drv = d;
    dom->kind = RIOMMU_DRV_DOM_PAGING;
    dom->mode = mode;
    dom->levels = mode - 5;      /* Sv39 3, Sv48 4, Sv57 5 */
    dom->va_bits = 12 + 9 * dom->levels;
    uint64_t va_mask = dom->va_bits >= 64 ? ~0ull : (1ull << dom->va_bits) - 1;
    dom->pgsizes = va_mask & (SZ_4K | SZ_2M | (1ull << 30) | (1ull << 39));
    if (d->cfg.policy.napot_64k)
        dom->pgsizes |= SZ_64K;
    *out = dom;
    return RIOMMU_DRV_OK;
}

static void free_tables(riommu_drv *d, uint64_t table_pa, int level)
{
    uint64_t *t = d->heap.phys_to_virt(d->heap.ctx, table_pa);
    if (!t)
        return;
    if (level > 0)
        for (unsigned i = 0; i < 512; i++)
            if ((t[i] & RIOMMU_PTE_V) && !(t[i] & (RIOMMU_PTE_R | RIOMMU_PTE_X)))
                free_tables(d, RIOMMU_FIELD_GET(t[i], RIOMMU_PTE_PPN) << 12, level - 1);
    riommu_dma_mem m = {t, table_pa, 4096};
    d->hw.free(d->hw.ctx, &m);
}

void riommu_drv_domain_free(riommu_drv_domain *dom)
{
    if (!dom || dom->kind != RIOMMU_DRV_DOM_PAGING)
        return;
    riommu_drv *d = dom->drv;
    while (dom->bonds) {
        drv_bond *b = dom->bonds;
        dom->bonds = b->next;
        drv_free(d, b);
    }
    pscid_free(d, dom->pscid);
    free_tables(d, dom->root.pa, (int)dom->levels - 1);
    drv_free(d, dom);
}

/* ---- attach (linux §1.8) ----------------------------------------------------------- */

static bool mode_offered(const riommu_drv *d, unsigned mode)
{
    switch (mode) {
    case RIOMMU_IOSATP_MODE_SV39: return d->caps & RIOMMU_CAP_SV39;
    case RIOMMU_IOSATP_MODE_SV48: return d->caps & RIOMMU_CAP_SV48;
    case RIOMMU_IOSATP_MODE_SV57: return d->caps & RIOMMU_CAP_SV57;
    default: return false;
    }
}

static riommu_drv_err bond_add(riommu_drv_domain *dom, riommu_drv_dev *dev)
{
    for (drv_bond *b = dom->bonds; b; b = b->next)
        if (b->dev == dev)
            return RIOMMU_DRV_OK;
    drv_bond *b = drv_zalloc(dom->drv, sizeof *b);
    if (!b)
        return RIOMMU_DRV_ENOMEM;
    b->dev = dev;
    b->next = dom->bonds;
    dom->bonds = b;
    return RIOMMU_DRV_OK;
}

/* Remove dev's bond; with the last bond of the domain on this IOMMU gone,
 * invalidate the domain's PSCID and wait. */
static void bond_remove(riommu_drv_domain *dom, riommu_drv_dev *dev)
{
    drv_bond **pp = &dom->bonds;
    while (*pp && (*pp)->dev != dev)
        pp = &(*pp)->next;
    if (!*pp)
        return;
    drv_bond *b = *pp;
    *pp = b->next;
    drv_free(dom->drv, b);
    if (!dom->bonds) {
        drv_inval_vma(dom->drv, true, dom->pscid, false, 0);
        drv_sync(dom->drv);
    }
}

riommu_drv_err riommu_drv_attach(riommu_drv_dev *dev, riommu_drv_domain *dom)
{
    riommu_drv *d = dev->drv;
    riommu_drv_domain *old = dev->domain;
    uint64_t fsc = 0, ta = 0;
    riommu_drv_err e;
    if (dom->kind == RIOMMU_DRV_DOM_PAGING) {
        if (dom->drv != d || !mode_offered(d, dom->mode))
            return RIOMMU_DRV_ENODEV;
        e = bond_add(dom, dev);
        if (e)
            return e;
        fsc = RIOMMU_FIELD_PREP(RIOMMU_FSC_MODE, dom->mode) | (dom->root.pa >> 12);
        ta = RIOMMU_FIELD_PREP(RIOMMU_DC_TA_PSCID, dom->pscid) | RIOMMU_DC_TC_V;
    } else if (dom->kind == RIOMMU_DRV_DOM_IDENTITY) {
        ta = RIOMMU_DC_TC_V;
    }
    e = drv_iodir_update(dev, fsc, ta);
    if (old && old != dom && old->kind == RIOMMU_DRV_DOM_PAGING)
        bond_remove(old, dev);
    dev->domain = dom;
    return e;
}

void riommu_drv_release(riommu_drv_dev *dev)
{
    if (!dev)
        return;
    riommu_drv *d = dev->drv;
    riommu_drv_attach(dev, &d->blocked);
    drv_free(d, dev->ids);
    drv_free(d, dev);
}

/* ---- page tables (linux §1.10) ----------------------------------------------------- */

static unsigned pte_index(uint64_t iova, unsigned level)
{
    return (unsigned)((iova >> (12 + 9 * level)) & 0x1FF);
}

static bool pte_leaf(uint64_t pte) { return (pte & (RIOMMU_PTE_R | RIOMMU_PTE_X)) != 0; }

static uint64_t *table_of(riommu_drv *d, uint64_t pte)
{
    return d->heap.phys_to_virt(d->heap.ctx, RIOMMU_FIELD_GET(pte, RIOMMU_PTE_PPN) << 12);
}

/* Leaf bits for the prot flags (linux §1.10 table, or the generic PT). */
static uint64_t prot_bits(const riommu_drv *d, unsigned prot)
{
    uint64_t b = RIOMMU_PTE_V | RIOMMU_PTE_A | RIOMMU_PTE_U | RIOMMU_PTE_R;
    bool wr = prot & RIOMMU_DRV_WRITE;
    if (d->cfg.policy.generic_pt) {
        if (wr)
            b |= RIOMMU_PTE_W | RIOMMU_PTE_D;
        if (!(prot & RIOMMU_DRV_NOEXEC))
            b |= RIOMMU_PTE_X;
        return b;
    }
    if (wr) {
        b |= RIOMMU_PTE_W;
        if (!(d->cfg.policy.sade && (d->caps & RIOMMU_CAP_AMO_HWAD)))
            b |= RIOMMU_PTE_D;
    }
    return b;
}

/* A table page walk position: CPU pointer and the PA of the table. */
typedef struct tpos {
    uint64_t *t;
    uint64_t pa;
} tpos;

static void publish_at(riommu_drv *d, tpos p, unsigned idx, unsigned n)
{
    d->hw.sync_to_device(d->hw.ctx, p.pa + idx * 8ull, n * 8u);
}

/* Subtrees a large leaf replaced, freed only after the invalidation. */
typedef struct drv_freed {
    uint64_t pa;
    int level;
    struct drv_freed *next;
} drv_freed;

static riommu_drv_err map_one(riommu_drv_domain *dom, uint64_t iova, uint64_t pa,
                              uint64_t pgsize, unsigned prot, drv_freed **freelist)
{
    riommu_drv *d = dom->drv;
    unsigned level = 0;
    while (pgsize != SZ_64K && (SZ_4K << (9 * level)) < pgsize)
        level++;
    tpos p = {dom->root.cpu, dom->root.pa};
    for (int i = (int)dom->levels - 1; i > (int)level; i--) {
        unsigned idx = pte_index(iova, (unsigned)i);
        uint64_t e = p.t[idx];
        if (e & RIOMMU_PTE_V) {
            if (pte_leaf(e))
                return RIOMMU_DRV_ENOMEM; /* large pages are never split */
        } else {
            riommu_dma_mem pg;
            if (!d->hw.alloc(d->hw.ctx, 4096, 4096, &pg))
                return RIOMMU_DRV_ENOMEM;
            d->hw.sync_to_device(d->hw.ctx, pg.pa, 4096); /* contents first */
            e = ((pg.pa >> 12) << 10) | RIOMMU_PTE_V;
            p.t[idx] = e;
            publish_at(d, p, idx, 1);
        }
        p.pa = RIOMMU_FIELD_GET(e, RIOMMU_PTE_PPN) << 12;
        p.t = table_of(d, e);
        if (!p.t)
            return RIOMMU_DRV_ENOMEM;
    }
    unsigned idx = pte_index(iova, level);
    uint64_t leaf = ((pa >> 12) << 10) | prot_bits(d, prot);
    if (pgsize == SZ_64K) {
        /* Svnapot: N, ppn[3:0] = 0b1000, replicated over 16 slots. */
        idx &= ~15u;
        leaf = (((pa >> 12) & ~0xFull) << 10) | (0x8ull << 10) | prot_bits(d, prot) |
               RIOMMU_PTE_N;
        for (unsigned k = 0; k < 16; k++)
            p.t[idx + k] = leaf;
        publish_at(d, p, idx, 16);
        d->st.pages_mapped++;
        return RIOMMU_DRV_OK;
    }
    uint64_t old = p.t[idx];
    p.t[idx] = leaf;
    publish_at(d, p, idx, 1);
    d->st.pages_mapped++;
    if ((old & RIOMMU_PTE_V) && !pte_leaf(old) && level > 0) {
        /* A large leaf replaced a subtree: its pages go on a free list and
         * are freed only after a whole-PSCID invalidation (linux §1.10
         * steps 3 and 5), since the IOMMU may still walk them. */
        uint64_t tpa = RIOMMU_FIELD_GET(old, RIOMMU_PTE_PPN) << 12;
        drv_freed *f = drv_zalloc(d, sizeof *f);
        if (!f) {
            /* No memory for the list: invalidate now, then free. */
            if (dom->bonds) {
                drv_inval_vma(d, true, dom->pscid, false, 0);
                drv_sync(d);
            }
            free_tables(d, tpa, (int)level - 1);
        } else {
            f->pa = tpa;
            f->level = (int)level - 1;
            f->next = *freelist;
            *freelist = f;
        }
    }
    return RIOMMU_DRV_OK;
}

/* Invalidate the whole PSCID on the bonded IOMMU and wait. */
static void flush_pscid(riommu_drv_domain *dom)
{
    if (!dom->bonds)
        return;
    drv_inval_vma(dom->drv, true, dom->pscid, false, 0);
    drv_sync(dom->drv);
}

riommu_drv_err riommu_drv_map(riommu_drv_domain *dom, uint64_t iova, uint64_t pa,
                              uint64_t size, unsigned prot, uint64_t *mapped)
{
    *mapped = 0;
    if (dom->kind != RIOMMU_DRV_DOM_PAGING)
        return RIOMMU_DRV_EINVAL;
    if ((iova | pa | size) & (SZ_4K - 1) || size == 0)
        return RIOMMU_DRV_EINVAL;
    /* Aperture [0, 2^(va_bits-1)): Linux masks silently; reject instead. */
    uint64_t top = 1ull << (dom->va_bits - 1);
    if (iova >= top || size > top - iova)
        return RIOMMU_DRV_EINVAL;
    drv_freed *freelist = NULL;
    riommu_drv_err e = RIOMMU_DRV_OK;
    while (size) {
        /* The core's iommu_pgsize: the largest size allowed by alignment
         * of iova|pa and by the remaining length. */
        uint64_t addr_merge = iova | pa;
        uint64_t best = 0;
        for (unsigned b = 12; b < 64; b++) {
            uint64_t s = 1ull << b;
            if (!(dom->pgsizes & s) || s > size || (addr_merge & (s - 1)))
                continue;
            best = s;
        }
        e = map_one(dom, iova, pa, best, prot, &freelist);
        if (e)
            break;
        iova += best;
        pa += best;
        size -= best;
        *mapped += best;
    }
    if (freelist) {
        flush_pscid(dom); /* whole PSCID with a fence, then free (§1.10) */
        while (freelist) {
            drv_freed *f = freelist;
            freelist = f->next;
            free_tables(dom->drv, f->pa, f->level);
            drv_free(dom->drv, f);
        }
    }
    return e;
}

void riommu_drv_gather_init(riommu_drv_gather *g)
{
    g->start = UINT64_MAX;
    g->end = 0;
    g->pgsize = 0;
    g->freelist = false;
}

static void gather_add(riommu_drv_domain *dom, riommu_drv_gather *g, uint64_t iova,
                       uint64_t size)
{
    uint64_t end = iova + size - 1;
    bool empty = g->start > g->end;
    /* iommu_iotlb_gather_add_page: sync first when the new range is
     * disjoint or of another page size. */
    if (!empty && (g->pgsize != size || end + 1 < g->start || iova > g->end + 1)) {
        riommu_drv_iotlb_sync(dom, g);
        empty = true;
    }
    if (empty || iova < g->start)
        g->start = iova;
    if (empty || end > g->end)
        g->end = end;
    g->pgsize = size;
}

uint64_t riommu_drv_unmap(riommu_drv_domain *dom, uint64_t iova, uint64_t size,
                          riommu_drv_gather *g)
{
    riommu_drv *d = dom->drv;
    uint64_t done = 0;
    if (dom->kind != RIOMMU_DRV_DOM_PAGING)
        return 0;
    /* The aperture, as riommu_drv_map checks it: an IOVA beyond it would
     * alias a lower one through the masked index bits. */
    uint64_t top = 1ull << (dom->va_bits - 1);
    if (iova >= top || size > top - iova)
        return 0;
    while (done < size) {
        uint64_t va = iova + done;
        tpos p = {dom->root.cpu, dom->root.pa};
        int i = (int)dom->levels - 1;
        uint64_t e = 0;
        unsigned idx = 0;
        for (;; i--) {
            idx = pte_index(va, (unsigned)i);
            e = p.t[idx];
            if (!(e & RIOMMU_PTE_V))
                return done;
            if (pte_leaf(e) || i == 0)
                break;
            p.pa = RIOMMU_FIELD_GET(e, RIOMMU_PTE_PPN) << 12;
            p.t = table_of(d, e);
            if (!p.t)
                return done;
        }
        if (!pte_leaf(e))
            return done;
        uint64_t leaf = 1ull << (12 + 9 * i);
        unsigned n = 1;
        if (i == 0 && (e & RIOMMU_PTE_N)) {
            leaf = SZ_64K;
            idx &= ~15u;
            n = 16;
        }
        if (va & (leaf - 1))
            return done; /* a leaf is never partly unmapped */
        for (unsigned k = 0; k < n; k++)
            p.t[idx + k] = 0;
        publish_at(d, p, idx, n);
        d->st.pages_unmapped++;
        gather_add(dom, g, va, leaf);
        done += leaf;
    }
    return done;
}

void riommu_drv_iotlb_sync(riommu_drv_domain *dom, riommu_drv_gather *g)
{
    riommu_drv *d = dom->drv;
    if (g->start > g->end)
        return;
    uint64_t start = g->start, end = g->end;
    riommu_drv_gather_init(g);
    if (!dom->bonds)
        return;
    bool per_page;
    if (d->cfg.policy.overflow_safe_sync) {
        per_page = end - start < SZ_2M - 1;
    } else {
        uint64_t len = end - start + 1; /* wraps to 0 for [0, max] */
        per_page = len != 0 && len < SZ_2M;
    }
    if (per_page) {
        /* One command per 4 KiB page from start; the loop stops before the
         * address wraps at the top of the space (the v10 loop could not). */
        for (uint64_t va = start;; va += SZ_4K) {
            drv_inval_vma(d, true, dom->pscid, true, va);
            if (end - va < SZ_4K)
                break;
        }
    } else {
        drv_inval_vma(d, true, dom->pscid, false, 0);
    }
    drv_sync(d);
}

uint64_t riommu_drv_unmap_sync(riommu_drv_domain *dom, uint64_t iova, uint64_t size)
{
    riommu_drv_gather g;
    riommu_drv_gather_init(&g);
    uint64_t n = riommu_drv_unmap(dom, iova, size, &g);
    riommu_drv_iotlb_sync(dom, &g);
    return n;
}

void riommu_drv_flush_all(riommu_drv_domain *dom)
{
    riommu_drv_gather g = {0, UINT64_MAX, 0, false};
    riommu_drv_iotlb_sync(dom, &g);
}

uint64_t riommu_drv_iova_to_phys(riommu_drv_domain *dom, uint64_t iova)
{
    if (dom->kind == RIOMMU_DRV_DOM_IDENTITY)
        return iova;
    if (dom->kind != RIOMMU_DRV_DOM_PAGING || iova >= 1ull << (dom->va_bits - 1))
        return 0; /* outside the aperture nothing is mapped */
    riommu_drv *d = dom->drv;
    uint64_t *t = dom->root.cpu;
    for (int i = (int)dom->levels - 1; i >= 0; i--) {
        uint64_t e = t[pte_index(iova, (unsigned)i)];
        if (!(e & RIOMMU_PTE_V))
            return 0; /* the NULL-dereference fix: unmapped is 0 */
        if (pte_leaf(e)) {
            uint64_t size = 1ull << (12 + 9 * i);
            uint64_t ppn = RIOMMU_FIELD_GET(e, RIOMMU_PTE_PPN);
            if (i == 0 && (e & RIOMMU_PTE_N)) {
                size = SZ_64K;
                ppn &= ~0xFull;
            }
            return ((ppn << 12) & ~(size - 1)) | (iova & (size - 1));
        }
        t = table_of(d, e);
        if (!t)
            return 0;
    }
    return 0;
}
