// test_cosim_settle.cpp - a backend that fails while settling (the RTL
// harness's watchdog or AXI checker firing in settle(), which returns no
// error) is reported as a BACKEND_ERROR record naming the failure, before
// the event differences it caused (cosim.h rule 6; docs/rtl-harness.md
// "Backend behaviour": a DUT that violates the protocol or hangs gets a
// clear error naming the port and the cycle; issue 6).
#include <gtest/gtest.h>

#include <cstring>
#include <string>

extern "C" {
#include "riommu/cosim.h"
#include "riommu/model_backend.h"
}

namespace {

// A model backend whose settle() can be made to "fail": it then sets
// last_error, as the RTL backend does, and logs no events.
struct FailingSettle {
    riommu_backend_ops inner{};
    bool fail = false;
    std::string err;
};

uint64_t fs_settle(void *ctx)
{
    auto *f = static_cast<FailingSettle *>(ctx);
    if (f->fail)
        f->err = "AXI protocol violation on port m_mem, rule wlast-missing, cycle 1234";
    return f->inner.settle(f->inner.ctx);
}

const char *fs_last_error(void *ctx) { return static_cast<FailingSettle *>(ctx)->err.c_str(); }

void fs_destroy(void *ctx)
{
    auto *f = static_cast<FailingSettle *>(ctx);
    f->inner.destroy(f->inner.ctx);
    delete f;
}

#define FS_FWD(ret, name, params, args)                                                   \
    ret fs_##name params { auto *f = static_cast<FailingSettle *>(ctx); return f->inner.name args; }
FS_FWD(int, mmio_read, (void *ctx, uint32_t o, unsigned s, uint64_t *v), (f->inner.ctx, o, s, v))
FS_FWD(int, mmio_write, (void *ctx, uint32_t o, unsigned s, uint64_t v), (f->inner.ctx, o, s, v))
FS_FWD(int, mem_write, (void *ctx, uint64_t pa, const void *b, size_t l), (f->inner.ctx, pa, b, l))
FS_FWD(int, mem_read, (void *ctx, uint64_t pa, void *b, size_t l), (f->inner.ctx, pa, b, l))
FS_FWD(int, dma, (void *ctx, const riommu_request *r, void *b, riommu_response *o),
       (f->inner.ctx, r, b, o))
FS_FWD(size_t, events, (void *ctx, riommu_event *o, size_t m), (f->inner.ctx, o, m))
#undef FS_FWD
void fs_caps(void *ctx, riommu_backend_caps *o)
{
    auto *f = static_cast<FailingSettle *>(ctx);
    f->inner.caps(f->inner.ctx, o);
}

struct Engine {
    riommu_cosim *c = nullptr;
    FailingSettle *fs = nullptr;
    Engine()
    {
        riommu_config cfg;
        riommu_config_default(&cfg);
        riommu_backend_ops be[2];
        char err[128];
        EXPECT_EQ(riommu_model_backend_create(&cfg, "model", &be[0], err, sizeof err), 0) << err;
        fs = new FailingSettle;
        EXPECT_EQ(riommu_model_backend_create(&cfg, "dut", &fs->inner, err, sizeof err), 0) << err;
        be[1] = fs->inner;
        be[1].ctx = fs;
        be[1].caps = fs_caps;
        be[1].mmio_read = fs_mmio_read;
        be[1].mmio_write = fs_mmio_write;
        be[1].mem_write = fs_mem_write;
        be[1].mem_read = fs_mem_read;
        be[1].dma = fs_dma;
        be[1].settle = fs_settle;
        be[1].events = fs_events;
        be[1].destroy = fs_destroy;
        be[1].last_error = fs_last_error;
        c = riommu_cosim_create(be, 2, nullptr);
    }
    ~Engine() { riommu_cosim_destroy(c); }
};

TEST(CosimSettle, CleanSettleRecordsNothing)
{
    Engine e;
    riommu_cosim_settle(e.c);
    size_t n;
    riommu_cosim_mismatches(e.c, &n);
    EXPECT_EQ(n, 0u);
}

TEST(CosimSettle, FailureWhileSettlingIsABackendErrorNamingPortAndCycle)
{
    Engine e;
    e.fs->fail = true;
    riommu_cosim_settle(e.c);
    riommu_cosim_settle(e.c); // the same sticky error is not recorded twice
    size_t n;
    const riommu_mismatch *mm = riommu_cosim_mismatches(e.c, &n);
    ASSERT_EQ(n, 1u);
    EXPECT_EQ(mm[0].kind, RIOMMU_MM_BACKEND_ERROR);
    EXPECT_EQ(mm[0].backend, 1u);
    EXPECT_EQ(std::string(mm[0].where).rfind("settle: AXI protocol violation on port m_mem", 0),
              0u)
        << mm[0].where;
}

} // namespace
