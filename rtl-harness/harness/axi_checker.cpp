// axi_checker.cpp - see axi_checker.h.
#include "axi_checker.h"

#include <algorithm>
#include <cstdio>
#include <utility>

namespace rh {

std::string Violation::text() const
{
    return "AXI protocol violation on port " + port + ", rule " + rule + ", cycle " +
           std::to_string(cycle) + (detail.empty() ? "" : ": " + detail);
}

static std::string hex(uint64_t v)
{
    char b[24];
    std::snprintf(b, sizeof b, "0x%llx", static_cast<unsigned long long>(v));
    return b;
}

AxiChecker::AxiChecker(std::string port, const AxiPins &pins, unsigned max_len)
    : port_(std::move(port)), p_(pins), max_len_(max_len)
{
    const AxiPins &p = p_;
    ch_.push_back({"aw", p.awvalid, p.awready,
                   {p.awaddr, p.awid, p.awsize, p.awlen, p.awburst, p.awuser}, false, false, {}});
    ch_.push_back({"w", p.wvalid, p.wready, {p.wdata, p.wstrb, p.wlast}, false, false, {}});
    ch_.push_back({"b", p.bvalid, p.bready, {p.bid, p.bresp, p.buser}, false, false, {}});
    ch_.push_back({"ar", p.arvalid, p.arready,
                   {p.araddr, p.arid, p.arsize, p.arlen, p.arburst, p.aruser}, false, false, {}});
    ch_.push_back({"r", p.rvalid, p.rready,
                   {p.rdata, p.rid, p.rresp, p.rlast, p.ruser}, false, false, {}});
    for (Channel &c : ch_)
        c.prev.assign(c.payload.size(), 0);
}

void AxiChecker::reset()
{
    for (Channel &c : ch_) {
        c.pv = c.pr = false; // prev is written before it is compared again
        std::fill(c.prev.begin(), c.prev.end(), 0);
    }
    aw_open_.clear();
    w_early_.clear();
    w_beats_ = 0;
    b_owed_.clear();
    r_owed_.clear();
    owed_ = 0;
}

size_t AxiChecker::outstanding() const
{
    return aw_open_.size() + owed_;
}

void AxiChecker::add(const char *rule, uint64_t cycle, std::string detail)
{
    v_.push_back({port_, rule, cycle, std::move(detail)});
}

void AxiChecker::check_channel(Channel &c, uint64_t cycle)
{
    // Called for every channel of every port each cycle, so it does no
    // allocation and reads the payload only when a rule can look at it: in
    // a cycle after valid && !ready (compared) and in a cycle with valid &&
    // !ready (kept for the next one).
    bool v = c.valid.get() != 0;
    bool r = c.ready.get() != 0;
    if (c.pv && !c.pr) {
        bool changed = false;
        for (size_t i = 0; v && i < c.payload.size(); i++)
            changed |= c.payload[i].get() != c.prev[i];
        if (!v)
            add("valid-dropped", cycle,
                std::string(c.name) + "valid fell without " + c.name + "ready");
        else if (changed)
            add("payload-changed", cycle,
                std::string(c.name) + " payload changed while " + c.name +
                    "valid && !" + c.name + "ready");
    }
    if (v && !r)
        for (size_t i = 0; i < c.payload.size(); i++)
            c.prev[i] = c.payload[i].get();
    c.pv = v;
    c.pr = r;
}

void AxiChecker::check_addr(const char *ch, uint64_t addr, unsigned size, unsigned len,
                            unsigned burst, uint64_t cycle)
{
    if (size > 3)
        add("size-too-wide", cycle, std::string(ch) + "size " + std::to_string(size));
    if (len > max_len_)
        add("burst-too-long", cycle,
            std::string(ch) + "len " + std::to_string(len) + " > " + std::to_string(max_len_));
    uint64_t bytes = static_cast<uint64_t>(len + 1) << (size > 3 ? 3 : size);
    uint64_t start = addr & ~((1ull << (size > 3 ? 3 : size)) - 1);
    if (burst == 1 && (start >> 12) != ((start + bytes - 1) >> 12))
        add("burst-crosses-4k", cycle,
            std::string(ch) + "addr " + hex(addr) + " + " + std::to_string(bytes) + " bytes");
}

void AxiChecker::sample(uint64_t cycle)
{
    for (Channel &c : ch_)
        check_channel(c, cycle);

    const AxiPins &p = p_;
    // Bursts absent on a port (no *burst wire) are INCR.
    auto burst_of = [](const Sig &s) { return s.present() ? static_cast<unsigned>(s.get()) : 1u; };

    if (p.awvalid.get() && p.awready.get()) {
        unsigned len = static_cast<unsigned>(p.awlen.get());
        check_addr("aw", p.awaddr.get(), static_cast<unsigned>(p.awsize.get()), len,
                   burst_of(p.awburst), cycle);
        unsigned id = static_cast<unsigned>(p.awid.get());
        if (!w_early_.empty()) {
            if (w_early_.front() != len + 1)
                add("wlast-early", cycle, "write burst of " + std::to_string(w_early_.front()) +
                                              " beats for awlen " + std::to_string(len));
            w_early_.pop_front();
            b_owed_[id]++;
            owed_++;
        } else {
            aw_open_.push_back({id, len}); // B owed once the data completes
        }
    }
    if (p.wvalid.get() && p.wready.get()) {
        bool last = p.wlast.get() != 0;
        ++w_beats_;
        if (!aw_open_.empty()) {
            unsigned len = aw_open_.front().len;
            unsigned id = aw_open_.front().id;
            if (w_beats_ == len + 1 && !last)
                add("wlast-missing", cycle, "beat " + std::to_string(w_beats_) + " of " +
                                                std::to_string(len + 1) + " without wlast");
            if (last && w_beats_ < len + 1)
                add("wlast-early", cycle, "wlast on beat " + std::to_string(w_beats_) + " of " +
                                              std::to_string(len + 1));
            if (last || w_beats_ >= len + 1) {
                aw_open_.pop_front();
                b_owed_[id]++;
                owed_++;
                w_beats_ = 0;
            }
        } else if (last) {
            w_early_.push_back(w_beats_);
            w_beats_ = 0;
        }
    }
    if (p.bvalid.get() && p.bready.get()) {
        unsigned id = static_cast<unsigned>(p.bid.get());
        auto it = b_owed_.find(id);
        if (it == b_owed_.end() || it->second == 0)
            add("b-without-request", cycle, "bid " + std::to_string(id));
        else {
            it->second--;
            owed_--;
        }
    }
    if (p.arvalid.get() && p.arready.get()) {
        unsigned len = static_cast<unsigned>(p.arlen.get());
        check_addr("ar", p.araddr.get(), static_cast<unsigned>(p.arsize.get()), len,
                   burst_of(p.arburst), cycle);
        r_owed_[static_cast<unsigned>(p.arid.get())].push_back({len, 0});
        owed_++;
    }
    if (p.rvalid.get() && p.rready.get()) {
        unsigned id = static_cast<unsigned>(p.rid.get());
        auto it = r_owed_.find(id);
        if (it == r_owed_.end() || it->second.empty()) {
            add("r-without-request", cycle, "rid " + std::to_string(id));
        } else {
            Burst &b = it->second.front();
            bool last = p.rlast.get() != 0;
            bool final_beat = b.beats == b.len;
            if (last != final_beat)
                add("rlast-mismatch", cycle,
                    "rid " + std::to_string(id) + " beat " + std::to_string(b.beats + 1) + " of " +
                        std::to_string(b.len + 1) + (last ? " with rlast" : " without rlast"));
            if (last || final_beat) {
                it->second.pop_front();
                owed_--;
            }
            else
                b.beats++;
        }
    }
}

} // namespace rh
