// test_config.cpp - configuration checks (riommu.h "riommu_config_check"),
// the create/destroy contract, cause/TTYP names (q "Fault record CAUSE /
// TTYP field encodings") and the host compare-and-swap path of A/D updates
// (ds "IOMMU updating of PTE accessed (A) and dirty (D) updates").
#include "fixture.h"

#include <functional>

using namespace rt;

namespace {
// Returns the error message for a config edited by `edit`, "" if accepted.
std::string check(const std::function<void(riommu_config &)> &edit) {
    riommu_config c;
    riommu_config_default(&c);
    edit(c);
    char err[256] = "";
    bool ok = riommu_config_check(&c, err, sizeof err);
    EXPECT_EQ(ok, err[0] == 0) << err;
    return ok ? std::string() : std::string(err);
}
} // namespace

// riommu.h: the documented defaults are accepted.
TEST(Config, DefaultsAccepted) {
    EXPECT_EQ(check([](riommu_config &) {}), "");
}

// regs "capabilities": reserved bits, Sv48 => Sv39, Sv57 => Sv48, IGS=3, PAS.
TEST(Config, CapabilitiesConsistency) {
    EXPECT_NE(check([](riommu_config &c) { c.capabilities |= RIOMMU_BIT(12); }), "");
    EXPECT_NE(check([](riommu_config &c) { c.capabilities &= ~RIOMMU_CAP_SV39; }), "");
    EXPECT_NE(check([](riommu_config &c) { c.capabilities &= ~RIOMMU_CAP_SV48; }), "");
    EXPECT_NE(check([](riommu_config &c) { c.capabilities |= RIOMMU_CAP_IGS; }), "");
    EXPECT_NE(check([](riommu_config &c) {
                  c.capabilities = riommu_field_set(c.capabilities, RIOMMU_CAP_PAS, 20);
              }),
              "");
    EXPECT_NE(check([](riommu_config &c) {
                  c.capabilities = riommu_field_set(c.capabilities, RIOMMU_CAP_PAS, 63);
              }),
              "");
}

// riommu.h "WHAT IT DOES NOT DO YET": such capabilities are refused by name.
TEST(Config, NotYetModelledCapabilitiesRefused) {
    const uint64_t bits[] = {RIOMMU_CAP_SV32X4, RIOMMU_CAP_SV39X4, RIOMMU_CAP_SV48X4,
                             RIOMMU_CAP_SV57X4, RIOMMU_CAP_PD8,    RIOMMU_CAP_PD17,
                             RIOMMU_CAP_PD20,   RIOMMU_CAP_ATS,    RIOMMU_CAP_T2GPA,
                             RIOMMU_CAP_MSI_MRIF, RIOMMU_CAP_AMO_MRIF};
    for (uint64_t b : bits) {
        std::string e = check([b](riommu_config &c) { c.capabilities |= b; });
        EXPECT_NE(e.find("not modelled"), std::string::npos) << std::hex << b << ": " << e;
    }
}

// riommu.h riommu_config fields: every range is enforced with a message
// naming the field.
TEST(Config, FieldRangesEnforced) {
    EXPECT_NE(check([](riommu_config &c) { c.fctl_gxl_writable = true; }).find("fctl_gxl"),
              std::string::npos);
    EXPECT_NE(check([](riommu_config &c) { c.fctl_reset = 8; }).find("fctl_reset"),
              std::string::npos);
    EXPECT_NE(check([](riommu_config &c) { c.fctl_reset = RIOMMU_FCTL_GXL; }), "");
    EXPECT_NE(check([](riommu_config &c) { c.ddtp_reset_mode = 2; }).find("ddtp_reset_mode"),
              std::string::npos);
    EXPECT_NE(check([](riommu_config &c) { c.ddt_modes = 0x3; }).find("ddt_modes"),
              std::string::npos);
    EXPECT_NE(check([](riommu_config &c) { c.cq_max_log2szm1 = 32; }), "");
    EXPECT_NE(check([](riommu_config &c) { c.ddtp_fixed_ppn = 1ull << 50; }), "");
    EXPECT_NE(check([](riommu_config &c) { c.num_vectors = 0; }).find("num_vectors"),
              std::string::npos);
    EXPECT_NE(check([](riommu_config &c) { c.num_vectors = 17; }), "");
    EXPECT_NE(check([](riommu_config &c) { c.hpm_counters = 0; }).find("hpm_counters"),
              std::string::npos);
    EXPECT_NE(check([](riommu_config &c) { c.hpm_counter_bits = 16; }), "");
    EXPECT_NE(check([](riommu_config &c) { c.rcid_bits = 13; }), "");
    EXPECT_EQ(check([](riommu_config &c) {
                  c.capabilities |= RIOMMU_CAP_SV32;
                  c.fctl_gxl_writable = true;
                  c.fctl_reset = RIOMMU_FCTL_GXL;
              }),
              "");
}

// DESIGN.md §2.5 cache knobs: geometry must give power-of-two sets.
TEST(Config, CacheGeometryChecked) {
    EXPECT_NE(check([](riommu_config &c) { c.iotlb.entries = 24; c.iotlb.assoc = 8; })
                  .find("iotlb"),
              std::string::npos);
    EXPECT_NE(check([](riommu_config &c) { c.ddtc.entries = 10; c.ddtc.assoc = 4; }), "");
    EXPECT_NE(check([](riommu_config &c) { c.walkc.entries = 1u << 21; }), "");
    EXPECT_NE(check([](riommu_config &c) { c.walkc.policy = (riommu_repl_policy)7; }), "");
    EXPECT_EQ(check([](riommu_config &c) { c.iotlb.entries = 12; c.iotlb.assoc = 0; }), "");
    EXPECT_EQ(check([](riommu_config &c) { c.iotlb.entries = 0; }), "");
    EXPECT_EQ(check([](riommu_config &c) { c.iotlb.entries = 7; c.iotlb.enable = false; }), "");
}

// riommu.h riommu_create: missing host ops and bad configs are refused with
// a message; destroy accepts NULL.
TEST(Config, CreateRefusesBadInput) {
    riommu_config c;
    riommu_config_default(&c);
    riommu_host_ops h{};
    char err[128] = "";
    EXPECT_EQ(riommu_create(&c, &h, err, sizeof err), nullptr);
    EXPECT_NE(std::string(err).find("mem_read"), std::string::npos);
    EXPECT_EQ(riommu_create(nullptr, &h, err, sizeof err), nullptr);
    c.num_vectors = 0;
    h.mem_read = [](void *, uint64_t, void *, size_t, riommu_access_kind) {
        return RIOMMU_MEM_OK;
    };
    h.mem_write = [](void *, uint64_t, const void *, size_t, riommu_access_kind) {
        return RIOMMU_MEM_OK;
    };
    EXPECT_EQ(riommu_create(&c, &h, err, sizeof err), nullptr);
    EXPECT_NE(std::string(err).find("num_vectors"), std::string::npos);
    riommu_destroy(nullptr);
}

// q "Fault record CAUSE field encodings": every defined cause has its own
// name; reserved and custom ranges are named as such.
TEST(Names, CausesAndTtyps) {
    const unsigned defined[] = {1,   4,   5,   6,   7,   12,  13,  15,  20,  21,  23,
                                256, 257, 258, 259, 260, 261, 262, 263, 264, 265, 266,
                                267, 268, 269, 270, 271, 272, 273, 274};
    std::set<std::string> seen;
    for (unsigned c : defined) {
        std::string n = riommu_cause_name(c);
        EXPECT_NE(n, "reserved") << c;
        EXPECT_TRUE(seen.insert(n).second) << "duplicate name " << n;
    }
    EXPECT_STREQ(riommu_cause_name(2), "reserved");
    EXPECT_STREQ(riommu_cause_name(275), "reserved");
    EXPECT_STREQ(riommu_cause_name(3000), "custom");
    EXPECT_STREQ(riommu_ttyp_name(RIOMMU_TTYP_UNTRANSLATED_WRITE), "untranslated write/AMO");
    EXPECT_STREQ(riommu_ttyp_name(4), "reserved");
    EXPECT_STREQ(riommu_ttyp_name(40), "custom");
    for (unsigned t : {0u, 1u, 2u, 3u, 5u, 6u, 7u, 8u, 9u})
        EXPECT_STRNE(riommu_ttyp_name(t), "reserved") << t;
    EXPECT_STREQ(riommu_reg_name(RIOMMU_REG_DDTP), "ddtp");
    EXPECT_STREQ(riommu_reg_name(RIOMMU_REG_DDTP + 4), "ddtp");
    EXPECT_STREQ(riommu_reg_name(RIOMMU_REG_IOHPMEVT(31)), "iohpmevt31");
    EXPECT_EQ(riommu_reg_name(0x800), nullptr);
}

// ds "IOMMU updating of PTE A and D": with a host compare-and-swap, the A/D
// update goes through it; a PTE changed between read and update restarts
// the walk (the host changes it once), and the final PTE has A and D.
class CasTest : public ModelTest {
  public:
    Memory &memory() { return mem; }
    unsigned cas_calls = 0;
    bool meddle = false;
    uint64_t meddle_value = 0;
};

TEST_F(CasTest, AdUpdateUsesHostCasAndRetriesOnChange) {
    riommu_config c = cfg;
    riommu_host_ops ops{};
    ops.ctx = this;
    ops.mem_read = [](void *x, uint64_t pa, void *buf, size_t len, riommu_access_kind) {
        static_cast<CasTest *>(x)->memory().read(pa, buf, len);
        return RIOMMU_MEM_OK;
    };
    ops.mem_write = [](void *x, uint64_t pa, const void *buf, size_t len,
                       riommu_access_kind) {
        static_cast<CasTest *>(x)->memory().write(pa, buf, len);
        return RIOMMU_MEM_OK;
    };
    ops.mem_cas64 = [](void *x, uint64_t pa, uint64_t expected, uint64_t desired,
                       uint64_t *observed, riommu_access_kind k) {
        auto *t = static_cast<CasTest *>(x);
        EXPECT_EQ(k, RIOMMU_ACC_AD_UPDATE);
        t->cas_calls++;
        if (t->meddle) { // another agent wins the race once
            t->meddle = false;
            t->memory().w64(pa, t->meddle_value);
        }
        *observed = t->memory().r64(pa);
        if (*observed == expected)
            t->memory().w64(pa, desired);
        return RIOMMU_MEM_OK;
    };
    char err[128];
    m = riommu_create(&c, &ops, err, sizeof err);
    ASSERT_NE(m, nullptr) << err;
    setup_ddt(RIOMMU_DDTP_MODE_1LVL);
    uint64_t root = new_root();
    uint64_t pte = map(root, 8, 0x5000, 0x95000, V | R | W | U);
    attach_s1(1, root, 8, 4, RIOMMU_DC_TC_SADE);
    meddle = true;
    meddle_value = pte_leaf(0x96000, V | R | W | U); // remapped meanwhile
    auto r = expect_ok(1, 0x5008, RIOMMU_WRITE, 0x96008);
    EXPECT_EQ(cas_calls, 2u);
    EXPECT_EQ(mem.r64(pte), pte_leaf(0x96000, V | R | W | U | A | D));
    EXPECT_EQ(r.status, RIOMMU_RSP_OK);
}
