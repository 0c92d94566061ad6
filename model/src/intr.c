/*
 * intr.c - interrupts (regs "ipsr", "icvec", "msi_cfg_tbl"; q "Command-Queue"
 * and "Fault/Event-Queue" interrupt conditions).
 *
 * ipsr bits are set when their condition holds (cip: cqcsr.cie and an error
 * or fence_w_ip bit; fip: fqcsr.fie and fqof/fqmf, or a new record; pip
 * likewise; pmip: an HPM overflow) and stay set until written with 1; a
 * condition still present sets the bit again.
 *
 * fctl.WSI = 1: the wire of the vector that icvec assigns to a cause is
 * high while any ipsr bit mapped to it is set (level).
 * fctl.WSI = 0: an MSI is sent from msi_cfg_tbl[vector] on each 0->1 edge
 * of an ipsr bit; a masked vector keeps one pending message that is sent
 * when the mask is cleared. A faulting MSI write reports cause 273.
 */
#include "internal.h"

static unsigned vector_of(const riommu *m, unsigned cause)
{
    return (unsigned)(reg_get(m, RIOMMU_REG_ICVEC) >> (4 * cause)) & 0xFu;
}

static bool wsi_mode(const riommu *m)
{
    return (reg_get(m, RIOMMU_REG_FCTL) & RIOMMU_FCTL_WSI) != 0;
}

static void send_msi(riommu *m, unsigned v)
{
    if (v >= m->cfg.num_vectors)
        return;
    if (reg_get(m, RIOMMU_REG_MSI_VEC_CTL(v)) & RIOMMU_MSI_VEC_CTL_M) {
        m->msi_pending |= (uint16_t)(1u << v);
        return;
    }
    uint64_t addr = reg_get(m, RIOMMU_REG_MSI_ADDR(v)) & RIOMMU_MSI_ADDR_MASK;
    uint32_t data = (uint32_t)reg_get(m, RIOMMU_REG_MSI_DATA(v)) +
                    (defect(m, RIOMMU_DEFECT_MSI_DATA) ? 1u : 0u);
    riommu_mem_status s;
    m->st.msis_sent++;
    m->st.mem_accesses[RIOMMU_ACC_IOMMU_MSI]++;
    if (!mem_pa_ok(m, addr, 4))
        s = RIOMMU_MEM_ACCESS_FAULT;
    else if (m->host.msi)
        s = m->host.msi(m->host.ctx, addr, data);
    else {
        /* regs fctl.BE: accesses "for MSI generation" are big-endian when
         * BE = 1. (The msi hook above receives the data value.) */
        bool be = fctl_be(m);
        uint8_t b[4];
        for (unsigned i = 0; i < 4; i++)
            b[be ? 3 - i : i] = (uint8_t)(data >> (8 * i));
        s = m->host.mem_write(m->host.ctx, addr, b, 4, RIOMMU_ACC_IOMMU_MSI);
    }
    if (s != RIOMMU_MEM_OK && m->intr_depth < 2) {
        riommu_fault_record rec;
        memset(&rec, 0, sizeof rec);
        rec.cause = RIOMMU_CAUSE_MSI_WRITE_FAULT;
        rec.ttyp = RIOMMU_TTYP_NONE;
        rec.iotval = addr;
        m->intr_depth++;
        fault_report(m, &rec, false);
        m->intr_depth--;
    }
}

static void update_wires(riommu *m)
{
    uint16_t want = 0;
    if (wsi_mode(m)) {
        uint64_t ipsr = reg_get(m, RIOMMU_REG_IPSR);
        for (unsigned c = 0; c < 4; c++)
            if (ipsr & (1u << c))
                want |= (uint16_t)(1u << vector_of(m, c));
    }
    uint16_t diff = want ^ m->wire_level;
    m->wire_level = want;
    for (unsigned v = 0; diff; v++, diff >>= 1) {
        if (!(diff & 1))
            continue;
        bool level = (want >> v) & 1;
        if (level)
            m->st.wire_edges++;
        if (m->host.wire)
            m->host.wire(m->host.ctx, v, level);
    }
}

static void set_pending(riommu *m, unsigned cause)
{
    uint64_t ipsr = reg_get(m, RIOMMU_REG_IPSR);
    if (ipsr & (1u << cause))
        return;
    reg_set(m, RIOMMU_REG_IPSR, ipsr | (1u << cause));
    unsigned v = vector_of(m, cause);
    if (m->has_obs)
        OBS(m, interrupt, cause, v);
    if (!wsi_mode(m))
        send_msi(m, v);
}

static bool level_condition(const riommu *m, unsigned cause)
{
    uint64_t csr;
    switch (cause) {
    case RIOMMU_INTR_CQ:
        csr = reg_get(m, RIOMMU_REG_CQCSR);
        return (csr & RIOMMU_CQCSR_CIE) &&
               (csr & (RIOMMU_CQCSR_CQMF | RIOMMU_CQCSR_CMD_TO | RIOMMU_CQCSR_CMD_ILL |
                       RIOMMU_CQCSR_FENCE_W_IP));
    case RIOMMU_INTR_FQ:
        csr = reg_get(m, RIOMMU_REG_FQCSR);
        return (csr & RIOMMU_FQCSR_FIE) && (csr & (RIOMMU_FQCSR_FQMF | RIOMMU_FQCSR_FQOF));
    case RIOMMU_INTR_PQ:
        csr = reg_get(m, RIOMMU_REG_PQCSR);
        return (csr & RIOMMU_PQCSR_PIE) && (csr & (RIOMMU_PQCSR_PQMF | RIOMMU_PQCSR_PQOF));
    default:
        return false;
    }
}

void intr_update(riommu *m)
{
    for (unsigned c = 0; c < 4; c++)
        if (level_condition(m, c))
            set_pending(m, c);
    update_wires(m);
}

void intr_event(riommu *m, unsigned cause)
{
    bool enabled = true;
    if (cause == RIOMMU_INTR_FQ)
        enabled = reg_get(m, RIOMMU_REG_FQCSR) & RIOMMU_FQCSR_FIE;
    else if (cause == RIOMMU_INTR_PQ)
        enabled = reg_get(m, RIOMMU_REG_PQCSR) & RIOMMU_PQCSR_PIE;
    if (enabled)
        set_pending(m, cause);
    update_wires(m);
}

void intr_vector_unmasked(riommu *m, unsigned vector)
{
    if (!(m->msi_pending & (1u << vector)))
        return;
    m->msi_pending &= (uint16_t)~(1u << vector);
    if (!wsi_mode(m))
        send_msi(m, vector);
}

void intr_reset(riommu *m)
{
    m->msi_pending = 0;
    /* ipsr is 0 after reset: lower every asserted wire. */
    update_wires(m);
}
