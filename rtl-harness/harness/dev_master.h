// dev_master.h - AXI4 master on the DUT's device port (s_dev_*): issues
// device reads and writes with the contract's sideband and collects their
// responses with the fault cause.
//
// Sideband (a*user[46:0]): exec[46], priv[45], pv[44], process_id[43:24],
// device_id[23:0]. A request is one beat of up to 8 bytes within one
// 8-byte word: addr is the first byte, awsize/arsize 3, write strobes cover
// exactly the bytes [addr, addr+len). Requests are issued in order; any
// number may be outstanding (the DUT answers per ID in order). A response's
// user[11:0] is the cause when resp is SLVERR.
#ifndef RIOMMU_RTL_DEV_MASTER_H
#define RIOMMU_RTL_DEV_MASTER_H

#include <cstdint>
#include <deque>
#include <map>
#include <random>

#include "bus_model.h"
#include "pins.h"

namespace rh {

struct DevReq {
    bool write = false;
    unsigned id = 0;           // AXI ID, 0..15
    uint64_t addr = 0;         // IOVA of the first byte
    unsigned len = 8;          // 1..8, within one 8-byte word
    uint64_t wdata = 0;        // writes: bytes in their lanes (byte addr&7 = lane)
    bool exec = false, priv = false, pv = false;
    uint32_t process_id = 0;   // 20 bits
    uint32_t device_id = 0;    // 24 bits
    uint64_t user() const
    {
        return (uint64_t(exec) << 46) | (uint64_t(priv) << 45) | (uint64_t(pv) << 44) |
               (uint64_t(process_id & 0xfffff) << 24) | (device_id & 0xffffff);
    }
};

struct DevRsp {
    bool done = false;
    unsigned resp = 0;   // AXI resp
    unsigned cause = 0;  // user[11:0]
    uint64_t rdata = 0;  // reads: the 8-byte word, bytes in their lanes
    uint64_t cycle = 0;  // completion cycle
};

class DevMaster final : public BusModel {
public:
    // `ready_pct`: probability that bready/rready is high in a cycle.
    DevMaster(const AxiPins &p, unsigned ready_pct, uint64_t seed);

    // Queue a request; returns a tag for result(). False-free: validation of
    // len/word crossing is the caller's (the backend splits requests).
    uint64_t issue(const DevReq &r);
    const DevRsp &result(uint64_t tag) const { return rsp_.at(tag); }
    bool done(uint64_t tag) const { return rsp_.at(tag).done; }
    void forget(uint64_t tag) { rsp_.erase(tag); }

    void reset() override;
    void drive(uint64_t cycle) override;
    void sample(uint64_t cycle) override;
    bool idle() const override;

private:
    AxiPins p_;
    unsigned ready_pct_;
    std::mt19937_64 rng_;
    std::deque<std::pair<uint64_t, DevReq>> todo_;
    bool aw_done_ = false, w_done_ = false;
    std::map<unsigned, std::deque<uint64_t>> wait_b_, wait_r_; // id -> tags
    std::map<uint64_t, DevRsp> rsp_;
    uint64_t next_tag_ = 1;
    bool bready_ = false, rready_ = false;
};

} // namespace rh

#endif
