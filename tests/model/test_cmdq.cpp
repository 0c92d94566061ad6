// test_cmdq.cpp - the command queue (q "Command-Queue (CQ)", "IOMMU
// Page-Table cache invalidation commands", "IOMMU Command-queue Fence
// commands", "IOMMU directory cache invalidation commands", "IOMMU PCIe ATS
// commands"; regs "cqb", "cqh", "cqt", "cqcsr"; linux §2.3 encodings, §2.4
// items 4-7, §4 items 3, 6 and 11; riscv-iommu issue #254).
#include "fixture.h"

using namespace rt;

namespace {

constexpr unsigned SV39 = RIOMMU_IOSATP_MODE_SV39;
constexpr uint64_t FLAG = 0x70000000ull; // IOFENCE.C AV target in plain memory

#define BRINGUP()                                                              \
    ASSERT_NO_FATAL_FAILURE({                                                  \
        Create();                                                              \
        enable_cq();                                                           \
        enable_fq();                                                           \
        setup_ddt();                                                           \
    })

#define CQ_UP()                                                                \
    ASSERT_NO_FATAL_FAILURE({                                                  \
        Create();                                                              \
        enable_cq();                                                           \
    })

// q "Command-Queue": "If an illegal or unsupported command is fetched and
// decoded by the command-queue then the command-queue sets the cqcsr.cmd_ill
// bit and stops processing commands" and (linux §4 items 6, 11) cqh stays on
// the bad command; a later command (an IOFENCE.C AV=1 with a visible write)
// does not run. Then the slot is repaired with a no-op IOFENCE.C, cmd_ill is
// cleared by writing back the value read (W1C, linux §1.5) and processing
// resumes from cqh.
#define CHECK_ILLEGAL(D0, D1)                                                  \
    do {                                                                       \
        SCOPED_TRACE(::testing::Message() << "cmd " << std::hex << (D0) << " / " \
                                          << (D1));                            \
        uint32_t h0 = rd32(RIOMMU_REG_CQH);                                    \
        mem.w32(FLAG, 0);                                                      \
        uint64_t ill0 = stats().commands_illegal;                              \
        submit(Cmd{(D0), (D1)});                                               \
        submit(iofence(true, true, true, FLAG, 0xC0DE));                       \
        settle();                                                              \
        EXPECT_TRUE(rd32(RIOMMU_REG_CQCSR) & RIOMMU_CQCSR_CMD_ILL);            \
        EXPECT_EQ(rd32(RIOMMU_REG_CQH), h0);                                   \
        EXPECT_EQ(mem.r32(FLAG), 0u) << "command after cmd_ill executed";      \
        EXPECT_EQ(stats().commands_illegal, ill0 + 1);                         \
        Cmd nop = iofence();                                                   \
        mem.w64(cq_base + h0 * 16ull, nop.d0);                                 \
        mem.w64(cq_base + h0 * 16ull + 8, nop.d1);                             \
        wr32(RIOMMU_REG_CQCSR, rd32(RIOMMU_REG_CQCSR));                        \
        settle();                                                              \
        EXPECT_FALSE(rd32(RIOMMU_REG_CQCSR) & RIOMMU_CQCSR_CMD_ILL);           \
        EXPECT_TRUE(rd32(RIOMMU_REG_CQCSR) & RIOMMU_CQCSR_CQON);               \
        EXPECT_EQ(rd32(RIOMMU_REG_CQH), (h0 + 2) & cq_mask);                   \
        EXPECT_EQ(mem.r32(FLAG), 0xC0DEu);                                     \
    } while (0)

uint64_t swap64(uint64_t v) { return __builtin_bswap64(v); }

} // namespace

// ---- linux §2.3 encodings as test vectors ------------------------------------

// linux §2.3: the fixture encoders produce exactly the documented vectors.
TEST_F(ModelTest, Cmdq_LinuxVectors_FixtureEncodersMatch) {
    Cmd c = iotinval_vma();
    EXPECT_EQ(c.d0, 0x1u);
    EXPECT_EQ(c.d1, 0u);
    c = iotinval_vma(false, 0, true, 1);
    EXPECT_EQ(c.d0, 0x0000000100001001ull);
    c = iotinval_vma(false, 0, true, 1, true, 0x1000);
    EXPECT_EQ(c.d0, 0x0000000100001401ull);
    EXPECT_EQ(c.d1, 0x400u);
    c = iofence();
    EXPECT_EQ(c.d0, 0x3002u);
    EXPECT_EQ(c.d1, 0u);
    c = iodir_inval_ddt();
    EXPECT_EQ(c.d0, 0x3u);
    c = iodir_inval_ddt(true, 0x10);
    EXPECT_EQ(c.d0, 0x0000100200000003ull);
}

// linux §2.3 "IOTINVAL.VMA, global" 0x1 / 0: everything goes.
TEST_F(ModelTest, Cmdq_LinuxVector_IotinvalGlobal) {
    BRINGUP();
    uint64_t ra = new_root(), rb = new_root();
    map(ra, SV39, 0x1000, 0x90001000, RWUAD);
    map(rb, SV39, 0x1000, 0x91001000, RWUAD | G);
    attach_s1(1, ra, SV39, 1);
    attach_s1(2, rb, SV39, 2);
    expect_ok(1, 0x1000, RIOMMU_READ, 0x90001000);
    expect_ok(2, 0x1000, RIOMMU_READ, 0x91001000);
    EXPECT_EQ(run(Cmd{0x1, 0}), 1u);
    EXPECT_EQ(riommu_cache_occupancy(m, RIOMMU_CACHE_IOTLB), 0u);
}

// linux §2.3 "IOTINVAL.VMA by PSCID" 0x0000_0001_0000_1001 / 0.
TEST_F(ModelTest, Cmdq_LinuxVector_IotinvalPscid1) {
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
    EXPECT_EQ(run(Cmd{0x0000000100001001ull, 0}), 1u);
    EXPECT_FALSE(riommu_iotlb_contains(m, false, 0, true, 1, 0x1000));
    EXPECT_FALSE(riommu_iotlb_contains(m, false, 0, true, 1, 0x2000));
    EXPECT_TRUE(riommu_iotlb_contains(m, false, 0, true, 2, 0x1000));
}

// linux §2.3 "IOTINVAL.VMA by PSCID and page" 0x0000_0001_0000_1401 / 0x400:
// only PSCID 1, page 0x1000.
TEST_F(ModelTest, Cmdq_LinuxVector_IotinvalPscid1Page0x1000) {
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
    EXPECT_EQ(run(Cmd{0x0000000100001401ull, 0x400}), 1u);
    EXPECT_FALSE(riommu_iotlb_contains(m, false, 0, true, 1, 0x1000));
    EXPECT_TRUE(riommu_iotlb_contains(m, false, 0, true, 1, 0x2000));
    EXPECT_TRUE(riommu_iotlb_contains(m, false, 0, true, 2, 0x1000));
}

// linux §2.3 "IOFENCE.C" 0x3002 / 0 and §1.6: completion is cqh moving past
// the fence; nothing is written to memory with AV=0.
TEST_F(ModelTest, Cmdq_LinuxVector_IofenceCompletionAdvancesCqh) {
    CQ_UP();
    size_t writes = mem.writes.size();
    EXPECT_EQ(run(Cmd{0x3002, 0}), 1u);
    EXPECT_EQ(run(Cmd{0x3002, 0}), 2u);
    EXPECT_EQ(mem.writes.size(), writes);
    EXPECT_EQ(stats().commands[RIOMMU_CMD_OP_IOFENCE][0], 2u);
    EXPECT_FALSE(rd32(RIOMMU_REG_CQCSR) &
                 (RIOMMU_CQCSR_CMD_ILL | RIOMMU_CQCSR_CQMF | RIOMMU_CQCSR_FENCE_W_IP));
}

// linux §2.3 "IODIR.INVAL_DDT, all" 0x3 / 0 and "one device" (DID 0x10)
// 0x0000_1002_0000_0003 / 0.
TEST_F(ModelTest, Cmdq_LinuxVector_IodirAllAndOneDevice) {
    BRINGUP();
    for (uint32_t d : {0x10u, 0x11u, 0x12u})
        set_dc(d, RIOMMU_DC_TC_V, 0, 0, 0);
    for (uint32_t d : {0x10u, 0x11u, 0x12u})
        expect_ok(d, 0x1000, RIOMMU_READ, 0x1000);
    EXPECT_EQ(run(Cmd{0x0000100200000003ull, 0}), 1u);
    EXPECT_FALSE(riommu_ddtc_contains(m, 0x10));
    EXPECT_TRUE(riommu_ddtc_contains(m, 0x11));
    EXPECT_TRUE(riommu_ddtc_contains(m, 0x12));
    EXPECT_EQ(run(Cmd{0x3, 0}), 2u);
    EXPECT_EQ(riommu_cache_occupancy(m, RIOMMU_CACHE_DDTC), 0u);
}

// ---- operand handling ------------------------------------------------------------

// q "IOTINVAL": "When PSCV operand is 0, the PSCID operand is ignored", "When
// GV is 0, the GSCID operand is ignored", "When AV is 0, the ADDR operand is
// ignored".
TEST_F(ModelTest, Cmdq_IotinvalIgnoredOperands) {
    BRINGUP();
    uint64_t ra = new_root(), rb = new_root();
    map(ra, SV39, 0x1000, 0x90001000, RWUAD);
    map(rb, SV39, 0x2000, 0x91002000, RWUAD);
    attach_s1(1, ra, SV39, 1);
    attach_s1(2, rb, SV39, 2);
    auto fill = [&] {
        expect_ok(1, 0x1000, RIOMMU_READ, 0x90001000);
        expect_ok(2, 0x2000, RIOMMU_READ, 0x91002000);
        ASSERT_EQ(riommu_cache_occupancy(m, RIOMMU_CACHE_IOTLB), 2u);
    };
    fill();
    // PSCV=0 with PSCID=1 in the field: all host address spaces.
    run(Cmd{RIOMMU_CMD_OP_IOTINVAL | RIOMMU_FIELD_PREP(RIOMMU_IOTINVAL_PSCID, 1), 0});
    EXPECT_EQ(riommu_cache_occupancy(m, RIOMMU_CACHE_IOTLB), 0u);
    fill();
    // GV=0 with GSCID=5: still the host address spaces.
    run(Cmd{RIOMMU_CMD_OP_IOTINVAL | RIOMMU_FIELD_PREP(RIOMMU_IOTINVAL_GSCID, 5), 0});
    EXPECT_EQ(riommu_cache_occupancy(m, RIOMMU_CACHE_IOTLB), 0u);
    fill();
    // AV=0 with ADDR=0x1000: not address specific.
    run(Cmd{RIOMMU_CMD_OP_IOTINVAL, 0x400});
    EXPECT_EQ(riommu_cache_occupancy(m, RIOMMU_CACHE_IOTLB), 0u);
    EXPECT_EQ(rd32(RIOMMU_REG_CQH), 3u);
}

// q "IOTINVAL": GV=1 operates on VM address spaces only; host (GV=0) entries
// are untouched by a GV=1 IOTINVAL.VMA.
TEST_F(ModelTest, Cmdq_IotinvalGv1LeavesHostEntries) {
    BRINGUP();
    uint64_t root = new_root();
    map(root, SV39, 0x1000, 0x90001000, RWUAD);
    attach_s1(1, root, SV39, 1);
    expect_ok(1, 0x1000, RIOMMU_READ, 0x90001000);
    EXPECT_EQ(run(iotinval_vma(true, 0)), 1u);
    EXPECT_FALSE(rd32(RIOMMU_REG_CQCSR) & RIOMMU_CQCSR_CMD_ILL);
    EXPECT_TRUE(riommu_iotlb_contains(m, false, 0, true, 1, 0x1000));
}

// ---- IOFENCE.C ---------------------------------------------------------------------

// q "IOFENCE.C": "If AV=1, the IOMMU writes DATA to memory at a 4-byte aligned
// address ADDR[63:2] * 4 as a 4-byte store when the command completes."
TEST_F(ModelTest, Cmdq_IofenceAvWritesData) {
    CQ_UP();
    mem.w64(FLAG, 0x1111111111111111ull);
    mem.w64(FLAG + 8, 0x1111111111111111ull);
    EXPECT_EQ(run(iofence(true, true, true, FLAG + 4, 0xDEADBEEF)), 1u);
    ASSERT_EQ(mem.count_writes(RIOMMU_ACC_FENCE_DATA), 1u);
    const auto &w = mem.writes.back();
    EXPECT_EQ(w.kind, RIOMMU_ACC_FENCE_DATA);
    EXPECT_EQ(w.pa, FLAG + 4);
    EXPECT_EQ(w.bytes.size(), 4u);
    EXPECT_EQ(mem.r32(FLAG + 4), 0xDEADBEEFu);
    EXPECT_EQ(mem.r32(FLAG), 0x11111111u) << "only 4 bytes written";
    EXPECT_EQ(mem.r32(FLAG + 8), 0x11111111u);
    EXPECT_FALSE(rd32(RIOMMU_REG_CQCSR) & RIOMMU_CQCSR_CQMF);
}

// q "IOFENCE.C" + riscv-iommu issue #254: a memory fault on the AV write sets
// cqmf, "the cqh holds the index of the IOFENCE.C that encountered such a
// memory fault and did not complete"; later commands wait; earlier ones are
// done. Clearing cqmf (W1C) retries the fence.
TEST_F(ModelTest, Cmdq_IofenceAvFaultSetsCqmfCqhOnFence) {
    BRINGUP();
    set_dc(5, RIOMMU_DC_TC_V, 0, 0, 0);
    expect_ok(5, 0x1000, RIOMMU_READ, 0x1000);
    uint64_t root = new_root();
    map(root, SV39, 0x1000, 0x90001000, RWUAD);
    attach_s1(1, root, SV39, 1);
    expect_ok(1, 0x1000, RIOMMU_READ, 0x90001000);
    mem.fault.push_back({FLAG, FLAG + 0x1000});
    submit(iotinval_vma());                             // 0: completes
    submit(iofence(true, true, true, FLAG, 0xABCD));    // 1: faults
    submit(iodir_inval_ddt());                          // 2: must wait
    settle();
    uint32_t csr = rd32(RIOMMU_REG_CQCSR);
    EXPECT_TRUE(csr & RIOMMU_CQCSR_CQMF);
    EXPECT_FALSE(csr & RIOMMU_CQCSR_CMD_ILL);
    EXPECT_EQ(rd32(RIOMMU_REG_CQH), 1u);
    EXPECT_EQ(riommu_cache_occupancy(m, RIOMMU_CACHE_IOTLB), 0u) << "IOTINVAL done";
    EXPECT_TRUE(riommu_ddtc_contains(m, 5)) << "IODIR after the fence ran";
    EXPECT_EQ(mem.count_writes(RIOMMU_ACC_FENCE_DATA), 0u);
    EXPECT_TRUE(riommu_idle(m));
    // Still stalled after more time passes.
    riommu_step(m, 1000);
    EXPECT_EQ(rd32(RIOMMU_REG_CQH), 1u);
    // Fix the memory, clear cqmf: the fence runs again, then the IODIR.
    mem.fault.clear();
    wr32(RIOMMU_REG_CQCSR, RIOMMU_CQCSR_CQEN | RIOMMU_CQCSR_CQMF);
    settle();
    EXPECT_FALSE(rd32(RIOMMU_REG_CQCSR) & RIOMMU_CQCSR_CQMF);
    EXPECT_EQ(rd32(RIOMMU_REG_CQH), 3u);
    EXPECT_EQ(mem.r32(FLAG), 0xABCDu);
    EXPECT_FALSE(riommu_ddtc_contains(m, 5));
}

// q "IOFENCE.C" AV write to an address at or above 2^PAS is a memory fault
// (riommu_config.check_pas) -> cqmf.
TEST_F(ModelTest, Cmdq_IofenceAvBeyondPasSetsCqmf) {
    CQ_UP();
    EXPECT_EQ(run(iofence(true, true, true, 1ull << 56, 1)), 0u);
    EXPECT_TRUE(rd32(RIOMMU_REG_CQCSR) & RIOMMU_CQCSR_CQMF);
    EXPECT_EQ(mem.count_writes(RIOMMU_ACC_FENCE_DATA), 0u);
}

// q "Command-Queue": cqmf (and cmd_ill) set cip in ipsr when cqcsr.cie = 1;
// with cie = 0 the error is held but no interrupt is pending.
TEST_F(ModelTest, Cmdq_CqErrorRaisesCipOnlyWithCie) {
    Create();
    ASSERT_NO_FATAL_FAILURE(enable_cq(5, RIOMMU_CQCSR_CIE));
    mem.fault.push_back({FLAG, FLAG + 4});
    run(iofence(true, true, true, FLAG, 1));
    EXPECT_TRUE(rd32(RIOMMU_REG_CQCSR) & RIOMMU_CQCSR_CQMF);
    EXPECT_TRUE(rd32(RIOMMU_REG_IPSR) & RIOMMU_IPSR_CIP);
}
TEST_F(ModelTest, Cmdq_CmdIllWithoutCieNoCip) {
    CQ_UP();
    run(Cmd{0, 0});
    EXPECT_TRUE(rd32(RIOMMU_REG_CQCSR) & RIOMMU_CQCSR_CMD_ILL);
    EXPECT_FALSE(rd32(RIOMMU_REG_IPSR) & RIOMMU_IPSR_CIP);
}

// q "IOFENCE.C": WSI=1 sets cqcsr.fence_w_ip on completion (wired interrupts
// enabled, fctl.WSI = 1); with cie the CQ vector's wire goes high.
TEST_F(ModelTest, Cmdq_IofenceWsiSetsFenceWIp) {
    cfg.fctl_reset = RIOMMU_FCTL_WSI;
    Create();
    ASSERT_EQ(rd32(RIOMMU_REG_FCTL) & RIOMMU_FCTL_WSI, RIOMMU_FCTL_WSI);
    ASSERT_NO_FATAL_FAILURE(enable_cq(5, RIOMMU_CQCSR_CIE));
    EXPECT_EQ(run(iofence(true, true, false, 0, 0, true)), 1u);
    EXPECT_TRUE(rd32(RIOMMU_REG_CQCSR) & RIOMMU_CQCSR_FENCE_W_IP);
    EXPECT_TRUE(rd32(RIOMMU_REG_IPSR) & RIOMMU_IPSR_CIP);
    EXPECT_TRUE(wires & 1u) << "civ = 0";
    // fence_w_ip is W1C; the queue keeps running.
    wr32(RIOMMU_REG_CQCSR, RIOMMU_CQCSR_CQEN | RIOMMU_CQCSR_CIE | RIOMMU_CQCSR_FENCE_W_IP);
    wr32(RIOMMU_REG_IPSR, RIOMMU_IPSR_CIP);
    EXPECT_FALSE(rd32(RIOMMU_REG_CQCSR) & RIOMMU_CQCSR_FENCE_W_IP);
    EXPECT_FALSE(wires & 1u);
    EXPECT_EQ(run(iofence()), 2u);
}

// q "Command-Queue": "The commands are interpreted as two 64-bit doublewords.
// The byte order ... is the endianness as determined by fctl.BE"; the AV
// write of IOFENCE.C follows the same byte order.
TEST_F(ModelTest, Cmdq_BigEndianCommandsAndFenceData) {
    cfg.fctl_reset = RIOMMU_FCTL_BE;
    Create();
    ASSERT_NO_FATAL_FAILURE(enable_cq());
    Cmd f = iofence(true, true, true, FLAG, 0x11223344);
    mem.w64(cq_base, swap64(f.d0));
    mem.w64(cq_base + 8, swap64(f.d1));
    wr32(RIOMMU_REG_CQT, 1);
    settle();
    EXPECT_EQ(rd32(RIOMMU_REG_CQH), 1u);
    EXPECT_FALSE(rd32(RIOMMU_REG_CQCSR) & RIOMMU_CQCSR_CMD_ILL);
    uint8_t b[4];
    mem.read(FLAG, b, 4);
    EXPECT_EQ(b[0], 0x11);
    EXPECT_EQ(b[3], 0x44);
    // A little-endian encoded fence is garbage in BE mode -> illegal.
    submit(iofence());
    settle();
    EXPECT_TRUE(rd32(RIOMMU_REG_CQCSR) & RIOMMU_CQCSR_CMD_ILL);
}

// q "IOFENCE.C": "guarantees that all previous commands fetched from the CQ
// have been completed and committed" - with cmd_lat the fence completes only
// after the earlier invalidation has taken effect.
TEST_F(ModelTest, Cmdq_IofenceCompletesAfterEarlierCommands) {
    cfg.timing.cmd_lat = 10;
    cfg.timing.mem_lat = 0;  // no fetch cost: each command takes cmd_lat
    cfg.walkc.lat = 0;       // and no invalidation scan cost
    cfg.iotlb.lat = 0;
    BRINGUP();
    uint64_t root = new_root();
    map(root, SV39, 0x1000, 0x90001000, RWUAD);
    attach_s1(1, root, SV39, 1);
    expect_ok(1, 0x1000, RIOMMU_READ, 0x90001000);
    submit(iotinval_vma(false, 0, true, 1));
    submit(iofence(true, true, true, FLAG, 7));
    EXPECT_EQ(rd32(RIOMMU_REG_CQH), 0u);
    EXPECT_TRUE(riommu_iotlb_contains(m, false, 0, true, 1, 0x1000));
    riommu_step(m, 10);
    EXPECT_EQ(rd32(RIOMMU_REG_CQH), 1u);
    EXPECT_FALSE(riommu_iotlb_contains(m, false, 0, true, 1, 0x1000));
    EXPECT_EQ(mem.r32(FLAG), 0u);
    riommu_step(m, 10);
    EXPECT_EQ(rd32(RIOMMU_REG_CQH), 2u);
    EXPECT_EQ(mem.r32(FLAG), 7u);
}

// ---- illegal commands (q "Command-Queue": reserved encodings, reserved bits,
// unsupported commands) ---------------------------------------------------------------

// q "IOMMU command opcodes": 0 and 5-63 reserved, 64-127 custom (not
// implemented -> unsupported).
TEST_F(ModelTest, Cmdq_Illegal_ReservedAndCustomOpcodes) {
    CQ_UP();
    CHECK_ILLEGAL(0x0ull, 0ull);
    CHECK_ILLEGAL(0x5ull, 0ull);
    CHECK_ILLEGAL(0x3Full, 0ull);
    CHECK_ILLEGAL(0x40ull, 0ull);
    CHECK_ILLEGAL(0x7Full | (7ull << 7), 0ull);
}

// q "Command-Queue": "All undefined functions of command opcodes 0 through
// 63 are reserved" - IOTINVAL func3 2..7, IOFENCE func3 1..7, IODIR 2..7.
TEST_F(ModelTest, Cmdq_Illegal_BadFunc3) {
    CQ_UP();
    for (uint64_t f = 2; f < 8; f++)
        CHECK_ILLEGAL(RIOMMU_CMD_OP_IOTINVAL | (f << 7), 0ull);
    for (uint64_t f = 1; f < 8; f++)
        CHECK_ILLEGAL(RIOMMU_CMD_OP_IOFENCE | (f << 7) | RIOMMU_IOFENCE_PR, 0ull);
    for (uint64_t f = 2; f < 8; f++)
        CHECK_ILLEGAL(RIOMMU_CMD_OP_IODIR | (f << 7), 0ull);
}

// q "IOTINVAL" format: rsvd bit 11, bits 43:35 (34 is NL), 63:60 of dword0;
// dword1 bits 8:0 (9 is S) and 63:62.
TEST_F(ModelTest, Cmdq_Illegal_IotinvalReservedBits) {
    CQ_UP();
    for (unsigned b : {11u, 35u, 39u, 43u, 60u, 63u})
        CHECK_ILLEGAL(RIOMMU_CMD_OP_IOTINVAL | (1ull << b), 0ull);
    for (unsigned b : {0u, 5u, 8u, 62u, 63u})
        CHECK_ILLEGAL(RIOMMU_CMD_OP_IOTINVAL | RIOMMU_IOTINVAL_AV, 0x400ull | (1ull << b));
    // Reserved dword1 bits are reserved even when AV = 0.
    CHECK_ILLEGAL(RIOMMU_CMD_OP_IOTINVAL, 1ull << 62);
}

// q "IOFENCE.C" format: rsvd dword0 bits 31:14, dword1 bits 63:62.
TEST_F(ModelTest, Cmdq_Illegal_IofenceReservedBits) {
    CQ_UP();
    for (unsigned b : {14u, 20u, 31u})
        CHECK_ILLEGAL(RIOMMU_CMD_OP_IOFENCE | RIOMMU_IOFENCE_PR | (1ull << b), 0ull);
    CHECK_ILLEGAL(RIOMMU_CMD_OP_IOFENCE | RIOMMU_IOFENCE_AV, (FLAG >> 2) | (1ull << 63));
}

// q "IOFENCE.C": WSI "is reserved if ... wired-interrupts have not been
// enabled (i.e. fctl.WSI == 0)".
TEST_F(ModelTest, Cmdq_Illegal_IofenceWsiWithoutFctlWsi) {
    CQ_UP();
    ASSERT_FALSE(rd32(RIOMMU_REG_FCTL) & RIOMMU_FCTL_WSI);
    CHECK_ILLEGAL(iofence(true, true, false, 0, 0, true).d0, 0ull);
    EXPECT_FALSE(rd32(RIOMMU_REG_CQCSR) & RIOMMU_CQCSR_FENCE_W_IP);
}

// q "IODIR" format: rsvd bits 11:10, 32, 39:34 of dword0 and all of dword1;
// "The PID operand is reserved for the IODIR.INVAL_DDT command."
TEST_F(ModelTest, Cmdq_Illegal_IodirReservedBitsAndPid) {
    CQ_UP();
    for (unsigned b : {10u, 11u, 32u, 34u, 39u})
        CHECK_ILLEGAL(RIOMMU_CMD_OP_IODIR | (1ull << b), 0ull);
    CHECK_ILLEGAL(RIOMMU_CMD_OP_IODIR, 1ull);
    CHECK_ILLEGAL(RIOMMU_CMD_OP_IODIR, 1ull << 63);
    CHECK_ILLEGAL(RIOMMU_CMD_OP_IODIR | RIOMMU_FIELD_PREP(RIOMMU_IODIR_PID, 1), 0ull);
    CHECK_ILLEGAL(RIOMMU_CMD_OP_IODIR | RIOMMU_IODIR_DV |
                      RIOMMU_FIELD_PREP(RIOMMU_IODIR_PID, 0xFFFFF) |
                      RIOMMU_FIELD_PREP(RIOMMU_IODIR_DID, 3),
                  0ull);
}

// q "Command-Queue": "A command is unsupported if it is defined but not
// implemented as determined by the IOMMU capabilities register" -
// IOTINVAL.GVMA without any Sv*x4 capability.
TEST_F(ModelTest, Cmdq_Illegal_IotinvalGvmaWithoutSecondStage) {
    CQ_UP();
    uint64_t gvma = RIOMMU_CMD_OP_IOTINVAL | (RIOMMU_CMD_FUNC_IOTINVAL_GVMA << 7);
    CHECK_ILLEGAL(gvma, 0ull);
    CHECK_ILLEGAL(gvma | RIOMMU_IOTINVAL_GV | RIOMMU_FIELD_PREP(RIOMMU_IOTINVAL_GSCID, 1),
                  0ull);
}

// q "IOTINVAL.GVMA": "Setting PSCV to 1 with IOTINVAL.GVMA is illegal."
TEST_F(ModelTest, Cmdq_Illegal_IotinvalGvmaWithPscv) {
    CQ_UP();
    CHECK_ILLEGAL(RIOMMU_CMD_OP_IOTINVAL | (RIOMMU_CMD_FUNC_IOTINVAL_GVMA << 7) |
                      RIOMMU_IOTINVAL_PSCV | RIOMMU_FIELD_PREP(RIOMMU_IOTINVAL_PSCID, 1),
                  0ull);
}

// q "IODIR": IODIR.INVAL_PDT is unsupported without PD8/PD17/PD20, and "The
// DV operand must be 1 for IODIR.INVAL_PDT else the command is illegal."
TEST_F(ModelTest, Cmdq_Illegal_IodirInvalPdt) {
    CQ_UP();
    uint64_t pdt = RIOMMU_CMD_OP_IODIR | (RIOMMU_CMD_FUNC_IODIR_INVAL_PDT << 7);
    CHECK_ILLEGAL(pdt | RIOMMU_IODIR_DV | RIOMMU_FIELD_PREP(RIOMMU_IODIR_DID, 1) |
                      RIOMMU_FIELD_PREP(RIOMMU_IODIR_PID, 2),
                  0ull);
    CHECK_ILLEGAL(pdt, 0ull);
}

// q "IOMMU PCIe ATS commands": "This command is supported if
// capabilities.ATS is set to 1" - ATS.INVAL and ATS.PRGR are unsupported.
TEST_F(ModelTest, Cmdq_Illegal_AtsWithoutCapability) {
    CQ_UP();
    ASSERT_FALSE(cfg.capabilities & RIOMMU_CAP_ATS);
    CHECK_ILLEGAL(RIOMMU_CMD_OP_ATS | RIOMMU_FIELD_PREP(RIOMMU_ATS_RID, 0x10), 0ull);
    CHECK_ILLEGAL(RIOMMU_CMD_OP_ATS | (RIOMMU_CMD_FUNC_ATS_PRGR << 7) |
                      RIOMMU_FIELD_PREP(RIOMMU_ATS_RID, 0x10),
                  0ull);
}

// linux §4 item 11: clearing cmd_ill without repairing the slot makes the
// IOMMU fetch the same bad command again (cqh still on it, cmd_ill again).
TEST_F(ModelTest, Cmdq_CmdIllClearedWithoutRepairStopsAgain) {
    CQ_UP();
    submit(iofence());
    submit(Cmd{0x5, 0});
    submit(iofence(true, true, true, FLAG, 9));
    settle();
    ASSERT_EQ(rd32(RIOMMU_REG_CQH), 1u);
    ASSERT_TRUE(rd32(RIOMMU_REG_CQCSR) & RIOMMU_CQCSR_CMD_ILL);
    wr32(RIOMMU_REG_CQCSR, RIOMMU_CQCSR_CQEN | RIOMMU_CQCSR_CMD_ILL);
    settle();
    EXPECT_TRUE(rd32(RIOMMU_REG_CQCSR) & RIOMMU_CQCSR_CMD_ILL);
    EXPECT_EQ(rd32(RIOMMU_REG_CQH), 1u);
    EXPECT_EQ(stats().commands_illegal, 2u);
    EXPECT_EQ(mem.r32(FLAG), 0u);
}

// regs "cqcsr": cmd_ill is RW1C - writing 0 to it (e.g. writing only cqen)
// leaves it set and the queue stopped.
TEST_F(ModelTest, Cmdq_CmdIllNotClearedByWritingZero) {
    CQ_UP();
    run(Cmd{0, 0});
    wr32(RIOMMU_REG_CQCSR, RIOMMU_CQCSR_CQEN);
    settle();
    EXPECT_TRUE(rd32(RIOMMU_REG_CQCSR) & RIOMMU_CQCSR_CMD_ILL);
    EXPECT_EQ(rd32(RIOMMU_REG_CQH), 0u);
}

// ---- memory faults ------------------------------------------------------------------

// regs "cqcsr" cqmf: a command fetch that faults sets cqmf; cqh stays; the
// queue resumes from cqh once the bit is cleared.
TEST_F(ModelTest, Cmdq_FetchFaultSetsCqmfThenResumes) {
    CQ_UP();
    EXPECT_EQ(run(iofence()), 1u);
    mem.fault.push_back({cq_base, cq_base + 4096});
    submit(iofence());
    submit(iofence());
    settle();
    EXPECT_TRUE(rd32(RIOMMU_REG_CQCSR) & RIOMMU_CQCSR_CQMF);
    EXPECT_FALSE(rd32(RIOMMU_REG_CQCSR) & RIOMMU_CQCSR_CMD_ILL);
    EXPECT_EQ(rd32(RIOMMU_REG_CQH), 1u);
    EXPECT_TRUE(riommu_idle(m));
    mem.fault.clear();
    settle();
    EXPECT_EQ(rd32(RIOMMU_REG_CQH), 1u) << "stalled until cqmf is cleared";
    wr32(RIOMMU_REG_CQCSR, rd32(RIOMMU_REG_CQCSR));
    settle();
    EXPECT_FALSE(rd32(RIOMMU_REG_CQCSR) & RIOMMU_CQCSR_CQMF);
    EXPECT_EQ(rd32(RIOMMU_REG_CQH), 3u);
}

// ---- ring mechanics -------------------------------------------------------------------

// q "In-memory queue interface": "The head and tail wrap around when they
// reach the end of the circular buffer" - a 4-entry ring (LOG2SZ-1 = 1)
// processes 25 commands submitted one by one.
TEST_F(ModelTest, Cmdq_WrapAroundOneByOne) {
    Create();
    ASSERT_NO_FATAL_FAILURE(enable_cq(1));
    ASSERT_EQ(cq_mask, 3u);
    for (uint32_t i = 0; i < 25; i++) {
        ASSERT_EQ(run(iofence(true, true, true, FLAG, i + 1)), (i + 1) & 3u) << i;
        EXPECT_EQ(mem.r32(FLAG), i + 1);
    }
    EXPECT_EQ(stats().commands[RIOMMU_CMD_OP_IOFENCE][0], 25u);
    EXPECT_EQ(rd32(RIOMMU_REG_CQT), 25u & 3u);
}

// q "Command-Queue": "If cqt == (cqh - 1) the command-queue is full" - an
// 8-entry ring filled with 7 commands at a time, across the wrap, runs them
// all in order.
TEST_F(ModelTest, Cmdq_WrapAroundFullBatches) {
    Create();
    ASSERT_NO_FATAL_FAILURE(enable_cq(2));
    ASSERT_EQ(cq_mask, 7u);
    uint32_t data = 0;
    for (unsigned batch = 0; batch < 5; batch++) {
        uint32_t h = rd32(RIOMMU_REG_CQH);
        for (unsigned k = 0; k < 7; k++)
            submit(iofence(true, true, true, FLAG + 4 * k, ++data));
        EXPECT_EQ(rd32(RIOMMU_REG_CQT), (h + 7) & 7u) << "full: cqt == cqh - 1";
        settle();
        EXPECT_EQ(rd32(RIOMMU_REG_CQH), (h + 7) & 7u);
        for (unsigned k = 0; k < 7; k++)
            EXPECT_EQ(mem.r32(FLAG + 4 * k), data - 6 + k);
    }
    EXPECT_EQ(stats().commands[RIOMMU_CMD_OP_IOFENCE][0], 35u);
}

// regs "cqt": only bits LOG2SZ-1:0 are writable; cqh/cqt never show bits
// above the mask (linux §2.4 item 6).
TEST_F(ModelTest, Cmdq_CqtMaskedToQueueSize) {
    Create();
    ASSERT_NO_FATAL_FAILURE(enable_cq(1));
    wr32(RIOMMU_REG_CQCSR, 0); // off, so no command runs
    settle();
    wr32(RIOMMU_REG_CQT, 0xFFFFFFFF);
    EXPECT_EQ(rd32(RIOMMU_REG_CQT), 3u);
    wr32(RIOMMU_REG_CQT, 6);
    EXPECT_EQ(rd32(RIOMMU_REG_CQT), 2u);
    EXPECT_EQ(rd32(RIOMMU_REG_CQH) & ~3u, 0u);
}

// regs "cqcsr" cqen 0->1: "cqh is reset to 0"; cqt is software-owned and
// kept (linux §4 item 3: stale cqt after kexec makes the IOMMU run stale
// slots - which the model does).
TEST_F(ModelTest, Cmdq_CqenResetsCqhNotCqt) {
    CQ_UP();
    for (int i = 0; i < 3; i++)
        run(iofence());
    ASSERT_EQ(rd32(RIOMMU_REG_CQH), 3u);
    wr32(RIOMMU_REG_CQCSR, 0);
    settle();
    ASSERT_FALSE(rd32(RIOMMU_REG_CQCSR) & RIOMMU_CQCSR_CQON);
    EXPECT_EQ(rd32(RIOMMU_REG_CQH), 3u) << "disable keeps cqh";
    for (uint64_t i = 3; i < 5; i++) {
        mem.w64(cq_base + 16 * i, iofence().d0);
        mem.w64(cq_base + 16 * i + 8, 0);
    }
    wr32(RIOMMU_REG_CQT, 5);
    settle();
    EXPECT_EQ(rd32(RIOMMU_REG_CQH), 3u) << "off: nothing runs";
    wr32(RIOMMU_REG_CQCSR, RIOMMU_CQCSR_CQEN);
    EXPECT_EQ(rd32(RIOMMU_REG_CQH), 0u);
    EXPECT_EQ(rd32(RIOMMU_REG_CQT), 5u);
    settle();
    EXPECT_TRUE(rd32(RIOMMU_REG_CQCSR) & RIOMMU_CQCSR_CQON);
    EXPECT_EQ(rd32(RIOMMU_REG_CQH), 5u) << "stale slots 0..4 executed";
    EXPECT_EQ(stats().commands[RIOMMU_CMD_OP_IOFENCE][0], 8u);
}

// regs "cqcsr": with cqen = 0 (after BUSY, cqon = 0) no command is fetched.
TEST_F(ModelTest, Cmdq_DisabledQueueFetchesNothing) {
    CQ_UP();
    wr32(RIOMMU_REG_CQCSR, 0);
    settle();
    mem.log_reads = true;
    submit(iofence());
    settle();
    EXPECT_EQ(rd32(RIOMMU_REG_CQH), 0u);
    for (auto &r : mem.reads)
        EXPECT_NE(r.second, RIOMMU_ACC_CQ);
    EXPECT_TRUE(riommu_idle(m));
}

// ---- timing ---------------------------------------------------------------------------------

// docs/timing.md "Commands": a command costs its fetch (mem_lat) and
// cmd_lat; riommu_step runs one IOFENCE.C per mem_lat + cmd_lat cycles;
// riommu_idle reports pending work.
TEST_F(ModelTest, Cmdq_Timing_OneCommandPerFetchAndCmdLat) {
    cfg.timing.cmd_lat = 10;
    cfg.timing.mem_lat = 5;
    CQ_UP();
    EXPECT_TRUE(riommu_idle(m));
    submit(iofence());
    submit(iofence());
    submit(iofence());
    EXPECT_FALSE(riommu_idle(m));
    EXPECT_EQ(rd32(RIOMMU_REG_CQH), 0u) << "asynchronous: nothing at the doorbell";
    riommu_step(m, 14);
    EXPECT_EQ(rd32(RIOMMU_REG_CQH), 0u);
    riommu_step(m, 1);
    EXPECT_EQ(rd32(RIOMMU_REG_CQH), 1u);
    riommu_step(m, 15);
    EXPECT_EQ(rd32(RIOMMU_REG_CQH), 2u);
    EXPECT_FALSE(riommu_idle(m));
    riommu_step(m, 15);
    EXPECT_EQ(rd32(RIOMMU_REG_CQH), 3u);
    EXPECT_TRUE(riommu_idle(m));
}

// docs/timing.md "Functional mode": without timing a command takes cmd_lat.
TEST_F(ModelTest, Cmdq_Timing_FunctionalModeOneCommandPerCmdLat) {
    cfg.timing.enable = false;
    cfg.timing.cmd_lat = 10;
    CQ_UP();
    submit(iotinval_vma());
    submit(iofence());
    riommu_step(m, 9);
    EXPECT_EQ(rd32(RIOMMU_REG_CQH), 0u);
    riommu_step(m, 1);
    EXPECT_EQ(rd32(RIOMMU_REG_CQH), 1u);
    EXPECT_EQ(settle(), 10u);
    EXPECT_EQ(rd32(RIOMMU_REG_CQH), 2u);
}

// riommu_settle: "Run until idle ... Returns the cycles that elapsed."
TEST_F(ModelTest, Cmdq_Timing_SettleReturnsElapsedCycles) {
    cfg.timing.cmd_lat = 10;
    CQ_UP();
    uint64_t t0 = riommu_now(m);
    for (int i = 0; i < 4; i++)
        submit(iofence());
    EXPECT_EQ(settle(), 4u * (20 + 10));
    EXPECT_EQ(riommu_now(m) - t0, 4u * (20 + 10));
    EXPECT_EQ(rd32(RIOMMU_REG_CQH), 4u);
    EXPECT_TRUE(riommu_idle(m));
    EXPECT_EQ(settle(), 0u);
}

// riommu_idle / riommu_settle: a queue stopped by cmd_ill is idle even with
// cqh != cqt.
TEST_F(ModelTest, Cmdq_Timing_StoppedQueueIsIdle) {
    CQ_UP();
    submit(Cmd{0, 0});
    submit(iofence());
    settle();
    EXPECT_NE(rd32(RIOMMU_REG_CQH), rd32(RIOMMU_REG_CQT));
    EXPECT_TRUE(riommu_idle(m));
    EXPECT_EQ(settle(), 0u);
}

// riommu_config.synchronous: "command execution complete[s] within the MMIO
// access" - the doorbell write executes the command; the enable is
// immediately on.
TEST_F(ModelTest, Cmdq_SynchronousExecutesAtDoorbell) {
    cfg.synchronous = true;
    cfg.timing.cmd_lat = 10;
    Create();
    uint64_t base = alloc();
    wr64(RIOMMU_REG_CQB, ((base >> 12) << 10) | 5);
    wr32(RIOMMU_REG_CQCSR, RIOMMU_CQCSR_CQEN);
    EXPECT_EQ(rd32(RIOMMU_REG_CQCSR) & (RIOMMU_CQCSR_CQON | RIOMMU_CQCSR_BUSY),
              RIOMMU_CQCSR_CQON);
    cq_base = base;
    cq_mask = 63;
    submit(iofence(true, true, true, FLAG, 0x55));
    EXPECT_EQ(rd32(RIOMMU_REG_CQH), 1u);
    EXPECT_EQ(mem.r32(FLAG), 0x55u);
    EXPECT_TRUE(riommu_idle(m));
}

// ---- statistics and observer -------------------------------------------------------------

// riommu_stats.commands[opcode][func3] and commands_illegal; the command
// observer sees each command with its index and legality.
TEST_F(ModelTest, Cmdq_StatsAndObserver) {
    CQ_UP();
    struct Seen {
        uint64_t d0;
        uint32_t idx;
        bool ill;
    };
    static std::vector<Seen> seen;
    seen.clear();
    riommu_observer obs{};
    obs.command = [](void *, const uint64_t cmd[2], uint32_t index, bool illegal) {
        seen.push_back({cmd[0], index, illegal});
    };
    riommu_set_observer(m, &obs);
    run(iotinval_vma());
    run(iotinval_vma(false, 0, true, 3, true, 0x5000));
    run(iodir_inval_ddt(true, 4));
    run(iofence());
    run(Cmd{0x6, 0});
    auto s = stats();
    EXPECT_EQ(s.commands[RIOMMU_CMD_OP_IOTINVAL][0], 2u);
    EXPECT_EQ(s.commands[RIOMMU_CMD_OP_IODIR][0], 1u);
    EXPECT_EQ(s.commands[RIOMMU_CMD_OP_IOFENCE][0], 1u);
    EXPECT_EQ(s.commands_illegal, 1u);
    ASSERT_EQ(seen.size(), 5u);
    for (uint32_t i = 0; i < 5; i++) {
        EXPECT_EQ(seen[i].idx, i);
        EXPECT_EQ(seen[i].ill, i == 4);
    }
    EXPECT_EQ(seen[1].d0, iotinval_vma(false, 0, true, 3, true, 0x5000).d0);
    riommu_set_observer(m, nullptr);
}

// regs "cqcsr": a doorbell rung while the enable is still BUSY (cqon = 0) is
// not lost - the command runs once the queue is on.
TEST_F(ModelTest, Cmdq_DoorbellDuringEnableBusyRunsWhenOn) {
    Create();
    cq_base = alloc();
    cq_mask = 63;
    wr64(RIOMMU_REG_CQB, ((cq_base >> 12) << 10) | 5);
    wr32(RIOMMU_REG_CQCSR, RIOMMU_CQCSR_CQEN);
    ASSERT_TRUE(rd32(RIOMMU_REG_CQCSR) & RIOMMU_CQCSR_BUSY);
    submit(iofence(true, true, true, FLAG, 3));
    EXPECT_EQ(rd32(RIOMMU_REG_CQH), 0u);
    settle();
    EXPECT_TRUE(rd32(RIOMMU_REG_CQCSR) & RIOMMU_CQCSR_CQON);
    EXPECT_EQ(rd32(RIOMMU_REG_CQH), 1u);
    EXPECT_EQ(mem.r32(FLAG), 3u);
}

// hw guidelines (RAS) + regs "cqcsr" cqmf: a poisoned command fetch cannot be
// executed; the model reports it as a command-queue memory fault (cqmf) with
// cqh on the command (implementation choice: no dedicated cause exists).
TEST_F(ModelTest, Cmdq_PoisonedFetchSetsCqmf) {
    CQ_UP();
    mem.poison.push_back({cq_base, cq_base + 16});
    EXPECT_EQ(run(iofence()), 0u);
    EXPECT_TRUE(rd32(RIOMMU_REG_CQCSR) & RIOMMU_CQCSR_CQMF);
    EXPECT_FALSE(rd32(RIOMMU_REG_CQCSR) & RIOMMU_CQCSR_CMD_ILL);
    EXPECT_EQ(stats().commands[RIOMMU_CMD_OP_IOFENCE][0], 0u);
}
