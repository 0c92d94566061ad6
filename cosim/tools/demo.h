/* demo.h - the `riommu demo` main job. */
#ifndef RIOMMU_DEMO_H
#define RIOMMU_DEMO_H

#include <stdio.h>

/* Run the demo, printing to `out`. Returns 0 when every expectation held,
 * 1 otherwise (the last line reports the count). */
int demo_run(FILE *out);

#endif
