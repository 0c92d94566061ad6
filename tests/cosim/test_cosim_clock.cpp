// test_cosim_clock.cpp - mismatch records carry the clock of a backend that
// has one (riommu_backend_ops.clock, the rtl backend's DUT cycle), over the
// operation that differed (DESIGN.md §2.3 rule 6: mismatches are structured
// records; docs/rtl-harness.md "Cycles and waveforms in reports").
//
// Two scripted backends stand in for the reference and a clocked DUT: each
// operation advances the DUT's clock by a known number of cycles, so the
// expected span of every record is exact.
#include <gtest/gtest.h>

#include <cstring>
#include <map>
#include <vector>

extern "C" {
#include "riommu/cosim.h"
}

namespace {

// Cycles each operation takes on the scripted DUT.
constexpr uint64_t kRead = 7, kWrite = 5, kDma = 25, kSettle = 64;

struct Scripted {
    bool clocked = false;
    uint64_t now = 1000;                 // the clock
    unsigned clock_calls = 0;
    std::map<uint32_t, uint64_t> regs;   // mmio
    std::map<uint64_t, uint8_t> mem;     // memory image
    riommu_response dma_rsp{};           // every DMA's answer
    std::vector<riommu_event> pending;   // events for the next events() call
};

Scripted *S(void *ctx) { return static_cast<Scripted *>(ctx); }

void s_caps(void *, riommu_backend_caps *c)
{
    std::memset(c, 0, sizeof *c);
    c->dma = c->dma_exec = c->process_id = c->priv = true;
    c->reports_pa = c->reports_cause = c->events = c->cycles = true;
}
int s_mmio_read(void *ctx, uint32_t off, unsigned, uint64_t *v)
{
    S(ctx)->now += kRead;
    *v = S(ctx)->regs[off];
    return 0;
}
int s_mmio_write(void *ctx, uint32_t off, unsigned, uint64_t v)
{
    S(ctx)->now += kWrite;
    S(ctx)->regs[off] = v;
    return 0;
}
int s_mem_write(void *ctx, uint64_t pa, const void *buf, size_t len)
{
    for (size_t i = 0; i < len; i++)
        S(ctx)->mem[pa + i] = static_cast<const uint8_t *>(buf)[i];
    return 0;
}
int s_mem_read(void *ctx, uint64_t pa, void *buf, size_t len)
{
    for (size_t i = 0; i < len; i++)
        static_cast<uint8_t *>(buf)[i] = S(ctx)->mem[pa + i];
    return 0;
}
int s_dma(void *ctx, const riommu_request *, void *, riommu_response *rsp)
{
    S(ctx)->now += kDma;
    *rsp = S(ctx)->dma_rsp;
    return 0;
}
uint64_t s_settle(void *ctx)
{
    S(ctx)->now += kSettle;
    return kSettle;
}
size_t s_events(void *ctx, riommu_event *out, size_t max)
{
    auto &p = S(ctx)->pending;
    size_t n = p.size() < max ? p.size() : max;
    for (size_t i = 0; i < n; i++)
        out[i] = p[i];
    p.erase(p.begin(), p.begin() + static_cast<long>(n));
    return n;
}
void s_destroy(void *) {}
uint64_t s_clock(void *ctx)
{
    S(ctx)->clock_calls++;
    return S(ctx)->now;
}

riommu_backend_ops ops_of(Scripted &s, const char *name)
{
    riommu_backend_ops o;
    std::memset(&o, 0, sizeof o);
    o.name = name;
    o.ctx = &s;
    o.caps = s_caps;
    o.mmio_read = s_mmio_read;
    o.mmio_write = s_mmio_write;
    o.mem_write = s_mem_write;
    o.mem_read = s_mem_read;
    o.dma = s_dma;
    o.settle = s_settle;
    o.events = s_events;
    o.destroy = s_destroy;
    if (s.clocked)
        o.clock = s_clock;
    return o;
}

// The reference (no clock) and the DUT (a clock), in an engine.
struct World {
    Scripted ref, dut;
    riommu_cosim *c = nullptr;
    riommu_hw_ops hw{};
    World()
    {
        dut.clocked = true;
        riommu_backend_ops be[2] = {ops_of(ref, "model"), ops_of(dut, "rtl")};
        c = riommu_cosim_create(be, 2, nullptr);
        hw = riommu_cosim_hw_ops(c);
    }
    ~World() { riommu_cosim_destroy(c); }
    const riommu_mismatch &last()
    {
        size_t n;
        const riommu_mismatch *m = riommu_cosim_mismatches(c, &n);
        EXPECT_GT(n, 0u);
        return m[n - 1];
    }
    size_t count()
    {
        size_t n;
        riommu_cosim_mismatches(c, &n);
        return n;
    }
};

riommu_event ev(riommu_ev_kind k, uint64_t addr, uint8_t first, uint64_t clock)
{
    riommu_event e;
    std::memset(&e, 0, sizeof e);
    e.kind = k;
    e.addr = addr;
    e.len = 4;
    e.data[0] = first;
    e.clock = clock;
    return e;
}

} // namespace

// docs/rtl-harness.md "Cycles and waveforms in reports": an MMIO read that
// differs names the DUT's cycles of that read (first..last).
TEST(CosimClock, RegisterReadRecordSpansTheRead)
{
    World w;
    w.ref.regs[0x18] = 1;
    w.dut.regs[0x18] = 2;
    uint64_t t0 = w.dut.now;
    w.hw.read64(w.hw.ctx, 0x18); // not time-dependent: no settle first
    const riommu_mismatch &m = w.last();
    EXPECT_EQ(m.kind, RIOMMU_MM_MMIO_READ);
    EXPECT_EQ(m.backend, 1u);
    ASSERT_TRUE(m.has_clock);
    EXPECT_EQ(m.clock_first, t0);
    EXPECT_EQ(m.clock_last, t0 + kRead);
}

// The same for a DMA: status/cause/pa/data records span the DMA on the DUT.
TEST(CosimClock, DmaRecordSpansTheDma)
{
    World w;
    w.ref.dma_rsp.status = RIOMMU_RSP_FAULT;
    w.ref.dma_rsp.cause = 13;
    w.dut.dma_rsp.status = RIOMMU_RSP_FAULT;
    w.dut.dma_rsp.cause = 15;
    riommu_request r;
    std::memset(&r, 0, sizeof r);
    r.access = RIOMMU_READ;
    r.iova = 0x3000;
    r.len = 8;
    uint8_t buf[8];
    riommu_response rsp;
    uint64_t t0 = w.dut.now;
    riommu_cosim_dma(w.c, &r, buf, &rsp);
    ASSERT_EQ(w.count(), 1u);
    const riommu_mismatch &m = w.last();
    EXPECT_EQ(m.kind, RIOMMU_MM_DMA_CAUSE);
    ASSERT_TRUE(m.has_clock);
    EXPECT_EQ(m.clock_first, t0);
    EXPECT_EQ(m.clock_last, t0 + kDma);
}

// An event that differs is stamped with the cycle the DUT wrote it; one it
// did not write spans the time since the previous settle point.
TEST(CosimClock, EventRecordsNameTheEventsCycleOrTheSettleInterval)
{
    World w;
    w.ref.pending = {ev(RIOMMU_EV_FENCE_DATA, 0x500, 1, 0)};
    w.dut.pending = {ev(RIOMMU_EV_FENCE_DATA, 0x500, 2, 1234)};
    riommu_cosim_settle(w.c);
    const riommu_mismatch &m = w.last();
    EXPECT_EQ(m.kind, RIOMMU_MM_EVENT);
    ASSERT_TRUE(m.has_clock);
    EXPECT_EQ(m.clock_first, 1234u);
    EXPECT_EQ(m.clock_last, 1234u);

    uint64_t settled = w.dut.now; // the first settle point
    w.hw.write64(w.hw.ctx, 0x20, 0);
    w.ref.pending = {ev(RIOMMU_EV_MSI, 0x7ffff000, 0, 0)};
    riommu_cosim_settle(w.c);
    const riommu_mismatch &k = w.last();
    EXPECT_EQ(k.kind, RIOMMU_MM_EVENT_COUNT);
    EXPECT_NE(std::strstr(k.where, "missing"), nullptr) << k.where;
    ASSERT_TRUE(k.has_clock);
    EXPECT_EQ(k.clock_first, settled);
    EXPECT_EQ(k.clock_last, settled + kWrite + kSettle);
}

// Memory compared at the end: the cycle it was compared.
TEST(CosimClock, MemoryRecordNamesTheCycleItWasSeen)
{
    World w;
    riommu_dma_mem m;
    ASSERT_TRUE(w.hw.alloc(w.hw.ctx, 4096, 4096, &m));
    w.dut.mem[m.pa + 8] = 0x5a; // the DUT wrote where the model did not
    riommu_cosim_finish(w.c);
    const riommu_mismatch &r = w.last();
    EXPECT_EQ(r.kind, RIOMMU_MM_MEM_FINAL);
    ASSERT_TRUE(r.has_clock);
    EXPECT_EQ(r.clock_first, w.dut.now);
    EXPECT_EQ(r.clock_last, w.dut.now);
}

// A record of a backend without a clock has none (the reference's failed
// expectations, models, QEMU); a polling loop coalesced into one record
// keeps the span of its first read.
TEST(CosimClock, NoClockNoSpanAndRepeatsKeepTheFirst)
{
    World w;
    riommu_cosim_expect_failed(w.c, "line 3: result", 0, 1);
    EXPECT_FALSE(w.last().has_clock);

    w.ref.regs[0x18] = 1;
    w.dut.regs[0x18] = 2;
    uint64_t t0 = w.dut.now;
    for (int i = 0; i < 5; i++)
        w.hw.read64(w.hw.ctx, 0x18);
    const riommu_mismatch &m = w.last();
    EXPECT_EQ(m.repeats, 4u);
    EXPECT_EQ(m.clock_first, t0);
    EXPECT_EQ(m.clock_last, t0 + kRead);
}

// The engine reads a clock only around operations it sends that backend;
// a backend without one costs nothing (no op to call).
TEST(CosimClock, ClockReadOnlyAroundTheBackendsOperations)
{
    World w;
    unsigned before = w.dut.clock_calls;
    w.hw.write64(w.hw.ctx, 0x20, 1);
    EXPECT_EQ(w.dut.clock_calls - before, 1u); // op start; no record, no end read
    EXPECT_EQ(w.ref.clock_calls, 0u);
}
