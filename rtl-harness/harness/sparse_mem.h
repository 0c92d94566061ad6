// sparse_mem.h - a byte-addressed memory image allocated in 4 KiB pages on
// first write; unwritten bytes read as zero. Addresses are 64-bit.
#ifndef RIOMMU_RTL_SPARSE_MEM_H
#define RIOMMU_RTL_SPARSE_MEM_H

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <unordered_map>

namespace rh {

class SparseMem {
public:
    // One page lookup per page touched, not per byte (backdoor writes of
    // whole tables and pages are frequent).
    void write(uint64_t addr, const void *buf, size_t len)
    {
        const uint8_t *b = static_cast<const uint8_t *>(buf);
        while (len) {
            size_t n = chunk(addr, len);
            std::memcpy(page(addr).data() + (addr & 0xfff), b, n);
            addr += n;
            b += n;
            len -= n;
        }
    }
    void read(uint64_t addr, void *buf, size_t len) const
    {
        uint8_t *b = static_cast<uint8_t *>(buf);
        while (len) {
            size_t n = chunk(addr, len);
            auto it = pages_.find(addr >> 12);
            if (it == pages_.end())
                std::memset(b, 0, n);
            else
                std::memcpy(b, it->second.data() + (addr & 0xfff), n);
            addr += n;
            b += n;
            len -= n;
        }
    }
    uint64_t read64(uint64_t addr) const
    {
        uint8_t b[8];
        read(addr, b, 8);
        uint64_t v = 0;
        for (int i = 7; i >= 0; i--)
            v = (v << 8) | b[i];
        return v;
    }
    size_t pages() const { return pages_.size(); }

private:
    // Bytes of [addr, addr+len) inside addr's page.
    static size_t chunk(uint64_t addr, size_t len)
    {
        size_t room = 4096 - static_cast<size_t>(addr & 0xfff);
        return len < room ? len : room;
    }
    std::array<uint8_t, 4096> &page(uint64_t addr)
    {
        auto it = pages_.find(addr >> 12);
        if (it == pages_.end())
            it = pages_.emplace(addr >> 12, std::array<uint8_t, 4096>{}).first;
        return it->second;
    }
    std::unordered_map<uint64_t, std::array<uint8_t, 4096>> pages_;
};

} // namespace rh

#endif
