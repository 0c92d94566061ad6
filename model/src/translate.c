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

static bool perm_ok_cached(const iotlb_entry *e, const riommu_request *req, bool sum)
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

/* The bucket of a latency histogram (riommu_stats.latency_hist): the
 * smallest b with 2^b >= cycles, at most 15. */
static unsigned latency_bucket(uint64_t cycles)
{
    unsigned b = 0;
    while (b < 15 && (1ull << b) < cycles)
        b++;
    return b;
}

void translate_process(riommu *m, const riommu_request *req, riommu_response *rsp)
{
    memset(rsp, 0, sizeof *rsp);
    if (m->tm.on)
        tm_xlate_begin(m);
    unsigned mode = (unsigned)(reg_get(m, RIOMMU_REG_DDTP) & RIOMMU_DDTP_MODE);
    bool untranslated = req->kind == RIOMMU_REQ_UNTRANSLATED;
    hpm_ids ids = {req->device_id, req->process_id, req->pv, false, false, 0, 0};

    m->st.translations++;
    if (cap_has(m, RIOMMU_CAP_HPM))
        hpm_count(m,
                  untranslated                         ? HPM_EV_UNTRANSLATED
                  : req->kind == RIOMMU_REQ_TRANSLATED ? HPM_EV_TRANSLATED
                                                       : HPM_EV_ATS,
                  &ids);

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
    dc_lookup dl = ddt_locate(m, req->device_id, &dc);
    if (!dl.from_cache && cap_has(m, RIOMMU_CAP_HPM))
        hpm_count(m, HPM_EV_DDT_WALK, &ids);
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
        bool sxl = dc.tc & RIOMMU_DC_TC_SXL;
        tm_cache(m, RIOMMU_CACHE_IOTLB);
        iotlb_entry *e = iotlb_lookup(m, false, 0, true, pscid, req->iova);
        if (e && perm_ok_cached(e, req, sum)) {
            fill_from_pte(rsp, e->pte, e->pbase | (req->iova & (e->size - 1)), e->size,
                          e->global);
            rsp->iotlb_hit = true;
            goto out;
        }
        ids.pscv = true;
        ids.pscid = pscid;
        if (cap_has(m, RIOMMU_CAP_HPM)) {
            hpm_count(m, HPM_EV_TLB_MISS, &ids);
            hpm_count(m, HPM_EV_S1_WALK, &ids);
        }
        walk_params wp;
        memset(&wp, 0, sizeof wp);
        wp.stage = 1;
        wp.mode = smode;
        wp.sxl = sxl;
        wp.root_ppn = RIOMMU_FIELD_GET(iosatp, RIOMMU_FSC_PPN);
        wp.be = dc.tc & RIOMMU_DC_TC_SBE;
        wp.ade = dc.tc & RIOMMU_DC_TC_SADE;
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
            fail(m, req, rsp, wr.cause, dtf, 0);
            goto out;
        }
        iotlb_entry ne;
        memset(&ne, 0, sizeof ne);
        ne.pscv = true;
        ne.pscid = pscid;
        ne.global = wr.global;
        ne.vbase = wr.vbase;
        ne.pbase = wr.pbase;
        ne.size = wr.size;
        ne.pte = wr.pte;
        iotlb_fill(m, &ne);
        fill_from_pte(rsp, wr.pte, wr.pa, wr.size, wr.global);
    }
out:;
    uint32_t cycles = m->tm.on ? tm_xlate_end(m) : 0;
    rsp->cycles = cycles;
    if (rsp->status == RIOMMU_RSP_OK)
        m->st.translations_ok++;
    m->st.translate_cycles += cycles;
    m->st.latency_hist[latency_bucket(cycles)]++;
}

static bool request_ok(const riommu_request *req)
{
    return req->device_id <= 0xFFFFFFu && (!req->pv || req->process_id <= 0xFFFFFu) &&
           req->len != 0 && (unsigned)req->kind <= RIOMMU_REQ_ATS &&
           (unsigned)req->access <= RIOMMU_EXEC;
}

riommu_rsp_status riommu_translate(riommu *m, const riommu_request *req,
                                   riommu_response *rsp)
{
    if (!request_ok(req)) {
        memset(rsp, 0, sizeof *rsp);
        rsp->status = RIOMMU_RSP_BAD_REQUEST;
        return rsp->status;
    }
    translate_process(m, req, rsp);
    riommu_step(m, rsp->cycles);
    return rsp->status;
}

riommu_rsp_status riommu_dma(riommu *m, const riommu_request *req, void *buf,
                             riommu_response *rsp)
{
    if (!request_ok(req) || !buf || req->kind == RIOMMU_REQ_ATS) {
        memset(rsp, 0, sizeof *rsp);
        rsp->status = RIOMMU_RSP_BAD_REQUEST;
        return rsp->status;
    }
    uint8_t *p = buf;
    uint64_t iova = req->iova;
    uint64_t left = req->len;
    riommu_response first;
    bool have_first = false;
    uint32_t total = 0;
    while (left) {
        uint64_t chunk = 4096 - (iova & 4095);
        if (chunk > left)
            chunk = left;
        riommu_request pr = *req;
        pr.iova = iova;
        pr.len = (uint32_t)chunk;
        riommu_response r;
        translate_process(m, &pr, &r);
        total += r.cycles;
        if (r.status != RIOMMU_RSP_OK) {
            *rsp = r;
            rsp->cycles = total;
            riommu_step(m, r.cycles);
            return rsp->status;
        }
        riommu_mem_status s =
            req->access == RIOMMU_WRITE
                ? mem_write_raw(m, r.pa, p, (size_t)chunk, RIOMMU_ACC_DMA_DATA)
                : mem_read_raw(m, r.pa, p, (size_t)chunk, RIOMMU_ACC_DMA_DATA);
        uint32_t data = m->tm.on ? m->cfg.timing.mem_lat : 0;
        total += data;
        riommu_step(m, r.cycles + data);
        if (s != RIOMMU_MEM_OK) {
            *rsp = r;
            rsp->status = RIOMMU_RSP_FAULT;
            rsp->cause = walk_access_fault_cause(req->access);
            rsp->recorded = false;
            rsp->cycles = total;
            return rsp->status;
        }
        if (!have_first) {
            first = r;
            have_first = true;
        }
        p += chunk;
        iova += chunk;
        left -= chunk;
    }
    *rsp = first;
    rsp->cycles = total;
    return rsp->status;
}

riommu_rsp_status riommu_issue_translate(riommu *m, const riommu_request *req,
                                         riommu_response *rsp)
{
    if (!request_ok(req)) {
        memset(rsp, 0, sizeof *rsp);
        rsp->status = RIOMMU_RSP_BAD_REQUEST;
        return rsp->status;
    }
    translate_process(m, req, rsp);
    return rsp->status;
}

riommu_rsp_status riommu_issue_dma(riommu *m, const riommu_request *req, void *buf,
                                   riommu_response *rsp)
{
    if (!request_ok(req) || !buf || req->kind == RIOMMU_REQ_ATS) {
        memset(rsp, 0, sizeof *rsp);
        rsp->status = RIOMMU_RSP_BAD_REQUEST;
        return rsp->status;
    }
    uint8_t *p = buf;
    uint64_t iova = req->iova;
    uint64_t left = req->len;
    uint32_t data = m->tm.on ? m->cfg.timing.mem_lat : 0;
    uint64_t last = 0; /* latest data completion, relative to now */
    bool have_first = false;
    riommu_response first;
    memset(&first, 0, sizeof first);
    while (left) {
        uint64_t chunk = 4096 - (iova & 4095);
        if (chunk > left)
            chunk = left;
        riommu_request pr = *req;
        pr.iova = iova;
        pr.len = (uint32_t)chunk;
        riommu_response r;
        translate_process(m, &pr, &r); /* every page arrives now */
        uint64_t done = r.cycles;
        riommu_mem_status s = RIOMMU_MEM_OK;
        if (r.status == RIOMMU_RSP_OK) {
            s = req->access == RIOMMU_WRITE
                    ? mem_write_raw(m, r.pa, p, (size_t)chunk, RIOMMU_ACC_DMA_DATA)
                    : mem_read_raw(m, r.pa, p, (size_t)chunk, RIOMMU_ACC_DMA_DATA);
            done += data;
        }
        if (done > last)
            last = done;
        if (r.status != RIOMMU_RSP_OK || s != RIOMMU_MEM_OK) {
            *rsp = r;
            if (r.status == RIOMMU_RSP_OK) {
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
    rsp->cycles = last > UINT32_MAX ? UINT32_MAX : (uint32_t)last;
    if (m->tm.on && m->now + last > m->tm.horizon)
        m->tm.horizon = m->now + last; /* settle waits for the data */
    return rsp->status;
}
