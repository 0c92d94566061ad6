// axi_checker.h - AXI4 protocol checker for one port, on the wires.
//
// Samples every channel once per cycle, just before the rising edge (the
// moment a handshake happens), and records a Violation per broken rule:
//
//   valid-dropped     a valid fell before its ready (AMBA A3.2.1)
//   payload-changed   payload changed while valid && !ready
//   b-without-request a write response with no outstanding write of that ID
//   r-without-request a read beat with no outstanding read of that ID
//   wlast-missing     the last write beat of a burst without wlast
//   wlast-early       wlast before the burst's last beat
//   rlast-mismatch    rlast not exactly on the last read beat
//   burst-crosses-4k  an INCR burst crossing a 4 KiB boundary (A3.4.1)
//   burst-too-long    more beats than the port allows (contract)
//   size-too-wide     a beat wider than the 64-bit data bus
//
// It checks both sides of the port: a violation by the harness's own bus
// models is reported the same way. Violations are data; text() renders one.
#ifndef RIOMMU_RTL_AXI_CHECKER_H
#define RIOMMU_RTL_AXI_CHECKER_H

#include <cstdint>
#include <deque>
#include <map>
#include <string>
#include <vector>

#include "pins.h"

namespace rh {

struct Violation {
    std::string port;   // "s_reg", "m_mem", "s_dev"
    std::string rule;   // one of the names above
    uint64_t cycle = 0; // harness cycle of the offending sample
    std::string detail; // values involved
    std::string text() const;
};

class AxiChecker {
public:
    // `max_len`: largest awlen/arlen the contract allows on this port.
    AxiChecker(std::string port, const AxiPins &pins, unsigned max_len);

    void reset();                // forget all state (used during reset)
    void sample(uint64_t cycle); // call once per cycle before the edge
    const std::vector<Violation> &violations() const { return v_; }
    // Transactions still open (requests without their full response).
    size_t outstanding() const;

private:
    struct Channel {
        const char *name;
        Sig valid, ready;
        std::vector<Sig> payload;
        bool pv = false, pr = false;
        std::vector<uint64_t> prev; // payload of the last cycle with valid && !ready
    };
    struct Burst {
        unsigned len;
        unsigned beats;
    };
    void check_channel(Channel &c, uint64_t cycle);
    void check_addr(const char *ch, uint64_t addr, unsigned size, unsigned len,
                    unsigned burst, uint64_t cycle);
    void add(const char *rule, uint64_t cycle, std::string detail);

    std::string port_;
    AxiPins p_;
    unsigned max_len_;
    std::vector<Channel> ch_;
    struct AwOpen {
        unsigned id, len;
    };
    std::deque<AwOpen> aw_open_;         // AWs whose data is not complete
    std::deque<unsigned> w_early_;       // W bursts completed before their AW
    unsigned w_beats_ = 0;
    std::map<unsigned, unsigned> b_owed_; // id -> writes awaiting B
    std::map<unsigned, std::deque<Burst>> r_owed_; // id -> reads awaiting R
    size_t owed_ = 0;                     // sum of b_owed_ and r_owed_ entries
    std::vector<Violation> v_;
};

} // namespace rh

#endif
