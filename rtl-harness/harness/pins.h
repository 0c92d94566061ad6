// pins.h - the DUT's ports as the harness sees them (docs/rtl-harness.md).
//
// A Verilated top exposes each port as a public member whose C type depends
// on its width (uint8_t up to 8 bits, uint16_t up to 16, uint32_t up to 32,
// uint64_t up to 64). `Sig` erases that type: a pointer and a byte width.
// A default-constructed Sig is an absent port: reads give 0, writes are
// dropped (the register and device ports have no awburst, for example).
#ifndef RIOMMU_RTL_PINS_H
#define RIOMMU_RTL_PINS_H

#include <cstdint>
#include <cstring>
#include <type_traits>

namespace rh {

class Sig {
public:
    Sig() = default;
    template <class T, class = std::enable_if_t<std::is_unsigned<T>::value>>
    explicit Sig(T &v) : p_(&v), bytes_(sizeof(T)) {}

    uint64_t get() const
    {
        switch (bytes_) {
        case 1: return *static_cast<const uint8_t *>(p_);
        case 2: return *static_cast<const uint16_t *>(p_);
        case 4: return *static_cast<const uint32_t *>(p_);
        case 8: return *static_cast<const uint64_t *>(p_);
        default: return 0;
        }
    }
    void set(uint64_t v) const
    {
        switch (bytes_) {
        case 1: *static_cast<uint8_t *>(p_) = static_cast<uint8_t>(v); break;
        case 2: *static_cast<uint16_t *>(p_) = static_cast<uint16_t>(v); break;
        case 4: *static_cast<uint32_t *>(p_) = static_cast<uint32_t>(v); break;
        case 8: *static_cast<uint64_t *>(p_) = v; break;
        default: break;
        }
    }
    bool present() const { return p_ != nullptr; }

private:
    void *p_ = nullptr;
    unsigned bytes_ = 0;
};

// One AXI4 port: five channels. Which side drives what depends on the
// port's role (the DUT is slave on reg/dev, master on mem).
struct AxiPins {
    Sig awvalid, awready, awaddr, awid, awsize, awlen, awburst, awuser;
    Sig wvalid, wready, wdata, wstrb, wlast;
    Sig bvalid, bready, bid, bresp, buser;
    Sig arvalid, arready, araddr, arid, arsize, arlen, arburst, aruser;
    Sig rvalid, rready, rdata, rid, rresp, rlast, ruser;
};

// Every port of the contract's riommu_rtl_top.
struct DutPins {
    Sig clk, rst_n;
    AxiPins reg; // s_reg_*: DUT is slave
    AxiPins mem; // m_mem_*: DUT is master
    AxiPins dev; // s_dev_*: DUT is slave
    Sig wsi;
};

// AXI response codes.
enum : unsigned { AXI_OKAY = 0, AXI_EXOKAY = 1, AXI_SLVERR = 2, AXI_DECERR = 3 };

} // namespace rh

#endif
