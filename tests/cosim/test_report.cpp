// test_report.cpp - mismatch reports and waiver files (DESIGN.md §2.3 rules
// 6 and 7; issue 5: text, JSON --report, JUnit --junit, waivers with the
// spec section that justifies them).
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <string>

extern "C" {
#include "riommu/report.h"
}

namespace {
std::string render(void (*fn)(FILE *, const riommu_report_case *, size_t),
                   const riommu_report_case *c, size_t n) {
    char *buf = nullptr;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    fn(f, c, n);
    fclose(f);
    std::string s(buf, len);
    free(buf);
    return s;
}

struct Fixture {
    riommu_mismatch mm[2]{};
    const char *names[2] = {"model", "qemu"};
    riommu_report_case c{};
    Fixture() {
        mm[0].kind = RIOMMU_MM_DMA_CAUSE;
        mm[0].backend = 1;
        snprintf(mm[0].where, sizeof mm[0].where, "dma \"cause\" <x>");
        mm[0].expected = 13;
        mm[0].actual = 256;
        mm[0].step = 7;
        mm[1] = mm[0];
        mm[1].kind = RIOMMU_MM_EVENT;
        mm[1].waived = true;
        snprintf(mm[1].waiver, sizeof mm[1].waiver, "qemu-iotval");
        c.name = "tests/scenarios/x.scn";
        c.reproduce = "riommu run --backends model,qemu tests/scenarios/x.scn";
        c.backends = names;
        c.nbackends = 2;
        c.mm = mm;
        c.nmm = 2;
        c.unwaived = 1;
        c.waived = 1;
    }
};

std::string write_tmp(const std::string &text) {
    char path[] = "/tmp/riommu-waiversXXXXXX";
    int fd = mkstemp(path);
    FILE *f = fdopen(fd, "w");
    fputs(text.c_str(), f);
    fclose(f);
    return path;
}
} // namespace

// rule 6: the text report names backend, step, kind, where, values, waiver
// and the reproduction command.
TEST(Report, TextNamesEverything) {
    Fixture x;
    char *buf = nullptr;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    riommu_report_text(f, &x.c);
    fclose(f);
    std::string s(buf, len);
    free(buf);
    EXPECT_NE(s.find("MISMATCH: backend qemu, step 7"), std::string::npos) << s;
    EXPECT_NE(s.find("dma-cause"), std::string::npos);
    EXPECT_NE(s.find("expected 0xd, got 0x100"), std::string::npos);
    EXPECT_NE(s.find("WAIVED"), std::string::npos);
    EXPECT_NE(s.find("[waiver qemu-iotval]"), std::string::npos);
    EXPECT_NE(s.find("reproduce: riommu run --backends model,qemu"), std::string::npos);
}

// rule 6 (--report): JSON escapes strings and totals the cases.
TEST(Report, JsonEscapesAndTotals) {
    Fixture x;
    std::string s = render(riommu_report_json, &x.c, 1);
    EXPECT_NE(s.find("\"where\":\"dma \\\"cause\\\" <x>\""), std::string::npos) << s;
    EXPECT_NE(s.find("\"totals\":{\"cases\":1,\"mismatches\":1,\"waived\":1"),
              std::string::npos)
        << s;
    EXPECT_NE(s.find("\"waiver\":\"qemu-iotval\""), std::string::npos);
}

// rule 6 (--junit): a failing case is a <failure>, XML-escaped; waived
// records go to system-out.
TEST(Report, JunitFailureAndEscaping) {
    Fixture x;
    char *buf = nullptr;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    riommu_report_junit(f, "riommu", &x.c, 1);
    fclose(f);
    std::string s(buf, len);
    free(buf);
    EXPECT_NE(s.find("tests=\"1\" failures=\"1\""), std::string::npos) << s;
    EXPECT_NE(s.find("<failure message=\"1 mismatches\">"), std::string::npos);
    EXPECT_NE(s.find("dma &quot;cause&quot; &lt;x&gt;"), std::string::npos);
    EXPECT_NE(s.find("<system-out>qemu-iotval"), std::string::npos);
}

// Rule 6 with a clocked backend (docs/rtl-harness.md "Cycles and
// waveforms in reports"): a record of the rtl backend names its cycle(s),
// and the waveform window around them when the case has a waveform.
namespace {
struct Clocked {
    riommu_mismatch mm[2]{};
    const char *names[2] = {"model", "rtl"};
    riommu_report_case c{};
    Clocked() {
        mm[0].kind = RIOMMU_MM_DMA_STATUS;
        mm[0].backend = 1;
        snprintf(mm[0].where, sizeof mm[0].where, "dma status");
        mm[0].expected = 1;
        mm[0].step = 25;
        mm[0].has_clock = true;
        mm[0].clock_first = 12300;
        mm[0].clock_last = 12345;
        mm[1] = mm[0];
        mm[1].kind = RIOMMU_MM_MEM_FINAL;
        mm[1].clock_first = mm[1].clock_last = 40; // near 0: the window starts at 0
        c.name = "seed-17";
        c.reproduce = "riommu random --seeds 17-17 --backends model,rtl";
        c.wave_reproduce = "riommu random --seeds 17-17 --backends model,rtl --wave seed-17.fst";
        c.backends = names;
        c.nbackends = 2;
        c.mm = mm;
        c.nmm = 2;
        c.unwaived = 2;
    }
};

std::string text(const riommu_report_case &c) {
    char *buf = nullptr;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    riommu_report_text(f, &c);
    fclose(f);
    std::string s(buf, len);
    free(buf);
    return s;
}
} // namespace

TEST(Report, ClockedRecordNamesCyclesAndWaveformWindow) {
    Clocked x;
    x.c.wave = "w.fst";
    std::string s = text(x.c);
    EXPECT_NE(s.find("dma-status dma status: expected 0x1, got 0x0\n"
                     "  rtl: cycles 12300..12345; waveform w.fst cycles 12200..12445\n"),
              std::string::npos)
        << s;
    EXPECT_NE(s.find("  rtl: cycle 40; waveform w.fst cycles 0..140\n"), std::string::npos)
        << s;
    EXPECT_EQ(s.find("waveform: "), std::string::npos) << s; // it has one
}

TEST(Report, ClockedRecordWithoutWaveformSaysHowToGetOne) {
    Clocked x;
    std::string s = text(x.c);
    EXPECT_NE(s.find("  rtl: cycles 12300..12345\n"), std::string::npos) << s;
    EXPECT_NE(s.find("reproduce: riommu random --seeds 17-17 --backends model,rtl\n"
                     "waveform: riommu random --seeds 17-17 --backends model,rtl --wave "
                     "seed-17.fst\n"),
              std::string::npos)
        << s;
    // a record without a clock adds no line and no hint
    x.mm[0].has_clock = x.mm[1].has_clock = false;
    s = text(x.c);
    EXPECT_EQ(s.find("  rtl:"), std::string::npos) << s;
    EXPECT_EQ(s.find("waveform"), std::string::npos) << s;
}

TEST(Report, JsonAndJunitCarryTheCycles) {
    Clocked x;
    x.c.wave = "w.fst";
    std::string j = render(riommu_report_json, &x.c, 1);
    EXPECT_NE(j.find("\"wave\":\"w.fst\""), std::string::npos) << j;
    EXPECT_NE(j.find("\"cycles\":[12300,12345],\"wave_cycles\":[12200,12445]"),
              std::string::npos)
        << j;
    EXPECT_NE(j.find("\"cycles\":[40,40],\"wave_cycles\":[0,140]"), std::string::npos) << j;
    x.c.wave = nullptr;
    j = render(riommu_report_json, &x.c, 1);
    EXPECT_NE(j.find("\"wave\":null,\"wave_reproduce\":\"riommu random --seeds 17-17"),
              std::string::npos)
        << j;
    EXPECT_EQ(j.find("wave_cycles"), std::string::npos) << j;
    char *buf = nullptr;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    riommu_report_junit(f, "riommu", &x.c, 1);
    fclose(f);
    std::string s(buf, len);
    free(buf);
    EXPECT_NE(s.find("expected 0x1, got 0x0 (cycles 12300..12345)"), std::string::npos) << s;
    EXPECT_NE(s.find("waveform: riommu random --seeds 17-17"), std::string::npos) << s;
}

// rule 7: a waiver file parses into rules with spec and reason required.
TEST(Waivers, ParseGoodFile) {
    std::string p = write_tmp(
        "# QEMU divergences\n"
        "\n"
        "qemu-iotval backend=qemu kind=event where=\"fault-record +16\" "
        "spec=\"q Fault/Event-Queue\" reason=\"iotval page offset\"\n"
        "anything backend=rtl kind=any spec=\"regs ddtp\" reason=\"impl-defined\" # trailing\n");
    riommu_waiver_rule r[4];
    char err[200] = "";
    EXPECT_EQ(riommu_waivers_parse(p.c_str(), r, 4, err, sizeof err), 2) << err;
    EXPECT_STREQ(r[0].name, "qemu-iotval");
    EXPECT_STREQ(r[0].backend, "qemu");
    EXPECT_EQ(r[0].kind, RIOMMU_MM_EVENT);
    EXPECT_STREQ(r[0].where, "fault-record +16");
    EXPECT_EQ(r[1].kind, RIOMMU_MM_KIND_COUNT);
    remove(p.c_str());
}

// rule 7 and the input-handling rule: malformed waiver files give
// "file:line: message", never a crash.
TEST(Waivers, ParseErrorsNameFileAndLine) {
    const char *bad[] = {
        "w backend=qemu kind=nosuch spec=\"s\" reason=\"r\"\n",
        "w backend=qemu kind=event spec=\"s\"\n",
        "w backend=qemu kind=event spec=\"unterminated reason=\"r\n",
        "backend=qemu kind=event spec=\"s\" reason=\"r\"\n",
        "w backend=qemu kind=event color=red spec=\"s\" reason=\"r\"\n",
    };
    for (const char *text : bad) {
        std::string p = write_tmp(std::string("# header\n") + text);
        riommu_waiver_rule r[2];
        char err[200] = "";
        EXPECT_EQ(riommu_waivers_parse(p.c_str(), r, 2, err, sizeof err), -1) << text;
        EXPECT_NE(std::string(err).find(p + ":2:"), std::string::npos) << err;
        remove(p.c_str());
    }
    riommu_waiver_rule r[1];
    char err[200] = "";
    EXPECT_EQ(riommu_waivers_parse("/nonexistent/w.txt", r, 1, err, sizeof err), -1);
}
