/*
 * shrink.h - `riommu shrink`: reduce a failing scenario to a minimal one
 * that still fails the same way (delta debugging over its statements).
 *
 * The failure's signature is taken from the original run: with --backends,
 * the first unwaived co-simulation record (kind, backend, where); without,
 * the first failed expectation (what was compared, and the statement's
 * verb). A candidate "fails the same way" when its run produces a record
 * with the same signature. Candidates that do not parse are rejected
 * without running, so the result always parses.
 */
#ifndef RIOMMU_SHRINK_H
#define RIOMMU_SHRINK_H

/* The whole command: argv[0] is "shrink". Returns the exit status:
 * 0 a smaller (or already minimal) scenario was written, 1 the scenario
 * does not fail, 2 usage, parse or I/O errors. */
int cmd_shrink(int argc, char **argv);

#endif
