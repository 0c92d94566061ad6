// test_rtl_backend.cpp - riommu_backend_ops of the RTL backend, end to end
// on the test stub (DESIGN.md §2.2, docs/rtl-harness.md).
#include <gtest/gtest.h>

#include <cstring>

#include "riommu/riommu_bits.h"
#include "riommu/rtl_backend.h"
#include "stub_dut.h"

namespace {

struct Backend {
    riommu_backend_ops ops{};
    char err[256] = "";
    explicit Backend(riommu_rtl_config cfg = {})
    {
        cfg.dut = riommu_rtl_stub_dut();
        EXPECT_EQ(riommu_rtl_backend_create(&cfg, &ops, err, sizeof err), 0) << err;
    }
    ~Backend()
    {
        if (ops.destroy)
            ops.destroy(ops.ctx);
    }
};

riommu_request dev_req(riommu_req_access a, uint64_t iova, uint32_t len)
{
    riommu_request r;
    std::memset(&r, 0, sizeof r);
    r.device_id = 0x123456;
    r.process_id = 0xabcde;
    r.pv = true;
    r.priv = true;
    r.access = a;
    r.iova = iova;
    r.len = len;
    return r;
}

} // namespace

TEST(RtlBackend, CapsAsDocumented)
{
    Backend b;
    riommu_backend_caps c;
    b.ops.caps(b.ops.ctx, &c);
    EXPECT_STREQ(b.ops.name, "rtl");
    EXPECT_TRUE(c.dma && c.dma_exec && c.process_id && c.priv);
    EXPECT_TRUE(c.reports_pa && c.reports_cause && c.events && c.cycles);
    EXPECT_FALSE(c.translated);
}

TEST(RtlBackend, CreateWithoutDutFails)
{
    riommu_rtl_config cfg{};
    riommu_backend_ops ops;
    char err[128];
    EXPECT_EQ(riommu_rtl_backend_create(&cfg, &ops, err, sizeof err), -1);
    EXPECT_NE(std::strstr(err, "no DUT"), nullptr);
}

TEST(RtlBackend, MmioReadWrite)
{
    Backend b;
    uint64_t v = 0;
    ASSERT_EQ(b.ops.mmio_read(b.ops.ctx, RIOMMU_REG_CAPABILITIES, 8, &v), 0);
    EXPECT_EQ(v, 0x10u);
    ASSERT_EQ(b.ops.mmio_write(b.ops.ctx, RIOMMU_REG_CQB, 8, 0x12345600ull), 0);
    ASSERT_EQ(b.ops.mmio_read(b.ops.ctx, RIOMMU_REG_CQB, 8, &v), 0);
    EXPECT_EQ(v, 0x12345600ull);
    ASSERT_EQ(b.ops.mmio_write(b.ops.ctx, RIOMMU_REG_CQT, 4, 7), 0);
    ASSERT_EQ(b.ops.mmio_read(b.ops.ctx, RIOMMU_REG_CQT, 4, &v), 0);
    EXPECT_EQ(v, 7u);
}

TEST(RtlBackend, DmaForwardedWithDataAndPaUnderReordering)
{
    riommu_rtl_config cfg{};
    cfg.mem_lat_min = 2;
    cfg.mem_lat_max = 20;
    cfg.mem_ready_pct = 50;
    cfg.mem_reorder = 1;
    cfg.seed = 11;
    Backend b(cfg);
    uint8_t src[21], dst[21] = {};
    for (unsigned i = 0; i < sizeof src; i++)
        src[i] = static_cast<uint8_t>(0xa0 + i);
    ASSERT_EQ(b.ops.mem_write(b.ops.ctx, 0x10003, src, sizeof src), 0);
    riommu_request r = dev_req(RIOMMU_READ, 0x10003, sizeof src); // 4 pieces
    riommu_response rsp;
    ASSERT_EQ(b.ops.dma(b.ops.ctx, &r, dst, &rsp), 0) << b.ops.last_error(b.ops.ctx);
    EXPECT_EQ(rsp.status, RIOMMU_RSP_OK);
    EXPECT_EQ(rsp.pa, 0x10003u); // identity stub: pa from the memory port
    EXPECT_EQ(std::memcmp(src, dst, sizeof src), 0);

    uint8_t w[5] = {1, 2, 3, 4, 5}, back[5] = {};
    r = dev_req(RIOMMU_WRITE, 0x20006, sizeof w); // crosses an 8-byte word
    ASSERT_EQ(b.ops.dma(b.ops.ctx, &r, w, &rsp), 0) << b.ops.last_error(b.ops.ctx);
    EXPECT_EQ(rsp.status, RIOMMU_RSP_OK);
    EXPECT_EQ(rsp.pa, 0x20006u);
    ASSERT_EQ(b.ops.mem_read(b.ops.ctx, 0x20006, back, sizeof back), 0);
    EXPECT_EQ(std::memcmp(w, back, sizeof w), 0);

    r = dev_req(RIOMMU_EXEC, 0x10003, 4);
    ASSERT_EQ(b.ops.dma(b.ops.ctx, &r, dst, &rsp), 0);
    EXPECT_EQ(rsp.status, RIOMMU_RSP_OK);
}

TEST(RtlBackend, FaultCarriesCauseFromErrorResponse)
{
    Backend b;
    uint8_t buf[8] = {};
    riommu_response rsp;
    riommu_request r = dev_req(RIOMMU_READ, 0xff00000000001000ull, 8);
    ASSERT_EQ(b.ops.dma(b.ops.ctx, &r, buf, &rsp), 0);
    EXPECT_EQ(rsp.status, RIOMMU_RSP_FAULT);
    EXPECT_EQ(rsp.cause, 13u); // stub: read page fault
    r = dev_req(RIOMMU_WRITE, 0xff00000000001000ull, 8);
    ASSERT_EQ(b.ops.dma(b.ops.ctx, &r, buf, &rsp), 0);
    EXPECT_EQ(rsp.status, RIOMMU_RSP_FAULT);
    EXPECT_EQ(rsp.cause, 15u);
}

TEST(RtlBackend, UnrepresentableRequestIsBadRequest)
{
    Backend b;
    uint8_t buf[8];
    riommu_response rsp;
    riommu_request r = dev_req(RIOMMU_READ, 0x1000, 8);
    r.device_id = 1u << 24;
    ASSERT_EQ(b.ops.dma(b.ops.ctx, &r, buf, &rsp), 0);
    EXPECT_EQ(rsp.status, RIOMMU_RSP_BAD_REQUEST);
}

TEST(RtlBackend, MemoryPortWritesBecomeEvents)
{
    Backend b;
    // Fault queue at 0x40000 (4 entries), MSI vector 0 at 0x50000.
    ASSERT_EQ(b.ops.mmio_write(b.ops.ctx, RIOMMU_REG_FQB, 8, (0x40ull << 10) | 1), 0);
    ASSERT_EQ(b.ops.mmio_write(b.ops.ctx, RIOMMU_REG_MSI_ADDR(0), 8, 0x50000), 0);
    // The stub's burst engine stands in for the IOMMU's own writes.
    ASSERT_EQ(b.ops.mmio_write(b.ops.ctx, STUB_ENG_ADDR, 8, 0x40020), 0);
    ASSERT_EQ(b.ops.mmio_write(b.ops.ctx, STUB_ENG_CTL, 8, 1 | (3 << 8)), 0); // 32 bytes
    EXPECT_GT(b.ops.settle(b.ops.ctx), 0u);
    ASSERT_EQ(b.ops.mmio_write(b.ops.ctx, STUB_WSI, 8, 0x4), 0);
    b.ops.settle(b.ops.ctx);
    riommu_event ev[8];
    size_t n = b.ops.events(b.ops.ctx, ev, 8);
    ASSERT_EQ(n, 2u);
    EXPECT_EQ(ev[0].kind, RIOMMU_EV_FAULT_RECORD);
    EXPECT_EQ(ev[0].addr, 0x40020u);
    EXPECT_EQ(ev[0].len, 32u);
    EXPECT_EQ(ev[0].data[0], 0x20);
    EXPECT_EQ(ev[1].kind, RIOMMU_EV_WIRE);
    EXPECT_EQ(ev[1].addr, 2u);
    EXPECT_EQ(ev[1].data[0], 1);
    EXPECT_EQ(b.ops.events(b.ops.ctx, ev, 8), 0u);
}

TEST(RtlBackend, HangBecomesBackendErrorNamingPortAndCycle)
{
    riommu_rtl_config cfg{};
    cfg.watchdog_cycles = 300;
    Backend b(cfg);
    ASSERT_EQ(b.ops.mmio_write(b.ops.ctx, STUB_MODE, 8, STUB_MODE_HANG), 0);
    uint8_t buf[8];
    riommu_response rsp;
    riommu_request r = dev_req(RIOMMU_READ, 0x1000, 8);
    EXPECT_EQ(b.ops.dma(b.ops.ctx, &r, buf, &rsp), -1);
    std::string e = b.ops.last_error(b.ops.ctx);
    EXPECT_NE(e.find("watchdog: device read on port s_dev started at cycle "), std::string::npos)
        << e;
    // the cycle it gave up is the backend's clock now
    EXPECT_NE(e.find("within 300 cycles (now cycle " + std::to_string(b.ops.clock(b.ops.ctx)) +
                     ")"),
              std::string::npos)
        << e;
}

// docs/rtl-harness.md "Cycles and waveforms in reports": clock() is the
// harness cycle (the waveform's time base); it advances with every bus
// operation, and each event is stamped with the cycle it was written.
TEST(RtlBackend, ClockIsTheHarnessCycleAndStampsEvents)
{
    Backend b;
    ASSERT_NE(b.ops.clock, nullptr);
    uint64_t t0 = b.ops.clock(b.ops.ctx);
    EXPECT_GE(t0, 8u); // reset
    ASSERT_EQ(b.ops.mmio_write(b.ops.ctx, RIOMMU_REG_FQB, 8, (0x40ull << 10) | 1), 0);
    uint64_t t1 = b.ops.clock(b.ops.ctx);
    EXPECT_GT(t1, t0);
    uint64_t v;
    ASSERT_EQ(b.ops.mmio_read(b.ops.ctx, RIOMMU_REG_FQB, 8, &v), 0);
    EXPECT_GT(b.ops.clock(b.ops.ctx), t1);
    // a fault record written by the stub's burst engine, then a wsi change
    ASSERT_EQ(b.ops.mmio_write(b.ops.ctx, STUB_ENG_ADDR, 8, 0x40020), 0);
    ASSERT_EQ(b.ops.mmio_write(b.ops.ctx, STUB_ENG_CTL, 8, 1 | (3 << 8)), 0);
    uint64_t s0 = b.ops.clock(b.ops.ctx);
    b.ops.settle(b.ops.ctx);
    uint64_t s1 = b.ops.clock(b.ops.ctx);
    ASSERT_EQ(b.ops.mmio_write(b.ops.ctx, STUB_WSI, 8, 0x1), 0);
    uint64_t w1 = b.ops.clock(b.ops.ctx);
    b.ops.settle(b.ops.ctx);
    riommu_event ev[4];
    ASSERT_EQ(b.ops.events(b.ops.ctx, ev, 4), 2u);
    EXPECT_EQ(ev[0].kind, RIOMMU_EV_FAULT_RECORD);
    EXPECT_GT(ev[0].clock, s0);
    EXPECT_LT(ev[0].clock, s1);
    EXPECT_EQ(ev[1].kind, RIOMMU_EV_WIRE);
    EXPECT_GT(ev[1].clock, s1);
    EXPECT_LE(ev[1].clock, w1);
}

// A waveform file that cannot be written fails the backend's creation with
// the file and the reason (riommu run --wave reports it and exits 2).
TEST(RtlBackend, UnwritableWaveformFailsCreate)
{
    riommu_rtl_config cfg{};
    cfg.dut = riommu_rtl_stub_dut();
    cfg.wave = "/nonexistent-riommu-dir/w.fst";
    riommu_backend_ops ops{};
    char err[256];
    EXPECT_EQ(riommu_rtl_backend_create(&cfg, &ops, err, sizeof err), -1);
    EXPECT_STREQ(err,
                 "cannot write the waveform '/nonexistent-riommu-dir/w.fst': No such file or "
                 "directory");
}
