/*
 * default_scenario.h - the built-in scenario of `riommu run` (and of
 * `make run` and `riommu demo`): scenario text, parsed by the same parser
 * as any file.
 */
#ifndef RIOMMU_DEFAULT_SCENARIO_H
#define RIOMMU_DEFAULT_SCENARIO_H

/* The name the default scenario has in messages ("default:LINE: ..."). */
#define DEFAULT_SCENARIO_NAME "default"

/* The scenario text (static, NUL-terminated). */
const char *default_scenario_text(void);

#endif
