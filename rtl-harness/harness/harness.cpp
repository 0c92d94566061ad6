// harness.cpp - see harness.h.
#include "harness.h"

#include <verilated.h>
#include <verilated_fst_c.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace rh {

Harness::Harness(const DutFactory &make, const HarnessConfig &cfg)
    : cfg_(cfg), ctx_(new VerilatedContext)
{
    if (cfg_.reset_cycles < 8)
        cfg_.reset_cycles = 8;
    if (!cfg_.wave.empty())
        ctx_->traceEverOn(true);
    dut_ = make(ctx_.get());
    DutPins &p = dut_->pins();
    reg_.reset(new RegMaster(p.reg));
    mem_.reset(new MemSlave(p.mem, cfg_.mem));
    dev_.reset(new DevMaster(p.dev, cfg_.dev_ready_pct, cfg_.dev_seed));
    models_ = {reg_.get(), mem_.get(), dev_.get()};
    chk_.emplace_back(new AxiChecker("s_reg", p.reg, 0));
    chk_.emplace_back(new AxiChecker("m_mem", p.mem, 15));
    chk_.emplace_back(new AxiChecker("s_dev", p.dev, 0));
    // A 1 ns clock in the design's time precision (set when it was built).
    uint64_t per_ns = 1;
    for (int e = ctx_->timeprecision(); e < -9; e++)
        per_ns *= 10;
    period_ = per_ns >= 2 ? per_ns : 2;
    if (!cfg_.wave.empty())
        open_wave();
    p.clk.set(0);
    p.rst_n.set(0);
    for (BusModel *m : models_)
        m->reset();
    dut_->eval();
}

Harness::~Harness()
{
    dut_->finish();
    if (fst_ && fst_->isOpen())
        fst_->close();
}

void Harness::open_wave()
{
    // VerilatedFstC::open() does not say why it failed (nor always that it
    // did): try the file first.
    std::FILE *f = std::fopen(cfg_.wave.c_str(), "wb");
    if (!f) {
        fail(HarnessError::SETUP, "", "waveform",
             "cannot write the waveform '" + cfg_.wave + "': " + std::strerror(errno));
        return;
    }
    std::fclose(f);
    fst_.reset(new VerilatedFstC);
    dut_->trace(*fst_, 99);
    fst_->open(cfg_.wave.c_str());
    if (!fst_->isOpen())
        fail(HarnessError::SETUP, "", "waveform",
             "cannot write the waveform '" + cfg_.wave + "'");
}

void Harness::fail(HarnessError::Kind k, const std::string &port, const std::string &what,
                   const std::string &text)
{
    if (failed())
        return; // keep the first cause
    err_.kind = k;
    err_.port = port;
    err_.what = what;
    err_.cycle = cycle_;
    err_.text = text;
}

bool Harness::check_violations()
{
    // Called every cycle of a blocking operation: count before copying.
    size_t n = 0;
    for (const auto &c : chk_)
        n += c->violations().size();
    if (n > nviol_seen_) {
        std::vector<Violation> v = violations();
        const Violation &first = v[nviol_seen_];
        nviol_seen_ = v.size();
        fail(HarnessError::PROTOCOL, first.port, first.rule, first.text());
    }
    return !failed();
}

void Harness::tick()
{
    DutPins &p = dut_->pins();
    for (BusModel *m : models_)
        m->drive(cycle_);
    dut_->eval();
    if (fst_)
        fst_->dump(cycle_ * period_);
    if (!in_reset_) {
        for (BusModel *m : models_)
            m->sample(cycle_);
        for (auto &c : chk_)
            c->sample(cycle_);
    }
    p.clk.set(1);
    dut_->eval();
    ctx_->timeInc(period_ / 2);
    if (fst_)
        fst_->dump(cycle_ * period_ + period_ / 2);
    p.clk.set(0);
    dut_->eval();
    ctx_->timeInc(period_ - period_ / 2);
    cycle_++;
    uint16_t w = wsi();
    if (w != wsi_prev_) {
        for (auto &fn : wsi_obs_)
            fn(wsi_prev_, w);
        wsi_prev_ = w;
    }
}

void Harness::run(uint64_t cycles)
{
    for (uint64_t i = 0; i < cycles; i++)
        tick();
}

bool Harness::reset()
{
    if (err_.kind == HarnessError::SETUP)
        return false; // no waveform: nothing runs
    DutPins &p = dut_->pins();
    in_reset_ = true;
    p.rst_n.set(0);
    for (BusModel *m : models_)
        m->reset();
    for (auto &c : chk_)
        c->reset();
    run(cfg_.reset_cycles);
    p.rst_n.set(1);
    in_reset_ = false;
    err_ = HarnessError{};
    nviol_seen_ = violations().size();
    run(2);
    wsi_prev_ = wsi();
    return check_violations();
}

bool Harness::run_until(const std::function<bool()> &done, const char *port, const char *what)
{
    uint64_t start = cycle_;
    while (!done()) {
        if (!check_violations())
            return false;
        if (cycle_ - start >= cfg_.watchdog_cycles) {
            fail(HarnessError::WATCHDOG, port, what,
                 std::string("watchdog: ") + what + " on port " + port + " started at cycle " +
                     std::to_string(start) + " did not complete within " +
                     std::to_string(cfg_.watchdog_cycles) + " cycles (now cycle " +
                     std::to_string(cycle_) + ")");
            return false;
        }
        tick();
    }
    return check_violations();
}

bool Harness::reg_write(uint32_t off, unsigned size, uint64_t val)
{
    if (failed())
        return false;
    if (!reg_->start_write(off, size, val)) {
        fail(HarnessError::BUS, "s_reg", "register write", "bad register write at offset " +
                                                                std::to_string(off));
        return false;
    }
    if (!run_until([this] { return !reg_->busy(); }, "s_reg", "register write"))
        return false;
    if (reg_->resp() != AXI_OKAY) {
        fail(HarnessError::BUS, "s_reg", "register write",
             "register write at offset " + std::to_string(off) + " answered resp " +
                 std::to_string(reg_->resp()));
        return false;
    }
    return true;
}

bool Harness::reg_read(uint32_t off, unsigned size, uint64_t *val)
{
    if (failed())
        return false;
    if (!reg_->start_read(off, size)) {
        fail(HarnessError::BUS, "s_reg", "register read", "bad register read at offset " +
                                                               std::to_string(off));
        return false;
    }
    if (!run_until([this] { return !reg_->busy(); }, "s_reg", "register read"))
        return false;
    if (reg_->resp() != AXI_OKAY) {
        fail(HarnessError::BUS, "s_reg", "register read",
             "register read at offset " + std::to_string(off) + " answered resp " +
                 std::to_string(reg_->resp()));
        return false;
    }
    *val = reg_->rdata();
    return true;
}

bool Harness::dev_access(const DevReq &r, DevRsp *out)
{
    if (failed())
        return false;
    uint64_t tag = dev_->issue(r);
    bool ok = run_until([this, tag] { return dev_->done(tag); }, "s_dev",
                        r.write ? "device write" : "device read");
    if (ok)
        *out = dev_->result(tag);
    dev_->forget(tag);
    return ok;
}

std::vector<Violation> Harness::violations() const
{
    std::vector<Violation> all;
    for (const auto &c : chk_)
        all.insert(all.end(), c->violations().begin(), c->violations().end());
    return all;
}

bool Harness::quiet() const
{
    for (const auto &c : chk_)
        if (c->outstanding())
            return false;
    for (const BusModel *m : models_)
        if (!m->idle())
            return false;
    return true;
}

} // namespace rh
