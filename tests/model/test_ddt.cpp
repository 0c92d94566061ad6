// test_ddt.cpp - the device directory: ddtp modes (ds "Process to translate
// an IOVA" steps 1-2), the DDT walk (ds "Process to locate the
// Device-context"), device_id width (step 5, linux §1.3), device-context
// configuration checks (ds "Device-context configuration checks", numbered as
// in the spec's list), DDTC caching (ds "Caching in-memory data
// structures"), endianness (ds "Endianness of in-memory data structures"),
// transaction-type checks (step 7) and fault records with DTF (q "Fault record
// CAUSE field encodings", q "Fault/Event-Queue").
#include "fixture.h"

using namespace rt;

namespace {

constexpr uint64_t TCV = RIOMMU_DC_TC_V;
constexpr uint64_t IOVA = 0x1234000ull;

uint64_t fsc(unsigned mode, uint64_t ppn = 0) {
    return RIOMMU_FIELD_PREP(RIOMMU_FSC_MODE, mode) | ppn;
}
uint64_t hgatp(unsigned mode, uint64_t ppn = 0) {
    return RIOMMU_FIELD_PREP(RIOMMU_IOHGATP_MODE, mode) | ppn;
}

} // namespace

// Write the DC, translate once, expect cause 259 and no DDTC entry (ds
// "Device-context configuration checks"; ds "Caching in-memory data
// structures": only valid, well-formed contexts may be cached).
#define EXPECT_MISCONFIGURED(did, ...)                                                   \
    do {                                                                                 \
        const uint32_t d_ = (did);                                                       \
        set_dc(d_, __VA_ARGS__);                                                         \
        riommu_response r_ = xlate(d_, IOVA);                                            \
        EXPECT_EQ(r_.status, RIOMMU_RSP_FAULT) << "did 0x" << std::hex << d_;            \
        EXPECT_EQ(r_.cause, RIOMMU_CAUSE_DDT_MISCONFIGURED) << "did 0x" << std::hex << d_; \
        EXPECT_FALSE(riommu_ddtc_contains(m, d_)) << "did 0x" << std::hex << d_;         \
    } while (0)

// Write the DC, translate once, expect pass-through (fsc Bare) and a DDTC entry.
#define EXPECT_VALID_BARE(did, ...)                                                      \
    do {                                                                                 \
        const uint32_t d_ = (did);                                                       \
        set_dc(d_, __VA_ARGS__);                                                         \
        riommu_response r_ = xlate(d_, IOVA);                                            \
        EXPECT_EQ(r_.status, RIOMMU_RSP_OK) << "did 0x" << std::hex << d_ << " cause "   \
                                            << std::dec << r_.cause;                     \
        EXPECT_EQ(r_.pa, IOVA);                                                          \
        EXPECT_TRUE(riommu_ddtc_contains(m, d_)) << "did 0x" << std::hex << d_;          \
    } while (0)

// ===================================================================== ddtp modes

// ds "Process to translate an IOVA" step 1: Off -> cause 256 for every
// request kind and access; q "Fault/Event-Queue": the record carries TTYP,
// DID and the IOVA.
TEST_F(ModelTest, Ds_Xlate_Step1_OffDisallowsEveryRequest) {
    Create();
    enable_fq();
    ASSERT_EQ(rd64(RIOMMU_REG_DDTP) & RIOMMU_DDTP_MODE, RIOMMU_DDTP_MODE_OFF);
    struct {
        riommu_req_kind k;
        riommu_req_access a;
        unsigned ttyp;
    } cases[] = {
        {RIOMMU_REQ_UNTRANSLATED, RIOMMU_READ, RIOMMU_TTYP_UNTRANSLATED_READ},
        {RIOMMU_REQ_UNTRANSLATED, RIOMMU_WRITE, RIOMMU_TTYP_UNTRANSLATED_WRITE},
        {RIOMMU_REQ_UNTRANSLATED, RIOMMU_EXEC, RIOMMU_TTYP_UNTRANSLATED_EXEC},
        {RIOMMU_REQ_TRANSLATED, RIOMMU_READ, RIOMMU_TTYP_TRANSLATED_READ},
        {RIOMMU_REQ_TRANSLATED, RIOMMU_WRITE, RIOMMU_TTYP_TRANSLATED_WRITE},
        {RIOMMU_REQ_TRANSLATED, RIOMMU_EXEC, RIOMMU_TTYP_TRANSLATED_EXEC},
        {RIOMMU_REQ_ATS, RIOMMU_READ, RIOMMU_TTYP_ATS_TRANSLATION},
    };
    uint32_t did = 0x10;
    for (auto &c : cases) {
        auto r = xlate(did, 0x5000 + did, c.a, c.k);
        EXPECT_EQ(r.status, RIOMMU_RSP_FAULT);
        EXPECT_EQ(r.cause, RIOMMU_CAUSE_ALL_INBOUND_DISALLOWED);
        EXPECT_TRUE(r.recorded);
        did++;
    }
    auto recs = drain_faults();
    ASSERT_EQ(recs.size(), sizeof cases / sizeof cases[0]);
    for (size_t i = 0; i < recs.size(); i++) {
        EXPECT_EQ(recs[i].cause, 256u);
        EXPECT_EQ(recs[i].ttyp, cases[i].ttyp);
        EXPECT_EQ(recs[i].did, 0x10u + i);
        EXPECT_EQ(recs[i].iotval, 0x5010u + i);
    }
    EXPECT_EQ(stats().ddt_walks, 0u);
}

// ds "Process to translate an IOVA" step 1 via riommu_dma: Off -> 256, no data.
TEST_F(ModelTest, Ds_Xlate_Step1_OffDmaMovesNoData) {
    Create();
    riommu_request req{};
    req.device_id = 1;
    req.iova = 0x90000000;
    req.access = RIOMMU_WRITE;
    req.len = 8;
    uint8_t buf[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    riommu_response rsp{};
    EXPECT_EQ(riommu_dma(m, &req, buf, &rsp), RIOMMU_RSP_FAULT);
    EXPECT_EQ(rsp.cause, RIOMMU_CAUSE_ALL_INBOUND_DISALLOWED);
    EXPECT_EQ(mem.count_writes(RIOMMU_ACC_DMA_DATA), 0u);
}

// ds "Process to translate an IOVA" step 2: Bare passes untranslated requests
// through unchanged, without touching the DDT.
TEST_F(ModelTest, Ds_Xlate_Step2_BarePassesUntranslated) {
    Create();
    wr64(RIOMMU_REG_DDTP, RIOMMU_DDTP_MODE_BARE);
    settle();
    ASSERT_EQ(rd64(RIOMMU_REG_DDTP) & RIOMMU_DDTP_MODE, RIOMMU_DDTP_MODE_BARE);
    for (auto a : {RIOMMU_READ, RIOMMU_WRITE, RIOMMU_EXEC}) {
        auto r = xlate(0xFFFFFF, 0x87654321, a);
        EXPECT_EQ(r.status, RIOMMU_RSP_OK);
        EXPECT_EQ(r.pa, 0x87654321u);
        EXPECT_TRUE(r.r && r.w && r.x);
    }
    EXPECT_EQ(stats().ddt_walks, 0u);
    EXPECT_EQ(stats().mem_accesses[RIOMMU_ACC_DDT], 0u);
}

// ds "Process to translate an IOVA" step 2.a: Bare + Translated or ATS
// request -> cause 260, recorded with its TTYP.
TEST_F(ModelTest, Ds_Xlate_Step2a_BareRejectsTranslatedAndAts) {
    Create();
    enable_fq();
    wr64(RIOMMU_REG_DDTP, RIOMMU_DDTP_MODE_BARE);
    settle();
    auto r1 = xlate(7, 0x3000, RIOMMU_READ, RIOMMU_REQ_TRANSLATED);
    auto r2 = xlate(7, 0x3000, RIOMMU_WRITE, RIOMMU_REQ_TRANSLATED);
    auto r3 = xlate(7, 0x3000, RIOMMU_EXEC, RIOMMU_REQ_TRANSLATED);
    auto r4 = xlate(7, 0x3000, RIOMMU_READ, RIOMMU_REQ_ATS);
    for (auto &r : {r1, r2, r3, r4}) {
        EXPECT_EQ(r.status, RIOMMU_RSP_FAULT);
        EXPECT_EQ(r.cause, RIOMMU_CAUSE_TTYPE_DISALLOWED);
    }
    auto recs = drain_faults();
    ASSERT_EQ(recs.size(), 4u);
    EXPECT_EQ(recs[0].ttyp, (unsigned)RIOMMU_TTYP_TRANSLATED_READ);
    EXPECT_EQ(recs[1].ttyp, (unsigned)RIOMMU_TTYP_TRANSLATED_WRITE);
    EXPECT_EQ(recs[2].ttyp, (unsigned)RIOMMU_TTYP_TRANSLATED_EXEC);
    EXPECT_EQ(recs[3].ttyp, (unsigned)RIOMMU_TTYP_ATS_TRANSLATION);
    for (auto &rec : recs) {
        EXPECT_EQ(rec.cause, 260u);
        EXPECT_EQ(rec.did, 7u);
    }
}

// ================================================== DDT walk and device_id width

// ds "Process to locate the Device-context" with 1LVL / base format (DDI[0] =
// device_id[6:0]); ds step 5.b + linux §1.3 table: 1LVL base allows < 2^7.
TEST_F(ModelTest, Ds_GetDc_1Lvl_Base_WidthLimit) {
    Create();
    setup_ddt(RIOMMU_DDTP_MODE_1LVL);
    set_dc(0x7F, TCV, 0, 0, 0);
    set_dc(0x00, TCV, 0, 0, 0);
    expect_ok(0x7F, IOVA, RIOMMU_READ, IOVA);
    expect_ok(0x00, IOVA, RIOMMU_READ, IOVA);
    // DC of 0x7F is the last 32-byte slot of the root page.
    EXPECT_EQ(dc_addr(0x7F), ddt_root + 0x7F * 32);
    expect_fault(0x80, IOVA, RIOMMU_READ, RIOMMU_CAUSE_TTYPE_DISALLOWED);
    expect_fault(0x10000, IOVA, RIOMMU_READ, RIOMMU_CAUSE_TTYPE_DISALLOWED);
}

// ds step 5 + q "Fault/Event-Queue": the width fault (260) is found before
// any DC is located, so it is recorded (DTF assumed 0) with the DID and IOVA.
TEST_F(ModelTest, Ds_Xlate_Step5_WidthFaultRecorded) {
    Create();
    enable_fq();
    setup_ddt(RIOMMU_DDTP_MODE_2LVL);
    auto r = xlate(0x123456, 0xABC000, RIOMMU_EXEC);
    EXPECT_EQ(r.cause, RIOMMU_CAUSE_TTYPE_DISALLOWED);
    EXPECT_TRUE(r.recorded);
    auto recs = drain_faults();
    ASSERT_EQ(recs.size(), 1u);
    EXPECT_EQ(recs[0].cause, 260u);
    EXPECT_EQ(recs[0].did, 0x123456u);
    EXPECT_EQ(recs[0].ttyp, (unsigned)RIOMMU_TTYP_UNTRANSLATED_EXEC);
    EXPECT_EQ(recs[0].iotval, 0xABC000u);
    EXPECT_EQ(stats().ddt_walks, 0u);
}

// ds step 5.a + linux §1.3 table: 2LVL base allows < 2^16.
TEST_F(ModelTest, Ds_GetDc_2Lvl_Base_WidthLimit) {
    Create();
    setup_ddt(RIOMMU_DDTP_MODE_2LVL);
    set_dc(0xFFFF, TCV, 0, 0, 0);
    set_dc(0x80, TCV, 0, 0, 0);
    expect_ok(0xFFFF, IOVA, RIOMMU_READ, IOVA);
    expect_ok(0x80, IOVA, RIOMMU_WRITE, IOVA);
    expect_fault(0x10000, IOVA, RIOMMU_READ, RIOMMU_CAUSE_TTYPE_DISALLOWED);
    expect_fault(0xFF0000, IOVA, RIOMMU_READ, RIOMMU_CAUSE_TTYPE_DISALLOWED);
}

// linux §1.3 table: 3LVL base accepts the full 24-bit device_id.
TEST_F(ModelTest, Ds_GetDc_3Lvl_Base_Full24Bits) {
    Create();
    setup_ddt(RIOMMU_DDTP_MODE_3LVL);
    for (uint32_t did : {0x000000u, 0x000080u, 0x010000u, 0xFFFFFFu}) {
        set_dc(did, TCV, 0, 0, 0);
        expect_ok(did, IOVA, RIOMMU_READ, IOVA);
    }
}

// ds step 4 + step 5.b, linux §1.3: extended format 1LVL allows < 2^6.
TEST_F(ModelTest, Ds_GetDc_1Lvl_Ext_WidthLimit) {
    cfg.capabilities |= RIOMMU_CAP_MSI_FLAT;
    Create();
    setup_ddt(RIOMMU_DDTP_MODE_1LVL);
    set_dc(0x3F, TCV, 0, 0, 0);
    expect_ok(0x3F, IOVA, RIOMMU_READ, IOVA);
    EXPECT_EQ(dc_addr(0x3F), ddt_root + 0x3F * 64);
    expect_fault(0x40, IOVA, RIOMMU_READ, RIOMMU_CAUSE_TTYPE_DISALLOWED);
    expect_fault(0x7F, IOVA, RIOMMU_READ, RIOMMU_CAUSE_TTYPE_DISALLOWED);
}

// ds step 4 + step 5.a, linux §1.3: extended format 2LVL allows < 2^15.
TEST_F(ModelTest, Ds_GetDc_2Lvl_Ext_WidthLimit) {
    cfg.capabilities |= RIOMMU_CAP_MSI_FLAT;
    Create();
    setup_ddt(RIOMMU_DDTP_MODE_2LVL);
    set_dc(0x7FFF, TCV, 0, 0, 0);
    expect_ok(0x7FFF, IOVA, RIOMMU_READ, IOVA);
    expect_fault(0x8000, IOVA, RIOMMU_READ, RIOMMU_CAUSE_TTYPE_DISALLOWED);
    expect_fault(0xFFFF, IOVA, RIOMMU_READ, RIOMMU_CAUSE_TTYPE_DISALLOWED);
}

// linux §1.3: extended format 3LVL accepts the full 24-bit device_id.
TEST_F(ModelTest, Ds_GetDc_3Lvl_Ext_Full24Bits) {
    cfg.capabilities |= RIOMMU_CAP_MSI_FLAT;
    Create();
    setup_ddt(RIOMMU_DDTP_MODE_3LVL);
    for (uint32_t did : {0x000040u, 0x008000u, 0xFFFFFFu}) {
        set_dc(did, TCV, 0, 0, 0, 0, 0, 0);
        expect_ok(did, IOVA, RIOMMU_READ, IOVA);
    }
}

// ds step 3 (base DDI split 7/9/8) and ds "Process to locate the
// Device-context" steps 3 and 8: the walk reads exactly root[DDI[2]],
// l1[DDI[1]] and the 32-byte DC at leaf + DDI[0]*32. device_id 0xABCDEF:
// DDI[2]=0xAB, DDI[1]=0x19B, DDI[0]=0x6F. Tables built by hand.
TEST_F(ModelTest, Ds_GetDc_3Lvl_Base_DdiSplitAddresses) {
    Create();
    setup_ddt(RIOMMU_DDTP_MODE_3LVL);
    uint64_t l1 = alloc(), l0 = alloc();
    mem.w64(ddt_root + 0xAB * 8, pte_table(l1));
    mem.w64(l1 + 0x19B * 8, pte_table(l0));
    uint64_t dc = l0 + 0x6F * 32;
    mem.w64(dc, TCV);
    mem.log_reads = true;
    expect_ok(0xABCDEF, IOVA, RIOMMU_READ, IOVA);
    std::set<uint64_t> got;
    for (auto &rd : mem.reads)
        if (rd.second == RIOMMU_ACC_DDT)
            got.insert(rd.first);
    std::set<uint64_t> want = {ddt_root + 0xAB * 8, l1 + 0x19B * 8, dc, dc + 8, dc + 16,
                               dc + 24};
    EXPECT_EQ(got, want);
}

// ds step 4 (extended DDI split 6/9/9): device_id 0xABCDEF -> DDI[2]=0x157,
// DDI[1]=0x137, DDI[0]=0x2F; the 64-byte DC at leaf + 0x2F*64 is read whole.
TEST_F(ModelTest, Ds_GetDc_3Lvl_Ext_DdiSplitAddresses) {
    cfg.capabilities |= RIOMMU_CAP_MSI_FLAT;
    Create();
    setup_ddt(RIOMMU_DDTP_MODE_3LVL);
    uint64_t l1 = alloc(), l0 = alloc();
    mem.w64(ddt_root + 0x157 * 8, pte_table(l1));
    mem.w64(l1 + 0x137 * 8, pte_table(l0));
    uint64_t dc = l0 + 0x2F * 64;
    mem.w64(dc, TCV);
    mem.log_reads = true;
    expect_ok(0xABCDEF, IOVA, RIOMMU_READ, IOVA);
    std::set<uint64_t> got;
    for (auto &rd : mem.reads)
        if (rd.second == RIOMMU_ACC_DDT)
            got.insert(rd.first);
    std::set<uint64_t> want = {ddt_root + 0x157 * 8, l1 + 0x137 * 8};
    for (unsigned w = 0; w < 8; w++)
        want.insert(dc + 8 * w);
    EXPECT_EQ(got, want);
}

// ds "Process to locate the Device-context" step 5: non-leaf DDTE V=0 -> 258,
// at either non-leaf level of a 3LVL walk and in 2LVL.
TEST_F(ModelTest, Ds_GetDc_Step5_NonLeafInvalid258) {
    Create();
    enable_fq();
    setup_ddt(RIOMMU_DDTP_MODE_3LVL);
    // Root entry for DDI[2]=5 absent.
    expect_fault(0x050000, IOVA, RIOMMU_READ, RIOMMU_CAUSE_DDT_INVALID);
    // Root entry valid, level-1 entry absent.
    uint64_t l1 = alloc();
    mem.w64(ddt_root + 6 * 8, pte_table(l1));
    expect_fault(0x060000, IOVA, RIOMMU_READ, RIOMMU_CAUSE_DDT_INVALID);
    // A PPN without V is still invalid.
    mem.w64(l1 + 1 * 8, pte_table(alloc()) & ~V);
    expect_fault(0x060080, IOVA, RIOMMU_READ, RIOMMU_CAUSE_DDT_INVALID);
    // Step 5 precedes step 6: V=0 with reserved bits set is 258, not 259.
    mem.w64(l1 + 2 * 8, (pte_table(alloc()) & ~V) | (1ull << 63) | (1ull << 3));
    expect_fault(0x060100, IOVA, RIOMMU_READ, RIOMMU_CAUSE_DDT_INVALID);
    auto recs = drain_faults();
    ASSERT_EQ(recs.size(), 4u);
    EXPECT_EQ(recs[2].cause, 258u);
    EXPECT_EQ(recs[2].did, 0x060080u);
    EXPECT_FALSE(riommu_ddtc_contains(m, 0x060080));
}

// ds "Process to locate the Device-context" step 6: reserved bits (9:1,
// 63:54) in a non-leaf DDTE -> 259.
TEST_F(ModelTest, Ds_GetDc_Step6_NonLeafReservedBits259) {
    Create();
    setup_ddt(RIOMMU_DDTP_MODE_2LVL);
    unsigned bits[] = {1, 5, 9, 54, 60, 63};
    uint32_t ddi1 = 1;
    for (unsigned b : bits) {
        uint64_t l0 = alloc();
        mem.w64(l0, TCV); // DC of DDI[0]=0 is valid
        mem.w64(ddt_root + ddi1 * 8, pte_table(l0) | (1ull << b));
        expect_fault(ddi1 << 7, IOVA, RIOMMU_READ, RIOMMU_CAUSE_DDT_MISCONFIGURED);
        // Same entry without the reserved bit is usable.
        mem.w64(ddt_root + (ddi1 + 100) * 8, pte_table(l0));
        expect_ok((ddi1 + 100) << 7, IOVA, RIOMMU_READ, IOVA);
        ddi1++;
    }
}

// ds "Process to locate the Device-context" step 3: DDTE load access fault
// (PMA/PMP) -> 257, recorded.
TEST_F(ModelTest, Ds_GetDc_Step3_DdteLoadAccessFault257) {
    Create();
    enable_fq();
    setup_ddt(RIOMMU_DDTP_MODE_3LVL);
    set_dc(0x020304, TCV, 0, 0, 0);
    mem.fault.push_back({ddt_root + 0x02 * 8, ddt_root + 0x02 * 8 + 8});
    auto r = expect_fault(0x020304, IOVA, RIOMMU_WRITE, RIOMMU_CAUSE_DDT_LOAD_FAULT);
    EXPECT_TRUE(r.recorded);
    auto recs = drain_faults();
    ASSERT_EQ(recs.size(), 1u);
    EXPECT_EQ(recs[0].cause, 257u);
    EXPECT_EQ(recs[0].ttyp, (unsigned)RIOMMU_TTYP_UNTRANSLATED_WRITE);
    EXPECT_EQ(recs[0].did, 0x020304u);
    // Another device whose path avoids the faulting entry is fine.
    set_dc(0x030000, TCV, 0, 0, 0);
    expect_ok(0x030000, IOVA, RIOMMU_READ, IOVA);
}

// ds "Process to locate the Device-context" step 8: DC load access fault -> 257.
TEST_F(ModelTest, Ds_GetDc_Step8_DcLoadAccessFault257) {
    Create();
    setup_ddt(RIOMMU_DDTP_MODE_2LVL);
    set_dc(0x123, TCV, 0, 0, 0);
    uint64_t dc = dc_addr(0x123);
    mem.fault.push_back({dc + 24, dc + 32}); // only the fsc word
    expect_fault(0x123, IOVA, RIOMMU_READ, RIOMMU_CAUSE_DDT_LOAD_FAULT);
    EXPECT_FALSE(riommu_ddtc_contains(m, 0x123));
    mem.fault.clear();
    expect_ok(0x123, IOVA, RIOMMU_READ, IOVA);
    EXPECT_TRUE(riommu_ddtc_contains(m, 0x123));
}

// hw guidelines "Faults from PMA and PMP" / ds GetDc step 8: a DC beyond
// 2^PAS cannot be accessed -> 257.
TEST_F(ModelTest, Ds_GetDc_Step8_DcBeyondPas257) {
    cfg.capabilities = (cfg.capabilities & ~RIOMMU_CAP_PAS) |
                       RIOMMU_FIELD_PREP(RIOMMU_CAP_PAS, 40);
    Create();
    setup_ddt(RIOMMU_DDTP_MODE_2LVL);
    mem.w64(ddt_root + 8, pte_table(1ull << 40));
    mem.w64(1ull << 40, TCV);
    expect_fault(0x80, IOVA, RIOMMU_READ, RIOMMU_CAUSE_DDT_LOAD_FAULT);
}

// ds "Process to locate the Device-context" step 4: DDTE data corruption -> 268.
TEST_F(ModelTest, Ds_GetDc_Step4_DdteCorruption268) {
    Create();
    enable_fq();
    setup_ddt(RIOMMU_DDTP_MODE_3LVL);
    set_dc(0x010203, TCV, 0, 0, 0);
    uint64_t l1 = (mem.r64(ddt_root + 8) >> 10) << 12;
    mem.poison.push_back({l1 + 0x004 * 8, l1 + 0x004 * 8 + 8});
    expect_fault(0x010203, IOVA, RIOMMU_READ, RIOMMU_CAUSE_DDT_CORRUPTION);
    auto recs = drain_faults();
    ASSERT_EQ(recs.size(), 1u);
    EXPECT_EQ(recs[0].cause, 268u);
}

// ds "Process to locate the Device-context" step 8: DC data corruption -> 268.
TEST_F(ModelTest, Ds_GetDc_Step8_DcCorruption268) {
    cfg.capabilities |= RIOMMU_CAP_MSI_FLAT;
    Create();
    setup_ddt(RIOMMU_DDTP_MODE_1LVL);
    set_dc(0x21, TCV, 0, 0, 0);
    uint64_t dc = dc_addr(0x21);
    mem.poison.push_back({dc + 56, dc + 64}); // last word of the 64-byte DC
    expect_fault(0x21, IOVA, RIOMMU_READ, RIOMMU_CAUSE_DDT_CORRUPTION);
    EXPECT_FALSE(riommu_ddtc_contains(m, 0x21));
}

// ds GetDc step 9 + linux §1.8 (blocked domain): DC.tc.V=0 -> 258, even with
// other fields that would be misconfigured; never cached (ds "Caching").
TEST_F(ModelTest, Ds_GetDc_Step9_DcInvalid258NotCached) {
    Create();
    enable_fq();
    setup_ddt(RIOMMU_DDTP_MODE_3LVL);
    set_dc(0x42, 0, 0, 0, 0);
    expect_fault(0x42, IOVA, RIOMMU_READ, RIOMMU_CAUSE_DDT_INVALID);
    EXPECT_FALSE(riommu_ddtc_contains(m, 0x42));
    // V=0: "all other bits are don't-care" -> still 258, not 259.
    set_dc(0x43, RIOMMU_DC_TC_RESERVED | RIOMMU_DC_TC_SADE, ~0ull, ~0ull, ~0ull);
    expect_fault(0x43, IOVA, RIOMMU_READ, RIOMMU_CAUSE_DDT_INVALID);
    EXPECT_FALSE(riommu_ddtc_contains(m, 0x43));
    auto recs = drain_faults();
    ASSERT_EQ(recs.size(), 2u);
    EXPECT_EQ(recs[0].cause, 258u);
    EXPECT_EQ(recs[1].did, 0x43u);
}

// linux §1.7: probe writes tc = SADE with V=0; requests fault 258 until the
// attach publishes V; the invalid DC was not cached, so no IODIR is needed.
TEST_F(ModelTest, Linux_1_7_ProbeInvalidDcThenAttach) {
    Create();
    setup_ddt(RIOMMU_DDTP_MODE_3LVL);
    set_dc(0x100, RIOMMU_DC_TC_SADE, 0, 0, 0);
    expect_fault(0x100, IOVA, RIOMMU_READ, RIOMMU_CAUSE_DDT_INVALID);
    mem.w64(dc_addr(0x100), RIOMMU_DC_TC_SADE | TCV);
    expect_ok(0x100, IOVA, RIOMMU_READ, IOVA);
    EXPECT_TRUE(riommu_ddtc_contains(m, 0x100));
}

// ds "Caching in-memory data structures": a valid DC is cached and served
// from the DDTC without another DDT walk.
TEST_F(ModelTest, Ds_Caching_ValidDcCachedAndReused) {
    Create();
    setup_ddt(RIOMMU_DDTP_MODE_3LVL);
    set_dc(0x55, TCV, 0, 0, 0);
    EXPECT_FALSE(riommu_ddtc_contains(m, 0x55));
    expect_ok(0x55, IOVA, RIOMMU_READ, IOVA);
    EXPECT_TRUE(riommu_ddtc_contains(m, 0x55));
    uint64_t walks = stats().ddt_walks;
    expect_ok(0x55, IOVA + 0x1000, RIOMMU_WRITE, IOVA + 0x1000);
    EXPECT_EQ(stats().ddt_walks, walks);
}

// ds "Endianness of in-memory data structures": with fctl.BE=1 (END cap) the
// DDTEs and DC doublewords are big-endian; a little-endian DC then reads as
// tc.V=0 -> 258. Table built by hand (2LVL, device 0x185: DDI[1]=3, DDI[0]=5).
TEST_F(ModelTest, Ds_Endianness_FctlBeBigEndianDdt) {
    Create();
    wr32(RIOMMU_REG_FCTL, RIOMMU_FCTL_BE);
    ASSERT_EQ(rd32(RIOMMU_REG_FCTL) & RIOMMU_FCTL_BE, RIOMMU_FCTL_BE);
    setup_ddt(RIOMMU_DDTP_MODE_2LVL);
    uint64_t l0 = alloc();
    mem.w64(ddt_root + 3 * 8, __builtin_bswap64(pte_table(l0)));
    uint64_t dc = l0 + 5 * 32;
    mem.w64(dc, __builtin_bswap64(TCV));
    mem.w64(dc + 16, __builtin_bswap64(RIOMMU_FIELD_PREP(RIOMMU_DC_TA_PSCID, 3)));
    expect_ok(0x185, IOVA, RIOMMU_READ, IOVA);
    // Little-endian DC under BE: V lands in bit 56 -> DC not valid.
    mem.w64(l0 + 6 * 32, TCV);
    expect_fault(0x186, IOVA, RIOMMU_READ, RIOMMU_CAUSE_DDT_INVALID);
    // Little-endian non-leaf DDTE under BE: V lands in bit 56 -> 258.
    uint64_t l0b = alloc();
    mem.w64(l0b, __builtin_bswap64(TCV));
    mem.w64(ddt_root + 4 * 8, pte_table(l0b));
    expect_fault(0x200, IOVA, RIOMMU_READ, RIOMMU_CAUSE_DDT_INVALID);
}

// =============================================== DC configuration checks (259)

// ds DC checks #1: reserved bits of tc (23:12, 63:32) -> 259.
TEST_F(ModelTest, Ds_DcChecks1_TcReservedBits) {
    Create();
    setup_ddt();
    uint32_t did = 1;
    for (unsigned b : {12u, 17u, 23u, 32u, 47u, 63u})
        EXPECT_MISCONFIGURED(did++, TCV | (1ull << b), 0, 0, 0);
    EXPECT_VALID_BARE(did, TCV, 0, 0, 0);
}

// ds DC checks #1: reserved bits of ta (11:0, 39:32) -> 259; PSCID is free.
TEST_F(ModelTest, Ds_DcChecks1_TaReservedBits) {
    Create();
    setup_ddt();
    uint32_t did = 1;
    for (unsigned b : {0u, 11u, 32u, 39u})
        EXPECT_MISCONFIGURED(did++, TCV, 0, 1ull << b, 0);
    EXPECT_VALID_BARE(did, TCV, 0, RIOMMU_DC_TA_PSCID, 0);
}

// ds DC checks #1: reserved bits 59:44 of fsc (iosatp and pdtp) -> 259.
TEST_F(ModelTest, Ds_DcChecks1_FscReservedBits) {
    Create();
    setup_ddt();
    uint32_t did = 1;
    for (unsigned b : {44u, 50u, 59u}) {
        EXPECT_MISCONFIGURED(did++, TCV, 0, 0, 1ull << b);
        EXPECT_MISCONFIGURED(did++, TCV | RIOMMU_DC_TC_PDTV, 0, 0, 1ull << b);
    }
}

// ds "Translation attributes (ta)" + DC checks #1: RCID/MCID are reserved
// without capabilities.QOSID -> 259.
TEST_F(ModelTest, Ds_DcChecks1_RcidMcidWithoutQosid) {
    Create();
    ASSERT_FALSE(cfg.capabilities & RIOMMU_CAP_QOSID);
    setup_ddt();
    EXPECT_MISCONFIGURED(1, TCV, 0, RIOMMU_FIELD_PREP(RIOMMU_DC_TA_RCID, 1), 0);
    EXPECT_MISCONFIGURED(2, TCV, 0, RIOMMU_FIELD_PREP(RIOMMU_DC_TA_MCID, 0x800), 0);
}

// ds DC checks #2: capabilities.ATS=0 and EN_ATS, EN_PRI or PRPR set -> 259.
TEST_F(ModelTest, Ds_DcChecks2_AtsPriPrprWithoutAts) {
    Create();
    ASSERT_FALSE(cfg.capabilities & RIOMMU_CAP_ATS);
    setup_ddt();
    EXPECT_MISCONFIGURED(1, TCV | RIOMMU_DC_TC_EN_ATS, 0, 0, 0);
    EXPECT_MISCONFIGURED(2, TCV | RIOMMU_DC_TC_EN_ATS | RIOMMU_DC_TC_EN_PRI, 0, 0, 0);
    EXPECT_MISCONFIGURED(3, TCV | RIOMMU_DC_TC_EN_ATS | RIOMMU_DC_TC_EN_PRI |
                                RIOMMU_DC_TC_PRPR, 0, 0, 0);
}

// ds DC checks #4/#5: EN_PRI without EN_ATS, PRPR without EN_PRI -> 259.
TEST_F(ModelTest, Ds_DcChecks4_5_PriWithoutAtsPrprWithoutPri) {
    Create();
    setup_ddt();
    EXPECT_MISCONFIGURED(1, TCV | RIOMMU_DC_TC_EN_PRI, 0, 0, 0);
    EXPECT_MISCONFIGURED(2, TCV | RIOMMU_DC_TC_PRPR, 0, 0, 0);
}

// ds DC checks #3/#6/#7: T2GPA without EN_ATS, without capabilities.T2GPA, or
// with iohgatp Bare -> 259.
TEST_F(ModelTest, Ds_DcChecks3_6_7_T2gpa) {
    Create();
    setup_ddt();
    EXPECT_MISCONFIGURED(1, TCV | RIOMMU_DC_TC_T2GPA, 0, 0, 0);
    EXPECT_MISCONFIGURED(2, TCV | RIOMMU_DC_TC_EN_ATS | RIOMMU_DC_TC_T2GPA, 0, 0, 0);
}

// ds DC checks #8: PDTV=1 with pdtp.MODE PD8/PD17/PD20 unsupported (no PDx
// capability) -> 259; Bare is always supported.
TEST_F(ModelTest, Ds_DcChecks8_PdtpModeUnsupported) {
    Create();
    setup_ddt();
    EXPECT_MISCONFIGURED(1, TCV | RIOMMU_DC_TC_PDTV, 0, 0, fsc(RIOMMU_PDTP_MODE_PD8, 0x100));
    EXPECT_MISCONFIGURED(2, TCV | RIOMMU_DC_TC_PDTV, 0, 0, fsc(RIOMMU_PDTP_MODE_PD17, 0x100));
    EXPECT_MISCONFIGURED(3, TCV | RIOMMU_DC_TC_PDTV, 0, 0, fsc(RIOMMU_PDTP_MODE_PD20, 0x100));
    EXPECT_VALID_BARE(4, TCV | RIOMMU_DC_TC_PDTV, 0, 0, fsc(RIOMMU_PDTP_MODE_BARE));
}

// ds DC checks #1 (reserved encodings, ds "Encodings of pdtp.MODE" 4-13) -> 259.
TEST_F(ModelTest, Ds_DcChecks1_PdtpModeReservedEncodings) {
    Create();
    setup_ddt();
    uint32_t did = 1;
    for (unsigned mode : {4u, 8u, 13u})
        EXPECT_MISCONFIGURED(did++, TCV | RIOMMU_DC_TC_PDTV, 0, 0, fsc(mode));
}

// ds DC checks #9: PDTV=0 and iosatp.MODE a reserved encoding (1-7, 11-13 for
// SXL=0) -> 259.
TEST_F(ModelTest, Ds_DcChecks9_IosatpModeReservedEncodings) {
    Create();
    setup_ddt();
    uint32_t did = 1;
    for (unsigned mode : {1u, 4u, 7u, 11u, 12u, 13u})
        EXPECT_MISCONFIGURED(did++, TCV, 0, 0, fsc(mode, 0x80000));
}

// ds DC checks #10: SXL=0 and iosatp.MODE Sv57 / Sv48 not in capabilities -> 259.
TEST_F(ModelTest, Ds_DcChecks10_IosatpModeUnsupported) {
    cfg.capabilities &= ~(RIOMMU_CAP_SV57 | RIOMMU_CAP_SV48);
    Create();
    setup_ddt();
    uint64_t root = new_root();
    EXPECT_MISCONFIGURED(1, TCV, 0, 0, fsc(RIOMMU_IOSATP_MODE_SV57, root >> 12));
    EXPECT_MISCONFIGURED(2, TCV, 0, 0, fsc(RIOMMU_IOSATP_MODE_SV48, root >> 12));
    // Sv39 is still supported: a valid DC (the walk then faults on the empty table).
    set_dc(3, TCV, 0, 0, fsc(RIOMMU_IOSATP_MODE_SV39, root >> 12));
    expect_fault(3, IOVA, RIOMMU_READ, RIOMMU_CAUSE_READ_PAGE_FAULT);
    EXPECT_TRUE(riommu_ddtc_contains(m, 3));
}

// ds DC checks #10.a: capabilities.Sv39=0 (no first-stage modes at all) and
// iosatp.MODE Sv39 -> 259; Bare stays legal.
TEST_F(ModelTest, Ds_DcChecks10a_Sv39Unsupported) {
    cfg.capabilities &= ~(RIOMMU_CAP_SV39 | RIOMMU_CAP_SV48 | RIOMMU_CAP_SV57);
    Create();
    setup_ddt();
    EXPECT_MISCONFIGURED(1, TCV, 0, 0, fsc(RIOMMU_IOSATP_MODE_SV39, new_root() >> 12));
    EXPECT_VALID_BARE(2, TCV, 0, 0, 0);
}

// ds DC checks #9 (IOSATP_MODE_ENC-1): with SXL=1 only Bare and Sv32 (8) are
// valid encodings; 9 (Sv48 under SXL=0) and 10 are reserved -> 259.
TEST_F(ModelTest, Ds_DcChecks9_Sxl1ReservedIosatpEncodings) {
    cfg.capabilities |= RIOMMU_CAP_SV32;
    cfg.fctl_gxl_writable = true;
    Create();
    setup_ddt();
    uint64_t root = new_root();
    EXPECT_MISCONFIGURED(1, TCV | RIOMMU_DC_TC_SXL, 0, 0, fsc(9, root >> 12));
    EXPECT_MISCONFIGURED(2, TCV | RIOMMU_DC_TC_SXL, 0, 0, fsc(10, root >> 12));
    EXPECT_VALID_BARE(3, TCV | RIOMMU_DC_TC_SXL, 0, 0, 0);
}

// ds DC checks #12: PDTV=0 and DPE=1 -> 259; DPE with PDTV=1 is allowed.
TEST_F(ModelTest, Ds_DcChecks12_DpeWithoutPdtv) {
    Create();
    setup_ddt();
    EXPECT_MISCONFIGURED(1, TCV | RIOMMU_DC_TC_DPE, 0, 0, 0);
    EXPECT_VALID_BARE(2, TCV | RIOMMU_DC_TC_DPE | RIOMMU_DC_TC_PDTV, 0, 0, 0);
}

// ds DC checks #13/#14: iohgatp.MODE reserved (1-7, 11-15) or an Sv*x4 mode
// not in capabilities -> 259 (the default configuration has no x4 modes).
TEST_F(ModelTest, Ds_DcChecks13_14_IohgatpModeNotBare) {
    Create();
    setup_ddt();
    uint32_t did = 1;
    for (unsigned mode : {1u, 7u, 8u, 9u, 10u, 11u, 15u})
        EXPECT_MISCONFIGURED(did++, TCV, hgatp(mode, 0x80000), 0, 0);
    // Bare with a (meaningless) GSCID/PPN is not a reserved encoding.
    EXPECT_VALID_BARE(did, TCV, 0, 0, 0);
}

// ds DC checks #15 and the paragraph after the list (extended format):
// msiptp.MODE reserved (2-13) or Flat/any non-Off with iohgatp Bare -> 259.
TEST_F(ModelTest, Ds_DcChecks15_MsiptpModes) {
    cfg.capabilities |= RIOMMU_CAP_MSI_FLAT;
    Create();
    setup_ddt();
    uint64_t msipt = alloc();
    auto msiptp = [&](unsigned mode) {
        return RIOMMU_FIELD_PREP(RIOMMU_MSIPTP_MODE, mode) | (msipt >> 12);
    };
    EXPECT_MISCONFIGURED(1, TCV, 0, 0, 0, msiptp(2));
    EXPECT_MISCONFIGURED(2, TCV, 0, 0, 0, msiptp(13));
    EXPECT_MISCONFIGURED(3, TCV, 0, 0, 0, msiptp(RIOMMU_MSIPTP_MODE_FLAT));
    // Off with a PPN is fine.
    EXPECT_VALID_BARE(4, TCV, 0, 0, 0, msiptp(RIOMMU_MSIPTP_MODE_OFF));
}

// ds DC checks #1 for the extended words: msiptp bits 59:44, msi_addr_mask /
// msi_addr_pattern bits 63:52 and 51:MGPAW-12 (MGPAW = PAS = 56 without x4
// modes, so bits 51:44) and the reserved doubleword -> 259.
TEST_F(ModelTest, Ds_DcChecks1_ExtendedReservedBits) {
    cfg.capabilities |= RIOMMU_CAP_MSI_FLAT;
    Create();
    setup_ddt();
    EXPECT_MISCONFIGURED(1, TCV, 0, 0, 0, 1ull << 44);
    EXPECT_MISCONFIGURED(2, TCV, 0, 0, 0, 1ull << 59);
    EXPECT_MISCONFIGURED(3, TCV, 0, 0, 0, 0, 1ull << 52);
    EXPECT_MISCONFIGURED(4, TCV, 0, 0, 0, 0, 1ull << 44);
    EXPECT_MISCONFIGURED(5, TCV, 0, 0, 0, 0, 0, 1ull << 63);
    EXPECT_MISCONFIGURED(6, TCV, 0, 0, 0, 0, 0, 1ull << 51);
    set_dc(7, TCV, 0, 0, 0);
    mem.w64(dc_addr(7) + 56, 1);
    expect_fault(7, IOVA, RIOMMU_READ, RIOMMU_CAUSE_DDT_MISCONFIGURED);
    EXPECT_FALSE(riommu_ddtc_contains(m, 7));
    // Mask/pattern bits below MGPAW-12 are usable (Off mode ignores them).
    EXPECT_VALID_BARE(8, TCV, 0, 0, 0, 0, (1ull << 43) | 0xFF, 0x12345);
}

// ds DC checks #17: capabilities.AMO_HWAD=0 and SADE or GADE -> 259.
TEST_F(ModelTest, Ds_DcChecks17_SadeGadeWithoutAmoHwad) {
    cfg.capabilities &= ~RIOMMU_CAP_AMO_HWAD;
    Create();
    setup_ddt();
    EXPECT_MISCONFIGURED(1, TCV | RIOMMU_DC_TC_SADE, 0, 0, 0);
    EXPECT_MISCONFIGURED(2, TCV | RIOMMU_DC_TC_GADE, 0, 0, 0);
    EXPECT_VALID_BARE(3, TCV, 0, 0, 0);
}

// ds DC checks #17 converse: with AMO_HWAD (default) SADE and GADE are legal.
TEST_F(ModelTest, Ds_DcChecks17_SadeGadeLegalWithAmoHwad) {
    Create();
    setup_ddt();
    EXPECT_VALID_BARE(1, TCV | RIOMMU_DC_TC_SADE | RIOMMU_DC_TC_GADE, 0, 0, 0);
}

// ds DC checks #18/#20: capabilities.END=0 -> fctl.BE not writable and SBE
// must equal it; with END=1 either SBE is legal.
TEST_F(ModelTest, Ds_DcChecks18_20_SbeWithoutEnd) {
    cfg.capabilities &= ~RIOMMU_CAP_END;
    Create();
    wr32(RIOMMU_REG_FCTL, RIOMMU_FCTL_BE);
    EXPECT_EQ(rd32(RIOMMU_REG_FCTL) & RIOMMU_FCTL_BE, 0u); // not writable
    setup_ddt();
    EXPECT_MISCONFIGURED(1, TCV | RIOMMU_DC_TC_SBE, 0, 0, 0);
    EXPECT_VALID_BARE(2, TCV, 0, 0, 0);
}

// ds DC checks #18/#20 with a big-endian-only IOMMU (END=0, fctl.BE reset 1):
// SBE=0 is now the illegal value. DDT is big-endian here.
TEST_F(ModelTest, Ds_DcChecks18_20_SbeMustMatchHardwiredBe) {
    cfg.capabilities &= ~RIOMMU_CAP_END;
    cfg.fctl_reset = RIOMMU_FCTL_BE;
    Create();
    ASSERT_EQ(rd32(RIOMMU_REG_FCTL) & RIOMMU_FCTL_BE, RIOMMU_FCTL_BE);
    setup_ddt(RIOMMU_DDTP_MODE_1LVL);
    mem.w64(ddt_root + 1 * 32, __builtin_bswap64(TCV));
    mem.w64(ddt_root + 2 * 32, __builtin_bswap64(TCV | RIOMMU_DC_TC_SBE));
    expect_fault(1, IOVA, RIOMMU_READ, RIOMMU_CAUSE_DDT_MISCONFIGURED);
    EXPECT_FALSE(riommu_ddtc_contains(m, 1));
    expect_ok(2, IOVA, RIOMMU_READ, IOVA);
    EXPECT_TRUE(riommu_ddtc_contains(m, 2));
}

// ds DC checks #18/#20 converse: with END=1, SBE=1 under fctl.BE=0 is legal.
TEST_F(ModelTest, Ds_DcChecks20_SbeFreeWithEnd) {
    Create();
    setup_ddt();
    EXPECT_VALID_BARE(1, TCV | RIOMMU_DC_TC_SBE, 0, 0, 0);
}

// ds DC checks #19: fctl.GXL=0 and not writable -> SXL must be 0.
TEST_F(ModelTest, Ds_DcChecks19_SxlWithoutGxlWritable) {
    Create();
    ASSERT_FALSE(cfg.fctl_gxl_writable);
    setup_ddt();
    EXPECT_MISCONFIGURED(1, TCV | RIOMMU_DC_TC_SXL, 0, 0, 0);
}

// ds DC checks #19: fctl.GXL=1 -> SXL must be 1; fctl.GXL=0 but writable ->
// SXL may be 0 or 1.
TEST_F(ModelTest, Ds_DcChecks19_SxlWithGxl) {
    cfg.capabilities |= RIOMMU_CAP_SV32;
    cfg.fctl_gxl_writable = true;
    Create();
    setup_ddt(RIOMMU_DDTP_MODE_3LVL);
    EXPECT_VALID_BARE(1, TCV, 0, 0, 0);
    EXPECT_VALID_BARE(2, TCV | RIOMMU_DC_TC_SXL, 0, 0, 0);
    // fctl may change only with ddtp Off/Bare (model choice, regs.c).
    wr64(RIOMMU_REG_DDTP, RIOMMU_DDTP_MODE_BARE);
    settle();
    wr32(RIOMMU_REG_FCTL, RIOMMU_FCTL_GXL);
    ASSERT_EQ(rd32(RIOMMU_REG_FCTL) & RIOMMU_FCTL_GXL, RIOMMU_FCTL_GXL);
    wr64(RIOMMU_REG_DDTP, ((ddt_root >> 12) << 10) | RIOMMU_DDTP_MODE_3LVL);
    settle();
    ASSERT_EQ(rd64(RIOMMU_REG_DDTP) & RIOMMU_DDTP_MODE, RIOMMU_DDTP_MODE_3LVL);
    EXPECT_MISCONFIGURED(3, TCV, 0, 0, 0);
    EXPECT_VALID_BARE(4, TCV | RIOMMU_DC_TC_SXL, 0, 0, 0);
}

// ds DC checks: a fully valid extended-format DC (msiptp Off, mask/pattern 0)
// translates and is cached (ds "Caching in-memory data structures").
TEST_F(ModelTest, Ds_DcChecks_ValidExtendedDcCached) {
    cfg.capabilities |= RIOMMU_CAP_MSI_FLAT;
    Create();
    setup_ddt(RIOMMU_DDTP_MODE_2LVL);
    EXPECT_VALID_BARE(0x1234, TCV | RIOMMU_DC_TC_SADE | RIOMMU_DC_TC_DTF, 0,
                      RIOMMU_FIELD_PREP(RIOMMU_DC_TA_PSCID, 0xFFFFF), 0);
}

// ds "Caching in-memory data structures": a misconfigured DC is re-read on
// every request (never cached); once fixed in memory it is used without any
// invalidation command.
TEST_F(ModelTest, Ds_Caching_MisconfiguredDcRereadEachTime) {
    Create();
    setup_ddt();
    set_dc(9, TCV | RIOMMU_DC_TC_DPE, 0, 0, 0);
    expect_fault(9, IOVA, RIOMMU_READ, RIOMMU_CAUSE_DDT_MISCONFIGURED);
    uint64_t walks = stats().ddt_walks;
    expect_fault(9, IOVA, RIOMMU_READ, RIOMMU_CAUSE_DDT_MISCONFIGURED);
    EXPECT_EQ(stats().ddt_walks, walks + 1);
    mem.w64(dc_addr(9), TCV);
    expect_ok(9, IOVA, RIOMMU_READ, IOVA);
    EXPECT_TRUE(riommu_ddtc_contains(m, 9));
}

// ========================================== transaction types, process_id (step 7)

// ds "Process to translate an IOVA" step 7.b: a valid process_id with
// PDTV=0 -> 260.
TEST_F(ModelTest, Ds_Xlate_Step7b_ProcessIdWithoutPdtv260) {
    Create();
    enable_fq();
    setup_ddt();
    set_dc(0x11, TCV, 0, 0, 0);
    auto r = xlate(0x11, IOVA, RIOMMU_READ, RIOMMU_REQ_UNTRANSLATED, true, 0x1234);
    EXPECT_EQ(r.status, RIOMMU_RSP_FAULT);
    EXPECT_EQ(r.cause, RIOMMU_CAUSE_TTYPE_DISALLOWED);
    auto recs = drain_faults();
    ASSERT_EQ(recs.size(), 1u);
    EXPECT_EQ(recs[0].cause, 260u);
    EXPECT_TRUE(recs[0].pv);
    EXPECT_EQ(recs[0].pid, 0x1234u);
    // Without a process_id the same DC passes through.
    expect_ok(0x11, IOVA, RIOMMU_READ, IOVA);
}

// ds "Process to translate an IOVA" steps 7 and 13: PDTV=1 with pdtp.MODE
// Bare -> first stage Bare; requests with and without process_id (user and
// supervisor) pass through.
TEST_F(ModelTest, Ds_Xlate_Step13_PdtvBarePassThrough) {
    Create();
    setup_ddt();
    set_dc(0x12, TCV | RIOMMU_DC_TC_PDTV, 0, 0, fsc(RIOMMU_PDTP_MODE_BARE));
    auto r = xlate(0x12, 0x4567000, RIOMMU_WRITE, RIOMMU_REQ_UNTRANSLATED, true, 0xFFFFF);
    EXPECT_EQ(r.status, RIOMMU_RSP_OK);
    EXPECT_EQ(r.pa, 0x4567000u);
    r = xlate(0x12, 0x4567008, RIOMMU_EXEC, RIOMMU_REQ_UNTRANSLATED, true, 1, true);
    EXPECT_EQ(r.status, RIOMMU_RSP_OK);
    EXPECT_EQ(r.pa, 0x4567008u);
    expect_ok(0x12, 0x89AB000, RIOMMU_READ, 0x89AB000);
    EXPECT_EQ(stats().s1_walks, 0u);
}

// ds "Process to translate an IOVA" steps 11-13: PDTV=1, DPE=1 and no
// process_id -> process_id 0, pdtp Bare -> pass-through.
TEST_F(ModelTest, Ds_Xlate_Step11_DpeDefaultProcessId) {
    Create();
    setup_ddt();
    set_dc(0x13, TCV | RIOMMU_DC_TC_PDTV | RIOMMU_DC_TC_DPE, 0, 0, 0);
    expect_ok(0x13, 0x777000, RIOMMU_WRITE, 0x777000);
}

// ds "Process to translate an IOVA" step 7.a: Translated or ATS request with
// DC.tc.EN_ATS=0 -> 260 (EN_ATS cannot be 1 without capabilities.ATS).
TEST_F(ModelTest, Ds_Xlate_Step7a_TranslatedWithoutEnAts260) {
    Create();
    enable_fq();
    setup_ddt();
    set_dc(0x14, TCV, 0, 0, 0);
    for (auto k : {RIOMMU_REQ_TRANSLATED, RIOMMU_REQ_ATS}) {
        auto r = xlate(0x14, IOVA, RIOMMU_READ, k);
        EXPECT_EQ(r.status, RIOMMU_RSP_FAULT);
        EXPECT_EQ(r.cause, RIOMMU_CAUSE_TTYPE_DISALLOWED);
    }
    auto recs = drain_faults();
    ASSERT_EQ(recs.size(), 2u);
    EXPECT_EQ(recs[0].ttyp, (unsigned)RIOMMU_TTYP_TRANSLATED_READ);
    EXPECT_EQ(recs[1].ttyp, (unsigned)RIOMMU_TTYP_ATS_TRANSLATION);
}

// ============================================================ DTF and records

// ds "Translation control" DTF + q "Fault record CAUSE" table: with DTF=1 a
// page fault (13) is not recorded but the device still gets the fault.
TEST_F(ModelTest, Q_FaultCause_DtfSuppressesPageFault) {
    Create();
    enable_fq();
    setup_ddt();
    uint64_t root = new_root();
    attach_s1(0x20, root, 8, 5, RIOMMU_DC_TC_DTF);
    auto r = expect_fault(0x20, 0x10000, RIOMMU_READ, RIOMMU_CAUSE_READ_PAGE_FAULT);
    EXPECT_FALSE(r.recorded);
    EXPECT_TRUE(drain_faults().empty());
    EXPECT_EQ(stats().fault_records_suppressed, 1u);
    // Same tables without DTF: recorded.
    attach_s1(0x21, root, 8, 5);
    r = expect_fault(0x21, 0x10000, RIOMMU_READ, RIOMMU_CAUSE_READ_PAGE_FAULT);
    EXPECT_TRUE(r.recorded);
    EXPECT_EQ(drain_faults().size(), 1u);
}

// q "Fault record CAUSE" table: 260 is not reported when DTF is 1.
TEST_F(ModelTest, Q_FaultCause_DtfSuppresses260) {
    Create();
    enable_fq();
    setup_ddt();
    set_dc(0x22, TCV | RIOMMU_DC_TC_DTF, 0, 0, 0);
    auto r = xlate(0x22, IOVA, RIOMMU_READ, RIOMMU_REQ_UNTRANSLATED, true, 3);
    EXPECT_EQ(r.status, RIOMMU_RSP_FAULT);
    EXPECT_EQ(r.cause, RIOMMU_CAUSE_TTYPE_DISALLOWED);
    EXPECT_FALSE(r.recorded);
    r = xlate(0x22, IOVA, RIOMMU_WRITE, RIOMMU_REQ_TRANSLATED);
    EXPECT_EQ(r.cause, RIOMMU_CAUSE_TTYPE_DISALLOWED);
    EXPECT_FALSE(r.recorded);
    EXPECT_TRUE(drain_faults().empty());
}

// q "Fault record CAUSE" table (258/259 "Yes") and "If a fault condition
// prevents locating a valid device context then the DTF value assumed ... is
// 0": a DC with DTF=1 that is misconfigured, or not valid, is still reported.
TEST_F(ModelTest, Q_FaultCause_DtfDoesNotSuppressDdtFaults) {
    Create();
    enable_fq();
    setup_ddt();
    set_dc(0x23, TCV | RIOMMU_DC_TC_DTF | RIOMMU_DC_TC_DPE, 0, 0, 0); // 259
    set_dc(0x24, RIOMMU_DC_TC_DTF, 0, 0, 0);                           // 258
    auto r1 = expect_fault(0x23, IOVA, RIOMMU_READ, RIOMMU_CAUSE_DDT_MISCONFIGURED);
    auto r2 = expect_fault(0x24, IOVA, RIOMMU_READ, RIOMMU_CAUSE_DDT_INVALID);
    EXPECT_TRUE(r1.recorded);
    EXPECT_TRUE(r2.recorded);
    auto recs = drain_faults();
    ASSERT_EQ(recs.size(), 2u);
    EXPECT_EQ(recs[0].cause, 259u);
    EXPECT_EQ(recs[1].cause, 258u);
}

// q "Fault record CAUSE" table: DDT load fault (257) and corruption (268)
// are reported even when the DC that would be found has DTF=1.
TEST_F(ModelTest, Q_FaultCause_DtfDoesNotSuppress257And268) {
    Create();
    enable_fq();
    setup_ddt(RIOMMU_DDTP_MODE_1LVL);
    set_dc(1, TCV | RIOMMU_DC_TC_DTF, 0, 0, 0);
    set_dc(2, TCV | RIOMMU_DC_TC_DTF, 0, 0, 0);
    mem.fault.push_back({dc_addr(1), dc_addr(1) + 8});
    mem.poison.push_back({dc_addr(2) + 8, dc_addr(2) + 16});
    EXPECT_TRUE(expect_fault(1, IOVA, RIOMMU_READ, 257).recorded);
    EXPECT_TRUE(expect_fault(2, IOVA, RIOMMU_READ, 268).recorded);
    EXPECT_EQ(drain_faults().size(), 2u);
}

// q "Fault/Event-Queue": TTYP per access, DID, iotval = IOVA (full, with page
// offset); PV=0 -> PID and PRIV are 0 even if the request carried priv.
TEST_F(ModelTest, Q_FaultRecord_TtypDidIotval) {
    Create();
    enable_fq();
    setup_ddt();
    uint64_t root = new_root();
    attach_s1(0xABCDE, root, 9, 1);
    expect_fault(0xABCDE, 0x7000123, RIOMMU_READ, RIOMMU_CAUSE_READ_PAGE_FAULT);
    expect_fault(0xABCDE, 0x7001456, RIOMMU_WRITE, RIOMMU_CAUSE_WRITE_PAGE_FAULT);
    expect_fault(0xABCDE, 0x7002789, RIOMMU_EXEC, RIOMMU_CAUSE_INST_PAGE_FAULT);
    auto r = xlate(0xABCDE, 0x7003FFF, RIOMMU_READ, RIOMMU_REQ_UNTRANSLATED, false, 0x55, true);
    EXPECT_EQ(r.cause, RIOMMU_CAUSE_READ_PAGE_FAULT);
    auto recs = drain_faults();
    ASSERT_EQ(recs.size(), 4u);
    unsigned ttyps[] = {2, 3, 1, 2};
    unsigned causes[] = {13, 15, 12, 13};
    uint64_t iovas[] = {0x7000123, 0x7001456, 0x7002789, 0x7003FFF};
    for (int i = 0; i < 4; i++) {
        EXPECT_EQ(recs[i].cause, causes[i]);
        EXPECT_EQ(recs[i].ttyp, ttyps[i]);
        EXPECT_EQ(recs[i].did, 0xABCDEu);
        EXPECT_EQ(recs[i].iotval, iovas[i]);
        EXPECT_EQ(recs[i].iotval2, 0u);
        EXPECT_FALSE(recs[i].pv);
        EXPECT_EQ(recs[i].pid, 0u);
        EXPECT_FALSE(recs[i].priv);
    }
}

// q "Fault/Event-Queue": PV=1 -> PID holds process_id and PRIV the
// supervisor privilege of the transaction.
TEST_F(ModelTest, Q_FaultRecord_PvPidPriv) {
    Create();
    enable_fq();
    setup_ddt();
    set_dc(0x30, TCV, 0, 0, 0); // PDTV=0: any process_id -> 260
    xlate(0x30, 0x1000, RIOMMU_WRITE, RIOMMU_REQ_UNTRANSLATED, true, 0xFEDCB, true);
    xlate(0x30, 0x2000, RIOMMU_READ, RIOMMU_REQ_UNTRANSLATED, true, 0x00001, false);
    auto recs = drain_faults();
    ASSERT_EQ(recs.size(), 2u);
    EXPECT_EQ(recs[0].cause, 260u);
    EXPECT_TRUE(recs[0].pv);
    EXPECT_EQ(recs[0].pid, 0xFEDCBu);
    EXPECT_TRUE(recs[0].priv);
    EXPECT_EQ(recs[0].ttyp, (unsigned)RIOMMU_TTYP_UNTRANSLATED_WRITE);
    EXPECT_EQ(recs[0].iotval, 0x1000u);
    EXPECT_TRUE(recs[1].pv);
    EXPECT_EQ(recs[1].pid, 1u);
    EXPECT_FALSE(recs[1].priv);
}

// riommu.h riommu_request: device_id wider than 24 bits or process_id wider
// than 20 bits is not a transaction (BAD_REQUEST, nothing recorded).
TEST_F(ModelTest, Api_Translate_BadRequestNotRecorded) {
    Create();
    enable_fq();
    setup_ddt();
    auto r = xlate(0x1000000, IOVA);
    EXPECT_EQ(r.status, RIOMMU_RSP_BAD_REQUEST);
    r = xlate(1, IOVA, RIOMMU_READ, RIOMMU_REQ_UNTRANSLATED, true, 0x100000);
    EXPECT_EQ(r.status, RIOMMU_RSP_BAD_REQUEST);
    riommu_request q{};
    q.device_id = 1;
    q.iova = IOVA;
    q.len = 0; // len must be >= 1
    riommu_response rsp{};
    EXPECT_EQ(riommu_translate(m, &q, &rsp), RIOMMU_RSP_BAD_REQUEST);
    EXPECT_EQ(rsp.status, RIOMMU_RSP_BAD_REQUEST);
    EXPECT_TRUE(drain_faults().empty());
    EXPECT_EQ(stats().translations, 0u);
}

// q "Fault/Event-Queue" NOTE on iotval: an implementation may report the page
// offset as 0 (riommu_config.iotval_page_offset=false).
TEST_F(ModelTest, Q_FaultRecord_IotvalWithoutPageOffset) {
    cfg.iotval_page_offset = false;
    Create();
    enable_fq();
    setup_ddt();
    set_dc(0x31, 0, 0, 0, 0);
    expect_fault(0x31, 0x12345678, RIOMMU_WRITE, RIOMMU_CAUSE_DDT_INVALID);
    auto recs = drain_faults();
    ASSERT_EQ(recs.size(), 1u);
    EXPECT_EQ(recs[0].iotval, 0x12345000u);
}
