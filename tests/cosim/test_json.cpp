// test_json.cpp - the strict JSON reader behind `riommu report` (issue 7
// "riommu report RUN.json"; docs/stats.md "Reading run files"): valid
// documents, and every malformed input - truncated, wrong syntax, huge
// numbers, deep nesting, bad UTF-8 - refused with a clear message and no
// crash.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstring>
#include <string>

extern "C" {
#include "riommu/json.h"
}

namespace {
struct Parsed {
    riommu_json *v = nullptr;
    char err[256] = "";
    explicit Parsed(const std::string &s) { v = riommu_json_parse(s.data(), s.size(), err, sizeof err); }
    ~Parsed() { riommu_json_free(v); }
};

std::string error_of(const std::string &s) {
    Parsed p(s);
    EXPECT_EQ(p.v, nullptr) << "accepted: " << s.substr(0, 80);
    return p.err;
}
}  // namespace

TEST(JsonRead, ValidDocument) {
    Parsed p("{\"a\":[1,-2,3.5,1e3,true,false,null],\"s\":\"x\\n\\u00e9\\ud83d\\ude00\\/\","
             "\"big\":18446744073709551615,\"neg\":-9223372036854775808,\"o\":{}}");
    ASSERT_NE(p.v, nullptr) << p.err;
    const riommu_json *a = riommu_json_get(p.v, "a");
    ASSERT_NE(a, nullptr);
    ASSERT_EQ(a->n, 7u);
    EXPECT_TRUE(a->kids[0]->is_uint);
    EXPECT_EQ(a->kids[0]->u, 1u);
    EXPECT_TRUE(a->kids[1]->is_int);
    EXPECT_FALSE(a->kids[1]->is_uint);
    EXPECT_EQ(a->kids[1]->i, -2);
    EXPECT_FALSE(a->kids[2]->is_uint);
    EXPECT_DOUBLE_EQ(a->kids[2]->num, 3.5);
    EXPECT_DOUBLE_EQ(a->kids[3]->num, 1000.0);
    EXPECT_EQ(a->kids[4]->type, RIOMMU_JSON_BOOL);
    EXPECT_TRUE(a->kids[4]->b);
    EXPECT_EQ(a->kids[6]->type, RIOMMU_JSON_NULL);
    const riommu_json *s = riommu_json_get(p.v, "s");
    EXPECT_STREQ(s->str, "x\n\xC3\xA9\xF0\x9F\x98\x80/");
    EXPECT_EQ(riommu_json_get(p.v, "big")->u, UINT64_MAX);
    EXPECT_EQ(riommu_json_get(p.v, "neg")->i, INT64_MIN);
    EXPECT_EQ(riommu_json_get(p.v, "o")->type, RIOMMU_JSON_OBJECT);
    EXPECT_EQ(riommu_json_get(p.v, "missing"), nullptr);
}

// Each malformed input and the words its message must contain.
TEST(JsonRead, MalformedInputsGiveClearErrors) {
    const struct {
        std::string in;
        const char *msg;
    } cases[] = {
        {"", "expected a value, found the end of the input"},
        {"   ", "expected a value"},
        {"{", "expected a member name"},
        {"{\"a\":1", "unterminated object"},
        {"[1,2", "unterminated array"},
        {"[1 2]", "expected ',' or ']'"},
        {"{\"a\" 1}", "expected ':'"},
        {"{a:1}", "member name"},
        {"{\"a\":1,}", "trailing comma"},
        {"[1,]", "trailing comma"},
        {"\"abc", "unterminated string"},
        {"\"a\x01\"", "control character 0x01"},
        {"\"\\q\"", "unknown escape"},
        {"\"\\u12\"", "four hex digits"},
        {"\"\\ud800\"", "unpaired high surrogate"},
        {"\"\\udc00\"", "unpaired low surrogate"},
        {"\"\\u0000\"", "NUL"},
        {std::string("\"a\0b\"", 5), "NUL byte"},
        {"\"\xFF\"", "invalid UTF-8"},
        {"\"\xC0\xAF\"", "invalid UTF-8"},         // overlong
        {"\"\xED\xA0\x80\"", "invalid UTF-8"},     // an encoded surrogate
        {"\"\xE2\x82\"", "invalid UTF-8"},         // cut sequence
        {"01", "leading zero"},
        {"-", "digit after '-'"},
        {"1.", "digit after '.'"},
        {"1e", "exponent"},
        {"18446744073709551616", "does not fit in 64 bits"},
        {"-9223372036854775809", "does not fit in 64 bits"},
        {"1e400", "out of range"},
        {std::string(500, '9'), "too long"},
        {"NaN", "expected a value"},
        {"Infinity", "expected a value"},
        {"'a'", "expected a value"},
        {"nul", "expected a value"},
        {"tru", "expected a value"},
        {"[1]/*c*/", "after the value"},
        {"true false", "after the value"},
        {"{\"a\":1,\"a\":2}", "duplicate member \"a\""},
    };
    for (const auto &c : cases) {
        std::string e = error_of(c.in);
        EXPECT_NE(e.find(c.msg), std::string::npos)
            << "input '" << c.in.substr(0, 40) << "': got '" << e << "', want '" << c.msg << "'";
        EXPECT_EQ(e.rfind("line ", 0), 0u) << e;
    }
}

TEST(JsonRead, ErrorsNameLineAndColumn) {
    EXPECT_EQ(error_of("{\n  \"a\": x}"), "line 2, column 8: expected a value, found 'x'");
}

// json.h: nesting is bounded (no unbounded recursion on hostile input).
TEST(JsonRead, DeepNesting) {
    std::string ok = std::string(RIOMMU_JSON_MAX_DEPTH, '[') + std::string(RIOMMU_JSON_MAX_DEPTH, ']');
    Parsed p(ok);
    EXPECT_NE(p.v, nullptr) << p.err;
    std::string deep = std::string(RIOMMU_JSON_MAX_DEPTH + 1, '[') +
                       std::string(RIOMMU_JSON_MAX_DEPTH + 1, ']');
    EXPECT_NE(error_of(deep).find("nesting deeper than 64"), std::string::npos);
    std::string huge(1000000, '[');  // a million: refused at depth 64, no stack overflow
    EXPECT_NE(error_of(huge).find("nesting deeper"), std::string::npos);
    std::string objs;
    for (int i = 0; i < 100; i++)
        objs += "{\"a\":";
    EXPECT_NE(error_of(objs).find("nesting deeper"), std::string::npos);
}

// A large object is checked for duplicates too (after sorting).
TEST(JsonRead, DuplicateInALargeObject) {
    std::string s = "{";
    for (int i = 0; i < 1000; i++)
        s += "\"k" + std::to_string(i) + "\":" + std::to_string(i) + ",";
    Parsed fine(s + "\"end\":0}");
    EXPECT_NE(fine.v, nullptr) << fine.err;
    EXPECT_NE(error_of(s + "\"k17\":0}").find("duplicate member \"k17\""), std::string::npos);
}

// Every proper prefix of a document (a file cut short) is refused.
TEST(JsonRead, EveryTruncationIsRefused) {
    const std::string doc =
        "{\"format\":\"riommu-run\",\"version\":1,\"programs\":[{\"name\":\"a\\u00e9\","
        "\"stats\":{\"iommu.iotlb.hitRate\":0.5,\"n\":-1e-3}}],\"x\":[true,false,null]}";
    Parsed whole(doc);
    ASSERT_NE(whole.v, nullptr) << whole.err;
    for (size_t i = 0; i < doc.size(); i++) {
        Parsed p(doc.substr(0, i));
        EXPECT_EQ(p.v, nullptr) << "prefix of " << i << " bytes accepted";
        EXPECT_NE(p.err[0], 0);
    }
}

TEST(JsonRead, FileErrorsNameTheFile) {
    char err[256];
    EXPECT_EQ(riommu_json_parse_file("/nonexistent/run.json", err, sizeof err), nullptr);
    EXPECT_NE(std::string(err).find("/nonexistent/run.json: cannot open"), std::string::npos);
    char path[] = "/tmp/riommu-jsonXXXXXX";
    int fd = mkstemp(path);
    FILE *f = fdopen(fd, "w");
    fputs("{\"a\":\n  [1,,2]}", f);
    fclose(f);
    EXPECT_EQ(riommu_json_parse_file(path, err, sizeof err), nullptr);
    EXPECT_EQ(std::string(err), std::string(path) + ": line 2, column 6: expected a value, found ','");
    remove(path);
}
