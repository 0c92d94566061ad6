// test_intr.cpp - IOMMU interrupts, the hardware performance monitor and the
// debug translation interface:
//   regs "ipsr", "icvec", "msi_cfg_tbl" (iommu_registers.adoc) with the
//   interrupt conditions of q "Command-Queue" / "Fault/Event-Queue"
//   (iommu_in_memory_queues.adoc) and IOFENCE.C.WSI;
//   regs "iocountovf", "iocountinh", "iohpmcycles", "iohpmctr1-31",
//   "iohpmevt1-31", "Standard Events list";
//   dbg "Debug support" (iommu_debug.adoc) with regs "tr_req_iova",
//   "tr_req_ctl", "tr_response";
//   linux-driver.md §1.5 (interrupt handling) and §4 item 13 (one vector).
#include "fixture.h"

using namespace rt;

namespace {

constexpr uint64_t kMsiAddr0 = 0x00000000FEE00000ull;

void mmio_w(riommu *m, uint32_t off, unsigned size, uint64_t v) {
    EXPECT_EQ(riommu_mmio_write(m, off, size, v), RIOMMU_MMIO_OK) << std::hex << off;
}

// Program msi_cfg_tbl entry `i` (regs msi_cfg_tbl) and unmask it unless
// `masked`.
void msi_entry(riommu *m, unsigned i, uint64_t addr, uint32_t data, bool masked = false) {
    mmio_w(m, RIOMMU_REG_MSI_ADDR(i), 8, addr);
    mmio_w(m, RIOMMU_REG_MSI_DATA(i), 4, data);
    mmio_w(m, RIOMMU_REG_MSI_VEC_CTL(i), 4, masked ? 1 : 0);
}

uint64_t icvec(unsigned civ, unsigned fiv, unsigned pmiv, unsigned piv) {
    return civ | (fiv << 4) | (pmiv << 8) | ((uint64_t)piv << 12);
}

uint64_t evt(unsigned id, uint64_t extra = 0) {
    return RIOMMU_FIELD_PREP(RIOMMU_IOHPMEVT_EVENTID, id) | extra;
}

uint64_t tr_ctl(uint32_t did, bool nw = true, bool exe = false) {
    uint64_t v = RIOMMU_TR_REQ_CTL_GO_BUSY | RIOMMU_FIELD_PREP(RIOMMU_TR_REQ_CTL_DID, did);
    if (nw) v |= RIOMMU_TR_REQ_CTL_NW;
    if (exe) v |= RIOMMU_TR_REQ_CTL_EXE;
    return v;
}

} // namespace

// ===========================================================================
// regs ipsr.cip (q "Command-Queue": "When an error bit or the fence_w_ip bit
// in cqcsr is 1, the command-queue interrupt pending (cip) bit is set in the
// ipsr if ... cqcsr.cie is 1")
// ===========================================================================

// regs ipsr.cip: cmd_ill (reserved opcode 0) with cie = 1.
TEST_F(ModelTest, Intr_Ipsr_CipOnCmdIllWithCie) {
    Create();
    enable_cq(5, RIOMMU_CQCSR_CIE);
    EXPECT_EQ(rd32(RIOMMU_REG_IPSR), 0u);
    submit({0, 0});
    settle();
    EXPECT_TRUE(rd32(RIOMMU_REG_CQCSR) & RIOMMU_CQCSR_CMD_ILL);
    EXPECT_EQ(rd32(RIOMMU_REG_IPSR), (uint32_t)RIOMMU_IPSR_CIP);
}

// regs ipsr.cip: not set while cie = 0; enabling cie with cmd_ill still 1
// sets it (the condition is "cie is 1 and cmd_ill is 1").
TEST_F(ModelTest, Intr_Ipsr_CipNeedsCieThenSetWhenEnabled) {
    Create();
    enable_cq();
    submit({0, 0});
    settle();
    ASSERT_TRUE(rd32(RIOMMU_REG_CQCSR) & RIOMMU_CQCSR_CMD_ILL);
    EXPECT_EQ(rd32(RIOMMU_REG_IPSR), 0u);
    wr32(RIOMMU_REG_CQCSR, RIOMMU_CQCSR_CQEN | RIOMMU_CQCSR_CIE); // cmd_ill written 0
    EXPECT_EQ(rd32(RIOMMU_REG_IPSR), (uint32_t)RIOMMU_IPSR_CIP);
}

// regs ipsr: "If the conditions to set that bit are still present ... that
// bit transitions again from 0->1"; once cmd_ill is cleared, W1C sticks.
TEST_F(ModelTest, Intr_Ipsr_CipReassertsAfterW1cWhileConditionPresent) {
    Create();
    enable_cq(5, RIOMMU_CQCSR_CIE);
    submit({0, 0});
    settle();
    wr32(RIOMMU_REG_IPSR, RIOMMU_IPSR_CIP);
    EXPECT_EQ(rd32(RIOMMU_REG_IPSR), (uint32_t)RIOMMU_IPSR_CIP);
    Cmd f = iofence();
    mem.w64(cq_base, f.d0);
    mem.w64(cq_base + 8, f.d1);
    wr32(RIOMMU_REG_CQCSR, RIOMMU_CQCSR_CQEN | RIOMMU_CQCSR_CIE | RIOMMU_CQCSR_CMD_ILL);
    wr32(RIOMMU_REG_IPSR, RIOMMU_IPSR_CIP);
    EXPECT_EQ(rd32(RIOMMU_REG_IPSR), 0u);
    settle();
    EXPECT_EQ(rd32(RIOMMU_REG_CQH), 1u);
    EXPECT_EQ(rd32(RIOMMU_REG_IPSR), 0u);
}

// regs ipsr.cip: cqmf (command fetch access fault) with cie.
TEST_F(ModelTest, Intr_Ipsr_CipOnCqmf) {
    Create();
    enable_cq(5, RIOMMU_CQCSR_CIE);
    mem.fault.push_back({cq_base, cq_base + 4096});
    submit(iofence());
    settle();
    EXPECT_TRUE(rd32(RIOMMU_REG_CQCSR) & RIOMMU_CQCSR_CQMF);
    EXPECT_EQ(rd32(RIOMMU_REG_IPSR), (uint32_t)RIOMMU_IPSR_CIP);
}

// regs ipsr: a plain successful command raises nothing.
TEST_F(ModelTest, Intr_Ipsr_NoInterruptForSuccessfulCommands) {
    Create();
    enable_cq(5, RIOMMU_CQCSR_CIE);
    run(iotinval_vma());
    run(iofence());
    EXPECT_EQ(rd32(RIOMMU_REG_IPSR), 0u);
    EXPECT_TRUE(msis.empty());
}

// ===========================================================================
// regs ipsr.fip (q "Fault/Event-Queue")
// ===========================================================================

// regs ipsr.fip: "fqcsr.fie is 1 and ... A new record is produced in the FQ".
TEST_F(ModelTest, Intr_Ipsr_FipOnNewRecordWithFie) {
    Create();
    enable_fq(5, RIOMMU_FQCSR_FIE);
    EXPECT_EQ(rd32(RIOMMU_REG_IPSR), 0u);
    EXPECT_TRUE(xlate(3, 0x1000).recorded); // ddtp Off: cause 256
    EXPECT_EQ(rd32(RIOMMU_REG_IPSR), (uint32_t)RIOMMU_IPSR_FIP);
}

// regs ipsr.fip: no interrupt for new records while fie = 0, and enabling fie
// later does not raise one for the old records (a new record is an event,
// not a level).
TEST_F(ModelTest, Intr_Ipsr_NoFipWithFieZero) {
    Create();
    enable_fq();
    EXPECT_TRUE(xlate(3, 0x1000).recorded);
    EXPECT_EQ(rd32(RIOMMU_REG_IPSR), 0u);
    wr32(RIOMMU_REG_FQCSR, RIOMMU_FQCSR_FQEN | RIOMMU_FQCSR_FIE);
    EXPECT_EQ(rd32(RIOMMU_REG_IPSR), 0u);
    EXPECT_TRUE(xlate(3, 0x1000).recorded);
    EXPECT_EQ(rd32(RIOMMU_REG_IPSR), (uint32_t)RIOMMU_IPSR_FIP);
}

// linux §1.5 "FQ thread" step 1: W1C fip first, so a later record raises a
// new interrupt (regs ipsr "or if they occur after the bit is cleared").
TEST_F(ModelTest, Intr_Ipsr_FipRaisedAgainByLaterRecord_Linux15) {
    Create();
    enable_fq(5, RIOMMU_FQCSR_FIE);
    xlate(3, 0x1000);
    wr32(RIOMMU_REG_IPSR, RIOMMU_IPSR_FIP);
    EXPECT_EQ(rd32(RIOMMU_REG_IPSR), 0u); // a record is not a level condition
    auto recs = drain_faults();
    EXPECT_EQ(recs.size(), 1u);
    xlate(3, 0x2000);
    EXPECT_EQ(rd32(RIOMMU_REG_IPSR), (uint32_t)RIOMMU_IPSR_FIP);
}

// regs ipsr.fip on fqcsr.fqof: the overflow keeps fip asserted across W1C
// until fqof is cleared.
TEST_F(ModelTest, Intr_Ipsr_FipOnFqofReassertsUntilCleared) {
    Create();
    enable_fq(0, RIOMMU_FQCSR_FIE); // one usable slot
    xlate(3, 0x1000);
    wr32(RIOMMU_REG_IPSR, RIOMMU_IPSR_FIP);
    ASSERT_EQ(rd32(RIOMMU_REG_IPSR), 0u);
    xlate(3, 0x2000); // queue full -> fqof
    ASSERT_TRUE(rd32(RIOMMU_REG_FQCSR) & RIOMMU_FQCSR_FQOF);
    EXPECT_EQ(rd32(RIOMMU_REG_IPSR), (uint32_t)RIOMMU_IPSR_FIP);
    wr32(RIOMMU_REG_IPSR, RIOMMU_IPSR_FIP);
    EXPECT_EQ(rd32(RIOMMU_REG_IPSR), (uint32_t)RIOMMU_IPSR_FIP);
    wr32(RIOMMU_REG_FQCSR, RIOMMU_FQCSR_FQEN | RIOMMU_FQCSR_FIE | RIOMMU_FQCSR_FQOF);
    wr32(RIOMMU_REG_IPSR, RIOMMU_IPSR_FIP);
    EXPECT_EQ(rd32(RIOMMU_REG_IPSR), 0u);
}

// regs ipsr.fip on fqcsr.fqmf (fault-record store fault).
TEST_F(ModelTest, Intr_Ipsr_FipOnFqmf) {
    Create();
    enable_fq(5, RIOMMU_FQCSR_FIE);
    mem.fault.push_back({fq_base, fq_base + 4096});
    EXPECT_FALSE(xlate(3, 0x1000).recorded);
    EXPECT_TRUE(rd32(RIOMMU_REG_FQCSR) & RIOMMU_FQCSR_FQMF);
    EXPECT_EQ(rd32(RIOMMU_REG_IPSR), (uint32_t)RIOMMU_IPSR_FIP);
}

// regs ipsr.fip: fqof pending while fie = 0 raises fip once fie is set.
TEST_F(ModelTest, Intr_Ipsr_FipWhenFieEnabledWithFqofPending) {
    Create();
    enable_fq(0);
    xlate(3, 0x1000);
    xlate(3, 0x2000);
    ASSERT_TRUE(rd32(RIOMMU_REG_FQCSR) & RIOMMU_FQCSR_FQOF);
    EXPECT_EQ(rd32(RIOMMU_REG_IPSR), 0u);
    wr32(RIOMMU_REG_FQCSR, RIOMMU_FQCSR_FQEN | RIOMMU_FQCSR_FIE);
    EXPECT_EQ(rd32(RIOMMU_REG_IPSR), (uint32_t)RIOMMU_IPSR_FIP);
}

// regs ipsr: pip never sets without a page-request queue (ATS = 0).
TEST_F(ModelTest, Intr_Ipsr_PipNeverWithoutAts) {
    Create();
    enable_fq(5, RIOMMU_FQCSR_FIE);
    enable_cq(5, RIOMMU_CQCSR_CIE);
    submit({0, 0});
    settle();
    xlate(3, 0x1000);
    EXPECT_EQ(rd32(RIOMMU_REG_IPSR) & RIOMMU_IPSR_PIP, 0u);
}

// ===========================================================================
// Wire-signalled interrupts (regs ipsr "When fctl.WSI is 1, the interrupt-
// pending bit drives the wire selected by the corresponding icvec field")
// ===========================================================================

// regs ipsr + icvec (WSI): the wire of civ is high while cip is set and
// goes low after the condition and cip are cleared.
TEST_F(ModelTest, Intr_Wsi_WireHighWhileCipSetLowAfterClear) {
    Create();
    wr32(RIOMMU_REG_FCTL, RIOMMU_FCTL_WSI);
    wr64(RIOMMU_REG_ICVEC, icvec(3, 1, 2, 4));
    enable_cq(5, RIOMMU_CQCSR_CIE);
    EXPECT_EQ(wires, 0u);
    submit({0, 0});
    settle();
    EXPECT_EQ(wires, 1u << 3);
    ASSERT_FALSE(wire_log.empty());
    EXPECT_EQ(wire_log.back(), std::make_pair(3u, true));
    Cmd f = iofence();
    mem.w64(cq_base, f.d0);
    mem.w64(cq_base + 8, f.d1);
    wr32(RIOMMU_REG_CQCSR, RIOMMU_CQCSR_CQEN | RIOMMU_CQCSR_CIE | RIOMMU_CQCSR_CMD_ILL);
    EXPECT_EQ(wires, 1u << 3); // ipsr.cip still set: the level stays
    wr32(RIOMMU_REG_IPSR, RIOMMU_IPSR_CIP);
    EXPECT_EQ(wires, 0u);
    EXPECT_EQ(wire_log.back(), std::make_pair(3u, false));
    EXPECT_EQ(wire_log.size(), 2u);
}

// regs ipsr (WSI): W1C while the condition persists keeps the wire high -
// no low pulse is signalled.
TEST_F(ModelTest, Intr_Wsi_W1cWithConditionPresentKeepsWireHigh) {
    Create();
    wr32(RIOMMU_REG_FCTL, RIOMMU_FCTL_WSI);
    enable_cq(5, RIOMMU_CQCSR_CIE);
    submit({0, 0});
    settle();
    ASSERT_EQ(wires, 1u);
    size_t n = wire_log.size();
    wr32(RIOMMU_REG_IPSR, RIOMMU_IPSR_CIP);
    EXPECT_EQ(wires, 1u);
    EXPECT_EQ(wire_log.size(), n);
}

// regs icvec (WSI): fip drives the fiv wire, cip the civ wire.
TEST_F(ModelTest, Intr_Wsi_EachCauseOnItsIcvecWire) {
    Create();
    wr32(RIOMMU_REG_FCTL, RIOMMU_FCTL_WSI);
    wr64(RIOMMU_REG_ICVEC, icvec(1, 2, 3, 0));
    enable_cq(5, RIOMMU_CQCSR_CIE);
    enable_fq(5, RIOMMU_FQCSR_FIE);
    xlate(3, 0x1000);
    EXPECT_EQ(wires, 1u << 2);
    submit({0, 0});
    settle();
    EXPECT_EQ(wires, (1u << 2) | (1u << 1));
    wr32(RIOMMU_REG_IPSR, RIOMMU_IPSR_FIP);
    EXPECT_EQ(wires, 1u << 1);
}

// regs icvec (WSI): remapping a pending cause moves its level to the new
// wire.
TEST_F(ModelTest, Intr_Wsi_IcvecRemapMovesWire) {
    Create();
    wr32(RIOMMU_REG_FCTL, RIOMMU_FCTL_WSI);
    enable_cq(5, RIOMMU_CQCSR_CIE);
    submit({0, 0});
    settle();
    ASSERT_EQ(wires, 1u);
    wr64(RIOMMU_REG_ICVEC, icvec(9, 0, 0, 0));
    EXPECT_EQ(wires, 1u << 9);
}

// linux §4 item 13 / §1.5 "With one wired line, the CQ and FQ handlers share
// that line and tell their events apart through ipsr": one vector, IGS=WSI.
TEST_F(ModelTest, Intr_Wsi_OneVectorSharedByCqAndFq_Linux4Item13) {
    cfg.capabilities = (cfg.capabilities & ~RIOMMU_CAP_IGS) |
                       RIOMMU_FIELD_PREP(RIOMMU_CAP_IGS, RIOMMU_IGS_WSI);
    cfg.num_vectors = 1;
    Create();
    ASSERT_TRUE(rd32(RIOMMU_REG_FCTL) & RIOMMU_FCTL_WSI);
    wr64(RIOMMU_REG_ICVEC, 0x2310); // Linux n=4 value; WARL -> 0
    ASSERT_EQ(rd64(RIOMMU_REG_ICVEC), 0u);
    enable_cq(5, RIOMMU_CQCSR_CIE);
    enable_fq(5, RIOMMU_FQCSR_FIE);
    submit({0, 0});
    settle();
    xlate(3, 0x1000);
    EXPECT_EQ(rd32(RIOMMU_REG_IPSR), (uint32_t)(RIOMMU_IPSR_CIP | RIOMMU_IPSR_FIP));
    EXPECT_EQ(wires, 1u);
    // CQ thread (linux §1.5): clear the error, then W1C cip at the end.
    Cmd f = iofence();
    mem.w64(cq_base, f.d0);
    mem.w64(cq_base + 8, f.d1);
    wr32(RIOMMU_REG_CQCSR, rd32(RIOMMU_REG_CQCSR));
    wr32(RIOMMU_REG_IPSR, RIOMMU_IPSR_CIP);
    EXPECT_EQ(rd32(RIOMMU_REG_IPSR), (uint32_t)RIOMMU_IPSR_FIP);
    EXPECT_EQ(wires, 1u); // fip still holds the shared line
    // FQ thread: W1C fip first, then drain.
    wr32(RIOMMU_REG_IPSR, RIOMMU_IPSR_FIP);
    EXPECT_EQ(drain_faults().size(), 1u);
    EXPECT_EQ(wires, 0u);
    EXPECT_EQ(rd32(RIOMMU_REG_IPSR), 0u);
}

// regs ipsr: with fctl.WSI = 1 no MSI is sent even from a configured,
// unmasked msi_cfg_tbl entry.
TEST_F(ModelTest, Intr_Wsi_NoMsiInWsiMode) {
    Create();
    wr32(RIOMMU_REG_FCTL, RIOMMU_FCTL_WSI);
    msi_entry(m, 0, kMsiAddr0, 0x11);
    enable_cq(5, RIOMMU_CQCSR_CIE);
    submit({0, 0});
    settle();
    EXPECT_EQ(wires, 1u);
    EXPECT_TRUE(msis.empty());
}

// regs "Reset behavior" (ipsr = 0): reset deasserts asserted wires.
TEST_F(ModelTest, Intr_Wsi_ResetDeassertsWires) {
    Create();
    wr32(RIOMMU_REG_FCTL, RIOMMU_FCTL_WSI);
    enable_cq(5, RIOMMU_CQCSR_CIE);
    submit({0, 0});
    settle();
    ASSERT_EQ(wires, 1u);
    riommu_reset(m);
    EXPECT_EQ(wires, 0u);
    EXPECT_EQ(rd32(RIOMMU_REG_IPSR), 0u);
}

// stats: wire_edges counts rising edges.
TEST_F(ModelTest, Intr_Wsi_WireEdgesCounted) {
    Create();
    wr32(RIOMMU_REG_FCTL, RIOMMU_FCTL_WSI);
    enable_fq(5, RIOMMU_FQCSR_FIE);
    xlate(3, 0x1000);
    wr32(RIOMMU_REG_IPSR, RIOMMU_IPSR_FIP);
    xlate(3, 0x1000);
    EXPECT_EQ(stats().wire_edges, 2u);
    EXPECT_EQ(wire_log.size(), 3u);
}

// ===========================================================================
// Message-signalled interrupts (regs ipsr "When fctl.WSI is 0 ... an
// interrupt message is generated when an interrupt-pending bit transitions
// from 0 to 1. The address and data ... from the msi_cfg_tbl entry selected
// by the icvec field")
// ===========================================================================

// regs ipsr (MSI): exactly one message per 0->1 edge, from the icvec vector.
TEST_F(ModelTest, Intr_Msi_OneMessagePerEdgeFromIcvecEntry) {
    Create();
    wr64(RIOMMU_REG_ICVEC, icvec(2, 0, 0, 0));
    msi_entry(m, 0, kMsiAddr0, 0x10);
    msi_entry(m, 2, 0x0000000FEE002000ull, 0x22);
    enable_cq(5, RIOMMU_CQCSR_CIE);
    submit({0, 0});
    settle();
    ASSERT_EQ(msis.size(), 1u);
    EXPECT_EQ(msis[0].addr, 0x0000000FEE002000ull);
    EXPECT_EQ(msis[0].data, 0x22u);
    riommu_step(m, 1000);
    settle();
    EXPECT_EQ(msis.size(), 1u); // level stays, no new edge
    EXPECT_TRUE(wire_log.empty());
    EXPECT_EQ(stats().msis_sent, 1u);
}

// regs ipsr (MSI): W1C while the condition persists is a new 0->1 edge and
// sends a new message.
TEST_F(ModelTest, Intr_Msi_NewMessageAfterW1cWhileConditionPresent) {
    Create();
    msi_entry(m, 0, kMsiAddr0, 0x33);
    enable_cq(5, RIOMMU_CQCSR_CIE);
    submit({0, 0});
    settle();
    ASSERT_EQ(msis.size(), 1u);
    wr32(RIOMMU_REG_IPSR, RIOMMU_IPSR_CIP);
    EXPECT_EQ(msis.size(), 2u);
    EXPECT_EQ(rd32(RIOMMU_REG_IPSR), (uint32_t)RIOMMU_IPSR_CIP);
}

// regs icvec + msi_cfg_tbl: each cause uses its own vector's entry.
TEST_F(ModelTest, Intr_Msi_CausesUseTheirOwnEntries) {
    Create();
    wr64(RIOMMU_REG_ICVEC, icvec(1, 2, 3, 4));
    for (unsigned i = 0; i < 5; i++)
        msi_entry(m, i, kMsiAddr0 + 0x100 * i, 0xA0 + i);
    enable_cq(5, RIOMMU_CQCSR_CIE);
    enable_fq(5, RIOMMU_FQCSR_FIE);
    xlate(3, 0x1000);
    ASSERT_EQ(msis.size(), 1u);
    EXPECT_EQ(msis[0].addr, kMsiAddr0 + 0x200);
    EXPECT_EQ(msis[0].data, 0xA2u);
    submit({0, 0});
    settle();
    ASSERT_EQ(msis.size(), 2u);
    EXPECT_EQ(msis[1].addr, kMsiAddr0 + 0x100);
    EXPECT_EQ(msis[1].data, 0xA1u);
}

// linux §4 item 13 in MSI mode: causes sharing one vector each send their
// own message on their own edge.
TEST_F(ModelTest, Intr_Msi_SharedVectorOneMessagePerCause) {
    cfg.num_vectors = 1;
    Create();
    msi_entry(m, 0, kMsiAddr0, 0x77);
    enable_cq(5, RIOMMU_CQCSR_CIE);
    enable_fq(5, RIOMMU_FQCSR_FIE);
    submit({0, 0});
    settle();
    xlate(3, 0x1000);
    EXPECT_EQ(rd32(RIOMMU_REG_IPSR), (uint32_t)(RIOMMU_IPSR_CIP | RIOMMU_IPSR_FIP));
    ASSERT_EQ(msis.size(), 2u);
    for (auto &x : msis) {
        EXPECT_EQ(x.addr, kMsiAddr0);
        EXPECT_EQ(x.data, 0x77u);
    }
}

// regs msi_cfg_tbl vector control: "When the mask bit M is 1 ... the IOMMU is
// prohibited from sending the associated message. Pending messages for that
// vector are later generated if the corresponding mask bit is cleared".
TEST_F(ModelTest, Intr_Msi_MaskedVectorPendingSentOnUnmask) {
    Create();
    msi_entry(m, 0, kMsiAddr0, 0x44, /*masked=*/true);
    enable_cq(5, RIOMMU_CQCSR_CIE);
    submit({0, 0});
    settle();
    EXPECT_EQ(rd32(RIOMMU_REG_IPSR), (uint32_t)RIOMMU_IPSR_CIP);
    EXPECT_TRUE(msis.empty());
    wr32(RIOMMU_REG_MSI_VEC_CTL(0), 0);
    ASSERT_EQ(msis.size(), 1u);
    EXPECT_EQ(msis[0].addr, kMsiAddr0);
    EXPECT_EQ(msis[0].data, 0x44u);
    // Only one message was pending.
    wr32(RIOMMU_REG_MSI_VEC_CTL(0), 1);
    wr32(RIOMMU_REG_MSI_VEC_CTL(0), 0);
    EXPECT_EQ(msis.size(), 1u);
}

// regs msi_cfg_tbl: masking one vector does not hold back another.
TEST_F(ModelTest, Intr_Msi_MaskIsPerVector) {
    Create();
    wr64(RIOMMU_REG_ICVEC, icvec(0, 1, 0, 0));
    msi_entry(m, 0, kMsiAddr0, 0x50, /*masked=*/true);
    msi_entry(m, 1, kMsiAddr0 + 4, 0x51);
    enable_cq(5, RIOMMU_CQCSR_CIE);
    enable_fq(5, RIOMMU_FQCSR_FIE);
    submit({0, 0});
    settle();
    xlate(3, 0x1000);
    ASSERT_EQ(msis.size(), 1u);
    EXPECT_EQ(msis[0].data, 0x51u);
}

// regs ipsr (MSI mode): wires are never driven.
TEST_F(ModelTest, Intr_Msi_NoWiresInMsiMode) {
    cfg.capabilities = (cfg.capabilities & ~RIOMMU_CAP_IGS) |
                       RIOMMU_FIELD_PREP(RIOMMU_CAP_IGS, RIOMMU_IGS_MSI);
    Create();
    msi_entry(m, 0, kMsiAddr0, 0x1);
    enable_cq(5, RIOMMU_CQCSR_CIE);
    submit({0, 0});
    settle();
    EXPECT_EQ(msis.size(), 1u);
    EXPECT_EQ(wires, 0u);
    EXPECT_TRUE(wire_log.empty());
}

// regs msi_cfg_tbl: "If an access fault is detected on a MSI write using
// msi_addr_x, then the IOMMU reports a "IOMMU MSI write access fault" (cause
// 273) fault, with TTYP set to 0 and iotval set to the value of msi_addr_x".
TEST_F(ModelTest, Intr_Msi_WriteFaultRecordsCause273) {
    Create();
    msi_fault = true;
    msi_entry(m, 0, kMsiAddr0 + 0x40, 0x99);
    enable_fq(); // fie = 0: the record itself raises no further MSI
    enable_cq(5, RIOMMU_CQCSR_CIE);
    submit({0, 0});
    settle();
    auto recs = drain_faults();
    ASSERT_EQ(recs.size(), 1u);
    EXPECT_EQ(recs[0].cause, (unsigned)RIOMMU_CAUSE_MSI_WRITE_FAULT);
    EXPECT_EQ(recs[0].ttyp, 0u);
    EXPECT_EQ(recs[0].iotval, kMsiAddr0 + 0x40);
    EXPECT_EQ(recs[0].did, 0u);
    EXPECT_FALSE(recs[0].pv);
    EXPECT_EQ(stats().faults_by_cause[273], 1u);
}

// regs msi_cfg_tbl cause 273 with fie = 1: the record's fip MSI (another
// vector) also faults and is reported; the model does not recurse forever.
TEST_F(ModelTest, Intr_Msi_WriteFaultOnFipVectorAlsoReported) {
    Create();
    msi_fault = true;
    wr64(RIOMMU_REG_ICVEC, icvec(0, 1, 0, 0));
    msi_entry(m, 0, kMsiAddr0, 0x1);
    msi_entry(m, 1, kMsiAddr0 + 0x1000, 0x2);
    enable_fq(5, RIOMMU_FQCSR_FIE);
    enable_cq(5, RIOMMU_CQCSR_CIE);
    submit({0, 0});
    settle();
    auto recs = drain_faults();
    ASSERT_GE(recs.size(), 1u);
    ASSERT_LE(recs.size(), 2u);
    EXPECT_EQ(recs[0].cause, 273u);
    EXPECT_EQ(recs[0].iotval, kMsiAddr0);
    if (recs.size() == 2) {
        EXPECT_EQ(recs[1].cause, 273u);
        EXPECT_EQ(recs[1].iotval, kMsiAddr0 + 0x1000);
    }
    EXPECT_EQ(rd32(RIOMMU_REG_IPSR), (uint32_t)(RIOMMU_IPSR_CIP | RIOMMU_IPSR_FIP));
}

// regs msi_cfg_tbl + capabilities.PAS: an MSI address at or above 2^PAS is
// an access fault (cause 273).
TEST_F(ModelTest, Intr_Msi_AddressBeyondPasIsCause273) {
    cfg.capabilities = (cfg.capabilities & ~RIOMMU_CAP_PAS) |
                       RIOMMU_FIELD_PREP(RIOMMU_CAP_PAS, 40);
    Create();
    uint64_t addr = 1ull << 45;
    msi_entry(m, 0, addr, 0x5);
    enable_fq();
    enable_cq(5, RIOMMU_CQCSR_CIE);
    submit({0, 0});
    settle();
    EXPECT_TRUE(msis.empty());
    auto recs = drain_faults();
    ASSERT_EQ(recs.size(), 1u);
    EXPECT_EQ(recs[0].cause, 273u);
    EXPECT_EQ(recs[0].iotval, addr);
}

// ===========================================================================
// IOFENCE.C WSI (q "IOFENCE.C": "The WSI bit when set to 1 causes a wired-
// interrupt ... by setting cqcsr.fence_w_ip ... This bit is reserved if ...
// wired-interrupts have not been enabled (i.e., fctl.WSI == 0)")
// ===========================================================================

// q IOFENCE.C WSI with fctl.WSI = 1: fence_w_ip set on completion, cip and
// the civ wire follow; fence_w_ip is RW1C (regs cqcsr).
TEST_F(ModelTest, Intr_IofenceWsi_SetsFenceWIpWhenFctlWsi) {
    Create();
    wr32(RIOMMU_REG_FCTL, RIOMMU_FCTL_WSI);
    wr64(RIOMMU_REG_ICVEC, icvec(6, 0, 0, 0));
    enable_cq(5, RIOMMU_CQCSR_CIE);
    EXPECT_EQ(run(iofence(true, true, false, 0, 0, /*wsi=*/true)), 1u);
    EXPECT_TRUE(rd32(RIOMMU_REG_CQCSR) & RIOMMU_CQCSR_FENCE_W_IP);
    EXPECT_FALSE(rd32(RIOMMU_REG_CQCSR) & RIOMMU_CQCSR_CMD_ILL);
    EXPECT_EQ(rd32(RIOMMU_REG_IPSR), (uint32_t)RIOMMU_IPSR_CIP);
    EXPECT_EQ(wires, 1u << 6);
    wr32(RIOMMU_REG_CQCSR, RIOMMU_CQCSR_CQEN | RIOMMU_CQCSR_CIE | RIOMMU_CQCSR_FENCE_W_IP);
    EXPECT_FALSE(rd32(RIOMMU_REG_CQCSR) & RIOMMU_CQCSR_FENCE_W_IP);
    wr32(RIOMMU_REG_IPSR, RIOMMU_IPSR_CIP);
    EXPECT_EQ(wires, 0u);
}

// q IOFENCE.C WSI: fence_w_ip does not stop the queue; with cie = 0 no cip.
TEST_F(ModelTest, Intr_IofenceWsi_NoCipWithoutCieQueueContinues) {
    Create();
    wr32(RIOMMU_REG_FCTL, RIOMMU_FCTL_WSI);
    enable_cq();
    submit(iofence(true, true, false, 0, 0, true));
    submit(iotinval_vma());
    settle();
    EXPECT_EQ(rd32(RIOMMU_REG_CQH), 2u);
    EXPECT_TRUE(rd32(RIOMMU_REG_CQCSR) & RIOMMU_CQCSR_FENCE_W_IP);
    EXPECT_EQ(rd32(RIOMMU_REG_IPSR), 0u);
    EXPECT_EQ(wires, 0u);
}

// q IOFENCE.C: WSI is reserved when fctl.WSI = 0 -> illegal (cmd_ill), cqh
// stays on it, no fence_w_ip.
TEST_F(ModelTest, Intr_IofenceWsi_ReservedWhenFctlWsiZero) {
    Create();
    enable_cq(5, RIOMMU_CQCSR_CIE);
    EXPECT_EQ(run(iofence(true, true, false, 0, 0, true)), 0u);
    uint32_t csr = rd32(RIOMMU_REG_CQCSR);
    EXPECT_TRUE(csr & RIOMMU_CQCSR_CMD_ILL);
    EXPECT_FALSE(csr & RIOMMU_CQCSR_FENCE_W_IP);
    EXPECT_EQ(rd32(RIOMMU_REG_IPSR), (uint32_t)RIOMMU_IPSR_CIP);
    EXPECT_EQ(stats().commands_illegal, 1u);
}

// q IOFENCE.C: WSI = 0 never sets fence_w_ip, even with fctl.WSI = 1.
TEST_F(ModelTest, Intr_IofenceWsi_NotSetWithoutWsiBit) {
    Create();
    wr32(RIOMMU_REG_FCTL, RIOMMU_FCTL_WSI);
    enable_cq(5, RIOMMU_CQCSR_CIE);
    EXPECT_EQ(run(iofence()), 1u);
    EXPECT_FALSE(rd32(RIOMMU_REG_CQCSR) & RIOMMU_CQCSR_FENCE_W_IP);
    EXPECT_EQ(rd32(RIOMMU_REG_IPSR), 0u);
}

// ===========================================================================
// HPM (regs iocountovf .. iohpmevt, "Standard Events list") and ipsr.pmip
// ===========================================================================

// regs ipsr.pmip: "set to 1 when the OF bit in ... iohpmevt1-31 transitions
// from 0 to 1 due to a counter overflow"; regs iohpmevt OF, iocountovf.
TEST_F(ModelTest, Intr_Pmip_EventCounterOverflow) {
    Create();
    wr64(RIOMMU_REG_DDTP, RIOMMU_DDTP_MODE_BARE);
    settle();
    wr64(RIOMMU_REG_IOHPMEVT(1), evt(1));
    wr64(RIOMMU_REG_IOHPMCTR(1), ~0ull - 1); // two requests to wrap
    xlate(5, 0x1000);
    EXPECT_EQ(rd64(RIOMMU_REG_IOHPMCTR(1)), ~0ull);
    EXPECT_EQ(rd32(RIOMMU_REG_IPSR), 0u);
    xlate(5, 0x2000);
    EXPECT_EQ(rd64(RIOMMU_REG_IOHPMCTR(1)), 0u);
    EXPECT_TRUE(rd64(RIOMMU_REG_IOHPMEVT(1)) & RIOMMU_IOHPMEVT_OF);
    EXPECT_EQ(rd32(RIOMMU_REG_IOCOUNTOVF), 1u << 1);
    EXPECT_EQ(rd32(RIOMMU_REG_IPSR), (uint32_t)RIOMMU_IPSR_PMIP);
    xlate(5, 0x3000); // keeps counting after the wrap
    EXPECT_EQ(rd64(RIOMMU_REG_IOHPMCTR(1)), 1u);
}

// regs iohpmevt OF: "If the OF bit is already one, then no interrupt request
// is generated".
TEST_F(ModelTest, Intr_Pmip_NoInterruptWhenOfAlreadySet) {
    Create();
    wr64(RIOMMU_REG_DDTP, RIOMMU_DDTP_MODE_BARE);
    settle();
    wr64(RIOMMU_REG_IOHPMEVT(2), evt(1, RIOMMU_IOHPMEVT_OF));
    wr64(RIOMMU_REG_IOHPMCTR(2), ~0ull);
    xlate(5, 0x1000);
    EXPECT_EQ(rd64(RIOMMU_REG_IOHPMCTR(2)), 0u);
    EXPECT_EQ(rd32(RIOMMU_REG_IPSR), 0u);
}

// regs ipsr.pmip is RW1C and an event (not a level): after W1C it stays
// clear until the next overflow (software re-arms by clearing OF).
TEST_F(ModelTest, Intr_Pmip_W1cThenRearm) {
    Create();
    wr64(RIOMMU_REG_DDTP, RIOMMU_DDTP_MODE_BARE);
    settle();
    wr64(RIOMMU_REG_IOHPMEVT(1), evt(1));
    wr64(RIOMMU_REG_IOHPMCTR(1), ~0ull);
    xlate(5, 0x1000);
    ASSERT_EQ(rd32(RIOMMU_REG_IPSR), (uint32_t)RIOMMU_IPSR_PMIP);
    wr32(RIOMMU_REG_IPSR, RIOMMU_IPSR_PMIP);
    EXPECT_EQ(rd32(RIOMMU_REG_IPSR), 0u);
    wr64(RIOMMU_REG_IOHPMCTR(1), ~0ull);
    wr64(RIOMMU_REG_IOHPMEVT(1), evt(1)); // clear OF
    EXPECT_EQ(rd32(RIOMMU_REG_IOCOUNTOVF), 0u);
    xlate(5, 0x1000);
    EXPECT_EQ(rd32(RIOMMU_REG_IPSR), (uint32_t)RIOMMU_IPSR_PMIP);
}

// regs icvec.pmiv (WSI): the overflow drives the pmiv wire.
TEST_F(ModelTest, Intr_Pmip_DrivesPmivWire) {
    Create();
    wr32(RIOMMU_REG_FCTL, RIOMMU_FCTL_WSI);
    wr64(RIOMMU_REG_ICVEC, icvec(0, 1, 4, 2));
    wr64(RIOMMU_REG_DDTP, RIOMMU_DDTP_MODE_BARE);
    settle();
    wr64(RIOMMU_REG_IOHPMEVT(1), evt(1));
    wr64(RIOMMU_REG_IOHPMCTR(1), ~0ull);
    xlate(5, 0x1000);
    EXPECT_EQ(wires, 1u << 4);
    wr32(RIOMMU_REG_IPSR, RIOMMU_IPSR_PMIP);
    EXPECT_EQ(wires, 0u);
}

// regs icvec.pmiv (MSI): the overflow sends the pmiv entry's message.
TEST_F(ModelTest, Intr_Pmip_SendsPmivMsi) {
    Create();
    wr64(RIOMMU_REG_ICVEC, icvec(0, 1, 7, 2));
    msi_entry(m, 7, kMsiAddr0 + 0x70, 0x707);
    wr64(RIOMMU_REG_DDTP, RIOMMU_DDTP_MODE_BARE);
    settle();
    wr64(RIOMMU_REG_IOHPMEVT(1), evt(1));
    wr64(RIOMMU_REG_IOHPMCTR(1), ~0ull);
    xlate(5, 0x1000);
    ASSERT_EQ(msis.size(), 1u);
    EXPECT_EQ(msis[0].addr, kMsiAddr0 + 0x70);
    EXPECT_EQ(msis[0].data, 0x707u);
}

// regs iohpmcycles: "a free running clock cycle counter" - advances with
// riommu_step.
TEST_F(ModelTest, Hpm_CyclesCountWithStep) {
    Create();
    wr64(RIOMMU_REG_IOHPMCYCLES, 0);
    riommu_step(m, 100);
    EXPECT_EQ(rd64(RIOMMU_REG_IOHPMCYCLES), 100u);
    riommu_step(m, 23);
    EXPECT_EQ(rd64(RIOMMU_REG_IOHPMCYCLES), 123u);
}

// regs iohpmcycles: also counts the cycles elapsed in settle and translation.
TEST_F(ModelTest, Hpm_CyclesCountSettleAndTranslation) {
    Create();
    uint64_t t0 = riommu_now(m);
    uint64_t c0 = rd64(RIOMMU_REG_IOHPMCYCLES);
    wr64(RIOMMU_REG_DDTP, RIOMMU_DDTP_MODE_BARE);
    settle();
    xlate(1, 0x1000);
    EXPECT_EQ(rd64(RIOMMU_REG_IOHPMCYCLES) - c0, riommu_now(m) - t0);
    EXPECT_GT(riommu_now(m), t0);
}

// regs iocountinh.CY: "When set, iohpmcycles counter is inhibited".
TEST_F(ModelTest, Hpm_CyclesInhibited) {
    Create();
    wr32(RIOMMU_REG_IOCOUNTINH, 1);
    wr64(RIOMMU_REG_IOHPMCYCLES, 50);
    riommu_step(m, 100);
    EXPECT_EQ(rd64(RIOMMU_REG_IOHPMCYCLES), 50u);
    wr32(RIOMMU_REG_IOCOUNTINH, 0);
    riommu_step(m, 10);
    EXPECT_EQ(rd64(RIOMMU_REG_IOHPMCYCLES), 60u);
}

// regs iohpmcycles OF: 63-bit counter; unsigned overflow sets the sticky OF,
// raises pmip, and the counter keeps counting.
TEST_F(ModelTest, Hpm_CyclesOverflowSetsOfAndPmip) {
    Create();
    wr64(RIOMMU_REG_IOHPMCYCLES, (1ull << 63) - 10);
    riommu_step(m, 20);
    uint64_t v = rd64(RIOMMU_REG_IOHPMCYCLES);
    EXPECT_TRUE(v & RIOMMU_IOHPMCYCLES_OF);
    EXPECT_EQ(v & ~RIOMMU_IOHPMCYCLES_OF, 10u);
    EXPECT_EQ(rd32(RIOMMU_REG_IOCOUNTOVF), 1u);
    EXPECT_EQ(rd32(RIOMMU_REG_IPSR), (uint32_t)RIOMMU_IPSR_PMIP);
}

// regs iohpmcycles: no interrupt when OF is already one.
TEST_F(ModelTest, Hpm_CyclesOverflowWithOfSetNoPmip) {
    Create();
    wr64(RIOMMU_REG_IOHPMCYCLES, RIOMMU_IOHPMCYCLES_OF | ((1ull << 63) - 5));
    riommu_step(m, 10);
    EXPECT_EQ(rd64(RIOMMU_REG_IOHPMCYCLES), RIOMMU_IOHPMCYCLES_OF | 5u);
    EXPECT_EQ(rd32(RIOMMU_REG_IPSR), 0u);
}

// regs iohpmcycles, iocountinh.CY, iocountovf; riommu.h riommu_peek_reg:
// the counter is kept lazily (the register as of a past cycle plus the
// cycles since), which must not show: reads in between, 32-bit writes to
// either half while it counts (the other half keeps the live count),
// inhibiting and resuming, and an overflow reached by translations on the
// timed path (the clock advanced without riommu_step) that sets OF and
// pmip at the translation that crosses it, not at the next read.
TEST_F(ModelTest, Hpm_CyclesLiveThroughHalfWritesInhibitAndTranslations) {
    Create();
    wr64(RIOMMU_REG_DDTP, RIOMMU_DDTP_MODE_BARE);
    settle();
    wr64(RIOMMU_REG_IOHPMCYCLES, 0x0000000500000000ull);
    riommu_step(m, 7);
    EXPECT_EQ(riommu_peek_reg(m, RIOMMU_REG_IOHPMCYCLES), 0x0000000500000007ull);
    wr32(RIOMMU_REG_IOHPMCYCLES, 0x100); // low half: the high half stays 5
    riommu_step(m, 3);
    EXPECT_EQ(rd64(RIOMMU_REG_IOHPMCYCLES), 0x0000000500000103ull);
    riommu_step(m, 2);
    wr32(RIOMMU_REG_IOHPMCYCLES + 4, 9); // high half: the low half is the live 0x105
    EXPECT_EQ(rd64(RIOMMU_REG_IOHPMCYCLES), 0x0000000900000105ull);
    wr32(RIOMMU_REG_IOCOUNTINH, 1); // stops at the live count
    riommu_step(m, 50);
    EXPECT_EQ(rd64(RIOMMU_REG_IOHPMCYCLES), 0x0000000900000105ull);
    wr32(RIOMMU_REG_IOCOUNTINH, 0);
    riommu_step(m, 1);
    EXPECT_EQ(rd64(RIOMMU_REG_IOHPMCYCLES), 0x0000000900000106ull);
    // overflow on the translation path: each bare translation is 2 or
    // more cycles (xlate_lat) and moves the clock itself
    wr64(RIOMMU_REG_IOHPMCYCLES, (1ull << 63) - 5);
    uint64_t t0 = riommu_now(m);
    while (riommu_now(m) - t0 < 5) {
        EXPECT_EQ(rd32(RIOMMU_REG_IPSR) & RIOMMU_IPSR_PMIP, 0u);
        riommu_response r = xlate(1, 0x1000);
        ASSERT_EQ(r.status, RIOMMU_RSP_OK);
        ASSERT_GT(r.cycles, 0u);
    }
    EXPECT_EQ(riommu_peek_reg(m, RIOMMU_REG_IPSR) & RIOMMU_IPSR_PMIP, RIOMMU_IPSR_PMIP);
    uint64_t v = rd64(RIOMMU_REG_IOHPMCYCLES);
    EXPECT_TRUE(v & RIOMMU_IOHPMCYCLES_OF);
    EXPECT_EQ(v & ~RIOMMU_IOHPMCYCLES_OF, riommu_now(m) - t0 - 5);
    EXPECT_EQ(rd32(RIOMMU_REG_IOCOUNTOVF) & 1u, 1u);
}

// regs "Standard Events list" eventID 1: untranslated requests.
TEST_F(ModelTest, Hpm_CountsUntranslatedRequests) {
    Create();
    wr64(RIOMMU_REG_DDTP, RIOMMU_DDTP_MODE_BARE);
    settle();
    wr64(RIOMMU_REG_IOHPMEVT(4), evt(1));
    wr64(RIOMMU_REG_IOHPMEVT(5), evt(2)); // translated requests
    for (int i = 0; i < 5; i++)
        xlate(i, 0x1000 * i);
    EXPECT_EQ(rd64(RIOMMU_REG_IOHPMCTR(4)), 5u);
    EXPECT_EQ(rd64(RIOMMU_REG_IOHPMCTR(5)), 0u);
}

// regs iocountinh bit X: "counting of events in iohpmctrX is inhibited".
TEST_F(ModelTest, Hpm_EventCounterInhibited) {
    Create();
    wr64(RIOMMU_REG_DDTP, RIOMMU_DDTP_MODE_BARE);
    settle();
    wr64(RIOMMU_REG_IOHPMEVT(1), evt(1));
    wr64(RIOMMU_REG_IOHPMEVT(2), evt(1));
    wr32(RIOMMU_REG_IOCOUNTINH, 1u << 2);
    xlate(1, 0x1000);
    xlate(1, 0x2000);
    EXPECT_EQ(rd64(RIOMMU_REG_IOHPMCTR(1)), 2u);
    EXPECT_EQ(rd64(RIOMMU_REG_IOHPMCTR(2)), 0u);
}

// regs iohpmevt.eventID: "A value of 0 indicates no events are counted ...
// When eventID is changed, including to 0, the counter retains its value".
TEST_F(ModelTest, Hpm_EventIdChangeRetainsCounter) {
    Create();
    wr64(RIOMMU_REG_DDTP, RIOMMU_DDTP_MODE_BARE);
    settle();
    wr64(RIOMMU_REG_IOHPMEVT(1), evt(1));
    xlate(1, 0x1000);
    xlate(1, 0x1000);
    wr64(RIOMMU_REG_IOHPMEVT(1), evt(0));
    EXPECT_EQ(rd64(RIOMMU_REG_IOHPMCTR(1)), 2u);
    xlate(1, 0x1000);
    EXPECT_EQ(rd64(RIOMMU_REG_IOHPMCTR(1)), 2u);
    wr64(RIOMMU_REG_IOHPMEVT(1), evt(5)); // DDT walks: none in Bare
    xlate(1, 0x1000);
    EXPECT_EQ(rd64(RIOMMU_REG_IOHPMCTR(1)), 2u);
}

// regs iohpmevt filters: IDT=0, DV=1 - exact device_id match.
TEST_F(ModelTest, Hpm_FilterDeviceIdExact) {
    Create();
    wr64(RIOMMU_REG_DDTP, RIOMMU_DDTP_MODE_BARE);
    settle();
    wr64(RIOMMU_REG_IOHPMEVT(1), evt(1, RIOMMU_IOHPMEVT_DV_GSCV |
                                            RIOMMU_FIELD_PREP(RIOMMU_IOHPMEVT_DID_GSCID,
                                                              0x13)));
    const uint32_t dids[] = {0x13, 0x12, 0x17, 0x113, 0x13};
    for (uint32_t d : dids)
        xlate(d, 0x1000);
    EXPECT_EQ(rd64(RIOMMU_REG_IOHPMCTR(1)), 2u);
}

// regs iohpmevt DMASK: "The lower bits of the DID_GSCID all the way to the
// first low order 0 bit (including the 0 bit position itself) are masked" -
// DID_GSCID 0b1_0011 with DMASK matches devices 0x10..0x17 ("seg:bus:dev -
// any func").
TEST_F(ModelTest, Hpm_FilterDeviceIdDmaskPartialMatch) {
    Create();
    wr64(RIOMMU_REG_DDTP, RIOMMU_DDTP_MODE_BARE);
    settle();
    wr64(RIOMMU_REG_IOHPMEVT(1),
         evt(1, RIOMMU_IOHPMEVT_DV_GSCV | RIOMMU_IOHPMEVT_DMASK |
                    RIOMMU_FIELD_PREP(RIOMMU_IOHPMEVT_DID_GSCID, 0x13)));
    const uint32_t in[] = {0x10, 0x13, 0x14, 0x17};
    const uint32_t out[] = {0x0F, 0x18, 0x33, 0x113, 0x08};
    for (uint32_t d : in)
        xlate(d, 0x1000);
    for (uint32_t d : out)
        xlate(d, 0x1000);
    EXPECT_EQ(rd64(RIOMMU_REG_IOHPMCTR(1)), 4u);
}

// regs iohpmevt DMASK "seg:bus - any dev:func": DID_GSCID yy..y_0111_1111.
TEST_F(ModelTest, Hpm_FilterDeviceIdDmaskBusWide) {
    Create();
    wr64(RIOMMU_REG_DDTP, RIOMMU_DDTP_MODE_BARE);
    settle();
    wr64(RIOMMU_REG_IOHPMEVT(1),
         evt(1, RIOMMU_IOHPMEVT_DV_GSCV | RIOMMU_IOHPMEVT_DMASK |
                    RIOMMU_FIELD_PREP(RIOMMU_IOHPMEVT_DID_GSCID, 0x057F)));
    xlate(0x0500, 0x1000);
    xlate(0x05FF, 0x1000);
    xlate(0x0480, 0x1000);
    xlate(0x0600, 0x1000);
    EXPECT_EQ(rd64(RIOMMU_REG_IOHPMCTR(1)), 2u);
}

// regs iohpmevt filters: IDT=0, PV=1 - "If the transaction has a valid
// process_id, counter increments if process_id matches"; PV_PSCV "only
// transactions with matching process_id ... are counted".
TEST_F(ModelTest, Hpm_FilterProcessId) {
    Create();
    wr64(RIOMMU_REG_DDTP, RIOMMU_DDTP_MODE_BARE);
    settle();
    wr64(RIOMMU_REG_IOHPMEVT(1), evt(1, RIOMMU_IOHPMEVT_PV_PSCV |
                                            RIOMMU_FIELD_PREP(RIOMMU_IOHPMEVT_PID_PSCID, 5)));
    xlate(1, 0x1000, RIOMMU_READ, RIOMMU_REQ_UNTRANSLATED, true, 5);
    xlate(2, 0x1000, RIOMMU_READ, RIOMMU_REQ_UNTRANSLATED, true, 5);
    xlate(1, 0x1000, RIOMMU_READ, RIOMMU_REQ_UNTRANSLATED, true, 6);
    xlate(1, 0x1000); // no process_id
    EXPECT_EQ(rd64(RIOMMU_REG_IOHPMCTR(1)), 2u);
}

// regs iohpmevt filters: IDT=0, DV=1 and PV=1 - both must match.
TEST_F(ModelTest, Hpm_FilterDeviceAndProcessId) {
    Create();
    wr64(RIOMMU_REG_DDTP, RIOMMU_DDTP_MODE_BARE);
    settle();
    wr64(RIOMMU_REG_IOHPMEVT(1),
         evt(1, RIOMMU_IOHPMEVT_PV_PSCV | RIOMMU_IOHPMEVT_DV_GSCV |
                    RIOMMU_FIELD_PREP(RIOMMU_IOHPMEVT_PID_PSCID, 5) |
                    RIOMMU_FIELD_PREP(RIOMMU_IOHPMEVT_DID_GSCID, 9)));
    xlate(9, 0x1000, RIOMMU_READ, RIOMMU_REQ_UNTRANSLATED, true, 5);
    xlate(8, 0x1000, RIOMMU_READ, RIOMMU_REQ_UNTRANSLATED, true, 5);
    xlate(9, 0x1000, RIOMMU_READ, RIOMMU_REQ_UNTRANSLATED, true, 4);
    xlate(9, 0x1000);
    EXPECT_EQ(rd64(RIOMMU_REG_IOHPMCTR(1)), 1u);
}

// regs "Standard Events list": eventID 1 supports IDT 0 only - "When the
// programmed IDT setting is not supported for an event then the associated
// counter does not increment".
TEST_F(ModelTest, Hpm_UnsupportedIdtDoesNotCount) {
    Create();
    wr64(RIOMMU_REG_DDTP, RIOMMU_DDTP_MODE_BARE);
    settle();
    wr64(RIOMMU_REG_IOHPMEVT(1), evt(1, RIOMMU_IOHPMEVT_IDT));
    xlate(1, 0x1000);
    EXPECT_EQ(rd64(RIOMMU_REG_IOHPMCTR(1)), 0u);
}

// regs iohpmctr (32-bit implementation): unsigned overflow at 2^32.
TEST_F(ModelTest, Hpm_NarrowCounterWrapsAtItsWidth) {
    cfg.hpm_counter_bits = 32;
    Create();
    wr64(RIOMMU_REG_DDTP, RIOMMU_DDTP_MODE_BARE);
    settle();
    wr64(RIOMMU_REG_IOHPMEVT(1), evt(1));
    wr64(RIOMMU_REG_IOHPMCTR(1), 0xFFFFFFFFull);
    xlate(1, 0x1000);
    EXPECT_EQ(rd64(RIOMMU_REG_IOHPMCTR(1)), 0u);
    EXPECT_TRUE(rd64(RIOMMU_REG_IOHPMEVT(1)) & RIOMMU_IOHPMEVT_OF);
    EXPECT_EQ(rd32(RIOMMU_REG_IPSR), (uint32_t)RIOMMU_IPSR_PMIP);
}

// regs "Standard Events list": 4 TLB miss, 5 DDT walks, 7 first-stage walks
// for a first-stage translation (second request hits the IOTLB and DDTC).
TEST_F(ModelTest, Hpm_TlbMissDdtWalkAndS1WalkEvents) {
    Create();
    setup_ddt(RIOMMU_DDTP_MODE_1LVL);
    uint64_t root = new_root();
    map(root, 8, 0x10000, 0x90000000, RWUAD);
    attach_s1(4, root, 8, 7);
    wr64(RIOMMU_REG_IOHPMEVT(1), evt(1));
    wr64(RIOMMU_REG_IOHPMEVT(2), evt(4));
    wr64(RIOMMU_REG_IOHPMEVT(3), evt(5));
    wr64(RIOMMU_REG_IOHPMEVT(4), evt(7));
    wr64(RIOMMU_REG_IOHPMEVT(5), evt(6)); // PDT walks: none
    expect_ok(4, 0x10010, RIOMMU_READ, 0x90000010);
    expect_ok(4, 0x10020, RIOMMU_READ, 0x90000020);
    EXPECT_EQ(rd64(RIOMMU_REG_IOHPMCTR(1)), 2u);
    EXPECT_EQ(rd64(RIOMMU_REG_IOHPMCTR(2)), 1u);
    EXPECT_EQ(rd64(RIOMMU_REG_IOHPMCTR(3)), 1u);
    EXPECT_EQ(rd64(RIOMMU_REG_IOHPMCTR(4)), 1u);
    EXPECT_EQ(rd64(RIOMMU_REG_IOHPMCTR(5)), 0u);
}

// regs iohpmevt IDT=1, PV_PSCV=1 with event 4 (IDT 0/1): "If the transaction
// has a valid PSCID, counter increments if the PSCID ... matches".
TEST_F(ModelTest, Hpm_TlbMissFilteredByPscid) {
    Create();
    setup_ddt(RIOMMU_DDTP_MODE_1LVL);
    uint64_t ra = new_root(), rb = new_root();
    map(ra, 8, 0x10000, 0x90000000, RWUAD);
    map(rb, 8, 0x10000, 0x91000000, RWUAD);
    attach_s1(1, ra, 8, 7);
    attach_s1(2, rb, 8, 8);
    wr64(RIOMMU_REG_IOHPMEVT(1),
         evt(4, RIOMMU_IOHPMEVT_IDT | RIOMMU_IOHPMEVT_PV_PSCV |
                    RIOMMU_FIELD_PREP(RIOMMU_IOHPMEVT_PID_PSCID, 7)));
    expect_ok(1, 0x10000, RIOMMU_READ, 0x90000000);
    expect_ok(2, 0x10000, RIOMMU_READ, 0x91000000);
    EXPECT_EQ(rd64(RIOMMU_REG_IOHPMCTR(1)), 1u);
}

// ===========================================================================
// Debug translation interface (dbg "Debug support"; regs tr_req_iova,
// tr_req_ctl, tr_response)
// ===========================================================================

// dbg: "The Go/Busy bit is a read-write-1-to-set (RW1S) bit that once set
// cannot be cleared by writing the register"; it clears when the process
// completes (after settle), and tr_response is then valid.
TEST_F(ModelTest, Dbg_GoBusyRw1sClearedOnCompletion) {
    Create();
    wr64(RIOMMU_REG_DDTP, RIOMMU_DDTP_MODE_BARE);
    settle();
    wr64(RIOMMU_REG_TR_REQ_IOVA, 0x12345000);
    wr64(RIOMMU_REG_TR_REQ_CTL, tr_ctl(1));
    EXPECT_TRUE(rd64(RIOMMU_REG_TR_REQ_CTL) & RIOMMU_TR_REQ_CTL_GO_BUSY);
    EXPECT_FALSE(riommu_idle(m));
    wr64(RIOMMU_REG_TR_REQ_CTL, 0);
    EXPECT_TRUE(rd64(RIOMMU_REG_TR_REQ_CTL) & RIOMMU_TR_REQ_CTL_GO_BUSY);
    settle();
    EXPECT_FALSE(rd64(RIOMMU_REG_TR_REQ_CTL) & RIOMMU_TR_REQ_CTL_GO_BUSY);
    uint64_t r = rd64(RIOMMU_REG_TR_RESPONSE);
    EXPECT_EQ(r & RIOMMU_TR_RESPONSE_FAULT, 0u);
    EXPECT_EQ(RIOMMU_FIELD_GET(r, RIOMMU_TR_RESPONSE_PPN), 0x12345u);
    EXPECT_TRUE(riommu_idle(m));
}

// dbg: Go/Busy is cleared by riommu_step once the translation latency has
// elapsed (finite completion time).
TEST_F(ModelTest, Dbg_GoBusyClearsWithStep) {
    Create();
    wr64(RIOMMU_REG_DDTP, RIOMMU_DDTP_MODE_BARE);
    settle();
    wr64(RIOMMU_REG_TR_REQ_IOVA, 0x5000);
    wr64(RIOMMU_REG_TR_REQ_CTL, tr_ctl(1));
    riommu_step(m, 1000);
    EXPECT_FALSE(rd64(RIOMMU_REG_TR_REQ_CTL) & RIOMMU_TR_REQ_CTL_GO_BUSY);
}

// dbg: modifying tr_req_ctl while Go/Busy is 1 is UNSPECIFIED - ignored;
// the request completes with the original inputs.
TEST_F(ModelTest, Dbg_CtlWritesWhileBusyIgnored) {
    Create();
    wr64(RIOMMU_REG_DDTP, RIOMMU_DDTP_MODE_BARE);
    settle();
    wr64(RIOMMU_REG_TR_REQ_IOVA, 0x7000);
    uint64_t ctl = tr_ctl(0x42);
    wr64(RIOMMU_REG_TR_REQ_CTL, ctl);
    wr64(RIOMMU_REG_TR_REQ_CTL, tr_ctl(0x99, false));
    EXPECT_EQ(rd64(RIOMMU_REG_TR_REQ_CTL), ctl);
    settle();
    EXPECT_EQ(rd64(RIOMMU_REG_TR_REQ_CTL), ctl & ~RIOMMU_TR_REQ_CTL_GO_BUSY);
    EXPECT_EQ(RIOMMU_FIELD_GET(rd64(RIOMMU_REG_TR_RESPONSE), RIOMMU_TR_RESPONSE_PPN), 0x7u);
}

// dbg + regs tr_response: a 4 KiB first-stage translation - PPN of the page,
// S = 0.
TEST_F(ModelTest, Dbg_FirstStage4KiBPage) {
    Create();
    setup_ddt(RIOMMU_DDTP_MODE_1LVL);
    uint64_t root = new_root();
    map(root, 8, 0x10000, 0x90005000, RWUAD);
    attach_s1(3, root, 8, 1);
    wr64(RIOMMU_REG_TR_REQ_IOVA, 0x10000);
    wr64(RIOMMU_REG_TR_REQ_CTL, tr_ctl(3));
    settle();
    uint64_t r = rd64(RIOMMU_REG_TR_RESPONSE);
    EXPECT_EQ(r & RIOMMU_TR_RESPONSE_FAULT, 0u);
    EXPECT_EQ(r & RIOMMU_TR_RESPONSE_S, 0u);
    EXPECT_EQ(RIOMMU_FIELD_GET(r, RIOMMU_TR_RESPONSE_PPN), 0x90005u);
}

// regs tr_response S: 2 MiB superpage - "yyyy....yyy0 1111 1111".
TEST_F(ModelTest, Dbg_Superpage2MiBSEncoding) {
    Create();
    setup_ddt(RIOMMU_DDTP_MODE_1LVL);
    uint64_t root = new_root();
    map(root, 8, 0x40200000, 0x80400000, RWUAD, 1);
    attach_s1(3, root, 8, 1);
    wr64(RIOMMU_REG_TR_REQ_IOVA, 0x40200000 + 0x5000);
    wr64(RIOMMU_REG_TR_REQ_CTL, tr_ctl(3));
    settle();
    uint64_t r = rd64(RIOMMU_REG_TR_RESPONSE);
    EXPECT_EQ(r & RIOMMU_TR_RESPONSE_FAULT, 0u);
    EXPECT_TRUE(r & RIOMMU_TR_RESPONSE_S);
    EXPECT_EQ(RIOMMU_FIELD_GET(r, RIOMMU_TR_RESPONSE_PPN), (0x80400000ull >> 12) | 0xFFu);
}

// regs tr_response S: 1 GiB superpage - first 0 at bit 17 (2^18 pages).
TEST_F(ModelTest, Dbg_Superpage1GiBSEncoding) {
    Create();
    setup_ddt(RIOMMU_DDTP_MODE_1LVL);
    uint64_t root = new_root();
    map(root, 8, 0x40000000, 0xC0000000, RWUAD, 2);
    attach_s1(3, root, 8, 1);
    wr64(RIOMMU_REG_TR_REQ_IOVA, 0x40000000 + 0x12345000);
    wr64(RIOMMU_REG_TR_REQ_CTL, tr_ctl(3));
    settle();
    uint64_t r = rd64(RIOMMU_REG_TR_RESPONSE);
    EXPECT_TRUE(r & RIOMMU_TR_RESPONSE_S);
    uint64_t ppn = RIOMMU_FIELD_GET(r, RIOMMU_TR_RESPONSE_PPN);
    EXPECT_EQ(ppn, (0xC0000000ull >> 12) | 0x1FFFFu);
    // Decode as software would: first 0 bit at X -> 2^(X+1) * 4 KiB.
    unsigned x = 0;
    while ((ppn >> x) & 1)
        x++;
    EXPECT_EQ((1ull << (x + 1)) * 4096, 1ull << 30);
}

// regs tr_response PBMT: memory type of the translation (Svpbmt).
TEST_F(ModelTest, Dbg_PbmtReported) {
    Create();
    setup_ddt(RIOMMU_DDTP_MODE_1LVL);
    uint64_t root = new_root();
    map(root, 8, 0x10000, 0x90000000,
        RWUAD | RIOMMU_FIELD_PREP(RIOMMU_PTE_PBMT, RIOMMU_PBMT_IO));
    attach_s1(3, root, 8, 1);
    wr64(RIOMMU_REG_TR_REQ_IOVA, 0x10000);
    wr64(RIOMMU_REG_TR_REQ_CTL, tr_ctl(3));
    settle();
    uint64_t r = rd64(RIOMMU_REG_TR_RESPONSE);
    EXPECT_EQ(r & RIOMMU_TR_RESPONSE_FAULT, 0u);
    EXPECT_EQ(RIOMMU_FIELD_GET(r, RIOMMU_TR_RESPONSE_PBMT), (uint64_t)RIOMMU_PBMT_IO);
}

// dbg: "If the process stops due to faults then the faults are reported
// normally in the fault-queue and the translation-response registers updated
// with a failure indicator" - ddtp Off gives cause 256.
TEST_F(ModelTest, Dbg_FaultSetsFaultBitAndRecords) {
    Create();
    enable_fq();
    wr64(RIOMMU_REG_TR_REQ_IOVA, 0x3000);
    wr64(RIOMMU_REG_TR_REQ_CTL, tr_ctl(0x21));
    settle();
    EXPECT_FALSE(rd64(RIOMMU_REG_TR_REQ_CTL) & RIOMMU_TR_REQ_CTL_GO_BUSY);
    EXPECT_TRUE(rd64(RIOMMU_REG_TR_RESPONSE) & RIOMMU_TR_RESPONSE_FAULT);
    auto recs = drain_faults();
    ASSERT_EQ(recs.size(), 1u);
    EXPECT_EQ(recs[0].cause, (unsigned)RIOMMU_CAUSE_ALL_INBOUND_DISALLOWED);
    EXPECT_EQ(recs[0].did, 0x21u);
    EXPECT_EQ(recs[0].iotval, 0x3000u);
}

// regs tr_req_ctl NW: "If set to 1, read permission is requested. If set to
// 0, both read and write permissions are requested" - a read-only page.
TEST_F(ModelTest, Dbg_NwSelectsReadOrReadWrite) {
    Create();
    enable_fq();
    setup_ddt(RIOMMU_DDTP_MODE_1LVL);
    uint64_t root = new_root();
    map(root, 8, 0x10000, 0x90000000, V | R | U | A);
    attach_s1(3, root, 8, 1);
    wr64(RIOMMU_REG_TR_REQ_IOVA, 0x10000);
    wr64(RIOMMU_REG_TR_REQ_CTL, tr_ctl(3, /*nw=*/true));
    settle();
    EXPECT_EQ(rd64(RIOMMU_REG_TR_RESPONSE) & RIOMMU_TR_RESPONSE_FAULT, 0u);
    wr64(RIOMMU_REG_TR_REQ_CTL, tr_ctl(3, /*nw=*/false));
    settle();
    EXPECT_TRUE(rd64(RIOMMU_REG_TR_RESPONSE) & RIOMMU_TR_RESPONSE_FAULT);
    auto recs = drain_faults();
    ASSERT_EQ(recs.size(), 1u);
    EXPECT_EQ(recs[0].cause, (unsigned)RIOMMU_CAUSE_WRITE_PAGE_FAULT);
}

// regs tr_req_ctl Exe (with NW=1): execute permission requested.
TEST_F(ModelTest, Dbg_ExeRequestsExecute) {
    Create();
    enable_fq();
    setup_ddt(RIOMMU_DDTP_MODE_1LVL);
    uint64_t root = new_root();
    map(root, 8, 0x10000, 0x90000000, V | R | U | A);
    map(root, 8, 0x20000, 0x90001000, V | R | X | U | A);
    attach_s1(3, root, 8, 1);
    wr64(RIOMMU_REG_TR_REQ_IOVA, 0x20000);
    wr64(RIOMMU_REG_TR_REQ_CTL, tr_ctl(3, true, true));
    settle();
    EXPECT_EQ(rd64(RIOMMU_REG_TR_RESPONSE) & RIOMMU_TR_RESPONSE_FAULT, 0u);
    wr64(RIOMMU_REG_TR_REQ_IOVA, 0x10000);
    wr64(RIOMMU_REG_TR_REQ_CTL, tr_ctl(3, true, true));
    settle();
    EXPECT_TRUE(rd64(RIOMMU_REG_TR_RESPONSE) & RIOMMU_TR_RESPONSE_FAULT);
    auto recs = drain_faults();
    ASSERT_EQ(recs.size(), 1u);
    EXPECT_EQ(recs[0].cause, (unsigned)RIOMMU_CAUSE_INST_PAGE_FAULT);
}

// dbg: "For the purpose of counting in the HPM, these requests are treated
// as Untranslated Requests".
TEST_F(ModelTest, Dbg_CountedAsUntranslatedInHpm) {
    Create();
    wr64(RIOMMU_REG_DDTP, RIOMMU_DDTP_MODE_BARE);
    settle();
    wr64(RIOMMU_REG_IOHPMEVT(1), evt(1));
    wr64(RIOMMU_REG_TR_REQ_IOVA, 0x1000);
    wr64(RIOMMU_REG_TR_REQ_CTL, tr_ctl(1));
    settle();
    EXPECT_EQ(rd64(RIOMMU_REG_IOHPMCTR(1)), 1u);
}

// ===========================================================================
// MSI through host->mem_write (host ops without an `msi` hook) and fctl.BE
// ===========================================================================

namespace {
// A minimal host without an msi hook: every write is logged.
struct BareHost {
    std::vector<Memory::Write> writes;
    bool fault = false;
    static riommu_mem_status rd(void *, uint64_t, void *buf, size_t len, riommu_access_kind) {
        std::memset(buf, 0, len);
        return RIOMMU_MEM_OK;
    }
    static riommu_mem_status wr(void *c, uint64_t pa, const void *buf, size_t len,
                                riommu_access_kind k) {
        auto *h = static_cast<BareHost *>(c);
        if (h->fault && k == RIOMMU_ACC_IOMMU_MSI)
            return RIOMMU_MEM_ACCESS_FAULT;
        auto *b = static_cast<const uint8_t *>(buf);
        h->writes.push_back({pa, std::vector<uint8_t>(b, b + len), k});
        return RIOMMU_MEM_OK;
    }
    riommu *create(const riommu_config &c) {
        riommu_host_ops ops{};
        ops.ctx = this;
        ops.mem_read = rd;
        ops.mem_write = wr;
        char err[256];
        return riommu_create(&c, &ops, err, sizeof err);
    }
};

// Raise ipsr.pmip (vector 0 with icvec 0) through an HPM overflow in Bare mode.
void raise_pmip(riommu *m) {
    mmio_w(m, RIOMMU_REG_DDTP, 8, RIOMMU_DDTP_MODE_BARE);
    riommu_settle(m);
    mmio_w(m, RIOMMU_REG_IOHPMEVT(1), 8, evt(1));
    mmio_w(m, RIOMMU_REG_IOHPMCTR(1), 8, ~0ull);
    riommu_request req{};
    req.device_id = 1;
    req.iova = 0x1000;
    req.len = 4;
    riommu_response rsp{};
    riommu_translate(m, &req, &rsp);
}
} // namespace

// riommu.h host ops "msi ... when NULL the model uses mem_write with
// RIOMMU_ACC_IOMMU_MSI"; regs fctl.BE = 0: little-endian data bytes.
TEST_F(ModelTest, Intr_Msi_FallbackMemWriteLittleEndian) {
    BareHost h;
    m = h.create(cfg);
    ASSERT_NE(m, nullptr);
    msi_entry(m, 0, kMsiAddr0 + 8, 0x11223344u);
    raise_pmip(m);
    ASSERT_EQ(h.writes.size(), 1u);
    EXPECT_EQ(h.writes[0].pa, kMsiAddr0 + 8);
    EXPECT_EQ(h.writes[0].kind, RIOMMU_ACC_IOMMU_MSI);
    EXPECT_EQ(h.writes[0].bytes, (std::vector<uint8_t>{0x44, 0x33, 0x22, 0x11}));
}

// regs fctl.BE: "accesses made by the IOMMU ... for MSI generation ... when 1
// as big-endian accesses" - the MSI data is stored big-endian.
TEST_F(ModelTest, Intr_Msi_FallbackMemWriteHonoursFctlBe) {
    cfg.fctl_reset = RIOMMU_FCTL_BE;
    BareHost h;
    m = h.create(cfg);
    ASSERT_NE(m, nullptr);
    ASSERT_EQ(rd32(RIOMMU_REG_FCTL) & RIOMMU_FCTL_BE, (uint32_t)RIOMMU_FCTL_BE);
    msi_entry(m, 0, kMsiAddr0, 0x11223344u);
    raise_pmip(m);
    ASSERT_EQ(h.writes.size(), 1u);
    EXPECT_EQ(h.writes[0].bytes, (std::vector<uint8_t>{0x11, 0x22, 0x33, 0x44}));
}

// regs msi_cfg_tbl cause 273 through the mem_write path: the faulting MSI
// write is reported in the fault queue (records use fctl.BE = 0 here).
TEST_F(ModelTest, Intr_Msi_FallbackWriteFaultIsCause273) {
    BareHost h;
    h.fault = true;
    m = h.create(cfg);
    ASSERT_NE(m, nullptr);
    uint64_t fq = 0x80000000ull;
    mmio_w(m, RIOMMU_REG_FQB, 8, RIOMMU_FIELD_PREP(RIOMMU_QB_PPN, fq >> 12) | 3);
    mmio_w(m, RIOMMU_REG_FQCSR, 4, RIOMMU_FQCSR_FQEN);
    riommu_settle(m);
    msi_entry(m, 0, kMsiAddr0 + 0x20, 0x5);
    raise_pmip(m);
    ASSERT_EQ(h.writes.size(), 1u);
    EXPECT_EQ(h.writes[0].kind, RIOMMU_ACC_FQ);
    EXPECT_EQ(h.writes[0].pa, fq);
    uint64_t hdr = 0, iotval = 0;
    std::memcpy(&hdr, h.writes[0].bytes.data(), 8);
    std::memcpy(&iotval, h.writes[0].bytes.data() + 16, 8);
    EXPECT_EQ(RIOMMU_FIELD_GET(hdr, RIOMMU_FQ_HDR_CAUSE), 273u);
    EXPECT_EQ(RIOMMU_FIELD_GET(hdr, RIOMMU_FQ_HDR_TTYP), 0u);
    EXPECT_EQ(iotval, kMsiAddr0 + 0x20);
}

// ===========================================================================
// More HPM / WSI / debug cases
// ===========================================================================

// regs ipsr.pmip: set only when OF transitions 0->1 "due to a counter
// overflow" - a software write of OF does not raise it.
TEST_F(ModelTest, Hpm_SoftwareOfWriteDoesNotRaisePmip) {
    Create();
    wr64(RIOMMU_REG_IOHPMEVT(1), evt(1, RIOMMU_IOHPMEVT_OF));
    wr64(RIOMMU_REG_IOHPMCYCLES, RIOMMU_IOHPMCYCLES_OF);
    EXPECT_EQ(rd32(RIOMMU_REG_IOCOUNTOVF), 3u);
    EXPECT_EQ(rd32(RIOMMU_REG_IPSR), 0u);
}

// regs ipsr "When fctl.WSI is 1, the interrupt-pending bit drives the wire":
// switching fctl.WSI (allowed: ddtp Off, queues off) moves a pending pmip
// between wire and message signalling; no message without a new edge.
TEST_F(ModelTest, Intr_Wsi_FctlWsiSwitchFollowsPendingBit) {
    Create();
    wr32(RIOMMU_REG_FCTL, RIOMMU_FCTL_WSI);
    msi_entry(m, 0, kMsiAddr0, 0x1);
    wr64(RIOMMU_REG_IOHPMCYCLES, (1ull << 63) - 1);
    riommu_step(m, 1);
    ASSERT_EQ(rd32(RIOMMU_REG_IPSR), (uint32_t)RIOMMU_IPSR_PMIP);
    EXPECT_EQ(wires, 1u);
    wr32(RIOMMU_REG_FCTL, 0);
    EXPECT_EQ(wires, 0u);
    EXPECT_TRUE(msis.empty());
    wr32(RIOMMU_REG_FCTL, RIOMMU_FCTL_WSI);
    EXPECT_EQ(wires, 1u);
}

// regs tr_req_ctl (RV32 note): "the high half of the register should be
// written first, followed by the low half, which includes the Go/Busy bit".
TEST_F(ModelTest, Dbg_Rv32HalvesHighThenLowStartsRequest) {
    Create();
    enable_fq();
    wr32(RIOMMU_REG_TR_REQ_IOVA + 4, 0);
    wr32(RIOMMU_REG_TR_REQ_IOVA, 0x9000);
    uint64_t ctl = tr_ctl(0xABCDE);
    wr32(RIOMMU_REG_TR_REQ_CTL + 4, (uint32_t)(ctl >> 32));
    EXPECT_FALSE(rd64(RIOMMU_REG_TR_REQ_CTL) & RIOMMU_TR_REQ_CTL_GO_BUSY);
    EXPECT_TRUE(riommu_idle(m));
    wr32(RIOMMU_REG_TR_REQ_CTL, (uint32_t)ctl);
    EXPECT_TRUE(rd64(RIOMMU_REG_TR_REQ_CTL) & RIOMMU_TR_REQ_CTL_GO_BUSY);
    settle();
    EXPECT_TRUE(rd64(RIOMMU_REG_TR_RESPONSE) & RIOMMU_TR_RESPONSE_FAULT); // ddtp Off
    auto recs = drain_faults();
    ASSERT_EQ(recs.size(), 1u);
    EXPECT_EQ(recs[0].did, 0xABCDEu);
    EXPECT_EQ(recs[0].iotval, 0x9000u);
}

// regs tr_response S: 64 KiB (Svnapot) - "yyyy....yyyy yyyy 0111".
TEST_F(ModelTest, Dbg_Napot64KiBSEncoding) {
    Create();
    setup_ddt(RIOMMU_DDTP_MODE_1LVL);
    uint64_t root = new_root();
    // NAPOT leaf for 0x90010000..0x9001FFFF: ppn[3:0] = 1000, N = 1.
    map(root, 8, 0x30000 + 0x3000, 0x90018000, RWUAD | RIOMMU_PTE_N);
    attach_s1(3, root, 8, 1);
    wr64(RIOMMU_REG_TR_REQ_IOVA, 0x30000 + 0x3000);
    wr64(RIOMMU_REG_TR_REQ_CTL, tr_ctl(3));
    settle();
    uint64_t r = rd64(RIOMMU_REG_TR_RESPONSE);
    ASSERT_EQ(r & RIOMMU_TR_RESPONSE_FAULT, 0u);
    EXPECT_TRUE(r & RIOMMU_TR_RESPONSE_S);
    EXPECT_EQ(RIOMMU_FIELD_GET(r, RIOMMU_TR_RESPONSE_PPN), 0x90017u);
}

// regs ipsr: "once set to 1 stays 1 till software clears that interrupt-
// pending bit" - clearing cqcsr.cie does not clear cip (nor the wire).
TEST_F(ModelTest, Intr_Ipsr_CipStickyAfterCieCleared) {
    Create();
    wr32(RIOMMU_REG_FCTL, RIOMMU_FCTL_WSI);
    enable_cq(5, RIOMMU_CQCSR_CIE);
    submit({0, 0});
    settle();
    wr32(RIOMMU_REG_CQCSR, RIOMMU_CQCSR_CQEN); // cie 0, cmd_ill written 0
    EXPECT_EQ(rd32(RIOMMU_REG_IPSR), (uint32_t)RIOMMU_IPSR_CIP);
    EXPECT_EQ(wires, 1u);
    wr32(RIOMMU_REG_IPSR, RIOMMU_IPSR_CIP); // condition gone (cie = 0)
    EXPECT_EQ(rd32(RIOMMU_REG_IPSR), 0u);
    EXPECT_EQ(wires, 0u);
}

// regs ipsr (MSI edge semantics): further records while fip is still
// pending produce no further message.
TEST_F(ModelTest, Intr_Msi_NoSecondMessageWhileFipPending) {
    Create();
    wr64(RIOMMU_REG_ICVEC, icvec(0, 3, 0, 0));
    msi_entry(m, 3, kMsiAddr0 + 0x30, 0x3);
    enable_fq(5, RIOMMU_FQCSR_FIE);
    xlate(3, 0x1000);
    xlate(3, 0x2000);
    xlate(3, 0x3000);
    EXPECT_EQ(rd32(RIOMMU_REG_FQT), 3u);
    EXPECT_EQ(msis.size(), 1u);
    wr32(RIOMMU_REG_IPSR, RIOMMU_IPSR_FIP);
    xlate(3, 0x4000);
    EXPECT_EQ(msis.size(), 2u);
}

// riommu.h observer "interrupt: ipsr bit `cause` went 0->1; vector from
// icvec" - one call per edge (regs ipsr, icvec).
TEST_F(ModelTest, Intr_Observer_InterruptHookPerEdge) {
    Create();
    std::vector<std::pair<unsigned, unsigned>> seen;
    riommu_observer obs{};
    obs.ctx = &seen;
    obs.interrupt = [](void *c, unsigned cause, unsigned vector) {
        static_cast<std::vector<std::pair<unsigned, unsigned>> *>(c)->push_back({cause, vector});
    };
    riommu_set_observer(m, &obs);
    wr64(RIOMMU_REG_ICVEC, icvec(2, 5, 0, 0));
    enable_cq(5, RIOMMU_CQCSR_CIE);
    enable_fq(5, RIOMMU_FQCSR_FIE);
    xlate(3, 0x1000);
    xlate(3, 0x2000);
    submit({0, 0});
    settle();
    ASSERT_EQ(seen.size(), 2u);
    EXPECT_EQ(seen[0], std::make_pair((unsigned)RIOMMU_INTR_FQ, 5u));
    EXPECT_EQ(seen[1], std::make_pair((unsigned)RIOMMU_INTR_CQ, 2u));
    riommu_set_observer(m, nullptr);
}
