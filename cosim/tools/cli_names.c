/*
 * cli_names.c - symbolic names of the `riommu` tool (see cli_names.h).
 * Causes follow q "Fault record CAUSE field encodings"; capability bits
 * regs "IOMMU capabilities".
 */
#include "cli_names.h"

#include <stdlib.h>
#include <string.h>

#include "riommu/riommu.h"

static int fold(int c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A' + 'a';
    if (c == '-')
        return '_';
    return c;
}

bool cli_name_eq(const char *a, const char *b)
{
    for (; *a && *b; a++, b++)
        if (fold((unsigned char)*a) != fold((unsigned char)*b))
            return false;
    return *a == *b;
}

/* Plain decimal or 0x-hex number, no suffixes; false on junk or > max. */
static bool small_number(const char *s, uint64_t max, uint64_t *out)
{
    uint64_t v = 0;
    unsigned base = 10;
    if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        base = 16;
        s += 2;
    }
    if (!*s)
        return false;
    for (; *s; s++) {
        unsigned d;
        if (*s >= '0' && *s <= '9')
            d = (unsigned)(*s - '0');
        else if (base == 16 && *s >= 'a' && *s <= 'f')
            d = (unsigned)(*s - 'a' + 10);
        else if (base == 16 && *s >= 'A' && *s <= 'F')
            d = (unsigned)(*s - 'A' + 10);
        else
            return false;
        v = v * base + d;
        if (v > max)
            return false;
    }
    *out = v;
    return true;
}

/* ---- fault causes ---------------------------------------------------------- */

static const struct {
    uint16_t cause;
    const char *name;
} causes[] = {
    {RIOMMU_CAUSE_INST_ACCESS_FAULT, "inst-access-fault"},
    {RIOMMU_CAUSE_READ_MISALIGNED, "read-misaligned"},
    {RIOMMU_CAUSE_READ_ACCESS_FAULT, "read-access-fault"},
    {RIOMMU_CAUSE_WRITE_MISALIGNED, "write-misaligned"},
    {RIOMMU_CAUSE_WRITE_ACCESS_FAULT, "write-access-fault"},
    {RIOMMU_CAUSE_INST_PAGE_FAULT, "inst-page-fault"},
    {RIOMMU_CAUSE_READ_PAGE_FAULT, "read-page-fault"},
    {RIOMMU_CAUSE_WRITE_PAGE_FAULT, "write-page-fault"},
    {RIOMMU_CAUSE_INST_GUEST_PAGE_FAULT, "inst-guest-page-fault"},
    {RIOMMU_CAUSE_READ_GUEST_PAGE_FAULT, "read-guest-page-fault"},
    {RIOMMU_CAUSE_WRITE_GUEST_PAGE_FAULT, "write-guest-page-fault"},
    {RIOMMU_CAUSE_ALL_INBOUND_DISALLOWED, "all-inbound-disallowed"},
    {RIOMMU_CAUSE_DDT_LOAD_FAULT, "ddt-load-fault"},
    {RIOMMU_CAUSE_DDT_INVALID, "ddt-invalid"},
    {RIOMMU_CAUSE_DDT_MISCONFIGURED, "ddt-misconfigured"},
    {RIOMMU_CAUSE_TTYPE_DISALLOWED, "ttype-disallowed"},
    {RIOMMU_CAUSE_MSI_PTE_LOAD_FAULT, "msi-pte-load-fault"},
    {RIOMMU_CAUSE_MSI_PTE_INVALID, "msi-pte-invalid"},
    {RIOMMU_CAUSE_MSI_PTE_MISCONFIGURED, "msi-pte-misconfigured"},
    {RIOMMU_CAUSE_MRIF_ACCESS_FAULT, "mrif-access-fault"},
    {RIOMMU_CAUSE_PDT_LOAD_FAULT, "pdt-load-fault"},
    {RIOMMU_CAUSE_PDT_INVALID, "pdt-invalid"},
    {RIOMMU_CAUSE_PDT_MISCONFIGURED, "pdt-misconfigured"},
    {RIOMMU_CAUSE_DDT_CORRUPTION, "ddt-corruption"},
    {RIOMMU_CAUSE_PDT_CORRUPTION, "pdt-corruption"},
    {RIOMMU_CAUSE_MSI_PT_CORRUPTION, "msi-pt-corruption"},
    {RIOMMU_CAUSE_MRIF_CORRUPTION, "mrif-corruption"},
    {RIOMMU_CAUSE_INTERNAL_DATAPATH, "internal-datapath-error"},
    {RIOMMU_CAUSE_MSI_WRITE_FAULT, "msi-write-fault"},
    {RIOMMU_CAUSE_PT_CORRUPTION, "pt-corruption"},
};
#define NCAUSES (sizeof causes / sizeof causes[0])

bool cli_cause_parse(const char *s, unsigned *cause)
{
    uint64_t v;
    if (small_number(s, 4095, &v)) {
        *cause = (unsigned)v;
        return true;
    }
    for (size_t i = 0; i < NCAUSES; i++)
        if (cli_name_eq(s, causes[i].name)) {
            *cause = causes[i].cause;
            return true;
        }
    /* Aliases people reach for. */
    if (cli_name_eq(s, "exec-page-fault")) {
        *cause = RIOMMU_CAUSE_INST_PAGE_FAULT;
        return true;
    }
    if (cli_name_eq(s, "dma-disabled")) {
        *cause = RIOMMU_CAUSE_ALL_INBOUND_DISALLOWED;
        return true;
    }
    return false;
}

const char *cli_cause_short(unsigned cause)
{
    for (size_t i = 0; i < NCAUSES; i++)
        if (causes[i].cause == cause)
            return causes[i].name;
    return NULL;
}

const uint16_t *cli_cause_list(size_t *n)
{
    static const uint16_t list[] = {1,   4,   5,   6,   7,   12,  13,  15,  20,  21,
                                    23,  256, 257, 258, 259, 260, 261, 262, 263, 264,
                                    265, 266, 267, 268, 269, 270, 271, 272, 273, 274};
    *n = sizeof list / sizeof list[0];
    return list;
}

/* ---- driver results --------------------------------------------------------- */

bool cli_err_parse(const char *s, riommu_drv_err *e)
{
    static const riommu_drv_err all[] = {RIOMMU_DRV_OK,       RIOMMU_DRV_EBUSY,
                                         RIOMMU_DRV_EINVAL,   RIOMMU_DRV_ENODEV,
                                         RIOMMU_DRV_ENOMEM,   RIOMMU_DRV_ETIMEDOUT,
                                         RIOMMU_DRV_EIO};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        if (cli_name_eq(s, riommu_drv_strerror(all[i]))) {
            *e = all[i];
            return true;
        }
    return false;
}

/* ---- capabilities -------------------------------------------------------------- */

static const struct {
    unsigned bit;
    const char *name;
} cap_bits[] = {
    {8, "Sv32"},      {9, "Sv39"},      {10, "Sv48"},     {11, "Sv57"},
    {14, "Svrsw60t59b"}, {15, "Svpbmt"}, {16, "Sv32x4"},  {17, "Sv39x4"},
    {18, "Sv48x4"},   {19, "Sv57x4"},   {21, "AMO_MRIF"}, {22, "MSI_FLAT"},
    {23, "MSI_MRIF"}, {24, "AMO_HWAD"}, {25, "ATS"},      {26, "T2GPA"},
    {27, "END"},      {30, "HPM"},      {31, "DBG"},      {38, "PD8"},
    {39, "PD17"},     {40, "PD20"},     {41, "QOSID"},    {42, "NL"},
    {43, "S"},
};

bool cli_cap_parse(const char *s, uint64_t *mask)
{
    for (size_t i = 0; i < sizeof cap_bits / sizeof cap_bits[0]; i++)
        if (cli_name_eq(s, cap_bits[i].name)) {
            *mask = 1ull << cap_bits[i].bit;
            return true;
        }
    return false;
}

const char *cli_cap_bit_name(unsigned bit)
{
    for (size_t i = 0; i < sizeof cap_bits / sizeof cap_bits[0]; i++)
        if (cap_bits[i].bit == bit)
            return cap_bits[i].name;
    return NULL;
}

/* ---- registers ----------------------------------------------------------------------- */

bool cli_reg_parse(const char *s, uint32_t *off, unsigned *size)
{
    uint64_t v;
    if (s[0] >= '0' && s[0] <= '9') {
        if (!small_number(s, RIOMMU_REG_WINDOW_SIZE - 1, &v))
            return false;
        *off = (uint32_t)v;
        *size = 0;
        return true;
    }
    for (uint32_t o = 0; o < RIOMMU_REG_WINDOW_SIZE; o += 4) {
        const char *n = riommu_reg_name(o);
        if (!n || !cli_name_eq(n, s))
            continue;
        const char *n2 = o + 4 < RIOMMU_REG_WINDOW_SIZE ? riommu_reg_name(o + 4) : NULL;
        *off = o;
        *size = (n2 && !strcmp(n2, n)) ? 8u : 4u;
        return true;
    }
    return false;
}

/* ---- driver events ------------------------------------------------------------------- */

static const char *const event_names[] = {
    [RIOMMU_DRV_EV_FAULT] = "fault",
    [RIOMMU_DRV_EV_CQ_ERROR] = "cq-error",
    [RIOMMU_DRV_EV_FQ_ERROR] = "fq-error",
    [RIOMMU_DRV_EV_ENQUEUE_TIMEOUT] = "enqueue-timeout",
    [RIOMMU_DRV_EV_EXEC_TIMEOUT] = "exec-timeout",
    [RIOMMU_DRV_EV_QUEUE_TIMEOUT] = "queue-timeout",
    [RIOMMU_DRV_EV_ALREADY_ATTACHED] = "already-attached",
};

bool cli_event_parse(const char *s, riommu_drv_event_kind *k)
{
    for (size_t i = 0; i < sizeof event_names / sizeof event_names[0]; i++)
        if (event_names[i] && cli_name_eq(s, event_names[i])) {
            *k = (riommu_drv_event_kind)i;
            return true;
        }
    return false;
}

const char *cli_event_name(riommu_drv_event_kind k)
{
    size_t i = (size_t)k;
    if (i < sizeof event_names / sizeof event_names[0] && event_names[i])
        return event_names[i];
    return "unknown";
}

/* ---- modes ------------------------------------------------------------------------------ */

const char *cli_ddt_mode_name(unsigned mode)
{
    static const char *const n[] = {"Off", "Bare", "1LVL", "2LVL", "3LVL"};
    return mode < 5 ? n[mode] : "reserved";
}

const char *cli_satp_mode_name(unsigned mode)
{
    switch (mode) {
    case RIOMMU_IOSATP_MODE_BARE: return "Bare";
    case RIOMMU_IOSATP_MODE_SV39: return "Sv39";
    case RIOMMU_IOSATP_MODE_SV48: return "Sv48";
    case RIOMMU_IOSATP_MODE_SV57: return "Sv57";
    default: return mode >= 14 ? "custom" : "reserved";
    }
}
