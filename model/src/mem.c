/*
 * mem.c - implicit memory accesses of the IOMMU (ds "Endianness of
 * in-memory data structures"; hw guidelines "Faults from PMA and PMP").
 * Every access goes through the host ops with its access kind; byte order
 * is applied here (fctl.BE or DC.tc.SBE chosen by the caller), and
 * addresses at or above 2^capabilities.PAS are refused as access faults
 * when riommu_config.check_pas is set.
 */
#include "internal.h"

static uint64_t to_u64(const uint8_t *b, unsigned n, bool be)
{
    if (n == 8) /* unrolled: compilers make each a load (and byte swap) */
        return be ? (uint64_t)b[7] | (uint64_t)b[6] << 8 | (uint64_t)b[5] << 16 |
                        (uint64_t)b[4] << 24 | (uint64_t)b[3] << 32 | (uint64_t)b[2] << 40 |
                        (uint64_t)b[1] << 48 | (uint64_t)b[0] << 56
                  : (uint64_t)b[0] | (uint64_t)b[1] << 8 | (uint64_t)b[2] << 16 |
                        (uint64_t)b[3] << 24 | (uint64_t)b[4] << 32 | (uint64_t)b[5] << 40 |
                        (uint64_t)b[6] << 48 | (uint64_t)b[7] << 56;
    uint64_t v = 0;
    for (unsigned i = 0; i < n; i++)
        v |= (uint64_t)b[be ? n - 1 - i : i] << (8 * i);
    return v;
}

static void from_u64(uint8_t *b, unsigned n, bool be, uint64_t v)
{
    for (unsigned i = 0; i < n; i++)
        b[be ? n - 1 - i : i] = (uint8_t)(v >> (8 * i));
}

riommu_mem_status mem_read_raw(riommu *m, uint64_t pa, void *buf, size_t len,
                               riommu_access_kind kind)
{
    if (!mem_pa_ok(m, pa, len))
        return RIOMMU_MEM_ACCESS_FAULT;
    m->st.mem_accesses[kind]++;
    return m->host.mem_read(m->host.ctx, pa, buf, len, kind);
}

riommu_mem_status mem_write_raw(riommu *m, uint64_t pa, const void *buf, size_t len,
                                riommu_access_kind kind)
{
    if (!mem_pa_ok(m, pa, len))
        return RIOMMU_MEM_ACCESS_FAULT;
    m->st.mem_accesses[kind]++;
    return m->host.mem_write(m->host.ctx, pa, buf, len, kind);
}

/* mem_load64 (internal.h) without a page pointer from the host: the PAS
 * check, the count and the host read, the bytes assembled as one load
 * (and a byte swap). */
riommu_mem_status mem_load64_read(riommu *m, uint64_t pa, bool be, riommu_access_kind kind,
                                  uint64_t *val)
{
    uint8_t b[8];
    if (!mem_pa_ok(m, pa, 8)) {
        *val = 0;
        return RIOMMU_MEM_ACCESS_FAULT;
    }
    m->st.mem_accesses[kind]++;
    riommu_mem_status s = m->host.mem_read(m->host.ctx, pa, b, 8, kind);
    *val = s != RIOMMU_MEM_OK ? 0 : be ? mem_ld_be64(b) : mem_ld_le64(b);
    return s;
}

riommu_mem_status mem_load32(riommu *m, uint64_t pa, bool be, riommu_access_kind kind,
                             uint32_t *val)
{
    uint8_t b[4];
    riommu_mem_status s = mem_read_raw(m, pa, b, 4, kind);
    *val = s == RIOMMU_MEM_OK ? (uint32_t)to_u64(b, 4, be) : 0;
    return s;
}

riommu_mem_status mem_store32(riommu *m, uint64_t pa, bool be, riommu_access_kind kind,
                              uint32_t val)
{
    uint8_t b[4];
    from_u64(b, 4, be, val);
    return mem_write_raw(m, pa, b, 4, kind);
}

riommu_mem_status mem_store64(riommu *m, uint64_t pa, bool be, riommu_access_kind kind,
                              uint64_t val)
{
    uint8_t b[8];
    from_u64(b, 8, be, val);
    return mem_write_raw(m, pa, b, 8, kind);
}

riommu_mem_status mem_cas(riommu *m, uint64_t pa, bool be, bool four,
                          riommu_access_kind kind, uint64_t expected, uint64_t desired,
                          uint64_t *observed)
{
    unsigned n = four ? 4 : 8;
    if (!mem_pa_ok(m, pa, n))
        return RIOMMU_MEM_ACCESS_FAULT;
    m->st.mem_accesses[kind]++;
    if (m->host.mem_cas64 && !four) {
        /* The host compares raw memory bytes, read as little-endian. */
        uint8_t e[8], d[8];
        from_u64(e, 8, be, expected);
        from_u64(d, 8, be, desired);
        uint64_t raw_obs = 0;
        riommu_mem_status s = m->host.mem_cas64(m->host.ctx, pa, to_u64(e, 8, false),
                                                to_u64(d, 8, false), &raw_obs, kind);
        uint8_t o[8];
        from_u64(o, 8, false, raw_obs);
        *observed = to_u64(o, 8, be);
        return s;
    }
    uint8_t b[8];
    riommu_mem_status s = m->host.mem_read(m->host.ctx, pa, b, n, kind);
    if (s != RIOMMU_MEM_OK)
        return s;
    *observed = to_u64(b, n, be);
    if (*observed != expected)
        return RIOMMU_MEM_OK;
    from_u64(b, n, be, desired);
    return m->host.mem_write(m->host.ctx, pa, b, n, kind);
}
