// dut.h - one Verilated design behind the contract's ports.
//
// The harness never names a Verilated class: it holds a `Dut`, which gives
// the pins, evaluation and tracing. `VerilatedDut<Top>` adapts any Verilated
// top whose ports carry the contract's names (s_reg_*, m_mem_*, s_dev_*,
// wsi); wrapping a new DUT is one line:
//
//     std::unique_ptr<rh::Dut> d = rh::make_dut<Vmy_top>(ctx);
//
// The model must be verilated with TRACE_FST for waveforms (the harness
// only calls trace() when asked to dump).
#ifndef RIOMMU_RTL_DUT_H
#define RIOMMU_RTL_DUT_H

#include <memory>

#include "pins.h"

class VerilatedContext;
class VerilatedFstC;

namespace rh {

class Dut {
public:
    virtual ~Dut() = default;
    virtual DutPins &pins() = 0;
    virtual void eval() = 0;
    // Attach an FST writer (before its open()).
    virtual void trace(VerilatedFstC &fst, int levels) = 0;
    // Verilog `final` blocks; called once before destruction.
    virtual void finish() = 0;
};

#define RH_BIND_AXI(P, T, PFX)                                                  \
    do {                                                                        \
        RH_B(P, T, PFX, aw, valid); RH_B(P, T, PFX, aw, ready);                 \
        RH_B(P, T, PFX, aw, addr);  RH_B(P, T, PFX, aw, id);                    \
        RH_B(P, T, PFX, aw, size);  RH_B(P, T, PFX, aw, len);                   \
        RH_B(P, T, PFX, w, valid);  RH_B(P, T, PFX, w, ready);                  \
        RH_B(P, T, PFX, w, data);   RH_B(P, T, PFX, w, strb);                   \
        RH_B(P, T, PFX, w, last);                                               \
        RH_B(P, T, PFX, b, valid);  RH_B(P, T, PFX, b, ready);                  \
        RH_B(P, T, PFX, b, id);     RH_B(P, T, PFX, b, resp);                   \
        RH_B(P, T, PFX, ar, valid); RH_B(P, T, PFX, ar, ready);                 \
        RH_B(P, T, PFX, ar, addr);  RH_B(P, T, PFX, ar, id);                    \
        RH_B(P, T, PFX, ar, size);  RH_B(P, T, PFX, ar, len);                   \
        RH_B(P, T, PFX, r, valid);  RH_B(P, T, PFX, r, ready);                  \
        RH_B(P, T, PFX, r, data);   RH_B(P, T, PFX, r, id);                     \
        RH_B(P, T, PFX, r, resp);   RH_B(P, T, PFX, r, last);                   \
    } while (0)
#define RH_B(P, T, PFX, CH, S) (P).CH##S = Sig((T).PFX##_##CH##S)

template <class Top>
class VerilatedDut final : public Dut {
public:
    explicit VerilatedDut(VerilatedContext *ctx) : top_(new Top(ctx, "top"))
    {
        Top &t = *top_;
        p_.clk = Sig(t.clk);
        p_.rst_n = Sig(t.rst_n);
        RH_BIND_AXI(p_.reg, t, s_reg);
        RH_BIND_AXI(p_.mem, t, m_mem);
        p_.mem.awburst = Sig(t.m_mem_awburst);
        p_.mem.arburst = Sig(t.m_mem_arburst);
        p_.mem.awuser = Sig(t.m_mem_awuser);
        p_.mem.aruser = Sig(t.m_mem_aruser);
        RH_BIND_AXI(p_.dev, t, s_dev);
        p_.dev.awuser = Sig(t.s_dev_awuser);
        p_.dev.aruser = Sig(t.s_dev_aruser);
        p_.dev.buser = Sig(t.s_dev_buser);
        p_.dev.ruser = Sig(t.s_dev_ruser);
        p_.wsi = Sig(t.wsi);
    }
    DutPins &pins() override { return p_; }
    void eval() override { top_->eval(); }
    void trace(VerilatedFstC &fst, int levels) override { top_->trace(&fst, levels); }
    void finish() override { top_->final(); }
    // The Verilated top, for a DUT's own adapter (e.g. its straps).
    Top &top() { return *top_; }

private:
    std::unique_ptr<Top> top_;
    DutPins p_;
};

#undef RH_B
#undef RH_BIND_AXI

template <class Top>
std::unique_ptr<Dut> make_dut(VerilatedContext *ctx)
{
    return std::unique_ptr<Dut>(new VerilatedDut<Top>(ctx));
}

} // namespace rh

#endif
