// test_basic.cpp - end-to-end sanity of the model: the Linux bring-up
// sequence (linux §1.2-1.4) followed by a first-stage translation (ds
// "Process to translate an IOVA") and a fault record (q "Fault/Event-Queue").
#include "fixture.h"

using namespace rt;

// regs "Reset behavior": ddtp Off, no BUSY, queues off, ipsr 0.
TEST_F(ModelTest, Regs_ResetBehavior_DdtpOffQueuesOffIpsrZero) {
    Create();
    EXPECT_EQ(rd64(RIOMMU_REG_DDTP), 0u);
    EXPECT_EQ(rd32(RIOMMU_REG_CQCSR), 0u);
    EXPECT_EQ(rd32(RIOMMU_REG_FQCSR), 0u);
    EXPECT_EQ(rd32(RIOMMU_REG_IPSR), 0u);
    EXPECT_EQ(rd64(RIOMMU_REG_CAPABILITIES), cfg.capabilities);
}

// linux §1.2-1.4 bring-up, then ds "Process to translate an IOVA" for a 4 KiB
// Sv39 leaf and q "Fault/Event-Queue" for an unmapped IOVA.
TEST_F(ModelTest, Linux_BringUp_TranslateAndFault) {
    Create();
    enable_cq();
    enable_fq();
    setup_ddt(RIOMMU_DDTP_MODE_3LVL);
    EXPECT_EQ(run(iodir_inval_ddt()), 1u);
    EXPECT_EQ(run(iotinval_vma()), 2u);
    EXPECT_EQ(run(iofence()), 3u);
    uint64_t root = new_root();
    map(root, 8, 0x10000, 0x90000000, RWUAD);
    attach_s1(0x10, root, 8, 1);
    auto r = expect_ok(0x10, 0x10123, RIOMMU_WRITE, 0x90000123);
    EXPECT_FALSE(r.iotlb_hit);
    r = expect_ok(0x10, 0x10124, RIOMMU_READ, 0x90000124);
    EXPECT_TRUE(r.iotlb_hit);
    expect_fault(0x10, 0x20000, RIOMMU_READ, RIOMMU_CAUSE_READ_PAGE_FAULT);
    auto recs = drain_faults();
    ASSERT_EQ(recs.size(), 1u);
    EXPECT_EQ(recs[0].cause, 13u);
    EXPECT_EQ(recs[0].did, 0x10u);
    EXPECT_EQ(recs[0].ttyp, (unsigned)RIOMMU_TTYP_UNTRANSLATED_READ);
    EXPECT_EQ(recs[0].iotval, 0x20000u);
}
