/*
 * ddt.c - the device directory (ds "Device-Directory-Table (DDT)",
 * "Process to locate the Device-context", "Device-context configuration
 * checks").
 *
 * The DDT walk reads non-leaf entries (8 bytes: V, PPN) and the leaf device
 * context (32 bytes base format, 64 bytes extended when
 * capabilities.MSI_FLAT) in fctl.BE byte order. Only valid, well-formed
 * contexts are cached in the DDTC.
 */
#include "internal.h"

/* DDI split (ds "Base/Extended format device_id partitioning"). */
static void ddi_split(const riommu *m, uint32_t did, uint32_t ddi[3])
{
    if (cap_has(m, RIOMMU_CAP_MSI_FLAT)) {
        ddi[0] = did & 0x3F;
        ddi[1] = (did >> 6) & 0x1FF;
        ddi[2] = (did >> 15) & 0x1FF;
    } else {
        ddi[0] = did & 0x7F;
        ddi[1] = (did >> 7) & 0x1FF;
        ddi[2] = (did >> 16) & 0xFF;
    }
}

bool ddt_device_id_fits(const riommu *m, uint32_t device_id)
{
    uint32_t ddi[3];
    if (device_id > 0xFFFFFFu)
        return false;
    unsigned mode = (unsigned)(reg_get(m, RIOMMU_REG_DDTP) & RIOMMU_DDTP_MODE);
    if (mode == RIOMMU_DDTP_MODE_3LVL)
        return true; /* three levels hold every 24-bit device_id */
    ddi_split(m, device_id, ddi);
    if (mode == RIOMMU_DDTP_MODE_2LVL && ddi[2] != 0)
        return false;
    if (mode == RIOMMU_DDTP_MODE_1LVL && (ddi[2] != 0 || ddi[1] != 0))
        return false;
    return true;
}

/* Is iosatp.MODE (or PC.fsc.MODE) a supported first-stage mode for SXL? */
static bool s1_mode_ok(const riommu *m, unsigned mode, bool sxl, bool *valid_encoding)
{
    if (sxl) {
        *valid_encoding = mode == RIOMMU_IOSATP_MODE_BARE || mode == 8;
        if (mode == 8)
            return cap_has(m, RIOMMU_CAP_SV32);
        return mode == RIOMMU_IOSATP_MODE_BARE;
    }
    *valid_encoding = mode == RIOMMU_IOSATP_MODE_BARE || (mode >= 8 && mode <= 10);
    switch (mode) {
    case RIOMMU_IOSATP_MODE_BARE:
        return true;
    case RIOMMU_IOSATP_MODE_SV39:
        return cap_has(m, RIOMMU_CAP_SV39);
    case RIOMMU_IOSATP_MODE_SV48:
        return cap_has(m, RIOMMU_CAP_SV48);
    case RIOMMU_IOSATP_MODE_SV57:
        return cap_has(m, RIOMMU_CAP_SV57);
    default:
        return false;
    }
}

static bool s2_mode_ok(const riommu *m, unsigned mode, bool gxl)
{
    if (mode == RIOMMU_IOHGATP_MODE_BARE)
        return true;
    if (gxl)
        return mode == 8 && cap_has(m, RIOMMU_CAP_SV32X4);
    switch (mode) {
    case RIOMMU_IOHGATP_MODE_SV39X4:
        return cap_has(m, RIOMMU_CAP_SV39X4);
    case RIOMMU_IOHGATP_MODE_SV48X4:
        return cap_has(m, RIOMMU_CAP_SV48X4);
    case RIOMMU_IOHGATP_MODE_SV57X4:
        return cap_has(m, RIOMMU_CAP_SV57X4);
    default:
        return false;
    }
}

/* MGPAW (ds "MSI address mask and pattern"). */
static unsigned mgpaw(const riommu *m)
{
    if (cap_has(m, RIOMMU_CAP_SV57X4))
        return 59;
    if (cap_has(m, RIOMMU_CAP_SV48X4))
        return 50;
    if (cap_has(m, RIOMMU_CAP_SV39X4))
        return 41;
    if (cap_has(m, RIOMMU_CAP_SV32X4))
        return 34;
    return cap_pas(m);
}

uint16_t ddt_dc_check(const riommu *m, const riommu_dc *dc)
{
    const uint16_t BAD = RIOMMU_CAUSE_DDT_MISCONFIGURED;
    uint64_t tc = dc->tc;
    uint64_t fctl = reg_get(m, RIOMMU_REG_FCTL);
    bool ats = cap_has(m, RIOMMU_CAP_ATS);
    bool en_ats = tc & RIOMMU_DC_TC_EN_ATS, en_pri = tc & RIOMMU_DC_TC_EN_PRI;
    bool t2gpa = tc & RIOMMU_DC_TC_T2GPA, prpr = tc & RIOMMU_DC_TC_PRPR;
    bool pdtv = tc & RIOMMU_DC_TC_PDTV, sxl = tc & RIOMMU_DC_TC_SXL;
    bool gxl = fctl & RIOMMU_FCTL_GXL;
    unsigned hgmode = (unsigned)RIOMMU_FIELD_GET(dc->iohgatp, RIOMMU_IOHGATP_MODE);
    unsigned fmode = (unsigned)RIOMMU_FIELD_GET(dc->fsc, RIOMMU_FSC_MODE);

    /* 1. reserved bits and encodings */
    if (tc & RIOMMU_DC_TC_RESERVED)
        return BAD;
    if (dc->ta & RIOMMU_DC_TA_RESERVED)
        return BAD;
    if (!cap_has(m, RIOMMU_CAP_QOSID) && (dc->ta & (RIOMMU_DC_TA_RCID | RIOMMU_DC_TA_MCID)))
        return BAD;
    if (dc->fsc & RIOMMU_FSC_RESERVED)
        return BAD;
    if (cap_has(m, RIOMMU_CAP_MSI_FLAT)) {
        unsigned w = mgpaw(m);
        uint64_t mres = RIOMMU_GENMASK(63, 52);
        if (w < 64 && w - 12 <= 51)
            mres |= RIOMMU_GENMASK(51, w - 12);
        if ((dc->msiptp & RIOMMU_MSIPTP_RESERVED) || (dc->msi_addr_mask & mres) ||
            (dc->msi_addr_pattern & mres) || dc->reserved)
            return BAD;
    }
    /* 2.-7. ATS / PRI / T2GPA combinations */
    if (!ats && (en_ats || en_pri || prpr))
        return BAD;
    if (!en_ats && (t2gpa || en_pri))
        return BAD;
    if (!en_pri && prpr)
        return BAD;
    if (!cap_has(m, RIOMMU_CAP_T2GPA) && t2gpa)
        return BAD;
    if (t2gpa && hgmode == RIOMMU_IOHGATP_MODE_BARE)
        return BAD;
    /* 8.-11. first-stage context */
    if (pdtv) {
        switch (fmode) {
        case RIOMMU_PDTP_MODE_BARE:
            break;
        case RIOMMU_PDTP_MODE_PD8:
            if (!cap_has(m, RIOMMU_CAP_PD8))
                return BAD;
            break;
        case RIOMMU_PDTP_MODE_PD17:
            if (!cap_has(m, RIOMMU_CAP_PD17))
                return BAD;
            break;
        case RIOMMU_PDTP_MODE_PD20:
            if (!cap_has(m, RIOMMU_CAP_PD20))
                return BAD;
            break;
        default:
            return BAD;
        }
    } else {
        bool valid_enc;
        if (!s1_mode_ok(m, fmode, sxl, &valid_enc))
            return BAD;
        if (tc & RIOMMU_DC_TC_DPE)
            return BAD;
    }
    /* 12.-14. second-stage mode */
    if (!s2_mode_ok(m, hgmode, gxl))
        return BAD;
    /* 15. MSI page table mode; and Off required when iohgatp is Bare */
    if (cap_has(m, RIOMMU_CAP_MSI_FLAT)) {
        unsigned mm = (unsigned)RIOMMU_FIELD_GET(dc->msiptp, RIOMMU_MSIPTP_MODE);
        if (mm != RIOMMU_MSIPTP_MODE_OFF && mm != RIOMMU_MSIPTP_MODE_FLAT)
            return BAD;
        if (hgmode == RIOMMU_IOHGATP_MODE_BARE && mm != RIOMMU_MSIPTP_MODE_OFF)
            return BAD;
    }
    /* 16. 16-KiB aligned second-stage root */
    if (hgmode != RIOMMU_IOHGATP_MODE_BARE &&
        (RIOMMU_FIELD_GET(dc->iohgatp, RIOMMU_IOHGATP_PPN) & 3))
        return BAD;
    /* 17. A/D updating needs AMO_HWAD */
    if (!cap_has(m, RIOMMU_CAP_AMO_HWAD) && (tc & (RIOMMU_DC_TC_SADE | RIOMMU_DC_TC_GADE)))
        return BAD;
    /* 18./20. SBE: free when fctl.BE is writable (END), else equal to fctl.BE */
    bool sbe = tc & RIOMMU_DC_TC_SBE, be = fctl & RIOMMU_FCTL_BE;
    if (!cap_has(m, RIOMMU_CAP_END) && sbe != be)
        return BAD;
    /* 19. SXL legality */
    if (gxl && !sxl)
        return BAD;
    if (!gxl && !m->cfg.fctl_gxl_writable && sxl)
        return BAD;
    /* 21. QoS IDs wider than implemented */
    if (cap_has(m, RIOMMU_CAP_QOSID)) {
        uint64_t rcid = RIOMMU_FIELD_GET(dc->ta, RIOMMU_DC_TA_RCID);
        uint64_t mcid = RIOMMU_FIELD_GET(dc->ta, RIOMMU_DC_TA_MCID);
        if ((m->cfg.rcid_bits < 12 && (rcid >> m->cfg.rcid_bits)) ||
            (m->cfg.mcid_bits < 12 && (mcid >> m->cfg.mcid_bits)))
            return BAD;
    }
    return 0;
}

static uint16_t mem_cause(riommu_mem_status s)
{
    return s == RIOMMU_MEM_DATA_CORRUPTION ? RIOMMU_CAUSE_DDT_CORRUPTION
                                           : RIOMMU_CAUSE_DDT_LOAD_FAULT;
}

/* The DDT walk of ddt_locate; its memory accesses are charged at the
 * timing cursor (the caller holds a walker slot). The result goes out
 * through *r, field by field: a dc_lookup returned by value was built in
 * memory and read back whole, a store-forwarding stall on every
 * translation. */
static void ddt_walk(riommu *m, uint32_t device_id, riommu_dc *dc, dc_lookup *r)
{
    m->st.ddt_walks++;
    uint64_t ddtp = reg_get(m, RIOMMU_REG_DDTP);
    unsigned mode = (unsigned)(ddtp & RIOMMU_DDTP_MODE);
    unsigned levels = mode - RIOMMU_DDTP_MODE_1LVL + 1; /* 1..3 */
    uint32_t ddi[3];
    ddi_split(m, device_id, ddi);
    bool be = fctl_be(m);
    uint64_t a = RIOMMU_FIELD_GET(ddtp, RIOMMU_DDTP_PPN) << 12;
    for (int i = (int)levels - 1; i > 0; i--) {
        uint64_t ddte;
        riommu_mem_status s =
            mem_load64_kept(m, &m->ddt_pages[i], a + ddi[i] * 8ull, be, RIOMMU_ACC_DDT, &ddte);
        tm_mem(m);
        if (s != RIOMMU_MEM_OK) {
            r->cause = mem_cause(s);
            return;
        }
        if (!(ddte & RIOMMU_DDTE_V)) {
            r->cause = RIOMMU_CAUSE_DDT_INVALID;
            return;
        }
        if (ddte & RIOMMU_DDTE_RESERVED) {
            r->cause = RIOMMU_CAUSE_DDT_MISCONFIGURED;
            return;
        }
        a = RIOMMU_FIELD_GET(ddte, RIOMMU_DDTE_PPN) << 12;
    }
    unsigned sz = dc_size(m);
    uint64_t words[8] = {0};
    uint64_t base = a + (uint64_t)ddi[0] * sz;
    for (unsigned w = 0; w < sz / 8; w++) {
        riommu_mem_status s =
            mem_load64_kept(m, &m->ddt_pages[0], base + 8ull * w, be, RIOMMU_ACC_DDT, &words[w]);
        if (s != RIOMMU_MEM_OK) {
            tm_mem_bytes(m, sz); /* the device context is one access */
            r->cause = mem_cause(s);
            return;
        }
    }
    tm_mem_bytes(m, sz);
    memset(dc, 0, sizeof *dc);
    dc->tc = words[0];
    dc->iohgatp = words[1];
    dc->ta = words[2];
    dc->fsc = words[3];
    dc->msiptp = words[4];
    dc->msi_addr_mask = words[5];
    dc->msi_addr_pattern = words[6];
    dc->reserved = words[7];
    if (!(dc->tc & RIOMMU_DC_TC_V)) {
        r->cause = RIOMMU_CAUSE_DDT_INVALID;
        return;
    }
    r->cause = ddt_dc_check(m, dc);
    if (r->cause == 0)
        ddtc_fill(m, device_id, dc);
}

/* Locate the DC of device_id (ds "Process to locate the Device-context"),
 * through the DDTC: a DDTC lookup slot, then on a miss a walker slot for
 * the DDT walk. */
void ddt_locate(riommu *m, uint32_t device_id, riommu_dc *dc, dc_lookup *r)
{
    tm_cache(m, RIOMMU_CACHE_DDTC);
    r->cause = 0;
    r->from_cache = ddtc_lookup(m, device_id, dc);
    if (r->from_cache)
        return;
    unsigned slot = tm_walk_begin(m);
    ddt_walk(m, device_id, dc, r);
    tm_walk_end(m, slot);
}
