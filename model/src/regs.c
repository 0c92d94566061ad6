/*
 * regs.c - the memory-mapped register interface (spec chapter "Memory-mapped
 * register interface"). Register semantics are data: every register is a
 * reg_spec row with its offset, size, presence rule, RW / RW1C / RW1S masks
 * and optional WARL legaliser, side-effect hook and computed read. The
 * generic access path below applies the masks; behaviour lives in the hooks
 * of the files that own the concept (queues, interrupts, HPM, debug).
 */
#include "internal.h"

#define LO32 0x00000000FFFFFFFFull
#define HI32 0xFFFFFFFF00000000ull

/* ---- helpers ------------------------------------------------------------- */

static reg *reg_at(riommu *m, uint32_t off)
{
    int16_t s = m->slot[off / 4];
    return s < 0 ? NULL : &m->regs[s];
}
static const reg *reg_at_c(const riommu *m, uint32_t off)
{
    int16_t s = m->slot[off / 4];
    return s < 0 ? NULL : &m->regs[s];
}

/* Mask of PPN bits (in a register with PPN at 53:10) below 2^PAS. */
static uint64_t ppn_mask_pas(const riommu *m)
{
    unsigned pas = cap_pas(m);
    if (pas <= 12)
        return 0;
    unsigned top = pas - 12 + 10; /* first PPN bit position that is >= 2^PAS */
    if (top > 54)
        top = 54;
    return RIOMMU_GENMASK(top - 1, 10);
}

static bool queue_on_or_busy(const riommu *m, uint32_t csr_off)
{
    return (reg_get(m, csr_off) & (RIOMMU_CQCSR_CQEN | RIOMMU_CQCSR_CQON |
                                   RIOMMU_CQCSR_BUSY)) != 0;
}

/* ---- fctl ------------------------------------------------------------------ */

static void fctl_masks(const riommu *m, const reg_spec *s, uint64_t *rw,
                       uint64_t *w1c, uint64_t *w1s, uint64_t *reset)
{
    (void)s;
    (void)w1c;
    (void)w1s;
    unsigned igs = (unsigned)RIOMMU_FIELD_GET(cap(m), RIOMMU_CAP_IGS);
    *rw = 0;
    if (cap_has(m, RIOMMU_CAP_END))
        *rw |= RIOMMU_FCTL_BE;
    if (igs == RIOMMU_IGS_BOTH)
        *rw |= RIOMMU_FCTL_WSI;
    if (m->cfg.fctl_gxl_writable)
        *rw |= RIOMMU_FCTL_GXL;
    uint64_t v = m->cfg.fctl_reset & (RIOMMU_FCTL_BE | RIOMMU_FCTL_WSI | RIOMMU_FCTL_GXL);
    if (igs == RIOMMU_IGS_WSI)
        v |= RIOMMU_FCTL_WSI;
    if (igs == RIOMMU_IGS_MSI)
        v &= ~(uint64_t)RIOMMU_FCTL_WSI;
    if (!m->cfg.fctl_gxl_writable)
        v &= ~(uint64_t)RIOMMU_FCTL_GXL;
    *reset = v;
}

/* Implementation choice: fctl changes are accepted only while ddtp is Off or
 * Bare and every queue is off (the spec leaves other cases UNSPECIFIED). */
static uint64_t fctl_legalize(riommu *m, const reg_spec *s, uint64_t old,
                              uint64_t v, uint64_t wb)
{
    (void)s;
    (void)wb;
    unsigned mode = (unsigned)(reg_get(m, RIOMMU_REG_DDTP) & RIOMMU_DDTP_MODE);
    if (mode > RIOMMU_DDTP_MODE_BARE || queue_on_or_busy(m, RIOMMU_REG_CQCSR) ||
        queue_on_or_busy(m, RIOMMU_REG_FQCSR) || queue_on_or_busy(m, RIOMMU_REG_PQCSR))
        return old;
    return v;
}

static void fctl_after(riommu *m, const reg_spec *s, uint64_t old, uint64_t now,
                       uint64_t wb)
{
    (void)s;
    (void)wb;
    if ((old ^ now) & RIOMMU_FCTL_WSI)
        intr_update(m);
}

/* ---- ddtp ------------------------------------------------------------------ */

static void ddtp_masks(const riommu *m, const reg_spec *s, uint64_t *rw,
                       uint64_t *w1c, uint64_t *w1s, uint64_t *reset)
{
    (void)s;
    (void)w1c;
    (void)w1s;
    *rw = RIOMMU_DDTP_MODE;
    uint64_t ppn = 0;
    if (m->cfg.ddtp_fixed_ppn)
        ppn = (m->cfg.ddtp_fixed_ppn << 10) & RIOMMU_DDTP_PPN;
    else
        *rw |= ppn_mask_pas(m);
    *reset = ppn | (m->cfg.ddtp_reset_mode & RIOMMU_DDTP_MODE);
}

static bool ddtp_mode_supported(const riommu *m, unsigned mode)
{
    if (mode <= RIOMMU_DDTP_MODE_BARE)
        return true;
    if (mode > RIOMMU_DDTP_MODE_3LVL)
        return false;
    return (m->cfg.ddt_modes >> mode) & 1u;
}

/*
 * WARL rules (regs "ddtp"): an unsupported or reserved mode leaves the
 * register unchanged; a write while BUSY is ignored; xLVL -> another xLVL
 * (UNSPECIFIED) is ignored; xLVL -> Bare is accepted (Linux's shutdown does
 * it). A write that keeps the mode only updates the PPN.
 */
static uint64_t ddtp_legalize(riommu *m, const reg_spec *s, uint64_t old,
                              uint64_t v, uint64_t wb)
{
    (void)s;
    (void)wb;
    if (old & RIOMMU_DDTP_BUSY)
        return old;
    unsigned om = (unsigned)(old & RIOMMU_DDTP_MODE), nm = (unsigned)(v & RIOMMU_DDTP_MODE);
    if (nm == om)
        return v;
    if (!ddtp_mode_supported(m, nm))
        return old;
    if (om > RIOMMU_DDTP_MODE_BARE && nm > RIOMMU_DDTP_MODE_BARE)
        return old;
    return v;
}

static void ddtp_after(riommu *m, const reg_spec *s, uint64_t old, uint64_t now,
                       uint64_t wb)
{
    (void)s;
    (void)wb;
    if (((old ^ now) & RIOMMU_DDTP_MODE) == 0)
        return;
    if (m->cfg.timing.ddtp_busy == 0)
        return;
    reg_set(m, RIOMMU_REG_DDTP, now | RIOMMU_DDTP_BUSY);
    busy_start(m, &m->ddtp_busy, m->now + m->cfg.timing.ddtp_busy);
}

/* ---- queue base / index registers ----------------------------------------- */

static uint8_t qb_max(const riommu *m, uint32_t off)
{
    if (off == RIOMMU_REG_CQB)
        return m->cfg.cq_max_log2szm1;
    if (off == RIOMMU_REG_FQB)
        return m->cfg.fq_max_log2szm1;
    return m->cfg.pq_max_log2szm1;
}
static uint64_t qb_fixed(const riommu *m, uint32_t off)
{
    if (off == RIOMMU_REG_CQB)
        return m->cfg.cq_fixed_ppn;
    if (off == RIOMMU_REG_FQB)
        return m->cfg.fq_fixed_ppn;
    return m->cfg.pq_fixed_ppn;
}
static uint32_t qb_csr(uint32_t off)
{
    return off == RIOMMU_REG_CQB ? RIOMMU_REG_CQCSR
           : off == RIOMMU_REG_FQB ? RIOMMU_REG_FQCSR
                                   : RIOMMU_REG_PQCSR;
}

static void qb_masks(const riommu *m, const reg_spec *s, uint64_t *rw,
                     uint64_t *w1c, uint64_t *w1s, uint64_t *reset)
{
    (void)w1c;
    (void)w1s;
    *rw = RIOMMU_QB_LOG2SZ;
    uint64_t fixed = qb_fixed(m, s->off);
    if (fixed)
        *reset = (fixed << 10) & RIOMMU_QB_PPN;
    else {
        *rw |= ppn_mask_pas(m);
        *reset = 0;
    }
}

/* LOG2SZ-1 is WARL up to the configured maximum; writes while the queue is
 * on or BUSY are ignored (UNSPECIFIED in the spec). */
static uint64_t qb_legalize(riommu *m, const reg_spec *s, uint64_t old,
                            uint64_t v, uint64_t wb)
{
    (void)wb;
    if (queue_on_or_busy(m, qb_csr(s->off)))
        return old;
    uint8_t mx = qb_max(m, s->off);
    if ((v & RIOMMU_QB_LOG2SZ) > mx)
        v = (v & ~RIOMMU_QB_LOG2SZ) | mx;
    return v;
}

/* After a base write, bits of the index registers at or above LOG2SZ are 0;
 * the bits below keep their value, or are 0 too with qb_write_clears_index
 * (spec regs cqb/fqb/pqb: "valid but otherwise UNSPECIFIED"). */
static void qb_after(riommu *m, const reg_spec *s, uint64_t old, uint64_t now,
                     uint64_t wb)
{
    (void)old;
    (void)now;
    (void)wb;
    uint32_t h = s->off + 8, t = s->off + 12; /* head, tail offsets */
    uint32_t mask = m->cfg.qb_write_clears_index ? 0 : queue_mask(m, s->off);
    reg_set(m, h, reg_get(m, h) & mask);
    reg_set(m, t, reg_get(m, t) & mask);
}

/* cqt, fqh, pqh: only bits LOG2SZ-1:0 are writable. */
static uint64_t qidx_legalize(riommu *m, const reg_spec *s, uint64_t old,
                              uint64_t v, uint64_t wb)
{
    (void)old;
    (void)wb;
    uint32_t base = s->off == RIOMMU_REG_CQT   ? RIOMMU_REG_CQB
                    : s->off == RIOMMU_REG_FQH ? RIOMMU_REG_FQB
                                               : RIOMMU_REG_PQB;
    return v & queue_mask(m, base);
}

static void cqt_after(riommu *m, const reg_spec *s, uint64_t old, uint64_t now,
                      uint64_t wb)
{
    (void)s;
    (void)old;
    (void)now;
    (void)wb;
    cmdq_schedule(m);
}

/* ---- queue CSRs -------------------------------------------------------------- */

static queue_pending *csr_busy(riommu *m, uint32_t off)
{
    return off == RIOMMU_REG_CQCSR ? &m->cq_busy
           : off == RIOMMU_REG_FQCSR ? &m->fq_busy
                                     : &m->pq_busy;
}

/* Writes while BUSY are ignored (the spec allows ignoring them). */
static uint64_t qcsr_legalize(riommu *m, const reg_spec *s, uint64_t old,
                              uint64_t v, uint64_t wb)
{
    (void)m;
    (void)s;
    (void)wb;
    if (old & RIOMMU_CQCSR_BUSY)
        return old;
    return v;
}

/* Complete an enable/disable: ON follows EN. Called at the write when
 * timing.qcsr_busy is 0, else when the BUSY window ends. */
void qcsr_settle_on(riommu *m, uint32_t off)
{
    uint64_t v = reg_get(m, off) & ~(uint64_t)RIOMMU_CQCSR_BUSY;
    if (v & RIOMMU_CQCSR_CQEN) /* en bit 0, on bit 16 in all three CSRs */
        v |= RIOMMU_CQCSR_CQON;
    else
        v &= ~(uint64_t)RIOMMU_CQCSR_CQON;
    reg_set(m, off, v);
    busy_end(m, csr_busy(m, off));
    if (off == RIOMMU_REG_CQCSR)
        cmdq_schedule(m);
}

static void qcsr_after(riommu *m, const reg_spec *s, uint64_t old, uint64_t now,
                       uint64_t wb)
{
    (void)wb;
    uint64_t v = now;
    bool toggled = ((old ^ now) & RIOMMU_CQCSR_CQEN) != 0;
    if (toggled && (now & RIOMMU_CQCSR_CQEN)) {
        /* 0 -> 1: reset the IOMMU-owned index and the error bits. */
        if (s->off == RIOMMU_REG_CQCSR) {
            reg_set(m, RIOMMU_REG_CQH, 0);
            v &= ~(uint64_t)(RIOMMU_CQCSR_CQMF | RIOMMU_CQCSR_CMD_TO |
                             RIOMMU_CQCSR_CMD_ILL | RIOMMU_CQCSR_FENCE_W_IP);
        } else if (s->off == RIOMMU_REG_FQCSR) {
            reg_set(m, RIOMMU_REG_FQT, 0);
            v &= ~(uint64_t)(RIOMMU_FQCSR_FQMF | RIOMMU_FQCSR_FQOF);
        } else {
            reg_set(m, RIOMMU_REG_PQT, 0);
            v &= ~(uint64_t)(RIOMMU_PQCSR_PQMF | RIOMMU_PQCSR_PQOF);
        }
    }
    reg_set(m, s->off, v);
    if (toggled) {
        if (m->cfg.timing.qcsr_busy == 0) {
            qcsr_settle_on(m, s->off);
        } else {
            reg_set(m, s->off, v | RIOMMU_CQCSR_BUSY);
            busy_start(m, csr_busy(m, s->off), m->now + m->cfg.timing.qcsr_busy);
        }
    }
    if (s->off == RIOMMU_REG_CQCSR)
        cmdq_schedule(m);
    intr_update(m);
}

/* ---- ipsr ------------------------------------------------------------------------ */

static void ipsr_after(riommu *m, const reg_spec *s, uint64_t old, uint64_t now,
                       uint64_t wb)
{
    (void)s;
    (void)old;
    (void)now;
    (void)wb;
    intr_update(m); /* conditions still present set the bits again */
}

/* ---- HPM ------------------------------------------------------------------------- */

/* The count as of now: the register holds it as of hpm_cy_at, and it does
 * not wrap before hpm_cy_due > now (struct riommu), so the sum stays below
 * 2^63. */
static uint64_t iohpmcycles_read(const riommu *m, const reg_spec *s)
{
    uint64_t v = reg_get(m, s->off);
    if (m->hpm_cy_slot < 0)
        return v;
    return (v & RIOMMU_IOHPMCYCLES_OF) |
           ((v & ~RIOMMU_IOHPMCYCLES_OF) + (m->now - m->hpm_cy_at));
}

static uint64_t iocountovf_read(const riommu *m, const reg_spec *s)
{
    (void)s;
    uint64_t v = (reg_get(m, RIOMMU_REG_IOHPMCYCLES) & RIOMMU_IOHPMCYCLES_OF) ? 1 : 0;
    for (unsigned i = 1; i <= m->cfg.hpm_counters; i++)
        if (reg_get(m, RIOMMU_REG_IOHPMEVT(i)) & RIOMMU_IOHPMEVT_OF)
            v |= 1ull << i;
    return v;
}

static void iocountinh_masks(const riommu *m, const reg_spec *s, uint64_t *rw,
                             uint64_t *w1c, uint64_t *w1s, uint64_t *reset)
{
    (void)s;
    (void)w1c;
    (void)w1s;
    *rw = RIOMMU_GENMASK(m->cfg.hpm_counters, 0);
    *reset = 0;
}

static void hpmctr_masks(const riommu *m, const reg_spec *s, uint64_t *rw,
                         uint64_t *w1c, uint64_t *w1s, uint64_t *reset)
{
    (void)w1c;
    (void)w1s;
    *reset = 0;
    *rw = s->index <= m->cfg.hpm_counters
              ? RIOMMU_GENMASK(m->cfg.hpm_counter_bits - 1u, 0)
              : 0;
}

static void hpmevt_masks(const riommu *m, const reg_spec *s, uint64_t *rw,
                         uint64_t *w1c, uint64_t *w1s, uint64_t *reset)
{
    (void)w1c;
    (void)w1s;
    *reset = 0;
    *rw = s->index <= m->cfg.hpm_counters ? ~0ull : 0;
}

/* eventID is WARL: unsupported event IDs (reserved and custom) read 0. */
static uint64_t hpmevt_legalize(riommu *m, const reg_spec *s, uint64_t old,
                                uint64_t v, uint64_t wb)
{
    (void)m;
    (void)s;
    (void)old;
    (void)wb;
    if (RIOMMU_FIELD_GET(v, RIOMMU_IOHPMEVT_EVENTID) > HPM_EV_MAX)
        v &= ~RIOMMU_IOHPMEVT_EVENTID;
    return v;
}

/* ---- debug interface ---------------------------------------------------------- */

static uint64_t trctl_legalize(riommu *m, const reg_spec *s, uint64_t old,
                               uint64_t v, uint64_t wb)
{
    (void)m;
    (void)s;
    (void)wb;
    if (old & RIOMMU_TR_REQ_CTL_GO_BUSY) /* modifications while busy: ignored */
        return old;
    return v;
}

static void trctl_after(riommu *m, const reg_spec *s, uint64_t old, uint64_t now,
                        uint64_t wb)
{
    (void)s;
    (void)wb;
    if (!(old & RIOMMU_TR_REQ_CTL_GO_BUSY) && (now & RIOMMU_TR_REQ_CTL_GO_BUSY))
        debug_start(m);
}

/* ---- QoS ------------------------------------------------------------------------- */

static void qosid_masks(const riommu *m, const reg_spec *s, uint64_t *rw,
                        uint64_t *w1c, uint64_t *w1s, uint64_t *reset)
{
    (void)s;
    (void)w1c;
    (void)w1s;
    *rw = 0;
    if (m->cfg.rcid_bits)
        *rw |= RIOMMU_GENMASK(m->cfg.rcid_bits - 1u, 0);
    if (m->cfg.mcid_bits)
        *rw |= RIOMMU_GENMASK(16u + m->cfg.mcid_bits - 1u, 16);
    *reset = 0; /* RCID must reset to 0 when ddtp resets to Bare */
}

/* ---- icvec ------------------------------------------------------------------------ */

/* Each 4-bit vector field keeps only the bits needed to number the
 * configured vectors; a result at or above num_vectors becomes
 * num_vectors - 1. With one vector the register is hard-wired to 0. */
static uint64_t icvec_legalize(riommu *m, const reg_spec *s, uint64_t old,
                               uint64_t v, uint64_t wb)
{
    (void)s;
    (void)old;
    (void)wb;
    unsigned n = m->cfg.num_vectors, bits = 0;
    while ((1u << bits) < n)
        bits++;
    uint64_t out = 0;
    for (unsigned f = 0; f < 4; f++) {
        unsigned x = (unsigned)(v >> (4 * f)) & ((1u << bits) - 1u);
        if (x >= n)
            x = n - 1;
        out |= (uint64_t)x << (4 * f);
    }
    return out;
}

static void icvec_after(riommu *m, const reg_spec *s, uint64_t old, uint64_t now,
                        uint64_t wb)
{
    (void)s;
    (void)old;
    (void)now;
    (void)wb;
    intr_update(m);
}

/* ---- msi_cfg_tbl ------------------------------------------------------------------- */

static void msi_masks(const riommu *m, const reg_spec *s, uint64_t *rw,
                      uint64_t *w1c, uint64_t *w1s, uint64_t *reset)
{
    (void)w1c;
    (void)w1s;
    bool impl = s->index < m->cfg.num_vectors;
    uint32_t rel = (s->off - RIOMMU_REG_MSI_CFG_TBL) % 16u;
    *reset = 0;
    if (!impl) {
        *rw = 0;
        return;
    }
    if (rel == 0)
        *rw = RIOMMU_MSI_ADDR_MASK;
    else if (rel == 8)
        *rw = 0xFFFFFFFFull;
    else {
        *rw = RIOMMU_MSI_VEC_CTL_M;
        *reset = RIOMMU_MSI_VEC_CTL_M; /* masked at reset, as PCIe MSI-X */
    }
}

static void msi_ctl_after(riommu *m, const reg_spec *s, uint64_t old, uint64_t now,
                          uint64_t wb)
{
    (void)wb;
    if ((old & RIOMMU_MSI_VEC_CTL_M) && !(now & RIOMMU_MSI_VEC_CTL_M))
        intr_vector_unmasked(m, s->index);
}

/* ---- the table ------------------------------------------------------------------ */

#define RO(nm, o, sz, pres) {nm, o, sz, 0, pres, 0, 0, 0, NULL, NULL, NULL, NULL}

static const reg_spec fixed_regs[] = {
    {"capabilities", RIOMMU_REG_CAPABILITIES, 8, 0, REG_ALWAYS, 0, 0, 0, NULL, NULL,
     NULL, NULL},
    {"fctl", RIOMMU_REG_FCTL, 4, 0, REG_ALWAYS, 0, 0, 0, fctl_masks, fctl_legalize,
     fctl_after, NULL},
    {"ddtp", RIOMMU_REG_DDTP, 8, 0, REG_ALWAYS, 0, 0, 0, ddtp_masks, ddtp_legalize,
     ddtp_after, NULL},
    {"cqb", RIOMMU_REG_CQB, 8, 0, REG_ALWAYS, 0, 0, 0, qb_masks, qb_legalize, qb_after,
     NULL},
    RO("cqh", RIOMMU_REG_CQH, 4, REG_ALWAYS),
    {"cqt", RIOMMU_REG_CQT, 4, 0, REG_ALWAYS, 0xFFFFFFFFull, 0, 0, NULL, qidx_legalize,
     cqt_after, NULL},
    {"fqb", RIOMMU_REG_FQB, 8, 0, REG_ALWAYS, 0, 0, 0, qb_masks, qb_legalize, qb_after,
     NULL},
    {"fqh", RIOMMU_REG_FQH, 4, 0, REG_ALWAYS, 0xFFFFFFFFull, 0, 0, NULL, qidx_legalize,
     NULL, NULL},
    RO("fqt", RIOMMU_REG_FQT, 4, REG_ALWAYS),
    {"pqb", RIOMMU_REG_PQB, 8, 0, REG_IF_ATS, 0, 0, 0, qb_masks, qb_legalize, qb_after,
     NULL},
    {"pqh", RIOMMU_REG_PQH, 4, 0, REG_IF_ATS, 0xFFFFFFFFull, 0, 0, NULL, qidx_legalize,
     NULL, NULL},
    RO("pqt", RIOMMU_REG_PQT, 4, REG_IF_ATS),
    {"cqcsr", RIOMMU_REG_CQCSR, 4, 0, REG_ALWAYS, RIOMMU_CQCSR_CQEN | RIOMMU_CQCSR_CIE,
     RIOMMU_CQCSR_CQMF | RIOMMU_CQCSR_CMD_TO | RIOMMU_CQCSR_CMD_ILL |
         RIOMMU_CQCSR_FENCE_W_IP,
     0, NULL, qcsr_legalize, qcsr_after, NULL},
    {"fqcsr", RIOMMU_REG_FQCSR, 4, 0, REG_ALWAYS, RIOMMU_FQCSR_FQEN | RIOMMU_FQCSR_FIE,
     RIOMMU_FQCSR_FQMF | RIOMMU_FQCSR_FQOF, 0, NULL, qcsr_legalize, qcsr_after, NULL},
    {"pqcsr", RIOMMU_REG_PQCSR, 4, 0, REG_IF_ATS, RIOMMU_PQCSR_PQEN | RIOMMU_PQCSR_PIE,
     RIOMMU_PQCSR_PQMF | RIOMMU_PQCSR_PQOF, 0, NULL, qcsr_legalize, qcsr_after, NULL},
    {"ipsr", RIOMMU_REG_IPSR, 4, 0, REG_ALWAYS, 0,
     RIOMMU_IPSR_CIP | RIOMMU_IPSR_FIP | RIOMMU_IPSR_PMIP | RIOMMU_IPSR_PIP, 0, NULL,
     NULL, ipsr_after, NULL},
    {"iocountovf", RIOMMU_REG_IOCOUNTOVF, 4, 0, REG_IF_HPM, 0, 0, 0, NULL, NULL, NULL,
     iocountovf_read},
    {"iocountinh", RIOMMU_REG_IOCOUNTINH, 4, 0, REG_IF_HPM, 0, 0, 0, iocountinh_masks,
     NULL, NULL, NULL},
    {"iohpmcycles", RIOMMU_REG_IOHPMCYCLES, 8, 0, REG_IF_HPM, ~0ull, 0, 0, NULL, NULL,
     NULL, iohpmcycles_read},
    {"tr_req_iova", RIOMMU_REG_TR_REQ_IOVA, 8, 0, REG_IF_DBG, RIOMMU_TR_REQ_IOVA_VPN, 0,
     0, NULL, NULL, NULL, NULL},
    {"tr_req_ctl", RIOMMU_REG_TR_REQ_CTL, 8, 0, REG_IF_DBG,
     RIOMMU_TR_REQ_CTL_PRIV | RIOMMU_TR_REQ_CTL_EXE | RIOMMU_TR_REQ_CTL_NW |
         RIOMMU_TR_REQ_CTL_PID | RIOMMU_TR_REQ_CTL_PV | RIOMMU_TR_REQ_CTL_DID,
     0, RIOMMU_TR_REQ_CTL_GO_BUSY, NULL, trctl_legalize, trctl_after, NULL},
    RO("tr_response", RIOMMU_REG_TR_RESPONSE, 8, REG_IF_DBG),
    {"iommu_qosid", RIOMMU_REG_IOMMU_QOSID, 4, 0, REG_IF_QOSID, 0, 0, 0, qosid_masks,
     NULL, NULL, NULL},
    {"icvec", RIOMMU_REG_ICVEC, 8, 0, REG_ALWAYS, RIOMMU_GENMASK(15, 0), 0, 0, NULL,
     icvec_legalize, icvec_after, NULL},
};

#define HPMCTR(n)                                                                  \
    {"iohpmctr" #n, (uint16_t)RIOMMU_REG_IOHPMCTR(n), 8, n, REG_IF_HPM, 0, 0, 0,   \
     hpmctr_masks, NULL, NULL, NULL}
#define HPMEVT(n)                                                                  \
    {"iohpmevt" #n, (uint16_t)RIOMMU_REG_IOHPMEVT(n), 8, n, REG_IF_HPM, 0, 0, 0,   \
     hpmevt_masks, hpmevt_legalize, NULL, NULL}
#define HPM8(F, a, b, c, d, e, f, g, h) F(a), F(b), F(c), F(d), F(e), F(f), F(g), F(h)

static const reg_spec hpm_regs[] = {
    HPM8(HPMCTR, 1, 2, 3, 4, 5, 6, 7, 8),         HPM8(HPMCTR, 9, 10, 11, 12, 13, 14, 15, 16),
    HPM8(HPMCTR, 17, 18, 19, 20, 21, 22, 23, 24), HPMCTR(25), HPMCTR(26), HPMCTR(27),
    HPMCTR(28), HPMCTR(29), HPMCTR(30), HPMCTR(31),
    HPM8(HPMEVT, 1, 2, 3, 4, 5, 6, 7, 8),         HPM8(HPMEVT, 9, 10, 11, 12, 13, 14, 15, 16),
    HPM8(HPMEVT, 17, 18, 19, 20, 21, 22, 23, 24), HPMEVT(25), HPMEVT(26), HPMEVT(27),
    HPMEVT(28), HPMEVT(29), HPMEVT(30), HPMEVT(31),
};

#define MSIE(i)                                                                    \
    {"msi_addr_" #i, (uint16_t)RIOMMU_REG_MSI_ADDR(i), 8, i, REG_IF_MSI, 0, 0, 0,  \
     msi_masks, NULL, NULL, NULL},                                                 \
    {"msi_data_" #i, (uint16_t)RIOMMU_REG_MSI_DATA(i), 4, i, REG_IF_MSI, 0, 0, 0,  \
     msi_masks, NULL, NULL, NULL},                                                 \
    {"msi_vec_ctl_" #i, (uint16_t)RIOMMU_REG_MSI_VEC_CTL(i), 4, i, REG_IF_MSI, 0,  \
     0, 0, msi_masks, NULL, msi_ctl_after, NULL}

static const reg_spec msi_regs[] = {
    MSIE(0), MSIE(1), MSIE(2),  MSIE(3),  MSIE(4),  MSIE(5),  MSIE(6),  MSIE(7),
    MSIE(8), MSIE(9), MSIE(10), MSIE(11), MSIE(12), MSIE(13), MSIE(14), MSIE(15),
};

static bool presence_ok(const riommu *m, reg_presence p)
{
    switch (p) {
    case REG_ALWAYS:
        return true;
    case REG_IF_ATS:
        return cap_has(m, RIOMMU_CAP_ATS);
    case REG_IF_HPM:
        return cap_has(m, RIOMMU_CAP_HPM);
    case REG_IF_DBG:
        return cap_has(m, RIOMMU_CAP_DBG);
    case REG_IF_QOSID:
        return cap_has(m, RIOMMU_CAP_QOSID);
    case REG_IF_MSI:
        return RIOMMU_FIELD_GET(cap(m), RIOMMU_CAP_IGS) != RIOMMU_IGS_WSI;
    }
    return false;
}

static void add_regs(riommu *m, const reg_spec *t, unsigned n)
{
    for (unsigned i = 0; i < n; i++) {
        reg *r = &m->regs[m->nregs];
        r->spec = &t[i];
        r->present = presence_ok(m, t[i].presence);
        r->rw = t[i].rw;
        r->w1c = t[i].w1c;
        r->w1s = t[i].w1s;
        r->reset = 0;
        if (t[i].masks)
            t[i].masks(m, &t[i], &r->rw, &r->w1c, &r->w1s, &r->reset);
        if (t[i].off == RIOMMU_REG_CAPABILITIES)
            r->reset = cap(m);
        if (!r->present) {
            r->rw = r->w1c = r->w1s = r->reset = 0;
        }
        for (unsigned w = 0; w < t[i].size / 4u; w++)
            m->slot[t[i].off / 4u + w] = (int16_t)m->nregs;
        m->nregs++;
    }
}

_Static_assert(sizeof fixed_regs / sizeof fixed_regs[0] + sizeof hpm_regs / sizeof hpm_regs[0] +
                       sizeof msi_regs / sizeof msi_regs[0] <=
                   REG_MAX,
               "REG_MAX too small for the register table");

void regs_init(riommu *m)
{
    for (unsigned i = 0; i < RIOMMU_REG_WINDOW_SIZE / 4; i++)
        m->slot[i] = -1;
    m->nregs = 0;
    add_regs(m, fixed_regs, sizeof fixed_regs / sizeof fixed_regs[0]);
    add_regs(m, hpm_regs, sizeof hpm_regs / sizeof hpm_regs[0]);
    add_regs(m, msi_regs, sizeof msi_regs / sizeof msi_regs[0]);
}

void regs_reset(riommu *m)
{
    for (unsigned i = 0; i < m->nregs; i++)
        m->regs[i].val = m->regs[i].reset;
    hpm_refresh(m);
}

const char *riommu_reg_name(uint32_t off)
{
    /* Names do not depend on the configuration: search the static tables. */
    static const struct {
        const reg_spec *t;
        unsigned n;
    } tabs[] = {{fixed_regs, sizeof fixed_regs / sizeof fixed_regs[0]},
                {hpm_regs, sizeof hpm_regs / sizeof hpm_regs[0]},
                {msi_regs, sizeof msi_regs / sizeof msi_regs[0]}};
    for (unsigned k = 0; k < 3; k++)
        for (unsigned i = 0; i < tabs[k].n; i++)
            if (off >= tabs[k].t[i].off && off < tabs[k].t[i].off + tabs[k].t[i].size)
                return tabs[k].t[i].name;
    return NULL;
}

/* ---- access path ------------------------------------------------------------------ */

static uint64_t reg_read_value(const riommu *m, const reg *r)
{
    if (!r->present)
        return 0;
    if (r->spec->read)
        return r->spec->read(m, r->spec);
    return r->val;
}

static void reg_write_value(riommu *m, reg *r, uint64_t val, uint64_t wbytes)
{
    if (!r->present)
        return;
    uint64_t old = r->val;
    uint64_t v = (old & ~(r->rw & wbytes)) | (val & r->rw & wbytes);
    v &= ~(val & r->w1c & wbytes);
    v |= val & r->w1s & wbytes;
    if (r->spec->legalize)
        v = r->spec->legalize(m, r->spec, old, v, wbytes);
    r->val = v;
    if (r->spec->after_write)
        r->spec->after_write(m, r->spec, old, v, wbytes);
}

/* Access of one 4-byte word or one whole 8-byte register. */
static void access_word(riommu *m, uint32_t off, unsigned size, bool wr, uint64_t *val)
{
    reg *r = reg_at(m, off);
    if (!r) {
        if (!wr)
            *val = 0;
        return;
    }
    unsigned sh = 0;
    uint64_t lanes = ~0ull;
    if (r->spec->size == 8 && size == 4) {
        sh = (off - r->spec->off) * 8u;
        lanes = sh ? HI32 : LO32;
    } else if (r->spec->size == 4) {
        lanes = LO32;
    }
    if (wr)
        reg_write_value(m, r, (*val << sh) & lanes, lanes);
    else
        *val = (reg_read_value(m, r) & lanes) >> sh;
}

static riommu_mmio_status check_access(riommu *m, uint32_t off, unsigned size)
{
    if (size != 4 && size != 8)
        return RIOMMU_MMIO_BAD_SIZE;
    if (off & (size - 1u))
        return RIOMMU_MMIO_MISALIGNED;
    if (off >= RIOMMU_REG_WINDOW_SIZE || RIOMMU_REG_WINDOW_SIZE - off < size)
        return RIOMMU_MMIO_OUT_OF_RANGE;
    if (size == 8) {
        int16_t a = m->slot[off / 4], b = m->slot[off / 4 + 1];
        if (a != b && a >= 0 && b >= 0) {
            /* Two 4-byte registers: allowed only for an msi_cfg_tbl entry's
             * data + vector control pair (PCIe MSI-X QWORD access). */
            if (!(off >= RIOMMU_REG_MSI_CFG_TBL && off < RIOMMU_REG_MSI_CFG_TBL + 256))
                return RIOMMU_MMIO_SPANS_REGS;
        }
    }
    return RIOMMU_MMIO_OK;
}

riommu_mmio_status riommu_mmio_read(riommu *m, uint32_t off, unsigned size,
                                    uint64_t *val)
{
    *val = 0;
    riommu_mmio_status st = check_access(m, off, size);
    if (st != RIOMMU_MMIO_OK) {
        m->st.mmio_errors++;
        return st;
    }
    m->st.mmio_reads++;
    const reg *r = reg_at(m, off);
    if (size == 8 && r && r->spec->size == 8) {
        access_word(m, off, 8, false, val);
    } else if (size == 8) {
        uint64_t lo = 0, hi = 0;
        access_word(m, off, 4, false, &lo);
        access_word(m, off + 4, 4, false, &hi);
        *val = (lo & LO32) | (hi << 32);
    } else {
        access_word(m, off, 4, false, val);
    }
    return RIOMMU_MMIO_OK;
}

riommu_mmio_status riommu_mmio_write(riommu *m, uint32_t off, unsigned size, uint64_t val)
{
    riommu_mmio_status st = check_access(m, off, size);
    if (st != RIOMMU_MMIO_OK) {
        m->st.mmio_errors++;
        return st;
    }
    m->st.mmio_writes++;
    const bool hpm = off + size > RIOMMU_REG_IOCOUNTINH && off < RIOMMU_REG_IOHPMEVT(31) + 8;
    if (hpm)
        hpm_cycles_sync(m); /* the write merges with, or stops, the count as of now */
    const reg *r = reg_at(m, off);
    if (size == 4)
        val &= LO32;
    if (size == 8 && r && r->spec->size == 8) {
        access_word(m, off, 8, true, &val);
    } else if (size == 8) {
        uint64_t lo = val & LO32, hi = val >> 32;
        access_word(m, off, 4, true, &lo);
        access_word(m, off + 4, 4, true, &hi);
    } else {
        access_word(m, off, 4, true, &val);
    }
    if (hpm)
        hpm_refresh(m); /* event selection or inhibits may have changed */
    if (m->cfg.synchronous)
        riommu_settle(m);
    return RIOMMU_MMIO_OK;
}

uint64_t riommu_peek_reg(const riommu *m, uint32_t off)
{
    if (off >= RIOMMU_REG_WINDOW_SIZE)
        return 0;
    const reg *r = reg_at_c(m, off);
    if (!r)
        return 0;
    uint64_t v = reg_read_value(m, r);
    if (r->spec->size == 8 && off != r->spec->off)
        v >>= 32;
    return v;
}
