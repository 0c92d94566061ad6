/*
 * report_html.h - `riommu report RUN.json -o REPORT.html`: the run file of
 * `riommu run --stats RUN.json` rendered by riommu_html_report
 * (html_report.h; docs/stats.md).
 */
#ifndef RIOMMU_TOOLS_REPORT_HTML_H
#define RIOMMU_TOOLS_REPORT_HTML_H

#include <stdio.h>

void report_html_usage(FILE *o);

/* argv[0] is "report". Exit status: 0 written, 2 usage, an unreadable or
 * malformed run file, or an output that cannot be written (nothing is
 * written then). */
int report_html_main(int argc, char **argv);

#endif
