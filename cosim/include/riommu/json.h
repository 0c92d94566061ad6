/*
 * json.h - a small strict JSON reader (RFC 8259) for the files riommu
 * reads back: the run file of `riommu run --stats` that `riommu report`
 * renders (docs/stats.md). The input is untrusted: every malformed input
 * gives a false return and one line "line L, column C: WHAT" (never a crash,
 * never unbounded recursion or allocation beyond the limits below).
 *
 * Strict means: one value and nothing but whitespace after it; no comments,
 * trailing commas, single quotes, NaN/Infinity or leading zeros; strings
 * are valid UTF-8 with no raw control characters and no unpaired
 * surrogate escapes; no duplicate key in an object; no NUL byte anywhere.
 *
 * Limits: nesting depth RIOMMU_JSON_MAX_DEPTH; input size is the
 * caller's (riommu_json_parse_file refuses more than
 * RIOMMU_JSON_MAX_FILE bytes); a number must be an integer in
 * [-2^63, 2^64) or a finite double.
 */
#ifndef RIOMMU_JSON_H
#define RIOMMU_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define RIOMMU_JSON_MAX_DEPTH 64
#define RIOMMU_JSON_MAX_FILE (256u << 20) /* 256 MiB */

typedef enum riommu_json_type {
    RIOMMU_JSON_NULL = 0,
    RIOMMU_JSON_BOOL,
    RIOMMU_JSON_NUMBER,
    RIOMMU_JSON_STRING,
    RIOMMU_JSON_ARRAY,
    RIOMMU_JSON_OBJECT
} riommu_json_type;

typedef struct riommu_json riommu_json;

/* A parsed value. Arrays and objects hold `n` children in input order;
 * an object's children have `key` set. */
struct riommu_json {
    riommu_json_type type;
    bool b;           /* BOOL */
    /* NUMBER: `num` always; is_uint when the text was an integer in
     * [0, 2^64) (then `u` is exact), is_int when in [-2^63, 2^63) (`i`). */
    double num;
    bool is_uint, is_int;
    uint64_t u;
    int64_t i;
    char *str;        /* STRING: UTF-8, NUL-terminated (`len` bytes, no NUL inside) */
    size_t len;
    char *key;        /* member name when inside an object, else NULL */
    riommu_json **kids;
    size_t n;
};

/* Parse `len` bytes. Returns the value (free with riommu_json_free), or
 * NULL with "line L, column C: message" in err (also when out of memory:
 * "out of memory"). */
riommu_json *riommu_json_parse(const char *text, size_t len, char *err, size_t errlen);

/* Read and parse a file; errors are prefixed with "PATH: ". */
riommu_json *riommu_json_parse_file(const char *path, char *err, size_t errlen);

void riommu_json_free(riommu_json *v);

/* The member `key` of an object (NULL when absent or `obj` is not an
 * object). */
const riommu_json *riommu_json_get(const riommu_json *obj, const char *key);

/* The type's name for messages: "null", "a boolean", "a number", ... */
const char *riommu_json_type_name(riommu_json_type t);

#ifdef __cplusplus
}
#endif

#endif
