/*
 * walk.c - the page-table walker (ds "Process to translate an IOVA",
 * step 17, which defers to the Privileged specification's virtual-address
 * translation process; Svnapot, Svpbmt, Svrsw60t59b; ds "IOMMU updating of
 * PTE accessed (A) and dirty (D) updates").
 *
 * One function serves both stages: `stage` selects the fault causes
 * (page fault vs guest-page fault), the privilege rule (second-stage PTEs
 * are checked as user accesses) and the x4 widening of the root table.
 * Composition of two stages (first-stage PTE addresses being GPAs) is done
 * by the caller through walk_params; in this release only first-stage
 * walks with a Bare second stage are issued.
 *
 * Checks, in the order of the Privileged specification:
 *   canonical / width check of the address      -> page fault
 *   PTE load PMA/PMP/PAS failure                 -> access fault
 *   PTE load data corruption                     -> cause 274
 *   V=0, W without R, reserved bits, PBMT=3 or PBMT without Svpbmt,
 *   N at a level above 0 or with ppn[3:0] != 8, N/PBMT/A/D/U on a non-leaf,
 *   running out of levels                        -> page fault
 *   permission (R/W/X, U vs privilege, SUM)      -> page fault
 *   misaligned superpage                         -> page fault
 *   A clear, or D clear on a write: page fault, or an atomic update when
 *   hardware updating is enabled (a changed PTE restarts the walk)
 *   translated address at or above 2^PAS        -> access fault
 */
#include "internal.h"

uint16_t walk_page_fault_cause(unsigned stage, riommu_req_access a)
{
    if (stage == 2)
        return a == RIOMMU_WRITE  ? RIOMMU_CAUSE_WRITE_GUEST_PAGE_FAULT
               : a == RIOMMU_EXEC ? RIOMMU_CAUSE_INST_GUEST_PAGE_FAULT
                                  : RIOMMU_CAUSE_READ_GUEST_PAGE_FAULT;
    return a == RIOMMU_WRITE  ? RIOMMU_CAUSE_WRITE_PAGE_FAULT
           : a == RIOMMU_EXEC ? RIOMMU_CAUSE_INST_PAGE_FAULT
                              : RIOMMU_CAUSE_READ_PAGE_FAULT;
}

uint16_t walk_access_fault_cause(riommu_req_access a)
{
    return a == RIOMMU_WRITE  ? RIOMMU_CAUSE_WRITE_ACCESS_FAULT
           : a == RIOMMU_EXEC ? RIOMMU_CAUSE_INST_ACCESS_FAULT
                              : RIOMMU_CAUSE_READ_ACCESS_FAULT;
}

unsigned walk_levels(unsigned mode, bool sxl, unsigned stage, unsigned *va_bits)
{
    unsigned levels = 0, bits = 0;
    if (sxl) {
        if (mode == 8) {
            levels = 2;
            bits = 32;
        }
    } else {
        switch (mode) {
        case 8:
            levels = 3;
            bits = 39;
            break;
        case 9:
            levels = 4;
            bits = 48;
            break;
        case 10:
            levels = 5;
            bits = 57;
            break;
        default:
            break;
        }
    }
    if (levels && stage == 2)
        bits += 2;
    if (va_bits)
        *va_bits = bits;
    return levels;
}

/* Index of the PTE at `level` for address `va`. */
static inline uint64_t vpn_at(uint64_t va, unsigned level, bool sv32, unsigned levels,
                              unsigned stage)
{
    unsigned w = sv32 ? 10 : 9;
    uint64_t idx = va >> (12 + w * level);
    unsigned width = w + ((stage == 2 && level == levels - 1) ? 2 : 0);
    return idx & ((1ull << width) - 1);
}

/* Is the address within the scheme's range? First stage: sign-extended
 * (Sv39/48/57) or zero-extended (Sv32) IOVA; second stage: GPA zero above
 * the x4 width. */
static bool va_in_range(uint64_t va, unsigned va_bits, bool sxl, unsigned stage)
{
    if (stage == 2 || sxl)
        return va_bits >= 64 || (va >> va_bits) == 0;
    int64_t s = (int64_t)(va << (64 - va_bits)) >> (64 - va_bits);
    return (uint64_t)s == va;
}

#define MAX_AD_RETRIES 8

/* A walk that ends at a leaf of `size` bytes at `level`: its result, or an
 * access fault when the translated address is beyond PAS. */
static inline __attribute__((always_inline)) void
leaf_result(riommu *m, walk_result *r, uint64_t va, uint64_t pbase, uint64_t size,
            uint64_t pte, unsigned level, bool global, uint16_t af)
{
    r->size = size;
    r->vbase = va & ~(size - 1);
    r->pbase = pbase;
    r->pa = pbase | (va & (size - 1));
    if (defect(m, RIOMMU_DEFECT_SUPERPAGE_OFFSET) && size > 4096)
        r->pa = pbase | (va & 0xFFF);
    r->pte = pte;
    r->level = level;
    r->global = global;
    if (!mem_pa_ok(m, r->pa, 1))
        r->cause = af;
}

/* The walk of walk_translate; the caller holds a walker slot, memory
 * accesses and walk-cache lookups are charged at the timing cursor.
 * `stage` and `sv32` are p->stage and p->sxl, passed apart so that
 * walk_translate's copy for the common case (first stage, 8-byte PTEs)
 * has them as constants and its per-level branches folded. */
static inline __attribute__((always_inline)) void walk(riommu *m, const walk_params *p,
                                                       uint64_t va, unsigned levels,
                                                       walk_result *r, const unsigned stage,
                                                       const bool sv32)
{
    const unsigned pte_size = sv32 ? 4 : 8;
    const uint16_t pf = walk_page_fault_cause(stage, p->access);
    const uint16_t af = walk_access_fault_cause(p->access);
    const bool write = p->access == RIOMMU_WRITE;

    if (stage == 1)
        m->st.s1_walks++;
    else
        m->st.s2_walks++;

    /* the bits that make a PTE anything but a plain non-leaf one: V (must
     * be 1), R, W, X (a leaf or reserved), D, A, U, N, PBMT (reserved on a
     * non-leaf) and the reserved bits, 60:59 too without Svrsw60t59b */
    const uint64_t plain_nonleaf =
        RIOMMU_PTE_V | RIOMMU_PTE_R | RIOMMU_PTE_W | RIOMMU_PTE_X | RIOMMU_PTE_D |
        RIOMMU_PTE_A | RIOMMU_PTE_U | RIOMMU_PTE_N | RIOMMU_PTE_PBMT | RIOMMU_PTE_RESERVED |
        (cap_has(m, RIOMMU_CAP_SVRSW60T59B) ? 0 : RIOMMU_PTE_RSW60T59);
    /* and of a plain leaf for this access, a user page read or written
     * without privilege (second-stage PTEs always: they are checked as
     * user accesses): V, U, A and R, for a write W and D too, must be set;
     * N, PBMT and the reserved bits clear; X and G may be anything, and
     * so may W and D for a read. Other accesses take the checks. */
    uint64_t plain_leaf = RIOMMU_PTE_V | RIOMMU_PTE_U | RIOMMU_PTE_A | RIOMMU_PTE_R;
    if (write)
        plain_leaf |= RIOMMU_PTE_W | RIOMMU_PTE_D;
    uint64_t plain_leaf_mask = plain_leaf | RIOMMU_PTE_N | RIOMMU_PTE_PBMT |
                               (plain_nonleaf & (RIOMMU_PTE_RESERVED | RIOMMU_PTE_RSW60T59));
    if ((stage == 1 && p->priv) || p->access == RIOMMU_EXEC)
        plain_leaf_mask = 0; /* matches no PTE: plain_leaf is not 0 */

    for (unsigned attempt = 0;; attempt++) {
        uint64_t a = p->root_ppn << 12;
        int i = (int)levels - 1;
        bool global = false;

        /* Start below the deepest non-leaf PTE held in the walk cache. */
        if (p->use_walkc && m->c.walkc && levels > 1) {
            tm_cache(m, RIOMMU_CACHE_WALKC); /* every level probed at once */
            for (unsigned l = 1; l < levels; l++) {
                uint64_t cpte;
                bool g;
                if (walkc_lookup(m, p->gv, p->gscid, p->pscid, va, l, &cpte, &g)) {
                    a = (sv32 ? RIOMMU_FIELD_GET(cpte, RIOMMU_PTE32_PPN)
                              : RIOMMU_FIELD_GET(cpte, RIOMMU_PTE_PPN))
                        << 12;
                    i = (int)l - 1;
                    global = g;
                    break;
                }
            }
        }

        uint64_t pte = 0, pte_pa = 0;
        for (;;) {
            pte_pa = a + vpn_at(va, (unsigned)i, sv32, levels, stage) * pte_size;
            riommu_mem_status s;
            riommu_access_kind kind = stage == 2 ? RIOMMU_ACC_PTE_S2 : RIOMMU_ACC_PTE_S1;
            if (sv32) {
                uint32_t v32;
                s = mem_load32(m, pte_pa, p->be, kind, &v32);
                pte = v32;
            } else {
                s = mem_load64_kept(m, &m->walk_pages[stage - 1][i], pte_pa, p->be, kind,
                                    &pte);
            }
            tm_mem(m);
            r->mem_reads++;
            if (i < 5) {
                if (stage == 1)
                    m->st.s1_walk_levels[i]++;
                else
                    m->st.s2_walk_levels[i]++;
            }
            if (m->has_obs)
                OBS(m, walk_step, stage, (unsigned)i, pte_pa, pte);
            if (s == RIOMMU_MEM_DATA_CORRUPTION) {
                r->cause = RIOMMU_CAUSE_PT_CORRUPTION;
                return;
            }
            if (s != RIOMMU_MEM_OK) {
                r->cause = af;
                return;
            }
            if (!sv32 && i > 0 && (pte & plain_nonleaf) == RIOMMU_PTE_V) {
                /* a valid non-leaf PTE above level 0 with none of the bits
                 * the checks below look at: one test for what they would
                 * conclude (descend) */
                global |= (pte & RIOMMU_PTE_G) != 0;
                if (p->use_walkc && m->c.walkc)
                    walkc_fill(m, p->gv, p->gscid, p->pscid, va, (unsigned)i, pte, global);
                a = RIOMMU_FIELD_GET(pte, RIOMMU_PTE_PPN) << 12;
                i--;
                continue;
            }
            if (!sv32 && i == 0 && (pte & plain_leaf_mask) == plain_leaf) {
                /* a 4 KiB leaf that grants the access, with A (and D for a
                 * write) set and nothing reserved: one test for what the
                 * leaf checks below would conclude (no fault, no update) */
                leaf_result(m, r, va, RIOMMU_FIELD_GET(pte, RIOMMU_PTE_PPN) << 12, 4096, pte, 0,
                            global || (pte & RIOMMU_PTE_G), af);
                return;
            }
            bool v = pte & RIOMMU_PTE_V, rd = pte & RIOMMU_PTE_R;
            bool wr = pte & RIOMMU_PTE_W, ex = pte & RIOMMU_PTE_X;
            if (!v || (!rd && wr)) {
                r->cause = pf;
                return;
            }
            if (!sv32) {
                uint64_t resv = RIOMMU_PTE_RESERVED;
                if (!cap_has(m, RIOMMU_CAP_SVRSW60T59B))
                    resv |= RIOMMU_PTE_RSW60T59;
                unsigned pbmt = (unsigned)RIOMMU_FIELD_GET(pte, RIOMMU_PTE_PBMT);
                if ((pte & resv) || pbmt == 3 ||
                    (pbmt && !cap_has(m, RIOMMU_CAP_SVPBMT))) {
                    r->cause = pf;
                    return;
                }
            }
            if (pte & RIOMMU_PTE_G)
                global = true;
            if (rd || ex)
                break; /* leaf */
            /* Non-leaf: D, A, U, N and PBMT are reserved. */
            if ((pte & (RIOMMU_PTE_D | RIOMMU_PTE_A | RIOMMU_PTE_U)) ||
                (!sv32 && (pte & (RIOMMU_PTE_N | RIOMMU_PTE_PBMT)))) {
                r->cause = pf;
                return;
            }
            if (i == 0) {
                r->cause = pf;
                return;
            }
            if (p->use_walkc && m->c.walkc)
                walkc_fill(m, p->gv, p->gscid, p->pscid, va, (unsigned)i, pte, global);
            a = (sv32 ? RIOMMU_FIELD_GET(pte, RIOMMU_PTE32_PPN)
                      : RIOMMU_FIELD_GET(pte, RIOMMU_PTE_PPN))
                << 12;
            i--;
        }

        /* Leaf PTE at level i. */
        uint64_t ppn = sv32 ? RIOMMU_FIELD_GET(pte, RIOMMU_PTE32_PPN)
                            : RIOMMU_FIELD_GET(pte, RIOMMU_PTE_PPN);
        bool napot = !sv32 && (pte & RIOMMU_PTE_N);
        if (napot && (i != 0 || (ppn & 0xF) != 0x8)) {
            r->cause = pf;
            return;
        }
        /* Permissions. Second-stage PTEs are checked as user accesses. */
        bool u = pte & RIOMMU_PTE_U;
        bool priv = stage == 1 && p->priv;
        if (!priv && !u && !defect(m, RIOMMU_DEFECT_IGNORE_U)) {
            r->cause = pf;
            return;
        }
        if (priv && u && (p->access == RIOMMU_EXEC || !p->sum)) {
            r->cause = pf;
            return;
        }
        if ((p->access == RIOMMU_READ && !(pte & RIOMMU_PTE_R)) ||
            (write && !(pte & RIOMMU_PTE_W)) ||
            (p->access == RIOMMU_EXEC && !(pte & RIOMMU_PTE_X))) {
            r->cause = pf;
            return;
        }
        unsigned w = sv32 ? 10 : 9;
        if (i > 0 && (ppn & ((1ull << (w * (unsigned)i)) - 1))) {
            r->cause = pf; /* misaligned superpage */
            return;
        }
        /* Accessed / dirty. */
        bool need_a = !(pte & RIOMMU_PTE_A), need_d = write && !(pte & RIOMMU_PTE_D);
        if (need_a || need_d) {
            if (!p->ade) {
                r->cause = pf;
                return;
            }
            uint64_t npte = pte | RIOMMU_PTE_A | (write ? RIOMMU_PTE_D : 0);
            uint64_t stored = defect(m, RIOMMU_DEFECT_NO_D_UPDATE) ? npte & ~RIOMMU_PTE_D : npte;
            uint64_t seen = 0;
            riommu_mem_status s = mem_cas(m, pte_pa, p->be, sv32, RIOMMU_ACC_AD_UPDATE,
                                          pte, stored, &seen);
            tm_mem(m);
            m->st.ad_updates++;
            if (s == RIOMMU_MEM_DATA_CORRUPTION) {
                r->cause = RIOMMU_CAUSE_PT_CORRUPTION;
                return;
            }
            if (s != RIOMMU_MEM_OK) {
                r->cause = af;
                return;
            }
            if (seen != pte) {
                /* The PTE changed under us: walk again (Privileged spec). */
                if (attempt + 1 >= MAX_AD_RETRIES) {
                    r->cause = pf;
                    return;
                }
                continue;
            }
            pte = npte;
        }
        uint64_t size;
        uint64_t pbase;
        if (napot) {
            size = 1ull << 16;
            pbase = (ppn & ~0xFull) << 12;
        } else {
            size = 1ull << (12 + w * (unsigned)i);
            pbase = (ppn << 12) & ~(size - 1);
        }
        leaf_result(m, r, va, pbase, size, pte, (unsigned)i, global, af);
        return;
    }
}

void walk_translate(riommu *m, const walk_params *p, uint64_t va, walk_result *r)
{
    memset(r, 0, sizeof *r);
    unsigned va_bits = 0;
    unsigned levels = walk_levels(p->mode, p->sxl, p->stage, &va_bits);
    if (!levels || (!va_in_range(va, va_bits, p->sxl, p->stage) &&
                    !defect(m, RIOMMU_DEFECT_NO_CANONICAL_CHECK))) {
        r->cause = walk_page_fault_cause(p->stage, p->access);
        return; /* decided before any walk: no walker slot */
    }
    const bool timed = m->tm.on; /* functional mode: no calls into timing.c */
    unsigned slot = timed ? tm_walk_begin(m) : 0;
    uint64_t t0 = m->tm.t;
    if (p->stage == 1 && !p->sxl)
        walk(m, p, va, levels, r, 1, false);
    else
        walk(m, p, va, levels, r, p->stage, p->sxl);
    if (timed) {
        tm_walk_end(m, slot);
        r->cycles = (uint32_t)(m->tm.t - t0);
    }
}
