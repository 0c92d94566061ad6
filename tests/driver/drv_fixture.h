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
};

} // namespace dt
