// test_stats.cpp - the statistics table (issue 7 "Statistics (gem5-style
// names)", DESIGN.md §2.5, docs/stats.md "Names"): names unique and
// stable, every value equal to its riommu_stats counter, hit-rate and mean
// math, histogram buckets, the time series and the JSON / CSV emitters.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <set>
#include <string>

extern "C" {
#include "riommu/json.h"
#include "riommu/stats.h"
}

namespace {

// Every counter a distinct value (so a row wired to the wrong counter shows).
riommu_stats distinct_stats() {
    riommu_stats s;
    uint64_t *w = reinterpret_cast<uint64_t *>(&s);
    for (size_t i = 0; i < sizeof s / sizeof *w; i++)
        w[i] = 1000 + 7 * i;
    for (unsigned c = 0; c < RIOMMU_STAT_CAUSES; c++)  // reserved causes stay 0
        if (!strcmp(riommu_cause_name(c), "reserved"))
            s.faults_by_cause[c] = 0;
    s.faults_by_cause[0] = 0; // cause 0 is "none": listed only when counted
    s.translations_ok = s.translations / 2;
    return s;
}

struct Table {
    riommu_stat_table t{};
    Table(const riommu_stats &s, uint64_t cycles = 123) {
        EXPECT_TRUE(riommu_stats_table_build(&t, &s, cycles));
    }
    ~Table() { riommu_stats_table_free(&t); }
    uint64_t count(const std::string &name) const {
        const riommu_stat_row *r = riommu_stats_table_find(&t, name.c_str());
        EXPECT_NE(r, nullptr) << name;
        if (!r)
            return ~0ull;
        EXPECT_FALSE(r->is_real) << name;
        return r->count;
    }
    double real(const std::string &name) const {
        const riommu_stat_row *r = riommu_stats_table_find(&t, name.c_str());
        EXPECT_NE(r, nullptr) << name;
        if (!r)
            return -1;
        EXPECT_TRUE(r->is_real) << name;
        return r->real;
    }
};

std::string render(void (*fn)(FILE *, const riommu_stat_table *), const riommu_stat_table *t) {
    char *buf = nullptr;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    fn(f, t);
    fclose(f);
    std::string s(buf, len);
    free(buf);
    return s;
}

}  // namespace

// docs/stats.md "Names": unique, dotted, gem5 characters only, with a unit
// and a description.
TEST(StatsTable, NamesAreUniqueAndWellFormed) {
    Table tb(distinct_stats());
    std::set<std::string> seen;
    ASSERT_GT(tb.t.n, 100u);
    for (size_t i = 0; i < tb.t.n; i++) {
        const riommu_stat_row &r = tb.t.rows[i];
        std::string n = r.name;
        EXPECT_TRUE(seen.insert(n).second) << "duplicate " << n;
        EXPECT_EQ(n.rfind("iommu.", 0), 0u) << n;
        EXPECT_EQ(n.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                      "0123456789._:+-"),
                  std::string::npos)
            << n;
        EXPECT_LT(n.size(), sizeof r.name - 1) << n;  // never truncated
        ASSERT_NE(r.desc, nullptr);
        ASSERT_NE(r.unit, nullptr);
        EXPECT_GT(strlen(r.desc), 0u) << n;
        EXPECT_TRUE(!strcmp(r.unit, "count") || !strcmp(r.unit, "cycles") ||
                    !strcmp(r.unit, "ratio"))
            << n << " " << r.unit;
    }
}

// docs/stats.md: the set of names does not depend on the values (reserved
// fault causes aside).
TEST(StatsTable, SameNamesWhateverTheValues) {
    riommu_stats zero;
    memset(&zero, 0, sizeof zero);
    Table a(zero), b(distinct_stats());
    ASSERT_EQ(a.t.n, b.t.n);
    for (size_t i = 0; i < a.t.n; i++)
        EXPECT_STREQ(a.t.rows[i].name, b.t.rows[i].name);
}

TEST(StatsTable, ReservedCauseListedOnlyWhenCounted) {
    riommu_stats s;
    memset(&s, 0, sizeof s);
    {
        Table none(s);
        EXPECT_EQ(riommu_stats_table_find(&none.t, "iommu.fault.cause.2"), nullptr);
    }
    s.faults_by_cause[2] = 5;
    Table tb(s);
    EXPECT_EQ(tb.count("iommu.fault.cause.2"), 5u);
    EXPECT_EQ(tb.count("iommu.fault.total"), 5u);
}

// Issue 7: per cache lookups, misses, fills, invalidations, hit rate.
TEST(StatsTable, CacheRowsEqualTheModelCounters) {
    riommu_stats s = distinct_stats();
    Table tb(s);
    const struct {
        const char *name;
        const riommu_cache_stats *c;
    } caches[] = {{"ddtc", &s.ddtc}, {"pdtc", &s.pdtc}, {"iotlb", &s.iotlb}, {"walkc", &s.walkc}};
    for (const auto &c : caches) {
        std::string p = std::string("iommu.") + c.name + ".";
        EXPECT_EQ(tb.count(p + "lookups"), c.c->lookups);
        EXPECT_EQ(tb.count(p + "hits"), c.c->hits);
        EXPECT_EQ(tb.count(p + "misses"), c.c->misses);
        EXPECT_EQ(tb.count(p + "fills"), c.c->fills);
        EXPECT_EQ(tb.count(p + "evictions"), c.c->evictions);
        EXPECT_EQ(tb.count(p + "invalidations"), c.c->invalidations);
        EXPECT_DOUBLE_EQ(tb.real(p + "hitRate"), (double)c.c->hits / (double)c.c->lookups);
    }
}

// Issue 7: walks and memory accesses per stage and level; commands by
// opcode; faults by cause.
TEST(StatsTable, WalkMemoryCommandAndFaultRowsEqualTheModelCounters) {
    riommu_stats s = distinct_stats();
    Table tb(s, 4242);
    EXPECT_EQ(tb.count("iommu.cycles"), 4242u);
    EXPECT_EQ(tb.count("iommu.xlate.count"), s.translations);
    EXPECT_EQ(tb.count("iommu.xlate.ok"), s.translations_ok);
    EXPECT_EQ(tb.count("iommu.xlate.faulted"), s.translations - s.translations_ok);
    EXPECT_EQ(tb.count("iommu.walker.ddt.walks"), s.ddt_walks);
    EXPECT_EQ(tb.count("iommu.walker.s1.walks"), s.s1_walks);
    EXPECT_EQ(tb.count("iommu.walker.s2.walks"), s.s2_walks);
    for (unsigned l = 0; l < 5; l++) {
        EXPECT_EQ(tb.count("iommu.walker.s1.level" + std::to_string(l) + ".reads"),
                  s.s1_walk_levels[l]);
        EXPECT_EQ(tb.count("iommu.walker.s2.level" + std::to_string(l) + ".reads"),
                  s.s2_walk_levels[l]);
    }
    EXPECT_EQ(tb.count("iommu.walker.adUpdates"), s.ad_updates);
    EXPECT_EQ(tb.count("iommu.mem.pteS1"), s.mem_accesses[RIOMMU_ACC_PTE_S1]);
    EXPECT_EQ(tb.count("iommu.mem.pteS2"), s.mem_accesses[RIOMMU_ACC_PTE_S2]);
    EXPECT_EQ(tb.count("iommu.mem.ddt"), s.mem_accesses[RIOMMU_ACC_DDT]);
    EXPECT_EQ(tb.count("iommu.mem.dmaData"), s.mem_accesses[RIOMMU_ACC_DMA_DATA]);
    uint64_t mem = 0;
    for (unsigned k = 0; k < RIOMMU_ACC_KIND_COUNT; k++)
        mem += s.mem_accesses[k];
    EXPECT_EQ(tb.count("iommu.mem.total"), mem);
    EXPECT_EQ(tb.count("iommu.cmd.IOTINVAL_VMA"), s.commands[1][0]);
    EXPECT_EQ(tb.count("iommu.cmd.IOTINVAL_GVMA"), s.commands[1][1]);
    EXPECT_EQ(tb.count("iommu.cmd.IOFENCE_C"), s.commands[2][0]);
    EXPECT_EQ(tb.count("iommu.cmd.IODIR_INVAL_DDT"), s.commands[3][0]);
    EXPECT_EQ(tb.count("iommu.cmd.IODIR_INVAL_PDT"), s.commands[3][1]);
    EXPECT_EQ(tb.count("iommu.cmd.ATS_INVAL"), s.commands[4][0]);
    EXPECT_EQ(tb.count("iommu.cmd.ATS_PRGR"), s.commands[4][1]);
    EXPECT_EQ(tb.count("iommu.cmd.illegal"), s.commands_illegal);
    uint64_t all = s.commands_illegal;
    for (auto &op : s.commands)
        for (uint64_t v : op)
            all += v;
    EXPECT_EQ(tb.count("iommu.cmd.total"), all);
    EXPECT_EQ(tb.count("iommu.fault.cause.13"), s.faults_by_cause[13]);
    EXPECT_EQ(tb.count("iommu.fault.cause.258"), s.faults_by_cause[258]);
    EXPECT_EQ(tb.count("iommu.fault.records.written"), s.fault_records_written);
    EXPECT_EQ(tb.count("iommu.fault.records.dropped"), s.fault_records_dropped);
    EXPECT_EQ(tb.count("iommu.intr.msis"), s.msis_sent);
    EXPECT_EQ(tb.count("iommu.mmio.errors"), s.mmio_errors);
}

// Issue 7: latency histograms for translations and walks.
TEST(StatsTable, HistogramBucketsAndMeans) {
    char b[32];
    const char *want[] = {"0-1", "2-2", "3-4", "5-8", "9-16", "17-32"};
    for (unsigned i = 0; i < 6; i++) {
        riommu_stats_bucket_name(i, b, sizeof b);
        EXPECT_STREQ(b, want[i]);
    }
    riommu_stats_bucket_name(14, b, sizeof b);
    EXPECT_STREQ(b, "8193-16384");
    riommu_stats_bucket_name(15, b, sizeof b);
    EXPECT_STREQ(b, "16385+");

    riommu_stats s;
    memset(&s, 0, sizeof s);
    s.latency_hist[5] = 3;
    s.walk_latency_hist[7] = 2;
    s.walk_latency_hist[15] = 1;
    s.translations = 4;
    s.translate_cycles = 90;
    s.walk_cycles = 30000;
    Table tb(s);
    EXPECT_EQ(tb.count("iommu.xlate.latency::17-32"), 3u);
    EXPECT_EQ(tb.count("iommu.walker.latency::65-128"), 2u);
    EXPECT_EQ(tb.count("iommu.walker.latency::16385+"), 1u);
    EXPECT_DOUBLE_EQ(tb.real("iommu.xlate.latency.mean"), 22.5);
    EXPECT_DOUBLE_EQ(tb.real("iommu.walker.latency.mean"), 10000.0);  // over 3 walks
}

// docs/stats.md: a rate or mean over nothing is 0, never NaN.
TEST(StatsTable, RatesOverNothingAreZero) {
    riommu_stats s;
    memset(&s, 0, sizeof s);
    s.iotlb.hits = 3;
    s.iotlb.lookups = 4;
    Table tb(s);
    EXPECT_DOUBLE_EQ(tb.real("iommu.iotlb.hitRate"), 0.75);
    EXPECT_DOUBLE_EQ(tb.real("iommu.ddtc.hitRate"), 0.0);
    EXPECT_DOUBLE_EQ(tb.real("iommu.xlate.latency.mean"), 0.0);
    EXPECT_DOUBLE_EQ(tb.real("iommu.walker.latency.mean"), 0.0);
}

// docs/stats.md "Run file": the values object is JSON our strict reader
// accepts, each value equal to its row.
TEST(StatsEmit, JsonValuesRoundTrip) {
    Table tb(distinct_stats());
    std::string js = render(riommu_stats_json_values, &tb.t);
    char err[256];
    riommu_json *v = riommu_json_parse(js.data(), js.size(), err, sizeof err);
    ASSERT_NE(v, nullptr) << err;
    ASSERT_EQ(v->type, RIOMMU_JSON_OBJECT);
    ASSERT_EQ(v->n, tb.t.n);
    for (size_t i = 0; i < tb.t.n; i++) {
        const riommu_stat_row &r = tb.t.rows[i];
        EXPECT_STREQ(v->kids[i]->key, r.name);
        if (r.is_real)
            EXPECT_NEAR(v->kids[i]->num, r.real, 1e-5 * (1 + r.real)) << r.name;
        else
            EXPECT_EQ(v->kids[i]->u, r.count) << r.name;
    }
    riommu_json_free(v);
    std::string info = render(riommu_stats_json_info, &tb.t);
    v = riommu_json_parse(info.data(), info.size(), err, sizeof err);
    ASSERT_NE(v, nullptr) << err;
    EXPECT_EQ(v->n, tb.t.n);
    riommu_json_free(v);
}

// docs/stats.md "CSV": RFC 4180 quoting of a program name with a comma and
// a quote; six columns per line.
TEST(StatsEmit, CsvQuotesAndColumns) {
    riommu_stats s;
    memset(&s, 0, sizeof s);
    Table tb(s);
    char *buf = nullptr;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    riommu_stats_csv_header(f);
    riommu_stats_csv_rows(f, "a,\"b\".scn", "model", &tb.t);
    fclose(f);
    std::string csv(buf, len);
    free(buf);
    EXPECT_EQ(csv.rfind("program,backend,name,value,unit,description\r\n", 0), 0u);
    EXPECT_NE(csv.find("\"a,\"\"b\"\".scn\",model,iommu.cycles,123,cycles,"), std::string::npos);
    size_t lines = 0;
    for (char c : csv)
        lines += c == '\n';
    EXPECT_EQ(lines, tb.t.n + 1);
}

TEST(StatsEmit, TextIsGem5Layout) {
    riommu_stats s;
    memset(&s, 0, sizeof s);
    s.iotlb.lookups = 10;
    Table tb(s);
    std::string txt = render(riommu_stats_text, &tb.t);
    EXPECT_NE(txt.find("iommu.iotlb.lookups"), std::string::npos);
    EXPECT_NE(txt.find("10  # lookups (each probe of the cache) (count)"), std::string::npos);
}

// docs/stats.md "Series": bounded, evenly thinned, ends at the last step.
TEST(StatsSeries, ThinsToAtMostMaxPointsAndKeepsTheEnd) {
    riommu_stats_series ser{};
    riommu_stats_series_reset(&ser, 8);
    riommu_stats s;
    memset(&s, 0, sizeof s);
    for (uint64_t step = 1; step <= 100; step++) {
        s.iotlb.lookups = step;
        s.iotlb.hits = step / 2;
        riommu_stats_series_offer(&ser, step, step * 10, &s);
        ASSERT_LE(ser.n, 8u);
    }
    riommu_stats_series_finish(&ser);
    ASSERT_GE(ser.n, 4u);
    ASSERT_LE(ser.n, 9u);
    EXPECT_EQ(ser.v[0].step, 1u);
    EXPECT_EQ(ser.v[ser.n - 1].step, 100u);
    EXPECT_EQ(ser.v[ser.n - 1].lookups[RIOMMU_CACHE_IOTLB], 100u);
    for (size_t i = 1; i + 1 < ser.n; i++)  // equal spacing before the final point
        EXPECT_EQ(ser.v[i].step - ser.v[i - 1].step, ser.every);
    riommu_stats_series_free(&ser);
}

// Issue 7 / docs/timing.md "Statistics": the timing layer's counters
// (slot waits, walker use, command and invalidation time, fence waits,
// most translations in flight) are rows of the table with their values.
TEST(StatsTable, TimingRowsEqualTheModelCounters) {
    riommu_stats s = distinct_stats();
    Table tb(s);
    EXPECT_EQ(tb.count("iommu.timing.xlateWait"), s.xlate_wait_cycles);
    EXPECT_EQ(tb.count("iommu.timing.ptwWait"), s.ptw_wait_cycles);
    EXPECT_EQ(tb.count("iommu.timing.cacheWait"), s.cache_wait_cycles);
    EXPECT_EQ(tb.count("iommu.timing.ptwWalks"), s.ptw_walks);
    EXPECT_EQ(tb.count("iommu.timing.cmdBusy"), s.cmd_busy_cycles);
    EXPECT_EQ(tb.count("iommu.timing.invalScan"), s.inval_cycles);
    EXPECT_EQ(tb.count("iommu.timing.fenceWait"), s.fence_wait_cycles);
    EXPECT_EQ(tb.count("iommu.timing.xlateMaxInflight"), s.xlate_max_inflight);
}
