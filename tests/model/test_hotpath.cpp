// test_hotpath.cpp - the translation hot path (an IOTLB hit, ds "Process to
// translate an IOVA" step 17 served from the IOATC, ds "Caching in-memory
// data structures") allocates no memory. Issue 3 requires it; the model has
// no locks at all (tests/py/test_model_static.py checks the sources).
#include "fixture.h"

#include <initializer_list>
#include <malloc.h>
#if defined(__SANITIZE_ADDRESS__)
extern "C" size_t __sanitizer_get_current_allocated_bytes(void);
#endif

using namespace rt;

namespace {
// Bytes currently allocated by this process's allocator.
size_t allocated_bytes() {
#if defined(__SANITIZE_ADDRESS__)
    return __sanitizer_get_current_allocated_bytes();
#else
    return mallinfo2().uordblks;
#endif
}
} // namespace

// ds "Caching in-memory data structures": 10000 IOTLB hits, no allocation.
TEST_F(ModelTest, HotPath_IotlbHitAllocatesNothing) {
    Create();
    setup_ddt(RIOMMU_DDTP_MODE_2LVL);
    uint64_t root = new_root();
    for (uint64_t i = 0; i < 8; i++)
        map(root, 9, 0x40000000 + i * 4096, 0x90000000 + i * 4096, RWUAD);
    attach_s1(7, root, 9, 3);
    for (uint64_t i = 0; i < 8; i++)
        expect_ok(7, 0x40000000 + i * 4096, RIOMMU_READ, 0x90000000 + i * 4096);
    riommu_clear_stats(m);
    riommu_request req{};
    req.device_id = 7;
    req.len = 64;
    req.access = RIOMMU_WRITE;
    riommu_response rsp{};
    size_t before = allocated_bytes();
    unsigned bad = 0;
    for (unsigned n = 0; n < 10000; n++) {
        req.iova = 0x40000000 + (n % 8) * 4096 + (n % 64) * 64;
        riommu_translate(m, &req, &rsp);
        bad += rsp.status != RIOMMU_RSP_OK || !rsp.iotlb_hit;
    }
    size_t after = allocated_bytes();
    EXPECT_EQ(bad, 0u);
    EXPECT_EQ(after, before);
    riommu_stats s = stats();
    EXPECT_EQ(s.iotlb.hits, 10000u);
    EXPECT_EQ(s.iotlb.misses, 0u);
    EXPECT_EQ(s.s1_walks, 0u);
}

// ds "Caching": a hit path must not touch memory: no implicit reads at all.
TEST_F(ModelTest, HotPath_IotlbHitReadsNoMemory) {
    Create();
    setup_ddt(RIOMMU_DDTP_MODE_1LVL);
    uint64_t root = new_root();
    map(root, 8, 0x1000, 0x91000, RWUAD);
    attach_s1(3, root, 8, 9);
    expect_ok(3, 0x1000, RIOMMU_READ, 0x91000);
    mem.log_reads = true;
    mem.reads.clear();
    auto r = expect_ok(3, 0x1008, RIOMMU_READ, 0x91008);
    EXPECT_TRUE(r.iotlb_hit);
    EXPECT_TRUE(mem.reads.empty());
}

namespace {
// The twin's host: a Memory (the fixture's, or a copy of it), with its
// faulting and poisoned ranges.
riommu_mem_status own_read(void *c, uint64_t pa, void *buf, size_t len, riommu_access_kind) {
    auto *t = static_cast<Memory *>(c);
    if (Memory::in(t->fault, pa, len))
        return RIOMMU_MEM_ACCESS_FAULT;
    if (Memory::in(t->poison, pa, len))
        return RIOMMU_MEM_DATA_CORRUPTION;
    t->read(pa, buf, len);
    return RIOMMU_MEM_OK;
}
riommu_mem_status own_write(void *c, uint64_t pa, const void *buf, size_t len,
                            riommu_access_kind) {
    auto *t = static_cast<Memory *>(c);
    if (Memory::in(t->fault, pa, len))
        return RIOMMU_MEM_ACCESS_FAULT;
    t->write(pa, buf, len);
    return RIOMMU_MEM_OK;
}

void no_cache_event(void *, riommu_cache_id, riommu_cache_event_kind, uint64_t) {}

// Bring `twin` (a model on its own copy of memory) level with `m`: an
// observer installed, which the fast paths refuse, so the twin takes the
// general path; ddtp and the command queue (with `fq` the fault queue too)
// as m's; both clocks at the same cycle; both models' statistics cleared.
void sync_twin(riommu *m, riommu *twin, bool fq) {
    riommu_observer obs{};
    obs.cache = no_cache_event;
    riommu_set_observer(twin, &obs); // copied by the model
    riommu_mmio_write(twin, RIOMMU_REG_DDTP, 8, riommu_peek_reg(m, RIOMMU_REG_DDTP));
    riommu_mmio_write(twin, RIOMMU_REG_CQB, 8, riommu_peek_reg(m, RIOMMU_REG_CQB));
    if (fq)
        riommu_mmio_write(twin, RIOMMU_REG_FQB, 8, riommu_peek_reg(m, RIOMMU_REG_FQB));
    riommu_mmio_write(twin, RIOMMU_REG_CQCSR, 4, RIOMMU_CQCSR_CQEN);
    if (fq)
        riommu_mmio_write(twin, RIOMMU_REG_FQCSR, 4, RIOMMU_FQCSR_FQEN);
    riommu_settle(twin);
    riommu_step(twin, riommu_now(m) > riommu_now(twin) ? riommu_now(m) - riommu_now(twin) : 0);
    ASSERT_EQ(riommu_now(m), riommu_now(twin));
    riommu_clear_stats(m);
    riommu_clear_stats(twin);
}

// A twin of `m`: a model of `cfg` on `tmem` (own_read, own_write), synced
// (sync_twin). The caller destroys *twin.
void make_twin(riommu *m, const riommu_config &cfg, Memory *tmem, bool fq, riommu **twin) {
    riommu_host_ops ops{};
    ops.ctx = tmem;
    ops.mem_read = own_read;
    ops.mem_write = own_write;
    char err[200];
    *twin = riommu_create(&cfg, &ops, err, sizeof err);
    ASSERT_NE(*twin, nullptr) << err;
    ASSERT_NO_FATAL_FAILURE(sync_twin(m, *twin, fq));
}

// Request `n` answered alike by both models, and both clocks alike after it.
void expect_same_answer(riommu *m, riommu *twin, const riommu_response &a,
                        const riommu_response &b, unsigned n) {
    ASSERT_EQ(a.status, b.status) << n;
    ASSERT_EQ(a.cause, b.cause) << n;
    ASSERT_EQ(a.pa, b.pa) << n;
    ASSERT_EQ(a.range_size, b.range_size) << n;
    ASSERT_EQ(a.r, b.r) << n;
    ASSERT_EQ(a.w, b.w) << n;
    ASSERT_EQ(a.global, b.global) << n;
    ASSERT_EQ(a.cycles, b.cycles) << n;
    ASSERT_EQ(a.iotlb_hit, b.iotlb_hit) << n;
    ASSERT_EQ(riommu_now(m), riommu_now(twin)) << n;
}

// Both models' statistics alike, but for the MMIO counts (the fixture reads
// registers through MMIO; the twin is only written). Returns m's.
riommu_stats expect_same_stats(riommu *m, riommu *twin) {
    riommu_stats sa, sb;
    riommu_get_stats(m, &sa);
    riommu_get_stats(twin, &sb);
    sa.mmio_reads = sb.mmio_reads = 0;
    sa.mmio_writes = sb.mmio_writes = 0;
    EXPECT_EQ(0, memcmp(&sa, &sb, sizeof sa));
    EXPECT_EQ(sa.iotlb.hits, sb.iotlb.hits); // named, should the memcmp fail
    EXPECT_EQ(sa.ddtc.hits, sb.ddtc.hits);
    EXPECT_EQ(sa.iotlb.invalidations, sb.iotlb.invalidations);
    return sa;
}

// The DDTC's and IOTLB's occupancy alike, and the IOTLB alike for each of
// `pages` pages from IOVA 0x40000000 under each PSCID.
void expect_same_caches(riommu *m, riommu *twin, uint64_t pages,
                        std::initializer_list<uint32_t> pscids) {
    for (riommu_cache_id id : {RIOMMU_CACHE_DDTC, RIOMMU_CACHE_IOTLB})
        EXPECT_EQ(riommu_cache_occupancy(m, id), riommu_cache_occupancy(twin, id));
    for (uint64_t p = 0; p < pages; p++)
        for (uint32_t ps : pscids)
            EXPECT_EQ(riommu_iotlb_contains(m, false, 0, true, ps, 0x40000000 + p * 4096),
                      riommu_iotlb_contains(twin, false, 0, true, ps, 0x40000000 + p * 4096));
}
} // namespace

// ds "Process to translate an IOVA", "Caching in-memory data structures";
// issue 7 "Benchmarks": the IOTLB-hit path (translate.c translate_hit) and
// the range-invalidation probe (ioatc.c) are shortcuts with no behaviour of
// their own. A twin model with an observer installed takes the general path
// for everything; both get the same random requests and commands, and
// answer alike after every one: response, statistics, clock, cache contents.
// docs/timing.md: with the timing layer on (slot and cursor accounting, so
// the latencies, clock and iommu.timing.* statistics must agree too) and
// off (functional mode: 0 cycles); blocking (riommu_translate, every
// translation "quiet") and mixed (riommu_issue_translate a few cycles
// apart between blocking calls, so translations overlap, wait for slots and
// share cache ports, and the blocking hits find work in flight).
TEST_F(ModelTest, HotPath_HitPathMatchesGeneralPath) {
    const riommu_repl_policy policies[] = {RIOMMU_REPL_LRU, RIOMMU_REPL_FIFO,
                                           RIOMMU_REPL_RANDOM};
    for (int variant = 0; variant < 9; variant++) {
        riommu_repl_policy pol = policies[variant % 3];
        bool timed = variant < 6;           // 0-5 timed, 6-8 functional
        bool issue = variant >= 3 && variant < 6; // 3-5 timed, issued and blocking mixed
        SCOPED_TRACE(::testing::Message() << "policy " << pol << (timed ? " timed" : " functional")
                                          << (issue ? " mixed" : " blocking"));
        fresh_world();
        cfg.iotlb = {32, 4, pol, true, 1, 1}; // small: evictions and refills
        cfg.ddtc = {4, 2, pol, true, 1, 1};
        cfg.timing.enable = timed;
        if (issue) {
            cfg.timing.xlate_slots = 3; // few: translations wait for slots
            cfg.iotlb.lat = 2;          // and for cache ports
        }
        Create();
        setup_ddt(RIOMMU_DDTP_MODE_3LVL);
        enable_cq();
        // six devices (the DDTC holds four) over three address spaces
        const uint32_t dids[6] = {0x11, 0x12, 0x13, 0x14, 0x12345, 0x54321};
        const uint32_t pscids[3] = {5, 6, 7};
        const unsigned modes[3] = {8, 9, 8};
        uint64_t roots[3];
        for (int a = 0; a < 3; a++) {
            roots[a] = new_root();
            for (uint64_t p = 0; p < 48; p++) {
                if (p % 11 == 10)
                    continue; // holes: page faults
                uint64_t fl = p % 7 == 3 ? (V | R | U | A | D) : RWUAD; // some read-only
                map(roots[a], modes[a], 0x40000000 + p * 4096, 0x90000000 + a * 0x100000 + p * 4096,
                    fl);
            }
        }
        map(roots[0], 8, 0x80000000, 0xA0000000, RWUAD, 1); // and a 2 MiB page
        for (int d = 0; d < 6; d++)
            attach_s1(dids[d], roots[d % 3], modes[d % 3], pscids[d % 3]);
        riommu *twin = nullptr; // on the fixture's memory
        ASSERT_NO_FATAL_FAILURE(make_twin(m, cfg, &mem, false, &twin));

        XorShift32 next{12345};
        unsigned hits = 0, busy_hits = 0;
        for (unsigned n = 0; n < 9000; n++) {
            // then a hot phase: 8 pages of one device, long runs of hits
            bool hot = n >= 6000;
            uint32_t pages = hot ? 8 : 48;
            uint32_t r = next();
            if (r % (hot ? 41 : 97) == 0) { // an invalidation, through both command queues
                Cmd c = r % 3 == 0   ? iotinval_vma(false, 0, true, pscids[(r >> 4) % 3], true,
                                                    0x40000000 + (r >> 8) % pages * 4096)
                        : r % 3 == 1 ? iotinval_vma(false, 0, true, pscids[(r >> 4) % 3])
                                     : iodir_inval_ddt(true, dids[(r >> 8) % 6]);
                if (hot && r % 3 != 2)
                    c = r % 3 == 0 ? iotinval_vma(false, 0, true, 5, true,
                                                  0x40000000 + (r >> 8) % pages * 4096)
                                   : iotinval_vma(false, 0, true, 5);
                submit(c);
                riommu_mmio_write(twin, RIOMMU_REG_CQT, 4, rd32(RIOMMU_REG_CQT));
                settle();
                riommu_settle(twin);
                continue;
            }
            riommu_request q{};
            q.device_id = dids[hot || (r >> 4) % 8 < 5 ? 0 : (r >> 7) % 6]; // mostly one
            q.iova = (r >> 10) % 50 == 49 ? 0x80000000 + (r & 0x1FF000)
                                          : 0x40000000 + (r >> 12) % pages * 4096 + (r & 0xFF8);
            q.access = (r >> 20) % 5 == 0 ? RIOMMU_WRITE : RIOMMU_READ;
            q.kind = (r >> 23) % 50 == 0 ? RIOMMU_REQ_TRANSLATED : RIOMMU_REQ_UNTRANSLATED;
            q.pv = (r >> 26) % 60 == 0;
            q.len = 8;
            riommu_response a{}, b{};
            bool busy = !riommu_idle(m);
            if (issue && (r >> 27) % 2 == 0) {
                riommu_issue_translate(m, &q, &a);
                riommu_issue_translate(twin, &q, &b);
                uint32_t gap = (r >> 28) % 4; // 0..3 cycles to the next request
                riommu_step(m, gap);
                riommu_step(twin, gap);
            } else {
                riommu_translate(m, &q, &a);
                riommu_translate(twin, &q, &b);
            }
            ASSERT_NO_FATAL_FAILURE(expect_same_answer(m, twin, a, b, n));
            hits += a.iotlb_hit;
            busy_hits += a.iotlb_hit && busy;
        }
        riommu_stats sa = expect_same_stats(m, twin);
        EXPECT_GT(hits, 1000u);            // the hit path was taken
        EXPECT_GT(sa.iotlb.evictions, 100u); // and replacement exercised
        EXPECT_GT(sa.ddtc.evictions, 100u);
        EXPECT_GT(sa.iotlb.invalidations, 10u);
        if (timed)
            EXPECT_GT(sa.translate_cycles, 0u);
        else
            EXPECT_EQ(sa.translate_cycles, 0u);
        if (issue) { // the slot pools were contended, also for blocking hits
            EXPECT_GT(busy_hits, 500u);
            EXPECT_GT(sa.xlate_max_inflight, 1u);
            EXPECT_GT(sa.xlate_wait_cycles + sa.cache_wait_cycles, 0u);
        }
        for (uint32_t did : dids)
            EXPECT_EQ(riommu_ddtc_contains(m, did), riommu_ddtc_contains(twin, did));
        expect_same_caches(m, twin, 48, {pscids[0], pscids[1], pscids[2]});
        riommu_destroy(twin);
    }
}


// ds "Process to translate an IOVA" step 17 and the Privileged
// specification's walk (reserved bits, PBMT with Svpbmt, N with Svnapot,
// misaligned superpages, U, G), ds "IOMMU updating of PTE accessed (A) and
// dirty (D) updates" (DC.tc.SADE), DC.tc.SBE (big-endian PTEs), DC.tc.DTF,
// PAS (capabilities.PAS: access fault), q "Fault/Event-Queue" records:
// the IOTLB-miss path (translate.c translate_miss) is a shortcut with no
// behaviour of its own. A twin model with an observer takes the general
// path for everything, on its own copy of memory; both get the same
// requests and must agree on every response, the clock, the statistics,
// cache contents and, at the end, every byte of memory (PTE A/D updates,
// fault records). docs/timing.md: timing on and off.
TEST_F(ModelTest, HotPath_MissPathMatchesGeneralPath) {
    for (int variant = 0; variant < 4; variant++) {
        bool timed = variant < 2;
        riommu_repl_policy pol = variant % 2 ? RIOMMU_REPL_FIFO : RIOMMU_REPL_LRU;
        SCOPED_TRACE(::testing::Message() << "policy " << pol << (timed ? " timed" : " functional"));
        fresh_world();
        cfg.iotlb = {32, 4, pol, true, 1, 1}; // small: most requests miss
        cfg.ddtc = {8, 2, pol, true, 1, 1};
        cfg.timing.enable = timed;
        cfg.capabilities = (cfg.capabilities & ~RIOMMU_CAP_PAS) |
                           RIOMMU_FIELD_PREP(RIOMMU_CAP_PAS, 40);
        Create();
        setup_ddt(RIOMMU_DDTP_MODE_3LVL);
        enable_cq();
        enable_fq(9); // 1024 records: every fault is written
        const uint32_t pscids[4] = {5, 6, 7, 8};
        const unsigned modes[4] = {8, 9, 10, 8};
        uint64_t roots[4];
        for (int a = 0; a < 4; a++) {
            uint64_t first = next_page;
            roots[a] = new_root();
            for (uint64_t p = 0; p < 64; p++) {
                if (p % 11 == 10)
                    continue; // a hole: page fault
                uint64_t fl = RWUAD;
                uint64_t pa = 0x90000000 + a * 0x100000 + p * 4096;
                if (p % 7 == 3)
                    fl &= ~W; // read-only
                if (p % 13 == 5)
                    fl &= ~A; // A/D update (SADE) or page fault
                if (p % 13 == 6)
                    fl &= ~D;
                if (p % 17 == 4)
                    fl |= 1ull << 54; // reserved
                if (p % 19 == 7)
                    fl |= 1ull << 61; // PBMT NC
                if (p % 19 == 8)
                    fl |= 3ull << 61; // PBMT 3: reserved
                if (p % 23 == 9)
                    fl |= G;
                if (p % 29 == 11)
                    fl |= 1ull << 59; // Svrsw60t59b: software bits
                if (p % 31 == 12)
                    fl |= RIOMMU_PTE_N, pa = (pa & ~0xFFFFull) | 0x8000; // NAPOT 64 KiB
                if (p % 37 == 13)
                    pa = 1ull << 41; // beyond PAS 40: access fault
                if (p % 41 == 14)
                    fl &= ~U; // a supervisor page
                uint64_t slot = map(roots[a], modes[a], 0x40000000 + p * 4096, pa, fl);
                if (a == 2 && p == 20)
                    mem.poison.push_back({slot, slot + 8}); // PT corruption
            }
            // 2 MiB pages: aligned, and misaligned (page fault)
            map(roots[a], modes[a], 0x80000000, 0xA0000000, RWUAD, 1);
            map(roots[a], modes[a], 0x80200000, 0xA0101000, RWUAD, 1);
            if (a == 3) { // big-endian tables (DC.tc.SBE)
                for (uint64_t pg = first; pg < next_page; pg += 4096)
                    for (unsigned o = 0; o < 4096; o += 8)
                        mem.w64(pg + o, __builtin_bswap64(mem.r64(pg + o)));
            }
        }
        const uint32_t dids[6] = {0x11, 0x12, 0x13, 0x14, 0x15, 0x12345};
        const uint64_t tcs[6] = {0, RIOMMU_DC_TC_SADE, RIOMMU_DC_TC_SADE | RIOMMU_DC_TC_DTF,
                                 RIOMMU_DC_TC_SBE | RIOMMU_DC_TC_SADE, RIOMMU_DC_TC_SBE, 0};
        const int space[6] = {0, 1, 2, 3, 3, 1};
        for (int d = 0; d < 6; d++)
            attach_s1(dids[d], roots[space[d]], modes[space[d]], pscids[space[d]], tcs[d]);

        Memory tmem = mem; // the twin's memory from here
        riommu *twin = nullptr;
        ASSERT_NO_FATAL_FAILURE(make_twin(m, cfg, &tmem, true, &twin));

        XorShift32 next{777};
        for (unsigned n = 0; n < 3000; n++) {
            uint32_t r = next();
            riommu_request q{};
            q.device_id = dids[(r >> 3) % 6];
            uint32_t pick = (r >> 10) % 64;
            q.iova = pick == 63   ? 0x80000000 + (r & 0x3FF000) // the superpages
                     : pick == 62 ? 0x4000000000000000ull      // not canonical
                                  : 0x40000000 + pick * 4096 + (r & 0xFF8);
            q.access = (r >> 20) % 4 == 0 ? RIOMMU_WRITE : (r >> 20) % 9 == 1 ? RIOMMU_EXEC
                                                                                : RIOMMU_READ;
            q.kind = RIOMMU_REQ_UNTRANSLATED;
            q.pv = (r >> 26) % 40 == 0;
            q.len = 8;
            riommu_response a{}, b{};
            riommu_translate(m, &q, &a);
            riommu_translate(twin, &q, &b);
            ASSERT_NO_FATAL_FAILURE(expect_same_answer(m, twin, a, b, n));
            ASSERT_EQ(a.recorded, b.recorded) << n;
            ASSERT_EQ(a.x, b.x) << n;
            ASSERT_EQ(a.pbmt, b.pbmt) << n;
            if (n % 500 == 499) { // fault queue drained alike
                riommu_mmio_write(twin, RIOMMU_REG_FQH, 4, rd32(RIOMMU_REG_FQT));
                wr32(RIOMMU_REG_FQH, rd32(RIOMMU_REG_FQT));
            }
        }
        riommu_stats sa = expect_same_stats(m, twin);
        EXPECT_GT(sa.iotlb.misses, 1000u);     // the miss path was taken
        EXPECT_GT(sa.ad_updates, 10u);         // with A/D updates
        EXPECT_GT(sa.fault_records_written, 100u);
        EXPECT_GT(sa.fault_records_suppressed, 10u); // DTF
        EXPECT_GT(sa.faults_by_cause[RIOMMU_CAUSE_PT_CORRUPTION], 0u);
        EXPECT_GT(sa.faults_by_cause[RIOMMU_CAUSE_READ_ACCESS_FAULT], 0u); // PAS
        EXPECT_TRUE(mem.pages == tmem.pages); // PTEs and fault records alike
        expect_same_caches(m, twin, 64, {pscids[0], pscids[1], pscids[2], pscids[3]});
        riommu_destroy(twin);
    }
}
