/*
 * replay.h - `riommu replay TRACE [--backends LIST] ...`: a trace written by
 * `riommu run --trace FILE` (docs/trace.md) re-issued, operation by
 * operation, to the lockstep engine over LIST (default `model`), without
 * the driver or the scenario. Backends are compared with each other by the
 * engine and the reference's observations with the recorded ones.
 */
#ifndef RIOMMU_REPLAY_H
#define RIOMMU_REPLAY_H

#include <stdio.h>

/* Run the command: argv[0] is "replay". Returns the exit status: 0 no
 * unwaived mismatch, 1 mismatches, 2 usage errors, an unreadable or
 * malformed trace ("FILE:LINE: message") or a world that cannot be built. */
int replay_main(int argc, char **argv);

void replay_usage(FILE *o);

#endif
