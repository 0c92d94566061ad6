// mem_slave.h - AXI4 slave on the DUT's memory port (m_mem_*), over a
// SparseMem image, with realistic bus behaviour:
//
//  * latency: each response becomes eligible lat_min..lat_max cycles after
//    its request (a write: after its last data beat);
//  * back-pressure: each cycle awready, wready and arready are each high
//    with probability ready_pct %;
//  * reordering: among eligible responses of different IDs a random one is
//    chosen (per ID, AXI order is kept); `reordered()` counts the choices
//    that overtook an older response;
//  * INCR bursts (and FIXED/WRAP treated as INCR) of up to 16 beats of up to
//    8 bytes; write data honours wstrb;
//  * error_ranges: [base, base+size) answered with SLVERR (access fault);
//  * observers: called for every completed write (after its last beat, with
//    the strobed bytes) and every accepted read; nothing is built when there
//    are none.
// All randomness comes from one generator seeded with `seed`.
#ifndef RIOMMU_RTL_MEM_SLAVE_H
#define RIOMMU_RTL_MEM_SLAVE_H

#include <cstdint>
#include <deque>
#include <functional>
#include <random>
#include <vector>

#include "bus_model.h"
#include "pins.h"
#include "sparse_mem.h"

namespace rh {

struct MemSlaveConfig {
    unsigned lat_min = 1;    // cycles, >= 1
    unsigned lat_max = 1;    // cycles, >= lat_min
    unsigned ready_pct = 100; // 0..100 (0 is treated as 1: never stalls forever)
    bool reorder = false;
    uint64_t seed = 1;
    struct Range {
        uint64_t base, size;
    };
    std::vector<Range> error_ranges;
};

// One memory-port transaction as an observer sees it.
struct MemAccess {
    bool write = false;
    uint64_t addr = 0;        // awaddr / araddr as presented
    unsigned id = 0;
    unsigned beats = 0;
    unsigned size = 0;        // bytes per beat
    bool translated = false;  // user[0]: forwarded device traffic
    uint64_t first_byte = 0;  // writes: address of the first strobed byte
    std::vector<uint8_t> data; // writes: strobed bytes from first_byte on
    uint64_t cycle = 0;
};

class MemSlave final : public BusModel {
public:
    MemSlave(const AxiPins &p, const MemSlaveConfig &cfg);

    SparseMem &mem() { return mem_; }
    void add_observer(std::function<void(const MemAccess &)> fn)
    {
        obs_.push_back(std::move(fn));
    }
    uint64_t reordered() const { return reordered_; }
    uint64_t stalls() const { return stalls_; }
    uint64_t writes() const { return writes_; }
    uint64_t reads() const { return reads_; }

    void reset() override;
    void drive(uint64_t cycle) override;
    void sample(uint64_t cycle) override;
    bool idle() const override;

private:
    struct Req {
        uint64_t addr;
        unsigned id, size, len;
        bool user;
        uint64_t due;
        unsigned beat;
        unsigned resp;
        uint64_t seq;
    };
    unsigned latency();
    unsigned resp_for(uint64_t addr, unsigned bytes) const;
    uint64_t beat_addr(const Req &r, unsigned beat) const;
    // Index in q of the response to send now, or -1.
    int pick(std::deque<Req> &q, uint64_t cycle);
    void finish_write(Req &aw, uint64_t cycle);

    AxiPins p_;
    MemSlaveConfig cfg_;
    std::mt19937_64 rng_;
    SparseMem mem_;
    std::vector<std::function<void(const MemAccess &)>> obs_;

    std::deque<Req> aw_;  // accepted, data not complete
    std::deque<Req> b_;   // data complete, response owed
    std::deque<Req> ar_;  // accepted, beats owed
    int b_cur_ = -1, r_cur_ = -1; // response being presented
    bool awready_ = false, wready_ = false, arready_ = false;
    MemAccess wacc_;      // bytes of the write burst in progress
    uint64_t seq_ = 0;
    uint64_t reordered_ = 0, stalls_ = 0, writes_ = 0, reads_ = 0;
};

} // namespace rh

#endif
