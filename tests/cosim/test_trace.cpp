// test_trace.cpp - the trace writer and reader (docs/trace.md; issue 5:
// "--trace FILE records every shim operation", folding of polling loops,
// a trace is untrusted input with FILE:LINE errors and bounded replay work).
#include <gtest/gtest.h>

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <unistd.h>

extern "C" {
#include "riommu/trace.h"
}

namespace {

// A world for the recording shim: reads answer from a script, memory is one
// 64 KiB region at 0x80000000, allocations bump through it.
struct Fake {
    std::vector<uint64_t> answers;
    size_t next = 0;
    uint8_t mem[65536]{};
    uint64_t brk = 0x80000000;
    static Fake *of(void *c) { return static_cast<Fake *>(c); }
    static uint64_t rd(void *c, uint32_t) {
        Fake *f = of(c);
        return f->next < f->answers.size() ? f->answers[f->next++] : 0;
    }
    static uint32_t r32(void *c, uint32_t off) { return (uint32_t)rd(c, off); }
    static uint64_t r64(void *c, uint32_t off) { return rd(c, off); }
    static void w32(void *, uint32_t, uint32_t) {}
    static void w64(void *, uint32_t, uint64_t) {}
    static bool alloc(void *c, size_t size, size_t, riommu_dma_mem *out) {
        Fake *f = of(c);
        out->pa = f->brk;
        out->size = size;
        out->cpu = f->mem + (f->brk - 0x80000000);
        f->brk += size;
        return true;
    }
    static void free_(void *, const riommu_dma_mem *) {}
    static void sync(void *, uint64_t, size_t) {}
    static void delay(void *, uint32_t) {}
    static uint64_t now(void *) { return 0; }
    static uint8_t *bytes(void *c, uint64_t pa, size_t len) {
        Fake *f = of(c);
        if (pa < 0x80000000 || pa - 0x80000000 + len > sizeof f->mem)
            return nullptr;
        return f->mem + (pa - 0x80000000);
    }
    riommu_hw_ops ops() {
        riommu_hw_ops o{};
        o.ctx = this;
        o.read32 = r32;
        o.read64 = r64;
        o.write32 = w32;
        o.write64 = w64;
        o.alloc = alloc;
        o.free = free_;
        o.sync_to_device = sync;
        o.sync_for_cpu = sync;
        o.delay_us = delay;
        o.now_us = now;
        return o;
    }
};

std::string temp_path(const char *name) {
    static unsigned counter;
    return testing::TempDir() + "riommu_trace_" + std::to_string(getpid()) + "_" + name + "_" +
           std::to_string(counter++) + ".trace";
}

std::string slurp(const std::string &path) {
    std::ifstream f(path, std::ios::binary);
    std::stringstream ss;
    ss << f.rdbuf();
    return ss.str();
}

void spit(const std::string &path, const std::string &text) {
    std::ofstream f(path, std::ios::binary);
    f << text;
}

// One operation as a comparable string (kind, fields, data).
std::string item_text(const riommu_trace_item &it) {
    char b[256];
    snprintf(b, sizeof b, "%d off=%x size=%u addr=%llx len=%llu val=%llx ok=%d", (int)it.kind,
             (unsigned)it.off, it.size, (unsigned long long)it.addr,
             (unsigned long long)it.len, (unsigned long long)it.value, (int)it.ok);
    std::string s = b;
    if (it.has_data) {
        size_t n = it.kind == RIOMMU_TK_DMA ? it.req.len : (size_t)it.len;
        for (size_t i = 0; i < n; i++) {
            snprintf(b, sizeof b, "%02x", it.data[i]);
            s += b;
        }
    }
    return s;
}

// Everything the reader returns (expanded), or the error.
struct ReadResult {
    std::vector<riommu_trace_item> items;
    std::vector<std::string> ops; // operation items as text
    std::string err;
};

ReadResult read_all(const std::string &path, bool expand = true) {
    ReadResult r;
    char err[400] = "";
    riommu_trace_reader *rd = riommu_trace_open(path.c_str(), expand, err, sizeof err);
    if (!rd) {
        r.err = err;
        return r;
    }
    riommu_trace_item it;
    int rc;
    while ((rc = riommu_trace_next(rd, &it, err, sizeof err)) > 0) {
        r.items.push_back(it);
        if (it.kind >= RIOMMU_TK_READ && it.kind <= RIOMMU_TK_MEM_WRITE)
            r.ops.push_back(item_text(it));
    }
    if (rc < 0)
        r.err = err;
    riommu_trace_close(rd);
    return r;
}

// Record with a fresh writer: `body` drives the wrapped shim.
template <class F> std::string record(const char *name, Fake &fake, F body) {
    std::string path = temp_path(name);
    FILE *f = fopen(path.c_str(), "w");
    riommu_trace_writer *w = riommu_trace_writer_create(f);
    const char *cfg[] = {"config iotlb entries=4 assoc=2 policy=fifo enable=on lat=1"};
    riommu_trace_begin(w, "scn/x.scn", nullptr, 0x80000000, 0x10000000, cfg, 1);
    riommu_hw_ops in = fake.ops();
    riommu_trace_cpu cpu = {&fake, Fake::bytes};
    riommu_hw_ops o = riommu_trace_wrap(w, &in, &cpu);
    body(w, o);
    EXPECT_TRUE(riommu_trace_writer_destroy(w));
    fclose(f);
    return path;
}

} // namespace

// docs/trace.md "Folding": a polling loop (read, delay) x 1000 becomes one
// block and an `again` line, and reads back as the same 2001 operations.
TEST(Trace, PollingLoopFoldsIntoAgainAndExpandsBack) {
    Fake fake;
    for (int i = 0; i < 1000; i++)
        fake.answers.push_back(0);
    fake.answers.push_back(3);
    std::string path = record("poll", fake, [](riommu_trace_writer *w, riommu_hw_ops &o) {
        riommu_trace_at(w, 12);
        for (int i = 0; i < 1000; i++) {
            o.read32(o.ctx, 0x20);
            o.delay_us(o.ctx, 1);
        }
        o.read32(o.ctx, 0x20);
    });
    std::string text = slurp(path);
    EXPECT_NE(text.find("at 12\nr32 cqh@0x020 -> 0x0\ndelay 1\nagain 2 999\n"
                        "r32 cqh@0x020 -> 0x3\nend\n"),
              std::string::npos)
        << text;
    ReadResult r = read_all(path);
    ASSERT_EQ(r.err, "");
    ASSERT_EQ(r.ops.size(), 2001u);
    EXPECT_EQ(r.items.back().kind, RIOMMU_TK_END);
    // unexpanded, the same file is the same five operation lines
    EXPECT_EQ(read_all(path, false).ops.size(), 3u);
}

// docs/trace.md "Folding": whatever the sequence, expanding the written
// trace gives back exactly the operations recorded (random sequences with
// repeated blocks of 1..6 lines, interrupted partial blocks, data).
TEST(Trace, RandomSequencesRoundTrip) {
    uint64_t seed = 0x9E3779B97F4A7C15ull;
    auto rnd = [&seed](uint64_t n) {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        return seed % n;
    };
    for (int round = 0; round < 40; round++) {
        struct Op {
            int kind; // 0 read, 1 write, 2 delay, 3 publish, 4 consume
            uint32_t off;
            uint64_t v;
        };
        std::vector<Op> seq;
        while (seq.size() < 300) {
            std::vector<Op> block;
            size_t len = 1 + rnd(6);
            for (size_t i = 0; i < len; i++)
                block.push_back(Op{(int)rnd(5), (uint32_t)(rnd(3) * 8), rnd(3)});
            size_t reps = 1 + rnd(5);
            for (size_t k = 0; k < reps; k++)
                for (size_t i = 0; i < block.size(); i++)
                    if (!(k == reps - 1 && i == block.size() - 1 && rnd(2)))
                        seq.push_back(block[i]); // sometimes cut the last repetition short
        }
        Fake fake;
        for (const Op &op : seq)
            if (op.kind == 0)
                fake.answers.push_back(op.v);
        std::string path = record("random", fake, [&](riommu_trace_writer *w, riommu_hw_ops &o) {
            riommu_dma_mem m;
            o.alloc(o.ctx, 4096, 4096, &m);
            for (size_t i = 0; i < seq.size(); i++) {
                const Op &op = seq[i];
                if (i == 150)
                    riommu_trace_at(w, 7);
                uint8_t *cpu = static_cast<uint8_t *>(m.cpu);
                switch (op.kind) {
                case 0: o.read64(o.ctx, op.off); break;
                case 1: o.write64(o.ctx, op.off, op.v); break;
                case 2: o.delay_us(o.ctx, (uint32_t)op.v); break;
                case 3:
                    memset(cpu + op.off, (int)op.v, 8);
                    o.sync_to_device(o.ctx, m.pa + op.off, 8);
                    break;
                default: o.sync_for_cpu(o.ctx, m.pa + op.off, 16); break;
                }
            }
        });
        ReadResult r = read_all(path);
        ASSERT_EQ(r.err, "") << "round " << round;
        ASSERT_EQ(r.ops.size(), seq.size() + 1) << "round " << round << "\n" << slurp(path);
        // replay the recorded memory effects to rebuild what each op saw
        uint8_t mem[4096]{};
        size_t a = 0;
        for (size_t i = 0; i < seq.size(); i++) {
            const Op &op = seq[i];
            riommu_trace_item want{};
            want.has_data = false;
            switch (op.kind) {
            case 0: want.kind = RIOMMU_TK_READ; want.size = 8; want.off = op.off;
                    want.value = fake.answers[a++]; break;
            case 1: want.kind = RIOMMU_TK_WRITE; want.size = 8; want.off = op.off;
                    want.value = op.v; break;
            case 2: want.kind = RIOMMU_TK_DELAY; want.value = op.v; break;
            case 3:
                memset(mem + op.off, (int)op.v, 8);
                want.kind = RIOMMU_TK_PUBLISH; want.addr = 0x80000000 + op.off; want.len = 8;
                want.has_data = true; want.data = mem + op.off; break;
            default:
                want.kind = RIOMMU_TK_CONSUME; want.addr = 0x80000000 + op.off; want.len = 16;
                want.has_data = true; want.data = mem + op.off; break;
            }
            ASSERT_EQ(r.ops[i + 1], item_text(want)) << "round " << round << " op " << i;
        }
    }
}

// docs/trace.md "Data": bytes are written as their shortest repeating
// pattern and read back in full.
TEST(Trace, DataIsWrittenAsItsShortestPattern) {
    Fake fake;
    std::string path = record("data", fake, [&](riommu_trace_writer *, riommu_hw_ops &o) {
        riommu_dma_mem m;
        o.alloc(o.ctx, 8192, 4096, &m);
        uint8_t *cpu = static_cast<uint8_t *>(m.cpu);
        o.sync_to_device(o.ctx, m.pa, 4096); // zeros
        for (int i = 0; i < 24; i++)
            cpu[4096 + i] = (uint8_t)(0xC0 + i % 3);
        o.sync_to_device(o.ctx, m.pa + 4096, 24);
        cpu[4096 + 23] = 0xEE;
        o.sync_to_device(o.ctx, m.pa + 4096, 24);
        o.sync_to_device(o.ctx, 0x1000, 8); // outside every buffer
    });
    std::string text = slurp(path);
    EXPECT_NE(text.find("publish 0x80000000 4096 00\n"), std::string::npos) << text;
    EXPECT_NE(text.find("publish 0x80001000 24 c0c1c2\n"), std::string::npos) << text;
    EXPECT_NE(text.find("publish 0x80001000 24 c0c1c2c0c1c2c0c1c2c0c1c2c0c1c2c0c1c2c0c1c2c0c1ee\n"),
              std::string::npos);
    EXPECT_NE(text.find("publish 0x1000 8 -\n"), std::string::npos) << text;
    ReadResult r = read_all(path);
    ASSERT_EQ(r.err, "");
    const riommu_trace_item *pub = nullptr;
    for (const auto &it : r.items)
        if (it.kind == RIOMMU_TK_PUBLISH && it.len == 24) {
            pub = &it;
            break;
        }
    ASSERT_NE(pub, nullptr);
}

// docs/trace.md "Format": the section header, config lines, DMA with its
// response, labels and the device-side records come back as items.
TEST(Trace, SectionHeaderAndDeviceRecordsReadBack) {
    Fake fake;
    std::string path = record("dev", fake, [](riommu_trace_writer *w, riommu_hw_ops &) {
        riommu_trace_at(w, 5);
        riommu_request q{};
        q.device_id = 0x10;
        q.access = RIOMMU_WRITE;
        q.iova = 0x1000;
        q.len = 8;
        q.pv = true;
        q.process_id = 3;
        uint8_t d[8] = {1, 2, 3, 4, 1, 2, 3, 4};
        riommu_response rsp{};
        rsp.status = RIOMMU_RSP_FAULT;
        rsp.cause = 15;
        rsp.recorded = true;
        riommu_trace_dma(w, &q, d, &rsp);
        riommu_trace_step(w, 1000);
        riommu_trace_settle(w);
        riommu_trace_label(w, 0x80040000, 4096, 32, "fault-record");
        riommu_trace_mem_write(w, 0x90000000, d, 4);
    });
    std::string text = slurp(path);
    EXPECT_NE(text.find("dma 0x10 write 0x1000 8 pid 0x3 data 01020304 -> fault 15 recorded\n"),
              std::string::npos)
        << text;
    ReadResult r = read_all(path);
    ASSERT_EQ(r.err, "");
    std::vector<riommu_trace_kind> kinds;
    for (const auto &it : r.items)
        kinds.push_back(it.kind);
    std::vector<riommu_trace_kind> want = {
        RIOMMU_TK_SCENARIO, RIOMMU_TK_WORLD,  RIOMMU_TK_WINDOW, RIOMMU_TK_CONFIG,
        RIOMMU_TK_AT,       RIOMMU_TK_DMA,    RIOMMU_TK_STEP,   RIOMMU_TK_SETTLE,
        RIOMMU_TK_LABEL,    RIOMMU_TK_MEM_WRITE, RIOMMU_TK_END};
    EXPECT_EQ(kinds, want) << text;
    const riommu_trace_item &dma = r.items[5];
    EXPECT_EQ(dma.req.device_id, 0x10u);
    EXPECT_TRUE(dma.req.pv);
    EXPECT_EQ(dma.req.process_id, 3u);
    EXPECT_EQ(dma.rsp.cause, 15);
    EXPECT_TRUE(dma.rsp.recorded);
}

// docs/trace.md "Limits and budgets": a malformed trace is one
// "FILE:LINE: message", never a crash; each case names what is wrong.
TEST(Trace, MalformedTracesNameFileAndLine) {
    const std::string head =
        "riommu-trace 1\nscenario s\nworld model\nwindow 0x80000000 0x10000000\n";
    struct Case {
        std::string text;
        unsigned line;
        const char *needle;
    } cases[] = {
        {"", 1, "empty file"},
        {"riommu-trace 2\n", 1, "version"},
        {"hello\n", 1, "not a riommu trace"},
        {"riommu-trace 1\nr32 0x0 -> 0x0\n", 2, "expected 'scenario'"},
        {head + "r32 cqh@0x020 -> 0x0\n", 5, "ends inside section"},
        {head + "r32 fctl@0x020 -> 0x0\nend\n", 5, "offset 0x020 is cqh"},
        {head + "r32 0x1001 -> 0\nend\n", 5, "bad register"},
        {head + "r64 0x004 -> 0\nend\n", 5, "aligned to 8"},
        {head + "r32 0x020 -> 0x100000000\nend\n", 5, "out of range"},
        {head + "w64 0x010 0x1ffffffffffffffff\nend\n", 5, "bad value"},
        {head + "frob 1\nend\n", 5, "unknown record"},
        {head + "again 1 1\nend\n", 5, "only 0 operation"},
        {head + "delay 1\nagain 1 67108864\nend\n", 6, "budget"},
        {head + "delay 4294967295\nagain 1 67108863\nend\n", 6, "cycles"},
        {head + "step 35184372088832\nstep 1\nend\n", 6, "cycles"},
        {head + "publish 0x80000000 2097152 00\nend\n", 5, "out of range"},
        {head + "publish 0x80000000 4 0011223344\nend\n", 5, "hex digits"},
        {head + "publish 0x80000000 4 0g\nend\n", 5, "bad hex"},
        {head + "dma 0x10 write 0x0 8 -> ok pa 0x0 range 0x1000\nend\n", 5, "needs 'data"},
        {head + "dma 0x10 read 0x0 70000 -> bad-request\nend\n", 5, "out of range"},
        {head + "dma 0x10 read 0x0 8 -> ok pa 0x0 range 0x1000\nend\n", 5, "expected 'data'"},
        {head + "dma 0x10 read 0x0 8 -> maybe\nend\n", 5, "expected ok, fault"},
        {head + "alloc 4096 3000 -> 0x80000000\nend\n", 5, "power of two"},
        {head + "alloc 134217728 4096 -> 0x80000000\nend\n", 5, "out of range"},
        {head + "map 0xfffffffffffff000 8192 -> ok\nend\n", 5, "wraps"},
        {head + "r32 0x0 -> 0\nconfig seed 3\nend\n", 6, "after the first operation"},
        {head + "end\nend\n", 6, "expected 'scenario'"},
        {"riommu-trace 1\nscenario s\nwindow 0 4096\n", 3, "world"},
        {"riommu-trace 1\nscenario s\nworld model\nwindow 0x80000800 4096\n", 4, "aligned"},
        {head + "r32 0x0 -> 0\x01\nend\n", 5, "invalid character"},
        {head + std::string("r32 0x0 -> 0\0\nend\n", 18), 5, "invalid character"},
        {head + "label 0x0 4096 32 a-name-that-is-far-too-long\nend\n", 5, "label"},
        {head + "r32 0x0 -> 0 extra\nend\n", 5, "unexpected 'extra'"},
        {head + std::string(3u << 20, 'x') + "\n", 5, "longer than"},
    };
    for (const Case &c : cases) {
        std::string path = temp_path("bad");
        spit(path, c.text);
        ReadResult r = read_all(path, false);
        std::string want = path + ":" + std::to_string(c.line) + ": ";
        EXPECT_EQ(r.err.rfind(want, 0), 0u) << r.err << " for " << c.text.substr(0, 200);
        EXPECT_NE(r.err.find(c.needle), std::string::npos) << r.err;
    }
}

// A reader after an error stays failed; a clean trace with no section reads.
TEST(Trace, EmptyTraceAndStickyErrors) {
    std::string path = temp_path("empty");
    spit(path, "riommu-trace 1\n# nothing recorded\n\n");
    ReadResult r = read_all(path);
    EXPECT_EQ(r.err, "");
    EXPECT_TRUE(r.items.empty());
    spit(path, "riommu-trace 1\nbogus\nscenario s\n");
    char err[400];
    riommu_trace_reader *rd = riommu_trace_open(path.c_str(), true, err, sizeof err);
    ASSERT_NE(rd, nullptr);
    riommu_trace_item it;
    EXPECT_EQ(riommu_trace_next(rd, &it, err, sizeof err), -1);
    EXPECT_EQ(riommu_trace_next(rd, &it, err, sizeof err), -1);
    riommu_trace_close(rd);
}
