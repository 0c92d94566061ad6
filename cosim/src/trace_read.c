/*
 * trace_read.c - the trace reader (trace.h; the format is docs/trace.md).
 *
 * Lines are read in chunks (so NUL bytes and very long lines are seen and
 * rejected, never mis-split), checked for characters, split into words and
 * turned into items. Every number is range-checked, every data field
 * decoded to exactly the length its line states, and every operation
 * charged against the budgets before it is returned, so whatever a trace
 * says, a replay of it does bounded work. The last RIOMMU_TRACE_MAX_PERIOD
 * operation items are kept (with their data) for `again`.
 */
#include "riommu/trace.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#define CHUNK 65536u
#define MAX_WORDS 40u

enum { ST_TOP = 0, ST_WORLD, ST_WINDOW, ST_BODY };

typedef struct slot {
    riommu_trace_item it;
    uint8_t *data;
    size_t cap;
} slot;

struct riommu_trace_reader {
    FILE *f;
    char *path;
    bool expand, dead, eof;
    char *buf;
    size_t bpos, blen;
    char *line;
    size_t lcap, llen;
    uint64_t lineno;
    int st;
    unsigned nsec, ncfg;
    char *secname;
    uint64_t sec_line;
    uint64_t ops, bytes, cycles, mapped;
    slot ring[RIOMMU_TRACE_MAX_PERIOD]; /* oldest first */
    unsigned rn;
    unsigned xk, xi;   /* `again` being expanded: block length, next index */
    uint64_t xleft;    /* repetitions still to return */
    uint8_t *data;     /* decoded data of the current line */
    size_t dcap;
    char *w[MAX_WORDS];
    unsigned nw;
    bool body;                            /* an operation or `at` seen in the section */
    char text[RIOMMU_TRACE_MAX_NAME];     /* the current config line */
};

#if defined(__GNUC__)
__attribute__((format(printf, 4, 5)))
#endif
static int fail(riommu_trace_reader *r, char *err, size_t errlen, const char *fmt, ...)
{
    char msg[200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    snprintf(err, errlen, "%s:%" PRIu64 ": %s", r->path, r->lineno, msg);
    r->dead = true;
    return -1;
}

/* ---- lines ---------------------------------------------------------------- */

/* 1: a line in r->line, 0: end of file, -1: error. */
static int read_line(riommu_trace_reader *r, char *err, size_t errlen)
{
    r->llen = 0;
    bool got = false;
    for (;;) {
        if (r->bpos == r->blen) {
            if (r->eof)
                break;
            r->blen = fread(r->buf, 1, CHUNK, r->f);
            r->bpos = 0;
            if (!r->blen) {
                if (ferror(r->f)) {
                    r->lineno++;
                    return fail(r, err, errlen, "read error");
                }
                r->eof = true;
                break;
            }
        }
        char *start = r->buf + r->bpos;
        size_t avail = r->blen - r->bpos;
        char *nl = memchr(start, '\n', avail);
        size_t take = nl ? (size_t)(nl - start) : avail;
        got = true;
        if (r->llen + take > RIOMMU_TRACE_MAX_LINE) {
            r->lineno++;
            return fail(r, err, errlen, "line longer than %u bytes", RIOMMU_TRACE_MAX_LINE);
        }
        if (r->llen + take + 1 > r->lcap) {
            size_t nc = r->lcap ? r->lcap : 4096;
            while (nc < r->llen + take + 1)
                nc *= 2;
            char *nb = realloc(r->line, nc);
            if (!nb) {
                r->lineno++;
                return fail(r, err, errlen, "out of memory");
            }
            r->line = nb;
            r->lcap = nc;
        }
        memcpy(r->line + r->llen, start, take);
        r->llen += take;
        r->bpos += take + (nl ? 1 : 0);
        if (nl)
            break;
    }
    if (!got)
        return 0;
    r->lineno++;
    if (r->llen && r->line[r->llen - 1] == '\r')
        r->llen--;
    r->line[r->llen] = 0;
    for (size_t i = 0; i < r->llen; i++) {
        unsigned char c = (unsigned char)r->line[i];
        if ((c < 0x20 && c != '\t') || c >= 0x7F)
            return fail(r, err, errlen, "invalid character 0x%02x at column %zu", c, i + 1);
    }
    return 1;
}

static bool is_space(char c) { return c == ' ' || c == '\t'; }

/* Split r->line into words, up to a '#' comment. */
static int split(riommu_trace_reader *r, char *err, size_t errlen)
{
    r->nw = 0;
    char *p = r->line;
    for (;;) {
        while (is_space(*p))
            p++;
        if (!*p || *p == '#')
            return 0;
        if (r->nw == MAX_WORDS)
            return fail(r, err, errlen, "more than %u words", MAX_WORDS);
        r->w[r->nw++] = p;
        while (*p && !is_space(*p))
            p++;
        if (*p)
            *p++ = 0;
    }
}

/* ---- fields ----------------------------------------------------------------- */

static bool parse_u64(const char *t, uint64_t *v)
{
    uint64_t x = 0;
    if (t[0] == '0' && (t[1] == 'x' || t[1] == 'X')) {
        t += 2;
        if (!*t || strlen(t) > 16)
            return false;
        for (; *t; t++) {
            unsigned d;
            if (*t >= '0' && *t <= '9')
                d = (unsigned)(*t - '0');
            else if (*t >= 'a' && *t <= 'f')
                d = (unsigned)(*t - 'a' + 10);
            else if (*t >= 'A' && *t <= 'F')
                d = (unsigned)(*t - 'A' + 10);
            else
                return false;
            x = x << 4 | d;
        }
        *v = x;
        return true;
    }
    if (!*t)
        return false;
    for (; *t; t++) {
        if (*t < '0' || *t > '9')
            return false;
        unsigned d = (unsigned)(*t - '0');
        if (x > (UINT64_MAX - d) / 10)
            return false;
        x = x * 10 + d;
    }
    *v = x;
    return true;
}

/* Word i as a number in [lo, hi]; `what` names it in errors. */
static bool num(riommu_trace_reader *r, unsigned i, const char *what, uint64_t lo, uint64_t hi,
                uint64_t *v, char *err, size_t errlen)
{
    if (i >= r->nw) {
        fail(r, err, errlen, "missing %s", what);
        return false;
    }
    if (!parse_u64(r->w[i], v)) {
        fail(r, err, errlen, "bad %s '%.40s' (a decimal or 0x hex number)", what, r->w[i]);
        return false;
    }
    if (*v < lo || *v > hi) {
        fail(r, err, errlen, "%s %.40s out of range (0x%" PRIx64 "..0x%" PRIx64 ")", what,
             r->w[i], lo, hi);
        return false;
    }
    return true;
}

static bool word_is(riommu_trace_reader *r, unsigned i, const char *s)
{
    return i < r->nw && !strcmp(r->w[i], s);
}

static bool need_end(riommu_trace_reader *r, unsigned i, char *err, size_t errlen)
{
    if (i < r->nw) {
        fail(r, err, errlen, "unexpected '%.40s' at the end of the line", r->w[i]);
        return false;
    }
    return true;
}

static bool need_word(riommu_trace_reader *r, unsigned i, const char *s, char *err,
                      size_t errlen)
{
    if (word_is(r, i, s))
        return true;
    if (i < r->nw)
        fail(r, err, errlen, "expected '%s', not '%.40s'", s, r->w[i]);
    else
        fail(r, err, errlen, "expected '%s'", s);
    return false;
}

/* A register: "NAME@0xOFF" or "0xOFF"; naturally aligned for `size`. */
static bool reg(riommu_trace_reader *r, unsigned i, unsigned size, uint32_t *off, char *err,
                size_t errlen)
{
    if (i >= r->nw) {
        fail(r, err, errlen, "missing register");
        return false;
    }
    char *t = r->w[i];
    char *at = strchr(t, '@');
    const char *numtxt = at ? at + 1 : t;
    uint64_t v;
    if (!parse_u64(numtxt, &v) || v >= 0x1000 || (v & (size - 1))) {
        fail(r, err, errlen, "bad register '%.40s' (NAME@0xOFFSET, offset < 0x1000 and "
                             "aligned to %u)", t, size);
        return false;
    }
    if (at) {
        const char *n = riommu_reg_name((uint32_t)v);
        size_t l = (size_t)(at - t);
        if (l && (!n || strlen(n) != l || strncmp(n, t, l))) {
            fail(r, err, errlen, "register '%.40s': offset 0x%03x is %s", t, (unsigned)v,
                 n ? n : "no named register");
            return false;
        }
    }
    *off = (uint32_t)v;
    return true;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Data for `len` bytes: "-" (none; allowed when `dash_ok` or len is 0) or
 * hex of 1..len bytes repeated over len. */
static bool data(riommu_trace_reader *r, unsigned i, uint64_t len, bool dash_ok, bool *has,
                 char *err, size_t errlen)
{
    if (i >= r->nw) {
        fail(r, err, errlen, "missing data");
        return false;
    }
    const char *t = r->w[i];
    *has = false;
    if (!strcmp(t, "-")) {
        if (!dash_ok && len) {
            fail(r, err, errlen, "data '-' for %" PRIu64 " bytes", len);
            return false;
        }
        return true;
    }
    size_t n = strlen(t);
    if (n % 2 || !n || n / 2 > len) {
        fail(r, err, errlen, "data: %zu hex digits for %" PRIu64 " bytes (an even number, at "
                             "most two per byte)", n, len);
        return false;
    }
    if (len > r->dcap) {
        uint8_t *nd = realloc(r->data, len);
        if (!nd) {
            fail(r, err, errlen, "out of memory");
            return false;
        }
        r->data = nd;
        r->dcap = len;
    }
    size_t p = n / 2;
    for (size_t k = 0; k < p; k++) {
        int hi = hexval(t[2 * k]), lo = hexval(t[2 * k + 1]);
        if (hi < 0 || lo < 0) {
            fail(r, err, errlen, "data: bad hex digit in '%.40s'", t);
            return false;
        }
        r->data[k] = (uint8_t)(hi << 4 | lo);
    }
    for (size_t k = p; k < len; k++)
        r->data[k] = r->data[k - p];
    *has = true;
    return true;
}

/* ---- budgets ----------------------------------------------------------------- */

static bool charge(riommu_trace_reader *r, const riommu_trace_item *it, uint64_t times,
                   char *err, size_t errlen)
{
    uint64_t bytes = 0, cycles = 0;
    switch (it->kind) {
    case RIOMMU_TK_ALLOC: case RIOMMU_TK_MAP: case RIOMMU_TK_PUBLISH: case RIOMMU_TK_CONSUME:
    case RIOMMU_TK_MEM_WRITE:
        bytes = it->len;
        break;
    case RIOMMU_TK_DMA:
        bytes = it->req.len;
        break;
    case RIOMMU_TK_DELAY:
        cycles = it->value * RIOMMU_TRACE_CYCLES_PER_US;
        break;
    case RIOMMU_TK_STEP:
        cycles = it->value;
        break;
    default:
        break;
    }
    if (times > RIOMMU_TRACE_MAX_OPS - r->ops) {
        fail(r, err, errlen, "more than %llu operations (the replay budget)",
             (unsigned long long)RIOMMU_TRACE_MAX_OPS);
        return false;
    }
    if (bytes && times > (RIOMMU_TRACE_MAX_BYTES - r->bytes) / bytes) {
        fail(r, err, errlen, "more than %llu bytes moved (the replay budget)",
             (unsigned long long)RIOMMU_TRACE_MAX_BYTES);
        return false;
    }
    if (it->kind == RIOMMU_TK_MAP && times > (RIOMMU_TRACE_MAX_MAPPED - r->mapped) / it->len) {
        fail(r, err, errlen, "more than %u bytes mapped in one section",
             RIOMMU_TRACE_MAX_MAPPED);
        return false;
    }
    if (cycles && times > (RIOMMU_TRACE_MAX_CYCLES - r->cycles) / cycles) {
        fail(r, err, errlen, "more than %llu cycles of simulated time in one section (the "
                             "replay budget)", (unsigned long long)RIOMMU_TRACE_MAX_CYCLES);
        return false;
    }
    r->ops += times;
    r->bytes += bytes * times;
    r->cycles += cycles * times;
    if (it->kind == RIOMMU_TK_MAP)
        r->mapped += it->len * times;
    return true;
}

static bool ring_push(riommu_trace_reader *r, riommu_trace_item *it, char *err, size_t errlen)
{
    if (r->rn == RIOMMU_TRACE_MAX_PERIOD) {
        slot old = r->ring[0];
        memmove(r->ring, r->ring + 1, (RIOMMU_TRACE_MAX_PERIOD - 1) * sizeof r->ring[0]);
        r->ring[RIOMMU_TRACE_MAX_PERIOD - 1] = old; /* reuse its buffer */
        r->rn--;
    }
    slot *s = &r->ring[r->rn];
    size_t n = it->has_data ? (it->kind == RIOMMU_TK_DMA ? it->req.len : (size_t)it->len) : 0;
    if (n > s->cap) {
        uint8_t *nd = realloc(s->data, n);
        if (!nd) {
            fail(r, err, errlen, "out of memory");
            return false;
        }
        s->data = nd;
        s->cap = n;
    }
    if (n)
        memcpy(s->data, it->data, n);
    s->it = *it;
    s->it.data = n ? s->data : NULL;
    s->it.text = NULL;
    r->rn++;
    *it = s->it;
    return true;
}

/* ---- records ------------------------------------------------------------------- */

static const struct {
    const char *word;
    riommu_trace_kind kind;
    unsigned size;
} op_words[] = {
    {"r32", RIOMMU_TK_READ, 4},         {"r64", RIOMMU_TK_READ, 8},
    {"w32", RIOMMU_TK_WRITE, 4},        {"w64", RIOMMU_TK_WRITE, 8},
    {"alloc", RIOMMU_TK_ALLOC, 0},      {"free", RIOMMU_TK_FREE, 0},
    {"map", RIOMMU_TK_MAP, 0},          {"publish", RIOMMU_TK_PUBLISH, 0},
    {"consume", RIOMMU_TK_CONSUME, 0},  {"delay", RIOMMU_TK_DELAY, 0},
    {"irq-pending", RIOMMU_TK_IRQ_PENDING, 0}, {"irq-ack", RIOMMU_TK_IRQ_ACK, 0},
    {"dma", RIOMMU_TK_DMA, 0},          {"settle", RIOMMU_TK_SETTLE, 0},
    {"step", RIOMMU_TK_STEP, 0},        {"mem-write", RIOMMU_TK_MEM_WRITE, 0},
};

static bool parse_dma(riommu_trace_reader *r, riommu_trace_item *it, char *err, size_t errlen)
{
    uint64_t v;
    riommu_request *q = &it->req;
    riommu_response *s = &it->rsp;
    if (!num(r, 1, "device_id", 0, UINT32_MAX, &v, err, errlen))
        return false;
    q->device_id = (uint32_t)v;
    if (word_is(r, 2, "read"))
        q->access = RIOMMU_READ;
    else if (word_is(r, 2, "write"))
        q->access = RIOMMU_WRITE;
    else if (word_is(r, 2, "exec"))
        q->access = RIOMMU_EXEC;
    else {
        fail(r, err, errlen, "dma: expected read, write or exec");
        return false;
    }
    if (!num(r, 3, "iova", 0, UINT64_MAX, &q->iova, err, errlen) ||
        !num(r, 4, "length", 0, RIOMMU_TRACE_MAX_DMA_LEN, &v, err, errlen))
        return false;
    q->len = (uint32_t)v;
    q->kind = RIOMMU_REQ_UNTRANSLATED;
    unsigned i = 5;
    bool wdata = false;
    while (i < r->nw && strcmp(r->w[i], "->")) {
        if (word_is(r, i, "pid")) {
            if (!num(r, i + 1, "process_id", 0, UINT32_MAX, &v, err, errlen))
                return false;
            q->pv = true;
            q->process_id = (uint32_t)v;
            i += 2;
        } else if (word_is(r, i, "priv")) {
            q->priv = true;
            i++;
        } else if (word_is(r, i, "translated")) {
            q->kind = RIOMMU_REQ_TRANSLATED;
            i++;
        } else if (word_is(r, i, "ats")) {
            q->kind = RIOMMU_REQ_ATS;
            i++;
        } else if (word_is(r, i, "data")) {
            if (q->access != RIOMMU_WRITE) {
                fail(r, err, errlen, "dma: write data on a %s", r->w[2]);
                return false;
            }
            if (!data(r, i + 1, q->len, false, &it->has_data, err, errlen))
                return false;
            wdata = true;
            i += 2;
        } else {
            fail(r, err, errlen, "dma: unknown word '%.40s' (pid, priv, translated, ats, data, "
                                 "->)", r->w[i]);
            return false;
        }
    }
    if (q->access == RIOMMU_WRITE && !wdata) {
        fail(r, err, errlen, "dma: a write needs 'data HEX'");
        return false;
    }
    if (!need_word(r, i, "->", err, errlen))
        return false;
    i++;
    if (word_is(r, i, "ok")) {
        s->status = RIOMMU_RSP_OK;
        if (!need_word(r, i + 1, "pa", err, errlen) ||
            !num(r, i + 2, "pa", 0, UINT64_MAX, &s->pa, err, errlen) ||
            !need_word(r, i + 3, "range", err, errlen) ||
            !num(r, i + 4, "range", 0, UINT64_MAX, &s->range_size, err, errlen))
            return false;
        i += 5;
        if (q->access != RIOMMU_WRITE) {
            if (!need_word(r, i, "data", err, errlen) ||
                !data(r, i + 1, q->len, false, &it->has_data, err, errlen))
                return false;
            i += 2;
        }
    } else if (word_is(r, i, "fault")) {
        s->status = RIOMMU_RSP_FAULT;
        if (!num(r, i + 1, "cause", 0, 0xFFFF, &v, err, errlen))
            return false;
        s->cause = (uint16_t)v;
        i += 2;
        if (word_is(r, i, "recorded")) {
            s->recorded = true;
            i++;
        }
    } else if (word_is(r, i, "bad-request")) {
        s->status = RIOMMU_RSP_BAD_REQUEST;
        i++;
    } else {
        fail(r, err, errlen, "dma: expected ok, fault or bad-request after '->'");
        return false;
    }
    return need_end(r, i, err, errlen);
}

/* An operation line (words already split); false on error. */
static bool parse_op(riommu_trace_reader *r, riommu_trace_kind k, unsigned size,
                     riommu_trace_item *it, char *err, size_t errlen)
{
    it->kind = k;
    it->size = size;
    switch (k) {
    case RIOMMU_TK_READ:
        if (!reg(r, 1, size, &it->off, err, errlen) || !need_word(r, 2, "->", err, errlen) ||
            !num(r, 3, "value", 0, size == 4 ? UINT32_MAX : UINT64_MAX, &it->value, err,
                 errlen))
            return false;
        return need_end(r, 4, err, errlen);
    case RIOMMU_TK_WRITE:
        if (!reg(r, 1, size, &it->off, err, errlen) ||
            !num(r, 2, "value", 0, size == 4 ? UINT32_MAX : UINT64_MAX, &it->value, err,
                 errlen))
            return false;
        return need_end(r, 3, err, errlen);
    case RIOMMU_TK_ALLOC:
        if (!num(r, 1, "size", 1, RIOMMU_TRACE_MAX_ALLOC, &it->len, err, errlen) ||
            !num(r, 2, "alignment", 1, 1ull << 32, &it->align, err, errlen))
            return false;
        if (it->align & (it->align - 1)) {
            fail(r, err, errlen, "alignment %" PRIu64 " is not a power of two", it->align);
            return false;
        }
        if (!need_word(r, 3, "->", err, errlen))
            return false;
        if (word_is(r, 4, "failed")) {
            it->ok = false;
        } else {
            if (!num(r, 4, "physical address", 0, UINT64_MAX, &it->addr, err, errlen))
                return false;
            it->ok = true;
        }
        return need_end(r, 5, err, errlen);
    case RIOMMU_TK_FREE:
        if (!num(r, 1, "physical address", 0, UINT64_MAX, &it->addr, err, errlen) ||
            !num(r, 2, "size", 0, RIOMMU_TRACE_MAX_ALLOC, &it->len, err, errlen))
            return false;
        return need_end(r, 3, err, errlen);
    case RIOMMU_TK_MAP:
        if (!num(r, 1, "physical address", 0, UINT64_MAX, &it->addr, err, errlen) ||
            !num(r, 2, "size", 1, RIOMMU_TRACE_MAX_ALLOC, &it->len, err, errlen) ||
            !need_word(r, 3, "->", err, errlen))
            return false;
        if (word_is(r, 4, "ok"))
            it->ok = true;
        else if (!word_is(r, 4, "failed")) {
            fail(r, err, errlen, "map: expected '-> ok' or '-> failed'");
            return false;
        }
        if (it->addr > UINT64_MAX - it->len) {
            fail(r, err, errlen, "map: the range wraps around");
            return false;
        }
        return need_end(r, 5, err, errlen);
    case RIOMMU_TK_PUBLISH:
    case RIOMMU_TK_MEM_WRITE:
        if (!num(r, 1, "physical address", 0, UINT64_MAX, &it->addr, err, errlen) ||
            !num(r, 2, "length", k == RIOMMU_TK_MEM_WRITE, RIOMMU_TRACE_MAX_DATA, &it->len,
                 err, errlen) ||
            !data(r, 3, it->len, k == RIOMMU_TK_PUBLISH, &it->has_data, err, errlen))
            return false;
        if (it->addr > UINT64_MAX - it->len) {
            fail(r, err, errlen, "the range wraps around");
            return false;
        }
        return need_end(r, 4, err, errlen);
    case RIOMMU_TK_CONSUME:
        if (!num(r, 1, "physical address", 0, UINT64_MAX, &it->addr, err, errlen) ||
            !num(r, 2, "length", 0, RIOMMU_TRACE_MAX_DATA, &it->len, err, errlen) ||
            !need_word(r, 3, "->", err, errlen) ||
            !data(r, 4, it->len, true, &it->has_data, err, errlen))
            return false;
        if (it->addr > UINT64_MAX - it->len) {
            fail(r, err, errlen, "the range wraps around");
            return false;
        }
        return need_end(r, 5, err, errlen);
    case RIOMMU_TK_DELAY:
        if (!num(r, 1, "microseconds", 0, UINT32_MAX, &it->value, err, errlen))
            return false;
        return need_end(r, 2, err, errlen);
    case RIOMMU_TK_IRQ_PENDING:
        if (!need_word(r, 1, "->", err, errlen) ||
            !num(r, 2, "vectors", 0, UINT32_MAX, &it->value, err, errlen))
            return false;
        return need_end(r, 3, err, errlen);
    case RIOMMU_TK_IRQ_ACK:
        if (!num(r, 1, "vectors", 0, UINT32_MAX, &it->value, err, errlen))
            return false;
        return need_end(r, 2, err, errlen);
    case RIOMMU_TK_DMA:
        return parse_dma(r, it, err, errlen);
    case RIOMMU_TK_SETTLE:
        return need_end(r, 1, err, errlen);
    case RIOMMU_TK_STEP:
        if (!num(r, 1, "cycles", 0, RIOMMU_TRACE_MAX_CYCLES, &it->value, err, errlen))
            return false;
        return need_end(r, 2, err, errlen);
    default:
        return false;
    }
}

/* ---- the reader ------------------------------------------------------------------ */

riommu_trace_reader *riommu_trace_open(const char *path, bool expand, char *err, size_t errlen)
{
    riommu_trace_reader *r = calloc(1, sizeof *r);
    if (!r) {
        snprintf(err, errlen, "%s: out of memory", path);
        return NULL;
    }
    size_t pl = strlen(path) + 1;
    r->path = malloc(pl);
    r->buf = malloc(CHUNK);
    if (!r->path || !r->buf) {
        snprintf(err, errlen, "%s: out of memory", path);
        riommu_trace_close(r);
        return NULL;
    }
    memcpy(r->path, path, pl);
    r->expand = expand;
    r->f = fopen(path, "rb");
    if (!r->f) {
        snprintf(err, errlen, "%s: cannot open the trace", path);
        riommu_trace_close(r);
        return NULL;
    }
    int rc = read_line(r, err, errlen);
    if (rc == 0) {
        r->lineno = 1;
        fail(r, err, errlen, "empty file (a trace starts with 'riommu-trace %d')",
             RIOMMU_TRACE_VERSION);
    } else if (rc > 0) {
        uint64_t v;
        rc = split(r, err, errlen);
        if (rc == 0 && !(r->nw == 2 && !strcmp(r->w[0], "riommu-trace")))
            rc = fail(r, err, errlen, "not a riommu trace (the first line must be "
                                      "'riommu-trace %d')", RIOMMU_TRACE_VERSION);
        else if (rc == 0 && (!parse_u64(r->w[1], &v) || v != RIOMMU_TRACE_VERSION))
            rc = fail(r, err, errlen, "trace version '%.20s' is not supported (this riommu "
                                      "reads version %d)", r->w[1], RIOMMU_TRACE_VERSION);
    }
    if (r->dead) {
        riommu_trace_close(r);
        return NULL;
    }
    return r;
}

void riommu_trace_close(riommu_trace_reader *r)
{
    if (!r)
        return;
    if (r->f)
        fclose(r->f);
    for (unsigned i = 0; i < RIOMMU_TRACE_MAX_PERIOD; i++)
        free(r->ring[i].data);
    free(r->secname);
    free(r->data);
    free(r->line);
    free(r->buf);
    free(r->path);
    free(r);
}

uint64_t riommu_trace_ops(const riommu_trace_reader *r) { return r->ops; }

static int header_line(riommu_trace_reader *r, riommu_trace_item *it, char *err,
                        size_t errlen)
{
    const char *w0 = r->w[0];
    if (!strcmp(w0, "scenario")) {
        if (r->st != ST_TOP)
            return fail(r, err, errlen, "'scenario' inside section '%s' (line %" PRIu64 "): "
                                        "a section ends with 'end'", r->secname, r->sec_line);
        if (++r->nsec > RIOMMU_TRACE_MAX_SECTIONS)
            return fail(r, err, errlen, "more than %u sections", RIOMMU_TRACE_MAX_SECTIONS);
        const char *name = r->text;
        if (!*name)
            return fail(r, err, errlen, "missing scenario name");
        size_t l = strlen(name) + 1;
        char *c = realloc(r->secname, l);
        if (!c)
            return fail(r, err, errlen, "out of memory");
        memcpy(c, name, l);
        r->secname = c;
        r->sec_line = r->lineno;
        r->st = ST_WORLD;
        r->ncfg = 0;
        r->cycles = 0;
        r->mapped = 0;
        r->rn = 0;
        it->kind = RIOMMU_TK_SCENARIO;
        it->text = r->secname;
        return 1;
    }
    if (r->st == ST_TOP)
        return fail(r, err, errlen, "expected 'scenario' (every section starts with it), not "
                                    "'%.40s'", w0);
    if (r->st == ST_WORLD) {
        if (strcmp(w0, "world"))
            return fail(r, err, errlen, "expected 'world model' or 'world cosim LIST' after "
                                        "'scenario'");
        it->kind = RIOMMU_TK_WORLD;
        if (r->nw == 2 && !strcmp(r->w[1], "model")) {
            it->ok = false;
            it->text = "";
        } else if (r->nw == 3 && !strcmp(r->w[1], "cosim")) {
            if (strlen(r->w[2]) >= RIOMMU_TRACE_MAX_NAME)
                return fail(r, err, errlen, "backend list longer than %u bytes",
                            RIOMMU_TRACE_MAX_NAME - 1);
            it->ok = true;
            it->text = r->w[2];
        } else {
            return fail(r, err, errlen, "expected 'world model' or 'world cosim LIST'");
        }
        r->st = ST_WINDOW;
        return 1;
    }
    if (r->st == ST_WINDOW) {
        if (strcmp(w0, "window"))
            return fail(r, err, errlen, "expected 'window BASE SIZE' after 'world'");
        it->kind = RIOMMU_TK_WINDOW;
        if (!num(r, 1, "window base", 0, (1ull << 56) - 1, &it->addr, err, errlen) ||
            !num(r, 2, "window size", 4096, RIOMMU_TRACE_MAX_WINDOW, &it->len, err, errlen) ||
            !need_end(r, 3, err, errlen))
            return -1;
        if ((it->addr | it->len) & 0xFFF)
            return fail(r, err, errlen, "the window must be 4 KiB aligned");
        if (it->addr + it->len > (1ull << 56))
            return fail(r, err, errlen, "the window ends above 2^56");
        r->st = ST_BODY;
        return 1;
    }
    return -1;
}

/* `again K N`: check, charge, and (expanding) start returning the block. */
static bool again_line(riommu_trace_reader *r, char *err, size_t errlen)
{
    uint64_t k, n;
    if (!num(r, 1, "block length", 1, RIOMMU_TRACE_MAX_PERIOD, &k, err, errlen) ||
        !num(r, 2, "repeat count", 1, RIOMMU_TRACE_MAX_OPS, &n, err, errlen) ||
        !need_end(r, 3, err, errlen))
        return false;
    if (k > r->rn) {
        fail(r, err, errlen, "again %" PRIu64 ": only %u operation line(s) since the last 'at'",
             k, r->rn);
        return false;
    }
    for (unsigned i = r->rn - (unsigned)k; i < r->rn; i++)
        if (!charge(r, &r->ring[i].it, n, err, errlen))
            return false;
    if (r->expand) {
        r->xk = (unsigned)k;
        r->xi = 0;
        r->xleft = n;
    }
    return true;
}

static int body_line(riommu_trace_reader *r, riommu_trace_item *it, bool is_config,
                     char *err, size_t errlen)
{
    const char *w0 = r->w[0];
    if (is_config) {
        if (r->body)
            return fail(r, err, errlen, "'config' after the first operation of the section");
        if (++r->ncfg > RIOMMU_TRACE_MAX_CONFIG)
            return fail(r, err, errlen, "more than %u config lines", RIOMMU_TRACE_MAX_CONFIG);
        it->kind = RIOMMU_TK_CONFIG;
        it->text = r->text;
        return 1;
    }
    r->body = true;
    if (!strcmp(w0, "end")) {
        if (!need_end(r, 1, err, errlen))
            return -1;
        r->st = ST_TOP;
        it->kind = RIOMMU_TK_END;
        return 1;
    }
    if (!strcmp(w0, "at")) {
        if (!num(r, 1, "scenario line", 0, UINT64_MAX, &it->value, err, errlen) ||
            !need_end(r, 2, err, errlen))
            return -1;
        r->rn = 0;
        it->kind = RIOMMU_TK_AT;
        return 1;
    }
    if (!strcmp(w0, "again"))
        return again_line(r, err, errlen) ? 2 : -1;
    if (!strcmp(w0, "label")) {
        uint64_t stride;
        if (!num(r, 1, "physical address", 0, UINT64_MAX, &it->addr, err, errlen) ||
            !num(r, 2, "length", 1, UINT64_MAX, &it->len, err, errlen) ||
            !num(r, 3, "stride", 1, UINT32_MAX, &stride, err, errlen))
            return -1;
        if (r->nw < 5 || strlen(r->w[4]) > RIOMMU_TRACE_MAX_LABEL)
            return fail(r, err, errlen, "label: a name of 1..%u characters",
                        RIOMMU_TRACE_MAX_LABEL);
        if (!need_end(r, 5, err, errlen) || !charge(r, it, 1, err, errlen))
            return -1;
        r->rn = 0;
        it->kind = RIOMMU_TK_LABEL;
        it->value = stride;
        it->text = r->w[4];
        return 1;
    }
    for (size_t i = 0; i < sizeof op_words / sizeof op_words[0]; i++)
        if (!strcmp(w0, op_words[i].word)) {
            if (!parse_op(r, op_words[i].kind, op_words[i].size, it, err, errlen))
                return -1;
            it->data = it->has_data ? r->data : NULL;
            if (!charge(r, it, 1, err, errlen) || !ring_push(r, it, err, errlen))
                return -1;
            return 1;
        }
    return fail(r, err, errlen, "unknown record '%.40s'", w0);
}

/* 1 item, 2 an `again` (nothing to return yet), 0 end of file, -1 error. */
static int next_line_item(riommu_trace_reader *r, riommu_trace_item *it, char *err,
                          size_t errlen)
{
    for (;;) {
        int rc = read_line(r, err, errlen);
        if (rc < 0)
            return -1;
        if (rc == 0) {
            if (r->st != ST_TOP)
                return fail(r, err, errlen, "the trace ends inside section '%s' (line %" PRIu64
                                            ") without its 'end' line", r->secname, r->sec_line);
            return 0;
        }
        /* A config line keeps its whole text (comments included) for the
         * scenario parser, a scenario line the text after its first word:
         * take them before splitting. */
        const char *p = r->line;
        while (is_space(*p))
            p++;
        bool is_config = r->st == ST_BODY && !strncmp(p, "config", 6) &&
                         (is_space(p[6]) || !p[6]);
        bool is_scn = !strncmp(p, "scenario", 8) && (is_space(p[8]) || !p[8]);
        if (is_config || is_scn) {
            if (is_scn)
                for (p += 8; is_space(*p); p++)
                    ;
            size_t l = strlen(p);
            while (l && is_space(p[l - 1]))
                l--;
            if (l >= RIOMMU_TRACE_MAX_NAME)
                return fail(r, err, errlen, "%s longer than %u bytes",
                            is_scn ? "scenario name" : "config line", RIOMMU_TRACE_MAX_NAME - 1);
            memcpy(r->text, p, l);
            r->text[l] = 0;
        }
        if (split(r, err, errlen) < 0)
            return -1;
        if (!r->nw)
            continue; /* blank or comment */
        memset(it, 0, sizeof *it);
        it->line = r->lineno;
        if (r->st != ST_BODY || !strcmp(r->w[0], "scenario")) {
            if (header_line(r, it, err, errlen) < 0)
                return -1;
            if (it->kind == RIOMMU_TK_SCENARIO)
                r->body = false;
            return 1;
        }
        return body_line(r, it, is_config, err, errlen);
    }
}

int riommu_trace_next(riommu_trace_reader *r, riommu_trace_item *it, char *err, size_t errlen)
{
    if (r->dead) {
        snprintf(err, errlen, "%s: the trace could not be read", r->path);
        return -1;
    }
    for (;;) {
        if (r->xleft) {
            *it = r->ring[r->rn - r->xk + r->xi].it;
            if (++r->xi == r->xk) {
                r->xi = 0;
                r->xleft--;
            }
            return 1;
        }
        int rc = next_line_item(r, it, err, errlen);
        if (rc != 2)
            return rc;
    }
}
