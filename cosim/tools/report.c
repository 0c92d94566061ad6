/*
 * report.c - text rendering of run results (report.h).
 */
#include "report.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "cli_names.h"
#include "riommu/stats.h"

#define TEXT_WIDTH 46

/* ---- values ------------------------------------------------------------------ */

static void cause_text(char *b, size_t n, unsigned cause)
{
    const char *s = cli_cause_short(cause);
    if (s)
        snprintf(b, n, "%u %s", cause, s);
    else
        snprintf(b, n, "%u (%s)", cause, riommu_cause_name(cause));
}

static void value_text(char *b, size_t n, run_vfmt f, uint64_t v)
{
    char c[64];
    switch (f) {
    case RUN_FMT_DEC:
        snprintf(b, n, "%" PRIu64, v);
        break;
    case RUN_FMT_ERR:
        snprintf(b, n, "%s", riommu_drv_strerror((riommu_drv_err)v));
        break;
    case RUN_FMT_DMA: {
        unsigned status = (unsigned)(v >> 16);
        if (status == RIOMMU_RSP_OK)
            snprintf(b, n, "ok");
        else if (status == RIOMMU_RSP_FAULT) {
            cause_text(c, sizeof c, (unsigned)(v & 0xFFFF));
            snprintf(b, n, "fault %s", c);
        } else
            snprintf(b, n, "bad-request");
        break;
    }
    case RUN_FMT_BOOL:
        snprintf(b, n, "%s", v ? "yes" : "no");
        break;
    case RUN_FMT_HIT:
        snprintf(b, n, "%s", v ? "hit" : "miss");
        break;
    case RUN_FMT_CAUSE:
        cause_text(b, n, (unsigned)v);
        break;
    case RUN_FMT_TTYP:
        snprintf(b, n, "%u (%s)", (unsigned)v, riommu_ttyp_name((unsigned)v));
        break;
    case RUN_FMT_EVENT:
        snprintf(b, n, "%s", cli_event_name((riommu_drv_event_kind)v));
        break;
    case RUN_FMT_HEX:
    default:
        snprintf(b, n, "0x%" PRIx64, v);
        break;
    }
}

static const char *page_text(uint64_t size)
{
    switch (size) {
    case 1ull << 12: return "4 KiB page";
    case 1ull << 16: return "64 KiB page";
    case 1ull << 21: return "2 MiB page";
    case 1ull << 30: return "1 GiB page";
    case 1ull << 39: return "512 GiB page";
    case 1ull << 48: return "256 TiB page";
    default: return "range";
    }
}

static const char *cmp_text(scn_cmp c)
{
    switch (c) {
    case SCN_NE: return " !=";
    case SCN_LT: return " <";
    case SCN_LE: return " <=";
    case SCN_GT: return " >";
    case SCN_GE: return " >=";
    case SCN_EQ:
    default: return "";
    }
}

/* ---- buffered lines ----------------------------------------------------------------- */

#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
/* Append a line to the step's pending output (printed after the step's
 * own line); on allocation failure the line is printed at once. */
static void pend(report_text *t, const char *fmt, ...)
{
    char line[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    size_t l = strlen(line);
    if (t->plen + l + 1 > t->pcap) {
        size_t nc = (t->pcap ? t->pcap * 2 : 4096) + l;
        char *nb = realloc(t->pend, nc);
        if (!nb) {
            fputs(line, t->out);
            return;
        }
        t->pend = nb;
        t->pcap = nc;
    }
    memcpy(t->pend + t->plen, line, l + 1);
    t->plen += l;
}

static void flush_pending(report_text *t)
{
    if (t->plen)
        fputs(t->pend, t->out);
    t->plen = 0;
}

void report_text_free(report_text *t)
{
    free(t->pend);
    t->pend = NULL;
    t->plen = t->pcap = 0;
}

/* ---- callbacks ------------------------------------------------------------------ */

static void t_begin(void *ctx, const scn_program *p)
{
    report_text *t = ctx;
    t->shown = t->hidden = 0;
    if (t->quiet)
        return;
    if (t->title)
        fprintf(t->out, "%s\n", t->title);
    else
        fprintf(t->out, "scenario %s\n", p->file);
}

static void result_text(char *b, size_t n, const run_step_report *r)
{
    const scn_step *s = r->step;
    char c[96];
    const char *err = riommu_drv_strerror(r->err);
    switch (s->kind) {
    case SCN_DRIVER_SET:
        snprintf(b, n, "set for the next init");
        break;
    case SCN_INIT:
        if (r->err)
            snprintf(b, n, "%s", err);
        else
            snprintf(b, n, "ok: %s device directory, icvec 0x%" PRIx64 ", CQ %" PRIu64
                           " / FQ %" PRIu64 " entries",
                     cli_ddt_mode_name((unsigned)r->v[0]), r->v[1], r->v[2], r->v[3]);
        break;
    case SCN_DOMAIN:
        if (r->err) {
            snprintf(b, n, "%s", err);
        } else {
            char sizes[64] = "";
            static const struct {
                unsigned bit;
                const char *n;
            } ps[] = {{12, " 4K"}, {16, " 64K"}, {21, " 2M"}, {30, " 1G"}, {39, " 512G"}};
            for (size_t i = 0; i < sizeof ps / sizeof ps[0]; i++)
                if (r->v[2] & (1ull << ps[i].bit))
                    strncat(sizes, ps[i].n, sizeof sizes - strlen(sizes) - 1);
            snprintf(b, n, "ok: Sv%" PRIu64 ", PSCID %" PRIu64 ", page sizes%s", r->v[1],
                     r->v[0], sizes);
        }
        break;
    case SCN_PROBE:
    case SCN_ATTACH:
    case SCN_DETACH:
    case SCN_CMD_SYNC:
        snprintf(b, n, "%s", err);
        break;
    case SCN_RELEASE:
        snprintf(b, n, "released (blocked, then freed)");
        break;
    case SCN_FREE:
        snprintf(b, n, "freed");
        break;
    case SCN_MAP:
        if (r->err)
            snprintf(b, n, "%s (0x%" PRIx64 " bytes mapped)", err, r->v[0]);
        else
            snprintf(b, n, "ok: 0x%" PRIx64 " bytes mapped", r->v[0]);
        break;
    case SCN_UNMAP:
        snprintf(b, n, "0x%" PRIx64 " bytes unmapped%s", r->v[0],
                 s->nosync ? ", gathered (no invalidation yet)" : ", invalidated");
        break;
    case SCN_SYNC:
    case SCN_FLUSH:
        snprintf(b, n, "invalidated");
        break;
    case SCN_IOVA_TO_PHYS:
        if (r->v[0])
            snprintf(b, n, "0x%" PRIx64, r->v[0]);
        else
            snprintf(b, n, "0 (not mapped)");
        break;
    case SCN_REMOVE:
    case SCN_SHUTDOWN:
    case SCN_CRASH:
        snprintf(b, n, s->kind == SCN_CRASH ? "driver dropped; the IOMMU keeps its state"
                                            : "done");
        break;
    case SCN_PROCESS:
        if (r->v[0])
            snprintf(b, n, "%" PRIu64 " fault record%s drained", r->v[0], r->v[0] == 1 ? "" : "s");
        else
            snprintf(b, n, "no fault records");
        break;
    case SCN_CMD:
        snprintf(b, n, "queued");
        break;
    case SCN_CQ_REPAIR:
        snprintf(b, n, "command %" PRIu64 " rewritten as a no-op IOFENCE.C", r->v[0]);
        break;
    case SCN_MMIO_WRITE:
    case SCN_MEM_WRITE:
        snprintf(b, n, "written");
        break;
    case SCN_MMIO_READ:
    case SCN_MEM_READ:
        snprintf(b, n, "0x%" PRIx64, r->v[0]);
        break;
    case SCN_DC_READ:
        if (r->none)
            snprintf(b, n, "no device context");
        else
            snprintf(b, n, "0x%" PRIx64, r->v[0]);
        break;
    case SCN_PTE_READ:
        if (r->none)
            snprintf(b, n, "no first-stage table");
        else
            snprintf(b, n, "0x%" PRIx64 " (%s at level %" PRIu64 ")", r->v[0],
                     !(r->v[0] & RIOMMU_PTE_V)                            ? "invalid"
                     : (r->v[0] & (RIOMMU_PTE_R | RIOMMU_PTE_X)) ? "leaf"
                                                                          : "pointer",
                     r->v[1]);
        break;
    case SCN_PTE_WRITE:
        snprintf(b, n, "0x%" PRIx64 " written at level %" PRIu64 " (no invalidation)", r->v[0],
                 r->v[1]);
        break;
    case SCN_DMA: {
        const riommu_response *p = &r->rsp;
        if (p->status == RIOMMU_RSP_OK) {
            char data[40] = "";
            if (r->len) {
                size_t k = r->len < 8 ? r->len : 8;
                char *w = data;
                w += snprintf(w, sizeof data, ", data ");
                for (size_t i = 0; i < k; i++)
                    w += snprintf(w, sizeof data - (size_t)(w - data), "%02x", r->data[i]);
                if (r->len > 8)
                    snprintf(w, sizeof data - (size_t)(w - data), "...");
            }
            snprintf(b, n, "ok: pa 0x%" PRIx64 ", %s, %s, %u cycles%s", p->pa,
                     page_text(p->range_size), p->iotlb_hit ? "IOTLB hit" : "walk", p->cycles,
                     data);
        } else if (p->status == RIOMMU_RSP_FAULT) {
            cause_text(c, sizeof c, p->cause);
            snprintf(b, n, "fault %s (%s), %s", c, riommu_cause_name(p->cause),
                     p->recorded ? "recorded" : "not recorded");
        } else {
            snprintf(b, n, "bad request");
        }
        break;
    }
    case SCN_EXPECT_RECORD:
    case SCN_EXPECT_EVENT:
    case SCN_EXPECT_NO_EVENTS:
        snprintf(b, n, "checked");
        break;
    case SCN_EXPECT_STAT:
        snprintf(b, n, "%" PRIu64, r->v[0]);
        break;
    case SCN_STEP:
    case SCN_SETTLE:
        snprintf(b, n, "model time %" PRIu64 " cycles", r->v[0]);
        break;
    case SCN_ECHO:
        b[0] = 0;
        break;
    }
}

static void t_step(void *ctx, const scn_program *p, const run_step_report *r)
{
    report_text *t = ctx;
    (void)p;
    const scn_step *s = r->step;
    if (t->quiet)
        return;
    if (r->iteration > 0) {
        flush_pending(t);
        return;
    }
    if (s->kind == SCN_ECHO) {
        const char *txt = strchr(s->text, ' ');
        flush_pending(t);
        fprintf(t->out, "\n  -- %s\n", txt ? txt + 1 : "");
        return;
    }
    char res[256];
    result_text(res, sizeof res, r);
    char rep[32] = "";
    if (s->repeat > 1)
        snprintf(rep, sizeof rep, " [x%u]", (unsigned)s->repeat);
    size_t l = strlen(s->text);
    if (l > TEXT_WIDTH)
        fprintf(t->out, "%5u  %.*s...  %s%s\n", (unsigned)s->line, TEXT_WIDTH - 3, s->text, res,
                rep);
    else
        fprintf(t->out, "%5u  %-*s  %s%s\n", (unsigned)s->line, TEXT_WIDTH, s->text, res, rep);
    flush_pending(t);
}

static void t_fault(void *ctx, const scn_step *s, const riommu_drv_fault *rec)
{
    report_text *t = ctx;
    (void)s;
    if (t->quiet)
        return;
    char c[64], pid[48] = "", v2[40] = "";
    cause_text(c, sizeof c, rec->cause);
    if (rec->pv)
        snprintf(pid, sizeof pid, ", pid 0x%x%s", (unsigned)rec->pid, rec->priv ? " priv" : "");
    if (rec->iotval2)
        snprintf(v2, sizeof v2, ", iotval2 0x%" PRIx64, rec->iotval2);
    pend(t, "%7s fault record: cause %s (%s), %s, device 0x%06x, iova 0x%" PRIx64 "%s%s\n", "",
         c, riommu_cause_name(rec->cause), riommu_ttyp_name(rec->ttyp), (unsigned)rec->did,
         rec->iotval, pid, v2);
}

static void t_event(void *ctx, const scn_step *s, const riommu_drv_event *ev)
{
    report_text *t = ctx;
    (void)s;
    if (t->quiet)
        return;
    static const char *const what[] = {
        [RIOMMU_DRV_EV_FAULT] = "record",
        [RIOMMU_DRV_EV_CQ_ERROR] = "cqcsr",
        [RIOMMU_DRV_EV_FQ_ERROR] = "fqcsr",
        [RIOMMU_DRV_EV_ENQUEUE_TIMEOUT] = "command index",
        [RIOMMU_DRV_EV_EXEC_TIMEOUT] = "command index",
        [RIOMMU_DRV_EV_QUEUE_TIMEOUT] = "fqt",
        [RIOMMU_DRV_EV_ALREADY_ATTACHED] = "device",
    };
    unsigned k = (unsigned)ev->kind;
    pend(t, "%7s driver event: %s (%s 0x%" PRIx64 ")\n", "", cli_event_name(ev->kind),
         k < sizeof what / sizeof what[0] && what[k] ? what[k] : "value", ev->a);
}

static void t_mismatch(void *ctx, const scn_program *p, const run_mismatch *m)
{
    report_text *t = ctx;
    flush_pending(t);
    if (!m->fatal && t->max_mismatches && t->shown >= t->max_mismatches) {
        t->hidden++;
        return;
    }
    t->shown++;
    char line[512];
    report_mismatch_line(line, sizeof line, p, m);
    fprintf(t->out, "%s\n", line);
}

void report_mismatch_line(char *buf, size_t len, const scn_program *p, const run_mismatch *m)
{
    if (m->fatal) {
        snprintf(buf, len, "%s:%u: error: %s; the scenario stops here", p->file, m->line,
                 m->note);
        return;
    }
    char e[96], g[96], mask[48] = "";
    value_text(e, sizeof e, m->fmt, m->expected);
    if (m->got_none)
        snprintf(g, sizeof g, "none");
    else
        value_text(g, sizeof g, m->fmt, m->got);
    if (m->mask != ~0ull && m->fmt == RUN_FMT_HEX && !(m->mask == 0xFFFFFFFFull &&
                                                      (m->expected | m->got) <= 0xFFFFFFFFull))
        snprintf(mask, sizeof mask, " (mask 0x%" PRIx64 ")", m->mask);
    snprintf(buf, len, "%s:%u: expected %s%s %s%s, got %s", p->file, m->line, m->what,
             cmp_text(m->cmp), e, mask, g);
}

static void t_trace(void *ctx, const riommu_trace_rec *recs, size_t n)
{
    report_text *t = ctx;
    if (t->quiet)
        return;
    for (size_t i = 0; i < n; i++) {
        const riommu_trace_rec *x = &recs[i];
        const char *reg = riommu_reg_name(x->off);
        switch (x->op) {
        case RIOMMU_TR_READ32:
        case RIOMMU_TR_READ64:
        case RIOMMU_TR_WRITE32:
        case RIOMMU_TR_WRITE64: {
            static const char *const nm[] = {"r32", "r64", "w32", "w64"};
            fprintf(t->out, "%11s %s %-12s 0x%" PRIx64, "", nm[x->op], reg ? reg : "?", x->val);
            if (x->len > 1 && (x->op == RIOMMU_TR_READ32 || x->op == RIOMMU_TR_READ64))
                fprintf(t->out, " (x%" PRIu64 ")", x->len);
            fputc('\n', t->out);
            break;
        }
        case RIOMMU_TR_ALLOC:
            fprintf(t->out, "%11s alloc 0x%" PRIx64 " +0x%" PRIx64 "\n", "", x->addr, x->len);
            break;
        case RIOMMU_TR_FREE:
            fprintf(t->out, "%11s free  0x%" PRIx64 " +0x%" PRIx64 "\n", "", x->addr, x->len);
            break;
        case RIOMMU_TR_MAP_PHYS:
            fprintf(t->out, "%11s map   0x%" PRIx64 " +0x%" PRIx64 "\n", "", x->addr, x->len);
            break;
        case RIOMMU_TR_SYNC_TO_DEV:
            fprintf(t->out, "%11s publish 0x%" PRIx64 " +%" PRIu64 ": 0x%016" PRIx64 "%s\n", "",
                    x->addr, x->len, x->data[0], x->len > 8 ? " ..." : "");
            break;
        case RIOMMU_TR_SYNC_FOR_CPU:
            fprintf(t->out, "%11s consume 0x%" PRIx64 " +%" PRIu64 "\n", "", x->addr, x->len);
            break;
        case RIOMMU_TR_DELAY:
            fprintf(t->out, "%11s delay %" PRIu64 " us%s\n", "", x->val,
                    x->len > 1 ? " (repeated)" : "");
            break;
        case RIOMMU_TR_IRQ_PENDING:
            fprintf(t->out, "%11s irq pending 0x%" PRIx64 "\n", "", x->val);
            break;
        case RIOMMU_TR_IRQ_ACK:
            fprintf(t->out, "%11s irq ack 0x%" PRIx64 "\n", "", x->val);
            break;
        }
    }
}

static void cache_line(FILE *o, const char *name, const riommu_cache_stats *c)
{
    double rate = c->lookups ? 100.0 * (double)c->hits / (double)c->lookups : 0.0;
    fprintf(o, "    %-6s %6" PRIu64 " lookups %6" PRIu64 " hits  %5.1f%%  %" PRIu64 " fills, %" PRIu64
               " evictions, %" PRIu64 " invalidations\n",
            name, c->lookups, c->hits, rate, c->fills, c->evictions, c->invalidations);
}

/* The statistics table's headline figures (docs/stats.md): walks per stage
 * and level, the latency distributions, memory accesses by kind. */
static void headline(FILE *o, const riommu_stats *m, uint64_t cycles)
{
    riommu_stat_table t;
    memset(&t, 0, sizeof t);
    if (!riommu_stats_table_build(&t, m, cycles))
        return;
    fprintf(o, "  walks: %" PRIu64 " device-directory, %" PRIu64 " first-stage (PTE reads by "
               "level 4..0:",
            m->ddt_walks, m->s1_walks);
    for (int l = 4; l >= 0; l--)
        fprintf(o, " %" PRIu64, m->s1_walk_levels[l]);
    const riommu_stat_row *wm = riommu_stats_table_find(&t, "iommu.walker.latency.mean");
    fprintf(o, "), mean walk latency %.1f cycles\n", wm ? wm->real : 0.0);
    static const char *const hist[][2] = {{"iommu.xlate.latency::", "translation latency"},
                                          {"iommu.walker.latency::", "walk latency"}};
    for (unsigned h = 0; h < 2; h++) {
        size_t pl = strlen(hist[h][0]);
        bool any = false;
        fprintf(o, "  %s (cycles:count):", hist[h][1]);
        for (size_t i = 0; i < t.n; i++)
            if (!strncmp(t.rows[i].name, hist[h][0], pl) && t.rows[i].count) {
                fprintf(o, " %s:%" PRIu64, t.rows[i].name + pl, t.rows[i].count);
                any = true;
            }
        fprintf(o, "%s\n", any ? "" : " none");
    }
    const riommu_stat_row *mt = riommu_stats_table_find(&t, "iommu.mem.total");
    fprintf(o, "  memory accesses %" PRIu64, mt ? mt->count : 0);
    bool any = false;
    for (size_t i = 0; i < t.n; i++)
        if (!strncmp(t.rows[i].name, "iommu.mem.", 10) && &t.rows[i] != mt && t.rows[i].count) {
            fprintf(o, "%s%s %" PRIu64, any ? ", " : " (", t.rows[i].name + 10, t.rows[i].count);
            any = true;
        }
    fprintf(o, "%s\n", any ? ")" : "");
    riommu_stats_table_free(&t);
}

static void t_end(void *ctx, const scn_program *p, const run_summary *s)
{
    report_text *t = ctx;
    FILE *o = t->out;
    flush_pending(t);
    if (t->summary && !t->quiet) {
        const riommu_stats *m = &s->model;
        fprintf(o, "\nsummary (%s)\n", p->file);
        fprintf(o, "  translations %" PRIu64 " (%" PRIu64 " ok), mean latency %.1f cycles, "
                   "model time %" PRIu64 " cycles\n",
                m->translations, m->translations_ok,
                m->translations ? (double)m->translate_cycles / (double)m->translations : 0.0,
                s->cycles);
        bool any = false;
        for (unsigned c = 0; c < RIOMMU_STAT_CAUSES; c++)
            if (m->faults_by_cause[c]) {
                char ct[64];
                cause_text(ct, sizeof ct, c);
                fprintf(o, "%s%s: %" PRIu64, any ? ", " : "  faults by cause: ", ct,
                        m->faults_by_cause[c]);
                any = true;
            }
        fprintf(o, "%s\n", any ? "" : "  faults by cause: none");
        fprintf(o, "  fault records: %" PRIu64 " written, %" PRIu64 " dropped, %" PRIu64
                   " suppressed; %" PRIu64 " drained by the driver\n",
                m->fault_records_written, m->fault_records_dropped, m->fault_records_suppressed,
                s->drv.faults_drained);
        fprintf(o, "  cache hit rates:\n");
        cache_line(o, "DDTC", &m->ddtc);
        cache_line(o, "IOTLB", &m->iotlb);
        cache_line(o, "WALKC", &m->walkc);
        static const char *const ops[] = {"?", "IOTINVAL", "IOFENCE", "IODIR", "ATS"};
        static const char *const fn[5][2] = {{"", ""},
                                             {"VMA", "GVMA"},
                                             {"C", "?"},
                                             {"INVAL_DDT", "INVAL_PDT"},
                                             {"INVAL", "PRGR"}};
        fprintf(o, "  commands executed:");
        any = false;
        for (unsigned op = 1; op <= 4; op++)
            for (unsigned f = 0; f < 2; f++)
                if (m->commands[op][f]) {
                    fprintf(o, "%s %s.%s %" PRIu64, any ? "," : "", ops[op], fn[op][f],
                            m->commands[op][f]);
                    any = true;
                }
        if (m->commands_illegal) {
            fprintf(o, "%s illegal %" PRIu64, any ? "," : "", m->commands_illegal);
            any = true;
        }
        fprintf(o, "%s\n", any ? "" : " none");
        fprintf(o, "  driver: %" PRIu64 " commands queued (", s->drv.commands);
        any = false;
        for (unsigned op = 1; op <= 4; op++)
            if (s->drv.cmd_by_op[op]) {
                fprintf(o, "%s%s %" PRIu64, any ? ", " : "", ops[op], s->drv.cmd_by_op[op]);
                any = true;
            }
        fprintf(o, "%s), %" PRIu64 " fences waited, %" PRIu64 " pages mapped, %" PRIu64
                   " unmapped, %" PRIu64 " interrupts handled\n",
                any ? "" : "none", s->drv.fences, s->drv.pages_mapped, s->drv.pages_unmapped,
                s->drv.irqs_handled);
        fprintf(o, "  A/D updates %" PRIu64 ", MSIs %" PRIu64 ", wired edges %" PRIu64 "\n",
                m->ad_updates, s->msis, m->wire_edges);
        headline(o, m, s->cycles);
    }
    if (t->hidden)
        fprintf(o, "%s: %u more failed expectation%s not shown\n", p->file, t->hidden,
                t->hidden == 1 ? "" : "s");
    if (t->quiet && t->failures_only && !s->mismatches)
        return;
    fprintf(o, "%sscenario %s: %" PRIu64 " steps, %" PRIu64 " checks, %" PRIu64 " mismatch%s%s\n",
            t->quiet ? "" : "\n", p->file, s->steps, s->checks, s->mismatches,
            s->mismatches == 1 ? "" : "es", s->stopped ? " (stopped early)" : "");
}

run_sink report_text_sink(report_text *t)
{
    run_sink s;
    memset(&s, 0, sizeof s);
    s.ctx = t;
    s.begin = t_begin;
    s.step = t_step;
    s.fault = t_fault;
    s.event = t_event;
    s.mismatch = t_mismatch;
    s.trace = t_trace;
    s.end = t_end;
    return s;
}

void report_final_line(FILE *out, uint64_t mismatches, uint64_t waived, uint64_t skipped)
{
    fprintf(out, "mismatches: %" PRIu64 ", waived: %" PRIu64 ", skipped: %" PRIu64 "\n",
            mismatches, waived, skipped);
}
