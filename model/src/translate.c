/*
 * translate.c - the translation process (ds "Process to translate an IOVA")
 * and fault reporting (q "Fault/Event-Queue": record fields, TTYP, DTF).
 *
 * Hot path: an IOTLB hit on an untranslated request costs one DDTC lookup,
 * one IOTLB lookup and the permission check, allocates nothing and takes no
 * lock.
 *
 * Timing (docs/timing.md): the translation takes a translation slot on
 * arrival (tm_xlate_begin) and frees it at completion (tm_xlate_end); the
 * DDTC, IOTLB and walk-cache lookups, walks and memory accesses in between
 * are charged where they happen (here, ddt.c, walk.c).
 */
#include "internal.h"

/* Causes reported even when DC.tc.DTF is 1 (q "Fault record CAUSE field
 * encodings", last column). */
static bool cause_ignores_dtf(unsigned cause)
{
    switch (cause) {
    case RIOMMU_CAUSE_ALL_INBOUND_DISALLOWED:
    case RIOMMU_CAUSE_DDT_LOAD_FAULT:
    case RIOMMU_CAUSE_DDT_INVALID:
    case RIOMMU_CAUSE_DDT_MISCONFIGURED:
    case RIOMMU_CAUSE_DDT_CORRUPTION:
    case RIOMMU_CAUSE_INTERNAL_DATAPATH:
    case RIOMMU_CAUSE_MSI_WRITE_FAULT:
        return true;
    default:
        return false;
    }
}

bool fault_report(riommu *m, const riommu_fault_record *rec, bool dtf)
{
    if (rec->cause < RIOMMU_STAT_CAUSES)
        m->st.faults_by_cause[rec->cause]++;
    bool recorded = false;
    if (dtf && !cause_ignores_dtf(rec->cause)) {
        m->st.fault_records_suppressed++;
    } else {
        recorded = faultq_write(m, rec);
        if (recorded)
            m->st.fault_records_written++;
        else
            m->st.fault_records_dropped++;
    }
    if (m->has_obs)
        OBS(m, fault, rec, recorded);
    return recorded;
}

static uint8_t ttyp_of(const riommu_request *req)
{
    switch (req->kind) {
    case RIOMMU_REQ_TRANSLATED:
        return req->access == RIOMMU_WRITE  ? RIOMMU_TTYP_TRANSLATED_WRITE
               : req->access == RIOMMU_EXEC ? RIOMMU_TTYP_TRANSLATED_EXEC
                                            : RIOMMU_TTYP_TRANSLATED_READ;
    case RIOMMU_REQ_ATS:
        return RIOMMU_TTYP_ATS_TRANSLATION;
    case RIOMMU_REQ_UNTRANSLATED:
    default:
        return req->access == RIOMMU_WRITE  ? RIOMMU_TTYP_UNTRANSLATED_WRITE
               : req->access == RIOMMU_EXEC ? RIOMMU_TTYP_UNTRANSLATED_EXEC
                                            : RIOMMU_TTYP_UNTRANSLATED_READ;
    }
}

static void fail(riommu *m, const riommu_request *req, riommu_response *rsp,
                 uint16_t cause, bool dtf, uint64_t iotval2)
{
    riommu_fault_record rec;
    memset(&rec, 0, sizeof rec);
    if (defect(m, RIOMMU_DEFECT_WRONG_CAUSE))
        cause = cause == RIOMMU_CAUSE_READ_PAGE_FAULT    ? RIOMMU_CAUSE_WRITE_PAGE_FAULT
                : cause == RIOMMU_CAUSE_WRITE_PAGE_FAULT ? RIOMMU_CAUSE_READ_PAGE_FAULT
                                                         : cause;
    rec.cause = cause;
    rec.ttyp = ttyp_of(req);
    if (defect(m, RIOMMU_DEFECT_WRONG_TTYP) && rec.ttyp == RIOMMU_TTYP_UNTRANSLATED_WRITE)
        rec.ttyp = RIOMMU_TTYP_UNTRANSLATED_READ;
    rec.did = req->device_id ^ (defect(m, RIOMMU_DEFECT_WRONG_DID) ? 1u : 0u);
    rec.pv = req->pv;
    rec.pid = req->pv ? req->process_id : 0;
    rec.priv = req->pv && req->priv;
    rec.iotval = m->cfg.iotval_page_offset ? req->iova : req->iova & ~0xFFFull;
    if (defect(m, RIOMMU_DEFECT_WRONG_IOTVAL))
        rec.iotval += 0x1000;
    rec.iotval2 = iotval2;
    rsp->status = RIOMMU_RSP_FAULT;
    rsp->cause = cause;
    rsp->recorded = fault_report(m, &rec, dtf);
    if (m->tm.on)
        tm_fault(m, rsp->recorded);
}

static void qos_from(const riommu *m, const riommu_dc *dc, riommu_response *rsp)
{
    if (!cap_has(m, RIOMMU_CAP_QOSID))
        return;
    if (dc) {
        rsp->rcid = (uint16_t)RIOMMU_FIELD_GET(dc->ta, RIOMMU_DC_TA_RCID);
        rsp->mcid = (uint16_t)RIOMMU_FIELD_GET(dc->ta, RIOMMU_DC_TA_MCID);
    } else {
        uint64_t q = reg_get(m, RIOMMU_REG_IOMMU_QOSID);
        rsp->rcid = (uint16_t)RIOMMU_FIELD_GET(q, RIOMMU_QOSID_RCID);
        rsp->mcid = (uint16_t)RIOMMU_FIELD_GET(q, RIOMMU_QOSID_MCID);
    }
}

static void identity(riommu_response *rsp, uint64_t iova)
{
    rsp->status = RIOMMU_RSP_OK;
    rsp->pa = iova;
    rsp->range_size = 1ull << 12;
    rsp->r = rsp->w = rsp->x = true;
}

static inline bool perm_ok_cached(const iotlb_entry *e, const riommu_request *req, bool sum)
{
    uint64_t pte = e->pte;
    bool u = pte & RIOMMU_PTE_U;
    bool priv = req->pv && req->priv;
    if (!priv && !u)
        return false;
    if (priv && u && (req->access == RIOMMU_EXEC || !sum))
        return false;
    switch (req->access) {
    case RIOMMU_WRITE:
        return (pte & RIOMMU_PTE_W) && (pte & RIOMMU_PTE_D);
    case RIOMMU_EXEC:
        return (pte & RIOMMU_PTE_X) != 0;
    case RIOMMU_READ:
    default:
        return (pte & RIOMMU_PTE_R) != 0;
    }
}

static void fill_from_pte(riommu_response *rsp, uint64_t pte, uint64_t pa, uint64_t size,
                          bool global)
{
    rsp->status = RIOMMU_RSP_OK;
    rsp->pa = pa;
    rsp->range_size = size;
    rsp->r = pte & RIOMMU_PTE_R;
    rsp->w = pte & RIOMMU_PTE_W;
    rsp->x = pte & RIOMMU_PTE_X;
    rsp->global = global;
    rsp->pbmt = (uint8_t)RIOMMU_FIELD_GET(pte, RIOMMU_PTE_PBMT);
}

/* Count an HPM event of the request. The IDs are gathered only when a
 * counter selects the event (hot path: usually none does). */
static void count_event(riommu *m, const riommu_request *req, unsigned ev, bool pscv,
                        uint32_t pscid)
{
    if (!cap_has(m, RIOMMU_CAP_HPM) || !(m->hpm_events & (1u << ev)))
        return;
    hpm_ids ids = {req->device_id, req->process_id, req->pv, pscv, false, pscid, 0};
    hpm_count(m, ev, &ids);
}

/* The bucket of a latency histogram (riommu_stats.latency_hist): the
 * smallest b with 2^b >= cycles, at most 15 (a count of leading zeros,
 * not a loop: the timed hit path takes it on every translation). */
static inline unsigned latency_bucket(uint64_t cycles)
{
    if (cycles <= 1)
        return 0;
    unsigned b = 64u - (unsigned)__builtin_clzll(cycles - 1);
    return b < 15 ? b : 15;
}

/* The end of every translation, completed `cycles` after its arrival (0 in
 * functional mode): latency and statistics. */
static inline void account(riommu *m, riommu_response *rsp, uint32_t cycles)
{
    rsp->cycles = cycles;
    if (rsp->status == RIOMMU_RSP_OK)
        m->st.translations_ok++;
    m->st.translate_cycles += cycles;
    m->st.latency_hist[latency_bucket(cycles)]++;
}

/*
 * Step 17 after an IOTLB miss: the first-stage walk, then the IOTLB fill and
 * the response, or the fault. `tc` and `iosatp` are the device context's
 * (scalars: the caller may hold them in a DDTC entry, which a fault
 * record's side effects must not be able to pull from under the walk).
 * translate_process and translate_miss share it, so both do the same.
 * `absent`: the IOTLB lookup before it found nothing for the IOVA under
 * this PSCID (iotlb_fill; a walk never fills the IOTLB).
 */
static inline __attribute__((always_inline)) void
s1_walk_fill(riommu *m, const riommu_request *req, riommu_response *rsp, uint64_t tc,
             uint64_t iosatp, uint32_t pscid, bool sum, bool absent)
{
    count_event(m, req, HPM_EV_TLB_MISS, true, pscid);
    count_event(m, req, HPM_EV_S1_WALK, true, pscid);
    walk_params wp;
    memset(&wp, 0, sizeof wp);
    wp.stage = 1;
    wp.mode = (unsigned)RIOMMU_FIELD_GET(iosatp, RIOMMU_FSC_MODE);
    wp.sxl = tc & RIOMMU_DC_TC_SXL;
    wp.root_ppn = RIOMMU_FIELD_GET(iosatp, RIOMMU_FSC_PPN);
    wp.be = tc & RIOMMU_DC_TC_SBE;
    wp.ade = tc & RIOMMU_DC_TC_SADE;
    wp.pscv = true;
    wp.pscid = pscid;
    wp.access = req->access;
    wp.priv = req->pv && req->priv;
    wp.sum = sum;
    wp.use_walkc = true;
    walk_result wr;
    walk_translate(m, &wp, req->iova, &wr);
    if (wr.mem_reads) { /* a walk that started (counted in s1_walks) */
        m->st.walk_cycles += wr.cycles;
        m->st.walk_latency_hist[latency_bucket(wr.cycles)]++;
    }
    if (wr.cause) {
        fail(m, req, rsp, wr.cause, tc & RIOMMU_DC_TC_DTF, 0);
        return;
    }
    iotlb_fill(m, ioatc_tag_pack(false, 0, true, pscid, wr.global), wr.vbase, wr.pbase,
               wr.size, wr.pte, absent);
    fill_from_pte(rsp, wr.pte, wr.pa, wr.size, wr.global);
}

/*
 * The IOTLB-miss path: what translate_process does for a request that
 * translate_hit would serve but for the IOTLB entry, which is missing --
 * the DDTC entry `d` (found by translate_hit, the same one ddtc_lookup
 * finds) holds the device context and pscid is its PSCID. Same response,
 * statistics, replacement state, timing charges (tm_xlate_begin, the DDTC
 * and IOTLB lookup slots, the walk, tm_xlate_end, in that order), memory
 * accesses and fault records, without the context copy, the DDTC set scan
 * and the second IOTLB search. Out of line: translate_hit, inlined into
 * riommu_translate, stays small. tests/model/test_hotpath.cpp
 * (HotPath_MissPathMatchesGeneralPath) runs the same requests both ways.
 */
static __attribute__((noinline)) void translate_miss(riommu *m, const riommu_request *req,
                                                     riommu_response *rsp, ddtc_entry *d,
                                                     uint32_t pscid)
{
    riommu_ioatc *c = &m->c;
    const uint64_t tc = d->dc.tc, fsc = d->dc.fsc;
    memset(rsp, 0, sizeof *rsp);
    if (m->tm.on) {
        tm_xlate_begin(m);
        tm_cache(m, RIOMMU_CACHE_DDTC); /* ddt_locate */
    }
    m->st.translations++;
    /* ddtc_lookup's hit */
    m->st.ddtc.lookups++;
    if (c->ddtc_g.policy == RIOMMU_REPL_LRU)
        d->stamp = ++c->tick;
    c->ddtc_last = d;
    m->st.ddtc.hits++;
    qos_from(m, &d->dc, rsp);
    /* iotlb_lookup's miss */
    tm_cache(m, RIOMMU_CACHE_IOTLB);
    m->st.iotlb.lookups++;
    m->st.iotlb.misses++;
    s1_walk_fill(m, req, rsp, tc, fsc, pscid, false, true);
    account(m, rsp, m->tm.on ? tm_xlate_end(m) : 0);
}

/* translate_hit: the timed hits of fast_lat_n took fast_lat cycles each;
 * move them into st and fast_hits_timed and start counting hits of
 * `cycles` (struct riommu). Out of line: it runs when the latency
 * changes, which a device that waits for each answer never sees. */
static __attribute__((noinline)) void fast_lat_flush(riommu *m, uint32_t cycles)
{
    m->st.translate_cycles += (uint64_t)m->fast_lat * m->fast_lat_n;
    m->st.latency_hist[latency_bucket(m->fast_lat)] += m->fast_lat_n;
    m->fast_hits_timed += m->fast_lat_n;
    m->fast_lat_n = 0;
    m->fast_lat = cycles;
}

/*
 * The IOTLB-hit path: an untranslated request without a process_id, from
 * a device whose context the DDTC holds, with a first stage
 * Sv39/48/57 and an IOTLB entry that grants the access. For that case it
 * does exactly what translate_process does -- the same response, statistics,
 * replacement state and latency -- in fewer steps (no context copy, no
 * DDTC set scan). When the IOTLB holds no entry for the IOVA it hands the
 * request to translate_miss with the DDTC entry it found. Otherwise it looks
 * first and changes nothing unless it completes the translation; every
 * other case (an entry that denies the access included), and every request
 * while observers are installed or an HPM counter counts untranslated
 * requests, is left to translate_process. Under the timing layer it charges what
 * translate_process's calls into timing.c charge on a hit (tm_xlate_hit:
 * inline when nothing is in flight, those calls otherwise), so it takes
 * the same slots, ports and latency whether or not other work is in flight.
 * riommu_translate alone calls it: with one call site it is inlined there
 * (a second one, in riommu_issue_translate, cost functional hits about
 * 1.5 ns out of 11). tests/model/test_hotpath.cpp
 * (HotPath_HitPathMatchesGeneralPath) runs the same requests both ways:
 * a change to what translate_process does on a hit belongs here too.
 */
static inline bool translate_hit(riommu *m, const riommu_request *req, riommu_response *rsp)
{
    if (req->kind != RIOMMU_REQ_UNTRANSLATED || req->pv || m->has_obs ||
        (cap_has(m, RIOMMU_CAP_HPM) && (m->hpm_events & (1u << HPM_EV_UNTRANSLATED))))
        return false;
    unsigned mode = (unsigned)(reg_get(m, RIOMMU_REG_DDTP) & RIOMMU_DDTP_MODE);
    if (mode < RIOMMU_DDTP_MODE_1LVL ||
        (mode != RIOMMU_DDTP_MODE_3LVL && !ddt_device_id_fits(m, req->device_id)))
        return false;
    riommu_ioatc *c = &m->c;
    ddtc_entry *d = ddtc_find(c, req->device_id);
    if (!d || !c->iotlb)
        return false;
    const riommu_dc *dc = &d->dc;
    if ((dc->tc & RIOMMU_DC_TC_PDTV) ||
        RIOMMU_FIELD_GET(dc->fsc, RIOMMU_FSC_MODE) == RIOMMU_IOSATP_MODE_BARE)
        return false;
    uint32_t pscid = (uint32_t)RIOMMU_FIELD_GET(dc->ta, RIOMMU_DC_TA_PSCID);
    uint64_t vpn = req->iova >> 12;
    tlb_memo *me = &c->memo[vpn & (TLB_MEMO - 1)];
    iotlb_entry *e;
    if (me->gen == c->iotlb_gen && me->vpn == vpn && me->pscid == pscid) {
        e = me->e; /* what iotlb_find returned, the IOTLB unchanged since */
    } else {
        e = iotlb_find(c, false, 0, true, pscid, req->iova);
        if (!e) {
            translate_miss(m, req, rsp, d, pscid);
            return true;
        }
        me->gen = c->iotlb_gen;
        me->vpn = vpn;
        me->pscid = pscid;
        me->index = (uint32_t)(e - c->iotlb);
        me->e = e;
    }
    if (!perm_ok_cached(e, req, false))
        return false;
    /* Complete it as translate_process would: ddtc_lookup, iotlb_lookup,
     * and the charges of a translation slot, a DDTC lookup slot
     * (ddt_locate), an IOTLB lookup slot, in that order, and the
     * completion (tm_xlate_hit, at the end: the timing layer's charges
     * depend only on its own state and the clock, not on what the lookups
     * find or on the statistics). */
    c->ddtc_last = d;
    if (c->ddtc_g.policy == RIOMMU_REPL_LRU)
        d->stamp = ++c->tick;
    if (c->iotlb_g.policy == RIOMMU_REPL_LRU)
        c->iotlb_stamp[me->index] = ++c->tick; /* me holds e by now */
    memset(rsp, 0, sizeof *rsp);
    qos_from(m, dc, rsp);
    fill_from_pte(rsp, e->pte, e->pbase | (req->iova & (e->size - 1)), e->size, e->global);
    rsp->iotlb_hit = true;
    /* The statistics of a hit (translations, translations_ok, DDTC and
     * IOTLB lookups and hits; functional: latency_hist[0] too; timed:
     * translate_cycles and latency_hist too) are one counter, added in
     * riommu_get_stats (fast_hits_fold; struct riommu, fast_hits). */
    if (!m->tm.on) {
        m->fast_hits_untimed++;
        return true; /* rsp->cycles 0, translate_cycles + 0 */
    }
    uint32_t cycles = tm_xlate_hit(m);
    rsp->cycles = cycles;
    if (cycles != m->fast_lat)
        fast_lat_flush(m, cycles);
    m->fast_lat_n++;
    return true;
}

void fast_hits_fold(const riommu *m, riommu_stats *out)
{
    uint64_t n = m->fast_hits_untimed + m->fast_hits_timed + m->fast_lat_n;
    out->translations += n;
    out->translations_ok += n;
    out->ddtc.lookups += n;
    out->ddtc.hits += n;
    out->iotlb.lookups += n;
    out->iotlb.hits += n;
    out->latency_hist[0] += m->fast_hits_untimed;
    out->translate_cycles += (uint64_t)m->fast_lat * m->fast_lat_n;
    out->latency_hist[latency_bucket(m->fast_lat)] += m->fast_lat_n;
}

void translate_process(riommu *m, const riommu_request *req, riommu_response *rsp)
{
    memset(rsp, 0, sizeof *rsp);
    if (m->tm.on)
        tm_xlate_begin(m);
    unsigned mode = (unsigned)(reg_get(m, RIOMMU_REG_DDTP) & RIOMMU_DDTP_MODE);
    bool untranslated = req->kind == RIOMMU_REQ_UNTRANSLATED;

    m->st.translations++;
    count_event(m, req,
                untranslated                         ? HPM_EV_UNTRANSLATED
                : req->kind == RIOMMU_REQ_TRANSLATED ? HPM_EV_TRANSLATED
                                                     : HPM_EV_ATS,
                false, 0);

    /* 1. Off: everything is disallowed. */
    if (mode == RIOMMU_DDTP_MODE_OFF) {
        fail(m, req, rsp, RIOMMU_CAUSE_ALL_INBOUND_DISALLOWED, false, 0);
        goto out;
    }
    /* 2. Bare: only untranslated requests, passed through. */
    if (mode == RIOMMU_DDTP_MODE_BARE) {
        if (!untranslated) {
            fail(m, req, rsp, RIOMMU_CAUSE_TTYPE_DISALLOWED, false, 0);
            goto out;
        }
        identity(rsp, req->iova);
        qos_from(m, NULL, rsp);
        goto out;
    }
    /* 3.-5. device_id width for the DDT depth. */
    if (!ddt_device_id_fits(m, req->device_id)) {
        fail(m, req, rsp, RIOMMU_CAUSE_TTYPE_DISALLOWED, false, 0);
        goto out;
    }
    /* 6. Locate the device context. */
    riommu_dc dc;
    dc_lookup dl;
    ddt_locate(m, req->device_id, &dc, &dl);
    if (!dl.from_cache)
        count_event(m, req, HPM_EV_DDT_WALK, false, 0);
    if (dl.cause) {
        fail(m, req, rsp, dl.cause, false, 0);
        goto out;
    }
    bool dtf = dc.tc & RIOMMU_DC_TC_DTF;
    qos_from(m, &dc, rsp);
    /* 7. Transaction-type checks. */
    bool pdtv = dc.tc & RIOMMU_DC_TC_PDTV;
    if ((!untranslated && !(dc.tc & RIOMMU_DC_TC_EN_ATS)) || (req->pv && !pdtv)) {
        fail(m, req, rsp, RIOMMU_CAUSE_TTYPE_DISALLOWED, dtf, 0);
        goto out;
    }
    unsigned fmode = (unsigned)RIOMMU_FIELD_GET(dc.fsc, RIOMMU_FSC_MODE);
    if (req->pv && pdtv) {
        unsigned maxbits = fmode == RIOMMU_PDTP_MODE_PD8    ? 8
                           : fmode == RIOMMU_PDTP_MODE_PD17 ? 17
                                                            : 20;
        if (req->process_id >> maxbits) {
            fail(m, req, rsp, RIOMMU_CAUSE_TTYPE_DISALLOWED, dtf, 0);
            goto out;
        }
    }
    /* 8. Translated requests without T2GPA are complete. (T2GPA needs
     * capabilities.T2GPA, which this release does not configure.) */
    if (req->kind == RIOMMU_REQ_TRANSLATED) {
        identity(rsp, req->iova);
        goto out;
    }
    /* 10.-16. Select the first-stage context. */
    uint64_t iosatp;
    uint32_t pscid = 0;
    bool sum = false;
    if (!pdtv) {
        iosatp = dc.fsc;
        pscid = (uint32_t)RIOMMU_FIELD_GET(dc.ta, RIOMMU_DC_TA_PSCID);
    } else {
        /* Without a process_id (and DPE clear) or with pdtp.MODE Bare the
         * first stage is Bare. A PDT walk needs PD8/PD17/PD20, which
         * riommu_config_check does not accept yet, so a DC that selects one
         * has already failed the configuration checks (cause 259). */
        iosatp = 0;
    }
    unsigned smode = (unsigned)RIOMMU_FIELD_GET(iosatp, RIOMMU_FSC_MODE);
    if (smode == RIOMMU_IOSATP_MODE_BARE) {
        /* Second stage is Bare too (no Sv*x4 configured): pass through.
         * Like ddtp Bare, a pass-through address is not checked against
         * PAS: that is the IO bridge's PMA check (impl-defined choice). */
        identity(rsp, req->iova);
        goto out;
    }
    /* 17. First-stage translation, through the IOTLB. */
    {
        tm_cache(m, RIOMMU_CACHE_IOTLB);
        iotlb_entry *e = iotlb_lookup(m, false, 0, true, pscid, req->iova);
        if (e && perm_ok_cached(e, req, sum)) {
            fill_from_pte(rsp, e->pte, e->pbase | (req->iova & (e->size - 1)), e->size,
                          e->global);
            rsp->iotlb_hit = true;
            goto out;
        }
        s1_walk_fill(m, req, rsp, dc.tc, iosatp, pscid, sum, e == NULL);
    }
out:
    /* it completes at the cursor: tm_xlate_end frees its slot then */
    account(m, rsp, m->tm.on ? tm_xlate_end(m) : 0);
}

static bool request_ok(const riommu_request *req)
{
    return req->device_id <= 0xFFFFFFu && (!req->pv || req->process_id <= 0xFFFFFu) &&
           req->len != 0 && (unsigned)req->kind <= RIOMMU_REQ_ATS &&
           (unsigned)req->access <= RIOMMU_EXEC;
}

/* A request the IOMMU cannot take (request_ok false): an empty response
 * with status BAD_REQUEST. */
static riommu_rsp_status bad_request(riommu_response *rsp)
{
    memset(rsp, 0, sizeof *rsp);
    rsp->status = RIOMMU_RSP_BAD_REQUEST;
    return rsp->status;
}

riommu_rsp_status riommu_translate(riommu *m, const riommu_request *req,
                                   riommu_response *rsp)
{
    if (!request_ok(req))
        return bad_request(rsp);
    if (!translate_hit(m, req, rsp))
        translate_process(m, req, rsp);
    if (rsp->cycles) {
        if (!model_any_pending(m))
            clock_advance_idle(m, rsp->cycles); /* what riommu_step would do */
        else
            riommu_step(m, rsp->cycles);
    } else if (model_due_now(m)) {
        riommu_step(m, 0);
    }
    return rsp->status;
}

/*
 * A DMA as a device issues it (docs/timing.md "DMA transactions"): split
 * into naturally aligned transactions of timing.dma_txn_bytes (never more
 * than a page, so never across one), each translated by translate_process
 * and its data moved through the host once the translation completes, at
 * dma_rd_lat / dma_wr_lat cycles. `issue` false: a device that waits for
 * each transaction before the next, so the clock moves through them and
 * rsp->cycles is their sum; true: every transaction arrives now (a burst),
 * the clock stays, rsp->cycles is the latest data completion and settle
 * waits for it. Stops at the first transaction that faults (no data moved
 * for it or later ones); rsp is that one's, else the first's.
 */
static riommu_rsp_status dma_run(riommu *m, const riommu_request *req, void *buf,
                                 riommu_response *rsp, bool issue)
{
    if (!request_ok(req) || !buf || req->kind == RIOMMU_REQ_ATS)
        return bad_request(rsp);
    const riommu_timing_config *tc = &m->cfg.timing;
    const uint64_t txn = tc->dma_txn_bytes;
    const uint32_t data = !m->tm.on ? 0 : req->access == RIOMMU_WRITE ? tc->dma_wr_lat
                                                                       : tc->dma_rd_lat;
    uint8_t *p = buf;
    uint64_t iova = req->iova;
    uint64_t left = req->len;
    uint64_t elapsed = 0; /* blocking: cycles so far; issued: latest completion */
    bool have_first = false;
    riommu_response first;
    memset(&first, 0, sizeof first);
    while (left) {
        uint64_t chunk = txn - (iova & (txn - 1));
        if (chunk > left)
            chunk = left;
        riommu_request pr = *req;
        pr.iova = iova;
        pr.len = (uint32_t)chunk;
        riommu_response r;
        translate_process(m, &pr, &r);
        uint64_t done = r.cycles;
        riommu_mem_status s = RIOMMU_MEM_OK;
        if (r.status == RIOMMU_RSP_OK) {
            s = req->access == RIOMMU_WRITE
                    ? mem_write_raw(m, r.pa, p, (size_t)chunk, RIOMMU_ACC_DMA_DATA)
                    : mem_read_raw(m, r.pa, p, (size_t)chunk, RIOMMU_ACC_DMA_DATA);
            done += data;
        }
        if (issue) {
            if (done > elapsed)
                elapsed = done;
        } else {
            elapsed += done;
            riommu_step(m, done);
        }
        if (r.status != RIOMMU_RSP_OK || s != RIOMMU_MEM_OK) {
            *rsp = r;
            if (r.status == RIOMMU_RSP_OK) { /* the IO bridge's access fault */
                rsp->status = RIOMMU_RSP_FAULT;
                rsp->cause = walk_access_fault_cause(req->access);
                rsp->recorded = false;
            }
            break;
        }
        if (!have_first) {
            first = r;
            have_first = true;
        }
        p += chunk;
        iova += chunk;
        left -= chunk;
    }
    if (!left)
        *rsp = first;
    rsp->cycles = elapsed > UINT32_MAX ? UINT32_MAX : (uint32_t)elapsed;
    if (issue && m->tm.on && m->now + elapsed > m->tm.horizon)
        m->tm.horizon = m->now + elapsed; /* settle waits for the data */
    return rsp->status;
}

riommu_rsp_status riommu_dma(riommu *m, const riommu_request *req, void *buf,
                             riommu_response *rsp)
{
    return dma_run(m, req, buf, rsp, false);
}

riommu_rsp_status riommu_issue_translate(riommu *m, const riommu_request *req,
                                         riommu_response *rsp)
{
    if (!request_ok(req))
        return bad_request(rsp);
    translate_process(m, req, rsp);
    return rsp->status;
}

riommu_rsp_status riommu_issue_dma(riommu *m, const riommu_request *req, void *buf,
                                   riommu_response *rsp)
{
    return dma_run(m, req, buf, rsp, true);
}
