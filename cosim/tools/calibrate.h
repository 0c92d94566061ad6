/*
 * calibrate.h - `riommu calibrate`: fit the reference model's timing knobs
 * to the rtl backend's DUT (issue 7 "Calibration against RTL";
 * docs/timing.md "Calibrating to a design").
 *
 * Does: generates the random seeds for the rtl target once, then runs them
 * on --backends model,rtl again and again, each time with the model's
 * timing knobs set to a candidate (run_options.tune), pairing every DMA's
 * latency (timing_cmp.h). The score of a candidate is its mean relative
 * error |model - rtl| / rtl plus a quarter of its 95th percentile. The
 * search is a coordinate descent over the knobs: each knob is moved by one
 * cycle up or down and, while that lowers the score, further the same way;
 * passes repeat until one changes nothing or --max-runs candidates have
 * run. It prints the starting figures, every improvement, and at the end
 * the fitted knobs as scenario `config` lines.
 * Does not: change riommu_rtl_model_config (the lines it prints are for a
 * scenario, or for that function by hand), search dma_txn_bytes (a
 * structural choice: what the device port translates at a time), or
 * promise a global optimum (a local one from the start point).
 *
 * Only in builds with Verilator (exit 2 otherwise).
 */
#ifndef RIOMMU_CALIBRATE_H
#define RIOMMU_CALIBRATE_H

#include <stdio.h>

/* Run the command: argv[0] is "calibrate". Returns the exit status: 0 the
 * fit ran (its figures printed), 1 some program had unwaived mismatches
 * (a functional difference: the fit is then printed but not to be
 * trusted), 2 usage errors, a build without Verilator, or nothing to
 * compare. */
int calibrate_main(int argc, char **argv);

void calibrate_usage(FILE *o);

#endif
