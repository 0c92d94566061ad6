// stub_dut.cpp - thin adapter: the verilated test stub behind the contract.
#include "stub_dut.h"

#include "Vriommu_stub_top.h"
#include "dut_factory.h"

extern "C" const riommu_rtl_dut *riommu_rtl_stub_dut(void)
{
    static const riommu_rtl_dut d{"riommu_stub_top (test stub)",
                                  rh::make_dut<Vriommu_stub_top>, nullptr};
    return &d;
}
