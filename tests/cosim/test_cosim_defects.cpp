// test_cosim_defects.cpp - fault injection (issue 5): a second model with
// one deliberate defect (riommu_config.defects) runs in lockstep with a
// correct reference under a directed driver workload; every defect must
// surface as at least one unwaived mismatch, and the defect-free pair must
// show none. The workload touches what the defects break: faults and their
// records (q "Fault/Event-Queue"), IOTINVAL by PSCID and address and
// IODIR.INVAL_DDT (q "Command-Queue"), A/D updates, canonical IOVAs,
// superpages, U bits (ds "Process to translate an IOVA"), IOFENCE.C data,
// MSIs (regs "msi_cfg_tbl") and an illegal command (regs "cqcsr").
#include <gtest/gtest.h>

#include <cstring>
#include <string>

extern "C" {
#include "riommu/cosim.h"
#include "riommu/drv.h"
#include "riommu/model_backend.h"
}

namespace {

struct Lockstep {
    riommu_cosim *c = nullptr;
    riommu_drv *d = nullptr;
    riommu_hw_ops ops{};
    riommu_drv_heap heap{};
    std::string log;

    explicit Lockstep(uint32_t defects) {
        riommu_config a, b;
        riommu_config_default(&a);
        riommu_config_default(&b);
        b.defects = defects;
        riommu_backend_ops be[2];
        char err[128];
        EXPECT_EQ(riommu_model_backend_create(&a, "model", &be[0], err, sizeof err), 0) << err;
        EXPECT_EQ(riommu_model_backend_create(&b, "faulty", &be[1], err, sizeof err), 0) << err;
        c = riommu_cosim_create(be, 2, nullptr);
        ops = riommu_cosim_hw_ops(c);
        heap = riommu_cosim_heap(c);
    }
    ~Lockstep() {
        riommu_drv_remove(d);
        riommu_cosim_destroy(c);
    }
    riommu_response dma(uint32_t did, riommu_req_access a, uint64_t iova) {
        riommu_request r{};
        r.device_id = did;
        r.access = a;
        r.iova = iova;
        r.len = 16;
        uint8_t buf[16];
        memset(buf, 0xA5, sizeof buf);
        riommu_response rsp{};
        riommu_cosim_dma(c, &r, buf, &rsp);
        return rsp;
    }
    // The directed workload. Returns the number of unwaived mismatches.
    uint64_t workload() {
        // MSI-X as the PCI core programs it (vector v -> data v).
        for (unsigned v = 0; v < 4; v++) {
            ops.write64(ops.ctx, RIOMMU_REG_MSI_ADDR(v), 0x7FFF0000ull + 4 * v);
            ops.write32(ops.ctx, RIOMMU_REG_MSI_DATA(v), v);
            ops.write32(ops.ctx, RIOMMU_REG_MSI_VEC_CTL(v), 0);
        }
        riommu_drv_config dc;
        riommu_drv_config_default(&dc);
        riommu_drv_policy_linux613(&dc.policy); // SADE: hardware A/D updates
        dc.policy.stop_wait_on_cq_error = true;
        dc.policy.polling = true;
        EXPECT_EQ(riommu_drv_init(&ops, &heap, &dc, &d), RIOMMU_DRV_OK);
        uint32_t ida = 0x20, idb = 0x21;
        riommu_drv_dev *a = nullptr, *b = nullptr;
        EXPECT_EQ(riommu_drv_probe(d, &ida, 1, &a), RIOMMU_DRV_OK);
        EXPECT_EQ(riommu_drv_probe(d, &idb, 1, &b), RIOMMU_DRV_OK);
        riommu_drv_domain *d1 = nullptr, *d2 = nullptr;
        EXPECT_EQ(riommu_drv_domain_alloc(d, &d1), RIOMMU_DRV_OK);
        EXPECT_EQ(riommu_drv_domain_alloc(d, &d2), RIOMMU_DRV_OK);
        EXPECT_EQ(riommu_drv_attach(a, d1), RIOMMU_DRV_OK);
        EXPECT_EQ(riommu_drv_attach(b, d2), RIOMMU_DRV_OK);
        uint64_t mapped;
        riommu_drv_map(d1, 0x10000, 0x90000000, 0x4000, RIOMMU_DRV_READ | RIOMMU_DRV_WRITE,
                       &mapped);
        riommu_drv_map(d1, 0x200000, 0x90200000, 0x200000, RIOMMU_DRV_READ, &mapped);
        riommu_drv_map(d2, 0x10000, 0x91000000, 0x1000, RIOMMU_DRV_READ, &mapped);
        // Translations: 4 KiB write (D update through SADE), superpage read.
        dma(0x20, RIOMMU_WRITE, 0x10008);
        dma(0x20, RIOMMU_READ, 0x2345F0);
        // Faults: unmapped read, write to read-only, non-canonical IOVA.
        dma(0x21, RIOMMU_READ, 0x50000);
        dma(0x21, RIOMMU_WRITE, 0x10000);
        dma(0x20, RIOMMU_READ, (1ull << 60) | 0x10008); /* aliases a mapped page */
        riommu_drv_process(d);
        // Cache the 4 KiB pages, then unmap one page (AV invalidation) and
        // the whole d2 mapping through a flush (PSCID invalidation).
        dma(0x20, RIOMMU_READ, 0x11000);
        dma(0x21, RIOMMU_READ, 0x10000);
        riommu_drv_unmap_sync(d1, 0x11000, 0x1000);
        riommu_drv_gather g;
        riommu_drv_gather_init(&g);
        riommu_drv_unmap(d2, 0x10000, 0x1000, &g);
        riommu_drv_flush_all(d2);
        dma(0x20, RIOMMU_READ, 0x11000);
        dma(0x21, RIOMMU_READ, 0x10000);
        riommu_drv_process(d);
        // Blocked domain for b: IODIR.INVAL_DDT must drop its cached DC.
        dma(0x21, RIOMMU_READ, 0x10000);
        riommu_drv_attach(b, riommu_drv_blocked(d));
        dma(0x21, RIOMMU_READ, 0x10000);
        riommu_drv_process(d);
        // A page without U: first clear U in memory via the driver's CPU
        // view of the leaf, published like the driver would.
        uint64_t leafpa = find_leaf(0x20, 0x12000);
        if (leafpa) {
            uint64_t *pte = static_cast<uint64_t *>(heap.phys_to_virt(heap.ctx, leafpa));
            *pte &= ~RIOMMU_PTE_U;
            ops.sync_to_device(ops.ctx, leafpa, 8);
            riommu_drv_unmap_sync(d1, 0x13000, 0x1000); // some invalidation traffic
            dma(0x20, RIOMMU_READ, 0x12000);
            riommu_drv_process(d);
        }
        // IOFENCE.C with AV: the completion write is compared as an event.
        riommu_dma_mem flag;
        EXPECT_TRUE(ops.alloc(ops.ctx, 4096, 4096, &flag));
        riommu_drv_cmd_submit(d, RIOMMU_CMD_OP_IOFENCE | RIOMMU_IOFENCE_AV | (0x1234ull << 32),
                              flag.pa >> 2);
        riommu_drv_cmd_sync(d, 1000000);
        ops.sync_for_cpu(ops.ctx, flag.pa, 4);
        // An illegal command: the queue stops on it; clear and resync.
        riommu_drv_cmd_submit(d, 0, 0);
        riommu_drv_cmd_sync(d, 1000000);
        riommu_drv_process(d);
        riommu_drv_cmd_sync(d, 1000000);
        riommu_drv_release(a);
        riommu_drv_release(b);
        riommu_drv_domain_free(d1);
        riommu_drv_domain_free(d2);
        riommu_cosim_finish(c);
        uint64_t u, w;
        riommu_cosim_counts(c, &u, &w);
        size_t n;
        const riommu_mismatch *m = riommu_cosim_mismatches(c, &n);
        for (size_t i = 0; i < n && i < 4; i++)
            log += std::string(riommu_mm_kind_name(m[i].kind)) + " " + m[i].where + "; ";
        return u;
    }

    // The PA of the 4 KiB leaf PTE mapping `iova` for device `did`: the
    // driver does not expose a domain's root, so it is read from the
    // device's DC (3LVL base-format directory, fsc holds the root PPN).
    uint64_t find_leaf(uint32_t did, uint64_t iova) {
        uint64_t ddtp = ops.read64(ops.ctx, RIOMMU_REG_DDTP);
        uint64_t a = RIOMMU_FIELD_GET(ddtp, RIOMMU_DDTP_PPN) << 12;
        const unsigned idx[2] = {(did >> 16) & 0xFF, (did >> 7) & 0x1FF};
        for (unsigned i = 0; i < 2; i++) {
            uint64_t *e = static_cast<uint64_t *>(heap.phys_to_virt(heap.ctx, a + idx[i] * 8));
            if (!e || !(*e & 1))
                return 0;
            a = RIOMMU_FIELD_GET(*e, RIOMMU_DDTE_PPN) << 12;
        }
        uint64_t *dcp = static_cast<uint64_t *>(heap.phys_to_virt(heap.ctx, a + (did & 0x7F) * 32));
        if (!dcp)
            return 0;
        uint64_t t = RIOMMU_FIELD_GET(dcp[3], RIOMMU_FSC_PPN) << 12;
        unsigned levels = (unsigned)RIOMMU_FIELD_GET(dcp[3], RIOMMU_FSC_MODE) - 5;
        for (int l = (int)levels - 1; l >= 0; l--) {
            uint64_t slot = t + ((iova >> (12 + 9 * l)) & 0x1FF) * 8;
            uint64_t *e = static_cast<uint64_t *>(heap.phys_to_virt(heap.ctx, slot));
            if (!e || !(*e & 1))
                return 0;
            if (l == 0 || (*e & (RIOMMU_PTE_R | RIOMMU_PTE_X)))
                return slot;
            t = RIOMMU_FIELD_GET(*e, RIOMMU_PTE_PPN) << 12;
        }
        return 0;
    }
};

} // namespace

// The workload itself is clean on two correct models.
TEST(CosimDefects, NoDefectNoMismatch) {
    Lockstep r(0);
    EXPECT_EQ(r.workload(), 0u) << r.log;
}

// issue 5 "Fault injection into the reference": each of the 16 defects is
// detected by the directed workload.
TEST(CosimDefects, EveryDefectIsDetected) {
    for (unsigned bit = 0; bit < 16; bit++) {
        uint32_t dfx = 1u << bit;
        Lockstep r(dfx);
        uint64_t n = r.workload();
        EXPECT_GT(n, 0u) << "defect " << riommu_defect_name(dfx) << " went unnoticed";
        if (n)
            std::printf("  %-20s caught: %llu mismatches (%s)\n", riommu_defect_name(dfx),
                        (unsigned long long)n, r.log.c_str());
    }
}
