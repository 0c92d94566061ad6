// bus_model.h - what the controller needs from every bus-functional model.
//
// Per cycle the controller calls drive() on every model, evaluates the DUT,
// then sample() on every model, then clocks the DUT. A model changes its
// outputs only in drive() and looks at handshakes only in sample(), so its
// outputs behave like flops and the order of models does not matter.
#ifndef RIOMMU_RTL_BUS_MODEL_H
#define RIOMMU_RTL_BUS_MODEL_H

#include <cstdint>

namespace rh {

class BusModel {
public:
    virtual ~BusModel() = default;
    virtual void reset() = 0;                // drop everything, outputs idle
    virtual void drive(uint64_t cycle) = 0;  // set outputs for this cycle
    virtual void sample(uint64_t cycle) = 0; // see handshakes of this cycle
    virtual bool idle() const = 0;           // nothing queued or in flight
};

} // namespace rh

#endif
