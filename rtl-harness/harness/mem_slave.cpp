// mem_slave.cpp - see mem_slave.h.
#include "mem_slave.h"

#include <algorithm>
#include <map>

namespace rh {

MemSlave::MemSlave(const AxiPins &p, const MemSlaveConfig &cfg)
    : p_(p), cfg_(cfg), rng_(cfg.seed)
{
    if (cfg_.lat_min < 1)
        cfg_.lat_min = 1;
    if (cfg_.lat_max < cfg_.lat_min)
        cfg_.lat_max = cfg_.lat_min;
    if (cfg_.ready_pct == 0)
        cfg_.ready_pct = 1;
    if (cfg_.ready_pct > 100)
        cfg_.ready_pct = 100;
}

unsigned MemSlave::latency()
{
    if (cfg_.lat_max == cfg_.lat_min)
        return cfg_.lat_min;
    return cfg_.lat_min + static_cast<unsigned>(rng_() % (cfg_.lat_max - cfg_.lat_min + 1));
}

unsigned MemSlave::resp_for(uint64_t addr, unsigned bytes) const
{
    for (const MemSlaveConfig::Range &r : cfg_.error_ranges)
        if (addr < r.base + r.size && addr + bytes > r.base)
            return AXI_SLVERR;
    return AXI_OKAY;
}

uint64_t MemSlave::beat_addr(const Req &r, unsigned beat) const
{
    uint64_t bytes = 1ull << r.size;
    return beat == 0 ? r.addr : (r.addr & ~(bytes - 1)) + beat * bytes;
}

void MemSlave::reset()
{
    aw_.clear();
    b_.clear();
    ar_.clear();
    b_cur_ = r_cur_ = -1;
    awready_ = wready_ = arready_ = false;
    wacc_ = MemAccess{};
    const AxiPins &p = p_;
    p.awready.set(0);
    p.wready.set(0);
    p.arready.set(0);
    p.bvalid.set(0);
    p.rvalid.set(0);
}

bool MemSlave::idle() const
{
    return aw_.empty() && b_.empty() && ar_.empty();
}

int MemSlave::pick(std::deque<Req> &q, uint64_t cycle)
{
    // Eligible: due, and the oldest entry of its ID (per-ID order).
    std::vector<int> ok;
    std::map<unsigned, bool> seen;
    for (size_t i = 0; i < q.size(); i++) {
        if (seen[q[i].id])
            continue;
        seen[q[i].id] = true;
        if (q[i].due <= cycle)
            ok.push_back(static_cast<int>(i));
    }
    if (ok.empty())
        return -1;
    int i = ok[0];
    if (cfg_.reorder && ok.size() > 1)
        i = ok[rng_() % ok.size()];
    if (i != 0)
        reordered_++;
    return i;
}

void MemSlave::drive(uint64_t cycle)
{
    const AxiPins &p = p_;
    auto coin = [this] { return rng_() % 100 < cfg_.ready_pct; };
    awready_ = coin();
    wready_ = coin() && !aw_.empty(); // W after its AW (the DUT may not lead)
    arready_ = coin();
    p.awready.set(awready_);
    p.wready.set(wready_);
    p.arready.set(arready_);

    if (b_cur_ < 0)
        b_cur_ = pick(b_, cycle);
    p.bvalid.set(b_cur_ >= 0);
    if (b_cur_ >= 0) {
        p.bid.set(b_[b_cur_].id);
        p.bresp.set(b_[b_cur_].resp);
    }
    if (r_cur_ < 0)
        r_cur_ = pick(ar_, cycle);
    p.rvalid.set(r_cur_ >= 0);
    if (r_cur_ >= 0) {
        const Req &r = ar_[r_cur_];
        uint64_t a = beat_addr(r, r.beat);
        p.rid.set(r.id);
        p.rdata.set(mem_.read64(a & ~7ull));
        p.rresp.set(resp_for(a, 1u << r.size));
        p.rlast.set(r.beat == r.len);
    }
}

void MemSlave::finish_write(Req &aw, uint64_t cycle)
{
    writes_++;
    aw.due = cycle + latency();
    b_.push_back(aw);
    if (!obs_.empty()) {
        wacc_.write = true;
        wacc_.addr = aw.addr;
        wacc_.id = aw.id;
        wacc_.beats = aw.len + 1;
        wacc_.size = 1u << aw.size;
        wacc_.translated = aw.user;
        wacc_.cycle = cycle;
        for (auto &fn : obs_)
            fn(wacc_);
    }
    wacc_ = MemAccess{};
}

void MemSlave::sample(uint64_t cycle)
{
    const AxiPins &p = p_;
    if (awready_ && !p.awvalid.get())
        ; // nothing offered
    else if (!awready_ && p.awvalid.get())
        stalls_++;
    if (p.awvalid.get() && awready_) {
        Req r{p.awaddr.get(), static_cast<unsigned>(p.awid.get()),
              static_cast<unsigned>(std::min<uint64_t>(p.awsize.get(), 3)),
              static_cast<unsigned>(p.awlen.get()), (p.awuser.get() & 1) != 0, 0, 0,
              AXI_OKAY, seq_++};
        aw_.push_back(r);
    }
    if (p.wvalid.get() && wready_ && !aw_.empty()) {
        Req &aw = aw_.front();
        uint64_t a = beat_addr(aw, aw.beat) & ~7ull;
        uint64_t d = p.wdata.get();
        unsigned strb = static_cast<unsigned>(p.wstrb.get());
        for (unsigned i = 0; i < 8; i++) {
            if (!(strb >> i & 1))
                continue;
            uint8_t byte = static_cast<uint8_t>(d >> (8 * i));
            if (resp_for(a + i, 1) != AXI_OKAY) {
                aw.resp = AXI_SLVERR;
                continue;
            }
            mem_.write(a + i, &byte, 1);
            if (!obs_.empty()) {
                if (wacc_.data.empty())
                    wacc_.first_byte = a + i;
                // Gaps in the strobes are filled with the image's bytes.
                while (wacc_.first_byte + wacc_.data.size() < a + i) {
                    uint8_t g;
                    mem_.read(wacc_.first_byte + wacc_.data.size(), &g, 1);
                    wacc_.data.push_back(g);
                }
                wacc_.data.push_back(byte);
            }
        }
        // The checker reports a missing/early wlast; here the AW length rules.
        if (aw.beat == aw.len) {
            Req done = aw;
            aw_.pop_front();
            finish_write(done, cycle);
        } else {
            aw.beat++;
        }
    }
    if (p.arvalid.get() && arready_) {
        reads_++;
        Req r{p.araddr.get(), static_cast<unsigned>(p.arid.get()),
              static_cast<unsigned>(std::min<uint64_t>(p.arsize.get(), 3)),
              static_cast<unsigned>(p.arlen.get()), (p.aruser.get() & 1) != 0,
              cycle + latency(), 0, AXI_OKAY, seq_++};
        ar_.push_back(r);
        if (!obs_.empty()) {
            MemAccess m;
            m.addr = r.addr;
            m.id = r.id;
            m.beats = r.len + 1;
            m.size = 1u << r.size;
            m.translated = r.user;
            m.cycle = cycle;
            for (auto &fn : obs_)
                fn(m);
        }
    }
    if (b_cur_ >= 0 && p.bready.get()) {
        b_.erase(b_.begin() + b_cur_);
        b_cur_ = -1;
    }
    if (r_cur_ >= 0 && p.rready.get()) {
        Req &r = ar_[r_cur_];
        if (r.beat == r.len) {
            ar_.erase(ar_.begin() + r_cur_);
            r_cur_ = -1;
        } else {
            r.beat++;
        }
    }
}

} // namespace rh
