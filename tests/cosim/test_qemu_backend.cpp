// test_qemu_backend.cpp - the QEMU backend (cosim/src/qemu_backend.c) against
// Debian's qemu-system-riscv64 10.0. Each test names the section of
// ../shared/notes/qemu-backend.md ("notes") or of the spec ("regs", "ds",
// "q") it checks. Skipped when no qemu-system-riscv64 is on PATH.
#include <gtest/gtest.h>

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <dirent.h>
#include <signal.h>
#include <string>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

extern "C" {
#include "riommu/qemu_backend.h"
#include "riommu/riommu_bits.h"
}

namespace {

bool QemuOnPath()
{
    const char *path = std::getenv("PATH");
    std::string p = path ? path : "";
    size_t start = 0;
    while (start <= p.size()) {
        size_t end = p.find(':', start);
        if (end == std::string::npos) {
            end = p.size();
        }
        std::string f = p.substr(start, end - start) + "/qemu-system-riscv64";
        if (access(f.c_str(), X_OK) == 0) {
            return true;
        }
        start = end + 1;
    }
    return false;
}

#define REQUIRE_QEMU()                                                                  \
    do {                                                                                \
        if (!QemuOnPath()) {                                                            \
            GTEST_SKIP() << "qemu-system-riscv64 not on PATH";                          \
        }                                                                               \
    } while (0)

double Ms(std::chrono::steady_clock::time_point a, std::chrono::steady_clock::time_point b)
{
    return std::chrono::duration<double, std::milli>(b - a).count();
}

// A started backend, destroyed at scope exit.
struct Qemu {
    riommu_backend_ops ops{};
    bool up = false;
    char err[512] = "";
    pid_t pid = -1;

    explicit Qemu(riommu_qemu_config cfg = riommu_qemu_config_default())
    {
        up = riommu_qemu_backend_create(&cfg, &ops, err, sizeof err) == 0;
        if (up) {
            pid = riommu_qemu_backend_pid(&ops);
        }
    }
    ~Qemu() { Destroy(); }
    void Destroy()
    {
        if (up) {
            ops.destroy(ops.ctx);
            up = false;
        }
    }
    std::string Err() const { return up ? riommu_qemu_backend_error(&ops) : err; }

    uint64_t R(uint32_t off, unsigned size = 8)
    {
        uint64_t v = 0;
        EXPECT_EQ(ops.mmio_read(ops.ctx, off, size, &v), 0) << Err();
        return v;
    }
    void W(uint32_t off, uint64_t v, unsigned size = 8)
    {
        EXPECT_EQ(ops.mmio_write(ops.ctx, off, size, v), 0) << Err();
    }
    void M64(uint64_t pa, uint64_t v)
    {
        uint8_t b[8];
        for (int i = 0; i < 8; i++) {
            b[i] = uint8_t(v >> (8 * i));
        }
        EXPECT_EQ(ops.mem_write(ops.ctx, pa, b, 8), 0) << Err();
    }
    std::vector<uint8_t> Mem(uint64_t pa, size_t len)
    {
        std::vector<uint8_t> b(len);
        EXPECT_EQ(ops.mem_read(ops.ctx, pa, b.data(), len), 0) << Err();
        return b;
    }
    riommu_response Dma(uint32_t did, riommu_req_access acc, uint64_t iova, void *buf,
                        uint32_t len, int *rc = nullptr)
    {
        riommu_request rq{};
        rq.device_id = did;
        rq.kind = RIOMMU_REQ_UNTRANSLATED;
        rq.access = acc;
        rq.iova = iova;
        rq.len = len;
        riommu_response rs{};
        int r = ops.dma(ops.ctx, &rq, buf, &rs);
        if (rc) {
            *rc = r;
        } else {
            EXPECT_EQ(r, 0) << Err();
        }
        return rs;
    }
};

uint64_t Le64(const std::vector<uint8_t> &b, size_t off)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--) {
        v = v << 8 | b[off + i];
    }
    return v;
}

bool Gone(pid_t pid)
{
    // Reaped (not a zombie of ours) and no longer a process.
    int st;
    bool not_child = waitpid(pid, &st, WNOHANG) < 0 && errno == ECHILD;
    bool no_proc = kill(pid, 0) < 0 && errno == ESRCH;
    return not_child && no_proc;
}

int CountFds()
{
    int n = 0;
    DIR *d = opendir("/proc/self/fd");
    if (!d) {
        return -1;
    }
    while (readdir(d)) {
        n++;
    }
    closedir(d);
    return n;
}

// Gone, or a zombie nobody has reaped yet (PID 1 of a container may not).
bool DeadOrZombie(pid_t pid)
{
    if (kill(pid, 0) < 0 && errno == ESRCH) {
        return true;
    }
    std::string path = "/proc/" + std::to_string(pid) + "/stat";
    FILE *f = std::fopen(path.c_str(), "r");
    if (!f) {
        return true;
    }
    char buf[512] = "";
    size_t n = std::fread(buf, 1, sizeof buf - 1, f);
    std::fclose(f);
    buf[n] = '\0';
    const char *close = std::strrchr(buf, ')');
    return close && close[1] == ' ' && (close[2] == 'Z' || close[2] == 'X');
}

int CountWfiFiles(const char *dir)
{
    int n = 0;
    DIR *d = opendir(dir);
    if (!d) {
        return 0;
    }
    while (dirent *e = readdir(d)) {
        if (std::strncmp(e->d_name, "riommu-qemu-", 12) == 0) {
            n++;
        }
    }
    closedir(d);
    return n;
}

// notes "A working sequence", as the engine would issue it through the ops.
constexpr uint64_t kDdt = 0x80001000, kCq = 0x80002000, kFq = 0x80003000;
constexpr uint64_t kMsi = 0x80004000;
constexpr uint64_t kPt0 = 0x80010000, kPt1 = 0x80011000, kPt2 = 0x80012000;
constexpr uint64_t kData = 0x80300000, kIova = 0x10000000;
constexpr uint32_t kEdu0 = 0x10, kEdu1 = 0x18;

void WorkingSequence(Qemu &q)
{
    q.W(RIOMMU_REG_CQB, 0x20000805); // CQ at 0x80002000, 64 entries
    q.W(RIOMMU_REG_CQCSR, 1, 4);
    q.W(RIOMMU_REG_FQB, 0x20000c05); // FQ at 0x80003000, 64 entries
    q.W(RIOMMU_REG_FQCSR, 1, 4);
    q.M64(kDdt + kEdu0 * 64 + 0, RIOMMU_DC_TC_V);  // 64-byte DCs (MSI_FLAT)
    q.M64(kDdt + kEdu0 * 64 + 16, 0x5000);         // ta.PSCID = 5
    q.M64(kDdt + kEdu0 * 64 + 24, 0x8000000000080010ull); // Sv39, root 0x80010
    q.M64(kPt0 + 0, 0x20004401);                   // VPN2 0 -> 0x80011000
    q.M64(kPt1 + 0x80 * 8, 0x20004801);            // VPN1 0x80 -> 0x80012000
    q.M64(kPt2 + 0, 0x200c00d7);                   // VPN0 0 -> 0x80300000 VRWUAD
    q.M64(kPt2 + 8, 0x200c04d7);                   // VPN0 1 -> 0x80301000 VRWUAD
    q.W(RIOMMU_REG_DDTP, 0x20000402);              // 1LVL at 0x80001000
    q.M64(kCq, 0x3);                               // IODIR.INVAL_DDT, all
    q.M64(kCq + 8, 0);
    q.W(RIOMMU_REG_CQT, 1, 4);
    EXPECT_EQ(q.R(RIOMMU_REG_CQH, 4), 1u);
    EXPECT_EQ(q.R(RIOMMU_REG_CQCSR, 4) & 0xf00u, 0u); // no cmd_ill / cqmf
}

} // namespace

// notes "Invocation": start-up and teardown leave no process, zombie or
// temporary file behind.
TEST(QemuBackend, Notes_Invocation_CreateDestroyNoOrphans)
{
    REQUIRE_QEMU();
    char dir[] = "/tmp/riommu-qtest-XXXXXX";
    ASSERT_NE(mkdtemp(dir), nullptr);
    const char *old = std::getenv("TMPDIR");
    std::string saved = old ? old : "";
    setenv("TMPDIR", dir, 1);
    int fds = CountFds();
    auto t0 = std::chrono::steady_clock::now();
    {
        Qemu q;
        auto t1 = std::chrono::steady_clock::now();
        ASSERT_TRUE(q.up) << q.err;
        RecordProperty("startup_ms", std::to_string(Ms(t0, t1)));
        EXPECT_LT(Ms(t0, t1), 3000.0);
        ASSERT_GT(q.pid, 0);
        EXPECT_EQ(kill(q.pid, 0), 0);
        EXPECT_STREQ(q.ops.name, "qemu");
        EXPECT_EQ(CountWfiFiles(dir), 0) << "wfi loop file not removed";
        pid_t pid = q.pid;
        auto t2 = std::chrono::steady_clock::now();
        q.Destroy();
        auto t3 = std::chrono::steady_clock::now();
        RecordProperty("destroy_ms", std::to_string(Ms(t2, t3)));
        EXPECT_TRUE(Gone(pid));
        EXPECT_LT(Ms(t2, t3), 2000.0);
    }
    if (old) {
        setenv("TMPDIR", saved.c_str(), 1);
    } else {
        unsetenv("TMPDIR");
    }
    EXPECT_EQ(CountWfiFiles(dir), 0);
    EXPECT_EQ(CountFds(), fds) << "file descriptors leaked";
    rmdir(dir);
}

// notes "Invocation": QEMU does not outlive the process that started it
// (PR_SET_PDEATHSIG), e.g. when the engine crashes without destroy().
TEST(QemuBackend, Notes_Invocation_ParentDeathKillsQemu)
{
    REQUIRE_QEMU();
    int p[2];
    ASSERT_EQ(pipe(p), 0);
    pid_t child = fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
        close(p[0]);
        riommu_qemu_config cfg = riommu_qemu_config_default();
        riommu_backend_ops ops{};
        char err[256];
        pid_t qpid = -1;
        if (riommu_qemu_backend_create(&cfg, &ops, err, sizeof err) == 0) {
            qpid = riommu_qemu_backend_pid(&ops);
        }
        ssize_t w = write(p[1], &qpid, sizeof qpid);
        (void)w;
        _exit(0); // no destroy: a crash, as far as QEMU can tell
    }
    close(p[1]);
    pid_t qpid = -1;
    ASSERT_EQ(read(p[0], &qpid, sizeof qpid), (ssize_t)sizeof qpid);
    close(p[0]);
    int st;
    ASSERT_EQ(waitpid(child, &st, 0), child);
    ASSERT_GT(qpid, 0);
    bool dead = false;
    for (int i = 0; i < 200 && !dead; i++) {
        dead = DeadOrZombie(qpid);
        if (!dead) {
            usleep(5000);
        }
    }
    EXPECT_TRUE(dead) << "QEMU " << qpid << " outlived its parent";
    if (!dead) {
        kill(qpid, SIGKILL);
    }
}

// regs "capabilities" (and notes "The virt machine"): the register reads
// through BAR0, version 1.0, the features QEMU 10.0 advertises; caps() as the
// header documents.
TEST(QemuBackend, Regs_Capabilities_Plausible)
{
    REQUIRE_QEMU();
    Qemu q;
    ASSERT_TRUE(q.up) << q.err;
    uint64_t cap = q.R(RIOMMU_REG_CAPABILITIES);
    EXPECT_EQ(cap & RIOMMU_CAP_VERSION, 0x10u);
    EXPECT_TRUE(cap & RIOMMU_CAP_SV39);
    EXPECT_TRUE(cap & RIOMMU_CAP_SV39X4);
    EXPECT_TRUE(cap & RIOMMU_CAP_MSI_FLAT);
    EXPECT_TRUE(cap & RIOMMU_CAP_DBG);
    EXPECT_GE(RIOMMU_FIELD_GET(cap, RIOMMU_CAP_PAS), 34u);
    // 4-byte halves agree with the 8-byte read.
    EXPECT_EQ(q.R(RIOMMU_REG_CAPABILITIES, 4), cap & 0xffffffffu);
    EXPECT_EQ(q.R(RIOMMU_REG_CAPABILITIES + 4, 4), cap >> 32);
    // regs "Reset behavior": iommu_mode Off or Bare, queues off.
    EXPECT_LE(q.R(RIOMMU_REG_DDTP) & 0xf, 1u);
    EXPECT_EQ(q.R(RIOMMU_REG_CQCSR, 4) & RIOMMU_CQCSR_CQON, 0u);
    EXPECT_EQ(riommu_qemu_backend_iommu_bar(&q.ops), 0x40000000u);

    riommu_backend_caps c{};
    q.ops.caps(q.ops.ctx, &c);
    EXPECT_TRUE(c.dma);
    EXPECT_FALSE(c.dma_exec);
    EXPECT_FALSE(c.process_id);
    EXPECT_FALSE(c.priv);
    EXPECT_FALSE(c.translated);
    EXPECT_EQ(c.max_dma_len, 4096u);
    ASSERT_EQ(c.n_device_ids, 2u);
    EXPECT_EQ(c.device_ids[0], kEdu0);
    EXPECT_EQ(c.device_ids[1], kEdu1);
    EXPECT_TRUE(c.reports_pa);
    EXPECT_FALSE(c.reports_range);
    EXPECT_TRUE(c.reports_cause);
    EXPECT_FALSE(c.events);
    EXPECT_FALSE(c.cycles);
    EXPECT_EQ(q.ops.settle(q.ops.ctx), 0u);
    riommu_event ev[4];
    EXPECT_EQ(q.ops.events(q.ops.ctx, ev, 4), 0u);

    // Bad register accesses are errors, not crashes.
    uint64_t v;
    EXPECT_LT(q.ops.mmio_read(q.ops.ctx, 0x1000, 4, &v), 0);
    EXPECT_LT(q.ops.mmio_read(q.ops.ctx, 0x2, 4, &v), 0);
    EXPECT_LT(q.ops.mmio_read(q.ops.ctx, 0x0, 2, &v), 0);
    // notes "Invocation": the wfi loop's page is reserved.
    uint8_t z[8] = {};
    EXPECT_LT(q.ops.mem_write(q.ops.ctx, 0x80000ff8, z, 16), 0);
    EXPECT_NE(q.Err().find("reserved"), std::string::npos) << q.Err();
    EXPECT_LT(q.ops.mem_write(q.ops.ctx, 0x40000000, z, 8), 0); // not RAM
    // Still alive after refused requests.
    EXPECT_EQ(q.R(RIOMMU_REG_CAPABILITIES), cap);
}

// notes "A working sequence": 1LVL DDT with 64-byte DCs, Sv39, CQ/FQ,
// IODIR.INVAL_DDT; then a mapped read succeeds with the data in RAM and an
// unmapped read faults with cause 13 and exactly one record
// (q "Fault/Event-Queue", ds "Process to translate an IOVA").
TEST(QemuBackend, Notes_WorkingSequence_DmaReadOkAndFault)
{
    REQUIRE_QEMU();
    Qemu q;
    ASSERT_TRUE(q.up) << q.err;
    WorkingSequence(q);

    std::vector<uint8_t> pattern(64);
    for (size_t i = 0; i < pattern.size(); i++) {
        pattern[i] = uint8_t(0xa0 + i);
    }
    ASSERT_EQ(q.ops.mem_write(q.ops.ctx, kData + 0x40, pattern.data(), pattern.size()), 0);

    uint8_t buf[64] = {};
    auto t0 = std::chrono::steady_clock::now();
    auto r = q.Dma(kEdu0, RIOMMU_READ, kIova + 0x40, buf, sizeof buf);
    auto t1 = std::chrono::steady_clock::now();
    RecordProperty("dma_read_64B_ms", std::to_string(Ms(t0, t1)));
    EXPECT_EQ(r.status, RIOMMU_RSP_OK) << r.cause;
    EXPECT_EQ(std::memcmp(buf, pattern.data(), sizeof buf), 0);
    EXPECT_EQ(r.pa, kData + 0x40); // from QEMU's trace; range_size is not observed
    EXPECT_EQ(q.R(RIOMMU_REG_FQT, 4), 0u);

    // Unmapped IOVA: read page fault, one record (not one per 4 bytes).
    r = q.Dma(kEdu0, RIOMMU_READ, 0x20000000, buf, sizeof buf);
    EXPECT_EQ(r.status, RIOMMU_RSP_FAULT);
    EXPECT_EQ(r.cause, (unsigned)RIOMMU_CAUSE_READ_PAGE_FAULT);
    EXPECT_TRUE(r.recorded);
    EXPECT_EQ(q.R(RIOMMU_REG_FQT, 4), 1u);
    auto rec = q.Mem(kFq, 32);
    uint64_t hdr = Le64(rec, 0);
    EXPECT_EQ(RIOMMU_FIELD_GET(hdr, RIOMMU_FQ_HDR_CAUSE), 13u);
    EXPECT_EQ(RIOMMU_FIELD_GET(hdr, RIOMMU_FQ_HDR_DID), kEdu0);
    EXPECT_EQ(Le64(rec, 16), 0x20000000u); // iotval = the faulting IOVA

    // Unmapped write: write page fault (cause 15), one more record.
    r = q.Dma(kEdu0, RIOMMU_WRITE, 0x20000010, buf, 8);
    EXPECT_EQ(r.status, RIOMMU_RSP_FAULT);
    EXPECT_EQ(r.cause, (unsigned)RIOMMU_CAUSE_WRITE_PAGE_FAULT);
    EXPECT_EQ(q.R(RIOMMU_REG_FQT, 4), 2u);

    // The second edu has no valid DC: DDT entry invalid (cause 258).
    r = q.Dma(kEdu1, RIOMMU_READ, kIova, buf, 16);
    EXPECT_EQ(r.status, RIOMMU_RSP_FAULT);
    EXPECT_EQ(r.cause, (unsigned)RIOMMU_CAUSE_DDT_INVALID);
    EXPECT_EQ(q.R(RIOMMU_REG_FQT, 4), 3u);

    // Not an edu: an error (the engine checks caps.device_ids first).
    int rc = 0;
    q.Dma(0x20, RIOMMU_READ, kIova, buf, 16, &rc);
    EXPECT_LT(rc, 0);
    // Malformed: BAD_REQUEST, like the model.
    r = q.Dma(kEdu0, RIOMMU_READ, kIova, buf, 0);
    EXPECT_EQ(r.status, RIOMMU_RSP_BAD_REQUEST);
}

// notes "A working sequence" continued: device writes land in RAM with the
// caller's data, across a page boundary; a read returns them; a first write
// on a fresh edu checks the backend's shadow of its buffer (zeros).
TEST(QemuBackend, Notes_WorkingSequence_DmaWriteAcrossPages)
{
    REQUIRE_QEMU();
    Qemu q;
    ASSERT_TRUE(q.up) << q.err;
    WorkingSequence(q);

    std::vector<uint8_t> w(256), rb(256);
    for (size_t i = 0; i < w.size(); i++) {
        w[i] = uint8_t(i * 7 + 3);
    }
    // IOVA 0x10000f80..0x1000107f: last 128 bytes of page 0, first of page 1.
    auto t0 = std::chrono::steady_clock::now();
    auto r = q.Dma(kEdu0, RIOMMU_WRITE, kIova + 0xf80, w.data(), 256);
    auto t1 = std::chrono::steady_clock::now();
    RecordProperty("dma_write_256B_2pages_ms", std::to_string(Ms(t0, t1)));
    ASSERT_EQ(r.status, RIOMMU_RSP_OK) << r.cause << " " << q.Err();
    auto m0 = q.Mem(kData + 0xf80, 128);
    auto m1 = q.Mem(kData + 0x1000, 128);
    EXPECT_EQ(std::memcmp(m0.data(), w.data(), 128), 0);
    EXPECT_EQ(std::memcmp(m1.data(), w.data() + 128, 128), 0);

    r = q.Dma(kEdu0, RIOMMU_READ, kIova + 0xf80, rb.data(), 256);
    ASSERT_EQ(r.status, RIOMMU_RSP_OK);
    EXPECT_EQ(rb, w);
    // A full 4 KiB read.
    std::vector<uint8_t> big(4096);
    t0 = std::chrono::steady_clock::now();
    r = q.Dma(kEdu0, RIOMMU_READ, kIova, big.data(), 4096);
    t1 = std::chrono::steady_clock::now();
    RecordProperty("dma_read_4KiB_ms", std::to_string(Ms(t0, t1)));
    ASSERT_EQ(r.status, RIOMMU_RSP_OK);
    EXPECT_EQ(std::memcmp(big.data() + 0xf80, w.data(), 128), 0);

    // Second page mapped, third not: a write spanning 1 -> 2 moves page 1's
    // part, then faults on page 2 (ds: stop at the first faulting page).
    std::vector<uint8_t> w2(32, 0x5a);
    r = q.Dma(kEdu0, RIOMMU_WRITE, kIova + 0x1ff0, w2.data(), 32);
    EXPECT_EQ(r.status, RIOMMU_RSP_FAULT);
    EXPECT_EQ(r.cause, (unsigned)RIOMMU_CAUSE_WRITE_PAGE_FAULT);
    auto m2 = q.Mem(kData + 0x1ff0, 16);
    EXPECT_EQ(m2, std::vector<uint8_t>(16, 0x5a));
    EXPECT_EQ(q.R(RIOMMU_REG_FQT, 4), 1u);
    auto rec = q.Mem(kFq, 32);
    EXPECT_EQ(Le64(rec, 16), kIova + 0x2000);
}

// q "Fault/Event-Queue" and ds "Device-context fields" (DC.tc.DTF): a fault
// QEMU does not record is still reported (recorded = false), and MSI-X is
// enabled so the IOMMU's fault-queue MSI lands in RAM (regs "msi_cfg_tbl",
// notes "MSI-X into RAM").
TEST(QemuBackend, Q_FaultWithoutRecordAndMsi)
{
    REQUIRE_QEMU();
    Qemu q;
    ASSERT_TRUE(q.up) << q.err;
    WorkingSequence(q);
    // FQ interrupt -> vector 1 -> MSI to kMsi with data 0x1234.
    q.W(RIOMMU_REG_MSI_ADDR(1), kMsi);
    q.W(RIOMMU_REG_MSI_DATA(1), 0x1234, 4);
    q.W(RIOMMU_REG_MSI_VEC_CTL(1), 0, 4);
    q.W(RIOMMU_REG_ICVEC, 0x10);
    q.W(RIOMMU_REG_FQCSR, RIOMMU_FQCSR_FQEN | RIOMMU_FQCSR_FIE, 4);
    uint8_t buf[4];
    auto r = q.Dma(kEdu0, RIOMMU_READ, 0x30000000, buf, 4);
    EXPECT_EQ(r.status, RIOMMU_RSP_FAULT);
    EXPECT_EQ(r.cause, (unsigned)RIOMMU_CAUSE_READ_PAGE_FAULT);
    EXPECT_TRUE(r.recorded);
    EXPECT_EQ(Le64(q.Mem(kMsi, 8), 0) & 0xffffffffu, 0x1234u);
    EXPECT_TRUE(q.R(RIOMMU_REG_IPSR, 4) & 2u);

    // DTF: the page fault is not recorded; the backend still reports it.
    q.M64(kDdt + kEdu0 * 64, RIOMMU_DC_TC_V | RIOMMU_DC_TC_DTF);
    q.M64(kCq + 16, 0x3);
    q.M64(kCq + 24, 0);
    q.W(RIOMMU_REG_CQT, 2, 4);
    uint64_t t = q.R(RIOMMU_REG_FQT, 4);
    r = q.Dma(kEdu0, RIOMMU_READ, 0x30000000, buf, 4);
    EXPECT_EQ(r.status, RIOMMU_RSP_FAULT);
    EXPECT_EQ(r.cause, (unsigned)RIOMMU_CAUSE_READ_PAGE_FAULT);
    EXPECT_FALSE(r.recorded);
    EXPECT_EQ(q.R(RIOMMU_REG_FQT, 4), t);

    // Queue off: the fault is lost (QEMU traces it); still reported.
    q.M64(kDdt + kEdu0 * 64, RIOMMU_DC_TC_V);
    q.M64(kCq + 32, 0x3);
    q.M64(kCq + 40, 0);
    q.W(RIOMMU_REG_CQT, 3, 4);
    q.W(RIOMMU_REG_FQCSR, 0, 4);
    r = q.Dma(kEdu0, RIOMMU_WRITE, 0x30000000, buf, 4);
    EXPECT_EQ(r.status, RIOMMU_RSP_FAULT);
    EXPECT_EQ(r.cause, (unsigned)RIOMMU_CAUSE_WRITE_PAGE_FAULT);
    EXPECT_FALSE(r.recorded);
}

// ds "MSI address translation" with the edu: QEMU's edu DMA carries no
// requester ID, so QEMU's IOMMU drops a write to a virtual interrupt file
// without a record; the backend refuses it instead of reporting success.
// Bare translation (identity, which QEMU never caches) still moves data.
// The trace of the device's translations is copied to cfg.log_path.
TEST(QemuBackend, Ds_MsiWindowWriteRefusedAndLog)
{
    REQUIRE_QEMU();
    char logp[] = "/tmp/riommu-qtest-log-XXXXXX";
    int lfd = mkstemp(logp);
    ASSERT_GE(lfd, 0);
    close(lfd);
    riommu_qemu_config cfg = riommu_qemu_config_default();
    cfg.log_path = logp;
    cfg.trace = "riscv_iommu_cmd";
    {
        Qemu q(cfg);
        ASSERT_TRUE(q.up) << q.err;
        q.W(RIOMMU_REG_CQB, 0x20000805);
        q.W(RIOMMU_REG_CQCSR, 1, 4);
        q.W(RIOMMU_REG_FQB, 0x20000c05);
        q.W(RIOMMU_REG_FQCSR, 1, 4);
        // fsc Bare, iohgatp Bare (QEMU accepts msiptp Flat with it anyway),
        // MSI pattern page 0x80400000 -> MSI PTE 0 (basic) -> 0x80500000.
        q.M64(kDdt + kEdu0 * 64 + 0, RIOMMU_DC_TC_V);
        q.M64(kDdt + kEdu0 * 64 + 32, (1ull << 60) | 0x80020);
        q.M64(kDdt + kEdu0 * 64 + 40, 0);
        q.M64(kDdt + kEdu0 * 64 + 48, 0x80400);
        q.M64(0x80020000, (0x80500ull << 10) | (3u << 1) | 1u);
        q.W(RIOMMU_REG_DDTP, 0x20000402);
        q.M64(kCq, 0x3);
        q.M64(kCq + 8, 0);
        q.W(RIOMMU_REG_CQT, 1, 4);

        uint8_t msi[4] = {1, 2, 3, 4};
        int rc = 0;
        q.Dma(kEdu0, RIOMMU_WRITE, 0x80400000, msi, 4, &rc);
        EXPECT_LT(rc, 0);
        EXPECT_NE(q.Err().find("MSI"), std::string::npos) << q.Err();
        EXPECT_EQ(Le64(q.Mem(0x80500000, 8), 0), 0u); // QEMU dropped it
        EXPECT_EQ(q.R(RIOMMU_REG_FQT, 4), 0u);        // without a record

        std::vector<uint8_t> w(100, 0x77), rb(100);
        auto r = q.Dma(kEdu0, RIOMMU_WRITE, 0x80600010, w.data(), 100);
        EXPECT_EQ(r.status, RIOMMU_RSP_OK) << q.Err();
        EXPECT_EQ(r.pa, 0x80600010u);
        EXPECT_EQ(q.Mem(0x80600010, 100), w);
        r = q.Dma(kEdu0, RIOMMU_READ, 0x80600010, rb.data(), 100);
        EXPECT_EQ(r.status, RIOMMU_RSP_OK);
        EXPECT_EQ(rb, w);
    }
    FILE *f = std::fopen(logp, "r");
    ASSERT_NE(f, nullptr);
    std::string log;
    char line[512];
    while (std::fgets(line, sizeof line, f)) {
        log += line;
    }
    std::fclose(f);
    unlink(logp);
    EXPECT_NE(log.find("riscv_iommu_dma"), std::string::npos) << log;
    EXPECT_NE(log.find("riscv_iommu_cmd"), std::string::npos) << log;
}

// Finding (ds "Process to translate an IOVA", permission checks): QEMU's
// IOTLB hit path does not check the access against the cached permissions;
// QEMU's memory core then drops the write without a fault record. The
// backend reports that as an error, never as success.
TEST(QemuBackend, Finding_CachedReadOnlyWriteDropped)
{
    REQUIRE_QEMU();
    Qemu q;
    ASSERT_TRUE(q.up) << q.err;
    WorkingSequence(q);
    q.M64(kPt2 + 8, 0x200c0443); // page 1 read-only (V R A)
    uint8_t b[8] = {9, 9, 9, 9, 9, 9, 9, 9};
    auto r = q.Dma(kEdu0, RIOMMU_WRITE, kIova + 0x1000, b, 8); // walk: faults
    EXPECT_EQ(r.status, RIOMMU_RSP_FAULT);
    EXPECT_EQ(r.cause, (unsigned)RIOMMU_CAUSE_WRITE_PAGE_FAULT);
    r = q.Dma(kEdu0, RIOMMU_READ, kIova + 0x1000, b, 8); // caches RO
    EXPECT_EQ(r.status, RIOMMU_RSP_OK);
    int rc = 0;
    r = q.Dma(kEdu0, RIOMMU_WRITE, kIova + 0x1000, b, 8, &rc);
    EXPECT_LT(rc, 0);
    EXPECT_NE(q.Err().find("refused"), std::string::npos) << q.Err();
    EXPECT_EQ(q.R(RIOMMU_REG_FQT, 4), 1u); // only the first write's record
}

// notes "Invocation": a QEMU killed behind the backend's back gives an error
// quickly (no hang), later ops fail at once, and destroy still reaps it.
TEST(QemuBackend, Notes_Invocation_DeadQemuErrorsQuickly)
{
    REQUIRE_QEMU();
    riommu_qemu_config cfg = riommu_qemu_config_default();
    cfg.reply_timeout_ms = 1000;
    Qemu q(cfg);
    ASSERT_TRUE(q.up) << q.err;
    ASSERT_EQ(kill(q.pid, SIGKILL), 0);
    usleep(20000);
    auto t0 = std::chrono::steady_clock::now();
    uint64_t v = 1;
    EXPECT_LT(q.ops.mmio_read(q.ops.ctx, RIOMMU_REG_CAPABILITIES, 8, &v), 0);
    auto t1 = std::chrono::steady_clock::now();
    EXPECT_LT(Ms(t0, t1), 500.0);
    EXPECT_EQ(v, 0u);
    EXPECT_NE(q.Err().find("QEMU"), std::string::npos) << q.Err();
    uint8_t b[4];
    EXPECT_LT(q.ops.mem_read(q.ops.ctx, 0x80001000, b, 4), 0);
    int rc = 0;
    q.Dma(kEdu0, RIOMMU_READ, kIova, b, 4, &rc);
    EXPECT_LT(rc, 0);
    pid_t pid = q.pid;
    q.Destroy();
    EXPECT_TRUE(Gone(pid));
}

// notes "Invocation": a hung QEMU (stopped) gives an error after the reply
// timeout, and destroy ends it (SIGTERM is not enough: SIGKILL after grace).
TEST(QemuBackend, Notes_Invocation_HungQemuTimesOut)
{
    REQUIRE_QEMU();
    riommu_qemu_config cfg = riommu_qemu_config_default();
    cfg.reply_timeout_ms = 300;
    Qemu q(cfg);
    ASSERT_TRUE(q.up) << q.err;
    ASSERT_EQ(kill(q.pid, SIGSTOP), 0);
    auto t0 = std::chrono::steady_clock::now();
    uint64_t v;
    EXPECT_LT(q.ops.mmio_read(q.ops.ctx, RIOMMU_REG_CAPABILITIES, 8, &v), 0);
    auto t1 = std::chrono::steady_clock::now();
    EXPECT_GE(Ms(t0, t1), 250.0);
    EXPECT_LT(Ms(t0, t1), 1500.0);
    EXPECT_NE(q.Err().find("no reply"), std::string::npos) << q.Err();
    pid_t pid = q.pid;
    auto t2 = std::chrono::steady_clock::now();
    q.Destroy();
    auto t3 = std::chrono::steady_clock::now();
    EXPECT_TRUE(Gone(pid));
    EXPECT_LT(Ms(t2, t3), 2000.0);
}

// notes "Invocation": a wrong binary or bad arguments give a clear error from
// create and leave nothing running.
TEST(QemuBackend, Notes_Invocation_BadPathAndArgs)
{
    riommu_qemu_config cfg = riommu_qemu_config_default();
    cfg.qemu_path = "/nonexistent/qemu-system-riscv64";
    riommu_backend_ops ops{};
    char err[512] = "";
    EXPECT_LT(riommu_qemu_backend_create(&cfg, &ops, err, sizeof err), 0);
    EXPECT_NE(std::string(err).find("cannot execute '/nonexistent/qemu-system-riscv64'"),
              std::string::npos)
        << err;
    EXPECT_NE(std::string(err).find("No such file"), std::string::npos) << err;

    cfg.qemu_path = "no-such-qemu-binary-on-path";
    EXPECT_LT(riommu_qemu_backend_create(&cfg, &ops, err, sizeof err), 0);
    EXPECT_NE(std::string(err).find("cannot execute"), std::string::npos) << err;

    REQUIRE_QEMU();
    cfg = riommu_qemu_config_default();
    const char *extra[] = {"-device", "no-such-device", nullptr};
    cfg.extra_args = extra;
    EXPECT_LT(riommu_qemu_backend_create(&cfg, &ops, err, sizeof err), 0);
    EXPECT_NE(std::string(err).find("QEMU did not start"), std::string::npos) << err;
    EXPECT_NE(std::string(err).find("no-such-device"), std::string::npos) << err;

    cfg = riommu_qemu_config_default();
    cfg.n_edu = 0;
    EXPECT_LT(riommu_qemu_backend_create(&cfg, &ops, err, sizeof err), 0);
    EXPECT_NE(std::string(err).find("n_edu"), std::string::npos) << err;
}
