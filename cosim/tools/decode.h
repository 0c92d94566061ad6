/*
 * decode.h - `riommu decode`: name every field of a register value, a
 * device or process context, a PTE, a command or a fault record, using the
 * masks of riommu_bits.h and the model's names (riommu_cause_name,
 * riommu_ttyp_name, riommu_reg_name).
 *
 * decode_value() fills a structured result; decode_render() is the only
 * place it becomes text.
 */
#ifndef RIOMMU_DECODE_H
#define RIOMMU_DECODE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define DECODE_MAX_FIELDS 96u
#define DECODE_MAX_WORDS 8u

typedef struct decode_field {
    char name[24];      /* spec field name, e.g. "PSCID", "iommu_mode" */
    unsigned word;      /* which input word (0-based) */
    unsigned hi, lo;    /* bit range within the word (hi == lo for a bit) */
    uint64_t value;     /* the field's value (ADDR-like fields: the address) */
    bool reserved;      /* a reserved field, non-zero */
    bool dec;           /* show the value in decimal (counts, codes) */
    char meaning[112];  /* what the value means, or "" */
} decode_field;

typedef struct decode_result {
    char kind[24];      /* normalised kind ("ddtp", "cmd", ...) */
    char title[112];    /* one-line summary, e.g. "IOTINVAL.VMA" */
    unsigned nwords;
    uint64_t words[DECODE_MAX_WORDS];
    const char *word_names[DECODE_MAX_WORDS]; /* e.g. "tc", "dword0"; may be NULL */
    decode_field f[DECODE_MAX_FIELDS];
    unsigned n;
    unsigned reserved_set; /* fields with reserved bits set */
    decode_field spare;    /* written instead when f[] is full (never shown) */
} decode_result;

/*
 * Decode `n` 64-bit words as `kind` (a register name such as "ddtp",
 * "capabilities", "cqcsr", "iohpmevt3", or one of dc, pc, pte, ddte, cmd,
 * fault). Returns false with a reason in err when the kind is unknown or
 * the word count is wrong for it (dc takes 4 or 8 words, pc and cmd 2,
 * fault 4, everything else 1).
 */
bool decode_value(const char *kind, const uint64_t *w, unsigned n, decode_result *out,
                  char *err, size_t errlen);

void decode_render(FILE *out, const decode_result *r);

/* The list of kinds for --help. */
void decode_kinds_help(FILE *out);

/* `riommu decode KIND HEX...`: argv[0] is "decode". Exit status. */
int decode_main(int argc, char **argv);

#endif
