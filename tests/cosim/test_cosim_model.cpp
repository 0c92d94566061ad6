// test_cosim_model.cpp - the lockstep engine's first self-check (DESIGN.md
// §2.3; issue 5): the reference driver runs on two model instances with
// different cache geometry and timing, and every functional result agrees.
// Then deliberately different memory or registers are reported as
// structured mismatch records, and waivers count without hiding.
#include <gtest/gtest.h>

#include <cstring>

extern "C" {
#include "riommu/cosim.h"
#include "riommu/drv.h"
#include "riommu/model_backend.h"
}

namespace {

struct Pair {
    riommu_cosim *c = nullptr;
    riommu_drv *d = nullptr;
    riommu_hw_ops ops{};
    riommu_drv_heap heap{};

    // Two models: the default one and one with tiny caches, FIFO and
    // different latencies.
    explicit Pair(bool different = true) {
        riommu_config a, b;
        riommu_config_default(&a);
        riommu_config_default(&b);
        if (different) {
            b.iotlb.entries = 4;
            b.iotlb.assoc = 2;
            b.iotlb.policy = RIOMMU_REPL_FIFO;
            b.ddtc.entries = 2;
            b.ddtc.assoc = 1;
            b.walkc.enable = false;
            b.timing.mem_lat = 3;
            b.timing.cmd_lat = 40;
            b.timing.ddtp_busy = 100;
            b.timing.qcsr_busy = 0;
            b.timing.xlate_slots = 1;
            b.timing.ptw_slots = 1;
            b.iotlb.lat = 3;
            b.iotlb.slots = 3;
        }
        riommu_backend_ops be[2];
        char err[128];
        EXPECT_EQ(riommu_model_backend_create(&a, "model", &be[0], err, sizeof err), 0) << err;
        EXPECT_EQ(riommu_model_backend_create(&b, "model2", &be[1], err, sizeof err), 0) << err;
        c = riommu_cosim_create(be, 2, nullptr);
        ops = riommu_cosim_hw_ops(c);
        heap = riommu_cosim_heap(c);
    }
    ~Pair() {
        riommu_drv_remove(d);
        riommu_cosim_destroy(c);
    }
    riommu_drv_err init() {
        riommu_drv_config dc;
        riommu_drv_config_default(&dc);
        dc.policy.polling = true;
        return riommu_drv_init(&ops, &heap, &dc, &d);
    }
    uint64_t unwaived() {
        uint64_t u, w;
        riommu_cosim_counts(c, &u, &w);
        return u;
    }
    std::string dump() {
        size_t n;
        const riommu_mismatch *m = riommu_cosim_mismatches(c, &n);
        std::string s;
        for (size_t i = 0; i < n && i < 10; i++) {
            char b[200];
            snprintf(b, sizeof b, "%s %s exp 0x%llx act 0x%llx\n", riommu_mm_kind_name(m[i].kind),
                     m[i].where, (unsigned long long)m[i].expected,
                     (unsigned long long)m[i].actual);
            s += b;
        }
        return s;
    }
};

riommu_request req(uint32_t did, riommu_req_access a, uint64_t iova, uint32_t len) {
    riommu_request r{};
    r.device_id = did;
    r.access = a;
    r.iova = iova;
    r.len = len;
    return r;
}

} // namespace

// DESIGN.md §2.3 rules 1-5: driver bring-up, attach, map, DMA, faults,
// unmap and remove on two differently built models agree everywhere.
TEST(CosimModel, TwoGeometriesAgreeOnEveryFunctionalResult) {
    Pair p;
    ASSERT_EQ(p.init(), RIOMMU_DRV_OK);
    uint32_t ids[2] = {0x10, 0x11};
    riommu_drv_dev *a = nullptr, *b = nullptr;
    ASSERT_EQ(riommu_drv_probe(p.d, &ids[0], 1, &a), RIOMMU_DRV_OK);
    ASSERT_EQ(riommu_drv_probe(p.d, &ids[1], 1, &b), RIOMMU_DRV_OK);
    riommu_drv_domain *dom = nullptr;
    ASSERT_EQ(riommu_drv_domain_alloc(p.d, &dom), RIOMMU_DRV_OK);
    ASSERT_EQ(riommu_drv_attach(a, dom), RIOMMU_DRV_OK);
    ASSERT_EQ(riommu_drv_attach(b, riommu_drv_identity(p.d)), RIOMMU_DRV_OK);
    uint64_t mapped;
    for (uint64_t i = 0; i < 16; i++)
        ASSERT_EQ(riommu_drv_map(dom, 0x100000 + i * 0x1000, 0x90000000 + i * 0x1000, 0x1000,
                                 RIOMMU_DRV_READ | RIOMMU_DRV_WRITE, &mapped),
                  RIOMMU_DRV_OK);
    uint8_t buf[64];
    for (int round = 0; round < 3; round++)
        for (uint64_t i = 0; i < 16; i++) {
            memset(buf, (int)(i + round), sizeof buf);
            riommu_request r = req(0x10, RIOMMU_WRITE, 0x100000 + i * 0x1000 + 8, 64);
            riommu_response rsp;
            EXPECT_EQ(riommu_cosim_dma(p.c, &r, buf, &rsp), 0u);
            EXPECT_EQ(rsp.status, RIOMMU_RSP_OK);
            r.access = RIOMMU_READ;
            EXPECT_EQ(riommu_cosim_dma(p.c, &r, buf, &rsp), 0u);
        }
    riommu_request r = req(0x10, RIOMMU_READ, 0x800000, 8);
    riommu_response rsp;
    riommu_cosim_dma(p.c, &r, buf, &rsp);
    EXPECT_EQ(rsp.cause, (unsigned)RIOMMU_CAUSE_READ_PAGE_FAULT);
    r = req(0x11, RIOMMU_WRITE, 0x95000000, 8);
    riommu_cosim_dma(p.c, &r, buf, &rsp);
    EXPECT_EQ(rsp.status, RIOMMU_RSP_OK);
    EXPECT_EQ(riommu_drv_process(p.d), 1u);
    EXPECT_EQ(riommu_drv_unmap_sync(dom, 0x100000, 0x8000), 0x8000u);
    r = req(0x10, RIOMMU_READ, 0x100000, 8);
    riommu_cosim_dma(p.c, &r, buf, &rsp);
    EXPECT_EQ(rsp.status, RIOMMU_RSP_FAULT);
    riommu_drv_release(a);
    riommu_drv_release(b);
    riommu_drv_domain_free(dom);
    riommu_cosim_finish(p.c);
    EXPECT_EQ(p.unwaived(), 0u) << p.dump();
}

// DESIGN.md §2.3 rule 5 and rule 6: memory that differs between backends
// is found at the end as a structured record naming address and values.
TEST(CosimModel, FinalMemoryDifferenceIsRecorded) {
    Pair p(false);
    riommu_dma_mem m;
    ASSERT_TRUE(p.ops.alloc(p.ops.ctx, 4096, 4096, &m));
    // Backend 1 gets a byte the driver never wrote.
    const riommu_backend_ops *b1 = riommu_cosim_backend(p.c, 1);
    uint8_t x = 0x5A;
    ASSERT_EQ(b1->mem_write(b1->ctx, m.pa + 0x123, &x, 1), 0);
    riommu_cosim_finish(p.c);
    size_t n;
    const riommu_mismatch *mm = riommu_cosim_mismatches(p.c, &n);
    ASSERT_EQ(n, 1u);
    EXPECT_EQ(mm[0].kind, RIOMMU_MM_MEM_FINAL);
    EXPECT_EQ(mm[0].backend, 1u);
    EXPECT_EQ(mm[0].addr, m.pa + 0x120);
    EXPECT_EQ(mm[0].expected, 0u);
    EXPECT_EQ(mm[0].actual, 0x5A000000ull);
}

// DESIGN.md §2.3 rules 2 and 7: a register that differs is a mismatch; a
// waiver naming backend, kind and register counts it as waived, not hidden.
TEST(CosimModel, RegisterDifferenceAndWaiver) {
    Pair p(false);
    const riommu_backend_ops *b1 = riommu_cosim_backend(p.c, 1);
    ASSERT_EQ(b1->mmio_write(b1->ctx, RIOMMU_REG_ICVEC, 8, 0x1), 0);
    EXPECT_EQ(p.ops.read64(p.ops.ctx, RIOMMU_REG_ICVEC), 0u);
    uint64_t u, w;
    riommu_cosim_counts(p.c, &u, &w);
    EXPECT_EQ(u, 1u);
    EXPECT_TRUE(riommu_cosim_add_waiver(p.c, "icvec-test", "model2", RIOMMU_MM_MMIO_READ,
                                        "icvec"));
    EXPECT_EQ(p.ops.read64(p.ops.ctx, RIOMMU_REG_ICVEC), 0u);
    riommu_cosim_counts(p.c, &u, &w);
    EXPECT_EQ(u, 1u);
    EXPECT_EQ(w, 1u);
    size_t n;
    const riommu_mismatch *mm = riommu_cosim_mismatches(p.c, &n);
    ASSERT_EQ(n, 2u);
    EXPECT_TRUE(mm[1].waived);
    EXPECT_STREQ(mm[1].waiver, "icvec-test");
    EXPECT_NE(std::string(mm[1].where).find("icvec"), std::string::npos);
}

// A malformed request is an answer (BAD_REQUEST on both), not a backend
// error, and no address or data is compared for it.
TEST(CosimModel, BadRequestIsAnAnswerNotABackendError) {
    Pair p;
    ASSERT_EQ(p.init(), RIOMMU_DRV_OK);
    uint8_t buf[8] = {0};
    riommu_request r = req(1u << 24, RIOMMU_READ, 0x1000, 8);
    riommu_response rsp;
    EXPECT_EQ(riommu_cosim_dma(p.c, &r, buf, &rsp), 0u);
    EXPECT_EQ(rsp.status, RIOMMU_RSP_BAD_REQUEST);
    EXPECT_EQ(p.unwaived(), 0u) << p.dump();
}

// riommu_cosim_label: a memory difference inside a labelled region is
// named "NAME +OFFSET" (offset of the 8-byte word within its entry).
TEST(CosimModel, LabelNamesMemoryRecords) {
    Pair p(false);
    ASSERT_EQ(p.init(), RIOMMU_DRV_OK);
    riommu_dma_mem m;
    ASSERT_TRUE(p.ops.alloc(p.ops.ctx, 4096, 4096, &m));
    ASSERT_TRUE(riommu_cosim_label(p.c, m.pa, 4096, 32, "fault-record"));
    const riommu_backend_ops *b1 = riommu_cosim_backend(p.c, 1);
    uint64_t v = 0x1234;
    ASSERT_EQ(b1->mem_write(b1->ctx, m.pa + 32 + 16, &v, 8), 0);
    riommu_cosim_finish(p.c);
    size_t n;
    const riommu_mismatch *mm = riommu_cosim_mismatches(p.c, &n);
    ASSERT_EQ(n, 1u) << p.dump();
    EXPECT_EQ(mm[0].kind, RIOMMU_MM_MEM_FINAL);
    EXPECT_STREQ(mm[0].where, "fault-record +16");
}
