// test_walk.cpp - first-stage translation (ds "Process to translate an IOVA"
// step 17, which defers to the Privileged spec's Sv32/Sv39/Sv48/Sv57
// translation process, with Svnapot, Svpbmt and Svrsw60t59b; ext "PTE
// Reserved-for-Software Bits 60-59"), A/D updating (ds "IOMMU updating of PTE
// accessed (A) and dirty (D) updates"), endianness (ds "Endianness of
// in-memory data structures"), physical-address size (regs "capabilities"
// PAS), the IOVA sign-extension quirk (linux §4 item 9) and device DMA
// through riommu_dma (riommu.h).
//
// "priv" below refers to the Privileged specification, section "Virtual
// Address Translation Process" (steps numbered as there).
//
// Note: supervisor-privilege checks on PTEs (U=1 with priv, SUM) are not
// reachable through requests: a supervisor request needs a process_id, which
// needs PDTV=1, and without PDT support PDTV=1 means a Bare first stage.
#include "fixture.h"

using namespace rt;

namespace {

constexpr uint32_t DID = 0x42;
constexpr uint64_t N = RIOMMU_PTE_N;
constexpr uint64_t PA0 = 0x90000000ull; // data pages: well above the table allocator's use

uint64_t pbmt(unsigned t) { return RIOMMU_FIELD_PREP(RIOMMU_PTE_PBMT, t); }

} // namespace

// Create, 3LVL DDT, one empty first-stage root of `mode` attached to DID with
// PSCID 1 and extra tc bits.
#define S1_SETUP(mode, tc)                                                               \
    Create();                                                                            \
    setup_ddt();                                                                         \
    uint64_t root = new_root();                                                          \
    attach_s1(DID, root, (mode), 1, (tc))

// Page fault for read / write / exec of `iova` (causes 13 / 15 / 12).
#define EXPECT_PF_ALL(iova)                                                              \
    do {                                                                                 \
        expect_fault(DID, (iova), RIOMMU_READ, RIOMMU_CAUSE_READ_PAGE_FAULT);            \
        expect_fault(DID, (iova), RIOMMU_WRITE, RIOMMU_CAUSE_WRITE_PAGE_FAULT);          \
        expect_fault(DID, (iova), RIOMMU_EXEC, RIOMMU_CAUSE_INST_PAGE_FAULT);            \
    } while (0)

// ====================================================== IOVA width (canonical)

// linux §4 item 9: IOVA 2^(va_bits-1) under Sv39 -> page fault 13/15/12 with
// iotval = IOVA (priv step 0: bits 63:39 must equal bit 38).
TEST_F(ModelTest, Linux_4_Item9_Sv39NonCanonicalPageFault) {
    S1_SETUP(8, 0);
    enable_fq();
    uint64_t iova = 1ull << 38;
    map(root, 8, iova & ((1ull << 39) - 1), PA0, RWUAD | X); // aliasing slot is mapped
    EXPECT_PF_ALL(iova);
    auto recs = drain_faults();
    ASSERT_EQ(recs.size(), 3u);
    for (auto &r : recs) {
        EXPECT_EQ(r.iotval, iova);
        EXPECT_EQ(r.did, DID);
    }
    EXPECT_EQ(recs[0].cause, 13u);
    EXPECT_EQ(recs[1].cause, 15u);
    EXPECT_EQ(recs[2].cause, 12u);
}

// linux §4 item 9 for Sv48 (2^47) and Sv57 (2^56), plus other
// non-canonical patterns.
TEST_F(ModelTest, Linux_4_Item9_Sv48Sv57NonCanonicalPageFault) {
    Create();
    enable_fq();
    setup_ddt();
    uint64_t r48 = new_root(), r57 = new_root();
    attach_s1(1, r48, 9, 1);
    attach_s1(2, r57, 10, 2);
    for (auto c : {std::make_pair(1u, 1ull << 47), std::make_pair(2u, 1ull << 56),
                   std::make_pair(1u, 0x8000000000001000ull),
                   std::make_pair(2u, 0xFE00000000000000ull)}) {
        auto r = xlate(c.first, c.second, RIOMMU_WRITE);
        EXPECT_EQ(r.status, RIOMMU_RSP_FAULT);
        EXPECT_EQ(r.cause, RIOMMU_CAUSE_WRITE_PAGE_FAULT);
    }
    auto recs = drain_faults();
    ASSERT_EQ(recs.size(), 4u);
    EXPECT_EQ(recs[0].iotval, 1ull << 47);
    EXPECT_EQ(recs[1].iotval, 1ull << 56);
    EXPECT_EQ(recs[2].iotval, 0x8000000000001000ull);
    EXPECT_EQ(recs[3].iotval, 0xFE00000000000000ull);
}

// linux §4 item 9 via riommu_dma: DMA to 2^(va_bits-1) faults with 15.
TEST_F(ModelTest, Linux_4_Item9_DmaToNonCanonicalIova) {
    S1_SETUP(9, 0);
    riommu_request req{};
    req.device_id = DID;
    req.iova = 1ull << 47;
    req.access = RIOMMU_WRITE;
    req.len = 16;
    uint8_t buf[16] = {};
    riommu_response rsp{};
    EXPECT_EQ(riommu_dma(m, &req, buf, &rsp), RIOMMU_RSP_FAULT);
    EXPECT_EQ(rsp.cause, RIOMMU_CAUSE_WRITE_PAGE_FAULT);
    EXPECT_EQ(mem.count_writes(RIOMMU_ACC_DMA_DATA), 0u);
}

// priv step 0: sign-extended (upper-half) IOVAs are canonical and translate.
TEST_F(ModelTest, Priv_Sv39_UpperHalfCanonicalTranslates) {
    S1_SETUP(8, 0);
    uint64_t iova = 0xFFFFFFC000005000ull; // bit 38 set, 63:39 all ones
    map(root, 8, iova, PA0 + 0x7000, RWUAD);
    expect_ok(DID, iova + 0x12, RIOMMU_READ, PA0 + 0x7012);
}

// ============================================================ leaves per level

// priv step 8: 4 KiB leaves under Sv39/Sv48/Sv57, pa = ppn << 12 | offset.
TEST_F(ModelTest, Priv_Step8_4KLeafSv39Sv48Sv57) {
    Create();
    setup_ddt();
    unsigned modes[] = {8, 9, 10};
    for (unsigned i = 0; i < 3; i++) {
        uint64_t root = new_root();
        attach_s1(10 + i, root, modes[i], 10 + i);
        uint64_t iova = 0x0000001234567000ull & ((1ull << (39 + 9 * i - 1)) - 1);
        map(root, modes[i], iova, PA0 + 0x1000 * i, RWUAD | X);
        auto r = expect_ok(10 + i, iova + 0xABC, RIOMMU_WRITE, PA0 + 0x1000 * i + 0xABC);
        EXPECT_EQ(r.range_size, 4096u);
        EXPECT_TRUE(r.r && r.w && r.x);
    }
}

// priv step 8 (superpage): Sv39 2 MiB leaf at level 1; pa keeps iova[20:0].
TEST_F(ModelTest, Priv_Step8_Sv39_2MLeaf) {
    S1_SETUP(8, 0);
    map(root, 8, 0x600000, 0x90200000, RWUAD, 1);
    auto r = expect_ok(DID, 0x612345, RIOMMU_READ, 0x90212345);
    EXPECT_EQ(r.range_size, 2ull << 20);
    expect_ok(DID, 0x7FFFFF, RIOMMU_WRITE, 0x903FFFFF);
}

// priv step 8 (superpage): Sv39 1 GiB leaf at level 2.
TEST_F(ModelTest, Priv_Step8_Sv39_1GLeaf) {
    S1_SETUP(8, 0);
    map(root, 8, 0xC0000000, 0x240000000, RWUAD, 2);
    auto r = expect_ok(DID, 0xC1234567, RIOMMU_READ, 0x241234567);
    EXPECT_EQ(r.range_size, 1ull << 30);
}

// priv step 8 (superpage): Sv48 512 GiB leaf at level 3.
TEST_F(ModelTest, Priv_Step8_Sv48_512GLeaf) {
    S1_SETUP(9, 0);
    map(root, 9, 0x8000000000ull, 0x10000000000ull, RWUAD, 3);
    auto r = expect_ok(DID, 0x8012345678ull, RIOMMU_READ, 0x10012345678ull);
    EXPECT_EQ(r.range_size, 1ull << 39);
}

// priv step 8 (superpage): Sv57 256 TiB leaf at level 4.
TEST_F(ModelTest, Priv_Step8_Sv57_256TLeaf) {
    S1_SETUP(10, 0);
    map(root, 10, 0x0001000000000000ull, 0x00A0000000000000ull, RWUAD, 4);
    auto r = expect_ok(DID, 0x000123456789ABC0ull, RIOMMU_WRITE, 0x00A023456789ABC0ull);
    EXPECT_EQ(r.range_size, 1ull << 48);
}

// priv step 6 (misaligned superpage: pte.ppn[i-1:0] != 0) -> page fault, at
// levels 1 and 2 (Sv39) and 3 (Sv48).
TEST_F(ModelTest, Priv_Step6_MisalignedSuperpages) {
    Create();
    setup_ddt();
    uint64_t r39 = new_root(), r48 = new_root();
    attach_s1(1, r39, 8, 1);
    attach_s1(2, r48, 9, 2);
    map(r39, 8, 0x600000, 0x90201000, RWUAD, 1);        // 2M leaf, ppn[0] = 1
    map(r39, 8, 0x80000000, 0x140200000, RWUAD, 2);     // 1G leaf, ppn[1] != 0
    map(r48, 9, 0x8000000000ull, 0x10040000000ull, RWUAD, 3); // 512G, ppn[2] != 0
    expect_fault(1, 0x600000, RIOMMU_READ, RIOMMU_CAUSE_READ_PAGE_FAULT);
    expect_fault(1, 0x80000000, RIOMMU_WRITE, RIOMMU_CAUSE_WRITE_PAGE_FAULT);
    auto r = xlate(2, 0x8000000000ull, RIOMMU_EXEC);
    EXPECT_EQ(r.cause, RIOMMU_CAUSE_INST_PAGE_FAULT);
}

// priv step 4: a pointer PTE at level 0 (running out of levels) -> page fault.
TEST_F(ModelTest, Priv_Step4_NonLeafAtLevel0) {
    S1_SETUP(8, 0);
    uint64_t slot = map(root, 8, 0x5000, PA0, RWUAD);
    mem.w64(slot, pte_table(alloc()));
    EXPECT_PF_ALL(0x5000);
}

// ============================================================== PTE validity

// priv step 3: V=0 -> page fault (leaf and non-leaf).
TEST_F(ModelTest, Priv_Step3_InvalidPte) {
    S1_SETUP(8, 0);
    map(root, 8, 0x1000, PA0, (RWUAD | X) & ~V);
    EXPECT_PF_ALL(0x1000);
    map(root, 8, 0x40001000, PA0, RWUAD | X);
    uint64_t slot = root + 1 * 8;
    mem.w64(slot, mem.r64(slot) & ~V);
    EXPECT_PF_ALL(0x40001000);
}

// priv step 3: R=0 with W=1 (xwr 010 and 110, reserved; ds step 17 note on
// Zicfiss) -> page fault.
TEST_F(ModelTest, Priv_Step3_WriteWithoutRead) {
    S1_SETUP(8, 0);
    map(root, 8, 0x1000, PA0, V | W | U | A | D);
    map(root, 8, 0x2000, PA0, V | W | X | U | A | D);
    EXPECT_PF_ALL(0x1000);
    EXPECT_PF_ALL(0x2000);
}

// priv step 3: reserved bits 58:54 -> page fault, one page per bit.
TEST_F(ModelTest, Priv_Step3_ReservedBits54to58) {
    S1_SETUP(8, 0);
    for (unsigned b = 54; b <= 58; b++) {
        uint64_t iova = 0x100000ull + 0x1000ull * b;
        map(root, 8, iova, PA0, RWUAD | (1ull << b));
        expect_fault(DID, iova, RIOMMU_READ, RIOMMU_CAUSE_READ_PAGE_FAULT);
    }
    map(root, 8, 0x200000, PA0, RWUAD); // control: same table, no reserved bit
    expect_ok(DID, 0x200000, RIOMMU_READ, PA0);
}

// ext "PTE Reserved-for-Software Bits 60-59": with capabilities.Svrsw60t59b
// (default) bits 60:59 are free for software.
TEST_F(ModelTest, Ext_Svrsw60t59b_BitsIgnoredWithCap) {
    S1_SETUP(8, 0);
    ASSERT_TRUE(cfg.capabilities & RIOMMU_CAP_SVRSW60T59B);
    map(root, 8, 0x3000, PA0 + 0x3000, RWUAD | RIOMMU_PTE_RSW60T59);
    expect_ok(DID, 0x3008, RIOMMU_WRITE, PA0 + 0x3008);
    // ... also in a non-leaf PTE.
    map(root, 8, 0x40000000, PA0, RWUAD);
    mem.w64(root + 8, mem.r64(root + 8) | (1ull << 60));
    expect_ok(DID, 0x40000000, RIOMMU_READ, PA0);
}

// ext "PTE Reserved-for-Software Bits 60-59" / priv step 3: without the
// capability bits 60:59 are reserved -> page fault.
TEST_F(ModelTest, Ext_Svrsw60t59b_BitsReservedWithoutCap) {
    cfg.capabilities &= ~RIOMMU_CAP_SVRSW60T59B;
    S1_SETUP(8, 0);
    map(root, 8, 0x3000, PA0, RWUAD | (1ull << 59));
    map(root, 8, 0x4000, PA0, RWUAD | (1ull << 60));
    expect_fault(DID, 0x3000, RIOMMU_READ, RIOMMU_CAUSE_READ_PAGE_FAULT);
    expect_fault(DID, 0x4000, RIOMMU_WRITE, RIOMMU_CAUSE_WRITE_PAGE_FAULT);
}

// Svpbmt (capabilities.Svpbmt, default): PBMT NC/IO are reported in the
// response; PBMT=3 is reserved -> page fault.
TEST_F(ModelTest, Svpbmt_TypesAndReservedEncoding) {
    S1_SETUP(8, 0);
    map(root, 8, 0x1000, PA0, RWUAD | pbmt(RIOMMU_PBMT_NC));
    map(root, 8, 0x2000, PA0, RWUAD | pbmt(RIOMMU_PBMT_IO));
    map(root, 8, 0x3000, PA0, RWUAD | pbmt(3));
    EXPECT_EQ(expect_ok(DID, 0x1000, RIOMMU_READ, PA0).pbmt, RIOMMU_PBMT_NC);
    EXPECT_EQ(expect_ok(DID, 0x2000, RIOMMU_READ, PA0).pbmt, RIOMMU_PBMT_IO);
    EXPECT_PF_ALL(0x3000);
}

// Svpbmt absent: bits 62:61 are reserved -> page fault for any PBMT != 0.
TEST_F(ModelTest, Svpbmt_PbmtWithoutCapPageFault) {
    cfg.capabilities &= ~RIOMMU_CAP_SVPBMT;
    S1_SETUP(8, 0);
    map(root, 8, 0x1000, PA0, RWUAD | pbmt(RIOMMU_PBMT_NC));
    map(root, 8, 0x2000, PA0, RWUAD | pbmt(RIOMMU_PBMT_IO));
    map(root, 8, 0x3000, PA0, RWUAD);
    expect_fault(DID, 0x1000, RIOMMU_READ, RIOMMU_CAUSE_READ_PAGE_FAULT);
    expect_fault(DID, 0x2000, RIOMMU_WRITE, RIOMMU_CAUSE_WRITE_PAGE_FAULT);
    EXPECT_EQ(expect_ok(DID, 0x3000, RIOMMU_READ, PA0).pbmt, 0u);
}

// priv step 4 (+ Svnapot/Svpbmt): in a non-leaf PTE the D, A, U, N and PBMT
// bits are reserved -> page fault; also reserved 58:54. One root entry per bit.
TEST_F(ModelTest, Priv_Step4_NonLeafReservedBits) {
    S1_SETUP(8, 0);
    uint64_t bad[] = {A, D, U, N, pbmt(1), pbmt(2), 1ull << 54, 1ull << 58};
    uint64_t k = 1;
    for (uint64_t b : bad) {
        uint64_t iova = k << 30;
        map(root, 8, iova, PA0, RWUAD);
        mem.w64(root + k * 8, mem.r64(root + k * 8) | b);
        expect_fault(DID, iova, RIOMMU_READ, RIOMMU_CAUSE_READ_PAGE_FAULT);
        k++;
    }
    // Same in a level-1 non-leaf (Sv39 level 1).
    uint64_t iova = 0x1200000; // root[0] -> l1[9]
    map(root, 8, iova, PA0, RWUAD);
    uint64_t l1 = (mem.r64(root) >> 10) << 12;
    mem.w64(l1 + 9 * 8, mem.r64(l1 + 9 * 8) | A);
    expect_fault(DID, iova, RIOMMU_WRITE, RIOMMU_CAUSE_WRITE_PAGE_FAULT);
    map(root, 8, 0x1400000, PA0, RWUAD); // l1[10], clean -> fine
    expect_ok(DID, 0x1400000, RIOMMU_READ, PA0);
}

// =============================================================== Svnapot

// Svnapot: a 64 KiB NAPOT leaf (N=1, ppn[3:0]=1000) maps the whole 64 KiB
// range; pa = (ppn & ~0xF) << 12 | iova[15:0]; range_size 64 KiB.
TEST_F(ModelTest, Svnapot_64KPaComposition) {
    S1_SETUP(8, 0);
    for (unsigned i = 0; i < 16; i++)
        map(root, 8, 0x10000 + 0x1000ull * i, PA0 + 0x8000, RWUAD | N);
    auto r = expect_ok(DID, 0x10000, RIOMMU_READ, PA0);
    EXPECT_EQ(r.range_size, 64u * 1024);
    expect_ok(DID, 0x1ABCD, RIOMMU_WRITE, PA0 + 0xABCD);
    expect_ok(DID, 0x1FFFF, RIOMMU_READ, PA0 + 0xFFFF);
}

// Svnapot: N=1 with ppn[3:0] != 1000 is reserved -> page fault.
TEST_F(ModelTest, Svnapot_BadPpnEncoding) {
    S1_SETUP(8, 0);
    map(root, 8, 0x10000, PA0, RWUAD | N);          // ppn[3:0] = 0000
    map(root, 8, 0x21000, PA0 + 0x4000, RWUAD | N); // ppn[3:0] = 0100
    map(root, 8, 0x32000, PA0 + 0xF000, RWUAD | N); // ppn[3:0] = 1111
    expect_fault(DID, 0x10000, RIOMMU_READ, RIOMMU_CAUSE_READ_PAGE_FAULT);
    expect_fault(DID, 0x21000, RIOMMU_WRITE, RIOMMU_CAUSE_WRITE_PAGE_FAULT);
    expect_fault(DID, 0x32000, RIOMMU_READ, RIOMMU_CAUSE_READ_PAGE_FAULT);
}

// Svnapot: N=1 on a superpage leaf (level > 0) is reserved -> page fault.
TEST_F(ModelTest, Svnapot_NOnSuperpage) {
    S1_SETUP(8, 0);
    map(root, 8, 0x600000, 0x90200000, RWUAD | N, 1); // aligned: only N is wrong
    map(root, 8, 0x80000000, 0x80000000, RWUAD | N, 2);
    expect_fault(DID, 0x600000, RIOMMU_READ, RIOMMU_CAUSE_READ_PAGE_FAULT);
    expect_fault(DID, 0x80000000, RIOMMU_READ, RIOMMU_CAUSE_READ_PAGE_FAULT);
}

// ============================================================== permissions

// priv step 5: a user-mode request (no priv) needs U=1.
TEST_F(ModelTest, Priv_Step5_UserRequestNeedsU) {
    S1_SETUP(8, 0);
    map(root, 8, 0x1000, PA0, (RWUAD | X) & ~U);
    EXPECT_PF_ALL(0x1000);
    // U=1 on the same permissions works.
    map(root, 8, 0x2000, PA0, RWUAD | X);
    expect_ok(DID, 0x2000, RIOMMU_EXEC, PA0);
}

// priv step 5: read-only page: read OK, write -> 15, exec -> 12.
TEST_F(ModelTest, Priv_Step5_ReadOnlyPage) {
    S1_SETUP(8, 0);
    map(root, 8, 0x1000, PA0, V | R | U | A | D);
    auto r = expect_ok(DID, 0x1004, RIOMMU_READ, PA0 + 4);
    EXPECT_TRUE(r.r);
    EXPECT_FALSE(r.w);
    EXPECT_FALSE(r.x);
    expect_fault(DID, 0x1004, RIOMMU_WRITE, RIOMMU_CAUSE_WRITE_PAGE_FAULT);
    expect_fault(DID, 0x1004, RIOMMU_EXEC, RIOMMU_CAUSE_INST_PAGE_FAULT);
}

// priv step 5: read/write page without X: read and write OK, exec -> 12.
TEST_F(ModelTest, Priv_Step5_ReadWriteNoExec) {
    S1_SETUP(8, 0);
    map(root, 8, 0x1000, PA0, RWUAD);
    expect_ok(DID, 0x1000, RIOMMU_READ, PA0);
    expect_ok(DID, 0x1000, RIOMMU_WRITE, PA0);
    expect_fault(DID, 0x1000, RIOMMU_EXEC, RIOMMU_CAUSE_INST_PAGE_FAULT);
}

// priv step 5: execute-only page (no MXR for device requests): exec OK,
// read -> 13, write -> 15.
TEST_F(ModelTest, Priv_Step5_ExecuteOnlyPage) {
    S1_SETUP(8, 0);
    map(root, 8, 0x1000, PA0, V | X | U | A | D);
    auto r = expect_ok(DID, 0x1000, RIOMMU_EXEC, PA0);
    EXPECT_TRUE(r.x);
    EXPECT_FALSE(r.r);
    expect_fault(DID, 0x1000, RIOMMU_READ, RIOMMU_CAUSE_READ_PAGE_FAULT);
    expect_fault(DID, 0x1000, RIOMMU_WRITE, RIOMMU_CAUSE_WRITE_PAGE_FAULT);
}

// priv step 5 with the IOTLB: a cached read-only translation does not let a
// later write through (ds "Caching": permission checks apply on hits).
TEST_F(ModelTest, Priv_Step5_CachedReadOnlyStillFaultsWrite) {
    S1_SETUP(8, 0);
    map(root, 8, 0x1000, PA0, V | R | U | A | D);
    expect_ok(DID, 0x1000, RIOMMU_READ, PA0);
    EXPECT_TRUE(riommu_iotlb_contains(m, false, 0, true, 1, 0x1000));
    EXPECT_TRUE(expect_ok(DID, 0x1008, RIOMMU_READ, PA0 + 8).iotlb_hit);
    expect_fault(DID, 0x1000, RIOMMU_WRITE, RIOMMU_CAUSE_WRITE_PAGE_FAULT);
}

// ============================================================ access faults

// priv step 2: PTE load access fault (PMA/PMP) -> 5 / 7 / 1 by access type,
// for the leaf table and the root table.
TEST_F(ModelTest, Priv_Step2_PteLoadAccessFault) {
    S1_SETUP(8, 0);
    enable_fq();
    uint64_t slot = map(root, 8, 0x1000, PA0, RWUAD | X);
    mem.fault.push_back({slot, slot + 8});
    expect_fault(DID, 0x1000, RIOMMU_READ, RIOMMU_CAUSE_READ_ACCESS_FAULT);
    expect_fault(DID, 0x1000, RIOMMU_WRITE, RIOMMU_CAUSE_WRITE_ACCESS_FAULT);
    expect_fault(DID, 0x1000, RIOMMU_EXEC, RIOMMU_CAUSE_INST_ACCESS_FAULT);
    mem.fault.clear();
    mem.fault.push_back({root + 8, root + 16});
    map(root, 8, 0x40000000, PA0, RWUAD);
    expect_fault(DID, 0x40000000, RIOMMU_WRITE, RIOMMU_CAUSE_WRITE_ACCESS_FAULT);
    auto recs = drain_faults();
    ASSERT_EQ(recs.size(), 4u);
    EXPECT_EQ(recs[3].cause, 7u);
    EXPECT_EQ(recs[3].iotval, 0x40000000u);
}

// q "Fault record CAUSE" 274: PTE load detects data corruption (leaf and
// non-leaf) -> 274, recorded.
TEST_F(ModelTest, Q_Cause274_PteDataCorruption) {
    S1_SETUP(9, 0);
    enable_fq();
    uint64_t slot = map(root, 9, 0x1000, PA0, RWUAD);
    map(root, 9, 0x8000000000ull, PA0, RWUAD);
    mem.poison.push_back({slot, slot + 8});
    mem.poison.push_back({root + 8, root + 16});
    auto r1 = expect_fault(DID, 0x1000, RIOMMU_READ, RIOMMU_CAUSE_PT_CORRUPTION);
    auto r2 = expect_fault(DID, 0x8000000000ull, RIOMMU_WRITE, RIOMMU_CAUSE_PT_CORRUPTION);
    EXPECT_TRUE(r1.recorded && r2.recorded);
    auto recs = drain_faults();
    ASSERT_EQ(recs.size(), 2u);
    EXPECT_EQ(recs[0].cause, 274u);
    EXPECT_EQ(recs[1].cause, 274u);
}

// q "Fault record CAUSE" table: access faults (5/7/1) and PT data corruption
// (274) are not reported when DTF=1; the device still gets the fault.
TEST_F(ModelTest, Q_FaultCause_DtfSuppressesAccessFaultAnd274) {
    S1_SETUP(8, RIOMMU_DC_TC_DTF);
    enable_fq();
    uint64_t s1 = map(root, 8, 0x1000, PA0, RWUAD);
    uint64_t s2 = map(root, 8, 0x2000, PA0, RWUAD);
    mem.fault.push_back({s1, s1 + 8});
    mem.poison.push_back({s2, s2 + 8});
    EXPECT_FALSE(expect_fault(DID, 0x1000, RIOMMU_WRITE, RIOMMU_CAUSE_WRITE_ACCESS_FAULT).recorded);
    EXPECT_FALSE(expect_fault(DID, 0x2000, RIOMMU_READ, RIOMMU_CAUSE_PT_CORRUPTION).recorded);
    EXPECT_TRUE(drain_faults().empty());
    EXPECT_EQ(stats().fault_records_suppressed, 2u);
}

// regs "capabilities" PAS / hw guidelines "Faults from PMA and PMP": a
// translated address at or above 2^PAS -> access fault 5 / 7 / 1.
TEST_F(ModelTest, Pas_TranslatedAddressBeyondPasAccessFault) {
    cfg.capabilities = (cfg.capabilities & ~RIOMMU_CAP_PAS) |
                       RIOMMU_FIELD_PREP(RIOMMU_CAP_PAS, 40);
    S1_SETUP(8, 0);
    map(root, 8, 0x1000, 1ull << 40, RWUAD | X);
    map(root, 8, 0x2000, (1ull << 40) - 0x1000, RWUAD | X);
    expect_fault(DID, 0x1000, RIOMMU_READ, RIOMMU_CAUSE_READ_ACCESS_FAULT);
    expect_fault(DID, 0x1000, RIOMMU_WRITE, RIOMMU_CAUSE_WRITE_ACCESS_FAULT);
    expect_fault(DID, 0x1000, RIOMMU_EXEC, RIOMMU_CAUSE_INST_ACCESS_FAULT);
    expect_ok(DID, 0x2FFF, RIOMMU_READ, (1ull << 40) - 1);
}

// regs "capabilities" PAS: a first-stage root at or above 2^PAS cannot be
// read -> access fault (priv step 2).
TEST_F(ModelTest, Pas_RootTableBeyondPasAccessFault) {
    cfg.capabilities = (cfg.capabilities & ~RIOMMU_CAP_PAS) |
                       RIOMMU_FIELD_PREP(RIOMMU_CAP_PAS, 40);
    Create();
    setup_ddt();
    attach_s1(DID, 1ull << 40, 8, 1);
    expect_fault(DID, 0x1000, RIOMMU_READ, RIOMMU_CAUSE_READ_ACCESS_FAULT);
    expect_fault(DID, 0x1000, RIOMMU_EXEC, RIOMMU_CAUSE_INST_ACCESS_FAULT);
}

// ================================================================ A and D bits

// ds tc.SADE=0: A=0 -> page fault for any access; D=0 -> page fault on write
// only; nothing written to memory.
TEST_F(ModelTest, Ds_TcSade0_ADClearPageFault) {
    S1_SETUP(8, 0);
    map(root, 8, 0x1000, PA0, RWUAD & ~A);
    map(root, 8, 0x2000, PA0 + 0x1000, RWUAD & ~D);
    expect_fault(DID, 0x1000, RIOMMU_READ, RIOMMU_CAUSE_READ_PAGE_FAULT);
    expect_fault(DID, 0x1000, RIOMMU_WRITE, RIOMMU_CAUSE_WRITE_PAGE_FAULT);
    expect_ok(DID, 0x2000, RIOMMU_READ, PA0 + 0x1000);
    expect_fault(DID, 0x2000, RIOMMU_WRITE, RIOMMU_CAUSE_WRITE_PAGE_FAULT);
    EXPECT_EQ(mem.count_writes(RIOMMU_ACC_AD_UPDATE), 0u);
}

// ds "IOMMU updating of PTE A and D" with SADE=1: a read of an A=0 page sets
// A (not D) atomically in memory and succeeds.
TEST_F(ModelTest, Ds_AdUpdate_ReadSetsOnlyA) {
    S1_SETUP(8, RIOMMU_DC_TC_SADE);
    uint64_t slot = map(root, 8, 0x1000, PA0, V | R | W | U);
    expect_ok(DID, 0x1000, RIOMMU_READ, PA0);
    EXPECT_EQ(mem.r64(slot), pte_leaf(PA0, V | R | W | U | A));
    ASSERT_EQ(mem.count_writes(RIOMMU_ACC_AD_UPDATE), 1u);
    for (auto &w : mem.writes)
        if (w.kind == RIOMMU_ACC_AD_UPDATE) {
            EXPECT_EQ(w.pa, slot);
        }
}

// ds "IOMMU updating of PTE A and D" with SADE=1: a write sets A and D.
TEST_F(ModelTest, Ds_AdUpdate_WriteSetsAAndD) {
    S1_SETUP(8, RIOMMU_DC_TC_SADE);
    uint64_t slot = map(root, 8, 0x1000, PA0, V | R | W | U);
    expect_ok(DID, 0x1000, RIOMMU_WRITE, PA0);
    EXPECT_EQ(mem.r64(slot), pte_leaf(PA0, V | R | W | U | A | D));
    EXPECT_EQ(mem.count_writes(RIOMMU_ACC_AD_UPDATE), 1u);
    EXPECT_EQ(stats().ad_updates, 1u);
}

// ds A/D with SADE=1: read then write; the cached (D=0) translation must not
// satisfy the write - D is set by a second update.
TEST_F(ModelTest, Ds_AdUpdate_ReadThenWriteSetsD) {
    S1_SETUP(8, RIOMMU_DC_TC_SADE);
    uint64_t slot = map(root, 8, 0x1000, PA0, V | R | W | U);
    expect_ok(DID, 0x1000, RIOMMU_READ, PA0);
    EXPECT_FALSE(mem.r64(slot) & D);
    expect_ok(DID, 0x1000, RIOMMU_WRITE, PA0);
    EXPECT_EQ(mem.r64(slot), pte_leaf(PA0, V | R | W | U | A | D));
    EXPECT_EQ(mem.count_writes(RIOMMU_ACC_AD_UPDATE), 2u);
}

// ds A/D rule 1 ("must follow the rules ... for validity, permission
// checking"): no update for a faulting access (write to read-only, V=0).
TEST_F(ModelTest, Ds_AdUpdate_NoUpdateOnFault) {
    S1_SETUP(8, RIOMMU_DC_TC_SADE);
    uint64_t s1 = map(root, 8, 0x1000, PA0, V | R | U);
    uint64_t s2 = map(root, 8, 0x2000, PA0, R | W | U);
    expect_fault(DID, 0x1000, RIOMMU_WRITE, RIOMMU_CAUSE_WRITE_PAGE_FAULT);
    expect_fault(DID, 0x2000, RIOMMU_READ, RIOMMU_CAUSE_READ_PAGE_FAULT);
    EXPECT_EQ(mem.count_writes(RIOMMU_ACC_AD_UPDATE), 0u);
    EXPECT_EQ(mem.r64(s1), pte_leaf(PA0, V | R | U));
    EXPECT_EQ(mem.r64(s2), pte_leaf(PA0, R | W | U));
}

// ds A/D + priv: A/D update on a 2 MiB superpage leaf updates that leaf PTE.
TEST_F(ModelTest, Ds_AdUpdate_SuperpageLeaf) {
    S1_SETUP(8, RIOMMU_DC_TC_SADE);
    uint64_t slot = map(root, 8, 0x200000, 0x90200000, V | R | W | U, 1);
    expect_ok(DID, 0x201234, RIOMMU_WRITE, 0x90201234);
    EXPECT_EQ(mem.r64(slot), pte_leaf(0x90200000, V | R | W | U | A | D));
}

// ds A/D rule 1 + priv step ordering (misaligned superpage check precedes the
// A/D update): a misaligned superpage faults without setting A/D.
TEST_F(ModelTest, Ds_AdUpdate_NoUpdateOnMisalignedSuperpage) {
    S1_SETUP(8, RIOMMU_DC_TC_SADE);
    uint64_t slot = map(root, 8, 0x200000, 0x90201000, V | R | W | U, 1);
    expect_fault(DID, 0x200000, RIOMMU_WRITE, RIOMMU_CAUSE_WRITE_PAGE_FAULT);
    EXPECT_EQ(mem.count_writes(RIOMMU_ACC_AD_UPDATE), 0u);
    EXPECT_EQ(mem.r64(slot), pte_leaf(0x90201000, V | R | W | U));
}

// priv "G bit": a G bit in a non-leaf PTE makes every mapping below it global
// (reported in the response); without G, not global.
TEST_F(ModelTest, Priv_GlobalBitFromNonLeaf) {
    S1_SETUP(8, 0);
    map(root, 8, 0x40000000, PA0, RWUAD);
    map(root, 8, 0x80000000, PA0, RWUAD);
    mem.w64(root + 1 * 8, mem.r64(root + 1 * 8) | G);
    EXPECT_TRUE(expect_ok(DID, 0x40000000, RIOMMU_READ, PA0).global);
    EXPECT_FALSE(expect_ok(DID, 0x80000000, RIOMMU_READ, PA0).global);
}

// ================================================================ endianness

// ds "Endianness of in-memory data structures": DC.tc.SBE=1 -> first-stage
// PTEs are big-endian while the DDT (fctl.BE=0) stays little-endian; A/D
// updates are stored big-endian too. Sv39 tables built by hand.
TEST_F(ModelTest, Ds_Endianness_SbeBigEndianPtes) {
    Create();
    setup_ddt();
    uint64_t root = alloc(), l1 = alloc(), l0 = alloc();
    uint64_t iova = 0x40201000; // VPN[2]=1, VPN[1]=1, VPN[0]=1
    mem.w64(root + 8, __builtin_bswap64(pte_table(l1)));
    mem.w64(l1 + 8, __builtin_bswap64(pte_table(l0)));
    mem.w64(l0 + 8, __builtin_bswap64(pte_leaf(PA0, V | R | W | U)));
    attach_s1(DID, root, 8, 1, RIOMMU_DC_TC_SBE | RIOMMU_DC_TC_SADE);
    expect_ok(DID, iova + 0x10, RIOMMU_WRITE, PA0 + 0x10);
    EXPECT_EQ(__builtin_bswap64(mem.r64(l0 + 8)), pte_leaf(PA0, V | R | W | U | A | D));
    // The same (big-endian) tables read little-endian: garbage -> page fault.
    attach_s1(DID + 1, root, 8, 2);
    expect_fault(DID + 1, iova, RIOMMU_READ, RIOMMU_CAUSE_READ_PAGE_FAULT);
}

// ds "Endianness": fctl.BE=1 and SBE=1 -> DDT and PTEs both big-endian.
TEST_F(ModelTest, Ds_Endianness_FctlBeAndSbeBigEndian) {
    Create();
    wr32(RIOMMU_REG_FCTL, RIOMMU_FCTL_BE);
    setup_ddt(RIOMMU_DDTP_MODE_1LVL);
    uint64_t root = alloc(), l1 = alloc(), l0 = alloc();
    mem.w64(root, __builtin_bswap64(pte_table(l1)));
    mem.w64(l1, __builtin_bswap64(pte_table(l0)));
    mem.w64(l0 + 3 * 8, __builtin_bswap64(pte_leaf(PA0 + 0x5000, RWUAD)));
    uint64_t dc = ddt_root + 5 * 32;
    mem.w64(dc, __builtin_bswap64(RIOMMU_DC_TC_V | RIOMMU_DC_TC_SBE));
    mem.w64(dc + 16, __builtin_bswap64(RIOMMU_FIELD_PREP(RIOMMU_DC_TA_PSCID, 7)));
    mem.w64(dc + 24, __builtin_bswap64(RIOMMU_FIELD_PREP(RIOMMU_FSC_MODE, 8) | (root >> 12)));
    expect_ok(5, 0x3ABC, RIOMMU_READ, PA0 + 0x5ABC);
}

// ====================================================================== Sv32

namespace {
uint32_t pte32_leaf(uint64_t pa, uint32_t flags) { return (uint32_t)((pa >> 12) << 10) | flags; }
uint32_t pte32_table(uint64_t pa) { return (uint32_t)((pa >> 12) << 10) | (uint32_t)V; }
} // namespace

// Sv32 setup: capabilities.Sv32, fctl.GXL writable so DC.tc.SXL=1 is legal
// (ds DC checks #19), iosatp.MODE=8 means Sv32 under SXL=1.
#define SV32_SETUP(extra_tc)                                                             \
    cfg.capabilities |= RIOMMU_CAP_SV32;                                                 \
    cfg.fctl_gxl_writable = true;                                                        \
    Create();                                                                            \
    setup_ddt();                                                                         \
    uint64_t root = alloc();                                                             \
    attach_s1(DID, root, 8, 1, RIOMMU_DC_TC_SXL | (extra_tc))

// priv Sv32: 4-byte PTEs, 10-bit VPNs, 22-bit PPN (34-bit PA). 4 KiB leaf.
TEST_F(ModelTest, Priv_Sv32_4KLeaf34BitPa) {
    SV32_SETUP(0);
    uint32_t iova = 0xC0345000; // VPN[1] = 0x300, VPN[0] = 0x345
    uint64_t l0 = alloc();
    mem.w32(root + 0x300 * 4, pte32_table(l0));
    mem.w32(l0 + 0x345 * 4, pte32_leaf(0x3ABCDE000ull, (uint32_t)(RWUAD | X)));
    auto r = expect_ok(DID, iova + 0x123, RIOMMU_READ, 0x3ABCDE123ull);
    EXPECT_EQ(r.range_size, 4096u);
    expect_ok(DID, iova + 0xFFF, RIOMMU_EXEC, 0x3ABCDEFFFull);
}

// priv Sv32: 4 MiB superpage at level 1; pa keeps iova[21:0]; misaligned
// (ppn[0] != 0) -> page fault.
TEST_F(ModelTest, Priv_Sv32_4MSuperpageAndMisaligned) {
    SV32_SETUP(0);
    mem.w32(root + 0x001 * 4, pte32_leaf(0x200C00000ull, (uint32_t)RWUAD));
    mem.w32(root + 0x002 * 4, pte32_leaf(0x200C01000ull, (uint32_t)RWUAD));
    auto r = expect_ok(DID, 0x00712345, RIOMMU_WRITE, 0x200F12345ull);
    EXPECT_EQ(r.range_size, 4ull << 20);
    expect_fault(DID, 0x00800000, RIOMMU_READ, RIOMMU_CAUSE_READ_PAGE_FAULT);
}

// ds "Translation control" (SXL=1 rules): IOVA bits beyond 31 set -> page
// fault, iotval = IOVA.
TEST_F(ModelTest, Ds_TcSxl_Sv32IovaAbove32BitsPageFault) {
    SV32_SETUP(0);
    enable_fq();
    mem.w32(root, pte32_leaf(0x0, (uint32_t)(RWUAD | X)));
    expect_ok(DID, 0x1000, RIOMMU_READ, 0x1000);
    expect_fault(DID, 0x100001000ull, RIOMMU_READ, RIOMMU_CAUSE_READ_PAGE_FAULT);
    expect_fault(DID, 0x100001000ull, RIOMMU_WRITE, RIOMMU_CAUSE_WRITE_PAGE_FAULT);
    expect_fault(DID, 0xFFFFFFFF80000000ull, RIOMMU_EXEC, RIOMMU_CAUSE_INST_PAGE_FAULT);
    auto recs = drain_faults();
    ASSERT_EQ(recs.size(), 3u);
    EXPECT_EQ(recs[0].iotval, 0x100001000ull);
    EXPECT_EQ(recs[2].iotval, 0xFFFFFFFF80000000ull);
}

// ds "Translation control" SXL=1 rules apply only "If the first-stage is not
// Bare": with iosatp Bare an IOVA above 32 bits passes through.
TEST_F(ModelTest, Ds_TcSxl_BareFirstStageNo32BitLimit) {
    cfg.capabilities |= RIOMMU_CAP_SV32;
    cfg.fctl_gxl_writable = true;
    Create();
    setup_ddt();
    set_dc(DID, RIOMMU_DC_TC_V | RIOMMU_DC_TC_SXL, 0, 0, 0);
    expect_ok(DID, 0x123456789ull, RIOMMU_WRITE, 0x123456789ull);
}

// priv Sv32: V=0, W without R, A/D/U in a non-leaf -> page fault.
TEST_F(ModelTest, Priv_Sv32_PteChecks) {
    SV32_SETUP(0);
    uint64_t l0 = alloc(), l0b = alloc();
    mem.w32(root + 0, pte32_table(l0));
    mem.w32(root + 4, pte32_table(l0b) | (uint32_t)A); // non-leaf with A
    mem.w32(l0 + 1 * 4, pte32_leaf(PA0, (uint32_t)((RWUAD | X) & ~V)));
    mem.w32(l0 + 2 * 4, pte32_leaf(PA0, (uint32_t)(V | W | U | A | D)));
    mem.w32(l0 + 3 * 4, pte32_leaf(PA0, (uint32_t)(V | R | U | A | D)));
    mem.w32(l0b, pte32_leaf(PA0, (uint32_t)RWUAD));
    EXPECT_PF_ALL(0x1000);
    EXPECT_PF_ALL(0x2000);
    expect_ok(DID, 0x3000, RIOMMU_READ, PA0);
    expect_fault(DID, 0x3000, RIOMMU_WRITE, RIOMMU_CAUSE_WRITE_PAGE_FAULT);
    expect_fault(DID, 0x400000, RIOMMU_READ, RIOMMU_CAUSE_READ_PAGE_FAULT);
}

// ds A/D with SADE=1 on Sv32: the 4-byte PTE is updated (A and D set) and
// the neighbouring PTE is untouched.
TEST_F(ModelTest, Ds_AdUpdate_Sv32FourBytePte) {
    SV32_SETUP(RIOMMU_DC_TC_SADE);
    uint64_t l0 = alloc();
    mem.w32(root, pte32_table(l0));
    mem.w32(l0 + 5 * 4, pte32_leaf(PA0, (uint32_t)(V | R | W | U)));
    mem.w32(l0 + 6 * 4, 0xDEADBEEF & ~(uint32_t)V);
    expect_ok(DID, 0x5010, RIOMMU_WRITE, PA0 + 0x10);
    EXPECT_EQ(mem.r32(l0 + 5 * 4), pte32_leaf(PA0, (uint32_t)(V | R | W | U | A | D)));
    EXPECT_EQ(mem.r32(l0 + 6 * 4), 0xDEADBEEF & ~(uint32_t)V);
    ASSERT_EQ(mem.count_writes(RIOMMU_ACC_AD_UPDATE), 1u);
    for (auto &w : mem.writes)
        if (w.kind == RIOMMU_ACC_AD_UPDATE) {
            EXPECT_EQ(w.bytes.size(), 4u);
        }
}

// ds "Endianness of in-memory data structures" with Sv32: SBE=1 makes the
// 4-byte PTEs big-endian, including the A/D update write.
TEST_F(ModelTest, Ds_Endianness_Sv32SbeBigEndianPtes) {
    SV32_SETUP(RIOMMU_DC_TC_SBE | RIOMMU_DC_TC_SADE);
    uint64_t l0 = alloc();
    mem.w32(root + 0x3 * 4, __builtin_bswap32(pte32_table(l0)));
    mem.w32(l0 + 0x7 * 4, __builtin_bswap32(pte32_leaf(0x2ABC00000ull, (uint32_t)(V | R | W | U))));
    expect_ok(DID, 0x00C07123, RIOMMU_WRITE, 0x2ABC00123ull);
    EXPECT_EQ(__builtin_bswap32(mem.r32(l0 + 0x7 * 4)),
              pte32_leaf(0x2ABC00000ull, (uint32_t)(V | R | W | U | A | D)));
}

// ============================================================ caching (IOTLB)

// ds "Caching in-memory data structures": a completed walk fills the IOTLB
// (tagged by PSCID) and the next access to the page is a hit without PTE reads.
TEST_F(ModelTest, Ds_Caching_IotlbHitAfterWalk) {
    S1_SETUP(8, 0);
    map(root, 8, 0x7000, PA0, RWUAD);
    auto r = expect_ok(DID, 0x7000, RIOMMU_READ, PA0);
    EXPECT_FALSE(r.iotlb_hit);
    EXPECT_TRUE(riommu_iotlb_contains(m, false, 0, true, 1, 0x7000));
    uint64_t reads = stats().mem_accesses[RIOMMU_ACC_PTE_S1];
    r = expect_ok(DID, 0x7FF0, RIOMMU_WRITE, PA0 + 0xFF0);
    EXPECT_TRUE(r.iotlb_hit);
    EXPECT_EQ(stats().mem_accesses[RIOMMU_ACC_PTE_S1], reads);
}

// ds "Caching": PTEs with V=0 are never cached: fixing the PTE in memory is
// seen by the next request without invalidation.
TEST_F(ModelTest, Ds_Caching_InvalidPteNotCached) {
    S1_SETUP(8, 0);
    uint64_t slot = map(root, 8, 0x7000, PA0, RWUAD & ~V);
    expect_fault(DID, 0x7000, RIOMMU_READ, RIOMMU_CAUSE_READ_PAGE_FAULT);
    EXPECT_FALSE(riommu_iotlb_contains(m, false, 0, true, 1, 0x7000));
    mem.w64(slot, pte_leaf(PA0, RWUAD));
    expect_ok(DID, 0x7000, RIOMMU_READ, PA0);
}

// ================================================================ riommu_dma

namespace {
riommu_request dma_req(uint32_t did, uint64_t iova, riommu_req_access a, uint32_t len) {
    riommu_request q{};
    q.device_id = did;
    q.iova = iova;
    q.access = a;
    q.len = len;
    return q;
}
} // namespace

// riommu.h riommu_dma: a read spanning two IOVA pages mapped to
// non-contiguous PAs gathers the bytes from both physical pages.
TEST_F(ModelTest, Api_Dma_ReadAcrossPageBoundary) {
    S1_SETUP(8, 0);
    map(root, 8, 0x10000, PA0, RWUAD);
    map(root, 8, 0x11000, PA0 + 0x5000, RWUAD);
    for (unsigned i = 0; i < 16; i++) {
        uint8_t a = (uint8_t)(0xA0 + i), b = (uint8_t)(0xB0 + i);
        mem.write(PA0 + 0xFF0 + i, &a, 1);
        mem.write(PA0 + 0x5000 + i, &b, 1);
    }
    auto q = dma_req(DID, 0x10FF0, RIOMMU_READ, 32);
    uint8_t buf[32] = {};
    riommu_response rsp{};
    ASSERT_EQ(riommu_dma(m, &q, buf, &rsp), RIOMMU_RSP_OK);
    for (unsigned i = 0; i < 16; i++) {
        EXPECT_EQ(buf[i], 0xA0 + i);
        EXPECT_EQ(buf[16 + i], 0xB0 + i);
    }
    EXPECT_EQ(rsp.pa, PA0 + 0xFF0); // describes the first page
    EXPECT_EQ(stats().mem_accesses[RIOMMU_ACC_DMA_DATA], 2u);
}

// riommu.h riommu_dma: a write spanning two pages scatters into both PAs.
TEST_F(ModelTest, Api_Dma_WriteAcrossPageBoundary) {
    S1_SETUP(8, 0);
    map(root, 8, 0x10000, PA0, RWUAD);
    map(root, 8, 0x11000, PA0 + 0x5000, RWUAD);
    uint8_t buf[24];
    for (unsigned i = 0; i < 24; i++)
        buf[i] = (uint8_t)(0x10 + i);
    auto q = dma_req(DID, 0x10FF8, RIOMMU_WRITE, 24);
    riommu_response rsp{};
    ASSERT_EQ(riommu_dma(m, &q, buf, &rsp), RIOMMU_RSP_OK);
    uint8_t got[24];
    mem.read(PA0 + 0xFF8, got, 8);
    mem.read(PA0 + 0x5000, got + 8, 16);
    EXPECT_EQ(0, memcmp(got, buf, 24));
    EXPECT_EQ(mem.count_writes(RIOMMU_ACC_DMA_DATA), 2u);
}

// riommu.h riommu_dma: stops at the first faulting page; earlier pages are
// transferred, the faulting and later pages are not.
TEST_F(ModelTest, Api_Dma_StopsAtFirstFaultingPage) {
    S1_SETUP(8, 0);
    enable_fq();
    map(root, 8, 0x10000, PA0, RWUAD);
    map(root, 8, 0x12000, PA0 + 0x2000, RWUAD); // 0x11000 unmapped
    std::vector<uint8_t> buf(0x2000, 0x5A);
    auto q = dma_req(DID, 0x10800, RIOMMU_WRITE, 0x2000);
    riommu_response rsp{};
    EXPECT_EQ(riommu_dma(m, &q, buf.data(), &rsp), RIOMMU_RSP_FAULT);
    EXPECT_EQ(rsp.cause, RIOMMU_CAUSE_WRITE_PAGE_FAULT);
    ASSERT_EQ(mem.count_writes(RIOMMU_ACC_DMA_DATA), 1u);
    for (auto &w : mem.writes)
        if (w.kind == RIOMMU_ACC_DMA_DATA) {
            EXPECT_EQ(w.pa, PA0 + 0x800);
            EXPECT_EQ(w.bytes.size(), 0x800u);
        }
    uint8_t b;
    mem.read(PA0 + 0x2000, &b, 1);
    EXPECT_EQ(b, 0); // third page untouched
    auto recs = drain_faults();
    ASSERT_EQ(recs.size(), 1u);
    EXPECT_EQ(recs[0].iotval, 0x11000u);
}

// riommu.h riommu_dma: a read faulting on its first page returns no data.
TEST_F(ModelTest, Api_Dma_ReadFaultFirstPageNoData) {
    S1_SETUP(8, 0);
    map(root, 8, 0x10000, PA0, V | W | U | A | D | R);
    map(root, 8, 0x11000, PA0, V | X | U | A); // exec-only
    uint8_t buf[8];
    memset(buf, 0xEE, sizeof buf);
    auto q = dma_req(DID, 0x11000, RIOMMU_READ, 8);
    riommu_response rsp{};
    EXPECT_EQ(riommu_dma(m, &q, buf, &rsp), RIOMMU_RSP_FAULT);
    EXPECT_EQ(rsp.cause, RIOMMU_CAUSE_READ_PAGE_FAULT);
    for (uint8_t c : buf)
        EXPECT_EQ(c, 0xEE);
    EXPECT_EQ(stats().mem_accesses[RIOMMU_ACC_DMA_DATA], 0u);
}

// riommu.h riommu_dma: device_id wider than 24 bits, len 0 and a process_id
// wider than 20 bits are BAD_REQUEST; nothing is translated or moved.
TEST_F(ModelTest, Api_Dma_BadRequest) {
    S1_SETUP(8, 0);
    map(root, 8, 0x10000, PA0, RWUAD);
    uint8_t buf[4] = {};
    riommu_response rsp{};
    auto q = dma_req(0x1000000, 0x10000, RIOMMU_READ, 4);
    EXPECT_EQ(riommu_dma(m, &q, buf, &rsp), RIOMMU_RSP_BAD_REQUEST);
    q = dma_req(DID, 0x10000, RIOMMU_WRITE, 0);
    EXPECT_EQ(riommu_dma(m, &q, buf, &rsp), RIOMMU_RSP_BAD_REQUEST);
    EXPECT_EQ(rsp.status, RIOMMU_RSP_BAD_REQUEST);
    q = dma_req(DID, 0x10000, RIOMMU_READ, 4);
    q.pv = true;
    q.process_id = 0x100000;
    EXPECT_EQ(riommu_dma(m, &q, buf, &rsp), RIOMMU_RSP_BAD_REQUEST);
    EXPECT_EQ(stats().translations, 0u);
    EXPECT_EQ(stats().mem_accesses[RIOMMU_ACC_DMA_DATA], 0u);
    // A well-formed request on the same mapping works.
    q = dma_req(DID, 0x10000, RIOMMU_READ, 4);
    EXPECT_EQ(riommu_dma(m, &q, buf, &rsp), RIOMMU_RSP_OK);
}

// riommu.h riommu_dma: a host memory error on the data access itself gives
// an access fault (5 / 7) that is not recorded in the FQ.
TEST_F(ModelTest, Api_Dma_DataAccessFaultNotRecorded) {
    S1_SETUP(8, 0);
    enable_fq();
    map(root, 8, 0x10000, PA0, RWUAD);
    mem.fault.push_back({PA0, PA0 + 0x1000});
    uint8_t buf[8] = {};
    riommu_response rsp{};
    auto q = dma_req(DID, 0x10000, RIOMMU_WRITE, 8);
    EXPECT_EQ(riommu_dma(m, &q, buf, &rsp), RIOMMU_RSP_FAULT);
    EXPECT_EQ(rsp.cause, RIOMMU_CAUSE_WRITE_ACCESS_FAULT);
    EXPECT_FALSE(rsp.recorded);
    q = dma_req(DID, 0x10000, RIOMMU_READ, 8);
    EXPECT_EQ(riommu_dma(m, &q, buf, &rsp), RIOMMU_RSP_FAULT);
    EXPECT_EQ(rsp.cause, RIOMMU_CAUSE_READ_ACCESS_FAULT);
    EXPECT_TRUE(drain_faults().empty());
}

// ================================================== host page pointers

// riommu.h riommu_host_ops.mem_page; ds "Endianness of in-memory data
// structures"; regs "capabilities" PAS; hw guidelines "Faults from PMA and
// PMP"; q "Fault/Event-Queue" cause 274: a host that hands out page
// pointers sees the same walks as one that copies every read. The same
// script runs without mem_page, with it, and with it and
// RIOMMU_HOST_STABLE_PAGES (the walker keeps table pages): little- and
// big-endian (SBE)
// Sv39/48/57 tables, a hardware A/D update, a table page never written
// (zeros: page fault), a table in a faulting and in a poisoned range (the
// host declines: mem_read reports it), a table above 2^PAS (present in
// host memory, refused before the host is asked), DDT walks and command
// fetches; responses, fault records, statistics and memory agree, and the
// pointers were used.
TEST_F(ModelTest, Host_MemPageMatchesMemRead) {
    struct Outcome {
        std::vector<std::array<uint64_t, 4>> rsp; // status, cause, pa, range
        std::vector<FaultRec> faults;
        riommu_stats st;
        std::map<uint64_t, std::array<uint8_t, 4096>> pages;
    };
    auto script = [this](bool pages, bool stable) {
        fresh_world();
        cfg.capabilities = (cfg.capabilities & ~RIOMMU_CAP_PAS) |
                           RIOMMU_FIELD_PREP(RIOMMU_CAP_PAS, 40);
        cfg.walkc.enable = false;
        host_pages = pages;
        stable_pages = stable;
        Outcome o{};
        Create();
        if (!m)
            return o;
        setup_ddt();
        enable_cq();
        enable_fq();
        const unsigned modes[3] = {8, 9, 10};
        for (unsigned k = 0; k < 3; k++) { // LE tables, A/D preset and not
            uint64_t root = new_root();
            for (uint64_t p = 0; p < 6; p++)
                map(root, modes[k], 0x40000000 + p * 4096, PA0 + p * 4096,
                    p == 5 ? (V | R | W | U) : RWUAD);
            attach_s1(0x10 + k, root, modes[k], 1 + k, RIOMMU_DC_TC_SADE);
        }
        uint64_t root = alloc(), l1 = alloc(), l0 = alloc(); // big-endian Sv39
        mem.w64(root + 8, __builtin_bswap64(pte_table(l1))); // 0x40001000 only
        mem.w64(l1, __builtin_bswap64(pte_table(l0)));
        mem.w64(l0 + 8, __builtin_bswap64(pte_leaf(PA0, V | R | W | U)));
        attach_s1(0x20, root, 8, 9, RIOMMU_DC_TC_SBE | RIOMMU_DC_TC_SADE);
        uint64_t bad = new_root(); // broken tables below one root
        mem.w64(bad + 0, pte_table(0x7000000));       // never written: zeros
        mem.w64(bad + 8, pte_table(alloc()));         // faulting page
        mem.fault.push_back({next_page - 4096, next_page});
        mem.w64(bad + 16, pte_table(alloc()));        // poisoned page
        mem.poison.push_back({next_page - 4096, next_page});
        mem.pages[1ull << 40].fill(0);                 // present, beyond PAS
        mem.w64(bad + 24, pte_table(1ull << 40));
        attach_s1(0x30, bad, 8, 30);
        for (unsigned round = 0; round < 2; round++) {
            for (uint32_t did : {0x10u, 0x11u, 0x12u, 0x20u})
                for (uint64_t p = 0; p < 6; p++)
                    for (auto acc : {RIOMMU_READ, RIOMMU_WRITE}) {
                        riommu_response r = xlate(did, 0x40000000 + p * 4096 + 8, acc);
                        o.rsp.push_back({r.status, r.cause, r.pa, r.range_size});
                    }
            for (uint64_t g = 0; g < 4; g++) {
                riommu_response r = xlate(0x30, g << 30, RIOMMU_READ);
                o.rsp.push_back({r.status, r.cause, r.pa, r.range_size});
            }
            run(iotinval_vma()); // a command fetch; the next round walks again
            run(iodir_inval_ddt());
        }
        o.faults = drain_faults();
        o.st = stats();
        o.pages = mem.pages;
        if (pages) // kept pages are asked for once (and compared below)
            EXPECT_GT(page_reads, stable ? 20u : 50u);
        else
            EXPECT_EQ(page_reads, 0u);
        return o;
    };
    auto compare = [](const Outcome &a, const Outcome &b) {
        ASSERT_EQ(a.rsp.size(), b.rsp.size());
        for (size_t i = 0; i < a.rsp.size(); i++)
            EXPECT_EQ(a.rsp[i], b.rsp[i]) << "request " << i;
        ASSERT_EQ(a.faults.size(), b.faults.size());
        for (size_t i = 0; i < a.faults.size(); i++) {
            EXPECT_EQ(a.faults[i].cause, b.faults[i].cause) << "record " << i;
            EXPECT_EQ(a.faults[i].did, b.faults[i].did) << "record " << i;
            EXPECT_EQ(a.faults[i].iotval, b.faults[i].iotval) << "record " << i;
        }
        std::set<unsigned> causes;
        for (auto &f : a.faults)
            causes.insert(f.cause);
        EXPECT_EQ(causes, (std::set<unsigned>{RIOMMU_CAUSE_READ_PAGE_FAULT,
                                              RIOMMU_CAUSE_WRITE_PAGE_FAULT,
                                              RIOMMU_CAUSE_READ_ACCESS_FAULT,
                                              RIOMMU_CAUSE_PT_CORRUPTION}));
        EXPECT_EQ(0, memcmp(&a.st, &b.st, sizeof a.st));
        EXPECT_TRUE(a.pages == b.pages);
        EXPECT_GT(a.st.ad_updates, 0u);
        size_t ok = 0;
        for (auto &r : a.rsp)
            ok += r[0] == RIOMMU_RSP_OK;
        EXPECT_EQ(ok, 2 * (3 * 12 + 2)); // every LE page both ways, the BE page both ways
    };
    Outcome a = script(false, false);
    uint64_t asked_each_time = 0;
    for (bool stable : {false, true}) {
        SCOPED_TRACE(stable ? "stable pages" : "page pointers");
        Outcome b = script(true, stable);
        if (!stable)
            asked_each_time = page_reads;
        else // kept table pages are not asked for again
            EXPECT_LT(page_reads, asked_each_time);
        compare(a, b);
    }
}

// riommu.h riommu_host_ops flag RIOMMU_HOST_STABLE_PAGES and
// riommu_invalidate_pages (like TLM-2.0's direct memory interface; ds
// "Process to translate an IOVA" step 17; q "Fault/Event-Queue" cause 274):
// the walker keeps the table page of each level and reads through it on
// later walks without asking the host; the host's writes show through the
// kept pointer; after riommu_invalidate_pages for a range, a walk asks the
// host again there, and only there -- so a page the host has started to
// poison faults as it would without kept pages. Without the flag, every
// walk asks for every level.
TEST_F(ModelTest, Host_StablePagesKeptUntilInvalidated) {
    for (bool stable : {false, true}) {
        SCOPED_TRACE(stable ? "stable pages" : "page pointers");
        fresh_world();
        cfg.iotlb.enable = false; // every translation walks
        cfg.walkc.enable = false;
        host_pages = true;
        stable_pages = stable;
        Create();
        ASSERT_NE(m, nullptr);
        setup_ddt();
        enable_cq();
        enable_fq();
        uint64_t root = new_root();
        uint64_t leaf_pte[4];
        for (uint64_t p = 0; p < 4; p++)
            leaf_pte[p] = map(root, 8, 0x40000000 + p * 4096, PA0 + p * 4096, RWUAD);
        const uint64_t leaf = leaf_pte[0] & ~0xFFFull;
        attach_s1(0x10, root, 8, 1);
        expect_ok(0x10, 0x40000000, RIOMMU_READ, PA0); // DDT walk + 3 table pages
        uint64_t before = page_reads;
        expect_ok(0x10, 0x40001000, RIOMMU_READ, PA0 + 0x1000);
        EXPECT_EQ(page_reads - before, stable ? 0u : 3u);
        // the host's own write to a kept page shows through it
        mem.w64(leaf_pte[1], pte_leaf(PA0 + 0x7000, RWUAD));
        expect_ok(0x10, 0x40001000, RIOMMU_READ, PA0 + 0x7000);
        // the leaf table becomes poisoned: the host says so, for that page
        mem.poison.push_back({leaf, leaf + 4096});
        before = page_reads;
        riommu_invalidate_pages(m, leaf, 4096);
        riommu_response r = xlate(0x10, 0x40002000, RIOMMU_READ);
        EXPECT_EQ(r.status, RIOMMU_RSP_FAULT);
        EXPECT_EQ(r.cause, RIOMMU_CAUSE_PT_CORRUPTION);
        EXPECT_EQ(page_reads - before, stable ? 0u : 2u); // root and middle kept
        // cured, and a range that covers no kept page changes nothing
        mem.poison.clear();
        riommu_invalidate_pages(m, leaf, 8);
        riommu_invalidate_pages(m, PA0, 1ull << 20);
        before = page_reads;
        expect_ok(0x10, 0x40003000, RIOMMU_READ, PA0 + 0x3000);
        EXPECT_EQ(page_reads - before, stable ? 1u : 3u); // the leaf page again
        before = page_reads;
        expect_ok(0x10, 0x40000000, RIOMMU_READ, PA0);
        EXPECT_EQ(page_reads - before, stable ? 0u : 3u);
        // all of memory (len 0): every level is asked for again
        riommu_invalidate_pages(m, 0, 0);
        before = page_reads;
        expect_ok(0x10, 0x40000000, RIOMMU_READ, PA0);
        EXPECT_EQ(page_reads - before, 3u);
        // the walks read the same PTEs either way
        EXPECT_EQ(stats().mem_accesses[RIOMMU_ACC_PTE_S1], 7u * 3u);
        std::vector<FaultRec> f = drain_faults();
        ASSERT_EQ(f.size(), 1u);
        EXPECT_EQ(f[0].cause, RIOMMU_CAUSE_PT_CORRUPTION);
        // ds "Process to locate the Device-context": the device-directory
        // walk keeps the page of each of its levels too (two DDTEs, then
        // the context's four words from one page)
        run(iodir_inval_ddt());
        before = page_reads;
        expect_ok(0x10, 0x40000000, RIOMMU_READ, PA0);
        EXPECT_EQ(page_reads - before, stable ? 3u : 2u + 4u + 3u); // forgotten above: all
        run(iodir_inval_ddt());
        before = page_reads;
        expect_ok(0x10, 0x40000000, RIOMMU_READ, PA0);
        EXPECT_EQ(page_reads - before, stable ? 0u : 2u + 4u + 3u);
        const uint64_t dc_page = dc_addr(0x10) & ~0xFFFull;
        mem.poison.push_back({dc_page, dc_page + 4096});
        riommu_invalidate_pages(m, dc_page, 4096);
        run(iodir_inval_ddt());
        r = xlate(0x10, 0x40000000, RIOMMU_READ);
        EXPECT_EQ(r.status, RIOMMU_RSP_FAULT);
        EXPECT_EQ(r.cause, RIOMMU_CAUSE_DDT_CORRUPTION);
        EXPECT_EQ(stats().mem_accesses[RIOMMU_ACC_DDT], 3u * 6u + 2u + 1u); // the same either way
        f = drain_faults();
        ASSERT_EQ(f.size(), 1u);
        EXPECT_EQ(f[0].cause, RIOMMU_CAUSE_DDT_CORRUPTION);
    }
}

// ============================================ every PTE flag combination

// Privileged spec "Virtual Address Translation Process" steps 3-8 (as ds
// "Process to translate an IOVA" step 17 uses them), Svnapot, Svpbmt,
// Svrsw60t59b; ds "IOMMU updating of PTE accessed (A) and dirty (D)
// updates": the walker's outcome for every combination of V R W X U G A D,
// N, PBMT 0-3, a reserved bit (54) and bit 59, in the leaf slot (level 0)
// and in the level-1 slot (a non-leaf there leads to a plain leaf; a leaf
// there is an aligned 2 MiB superpage), for user reads, writes and
// executes, with DC.tc.SADE clear and set, with the Svpbmt and
// Svrsw60t59b capabilities and without -- checked against a reference
// written from the specifications' rules here. The walker recognises the
// common plain non-leaf and plain 4 KiB leaf by one mask test each; this
// is what shows those tests conclude what the step-by-step checks do.
TEST_F(ModelTest, Priv_PteFlagsEveryCombinationMatchesReference) {
    constexpr uint64_t VA = 0x40000000ull + 0x5000 + 0x123;
    unsigned checked = 0, ok = 0;
    for (bool caps : {true, false}) {
        fresh_world();
        if (!caps)
            cfg.capabilities &= ~(RIOMMU_CAP_SVPBMT | RIOMMU_CAP_SVRSW60T59B);
        cfg.iotlb.enable = false; // every translation walks
        cfg.walkc.enable = false;
        cfg.ddtc.enable = false; // the context is read again after each attach_s1
        Create();
        ASSERT_NE(m, nullptr);
        setup_ddt();
        uint64_t root = new_root();
        // PPN with low nibble 8: a valid NAPOT encoding when N is set
        const uint64_t leaf_pa = PA0 | 0x8000, big_pa = 0x40000000ull; // 2 MiB aligned
        map(root, 8, VA, leaf_pa, RWUAD); // root and level-1 table
        const uint64_t l1 = (mem.r64(root + ((VA >> 30) & 0x1FF) * 8) >> 10) << 12;
        const uint64_t l1_slot = l1 + ((VA >> 21) & 0x1FF) * 8;
        // the leaf table at big_pa: a PTE under test in the level-1 slot
        // points there as a non-leaf and maps it as a superpage as a leaf
        const uint64_t leaf_slot = big_pa + ((VA >> 12) & 0x1FF) * 8;
        const uint64_t l1_table = pte_table(big_pa);
        for (bool sade : {false, true}) {
            attach_s1(DID, root, 8, 1, RIOMMU_DC_TC_DTF | (sade ? RIOMMU_DC_TC_SADE : 0));
            for (unsigned slot = 0; slot < 2; slot++) // 0: leaf slot, 1: level-1 slot
                for (uint32_t f = 0; f < (1u << 13); f++) {
                    uint64_t flags = (f & 0xFF) | ((f >> 8) & 1 ? N : 0) |
                                     pbmt((f >> 9) & 3) | ((f >> 11) & 1 ? (1ull << 54) : 0) |
                                     ((f >> 12) & 1 ? (1ull << 59) : 0);
                    const unsigned level = slot; // of the PTE under test
                    const uint64_t pa = level ? big_pa : leaf_pa;
                    for (auto acc : {RIOMMU_READ, RIOMMU_WRITE, RIOMMU_EXEC}) {
                        mem.w64(leaf_slot, level ? pte_leaf(leaf_pa, RWUAD | X) : pte_leaf(pa, 0) | flags);
                        mem.w64(l1_slot, level ? pte_leaf(pa, 0) | flags : l1_table);
                        // the reference
                        bool v = flags & V, r = flags & R, w = flags & W, x = flags & X,
                             u = flags & U, a = flags & A, d = flags & D, n = flags & N;
                        unsigned t = (unsigned)((flags >> 61) & 3);
                        bool resv = (flags >> 54) & 1 || (!caps && ((flags >> 59) & 1)) ||
                                    t == 3 || (t && !caps);
                        bool leaf = r || x, write = acc == RIOMMU_WRITE;
                        uint64_t want_pa = 0;
                        bool fault = !v || (!r && w) || resv;
                        if (!fault && !leaf) {
                            if (level == 0 || d || a || u || n || t)
                                fault = true;
                            else
                                want_pa = leaf_pa | (VA & 0xFFF); // the plain leaf below
                        } else if (!fault) {
                            if (n && (level != 0 || ((pa >> 12) & 0xF) != 8))
                                fault = true;
                            else if (!u)
                                fault = true;
                            else if ((acc == RIOMMU_READ && !r) || (write && !w) ||
                                     (acc == RIOMMU_EXEC && !x))
                                fault = true;
                            else if ((!a || (write && !d)) && !sade)
                                fault = true;
                            else if (n)
                                want_pa = ((pa >> 12) & ~0xFull) << 12 | (VA & 0xFFFF);
                            else if (level)
                                want_pa = pa | (VA & 0x1FFFFF);
                            else
                                want_pa = pa | (VA & 0xFFF);
                        }
                        riommu_response rsp = xlate(DID, VA, acc);
                        checked++;
                        if (fault) {
                            ASSERT_EQ(rsp.status, RIOMMU_RSP_FAULT)
                                << "caps " << caps << " sade " << sade << " level " << level
                                << " flags 0x" << std::hex << flags << " acc " << acc;
                            ASSERT_EQ(rsp.cause, acc == RIOMMU_WRITE  ? RIOMMU_CAUSE_WRITE_PAGE_FAULT
                                                 : acc == RIOMMU_EXEC ? RIOMMU_CAUSE_INST_PAGE_FAULT
                                                                      : RIOMMU_CAUSE_READ_PAGE_FAULT)
                                << "flags 0x" << std::hex << flags;
                        } else {
                            ASSERT_EQ(rsp.status, RIOMMU_RSP_OK)
                                << "caps " << caps << " sade " << sade << " level " << level
                                << " flags 0x" << std::hex << flags << " acc " << acc
                                << " cause " << std::dec << rsp.cause;
                            ASSERT_EQ(rsp.pa, want_pa) << "flags 0x" << std::hex << flags;
                            ok++;
                        }
                    }
                }
        }
    }
    EXPECT_EQ(checked, 2u * 2u * 2u * 8192u * 3u);
    EXPECT_GT(ok, 1000u); // successes, superpages and NAPOT pages among them
}
