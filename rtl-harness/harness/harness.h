// harness.h - the controller: owns the VerilatedContext, the DUT, the bus
// models and a protocol checker per port, and drives clock, reset,
// waveform dumping and the watchdog.
//
// Does: one clock domain; per cycle drive -> eval -> sample -> rising edge
// (bus_model.h); reset held `reset_cycles` (>= 8) cycles with all bus models
// idle; FST dump of every cycle when `wave` is set; a watchdog on every
// blocking operation. Does not: multiple clocks, X-propagation, DPI.
//
// Time: cycle() counts rising edges since construction (reset included);
// every cycle number the harness reports (violations, errors, memory
// accesses, the rtl backend's clock) is on it. In the FST file cycle N
// starts at N ns and its rising edge is at N.5 ns (a 1 ns clock), when the
// design's time precision is 1 ps..100 ps (Verilator's default is 1 ps);
// with a coarser precision cycle N starts at time 2N.
//
// Errors are data (HarnessError, Violation); nothing aborts the process.
// A blocking operation returns false on a watchdog expiry or when a protocol
// violation has been seen; error() then says which port, what and when.
// A waveform that cannot be written is a SETUP error from the constructor
// on: reset() and every blocking operation then fail.
#ifndef RIOMMU_RTL_HARNESS_H
#define RIOMMU_RTL_HARNESS_H

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "axi_checker.h"
#include "dev_master.h"
#include "dut.h"
#include "mem_slave.h"
#include "reg_master.h"

class VerilatedContext;
class VerilatedFstC;

namespace rh {

struct HarnessConfig {
    std::string wave;              // FST file to write ("" = none)
    unsigned reset_cycles = 8;     // rst_n low for this many cycles (>= 8)
    uint64_t watchdog_cycles = 10000; // per blocking operation
    MemSlaveConfig mem;            // memory-port slave behaviour
    unsigned dev_ready_pct = 100;  // device-port bready/rready probability
    uint64_t dev_seed = 2;
};

struct HarnessError {
    enum Kind { NONE, WATCHDOG, PROTOCOL, BUS, SETUP } kind = NONE;
    std::string port;   // "s_reg", "m_mem", "s_dev"
    std::string what;   // the operation or rule
    uint64_t cycle = 0; // when it was detected
    std::string text;   // rendered
};

// Builds the DUT inside the controller's context.
using DutFactory = std::function<std::unique_ptr<Dut>(VerilatedContext *)>;

class Harness {
public:
    Harness(const DutFactory &make, const HarnessConfig &cfg);
    ~Harness();
    Harness(const Harness &) = delete;
    Harness &operator=(const Harness &) = delete;

    // Reset sequence; clears violations and errors. Returns !failed().
    bool reset();
    void tick();                 // one clock cycle
    void run(uint64_t cycles);   // `cycles` ticks
    // Tick until done() or the watchdog: then record a WATCHDOG error naming
    // `port` and `what`. Also stops at the first protocol violation.
    bool run_until(const std::function<bool()> &done, const char *port, const char *what);
    uint64_t cycle() const { return cycle_; }
    // FST time units per cycle (1000 with a 1 ps precision: 1 ns).
    uint64_t wave_period() const { return period_; }

    // Register port, blocking. size 4 or 8.
    bool reg_write(uint32_t off, unsigned size, uint64_t val);
    bool reg_read(uint32_t off, unsigned size, uint64_t *val);
    // Device port, blocking: one request and its response.
    bool dev_access(const DevReq &r, DevRsp *out);

    RegMaster &regs() { return *reg_; }
    MemSlave &mem() { return *mem_; }
    DevMaster &dev() { return *dev_; }
    DutPins &pins() { return dut_->pins(); }
    uint16_t wsi() const { return static_cast<uint16_t>(dut_->pins().wsi.get()); }
    // Called after a cycle in which wsi changed: (old, new).
    void add_wsi_observer(std::function<void(uint16_t, uint16_t)> fn)
    {
        wsi_obs_.push_back(std::move(fn));
    }

    // Every violation seen since reset, all ports.
    std::vector<Violation> violations() const;
    bool failed() const { return err_.kind != HarnessError::NONE; }
    const HarnessError &error() const { return err_; }
    // No transaction open on any port and every bus model idle.
    bool quiet() const;

private:
    void fail(HarnessError::Kind k, const std::string &port, const std::string &what,
              const std::string &text);
    bool check_violations();
    void open_wave();

    HarnessConfig cfg_;
    std::unique_ptr<VerilatedContext> ctx_;
    std::unique_ptr<Dut> dut_;
    std::unique_ptr<VerilatedFstC> fst_;
    std::unique_ptr<RegMaster> reg_;
    std::unique_ptr<MemSlave> mem_;
    std::unique_ptr<DevMaster> dev_;
    std::vector<std::unique_ptr<AxiChecker>> chk_;
    std::vector<BusModel *> models_;
    std::vector<std::function<void(uint16_t, uint16_t)>> wsi_obs_;
    uint16_t wsi_prev_ = 0;
    uint64_t cycle_ = 0;
    uint64_t period_ = 2; // FST time units per cycle
    bool in_reset_ = false;
    size_t nviol_seen_ = 0;
    HarnessError err_;
};

} // namespace rh

#endif
