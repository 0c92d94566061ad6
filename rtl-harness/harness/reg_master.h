// reg_master.h - AXI4 master on the DUT's register port (s_reg_*).
//
// One access at a time, single beats: 4 bytes (awsize 2, data in the lane of
// addr[2], strobes 0x0f or 0xf0) or 8 bytes (awsize 3, 8-byte aligned).
// AW and W are presented together and each held until accepted.
#ifndef RIOMMU_RTL_REG_MASTER_H
#define RIOMMU_RTL_REG_MASTER_H

#include "bus_model.h"
#include "pins.h"

namespace rh {

class RegMaster final : public BusModel {
public:
    explicit RegMaster(const AxiPins &p) : p_(p) {}

    // Start an access; false if one is in progress or size/offset is bad.
    bool start_write(uint32_t off, unsigned size, uint64_t val);
    bool start_read(uint32_t off, unsigned size);
    bool busy() const { return st_ != IDLE; }
    // Result of the last completed access.
    uint64_t rdata() const { return rdata_; }
    unsigned resp() const { return resp_; }

    void reset() override;
    void drive(uint64_t cycle) override;
    void sample(uint64_t cycle) override;
    bool idle() const override { return !busy(); }

private:
    enum State { IDLE, WRITE, WAIT_B, READ, WAIT_R };
    AxiPins p_;
    State st_ = IDLE;
    uint32_t off_ = 0;
    unsigned size_ = 0;
    uint64_t wval_ = 0, rdata_ = 0;
    unsigned resp_ = 0;
    bool aw_done_ = false, w_done_ = false;
    unsigned id_ = 0;
};

} // namespace rh

#endif
