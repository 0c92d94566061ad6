/*
 * mutate.h - `riommu mutate`: the mutation campaign over the project's own
 * RTL IOMMU (rtl-harness/dut, docs/rtl-harness.md "Mutation campaign").
 *
 * Each mutant is one realistic RTL bug the verification build of
 * riommu_rtl_top can switch in at run time (riommu_rtl_mutants(),
 * rtl-harness/dut/README.md "Mutants"); the campaign measures how many of
 * them the co-simulation (`--backends model,rtl`) detects.
 *
 * Does: first the baseline (no mutant) over the whole workload - the
 * directed corpus (scenario files or directories of them) and the random
 * seeds (randgen_target_rtl) - which must be clean, or the campaign stops
 * (exit 2); programs the DUT cannot run (`not run on rtl: ...`) are left
 * out of the mutant runs. Then, per mutant, the same programs in the same
 * order (corpus first, then seeds) through run_program, each stopping at
 * its first unwaived mismatch, until the first program with one: the
 * mutant is DETECTED by that program, and the record (its kind, the
 * scenario line, what differed; for a backend error - watchdog, AXI
 * protocol violation - the harness's full message naming the port and the
 * cycle) is reported. A mutant no program detects is UNDETECTED.
 * Does not: run mutants in parallel, or shrink the detecting program
 * (`riommu shrink` does, given the mutant's run).
 *
 * Output: one line per mutant and a last line "detected: K/N" (text), or
 * one JSON document (--json). Only in builds with Verilator.
 */
#ifndef RIOMMU_MUTATE_H
#define RIOMMU_MUTATE_H

#include <stdio.h>

/* Run the command: argv[0] is "mutate". Returns the exit status: 0 the
 * detected ratio is at least --min-ratio, 1 it is below, 2 usage or parse
 * errors, a baseline that is not clean, or a build without Verilator. */
int mutate_main(int argc, char **argv);

void mutate_usage(FILE *o);

#endif
