// rtl_backend.cpp - riommu_backend_ops over the harness (rtl_backend.h).
// The ops only convert types and forward; event classification lives in
// EventTap, the one piece of logic the contract leaves to the harness.
#include "riommu/rtl_backend.h"

#include <cstdio>
#include <cstring>
#include <deque>
#include <map>
#include <string>

#include "dut_factory.h"
#include "harness.h"
#include "riommu/riommu_bits.h"

namespace {

// Classifies IOMMU-originated memory-port writes by the queue and MSI
// addresses software programmed (snooped from mmio writes).
class EventTap {
public:
    void mmio_write(uint32_t off, unsigned size, uint64_t val)
    {
        for (unsigned b = 0; b < size; b++)
            shadow_[(off + b) & 0xfff] = static_cast<uint8_t>(val >> (8 * b));
    }
    void on_write(const rh::MemAccess &m)
    {
        if (m.translated)
            return;
        riommu_event e;
        std::memset(&e, 0, sizeof e);
        e.addr = m.first_byte;
        e.len = static_cast<uint32_t>(m.data.size() > sizeof e.data ? sizeof e.data
                                                                      : m.data.size());
        std::memcpy(e.data, m.data.data(), e.len);
        e.clock = m.cycle;
        uint64_t rec_base = 0;
        if (in_queue(RIOMMU_REG_FQB, 32, e.addr, &rec_base)) {
            record(RIOMMU_EV_FAULT_RECORD, rec_base, 32, m);
            return;
        }
        if (in_queue(RIOMMU_REG_PQB, 16, e.addr, &rec_base)) {
            record(RIOMMU_EV_PQ_RECORD, rec_base, 16, m);
            return;
        }
        if (is_msi_addr(e.addr) && e.len == 4)
            e.kind = RIOMMU_EV_MSI;
        else if (e.len == 4)
            e.kind = RIOMMU_EV_FENCE_DATA;
        else
            e.kind = RIOMMU_EV_AD_UPDATE;
        ev_.push_back(e);
    }
    // `cycle`: the cycle whose rising edge changed wsi.
    void on_wsi(uint16_t was, uint16_t now, uint64_t cycle)
    {
        for (unsigned v = 0; v < 16; v++) {
            if (((was ^ now) >> v & 1) == 0)
                continue;
            riommu_event e;
            std::memset(&e, 0, sizeof e);
            e.kind = RIOMMU_EV_WIRE;
            e.addr = v;
            e.len = 1;
            e.clock = cycle;
            e.data[0] = static_cast<uint8_t>(now >> v & 1);
            ev_.push_back(e);
        }
    }
    size_t take(riommu_event *out, size_t max)
    {
        size_t n = 0;
        while (n < max && !ev_.empty()) {
            out[n++] = ev_.front();
            ev_.pop_front();
        }
        return n;
    }

private:
    uint64_t reg64(uint32_t off) const
    {
        uint64_t v = 0;
        for (int b = 7; b >= 0; b--)
            v = (v << 8) | shadow_[off + static_cast<unsigned>(b)];
        return v;
    }
    // Queue base registers: LOG2SZ-1 in [4:0], PPN in [53:10]. *rec_base
    // gets the address of the record slot holding `a`.
    bool in_queue(uint32_t reg, unsigned rec, uint64_t a, uint64_t *rec_base) const
    {
        uint64_t v = reg64(reg);
        if (v == 0)
            return false;
        uint64_t base = ((v >> 10) & ((1ull << 44) - 1)) << 12;
        uint64_t size = static_cast<uint64_t>(rec) << ((v & 0x1f) + 1);
        if (a < base || a - base >= size)
            return false;
        *rec_base = base + (a - base) / rec * rec;
        return true;
    }
    // A record is one event however the DUT writes it (one burst, or one
    // beat per 8 bytes, as rtl-harness/dut does): bytes are gathered per
    // slot and the event is queued when every byte of the slot was written.
    struct Partial {
        uint8_t data[32];
        uint32_t have; // bit per byte
    };
    void record(riommu_ev_kind kind, uint64_t first, unsigned rec, const rh::MemAccess &m)
    {
        for (size_t i = 0; i < m.data.size(); i++) {
            uint64_t a = m.first_byte + i;
            uint64_t slot = first + (a - first) / rec * rec;
            Partial &p = partial_[slot];
            p.data[a - slot] = m.data[i];
            p.have |= 1u << (a - slot);
            if (a - slot == rec - 1 || i + 1 == m.data.size())
                complete(kind, slot, rec, m.cycle);
        }
    }
    // `cycle`: of the write that completed the record.
    void complete(riommu_ev_kind kind, uint64_t slot, unsigned rec, uint64_t cycle)
    {
        Partial &p = partial_[slot];
        uint32_t full = rec == 32 ? 0xffffffffu : (1u << rec) - 1;
        if (p.have != full)
            return;
        riommu_event e;
        std::memset(&e, 0, sizeof e);
        e.kind = kind;
        e.addr = slot;
        e.len = rec;
        e.clock = cycle;
        std::memcpy(e.data, p.data, rec);
        ev_.push_back(e);
        partial_.erase(slot);
    }
    std::map<uint64_t, Partial> partial_;
    bool is_msi_addr(uint64_t a) const
    {
        for (unsigned i = 0; i < 16; i++) {
            uint64_t m = reg64(RIOMMU_REG_MSI_ADDR(i));
            if (m != 0 && m == a)
                return true;
        }
        return false;
    }
    uint8_t shadow_[4096] = {};
    std::deque<riommu_event> ev_;
};

struct RtlBackend {
    std::unique_ptr<rh::Harness> h;
    EventTap tap;
    unsigned quiet_cycles = 64;
    bool want_pa = false; // capture the next translated address
    bool have_pa = false;
    uint64_t pa = 0;
    // The last settle ended quiet and only register reads came since (no
    // register in the map has a read side effect: spec iommu_registers):
    // the DUT cannot have started anything, so the next settle is free.
    bool settled = false;
    std::string err;
};

RtlBackend *self(void *ctx) { return static_cast<RtlBackend *>(ctx); }

int failed(RtlBackend *b)
{
    b->err = b->h->error().text;
    return -1;
}

void b_caps(void *, riommu_backend_caps *c)
{
    std::memset(c, 0, sizeof *c);
    c->dma = c->dma_exec = c->process_id = c->priv = true;
    c->reports_pa = c->reports_cause = c->events = c->cycles = true;
    c->reports_latency = true;
}

int b_mmio_read(void *ctx, uint32_t off, unsigned size, uint64_t *val)
{
    RtlBackend *b = self(ctx);
    return b->h->reg_read(off, size, val) ? 0 : failed(b);
}

int b_mmio_write(void *ctx, uint32_t off, unsigned size, uint64_t val)
{
    RtlBackend *b = self(ctx);
    b->settled = false;
    b->tap.mmio_write(off, size, val);
    return b->h->reg_write(off, size, val) ? 0 : failed(b);
}

int b_mem_write(void *ctx, uint64_t pa, const void *buf, size_t len)
{
    self(ctx)->settled = false;
    self(ctx)->h->mem().mem().write(pa, buf, len);
    return 0;
}

int b_mem_read(void *ctx, uint64_t pa, void *buf, size_t len)
{
    self(ctx)->h->mem().mem().read(pa, buf, len);
    return 0;
}

int b_dma(void *ctx, const riommu_request *req, void *buf, riommu_response *rsp)
{
    RtlBackend *b = self(ctx);
    b->settled = false;
    std::memset(rsp, 0, sizeof *rsp);
    // Not representable on the device port: answered here, as the model does.
    if (req->device_id >> 24 || req->process_id >> 20 || req->len == 0) {
        rsp->status = RIOMMU_RSP_BAD_REQUEST;
        return 0;
    }
    uint8_t *data = static_cast<uint8_t *>(buf);
    uint32_t done = 0;
    bool first = true;
    // latency: the beats go one after another; from the first's issue to
    // the last response (riommu_backend_caps.reports_latency)
    const uint64_t t0 = b->h->cycle();
    while (done < req->len) {
        uint64_t a = req->iova + done;
        unsigned n = 8 - static_cast<unsigned>(a & 7);
        if (n > req->len - done)
            n = req->len - done;
        rh::DevReq d;
        d.write = req->access == RIOMMU_WRITE;
        d.exec = req->access == RIOMMU_EXEC;
        d.priv = req->priv;
        d.pv = req->pv;
        d.process_id = req->process_id;
        d.device_id = req->device_id;
        d.addr = a;
        d.len = n;
        if (d.write)
            for (unsigned i = 0; i < n; i++)
                d.wdata |= uint64_t(data[done + i]) << (8 * ((a + i) & 7));
        b->want_pa = first;
        b->have_pa = false;
        rh::DevRsp r;
        if (!b->h->dev_access(d, &r))
            return failed(b);
        b->want_pa = false;
        rsp->cycles = static_cast<uint32_t>(b->h->cycle() - t0);
        if (r.resp == rh::AXI_DECERR) {
            rsp->status = RIOMMU_RSP_BAD_REQUEST;
            return 0;
        }
        if (r.resp != rh::AXI_OKAY) {
            rsp->status = RIOMMU_RSP_FAULT;
            rsp->cause = static_cast<uint16_t>(r.cause);
            rsp->pa = 0;
            return 0;
        }
        if (first)
            rsp->pa = b->have_pa ? b->pa : 0;
        if (!d.write)
            for (unsigned i = 0; i < n; i++)
                data[done + i] = static_cast<uint8_t>(r.rdata >> (8 * ((a + i) & 7)));
        first = false;
        done += n;
    }
    rsp->status = RIOMMU_RSP_OK;
    rsp->cycles = static_cast<uint32_t>(b->h->cycle() - t0);
    return 0;
}

uint64_t b_settle(void *ctx)
{
    RtlBackend *b = self(ctx);
    rh::Harness &h = *b->h;
    if (b->settled && h.quiet() && !h.failed())
        return 0;
    uint64_t start = h.cycle();
    uint64_t quiet_since = start;
    h.run_until(
        [&] {
            if (!h.quiet())
                quiet_since = h.cycle();
            return h.cycle() - quiet_since >= b->quiet_cycles;
        },
        "m_mem", "settle");
    if (h.failed())
        b->err = h.error().text;
    else
        b->settled = true;
    return h.cycle() - start;
}

size_t b_events(void *ctx, riommu_event *out, size_t max)
{
    return self(ctx)->tap.take(out, max);
}

void b_destroy(void *ctx)
{
    delete self(ctx);
}

const char *b_last_error(void *ctx)
{
    return self(ctx)->err.c_str();
}

// The harness cycle: the time base of the FST file (harness.h "Time").
uint64_t b_clock(void *ctx)
{
    return self(ctx)->h->cycle();
}

} // namespace

extern "C" int riommu_rtl_dut_check(const riommu_rtl_dut *dut, const riommu_config *cfg,
                                     unsigned mutant, char *why, size_t whylen)
{
    if (!dut) {
        std::snprintf(why, whylen, "no DUT given");
        return -1;
    }
    if (!dut->configure) {
        if (mutant) {
            std::snprintf(why, whylen, "DUT %s has no mutants", dut->name);
            return -1;
        }
        return 0;
    }
    return dut->configure(nullptr, cfg, mutant, why, whylen);
}

extern "C" int riommu_rtl_backend_create(const riommu_rtl_config *cfg, riommu_backend_ops *out,
                                         char *err, size_t errlen)
{
    if (!cfg || !cfg->dut || !out) {
        std::snprintf(err, errlen, "rtl backend: no DUT given");
        return -1;
    }
    rh::HarnessConfig hc;
    hc.wave = cfg->wave ? cfg->wave : "";
    hc.reset_cycles = cfg->reset_cycles ? cfg->reset_cycles : 8;
    hc.watchdog_cycles = cfg->watchdog_cycles ? cfg->watchdog_cycles : 100000;
    hc.mem.lat_min = cfg->mem_lat_min ? cfg->mem_lat_min : 1;
    hc.mem.lat_max = cfg->mem_lat_max ? cfg->mem_lat_max : hc.mem.lat_min;
    hc.mem.ready_pct = cfg->mem_ready_pct ? cfg->mem_ready_pct : 100;
    hc.mem.reorder = cfg->mem_reorder != 0;
    hc.mem.seed = cfg->seed;
    hc.dev_seed = cfg->seed ^ 0x5eed;

    std::unique_ptr<RtlBackend> b(new RtlBackend);
    b->quiet_cycles = cfg->settle_quiet_cycles ? cfg->settle_quiet_cycles : 64;
    const riommu_rtl_dut *dut = cfg->dut;
    if (riommu_rtl_dut_check(dut, cfg->model, cfg->mutant, err, errlen) < 0)
        return -1;
    rh::DutFactory make = dut->make;
    if (dut->configure && (cfg->model || cfg->mutant)) {
        const riommu_config *model = cfg->model;
        unsigned mutant = cfg->mutant;
        make = [dut, model, mutant](VerilatedContext *vc) {
            std::unique_ptr<rh::Dut> d = dut->make(vc);
            char why[8];
            // checked above: cannot fail
            (void)dut->configure(d.get(), model, mutant, why, sizeof why);
            return d;
        };
    }
    b->h.reset(new rh::Harness(make, hc));
    RtlBackend *raw = b.get();
    b->h->mem().add_observer([raw](const rh::MemAccess &m) {
        if (m.translated && raw->want_pa && !raw->have_pa) {
            raw->pa = m.addr;
            raw->have_pa = true;
        }
        if (m.write)
            raw->tap.on_write(m);
    });
    b->h->add_wsi_observer([raw](uint16_t was, uint16_t now) {
        raw->tap.on_wsi(was, now, raw->h->cycle() - 1);
    });
    if (b->h->error().kind == rh::HarnessError::SETUP) {
        std::snprintf(err, errlen, "%s", b->h->error().text.c_str());
        return -1;
    }
    if (!b->h->reset()) {
        std::snprintf(err, errlen, "rtl backend (%s): reset failed: %s", cfg->dut->name,
                      b->h->error().text.c_str());
        return -1;
    }
    std::memset(out, 0, sizeof *out);
    out->name = "rtl";
    out->ctx = b.release();
    out->caps = b_caps;
    out->mmio_read = b_mmio_read;
    out->mmio_write = b_mmio_write;
    out->mem_write = b_mem_write;
    out->mem_read = b_mem_read;
    out->dma = b_dma;
    out->settle = b_settle;
    out->events = b_events;
    out->destroy = b_destroy;
    out->last_error = b_last_error;
    out->clock = b_clock;
    return 0;
}
