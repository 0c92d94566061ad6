// test_harness.cpp - the harness controller and bus models on the test stub
// (docs/rtl-harness.md, "Harness").
#include <cstdio>
#include <fstream>
#include <functional>
#include <vector>

#include "harness_fixture.h"

TEST(RtlHarness, ResetThenCapsReadsItsParameter)
{
    auto h = make_stub_harness();
    EXPECT_GE(h->cycle(), 8u);                 // rst_n held >= 8 cycles
    EXPECT_EQ(reg_rd(*h, 0x000), 0x10u);       // stub CAPS parameter
    EXPECT_EQ(reg_rd(*h, 0x000, 4), 0x10u);
    EXPECT_EQ(reg_rd(*h, 0x004, 4), 0x0u);
}

TEST(RtlHarness, RegisterMaster4And8ByteLanes)
{
    auto h = make_stub_harness();
    reg_wr(*h, 0x018, 0x1122334455667788ull);
    EXPECT_EQ(reg_rd(*h, 0x018), 0x1122334455667788ull);
    reg_wr(*h, 0x01c, 0xaabbccdd, 4);          // upper lane only
    EXPECT_EQ(reg_rd(*h, 0x018), 0xaabbccdd55667788ull);
    EXPECT_EQ(reg_rd(*h, 0x018, 4), 0x55667788u);
    EXPECT_EQ(reg_rd(*h, 0x01c, 4), 0xaabbccddu);
    EXPECT_FALSE(h->regs().start_write(0x01a, 4, 0)); // misaligned: refused
    EXPECT_TRUE(h->violations().empty());
}

// Burst engine of the stub: writes `beats` beats at `addr` on `id`.
static void engine(rh::Harness &h, bool write, uint64_t addr, unsigned beats, unsigned id)
{
    reg_wr(h, STUB_ENG_ADDR, addr);
    reg_wr(h, STUB_ENG_CTL, (write ? 1u : 0u) | ((beats - 1) << 8) | (id << 12));
    h.run(4); // the engine starts a few cycles after the register write
}

// Polls a stub register through the register port (bounded).
template <class Pred>
static bool poll_until(rh::Harness &h, uint32_t off, Pred ok)
{
    for (int i = 0; i < 1000; i++) {
        uint64_t v;
        if (!h.reg_read(off, 8, &v))
            return false;
        if (ok(v))
            return true;
    }
    return false;
}

TEST(RtlHarness, MemorySlaveBurstsUnderLatencyBackPressureAndReordering)
{
    rh::HarnessConfig cfg;
    cfg.mem.lat_min = 3;
    cfg.mem.lat_max = 40;
    cfg.mem.ready_pct = 40;
    cfg.mem.reorder = true;
    cfg.mem.seed = 7;
    auto h = make_stub_harness(cfg);
    // Four 16-beat write bursts, then read them back on four IDs at once.
    for (unsigned i = 0; i < 4; i++) {
        engine(*h, true, 0x80000000u + 0x1000u * i, 16, i);
        ASSERT_TRUE(poll_until(*h, STUB_ENG_BEATS, [i](uint64_t v) { return v >> 32 == i + 1; }));
    }
    uint64_t expect = 0;
    for (unsigned i = 0; i < 4; i++) {
        uint64_t a = 0x80000000u + 0x1000u * i;
        for (unsigned b = 0; b < 16; b++) {
            uint64_t v = a + b * 0x0101010101010101ull;
            EXPECT_EQ(h->mem().mem().read64(a + 8 * b), v) << "burst " << i << " beat " << b;
            expect += v;
        }
    }
    for (unsigned i = 0; i < 4; i++)
        engine(*h, false, 0x80000000u + 0x1000u * i, 16, i);
    ASSERT_TRUE(poll_until(*h, STUB_ENG_BEATS, [](uint64_t v) { return (v & 0xffffffffu) == 64; }));
    EXPECT_EQ(reg_rd(*h, STUB_ENG_BEATS) & 0xffffffffu, 64u);
    EXPECT_EQ(reg_rd(*h, STUB_ENG_SUM), expect);
    EXPECT_GT(h->mem().reordered(), 0u) << "no response overtook an older one";
    EXPECT_GT(h->mem().stalls(), 0u) << "no back-pressure applied";
    EXPECT_TRUE(h->violations().empty());
}

TEST(RtlHarness, MemorySlaveLatencyIsHonoured)
{
    rh::HarnessConfig cfg;
    cfg.mem.lat_min = cfg.mem.lat_max = 50;
    auto h = make_stub_harness(cfg);
    h->mem().mem().write(0x1000, "\x11\x22\x33\x44\x55\x66\x77\x88", 8);
    rh::DevReq r;
    r.addr = 0x1000;
    rh::DevRsp rsp;
    uint64_t t0 = h->cycle();
    ASSERT_TRUE(h->dev_access(r, &rsp)) << h->error().text;
    EXPECT_EQ(rsp.rdata, 0x8877665544332211ull);
    EXPECT_GE(rsp.cycle - t0, 50u);
    EXPECT_LT(rsp.cycle - t0, 60u);
}

TEST(RtlHarness, MemorySlaveErrorRangeGivesSlverr)
{
    rh::HarnessConfig cfg;
    cfg.mem.error_ranges.push_back({0x2000, 0x1000});
    auto h = make_stub_harness(cfg);
    rh::DevReq r;
    r.addr = 0x2008;
    rh::DevRsp rsp;
    ASSERT_TRUE(h->dev_access(r, &rsp));
    EXPECT_EQ(rsp.resp, rh::AXI_SLVERR);
}

// Runs device writes until the checker reports something (or gives up).
static rh::Violation first_violation(unsigned mode, unsigned ready_pct)
{
    rh::HarnessConfig cfg;
    cfg.mem.ready_pct = ready_pct;
    cfg.mem.seed = 3;
    cfg.watchdog_cycles = 2000;
    auto h = make_stub_harness(cfg);
    reg_wr(*h, STUB_MODE, mode);
    for (unsigned i = 0; i < 50 && h->violations().empty(); i++) {
        if (mode == STUB_MODE_NO_WLAST) {
            engine(*h, true, 0x4000, 4, 1);
            h->run(200);
        } else if (mode == STUB_MODE_SPURIOUS_B) {
            h->run(20);
        } else {
            rh::DevReq r;
            r.write = true;
            r.addr = 0x3000 + 8 * i;
            rh::DevRsp rsp;
            h->dev_access(r, &rsp);
        }
    }
    EXPECT_FALSE(h->violations().empty()) << "mode " << mode;
    return h->violations().empty() ? rh::Violation{} : h->violations().front();
}

TEST(RtlChecker, CatchesValidDroppedBeforeReady)
{
    rh::Violation v = first_violation(STUB_MODE_VALID_DROP, 30);
    EXPECT_EQ(v.port, "m_mem");
    EXPECT_EQ(v.rule, "valid-dropped");
    EXPECT_NE(v.text().find("port m_mem, rule valid-dropped, cycle "), std::string::npos)
        << v.text();
    EXPECT_GT(v.cycle, 0u);
}

TEST(RtlChecker, CatchesPayloadChangeWhileWaiting)
{
    rh::Violation v = first_violation(STUB_MODE_PAYLOAD_CHANGE, 30);
    EXPECT_EQ(v.port, "m_mem");
    EXPECT_EQ(v.rule, "payload-changed");
}

TEST(RtlChecker, CatchesMissingWlast)
{
    rh::Violation v = first_violation(STUB_MODE_NO_WLAST, 100);
    EXPECT_EQ(v.port, "m_mem");
    EXPECT_EQ(v.rule, "wlast-missing");
}

TEST(RtlChecker, CatchesResponseWithoutRequest)
{
    rh::Violation v = first_violation(STUB_MODE_SPURIOUS_B, 100);
    EXPECT_EQ(v.port, "s_dev");
    EXPECT_EQ(v.rule, "b-without-request");
}

TEST(RtlChecker, CatchesBurstCrossing4KiB)
{
    auto h = make_stub_harness();
    engine(*h, false, 0x5fc0, 16, 2); // 0x5fc0 + 128 bytes crosses 0x6000
    h->run(100);
    auto v = h->violations();
    ASSERT_FALSE(v.empty());
    EXPECT_EQ(v.front().port, "m_mem");
    EXPECT_EQ(v.front().rule, "burst-crosses-4k");
}

// A stub misbehaviour (`mode`) and what the checker made of it: the first
// violation, the cycles between which it must have been seen, and the
// error a blocking operation reports afterwards.
struct Caught {
    rh::Violation v;
    uint64_t from = 0, to = 0;
    std::string error;
};

static Caught provoke(unsigned mode, const std::function<void(rh::Harness &)> &act)
{
    rh::HarnessConfig cfg;
    cfg.watchdog_cycles = 2000;
    auto h = make_stub_harness(cfg);
    reg_wr(*h, STUB_MODE, mode);
    Caught c;
    c.from = h->cycle();
    for (int i = 0; i < 20 && h->violations().empty(); i++)
        act(*h);
    c.to = h->cycle();
    EXPECT_FALSE(h->violations().empty()) << "mode " << mode;
    if (h->violations().empty())
        return c;
    c.v = h->violations().front();
    uint64_t x;
    EXPECT_FALSE(h->reg_read(0, 8, &x)); // stopped by the violation
    c.error = h->error().text;
    return c;
}

// The message names the port, the rule and the cycle of the offending
// sample, and a blocking operation afterwards reports exactly it.
static void expect_named(const Caught &c, const char *port, const char *rule)
{
    EXPECT_EQ(c.v.port, port);
    EXPECT_EQ(c.v.rule, rule);
    EXPECT_GE(c.v.cycle, c.from);
    EXPECT_LE(c.v.cycle, c.to);
    std::string head = std::string("AXI protocol violation on port ") + port + ", rule " + rule +
                       ", cycle " + std::to_string(c.v.cycle) + ": ";
    EXPECT_EQ(c.v.text().rfind(head, 0), 0u) << c.v.text();
    EXPECT_EQ(c.error, c.v.text());
}

static void dev_read(rh::Harness &h)
{
    rh::DevReq r;
    r.addr = 0x1000;
    rh::DevRsp rsp;
    h.dev_access(r, &rsp);
}

// docs/rtl-harness.md "Classes" (axi_checker.h rule rlast-mismatch) and
// "Ports" (device port: single beats): a read beat that is the burst's last
// must carry rlast.
TEST(RtlChecker, CatchesRlastMismatch)
{
    Caught c = provoke(STUB_MODE_NO_RLAST, dev_read);
    expect_named(c, "s_dev", "rlast-mismatch");
    EXPECT_NE(c.v.detail.find("beat 1 of 1 without rlast"), std::string::npos) << c.v.detail;
}

// axi_checker.h rule r-without-request: a read beat on an ID with no read
// outstanding.
TEST(RtlChecker, CatchesReadDataWithoutRequest)
{
    Caught c = provoke(STUB_MODE_SPURIOUS_R, [](rh::Harness &h) { h.run(20); });
    expect_named(c, "s_dev", "r-without-request");
    EXPECT_EQ(c.v.detail, "rid 9");
}

// axi_checker.h rule wlast-early: wlast before the burst's last beat
// (memory port: INCR bursts of up to 16 beats, docs/rtl-harness.md "Ports").
TEST(RtlChecker, CatchesEarlyWlast)
{
    Caught c = provoke(STUB_MODE_EARLY_WLAST, [](rh::Harness &h) {
        engine(h, true, 0x4000, 4, 1);
        h.run(200);
    });
    expect_named(c, "m_mem", "wlast-early");
    EXPECT_NE(c.v.detail.find("wlast on beat 1 of 4"), std::string::npos) << c.v.detail;
}

// axi_checker.h rule burst-too-long; docs/rtl-harness.md "Ports": the
// memory port's bursts are at most 16 beats (arlen <= 15).
TEST(RtlChecker, CatchesBurstTooLong)
{
    Caught c = provoke(STUB_MODE_LONG_BURST, [](rh::Harness &h) {
        engine(h, false, 0x4000, 4, 1);
        h.run(200);
    });
    expect_named(c, "m_mem", "burst-too-long");
    EXPECT_EQ(c.v.detail, "arlen 19 > 15");
}

// axi_checker.h rule size-too-wide; docs/rtl-harness.md "Ports": beats of
// 8 bytes on a 64-bit data bus (arsize <= 3).
TEST(RtlChecker, CatchesBeatWiderThanTheBus)
{
    Caught c = provoke(STUB_MODE_WIDE_BEAT, [](rh::Harness &h) {
        engine(h, false, 0x4000, 1, 1);
        h.run(100);
    });
    expect_named(c, "m_mem", "size-too-wide");
    EXPECT_EQ(c.v.detail, "arsize 4");
}

TEST(RtlChecker, ViolationStopsBlockingOperations)
{
    auto h = make_stub_harness();
    reg_wr(*h, STUB_MODE, STUB_MODE_SPURIOUS_B);
    uint64_t v;
    while (h->violations().empty())
        h->tick();
    EXPECT_FALSE(h->reg_read(0, 8, &v));
    EXPECT_EQ(h->error().kind, rh::HarnessError::PROTOCOL);
    EXPECT_EQ(h->error().port, "s_dev");
}

// docs/rtl-harness.md "Harness" (watchdog_cycles per operation): the error
// names the operation, the port, when it started and when it was given up.
TEST(RtlWatchdog, CatchesHungDevicePort)
{
    rh::HarnessConfig cfg;
    cfg.watchdog_cycles = 500;
    auto h = make_stub_harness(cfg);
    reg_wr(*h, STUB_MODE, STUB_MODE_HANG);
    rh::DevReq r;
    r.addr = 0x1000;
    rh::DevRsp rsp;
    uint64_t start = h->cycle();
    EXPECT_FALSE(h->dev_access(r, &rsp));
    const rh::HarnessError &e = h->error();
    EXPECT_EQ(e.kind, rh::HarnessError::WATCHDOG);
    EXPECT_EQ(e.port, "s_dev");
    EXPECT_EQ(e.cycle, start + 500);
    EXPECT_EQ(e.what, "device read");
    EXPECT_EQ(e.text, "watchdog: device read on port s_dev started at cycle " +
                          std::to_string(start) + " did not complete within 500 cycles (now cycle " +
                          std::to_string(start + 500) + ")");
}

static uint64_t be64(const std::vector<unsigned char> &b, size_t at)
{
    uint64_t v = 0;
    for (size_t i = 0; i < 8; i++)
        v = (v << 8) | b[at + i];
    return v;
}

// docs/rtl-harness.md "Waveforms": an FST file of every cycle, reset
// included; cycle N starts at N ns (1 ps precision: 1000 units per cycle)
// and its rising edge is at N.5 ns.
TEST(RtlHarness, WaveformIsWrittenWhenAskedOneCyclePerNanosecond)
{
    rh::HarnessConfig cfg;
    cfg.wave = ::testing::TempDir() + "riommu_rtl_wave.fst";
    std::remove(cfg.wave.c_str());
    uint64_t cycles = 0;
    {
        auto h = make_stub_harness(cfg);
        reg_wr(*h, 0x018, 1);
        EXPECT_EQ(h->wave_period(), 1000u);
        cycles = h->cycle();
    }
    std::ifstream f(cfg.wave, std::ios::binary);
    ASSERT_TRUE(f.good());
    std::vector<unsigned char> b((std::istreambuf_iterator<char>(f)),
                                 std::istreambuf_iterator<char>());
    ASSERT_GT(b.size(), 330u);
    EXPECT_EQ(b[0], 0u);                 // FST header block
    EXPECT_EQ(be64(b, 1), 329u);         // its length
    EXPECT_EQ(be64(b, 9), 0u);           // start time
    EXPECT_EQ(be64(b, 17), (cycles - 1) * 1000 + 500); // last rising edge
    EXPECT_EQ(static_cast<signed char>(b[73]), -12); // timescale 1 ps
    std::remove(cfg.wave.c_str());
}

// A waveform that cannot be written is an error from the start, naming the
// file and why; nothing runs.
TEST(RtlHarness, UnwritableWaveformIsASetupError)
{
    rh::HarnessConfig cfg;
    cfg.wave = "/nonexistent-riommu-dir/w.fst";
    rh::Harness h(riommu_rtl_stub_dut()->make, cfg);
    EXPECT_TRUE(h.failed());
    EXPECT_EQ(h.error().kind, rh::HarnessError::SETUP);
    EXPECT_EQ(h.error().text,
              "cannot write the waveform '/nonexistent-riommu-dir/w.fst': No such file or directory");
    EXPECT_FALSE(h.reset());
    uint64_t v;
    EXPECT_FALSE(h.reg_read(0, 8, &v));
}
