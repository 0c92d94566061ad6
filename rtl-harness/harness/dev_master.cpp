// dev_master.cpp - see dev_master.h.
#include "dev_master.h"

namespace rh {

DevMaster::DevMaster(const AxiPins &p, unsigned ready_pct, uint64_t seed)
    : p_(p), ready_pct_(ready_pct == 0 ? 1 : ready_pct > 100 ? 100 : ready_pct), rng_(seed)
{
}

uint64_t DevMaster::issue(const DevReq &r)
{
    uint64_t tag = next_tag_++;
    todo_.emplace_back(tag, r);
    rsp_[tag] = DevRsp{};
    return tag;
}

void DevMaster::reset()
{
    todo_.clear();
    wait_b_.clear();
    wait_r_.clear();
    aw_done_ = w_done_ = false;
    const AxiPins &p = p_;
    p.awvalid.set(0);
    p.wvalid.set(0);
    p.arvalid.set(0);
    p.bready.set(0);
    p.rready.set(0);
}

bool DevMaster::idle() const
{
    if (!todo_.empty())
        return false;
    for (const auto &kv : wait_b_)
        if (!kv.second.empty())
            return false;
    for (const auto &kv : wait_r_)
        if (!kv.second.empty())
            return false;
    return true;
}

void DevMaster::drive(uint64_t)
{
    const AxiPins &p = p_;
    bready_ = rng_() % 100 < ready_pct_;
    rready_ = rng_() % 100 < ready_pct_;
    p.bready.set(bready_);
    p.rready.set(rready_);
    const DevReq *r = todo_.empty() ? nullptr : &todo_.front().second;
    unsigned lane = r ? static_cast<unsigned>(r->addr & 7) : 0;
    unsigned strb = r ? ((1u << r->len) - 1) << lane : 0;
    p.awvalid.set(r && r->write && !aw_done_);
    p.wvalid.set(r && r->write && !w_done_);
    p.arvalid.set(r && !r->write);
    if (!r)
        return;
    if (r->write) {
        p.awaddr.set(r->addr);
        p.awid.set(r->id);
        p.awsize.set(3);
        p.awlen.set(0);
        p.awuser.set(r->user());
        p.wdata.set(r->wdata);
        p.wstrb.set(strb & 0xff);
        p.wlast.set(1);
    } else {
        p.araddr.set(r->addr);
        p.arid.set(r->id);
        p.arsize.set(3);
        p.arlen.set(0);
        p.aruser.set(r->user());
    }
}

void DevMaster::sample(uint64_t cycle)
{
    const AxiPins &p = p_;
    if (!todo_.empty()) {
        const auto &t = todo_.front();
        if (t.second.write) {
            aw_done_ |= p.awvalid.get() && p.awready.get();
            w_done_ |= p.wvalid.get() && p.wready.get();
            if (aw_done_ && w_done_) {
                wait_b_[t.second.id].push_back(t.first);
                todo_.pop_front();
                aw_done_ = w_done_ = false;
            }
        } else if (p.arvalid.get() && p.arready.get()) {
            wait_r_[t.second.id].push_back(t.first);
            todo_.pop_front();
        }
    }
    // Responses nobody asked for are the checker's business; ignore here.
    if (p.bvalid.get() && bready_) {
        auto &q = wait_b_[static_cast<unsigned>(p.bid.get())];
        if (!q.empty()) {
            DevRsp &r = rsp_[q.front()];
            r.done = true;
            r.resp = static_cast<unsigned>(p.bresp.get());
            r.cause = static_cast<unsigned>(p.buser.get() & 0xfff);
            r.cycle = cycle;
            q.pop_front();
        }
    }
    if (p.rvalid.get() && rready_) {
        auto &q = wait_r_[static_cast<unsigned>(p.rid.get())];
        if (!q.empty()) {
            DevRsp &r = rsp_[q.front()];
            r.done = true;
            r.resp = static_cast<unsigned>(p.rresp.get());
            r.cause = static_cast<unsigned>(p.ruser.get() & 0xfff);
            r.rdata = p.rdata.get();
            r.cycle = cycle;
            q.pop_front();
        }
    }
}

} // namespace rh
