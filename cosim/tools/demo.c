/*
 * demo.c - `riommu demo`: the main job of `make run`. It brings up the
 * model in the order Linux does (linux-driver notes §1.2-1.4), attaches an
 * identity-domain device and two devices in paging domains, maps 4 KiB and
 * 2 MiB pages, moves device data, drains and decodes a fault, unmaps with
 * invalidation, shows the stale IOVA faulting, shuts down, and prints a
 * summary. Every step carries an expectation; failed expectations are
 * counted as mismatches (one backend) and the last line is the standard
 * "mismatches: N, waived: W, skipped: S" line.
 *
 * The programming sequence here is deliberately inline and small; the
 * reference driver (driver/) takes this job over.
 */
#include "demo.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "riommu/memhost.h"

typedef struct demo {
    riommu *m;
    memhost *h;
    FILE *out;
    unsigned checks, failed;
    uint64_t next_pa;   /* bump allocator for tables and buffers */
    uint64_t ddt_root;
    uint64_t cq_base, fq_base;
    uint32_t cq_mask, fq_mask, cq_tail, fq_head;
} demo;

static void check(demo *d, bool ok, const char *what)
{
    d->checks++;
    if (!ok) {
        d->failed++;
        fprintf(d->out, "  MISMATCH: %s\n", what);
    }
}

static uint64_t r64(demo *d, uint32_t off)
{
    uint64_t v = 0;
    riommu_mmio_read(d->m, off, 8, &v);
    return v;
}
static uint32_t r32(demo *d, uint32_t off)
{
    uint64_t v = 0;
    riommu_mmio_read(d->m, off, 4, &v);
    return (uint32_t)v;
}
static void w64(demo *d, uint32_t off, uint64_t v) { riommu_mmio_write(d->m, off, 8, v); }
static void w32(demo *d, uint32_t off, uint32_t v) { riommu_mmio_write(d->m, off, 4, v); }

/* Poll a register until (value & mask) == want; 10 cycles per poll, like
 * Linux's 10 us poll interval. Returns false on timeout. */
static bool poll(demo *d, uint32_t off, unsigned size, uint64_t mask, uint64_t want,
                 unsigned max_polls)
{
    for (unsigned i = 0; i < max_polls; i++) {
        uint64_t v = size == 8 ? r64(d, off) : r32(d, off);
        if ((v & mask) == want)
            return true;
        riommu_step(d->m, 10);
    }
    return false;
}

static uint64_t alloc(demo *d, uint64_t size, uint64_t align)
{
    d->next_pa = (d->next_pa + align - 1) & ~(align - 1);
    uint64_t pa = d->next_pa;
    d->next_pa += (size + 4095) & ~4095ull;
    return pa;
}

/* ---- command queue ------------------------------------------------------- */

static void cmd(demo *d, uint64_t d0, uint64_t d1)
{
    memhost_w64(d->h, d->cq_base + d->cq_tail * 16ull, d0);
    memhost_w64(d->h, d->cq_base + d->cq_tail * 16ull + 8, d1);
    d->cq_tail = (d->cq_tail + 1) & d->cq_mask;
    w32(d, RIOMMU_REG_CQT, d->cq_tail);
}

/* IOFENCE.C PR|PW and wait for cqh to pass it (linux §1.6 cmd_sync). */
static bool sync_cq(demo *d)
{
    cmd(d, RIOMMU_CMD_OP_IOFENCE | RIOMMU_IOFENCE_PR | RIOMMU_IOFENCE_PW, 0);
    return poll(d, RIOMMU_REG_CQH, 4, ~0ull, d->cq_tail, 100000);
}

static void inval_pscid(demo *d, uint32_t pscid)
{
    cmd(d, RIOMMU_CMD_OP_IOTINVAL | RIOMMU_IOTINVAL_PSCV |
               RIOMMU_FIELD_PREP(RIOMMU_IOTINVAL_PSCID, pscid),
        0);
}

static void inval_page(demo *d, uint32_t pscid, uint64_t iova)
{
    cmd(d, RIOMMU_CMD_OP_IOTINVAL | RIOMMU_IOTINVAL_PSCV | RIOMMU_IOTINVAL_AV |
               RIOMMU_FIELD_PREP(RIOMMU_IOTINVAL_PSCID, pscid),
        (iova >> 12) << 10);
}

static void inval_ddt(demo *d, bool dv, uint32_t did)
{
    cmd(d, RIOMMU_CMD_OP_IODIR | (dv ? RIOMMU_IODIR_DV | RIOMMU_FIELD_PREP(RIOMMU_IODIR_DID, did) : 0),
        0);
}

/* ---- bring-up (linux §1.2-1.4) ---------------------------------------------- */

static bool queue_setup(demo *d, uint32_t base_off, uint32_t csr_off, unsigned entry,
                        unsigned want_log2, uint64_t *base, uint32_t *mask)
{
    w64(d, base_off, RIOMMU_QB_LOG2SZ); /* probe the largest size */
    unsigned hw = (unsigned)(r64(d, base_off) & RIOMMU_QB_LOG2SZ);
    unsigned lg = want_log2 < hw ? want_log2 : hw;
    uint64_t bytes = (uint64_t)entry << (lg + 1);
    *base = alloc(d, bytes, bytes < 4096 ? 4096 : bytes);
    uint64_t v = ((*base >> 2) & RIOMMU_QB_PPN) | lg;
    w64(d, base_off, v);
    check(d, r64(d, base_off) == v, "queue base reads back exactly");
    *mask = (uint32_t)((2ull << lg) - 1);
    w32(d, csr_off, 0x103); /* EN | IE | MF (W1C) */
    bool ok = poll(d, csr_off, 4, RIOMMU_CQCSR_BUSY, 0, 15000);
    check(d, ok && (r32(d, csr_off) & 0x30100u) == RIOMMU_CQCSR_CQON, "queue turns on");
    return ok;
}

static bool set_ddt_mode(demo *d)
{
    /* Probe 3LVL, then 2LVL, then 1LVL (linux §1.3). */
    for (unsigned mode = RIOMMU_DDTP_MODE_3LVL; mode >= RIOMMU_DDTP_MODE_1LVL; mode--) {
        w64(d, RIOMMU_REG_DDTP, ((d->ddt_root >> 2) & RIOMMU_DDTP_PPN) | mode);
        if (!poll(d, RIOMMU_REG_DDTP, 8, RIOMMU_DDTP_BUSY, 0, 1000000))
            return false;
        if ((r64(d, RIOMMU_REG_DDTP) & RIOMMU_DDTP_MODE) == mode) {
            fprintf(d->out, "  ddtp: %uLVL device directory at 0x%" PRIx64 "\n",
                    mode - 1, d->ddt_root);
            inval_ddt(d, false, 0);
            cmd(d, RIOMMU_CMD_OP_IOTINVAL, 0);
            return sync_cq(d);
        }
    }
    return false;
}

/* Device context slot for did in the 3-level, base-format directory. */
static uint64_t dc_slot(demo *d, uint32_t did)
{
    uint64_t a = d->ddt_root;
    unsigned idx[2] = {(did >> 16) & 0xFF, (did >> 7) & 0x1FF};
    for (int i = 0; i < 2; i++) {
        uint64_t e = memhost_r64(d->h, a + idx[i] * 8ull);
        if (!(e & 1)) {
            uint64_t n = alloc(d, 4096, 4096);
            e = ((n >> 12) << 10) | 1;
            memhost_w64(d->h, a + idx[i] * 8ull, e);
        }
        a = RIOMMU_FIELD_GET(e, RIOMMU_DDTE_PPN) << 12;
    }
    return a + (did & 0x7F) * 32ull;
}

/* Attach (linux §1.8 iodir_update): write fsc, ta, then tc.V last; then
 * IODIR.INVAL_DDT for the device and the 2026 scoped IOTINVAL; fence. */
static bool attach(demo *d, uint32_t did, uint64_t fsc, uint32_t pscid)
{
    uint64_t a = dc_slot(d, did);
    memhost_w64(d->h, a + 24, fsc);
    memhost_w64(d->h, a + 16, RIOMMU_FIELD_PREP(RIOMMU_DC_TA_PSCID, pscid));
    memhost_w64(d->h, a + 8, 0);
    memhost_w64(d->h, a, RIOMMU_DC_TC_V | RIOMMU_DC_TC_SADE);
    inval_ddt(d, true, did);
    if (fsc)
        inval_pscid(d, pscid);
    return sync_cq(d);
}

/* ---- page tables ---------------------------------------------------------------- */

typedef struct domain {
    unsigned mode, levels;
    uint64_t root;
    uint32_t pscid;
} domain;

static void domain_init(demo *d, domain *dom, uint32_t pscid)
{
    uint64_t caps = r64(d, RIOMMU_REG_CAPABILITIES);
    dom->mode = (caps & RIOMMU_CAP_SV57) ? 10 : (caps & RIOMMU_CAP_SV48) ? 9 : 8;
    dom->levels = dom->mode - 5;
    dom->root = alloc(d, 4096, 4096);
    dom->pscid = pscid;
}

static uint64_t dom_fsc(const domain *dom)
{
    return RIOMMU_FIELD_PREP(RIOMMU_FSC_MODE, dom->mode) | (dom->root >> 12);
}

/* Map one leaf of size 4 KiB << (9 * level): V A U R (W) (D clear: the
 * model sets it through SADE). */
static void map(demo *d, domain *dom, uint64_t iova, uint64_t pa, unsigned level, bool wr)
{
    uint64_t a = dom->root;
    for (int i = (int)dom->levels - 1; i > (int)level; i--) {
        uint64_t slot = a + ((iova >> (12 + 9 * i)) & 0x1FF) * 8;
        uint64_t e = memhost_r64(d->h, slot);
        if (!(e & RIOMMU_PTE_V)) {
            uint64_t n = alloc(d, 4096, 4096);
            e = ((n >> 12) << 10) | RIOMMU_PTE_V;
            memhost_w64(d->h, slot, e);
        }
        a = RIOMMU_FIELD_GET(e, RIOMMU_PTE_PPN) << 12;
    }
    uint64_t flags = RIOMMU_PTE_V | RIOMMU_PTE_A | RIOMMU_PTE_U | RIOMMU_PTE_R |
                     (wr ? RIOMMU_PTE_W : 0);
    memhost_w64(d->h, a + ((iova >> (12 + 9 * level)) & 0x1FF) * 8,
                ((pa >> 12) << 10) | flags);
}

static void unmap(demo *d, domain *dom, uint64_t iova)
{
    uint64_t a = dom->root;
    for (int i = (int)dom->levels - 1; i > 0; i--) {
        uint64_t e = memhost_r64(d->h, a + ((iova >> (12 + 9 * i)) & 0x1FF) * 8);
        if (e & (RIOMMU_PTE_R | RIOMMU_PTE_X)) {
            memhost_w64(d->h, a + ((iova >> (12 + 9 * i)) & 0x1FF) * 8, 0);
            return;
        }
        a = RIOMMU_FIELD_GET(e, RIOMMU_PTE_PPN) << 12;
    }
    memhost_w64(d->h, a + ((iova >> 12) & 0x1FF) * 8, 0);
}

/* ---- device DMA ---------------------------------------------------------------- */

static riommu_response dma(demo *d, uint32_t did, riommu_req_access acc, uint64_t iova,
                           void *buf, uint32_t len)
{
    riommu_request req;
    memset(&req, 0, sizeof req);
    req.device_id = did;
    req.access = acc;
    req.iova = iova;
    req.len = len;
    riommu_response rsp;
    riommu_dma(d->m, &req, buf, &rsp);
    return rsp;
}

static void show(demo *d, const char *what, uint32_t did, uint64_t iova,
                 const riommu_response *r)
{
    if (r->status == RIOMMU_RSP_OK)
        fprintf(d->out, "  %-34s dev 0x%06x iova 0x%012" PRIx64 " -> pa 0x%012" PRIx64
                        " (%s, %u cycles)\n",
                what, did, iova, r->pa, r->iotlb_hit ? "IOTLB hit" : "walk", r->cycles);
    else
        fprintf(d->out, "  %-34s dev 0x%06x iova 0x%012" PRIx64 " -> fault %u (%s)\n", what,
                did, iova, r->cause, riommu_cause_name(r->cause));
}

/* Drain the fault queue (linux §1.5), printing decoded records. */
static unsigned drain_faults(demo *d, unsigned want_cause, uint64_t want_iova)
{
    unsigned n = 0, matched = 0;
    uint32_t t = r32(d, RIOMMU_REG_FQT);
    while (d->fq_head != t) {
        uint64_t a = d->fq_base + d->fq_head * 32ull;
        uint64_t hdr = memhost_r64(d->h, a), iotval = memhost_r64(d->h, a + 16);
        unsigned cause = (unsigned)RIOMMU_FIELD_GET(hdr, RIOMMU_FQ_HDR_CAUSE);
        unsigned ttyp = (unsigned)RIOMMU_FIELD_GET(hdr, RIOMMU_FQ_HDR_TTYP);
        unsigned did = (unsigned)RIOMMU_FIELD_GET(hdr, RIOMMU_FQ_HDR_DID);
        fprintf(d->out, "  fault record: cause %u (%s), %s, device 0x%06x, iotval 0x%" PRIx64
                        "\n",
                cause, riommu_cause_name(cause), riommu_ttyp_name(ttyp), did, iotval);
        if (cause == want_cause && iotval == want_iova)
            matched++;
        d->fq_head = (d->fq_head + 1) & d->fq_mask;
        n++;
    }
    w32(d, RIOMMU_REG_FQH, d->fq_head);
    w32(d, RIOMMU_REG_IPSR, RIOMMU_IPSR_FIP);
    check(d, n == 1 && matched == 1, "exactly the expected fault record");
    return n;
}

/* ---- summary ---------------------------------------------------------------------- */

static void pct(FILE *o, const char *name, const riommu_cache_stats *c)
{
    double rate = c->lookups ? 100.0 * (double)c->hits / (double)c->lookups : 0.0;
    fprintf(o, "  %-6s lookups %6" PRIu64 "  hits %6" PRIu64 "  hit rate %5.1f%%  fills %"
               PRIu64 "  invalidations %" PRIu64 "\n",
            name, c->lookups, c->hits, rate, c->fills, c->invalidations);
}

static void summary(demo *d)
{
    riommu_stats s;
    riommu_get_stats(d->m, &s);
    FILE *o = d->out;
    fprintf(o, "\nsummary\n");
    fprintf(o, "  translations %" PRIu64 " (%" PRIu64 " ok), mean latency %.1f cycles\n",
            s.translations, s.translations_ok,
            s.translations ? (double)s.translate_cycles / (double)s.translations : 0.0);
    for (unsigned c = 0; c < RIOMMU_STAT_CAUSES; c++)
        if (s.faults_by_cause[c])
            fprintf(o, "  faults: cause %u (%s): %" PRIu64 "\n", c, riommu_cause_name(c),
                    s.faults_by_cause[c]);
    pct(o, "DDTC", &s.ddtc);
    pct(o, "IOTLB", &s.iotlb);
    pct(o, "WALKC", &s.walkc);
    static const char *ops[] = {"", "IOTINVAL", "IOFENCE", "IODIR", "ATS"};
    static const char *fn[5][2] = {{"", ""}, {"VMA", "GVMA"}, {"C", ""},
                                   {"INVAL_DDT", "INVAL_PDT"}, {"INVAL", "PRGR"}};
    for (unsigned op = 1; op <= 4; op++)
        for (unsigned f = 0; f < 2; f++)
            if (s.commands[op][f])
                fprintf(o, "  commands: %s.%s %" PRIu64 "\n", ops[op], fn[op][f],
                        s.commands[op][f]);
    fprintf(o, "  A/D updates %" PRIu64 ", fault records %" PRIu64 ", model time %" PRIu64
               " cycles\n",
            s.ad_updates, s.fault_records_written, riommu_now(d->m));
    fprintf(o, "  checks %u, failed %u\n", d->checks, d->failed);
}

int demo_run(FILE *out)
{
    riommu_config cfg;
    riommu_config_default(&cfg);
    demo dd;
    memset(&dd, 0, sizeof dd);
    demo *d = &dd;
    d->out = out;
    d->next_pa = 0x80000000ull;
    d->h = memhost_create(0);
    char err[200];
    riommu_host_ops ops = memhost_ops(d->h);
    d->m = d->h ? riommu_create(&cfg, &ops, err, sizeof err) : NULL;
    if (!d->m) {
        fprintf(stderr, "riommu demo: cannot create the model: %s\n", d->h ? err : "out of memory");
        memhost_destroy(d->h);
        return 1;
    }

    fprintf(out, "riommu demo: Linux-style bring-up and device DMA on the C model\n");
    uint64_t caps = r64(d, RIOMMU_REG_CAPABILITIES);
    fprintf(out, "  capabilities 0x%016" PRIx64 " (version %u.%u, PAS %u)\n", caps,
            (unsigned)(caps >> 4) & 0xF, (unsigned)caps & 0xF,
            (unsigned)RIOMMU_FIELD_GET(caps, RIOMMU_CAP_PAS));
    /* MSI mode with one vector per cause (linux §1.1 PCI path). */
    w32(d, RIOMMU_REG_FCTL, r32(d, RIOMMU_REG_FCTL) & ~RIOMMU_FCTL_WSI);
    w64(d, RIOMMU_REG_ICVEC, 0x2310);
    check(d, r64(d, RIOMMU_REG_ICVEC) == 0x2310, "icvec reads back 0x2310");
    /* msi_cfg_tbl doubles as the MSI-X table: program and unmask 4 vectors
     * the way the PCI core does. */
    uint64_t msi_page = alloc(d, 4096, 4096);
    for (unsigned v = 0; v < 4; v++) {
        w64(d, RIOMMU_REG_MSI_ADDR(v), msi_page + 4 * v);
        w32(d, RIOMMU_REG_MSI_DATA(v), 0x100 + v);
        w32(d, RIOMMU_REG_MSI_VEC_CTL(v), 0);
    }
    d->ddt_root = alloc(d, 4096, 4096);
    queue_setup(d, RIOMMU_REG_CQB, RIOMMU_REG_CQCSR, 16, 12, &d->cq_base, &d->cq_mask);
    queue_setup(d, RIOMMU_REG_FQB, RIOMMU_REG_FQCSR, 32, 11, &d->fq_base, &d->fq_mask);
    check(d, set_ddt_mode(d), "device directory mode set");

    /* Device 0x000001: identity domain. */
    check(d, attach(d, 0x000001, 0, 0), "attach identity");
    uint8_t buf[8192];
    memset(buf, 0x5A, 64);
    riommu_response r = dma(d, 0x000001, RIOMMU_WRITE, 0x90000000, buf, 64);
    show(d, "identity write", 0x000001, 0x90000000, &r);
    check(d, r.status == RIOMMU_RSP_OK && r.pa == 0x90000000, "identity DMA passes through");

    /* Devices 0x000100 and 0x000101 in two paging domains. */
    domain a, b;
    domain_init(d, &a, 1);
    domain_init(d, &b, 2);
    fprintf(out, "  paging domains: Sv%u, PSCIDs 1 and 2\n", 39 + 9 * (a.mode - 8));
    uint64_t buf4k = alloc(d, 4096, 4096), buf2m = alloc(d, 2u << 20, 2u << 20);
    map(d, &a, 0x10000000, buf4k, 0, true);
    map(d, &a, 0x20000000, buf2m, 1, true);
    map(d, &b, 0x10000000, buf4k, 0, false);
    check(d, attach(d, 0x000100, dom_fsc(&a), a.pscid), "attach domain A");
    check(d, attach(d, 0x000101, dom_fsc(&b), b.pscid), "attach domain B");

    for (int i = 0; i < 64; i++)
        buf[i] = (uint8_t)i;
    r = dma(d, 0x000100, RIOMMU_WRITE, 0x10000040, buf, 64);
    show(d, "4 KiB write (domain A)", 0x000100, 0x10000040, &r);
    check(d, r.status == RIOMMU_RSP_OK && r.pa == buf4k + 0x40, "4 KiB write translated");
    uint8_t back[64];
    r = dma(d, 0x000101, RIOMMU_READ, 0x10000040, back, 64);
    show(d, "4 KiB read (domain B, read-only)", 0x000101, 0x10000040, &r);
    check(d, r.status == RIOMMU_RSP_OK && memcmp(back, buf, 64) == 0,
          "domain B reads what domain A wrote");
    memset(buf, 0xC3, sizeof buf);
    r = dma(d, 0x000100, RIOMMU_WRITE, 0x20001000 - 4096, buf, 8192);
    show(d, "8 KiB write into 2 MiB page", 0x000100, 0x20000000, &r);
    check(d, r.status == RIOMMU_RSP_OK && r.range_size == (2u << 20),
          "2 MiB superpage translation");
    r = dma(d, 0x000100, RIOMMU_READ, 0x20000800, back, 64);
    show(d, "read again (same 2 MiB page)", 0x000100, 0x20000800, &r);
    check(d, r.status == RIOMMU_RSP_OK && r.iotlb_hit && back[0] == 0xC3,
          "IOTLB hit on the superpage");
    check(d, (memhost_r64(d->h, a.root) != 0), "page table in memory");

    /* A write to the read-only mapping of domain B faults and is recorded. */
    r = dma(d, 0x000101, RIOMMU_WRITE, 0x10000000, buf, 8);
    show(d, "write to read-only page", 0x000101, 0x10000000, &r);
    check(d, r.status == RIOMMU_RSP_FAULT && r.cause == RIOMMU_CAUSE_WRITE_PAGE_FAULT &&
                 r.recorded,
          "write page fault recorded");
    check(d, (r32(d, RIOMMU_REG_IPSR) & RIOMMU_IPSR_FIP) != 0, "fault interrupt pending");
    check(d, memhost_r64(d->h, msi_page + 4) == 0x101, "fault-queue MSI (vector 1) delivered");
    drain_faults(d, RIOMMU_CAUSE_WRITE_PAGE_FAULT, 0x10000000);

    /* Unmap the 4 KiB page of domain A with a page invalidation; the stale
     * IOVA faults afterwards. */
    unmap(d, &a, 0x10000000);
    inval_page(d, a.pscid, 0x10000000);
    check(d, sync_cq(d), "invalidation fence completes");
    r = dma(d, 0x000100, RIOMMU_READ, 0x10000040, back, 8);
    show(d, "read of the unmapped IOVA", 0x000100, 0x10000040, &r);
    check(d, r.status == RIOMMU_RSP_FAULT && r.cause == RIOMMU_CAUSE_READ_PAGE_FAULT,
          "stale IOVA faults after unmap + IOTINVAL");
    drain_faults(d, RIOMMU_CAUSE_READ_PAGE_FAULT, 0x10000040);
    r = dma(d, 0x000101, RIOMMU_READ, 0x10000040, back, 8);
    check(d, r.status == RIOMMU_RSP_OK, "domain B keeps its mapping");

    /* Shutdown (linux §1.11, 6.14+): ddtp Bare, queues off. */
    w64(d, RIOMMU_REG_DDTP, RIOMMU_DDTP_MODE_BARE);
    check(d, poll(d, RIOMMU_REG_DDTP, 8, RIOMMU_DDTP_BUSY, 0, 1000), "ddtp Bare");
    w32(d, RIOMMU_REG_CQCSR, 0);
    w32(d, RIOMMU_REG_FQCSR, 0);
    riommu_settle(d->m);
    check(d, (r32(d, RIOMMU_REG_CQCSR) & RIOMMU_CQCSR_CQON) == 0, "command queue off");
    fprintf(out, "  shutdown: ddtp Bare, queues off; %" PRIu64 " MSIs delivered\n",
            memhost_msi_count(d->h));

    summary(d);
    unsigned failed = d->failed;
    riommu_destroy(d->m);
    memhost_destroy(d->h);
    fprintf(out, "mismatches: %u, waived: 0, skipped: 0\n", failed);
    return failed ? 1 : 0;
}
