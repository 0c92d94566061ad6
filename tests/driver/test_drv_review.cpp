// test_drv_review.cpp - the fifteen review and bug cases of linux-driver.md
// §4 ("linux §4 item N"), each run with the reference driver on the model.
#include "drv_expect.h"
#include "drv_fixture.h"

#include <array>
#include <set>

using namespace dt;

namespace {

constexpr uint64_t kPPN = 0x003FFFFFFFFFFC00ull;

class Review : public DrvTest {
  protected:
    // Commands the model executed (observer), in order.
    struct Exec {
        std::array<uint64_t, 2> c;
        uint32_t index;
        bool illegal;
    };
    std::vector<Exec> executed;
    static void on_cmd(void *ctx, const uint64_t c[2], uint32_t index, bool illegal) {
        static_cast<Review *>(ctx)->executed.push_back({{c[0], c[1]}, index, illegal});
    }
    void watch() {
        riommu_observer o{};
        o.ctx = this;
        o.command = on_cmd;
        riommu_set_observer(m, &o);
    }
    void use613() { riommu_drv_policy_linux613(&dcfg.policy); }
    uint64_t cq_base() { return RIOMMU_FIELD_GET(mr(RIOMMU_REG_CQB), RIOMMU_QB_PPN) << 12; }
    uint32_t cq_mask() { return (uint32_t)((2ull << (mr(RIOMMU_REG_CQB) & 0x1F)) - 1); }
    uint64_t now_us() { return riommu_now(m) / 1000; } // shim default: 1000 cycles/us
    // A previous kernel left cqt = 5 (and fqh = 3) (linux §4 item 3).
    void preset_stale_indices() {
        mw(RIOMMU_REG_CQB, 8, 12);
        mw(RIOMMU_REG_CQT, 4, 5);
        mw(RIOMMU_REG_FQB, 8, 11);
        mw(RIOMMU_REG_FQH, 4, 3);
    }
    // Translation left on in 2LVL by a previous kernel (linux §4 item 4).
    void preset_2lvl() {
        mw(RIOMMU_REG_DDTP, 8, ((0x70000000ull >> 2) & kPPN) | RIOMMU_DDTP_MODE_2LVL);
        riommu_settle(m);
    }

    // A workload touching every command path: probe (DDT levels), attach
    // paging, map at several levels, DMA, unmap, identity, release.
    void workload() {
        const uint32_t ids[3] = {0x10, 0x811, 0x20304};
        riommu_drv_dev *dev[3] = {};
        riommu_drv_domain *dom = nullptr;
        ASSERT_EQ(riommu_drv_domain_alloc(d, &dom), RIOMMU_DRV_OK);
        for (int k = 0; k < 3; k++) {
            ASSERT_EQ(riommu_drv_probe(d, &ids[k], 1, &dev[k]), RIOMMU_DRV_OK);
            ASSERT_EQ(riommu_drv_attach(dev[k], dom), RIOMMU_DRV_OK);
        }
        map(dom, 0x100000, 0x90000000, 0x3000);
        map(dom, 0x40000000, 0x90200000, 0x200000);
        map(dom, 0x8000000000ull, 0x90400000, 0x1000);
        uint8_t b[8] = {};
        for (int k = 0; k < 3; k++)
            EXPECT_EQ(dma(ids[k], RIOMMU_READ, 0x101000, b, 8).status, RIOMMU_RSP_OK);
        EXPECT_EQ(riommu_drv_unmap_sync(dom, 0x100000, 0x3000), 0x3000u);
        EXPECT_EQ(riommu_drv_unmap_sync(dom, 0x40000000, 0x200000), 0x200000u);
        riommu_drv_flush_all(dom);
        ASSERT_EQ(riommu_drv_attach(dev[0], riommu_drv_identity(d)), RIOMMU_DRV_OK);
        for (int k = 0; k < 3; k++)
            riommu_drv_release(dev[k]);
        riommu_drv_domain_free(dom);
    }
};

// ---- item 1: doorbell ordering ----------------------------------------------

// linux §4 item 1 (and §1.6 steps 3-6): every cqt doorbell is preceded by
// the publication of each slot it hands to the IOMMU, published since the
// previous doorbell; checked over a whole workload for both profiles.
TEST_F(Review, Linux_4_1_SlotsPublishedBeforeDoorbell) {
    for (int pol = 0; pol < 2; pol++) {
        SCOPED_TRACE(pol ? "linux613" : "mainline");
        Reboot();
        if (pol)
            use613();
        ASSERT_EQ(Init(), RIOMMU_DRV_OK);
        workload();
        uint64_t base = cq_base();
        uint32_t mask = cq_mask();
        std::set<uint64_t> pub;
        uint32_t tail = 0;
        unsigned doorbells = 0, slots = 0;
        bool started = false;
        for (auto &r : trace()) {
            if (r.op == RIOMMU_TR_WRITE32 && r.off == RIOMMU_REG_CQCSR && r.val == 0x103) {
                started = true; // this init's CQ: tail restarts at 0
                tail = 0;
                pub.clear();
            }
            if (!started)
                continue;
            if (r.op == RIOMMU_TR_SYNC_TO_DEV && r.len == 16 && r.addr >= base &&
                r.addr < base + 16ull * (mask + 1))
                pub.insert(r.addr);
            if (r.op == RIOMMU_TR_WRITE32 && r.off == RIOMMU_REG_CQT) {
                doorbells++;
                while ((tail & mask) != r.val) {
                    uint64_t slot = base + 16ull * (tail & mask);
                    EXPECT_TRUE(pub.count(slot)) << "slot " << (tail & mask)
                                                 << " rung before it was published";
                    tail++;
                    slots++;
                }
                pub.clear();
            }
        }
        EXPECT_GT(doorbells, 20u);
        EXPECT_EQ(slots, doorbells); // one command per doorbell (single producer)
    }
}

// linux §4 item 1 (model side): the model executes exactly the commands
// the driver published, in order, and finds none illegal (it never fetched
// a slot the CPU had not finished writing). The model runs synchronously
// (commands execute inside the doorbell write, as QEMU does), so a slot
// published after its doorbell would be fetched stale.
TEST_F(Review, Linux_4_1_ModelExecutesWhatWasPublished) {
    mcfg.synchronous = true;
    Boot();
    watch();
    ASSERT_EQ(Init(), RIOMMU_DRV_OK);
    workload();
    auto pub = commands();
    ASSERT_EQ(executed.size(), pub.size());
    for (size_t k = 0; k < pub.size(); k++) {
        EXPECT_FALSE(executed[k].illegal) << k;
        EXPECT_EQ(executed[k].c[0], pub[k].first) << k;
        EXPECT_EQ(executed[k].c[1], pub[k].second) << k;
        EXPECT_EQ(executed[k].index, (uint32_t)k) << k;
    }
}

// ---- item 2: MMIO width -------------------------------------------------------

// linux §4 item 2 / §1.6 register widths: with mmio32 every 64-bit register
// (capabilities, ddtp, cqb, fqb, icvec) is accessed as two 32-bit halves,
// low half first (ddtp writes: high half first, the mode in the low half
// last); the model accepts them and the end state equals a 64-bit init.
TEST_F(Review, Linux_4_2_Mmio32Halves) {
    dcfg.policy.mmio32 = true;
    ASSERT_EQ(Init(), RIOMMU_DRV_OK);
    auto t = trace();
    unsigned pairs = 0;
    for (size_t k = 0; k < t.size(); k++) {
        EXPECT_NE(t[k].op, RIOMMU_TR_READ64) << k;
        EXPECT_NE(t[k].op, RIOMMU_TR_WRITE64) << k;
    }
    const uint32_t regs64[] = {RIOMMU_REG_CAPABILITIES, RIOMMU_REG_DDTP, RIOMMU_REG_CQB,
                               RIOMMU_REG_FQB, RIOMMU_REG_ICVEC};
    for (size_t k = 0; k + 1 < t.size(); k++) {
        bool w = t[k].op == RIOMMU_TR_WRITE32, rd = t[k].op == RIOMMU_TR_READ32;
        for (uint32_t reg : regs64) {
            if (!(w || rd) || (t[k].off != reg && t[k].off != reg + 4))
                continue;
            // Reads: low half then high half. Writes: low then high, except
            // ddtp: high then low (the mode is in the low half).
            uint32_t first = (w && reg == RIOMMU_REG_DDTP) ? reg + 4 : reg;
            uint32_t second = first == reg ? reg + 4 : reg;
            ASSERT_EQ(t[k].off, first) << k << ": " << rec_str(t[k]);
            EXPECT_EQ(t[k + 1].op, t[k].op) << k;
            EXPECT_EQ(t[k + 1].off, second) << k;
            pairs++;
            k++;
            break;
        }
    }
    EXPECT_GE(pairs, 14u);
    // The same registers as a 64-bit init produces.
    EXPECT_EQ(mr(RIOMMU_REG_ICVEC), 0x2310u);
    EXPECT_EQ(mr(RIOMMU_REG_DDTP) & 0xF, (uint64_t)RIOMMU_DDTP_MODE_3LVL);
    EXPECT_EQ(mr(RIOMMU_REG_CQB) & 0x1F, 12u);
    EXPECT_EQ(mr(RIOMMU_REG_FQB) & 0x1F, 11u);
    riommu_drv_domain *dom = nullptr;
    riommu_drv_dev *dev = probe_attach(0x10, &dom);
    map(dom, 0x100000, 0x90000000, 0x1000);
    uint8_t b[4];
    EXPECT_EQ(dma(0x10, RIOMMU_READ, 0x100000, b, 4).status, RIOMMU_RSP_OK);
    riommu_drv_release(dev);
    riommu_drv_domain_free(dom);
}

// linux §4 item 2, "writes to ddtp need care": with 32-bit halves and a DDT
// root above 16 GiB (PPN bits in the high half), the mode must be written
// last or it is enabled with a truncated PPN. (Driver fix: ddtp high half
// first.)
TEST_F(Review, Linux_4_2_Mmio32DdtRootAbove16G) {
    dcfg.policy.mmio32 = true;
    riommu_hwm_config hc;
    riommu_hwm_config_default(&hc);
    hc.dma_base = 0x400000000ull; // 16 GiB
    BootWith(hc);
    ASSERT_EQ(Init(), RIOMMU_DRV_OK);
    uint64_t ddtp = mr(RIOMMU_REG_DDTP);
    EXPECT_EQ(ddtp & 0xF, (uint64_t)RIOMMU_DDTP_MODE_3LVL);
    EXPECT_GE(RIOMMU_FIELD_GET(ddtp, RIOMMU_DDTP_PPN) << 12, 0x400000000ull);
    riommu_drv_domain *dom = nullptr;
    riommu_drv_dev *dev = probe_attach(0x10, &dom);
    map(dom, 0x100000, 0x400800000ull, 0x1000);
    uint8_t b[4];
    auto r = dma(0x10, RIOMMU_READ, 0x100000, b, 4);
    EXPECT_EQ(r.status, RIOMMU_RSP_OK) << r.cause;
    EXPECT_EQ(r.pa, 0x400800000ull);
    riommu_drv_release(dev);
    riommu_drv_domain_free(dom);
    riommu_drv_remove(d); // ddtp Off reads back exactly with 32-bit halves
    d = nullptr;
    EXPECT_EQ(mr(RIOMMU_REG_DDTP), 0u);
}

// linux §4 item 2 (model side): two 32-bit halves in either order give the
// same register value as one 64-bit write, for cqb, fqb, icvec and ddtp.
TEST_F(Review, Linux_4_2_ModelAcceptsHalvesInEitherOrder) {
    Boot();
    const uint64_t cqb = (0x123456789ull << 10) | 9;
    mw(RIOMMU_REG_CQB, 8, cqb); // one 64-bit write
    uint64_t a = mr(RIOMMU_REG_CQB);
    EXPECT_EQ(a, cqb);
    mw(RIOMMU_REG_CQB, 8, 0);
    mw(RIOMMU_REG_CQB, 4, (uint32_t)cqb); // low half first
    mw(RIOMMU_REG_CQB + 4, 4, cqb >> 32);
    EXPECT_EQ(mr(RIOMMU_REG_CQB), a);
    mw(RIOMMU_REG_CQB, 8, 0);
    mw(RIOMMU_REG_CQB + 4, 4, cqb >> 32); // high half first
    mw(RIOMMU_REG_CQB, 4, (uint32_t)cqb);
    EXPECT_EQ(mr(RIOMMU_REG_CQB), a);
    mw(RIOMMU_REG_FQB + 4, 4, cqb >> 32);
    mw(RIOMMU_REG_FQB, 4, (uint32_t)cqb);
    EXPECT_EQ(mr(RIOMMU_REG_FQB), cqb);
    mw(RIOMMU_REG_ICVEC + 4, 4, 0);
    mw(RIOMMU_REG_ICVEC, 4, 0x2310);
    EXPECT_EQ(mr(RIOMMU_REG_ICVEC), 0x2310u);
    // ddtp: high half (PPN) while Off, then the low half switches the mode.
    const uint64_t ddtp = (0x480000ull << 10) | RIOMMU_DDTP_MODE_3LVL; // root at 18 GiB
    mw(RIOMMU_REG_DDTP + 4, 4, ddtp >> 32);
    mw(RIOMMU_REG_DDTP, 4, (uint32_t)ddtp);
    riommu_settle(m);
    EXPECT_EQ(mr(RIOMMU_REG_DDTP), ddtp);
    EXPECT_EQ(mr(RIOMMU_REG_DDTP + 4, 4), ddtp >> 32); // 32-bit read of a half
}

// ---- item 3: stale cqt / fqh ---------------------------------------------------

// linux §4 item 3 (model side): enabling the CQ resets cqh to 0 but keeps
// cqt, so stale slots would run.
TEST_F(Review, Linux_4_3_ModelEnableKeepsCqt) {
    Boot();
    watch();
    preset_stale_indices();
    mw(RIOMMU_REG_CQCSR, 4, RIOMMU_CQCSR_CQEN);
    riommu_settle(m);
    EXPECT_EQ(mr(RIOMMU_REG_CQT, 4), 5u);
    EXPECT_EQ(mr(RIOMMU_REG_CQH, 4), 0u); // stopped on slot 0 (zeroed: illegal)
    ASSERT_FALSE(executed.empty());
    EXPECT_TRUE(executed[0].illegal);
    EXPECT_EQ(executed[0].index, 0u);
}

// linux §4 item 3, mainline (6.14): cqt = 0 and fqh = 0 are written before
// EN, so no stale slot runs: the model executes only the driver's commands.
TEST_F(Review, Linux_4_3_MainlineZeroesCqtBeforeEnable) {
    Boot();
    watch();
    preset_stale_indices();
    ASSERT_EQ(Init(), RIOMMU_DRV_OK);
    auto t = trace();
    size_t cqt0 = find_rec(t, [](const riommu_trace_rec &r) {
        return r.op == RIOMMU_TR_WRITE32 && r.off == RIOMMU_REG_CQT && r.val == 0;
    });
    size_t cqen = find_rec(t, [](const riommu_trace_rec &r) {
        return r.op == RIOMMU_TR_WRITE32 && r.off == RIOMMU_REG_CQCSR && r.val == 0x103;
    });
    size_t fqh0 = find_rec(t, [](const riommu_trace_rec &r) {
        return r.op == RIOMMU_TR_WRITE32 && r.off == RIOMMU_REG_FQH && r.val == 0;
    });
    size_t fqen = find_rec(t, [](const riommu_trace_rec &r) {
        return r.op == RIOMMU_TR_WRITE32 && r.off == RIOMMU_REG_FQCSR && r.val == 0x103;
    });
    ASSERT_NE(cqt0, SIZE_MAX);
    ASSERT_NE(fqh0, SIZE_MAX);
    EXPECT_EQ(cqt0 + 1, cqen);
    EXPECT_EQ(fqh0 + 1, fqen);
    EXPECT_EQ(riommu_drv_cq_errors(d), 0u);
    ASSERT_EQ(executed.size(), 3u);
    for (auto &e : executed)
        EXPECT_FALSE(e.illegal);
    EXPECT_EQ(count_events(RIOMMU_DRV_EV_EXEC_TIMEOUT), 0u);
}

// linux §4 item 3, 6.13: v10 relies on reset values; with a stale cqt the
// IOMMU runs the stale (zeroed, illegal) slot 0 and stops; the init fence
// then waits the full 90 s and v10 carries on (§1.6: the wait's timeout is
// logged, not returned). (Driver fix: set_mode no longer fails init on it.)
TEST_F(Review, Linux_4_3_Linux613RunsStaleSlots) {
    use613();
    Boot();
    watch();
    preset_stale_indices();
    uint64_t t0 = now_us();
    ASSERT_EQ(Init(), RIOMMU_DRV_OK);
    EXPECT_EQ(find_rec(trace(), [](const riommu_trace_rec &r) {
                  return r.op == RIOMMU_TR_WRITE32 &&
                         (r.off == RIOMMU_REG_CQT || r.off == RIOMMU_REG_FQH) && r.val == 0;
              }),
              SIZE_MAX); // no zeroing
    ASSERT_FALSE(executed.empty());
    EXPECT_TRUE(executed[0].illegal);
    EXPECT_EQ(executed[0].index, 0u);
    EXPECT_TRUE(riommu_drv_cq_errors(d) & RIOMMU_CQCSR_CMD_ILL);
    EXPECT_EQ(mr(RIOMMU_REG_CQH, 4), 0u);
    EXPECT_EQ(count_events(RIOMMU_DRV_EV_EXEC_TIMEOUT), 1u);
    EXPECT_GE(now_us() - t0, 90000000u);
    EXPECT_EQ(riommu_drv_ddt_mode(d), (unsigned)RIOMMU_DDTP_MODE_3LVL);
}

// ---- item 4: translation already on, kdump, shutdown mode -------------------------

// linux §4 item 4 / §1.2 init_check: ddtp above Bare in a normal boot:
// EBUSY after reading capabilities, fctl and ddtp; nothing is written.
TEST_F(Review, Linux_4_4_TranslationOnRefused) {
    Boot();
    preset_2lvl();
    uint64_t before = mr(RIOMMU_REG_DDTP);
    EXPECT_EQ(Init(), RIOMMU_DRV_EBUSY);
    EXPECT_EQ(d, nullptr);
    Seq s(trace());
    s.rd(8, RIOMMU_REG_CAPABILITIES, mcfg.capabilities);
    s.rd(4, RIOMMU_REG_FCTL, 0);
    s.rd(8, RIOMMU_REG_DDTP, before);
    s.end();
    EXPECT_TRUE(s.ok());
    EXPECT_EQ(mr(RIOMMU_REG_DDTP), before);
}

// linux §4 item 4 / §1.2 kdump: best-effort disable without polling (ddtp
// Bare from 6.14 in mainline, Off in v10; cqcsr, fqcsr, pqcsr = 0), then a
// normal init to 3LVL.
TEST_F(Review, Linux_4_4_KdumpDisablesThenInits) {
    for (int pol = 0; pol < 2; pol++) {
        SCOPED_TRACE(pol ? "linux613" : "mainline");
        Reboot();
        if (pol)
            use613();
        Boot();
        dcfg.kdump = true;
        preset_2lvl();
        riommu_hw_trace_clear(tr);
        ASSERT_EQ(Init(), RIOMMU_DRV_OK);
        Seq s(trace());
        s.rd(8, RIOMMU_REG_CAPABILITIES, mcfg.capabilities);
        s.rd(4, RIOMMU_REG_FCTL, 0);
        s.rd(8, RIOMMU_REG_DDTP, ((0x70000000ull >> 2) & kPPN) | RIOMMU_DDTP_MODE_2LVL);
        s.wr(8, RIOMMU_REG_DDTP, pol ? 0 : 1);
        s.wr(4, RIOMMU_REG_CQCSR, 0);
        s.wr(4, RIOMMU_REG_FQCSR, 0);
        s.wr(4, RIOMMU_REG_PQCSR, 0);
        s.wr(8, RIOMMU_REG_ICVEC, 0x2310); // then the normal init
        EXPECT_TRUE(s.ok());
        EXPECT_EQ(riommu_drv_ddt_mode(d), (unsigned)RIOMMU_DDTP_MODE_3LVL);
    }
}

// linux §4 item 4 / §1.11: after a mainline shutdown (ddtp Bare) DMA still
// works untranslated and a kernel without kdump can init again; after a
// 6.13 shutdown (Off) DMA is refused with cause 256.
TEST_F(Review, Linux_4_4_ShutdownLeavesBareForNextKernel) {
    ASSERT_EQ(Init(), RIOMMU_DRV_OK);
    riommu_drv_shutdown(d);
    d = nullptr;
    riommu_settle(m);
    EXPECT_EQ(mr(RIOMMU_REG_DDTP), (uint64_t)RIOMMU_DDTP_MODE_BARE);
    uint8_t b[4];
    auto r = dma(0x10, RIOMMU_READ, 0x90001000, b, 4);
    EXPECT_EQ(r.status, RIOMMU_RSP_OK);
    EXPECT_EQ(r.pa, 0x90001000u);
    ASSERT_EQ(Init(), RIOMMU_DRV_OK); // no kdump needed
    EXPECT_EQ(riommu_drv_ddt_mode(d), (unsigned)RIOMMU_DDTP_MODE_3LVL);

    Reboot(); // a fresh IOMMU: v10 would run the old cqt (item 3)
    use613();
    ASSERT_EQ(Init(), RIOMMU_DRV_OK);
    riommu_drv_shutdown(d);
    d = nullptr;
    riommu_settle(m);
    EXPECT_EQ(mr(RIOMMU_REG_DDTP), (uint64_t)RIOMMU_DDTP_MODE_OFF);
    r = dma(0x10, RIOMMU_READ, 0x90001000, b, 4);
    EXPECT_EQ(r.status, RIOMMU_RSP_FAULT);
    EXPECT_EQ(r.cause, (unsigned)RIOMMU_CAUSE_ALL_INBOUND_DISALLOWED);
}

// ---- item 5: overflow on the invalidation path ------------------------------------

// linux §4 item 5 / §1.9: flush_all is [0, ULONG_MAX]: one whole-PSCID
// command; gathers that touch the top of the address space give at most
// 512 commands (per page) or one whole-PSCID command, in both profiles.
TEST_F(Review, Linux_4_5_TopOfAddressSpace) {
    for (int pol = 0; pol < 2; pol++) {
        SCOPED_TRACE(pol ? "linux613" : "mainline");
        Reboot();
        if (pol)
            use613();
        ASSERT_EQ(Init(), RIOMMU_DRV_OK);
        riommu_drv_domain *dom = nullptr;
        riommu_drv_dev *dev = probe_attach(0x10, &dom);
        uint32_t pscid = riommu_drv_domain_pscid(dom);
        struct G {
            uint64_t s, e;
        } gs[] = {{0, UINT64_MAX},
                  {UINT64_MAX - 0xFFF, UINT64_MAX},
                  {UINT64_MAX - 0x1FFFFF, UINT64_MAX},
                  {UINT64_MAX - 0x1FEFFF, UINT64_MAX},
                  {UINT64_MAX - 0x3FFFFF, UINT64_MAX}};
        for (auto &g : gs) {
            riommu_hw_trace_clear(tr);
            if (g.s == 0) {
                riommu_drv_flush_all(dom);
            } else {
                riommu_drv_gather ga;
                riommu_drv_gather_init(&ga);
                ga.start = g.s;
                ga.end = g.e;
                ga.pgsize = 0x1000;
                riommu_drv_iotlb_sync(dom, &ga);
            }
            auto c = commands();
            ASSERT_FALSE(c.empty());
            EXPECT_EQ(c.back().first, cmd::kFence);
            size_t inv = c.size() - 1;
            bool whole = inv == 1 && c[0].first == cmd::inval_pscid(pscid);
            bool pages = inv <= 512 && inv >= 1;
            for (size_t k = 0; k < inv && !whole; k++)
                pages = pages && c[k].first == cmd::inval_page(pscid) &&
                        c[k].second == cmd::page_addr(g.s + 0x1000 * k);
            EXPECT_TRUE(whole || pages) << std::hex << g.s << " gave " << inv << " commands";
            if (g.e - g.s + 1 >= 0x200000 || g.s == 0) {
                EXPECT_TRUE(whole) << std::hex << g.s; // len >= 2 MiB or wrapped
            }
        }
        riommu_drv_release(dev);
        riommu_drv_domain_free(dom);
    }
}

// ---- item 6: waiting after a CQ error ------------------------------------------------

// linux §4 item 6, mainline: an illegal command stops the CQ with cqh on
// it and cmd_ill set; the fence wait ends at once with EIO.
TEST_F(Review, Linux_4_6_MainlineStopsWaitOnCmdIll) {
    ASSERT_EQ(Init(), RIOMMU_DRV_OK);
    uint32_t bad = (uint32_t)mr(RIOMMU_REG_CQT, 4);
    riommu_drv_cmd_submit(d, 0, 0); // opcode 0: illegal
    uint64_t t0 = now_us();
    EXPECT_EQ(riommu_drv_cmd_sync(d, 90000000ull), RIOMMU_DRV_EIO);
    EXPECT_LT(now_us() - t0, 1000u); // not 90 s
    EXPECT_TRUE(riommu_drv_cq_errors(d) & RIOMMU_CQCSR_CMD_ILL);
    EXPECT_EQ(mr(RIOMMU_REG_CQH, 4), bad); // stopped on the bad entry
    EXPECT_GE(count_events(RIOMMU_DRV_EV_CQ_ERROR), 1u);
    EXPECT_EQ(count_events(RIOMMU_DRV_EV_EXEC_TIMEOUT), 0u);
}

// linux §4 item 6, 6.13: the same wait spins until the timeout (90 s by
// default, checked in simulated time; and a short explicit timeout).
TEST_F(Review, Linux_4_6_Linux613WaitsForTimeout) {
    use613();
    ASSERT_EQ(Init(), RIOMMU_DRV_OK);
    riommu_drv_cmd_submit(d, 0, 0);
    uint64_t t0 = now_us();
    EXPECT_EQ(riommu_drv_cmd_sync(d, 5000), RIOMMU_DRV_ETIMEDOUT);
    uint64_t dt = now_us() - t0;
    EXPECT_GE(dt, 5000u);
    EXPECT_LT(dt, 5200u);
    t0 = now_us();
    EXPECT_EQ(riommu_drv_cmd_sync(d, 90000000ull), RIOMMU_DRV_ETIMEDOUT);
    dt = now_us() - t0;
    EXPECT_GE(dt, 90000000u);
    EXPECT_LT(dt, 90001000u);
    EXPECT_EQ(count_events(RIOMMU_DRV_EV_EXEC_TIMEOUT), 2u);
    EXPECT_TRUE(riommu_drv_cq_errors(d) & RIOMMU_CQCSR_CMD_ILL);
}

// ---- item 7: IOTINVAL after DDT updates ---------------------------------------------

// linux §4 item 7 / §1.8: move a device from domain A to B while A keeps
// another device (so no last-bond flush). Mainline sends IOTINVAL.VMA for
// A's PSCID right after the device's IODIR; in both profiles a DMA to an
// IOVA mapped only in A faults after the move.
TEST_F(Review, Linux_4_7_MoveBetweenDomains) {
    for (int pol = 0; pol < 2; pol++) {
        SCOPED_TRACE(pol ? "linux613" : "mainline");
        Reboot();
        if (pol)
            use613();
        ASSERT_EQ(Init(), RIOMMU_DRV_OK);
        riommu_drv_domain *a = nullptr, *b = nullptr;
        riommu_drv_dev *dev = probe_attach(0x10, &a);
        riommu_drv_dev *other = probe_attach(0x11, &a);
        ASSERT_EQ(riommu_drv_domain_alloc(d, &b), RIOMMU_DRV_OK);
        map(a, 0x200000, 0x90000000, 0x1000);
        map(b, 0x300000, 0x90100000, 0x1000);
        uint8_t buf[8] = {};
        ASSERT_EQ(dma(0x10, RIOMMU_READ, 0x200000, buf, 8).status, RIOMMU_RSP_OK); // cached
        uint32_t pa = riommu_drv_domain_pscid(a);
        riommu_hw_trace_clear(tr);
        ASSERT_EQ(riommu_drv_attach(dev, b), RIOMMU_DRV_OK);
        auto c = commands();
        ASSERT_GE(c.size(), 2u);
        EXPECT_EQ(c[0].first, cmd::inval_ddt(0x10)); // phase 1
        unsigned a_inval = count_cmds(~0ull, cmd::inval_pscid(pa));
        if (pol == 0) {
            EXPECT_EQ(c[1].first, cmd::inval_pscid(pa));
            EXPECT_EQ(a_inval, 1u);
        } else {
            EXPECT_EQ(c[1].first, cmd::kFence);
            EXPECT_EQ(a_inval, 0u); // the v10 gap (A still has a bond)
        }
        auto r = dma(0x10, RIOMMU_READ, 0x200000, buf, 8);
        EXPECT_EQ(r.status, RIOMMU_RSP_FAULT);
        EXPECT_EQ(r.cause, (unsigned)RIOMMU_CAUSE_READ_PAGE_FAULT);
        EXPECT_EQ(dma(0x10, RIOMMU_READ, 0x300000, buf, 8).status, RIOMMU_RSP_OK);
        EXPECT_EQ(dma(0x11, RIOMMU_READ, 0x200000, buf, 8).status, RIOMMU_RSP_OK);
        EXPECT_EQ(riommu_drv_process(d), 1u);
        riommu_drv_release(dev);
        riommu_drv_release(other);
        riommu_drv_domain_free(a);
        riommu_drv_domain_free(b);
    }
}

// ---- item 8: iova_to_phys ------------------------------------------------------------

// linux §4 item 8 / §1.10: iova_to_phys of an unmapped IOVA is 0 (empty
// root, missing table, hole in a table, after unmap); mapped IOVAs give
// pa | offset at every leaf size; identity gives the IOVA, blocked 0.
TEST_F(Review, Linux_4_8_IovaToPhysUnmappedIsZero) {
    ASSERT_EQ(Init(), RIOMMU_DRV_OK);
    riommu_drv_domain *dom = nullptr;
    ASSERT_EQ(riommu_drv_domain_alloc(d, &dom), RIOMMU_DRV_OK);
    EXPECT_EQ(riommu_drv_iova_to_phys(dom, 0), 0u);
    EXPECT_EQ(riommu_drv_iova_to_phys(dom, 0x123456789000ull), 0u);
    map(dom, 0x400000, 0x90000000, 0x1000);
    map(dom, 0x40000000, 0x80000000, 0x40000000); // 1 GiB leaf
    EXPECT_EQ(riommu_drv_iova_to_phys(dom, 0x400abc), 0x90000abcu);
    EXPECT_EQ(riommu_drv_iova_to_phys(dom, 0x401000), 0u); // hole in the leaf table
    EXPECT_EQ(riommu_drv_iova_to_phys(dom, 0x600000), 0u); // no leaf table
    EXPECT_EQ(riommu_drv_iova_to_phys(dom, 0x7FFFFFFF), 0xBFFFFFFFu);
    EXPECT_EQ(riommu_drv_unmap_sync(dom, 0x400000, 0x1000), 0x1000u);
    EXPECT_EQ(riommu_drv_iova_to_phys(dom, 0x400abc), 0u);
    EXPECT_EQ(riommu_drv_iova_to_phys(riommu_drv_identity(d), 0x1234), 0x1234u);
    EXPECT_EQ(riommu_drv_iova_to_phys(riommu_drv_blocked(d), 0x1234), 0u);
    riommu_drv_domain_free(dom);
}

// ---- item 9: IOVA beyond the aperture --------------------------------------------------

// linux §4 item 9 / §1.10 aperture: the driver refuses IOVAs >= 2^(va_bits-1)
// (Linux would alias them); a DMA to 2^(va_bits-1) through a valid DC is a
// page fault (13 read, 15 write) with iotval = IOVA, not cause 256.
TEST_F(Review, Linux_4_9_ApertureTopFaultsAsPageFault) {
    ASSERT_EQ(Init(), RIOMMU_DRV_OK);
    riommu_drv_domain *dom = nullptr;
    riommu_drv_dev *dev = probe_attach(0x10, &dom);
    unsigned vb = riommu_drv_domain_va_bits(dom);
    ASSERT_EQ(vb, 57u);
    const uint64_t top = 1ull << (vb - 1);
    uint64_t mapped = 7;
    EXPECT_EQ(riommu_drv_map(dom, top, 0x90000000, 0x1000, RIOMMU_DRV_READ, &mapped),
              RIOMMU_DRV_EINVAL);
    EXPECT_EQ(mapped, 0u);
    EXPECT_EQ(riommu_drv_map(dom, top - 0x1000, 0x90000000, 0x2000, RIOMMU_DRV_READ, &mapped),
              RIOMMU_DRV_EINVAL);
    map(dom, top - 0x1000, 0x90000000, 0x1000); // the last page is inside
    EXPECT_EQ(riommu_drv_iova_to_phys(dom, top - 0x1000), 0x90000000u);
    uint8_t b[8] = {};
    EXPECT_EQ(dma(0x10, RIOMMU_READ, top - 0x1000, b, 8).status, RIOMMU_RSP_OK);
    auto r = dma(0x10, RIOMMU_READ, top, b, 8);
    EXPECT_EQ(r.status, RIOMMU_RSP_FAULT);
    EXPECT_EQ(r.cause, (unsigned)RIOMMU_CAUSE_READ_PAGE_FAULT);
    r = dma(0x10, RIOMMU_WRITE, top + 0x10, b, 8);
    EXPECT_EQ(r.cause, (unsigned)RIOMMU_CAUSE_WRITE_PAGE_FAULT);
    events.clear();
    EXPECT_EQ(riommu_drv_process(d), 2u);
    ASSERT_EQ(count_events(RIOMMU_DRV_EV_FAULT), 2u);
    EXPECT_EQ(events[0].rec.cause, 13u);
    EXPECT_EQ(events[0].rec.iotval, top);
    EXPECT_EQ(events[0].rec.did, 0x10u);
    EXPECT_EQ(events[1].rec.cause, 15u);
    EXPECT_EQ(events[1].rec.iotval, top + 0x10);
    riommu_drv_release(dev);
    riommu_drv_domain_free(dom);
}

// ---- item 10: invalidation scope ------------------------------------------------------

// linux §4 item 10 / §2.4 item 9: flushing PSCID 1 leaves PSCID 2 cached;
// a per-page (AV) invalidation removes only that page.
TEST_F(Review, Linux_4_10_PscidAndPageScope) {
    ASSERT_EQ(Init(), RIOMMU_DRV_OK);
    riommu_drv_domain *a = nullptr, *b = nullptr;
    riommu_drv_dev *da = probe_attach(0x10, &a);
    riommu_drv_dev *db = probe_attach(0x20, &b);
    uint32_t pa = riommu_drv_domain_pscid(a), pb = riommu_drv_domain_pscid(b);
    ASSERT_EQ(pa, 1u);
    ASSERT_EQ(pb, 2u);
    map(a, 0x100000, 0x90000000, 0x2000);
    map(b, 0x100000, 0x90100000, 0x2000);
    uint8_t buf[8];
    for (uint64_t iova : {0x100000ull, 0x101000ull}) {
        ASSERT_EQ(dma(0x10, RIOMMU_READ, iova, buf, 8).status, RIOMMU_RSP_OK);
        ASSERT_EQ(dma(0x20, RIOMMU_READ, iova, buf, 8).status, RIOMMU_RSP_OK);
    }
    EXPECT_TRUE(riommu_iotlb_contains(m, false, 0, true, pa, 0x100000));
    EXPECT_TRUE(riommu_iotlb_contains(m, false, 0, true, pb, 0x100000));
    // Per page: unmap 0x100000 of A only.
    riommu_hw_trace_clear(tr);
    EXPECT_EQ(riommu_drv_unmap_sync(a, 0x100000, 0x1000), 0x1000u);
    auto c = commands();
    ASSERT_EQ(c.size(), 2u);
    EXPECT_EQ(c[0].first, cmd::inval_page(pa));
    EXPECT_EQ(c[0].second, cmd::page_addr(0x100000));
    EXPECT_FALSE(riommu_iotlb_contains(m, false, 0, true, pa, 0x100000));
    EXPECT_TRUE(riommu_iotlb_contains(m, false, 0, true, pa, 0x101000));
    EXPECT_TRUE(riommu_iotlb_contains(m, false, 0, true, pb, 0x100000));
    // Whole PSCID of A: B untouched.
    riommu_drv_flush_all(a);
    EXPECT_FALSE(riommu_iotlb_contains(m, false, 0, true, pa, 0x101000));
    EXPECT_TRUE(riommu_iotlb_contains(m, false, 0, true, pb, 0x100000));
    EXPECT_TRUE(riommu_iotlb_contains(m, false, 0, true, pb, 0x101000));
    riommu_drv_release(da);
    riommu_drv_release(db);
    riommu_drv_domain_free(a);
    riommu_drv_domain_free(b);
}

// ---- item 11: an illegal command wedges the queue -----------------------------------

// linux §4 item 11 / §1.5 CQ thread: the handler writes cqcsr back (W1C),
// which clears cmd_ill; the IOMMU resumes from cqh, i.e. the same bad entry,
// and stops again (neither v10 nor mainline repairs it). Overwriting the
// slot with an IOFENCE.C (the proposed fix) and clearing cmd_ill lets the
// queue drain, and later syncs complete.
TEST_F(Review, Linux_4_11_IllegalCommandWedgesUntilRepaired) {
    ASSERT_EQ(Init(), RIOMMU_DRV_OK);
    uint32_t bad = (uint32_t)mr(RIOMMU_REG_CQT, 4);
    riommu_drv_cmd_submit(d, 0, 0);
    EXPECT_EQ(riommu_drv_cmd_sync(d, 1000000), RIOMMU_DRV_EIO);
    events.clear();
    riommu_drv_process(d);
    ASSERT_EQ(count_events(RIOMMU_DRV_EV_CQ_ERROR), 1u);
    EXPECT_TRUE(events[0].a & RIOMMU_CQCSR_CMD_ILL);
    riommu_settle(m);
    EXPECT_TRUE(riommu_drv_cq_errors(d) & RIOMMU_CQCSR_CMD_ILL); // hit again
    EXPECT_EQ(mr(RIOMMU_REG_CQH, 4), bad);
    EXPECT_EQ(riommu_drv_cmd_sync(d, 1000000), RIOMMU_DRV_EIO); // still wedged
    // Repair the slot in memory, then let the handler clear cmd_ill.
    uint64_t fence[2] = {cmd::kFence, 0};
    memhost_write(mem, cq_base() + 16ull * bad, fence, 16);
    events.clear();
    riommu_drv_process(d);
    EXPECT_EQ(count_events(RIOMMU_DRV_EV_CQ_ERROR), 1u);
    riommu_settle(m);
    EXPECT_EQ(riommu_drv_cq_errors(d), 0u);
    EXPECT_EQ(mr(RIOMMU_REG_CQH, 4), mr(RIOMMU_REG_CQT, 4)); // drained from cqh on
    EXPECT_EQ(riommu_drv_cmd_sync(d, 1000000), RIOMMU_DRV_OK);
}

// ---- item 12: publish ordering of new table pages ------------------------------------

// linux §4 item 12 / §1.3 / §1.10: every new DDT level and page-table page
// is published (zeroed contents) before the entry pointing at it.
TEST_F(Review, Linux_4_12_TablePagePublishedBeforePointer) {
    ASSERT_EQ(Init(), RIOMMU_DRV_OK);
    workload();
    std::set<uint64_t> allocated, published;
    unsigned pointers = 0;
    const std::vector<riommu_trace_rec> t = trace();
    for (const riommu_trace_rec &r : t) {
        if (r.op == RIOMMU_TR_ALLOC && r.len == 4096)
            allocated.insert(r.addr);
        if (r.op == RIOMMU_TR_SYNC_TO_DEV && r.len == 4096)
            published.insert(r.addr);
        if (r.op == RIOMMU_TR_SYNC_TO_DEV && r.len == 8 && (r.data[0] & 0x3FF) == 1) {
            uint64_t target = ((r.data[0] >> 10) & ((1ull << 44) - 1)) << 12;
            if (!allocated.count(target))
                continue;
            pointers++;
            EXPECT_TRUE(published.count(target))
                << std::hex << "pointer to 0x" << target << " published before the page";
        }
    }
    EXPECT_GE(pointers, 2u * 3 + 6u); // DDT levels for 3 ids + page-table levels
}

// linux §4 item 12 (model side): the model walks PTEs as they are in memory
// when the walk happens: a leaf published after a failed walk is found by
// the next one (no negative caching, §2.4 item 8).
TEST_F(Review, Linux_4_12_WalkSeesCurrentMemory) {
    ASSERT_EQ(Init(), RIOMMU_DRV_OK);
    riommu_drv_domain *dom = nullptr;
    riommu_drv_dev *dev = probe_attach(0x10, &dom);
    map(dom, 0x100000, 0x90000000, 0x1000);
    uint8_t b[8];
    EXPECT_EQ(dma(0x10, RIOMMU_READ, 0x101000, b, 8).status, RIOMMU_RSP_FAULT);
    map(dom, 0x101000, 0x90001000, 0x1000); // no invalidation after a map
    auto r = dma(0x10, RIOMMU_READ, 0x101000, b, 8);
    EXPECT_EQ(r.status, RIOMMU_RSP_OK);
    EXPECT_EQ(r.pa, 0x90001000u);
    riommu_drv_release(dev);
    riommu_drv_domain_free(dom);
}

// ---- item 13: one vector, hard-wired icvec ---------------------------------------------

// linux §4 item 13 / §1.2 icvec: irqs_count = 1 gives icvec 0; CQ and FQ
// share vector 0 and the handlers tell them apart through ipsr: one
// riommu_drv_process drains a fault and reports a CQ error.
TEST_F(Review, Linux_4_13_OneVectorShared) {
    dcfg.irqs = 1;
    ASSERT_EQ(Init(), RIOMMU_DRV_OK);
    EXPECT_EQ(riommu_drv_icvec(d), 0u);
    Seq s(trace());
    s.rd(8, RIOMMU_REG_CAPABILITIES, mcfg.capabilities);
    s.rd(4, RIOMMU_REG_FCTL, 0);
    s.rd(8, RIOMMU_REG_DDTP, 0);
    s.wr(8, RIOMMU_REG_ICVEC, 0);
    s.rd(8, RIOMMU_REG_ICVEC, 0);
    EXPECT_TRUE(s.ok());
    uint8_t b[4];
    EXPECT_EQ(dma(0x10, RIOMMU_READ, 0x1000, b, 4).cause, (unsigned)RIOMMU_CAUSE_DDT_INVALID);
    riommu_drv_cmd_submit(d, 0, 0);
    riommu_drv_cmd_sync(d, 1000);
    riommu_hw_trace_clear(tr);
    events.clear();
    EXPECT_EQ(riommu_drv_process(d), 1u);
    EXPECT_EQ(count_events(RIOMMU_DRV_EV_FAULT), 1u);
    EXPECT_EQ(count_events(RIOMMU_DRV_EV_CQ_ERROR), 1u);
    auto t = trace();
    ASSERT_FALSE(t.empty());
    EXPECT_EQ(t[0].op, RIOMMU_TR_IRQ_PENDING);
    EXPECT_EQ(t[0].val, 1u); // vector 0 only
    EXPECT_EQ(mr(RIOMMU_REG_IPSR, 4) & 3, 0u);
}

// linux §4 item 13: hardware with one vector hard-wires icvec to 0; with
// four platform vectors the read-back (all fields 0 < 4) is accepted.
TEST_F(Review, Linux_4_13_HardwiredIcvecAccepted) {
    mcfg.num_vectors = 1;
    ASSERT_EQ(Init(), RIOMMU_DRV_OK);
    Seq s(trace());
    s.rd(8, RIOMMU_REG_CAPABILITIES, mcfg.capabilities);
    s.rd(4, RIOMMU_REG_FCTL, 0);
    s.rd(8, RIOMMU_REG_DDTP, 0);
    s.wr(8, RIOMMU_REG_ICVEC, 0x2310);
    s.rd(8, RIOMMU_REG_ICVEC, 0);
    EXPECT_TRUE(s.ok());
    EXPECT_EQ(riommu_drv_icvec(d), 0u);
    uint8_t b[4];
    dma(0x10, RIOMMU_READ, 0x1000, b, 4);
    EXPECT_EQ(riommu_drv_process(d), 1u);
}

// linux §1.2 icvec check: a read-back field >= irqs_count fails with EINVAL
// (hardware hard-wired to vector 3 while the platform gives 2 vectors).
static riommu_hw_ops g_inner;
static uint64_t icvec_stuck_r64(void *ctx, uint32_t off) {
    uint64_t v = g_inner.read64(ctx, off);
    return off == RIOMMU_REG_ICVEC ? (v | 0x3) : v;
}
TEST_F(Review, Linux_4_13_IcvecReadBackOutOfRange) {
    Boot();
    g_inner = ops;
    ops.read64 = icvec_stuck_r64;
    dcfg.irqs = 2;
    EXPECT_EQ(Init(), RIOMMU_DRV_EINVAL);
    EXPECT_EQ(d, nullptr);
    EXPECT_EQ(mr(RIOMMU_REG_DDTP), 0u);     // nothing enabled
    EXPECT_EQ(mr(RIOMMU_REG_CQCSR, 4), 0u);
}

// ---- item 14: IGS choice ---------------------------------------------------------------

// linux §4 item 14 / §1.1: IGS=BOTH on PCI clears fctl.WSI (found set).
TEST_F(Review, Linux_4_14_PciClearsWsi) {
    mcfg.fctl_reset = RIOMMU_FCTL_WSI;
    ASSERT_EQ(Init(), RIOMMU_DRV_OK);
    Seq s(trace());
    s.rd(8, RIOMMU_REG_CAPABILITIES, mcfg.capabilities);
    s.rd(4, RIOMMU_REG_FCTL, RIOMMU_FCTL_WSI);
    s.wr(4, RIOMMU_REG_FCTL, 0);
    s.rd(8, RIOMMU_REG_DDTP, 0);
    EXPECT_TRUE(s.ok());
    EXPECT_EQ(mr(RIOMMU_REG_FCTL, 4), 0u);
}

// linux §4 item 14 / §1.1 platform: IGS=BOTH on the platform bus (the WSI
// path of v10) sets fctl.WSI.
TEST_F(Review, Linux_4_14_PlatformSetsWsi) {
    dcfg.bus = RIOMMU_DRV_BUS_PLATFORM;
    ASSERT_EQ(Init(), RIOMMU_DRV_OK);
    Seq s(trace());
    s.rd(8, RIOMMU_REG_CAPABILITIES, mcfg.capabilities);
    s.rd(4, RIOMMU_REG_FCTL, 0);
    s.wr(4, RIOMMU_REG_FCTL, RIOMMU_FCTL_WSI);
    s.rd(8, RIOMMU_REG_DDTP, 0);
    EXPECT_TRUE(s.ok());
    EXPECT_EQ(mr(RIOMMU_REG_FCTL, 4), (uint64_t)RIOMMU_FCTL_WSI);
}

// linux §1.1: PCI needs IGS MSI or BOTH, the platform bus WSI or BOTH;
// otherwise ENODEV before any write.
TEST_F(Review, Linux_4_14_WrongIgsIsEnodev) {
    mcfg.capabilities = (mcfg.capabilities & ~RIOMMU_CAP_IGS) |
                        RIOMMU_FIELD_PREP(RIOMMU_CAP_IGS, RIOMMU_IGS_WSI);
    EXPECT_EQ(Init(), RIOMMU_DRV_ENODEV); // PCI on a WSI-only IOMMU
    for (auto &r : trace()) {
        EXPECT_NE(r.op, RIOMMU_TR_WRITE32);
        EXPECT_NE(r.op, RIOMMU_TR_WRITE64);
    }
    Reboot();
    mcfg.capabilities = (mcfg.capabilities & ~RIOMMU_CAP_IGS) |
                        RIOMMU_FIELD_PREP(RIOMMU_CAP_IGS, RIOMMU_IGS_MSI);
    dcfg.bus = RIOMMU_DRV_BUS_PLATFORM;
    EXPECT_EQ(Init(), RIOMMU_DRV_ENODEV); // platform on an MSI-only IOMMU
    for (auto &r : trace())
        EXPECT_NE(r.op, RIOMMU_TR_WRITE32);
}

// ---- item 15: release domain and bond lifetime ------------------------------------------

// linux §4 item 15 / §1.11: release attaches the blocking domain: DC tc.V
// = 0 (DMA then faults with cause 258), and IOTINVAL.VMA for the PSCID is
// issued only when the last device of the domain goes.
TEST_F(Review, Linux_4_15_ReleaseBlocksAndFlushesLastBond) {
    use613(); // no 2026 scoped IOTINVALs: the bond flush alone is visible
    ASSERT_EQ(Init(), RIOMMU_DRV_OK);
    riommu_drv_domain *dom = nullptr;
    riommu_drv_dev *d1 = probe_attach(0x10, &dom);
    riommu_drv_dev *d2 = probe_attach(0x11, &dom);
    uint32_t pscid = riommu_drv_domain_pscid(dom);
    map(dom, 0x100000, 0x90000000, 0x1000);
    uint8_t b[8];
    ASSERT_EQ(dma(0x10, RIOMMU_READ, 0x100000, b, 8).status, RIOMMU_RSP_OK);
    riommu_hw_trace_clear(tr);
    riommu_drv_release(d1);
    EXPECT_EQ(count_cmds(~0ull, cmd::inval_pscid(pscid)), 0u); // d2 still bonded
    EXPECT_EQ(count_cmds(~0ull, cmd::inval_ddt(0x10)), 2u);     // phase 1 and 2
    auto r = dma(0x10, RIOMMU_READ, 0x100000, b, 8);
    EXPECT_EQ(r.status, RIOMMU_RSP_FAULT);
    EXPECT_EQ(r.cause, (unsigned)RIOMMU_CAUSE_DDT_INVALID);
    EXPECT_EQ(dma(0x11, RIOMMU_READ, 0x100000, b, 8).status, RIOMMU_RSP_OK);
    riommu_hw_trace_clear(tr);
    riommu_drv_release(d2);
    auto c = commands();
    ASSERT_GE(c.size(), 2u);
    EXPECT_EQ(c[c.size() - 2].first, cmd::inval_pscid(pscid)); // the last bond
    EXPECT_EQ(c.back().first, cmd::kFence);
    EXPECT_FALSE(riommu_iotlb_contains(m, false, 0, true, pscid, 0x100000));
    riommu_drv_domain_free(dom);
}

} // namespace

namespace {

// linux §4 item 11 follow-ups / §1.6 step 9: with the CQ wedged and the
// ring full, v10 "still returns prod" without a doorbell: the send leaves a
// hole, later sends fail behind it (150 ms each), and the fence wait spins
// to its timeout. Mainline ("avoid waiting on failed command enqueue")
// gives up at once on the cqcsr error and leaves no hole. (Driver fix: the
// 6.13 sync used to return OK at once for a fence it never published.)
TEST_F(Review, Linux_4_11_FailedEnqueueBehindWedgedQueue) {
    for (int pol = 0; pol < 2; pol++) {
        SCOPED_TRACE(pol ? "linux613" : "mainline");
        Reboot();
        if (pol)
            use613();
        dcfg.cq_log2sz = 1; // 4 entries, at most 3 outstanding
        ASSERT_EQ(Init(), RIOMMU_DRV_OK);
        riommu_drv_cmd_submit(d, 0, 0); // slot 3: illegal, the CQ stops there
        EXPECT_EQ(riommu_drv_cmd_sync(d, 1000), pol ? RIOMMU_DRV_ETIMEDOUT : RIOMMU_DRV_EIO);
        events.clear();
        uint64_t t0 = now_us();
        riommu_drv_cmd_submit(d, cmd::kInvalVmaAll, 0); // fits (slot 1)
        EXPECT_EQ(count_events(RIOMMU_DRV_EV_ENQUEUE_TIMEOUT), 0u);
        riommu_drv_cmd_submit(d, cmd::kInvalVmaAll, 0); // ring full
        riommu_drv_cmd_submit(d, cmd::kInvalVmaAll, 0);
        EXPECT_EQ(count_events(RIOMMU_DRV_EV_ENQUEUE_TIMEOUT), 2u);
        EXPECT_EQ(riommu_drv_cmd_sync(d, 90000000ull),
                  pol ? RIOMMU_DRV_ETIMEDOUT : RIOMMU_DRV_EIO);
        EXPECT_EQ(count_events(RIOMMU_DRV_EV_ENQUEUE_TIMEOUT), 3u);
        uint64_t dt = now_us() - t0;
        if (pol) {
            EXPECT_EQ(count_events(RIOMMU_DRV_EV_EXEC_TIMEOUT), 1u);
            EXPECT_GE(dt, 3 * 150000u + 90000000u);
        } else {
            EXPECT_EQ(count_events(RIOMMU_DRV_EV_EXEC_TIMEOUT), 0u);
            EXPECT_LT(dt, 1000u);
        }
        // Nothing beyond the ring's capacity was ever rung: cqt is 3 slots
        // past the stuck cqh at most.
        uint32_t h = (uint32_t)mr(RIOMMU_REG_CQH, 4), t = (uint32_t)mr(RIOMMU_REG_CQT, 4);
        EXPECT_EQ(h, 3u);
        EXPECT_EQ((t - h) & 3u, 3u);
    }
}

} // namespace
