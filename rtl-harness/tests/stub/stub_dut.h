// stub_dut.h - the TEST STUB DUT (riommu_stub_top.sv) as a riommu_rtl_dut.
#ifndef RIOMMU_RTL_STUB_DUT_H
#define RIOMMU_RTL_STUB_DUT_H

#include "riommu/rtl_backend.h"

#ifdef __cplusplus
extern "C" {
#endif

const riommu_rtl_dut *riommu_rtl_stub_dut(void);

#ifdef __cplusplus
}
#endif

// Stub control registers (see riommu_stub_top.sv).
enum {
    STUB_MODE = 0xF00,
    STUB_ENG_ADDR = 0xF08,
    STUB_ENG_CTL = 0xF10,
    STUB_ENG_SUM = 0xF18,
    STUB_ENG_BEATS = 0xF20,
    STUB_WSI = 0xF28,
};
enum {
    STUB_MODE_NORMAL = 0,
    STUB_MODE_VALID_DROP = 1,
    STUB_MODE_PAYLOAD_CHANGE = 2,
    STUB_MODE_NO_WLAST = 3,
    STUB_MODE_HANG = 4,
    STUB_MODE_SPURIOUS_B = 5,
    STUB_MODE_NO_RLAST = 6,       // device read data without rlast
    STUB_MODE_SPURIOUS_R = 7,     // one device R (id 9) with no request
    STUB_MODE_EARLY_WLAST = 8,    // burst engine: wlast on every write beat
    STUB_MODE_LONG_BURST = 9,     // burst engine: arlen + 16
    STUB_MODE_WIDE_BEAT = 10,     // burst engine: arsize 4 (16 bytes)
};

#endif
