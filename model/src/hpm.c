/*
 * hpm.c - hardware performance monitor (regs "iocountovf", "iocountinh",
 * "iohpmcycles", "iohpmctr1-31", "iohpmevt1-31", "Standard Events list").
 *
 * iohpmcycles counts model cycles (63-bit counter, sticky OF); iohpmctrN
 * counts the event selected by iohpmevtN when not inhibited and the ID
 * filter (IDT, DV_GSCV, PV_PSCV, DMASK) matches. An unsigned wrap sets the
 * OF bit and, when OF was clear, raises ipsr.pmip.
 */
#include "internal.h"

/* Events for which IDT = 1 (GSCID/PSCID filtering) is supported. */
static bool idt1_supported(unsigned ev)
{
    return ev == HPM_EV_TLB_MISS || ev == HPM_EV_S1_WALK || ev == HPM_EV_S2_WALK;
}

/* DMASK partial match: the low bits up to and including the first 0 bit of
 * the programmed ID are ignored. */
static bool id_match(uint64_t want, uint64_t got, bool dmask, unsigned width)
{
    uint64_t ign = dmask ? (want ^ (want + 1)) : 0;
    uint64_t all = width >= 64 ? ~0ull : ((1ull << width) - 1);
    return ((want ^ got) & ~ign & all) == 0;
}

static bool filter_match(uint64_t evt, unsigned ev, const hpm_ids *ids)
{
    bool idt = evt & RIOMMU_IOHPMEVT_IDT;
    bool dv = evt & RIOMMU_IOHPMEVT_DV_GSCV, pv = evt & RIOMMU_IOHPMEVT_PV_PSCV;
    bool dmask = evt & RIOMMU_IOHPMEVT_DMASK;
    uint64_t did_f = RIOMMU_FIELD_GET(evt, RIOMMU_IOHPMEVT_DID_GSCID);
    uint64_t pid_f = RIOMMU_FIELD_GET(evt, RIOMMU_IOHPMEVT_PID_PSCID);
    if (idt && !idt1_supported(ev))
        return false;
    if (!dv && !pv)
        return true;
    if (!idt) {
        if (pv && (!ids->pv || pid_f != ids->pid))
            return false;
        if (dv && !id_match(did_f, ids->did, dmask, 24))
            return false;
        return true;
    }
    if (pv && (!ids->pscv || pid_f != ids->pscid))
        return false;
    if (dv && (!ids->gscv || !id_match(did_f, ids->gscid, dmask, 16)))
        return false;
    return true;
}

/* hpm_cy_due from the count in the register as of hpm_cy_at. */
static void hpm_cycles_rearm(riommu *m)
{
    int16_t s = m->hpm_cy_slot;
    if (s < 0) {
        m->hpm_cy_due = UINT64_MAX;
        return;
    }
    uint64_t room = RIOMMU_IOHPMCYCLES_OF - (m->regs[s].val & ~RIOMMU_IOHPMCYCLES_OF);
    m->hpm_cy_due = room > UINT64_MAX - m->hpm_cy_at ? UINT64_MAX : m->hpm_cy_at + room;
}

void hpm_refresh(riommu *m)
{
    uint32_t ev = 0;
    uint64_t inh = reg_get(m, RIOMMU_REG_IOCOUNTINH);
    for (unsigned i = 1; i <= m->cfg.hpm_counters; i++) {
        uint64_t id = RIOMMU_FIELD_GET(reg_get(m, RIOMMU_REG_IOHPMEVT(i)), RIOMMU_IOHPMEVT_EVENTID);
        if (!((inh >> i) & 1) && id < 32)
            ev |= 1u << id;
    }
    m->hpm_events = ev;
    m->hpm_cy_slot = cap_has(m, RIOMMU_CAP_HPM) && !(inh & 1)
                         ? m->slot[RIOMMU_REG_IOHPMCYCLES / 4]
                         : -1;
    m->hpm_cy_at = m->now; /* the register holds the count (the caller folded) */
    hpm_cycles_rearm(m);
}

void hpm_count(riommu *m, unsigned event, const hpm_ids *ids)
{
    if (!(m->hpm_events & (1u << event)))
        return; /* no counter selects the event (hpm_refresh) */
    uint64_t inh = reg_get(m, RIOMMU_REG_IOCOUNTINH);
    unsigned bits = m->cfg.hpm_counter_bits;
    uint64_t mask = bits >= 64 ? ~0ull : ((1ull << bits) - 1);
    for (unsigned i = 1; i <= m->cfg.hpm_counters; i++) {
        uint64_t evt = reg_get(m, RIOMMU_REG_IOHPMEVT(i));
        if (RIOMMU_FIELD_GET(evt, RIOMMU_IOHPMEVT_EVENTID) != event || (inh >> i) & 1)
            continue;
        if (!filter_match(evt, event, ids))
            continue;
        uint64_t c = (reg_get(m, RIOMMU_REG_IOHPMCTR(i)) + 1) & mask;
        reg_set(m, RIOMMU_REG_IOHPMCTR(i), c);
        if (c == 0 && !(evt & RIOMMU_IOHPMEVT_OF)) {
            reg_set(m, RIOMMU_REG_IOHPMEVT(i), evt | RIOMMU_IOHPMEVT_OF);
            intr_event(m, RIOMMU_INTR_PM);
        }
    }
}

void hpm_cycles_fold(riommu *m, uint64_t t)
{
    int16_t s = m->hpm_cy_slot;
    if (s < 0 || t <= m->hpm_cy_at)
        return;
    uint64_t cycles = t - m->hpm_cy_at;
    m->hpm_cy_at = t;
    uint64_t v = m->regs[s].val;
    uint64_t cnt = v & ~RIOMMU_IOHPMCYCLES_OF;
    uint64_t lim = RIOMMU_IOHPMCYCLES_OF; /* 2^63 */
    bool wrap = cycles >= lim - cnt;
    cnt = (cnt + cycles) & ~RIOMMU_IOHPMCYCLES_OF;
    uint64_t of = v & RIOMMU_IOHPMCYCLES_OF;
    m->regs[s].val = cnt | (wrap ? RIOMMU_IOHPMCYCLES_OF : of);
    hpm_cycles_rearm(m);
    if (wrap && !of)
        intr_event(m, RIOMMU_INTR_PM);
}

void hpm_cycles_sync(riommu *m) { hpm_cycles_fold(m, m->now); }
