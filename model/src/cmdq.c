/*
 * cmdq.c - the command queue (q "Command-Queue (CQ)"; regs "cqb", "cqh",
 * "cqt", "cqcsr"; ext "Non-leaf PTE Invalidation", "Address Range
 * Invalidation").
 *
 * The IOMMU fetches the command at cqh when cqon is 1, no error bit stops
 * the queue and cqh != cqt. The model executes commands in order and
 * completes each before fetching the next. cqh advances past a command only
 * after it completed; on an illegal command (cmd_ill) or a memory fault
 * (cqmf: fetch, or the IOFENCE.C AV write) cqh stays on the command and the
 * queue stalls until software clears the bit.
 *
 * Timing (docs/timing.md "Commands"). With timing.enable, a command costs
 * its fetch (timing.mem_lat; cmd_ill and cqmf of the fetch are raised when
 * it ends), then timing.cmd_lat, then its invalidation scans (each cache
 * slot it takes for lat per set scanned), and an IOFENCE.C waits until
 * every translation in flight at the end of its fetch has completed, plus
 * mem_lat for an AV write. The command's effects (invalidation, AV write,
 * cqh) happen when that time is over; the next fetch starts then. Without
 * timing, a command takes timing.cmd_lat and nothing else.
 */
#include "internal.h"

uint32_t queue_mask(const riommu *m, uint32_t base_off)
{
    uint64_t b = reg_get(m, base_off);
    unsigned log2szm1 = (unsigned)(b & RIOMMU_QB_LOG2SZ);
    return (uint32_t)((2ull << log2szm1) - 1u);
}

uint64_t queue_base_pa(const riommu *m, uint32_t base_off)
{
    return RIOMMU_FIELD_GET(reg_get(m, base_off), RIOMMU_QB_PPN) << 12;
}

bool cmdq_runnable(const riommu *m)
{
    uint64_t csr = reg_get(m, RIOMMU_REG_CQCSR);
    if (!(csr & RIOMMU_CQCSR_CQON) || !(csr & RIOMMU_CQCSR_CQEN))
        return false;
    if (csr & (RIOMMU_CQCSR_CQMF | RIOMMU_CQCSR_CMD_ILL | RIOMMU_CQCSR_CMD_TO))
        return false;
    return reg_get(m, RIOMMU_REG_CQH) != reg_get(m, RIOMMU_REG_CQT);
}

void cmdq_schedule(riommu *m)
{
    if (!cmdq_runnable(m)) {
        cq_sched_set(m, false);
        m->cq_fetched = false; /* a fetched command is dropped (queue off) */
        return;
    }
    if (!cq_sched(m)) {
        cq_sched_set(m, true);
        m->cq_fetched = false;
        m->cq_start = m->now;
        m->cq_next = m->now + (m->tm.on ? tm_mem_cost(m, 16) : m->cfg.timing.cmd_lat);
    }
}

static bool has_stage2(const riommu *m)
{
    return cap_has(m, RIOMMU_CAP_SV32X4) || cap_has(m, RIOMMU_CAP_SV39X4) ||
           cap_has(m, RIOMMU_CAP_SV48X4) || cap_has(m, RIOMMU_CAP_SV57X4);
}

/*
 * Legality (q "A command is determined to be illegal if it uses a reserved
 * encoding or if a reserved bit is set to 1. A command is unsupported if it
 * is defined but not implemented as determined by the IOMMU capabilities").
 */
bool cmdq_is_legal(const riommu *m, const uint64_t cmd[2])
{
    unsigned op = (unsigned)RIOMMU_FIELD_GET(cmd[0], RIOMMU_CMD_OPCODE);
    unsigned fn = (unsigned)RIOMMU_FIELD_GET(cmd[0], RIOMMU_CMD_FUNC3);
    uint64_t d0 = cmd[0], d1 = cmd[1];
    switch (op) {
    case RIOMMU_CMD_OP_IOTINVAL: {
        if (fn != RIOMMU_CMD_FUNC_IOTINVAL_VMA && fn != RIOMMU_CMD_FUNC_IOTINVAL_GVMA)
            return false;
        uint64_t r0 = RIOMMU_IOTINVAL_D0_RESERVED;
        uint64_t r1 = RIOMMU_IOTINVAL_D1_RESERVED;
        if (!cap_has(m, RIOMMU_CAP_NL))
            r0 |= RIOMMU_IOTINVAL_NL;
        if (!cap_has(m, RIOMMU_CAP_S))
            r1 |= RIOMMU_IOTINVAL_S;
        if ((d0 & r0) || (d1 & r1))
            return false;
        if (fn == RIOMMU_CMD_FUNC_IOTINVAL_GVMA) {
            if (d0 & RIOMMU_IOTINVAL_PSCV)
                return false; /* PSCV with GVMA is illegal */
            if (!has_stage2(m))
                return false; /* defined but not implemented */
        }
        return true;
    }
    case RIOMMU_CMD_OP_IOFENCE:
        if (fn != RIOMMU_CMD_FUNC_IOFENCE_C)
            return false;
        if ((d0 & RIOMMU_IOFENCE_D0_RESERVED) || (d1 & RIOMMU_IOFENCE_D1_RESERVED))
            return false;
        /* WSI is reserved unless wire-signalled interrupts are enabled. */
        if ((d0 & RIOMMU_IOFENCE_WSI) && !(reg_get(m, RIOMMU_REG_FCTL) & RIOMMU_FCTL_WSI))
            return false;
        return true;
    case RIOMMU_CMD_OP_IODIR:
        if (fn == RIOMMU_CMD_FUNC_IODIR_INVAL_DDT && !defect(m, RIOMMU_DEFECT_IGNORE_DDT_INVAL)) {
            /* PID is reserved for INVAL_DDT. */
            return !(d0 & (RIOMMU_IODIR_D0_RESERVED | RIOMMU_IODIR_PID)) && d1 == 0;
        }
        if (fn == RIOMMU_CMD_FUNC_IODIR_INVAL_PDT) {
            if ((d0 & RIOMMU_IODIR_D0_RESERVED) || d1 != 0)
                return false;
            if (!(d0 & RIOMMU_IODIR_DV))
                return false; /* DV must be 1 */
            if (!(cap_has(m, RIOMMU_CAP_PD8) || cap_has(m, RIOMMU_CAP_PD17) ||
                  cap_has(m, RIOMMU_CAP_PD20)))
                return false; /* no process directories implemented */
            return true;
        }
        return false;
    case RIOMMU_CMD_OP_ATS:
        /* Supported only with capabilities.ATS (not configurable yet). */
        if (!cap_has(m, RIOMMU_CAP_ATS))
            return false;
        if (fn != RIOMMU_CMD_FUNC_ATS_INVAL && fn != RIOMMU_CMD_FUNC_ATS_PRGR)
            return false;
        return !(d0 & RIOMMU_ATS_D0_RESERVED);
    default:
        return false; /* reserved (0, 5-63) and custom (64-127) opcodes */
    }
}

/* Decode an address-range operand: ADDR[63:12] with the S extension's NAPOT
 * size encoding. *len == 0 means the whole address space. */
static void decode_range(const riommu *m, uint64_t d1, uint64_t *addr, uint64_t *len)
{
    uint64_t vpn = RIOMMU_FIELD_GET(d1, RIOMMU_IOTINVAL_ADDR); /* 52 bits */
    if (!(cap_has(m, RIOMMU_CAP_S) && (d1 & RIOMMU_IOTINVAL_S))) {
        *addr = vpn << 12;
        *len = 4096;
        return;
    }
    unsigned x = 0;
    while (x < 52 && ((vpn >> x) & 1))
        x++;
    if (x >= 51) { /* all ones (UNSPECIFIED) or MSB-0-rest-ones: everything */
        *addr = 0;
        *len = 0;
        return;
    }
    uint64_t size = 1ull << (x + 1 + 12);
    *addr = (vpn << 12) & ~(size - 1);
    *len = size;
}

static void exec_iotinval(riommu *m, const uint64_t cmd[2])
{
    unsigned fn = (unsigned)RIOMMU_FIELD_GET(cmd[0], RIOMMU_CMD_FUNC3);
    bool av = cmd[0] & RIOMMU_IOTINVAL_AV;
    bool gv = cmd[0] & RIOMMU_IOTINVAL_GV;
    bool pscv = cmd[0] & RIOMMU_IOTINVAL_PSCV;
    bool nl = cap_has(m, RIOMMU_CAP_NL) && (cmd[0] & RIOMMU_IOTINVAL_NL);
    uint16_t gscid = (uint16_t)RIOMMU_FIELD_GET(cmd[0], RIOMMU_IOTINVAL_GSCID);
    uint32_t pscid = (uint32_t)RIOMMU_FIELD_GET(cmd[0], RIOMMU_IOTINVAL_PSCID);
    uint64_t addr = 0, len = 0;
    if (av)
        decode_range(m, cmd[1], &addr, &len);
    if (av && len == 0)
        av = false; /* whole-space range: same as AV=0 */
    if ((pscv && defect(m, RIOMMU_DEFECT_IGNORE_PSCID_INVAL)) ||
        (av && defect(m, RIOMMU_DEFECT_IGNORE_ADDR_INVAL)))
        return;
    if (fn == RIOMMU_CMD_FUNC_IOTINVAL_VMA)
        iotlb_inval_vma(m, gv, gscid, pscv, pscid, av, addr, len, nl);
    else
        iotlb_inval_gvma(m, gv, gscid, gv && av, addr, len);
}

/* Returns false on a memory fault of the AV write (cqmf). */
static bool exec_iofence(riommu *m, const uint64_t cmd[2])
{
    if (cmd[0] & RIOMMU_IOFENCE_AV) {
        uint64_t pa = RIOMMU_FIELD_GET(cmd[1], RIOMMU_IOFENCE_ADDR) << 2;
        uint32_t data = (uint32_t)RIOMMU_FIELD_GET(cmd[0], RIOMMU_IOFENCE_DATA) +
                        (defect(m, RIOMMU_DEFECT_FENCE_DATA) ? 1u : 0u);
        if (mem_store32(m, pa, fctl_be(m), RIOMMU_ACC_FENCE_DATA, data) != RIOMMU_MEM_OK)
            return false;
    }
    if (cmd[0] & RIOMMU_IOFENCE_WSI)
        reg_set(m, RIOMMU_REG_CQCSR, reg_get(m, RIOMMU_REG_CQCSR) | RIOMMU_CQCSR_FENCE_W_IP);
    return true;
}

static void exec_iodir(riommu *m, const uint64_t cmd[2])
{
    unsigned fn = (unsigned)RIOMMU_FIELD_GET(cmd[0], RIOMMU_CMD_FUNC3);
    bool dv = cmd[0] & RIOMMU_IODIR_DV;
    uint32_t did = (uint32_t)RIOMMU_FIELD_GET(cmd[0], RIOMMU_IODIR_DID);
    if (fn == RIOMMU_CMD_FUNC_IODIR_INVAL_DDT) {
        /* A DID wider than the DDT mode supports cannot have a cached
         * context: nothing to invalidate (implementation choice). The DDTC
         * holds leaf entries only, and there is no PDT cache yet, so DV=1
         * drops exactly that device's context. */
        ddtc_inval(m, dv, did);
    }
    /* INVAL_PDT: no process-directory cache exists in this release (the
     * command is illegal without PD8/PD17/PD20). */
}

static void set_cq_error(riommu *m, uint64_t bit)
{
    reg_set(m, RIOMMU_REG_CQCSR, reg_get(m, RIOMMU_REG_CQCSR) | bit);
    cq_sched_set(m, false);
    intr_update(m);
}

/* Fetch and check the command at cqh. On a memory fault or an illegal
 * command the queue stops (cqmf / cmd_ill) and false is returned. */
static bool cmd_fetch(riommu *m, uint64_t cmd[2])
{
    uint32_t head = (uint32_t)reg_get(m, RIOMMU_REG_CQH);
    uint32_t mask = queue_mask(m, RIOMMU_REG_CQB);
    uint64_t pa = queue_base_pa(m, RIOMMU_REG_CQB) + (uint64_t)head * RIOMMU_CMD_SIZE;
    bool be = fctl_be(m);
    if (mem_load64(m, pa, be, RIOMMU_ACC_CQ, &cmd[0]) != RIOMMU_MEM_OK ||
        mem_load64(m, pa + 8, be, RIOMMU_ACC_CQ, &cmd[1]) != RIOMMU_MEM_OK) {
        set_cq_error(m, RIOMMU_CQCSR_CQMF);
        return false;
    }
    if (!cmdq_is_legal(m, cmd)) {
        m->st.commands_illegal++;
        if (m->has_obs)
            OBS(m, command, cmd, head, true);
        set_cq_error(m, RIOMMU_CQCSR_CMD_ILL);
        if (defect(m, RIOMMU_DEFECT_CQ_ILL_ADVANCE))
            reg_set(m, RIOMMU_REG_CQH, (head + 1u) & mask);
        return false;
    }
    return true;
}

/* Execute a fetched, legal command and advance cqh past it. */
static void cmd_exec(riommu *m, const uint64_t cmd[2])
{
    uint32_t head = (uint32_t)reg_get(m, RIOMMU_REG_CQH);
    uint32_t mask = queue_mask(m, RIOMMU_REG_CQB);
    unsigned op = (unsigned)RIOMMU_FIELD_GET(cmd[0], RIOMMU_CMD_OPCODE);
    unsigned fn = (unsigned)RIOMMU_FIELD_GET(cmd[0], RIOMMU_CMD_FUNC3);
    m->st.commands[op < 8 ? op : 0][fn]++;
    bool ok = true;
    switch (op) {
    case RIOMMU_CMD_OP_IOTINVAL:
        exec_iotinval(m, cmd);
        break;
    case RIOMMU_CMD_OP_IOFENCE:
        ok = exec_iofence(m, cmd);
        break;
    case RIOMMU_CMD_OP_IODIR:
        exec_iodir(m, cmd);
        break;
    default:
        break;
    }
    if (m->has_obs)
        OBS(m, command, cmd, head, false);
    if (!ok) {
        set_cq_error(m, RIOMMU_CQCSR_CQMF);
        return;
    }
    reg_set(m, RIOMMU_REG_CQH, (head + 1u) & mask);
    intr_update(m); /* fence_w_ip */
}

bool cmdq_execute_one(riommu *m)
{
    if (!cmdq_runnable(m))
        return false;
    uint64_t cmd[2];
    if (cmd_fetch(m, cmd))
        cmd_exec(m, cmd);
    return true;
}

/* Sets an invalidation must scan in a cache: one lookup for a range of
 * `pages` pages up to the cache's set count, else every set (docs/timing.md
 * "Commands"). `pages` 0: the whole address space. */
static uint64_t scan_sets(const cache_geom *g, uint64_t pages)
{
    if (!g->sets)
        return 0;
    return pages && pages <= g->sets ? pages : g->sets;
}

/* Cost a fetched, legal command: advance the timing cursor from the end of
 * its fetch (m->now) to its completion. */
static void cmd_cost(riommu *m, const uint64_t cmd[2])
{
    riommu_timing *tm = &m->tm;
    unsigned op = (unsigned)RIOMMU_FIELD_GET(cmd[0], RIOMMU_CMD_OPCODE);
    unsigned fn = (unsigned)RIOMMU_FIELD_GET(cmd[0], RIOMMU_CMD_FUNC3);
    tm->t = m->now + m->cfg.timing.cmd_lat;
    uint64_t scan_from = tm->t;
    switch (op) {
    case RIOMMU_CMD_OP_IOTINVAL: {
        bool av = cmd[0] & RIOMMU_IOTINVAL_AV;
        bool nl = cap_has(m, RIOMMU_CAP_NL) && (cmd[0] & RIOMMU_IOTINVAL_NL);
        uint64_t addr = 0, len = 0;
        if (av)
            decode_range(m, cmd[1], &addr, &len);
        uint64_t pages = av ? len >> 12 : 0;
        tm_cache_slow(m, RIOMMU_CACHE_IOTLB, scan_sets(&m->c.iotlb_g, pages));
        if (fn == RIOMMU_CMD_FUNC_IOTINVAL_GVMA || !av || nl)
            tm_cache_slow(m, RIOMMU_CACHE_WALKC, scan_sets(&m->c.walkc_g, pages));
        break;
    }
    case RIOMMU_CMD_OP_IODIR:
        if (fn == RIOMMU_CMD_FUNC_IODIR_INVAL_DDT)
            tm_cache_slow(m, RIOMMU_CACHE_DDTC,
                          scan_sets(&m->c.ddtc_g, (cmd[0] & RIOMMU_IODIR_DV) ? 1 : 0));
        break;
    case RIOMMU_CMD_OP_IOFENCE: {
        uint64_t until = tm_inflight_until(m);
        if (until > tm->t) {
            m->st.fence_wait_cycles += until - tm->t;
            tm->t = until;
        }
        if (cmd[0] & RIOMMU_IOFENCE_AV)
            tm->t += m->cfg.timing.mem_lat;
        break;
    }
    default:
        break;
    }
    if (op != RIOMMU_CMD_OP_IOFENCE)
        m->st.inval_cycles += tm->t - scan_from;
}

void cmdq_run_due(riommu *m)
{
    cq_sched_set(m, false);
    if (!m->tm.on) {
        cmdq_execute_one(m);
        cmdq_schedule(m);
        return;
    }
    if (!m->cq_fetched) {
        if (!cmdq_runnable(m) || !cmd_fetch(m, m->cq_cmd)) {
            m->st.cmd_busy_cycles += m->now - m->cq_start;
            cmdq_schedule(m);
            return;
        }
        cmd_cost(m, m->cq_cmd);
        m->cq_fetched = true;
        cq_sched_set(m, true);
        m->cq_next = m->tm.t;
        return;
    }
    m->cq_fetched = false;
    m->st.cmd_busy_cycles += m->now - m->cq_start;
    if (cmdq_runnable(m))
        cmd_exec(m, m->cq_cmd);
    cmdq_schedule(m);
}
