/*
 * json.c - the strict JSON reader (json.h). A recursive-descent parser
 * whose recursion is bounded by RIOMMU_JSON_MAX_DEPTH.
 */
#include "riommu/json.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct parser {
    const unsigned char *s;
    size_t len, pos;
    char *err;
    size_t errlen;
    bool failed;
} parser;

#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
static void fail_at(parser *p, size_t at, const char *fmt, ...)
{
    if (p->failed)
        return;
    p->failed = true;
    size_t line = 1, col = 1;
    for (size_t i = 0; i < at && i < p->len; i++) {
        if (p->s[i] == '\n') {
            line++;
            col = 1;
        } else if ((p->s[i] & 0xC0) != 0x80) {
            col++;
        }
    }
    char msg[200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (p->errlen)
        snprintf(p->err, p->errlen, "line %zu, column %zu: %s", line, col, msg);
}

static void oom(parser *p)
{
    if (p->failed)
        return;
    p->failed = true;
    if (p->errlen)
        snprintf(p->err, p->errlen, "out of memory");
}

static void skip_ws(parser *p)
{
    while (p->pos < p->len) {
        unsigned char c = p->s[p->pos];
        if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
            break;
        p->pos++;
    }
}

/* A printable description of the byte at pos for messages. */
static void what_at(parser *p, char *b, size_t n)
{
    if (p->pos >= p->len) {
        snprintf(b, n, "the end of the input");
        return;
    }
    unsigned char c = p->s[p->pos];
    if (c >= 0x21 && c < 0x7F)
        snprintf(b, n, "'%c'", c);
    else
        snprintf(b, n, "byte 0x%02X", c);
}

void riommu_json_free(riommu_json *v)
{
    if (!v)
        return;
    for (size_t i = 0; i < v->n; i++)
        riommu_json_free(v->kids[i]);
    free(v->kids);
    free(v->str);
    free(v->key);
    free(v);
}

static riommu_json *new_value(parser *p, riommu_json_type t)
{
    riommu_json *v = calloc(1, sizeof *v);
    if (!v)
        oom(p);
    else
        v->type = t;
    return v;
}

/* ---- strings ------------------------------------------------------------------ */

typedef struct buf {
    char *b;
    size_t n, cap;
} buf;

static bool put(buf *b, unsigned char c)
{
    if (b->n + 1 >= b->cap) {
        size_t nc = b->cap ? b->cap * 2 : 32;
        char *nb = realloc(b->b, nc);
        if (!nb)
            return false;
        b->b = nb;
        b->cap = nc;
    }
    b->b[b->n++] = (char)c;
    return true;
}

static bool put_utf8(buf *b, uint32_t cp)
{
    if (cp < 0x80)
        return put(b, (unsigned char)cp);
    if (cp < 0x800)
        return put(b, (unsigned char)(0xC0 | (cp >> 6))) &&
               put(b, (unsigned char)(0x80 | (cp & 0x3F)));
    if (cp < 0x10000)
        return put(b, (unsigned char)(0xE0 | (cp >> 12))) &&
               put(b, (unsigned char)(0x80 | ((cp >> 6) & 0x3F))) &&
               put(b, (unsigned char)(0x80 | (cp & 0x3F)));
    return put(b, (unsigned char)(0xF0 | (cp >> 18))) &&
           put(b, (unsigned char)(0x80 | ((cp >> 12) & 0x3F))) &&
           put(b, (unsigned char)(0x80 | ((cp >> 6) & 0x3F))) &&
           put(b, (unsigned char)(0x80 | (cp & 0x3F)));
}

static int hex4(parser *p, size_t at)
{
    if (at + 4 > p->len)
        return -1;
    int v = 0;
    for (size_t i = 0; i < 4; i++) {
        unsigned char c = p->s[at + i];
        int d;
        if (c >= '0' && c <= '9')
            d = c - '0';
        else if (c >= 'a' && c <= 'f')
            d = c - 'a' + 10;
        else if (c >= 'A' && c <= 'F')
            d = c - 'A' + 10;
        else
            return -1;
        v = v * 16 + d;
    }
    return v;
}

/* Length of the valid UTF-8 sequence at pos (>= 2 bytes), or 0. */
static size_t utf8_seq(const parser *p, size_t pos)
{
    const unsigned char *s = p->s + pos;
    size_t left = p->len - pos;
    unsigned char c = s[0];
    size_t n;
    uint32_t cp, min;
    if (c >= 0xC2 && c <= 0xDF) {
        n = 2;
        cp = c & 0x1F;
        min = 0x80;
    } else if (c >= 0xE0 && c <= 0xEF) {
        n = 3;
        cp = c & 0x0F;
        min = 0x800;
    } else if (c >= 0xF0 && c <= 0xF4) {
        n = 4;
        cp = c & 0x07;
        min = 0x10000;
    } else {
        return 0;
    }
    if (left < n)
        return 0;
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    return n;
}

/* A string at pos (which holds '"'); the bytes in *out (NUL-terminated). */
static bool parse_string(parser *p, char **out, size_t *outlen)
{
    size_t start = p->pos;
    buf b = {NULL, 0, 0};
    p->pos++;
    for (;;) {
        if (p->pos >= p->len) {
            fail_at(p, start, "unterminated string");
            goto bad;
        }
        unsigned char c = p->s[p->pos];
        if (c == '"') {
            p->pos++;
            break;
        }
        if (c < 0x20) {
            fail_at(p, p->pos, "control character 0x%02X in a string (escape it)", c);
            goto bad;
        }
        if (c == '\\') {
            if (p->pos + 1 >= p->len) {
                fail_at(p, start, "unterminated string");
                goto bad;
            }
            unsigned char e = p->s[p->pos + 1];
            unsigned char r;
            switch (e) {
            case '"': r = '"'; break;
            case '\\': r = '\\'; break;
            case '/': r = '/'; break;
            case 'b': r = '\b'; break;
            case 'f': r = '\f'; break;
            case 'n': r = '\n'; break;
            case 'r': r = '\r'; break;
            case 't': r = '\t'; break;
            case 'u': {
                int h = hex4(p, p->pos + 2);
                if (h < 0) {
                    fail_at(p, p->pos, "\\u needs four hex digits");
                    goto bad;
                }
                uint32_t cp = (uint32_t)h;
                size_t used = 6;
                if (cp >= 0xDC00 && cp <= 0xDFFF) {
                    fail_at(p, p->pos, "unpaired low surrogate \\u%04X", cp);
                    goto bad;
                }
                if (cp >= 0xD800 && cp <= 0xDBFF) {
                    int lo = (p->pos + 7 < p->len && p->s[p->pos + 6] == '\\' &&
                              p->s[p->pos + 7] == 'u')
                                 ? hex4(p, p->pos + 8)
                                 : -1;
                    if (lo < 0xDC00 || lo > 0xDFFF) {
                        fail_at(p, p->pos, "unpaired high surrogate \\u%04X", cp);
                        goto bad;
                    }
                    cp = 0x10000 + ((cp - 0xD800) << 10) + ((uint32_t)lo - 0xDC00);
                    used = 12;
                }
                if (cp == 0) {
                    fail_at(p, p->pos, "\\u0000 (NUL) is not accepted in a string");
                    goto bad;
                }
                if (!put_utf8(&b, cp)) {
                    oom(p);
                    goto bad;
                }
                p->pos += used;
                continue;
            }
            default:
                fail_at(p, p->pos, "unknown escape '\\%c'", e >= 0x21 && e < 0x7F ? e : '?');
                goto bad;
            }
            if (!put(&b, r)) {
                oom(p);
                goto bad;
            }
            p->pos += 2;
            continue;
        }
        if (c < 0x80) {
            if (!put(&b, c)) {
                oom(p);
                goto bad;
            }
            p->pos++;
            continue;
        }
        size_t n = utf8_seq(p, p->pos);
        if (!n) {
            fail_at(p, p->pos, "invalid UTF-8 byte 0x%02X in a string", c);
            goto bad;
        }
        for (size_t i = 0; i < n; i++)
            if (!put(&b, p->s[p->pos + i])) {
                oom(p);
                goto bad;
            }
        p->pos += n;
    }
    if (!b.b) {
        b.b = malloc(1);
        if (!b.b) {
            oom(p);
            return false;
        }
    }
    b.b[b.n] = 0;
    *out = b.b;
    *outlen = b.n;
    return true;
bad:
    free(b.b);
    return false;
}

/* ---- numbers -------------------------------------------------------------------- */

static riommu_json *parse_number(parser *p)
{
    size_t start = p->pos, i = p->pos;
    bool neg = false, frac = false;
    if (i < p->len && p->s[i] == '-') {
        neg = true;
        i++;
    }
    if (i >= p->len || p->s[i] < '0' || p->s[i] > '9') {
        fail_at(p, start, "a number needs a digit after '-'");
        return NULL;
    }
    if (p->s[i] == '0' && i + 1 < p->len && p->s[i + 1] >= '0' && p->s[i + 1] <= '9') {
        fail_at(p, start, "leading zero in a number");
        return NULL;
    }
    while (i < p->len && p->s[i] >= '0' && p->s[i] <= '9')
        i++;
    if (i < p->len && p->s[i] == '.') {
        frac = true;
        i++;
        if (i >= p->len || p->s[i] < '0' || p->s[i] > '9') {
            fail_at(p, start, "a number needs a digit after '.'");
            return NULL;
        }
        while (i < p->len && p->s[i] >= '0' && p->s[i] <= '9')
            i++;
    }
    if (i < p->len && (p->s[i] == 'e' || p->s[i] == 'E')) {
        frac = true;
        i++;
        if (i < p->len && (p->s[i] == '+' || p->s[i] == '-'))
            i++;
        if (i >= p->len || p->s[i] < '0' || p->s[i] > '9') {
            fail_at(p, start, "a number needs a digit in its exponent");
            return NULL;
        }
        while (i < p->len && p->s[i] >= '0' && p->s[i] <= '9')
            i++;
    }
    size_t n = i - start;
    if (n > 400) {
        fail_at(p, start, "number of %zu characters is too long", n);
        return NULL;
    }
    char tmp[402];
    memcpy(tmp, p->s + start, n);
    tmp[n] = 0;
    riommu_json *v = new_value(p, RIOMMU_JSON_NUMBER);
    if (!v)
        return NULL;
    errno = 0;
    v->num = strtod(tmp, NULL);
    if (!isfinite(v->num)) {
        fail_at(p, start, "number %.40s%s is out of range", tmp, n > 40 ? "..." : "");
        free(v);
        return NULL;
    }
    if (!frac) {
        errno = 0;
        if (!neg) {
            unsigned long long u = strtoull(tmp, NULL, 10);
            if (errno == ERANGE) {
                fail_at(p, start, "integer %.40s%s does not fit in 64 bits", tmp,
                        n > 40 ? "..." : "");
                free(v);
                return NULL;
            }
            v->is_uint = true;
            v->u = u;
            if (u <= (unsigned long long)INT64_MAX) {
                v->is_int = true;
                v->i = (int64_t)u;
            }
        } else {
            long long s = strtoll(tmp, NULL, 10);
            if (errno == ERANGE) {
                fail_at(p, start, "integer %.40s%s does not fit in 64 bits", tmp,
                        n > 40 ? "..." : "");
                free(v);
                return NULL;
            }
            v->is_int = true;
            v->i = s;
            if (s == 0) { /* "-0" */
                v->is_uint = true;
                v->u = 0;
            }
        }
    }
    p->pos = i;
    return v;
}

/* ---- values ---------------------------------------------------------------------- */

static riommu_json *parse_value(parser *p, unsigned depth);

static bool add_kid(parser *p, riommu_json *parent, riommu_json *kid, size_t *cap)
{
    if (parent->n == *cap) {
        size_t nc = *cap ? *cap * 2 : 8;
        riommu_json **nk = realloc(parent->kids, nc * sizeof *nk);
        if (!nk) {
            oom(p);
            return false;
        }
        parent->kids = nk;
        *cap = nc;
    }
    parent->kids[parent->n++] = kid;
    return true;
}

/* Objects up to this many members are checked for duplicate names as they
 * are read; larger ones once complete, in O(n log n). */
#define DUP_SCAN_MAX 32

static int key_cmp(const void *a, const void *b)
{
    return strcmp((*(riommu_json *const *)a)->key, (*(riommu_json *const *)b)->key);
}

static bool no_duplicates(parser *p, const riommu_json *v, size_t open)
{
    riommu_json **s = malloc(v->n * sizeof *s);
    if (!s) {
        oom(p);
        return false;
    }
    memcpy(s, v->kids, v->n * sizeof *s);
    qsort(s, v->n, sizeof *s, key_cmp);
    for (size_t i = 1; i < v->n; i++)
        if (!strcmp(s[i - 1]->key, s[i]->key)) {
            fail_at(p, open, "duplicate member \"%.60s\" in this object", s[i]->key);
            free(s);
            return false;
        }
    free(s);
    return true;
}

static riommu_json *parse_container(parser *p, unsigned depth, bool object)
{
    size_t open = p->pos;
    if (depth >= RIOMMU_JSON_MAX_DEPTH) {
        fail_at(p, open, "nesting deeper than %d levels", RIOMMU_JSON_MAX_DEPTH);
        return NULL;
    }
    riommu_json *v = new_value(p, object ? RIOMMU_JSON_OBJECT : RIOMMU_JSON_ARRAY);
    if (!v)
        return NULL;
    size_t cap = 0;
    char close = object ? '}' : ']';
    p->pos++;
    skip_ws(p);
    if (p->pos < p->len && p->s[p->pos] == (unsigned char)close) {
        p->pos++;
        return v;
    }
    for (;;) {
        char *key = NULL;
        size_t keylen = 0;
        skip_ws(p);
        if (object) {
            if (p->pos >= p->len || p->s[p->pos] != '"') {
                char w[40];
                what_at(p, w, sizeof w);
                fail_at(p, p->pos, "expected a member name (a string), found %s", w);
                goto bad;
            }
            size_t kat = p->pos;
            if (!parse_string(p, &key, &keylen))
                goto bad;
            /* duplicates: pairwise while small, else once sorted at the end */
            for (size_t k = 0; v->n <= DUP_SCAN_MAX && k < v->n; k++)
                if (!strcmp(v->kids[k]->key, key)) {
                    fail_at(p, kat, "duplicate member \"%.60s\"", key);
                    free(key);
                    goto bad;
                }
            skip_ws(p);
            if (p->pos >= p->len || p->s[p->pos] != ':') {
                char w[40];
                what_at(p, w, sizeof w);
                fail_at(p, p->pos, "expected ':' after a member name, found %s", w);
                free(key);
                goto bad;
            }
            p->pos++;
        }
        riommu_json *kid = parse_value(p, depth + 1);
        if (!kid) {
            free(key);
            goto bad;
        }
        kid->key = key;
        if (!add_kid(p, v, kid, &cap)) {
            riommu_json_free(kid);
            goto bad;
        }
        skip_ws(p);
        if (p->pos < p->len && p->s[p->pos] == ',') {
            p->pos++;
            skip_ws(p);
            if (p->pos < p->len && p->s[p->pos] == (unsigned char)close) {
                fail_at(p, p->pos, "trailing comma before '%c'", close);
                goto bad;
            }
            continue;
        }
        if (p->pos < p->len && p->s[p->pos] == (unsigned char)close) {
            p->pos++;
            if (object && v->n > DUP_SCAN_MAX && !no_duplicates(p, v, open))
                goto bad;
            return v;
        }
        char w[40];
        what_at(p, w, sizeof w);
        if (p->pos >= p->len)
            fail_at(p, open, "unterminated %s (no '%c' before the end of the input)",
                    object ? "object" : "array", close);
        else
            fail_at(p, p->pos, "expected ',' or '%c', found %s", close, w);
        goto bad;
    }
bad:
    riommu_json_free(v);
    return NULL;
}

static bool word(parser *p, const char *w)
{
    size_t n = strlen(w);
    if (p->len - p->pos < n || memcmp(p->s + p->pos, w, n))
        return false;
    p->pos += n;
    return true;
}

static riommu_json *parse_value(parser *p, unsigned depth)
{
    skip_ws(p);
    if (p->pos >= p->len) {
        fail_at(p, p->pos, "expected a value, found the end of the input");
        return NULL;
    }
    unsigned char c = p->s[p->pos];
    riommu_json *v;
    switch (c) {
    case '{': return parse_container(p, depth, true);
    case '[': return parse_container(p, depth, false);
    case '"': {
        v = new_value(p, RIOMMU_JSON_STRING);
        if (v && !parse_string(p, &v->str, &v->len)) {
            free(v);
            v = NULL;
        }
        return v;
    }
    case 't':
    case 'f':
    case 'n':
        if (word(p, "true") || word(p, "false")) {
            v = new_value(p, RIOMMU_JSON_BOOL);
            if (v)
                v->b = c == 't';
            return v;
        }
        if (word(p, "null"))
            return new_value(p, RIOMMU_JSON_NULL);
        break;
    default:
        if (c == '-' || (c >= '0' && c <= '9'))
            return parse_number(p);
    }
    char w[40];
    what_at(p, w, sizeof w);
    fail_at(p, p->pos, "expected a value, found %s", w);
    return NULL;
}

riommu_json *riommu_json_parse(const char *text, size_t len, char *err, size_t errlen)
{
    parser p = {(const unsigned char *)text, len, 0, err, errlen, false};
    if (errlen)
        err[0] = 0;
    const void *nul = memchr(text, 0, len);
    if (nul) {
        fail_at(&p, (size_t)((const char *)nul - text), "NUL byte in the input");
        return NULL;
    }
    if (len >= 3 && !memcmp(text, "\xEF\xBB\xBF", 3))
        p.pos = 3; /* a UTF-8 byte-order mark is tolerated */
    riommu_json *v = parse_value(&p, 0);
    if (!v)
        return NULL;
    skip_ws(&p);
    if (p.pos != p.len) {
        char w[40];
        what_at(&p, w, sizeof w);
        fail_at(&p, p.pos, "unexpected %s after the value", w);
        riommu_json_free(v);
        return NULL;
    }
    return v;
}

riommu_json *riommu_json_parse_file(const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
        return NULL;
    }
    size_t cap = 65536, len = 0;
    char *b = malloc(cap);
    while (b) {
        size_t got = fread(b + len, 1, cap - len, f);
        len += got;
        if (len < cap) {
            if (ferror(f)) {
                snprintf(err, errlen, "%s: read error", path);
                free(b);
                fclose(f);
                return NULL;
            }
            break;
        }
        if (cap >= RIOMMU_JSON_MAX_FILE) {
            snprintf(err, errlen, "%s: larger than %u MiB", path, RIOMMU_JSON_MAX_FILE >> 20);
            free(b);
            fclose(f);
            return NULL;
        }
        char *nb = realloc(b, cap * 2);
        if (!nb) {
            free(b);
            b = NULL;
            break;
        }
        b = nb;
        cap *= 2;
    }
    fclose(f);
    if (!b) {
        snprintf(err, errlen, "%s: out of memory", path);
        return NULL;
    }
    char e[256];
    riommu_json *v = riommu_json_parse(b, len, e, sizeof e);
    free(b);
    if (!v)
        snprintf(err, errlen, "%s: %s", path, e);
    return v;
}

const riommu_json *riommu_json_get(const riommu_json *obj, const char *key)
{
    if (!obj || obj->type != RIOMMU_JSON_OBJECT)
        return NULL;
    for (size_t i = 0; i < obj->n; i++)
        if (!strcmp(obj->kids[i]->key, key))
            return obj->kids[i];
    return NULL;
}

const char *riommu_json_type_name(riommu_json_type t)
{
    switch (t) {
    case RIOMMU_JSON_NULL: return "null";
    case RIOMMU_JSON_BOOL: return "a boolean";
    case RIOMMU_JSON_NUMBER: return "a number";
    case RIOMMU_JSON_STRING: return "a string";
    case RIOMMU_JSON_ARRAY: return "an array";
    case RIOMMU_JSON_OBJECT: return "an object";
    }
    return "?";
}
