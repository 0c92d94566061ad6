/*
 * timing.c - the cycle-approximate timing layer (DESIGN.md §2.5,
 * docs/timing.md). The functional code calls these helpers in the same
 * place it does the work it costs: a translation takes a translation slot
 * (tm_xlate_begin/end), each cache lookup a slot of that cache (tm_cache),
 * each table walk a walker slot (tm_walk_begin/end), each implicit memory
 * access timing.mem_lat (tm_mem). A cursor, m->tm.t, carries the cycle the
 * costed work has reached; the functional work itself runs at once.
 *
 * Two kinds of slot pools:
 *   - held pools (translation and walker slots): one busy-until cycle per
 *     slot. Work takes the slot that frees first, at max(cursor, busy-until),
 *     and holds it until it completes; so work is served in issue order and
 *     queues once every slot is taken.
 *   - port pools (cache lookup slots): a lookup's length is known (lat, or
 *     n * lat for an invalidation scan), so each slot keeps its future
 *     reservations as intervals and a lookup takes the earliest gap that
 *     fits, even before a lookup reserved earlier for a later cycle.
 * Reservations never lie before m->now, so intervals ending at or before
 * m->now are dropped when a port is used: the results do not depend on how
 * the clock got to m->now (riommu_step by one cycle or by many).
 */
#include "internal.h"

#include <stdlib.h>

static void pool_cfg(riommu *m, riommu_cache_id id, const riommu_cache_config *c)
{
    tm_pool *k = &m->tm.cache[id];
    bool present = c->enable && c->entries && c->lat && id != RIOMMU_CACHE_PDTC;
    k->slots = present ? c->slots : 0;
    k->lat = c->lat;
}

bool timing_init(riommu *m)
{
    riommu_timing *tm = &m->tm;
    memset(tm, 0, sizeof *tm);
    tm->on = m->cfg.timing.enable;
    if (!tm->on)
        return true;
    tm->nxlate = m->cfg.timing.xlate_slots;
    tm->nptw = m->cfg.timing.ptw_slots;
    tm->xlate = calloc(tm->nxlate, sizeof *tm->xlate);
    tm->ptw = calloc(tm->nptw, sizeof *tm->ptw);
    bool ok = tm->xlate && tm->ptw;
    pool_cfg(m, RIOMMU_CACHE_DDTC, &m->cfg.ddtc);
    pool_cfg(m, RIOMMU_CACHE_PDTC, &m->cfg.pdtc);
    pool_cfg(m, RIOMMU_CACHE_IOTLB, &m->cfg.iotlb);
    pool_cfg(m, RIOMMU_CACHE_WALKC, &m->cfg.walkc);
    for (unsigned i = 0; i < 4; i++) {
        tm_pool *k = &tm->cache[i];
        if (k->slots) {
            k->port = calloc(k->slots, sizeof *k->port);
            ok = ok && k->port;
        }
    }
    if (!ok)
        timing_free(m);
    return ok;
}

void timing_free(riommu *m)
{
    riommu_timing *tm = &m->tm;
    free(tm->xlate);
    free(tm->ptw);
    for (unsigned i = 0; i < 4; i++)
        free(tm->cache[i].port);
    memset(tm, 0, sizeof *tm);
}

void timing_reset(riommu *m)
{
    riommu_timing *tm = &m->tm;
    if (!tm->on)
        return;
    memset(tm->xlate, 0, tm->nxlate * sizeof *tm->xlate);
    memset(tm->ptw, 0, tm->nptw * sizeof *tm->ptw);
    for (unsigned i = 0; i < 4; i++)
        if (tm->cache[i].port)
            memset(tm->cache[i].port, 0, tm->cache[i].slots * sizeof(tm_port));
    tm->horizon = 0;
    tm->epoch++;
}

/* ---- held pools ------------------------------------------------------------ */

static unsigned first_free(const uint64_t *busy, unsigned n)
{
    unsigned best = 0;
    for (unsigned i = 1; i < n; i++)
        if (busy[i] < busy[best])
            best = i;
    return best;
}

/* tm_xlate_begin (internal.h) when reservations are still running: take
 * the translation slot that frees first and wait for it. */
void tm_xlate_begin_busy(riommu *m)
{
    riommu_timing *tm = &m->tm;
    uint64_t now = m->now;
    tm->arrival = now;
    tm->quiet = false;
    unsigned k = first_free(tm->xlate, tm->nxlate);
    uint64_t busy = 0;
    for (unsigned i = 0; i < tm->nxlate; i++)
        busy += tm->xlate[i] > now;
    uint64_t held = busy < tm->nxlate ? busy + 1 : tm->nxlate;
    if (held > m->st.xlate_max_inflight)
        m->st.xlate_max_inflight = held;
    uint64_t start = tm->xlate[k] > now ? tm->xlate[k] : now;
    m->st.xlate_wait_cycles += start - now;
    tm->xslot = k;
    /* Held from now on; the completion is written by tm_xlate_end. */
    tm->xlate[k] = UINT64_MAX;
    tm->t = start + m->cfg.timing.xlate_lat;
}

uint32_t tm_xlate_hit_busy(riommu *m)
{
    tm_xlate_begin(m);
    tm_cache(m, RIOMMU_CACHE_DDTC);
    tm_cache(m, RIOMMU_CACHE_IOTLB);
    return tm_xlate_end(m);
}

unsigned tm_walk_begin(riommu *m)
{
    riommu_timing *tm = &m->tm;
    if (!tm->on)
        return 0;
    m->st.ptw_walks++;
    if (tm->quiet) {
        /* Nothing else in flight: this translation's own walks follow one
         * another, so slot 0 is free. */
        tm->ptw[0] = UINT64_MAX;
        return 0;
    }
    unsigned k = first_free(tm->ptw, tm->nptw);
    if (tm->ptw[k] > tm->t) {
        m->st.ptw_wait_cycles += tm->ptw[k] - tm->t;
        tm->t = tm->ptw[k];
    }
    tm->ptw[k] = UINT64_MAX;
    return k;
}

void tm_walk_end(riommu *m, unsigned slot)
{
    if (m->tm.on)
        m->tm.ptw[slot] = m->tm.t;
}

/* ---- port pools ------------------------------------------------------------ */

/* Earliest s >= t with [s, s + len) free in port p. */
static uint64_t port_fit(const tm_port *p, uint64_t t, uint64_t len)
{
    uint64_t s = t;
    for (uint32_t i = 0; i < p->n; i++) {
        if (p->iv[i].end <= s)
            continue;
        if (p->iv[i].start >= s + len)
            break;
        s = p->iv[i].end;
    }
    return s;
}

static void port_prune(tm_port *p, uint64_t now)
{
    if (p->n && p->iv[p->n - 1].end <= now) { /* sorted: every one is over */
        p->n = 0;
        return;
    }
    uint32_t k = 0;
    while (k < p->n && p->iv[k].end <= now)
        k++;
    if (k) {
        memmove(p->iv, p->iv + k, (p->n - k) * sizeof p->iv[0]);
        p->n -= k;
    }
}

/* A full port closes its smallest gap: it then looks busy a little longer
 * than it is (deterministic; docs/timing.md "Limits"). */
static void port_compact(tm_port *p)
{
    uint32_t g = 0;
    uint64_t gap = UINT64_MAX;
    for (uint32_t j = 0; j + 1 < p->n; j++)
        if (p->iv[j + 1].start - p->iv[j].end < gap) {
            gap = p->iv[j + 1].start - p->iv[j].end;
            g = j;
        }
    p->iv[g].end = p->iv[g + 1].end;
    memmove(p->iv + g + 1, p->iv + g + 2, (p->n - g - 2) * sizeof p->iv[0]);
    p->n--;
}

/* Insert [s, e), which port_fit found free; the port is not full. */
static void port_insert(tm_port *p, uint64_t s, uint64_t e)
{
    uint32_t i = 0;
    while (i < p->n && p->iv[i].start < s)
        i++;
    /* Touching neighbours merge, so back-to-back lookups take one entry. */
    bool left = i > 0 && p->iv[i - 1].end == s;
    bool right = i < p->n && p->iv[i].start == e;
    if (left && right) {
        p->iv[i - 1].end = p->iv[i].end;
        memmove(p->iv + i, p->iv + i + 1, (p->n - i - 1) * sizeof p->iv[0]);
        p->n--;
        return;
    }
    if (left) {
        p->iv[i - 1].end = e;
        return;
    }
    if (right) {
        p->iv[i].start = s;
        return;
    }
    memmove(p->iv + i + 1, p->iv + i, (p->n - i) * sizeof p->iv[0]);
    p->iv[i].start = s;
    p->iv[i].end = e;
    p->n++;
}

void tm_cache_slow(riommu *m, riommu_cache_id id, uint64_t n)
{
    riommu_timing *tm = &m->tm;
    tm_pool *k = &tm->cache[id];
    if (!tm->on || !k->slots || !n)
        return;
    uint64_t len = n * k->lat;
    uint64_t t = tm->t, best = UINT64_MAX;
    unsigned bi = 0;
    for (unsigned i = 0; i < k->slots; i++) {
        tm_port *p = &k->port[i];
        if (p->epoch != tm->epoch) {
            p->epoch = tm->epoch;
            p->n = 0;
        } else {
            port_prune(p, m->now);
        }
        if (p->n == TM_PORT_CAP)
            port_compact(p);
        uint64_t s = port_fit(p, t, len);
        if (s < best) {
            best = s;
            bi = i;
            if (s == t)
                break;
        }
    }
    port_insert(&k->port[bi], best, best + len);
    m->st.cache_wait_cycles += best - t;
    tm->t = best + len;
    tm_horizon(tm, tm->t);
}

/* ---- what is in flight ------------------------------------------------------- */

uint64_t tm_inflight_until(const riommu *m)
{
    const riommu_timing *tm = &m->tm;
    uint64_t t = 0;
    for (unsigned i = 0; i < tm->nxlate; i++)
        if (tm->xlate[i] > t)
            t = tm->xlate[i];
    return t;
}

double riommu_cycles_to_ns(const riommu *m, uint64_t cycles)
{
    return (double)cycles * 1000.0 / (double)m->cfg.timing.clock_mhz;
}

void tm_fault(riommu *m, bool record)
{
    riommu_timing *tm = &m->tm;
    tm->t += m->cfg.timing.fault_lat;
    if (!record)
        return;
    if (tm->fq_free > tm->t) {
        m->st.fq_wait_cycles += tm->fq_free - tm->t;
        tm->t = tm->fq_free; /* the writer takes it when the last is written */
    }
    tm->fq_free = tm->t + tm_mem_cost(m, 32);
    if (tm->fq_free > tm->horizon)
        tm->horizon = tm->fq_free; /* settle waits for the write */
}
