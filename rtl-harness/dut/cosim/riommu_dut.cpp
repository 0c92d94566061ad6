// riommu_dut.cpp - thin adapter: the verilated riommu_rtl_top behind the
// contract, and the model parameters matching its defaults.
#include "riommu_dut.h"

#include "Vriommu_rtl_top.h"
#include "dut_factory.h"

extern "C" const riommu_rtl_dut *riommu_rtl_riommu_dut(void)
{
    static const riommu_rtl_dut d{"riommu_rtl_top", rh::make_dut<Vriommu_rtl_top>};
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
