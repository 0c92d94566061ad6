// test_drv_basic.cpp - the reference driver end to end on the model:
// init (linux §1.2-1.4), paging domain attach (linux §1.8), map/DMA/unmap
// (linux §1.10), fault drain (linux §1.5), remove (linux §1.11).
#include "drv_fixture.h"

using namespace dt;

// linux §1.2: init succeeds on the default model and ends in 3LVL mode.
TEST_F(DrvTest, Linux_1_2_InitReaches3Lvl) {
    ASSERT_EQ(Init(), RIOMMU_DRV_OK);
    EXPECT_EQ(riommu_drv_ddt_mode(d), (unsigned)RIOMMU_DDTP_MODE_3LVL);
    EXPECT_EQ(riommu_drv_icvec(d), 0x2310u);
    uint64_t csr = 0;
    riommu_mmio_read(m, RIOMMU_REG_CQCSR, 4, &csr);
    EXPECT_EQ(csr, 0x10003u);
}

// linux §1.8, §1.10: attach to a paging domain, map 4K and 2M, DMA, unmap
// with sync, the stale IOVA faults and the record is drained.
TEST_F(DrvTest, Linux_1_10_MapDmaUnmapFault) {
    ASSERT_EQ(Init(), RIOMMU_DRV_OK);
    uint32_t id = 0x10;
    riommu_drv_dev *dev = nullptr;
    ASSERT_EQ(riommu_drv_probe(d, &id, 1, &dev), RIOMMU_DRV_OK);
    riommu_drv_domain *dom = nullptr;
    ASSERT_EQ(riommu_drv_domain_alloc(d, &dom), RIOMMU_DRV_OK);
    ASSERT_EQ(riommu_drv_attach(dev, dom), RIOMMU_DRV_OK);
    uint64_t mapped = 0;
    ASSERT_EQ(riommu_drv_map(dom, 0x100000, 0x90000000, 0x1000,
                             RIOMMU_DRV_READ | RIOMMU_DRV_WRITE, &mapped),
              RIOMMU_DRV_OK);
    EXPECT_EQ(mapped, 0x1000u);
    ASSERT_EQ(riommu_drv_map(dom, 0x200000, 0x90200000, 0x200000, RIOMMU_DRV_READ, &mapped),
              RIOMMU_DRV_OK);
    EXPECT_EQ(riommu_drv_iova_to_phys(dom, 0x100123), 0x90000123u);
    EXPECT_EQ(riommu_drv_iova_to_phys(dom, 0x2FF000), 0x902FF000u);
    uint8_t buf[16] = {1, 2, 3};
    auto r = dma(id, RIOMMU_WRITE, 0x100010, buf, 16);
    EXPECT_EQ(r.status, RIOMMU_RSP_OK) << r.cause;
    EXPECT_EQ(r.pa, 0x90000010u);
    r = dma(id, RIOMMU_READ, 0x3FF000, buf, 16);
    EXPECT_EQ(r.status, RIOMMU_RSP_OK) << r.cause;
    EXPECT_EQ(r.range_size, 0x200000u);
    EXPECT_EQ(riommu_drv_unmap_sync(dom, 0x100000, 0x1000), 0x1000u);
    EXPECT_EQ(riommu_drv_iova_to_phys(dom, 0x100000), 0u);
    r = dma(id, RIOMMU_READ, 0x100010, buf, 16);
    EXPECT_EQ(r.status, RIOMMU_RSP_FAULT);
    EXPECT_EQ(r.cause, (unsigned)RIOMMU_CAUSE_READ_PAGE_FAULT);
    EXPECT_EQ(riommu_drv_process(d), 1u);
    ASSERT_EQ(count_events(RIOMMU_DRV_EV_FAULT), 1u);
    EXPECT_EQ(events.back().rec.cause, (unsigned)RIOMMU_CAUSE_READ_PAGE_FAULT);
    EXPECT_EQ(events.back().rec.did, id);
    EXPECT_EQ(events.back().rec.iotval, 0x100010u);
    riommu_drv_release(dev);
    riommu_drv_domain_free(dom);
}

// linux §1.10 step 5 (aperture): an IOVA beyond 2^(va_bits-1) must not
// alias a lower mapping in unmap or iova_to_phys (found by the scenario
// fuzzer: 2^57 + 0x1000 wrapped onto 0x1000 on Sv57).
TEST_F(DrvTest, Linux_1_10_OutOfApertureIovaNeverAliases) {
    ASSERT_EQ(Init(), RIOMMU_DRV_OK);
    riommu_drv_domain *dom = nullptr;
    ASSERT_EQ(riommu_drv_domain_alloc(d, &dom), RIOMMU_DRV_OK);
    uint64_t mapped = 0;
    ASSERT_EQ(riommu_drv_map(dom, 0x1000, 0x90000000, 0x1000, RIOMMU_DRV_READ, &mapped),
              RIOMMU_DRV_OK);
    uint64_t alias = (1ull << riommu_drv_domain_va_bits(dom)) + 0x1000;
    EXPECT_EQ(riommu_drv_iova_to_phys(dom, alias), 0u);
    EXPECT_EQ(riommu_drv_unmap_sync(dom, alias, 0x1000), 0u);
    EXPECT_EQ(riommu_drv_iova_to_phys(dom, 0x1000), 0x90000000u);
    riommu_drv_domain_free(dom);
}
