/*
 * debug.c - the translation-request interface (spec chapter "Debug
 * support"; regs "tr_req_iova", "tr_req_ctl", "tr_response").
 *
 * Setting tr_req_ctl.Go/Busy runs the translation process for an
 * untranslated request built from the registers (faults are reported in
 * the fault queue as usual). Go/Busy clears, and tr_response becomes valid,
 * after the translation's modelled latency. The response reports the
 * translation's real range size with the S encoding.
 */
#include "internal.h"

void debug_start(riommu *m)
{
    uint64_t ctl = reg_get(m, RIOMMU_REG_TR_REQ_CTL);
    riommu_request req;
    memset(&req, 0, sizeof req);
    req.device_id = (uint32_t)RIOMMU_FIELD_GET(ctl, RIOMMU_TR_REQ_CTL_DID);
    req.pv = ctl & RIOMMU_TR_REQ_CTL_PV;
    req.process_id = (uint32_t)RIOMMU_FIELD_GET(ctl, RIOMMU_TR_REQ_CTL_PID);
    req.priv = req.pv && (ctl & RIOMMU_TR_REQ_CTL_PRIV);
    req.kind = RIOMMU_REQ_UNTRANSLATED;
    req.access = (ctl & RIOMMU_TR_REQ_CTL_EXE)  ? RIOMMU_EXEC
                 : (ctl & RIOMMU_TR_REQ_CTL_NW) ? RIOMMU_READ
                                                : RIOMMU_WRITE;
    req.iova = reg_get(m, RIOMMU_REG_TR_REQ_IOVA) & RIOMMU_TR_REQ_IOVA_VPN;
    req.len = 1;
    riommu_response rsp;
    translate_process(m, &req, &rsp);
    uint64_t out;
    if (rsp.status != RIOMMU_RSP_OK) {
        out = RIOMMU_TR_RESPONSE_FAULT;
    } else {
        uint64_t ppn = rsp.pa >> 12;
        out = RIOMMU_FIELD_PREP(RIOMMU_TR_RESPONSE_PBMT, rsp.pbmt);
        if (rsp.range_size > 4096) {
            /* S=1: the PPN's low bits encode the size: first 0 at X means
             * 2^(X+1) pages. */
            uint64_t pages = rsp.range_size >> 12;
            ppn = (ppn & ~(pages - 1)) | ((pages >> 1) - 1);
            out |= RIOMMU_TR_RESPONSE_S;
        }
        out |= RIOMMU_FIELD_PREP(RIOMMU_TR_RESPONSE_PPN, ppn);
    }
    reg_set(m, RIOMMU_REG_TR_RESPONSE, out);
    if (rsp.cycles == 0) {
        debug_complete(m);
        return;
    }
    busy_start(m, &m->dbg_busy, m->now + rsp.cycles);
}

void debug_complete(riommu *m)
{
    busy_end(m, &m->dbg_busy);
    reg_set(m, RIOMMU_REG_TR_REQ_CTL,
            reg_get(m, RIOMMU_REG_TR_REQ_CTL) & ~RIOMMU_TR_REQ_CTL_GO_BUSY);
}
