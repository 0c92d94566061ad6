// test_html_report.cpp - `riommu report` HTML (issue 7 "riommu report
// RUN.json -o report.html: self-contained, no network, no JavaScript";
// docs/stats.md "riommu report"): escaping of every string from the run
// file, no script element, the charts, and schema errors that name their
// place in the document.
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <string>

extern "C" {
#include "riommu/html_report.h"
#include "riommu/json.h"
}

namespace {

// A small run file; `hostile` goes into every free-text field.
std::string run_file(const std::string &hostile) {
    return std::string("{\"format\":\"riommu-run\",\"version\":1,\"command\":\"riommu run ") +
           hostile + "\",\"backends\":\"model,model2\",\"programs\":[{\"name\":\"" + hostile +
           ".scn\",\"steps\":5,\"checks\":4,\"mismatches\":1,\"waived\":0,\"skipped\":0,"
           "\"stopped\":false,\"cycles\":1000,\"failed\":[\"x.scn:3: expected " + hostile +
           "\"],\"failed_more\":0,\"backends\":[{\"name\":\"model\",\"stats\":{"
           "\"iommu.xlate.count\":7,\"iommu.iotlb.hitRate\":0.25,\"iommu.xlate.latency::0-1\":0,"
           "\"iommu.xlate.latency::2-2\":3,\"iommu.xlate.latency::3-4\":4,"
           "\"iommu.walker.latency::17-32\":2}},{\"name\":\"" + hostile +
           "\",\"stats\":{\"iommu.xlate.count\":7}}],"
           "\"series\":{\"every\":1,\"columns\":[\"step\",\"cycles\",\"translations\","
           "\"iotlb.lookups\",\"iotlb.hits\"],\"rows\":[[1,10,0,0,0],[2,20,1,1,0],[3,30,2,4,1]]}}],"
           "\"report\":{\"cases\":[{\"name\":\"x.scn\",\"reproduce\":\"riommu run " + hostile +
           "\",\"records\":[{\"kind\":\"dma-cause\",\"backend\":\"model2\",\"where\":\"" + hostile +
           "\",\"expected\":\"0xd\",\"actual\":\"0x100\",\"step\":3,\"repeats\":1}]}],"
           "\"totals\":{}},\"totals\":{\"programs\":1,\"mismatches\":1,\"waived\":0,\"skipped\":0},"
           "\"timing_compare\":{\"reference\":\"model\",\"backends\":[{\"backend\":\"" + hostile +
           "\",\"dmas\":3,\"mean_ref_cycles\":10.5,\"mean_other_cycles\":11,\"mean_abs_rel\":0.05,"
           "\"p95_abs_rel\":0.125,\"mean_signed_rel\":-0.02,\"error_hist\":{\"relErr::0-1%\":1,"
           "\"relErr::1-2%\":0,\"relErr::2-5%\":2},\"worst\":[{\"program\":\"" + hostile +
           "\",\"device_id\":3,\"access\":\"read\",\"iova\":\"0x1000\",\"len\":8,"
           "\"ref_cycles\":10,\"other_cycles\":11}]}]},"
           "\"statistics\":[{\"name\":\"iommu.xlate.count\",\"unit\":\"count\",\"desc\":\"" +
           hostile + "\"}]}";
}

// Render `doc`; returns the page, or "ERROR: message".
std::string render(const std::string &doc) {
    char err[300];
    riommu_json *v = riommu_json_parse(doc.data(), doc.size(), err, sizeof err);
    if (!v)
        return std::string("PARSE: ") + err;
    char *buf = nullptr;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    bool ok = riommu_html_report(f, v, err, sizeof err);
    fclose(f);
    std::string page(buf, len);
    free(buf);
    riommu_json_free(v);
    return ok ? page : std::string("ERROR: ") + err;
}

std::string lower(std::string s) {
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
    return s;
}

size_t count(const std::string &s, const std::string &what) {
    size_t n = 0;
    for (size_t p = s.find(what); p != std::string::npos; p = s.find(what, p + 1))
        n++;
    return n;
}

}  // namespace

TEST(HtmlReport, SelfContainedWithCharts) {
    std::string page = render(run_file("plain"));
    ASSERT_EQ(page.rfind("<!DOCTYPE html>", 0), 0u) << page.substr(0, 200);
    EXPECT_NE(page.find("Content-Security-Policy"), std::string::npos);
    EXPECT_NE(page.find("default-src 'none'"), std::string::npos);
    EXPECT_EQ(lower(page).find("<script"), std::string::npos);
    EXPECT_EQ(page.find("http://"), page.find("http://www.w3.org/2000/svg"));  // only the SVG namespace
    EXPECT_EQ(page.find("https://"), std::string::npos);
    EXPECT_EQ(count(page, "<svg"), 4u);  // and the timing comparison's error histogram
    EXPECT_NE(page.find("class=\"chart-timing\""), std::string::npos);
    EXPECT_NE(page.find("<td class=\"num\">12.5 %</td>"), std::string::npos);  // its p95
    EXPECT_NE(page.find("class=\"chart-latency\""), std::string::npos);
    EXPECT_NE(page.find("class=\"chart-walk\""), std::string::npos);
    EXPECT_NE(page.find("class=\"chart-hitrate\""), std::string::npos);
    // latency buckets 2-2, 3-4 and 17-32; error buckets 0-1 % and 2-5 % (the
    // empty 1-2 % between them draws a zero-height bar)
    EXPECT_EQ(count(page, "<rect class=\"bar\""), 6u);
    EXPECT_NE(page.find("<polyline class=\"line c2\""), std::string::npos);  // the IOTLB
    EXPECT_NE(page.find("25.0%"), std::string::npos);  // the IOTLB hit rate
    EXPECT_NE(page.find("id=\"totals\""), std::string::npos);
    EXPECT_NE(page.find("dma-cause"), std::string::npos);
    EXPECT_EQ(page.substr(page.size() - 15), "</body></html>\n");
}

// Every string of the run file is escaped: mismatch text, names, commands.
TEST(HtmlReport, EscapesEveryString) {
    const std::string hostile = "<script>alert(1)</script><img src=x onerror=a()>&amp;'\\\"";
    std::string page = render(run_file(hostile));
    ASSERT_EQ(page.rfind("<!DOCTYPE html>", 0), 0u) << page.substr(0, 300);
    EXPECT_EQ(lower(page).find("<script"), std::string::npos);
    EXPECT_EQ(page.find("<img"), std::string::npos);
    EXPECT_GE(count(page, "&lt;script&gt;alert(1)&lt;/script&gt;"), 6u);
    EXPECT_NE(page.find("&amp;amp;&#39;&quot;"), std::string::npos);
}

TEST(HtmlReport, ControlCharactersAreReplaced) {
    std::string page = render(run_file("a\\u0001b"));
    ASSERT_EQ(page.rfind("<!DOCTYPE html>", 0), 0u) << page.substr(0, 300);
    EXPECT_EQ(page.find('\x01'), std::string::npos);
    EXPECT_NE(page.find("a?b"), std::string::npos);
}

// Schema violations name their place in the document.
TEST(HtmlReport, SchemaErrorsNameThePlace) {
    const std::string good = run_file("x");
    auto with = [&](const std::string &from, const std::string &to) {
        std::string d = good;
        size_t p = d.find(from);
        EXPECT_NE(p, std::string::npos) << from;
        return render(d.replace(p, from.size(), to));
    };
    EXPECT_EQ(render("[]"), "ERROR: the document: expected an object, found an array");
    EXPECT_EQ(with("\"riommu-run\"", "\"other\""),
              "ERROR: format: \"other\" is not a riommu run file (\"riommu-run\")");
    EXPECT_EQ(with("\"version\":1", "\"version\":2"),
              "ERROR: version: 2 is not supported (this riommu reads version 1)");
    EXPECT_EQ(with("\"version\":1", "\"version\":\"1\""),
              "ERROR: the document.version: expected a number, found a string");
    EXPECT_EQ(with("\"totals\":{\"programs\":1,", "\"totals\":{"),
              "ERROR: totals: the member \"programs\" is missing");
    EXPECT_EQ(with("\"steps\":5", "\"steps\":-5"),
              "ERROR: programs[0].steps: expected an unsigned integer");
    EXPECT_EQ(with("\"iommu.xlate.count\":7,", "\"iommu.xlate.count\":\"7\","),
              "ERROR: programs[0].backends[0].stats[\"iommu.xlate.count\"]: expected a number, "
              "found a string");
    EXPECT_EQ(with("[2,20,1,1,0]", "[2,20,1]"),
              "ERROR: programs[0].series.rows[1]: expected an array of 5 numbers");
    EXPECT_EQ(with("[3,30,2,4,1]", "[3,30,2,4,-1]"),
              "ERROR: programs[0].series.rows[2][4]: expected a number >= 0");
    EXPECT_EQ(with("\"failed\":[\"", "\"failed\":[1,\""),
              "ERROR: programs[0].failed[0]: expected a string, found a number");
    EXPECT_EQ(with("\"step\":3", "\"step\":3.5"),
              "ERROR: report.cases[0].records[0].step: expected an unsigned integer");
    EXPECT_EQ(with("\"programs\":[{", "\"programs\":[7,{"),
              "ERROR: programs[0]: expected an object, found a number");
    EXPECT_EQ(with("\"dmas\":3", "\"dmas\":-3"),
              "ERROR: timing_compare.backends[0].dmas: expected an unsigned integer");
    EXPECT_EQ(with("\"relErr::1-2%\":0", "\"relErr::1-2%\":null"),
              "ERROR: timing_compare.backends[0].error_hist[\"relErr::1-2%\"]: expected a "
              "number, found null");
    EXPECT_EQ(with("\"ref_cycles\":10", "\"ref_cycles\":\"10\""),
              "ERROR: timing_compare.backends[0].worst[0].ref_cycles: expected a number, found "
              "a string");
    EXPECT_EQ(with("\"timing_compare\":{\"reference\"", "\"timing_compare\":{\"ref\""),
              "ERROR: timing_compare: the member \"reference\" is missing");
}

// Numbers at the edges of the reader's range draw without NaN or overflow.
TEST(HtmlReport, HugeNumbersStayFinite) {
    std::string d = run_file("x");
    size_t p = d.find("\"iommu.xlate.latency::2-2\":3");
    d.replace(p, 28, "\"iommu.xlate.latency::2-2\":1e308");
    p = d.find("[3,30,2,4,1]");
    d.replace(p, 12, "[18446744073709551615,30,2,4,1]");
    std::string page = render(d);
    ASSERT_EQ(page.rfind("<!DOCTYPE html>", 0), 0u) << page.substr(0, 300);
    EXPECT_EQ(lower(page).find("nan"), std::string::npos);
    EXPECT_EQ(lower(page).find("inf"), std::string::npos);
}
