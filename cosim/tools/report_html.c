/*
 * report_html.c - `riommu report` (report_html.h).
 */
#define _POSIX_C_SOURCE 200809L

#include "report_html.h"

#include <stdlib.h>
#include <string.h>

#include "riommu/html_report.h"
#include "riommu/json.h"

void report_html_usage(FILE *o)
{
    fputs("usage: riommu report RUN.json -o REPORT.html\n"
          "\n"
          "Renders the run file that `riommu run --stats RUN.json` (or `riommu random\n"
          "--stats RUN.json`) wrote as one self-contained HTML page: no script, no\n"
          "network, inline CSS and SVG. It shows the totals, a row per program, and\n"
          "for the first 50 programs the headline statistics of every model backend,\n"
          "the failed expectations, bar charts of the translation and page-table walk\n"
          "latency histograms, the cache hit rates over the program's steps and every\n"
          "statistic; then the co-simulation mismatch records (docs/stats.md).\n"
          "\n"
          "options:\n"
          "  -o, --output FILE   the page to write ('-': standard output); required\n"
          "  -h, --help          this text\n"
          "\n"
          "exit status: 0 written; 2 usage error, a run file that cannot be read or does\n"
          "not follow the schema ('RUN.json: WHERE: WHAT' on stderr), or an output that\n"
          "cannot be written. Nothing is written unless the whole page could be made.\n",
          o);
}

int report_html_main(int argc, char **argv)
{
    const char *in = NULL, *outp = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            report_html_usage(stdout);
            return 0;
        } else if (!strcmp(a, "-o") || !strcmp(a, "--output")) {
            if (i + 1 >= argc) {
                fprintf(stderr, "riommu report: %s needs an argument\n", a);
                return 2;
            }
            outp = argv[++i];
        } else if (a[0] == '-' && a[1]) {
            fprintf(stderr, "riommu report: unknown option '%s' (see riommu report --help)\n",
                    a);
            return 2;
        } else if (in) {
            fprintf(stderr, "riommu report: one run file only ('%s' and '%s')\n", in, a);
            return 2;
        } else {
            in = a;
        }
    }
    if (!in || !outp) {
        fprintf(stderr, "riommu report: give RUN.json and -o REPORT.html (see riommu report "
                        "--help)\n");
        return 2;
    }
    char err[512];
    riommu_json *run = riommu_json_parse_file(in, err, sizeof err);
    if (!run) {
        fprintf(stderr, "riommu report: %s\n", err);
        return 2;
    }
    char *page = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&page, &len);
    bool ok = mem && riommu_html_report(mem, run, err, sizeof err);
    if (mem && fclose(mem) != 0 && ok) {
        ok = false;
        snprintf(err, sizeof err, "out of memory");
    }
    if (!mem)
        snprintf(err, sizeof err, "out of memory");
    riommu_json_free(run);
    if (!ok) {
        fprintf(stderr, "riommu report: %s: %s\n", in, err);
        free(page);
        return 2;
    }
    FILE *o = strcmp(outp, "-") ? fopen(outp, "w") : stdout;
    bool wrote = o && fwrite(page, 1, len, o) == len;
    if (o && o != stdout && fclose(o) != 0)
        wrote = false;
    if (o == stdout && fflush(stdout) != 0)
        wrote = false;
    free(page);
    if (!wrote) {
        fprintf(stderr, "riommu report: cannot write '%s'\n", outp);
        if (o && o != stdout)
            remove(outp);
        return 2;
    }
    return 0;
}
