// test_timing.cpp - the cycle-approximate timing layer (DESIGN.md §2.5;
// docs/timing.md sections named in each test: "Translation", "Overlap",
// "Commands", "Stepping", "Functional mode", "Parameters").
#include "fixture.h"

#include <functional>
#include <tuple>

using namespace rt;

namespace {

constexpr unsigned SV39 = RIOMMU_IOSATP_MODE_SV39;
constexpr unsigned SV48 = RIOMMU_IOSATP_MODE_SV48;
constexpr unsigned SV57 = RIOMMU_IOSATP_MODE_SV57;
constexpr uint64_t FLAG = 0x70000000ull;

class TimingTest : public ModelTest {
  protected:
    uint64_t root = 0;

    // Model with CQ, FQ, a 3-level DDT and device 1 translated by a
    // first-stage table of `mode` mapping `pages` 4 KiB pages from IOVA
    // 0x10000 (A and D set: no A/D updates).
    void Bringup(unsigned mode = SV39, unsigned pages = 8) {
        Create();
        enable_cq();
        enable_fq();
        setup_ddt();
        root = new_root();
        for (unsigned i = 0; i < pages; i++)
            map(root, mode, 0x10000 + 0x1000ull * i, 0x90000000ull + 0x1000ull * i, RWUAD);
        attach_s1(1, root, mode, 7);
    }
    riommu_request req(uint64_t iova, uint32_t did = 1) {
        riommu_request r{};
        r.device_id = did;
        r.iova = iova;
        r.access = RIOMMU_READ;
        r.len = 4;
        return r;
    }
    riommu_response issue(uint64_t iova) {
        riommu_request r = req(iova);
        riommu_response rsp{};
        riommu_issue_translate(m, &r, &rsp);
        return rsp;
    }
    // Cycle (riommu_now) at which cqh first differs from `h`, stepping one
    // cycle at a time; at most `limit` cycles.
    uint64_t cycle_cqh_leaves(uint32_t h, uint64_t limit = 100000) {
        for (uint64_t i = 0; i < limit && rd32(RIOMMU_REG_CQH) == h; i++)
            riommu_step(m, 1);
        return riommu_now(m);
    }
};

// docs/timing.md "Translation": an IOTLB hit costs xlate_lat + ddtc.lat +
// iotlb.lat (defaults 2 + 1 + 1) and the clock advances by it.
TEST_F(TimingTest, Translation_IotlbHitLatency) {
    Bringup();
    expect_ok(1, 0x10000, RIOMMU_READ, 0x90000000);
    uint64_t t0 = riommu_now(m);
    riommu_response r = expect_ok(1, 0x10000, RIOMMU_READ, 0x90000000);
    EXPECT_TRUE(r.iotlb_hit);
    EXPECT_EQ(r.cycles, cfg.timing.xlate_lat + cfg.ddtc.lat + cfg.iotlb.lat);
    EXPECT_EQ(r.cycles, 4u);
    EXPECT_EQ(riommu_now(m) - t0, r.cycles);
}

// docs/timing.md "Translation": a DDTC miss walks the 3-level DDT (two
// non-leaf entries and the device context, mem_lat each), then the IOTLB
// misses and the first-stage walk probes the walk cache (walkc.lat) and
// reads one PTE per level (mem_lat each).
class TimingWalk : public TimingTest, public ::testing::WithParamInterface<unsigned> {};

TEST_P(TimingWalk, Translation_DdtcMissAndWalkIsSumOfParts) {
    unsigned mode = GetParam();
    Bringup(mode, 1);
    const riommu_timing_config &t = cfg.timing;
    uint64_t expect = t.xlate_lat + cfg.ddtc.lat + 3 * t.mem_lat + cfg.iotlb.lat +
                      cfg.walkc.lat + levels_of(mode) * t.mem_lat;
    riommu_response r = expect_ok(1, 0x10000, RIOMMU_READ, 0x90000000);
    EXPECT_FALSE(r.iotlb_hit);
    EXPECT_EQ(r.cycles, expect);
    // With the defaults: Sv39 125, Sv48 145, Sv57 165 cycles.
    EXPECT_EQ(r.cycles, 65u + 20u * levels_of(mode));
    riommu_stats s = stats();
    EXPECT_EQ(s.ptw_walks, 2u) << "the DDT walk and the first-stage walk";
    EXPECT_EQ(s.ptw_wait_cycles, 0u);
}

INSTANTIATE_TEST_SUITE_P(Modes, TimingWalk, ::testing::Values(SV39, SV48, SV57),
                         [](const ::testing::TestParamInfo<unsigned> &i) {
                             return i.param == SV39 ? "Sv39" : i.param == SV48 ? "Sv48" : "Sv57";
                         });

// docs/timing.md "Overlap": four IOTLB misses issued at one cycle. Each
// walk is a walk-cache hit for the non-leaf levels (walkc.lat 1) and one
// leaf PTE read (mem_lat 20): 21 cycles holding a walker slot. Lookups take
// the one DDTC and IOTLB port a cycle apart. With ptw_slots=1 the walks run
// one after another; with ptw_slots=2 two at a time.
class TimingOverlap : public TimingTest,
                      public ::testing::WithParamInterface<std::tuple<unsigned, std::vector<uint32_t>>> {};

TEST_P(TimingOverlap, Overlap_ConcurrentMissesShareWalkerSlots) {
    cfg.timing.ptw_slots = std::get<0>(GetParam());
    Bringup(SV39, 8);
    expect_ok(1, 0x10000, RIOMMU_READ, 0x90000000); // DDTC and walk cache warm
    settle();
    uint64_t t0 = riommu_now(m);
    std::vector<uint32_t> lat;
    for (unsigned i = 1; i <= 4; i++) {
        riommu_response r = issue(0x10000 + 0x1000ull * i);
        ASSERT_EQ(r.status, RIOMMU_RSP_OK);
        EXPECT_EQ(r.pa, 0x90000000ull + 0x1000ull * i);
        EXPECT_FALSE(r.iotlb_hit);
        lat.push_back(r.cycles);
    }
    EXPECT_EQ(riommu_now(m), t0) << "issuing does not advance the clock";
    EXPECT_FALSE(riommu_idle(m));
    EXPECT_EQ(lat, std::get<1>(GetParam()));
    EXPECT_EQ(settle(), lat.back()) << "settle runs until the last completes";
    EXPECT_TRUE(riommu_idle(m));
    EXPECT_EQ(stats().xlate_max_inflight, 4u);
}

INSTANTIATE_TEST_SUITE_P(
    PtwSlots, TimingOverlap,
    ::testing::Values(
        // 1 slot: T1 walks 4..25; T2, T3, T4 queue: 25..46, 46..67, 67..88.
        std::make_tuple(1u, std::vector<uint32_t>{25, 46, 67, 88}),
        // 2 slots: T1 4..25 and T2 5..26 overlap; T3 25..46, T4 26..47.
        std::make_tuple(2u, std::vector<uint32_t>{25, 26, 46, 47})),
    [](const auto &i) { return "ptw_slots_" + std::to_string(std::get<0>(i.param)); });

// docs/timing.md "Overlap": with xlate_slots=2, four hits issued at once:
// two start at once (a cycle apart at the single DDTC/IOTLB ports), the
// other two wait for a translation slot.
TEST_F(TimingTest, Overlap_XlateSlotsQueue) {
    cfg.timing.xlate_slots = 2;
    Bringup(SV39, 4);
    for (unsigned i = 0; i < 4; i++)
        expect_ok(1, 0x10000 + 0x1000ull * i, RIOMMU_READ, 0x90000000ull + 0x1000ull * i);
    settle();
    riommu_clear_stats(m);
    std::vector<uint32_t> lat;
    for (unsigned i = 0; i < 4; i++) {
        riommu_response r = issue(0x10000 + 0x1000ull * i);
        EXPECT_TRUE(r.iotlb_hit);
        lat.push_back(r.cycles);
    }
    // T1: slot at 0, DDTC 2..3, IOTLB 3..4. T2: slot at 0, DDTC 3..4,
    // IOTLB 4..5. T3 takes T1's slot at 4: DDTC 6..7, IOTLB 7..8. T4 takes
    // T2's at 5: DDTC 7..8, IOTLB 8..9.
    EXPECT_EQ(lat, (std::vector<uint32_t>{4, 5, 8, 9}));
    riommu_stats s = stats();
    EXPECT_EQ(s.xlate_wait_cycles, 4u + 5u);
    EXPECT_EQ(s.xlate_max_inflight, 2u);
    EXPECT_EQ(s.cache_wait_cycles, 1u) << "only T2's DDTC lookup met a busy port";
}

// docs/timing.md "Overlap": a lookup takes its port for `lat` cycles, so
// slots == lat is fully pipelined: 3 hits with iotlb lat 3 and slots 3
// finish a cycle apart instead of 3 apart.
TEST_F(TimingTest, Overlap_PipelinedCacheSlots) {
    for (uint32_t slots : {1u, 3u}) {
        SCOPED_TRACE(slots);
        riommu_destroy(m);
        m = nullptr;
        mem = Memory();
        riommu_config_default(&cfg);
        cfg.iotlb.lat = 3;
        cfg.iotlb.slots = slots;
        cfg.ddtc.slots = 4;
        Bringup(SV39, 3);
        for (unsigned i = 0; i < 3; i++)
            expect_ok(1, 0x10000 + 0x1000ull * i, RIOMMU_READ, 0x90000000ull + 0x1000ull * i);
        settle();
        std::vector<uint32_t> lat;
        for (unsigned i = 0; i < 3; i++)
            lat.push_back(issue(0x10000 + 0x1000ull * i).cycles);
        // xlate 2 + DDTC 1 (4 ports: no wait) + IOTLB 3, then queueing.
        if (slots == 1)
            EXPECT_EQ(lat, (std::vector<uint32_t>{6, 9, 12}));
        else
            EXPECT_EQ(lat, (std::vector<uint32_t>{6, 6, 6}));
        settle();
    }
}

// docs/timing.md "Limits" (port reservation lists): 40 misses queued on
// one walker reserve 40 separate walk-cache probes, more than a port's list
// holds; the list compacts and the walks still follow one another 21
// cycles apart. riommu_reset drops the work in flight.
TEST_F(TimingTest, Overlap_LongBacklogCompactsPorts) {
    cfg.timing.ptw_slots = 1;
    cfg.timing.xlate_slots = 64;
    cfg.iotlb.entries = 64;
    Bringup(SV39, 41);
    expect_ok(1, 0x10000, RIOMMU_READ, 0x90000000);
    settle();
    for (unsigned i = 1; i <= 40; i++) {
        riommu_response r = issue(0x10000 + 0x1000ull * i);
        ASSERT_EQ(r.status, RIOMMU_RSP_OK);
        EXPECT_EQ(r.cycles, 25u + 21u * (i - 1)) << "miss " << i;
    }
    EXPECT_EQ(stats().xlate_max_inflight, 40u);
    riommu_response hit = issue(0x10000);
    EXPECT_TRUE(hit.iotlb_hit);
    EXPECT_EQ(hit.cycles, 2u + 41u + 1u) << "DDTC and IOTLB ports: one lookup a cycle";
    EXPECT_FALSE(riommu_idle(m));
    riommu_reset(m);
    EXPECT_TRUE(riommu_idle(m));
}

// docs/timing.md "Overlap": riommu_issue_dma sends every page's
// translation at once; the data of each page moves when it completes.
TEST_F(TimingTest, Overlap_IssueDmaBurst) {
    cfg.timing.ptw_slots = 2;
    Bringup(SV39, 8);
    expect_ok(1, 0x10000, RIOMMU_READ, 0x90000000);
    settle();
    mem.w32(0x90001000, 0x11111111);
    mem.w32(0x90004000, 0x44444444);
    riommu_request r = req(0x11000);
    r.len = 4 * 4096;
    std::vector<uint8_t> buf(r.len);
    riommu_response rsp{};
    uint64_t t0 = riommu_now(m);
    ASSERT_EQ(riommu_issue_dma(m, &r, buf.data(), &rsp), RIOMMU_RSP_OK);
    EXPECT_EQ(rsp.pa, 0x90001000u);
    EXPECT_EQ(buf[0], 0x11);
    EXPECT_EQ(buf[3 * 4096], 0x44);
    // The four translations complete as in the ptw_slots=2 overlap test
    // (25, 26, 46, 47); the last page's data moves 20 cycles later.
    EXPECT_EQ(rsp.cycles, 47u + 20u);
    EXPECT_EQ(riommu_now(m), t0);
    EXPECT_EQ(settle(), 67u);
    // Blocking riommu_dma translates and moves one page after another.
    riommu_request r2 = req(0x15000);
    r2.len = 2 * 4096;
    ASSERT_EQ(riommu_dma(m, &r2, buf.data(), &rsp), RIOMMU_RSP_OK);
    EXPECT_EQ(rsp.cycles, 2u * (25u + 20u));
}

// docs/timing.md "DMA transactions": with dma_txn_bytes = 8 a DMA is
// naturally aligned 8-byte transactions, each translated (an IOTLB lookup
// each) and its data moved in dma_rd_lat / dma_wr_lat; the blocking call's
// latency is their sum.
TEST_F(TimingTest, Dma_TransactionsTranslateEachAndMoveData) {
    cfg.timing.dma_txn_bytes = 8;
    cfg.timing.dma_rd_lat = 3;
    cfg.timing.dma_wr_lat = 7;
    Bringup(SV39, 8);
    expect_ok(1, 0x10000, RIOMMU_READ, 0x90000000); // warm DDTC and IOTLB
    const uint32_t hit = cfg.timing.xlate_lat + cfg.ddtc.lat + cfg.iotlb.lat;
    mem.w32(0x90000008, 0xabcdef01);
    riommu_request r = req(0x10004);
    r.len = 16; // bytes 4..19: the words at 0, 8 and 16, three transactions
    std::vector<uint8_t> buf(64);
    riommu_response rsp{};
    uint64_t lookups = stats().iotlb.lookups, t0 = riommu_now(m);
    ASSERT_EQ(riommu_dma(m, &r, buf.data(), &rsp), RIOMMU_RSP_OK);
    EXPECT_EQ(buf[4], 0x01);
    EXPECT_EQ(stats().iotlb.lookups - lookups, 3u);
    EXPECT_EQ(rsp.cycles, 3 * (hit + 3));
    EXPECT_EQ(riommu_now(m) - t0, rsp.cycles);
    r.access = RIOMMU_WRITE;
    r.len = 8; // aligned: one transaction
    r.iova = 0x10010;
    ASSERT_EQ(riommu_dma(m, &r, buf.data(), &rsp), RIOMMU_RSP_OK);
    EXPECT_EQ(rsp.cycles, hit + 7);
    // Issued, all three arrive at once and queue for the one IOTLB port.
    r.access = RIOMMU_READ;
    r.iova = 0x10000;
    r.len = 24;
    ASSERT_EQ(riommu_issue_dma(m, &r, buf.data(), &rsp), RIOMMU_RSP_OK);
    EXPECT_EQ(rsp.cycles, hit + 2 * cfg.iotlb.lat + 3);
    EXPECT_EQ(settle(), rsp.cycles);
}

// docs/timing.md "Faults": a faulting translation spends fault_lat
// reporting, and its record waits for the fault-record writer, which is
// busy for one 32-byte implicit write (mem_lat + 3 mem_beat_lat) per
// record; a fault that writes no record (DTF) does not wait.
TEST_F(TimingTest, Faults_FaultLatAndRecordWriter) {
    cfg.timing.fault_lat = 3;
    cfg.timing.mem_beat_lat = 5;
    Bringup(SV39, 8);
    attach_s1(2, root, SV39, 7, RIOMMU_DC_TC_DTF);
    expect_ok(1, 0x10000, RIOMMU_READ, 0x90000000);
    expect_ok(2, 0x10000, RIOMMU_READ, 0x90000000);
    settle();
    const uint64_t unmapped = 0x40000000; // root entry 1: invalid
    riommu_response a = expect_fault(1, unmapped, RIOMMU_READ, RIOMMU_CAUSE_READ_PAGE_FAULT);
    EXPECT_TRUE(a.recorded);
    // The walk reads one PTE (root entry 1), then fault_lat.
    EXPECT_EQ(a.cycles, cfg.timing.xlate_lat + cfg.ddtc.lat + cfg.iotlb.lat + cfg.walkc.lat +
                            cfg.timing.mem_lat + 3);
    // Back to back: the second reaches its fault point a.cycles later
    // than the first did, the writer is busy 20 + 3 * 5 = 35 cycles from
    // the first's, so the second waits 35 - a.cycles.
    riommu_response b = expect_fault(1, unmapped + 0x1000, RIOMMU_READ,
                                     RIOMMU_CAUSE_READ_PAGE_FAULT);
    EXPECT_EQ(b.cycles, 35u);
    EXPECT_EQ(stats().fq_wait_cycles, 35u - a.cycles);
    // DTF: no record, no wait.
    riommu_response c = expect_fault(2, unmapped, RIOMMU_READ, RIOMMU_CAUSE_READ_PAGE_FAULT);
    EXPECT_FALSE(c.recorded);
    EXPECT_EQ(c.cycles, a.cycles);
    EXPECT_EQ(stats().fq_wait_cycles, 35u - a.cycles);
    EXPECT_EQ(settle(), 35u - a.cycles) << "settle waits for the last record's write";
}

// docs/timing.md "Parameters" (mem_beat_lat): a device context is one
// implicit access of 32 bytes (64 with the extended format), so a DDT walk
// costs 3 mem_beat_lat more than with a memory port as wide as a context.
TEST_F(TimingTest, Parameters_MemBeatLatOnDeviceContext) {
    uint32_t cycles[2];
    for (unsigned beat : {0u, 6u}) {
        riommu_destroy(m);
        m = nullptr;
        mem = Memory();
        riommu_config_default(&cfg);
        cfg.capabilities &= ~RIOMMU_CAP_MSI_FLAT; // the 32-byte base format
        cfg.timing.mem_beat_lat = beat;
        Bringup(SV39, 8);
        cycles[beat ? 1 : 0] = expect_ok(1, 0x10000, RIOMMU_READ, 0x90000000).cycles;
    }
    EXPECT_EQ(cycles[1] - cycles[0], 3u * 6u);
}

// docs/timing.md "Commands": a command is a fetch (mem_lat) plus cmd_lat;
// an IOFENCE.C also waits for every translation in flight when its fetch
// ends, then mem_lat for its AV write.
TEST_F(TimingTest, Commands_FenceWaitsForTranslationsInFlight) {
    cfg.timing.ptw_slots = 1;
    Bringup(SV39, 4);
    uint64_t t0 = riommu_now(m);
    riommu_response a = issue(0x10000); // DDT walk + Sv39 walk: 125
    riommu_response b = issue(0x11000); // queues for the walker
    ASSERT_EQ(a.cycles, 125u);
    ASSERT_GT(b.cycles, a.cycles);
    submit(iofence(true, true, true, FLAG, 9));
    uint64_t done = cycle_cqh_leaves(0);
    EXPECT_EQ(done - t0, b.cycles + cfg.timing.mem_lat) << "waits for b, then the AV write";
    EXPECT_EQ(mem.r32(FLAG), 9u);
    riommu_stats s = stats();
    EXPECT_EQ(s.fence_wait_cycles, b.cycles - (cfg.timing.mem_lat + cfg.timing.cmd_lat));
    // Nothing in flight: the fence costs fetch + cmd_lat + the AV write.
    submit(iofence(true, true, true, FLAG, 10));
    EXPECT_EQ(settle(), 2u * cfg.timing.mem_lat + cfg.timing.cmd_lat);
    EXPECT_EQ(mem.r32(FLAG), 10u);
}

// docs/timing.md "Commands": an invalidation scans one set per page of an
// address-specific range (up to the set count) and every set otherwise, at
// the cache's lat per set, holding one of its slots.
TEST_F(TimingTest, Commands_InvalidationCost) {
    cfg.timing.mem_lat = 10;
    cfg.timing.cmd_lat = 4;
    cfg.iotlb.lat = 2;  // 256 entries / 8 ways = 32 sets
    cfg.walkc.lat = 3;  // 64 / 4 = 16 sets
    cfg.ddtc.lat = 5;   // 64 / 4 = 16 sets
    Bringup(SV39, 1);
    const uint64_t base = 10 + 4;
    struct Case {
        const char *what;
        Cmd cmd;
        uint64_t cycles;
    } cases[] = {
        {"VMA AV=0: every IOTLB and walk-cache set", iotinval_vma(), base + 32 * 2 + 16 * 3},
        {"VMA AV=1 one page: one IOTLB set", iotinval_vma(false, 0, true, 7, true, 0x10000),
         base + 2},
        {"INVAL_DDT DV=0: every DDTC set", iodir_inval_ddt(), base + 16 * 5},
        {"INVAL_DDT DV=1: one DDTC set", iodir_inval_ddt(true, 1), base + 5},
        {"IOFENCE.C: no scan", iofence(), base},
    };
    for (const Case &c : cases) {
        SCOPED_TRACE(c.what);
        riommu_clear_stats(m);
        submit(c.cmd);
        EXPECT_EQ(settle(), c.cycles);
        riommu_stats s = stats();
        EXPECT_EQ(s.cmd_busy_cycles, c.cycles);
        EXPECT_EQ(s.inval_cycles, c.cycles - base);
    }
    // NL with an address: the walk cache is scanned for the range too.
    Cmd nl = iotinval_vma(false, 0, true, 7, true, 0x10000);
    nl.d0 |= RIOMMU_IOTINVAL_NL;
    submit(nl);
    EXPECT_EQ(settle(), base + 2 + 3);
}

// docs/timing.md "Commands": a scan holds the cache's slot, so a
// translation issued during an IOTLB flush waits for the IOTLB port.
TEST_F(TimingTest, Commands_ScanDelaysLookups) {
    cfg.timing.mem_lat = 0;
    cfg.timing.cmd_lat = 0;
    Bringup(SV39, 1);
    expect_ok(1, 0x10000, RIOMMU_READ, 0x90000000);
    settle();
    submit(iodir_inval_ddt(true, 99)); // DDTC 1 cycle; the flush follows
    submit(iotinval_vma(false, 0, true, 8)); // another PSCID: entry kept
    riommu_step(m, 1);             // INVAL_DDT done; VMA fetched: IOTLB 1..33
    ASSERT_EQ(rd32(RIOMMU_REG_CQH), 1u);
    riommu_response r = issue(0x10000);
    EXPECT_TRUE(r.iotlb_hit);
    // Arrives at 1: xlate 2 and DDTC 1 reach 4, but the IOTLB port is
    // scanned 1..33 (32 sets); the lookup takes 33..34.
    EXPECT_EQ(r.cycles, 33u);
    EXPECT_EQ(stats().cache_wait_cycles, 33u - 4u);
    settle();
}

// docs/timing.md "Stepping": one workload run twice - stepping one cycle at
// a time, and jumping from one issue time to the next - gives the same
// responses, the same command completion cycles and the same end state.
struct Trace {
    std::vector<std::tuple<int, uint64_t, uint32_t>> rsps; // status, pa, cycles
    std::vector<std::pair<uint32_t, uint64_t>> cmds;       // index, cycle
    uint64_t end = 0;
    std::vector<uint64_t> regs;
    std::vector<uint8_t> fence_bytes;
    riommu_stats st{};
};

class TimingEquivalence : public TimingTest {
  protected:
    static void on_command(void *ctx, const uint64_t *, uint32_t index, bool) {
        auto *t = static_cast<TimingEquivalence *>(ctx);
        t->trace.cmds.push_back({index, riommu_now(t->m) - t->t0});
    }
    Trace trace;
    uint64_t t0 = 0;

    // A new model on `start` (the memory as Bringup left it), with the
    // register state Bringup gave the old one: queues and the 3-level DDT
    // on, settled.
    void Recreate(const Memory &start) {
        riommu_destroy(m);
        m = nullptr;
        mem = start;
        ASSERT_NO_FATAL_FAILURE(Create());
        wr64(RIOMMU_REG_CQB, ((cq_base >> 12) << 10) | 5);
        wr32(RIOMMU_REG_CQCSR, RIOMMU_CQCSR_CQEN);
        wr64(RIOMMU_REG_FQB, ((fq_base >> 12) << 10) | 5);
        wr32(RIOMMU_REG_FQCSR, RIOMMU_FQCSR_FQEN);
        wr64(RIOMMU_REG_DDTP, ((ddt_root >> 12) << 10) | RIOMMU_DDTP_MODE_3LVL);
        settle();
    }

    // The workload: at each listed cycle (relative to the start), an action.
    void Run(bool by_cycle) {
        trace = Trace();
        riommu_observer o{};
        o.ctx = this;
        o.command = on_command;
        riommu_set_observer(m, &o);
        t0 = riommu_now(m);
        struct Act {
            uint64_t at;
            std::function<void()> f;
        };
        auto x = [&](uint64_t iova) {
            riommu_response r = issue(iova);
            trace.rsps.push_back({r.status, r.pa, r.cycles});
        };
        auto blocking = [&](uint64_t iova) {
            riommu_response r = xlate(1, iova);
            trace.rsps.push_back({r.status, r.pa, r.cycles});
        };
        std::vector<Act> acts = {
            {0, [&] { x(0x10000); }},
            {0, [&] { x(0x11000); }},
            {0, [&] { x(0x12000); }},
            {3, [&] { submit(iotinval_vma(false, 0, true, 7, true, 0x11000)); }},
            {3, [&] { submit(iofence(true, true, true, FLAG, 1)); }},
            {5, [&] { x(0x13000); }},
            {40, [&] { x(0x11000); }},
            {41, [&] { x(0x7000000); }}, // unmapped: page fault record
            {90, [&] { submit(iodir_inval_ddt()); }},
            {91, [&] { blocking(0x10000); }},
            {95, [&] { submit(iofence(true, true, true, FLAG + 4, 2)); }},
            {300, [&] { x(0x14000); }},
        };
        for (const Act &a : acts) {
            uint64_t target = t0 + a.at;
            if (riommu_now(m) < target) {
                if (by_cycle)
                    while (riommu_now(m) < target)
                        riommu_step(m, 1);
                else
                    riommu_step(m, target - riommu_now(m));
            }
            a.f();
        }
        if (by_cycle) {
            while (!riommu_idle(m))
                riommu_step(m, 1);
        } else {
            settle();
        }
        trace.end = riommu_now(m) - t0;
        for (uint32_t off : {RIOMMU_REG_CQH, RIOMMU_REG_CQT, RIOMMU_REG_CQCSR, RIOMMU_REG_FQT,
                             RIOMMU_REG_IPSR})
            trace.regs.push_back(riommu_peek_reg(m, off));
        trace.fence_bytes = {(uint8_t)mem.r32(FLAG), (uint8_t)mem.r32(FLAG + 4)};
        trace.st = stats();
        riommu_set_observer(m, nullptr);
    }
};

TEST_F(TimingEquivalence, Stepping_CycleByCycleEqualsTransactionByTransaction) {
    cfg.timing.ptw_slots = 1;
    cfg.timing.xlate_slots = 2;
    Bringup(SV39, 8);
    Memory start = mem;
    Run(true);
    Trace a = trace;
    ASSERT_NO_FATAL_FAILURE(Recreate(start));
    Run(false);
    Trace b = trace;
    EXPECT_EQ(a.rsps, b.rsps);
    EXPECT_EQ(a.cmds, b.cmds);
    EXPECT_EQ(a.end, b.end);
    EXPECT_EQ(a.regs, b.regs);
    EXPECT_EQ(a.fence_bytes, b.fence_bytes);
    EXPECT_EQ(a.fence_bytes, (std::vector<uint8_t>{1, 2}));
    EXPECT_EQ(a.st.fence_wait_cycles, b.st.fence_wait_cycles);
    EXPECT_GT(a.st.fence_wait_cycles, 0u) << "the first fence waited for translations";
    EXPECT_EQ(a.st.xlate_wait_cycles, b.st.xlate_wait_cycles);
    EXPECT_GT(a.st.xlate_wait_cycles, 0u);
    EXPECT_EQ(a.st.ptw_wait_cycles, b.st.ptw_wait_cycles);
    EXPECT_EQ(a.st.translate_cycles, b.st.translate_cycles);
    EXPECT_EQ(a.cmds.size(), 4u);
}

// docs/timing.md "Stepping": the same, for random workloads (issued and
// blocking translations, hits, misses and faults, DMA bursts, invalidations
// and fences at random cycles, tight slot counts).
TEST_F(TimingEquivalence, Stepping_RandomWorkloadsAgree) {
    uint64_t waits[5] = {0, 0, 0, 0, 0}; // xlate, ptw, cache, fence, fault records
    for (uint32_t seed = 1; seed <= 12; seed++) {
        SCOPED_TRACE(seed);
        riommu_destroy(m);
        m = nullptr;
        mem = Memory();
        riommu_config_default(&cfg);
        uint32_t x = seed * 2654435761u;
        auto rnd = [&x](uint32_t n) {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            return x % n;
        };
        cfg.timing.ptw_slots = 1 + rnd(3);
        cfg.timing.xlate_slots = 1 + rnd(4);
        cfg.iotlb.entries = 16;
        cfg.iotlb.assoc = 4;
        cfg.iotlb.slots = 1 + rnd(2);
        cfg.iotlb.lat = 1 + rnd(3);
        cfg.timing.mem_lat = 5 + rnd(30);
        cfg.timing.fault_lat = rnd(4);
        cfg.timing.mem_beat_lat = rnd(5);
        cfg.timing.dma_txn_bytes = 8u << rnd(10);
        cfg.timing.dma_rd_lat = rnd(10);
        ASSERT_NO_FATAL_FAILURE(Bringup(SV48, 32));
        // The workload, drawn once: (cycle offset, kind, argument).
        std::vector<std::tuple<uint64_t, unsigned, uint64_t>> w;
        uint64_t at = 0;
        for (unsigned i = 0; i < 60; i++) {
            at += rnd(4) == 0 ? rnd(200) : rnd(3);
            w.push_back({at, rnd(10), rnd(40)});
        }
        Memory start = mem;
        std::vector<Trace> runs;
        for (bool by_cycle : {true, false}) {
            ASSERT_NO_FATAL_FAILURE(Recreate(start));
            trace = Trace();
            riommu_observer o{};
            o.ctx = this;
            o.command = on_command;
            riommu_set_observer(m, &o);
            t0 = riommu_now(m);
            for (auto &[off, kind, arg] : w) {
                uint64_t target = t0 + off;
                if (by_cycle)
                    while (riommu_now(m) < target)
                        riommu_step(m, 1);
                else if (riommu_now(m) < target)
                    riommu_step(m, target - riommu_now(m));
                uint64_t iova = 0x10000 + 0x1000 * arg; // 32 mapped, 8 not
                riommu_request r = req(iova);
                riommu_response rsp{};
                uint8_t buf[8192];
                switch (kind) {
                case 0: case 1: case 2: case 3:
                    riommu_issue_translate(m, &r, &rsp);
                    break;
                case 4:
                    riommu_translate(m, &r, &rsp);
                    break;
                case 5:
                    r.len = 4096 + 8;
                    riommu_issue_dma(m, &r, buf, &rsp);
                    break;
                case 6:
                    submit(iotinval_vma(false, 0, true, 7, arg & 1, iova));
                    break;
                case 7:
                    submit(iodir_inval_ddt(arg & 1, 1));
                    break;
                default:
                    submit(iofence(true, true, true, FLAG, (uint32_t)arg));
                    break;
                }
                if (kind <= 5)
                    trace.rsps.push_back({rsp.status, rsp.pa, rsp.cycles});
                uint32_t h = rd32(RIOMMU_REG_FQH), t = rd32(RIOMMU_REG_FQT);
                if (h != t)
                    wr32(RIOMMU_REG_FQH, t); // keep the fault queue from filling
            }
            if (by_cycle)
                while (!riommu_idle(m))
                    riommu_step(m, 1);
            else
                settle();
            trace.end = riommu_now(m) - t0;
            for (uint32_t off : {RIOMMU_REG_CQH, RIOMMU_REG_FQT, RIOMMU_REG_IPSR})
                trace.regs.push_back(riommu_peek_reg(m, off));
            trace.fence_bytes = {(uint8_t)mem.r32(FLAG)};
            trace.st = stats();
            riommu_set_observer(m, nullptr);
            runs.push_back(trace);
        }
        const Trace &a = runs[0], &b = runs[1];
        EXPECT_EQ(a.rsps, b.rsps);
        EXPECT_EQ(a.cmds, b.cmds);
        EXPECT_EQ(a.end, b.end);
        EXPECT_EQ(a.regs, b.regs);
        EXPECT_EQ(a.fence_bytes, b.fence_bytes);
        EXPECT_EQ(a.st.translate_cycles, b.st.translate_cycles);
        EXPECT_EQ(a.st.xlate_wait_cycles, b.st.xlate_wait_cycles);
        EXPECT_EQ(a.st.ptw_wait_cycles, b.st.ptw_wait_cycles);
        EXPECT_EQ(a.st.cache_wait_cycles, b.st.cache_wait_cycles);
        EXPECT_EQ(a.st.fence_wait_cycles, b.st.fence_wait_cycles);
        EXPECT_EQ(a.st.fq_wait_cycles, b.st.fq_wait_cycles);
        EXPECT_EQ(a.st.cmd_busy_cycles, b.st.cmd_busy_cycles);
        EXPECT_EQ(a.st.iotlb.hits, b.st.iotlb.hits);
        EXPECT_EQ(a.st.fault_records_written, b.st.fault_records_written);
        waits[0] += a.st.xlate_wait_cycles;
        waits[1] += a.st.ptw_wait_cycles;
        waits[2] += a.st.cache_wait_cycles;
        waits[3] += a.st.fence_wait_cycles;
        waits[4] += a.st.fq_wait_cycles;
    }
    for (uint64_t w : waits)
        EXPECT_GT(w, 0u) << "the workloads contend for every kind of slot and fence";
}

// docs/timing.md "Functional mode": timing.enable=false gives 0-cycle
// responses, no slot statistics, and the same functional results.
TEST_F(TimingTest, FunctionalMode_ZeroLatencySameResults) {
    struct Out {
        std::vector<std::tuple<int, unsigned, uint64_t, bool>> rsps;
        std::vector<uint32_t> cycles;
        std::vector<FaultRec> faults;
        uint32_t iotlb_occ, ddtc_occ;
        uint64_t walks, hits;
    };
    auto run = [&](bool on) {
        riommu_destroy(m);
        m = nullptr;
        mem = Memory();
        next_page = 0x80000000ull;
        riommu_config_default(&cfg);
        cfg.timing.enable = on;
        Bringup(SV39, 4);
        Out o;
        for (uint64_t iova : {0x10000ull, 0x11000ull, 0x10000ull, 0x9000000ull, 0x12000ull}) {
            riommu_response r = xlate(1, iova, RIOMMU_WRITE);
            o.rsps.push_back({r.status, r.cause, r.pa, r.iotlb_hit});
            o.cycles.push_back(r.cycles);
        }
        submit(iotinval_vma());
        submit(iofence());
        settle();
        riommu_response r = xlate(1, 0x10000);
        o.rsps.push_back({r.status, r.cause, r.pa, r.iotlb_hit});
        o.cycles.push_back(r.cycles);
        o.faults = drain_faults();
        o.iotlb_occ = riommu_cache_occupancy(m, RIOMMU_CACHE_IOTLB);
        o.ddtc_occ = riommu_cache_occupancy(m, RIOMMU_CACHE_DDTC);
        riommu_stats s = stats();
        o.walks = s.s1_walks;
        o.hits = s.iotlb.hits;
        if (!on) {
            EXPECT_EQ(s.translate_cycles, 0u);
            EXPECT_EQ(s.ptw_walks, 0u);
            EXPECT_EQ(s.cmd_busy_cycles, 0u);
            EXPECT_EQ(s.xlate_max_inflight, 0u);
        }
        return o;
    };
    Out on = run(true), off = run(false);
    EXPECT_EQ(on.rsps, off.rsps);
    EXPECT_EQ(off.cycles, std::vector<uint32_t>(on.cycles.size(), 0));
    EXPECT_NE(on.cycles, off.cycles);
    ASSERT_EQ(on.faults.size(), off.faults.size());
    ASSERT_EQ(on.faults.size(), 1u);
    EXPECT_EQ(on.faults[0].cause, off.faults[0].cause);
    EXPECT_EQ(on.faults[0].iotval, off.faults[0].iotval);
    EXPECT_EQ(on.iotlb_occ, off.iotlb_occ);
    EXPECT_EQ(on.ddtc_occ, off.ddtc_occ);
    EXPECT_EQ(on.walks, off.walks);
    EXPECT_EQ(on.hits, off.hits);
    // Issued translations cost nothing either: the model stays idle.
    riommu_response r = issue(0x10000);
    EXPECT_EQ(r.cycles, 0u);
    EXPECT_TRUE(riommu_idle(m));
}

// docs/timing.md "Parameters": defaults and ranges of the timing knobs.
TEST(TimingConfig, Parameters_DefaultsAndRanges) {
    riommu_config c;
    riommu_config_default(&c);
    EXPECT_TRUE(c.timing.enable);
    EXPECT_EQ(c.timing.xlate_slots, 8u);
    EXPECT_EQ(c.timing.ptw_slots, 2u);
    EXPECT_EQ(c.timing.clock_mhz, 1000u);
    for (const riommu_cache_config *k : {&c.ddtc, &c.pdtc, &c.iotlb, &c.walkc}) {
        EXPECT_EQ(k->lat, 1u);
        EXPECT_EQ(k->slots, 1u);
    }
    auto reason = [](std::function<void(riommu_config &)> f) {
        riommu_config x;
        riommu_config_default(&x);
        f(x);
        char err[160] = "";
        bool ok = riommu_config_check(&x, err, sizeof err);
        return ok ? std::string() : std::string(err);
    };
    EXPECT_EQ(reason([](riommu_config &x) { x.timing.xlate_slots = 0; }),
              "timing.xlate_slots: 0 outside 1..256");
    EXPECT_EQ(reason([](riommu_config &x) { x.timing.xlate_slots = 257; }),
              "timing.xlate_slots: 257 outside 1..256");
    EXPECT_EQ(reason([](riommu_config &x) { x.timing.ptw_slots = 65; }),
              "timing.ptw_slots: 65 outside 1..64");
    EXPECT_EQ(reason([](riommu_config &x) { x.timing.clock_mhz = 0; }),
              "timing.clock_mhz: 0 outside 1..100000");
    EXPECT_EQ(reason([](riommu_config &x) { x.timing.mem_lat = (1u << 20) + 1; }),
              "timing.mem_lat: 1048577 exceeds 1048576");
    EXPECT_EQ(c.timing.dma_txn_bytes, 4096u);
    EXPECT_EQ(c.timing.dma_rd_lat, 20u);
    EXPECT_EQ(c.timing.dma_wr_lat, 20u);
    EXPECT_EQ(c.timing.mem_beat_lat, 0u);
    EXPECT_EQ(c.timing.fault_lat, 0u);
    EXPECT_EQ(reason([](riommu_config &x) { x.timing.dma_txn_bytes = 24; }),
              "timing.dma_txn_bytes: 24 is not a power of two in 8..4096");
    EXPECT_EQ(reason([](riommu_config &x) { x.timing.dma_txn_bytes = 8192; }),
              "timing.dma_txn_bytes: 8192 is not a power of two in 8..4096");
    EXPECT_EQ(reason([](riommu_config &x) { x.timing.fault_lat = (1u << 20) + 1; }),
              "timing.fault_lat: 1048577 exceeds 1048576");
    EXPECT_EQ(reason([](riommu_config &x) { x.iotlb.slots = 0; }),
              "iotlb.slots: 0 outside 1..64");
    EXPECT_EQ(reason([](riommu_config &x) { x.walkc.lat = (1u << 20) + 1; }),
              "walkc.lat: 1048577 exceeds 1048576");
    EXPECT_EQ(reason([](riommu_config &x) {
                  x.timing.xlate_slots = 256;
                  x.timing.ptw_slots = 64;
                  x.ddtc.slots = 64;
                  x.timing.enable = false;
              }),
              "");
}

// docs/timing.md "Parameters": clock_mhz converts cycles to time.
TEST_F(TimingTest, Parameters_ClockConvertsCyclesToNs) {
    cfg.timing.clock_mhz = 500;
    Create();
    EXPECT_DOUBLE_EQ(riommu_cycles_to_ns(m, 125), 250.0);
}

} // namespace
