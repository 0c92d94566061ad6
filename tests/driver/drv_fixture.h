// drv_fixture.h - runs the reference driver on the model through the
// model-backed shim, with every shim operation traced. Tests name the
// linux-driver.md step ("linux §N") or spec section they check.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

extern "C" {
#include "riommu/drv.h"
#include "riommu/hw_model.h"
#include "riommu/hw_trace.h"
#include "riommu/memhost.h"
#include "riommu/riommu.h"
}

namespace dt {

class DrvTest : public ::testing::Test {
  protected:
    riommu_config mcfg{};
    riommu_drv_config dcfg{};
    riommu *m = nullptr;
    memhost *mem = nullptr;
    riommu_hwm *hwm = nullptr;
    riommu_hw_trace *tr = nullptr;
    riommu_drv *d = nullptr;
    riommu_hw_ops ops{};
    riommu_drv_heap heap{};
    std::vector<riommu_drv_event> events;

    void SetUp() override {
        riommu_config_default(&mcfg);
        riommu_drv_config_default(&dcfg);
        dcfg.event = [](void *c, const riommu_drv_event *ev) {
            static_cast<DrvTest *>(c)->events.push_back(*ev);
        };
        dcfg.event_ctx = this;
    }
    void TearDown() override {
        if (d)
            riommu_drv_remove(d);
        riommu_hw_trace_destroy(tr);
        riommu_hwm_destroy(hwm);
        riommu_destroy(m);
        memhost_destroy(mem);
    }
    // Model, memory, shim and tracer from mcfg; MSI-X programmed like the
    // PCI core does (vector v: data v).
    void Boot() {
        mem = memhost_create(0);
        ASSERT_NE(mem, nullptr);
        riommu_host_ops host = memhost_ops(mem);
        char err[200];
        m = riommu_create(&mcfg, &host, err, sizeof err);
        ASSERT_NE(m, nullptr) << err;
        hwm = riommu_hwm_create(m, mem, nullptr);
        ASSERT_NE(hwm, nullptr);
        if (RIOMMU_FIELD_GET(mcfg.capabilities, RIOMMU_CAP_IGS) != RIOMMU_IGS_WSI)
            riommu_hwm_setup_msi(hwm, 4);
        riommu_hw_ops inner = riommu_hwm_ops(hwm);
        heap = riommu_hwm_heap(hwm);
        tr = riommu_hw_trace_create(&inner, &heap, true);
        ASSERT_NE(tr, nullptr);
        ops = riommu_hw_trace_ops(tr);
    }
    riommu_drv_err Init() {
        if (!m)
            Boot();
        return riommu_drv_init(&ops, &heap, &dcfg, &d);
    }
    // Device DMA through the model.
    riommu_response dma(uint32_t did, riommu_req_access acc, uint64_t iova, void *buf,
                        uint32_t len) {
        riommu_request req{};
        req.device_id = did;
        req.access = acc;
        req.iova = iova;
        req.len = len;
        riommu_response rsp{};
        riommu_dma(m, &req, buf, &rsp);
        return rsp;
    }
    std::vector<riommu_trace_rec> trace() {
        size_t n;
        const riommu_trace_rec *r = riommu_hw_trace_records(tr, &n);
        return std::vector<riommu_trace_rec>(r, r + n);
    }
    // Commands published to the command queue, in order (from the trace).
    std::vector<std::pair<uint64_t, uint64_t>> commands() {
        std::vector<std::pair<uint64_t, uint64_t>> out;
        uint64_t cqb = 0;
        riommu_mmio_read(m, RIOMMU_REG_CQB, 8, &cqb);
        uint64_t base = RIOMMU_FIELD_GET(cqb, RIOMMU_QB_PPN) << 12;
        uint64_t size = 16ull << ((cqb & 0x1F) + 1);
        for (auto &r : trace())
            if (r.op == RIOMMU_TR_SYNC_TO_DEV && r.addr >= base && r.addr < base + size &&
                r.len == 16)
                out.push_back({r.data[0], r.data[1]});
        return out;
    }
    unsigned count_events(riommu_drv_event_kind k) {
        unsigned n = 0;
        for (auto &e : events)
            n += e.kind == k;
        return n;
    }

    // ---- helpers added for the golden / review / policy suites ----------

    // Boot() with a non-default shim configuration (e.g. a DMA window above
    // 16 GiB).
    void BootWith(const riommu_hwm_config &hc) {
        mem = memhost_create(0);
        ASSERT_NE(mem, nullptr);
        riommu_host_ops host = memhost_ops(mem);
        char err[200];
        m = riommu_create(&mcfg, &host, err, sizeof err);
        ASSERT_NE(m, nullptr) << err;
        hwm = riommu_hwm_create(m, mem, &hc);
        ASSERT_NE(hwm, nullptr);
        if (RIOMMU_FIELD_GET(mcfg.capabilities, RIOMMU_CAP_IGS) != RIOMMU_IGS_WSI)
            riommu_hwm_setup_msi(hwm, 4);
        riommu_hw_ops inner = riommu_hwm_ops(hwm);
        heap = riommu_hwm_heap(hwm);
        tr = riommu_hw_trace_create(&inner, &heap, true);
        ASSERT_NE(tr, nullptr);
        ops = riommu_hw_trace_ops(tr);
    }
    // Tear everything down; the next Init() boots a fresh model (mcfg).
    void Reboot() {
        if (d)
            riommu_drv_remove(d);
        d = nullptr;
        riommu_hw_trace_destroy(tr);
        tr = nullptr;
        riommu_hwm_destroy(hwm);
        hwm = nullptr;
        riommu_destroy(m);
        m = nullptr;
        memhost_destroy(mem);
        mem = nullptr;
        ops = riommu_hw_ops{};
        events.clear();
    }
    // Raw register access to the model (presetting state before Init).
    void mw(uint32_t off, unsigned size, uint64_t v) { riommu_mmio_write(m, off, size, v); }
    uint64_t mr(uint32_t off, unsigned size = 8) {
        uint64_t v = 0;
        riommu_mmio_read(m, off, size, &v);
        return v;
    }
    // A device probed and attached to a fresh paging domain.
    riommu_drv_dev *probe_attach(uint32_t id, riommu_drv_domain **dom) {
        riommu_drv_dev *dev = nullptr;
        EXPECT_EQ(riommu_drv_probe(d, &id, 1, &dev), RIOMMU_DRV_OK);
        if (dom && !*dom) {
            EXPECT_EQ(riommu_drv_domain_alloc(d, dom), RIOMMU_DRV_OK);
        }
        if (dev && dom && *dom) {
            EXPECT_EQ(riommu_drv_attach(dev, *dom), RIOMMU_DRV_OK);
        }
        return dev;
    }
    // Map one range and check the byte count.
    void map(riommu_drv_domain *dom, uint64_t iova, uint64_t pa, uint64_t size,
             unsigned prot = RIOMMU_DRV_READ | RIOMMU_DRV_WRITE) {
        uint64_t mapped = 0;
        EXPECT_EQ(riommu_drv_map(dom, iova, pa, size, prot, &mapped), RIOMMU_DRV_OK);
        EXPECT_EQ(mapped, size);
    }
    // Commands in the trace whose dword0 matches (d0 & mask) == want.
    unsigned count_cmds(uint64_t mask, uint64_t want) {
        unsigned n = 0;
        for (auto &c : commands())
            n += (c.first & mask) == want;
        return n;
    }
    // Index of the first trace record satisfying pred at or after `from`,
    // or SIZE_MAX.
    template <class P> size_t find_rec(const std::vector<riommu_trace_rec> &t, P pred,
                                       size_t from = 0) {
        for (size_t k = from; k < t.size(); k++)
            if (pred(t[k]))
                return k;
        return SIZE_MAX;
    }
};

} // namespace dt
