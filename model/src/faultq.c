/*
 * faultq.c - the fault/event queue (q "Fault/Event-Queue (FQ)"; regs
 * "fqb", "fqh", "fqt", "fqcsr").
 *
 * A record is written only while fqon is 1 and neither fqmf nor fqof is set.
 * The queue is full when fqt == fqh - 1 (one slot always stays empty): then
 * fqof is set and the record is discarded. A store fault sets fqmf and the
 * record is discarded. A written record advances fqt and raises the fault
 * interrupt condition (ipsr.fip, when fqcsr.fie).
 */
#include "internal.h"

bool faultq_write(riommu *m, const riommu_fault_record *rec)
{
    uint64_t csr = reg_get(m, RIOMMU_REG_FQCSR);
    if (!(csr & RIOMMU_FQCSR_FQON) || !(csr & RIOMMU_FQCSR_FQEN))
        return false;
    if (csr & (RIOMMU_FQCSR_FQMF | RIOMMU_FQCSR_FQOF))
        return false;
    uint32_t mask = queue_mask(m, RIOMMU_REG_FQB);
    uint32_t tail = (uint32_t)reg_get(m, RIOMMU_REG_FQT) & mask;
    uint32_t head = (uint32_t)reg_get(m, RIOMMU_REG_FQH) & mask;
    if (((tail + 1u) & mask) == head) {
        reg_set(m, RIOMMU_REG_FQCSR, csr | RIOMMU_FQCSR_FQOF);
        intr_update(m);
        return false;
    }
    uint64_t hdr = RIOMMU_FIELD_PREP(RIOMMU_FQ_HDR_CAUSE, rec->cause);
    if (rec->ttyp != RIOMMU_TTYP_NONE) {
        hdr |= RIOMMU_FIELD_PREP(RIOMMU_FQ_HDR_TTYP, rec->ttyp) |
               RIOMMU_FIELD_PREP(RIOMMU_FQ_HDR_DID, rec->did);
        if (rec->pv) {
            hdr |= RIOMMU_FQ_HDR_PV | RIOMMU_FIELD_PREP(RIOMMU_FQ_HDR_PID, rec->pid);
            if (rec->priv)
                hdr |= RIOMMU_FQ_HDR_PRIV;
        }
    }
    if (defect(m, RIOMMU_DEFECT_DROP_RECORD) && (m->defect_count++ & 1))
        return false;
    uint64_t words[4] = {hdr, 0, rec->iotval, rec->iotval2};
    uint8_t buf[RIOMMU_FQ_REC_SIZE];
    bool be = fctl_be(m);
    for (unsigned w = 0; w < 4; w++)
        for (unsigned b = 0; b < 8; b++)
            buf[w * 8 + (be ? 7 - b : b)] = (uint8_t)(words[w] >> (8 * b));
    uint64_t pa = queue_base_pa(m, RIOMMU_REG_FQB) + (uint64_t)tail * RIOMMU_FQ_REC_SIZE;
    if (mem_write_raw(m, pa, buf, sizeof buf, RIOMMU_ACC_FQ) != RIOMMU_MEM_OK) {
        reg_set(m, RIOMMU_REG_FQCSR, csr | RIOMMU_FQCSR_FQMF);
        intr_update(m);
        return false;
    }
    reg_set(m, RIOMMU_REG_FQT,
            (tail + (defect(m, RIOMMU_DEFECT_FQT_SKIP) ? 2u : 1u)) & mask);
    intr_event(m, RIOMMU_INTR_FQ);
    return true;
}
