// dut_factory.h - the C-opaque riommu_rtl_dut of rtl_backend.h: a named
// factory. A DUT library defines one with a function returning it, e.g.
//
//     const riommu_rtl_dut *riommu_rtl_stub_dut(void)
//     {
//         static const riommu_rtl_dut d{"stub", rh::make_dut<Vriommu_stub_top>};
//         return &d;
//     }
#ifndef RIOMMU_RTL_DUT_FACTORY_H
#define RIOMMU_RTL_DUT_FACTORY_H

#include <memory>

#include "dut.h"
#include "riommu/riommu.h"

struct riommu_rtl_dut {
    const char *name;
    std::unique_ptr<rh::Dut> (*make)(VerilatedContext *ctx);
    // Optional (nullptr: the DUT has one fixed configuration and no
    // mutants). Decide whether the DUT can behave as the reference model
    // configured by `cfg` (nullptr: the DUT's defaults) with bug `mutant` switched in (0: none), and when
    // `d` is non-null set its configuration inputs accordingly, before
    // reset. Returns 0, or -1 with the first reason it cannot in why.
    int (*configure)(rh::Dut *d, const riommu_config *cfg, unsigned mutant, char *why,
                     size_t whylen);
};

#endif
