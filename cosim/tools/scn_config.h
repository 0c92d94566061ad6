/*
 * scn_config.h - a model configuration written back as scenario `config`
 * lines (docs/scenarios.md "model"): the inverse of the parser's config
 * statements. A trace (docs/trace.md) carries the reference model's
 * configuration this way, and a replay rebuilds it with the scenario
 * parser, so both read the same language and checks.
 */
#ifndef RIOMMU_SCN_CONFIG_H
#define RIOMMU_SCN_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#include "riommu/riommu.h"

#define SCN_CONFIG_MAX_LINES 28u  /* enough for `config qemu` and every field group */
#define SCN_CONFIG_LINE 192u      /* bytes per line, NUL included */

/*
 * Write `c` as config lines that, parsed after the defaults
 * (riommu_config_default), give back `c`: one line per field or field
 * group that differs from the default, in a fixed order. A configuration
 * with QEMU's page-request queue limits (a model,qemu run) starts with
 * `config qemu` and lists what differs from riommu_qemu_model_config. Returns the number
 * of lines (0 for the defaults), or -1 with a reason in err when a field
 * has a value the scenario language cannot express (the pq queue fields,
 * defects, a reset mode other than Off/Bare, DDT mode bits other than
 * 1LVL..3LVL, numbers beyond the parser's ranges).
 */
int scn_config_lines(const riommu_config *c, char (*out)[SCN_CONFIG_LINE], char *err,
                     size_t errlen);

/* True when every field of a and b is equal (padding ignored). */
bool scn_config_equal(const riommu_config *a, const riommu_config *b);

#endif
