/*
 * names.c - short names of fault causes and transaction types (q "Fault
 * record CAUSE field encodings", "Fault record TTYP field encodings").
 */
#include "internal.h"

const char *riommu_cause_name(unsigned cause)
{
    switch (cause) {
    case 0: return "none";
    case 1: return "instruction access fault";
    case 4: return "read address misaligned";
    case 5: return "read access fault";
    case 6: return "write/AMO address misaligned";
    case 7: return "write/AMO access fault";
    case 12: return "instruction page fault";
    case 13: return "read page fault";
    case 15: return "write/AMO page fault";
    case 20: return "instruction guest page fault";
    case 21: return "read guest-page fault";
    case 23: return "write/AMO guest-page fault";
    case 256: return "all inbound transactions disallowed";
    case 257: return "DDT entry load access fault";
    case 258: return "DDT entry not valid";
    case 259: return "DDT entry misconfigured";
    case 260: return "transaction type disallowed";
    case 261: return "MSI PTE load access fault";
    case 262: return "MSI PTE not valid";
    case 263: return "MSI PTE misconfigured";
    case 264: return "MRIF access fault";
    case 265: return "PDT entry load access fault";
    case 266: return "PDT entry not valid";
    case 267: return "PDT entry misconfigured";
    case 268: return "DDT data corruption";
    case 269: return "PDT data corruption";
    case 270: return "MSI PT data corruption";
    case 271: return "MSI MRIF data corruption";
    case 272: return "internal data path error";
    case 273: return "IOMMU MSI write access fault";
    case 274: return "first/second-stage PT data corruption";
    default: return cause >= 2048 && cause <= 4095 ? "custom" : "reserved";
    }
}

const char *riommu_defect_name(uint32_t bit)
{
    static const char *names[] = {
        "wrong-cause",       "ignore-pscid-inval", "ignore-addr-inval", "ignore-ddt-inval",
        "wrong-iotval",      "wrong-did",          "drop-record",       "fqt-skip",
        "no-d-update",       "no-canonical-check", "superpage-offset",  "fence-data",
        "msi-data",          "ignore-u",           "cq-ill-advance",    "wrong-ttyp"};
    for (unsigned i = 0; i < sizeof names / sizeof names[0]; i++)
        if (bit == (1u << i))
            return names[i];
    return NULL;
}

const char *riommu_ttyp_name(unsigned ttyp)
{
    switch (ttyp) {
    case 0: return "none";
    case 1: return "untranslated read for execute";
    case 2: return "untranslated read";
    case 3: return "untranslated write/AMO";
    case 5: return "translated read for execute";
    case 6: return "translated read";
    case 7: return "translated write/AMO";
    case 8: return "PCIe ATS translation request";
    case 9: return "PCIe message request";
    default: return ttyp >= 32 && ttyp <= 63 ? "custom" : "reserved";
    }
}
