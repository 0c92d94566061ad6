// test_linux.cpp - the Linux driver checklists (linux-driver.md §1.2-1.4
// bring-up, §1.8 attach sequences, §1.9 invalidations, §2.4 items 1-12 "what
// the driver silently depends on", §4 items 3, 6, 7, 10 and 11), each
// written as the register / memory script the driver performs.
#include "fixture.h"

#include <algorithm>

using namespace rt;

namespace {

constexpr unsigned SV39 = RIOMMU_IOSATP_MODE_SV39;

#define BRINGUP()                                                              \
    ASSERT_NO_FATAL_FAILURE({                                                  \
        Create();                                                              \
        enable_cq();                                                           \
        enable_fq();                                                           \
        setup_ddt();                                                           \
    })

// linux §1.6 cmd_sync: queue IOFENCE.C (0x3002) and wait until cqh passes it.
#define LINUX_SYNC()                                                           \
    do {                                                                       \
        submit(iofence());                                                     \
        settle();                                                              \
        EXPECT_EQ(rd32(RIOMMU_REG_CQH), rd32(RIOMMU_REG_CQT)) << "fence wait"; \
    } while (0)

// linux §1.8 iodir_update (with the 2026 scoped IOTINVAL after each
// IODIR.INVAL_DDT, §1.9) followed by the unbond step: move `did` to the
// context (fsc, PSCID, valid). `old_pscid` != 0: the previous paging domain
// lost its last bond -> PSCV=1 IOTINVAL of it.
#define DECLARE_LINUX_ATTACH()                                                 \
    auto scoped_inval = [](uint64_t fsc_, uint64_t ta_) -> Cmd {               \
        if (RIOMMU_FIELD_GET(fsc_, RIOMMU_FSC_MODE) != RIOMMU_IOSATP_MODE_BARE) \
            return iotinval_vma(false, 0, true,                                \
                                (uint32_t)RIOMMU_FIELD_GET(ta_, RIOMMU_DC_TA_PSCID)); \
        return iotinval_vma();                                                 \
    };                                                                         \
    auto linux_attach = [&](uint32_t did, uint64_t fsc, uint32_t pscid, bool valid, \
                            uint32_t old_pscid) {                              \
        uint64_t a = dc_addr(did);                                             \
        uint64_t tc = mem.r64(a);                                              \
        if (tc & RIOMMU_DC_TC_V) { /* phase 1 */                               \
            uint64_t ota = mem.r64(a + 16), ofsc = mem.r64(a + 24);            \
            tc &= ~RIOMMU_DC_TC_V;                                             \
            mem.w64(a, tc);                                                    \
            submit(iodir_inval_ddt(true, did));                                \
            submit(scoped_inval(ofsc, ota));                                   \
            LINUX_SYNC();                                                      \
        }                                                                      \
        uint64_t ta = RIOMMU_FIELD_PREP(RIOMMU_DC_TA_PSCID, pscid);            \
        mem.w64(a + 24, fsc);                                                  \
        mem.w64(a + 16, ta);                                                   \
        mem.w64(a, tc | (valid ? RIOMMU_DC_TC_V : 0)); /* V published last */  \
        submit(iodir_inval_ddt(true, did));                                    \
        submit(scoped_inval(fsc, ta));                                         \
        LINUX_SYNC();                                                          \
        if (old_pscid) {                                                       \
            submit(iotinval_vma(false, 0, true, old_pscid));                   \
            LINUX_SYNC();                                                      \
        }                                                                      \
    }

uint64_t fsc_of(uint64_t root) {
    return RIOMMU_FIELD_PREP(RIOMMU_FSC_MODE, SV39) | (root >> 12);
}

// Poll a register until `bit` reads 0, advancing the clock like the driver's
// udelay loop; returns the number of polls that saw the bit set.
#define POLL_CLEAR(polls, off, bit, rd)                                        \
    do {                                                                       \
        polls = 0;                                                             \
        while (rd(off) & (bit)) {                                              \
            riommu_step(m, 10);                                                \
            ASSERT_LT(++polls, 1000) << "BUSY never cleared";                  \
        }                                                                      \
    } while (0)

} // namespace

// linux §2.4 item 1: "Reset state must not have ddtp.BUSY set. The mode must
// be OFF or BARE"; both documented reset choices (regs "Reset behavior").
TEST_F(ModelTest, Linux_2_4_Item1_ResetStateNotBusyOffOrBare) {
    Create();
    uint64_t d = rd64(RIOMMU_REG_DDTP);
    EXPECT_FALSE(d & RIOMMU_DDTP_BUSY);
    EXPECT_EQ(d & RIOMMU_DDTP_MODE, RIOMMU_DDTP_MODE_OFF);
    riommu_destroy(m);
    m = nullptr;
    cfg.ddtp_reset_mode = RIOMMU_DDTP_MODE_BARE;
    Create();
    d = rd64(RIOMMU_REG_DDTP);
    EXPECT_FALSE(d & RIOMMU_DDTP_BUSY);
    EXPECT_EQ(d & RIOMMU_DDTP_MODE, RIOMMU_DDTP_MODE_BARE);
    EXPECT_EQ(rd32(RIOMMU_REG_CQCSR) & (RIOMMU_CQCSR_CQON | RIOMMU_CQCSR_BUSY), 0u);
    EXPECT_EQ(rd32(RIOMMU_REG_FQCSR) & (RIOMMU_FQCSR_FQON | RIOMMU_FQCSR_BUSY), 0u);
}

// linux §1.2-1.4 complete: init_check, icvec, iodir_alloc (PPN probe),
// queue_alloc (LOG2SZ probe with 0x1F, exact read-back), queue_enable (0x103
// -> 0x10003 after BUSY polling, ipsr W1C), iodir_set_mode(3LVL) with BUSY
// polling and the IODIR / IOTINVAL / IOFENCE.C triple; then a paging domain
// attach and a DMA.
TEST_F(ModelTest, Linux_1_2_FullInitSequence) {
    cfg.num_vectors = 4;
    Create();
    int polls = 0;
    // §1.2 step 2 init_check: ddtp once, no BUSY, mode <= BARE.
    uint64_t ddtp = rd64(RIOMMU_REG_DDTP);
    ASSERT_FALSE(ddtp & RIOMMU_DDTP_BUSY);
    ASSERT_LE(ddtp & RIOMMU_DDTP_MODE, RIOMMU_DDTP_MODE_BARE);
    EXPECT_EQ(rd32(RIOMMU_REG_FCTL) & RIOMMU_FCTL_BE, 0u); // LE, no toggle
    // icvec for irqs_count = 4: CIV 0, FIV 1, PIV 2, PMIV 3 -> 0x2310.
    wr64(RIOMMU_REG_ICVEC, 0x2310);
    EXPECT_EQ(rd64(RIOMMU_REG_ICVEC), 0x2310u);
    // §1.3 iodir_alloc: poll BUSY, write only the mode, read PPN back.
    POLL_CLEAR(polls, RIOMMU_REG_DDTP, RIOMMU_DDTP_BUSY, rd64);
    wr64(RIOMMU_REG_DDTP, ddtp & RIOMMU_DDTP_MODE);
    POLL_CLEAR(polls, RIOMMU_REG_DDTP, RIOMMU_DDTP_BUSY, rd64);
    ASSERT_EQ(rd64(RIOMMU_REG_DDTP) & RIOMMU_DDTP_PPN, 0u) << "no fixed root";
    uint64_t root = alloc();
    // §1.4 queue_alloc for the CQ (logsz 12) and FQ (logsz 11).
    struct Q {
        uint32_t base, csr;
        unsigned want, entry;
        uint64_t pa;
    } qs[2] = {{RIOMMU_REG_CQB, RIOMMU_REG_CQCSR, 12, 16, 0},
               {RIOMMU_REG_FQB, RIOMMU_REG_FQCSR, 11, 32, 0}};
    for (auto &q : qs) {
        wr64(q.base, 0x1F);
        uint64_t rb = rd64(q.base);
        ASSERT_EQ(rb & RIOMMU_QB_PPN, 0u) << "no fixed ring";
        unsigned hw = (unsigned)(rb & RIOMMU_QB_LOG2SZ);
        EXPECT_EQ(hw, 15u) << "WARL: largest supported encoding";
        unsigned logsz = std::min(q.want, hw);
        uint64_t bytes = (uint64_t)q.entry << (logsz + 1);
        q.pa = alloc((unsigned)(bytes / 4096), bytes);
        uint64_t v = ((q.pa >> 2) & RIOMMU_GENMASK(53, 10)) | logsz;
        wr64(q.base, v);
        ASSERT_EQ(rd64(q.base), v) << "queue allocation failed";
    }
    cq_base = qs[0].pa;
    cq_mask = (2u << 12) - 1;
    fq_base = qs[1].pa;
    fq_mask = (2u << 11) - 1;
    // queue_enable: CSR = EN | IE | MF = 0x103, poll BUSY, require ON.
    for (unsigned i = 0; i < 2; i++) {
        wr32(qs[i].csr, 0x103);
        POLL_CLEAR(polls, qs[i].csr, RIOMMU_CQCSR_BUSY, rd32);
        uint32_t csr = rd32(qs[i].csr);
        EXPECT_EQ(csr & (RIOMMU_CQCSR_CQON | RIOMMU_CQCSR_BUSY | RIOMMU_CQCSR_CQMF),
                  RIOMMU_CQCSR_CQON);
        EXPECT_EQ(csr, 0x10003u);
        wr32(RIOMMU_REG_IPSR, 1u << i);
    }
    // iodir_set_mode(3LVL).
    POLL_CLEAR(polls, RIOMMU_REG_DDTP, RIOMMU_DDTP_BUSY, rd64);
    uint64_t rq = ((root >> 2) & RIOMMU_GENMASK(53, 10)) | RIOMMU_DDTP_MODE_3LVL;
    wr64(RIOMMU_REG_DDTP, rq);
    POLL_CLEAR(polls, RIOMMU_REG_DDTP, RIOMMU_DDTP_BUSY, rd64);
    EXPECT_GT(polls, 0) << "BUSY was visible (timing.ddtp_busy)";
    ASSERT_EQ(rd64(RIOMMU_REG_DDTP), rq);
    ddt_root = root;
    ddt_mode = RIOMMU_DDTP_MODE_3LVL;
    submit(Cmd{0x3, 0});
    submit(Cmd{0x1, 0});
    LINUX_SYNC();
    EXPECT_EQ(rd32(RIOMMU_REG_CQH), 3u);
    EXPECT_EQ(rd32(RIOMMU_REG_CQCSR), 0x10003u);
    // A paging domain, attached the v10 way, and a DMA through it.
    uint64_t pt = new_root();
    map(pt, SV39, 0x10000, 0x90000000, V | R | W | U | A | D);
    DECLARE_LINUX_ATTACH();
    linux_attach(0x10, fsc_of(pt), 1, true, 0);
    expect_ok(0x10, 0x10008, RIOMMU_WRITE, 0x90000008);
    expect_fault(0x10, 0x20000, RIOMMU_READ, RIOMMU_CAUSE_READ_PAGE_FAULT);
    auto recs = drain_faults();
    ASSERT_EQ(recs.size(), 1u);
    EXPECT_EQ(recs[0].did, 0x10u);
    EXPECT_EQ(recs[0].iotval, 0x20000u);
}

// linux §2.4 item 2 / §1.3 mode probing: an unsupported xLVL leaves OFF/BARE
// in place, so the 3LVL -> 2LVL -> 1LVL fallback ends at the supported mode;
// OFF and BARE read back exactly; xLVL -> xLVL is refused.
TEST_F(ModelTest, Linux_2_4_Item2_DdtpWarlModeProbing) {
    cfg.ddt_modes = 1u << RIOMMU_DDTP_MODE_1LVL;
    Create();
    int polls = 0;
    wr64(RIOMMU_REG_DDTP, RIOMMU_DDTP_MODE_BARE);
    POLL_CLEAR(polls, RIOMMU_REG_DDTP, RIOMMU_DDTP_BUSY, rd64);
    EXPECT_EQ(rd64(RIOMMU_REG_DDTP), (uint64_t)RIOMMU_DDTP_MODE_BARE);
    uint64_t root = alloc();
    unsigned mode = RIOMMU_DDTP_MODE_3LVL, got = 0;
    std::vector<unsigned> tried;
    for (;;) {
        uint64_t rq = ((root >> 2) & RIOMMU_GENMASK(53, 10)) | mode;
        wr64(RIOMMU_REG_DDTP, rq);
        POLL_CLEAR(polls, RIOMMU_REG_DDTP, RIOMMU_DDTP_BUSY, rd64);
        tried.push_back(mode);
        got = (unsigned)(rd64(RIOMMU_REG_DDTP) & RIOMMU_DDTP_MODE);
        if (got == mode)
            break;
        ASSERT_LE(got, RIOMMU_DDTP_MODE_BARE) << "changed to a different xLVL";
        ASSERT_GT(mode, RIOMMU_DDTP_MODE_1LVL);
        mode--;
    }
    EXPECT_EQ(got, RIOMMU_DDTP_MODE_1LVL);
    EXPECT_EQ(tried, (std::vector<unsigned>{4, 3, 2}));
    // xLVL -> xLVL is refused (Linux rejects it itself; model keeps 1LVL).
    wr64(RIOMMU_REG_DDTP, ((root >> 2) & RIOMMU_GENMASK(53, 10)) | RIOMMU_DDTP_MODE_3LVL);
    POLL_CLEAR(polls, RIOMMU_REG_DDTP, RIOMMU_DDTP_BUSY, rd64);
    EXPECT_EQ(rd64(RIOMMU_REG_DDTP) & RIOMMU_DDTP_MODE, RIOMMU_DDTP_MODE_1LVL);
    // Back to OFF reads back exactly (§1.11 remove).
    wr64(RIOMMU_REG_DDTP, RIOMMU_DDTP_MODE_OFF);
    POLL_CLEAR(polls, RIOMMU_REG_DDTP, RIOMMU_DDTP_BUSY, rd64);
    EXPECT_EQ(rd64(RIOMMU_REG_DDTP), 0u);
}

// linux §2.4 item 3 / §1.4 queue_alloc: LOG2SZ is WARL - 0x1F reads back the
// largest supported encoding; the final base write reads back exactly.
TEST_F(ModelTest, Linux_2_4_Item3_QueueBaseWarl) {
    cfg.cq_max_log2szm1 = 9;
    cfg.fq_max_log2szm1 = 3;
    Create();
    wr64(RIOMMU_REG_CQB, 0x1F);
    EXPECT_EQ(rd64(RIOMMU_REG_CQB), 9u);
    wr64(RIOMMU_REG_FQB, 0x1F);
    EXPECT_EQ(rd64(RIOMMU_REG_FQB), 3u);
    uint64_t cq = alloc(4, 16 << 10); // 1024 entries x 16 B
    uint64_t v = ((cq >> 2) & RIOMMU_GENMASK(53, 10)) | std::min(12u, 9u);
    wr64(RIOMMU_REG_CQB, v);
    EXPECT_EQ(rd64(RIOMMU_REG_CQB), v);
    uint64_t fq = alloc(1);
    v = ((fq >> 2) & RIOMMU_GENMASK(53, 10)) | std::min(11u, 3u);
    wr64(RIOMMU_REG_FQB, v);
    EXPECT_EQ(rd64(RIOMMU_REG_FQB), v);
    // The 64-bit register may also be written as two 32-bit halves (§4 item 2).
    wr32(RIOMMU_REG_CQB + 4, 0);
    wr32(RIOMMU_REG_CQB, (uint32_t)(((cq >> 2) & RIOMMU_GENMASK(53, 10)) | 8));
    EXPECT_EQ(rd64(RIOMMU_REG_CQB), ((cq >> 2) & RIOMMU_GENMASK(53, 10)) | 8);
}

// linux §2.4 item 4 / §4 item 3: cqen 0->1 resets cqh to 0 and fqen 0->1
// resets fqt to 0; cqt and fqh are kept. The 6.14 fix (write cqt = 0 before
// enabling) keeps stale slots from running.
TEST_F(ModelTest, Linux_4_Item3_StaleCqtAfterKexec) {
    Create();
    uint64_t ring = alloc();
    cq_base = ring;
    cq_mask = 63;
    for (uint64_t i = 0; i < 4; i++) { // "previous kernel" left 4 fences
        mem.w64(ring + 16 * i, iofence().d0);
        mem.w64(ring + 16 * i + 8, 0);
    }
    wr64(RIOMMU_REG_CQB, ((ring >> 12) << 10) | 5);
    wr32(RIOMMU_REG_CQT, 4); // stale tail
    wr32(RIOMMU_REG_CQCSR, 0x103);
    EXPECT_EQ(rd32(RIOMMU_REG_CQH), 0u);
    EXPECT_EQ(rd32(RIOMMU_REG_CQT), 4u);
    settle();
    EXPECT_EQ(rd32(RIOMMU_REG_CQH), 4u) << "stale slots were executed (v10 hazard)";
    EXPECT_EQ(stats().commands[RIOMMU_CMD_OP_IOFENCE][0], 4u);
    // 6.14: disable, write cqt = 0, enable -> nothing runs.
    wr32(RIOMMU_REG_CQCSR, 0);
    settle();
    wr32(RIOMMU_REG_CQT, 0);
    wr32(RIOMMU_REG_CQCSR, 0x103);
    settle();
    EXPECT_EQ(rd32(RIOMMU_REG_CQH), 0u);
    EXPECT_EQ(rd32(RIOMMU_REG_CQT), 0u);
    EXPECT_EQ(stats().commands[RIOMMU_CMD_OP_IOFENCE][0], 4u);
}

// linux §2.4 item 4 (FQ side): fqen 0->1 resets fqt, keeps fqh.
TEST_F(ModelTest, Linux_2_4_Item4_FqenResetsFqtKeepsFqh) {
    Create();
    ASSERT_NO_FATAL_FAILURE(enable_fq(3));
    xlate(1, 0x1000); // ddtp Off -> cause 256 record
    xlate(2, 0x1000);
    ASSERT_EQ(rd32(RIOMMU_REG_FQT), 2u);
    wr32(RIOMMU_REG_FQH, 1);
    wr32(RIOMMU_REG_FQCSR, 0);
    settle();
    wr32(RIOMMU_REG_FQCSR, 0x103);
    settle();
    EXPECT_EQ(rd32(RIOMMU_REG_FQT), 0u);
    EXPECT_EQ(rd32(RIOMMU_REG_FQH), 1u);
    EXPECT_EQ(rd32(RIOMMU_REG_FQCSR), 0x10003u);
}

// linux §2.4 item 5: EN/IE are plain RW, ON/BUSY read-only; error bits are
// W1C so writing back the value read clears them and keeps the queue
// enabled; writing MF=1 with EN clears a stale fault.
TEST_F(ModelTest, Linux_2_4_Item5_QueueCsrSemantics) {
    Create();
    ASSERT_NO_FATAL_FAILURE(enable_cq(5, RIOMMU_CQCSR_CIE));
    // ON and BUSY are read-only: writing them has no effect.
    wr32(RIOMMU_REG_CQCSR, 0x3 | RIOMMU_CQCSR_BUSY);
    EXPECT_EQ(rd32(RIOMMU_REG_CQCSR), 0x10003u);
    // cmd_ill, then the CQ thread writes back the value read (§1.5).
    run(Cmd{0, 0});
    uint32_t csr = rd32(RIOMMU_REG_CQCSR);
    ASSERT_EQ(csr, 0x10003u | RIOMMU_CQCSR_CMD_ILL);
    wr32(RIOMMU_REG_CQCSR, csr);
    EXPECT_EQ(rd32(RIOMMU_REG_CQCSR), 0x10003u);
    // Stale memory fault: cqmf survives a disable (0 written to a W1C bit),
    // then the 0x103 enable clears it.
    mem.w64(cq_base, iofence().d0); // repair the slot
    mem.fault.push_back({cq_base, cq_base + 4096});
    settle();
    ASSERT_TRUE(rd32(RIOMMU_REG_CQCSR) & RIOMMU_CQCSR_CQMF);
    wr32(RIOMMU_REG_CQCSR, 0);
    settle();
    EXPECT_TRUE(rd32(RIOMMU_REG_CQCSR) & RIOMMU_CQCSR_CQMF);
    EXPECT_FALSE(rd32(RIOMMU_REG_CQCSR) & RIOMMU_CQCSR_CQON);
    mem.fault.clear();
    wr32(RIOMMU_REG_CQT, 0);
    wr32(RIOMMU_REG_CQCSR, 0x103);
    settle();
    EXPECT_EQ(rd32(RIOMMU_REG_CQCSR), 0x10003u);
}

// linux §2.4 item 6: cqh / fqt never show bits above the queue mask, so the
// driver's sanity reads succeed.
TEST_F(ModelTest, Linux_2_4_Item6_IndicesModuloQueueSize) {
    Create();
    ASSERT_NO_FATAL_FAILURE(enable_cq(1));
    ASSERT_NO_FATAL_FAILURE(enable_fq(1));
    for (int i = 0; i < 9; i++) {
        run(iofence());
        xlate(1, 0x1000);
        drain_faults();
        EXPECT_EQ(rd32(RIOMMU_REG_CQH) & ~cq_mask, 0u);
        EXPECT_EQ(rd32(RIOMMU_REG_FQT) & ~fq_mask, 0u);
    }
    EXPECT_EQ(rd32(RIOMMU_REG_CQH), 9u & 3u);
    EXPECT_EQ(rd32(RIOMMU_REG_FQT), 9u & 3u);
}

// linux §2.4 item 7: IOFENCE.C completion is visible only as cqh moving past
// it; it does not pass until every earlier command is done.
TEST_F(ModelTest, Linux_2_4_Item7_FenceCompletionOnlyViaCqh) {
    cfg.timing.cmd_lat = 25;
    BRINGUP();
    set_dc(3, RIOMMU_DC_TC_V, 0, 0, 0);
    expect_ok(3, 0x1000, RIOMMU_READ, 0x1000);
    submit(iodir_inval_ddt(true, 3));
    submit(iotinval_vma());
    submit(iofence());
    uint32_t fence_idx = 2;
    int polls = 0;
    while ((int32_t)(rd32(RIOMMU_REG_CQH) - fence_idx) <= 0) {
        // Whenever cqh is at or before the fence, the fence is incomplete.
        riommu_step(m, 1);
        ASSERT_LT(++polls, 1000);
        if (rd32(RIOMMU_REG_CQH) == 1) {
            EXPECT_FALSE(riommu_ddtc_contains(m, 3));
        }
    }
    // docs/timing.md "Commands": each command is a fetch (mem_lat 20) and
    // cmd_lat (25); IODIR.INVAL_DDT DV=1 probes one DDTC set (lat 1), an
    // IOTINVAL.VMA AV=0 scans every IOTLB set (256/8) and walk-cache set (64/4).
    EXPECT_EQ(polls, 3 * (20 + 25) + 1 + 32 + 16);
    EXPECT_FALSE(riommu_ddtc_contains(m, 3));
    EXPECT_EQ(mem.count_writes(RIOMMU_ACC_FENCE_DATA), 0u);
}

// linux §2.4 item 8 / §1.7: probe writes an invalid DC (tc = SADE) and sends
// no command; attaching later must work even for a device that was already
// probed by a DMA (the invalid DC was never cached). Also no flush after a
// map, and identity translations need no IOTINVAL.
TEST_F(ModelTest, Linux_2_4_Item8_NoCachingOfInvalidState) {
    BRINGUP();
    uint64_t a = dc_addr(0x21);
    mem.w64(a, RIOMMU_DC_TC_SADE); // probe_device: invalid DC, no command
    expect_fault(0x21, 0x3000, RIOMMU_READ, RIOMMU_CAUSE_DDT_INVALID);
    EXPECT_FALSE(riommu_ddtc_contains(m, 0x21));
    // Write the valid context without any IODIR (stress the assumption).
    uint64_t pt = new_root();
    mem.w64(a + 24, fsc_of(pt));
    mem.w64(a + 16, RIOMMU_FIELD_PREP(RIOMMU_DC_TA_PSCID, 4));
    mem.w64(a, RIOMMU_DC_TC_SADE | RIOMMU_DC_TC_V);
    expect_fault(0x21, 0x3000, RIOMMU_READ, RIOMMU_CAUSE_READ_PAGE_FAULT);
    // Map without flush (§1.10 map_pages step 6).
    map(pt, SV39, 0x3000, 0x93000000, V | R | W | U | A);
    expect_ok(0x21, 0x3000, RIOMMU_WRITE, 0x93000000);
    EXPECT_EQ(mem.r64(pt) & V, V);
    // Identity: no IOTLB entries, no IOTINVAL needed.
    set_dc(0x22, RIOMMU_DC_TC_V, 0, 0, 0);
    uint32_t occ = riommu_cache_occupancy(m, RIOMMU_CACHE_IOTLB);
    expect_ok(0x22, 0x123456, RIOMMU_READ, 0x123456);
    EXPECT_EQ(riommu_cache_occupancy(m, RIOMMU_CACHE_IOTLB), occ);
}

// linux §2.4 item 9: IOTINVAL.VMA GV=0 PSCV=1 hits every entry created
// through any DC with that PSCID.
TEST_F(ModelTest, Linux_2_4_Item9_PscidInvalHitsAllDevicesOfDomain) {
    BRINGUP();
    uint64_t pt = new_root();
    map(pt, SV39, 0x1000, 0x90001000, RWUAD);
    map(pt, SV39, 0x2000, 0x90002000, RWUAD);
    attach_s1(0x30, pt, SV39, 7);
    attach_s1(0x31, pt, SV39, 7);
    expect_ok(0x30, 0x1000, RIOMMU_READ, 0x90001000);
    expect_ok(0x31, 0x2000, RIOMMU_READ, 0x90002000);
    ASSERT_EQ(riommu_cache_occupancy(m, RIOMMU_CACHE_IOTLB), 2u);
    submit(iotinval_vma(false, 0, true, 7));
    LINUX_SYNC();
    EXPECT_EQ(riommu_cache_occupancy(m, RIOMMU_CACHE_IOTLB), 0u);
}

// linux §2.4 item 10: with SADE the IOMMU sets D atomically in a writable
// leaf that Linux left with A set and D clear (0x57 = V A U R W).
TEST_F(ModelTest, Linux_2_4_Item10_SadeSetsDirtyBit) {
    BRINGUP();
    ASSERT_TRUE(cfg.capabilities & RIOMMU_CAP_AMO_HWAD);
    uint64_t pt = new_root();
    uint64_t rw = map(pt, SV39, 0x1000, 0x90001000, 0x57);
    uint64_t ro = map(pt, SV39, 0x2000, 0x90002000, 0x53);
    attach_s1(0x40, pt, SV39, 1, RIOMMU_DC_TC_SADE);
    expect_ok(0x40, 0x1000, RIOMMU_READ, 0x90001000);
    EXPECT_EQ(mem.r64(rw) & D, 0u) << "a read does not set D";
    expect_ok(0x40, 0x1000, RIOMMU_WRITE, 0x90001000);
    EXPECT_EQ(mem.r64(rw), pte_leaf(0x90001000, 0x57 | D));
    EXPECT_EQ(mem.count_writes(RIOMMU_ACC_AD_UPDATE), 1u);
    expect_ok(0x40, 0x2000, RIOMMU_READ, 0x90002000);
    expect_fault(0x40, 0x2000, RIOMMU_WRITE, RIOMMU_CAUSE_WRITE_PAGE_FAULT);
    EXPECT_EQ(mem.r64(ro), pte_leaf(0x90002000, 0x53));
}

// linux §2.4 item 11: icvec is WARL with up to irqs_count vectors and reads
// back values < irqs_count; ipsr is W1C; a wired interrupt stays asserted
// while its ipsr bit is set.
TEST_F(ModelTest, Linux_2_4_Item11_IcvecWarlIpsrW1cWiredLevel) {
    cfg.num_vectors = 4;
    cfg.fctl_reset = RIOMMU_FCTL_WSI;
    Create();
    wr64(RIOMMU_REG_ICVEC, 0xFFFF);
    uint64_t iv = rd64(RIOMMU_REG_ICVEC);
    for (unsigned f = 0; f < 4; f++)
        EXPECT_LT((iv >> (4 * f)) & 0xF, 4u) << "field " << f;
    wr64(RIOMMU_REG_ICVEC, 0x2310);
    ASSERT_EQ(rd64(RIOMMU_REG_ICVEC), 0x2310u);
    ASSERT_NO_FATAL_FAILURE(enable_fq(5, RIOMMU_FQCSR_FIE));
    ASSERT_NO_FATAL_FAILURE(enable_cq(5, RIOMMU_CQCSR_CIE));
    xlate(1, 0x1000); // record -> fip -> FIV = 1
    EXPECT_TRUE(rd32(RIOMMU_REG_IPSR) & RIOMMU_IPSR_FIP);
    EXPECT_EQ(wires, 1u << 1);
    riommu_step(m, 100);
    EXPECT_EQ(wires, 1u << 1) << "level stays while ipsr.fip = 1";
    wr32(RIOMMU_REG_IPSR, RIOMMU_IPSR_FIP);
    EXPECT_EQ(rd32(RIOMMU_REG_IPSR) & RIOMMU_IPSR_FIP, 0u);
    EXPECT_EQ(wires, 0u);
    run(Cmd{0, 0}); // cmd_ill -> cip -> CIV = 0
    EXPECT_EQ(wires, 1u << 0);
    wr32(RIOMMU_REG_CQCSR, rd32(RIOMMU_REG_CQCSR)); // clear the cause first
    wr32(RIOMMU_REG_IPSR, RIOMMU_IPSR_CIP);
    EXPECT_EQ(wires, 0u);
}

// linux §2.4 item 12: hard-wired DDT root and queue rings (WARL PPN). The
// driver discovers them by writing PPN = 0 and reading back a non-zero PPN,
// and everything works there.
TEST_F(ModelTest, Linux_2_4_Item12_HardWiredPlacement) {
    const uint64_t DDT = 0x40000000, CQ = 0x40100000, FQ = 0x40200000;
    cfg.ddtp_fixed_ppn = DDT >> 12;
    cfg.cq_fixed_ppn = CQ >> 12;
    cfg.fq_fixed_ppn = FQ >> 12;
    Create();
    wr64(RIOMMU_REG_DDTP, RIOMMU_DDTP_MODE_OFF);
    uint64_t ppn = RIOMMU_FIELD_GET(rd64(RIOMMU_REG_DDTP), RIOMMU_DDTP_PPN);
    ASSERT_EQ(ppn << 12, DDT);
    wr64(RIOMMU_REG_CQB, 0x1F);
    ASSERT_EQ(RIOMMU_FIELD_GET(rd64(RIOMMU_REG_CQB), RIOMMU_QB_PPN) << 12, CQ);
    wr64(RIOMMU_REG_FQB, 0x1F);
    ASSERT_EQ(RIOMMU_FIELD_GET(rd64(RIOMMU_REG_FQB), RIOMMU_QB_PPN) << 12, FQ);
    // "the ring sits at that physical address" - size 2^(logsz+1) entries.
    uint64_t v = ((CQ >> 2) & RIOMMU_GENMASK(53, 10)) | 5;
    wr64(RIOMMU_REG_CQB, v);
    EXPECT_EQ(rd64(RIOMMU_REG_CQB), v);
    v = ((FQ >> 2) & RIOMMU_GENMASK(53, 10)) | 5;
    wr64(RIOMMU_REG_FQB, v);
    EXPECT_EQ(rd64(RIOMMU_REG_FQB), v);
    cq_base = CQ;
    cq_mask = 63;
    fq_base = FQ;
    fq_mask = 63;
    wr32(RIOMMU_REG_CQCSR, 0x103);
    wr32(RIOMMU_REG_FQCSR, 0x103);
    settle();
    ASSERT_EQ(rd32(RIOMMU_REG_CQCSR), 0x10003u);
    ASSERT_EQ(rd32(RIOMMU_REG_FQCSR), 0x10003u);
    mem.pages[DDT].fill(0);
    wr64(RIOMMU_REG_DDTP, ((DDT >> 2) & RIOMMU_GENMASK(53, 10)) | RIOMMU_DDTP_MODE_3LVL);
    settle();
    ASSERT_EQ(rd64(RIOMMU_REG_DDTP) & RIOMMU_DDTP_MODE, RIOMMU_DDTP_MODE_3LVL);
    ddt_root = DDT;
    ddt_mode = RIOMMU_DDTP_MODE_3LVL;
    submit(Cmd{0x3, 0});
    submit(Cmd{0x1, 0});
    LINUX_SYNC();
    mem.log_reads = true;
    set_dc(0x50, 0, 0, 0, 0);
    expect_fault(0x50, 0x1000, RIOMMU_READ, RIOMMU_CAUSE_DDT_INVALID);
    auto recs = drain_faults();
    ASSERT_EQ(recs.size(), 1u);
    EXPECT_EQ(recs[0].did, 0x50u);
    bool ddt_read_at_root = false;
    for (auto &r : mem.reads)
        ddt_read_at_root |= r.second == RIOMMU_ACC_DDT && r.first >= DDT && r.first < DDT + 4096;
    EXPECT_TRUE(ddt_read_at_root);
    bool fq_write = false;
    for (auto &w : mem.writes)
        fq_write |= w.kind == RIOMMU_ACC_FQ && w.pa == FQ;
    EXPECT_TRUE(fq_write);
}

// linux §4 item 6: an illegal command sets cmd_ill and the CQ stops with cqh
// on it; the fence behind it never completes, and the error bit is what
// the (fixed) driver's wait loop must look at.
TEST_F(ModelTest, Linux_4_Item6_IllegalCommandStopsQueue) {
    Create();
    ASSERT_NO_FATAL_FAILURE(enable_cq(5, RIOMMU_CQCSR_CIE));
    submit(iotinval_vma());
    submit(Cmd{RIOMMU_CMD_OP_IOTINVAL | (1ull << 11), 0}); // reserved bit
    submit(iofence());
    uint32_t fence_idx = 2;
    for (int i = 0; i < 50; i++) {
        riommu_step(m, 100);
        ASSERT_LE(rd32(RIOMMU_REG_CQH), fence_idx) << "fence completed";
    }
    EXPECT_EQ(rd32(RIOMMU_REG_CQH), 1u);
    uint32_t csr = rd32(RIOMMU_REG_CQCSR);
    EXPECT_TRUE(csr & RIOMMU_CQCSR_CMD_ILL);
    EXPECT_TRUE(csr & RIOMMU_CQCSR_CQON);
    EXPECT_TRUE(rd32(RIOMMU_REG_IPSR) & RIOMMU_IPSR_CIP);
    EXPECT_TRUE(riommu_idle(m));
}

// linux §4 item 11: after cmd_ill the proposed fix overwrites the bad slot
// with a no-op IOFENCE.C and clears cmd_ill; the IOMMU resumes from cqh and
// the waiting fence completes.
TEST_F(ModelTest, Linux_4_Item11_RepairAndResumeFromCqh) {
    Create();
    ASSERT_NO_FATAL_FAILURE(enable_cq());
    submit(iofence());
    submit(Cmd{RIOMMU_CMD_OP_ATS, 0}); // unsupported without capabilities.ATS
    submit(iotinval_vma());
    submit(iofence(true, true, true, 0x70000000, 1));
    settle();
    uint32_t h = rd32(RIOMMU_REG_CQH);
    ASSERT_EQ(h, 1u);
    ASSERT_TRUE(rd32(RIOMMU_REG_CQCSR) & RIOMMU_CQCSR_CMD_ILL);
    mem.w64(cq_base + 16ull * h, 0x3002); // no-op IOFENCE.C
    mem.w64(cq_base + 16ull * h + 8, 0);
    wr32(RIOMMU_REG_CQCSR, RIOMMU_CQCSR_CQEN | RIOMMU_CQCSR_CMD_ILL);
    settle();
    EXPECT_FALSE(rd32(RIOMMU_REG_CQCSR) & RIOMMU_CQCSR_CMD_ILL);
    EXPECT_EQ(rd32(RIOMMU_REG_CQH), 4u);
    EXPECT_EQ(mem.r32(0x70000000), 1u);
    EXPECT_EQ(stats().commands_illegal, 1u);
    EXPECT_EQ(stats().commands[RIOMMU_CMD_OP_IOFENCE][0], 3u);
}

// linux §4 item 7 (spec §6.3.1/6.3.2): move a device from domain A (PSCID 1)
// to domain B (PSCID 2) with the 2026 sequence (IODIR.INVAL_DDT + scoped
// IOTINVAL.VMA in both phases, then the last-bond PSCID invalidation); a DMA
// to an IOVA mapped only in A must fault.
TEST_F(ModelTest, Linux_4_Item7_MoveDeviceBetweenDomains) {
    BRINGUP();
    DECLARE_LINUX_ATTACH();
    uint64_t pa = new_root(), pb = new_root();
    map(pa, SV39, 0x5000, 0x95000000, RWUAD);
    map(pa, SV39, 0x6000, 0x96000000, RWUAD);
    map(pb, SV39, 0x6000, 0xB6000000, RWUAD);
    linux_attach(0x60, fsc_of(pa), 1, true, 0);
    expect_ok(0x60, 0x5000, RIOMMU_WRITE, 0x95000000);
    expect_ok(0x60, 0x6000, RIOMMU_READ, 0x96000000);
    ASSERT_TRUE(riommu_iotlb_contains(m, false, 0, true, 1, 0x5000));
    linux_attach(0x60, fsc_of(pb), 2, true, 1);
    EXPECT_FALSE(riommu_iotlb_contains(m, false, 0, true, 1, 0x5000));
    EXPECT_FALSE(riommu_iotlb_contains(m, false, 0, true, 1, 0x6000));
    auto r = expect_fault(0x60, 0x5000, RIOMMU_WRITE, RIOMMU_CAUSE_WRITE_PAGE_FAULT);
    EXPECT_TRUE(r.recorded);
    expect_ok(0x60, 0x6000, RIOMMU_READ, 0xB6000000);
    auto recs = drain_faults();
    ASSERT_EQ(recs.size(), 1u);
    EXPECT_EQ(recs[0].iotval, 0x5000u);
    EXPECT_FALSE(rd32(RIOMMU_REG_CQCSR) & RIOMMU_CQCSR_CMD_ILL);
}

// linux §1.8 identity domain: tc.V = 1, fsc Bare, PSCID 0 -> pass-through.
TEST_F(ModelTest, Linux_1_8_IdentityDomainPassesThrough) {
    BRINGUP();
    DECLARE_LINUX_ATTACH();
    mem.w64(dc_addr(0x70), RIOMMU_DC_TC_SADE); // probed
    linux_attach(0x70, 0, 0, true, 0);
    expect_ok(0x70, 0x12345678, RIOMMU_WRITE, 0x12345678);
    expect_ok(0x70, 0xFFFFF000, RIOMMU_READ, 0xFFFFF000);
    EXPECT_EQ(riommu_cache_occupancy(m, RIOMMU_CACHE_IOTLB), 0u);
    EXPECT_EQ(rd32(RIOMMU_REG_FQT), 0u) << "no faults";
}

// linux §1.8 blocked domain: tc.V = 0 -> requests fault with 258 after
// IODIR.INVAL_DDT (the cached valid DC is gone), and the record is written.
TEST_F(ModelTest, Linux_1_8_BlockedDomainGives258) {
    BRINGUP();
    DECLARE_LINUX_ATTACH();
    linux_attach(0x71, 0, 0, true, 0); // identity first
    expect_ok(0x71, 0x1000, RIOMMU_READ, 0x1000);
    ASSERT_TRUE(riommu_ddtc_contains(m, 0x71));
    linux_attach(0x71, 0, 0, false, 0); // blocked
    EXPECT_FALSE(riommu_ddtc_contains(m, 0x71));
    auto r = expect_fault(0x71, 0x1000, RIOMMU_READ, RIOMMU_CAUSE_DDT_INVALID);
    EXPECT_TRUE(r.recorded);
    auto recs = drain_faults();
    ASSERT_EQ(recs.size(), 1u);
    EXPECT_EQ(recs[0].cause, 258u);
    EXPECT_EQ(recs[0].did, 0x71u);
}

// linux §4 item 10: PSCID 1 invalidation leaves PSCID 2 cached, and the
// per-page iotlb_sync (AV=1, one command per 4 KiB page) removes only the
// unmapped pages.
TEST_F(ModelTest, Linux_4_Item10_InvalidationScope) {
    BRINGUP();
    uint64_t pa = new_root(), pb = new_root();
    for (uint64_t va = 0x10000; va < 0x18000; va += 0x1000) {
        map(pa, SV39, va, 0x90000000 + va, RWUAD);
        map(pb, SV39, va, 0xA0000000 + va, RWUAD);
    }
    attach_s1(1, pa, SV39, 1);
    attach_s1(2, pb, SV39, 2);
    for (uint64_t va = 0x10000; va < 0x18000; va += 0x1000) {
        expect_ok(1, va, RIOMMU_READ, 0x90000000 + va);
        expect_ok(2, va, RIOMMU_READ, 0xA0000000 + va);
    }
    // unmap [0x12000, 0x15000) in domain 1, then iotlb_sync per page.
    for (uint64_t va = 0x12000; va < 0x15000; va += 0x1000)
        submit(iotinval_vma(false, 0, true, 1, true, va));
    LINUX_SYNC();
    for (uint64_t va = 0x10000; va < 0x18000; va += 0x1000) {
        bool gone = va >= 0x12000 && va < 0x15000;
        EXPECT_EQ(riommu_iotlb_contains(m, false, 0, true, 1, va), !gone) << std::hex << va;
        EXPECT_TRUE(riommu_iotlb_contains(m, false, 0, true, 2, va)) << std::hex << va;
    }
    // flush_iotlb_all for domain 1: whole PSCID.
    submit(iotinval_vma(false, 0, true, 1));
    LINUX_SYNC();
    for (uint64_t va = 0x10000; va < 0x18000; va += 0x1000) {
        EXPECT_FALSE(riommu_iotlb_contains(m, false, 0, true, 1, va));
        EXPECT_TRUE(riommu_iotlb_contains(m, false, 0, true, 2, va));
    }
}

// linux §1.9 "Map replaced a non-leaf entry with a large leaf": whole-PSCID
// IOTINVAL.VMA (AV=0) must also drop the cached non-leaf PTE, so the new
// 2 MiB leaf is used.
TEST_F(ModelTest, Linux_1_9_LargeLeafReplacesTableNeedsWholePscidInval) {
    BRINGUP();
    uint64_t pt = new_root();
    map(pt, SV39, 0x200000, 0x90000000, RWUAD);
    map(pt, SV39, 0x201000, 0x90001000, RWUAD);
    attach_s1(1, pt, SV39, 3);
    expect_ok(1, 0x201000, RIOMMU_READ, 0x90001000);
    ASSERT_TRUE(riommu_walkc_contains(m, false, 0, 3, 0x200000, 1));
    // Replace the level-1 table pointer with a 2 MiB leaf.
    map(pt, SV39, 0x200000, 0xA0200000, RWUAD, 1);
    submit(iotinval_vma(false, 0, true, 3));
    LINUX_SYNC();
    EXPECT_FALSE(riommu_walkc_contains(m, false, 0, 3, 0x200000, 1));
    auto r = expect_ok(1, 0x2AB000, RIOMMU_READ, 0xA02AB000);
    EXPECT_EQ(r.range_size, 0x200000u);
    expect_ok(1, 0x201000, RIOMMU_READ, 0xA0201000);
}
