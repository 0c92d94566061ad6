// test_regs.cpp - the memory-mapped register interface (spec chapter
// "Memory-mapped register interface", iommu_registers.adoc, cited as
// "regs <register>") and the Linux driver's use of it (linux-driver.md
// §1.2-1.4 and §4, cited as "linux §x"). Every register at its offset with
// its reset value and access type for the configured capabilities, the WARL
// legalisation of ddtp / queue bases / icvec, and the MMIO access rules.
//
// Interrupt delivery, HPM counting and the debug interface are exercised in
// test_intr.cpp.
#include "fixture.h"

using namespace rt;

namespace {

constexpr uint64_t kAll = ~0ull;

// Raw MMIO helpers on the public API (usable from any TEST_F body).
riommu_mmio_status raw_wr(riommu *m, uint32_t off, unsigned size, uint64_t v) {
    return riommu_mmio_write(m, off, size, v);
}
riommu_mmio_status raw_rd(riommu *m, uint32_t off, unsigned size, uint64_t *v) {
    return riommu_mmio_read(m, off, size, v);
}

// ddtp value with a PPN and a mode.
uint64_t ddtp_val(uint64_t ppn, unsigned mode) {
    return RIOMMU_FIELD_PREP(RIOMMU_DDTP_PPN, ppn) | mode;
}
uint64_t qb_val(uint64_t ppn, unsigned log2szm1) {
    return RIOMMU_FIELD_PREP(RIOMMU_QB_PPN, ppn) | log2szm1;
}

// Linux icvec composition (linux §1.2 item 2 "Interrupt vector map"):
// CIV=0, FIV=1 mod n, PIV=2 mod n, PMIV=3 mod n.
uint64_t linux_icvec(unsigned n) {
    return (0u % n) | ((1u % n) << 4) | ((3u % n) << 8) | ((2u % n) << 12);
}

} // namespace

// ===========================================================================
// regs "Register layout" / "Reset behavior"
// ===========================================================================

// regs "Reset behavior": cqcsr/fqcsr en/ie/on/busy, ddtp.busy, ipsr and
// tr_req_ctl.Go/Busy reset to 0; iommu_mode resets to Off (recommended).
TEST_F(ModelTest, Regs_ResetBehavior_MandatoryZeroFields) {
    Create();
    EXPECT_EQ(rd64(RIOMMU_REG_DDTP), 0u);
    EXPECT_EQ(rd32(RIOMMU_REG_CQCSR), 0u);
    EXPECT_EQ(rd32(RIOMMU_REG_FQCSR), 0u);
    EXPECT_EQ(rd32(RIOMMU_REG_PQCSR), 0u);
    EXPECT_EQ(rd32(RIOMMU_REG_IPSR), 0u);
    EXPECT_EQ(rd64(RIOMMU_REG_TR_REQ_CTL) & RIOMMU_TR_REQ_CTL_GO_BUSY, 0u);
    EXPECT_EQ(rd32(RIOMMU_REG_CQH), 0u);
    EXPECT_EQ(rd32(RIOMMU_REG_FQT), 0u);
}

// regs "Reset behavior": "Reset value for ddtp.iommu_mode field must be
// either Off or Bare" - cfg.ddtp_reset_mode = Bare.
TEST_F(ModelTest, Regs_ResetBehavior_DdtpResetModeBare) {
    cfg.ddtp_reset_mode = RIOMMU_DDTP_MODE_BARE;
    Create();
    EXPECT_EQ(rd64(RIOMMU_REG_DDTP), (uint64_t)RIOMMU_DDTP_MODE_BARE);
}

// regs "Reset behavior": riommu_reset brings modified registers back.
TEST_F(ModelTest, Regs_ResetBehavior_RiommuResetRestoresRegisters) {
    Create();
    enable_cq();
    wr64(RIOMMU_REG_DDTP, ddtp_val(0x1234, RIOMMU_DDTP_MODE_BARE));
    settle();
    wr64(RIOMMU_REG_ICVEC, 0x4321);
    wr64(RIOMMU_REG_IOHPMCTR(1), 77);
    riommu_reset(m);
    EXPECT_EQ(rd64(RIOMMU_REG_DDTP), 0u);
    EXPECT_EQ(rd64(RIOMMU_REG_CQB), 0u);
    EXPECT_EQ(rd32(RIOMMU_REG_CQCSR), 0u);
    EXPECT_EQ(rd64(RIOMMU_REG_ICVEC), 0u);
    EXPECT_EQ(rd64(RIOMMU_REG_IOHPMCTR(1)), 0u);
    EXPECT_EQ(rd64(RIOMMU_REG_CAPABILITIES), cfg.capabilities);
    EXPECT_TRUE(riommu_idle(m));
}

// ===========================================================================
// regs "IOMMU capabilities (capabilities)" - RO
// ===========================================================================

// regs capabilities: RO, equals the configured value; writes are ignored.
TEST_F(ModelTest, Regs_Capabilities_ReadOnlyEqualsConfig) {
    Create();
    EXPECT_EQ(rd64(RIOMMU_REG_CAPABILITIES), cfg.capabilities);
    wr64(RIOMMU_REG_CAPABILITIES, 0);
    wr32(RIOMMU_REG_CAPABILITIES, 0);
    wr32(RIOMMU_REG_CAPABILITIES + 4, 0xFFFFFFFF);
    EXPECT_EQ(rd64(RIOMMU_REG_CAPABILITIES), cfg.capabilities);
    EXPECT_EQ(riommu_peek_reg(m, RIOMMU_REG_CAPABILITIES), cfg.capabilities);
}

// regs capabilities + linux §4 item 2: a non-default value, read as two
// 4-byte halves.
TEST_F(ModelTest, Regs_Capabilities_CustomConfigReadAsHalves) {
    cfg.capabilities = 0x10 | RIOMMU_CAP_SV32 | RIOMMU_CAP_SV39 | RIOMMU_CAP_QOSID |
                       RIOMMU_CAP_MSI_FLAT |
                       RIOMMU_FIELD_PREP(RIOMMU_CAP_IGS, RIOMMU_IGS_MSI) |
                       RIOMMU_FIELD_PREP(RIOMMU_CAP_PAS, 44);
    Create();
    EXPECT_EQ(rd32(RIOMMU_REG_CAPABILITIES), (uint32_t)cfg.capabilities);
    EXPECT_EQ(rd32(RIOMMU_REG_CAPABILITIES + 4), (uint32_t)(cfg.capabilities >> 32));
    EXPECT_EQ(RIOMMU_FIELD_GET(rd64(RIOMMU_REG_CAPABILITIES), RIOMMU_CAP_PAS), 44u);
}

// ===========================================================================
// regs "Features-control register (fctl)"
// ===========================================================================

// regs fctl: BE is WARL, writable when capabilities.END = 1.
TEST_F(ModelTest, Regs_Fctl_BeWritableWithEnd) {
    Create();
    EXPECT_EQ(rd32(RIOMMU_REG_FCTL), 0u);
    wr32(RIOMMU_REG_FCTL, RIOMMU_FCTL_BE);
    EXPECT_EQ(rd32(RIOMMU_REG_FCTL), (uint32_t)RIOMMU_FCTL_BE);
    wr32(RIOMMU_REG_FCTL, 0);
    EXPECT_EQ(rd32(RIOMMU_REG_FCTL), 0u);
}

// regs fctl / capabilities.END = 0: one endianness only, BE hard-wired
// (linux §1.2 item 2 "Endianness": toggle then re-read to detect this).
TEST_F(ModelTest, Regs_Fctl_BeHardwiredWithoutEnd) {
    cfg.capabilities &= ~RIOMMU_CAP_END;
    Create();
    wr32(RIOMMU_REG_FCTL, RIOMMU_FCTL_BE);
    EXPECT_EQ(rd32(RIOMMU_REG_FCTL) & RIOMMU_FCTL_BE, 0u);
}

// regs fctl.WSI: writable with capabilities.IGS = BOTH (linux §1.1 step 6 /
// platform step 4 set and clear it).
TEST_F(ModelTest, Regs_Fctl_WsiWritableWithIgsBoth) {
    Create();
    wr32(RIOMMU_REG_FCTL, RIOMMU_FCTL_WSI);
    EXPECT_EQ(rd32(RIOMMU_REG_FCTL), (uint32_t)RIOMMU_FCTL_WSI);
    wr32(RIOMMU_REG_FCTL, 0);
    EXPECT_EQ(rd32(RIOMMU_REG_FCTL), 0u);
}

// regs fctl.WSI with capabilities.IGS = WSI: hard-wired to 1.
TEST_F(ModelTest, Regs_Fctl_WsiHardwiredOneWithIgsWsi) {
    cfg.capabilities = (cfg.capabilities & ~RIOMMU_CAP_IGS) |
                       RIOMMU_FIELD_PREP(RIOMMU_CAP_IGS, RIOMMU_IGS_WSI);
    Create();
    EXPECT_EQ(rd32(RIOMMU_REG_FCTL) & RIOMMU_FCTL_WSI, (uint32_t)RIOMMU_FCTL_WSI);
    wr32(RIOMMU_REG_FCTL, 0);
    EXPECT_EQ(rd32(RIOMMU_REG_FCTL) & RIOMMU_FCTL_WSI, (uint32_t)RIOMMU_FCTL_WSI);
}

// regs fctl.WSI with capabilities.IGS = MSI: hard-wired to 0, even when the
// configured reset value asks for it.
TEST_F(ModelTest, Regs_Fctl_WsiHardwiredZeroWithIgsMsi) {
    cfg.capabilities = (cfg.capabilities & ~RIOMMU_CAP_IGS) |
                       RIOMMU_FIELD_PREP(RIOMMU_CAP_IGS, RIOMMU_IGS_MSI);
    cfg.fctl_reset = RIOMMU_FCTL_WSI;
    Create();
    EXPECT_EQ(rd32(RIOMMU_REG_FCTL) & RIOMMU_FCTL_WSI, 0u);
    wr32(RIOMMU_REG_FCTL, RIOMMU_FCTL_WSI);
    EXPECT_EQ(rd32(RIOMMU_REG_FCTL) & RIOMMU_FCTL_WSI, 0u);
}

// regs fctl.GXL: WARL; read-only 0 unless cfg.fctl_gxl_writable.
TEST_F(ModelTest, Regs_Fctl_GxlReadOnlyZeroByDefault) {
    Create();
    wr32(RIOMMU_REG_FCTL, RIOMMU_FCTL_GXL);
    EXPECT_EQ(rd32(RIOMMU_REG_FCTL) & RIOMMU_FCTL_GXL, 0u);
}

// regs fctl.GXL: writable when the implementation allows it (needs Sv32).
TEST_F(ModelTest, Regs_Fctl_GxlWritableWhenConfigured) {
    cfg.capabilities |= RIOMMU_CAP_SV32;
    cfg.fctl_gxl_writable = true;
    Create();
    wr32(RIOMMU_REG_FCTL, RIOMMU_FCTL_GXL);
    EXPECT_EQ(rd32(RIOMMU_REG_FCTL) & RIOMMU_FCTL_GXL, (uint32_t)RIOMMU_FCTL_GXL);
    wr32(RIOMMU_REG_FCTL, 0);
    EXPECT_EQ(rd32(RIOMMU_REG_FCTL) & RIOMMU_FCTL_GXL, 0u);
}

// regs fctl: bits 15:3 reserved (WPRI) and 31:16 custom read 0.
TEST_F(ModelTest, Regs_Fctl_ReservedAndCustomBitsReadZero) {
    Create();
    wr32(RIOMMU_REG_FCTL, 0xFFFFFFF8u);
    EXPECT_EQ(rd32(RIOMMU_REG_FCTL), 0u);
    wr32(RIOMMU_REG_FCTL, 0xFFFFFFFFu);
    EXPECT_EQ(rd32(RIOMMU_REG_FCTL), (uint32_t)(RIOMMU_FCTL_BE | RIOMMU_FCTL_WSI));
}

// regs fctl reset value: implementation choice cfg.fctl_reset.
TEST_F(ModelTest, Regs_Fctl_ResetValueFromConfig) {
    cfg.fctl_reset = RIOMMU_FCTL_BE | RIOMMU_FCTL_WSI;
    Create();
    EXPECT_EQ(rd32(RIOMMU_REG_FCTL), (uint32_t)(RIOMMU_FCTL_BE | RIOMMU_FCTL_WSI));
}

// regs fctl: "If software enables or disables a feature when the IOMMU is
// not OFF ... UNSPECIFIED" - regs.c fctl_legalize ignores such writes while
// ddtp is 1LVL..3LVL; Bare is still accepted.
TEST_F(ModelTest, Regs_Fctl_WritesIgnoredWhileDdtpTranslating) {
    Create();
    wr64(RIOMMU_REG_DDTP, RIOMMU_DDTP_MODE_BARE);
    settle();
    wr32(RIOMMU_REG_FCTL, RIOMMU_FCTL_WSI);
    EXPECT_EQ(rd32(RIOMMU_REG_FCTL), (uint32_t)RIOMMU_FCTL_WSI);
    wr32(RIOMMU_REG_FCTL, 0);
    setup_ddt(RIOMMU_DDTP_MODE_1LVL);
    wr32(RIOMMU_REG_FCTL, RIOMMU_FCTL_BE | RIOMMU_FCTL_WSI);
    EXPECT_EQ(rd32(RIOMMU_REG_FCTL), 0u);
}

// regs fctl: writes are ignored while a queue is enabled (regs.c choice),
// and accepted again once the queue is off.
TEST_F(ModelTest, Regs_Fctl_WritesIgnoredWhileQueueOn) {
    Create();
    enable_cq();
    wr32(RIOMMU_REG_FCTL, RIOMMU_FCTL_WSI);
    EXPECT_EQ(rd32(RIOMMU_REG_FCTL), 0u);
    wr32(RIOMMU_REG_CQCSR, 0);
    settle();
    ASSERT_EQ(rd32(RIOMMU_REG_CQCSR), 0u);
    enable_fq();
    wr32(RIOMMU_REG_FCTL, RIOMMU_FCTL_BE);
    EXPECT_EQ(rd32(RIOMMU_REG_FCTL), 0u);
    wr32(RIOMMU_REG_FQCSR, 0);
    settle();
    wr32(RIOMMU_REG_FCTL, RIOMMU_FCTL_BE);
    EXPECT_EQ(rd32(RIOMMU_REG_FCTL), (uint32_t)RIOMMU_FCTL_BE);
}

// ===========================================================================
// regs "Device-directory-table pointer (ddtp)"
// ===========================================================================

// regs ddtp.iommu_mode: Off, Bare, 1LVL, 2LVL, 3LVL all supported by
// default; every change goes through Off.
TEST_F(ModelTest, Regs_Ddtp_AllModesAccepted) {
    Create();
    const unsigned modes[] = {RIOMMU_DDTP_MODE_BARE, RIOMMU_DDTP_MODE_OFF,
                              RIOMMU_DDTP_MODE_1LVL, RIOMMU_DDTP_MODE_OFF,
                              RIOMMU_DDTP_MODE_2LVL, RIOMMU_DDTP_MODE_OFF,
                              RIOMMU_DDTP_MODE_3LVL};
    for (unsigned md : modes) {
        wr64(RIOMMU_REG_DDTP, ddtp_val(0x80000, md));
        settle();
        EXPECT_EQ(rd64(RIOMMU_REG_DDTP), ddtp_val(0x80000, md)) << "mode " << md;
    }
}

// regs ddtp.busy: set when iommu_mode changes, for timing.ddtp_busy cycles;
// cleared by riommu_step.
TEST_F(ModelTest, Regs_Ddtp_BusyForConfiguredCycles) {
    cfg.timing.ddtp_busy = 12;
    Create();
    wr64(RIOMMU_REG_DDTP, ddtp_val(0x80000, RIOMMU_DDTP_MODE_3LVL));
    EXPECT_TRUE(rd64(RIOMMU_REG_DDTP) & RIOMMU_DDTP_BUSY);
    EXPECT_FALSE(riommu_idle(m));
    riommu_step(m, 11);
    EXPECT_TRUE(rd64(RIOMMU_REG_DDTP) & RIOMMU_DDTP_BUSY);
    riommu_step(m, 1);
    EXPECT_EQ(rd64(RIOMMU_REG_DDTP), ddtp_val(0x80000, RIOMMU_DDTP_MODE_3LVL));
    EXPECT_TRUE(riommu_idle(m));
}

// regs ddtp.busy: settle completes the BUSY window and reports its length.
TEST_F(ModelTest, Regs_Ddtp_BusyClearedBySettle) {
    Create();
    wr64(RIOMMU_REG_DDTP, RIOMMU_DDTP_MODE_BARE);
    EXPECT_TRUE(riommu_peek_reg(m, RIOMMU_REG_DDTP) & RIOMMU_DDTP_BUSY);
    EXPECT_EQ(settle(), (uint64_t)cfg.timing.ddtp_busy);
    EXPECT_EQ(rd64(RIOMMU_REG_DDTP), (uint64_t)RIOMMU_DDTP_MODE_BARE);
}

// regs ddtp.busy: "An IOMMU that can complete these operations synchronously
// may hard-wire this bit to 0" (timing.ddtp_busy = 0).
TEST_F(ModelTest, Regs_Ddtp_BusyHardwiredZeroWhenSynchronous) {
    cfg.timing.ddtp_busy = 0;
    Create();
    wr64(RIOMMU_REG_DDTP, ddtp_val(0x80000, RIOMMU_DDTP_MODE_2LVL));
    EXPECT_EQ(rd64(RIOMMU_REG_DDTP), ddtp_val(0x80000, RIOMMU_DDTP_MODE_2LVL));
    EXPECT_TRUE(riommu_idle(m));
}

// regs ddtp.busy: "When the busy bit is 1, behavior of additional writes to
// the ddtp is UNSPECIFIED. Some implementations may ignore the second
// write" - the model ignores it.
TEST_F(ModelTest, Regs_Ddtp_WriteWhileBusyIgnored) {
    Create();
    wr64(RIOMMU_REG_DDTP, ddtp_val(0x80000, RIOMMU_DDTP_MODE_BARE));
    ASSERT_TRUE(rd64(RIOMMU_REG_DDTP) & RIOMMU_DDTP_BUSY);
    wr64(RIOMMU_REG_DDTP, ddtp_val(0x90000, RIOMMU_DDTP_MODE_OFF));
    wr64(RIOMMU_REG_DDTP, ddtp_val(0x90000, RIOMMU_DDTP_MODE_3LVL));
    settle();
    EXPECT_EQ(rd64(RIOMMU_REG_DDTP), ddtp_val(0x80000, RIOMMU_DDTP_MODE_BARE));
}

// regs ddtp.busy is RO: software cannot set it.
TEST_F(ModelTest, Regs_Ddtp_BusyNotWritable) {
    Create();
    wr64(RIOMMU_REG_DDTP, RIOMMU_DDTP_BUSY);
    EXPECT_EQ(rd64(RIOMMU_REG_DDTP), 0u);
    EXPECT_TRUE(riommu_idle(m));
}

// regs ddtp.iommu_mode WARL: reserved (5-13) and custom (14-15) encodings
// leave the register unchanged.
TEST_F(ModelTest, Regs_Ddtp_ReservedModesLeaveRegisterUnchanged) {
    Create();
    wr64(RIOMMU_REG_DDTP, ddtp_val(0x80000, RIOMMU_DDTP_MODE_BARE));
    settle();
    for (unsigned md = 5; md <= 15; md++) {
        wr64(RIOMMU_REG_DDTP, ddtp_val(0x90000, md));
        EXPECT_EQ(rd64(RIOMMU_REG_DDTP), ddtp_val(0x80000, RIOMMU_DDTP_MODE_BARE))
            << "mode " << md;
    }
    EXPECT_TRUE(riommu_idle(m));
}

// regs ddtp: "An IOMMU is allowed to support a subset of directory-table
// levels"; linux §1.3 "Mode probing" item 4: an unsupported xLVL write
// leaves the old Off value, and the driver steps 3LVL -> 2LVL -> 1LVL.
TEST_F(ModelTest, Regs_Ddtp_UnsupportedModeLeavesOff_LinuxProbe) {
    cfg.ddt_modes = 1u << RIOMMU_DDTP_MODE_1LVL;
    Create();
    unsigned got = 0;
    for (unsigned rq = RIOMMU_DDTP_MODE_3LVL; rq >= RIOMMU_DDTP_MODE_1LVL; rq--) {
        wr64(RIOMMU_REG_DDTP, ddtp_val(0x80000, rq));
        settle();
        uint64_t v = rd64(RIOMMU_REG_DDTP);
        got = (unsigned)(v & RIOMMU_DDTP_MODE);
        if (got == rq)
            break;
        EXPECT_EQ(v, 0u) << "rejected mode " << rq << " must leave Off";
    }
    EXPECT_EQ(got, (unsigned)RIOMMU_DDTP_MODE_1LVL);
}

// regs ddtp: 2LVL-only hardware; Linux's probe lands on 2LVL.
TEST_F(ModelTest, Regs_Ddtp_Only2LvlSupported) {
    cfg.ddt_modes = 1u << RIOMMU_DDTP_MODE_2LVL;
    Create();
    wr64(RIOMMU_REG_DDTP, ddtp_val(0x80000, RIOMMU_DDTP_MODE_3LVL));
    settle();
    EXPECT_EQ(rd64(RIOMMU_REG_DDTP), 0u);
    wr64(RIOMMU_REG_DDTP, ddtp_val(0x80000, RIOMMU_DDTP_MODE_1LVL));
    settle();
    EXPECT_EQ(rd64(RIOMMU_REG_DDTP), 0u);
    wr64(RIOMMU_REG_DDTP, ddtp_val(0x80000, RIOMMU_DDTP_MODE_2LVL));
    settle();
    EXPECT_EQ(rd64(RIOMMU_REG_DDTP), ddtp_val(0x80000, RIOMMU_DDTP_MODE_2LVL));
}

// regs ddtp: "writing iommu_mode to 1LVL, 2LVL, or 3LVL, when the previous
// value ... is not Off or Bare is UNSPECIFIED" - ignored (linux §1.3 item 2).
TEST_F(ModelTest, Regs_Ddtp_XlvlToOtherXlvlIgnored) {
    Create();
    wr64(RIOMMU_REG_DDTP, ddtp_val(0x80000, RIOMMU_DDTP_MODE_3LVL));
    settle();
    wr64(RIOMMU_REG_DDTP, ddtp_val(0x80000, RIOMMU_DDTP_MODE_1LVL));
    wr64(RIOMMU_REG_DDTP, ddtp_val(0x80000, RIOMMU_DDTP_MODE_2LVL));
    EXPECT_EQ(rd64(RIOMMU_REG_DDTP), ddtp_val(0x80000, RIOMMU_DDTP_MODE_3LVL));
    EXPECT_TRUE(riommu_idle(m));
}

// regs ddtp: xLVL -> Bare is accepted (linux §4 item 4 shutdown writes
// Bare), and xLVL -> Off is always allowed.
TEST_F(ModelTest, Regs_Ddtp_XlvlToBareAndOffAccepted) {
    Create();
    wr64(RIOMMU_REG_DDTP, ddtp_val(0x80000, RIOMMU_DDTP_MODE_2LVL));
    settle();
    wr64(RIOMMU_REG_DDTP, ddtp_val(0x80000, RIOMMU_DDTP_MODE_BARE));
    EXPECT_TRUE(rd64(RIOMMU_REG_DDTP) & RIOMMU_DDTP_BUSY);
    settle();
    EXPECT_EQ(rd64(RIOMMU_REG_DDTP), ddtp_val(0x80000, RIOMMU_DDTP_MODE_BARE));
    wr64(RIOMMU_REG_DDTP, ddtp_val(0x80000, RIOMMU_DDTP_MODE_3LVL));
    settle();
    wr64(RIOMMU_REG_DDTP, ddtp_val(0x80000, RIOMMU_DDTP_MODE_OFF));
    settle();
    EXPECT_EQ(rd64(RIOMMU_REG_DDTP), ddtp_val(0x80000, RIOMMU_DDTP_MODE_OFF));
}

// regs ddtp.PPN WARL + capabilities.PAS: only PPN bits below 2^PAS stick;
// reserved bits 9:5 and 63:54 read 0.
TEST_F(ModelTest, Regs_Ddtp_PpnLimitedByPasReservedZero) {
    cfg.capabilities = (cfg.capabilities & ~RIOMMU_CAP_PAS) |
                       RIOMMU_FIELD_PREP(RIOMMU_CAP_PAS, 40);
    Create();
    wr64(RIOMMU_REG_DDTP, kAll & ~RIOMMU_DDTP_MODE); // mode Off, everything else 1
    EXPECT_EQ(rd64(RIOMMU_REG_DDTP), RIOMMU_GENMASK(37, 10));
}

// regs ddtp.PPN with PAS = 56: the whole 44-bit field is writable.
TEST_F(ModelTest, Regs_Ddtp_FullPpnWithPas56) {
    Create();
    wr64(RIOMMU_REG_DDTP, kAll & ~RIOMMU_DDTP_MODE);
    EXPECT_EQ(rd64(RIOMMU_REG_DDTP), RIOMMU_DDTP_PPN);
}

// regs ddtp.PPN WARL hard-wired (cfg.ddtp_fixed_ppn); linux §1.3 "Root
// allocation" item 2: write only the current mode, read back the PPN.
TEST_F(ModelTest, Regs_Ddtp_FixedPpnLinuxProbe) {
    cfg.ddtp_fixed_ppn = 0x12345;
    Create();
    EXPECT_EQ(RIOMMU_FIELD_GET(rd64(RIOMMU_REG_DDTP), RIOMMU_DDTP_PPN), 0x12345u);
    wr64(RIOMMU_REG_DDTP, RIOMMU_DDTP_MODE_OFF);
    settle();
    EXPECT_EQ(rd64(RIOMMU_REG_DDTP), ddtp_val(0x12345, RIOMMU_DDTP_MODE_OFF));
    wr64(RIOMMU_REG_DDTP, ddtp_val(0x99999, RIOMMU_DDTP_MODE_1LVL));
    settle();
    EXPECT_EQ(rd64(RIOMMU_REG_DDTP), ddtp_val(0x12345, RIOMMU_DDTP_MODE_1LVL));
}

// regs "8-byte registers ... two individual 4-byte accesses ... to the high
// and low halves, in that order"; linux §4 item 2: high then low, no wait.
TEST_F(ModelTest, Regs_Ddtp_HalvesHighThenLow_Linux4Item2) {
    Create();
    uint64_t v = ddtp_val(0xABCDE12345ull, RIOMMU_DDTP_MODE_3LVL);
    wr32(RIOMMU_REG_DDTP + 4, (uint32_t)(v >> 32));
    EXPECT_EQ(rd64(RIOMMU_REG_DDTP) & RIOMMU_DDTP_MODE, 0u); // mode is in the low half
    wr32(RIOMMU_REG_DDTP, (uint32_t)v);
    settle();
    EXPECT_EQ(rd64(RIOMMU_REG_DDTP), v);
    EXPECT_EQ(rd32(RIOMMU_REG_DDTP), (uint32_t)v);
    EXPECT_EQ(rd32(RIOMMU_REG_DDTP + 4), (uint32_t)(v >> 32));
}

// linux §4 item 2: low half first. The mode change happens on the low half;
// software waits for BUSY (regs ddtp.busy) before the high half, which then
// only updates the PPN.
TEST_F(ModelTest, Regs_Ddtp_HalvesLowThenHigh_Linux4Item2) {
    Create();
    uint64_t v = ddtp_val(0xABCDE12345ull, RIOMMU_DDTP_MODE_3LVL);
    wr32(RIOMMU_REG_DDTP, (uint32_t)v);
    EXPECT_EQ(rd64(RIOMMU_REG_DDTP) & RIOMMU_DDTP_MODE, (uint64_t)RIOMMU_DDTP_MODE_3LVL);
    settle();
    wr32(RIOMMU_REG_DDTP + 4, (uint32_t)(v >> 32));
    EXPECT_EQ(rd64(RIOMMU_REG_DDTP), v);
    EXPECT_TRUE(riommu_idle(m));
}

// linux §4 item 2 with a synchronous ddtp (busy hard-wired 0): either order
// of halves gives the same register value without waiting.
TEST_F(ModelTest, Regs_Ddtp_HalvesEitherOrderSynchronous_Linux4Item2) {
    cfg.timing.ddtp_busy = 0;
    Create();
    uint64_t v = ddtp_val(0x8765432100ull, RIOMMU_DDTP_MODE_2LVL);
    wr32(RIOMMU_REG_DDTP, (uint32_t)v);
    wr32(RIOMMU_REG_DDTP + 4, (uint32_t)(v >> 32));
    EXPECT_EQ(rd64(RIOMMU_REG_DDTP), v);
    wr64(RIOMMU_REG_DDTP, 0);
    wr32(RIOMMU_REG_DDTP + 4, (uint32_t)(v >> 32));
    wr32(RIOMMU_REG_DDTP, (uint32_t)v);
    EXPECT_EQ(rd64(RIOMMU_REG_DDTP), v);
}

// ===========================================================================
// regs cqb / fqb / pqb
// ===========================================================================

// regs cqb.LOG2SZ-1 WARL; linux §1.4 "Allocation" step 1: write 0x1F with
// PPN 0, read back the largest supported encoding (cfg max, default 15).
TEST_F(ModelTest, Regs_Cqb_LinuxProbe0x1F) {
    Create();
    EXPECT_EQ(rd64(RIOMMU_REG_CQB), 0u);
    wr64(RIOMMU_REG_CQB, 0x1F);
    EXPECT_EQ(rd64(RIOMMU_REG_CQB), 15u);
}

// regs cqb.LOG2SZ-1 WARL clamps to cfg.cq_max_log2szm1; smaller values stick.
TEST_F(ModelTest, Regs_Cqb_Log2szClampedToConfigMax) {
    cfg.cq_max_log2szm1 = 9;
    Create();
    wr64(RIOMMU_REG_CQB, qb_val(0x80000, 12));
    EXPECT_EQ(rd64(RIOMMU_REG_CQB), qb_val(0x80000, 9));
    wr64(RIOMMU_REG_CQB, qb_val(0x80000, 4));
    EXPECT_EQ(rd64(RIOMMU_REG_CQB), qb_val(0x80000, 4));
    wr64(RIOMMU_REG_CQB, 0x1F);
    EXPECT_EQ(rd64(RIOMMU_REG_CQB), 9u);
}

// regs fqb.LOG2SZ-1 WARL; linux §1.4 step 1 probe on the fault queue.
TEST_F(ModelTest, Regs_Fqb_LinuxProbe0x1FClamped) {
    cfg.fq_max_log2szm1 = 11;
    Create();
    wr64(RIOMMU_REG_FQB, 0x1F);
    EXPECT_EQ(rd64(RIOMMU_REG_FQB), 11u);
    wr64(RIOMMU_REG_FQB, qb_val(0x80010, 3));
    EXPECT_EQ(rd64(RIOMMU_REG_FQB), qb_val(0x80010, 3));
}

// regs cqb: PPN limited by PAS, reserved 9:5 and 63:54 read 0.
TEST_F(ModelTest, Regs_Cqb_PpnLimitedByPasReservedZero) {
    cfg.capabilities = (cfg.capabilities & ~RIOMMU_CAP_PAS) |
                       RIOMMU_FIELD_PREP(RIOMMU_CAP_PAS, 48);
    Create();
    wr64(RIOMMU_REG_CQB, kAll);
    EXPECT_EQ(rd64(RIOMMU_REG_CQB), RIOMMU_GENMASK(45, 10) | 15u);
    wr64(RIOMMU_REG_FQB, kAll);
    EXPECT_EQ(rd64(RIOMMU_REG_FQB), RIOMMU_GENMASK(45, 10) | 15u);
}

// linux §1.4 "Allocation" step 4: base = PPN | logsz reads back exactly.
TEST_F(ModelTest, Regs_Cqb_Fqb_LinuxExactReadback) {
    Create();
    uint64_t c = qb_val(0x80020, 12), f = qb_val(0x80040, 11);
    wr64(RIOMMU_REG_CQB, c);
    wr64(RIOMMU_REG_FQB, f);
    EXPECT_EQ(rd64(RIOMMU_REG_CQB), c);
    EXPECT_EQ(rd64(RIOMMU_REG_FQB), f);
}

// regs cqb.PPN WARL hard-wired (cfg.cq_fixed_ppn); linux §1.4 step 1/3: the
// 0x1F probe returns the fixed location, other PPNs do not stick.
TEST_F(ModelTest, Regs_Cqb_FixedPpnLinuxProbe) {
    cfg.cq_fixed_ppn = 0x4567;
    Create();
    wr64(RIOMMU_REG_CQB, 0x1F);
    EXPECT_EQ(rd64(RIOMMU_REG_CQB), qb_val(0x4567, 15));
    wr64(RIOMMU_REG_CQB, qb_val(0x80000, 3));
    EXPECT_EQ(rd64(RIOMMU_REG_CQB), qb_val(0x4567, 3));
}

// regs fqb.PPN hard-wired (cfg.fq_fixed_ppn).
TEST_F(ModelTest, Regs_Fqb_FixedPpnLinuxProbe) {
    cfg.fq_fixed_ppn = 0x7654;
    Create();
    EXPECT_EQ(rd64(RIOMMU_REG_FQB), qb_val(0x7654, 0));
    wr64(RIOMMU_REG_FQB, 0x1F);
    EXPECT_EQ(rd64(RIOMMU_REG_FQB), qb_val(0x7654, 15));
}

// regs cqb: "writing cqb when cqcsr.busy or cqon bits are 1 is UNSPECIFIED"
// - ignored, both while BUSY (just enabled) and while on.
TEST_F(ModelTest, Regs_Cqb_WritesIgnoredWhileBusyOrOn) {
    Create();
    wr64(RIOMMU_REG_CQB, qb_val(0x80000, 5));
    wr32(RIOMMU_REG_CQCSR, RIOMMU_CQCSR_CQEN);
    ASSERT_TRUE(rd32(RIOMMU_REG_CQCSR) & RIOMMU_CQCSR_BUSY);
    wr64(RIOMMU_REG_CQB, qb_val(0x90000, 2));
    EXPECT_EQ(rd64(RIOMMU_REG_CQB), qb_val(0x80000, 5));
    settle();
    ASSERT_TRUE(rd32(RIOMMU_REG_CQCSR) & RIOMMU_CQCSR_CQON);
    wr64(RIOMMU_REG_CQB, qb_val(0x90000, 2));
    EXPECT_EQ(rd64(RIOMMU_REG_CQB), qb_val(0x80000, 5));
    wr32(RIOMMU_REG_CQCSR, 0);
    settle();
    wr64(RIOMMU_REG_CQB, qb_val(0x90000, 2));
    EXPECT_EQ(rd64(RIOMMU_REG_CQB), qb_val(0x90000, 2));
}

// regs fqb: writes while fqon are ignored.
TEST_F(ModelTest, Regs_Fqb_WritesIgnoredWhileOn) {
    Create();
    enable_fq(4);
    uint64_t before = rd64(RIOMMU_REG_FQB);
    wr64(RIOMMU_REG_FQB, qb_val(0x90000, 2));
    EXPECT_EQ(rd64(RIOMMU_REG_FQB), before);
}

// regs cqb: "The status of bits 31:cqb.LOG2SZ in cqt following a write to
// cqb is 0".
TEST_F(ModelTest, Regs_Cqb_WriteClearsCqtHighBits) {
    Create();
    wr64(RIOMMU_REG_CQB, qb_val(0x80000, 7)); // 256 entries
    wr32(RIOMMU_REG_CQT, 200);
    ASSERT_EQ(rd32(RIOMMU_REG_CQT), 200u);
    wr64(RIOMMU_REG_CQB, qb_val(0x80000, 3)); // 16 entries
    EXPECT_EQ(rd32(RIOMMU_REG_CQT) & ~15u, 0u);
}

// regs fqb: bits 31:fqb.LOG2SZ of fqh are 0 after a write to fqb.
TEST_F(ModelTest, Regs_Fqb_WriteClearsFqhHighBits) {
    Create();
    wr64(RIOMMU_REG_FQB, qb_val(0x80000, 9));
    wr32(RIOMMU_REG_FQH, 1000);
    ASSERT_EQ(rd32(RIOMMU_REG_FQH), 1000u);
    wr64(RIOMMU_REG_FQB, qb_val(0x80000, 1)); // 4 entries
    EXPECT_EQ(rd32(RIOMMU_REG_FQH) & ~3u, 0u);
}

// linux §4 item 2: cqb written as two 4-byte halves in either order.
TEST_F(ModelTest, Regs_Cqb_HalvesEitherOrder_Linux4Item2) {
    Create();
    uint64_t v = qb_val(0xABCDE12345ull, 6);
    wr32(RIOMMU_REG_CQB + 4, (uint32_t)(v >> 32));
    wr32(RIOMMU_REG_CQB, (uint32_t)v);
    EXPECT_EQ(rd64(RIOMMU_REG_CQB), v);
    wr64(RIOMMU_REG_CQB, 0);
    wr32(RIOMMU_REG_CQB, (uint32_t)v);
    wr32(RIOMMU_REG_CQB + 4, (uint32_t)(v >> 32));
    EXPECT_EQ(rd64(RIOMMU_REG_CQB), v);
    EXPECT_EQ(rd32(RIOMMU_REG_CQB + 4), (uint32_t)(v >> 32));
}

// linux §4 item 2: fqb written as two 4-byte halves in either order.
TEST_F(ModelTest, Regs_Fqb_HalvesEitherOrder_Linux4Item2) {
    Create();
    uint64_t v = qb_val(0x1234567ull, 10);
    wr32(RIOMMU_REG_FQB, (uint32_t)v);
    wr32(RIOMMU_REG_FQB + 4, (uint32_t)(v >> 32));
    EXPECT_EQ(rd64(RIOMMU_REG_FQB), v);
    wr64(RIOMMU_REG_FQB, 0);
    wr32(RIOMMU_REG_FQB + 4, (uint32_t)(v >> 32));
    wr32(RIOMMU_REG_FQB, (uint32_t)v);
    EXPECT_EQ(rd64(RIOMMU_REG_FQB), v);
}

// ===========================================================================
// regs cqh / cqt / fqh / fqt
// ===========================================================================

// regs cqh: RO.
TEST_F(ModelTest, Regs_Cqh_ReadOnly) {
    Create();
    wr64(RIOMMU_REG_CQB, qb_val(0x80000, 5));
    wr32(RIOMMU_REG_CQH, 7);
    EXPECT_EQ(rd32(RIOMMU_REG_CQH), 0u);
}

// regs fqt: RO.
TEST_F(ModelTest, Regs_Fqt_ReadOnly) {
    Create();
    wr64(RIOMMU_REG_FQB, qb_val(0x80000, 5));
    wr32(RIOMMU_REG_FQT, 7);
    EXPECT_EQ(rd32(RIOMMU_REG_FQT), 0u);
}

// regs cqt: WARL, "Only LOG2SZ-1:0 bits are writable".
TEST_F(ModelTest, Regs_Cqt_WarlToQueueMask) {
    Create();
    wr64(RIOMMU_REG_CQB, qb_val(0x80000, 3)); // 16 entries
    wr32(RIOMMU_REG_CQT, 0xFFFFFFFFu);
    EXPECT_EQ(rd32(RIOMMU_REG_CQT), 15u);
    wr32(RIOMMU_REG_CQT, 0x25);
    EXPECT_EQ(rd32(RIOMMU_REG_CQT), 5u);
}

// regs fqh: WARL, only LOG2SZ-1:0 writable.
TEST_F(ModelTest, Regs_Fqh_WarlToQueueMask) {
    Create();
    wr64(RIOMMU_REG_FQB, qb_val(0x80000, 0)); // 2 entries
    wr32(RIOMMU_REG_FQH, 0xFFFFFFFFu);
    EXPECT_EQ(rd32(RIOMMU_REG_FQH), 1u);
}

// ===========================================================================
// regs cqcsr / fqcsr
// ===========================================================================

// regs cqcsr: cie RW; cqon and busy RO; reserved/custom bits read 0.
TEST_F(ModelTest, Regs_Cqcsr_CieRwOnBusyRoReservedZero) {
    Create();
    wr32(RIOMMU_REG_CQCSR, RIOMMU_CQCSR_CIE | RIOMMU_CQCSR_CQON | RIOMMU_CQCSR_BUSY |
                               0xF0000000u | 0xFCu | 0xF000u);
    EXPECT_EQ(rd32(RIOMMU_REG_CQCSR), (uint32_t)RIOMMU_CQCSR_CIE);
    EXPECT_TRUE(riommu_idle(m));
}

// regs fqcsr: fie RW; fqon and busy RO.
TEST_F(ModelTest, Regs_Fqcsr_FieRwOnBusyRo) {
    Create();
    wr32(RIOMMU_REG_FQCSR, RIOMMU_FQCSR_FIE | RIOMMU_FQCSR_FQON | RIOMMU_FQCSR_BUSY);
    EXPECT_EQ(rd32(RIOMMU_REG_FQCSR), (uint32_t)RIOMMU_FQCSR_FIE);
}

// linux §1.4 "Enable" steps 4-6: write EN|IE|MF = 0x103; BUSY while the
// queue turns on; after settle the CSR reads 0x10003 (regs cqcsr.cqen/busy).
TEST_F(ModelTest, Regs_Cqcsr_Linux0x103ReadsBack0x10003) {
    Create();
    wr64(RIOMMU_REG_CQB, qb_val(0x80000, 5));
    wr32(RIOMMU_REG_CQCSR, 0x103);
    uint32_t v = rd32(RIOMMU_REG_CQCSR);
    EXPECT_TRUE(v & RIOMMU_CQCSR_BUSY);
    EXPECT_FALSE(v & RIOMMU_CQCSR_CQON);
    EXPECT_EQ(settle(), (uint64_t)cfg.timing.qcsr_busy);
    EXPECT_EQ(rd32(RIOMMU_REG_CQCSR), 0x10003u);
}

// linux §1.4 "Enable" on the fault queue: 0x103 -> 0x10003 (regs fqcsr).
TEST_F(ModelTest, Regs_Fqcsr_Linux0x103ReadsBack0x10003) {
    Create();
    wr64(RIOMMU_REG_FQB, qb_val(0x80000, 5));
    wr32(RIOMMU_REG_FQCSR, 0x103);
    EXPECT_TRUE(rd32(RIOMMU_REG_FQCSR) & RIOMMU_FQCSR_BUSY);
    settle();
    EXPECT_EQ(rd32(RIOMMU_REG_FQCSR), 0x10003u);
}

// regs cqcsr: disabling keeps busy until the queue is off, then cqon = 0.
TEST_F(ModelTest, Regs_Cqcsr_DisableTurnsOffAfterBusy) {
    Create();
    enable_cq();
    wr32(RIOMMU_REG_CQCSR, 0);
    uint32_t v = rd32(RIOMMU_REG_CQCSR);
    EXPECT_TRUE(v & RIOMMU_CQCSR_BUSY);
    EXPECT_TRUE(v & RIOMMU_CQCSR_CQON);
    settle();
    EXPECT_EQ(rd32(RIOMMU_REG_CQCSR), 0u);
}

// regs cqcsr.busy: "Some implementations may ignore the second write" -
// the model ignores cqcsr writes while busy.
TEST_F(ModelTest, Regs_Cqcsr_WriteWhileBusyIgnored) {
    Create();
    wr64(RIOMMU_REG_CQB, qb_val(0x80000, 5));
    wr32(RIOMMU_REG_CQCSR, RIOMMU_CQCSR_CQEN);
    wr32(RIOMMU_REG_CQCSR, RIOMMU_CQCSR_CIE); // cqen 0, cie 1: ignored
    settle();
    EXPECT_EQ(rd32(RIOMMU_REG_CQCSR), (uint32_t)(RIOMMU_CQCSR_CQEN | RIOMMU_CQCSR_CQON));
}

// regs cqcsr.busy hard-wired to 0 when enabling is synchronous.
TEST_F(ModelTest, Regs_Cqcsr_NoBusyWhenSynchronous) {
    cfg.timing.qcsr_busy = 0;
    Create();
    wr64(RIOMMU_REG_CQB, qb_val(0x80000, 5));
    wr32(RIOMMU_REG_CQCSR, RIOMMU_CQCSR_CQEN);
    EXPECT_EQ(rd32(RIOMMU_REG_CQCSR), (uint32_t)(RIOMMU_CQCSR_CQEN | RIOMMU_CQCSR_CQON));
}

// regs cqcsr.cqen: "Changing cqen from 0 to 1 sets the cqh register ... to
// 0"; linux §4 item 3: cqt is kept, so stale ring slots are executed.
TEST_F(ModelTest, Regs_Cqcsr_EnableResetsCqhKeepsCqt_Linux4Item3) {
    Create();
    enable_cq();
    EXPECT_EQ(run(iodir_inval_ddt()), 1u);
    EXPECT_EQ(run(iotinval_vma()), 2u);
    EXPECT_EQ(run(iofence()), 3u);
    wr32(RIOMMU_REG_CQCSR, 0);
    settle();
    ASSERT_EQ(rd32(RIOMMU_REG_CQCSR), 0u);
    EXPECT_EQ(rd32(RIOMMU_REG_CQH), 3u);
    wr32(RIOMMU_REG_CQCSR, RIOMMU_CQCSR_CQEN);
    EXPECT_EQ(rd32(RIOMMU_REG_CQH), 0u);
    EXPECT_EQ(rd32(RIOMMU_REG_CQT), 3u);
    settle();
    // The three stale (legal) commands are executed again.
    EXPECT_EQ(rd32(RIOMMU_REG_CQH), 3u);
    EXPECT_EQ(stats().commands[RIOMMU_CMD_OP_IOFENCE][0], 2u);
}

// regs fqcsr.fqen: "Changing fqen from 0 to 1 sets the fqt register ... to
// 0"; fqh (software-owned) is kept.
TEST_F(ModelTest, Regs_Fqcsr_EnableResetsFqtKeepsFqh) {
    Create();
    enable_fq();
    for (int i = 0; i < 3; i++)
        xlate(1, 0x1000); // ddtp Off: cause 256 records
    ASSERT_EQ(rd32(RIOMMU_REG_FQT), 3u);
    wr32(RIOMMU_REG_FQH, 2);
    wr32(RIOMMU_REG_FQCSR, 0);
    settle();
    wr32(RIOMMU_REG_FQCSR, RIOMMU_FQCSR_FQEN);
    EXPECT_EQ(rd32(RIOMMU_REG_FQT), 0u);
    EXPECT_EQ(rd32(RIOMMU_REG_FQH), 2u);
}

// regs cqcsr.cmd_ill: RW1C - writing 0 keeps it, writing 1 clears it; the
// queue then resumes from cqh (linux §4 item 11).
TEST_F(ModelTest, Regs_Cqcsr_CmdIllRw1cAndResume_Linux4Item11) {
    Create();
    enable_cq();
    submit({0, 0}); // opcode 0: reserved -> illegal
    submit(iofence());
    settle();
    uint32_t v = rd32(RIOMMU_REG_CQCSR);
    ASSERT_TRUE(v & RIOMMU_CQCSR_CMD_ILL);
    EXPECT_EQ(rd32(RIOMMU_REG_CQH), 0u); // cqh references the bad command
    wr32(RIOMMU_REG_CQCSR, RIOMMU_CQCSR_CQEN); // cmd_ill written as 0
    settle();
    EXPECT_TRUE(rd32(RIOMMU_REG_CQCSR) & RIOMMU_CQCSR_CMD_ILL);
    // Repair the slot (linux §4 item 11 fix: a no-op IOFENCE), then W1C.
    Cmd f = iofence();
    mem.w64(cq_base, f.d0);
    mem.w64(cq_base + 8, f.d1);
    wr32(RIOMMU_REG_CQCSR, RIOMMU_CQCSR_CQEN | RIOMMU_CQCSR_CMD_ILL);
    EXPECT_FALSE(rd32(RIOMMU_REG_CQCSR) & RIOMMU_CQCSR_CMD_ILL);
    settle();
    EXPECT_EQ(rd32(RIOMMU_REG_CQH), 2u);
    EXPECT_EQ(rd32(RIOMMU_REG_CQCSR), (uint32_t)(RIOMMU_CQCSR_CQEN | RIOMMU_CQCSR_CQON));
}

// regs cqcsr.cqen 0->1 clears cmd_ill/cmd_to/cqmf/fence_w_ip.
TEST_F(ModelTest, Regs_Cqcsr_EnableClearsErrorBits) {
    Create();
    enable_cq();
    submit({0, 0});
    settle();
    ASSERT_TRUE(rd32(RIOMMU_REG_CQCSR) & RIOMMU_CQCSR_CMD_ILL);
    wr32(RIOMMU_REG_CQCSR, 0); // disable; error bit written 0 -> kept
    settle();
    EXPECT_EQ(rd32(RIOMMU_REG_CQCSR), (uint32_t)RIOMMU_CQCSR_CMD_ILL);
    wr32(RIOMMU_REG_CQT, 0);
    wr32(RIOMMU_REG_CQCSR, RIOMMU_CQCSR_CQEN);
    EXPECT_FALSE(rd32(RIOMMU_REG_CQCSR) & RIOMMU_CQCSR_CMD_ILL);
    settle();
    EXPECT_EQ(rd32(RIOMMU_REG_CQCSR), (uint32_t)(RIOMMU_CQCSR_CQEN | RIOMMU_CQCSR_CQON));
}

// regs cqcsr.cqmf: a command fetch fault sets cqmf (RW1C), cqh stays on the
// command; clearing it resumes.
TEST_F(ModelTest, Regs_Cqcsr_CqmfOnFetchFaultRw1c) {
    Create();
    enable_cq();
    mem.fault.push_back({cq_base, cq_base + 16});
    submit(iofence());
    settle();
    EXPECT_TRUE(rd32(RIOMMU_REG_CQCSR) & RIOMMU_CQCSR_CQMF);
    EXPECT_EQ(rd32(RIOMMU_REG_CQH), 0u);
    mem.fault.clear();
    wr32(RIOMMU_REG_CQCSR, RIOMMU_CQCSR_CQEN | RIOMMU_CQCSR_CQMF);
    settle();
    EXPECT_FALSE(rd32(RIOMMU_REG_CQCSR) & RIOMMU_CQCSR_CQMF);
    EXPECT_EQ(rd32(RIOMMU_REG_CQH), 1u);
}

// regs fqcsr.fqof: "set to 1 if the IOMMU needs to queue a fault record but
// the fault-queue is full (fqt == fqh - 1)"; RW1C; fqen 0->1 clears it.
TEST_F(ModelTest, Regs_Fqcsr_FqofOnFullQueueRw1c) {
    Create();
    enable_fq(0); // 2 entries: one usable
    xlate(1, 0x1000);
    EXPECT_EQ(rd32(RIOMMU_REG_FQT), 1u);
    EXPECT_FALSE(rd32(RIOMMU_REG_FQCSR) & RIOMMU_FQCSR_FQOF);
    auto r = xlate(1, 0x2000);
    EXPECT_FALSE(r.recorded);
    EXPECT_TRUE(rd32(RIOMMU_REG_FQCSR) & RIOMMU_FQCSR_FQOF);
    EXPECT_EQ(rd32(RIOMMU_REG_FQT), 1u);
    drain_faults();
    xlate(1, 0x3000); // still discarded while fqof
    EXPECT_EQ(rd32(RIOMMU_REG_FQT), 1u);
    wr32(RIOMMU_REG_FQCSR, RIOMMU_FQCSR_FQEN); // fqof written 0: kept
    EXPECT_TRUE(rd32(RIOMMU_REG_FQCSR) & RIOMMU_FQCSR_FQOF);
    wr32(RIOMMU_REG_FQCSR, RIOMMU_FQCSR_FQEN | RIOMMU_FQCSR_FQOF);
    EXPECT_FALSE(rd32(RIOMMU_REG_FQCSR) & RIOMMU_FQCSR_FQOF);
    EXPECT_TRUE(xlate(1, 0x4000).recorded);
}

// regs fqcsr.fqmf: a store fault on the record sets fqmf; RW1C.
TEST_F(ModelTest, Regs_Fqcsr_FqmfOnStoreFaultRw1c) {
    Create();
    enable_fq();
    mem.fault.push_back({fq_base, fq_base + 4096});
    EXPECT_FALSE(xlate(1, 0x1000).recorded);
    EXPECT_TRUE(rd32(RIOMMU_REG_FQCSR) & RIOMMU_FQCSR_FQMF);
    EXPECT_EQ(rd32(RIOMMU_REG_FQT), 0u);
    mem.fault.clear();
    wr32(RIOMMU_REG_FQCSR, RIOMMU_FQCSR_FQEN | RIOMMU_FQCSR_FQMF);
    EXPECT_FALSE(rd32(RIOMMU_REG_FQCSR) & RIOMMU_FQCSR_FQMF);
    EXPECT_TRUE(xlate(1, 0x1000).recorded);
}

// ===========================================================================
// regs pqb / pqh / pqt / pqcsr: optional, absent when capabilities.ATS = 0
// ===========================================================================

// regs "If a register is optional ... a read ... returns 0 and writes to that
// offset are ignored" (ATS = 0 in the default configuration).
TEST_F(ModelTest, Regs_Pq_AbsentWithoutAts) {
    Create();
    ASSERT_FALSE(cfg.capabilities & RIOMMU_CAP_ATS);
    wr64(RIOMMU_REG_PQB, qb_val(0x80000, 5));
    wr32(RIOMMU_REG_PQH, 3);
    wr32(RIOMMU_REG_PQCSR, RIOMMU_PQCSR_PQEN | RIOMMU_PQCSR_PIE);
    settle();
    EXPECT_EQ(rd64(RIOMMU_REG_PQB), 0u);
    EXPECT_EQ(rd32(RIOMMU_REG_PQH), 0u);
    EXPECT_EQ(rd32(RIOMMU_REG_PQT), 0u);
    EXPECT_EQ(rd32(RIOMMU_REG_PQCSR), 0u);
    EXPECT_EQ(riommu_peek_reg(m, RIOMMU_REG_PQCSR), 0u);
    EXPECT_TRUE(riommu_idle(m));
}

// ===========================================================================
// regs ipsr: RW1C
// ===========================================================================

// regs ipsr: RW1C - writing 1 to a clear bit does not set it; reserved and
// custom bits read 0.
TEST_F(ModelTest, Regs_Ipsr_Rw1cCannotBeSetBySoftware) {
    Create();
    wr32(RIOMMU_REG_IPSR, 0xFFFFFFFFu);
    EXPECT_EQ(rd32(RIOMMU_REG_IPSR), 0u);
}

// ===========================================================================
// regs iocountovf / iocountinh / iohpmcycles / iohpmctr / iohpmevt
// ===========================================================================

// regs "Register layout": HPM registers present with capabilities.HPM.
TEST_F(ModelTest, Regs_Hpm_PresentAndWritableWithCap) {
    Create();
    ASSERT_TRUE(cfg.capabilities & RIOMMU_CAP_HPM);
    wr32(RIOMMU_REG_IOCOUNTINH, 0x3);
    EXPECT_EQ(rd32(RIOMMU_REG_IOCOUNTINH), 0x3u);
    wr64(RIOMMU_REG_IOHPMCYCLES, 0x123456789ull);
    EXPECT_EQ(rd64(RIOMMU_REG_IOHPMCYCLES), 0x123456789ull);
    for (unsigned n = 1; n <= cfg.hpm_counters; n++) {
        wr64(RIOMMU_REG_IOHPMCTR(n), 0x1000ull + n);
        EXPECT_EQ(rd64(RIOMMU_REG_IOHPMCTR(n)), 0x1000ull + n) << "ctr " << n;
        wr64(RIOMMU_REG_IOHPMEVT(n), RIOMMU_FIELD_PREP(RIOMMU_IOHPMEVT_DID_GSCID, n) | 5);
        EXPECT_EQ(rd64(RIOMMU_REG_IOHPMEVT(n)),
                  RIOMMU_FIELD_PREP(RIOMMU_IOHPMEVT_DID_GSCID, n) | 5)
            << "evt " << n;
    }
}

// regs iohpmctr/iohpmevt: counters beyond cfg.hpm_counters are not
// implemented and read 0; their iocountinh bits are WARL 0.
TEST_F(ModelTest, Regs_Hpm_UnimplementedCountersReadZero) {
    cfg.hpm_counters = 3;
    Create();
    for (unsigned n = 4; n <= 31; n++) {
        wr64(RIOMMU_REG_IOHPMCTR(n), kAll);
        wr64(RIOMMU_REG_IOHPMEVT(n), 1);
        EXPECT_EQ(rd64(RIOMMU_REG_IOHPMCTR(n)), 0u) << "ctr " << n;
        EXPECT_EQ(rd64(RIOMMU_REG_IOHPMEVT(n)), 0u) << "evt " << n;
    }
    wr32(RIOMMU_REG_IOCOUNTINH, 0xFFFFFFFFu);
    EXPECT_EQ(rd32(RIOMMU_REG_IOCOUNTINH), 0xFu);
}

// regs iohpmctr: WARL counter of cfg.hpm_counter_bits bits ("at least
// 32-bits wide").
TEST_F(ModelTest, Regs_Hpm_CounterWidthFromConfig) {
    cfg.hpm_counter_bits = 40;
    Create();
    wr64(RIOMMU_REG_IOHPMCTR(1), kAll);
    EXPECT_EQ(rd64(RIOMMU_REG_IOHPMCTR(1)), RIOMMU_GENMASK(39, 0));
    wr32(RIOMMU_REG_IOHPMCTR(2) + 4, 0xFFFFFFFFu);
    EXPECT_EQ(rd64(RIOMMU_REG_IOHPMCTR(2)), RIOMMU_GENMASK(39, 32));
}

// regs iohpmevt.eventID WARL: reserved (9-16383) and custom (16384-32767)
// encodings are unsupported and read 0; other fields are RW.
TEST_F(ModelTest, Regs_Hpm_EventIdWarl) {
    Create();
    uint64_t filt = RIOMMU_IOHPMEVT_DV_GSCV | RIOMMU_IOHPMEVT_DMASK |
                    RIOMMU_FIELD_PREP(RIOMMU_IOHPMEVT_DID_GSCID, 0xABCDEF);
    wr64(RIOMMU_REG_IOHPMEVT(1), filt | 8);
    EXPECT_EQ(rd64(RIOMMU_REG_IOHPMEVT(1)), filt | 8);
    wr64(RIOMMU_REG_IOHPMEVT(1), filt | 9);
    EXPECT_EQ(rd64(RIOMMU_REG_IOHPMEVT(1)), filt);
    wr64(RIOMMU_REG_IOHPMEVT(1), filt | 16384);
    EXPECT_EQ(rd64(RIOMMU_REG_IOHPMEVT(1)), filt);
    wr64(RIOMMU_REG_IOHPMEVT(1), filt | 0x7FFF);
    EXPECT_EQ(rd64(RIOMMU_REG_IOHPMEVT(1)) & RIOMMU_IOHPMEVT_EVENTID, 0u);
}

// regs iocountovf: RO shadow of iohpmcycles.OF (bit 0) and iohpmevtX.OF.
TEST_F(ModelTest, Regs_Hpm_IocountovfShadowsOfBits) {
    Create();
    EXPECT_EQ(rd32(RIOMMU_REG_IOCOUNTOVF), 0u);
    wr64(RIOMMU_REG_IOHPMEVT(3), RIOMMU_IOHPMEVT_OF);
    wr64(RIOMMU_REG_IOHPMCYCLES, RIOMMU_IOHPMCYCLES_OF);
    EXPECT_EQ(rd32(RIOMMU_REG_IOCOUNTOVF), (1u << 3) | 1u);
    wr32(RIOMMU_REG_IOCOUNTOVF, 0); // RO
    EXPECT_EQ(rd32(RIOMMU_REG_IOCOUNTOVF), (1u << 3) | 1u);
    wr64(RIOMMU_REG_IOHPMEVT(3), 0);
    EXPECT_EQ(rd32(RIOMMU_REG_IOCOUNTOVF), 1u);
    EXPECT_EQ(riommu_peek_reg(m, RIOMMU_REG_IOCOUNTOVF), 1u);
}

// regs "Register layout": HPM registers are optional - absent (read 0,
// writes ignored) when capabilities.HPM = 0.
TEST_F(ModelTest, Regs_Hpm_AbsentWithoutCap) {
    cfg.capabilities &= ~RIOMMU_CAP_HPM;
    Create();
    wr32(RIOMMU_REG_IOCOUNTINH, 0xFFFFFFFFu);
    wr64(RIOMMU_REG_IOHPMCYCLES, kAll);
    wr64(RIOMMU_REG_IOHPMCTR(1), kAll);
    wr64(RIOMMU_REG_IOHPMEVT(1), 1);
    riommu_step(m, 100);
    EXPECT_EQ(rd32(RIOMMU_REG_IOCOUNTOVF), 0u);
    EXPECT_EQ(rd32(RIOMMU_REG_IOCOUNTINH), 0u);
    EXPECT_EQ(rd64(RIOMMU_REG_IOHPMCYCLES), 0u);
    EXPECT_EQ(rd64(RIOMMU_REG_IOHPMCTR(1)), 0u);
    EXPECT_EQ(rd64(RIOMMU_REG_IOHPMEVT(1)), 0u);
}

// ===========================================================================
// regs tr_req_iova / tr_req_ctl / tr_response (capabilities.DBG)
// ===========================================================================

// regs tr_req_iova: vpn 63:12 WARL, bits 11:0 reserved read 0.
TEST_F(ModelTest, Regs_TrReqIova_VpnOnly) {
    Create();
    wr64(RIOMMU_REG_TR_REQ_IOVA, kAll);
    EXPECT_EQ(rd64(RIOMMU_REG_TR_REQ_IOVA), RIOMMU_TR_REQ_IOVA_VPN);
}

// regs tr_req_ctl: Priv/Exe/NW/PID/PV/DID writable; reserved 11:4, 35:33
// and custom 39:36 read 0 (written without Go).
TEST_F(ModelTest, Regs_TrReqCtl_FieldsWithoutGo) {
    Create();
    wr64(RIOMMU_REG_TR_REQ_CTL, kAll & ~RIOMMU_TR_REQ_CTL_GO_BUSY);
    EXPECT_EQ(rd64(RIOMMU_REG_TR_REQ_CTL),
              RIOMMU_TR_REQ_CTL_PRIV | RIOMMU_TR_REQ_CTL_EXE | RIOMMU_TR_REQ_CTL_NW |
                  RIOMMU_TR_REQ_CTL_PID | RIOMMU_TR_REQ_CTL_PV | RIOMMU_TR_REQ_CTL_DID);
    EXPECT_TRUE(riommu_idle(m));
}

// regs tr_response: RO.
TEST_F(ModelTest, Regs_TrResponse_ReadOnly) {
    Create();
    wr64(RIOMMU_REG_TR_RESPONSE, kAll);
    EXPECT_EQ(rd64(RIOMMU_REG_TR_RESPONSE), 0u);
}

// regs "Register layout": debug registers absent when capabilities.DBG = 0.
TEST_F(ModelTest, Regs_Dbg_AbsentWithoutCap) {
    cfg.capabilities &= ~RIOMMU_CAP_DBG;
    Create();
    wr64(RIOMMU_REG_TR_REQ_IOVA, kAll);
    wr64(RIOMMU_REG_TR_REQ_CTL, kAll);
    settle();
    EXPECT_EQ(rd64(RIOMMU_REG_TR_REQ_IOVA), 0u);
    EXPECT_EQ(rd64(RIOMMU_REG_TR_REQ_CTL), 0u);
    EXPECT_EQ(rd64(RIOMMU_REG_TR_RESPONSE), 0u);
    EXPECT_TRUE(riommu_idle(m));
}

// ===========================================================================
// regs iommu_qosid (capabilities.QOSID)
// ===========================================================================

// regs "Register layout": iommu_qosid absent when capabilities.QOSID = 0.
TEST_F(ModelTest, Regs_Qosid_AbsentWithoutCap) {
    Create();
    ASSERT_FALSE(cfg.capabilities & RIOMMU_CAP_QOSID);
    wr32(RIOMMU_REG_IOMMU_QOSID, 0xFFFFFFFFu);
    EXPECT_EQ(rd32(RIOMMU_REG_IOMMU_QOSID), 0u);
}

// regs iommu_qosid: RCID 11:0 and MCID 27:16 WARL to the implemented
// widths; WPRI bits read 0.
TEST_F(ModelTest, Regs_Qosid_WidthsFromConfig) {
    cfg.capabilities |= RIOMMU_CAP_QOSID;
    cfg.rcid_bits = 4;
    cfg.mcid_bits = 6;
    Create();
    EXPECT_EQ(rd32(RIOMMU_REG_IOMMU_QOSID), 0u);
    wr32(RIOMMU_REG_IOMMU_QOSID, 0xFFFFFFFFu);
    EXPECT_EQ(rd32(RIOMMU_REG_IOMMU_QOSID), 0x003F000Fu);
}

// regs iommu_qosid: full 12-bit widths by default.
TEST_F(ModelTest, Regs_Qosid_FullWidthByDefault) {
    cfg.capabilities |= RIOMMU_CAP_QOSID;
    Create();
    wr32(RIOMMU_REG_IOMMU_QOSID, 0xFFFFFFFFu);
    EXPECT_EQ(rd32(RIOMMU_REG_IOMMU_QOSID), 0x0FFF0FFFu);
}

// ===========================================================================
// regs icvec
// ===========================================================================

// linux §1.2 "Interrupt vector map", n = 1: 0x0000 (regs icvec "If an
// implementation only supports a single vector then all bits ... may be
// hardwired to 0").
TEST_F(ModelTest, Regs_Icvec_LinuxValueOneVector) {
    cfg.num_vectors = 1;
    Create();
    wr64(RIOMMU_REG_ICVEC, linux_icvec(1));
    EXPECT_EQ(rd64(RIOMMU_REG_ICVEC), 0x0000u);
    wr64(RIOMMU_REG_ICVEC, 0xFFFF);
    EXPECT_EQ(rd64(RIOMMU_REG_ICVEC), 0x0000u);
}

// linux §1.2 "Interrupt vector map", n = 2: 0x0110.
TEST_F(ModelTest, Regs_Icvec_LinuxValueTwoVectors) {
    cfg.num_vectors = 2;
    Create();
    ASSERT_EQ(linux_icvec(2), 0x0110u);
    wr64(RIOMMU_REG_ICVEC, linux_icvec(2));
    EXPECT_EQ(rd64(RIOMMU_REG_ICVEC), 0x0110u);
}

// linux §1.2 "Interrupt vector map", n = 3: 0x2010.
TEST_F(ModelTest, Regs_Icvec_LinuxValueThreeVectors) {
    cfg.num_vectors = 3;
    Create();
    ASSERT_EQ(linux_icvec(3), 0x2010u);
    wr64(RIOMMU_REG_ICVEC, linux_icvec(3));
    EXPECT_EQ(rd64(RIOMMU_REG_ICVEC), 0x2010u);
}

// linux §1.2 "Interrupt vector map", n = 4: 0x2310.
TEST_F(ModelTest, Regs_Icvec_LinuxValueFourVectors) {
    cfg.num_vectors = 4;
    Create();
    ASSERT_EQ(linux_icvec(4), 0x2310u);
    wr64(RIOMMU_REG_ICVEC, linux_icvec(4));
    EXPECT_EQ(rd64(RIOMMU_REG_ICVEC), 0x2310u);
}

// regs icvec WARL + linux §4 item 13: every field reads back below the number
// of vectors ("A model with hard-wired ICVEC must still read back values
// below irqs_count").
TEST_F(ModelTest, Regs_Icvec_FieldsAlwaysBelowNumVectors) {
    for (unsigned n = 1; n <= 16; n++) {
        cfg.num_vectors = (uint8_t)n;
        riommu_destroy(m);
        m = nullptr;
        Create();
        const uint64_t tries[] = {0xFFFF, 0xFEDC, 0x8421, 0x7777};
        for (uint64_t t : tries) {
            wr64(RIOMMU_REG_ICVEC, t);
            uint64_t v = rd64(RIOMMU_REG_ICVEC);
            for (unsigned f = 0; f < 4; f++)
                EXPECT_LT((v >> (4 * f)) & 0xF, n) << "n " << n << " write 0x" << std::hex << t;
        }
    }
}

// regs icvec with 16 vectors: the four fields are fully writable; reserved
// 31:16 and custom 63:32 read 0.
TEST_F(ModelTest, Regs_Icvec_FullWidthReservedZero) {
    Create();
    wr64(RIOMMU_REG_ICVEC, 0xFFFFFFFF0000FEDCull | 0xABCD0000ull);
    EXPECT_EQ(rd64(RIOMMU_REG_ICVEC), 0xFEDCu);
}

// linux §4 item 2: icvec as two 4-byte halves in either order.
TEST_F(ModelTest, Regs_Icvec_HalvesEitherOrder_Linux4Item2) {
    Create();
    wr32(RIOMMU_REG_ICVEC + 4, 0);
    wr32(RIOMMU_REG_ICVEC, 0x2310);
    EXPECT_EQ(rd64(RIOMMU_REG_ICVEC), 0x2310u);
    wr32(RIOMMU_REG_ICVEC, 0x0110);
    wr32(RIOMMU_REG_ICVEC + 4, 0xFFFFFFFFu);
    EXPECT_EQ(rd64(RIOMMU_REG_ICVEC), 0x0110u);
    EXPECT_EQ(rd32(RIOMMU_REG_ICVEC), 0x0110u);
    EXPECT_EQ(rd32(RIOMMU_REG_ICVEC + 4), 0u);
}

// ===========================================================================
// regs msi_cfg_tbl
// ===========================================================================

// regs msi_cfg_tbl "Message address": bits 1:0 fixed 0, ADDR 55:2 WARL,
// 63:56 reserved.
TEST_F(ModelTest, Regs_MsiCfgTbl_AddrBits55To2) {
    Create();
    for (unsigned i = 0; i < 16; i++) {
        wr64(RIOMMU_REG_MSI_ADDR(i), kAll);
        EXPECT_EQ(rd64(RIOMMU_REG_MSI_ADDR(i)), RIOMMU_MSI_ADDR_MASK) << "entry " << i;
    }
    wr64(RIOMMU_REG_MSI_ADDR(3), 0x00000000FEE01003ull);
    EXPECT_EQ(rd64(RIOMMU_REG_MSI_ADDR(3)), 0x00000000FEE01000ull);
}

// regs msi_cfg_tbl "Message data": 32 bits.
TEST_F(ModelTest, Regs_MsiCfgTbl_Data32Bits) {
    Create();
    wr32(RIOMMU_REG_MSI_DATA(5), 0xDEADBEEFu);
    EXPECT_EQ(rd32(RIOMMU_REG_MSI_DATA(5)), 0xDEADBEEFu);
}

// regs msi_cfg_tbl "Vector control": only M (bit 0) is writable.
TEST_F(ModelTest, Regs_MsiCfgTbl_VecCtlOnlyM) {
    Create();
    wr32(RIOMMU_REG_MSI_VEC_CTL(2), 0xFFFFFFFFu);
    EXPECT_EQ(rd32(RIOMMU_REG_MSI_VEC_CTL(2)), 1u);
    wr32(RIOMMU_REG_MSI_VEC_CTL(2), 0xFFFFFFFEu);
    EXPECT_EQ(rd32(RIOMMU_REG_MSI_VEC_CTL(2)), 0u);
}

// regs msi_cfg_tbl: data + vector control of one entry accessed as one
// 8-byte access (the PCIe MSI-X QWORD pattern; table layout "+008h").
TEST_F(ModelTest, Regs_MsiCfgTbl_DataCtl8ByteAccess) {
    Create();
    wr64(RIOMMU_REG_MSI_DATA(1), 0x00000001CAFEF00Dull);
    EXPECT_EQ(rd32(RIOMMU_REG_MSI_DATA(1)), 0xCAFEF00Du);
    EXPECT_EQ(rd32(RIOMMU_REG_MSI_VEC_CTL(1)), 1u);
    EXPECT_EQ(rd64(RIOMMU_REG_MSI_DATA(1)), 0x00000001CAFEF00Dull);
    wr64(RIOMMU_REG_MSI_DATA(1), 0x0000000012345678ull);
    EXPECT_EQ(rd64(RIOMMU_REG_MSI_DATA(1)), 0x0000000012345678ull);
}

// regs msi_cfg_tbl: entries at or above the number of implemented vectors
// read 0 and ignore writes.
TEST_F(ModelTest, Regs_MsiCfgTbl_EntriesBeyondNumVectorsReadZero) {
    cfg.num_vectors = 4;
    Create();
    for (unsigned i = 0; i < 16; i++) {
        wr64(RIOMMU_REG_MSI_ADDR(i), 0xFEE00000ull + 16 * i);
        wr32(RIOMMU_REG_MSI_DATA(i), 100 + i);
        wr32(RIOMMU_REG_MSI_VEC_CTL(i), 0);
        if (i < 4) {
            EXPECT_EQ(rd64(RIOMMU_REG_MSI_ADDR(i)), 0xFEE00000ull + 16 * i);
            EXPECT_EQ(rd32(RIOMMU_REG_MSI_DATA(i)), 100u + i);
        } else {
            EXPECT_EQ(rd64(RIOMMU_REG_MSI_ADDR(i)), 0u) << "entry " << i;
            EXPECT_EQ(rd32(RIOMMU_REG_MSI_DATA(i)), 0u) << "entry " << i;
            wr32(RIOMMU_REG_MSI_VEC_CTL(i), 1);
            EXPECT_EQ(rd32(RIOMMU_REG_MSI_VEC_CTL(i)), 0u) << "entry " << i;
        }
    }
}

// regs msi_cfg_tbl: "These registers are hardwired to 0 if
// capabilities.IGS == WSI".
TEST_F(ModelTest, Regs_MsiCfgTbl_AbsentWithIgsWsi) {
    cfg.capabilities = (cfg.capabilities & ~RIOMMU_CAP_IGS) |
                       RIOMMU_FIELD_PREP(RIOMMU_CAP_IGS, RIOMMU_IGS_WSI);
    Create();
    for (unsigned i = 0; i < 16; i++) {
        wr64(RIOMMU_REG_MSI_ADDR(i), 0xFEE00000ull);
        wr32(RIOMMU_REG_MSI_DATA(i), 7);
        wr32(RIOMMU_REG_MSI_VEC_CTL(i), 1);
        EXPECT_EQ(rd64(RIOMMU_REG_MSI_ADDR(i)), 0u);
        EXPECT_EQ(rd32(RIOMMU_REG_MSI_DATA(i)), 0u);
        EXPECT_EQ(rd32(RIOMMU_REG_MSI_VEC_CTL(i)), 0u);
    }
}

// ===========================================================================
// regs "Register layout": reserved and custom offsets
// ===========================================================================

// regs: "Registers ... designated for future standard use must be read-only
// zero ... custom use should be implemented as read-only zero" - offsets
// 0x0C (custom), 0x274-0x2AF (reserved), 0x2B0-0x2F7 (custom),
// 0x400-0xFFF (reserved).
TEST_F(ModelTest, Regs_Layout_ReservedAndCustomOffsetsReadZero) {
    Create();
    std::vector<uint32_t> offs = {0x0C};
    for (uint32_t o = 0x274; o < 0x2F8; o += 4)
        offs.push_back(o);
    for (uint32_t o = 0x400; o < 0x1000; o += 4)
        offs.push_back(o);
    for (uint32_t o : offs) {
        wr32(o, 0xFFFFFFFFu);
        EXPECT_EQ(rd32(o), 0u) << "offset 0x" << std::hex << o;
        EXPECT_EQ(riommu_peek_reg(m, o), 0u) << "offset 0x" << std::hex << o;
        EXPECT_EQ(riommu_reg_name(o), nullptr) << "offset 0x" << std::hex << o;
    }
    uint64_t v = 1;
    EXPECT_EQ(raw_rd(m, 0xFF8, 8, &v), RIOMMU_MMIO_OK);
    EXPECT_EQ(v, 0u);
}

// regs "Register layout": register names at their offsets.
TEST_F(ModelTest, Regs_Layout_NamesAtOffsets) {
    Create();
    EXPECT_STREQ(riommu_reg_name(0x000), "capabilities");
    EXPECT_STREQ(riommu_reg_name(0x008), "fctl");
    EXPECT_STREQ(riommu_reg_name(0x014), "ddtp");
    EXPECT_STREQ(riommu_reg_name(0x024), "cqt");
    EXPECT_STREQ(riommu_reg_name(0x054), "ipsr");
    EXPECT_STREQ(riommu_reg_name(0x068), "iohpmctr1");
    EXPECT_STREQ(riommu_reg_name(0x160), "iohpmevt1");
    EXPECT_STREQ(riommu_reg_name(0x250), "iohpmevt31");
    EXPECT_STREQ(riommu_reg_name(0x270), "iommu_qosid");
    EXPECT_STREQ(riommu_reg_name(0x2F8), "icvec");
    EXPECT_STREQ(riommu_reg_name(0x3FC), "msi_vec_ctl_15");
}

// ===========================================================================
// regs "MMIO access rules" (chapter introduction): sizes, alignment, range
// ===========================================================================

// regs: access size other than 4 or 8 is UNSPECIFIED - BAD_SIZE, reads 0,
// nothing changes.
TEST_F(ModelTest, Mmio_BadSizeRejected) {
    Create();
    const unsigned sizes[] = {0, 1, 2, 3, 16};
    for (unsigned sz : sizes) {
        uint64_t v = 0xAA;
        EXPECT_EQ(raw_rd(m, RIOMMU_REG_CAPABILITIES, sz, &v), RIOMMU_MMIO_BAD_SIZE);
        EXPECT_EQ(v, 0u);
        EXPECT_EQ(raw_wr(m, RIOMMU_REG_ICVEC, sz, 0x1111), RIOMMU_MMIO_BAD_SIZE);
    }
    EXPECT_EQ(rd64(RIOMMU_REG_ICVEC), 0u);
}

// regs: "address not aligned to the size of the access" - MISALIGNED.
TEST_F(ModelTest, Mmio_MisalignedRejected) {
    Create();
    uint64_t v = 0xAA;
    EXPECT_EQ(raw_rd(m, 0x2, 4, &v), RIOMMU_MMIO_MISALIGNED);
    EXPECT_EQ(v, 0u);
    EXPECT_EQ(raw_rd(m, RIOMMU_REG_DDTP + 4, 8, &v), RIOMMU_MMIO_MISALIGNED);
    EXPECT_EQ(raw_wr(m, RIOMMU_REG_DDTP + 4, 8, RIOMMU_DDTP_MODE_BARE), RIOMMU_MMIO_MISALIGNED);
    EXPECT_EQ(raw_wr(m, RIOMMU_REG_DDTP + 1, 4, RIOMMU_DDTP_MODE_BARE), RIOMMU_MMIO_MISALIGNED);
    EXPECT_EQ(raw_wr(m, RIOMMU_REG_ICVEC + 2, 4, 0x1111), RIOMMU_MMIO_MISALIGNED);
    EXPECT_EQ(rd64(RIOMMU_REG_DDTP), 0u);
    EXPECT_EQ(rd64(RIOMMU_REG_ICVEC), 0u);
    EXPECT_TRUE(riommu_idle(m));
}

// regs: the registers lie in one 4 KiB page - offsets beyond it are
// OUT_OF_RANGE.
TEST_F(ModelTest, Mmio_OutOfRangeRejected) {
    Create();
    uint64_t v = 0xAA;
    EXPECT_EQ(raw_rd(m, 0x1000, 4, &v), RIOMMU_MMIO_OUT_OF_RANGE);
    EXPECT_EQ(v, 0u);
    EXPECT_EQ(raw_rd(m, 0x1008, 8, &v), RIOMMU_MMIO_OUT_OF_RANGE);
    EXPECT_EQ(raw_wr(m, 0x2010, 8, RIOMMU_DDTP_MODE_BARE), RIOMMU_MMIO_OUT_OF_RANGE);
    EXPECT_EQ(raw_wr(m, 0xFFFFFFF0u, 8, 0), RIOMMU_MMIO_OUT_OF_RANGE);
    EXPECT_EQ(raw_rd(m, 0xFFC, 4, &v), RIOMMU_MMIO_OK);
    EXPECT_EQ(rd64(RIOMMU_REG_DDTP), 0u);
}

// regs: "if the access spans multiple registers ... UNSPECIFIED" - an 8-byte
// access over two 4-byte registers is SPANS_REGS and changes nothing.
TEST_F(ModelTest, Mmio_EightByteAcrossTwoRegistersRejected) {
    Create();
    wr64(RIOMMU_REG_CQB, qb_val(0x80000, 5));
    const uint32_t offs[] = {RIOMMU_REG_CQH, RIOMMU_REG_FQH, RIOMMU_REG_CQCSR,
                             RIOMMU_REG_IOCOUNTOVF};
    for (uint32_t o : offs) {
        uint64_t v = 0xAA;
        EXPECT_EQ(raw_rd(m, o, 8, &v), RIOMMU_MMIO_SPANS_REGS) << std::hex << o;
        EXPECT_EQ(v, 0u);
        EXPECT_EQ(raw_wr(m, o, 8, 0x0000000300000003ull), RIOMMU_MMIO_SPANS_REGS)
            << std::hex << o;
    }
    EXPECT_EQ(rd32(RIOMMU_REG_CQT), 0u);
    EXPECT_EQ(rd32(RIOMMU_REG_CQCSR), 0u);
    EXPECT_EQ(rd32(RIOMMU_REG_FQCSR), 0u);
    EXPECT_EQ(rd32(RIOMMU_REG_IOCOUNTINH), 0u);
    EXPECT_TRUE(riommu_idle(m));
}

// regs MMIO rules: rejected accesses are counted in mmio_errors, not in
// mmio_reads / mmio_writes.
TEST_F(ModelTest, Mmio_ErrorsCountedInStats) {
    Create();
    riommu_clear_stats(m);
    uint64_t v;
    raw_rd(m, 0x1, 4, &v);
    raw_wr(m, 0x1000, 4, 0);
    raw_wr(m, RIOMMU_REG_CQH, 8, 0);
    raw_rd(m, 0, 2, &v);
    rd32(RIOMMU_REG_FCTL);
    wr32(RIOMMU_REG_FCTL, 0);
    auto s = stats();
    EXPECT_EQ(s.mmio_errors, 4u);
    EXPECT_EQ(s.mmio_reads, 1u);
    EXPECT_EQ(s.mmio_writes, 1u);
}

// regs: riommu_peek_reg returns the register value without side effects
// (no stats), 4-byte halves of 8-byte registers, and 0 beyond the window.
TEST_F(ModelTest, Mmio_PeekRegHalvesAndNoSideEffects) {
    Create();
    wr64(RIOMMU_REG_CQB, qb_val(0x123456789ull, 4));
    riommu_clear_stats(m);
    EXPECT_EQ(riommu_peek_reg(m, RIOMMU_REG_CQB), qb_val(0x123456789ull, 4));
    EXPECT_EQ(riommu_peek_reg(m, RIOMMU_REG_CQB + 4), qb_val(0x123456789ull, 4) >> 32);
    EXPECT_EQ(riommu_peek_reg(m, 0x1000), 0u);
    EXPECT_EQ(stats().mmio_reads, 0u);
}

// ===========================================================================
// Linux programming values and sequences (linux §1.1, §1.2, §2.3, §2.4)
// ===========================================================================

// linux §2.3 "Register and structure values": root at 0x8010_0000 in 3LVL
// gives ddtp 0x2004_0004, read back exactly (linux §2.4 item 2).
TEST_F(ModelTest, Regs_Ddtp_LinuxEncodingExample_Linux23) {
    Create();
    uint64_t v = ((0x80100000ull >> 2) & RIOMMU_GENMASK(53, 10)) | RIOMMU_DDTP_MODE_3LVL;
    ASSERT_EQ(v, 0x20040004ull);
    wr64(RIOMMU_REG_DDTP, v);
    settle();
    EXPECT_EQ(rd64(RIOMMU_REG_DDTP), 0x20040004ull);
}

// linux §2.3: ring at 0x8020_0000 with 8192 entries gives cqb 0x2008_000C.
TEST_F(ModelTest, Regs_Cqb_LinuxEncodingExample_Linux23) {
    Create();
    uint64_t v = ((0x80200000ull >> 2) & RIOMMU_GENMASK(53, 10)) | 12;
    ASSERT_EQ(v, 0x2008000Cull);
    wr64(RIOMMU_REG_CQB, v);
    EXPECT_EQ(rd64(RIOMMU_REG_CQB), 0x2008000Cull);
}

// linux §2.4 item 5 / §1.5 "CQ thread" step 2: writing back the value just
// read clears the W1C error bits and keeps the queue enabled (no BUSY cycle,
// cqon stays).
TEST_F(ModelTest, Regs_Cqcsr_WriteBackReadValueClearsErrors_Linux24Item5) {
    Create();
    enable_cq(5, RIOMMU_CQCSR_CIE);
    submit({0, 0});
    settle();
    uint32_t v = rd32(RIOMMU_REG_CQCSR);
    ASSERT_EQ(v, (uint32_t)(RIOMMU_CQCSR_CQEN | RIOMMU_CQCSR_CIE | RIOMMU_CQCSR_CMD_ILL |
                            RIOMMU_CQCSR_CQON));
    wr32(RIOMMU_REG_CQCSR, v);
    EXPECT_EQ(rd32(RIOMMU_REG_CQCSR),
              (uint32_t)(RIOMMU_CQCSR_CQEN | RIOMMU_CQCSR_CIE | RIOMMU_CQCSR_CQON));
}

// linux §2.4 item 12 "Hard-wired placement": a command queue at a WARL-fixed
// PPN, found by the 0x1F probe, executes commands from there.
TEST_F(ModelTest, Regs_Cqb_FixedRingLocationWorks_Linux24Item12) {
    cfg.cq_fixed_ppn = 0x90000;
    Create();
    wr64(RIOMMU_REG_CQB, 0x1F);
    uint64_t probe = rd64(RIOMMU_REG_CQB);
    cq_base = RIOMMU_FIELD_GET(probe, RIOMMU_QB_PPN) << 12;
    ASSERT_EQ(cq_base, 0x90000000ull);
    cq_mask = (2u << 3) - 1;
    wr64(RIOMMU_REG_CQB, qb_val(0x90000, 3));
    ASSERT_EQ(rd64(RIOMMU_REG_CQB), qb_val(0x90000, 3));
    wr32(RIOMMU_REG_CQCSR, 0x103);
    settle();
    ASSERT_EQ(rd32(RIOMMU_REG_CQCSR), 0x10003u);
    EXPECT_EQ(run(iodir_inval_ddt()), 1u);
    EXPECT_EQ(run(iofence()), 2u);
}

// linux §2.4 item 12 / §1.3 "Root allocation": a DDT root at a hard-wired
// ddtp.PPN is used for translation.
TEST_F(ModelTest, Regs_Ddtp_FixedRootLocationWorks_Linux24Item12) {
    cfg.ddtp_fixed_ppn = 0x90000;
    Create();
    wr64(RIOMMU_REG_DDTP, RIOMMU_DDTP_MODE_OFF);
    settle();
    ddt_root = RIOMMU_FIELD_GET(rd64(RIOMMU_REG_DDTP), RIOMMU_DDTP_PPN) << 12;
    ASSERT_EQ(ddt_root, 0x90000000ull);
    ddt_mode = RIOMMU_DDTP_MODE_1LVL;
    uint64_t root = new_root();
    map(root, 8, 0x5000, 0xA0000000, RWUAD);
    attach_s1(7, root, 8, 3);
    wr64(RIOMMU_REG_DDTP, RIOMMU_DDTP_MODE_1LVL); // PPN written 0: fixed anyway
    settle();
    EXPECT_EQ(rd64(RIOMMU_REG_DDTP), ddtp_val(0x90000, RIOMMU_DDTP_MODE_1LVL));
    expect_ok(7, 0x5010, RIOMMU_READ, 0xA0000010);
}

// linux §1.1 PCI step 6: IGS=BOTH with fctl.WSI reset to 1 - the driver
// writes it back cleared and it reads 0 (regs fctl.WSI WARL).
TEST_F(ModelTest, Regs_Fctl_LinuxPciClearsWsi_Linux11) {
    cfg.fctl_reset = RIOMMU_FCTL_WSI;
    Create();
    uint32_t f = rd32(RIOMMU_REG_FCTL);
    ASSERT_TRUE(f & RIOMMU_FCTL_WSI);
    wr32(RIOMMU_REG_FCTL, f & ~(uint32_t)RIOMMU_FCTL_WSI);
    EXPECT_EQ(rd32(RIOMMU_REG_FCTL), 0u);
}

// linux §1.2 item 2 kdump best-effort disable: ddtp=0, cqcsr=0, fqcsr=0,
// pqcsr=0 written back-to-back without polling; everything ends off.
TEST_F(ModelTest, Regs_LinuxKdumpDisableSequence_Linux12) {
    Create();
    enable_cq();
    enable_fq();
    setup_ddt(RIOMMU_DDTP_MODE_3LVL);
    wr64(RIOMMU_REG_DDTP, 0);
    wr32(RIOMMU_REG_CQCSR, 0);
    wr32(RIOMMU_REG_FQCSR, 0);
    wr32(RIOMMU_REG_PQCSR, 0);
    settle();
    EXPECT_EQ(rd64(RIOMMU_REG_DDTP) & (RIOMMU_DDTP_MODE | RIOMMU_DDTP_BUSY), 0u);
    EXPECT_EQ(rd32(RIOMMU_REG_CQCSR), 0u);
    EXPECT_EQ(rd32(RIOMMU_REG_FQCSR), 0u);
    EXPECT_EQ(rd32(RIOMMU_REG_PQCSR), 0u);
}

// regs iommu_qosid: "When ddtp.iommu_mode == Bare, all device-originated
// requests are associated with the QoS IDs configured in the iommu_qosid
// register".
TEST_F(ModelTest, Regs_Qosid_BareModeRequestsUseIommuQosid) {
    cfg.capabilities |= RIOMMU_CAP_QOSID;
    Create();
    wr32(RIOMMU_REG_IOMMU_QOSID, RIOMMU_FIELD_PREP(RIOMMU_QOSID_RCID, 5) |
                                     RIOMMU_FIELD_PREP(RIOMMU_QOSID_MCID, 9));
    wr64(RIOMMU_REG_DDTP, RIOMMU_DDTP_MODE_BARE);
    settle();
    auto r = xlate(1, 0x1000);
    EXPECT_EQ(r.status, RIOMMU_RSP_OK);
    EXPECT_EQ(r.rcid, 5u);
    EXPECT_EQ(r.mcid, 9u);
}

// regs "Reset behavior": ddtp.busy is 0 after reset even if a BUSY window was
// running (linux §2.4 item 1).
TEST_F(ModelTest, Regs_ResetBehavior_ResetClearsRunningBusy_Linux24Item1) {
    Create();
    wr64(RIOMMU_REG_CQB, qb_val(0x80000, 5));
    wr64(RIOMMU_REG_DDTP, RIOMMU_DDTP_MODE_BARE);
    wr32(RIOMMU_REG_CQCSR, RIOMMU_CQCSR_CQEN);
    ASSERT_TRUE(rd64(RIOMMU_REG_DDTP) & RIOMMU_DDTP_BUSY);
    riommu_reset(m);
    EXPECT_EQ(rd64(RIOMMU_REG_DDTP), 0u);
    EXPECT_EQ(rd32(RIOMMU_REG_CQCSR), 0u);
    EXPECT_TRUE(riommu_idle(m));
    settle();
    EXPECT_EQ(rd64(RIOMMU_REG_DDTP), 0u);
}
