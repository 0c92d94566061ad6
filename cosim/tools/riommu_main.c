/*
 * riommu_main.c - the `riommu` command-line tool.
 *
 *   riommu demo        run the main job on the embedded model
 *   riommu --help      this text; riommu CMD --help for a command
 *
 * Exit status: 0 success, 1 expectations failed (mismatches), 2 usage error.
 */
#include <stdio.h>
#include <string.h>

#include "demo.h"

static void usage(FILE *o)
{
    fputs("usage: riommu COMMAND [ARGS]\n"
          "\n"
          "A verification kit for RISC-V IOMMUs (spec release 20260222).\n"
          "\n"
          "commands:\n"
          "  demo       bring up the C model the way Linux does, attach devices,\n"
          "             map 4 KiB and 2 MiB pages, run device DMA, show a fault\n"
          "             record, unmap with invalidation, and print a summary\n"
          "  help       show this text\n"
          "\n"
          "The last line of a job is 'mismatches: N, waived: W, skipped: S';\n"
          "the exit status is 0 only when N is 0 (2 for usage errors).\n",
          o);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    const char *cmd = argv[1];
    if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h") || !strcmp(cmd, "help")) {
        usage(stdout);
        return 0;
    }
    if (!strcmp(cmd, "demo")) {
        if (argc > 2 && (!strcmp(argv[2], "--help") || !strcmp(argv[2], "-h"))) {
            puts("usage: riommu demo\n\n"
                 "Runs the built-in demonstration on the embedded model and prints a\n"
                 "summary (translations, faults by cause, cache hit rates, commands).");
            return 0;
        }
        if (argc > 2) {
            fprintf(stderr, "riommu demo: unexpected argument '%s'\n", argv[2]);
            return 2;
        }
        return demo_run(stdout);
    }
    fprintf(stderr, "riommu: unknown command '%s' (see riommu --help)\n", cmd);
    return 2;
}
