/*
 * report.h - mismatch records rendered at the edge (DESIGN.md §2.3 rule 6):
 * human text, JSON (--report) and JUnit XML (--junit), and waiver files.
 */
#ifndef RIOMMU_REPORT_H
#define RIOMMU_REPORT_H

#include <stdio.h>

#include "riommu/cosim.h"

#ifdef __cplusplus
extern "C" {
#endif

/* One run (a scenario or a random seed) and what it found. */
typedef struct riommu_report_case {
    const char *name;                 /* scenario path, "seed 17", ... */
    const char *reproduce;            /* one command line that reproduces it */
    const char *const *backends;      /* backend names, reference first */
    unsigned nbackends;
    const riommu_mismatch *mm;        /* records (may be fewer than counted) */
    size_t nmm;
    uint64_t unwaived, waived, skipped;
    bool all_skipped;                 /* no step could run on the backends */
    double seconds;
    /* The waveform the case's clocked backend (the rtl backend, --wave)
     * wrote, or NULL; without one, `wave_reproduce` (or NULL) is the
     * command that reproduces the case and writes one. */
    const char *wave;
    const char *wave_reproduce;
} riommu_report_case;

/* Cycles shown on each side of a record's clock span in its waveform
 * window: cycles [first - margin, last + margin] (from 0). */
#define RIOMMU_REPORT_WAVE_MARGIN 100u

/*
 * The values part of a record as text, into buf: "expected 0xE, got 0xA",
 * except for an event-count record, whose values are the first 8 bytes of
 * the one event the other side lacks: "reference has one (data 0xE), none
 * here" (missing) or "one the reference lacks (data 0xA)" (extra).
 */
void riommu_report_values(const riommu_mismatch *m, char *buf, size_t len);

/* The waveform window of a record with a clock (m->has_clock). */
void riommu_report_wave_window(const riommu_mismatch *m, uint64_t *from, uint64_t *to);

/*
 * "MISMATCH: backend B, step S, t=C us: KIND WHERE: expected X, got Y
 * [waiver W] (xN)" per record; a record with a clock adds a line
 *   "  B: cycle N; waveform FILE cycles A..B"   (or "cycles N..M; ...")
 * (without a waveform only "  B: cycle N"). Then, when anything is
 * unwaived, "reproduce: COMMAND" and, when a record has a clock but the
 * case has no waveform, "waveform: WAVE_REPRODUCE".
 */
void riommu_report_text(FILE *out, const riommu_report_case *c);

/* A JSON document {"cases":[...], "totals":{...}}; every string escaped.
 * A case has "wave" (file or null) and "wave_reproduce" (command or null);
 * a record with a clock has "cycles":[first,last] and, in a case with a
 * waveform, "wave_cycles":[from,to] (riommu_report_wave_window). */
void riommu_report_json(FILE *out, const riommu_report_case *cases, size_t n);

/* A JUnit XML <testsuite> with one <testcase> per case; unwaived mismatches
 * become a <failure>, waived ones are listed in <system-out>, a case whose
 * every step was skipped is <skipped/>. */
void riommu_report_junit(FILE *out, const char *suite, const riommu_report_case *cases,
                         size_t n);

/* ---- waivers ---------------------------------------------------------------- */

typedef struct riommu_waiver_rule {
    char name[48];
    char backend[64];
    riommu_mm_kind kind;   /* RIOMMU_MM_KIND_COUNT: any kind */
    char where[48];        /* substring of the record's `where`; "" = any */
    uint64_t mask;         /* only differences within these bits (~0: any) */
    char scenario[96];     /* substring of the case (scenario file) name; "" = any */
    char spec[96];         /* the spec section that justifies it (required) */
    char reason[200];      /* why (required) */
} riommu_waiver_rule;

/*
 * Parse a waiver file: one rule per line,
 *   NAME backend=B kind=K [where="..."] [mask=0xM] [scenario="..."]
 *        spec="..." reason="..."
 * with `#` comments and blank lines. K is a riommu_mm_kind_name or "any";
 * mask waives only differences within its bits; scenario restricts the
 * rule to cases whose name contains it.
 * Returns the number of rules (>= 0) written to out[0..max-1], or -1 with
 * "file:line: message" in err.
 */
int riommu_waivers_parse(const char *path, riommu_waiver_rule *out, size_t max, char *err,
                         size_t errlen);

/* Install rules into an engine; returns false if its table is full.
 * riommu_waivers_apply_for installs only the rules whose `scenario` is
 * empty or contains in `case_name` (NULL: every rule). */
bool riommu_waivers_apply(riommu_cosim *c, const riommu_waiver_rule *r, size_t n);
bool riommu_waivers_apply_for(riommu_cosim *c, const riommu_waiver_rule *r, size_t n,
                              const char *case_name);

/* Parse a kind name; RIOMMU_MM_KIND_COUNT for "any"; -1 if unknown. */
int riommu_mm_kind_parse(const char *s);

#ifdef __cplusplus
}
#endif

#endif
