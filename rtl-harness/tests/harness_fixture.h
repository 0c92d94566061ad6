// harness_fixture.h - builds a Harness around the test stub.
#ifndef RIOMMU_RTL_HARNESS_FIXTURE_H
#define RIOMMU_RTL_HARNESS_FIXTURE_H

#include <gtest/gtest.h>

#include <memory>

#include "dut_factory.h"
#include "harness.h"
#include "stub_dut.h"

inline std::unique_ptr<rh::Harness> make_stub_harness(const rh::HarnessConfig &cfg = {})
{
    std::unique_ptr<rh::Harness> h(new rh::Harness(riommu_rtl_stub_dut()->make, cfg));
    EXPECT_TRUE(h->reset()) << h->error().text;
    return h;
}

inline uint64_t reg_rd(rh::Harness &h, uint32_t off, unsigned size = 8)
{
    uint64_t v = ~0ull;
    EXPECT_TRUE(h.reg_read(off, size, &v)) << h.error().text;
    return v;
}

inline void reg_wr(rh::Harness &h, uint32_t off, uint64_t v, unsigned size = 8)
{
    EXPECT_TRUE(h.reg_write(off, size, v)) << h.error().text;
}

#endif
