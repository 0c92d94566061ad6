// test_hotpath.cpp - the translation hot path (an IOTLB hit, ds "Process to
// translate an IOVA" step 17 served from the IOATC, ds "Caching in-memory
// data structures") allocates no memory. Issue 3 requires it; the model has
// no locks at all (tests/py/test_model_static.py checks the sources).
#include "fixture.h"

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
