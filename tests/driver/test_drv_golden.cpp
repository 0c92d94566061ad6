// test_drv_golden.cpp - golden MMIO / memory / command sequences of the
// reference driver, written by hand from linux-driver.md (cited "linux §N"),
// step by step, for the mainline policy and the Linux 6.13 (v10) profile:
// init (§1.1-1.4), probe (§1.7), attach paging / identity / blocked (§1.8,
// §1.9), map and unmap (§1.9, §1.10), release (§1.11), remove and shutdown
// (§1.11). Each expectation names the step it comes from; nothing here is a
// snapshot of the driver's output.
#include "drv_expect.h"
#include "drv_fixture.h"

using namespace dt;

namespace {

constexpr uint64_t kPPN = 0x003FFFFFFFFFFC00ull; // bits 53:10 (ddtp, cqb, fqb)
constexpr uint64_t kDdtpBusy = 1ull << 4;
constexpr uint64_t kQcsrBusy = 1ull << 17;

// GetParam(): true = mainline policy, false = Linux 6.13 profile.
class Golden : public DrvTest, public ::testing::WithParamInterface<bool> {
  protected:
    bool mainline() const { return GetParam(); }
    uint64_t root = 0, cq = 0, fq = 0; // from the init sequence

    void SetUp() override {
        DrvTest::SetUp();
        if (!mainline())
            riommu_drv_policy_linux613(&dcfg.policy);
    }
    Seq seq() {
        Seq s(trace());
        s.cq_base = cq;
        s.cq_mask = 8191;
        s.fence_reads_cqcsr = mainline();
        return s;
    }
    void clear() { riommu_hw_trace_clear(tr); }

    // Init, checked against linux §1.1-1.4 on the default model
    // (capabilities: Sv39/48/57, AMO_HWAD, END, IGS=BOTH; fctl 0; ddtp Off;
    // LOG2SZ-1 up to 15).
    void golden_init() {
        ASSERT_EQ(Init(), RIOMMU_DRV_OK);
        Seq s(trace());
        s.fence_reads_cqcsr = mainline();
        // §1.1 PCI step 3: capabilities (64-bit) and fctl (32-bit), once.
        s.rd(8, RIOMMU_REG_CAPABILITIES, mcfg.capabilities);
        s.rd(4, RIOMMU_REG_FCTL, 0); // WSI already 0: no write (step 6)
        // §1.2 step 2 init_check: ddtp read once, no poll; Off is <= Bare.
        s.rd(8, RIOMMU_REG_DDTP, 0);
        // BE = 0 matches the little-endian CPU: no fctl write.
        // icvec: n=4 gives 0x2310, written 64-bit and read back.
        s.wr(8, RIOMMU_REG_ICVEC, 0x2310);
        s.rd(8, RIOMMU_REG_ICVEC, 0x2310);
        // §1.3 iodir_alloc: poll BUSY, write the mode alone (PPN 0), read back.
        s.poll(8, RIOMMU_REG_DDTP, kDdtpBusy, 0);
        s.wr(8, RIOMMU_REG_DDTP, 0);
        s.poll(8, RIOMMU_REG_DDTP, kDdtpBusy, 0);
        // PPN read back 0: the root is one allocated zeroed page.
        root = s.alloc(4096);
        // §1.4 queue_alloc (CQ): LOG2SZ probe 0x1F reads back 15, so
        // logsz = min(12, 15) = 12: 8192 x 16 B; then base | logsz, exact.
        s.wr(8, RIOMMU_REG_CQB, 0x1F);
        s.rd(8, RIOMMU_REG_CQB, 0xF);
        cq = s.alloc(16u << 13);
        uint64_t cqb = ((cq >> 2) & kPPN) | 12;
        s.wr(8, RIOMMU_REG_CQB, cqb);
        s.rd(8, RIOMMU_REG_CQB, cqb);
        // FQ: logsz = min(11, 15): 4096 x 32 B.
        s.wr(8, RIOMMU_REG_FQB, 0x1F);
        s.rd(8, RIOMMU_REG_FQB, 0xF);
        fq = s.alloc(32u << 12);
        uint64_t fqb = ((fq >> 2) & kPPN) | 11;
        s.wr(8, RIOMMU_REG_FQB, fqb);
        s.rd(8, RIOMMU_REG_FQB, fqb);
        // §1.4 queue_enable (CQ): (6.14+) cqt = 0; csr = 0x103; BUSY poll;
        // (csr & ON|BUSY|MF) == ON, i.e. 0x10003; ipsr W1C 0x1.
        if (mainline())
            s.wr(4, RIOMMU_REG_CQT, 0);
        s.wr(4, RIOMMU_REG_CQCSR, 0x103);
        s.poll(4, RIOMMU_REG_CQCSR, kQcsrBusy, 0x10003);
        s.wr(4, RIOMMU_REG_IPSR, 0x1);
        // FQ: (6.14+) fqh = 0; the same handshake; ipsr 0x2.
        if (mainline())
            s.wr(4, RIOMMU_REG_FQH, 0);
        s.wr(4, RIOMMU_REG_FQCSR, 0x103);
        s.poll(4, RIOMMU_REG_FQCSR, kQcsrBusy, 0x10003);
        s.wr(4, RIOMMU_REG_IPSR, 0x2);
        // §1.3 iodir_set_mode(3LVL): poll BUSY, write 3LVL | root PPN, poll.
        s.poll(8, RIOMMU_REG_DDTP, kDdtpBusy, 0);
        uint64_t ddtp = ((root >> 2) & kPPN) | 4;
        s.wr(8, RIOMMU_REG_DDTP, ddtp);
        s.poll(8, RIOMMU_REG_DDTP, kDdtpBusy, ddtp);
        // §1.3 step 5: IODIR.INVAL_DDT DV=0, IOTINVAL.VMA all, IOFENCE.C +
        // wait; each command published before its doorbell (§4 item 1).
        s.cq_base = cq;
        s.cq_mask = 8191;
        s.cmd(cmd::kInvalDdtAll, 0);
        s.cmd(cmd::kInvalVmaAll, 0);
        s.fence();
        s.end();
        EXPECT_TRUE(s.ok());
        cq_slot = s.cq_slot;
        clear();
    }
    uint32_t cq_slot = 0;
    Seq seq_cont() {
        Seq s = seq();
        s.cq_slot = cq_slot;
        return s;
    }
    void done(Seq &s) {
        s.end();
        EXPECT_TRUE(s.ok());
        cq_slot = s.cq_slot;
        clear();
    }

    // Probe of ids {0x10, 0x12345} in 3LVL base format (linux §1.3 DDI
    // split: DDI0 6:0, DDI1 15:7, DDI2 23:16; §1.7: tc = SADE or 0, no
    // command). Returns the DC addresses.
    riommu_drv_dev *golden_probe(uint64_t dc[2]) {
        const uint32_t ids[2] = {0x10, 0x12345};
        riommu_drv_dev *dev = nullptr;
        EXPECT_EQ(riommu_drv_probe(d, ids, 2, &dev), RIOMMU_DRV_OK);
        Seq s = seq_cont();
        uint64_t tc = mainline() ? 0 : 0x100; // SADE (AMO_HWAD) in 6.13 only
        // id 0x10: DDI2 0, DDI1 0, DDI0 0x10 (32-byte DCs).
        uint64_t l1 = s.new_table(root + 0 * 8);
        uint64_t leaf = s.new_table(l1 + 0 * 8);
        dc[0] = leaf + 0x10 * 32;
        s.sync64(dc[0], tc);
        // id 0x12345: DDI2 1, DDI1 0x46, DDI0 0x45.
        uint64_t l1b = s.new_table(root + 1 * 8);
        uint64_t leafb = s.new_table(l1b + 0x46 * 8);
        dc[1] = leafb + 0x45 * 32;
        s.sync64(dc[1], tc);
        done(s);
        return dev;
    }
    void expect_dc(uint64_t pa, uint64_t tc, uint64_t ta, uint64_t fsc) {
        EXPECT_EQ(memhost_r64(mem, pa + 0), tc);
        EXPECT_EQ(memhost_r64(mem, pa + 8), 0u); // iohgatp never written
        EXPECT_EQ(memhost_r64(mem, pa + 16), ta);
        EXPECT_EQ(memhost_r64(mem, pa + 24), fsc);
    }
};

// linux §1.1-1.4: the init sequence register by register.
TEST_P(Golden, Linux_1_2_InitSequence) {
    golden_init();
    EXPECT_EQ(riommu_peek_reg(m, RIOMMU_REG_DDTP), ((root >> 2) & kPPN) | 4);
    EXPECT_EQ(riommu_peek_reg(m, RIOMMU_REG_CQCSR), 0x10003u);
    EXPECT_EQ(riommu_peek_reg(m, RIOMMU_REG_FQCSR), 0x10003u);
}

// linux §1.7-1.9: probe writes invalid DCs without commands; attaching a
// paging domain publishes fsc/ta before tc.V, then IODIR DV=1 per ID (and
// in mainline the 2026 scoped IOTINVAL with the PSCID), then IOFENCE.C.
TEST_P(Golden, Linux_1_8_ProbeAndAttachPaging) {
    golden_init();
    uint64_t dc[2];
    riommu_drv_dev *dev = golden_probe(dc);
    ASSERT_NE(dev, nullptr);
    riommu_drv_domain *dom = nullptr;
    ASSERT_EQ(riommu_drv_domain_alloc(d, &dom), RIOMMU_DRV_OK);
    uint32_t pscid = riommu_drv_domain_pscid(dom);
    EXPECT_EQ(pscid, 1u); // §1.10 step 4: smallest PSCID >= 1
    Seq s = seq_cont();
    uint64_t droot = s.alloc(4096); // §1.10 step 3: one zeroed root page
    {
        const riommu_trace_rec *p = s.peek(); // an optional publication of it
        if (p && p->op == RIOMMU_TR_SYNC_TO_DEV && p->addr == droot)
            s.i++;
    }
    done(s);
    ASSERT_EQ(riommu_drv_attach(dev, dom), RIOMMU_DRV_OK);
    s = seq_cont();
    // Phase 1 skipped: no DC had tc.V. Phase 2 per ID.
    uint64_t tcv = mainline() ? 0x1 : 0x101;
    uint64_t ta = (uint64_t)pscid << 12;
    uint64_t fsc = (10ull << 60) | (droot >> 12); // Sv57 = 10, highest offered
    const uint32_t ids[2] = {0x10, 0x12345};
    for (int k = 0; k < 2; k++) {
        const uint64_t w[4] = {tcv, 0, ta, fsc};
        s.dc_write(dc[k], w);
        s.cmd(cmd::inval_ddt(ids[k]), 0);
        if (mainline())
            s.cmd(cmd::inval_pscid(pscid), 0);
    }
    s.fence();
    done(s);
    expect_dc(dc[0], tcv, ta, fsc);
    expect_dc(dc[1], tcv, ta, fsc);
    riommu_drv_release(dev);
    riommu_drv_domain_free(dom);
}

// linux §1.10 map (leaf bits per the table; tables published before their
// pointers; no invalidation after a map) and §1.9 unmap (per 4 KiB page
// IOTINVAL with dword1 = (iova>>12)<<10 below 2 MiB, whole PSCID for a
// 2 MiB leaf).
TEST_P(Golden, Linux_1_10_MapUnmapSequence) {
    golden_init();
    uint32_t id = 0x10;
    riommu_drv_dev *dev = nullptr;
    ASSERT_EQ(riommu_drv_probe(d, &id, 1, &dev), RIOMMU_DRV_OK);
    riommu_drv_domain *dom = nullptr;
    ASSERT_EQ(riommu_drv_domain_alloc(d, &dom), RIOMMU_DRV_OK);
    ASSERT_EQ(riommu_drv_attach(dev, dom), RIOMMU_DRV_OK);
    uint32_t pscid = riommu_drv_domain_pscid(dom);
    // Where the root is: the DC's fsc.
    uint64_t droot = 0;
    {
        Seq all(trace());
        for (auto &r : all.r)
            if (r.op == RIOMMU_TR_ALLOC && r.len == 4096)
                droot = r.addr; // the last 4 KiB allocation is the domain root
    }
    // Skip what was traced so far: resynchronise the command slot.
    cq_slot += (uint32_t)commands().size();
    clear();

    // Sv57 indices L4..L0 = 3, 5, 7, 9, 0x11.
    const uint64_t iova = (3ull << 48) | (5ull << 39) | (7ull << 30) | (9ull << 21) | (0x11ull << 12);
    const uint64_t pa = 0x90000000;
    uint64_t mapped = 0;
    ASSERT_EQ(riommu_drv_map(dom, iova, pa, 0x2000, RIOMMU_DRV_READ | RIOMMU_DRV_WRITE, &mapped),
              RIOMMU_DRV_OK);
    EXPECT_EQ(mapped, 0x2000u);
    // Leaf bits: 6.13 with AMO_HWAD: V A U R W = 0x57 (D left to SADE);
    // mainline generic PT: V R W X U A D = 0xDF (X unless NOEXEC).
    uint64_t rw = mainline() ? 0xDF : 0x57;
    Seq s = seq_cont();
    uint64_t l3 = s.new_table(droot + 3 * 8);
    uint64_t l2 = s.new_table(l3 + 5 * 8);
    uint64_t l1 = s.new_table(l2 + 7 * 8);
    uint64_t l0 = s.new_table(l1 + 9 * 8);
    s.sync64(l0 + 0x11 * 8, ((pa >> 12) << 10) | rw);
    s.sync64(l0 + 0x12 * 8, (((pa + 0x1000) >> 12) << 10) | rw);
    done(s); // §1.10 step 6: no command after a map

    // A read-only 2 MiB leaf at L1 index 10: 0x53 (6.13) / 0x5B (mainline).
    const uint64_t big = (3ull << 48) | (5ull << 39) | (7ull << 30) | (10ull << 21);
    ASSERT_EQ(riommu_drv_map(dom, big, 0x90200000, 0x200000, RIOMMU_DRV_READ, &mapped),
              RIOMMU_DRV_OK);
    s = seq_cont();
    s.sync64(l1 + 10 * 8, ((0x90200000ull >> 12) << 10) | (mainline() ? 0x5B : 0x53));
    done(s);

    // Unmap the two 4 KiB pages: leaves cleared, one gather [iova, iova+8K)
    // of 8 KiB < 2 MiB: one IOTINVAL per page (PSCV, AV), then IOFENCE.C.
    EXPECT_EQ(riommu_drv_unmap_sync(dom, iova, 0x2000), 0x2000u);
    s = seq_cont();
    s.sync64(l0 + 0x11 * 8, 0);
    s.sync64(l0 + 0x12 * 8, 0);
    s.cmd(cmd::inval_page(pscid), cmd::page_addr(iova));
    s.cmd(cmd::inval_page(pscid), cmd::page_addr(iova + 0x1000));
    s.fence();
    done(s);
    // dword1 of the first page, from the note's formula, by hand:
    EXPECT_EQ(cmd::page_addr(iova), 0xC0A070484400ull);

    // Unmap the 2 MiB leaf: len = 2 MiB is not < 2 MiB: whole PSCID.
    EXPECT_EQ(riommu_drv_unmap_sync(dom, big, 0x200000), 0x200000u);
    s = seq_cont();
    s.sync64(l1 + 10 * 8, 0);
    s.cmd(cmd::inval_pscid(pscid), 0);
    s.fence();
    done(s);

    riommu_drv_release(dev);
    riommu_drv_domain_free(dom);
}

// linux §1.8 phase 1 / phase 2 / unbond for paging -> identity -> blocked
// and release (§1.11: the blocking domain, then the last-bond PSCID flush).
TEST_P(Golden, Linux_1_8_IdentityBlockedRelease) {
    golden_init();
    uint64_t dc[2];
    riommu_drv_dev *dev = golden_probe(dc);
    ASSERT_NE(dev, nullptr);
    const uint32_t ids[2] = {0x10, 0x12345};
    riommu_drv_domain *dom = nullptr;
    ASSERT_EQ(riommu_drv_domain_alloc(d, &dom), RIOMMU_DRV_OK);
    ASSERT_EQ(riommu_drv_attach(dev, dom), RIOMMU_DRV_OK);
    uint32_t pscid = riommu_drv_domain_pscid(dom);
    cq_slot += mainline() ? 5 : 3;
    clear();
    uint64_t sade = mainline() ? 0 : 0x100;

    // paging -> identity.
    ASSERT_EQ(riommu_drv_attach(dev, riommu_drv_identity(d)), RIOMMU_DRV_OK);
    Seq s = seq_cont();
    for (int k = 0; k < 2; k++) { // phase 1: tc.V cleared, IODIR per ID
        s.sync64(dc[k], sade);
        s.cmd(cmd::inval_ddt(ids[k]), 0);
        if (mainline()) // 2026: the old context was paging: its PSCID
            s.cmd(cmd::inval_pscid(pscid), 0);
    }
    s.fence();
    for (int k = 0; k < 2; k++) { // phase 2: fsc Bare, ta 0, tc.V last
        const uint64_t w[4] = {sade | 1, 0, 0, 0};
        s.dc_write(dc[k], w);
        s.cmd(cmd::inval_ddt(ids[k]), 0);
        if (mainline()) // 2026: iohgatp Bare, fsc Bare: global
            s.cmd(cmd::kInvalVmaAll, 0);
    }
    s.fence();
    // Unbond: last bond of the domain on this IOMMU: its PSCID, fence.
    s.cmd(cmd::inval_pscid(pscid), 0);
    s.fence();
    done(s);
    expect_dc(dc[0], sade | 1, 0, 0);

    // identity -> blocked: tc.V = 0 stays; no unbond (identity has none).
    ASSERT_EQ(riommu_drv_attach(dev, riommu_drv_blocked(d)), RIOMMU_DRV_OK);
    s = seq_cont();
    for (int k = 0; k < 2; k++) {
        s.sync64(dc[k], sade);
        s.cmd(cmd::inval_ddt(ids[k]), 0);
        if (mainline())
            s.cmd(cmd::kInvalVmaAll, 0);
    }
    s.fence();
    for (int k = 0; k < 2; k++) {
        const uint64_t w[4] = {sade, 0, 0, 0};
        s.dc_write(dc[k], w);
        s.cmd(cmd::inval_ddt(ids[k]), 0);
        if (mainline())
            s.cmd(cmd::kInvalVmaAll, 0);
    }
    s.fence();
    done(s);
    expect_dc(dc[1], sade, 0, 0);

    // blocked -> paging -> release: release attaches blocked (§1.11).
    ASSERT_EQ(riommu_drv_attach(dev, dom), RIOMMU_DRV_OK);
    cq_slot += mainline() ? 5 : 3;
    clear();
    riommu_drv_release(dev);
    s = seq_cont();
    for (int k = 0; k < 2; k++) {
        s.sync64(dc[k], sade);
        s.cmd(cmd::inval_ddt(ids[k]), 0);
        if (mainline())
            s.cmd(cmd::inval_pscid(pscid), 0);
    }
    s.fence();
    for (int k = 0; k < 2; k++) {
        const uint64_t w[4] = {sade, 0, 0, 0};
        s.dc_write(dc[k], w);
        s.cmd(cmd::inval_ddt(ids[k]), 0);
        if (mainline())
            s.cmd(cmd::kInvalVmaAll, 0);
    }
    s.fence();
    s.cmd(cmd::inval_pscid(pscid), 0);
    s.fence();
    done(s);
    // DDT pages are never freed on detach (§1.3): still there.
    EXPECT_EQ(memhost_r64(mem, dc[0]), sade);
    riommu_drv_domain_free(dom);
}

// linux §1.11 remove: iodir_set_mode(OFF) with its IODIR / IOTINVAL /
// IOFENCE (queues still on), then CQ off, then FQ off, each polled.
TEST_P(Golden, Linux_1_11_RemoveSequence) {
    golden_init();
    uint64_t ddtp = ((root >> 2) & kPPN) | 4;
    riommu_drv_remove(d);
    d = nullptr;
    Seq s = seq_cont();
    s.poll(8, RIOMMU_REG_DDTP, kDdtpBusy, ddtp); // step 1: BUSY clear
    s.wr(8, RIOMMU_REG_DDTP, 0);                 // OFF, no PPN
    s.poll(8, RIOMMU_REG_DDTP, kDdtpBusy, 0);    // reads back exactly
    s.cmd(cmd::kInvalDdtAll, 0);
    s.cmd(cmd::kInvalVmaAll, 0);
    s.fence();
    s.wr(4, RIOMMU_REG_CQCSR, 0);
    s.poll(4, RIOMMU_REG_CQCSR, kQcsrBusy, 0);
    s.wr(4, RIOMMU_REG_FQCSR, 0);
    s.poll(4, RIOMMU_REG_FQCSR, kQcsrBusy, 0);
    s.end();
    EXPECT_TRUE(s.ok());
    EXPECT_EQ(riommu_peek_reg(m, RIOMMU_REG_DDTP), 0u);
}

// linux §1.11 shutdown: ddtp Bare (6.14+, mainline) or Off (the 6.13
// profile), then cqcsr, fqcsr, pqcsr = 0; nothing read, nothing polled.
TEST_P(Golden, Linux_1_11_ShutdownSequence) {
    golden_init();
    riommu_drv_shutdown(d);
    d = nullptr;
    Seq s = seq_cont();
    s.wr(8, RIOMMU_REG_DDTP, mainline() ? 1 : 0);
    s.wr(4, RIOMMU_REG_CQCSR, 0);
    s.wr(4, RIOMMU_REG_FQCSR, 0);
    s.wr(4, RIOMMU_REG_PQCSR, 0);
    s.end();
    EXPECT_TRUE(s.ok());
}

INSTANTIATE_TEST_SUITE_P(Policy, Golden, ::testing::Values(true, false),
                         [](const ::testing::TestParamInfo<bool> &i) {
                             return std::string(i.param ? "Mainline" : "Linux613");
                         });

} // namespace
