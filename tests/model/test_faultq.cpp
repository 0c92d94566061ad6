// test_faultq.cpp - the fault/event queue (q "Fault/Event-Queue (FQ)",
// "Fault record CAUSE field encodings", TTYP table; regs "fqb", "fqh", "fqt",
// "fqcsr"; linux §1.5 FQ thread, §2.4 items 4-6; riscv-iommu issues #119
// (full-queue definition) and #557 (FQ error bits cleared in fqcsr)).
//
// Most tests use ddtp = Off, where every request faults with cause 256 ("All
// inbound transactions disallowed") and nothing else is read from memory, so
// the record stream is fully controlled by the test.
#include "fixture.h"

using namespace rt;

namespace {

constexpr unsigned SV39 = RIOMMU_IOSATP_MODE_SV39;

#define FQ_UP(LOG2SZM1)                                                        \
    ASSERT_NO_FATAL_FAILURE({                                                  \
        Create();                                                              \
        enable_fq(LOG2SZM1);                                                   \
    })

} // namespace

// q "Fault/Event-Queue": record = CAUSE[11:0] PID[31:12] PV[32] PRIV[33]
// TTYP[39:34] DID[63:40], a reserved/custom dword, iotval, iotval2; written
// at fqb + fqt * 32, then fqt advances by 1.
TEST_F(ModelTest, Fq_RecordLayoutPageFault) {
    ASSERT_NO_FATAL_FAILURE({
        Create();
        enable_cq();
        enable_fq();
        setup_ddt();
    });
    uint64_t root = new_root();
    map(root, SV39, 0x1000, 0x90001000, RWUAD);
    attach_s1(0xABCDE, root, SV39, 1);
    expect_fault(0xABCDE, 0x7654321, RIOMMU_WRITE, RIOMMU_CAUSE_WRITE_PAGE_FAULT);
    EXPECT_EQ(rd32(RIOMMU_REG_FQT), 1u);
    uint64_t a = fq_base;
    uint64_t hdr = mem.r64(a);
    EXPECT_EQ(hdr & 0xFFF, 15u);                       // CAUSE
    EXPECT_EQ((hdr >> 12) & 0xFFFFF, 0u);              // PID (PV=0)
    EXPECT_EQ((hdr >> 32) & 1, 0u);                    // PV
    EXPECT_EQ((hdr >> 33) & 1, 0u);                    // PRIV
    EXPECT_EQ((hdr >> 34) & 0x3F, 3u);                 // TTYP untranslated write
    EXPECT_EQ(hdr >> 40, 0xABCDEu);                    // DID
    EXPECT_EQ(mem.r64(a + 8), 0u);                     // reserved / custom
    EXPECT_EQ(mem.r64(a + 16), 0x7654321u);            // iotval = IOVA
    EXPECT_EQ(mem.r64(a + 24), 0u);                    // iotval2
    ASSERT_EQ(mem.count_writes(RIOMMU_ACC_FQ), 1u);
    for (auto &w : mem.writes)
        if (w.kind == RIOMMU_ACC_FQ) {
            EXPECT_EQ(w.pa, fq_base);
            EXPECT_EQ(w.bytes.size(), 32u);
        }
    // The second record goes to the next 32-byte slot.
    expect_fault(0xABCDE, 0x9000, RIOMMU_EXEC, RIOMMU_CAUSE_INST_PAGE_FAULT);
    EXPECT_EQ(rd32(RIOMMU_REG_FQT), 2u);
    EXPECT_EQ(mem.r64(fq_base + 32) & 0xFFF, 12u);
    EXPECT_EQ((mem.r64(fq_base + 32) >> 34) & 0x3F, 1u); // untranslated exec
    EXPECT_EQ(mem.r64(fq_base + 48), 0x9000u);
}

// q "Fault/Event-Queue": "If PV is 1, the PID holds a process_id of the
// transaction and if the privilege of the transaction was Supervisor then
// the PRIV bit is 1"; "If PV is 0, then PID and PRIV are 0".
TEST_F(ModelTest, Fq_RecordPvPidPriv) {
    FQ_UP(5);
    auto r = xlate(0x123, 0x4000, RIOMMU_READ, RIOMMU_REQ_UNTRANSLATED, true, 0xFEDCB, true);
    EXPECT_EQ(r.status, RIOMMU_RSP_FAULT);
    EXPECT_EQ(r.cause, RIOMMU_CAUSE_ALL_INBOUND_DISALLOWED);
    EXPECT_TRUE(r.recorded);
    xlate(0x124, 0x5000, RIOMMU_WRITE, RIOMMU_REQ_UNTRANSLATED, true, 0x1, false);
    xlate(0x125, 0x6000, RIOMMU_READ, RIOMMU_REQ_UNTRANSLATED, false, 0x77, true);
    auto recs = drain_faults();
    ASSERT_EQ(recs.size(), 3u);
    EXPECT_EQ(recs[0].cause, 256u);
    EXPECT_TRUE(recs[0].pv);
    EXPECT_EQ(recs[0].pid, 0xFEDCBu);
    EXPECT_TRUE(recs[0].priv);
    EXPECT_EQ(recs[0].did, 0x123u);
    EXPECT_TRUE(recs[1].pv);
    EXPECT_EQ(recs[1].pid, 1u);
    EXPECT_FALSE(recs[1].priv);
    EXPECT_EQ(recs[1].ttyp, (unsigned)RIOMMU_TTYP_UNTRANSLATED_WRITE);
    EXPECT_FALSE(recs[2].pv);
    EXPECT_EQ(recs[2].pid, 0u) << "PV=0 -> PID 0";
    EXPECT_FALSE(recs[2].priv) << "PV=0 -> PRIV 0";
}

// q "Fault record TTYP field encodings": translated read/write/exec = 6/7/5,
// ATS translation request = 8.
TEST_F(ModelTest, Fq_TtypEncodings) {
    FQ_UP(5);
    xlate(1, 0x1000, RIOMMU_READ, RIOMMU_REQ_TRANSLATED);
    xlate(1, 0x1000, RIOMMU_WRITE, RIOMMU_REQ_TRANSLATED);
    xlate(1, 0x1000, RIOMMU_EXEC, RIOMMU_REQ_TRANSLATED);
    xlate(1, 0x1000, RIOMMU_READ, RIOMMU_REQ_ATS);
    xlate(1, 0x1000, RIOMMU_EXEC, RIOMMU_REQ_UNTRANSLATED);
    auto recs = drain_faults();
    ASSERT_EQ(recs.size(), 5u);
    EXPECT_EQ(recs[0].ttyp, 6u);
    EXPECT_EQ(recs[1].ttyp, 7u);
    EXPECT_EQ(recs[2].ttyp, 5u);
    EXPECT_EQ(recs[3].ttyp, 8u);
    EXPECT_EQ(recs[4].ttyp, 1u);
}

// q "Fault/Event-Queue": "The byte order of each of the doublewords in
// memory ... is the endianness as determined by fctl.BE".
TEST_F(ModelTest, Fq_BigEndianRecord) {
    cfg.fctl_reset = RIOMMU_FCTL_BE;
    FQ_UP(5);
    xlate(0x42, 0x1122334455667788ull & ~0xFFFull, RIOMMU_READ);
    uint8_t b[32];
    mem.read(fq_base, b, 32);
    uint64_t hdr = 0, iotval = 0;
    for (int i = 0; i < 8; i++) {
        hdr = (hdr << 8) | b[i];
        iotval = (iotval << 8) | b[16 + i];
    }
    EXPECT_EQ(hdr & 0xFFF, 256u);
    EXPECT_EQ(hdr >> 40, 0x42u);
    EXPECT_EQ((hdr >> 34) & 0x3F, 2u);
    EXPECT_EQ(iotval, 0x1122334455667000ull);
}

// riommu_config.iotval_page_offset = false: "page offset reported as 0"
// (q "Fault/Event-Queue" note: the IOMMU may report the page offset as 0).
TEST_F(ModelTest, Fq_IotvalPageOffsetZeroOption) {
    cfg.iotval_page_offset = false;
    FQ_UP(5);
    xlate(1, 0xABCDEF, RIOMMU_READ);
    auto recs = drain_faults();
    ASSERT_EQ(recs.size(), 1u);
    EXPECT_EQ(recs[0].iotval, 0xABC000u);
}

// q "Fault/Event-Queue": "A queue is full if the tail is the head minus one"
// (issue #119): with 4 entries, 3 records fill it; the 4th sets fqof and is
// discarded; fqt stays.
TEST_F(ModelTest, Fq_FullQueueSetsFqofAndDropsRecord) {
    FQ_UP(1);
    ASSERT_EQ(fq_mask, 3u);
    for (uint32_t i = 0; i < 3; i++) {
        auto r = xlate(i + 1, 0x1000 * (i + 1));
        EXPECT_TRUE(r.recorded) << i;
    }
    EXPECT_EQ(rd32(RIOMMU_REG_FQT), 3u);
    EXPECT_FALSE(rd32(RIOMMU_REG_FQCSR) & RIOMMU_FQCSR_FQOF);
    size_t w = mem.count_writes(RIOMMU_ACC_FQ);
    auto r = xlate(9, 0x9000);
    EXPECT_EQ(r.status, RIOMMU_RSP_FAULT);
    EXPECT_FALSE(r.recorded);
    EXPECT_TRUE(rd32(RIOMMU_REG_FQCSR) & RIOMMU_FQCSR_FQOF);
    EXPECT_EQ(rd32(RIOMMU_REG_FQT), 3u);
    EXPECT_EQ(mem.count_writes(RIOMMU_ACC_FQ), w);
    EXPECT_EQ(mem.r64(fq_base + 3 * 32), 0u) << "slot fqt not written";
    auto s = stats();
    EXPECT_EQ(s.fault_records_written, 3u);
    EXPECT_EQ(s.fault_records_dropped, 1u);
}

// regs "fqcsr" fqof: "no more fault records are generated until software
// clears fqof by writing 1" - even after the queue was drained; then
// recording resumes at fqt (issue #557: cleared in fqcsr).
TEST_F(ModelTest, Fq_AfterFqofNoRecordsUntilW1C) {
    FQ_UP(1);
    for (uint32_t i = 0; i < 4; i++)
        xlate(i + 1, 0x1000);
    ASSERT_TRUE(rd32(RIOMMU_REG_FQCSR) & RIOMMU_FQCSR_FQOF);
    auto recs = drain_faults();
    EXPECT_EQ(recs.size(), 3u);
    EXPECT_EQ(rd32(RIOMMU_REG_FQH), 3u);
    EXPECT_FALSE(xlate(5, 0x5000).recorded) << "fqof still set";
    EXPECT_EQ(rd32(RIOMMU_REG_FQT), 3u);
    // Writing 0 to fqof does not clear it (RW1C).
    wr32(RIOMMU_REG_FQCSR, RIOMMU_FQCSR_FQEN);
    EXPECT_TRUE(rd32(RIOMMU_REG_FQCSR) & RIOMMU_FQCSR_FQOF);
    EXPECT_FALSE(xlate(6, 0x6000).recorded);
    // W1C (linux §1.5: write back the value read).
    wr32(RIOMMU_REG_FQCSR, rd32(RIOMMU_REG_FQCSR));
    EXPECT_FALSE(rd32(RIOMMU_REG_FQCSR) & RIOMMU_FQCSR_FQOF);
    EXPECT_TRUE(rd32(RIOMMU_REG_FQCSR) & RIOMMU_FQCSR_FQON);
    EXPECT_TRUE(xlate(7, 0x7000).recorded);
    recs = drain_faults();
    ASSERT_EQ(recs.size(), 1u);
    EXPECT_EQ(recs[0].did, 7u);
    EXPECT_EQ(stats().fault_records_dropped, 3u);
}

// regs "fqcsr" fqmf: a store fault on the record write sets fqmf, the record
// is discarded and so are later ones until fqmf is cleared.
TEST_F(ModelTest, Fq_StoreFaultSetsFqmfAndDrops) {
    FQ_UP(5);
    EXPECT_TRUE(xlate(1, 0x1000).recorded);
    mem.fault.push_back({fq_base, fq_base + 4096});
    auto r = xlate(2, 0x2000);
    EXPECT_FALSE(r.recorded);
    EXPECT_EQ(r.cause, 256u);
    EXPECT_TRUE(rd32(RIOMMU_REG_FQCSR) & RIOMMU_FQCSR_FQMF);
    EXPECT_FALSE(rd32(RIOMMU_REG_FQCSR) & RIOMMU_FQCSR_FQOF);
    EXPECT_EQ(rd32(RIOMMU_REG_FQT), 1u);
    mem.fault.clear();
    EXPECT_FALSE(xlate(3, 0x3000).recorded) << "fqmf still set";
    wr32(RIOMMU_REG_FQCSR, RIOMMU_FQCSR_FQEN | RIOMMU_FQCSR_FQMF);
    EXPECT_FALSE(rd32(RIOMMU_REG_FQCSR) & RIOMMU_FQCSR_FQMF);
    EXPECT_TRUE(xlate(4, 0x4000).recorded);
    auto recs = drain_faults();
    ASSERT_EQ(recs.size(), 2u);
    EXPECT_EQ(recs[0].did, 1u);
    EXPECT_EQ(recs[1].did, 4u);
    EXPECT_EQ(stats().fault_records_written, 2u);
    EXPECT_EQ(stats().fault_records_dropped, 2u);
}

// q "Fault/Event-Queue": "When an error bit in fqcsr is 1 or when a new fault
// record is produced ... fip is set in ipsr if ... fqcsr.fie is 1".
TEST_F(ModelTest, Fq_FipOnRecordAndOnOverflowWithFie) {
    Create();
    ASSERT_NO_FATAL_FAILURE(enable_fq(1, RIOMMU_FQCSR_FIE));
    EXPECT_FALSE(rd32(RIOMMU_REG_IPSR) & RIOMMU_IPSR_FIP);
    xlate(1, 0x1000);
    EXPECT_TRUE(rd32(RIOMMU_REG_IPSR) & RIOMMU_IPSR_FIP);
    wr32(RIOMMU_REG_IPSR, RIOMMU_IPSR_FIP);
    EXPECT_FALSE(rd32(RIOMMU_REG_IPSR) & RIOMMU_IPSR_FIP);
    xlate(2, 0x1000);
    xlate(3, 0x1000);
    wr32(RIOMMU_REG_IPSR, RIOMMU_IPSR_FIP);
    xlate(4, 0x1000); // overflow
    EXPECT_TRUE(rd32(RIOMMU_REG_FQCSR) & RIOMMU_FQCSR_FQOF);
    EXPECT_TRUE(rd32(RIOMMU_REG_IPSR) & RIOMMU_IPSR_FIP);
    // The error condition holds: W1C of ipsr alone sets fip again.
    wr32(RIOMMU_REG_IPSR, RIOMMU_IPSR_FIP);
    EXPECT_TRUE(rd32(RIOMMU_REG_IPSR) & RIOMMU_IPSR_FIP);
}

// Same without fie: records are written but fip stays clear.
TEST_F(ModelTest, Fq_NoFipWithoutFie) {
    FQ_UP(5);
    EXPECT_TRUE(xlate(1, 0x1000).recorded);
    EXPECT_FALSE(rd32(RIOMMU_REG_IPSR) & RIOMMU_IPSR_FIP);
}

// regs "fqcsr" fqen: "Changing fqen from 0 to 1 sets the fqt register and the
// fqcsr bits fqof and fqmf to 0"; fqh (software-owned) is kept (linux §2.4
// item 4).
TEST_F(ModelTest, Fq_FqenResetsFqtAndErrorsNotFqh) {
    FQ_UP(1);
    for (uint32_t i = 0; i < 4; i++)
        xlate(i + 1, 0x1000);
    ASSERT_EQ(rd32(RIOMMU_REG_FQT), 3u);
    ASSERT_TRUE(rd32(RIOMMU_REG_FQCSR) & RIOMMU_FQCSR_FQOF);
    wr32(RIOMMU_REG_FQH, 2);
    wr32(RIOMMU_REG_FQCSR, 0);
    settle();
    ASSERT_FALSE(rd32(RIOMMU_REG_FQCSR) & RIOMMU_FQCSR_FQON);
    EXPECT_EQ(rd32(RIOMMU_REG_FQT), 3u) << "disable keeps fqt";
    wr32(RIOMMU_REG_FQCSR, RIOMMU_FQCSR_FQEN);
    EXPECT_EQ(rd32(RIOMMU_REG_FQT), 0u);
    EXPECT_EQ(rd32(RIOMMU_REG_FQH), 2u);
    EXPECT_FALSE(rd32(RIOMMU_REG_FQCSR) & (RIOMMU_FQCSR_FQOF | RIOMMU_FQCSR_FQMF));
    settle();
    EXPECT_TRUE(rd32(RIOMMU_REG_FQCSR) & RIOMMU_FQCSR_FQON);
    // fqh = 2, fqt = 0: one record fits (slot 0), then full (fqt == fqh - 1).
    EXPECT_TRUE(xlate(7, 0x7000).recorded);
    EXPECT_EQ(rd32(RIOMMU_REG_FQT), 1u);
    EXPECT_EQ(mem.r64(fq_base) >> 40, 7u);
    EXPECT_FALSE(xlate(8, 0x8000).recorded);
    EXPECT_TRUE(rd32(RIOMMU_REG_FQCSR) & RIOMMU_FQCSR_FQOF);
}

// regs "fqcsr": records are written only while the queue is on (fqon) - not
// before enabling, not during the BUSY window of the enable, and not after
// the queue was turned off.
TEST_F(ModelTest, Fq_FqonRequired) {
    Create();
    uint64_t base = alloc();
    fq_base = base;
    fq_mask = 63;
    wr64(RIOMMU_REG_FQB, ((base >> 12) << 10) | 5);
    EXPECT_FALSE(xlate(1, 0x1000).recorded) << "fqen = 0";
    wr32(RIOMMU_REG_FQCSR, RIOMMU_FQCSR_FQEN);
    ASSERT_TRUE(rd32(RIOMMU_REG_FQCSR) & RIOMMU_FQCSR_BUSY);
    ASSERT_FALSE(rd32(RIOMMU_REG_FQCSR) & RIOMMU_FQCSR_FQON);
    EXPECT_FALSE(xlate(2, 0x1000).recorded) << "busy, fqon = 0";
    settle();
    ASSERT_TRUE(rd32(RIOMMU_REG_FQCSR) & RIOMMU_FQCSR_FQON);
    EXPECT_TRUE(xlate(3, 0x1000).recorded);
    wr32(RIOMMU_REG_FQCSR, 0);
    settle();
    EXPECT_FALSE(xlate(4, 0x1000).recorded) << "off";
    EXPECT_EQ(mem.count_writes(RIOMMU_ACC_FQ), 1u);
    EXPECT_EQ(rd32(RIOMMU_REG_FQT), 1u);
    EXPECT_EQ(stats().fault_records_written, 1u);
    EXPECT_EQ(stats().fault_records_dropped, 3u);
}

// q "In-memory queue interface": head and tail wrap around - 4-entry FQ,
// 14 faults drained two at a time; every record lands in slot fqt mod 4.
TEST_F(ModelTest, Fq_WrapAround) {
    FQ_UP(1);
    uint32_t did = 0;
    for (unsigned round = 0; round < 7; round++) {
        uint32_t t = rd32(RIOMMU_REG_FQT);
        did++;
        xlate(did, 0x1000ull * did);
        EXPECT_EQ(mem.r64(fq_base + 32ull * t) >> 40, did);
        did++;
        xlate(did, 0x1000ull * did);
        EXPECT_EQ(rd32(RIOMMU_REG_FQT), (t + 2) & 3u);
        auto recs = drain_faults();
        ASSERT_EQ(recs.size(), 2u);
        EXPECT_EQ(recs[0].did, did - 1);
        EXPECT_EQ(recs[1].did, did);
        EXPECT_EQ(recs[1].iotval, 0x1000ull * did);
    }
    EXPECT_FALSE(rd32(RIOMMU_REG_FQCSR) & RIOMMU_FQCSR_FQOF);
    EXPECT_EQ(stats().fault_records_written, 14u);
    EXPECT_EQ(stats().fault_records_dropped, 0u);
}

// regs "fqh": only bits LOG2SZ-1:0 are writable (linux §2.4 item 6: indices
// reported modulo the queue size).
TEST_F(ModelTest, Fq_FqhMaskedToQueueSize) {
    FQ_UP(1);
    wr32(RIOMMU_REG_FQH, 0xFFFFFFFD);
    EXPECT_EQ(rd32(RIOMMU_REG_FQH), 1u);
    EXPECT_EQ(rd32(RIOMMU_REG_FQT) & ~3u, 0u);
}

// q "Fault record CAUSE field encodings", column "Reported if DTF is 1?": a
// page fault of a DC with DTF = 1 is not recorded (suppressed), while a
// DDT-invalid fault (258) is recorded ("If a fault condition prevents
// locating a valid device context then the DTF value assumed ... is 0").
TEST_F(ModelTest, Fq_DtfSuppressesPageFaultNotDdtFaults) {
    ASSERT_NO_FATAL_FAILURE({
        Create();
        enable_cq();
        enable_fq();
        setup_ddt();
    });
    uint64_t root = new_root();
    attach_s1(1, root, SV39, 1, RIOMMU_DC_TC_DTF);
    set_dc(2, RIOMMU_DC_TC_DTF, 0, 0, 0); // invalid, DTF bit ignored
    auto r = expect_fault(1, 0x1000, RIOMMU_READ, RIOMMU_CAUSE_READ_PAGE_FAULT);
    EXPECT_FALSE(r.recorded);
    r = expect_fault(2, 0x1000, RIOMMU_READ, RIOMMU_CAUSE_DDT_INVALID);
    EXPECT_TRUE(r.recorded);
    auto recs = drain_faults();
    ASSERT_EQ(recs.size(), 1u);
    EXPECT_EQ(recs[0].cause, 258u);
    EXPECT_EQ(recs[0].did, 2u);
    EXPECT_EQ(stats().fault_records_suppressed, 1u);
    EXPECT_EQ(stats().faults_by_cause[13], 1u);
}

// The fault observer hook sees every fault with `recorded` telling whether it
// reached the queue (riommu.h riommu_observer.fault).
TEST_F(ModelTest, Fq_ObserverSeesDroppedFaults) {
    FQ_UP(1);
    static std::vector<std::pair<unsigned, bool>> seen;
    seen.clear();
    riommu_observer obs{};
    obs.fault = [](void *, const riommu_fault_record *rec, bool recorded) {
        seen.push_back({rec->did, recorded});
    };
    riommu_set_observer(m, &obs);
    for (uint32_t i = 1; i <= 5; i++)
        xlate(i, 0x1000);
    ASSERT_EQ(seen.size(), 5u);
    for (unsigned i = 0; i < 5; i++) {
        EXPECT_EQ(seen[i].first, i + 1);
        EXPECT_EQ(seen[i].second, i < 3);
    }
    riommu_set_observer(m, nullptr);
}
