// drv_expect.h - a cursor over the shim trace for golden tests: each call
// states the next register access, allocation, publication or command the
// notes (linux-driver.md) prescribe, and fails with the record found
// otherwise. Delays are skipped (poll intervals are not part of the
// sequence); polls are consumed by poll()/fence().
#pragma once

#include <gtest/gtest.h>

#include <cinttypes>
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

extern "C" {
#include "riommu/hw_trace.h"
#include "riommu/riommu.h"
}

namespace dt {

// Command encodings, written from linux §2.3 (not from the driver).
namespace cmd {
constexpr uint64_t kFence = 0x3002;                  // IOFENCE.C PR|PW
constexpr uint64_t kInvalDdtAll = 0x3;               // IODIR.INVAL_DDT DV=0
constexpr uint64_t kInvalVmaAll = 0x1;               // IOTINVAL.VMA GV=PSCV=AV=0
inline uint64_t inval_ddt(uint32_t did) {            // DV b33, DID 63:40
    return 0x3ull | (1ull << 33) | ((uint64_t)did << 40);
}
inline uint64_t inval_pscid(uint32_t pscid) {        // PSCV b32, PSCID 31:12
    return 0x1ull | (1ull << 32) | ((uint64_t)pscid << 12);
}
inline uint64_t inval_page(uint32_t pscid) { return inval_pscid(pscid) | (1ull << 10); }
inline uint64_t page_addr(uint64_t iova) { return ((iova >> 12) << 10) & 0x3FFFFFFFFFFFFC00ull; }
} // namespace cmd

inline std::string rec_str(const riommu_trace_rec &r) {
    static const char *names[] = {"r32",  "r64",      "w32",   "w64", "alloc",
                                  "free", "map_phys", "sync",  "sync_cpu",
                                  "delay", "irq",     "irq_ack"};
    char b[200];
    const char *reg = riommu_reg_name(r.off);
    switch (r.op) {
    case RIOMMU_TR_READ32:
    case RIOMMU_TR_READ64:
    case RIOMMU_TR_WRITE32:
    case RIOMMU_TR_WRITE64:
        snprintf(b, sizeof b, "%s %s(0x%x) 0x%" PRIx64, names[r.op], reg ? reg : "?", r.off,
                 r.val);
        break;
    case RIOMMU_TR_SYNC_TO_DEV:
        snprintf(b, sizeof b, "sync 0x%" PRIx64 " +%" PRIu64 " [0x%" PRIx64 " 0x%" PRIx64 "]",
                 r.addr, r.len, r.data[0], r.data[1]);
        break;
    default:
        snprintf(b, sizeof b, "%s addr 0x%" PRIx64 " len %" PRIu64 " val 0x%" PRIx64,
                 names[r.op], r.addr, r.len, r.val);
    }
    return b;
}

class Seq {
  public:
    std::vector<riommu_trace_rec> r;
    size_t i = 0;
    bool failed = false;
    // Command ring (for cmd()/fence()).
    uint64_t cq_base = 0;
    uint32_t cq_mask = 0;
    uint32_t cq_slot = 0;       // next slot the driver fills
    bool fence_reads_cqcsr = false; // mainline: the wait also watches cqcsr
    bool skip_frees = true;

    Seq() = default;
    explicit Seq(std::vector<riommu_trace_rec> recs) : r(std::move(recs)) {}

    bool ok() const { return !failed; }

    const riommu_trace_rec *peek() {
        while (i < r.size() && (r[i].op == RIOMMU_TR_DELAY ||
                                (skip_frees && r[i].op == RIOMMU_TR_FREE)))
            i++;
        return i < r.size() ? &r[i] : nullptr;
    }
    bool fail(const std::string &want) {
        if (failed)
            return false;
        failed = true;
        const riommu_trace_rec *p = peek();
        std::string ctx;
        for (size_t k = i > 3 ? i - 3 : 0; k < r.size() && k < i + 4; k++)
            ctx += (k == i ? "  > " : "    ") + rec_str(r[k]) + "\n";
        ADD_FAILURE() << "trace record " << i << ": expected " << want << ", found "
                      << (p ? rec_str(*p) : std::string("end of trace")) << "\n"
                      << ctx;
        return false;
    }
    static std::string hx(uint64_t v) {
        char b[32];
        snprintf(b, sizeof b, "0x%" PRIx64, v);
        return b;
    }

    bool rd(unsigned size, uint32_t off, uint64_t val) {
        if (failed)
            return false;
        const riommu_trace_rec *p = peek();
        auto op = size == 8 ? RIOMMU_TR_READ64 : RIOMMU_TR_READ32;
        std::string want = std::string(size == 8 ? "r64 " : "r32 ") +
                           (riommu_reg_name(off) ? riommu_reg_name(off) : "?") + " " + hx(val);
        if (!p || p->op != op || p->off != off || p->val != val)
            return fail(want);
        i++;
        return true;
    }
    bool wr(unsigned size, uint32_t off, uint64_t val) {
        if (failed)
            return false;
        const riommu_trace_rec *p = peek();
        auto op = size == 8 ? RIOMMU_TR_WRITE64 : RIOMMU_TR_WRITE32;
        std::string want = std::string(size == 8 ? "w64 " : "w32 ") +
                           (riommu_reg_name(off) ? riommu_reg_name(off) : "?") + " " + hx(val);
        if (!p || p->op != op || p->off != off || p->val != val)
            return fail(want);
        i++;
        return true;
    }
    // Reads of `off` while `busy` is set, then one read equal to `final`.
    bool poll(unsigned size, uint32_t off, uint64_t busy, uint64_t final) {
        if (failed)
            return false;
        auto op = size == 8 ? RIOMMU_TR_READ64 : RIOMMU_TR_READ32;
        for (;;) {
            const riommu_trace_rec *p = peek();
            if (p && p->op == op && p->off == off && (p->val & busy) && p->val != final) {
                i++;
                continue;
            }
            return rd(size, off, final);
        }
    }
    uint64_t alloc(uint64_t len) {
        if (failed)
            return 0;
        const riommu_trace_rec *p = peek();
        if (!p || p->op != RIOMMU_TR_ALLOC || p->len != len || !p->addr) {
            fail("alloc of " + std::to_string(len) + " bytes");
            return 0;
        }
        i++;
        return p->addr;
    }
    bool map_phys(uint64_t pa, uint64_t len) {
        if (failed)
            return false;
        const riommu_trace_rec *p = peek();
        if (!p || p->op != RIOMMU_TR_MAP_PHYS || p->addr != pa || p->len != len)
            return fail("map_phys " + hx(pa) + " +" + std::to_string(len));
        i++;
        return true;
    }
    bool free_(uint64_t pa) {
        if (failed)
            return false;
        const riommu_trace_rec *p = peek();
        if (!p || p->op != RIOMMU_TR_FREE || p->addr != pa)
            return fail("free " + hx(pa));
        i++;
        return true;
    }
    // A publication of exactly [addr, addr+len).
    bool sync(uint64_t addr, uint64_t len) {
        if (failed)
            return false;
        const riommu_trace_rec *p = peek();
        if (!p || p->op != RIOMMU_TR_SYNC_TO_DEV || p->addr != addr || p->len != len)
            return fail("sync " + hx(addr) + " +" + std::to_string(len));
        i++;
        return true;
    }
    // A publication of one 8-byte entry holding `v`.
    bool sync64(uint64_t addr, uint64_t v) {
        if (failed)
            return false;
        const riommu_trace_rec *p = peek();
        if (!p || p->op != RIOMMU_TR_SYNC_TO_DEV || p->addr != addr || p->len != 8 ||
            p->data[0] != v)
            return fail("sync " + hx(addr) + " +8 [" + hx(v) + "]");
        i++;
        return true;
    }
    // A new zeroed table page: allocated, its contents published, and only
    // then the pointer to it (linux §4 item 12). Returns the page's PA.
    uint64_t new_table(uint64_t parent_entry_pa) {
        uint64_t pg = alloc(4096);
        sync(pg, 4096);
        sync64(parent_entry_pa, ((pg >> 12) << 10) | 1);
        return pg;
    }
    // A device-context update (linux §1.8 phase 2): the other DC words are
    // published first, tc (with the valid bit) last. `dc` = {tc, iohgatp,
    // ta, fsc}.
    bool dc_write(uint64_t dcpa, const uint64_t dc[4]) {
        if (failed)
            return false;
        bool covered[4] = {false, false, false, false};
        for (;;) {
            const riommu_trace_rec *p = peek();
            if (!p || p->op != RIOMMU_TR_SYNC_TO_DEV || p->addr < dcpa || p->addr >= dcpa + 32)
                return fail("device-context publication at " + hx(dcpa));
            unsigned w0 = (unsigned)((p->addr - dcpa) / 8);
            unsigned nw = (unsigned)(p->len / 8);
            for (unsigned k = 0; k < nw && k < 2; k++)
                if (p->data[k] != dc[w0 + k])
                    return fail("DC word " + std::to_string(w0 + k) + " = " + hx(dc[w0 + k]));
            if (w0 == 0) {
                if (nw != 1)
                    return fail("tc published alone, after the other words");
                if (!covered[1] || !covered[2] || !covered[3])
                    return fail("iohgatp/ta/fsc published before tc");
                i++;
                return true;
            }
            for (unsigned k = w0; k < w0 + nw && k < 4; k++)
                covered[k] = true;
            i++;
        }
    }
    // One command: its slot published, then the doorbell (linux §1.6 steps
    // 3-6, §4 item 1).
    bool cmd(uint64_t d0, uint64_t d1) {
        if (failed)
            return false;
        const riommu_trace_rec *p = peek();
        uint64_t slot = cq_base + (uint64_t)(cq_slot & cq_mask) * 16u;
        if (!p || p->op != RIOMMU_TR_SYNC_TO_DEV || p->addr != slot || p->len != 16 ||
            p->data[0] != d0 || p->data[1] != d1)
            return fail("command [" + hx(d0) + " " + hx(d1) + "] published at " + hx(slot));
        i++;
        cq_slot++;
        return wr(4, RIOMMU_REG_CQT, cq_slot & cq_mask);
    }
    // IOFENCE.C then the wait: cqh polled (and cqcsr in mainline) until it
    // passes the fence (linux §1.6 sync).
    bool fence() {
        if (!cmd(cmd::kFence, 0))
            return false;
        uint32_t want = cq_slot & cq_mask;
        for (;;) {
            const riommu_trace_rec *p = peek();
            if (p && p->op == RIOMMU_TR_READ32 && p->off == RIOMMU_REG_CQH) {
                i++;
                if (p->val == want)
                    return true;
                continue;
            }
            if (fence_reads_cqcsr && p && p->op == RIOMMU_TR_READ32 &&
                p->off == RIOMMU_REG_CQCSR && !(p->val & 0x700)) {
                i++;
                continue;
            }
            return fail("fence wait: r32 cqh until " + hx(want));
        }
    }
    bool end() {
        if (failed)
            return false;
        if (peek())
            return fail("end of trace");
        return true;
    }
};

} // namespace dt
