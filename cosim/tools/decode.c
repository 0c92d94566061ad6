/*
 * decode.c - `riommu decode` (decode.h). Field layouts follow the register
 * chapter ("regs"), the data-structures chapter ("ds") and the queue chapter
 * ("q") of the specification, through the masks of riommu_bits.h.
 */
#include "decode.h"

#include <inttypes.h>
#include <stdarg.h>
#include <string.h>

#include "cli_names.h"
#include "riommu/riommu.h"

/* ---- building results ------------------------------------------------------- */

static unsigned lowbit(uint64_t mask)
{
    unsigned b = 0;
    while (b < 63 && !((mask >> b) & 1))
        b++;
    return b;
}

static unsigned highbit(uint64_t mask)
{
    unsigned b = 63;
    while (b > 0 && !((mask >> b) & 1))
        b--;
    return b;
}

#if defined(__GNUC__)
__attribute__((format(printf, 5, 6)))
#endif
/* Add the field `mask` of word `word` with an optional meaning. */
static decode_field *fld(decode_result *r, unsigned word, uint64_t mask, const char *name,
                         const char *fmt, ...)
{
    decode_field *f = r->n < DECODE_MAX_FIELDS ? &r->f[r->n++] : &r->spare;
    memset(f, 0, sizeof *f);
    snprintf(f->name, sizeof f->name, "%s", name);
    f->word = word;
    f->lo = lowbit(mask);
    f->hi = highbit(mask);
    f->value = RIOMMU_FIELD_GET(r->words[word], mask);
    if (fmt) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(f->meaning, sizeof f->meaning, fmt, ap);
        va_end(ap);
    }
    return f;
}

/* A reserved field: listed only when non-zero. */
static void rsvd(decode_result *r, unsigned word, uint64_t mask, const char *name)
{
    if (!(r->words[word] & mask))
        return;
    decode_field *f = fld(r, word, mask, name, "reserved: must be zero");
    if (f) {
        f->reserved = true;
        f->value = r->words[word] & mask; /* in place: may be split */
        r->reserved_set++;
    }
}

static void bit(decode_result *r, unsigned word, uint64_t mask, const char *name,
                const char *meaning)
{
    bool on = (r->words[word] & mask) != 0;
    fld(r, word, mask, name, on && meaning ? "%s" : NULL, meaning);
}

/* ---- registers ------------------------------------------------------------------ */

static void d_capabilities(decode_result *r)
{
    uint64_t c = r->words[0];
    unsigned ver = (unsigned)RIOMMU_FIELD_GET(c, RIOMMU_CAP_VERSION);
    fld(r, 0, RIOMMU_CAP_VERSION, "version", "%u.%u", ver >> 4, ver & 0xF);
    for (unsigned b = 8; b < 44; b++) {
        const char *n = cli_cap_bit_name(b);
        if (n)
            bit(r, 0, 1ull << b, n, "supported");
    }
    static const char *const igs[] = {"MSI only", "WSI only", "MSI and WSI", "reserved"};
    fld(r, 0, RIOMMU_CAP_IGS, "IGS", "%s", igs[RIOMMU_FIELD_GET(c, RIOMMU_CAP_IGS)]);
    fld(r, 0, RIOMMU_CAP_PAS, "PAS", "%u-bit physical addresses",
        (unsigned)RIOMMU_FIELD_GET(c, RIOMMU_CAP_PAS))->dec = true;
    rsvd(r, 0, RIOMMU_CAP_RESERVED, "reserved");
    if (c & RIOMMU_CAP_CUSTOM)
        fld(r, 0, RIOMMU_CAP_CUSTOM, "custom", "implementation-defined");
    snprintf(r->title, sizeof r->title, "IOMMU version %u.%u", ver >> 4, ver & 0xF);
}

static void d_fctl(decode_result *r)
{
    bit(r, 0, RIOMMU_FCTL_BE, "BE", "big-endian accesses to in-memory structures");
    fld(r, 0, RIOMMU_FCTL_WSI, "WSI", "%s",
        (r->words[0] & RIOMMU_FCTL_WSI) ? "wire-signalled interrupts" : "message-signalled "
                                                                        "interrupts");
    bit(r, 0, RIOMMU_FCTL_GXL, "GXL", "guest address translation is 32-bit (Sv32x4)");
    rsvd(r, 0, RIOMMU_GENMASK(63, 3), "reserved");
}

static void d_ddtp(decode_result *r)
{
    unsigned mode = (unsigned)(r->words[0] & RIOMMU_DDTP_MODE);
    static const char *const what[] = {"Off: all inbound transactions disallowed",
                                       "Bare: no translation or protection",
                                       "1LVL: one-level device directory",
                                       "2LVL: two-level device directory",
                                       "3LVL: three-level device directory"};
    fld(r, 0, RIOMMU_DDTP_MODE, "iommu_mode", "%s", mode < 5 ? what[mode] : "reserved");
    bit(r, 0, RIOMMU_DDTP_BUSY, "busy", "a mode change is in progress");
    uint64_t ppn = RIOMMU_FIELD_GET(r->words[0], RIOMMU_DDTP_PPN);
    fld(r, 0, RIOMMU_DDTP_PPN, "PPN", "device-directory root at 0x%" PRIx64, ppn << 12);
    rsvd(r, 0, RIOMMU_GENMASK(9, 5) | RIOMMU_GENMASK(63, 54), "reserved");
    snprintf(r->title, sizeof r->title, "%s, root at 0x%" PRIx64, cli_ddt_mode_name(mode),
             ppn << 12);
}

static void d_qb(decode_result *r, const char *q, unsigned entry)
{
    unsigned l = (unsigned)(r->words[0] & RIOMMU_QB_LOG2SZ);
    uint64_t ppn = RIOMMU_FIELD_GET(r->words[0], RIOMMU_QB_PPN);
    uint64_t n = 2ull << l;
    fld(r, 0, RIOMMU_QB_LOG2SZ, "LOG2SZ-1", "%" PRIu64 " entries (%" PRIu64 " bytes)", n,
        n * entry)->dec = true;
    fld(r, 0, RIOMMU_QB_PPN, "PPN", "%s at 0x%" PRIx64, q, ppn << 12);
    rsvd(r, 0, RIOMMU_GENMASK(9, 5) | RIOMMU_GENMASK(63, 54), "reserved");
    snprintf(r->title, sizeof r->title, "%s of %" PRIu64 " entries at 0x%" PRIx64, q, n,
             ppn << 12);
}

static void d_index(decode_result *r, const char *what)
{
    fld(r, 0, RIOMMU_GENMASK(31, 0), "index", "%s", what)->dec = true;
}

static void d_qcsr(decode_result *r, char q)
{
    /* cqcsr/fqcsr/pqcsr share the layout of EN, IE, MF, ON, BUSY. */
    char n[16];
    snprintf(n, sizeof n, "%cqen", q);
    bit(r, 0, RIOMMU_CQCSR_CQEN, n, "queue enabled by software");
    snprintf(n, sizeof n, "%cie", q);
    bit(r, 0, RIOMMU_CQCSR_CIE, n, "interrupt enabled");
    snprintf(n, sizeof n, "%cqmf", q);
    bit(r, 0, RIOMMU_CQCSR_CQMF, n, "memory fault: queue stopped");
    if (q == 'c') {
        bit(r, 0, RIOMMU_CQCSR_CMD_TO, "cmd_to", "command timeout: queue stopped");
        bit(r, 0, RIOMMU_CQCSR_CMD_ILL, "cmd_ill", "illegal command at cqh: queue stopped");
        bit(r, 0, RIOMMU_CQCSR_FENCE_W_IP, "fence_w_ip", "IOFENCE.C WSI completion pending");
        rsvd(r, 0, RIOMMU_GENMASK(7, 2) | RIOMMU_GENMASK(15, 12) | RIOMMU_GENMASK(63, 18),
             "reserved");
    } else {
        snprintf(n, sizeof n, "%cqof", q);
        bit(r, 0, RIOMMU_FQCSR_FQOF, n, "queue overflow: records being dropped");
        rsvd(r, 0, RIOMMU_GENMASK(7, 2) | RIOMMU_GENMASK(15, 10) | RIOMMU_GENMASK(63, 18),
             "reserved");
    }
    snprintf(n, sizeof n, "%cqon", q);
    bit(r, 0, RIOMMU_CQCSR_CQON, n, "queue active");
    bit(r, 0, RIOMMU_CQCSR_BUSY, "busy", "an enable or disable is in progress");
}

static void d_ipsr(decode_result *r)
{
    bit(r, 0, RIOMMU_IPSR_CIP, "cip", "command-queue interrupt pending");
    bit(r, 0, RIOMMU_IPSR_FIP, "fip", "fault-queue interrupt pending");
    bit(r, 0, RIOMMU_IPSR_PMIP, "pmip", "performance-monitoring interrupt pending");
    bit(r, 0, RIOMMU_IPSR_PIP, "pip", "page-request-queue interrupt pending");
    rsvd(r, 0, RIOMMU_GENMASK(63, 4), "reserved");
}

static void d_icvec(decode_result *r)
{
    fld(r, 0, RIOMMU_ICVEC_CIV, "civ", "command queue -> vector %u",
        (unsigned)RIOMMU_FIELD_GET(r->words[0], RIOMMU_ICVEC_CIV));
    fld(r, 0, RIOMMU_ICVEC_FIV, "fiv", "fault queue -> vector %u",
        (unsigned)RIOMMU_FIELD_GET(r->words[0], RIOMMU_ICVEC_FIV));
    fld(r, 0, RIOMMU_ICVEC_PMIV, "pmiv", "performance monitor -> vector %u",
        (unsigned)RIOMMU_FIELD_GET(r->words[0], RIOMMU_ICVEC_PMIV));
    fld(r, 0, RIOMMU_ICVEC_PIV, "piv", "page-request queue -> vector %u",
        (unsigned)RIOMMU_FIELD_GET(r->words[0], RIOMMU_ICVEC_PIV));
    rsvd(r, 0, RIOMMU_GENMASK(63, 16), "reserved");
}

static void d_counters_mask(decode_result *r, const char *what)
{
    bit(r, 0, 1, "CY", what);
    for (unsigned i = 1; i < 32; i++)
        if (r->words[0] & (1ull << i)) {
            char n[16];
            snprintf(n, sizeof n, "HPM%u", i);
            fld(r, 0, 1ull << i, n, "%s", what);
        }
    rsvd(r, 0, RIOMMU_GENMASK(63, 32), "reserved");
}

static void d_hpmcycles(decode_result *r)
{
    fld(r, 0, RIOMMU_GENMASK(62, 0), "counter", "cycles");
    bit(r, 0, RIOMMU_IOHPMCYCLES_OF, "OF", "overflowed");
}

static void d_hpmevt(decode_result *r)
{
    static const char *const ev[] = {"do not count",
                                     "untranslated requests",
                                     "translated requests",
                                     "ATS translation requests",
                                     "TLB miss",
                                     "device-directory walks",
                                     "process-directory walks",
                                     "first-stage page-table walks",
                                     "second-stage page-table walks"};
    uint64_t e = RIOMMU_FIELD_GET(r->words[0], RIOMMU_IOHPMEVT_EVENTID);
    fld(r, 0, RIOMMU_IOHPMEVT_EVENTID, "eventID", "%s",
        e < 9 ? ev[e] : e >= 16384 ? "custom" : "reserved")->dec = true;
    bit(r, 0, RIOMMU_IOHPMEVT_DMASK, "DMASK", "partial DID/GSCID match");
    fld(r, 0, RIOMMU_IOHPMEVT_PID_PSCID, "PID_PSCID", NULL);
    fld(r, 0, RIOMMU_IOHPMEVT_DID_GSCID, "DID_GSCID", NULL);
    bit(r, 0, RIOMMU_IOHPMEVT_PV_PSCV, "PV_PSCV", "filter by PID/PSCID");
    bit(r, 0, RIOMMU_IOHPMEVT_DV_GSCV, "DV_GSCV", "filter by DID/GSCID");
    fld(r, 0, RIOMMU_IOHPMEVT_IDT, "IDT", "%s",
        (r->words[0] & RIOMMU_IOHPMEVT_IDT) ? "filter IDs are PSCID/GSCID"
                                            : "filter IDs are PID/DID");
    bit(r, 0, RIOMMU_IOHPMEVT_OF, "OF", "counter overflowed");
    snprintf(r->title, sizeof r->title, "count %s", e < 9 ? ev[e] : "?");
}

static void d_tr_req_iova(decode_result *r)
{
    fld(r, 0, RIOMMU_TR_REQ_IOVA_VPN, "VPN", "IOVA 0x%" PRIx64,
        (uint64_t)(r->words[0] & RIOMMU_TR_REQ_IOVA_VPN));
    rsvd(r, 0, RIOMMU_GENMASK(11, 0), "reserved");
}

static void d_tr_req_ctl(decode_result *r)
{
    bit(r, 0, RIOMMU_TR_REQ_CTL_GO_BUSY, "Go/Busy", "a translation request is in progress");
    bit(r, 0, RIOMMU_TR_REQ_CTL_PRIV, "Priv", "privileged request");
    bit(r, 0, RIOMMU_TR_REQ_CTL_EXE, "Exe", "read for execute");
    bit(r, 0, RIOMMU_TR_REQ_CTL_NW, "NW", "read-only (no write)");
    fld(r, 0, RIOMMU_TR_REQ_CTL_PID, "PID", NULL);
    bit(r, 0, RIOMMU_TR_REQ_CTL_PV, "PV", "PID valid");
    fld(r, 0, RIOMMU_TR_REQ_CTL_DID, "DID", NULL);
    rsvd(r, 0, RIOMMU_GENMASK(11, 4) | RIOMMU_GENMASK(39, 33), "reserved");
}

static void d_tr_response(decode_result *r)
{
    uint64_t v = r->words[0];
    fld(r, 0, RIOMMU_TR_RESPONSE_FAULT, "fault", "%s",
        (v & RIOMMU_TR_RESPONSE_FAULT) ? "the translation faulted" : "translated");
    static const char *const pbmt[] = {"PMA", "NC", "IO", "reserved"};
    fld(r, 0, RIOMMU_TR_RESPONSE_PBMT, "PBMT", "%s",
        pbmt[RIOMMU_FIELD_GET(v, RIOMMU_TR_RESPONSE_PBMT)]);
    bit(r, 0, RIOMMU_TR_RESPONSE_S, "S", "a range larger than 4 KiB (encoded in PPN)");
    fld(r, 0, RIOMMU_TR_RESPONSE_PPN, "PPN", "address 0x%" PRIx64,
        RIOMMU_FIELD_GET(v, RIOMMU_TR_RESPONSE_PPN) << 12);
    rsvd(r, 0, RIOMMU_GENMASK(6, 1) | RIOMMU_GENMASK(63, 54), "reserved");
}

static void d_qosid(decode_result *r)
{
    fld(r, 0, RIOMMU_QOSID_RCID, "RCID", "resource control ID");
    fld(r, 0, RIOMMU_QOSID_MCID, "MCID", "monitoring counter ID");
    rsvd(r, 0, RIOMMU_GENMASK(15, 12) | RIOMMU_GENMASK(63, 28), "reserved");
}

/* ---- structures ------------------------------------------------------------------- */

static void d_dc(decode_result *r)
{
    static const char *const wn[] = {"tc",     "iohgatp",       "ta",
                                     "fsc",    "msiptp",        "msi_addr_mask",
                                     "msi_addr_pattern", "reserved"};
    for (unsigned i = 0; i < r->nwords; i++)
        r->word_names[i] = wn[i];
    uint64_t tc = r->words[0];
    bit(r, 0, RIOMMU_DC_TC_V, "V", "valid");
    bit(r, 0, RIOMMU_DC_TC_EN_ATS, "EN_ATS", "ATS enabled");
    bit(r, 0, RIOMMU_DC_TC_EN_PRI, "EN_PRI", "page requests enabled");
    bit(r, 0, RIOMMU_DC_TC_T2GPA, "T2GPA", "ATS returns guest physical addresses");
    bit(r, 0, RIOMMU_DC_TC_DTF, "DTF", "fault records suppressed");
    bit(r, 0, RIOMMU_DC_TC_PDTV, "PDTV", "fsc holds a process-directory pointer");
    bit(r, 0, RIOMMU_DC_TC_PRPR, "PRPR", "page-request responses carry a PASID");
    bit(r, 0, RIOMMU_DC_TC_GADE, "GADE", "hardware updates second-stage A/D");
    bit(r, 0, RIOMMU_DC_TC_SADE, "SADE", "hardware updates first-stage A/D");
    bit(r, 0, RIOMMU_DC_TC_DPE, "DPE", "default process ID 0 when none is given");
    bit(r, 0, RIOMMU_DC_TC_SBE, "SBE", "big-endian first/second-stage tables");
    bit(r, 0, RIOMMU_DC_TC_SXL, "SXL", "32-bit first-stage (Sv32)");
    if (tc & RIOMMU_DC_TC_CUSTOM)
        fld(r, 0, RIOMMU_DC_TC_CUSTOM, "custom", "implementation-defined");
    rsvd(r, 0, RIOMMU_DC_TC_RESERVED, "reserved");

    uint64_t g = r->words[1];
    unsigned gm = (unsigned)RIOMMU_FIELD_GET(g, RIOMMU_IOHGATP_MODE);
    static const char *const gmodes[] = {"Bare", "?", "?", "?", "?", "?", "?", "?",
                                         "Sv39x4 (Sv32x4 with GXL)", "Sv48x4", "Sv57x4"};
    fld(r, 1, RIOMMU_IOHGATP_MODE, "MODE", "second stage %s",
        gm < 11 && gmodes[gm][0] != '?' ? gmodes[gm] : "reserved");
    fld(r, 1, RIOMMU_IOHGATP_GSCID, "GSCID", NULL);
    fld(r, 1, RIOMMU_IOHGATP_PPN, "PPN", "root at 0x%" PRIx64,
        (uint64_t)((g & RIOMMU_IOHGATP_PPN) << 12));

    uint64_t ta = r->words[2];
    fld(r, 2, RIOMMU_DC_TA_PSCID, "PSCID", "process soft-context ID");
    fld(r, 2, RIOMMU_DC_TA_RCID, "RCID", NULL);
    fld(r, 2, RIOMMU_DC_TA_MCID, "MCID", NULL);
    rsvd(r, 2, RIOMMU_DC_TA_RESERVED, "reserved");
    (void)ta;

    uint64_t fsc = r->words[3];
    unsigned fm = (unsigned)RIOMMU_FIELD_GET(fsc, RIOMMU_FSC_MODE);
    if (tc & RIOMMU_DC_TC_PDTV) {
        static const char *const pd[] = {"Bare", "PD8", "PD17", "PD20"};
        fld(r, 3, RIOMMU_FSC_MODE, "MODE", "pdtp: %s", fm < 4 ? pd[fm] : "reserved");
        fld(r, 3, RIOMMU_FSC_PPN, "PPN", "process directory at 0x%" PRIx64,
            (uint64_t)((fsc & RIOMMU_FSC_PPN) << 12));
    } else {
        fld(r, 3, RIOMMU_FSC_MODE, "MODE", "iosatp: first stage %s%s", cli_satp_mode_name(fm),
            (tc & RIOMMU_DC_TC_SXL) && fm == 8 ? " (Sv32 with SXL)" : "");
        fld(r, 3, RIOMMU_FSC_PPN, "PPN", "root page table at 0x%" PRIx64,
            (uint64_t)((fsc & RIOMMU_FSC_PPN) << 12));
    }
    rsvd(r, 3, RIOMMU_FSC_RESERVED, "reserved");
    if (r->nwords == 8) {
        uint64_t mp = r->words[4];
        unsigned mm = (unsigned)RIOMMU_FIELD_GET(mp, RIOMMU_MSIPTP_MODE);
        fld(r, 4, RIOMMU_MSIPTP_MODE, "MODE", "MSI translation %s",
            mm == 0 ? "Off" : mm == 1 ? "Flat" : "reserved");
        fld(r, 4, RIOMMU_MSIPTP_PPN, "PPN", "MSI page table at 0x%" PRIx64,
            (uint64_t)((mp & RIOMMU_MSIPTP_PPN) << 12));
        rsvd(r, 4, RIOMMU_MSIPTP_RESERVED, "reserved");
        fld(r, 5, RIOMMU_MSI_ADDR_MASK_FIELD, "mask", NULL);
        rsvd(r, 5, ~RIOMMU_MSI_ADDR_MASK_FIELD, "reserved");
        fld(r, 6, RIOMMU_MSI_ADDR_MASK_FIELD, "pattern", NULL);
        rsvd(r, 6, ~RIOMMU_MSI_ADDR_MASK_FIELD, "reserved");
        rsvd(r, 7, ~0ull, "reserved");
    }
    const char *kind;
    if (!(tc & RIOMMU_DC_TC_V))
        kind = "invalid (requests fault with cause 258)";
    else if (tc & RIOMMU_DC_TC_PDTV)
        kind = "valid, process directory";
    else if (fm == RIOMMU_IOSATP_MODE_BARE &&
             RIOMMU_FIELD_GET(g, RIOMMU_IOHGATP_MODE) == RIOMMU_IOHGATP_MODE_BARE)
        kind = "valid, pass-through (identity)";
    else
        kind = "valid, translating";
    snprintf(r->title, sizeof r->title, "%s device context: %s",
             r->nwords == 8 ? "extended" : "base", kind);
}

static void d_pc(decode_result *r)
{
    r->word_names[0] = "ta";
    r->word_names[1] = "fsc";
    bit(r, 0, RIOMMU_PC_TA_V, "V", "valid");
    bit(r, 0, RIOMMU_PC_TA_ENS, "ENS", "supervisor requests enabled");
    bit(r, 0, RIOMMU_PC_TA_SUM, "SUM", "supervisor may access user pages");
    fld(r, 0, RIOMMU_PC_TA_PSCID, "PSCID", "process soft-context ID");
    rsvd(r, 0, RIOMMU_PC_TA_RESERVED, "reserved");
    unsigned fm = (unsigned)RIOMMU_FIELD_GET(r->words[1], RIOMMU_FSC_MODE);
    fld(r, 1, RIOMMU_FSC_MODE, "MODE", "first stage %s", cli_satp_mode_name(fm));
    fld(r, 1, RIOMMU_FSC_PPN, "PPN", "root page table at 0x%" PRIx64,
        (uint64_t)((r->words[1] & RIOMMU_FSC_PPN) << 12));
    rsvd(r, 1, RIOMMU_FSC_RESERVED, "reserved");
    snprintf(r->title, sizeof r->title, "process context: %s",
             (r->words[0] & RIOMMU_PC_TA_V) ? "valid" : "invalid");
}

static void d_pte(decode_result *r)
{
    uint64_t p = r->words[0];
    bit(r, 0, RIOMMU_PTE_V, "V", "valid");
    bit(r, 0, RIOMMU_PTE_R, "R", "readable");
    bit(r, 0, RIOMMU_PTE_W, "W", "writable");
    bit(r, 0, RIOMMU_PTE_X, "X", "executable");
    bit(r, 0, RIOMMU_PTE_U, "U", "user");
    bit(r, 0, RIOMMU_PTE_G, "G", "global");
    bit(r, 0, RIOMMU_PTE_A, "A", "accessed");
    bit(r, 0, RIOMMU_PTE_D, "D", "dirty");
    fld(r, 0, RIOMMU_PTE_RSW, "RSW", NULL);
    uint64_t ppn = RIOMMU_FIELD_GET(p, RIOMMU_PTE_PPN);
    bool napot = p & RIOMMU_PTE_N;
    if (napot && (ppn & 0xF) == 0x8)
        fld(r, 0, RIOMMU_PTE_PPN, "PPN", "64 KiB NAPOT page at 0x%" PRIx64,
            (uint64_t)((ppn & ~0xFull) << 12));
    else
        fld(r, 0, RIOMMU_PTE_PPN, "PPN", "address 0x%" PRIx64, ppn << 12);
    rsvd(r, 0, RIOMMU_PTE_RESERVED, "reserved");
    fld(r, 0, RIOMMU_PTE_RSW60T59, "RSW60t59", NULL);
    static const char *const pbmt[] = {"PMA", "NC", "IO", "reserved"};
    fld(r, 0, RIOMMU_PTE_PBMT, "PBMT", "%s", pbmt[RIOMMU_FIELD_GET(p, RIOMMU_PTE_PBMT)]);
    bit(r, 0, RIOMMU_PTE_N, "N", "Svnapot");
    const char *kind;
    if (!(p & RIOMMU_PTE_V))
        kind = "invalid";
    else if ((p & RIOMMU_PTE_W) && !(p & RIOMMU_PTE_R))
        kind = "reserved encoding (W without R)";
    else if (p & (RIOMMU_PTE_R | RIOMMU_PTE_X))
        kind = napot ? "leaf (NAPOT)" : "leaf";
    else
        kind = "pointer to the next level";
    char perm[8];
    snprintf(perm, sizeof perm, "%c%c%c%c", (p & RIOMMU_PTE_R) ? 'r' : '-',
             (p & RIOMMU_PTE_W) ? 'w' : '-', (p & RIOMMU_PTE_X) ? 'x' : '-',
             (p & RIOMMU_PTE_U) ? 'u' : '-');
    snprintf(r->title, sizeof r->title, "PTE: %s%s%s", kind,
             (p & RIOMMU_PTE_V) && (p & (RIOMMU_PTE_R | RIOMMU_PTE_X)) ? ", " : "",
             (p & RIOMMU_PTE_V) && (p & (RIOMMU_PTE_R | RIOMMU_PTE_X)) ? perm : "");
}

static void d_ddte(decode_result *r)
{
    bit(r, 0, RIOMMU_DDTE_V, "V", "valid");
    fld(r, 0, RIOMMU_DDTE_PPN, "PPN", "next-level table at 0x%" PRIx64,
        RIOMMU_FIELD_GET(r->words[0], RIOMMU_DDTE_PPN) << 12);
    rsvd(r, 0, RIOMMU_DDTE_RESERVED, "reserved");
    snprintf(r->title, sizeof r->title, "non-leaf device-directory entry: %s",
             (r->words[0] & RIOMMU_DDTE_V) ? "valid" : "invalid");
}

static void d_cmd(decode_result *r)
{
    r->word_names[0] = "dword0";
    r->word_names[1] = "dword1";
    uint64_t d0 = r->words[0], d1 = r->words[1];
    unsigned op = (unsigned)RIOMMU_FIELD_GET(d0, RIOMMU_CMD_OPCODE);
    unsigned fn = (unsigned)RIOMMU_FIELD_GET(d0, RIOMMU_CMD_FUNC3);
    const char *name = NULL;
    switch (op) {
    case RIOMMU_CMD_OP_IOTINVAL:
        name = fn == 0 ? "IOTINVAL.VMA" : fn == 1 ? "IOTINVAL.GVMA" : NULL;
        break;
    case RIOMMU_CMD_OP_IOFENCE:
        name = fn == 0 ? "IOFENCE.C" : NULL;
        break;
    case RIOMMU_CMD_OP_IODIR:
        name = fn == 0 ? "IODIR.INVAL_DDT" : fn == 1 ? "IODIR.INVAL_PDT" : NULL;
        break;
    case RIOMMU_CMD_OP_ATS:
        name = fn == 0 ? "ATS.INVAL" : fn == 1 ? "ATS.PRGR" : NULL;
        break;
    default:
        break;
    }
    static const char *const opn[] = {"reserved", "IOTINVAL", "IOFENCE", "IODIR", "ATS"};
    fld(r, 0, RIOMMU_CMD_OPCODE, "opcode", "%s",
        op < 5 ? opn[op] : op >= 64 ? "custom" : "reserved");
    fld(r, 0, RIOMMU_CMD_FUNC3, "func3", "%s", name ? strchr(name, '.') + 1 : "reserved");
    if (!name) {
        snprintf(r->title, sizeof r->title, "illegal command: %s opcode %u, func3 %u",
                 op >= 64 ? "custom" : "reserved", op, fn);
        return;
    }
    switch (op) {
    case RIOMMU_CMD_OP_IOTINVAL: {
        bool av = d0 & RIOMMU_IOTINVAL_AV, pscv = d0 & RIOMMU_IOTINVAL_PSCV,
             gv = d0 & RIOMMU_IOTINVAL_GV;
        bit(r, 0, RIOMMU_IOTINVAL_AV, "AV", "only the address ADDR");
        fld(r, 0, RIOMMU_IOTINVAL_PSCID, "PSCID", NULL);
        bit(r, 0, RIOMMU_IOTINVAL_PSCV, "PSCV", "only the address space PSCID");
        bit(r, 0, RIOMMU_IOTINVAL_GV, "GV", "only the VM GSCID");
        bit(r, 0, RIOMMU_IOTINVAL_NL, "NL", "non-leaf entries only (capabilities.NL)");
        fld(r, 0, RIOMMU_IOTINVAL_GSCID, "GSCID", NULL);
        rsvd(r, 0, RIOMMU_IOTINVAL_D0_RESERVED, "reserved");
        bit(r, 1, RIOMMU_IOTINVAL_S, "S", "ADDR encodes a NAPOT range (capabilities.S)");
        decode_field *f = fld(r, 1, RIOMMU_IOTINVAL_ADDR, "ADDR", "ADDR[63:12]");
        f->value = RIOMMU_FIELD_GET(d1, RIOMMU_IOTINVAL_ADDR) << 12;
        rsvd(r, 1, RIOMMU_IOTINVAL_D1_RESERVED, "reserved");
        if (fn == RIOMMU_CMD_FUNC_IOTINVAL_GVMA && pscv)
            r->reserved_set++; /* PSCV with GVMA is illegal */
        char scope[80];
        snprintf(scope, sizeof scope, "%s%s%s", gv ? "one VM" : "host",
                 pscv ? ", one address space" : gv ? "" : ", all address spaces",
                 av ? ", one page" : ", all addresses");
        snprintf(r->title, sizeof r->title, "%s: %s", name, scope);
        break;
    }
    case RIOMMU_CMD_OP_IOFENCE:
        bit(r, 0, RIOMMU_IOFENCE_AV, "AV", "write DATA to ADDR on completion");
        bit(r, 0, RIOMMU_IOFENCE_WSI, "WSI", "signal a wired interrupt on completion");
        bit(r, 0, RIOMMU_IOFENCE_PR, "PR", "order previous reads");
        bit(r, 0, RIOMMU_IOFENCE_PW, "PW", "order previous writes");
        rsvd(r, 0, RIOMMU_IOFENCE_D0_RESERVED, "reserved");
        fld(r, 0, RIOMMU_IOFENCE_DATA, "DATA", NULL);
        {
            decode_field *f = fld(r, 1, RIOMMU_IOFENCE_ADDR, "ADDR", "ADDR[63:2]");
            f->value = RIOMMU_FIELD_GET(d1, RIOMMU_IOFENCE_ADDR) << 2;
        }
        rsvd(r, 1, RIOMMU_IOFENCE_D1_RESERVED, "reserved");
        snprintf(r->title, sizeof r->title, "%s%s%s%s%s", name,
                 (d0 & RIOMMU_IOFENCE_PR) ? " PR" : "", (d0 & RIOMMU_IOFENCE_PW) ? " PW" : "",
                 (d0 & RIOMMU_IOFENCE_AV) ? " AV" : "", (d0 & RIOMMU_IOFENCE_WSI) ? " WSI" : "");
        break;
    case RIOMMU_CMD_OP_IODIR:
        fld(r, 0, RIOMMU_IODIR_PID, "PID", fn == 0 && (d0 & RIOMMU_IODIR_PID) ? "%s" : NULL,
            "reserved for INVAL_DDT");
        bit(r, 0, RIOMMU_IODIR_DV, "DV", "only device DID");
        fld(r, 0, RIOMMU_IODIR_DID, "DID", NULL);
        rsvd(r, 0, RIOMMU_IODIR_D0_RESERVED, "reserved");
        rsvd(r, 1, ~0ull, "reserved");
        if (fn == 0 && (d0 & RIOMMU_IODIR_PID))
            r->reserved_set++;
        if (d0 & RIOMMU_IODIR_DV)
            snprintf(r->title, sizeof r->title, "%s: device 0x%x", name,
                     (unsigned)RIOMMU_FIELD_GET(d0, RIOMMU_IODIR_DID));
        else
            snprintf(r->title, sizeof r->title, "%s: every device", name);
        break;
    case RIOMMU_CMD_OP_ATS:
        fld(r, 0, RIOMMU_ATS_PID, "PID", NULL);
        bit(r, 0, RIOMMU_ATS_PV, "PV", "with a PASID");
        bit(r, 0, RIOMMU_ATS_DSV, "DSV", "DSEG valid");
        fld(r, 0, RIOMMU_ATS_RID, "RID", "requester ID %02x:%02x.%u",
            (unsigned)(RIOMMU_FIELD_GET(d0, RIOMMU_ATS_RID) >> 8),
            (unsigned)(RIOMMU_FIELD_GET(d0, RIOMMU_ATS_RID) >> 3) & 0x1F,
            (unsigned)RIOMMU_FIELD_GET(d0, RIOMMU_ATS_RID) & 7);
        fld(r, 0, RIOMMU_ATS_DSEG, "DSEG", NULL);
        rsvd(r, 0, RIOMMU_ATS_D0_RESERVED, "reserved");
        if (fn == 0) {
            bit(r, 1, 1, "G", "global");
            bit(r, 1, RIOMMU_BIT(11), "S", "a range (size encoded in the address)");
            decode_field *f = fld(r, 1, RIOMMU_GENMASK(63, 12), "UADDR",
                                  "untranslated address");
            f->value = d1 & RIOMMU_GENMASK(63, 12);
            rsvd(r, 1, RIOMMU_GENMASK(10, 1), "reserved");
        } else {
            fld(r, 1, RIOMMU_GENMASK(40, 32), "PRGI", "page request group index");
            fld(r, 1, RIOMMU_GENMASK(47, 44), "response", "%s",
                RIOMMU_FIELD_GET(d1, RIOMMU_GENMASK(47, 44)) == 0   ? "success"
                : RIOMMU_FIELD_GET(d1, RIOMMU_GENMASK(47, 44)) == 1 ? "invalid request"
                : RIOMMU_FIELD_GET(d1, RIOMMU_GENMASK(47, 44)) == 0xF ? "response failure"
                                                                        : "reserved");
            rsvd(r, 1, RIOMMU_GENMASK(31, 0) | RIOMMU_GENMASK(43, 41) | RIOMMU_GENMASK(63, 48),
                 "reserved");
        }
        snprintf(r->title, sizeof r->title, "%s", name);
        break;
    }
}

static void d_fault(decode_result *r)
{
    r->word_names[0] = "header";
    r->word_names[1] = "reserved";
    r->word_names[2] = "iotval";
    r->word_names[3] = "iotval2";
    uint64_t h = r->words[0];
    unsigned cause = (unsigned)RIOMMU_FIELD_GET(h, RIOMMU_FQ_HDR_CAUSE);
    unsigned ttyp = (unsigned)RIOMMU_FIELD_GET(h, RIOMMU_FQ_HDR_TTYP);
    const char *sn = cli_cause_short(cause);
    fld(r, 0, RIOMMU_FQ_HDR_CAUSE, "CAUSE", "%s%s%s%s", riommu_cause_name(cause),
        sn ? " (" : "", sn ? sn : "", sn ? ")" : "")->dec = true;
    fld(r, 0, RIOMMU_FQ_HDR_PID, "PID", NULL);
    bit(r, 0, RIOMMU_FQ_HDR_PV, "PV", "PID valid");
    bit(r, 0, RIOMMU_FQ_HDR_PRIV, "PRIV", "privileged request");
    fld(r, 0, RIOMMU_FQ_HDR_TTYP, "TTYP", "%s", riommu_ttyp_name(ttyp))->dec = true;
    fld(r, 0, RIOMMU_FQ_HDR_DID, "DID", "device 0x%06x",
        (unsigned)RIOMMU_FIELD_GET(h, RIOMMU_FQ_HDR_DID));
    rsvd(r, 1, ~0ull, "reserved");
    bool page = cause == 12 || cause == 13 || cause == 15 || cause == 20 || cause == 21 ||
                cause == 23 || cause == 1 || cause == 5 || cause == 7 || cause == 4 || cause == 6;
    fld(r, 2, ~0ull, "iotval", "%s", page ? "faulting IOVA" : "cause-specific");
    fld(r, 3, ~0ull, "iotval2", "%s",
        (cause == 20 || cause == 21 || cause == 23) ? "guest physical address" : "cause-specific");
    snprintf(r->title, sizeof r->title, "fault record: cause %u (%s), %s, device 0x%06x", cause,
             riommu_cause_name(cause), riommu_ttyp_name(ttyp),
             (unsigned)RIOMMU_FIELD_GET(h, RIOMMU_FQ_HDR_DID));
}

static void d_msi(decode_result *r, int which)
{
    if (which == 0) {
        fld(r, 0, RIOMMU_MSI_ADDR_MASK, "ADDR", "MSI address 0x%" PRIx64,
            (uint64_t)(r->words[0] & RIOMMU_MSI_ADDR_MASK))
            ->value = r->words[0] & RIOMMU_MSI_ADDR_MASK;
        rsvd(r, 0, RIOMMU_GENMASK(1, 0) | RIOMMU_GENMASK(63, 56), "reserved");
    } else if (which == 1) {
        fld(r, 0, RIOMMU_GENMASK(31, 0), "DATA", NULL);
    } else {
        bit(r, 0, RIOMMU_MSI_VEC_CTL_M, "M", "masked");
        rsvd(r, 0, RIOMMU_GENMASK(63, 1), "reserved");
    }
}

/* ---- dispatch ---------------------------------------------------------------------- */

/* `s` equals `prefix` followed by nothing, digits, or '_' and digits. */
static bool kind_is(const char *s, const char *prefix)
{
    size_t l = strlen(prefix);
    if (strlen(s) < l)
        return false;
    char head[32];
    if (l >= sizeof head)
        return false;
    memcpy(head, s, l);
    head[l] = 0;
    if (!cli_name_eq(head, prefix))
        return false;
    const char *t = s + l;
    if (*t == '_' || *t == '-')
        t++;
    if (t == s + l && !*t)
        return true;
    if (!*t)
        return false;
    for (; *t; t++)
        if (*t < '0' || *t > '9')
            return false;
    return true;
}

bool decode_value(const char *kind, const uint64_t *w, unsigned n, decode_result *r, char *err,
                  size_t errlen)
{
    memset(r, 0, sizeof *r);
    if (n == 0 || n > DECODE_MAX_WORDS) {
        snprintf(err, errlen, "need 1 to %u values", DECODE_MAX_WORDS);
        return false;
    }
    memcpy(r->words, w, n * sizeof *w);
    r->nwords = n;
    unsigned want = 1;
    void (*fn1)(decode_result *) = NULL;
    const char *norm = kind;
    static const struct {
        const char *name;
        void (*fn)(decode_result *);
        unsigned words;
    } simple[] = {
        {"capabilities", d_capabilities, 1}, {"caps", d_capabilities, 1},
        {"fctl", d_fctl, 1},                 {"ddtp", d_ddtp, 1},
        {"ipsr", d_ipsr, 1},                 {"icvec", d_icvec, 1},
        {"iohpmcycles", d_hpmcycles, 1},     {"tr_req_iova", d_tr_req_iova, 1},
        {"tr_req_ctl", d_tr_req_ctl, 1},     {"tr_response", d_tr_response, 1},
        {"iommu_qosid", d_qosid, 1},         {"qosid", d_qosid, 1},
        {"pc", d_pc, 2},                     {"pte", d_pte, 1},
        {"ddte", d_ddte, 1},                 {"cmd", d_cmd, 2},
        {"command", d_cmd, 2},               {"fault", d_fault, 4},
        {"fault_record", d_fault, 4},
    };
    for (size_t i = 0; i < sizeof simple / sizeof simple[0]; i++)
        if (cli_name_eq(kind, simple[i].name)) {
            fn1 = simple[i].fn;
            want = simple[i].words;
            norm = simple[i].name;
            break;
        }
    if (fn1) {
        if (n != want) {
            snprintf(err, errlen, "%s takes %u value%s, got %u", norm, want, want == 1 ? "" : "s",
                     n);
            return false;
        }
        snprintf(r->kind, sizeof r->kind, "%s", norm);
        fn1(r);
        return true;
    }
    if (cli_name_eq(kind, "dc")) {
        if (n != 4 && n != 8) {
            snprintf(err, errlen, "dc takes 4 values (base format) or 8 (extended), got %u", n);
            return false;
        }
        snprintf(r->kind, sizeof r->kind, "dc");
        d_dc(r);
        return true;
    }
    if (n != 1) {
        snprintf(err, errlen, "a register value is one number, got %u", n);
        goto unknown_or_count;
    }
    snprintf(r->kind, sizeof r->kind, "%.23s", kind);
    if (cli_name_eq(kind, "cqb")) {
        d_qb(r, "command queue", RIOMMU_CMD_SIZE);
    } else if (cli_name_eq(kind, "fqb")) {
        d_qb(r, "fault queue", RIOMMU_FQ_REC_SIZE);
    } else if (cli_name_eq(kind, "pqb")) {
        d_qb(r, "page-request queue", RIOMMU_PQ_REC_SIZE);
    } else if (cli_name_eq(kind, "cqh") || cli_name_eq(kind, "fqh") || cli_name_eq(kind, "pqh")) {
        d_index(r, "next entry software reads (head)");
    } else if (cli_name_eq(kind, "cqt") || cli_name_eq(kind, "fqt") || cli_name_eq(kind, "pqt")) {
        d_index(r, "next entry the producer writes (tail)");
    } else if (cli_name_eq(kind, "cqcsr")) {
        d_qcsr(r, 'c');
    } else if (cli_name_eq(kind, "fqcsr")) {
        d_qcsr(r, 'f');
    } else if (cli_name_eq(kind, "pqcsr")) {
        d_qcsr(r, 'p');
    } else if (cli_name_eq(kind, "iocountovf")) {
        d_counters_mask(r, "overflowed");
    } else if (cli_name_eq(kind, "iocountinh")) {
        d_counters_mask(r, "inhibited");
    } else if (kind_is(kind, "iohpmctr")) {
        fld(r, 0, ~0ull, "counter", NULL);
    } else if (kind_is(kind, "iohpmevt")) {
        d_hpmevt(r);
    } else if (kind_is(kind, "msi_addr")) {
        d_msi(r, 0);
    } else if (kind_is(kind, "msi_data")) {
        d_msi(r, 1);
    } else if (kind_is(kind, "msi_vec_ctl")) {
        d_msi(r, 2);
    } else {
        goto unknown;
    }
    return true;
unknown_or_count:
    {
        /* Unknown kind beats a wrong count in the message. */
        static const char *const regs[] = {"cqb", "fqb", "pqb", "cqh", "cqt", "fqh", "fqt",
                                           "pqh", "pqt", "cqcsr", "fqcsr", "pqcsr",
                                           "iocountovf", "iocountinh"};
        bool known = kind_is(kind, "iohpmctr") || kind_is(kind, "iohpmevt") ||
                     kind_is(kind, "msi_addr") || kind_is(kind, "msi_data") ||
                     kind_is(kind, "msi_vec_ctl");
        for (size_t i = 0; i < sizeof regs / sizeof regs[0]; i++)
            known = known || cli_name_eq(kind, regs[i]);
        if (known)
            return false;
    }
unknown:
    snprintf(err, errlen, "unknown kind '%.40s' (see riommu decode --help)", kind);
    return false;
}

static void value_str(char *b, size_t n, const decode_field *f)
{
    if (f->hi == f->lo || f->value < 10 || f->dec)
        snprintf(b, n, "%" PRIu64, f->value);
    else
        snprintf(b, n, "0x%" PRIx64, f->value);
}

void decode_render(FILE *out, const decode_result *r)
{
    fprintf(out, "%s", r->kind);
    for (unsigned i = 0; i < r->nwords; i++)
        fprintf(out, " 0x%016" PRIx64, r->words[i]);
    fprintf(out, "%s%s\n", r->title[0] ? ": " : "", r->title);
    unsigned last_word = ~0u;
    for (unsigned i = 0; i < r->n; i++) {
        const decode_field *f = &r->f[i];
        if (r->nwords > 1 && f->word != last_word) {
            last_word = f->word;
            if (r->word_names[f->word])
                fprintf(out, "  %s (0x%016" PRIx64 ")\n", r->word_names[f->word],
                        r->words[f->word]);
            else
                fprintf(out, "  word %u (0x%016" PRIx64 ")\n", f->word, r->words[f->word]);
        }
        char nv[64], bits[16];
        char v[32];
        value_str(v, sizeof v, f);
        snprintf(nv, sizeof nv, "%s=%s", f->name, v);
        if (f->hi == f->lo)
            snprintf(bits, sizeof bits, "[%u]", f->lo);
        else
            snprintf(bits, sizeof bits, "[%u:%u]", f->hi, f->lo);
        if (f->reserved || f->meaning[0])
            fprintf(out, "    %-28s %-8s %s%s\n", nv, bits, f->reserved ? "! " : "", f->meaning);
        else
            fprintf(out, "    %-28s %s\n", nv, bits);
    }
    if (r->reserved_set)
        fprintf(out, "  warning: %u reserved field%s set: hardware treats this as illegal or "
                     "misconfigured\n",
                r->reserved_set, r->reserved_set == 1 ? "" : "s");
}

void decode_kinds_help(FILE *out)
{
    fputs("registers (one value):\n"
          "  capabilities fctl ddtp cqb cqh cqt fqb fqh fqt pqb pqh pqt cqcsr fqcsr pqcsr\n"
          "  ipsr iocountovf iocountinh iohpmcycles iohpmctrN iohpmevtN tr_req_iova\n"
          "  tr_req_ctl tr_response iommu_qosid icvec msi_addr msi_data msi_vec_ctl\n"
          "in-memory structures:\n"
          "  dc     device context: 4 values (base: tc iohgatp ta fsc) or 8 (extended:\n"
          "         + msiptp msi_addr_mask msi_addr_pattern reserved)\n"
          "  pc     process context: 2 values (ta fsc)\n"
          "  pte    a first-stage page-table entry: 1 value\n"
          "  ddte   a non-leaf device-directory entry: 1 value\n"
          "  cmd    a command-queue entry: 2 values (dword0 dword1)\n"
          "  fault  a fault-queue record: 4 values (header reserved iotval iotval2)\n",
          out);
}

/* A hex word: optional 0x, '_' allowed, at most 16 digits. */
static bool parse_hex(const char *s, uint64_t *v)
{
    if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
        s += 2;
    unsigned digits = 0;
    uint64_t x = 0;
    for (; *s; s++) {
        unsigned d;
        if (*s == '_' && digits)
            continue;
        if (*s >= '0' && *s <= '9')
            d = (unsigned)(*s - '0');
        else if (*s >= 'a' && *s <= 'f')
            d = (unsigned)(*s - 'a' + 10);
        else if (*s >= 'A' && *s <= 'F')
            d = (unsigned)(*s - 'A' + 10);
        else
            return false;
        if (++digits > 16)
            return false;
        x = (x << 4) | d;
    }
    if (!digits)
        return false;
    *v = x;
    return true;
}

static void decode_usage(FILE *o)
{
    fputs("usage: riommu decode KIND HEX...\n"
          "\n"
          "Names every field of a register value or an in-memory structure of the\n"
          "RISC-V IOMMU (spec release 20260222). Values are hexadecimal, with or\n"
          "without 0x, '_' allowed; a structure is given as its 64-bit words in\n"
          "memory order. Reserved bits that are set are flagged with '!'.\n"
          "\n",
          o);
    decode_kinds_help(o);
    fputs("\nexamples:\n"
          "  riommu decode ddtp 0x20040004\n"
          "  riommu decode cmd 0x0000000100001401 0x400\n"
          "  riommu decode dc 0x1 0 0x1000 0x9000000000080300\n"
          "  riommu decode fault 0x0001010c0000000f 0 0x10000000 0\n"
          "\nexit status: 0 decoded, 2 bad arguments.\n",
          o);
}

int decode_main(int argc, char **argv)
{
    for (int i = 1; i < argc; i++)
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            decode_usage(stdout);
            return 0;
        }
    if (argc < 3) {
        fprintf(stderr, "riommu decode: %s\n", argc < 2 ? "missing KIND and value" : "missing value");
        decode_usage(stderr);
        return 2;
    }
    uint64_t w[DECODE_MAX_WORDS];
    unsigned n = 0;
    for (int i = 2; i < argc; i++) {
        if (n == DECODE_MAX_WORDS) {
            fprintf(stderr, "riommu decode: too many values (at most %u)\n", DECODE_MAX_WORDS);
            return 2;
        }
        if (!parse_hex(argv[i], &w[n])) {
            fprintf(stderr, "riommu decode: '%s' is not a 64-bit hexadecimal value\n", argv[i]);
            return 2;
        }
        n++;
    }
    decode_result r;
    char err[160];
    if (!decode_value(argv[1], w, n, &r, err, sizeof err)) {
        fprintf(stderr, "riommu decode: %s\n", err);
        return 2;
    }
    decode_render(stdout, &r);
    return 0;
}
