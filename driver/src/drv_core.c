/*
 * drv_core.c - MMIO, polling, bring-up, queues, command submission, fences,
 * interrupt handling, remove and shutdown of the reference driver
 * (linux §1.1-1.6, §1.11). The order of every register access and command
 * follows the Linux driver; comments cite the note's steps.
 */
#include "drv_internal.h"

/* ---- small services -------------------------------------------------------- */

const char *riommu_drv_strerror(riommu_drv_err e)
{
    switch (e) {
    case RIOMMU_DRV_OK: return "ok";
    case RIOMMU_DRV_EBUSY: return "EBUSY";
    case RIOMMU_DRV_EINVAL: return "EINVAL";
    case RIOMMU_DRV_ENODEV: return "ENODEV";
    case RIOMMU_DRV_ENOMEM: return "ENOMEM";
    case RIOMMU_DRV_ETIMEDOUT: return "ETIMEDOUT";
    case RIOMMU_DRV_EIO: return "EIO";
    }
    return "unknown";
}

void riommu_drv_policy_mainline(riommu_drv_policy *p)
{
    memset(p, 0, sizeof *p);
    p->empty_queue_before_enable = true;
    p->iotinval_after_ddt_update = true;
    p->stop_wait_on_cq_error = true;
    p->shutdown_to_bare = true;
    p->mmio32 = false;
    p->sade = false;      /* "iommu/riscv: Disable SADE" with the generic PT */
    p->generic_pt = true;
    p->napot_64k = true;
    p->overflow_safe_sync = true;
    p->polling = false;
}

void riommu_drv_policy_linux613(riommu_drv_policy *p)
{
    memset(p, 0, sizeof *p);
    p->empty_queue_before_enable = false;
    p->iotinval_after_ddt_update = false;
    p->stop_wait_on_cq_error = false;
    p->shutdown_to_bare = false;
    p->mmio32 = false;
    p->sade = true;
    p->generic_pt = false;
    p->napot_64k = false;
    p->overflow_safe_sync = false;
    p->polling = false;
}

void riommu_drv_config_default(riommu_drv_config *c)
{
    memset(c, 0, sizeof *c);
    c->bus = RIOMMU_DRV_BUS_PCI;
    c->irqs = 4;
    riommu_drv_policy_mainline(&c->policy);
    c->cq_log2sz = 12;
    c->fq_log2sz = 11;
}

void drv_event(riommu_drv *d, riommu_drv_event_kind k, uint64_t a)
{
    if (!d->cfg.event)
        return;
    riommu_drv_event ev;
    memset(&ev, 0, sizeof ev);
    ev.kind = k;
    ev.a = a;
    d->cfg.event(d->cfg.event_ctx, &ev);
}

void *drv_zalloc(riommu_drv *d, size_t n) { return d->heap.zalloc(d->heap.ctx, n); }
void drv_free(riommu_drv *d, void *p)
{
    if (p)
        d->heap.free(d->heap.ctx, p);
}

/* Publish `len` bytes starting at CPU address `cpu` inside `mem`. */
void drv_publish(riommu_drv *d, const void *cpu, const riommu_dma_mem *mem, size_t len)
{
    uint64_t off = (uint64_t)((const char *)cpu - (const char *)mem->cpu);
    d->hw.sync_to_device(d->hw.ctx, mem->pa + off, len);
}

/* ---- MMIO (64-bit registers split low half first with policy.mmio32) ------ */

uint32_t drv_r32(riommu_drv *d, uint32_t off) { return d->hw.read32(d->hw.ctx, off); }

uint64_t drv_r64(riommu_drv *d, uint32_t off)
{
    if (d->cfg.policy.mmio32) {
        uint64_t lo = d->hw.read32(d->hw.ctx, off);
        uint64_t hi = d->hw.read32(d->hw.ctx, off + 4);
        return lo | (hi << 32);
    }
    return d->hw.read64(d->hw.ctx, off);
}

void drv_w32(riommu_drv *d, uint32_t off, uint32_t v) { d->hw.write32(d->hw.ctx, off, v); }

void drv_w64(riommu_drv *d, uint32_t off, uint64_t v)
{
    if (d->cfg.policy.mmio32) {
        if (off == RIOMMU_REG_DDTP) {
            /* linux §4 item 2: the mode change of ddtp takes effect when
             * the low half (iommu_mode) is written, and further writes are
             * ignored while BUSY; so the high half of the PPN goes first
             * and the low half last, or a root at or above 16 GiB would be
             * enabled with a truncated PPN. */
            d->hw.write32(d->hw.ctx, off + 4, (uint32_t)(v >> 32));
            d->hw.write32(d->hw.ctx, off, (uint32_t)v);
            return;
        }
        d->hw.write32(d->hw.ctx, off, (uint32_t)v);
        d->hw.write32(d->hw.ctx, off + 4, (uint32_t)(v >> 32));
        return;
    }
    d->hw.write64(d->hw.ctx, off, v);
}

bool drv_poll(riommu_drv *d, uint32_t off, unsigned size, uint64_t mask, uint64_t want,
              unsigned interval_us, uint64_t timeout_us, uint64_t *last)
{
    uint64_t start = d->hw.now_us(d->hw.ctx);
    for (unsigned n = 0;; n++) {
        uint64_t v = size == 8 ? drv_r64(d, off) : drv_r32(d, off);
        if (last)
            *last = v;
        if ((v & mask) == want)
            return true;
        if (d->hw.now_us(d->hw.ctx) - start >= timeout_us)
            return false;
        /* Linux's "no delay" polls spin; simulated hardware still needs
         * time to pass, so spin in 1 us steps, coarser after a while. */
        unsigned us = interval_us ? interval_us : (n < 1000 ? 1u : 100u);
        d->hw.delay_us(d->hw.ctx, us);
    }
}

/* ---- command queue (linux §1.6) ---------------------------------------------- */

/* Reserve a slot, wait for space, write, publish, ring the doorbell. */
static bool queue_send(riommu_drv *d, uint64_t d0, uint64_t d1, uint32_t *index)
{
    drv_queue *q = &d->cq;
    uint32_t prod = q->prod++;
    uint32_t head = q->head;
    *index = prod;
    if (prod - head > q->mask) {
        /* Another producer would have to move the shadow head; with one
         * caller it cannot, so this is the enqueue timeout (linux §1.6
         * step 2: the spin lasts 150 ms). Only reachable after a v10
         * "hole": mainline never leaves one. */
        d->hw.delay_us(d->hw.ctx, (uint32_t)DRV_QUEUE_TIMEOUT_US);
        goto timeout;
    }
    if (prod - head == q->mask) {
        /* Full: wait for cqh to move (sane value, different from head). */
        uint64_t start = d->hw.now_us(d->hw.ctx);
        for (unsigned n = 0;; n++) {
            uint32_t h = drv_r32(d, RIOMMU_REG_CQH);
            if (!(h & ~q->mask) && h != (q->head & q->mask)) {
                q->head += (h - (q->head & q->mask)) & q->mask;
                break;
            }
            if (d->cfg.policy.stop_wait_on_cq_error &&
                (drv_r32(d, RIOMMU_REG_CQCSR) &
                 (RIOMMU_CQCSR_CQMF | RIOMMU_CQCSR_CMD_TO | RIOMMU_CQCSR_CMD_ILL)))
                goto timeout;
            if (d->hw.now_us(d->hw.ctx) - start >= DRV_QUEUE_TIMEOUT_US)
                goto timeout;
            d->hw.delay_us(d->hw.ctx, n < 1000 ? 1u : 100u);
        }
    }
    if (q->tail != prod) {
        /* linux §1.6 step 4: publish in reservation order. An earlier v10
         * send that failed left a hole that is never published, so this
         * wait times out (150 ms) and fails as well. */
        d->hw.delay_us(d->hw.ctx, (uint32_t)DRV_QUEUE_TIMEOUT_US);
        goto timeout;
    }
    {
        uint64_t *slot = (uint64_t *)((char *)q->mem.cpu + (size_t)(prod & q->mask) * 16u);
        slot[0] = d0;
        slot[1] = d1;
        /* Write barrier: the entry is visible before the doorbell. */
        drv_publish(d, slot, &q->mem, 16);
        drv_w32(d, RIOMMU_REG_CQT, (prod + 1) & q->mask);
        q->tail++;
        d->st.commands++;
        d->st.cmd_by_op[d0 & 7]++;
        return true;
    }
timeout:
    drv_event(d, RIOMMU_DRV_EV_ENQUEUE_TIMEOUT, prod);
    if (d->cfg.policy.stop_wait_on_cq_error) {
        /* Mainline: a failed enqueue leaves no hole behind. */
        q->prod--;
    }
    return false;
}

void drv_cmd(riommu_drv *d, uint64_t d0, uint64_t d1)
{
    uint32_t idx;
    queue_send(d, d0, d1, &idx);
}

void riommu_drv_cmd_submit(riommu_drv *d, uint64_t d0, uint64_t d1) { drv_cmd(d, d0, d1); }

uint32_t riommu_drv_cq_errors(riommu_drv *d)
{
    return drv_r32(d, RIOMMU_REG_CQCSR) & (RIOMMU_CQCSR_CQMF | RIOMMU_CQCSR_CMD_TO |
                                           RIOMMU_CQCSR_CMD_ILL | RIOMMU_CQCSR_FENCE_W_IP);
}

/* IOFENCE.C PR|PW and wait until cqh passes it (linux §1.6 cmd_sync). */
riommu_drv_err riommu_drv_cmd_sync(riommu_drv *d, uint64_t timeout_us)
{
    drv_queue *q = &d->cq;
    uint32_t idx;
    d->st.fences++;
    if (!queue_send(d, RIOMMU_CMD_OP_IOFENCE | RIOMMU_IOFENCE_PR | RIOMMU_IOFENCE_PW, 0,
                    &idx)) {
        /* Mainline ("avoid waiting on failed command enqueue"): give up. */
        if (d->cfg.policy.stop_wait_on_cq_error)
            return RIOMMU_DRV_EIO;
        /* v10 (linux §1.6 step 9): the failed send still returns its slot
         * and cmd_sync waits for a fence that was never published, until
         * the timeout. */
    }
    if (!timeout_us)
        return RIOMMU_DRV_OK;
    uint64_t start = d->hw.now_us(d->hw.ctx);
    for (unsigned n = 0;; n++) {
        uint32_t h = drv_r32(d, RIOMMU_REG_CQH);
        uint32_t pos = q->head + ((h - (q->head & q->mask)) & q->mask);
        if ((int32_t)(pos - idx) > 0)
            return RIOMMU_DRV_OK;
        if (d->cfg.policy.stop_wait_on_cq_error) {
            uint32_t csr = drv_r32(d, RIOMMU_REG_CQCSR);
            if (csr & (RIOMMU_CQCSR_CQMF | RIOMMU_CQCSR_CMD_TO | RIOMMU_CQCSR_CMD_ILL)) {
                drv_event(d, RIOMMU_DRV_EV_CQ_ERROR, csr);
                return RIOMMU_DRV_EIO;
            }
        }
        if (d->hw.now_us(d->hw.ctx) - start >= timeout_us) {
            drv_event(d, RIOMMU_DRV_EV_EXEC_TIMEOUT, idx);
            return RIOMMU_DRV_ETIMEDOUT;
        }
        d->hw.delay_us(d->hw.ctx, n < 1000 ? 1u : 100u);
    }
}

riommu_drv_err drv_sync(riommu_drv *d) { return riommu_drv_cmd_sync(d, DRV_FENCE_TIMEOUT_US); }

void drv_inval_ddt(riommu_drv *d, bool dv, uint32_t did)
{
    uint64_t d0 = RIOMMU_CMD_OP_IODIR;
    if (dv)
        d0 |= RIOMMU_IODIR_DV | RIOMMU_FIELD_PREP(RIOMMU_IODIR_DID, did);
    drv_cmd(d, d0, 0);
}

void drv_inval_vma(riommu_drv *d, bool pscv, uint32_t pscid, bool av, uint64_t iova)
{
    uint64_t d0 = RIOMMU_CMD_OP_IOTINVAL, d1 = 0;
    if (pscv)
        d0 |= RIOMMU_IOTINVAL_PSCV | RIOMMU_FIELD_PREP(RIOMMU_IOTINVAL_PSCID, pscid);
    if (av) {
        d0 |= RIOMMU_IOTINVAL_AV;
        d1 = ((iova >> 12) << 10) & RIOMMU_IOTINVAL_ADDR;
    }
    drv_cmd(d, d0, d1);
}

void drv_inval_gvma_scope(riommu_drv *d, uint32_t gscid)
{
    drv_cmd(d, RIOMMU_CMD_OP_IOTINVAL | RIOMMU_IOTINVAL_GV |
                   RIOMMU_FIELD_PREP(RIOMMU_IOTINVAL_GSCID, gscid),
            0);
}

/* ---- queues: allocation, enable, disable (linux §1.4) ------------------------- */

static void queue_setup(drv_queue *q, unsigned qid)
{
    memset(q, 0, sizeof *q);
    q->qid = qid;
    if (qid == RIOMMU_INTR_CQ) {
        q->base_off = RIOMMU_REG_CQB;
        q->head_off = RIOMMU_REG_CQH;
        q->tail_off = RIOMMU_REG_CQT;
        q->csr_off = RIOMMU_REG_CQCSR;
        q->entry = RIOMMU_CMD_SIZE;
    } else {
        q->base_off = RIOMMU_REG_FQB;
        q->head_off = RIOMMU_REG_FQH;
        q->tail_off = RIOMMU_REG_FQT;
        q->csr_off = RIOMMU_REG_FQCSR;
        q->entry = RIOMMU_FQ_REC_SIZE;
    }
}

static riommu_drv_err queue_alloc(riommu_drv *d, drv_queue *q, unsigned want)
{
    drv_w64(d, q->base_off, RIOMMU_QB_LOG2SZ);
    uint64_t qb = drv_r64(d, q->base_off);
    unsigned hw = (unsigned)(qb & RIOMMU_QB_LOG2SZ);
    unsigned logsz = want < hw ? want : hw;
    uint64_t ppn = RIOMMU_FIELD_GET(qb, RIOMMU_QB_PPN);
    if (ppn) {
        size_t sz = (size_t)q->entry << (logsz + 1);
        if (!d->hw.map_phys || !d->hw.map_phys(d->hw.ctx, ppn << 12, sz, &q->mem))
            return RIOMMU_DRV_ENOMEM;
        q->fixed = true;
    } else {
        for (;;) {
            size_t sz = (size_t)q->entry << (logsz + 1);
            size_t align = sz < 4096 ? 4096 : sz;
            if (d->hw.alloc(d->hw.ctx, sz, align, &q->mem))
                break;
            if (logsz == 0)
                return RIOMMU_DRV_ENOMEM;
            logsz--;
        }
        q->allocated = true;
    }
    uint64_t base = ((q->mem.pa >> 2) & RIOMMU_QB_PPN) | logsz;
    drv_w64(d, q->base_off, base);
    if (drv_r64(d, q->base_off) != base)
        return RIOMMU_DRV_ENODEV; /* "queue allocation failed" */
    q->mask = (uint32_t)((2ull << logsz) - 1);
    return RIOMMU_DRV_OK;
}

static void queue_free(riommu_drv *d, drv_queue *q)
{
    if (q->allocated)
        d->hw.free(d->hw.ctx, &q->mem);
    q->allocated = false;
}

static riommu_drv_err queue_enable(riommu_drv *d, drv_queue *q)
{
    q->vector = (unsigned)(d->icvec >> (4 * q->qid)) & 0xFu;
    if (d->cfg.policy.empty_queue_before_enable) {
        /* 6.14: the software-owned index starts empty. */
        if (q->qid == RIOMMU_INTR_CQ)
            drv_w32(d, RIOMMU_REG_CQT, 0);
        else
            drv_w32(d, RIOMMU_REG_FQH, 0);
    }
    q->prod = q->head = q->tail = 0;
    drv_w32(d, q->csr_off, RIOMMU_CQCSR_CQEN | RIOMMU_CQCSR_CIE | RIOMMU_CQCSR_CQMF);
    uint64_t csr = 0;
    drv_poll(d, q->csr_off, 4, RIOMMU_CQCSR_BUSY, 0, DRV_POLL_US, DRV_QCSR_TIMEOUT_US, &csr);
    if ((csr & (RIOMMU_CQCSR_CQON | RIOMMU_CQCSR_BUSY | RIOMMU_CQCSR_CQMF)) !=
        RIOMMU_CQCSR_CQON) {
        drv_w32(d, q->csr_off, 0);
        return RIOMMU_DRV_EBUSY;
    }
    drv_w32(d, RIOMMU_REG_IPSR, 1u << q->qid);
    q->enabled = true;
    return RIOMMU_DRV_OK;
}

static void queue_disable(riommu_drv *d, drv_queue *q)
{
    if (!q->enabled)
        return;
    drv_w32(d, q->csr_off, 0);
    drv_poll(d, q->csr_off, 4, RIOMMU_CQCSR_BUSY, 0, DRV_POLL_US, DRV_QCSR_TIMEOUT_US, NULL);
    q->enabled = false;
}

/* ---- interrupts (linux §1.5) -------------------------------------------------- */

static void cq_thread(riommu_drv *d)
{
    uint32_t csr = drv_r32(d, RIOMMU_REG_CQCSR);
    if (csr & (RIOMMU_CQCSR_CQMF | RIOMMU_CQCSR_CMD_TO | RIOMMU_CQCSR_CMD_ILL |
               RIOMMU_CQCSR_FENCE_W_IP)) {
        drv_w32(d, RIOMMU_REG_CQCSR, csr); /* W1C the errors, keep EN/IE */
        drv_event(d, RIOMMU_DRV_EV_CQ_ERROR, csr);
    }
    drv_w32(d, RIOMMU_REG_IPSR, RIOMMU_IPSR_CIP);
}

/* "consume": records available between the shadow head and tail. */
static uint32_t fq_consume(riommu_drv *d)
{
    drv_queue *q = &d->fq;
    if (q->tail - q->head)
        return q->tail - q->head;
    uint64_t t = 0;
    if (!drv_poll(d, RIOMMU_REG_FQT, 4, ~(uint64_t)q->mask & 0xFFFFFFFFull, 0, 0,
                  DRV_QUEUE_TIMEOUT_US, &t)) {
        drv_event(d, RIOMMU_DRV_EV_QUEUE_TIMEOUT, t);
        return 0;
    }
    uint32_t moved = ((uint32_t)t - (q->tail & q->mask)) & q->mask;
    q->tail += moved;
    return q->tail - q->head;
}

static unsigned fq_thread(riommu_drv *d)
{
    drv_queue *q = &d->fq;
    unsigned total = 0;
    drv_w32(d, RIOMMU_REG_IPSR, RIOMMU_IPSR_FIP); /* first: later faults re-raise */
    for (;;) {
        uint32_t n = fq_consume(d);
        if (!n)
            break;
        for (uint32_t i = 0; i < n; i++) {
            uint32_t slot = (q->head + i) & q->mask;
            const uint64_t *rec = (const uint64_t *)((const char *)q->mem.cpu + slot * 32u);
            d->hw.sync_for_cpu(d->hw.ctx, q->mem.pa + slot * 32u, 32);
            uint64_t hdr = rec[0];
            riommu_drv_event ev;
            memset(&ev, 0, sizeof ev);
            ev.kind = RIOMMU_DRV_EV_FAULT;
            ev.rec.cause = (uint16_t)RIOMMU_FIELD_GET(hdr, RIOMMU_FQ_HDR_CAUSE);
            ev.rec.pid = (uint32_t)RIOMMU_FIELD_GET(hdr, RIOMMU_FQ_HDR_PID);
            ev.rec.pv = hdr & RIOMMU_FQ_HDR_PV;
            ev.rec.priv = hdr & RIOMMU_FQ_HDR_PRIV;
            ev.rec.ttyp = (uint8_t)RIOMMU_FIELD_GET(hdr, RIOMMU_FQ_HDR_TTYP);
            ev.rec.did = (uint32_t)RIOMMU_FIELD_GET(hdr, RIOMMU_FQ_HDR_DID);
            ev.rec.iotval = rec[2];
            ev.rec.iotval2 = rec[3];
            d->st.faults_drained++;
            if (ev.rec.cause && d->cfg.event)
                d->cfg.event(d->cfg.event_ctx, &ev);
        }
        q->head += n;
        drv_w32(d, RIOMMU_REG_FQH, q->head & q->mask);
        total += n;
    }
    uint32_t csr = drv_r32(d, RIOMMU_REG_FQCSR);
    if (csr & (RIOMMU_FQCSR_FQMF | RIOMMU_FQCSR_FQOF)) {
        drv_w32(d, RIOMMU_REG_FQCSR, csr);
        drv_event(d, RIOMMU_DRV_EV_FQ_ERROR, csr);
    }
    return total;
}

unsigned riommu_drv_process(riommu_drv *d)
{
    unsigned n = 0;
    if (!d->cfg.policy.polling && d->hw.irq_pending) {
        uint32_t pend = d->hw.irq_pending(d->hw.ctx);
        if (!pend)
            return 0;
        d->hw.irq_ack(d->hw.ctx, pend);
    }
    /* Hard IRQ: each handler checks its own ipsr bit (shared lines). */
    uint32_t ipsr = drv_r32(d, RIOMMU_REG_IPSR);
    if (ipsr & RIOMMU_IPSR_CIP) {
        d->st.irqs_handled++;
        cq_thread(d);
    }
    if (ipsr & RIOMMU_IPSR_FIP) {
        d->st.irqs_handled++;
        n += fq_thread(d);
    }
    return n;
}

/* ---- init (linux §1.1-1.2) ------------------------------------------------------ */

static riommu_drv_err set_icvec(riommu_drv *d)
{
    unsigned n = d->irqs;
    if (n < 1)
        return RIOMMU_DRV_EINVAL;
    uint64_t v = RIOMMU_FIELD_PREP(RIOMMU_ICVEC_CIV, 0) |
                 RIOMMU_FIELD_PREP(RIOMMU_ICVEC_FIV, 1 % n) |
                 RIOMMU_FIELD_PREP(RIOMMU_ICVEC_PIV, 2 % n) |
                 RIOMMU_FIELD_PREP(RIOMMU_ICVEC_PMIV, 3 % n);
    drv_w64(d, RIOMMU_REG_ICVEC, v);
    d->icvec = drv_r64(d, RIOMMU_REG_ICVEC);
    for (unsigned f = 0; f < 4; f++)
        if (((d->icvec >> (4 * f)) & 0xF) >= n)
            return RIOMMU_DRV_EINVAL;
    return RIOMMU_DRV_OK;
}

static riommu_drv_err init_check(riommu_drv *d)
{
    uint64_t ddtp = drv_r64(d, RIOMMU_REG_DDTP);
    if (ddtp & RIOMMU_DDTP_BUSY)
        return RIOMMU_DRV_EBUSY;
    if ((ddtp & RIOMMU_DDTP_MODE) > RIOMMU_DDTP_MODE_BARE) {
        if (!d->cfg.kdump)
            return RIOMMU_DRV_EBUSY;
        /* kdump: best-effort disable, nothing polled. */
        drv_w64(d, RIOMMU_REG_DDTP,
                d->cfg.policy.shutdown_to_bare ? RIOMMU_DDTP_MODE_BARE : RIOMMU_DDTP_MODE_OFF);
        drv_w32(d, RIOMMU_REG_CQCSR, 0);
        drv_w32(d, RIOMMU_REG_FQCSR, 0);
        drv_w32(d, RIOMMU_REG_PQCSR, 0);
    }
    /* The CPU is little-endian (RISC-V); fctl.BE must match. */
    if (d->fctl & RIOMMU_FCTL_BE) {
        if (!(d->caps & RIOMMU_CAP_END))
            return RIOMMU_DRV_EINVAL;
        drv_w32(d, RIOMMU_REG_FCTL, d->fctl ^ RIOMMU_FCTL_BE);
        d->fctl = drv_r32(d, RIOMMU_REG_FCTL);
        if (d->fctl & RIOMMU_FCTL_BE)
            return RIOMMU_DRV_EINVAL;
    }
    return set_icvec(d);
}

static void drv_destroy(riommu_drv *d)
{
    queue_free(d, &d->cq);
    queue_free(d, &d->fq);
    drv_ddt_free(d);
    drv_free(d, d->pscid_map);
    drv_free(d, d);
}

riommu_drv_err riommu_drv_init(const riommu_hw_ops *hw, const riommu_drv_heap *heap,
                               const riommu_drv_config *cfg, riommu_drv **out)
{
    *out = NULL;
    if (!hw || !heap || !cfg || !heap->zalloc || !heap->free || !heap->phys_to_virt ||
        !hw->read32 || !hw->read64 || !hw->write32 || !hw->write64 || !hw->alloc ||
        !hw->free || !hw->sync_to_device || !hw->sync_for_cpu || !hw->delay_us ||
        !hw->now_us)
        return RIOMMU_DRV_EINVAL;
    riommu_drv *d = heap->zalloc(heap->ctx, sizeof *d);
    if (!d)
        return RIOMMU_DRV_ENOMEM;
    d->hw = *hw;
    d->heap = *heap;
    d->cfg = *cfg;
    d->pscid_map = drv_zalloc(d, (1u << 20) / 8);
    if (!d->pscid_map) {
        drv_free(d, d);
        return RIOMMU_DRV_ENOMEM;
    }
    d->pscid_map[0] = 1; /* PSCID 0 belongs to identity contexts */
    d->identity.drv = d->blocked.drv = d;
    d->identity.kind = RIOMMU_DRV_DOM_IDENTITY;
    d->blocked.kind = RIOMMU_DRV_DOM_BLOCKED;
    queue_setup(&d->cq, RIOMMU_INTR_CQ);
    queue_setup(&d->fq, RIOMMU_INTR_FQ);

    /* Bus front-end (linux §1.1). */
    d->caps = drv_r64(d, RIOMMU_REG_CAPABILITIES);
    d->fctl = drv_r32(d, RIOMMU_REG_FCTL);
    unsigned igs = (unsigned)RIOMMU_FIELD_GET(d->caps, RIOMMU_CAP_IGS);
    riommu_drv_err e = RIOMMU_DRV_OK;
    d->irqs = cfg->irqs > 4 ? 4 : cfg->irqs;
    if (cfg->bus == RIOMMU_DRV_BUS_PCI) {
        if (igs != RIOMMU_IGS_MSI && igs != RIOMMU_IGS_BOTH)
            e = RIOMMU_DRV_ENODEV;
        else if (d->fctl & RIOMMU_FCTL_WSI) {
            d->fctl &= ~RIOMMU_FCTL_WSI;
            drv_w32(d, RIOMMU_REG_FCTL, d->fctl);
        }
    } else {
        if (igs != RIOMMU_IGS_WSI && igs != RIOMMU_IGS_BOTH)
            e = RIOMMU_DRV_ENODEV;
        else if (!d->irqs)
            e = RIOMMU_DRV_ENODEV;
        else if (!(d->fctl & RIOMMU_FCTL_WSI)) {
            d->fctl |= RIOMMU_FCTL_WSI;
            drv_w32(d, RIOMMU_REG_FCTL, d->fctl);
        }
    }
    /* Common init (linux §1.2). */
    if (!e)
        e = init_check(d);
    if (!e)
        e = drv_ddt_alloc(d);
    if (!e)
        e = queue_alloc(d, &d->cq, cfg->cq_log2sz);
    if (!e)
        e = queue_alloc(d, &d->fq, cfg->fq_log2sz);
    if (!e)
        e = queue_enable(d, &d->cq);
    if (!e) {
        e = queue_enable(d, &d->fq);
        if (e)
            queue_disable(d, &d->cq);
    }
    if (!e) {
        e = drv_ddt_set_mode(d, RIOMMU_DDTP_MODE_3LVL);
        if (e) {
            /* linux §1.2 step 8: only a failure after the mode is set
             * (registration) sets it back to Off; a failed set_mode goes
             * straight to disabling the FQ, then the CQ. */
            queue_disable(d, &d->fq);
            queue_disable(d, &d->cq);
        }
    }
    if (e) {
        drv_destroy(d);
        return e;
    }
    *out = d;
    return RIOMMU_DRV_OK;
}

void riommu_drv_remove(riommu_drv *d)
{
    if (!d)
        return;
    drv_ddt_set_mode(d, RIOMMU_DDTP_MODE_OFF);
    queue_disable(d, &d->cq);
    queue_disable(d, &d->fq);
    drv_destroy(d);
}

void riommu_drv_shutdown(riommu_drv *d)
{
    if (!d)
        return;
    drv_w64(d, RIOMMU_REG_DDTP,
            d->cfg.policy.shutdown_to_bare ? RIOMMU_DDTP_MODE_BARE : RIOMMU_DDTP_MODE_OFF);
    drv_w32(d, RIOMMU_REG_CQCSR, 0);
    drv_w32(d, RIOMMU_REG_FQCSR, 0);
    drv_w32(d, RIOMMU_REG_PQCSR, 0);
    drv_destroy(d);
}

uint64_t riommu_drv_caps(const riommu_drv *d) { return d->caps; }
unsigned riommu_drv_ddt_mode(const riommu_drv *d) { return d->ddt_mode; }
uint64_t riommu_drv_icvec(const riommu_drv *d) { return d->icvec; }
void riommu_drv_get_stats(const riommu_drv *d, riommu_drv_stats *out) { *out = d->st; }
