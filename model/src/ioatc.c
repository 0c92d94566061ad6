/*
 * ioatc.c - IOMMU address-translation caches (ds "Caching in-memory data
 * structures"; q "IOMMU Page-Table cache invalidation commands"; ext
 * "Non-leaf PTE Invalidation", "Address Range Invalidation").
 *
 *   DDTC   valid device contexts, tagged by device_id (IODIR.INVAL_DDT).
 *   IOTLB  leaf translations IOVA -> PA, tagged by (GV, GSCID, PSCV, PSCID,
 *          global) as the table "Identifiers used to tag IOATC entries"
 *          requires; one entry per translation range (4 KiB, 64 KiB NAPOT,
 *          2 MiB, 4 MiB (Sv32), 1 GiB, 512 GiB, 256 TiB).
 *   WALKC  non-leaf first-stage PTEs, tagged like the IOTLB plus level.
 *
 * Nothing invalid is ever filled: callers fill only entries whose V bit and
 * checks passed. All caches are set associative with LRU, FIFO or random
 * replacement; a cache with 0 entries or enable == false is bypassed.
 * Lookups allocate nothing and take no lock.
 */
#include "internal.h"

#include <stdlib.h>

static int size_class_of(uint64_t size)
{
    for (int i = 0; i < TLB_SZ_COUNT; i++)
        if (size == (1ull << tlb_shift(i)))
            return i;
    return -1;
}

static void geom_from(const riommu_cache_config *c, cache_geom *g)
{
    memset(g, 0, sizeof *g);
    if (!c->enable || c->entries == 0)
        return;
    g->ways = c->assoc ? c->assoc : c->entries;
    g->sets = c->entries / g->ways;
    g->policy = c->policy;
    g->lat = c->lat;
}

bool ioatc_init(riommu *m)
{
    riommu_ioatc *c = &m->c;
    geom_from(&m->cfg.ddtc, &c->ddtc_g);
    geom_from(&m->cfg.iotlb, &c->iotlb_g);
    geom_from(&m->cfg.walkc, &c->walkc_g);
    size_t nd = (size_t)c->ddtc_g.sets * c->ddtc_g.ways;
    size_t nt = (size_t)c->iotlb_g.sets * c->iotlb_g.ways;
    size_t nw = (size_t)c->walkc_g.sets * c->walkc_g.ways;
    c->ddtc = nd ? calloc(nd, sizeof *c->ddtc) : NULL;
    c->iotlb = nt ? calloc(nt, sizeof *c->iotlb) : NULL;
    c->iotlb_key = nt ? calloc(nt, sizeof *c->iotlb_key) : NULL;
    c->iotlb_stamp = nt ? calloc(nt, sizeof *c->iotlb_stamp) : NULL;
    c->walkc = nw ? calloc(nw, sizeof *c->walkc) : NULL;
    c->fifo_next_ddtc = c->ddtc_g.sets ? calloc(c->ddtc_g.sets, sizeof(uint32_t)) : NULL;
    c->fifo_next_iotlb = c->iotlb_g.sets ? calloc(c->iotlb_g.sets, sizeof(uint32_t)) : NULL;
    c->fifo_next_walkc = c->walkc_g.sets ? calloc(c->walkc_g.sets, sizeof(uint32_t)) : NULL;
    c->rng = m->cfg.seed ? m->cfg.seed : 0x2545F491u;
    c->iotlb_gen = 1; /* zeroed memo entries (generation 0) are stale */
    if ((nd && (!c->ddtc || !c->fifo_next_ddtc)) || (nt && (!c->iotlb || !c->iotlb_key || !c->iotlb_stamp || !c->fifo_next_iotlb)) ||
        (nw && (!c->walkc || !c->fifo_next_walkc))) {
        ioatc_free(m);
        return false;
    }
    return true;
}

void ioatc_free(riommu *m)
{
    riommu_ioatc *c = &m->c;
    free(c->ddtc);
    free(c->iotlb);
    free(c->iotlb_key);
    free(c->iotlb_stamp);
    free(c->walkc);
    free(c->fifo_next_ddtc);
    free(c->fifo_next_iotlb);
    free(c->fifo_next_walkc);
    memset(c, 0, sizeof *c);
}

void ioatc_flush_all(riommu *m)
{
    riommu_ioatc *c = &m->c;
    if (c->ddtc)
        memset(c->ddtc, 0, (size_t)c->ddtc_g.sets * c->ddtc_g.ways * sizeof *c->ddtc);
    if (c->iotlb) {
        memset(c->iotlb, 0, (size_t)c->iotlb_g.sets * c->iotlb_g.ways * sizeof *c->iotlb);
        memset(c->iotlb_key, 0, (size_t)c->iotlb_g.sets * c->iotlb_g.ways * sizeof *c->iotlb_key);
        memset(c->iotlb_stamp, 0,
               (size_t)c->iotlb_g.sets * c->iotlb_g.ways * sizeof *c->iotlb_stamp);
    }
    if (c->walkc)
        memset(c->walkc, 0, (size_t)c->walkc_g.sets * c->walkc_g.ways * sizeof *c->walkc);
    c->size_classes_present = 0;
    memset(c->class_count, 0, sizeof c->class_count);
    c->iotlb_gen++;
}

/* ---- replacement --------------------------------------------------------- */

static uint32_t rng_next(riommu_ioatc *c)
{
    uint32_t x = c->rng;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    c->rng = x;
    return x;
}

/* The way to replace in a full set, by policy; LRU stamps are read through
 * a strided pointer. */
static uint32_t policy_victim(riommu_ioatc *c, const cache_geom *g, uint32_t set,
                              uint32_t *fifo_next, const uint64_t *stamp0, size_t stride)
{
    const char *sb = (const char *)stamp0;
    switch (g->policy) {
    case RIOMMU_REPL_FIFO: {
        uint32_t w = fifo_next[set] % g->ways;
        fifo_next[set] = (w + 1) % g->ways;
        return w;
    }
    case RIOMMU_REPL_RANDOM:
        return rng_next(c) % g->ways;
    case RIOMMU_REPL_LRU:
    default: {
        uint32_t best = 0;
        uint64_t bs = UINT64_MAX;
        for (uint32_t w = 0; w < g->ways; w++) {
            uint64_t s = *(const uint64_t *)(sb + w * stride);
            if (s < bs) {
                bs = s;
                best = w;
            }
        }
        return best;
    }
    }
}

/* Choose the way to fill in a set: an invalid way first, else by policy.
 * `valid` and `stamp` are read through strided pointers. */
static uint32_t pick_victim(riommu_ioatc *c, const cache_geom *g, uint32_t set,
                            uint32_t *fifo_next, const bool *valid0,
                            const uint64_t *stamp0, size_t stride, bool *evicted)
{
    const char *vb = (const char *)valid0;
    for (uint32_t w = 0; w < g->ways; w++)
        if (!*(const bool *)(vb + w * stride)) {
            *evicted = false;
            return w;
        }
    *evicted = true;
    return policy_victim(c, g, set, fifo_next, stamp0, stride);
}

#define VICTIM(c, g, set, fifo, base)                                              \
    pick_victim((c), (g), (set), (fifo), &(base)->valid, &(base)->stamp,           \
                sizeof *(base), &evicted)

static void cache_event(riommu *m, riommu_cache_id id, riommu_cache_event_kind ev,
                        uint64_t tag)
{
    OBS(m, cache, id, ev, tag);
}

/* ---- DDTC ------------------------------------------------------------------- */

bool ddtc_lookup(riommu *m, uint32_t device_id, riommu_dc *dc)
{
    riommu_ioatc *c = &m->c;
    if (!c->ddtc)
        return false;
    m->st.ddtc.lookups++;
    ddtc_entry *hit = ddtc_find(c, device_id);
    if (hit) {
        if (c->ddtc_g.policy == RIOMMU_REPL_LRU)
            hit->stamp = ++c->tick;
        *dc = hit->dc;
        c->ddtc_last = hit;
        m->st.ddtc.hits++;
        if (m->has_obs)
            cache_event(m, RIOMMU_CACHE_DDTC, RIOMMU_CEV_HIT, device_id);
        return true;
    }
    m->st.ddtc.misses++;
    if (m->has_obs)
        cache_event(m, RIOMMU_CACHE_DDTC, RIOMMU_CEV_MISS, device_id);
    return false;
}

void ddtc_fill(riommu *m, uint32_t device_id, const riommu_dc *dc)
{
    riommu_ioatc *c = &m->c;
    if (!c->ddtc)
        return;
    uint32_t set = device_id & (c->ddtc_g.sets - 1);
    ddtc_entry *e = &c->ddtc[(size_t)set * c->ddtc_g.ways];
    bool evicted;
    uint32_t w = c->ddtc_g.ways;
    for (uint32_t i = 0; i < c->ddtc_g.ways; i++)
        if (e[i].valid && e[i].device_id == device_id) {
            w = i;
            evicted = false;
        }
    if (w == c->ddtc_g.ways)
        w = VICTIM(c, &c->ddtc_g, set, c->fifo_next_ddtc, e);
    if (evicted) {
        m->st.ddtc.evictions++;
        if (m->has_obs)
            cache_event(m, RIOMMU_CACHE_DDTC, RIOMMU_CEV_EVICT, e[w].device_id);
    }
    e[w].valid = true;
    e[w].device_id = device_id;
    e[w].dc = *dc;
    e[w].stamp = ++c->tick;
    c->ddtc_last = &e[w];
    m->st.ddtc.fills++;
    if (m->has_obs)
        cache_event(m, RIOMMU_CACHE_DDTC, RIOMMU_CEV_FILL, device_id);
}

void ddtc_inval(riommu *m, bool dv, uint32_t device_id)
{
    riommu_ioatc *c = &m->c;
    size_t n = (size_t)c->ddtc_g.sets * c->ddtc_g.ways;
    for (size_t i = 0; i < n; i++) {
        ddtc_entry *e = &c->ddtc[i];
        if (e->valid && (!dv || e->device_id == device_id)) {
            e->valid = false;
            m->st.ddtc.invalidations++;
            if (m->has_obs)
                cache_event(m, RIOMMU_CACHE_DDTC, RIOMMU_CEV_INVALIDATE, e->device_id);
        }
    }
}

bool riommu_ddtc_contains(const riommu *m, uint32_t device_id)
{
    const riommu_ioatc *c = &m->c;
    if (!c->ddtc)
        return false;
    uint32_t set = device_id & (c->ddtc_g.sets - 1);
    const ddtc_entry *e = &c->ddtc[(size_t)set * c->ddtc_g.ways];
    for (uint32_t w = 0; w < c->ddtc_g.ways; w++)
        if (e[w].valid && e[w].device_id == device_id)
            return true;
    return false;
}

/* ---- IOTLB ------------------------------------------------------------------ */

static iotlb_entry *tlb_find(const riommu_ioatc *c, bool gv, uint16_t gscid, bool pscv,
                             uint32_t pscid, uint64_t iova)
{
    return iotlb_find(c, gv, gscid, pscv, pscid, iova);
}

iotlb_entry *iotlb_lookup(riommu *m, bool gv, uint16_t gscid, bool pscv, uint32_t pscid,
                          uint64_t iova)
{
    riommu_ioatc *c = &m->c;
    if (!c->iotlb)
        return NULL;
    m->st.iotlb.lookups++;
    iotlb_entry *e = tlb_find(c, gv, gscid, pscv, pscid, iova);
    if (e) {
        if (c->iotlb_g.policy == RIOMMU_REPL_LRU)
            c->iotlb_stamp[e - c->iotlb] = ++c->tick;
        m->st.iotlb.hits++;
    } else {
        m->st.iotlb.misses++;
    }
    if (m->has_obs)
        cache_event(m, RIOMMU_CACHE_IOTLB, e ? RIOMMU_CEV_HIT : RIOMMU_CEV_MISS,
                    iova >> 12);
    return e;
}

/* The way of the smallest stamp of a set, the first of equals. A free
 * way's stamp is 0 and a valid one's >= 1 and its own (every fill and LRU
 * use stamps ++tick; tlb_drop and flushes zero it), so this is the LRU
 * policy's choice: the first free way if any, else the least recently
 * used. Four minimum chains over the ways, not one: a fill on a
 * miss-heavy workload waits for the chain of compare-and-select steps,
 * and four chains make it a quarter as long. */
static inline uint32_t lru_way(const uint64_t *s, uint32_t ways)
{
    if (ways < 4) {
        uint32_t best = 0;
        for (uint32_t i = 1; i < ways; i++)
            best = s[i] < s[best] ? i : best;
        return best;
    }
    uint64_t m0 = s[0], m1 = s[1], m2 = s[2], m3 = s[3];
    uint32_t w0 = 0, w1 = 1, w2 = 2, w3 = 3, i = 4;
    for (; i + 4 <= ways; i += 4) {
        w0 = s[i] < m0 ? i : w0;
        m0 = s[i] < m0 ? s[i] : m0;
        w1 = s[i + 1] < m1 ? i + 1 : w1;
        m1 = s[i + 1] < m1 ? s[i + 1] : m1;
        w2 = s[i + 2] < m2 ? i + 2 : w2;
        m2 = s[i + 2] < m2 ? s[i + 2] : m2;
        w3 = s[i + 3] < m3 ? i + 3 : w3;
        m3 = s[i + 3] < m3 ? s[i + 3] : m3;
    }
    for (; i < ways; i++) { /* above every index of the chains: < keeps the first */
        w0 = s[i] < m0 ? i : w0;
        m0 = s[i] < m0 ? s[i] : m0;
    }
    /* (stamp, way) in lexicographic order: the first of equals */
    if (m1 < m0 || (m1 == m0 && w1 < w0)) {
        m0 = m1;
        w0 = w1;
    }
    if (m3 < m2 || (m3 == m2 && w3 < w2)) {
        m2 = m3;
        w2 = w3;
    }
    return m2 < m0 || (m2 == m0 && w2 < w0) ? w2 : w0;
}

void iotlb_fill(riommu *m, ioatc_tag t, uint64_t vbase, uint64_t pbase, uint64_t size,
                uint64_t pte, bool absent)
{
    riommu_ioatc *c = &m->c;
    if (!c->iotlb)
        return;
    const bool gv = (t >> 36) & 1, pscv = (t >> 37) & 1, global = (t >> 38) & 1;
    const uint16_t gscid = (uint16_t)(t >> 20);
    const uint32_t pscid = (uint32_t)(t & 0xFFFFFu);
    int sc = size == 4096 ? TLB_SZ_4K : size_class_of(size);
    if (sc < 0)
        return;
    const uint32_t ways = c->iotlb_g.ways;
    const uint32_t set = tlb_set(c, vbase, sc);
    iotlb_entry *e = &c->iotlb[(size_t)set * ways];
    uint64_t *k = &c->iotlb_key[(size_t)set * ways];
    uint64_t *stamp = &c->iotlb_stamp[(size_t)set * ways];
    const uint64_t want = tlb_key(vbase, sc);
    uint32_t w = ways;
    if (!absent) /* the (last) entry with the same tag is replaced in place */
        for (uint32_t i = 0; i < ways; i++)
            if (k[i] == want && e[i].gv == gv && e[i].gscid == gscid && e[i].pscv == pscv &&
                e[i].pscid == pscid)
                w = i;
    if (w == ways) {
        if (c->iotlb_g.policy == RIOMMU_REPL_LRU) {
            w = lru_way(stamp, ways);
        } else {
            for (uint32_t i = 0; i < ways && w == ways; i++)
                w = k[i] ? w : i; /* the first free way */
            if (w == ways)
                w = policy_victim(c, &c->iotlb_g, set, c->fifo_next_iotlb, stamp,
                                  sizeof(uint64_t));
        }
        if (k[w]) {
            m->st.iotlb.evictions++;
            if (m->has_obs)
                cache_event(m, RIOMMU_CACHE_IOTLB, RIOMMU_CEV_EVICT, e[w].vbase >> 12);
        }
    }
    /* the replaced entry's class from its key (bits 3:1), not the entry:
     * the entry is only written from here on, so a miss-heavy workload
     * does not wait for its cache line; and the counts only when the class
     * changes (a decrement and an increment of one count, on every fill of
     * a miss-heavy workload, made each fill wait for the last one's) */
    const int old = k[w] ? (int)((k[w] >> 1) & 7) : -1;
    if (old != sc) {
        if (old >= 0)
            c->class_count[old]--;
        c->class_count[sc]++;
    }
    e[w].valid = true;
    e[w].gv = gv;
    e[w].pscv = pscv;
    e[w].global = global;
    e[w].size_class = (uint8_t)sc;
    e[w].gscid = gscid;
    e[w].pscid = pscid;
    e[w].vbase = vbase;
    e[w].pbase = pbase;
    e[w].size = size;
    e[w].pte = pte;
    stamp[w] = ++c->tick;
    k[w] = want;
    c->size_classes_present |= 1u << sc;
    c->iotlb_gen++;
    m->st.iotlb.fills++;
    if (m->has_obs)
        cache_event(m, RIOMMU_CACHE_IOTLB, RIOMMU_CEV_FILL, vbase >> 12);
}

/* Valid IOTLB entries (what a scan of every way would find). */
static uint32_t tlb_valid_count(const riommu_ioatc *c)
{
    uint32_t n = 0;
    for (int sc = 0; sc < TLB_SZ_COUNT; sc++)
        n += c->class_count[sc];
    return n;
}

/* The classes with valid entries, from the per-class counts. */
static void tlb_recount_classes(riommu_ioatc *c)
{
    c->iotlb_gen++; /* called after every invalidation */
    uint32_t p = 0;
    for (int sc = 0; sc < TLB_SZ_COUNT; sc++)
        if (c->class_count[sc])
            p |= 1u << sc;
    c->size_classes_present = p;
}

static void tlb_drop(riommu *m, iotlb_entry *e)
{
    e->valid = false;
    m->c.iotlb_key[e - m->c.iotlb] = 0;
    m->c.iotlb_stamp[e - m->c.iotlb] = 0; /* free: lru_way */
    m->c.class_count[e->size_class]--;
    m->st.iotlb.invalidations++;
    if (m->has_obs)
        cache_event(m, RIOMMU_CACHE_IOTLB, RIOMMU_CEV_INVALIDATE, e->vbase >> 12);
}

#define PROBE_MAX_BLOCKS 16u

/* An address-range invalidation that looks only where entries for the
 * range can be: an entry of class sc with vbase v lives in set
 * tlb_set(v, sc), and overlaps [addr, addr+len) exactly when v is one of
 * the range's sc-aligned blocks. Drops the same entries as the full scan;
 * used without observers (their INVALIDATE events would come in another
 * order). False, having done nothing, when the range covers too many
 * blocks of a present class. */
static bool tlb_inval_probe(riommu *m, bool gv, uint16_t gscid, bool pscv, uint32_t pscid,
                            uint64_t addr, uint64_t len);

static bool overlaps(uint64_t b1, uint64_t s1, uint64_t b2, uint64_t len2)
{
    /* [b1, b1+s1) and [b2, b2+len2); len2 == 0 means "to the top". */
    uint64_t e1 = b1 + (s1 - 1);
    uint64_t e2 = len2 ? b2 + (len2 - 1) : UINT64_MAX;
    return b1 <= e2 && b2 <= e1;
}

/* Does an entry belong to the address spaces selected by GV/GSCID and
 * PSCV/PSCID of an IOTINVAL.VMA? */
static bool vma_scope(bool egv, uint16_t egscid, bool epscv, uint32_t epscid,
                      bool eglobal, bool gv, uint16_t gscid, bool pscv, uint32_t pscid)
{
    if (gv ? (!egv || egscid != gscid) : egv)
        return false;
    if (pscv && (!epscv || epscid != pscid || eglobal))
        return false;
    return true;
}

static bool tlb_inval_probe(riommu *m, bool gv, uint16_t gscid, bool pscv, uint32_t pscid,
                            uint64_t addr, uint64_t len)
{
    riommu_ioatc *c = &m->c;
    if (len == 0 || addr + (len - 1) < addr)
        return false;
    uint64_t end = addr + (len - 1);
    for (int sc = 0; sc < TLB_SZ_COUNT; sc++)
        if (c->class_count[sc] &&
            (end >> tlb_shift(sc)) - (addr >> tlb_shift(sc)) >= PROBE_MAX_BLOCKS)
            return false;
    for (int sc = 0; sc < TLB_SZ_COUNT; sc++) {
        if (!c->class_count[sc])
            continue;
        uint64_t size = 1ull << tlb_shift(sc);
        for (uint64_t vb = addr & ~(size - 1);; vb += size) {
            size_t base = (size_t)tlb_set(c, vb, sc) * c->iotlb_g.ways;
            iotlb_entry *e = &c->iotlb[base];
            const uint64_t *k = &c->iotlb_key[base];
            for (uint32_t w = 0; w < c->iotlb_g.ways; w++)
                if (k[w] == tlb_key(vb, sc) &&
                    vma_scope(e[w].gv, e[w].gscid, e[w].pscv, e[w].pscid, e[w].global, gv, gscid,
                              pscv, pscid))
                    tlb_drop(m, &e[w]);
            if (vb >= (end & ~(size - 1)))
                break;
        }
    }
    return true;
}

void iotlb_inval_vma(riommu *m, bool gv, uint16_t gscid, bool pscv, uint32_t pscid,
                     bool av, uint64_t addr, uint64_t len, bool nl)
{
    riommu_ioatc *c = &m->c;
    if (!(c->iotlb && av && !m->has_obs &&
          tlb_inval_probe(m, gv, gscid, pscv, pscid, addr, len))) {
        size_t n = (size_t)c->iotlb_g.sets * c->iotlb_g.ways;
        const uint64_t *k = c->iotlb_key;
        /* the keys (0: invalid) first, an 8th of the bytes; the scan ends
         * at the last valid entry (none after an invalidation of all) */
        uint32_t left = tlb_valid_count(c);
        for (size_t i = 0; left && i < n; i++) {
            iotlb_entry *e = &c->iotlb[i];
            if (!k[i])
                continue;
            left--;
            if (!vma_scope(e->gv, e->gscid, e->pscv, e->pscid, e->global, gv, gscid, pscv, pscid))
                continue;
            if (av && !overlaps(e->vbase, e->size, addr, len))
                continue;
            tlb_drop(m, e);
        }
    }
    if (c->iotlb)
        tlb_recount_classes(c);
    /* Non-leaf entries: every level when AV=0; the covered range with NL. */
    if (av && !nl)
        return;
    size_t nw = (size_t)c->walkc_g.sets * c->walkc_g.ways;
    for (size_t i = 0; i < nw; i++) {
        walkc_entry *e = &c->walkc[i];
        if (!e->valid || !vma_scope(e->gv, e->gscid, true, e->pscid, e->global, gv, gscid,
                                    pscv, pscid))
            continue;
        if (av) {
            unsigned sh = 12 + 9 * e->level;
            if (!overlaps(e->vtag << sh, 1ull << sh, addr, len))
                continue;
        }
        e->valid = false;
        m->st.walkc.invalidations++;
        if (m->has_obs)
            cache_event(m, RIOMMU_CACHE_WALKC, RIOMMU_CEV_INVALIDATE, e->vtag);
    }
}

void iotlb_inval_gvma(riommu *m, bool gv, uint16_t gscid, bool av, uint64_t addr,
                      uint64_t len)
{
    /* IOVA->PA entries of a VM are not tagged with their GPA, so an
     * address-specific GVMA drops every entry of the GSCID (q "IOTINVAL.GVMA"
     * note: a common and allowed technique). */
    (void)av;
    (void)addr;
    (void)len;
    riommu_ioatc *c = &m->c;
    size_t n = (size_t)c->iotlb_g.sets * c->iotlb_g.ways;
    uint32_t left = tlb_valid_count(c); /* as in iotlb_inval_vma */
    for (size_t i = 0; left && i < n; i++) {
        iotlb_entry *e = &c->iotlb[i];
        if (!c->iotlb_key[i]) /* invalid */
            continue;
        left--;
        if (e->gv && (!gv || e->gscid == gscid))
            tlb_drop(m, e);
    }
    if (c->iotlb)
        tlb_recount_classes(c);
    size_t nw = (size_t)c->walkc_g.sets * c->walkc_g.ways;
    for (size_t i = 0; i < nw; i++) {
        walkc_entry *e = &c->walkc[i];
        if (e->valid && e->gv && (!gv || e->gscid == gscid)) {
            e->valid = false;
            m->st.walkc.invalidations++;
        }
    }
}

bool riommu_iotlb_contains(const riommu *m, bool gv, uint32_t gscid, bool pscv,
                           uint32_t pscid, uint64_t iova)
{
    if (!m->c.iotlb)
        return false;
    return tlb_find(&m->c, gv, (uint16_t)gscid, pscv, pscid, iova) != NULL;
}

/* ---- walk cache --------------------------------------------------------------- */

static inline uint64_t walkc_tag(uint64_t iova, unsigned level)
{
    return iova >> (12 + 9 * level);
}

static inline uint32_t walkc_set(const riommu_ioatc *c, uint64_t tag, unsigned level)
{
    return (uint32_t)(tag ^ (tag >> 9) ^ level * 0x9Du) & (c->walkc_g.sets - 1);
}

static walkc_entry *walkc_find(const riommu_ioatc *c, bool gv, uint16_t gscid,
                               uint32_t pscid, uint64_t iova, unsigned level)
{
    uint64_t tag = walkc_tag(iova, level);
    uint32_t set = walkc_set(c, tag, level);
    walkc_entry *e = &c->walkc[(size_t)set * c->walkc_g.ways];
    for (uint32_t w = 0; w < c->walkc_g.ways; w++)
        if (e[w].valid && e[w].level == level && e[w].vtag == tag && e[w].gv == gv &&
            (!gv || e[w].gscid == gscid) && (e[w].global || e[w].pscid == pscid))
            return &e[w];
    return NULL;
}

bool walkc_lookup(riommu *m, bool gv, uint16_t gscid, uint32_t pscid, uint64_t iova,
                  unsigned level, uint64_t *pte, bool *global)
{
    riommu_ioatc *c = &m->c;
    if (!c->walkc)
        return false;
    m->st.walkc.lookups++;
    walkc_entry *e = walkc_find(c, gv, gscid, pscid, iova, level);
    if (!e) {
        m->st.walkc.misses++;
        if (m->has_obs)
            cache_event(m, RIOMMU_CACHE_WALKC, RIOMMU_CEV_MISS, walkc_tag(iova, level));
        return false;
    }
    if (c->walkc_g.policy == RIOMMU_REPL_LRU)
        e->stamp = ++c->tick;
    m->st.walkc.hits++;
    if (m->has_obs)
        cache_event(m, RIOMMU_CACHE_WALKC, RIOMMU_CEV_HIT, e->vtag);
    *pte = e->pte;
    *global = e->global;
    return true;
}

void walkc_fill(riommu *m, bool gv, uint16_t gscid, uint32_t pscid, uint64_t iova,
                unsigned level, uint64_t pte, bool global)
{
    riommu_ioatc *c = &m->c;
    if (!c->walkc)
        return;
    uint64_t tag = walkc_tag(iova, level);
    uint32_t set = walkc_set(c, tag, level);
    walkc_entry *e = &c->walkc[(size_t)set * c->walkc_g.ways];
    bool evicted = false;
    uint32_t w = c->walkc_g.ways;
    for (uint32_t i = 0; i < c->walkc_g.ways; i++)
        if (e[i].valid && e[i].level == level && e[i].vtag == tag && e[i].gv == gv &&
            e[i].gscid == gscid && e[i].pscid == pscid)
            w = i;
    if (w == c->walkc_g.ways)
        w = VICTIM(c, &c->walkc_g, set, c->fifo_next_walkc, e);
    if (evicted)
        m->st.walkc.evictions++;
    e[w].valid = true;
    e[w].gv = gv;
    e[w].gscid = gv ? gscid : 0;
    e[w].pscid = pscid;
    e[w].global = global;
    e[w].level = (uint8_t)level;
    e[w].vtag = tag;
    e[w].pte = pte;
    e[w].stamp = ++c->tick;
    m->st.walkc.fills++;
    if (m->has_obs)
        cache_event(m, RIOMMU_CACHE_WALKC, RIOMMU_CEV_FILL, tag);
}

bool riommu_walkc_contains(const riommu *m, bool gv, uint32_t gscid, uint32_t pscid,
                           uint64_t iova, unsigned level)
{
    if (!m->c.walkc)
        return false;
    return walkc_find(&m->c, gv, (uint16_t)gscid, pscid, iova, level) != NULL;
}

uint32_t riommu_cache_occupancy(const riommu *m, riommu_cache_id id)
{
    const riommu_ioatc *c = &m->c;
    uint32_t k = 0;
    size_t n;
    switch (id) {
    case RIOMMU_CACHE_DDTC:
        n = (size_t)c->ddtc_g.sets * c->ddtc_g.ways;
        for (size_t i = 0; i < n; i++)
            k += c->ddtc[i].valid;
        break;
    case RIOMMU_CACHE_IOTLB:
        n = (size_t)c->iotlb_g.sets * c->iotlb_g.ways;
        for (size_t i = 0; i < n; i++)
            k += c->iotlb[i].valid;
        break;
    case RIOMMU_CACHE_WALKC:
        n = (size_t)c->walkc_g.sets * c->walkc_g.ways;
        for (size_t i = 0; i < n; i++)
            k += c->walkc[i].valid;
        break;
    case RIOMMU_CACHE_PDTC:
    default:
        break;
    }
    return k;
}
