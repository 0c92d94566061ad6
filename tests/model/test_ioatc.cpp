// test_ioatc.cpp - the IOMMU address-translation caches (ds "Caching
// in-memory data structures"; q "IOMMU Page-Table cache invalidation
// commands", "IOTINVAL.VMA operands and operations", "IOMMU directory cache
// invalidation commands"; ext "Non-leaf PTE Invalidation Extension", "Address
// Range Invalidation Extension"; linux §2.4 item 8 and §4 item 10).
//
// Cache contents are observed through the backdoor (riommu_iotlb_contains,
// riommu_walkc_contains, riommu_ddtc_contains, riommu_cache_occupancy) and
// through the q "IOTINVAL.VMA" note: "an implementation may use any
// translation for an address that was valid at any time since the most
// recent IOTINVAL that subsumes that address" - so a stale translation is a
// legal, and for this model the expected, result until the invalidation.
#include "fixture.h"

#include <algorithm>
#include <tuple>

using namespace rt;

namespace {

// Bring-up used by most tests: model, CQ, FQ, 3-level DDT.
#define BRINGUP()                                                              \
    ASSERT_NO_FATAL_FAILURE({                                                  \
        Create();                                                              \
        enable_cq();                                                           \
        enable_fq();                                                           \
        setup_ddt();                                                           \
    })

constexpr unsigned SV39 = RIOMMU_IOSATP_MODE_SV39;

Cmd with_nl(Cmd c) {
    c.d0 |= RIOMMU_IOTINVAL_NL;
    return c;
}
// IOTINVAL.VMA with the S (range) bit and an already NAPOT-encoded
// ADDR[63:12] value (ext "Address Range Invalidation Extension").
Cmd range_inval(bool pscv, uint32_t pscid, uint64_t napot_vpn) {
    Cmd c = iotinval_vma(false, 0, pscv, pscid, true, 0);
    c.d1 = RIOMMU_FIELD_PREP(RIOMMU_IOTINVAL_ADDR, napot_vpn) | RIOMMU_IOTINVAL_S;
    return c;
}

} // namespace

// ds "Caching in-memory data structures", table "Identifiers used to tag
// IOATC entries": a first-stage translation with Bare second stage is tagged
// by PSCID and IOVA.
TEST_F(ModelTest, Ioatc_IotlbFillTaggedByPscid) {
    BRINGUP();
    uint64_t root = new_root();
    map(root, SV39, 0x1000, 0x90001000, RWUAD);
    attach_s1(1, root, SV39, 5);
    EXPECT_FALSE(riommu_iotlb_contains(m, false, 0, true, 5, 0x1000));
    auto r = expect_ok(1, 0x1234, RIOMMU_READ, 0x90001234);
    EXPECT_FALSE(r.iotlb_hit);
    EXPECT_TRUE(riommu_iotlb_contains(m, false, 0, true, 5, 0x1000));
    EXPECT_TRUE(riommu_iotlb_contains(m, false, 0, true, 5, 0x1FFF));
    EXPECT_FALSE(riommu_iotlb_contains(m, false, 0, true, 6, 0x1000)) << "other PSCID";
    EXPECT_FALSE(riommu_iotlb_contains(m, false, 0, false, 0, 0x1000)) << "PSCV=0 tag";
    EXPECT_FALSE(riommu_iotlb_contains(m, true, 0, true, 5, 0x1000)) << "GV=1 tag";
    EXPECT_FALSE(riommu_iotlb_contains(m, false, 0, true, 5, 0x2000)) << "other page";
    r = expect_ok(1, 0x1238, RIOMMU_READ, 0x90001238);
    EXPECT_TRUE(r.iotlb_hit);
    EXPECT_EQ(riommu_cache_occupancy(m, RIOMMU_CACHE_IOTLB), 1u);
}

// ds "Caching in-memory data structures": two DCs with the same PSCID share
// the address space, so a fill through one device hits for the other.
TEST_F(ModelTest, Ioatc_SamePscidSharedAcrossDevices) {
    BRINGUP();
    uint64_t root = new_root();
    map(root, SV39, 0x1000, 0x90001000, RWUAD);
    attach_s1(1, root, SV39, 9);
    attach_s1(2, root, SV39, 9);
    EXPECT_FALSE(expect_ok(1, 0x1000, RIOMMU_READ, 0x90001000).iotlb_hit);
    EXPECT_TRUE(expect_ok(2, 0x1000, RIOMMU_READ, 0x90001000).iotlb_hit);
}

// q "IOTINVAL.VMA" note: after a PTE change without IOTINVAL the old or the
// new translation may be used; this model keeps using the cached (old) one
// until an IOTINVAL that subsumes the address, then walks again.
TEST_F(ModelTest, Ioatc_StaleTranslationUntilIotinval) {
    BRINGUP();
    uint64_t root = new_root();
    uint64_t slot = map(root, SV39, 0x4000, 0x90004000, RWUAD);
    attach_s1(1, root, SV39, 1);
    expect_ok(1, 0x4010, RIOMMU_READ, 0x90004010);
    mem.w64(slot, pte_leaf(0x95000000, RWUAD)); // remap without invalidation
    auto r = expect_ok(1, 0x4010, RIOMMU_READ, 0x90004010);
    EXPECT_TRUE(r.iotlb_hit) << "old translation is legal until IOTINVAL";
    EXPECT_EQ(run(iotinval_vma(false, 0, true, 1, true, 0x4000)), 1u);
    r = expect_ok(1, 0x4010, RIOMMU_READ, 0x95000010);
    EXPECT_FALSE(r.iotlb_hit);
}

// q "IOTINVAL.VMA": a PTE made invalid is still usable from the cache until
// the IOTINVAL; afterwards the access faults (cause 13).
TEST_F(ModelTest, Ioatc_UnmapFaultsOnlyAfterIotinval) {
    BRINGUP();
    uint64_t root = new_root();
    uint64_t slot = map(root, SV39, 0x4000, 0x90004000, RWUAD);
    attach_s1(1, root, SV39, 1);
    expect_ok(1, 0x4000, RIOMMU_READ, 0x90004000);
    mem.w64(slot, 0);
    expect_ok(1, 0x4000, RIOMMU_READ, 0x90004000);
    run(iotinval_vma(false, 0, true, 1, true, 0x4000));
    expect_fault(1, 0x4000, RIOMMU_READ, RIOMMU_CAUSE_READ_PAGE_FAULT);
}

// q "IOTINVAL.VMA operands and operations", GV=0 AV=0 PSCV=0: every host
// entry, including global ones, and (AV=0) every non-leaf walk-cache entry.
TEST_F(ModelTest, Ioatc_InvalAll_Gv0Av0Pscv0) {
    BRINGUP();
    uint64_t ra = new_root(), rb = new_root();
    map(ra, SV39, 0x1000, 0x90001000, RWUAD);
    map(ra, SV39, 0x2000, 0x90002000, RWUAD | G);
    map(rb, SV39, 0x1000, 0x91001000, RWUAD);
    attach_s1(1, ra, SV39, 1);
    attach_s1(2, rb, SV39, 2);
    expect_ok(1, 0x1000, RIOMMU_READ, 0x90001000);
    expect_ok(1, 0x2000, RIOMMU_READ, 0x90002000);
    expect_ok(2, 0x1000, RIOMMU_READ, 0x91001000);
    EXPECT_EQ(riommu_cache_occupancy(m, RIOMMU_CACHE_IOTLB), 3u);
    EXPECT_GT(riommu_cache_occupancy(m, RIOMMU_CACHE_WALKC), 0u);
    uint32_t ddtc_before = riommu_cache_occupancy(m, RIOMMU_CACHE_DDTC);
    run(iotinval_vma());
    EXPECT_EQ(riommu_cache_occupancy(m, RIOMMU_CACHE_IOTLB), 0u);
    EXPECT_EQ(riommu_cache_occupancy(m, RIOMMU_CACHE_WALKC), 0u);
    // q "IODIR" note: "The IOTINVAL command has no effect on the IOMMU
    // directory caches."
    EXPECT_EQ(riommu_cache_occupancy(m, RIOMMU_CACHE_DDTC), ddtc_before);
    EXPECT_TRUE(riommu_ddtc_contains(m, 1));
}

// q "IOTINVAL.VMA operands and operations", PSCV=1 AV=0: only that PSCID
// (linux §4 item 10: invalidating PSCID 1 leaves PSCID 2 cached).
TEST_F(ModelTest, Ioatc_InvalPscvOnlyThatPscid) {
    BRINGUP();
    uint64_t ra = new_root(), rb = new_root();
    map(ra, SV39, 0x1000, 0x90001000, RWUAD);
    map(ra, SV39, 0x2000, 0x90002000, RWUAD);
    map(rb, SV39, 0x1000, 0x91001000, RWUAD);
    attach_s1(1, ra, SV39, 1);
    attach_s1(2, rb, SV39, 2);
    expect_ok(1, 0x1000, RIOMMU_READ, 0x90001000);
    expect_ok(1, 0x2000, RIOMMU_READ, 0x90002000);
    expect_ok(2, 0x1000, RIOMMU_READ, 0x91001000);
    run(iotinval_vma(false, 0, true, 1));
    EXPECT_FALSE(riommu_iotlb_contains(m, false, 0, true, 1, 0x1000));
    EXPECT_FALSE(riommu_iotlb_contains(m, false, 0, true, 1, 0x2000));
    EXPECT_TRUE(riommu_iotlb_contains(m, false, 0, true, 2, 0x1000));
    // AV=0 also drops the PSCID's non-leaf entries, but not other PSCIDs'.
    EXPECT_FALSE(riommu_walkc_contains(m, false, 0, 1, 0x1000, 1));
    EXPECT_TRUE(riommu_walkc_contains(m, false, 0, 2, 0x1000, 1));
    EXPECT_TRUE(expect_ok(2, 0x1000, RIOMMU_READ, 0x91001000).iotlb_hit);
}

// q "IOTINVAL.VMA operands and operations", GV=0 AV=1 PSCV=1: only the leaf
// entry of that IOVA in that PSCID; other pages of the PSCID stay.
TEST_F(ModelTest, Ioatc_InvalAvPscvOnlyThatPage) {
    BRINGUP();
    uint64_t ra = new_root(), rb = new_root();
    map(ra, SV39, 0x1000, 0x90001000, RWUAD);
    map(ra, SV39, 0x2000, 0x90002000, RWUAD);
    map(rb, SV39, 0x1000, 0x91001000, RWUAD);
    attach_s1(1, ra, SV39, 1);
    attach_s1(2, rb, SV39, 2);
    expect_ok(1, 0x1000, RIOMMU_READ, 0x90001000);
    expect_ok(1, 0x2000, RIOMMU_READ, 0x90002000);
    expect_ok(2, 0x1000, RIOMMU_READ, 0x91001000);
    run(iotinval_vma(false, 0, true, 1, true, 0x1000));
    EXPECT_FALSE(riommu_iotlb_contains(m, false, 0, true, 1, 0x1000));
    EXPECT_TRUE(riommu_iotlb_contains(m, false, 0, true, 1, 0x2000));
    EXPECT_TRUE(riommu_iotlb_contains(m, false, 0, true, 2, 0x1000));
    EXPECT_EQ(riommu_cache_occupancy(m, RIOMMU_CACHE_IOTLB), 2u);
}

// q "IOTINVAL.VMA operands and operations", GV=0 AV=1 PSCV=0: that IOVA in
// every host address space, global entries included; other pages stay.
TEST_F(ModelTest, Ioatc_InvalAvOnlyAllPscidsThatPage) {
    BRINGUP();
    uint64_t ra = new_root(), rb = new_root();
    map(ra, SV39, 0x1000, 0x90001000, RWUAD);
    map(ra, SV39, 0x2000, 0x90002000, RWUAD);
    map(rb, SV39, 0x1000, 0x91001000, RWUAD);
    map(rb, SV39, 0x3000, 0x91003000, RWUAD | G);
    attach_s1(1, ra, SV39, 1);
    attach_s1(2, rb, SV39, 2);
    expect_ok(1, 0x1000, RIOMMU_READ, 0x90001000);
    expect_ok(1, 0x2000, RIOMMU_READ, 0x90002000);
    expect_ok(2, 0x1000, RIOMMU_READ, 0x91001000);
    expect_ok(2, 0x3000, RIOMMU_READ, 0x91003000);
    run(iotinval_vma(false, 0, false, 0, true, 0x1000));
    EXPECT_FALSE(riommu_iotlb_contains(m, false, 0, true, 1, 0x1000));
    EXPECT_FALSE(riommu_iotlb_contains(m, false, 0, true, 2, 0x1000));
    EXPECT_TRUE(riommu_iotlb_contains(m, false, 0, true, 1, 0x2000));
    EXPECT_TRUE(riommu_iotlb_contains(m, false, 0, true, 2, 0x3000));
    run(iotinval_vma(false, 0, false, 0, true, 0x3000));
    EXPECT_FALSE(riommu_iotlb_contains(m, false, 0, true, 2, 0x3000)) << "global, PSCV=0";
    EXPECT_TRUE(riommu_iotlb_contains(m, false, 0, true, 1, 0x2000));
}

// q "IOTINVAL.VMA operands and operations": PSCV=1 invalidations are "except
// for entries containing global mappings"; PSCV=0 includes them.
TEST_F(ModelTest, Ioatc_GlobalSurvivesPscvInvalNotPscv0) {
    BRINGUP();
    uint64_t root = new_root();
    map(root, SV39, 0x1000, 0x90001000, RWUAD | G);
    map(root, SV39, 0x2000, 0x90002000, RWUAD);
    attach_s1(1, root, SV39, 1);
    auto r = expect_ok(1, 0x1000, RIOMMU_READ, 0x90001000);
    EXPECT_TRUE(r.global);
    expect_ok(1, 0x2000, RIOMMU_READ, 0x90002000);
    run(iotinval_vma(false, 0, true, 1));
    EXPECT_TRUE(riommu_iotlb_contains(m, false, 0, true, 1, 0x1000)) << "global kept";
    EXPECT_FALSE(riommu_iotlb_contains(m, false, 0, true, 1, 0x2000));
    run(iotinval_vma(false, 0, true, 1, true, 0x1000));
    EXPECT_TRUE(riommu_iotlb_contains(m, false, 0, true, 1, 0x1000))
        << "AV=1 PSCV=1 also excludes global mappings";
    run(iotinval_vma());
    EXPECT_FALSE(riommu_iotlb_contains(m, false, 0, true, 1, 0x1000));
}

// ds "Caching in-memory data structures": a global mapping is valid in every
// address space, so the cached entry serves other PSCIDs too.
TEST_F(ModelTest, Ioatc_GlobalEntryHitsForOtherPscid) {
    BRINGUP();
    uint64_t root = new_root();
    map(root, SV39, 0x1000, 0x90001000, RWUAD | G);
    attach_s1(1, root, SV39, 1);
    attach_s1(2, root, SV39, 2);
    expect_ok(1, 0x1000, RIOMMU_READ, 0x90001000);
    EXPECT_TRUE(riommu_iotlb_contains(m, false, 0, true, 2, 0x1000));
    EXPECT_TRUE(expect_ok(2, 0x1000, RIOMMU_READ, 0x90001000).iotlb_hit);
}

// q "IOTINVAL.VMA operands and operations", AV=1: "entries that contain
// first-stage leaf page table entries corresponding to the IOVA" - a 2 MiB
// superpage entry is removed by an address anywhere inside it, and kept for
// an address outside it.
TEST_F(ModelTest, Ioatc_SuperpageRemovedByAvInside) {
    BRINGUP();
    uint64_t root = new_root();
    map(root, SV39, 0x200000, 0x90200000, RWUAD, 1);
    attach_s1(1, root, SV39, 1);
    auto r = expect_ok(1, 0x212345, RIOMMU_READ, 0x90212345);
    EXPECT_EQ(r.range_size, 0x200000u);
    EXPECT_TRUE(riommu_iotlb_contains(m, false, 0, true, 1, 0x3FF000));
    run(iotinval_vma(false, 0, true, 1, true, 0x400000)); // next 2 MiB
    EXPECT_TRUE(riommu_iotlb_contains(m, false, 0, true, 1, 0x200000));
    run(iotinval_vma(false, 0, true, 1, true, 0x1FF000)); // just below
    EXPECT_TRUE(riommu_iotlb_contains(m, false, 0, true, 1, 0x200000));
    run(iotinval_vma(false, 0, true, 1, true, 0x3FF000)); // last 4 KiB inside
    EXPECT_FALSE(riommu_iotlb_contains(m, false, 0, true, 1, 0x200000));
    EXPECT_FALSE(expect_ok(1, 0x200000, RIOMMU_READ, 0x90200000).iotlb_hit);
}

// Same for a 1 GiB leaf (level 2 of Sv39).
TEST_F(ModelTest, Ioatc_GigapageRemovedByAvInside) {
    BRINGUP();
    uint64_t root = new_root();
    map(root, SV39, 0x40000000, 0xC0000000, RWUAD, 2);
    attach_s1(1, root, SV39, 1);
    expect_ok(1, 0x40000000, RIOMMU_READ, 0xC0000000);
    EXPECT_TRUE(riommu_iotlb_contains(m, false, 0, true, 1, 0x7FFFF000));
    run(iotinval_vma(false, 0, true, 1, true, 0x80000000));
    EXPECT_TRUE(riommu_iotlb_contains(m, false, 0, true, 1, 0x40000000));
    run(iotinval_vma(false, 0, true, 1, true, 0x6ABCD000));
    EXPECT_FALSE(riommu_iotlb_contains(m, false, 0, true, 1, 0x40000000));
}

// Svnapot 64 KiB leaf (ds step 17, Privileged spec Svnapot): one IOTLB entry
// for the whole 64 KiB range, dropped by an AV address in any of its pages.
TEST_F(ModelTest, Ioatc_NapotEntryRemovedByAvInside) {
    BRINGUP();
    uint64_t root = new_root();
    // NAPOT PTE: ppn[3:0] = 0b1000, N = 1; write it to the slot of 0x13000.
    uint64_t pte = pte_leaf(0x90010000, RWUAD) | (8ull << 10) | RIOMMU_PTE_N;
    uint64_t slot = map(root, SV39, 0x13000, 0x90013000, RWUAD);
    mem.w64(slot, pte);
    attach_s1(1, root, SV39, 1);
    auto r = expect_ok(1, 0x13456, RIOMMU_READ, 0x90013456);
    EXPECT_EQ(r.range_size, 0x10000u);
    EXPECT_TRUE(riommu_iotlb_contains(m, false, 0, true, 1, 0x1F000));
    run(iotinval_vma(false, 0, true, 1, true, 0x20000));
    EXPECT_TRUE(riommu_iotlb_contains(m, false, 0, true, 1, 0x10000));
    run(iotinval_vma(false, 0, true, 1, true, 0x1E000));
    EXPECT_FALSE(riommu_iotlb_contains(m, false, 0, true, 1, 0x13000));
}

// ext "Non-leaf PTE Invalidation by IOTINVAL.VMA": AV=1 NL=0 operates as
// v1.0 (leaf entries only), so cached non-leaf PTEs stay.
TEST_F(ModelTest, Ioatc_NL_Av1Nl0KeepsWalkCache) {
    BRINGUP();
    uint64_t root = new_root();
    map(root, SV39, 0x1000, 0x90001000, RWUAD);
    attach_s1(1, root, SV39, 1);
    expect_ok(1, 0x1000, RIOMMU_READ, 0x90001000);
    ASSERT_TRUE(riommu_walkc_contains(m, false, 0, 1, 0x1000, 2));
    ASSERT_TRUE(riommu_walkc_contains(m, false, 0, 1, 0x1000, 1));
    run(iotinval_vma(false, 0, true, 1, true, 0x1000));
    EXPECT_FALSE(riommu_iotlb_contains(m, false, 0, true, 1, 0x1000));
    EXPECT_TRUE(riommu_walkc_contains(m, false, 0, 1, 0x1000, 2));
    EXPECT_TRUE(riommu_walkc_contains(m, false, 0, 1, 0x1000, 1));
    // The next walk starts from the cached level-1 PTE: one PTE read.
    riommu_clear_stats(m);
    expect_ok(1, 0x1000, RIOMMU_READ, 0x90001000);
    EXPECT_EQ(stats().s1_walk_levels[0], 1u);
    EXPECT_EQ(stats().s1_walk_levels[1] + stats().s1_walk_levels[2], 0u);
}

// ext "Non-leaf PTE Invalidation by IOTINVAL.VMA": AV=1 NL=1 invalidates
// "information cached from all levels of first-stage page table entries
// corresponding to the IOVA"; non-leaf entries for other IOVAs stay.
TEST_F(ModelTest, Ioatc_NL_Av1Nl1DropsWalkCacheOfThatIova) {
    BRINGUP();
    uint64_t root = new_root();
    map(root, SV39, 0x1000, 0x90001000, RWUAD);
    map(root, SV39, 0x40001000, 0x90002000, RWUAD); // other 1 GiB region
    attach_s1(1, root, SV39, 1);
    expect_ok(1, 0x1000, RIOMMU_READ, 0x90001000);
    expect_ok(1, 0x40001000, RIOMMU_READ, 0x90002000);
    run(with_nl(iotinval_vma(false, 0, true, 1, true, 0x1000)));
    EXPECT_FALSE(riommu_iotlb_contains(m, false, 0, true, 1, 0x1000));
    EXPECT_FALSE(riommu_walkc_contains(m, false, 0, 1, 0x1000, 1));
    EXPECT_FALSE(riommu_walkc_contains(m, false, 0, 1, 0x1000, 2));
    EXPECT_TRUE(riommu_walkc_contains(m, false, 0, 1, 0x40001000, 1));
    EXPECT_TRUE(riommu_walkc_contains(m, false, 0, 1, 0x40001000, 2));
    EXPECT_TRUE(riommu_iotlb_contains(m, false, 0, true, 1, 0x40001000));
    // A changed non-leaf PTE is now observed: move the level-1 table.
    uint64_t l1 = (mem.r64(root) >> 10) << 12;   // level-2 slot 0 -> level-1 table
    uint64_t l0b = alloc();
    mem.w64(l0b + 8, pte_leaf(0x95001000, RWUAD));
    mem.w64(l1, pte_table(l0b));
    expect_ok(1, 0x1000, RIOMMU_READ, 0x95001000);
}

// ext "Non-leaf PTE Invalidation by IOTINVAL.VMA": NL=1 with PSCV=1 keeps
// the non-leaf entries of other PSCIDs.
TEST_F(ModelTest, Ioatc_NL_PscvScope) {
    BRINGUP();
    uint64_t ra = new_root(), rb = new_root();
    map(ra, SV39, 0x1000, 0x90001000, RWUAD);
    map(rb, SV39, 0x1000, 0x91001000, RWUAD);
    attach_s1(1, ra, SV39, 1);
    attach_s1(2, rb, SV39, 2);
    expect_ok(1, 0x1000, RIOMMU_READ, 0x90001000);
    expect_ok(2, 0x1000, RIOMMU_READ, 0x91001000);
    run(with_nl(iotinval_vma(false, 0, true, 1, true, 0x1000)));
    EXPECT_FALSE(riommu_walkc_contains(m, false, 0, 1, 0x1000, 1));
    EXPECT_TRUE(riommu_walkc_contains(m, false, 0, 2, 0x1000, 1));
    EXPECT_TRUE(riommu_iotlb_contains(m, false, 0, true, 2, 0x1000));
}

// ext "Non-leaf PTE Invalidation by IOTINVAL.VMA": "When the AV operand is 0,
// the NL operand is ignored" - v1.0 AV=0 drops every level anyway.
TEST_F(ModelTest, Ioatc_NL_Av0DropsAllWalkCache) {
    BRINGUP();
    uint64_t root = new_root();
    map(root, SV39, 0x1000, 0x90001000, RWUAD);
    map(root, SV39, 0x40001000, 0x90002000, RWUAD);
    attach_s1(1, root, SV39, 1);
    expect_ok(1, 0x1000, RIOMMU_READ, 0x90001000);
    expect_ok(1, 0x40001000, RIOMMU_READ, 0x90002000);
    EXPECT_EQ(riommu_cache_occupancy(m, RIOMMU_CACHE_WALKC), 4u);
    run(iotinval_vma(false, 0, true, 1)); // NL=0, AV=0
    EXPECT_EQ(riommu_cache_occupancy(m, RIOMMU_CACHE_WALKC), 0u);
    expect_ok(1, 0x1000, RIOMMU_READ, 0x90001000);
    expect_ok(1, 0x40001000, RIOMMU_READ, 0x90002000);
    run(with_nl(iotinval_vma(false, 0, true, 1))); // NL=1 ignored with AV=0
    EXPECT_EQ(riommu_cache_occupancy(m, RIOMMU_CACHE_WALKC), 0u);
    EXPECT_EQ(riommu_cache_occupancy(m, RIOMMU_CACHE_IOTLB), 0u);
}

// ext "Non-leaf PTE Invalidation Extension": "When the capabilities.NL bit is
// 0, bit 34 remains reserved" -> a command with it set is illegal (q
// "Command-Queue": cmd_ill, cqh stays on the command).
TEST_F(ModelTest, Ioatc_NL_IllegalWithoutCapability) {
    cfg.capabilities &= ~RIOMMU_CAP_NL;
    ASSERT_NO_FATAL_FAILURE(Create());
    ASSERT_NO_FATAL_FAILURE(enable_cq());
    EXPECT_EQ(run(iotinval_vma()), 1u);
    EXPECT_EQ(run(with_nl(iotinval_vma(false, 0, false, 0, true, 0x1000))), 1u);
    EXPECT_TRUE(rd32(RIOMMU_REG_CQCSR) & RIOMMU_CQCSR_CMD_ILL);
    EXPECT_EQ(stats().commands_illegal, 1u);
}

// ext "Address Range Invalidation Extension": S=1, first 0 bit of ADDR at X
// -> 2^(X+1) * 4 KiB. X=3 at 0x10000 is the 64 KiB range 0x10000-0x1FFFF:
// exactly those pages go, the neighbours stay.
TEST_F(ModelTest, Ioatc_S_Range64KiBExact) {
    BRINGUP();
    uint64_t root = new_root();
    for (uint64_t va = 0xE000; va <= 0x21000; va += 0x1000)
        map(root, SV39, va, 0x90000000 + va, RWUAD);
    attach_s1(1, root, SV39, 1);
    for (uint64_t va = 0xE000; va <= 0x21000; va += 0x1000)
        expect_ok(1, va, RIOMMU_READ, 0x90000000 + va);
    run(range_inval(true, 1, 0x10 | 0x7)); // ...0111 -> X = 3
    EXPECT_FALSE(rd32(RIOMMU_REG_CQCSR) & RIOMMU_CQCSR_CMD_ILL);
    for (uint64_t va = 0xE000; va <= 0x21000; va += 0x1000) {
        bool inside = va >= 0x10000 && va < 0x20000;
        EXPECT_EQ(riommu_iotlb_contains(m, false, 0, true, 1, va), !inside)
            << std::hex << va;
    }
}

// ext "Address Range Invalidation Extension": "When X is 0, the size of the
// range is 8 KiB."
TEST_F(ModelTest, Ioatc_S_X0Is8KiB) {
    BRINGUP();
    uint64_t root = new_root();
    for (uint64_t va = 0xF000; va <= 0x12000; va += 0x1000)
        map(root, SV39, va, 0x90000000 + va, RWUAD);
    attach_s1(1, root, SV39, 1);
    for (uint64_t va = 0xF000; va <= 0x12000; va += 0x1000)
        expect_ok(1, va, RIOMMU_READ, 0x90000000 + va);
    run(range_inval(true, 1, 0x10)); // bit 0 = 0 -> 8 KiB at 0x10000
    EXPECT_TRUE(riommu_iotlb_contains(m, false, 0, true, 1, 0xF000));
    EXPECT_FALSE(riommu_iotlb_contains(m, false, 0, true, 1, 0x10000));
    EXPECT_FALSE(riommu_iotlb_contains(m, false, 0, true, 1, 0x11000));
    EXPECT_TRUE(riommu_iotlb_contains(m, false, 0, true, 1, 0x12000));
}

// ext "Address Range Invalidation Extension": S=0 (or AV=0) is v1.0
// behaviour: a single 4 KiB page even when the ADDR low bits are ones.
TEST_F(ModelTest, Ioatc_S_ClearMeansSinglePage) {
    BRINGUP();
    uint64_t root = new_root();
    for (uint64_t va = 0x10000; va < 0x18000; va += 0x1000)
        map(root, SV39, va, 0x90000000 + va, RWUAD);
    attach_s1(1, root, SV39, 1);
    for (uint64_t va = 0x10000; va < 0x18000; va += 0x1000)
        expect_ok(1, va, RIOMMU_READ, 0x90000000 + va);
    Cmd c = range_inval(true, 1, 0x17);
    c.d1 &= ~RIOMMU_IOTINVAL_S;
    run(c);
    for (uint64_t va = 0x10000; va < 0x18000; va += 0x1000)
        EXPECT_EQ(riommu_iotlb_contains(m, false, 0, true, 1, va), va != 0x17000)
            << std::hex << va;
}

// ext "Address Range Invalidation Extension": MSB of ADDR 0, all other bits
// 1 -> the entire address space.
TEST_F(ModelTest, Ioatc_S_EntireAddressSpaceEncoding) {
    BRINGUP();
    uint64_t root = new_root();
    map(root, SV39, 0x1000, 0x90001000, RWUAD);
    map(root, SV39, 0x3FC0000000ull, 0x90002000, RWUAD);
    attach_s1(1, root, SV39, 1);
    expect_ok(1, 0x1000, RIOMMU_READ, 0x90001000);
    expect_ok(1, 0x3FC0000000ull, RIOMMU_READ, 0x90002000);
    run(range_inval(true, 1, (1ull << 51) - 1));
    EXPECT_EQ(riommu_cache_occupancy(m, RIOMMU_CACHE_IOTLB), 0u);
}

// ext "Address Range Invalidation Extension": "When the capabilities.S bit is
// 0, bit 73 remains reserved" -> illegal command.
TEST_F(ModelTest, Ioatc_S_IllegalWithoutCapability) {
    cfg.capabilities &= ~RIOMMU_CAP_S;
    ASSERT_NO_FATAL_FAILURE(Create());
    ASSERT_NO_FATAL_FAILURE(enable_cq());
    EXPECT_EQ(run(range_inval(true, 1, 0x17)), 0u);
    EXPECT_TRUE(rd32(RIOMMU_REG_CQCSR) & RIOMMU_CQCSR_CMD_ILL);
}

// q "IOMMU directory cache invalidation commands": a valid DC is cached; a
// change to it in memory is not observed until IODIR.INVAL_DDT.
TEST_F(ModelTest, Ioatc_Ddtc_ValidDcCachedUntilInvalDdt) {
    BRINGUP();
    set_dc(7, RIOMMU_DC_TC_V, 0, 0, 0); // identity (fsc Bare)
    expect_ok(7, 0x1234, RIOMMU_READ, 0x1234);
    EXPECT_TRUE(riommu_ddtc_contains(m, 7));
    set_dc(7, 0, 0, 0, 0); // invalidate in memory only
    expect_ok(7, 0x1234, RIOMMU_READ, 0x1234); // cached DC still used
    run(iodir_inval_ddt(true, 7));
    EXPECT_FALSE(riommu_ddtc_contains(m, 7));
    expect_fault(7, 0x1234, RIOMMU_READ, RIOMMU_CAUSE_DDT_INVALID);
}

// q "IODIR.INVAL_DDT": DV=1 invalidates the entry "for the device identified
// by DID" only; DV=0 "all DDT ... entries cached for all devices".
TEST_F(ModelTest, Ioatc_Ddtc_Dv1OnlyThatDeviceDv0All) {
    BRINGUP();
    for (uint32_t d : {1u, 2u, 0x10000u})
        set_dc(d, RIOMMU_DC_TC_V, 0, 0, 0);
    for (uint32_t d : {1u, 2u, 0x10000u})
        expect_ok(d, 0x5000, RIOMMU_READ, 0x5000);
    EXPECT_EQ(riommu_cache_occupancy(m, RIOMMU_CACHE_DDTC), 3u);
    run(iodir_inval_ddt(true, 2));
    EXPECT_TRUE(riommu_ddtc_contains(m, 1));
    EXPECT_FALSE(riommu_ddtc_contains(m, 2));
    EXPECT_TRUE(riommu_ddtc_contains(m, 0x10000));
    run(iodir_inval_ddt(false, 1)); // DV=0: DID ignored
    EXPECT_EQ(riommu_cache_occupancy(m, RIOMMU_CACHE_DDTC), 0u);
}

// q "IODIR" note: "The IOTINVAL command has no effect on the IOMMU directory
// caches" and conversely IODIR does not touch IOTLB entries.
TEST_F(ModelTest, Ioatc_IodirDoesNotTouchIotlb) {
    BRINGUP();
    uint64_t root = new_root();
    map(root, SV39, 0x1000, 0x90001000, RWUAD);
    attach_s1(1, root, SV39, 1);
    expect_ok(1, 0x1000, RIOMMU_READ, 0x90001000);
    run(iodir_inval_ddt());
    EXPECT_FALSE(riommu_ddtc_contains(m, 1));
    EXPECT_TRUE(riommu_iotlb_contains(m, false, 0, true, 1, 0x1000));
}

// ds "Caching in-memory data structures": "does not allow the caching of ...
// Device-context whose V (valid) bit is clear" - a DC made valid after a 258
// fault is used at once, with no invalidation (linux §1.7: probe sends no
// command).
TEST_F(ModelTest, Ioatc_NeverCachesInvalidDc) {
    BRINGUP();
    set_dc(3, 0, 0, 0, 0);
    expect_fault(3, 0x1000, RIOMMU_READ, RIOMMU_CAUSE_DDT_INVALID);
    EXPECT_FALSE(riommu_ddtc_contains(m, 3));
    EXPECT_EQ(riommu_cache_occupancy(m, RIOMMU_CACHE_DDTC), 0u);
    set_dc(3, RIOMMU_DC_TC_V, 0, 0, 0);
    expect_ok(3, 0x1000, RIOMMU_READ, 0x1000);
    EXPECT_TRUE(riommu_ddtc_contains(m, 3));
}

// ds "Caching in-memory data structures": no caching of a misconfigured DC
// (cause 259) either - fixing it works without IODIR.
TEST_F(ModelTest, Ioatc_NeverCachesMisconfiguredDc) {
    BRINGUP();
    set_dc(3, RIOMMU_DC_TC_V | RIOMMU_BIT(20), 0, 0, 0); // reserved tc bit
    expect_fault(3, 0x1000, RIOMMU_READ, RIOMMU_CAUSE_DDT_MISCONFIGURED);
    EXPECT_FALSE(riommu_ddtc_contains(m, 3));
    set_dc(3, RIOMMU_DC_TC_V, 0, 0, 0);
    expect_ok(3, 0x1000, RIOMMU_READ, 0x1000);
}

// ds "Caching in-memory data structures": no caching of PTEs whose V bit is
// clear - a mapping made after a fault works immediately (linux §2.4 item 8:
// no flush follows a map).
TEST_F(ModelTest, Ioatc_NeverCachesInvalidLeafPte) {
    BRINGUP();
    uint64_t root = new_root();
    map(root, SV39, 0x1000, 0x90001000, RWUAD);
    attach_s1(1, root, SV39, 1);
    expect_fault(1, 0x2000, RIOMMU_READ, RIOMMU_CAUSE_READ_PAGE_FAULT);
    EXPECT_FALSE(riommu_iotlb_contains(m, false, 0, true, 1, 0x2000));
    map(root, SV39, 0x2000, 0x90002000, RWUAD);
    expect_ok(1, 0x2000, RIOMMU_READ, 0x90002000);
}

// ds "Caching in-memory data structures": an invalid non-leaf PTE is not
// cached either; the level above it (valid) may be.
TEST_F(ModelTest, Ioatc_NeverCachesInvalidNonLeafPte) {
    BRINGUP();
    uint64_t root = new_root();
    map(root, SV39, 0x1000, 0x90001000, RWUAD); // level-1 table for [0, 1 GiB)
    attach_s1(1, root, SV39, 1);
    // 0x400000 lies in level-1 slot 2, which is invalid.
    expect_fault(1, 0x400000, RIOMMU_READ, RIOMMU_CAUSE_READ_PAGE_FAULT);
    EXPECT_TRUE(riommu_walkc_contains(m, false, 0, 1, 0x400000, 2));
    EXPECT_FALSE(riommu_walkc_contains(m, false, 0, 1, 0x400000, 1));
    map(root, SV39, 0x400000, 0x90400000, RWUAD);
    expect_ok(1, 0x400000, RIOMMU_READ, 0x90400000);
}

// linux §2.4 item 8 / q "IOTINVAL.VMA" note on Bare stages: identity
// (first stage Bare) translations are not cached in the IOTLB.
TEST_F(ModelTest, Ioatc_IdentityTranslationNotInIotlb) {
    BRINGUP();
    set_dc(4, RIOMMU_DC_TC_V, 0, 0, 0);
    expect_ok(4, 0xABC000, RIOMMU_WRITE, 0xABC000);
    expect_ok(4, 0xABC000, RIOMMU_WRITE, 0xABC000);
    EXPECT_EQ(riommu_cache_occupancy(m, RIOMMU_CACHE_IOTLB), 0u);
    EXPECT_EQ(stats().iotlb.lookups, 0u);
}

// Geometry (riommu.h riommu_cache_config): a 2-entry, 2-way IOTLB evicts on
// the third page and counts it; results stay correct.
TEST_F(ModelTest, Ioatc_Geometry_SmallIotlbEvicts) {
    cfg.iotlb.entries = 2;
    cfg.iotlb.assoc = 2;
    BRINGUP();
    uint64_t root = new_root();
    for (uint64_t va = 0x1000; va <= 0x4000; va += 0x1000)
        map(root, SV39, va, 0x90000000 + va, RWUAD);
    attach_s1(1, root, SV39, 1);
    for (uint64_t va = 0x1000; va <= 0x4000; va += 0x1000)
        expect_ok(1, va, RIOMMU_READ, 0x90000000 + va);
    EXPECT_EQ(riommu_cache_occupancy(m, RIOMMU_CACHE_IOTLB), 2u);
    EXPECT_EQ(stats().iotlb.fills, 4u);
    EXPECT_EQ(stats().iotlb.evictions, 2u);
    for (uint64_t va = 0x1000; va <= 0x4000; va += 0x1000)
        expect_ok(1, va, RIOMMU_READ, 0x90000000 + va);
}

// Geometry: small DDTC and walk cache evict as well.
TEST_F(ModelTest, Ioatc_Geometry_SmallDdtcAndWalkcEvict) {
    cfg.ddtc.entries = 2;
    cfg.ddtc.assoc = 0; // fully associative
    cfg.walkc.entries = 2;
    cfg.walkc.assoc = 2;
    BRINGUP();
    for (uint32_t d = 1; d <= 3; d++)
        set_dc(d, RIOMMU_DC_TC_V, 0, 0, 0);
    for (uint32_t d = 1; d <= 3; d++)
        expect_ok(d, 0x1000, RIOMMU_READ, 0x1000);
    EXPECT_EQ(riommu_cache_occupancy(m, RIOMMU_CACHE_DDTC), 2u);
    EXPECT_EQ(stats().ddtc.evictions, 1u);
    uint64_t root = new_root();
    map(root, SV39, 0x1000, 0x90001000, RWUAD);
    map(root, SV39, 0x40001000, 0x90002000, RWUAD);
    attach_s1(8, root, SV39, 1);
    expect_ok(8, 0x1000, RIOMMU_READ, 0x90001000);
    expect_ok(8, 0x40001000, RIOMMU_READ, 0x90002000);
    EXPECT_EQ(riommu_cache_occupancy(m, RIOMMU_CACHE_WALKC), 2u);
    EXPECT_EQ(stats().walkc.evictions, 2u);
}

// riommu.h RIOMMU_REPL_LRU ("true LRU within a set"): with 2 ways, A B,
// touch A, C -> B is the victim.
TEST_F(ModelTest, Ioatc_Policy_LruEvictsLeastRecentlyUsed) {
    cfg.iotlb.entries = 2;
    cfg.iotlb.assoc = 0;
    cfg.iotlb.policy = RIOMMU_REPL_LRU;
    BRINGUP();
    uint64_t root = new_root();
    for (uint64_t va = 0x1000; va <= 0x3000; va += 0x1000)
        map(root, SV39, va, 0x90000000 + va, RWUAD);
    attach_s1(1, root, SV39, 1);
    expect_ok(1, 0x1000, RIOMMU_READ, 0x90001000);
    expect_ok(1, 0x2000, RIOMMU_READ, 0x90002000);
    EXPECT_TRUE(expect_ok(1, 0x1000, RIOMMU_READ, 0x90001000).iotlb_hit);
    expect_ok(1, 0x3000, RIOMMU_READ, 0x90003000);
    EXPECT_TRUE(riommu_iotlb_contains(m, false, 0, true, 1, 0x1000));
    EXPECT_FALSE(riommu_iotlb_contains(m, false, 0, true, 1, 0x2000));
    EXPECT_TRUE(riommu_iotlb_contains(m, false, 0, true, 1, 0x3000));
}

// riommu.h RIOMMU_REPL_LRU ("true LRU within a set") in a set wider than
// the victim search's four chains and not a multiple of four (one set of
// 11 ways): random reads over 16 pages, with single-page invalidations
// between them, keep exactly the pages a reference LRU list keeps -- a
// page's read makes it most recent (hit or fill), a fill takes the first
// free way if the set has one (an invalidated entry's way included), else
// replaces the least recently used -- checked after every step. Also
// exercises the IOTLB-miss fill that skips the same-tag search (its lookup
// just missed) and the key scan four keys a step.
TEST_F(ModelTest, Ioatc_Policy_LruMatchesReferenceInWideSet) {
    constexpr unsigned WAYS = 11, PAGES = 16;
    cfg.iotlb.entries = WAYS;
    cfg.iotlb.assoc = 0;
    cfg.iotlb.policy = RIOMMU_REPL_LRU;
    cfg.walkc.enable = false;
    BRINGUP();
    uint64_t root = new_root();
    for (uint64_t p = 0; p < PAGES; p++)
        map(root, SV39, 0x1000 * (p + 1), 0x90000000 + 0x1000 * p, RWUAD);
    attach_s1(1, root, SV39, 1);
    std::vector<uint64_t> lru; // pages, least recently used first
    XorShift32 next{99};
    unsigned hits = 0, evictions = 0, freed_refills = 0;
    for (unsigned step = 0; step < 600; step++) {
        uint64_t p = next() % PAGES, va = 0x1000 * (p + 1);
        if (step % 7 == 6) { // drop one page, present or not
            run(iotinval_vma(false, 0, true, 1, true, va));
            auto it = std::find(lru.begin(), lru.end(), p);
            if (it != lru.end())
                lru.erase(it);
        } else {
            auto it = std::find(lru.begin(), lru.end(), p);
            bool hit = it != lru.end();
            if (hit)
                lru.erase(it);
            else if (lru.size() == WAYS) {
                lru.erase(lru.begin());
                evictions++;
            } else if (step > WAYS * 2) {
                freed_refills++;
            }
            lru.push_back(p);
            riommu_response r = expect_ok(1, va, RIOMMU_READ, 0x90000000 + 0x1000 * p);
            EXPECT_EQ(r.iotlb_hit, hit) << "step " << step << " page " << p;
            hits += hit;
        }
        for (uint64_t q = 0; q < PAGES; q++)
            ASSERT_EQ(riommu_iotlb_contains(m, false, 0, true, 1, 0x1000 * (q + 1)),
                      std::find(lru.begin(), lru.end(), q) != lru.end())
                << "step " << step << " page " << q;
    }
    EXPECT_EQ(riommu_cache_occupancy(m, RIOMMU_CACHE_IOTLB), lru.size());
    EXPECT_EQ(stats().iotlb.evictions, evictions);
    // the stream has all three cases in numbers
    EXPECT_GT(hits, 100u);
    EXPECT_GT(evictions, 50u);
    EXPECT_GT(freed_refills, 10u);
}

// riommu.h RIOMMU_REPL_FIFO ("round robin within a set"): A B, touch A, C ->
// A (the oldest fill) is the victim regardless of use.
TEST_F(ModelTest, Ioatc_Policy_FifoEvictsOldestFill) {
    cfg.iotlb.entries = 2;
    cfg.iotlb.assoc = 0;
    cfg.iotlb.policy = RIOMMU_REPL_FIFO;
    BRINGUP();
    uint64_t root = new_root();
    for (uint64_t va = 0x1000; va <= 0x3000; va += 0x1000)
        map(root, SV39, va, 0x90000000 + va, RWUAD);
    attach_s1(1, root, SV39, 1);
    expect_ok(1, 0x1000, RIOMMU_READ, 0x90001000);
    expect_ok(1, 0x2000, RIOMMU_READ, 0x90002000);
    EXPECT_TRUE(expect_ok(1, 0x1000, RIOMMU_READ, 0x90001000).iotlb_hit);
    expect_ok(1, 0x3000, RIOMMU_READ, 0x90003000);
    EXPECT_FALSE(riommu_iotlb_contains(m, false, 0, true, 1, 0x1000));
    EXPECT_TRUE(riommu_iotlb_contains(m, false, 0, true, 1, 0x2000));
    EXPECT_TRUE(riommu_iotlb_contains(m, false, 0, true, 1, 0x3000));
}

// ds "Caching in-memory data structures": caching is invisible to correct
// software - LRU, FIFO and RANDOM replacement with tiny caches give the same
// translations and faults for the same request stream (with invalidations).
TEST_F(ModelTest, Ioatc_Policies_FunctionallyIdentical) {
    std::vector<std::vector<uint64_t>> results;
    for (riommu_repl_policy pol : {RIOMMU_REPL_LRU, RIOMMU_REPL_FIFO, RIOMMU_REPL_RANDOM}) {
        TearDown();
        m = nullptr;
        mem = Memory();
        next_page = 0x80000000ull;
        riommu_config_default(&cfg);
        for (riommu_cache_config *c : {&cfg.ddtc, &cfg.iotlb, &cfg.walkc}) {
            c->entries = 4;
            c->assoc = 2;
            c->policy = pol;
        }
        cfg.seed = 12345;
        BRINGUP();
        uint64_t ra = new_root(), rb = new_root();
        for (uint64_t i = 0; i < 24; i++) {
            map(ra, SV39, 0x1000 * (i + 1) + (i % 3) * 0x40000000ull, 0x90000000 + 0x1000 * i,
                RWUAD);
            map(rb, SV39, 0x1000 * (i + 1), 0xA0000000 + 0x1000 * i, RWUAD);
        }
        attach_s1(1, ra, SV39, 1);
        attach_s1(2, rb, SV39, 2);
        std::vector<uint64_t> out;
        for (unsigned round = 0; round < 3; round++) {
            for (uint64_t i = 0; i < 30; i++) {
                uint32_t dev = (i & 1) ? 2 : 1;
                uint64_t va = dev == 1 ? 0x1000 * (i % 26 + 1) + (i % 26 % 3) * 0x40000000ull
                                       : 0x1000 * (i % 26 + 1);
                auto r = xlate(dev, va + 0x10);
                out.push_back(r.status == RIOMMU_RSP_OK ? r.pa : 0xF000 + r.cause);
            }
            run(iotinval_vma(false, 0, true, 1 + round % 2));
        }
        ASSERT_EQ(rd32(RIOMMU_REG_CQH), 3u);
        results.push_back(out);
    }
    ASSERT_EQ(results.size(), 3u);
    EXPECT_EQ(results[0], results[1]);
    EXPECT_EQ(results[0], results[2]);
    // Sanity: the stream has both successes and faults (pages 25, 26 unmapped).
    EXPECT_NE(std::count(results[0].begin(), results[0].end(), 0xF000u + 13), 0);
    EXPECT_EQ(results[0][0], 0x90000010u);
}

// riommu.h riommu_cache_config.enable: "false: never look up or fill" -
// disabled caches give the same results, zero hits, zero occupancy, and a
// PTE change is observed at once.
TEST_F(ModelTest, Ioatc_DisabledCachesSameResultsNoHits) {
    cfg.ddtc.enable = false;
    cfg.iotlb.enable = false;
    cfg.walkc.enable = false;
    BRINGUP();
    uint64_t root = new_root();
    uint64_t slot = map(root, SV39, 0x1000, 0x90001000, RWUAD);
    attach_s1(1, root, SV39, 1);
    for (int i = 0; i < 3; i++)
        EXPECT_FALSE(expect_ok(1, 0x1000, RIOMMU_READ, 0x90001000).iotlb_hit);
    mem.w64(slot, pte_leaf(0x95000000, RWUAD));
    expect_ok(1, 0x1000, RIOMMU_READ, 0x95000000);
    auto s = stats();
    EXPECT_EQ(s.iotlb.hits + s.ddtc.hits + s.walkc.hits, 0u);
    EXPECT_EQ(s.iotlb.fills + s.ddtc.fills + s.walkc.fills, 0u);
    EXPECT_EQ(s.ddt_walks, 4u);
    EXPECT_EQ(riommu_cache_occupancy(m, RIOMMU_CACHE_IOTLB), 0u);
    EXPECT_EQ(riommu_cache_occupancy(m, RIOMMU_CACHE_DDTC), 0u);
    EXPECT_EQ(riommu_cache_occupancy(m, RIOMMU_CACHE_WALKC), 0u);
    EXPECT_FALSE(riommu_ddtc_contains(m, 1));
    // Invalidations on empty caches are harmless.
    EXPECT_EQ(run(iotinval_vma()), 1u);
    EXPECT_EQ(run(iodir_inval_ddt()), 2u);
    EXPECT_EQ(run(with_nl(iotinval_vma(false, 0, true, 1, true, 0x1000))), 3u);
}

// Zero-entry caches (riommu_cache_config.entries = 0) behave as disabled.
TEST_F(ModelTest, Ioatc_ZeroEntryCachesBypassed) {
    cfg.ddtc.entries = 0;
    cfg.iotlb.entries = 0;
    cfg.walkc.entries = 0;
    BRINGUP();
    uint64_t root = new_root();
    map(root, SV39, 0x1000, 0x90001000, RWUAD);
    attach_s1(1, root, SV39, 1);
    expect_ok(1, 0x1000, RIOMMU_READ, 0x90001000);
    expect_ok(1, 0x1000, RIOMMU_READ, 0x90001000);
    EXPECT_EQ(stats().iotlb.hits, 0u);
    EXPECT_EQ(riommu_cache_occupancy(m, RIOMMU_CACHE_IOTLB), 0u);
}

// riommu_cache_occupancy counts valid entries per cache, and statistics
// count invalidations.
TEST_F(ModelTest, Ioatc_OccupancyAndInvalidationStats) {
    BRINGUP();
    uint64_t root = new_root();
    for (uint64_t va = 0x1000; va <= 0x5000; va += 0x1000)
        map(root, SV39, va, 0x90000000 + va, RWUAD);
    attach_s1(1, root, SV39, 1);
    for (uint64_t va = 0x1000; va <= 0x5000; va += 0x1000) {
        expect_ok(1, va, RIOMMU_READ, 0x90000000 + va);
        EXPECT_EQ(riommu_cache_occupancy(m, RIOMMU_CACHE_IOTLB), va >> 12);
    }
    EXPECT_EQ(riommu_cache_occupancy(m, RIOMMU_CACHE_DDTC), 1u);
    EXPECT_EQ(riommu_cache_occupancy(m, RIOMMU_CACHE_WALKC), 2u);
    EXPECT_EQ(riommu_cache_occupancy(m, RIOMMU_CACHE_PDTC), 0u);
    riommu_clear_stats(m);
    run(iotinval_vma(false, 0, true, 1, true, 0x3000));
    EXPECT_EQ(stats().iotlb.invalidations, 1u);
    EXPECT_EQ(riommu_cache_occupancy(m, RIOMMU_CACHE_IOTLB), 4u);
    run(iotinval_vma(false, 0, true, 1));
    EXPECT_EQ(stats().iotlb.invalidations, 5u);
    EXPECT_EQ(stats().walkc.invalidations, 2u);
}

// q "IOTINVAL.VMA": a write through a cached read-only translation walks
// again (permission miss) and reports the page fault; the cached entry is
// not trusted for a permission it does not grant.
TEST_F(ModelTest, Ioatc_CachedReadOnlyEntryFaultsWrite) {
    BRINGUP();
    uint64_t root = new_root();
    map(root, SV39, 0x1000, 0x90001000, V | R | U | A);
    attach_s1(1, root, SV39, 1);
    expect_ok(1, 0x1000, RIOMMU_READ, 0x90001000);
    expect_fault(1, 0x1000, RIOMMU_WRITE, RIOMMU_CAUSE_WRITE_PAGE_FAULT);
    EXPECT_TRUE(expect_ok(1, 0x1000, RIOMMU_READ, 0x90001000).iotlb_hit);
}

// ext "Address Range Invalidation Extension" + q "IOTINVAL.VMA" AV=1: a range
// that lies inside a 2 MiB superpage hits the superpage's leaf entry.
TEST_F(ModelTest, Ioatc_S_RangeInsideSuperpageDropsIt) {
    BRINGUP();
    uint64_t root = new_root();
    map(root, SV39, 0x400000, 0x90400000, RWUAD, 1);
    map(root, SV39, 0x600000, 0x90600000, RWUAD, 1);
    attach_s1(1, root, SV39, 1);
    expect_ok(1, 0x400000, RIOMMU_READ, 0x90400000);
    expect_ok(1, 0x600000, RIOMMU_READ, 0x90600000);
    run(range_inval(true, 1, (0x450000 >> 12) | 0x7)); // 64 KiB at 0x450000
    EXPECT_FALSE(riommu_iotlb_contains(m, false, 0, true, 1, 0x400000));
    EXPECT_TRUE(riommu_iotlb_contains(m, false, 0, true, 1, 0x600000));
}

// ext "Address Range Invalidation Extension": a 4 MiB range (X = 9) covers
// two 2 MiB superpages exactly; the next one stays.
TEST_F(ModelTest, Ioatc_S_RangeSpanningSuperpages) {
    BRINGUP();
    uint64_t root = new_root();
    for (uint64_t va = 0x400000; va < 0xA00000; va += 0x200000)
        map(root, SV39, va, 0x90000000 + va, RWUAD, 1);
    attach_s1(1, root, SV39, 1);
    for (uint64_t va = 0x400000; va < 0xA00000; va += 0x200000)
        expect_ok(1, va, RIOMMU_READ, 0x90000000 + va);
    run(range_inval(true, 1, (0x400000 >> 12) | 0x1FF)); // X = 9 -> 4 MiB
    EXPECT_FALSE(riommu_iotlb_contains(m, false, 0, true, 1, 0x400000));
    EXPECT_FALSE(riommu_iotlb_contains(m, false, 0, true, 1, 0x600000));
    EXPECT_TRUE(riommu_iotlb_contains(m, false, 0, true, 1, 0x800000));
}

// q "IOTINVAL.VMA" AV=1 with ADDR[63:12] of a sign-extended (upper-half)
// Sv39 IOVA: the cached entry of that page goes, a lower-half page stays.
TEST_F(ModelTest, Ioatc_UpperHalfIovaInvalidatedByAv) {
    BRINGUP();
    const uint64_t hi = 0xFFFFFFFFFFFFF000ull;
    uint64_t root = new_root();
    map(root, SV39, hi, 0x90005000, RWUAD);
    map(root, SV39, 0x3FFFFFF000ull, 0x90006000, RWUAD);
    attach_s1(1, root, SV39, 1);
    expect_ok(1, hi + 8, RIOMMU_READ, 0x90005008);
    expect_ok(1, 0x3FFFFFF000ull, RIOMMU_READ, 0x90006000);
    ASSERT_TRUE(riommu_iotlb_contains(m, false, 0, true, 1, hi));
    Cmd c = iotinval_vma(false, 0, true, 1, true, hi);
    EXPECT_EQ(c.d1 & RIOMMU_IOTINVAL_D1_RESERVED, 0u);
    run(c);
    EXPECT_FALSE(rd32(RIOMMU_REG_CQCSR) & RIOMMU_CQCSR_CMD_ILL);
    EXPECT_FALSE(riommu_iotlb_contains(m, false, 0, true, 1, hi));
    EXPECT_TRUE(riommu_iotlb_contains(m, false, 0, true, 1, 0x3FFFFFF000ull));
}

// riommu.h riommu_reset: "caches emptied".
TEST_F(ModelTest, Ioatc_ResetEmptiesCaches) {
    BRINGUP();
    uint64_t root = new_root();
    map(root, SV39, 0x1000, 0x90001000, RWUAD);
    attach_s1(1, root, SV39, 1);
    expect_ok(1, 0x1000, RIOMMU_READ, 0x90001000);
    ASSERT_GT(riommu_cache_occupancy(m, RIOMMU_CACHE_IOTLB), 0u);
    riommu_reset(m);
    EXPECT_EQ(riommu_cache_occupancy(m, RIOMMU_CACHE_IOTLB), 0u);
    EXPECT_EQ(riommu_cache_occupancy(m, RIOMMU_CACHE_WALKC), 0u);
    EXPECT_EQ(riommu_cache_occupancy(m, RIOMMU_CACHE_DDTC), 0u);
    EXPECT_FALSE(riommu_ddtc_contains(m, 1));
}

// riommu.h riommu_observer.cache: fill, hit and invalidate events carry the
// cache id and (IOTLB) the VPN.
TEST_F(ModelTest, Ioatc_ObserverCacheEvents) {
    BRINGUP();
    static std::vector<std::tuple<int, int, uint64_t>> ev;
    ev.clear();
    riommu_observer obs{};
    obs.cache = [](void *, riommu_cache_id id, riommu_cache_event_kind k, uint64_t tag) {
        ev.emplace_back((int)id, (int)k, tag);
    };
    riommu_set_observer(m, &obs);
    uint64_t root = new_root();
    map(root, SV39, 0x7000, 0x90007000, RWUAD);
    attach_s1(1, root, SV39, 1);
    expect_ok(1, 0x7000, RIOMMU_READ, 0x90007000);
    expect_ok(1, 0x7000, RIOMMU_READ, 0x90007000);
    run(iotinval_vma(false, 0, true, 1, true, 0x7000));
    auto has = [&](riommu_cache_id id, riommu_cache_event_kind k, uint64_t tag) {
        return std::count(ev.begin(), ev.end(), std::make_tuple((int)id, (int)k, tag));
    };
    EXPECT_EQ(has(RIOMMU_CACHE_IOTLB, RIOMMU_CEV_FILL, 7), 1);
    EXPECT_EQ(has(RIOMMU_CACHE_IOTLB, RIOMMU_CEV_HIT, 7), 1);
    EXPECT_EQ(has(RIOMMU_CACHE_IOTLB, RIOMMU_CEV_INVALIDATE, 7), 1);
    EXPECT_EQ(has(RIOMMU_CACHE_DDTC, RIOMMU_CEV_FILL, 1), 1);
    EXPECT_EQ(has(RIOMMU_CACHE_DDTC, RIOMMU_CEV_HIT, 1), 1);
    riommu_set_observer(m, nullptr);
}
