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

struct riommu_rtl_dut {
    const char *name;
    std::unique_ptr<rh::Dut> (*make)(VerilatedContext *ctx);
};

#endif
