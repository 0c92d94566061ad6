// fixture.h - test fixture for libriommu: a sparse memory host with fault
// injection and event logs, plus builders for device directories, page
// tables and queues, so that tests read as short write / read / expect
// scripts. Every test names the spec section it checks (see
// ../shared/spec/; "regs" = register chapter, "ds" = data structures,
// "q" = in-memory queues, "ext" = extensions, "linux" = linux-driver notes).
#pragma once

#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <cstring>
#include <map>
#include <set>
#include <string>
#include <vector>

extern "C" {
#include "riommu/riommu.h"
}

namespace rt {

// Physical memory: 4 KiB pages allocated on first touch (reads of untouched
// memory return zeros). Addresses in `fault` ranges give access faults,
// in `poison` ranges data corruption. Every write is logged.
struct Memory {
    std::map<uint64_t, std::array<uint8_t, 4096>> pages;
    std::vector<std::pair<uint64_t, uint64_t>> fault, poison; // [lo, hi)
    struct Write {
        uint64_t pa;
        std::vector<uint8_t> bytes;
        riommu_access_kind kind;
    };
    std::vector<Write> writes;
    std::vector<std::pair<uint64_t, riommu_access_kind>> reads;
    bool log_reads = false;

    static bool in(const std::vector<std::pair<uint64_t, uint64_t>> &r, uint64_t pa,
                   size_t len) {
        for (auto &x : r)
            if (pa < x.second && pa + len > x.first)
                return true;
        return false;
    }
    uint8_t *byte(uint64_t pa) { return &pages[pa & ~0xFFFull][pa & 0xFFF]; }
    void read(uint64_t pa, void *buf, size_t len) {
        auto *b = static_cast<uint8_t *>(buf);
        for (size_t i = 0; i < len; i++) {
            auto it = pages.find((pa + i) & ~0xFFFull);
            b[i] = it == pages.end() ? 0 : it->second[(pa + i) & 0xFFF];
        }
    }
    void write(uint64_t pa, const void *buf, size_t len) {
        auto *b = static_cast<const uint8_t *>(buf);
        for (size_t i = 0; i < len; i++)
            *byte(pa + i) = b[i];
    }
    uint64_t r64(uint64_t pa) {
        uint64_t v;
        read(pa, &v, 8);
        return v;
    }
    uint32_t r32(uint64_t pa) {
        uint32_t v;
        read(pa, &v, 4);
        return v;
    }
    void w64(uint64_t pa, uint64_t v) { write(pa, &v, 8); }
    void w32(uint64_t pa, uint32_t v) { write(pa, &v, 4); }
    size_t count_writes(riommu_access_kind k) const {
        size_t n = 0;
        for (auto &w : writes)
            n += w.kind == k;
        return n;
    }
};

struct Msi {
    uint64_t addr;
    uint32_t data;
};

// Dword pair of one command.
struct Cmd {
    uint64_t d0, d1;
};

// Command encodings (q "Command-Queue"; Linux encodings in linux §2.3).
// A reproducible stream of pseudo-random numbers for request mixes
// (xorshift32; the seed must not be 0).
struct XorShift32 {
    uint32_t s;
    uint32_t operator()() {
        s ^= s << 13;
        s ^= s >> 17;
        s ^= s << 5;
        return s;
    }
};

inline Cmd iotinval_vma(bool gv = false, uint32_t gscid = 0, bool pscv = false,
                        uint32_t pscid = 0, bool av = false, uint64_t addr = 0) {
    uint64_t d0 = RIOMMU_CMD_OP_IOTINVAL;
    if (av) d0 |= RIOMMU_IOTINVAL_AV;
    if (pscv) d0 |= RIOMMU_IOTINVAL_PSCV | RIOMMU_FIELD_PREP(RIOMMU_IOTINVAL_PSCID, pscid);
    if (gv) d0 |= RIOMMU_IOTINVAL_GV | RIOMMU_FIELD_PREP(RIOMMU_IOTINVAL_GSCID, gscid);
    return {d0, av ? ((addr >> 12) << 10) : 0};
}
inline Cmd iofence(bool pr = true, bool pw = true, bool av = false, uint64_t addr = 0,
                   uint32_t data = 0, bool wsi = false) {
    uint64_t d0 = RIOMMU_CMD_OP_IOFENCE;
    if (pr) d0 |= RIOMMU_IOFENCE_PR;
    if (pw) d0 |= RIOMMU_IOFENCE_PW;
    if (wsi) d0 |= RIOMMU_IOFENCE_WSI;
    if (av) d0 |= RIOMMU_IOFENCE_AV | ((uint64_t)data << 32);
    return {d0, av ? addr >> 2 : 0};
}
inline Cmd iodir_inval_ddt(bool dv = false, uint32_t did = 0) {
    uint64_t d0 = RIOMMU_CMD_OP_IODIR;
    if (dv) d0 |= RIOMMU_IODIR_DV | RIOMMU_FIELD_PREP(RIOMMU_IODIR_DID, did);
    return {d0, 0};
}

// PTE bits shorthand.
constexpr uint64_t V = RIOMMU_PTE_V, R = RIOMMU_PTE_R, W = RIOMMU_PTE_W,
                   X = RIOMMU_PTE_X, U = RIOMMU_PTE_U, G = RIOMMU_PTE_G,
                   A = RIOMMU_PTE_A, D = RIOMMU_PTE_D;
constexpr uint64_t RWUAD = V | R | W | U | A | D;
inline uint64_t pte_leaf(uint64_t pa, uint64_t flags) { return ((pa >> 12) << 10) | flags; }
inline uint64_t pte_table(uint64_t pa) { return ((pa >> 12) << 10) | V; }

class ModelTest : public ::testing::Test {
  protected:
    riommu_config cfg{};
    riommu *m = nullptr;
    Memory mem;
    std::vector<Msi> msis;
    std::vector<std::pair<unsigned, bool>> wire_log;
    uint16_t wires = 0;
    uint64_t next_page = 0x80000000ull; // bump allocator for tables
    bool msi_fault = false;
    // Give the model direct page pointers (riommu_host_ops.mem_page) for
    // pages that exist, outside the fault and poison ranges, while reads
    // are not logged; `page_reads` counts the pointers given.
    bool host_pages = false;
    uint64_t page_reads = 0;
    // With host_pages: also promise the pointers last until
    // riommu_invalidate_pages (RIOMMU_HOST_STABLE_PAGES). A test that then
    // changes fault, poison or log_reads calls riommu_invalidate_pages.
    bool stable_pages = false;

    void SetUp() override { riommu_config_default(&cfg); }
    // Start over inside one test: no model, empty memory, the table
    // allocator and the page-pointer count back at their start, the
    // default configuration (edit cfg, then Create()).
    void fresh_world() {
        riommu_destroy(m);
        m = nullptr;
        mem = Memory{};
        next_page = 0x80000000ull;
        page_reads = 0;
        riommu_config_default(&cfg);
    }
    void TearDown() override { riommu_destroy(m); }

    // Create the model from `cfg` (tests edit cfg first). Fails the test if
    // the configuration is rejected.
    void Create() {
        riommu_host_ops ops{};
        ops.ctx = this;
        ops.mem_read = [](void *c, uint64_t pa, void *buf, size_t len,
                          riommu_access_kind k) -> riommu_mem_status {
            auto *t = static_cast<ModelTest *>(c);
            if (t->mem.log_reads)
                t->mem.reads.push_back({pa, k});
            if (Memory::in(t->mem.fault, pa, len))
                return RIOMMU_MEM_ACCESS_FAULT;
            if (Memory::in(t->mem.poison, pa, len))
                return RIOMMU_MEM_DATA_CORRUPTION;
            t->mem.read(pa, buf, len);
            return RIOMMU_MEM_OK;
        };
        ops.mem_write = [](void *c, uint64_t pa, const void *buf, size_t len,
                           riommu_access_kind k) -> riommu_mem_status {
            auto *t = static_cast<ModelTest *>(c);
            if (Memory::in(t->mem.fault, pa, len))
                return RIOMMU_MEM_ACCESS_FAULT;
            t->mem.write(pa, buf, len);
            auto *b = static_cast<const uint8_t *>(buf);
            t->mem.writes.push_back({pa, std::vector<uint8_t>(b, b + len), k});
            return RIOMMU_MEM_OK;
        };
        if (host_pages && stable_pages)
            ops.flags = RIOMMU_HOST_STABLE_PAGES;
        if (host_pages)
            ops.mem_page = [](void *c, uint64_t pa, riommu_access_kind) -> const void * {
                auto *t = static_cast<ModelTest *>(c);
                auto it = t->mem.pages.find(pa & ~0xFFFull);
                if (t->mem.log_reads || it == t->mem.pages.end() ||
                    Memory::in(t->mem.fault, pa, 4096 - (pa & 0xFFF)) ||
                    Memory::in(t->mem.poison, pa, 4096 - (pa & 0xFFF)))
                    return nullptr;
                t->page_reads++;
                return &it->second[pa & 0xFFF];
            };
        ops.wire = [](void *c, unsigned v, bool level) {
            auto *t = static_cast<ModelTest *>(c);
            t->wire_log.push_back({v, level});
            if (level)
                t->wires |= (uint16_t)(1u << v);
            else
                t->wires &= (uint16_t)~(1u << v);
        };
        ops.msi = [](void *c, uint64_t addr, uint32_t data) -> riommu_mem_status {
            auto *t = static_cast<ModelTest *>(c);
            if (t->msi_fault)
                return RIOMMU_MEM_ACCESS_FAULT;
            t->msis.push_back({addr, data});
            return RIOMMU_MEM_OK;
        };
        char err[256];
        m = riommu_create(&cfg, &ops, err, sizeof err);
        ASSERT_NE(m, nullptr) << err;
    }

    // --- MMIO -------------------------------------------------------------
    uint64_t rd64(uint32_t off) {
        uint64_t v = 0;
        EXPECT_EQ(riommu_mmio_read(m, off, 8, &v), RIOMMU_MMIO_OK) << "rd64 " << off;
        return v;
    }
    uint32_t rd32(uint32_t off) {
        uint64_t v = 0;
        EXPECT_EQ(riommu_mmio_read(m, off, 4, &v), RIOMMU_MMIO_OK) << "rd32 " << off;
        return (uint32_t)v;
    }
    void wr64(uint32_t off, uint64_t v) {
        EXPECT_EQ(riommu_mmio_write(m, off, 8, v), RIOMMU_MMIO_OK) << "wr64 " << off;
    }
    void wr32(uint32_t off, uint32_t v) {
        EXPECT_EQ(riommu_mmio_write(m, off, 4, v), RIOMMU_MMIO_OK) << "wr32 " << off;
    }
    uint64_t settle() { return riommu_settle(m); }

    // --- memory -----------------------------------------------------------
    // A zeroed, 4 KiB aligned page (or `n` contiguous pages, aligned to
    // `align` bytes) from the bump allocator.
    uint64_t alloc(unsigned n = 1, uint64_t align = 4096) {
        next_page = (next_page + align - 1) & ~(align - 1);
        uint64_t pa = next_page;
        next_page += 4096ull * n;
        for (unsigned i = 0; i < n; i++)
            mem.pages[pa + 4096ull * i].fill(0);
        return pa;
    }

    // --- device directory (ds "Device-Directory-Table") ---------------------
    uint64_t ddt_root = 0;
    unsigned ddt_mode = 0;
    bool ext_dc() const { return (cfg.capabilities & RIOMMU_CAP_MSI_FLAT) != 0; }

    // Allocate a root, program ddtp with `mode` (1LVL..3LVL), wait for BUSY.
    void setup_ddt(unsigned mode = RIOMMU_DDTP_MODE_3LVL) {
        ddt_root = alloc();
        ddt_mode = mode;
        wr64(RIOMMU_REG_DDTP, ((ddt_root >> 12) << 10) | mode);
        settle();
        ASSERT_EQ(rd64(RIOMMU_REG_DDTP) & RIOMMU_DDTP_MODE, mode);
    }
    // Address of the DC of `did`, creating missing directory levels.
    uint64_t dc_addr(uint32_t did) {
        bool ext = ext_dc();
        unsigned ddi[3];
        if (ext) {
            ddi[0] = did & 0x3F; ddi[1] = (did >> 6) & 0x1FF; ddi[2] = (did >> 15) & 0x1FF;
        } else {
            ddi[0] = did & 0x7F; ddi[1] = (did >> 7) & 0x1FF; ddi[2] = (did >> 16) & 0xFF;
        }
        unsigned levels = ddt_mode - RIOMMU_DDTP_MODE_1LVL + 1;
        uint64_t a = ddt_root;
        for (int i = (int)levels - 1; i > 0; i--) {
            uint64_t e = mem.r64(a + ddi[i] * 8ull);
            if (!(e & 1)) {
                uint64_t n = alloc();
                e = ((n >> 12) << 10) | 1;
                mem.w64(a + ddi[i] * 8ull, e);
            }
            a = ((e >> 10) & ((1ull << 44) - 1)) << 12;
        }
        return a + ddi[0] * (ext ? 64ull : 32ull);
    }
    // Write a device context (words beyond 4 only in extended format).
    void set_dc(uint32_t did, uint64_t tc, uint64_t iohgatp, uint64_t ta, uint64_t fsc,
                uint64_t msiptp = 0, uint64_t mask = 0, uint64_t pattern = 0) {
        uint64_t a = dc_addr(did);
        mem.w64(a, tc);
        mem.w64(a + 8, iohgatp);
        mem.w64(a + 16, ta);
        mem.w64(a + 24, fsc);
        if (ext_dc()) {
            mem.w64(a + 32, msiptp);
            mem.w64(a + 40, mask);
            mem.w64(a + 48, pattern);
            mem.w64(a + 56, 0);
        }
    }

    // --- first-stage page tables (Privileged spec Sv39/48/57) ----------------
    // A root table for `mode` (8 Sv39, 9 Sv48, 10 Sv57); returns its PA.
    uint64_t new_root() { return alloc(); }
    static unsigned levels_of(unsigned mode) { return mode == 8 ? 3 : mode == 9 ? 4 : 5; }
    // Map `iova` -> `pa` with a leaf at `level` (0 = 4 KiB) carrying
    // `flags`; intermediate tables are created. Returns the leaf PTE address.
    uint64_t map(uint64_t root, unsigned mode, uint64_t iova, uint64_t pa, uint64_t flags,
                 unsigned level = 0) {
        uint64_t a = root;
        for (int i = (int)levels_of(mode) - 1; i > (int)level; i--) {
            uint64_t slot = a + ((iova >> (12 + 9 * i)) & 0x1FF) * 8;
            uint64_t e = mem.r64(slot);
            if (!(e & V)) {
                uint64_t n = alloc();
                e = pte_table(n);
                mem.w64(slot, e);
            }
            a = ((e >> 10) & ((1ull << 44) - 1)) << 12;
        }
        uint64_t slot = a + ((iova >> (12 + 9 * level)) & 0x1FF) * 8;
        mem.w64(slot, pte_leaf(pa, flags));
        return slot;
    }
    // DC for a device translated by a first-stage table (PDTV=0).
    void attach_s1(uint32_t did, uint64_t root, unsigned mode, uint32_t pscid,
                   uint64_t extra_tc = 0) {
        set_dc(did, RIOMMU_DC_TC_V | extra_tc, 0,
               RIOMMU_FIELD_PREP(RIOMMU_DC_TA_PSCID, pscid),
               RIOMMU_FIELD_PREP(RIOMMU_FSC_MODE, mode) | (root >> 12));
    }

    // --- queues (q "In-memory queue interface") -------------------------------
    uint64_t cq_base = 0, fq_base = 0;
    uint32_t cq_mask = 0, fq_mask = 0;

    void enable_cq(unsigned log2szm1 = 5, uint32_t csr_extra = 0) {
        unsigned n = 2u << log2szm1;
        unsigned pages = (n * 16 + 4095) / 4096;
        cq_base = alloc(pages, n * 16 > 4096 ? n * 16 : 4096);
        cq_mask = n - 1;
        wr64(RIOMMU_REG_CQB, ((cq_base >> 12) << 10) | log2szm1);
        wr32(RIOMMU_REG_CQT, 0);
        wr32(RIOMMU_REG_CQCSR, RIOMMU_CQCSR_CQEN | csr_extra);
        settle();
        ASSERT_TRUE(rd32(RIOMMU_REG_CQCSR) & RIOMMU_CQCSR_CQON);
    }
    // Write one command at cqt and ring the doorbell (no settle).
    void submit(Cmd c) {
        uint32_t t = rd32(RIOMMU_REG_CQT);
        mem.w64(cq_base + t * 16ull, c.d0);
        mem.w64(cq_base + t * 16ull + 8, c.d1);
        wr32(RIOMMU_REG_CQT, (t + 1) & cq_mask);
    }
    // Submit, then settle; returns cqh afterwards.
    uint32_t run(Cmd c) {
        submit(c);
        settle();
        return rd32(RIOMMU_REG_CQH);
    }
    void enable_fq(unsigned log2szm1 = 5, uint32_t csr_extra = 0) {
        unsigned n = 2u << log2szm1;
        unsigned pages = (n * 32 + 4095) / 4096;
        fq_base = alloc(pages, n * 32 > 4096 ? n * 32 : 4096);
        fq_mask = n - 1;
        wr64(RIOMMU_REG_FQB, ((fq_base >> 12) << 10) | log2szm1);
        wr32(RIOMMU_REG_FQH, 0);
        wr32(RIOMMU_REG_FQCSR, RIOMMU_FQCSR_FQEN | csr_extra);
        settle();
        ASSERT_TRUE(rd32(RIOMMU_REG_FQCSR) & RIOMMU_FQCSR_FQON);
    }
    struct FaultRec {
        unsigned cause, ttyp, did, pid;
        bool pv, priv;
        uint64_t iotval, iotval2;
    };
    // Pop every record between fqh and fqt (advances fqh).
    std::vector<FaultRec> drain_faults() {
        std::vector<FaultRec> out;
        uint32_t h = rd32(RIOMMU_REG_FQH), t = rd32(RIOMMU_REG_FQT);
        while (h != t) {
            uint64_t a = fq_base + h * 32ull;
            uint64_t hdr = mem.r64(a);
            FaultRec r;
            r.cause = (unsigned)(hdr & 0xFFF);
            r.pid = (unsigned)((hdr >> 12) & 0xFFFFF);
            r.pv = (hdr >> 32) & 1;
            r.priv = (hdr >> 33) & 1;
            r.ttyp = (unsigned)((hdr >> 34) & 0x3F);
            r.did = (unsigned)(hdr >> 40);
            r.iotval = mem.r64(a + 16);
            r.iotval2 = mem.r64(a + 24);
            out.push_back(r);
            h = (h + 1) & fq_mask;
        }
        wr32(RIOMMU_REG_FQH, h);
        return out;
    }

    // --- requests ------------------------------------------------------------
    riommu_response xlate(uint32_t did, uint64_t iova, riommu_req_access acc = RIOMMU_READ,
                          riommu_req_kind kind = RIOMMU_REQ_UNTRANSLATED, bool pv = false,
                          uint32_t pid = 0, bool priv = false) {
        riommu_request req{};
        req.device_id = did;
        req.iova = iova;
        req.access = acc;
        req.kind = kind;
        req.pv = pv;
        req.process_id = pid;
        req.priv = priv;
        req.len = 4;
        riommu_response rsp{};
        riommu_translate(m, &req, &rsp);
        return rsp;
    }
    // Expect a fault with `cause`; returns the response.
    riommu_response expect_fault(uint32_t did, uint64_t iova, riommu_req_access acc,
                                 unsigned cause) {
        riommu_response r = xlate(did, iova, acc);
        EXPECT_EQ(r.status, RIOMMU_RSP_FAULT) << "iova 0x" << std::hex << iova;
        EXPECT_EQ(r.cause, cause) << "iova 0x" << std::hex << iova;
        return r;
    }
    riommu_response expect_ok(uint32_t did, uint64_t iova, riommu_req_access acc,
                              uint64_t pa) {
        riommu_response r = xlate(did, iova, acc);
        EXPECT_EQ(r.status, RIOMMU_RSP_OK)
            << "iova 0x" << std::hex << iova << " cause " << std::dec << r.cause;
        EXPECT_EQ(r.pa, pa) << "iova 0x" << std::hex << iova;
        return r;
    }
    riommu_stats stats() {
        riommu_stats s;
        riommu_get_stats(m, &s);
        return s;
    }
};

} // namespace rt
