// riommu_dut.cpp - thin adapter: the verilated riommu_rtl_top behind the
// contract, and the model parameters matching its defaults.
#include "riommu_dut.h"

#include <cstdio>

#include "Vriommu_rtl_top.h"
#include "dut_factory.h"
#include "riommu/riommu_bits.h"

namespace {

// Capability bits riommu_rtl_top implements, each of which a strap may set
// or clear (README.md "Configuration straps"); IGS and PAS are fields.
// MSI_FLAT selects the extended device-context format; the DUT has no MSI
// page tables, so a DC with msiptp other than Off is misconfigured there
// (README.md "Known gaps"): the Linux driver never enables them.
constexpr uint64_t kSwitchableCaps =
    RIOMMU_CAP_SV39 | RIOMMU_CAP_SV48 | RIOMMU_CAP_SV57 | RIOMMU_CAP_SVRSW60T59B |
    RIOMMU_CAP_SVPBMT | RIOMMU_CAP_AMO_HWAD | RIOMMU_CAP_END | RIOMMU_CAP_NL | RIOMMU_CAP_S |
    RIOMMU_CAP_MSI_FLAT;

struct CapName {
    uint64_t bit;
    const char *name;
    const char *why;
};
const CapName kMissing[] = {
    {RIOMMU_CAP_SV32, "Sv32", "no Sv32 (SXL=1) translation"},
    {RIOMMU_CAP_SV32X4 | RIOMMU_CAP_SV39X4 | RIOMMU_CAP_SV48X4 | RIOMMU_CAP_SV57X4, "Sv*x4",
     "no second stage"},
    {RIOMMU_CAP_AMO_MRIF | RIOMMU_CAP_MSI_MRIF, "MSI_MRIF", "no MRIF MSI translation"},
    {RIOMMU_CAP_ATS | RIOMMU_CAP_T2GPA, "ATS", "no ATS/PRI"},
    {RIOMMU_CAP_HPM, "HPM", "no performance monitor"},
    {RIOMMU_CAP_DBG, "DBG", "no debug translation interface"},
    {RIOMMU_CAP_PD8 | RIOMMU_CAP_PD17 | RIOMMU_CAP_PD20, "PD*", "no process directory"},
    {RIOMMU_CAP_QOSID, "QOSID", "no QoS IDs"},
};

bool cache_eq(const riommu_cache_config &a, const riommu_cache_config &b)
{
    return a.enable == b.enable && (!a.enable || (a.entries == b.entries && a.assoc == b.assoc &&
                                                  a.policy == b.policy));
}

int cannot(char *why, size_t len, const char *fmt, const char *what, unsigned long long v,
           unsigned long long dut)
{
    char head[160];
    std::snprintf(head, sizeof head, fmt, what);
    std::snprintf(why, len, "riommu_rtl_top %s (model %llu, DUT %llu)", head, v, dut);
    return -1;
}

extern "C" int riommu_dut_configure(rh::Dut *d, const riommu_config *cfg, unsigned mutant,
                                    char *why, size_t whylen)
{
    riommu_config dut;
    riommu_config_default(&dut);
    riommu_rtl_model_config(&dut);
    const riommu_config &c = cfg ? *cfg : dut;
    if (mutant > RIOMMU_RTL_MUTANTS) {
        std::snprintf(why, whylen, "riommu_rtl_top has mutants 1..%u, not %u", RIOMMU_RTL_MUTANTS,
                      mutant);
        return -1;
    }
    for (const CapName &m : kMissing)
        if (c.capabilities & m.bit) {
            std::snprintf(why, whylen, "riommu_rtl_top has %s (caps.%s)", m.why, m.name);
            return -1;
        }
    const uint64_t fields = RIOMMU_CAP_VERSION | RIOMMU_CAP_IGS | RIOMMU_CAP_PAS;
    uint64_t extra = c.capabilities & ~(kSwitchableCaps | fields);
    if (extra)
        return cannot(why, whylen, "has no capability bits %s", "outside its parameter set",
                      extra, dut.capabilities & ~fields);
    uint64_t ver = RIOMMU_FIELD_GET(c.capabilities, RIOMMU_CAP_VERSION);
    if (ver != RIOMMU_FIELD_GET(dut.capabilities, RIOMMU_CAP_VERSION))
        return cannot(why, whylen, "implements one %s", "caps.version", ver, 0x10);
    uint64_t pas = RIOMMU_FIELD_GET(c.capabilities, RIOMMU_CAP_PAS);
    if (pas > 56 || pas < 32)
        return cannot(why, whylen, "takes %s from 32 to 56", "caps.PAS", pas, 56);
#define RTL_SAME(f, what)                                                                        \
    if (c.f != dut.f)                                                                            \
        return cannot(why, whylen, "has a fixed %s", what, (unsigned long long)c.f,             \
                      (unsigned long long)dut.f);
    RTL_SAME(fctl_reset, "fctl reset value");
    RTL_SAME(fctl_gxl_writable, "fctl.GXL (read-only)");
    RTL_SAME(pq_max_log2szm1, "page-request queue (none)");
    RTL_SAME(pq_fixed_ppn, "page-request queue (none)");
    RTL_SAME(iotval_page_offset, "iotval choice (README choice 11)");
    RTL_SAME(check_pas, "PAS check (README choice 9)");
    RTL_SAME(synchronous, "asynchronous register side effects");
    RTL_SAME(qb_write_clears_index, "queue-index choice (README choice 5)");
#undef RTL_SAME
    if (!cache_eq(c.iotlb, dut.iotlb) || !cache_eq(c.ddtc, dut.ddtc) || c.walkc.enable)
        return cannot(why, whylen, "has %s (a 16-entry FIFO IOTLB, an 8-entry FIFO DDTC, no walk cache)",
                      "fixed cache geometry", c.iotlb.entries, dut.iotlb.entries);
    if (c.ddtp_reset_mode > 1)
        return cannot(why, whylen, "resets %s to Off or Bare", "ddtp", c.ddtp_reset_mode, 0);
    if (c.ddt_modes & ~0x1Cu)
        return cannot(why, whylen, "has %s 1LVL..3LVL only", "ddtp modes", c.ddt_modes, 0x1C);
    if (c.cq_max_log2szm1 > 15 || c.fq_max_log2szm1 > 15)
        return cannot(why, whylen, "has %s up to 15", "queue LOG2SZ-1",
                      c.cq_max_log2szm1 > 15 ? c.cq_max_log2szm1 : c.fq_max_log2szm1, 15);
    if (c.num_vectors < 1 || c.num_vectors > 16)
        return cannot(why, whylen, "has %s 1..16", "interrupt vectors", c.num_vectors, 16);
    const uint64_t ppn_max = (1ull << 44) - 1;
    if (c.ddtp_fixed_ppn > ppn_max || c.cq_fixed_ppn > ppn_max || c.fq_fixed_ppn > ppn_max)
        return cannot(why, whylen, "has %s of 44 bits", "fixed PPNs", c.ddtp_fixed_ppn, ppn_max);
    if (!d)
        return 0;
    Vriommu_rtl_top &t = static_cast<rh::VerilatedDut<Vriommu_rtl_top> *>(d)->top();
    t.verif_mutant = static_cast<uint8_t>(mutant);
    t.verif_caps = c.capabilities;
    t.verif_ddt_modes = c.ddt_modes;
    t.verif_ddtp_reset_bare = c.ddtp_reset_mode == 1;
    t.verif_cq_max_log2 = c.cq_max_log2szm1;
    t.verif_fq_max_log2 = c.fq_max_log2szm1;
    t.verif_num_vec = c.num_vectors;
    t.verif_ddtp_fixed_ppn = c.ddtp_fixed_ppn;
    t.verif_cq_fixed_ppn = c.cq_fixed_ppn;
    t.verif_fq_fixed_ppn = c.fq_fixed_ppn;
    return 0;
}

} // namespace

extern "C" const riommu_rtl_dut *riommu_rtl_riommu_dut(void)
{
    static const riommu_rtl_dut d{"riommu_rtl_top", rh::make_dut<Vriommu_rtl_top>,
                                  riommu_dut_configure};
    return &d;
}

extern "C" void riommu_rtl_model_config(riommu_config *cfg)
{
    // riommu_rtl_top parameters: CAPS, DDTP_RESET, CQ/FQ_MAX_LOG2, NUM_VEC,
    // IOTLB_ENTRIES, DDTC_ENTRIES (defaults).
    cfg->capabilities = 0x00000C382900CE10ull;
    cfg->fctl_reset = 0;
    cfg->fctl_gxl_writable = false;
    cfg->ddtp_reset_mode = 0;
    cfg->ddt_modes = 0x1C;
    cfg->ddtp_fixed_ppn = 0;
    cfg->cq_max_log2szm1 = 15;
    cfg->fq_max_log2szm1 = 15;
    cfg->cq_fixed_ppn = 0;
    cfg->fq_fixed_ppn = 0;
    cfg->num_vectors = 16;
    cfg->iotval_page_offset = true;  // README choice 11
    cfg->check_pas = true;           // README choice 9
    cfg->qb_write_clears_index = false; // README choice 5
    cfg->iotlb.entries = 16;
    cfg->iotlb.assoc = 0;
    cfg->iotlb.policy = RIOMMU_REPL_FIFO;
    cfg->iotlb.enable = true;
    cfg->ddtc.entries = 8;
    cfg->ddtc.assoc = 0;
    cfg->ddtc.policy = RIOMMU_REPL_FIFO;
    cfg->ddtc.enable = true;
    cfg->walkc.enable = false;       // no walk cache
}
