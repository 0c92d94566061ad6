// reg_master.cpp - see reg_master.h.
#include "reg_master.h"

namespace rh {

static bool access_ok(uint32_t off, unsigned size)
{
    return (size == 4 || size == 8) && off < 0x1000 && (off & (size - 1)) == 0;
}

bool RegMaster::start_write(uint32_t off, unsigned size, uint64_t val)
{
    if (busy() || !access_ok(off, size))
        return false;
    off_ = off;
    size_ = size;
    wval_ = val;
    aw_done_ = w_done_ = false;
    id_ = (id_ + 1) & 0xf;
    st_ = WRITE;
    return true;
}

bool RegMaster::start_read(uint32_t off, unsigned size)
{
    if (busy() || !access_ok(off, size))
        return false;
    off_ = off;
    size_ = size;
    id_ = (id_ + 1) & 0xf;
    st_ = READ;
    return true;
}

void RegMaster::reset()
{
    st_ = IDLE;
    aw_done_ = w_done_ = false;
    const AxiPins &p = p_;
    p.awvalid.set(0);
    p.wvalid.set(0);
    p.arvalid.set(0);
    p.bready.set(0);
    p.rready.set(0);
}

void RegMaster::drive(uint64_t)
{
    const AxiPins &p = p_;
    unsigned shift = size_ == 4 ? 8 * (off_ & 4) : 0;
    p.awvalid.set(st_ == WRITE && !aw_done_);
    p.awaddr.set(off_);
    p.awid.set(id_);
    p.awsize.set(size_ == 8 ? 3 : 2);
    p.awlen.set(0);
    p.wvalid.set(st_ == WRITE && !w_done_);
    p.wdata.set(size_ == 4 ? (wval_ & 0xffffffffu) << shift : wval_);
    p.wstrb.set(size_ == 4 ? 0x0fu << (off_ & 4) : 0xffu);
    p.wlast.set(1);
    p.bready.set(st_ == WAIT_B);
    p.arvalid.set(st_ == READ);
    p.araddr.set(off_);
    p.arid.set(id_);
    p.arsize.set(size_ == 8 ? 3 : 2);
    p.arlen.set(0);
    p.rready.set(st_ == WAIT_R);
}

void RegMaster::sample(uint64_t)
{
    const AxiPins &p = p_;
    switch (st_) {
    case WRITE:
        if (p.awvalid.get() && p.awready.get())
            aw_done_ = true;
        if (p.wvalid.get() && p.wready.get())
            w_done_ = true;
        if (aw_done_ && w_done_)
            st_ = WAIT_B;
        break;
    case WAIT_B:
        if (p.bvalid.get()) {
            resp_ = static_cast<unsigned>(p.bresp.get());
            st_ = IDLE;
        }
        break;
    case READ:
        if (p.arready.get())
            st_ = WAIT_R;
        break;
    case WAIT_R:
        if (p.rvalid.get()) {
            uint64_t d = p.rdata.get();
            rdata_ = size_ == 4 ? (d >> (8 * (off_ & 4))) & 0xffffffffu : d;
            resp_ = static_cast<unsigned>(p.rresp.get());
            st_ = IDLE;
        }
        break;
    case IDLE:
        break;
    }
}

} // namespace rh
