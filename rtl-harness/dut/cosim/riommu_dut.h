// riommu_dut.h - the project's own IOMMU (rtl-harness/dut/riommu_rtl_top.sv)
// as a riommu_rtl_dut, and the reference model's parameters that match it.
#ifndef RIOMMU_RTL_RIOMMU_DUT_H
#define RIOMMU_RTL_RIOMMU_DUT_H

#include "riommu/riommu.h"
#include "riommu/rtl_backend.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Bugs riommu_rtl_top can carry (rtl-harness/dut/README.md "Mutants"):
 * mutants 1..RIOMMU_RTL_MUTANTS, each one `RIOMMU_MUT(n)` point in the SV. */
#define RIOMMU_RTL_MUTANTS 32u

/* One mutant: a realistic RTL bug the verification build can switch in
 * (riommu_rtl_config.mutant). Strings are static. */
typedef struct riommu_rtl_mutant {
    unsigned id;       /* 1..RIOMMU_RTL_MUTANTS, the n of `RIOMMU_MUT(n)` */
    const char *area;  /* registers, walker, caches, invalidation, queues,
                          interrupts or axi */
    const char *name;  /* short, unique: "fq-full-no-wrap" */
    const char *what;  /* one line: what the RTL does wrong */
    const char *spec;  /* the spec or contract section it violates */
} riommu_rtl_mutant;

/* The table of mutants, in id order (*n = RIOMMU_RTL_MUTANTS). */
const riommu_rtl_mutant *riommu_rtl_mutants(size_t *n);

/*
 * The verilated riommu_rtl_top, built with its configuration straps
 * (README.md "Configuration straps"): riommu_rtl_dut_check / the rtl
 * backend's `model` and `mutant` set capabilities (a subset of the default
 * CAPS: Sv39/48/57, Svrsw60t59b, Svpbmt, AMO_HWAD, END, NL, S cleared; IGS;
 * PAS 32..56), ddtp reset mode and modes, queue limits, vectors and fixed
 * PPNs; everything else must equal riommu_rtl_model_config.
 */
const riommu_rtl_dut *riommu_rtl_riommu_dut(void);

/*
 * Give `cfg` the implementation-defined parameters of riommu_rtl_top's
 * defaults (rtl-harness/dut/README.md): CAPS 0x0000_0C38_2900_CE10, ddtp
 * reset Off, CQ/FQ LOG2SZ-1 up to 15, 16 vectors, full-IOVA iotval, PAS
 * checks, indices kept on a queue base write, a 16-entry fully associative
 * IOTLB and an 8-entry DDTC (round robin), no walk cache. Other fields are
 * left as they are.
 */
void riommu_rtl_model_config(riommu_config *cfg);

/* riommu_rtl_top behind a memory slave of `slave_lat` cycles (>= 1; the
 * harness's default is 1, which riommu_rtl_model_config assumes): adjust
 * the memory knobs of cfg, already set by riommu_rtl_model_config, by
 * what each extra cycle of the slave adds (docs/timing.md "Worked example:
 * riommu_rtl_top"). */
void riommu_rtl_model_slave_lat(riommu_config *cfg, unsigned slave_lat);

#ifdef __cplusplus
}
#endif

#endif
